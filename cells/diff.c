/*
 * diff.c - derivatives: exact (reverse-mode automatic differentiation of
 * the expression) and by finite differences, which teaching notebooks
 * compare with each other.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../runner/kernel.h"
#include "../runner/ops.h"

static const nb_output no_outs[] = {{NULL}};

/* The evaluation point: 'at' bindings override state values. */
typedef struct point {
	size_t n;
	const char **names;
	nb_value **vals;
	nb_locals loc;
} point;

static int point_init(nb_call *c, point *p)
{
	p->n = nb_arg_nbind(c, "at");
	p->names = nb_xcalloc(p->n ? p->n : 1, sizeof *p->names);
	p->vals = nb_xcalloc(p->n ? p->n : 1, sizeof *p->vals);
	for (size_t i = 0; i < p->n; i++) {
		p->names[i] = nb_arg_bind_key(c, "at", i);
		if (!(p->vals[i] = nb_arg_bind_eval(c, "at", i, NULL)))
			return -1;
	}
	p->loc = (nb_locals){p->n, p->names, p->vals};
	return 0;
}

static void point_free(point *p)
{
	for (size_t i = 0; i < p->n; i++)
		nb_unref(p->vals[i]);
	free(p->names);
	free(p->vals);
}

static int derivative(nb_call *c, int want_scalar)
{
	size_t n = nb_arg_nbind(c, "wrt");
	const char **wrt = nb_xcalloc(n ? n : 1, sizeof *wrt);
	nb_value **out = nb_xcalloc(n ? n : 1, sizeof *out);
	nb_value *fv = NULL;
	point p = {0};
	int rc = -1;
	for (size_t i = 0; i < n; i++)
		wrt[i] = nb_arg_bind_key(c, "wrt", i);
	if (point_init(c, &p) < 0)
		goto out;
	if (nb_call_jacobian(c, "f", n, wrt, &p.loc, out, &fv) < 0)
		goto out;
	if (want_scalar && fv->size != 1) {
		nb_buf b = NB_BUF_INIT;
		nb_shape_str(fv->ndim, fv->shape, &b);
		nb_fail(c, "f", "grad needs a scalar function, but f has shape %s (use the jacobian kernel)", nb_buf_str(&b));
		nb_buf_release(&b);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		nb_bind(c, nb_arg_bind_target(c, "wrt", i), out[i]);
		out[i] = NULL;
	}
	rc = 0;
out:
	for (size_t i = 0; i < n; i++)
		nb_unref(out[i]);
	nb_unref(fv);
	point_free(&p);
	free(out);
	free(wrt);
	return rc;
}

static int k_grad(nb_call *c) { return derivative(c, 1); }
static int k_jacobian(nb_call *c) { return derivative(c, 0); }

static const nb_param grad_params[] = {
	{"f", NB_P_EXPR, NULL, "the function: an expression over names in the state", NULL},
	{"wrt", NB_P_RENAME, NULL, "NAME: RESULT pairs: the derivative with respect to NAME is bound to RESULT", NULL},
	{"at", NB_P_BINDINGS, NB_OPTIONAL, "NAME: value pairs evaluated in place of state values (the point)", "local"},
	{NULL}};

const nb_kernel nb_k_diff_grad = {
	"diff.grad", "exact gradient of a scalar expression (reverse-mode automatic differentiation)", grad_params,
	no_outs, 0, k_grad,
	"Each RESULT has the shape of its NAME. The derivative is exact: the expression is differentiated "
	"operation by operation, undoing numpy's broadcasting, with no step size.",
	"- grad:\n    f: \"sum((y_true - (m * x + b)) ** 2)\"\n    wrt: {m: dL_dm, b: dL_db}\n"};
const nb_kernel nb_k_diff_jacobian = {
	"diff.jacobian", "exact Jacobian of an array expression (reverse-mode automatic differentiation)", grad_params,
	no_outs, 0, k_jacobian,
	"RESULT has shape f.shape + NAME.shape: element [i..., j...] is d f[i...] / d NAME[j...].",
	"- jacobian:\n    f: \"X @ W1.T @ W2.T\"\n    wrt: {W1: J1, W2: J2}\n"};

