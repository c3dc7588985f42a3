/*
 * report_pdf.c - the PDF report: the run laid out on pages with cairo and
 * pango, without LaTeX or a browser.
 *
 * Prose cells are markdown, parsed by md4c; its $...$ and $$...$$ spans go
 * through the math engine the figures use (plot_text.c), inline math as
 * pango shapes inside the line, display math centred on its own line.
 * Kernel cells show their source and printed output in monospace blocks
 * that break between lines at a page end.  Figures stay vector graphics,
 * scaled to the text width and kept with their caption: a figure written
 * as a PDF file is that file's page, copied into the report once both are
 * written (pdfembed.c), so that cairo does not emit its drawing twice;
 * frames of animations, and figures without a PDF file, are replayed from
 * their cairo recordings.  Should the copy fail (a cairo writing PDF in a
 * form pdfembed.c does not read), the report is drawn again with every
 * figure replayed.
 *
 * A first pass reads the headings from the markdown alone.  With a table
 * of contents, the layout code then runs twice: once to measure, finding the
 * pages the headings fall on after the contents (whose height depends on the
 * headings' texts only, not on their pages), and once to draw, with those
 * page numbers in the contents and the links; without, it only draws.  The
 * kernel cells' monospace blocks and the paragraphs are laid out once, in
 * the measuring pass, and kept for the drawing.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cairo-pdf.h>
#include <cairo.h>
#include <hyphen.h>
#include <md4c.h>
#include <pango/pangocairo.h>

#include "hyphen_table.h"
#include "pdfembed.h"
#include "plot_text.h"
#include "run.h"
#include "util.h"

#define SERIF "DejaVu Serif"
#define SANS "DejaVu Sans"
#define MONO "DejaVu Sans Mono"
#define MM (72 / 25.4)

typedef struct rgb {
	double r, g, b;
} rgb;

static const rgb INK = {0.08, 0.08, 0.08}, GREY = {0.4, 0.4, 0.4}, LINK = {0.1, 0.33, 0.65};

/* A heading: its text for the contents and the outline, and where it fell. */
typedef struct heading {
	int level;
	char *text;
	int page;
	double y;
} heading;

/* A link inside a paragraph: bytes [start, end) of its text. */
typedef struct link {
	int start, end;
	char *uri;
} mdlink;

/* One paragraph's inline content as md4c hands it over. */
typedef struct inl {
	nb_buf text;        /* what pango lays out; U+FFFC where math sits */
	nb_buf plain;       /* the same for the contents and the outline (math as plain text) */
	PangoAttrList *attrs;
	pl_tl **math;       /* inline math boxes, owned */
	size_t nmath, capmath;
	mdlink *links;
	size_t nlinks, caplinks;
	int span_start[16]; /* open spans' start offsets */
	int nspan;
	nb_buf mathsrc;     /* the math span being read */
	int in_math;        /* 1 inline, 2 display */
	nb_buf imgsrc;      /* the image span being read: its src; text is the alt */
	int in_img;
	nb_buf alt;
} inl;

/*
 * A paragraph's layout from the measuring pass, kept for the drawing pass:
 * the n-th paragraph laid out in one pass is the n-th in the next (the same
 * markdown, read in the same order), so it is used again when its text and
 * settings are the same.  It keeps the math boxes its shapes draw.
 */
typedef struct kept_layout {
	PangoLayout *l;
	char *text;
	size_t len;
	const char *family;
	double size, w;
	int bold, justify;
	pl_tl **math; /* owned */
	size_t nmath;
} kept_layout;

/* A table being read: its cells in row order. */
typedef struct tcell {
	inl c;
	int head, align; /* align: 0 left, 1 centre, 2 right */
} tcell;

typedef struct table {
	tcell *cells;
	size_t n, cap;
	size_t cols, rows, cur_col;
} table;

/* A list or quote around the current block. */
typedef struct container {
	int kind;       /* 'u' bullet list, 'o' numbered list, 'q' quote */
	int tight;
	unsigned next;  /* the next item's number */
	double indent;
} container;

typedef struct doc {
	const nb_run *r;
	int draw;                  /* the drawing pass */
	cairo_surface_t *surf;
	cairo_t *cr;
	PangoContext *pc;
	double pw, ph, margin, fs; /* page, margin, body font size */
	double left, width, top, bottom; /* the text block */
	double y;                  /* where the next block starts */
	double space;              /* space wanted before the next block */
	int page;                  /* 1-based */
	int used;                  /* something placed on this page */
	int figno;
	heading *heads;            /* found in this pass */
	size_t nheads, caphead;
	const heading *known;      /* from the previous pass: for the contents */
	size_t nknown;
	int contents;              /* the contents are shown */
	int outline_ids[7];
	/* markdown state */
	container ctr[16];
	int nctr;
	char *marker;              /* the list marker the next block starts with */
	inl cur;
	int in_heading;            /* level, while inside a heading */
	int in_code;
	nb_buf code;
	table *tab;
	int in_cell;
	const char *basedir;       /* the notebook's folder, for images */
	int collect;               /* the first pass: only read the headings from the markdown */
	HyphenDict *hyph;          /* English hyphenation patterns (libhyphen), or NULL */
	int in_code_span;
	struct mono **code_cache;  /* kernel cells' source, output and error blocks, kept between passes */
	struct mono_font *mono;    /* the code blocks' font for printable ASCII (mono_font), once looked up */
	kept_layout *kept;         /* paragraphs' layouts from the measuring pass */
	size_t nkept, capkept;
	size_t nlaid;              /* paragraphs laid out in this pass */
	int embed;                 /* figures with a PDF file are left for nb_pdf_embed */
	nb_pdf_place *places;      /* where they go */
	const char **place_file;   /* their files, relative to the run's folder */
	size_t nplaces, capplaces, capfiles;
} doc;

/* ------------------------------------------------------------ pages */

/* Layouts measured and drawn once laid out under the threads' common lock (pl_layout_settle). */
static void layout_extents(PangoLayout *l, PangoRectangle *ink, PangoRectangle *logical)
{
	pl_layout_settle(l);
	pango_layout_get_extents(l, ink, logical);
}

static int layout_baseline(PangoLayout *l)
{
	pl_layout_settle(l);
	return pango_layout_get_baseline(l);
}

static void layout_show(cairo_t *cr, PangoLayout *l)
{
	pl_layout_settle(l);
	pango_cairo_show_layout(cr, l);
}

static PangoLayout *new_layout(doc *D, const char *family, double size, int bold, int italic)
{
	PangoLayout *l = pango_layout_new(D->pc);
	PangoFontDescription *fd = pango_font_description_new();
	pango_font_description_set_family(fd, family);
	pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
	if (bold)
		pango_font_description_set_weight(fd, PANGO_WEIGHT_BOLD);
	if (italic)
		pango_font_description_set_style(fd, PANGO_STYLE_ITALIC);
	pango_layout_set_font_description(l, fd);
	pango_font_description_free(fd);
	return l;
}

static void page_footer(doc *D)
{
	if (!D->draw)
		return;
	PangoLayout *l = new_layout(D, SERIF, 0.85 * D->fs, 0, 0);
	char num[32];
	snprintf(num, sizeof num, "%d", D->page);
	pango_layout_set_text(l, num, -1);
	PangoRectangle lr;
	layout_extents(l, NULL, &lr);
	cairo_set_source_rgb(D->cr, GREY.r, GREY.g, GREY.b);
	cairo_move_to(D->cr, D->left + (D->width - lr.width / (double)PANGO_SCALE) / 2,
		      D->bottom + 0.5 * D->margin - layout_baseline(l) / (double)PANGO_SCALE);
	layout_show(D->cr, l);
	g_object_unref(l);
}

/* Above the text of every page but the first: the notebook's title, small and grey, over a hairline. */
static void page_header(doc *D)
{
	if (!D->draw || D->page < 2)
		return;
	PangoLayout *l = new_layout(D, SANS, 0.8 * D->fs, 0, 0);
	pango_layout_set_text(l, D->r->nb->title, -1);
	pango_layout_set_width(l, (int)(D->width * PANGO_SCALE));
	pango_layout_set_ellipsize(l, PANGO_ELLIPSIZE_END);
	double base = D->top - 0.45 * D->margin;
	cairo_set_source_rgb(D->cr, GREY.r, GREY.g, GREY.b);
	cairo_move_to(D->cr, D->left, base - layout_baseline(l) / (double)PANGO_SCALE);
	layout_show(D->cr, l);
	g_object_unref(l);
	cairo_set_source_rgb(D->cr, 0.82, 0.82, 0.82);
	cairo_rectangle(D->cr, D->left, base + 0.35 * D->fs, D->width, 0.4);
	cairo_fill(D->cr);
}

static void new_page(doc *D)
{
	page_footer(D);
	if (D->draw)
		cairo_show_page(D->cr);
	D->page++;
	D->y = D->top;
	D->used = 0;
	D->space = 0;
	page_header(D);
}

/* Apply the pending space before a block (none at the top of a page). */
static void open_block(doc *D)
{
	if (D->used)
		D->y += D->space;
	D->space = 0;
}

static void want_space(doc *D, double s)
{
	if (s > D->space)
		D->space = s;
}

/* Room for h more points on this page?  If not, and the page has content, start a new one. */
static void need(doc *D, double h)
{
	if (D->used && D->y + h > D->bottom + 0.01)
		new_page(D);
}

static double indent_of(const doc *D)
{
	double x = 0;
	for (int i = 0; i < D->nctr; i++)
		x += D->ctr[i].indent;
	return x;
}

static int quote_depth(const doc *D)
{
	int q = 0;
	for (int i = 0; i < D->nctr; i++)
		q += D->ctr[i].kind == 'q';
	return q;
}

/* Bars at the left of quoted text from y0 to y1. */
static void quote_bars(doc *D, double y0, double y1)
{
	if (!D->draw)
		return;
	double x = D->left;
	for (int i = 0; i < D->nctr; i++) {
		if (D->ctr[i].kind == 'q') {
			cairo_set_source_rgb(D->cr, 0.78, 0.78, 0.78);
			cairo_rectangle(D->cr, x + 2, y0, 2.5, y1 - y0);
			cairo_fill(D->cr);
		}
		x += D->ctr[i].indent;
	}
}

/* ---------------------------------------------------------- text */


/* Lines of a layout: top, bottom and baseline in layout coordinates. */
typedef struct lines {
	int n;
	PangoLayoutLine **line;
	double *top, *bot, *base;
} lines;

