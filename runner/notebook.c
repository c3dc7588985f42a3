/*
 * notebook.c - loading and validating notebooks (see docs/format.md).
 */
#include "notebook.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"
#include "state.h"

#define FORMAT_VERSION 1

typedef struct loader {
	nb_notebook *nb;
	nb_err *e;
} loader;

static int fail(loader *L, nb_loc loc, const char *fmt, ...) NB_PRINTF(3, 4);
static int fail(loader *L, nb_loc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	nb_err_vset(L->e, loc, fmt, ap);
	va_end(ap);
	return -1;
}

/* "unknown key 'x' in <where>; did you mean 'y'?" */
static int unknown_key(loader *L, const nb_ynode *key, const char *where, const char *const *known, size_t n)
{
	nb_suggest s;
	nb_suggest_init(&s, key->text);
	nb_buf list = NB_BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		nb_suggest_offer(&s, known[i]);
		nb_buf_printf(&list, "%s%s", i ? ", " : "", known[i]);
	}
	const char *best = nb_suggest_best(&s);
	if (best)
		fail(L, key->loc, "unknown key '%s' in %s; did you mean '%s'?", key->text, where, best);
	else
		fail(L, key->loc, "unknown key '%s' in %s (expected one of: %s)", key->text, where, nb_buf_str(&list));
	nb_buf_release(&list);
	return -1;
}

static int check_keys(loader *L, const nb_ynode *map, const char *where, const char *const *known, size_t n)
{
	for (size_t i = 0; i < map->n; i += 2) {
		size_t k;
		for (k = 0; k < n; k++)
			if (!strcmp(map->items[i]->text, known[k]))
				break;
		if (k == n)
			return unknown_key(L, map->items[i], where, known, n);
	}
	return 0;
}

static int want_kind(loader *L, const nb_ynode *n, nb_ykind kind, const char *what)
{
	if (n && n->kind == kind && !(kind == NB_YSCALAR && nb_yis_null(n)))
		return 0;
	const char *exp = kind == NB_YMAP ? "a mapping" : kind == NB_YSEQ ? "a list" : "a string";
	return fail(L, n ? n->loc : NB_NOLOC, "%s must be %s, found %s", what, exp, nb_ydescribe(n));
}

/* ------------------------------------------------------------ literals */

typedef enum { LIT_NONE, LIT_INT, LIT_FLOAT, LIT_BOOL } litkind;

static litkind scalar_literal(const nb_ynode *n, int64_t *iv, double *fv)
{
	if (n->kind != NB_YSCALAR || n->style != NB_YPLAIN || !*n->text)
		return LIT_NONE;
	const char *t = n->text;
	if (!strcmp(t, "true") || !strcmp(t, "True") || !strcmp(t, "TRUE")) {
		*iv = 1;
		return LIT_BOOL;
	}
	if (!strcmp(t, "false") || !strcmp(t, "False") || !strcmp(t, "FALSE")) {
		*iv = 0;
		return LIT_BOOL;
	}
	const char *p = t;
	if (*p == '+' || *p == '-')
		p++;
	if (!strcmp(p, ".inf") || !strcmp(p, ".Inf") || !strcmp(p, ".INF")) {
		*fv = t[0] == '-' ? -INFINITY : INFINITY;
		return LIT_FLOAT;
	}
	if (!strcmp(p, ".nan") || !strcmp(p, ".NaN") || !strcmp(p, ".NAN")) {
		*fv = NAN;
		return LIT_FLOAT;
	}
	if (!isdigit((unsigned char)*p) && !(*p == '.' && isdigit((unsigned char)p[1])))
		return LIT_NONE;
	int is_int = 1;
	for (const char *q = p; *q; q++) {
		if (isdigit((unsigned char)*q))
			continue;
		if (*q == '.' || *q == 'e' || *q == 'E' || ((*q == '+' || *q == '-') && (q[-1] == 'e' || q[-1] == 'E'))) {
			is_int = 0;
			continue;
		}
		return LIT_NONE;
	}
	char *end;
	errno = 0;
	if (is_int) {
		long long v = strtoll(t, &end, 10);
		if (!*end && errno != ERANGE) {
			*iv = v;
			return LIT_INT;
		}
	}
	double d = strtod(t, &end);
	if (*end)
		return LIT_NONE;
	*fv = d;
	return LIT_FLOAT;
}

static nb_value *lit_value(litkind k, int64_t iv, double fv)
{
	return k == LIT_INT ? nb_i64(iv) : k == LIT_BOOL ? nb_bool((int)iv) : nb_f64(fv);
}

/* Is every leaf of a (nested) YAML list a number literal? */
static int numeric_tree(const nb_ynode *n, int depth)
{
	if (depth > NB_MAXDIM)
		return 0;
	if (n->kind == NB_YSEQ) {
		for (size_t i = 0; i < n->n; i++)
			if (!numeric_tree(n->items[i], depth + 1))
				return 0;
		return 1;
	}
	int64_t iv;
	double fv;
	return scalar_literal(n, &iv, &fv) != LIT_NONE;
}

static int tree_shape(loader *L, const nb_ynode *n, int depth, int *ndim, size_t *shape)
{
	if (n->kind != NB_YSEQ) {
		if (depth != *ndim)
			return fail(L, n->loc, "ragged nested list: expected a list at depth %d, found a number", depth + 1);
		return 0;
	}
	if (depth >= *ndim) {
		if (*ndim != -1 && depth >= *ndim)
			return fail(L, n->loc, "ragged nested list: expected a number, found a list");
	}
	if (shape[depth] != n->n)
		return fail(L, n->loc, "ragged nested list: this list has %zu items but its siblings have %zu",
			    n->n, shape[depth]);
	for (size_t i = 0; i < n->n; i++)
		if (tree_shape(L, n->items[i], depth + 1, ndim, shape) < 0)
			return -1;
	return 0;
}

static void tree_fill(const nb_ynode *n, nb_value *v, size_t *k)
{
	if (n->kind == NB_YSEQ) {
		for (size_t i = 0; i < n->n; i++)
			tree_fill(n->items[i], v, k);
		return;
	}
	int64_t iv = 0;
	double fv = 0;
	litkind lk = scalar_literal(n, &iv, &fv);
	switch (v->dtype) {
	case NB_F64: nb_f64p(v)[*k] = lk == LIT_FLOAT ? fv : (double)iv; break;
	case NB_I64: nb_i64p(v)[*k] = iv; break;
	case NB_BOOL: nb_boolp(v)[*k] = iv != 0; break;
	}
	(*k)++;
}

static void tree_dtype(const nb_ynode *n, int *has_float, int *has_int, int *has_bool)
{
	if (n->kind == NB_YSEQ) {
		for (size_t i = 0; i < n->n; i++)
			tree_dtype(n->items[i], has_float, has_int, has_bool);
		return;
	}
	int64_t iv;
	double fv;
	litkind k = scalar_literal(n, &iv, &fv);
	*has_float |= k == LIT_FLOAT;
	*has_int |= k == LIT_INT;
	*has_bool |= k == LIT_BOOL;
}

/* A nested YAML list of numbers as an array. */
static nb_value *literal_array(loader *L, const nb_ynode *n)
{
	int ndim = 0;
	size_t shape[NB_MAXDIM];
	const nb_ynode *p = n;
	while (p->kind == NB_YSEQ) {
		if (ndim >= NB_MAXDIM) {
			fail(L, p->loc, "nested list deeper than %d levels", NB_MAXDIM);
			return NULL;
		}
		shape[ndim++] = p->n;
		if (p->n == 0)
			break;
		p = p->items[0];
	}
	if (tree_shape(L, n, 0, &ndim, shape) < 0)
		return NULL;
	int hf = 0, hi = 0, hb = 0;
	tree_dtype(n, &hf, &hi, &hb);
	nb_dtype dt = hf ? NB_F64 : hi ? NB_I64 : hb ? NB_BOOL : NB_F64;
	if (hb && (hf || hi))
		dt = hf ? NB_F64 : NB_I64;
	nb_err e = NB_ERR_INIT;
	nb_value *v = nb_array_new(dt, ndim, shape, &e);
	if (!v) {
		fail(L, n->loc, "%s", e.msg);
		nb_err_clear(&e);
		return NULL;
	}
	size_t k = 0;
	tree_fill(n, v, &k);
	return v;
}

/* ---------------------------------------------------------- expressions */

static int parse_expr_at(loader *L, const nb_ynode *n, const char *text, size_t base, nb_expr **out)
{
	nb_err pe = NB_ERR_INIT;
	size_t pos = 0;
	*out = nb_expr_parse(text, &pos, &pe);
	if (!*out) {
		fail(L, nb_yloc_at(n, base + pos), "%s", pe.msg);
		nb_err_clear(&pe);
		return -1;
	}
	return 0;
}

