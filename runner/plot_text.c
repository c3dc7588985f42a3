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
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define FONT "DejaVu Sans"

/* ----------------------------------------------------------- measuring */

static PangoLayout *run_layout(PangoContext *pc, const char *text, int style, double size)
{
	PangoLayout *l = pango_layout_new(pc);
	PangoFontDescription *fd = pango_font_description_new();
	pango_font_description_set_family(fd, FONT);
	pango_font_description_set_style(fd, (style & 1) ? PANGO_STYLE_OBLIQUE : PANGO_STYLE_NORMAL);
	pango_font_description_set_weight(fd, (style & 2) ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
	pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
	pango_layout_set_font_description(l, fd);
	pango_font_description_free(fd);
	pango_layout_set_text(l, text, -1);
	return l;
}

typedef struct metrics {
	double w, asc, desc; /* advance; ink ascent above and descent below the baseline */
} metrics;

static metrics measure(PangoContext *pc, const char *text, int style, double size)
{
	PangoLayout *l = run_layout(pc, text, style, size);
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
	metrics m = measure(P->pc, tmp, style, size);
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
static char *raw_arg(mp *P)
{
	skip_spaces(P);
	if (P->i >= P->n || P->s[P->i] != '{')
		return nb_xstrdup("");
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
		if (P->i < P->n && !isalpha((unsigned char)P->s[P->i])) {
			P->i++;
		} else {
			while (P->i < P->n && isalpha((unsigned char)P->s[P->i]))
				P->i++;
		}
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
		if (!strcmp(name, "left") || !strcmp(name, "right") || !strcmp(name, "displaystyle") ||
		    !strcmp(name, "mathdefault") || !strcmp(name, "limits")) {
			pl_tl b = {0};
			return b;
		}
		if (!strcmp(name, "frac") || !strcmp(name, "dfrac") || !strcmp(name, "tfrac")) {
			double s2 = size * (P->depth ? SCRIPT : 0.85);
			P->depth++;
			pl_tl num = parse_arg(P, s2, style), den = parse_arg(P, s2, style);
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
		for (size_t k = 0; k < NB_ARRAY_LEN(funcs); k++)
			if (!strcmp(name, funcs[k])) {
				pl_tl b = run_box(P, funcs[k], strlen(funcs[k]), 0, size);
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
				return run_box(P, symbols[k].utf8, strlen(symbols[k].utf8), st, size);
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
	if (c == '-')
		return run_box(P, "−", strlen("−"), 0, size);
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
	if (len == 1 && strchr("+=<>", c)) {
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
	for (;;) {
		int ok, it;
		double nsize = size;
		/* remember the nucleus' box metrics before placing */
		pl_tl nuc = parse_atom(P, size, style, stop, &ok, &it);
		if (!ok)
			break;
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
				pl_tl a = parse_arg(P, ss, style);
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
	return out;
}

/* ---------------------------------------------------------------- public */

pl_tl *pl_tl_layout(PangoContext *pc, const char *s, double size)
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
	metrics lp = measure(pc, "lp", 0, size);
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
		PangoLayout *l = run_layout(pc, p->text, p->style == 4 ? 0 : p->style, p->size);
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
