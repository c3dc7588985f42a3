/*
 * expr.c - lexer, recursive-descent parser and evaluator for expressions.
 * Precedence follows Python, lowest first:
 *   comparisons < | < ^ < & < + - < * / // % @ < unary - + ~ < ** < postfix
 */
#include "expr.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"
#include "linalg.h"
#include "ops.h"

#define MAX_NEST 200

#include "expr_impl.h"

/* ----------------------------------------------------------------- lexer */

typedef enum tok {
	T_END, T_NUM, T_INT, T_STR, T_NAME, T_OP
} tok;

typedef struct lexer {
	const char *src;
	size_t pos;      /* start of the current token */
	size_t next;     /* after it */
	tok t;
	char op[4];
	double f;
	int64_t i;
	char *s;
	nb_err *e;
	size_t *errpos;
	int depth;
} lexer;

static int lex_err(lexer *L, size_t pos, const char *fmt, const char *arg)
{
	*L->errpos = pos;
	return nb_err_set(L->e, NB_NOLOC, fmt, arg);
}

static int lex(lexer *L)
{
	const char *s = L->src;
	size_t p = L->next;
	while (s[p] == ' ' || s[p] == '\t' || s[p] == '\n' || s[p] == '\r')
		p++;
	L->pos = p;
	free(L->s);
	L->s = NULL;
	if (!s[p]) {
		L->t = T_END;
		L->next = p;
		return 0;
	}
	unsigned char c = (unsigned char)s[p];
	if (isdigit(c) || (c == '.' && isdigit((unsigned char)s[p + 1]))) {
		size_t q = p;
		int is_float = 0;
		while (isdigit((unsigned char)s[q]) || s[q] == '_')
			q++;
		if (s[q] == '.') {
			is_float = 1;
			q++;
			while (isdigit((unsigned char)s[q]) || s[q] == '_')
				q++;
		}
		if (s[q] == 'e' || s[q] == 'E') {
			size_t r = q + 1;
			if (s[r] == '+' || s[r] == '-')
				r++;
			if (isdigit((unsigned char)s[r])) {
				is_float = 1;
				q = r;
				while (isdigit((unsigned char)s[q]))
					q++;
			}
		}
		if (isalpha((unsigned char)s[q]) || s[q] == '_')
			{
			char bad[2] = {s[q], 0};
			return lex_err(L, q, "invalid number literal: unexpected '%s'", bad);
		}
		char *txt = nb_xstrndup(s + p, q - p);
		size_t w = 0;
		for (size_t r = 0; txt[r]; r++)
			if (txt[r] != '_')
				txt[w++] = txt[r];
		txt[w] = '\0';
		errno = 0;
		if (is_float) {
			L->t = T_NUM;
			L->f = strtod(txt, NULL);
		} else {
			L->t = T_INT;
			long long v = strtoll(txt, NULL, 10);
			if (errno == ERANGE) {
				L->t = T_NUM;
				L->f = strtod(txt, NULL);
			} else {
				L->i = v;
			}
		}
		free(txt);
		L->next = q;
		return 0;
	}
	if (isalpha(c) || c == '_') {
		size_t q = p;
		while (isalnum((unsigned char)s[q]) || s[q] == '_')
			q++;
		L->t = T_NAME;
		L->s = nb_xstrndup(s + p, q - p);
		L->next = q;
		return 0;
	}
	if (c == '\'' || c == '"') {
		nb_buf b = NB_BUF_INIT;
		size_t q = p + 1;
		while (s[q] && s[q] != (char)c) {
			if (s[q] == '\\' && s[q + 1]) {
				q++;
				char ch = s[q] == 'n' ? '\n' : s[q] == 't' ? '\t' : s[q];
				nb_buf_putc(&b, ch);
				q++;
				continue;
			}
			nb_buf_putc(&b, s[q++]);
		}
		if (!s[q]) {
			nb_buf_release(&b);
			return lex_err(L, p, "unterminated string literal%s", "");
		}
		L->t = T_STR;
		L->s = nb_buf_detach(&b);
		L->next = q + 1;
		return 0;
	}
	static const char *const ops[] = {"**", "//", "==", "!=", "<=", ">=", "...", "+", "-", "*", "/", "%",
					  "@", "<", ">", "&", "|", "^", "~", "(", ")", "[", "]", ",", ":",
					  ".", "="};
	for (size_t k = 0; k < NB_ARRAY_LEN(ops); k++) {
		size_t n = strlen(ops[k]);
		if (!strncmp(s + p, ops[k], n)) {
			L->t = T_OP;
			strcpy(L->op, ops[k]);
			L->next = p + n;
			return 0;
		}
	}
	char bad[8] = {0};
	size_t bl = 1;
	while (bl < 4 && (((unsigned char)s[p + bl]) & 0xC0) == 0x80)
		bl++;
	memcpy(bad, s + p, bl);
	return lex_err(L, p, "unexpected character '%s' in expression", bad);
}

static int is_op(const lexer *L, const char *op)
{
	return L->t == T_OP && !strcmp(L->op, op);
}

/* ---------------------------------------------------------------- parser */

static nb_expr *node(ekind k, size_t pos)
{
	nb_expr *x = nb_xcalloc(1, sizeof *x);
	x->kind = k;
	x->pos = pos;
	return x;
}

static void add_kid(nb_expr *x, nb_expr *k, char *kw)
{
	x->kids = nb_xrealloc(x->kids, (x->n + 1) * sizeof *x->kids);
	x->kw = nb_xrealloc(x->kw, (x->n + 1) * sizeof *x->kw);
	x->kids[x->n] = k;
	x->kw[x->n] = kw;
	x->n++;
}

void nb_expr_free(nb_expr *x)
{
	if (!x)
		return;
	for (size_t i = 0; i < x->n; i++) {
		nb_expr_free(x->kids[i]);
		free(x->kw[i]);
	}
	free(x->kids);
	free(x->kw);
	free(x->s);
	free(x);
}

static nb_expr *p_expr(lexer *L);

static nb_expr *fail(lexer *L, nb_expr *x, size_t pos, const char *fmt, const char *arg)
{
	nb_expr_free(x);
	lex_err(L, pos, fmt, arg);
	return NULL;
}

static const char *tok_text(lexer *L)
{
	static char buf[64];
	switch (L->t) {
	case T_END: return "the end of the expression";
	case T_OP: snprintf(buf, sizeof buf, "'%s'", L->op); return buf;
	case T_NAME: snprintf(buf, sizeof buf, "'%.40s'", L->s); return buf;
	case T_STR: return "a string";
	default: return "a number";
	}
}

/* After an item of a bracketed list: a ',' (skipped), or the closing bracket (left for the
 * caller); else -1 with the error "expected ',' or 'close'<where>, found ...". */
static int list_sep(lexer *L, const char *close, const char *where)
{
	if (is_op(L, ","))
		return lex(L) < 0 ? -1 : 0;
	if (is_op(L, close))
		return 0;
	*L->errpos = L->pos;
	nb_err_set(L->e, NB_NOLOC, "expected ',' or '%s'%s, found %s", close, where, tok_text(L));
	return -1;
}

/* subscript: expr | [expr] ':' [expr] [':' [expr]] */
static nb_expr *p_subscript(lexer *L)
{
	size_t pos = L->pos;
	nb_expr *a = NULL;
	if (!is_op(L, ":")) {
		a = p_expr(L);
		if (!a)
			return NULL;
		if (!is_op(L, ":"))
			return a;
	}
	nb_expr *sl = node(E_SLICE, pos);
	sl->kids = nb_xcalloc(3, sizeof *sl->kids);
	sl->kw = nb_xcalloc(3, sizeof *sl->kw);
	sl->n = 3;
	sl->kids[0] = a;
	if (lex(L) < 0) /* ':' */
		goto bad;
	if (!is_op(L, ":") && !is_op(L, ",") && !is_op(L, "]")) {
		if (!(sl->kids[1] = p_expr(L)))
			goto bad;
	}
	if (is_op(L, ":")) {
		if (lex(L) < 0)
			goto bad;
		if (!is_op(L, ",") && !is_op(L, "]")) {
			if (!(sl->kids[2] = p_expr(L)))
				goto bad;
		}
	}
	return sl;
bad:
	nb_expr_free(sl);
	return NULL;
}

static nb_expr *p_atom(lexer *L)
{
	size_t pos = L->pos;
	nb_expr *x;
	switch (L->t) {
	case T_NUM:
		x = node(E_FLOAT, pos);
		x->f = L->f;
		return lex(L) < 0 ? (nb_expr_free(x), NULL) : x;
	case T_INT:
		x = node(E_INT, pos);
		x->i = L->i;
		return lex(L) < 0 ? (nb_expr_free(x), NULL) : x;
	case T_STR:
		x = node(E_STR, pos);
		x->s = L->s;
		L->s = NULL;
		return lex(L) < 0 ? (nb_expr_free(x), NULL) : x;
	case T_NAME:
		if (!strcmp(L->s, "True") || !strcmp(L->s, "False")) {
			x = node(E_BOOL, pos);
			x->i = L->s[0] == 'T';
		} else if (!strcmp(L->s, "None")) {
			x = node(E_NONE, pos);
		} else if (!strcmp(L->s, "and") || !strcmp(L->s, "or") || !strcmp(L->s, "not") ||
			   !strcmp(L->s, "if") || !strcmp(L->s, "lambda") || !strcmp(L->s, "for")) {
			return fail(L, NULL, pos, "'%s' is not supported in expressions (use & | ~ for element-wise "
				    "logic and where(cond, a, b) to choose)", L->s);
		} else {
			x = node(E_NAME, pos);
			x->s = L->s;
			L->s = NULL;
		}
		return lex(L) < 0 ? (nb_expr_free(x), NULL) : x;
	case T_OP:
		if (is_op(L, "...")) {
			x = node(E_ELLIPSIS, pos);
			return lex(L) < 0 ? (nb_expr_free(x), NULL) : x;
		}
		if (is_op(L, "(") || is_op(L, "[")) {
			int paren = is_op(L, "(");
			const char *close = paren ? ")" : "]";
			if (lex(L) < 0)
				return NULL;
			x = node(paren ? E_TUPLE : E_LIST, pos);
			int trailing_comma = 0;
			while (!is_op(L, close)) {
				nb_expr *k = p_expr(L);
				if (!k)
					return nb_expr_free(x), NULL;
				add_kid(x, k, NULL);
				trailing_comma = is_op(L, ",");
				if (list_sep(L, close, "") < 0)
					return nb_expr_free(x), NULL;
			}
			if (lex(L) < 0)
				return nb_expr_free(x), NULL;
			if (paren && x->n == 1 && !trailing_comma) { /* (expr) is grouping */
				nb_expr *k = x->kids[0];
				x->n = 0;
				nb_expr_free(x);
				return k;
			}
			return x;
		}
		break;
	default:
		break;
	}
	*L->errpos = L->pos;
	nb_err_set(L->e, NB_NOLOC, "expected a value, found %s", tok_text(L));
	return NULL;
}