static void fmt_free(nb_fmtpart *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(p[i].text);
		free(p[i].spec);
		nb_expr_free(p[i].expr);
	}
	free(p);
}

/* Parse "text {expr:spec} more" into parts. */
static int parse_format(loader *L, const nb_ynode *n, nb_pval *pv)
{
	const char *s = n->text;
	nb_buf lit = NB_BUF_INIT;
	nb_fmtpart *parts = NULL;
	size_t np = 0, cap = 0;
	size_t i = 0;
	while (s[i]) {
		if (s[i] == '{' && s[i + 1] == '{') {
			nb_buf_putc(&lit, '{');
			i += 2;
			continue;
		}
		if (s[i] == '}' && s[i + 1] == '}') {
			nb_buf_putc(&lit, '}');
			i += 2;
			continue;
		}
		if (s[i] == '}') {
			fail(L, nb_yloc_at(n, i), "single '}' in a format string (write '}}' for a literal brace)");
			goto bad;
		}
		if (s[i] != '{') {
			nb_buf_putc(&lit, s[i++]);
			continue;
		}
		/* a field */
		size_t start = ++i, j = i;
		int depth = 0;
		char quote = 0;
		size_t expr_end = (size_t)-1, conv_at = (size_t)-1;
		for (; s[j]; j++) {
			char c = s[j];
			if (quote) {
				if (c == quote)
					quote = 0;
				continue;
			}
			if (c == '\'' || c == '"')
				quote = c;
			else if (c == '(' || c == '[' || c == '{')
				depth++;
			else if ((c == ')' || c == ']') && depth > 0)
				depth--;
			else if (c == '}' && depth > 0)
				depth--;
			else if (c == '}' && depth == 0)
				break;
			else if (depth == 0 && c == '!' && s[j + 1] != '=' && expr_end == (size_t)-1) {
				conv_at = j;
				expr_end = j;
			} else if (depth == 0 && c == ':' && expr_end == (size_t)-1) {
				expr_end = j;
			} else if (depth == 0 && c == ':' && conv_at != (size_t)-1 && expr_end == conv_at) {
				/* spec after a conversion */
			}
		}
		if (!s[j]) {
			fail(L, nb_yloc_at(n, start - 1), "unclosed '{' in a format string (write '{{' for a literal brace)");
			goto bad;
		}
		if (expr_end == (size_t)-1)
			expr_end = j;
		char conv = 0;
		size_t spec_start = j;
		if (conv_at != (size_t)-1) {
			conv = s[conv_at + 1];
			if (conv != 'r' && conv != 's') {
				fail(L, nb_yloc_at(n, conv_at), "unknown conversion '!%c' (expected !r or !s)", conv ? conv : ' ');
				goto bad;
			}
			if (s[conv_at + 2] == ':')
				spec_start = conv_at + 3;
			else if (conv_at + 2 != j) {
				fail(L, nb_yloc_at(n, conv_at), "expected ':' or '}' after '!%c'", conv);
				goto bad;
			}
		} else if (expr_end < j) {
			spec_start = expr_end + 1;
		}
		if (lit.len) {
			NB_GROW(parts, cap, np + 1);
			memset(&parts[np], 0, sizeof parts[np]);
			parts[np++].text = nb_buf_detach(&lit);
		}
		char *etext = nb_xstrndup(s + start, expr_end - start);
		nb_expr *x;
		int r = parse_expr_at(L, n, etext, start, &x);
		free(etext);
		if (r < 0)
			goto bad;
		NB_GROW(parts, cap, np + 1);
		memset(&parts[np], 0, sizeof parts[np]);
		parts[np].expr = x;
		parts[np].pos = start;
		parts[np].conv = conv;
		parts[np].spec = spec_start < j ? nb_xstrndup(s + spec_start, j - spec_start) : nb_xstrdup("");
		np++;
		i = j + 1;
	}
	if (lit.len) {
		NB_GROW(parts, cap, np + 1);
		memset(&parts[np], 0, sizeof parts[np]);
		parts[np++].text = nb_buf_detach(&lit);
	}
	nb_buf_release(&lit);
	pv->kind = NB_PV_FMT;
	pv->parts = parts;
	pv->nparts = np;
	return 0;
bad:
	nb_buf_release(&lit);
	fmt_free(parts, np);
	return -1;
}

static void pval_release(nb_pval *p)
{
	if (!p)
		return;
	nb_unref(p->lit);
	nb_expr_free(p->expr);
	for (size_t i = 0; i < p->n; i++) {
		pval_release(&p->items[i]);
		if (p->keys)
			free(p->keys[i]);
	}
	free(p->items);
	free(p->strs);
	free(p->keys);
	free(p->keynodes);
	fmt_free(p->parts, p->nparts);
	for (size_t i = 0; i < p->nsubs; i++) {
		for (size_t j = 0; j < p->subs[i].nargs; j++) {
			pval_release(p->subs[i].args[j].val);
			free(p->subs[i].args[j].val);
		}
		free(p->subs[i].args);
	}
	free(p->subs);
	memset(p, 0, sizeof *p);
}

/* An array-like value: literal, nested list (possibly with expressions), or expression. */
static int array_pval(loader *L, const nb_ynode *n, nb_pval *pv, int depth)
{
	memset(pv, 0, sizeof *pv);
	pv->node = n;
	if (n->kind == NB_YMAP)
		return fail(L, n->loc, "expected a number, a list or an expression, found a mapping");
	if (n->kind == NB_YSEQ) {
		if (numeric_tree(n, 0)) {
			pv->kind = NB_PV_LIT;
			pv->lit = literal_array(L, n);
			return pv->lit ? 0 : -1;
		}
		if (depth >= NB_MAXDIM)
			return fail(L, n->loc, "nested list deeper than %d levels", NB_MAXDIM);
		pv->kind = NB_PV_LIST;
		pv->n = n->n;
		pv->items = nb_xcalloc(n->n ? n->n : 1, sizeof *pv->items);
		for (size_t i = 0; i < n->n; i++)
			if (array_pval(L, n->items[i], &pv->items[i], depth + 1) < 0)
				return -1;
		return 0;
	}
	if (nb_yis_null(n))
		return fail(L, n->loc, "expected a number, a list or an expression, found null");
	int64_t iv;
	double fv;
	litkind k = scalar_literal(n, &iv, &fv);
	if (k != LIT_NONE) {
		pv->kind = NB_PV_LIT;
		pv->lit = lit_value(k, iv, fv);
		return 0;
	}
	pv->kind = NB_PV_EXPR;
	return parse_expr_at(L, n, n->text, 0, &pv->expr);
}

static int bind_name(loader *L, const nb_ynode *n, const char *what, char **out);

static int sub_pval(loader *L, const char *kname, const nb_param *p, const nb_ynode *n, nb_pval *pv);