static lines get_lines(PangoLayout *l)
{
	lines L = {0};
	pl_layout_settle(l);
	L.n = pango_layout_get_line_count(l);
	L.line = nb_xcalloc((size_t)L.n + 1, sizeof *L.line);
	L.top = nb_xcalloc((size_t)L.n + 1, sizeof *L.top);
	L.bot = nb_xcalloc((size_t)L.n + 1, sizeof *L.bot);
	L.base = nb_xcalloc((size_t)L.n + 1, sizeof *L.base);
	PangoLayoutIter *it = pango_layout_get_iter(l);
	int i = 0;
	do {
		int y0, y1;
		pango_layout_iter_get_line_yrange(it, &y0, &y1);
		L.line[i] = pango_layout_iter_get_line_readonly(it);
		L.top[i] = y0 / (double)PANGO_SCALE;
		L.bot[i] = y1 / (double)PANGO_SCALE;
		L.base[i] = pango_layout_iter_get_baseline(it) / (double)PANGO_SCALE;
		i++;
	} while (i < L.n && pango_layout_iter_next_line(it));
	pango_layout_iter_free(it);
	L.n = i;
	return L;
}

static void free_lines(lines *L)
{
	free(L->line);
	free(L->top);
	free(L->bot);
	free(L->base);
}

/* How many lines from i fit in avail points (at least one when the page is empty). */
static int lines_fitting(const lines *L, int i, double avail)
{
	int j = i;
	while (j < L->n && L->bot[j] - L->top[i] <= avail + 0.01)
		j++;
	return j - i;
}

/* Where the page breaks a run of lines: from line i, how many to put on this page. */
static int break_lines(doc *D, const lines *L, int i, double avail)
{
	int fit = lines_fitting(L, i, avail);
	int left = L->n - i;
	if (fit >= left)
		return left;
	if (left >= 2 && fit >= left - 1 && fit >= 3)
		return left - 2; /* no single last line alone on the next page */
	if (fit < 2 && D->used)
		return 0;        /* not one line alone at the bottom: all to the next page */
	return fit ? fit : 1;
}

/* The math engine draws inline math where pango left room for it. */
static void draw_shape(cairo_t *cr, PangoAttrShape *attr, gboolean do_path, gpointer data)
{
	doc *D = data;
	if (do_path || !attr->data)
		return;
	double x, y;
	cairo_get_current_point(cr, &x, &y);
	double r, g, b, a;
	if (cairo_pattern_get_rgba(cairo_get_source(cr), &r, &g, &b, &a) != CAIRO_STATUS_SUCCESS)
		r = g = b = 0, a = 1;
	pl_tl_draw(cr, D->pc, attr->data, x, y, 0, (pl_rgba){r, g, b, a});
}

static void inl_init(inl *c)
{
	memset(c, 0, sizeof *c);
	c->attrs = pango_attr_list_new();
}

static void inl_release(inl *c)
{
	nb_buf_release(&c->text);
	nb_buf_release(&c->plain);
	nb_buf_release(&c->mathsrc);
	nb_buf_release(&c->imgsrc);
	nb_buf_release(&c->alt);
	if (c->attrs)
		pango_attr_list_unref(c->attrs);
	for (size_t i = 0; i < c->nmath; i++) {
		pl_tl_free(c->math[i]);
		free(c->math[i]);
	}
	free(c->math);
	for (size_t i = 0; i < c->nlinks; i++)
		free(c->links[i].uri);
	free(c->links);
	memset(c, 0, sizeof *c);
}

static int inl_empty(const inl *c)
{
	for (size_t i = 0; i < c->text.len; i++)
		if (c->text.s[i] != ' ' && c->text.s[i] != '\n')
			return 0;
	return 1;
}

static void add_attr(inl *c, PangoAttribute *a, int start, int end)
{
	a->start_index = (guint)start;
	a->end_index = (guint)end;
	pango_attr_list_insert(c->attrs, a);
}

/* Inline math as a shape of the math box's size. */
static void inl_math(doc *D, inl *c, const char *src, double size)
{
	if (D->collect) { /* the headings' pass wants the text alone */
		nb_buf_puts(&c->text, "\xef\xbf\xbc");
		pl_tl_plain(src, &c->plain);
		return;
	}
	pl_tl *t = pl_tl_math(D->pc, src, size, SERIF, 0);
	NB_GROW(c->math, c->capmath, c->nmath + 1);
	c->math[c->nmath++] = t;
	PangoRectangle r = {0, (int)lround(-t->ascent * PANGO_SCALE), (int)lround(t->width * PANGO_SCALE),
			    (int)lround((t->ascent + t->descent) * PANGO_SCALE)};
	int start = (int)c->text.len;
	nb_buf_puts(&c->text, "\xef\xbf\xbc");
	add_attr(c, pango_attr_shape_new_with_data(&r, &r, t, NULL, NULL), start, (int)c->text.len);
	pl_tl_plain(src, &c->plain);
}

static void kept_free(kept_layout *k)
{
	g_object_unref(k->l);
	free(k->text);
	for (size_t i = 0; i < k->nmath; i++) {
		pl_tl_free(k->math[i]);
		free(k->math[i]);
	}
	free(k->math);
	memset(k, 0, sizeof *k);
}

/* A paragraph's layout at width w; justified unless told otherwise. */
static PangoLayout *inl_layout(doc *D, inl *c, const char *family, double size, int bold, double w, int justify)
{
	/* trailing white space would make an empty last line */
	while (c->text.len && (c->text.s[c->text.len - 1] == ' ' || c->text.s[c->text.len - 1] == '\n'))
		c->text.s[--c->text.len] = '\0';
	size_t n = D->nlaid++;
	kept_layout *k = n < D->nkept ? &D->kept[n] : NULL;
	if (k && k->len == c->text.len && !memcmp(k->text, c->text.s ? c->text.s : "", k->len) && !strcmp(k->family, family) &&
	    k->size == size && k->w == w && k->bold == bold && k->justify == justify)
		return g_object_ref(k->l);
	PangoLayout *l = new_layout(D, family, size, bold, 0);
	pango_layout_set_width(l, (int)(w * PANGO_SCALE));
	pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_justify(l, justify);
	pango_layout_set_line_spacing(l, 1.12f);
	pango_layout_set_text(l, c->text.s ? c->text.s : "", (int)c->text.len);
	pango_layout_set_attributes(l, c->attrs);
	if (!D->draw) { /* the measuring pass: kept, with the math its shapes point to */
		if (!k) {
			NB_GROW(D->kept, D->capkept, D->nkept + 1);
			k = &D->kept[D->nkept++];
			memset(k, 0, sizeof *k);
		} else {
			kept_free(k);
		}
		char *text = nb_xmalloc(c->text.len + 1);
		memcpy(text, c->text.s ? c->text.s : "", c->text.len);
		text[c->text.len] = '\0';
		*k = (kept_layout){g_object_ref(l), text, c->text.len, family, size, w, bold, justify, c->math, c->nmath};
		c->math = NULL;
		c->nmath = c->capmath = 0;
	}
	return l;
}

static void escape_attr(nb_buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\'' || *s == '\\')
			nb_buf_putc(b, '\\');
		nb_buf_putc(b, *s);
	}
}

/* Link areas on one drawn line whose baseline origin is (x, y). */
static void line_links(doc *D, const inl *c, PangoLayoutLine *line, double x, double y)
{
	PangoRectangle lr;
	pango_layout_line_get_extents(line, NULL, &lr);
	for (size_t k = 0; k < c->nlinks; k++) {
		const mdlink *lk = &c->links[k];
		int lo = line->start_index, hi = line->start_index + line->length;
		if (lk->end <= lo || lk->start >= hi)
			continue;
		int *ranges, n;
		pango_layout_line_get_x_ranges(line, lk->start > lo ? lk->start : lo, lk->end < hi ? lk->end : hi,
					       &ranges, &n);
		for (int q = 0; q < n; q++) {
			nb_buf a = NB_BUF_INIT;
			double x0 = x + ranges[2 * q] / (double)PANGO_SCALE, x1 = x + ranges[2 * q + 1] / (double)PANGO_SCALE;
			nb_buf_printf(&a, "rect=[%.2f %.2f %.2f %.2f] uri='", x0, y + lr.y / (double)PANGO_SCALE, x1 - x0,
				      lr.height / (double)PANGO_SCALE);
			escape_attr(&a, lk->uri);
			nb_buf_putc(&a, '\'');
			cairo_tag_begin(D->cr, CAIRO_TAG_LINK, a.s);
			cairo_tag_end(D->cr, CAIRO_TAG_LINK);
			nb_buf_release(&a);
		}
		g_free(ranges);
	}
}

/*
 * Flow a laid-out paragraph at x (from the text block's left) down the
 * pages, breaking between lines; the list marker, if any, beside its first line.
 */
static void flow_para(doc *D, PangoLayout *l, const inl *c, double x, const char *marker, rgb ink)
{
	lines L = get_lines(l);
	open_block(D);
	int i = 0;
	while (i < L.n) {
		int n = break_lines(D, &L, i, D->bottom - D->y);
		if (n == 0) {
			new_page(D);
			continue;
		}
		double y0 = D->y - L.top[i];
		if (D->draw) {
			cairo_set_source_rgb(D->cr, ink.r, ink.g, ink.b);
			for (int k = i; k < i + n; k++) {
				cairo_move_to(D->cr, D->left + x, y0 + L.base[k]);
				pango_cairo_show_layout_line(D->cr, L.line[k]);
				if (c && c->nlinks)
					line_links(D, c, L.line[k], D->left + x, y0 + L.base[k]);
			}
			if (marker && i == 0) {
				PangoLayout *m = new_layout(D, SERIF, D->fs, 0, 0);
				pango_layout_set_text(m, marker, -1);
				PangoRectangle mr;
				layout_extents(m, NULL, &mr);
				cairo_set_source_rgb(D->cr, ink.r, ink.g, ink.b);
				cairo_move_to(D->cr, D->left + x - 0.4 * D->fs - mr.width / (double)PANGO_SCALE,
					      y0 + L.base[0] - layout_baseline(m) / (double)PANGO_SCALE);
				layout_show(D->cr, m);
				g_object_unref(m);
			}
			quote_bars(D, y0 + L.top[i], y0 + L.bot[i + n - 1]);
		}
		D->y = y0 + L.bot[i + n - 1];
		D->used = 1;
		i += n;
		if (i < L.n)
			new_page(D);
	}
	free_lines(&L);
}

