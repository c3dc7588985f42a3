/*
 * autodiff.c - reverse-mode differentiation of expression trees.  See autodiff.h.
 */
#include "autodiff.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "expr_impl.h"
#include "linalg.h"
#include "ops.h"

typedef struct rec {
	const nb_expr *x;
	nb_value *v;
} rec;

typedef struct ad {
	rec *r;
	size_t n, cap;
	size_t nwrt;
	const char *const *wrt;
	nb_value **acc;     /* accumulated gradient per wrt name */
	nb_err *e;
	size_t *errpos;
} ad;

static void record(void *ctx, const nb_expr *x, const nb_value *v)
{
	ad *A = ctx;
	for (size_t i = 0; i < A->n; i++)
		if (A->r[i].x == x) {
			nb_unref(A->r[i].v);
			A->r[i].v = nb_ref(v);
			return;
		}
	NB_GROW(A->r, A->cap, A->n + 1);
	A->r[A->n].x = x;
	A->r[A->n].v = nb_ref(v);
	A->n++;
}

static const nb_value *val(ad *A, const nb_expr *x)
{
	for (size_t i = 0; i < A->n; i++)
		if (A->r[i].x == x)
			return A->r[i].v;
	return NULL;
}

static int wrt_index(ad *A, const char *name)
{
	for (size_t i = 0; i < A->nwrt; i++)
		if (!strcmp(A->wrt[i], name))
			return (int)i;
	return -1;
}

/* Does the subtree read one of the variables? */
static int depends(ad *A, const nb_expr *x)
{
	if (!x)
		return 0;
	if (x->kind == E_NAME)
		return wrt_index(A, x->s) >= 0;
	for (size_t i = 0; i < x->n; i++) {
		if (x->kind == E_CALL && i == 0 && x->kids[0] && (x->kids[0]->kind == E_NAME || x->kids[0]->kind == E_BUILTIN))
			continue;
		if (depends(A, x->kids[i]))
			return 1;
	}
	return 0;
}

static int fail(ad *A, const nb_expr *x, const char *fmt, const char *arg)
{
	if (*A->errpos == (size_t)-1)
		*A->errpos = x->pos;
	return nb_err_set(A->e, NB_NOLOC, fmt, arg);
}

static int at(ad *A, const nb_expr *x, nb_value *v, nb_value **out)
{
	if (!v) {
		if (*A->errpos == (size_t)-1)
			*A->errpos = x->pos;
		return -1;
	}
	*out = v;
	return 0;
}

/* Sum g down to shape (ndim, shape): undo broadcasting. */
static nb_value *unbroadcast(const nb_value *g, int ndim, const size_t *shape, nb_err *e)
{
	if (g->ndim == ndim && !memcmp(g->shape, shape, (size_t)ndim * sizeof *shape))
		return nb_ref(g);
	int axes[NB_MAXDIM], na = 0;
	int lead = g->ndim - ndim;
	for (int i = 0; i < g->ndim; i++) {
		int j = i - lead;
		if (j < 0 || (shape[j] == 1 && g->shape[i] != 1))
			axes[na++] = i;
	}
	nb_value *s = na ? nb_reduce(NB_RSUM, g, na, axes, 1, 0, e) : nb_ref(g);
	if (!s)
		return NULL;
	int64_t dims[NB_MAXDIM];
	for (int i = 0; i < ndim; i++)
		dims[i] = (int64_t)shape[i];
	nb_value *r = nb_reshape(s, ndim, dims, e);
	nb_unref(s);
	return r;
}

static nb_value *bin(nb_binop op, const nb_value *a, const nb_value *b, nb_err *e)
{
	return nb_binary(op, a, b, e);
}

static nb_value *un(nb_unop op, const nb_value *a, nb_err *e)
{
	return nb_unary(op, a, e);
}

static int backprop(ad *A, const nb_expr *x, const nb_value *g);

/* Pass g (already shaped for child) to child, when it depends on a variable. */
static int pass(ad *A, const nb_expr *child, nb_value *g)
{
	int rc = 0;
	if (g)
		rc = backprop(A, child, g);
	else
		rc = -1;
	nb_unref(g);
	return rc;
}

/* g shaped like the operand's value, after undoing broadcasting. */
static int pass_unb(ad *A, const nb_expr *child, nb_value *g)
{
	if (!g)
		return -1;
	const nb_value *cv = val(A, child);
	nb_value *u = unbroadcast(g, cv->ndim, cv->shape, A->e);
	nb_unref(g);
	if (!u && *A->errpos == (size_t)-1)
		*A->errpos = child->pos;
	return pass(A, child, u);
}