static int param_pval_ctx(loader *L, const char *kname, const nb_param *p, const nb_ynode *n, nb_pval *pv)
{
	memset(pv, 0, sizeof *pv);
	pv->node = n;
	switch (p->type) {
	case NB_P_ARRAY: case NB_P_NUMBER: case NB_P_INT: case NB_P_SHAPE: case NB_P_VALUE:
		if (n->kind == NB_YSEQ && (p->type == NB_P_NUMBER || p->type == NB_P_INT))
			return fail(L, n->loc, "%s: parameter '%s' must be %s, found a list", kname, p->name,
				    p->type == NB_P_INT ? "an integer" : "a number");
		if (n->kind == NB_YSCALAR && (p->type == NB_P_INT || p->type == NB_P_SHAPE)) {
			int64_t iv;
			double fv;
			litkind lk = scalar_literal(n, &iv, &fv);
			if (lk == LIT_FLOAT || lk == LIT_BOOL)
				return fail(L, n->loc, "%s: parameter '%s' must be an integer, found %s", kname,
					    p->name, lk == LIT_BOOL ? "a boolean" : n->text);
		}
		if (n->kind == NB_YMAP)
			return fail(L, n->loc, "%s: parameter '%s' must be %s, found a mapping", kname, p->name,
				    p->type == NB_P_ARRAY ? "an array (a number, a list or an expression)"
						       : "a value");
		return array_pval(L, n, pv, 0);
	case NB_P_BOOL: {
		int64_t iv;
		double fv;
		if (scalar_literal(n, &iv, &fv) != LIT_BOOL)
			return fail(L, n->loc, "%s: parameter '%s' must be true or false, found %s", kname,
				    p->name, nb_ydescribe(n));
		pv->kind = NB_PV_LIT;
		pv->lit = nb_bool((int)iv);
		return 0;
	}
	case NB_P_STRING:
		if (n->kind != NB_YSCALAR || nb_yis_null(n))
			return fail(L, n->loc, "%s: parameter '%s' must be a string, found %s", kname, p->name,
				    nb_ydescribe(n));
		pv->kind = NB_PV_LIT;
		pv->lit = nb_str(n->text);
		return 0;
	case NB_P_CHOICE: {
		if (n->kind != NB_YSCALAR || nb_yis_null(n))
			return fail(L, n->loc, "%s: parameter '%s' must be one of: %s; found %s", kname, p->name,
				    p->choices, nb_ydescribe(n));
		const char *c = p->choices;
		nb_suggest s;
		nb_suggest_init(&s, n->text);
		char word[64];
		while (*c) {
			size_t len = strcspn(c, " ");
			snprintf(word, sizeof word, "%.*s", (int)len, c);
			if (!strcmp(word, n->text)) {
				pv->kind = NB_PV_LIT;
				pv->lit = nb_str(n->text);
				return 0;
			}
			c += len;
			while (*c == ' ')
				c++;
		}
		/* suggest among choices */
		c = p->choices;
		char *words = nb_xstrdup(p->choices);
		for (char *w = strtok(words, " "); w; w = strtok(NULL, " "))
			nb_suggest_offer(&s, w);
		const char *best = nb_suggest_best(&s);
		if (best)
			fail(L, n->loc, "%s: parameter '%s' must be one of: %s; found '%s' (did you mean '%s'?)",
			     kname, p->name, p->choices, n->text, best);
		else
			fail(L, n->loc, "%s: parameter '%s' must be one of: %s; found '%s'", kname, p->name,
			     p->choices, n->text);
		free(words);
		return -1;
	}
	case NB_P_FORMAT:
		if (n->kind != NB_YSCALAR || nb_yis_null(n))
			return fail(L, n->loc, "%s: parameter '%s' must be a string, found %s", kname, p->name,
				    nb_ydescribe(n));
		return parse_format(L, n, pv);
	case NB_P_EXPR:
		if (n->kind != NB_YSCALAR || nb_yis_null(n))
			return fail(L, n->loc, "%s: parameter '%s' must be an expression, found %s", kname,
				    p->name, nb_ydescribe(n));
		pv->kind = NB_PV_EXPR;
		return parse_expr_at(L, n, n->text, 0, &pv->expr);
	case NB_P_SUBS:
		return sub_pval(L, kname, p, n, pv);
	case NB_P_STRINGS:
		if (n->kind != NB_YSEQ)
			return fail(L, n->loc, "%s: parameter '%s' must be a list of strings, found %s", kname, p->name,
				    nb_ydescribe(n));
		pv->kind = NB_PV_LIST;
		pv->n = n->n;
		pv->items = nb_xcalloc(n->n ? n->n : 1, sizeof *pv->items);
		pv->strs = nb_xcalloc(n->n ? n->n : 1, sizeof *pv->strs);
		for (size_t i = 0; i < n->n; i++) {
			const nb_ynode *it = n->items[i];
			if (it->kind != NB_YSCALAR || nb_yis_null(it))
				return fail(L, it->loc, "%s: each item of '%s' must be a string, found %s", kname, p->name,
					    nb_ydescribe(it));
			pv->items[i].kind = NB_PV_LIT;
			pv->items[i].node = it;
			pv->items[i].lit = nb_str(it->text);
			pv->strs[i] = pv->items[i].lit->str;
		}
		return 0;
	case NB_P_BINDINGS: case NB_P_RENAME:
		if (n->kind != NB_YMAP)
			return fail(L, n->loc, "%s: parameter '%s' must be a mapping of NAME: %s, found %s", kname,
				    p->name, p->type == NB_P_RENAME ? "NEW_NAME" : "value", nb_ydescribe(n));
		pv->kind = NB_PV_LIST;
		pv->n = n->n / 2;
		pv->items = nb_xcalloc(pv->n ? pv->n : 1, sizeof *pv->items);
		pv->keys = nb_xcalloc(pv->n ? pv->n : 1, sizeof *pv->keys);
		pv->keynodes = nb_xcalloc(pv->n ? pv->n : 1, sizeof *pv->keynodes);
		for (size_t i = 0; i < pv->n; i++) {
			const nb_ynode *key = n->items[2 * i], *val = n->items[2 * i + 1];
			pv->keynodes[i] = key;
			if (bind_name(L, key, "each key", &pv->keys[i]) < 0)
				return -1;
			if (p->type == NB_P_RENAME) {
				char *target;
				if (bind_name(L, val, "each new name", &target) < 0)
					return -1;
				pv->items[i].kind = NB_PV_LIT;
				pv->items[i].node = val;
				pv->items[i].lit = nb_str(target);
				free(target);
			} else if (array_pval(L, val, &pv->items[i], 1) < 0) {
				return -1;
			}
		}
		return 0;
	case NB_P_ARRAYS:
		if (n->kind == NB_YSEQ) {
			pv->kind = NB_PV_LIST;
			pv->n = n->n;
			pv->items = nb_xcalloc(n->n ? n->n : 1, sizeof *pv->items);
			for (size_t i = 0; i < n->n; i++)
				if (array_pval(L, n->items[i], &pv->items[i], 1) < 0)
					return -1;
			return 0;
		}
		if (n->kind == NB_YSCALAR && !nb_yis_null(n)) {
			pv->kind = NB_PV_EXPR;
			return parse_expr_at(L, n, n->text, 0, &pv->expr);
		}
		return fail(L, n->loc, "%s: parameter '%s' must be a list of arrays, found %s", kname, p->name,
			    nb_ydescribe(n));
	}
	return fail(L, n->loc, "unsupported parameter type");
}

static int param_pval(loader *L, const nb_kernel *k, const nb_param *p, const nb_ynode *n, nb_pval *pv)
{
	char ctx[128];
	snprintf(ctx, sizeof ctx, "kernel '%s'", nb_kernel_short(k));
	return param_pval_ctx(L, ctx, p, n, pv);
}

/* Check a sub-mapping's parameters against its schema (like a kernel cell's). */
/* The index of the parameter named by key among np; else an error naming the closest one. */
static int find_param(loader *L, const char *ctx, const nb_param *params, size_t np, const nb_ynode *key,
		      size_t *out)
{
	for (size_t j = 0; j < np; j++)
		if (!strcmp(params[j].name, key->text)) {
			*out = j;
			return 0;
		}
	nb_suggest s;
	nb_suggest_init(&s, key->text);
	nb_buf list = NB_BUF_INIT;
	for (size_t q = 0; q < np; q++) {
		nb_suggest_offer(&s, params[q].name);
		nb_buf_printf(&list, "%s%s", q ? ", " : "", params[q].name);
	}
	const char *best = nb_suggest_best(&s);
	if (best)
		fail(L, key->loc, "%s has no parameter '%s'; did you mean '%s'?", ctx, key->text, best);
	else
		fail(L, key->loc, "%s has no parameter '%s' (its parameters: %s)", ctx, key->text,
		     np ? nb_buf_str(&list) : "none");
	nb_buf_release(&list);
	return -1;
}

static int load_sub(loader *L, const char *ctx, const nb_subschema *sc, const nb_ynode *m, nb_sub *sub)
{
	size_t np = 0;
	while (sc->params[np].name)
		np++;
	sub->schema = sc;
	sub->node = m;
	sub->nargs = np;
	sub->args = nb_xcalloc(np ? np : 1, sizeof *sub->args);
	for (size_t i = 0; i < np; i++)
		sub->args[i].param = &sc->params[i];
	if (m->kind != NB_YMAP)
		return fail(L, m->loc, "%s must be a mapping of parameters, found %s", ctx, nb_ydescribe(m));
	for (size_t i = 0; i < m->n; i += 2) {
		const nb_ynode *key = m->items[i], *val = m->items[i + 1];
		size_t j = 0;
		if (find_param(L, ctx, sc->params, np, key, &j) < 0)
			return -1;
		sub->args[j].key = key;
		sub->args[j].val = nb_xcalloc(1, sizeof(nb_pval));
		if (param_pval_ctx(L, ctx, &sc->params[j], val, sub->args[j].val) < 0)
			return -1;
	}
	for (size_t j = 0; j < np; j++)
		if (!sub->args[j].val && !sc->params[j].dflt)
			return fail(L, m->loc, "%s: missing required parameter '%s' (%s: %s)", ctx, sc->params[j].name,
				    nb_ptype_name(sc->params[j].type), sc->params[j].doc);
	return 0;
}