static int is_np_module(const nb_expr *x)
{
	return x->kind == E_NAME && (!strcmp(x->s, "np") || !strcmp(x->s, "numpy"));
}

static nb_expr *p_postfix(lexer *L)
{
	nb_expr *x = p_atom(L);
	while (x) {
		size_t pos = L->pos;
		if (is_op(L, "(")) {
			if (lex(L) < 0)
				return nb_expr_free(x), NULL;
			nb_expr *c = node(E_CALL, x->pos);
			add_kid(c, x, NULL);
			int seen_kw = 0;
			while (!is_op(L, ")")) {
				char *kw = NULL;
				if (L->t == T_NAME) {
					/* look ahead for NAME '=' (but not '==') */
					const char *s = L->src + L->next;
					while (*s == ' ')
						s++;
					if (s[0] == '=' && s[1] != '=') {
						kw = L->s;
						L->s = NULL;
						if (lex(L) < 0 || lex(L) < 0) {
							free(kw);
							return nb_expr_free(c), NULL;
						}
						seen_kw = 1;
					}
				}
				if (!kw && seen_kw) {
					*L->errpos = L->pos;
					nb_err_set(L->e, NB_NOLOC, "positional argument follows keyword argument");
					return nb_expr_free(c), NULL;
				}
				nb_expr *a = p_expr(L);
				if (!a) {
					free(kw);
					return nb_expr_free(c), NULL;
				}
				add_kid(c, a, kw);
				if (list_sep(L, ")", " in call") < 0)
					return nb_expr_free(c), NULL;
			}
			if (lex(L) < 0)
				return nb_expr_free(c), NULL;
			x = c;
		} else if (is_op(L, "[")) {
			if (lex(L) < 0)
				return nb_expr_free(x), NULL;
			nb_expr *ix = node(E_INDEX, pos);
			add_kid(ix, x, NULL);
			if (is_op(L, "]"))
				return fail(L, ix, L->pos, "empty index%s", "");
			while (!is_op(L, "]")) {
				nb_expr *s = p_subscript(L);
				if (!s)
					return nb_expr_free(ix), NULL;
				add_kid(ix, s, NULL);
				if (list_sep(L, "]", " in index") < 0)
					return nb_expr_free(ix), NULL;
			}
			if (lex(L) < 0)
				return nb_expr_free(ix), NULL;
			x = ix;
		} else if (is_op(L, ".")) {
			if (lex(L) < 0)
				return nb_expr_free(x), NULL;
			if (L->t != T_NAME)
				return fail(L, x, L->pos, "expected an attribute name after '.', found %s", tok_text(L));
			if (is_np_module(x) || (x->kind == E_BUILTIN && (!strcmp(x->s, "linalg")))) {
				/* np.exp -> the builtin exp */
				free(x->s);
				x->s = L->s;
				L->s = NULL;
				x->kind = E_BUILTIN;
				if (lex(L) < 0)
					return nb_expr_free(x), NULL;
				continue;
			}
			nb_expr *a = node(E_ATTR, pos);
			add_kid(a, x, NULL);
			a->s = L->s;
			L->s = NULL;
			if (lex(L) < 0)
				return nb_expr_free(a), NULL;
			x = a;
		} else {
			break;
		}
	}
	return x;
}

static nb_expr *p_unary(lexer *L);

static nb_expr *p_power(lexer *L)
{
	nb_expr *x = p_postfix(L);
	if (x && is_op(L, "**")) {
		size_t pos = L->pos;
		if (lex(L) < 0)
			return nb_expr_free(x), NULL;
		nb_expr *r = p_unary(L);
		if (!r)
			return nb_expr_free(x), NULL;
		nb_expr *b = node(E_BIN, pos);
		b->op = NB_POW;
		add_kid(b, x, NULL);
		add_kid(b, r, NULL);
		return b;
	}
	return x;
}

static nb_expr *p_unary(lexer *L)
{
	if (is_op(L, "-") || is_op(L, "+") || is_op(L, "~")) {
		size_t pos = L->pos;
		int op = is_op(L, "-") ? NB_NEG : is_op(L, "+") ? NB_POS : NB_INVERT;
		if (++L->depth > MAX_NEST)
			return fail(L, NULL, pos, "expression nested too deeply%s", "");
		if (lex(L) < 0)
			return NULL;
		nb_expr *k = p_unary(L);
		L->depth--;
		if (!k)
			return NULL;
		/* fold negative literals so that -1 is an int literal */
		if (op == NB_NEG && (k->kind == E_INT || k->kind == E_FLOAT)) {
			if (k->kind == E_INT)
				k->i = (int64_t)(0 - (uint64_t)k->i);
			else
				k->f = -k->f;
			k->pos = pos;
			return k;
		}
		nb_expr *u = node(E_UN, pos);
		u->op = op;
		add_kid(u, k, NULL);
		return u;
	}
	return p_power(L);
}

typedef nb_expr *(*pfn)(lexer *);

static nb_expr *p_binary_level(lexer *L, pfn sub, const char *const *ops, const int *codes, size_t nops)
{
	nb_expr *x = sub(L);
	while (x && L->t == T_OP) {
		size_t k;
		for (k = 0; k < nops; k++)
			if (!strcmp(L->op, ops[k]))
				break;
		if (k == nops)
			break;
		size_t pos = L->pos;
		if (lex(L) < 0)
			return nb_expr_free(x), NULL;
		nb_expr *r = sub(L);
		if (!r)
			return nb_expr_free(x), NULL;
		nb_expr *b = node(codes[k] < 0 ? E_MATMUL : E_BIN, pos);
		b->op = codes[k];
		add_kid(b, x, NULL);
		add_kid(b, r, NULL);
		x = b;
	}
	return x;
}

static nb_expr *p_term(lexer *L)
{
	static const char *const ops[] = {"*", "/", "//", "%", "@"};
	static const int codes[] = {NB_MUL, NB_DIV, NB_FLOORDIV, NB_MOD, -1};
	return p_binary_level(L, p_unary, ops, codes, 5);
}

static nb_expr *p_arith(lexer *L)
{
	static const char *const ops[] = {"+", "-"};
	static const int codes[] = {NB_ADD, NB_SUB};
	return p_binary_level(L, p_term, ops, codes, 2);
}

static nb_expr *p_band(lexer *L)
{
	static const char *const ops[] = {"&"};
	static const int codes[] = {NB_AND};
	return p_binary_level(L, p_arith, ops, codes, 1);
}

static nb_expr *p_bxor(lexer *L)
{
	static const char *const ops[] = {"^"};
	static const int codes[] = {NB_XOR};
	return p_binary_level(L, p_band, ops, codes, 1);
}

static nb_expr *p_bor(lexer *L)
{
	static const char *const ops[] = {"|"};
	static const int codes[] = {NB_OR};
	return p_binary_level(L, p_bxor, ops, codes, 1);
}

static nb_expr *p_comparison(lexer *L)
{
	static const char *const ops[] = {"==", "!=", "<", "<=", ">", ">="};
	static const int codes[] = {NB_EQ, NB_NE, NB_LT, NB_LE, NB_GT, NB_GE};
	nb_expr *x = p_bor(L);
	if (!x || L->t != T_OP)
		return x;
	for (size_t k = 0; k < 6; k++) {
		if (strcmp(L->op, ops[k]))
			continue;
		size_t pos = L->pos;
		if (lex(L) < 0)
			return nb_expr_free(x), NULL;
		nb_expr *r = p_bor(L);
		if (!r)
			return nb_expr_free(x), NULL;
		nb_expr *b = node(E_BIN, pos);
		b->op = codes[k];
		add_kid(b, x, NULL);
		add_kid(b, r, NULL);
		if (L->t == T_OP) {
			for (size_t j = 0; j < 6; j++)
				if (!strcmp(L->op, ops[j]))
					return fail(L, b, L->pos, "chained comparisons are not supported; combine them "
						    "with '&': (a < b) & (b < c)%s", "");
		}
		return b;
	}
	return x;
}

static nb_expr *p_expr(lexer *L)
{
	if (++L->depth > MAX_NEST)
		return fail(L, NULL, L->pos, "expression nested too deeply%s", "");
	nb_expr *x = p_comparison(L);
	L->depth--;
	return x;
}

nb_expr *nb_expr_parse(const char *text, size_t *errpos, nb_err *e)
{
	size_t dummy;
	lexer L = {0};
	L.src = text;
	L.e = e;
	L.errpos = errpos ? errpos : &dummy;
	*L.errpos = 0;
	if (lex(&L) < 0)
		return NULL;
	if (L.t == T_END) {
		*L.errpos = 0;
		nb_err_set(e, NB_NOLOC, "empty expression");
		return NULL;
	}
	nb_expr *x = p_expr(&L);
	if (x && L.t != T_END) {
		*L.errpos = L.pos;
		nb_err_set(e, NB_NOLOC, "unexpected %s after the expression", tok_text(&L));
		nb_expr_free(x);
		x = NULL;
	}
	free(L.s);
	return x;
}

const char *nb_expr_as_name(const nb_expr *x)
{
	return x && x->kind == E_NAME ? x->s : NULL;
}

/* ------------------------------------------------------ constants, names */

static const struct {
	const char *name;
	double v;
} constants[] = {
	{"pi", 3.141592653589793}, {"e", 2.718281828459045}, {"inf", INFINITY}, {"Inf", INFINITY},
	{"nan", NAN}, {"NaN", NAN}, {"euler_gamma", 0.5772156649015329},
};

int nb_expr_is_constant(const char *name)
{
	for (size_t i = 0; i < NB_ARRAY_LEN(constants); i++)
		if (!strcmp(constants[i].name, name))
			return 1;
	return !strcmp(name, "newaxis");
}

