/*
 * plot_text.h - text and TeX-like math laid out with pango, for figures
 * and for the PDF report.
 *
 * A text is laid out once into pieces (runs of glyphs in one font at an
 * offset from the origin) and rules (fraction bars, radical overlines),
 * then measured or drawn.  Outside $...$ text is upright DejaVu Sans;
 * inside, letters are italic, digits and punctuation upright, with
 * sub- and superscripts (stacked when both are given, as TeX does),
 * Greek letters, \mathbf, \mathrm, \text, \frac, \sqrt, accents and the
 * common operators and symbols.
 */
#ifndef NB_PLOT_TEXT_H
#define NB_PLOT_TEXT_H

#include <cairo.h>
#include <pango/pangocairo.h>

#include "plot.h"
#include "util.h"

typedef struct pl_piece {
	char *text;
	int style;       /* 0 roman, 1 italic, 2 bold, 3 bold italic */
	double size;     /* pt */
	double x, y;     /* origin of the baseline, y up */
} pl_piece;

typedef struct pl_rule {
	double x, y, w, h; /* y up: bottom edge */
} pl_rule;

typedef struct pl_tl {
	pl_piece *p;
	size_t np, capp;
	pl_rule *r;
	size_t nr, capr;
	double width, ascent, descent; /* the box, ascent and descent at least those of "lp" */
	const char *family;            /* the font family (static), NULL for DejaVu Sans */
} pl_tl;

/*
 * nbrun's fontconfig set up (its font folders' caches read: about 5 ms),
 * once; the first pl_text_context does it otherwise, and waits for a call
 * still under way.
 */
void pl_text_prepare(void);
/*
 * A new pango context for figures and the report: this thread's font map,
 * 72 units per inch (sizes are points), glyph metrics and outlines unhinted.
 */
PangoContext *pl_text_context(void);
/*
 * Lay l out now, holding the lock every thread's layouts are computed under.
 * Pango computes a font's metrics when a thread's layout first uses the font,
 * and while it does, a flag shared by all threads (in pangocairo's metrics
 * code) makes another thread's computation at that moment skip the average
 * character width, which pango's line breaking uses: justified paragraphs
 * then broke differently from one run to the next.  Call it once a layout's
 * text and attributes are set, before measuring or drawing it (again after
 * changing them); nothing is computed when the layout is already laid out.
 */
void pl_layout_settle(PangoLayout *l);
pl_tl *pl_tl_layout(PangoContext *pc, const char *s, double size);
/* pl_tl_layout keeps its layouts (per thread) apart by the context's matrix and by this
 * datum on the context (g_object_set_data), the kind of surface it draws on, as a
 * GINT_TO_POINTER of a positive number; layouts for different kinds may differ. */
#define PL_TL_TARGET "nbrun-tl-target"
/*
 * Math alone (the text between the dollars) in the given font family
 * (static; NULL for DejaVu Sans).  display lays it out in TeX's display
 * style: sums and products larger, with their limits above and below, and
 * fractions at full size.
 */
pl_tl *pl_tl_math(PangoContext *pc, const char *src, double size, const char *family, int display);
void pl_tl_free(pl_tl *t);
/*
 * Math (the text between the dollars) as plain Unicode text, for places that
 * hold no drawing (a PDF outline, a table of contents): symbols as their
 * characters, sub- and superscripts of digits and a few letters as Unicode's,
 * others written _x and ^x, \frac{a}{b} as a/b, \sqrt{x} as √x, fonts and
 * accents as their argument, groups and spacing commands dropped.  Appended
 * to out.
 */
void pl_tl_plain(const char *src, nb_buf *out);
/*
 * Draw with the baseline origin at (x, y) (cairo coordinates, y down),
 * rotated by angle radians counter-clockwise about the origin.
 */
void pl_tl_draw(cairo_t *cr, PangoContext *pc, const pl_tl *t, double x, double y, double angle, pl_rgba c);

#endif