static int sub_pval(loader *L, const char *kname, const nb_param *p, const nb_ynode *n, nb_pval *pv)
{
	int tagged = p->subs[0].tag[0] != '\0';
	/* an untagged list may be given as its one mapping */
	int single = !tagged && n->kind == NB_YMAP;
	if (n->kind != NB_YSEQ && !single)
		return fail(L, n->loc, "kernel '%s': parameter '%s' must be a list, found %s", kname, p->name, nb_ydescribe(n));
	size_t count = single ? 1 : n->n;
	pv->kind = NB_PV_SUBS;
	pv->nsubs = count;
	pv->subs = nb_xcalloc(count ? count : 1, sizeof *pv->subs);
	for (size_t i = 0; i < count; i++) {
		const nb_ynode *it = single ? n : n->items[i];
		const nb_subschema *sc = &p->subs[0];
		const nb_ynode *m = it;
		char ctx[256];
		if (tagged) {
			if (it->kind != NB_YMAP || it->n != 2) {
				nb_buf tags = NB_BUF_INIT;
				for (const nb_subschema *q = p->subs; q->tag; q++)
					nb_buf_printf(&tags, "%s%s", q == p->subs ? "" : ", ", q->tag);
				fail(L, it->loc, "each item of '%s' is one of %s with its parameters (such as '- %s: {...}'), found %s",
				     p->name, nb_buf_str(&tags), p->subs[0].tag, it->kind == NB_YMAP ? "several keys" : nb_ydescribe(it));
				nb_buf_release(&tags);
				return -1;
			}
			const nb_ynode *tag = it->items[0];
			sc = NULL;
			nb_suggest sg;
			nb_suggest_init(&sg, tag->text);
			for (const nb_subschema *q = p->subs; q->tag; q++) {
				if (!strcmp(q->tag, tag->text))
					sc = q;
				nb_suggest_offer(&sg, q->tag);
			}
			if (!sc) {
				const char *best = nb_suggest_best(&sg);
				if (best)
					return fail(L, tag->loc, "unknown item '%s' in '%s'; did you mean '%s'?", tag->text, p->name, best);
				nb_buf tags = NB_BUF_INIT;
				for (const nb_subschema *q = p->subs; q->tag; q++)
					nb_buf_printf(&tags, "%s%s", q == p->subs ? "" : ", ", q->tag);
				fail(L, tag->loc, "unknown item '%s' in '%s' (known: %s)", tag->text, p->name, nb_buf_str(&tags));
				nb_buf_release(&tags);
				return -1;
			}
			m = it->items[1];
			snprintf(ctx, sizeof ctx, "'%s' in '%s'", sc->tag, p->name);
		} else {
			snprintf(ctx, sizeof ctx, "item %zu of '%s'", i + 1, p->name);
		}
		if (load_sub(L, ctx, sc, m, &pv->subs[i]) < 0)
			return -1;
	}
	return 0;
}

/* --------------------------------------------------------------- names */

static int valid_ident(const char *s)
{
	static const char *const reserved[] = {"True", "False", "None", "and", "or", "not", "if", "else",
					       "for", "in", "is", "lambda", "np", "numpy"};
	if (!*s || !(isalpha((unsigned char)*s) || *s == '_'))
		return 0;
	for (const char *p = s; *p; p++)
		if (!(isalnum((unsigned char)*p) || *p == '_'))
			return 0;
	for (size_t i = 0; i < NB_ARRAY_LEN(reserved); i++)
		if (!strcmp(reserved[i], s))
			return 0;
	return 1;
}

static int valid_label(const char *s)
{
	if (!*s || strlen(s) > 64 || !isalnum((unsigned char)*s))
		return 0;
	for (const char *p = s; *p; p++)
		if (!(isalnum((unsigned char)*p) || *p == '_' || *p == '-'))
			return 0;
	return 1;
}

static int bind_name(loader *L, const nb_ynode *n, const char *what, char **out)
{
	if (n->kind != NB_YSCALAR || nb_yis_null(n))
		return fail(L, n->loc, "%s must be a name, found %s", what, nb_ydescribe(n));
	if (!valid_ident(n->text))
		return fail(L, n->loc, "'%s' is not a valid name: use letters, digits and '_', starting with a "
			    "letter, and not a Python keyword", n->text);
	*out = nb_xstrdup(n->text);
	return 0;
}

/* -------------------------------------------------------------- cells */

static const char *const cell_keys[] = {"id", "hide", "out", "md"};

static int load_outs(loader *L, nb_cell *c, const nb_ynode *on)
{
	const nb_kernel *k = c->kernel;
	size_t nout = nb_kernel_noutputs(k);
	const char *kname = nb_kernel_short(k);
	c->nouts = nout;
	c->outs = nb_xcalloc(nout ? nout : 1, sizeof *c->outs);
	c->out_locs = nb_xcalloc(nout ? nout : 1, sizeof *c->out_locs);
	if (!on) {
		if (nout == 0 || (k->flags & NB_K_VARARGS))
			return 0;
		if (nout == 1)
			return fail(L, c->kernel_node->loc, "kernel '%s' returns a value: name it with 'out: NAME'", kname);
		nb_buf b = NB_BUF_INIT;
		for (size_t i = 0; i < nout; i++)
			nb_buf_printf(&b, "%s%s", i ? ", " : "", k->outputs[i].name);
		fail(L, c->kernel_node->loc, "kernel '%s' returns %zu values: name them with 'out: [%s]'", kname, nout,
		     nb_buf_str(&b));
		nb_buf_release(&b);
		return -1;
	}
	if (nout == 0)
		return fail(L, on->loc, "kernel '%s' returns nothing, so 'out' has nothing to name", kname);
	if (on->kind == NB_YSCALAR) {
		if (nout != 1) {
			nb_buf b = NB_BUF_INIT;
			for (size_t i = 0; i < nout; i++)
				nb_buf_printf(&b, "%s%s", i ? ", " : "", k->outputs[i].name);
			fail(L, on->loc, "kernel '%s' returns %zu values (%s): give one name each as a list, or pick "
			     "some with a mapping", kname, nout, nb_buf_str(&b));
			nb_buf_release(&b);
			return -1;
		}
		c->out_locs[0] = on->loc;
		return bind_name(L, on, "'out'", &c->outs[0]);
	}
	if (on->kind == NB_YSEQ) {
		if (on->n != nout)
			return fail(L, on->loc, "kernel '%s' returns %zu value%s, but 'out' names %zu", kname, nout,
				    nout == 1 ? "" : "s", on->n);
		for (size_t i = 0; i < nout; i++) {
			c->out_locs[i] = on->items[i]->loc;
			if (bind_name(L, on->items[i], "each item of 'out'", &c->outs[i]) < 0)
				return -1;
		}
		return 0;
	}
	for (size_t i = 0; i < on->n; i += 2) {
		const nb_ynode *key = on->items[i];
		size_t j;
		for (j = 0; j < nout; j++)
			if (!strcmp(k->outputs[j].name, key->text))
				break;
		if (j == nout) {
			const char *names[16];
			size_t nn = nout < 16 ? nout : 16;
			for (size_t q = 0; q < nn; q++)
				names[q] = k->outputs[q].name;
			char where[128];
			snprintf(where, sizeof where, "the outputs of kernel '%s'", kname);
			return unknown_key(L, key, where, names, nn);
		}
		c->out_locs[j] = on->items[i + 1]->loc;
		if (bind_name(L, on->items[i + 1], "an output name", &c->outs[j]) < 0)
			return -1;
	}
	return 0;
}

