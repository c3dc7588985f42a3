/*
 * check_pdf.c - figures' PDF files copied into a PDF document (pdfembed.c).
 *
 * The documents and figures are written by cairo here, as nbrun writes its
 * report and figure files; the results are read back: every entry of the
 * new cross-reference table must be at its object, the figures' forms and
 * the pages' drawing streams as expected.  Refusals give their reason and
 * leave the document as it was; damaged figures are refused, never a crash
 * (the suite runs under AddressSanitizer).
 */
#define _GNU_SOURCE
#include <string.h>

#include <cairo-pdf.h>
#include <cairo.h>

#include "pdfembed.h"
#include "testutil.h"

static cairo_status_t to_buf(void *closure, const unsigned char *data, unsigned int len)
{
	nb_buf_add(closure, (const char *)data, len);
	return CAIRO_STATUS_SUCCESS;
}

static void words(cairo_t *cr, double x, double y, const char *text)
{
	cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_font_size(cr, 10);
	cairo_move_to(cr, x, y);
	cairo_show_text(cr, text);
}

/* A figure of w x h points on `pages` pages: a filled rectangle and a word (a font to copy). */
static void figure(nb_buf *out, double w, double h, int pages)
{
	cairo_surface_t *s = cairo_pdf_surface_create_for_stream(to_buf, out, w, h);
	cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATE_DATE, "2000-01-01T00:00:00Z");
	cairo_t *cr = cairo_create(s);
	for (int p = 0; p < pages; p++) {
		cairo_set_source_rgb(cr, 0.2, 0.4, 0.8);
		cairo_rectangle(cr, 5, 5, w / 2, h / 2);
		cairo_fill(cr);
		words(cr, 5, h - 5, "figure");
		cairo_show_page(cr);
	}
	cairo_destroy(cr);
	cairo_surface_finish(s);
	cairo_surface_destroy(s);
}

/* A document of two 200 x 300 pages, the first with a link to the second, as the report's
 * contents have (cairo 1.16 then lists objects it never writes). */
static void document(nb_buf *out)
{
	cairo_surface_t *s = cairo_pdf_surface_create_for_stream(to_buf, out, 200, 300);
	cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATE_DATE, "2000-01-01T00:00:00Z");
	cairo_t *cr = cairo_create(s);
	cairo_set_source_rgb(cr, 0, 0, 0);
	cairo_tag_begin(cr, CAIRO_TAG_LINK, "rect=[10 10 100 20] page=2 pos=[10 10]");
	cairo_tag_end(cr, CAIRO_TAG_LINK);
	words(cr, 10, 20, "page one");
	cairo_show_page(cr);
	words(cr, 10, 20, "page two");
	cairo_show_page(cr);
	cairo_destroy(cr);
	cairo_surface_finish(s);
	cairo_surface_destroy(s);
}

/* Read the cross-reference table back: 1 if every object in use is where it says, with the
 * numbers of objects and of free entries (object 0 aside). */
static int table_ok(const nb_buf *doc, size_t *nobj, size_t *nfree)
{
	const char *s = doc->s, *sx = NULL;
	for (const char *p = s; (p = memmem(p, doc->len - (size_t)(p - s), "startxref", 9)); p++)
		sx = p;
	if (!sx)
		return 0;
	size_t x = strtoul(sx + 9, NULL, 10), first, n;
	if (x >= doc->len || sscanf(s + x, "xref\n%zu %zu\n", &first, &n) != 2 || first != 0)
		return 0;
	const char *e = strchr(strchr(s + x, '\n') + 1, '\n') + 1;
	*nobj = n;
	*nfree = 0;
	for (size_t k = 0; k < n; k++, e += 20) {
		size_t off = strtoul(e, NULL, 10);
		if (e[17] == 'f') {
			*nfree += k > 0;
			continue;
		}
		char want[32];
		int len = snprintf(want, sizeof want, "%zu 0 obj", k);
		if (e[17] != 'n' || off >= doc->len || memcmp(s + off, want, (size_t)len) != 0)
			return 0;
	}
	return 1;
}

