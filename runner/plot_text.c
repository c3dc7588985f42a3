/*
 * plot_text.c - text and math layout for figures.  See plot_text.h.
 *
 * The math engine follows matplotlib's mathtext constants for DejaVu Sans
 * (scripts at 0.7 size per level; superscripts raised 0.7 x-height,
 * subscripts dropped 0.3, or 0.5 under a superscript; both start at the
 * same x), with every glyph run measured by pango.
 */
#include "plot_text.h"

#include <ctype.h>
#include <fontconfig/fontconfig.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define FONT "DejaVu Sans"

/* ----------------------------------------------------------- measuring */

/*
 * Fonts are found through a fontconfig configuration of nbrun's own: the
 * system's font folders, read from the caches fontconfig keeps for them,
 * and no rules.  Every family nbrun asks for is named (DejaVu Sans, Serif,
 * Sans Mono, Math TeX Gyre), with its sizes and hinting set by nbrun, so
 * the rules of /etc/fonts/conf.d and of a user's own configuration (family
 * aliases, hinting, preferred fallbacks) have nothing to add but
 * differences between machines.  Loading them was also most of start-up:
 * FcInit reads some forty XML files, 7-8 ms, against under 1 ms here.
 * Should fontconfig refuse the configuration, the system's is used.
 */
static const char font_config[] = "<?xml version=\"1.0\"?>\n"
				  "<fontconfig>\n"
				  "  <dir>/usr/share/fonts</dir>\n"
				  "  <dir>/usr/local/share/fonts</dir>\n"
				  "  <cachedir>/var/cache/fontconfig</cachedir>\n"
				  "  <cachedir prefix=\"xdg\">fontconfig</cachedir>\n"
				  "</fontconfig>\n";

static void fonts_setup(void)
{
	FcConfig *c = FcConfigCreate();
	if (!c)
		return;
	if (FcConfigParseAndLoadFromMemory(c, (const FcChar8 *)font_config, FcFalse) && FcConfigBuildFonts(c))
		FcConfigSetCurrent(c); /* which holds its own reference */
	FcConfigDestroy(c);
}

/*
 * Pango keeps a font map per thread.  Its own resolution matters too, not
 * only the context's: pango measures each new font's metrics (line heights,
 * average widths) through a context at the font map's resolution, 96 by
 * default, and the fontconfig pattern records the resolution, so at 96 every
 * font size in use was matched, sorted and loaded a second time (and pango
 * starts two threads for each new pattern).  Changing the resolution clears
 * the font map's caches, so it is set once.  For the same reason every
 * context, the figures' and the report's, is in one language, English (the
 * C locale's default, "c", made patterns of its own for the figures), and
 * slanted text asks for italic, as the report's emphasis does (fontconfig
 * gives DejaVu Sans's oblique face for it all the same).
 */
static pthread_once_t fonts_once = PTHREAD_ONCE_INIT;

void pl_text_prepare(void)
{
	pthread_once(&fonts_once, fonts_setup);
}

PangoContext *pl_text_context(void)
{
	pthread_once(&fonts_once, fonts_setup); /* before pango's first font map starts fontconfig */
	PangoCairoFontMap *fm = PANGO_CAIRO_FONT_MAP(pango_cairo_font_map_get_default());
	if (pango_cairo_font_map_get_resolution(fm) != 72)
		pango_cairo_font_map_set_resolution(fm, 72);
	PangoContext *pc = pango_font_map_create_context(PANGO_FONT_MAP(fm));
	pango_cairo_context_set_resolution(pc, 72);
	pango_context_set_language(pc, pango_language_from_string("en"));
	cairo_font_options_t *fo = cairo_font_options_create();
	cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
	cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
	pango_cairo_context_set_font_options(pc, fo);
	cairo_font_options_destroy(fo);
	return pc;
}

static pthread_mutex_t layout_mu = PTHREAD_MUTEX_INITIALIZER;

void pl_layout_settle(PangoLayout *l)
{
	pthread_mutex_lock(&layout_mu);
	pango_layout_get_line_count(l);
	pthread_mutex_unlock(&layout_mu);
}

/*
 * The fonts this thread has laid text out in, under the lock, text their
 * face covers alone (so no fallback font joined in): pango has their
 * metrics, kept with the font object, which is held here so that pango's
 * font map (one per thread) finds the same object again however its caches
 * turn over; so more text that the face covers is laid out in them without
 * the lock (pango takes, for each character, the first font of the
 * fontset that covers it: the face itself).  The font is told by what
 * pango's font key holds: family, style, size, the context's matrix and
 * language, and the kind of surface (its font options).  Past KNOWN_MAX,
 * every layout takes the lock.  (The fonts are held for the thread's life,
 * as pango holds its font map.)
 */
typedef struct known_font {
	const char *family;
	int style, target;
	double size, m[4];
	const PangoLanguage *lang;
	PangoFont *font;
	PangoCoverage *cov;
} known_font;
#define KNOWN_MAX 128
static _Thread_local known_font known[KNOWN_MAX];
static _Thread_local int nknown;

/* Every character of text in the coverage cov. */
static int covered(PangoCoverage *cov, const char *text)
{
	for (const char *p = text; *p; p = g_utf8_next_char(p)) {
		gunichar c = (unsigned char)*p < 0x80 ? (gunichar)*p : g_utf8_get_char(p);
		if (pango_coverage_get(cov, (int)c) == PANGO_COVERAGE_NONE)
			return 0;
	}
	return 1;
}

static int known_index(const known_font *k)
{
	for (int i = 0; i < nknown; i++)
		if (!strcmp(known[i].family, k->family) && known[i].style == k->style && known[i].target == k->target &&
		    known[i].size == k->size && !memcmp(known[i].m, k->m, sizeof k->m) && known[i].lang == k->lang)
			return i;
	return -1;
}

/* A layout of one run of text, laid out (pl_layout_settle unless its font is known and covers
 * the text). */