static int load_args(loader *L, nb_cell *c, const nb_ynode *an)
{
	const nb_kernel *k = c->kernel;
	const char *kname = nb_kernel_short(k);
	size_t np = 0;
	while (k->params[np].name)
		np++;
	c->nargs = np;
	c->args = nb_xcalloc(np ? np : 1, sizeof *c->args);
	for (size_t i = 0; i < np; i++)
		c->args[i].param = &k->params[i];
	if (k->flags & NB_K_VARARGS) {
		if (!an || an->kind != NB_YMAP)
			return fail(L, an ? an->loc : c->kernel_node->loc,
				    "kernel '%s' takes a mapping of NAME: value pairs, found %s", kname, nb_ydescribe(an));
		c->nvargs = an->n / 2;
		c->vargs = nb_xcalloc(c->nvargs ? c->nvargs : 1, sizeof *c->vargs);
		for (size_t i = 0; i < c->nvargs; i++) {
			const nb_ynode *key = an->items[2 * i], *val = an->items[2 * i + 1];
			c->vargs[i].key = key;
			if (bind_name(L, key, "a name to bind", &c->vargs[i].name) < 0)
				return -1;
			if (array_pval(L, val, &c->vargs[i].val, 0) < 0)
				return -1;
		}
		return 0;
	}
	if (an && an->kind != NB_YMAP) {
		if (!(k->flags & NB_K_PRIMARY) || np == 0) {
			nb_buf b = NB_BUF_INIT;
			for (size_t i = 0; i < np; i++)
				nb_buf_printf(&b, "%s%s", i ? ", " : "", k->params[i].name);
			fail(L, an->loc, "kernel '%s' takes a mapping of parameters (%s), found %s", kname,
			     np ? nb_buf_str(&b) : "none", nb_ydescribe(an));
			nb_buf_release(&b);
			return -1;
		}
		c->args[0].val = nb_xcalloc(1, sizeof(nb_pval));
		c->args[0].key = c->kernel_node;
		if (param_pval(L, k, &k->params[0], an, c->args[0].val) < 0)
			return -1;
	} else if (an) {
		for (size_t i = 0; i < an->n; i += 2) {
			const nb_ynode *key = an->items[i], *val = an->items[i + 1];
			size_t j = 0;
			char kctx[128];
			snprintf(kctx, sizeof kctx, "kernel '%s'", kname);
			if (find_param(L, kctx, k->params, np, key, &j) < 0)
				return -1;
			c->args[j].key = key;
			c->args[j].val = nb_xcalloc(1, sizeof(nb_pval));
			if (param_pval(L, k, &k->params[j], val, c->args[j].val) < 0)
				return -1;
		}
	}
	for (size_t j = 0; j < np; j++) {
		if (!c->args[j].val && !k->params[j].dflt)
			return fail(L, c->kernel_node->loc, "kernel '%s': missing required parameter '%s' (%s: %s)", kname,
				    k->params[j].name, nb_ptype_name(k->params[j].type), k->params[j].doc);
	}
	return 0;
}

static int load_cell(loader *L, const nb_ynode *n, nb_cell *c, size_t index)
{
	c->index = (int)index;
	c->loc = n->loc;
	c->node = n;
	if (n->kind != NB_YMAP)
		return fail(L, n->loc, "cell %zu must be a mapping (such as 'md: ...' or 'arange: {...}'), found %s",
			    index, nb_ydescribe(n));
	const nb_ynode *kkey = NULL, *kval = NULL, *out = NULL;
	for (size_t i = 0; i < n->n; i += 2) {
		const nb_ynode *key = n->items[i], *val = n->items[i + 1];
		const char *t = key->text;
		if (!strcmp(t, "id")) {
			if (val->kind != NB_YSCALAR || nb_yis_null(val))
				return fail(L, val->loc, "'id' must be a label, found %s", nb_ydescribe(val));
			if (!valid_label(val->text))
				return fail(L, val->loc, "cell id '%s' is not a valid label: use at most 64 letters, digits, "
					    "'-' and '_', starting with a letter or digit", val->text);
			c->label = nb_xstrdup(val->text);
			c->has_id = 1;
		} else if (!strcmp(t, "hide")) {
			int64_t iv;
			double fv;
			if (scalar_literal(val, &iv, &fv) != LIT_BOOL)
				return fail(L, val->loc, "'hide' must be true or false, found %s", nb_ydescribe(val));
			c->hide = (int)iv;
		} else if (!strcmp(t, "out")) {
			out = val;
		} else {
			if (kkey) {
				if (!strcmp(t, "md") || !strcmp(kkey->text, "md"))
					return fail(L, key->loc, "a cell is either prose ('md') or one kernel; this cell "
						    "also has '%s'", !strcmp(t, "md") ? kkey->text : t);
				return fail(L, key->loc, "a cell runs one kernel, but this cell names both '%s' and '%s'",
					    kkey->text, t);
			}
			kkey = key;
			kval = val;
		}
	}
	if (!kkey)
		return fail(L, n->loc, "cell %zu has neither 'md' nor a kernel", index);
	if (!c->label)
		c->label = nb_xasprintf("cell-%zu", index);
	if (!strcmp(kkey->text, "md")) {
		c->kind = NB_CELL_MD;
		if (kval->kind != NB_YSCALAR)
			return fail(L, kval->loc, "'md' must be markdown text, found %s", nb_ydescribe(kval));
		c->md = nb_xstrdup(kval->text);
		if (out)
			return fail(L, out->loc, "a prose cell has no outputs to name with 'out'");
		return 0;
	}
	c->kind = NB_CELL_KERNEL;
	c->kernel_node = kkey;
	int ambiguous = 0;
	c->kernel = nb_kernel_find(kkey->text, &ambiguous);
	if (!c->kernel) {
		if (ambiguous)
			return fail(L, kkey->loc, "kernel name '%s' is ambiguous; use its full 'family.name'", kkey->text);
		const char *best = nb_kernel_suggest(kkey->text);
		nb_suggest s;
		nb_suggest_init(&s, kkey->text);
		for (size_t i = 0; i < NB_ARRAY_LEN(cell_keys); i++)
			nb_suggest_offer(&s, cell_keys[i]);
		const char *kb = nb_suggest_best(&s);
		if (kb && (!best || nb_edit_distance(kkey->text, kb) < nb_edit_distance(kkey->text, best)))
			best = kb;
		if (best)
			return fail(L, kkey->loc, "unknown kernel '%s'; did you mean '%s'?", kkey->text, best);
		return fail(L, kkey->loc, "unknown kernel '%s' (nbrun --list-kernels shows them all)", kkey->text);
	}
	const nb_ynode *an = nb_yis_null(kval) && kval->kind == NB_YSCALAR ? NULL : kval;
	if (load_args(L, c, an) < 0)
		return -1;
	return load_outs(L, c, out);
}

static void cell_release(nb_cell *c)
{
	free(c->label);
	free(c->md);
	for (size_t i = 0; i < c->nargs; i++) {
		pval_release(c->args[i].val);
		free(c->args[i].val);
	}
	free(c->args);
	for (size_t i = 0; i < c->nvargs; i++) {
		free(c->vargs[i].name);
		pval_release(&c->vargs[i].val);
	}
	free(c->vargs);
	for (size_t i = 0; i < c->nouts; i++)
		free(c->outs[i]);
	free(c->outs);
	free(c->out_locs);
}

/* ------------------------------------------------------- static names */

typedef struct scope {
	char **names;
	size_t n, cap;
	loader *L;
	const char *context;   /* "kernel 'k': parameter 'p': " or "" */
	const nb_ynode *node;
	size_t base;       /* offset of the expression in the node's text */
} scope;

static int scope_has(const scope *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->names[i], name))
			return 1;
	return 0;
}

static void scope_add(scope *s, const char *name)
{
	if (scope_has(s, name))
		return;
	NB_GROW(s->names, s->cap, s->n + 1);
	s->names[s->n++] = nb_xstrdup(name);
}

static int check_name(void *ctx, const char *name, size_t pos)
{
	scope *s = ctx;
	if (scope_has(s, name) || nb_expr_is_constant(name))
		return 0;
	nb_loc loc = nb_yloc_at(s->node, s->base + pos);
	if (nb_expr_is_function(name))
		return fail(s->L, loc, "%s'%s' is a function; call it as %s(...)", s->context, name, name);
	nb_suggest sg;
	nb_suggest_init(&sg, name);
	for (size_t i = 0; i < s->n; i++)
		nb_suggest_offer(&sg, s->names[i]);
	const char *best = nb_suggest_best(&sg);
	if (best)
		return fail(s->L, loc, "%sundefined name '%s'; did you mean '%s'?", s->context, name, best);
	return fail(s->L, loc, "%sundefined name '%s': no earlier cell binds it", s->context, name);
}

static int check_pval(scope *s, const nb_pval *p)
{
	if (!p)
		return 0;
	s->node = p->node;
	s->base = 0;
	switch (p->kind) {
	case NB_PV_EXPR:
		/* block scalars have no column mapping; nb_yloc_at falls back to the node */
		return nb_expr_walk_names(p->expr, check_name, s);
	case NB_PV_LIST:
		for (size_t i = 0; i < p->n; i++)
			if (check_pval(s, &p->items[i]) < 0)
				return -1;
		return 0;
	case NB_PV_SUBS:
		for (size_t i = 0; i < p->nsubs; i++)
			for (size_t j = 0; j < p->subs[i].nargs; j++)
				if (p->subs[i].args[j].val && p->subs[i].args[j].param->type != NB_P_EXPR &&
				    p->subs[i].args[j].param->type != NB_P_STRINGS &&
				    check_pval(s, p->subs[i].args[j].val) < 0)
					return -1;
		return 0;
	case NB_PV_FMT:
		for (size_t i = 0; i < p->nparts; i++) {
			if (!p->parts[i].expr)
				continue;
			s->node = p->node;
			s->base = p->parts[i].pos;
			if (nb_expr_walk_names(p->parts[i].expr, check_name, s) < 0)
				return -1;
		}
		return 0;
	default:
		return 0;
	}
}