/* Plain text (not markdown) as a paragraph at the current indent, in one face. */
static void text_para(doc *D, const char *text, const char *family, double size, int bold, int italic, rgb ink)
{
	inl c;
	inl_init(&c);
	nb_buf_puts(&c.text, text);
	if (italic)
		add_attr(&c, pango_attr_style_new(PANGO_STYLE_ITALIC), 0, (int)c.text.len);
	PangoLayout *l = inl_layout(D, &c, family, size, bold, D->width - indent_of(D), 0);
	flow_para(D, l, NULL, indent_of(D), NULL, ink);
	g_object_unref(l);
	inl_release(&c);
}

/* ------------------------------------------------------------ blocks */

/* A monospace block: 's' source (shaded, framed), 'o' printed output (lightly shaded, a rule at its
 * left), 'e' an error (red). */
/* The height of a monospace block's first max_lines lines (all when fewer), padding included. */
/*
 * A monospace block's layout at the current indent; with a cache slot, made
 * once and kept for the later passes (the text and the width are the same).
 */
/*
 * Code blocks: the cells' source and printed output, in DejaVu Sans Mono,
 * broken between characters where a line is wider than the text.  Pango
 * lays a block out as it does prose (itemising, shaping each run with
 * HarfBuzz, finding line breaks), which took 5-10 ms of a report in the
 * shipped notebooks though a code block is mostly printable ASCII in a
 * monospaced face with neither kerning nor ligatures.  So pango lays out
 * the 95 printable ASCII characters once (mono_font), and a block made of
 * them alone whose lines all fit the width is placed from that: each
 * character the glyph and advance pango gave it, each line the height and
 * baseline pango gives a line, drawn as pango's cairo renderer draws a run
 * (cairo_show_text_glyphs, one cluster a character, so the PDF's text stays
 * searchable).  Anything else, a tab, a character past ASCII, a line to
 * break, goes through pango as before.  Either way the lines are the same.
 */
#define MONO_FIRST 32
#define MONO_COUNT 95 /* ' ' to '~' */

typedef struct mono_font {
	int usable;                            /* 0: every block goes through pango */
	cairo_scaled_font_t *font;
	unsigned long glyph[MONO_COUNT];
	int adv;                               /* every character's advance, pango units */
	int height, ascent;                    /* a line's, pango units */
} mono_font;

/* A code block laid out: by pango (l), or by mono_font (l NULL: line k is text[span[k].from,
 * span[k].to)). */
typedef struct mono_span {
	size_t from, to;
	int wrapped; /* broken for the width: a space at its end is not drawn, as pango does */
} mono_span;

typedef struct mono {
	PangoLayout *l;
	char *text;
	mono_span *span;
	lines L;
} mono;

/* A code block's width for its lines, pango units. */
static int mono_width(const doc *D)
{
	double pad = 0.45 * D->fs, w = D->width - indent_of(D);
	return (int)((w - 2 * pad) * PANGO_SCALE);
}

/* A code block laid out by pango: broken between any two characters, without the hyphen pango
 * would add between two letters (in code it would read as a minus). */
static PangoLayout *mono_pango(doc *D, const char *text, size_t len)
{
	PangoLayout *l = new_layout(D, MONO, 0.82 * D->fs, 0, 0);
	pango_layout_set_width(l, mono_width(D));
	pango_layout_set_wrap(l, PANGO_WRAP_CHAR);
	PangoAttrList *al = pango_attr_list_new();
	pango_attr_list_insert(al, pango_attr_insert_hyphens_new(FALSE));
	pango_layout_set_attributes(l, al);
	pango_attr_list_unref(al);
	pango_layout_set_text(l, text, (int)len);
	return l;
}

/* The printable ASCII characters as pango lays them out in the code blocks' font, on three
 * lines (the middle one empty): usable if each is one glyph of the same advance, unshaped by
 * its neighbours, and the lines stack at one height. */
static void mono_font_init(doc *D, mono_font *m)
{
	char row[MONO_COUNT], text[2 * MONO_COUNT + 2];
	for (int i = 0; i < MONO_COUNT; i++)
		row[i] = (char)(MONO_FIRST + i);
	memcpy(text, row, MONO_COUNT);
	text[MONO_COUNT] = text[MONO_COUNT + 1] = '\n';
	for (int i = 0; i < MONO_COUNT; i++) /* the second time reversed: other neighbours */
		text[MONO_COUNT + 2 + i] = row[MONO_COUNT - 1 - i];
	PangoLayout *l = mono_pango(D, "", 0);
	pango_layout_set_width(l, -1);
	pango_layout_set_text(l, text, (int)sizeof text);
	pl_layout_settle(l);
	memset(m, 0, sizeof *m);
	int ok = pango_layout_get_line_count(l) == 3;
	PangoLayoutIter *it = pango_layout_get_iter(l);
	for (int k = 0; ok && k < 3; k++) {
		if (k > 0 && !pango_layout_iter_next_line(it)) {
			ok = 0;
			break;
		}
		int y0, y1, base = pango_layout_iter_get_baseline(it);
		pango_layout_iter_get_line_yrange(it, &y0, &y1);
		if (k == 0) {
			m->height = y1 - y0;
			m->ascent = base - y0;
		}
		ok = y0 == k * m->height && y1 - y0 == m->height && base - y0 == m->ascent;
		PangoLayoutLine *line = pango_layout_iter_get_line_readonly(it);
		if (!ok || k == 1)
			continue;
		ok = line->runs && !line->runs->next;
		PangoGlyphItem *run = ok ? line->runs->data : NULL;
		ok = ok && run->glyphs->num_glyphs == MONO_COUNT && !(run->item->analysis.level & 1);
		for (int i = 0; ok && i < MONO_COUNT; i++) {
			PangoGlyphInfo *g = &run->glyphs->glyphs[i];
			int at = run->glyphs->log_clusters[i], c = (unsigned char)text[run->item->offset + at] - MONO_FIRST;
			ok = at == i && !(g->glyph & PANGO_GLYPH_UNKNOWN_FLAG) && g->glyph != PANGO_GLYPH_EMPTY &&
			     g->geometry.x_offset == 0 && g->geometry.y_offset == 0 && g->geometry.width > 0 &&
			     (m->adv == 0 || g->geometry.width == m->adv) && (k == 0 || m->glyph[c] == g->glyph);
			m->adv = g->geometry.width;
			m->glyph[c] = g->glyph;
		}
		if (ok && k == 0) {
			cairo_scaled_font_t *sf = pango_cairo_font_get_scaled_font(PANGO_CAIRO_FONT(run->item->analysis.font));
			ok = sf != NULL;
			m->font = sf ? cairo_scaled_font_reference(sf) : NULL;
		}
	}
	pango_layout_iter_free(it);
	g_object_unref(l);
	m->usable = ok;
}

static void mono_font_free(mono_font *m)
{
	if (m && m->font)
		cairo_scaled_font_destroy(m->font);
	free(m);
}

/*
 * The lines of text (len bytes) laid out by mono_font, if it can: each line
 * as long as fits the width, and a space where a line is full hangs past
 * it, as pango breaks (checked against pango on random lines of ASCII).
 */
static int mono_lines(doc *D, mono *b, const char *text, size_t len)
{
	if (!D->mono) {
		D->mono = nb_xcalloc(1, sizeof *D->mono);
		mono_font_init(D, D->mono);
	}
	const mono_font *m = D->mono;
	if (!m->usable)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (text[i] != '\n' && ((unsigned char)text[i] < MONO_FIRST || (unsigned char)text[i] >= MONO_FIRST + MONO_COUNT))
			return 0; /* not printable ASCII: pango's work */
	long fit = mono_width(D) / m->adv; /* characters a line holds */
	if (fit < 1)
		fit = 1;
	size_t n = 0, cap = 0, at = 0;
	for (;;) {
		size_t end = at;
		while (end < len && text[end] != '\n' && (long)(end - at) < fit)
			end++;
		if (end < len && text[end] == ' ')
			end++; /* a full line: its next space hangs */
		NB_GROW(b->span, cap, n + 1);
		b->span[n++] = (mono_span){at, end, end < len && text[end] != '\n'};
		if (end == len)
			break;
		at = text[end] == '\n' ? end + 1 : end;
	}
	b->text = nb_xstrndup(text, len);
	b->L.n = (int)n;
	b->L.line = nb_xcalloc(n, sizeof *b->L.line);
	b->L.top = nb_xcalloc(n, sizeof *b->L.top);
	b->L.bot = nb_xcalloc(n, sizeof *b->L.bot);
	b->L.base = nb_xcalloc(n, sizeof *b->L.base);
	for (size_t k = 0; k < n; k++) {
		b->L.top[k] = (double)k * m->height / PANGO_SCALE;
		b->L.bot[k] = (double)(k + 1) * m->height / PANGO_SCALE;
		b->L.base[k] = ((double)k * m->height + m->ascent) / PANGO_SCALE;
	}
	return 1;
}

/* A code block of text laid out (kept in *slot, when given, for the next pass). */
static mono *mono_block(doc *D, const char *text, size_t len, mono **slot)
{
	if (slot && *slot)
		return *slot;
	mono *b = nb_xcalloc(1, sizeof *b);
	if (!mono_lines(D, b, text, len)) {
		b->l = mono_pango(D, text, len);
		b->L = get_lines(b->l);
	}
	if (slot)
		*slot = b;
	return b;
}

static void mono_free(mono *b)
{
	if (!b)
		return;
	if (b->l)
		g_object_unref(b->l);
	free(b->text);
	free(b->span);
	free_lines(&b->L);
	free(b);
}

/* A block's line k with its left end at the current point, on the baseline. */
static void mono_show(doc *D, const mono *b, int k)
{
	cairo_t *cr = D->cr;
	if (b->l) {
		pango_cairo_show_layout_line(cr, b->L.line[k]);
		return;
	}
	const mono_font *m = D->mono;
	int n = (int)(b->span[k].to - b->span[k].from);
	if (n == 0)
		return;
	const char *s = b->text + b->span[k].from;
	double x, y;
	cairo_get_current_point(cr, &x, &y);
	cairo_glyph_t *g = nb_xmalloc((size_t)n * sizeof *g);
	cairo_text_cluster_t *cl = nb_xmalloc((size_t)n * sizeof *cl);
	int ng = 0;
	for (int i = 0; i < n; i++) {
		cl[i].num_bytes = 1;
		cl[i].num_glyphs = !(i == n - 1 && s[i] == ' ' && b->span[k].wrapped);
		if (cl[i].num_glyphs)
			g[ng++] = (cairo_glyph_t){m->glyph[(unsigned char)s[i] - MONO_FIRST], x + (double)(i * m->adv) / PANGO_SCALE, y};
	}
	cairo_set_scaled_font(cr, m->font);
	cairo_show_text_glyphs(cr, s, n, g, ng, cl, n, 0);
	free(g);
	free(cl);
}