/* d/da of (a @ b) and d/db, with numpy's 1-D promotions. */
static int matmul_back(ad *A, const nb_expr *xa, const nb_expr *xb, const nb_value *g)
{
	const nb_value *a = val(A, xa), *b = val(A, xb);
	nb_err *e = A->e;
	if (a->ndim > 2 || b->ndim > 2)
		return fail(A, xa, "grad: matmul of arrays with more than two dimensions is not differentiable here%s", "");
	if (depends(A, xa)) {
		nb_value *ga;
		if (a->ndim == 1 && b->ndim == 1) {
			ga = bin(NB_MUL, g, b, e);
		} else if (a->ndim == 2 && b->ndim == 1) {
			ga = nb_outer(g, b, e);
		} else if (a->ndim == 1) {
			ga = nb_matmul(b, g, e);
		} else {
			nb_value *bt = nb_transpose(b, NULL, e);
			ga = bt ? nb_matmul(g, bt, e) : NULL;
			nb_unref(bt);
		}
		if (pass(A, xa, ga) < 0)
			return -1;
	}
	if (depends(A, xb)) {
		nb_value *gb;
		if (a->ndim == 1 && b->ndim == 1) {
			gb = bin(NB_MUL, g, a, e);
		} else if (a->ndim == 2 && b->ndim == 1) {
			nb_value *at_ = nb_transpose(a, NULL, e);
			gb = at_ ? nb_matmul(at_, g, e) : NULL;
			nb_unref(at_);
		} else if (a->ndim == 1) {
			gb = nb_outer(a, g, e);
		} else {
			nb_value *at_ = nb_transpose(a, NULL, e);
			gb = at_ ? nb_matmul(at_, g, e) : NULL;
			nb_unref(at_);
		}
		if (pass(A, xb, gb) < 0)
			return -1;
	}
	return 0;
}

static int binop_back(ad *A, int op, const nb_expr *xa, const nb_expr *xb, const nb_value *out, const nb_value *g)
{
	const nb_value *a = val(A, xa), *b = val(A, xb);
	nb_err *e = A->e;
	int da = depends(A, xa), db = depends(A, xb);
	switch (op) {
	case NB_ADD:
		if (da && pass_unb(A, xa, nb_ref(g)) < 0)
			return -1;
		if (db && pass_unb(A, xb, nb_ref(g)) < 0)
			return -1;
		return 0;
	case NB_SUB:
		if (da && pass_unb(A, xa, nb_ref(g)) < 0)
			return -1;
		if (db && pass_unb(A, xb, un(NB_NEG, g, e)) < 0)
			return -1;
		return 0;
	case NB_MUL:
		if (da && pass_unb(A, xa, bin(NB_MUL, g, b, e)) < 0)
			return -1;
		if (db && pass_unb(A, xb, bin(NB_MUL, g, a, e)) < 0)
			return -1;
		return 0;
	case NB_DIV:
		if (da && pass_unb(A, xa, bin(NB_DIV, g, b, e)) < 0)
			return -1;
		if (db) {
			/* -g * a / b**2 = -g * out / b */
			nb_value *t = bin(NB_MUL, g, out, e), *t2 = t ? bin(NB_DIV, t, b, e) : NULL;
			nb_value *t3 = t2 ? un(NB_NEG, t2, e) : NULL;
			nb_unref(t);
			nb_unref(t2);
			if (pass_unb(A, xb, t3) < 0)
				return -1;
		}
		return 0;
	case NB_POW:
		if (da) {
			/* g * b * a**(b - 1) */
			nb_value *one = nb_f64(1.0), *bm1 = bin(NB_SUB, b, one, e);
			nb_value *p = bm1 ? bin(NB_POW, a, bm1, e) : NULL;
			nb_value *t = p ? bin(NB_MUL, b, p, e) : NULL;
			nb_value *t2 = t ? bin(NB_MUL, g, t, e) : NULL;
			nb_unref(one);
			nb_unref(bm1);
			nb_unref(p);
			nb_unref(t);
			if (pass_unb(A, xa, t2) < 0)
				return -1;
		}
		if (db) {
			nb_value *la = un(NB_LOG, a, e), *t = la ? bin(NB_MUL, out, la, e) : NULL;
			nb_value *t2 = t ? bin(NB_MUL, g, t, e) : NULL;
			nb_unref(la);
			nb_unref(t);
			if (pass_unb(A, xb, t2) < 0)
				return -1;
		}
		return 0;
	case NB_MOD:
		if (da && pass_unb(A, xa, nb_ref(g)) < 0)
			return -1;
		if (db)
			return fail(A, xb, "grad: cannot differentiate '%%' with respect to its divisor%s", "");
		return 0;
	default:
		/* comparisons, floor division and bitwise operators are piecewise constant */
		return 0;
	}
}

