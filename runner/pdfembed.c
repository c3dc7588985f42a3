/*
 * pdfembed.c - figures' PDF files drawn on the pages of a PDF document (see
 * pdfembed.h).
 *
 * A small reader of PDF's object syntax (ISO 32000-1, section 7.3): tokens,
 * dictionaries, arrays, references, streams and the cross-reference table.
 * It never interprets a content stream: figures' drawings are copied as
 * bytes, and only dictionaries are rewritten, with their references
 * renumbered.
 */
#include "pdfembed.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ reading */

typedef struct pdf {
	const char *s;
	size_t n;
	const char *what; /* "the document" or "figure N", for messages */
	size_t *off;      /* object number -> offset of its "N 0 obj"; 0: not in the file */
	size_t unwritten; /* objects in the table but not where it says (see pdf_open) */
	size_t size;      /* the trailer's /Size: objects 0 .. size - 1 */
	size_t xref;      /* offset of the "xref" keyword */
	size_t trailer;   /* offset of the trailer's dictionary */
} pdf;

enum { T_END, T_INT, T_REAL, T_NAME, T_STR, T_DICT, T_DICT_END, T_ARR, T_ARR_END, T_WORD, T_BAD };

typedef struct tok {
	int kind;
	size_t a, b; /* its text: s[a, b) */
} tok;

#define MAX_DEPTH 32 /* nesting of arrays and dictionaries */

static int fail(nb_buf *why, const pdf *p, const char *fmt, ...) NB_PRINTF(3, 4);
static int fail(nb_buf *why, const pdf *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (p)
		nb_buf_printf(why, "%s: ", p->what);
	nb_buf_vprintf(why, fmt, ap);
	va_end(ap);
	return -1;
}

static int is_space(int c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0;
}

static int is_delim(int c)
{
	return c && strchr("()<>[]{}/%", c) != NULL;
}

/* The token at or after i (white space and comments skipped). */
static tok lex(const pdf *p, size_t i)
{
	const char *s = p->s;
	size_t n = p->n;
	for (;;) {
		while (i < n && is_space((unsigned char)s[i]))
			i++;
		if (i >= n || s[i] != '%')
			break;
		while (i < n && s[i] != '\n' && s[i] != '\r')
			i++;
	}
	tok t = {T_END, i, i};
	if (i >= n)
		return t;
	char c = s[i];
	size_t j = i + 1;
	if (c == '<' && j < n && s[j] == '<') {
		t.kind = T_DICT;
		j++;
	} else if (c == '>' && j < n && s[j] == '>') {
		t.kind = T_DICT_END;
		j++;
	} else if (c == '[') {
		t.kind = T_ARR;
	} else if (c == ']') {
		t.kind = T_ARR_END;
	} else if (c == '<') { /* a hexadecimal string */
		while (j < n && s[j] != '>')
			j++;
		t.kind = j < n ? T_STR : T_BAD;
		j += j < n;
	} else if (c == '(') { /* a literal string: balanced parentheses, backslash escapes */
		int depth = 1;
		while (j < n && depth) {
			char d = s[j++];
			if (d == '\\')
				j += j < n;
			else if (d == '(')
				depth++;
			else if (d == ')')
				depth--;
		}
		t.kind = depth ? T_BAD : T_STR;
	} else if (c == '/') {
		while (j < n && !is_space((unsigned char)s[j]) && !is_delim((unsigned char)s[j]))
			j++;
		t.kind = T_NAME;
	} else if (is_delim((unsigned char)c)) {
		t.kind = T_BAD;
	} else {
		while (j < n && !is_space((unsigned char)s[j]) && !is_delim((unsigned char)s[j]))
			j++;
		size_t k = i + (c == '+' || c == '-');
		int digits = 0, dots = 0, other = 0;
		for (; k < j; k++) {
			if (s[k] >= '0' && s[k] <= '9')
				digits++;
			else if (s[k] == '.')
				dots++;
			else
				other++;
		}
		t.kind = other || !digits || dots > 1 ? T_WORD : dots ? T_REAL : T_INT;
	}
	t.b = j;
	return t;
}

static int is_word(const pdf *p, tok t, const char *w)
{
	size_t n = strlen(w);
	return t.kind == T_WORD && t.b - t.a == n && !memcmp(p->s + t.a, w, n);
}

/* A non-negative integer token's value in *v: 1, or 0 for anything else or more than 2^40. */
static int uint_of(const pdf *p, tok t, size_t *v)
{
	if (t.kind != T_INT || p->s[t.a] == '-')
		return 0;
	*v = 0;
	for (size_t i = t.a + (p->s[t.a] == '+'); i < t.b; i++) {
		*v = 10 * *v + (size_t)(p->s[i] - '0');
		if (*v > (size_t)1 << 40)
			return 0;
	}
	return 1;
}