static PangoLayout *run_layout(PangoContext *pc, const char *family, const char *text, int style, double size)
{
	PangoLayout *l = pango_layout_new(pc);
	PangoFontDescription *fd = pango_font_description_new();
	pango_font_description_set_family(fd, family ? family : FONT);
	pango_font_description_set_style(fd, (style & 1) ? PANGO_STYLE_ITALIC : PANGO_STYLE_NORMAL);
	pango_font_description_set_weight(fd, (style & 2) ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
	pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
	pango_layout_set_font_description(l, fd);
	pango_layout_set_text(l, text, -1);
	const PangoMatrix *pm = pango_context_get_matrix(pc);
	known_font k = {family ? family : FONT, style,
			GPOINTER_TO_INT(g_object_get_data(G_OBJECT(pc), PL_TL_TARGET)), size,
			{pm ? pm->xx : 1, pm ? pm->xy : 0, pm ? pm->yx : 0, pm ? pm->yy : 1},
			pango_context_get_language(pc), NULL, NULL};
	int i = known_index(&k);
	if (i < 0 || !covered(known[i].cov, text)) {
		pl_layout_settle(l);
		if (i < 0 && nknown < KNOWN_MAX && (k.font = pango_context_load_font(pc, fd))) {
			k.cov = pango_font_get_coverage(k.font, (PangoLanguage *)k.lang);
			if (k.cov && covered(k.cov, text)) {
				known[nknown++] = k;
			} else {
				if (k.cov)
					pango_coverage_unref(k.cov);
				g_object_unref(k.font);
			}
		}
	}
	pango_font_description_free(fd);
	return l;
}

typedef struct metrics {
	double w, asc, desc; /* advance; ink ascent above and descent below the baseline */
} metrics;

static PangoLayout *piece_layout(PangoContext *pc, const char *family, const char *text, int style, double size);

static metrics measure(PangoContext *pc, const char *family, const char *text, int style, double size)
{
	PangoLayout *l = piece_layout(pc, family, text, style, size);
	PangoRectangle ink, log;
	pango_layout_get_extents(l, &ink, &log);
	double base = pango_layout_get_baseline(l) / (double)PANGO_SCALE;
	metrics m;
	m.w = log.width / (double)PANGO_SCALE;
	if (ink.height > 0) {
		m.asc = base - ink.y / (double)PANGO_SCALE;
		m.desc = (ink.y + ink.height) / (double)PANGO_SCALE - base;
	} else {
		m.asc = m.desc = 0;
	}
	g_object_unref(l);
	return m;
}

/* ---------------------------------------------------------- boxes */

typedef struct box {
	pl_tl t; /* pieces and rules relative to the box origin */
} box;

static void add_piece(pl_tl *t, const char *text, size_t n, int style, double size, double x, double y)
{
	NB_GROW(t->p, t->capp, t->np + 1);
	t->p[t->np].text = nb_xstrndup(text, n);
	t->p[t->np].style = style;
	t->p[t->np].size = size;
	t->p[t->np].x = x;
	t->p[t->np].y = y;
	t->np++;
}

static void add_rule(pl_tl *t, double x, double y, double w, double h)
{
	NB_GROW(t->r, t->capr, t->nr + 1);
	t->r[t->nr] = (pl_rule){x, y, w, h};
	t->nr++;
}

/* Append box b to a at horizontal offset dx, vertical dy (b is consumed). */
static void place(pl_tl *a, pl_tl *b, double dx, double dy)
{
	for (size_t i = 0; i < b->np; i++) {
		NB_GROW(a->p, a->capp, a->np + 1);
		a->p[a->np] = b->p[i];
		a->p[a->np].x += dx;
		a->p[a->np].y += dy;
		a->np++;
	}
	for (size_t i = 0; i < b->nr; i++)
		add_rule(a, b->r[i].x + dx, b->r[i].y + dy, b->r[i].w, b->r[i].h);
	free(b->p);
	free(b->r);
	memset(b, 0, sizeof *b);
}

static void extend(pl_tl *a, double asc, double desc)
{
	if (asc > a->ascent)
		a->ascent = asc;
	if (desc > a->descent)
		a->descent = desc;
}

/* ------------------------------------------------------------ symbols */

typedef struct sym {
	const char *name, *utf8;
	int italic;
} sym;

static const sym symbols[] = {
	{"alpha", "α", 1}, {"beta", "β", 1}, {"gamma", "γ", 1}, {"delta", "δ", 1}, {"epsilon", "ϵ", 1},
	{"varepsilon", "ε", 1}, {"zeta", "ζ", 1}, {"eta", "η", 1}, {"theta", "θ", 1}, {"vartheta", "ϑ", 1},
	{"iota", "ι", 1}, {"kappa", "κ", 1}, {"lambda", "λ", 1}, {"mu", "μ", 1}, {"nu", "ν", 1}, {"xi", "ξ", 1},
	{"pi", "π", 1}, {"varpi", "ϖ", 1}, {"rho", "ρ", 1}, {"varrho", "ϱ", 1}, {"sigma", "σ", 1},
	{"varsigma", "ς", 1}, {"tau", "τ", 1}, {"upsilon", "υ", 1}, {"phi", "ϕ", 1}, {"varphi", "φ", 1},
	{"chi", "χ", 1}, {"psi", "ψ", 1}, {"omega", "ω", 1}, {"Gamma", "Γ", 0}, {"Delta", "Δ", 0},
	{"Theta", "Θ", 0}, {"Lambda", "Λ", 0}, {"Xi", "Ξ", 0}, {"Pi", "Π", 0}, {"Sigma", "Σ", 0},
	{"Upsilon", "Υ", 0}, {"Phi", "Φ", 0}, {"Psi", "Ψ", 0}, {"Omega", "Ω", 0},
	{"cdot", "·", 0}, {"times", "×", 0}, {"div", "÷", 0}, {"pm", "±", 0}, {"mp", "∓", 0}, {"leq", "≤", 0},
	{"le", "≤", 0}, {"geq", "≥", 0}, {"ge", "≥", 0}, {"neq", "≠", 0}, {"ne", "≠", 0}, {"approx", "≈", 0},
	{"sim", "∼", 0}, {"simeq", "≃", 0}, {"equiv", "≡", 0}, {"propto", "∝", 0}, {"infty", "∞", 0},
	{"partial", "∂", 0}, {"nabla", "∇", 0}, {"sum", "∑", 0}, {"prod", "∏", 0}, {"int", "∫", 0},
	{"to", "→", 0}, {"rightarrow", "→", 0}, {"leftarrow", "←", 0}, {"Rightarrow", "⇒", 0},
	{"Leftarrow", "⇐", 0}, {"leftrightarrow", "↔", 0}, {"mapsto", "↦", 0}, {"in", "∈", 0},
	{"notin", "∉", 0}, {"subset", "⊂", 0}, {"subseteq", "⊆", 0}, {"cup", "∪", 0}, {"cap", "∩", 0},
	{"forall", "∀", 0}, {"exists", "∃", 0}, {"mid", "|", 0}, {"vert", "|", 0}, {"Vert", "‖", 0},
	{"|", "‖", 0}, {"lVert", "‖", 0}, {"rVert", "‖", 0}, {"lvert", "|", 0}, {"rvert", "|", 0},
	{"langle", "⟨", 0}, {"rangle", "⟩", 0}, {"ldots", "…", 0}, {"cdots", "⋯", 0}, {"dots", "…", 0},
	{"prime", "′", 0}, {"circ", "∘", 0}, {"ast", "∗", 0}, {"star", "⋆", 0}, {"dagger", "†", 0},
	{"ell", "ℓ", 0}, {"hbar", "ℏ", 0}, {"emptyset", "∅", 0}, {"neg", "¬", 0}, {"wedge", "∧", 0},
	{"vee", "∨", 0}, {"oplus", "⊕", 0}, {"otimes", "⊗", 0}, {"top", "⊤", 0}, {"bot", "⊥", 0},
	{"{", "{", 0}, {"}", "}", 0}, {"_", "_", 0}, {"%", "%", 0}, {"$", "$", 0}, {"#", "#", 0}, {"&", "&", 0},
	{"lbrace", "{", 0}, {"rbrace", "}", 0}, {"lfloor", "⌊", 0}, {"rfloor", "⌋", 0}, {"lceil", "⌈", 0},
	{"rceil", "⌉", 0}, {"sqrt", NULL, 0},
};

static const char *const funcs[] = {"log", "exp", "sin", "cos", "tan", "lim", "max", "min", "arg", "det", "ln",
				    "sup", "inf", "tanh", "sinh", "cosh", "arctan", "arcsin", "arccos", "mod",
				    "argmin", "argmax", "Pr", "dim", "ker", "sec", "csc", "cot"};

/* --------------------------------------------------------------- parser */

typedef struct mp {
	PangoContext *pc;
	const char *s;
	size_t i, n;
	int depth;
	const char *family;   /* NULL: DejaVu Sans */
	int display;          /* TeX's display style at the outer level */
	int script;           /* inside sub- and superscripts */
	int frac;             /* inside a fraction's parts (text style, not display style) */
	int lefts;            /* open \left groups */
	int limits;           /* set by parse_atom: the atom takes its scripts above and below */
	int tex;              /* TeX's spacing: none around operators in scripts, binary minus spaced */
	int operand;          /* the list so far ends in an operand (so a minus is binary) */
} mp;

#define SCRIPT 0.7

static double xheight(double size)
{
	return 0.547 * size; /* DejaVu Sans: 1120 / 2048 em */
}

/* A box holding one glyph run. */
static pl_tl run_box(mp *P, const char *text, size_t n, int style, double size)
{
	pl_tl t = {0};
	char *tmp = nb_xstrndup(text, n);
	metrics m = measure(P->pc, P->family, tmp, style, size);
	free(tmp);
	add_piece(&t, text, n, style, size, 0, 0);
	t.width = m.w;
	t.ascent = m.asc;
	t.descent = m.desc;
	return t;
}

static pl_tl parse_list(mp *P, double size, int style, char stop);

static void skip_spaces(mp *P)
{
	while (P->i < P->n && P->s[P->i] == ' ')
		P->i++;
}

/* A {group} or a single token as an argument. */
/* b with space before and after it (TeX's thin and medium spaces); takes b's pieces. */
static pl_tl padded(pl_tl *b, double before, double after)
{
	pl_tl w = {0};
	double bw = b->width, ba = b->ascent, bd = b->descent;
	place(&w, b, before, 0);
	w.width = before + bw + after;
	w.ascent = ba;
	w.descent = bd;
	return w;
}

static pl_tl parse_arg(mp *P, double size, int style)
{
	skip_spaces(P);
	if (P->i < P->n && P->s[P->i] == '{') {
		P->i++;
		pl_tl b = parse_list(P, size, style, '}');
		if (P->i < P->n && P->s[P->i] == '}')
			P->i++;
		return b;
	}
	/* one atom */
	mp sub = *P;
	pl_tl b = parse_list(&sub, size, style, 1 /* one atom only */);
	P->i = sub.i;
	return b;
}

/* Raw text of a {group} (for \text). */
/* The end of a command's name that starts at s[i] (just after the backslash): one character
 * that is not a letter, or a run of letters. */
static size_t command_end(const char *s, size_t i, size_t n)
{
	if (i < n && !isalpha((unsigned char)s[i]))
		return i + 1;
	while (i < n && isalpha((unsigned char)s[i]))
		i++;
	return i;
}

/* The character the symbol command name[0..len) stands for, or NULL. */
static const char *symbol_named(const char *name, size_t len)
{
	for (size_t k = 0; k < NB_ARRAY_LEN(symbols); k++)
		if (symbols[k].utf8 && strlen(symbols[k].name) == len && !strncmp(symbols[k].name, name, len))
			return symbols[k].utf8;
	return NULL;
}

static int utf8_len(unsigned char c);

/* Raw text of a {group}, or of the single token that stands for one (\hat x, \hat\beta), a
 * command that names a symbol given as its character. */
static char *raw_arg(mp *P)
{
	skip_spaces(P);
	if (P->i >= P->n)
		return nb_xstrdup("");
	if (P->s[P->i] != '{') {
		size_t start = P->i;
		if (P->s[P->i] == '\\') {
			P->i = command_end(P->s, P->i + 1, P->n);
			const char *g = symbol_named(P->s + start + 1, P->i - start - 1);
			return g ? nb_xstrdup(g) : nb_xstrndup(P->s + start, P->i - start);
		}
		int len = utf8_len((unsigned char)P->s[P->i]);
		P->i += P->i + (size_t)len <= P->n ? (size_t)len : P->n - P->i;
		return nb_xstrndup(P->s + start, P->i - start);
	}
	size_t start = ++P->i;
	int depth = 1;
	while (P->i < P->n && depth) {
		if (P->s[P->i] == '{')
			depth++;
		else if (P->s[P->i] == '}')
			depth--;
		P->i++;
	}
	return nb_xstrndup(P->s + start, P->i - start - (depth == 0));
}

static int utf8_len(unsigned char c)
{
	return c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
}

/* The delimiter after \left or \right: its glyph (one character is copied to buf), or "" for
 * the null delimiter '.'. */
static const char *delimiter_glyph(mp *P, char buf[8])
{
	skip_spaces(P);
	if (P->i >= P->n)
		return "";
	char c = P->s[P->i];
	if (c != '\\') {
		int len = utf8_len((unsigned char)c);
		if (P->i + (size_t)len > P->n)
			len = (int)(P->n - P->i);
		P->i += (size_t)len;
		if (c == '.')
			return "";
		memcpy(buf, P->s + P->i - len, (size_t)len);
		buf[len] = '\0';
		return buf;
	}
	size_t start = ++P->i;
	P->i = command_end(P->s, P->i, P->n);
	const char *g = symbol_named(P->s + start, P->i - start);
	return g ? g : "";
}

/* A delimiter tall enough for content reaching asc above and desc below the baseline. */
static pl_tl grown_delimiter(mp *P, const char *g, double size, double asc, double desc)
{
	pl_tl b = {0};
	if (!*g) {
		b.width = 0.1 * size; /* TeX's null delimiter space */
		return b;
	}
	double axis = 0.5 * xheight(size);
	double need = 2 * fmax(asc - axis, desc + axis);
	metrics m = measure(P->pc, P->family, g, 0, size);
	double h = m.asc + m.desc, grow = h > 0 ? need * 1.08 / h : 1;
	grow = grow < 1 ? 1 : grow > 3 ? 3 : grow;
	pl_tl d = run_box(P, g, strlen(g), 0, size * grow);
	double w = d.width, a = d.ascent, de = d.descent, dy = grow > 1 ? axis - (a - de) / 2 : 0;
	place(&b, &d, 0, dy);
	b.width = w;
	b.ascent = a + dy;
	b.descent = de - dy;
	return b;
}

/* \left<delim> ... \right<delim>: the delimiters grow to the height of what they enclose. */
static pl_tl parse_left(mp *P, double size, int style)
{
	char lb[8], rb[8];
	const char *lg = delimiter_glyph(P, lb);
	P->lefts++;
	pl_tl inner = parse_list(P, size, style, 0);
	P->lefts--;
	const char *rg = "";
	if (P->i + 6 <= P->n && !strncmp(P->s + P->i, "\\right", 6)) {
		P->i += 6;
		rg = delimiter_glyph(P, rb);
	}
	double ia = inner.ascent, id = inner.descent, iw = inner.width;
	pl_tl out = {0};
	pl_tl l = grown_delimiter(P, lg, size, ia, id);
	double lw = l.width;
	extend(&out, l.ascent, l.descent);
	place(&out, &l, 0, 0);
	place(&out, &inner, lw, 0);
	extend(&out, ia, id);
	pl_tl r = grown_delimiter(P, rg, size, ia, id);
	double rw = r.width;
	extend(&out, r.ascent, r.descent);
	place(&out, &r, lw + iw, 0);
	out.width = lw + iw + rw;
	return out;
}

/* Whether the atom that starts at P->s[at] is an operand, not an operator or an opening. */
static int ends_operand(const mp *P, size_t at)
{
	static const char *const ops[] = {"cdot", "times", "div", "pm", "mp", "leq", "le", "geq", "ge", "neq", "ne",
					  "approx", "sim", "simeq", "equiv", "propto", "to", "rightarrow", "leftarrow",
					  "Rightarrow", "Leftarrow", "leftrightarrow", "mapsto", "in", "notin", "subset",
					  "subseteq", "cup", "cap", "forall", "exists", "mid", "sum", "prod", "int", "wedge",
					  "vee", "oplus", "otimes", "neg", "quad", "qquad", ",", ";", ":", "!", "langle"};
	char c = P->s[at];
	if (c != '\\')
		return !strchr("+-*/=<>([,;:|", c);
	size_t start = at + 1, end = command_end(P->s, start, P->n);
	for (size_t k = 0; k < NB_ARRAY_LEN(ops); k++)
		if (strlen(ops[k]) == end - start && !strncmp(ops[k], P->s + start, end - start))
			return 0;
	return 1;
}

/* The nucleus of the next item; *ok = 0 at the end or at the stop character. */
static pl_tl parse_atom(mp *P, double size, int style, char stop, int *ok, int *italic_nucleus)
{
	pl_tl empty = {0};
	*ok = 0;
	*italic_nucleus = 0;
	skip_spaces(P);
	if (P->i >= P->n || (stop > 1 && P->s[P->i] == stop))
		return empty;
	char c = P->s[P->i];
	*ok = 1;
	if (c == '{') {
		P->i++;
		pl_tl b = parse_list(P, size, style, '}');
		if (P->i < P->n && P->s[P->i] == '}')
			P->i++;
		return b;
	}
	if (c == '}') { /* unbalanced: show it */
		P->i++;
		return run_box(P, "}", 1, 0, size);
	}
	if (c == '\\') {
		size_t start = ++P->i;
		P->i = command_end(P->s, P->i, P->n);
		char name[32];
		size_t nl = P->i - start < 31 ? P->i - start : 31;
		memcpy(name, P->s + start, nl);
		name[nl] = '\0';
		/* spacing */
		double sp = !strcmp(name, ",") ? 3 / 18.0 : !strcmp(name, ":") || !strcmp(name, ">") ? 4 / 18.0
			  : !strcmp(name, ";") ? 5 / 18.0 : !strcmp(name, "quad") ? 1.0 : !strcmp(name, "qquad") ? 2.0
			  : !strcmp(name, "!") ? -3 / 18.0 : !strcmp(name, " ") ? 0.3 : 0;
		if (sp != 0) {
			pl_tl b = {0};
			b.width = sp * size;
			return b;
		}
		if (!strcmp(name, "right") && P->lefts > 0) { /* ends the \left group: parse_left takes it */
			P->i = start - 1;
			*ok = 0;
			return empty;
		}
		if (!strcmp(name, "left"))
			return parse_left(P, size, style);
		if (!strcmp(name, "right") || !strcmp(name, "displaystyle") || !strcmp(name, "mathdefault") ||
		    !strcmp(name, "limits")) {
			pl_tl b = {0};
			return b;
		}
		int displaystyle = P->display && !P->script && !P->frac;
		if (!strcmp(name, "frac") || !strcmp(name, "dfrac") || !strcmp(name, "tfrac")) {
			double s2 = displaystyle ? size : size * (P->depth ? SCRIPT : 0.85);
			P->depth++;
			P->frac++;
			pl_tl num = parse_arg(P, s2, style), den = parse_arg(P, s2, style);
			P->frac--;
			P->depth--;
			pl_tl b = {0};
			double w = fmax(num.width, den.width) + 0.2 * size, th = 0.06 * size;
			double axis = 0.5 * xheight(size);
			double nu = axis + th / 2 + 0.15 * size + num.descent, dd = axis - th / 2 - 0.15 * size - den.ascent;
			double na = num.ascent, nd = den.descent;
			double nw = num.width, dw = den.width;
			place(&b, &num, (w - nw) / 2, nu);
			place(&b, &den, (w - dw) / 2, dd);
			add_rule(&b, 0.05 * size, axis - th / 2, w - 0.1 * size, th);
			b.width = w;
			b.ascent = nu + na;
			b.descent = -(dd - nd);
			return b;
		}
		if (!strcmp(name, "sqrt")) {
			pl_tl rad = parse_arg(P, size, style);
			pl_tl b = run_box(P, "√", strlen("√"), 0, size * 1.1);
			double th = 0.06 * size, top = rad.ascent + 0.15 * size;
			double sw = b.width, rw = rad.width;
			double rdesc = rad.descent;
			place(&b, &rad, sw, 0);
			add_rule(&b, sw - 0.02 * size, top, rw + 0.05 * size, th);
			b.width = sw + rw + 0.1 * size;
			extend(&b, top + th, rdesc);
			return b;
		}
		if (!strcmp(name, "mathbf") || !strcmp(name, "bf") || !strcmp(name, "boldsymbol"))
			return parse_arg(P, size, !strcmp(name, "boldsymbol") ? 3 : 2);
		if (!strcmp(name, "mathcal")) {
			/* script capitals from Unicode's letterlike and mathematical alphanumeric blocks
			 * (DejaVu Math TeX Gyre has them); other characters upright */
			char *t = raw_arg(P);
			nb_buf bt = NB_BUF_INIT;
			static const unsigned lett[26] = {0, 0x212C, 0, 0, 0x2130, 0x2131, 0, 0x210B, 0x2110, 0, 0, 0x2112, 0x2133,
							 0, 0, 0, 0, 0x211B, 0, 0, 0, 0, 0, 0, 0, 0};
			for (const char *q = t; *q; q++) {
				unsigned cp = (unsigned char)*q;
				if (*q >= 'A' && *q <= 'Z')
					cp = lett[*q - 'A'] ? lett[*q - 'A'] : 0x1D49C + (unsigned)(*q - 'A');
				if (cp < 0x80)
					nb_buf_putc(&bt, (char)cp);
				else if (cp < 0x10000) {
					nb_buf_putc(&bt, (char)(0xE0 | cp >> 12));
					nb_buf_putc(&bt, (char)(0x80 | ((cp >> 6) & 0x3F)));
					nb_buf_putc(&bt, (char)(0x80 | (cp & 0x3F)));
				} else {
					nb_buf_putc(&bt, (char)(0xF0 | cp >> 18));
					nb_buf_putc(&bt, (char)(0x80 | ((cp >> 12) & 0x3F)));
					nb_buf_putc(&bt, (char)(0x80 | ((cp >> 6) & 0x3F)));
					nb_buf_putc(&bt, (char)(0x80 | (cp & 0x3F)));
				}
			}
			pl_tl b = run_box(P, bt.s ? bt.s : "", bt.len, 0, size);
			free(t);
			nb_buf_release(&bt);
			return b;
		}
		if (!strcmp(name, "mathrm") || !strcmp(name, "rm") || !strcmp(name, "mathsf") ||
		    !strcmp(name, "operatorname") || !strcmp(name, "mathtt"))
			return parse_arg(P, size, 4 /* upright */);
		if (!strcmp(name, "mathit") || !strcmp(name, "it"))
			return parse_arg(P, size, 1);
		if (!strcmp(name, "text") || !strcmp(name, "textrm") || !strcmp(name, "mbox") || !strcmp(name, "textit") ||
		    !strcmp(name, "textbf")) {
			char *t = raw_arg(P);
			int st = !strcmp(name, "textit") ? 1 : !strcmp(name, "textbf") ? 2 : 0;
			pl_tl b = run_box(P, t, strlen(t), st, size);
			free(t);
			return b;
		}
		static const struct {
			const char *name, *mark;
		} accents[] = {{"hat", "\xcc\x82"}, {"bar", "\xcc\x84"}, {"overline", "\xcc\x85"}, {"tilde", "\xcc\x83"},
			       {"vec", "\xe2\x83\x97"}, {"dot", "\xcc\x87"}, {"ddot", "\xcc\x88"}, {"widehat", "\xcc\x82"},
			       {"widetilde", "\xcc\x83"}};
		for (size_t k = 0; k < NB_ARRAY_LEN(accents); k++) {
			if (strcmp(name, accents[k].name))
				continue;
			char *t = raw_arg(P);
			nb_buf bt = NB_BUF_INIT;
			nb_buf_puts(&bt, t);
			nb_buf_puts(&bt, accents[k].mark);
			int it = strlen(t) == 1 && isalpha((unsigned char)t[0]);
			pl_tl b = run_box(P, bt.s, bt.len, it ? 1 : 0, size);
			*italic_nucleus = it;
			free(t);
			nb_buf_release(&bt);
			return b;
		}
		if (displaystyle && (!strcmp(name, "sum") || !strcmp(name, "prod") || !strcmp(name, "bigcup") ||
				     !strcmp(name, "bigcap") || !strcmp(name, "int"))) {
			/* a large operator, centred on the math axis; sums and products take limits */
			const char *g = !strcmp(name, "sum") ? "∑" : !strcmp(name, "prod") ? "∏"
				      : !strcmp(name, "bigcup") ? "⋃" : !strcmp(name, "bigcap") ? "⋂" : "∫";
			pl_tl op = run_box(P, g, strlen(g), 0, size * 1.45);
			double w = op.width, a = op.ascent, d = op.descent, dy = 0.5 * xheight(size) - (a - d) / 2;
			pl_tl b = {0};
			place(&b, &op, 0.08 * size, dy);
			b.width = w + 0.08 * size + 3 / 18.0 * size;
			b.ascent = a + dy;
			b.descent = d - dy;
			P->limits = strcmp(name, "int") != 0;
			return b;
		}
		for (size_t k = 0; k < NB_ARRAY_LEN(funcs); k++)
			if (!strcmp(name, funcs[k])) {
				pl_tl b = run_box(P, funcs[k], strlen(funcs[k]), 0, size);
				static const char *const lim[] = {"lim", "max", "min", "sup", "inf", "argmin", "argmax", "det", "Pr"};
				for (size_t q = 0; q < NB_ARRAY_LEN(lim) && displaystyle; q++)
					if (!strcmp(name, lim[q])) {
						P->limits = 1;
						return padded(&b, 0, 3 / 18.0 * size);
					}
				/* a thin space before an argument that is not bracketed: sin x, not sinx */
				size_t j = P->i;
				while (j < P->n && P->s[j] == ' ')
					j++;
				if (j < P->n && (isalnum((unsigned char)P->s[j]) || P->s[j] == '\\')) {
					return padded(&b, 0, 3 / 18.0 * size);
				}
				return b;
			}
		for (size_t k = 0; k < NB_ARRAY_LEN(symbols); k++) {
			if (symbols[k].utf8 && !strcmp(name, symbols[k].name)) {
				int it = symbols[k].italic && style != 4;
				int st = (style == 2 || style == 3) ? (it ? 3 : 2) : it;
				*italic_nucleus = it;
				pl_tl b = run_box(P, symbols[k].utf8, strlen(symbols[k].utf8), st, size);
				/* space round relations (thick) and binary operators (medium), as TeX and
				 * matplotlib's mathtext do */
				static const char *const rel[] = {"leq", "le", "geq", "ge", "neq", "ne", "approx", "sim",
								  "simeq", "equiv", "propto", "to", "rightarrow", "leftarrow",
								  "Rightarrow", "Leftarrow", "leftrightarrow", "mapsto", "in",
								  "notin", "subset", "subseteq"};
				static const char *const bin[] = {"cdot", "times", "div", "pm", "mp", "cup", "cap",
								  "oplus", "otimes", "wedge", "vee"};
				if (P->tex && P->script)
					return b;
				for (size_t q = 0; q < NB_ARRAY_LEN(rel); q++)
					if (!strcmp(name, rel[q]))
						return padded(&b, 5 / 18.0 * size, 5 / 18.0 * size);
				for (size_t q = 0; q < NB_ARRAY_LEN(bin) && P->operand; q++) /* unary: unspaced */
					if (!strcmp(name, bin[q]))
						return padded(&b, 4 / 18.0 * size, 4 / 18.0 * size);
				return b;
			}
		}
		/* unknown command: show it as written, upright */
		return run_box(P, P->s + start - 1, P->i - start + 1, 0, size);
	}
	/* one character */
	int len = utf8_len((unsigned char)c);
	if (P->i + (size_t)len > P->n)
		len = (int)(P->n - P->i);
	const char *ch = P->s + P->i;
	P->i += (size_t)len;
	if (c == '-') {
		pl_tl m = run_box(P, "−", strlen("−"), 0, size);
		if (P->tex && !P->script && P->operand)
			return padded(&m, 4 / 18.0 * size, 4 / 18.0 * size);
		return m;
	}
	if (c == '*')
		return run_box(P, "∗", strlen("∗"), 0, size);
	if (c == '\'')
		return run_box(P, "′", strlen("′"), 0, size);
	int letter = len == 1 && isalpha((unsigned char)c);
	int st;
	if (style == 4)
		st = 0;
	else if (style == 2 || style == 3)
		st = style == 3 ? 3 : 2;
	else
		st = letter ? 1 : 0;
	*italic_nucleus = st & 1;
	pl_tl b = run_box(P, ch, (size_t)len, st, size);
	/* punctuation is followed by a thin space, as in TeX */
	if (len == 1 && strchr(",;", c)) {
		return padded(&b, 0, 3 / 18.0 * size);
	}
	/* a little space around binary operators and relations */
	if (len == 1 && strchr("+=<>", c) && !(P->tex && P->script)) {
		double pad = (c == '+' ? 4 : 5) / 18.0 * size;
		return padded(&b, pad, pad);
	}
	return b;
}

/* A list of items: nucleus with optional sub/superscripts, side by side. */
static pl_tl parse_list(mp *P, double size, int style, char stop)
{
	pl_tl out = {0};
	int one = stop == 1;
	if (++P->depth > 20) {
		P->depth--;
		return out;
	}
	int outer_operand = P->operand;
	P->operand = 0;
	for (;;) {
		int ok, it;
		double nsize = size;
		/* remember the nucleus' box metrics before placing */
		P->limits = 0;
		skip_spaces(P);
		size_t at = P->i;
		pl_tl nuc = parse_atom(P, size, style, stop, &ok, &it);
		int limits = P->limits;
		if (!ok)
			break;
		P->operand = ends_operand(P, at);
		if (one) { /* a script's argument is one atom; its own scripts belong to the nucleus */
			double w0 = nuc.width, a0 = nuc.ascent, d0 = nuc.descent;
			place(&out, &nuc, 0, 0);
			out.width = w0;
			extend(&out, a0, d0);
			break;
		}
		pl_tl sub = {0}, sup = {0};
		int has_sub = 0, has_sup = 0;
		for (int k = 0; k < 2; k++) {
			skip_spaces(P);
			if (P->i < P->n && (P->s[P->i] == '_' || P->s[P->i] == '^')) {
				int is_sup = P->s[P->i] == '^';
				P->i++;
				double ss = nsize * SCRIPT;
				if (ss < nsize * SCRIPT * SCRIPT)
					ss = nsize * SCRIPT * SCRIPT;
				P->depth++;
				P->script++;
				pl_tl a = parse_arg(P, ss, style);
				P->script--;
				P->depth--;
				if (is_sup && !has_sup) {
					sup = a;
					has_sup = 1;
				} else if (!is_sup && !has_sub) {
					sub = a;
					has_sub = 1;
				} else {
					pl_tl_free(&a); /* double script: ignore */
				}
			}
		}
		double x = out.width, xh = xheight(nsize);
		double nw = nuc.width, nasc = nuc.ascent, ndesc = nuc.descent;
		if (limits && (has_sub || has_sup)) {
			/* display style: the limits centred above and below the operator */
			double w = fmax(nw, fmax(sub.width, sup.width)), gap = 0.15 * nsize;
			place(&out, &nuc, x + (w - nw) / 2, 0);
			extend(&out, nasc, ndesc);
			if (has_sup) {
				double a = sup.ascent, d = sup.descent, up = nasc + gap + d;
				place(&out, &sup, x + (w - sup.width) / 2, up);
				extend(&out, up + a, 0);
			}
			if (has_sub) {
				double a = sub.ascent, d = sub.descent, down = ndesc + gap + a;
				place(&out, &sub, x + (w - sub.width) / 2, -down);
				extend(&out, 0, down + d);
			}
			out.width = x + w + 0.1 * nsize;
			continue;
		}
		place(&out, &nuc, x, 0);
		extend(&out, nasc, ndesc);
		double w = nw;
		if (has_sup || has_sub) {
			double up = fmax(0.7 * xh, nasc - 0.4 * xh);
			double down = (has_sup ? 0.5 : 0.3) * xh;
			if (has_sub && has_sup) {
				/* keep at least 4 rule widths between the scripts */
				double gap = (up - sup.descent) - (sub.ascent - down);
				if (gap < 0.2 * xh)
					up += 0.2 * xh - gap;
			}
			double sw = 0, kern = it ? 0.1 * xh : 0.05 * xh;
			if (has_sup) {
				double a = sup.ascent, d = sup.descent, sw1 = sup.width;
				place(&out, &sup, x + nw + kern, up);
				extend(&out, up + a, d - up);
				sw = sw1 + kern;
			}
			if (has_sub) {
				double a = sub.ascent, d = sub.descent, sw2 = sub.width;
				place(&out, &sub, x + nw + 0.05 * xh, -down);
				extend(&out, a - down, d + down);
				if (sw2 + 0.05 * xh > sw)
					sw = sw2 + 0.05 * xh;
			}
			w += sw + 0.05 * nsize;
		}
		out.width = x + w;
		if (one)
			break;
	}
	P->depth--;
	P->operand = outer_operand;
	return out;
}

/* ---------------------------------------------------------------- public */

static pl_tl *layout_text(PangoContext *pc, const char *s, double size)
{
	pl_tl *t = nb_xcalloc(1, sizeof *t);
	size_t n = strlen(s), i = 0;
	nb_buf run = NB_BUF_INIT;
	while (i <= n) {
		/* an unescaped $ starts math */
		int dollar = i < n && s[i] == '$' && (i == 0 || s[i - 1] != '\\');
		if (i == n || dollar) {
			if (run.len) {
				pl_tl b = {0};
				mp P = {pc, s, 0, 0, 0};
				b = run_box(&P, run.s, run.len, 0, size);
				double w = b.width, a = b.ascent, d = b.descent;
				place(t, &b, t->width, 0);
				t->width += w;
				extend(t, a, d);
				nb_buf_reset(&run);
			}
			if (i == n)
				break;
			size_t end = i + 1;
			while (end < n && !(s[end] == '$' && s[end - 1] != '\\'))
				end++;
			if (end >= n) { /* unmatched: literal */
				nb_buf_putc(&run, '$');
				i++;
				continue;
			}
			mp P = {pc, s, i + 1, end, 0};
			pl_tl b = parse_list(&P, size, 0, 0);
			double w = b.width, a = b.ascent, d = b.descent;
			place(t, &b, t->width, 0);
			t->width += w;
			extend(t, a, d);
			i = end + 1;
			continue;
		}
		if (s[i] == '\\' && i + 1 < n && s[i + 1] == '$') {
			nb_buf_putc(&run, '$');
			i += 2;
			continue;
		}
		nb_buf_putc(&run, s[i]);
		i++;
	}
	nb_buf_release(&run);
	/* line height: at least that of "lp", as matplotlib lays out text lines */
	metrics lp = measure(pc, NULL, "lp", 0, size);
	extend(t, lp.asc, lp.desc);
	return t;
}

/*
 * Text layouts kept, one table per thread: a figure is drawn several times
 * (measured for its layout, recorded for the report, rasterised, written as
 * PDF), each time with the same tick labels, titles and legends, and laying
 * them out again was a tenth of a run.  A layout is kept for the context's
 * transformation and the kind of surface it draws on (PL_TL_TARGET on the
 * context; metrics differ between them in the last 1/256 pt), so a cached
 * layout is the one a fresh one would be, and outputs stay the same bytes
 * whichever thread drew what first.  Callers get their own copy.  The
 * pieces' pango layouts are kept likewise (piece_layout), so that drawing a
 * text does not lay its pieces out again: pango_cairo_show_layout draws a
 * kept layout as it would a fresh one from the same fonts, and the frames of
 * an animation, drawn twice each with the same labels, took 10% of their
 * notebook's time shaping them again.
 */
typedef struct tl_entry {
	char *text; /* NULL: a free slot */
	double key[6]; /* the size, and the context's matrix (xx, xy, yx, yy) and target kind */
	pl_tl *tl;
} tl_entry;

/* A piece of text as pango laid it out, for the same font, size, transformation and kind of
 * surface (drawing a text laid it out a second time: shaping each piece again was a tenth of an
 * animation's run). */
typedef struct lay_entry {
	char *text, *family; /* text NULL: a free slot */
	double key[7];       /* size, style, the context's matrix (xx, xy, yx, yy) and target kind */
	PangoLayout *l;
} lay_entry;

typedef struct tl_table {
	tl_entry *e;
	size_t cap, used;
	lay_entry *le;
	size_t lcap, lused;
} tl_table;

#define TL_TABLE_CAP 2048 /* emptied when half full */

static pthread_key_t tl_key;
static pthread_once_t tl_once = PTHREAD_ONCE_INIT;

static void tl_table_clear(tl_table *t)
{
	for (size_t i = 0; i < t->cap; i++)
		if (t->e[i].text) {
			free(t->e[i].text);
			pl_tl_free(t->e[i].tl);
			free(t->e[i].tl);
			t->e[i].text = NULL;
		}
	t->used = 0;
}

static void lay_table_clear(tl_table *t)
{
	for (size_t i = 0; i < t->lcap; i++)
		if (t->le[i].text) {
			free(t->le[i].text);
			free(t->le[i].family);
			g_object_unref(t->le[i].l);
			t->le[i].text = NULL;
		}
	t->lused = 0;
}

static void tl_table_free(void *p)
{
	tl_table *t = p;
	tl_table_clear(t);
	lay_table_clear(t);
	free(t->e);
	free(t->le);
	free(t);
}

static void tl_key_init(void)
{
	pthread_key_create(&tl_key, tl_table_free);
}

/* This thread's tables, or NULL if none can be had. */
static tl_table *tl_table_of_thread(void)
{
	pthread_once(&tl_once, tl_key_init);
	tl_table *t = pthread_getspecific(tl_key);
	if (!t) {
		t = nb_xcalloc(1, sizeof *t);
		t->cap = TL_TABLE_CAP;
		t->e = nb_xcalloc(t->cap, sizeof *t->e);
		t->lcap = TL_TABLE_CAP;
		t->le = nb_xcalloc(t->lcap, sizeof *t->le);
		if (pthread_setspecific(tl_key, t) != 0) {
			tl_table_free(t);
			return NULL;
		}
	}
	return t;
}

/* FNV-1a: h extended by the n bytes at p. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	for (size_t k = 0; k < n; k++)
		h = (h ^ ((const unsigned char *)p)[k]) * 1099511628211ULL;
	return h;
}

/* run_layout's layout, kept in this thread's table (a reference for the caller). */
static PangoLayout *piece_layout(PangoContext *pc, const char *family, const char *text, int style, double size)
{
	tl_table *t = tl_table_of_thread();
	if (!t)
		return run_layout(pc, family, text, style, size);
	const char *fam = family ? family : FONT;
	const PangoMatrix *m = pango_context_get_matrix(pc);
	double key[7] = {size, style, m ? m->xx : 1, m ? m->xy : 0, m ? m->yx : 0, m ? m->yy : 1,
			 (double)GPOINTER_TO_INT(g_object_get_data(G_OBJECT(pc), PL_TL_TARGET))};
	uint64_t h = fnv(fnv(fnv(1469598103934665603ULL, text, strlen(text)), fam, strlen(fam)), key, sizeof key);
	size_t i = (size_t)(h ^ h >> 29) & (t->lcap - 1);
	while (t->le[i].text && !(!memcmp(t->le[i].key, key, sizeof key) && !strcmp(t->le[i].text, text) &&
				  !strcmp(t->le[i].family, fam)))
		i = (i + 1) & (t->lcap - 1);
	if (!t->le[i].text) {
		if (2 * (t->lused + 1) > t->lcap) {
			lay_table_clear(t);
			return piece_layout(pc, family, text, style, size);
		}
		PangoLayout *l = run_layout(pc, family, text, style, size);
		pango_layout_get_line_count(l); /* laid out now (run_layout took the lock if it had to) */
		t->le[i] = (lay_entry){nb_xstrdup(text), nb_xstrdup(fam), {0}, l};
		memcpy(t->le[i].key, key, sizeof key);
		t->lused++;
	}
	return g_object_ref(t->le[i].l);
}

static pl_tl *tl_copy(const pl_tl *t)
{
	pl_tl *c = nb_xmalloc(sizeof *c);
	*c = *t;
	c->capp = t->np;
	c->capr = t->nr;
	c->p = t->np ? nb_xmalloc(t->np * sizeof *c->p) : NULL;
	c->r = t->nr ? nb_xmalloc(t->nr * sizeof *c->r) : NULL;
	for (size_t i = 0; i < t->np; i++) {
		c->p[i] = t->p[i];
		c->p[i].text = nb_xstrdup(t->p[i].text);
	}
	if (t->nr)
		memcpy(c->r, t->r, t->nr * sizeof *c->r);
	return c;
}

pl_tl *pl_tl_layout(PangoContext *pc, const char *s, double size)
{
	tl_table *t = tl_table_of_thread();
	if (!t)
		return layout_text(pc, s, size);
	const PangoMatrix *m = pango_context_get_matrix(pc);
	double key[6] = {size, m ? m->xx : 1, m ? m->xy : 0, m ? m->yx : 0, m ? m->yy : 1,
			 (double)GPOINTER_TO_INT(g_object_get_data(G_OBJECT(pc), PL_TL_TARGET))};
	uint64_t h = fnv(fnv(1469598103934665603ULL, s, strlen(s)), key, sizeof key);
	size_t i = (size_t)(h ^ h >> 29) & (t->cap - 1);
	while (t->e[i].text && !(!memcmp(t->e[i].key, key, sizeof key) && !strcmp(t->e[i].text, s)))
		i = (i + 1) & (t->cap - 1);
	if (!t->e[i].text) {
		if (2 * (t->used + 1) > t->cap) {
			tl_table_clear(t);
			return pl_tl_layout(pc, s, size);
		}
		t->e[i].text = nb_xstrdup(s);
		memcpy(t->e[i].key, key, sizeof key);
		t->e[i].tl = layout_text(pc, s, size);
		t->used++;
	}
	return tl_copy(t->e[i].tl);
}

pl_tl *pl_tl_math(PangoContext *pc, const char *src, double size, const char *family, int display)
{
	pl_tl *t = nb_xcalloc(1, sizeof *t);
	t->family = family;
	mp P = {pc, src, 0, strlen(src), 0, family, display, 0, 0, 0, 0, 1, 0};
	pl_tl b = parse_list(&P, size, 0, 0);
	double w = b.width, a = b.ascent, d = b.descent;
	place(t, &b, 0, 0);
	t->width = w;
	extend(t, a, d);
	metrics lp = measure(pc, family, "lp", 0, size);
	extend(t, lp.asc, lp.desc);
	return t;
}

void pl_tl_free(pl_tl *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->np; i++)
		free(t->p[i].text);
	free(t->p);
	free(t->r);
	t->p = NULL;
	t->r = NULL;
	t->np = t->nr = 0;
}