/* Finite differences: forward (f(x+h) - f(x))/h, backward, or central (f(x+h) - f(x-h))/2h. */
static int k_finite_diff(nb_call *c)
{
	size_t n = nb_arg_nbind(c, "wrt");
	double h = nb_arg_num(c, "step");
	const char *method = nb_arg_str(c, "method");
	if (!(h > 0) || !isfinite(h))
		return nb_fail(c, "step", "the step must be a positive number, got %g", h);
	const nb_expr *f = nb_arg_expr(c, "f");
	point p = {0};
	int rc = -1;
	if (point_init(c, &p) < 0)
		goto out;
	/* locals: the 'at' point plus one slot for the perturbed variable */
	const char **names = nb_xcalloc(p.n + 1, sizeof *names);
	nb_value **vals = nb_xcalloc(p.n + 1, sizeof *vals);
	for (size_t i = 0; i < p.n; i++) {
		names[i] = p.names[i];
		vals[i] = p.vals[i];
	}
	nb_locals base = {p.n, names, vals}, pert = {p.n + 1, names, vals};
	nb_value *f0 = nb_eval_local(c, f, "f", &base);
	if (!f0)
		goto out2;
	if (!nb_is_array(f0)) {
		nb_fail(c, "f", "the function must give a number or an array");
		nb_unref(f0);
		goto out2;
	}
	for (size_t w = 0; w < n; w++) {
		const char *name = nb_arg_bind_key(c, "wrt", w);
		const nb_value *x0 = NULL;
		for (size_t i = 0; i < p.n; i++)
			if (!strcmp(p.names[i], name))
				x0 = p.vals[i];
		if (!x0)
			x0 = nb_lookup(c, name);
		if (!nb_is_array(x0)) {
			nb_fail(c, "wrt", "'%s' must name an array", name);
			nb_unref(f0);
			goto out2;
		}
		nb_err e = NB_ERR_INIT;
		size_t shape[NB_MAXDIM];
		int nd = f0->ndim + x0->ndim;
		if (nd > NB_MAXDIM) {
			nb_fail(c, "wrt", "the result would have more than %d dimensions", NB_MAXDIM);
			nb_unref(f0);
			goto out2;
		}
		memcpy(shape, f0->shape, (size_t)f0->ndim * sizeof *shape);
		memcpy(shape + f0->ndim, x0->shape, (size_t)x0->ndim * sizeof *shape);
		nb_value *res = nb_array_new(NB_F64, nd, shape, &e);
		nb_value *xv = res ? nb_astype(x0, NB_F64, &e) : NULL;
		if (!xv) {
			nb_unref(res);
			nb_unref(f0);
			nb_fail_err(c, "wrt", &e);
			goto out2;
		}
		names[p.n] = name;
		for (size_t j = 0; j < x0->size; j++) {
			double fwd = 1, bwd = 1;
			if (!strcmp(method, "forward"))
				bwd = 0;
			else if (!strcmp(method, "backward"))
				fwd = 0;
			nb_value *fp = NULL, *fm = NULL;
			for (int side = 0; side < 2; side++) {
				double sgn = side == 0 ? fwd : -bwd;
				nb_value *xp = nb_copy(xv, &e);
				nb_f64p(xp)[j] += sgn * h;
				vals[p.n] = xp;
				nb_value *fx = sgn != 0 ? nb_eval_local(c, f, "f", &pert) : nb_ref(f0);
				nb_unref(xp);
				vals[p.n] = NULL;
				if (!fx) {
					nb_unref(fp);
					nb_unref(res);
					nb_unref(xv);
					nb_unref(f0);
					goto out2;
				}
				if (side == 0)
					fp = fx;
				else
					fm = fx;
			}
			double den = (fwd + bwd) * h;
			size_t m = x0->size;
			for (size_t k = 0; k < f0->size; k++)
				nb_f64p(res)[k * m + j] = (nb_get_f64(fp, k) - nb_get_f64(fm, k)) / den;
			nb_unref(fp);
			nb_unref(fm);
		}
		nb_unref(xv);
		nb_bind(c, nb_arg_bind_target(c, "wrt", w), res);
	}
	nb_unref(f0);
	rc = 0;
out2:
	free(names);
	free(vals);
out:
	point_free(&p);
	return rc;
}

static const nb_param fd_params[] = {
	{"f", NB_P_EXPR, NULL, "the function: an expression over names in the state", NULL},
	{"wrt", NB_P_RENAME, NULL, "NAME: RESULT pairs: the estimated derivative with respect to NAME is bound to RESULT", NULL},
	{"step", NB_P_NUMBER, "1e-6", "the step h", NULL},
	{"method", NB_P_CHOICE, "central", "central (f(x+h) - f(x-h))/2h, forward or backward differences", "central forward backward"},
	{"at", NB_P_BINDINGS, NB_OPTIONAL, "NAME: value pairs evaluated in place of state values (the point)", "local"},
	{NULL}};

const nb_kernel nb_k_diff_finite_diff = {
	"diff.finite_diff", "derivatives estimated by finite differences", fd_params, no_outs, 0, k_finite_diff,
	"Perturbs one element at a time; RESULT has shape f.shape + NAME.shape, like the jacobian kernel's.",
	"- finite_diff:\n    f: \"sum((y_true - (m * x + b)) ** 2)\"\n    wrt: {m: dL_dm_fd}\n    step: 1e-5\n"};