/* sum/mean: spread g back over the reduced axes. */
static nb_value *spread(const nb_value *g, const nb_value *a, const int *axes, int naxes, int keepdims, nb_err *e)
{
	nb_value *t;
	if (!keepdims && naxes != -1) {
		int red[NB_MAXDIM] = {0};
		for (int k = 0; k < naxes; k++) {
			int ax;
			if (nb_norm_axis(axes[k], a->ndim, &ax, e) < 0)
				return NULL;
			red[ax] = 1;
		}
		int64_t dims[NB_MAXDIM];
		for (int i = 0; i < a->ndim; i++)
			dims[i] = red[i] ? 1 : (int64_t)a->shape[i];
		t = nb_reshape(g, a->ndim, dims, e);
	} else {
		t = nb_ref(g);
	}
	if (!t)
		return NULL;
	nb_value *r = nb_broadcast_to(t, a->ndim, a->shape, e);
	nb_unref(t);
	return r;
}

static int kw_int_list(ad *A, const nb_expr *call, const char *kw, size_t posidx, int *vals, int *n)
{
	const nb_expr *kx = NULL;
	for (size_t i = 1; i < call->n; i++) {
		if (call->kw[i] && !strcmp(call->kw[i], kw))
			kx = call->kids[i];
	}
	size_t npos = 0;
	for (size_t i = 1; i < call->n && !kx; i++) {
		if (!call->kw[i] && npos++ == posidx)
			kx = call->kids[i];
	}
	*n = -1;
	if (!kx)
		return 0;
	const nb_value *v = val(A, kx);
	if (!v || !nb_is_array(v))
		return 0; /* None */
	*n = (int)v->size;
	for (size_t i = 0; i < v->size && i < NB_MAXDIM; i++)
		vals[i] = (int)nb_get_i64(v, i);
	return 0;
}

static int kw_bool(ad *A, const nb_expr *call, const char *kw)
{
	for (size_t i = 1; i < call->n; i++)
		if (call->kw[i] && !strcmp(call->kw[i], kw)) {
			const nb_value *v = val(A, call->kids[i]);
			return v && nb_is_array(v) && nb_get_f64(v, 0) != 0;
		}
	return 0;
}

static double kw_num(ad *A, const nb_expr *call, const char *kw, double dflt)
{
	for (size_t i = 1; i < call->n; i++)
		if (call->kw[i] && !strcmp(call->kw[i], kw)) {
			const nb_value *v = val(A, call->kids[i]);
			return v && nb_is_array(v) ? nb_get_f64(v, 0) : dflt;
		}
	return dflt;
}

static const char *const supported[] = {
	"abs", "absolute", "add", "heaviside", "leaky_relu", "log_softmax", "logsumexp", "relu", "sigmoid", "softmax",
	"softplus", "arccos", "arcsin", "arctan", "array", "asarray", "ceil", "clip", "cos", "cosh",
	"divide", "dot", "exp", "exp2", "expand_dims", "expm1", "flatten", "float", "floor", "log", "log10", "log1p",
	"log2", "matmul", "maximum", "mean", "minimum", "multiply", "negative", "norm", "outer", "power", "ravel",
	"reshape", "rint", "round", "sign", "sin", "sinh", "sqrt", "square", "squeeze", "std", "subtract", "sum",
	"tan", "tanh", "transpose", "trunc", "var", "where",
};

/* Functions whose value is piecewise constant in their arguments: zero derivative. */
static const char *const constant[] = {
	"argmax", "argmin", "bool", "full_like", "int", "isfinite", "isinf", "isnan", "len", "logical_not",
	"matrix_rank", "ones_like", "zeros_like",
};

static int is_constant_fn(const char *fn)
{
	for (size_t i = 0; i < NB_ARRAY_LEN(constant); i++)
		if (!strcmp(constant[i], fn))
			return 1;
	return 0;
}

int nb_autodiff_supported(const char *fn)
{
	if (is_constant_fn(fn))
		return 1;
	for (size_t i = 0; i < NB_ARRAY_LEN(supported); i++)
		if (!strcmp(supported[i], fn))
			return 1;
	return 0;
}

