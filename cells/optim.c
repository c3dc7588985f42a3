/*
 * optim.c - the optimisers of the udlbook chapter-6 notebooks, over a loss
 * written as an expression: gradient descent, the udlbook line search,
 * stochastic gradient descent on mini-batches, momentum, Nesterov momentum,
 * Adam and normalised gradients.  Every run records its trajectory.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../runner/kernel.h"
#include "../runner/ops.h"
#include "../runner/random.h"

static const nb_output no_outs[] = {{NULL}};

typedef struct opt {
	nb_call *c;
	size_t np;                 /* parameters */
	const char **pname;
	nb_value **p;              /* current values (float64) */
	size_t nd;                 /* data arrays */
	const char **dname;
	nb_value **data, **batch;
	/* locals = parameters then (batched) data */
	const char **lname;
	nb_value **lval;
	nb_locals loc;
	int finite;
	double fd_step;
} opt;

static void sync_locals(opt *o)
{
	for (size_t i = 0; i < o->np; i++)
		o->lval[i] = o->p[i];
	for (size_t i = 0; i < o->nd; i++)
		o->lval[o->np + i] = o->batch[i] ? o->batch[i] : o->data[i];
}

static int loss_at(opt *o, double *out)
{
	sync_locals(o);
	nb_value *v = nb_eval_local(o->c, nb_arg_expr(o->c, "loss"), "loss", &o->loc);
	if (!v)
		return -1;
	if (!nb_is_array(v) || v->size != 1) {
		nb_unref(v);
		return nb_fail(o->c, "loss", "the loss must be a single number");
	}
	*out = nb_get_f64(v, 0);
	nb_unref(v);
	return 0;
}

/* Gradients at the current parameters: exact, or central differences. */
static int gradients(opt *o, nb_value **g, double *loss)
{
	sync_locals(o);
	if (!o->finite) {
		nb_value *fv = NULL;
		if (nb_call_jacobian(o->c, "loss", o->np, o->pname, &o->loc, g, &fv) < 0)
			return -1;
		int bad = fv->size != 1;
		*loss = nb_get_f64(fv, 0);
		nb_unref(fv);
		if (bad)
			return nb_fail(o->c, "loss", "the loss must be a single number");
		return 0;
	}
	if (loss_at(o, loss) < 0)
		return -1;
	for (size_t i = 0; i < o->np; i++) {
		nb_err e = NB_ERR_INIT;
		g[i] = nb_array_like(o->p[i], NB_F64, &e);
		if (!g[i])
			return nb_fail_err(o->c, "init", &e);
		for (size_t j = 0; j < o->p[i]->size; j++) {
			double x = nb_f64p(o->p[i])[j], lp, lm;
			nb_f64p(o->p[i])[j] = x + o->fd_step;
			int r = loss_at(o, &lp);
			nb_f64p(o->p[i])[j] = x - o->fd_step;
			r = r < 0 ? r : loss_at(o, &lm);
			nb_f64p(o->p[i])[j] = x;
			if (r < 0)
				return -1;
			nb_f64p(g[i])[j] = (lp - lm) / (2 * o->fd_step);
		}
	}
	return 0;
}

/* The udlbook line search along direction dir from the current point (4-point trisection). */
static int line_search(opt *o, nb_value **dir, double max_dist, double thresh, int max_iter, double *alpha)
{
	double a = 0, b = 0.33 * max_dist, c = 0.66 * max_dist, d = max_dist;
	nb_value **base = nb_xcalloc(o->np, sizeof *base);
	nb_err e = NB_ERR_INIT;
	int rc = 0;
	for (size_t i = 0; i < o->np; i++)
		base[i] = nb_copy(o->p[i], &e);
	int n_iter = 0;
	while (fabs(b - c) > thresh && n_iter < max_iter) {
		n_iter++;
		double pts[4] = {a, b, c, d}, loss[4];
		for (int k = 0; k < 4; k++) {
			for (size_t i = 0; i < o->np; i++)
				for (size_t j = 0; j < base[i]->size; j++)
					nb_f64p(o->p[i])[j] = nb_f64p(base[i])[j] + pts[k] * nb_f64p(dir[i])[j];
			if (loss_at(o, &loss[k]) < 0) {
				rc = -1;
				goto out;
			}
		}
		/* rule 1: a is lowest (numpy's argmin takes the first minimum) */
		int am = 0;
		for (int k = 1; k < 4; k++)
			if (loss[k] < loss[am])
				am = k;
		if (am == 0) {
			b /= 2;
			c /= 2;
			d /= 2;
			continue;
		}
		if (loss[1] < loss[2]) {
			d = c;
			b = a + (d - a) / 3;
			c = a + 2 * (d - a) / 3;
			continue;
		}
		a = b;
		b = a + (d - a) / 3;
		c = a + 2 * (d - a) / 3;
	}
	*alpha = (b + c) / 2.0;
out:
	for (size_t i = 0; i < o->np; i++) {
		if (base[i])
			memcpy(o->p[i]->data, base[i]->data, base[i]->size * sizeof(double));
		nb_unref(base[i]);
	}
	free(base);
	return rc;
}