/* Check one of a kernel cell's parameters; a kernel's parameters get context in messages,
 * print's text and let's values speak for themselves. */
static int check_arg(scope *s, const nb_cell *c, size_t i, char *ctx, size_t cap)
{
	if (c->args[i].param->type == NB_P_FORMAT)
		s->context = "";
	else {
		snprintf(ctx, cap, "kernel '%s': parameter '%s': ", nb_kernel_short(c->kernel), c->args[i].param->name);
		s->context = ctx;
	}
	int rc = check_pval(s, c->args[i].val);
	s->context = "";
	return rc;
}

static int check_names(loader *L, nb_notebook *nb)
{
	scope s = {0};
	s.L = L;
	s.context = "";
	char ctx[160];
	int rc = 0;
	for (size_t i = 0; i < nb->ndecls; i++)
		scope_add(&s, nb->decls[i].name);
	for (size_t ci = 0; ci < nb->ncells && rc == 0; ci++) {
		nb_cell *c = &nb->cells[ci];
		if (c->kind != NB_CELL_KERNEL)
			continue;
		/* names local to this cell: the keys of its "local" bindings */
		size_t outer = s.n;
		for (size_t i = 0; i < c->nargs && rc == 0; i++) {
			const nb_param *p = c->args[i].param;
			const nb_pval *pv = c->args[i].val;
			if (!pv || p->type != NB_P_BINDINGS)
				continue;
			snprintf(ctx, sizeof ctx, "kernel '%s': parameter '%s': ", nb_kernel_short(c->kernel), p->name);
			s.context = ctx;
			for (size_t k = 0; k < pv->n && rc == 0; k++) {
				if (!strcmp(p->choices, "state") && !scope_has(&s, pv->keys[k])) {
					nb_suggest sg;
					nb_suggest_init(&sg, pv->keys[k]);
					for (size_t q = 0; q < s.n; q++)
						nb_suggest_offer(&sg, s.names[q]);
					const char *best = nb_suggest_best(&sg);
					if (best)
						rc = fail(L, pv->keynodes[k]->loc, "%s'%s' is not bound by an earlier cell; did you "
							  "mean '%s'?", ctx, pv->keys[k], best);
					else
						rc = fail(L, pv->keynodes[k]->loc, "%s'%s' is not bound by an earlier cell (bind "
							  "its starting value with let)", ctx, pv->keys[k]);
				}
				if (rc == 0)
					rc = check_pval(&s, &pv->items[k]);
			}
			s.context = "";
		}
		for (size_t i = 0; i < c->nargs && rc == 0; i++) {
			const nb_param *p = c->args[i].param;
			const nb_pval *pv = c->args[i].val;
			if (pv && p->type == NB_P_BINDINGS && (!strcmp(p->choices, "local") || !strcmp(p->choices, "bind")))
				for (size_t k = 0; k < pv->n; k++)
					scope_add(&s, pv->keys[k]);
		}
		for (size_t i = 0; i < c->nargs && rc == 0; i++) {
			const nb_param *p = c->args[i].param;
			if (p->type != NB_P_EXPR || !c->args[i].val)
				continue;
			snprintf(ctx, sizeof ctx, "kernel '%s': parameter '%s': ", nb_kernel_short(c->kernel), p->name);
			s.context = ctx;
			rc = check_pval(&s, c->args[i].val);
			s.context = "";
		}
		/* drop the local names again */
		while (s.n > outer)
			free(s.names[--s.n]);
		/* frame variables are seen by the cell's lists of items (a figure's layers and axes) */
		for (size_t i = 0; i < c->nargs; i++) {
			const nb_param *p = c->args[i].param;
			const nb_pval *pv = c->args[i].val;
			if (pv && p->type == NB_P_BINDINGS && !strcmp(p->choices, "frame"))
				for (size_t k = 0; k < pv->n; k++)
					scope_add(&s, pv->keys[k]);
		}
		/* first the lists of items, with the frame variables in scope; then the rest without */
		for (size_t i = 0; i < c->nargs && rc == 0; i++)
			if (c->args[i].param->type == NB_P_SUBS)
				rc = check_arg(&s, c, i, ctx, sizeof ctx);
		while (s.n > outer)
			free(s.names[--s.n]);
		for (size_t i = 0; i < c->nargs && rc == 0; i++) {
			/* expressions and bindings were checked above */
			nb_ptype t = c->args[i].param->type;
			if (t != NB_P_EXPR && t != NB_P_BINDINGS && t != NB_P_RENAME && t != NB_P_SUBS)
				rc = check_arg(&s, c, i, ctx, sizeof ctx);
		}
		while (s.n > outer)
			free(s.names[--s.n]);
		for (size_t i = 0; i < c->nvargs && rc == 0; i++) {
			rc = check_pval(&s, &c->vargs[i].val);
			scope_add(&s, c->vargs[i].name);
		}
		for (size_t i = 0; i < c->nouts; i++)
			if (c->outs[i])
				scope_add(&s, c->outs[i]);
		for (size_t i = 0; i < c->nargs; i++)
			if (c->args[i].param->type == NB_P_BINDINGS && c->args[i].val && !strcmp(c->args[i].param->choices, "bind"))
				for (size_t k = 0; k < c->args[i].val->n; k++)
					scope_add(&s, c->args[i].val->keys[k]);
		for (size_t i = 0; i < c->nargs; i++)
			if (c->args[i].param->type == NB_P_RENAME && c->args[i].val)
				for (size_t k = 0; k < c->args[i].val->n; k++)
					scope_add(&s, c->args[i].val->items[k].lit->str);
	}
	for (size_t i = 0; i < s.n; i++)
		free(s.names[i]);
	free(s.names);
	return rc;
}

/* --------------------------------------------------------- top level */

const char *nb_decltype_name(nb_decltype t)
{
	static const char *const names[] = {"int", "float", "bool", "str", "array"};
	return names[t];
}

static nb_value *eval_const_expr(const char *text, nb_err *e)
{
	size_t pos;
	nb_expr *x = nb_expr_parse(text, &pos, e);
	if (!x)
		return NULL;
	nb_state empty = NB_STATE_INIT;
	nb_value *v = nb_expr_eval(x, nb_state_lookup, &empty, &pos, e);
	nb_expr_free(x);
	return v;
}

/* Convert text (from --set) or a YAML node to a declared parameter's type. */
static nb_value *decl_value_from_text(nb_decltype t, const char *text, nb_err *e)
{
	char *end;
	errno = 0;
	switch (t) {
	case NB_D_INT: {
		long long v = strtoll(text, &end, 10);
		if (!*text || *end || errno)
			break;
		return nb_i64(v);
	}
	case NB_D_FLOAT: {
		double d = strtod(text, &end);
		if (!*text || *end)
			break;
		return nb_f64(d);
	}
	case NB_D_BOOL:
		if (!strcmp(text, "true") || !strcmp(text, "True"))
			return nb_bool(1);
		if (!strcmp(text, "false") || !strcmp(text, "False"))
			return nb_bool(0);
		break;
	case NB_D_STR:
		return nb_str(text);
	case NB_D_ARRAY: {
		nb_value *v = eval_const_expr(text, e);
		if (v && !nb_is_array(v)) {
			nb_unref(v);
			break;
		}
		if (v)
			return v;
		nb_err_clear(e);
		break;
	}
	}
	nb_err_set(e, NB_NOLOC, "expected %s, found '%s'",
		   t == NB_D_INT ? "an integer" : t == NB_D_FLOAT ? "a number" : t == NB_D_BOOL ? "true or false"
		   : "an array literal such as [1, 2, 3]", text);
	return NULL;
}

/* How a node is named in a message: the text of a short scalar, else its kind. */
static const char *shown(const nb_ynode *n)
{
	if (n->kind == NB_YSCALAR && !nb_yis_null(n) && n->len <= 40)
		return n->text;
	return nb_ydescribe(n);
}