static size_t count(const nb_buf *doc, const char *needle)
{
	size_t n = 0, k = strlen(needle);
	for (const char *p = doc->s; (p = memmem(p, doc->len - (size_t)(p - doc->s), needle, k)); p += k)
		n++;
	return n;
}

static int contains(const nb_buf *doc, const char *needle)
{
	return memmem(doc->s, doc->len, needle, strlen(needle)) != NULL;
}

START_TEST(figures_drawn_on_their_pages)
{
	nb_buf doc = NB_BUF_INIT, a = NB_BUF_INIT, b = NB_BUF_INIT, why = NB_BUF_INIT;
	document(&doc);
	figure(&a, 100, 50, 1);
	figure(&b, 80, 60, 1);
	size_t fonts = count(&doc, "/FontFile") + count(&a, "/FontFile");
	nb_pdf_place pl[] = {
		{0, 20, 30, 0.5, a.s, a.len},
		{1, 0, 0, 1, a.s, a.len},
		{1, 12.5, 100, 1.25, b.s, b.len},
	};
	ck_assert_int_eq(nb_pdf_embed(&doc, pl, 3, &why), 0);
	ck_assert_str_eq(nb_buf_str(&why), "");
	size_t nobj, nfree;
	ck_assert(table_ok(&doc, &nobj, &nfree));
	/* a form per figure, figure a's shared by its two places; b's font subset is a's (the same
	 * word in the same font), copied once */
	ck_assert_uint_eq(count(&doc, "/Subtype /Form"), 2);
	ck_assert_uint_eq(count(&doc, "/FontFile"), fonts);
	const char *x1 = memmem(doc.s, doc.len, "/nbfig1 ", 8), *x2 = memmem(doc.s, doc.len, "/nbfig2 ", 8);
	ck_assert(x1 && x2 && strtoul(x1 + 8, NULL, 10) == strtoul(x2 + 8, NULL, 10));
	/* top left corners: (x, page height - y - scale x figure height) in PDF's coordinates */
	ck_assert(contains(&doc, "stream\nQ\nq 0.5 0 0 0.5 20 245 cm /nbfig1 Do Q\n\nendstream"));
	ck_assert(contains(&doc, "stream\nQ\nq 1 0 0 1 0 250 cm /nbfig2 Do Q\nq 1.25 0 0 1.25 12.5 125 cm /nbfig3 Do Q\n"));
	ck_assert_uint_eq(count(&doc, "/XObject << /nbfig"), 2);
	/* the result reads as cairo's own: placing nothing leaves it as it is */
	nb_buf again = NB_BUF_INIT;
	nb_buf_add(&again, doc.s, doc.len);
	ck_assert_int_eq(nb_pdf_embed(&again, NULL, 0, &why), 0);
	ck_assert_uint_eq(again.len, doc.len);
	ck_assert(!memcmp(again.s, doc.s, doc.len));
	nb_buf_release(&again);
	nb_buf_release(&doc);
	nb_buf_release(&a);
	nb_buf_release(&b);
	nb_buf_release(&why);
}
END_TEST

START_TEST(table_mended)
{
	nb_buf doc = NB_BUF_INIT, why = NB_BUF_INIT;
	document(&doc);
	size_t nobj, nfree, before = doc.len;
	int cairo_flawed = !table_ok(&doc, &nobj, &nfree);
	ck_assert_int_eq(nb_pdf_embed(&doc, NULL, 0, &why), 0);
	ck_assert(table_ok(&doc, &nobj, &nfree));
	/* cairo 1.16 lists unwritten objects; they become free entries, nothing else changes size
	 * but the table's */
	if (cairo_flawed)
		ck_assert_uint_gt(nfree, 0);
	else
		ck_assert_uint_eq(doc.len, before);
	nb_buf_release(&doc);
	nb_buf_release(&why);
}
END_TEST