static double code_height(doc *D, const char *text, size_t len, int max_lines, mono **slot)
{
	while (len && (text[len - 1] == '\n' || text[len - 1] == ' '))
		len--;
	if (!len)
		return 0;
	double pad = 0.45 * D->fs;
	mono *b = mono_block(D, text, len, slot);
	const lines *L = &b->L;
	int n = L->n < max_lines ? L->n : max_lines;
	double h = n ? L->bot[n - 1] - L->top[0] + 2 * pad : 0;
	if (!slot)
		mono_free(b);
	return h;
}

static void code_block(doc *D, const char *text, size_t len, int kind, mono **slot)
{
	while (len && (text[len - 1] == '\n' || text[len - 1] == ' '))
		len--;
	if (!len || D->collect)
		return;
	double ind = indent_of(D), pad = 0.45 * D->fs, w = D->width - ind;
	mono *b = mono_block(D, text, len, slot);
	const lines L = b->L;
	want_space(D, 0.5 * D->fs);
	open_block(D);
	int i = 0;
	while (i < L.n) {
		double avail = D->bottom - D->y - 2 * pad;
		int n = break_lines(D, &L, i, avail);
		if (n == 0) {
			new_page(D);
			continue;
		}
		double h = L.bot[i + n - 1] - L.top[i] + 2 * pad, x = D->left + ind;
		double y0 = D->y + pad - L.top[i];
		if (D->draw) {
			cairo_t *cr = D->cr;
			if (kind == 's') {
				cairo_set_source_rgb(cr, 0.955, 0.96, 0.965);
				cairo_rectangle(cr, x, D->y, w, h);
				cairo_fill_preserve(cr);
				cairo_set_source_rgb(cr, 0.84, 0.86, 0.88);
				cairo_set_line_width(cr, 0.5);
				cairo_stroke(cr);
			} else {
				if (kind == 'e') {
					cairo_set_source_rgb(cr, 0.99, 0.93, 0.92);
					cairo_rectangle(cr, x, D->y, w, h);
					cairo_fill(cr);
					cairo_set_source_rgb(cr, 0.8, 0.16, 0.14);
				} else {
					cairo_set_source_rgb(cr, 0.985, 0.985, 0.98);
					cairo_rectangle(cr, x, D->y, w, h);
					cairo_fill(cr);
					cairo_set_source_rgb(cr, 0.7, 0.74, 0.78);
				}
				cairo_rectangle(cr, x, D->y, 2, h);
				cairo_fill(cr);
			}
			if (kind == 'e')
				cairo_set_source_rgb(cr, 0.55, 0.05, 0.05);
			else
				cairo_set_source_rgb(cr, INK.r, INK.g, INK.b);
			for (int k = i; k < i + n; k++) {
				cairo_move_to(cr, x + pad, y0 + L.base[k]);
				mono_show(D, b, k);
			}
			quote_bars(D, D->y, D->y + h);
		}
		D->y += h;
		D->used = 1;
		i += n;
		if (i < L.n)
			new_page(D);
	}
	if (!slot)
		mono_free(b);
	want_space(D, 0.5 * D->fs);
}

/* A caption under a figure or image: its layout at the text width. */
static PangoLayout *caption_layout(doc *D, const char *label, const char *text)
{
	inl c;
	inl_init(&c);
	nb_buf_puts(&c.text, label);
	add_attr(&c, pango_attr_weight_new(PANGO_WEIGHT_BOLD), 0, (int)c.text.len);
	if (text && *text) {
		nb_buf_puts(&c.text, " ");
		nb_buf_puts(&c.text, text);
	}
	PangoLayout *l = inl_layout(D, &c, SERIF, 0.9 * D->fs, 0, D->width - indent_of(D), 0);
	pango_layout_set_alignment(l, PANGO_ALIGN_CENTER);
	inl_release(&c);
	return l;
}

/* Drawings w x h (frames: n of them in cols columns) with a caption; never split from it. */
/* How n drawings of w x h points sit across the text: their scale (at most 1), columns and gap. */
static double figure_scale(const doc *D, size_t n, double w, double h, int *cols, double *gap)
{
	double tw = D->width - indent_of(D);
	int across = w > 1.6 * h ? 2 : 3; /* frames: three across, two when they are wide */
	*cols = n < (size_t)across ? (int)n : across;
	*gap = n == 1 ? 0 : 6;
	double cw = (tw - *gap * (*cols - 1)) / *cols; /* one drawing's width on the page */
	return fmin(1, cw / w);
}

/* The drawings of figure fr (frames: n of them), w x h points, with a caption. */
static void figure_block(doc *D, const nb_figref *fr, cairo_surface_t *const *rec, size_t n, double w, double h,
			 const char *caption)
{
	double ind = indent_of(D), tw = D->width - ind, gap;
	int cols;
	double s = figure_scale(D, n, w, h, &cols, &gap);
	size_t rows = (n + (size_t)cols - 1) / (size_t)cols;
	char label[32];
	snprintf(label, sizeof label, caption ? "Figure %d." : "Figure %d", ++D->figno);
	PangoLayout *cap = caption_layout(D, label, caption);
	PangoRectangle cr;
	layout_extents(cap, NULL, &cr);
	double caph = cr.height / (double)PANGO_SCALE + 0.5 * D->fs;
	/* one drawing and the caption must fit on a page */
	double room = D->bottom - D->top - caph;
	if (h * s > room)
		s = room / h;
	want_space(D, 0.8 * D->fs);
	open_block(D);
	/* a single drawing a little too tall for the rest of the page shrinks to fit rather than
	 * leave the page's lower part empty */
	double avail = D->bottom - D->y - caph;
	if (n == 1 && D->used && h * s > avail && avail >= 0.7 * h * s)
		s = avail / h;
	double dw = w * s, dh = h * s;
	for (size_t row = 0; row < rows; row++) {
		double need_h = dh + (row + 1 == rows ? caph : 0);
		need(D, need_h);
		size_t first = row * (size_t)cols, last = first + (size_t)cols < n ? first + (size_t)cols : n;
		double rw = (double)(last - first) * dw + gap * (double)(last - first - 1);
		double x = D->left + ind + (tw - rw) / 2;
		for (size_t k = first; k < last && D->draw; k++) {
			cairo_t *c = D->cr;
			if (D->embed && n == 1 && fr->pdf) {
				NB_GROW(D->places, D->capplaces, D->nplaces + 1);
				NB_GROW(D->place_file, D->capfiles, D->nplaces + 1);
				D->places[D->nplaces] = (nb_pdf_place){D->page - 1, x, D->y, s, NULL, 0};
				D->place_file[D->nplaces++] = fr->pdf;
				continue;
			}
			cairo_save(c);
			cairo_translate(c, x + (double)(k - first) * (dw + gap), D->y);
			cairo_scale(c, s, s);
			cairo_rectangle(c, 0, 0, w, h);
			cairo_clip(c);
			cairo_set_source_surface(c, rec[k], 0, 0);
			cairo_paint(c);
			cairo_restore(c);
			if (n > 1) { /* a hairline round each frame */
				cairo_set_source_rgb(c, 0.8, 0.8, 0.8);
				cairo_set_line_width(c, 0.4);
				cairo_rectangle(c, x + (double)(k - first) * (dw + gap), D->y, dw, dh);
				cairo_stroke(c);
			}
		}
		D->y += dh + (row + 1 < rows ? gap : 0);
		D->used = 1;
	}
	D->y += 0.5 * D->fs;
	if (D->draw) {
		cairo_set_source_rgb(D->cr, INK.r, INK.g, INK.b);
		cairo_move_to(D->cr, D->left + ind, D->y);
		layout_show(D->cr, cap);
	}
	D->y += cr.height / (double)PANGO_SCALE;
	g_object_unref(cap);
	want_space(D, 0.8 * D->fs);
}

/* A markdown image: a PNG beside the notebook, at 96 pixels per inch or the text width. */
static void image_block(doc *D, const char *src, const char *alt)
{
	if (D->collect)
		return;
	char *path = src[0] == '/' || !D->basedir ? nb_xstrdup(src) : nb_xasprintf("%s/%s", D->basedir, src);
	cairo_surface_t *img = cairo_image_surface_create_from_png(path);
	free(path);
	if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
		cairo_surface_destroy(img);
		char *msg = nb_xasprintf("[image %s could not be read as PNG%s%s]", src, alt && *alt ? ": " : "",
					 alt ? alt : "");
		text_para(D, msg, SERIF, D->fs, 0, 1, GREY);
		free(msg);
		return;
	}
	double w = cairo_image_surface_get_width(img) * 0.75, h = cairo_image_surface_get_height(img) * 0.75;
	double tw = D->width - indent_of(D), s = fmin(1, fmin(tw / w, (D->bottom - D->top) * 0.8 / h));
	want_space(D, 0.6 * D->fs);
	open_block(D);
	need(D, h * s);
	if (D->draw) {
		cairo_save(D->cr);
		cairo_translate(D->cr, D->left + indent_of(D) + (tw - w * s) / 2, D->y);
		cairo_scale(D->cr, s * 0.75, s * 0.75);
		cairo_set_source_surface(D->cr, img, 0, 0);
		cairo_paint(D->cr);
		cairo_restore(D->cr);
	}
	D->y += h * s;
	D->used = 1;
	cairo_surface_destroy(img);
	want_space(D, 0.6 * D->fs);
}

/* Display math, centred; scaled down if wider than the text. */
static void display_math(doc *D, const char *src)
{
	if (D->collect)
		return;
	pl_tl *t = pl_tl_math(D->pc, src, 1.05 * D->fs, SERIF, 1);
	double ind = indent_of(D), tw = D->width - ind;
	double s = t->width > tw ? tw / t->width : 1;
	double h = (t->ascent + t->descent) * s;
	want_space(D, 0.6 * D->fs);
	open_block(D);
	need(D, h);
	if (D->draw) {
		cairo_save(D->cr);
		cairo_translate(D->cr, D->left + ind + (tw - t->width * s) / 2, D->y + t->ascent * s);
		cairo_scale(D->cr, s, s);
		pl_tl_draw(D->cr, D->pc, t, 0, 0, 0, (pl_rgba){INK.r, INK.g, INK.b, 1});
		cairo_restore(D->cr);
		quote_bars(D, D->y, D->y + h);
	}
	D->y += h;
	D->used = 1;
	want_space(D, 0.6 * D->fs);
	pl_tl_free(t);
	free(t);
}