/* Select rows idx[0..n) of every data array (along axis 0). */
static int make_batch(opt *o, const int64_t *idx, size_t n)
{
	nb_err e = NB_ERR_INIT;
	size_t dims = n;
	nb_value *iv = nb_array_new(NB_I64, 1, &dims, &e);
	if (!iv)
		return nb_fail_err(o->c, "batch_size", &e);
	memcpy(iv->data, idx, n * sizeof *idx);
	for (size_t k = 0; k < o->nd; k++) {
		nb_unref(o->batch[k]);
		nb_index ix = {.kind = NB_IDX_ARRAY, .arr = iv};
		o->batch[k] = nb_getindex(o->data[k], 1, &ix, &e);
		if (!o->batch[k]) {
			nb_unref(iv);
			return nb_fail_err(o->c, "data", &e);
		}
	}
	nb_unref(iv);
	return 0;
}

static void permute(nb_rng *r, int64_t *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		a[i] = (int64_t)i;
	for (size_t i = n > 0 ? n - 1 : 0; i >= 1; i--) {
		size_t j = (size_t)nb_rng_interval(r, i);
		int64_t t = a[i];
		a[i] = a[j];
		a[j] = t;
	}
}

enum { H_PARAM, H_LOSS, H_GRAD };

static int k_optimize(nb_call *c)
{
	opt o = {0};
	o.c = c;
	const char *method = nb_arg_str(c, "method");
	int64_t steps = nb_arg_int(c, "steps");
	double lr = nb_arg_num(c, "lr"), beta = nb_arg_num(c, "beta"), gamma = nb_arg_num(c, "gamma");
	double eps = nb_arg_num(c, "eps");
	o.finite = !strcmp(nb_arg_str(c, "gradient"), "finite");
	o.fd_step = nb_arg_num(c, "fd_step");
	int rc = -1;
	if (steps < 0 || (uint64_t)steps > 100000000)
		return nb_fail(c, "steps", "steps must be from 0 to 10**8, got %lld", (long long)steps);
	if (!(o.fd_step > 0))
		return nb_fail(c, "fd_step", "the finite-difference step must be positive");
	o.np = nb_arg_nbind(c, "init");
	o.nd = nb_arg_nbind(c, "data");
	if (o.np == 0)
		return nb_fail(c, "init", "give at least one parameter to optimise");
	o.pname = nb_xcalloc(o.np, sizeof *o.pname);
	o.p = nb_xcalloc(o.np, sizeof *o.p);
	o.dname = nb_xcalloc(o.nd ? o.nd : 1, sizeof *o.dname);
	o.data = nb_xcalloc(o.nd ? o.nd : 1, sizeof *o.data);
	o.batch = nb_xcalloc(o.nd ? o.nd : 1, sizeof *o.batch);
	o.lname = nb_xcalloc(o.np + o.nd, sizeof *o.lname);
	o.lval = nb_xcalloc(o.np + o.nd, sizeof *o.lval);
	o.loc = (nb_locals){o.np + o.nd, o.lname, o.lval};
	nb_value **g = nb_xcalloc(o.np, sizeof *g), **m = nb_xcalloc(o.np, sizeof *m), **v = nb_xcalloc(o.np, sizeof *v);
	size_t nh = nb_arg_nbind(c, "history"), ns = (size_t)steps;
	int *hkind = nb_xcalloc(nh ? nh : 1, sizeof *hkind);
	size_t *hidx = nb_xcalloc(nh ? nh : 1, sizeof *hidx);
	nb_value ***hist = nb_xcalloc(nh ? nh : 1, sizeof *hist);
	int64_t *perm = NULL;
	size_t filled = 0;
	nb_err e = NB_ERR_INIT;
	for (size_t i = 0; i < o.np; i++) {
		o.pname[i] = o.lname[i] = nb_arg_bind_key(c, "init", i);
		nb_value *x = nb_arg_bind_eval(c, "init", i, NULL);
		if (!x)
			goto out;
		if (!nb_is_array(x)) {
			nb_unref(x);
			nb_fail(c, "init", "'%s' must start as a number or an array", o.pname[i]);
			goto out;
		}
		o.p[i] = nb_astype(x, NB_F64, &e);
		nb_unref(x);
		if (o.p[i] && o.p[i]->refs > 1) { /* take a private copy: it is updated in place */
			nb_value *cp = nb_copy(o.p[i], &e);
			nb_unref(o.p[i]);
			o.p[i] = cp;
		}
		m[i] = o.p[i] ? nb_array_like(o.p[i], NB_F64, &e) : NULL;
		v[i] = m[i] ? nb_array_like(o.p[i], NB_F64, &e) : NULL;
		if (!v[i]) {
			nb_fail_err(c, "init", &e);
			goto out;
		}
	}
	size_t ndata = 0;
	for (size_t k = 0; k < o.nd; k++) {
		o.dname[k] = o.lname[o.np + k] = nb_arg_bind_key(c, "data", k);
		if (!(o.data[k] = nb_arg_bind_eval(c, "data", k, NULL)))
			goto out;
		if (!nb_is_array(o.data[k]) || o.data[k]->ndim == 0) {
			nb_fail(c, "data", "'%s' must be an array whose first axis indexes the examples", o.dname[k]);
			goto out;
		}
		if (k == 0)
			ndata = o.data[k]->shape[0];
		else if (o.data[k]->shape[0] != ndata) {
			nb_fail(c, "data", "'%s' has %zu examples but '%s' has %zu", o.dname[k], o.data[k]->shape[0], o.dname[0], ndata);
			goto out;
		}
	}
	int64_t bs = nb_arg_given(c, "batch_size") ? nb_arg_int(c, "batch_size") : 0;
	if (bs && !o.nd) {
		nb_fail(c, "batch_size", "mini-batches need the data arrays, given under 'data'");
		goto out;
	}
	if (bs < 0 || (size_t)bs > ndata) {
		nb_fail(c, "batch_size", "the batch size must be from 1 to the number of examples (%zu)", ndata);
		goto out;
	}
	int per_epoch = !strcmp(nb_arg_str(c, "batching"), "per_epoch");
	for (size_t h = 0; h < nh; h++) {
		const char *key = nb_arg_bind_key(c, "history", h);
		hkind[h] = -1;
		if (!strcmp(key, "loss"))
			hkind[h] = H_LOSS;
		for (size_t i = 0; i < o.np; i++) {
			if (!strcmp(key, o.pname[i])) {
				hkind[h] = H_PARAM;
				hidx[h] = i;
			} else if (!strncmp(key, "grad_", 5) && !strcmp(key + 5, o.pname[i])) {
				hkind[h] = H_GRAD;
				hidx[h] = i;
			}
		}
		if (hkind[h] < 0) {
			nb_fail(c, "history", "'%s' is not a parameter, 'loss' or 'grad_' + a parameter", key);
			goto out;
		}
		hist[h] = nb_xcalloc(ns + 1, sizeof **hist);
	}
	if (bs)
		perm = nb_xcalloc(ndata, sizeof *perm);
	nb_rng *r = nb_call_rng(c);
	size_t epoch_pos = ndata; /* forces a permutation before the first batch */
	for (size_t t = 0; t <= ns; t++) {
		/* the batch for this step (the last loop pass only records) */
		if (bs && t < ns) {
			if (!per_epoch) {
				permute(r, perm, ndata);
				if (make_batch(&o, perm, (size_t)bs) < 0)
					goto out;
			} else {
				if (epoch_pos + (size_t)bs > ndata) {
					permute(r, perm, ndata);
					epoch_pos = 0;
				}
				if (make_batch(&o, perm + epoch_pos, (size_t)bs) < 0)
					goto out;
				epoch_pos += (size_t)bs;
			}
		}
		double loss;
		int is_last = t == ns;
		if (is_last && bs)
			for (size_t k = 0; k < o.nd; k++) {
				nb_unref(o.batch[k]);
				o.batch[k] = NULL; /* the final loss and gradient are over all the data */
			}
		for (size_t i = 0; i < o.np; i++) {
			nb_unref(g[i]);
			g[i] = NULL;
		}
		int nesterov = !strcmp(method, "nesterov");
		if (nesterov && !is_last) {
			/* the gradient at the look-ahead point phi - lr * beta * m */
			for (size_t i = 0; i < o.np; i++)
				for (size_t j = 0; j < o.p[i]->size; j++)
					nb_f64p(o.p[i])[j] -= lr * beta * nb_f64p(m[i])[j];
			int gr = gradients(&o, g, &loss);
			for (size_t i = 0; i < o.np; i++)
				for (size_t j = 0; j < o.p[i]->size; j++)
					nb_f64p(o.p[i])[j] += lr * beta * nb_f64p(m[i])[j];
			if (gr < 0 || loss_at(&o, &loss) < 0)
				goto out;
		} else if (gradients(&o, g, &loss) < 0) {
			goto out;
		}
		if (bs && !is_last) {
			/* record the loss over all the data, not over the batch */
			nb_value **keep = nb_xcalloc(o.nd, sizeof *keep);
			for (size_t k = 0; k < o.nd; k++) {
				keep[k] = o.batch[k];
				o.batch[k] = NULL;
			}
			int lr_ = loss_at(&o, &loss);
			for (size_t k = 0; k < o.nd; k++)
				o.batch[k] = keep[k];
			free(keep);
			if (lr_ < 0)
				goto out;
		}
		for (size_t h = 0; h < nh; h++) {
			if (hkind[h] == H_LOSS)
				hist[h][t] = nb_f64(loss);
			else if (hkind[h] == H_PARAM)
				hist[h][t] = nb_copy(o.p[hidx[h]], &e);
			else
				hist[h][t] = nb_copy(g[hidx[h]], &e);
		}
		filled = t + 1;
		if (is_last)
			break;
		/* the update */
		double step = lr;
		if (!strcmp(method, "linesearch")) {
			nb_value **dir = nb_xcalloc(o.np, sizeof *dir);
			for (size_t i = 0; i < o.np; i++) {
				dir[i] = nb_unary(NB_NEG, g[i], &e);
			}
			int lr_ = line_search(&o, dir, nb_arg_num(c, "max_dist"), nb_arg_num(c, "thresh"),
					      (int)nb_arg_int(c, "max_iter"), &step);
			for (size_t i = 0; i < o.np; i++)
				nb_unref(dir[i]);
			free(dir);
			if (lr_ < 0)
				goto out;
		}
		for (size_t i = 0; i < o.np; i++) {
			double *p = nb_f64p(o.p[i]), *gi = nb_f64p(g[i]), *mi = nb_f64p(m[i]), *vi = nb_f64p(v[i]);
			for (size_t j = 0; j < o.p[i]->size; j++) {
				if (!strcmp(method, "gd") || !strcmp(method, "linesearch")) {
					p[j] -= step * gi[j];
				} else if (!strcmp(method, "momentum") || !strcmp(method, "nesterov")) {
					mi[j] = beta * mi[j] + (1 - beta) * gi[j];
					p[j] -= lr * mi[j];
				} else if (!strcmp(method, "adam")) {
					mi[j] = beta * mi[j] + (1 - beta) * gi[j];
					vi[j] = gamma * vi[j] + (1 - gamma) * gi[j] * gi[j];
					double mt = mi[j] / (1 - pow(beta, (double)(t + 1)));
					double vt = vi[j] / (1 - pow(gamma, (double)(t + 1)));
					p[j] -= lr * mt / (sqrt(vt) + eps);
				} else { /* normalized */
					p[j] -= lr * gi[j] / (sqrt(gi[j] * gi[j]) + eps);
				}
			}
		}
		if ((t & 255) == 0)
			nb_progress(c, (double)t / (double)ns);
	}
	for (size_t h = 0; h < nh; h++) {
		nb_value *s = nb_stack(ns + 1, hist[h], 0, &e);
		if (!s) {
			nb_fail_err(c, "history", &e);
			goto out;
		}
		nb_bind(c, nb_arg_bind_target(c, "history", h), s);
	}
	for (size_t i = 0; i < o.np; i++) {
		nb_bind(c, o.pname[i], o.p[i]);
		o.p[i] = NULL;
	}
	rc = 0;
out:
	for (size_t h = 0; h < nh; h++) {
		for (size_t t = 0; hist[h] && t < filled; t++)
			nb_unref(hist[h][t]);
		free(hist[h]);
	}
	for (size_t i = 0; i < o.np; i++) {
		nb_unref(o.p[i]);
		nb_unref(g[i]);
		nb_unref(m[i]);
		nb_unref(v[i]);
	}
	for (size_t k = 0; k < o.nd; k++) {
		nb_unref(o.data[k]);
		nb_unref(o.batch[k]);
	}
	free(hist);
	free(hkind);
	free(hidx);
	free(perm);
	free(g);
	free(m);
	free(v);
	free(o.pname);
	free(o.p);
	free(o.dname);
	free(o.data);
	free(o.batch);
	free(o.lname);
	free(o.lval);
	return rc;
}