/* A number token's value (PDF's numbers have no exponent); *ok cleared if it is no number. */
static double num_of(const pdf *p, tok t, int *ok)
{
	if (t.kind != T_INT && t.kind != T_REAL) {
		*ok = 0;
		return 0;
	}
	size_t i = t.a;
	int neg = p->s[i] == '-';
	i += p->s[i] == '-' || p->s[i] == '+';
	double v = 0, scale = 1;
	int frac = 0;
	for (; i < t.b; i++) {
		if (p->s[i] == '.') {
			frac = 1;
			continue;
		}
		v = 10 * v + (p->s[i] - '0');
		if (frac)
			scale *= 10;
	}
	return (neg ? -v : v) / scale;
}

/* The end of the value at i: a number, a reference "N G R", a name, a string, a keyword, an
 * array or a dictionary; 0 if there is none. */
static size_t value_end(const pdf *p, size_t i, int depth)
{
	tok t = lex(p, i);
	switch (t.kind) {
	case T_INT: {
		tok g = lex(p, t.b), r = lex(p, g.b);
		return g.kind == T_INT && is_word(p, r, "R") ? r.b : t.b;
	}
	case T_REAL:
	case T_NAME:
	case T_STR:
	case T_WORD:
		return t.b;
	case T_DICT:
	case T_ARR: {
		if (depth >= MAX_DEPTH)
			return 0;
		int end = t.kind == T_DICT ? T_DICT_END : T_ARR_END;
		size_t j = t.b;
		for (;;) {
			tok u = lex(p, j);
			if (u.kind == end)
				return u.b;
			j = value_end(p, j, depth + 1);
			if (!j)
				return 0;
		}
	}
	default:
		return 0;
	}
}

/* The object number of the reference s[a, b), or 0 if it is not one reference. */
static size_t ref_of(const pdf *p, size_t a, size_t b)
{
	tok t = lex(p, a), g = lex(p, t.b), r = lex(p, g.b);
	size_t v;
	if (t.kind != T_INT || g.kind != T_INT || !is_word(p, r, "R") || r.b != b || !uint_of(p, t, &v))
		return 0;
	return v;
}

/* Walking a dictionary: start with dict_open, then dict_next gives each entry, its key (the
 * name token) and its value's text s[va, vb); 1 for an entry, 0 at the end, -1 if malformed. */
static int dict_open(const pdf *p, size_t at, size_t *j)
{
	tok t = lex(p, at);
	*j = t.b;
	return t.kind == T_DICT ? 0 : -1;
}

static int dict_next(const pdf *p, size_t *j, tok *key, size_t *va, size_t *vb)
{
	tok k = lex(p, *j);
	if (k.kind == T_DICT_END)
		return 0;
	if (k.kind != T_NAME)
		return -1;
	size_t e = value_end(p, k.b, 1);
	if (!e)
		return -1;
	*key = k;
	*va = lex(p, k.b).a;
	*vb = e;
	*j = e;
	return 1;
}

static int key_is(const pdf *p, tok key, const char *name)
{
	size_t n = strlen(name);
	return key.b - key.a == n + 1 && !memcmp(p->s + key.a + 1, name, n);
}

/* The value of /name in the dictionary at `at`: 1 and its text s[va, vb), 0 if absent, -1 if
 * `at` is no dictionary. */
static int dict_get(const pdf *p, size_t at, const char *name, size_t *va, size_t *vb)
{
	size_t j;
	tok key;
	int r;
	if (dict_open(p, at, &j) < 0)
		return -1;
	while ((r = dict_next(p, &j, &key, va, vb)) == 1)
		if (key_is(p, key, name))
			return 1;
	return r;
}

/* An object as it lies in the file. */
typedef struct obj {
	size_t start, end;     /* "N 0 obj" .. "endobj" */
	size_t body, body_end; /* its value */
	int stream;
	size_t data, len;      /* a stream's bytes */
} obj;

static int get_obj(const pdf *p, size_t num, obj *o, nb_buf *why);

/* The integer the value s[a, b) is, directly or by reference. */
static int int_value(const pdf *p, size_t a, size_t b, size_t *v, nb_buf *why)
{
	size_t r = ref_of(p, a, b);
	tok t = lex(p, a);
	if (r) {
		obj o;
		if (get_obj(p, r, &o, why) < 0)
			return -1;
		t = lex(p, o.body);
		b = o.body_end;
	}
	if (t.b != b || !uint_of(p, t, v))
		return fail(why, p, "a length is not a number");
	return 0;
}