static void rule_block(doc *D)
{
	if (D->collect)
		return;
	want_space(D, 0.8 * D->fs);
	open_block(D);
	need(D, 1);
	if (D->draw) {
		cairo_set_source_rgb(D->cr, 0.75, 0.75, 0.75);
		cairo_rectangle(D->cr, D->left + indent_of(D), D->y, D->width - indent_of(D), 0.6);
		cairo_fill(D->cr);
	}
	D->y += 0.6;
	D->used = 1;
	want_space(D, 0.8 * D->fs);
}

/* A heading: kept with at least three lines of what follows; recorded for the contents. */
/* A heading's text size for its level (1 to 6). */
static double heading_size(const doc *D, int level)
{
	static const double scale[7] = {1, 1.6, 1.35, 1.17, 1.05, 1, 1};
	return D->fs * scale[level < 1 ? 1 : level > 6 ? 6 : level];
}

static void heading_block(doc *D, int level, inl *c)
{
	double size = heading_size(D, level);
	PangoLayout *l = inl_layout(D, c, SANS, size, 1, D->width - indent_of(D), 0);
	PangoRectangle lr;
	layout_extents(l, NULL, &lr);
	double h = lr.height / (double)PANGO_SCALE;
	want_space(D, (level <= 2 ? 1.4 : 1.1) * D->fs);
	open_block(D);
	need(D, h + 3.6 * D->fs);
	char *text = nb_xstrdup(c->plain.s ? c->plain.s : "");
	NB_GROW(D->heads, D->caphead, D->nheads + 1);
	D->heads[D->nheads++] = (heading){level, text, D->page, D->y};
	if (D->draw) {
		/* the outline: nested under the nearest shallower heading */
		int parent = CAIRO_PDF_OUTLINE_ROOT;
		for (int k = level - 1; k >= 1; k--)
			if (D->outline_ids[k]) {
				parent = D->outline_ids[k];
				break;
			}
		char *dest = nb_xasprintf("page=%d pos=[%.2f %.2f]", D->page, D->left, D->y);
		int id = cairo_pdf_surface_add_outline(D->surf, parent, text, dest, CAIRO_PDF_OUTLINE_FLAG_OPEN);
		free(dest);
		D->outline_ids[level] = id;
		for (int k = level + 1; k < 7; k++)
			D->outline_ids[k] = 0;
	}
	flow_para(D, l, c, indent_of(D), NULL, INK);
	g_object_unref(l);
	want_space(D, 0.55 * D->fs);
}

/* ------------------------------------------------------------ tables */

/* One table row at D->y, with the rules asked for: above it (a page's part of the table
 * starts), under it as the head's last row, or under it as the table's last. */
static void table_row(doc *D, const table *t, PangoLayout **lay, size_t row, double x0, double used,
		      const double *cw, double pad, double rh, int rule_above, int head_rule, int rule_below)
{
	if (!D->draw)
		return;
	size_t cols = t->cols;
	double x = x0;
	for (size_t k = 0; k < cols && row * cols + k < t->n; k++) {
		cairo_set_source_rgb(D->cr, INK.r, INK.g, INK.b);
		cairo_move_to(D->cr, x + pad, D->y + pad);
		layout_show(D->cr, lay[row * cols + k]);
		x += cw[k];
	}
	cairo_set_source_rgb(D->cr, 0.25, 0.25, 0.25);
	if (rule_above) {
		cairo_rectangle(D->cr, x0, D->y, used, 0.8);
		cairo_fill(D->cr);
	}
	if (head_rule) {
		cairo_rectangle(D->cr, x0, D->y + rh - 0.25, used, 0.5);
		cairo_fill(D->cr);
	}
	if (rule_below) {
		cairo_rectangle(D->cr, x0, D->y + rh - 0.4, used, 0.8);
		cairo_fill(D->cr);
	}
}

static void table_block(doc *D, table *t)
{
	if (D->collect)
		return;
	if (!t->cols || !t->n)
		return;
	size_t cols = t->cols, rows = (t->n + cols - 1) / cols;
	double tw = D->width - indent_of(D), pad = 0.4 * D->fs;
	double *nat = nb_xcalloc(cols, sizeof *nat), *cw = nb_xcalloc(cols, sizeof *cw);
	PangoLayout **lay = nb_xcalloc(t->n, sizeof *lay);
	/* natural widths: each column as wide as its widest cell unwrapped */
	for (size_t i = 0; i < t->n; i++) {
		PangoLayout *l = inl_layout(D, &t->cells[i].c, SERIF, 0.95 * D->fs, t->cells[i].head, -1, 0);
		pango_layout_set_width(l, -1);
		PangoRectangle r;
		layout_extents(l, NULL, &r);
		double w = r.width / (double)PANGO_SCALE + 2 * pad;
		if (w > nat[i % cols])
			nat[i % cols] = w;
		lay[i] = l;
	}
	double total = 0;
	for (size_t k = 0; k < cols; k++)
		total += nat[k];
	for (size_t k = 0; k < cols; k++)
		cw[k] = total > tw ? nat[k] * tw / total : nat[k];
	double used = total > tw ? tw : total;
	double x0 = D->left + indent_of(D) + (tw - used) / 2;
	want_space(D, 0.7 * D->fs);
	open_block(D);
	/* row heights, and how many rows form the head */
	double *rh = nb_xcalloc(rows, sizeof *rh);
	for (size_t row = 0; row < rows; row++)
		for (size_t k = 0; k < cols && row * cols + k < t->n; k++) {
			size_t i = row * cols + k;
			pango_layout_set_width(lay[i], (int)((cw[k] - 2 * pad) * PANGO_SCALE));
			int al = t->cells[i].align;
			pango_layout_set_alignment(lay[i], al == 1 ? PANGO_ALIGN_CENTER : al == 2 ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT);
			PangoRectangle r;
			layout_extents(lay[i], NULL, &r);
			rh[row] = fmax(rh[row], r.height / (double)PANGO_SCALE + 2 * pad);
		}
	size_t nhead = 0;
	while (nhead < rows && t->cells[nhead * cols].head)
		nhead++;
	double head_h = 0;
	for (size_t row = 0; row < nhead; row++)
		head_h += rh[row];
	/* the head and the first body row stay together */
	need(D, head_h + (nhead < rows ? rh[nhead] : 0));
	int fragment_start = 1; /* the next row opens a page's part of the table: a rule above it */
	for (size_t row = 0; row < rows; row++) {
		if (row >= nhead && D->used && D->y + rh[row] > D->bottom + 0.01 && !fragment_start) {
			/* continued on the next page: close this part, and repeat the head there */
			if (D->draw) {
				cairo_set_source_rgb(D->cr, 0.25, 0.25, 0.25);
				cairo_rectangle(D->cr, x0, D->y - 0.4, used, 0.8);
				cairo_fill(D->cr);
			}
			new_page(D);
			for (size_t hr = 0; hr < nhead; hr++) {
				table_row(D, t, lay, hr, x0, used, cw, pad, rh[hr], hr == 0, hr + 1 == nhead, 0);
				D->y += rh[hr];
			}
			fragment_start = nhead == 0;
		}
		table_row(D, t, lay, row, x0, used, cw, pad, rh[row], fragment_start, row + 1 == nhead,
			  row + 1 == rows);
		fragment_start = 0;
		D->y += rh[row];
		D->used = 1;
	}
	free(rh);
	for (size_t i = 0; i < t->n; i++)
		g_object_unref(lay[i]);
	free(lay);
	free(nat);
	free(cw);
	want_space(D, 0.7 * D->fs);
}

static void table_free(table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		inl_release(&t->cells[i].c);
	free(t->cells);
	free(t);
}

/* ------------------------------------------------------------ markdown */

/* Lay out the inline content read so far as a paragraph (or a heading, or a table cell). */
static void flush(doc *D)
{
	inl *c = &D->cur;
	if (D->collect) { /* the first pass only wants the headings */
		if (D->in_heading && !inl_empty(c)) {
			NB_GROW(D->heads, D->caphead, D->nheads + 1);
			D->heads[D->nheads++] = (heading){D->in_heading, nb_xstrdup(c->plain.s ? c->plain.s : ""), 0, 0};
		}
		inl_release(c);
		inl_init(c);
		return;
	}
	if (D->in_cell && D->tab) {
		/* the cell's content goes to the table, laid out when the table ends */
		tcell *tc = &D->tab->cells[D->tab->n - 1];
		inl_release(&tc->c);
		tc->c = *c;
		inl_init(c);
		return;
	}
	if (inl_empty(c)) {
		inl_release(c);
		inl_init(c);
		return;
	}
	if (D->in_heading) {
		heading_block(D, D->in_heading, c);
	} else {
		double ind = indent_of(D);
		int tight = D->nctr && D->ctr[D->nctr - 1].tight && D->ctr[D->nctr - 1].kind != 'q';
		PangoLayout *l = inl_layout(D, c, SERIF, D->fs, 0, D->width - ind, 1);
		want_space(D, tight ? 0.25 * D->fs : 0.6 * D->fs);
		flow_para(D, l, c, ind, D->marker, quote_depth(D) ? GREY : INK);
		free(D->marker);
		D->marker = NULL;
		g_object_unref(l);
		want_space(D, tight ? 0.25 * D->fs : 0.6 * D->fs);
	}
	inl_release(c);
	inl_init(c);
}