static int load_decls(loader *L, const nb_ynode *pn)
{
	nb_notebook *nb = L->nb;
	if (want_kind(L, pn, NB_YMAP, "'params'") < 0)
		return -1;
	nb->ndecls = pn->n / 2;
	nb->decls = nb_xcalloc(nb->ndecls ? nb->ndecls : 1, sizeof *nb->decls);
	for (size_t i = 0; i < nb->ndecls; i++) {
		const nb_ynode *key = pn->items[2 * i], *val = pn->items[2 * i + 1];
		nb_decl *d = &nb->decls[i];
		d->loc = key->loc;
		if (bind_name(L, key, "a parameter name", &d->name) < 0)
			return -1;
		const nb_ynode *dv = val;
		const nb_ynode *tn = NULL;
		if (val->kind == NB_YMAP) {
			static const char *const keys[] = {"type", "default", "doc"};
			char where[128];
			snprintf(where, sizeof where, "parameter '%s'", d->name);
			if (check_keys(L, val, where, keys, 3) < 0)
				return -1;
			tn = nb_ymap_get(val, "type");
			dv = nb_ymap_get(val, "default");
			const nb_ynode *doc = nb_ymap_get(val, "doc");
			if (doc) {
				if (want_kind(L, doc, NB_YSCALAR, "'doc'") < 0)
					return -1;
				d->doc = nb_xstrdup(doc->text);
			}
			if (!dv)
				return fail(L, val->loc, "parameter '%s' needs a 'default'", d->name);
		}
		int64_t iv = 0;
		double fv = 0;
		litkind lk = scalar_literal(dv, &iv, &fv);
		nb_decltype t;
		if (tn) {
			static const char *const types[] = {"int", "float", "bool", "str", "array"};
			size_t k;
			if (tn->kind != NB_YSCALAR)
				return fail(L, tn->loc, "'type' must be one of int, float, bool, str, array");
			for (k = 0; k < 5; k++)
				if (!strcmp(tn->text, types[k]))
					break;
			if (k == 5) {
				nb_suggest s;
				nb_suggest_init(&s, tn->text);
				for (size_t q = 0; q < 5; q++)
					nb_suggest_offer(&s, types[q]);
				const char *best = nb_suggest_best(&s);
				if (best)
					return fail(L, tn->loc, "unknown type '%s'; did you mean '%s'?", tn->text, best);
				return fail(L, tn->loc, "unknown type '%s' (expected int, float, bool, str or array)", tn->text);
			}
			t = (nb_decltype)k;
		} else {
			t = dv->kind == NB_YSEQ ? NB_D_ARRAY : lk == LIT_INT ? NB_D_INT : lk == LIT_FLOAT ? NB_D_FLOAT
			  : lk == LIT_BOOL ? NB_D_BOOL : NB_D_STR;
		}
		d->type = t;
		switch (t) {
		case NB_D_INT:
			if (lk != LIT_INT)
				return fail(L, dv->loc, "parameter '%s' is an int, but its default is %s", d->name, shown(dv));
			d->value = nb_i64(iv);
			break;
		case NB_D_FLOAT:
			if (lk != LIT_INT && lk != LIT_FLOAT)
				return fail(L, dv->loc, "parameter '%s' is a float, but its default is %s", d->name, shown(dv));
			d->value = nb_f64(lk == LIT_INT ? (double)iv : fv);
			break;
		case NB_D_BOOL:
			if (lk != LIT_BOOL)
				return fail(L, dv->loc, "parameter '%s' is a bool, but its default is %s", d->name, shown(dv));
			d->value = nb_bool((int)iv);
			break;
		case NB_D_STR:
			if (dv->kind != NB_YSCALAR)
				return fail(L, dv->loc, "parameter '%s' is a str, but its default is %s", d->name, shown(dv));
			d->value = nb_str(dv->text);
			break;
		case NB_D_ARRAY:
			if (dv->kind == NB_YSEQ && numeric_tree(dv, 0)) {
				if (!(d->value = literal_array(L, dv)))
					return -1;
			} else if (lk == LIT_INT || lk == LIT_FLOAT) {
				d->value = nb_f64(lk == LIT_INT ? (double)iv : fv);
			} else {
				return fail(L, dv->loc, "parameter '%s' is an array, so its default must be a number or a "
					    "list of numbers, found %s", d->name, nb_ydescribe(dv));
			}
			break;
		}
		for (size_t j = 0; j < i; j++)
			if (!strcmp(nb->decls[j].name, d->name))
				return fail(L, key->loc, "parameter '%s' is declared twice", d->name);
	}
	return 0;
}

static int apply_overrides(loader *L, const nb_override *ov, size_t nov)
{
	nb_notebook *nb = L->nb;
	for (size_t i = 0; i < nov; i++) {
		nb_decl *d = NULL;
		for (size_t j = 0; j < nb->ndecls; j++)
			if (!strcmp(nb->decls[j].name, ov[i].name))
				d = &nb->decls[j];
		nb_loc loc = {nb->path, 0, 0};
		if (!d) {
			nb_suggest s;
			nb_suggest_init(&s, ov[i].name);
			for (size_t j = 0; j < nb->ndecls; j++)
				nb_suggest_offer(&s, nb->decls[j].name);
			const char *best = nb_suggest_best(&s);
			if (best)
				return fail(L, loc, "--set %s: the notebook declares no parameter '%s'; did you mean '%s'?",
					    ov[i].name, ov[i].name, best);
			return fail(L, loc, "--set %s: the notebook declares no parameter '%s'%s", ov[i].name, ov[i].name,
				    nb->ndecls ? "" : " (it declares none)");
		}
		nb_err e = NB_ERR_INIT;
		nb_value *v = decl_value_from_text(d->type, ov[i].value, &e);
		if (!v) {
			fail(L, d->loc, "--set %s: parameter '%s' is %s %s: %s", ov[i].name, d->name,
			     d->type == NB_D_INT || d->type == NB_D_ARRAY ? "an" : "a", nb_decltype_name(d->type), e.msg);
			nb_err_clear(&e);
			return -1;
		}
		nb_unref(d->value);
		d->value = v;
	}
	return 0;
}

/* A number from lo to hi for setting what (the message names the unit). */
static int number_in(loader *L, const nb_ynode *n, const char *what, double lo, double hi, double *out)
{
	int64_t iv;
	double fv;
	litkind k = scalar_literal(n, &iv, &fv);
	double v = k == LIT_INT ? (double)iv : fv;
	if ((k != LIT_INT && k != LIT_FLOAT) || !(v >= lo && v <= hi))
		return fail(L, n->loc, "%s must be a number from %g to %g, found %s", what, lo, hi,
			    n->kind == NB_YSCALAR ? n->text : nb_ydescribe(n));
	*out = v;
	return 0;
}

static int load_report(loader *L, const nb_ynode *rn)
{
	nb_notebook *nb = L->nb;
	static const char *const keys[] = {"paper", "margin", "font_size", "contents"};
	if (want_kind(L, rn, NB_YMAP, "'report'") < 0 || check_keys(L, rn, "'report'", keys, 4) < 0)
		return -1;
	const nb_ynode *p = nb_ymap_get(rn, "paper");
	if (p) {
		if (p->kind == NB_YSCALAR && !strcmp(p->text, "a4"))
			nb->report.letter = 0;
		else if (p->kind == NB_YSCALAR && !strcmp(p->text, "letter"))
			nb->report.letter = 1;
		else
			return fail(L, p->loc, "'paper' is a4 or letter, found %s", p->kind == NB_YSCALAR ? p->text : nb_ydescribe(p));
	}
	const nb_ynode *m = nb_ymap_get(rn, "margin");
	if (m && number_in(L, m, "'margin' (millimetres)", 5, 60, &nb->report.margin_mm) < 0)
		return -1;
	const nb_ynode *fs = nb_ymap_get(rn, "font_size");
	if (fs && number_in(L, fs, "'font_size' (points)", 6, 16, &nb->report.font_pt) < 0)
		return -1;
	const nb_ynode *c = nb_ymap_get(rn, "contents");
	if (c) {
		if (c->kind != NB_YSCALAR || (strcmp(c->text, "true") && strcmp(c->text, "false")))
			return fail(L, c->loc, "'contents' is true or false, found %s", c->kind == NB_YSCALAR ? c->text : nb_ydescribe(c));
		nb->report.contents = !strcmp(c->text, "true");
	}
	return 0;
}