static int get_obj(const pdf *p, size_t num, obj *o, nb_buf *why)
{
	if (num == 0 || num >= p->size || !p->off[num])
		return fail(why, p, "a reference to object %zu, which is not in the file", num);
	size_t i = p->off[num];
	tok k = lex(p, lex(p, lex(p, i).b).b); /* N G obj, as pdf_open found */
	o->start = i;
	o->body = lex(p, k.b).a;
	o->body_end = value_end(p, k.b, 0);
	if (!o->body_end)
		return fail(why, p, "object %zu cannot be read", num);
	tok w = lex(p, o->body_end);
	o->stream = is_word(p, w, "stream");
	if (o->stream) {
		/* the data starts after the end of the line */
		size_t d = w.b, la, lb;
		if (d < p->n && p->s[d] == '\r')
			d++;
		if (d >= p->n || p->s[d] != '\n')
			return fail(why, p, "object %zu: no end of line after 'stream'", num);
		d++;
		if (dict_get(p, o->body, "Length", &la, &lb) != 1 || int_value(p, la, lb, &o->len, why) < 0)
			return fail(why, p, "object %zu: a stream without its length", num);
		if (o->len > p->n - d)
			return fail(why, p, "object %zu: the stream runs past the end of the file", num);
		o->data = d;
		w = lex(p, d + o->len);
		if (!is_word(p, w, "endstream"))
			return fail(why, p, "object %zu: no 'endstream' where its length ends", num);
		w = lex(p, w.b);
	}
	if (!is_word(p, w, "endobj"))
		return fail(why, p, "object %zu: no 'endobj'", num);
	o->end = w.b;
	return 0;
}

/* The dictionary object num, or the dictionary the value s[a, b) is: its offset. */
static int dict_at(const pdf *p, size_t a, size_t b, size_t *at, nb_buf *why)
{
	size_t r = ref_of(p, a, b);
	if (r) {
		obj o;
		if (get_obj(p, r, &o, why) < 0)
			return -1;
		a = o.body;
	}
	if (lex(p, a).kind != T_DICT)
		return fail(why, p, "a dictionary expected");
	*at = a;
	return 0;
}

/* Read the cross-reference table and the trailer. */
static int pdf_open(pdf *p, const char *s, size_t n, const char *what, nb_buf *why)
{
	memset(p, 0, sizeof *p);
	p->s = s;
	p->n = n;
	p->what = what;
	if (n < 32 || memcmp(s, "%PDF-", 5) != 0)
		return fail(why, p, "not a PDF file");
	/* "startxref", then the table's offset, near the end */
	size_t k = n - 9;
	while (k > 0 && n - k < 1024 && memcmp(s + k, "startxref", 9) != 0)
		k--;
	if (memcmp(s + k, "startxref", 9) != 0)
		return fail(why, p, "no 'startxref' at the end");
	size_t x = 0;
	tok xr = {T_END, 0, 0};
	if (uint_of(p, lex(p, k + 9), &x) && x < n)
		xr = lex(p, x);
	if (!x || xr.a != x || !is_word(p, xr, "xref"))
		return fail(why, p, "no cross-reference table where 'startxref' points (a cross-reference stream?)");
	p->xref = x;
	size_t j = xr.b, cap = 0;
	for (;;) {
		tok first = lex(p, j), count = lex(p, first.b);
		if (is_word(p, first, "trailer")) {
			j = first.b;
			break;
		}
		size_t f, c;
		if (!uint_of(p, first, &f) || !uint_of(p, count, &c) || f + c > (size_t)1 << 24)
			return fail(why, p, "a malformed cross-reference table");
		/* 20-byte entries: offset, generation, n or f, end of line */
		size_t e = count.b;
		while (e < n && is_space((unsigned char)s[e]))
			e++;
		if (c > (n - e) / 20)
			return fail(why, p, "a truncated cross-reference table");
		if (f + c > p->size) {
			NB_GROW(p->off, cap, f + c);
			memset(p->off + p->size, 0, (f + c - p->size) * sizeof *p->off);
			p->size = f + c;
		}
		for (size_t q = 0; q < c; q++, e += 20) {
			size_t o = 0, num = f + q;
			for (int d = 0; d < 10; d++)
				o = 10 * o + (size_t)(s[e + d] - '0');
			int gen0 = !memcmp(s + e + 10, " 00000 ", 7);
			if (s[e + 17] == 'f') {
				p->off[num] = 0;
			} else if (s[e + 17] != 'n' || !gen0 || o == 0 || o >= x) {
				return fail(why, p, "a malformed or revised entry for object %zu", num);
			} else {
				p->off[num] = o;
			}
		}
		j = e;
	}
	p->trailer = lex(p, j).a;
	size_t va, vb;
	size_t size;
	if (dict_get(p, p->trailer, "Size", &va, &vb) != 1 || !uint_of(p, lex(p, va), &size) || size != p->size)
		return fail(why, p, "the trailer's /Size does not match the cross-reference table");
	const char *refuse[] = {"Prev", "XRefStm", "Encrypt"};
	for (size_t q = 0; q < NB_ARRAY_LEN(refuse); q++)
		if (dict_get(p, p->trailer, refuse[q], &va, &vb) != 0)
			return fail(why, p, "a trailer with /%s (an updated or encrypted file)", refuse[q]);
	/* cairo 1.16 numbers objects for the structure of links (/StructParent) and lists them in
	 * the table without writing them, at the offset of the first object: such entries are taken
	 * as free (a reference to a free object is null), which also mends the table */
	for (size_t q = 1; q < p->size; q++) {
		size_t v;
		tok a = lex(p, p->off[q]), g = lex(p, a.b), w = lex(p, g.b);
		if (p->off[q] && (a.a != p->off[q] || !uint_of(p, a, &v) || v != q || g.kind != T_INT || !is_word(p, w, "obj"))) {
			p->off[q] = 0;
			p->unwritten++;
		}
	}
	return 0;
}