static int call_back(ad *A, const nb_expr *x, const nb_value *out, const nb_value *g)
{
	const nb_expr *callee = x->kids[0];
	const char *fn = callee->s;
	/* positional argument nodes, with the method receiver first */
	const nb_expr *args[8];
	size_t na = 0;
	if (callee->kind == E_ATTR)
		args[na++] = callee->kids[0];
	for (size_t i = 1; i < x->n && na < 8; i++)
		if (!x->kw[i])
			args[na++] = x->kids[i];
	if (is_constant_fn(fn))
		return 0;
	if (!nb_autodiff_supported(fn))
		return fail(A, callee, "grad: no derivative rule for '%s' (differentiable functions are listed in docs/format.md)", fn);
	nb_err *e = A->e;
	const nb_expr *xa = na > 0 ? args[0] : NULL;
	const nb_value *a = xa ? val(A, xa) : NULL;
	if (!a)
		return 0;
	nb_value *t = NULL;
#define IS(s) (!strcmp(fn, s))
	if (IS("sum") || IS("mean")) {
		int axes[NB_MAXDIM], naxes;
		kw_int_list(A, x, "axis", callee->kind == E_ATTR ? 0 : 1, axes, &naxes);
		int keep = kw_bool(A, x, "keepdims");
		nb_value *sg = spread(g, a, axes, naxes < 0 ? -1 : naxes, naxes < 0 ? 1 : keep, e);
		if (naxes < 0 && sg) {
			/* reduced over everything: g is a scalar */
			nb_unref(sg);
			sg = nb_broadcast_to(g, a->ndim, a->shape, e);
		}
		if (sg && IS("mean")) {
			double m = (double)a->size / (double)(out->size ? out->size : 1);
			nb_value *mv = nb_f64(m);
			t = bin(NB_DIV, sg, mv, e);
			nb_unref(mv);
			nb_unref(sg);
		} else {
			t = sg;
		}
		return pass(A, xa, t);
	}
	if (IS("var") || IS("std")) {
		int axes[NB_MAXDIM], naxes;
		kw_int_list(A, x, "axis", callee->kind == E_ATTR ? 0 : 1, axes, &naxes);
		int keep = kw_bool(A, x, "keepdims");
		double ddof = kw_num(A, x, "ddof", 0);
		nb_value *mean = nb_reduce(NB_RMEAN, a, naxes < 0 ? 0 : naxes, naxes < 0 ? NULL : axes, 1, 0, e);
		nb_value *d = mean ? bin(NB_SUB, a, mean, e) : NULL;
		double m = (double)a->size / (double)(out->size ? out->size : 1);
		nb_value *sc = nb_f64(2.0 / (m - ddof));
		nb_value *dd = d ? bin(NB_MUL, d, sc, e) : NULL;
		nb_value *gg = IS("std") ? (nb_value *)NULL : nb_ref(g);
		if (IS("std")) {
			/* d std = d var / (2 std) */
			nb_value *two = nb_f64(2.0), *den = bin(NB_MUL, out, two, e);
			gg = den ? bin(NB_DIV, g, den, e) : NULL;
			nb_unref(two);
			nb_unref(den);
		}
		nb_value *sg = gg ? spread(gg, a, axes, naxes < 0 ? -1 : naxes, naxes < 0 ? 1 : keep, e) : NULL;
		if (naxes < 0 && sg) {
			nb_unref(sg);
			sg = nb_broadcast_to(gg, a->ndim, a->shape, e);
		}
		t = sg && dd ? bin(NB_MUL, sg, dd, e) : NULL;
		nb_unref(mean);
		nb_unref(d);
		nb_unref(sc);
		nb_unref(dd);
		nb_unref(gg);
		nb_unref(sg);
		return pass(A, xa, t);
	}
	if (IS("softmax") || IS("log_softmax") || IS("logsumexp")) {
		int axis = -1, nax;
		int axv[NB_MAXDIM];
		kw_int_list(A, x, "axis", callee->kind == E_ATTR ? 0 : 1, axv, &nax);
		if (nax == 1)
			axis = axv[0];
		if (IS("softmax")) {
			/* out * (g - sum(g * out, axis)) */
			nb_value *go = bin(NB_MUL, g, out, e), *sg = go ? nb_reduce(NB_RSUM, go, 1, &axis, 1, 0, e) : NULL;
			nb_value *df = sg ? bin(NB_SUB, g, sg, e) : NULL;
			t = df ? bin(NB_MUL, out, df, e) : NULL;
			nb_unref(go);
			nb_unref(sg);
			nb_unref(df);
			return pass(A, xa, t);
		}
		/* softmax of the input, recomputed */
		int ax2;
		if (nb_norm_axis(axis, a->ndim, &ax2, e) < 0)
			return -1;
		nb_value *mx = nb_reduce(NB_RMAX, a, 1, &ax2, 1, 0, e), *sh = mx ? bin(NB_SUB, a, mx, e) : NULL;
		nb_value *ex = sh ? un(NB_EXP, sh, e) : NULL, *sm = ex ? nb_reduce(NB_RSUM, ex, 1, &ax2, 1, 0, e) : NULL;
		nb_value *sf = sm ? bin(NB_DIV, ex, sm, e) : NULL;
		if (IS("log_softmax")) {
			/* g - softmax * sum(g, axis) */
			nb_value *sg = nb_reduce(NB_RSUM, g, 1, &ax2, 1, 0, e), *p = sg && sf ? bin(NB_MUL, sf, sg, e) : NULL;
			t = p ? bin(NB_SUB, g, p, e) : NULL;
			nb_unref(sg);
			nb_unref(p);
		} else {
			/* logsumexp drops the axis: g * softmax with g's axis restored */
			nb_value *ge = nb_expand_dims(g, ax2, e);
			t = ge && sf ? bin(NB_MUL, ge, sf, e) : NULL;
			nb_unref(ge);
		}
		nb_unref(mx);
		nb_unref(sh);
		nb_unref(ex);
		nb_unref(sm);
		nb_unref(sf);
		return pass(A, xa, t);
	}
	if (IS("reshape") || IS("ravel") || IS("flatten") || IS("squeeze") || IS("expand_dims") || IS("array") ||
	    IS("asarray") || IS("float")) {
		int64_t dims[NB_MAXDIM];
		for (int i = 0; i < a->ndim; i++)
			dims[i] = (int64_t)a->shape[i];
		return pass(A, xa, nb_reshape(g, a->ndim, dims, e));
	}
	if (IS("transpose")) {
		int axes[NB_MAXDIM], naxes;
		kw_int_list(A, x, "axes", callee->kind == E_ATTR ? 0 : 1, axes, &naxes);
		if (naxes < 0)
			return pass(A, xa, nb_transpose(g, NULL, e));
		int inv[NB_MAXDIM];
		for (int i = 0; i < naxes; i++)
			inv[axes[i] < 0 ? axes[i] + naxes : axes[i]] = i;
		return pass(A, xa, nb_transpose(g, inv, e));
	}
	if (IS("matmul") || IS("dot")) {
		if (na < 2)
			return 0;
		if (val(A, args[1])->ndim == 0 || a->ndim == 0)
			return binop_back(A, NB_MUL, args[0], args[1], out, g);
		return matmul_back(A, args[0], args[1], g);
	}
	if (IS("outer")) {
		const nb_value *b = val(A, args[1]);
		if (a->ndim != 1 || b->ndim != 1)
			return fail(A, x, "grad: outer is differentiated for 1-D arrays only%s", "");
		if (depends(A, args[0]) && pass(A, args[0], nb_matmul(g, b, e)) < 0)
			return -1;
		if (depends(A, args[1]) && pass(A, args[1], nb_matmul(a, g, e)) < 0)
			return -1;
		return 0;
	}
	if (IS("add") || IS("subtract") || IS("multiply") || IS("divide") || IS("power"))
		return binop_back(A, IS("add") ? NB_ADD : IS("subtract") ? NB_SUB : IS("multiply") ? NB_MUL
					 : IS("divide") ? NB_DIV : NB_POW, args[0], args[1], out, g);
	if (IS("maximum") || IS("minimum")) {
		const nb_value *b = val(A, args[1]);
		nb_value *mask = bin(IS("maximum") ? NB_GE : NB_LE, a, b, e);
		nb_value *z = nb_f64(0);
		if (depends(A, args[0]) && pass_unb(A, args[0], mask ? nb_where(mask, g, z, e) : NULL) < 0) {
			nb_unref(mask);
			nb_unref(z);
			return -1;
		}
		int rc = 0;
		if (depends(A, args[1]))
			rc = pass_unb(A, args[1], mask ? nb_where(mask, z, g, e) : NULL);
		nb_unref(mask);
		nb_unref(z);
		return rc;
	}
	if (IS("where")) {
		const nb_value *c = a;
		nb_value *z = nb_f64(0);
		int rc = 0;
		if (na >= 3 && depends(A, args[1]))
			rc = pass_unb(A, args[1], nb_where(c, g, z, e));
		if (rc == 0 && na >= 3 && depends(A, args[2]))
			rc = pass_unb(A, args[2], nb_where(c, z, g, e));
		nb_unref(z);
		return rc;
	}
	if (IS("clip")) {
		/* the gradient passes where the value was not clipped */
		nb_value *z = nb_f64(0), *same = bin(NB_EQ, a, out, e);
		t = same ? nb_where(same, g, z, e) : NULL;
		nb_unref(z);
		nb_unref(same);
		return pass_unb(A, xa, t);
	}
	if (IS("norm")) {
		for (size_t i = 1; i < x->n; i++)
			if (x->kw[i] || i > 1)
				return fail(A, x, "grad: norm is differentiated in its default form, norm(x), only%s", "");
		nb_value *q = bin(NB_DIV, a, out, e);
		t = q ? bin(NB_MUL, g, q, e) : NULL;
		nb_unref(q);
		return pass(A, xa, t);
	}
	/* element-wise functions: g * f'(a) */
	nb_value *d = NULL;
	if (IS("exp"))
		d = nb_ref(out);
	else if (IS("exp2")) {
		nb_value *l2 = nb_f64(M_LN2);
		d = bin(NB_MUL, out, l2, e);
		nb_unref(l2);
	} else if (IS("expm1")) {
		nb_value *one = nb_f64(1);
		d = bin(NB_ADD, out, one, e);
		nb_unref(one);
	} else if (IS("log") || IS("log2") || IS("log10") || IS("log1p")) {
		nb_value *den = IS("log1p") ? (nb_value *)NULL : nb_ref(a);
		if (IS("log1p")) {
			nb_value *one = nb_f64(1);
			den = bin(NB_ADD, a, one, e);
			nb_unref(one);
		}
		double k = IS("log2") ? M_LN2 : IS("log10") ? M_LN10 : 1.0;
		nb_value *kv = nb_f64(k), *den2 = den ? bin(NB_MUL, den, kv, e) : NULL, *one = nb_f64(1);
		d = den2 ? bin(NB_DIV, one, den2, e) : NULL;
		nb_unref(den);
		nb_unref(den2);
		nb_unref(kv);
		nb_unref(one);
	} else if (IS("sqrt")) {
		nb_value *h = nb_f64(0.5);
		d = bin(NB_DIV, h, out, e);
		nb_unref(h);
	} else if (IS("square")) {
		nb_value *two = nb_f64(2);
		d = bin(NB_MUL, a, two, e);
		nb_unref(two);
	} else if (IS("sin")) {
		d = un(NB_COS, a, e);
	} else if (IS("cos")) {
		nb_value *s = un(NB_SIN, a, e);
		d = s ? un(NB_NEG, s, e) : NULL;
		nb_unref(s);
	} else if (IS("tan") || IS("tanh")) {
		nb_value *sq = bin(NB_MUL, out, out, e), *one = nb_f64(1);
		d = sq ? bin(IS("tan") ? NB_ADD : NB_SUB, one, sq, e) : NULL;
		nb_unref(sq);
		nb_unref(one);
	} else if (IS("sinh")) {
		d = un(NB_COSH, a, e);
	} else if (IS("cosh")) {
		d = un(NB_SINH, a, e);
	} else if (IS("arctan") || IS("arcsin") || IS("arccos")) {
		nb_value *sq = bin(NB_MUL, a, a, e), *one = nb_f64(1);
		nb_value *den = sq ? bin(IS("arctan") ? NB_ADD : NB_SUB, one, sq, e) : NULL;
		if (den && !IS("arctan")) {
			nb_value *r = un(NB_SQRT, den, e);
			nb_unref(den);
			den = r;
		}
		d = den ? bin(NB_DIV, one, den, e) : NULL;
		if (d && IS("arccos")) {
			nb_value *nd = un(NB_NEG, d, e);
			nb_unref(d);
			d = nd;
		}
		nb_unref(sq);
		nb_unref(one);
		nb_unref(den);
	} else if (IS("abs") || IS("absolute")) {
		d = un(NB_SIGN, a, e);
	} else if (IS("negative")) {
		d = nb_f64(-1);
	} else if (IS("relu") || IS("heaviside")) {
		if (IS("heaviside"))
			return 0;
		nb_value *z = nb_f64(0), *pos = bin(NB_GT, a, z, e);
		d = pos ? nb_astype(pos, NB_F64, e) : NULL;
		nb_unref(z);
		nb_unref(pos);
	} else if (IS("leaky_relu")) {
		double alpha = kw_num(A, x, "alpha", 0.1);
		if (na > 1)
			alpha = nb_get_f64(val(A, args[1]), 0);
		nb_value *z = nb_f64(0), *pos = bin(NB_GT, a, z, e), *one = nb_f64(1), *al = nb_f64(alpha);
		d = pos ? nb_where(pos, one, al, e) : NULL;
		nb_unref(z);
		nb_unref(pos);
		nb_unref(one);
		nb_unref(al);
	} else if (IS("sigmoid")) {
		/* out * (1 - out) */
		nb_value *one = nb_f64(1), *om = bin(NB_SUB, one, out, e);
		d = om ? bin(NB_MUL, out, om, e) : NULL;
		nb_unref(one);
		nb_unref(om);
	} else if (IS("softplus")) {
		/* sigmoid(a) = 1 - exp(-out) */
		nb_value *n_ = un(NB_NEG, out, e), *ex = n_ ? un(NB_EXP, n_, e) : NULL, *one = nb_f64(1);
		d = ex ? bin(NB_SUB, one, ex, e) : NULL;
		nb_unref(n_);
		nb_unref(ex);
		nb_unref(one);
	} else {
		/* sign, floor, ceil, round, rint, trunc: zero almost everywhere */
		return 0;
	}
	t = d ? bin(NB_MUL, g, d, e) : NULL;
	nb_unref(d);
	return pass_unb(A, xa, t);
#undef IS
}

