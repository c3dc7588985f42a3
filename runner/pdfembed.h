/*
 * pdfembed.h - figures' PDF files drawn on the pages of a PDF document.
 *
 * The PDF report shows every figure that nbrun also writes as a PDF file.
 * Rather than have cairo emit each figure's drawing a second time for the
 * report, the report leaves the figure's place empty and nb_pdf_embed()
 * copies the figure file's page into the report as a form XObject: its
 * content stream as it is (compressed), and every object its resources
 * reach (fonts, graphics states, patterns, images), renumbered after the
 * report's own objects; an object identical to one copied before (the same
 * font subset in two figures, say) is shared, not copied again.  Each page with figures gets them drawn after its
 * own content, and the document gets one new cross-reference table.
 *
 * Both documents must be as cairo writes them: one revision with a
 * cross-reference table (not a stream), no encryption, the figure on a
 * single page with a single content stream.  Anything else is refused with
 * a reason, the document left as it was; the caller then draws the figures
 * itself.
 *
 * The new table also mends one flaw of cairo 1.16's: with links in a
 * document it lists objects it never writes (numbers it set aside for their
 * structure elements), at a wrong offset, and readers report the file as
 * damaged.  Such objects are listed as free; so nb_pdf_embed() with no
 * figures still rewrites a document that has them.
 */
#ifndef NB_PDFEMBED_H
#define NB_PDFEMBED_H

#include <stddef.h>

#include "util.h"

typedef struct nb_pdf_place {
	int page;           /* 0-based page of the document */
	double x, y;        /* where the figure's top left corner goes: points from the page's top left */
	double scale;       /* the figure's size on the page over its size in its file */
	const char *pdf;    /* the figure's PDF file, in memory */
	size_t len;
} nb_pdf_place;

/* Draw each figure of pl[0..n) on its page of the PDF in doc, rewriting doc; 0, or -1 with the
 * reason appended to why and doc unchanged. */
int nb_pdf_embed(nb_buf *doc, const nb_pdf_place *pl, size_t n, nb_buf *why);

#endif