void pl_tl_draw(cairo_t *cr, PangoContext *pc, const pl_tl *t, double x, double y, double angle, pl_rgba c)
{
	cairo_save(cr);
	cairo_translate(cr, x, y);
	cairo_rotate(cr, -angle);
	cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a);
	for (size_t i = 0; i < t->np; i++) {
		const pl_piece *p = &t->p[i];
		PangoLayout *l = piece_layout(pc, t->family, p->text, p->style == 4 ? 0 : p->style, p->size);
		double base = pango_layout_get_baseline(l) / (double)PANGO_SCALE;
		cairo_move_to(cr, p->x, -p->y - base);
		pango_cairo_show_layout(cr, l);
		g_object_unref(l);
	}
	for (size_t i = 0; i < t->nr; i++) {
		const pl_rule *r = &t->r[i];
		cairo_rectangle(cr, r->x, -(r->y + r->h), r->w, r->h);
		cairo_fill(cr);
	}
	cairo_restore(cr);
}

/* ------------------------------------------------------------ plain text */

/* The Unicode superscript (sup) or subscript of ASCII c, or NULL. */
static const char *script_char(char c, int sup)
{
	static const char *const sup_digits[10] = {"⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"};
	static const char *const sub_digits[10] = {"₀", "₁", "₂", "₃", "₄", "₅", "₆", "₇", "₈", "₉"};
	static const char sup_other[] = "+-=()niT", sub_other[] = "+-=()aeoxhklmnpstij";
	static const char *const sup_other_u[] = {"⁺", "⁻", "⁼", "⁽", "⁾", "ⁿ", "ⁱ", "ᵀ"};
	static const char *const sub_other_u[] = {"₊", "₋", "₌", "₍", "₎", "ₐ", "ₑ", "ₒ", "ₓ", "ₕ",
						  "ₖ", "ₗ", "ₘ", "ₙ", "ₚ", "ₛ", "ₜ", "ᵢ", "ⱼ"};
	if (c >= '0' && c <= '9')
		return sup ? sup_digits[c - '0'] : sub_digits[c - '0'];
	const char *at = c ? strchr(sup ? sup_other : sub_other, c) : NULL;
	return at ? (sup ? sup_other_u : sub_other_u)[at - (sup ? sup_other : sub_other)] : NULL;
}