/* A PDF file of the objects body[0..n) (numbered from 1), its table and trailer computed. */
static void handmade(nb_buf *out, const char *const *body, size_t n)
{
	size_t *at = nb_xcalloc(n + 1, sizeof *at);
	nb_buf_puts(out, "%PDF-1.5\n");
	for (size_t k = 0; k < n; k++) {
		at[k] = out->len;
		nb_buf_printf(out, "%zu 0 obj\n%s\nendobj\n", k + 1, body[k]);
	}
	size_t x = out->len;
	nb_buf_printf(out, "xref\n0 %zu\n0000000000 65535 f \n", n + 1);
	for (size_t k = 0; k < n; k++)
		nb_buf_printf(out, "%010zu 00000 n \n", at[k]);
	nb_buf_printf(out, "trailer\n<< /Size %zu /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n", n + 1, x);
	free(at);
}

/* Objects that refer to each other are copied once each, still referring to each other. */
START_TEST(cycles_copied)
{
	const char *body[] = {
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 50 40] /Contents 4 0 R /Resources << /Properties << /a 5 0 R >> >> >>",
		"<< /Length 6 >>\nstream\n0 0 m\n\nendstream",
		"<< /Next 6 0 R >>",
		"<< /Back 5 0 R >>",
	};
	nb_buf doc = NB_BUF_INIT, fig = NB_BUF_INIT, why = NB_BUF_INIT;
	document(&doc);
	handmade(&fig, body, NB_ARRAY_LEN(body));
	nb_pdf_place pl = {0, 0, 0, 1, fig.s, fig.len};
	ck_assert_int_eq(nb_pdf_embed(&doc, &pl, 1, &why), 0);
	size_t nobj, nfree, next = 0, back = 0, back_num = 0;
	ck_assert(table_ok(&doc, &nobj, &nfree));
	const char *p = memmem(doc.s, doc.len, "<< /Next ", 9), *q = memmem(doc.s, doc.len, "<< /Back ", 9);
	ck_assert(p && q);
	next = strtoul(p + 9, NULL, 10);
	back = strtoul(q + 9, NULL, 10);
	/* q's object header: "N 0 obj\n" just before it */
	const char *h = q - 1;
	while (h > doc.s && h[-1] != '\n')
		h--;
	back_num = strtoul(h, NULL, 10);
	const char *g = p - 1;
	while (g > doc.s && g[-1] != '\n')
		g--;
	ck_assert_uint_eq(next, back_num);
	ck_assert_uint_eq(back, strtoul(g, NULL, 10));
	ck_assert_uint_ne(back, back_num);
	ck_assert_uint_eq(count(&doc, "<< /Next "), 1);
	ck_assert(contains(&doc, "/Properties << /a "));
	nb_buf_release(&doc);
	nb_buf_release(&fig);
	nb_buf_release(&why);
}
END_TEST

/* nb_pdf_embed refuses with reason `want` and leaves the document as it was. */
static void refused(const nb_buf *doc, const nb_pdf_place *pl, size_t n, const char *want)
{
	nb_buf copy = NB_BUF_INIT, why = NB_BUF_INIT;
	nb_buf_add(&copy, doc->s, doc->len);
	ck_assert_int_eq(nb_pdf_embed(&copy, pl, n, &why), -1);
	ck_assert_str_eq(nb_buf_str(&why), want);
	ck_assert_uint_eq(copy.len, doc->len);
	ck_assert(!memcmp(copy.s, doc->s, doc->len));
	nb_buf_release(&copy);
	nb_buf_release(&why);
}