static void pdf_close(pdf *p)
{
	free(p->off);
	p->off = NULL;
}

/* The page objects of the page tree under node, in order, appended to pages[*np]. */
static int collect_pages(const pdf *p, size_t node, size_t **pages, size_t *np, size_t *cap, int depth, nb_buf *why)
{
	obj o;
	size_t ta, tb, ka, kb;
	if (depth > MAX_DEPTH || get_obj(p, node, &o, why) < 0 || dict_get(p, o.body, "Type", &ta, &tb) != 1)
		return why->len ? -1 : fail(why, p, "a malformed page tree");
	tok type = lex(p, ta);
	if (type.b - type.a == 5 && !memcmp(p->s + type.a, "/Page", 5)) {
		NB_GROW(*pages, *cap, *np + 1);
		(*pages)[(*np)++] = node;
		return 0;
	}
	if (dict_get(p, o.body, "Kids", &ka, &kb) != 1 || lex(p, ka).kind != T_ARR)
		return fail(why, p, "a page tree node without its kids");
	size_t j = lex(p, ka).b;
	for (;;) {
		tok u = lex(p, j);
		if (u.kind == T_ARR_END)
			return 0;
		size_t e = value_end(p, j, 0), kid = e ? ref_of(p, u.a, e) : 0;
		if (!kid)
			return fail(why, p, "a page tree's kid is not a reference");
		if (collect_pages(p, kid, pages, np, cap, depth + 1, why) < 0)
			return -1;
		j = e;
	}
}

static int all_pages(const pdf *p, size_t **pages, size_t *np, nb_buf *why)
{
	size_t va, vb, cat, pa, pb, cap = 0;
	*pages = NULL;
	*np = 0;
	if (dict_get(p, p->trailer, "Root", &va, &vb) != 1 || dict_at(p, va, vb, &cat, why) < 0 ||
	    dict_get(p, cat, "Pages", &pa, &pb) != 1 || !ref_of(p, pa, pb))
		return why->len ? -1 : fail(why, p, "no page tree");
	return collect_pages(p, ref_of(p, pa, pb), pages, np, &cap, 0, why);
}

/* The four numbers of the array value s[a, b) (a /MediaBox). */
static int box_of(const pdf *p, size_t a, size_t b, double box[4], nb_buf *why)
{
	tok t = lex(p, a);
	int ok = t.kind == T_ARR;
	for (int k = 0; k < 4 && ok; k++) {
		t = lex(p, t.b);
		box[k] = num_of(p, t, &ok);
	}
	if (!ok || lex(p, t.b).kind != T_ARR_END || lex(p, t.b).b != b || box[2] <= box[0] || box[3] <= box[1])
		return fail(why, p, "a page box that is not four numbers");
	return 0;
}

/* ------------------------------------------------------------ writing */

/*
 * The objects added to the document, in the order written.  Each one's text
 * (its value, and its stream) is also kept in a hash table, so that an
 * object identical to one already added is shared rather than added again:
 * figures often carry the same font subsets, lengths and graphics states.
 */
typedef struct seen {
	uint64_t h;
	size_t at, len, num; /* its text: text.s[at, at + len) */
} seen;

typedef struct added {
	nb_buf text;
	size_t base;   /* the first new object's number: the document's /Size */
	size_t next;   /* the next free number */
	size_t *at;    /* number - base -> offset in text */
	size_t cap;
	seen *tab;     /* open addressing; cap a power of two */
	size_t ntab, captab;
} added;

static size_t new_number(added *o)
{
	size_t n = o->next++;
	NB_GROW(o->at, o->cap, o->next - o->base);
	return n;
}

static uint64_t hash_of(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
	return h;
}