static int index_back(ad *A, const nb_expr *x, const nb_value *g)
{
	/* index an array of flat positions the same way, then scatter-add g */
	const nb_expr *xb = x->kids[0];
	const nb_value *base = val(A, xb);
	nb_err *e = A->e;
	nb_value *iota = nb_arange(0, (double)base->size, 1, 1, e);
	if (!iota)
		return at(A, x, NULL, &iota);
	int64_t dims[NB_MAXDIM];
	for (int i = 0; i < base->ndim; i++)
		dims[i] = (int64_t)base->shape[i];
	nb_value *shaped = nb_reshape(iota, base->ndim, dims, e);
	nb_unref(iota);
	if (!shaped)
		return -1;
	/* evaluate the same subscripts (recorded values) */
	size_t n = x->n - 1;
	nb_index *ix = nb_xcalloc(n ? n : 1, sizeof *ix);
	for (size_t k = 0; k < n; k++) {
		const nb_expr *s = x->kids[k + 1];
		if (s->kind == E_SLICE) {
			ix[k].kind = NB_IDX_SLICE;
			for (int q = 0; q < 3; q++) {
				const nb_expr *p = s->kids[q];
				if (!p || p->kind == E_NONE)
					continue;
				int64_t v = nb_get_i64(val(A, p), 0);
				if (q == 0) {
					ix[k].has_start = 1;
					ix[k].start = v;
				} else if (q == 1) {
					ix[k].has_stop = 1;
					ix[k].stop = v;
				} else {
					ix[k].has_step = 1;
					ix[k].step = v;
				}
			}
		} else if (s->kind == E_NONE || ((s->kind == E_NAME || s->kind == E_BUILTIN) && !strcmp(s->s, "newaxis"))) {
			ix[k].kind = NB_IDX_NEWAXIS;
		} else if (s->kind == E_ELLIPSIS) {
			ix[k].kind = NB_IDX_ELLIPSIS;
		} else {
			const nb_value *v = val(A, s);
			if (v->ndim == 0 && v->dtype == NB_I64) {
				ix[k].kind = NB_IDX_INT;
				ix[k].i = nb_i64p(v)[0];
			} else {
				ix[k].kind = NB_IDX_ARRAY;
				ix[k].arr = v;
			}
		}
	}
	nb_value *pos = nb_getindex(shaped, (int)n, ix, e);
	free(ix);
	nb_unref(shaped);
	if (!pos)
		return -1;
	nb_value *acc = nb_array_new(NB_F64, base->ndim, base->shape, e);
	nb_value *gb = acc ? nb_broadcast_to(g, pos->ndim, pos->shape, e) : NULL;
	if (!gb) {
		nb_unref(pos);
		nb_unref(acc);
		return -1;
	}
	for (size_t i = 0; i < pos->size; i++)
		nb_f64p(acc)[nb_i64p(pos)[i]] += nb_get_f64(gb, i);
	nb_unref(pos);
	nb_unref(gb);
	return pass(A, xb, acc);
}