static int md_enter_block(MD_BLOCKTYPE type, void *detail, void *ud)
{
	doc *D = ud;
	if (type != MD_BLOCK_DOC)
		flush(D);
	switch (type) {
	case MD_BLOCK_QUOTE:
	case MD_BLOCK_UL:
	case MD_BLOCK_OL:
		if (D->nctr < (int)NB_ARRAY_LEN(D->ctr)) {
			container *k = &D->ctr[D->nctr++];
			memset(k, 0, sizeof *k);
			k->kind = type == MD_BLOCK_QUOTE ? 'q' : type == MD_BLOCK_UL ? 'u' : 'o';
			k->indent = (type == MD_BLOCK_QUOTE ? 1.2 : 1.6) * D->fs;
			if (type == MD_BLOCK_UL)
				k->tight = ((MD_BLOCK_UL_DETAIL *)detail)->is_tight;
			if (type == MD_BLOCK_OL) {
				k->tight = ((MD_BLOCK_OL_DETAIL *)detail)->is_tight;
				k->next = ((MD_BLOCK_OL_DETAIL *)detail)->start;
				if (k->next >= 100)
					k->indent = 2.4 * D->fs;
			}
		}
		break;
	case MD_BLOCK_LI: {
		container *k = D->nctr ? &D->ctr[D->nctr - 1] : NULL;
		free(D->marker);
		MD_BLOCK_LI_DETAIL *li = detail;
		if (li->is_task)
			D->marker = nb_xstrdup(li->task_mark == ' ' ? "☐" : "☑");
		else if (k && k->kind == 'o')
			D->marker = nb_xasprintf("%u.", k->next++);
		else {
			int depth = 0;
			for (int i = 0; i < D->nctr; i++)
				depth += D->ctr[i].kind == 'u';
			D->marker = nb_xstrdup(depth % 2 ? "•" : "–");
		}
		break;
	}
	case MD_BLOCK_H:
		D->in_heading = (int)((MD_BLOCK_H_DETAIL *)detail)->level;
		break;
	case MD_BLOCK_CODE:
		D->in_code = 1;
		nb_buf_reset(&D->code);
		break;
	case MD_BLOCK_HR:
		rule_block(D);
		break;
	case MD_BLOCK_TABLE:
		table_free(D->tab);
		D->tab = nb_xcalloc(1, sizeof *D->tab);
		D->tab->cols = ((MD_BLOCK_TABLE_DETAIL *)detail)->col_count;
		break;
	case MD_BLOCK_TH:
	case MD_BLOCK_TD:
		if (D->tab) {
			table *t = D->tab;
			NB_GROW(t->cells, t->cap, t->n + 1);
			tcell *tc = &t->cells[t->n++];
			inl_init(&tc->c);
			tc->head = type == MD_BLOCK_TH;
			MD_ALIGN a = ((MD_BLOCK_TD_DETAIL *)detail)->align;
			tc->align = a == MD_ALIGN_CENTER ? 1 : a == MD_ALIGN_RIGHT ? 2 : 0;
			D->in_cell = 1;
		}
		break;
	default:
		break;
	}
	return 0;
}

static int md_leave_block(MD_BLOCKTYPE type, void *detail, void *ud)
{
	doc *D = ud;
	(void)detail;
	switch (type) {
	case MD_BLOCK_QUOTE:
	case MD_BLOCK_UL:
	case MD_BLOCK_OL:
		flush(D);
		if (D->nctr)
			D->nctr--;
		break;
	case MD_BLOCK_H:
		flush(D);
		D->in_heading = 0;
		break;
	case MD_BLOCK_CODE:
		D->in_code = 0;
		code_block(D, D->code.s ? D->code.s : "", D->code.len, 's', NULL);
		break;
	case MD_BLOCK_TH:
	case MD_BLOCK_TD:
		flush(D);
		D->in_cell = 0;
		break;
	case MD_BLOCK_TR:
		/* a short row: pad it so cells stay in their columns */
		if (D->tab && D->tab->cols)
			while (D->tab->n % D->tab->cols) {
				table *t = D->tab;
				NB_GROW(t->cells, t->cap, t->n + 1);
				memset(&t->cells[t->n], 0, sizeof t->cells[t->n]);
				inl_init(&t->cells[t->n].c);
				t->cells[t->n].head = t->n ? t->cells[t->n - 1].head : 0;
				t->n++;
			}
		break;
	case MD_BLOCK_TABLE:
		if (D->tab)
			table_block(D, D->tab);
		table_free(D->tab);
		D->tab = NULL;
		break;
	default:
		flush(D);
		break;
	}
	return 0;
}

static int md_enter_span(MD_SPANTYPE type, void *detail, void *ud)
{
	doc *D = ud;
	inl *c = &D->cur;
	if (type == MD_SPAN_LATEXMATH || type == MD_SPAN_LATEXMATH_DISPLAY) {
		c->in_math = type == MD_SPAN_LATEXMATH ? 1 : 2;
		nb_buf_reset(&c->mathsrc);
		return 0;
	}
	if (type == MD_SPAN_IMG) {
		MD_SPAN_IMG_DETAIL *im = detail;
		c->in_img++;
		nb_buf_reset(&c->imgsrc);
		nb_buf_add(&c->imgsrc, im->src.text, im->src.size);
		nb_buf_reset(&c->alt);
		return 0;
	}
	if (type == MD_SPAN_CODE)
		D->in_code_span++;
	if (c->nspan < (int)NB_ARRAY_LEN(c->span_start))
		c->span_start[c->nspan] = (int)c->text.len;
	c->nspan++;
	if (type == MD_SPAN_A) {
		MD_SPAN_A_DETAIL *a = detail;
		NB_GROW(c->links, c->caplinks, c->nlinks + 1);
		c->links[c->nlinks].start = (int)c->text.len;
		c->links[c->nlinks].end = -1;
		c->links[c->nlinks].uri = nb_xstrndup(a->href.text, a->href.size);
		c->nlinks++;
	}
	return 0;
}

static int md_leave_span(MD_SPANTYPE type, void *detail, void *ud)
{
	doc *D = ud;
	inl *c = &D->cur;
	(void)detail;
	if (type == MD_SPAN_LATEXMATH || type == MD_SPAN_LATEXMATH_DISPLAY) {
		c->in_math = 0;
		const char *src = c->mathsrc.s ? c->mathsrc.s : "";
		if (type == MD_SPAN_LATEXMATH) {
			double size = D->in_heading ? heading_size(D, D->in_heading) : D->fs;
			inl_math(D, c, src, size);
		} else {
			/* display math ends the paragraph before it; the text after starts a new one */
			char *keep = nb_xstrdup(src);
			flush(D);
			display_math(D, keep);
			free(keep);
		}
		return 0;
	}
	if (type == MD_SPAN_IMG) {
		if (--c->in_img == 0) {
			char *src = nb_xstrdup(c->imgsrc.s ? c->imgsrc.s : "");
			char *alt = nb_xstrdup(c->alt.s ? c->alt.s : "");
			flush(D); /* an image stands as a block of its own */
			image_block(D, src, alt);
			free(src);
			free(alt);
		}
		return 0;
	}
	if (type == MD_SPAN_CODE && D->in_code_span > 0)
		D->in_code_span--;
	if (c->nspan == 0) /* its start went with a paragraph cut by display math or an image */
		return 0;
	c->nspan--;
	int start = c->nspan < (int)NB_ARRAY_LEN(c->span_start) ? c->span_start[c->nspan] : 0;
	int end = (int)c->text.len;
	switch (type) {
	case MD_SPAN_EM:
		add_attr(c, pango_attr_style_new(PANGO_STYLE_ITALIC), start, end);
		break;
	case MD_SPAN_STRONG:
		add_attr(c, pango_attr_weight_new(PANGO_WEIGHT_BOLD), start, end);
		break;
	case MD_SPAN_U:
		add_attr(c, pango_attr_underline_new(PANGO_UNDERLINE_SINGLE), start, end);
		break;
	case MD_SPAN_DEL:
		add_attr(c, pango_attr_strikethrough_new(TRUE), start, end);
		break;
	case MD_SPAN_CODE:
		/* code breaks at its spaces, not after the hyphens of options like -t */
		for (int q = start; q < end; q++)
			if (c->text.s[q] == '-' && q + 1 < end)
				add_attr(c, pango_attr_allow_breaks_new(FALSE), q, q + 2);
		add_attr(c, pango_attr_family_new(MONO), start, end);
		add_attr(c, pango_attr_size_new_absolute((int)(0.88 * D->fs * PANGO_SCALE)), start, end);
		add_attr(c, pango_attr_background_new(0xf0f0, 0xf1f1, 0xf3f3), start, end);
		break;
	case MD_SPAN_A:
		add_attr(c, pango_attr_foreground_new((guint16)(LINK.r * 65535), (guint16)(LINK.g * 65535),
						      (guint16)(LINK.b * 65535)),
			 start, end);
		for (size_t k = c->nlinks; k-- > 0;)
			if (c->links[k].end < 0) {
				c->links[k].end = end;
				break;
			}
		break;
	default:
		break;
	}
	return 0;
}

/* The character an HTML entity stands for (the common ones and numeric references). */
static void put_entity(nb_buf *b, const char *s, size_t n)
{
	static const struct {
		const char *name, *utf8;
	} ents[] = {{"&amp;", "&"},   {"&lt;", "<"},    {"&gt;", ">"},     {"&quot;", "\""}, {"&apos;", "'"},
		    {"&nbsp;", " "},  {"&ndash;", "–"}, {"&mdash;", "—"}, {"&hellip;", "…"}, {"&times;", "×"},
		    {"&copy;", "©"}, {"&deg;", "°"},   {"&rarr;", "→"},   {"&larr;", "←"}};
	for (size_t k = 0; k < NB_ARRAY_LEN(ents); k++)
		if (strlen(ents[k].name) == n && !memcmp(ents[k].name, s, n)) {
			nb_buf_puts(b, ents[k].utf8);
			return;
		}
	if (n > 3 && s[1] == '#') {
		unsigned long cp = s[2] == 'x' || s[2] == 'X' ? strtoul(s + 3, NULL, 16) : strtoul(s + 2, NULL, 10);
		if (cp > 0 && cp < 0x110000 && !(cp >= 0xD800 && cp < 0xE000)) {
			char u[8];
			int k = g_unichar_to_utf8((gunichar)cp, u);
			nb_buf_add(b, u, (size_t)k);
			return;
		}
	}
	nb_buf_add(b, s, n);
}

/*
 * Prose with soft hyphens (U+00AD) where the English patterns allow a break, two letters
 * kept before and three after as TeX does: pango breaks there when a line needs it and draws
 * the hyphen, so justified lines stretch their spaces less.  Words of ASCII letters only.
 */