static void remember(added *o, seen e)
{
	if (2 * (o->ntab + 1) > o->captab) {
		size_t cap = o->captab ? 2 * o->captab : 64;
		seen *tab = nb_xcalloc(cap, sizeof *tab);
		for (size_t k = 0; k < o->captab; k++)
			if (o->tab[k].num) {
				size_t q = o->tab[k].h & (cap - 1);
				while (tab[q].num)
					q = (q + 1) & (cap - 1);
				tab[q] = o->tab[k];
			}
		free(o->tab);
		o->tab = tab;
		o->captab = cap;
	}
	size_t q = e.h & (o->captab - 1);
	while (o->tab[q].num)
		q = (q + 1) & (o->captab - 1);
	o->tab[q] = e;
	o->ntab++;
}

/* Add an object whose text (its value, and its stream) is text[0, len): its number.  An
 * object identical to one added before gets that one's number, unless num reserves one. */
static size_t add_object(added *o, const char *text, size_t len, size_t num)
{
	uint64_t h = hash_of(text, len);
	if (!num && o->captab)
		for (size_t q = h & (o->captab - 1); o->tab[q].num; q = (q + 1) & (o->captab - 1))
			if (o->tab[q].h == h && o->tab[q].len == len && !memcmp(o->text.s + o->tab[q].at, text, len))
				return o->tab[q].num;
	if (!num)
		num = new_number(o);
	o->at[num - o->base] = o->text.len;
	nb_buf_printf(&o->text, "%zu 0 obj\n", num);
	size_t at = o->text.len;
	nb_buf_add(&o->text, text, len);
	nb_buf_puts(&o->text, "\nendobj\n");
	remember(o, (seen){h, at, len, num});
	return num;
}

/* Copying one figure file's objects, each after the objects it refers to (so that identical
 * ones are found identical): the figure's numbers -> the document's. */
typedef struct copier {
	const pdf *src;
	added *out;
	size_t *map;         /* 0: not copied yet */
	unsigned char *busy; /* being copied: a reference back to it (a cycle) reserves its number */
	int depth;
} copier;

static int copy_ref(copier *c, size_t r, size_t *num, nb_buf *why);

/* Append s[a, b) of the figure file with every reference renumbered (the objects referred to
 * are copied first). */
static int copy_text(copier *c, size_t a, size_t b, nb_buf *dst, nb_buf *why)
{
	const pdf *p = c->src;
	size_t i = a, last = a;
	while (i < b) {
		tok t = lex(p, i);
		if (t.kind == T_END || t.a >= b)
			break;
		if (t.kind == T_BAD)
			return fail(why, p, "a malformed token");
		size_t e = t.kind == T_INT ? value_end(p, t.a, 0) : 0, r = e > t.b && e <= b ? ref_of(p, t.a, e) : 0, num = 0;
		if (r) {
			if (copy_ref(c, r, &num, why) < 0)
				return -1;
			nb_buf_add(dst, p->s + last, t.a - last);
			nb_buf_printf(dst, "%zu 0 R", num);
			last = i = e;
			continue;
		}
		i = t.b;
	}
	nb_buf_add(dst, p->s + last, b - last);
	return 0;
}

/* Object r of the figure file, copied (or found copied): its number in the document. */
static int copy_ref(copier *c, size_t r, size_t *num, nb_buf *why)
{
	if (r >= c->src->size || !c->src->off[r])
		return fail(why, c->src, "a reference to object %zu, which is not in the file", r);
	if (c->busy[r] && !c->map[r])
		c->map[r] = new_number(c->out);
	if (c->map[r]) {
		*num = c->map[r];
		return 0;
	}
	obj o;
	if (c->depth >= MAX_DEPTH)
		return fail(why, c->src, "objects that refer to each other too deeply");
	if (get_obj(c->src, r, &o, why) < 0)
		return -1;
	nb_buf t = NB_BUF_INIT;
	c->busy[r] = 1;
	c->depth++;
	int rc = copy_text(c, o.body, o.body_end, &t, why);
	if (rc == 0 && o.stream) {
		nb_buf_puts(&t, "\nstream\n");
		nb_buf_add(&t, c->src->s + o.data, o.len);
		nb_buf_puts(&t, "\nendstream");
	}
	c->depth--;
	c->busy[r] = 0;
	if (rc == 0)
		c->map[r] = *num = add_object(c->out, t.s, t.len, c->map[r]);
	nb_buf_release(&t);
	return rc;
}

/* The figure file's page as a form XObject of the document, with every object it needs: its
 * number in *form, its box in box. */