static int backprop(ad *A, const nb_expr *x, const nb_value *g)
{
	if (!depends(A, x))
		return 0;
	nb_err *e = A->e;
	const nb_value *out = val(A, x);
	switch (x->kind) {
	case E_NAME: {
		int i = wrt_index(A, x->s);
		nb_value *gf = nb_astype(g, NB_F64, e);
		if (!gf)
			return -1;
		if (!A->acc[i]) {
			A->acc[i] = gf;
			return 0;
		}
		nb_value *s = nb_binary(NB_ADD, A->acc[i], gf, e);
		nb_unref(gf);
		if (!s)
			return -1;
		nb_unref(A->acc[i]);
		A->acc[i] = s;
		return 0;
	}
	case E_BIN:
		return binop_back(A, x->op, x->kids[0], x->kids[1], out, g);
	case E_MATMUL:
		return matmul_back(A, x->kids[0], x->kids[1], g);
	case E_UN:
		if (x->op == NB_NEG)
			return pass(A, x->kids[0], un(NB_NEG, g, e));
		if (x->op == NB_POS)
			return backprop(A, x->kids[0], g);
		return 0;
	case E_ATTR:
		if (!strcmp(x->s, "T"))
			return pass(A, x->kids[0], nb_transpose(g, NULL, e));
		return 0;
	case E_INDEX:
		return index_back(A, x, g);
	case E_LIST: case E_TUPLE:
		for (size_t i = 0; i < x->n; i++) {
			if (!depends(A, x->kids[i]))
				continue;
			nb_index ix = {.kind = NB_IDX_INT, .i = (int64_t)i};
			if (pass(A, x->kids[i], nb_getindex(g, 1, &ix, e)) < 0)
				return -1;
		}
		return 0;
	case E_CALL:
		return call_back(A, x, out, g);
	default:
		return fail(A, x, "grad: cannot differentiate this expression%s", "");
	}
}