/* The extent of the token at s[i]: a {group} (its braces excluded: *a, *b), a command, or one
 * UTF-8 character; returns where it ends. */
static size_t token(const char *s, size_t i, size_t n, size_t *a, size_t *b)
{
	if (s[i] == '{') {
		int depth = 0;
		size_t j = i;
		for (; j < n; j++) {
			depth += s[j] == '{' ? 1 : s[j] == '}' ? -1 : 0;
			if (depth == 0)
				break;
		}
		*a = i + 1;
		*b = j;
		return j < n ? j + 1 : n;
	}
	size_t e = s[i] == '\\' ? command_end(s, i + 1, n) : i + (size_t)utf8_len((unsigned char)s[i]);
	*a = i;
	*b = e > n ? n : e;
	return *b;
}

static void plain_range(const char *s, size_t i, size_t n, nb_buf *out);

/* A sub- or superscript: in Unicode's small figures when every character has one. */
static void plain_script(const char *s, size_t a, size_t b, int sup, nb_buf *out)
{
	size_t k = a;
	while (k < b && script_char(s[k], sup))
		k++;
	if (k == b && b > a) {
		for (k = a; k < b; k++)
			nb_buf_puts(out, script_char(s[k], sup));
		return;
	}
	nb_buf_putc(out, sup ? '^' : '_');
	plain_range(s, a, b, out);
}

