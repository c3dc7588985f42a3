/*
 * diag.h - source locations and error records.
 *
 * Every error nbrun reports carries the location of the YAML node at fault,
 * printed in the GNU form "FILE:LINE:COL: error: MESSAGE" (1-based line and
 * column, as editors and CI log parsers expect).  Messages start in lower
 * case, put the problem first, quote names with '...', and say what was
 * expected and what was found.
 *
 * Functions that can fail take an nb_err *, fill it through nb_err_set()
 * and return -1 (or NULL); nb_err_set() itself returns -1 so that
 * "return nb_err_set(e, loc, ...);" reports and propagates in one line.
 * An nb_err owns its strings, including a copy of the file name of its
 * location (so it outlives the notebook); nb_err_clear() frees them.
 */
#ifndef NB_DIAG_H
#define NB_DIAG_H

#include <stdio.h>

#include "util.h"

typedef struct nb_loc {
	const char *file; /* borrowed; NULL when unknown */
	int line, col;    /* 1-based; 0 when unknown */
} nb_loc;

#define NB_NOLOC ((nb_loc){NULL, 0, 0})

typedef struct nb_err {
	int set;
	nb_loc loc;
	char *msg;
	nb_loc note_loc;
	char *note; /* optional second line ("note: ...") */
	char *file, *note_file; /* owned copies of the locations' file names */
} nb_err;

#define NB_ERR_INIT {0, {NULL, 0, 0}, NULL, {NULL, 0, 0}, NULL, NULL, NULL}

int nb_err_set(nb_err *e, nb_loc loc, const char *fmt, ...) NB_PRINTF(3, 4);
int nb_err_vset(nb_err *e, nb_loc loc, const char *fmt, va_list ap);
/* Attach a note line to an error already set. */
void nb_err_note(nb_err *e, nb_loc loc, const char *fmt, ...) NB_PRINTF(3, 4);
/* Prefix the message ("cell 'x': " + old message). */
void nb_err_prefix(nb_err *e, const char *fmt, ...) NB_PRINTF(2, 3);
/* Give the error a location if it has none yet. */
void nb_err_locate(nb_err *e, nb_loc loc);
void nb_err_clear(nb_err *e);
/* Format as "FILE:LINE:COL: error: MSG\n" (+ the note line) into b. */
void nb_err_format(const nb_err *e, nb_buf *b);
void nb_err_print(FILE *f, const nb_err *e);

#endif