int nb_jacobian(const nb_expr *f, nb_lookup_fn lookup, void *ctx, size_t n, const char *const *wrt, nb_value **out,
		nb_value **fval, size_t *errpos, nb_err *e)
{
	size_t dummy;
	ad A = {0};
	A.nwrt = n;
	A.wrt = wrt;
	A.e = e;
	A.errpos = errpos ? errpos : &dummy;
	*A.errpos = (size_t)-1;
	A.acc = nb_xcalloc(n ? n : 1, sizeof *A.acc);
	int rc = -1;
	const nb_value **vars = nb_xcalloc(n ? n : 1, sizeof *vars);
	nb_value *fv = nb_expr_eval_rec(f, lookup, ctx, record, &A, A.errpos, e);
	if (!fv)
		goto done;
	if (!nb_is_array(fv)) {
		nb_err_set(e, NB_NOLOC, "grad: the expression must give a number or an array, not a string");
		*A.errpos = f->pos;
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		vars[i] = lookup(ctx, wrt[i]);
		if (!vars[i] || !nb_is_array(vars[i])) {
			nb_err_set(e, NB_NOLOC, "grad: '%s' must name an array in the state", wrt[i]);
			*A.errpos = f->pos;
			goto done;
		}
		int nd = fv->ndim + vars[i]->ndim;
		if (nd > NB_MAXDIM) {
			nb_err_set(e, NB_NOLOC, "grad: the Jacobian would have more than %d dimensions", NB_MAXDIM);
			goto done;
		}
		size_t shape[NB_MAXDIM];
		memcpy(shape, fv->shape, (size_t)fv->ndim * sizeof *shape);
		memcpy(shape + fv->ndim, vars[i]->shape, (size_t)vars[i]->ndim * sizeof *shape);
		out[i] = nb_array_new(NB_F64, nd, shape, e);
		if (!out[i])
			goto done;
	}
	/* one backward pass per element of f (one in all for a scalar) */
	for (size_t k = 0; k < fv->size; k++) {
		nb_value *seed = nb_array_new(NB_F64, fv->ndim, fv->shape, e);
		if (!seed)
			goto done;
		nb_f64p(seed)[k] = 1.0;
		for (size_t i = 0; i < n; i++) {
			nb_unref(A.acc[i]);
			A.acc[i] = NULL;
		}
		int r = backprop(&A, f, seed);
		nb_unref(seed);
		if (r < 0) {
			if (*A.errpos == (size_t)-1)
				*A.errpos = f->pos;
			goto done;
		}
		for (size_t i = 0; i < n; i++) {
			size_t m = vars[i]->size;
			if (!A.acc[i])
				continue; /* f does not depend on it: zeros */
			nb_value *gi = unbroadcast(A.acc[i], vars[i]->ndim, vars[i]->shape, e);
			if (!gi)
				goto done;
			memcpy(nb_f64p(out[i]) + k * m, nb_f64p(gi), m * sizeof(double));
			nb_unref(gi);
		}
	}
	rc = 0;
done:
	if (rc < 0)
		for (size_t i = 0; i < n; i++) {
			nb_unref(out[i]);
			out[i] = NULL;
		}
	for (size_t i = 0; i < n; i++)
		nb_unref(A.acc[i]);
	free(A.acc);
	for (size_t i = 0; i < A.n; i++)
		nb_unref(A.r[i].v);
	free(A.r);
	free(vars);
	if (fval && rc == 0)
		*fval = fv;
	else
		nb_unref(fv);
	return rc;
}