static int figure_form(const nb_pdf_place *pl, const char *what, size_t *form, added *out, double box[4], nb_buf *why)
{
	pdf f;
	size_t *pages = NULL, np = 0;
	copier c = {&f, out, NULL, NULL, 0};
	nb_buf head = NB_BUF_INIT;
	int rc = -1;
	if (pdf_open(&f, pl->pdf, pl->len, what, why) < 0 || all_pages(&f, &pages, &np, why) < 0)
		goto done;
	if (np != 1) {
		fail(why, &f, "%zu pages, not one", np);
		goto done;
	}
	obj page, content;
	size_t ba, bb, ca, cb, ra, rb, ga, gb, cnum;
	if (get_obj(&f, pages[0], &page, why) < 0)
		goto done;
	if (dict_get(&f, page.body, "MediaBox", &ba, &bb) != 1 || box_of(&f, ba, bb, box, why) < 0 ||
	    dict_get(&f, page.body, "Contents", &ca, &cb) != 1 || !(cnum = ref_of(&f, ca, cb)) ||
	    get_obj(&f, cnum, &content, why) < 0 || !content.stream) {
		if (!why->len)
			fail(why, &f, "a page without its box or without one content stream");
		goto done;
	}
	c.map = nb_xcalloc(f.size, sizeof *c.map);
	c.busy = nb_xcalloc(f.size, 1);
	/* the form: the page's box, resources and transparency group, and its content stream's
	 * own entries (length, filter) */
	nb_buf_puts(&head, "<< /Type /XObject /Subtype /Form /BBox ");
	nb_buf_add(&head, f.s + ba, bb - ba);
	if (dict_get(&f, page.body, "Resources", &ra, &rb) == 1) {
		nb_buf_puts(&head, " /Resources ");
		if (copy_text(&c, ra, rb, &head, why) < 0)
			goto done;
	}
	if (dict_get(&f, page.body, "Group", &ga, &gb) == 1) {
		nb_buf_puts(&head, " /Group ");
		if (copy_text(&c, ga, gb, &head, why) < 0)
			goto done;
	}
	size_t j, va, vb;
	tok key;
	int r;
	dict_open(&f, content.body, &j);
	while ((r = dict_next(&f, &j, &key, &va, &vb)) == 1) {
		if (key_is(&f, key, "Type") || key_is(&f, key, "Subtype") || key_is(&f, key, "BBox"))
			continue;
		nb_buf_putc(&head, ' ');
		if (copy_text(&c, key.a, vb, &head, why) < 0)
			goto done;
	}
	if (r < 0) {
		fail(why, &f, "a malformed content stream dictionary");
		goto done;
	}
	nb_buf_puts(&head, " >>\nstream\n");
	nb_buf_add(&head, f.s + content.data, content.len);
	nb_buf_puts(&head, "\nendstream");
	*form = add_object(out, head.s, head.len, 0);
	rc = 0;
done:
	nb_buf_release(&head);
	free(c.map);
	free(c.busy);
	free(pages);
	pdf_close(&f);
	return rc;
}

/* A number for a content stream: at most four decimals, no trailing zeros. */
static void put_num(nb_buf *b, double v)
{
	char t[64];
	snprintf(t, sizeof t, "%.4f", v);
	size_t n = strlen(t);
	while (n > 0 && t[n - 1] == '0')
		n--;
	if (n > 0 && t[n - 1] == '.')
		n--;
	if (n == 2 && !memcmp(t, "-0", 2))
		n = 1, t[0] = '0';
	nb_buf_add(b, t, n);
	nb_buf_putc(b, ' ');
}

/* The resources dictionary at `at` with the entries in xobjects added to its /XObject. */
static int merged_resources(const pdf *p, size_t at, const char *xobjects, nb_buf *dst, nb_buf *why)
{
	size_t j, va, vb, x;
	tok key;
	int r, found = 0;
	nb_buf_puts(dst, "<<");
	dict_open(p, at, &j);
	while ((r = dict_next(p, &j, &key, &va, &vb)) == 1) {
		nb_buf_putc(dst, ' ');
		if (!key_is(p, key, "XObject")) {
			nb_buf_add(dst, p->s + key.a, vb - key.a);
			continue;
		}
		if (dict_at(p, va, vb, &x, why) < 0)
			return -1;
		size_t inner = lex(p, x).b, end = value_end(p, x, 0);
		nb_buf_puts(dst, "/XObject <<");
		nb_buf_add(dst, p->s + inner, end - 2 - inner);
		nb_buf_puts(dst, xobjects);
		nb_buf_puts(dst, " >>");
		found = 1;
	}
	if (r < 0)
		return fail(why, p, "a malformed resources dictionary");
	if (!found)
		nb_buf_printf(dst, " /XObject <<%s >>", xobjects);
	nb_buf_puts(dst, " >>");
	return 0;
}

/* An object of the document replaced: its bytes [start, end) by text. */
typedef struct edit {
	size_t num, start, end;
	nb_buf text;     /* its new value */
	nb_buf xobjects; /* a resources object: the forms to add to it */
	ptrdiff_t moved; /* how far the objects after it move */
} edit;

static edit *edit_of(edit **ed, size_t *ned, size_t *cap, size_t num)
{
	for (size_t k = 0; k < *ned; k++)
		if ((*ed)[k].num == num)
			return &(*ed)[k];
	NB_GROW(*ed, *cap, *ned + 1);
	edit *e = &(*ed)[(*ned)++];
	memset(e, 0, sizeof *e);
	e->num = num;
	return e;
}