static int load_output(loader *L, const nb_ynode *on)
{
	nb_notebook *nb = L->nb;
	static const char *const keys[] = {"formats", "dpi", "figsize", "report"};
	if (want_kind(L, on, NB_YMAP, "'output'") < 0 || check_keys(L, on, "'output'", keys, 4) < 0)
		return -1;
	const nb_ynode *rn = nb_ymap_get(on, "report");
	if (rn && load_report(L, rn) < 0)
		return -1;
	const nb_ynode *f = nb_ymap_get(on, "formats");
	if (f) {
		if (want_kind(L, f, NB_YSEQ, "'formats'") < 0)
			return -1;
		nb->formats = 0;
		for (size_t i = 0; i < f->n; i++) {
			const nb_ynode *it = f->items[i];
			if (it->kind == NB_YSCALAR && !strcmp(it->text, "png"))
				nb->formats |= NB_FMT_PNG;
			else if (it->kind == NB_YSCALAR && !strcmp(it->text, "pdf"))
				nb->formats |= NB_FMT_PDF;
			else if (it->kind == NB_YSCALAR && !strcmp(it->text, "svg"))
				nb->formats |= NB_FMT_SVG;
			else
				return fail(L, it->loc, "figure formats are png, pdf and svg, found %s",
					    it->kind == NB_YSCALAR ? it->text : nb_ydescribe(it));
		}
	}
	const nb_ynode *d = nb_ymap_get(on, "dpi");
	if (d && number_in(L, d, "'dpi'", 10, 1200, &nb->dpi) < 0)
		return -1;
	const nb_ynode *fs = nb_ymap_get(on, "figsize");
	if (fs) {
		if (fs->kind != NB_YSEQ || fs->n != 2)
			return fail(L, fs->loc, "'figsize' must be [width, height] in inches, found %s", nb_ydescribe(fs));
		for (int i = 0; i < 2; i++) {
			int64_t iv;
			double fv;
			litkind k = scalar_literal(fs->items[i], &iv, &fv);
			double v = k == LIT_INT ? (double)iv : fv;
			if ((k != LIT_INT && k != LIT_FLOAT) || !(v > 0.5 && v <= 100))
				return fail(L, fs->items[i]->loc, "figure sizes must be between 0.5 and 100 inches");
			nb->figsize[i] = v;
		}
	}
	return 0;
}

static int load_metadata(loader *L, const nb_ynode *mn)
{
	nb_notebook *nb = L->nb;
	static const char *const keys[] = {"source", "licence", "license", "authors", "date"};
	if (want_kind(L, mn, NB_YMAP, "'metadata'") < 0 || check_keys(L, mn, "'metadata'", keys, 5) < 0)
		return -1;
	for (size_t i = 0; i < mn->n; i += 2) {
		const char *k = mn->items[i]->text;
		const nb_ynode *v = mn->items[i + 1];
		if (!strcmp(k, "authors")) {
			if (v->kind == NB_YSCALAR && !nb_yis_null(v)) {
				nb->nauthors = 1;
				nb->authors = nb_xcalloc(1, sizeof *nb->authors);
				nb->authors[0] = nb_xstrdup(v->text);
				continue;
			}
			if (want_kind(L, v, NB_YSEQ, "'authors'") < 0)
				return -1;
			nb->nauthors = v->n;
			nb->authors = nb_xcalloc(v->n ? v->n : 1, sizeof *nb->authors);
			for (size_t j = 0; j < v->n; j++) {
				if (want_kind(L, v->items[j], NB_YSCALAR, "each author") < 0)
					return -1;
				nb->authors[j] = nb_xstrdup(v->items[j]->text);
			}
			continue;
		}
		char what[32];
		snprintf(what, sizeof what, "'%s'", k);
		if (want_kind(L, v, NB_YSCALAR, what) < 0)
			return -1;
		char **dst = !strcmp(k, "source") ? &nb->source : !strcmp(k, "date") ? &nb->date : &nb->licence;
		free(*dst);
		*dst = nb_xstrdup(v->text);
	}
	return 0;
}

static char *path_stem(const char *path)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	size_t n = strlen(b);
	if (n > 5 && !strcmp(b + n - 5, ".yaml"))
		n -= 5;
	else if (n > 4 && !strcmp(b + n - 4, ".yml"))
		n -= 4;
	return nb_xstrndup(b, n);
}

static nb_notebook *load_doc(nb_ydoc *doc, const char *path, const nb_override *ov, size_t nov, nb_err *e)
{
	nb_notebook *nb = nb_xcalloc(1, sizeof *nb);
	nb->doc = doc;
	nb->path = nb_xstrdup(path);
	nb->stem = path_stem(path);
	nb->formats = NB_FMT_PNG | NB_FMT_PDF;
	nb->report.margin_mm = 20;
	nb->report.font_pt = 10;
	nb->report.contents = 1;
	nb->dpi = 100;
	nb->figsize[0] = 6.4;
	nb->figsize[1] = 4.8;
	loader L = {nb, e};
	nb_loc top = {doc->file, 1, 1};
	const nb_ynode *root = doc->root;
	static const char *const keys[] = {"nbrun", "title", "metadata", "params", "output", "cells"};
	if (!root || nb_yis_null(root)) {
		fail(&L, top, "the notebook is empty: expected a mapping with 'nbrun: %d', 'title' and 'cells'",
		     FORMAT_VERSION);
		goto bad;
	}
	if (root->kind != NB_YMAP) {
		fail(&L, root->loc, "a notebook must be a mapping with 'nbrun', 'title' and 'cells', found %s",
		     nb_ydescribe(root));
		goto bad;
	}
	if (check_keys(&L, root, "the notebook", keys, NB_ARRAY_LEN(keys)) < 0)
		goto bad;
	const nb_ynode *ver = nb_ymap_get(root, "nbrun");
	if (!ver) {
		fail(&L, root->loc, "missing 'nbrun: %d' (the notebook format version)", FORMAT_VERSION);
		goto bad;
	}
	if (ver->kind != NB_YSCALAR || strcmp(ver->text, "1")) {
		fail(&L, ver->loc, "unsupported format version %s (this nbrun reads version %d)",
		     ver->kind == NB_YSCALAR ? ver->text : nb_ydescribe(ver), FORMAT_VERSION);
		goto bad;
	}
	const nb_ynode *t = nb_ymap_get(root, "title");
	if (t) {
		if (want_kind(&L, t, NB_YSCALAR, "'title'") < 0)
			goto bad;
		nb->title = nb_xstrdup(t->text);
	} else {
		nb->title = nb_xstrdup(nb->stem);
	}
	const nb_ynode *m = nb_ymap_get(root, "metadata");
	if (m && load_metadata(&L, m) < 0)
		goto bad;
	const nb_ynode *p = nb_ymap_get(root, "params");
	if (p && load_decls(&L, p) < 0)
		goto bad;
	if (apply_overrides(&L, ov, nov) < 0)
		goto bad;
	const nb_ynode *o = nb_ymap_get(root, "output");
	if (o && load_output(&L, o) < 0)
		goto bad;
	const nb_ynode *cells = nb_ymap_get(root, "cells");
	if (!cells) {
		fail(&L, root->loc, "missing 'cells' (the list of the notebook's cells)");
		goto bad;
	}
	if (want_kind(&L, cells, NB_YSEQ, "'cells'") < 0)
		goto bad;
	nb->ncells = cells->n;
	nb->cells = nb_xcalloc(cells->n ? cells->n : 1, sizeof *nb->cells);
	for (size_t i = 0; i < cells->n; i++) {
		if (load_cell(&L, cells->items[i], &nb->cells[i], i + 1) < 0)
			goto bad;
		for (size_t j = 0; j < i; j++) {
			if (!strcmp(nb->cells[j].label, nb->cells[i].label)) {
				nb_loc at = nb->cells[i].has_id ? nb_ymap_get(cells->items[i], "id")->loc : nb->cells[i].loc;
				fail(&L, at, "duplicate cell id '%s'", nb->cells[i].label);
				nb_err_note(e, nb->cells[j].loc, "cell %zu has the same id", j + 1);
				goto bad;
			}
		}
	}
	if (check_names(&L, nb) < 0)
		goto bad;
	return nb;
bad:
	nb_notebook_free(nb);
	return NULL;
}

nb_notebook *nb_notebook_load(const char *path, const nb_override *ov, size_t nov, nb_err *e)
{
	nb_ydoc *doc = nb_yaml_load_file(path, e);
	if (!doc)
		return NULL;
	return load_doc(doc, path, ov, nov, e);
}

nb_notebook *nb_notebook_load_string(const char *name, const char *src, const nb_override *ov, size_t nov,
				     nb_err *e)
{
	nb_ydoc *doc = nb_yaml_load_string(name, src, strlen(src), e);
	if (!doc)
		return NULL;
	return load_doc(doc, name, ov, nov, e);
}

void nb_notebook_free(nb_notebook *nb)
{
	if (!nb)
		return;
	for (size_t i = 0; i < nb->ncells; i++)
		cell_release(&nb->cells[i]);
	free(nb->cells);
	for (size_t i = 0; i < nb->ndecls; i++) {
		free(nb->decls[i].name);
		free(nb->decls[i].doc);
		nb_unref(nb->decls[i].value);
	}
	free(nb->decls);
	for (size_t i = 0; i < nb->nauthors; i++)
		free(nb->authors[i]);
	free(nb->authors);
	free(nb->title);
	free(nb->source);
	free(nb->licence);
	free(nb->date);
	free(nb->path);
	free(nb->stem);
	nb_ydoc_free(nb->doc);
	free(nb);
}