START_TEST(refusals)
{
	nb_buf doc = NB_BUF_INIT, fig = NB_BUF_INIT, two = NB_BUF_INIT, junk = NB_BUF_INIT, xs = NB_BUF_INIT;
	document(&doc);
	figure(&fig, 100, 50, 1);
	figure(&two, 100, 50, 2);
	nb_pdf_place pl = {0, 0, 0, 1, two.s, two.len};
	refused(&doc, &pl, 1, "figure 1: 2 pages, not one");
	pl = (nb_pdf_place){2, 0, 0, 1, fig.s, fig.len};
	refused(&doc, &pl, 1, "the document: figure 1 is for page 3 of 2");
	nb_buf_puts(&junk, "This is a text file, not a PDF file at all.\n");
	pl = (nb_pdf_place){0, 0, 0, 1, junk.s, junk.len};
	refused(&doc, &pl, 1, "figure 1: not a PDF file");
	refused(&junk, NULL, 0, "the document: not a PDF file");
	/* a cross-reference stream (PDF 1.5's compressed form, which cairo 1.16 does not write) */
	nb_buf_puts(&xs, "%PDF-1.5\n1 0 obj\n<< /Type /XRef /Size 2 /W [1 2 1] /Length 0 >>\nstream\n\nendstream\n"
			 "endobj\nstartxref\n9\n%%EOF\n");
	pl = (nb_pdf_place){0, 0, 0, 1, xs.s, xs.len};
	refused(&doc, &pl, 1,
		"figure 1: no cross-reference table where 'startxref' points (a cross-reference stream?)");
	/* a figure whose page has lost its content stream's length */
	char *at = memmem(fig.s, fig.len, "/Length", 7);
	ck_assert_ptr_nonnull(at);
	memcpy(at, "/Lengtx", 7);
	pl = (nb_pdf_place){0, 0, 0, 1, fig.s, fig.len};
	nb_buf copy = NB_BUF_INIT, why = NB_BUF_INIT;
	nb_buf_add(&copy, doc.s, doc.len);
	ck_assert_int_eq(nb_pdf_embed(&copy, &pl, 1, &why), -1);
	ck_assert_str_eq(nb_buf_str(&why), "figure 1: object 4: a stream without its length");
	nb_buf_release(&copy);
	nb_buf_release(&why);
	nb_buf_release(&doc);
	nb_buf_release(&fig);
	nb_buf_release(&two);
	nb_buf_release(&junk);
	nb_buf_release(&xs);
}
END_TEST

/* Cut short or with a byte changed anywhere, a figure is copied or refused, never read out of
 * bounds; and whatever is copied leaves a table that reads back. */
START_TEST(damaged_figures)
{
	nb_buf doc = NB_BUF_INIT, fig = NB_BUF_INIT;
	document(&doc);
	figure(&fig, 100, 50, 1);
	size_t refused_n = 0, copies = 0;
	for (size_t cut = 0; cut < fig.len; cut += 37) {
		for (int flip = 0; flip < 2; flip++) {
			nb_buf f = NB_BUF_INIT, d = NB_BUF_INIT, why = NB_BUF_INIT;
			if (flip) {
				nb_buf_add(&f, fig.s, fig.len);
				f.s[cut] = (char)(f.s[cut] ^ 0x15);
			} else {
				nb_buf_add(&f, fig.s, cut); /* a copy of its own: ASan sees reads past it */
			}
			nb_buf_add(&d, doc.s, doc.len);
			nb_pdf_place pl = {1, 0, 0, 1, f.s, f.len};
			if (nb_pdf_embed(&d, &pl, 1, &why) == 0) {
				size_t nobj, nfree;
				ck_assert(table_ok(&d, &nobj, &nfree));
				copies++;
			} else {
				ck_assert_uint_gt(why.len, 0);
				refused_n++;
			}
			nb_buf_release(&f);
			nb_buf_release(&d);
			nb_buf_release(&why);
		}
	}
	ck_assert_uint_gt(refused_n, 0);
	ck_assert_uint_gt(copies, 0);
	nb_buf_release(&doc);
	nb_buf_release(&fig);
}
END_TEST

static Suite *pdf_suite(void)
{
	Suite *s = suite_create("pdf");
	TCase *tc = tcase_create("embed");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, figures_drawn_on_their_pages);
	tcase_add_test(tc, table_mended);
	tcase_add_test(tc, cycles_copied);
	tcase_add_test(tc, refusals);
	tcase_add_test(tc, damaged_figures);
	suite_add_tcase(s, tc);
	return s;
}

NB_CHECK_MAIN(pdf_suite)