static void plain_range(const char *s, size_t i, size_t n, nb_buf *out)
{
	while (i < n) {
		char c = s[i];
		size_t a, b;
		if (c == '{' || c == '}') {
			i++;
		} else if (c == '_' || c == '^') {
			if (i + 1 >= n) {
				i++;
				continue;
			}
			i = token(s, i + 1, n, &a, &b);
			plain_script(s, a, b, c == '^', out);
		} else if (c == '\\') {
			size_t e = command_end(s, i + 1, n);
			const char *name = s + i + 1;
			size_t len = e - i - 1;
			const char *g = symbol_named(name, len);
			i = e;
			if (g) {
				nb_buf_puts(out, g);
			} else if (len == 4 && !strncmp(name, "frac", 4) && i < n) {
				/* \frac{a}{b}: a/b */
				i = token(s, i, n, &a, &b);
				plain_range(s, a, b, out);
				nb_buf_putc(out, '/');
				if (i < n) {
					i = token(s, i, n, &a, &b);
					plain_range(s, a, b, out);
				}
			} else if (len == 4 && !strncmp(name, "sqrt", 4)) {
				nb_buf_puts(out, "√");
			} else if ((len == 4 && !strncmp(name, "left", 4)) || (len == 5 && !strncmp(name, "right", 5)) ||
				   (len == 1 && strchr(",;:!", name[0]))) {
				/* sizes and thin spaces: nothing */
			} else if ((len == 4 && !strncmp(name, "quad", 4)) || (len == 5 && !strncmp(name, "qquad", 5)) ||
				   (len == 1 && name[0] == ' ')) {
				nb_buf_putc(out, ' ');
			} else if (len) {
				/* a function (\log), a font (\mathrm{x}), an accent (\hat x): its name or its argument */
				int is_func = 0;
				for (size_t k = 0; k < NB_ARRAY_LEN(funcs); k++)
					is_func |= strlen(funcs[k]) == len && !strncmp(funcs[k], name, len);
				if (is_func)
					nb_buf_add(out, name, len);
			}
		} else if (c == ' ') {
			if (out->len && out->s[out->len - 1] != ' ')
				nb_buf_putc(out, ' ');
			i++;
		} else {
			size_t e = i + (size_t)utf8_len((unsigned char)c);
			nb_buf_add(out, s + i, (e > n ? n : e) - i);
			i = e;
		}
	}
}

void pl_tl_plain(const char *src, nb_buf *out)
{
	plain_range(src, 0, strlen(src), out);
}