int nb_expr_walk_names(const nb_expr *x, int (*fn)(void *, const char *, size_t), void *ctx)
{
	if (!x)
		return 0;
	if (x->kind == E_NAME && fn(ctx, x->s, x->pos) < 0)
		return -1;
	for (size_t i = 0; i < x->n; i++) {
		const nb_expr *k = x->kids[i];
		/* a called name is a function, not a state value */
		if (x->kind == E_CALL && i == 0 && k && k->kind == E_NAME)
			continue;
		if (nb_expr_walk_names(k, fn, ctx) < 0)
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------- evaluator */

typedef struct ev {
	nb_lookup_fn lookup;
	void *ctx;
	size_t *errpos;
	nb_err *e;
	nb_record_fn rec;
	void *rctx;
} ev;

static nb_value *eval(ev *E, const nb_expr *x);

static nb_value *at(ev *E, const nb_expr *x, nb_value *v)
{
	if (!v && E->e && E->e->set && *E->errpos == (size_t)-1)
		*E->errpos = x->pos;
	return v;
}

static nb_value *errat(ev *E, const nb_expr *x, const char *fmt, ...) NB_PRINTF(3, 4);
static nb_value *errat(ev *E, const nb_expr *x, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	nb_err_vset(E->e, NB_NOLOC, fmt, ap);
	va_end(ap);
	if (*E->errpos == (size_t)-1)
		*E->errpos = x->pos;
	return NULL;
}

/* Call arguments after evaluation. */
typedef struct args {
	const nb_expr *call;
	size_t n;                 /* positional */
	nb_value *pos[8];
	const nb_expr *posx[8];
	size_t nkw;
	const char *kwname[8];
	nb_value *kw[8];
	const nb_expr *kwx[8];
	nb_value *self;           /* method receiver, already in pos[0] */
} args;

static void args_free(args *a)
{
	for (size_t i = 0; i < a->n; i++)
		nb_unref(a->pos[i]);
	for (size_t i = 0; i < a->nkw; i++)
		nb_unref(a->kw[i]);
}

/* Argument lookup: positional index i or keyword name. */
static nb_value *arg(args *a, size_t i, const char *name, const nb_expr **where)
{
	if (i < a->n) {
		if (where)
			*where = a->posx[i];
		return a->pos[i];
	}
	for (size_t k = 0; k < a->nkw; k++) {
		if (name && !strcmp(a->kwname[k], name)) {
			if (where)
				*where = a->kwx[k];
			return a->kw[k];
		}
	}
	return NULL;
}

static nb_value *kwarg(args *a, const char *name, const nb_expr **where)
{
	return arg(a, (size_t)-1, name, where);
}

typedef nb_value *(*fn_impl)(ev *E, args *a, const char *name);

typedef struct fndef {
	const char *name;
	fn_impl impl;
	int op;
	int minargs, maxargs;
	const char *kws;   /* space-separated keyword names accepted */
	const char *sig;
	const char *doc;
} fndef;

static int want_int(ev *E, const nb_value *v, const nb_expr *x, const char *what, int64_t *out)
{
	if (!nb_is_array(v) || v->size != 1 || v->dtype == NB_F64) {
		if (nb_is_array(v) && v->size == 1 && v->dtype == NB_F64 && nb_f64p(v)[0] == floor(nb_f64p(v)[0]) &&
		    fabs(nb_f64p(v)[0]) < 9e15) {
			*out = (int64_t)nb_f64p(v)[0];
			return 0;
		}
		nb_buf b = NB_BUF_INIT;
		nb_describe_value(v, &b);
		errat(E, x, "%s must be an integer, got %s", what, nb_buf_str(&b));
		nb_buf_release(&b);
		return -1;
	}
	*out = nb_get_i64(v, 0);
	return 0;
}

static int want_num(ev *E, const nb_value *v, const nb_expr *x, const char *what, double *out)
{
	if (!nb_is_array(v) || v->size != 1) {
		nb_buf b = NB_BUF_INIT;
		nb_describe_value(v, &b);
		errat(E, x, "%s must be a number, got %s", what, nb_buf_str(&b));
		nb_buf_release(&b);
		return -1;
	}
	*out = nb_get_f64(v, 0);
	return 0;
}

static int want_bool(ev *E, const nb_value *v, const nb_expr *x, const char *what, int *out)
{
	if (!nb_is_array(v) || v->size != 1 || v->dtype == NB_F64) {
		errat(E, x, "%s must be True or False", what);
		return -1;
	}
	*out = nb_get_i64(v, 0) != 0;
	return 0;
}

/* axis=None | int | tuple of ints */
static int want_axes(ev *E, args *a, size_t i, int *naxes, int *axes, int *given)
{
	const nb_expr *x;
	nb_value *v = arg(a, i, "axis", &x);
	*given = 0;
	if (!v || (nb_is_array(v) && v->size == 0 && v->ndim == 0))
		return 0;
	if (!nb_is_array(v) || v->dtype == NB_F64 || v->ndim > 1) {
		errat(E, x, "axis must be an integer or a tuple of integers");
		return -1;
	}
	if (v->size > NB_MAXDIM) {
		errat(E, x, "too many axes");
		return -1;
	}
	*naxes = (int)v->size;
	for (size_t k = 0; k < v->size; k++)
		axes[k] = (int)nb_get_i64(v, k);
	*given = 1;
	return 0;
}

static nb_value *none_value(void)
{
	/* None is an object value, so that axis=None and a[None] can be told apart */
	static const nb_objtype none_type = {"None", NULL};
	return nb_obj(&none_type, NULL);
}

static int is_none(const nb_value *v)
{
	return v && v->kind == NB_OBJ && !strcmp(v->otype->name, "None");
}

static nb_value *f_ufunc1(ev *E, args *a, const char *name);
static nb_value *f_ufunc2(ev *E, args *a, const char *name);
static const fndef *find_fn(const char *name);

static nb_value *f_ufunc1(ev *E, args *a, const char *name)
{
	const fndef *d = find_fn(name);
	return at(E, a->call, nb_unary((nb_unop)d->op, a->pos[0], E->e));
}

static nb_value *f_ufunc2(ev *E, args *a, const char *name)
{
	const fndef *d = find_fn(name);
	return at(E, a->call, nb_binary((nb_binop)d->op, a->pos[0], a->pos[1], E->e));
}

static nb_value *f_reduce(ev *E, args *a, const char *name)
{
	const fndef *d = find_fn(name);
	int naxes = 0, axes[NB_MAXDIM], given;
	if (want_axes(E, a, 1, &naxes, axes, &given) < 0)
		return NULL;
	int keep = 0;
	const nb_expr *x;
	nb_value *kv = kwarg(a, "keepdims", &x);
	if (kv && want_bool(E, kv, x, "keepdims", &keep) < 0)
		return NULL;
	double ddof = 0;
	nb_value *dv = kwarg(a, "ddof", &x);
	if (dv && want_num(E, dv, x, "ddof", &ddof) < 0)
		return NULL;
	return at(E, a->call, nb_reduce((nb_redop)d->op, a->pos[0], naxes, given ? axes : NULL, keep, ddof, E->e));
}

static nb_value *f_cumulate(ev *E, args *a, const char *name)
{
	const nb_expr *x;
	nb_value *av = arg(a, 1, "axis", &x);
	int64_t ax;
	if (av && !is_none(av)) {
		if (want_int(E, av, x, "axis", &ax) < 0)
			return NULL;
		int axi = (int)ax;
		return at(E, a->call, nb_cumulate(!strcmp(name, "cumsum") ? NB_ADD : NB_MUL, a->pos[0], &axi, E->e));
	}
	return at(E, a->call, nb_cumulate(!strcmp(name, "cumsum") ? NB_ADD : NB_MUL, a->pos[0], NULL, E->e));
}

static nb_value *f_where(ev *E, args *a, const char *name)
{
	(void)name;
	return at(E, a->call, nb_where(a->pos[0], a->pos[1], a->pos[2], E->e));
}

static nb_value *f_clip(ev *E, args *a, const char *name)
{
	(void)name;
	nb_value *lo = a->pos[1], *hi = a->pos[2];
	nb_value *t = is_none(lo) ? nb_ref(a->pos[0]) : nb_binary(NB_MAXIMUM, a->pos[0], lo, E->e);
	if (!t)
		return at(E, a->call, NULL);
	nb_value *r = is_none(hi) ? nb_ref(t) : nb_binary(NB_MINIMUM, t, hi, E->e);
	nb_unref(t);
	return at(E, a->call, r);
}

static nb_value *f_round(ev *E, args *a, const char *name)
{
	(void)name;
	const nb_expr *x;
	nb_value *dv = arg(a, 1, "decimals", &x);
	int64_t d = 0;
	if (dv && want_int(E, dv, x, "decimals", &d) < 0)
		return NULL;
	return at(E, a->call, nb_round(a->pos[0], (int)d, E->e));
}

static int shape_arg(ev *E, args *a, size_t i, const char *kw, int *nd, size_t *shape)
{
	const nb_expr *x;
	nb_value *v = arg(a, i, kw, &x);
	if (!v) {
		errat(E, a->call, "missing the shape argument");
		return -1;
	}
	if (nb_value_to_shape(v, nd, shape, E->e) < 0) {
		if (*E->errpos == (size_t)-1)
			*E->errpos = x->pos;
		return -1;
	}
	if (v->ndim == 0)
		*nd = 1;
	return 0;
}

static nb_value *f_fill(ev *E, args *a, const char *name)
{
	int nd;
	size_t shape[NB_MAXDIM];
	double fill = !strcmp(name, "ones") ? 1.0 : 0.0;
	if (!strcmp(name, "full")) {
		const nb_expr *x;
		nb_value *fv = arg(a, 1, "fill_value", &x);
		if (!fv)
			return errat(E, a->call, "full() needs a fill_value");
		if (want_num(E, fv, x, "fill_value", &fill) < 0)
			return NULL;
	}
	if (shape_arg(E, a, 0, "shape", &nd, shape) < 0)
		return NULL;
	return at(E, a->call, nb_full(nd, shape, fill, NB_F64, E->e));
}

static nb_value *f_fill_like(ev *E, args *a, const char *name)
{
	const nb_value *src = a->pos[0];
	if (!nb_is_array(src))
		return errat(E, a->posx[0], "%s needs an array", name);
	double fill = !strcmp(name, "ones_like") ? 1.0 : 0.0;
	if (!strcmp(name, "full_like")) {
		const nb_expr *x;
		nb_value *fv = arg(a, 1, "fill_value", &x);
		if (!fv)
			return errat(E, a->call, "full_like() needs a fill_value");
		if (want_num(E, fv, x, "fill_value", &fill) < 0)
			return NULL;
	}
	return at(E, a->call, nb_full(src->ndim, src->shape, fill, src->dtype, E->e));
}

static nb_value *f_eye(ev *E, args *a, const char *name)
{
	int64_t n, m, k = 0;
	const nb_expr *x;
	if (want_int(E, a->pos[0], a->posx[0], "N", &n) < 0)
		return NULL;
	m = n;
	if (!strcmp(name, "eye")) {
		nb_value *mv = arg(a, 1, "M", &x);
		if (mv && !is_none(mv) && want_int(E, mv, x, "M", &m) < 0)
			return NULL;
		nb_value *kv = arg(a, 2, "k", &x);
		if (kv && want_int(E, kv, x, "k", &k) < 0)
			return NULL;
	}
	return at(E, a->call, nb_eye(n, m, k, E->e));
}

static nb_value *f_arange(ev *E, args *a, const char *name)
{
	(void)name;
	double v[3] = {0, 0, 1};
	int integer = 1;
	size_t np = a->n;
	for (size_t i = 0; i < np; i++) {
		if (want_num(E, a->pos[i], a->posx[i], "arange argument", &v[i]) < 0)
			return NULL;
		if (a->pos[i]->dtype == NB_F64)
			integer = 0;
	}
	double start = np >= 2 ? v[0] : 0, stop = np >= 2 ? v[1] : v[0], step = np >= 3 ? v[2] : 1;
	return at(E, a->call, nb_arange(start, stop, step, integer, E->e));
}

static nb_value *f_linspace(ev *E, args *a, const char *name)
{
	(void)name;
	double lo, hi;
	int64_t num = 50;
	int endpoint = 1;
	const nb_expr *x;
	if (want_num(E, a->pos[0], a->posx[0], "start", &lo) < 0 ||
	    want_num(E, a->pos[1], a->posx[1], "stop", &hi) < 0)
		return NULL;
	nb_value *nv = arg(a, 2, "num", &x);
	if (nv && want_int(E, nv, x, "num", &num) < 0)
		return NULL;
	nb_value *ev_ = arg(a, 3, "endpoint", &x);
	if (ev_ && want_bool(E, ev_, x, "endpoint", &endpoint) < 0)
		return NULL;
	return at(E, a->call, nb_linspace(lo, hi, num, endpoint, E->e));
}

static nb_value *f_geomspace(ev *E, args *a, const char *name)
{
	double lo, hi, base = 10;
	int64_t num = 50;
	int endpoint = 1;
	const nb_expr *x;
	if (want_num(E, a->pos[0], a->posx[0], "start", &lo) < 0 || want_num(E, a->pos[1], a->posx[1], "stop", &hi) < 0)
		return NULL;
	nb_value *nv = arg(a, 2, "num", &x);
	if (nv && want_int(E, nv, x, "num", &num) < 0)
		return NULL;
	nb_value *ev_ = arg(a, 3, "endpoint", &x);
	if (ev_ && want_bool(E, ev_, x, "endpoint", &endpoint) < 0)
		return NULL;
	if (!strcmp(name, "logspace")) {
		nb_value *bv = kwarg(a, "base", &x);
		if (bv && want_num(E, bv, x, "base", &base) < 0)
			return NULL;
		return at(E, a->call, nb_logspace(lo, hi, num, endpoint, base, E->e));
	}
	return at(E, a->call, nb_geomspace(lo, hi, num, endpoint, E->e));
}

static nb_value *f_shape_fn(ev *E, args *a, const char *name)
{
	const nb_expr *x;
	if (!strcmp(name, "reshape")) {
		int64_t dims[NB_MAXDIM];
		int nd = 0;
		if (a->n > 2) { /* x.reshape(2, 3) */
			for (size_t i = 1; i < a->n && nd < NB_MAXDIM; i++)
				if (want_int(E, a->pos[i], a->posx[i], "dimension", &dims[nd++]) < 0)
					return NULL;
		} else {
			nb_value *sv = arg(a, 1, "newshape", &x);
			if (!sv)
				sv = arg(a, 1, "shape", &x);
			if (!sv)
				return errat(E, a->call, "reshape needs a shape");
			if (!nb_is_array(sv) || sv->dtype == NB_F64 || sv->ndim > 1 || sv->size > NB_MAXDIM)
				return errat(E, x, "reshape: the shape must be an integer or a tuple of integers");
			nd = sv->ndim == 0 ? 1 : (int)sv->size;
			for (size_t i = 0; i < sv->size; i++)
				dims[i] = nb_get_i64(sv, i);
		}
		return at(E, a->call, nb_reshape(a->pos[0], nd, dims, E->e));
	}
	if (!strcmp(name, "ravel") || !strcmp(name, "flatten")) {
		int64_t d = -1;
		return at(E, a->call, nb_reshape(a->pos[0], 1, &d, E->e));
	}
	if (!strcmp(name, "transpose")) {
		nb_value *pv = arg(a, 1, "axes", &x);
		if (pv && !is_none(pv)) {
			if (!nb_is_array(pv) || pv->dtype == NB_F64 || (int)pv->size != a->pos[0]->ndim)
				return errat(E, x, "transpose: axes must list every axis once");
			int perm[NB_MAXDIM];
			for (size_t i = 0; i < pv->size; i++)
				perm[i] = (int)nb_get_i64(pv, i);
			return at(E, a->call, nb_transpose(a->pos[0], perm, E->e));
		}
		return at(E, a->call, nb_transpose(a->pos[0], NULL, E->e));
	}
	if (!strcmp(name, "squeeze") || !strcmp(name, "expand_dims")) {
		nb_value *av = arg(a, 1, "axis", &x);
		int64_t ax = 0;
		int has = av && !is_none(av);
		if (has && want_int(E, av, x, "axis", &ax) < 0)
			return NULL;
		int axi = (int)ax;
		if (!strcmp(name, "squeeze"))
			return at(E, a->call, nb_squeeze(a->pos[0], has ? &axi : NULL, E->e));
		if (!has)
			return errat(E, a->call, "expand_dims needs an axis");
		return at(E, a->call, nb_expand_dims(a->pos[0], axi, E->e));
	}
	return errat(E, a->call, "unknown shape function '%s'", name);
}

static nb_value *f_matmul(ev *E, args *a, const char *name)
{
	if (!strcmp(name, "dot") && nb_is_array(a->pos[0]) && nb_is_array(a->pos[1]) &&
	    (a->pos[0]->ndim == 0 || a->pos[1]->ndim == 0))
		return at(E, a->call, nb_binary(NB_MUL, a->pos[0], a->pos[1], E->e));
	if (!strcmp(name, "outer"))
		return at(E, a->call, nb_outer(a->pos[0], a->pos[1], E->e));
	return at(E, a->call, nb_matmul(a->pos[0], a->pos[1], E->e));
}

static nb_value *f_diag(ev *E, args *a, const char *name)
{
	(void)name;
	const nb_expr *x;
	int64_t k = 0;
	nb_value *kv = arg(a, 1, "k", &x);
	if (kv && want_int(E, kv, x, "k", &k) < 0)
		return NULL;
	return at(E, a->call, nb_diag(a->pos[0], (int)k, E->e));
}

static nb_value *f_trace(ev *E, args *a, const char *name)
{
	(void)name;
	nb_value *d = nb_diag(a->pos[0], 0, E->e);
	if (!d)
		return at(E, a->call, NULL);
	nb_value *r = nb_reduce(NB_RSUM, d, 0, NULL, 0, 0, E->e);
	nb_unref(d);
	return at(E, a->call, r);
}

/* Sequence arguments: a list/tuple literal gives its items; an array its rows. */
static int seq_items(ev *E, args *a, nb_value ***items, size_t *n)
{
	const nb_expr *sx = a->posx[0];
	if (sx && (sx->kind == E_LIST || sx->kind == E_TUPLE)) {
		*n = sx->n;
		*items = nb_xcalloc(sx->n ? sx->n : 1, sizeof **items);
		for (size_t i = 0; i < sx->n; i++) {
			if (!((*items)[i] = eval(E, sx->kids[i]))) {
				for (size_t j = 0; j < i; j++)
					nb_unref((*items)[j]);
				free(*items);
				return -1;
			}
		}
		return 0;
	}
	const nb_value *v = a->pos[0];
	if (!nb_is_array(v) || v->ndim == 0) {
		errat(E, sx ? sx : a->call, "expected a sequence of arrays");
		return -1;
	}
	*n = v->shape[0];
	*items = nb_xcalloc(*n ? *n : 1, sizeof **items);
	for (size_t i = 0; i < *n; i++) {
		nb_index ix = {.kind = NB_IDX_INT, .i = (int64_t)i};
		(*items)[i] = nb_getindex(v, 1, &ix, E->e);
	}
	return 0;
}

static nb_value *f_join(ev *E, args *a, const char *name)
{
	nb_value **items;
	size_t n;
	if (seq_items(E, a, &items, &n) < 0)
		return NULL;
	const nb_expr *x;
	int64_t ax = 0;
	nb_value *av = arg(a, 1, "axis", &x);
	nb_value *r = NULL;
	if (av && !is_none(av) && want_int(E, av, x, "axis", &ax) < 0)
		goto out;
	if (!strcmp(name, "concatenate")) {
		r = nb_concatenate(n, items, (int)ax, E->e);
	} else if (!strcmp(name, "stack")) {
		r = nb_stack(n, items, (int)ax, E->e);
	} else {
		/* vstack / hstack / column_stack: numpy's promotion of 1-D items */
		int v = !strcmp(name, "vstack"), c = !strcmp(name, "column_stack");
		nb_value **pr = nb_xcalloc(n ? n : 1, sizeof *pr);
		int all1d = 1;
		for (size_t i = 0; i < n; i++)
			if (!nb_is_array(items[i]) || items[i]->ndim != 1)
				all1d = 0;
		for (size_t i = 0; i < n; i++) {
			const nb_value *it = items[i];
			if (!nb_is_array(it)) {
				pr[i] = nb_ref(it);
				continue;
			}
			if (v && it->ndim < 2) {
				int64_t s[2] = {1, -1};
				pr[i] = nb_reshape(it, 2, s, E->e);
			} else if (c && it->ndim < 2) {
				int64_t s[2] = {-1, 1};
				pr[i] = nb_reshape(it, 2, s, E->e);
			} else if (!v && !c && it->ndim == 0) {
				int64_t s[1] = {1};
				pr[i] = nb_reshape(it, 1, s, E->e);
			} else {
				pr[i] = nb_ref(it);
			}
		}
		int axis = v ? 0 : (c ? 1 : (all1d ? 0 : 1));
		r = nb_concatenate(n, pr, axis, E->e);
		for (size_t i = 0; i < n; i++)
			nb_unref(pr[i]);
		free(pr);
	}
	at(E, a->call, r);
out:
	for (size_t i = 0; i < n; i++)
		nb_unref(items[i]);
	free(items);
	return r;
}

static nb_value *f_tile(ev *E, args *a, const char *name)
{
	(void)name;
	const nb_value *rv = a->pos[1];
	if (!nb_is_array(rv) || rv->dtype == NB_F64 || rv->ndim > 1 || rv->size > NB_MAXDIM)
		return errat(E, a->posx[1], "tile: reps must be an integer or a tuple of integers");
	int64_t reps[NB_MAXDIM];
	for (size_t i = 0; i < rv->size; i++)
		reps[i] = nb_get_i64(rv, i);
	return at(E, a->call, nb_tile(a->pos[0], (int)rv->size, reps, E->e));
}

static nb_value *f_repeat(ev *E, args *a, const char *name)
{
	(void)name;
	const nb_expr *x;
	nb_value *av = arg(a, 2, "axis", &x);
	int64_t ax;
	if (av && !is_none(av)) {
		if (want_int(E, av, x, "axis", &ax) < 0)
			return NULL;
		int axi = (int)ax;
		return at(E, a->call, nb_repeat(a->pos[0], a->pos[1], &axi, E->e));
	}
	return at(E, a->call, nb_repeat(a->pos[0], a->pos[1], NULL, E->e));
}

static nb_value *f_cast(ev *E, args *a, const char *name)
{
	const nb_value *v = a->pos[0];
	if (!strcmp(name, "array") || !strcmp(name, "asarray"))
		return nb_ref(v);
	if (!nb_is_array(v) || v->size != 1)
		return errat(E, a->posx[0], "%s() needs a single number", name);
	if (!strcmp(name, "float"))
		return nb_f64(nb_get_f64(v, 0));
	if (!strcmp(name, "bool"))
		return nb_bool(nb_get_f64(v, 0) != 0);
	double d = nb_get_f64(v, 0);
	if (!isfinite(d))
		return errat(E, a->posx[0], "cannot convert %s to an integer", isnan(d) ? "nan" : "infinity");
	return nb_i64(v->dtype == NB_F64 ? (int64_t)trunc(d) : nb_get_i64(v, 0));
}

/* x.astype("int"): a copy converted to int64, float64 or bool (numpy's names). */
static nb_value *f_astype(ev *E, args *a, const char *name)
{
	(void)name;
	const nb_value *v = a->pos[0], *t = a->pos[1];
	if (!nb_is_array(v))
		return errat(E, a->posx[0], "astype() needs an array");
	if (t->kind != NB_STR)
		return errat(E, a->posx[1], "astype() takes the dtype as a string: \"int\", \"float\" or \"bool\"");
	nb_dtype dt;
	if (!strcmp(t->str, "int") || !strcmp(t->str, "int64"))
		dt = NB_I64;
	else if (!strcmp(t->str, "float") || !strcmp(t->str, "float64"))
		dt = NB_F64;
	else if (!strcmp(t->str, "bool"))
		dt = NB_BOOL;
	else
		return errat(E, a->posx[1], "astype(): unknown dtype '%s' (int, float or bool)", t->str);
	if (dt == NB_I64 && v->dtype == NB_F64)
		for (size_t i = 0; i < v->size; i++) {
			double d = nb_get_f64(v, i);
			if (!(d > -9.2e18 && d < 9.2e18))
				return errat(E, a->posx[0], "astype(\"int\"): %s has no integer value",
					     isnan(d) ? "nan" : isinf(d) ? "infinity" : "a number this large");
		}
	nb_err e = NB_ERR_INIT;
	nb_value *r = nb_astype(v, dt, &e);
	if (!r) {
		nb_value *x = errat(E, a->posx[0], "%s", e.msg);
		nb_err_clear(&e);
		return x;
	}
	return r;
}

static nb_value *f_len(ev *E, args *a, const char *name)
{
	(void)name;
	const nb_value *v = a->pos[0];
	if (v->kind == NB_STR)
		return nb_i64((int64_t)strlen(v->str));
	if (!nb_is_array(v) || v->ndim == 0)
		return errat(E, a->posx[0], "len() of an unsized value (a scalar)");
	return nb_i64((int64_t)v->shape[0]);
}

static nb_value *f_broadcast_to(ev *E, args *a, const char *name)
{
	(void)name;
	int nd;
	size_t shape[NB_MAXDIM];
	if (shape_arg(E, a, 1, "shape", &nd, shape) < 0)
		return NULL;
	return at(E, a->call, nb_broadcast_to(a->pos[0], nd, shape, E->e));
}

/* Singular values of a 2-D float64 matrix (LAPACK dgesdd, no vectors). */
static int singular_values(const nb_value *m, double *s, nb_err *e)
{
	const nb_blas *L = nb_blas_get(e);
	if (!L)
		return -1;
	size_t r = m->shape[0], c = m->shape[1];
	double *tmp = nb_xmalloc((r * c > 0 ? r * c : 1) * sizeof *tmp);
	for (size_t i = 0; i < r * c; i++)
		tmp[i] = nb_get_f64(m, i);
	/* the row-major r×c matrix is the column-major c×r transpose: same singular values */
	lapack_int info = L->dgesdd(LAPACK_COL_MAJOR, 'N', (lapack_int)c, (lapack_int)r, tmp, (lapack_int)c, s, NULL, 1,
				    NULL, 1);
	free(tmp);
	if (info != 0)
		return nb_err_set(e, NB_NOLOC, "norm: the SVD did not converge (LAPACK dgesdd info %d)", (int)info);
	return 0;
}

static nb_value *f_norm(ev *E, args *a, const char *name)
{
	(void)name;
	const nb_expr *x = a->call;
	const nb_value *v = a->pos[0];
	if (!nb_is_array(v))
		return errat(E, a->posx[0], "norm needs an array");
	nb_value *ordv = arg(a, 1, "ord", &x);
	int naxes = 0, axes[NB_MAXDIM], given;
	if (want_axes(E, a, 2, &naxes, axes, &given) < 0)
		return NULL;
	int keep = 0;
	const nb_expr *kx;
	nb_value *kv = kwarg(a, "keepdims", &kx);
	if (kv && want_bool(E, kv, kx, "keepdims", &keep) < 0)
		return NULL;
	int fro = 0, nuc = 0;
	double ord = 0;
	int has_ord = ordv && !is_none(ordv);
	if (has_ord) {
		if (ordv->kind == NB_STR) {
			if (!strcmp(ordv->str, "fro"))
				fro = 1;
			else if (!strcmp(ordv->str, "nuc"))
				nuc = 1;
			else
				return errat(E, x, "norm: invalid ord '%s' (expected a number, inf, 'fro' or 'nuc')", ordv->str);
		} else if (want_num(E, ordv, x, "ord", &ord) < 0) {
			return NULL;
		}
	}
	int vector = given ? naxes == 1 : v->ndim == 1;
	if (!given && v->ndim > 2)
		vector = 0;
	if (vector || (!given && !has_ord)) {
		if (!vector && (fro || nuc))
			return errat(E, x, "norm: ord '%s' is for matrices", fro ? "fro" : "nuc");
		/* 2-norm (default) over the given axes, or over everything */
		nb_value *av = nb_astype(v, NB_F64, E->e);
		if (!av)
			return at(E, a->call, NULL);
		nb_value *r = NULL;
		int p_is2 = !has_ord || ord == 2;
		if (p_is2) {
			nb_value *sq = nb_binary(NB_MUL, av, av, E->e);
			nb_value *s = sq ? nb_reduce(NB_RSUM, sq, naxes, given ? axes : NULL, keep, 0, E->e) : NULL;
			r = s ? nb_unary(NB_SQRT, s, E->e) : NULL;
			nb_unref(sq);
			nb_unref(s);
		} else {
			nb_value *ab = nb_unary(NB_ABS, av, E->e);
			if (isinf(ord)) {
				r = ab ? nb_reduce(ord > 0 ? NB_RMAX : NB_RMIN, ab, naxes, given ? axes : NULL, keep, 0, E->e) : NULL;
			} else if (ord == 0) {
				nb_value *z = nb_f64(0);
				nb_value *nz = ab ? nb_binary(NB_NE, ab, z, E->e) : NULL;
				nb_value *c = nz ? nb_astype(nz, NB_F64, E->e) : NULL;
				r = c ? nb_reduce(NB_RSUM, c, naxes, given ? axes : NULL, keep, 0, E->e) : NULL;
				nb_unref(z);
				nb_unref(nz);
				nb_unref(c);
			} else if (ord == 1) {
				r = ab ? nb_reduce(NB_RSUM, ab, naxes, given ? axes : NULL, keep, 0, E->e) : NULL;
			} else {
				nb_value *pw = nb_f64(ord), *ip = nb_f64(1.0 / ord);
				nb_value *t = ab ? nb_binary(NB_POW, ab, pw, E->e) : NULL;
				nb_value *s = t ? nb_reduce(NB_RSUM, t, naxes, given ? axes : NULL, keep, 0, E->e) : NULL;
				r = s ? nb_binary(NB_POW, s, ip, E->e) : NULL;
				nb_unref(pw);
				nb_unref(ip);
				nb_unref(t);
				nb_unref(s);
			}
			nb_unref(ab);
		}
		nb_unref(av);
		return at(E, a->call, r);
	}
	/* matrix norms of a 2-D array */
	if (v->ndim != 2 || (given && !(naxes == 2 && ((axes[0] == 0 || axes[0] == -2) && (axes[1] == 1 || axes[1] == -1)))))
		return errat(E, a->call, "norm: matrix norms need a 2-D array (axes (0, 1))");
	if (!has_ord || fro) {
		nb_value *av = nb_astype(v, NB_F64, E->e);
		nb_value *sq = av ? nb_binary(NB_MUL, av, av, E->e) : NULL;
		nb_value *s = sq ? nb_reduce(NB_RSUM, sq, 0, NULL, keep, 0, E->e) : NULL;
		nb_value *r = s ? nb_unary(NB_SQRT, s, E->e) : NULL;
		nb_unref(av);
		nb_unref(sq);
		nb_unref(s);
		return at(E, a->call, r);
	}
	size_t rows = v->shape[0], cols = v->shape[1];
	if (nuc || ord == 2 || ord == -2) {
		size_t k = rows < cols ? rows : cols;
		if (k == 0)
			return nb_f64(0);
		double *s = nb_xmalloc(k * sizeof *s);
		if (singular_values(v, s, E->e) < 0) {
			free(s);
			return at(E, a->call, NULL);
		}
		double res;
		if (nuc) {
			res = nb_pairwise_sum(s, k, 1);
		} else {
			res = ord == 2 ? s[0] : s[k - 1];
		}
		free(s);
		return nb_f64(res);
	}
	if (fabs(ord) == 1 || isinf(ord)) {
		int by_col = fabs(ord) == 1;
		size_t outer = by_col ? cols : rows, inner = by_col ? rows : cols;
		double best = 0;
		for (size_t o = 0; o < outer; o++) {
			double s = 0;
			for (size_t i = 0; i < inner; i++)
				s += fabs(nb_get_f64(v, by_col ? i * cols + o : o * cols + i));
			if (o == 0 || (ord > 0 ? s > best : s < best))
				best = s;
		}
		return nb_f64(best);
	}
	return errat(E, x, "norm: invalid ord for a matrix (use 1, -1, 2, -2, inf, -inf, 'fro' or 'nuc')");
}

static nb_value *f_linalg(ev *E, args *a, const char *name)
{
	const nb_expr *x;
	nb_value *r = NULL;
	if (!strcmp(name, "inv"))
		r = nb_inv(a->pos[0], E->e);
	else if (!strcmp(name, "det"))
		r = nb_det(a->pos[0], E->e);
	else if (!strcmp(name, "solve"))
		r = nb_solve(a->pos[0], a->pos[1], E->e);
	else if (!strcmp(name, "cholesky"))
		r = nb_cholesky(a->pos[0], E->e);
	else if (!strcmp(name, "matrix_rank"))
		r = nb_matrix_rank(a->pos[0], E->e);
	else if (!strcmp(name, "expm"))
		r = nb_expm(a->pos[0], E->e);
	else if (!strcmp(name, "pinv")) {
		double rc = 1e-15;
		nb_value *rv = arg(a, 1, "rcond", &x);
		if (rv && want_num(E, rv, x, "rcond", &rc) < 0)
			return NULL;
		r = nb_pinv(a->pos[0], rc, E->e);
	} else if (!strcmp(name, "svd") || !strcmp(name, "svdvals")) {
		if (!strcmp(name, "svd")) {
			int uv = 1;
			nb_value *cv = kwarg(a, "compute_uv", &x);
			if (cv && want_bool(E, cv, x, "compute_uv", &uv) < 0)
				return NULL;
			if (uv)
				return errat(E, a->call, "svd returns three arrays: use the 'svd' kernel with out: [U, S, Vh], "
					     "or svd(a, compute_uv=False) for the singular values");
		}
		nb_value *sv = NULL;
		if (nb_svd(a->pos[0], 0, NULL, &sv, NULL, E->e) == 0)
			r = sv;
	} else if (!strcmp(name, "eigvalsh")) {
		int upper = 0;
		nb_value *uv = arg(a, 1, "UPLO", &x);
		if (uv) {
			if (uv->kind != NB_STR || (strcmp(uv->str, "L") && strcmp(uv->str, "U")))
				return errat(E, x, "UPLO must be 'L' or 'U'");
			upper = uv->str[0] == 'U';
		}
		nb_value *w = NULL;
		if (nb_eigh(a->pos[0], upper, &w, NULL, E->e) == 0)
			r = w;
	}
	return at(E, a->call, r);
}

/* Activation functions and softmax, written to be stable for large inputs. */
static nb_value *f_activation(ev *E, args *a, const char *name)
{
	const nb_expr *x;
	const nb_value *v = a->pos[0];
	if (!nb_is_array(v))
		return errat(E, a->posx[0], "%s needs an array", name);
	double alpha = 0.1, h0 = 0.5;
	if (!strcmp(name, "leaky_relu")) {
		nb_value *av = arg(a, 1, "alpha", &x);
		if (av && want_num(E, av, x, "alpha", &alpha) < 0)
			return NULL;
	}
	if (!strcmp(name, "heaviside")) {
		nb_value *hv = arg(a, 1, "h0", &x);
		if (!hv)
			return errat(E, a->call, "heaviside(x, h0) needs h0, its value at 0 (as numpy's does)");
		if (want_num(E, hv, x, "h0", &h0) < 0)
			return NULL;
	}
	nb_value *r = nb_array_like(v, NB_F64, E->e);
	if (!r)
		return at(E, a->call, NULL);
	for (size_t i = 0; i < v->size; i++) {
		double t = nb_get_f64(v, i), o;
		if (!strcmp(name, "relu"))
			o = t > 0 ? t : (t == t ? 0.0 : t);
		else if (!strcmp(name, "leaky_relu"))
			o = t > 0 ? t : alpha * t;
		else if (!strcmp(name, "sigmoid"))
			o = t >= 0 ? 1.0 / (1.0 + exp(-t)) : exp(t) / (1.0 + exp(t));
		else if (!strcmp(name, "softplus"))
			o = t > 0 ? t + log1p(exp(-t)) : log1p(exp(t));
		else /* heaviside */
			o = isnan(t) ? t : t > 0 ? 1.0 : t < 0 ? 0.0 : h0;
		nb_f64p(r)[i] = o;
	}
	return r;
}

/* softmax, log_softmax and logsumexp along one axis (default: the last). */
static nb_value *f_softmax(ev *E, args *a, const char *name)
{
	const nb_expr *x;
	nb_value *v0 = a->pos[0];
	if (!nb_is_array(v0) || v0->ndim == 0)
		return errat(E, a->posx[0], "%s needs an array with at least one axis", name);
	int64_t ax = -1;
	nb_value *axv = arg(a, 1, "axis", &x);
	if (axv && want_int(E, axv, x, "axis", &ax) < 0)
		return NULL;
	int axis = (int)ax;
	nb_value *m = nb_reduce(NB_RMAX, v0, 1, &axis, 1, 0, E->e);
	nb_value *sh = m ? nb_binary(NB_SUB, v0, m, E->e) : NULL;
	nb_value *ex = sh ? nb_unary(NB_EXP, sh, E->e) : NULL;
	nb_value *s = ex ? nb_reduce(NB_RSUM, ex, 1, &axis, 1, 0, E->e) : NULL;
	nb_value *r = NULL;
	if (s) {
		if (!strcmp(name, "softmax")) {
			r = nb_binary(NB_DIV, ex, s, E->e);
		} else {
			nb_value *ls = nb_unary(NB_LOG, s, E->e);
			if (ls && !strcmp(name, "log_softmax")) {
				r = nb_binary(NB_SUB, sh, ls, E->e);
			} else if (ls) {
				nb_value *t = nb_binary(NB_ADD, m, ls, E->e);
				r = t ? nb_squeeze(t, &axis, E->e) : NULL;
				nb_unref(t);
			}
			nb_unref(ls);
		}
	}
	nb_unref(m);
	nb_unref(sh);
	nb_unref(ex);
	nb_unref(s);
	return at(E, a->call, r);
}

static nb_value *f_meshgrid(ev *E, args *a, const char *name)
{
	(void)name;
	(void)a;
	return errat(E, a->call, "meshgrid returns two arrays; use the 'meshgrid' kernel with out: [X, Y]");
}

#define U1(n, op, doc) {n, f_ufunc1, op, 1, 1, "", "(x)", doc}
#define U2(n, op, doc) {n, f_ufunc2, op, 2, 2, "", "(x1, x2)", doc}
#define RD(n, op, doc) {n, f_reduce, op, 1, 2, "axis keepdims ddof", "(a, axis=None, keepdims=False)", doc}

/* Sorted by name: looked up by binary search. */
static const fndef fns[] = {
	U1("abs", NB_ABS, "absolute value"),
	U1("absolute", NB_ABS, "absolute value"),
	U2("add", NB_ADD, "x1 + x2"),
	RD("all", NB_RALL, "whether every element is true"),
	RD("amax", NB_RMAX, "maximum (propagates nan)"),
	RD("amin", NB_RMIN, "minimum (propagates nan)"),
	RD("any", NB_RANY, "whether any element is true"),
	{"arange", f_arange, 0, 1, 3, "", "([start,] stop[, step])", "evenly spaced values, numpy's element formula"},
	U1("arccos", NB_ARCCOS, "inverse cosine"),
	U1("arccosh", NB_ARCCOSH, "inverse hyperbolic cosine"),
	U1("arcsin", NB_ARCSIN, "inverse sine"),
	U1("arcsinh", NB_ARCSINH, "inverse hyperbolic sine"),
	U1("arctan", NB_ARCTAN, "inverse tangent"),
	U2("arctan2", NB_ARCTAN2, "angle of the point (x2, x1)"),
	U1("arctanh", NB_ARCTANH, "inverse hyperbolic tangent"),
	{"argmax", f_reduce, NB_RARGMAX, 1, 2, "axis keepdims", "(a, axis=None)", "index of the maximum (first one)"},
	{"argmin", f_reduce, NB_RARGMIN, 1, 2, "axis keepdims", "(a, axis=None)", "index of the minimum (first one)"},
	{"around", f_round, 0, 1, 2, "decimals", "(a, decimals=0)", "round half to even"},
	{"array", f_cast, 0, 1, 1, "", "(x)", "the value as an array"},
	{"asarray", f_cast, 0, 1, 1, "", "(x)", "the value as an array"},
	{"astype", f_astype, 0, 2, 2, "", "(x, dtype)", "x converted to \"int\" (truncating), \"float\" or \"bool\"; also x.astype(\"int\")"},
	{"bool", f_cast, 0, 1, 1, "", "(x)", "a number as a boolean"},
	{"broadcast_to", f_broadcast_to, 0, 2, 2, "shape", "(a, shape)", "repeat a along broadcast axes"},
	U1("cbrt", NB_CBRT, "cube root"),
	U1("ceil", NB_CEIL, "ceiling"),
	{"cholesky", f_linalg, 0, 1, 1, "", "(a)", "lower Cholesky factor (LAPACK dpotrf)"},
	{"clip", f_clip, 0, 3, 3, "", "(a, a_min, a_max)", "limit values to [a_min, a_max] (None for no limit)"},
	{"column_stack", f_join, 0, 1, 1, "", "(arrays)", "1-D arrays as columns of a matrix"},
	{"concatenate", f_join, 0, 1, 2, "axis", "(arrays, axis=0)", "join arrays along an existing axis"},
	U1("cos", NB_COS, "cosine"),
	U1("cosh", NB_COSH, "hyperbolic cosine"),
	{"cumprod", f_cumulate, 0, 1, 2, "axis", "(a, axis=None)", "cumulative product"},
	{"cumsum", f_cumulate, 0, 1, 2, "axis", "(a, axis=None)", "cumulative sum"},
	{"det", f_linalg, 0, 1, 1, "", "(a)", "determinant, as numpy computes it (dgetrf; sign * exp(log|det|))"},
	{"diag", f_diag, 0, 1, 2, "k", "(v, k=0)", "diagonal of a matrix, or a diagonal matrix from a vector"},
	U2("divide", NB_DIV, "x1 / x2"),
	{"dot", f_matmul, 0, 2, 2, "", "(a, b)", "dot product (matmul for 1-D and 2-D, scaling for scalars)"},
	{"eigvalsh", f_linalg, 0, 1, 2, "UPLO", "(a, UPLO='L')", "eigenvalues of a symmetric matrix, ascending (dsyevd)"},
	U1("exp", NB_EXP, "exponential"),
	U1("exp2", NB_EXP2, "2**x"),
	{"expand_dims", f_shape_fn, 0, 2, 2, "axis", "(a, axis)", "insert an axis of length one"},
	{"expm", f_linalg, 0, 1, 1, "", "(a)", "matrix exponential (scaling and squaring with Padé approximants)"},
	U1("expm1", NB_EXPM1, "exp(x) - 1, accurate near 0"),
	{"eye", f_eye, 0, 1, 3, "M k", "(N, M=None, k=0)", "identity-like matrix with ones on diagonal k"},
	{"flatten", f_shape_fn, 0, 1, 1, "", "(a)", "the elements as a 1-D array"},
	{"float", f_cast, 0, 1, 1, "", "(x)", "a number as float64"},
	U1("floor", NB_FLOOR, "floor"),
	U2("floor_divide", NB_FLOORDIV, "x1 // x2"),
	U2("fmax", NB_FMAX, "element-wise maximum ignoring nan"),
	U2("fmin", NB_FMIN, "element-wise minimum ignoring nan"),
	{"full", f_fill, 0, 2, 2, "fill_value", "(shape, fill_value)", "array filled with one value"},
	{"full_like", f_fill_like, 0, 2, 2, "fill_value", "(a, fill_value)", "array like a filled with one value"},
	{"geomspace", f_geomspace, 0, 2, 4, "num endpoint", "(start, stop, num=50, endpoint=True)", "samples in geometric progression (np.geomspace)"},
	{"heaviside", f_activation, 0, 2, 2, "h0", "(x, h0)", "step function: 0 below zero, 1 above, h0 at zero (np.heaviside)"},
	{"hstack", f_join, 0, 1, 1, "", "(arrays)", "join horizontally (along axis 1, axis 0 for 1-D)"},
	U2("hypot", NB_HYPOT, "sqrt(x1**2 + x2**2)"),
	{"identity", f_eye, 0, 1, 1, "", "(n)", "n×n identity matrix"},
	{"int", f_cast, 0, 1, 1, "", "(x)", "a number truncated to an integer"},
	{"inv", f_linalg, 0, 1, 1, "", "(a)", "matrix inverse (LAPACK dgesv)"},
	U1("isfinite", NB_ISFINITE, "true where finite"),
	U1("isinf", NB_ISINF, "true where infinite"),
	U1("isnan", NB_ISNAN, "true where nan"),
	{"leaky_relu", f_activation, 0, 1, 2, "alpha", "(x, alpha=0.1)", "x above zero, alpha * x below"},
	{"len", f_len, 0, 1, 1, "", "(a)", "length of the first axis"},
	{"linspace", f_linspace, 0, 2, 4, "num endpoint", "(start, stop, num=50, endpoint=True)", "evenly spaced samples, numpy's formula"},
	U1("log", NB_LOG, "natural logarithm"),
	U1("log10", NB_LOG10, "base-10 logarithm"),
	U1("log1p", NB_LOG1P, "log(1 + x), accurate near 0"),
	U1("log2", NB_LOG2, "base-2 logarithm"),
	{"log_softmax", f_softmax, 0, 1, 2, "axis", "(x, axis=-1)", "log of softmax, computed stably"},
	U1("logical_not", NB_LOGICAL_NOT, "true where x is zero"),
	{"logspace", f_geomspace, 0, 2, 4, "num endpoint base", "(start, stop, num=50, endpoint=True, base=10)", "base ** linspace(start, stop, num)"},
	{"logsumexp", f_softmax, 0, 1, 2, "axis", "(x, axis=-1)", "log(sum(exp(x))) along an axis, computed stably"},
	{"matmul", f_matmul, 0, 2, 2, "", "(a, b)", "matrix product (the @ operator)"},
	{"matrix_rank", f_linalg, 0, 1, 1, "", "(a)", "rank from the singular values, numpy's tolerance"},
	RD("max", NB_RMAX, "maximum (propagates nan)"),
	U2("maximum", NB_MAXIMUM, "element-wise maximum (propagates nan)"),
	RD("mean", NB_RMEAN, "arithmetic mean"),
	{"meshgrid", f_meshgrid, 0, 0, 8, "indexing", "(x, y)", "use the meshgrid kernel"},
	RD("min", NB_RMIN, "minimum (propagates nan)"),
	U2("minimum", NB_MINIMUM, "element-wise minimum (propagates nan)"),
	U2("mod", NB_MOD, "x1 % x2 (sign of the divisor)"),
	U2("multiply", NB_MUL, "x1 * x2"),
	U1("negative", NB_NEG, "-x"),
	{"norm", f_norm, 0, 1, 3, "ord axis keepdims", "(x, ord=None, axis=None, keepdims=False)", "vector or matrix norm (numpy.linalg.norm)"},
	{"ones", f_fill, 0, 1, 1, "shape", "(shape)", "array of ones"},
	{"ones_like", f_fill_like, 0, 1, 1, "", "(a)", "ones with the shape and dtype of a"},
	{"outer", f_matmul, 0, 2, 2, "", "(a, b)", "outer product of two vectors"},
	{"pinv", f_linalg, 0, 1, 2, "rcond", "(a, rcond=1e-15)", "Moore-Penrose pseudo-inverse via the SVD"},
	U2("power", NB_POW, "x1 ** x2"),
	RD("prod", NB_RPROD, "product"),
	{"ravel", f_shape_fn, 0, 1, 1, "", "(a)", "the elements as a 1-D array"},
	{"relu", f_activation, 0, 1, 1, "", "(x)", "rectified linear unit max(x, 0)"},
	U2("remainder", NB_MOD, "x1 % x2 (sign of the divisor)"),
	{"repeat", f_repeat, 0, 2, 3, "axis", "(a, repeats, axis=None)", "repeat each element"},
	{"reshape", f_shape_fn, 0, 2, 8, "newshape shape", "(a, shape)", "same data, new shape (one -1 allowed)"},
	U1("rint", NB_RINT, "round half to even"),
	{"round", f_round, 0, 1, 2, "decimals", "(a, decimals=0)", "round half to even"},
	{"sigmoid", f_activation, 0, 1, 1, "", "(x)", "logistic sigmoid 1/(1 + exp(-x))"},
	U1("sign", NB_SIGN, "-1, 0 or 1"),
	U1("sin", NB_SIN, "sine"),
	U1("sinh", NB_SINH, "hyperbolic sine"),
	{"softmax", f_softmax, 0, 1, 2, "axis", "(x, axis=-1)", "exp(x) normalised to sum to one along an axis"},
	{"softplus", f_activation, 0, 1, 1, "", "(x)", "log(1 + exp(x)), computed stably"},
	{"solve", f_linalg, 0, 2, 2, "", "(a, b)", "solution x of a @ x = b (LAPACK dgesv)"},
	U1("sqrt", NB_SQRT, "square root"),
	U1("square", NB_SQUARE, "x * x"),
	{"squeeze", f_shape_fn, 0, 1, 2, "axis", "(a, axis=None)", "remove axes of length one"},
	{"stack", f_join, 0, 1, 2, "axis", "(arrays, axis=0)", "join arrays along a new axis"},
	RD("std", NB_RSTD, "standard deviation (ddof=0 by default)"),
	U2("subtract", NB_SUB, "x1 - x2"),
	RD("sum", NB_RSUM, "sum (numpy's pairwise summation)"),
	{"svd", f_linalg, 0, 1, 1, "compute_uv full_matrices", "(a, compute_uv=False)", "singular values (the svd kernel gives U, S, Vh)"},
	{"svdvals", f_linalg, 0, 1, 1, "", "(a)", "singular values, descending (LAPACK dgesdd)"},
	U1("tan", NB_TAN, "tangent"),
	U1("tanh", NB_TANH, "hyperbolic tangent"),
	{"tile", f_tile, 0, 2, 2, "", "(a, reps)", "repeat the whole array"},
	{"trace", f_trace, 0, 1, 1, "", "(a)", "sum of the diagonal"},
	{"transpose", f_shape_fn, 0, 1, 2, "axes", "(a, axes=None)", "permute axes (reverse them by default)"},
	U1("trunc", NB_TRUNC, "round towards zero"),
	RD("var", NB_RVAR, "variance (ddof=0 by default)"),
	{"vstack", f_join, 0, 1, 1, "", "(arrays)", "join vertically (1-D arrays become rows)"},
	{"where", f_where, 0, 3, 3, "", "(condition, x, y)", "x where condition is true, else y"},
	{"zeros", f_fill, 0, 1, 1, "shape", "(shape)", "array of zeros"},
	{"zeros_like", f_fill_like, 0, 1, 1, "", "(a)", "zeros with the shape and dtype of a"},
};

static const fndef *find_fn(const char *name)
{
	size_t lo = 0, hi = NB_ARRAY_LEN(fns);
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(name, fns[mid].name);
		if (!c)
			return &fns[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

int nb_expr_is_function(const char *name)
{
	return find_fn(name) != NULL;
}

const nb_fninfo *nb_expr_functions(size_t *n)
{
	static nb_fninfo info[NB_ARRAY_LEN(fns)];
	for (size_t i = 0; i < NB_ARRAY_LEN(fns); i++) {
		info[i].name = fns[i].name;
		info[i].sig = fns[i].sig;
		info[i].doc = fns[i].doc;
	}
	*n = NB_ARRAY_LEN(fns);
	return info;
}

/* Methods x.f(...) that map to f(x, ...). */
static int is_method(const char *name)
{
	static const char *const m[] = {"all", "any", "argmax", "astype", "argmin", "clip", "cumprod", "cumsum", "dot",
					"flatten", "max", "mean", "min", "prod", "ravel", "repeat", "reshape",
					"round", "squeeze", "std", "sum", "trace", "transpose", "var"};
	for (size_t i = 0; i < NB_ARRAY_LEN(m); i++)
		if (!strcmp(m[i], name))
			return 1;
	return 0;
}

static int kw_allowed(const fndef *d, const char *kw)
{
	const char *p = d->kws;
	size_t n = strlen(kw);
	while (*p) {
		const char *q = strchr(p, ' ');
		size_t len = q ? (size_t)(q - p) : strlen(p);
		if (len == n && !strncmp(p, kw, n))
			return 1;
		p += len;
		while (*p == ' ')
			p++;
	}
	return 0;
}

static nb_value *call(ev *E, const nb_expr *x)
{
	const nb_expr *callee = x->kids[0];
	const char *name;
	nb_value *self = NULL;
	const nb_expr *selfx = NULL;
	if (callee->kind == E_NAME || callee->kind == E_BUILTIN) {
		name = callee->s;
	} else if (callee->kind == E_ATTR && is_method(callee->s)) {
		name = callee->s;
		selfx = callee->kids[0];
		if (!(self = eval(E, selfx)))
			return NULL;
	} else if (callee->kind == E_ATTR) {
		return errat(E, callee, "'%s' is not a method nbrun knows; call functions as name(x, ...)", callee->s);
	} else {
		return errat(E, callee, "this is not something that can be called");
	}
	const fndef *d = find_fn(name);
	if (!d) {
		nb_unref(self);
		nb_suggest s;
		nb_suggest_init(&s, name);
		for (size_t i = 0; i < NB_ARRAY_LEN(fns); i++)
			nb_suggest_offer(&s, fns[i].name);
		const char *best = nb_suggest_best(&s);
		if (best)
			return errat(E, callee, "unknown function '%s'; did you mean '%s'?", name, best);
		return errat(E, callee, "unknown function '%s'", name);
	}
	args a;
	memset(&a, 0, sizeof a);
	a.call = x;
	if (self) {
		a.pos[a.n] = self;
		a.posx[a.n++] = selfx;
	}
	nb_value *r = NULL;
	for (size_t i = 1; i < x->n; i++) {
		const nb_expr *k = x->kids[i];
		if (x->kw[i]) {
			if (!kw_allowed(d, x->kw[i])) {
				errat(E, k, "%s() got an unexpected keyword argument '%s'", name, x->kw[i]);
				goto out;
			}
			for (size_t j = 0; j < a.nkw; j++)
				if (!strcmp(a.kwname[j], x->kw[i])) {
					errat(E, k, "%s() got keyword argument '%s' twice", name, x->kw[i]);
					goto out;
				}
			if (a.nkw >= 8) {
				errat(E, k, "too many arguments");
				goto out;
			}
			/* the sequence argument of concatenate & co. keeps its items apart */
			nb_value *v = eval(E, k);
			if (!v)
				goto out;
			a.kwname[a.nkw] = x->kw[i];
			a.kwx[a.nkw] = k;
			a.kw[a.nkw++] = v;
		} else {
			if (a.n >= 8 || (int)a.n >= d->maxargs) {
				errat(E, k, "%s() takes at most %d positional argument%s", name, d->maxargs,
				      d->maxargs == 1 ? "" : "s");
				goto out;
			}
			nb_value *v;
			if (a.n == 0 && d->impl == f_join && (k->kind == E_LIST || k->kind == E_TUPLE))
				v = nb_i64(0); /* placeholder: f_join evaluates the items itself */
			else if (!(v = eval(E, k)))
				goto out;
			a.posx[a.n] = k;
			a.pos[a.n++] = v;
		}
	}
	/* keywords may fill positional slots */
	size_t have = a.n;
	for (size_t j = 0; j < a.nkw; j++)
		if (!d->kws[0] || kw_allowed(d, a.kwname[j]))
			have++;
	if ((int)a.n < d->minargs && (int)have < d->minargs) {
		errat(E, x, "%s() takes at least %d argument%s (%zu given)", name, d->minargs,
		      d->minargs == 1 ? "" : "s", a.n);
		goto out;
	}
	if ((int)a.n < d->minargs) {
		/* move keyword args that name required positional slots: only shape/fill_value style */
		errat(E, x, "%s(): pass the first %d argument%s by position", name, d->minargs, d->minargs == 1 ? "" : "s");
		goto out;
	}
	r = d->impl(E, &a, name);
out:
	args_free(&a);
	return r;
}

/* Turn a list/tuple literal into an array (numpy's np.array on nested lists). */
static nb_value *list_value(ev *E, const nb_expr *x)
{
	if (x->n == 0) {
		size_t z = 0;
		return nb_array_new(NB_F64, 1, &z, E->e);
	}
	nb_value **items = nb_xcalloc(x->n, sizeof *items);
	nb_value *r = NULL;
	size_t i;
	for (i = 0; i < x->n; i++) {
		if (!(items[i] = eval(E, x->kids[i])))
			goto out;
		if (!nb_is_array(items[i])) {
			errat(E, x->kids[i], "a list literal holds numbers or arrays, not %s",
			      items[i]->kind == NB_STR ? "a string" : "an object");
			i++;
			goto out;
		}
		if (i > 0 && (items[i]->ndim != items[0]->ndim ||
			      memcmp(items[i]->shape, items[0]->shape, (size_t)items[0]->ndim * sizeof(size_t)))) {
			nb_buf s0 = NB_BUF_INIT, s1 = NB_BUF_INIT;
			nb_shape_str(items[0]->ndim, items[0]->shape, &s0);
			nb_shape_str(items[i]->ndim, items[i]->shape, &s1);
			errat(E, x->kids[i], "inhomogeneous list: item 0 has shape %s but item %zu has shape %s",
			      nb_buf_str(&s0), i, nb_buf_str(&s1));
			nb_buf_release(&s0);
			nb_buf_release(&s1);
			i++;
			goto out;
		}
	}
	r = at(E, x, nb_stack(x->n, items, 0, E->e));
	if (r && x->kind == E_TUPLE && r->ndim == 1)
		r->tuple = 1;
out:
	for (size_t j = 0; j < i && j < x->n; j++)
		nb_unref(items[j]);
	free(items);
	return r;
}

static int index_item(ev *E, const nb_expr *s, nb_index *ix, nb_value **hold)
{
	memset(ix, 0, sizeof *ix);
	*hold = NULL;
	if (s->kind == E_SLICE) {
		ix->kind = NB_IDX_SLICE;
		for (int k = 0; k < 3; k++) {
			const nb_expr *p = s->kids[k];
			if (!p || p->kind == E_NONE)
				continue;
			nb_value *v = eval(E, p);
			if (!v)
				return -1;
			int64_t iv;
			int bad = want_int(E, v, p, "slice bounds", &iv);
			nb_unref(v);
			if (bad < 0)
				return -1;
			if (k == 0) {
				ix->has_start = 1;
				ix->start = iv;
			} else if (k == 1) {
				ix->has_stop = 1;
				ix->stop = iv;
			} else {
				ix->has_step = 1;
				ix->step = iv;
			}
		}
		return 0;
	}
	if (s->kind == E_NONE || (s->kind == E_BUILTIN && !strcmp(s->s, "newaxis")) ||
	    (s->kind == E_NAME && !strcmp(s->s, "newaxis"))) {
		ix->kind = NB_IDX_NEWAXIS;
		return 0;
	}
	if (s->kind == E_ELLIPSIS) {
		ix->kind = NB_IDX_ELLIPSIS;
		return 0;
	}
	nb_value *v = eval(E, s);
	if (!v)
		return -1;
	if (!nb_is_array(v) || (v->dtype == NB_F64)) {
		nb_buf b = NB_BUF_INIT;
		nb_describe_value(v, &b);
		errat(E, s, "only integers, slices (':'), ellipsis ('...'), None and integer or boolean arrays are "
		      "valid indices, got %s (convert with int(...))", nb_buf_str(&b));
		nb_buf_release(&b);
		nb_unref(v);
		return -1;
	}
	if (v->ndim == 0 && v->dtype == NB_I64) {
		ix->kind = NB_IDX_INT;
		ix->i = nb_i64p(v)[0];
		nb_unref(v);
		return 0;
	}
	ix->kind = NB_IDX_ARRAY;
	ix->arr = v;
	*hold = v;
	return 0;
}

static nb_value *eval_index(ev *E, const nb_expr *x)
{
	nb_value *base = eval(E, x->kids[0]);
	if (!base)
		return NULL;
	if (!nb_is_array(base)) {
		nb_unref(base);
		return errat(E, x->kids[0], "only arrays can be indexed");
	}
	size_t n = x->n - 1;
	/* a single tuple subscript a[(0, 1)] is rare; subscripts come as a list here */
	nb_index *ix = nb_xcalloc(n, sizeof *ix);
	nb_value **hold = nb_xcalloc(n, sizeof *hold);
	nb_value *r = NULL;
	size_t i;
	for (i = 0; i < n; i++)
		if (index_item(E, x->kids[i + 1], &ix[i], &hold[i]) < 0)
			goto out;
	r = nb_getindex(base, (int)n, ix, E->e);
	if (!r) {
		/* point at the subscript named by an out-of-bounds message, else at '[' */
		*E->errpos = x->pos;
		if (E->e->msg && strstr(E->e->msg, "axis ")) {
			const char *p = strstr(E->e->msg, "for axis ");
			if (p) {
				int axn = atoi(p + 9);
				/* map axis to subscript: count consuming subscripts */
				int axis = 0;
				for (size_t k = 0; k < n; k++) {
					if (ix[k].kind == NB_IDX_NEWAXIS)
						continue;
					if (ix[k].kind == NB_IDX_ELLIPSIS)
						break;
					if (axis == axn) {
						*E->errpos = x->kids[k + 1]->pos;
						break;
					}
					axis++;
				}
			}
		}
	}
out:
	for (size_t k = 0; k < n; k++)
		nb_unref(hold[k]);
	free(hold);
	free(ix);
	nb_unref(base);
	return r;
}

static nb_value *eval_attr(ev *E, const nb_expr *x)
{
	nb_value *base = eval(E, x->kids[0]);
	if (!base)
		return NULL;
	nb_value *r = NULL;
	if (!nb_is_array(base)) {
		errat(E, x, "'%s' needs an array", x->s);
	} else if (!strcmp(x->s, "T")) {
		r = at(E, x, nb_transpose(base, NULL, E->e));
	} else if (!strcmp(x->s, "shape")) {
		size_t nd = (size_t)base->ndim;
		r = nb_array_new(NB_I64, 1, &nd, E->e);
		for (size_t i = 0; r && i < nd; i++)
			nb_i64p(r)[i] = (int64_t)base->shape[i];
		if (r)
			r->tuple = 1;
	} else if (!strcmp(x->s, "ndim")) {
		r = nb_i64(base->ndim);
	} else if (!strcmp(x->s, "size")) {
		r = nb_i64((int64_t)base->size);
	} else {
		static const char *const attrs[] = {"T", "shape", "ndim", "size"};
		nb_suggest s;
		nb_suggest_init(&s, x->s);
		for (size_t i = 0; i < NB_ARRAY_LEN(attrs); i++)
			nb_suggest_offer(&s, attrs[i]);
		const char *best = nb_suggest_best(&s);
		if (best)
			errat(E, x, "arrays have no attribute '%s'; did you mean '%s'?", x->s, best);
		else
			errat(E, x, "arrays have no attribute '%s' (known: T, shape, ndim, size)", x->s);
	}
	nb_unref(base);
	return r;
}

static nb_value *eval_name(ev *E, const nb_expr *x)
{
	if (x->kind == E_NAME) {
		const nb_value *v = E->lookup(E->ctx, x->s);
		if (v)
			return nb_ref(v);
	}
	for (size_t i = 0; i < NB_ARRAY_LEN(constants); i++)
		if (!strcmp(constants[i].name, x->s))
			return nb_f64(constants[i].v);
	if (!strcmp(x->s, "newaxis"))
		return none_value();
	if (find_fn(x->s))
		return errat(E, x, "'%s' is a function; call it as %s(...)", x->s, x->s);
	return errat(E, x, "undefined name '%s'", x->s);
}

static nb_value *eval_node(ev *E, const nb_expr *x);

static nb_value *eval(ev *E, const nb_expr *x)
{
	nb_value *v = eval_node(E, x);
	if (v && E->rec)
		E->rec(E->rctx, x, v);
	return v;
}

static nb_value *eval_node(ev *E, const nb_expr *x)
{
	switch (x->kind) {
	case E_FLOAT: return nb_f64(x->f);
	case E_INT: return nb_i64(x->i);
	case E_BOOL: return nb_bool((int)x->i);
	case E_STR: return nb_str(x->s);
	case E_NONE: return none_value();
	case E_ELLIPSIS: return errat(E, x, "'...' is only allowed inside an index");
	case E_SLICE: return errat(E, x, "':' is only allowed inside an index");
	case E_NAME: case E_BUILTIN: return eval_name(E, x);
	case E_LIST: case E_TUPLE: return list_value(E, x);
	case E_ATTR: return eval_attr(E, x);
	case E_INDEX: return eval_index(E, x);
	case E_CALL: return call(E, x);
	case E_UN: {
		nb_value *a = eval(E, x->kids[0]);
		if (!a)
			return NULL;
		nb_value *r = nb_unary((nb_unop)x->op, a, E->e);
		nb_unref(a);
		return at(E, x, r);
	}
	case E_BIN: case E_MATMUL: {
		nb_value *a = eval(E, x->kids[0]);
		if (!a)
			return NULL;
		nb_value *b = eval(E, x->kids[1]);
		if (!b) {
			nb_unref(a);
			return NULL;
		}
		if (x->kind == E_BIN)
			return at(E, x, nb_binary_take((nb_binop)x->op, a, b, E->e));
		nb_value *r = nb_matmul(a, b, E->e);
		nb_unref(a);
		nb_unref(b);
		return at(E, x, r);
	}
	default:
		return errat(E, x, "cannot evaluate this expression");
	}
}

nb_value *nb_expr_eval(const nb_expr *x, nb_lookup_fn lookup, void *ctx, size_t *errpos, nb_err *e)
{
	return nb_expr_eval_rec(x, lookup, ctx, NULL, NULL, errpos, e);
}

nb_value *nb_expr_eval_rec(const nb_expr *x, nb_lookup_fn lookup, void *ctx, nb_record_fn rec, void *rctx,
			   size_t *errpos, nb_err *e)
{
	size_t dummy;
	ev E = {lookup, ctx, errpos ? errpos : &dummy, e, rec, rctx};
	*E.errpos = (size_t)-1;
	nb_value *v = eval(&E, x);
	if (!v && *E.errpos == (size_t)-1)
		*E.errpos = x->pos;
	if (v && is_none(v)) {
		nb_unref(v);
		*E.errpos = x->pos;
		nb_err_set(e, NB_NOLOC, "None is not a value (it is only meaningful as an argument or index)");
		return NULL;
	}
	return v;
}