static const nb_param optimize_params[] = {
	{"loss", NB_P_EXPR, NULL, "the loss: an expression of the parameters and the data", NULL},
	{"init", NB_P_BINDINGS, NULL, "NAME: starting value for each parameter; NAME holds the final value afterwards", "bind"},
	{"method", NB_P_CHOICE, "gd", "the update rule", "gd linesearch momentum nesterov adam normalized"},
	{"lr", NB_P_NUMBER, "0.01", "the learning rate (step size) alpha", NULL},
	{"steps", NB_P_INT, NULL, "the number of updates", NULL},
	{"gradient", NB_P_CHOICE, "exact", "exact (automatic differentiation) or finite (central differences)", "exact finite"},
	{"fd_step", NB_P_NUMBER, "1e-6", "the step of the finite differences", NULL},
	{"beta", NB_P_NUMBER, "0.9", "momentum: m = beta*m + (1 - beta)*g (also Adam's first moment)", NULL},
	{"gamma", NB_P_NUMBER, "0.99", "Adam's second-moment rate: v = gamma*v + (1 - gamma)*g**2", NULL},
	{"eps", NB_P_NUMBER, "1e-8", "Adam's and the normalised gradient's epsilon", NULL},
	{"max_dist", NB_P_NUMBER, "2.0", "line search: the furthest step along the negative gradient", NULL},
	{"thresh", NB_P_NUMBER, "1e-5", "line search: stop when the middle points are this close", NULL},
	{"max_iter", NB_P_INT, "15", "line search: at most this many trisections", NULL},
	{"data", NB_P_BINDINGS, NB_OPTIONAL, "NAME: array pairs the loss reads; mini-batches take rows of these", "local"},
	{"batch_size", NB_P_INT, NB_OPTIONAL, "stochastic gradient descent: the number of rows in each batch", NULL},
	{"batching", NB_P_CHOICE, "per_step", "per_step: each batch is the start of a fresh np.random.permutation; "
	 "per_epoch: one permutation is split into consecutive batches", "per_step per_epoch"},
	{"history", NB_P_RENAME, NB_OPTIONAL, "KEY: NEW_NAME pairs; KEY is a parameter, 'loss' or 'grad_' + a parameter; "
	 "NEW_NAME gets its values at steps 0..steps", NULL},
	{NULL}};

const nb_kernel nb_k_optim_optimize = {
	"optim.optimize", "minimise a loss expression by gradient descent and its variants, recording the path",
	optimize_params, no_outs, 0, k_optimize,
	"Updates, with g the gradient at step t: gd p -= lr*g; linesearch p -= alpha*g with alpha from the udlbook "
	"four-point line search along -g; momentum m = beta*m + (1-beta)*g, p -= lr*m; nesterov the same with g "
	"taken at p - lr*beta*m; adam m and v as above, p -= lr*m_hat/(sqrt(v_hat) + eps) with bias-corrected "
	"moments; normalized p -= lr*g/(sqrt(g**2) + eps). With batch_size, every step's gradient comes from a "
	"mini-batch drawn from the notebook's random stream (numpy's permutation); the recorded losses are over "
	"all the data.",
	"- optimize:\n    loss: \"sum((y_true - (m * x + b)) ** 2)\"\n    init: {m: -15.0, b: -30.0}\n"
	"    method: adam\n    lr: 0.5\n    steps: 200\n    history: {m: m_path, b: b_path, loss: losses}\n"};
