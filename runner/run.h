/*
 * run.h - executing a notebook and collecting what each cell produced.
 *
 * nb_run_notebook() runs the cells in order over one nb_state, stops at
 * the first failing cell, and writes the outputs (report.md, and with
 * save_state the state/ folder) into opts->outdir/<stem>/.  Every file is
 * written to a temporary name and renamed, so an interrupted or failed run
 * never leaves a half-written file behind.
 */
#ifndef NB_RUN_H
#define NB_RUN_H

#include <pthread.h>

#include "notebook.h"
#include "random.h"
#include "state.h"

/* A figure a cell drew: files relative to the notebook's output folder. */
typedef struct nb_figref {
	char *name;   /* stable name: the cell label, plus a suffix for several figures */
	char *png, *pdf, *svg;
	char *anim;   /* an animated GIF of frames (then png is their contact sheet) */
	char *alt;
	/* for the PDF report: the drawing (frames: one per frame), w x h points; a figure with a
	 * PDF file is copied from it, and kept (fig) to be recorded only should that fail */
	struct _cairo_surface **rec;
	size_t nrec;
	double w, h;
	struct pl_figure *fig;
} nb_figref;

typedef struct nb_cellres {
	int ran;            /* 1 = finished, -1 = failed, 0 = not reached */
	nb_buf text;        /* what the cell printed */
	nb_err err;         /* when it failed */
	int check_failed;
	double secs;
	nb_figref *figs;
	size_t nfigs;
} nb_cellres;

typedef enum nb_progress_mode { NB_PROGRESS_AUTO, NB_PROGRESS_TTY, NB_PROGRESS_LINES, NB_PROGRESS_QUIET } nb_progress_mode;

typedef struct nb_runopts {
	const char *outdir;       /* default "output" */
	int save_state;
	nb_progress_mode progress;
	unsigned formats;         /* figure formats from the command line, 0 = the notebook's */
} nb_runopts;

typedef struct nb_run {
	nb_notebook *nb;
	const nb_runopts *opts;
	nb_state state;
	nb_cellres *res;
	char *dir;                /* outdir/<stem> */
	double t0;
	int tty;
	size_t current;           /* index of the running cell */
	nb_rng rng;               /* the notebook's random stream, seeded with 0 until a seed cell runs */
	double last_progress;
	struct nb_writer *writer; /* the thread writing figure files, once a figure is drawn */
	nb_buf writer_errors;     /* its failures, one line each, once it has stopped */
} nb_run;

/*
 * Run a loaded notebook.  Returns the exit code: 0 all cells ran, 1 a cell
 * or check failed (the report shows it), 2 the output folder could not be
 * used.  Diagnostics go to stderr.
 */
int nb_run_notebook(nb_notebook *nb, const nb_runopts *opts);

/* Lower level, for tests: run into r (cells and state), without writing files. */
void nb_run_init(nb_run *r, nb_notebook *nb, const nb_runopts *opts);
int nb_run_cells(nb_run *r);   /* 0, or 1 on the first failure */
void nb_run_release(nb_run *r);
/* Wait until every figure file is written and the writer has stopped; its
 * failures, one line each, are in r->writer_errors. */
void nb_run_wait_writer(nb_run *r);

/* report_md.c: the markdown report of a run; a kernel cell as written in the
 * notebook, dedented (both reports show it). */
void nb_report_md(const nb_run *r, nb_buf *out);
void nb_cell_source(const nb_cell *c, nb_buf *out);
/* report_pdf.c: the PDF report of a run, written to path (via a temporary
 * file).  It shows the figures' PDF files, once written: it waits for the
 * writer.  0, or -1 with e set. */
int nb_report_pdf(nb_run *r, const char *path, nb_err *e);
/* npy.c: write the state as .npy files and state.json into dir. */
int nb_save_state(const nb_state *s, const char *dir, nb_err *e);
/* Encode one array as NumPy .npy (format 1.0, C order). */
int nb_npy_encode(const nb_value *v, nb_buf *out, nb_err *e);

/*
 * The fonts set up (pl_text_prepare) on a thread of their own, started
 * before the notebooks are read, which takes as long on the other core:
 * the first figure, drawn once the first cells have run, no longer waits
 * for it.  0 if started (join *th when done), -1 if no thread could be had.
 */
int nb_fonts_start(pthread_t *th);

#endif