static void put_hyphenated(doc *D, nb_buf *to, const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		size_t j = i;
		while (j < n && ((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z')))
			j++;
		size_t len = j - i;
		if (len >= 5 && len < 64) {
			char word[64], hy[72];
			for (size_t k = 0; k < len; k++)
				word[k] = (char)((s[i + k] >= 'A' && s[i + k] <= 'Z') ? s[i + k] + 32 : s[i + k]);
			word[len] = '\0';
			char **rep = NULL;
			int *pos = NULL, *cut = NULL;
			int rc = hnj_hyphen_hyphenate3(D->hyph, word, (int)len, hy, NULL, &rep, &pos, &cut, 2, 3, 2, 3);
			if (rep) { /* a non-standard break (none in the English patterns): leave the word whole */
				for (size_t k = 0; k < len; k++)
					free(rep[k]);
				free(rep);
				free(pos);
				free(cut);
				rc = -1;
			}
			if (rc == 0) {
				for (size_t k = 0; k < len; k++) {
					nb_buf_putc(to, s[i + k]);
					if ((hy[k] & 1) && k + 1 < len)
						nb_buf_puts(to, "\xc2\xad");
				}
				i = j;
				continue;
			}
		}
		if (j == i) /* not a letter: copy up to the next letter */
			while (j < n && !((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z')))
				j++;
		nb_buf_add(to, s + i, j - i);
		i = j;
	}
}

static int md_text(MD_TEXTTYPE type, const MD_CHAR *text, MD_SIZE size, void *ud)
{
	doc *D = ud;
	inl *c = &D->cur;
	if (D->in_code) {
		nb_buf_add(&D->code, text, size);
		return 0;
	}
	if (c->in_math) {
		nb_buf_add(&c->mathsrc, text, size);
		return 0;
	}
	nb_buf *to = c->in_img ? &c->alt : &c->text;
	if (!to->len && (type == MD_TEXT_SOFTBR || type == MD_TEXT_BR))
		return 0; /* no paragraph starts with a break (after display math, say) */
	switch (type) {
	case MD_TEXT_NULLCHAR:
		nb_buf_puts(to, "\xef\xbf\xbd");
		break;
	case MD_TEXT_BR:
		nb_buf_puts(to, "\xe2\x80\xa8"); /* a line separator: a new line in the same paragraph */
		break;
	case MD_TEXT_SOFTBR:
		nb_buf_putc(to, ' ');
		break;
	case MD_TEXT_ENTITY:
		put_entity(to, text, size);
		break;
	case MD_TEXT_NORMAL:
		if (D->hyph && !D->collect && !D->in_code_span && !D->in_heading && !D->in_cell && !c->in_img)
			put_hyphenated(D, to, text, size);
		else
			nb_buf_add(to, text, size);
		break;
	default:
		nb_buf_add(to, text, size);
		break;
	}
	if (!c->in_img) {
		if (type == MD_TEXT_SOFTBR || type == MD_TEXT_BR)
			nb_buf_putc(&c->plain, ' ');
		else if (type == MD_TEXT_ENTITY)
			put_entity(&c->plain, text, size);
		else
			nb_buf_add(&c->plain, text, size);
	}
	return 0;
}

static void markdown(doc *D, const char *md)
{
	MD_PARSER p = {0};
	p.flags = MD_DIALECT_GITHUB | MD_FLAG_LATEXMATHSPANS | MD_FLAG_NOHTML;
	p.enter_block = md_enter_block;
	p.leave_block = md_leave_block;
	p.enter_span = md_enter_span;
	p.leave_span = md_leave_span;
	p.text = md_text;
	D->nctr = 0;
	D->in_heading = D->in_code = D->in_cell = 0;
	md_parse(md, (MD_SIZE)strlen(md), &p, D);
	flush(D);
	free(D->marker);
	D->marker = NULL;
	table_free(D->tab);
	D->tab = NULL;
}


/* ------------------------------------------------------------ the run */

/* The date the report shows: the notebook's, else SOURCE_DATE_EPOCH's; never the clock. */
static char *report_date(const nb_notebook *nb)
{
	if (nb->date)
		return nb_xstrdup(nb->date);
	const char *e = getenv("SOURCE_DATE_EPOCH");
	if (!e || !*e)
		return NULL;
	char *end;
	long long t = strtoll(e, &end, 10);
	if (*end || t < 0)
		return NULL;
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm))
		return NULL;
	char buf[32];
	strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
	return nb_xstrdup(buf);
}

static void title_block(doc *D)
{
	const nb_notebook *nb = D->r->nb;
	text_para(D, nb->title, SANS, 2.1 * D->fs, 1, 0, INK);
	D->y += 0.5 * D->fs;
	/* authors, source, licence, date: one small line each */
	char *date = report_date(nb);
	nb_buf a = NB_BUF_INIT;
	for (size_t i = 0; i < nb->nauthors; i++)
		nb_buf_printf(&a, "%s%s", i ? ", " : "", nb->authors[i]);
	const char *labels[4] = {"Authors", "Source", "Licence", "Date"};
	const char *vals[4] = {a.s, nb->source, nb->licence, date};
	for (int k = 0; k < 4; k++) {
		if (!vals[k])
			continue;
		inl m;
		inl_init(&m);
		nb_buf_printf(&m.text, "%s: ", labels[k]);
		add_attr(&m, pango_attr_weight_new(PANGO_WEIGHT_BOLD), 0, (int)m.text.len);
		int start = (int)m.text.len;
		nb_buf_puts(&m.text, vals[k]);
		if (k == 1 && (!strncmp(vals[k], "http://", 7) || !strncmp(vals[k], "https://", 8))) {
			NB_GROW(m.links, m.caplinks, 1);
			m.links[0] = (mdlink){start, (int)m.text.len, nb_xstrdup(vals[k])};
			m.nlinks = 1;
			add_attr(&m, pango_attr_foreground_new((guint16)(LINK.r * 65535), (guint16)(LINK.g * 65535),
							       (guint16)(LINK.b * 65535)),
				 start, (int)m.text.len);
		}
		PangoLayout *ml = inl_layout(D, &m, SANS, 0.9 * D->fs, 0, D->width, 0);
		flow_para(D, ml, &m, 0, NULL, GREY);
		g_object_unref(ml);
		inl_release(&m);
	}
	nb_buf_release(&a);
	free(date);
	want_space(D, 1.2 * D->fs);
	rule_block(D);
}

/* The contents: the headings of levels 1 to 3 and their pages, as links. */
static void contents_block(doc *D)
{
	if (!D->contents)
		return;
	want_space(D, 0.4 * D->fs);
	text_para(D, "Contents", SANS, 1.35 * D->fs, 1, 0, INK);
	want_space(D, 0.5 * D->fs);
	int top = 6;
	for (size_t i = 0; i < D->nknown; i++)
		if (D->known[i].level < top)
			top = D->known[i].level;
	double numw = 2.5 * D->fs;
	for (size_t i = 0; i < D->nknown; i++) {
		const heading *h = &D->known[i];
		int depth = h->level - top;
		if (depth > 2)
			continue;
		double ind = depth * 1.5 * D->fs;
		inl e;
		inl_init(&e);
		nb_buf_puts(&e.text, h->text);
		PangoLayout *el = inl_layout(D, &e, SERIF, D->fs, depth == 0, D->width - ind - numw, 0);
		int page_before = D->page;
		want_space(D, depth == 0 ? 0.35 * D->fs : 0.1 * D->fs);
		flow_para(D, el, NULL, ind, NULL, INK);
		if (D->draw) {
			PangoLayout *nl = new_layout(D, SERIF, D->fs, depth == 0, 0);
			char num[16];
			snprintf(num, sizeof num, "%d", h->page);
			pango_layout_set_text(nl, num, -1);
			PangoRectangle nr;
			layout_extents(nl, NULL, &nr);
			/* the number on the entry's last line, with dotted leaders from the text to it */
			lines L = get_lines(el);
			double base = D->y - L.bot[L.n - 1] + L.base[L.n - 1];
			PangoRectangle last;
			pango_layout_line_get_extents(L.line[L.n - 1], NULL, &last);
			free_lines(&L);
			double numx = D->left + D->width - nr.width / (double)PANGO_SCALE;
			double from = D->left + ind + (last.x + last.width) / (double)PANGO_SCALE + 0.6 * D->fs;
			cairo_set_source_rgb(D->cr, 0.55, 0.55, 0.55);
			for (double dx = ceil(from / (0.45 * D->fs)) * 0.45 * D->fs; dx < numx - 0.5 * D->fs; dx += 0.45 * D->fs) {
				cairo_new_sub_path(D->cr);
				cairo_arc(D->cr, dx, base - 0.05 * D->fs, 0.045 * D->fs, 0, 2 * M_PI);
			}
			cairo_fill(D->cr);
			cairo_set_source_rgb(D->cr, INK.r, INK.g, INK.b);
			cairo_move_to(D->cr, numx, base - layout_baseline(nl) / (double)PANGO_SCALE);
			layout_show(D->cr, nl);
			g_object_unref(nl);
			PangoRectangle er;
			layout_extents(el, NULL, &er);
			double y0 = D->page == page_before ? D->y - er.height / (double)PANGO_SCALE : D->top;
			char *attr = nb_xasprintf("rect=[%.2f %.2f %.2f %.2f] page=%d pos=[%.2f %.2f]", D->left + ind, y0,
						  D->width - ind, D->y - y0, h->page, D->left, h->y);
			cairo_tag_begin(D->cr, CAIRO_TAG_LINK, attr);
			cairo_tag_end(D->cr, CAIRO_TAG_LINK);
			free(attr);
		}
		g_object_unref(el);
		inl_release(&e);
	}
	want_space(D, 1.2 * D->fs);
	rule_block(D);
}

static void kernel_cell(doc *D, size_t i, const nb_cell *c, const nb_cellres *res)
{
	mono **slot = D->code_cache + 3 * i;
	if (!c->hide) {
		nb_buf src = NB_BUF_INIT;
		nb_cell_source(c, &src);
		/* a short cell starts where the first lines of its output fit after it, or its figure
		 * (shrunk as far as figure_block would, with a caption line) */
		double hs = code_height(D, src.s ? src.s : "", src.len, 1 << 20, slot);
		double next = 0;
		if (res->text.len) {
			next = code_height(D, res->text.s, res->text.len, 3, slot + 1) + 0.5 * D->fs;
		} else if (res->nfigs && (res->figs[0].nrec || res->figs[0].fig)) {
			const nb_figref *f = &res->figs[0];
			size_t n = f->nrec ? f->nrec : 1;
			int cols;
			double gap, s = figure_scale(D, n, f->w, f->h, &cols, &gap);
			next = (n == 1 ? 0.7 : 1) * f->h * s + 2.5 * D->fs;
		}
		double page = D->bottom - D->top, before = fmax(D->space, 0.5 * D->fs); /* code_block's space */
		if (hs < page / 3 && hs + next < 0.9 * page && D->used && D->y + before + hs + next > D->bottom + 0.01)
			new_page(D);
		code_block(D, src.s ? src.s : "", src.len, 's', slot);
		nb_buf_release(&src);
	}
	if (res->text.len)
		code_block(D, res->text.s, res->text.len, 'o', slot + 1);
	for (size_t k = 0; k < res->nfigs; k++) {
		const nb_figref *f = &res->figs[k];
		if (f->nrec || f->fig)
			figure_block(D, f, f->rec, f->nrec ? f->nrec : 1, f->w, f->h,
				     f->alt && strcmp(f->alt, f->name) ? f->alt : NULL);
	}
	if (res->ran < 0) {
		nb_buf e = NB_BUF_INIT;
		nb_buf_printf(&e, "Error in cell '%s'%s:\n", c->label, res->check_failed ? " (check failed)" : "");
		nb_err_format(&res->err, &e);
		code_block(D, e.s, e.len, 'e', slot + 2);
		nb_buf_release(&e);
	}
}

static void layout_run(doc *D)
{
	const nb_notebook *nb = D->r->nb;
	D->nlaid = 0;
	D->page = 1;
	D->y = D->top;
	D->used = 0;
	D->space = 0;
	D->figno = 0;
	memset(D->outline_ids, 0, sizeof D->outline_ids);
	title_block(D);
	if (D->contents)
		contents_block(D);
	size_t stopped = nb->ncells;
	for (size_t i = 0; i < nb->ncells; i++) {
		const nb_cell *c = &nb->cells[i];
		const nb_cellres *res = &D->r->res[i];
		if (res->ran == 0) {
			stopped = i;
			break;
		}
		if (c->kind == NB_CELL_MD)
			markdown(D, c->md);
		else
			kernel_cell(D, i, c, res);
		if (res->ran < 0) {
			stopped = i + 1;
			break;
		}
	}
	if (stopped < nb->ncells) {
		size_t left = nb->ncells - stopped;
		char *msg = nb_xasprintf("The run stopped here: %zu later cell%s did not run.", left, left == 1 ? "" : "s");
		want_space(D, 0.6 * D->fs);
		text_para(D, msg, SERIF, D->fs, 0, 1, (rgb){0.55, 0.05, 0.05});
		free(msg);
	}
	page_footer(D);
}

static void free_heads(heading *h, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(h[i].text);
	free(h);
}

static PangoContext *new_context(void)
{
	PangoContext *pc = pl_text_context();
	PangoLanguage *en = pango_language_from_string("en");
	pango_context_set_language(pc, en);
	return pc;
}

/* An ISO date for the PDF's metadata from the report's date, else a fixed one. */
static void pdf_date(const char *date, char *out, size_t cap)
{
	int y, m, d;
	if (date && sscanf(date, "%4d-%2d-%2d", &y, &m, &d) == 3 && y > 0 && m >= 1 && m <= 12 && d >= 1 && d <= 31)
		snprintf(out, cap, "%04d-%02d-%02dT00:00:00Z", y, m, d);
	else
		snprintf(out, cap, "2000-01-01T00:00:00Z");
}

static cairo_status_t to_buf(void *closure, const unsigned char *data, unsigned int len)
{
	nb_buf_add(closure, (const char *)data, len);
	return CAIRO_STATUS_SUCCESS;
}

/* Pass 3: draw the report into out; cairo's status. */
static cairo_status_t draw_report(doc *D, nb_buf *out)
{
	const nb_notebook *nb = D->r->nb;
	nb_buf_reset(out);
	D->nplaces = 0;
	D->surf = cairo_pdf_surface_create_for_stream(to_buf, out, D->pw, D->ph);
	if (cairo_surface_status(D->surf) == CAIRO_STATUS_SUCCESS) {
		char *date = report_date(nb), iso[40];
		pdf_date(date, iso, sizeof iso);
		free(date);
		cairo_pdf_surface_set_metadata(D->surf, CAIRO_PDF_METADATA_TITLE, nb->title);
		nb_buf a = NB_BUF_INIT;
		for (size_t i = 0; i < nb->nauthors; i++)
			nb_buf_printf(&a, "%s%s", i ? ", " : "", nb->authors[i]);
		if (a.len)
			cairo_pdf_surface_set_metadata(D->surf, CAIRO_PDF_METADATA_AUTHOR, a.s);
		nb_buf_release(&a);
		cairo_pdf_surface_set_metadata(D->surf, CAIRO_PDF_METADATA_CREATOR, "nbrun");
		cairo_pdf_surface_set_metadata(D->surf, CAIRO_PDF_METADATA_CREATE_DATE, iso);
		cairo_pdf_surface_set_metadata(D->surf, CAIRO_PDF_METADATA_MOD_DATE, iso);
		D->cr = cairo_create(D->surf);
		D->draw = 1;
		D->contents = nb->report.contents && D->nknown >= 2;
		layout_run(D);
		cairo_destroy(D->cr);
		D->cr = NULL;
		cairo_surface_finish(D->surf);
	}
	cairo_status_t st = cairo_surface_status(D->surf);
	cairo_surface_destroy(D->surf);
	D->surf = NULL;
	return st;
}

/* The figures' PDF files, once the writer has written them, copied onto their places in pdf
 * (with none, the cross-reference table is still mended, if it can be); -1 if a figure cannot
 * be copied. */
static int embed_figures(doc *D, nb_run *r, nb_buf *pdf)
{
	if (D->nplaces)
		nb_run_wait_writer(r);
	int rc = 0;
	for (size_t i = 0; i < D->nplaces && rc == 0; i++) {
		char *path = nb_xasprintf("%s/%s", r->dir, D->place_file[i]);
		D->places[i].pdf = nb_read_file(path, &D->places[i].len);
		rc = D->places[i].pdf ? 0 : -1;
		free(path);
	}
	nb_buf why = NB_BUF_INIT;
	if (rc == 0)
		rc = nb_pdf_embed(pdf, D->places, D->nplaces, &why);
	nb_buf_release(&why);
	if (!D->nplaces)
		rc = 0; /* the table could not be mended: the document stays as cairo wrote it */
	for (size_t i = 0; i < D->nplaces; i++)
		free((char *)D->places[i].pdf);
	return rc;
}

/* The drawings of the figures kept to be copied from their files (the writer is done with
 * them), for a report that draws them. */
static void record_kept_figures(nb_run *r)
{
	nb_run_wait_writer(r);
	for (size_t i = 0; i < r->nb->ncells; i++)
		for (size_t k = 0; k < r->res[i].nfigs; k++) {
			nb_figref *f = &r->res[i].figs[k];
			if (f->fig && !f->nrec) {
				f->rec = nb_xmalloc(sizeof *f->rec);
				f->rec[0] = pl_figure_record(f->fig, &f->w, &f->h);
				f->nrec = 1;
			}
		}
}

int nb_report_pdf(nb_run *r, const char *path, nb_err *e)
{
	const nb_notebook *nb = r->nb;
	doc D;
	memset(&D, 0, sizeof D);
	D.r = r;
	D.pw = nb->report.letter ? 612 : 595.2756;
	D.ph = nb->report.letter ? 792 : 841.8898;
	D.margin = nb->report.margin_mm * MM;
	D.fs = nb->report.font_pt;
	D.left = D.margin;
	D.width = D.pw - 2 * D.margin;
	D.top = D.margin;
	D.bottom = D.ph - D.margin;
	D.pc = new_context();
	pango_cairo_context_set_shape_renderer(D.pc, draw_shape, &D, NULL);
	char *dir = nb_xstrdup(nb->path ? nb->path : "");
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	D.basedir = dir;
	inl_init(&D.cur);

	/* pass 1: the headings, from the markdown alone; pass 2, for a report with contents: their
	 * pages after the contents */
	D.code_cache = nb_xcalloc(3 * nb->ncells + 1, sizeof *D.code_cache);
	D.hyph = nb_hyphen_dict();
	for (int pass = 0; pass < 2; pass++) {
		D.collect = pass == 0;
		D.contents = pass == 1 && nb->report.contents && D.nknown >= 2;
		if (D.collect) {
			for (size_t i = 0; i < nb->ncells && r->res[i].ran != 0; i++)
				if (nb->cells[i].kind == NB_CELL_MD)
					markdown(&D, nb->cells[i].md);
		} else if (D.contents) {
			layout_run(&D);
		}
		free_heads((heading *)D.known, D.nknown);
		D.known = D.heads;
		D.nknown = D.nheads;
		D.heads = NULL;
		D.nheads = D.caphead = 0;
	}
	D.collect = 0;

	/* pass 3: draw, leaving the figures with PDF files to be copied in; should that fail,
	 * draw again with every figure replayed */
	nb_buf pdf = NB_BUF_INIT;
	D.embed = 1;
	cairo_status_t st = draw_report(&D, &pdf);
	if (st == CAIRO_STATUS_SUCCESS && embed_figures(&D, r, &pdf) < 0) {
		D.embed = 0;
		record_kept_figures(r);
		st = draw_report(&D, &pdf);
	}
	if (st == CAIRO_STATUS_SUCCESS && !D.embed) {
		/* only the cross-reference table mended (see pdfembed.h); if even that fails, the
		 * document stays as cairo wrote it */
		nb_buf why = NB_BUF_INIT;
		nb_pdf_embed(&pdf, NULL, 0, &why);
		nb_buf_release(&why);
	}
	int rc = 0;
	if (st != CAIRO_STATUS_SUCCESS) {
		nb_err_set(e, NB_NOLOC, "cannot write '%s': %s", path, cairo_status_to_string(st));
		rc = -1;
	} else if (nb_write_file_atomic(path, pdf.s, pdf.len) < 0) {
		nb_err_set(e, NB_NOLOC, "cannot write '%s': %s", path, strerror(errno));
		rc = -1;
	}
	nb_buf_release(&pdf);
	free(D.places);
	free(D.place_file);
	free_heads(D.heads, D.nheads);
	free_heads((heading *)D.known, D.nknown);
	for (size_t i = 0; i < 3 * nb->ncells; i++)
		mono_free(D.code_cache[i]);
	free(D.code_cache);
	mono_font_free(D.mono);
	for (size_t i = 0; i < D.nkept; i++)
		kept_free(&D.kept[i]);
	free(D.kept);
	inl_release(&D.cur);
	nb_buf_release(&D.code);
	free(D.marker);
	free(dir);
	g_object_unref(D.pc);
	return rc;
}