static int by_start(const void *a, const void *b)
{
	const edit *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* The page's new dictionary: its contents framed and followed by stream `drawn`, its resources
 * (if they are in the page) with the forms in xobjects; resources kept elsewhere are noted in
 * the edits. */
static int new_page(const pdf *d, const obj *page, size_t q, size_t drawn, const char *xobjects, edit **ed, size_t *ned,
		    size_t *cap, nb_buf *dst, nb_buf *why)
{
	size_t j, va, vb;
	tok key;
	int r, contents = 0, resources = 0;
	nb_buf_puts(dst, "<<");
	dict_open(d, page->body, &j);
	while ((r = dict_next(d, &j, &key, &va, &vb)) == 1) {
		nb_buf_putc(dst, ' ');
		size_t rn = ref_of(d, va, vb);
		if (key_is(d, key, "Contents")) {
			/* the page's own content between q and Q, so that the figures start from the page's
			 * initial graphics state */
			tok t = lex(d, va);
			nb_buf_printf(dst, "/Contents [ %zu 0 R ", q);
			if (t.kind == T_ARR)
				nb_buf_add(dst, d->s + t.b, vb - 1 - t.b);
			else
				nb_buf_add(dst, d->s + va, vb - va);
			nb_buf_printf(dst, " %zu 0 R ]", drawn);
			contents = 1;
		} else if (key_is(d, key, "Resources") && !rn) {
			nb_buf_puts(dst, "/Resources ");
			if (merged_resources(d, va, xobjects, dst, why) < 0)
				return -1;
			resources = 1;
		} else {
			if (key_is(d, key, "Resources")) {
				edit *e = edit_of(ed, ned, cap, rn);
				nb_buf_puts(&e->xobjects, xobjects);
				resources = 1;
			}
			nb_buf_add(dst, d->s + key.a, vb - key.a);
		}
	}
	if (r < 0 || !contents || !resources)
		return fail(why, d, "a page without its own contents and resources");
	nb_buf_puts(dst, " >>");
	return 0;
}

int nb_pdf_embed(nb_buf *doc, const nb_pdf_place *pl, size_t n, nb_buf *why)
{
	pdf d;
	added out = {NB_BUF_INIT, 0, 0, NULL, 0, NULL, 0, 0};
	size_t *pages = NULL, np = 0, ned = 0, edcap = 0;
	edit *ed = NULL;
	double (*box)[4] = nb_xcalloc(n, sizeof *box);
	size_t *form = nb_xcalloc(n, sizeof *form);
	nb_buf res = NB_BUF_INIT, xobjects = NB_BUF_INIT, drawing = NB_BUF_INIT;
	int rc = -1;
	if (pdf_open(&d, doc->s, doc->len, "the document", why) < 0)
		goto done;
	if (!n && !d.unwritten) {
		rc = 0;
		goto done;
	}
	if (all_pages(&d, &pages, &np, why) < 0)
		goto done;
	out.base = out.next = d.size;
	size_t q = 0; /* a stream "q" that each page with figures starts with */
	if (n) {
		const char *qs = "<< /Length 2 >>\nstream\nq\n\nendstream";
		q = add_object(&out, qs, strlen(qs), 0);
	}
	for (size_t i = 0; i < n; i++) {
		if (pl[i].page < 0 || (size_t)pl[i].page >= np) {
			fail(why, &d, "figure %zu is for page %d of %zu", i + 1, pl[i].page + 1, np);
			goto done;
		}
		char what[32];
		snprintf(what, sizeof what, "figure %zu", i + 1);
		if (figure_form(&pl[i], what, &form[i], &out, box[i], why) < 0)
			goto done;
	}
	/* each page with figures: a stream drawing them, and the page's dictionary rewritten */
	for (size_t pg = 0; pg < np; pg++) {
		nb_buf_reset(&xobjects);
		nb_buf_reset(&drawing);
		obj page;
		size_t ma, mb;
		double media[4];
		for (size_t i = 0; i < n; i++) {
			if ((size_t)pl[i].page != pg)
				continue;
			if (!drawing.len) {
				if (get_obj(&d, pages[pg], &page, why) < 0 || dict_get(&d, page.body, "MediaBox", &ma, &mb) != 1 ||
				    box_of(&d, ma, mb, media, why) < 0) {
					if (!why->len)
						fail(why, &d, "page %zu has no box of its own", pg + 1);
					goto done;
				}
				nb_buf_puts(&drawing, "Q\n");
			}
			/* the form's top left corner to (x, y) from the page's top left, scaled */
			double s = pl[i].scale;
			nb_buf_puts(&drawing, "q ");
			put_num(&drawing, s);
			nb_buf_puts(&drawing, "0 0 ");
			put_num(&drawing, s);
			put_num(&drawing, media[0] + pl[i].x - s * box[i][0]);
			put_num(&drawing, media[3] - pl[i].y - s * box[i][3]);
			nb_buf_printf(&drawing, "cm /nbfig%zu Do Q\n", i + 1);
			nb_buf_printf(&xobjects, " /nbfig%zu %zu 0 R", i + 1, form[i]);
		}
		if (!drawing.len)
			continue;
		nb_buf st = NB_BUF_INIT;
		nb_buf_printf(&st, "<< /Length %zu >>\nstream\n", drawing.len);
		nb_buf_add(&st, drawing.s, drawing.len);
		nb_buf_puts(&st, "\nendstream");
		size_t c = add_object(&out, st.s, st.len, 0);
		nb_buf_release(&st);
		nb_buf body = NB_BUF_INIT;
		if (new_page(&d, &page, q, c, xobjects.s, &ed, &ned, &edcap, &body, why) < 0) {
			nb_buf_release(&body);
			goto done;
		}
		edit *e = edit_of(&ed, &ned, &edcap, pages[pg]);
		nb_buf_release(&e->text);
		e->text = body;
	}
	/* the resources objects pages refer to, with the forms added */
	for (size_t k = 0; k < ned; k++) {
		obj o;
		if (get_obj(&d, ed[k].num, &o, why) < 0)
			goto done;
		ed[k].start = o.start;
		ed[k].end = o.end;
		if (ed[k].xobjects.len) {
			if (ed[k].text.len) { /* a page that is its own resources: not written by cairo */
				fail(why, &d, "object %zu is both a page and resources", ed[k].num);
				goto done;
			}
			if (lex(&d, o.body).kind != T_DICT) {
				fail(why, &d, "resources that are not a dictionary");
				goto done;
			}
			if (merged_resources(&d, o.body, ed[k].xobjects.s, &ed[k].text, why) < 0)
				goto done;
		}
	}
	/* the document: its objects with the edits, the new objects, one cross-reference table */
	if (ned)
		qsort(ed, ned, sizeof *ed, by_start);
	size_t from = 0;
	for (size_t k = 0; k < ned; k++) {
		nb_buf_add(&res, d.s + from, ed[k].start - from);
		size_t at = res.len;
		nb_buf_printf(&res, "%zu 0 obj\n", ed[k].num);
		nb_buf_add(&res, ed[k].text.s, ed[k].text.len);
		nb_buf_puts(&res, "\nendobj");
		ed[k].moved = (ptrdiff_t)(res.len - at) - (ptrdiff_t)(ed[k].end - ed[k].start);
		from = ed[k].end;
	}
	nb_buf_add(&res, d.s + from, d.xref - from);
	size_t tail = res.len, xref;
	nb_buf_add(&res, out.text.s, out.text.len);
	xref = res.len;
	/* free entries (object 0 and those never written) chained from object 0, generation 1 for
	 * the deleted */
	nb_buf_printf(&res, "xref\n0 %zu\n", out.next);
	for (size_t num = 0; num < out.next; num++) {
		if (num == 0 || (num < d.size && !d.off[num])) {
			size_t next = num + 1;
			while (next < d.size && d.off[next])
				next++;
			nb_buf_printf(&res, "%010zu %05d f \n", next < d.size ? next : 0, num ? 1 : 65535);
			continue;
		}
		size_t at;
		if (num < d.size) {
			at = d.off[num];
			for (size_t k = 0; k < ned; k++) /* moved by the edits before it */
				if (ed[k].start < d.off[num])
					at = (size_t)((ptrdiff_t)at + ed[k].moved);
		} else {
			at = tail + out.at[num - out.base];
		}
		nb_buf_printf(&res, "%010zu 00000 n \n", at);
	}
	nb_buf_puts(&res, "trailer\n<<");
	size_t j, va, vb;
	tok key;
	dict_open(&d, d.trailer, &j);
	while (dict_next(&d, &j, &key, &va, &vb) == 1) {
		nb_buf_putc(&res, ' ');
		if (key_is(&d, key, "Size"))
			nb_buf_printf(&res, "/Size %zu", out.next);
		else
			nb_buf_add(&res, d.s + key.a, vb - key.a);
	}
	nb_buf_printf(&res, " >>\nstartxref\n%zu\n%%%%EOF\n", xref);
	nb_buf tmp = *doc;
	*doc = res;
	res = tmp;
	rc = 0;
done:
	for (size_t k = 0; k < ned; k++) {
		nb_buf_release(&ed[k].text);
		nb_buf_release(&ed[k].xobjects);
	}
	free(ed);
	nb_buf_release(&res);
	nb_buf_release(&xobjects);
	nb_buf_release(&drawing);
	nb_buf_release(&out.text);
	free(out.at);
	free(out.tab);
	free(form);
	free(box);
	free(pages);
	pdf_close(&d);
	return rc;
}
