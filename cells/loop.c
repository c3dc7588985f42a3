/*
 * loop.c - the two loops that teaching notebooks write in Python:
 *
 *   map      a value computed independently for each element of a
 *            sequence (`for t in range(len(t_all)): f_all[:, t] = ...`),
 *            stacked into one array;
 *   iterate  a recurrence (`for i in range(N): m, b = m - ..., b - ...`),
 *            updating names in the state, with their histories.
 */
#include <stdlib.h>
#include <string.h>

#include "../runner/kernel.h"
#include "../runner/ops.h"

static nb_value *row(const nb_value *a, size_t i)
{
	nb_index ix = {.kind = NB_IDX_INT, .i = (int64_t)i};
	return nb_getindex(a, 1, &ix, NULL);
}

static int same_shape(const nb_value *a, const nb_value *b)
{
	return nb_is_array(a) && nb_is_array(b) && a->ndim == b->ndim &&
	       !memcmp(a->shape, b->shape, (size_t)a->ndim * sizeof(size_t));
}

static int shape_changed(nb_call *c, const char *param, const char *what, const nb_value *first, const nb_value *now,
			 size_t step)
{
	nb_buf a = NB_BUF_INIT, b = NB_BUF_INIT;
	if (nb_is_array(first))
		nb_shape_str(first->ndim, first->shape, &a);
	else
		nb_buf_puts(&a, "a string");
	if (nb_is_array(now))
		nb_shape_str(now->ndim, now->shape, &b);
	else
		nb_buf_puts(&b, "a string");
	int r = nb_fail(c, param, "%s must keep one shape: %s at the start, %s at step %zu", what, nb_buf_str(&a),
			nb_buf_str(&b), step);
	nb_buf_release(&a);
	nb_buf_release(&b);
	return r;
}

static int k_map(nb_call *c)
{
	size_t nv = nb_arg_nbind(c, "over");
	if (nv == 0)
		return nb_fail(c, "over", "give at least one NAME: sequence to loop over");
	nb_value **seq = nb_xcalloc(nv, sizeof *seq), **cur = nb_xcalloc(nv, sizeof *cur);
	const char **names = nb_xcalloc(nv, sizeof *names);
	nb_value **res = NULL;
	size_t n = 0, done = 0;
	int rc = -1;
	for (size_t k = 0; k < nv; k++) {
		names[k] = nb_arg_bind_key(c, "over", k);
		if (!(seq[k] = nb_arg_bind_eval(c, "over", k, NULL)))
			goto out;
		if (!nb_is_array(seq[k]) || seq[k]->ndim == 0) {
			nb_fail(c, "over", "'%s' must be an array with at least one axis to loop over", names[k]);
			goto out;
		}
		if (k == 0)
			n = seq[0]->shape[0];
		else if (seq[k]->shape[0] != n) {
			nb_fail(c, "over", "'%s' has %zu elements but '%s' has %zu: the sequences must have one length",
				names[k], seq[k]->shape[0], names[0], n);
			goto out;
		}
	}
	if (n == 0) {
		nb_fail(c, "over", "the sequence is empty");
		goto out;
	}
	const nb_expr *value = nb_arg_expr(c, "value");
	res = nb_xcalloc(n, sizeof *res);
	nb_locals loc = {nv, names, cur};
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < nv; k++) {
			nb_unref(cur[k]);
			cur[k] = row(seq[k], i);
		}
		if (!(res[i] = nb_eval_local(c, value, "value", &loc)))
			goto out;
		done = i + 1;
		if (!nb_is_array(res[i])) {
			nb_fail(c, "value", "the value must be an array, not a string");
			goto out;
		}
		if (i > 0 && !same_shape(res[0], res[i])) {
			shape_changed(c, "value", "the value", res[0], res[i], i);
			goto out;
		}
		if ((i & 63) == 0)
			nb_progress(c, (double)i / (double)n);
	}
	nb_err e = NB_ERR_INIT;
	nb_value *r = nb_stack(n, res, (int)nb_arg_int(c, "axis"), &e);
	if (!r) {
		nb_fail_err(c, "axis", &e);
		goto out;
	}
	rc = nb_out(c, 0, r);
out:
	for (size_t k = 0; k < nv; k++) {
		nb_unref(seq[k]);
		nb_unref(cur[k]);
	}
	for (size_t i = 0; i < done; i++)
		nb_unref(res[i]);
	free(res);
	free(seq);
	free(cur);
	free(names);
	return rc;
}

static const nb_param map_params[] = {
	{"over", NB_P_BINDINGS, NULL, "NAME: sequence pairs; NAME takes each element (row) in turn", "local"},
	{"value", NB_P_EXPR, NULL, "the expression computed for each element", NULL},
	{"axis", NB_P_INT, "0", "where the new axis goes in the result (-1: last)", NULL}, {NULL}};
static const nb_output map_outs[] = {{"out", "the values, stacked along axis"}, {NULL}};

const nb_kernel nb_k_loop_map = {
	"loop.map", "compute a value for each element of a sequence and stack the results", map_params, map_outs, 0,
	k_map,
	"Ports a Python loop whose iterations are independent. The names in 'over' are seen only by 'value'; "
	"several sequences are walked in step, like zip().",
	"- map:\n    over: {t: t_all}\n    value: \"y + expm(-X.T @ X * t) @ (f_0 - y)\"\n    axis: -1\n  out: f_seq\n"};

static int k_iterate(nb_call *c)
{
	size_t nv = nb_arg_nbind(c, "update");
	int64_t steps = nb_arg_int(c, "steps");
	int simultaneous = nb_arg_bool(c, "simultaneous");
	if (steps < 0)
		return nb_fail(c, "steps", "steps must be 0 or more, got %lld", (long long)steps);
	if ((uint64_t)steps > NB_MAX_ARRAY_BYTES / 8)
		return nb_fail(c, "steps", "too many steps (%lld)", (long long)steps);
	size_t nh = nb_arg_nbind(c, "history"), ns = (size_t)steps;
	const char **names = nb_xcalloc(nv ? nv : 1, sizeof *names);
	nb_value **cur = nb_xcalloc(nv ? nv : 1, sizeof *cur), **next = nb_xcalloc(nv ? nv : 1, sizeof *next);
	nb_value ***hist = nb_xcalloc(nv ? nv : 1, sizeof *hist);
	const char **target = nb_xcalloc(nv ? nv : 1, sizeof *target);
	int rc = -1;
	size_t recorded = 0; /* entries filled in each history */
	for (size_t k = 0; k < nv; k++)
		names[k] = nb_arg_bind_key(c, "update", k);
	for (size_t h = 0; h < nh; h++) {
		const char *key = nb_arg_bind_key(c, "history", h);
		size_t k;
		for (k = 0; k < nv; k++)
			if (!strcmp(key, names[k]))
				break;
		if (k == nv) {
			nb_fail(c, "history", "'%s' is not one of the names in 'update'", key);
			goto out;
		}
		target[k] = nb_arg_bind_target(c, "history", h);
	}
	for (size_t k = 0; k < nv; k++) {
		const nb_value *v0 = nb_lookup(c, names[k]);
		if (!nb_is_array(v0)) {
			nb_fail(c, "update", "'%s' must hold an array before the loop", names[k]);
			goto out;
		}
		cur[k] = nb_ref(v0);
		if (target[k]) {
			hist[k] = nb_xcalloc(ns + 1, sizeof **hist);
			hist[k][0] = nb_ref(cur[k]);
		}
	}
	recorded = 1;
	nb_locals loc = {nv, names, cur};
	for (size_t step = 1; step <= ns; step++) {
		for (size_t k = 0; k < nv; k++) {
			nb_value *v = nb_arg_bind_eval(c, "update", k, &loc);
			if (!v) {
				for (size_t j = 0; j < k && simultaneous; j++)
					nb_unref(next[j]);
				goto out;
			}
			if (!same_shape(v, cur[k])) {
				char *what = nb_xasprintf("'%s'", names[k]);
				shape_changed(c, "update", what, cur[k], v, step);
				free(what);
				nb_unref(v);
				for (size_t j = 0; j < k && simultaneous; j++)
					nb_unref(next[j]);
				goto out;
			}
			/* numpy keeps a float where an int started once a float is assigned */
			if (simultaneous) {
				next[k] = v;
			} else {
				nb_unref(cur[k]);
				cur[k] = v;
			}
		}
		if (simultaneous) {
			for (size_t k = 0; k < nv; k++) {
				nb_unref(cur[k]);
				cur[k] = next[k];
				next[k] = NULL;
			}
		}
		for (size_t k = 0; k < nv; k++)
			if (hist[k])
				hist[k][step] = nb_ref(cur[k]);
		recorded = step + 1;
		if ((step & 255) == 0)
			nb_progress(c, (double)step / (double)ns);
	}
	for (size_t k = 0; k < nv; k++) {
		if (!hist[k])
			continue;
		nb_err e = NB_ERR_INIT;
		nb_value *h = nb_stack(ns + 1, hist[k], 0, &e);
		if (!h) {
			nb_fail_err(c, "history", &e);
			goto out;
		}
		nb_bind(c, target[k], h);
	}
	for (size_t k = 0; k < nv; k++) {
		nb_bind(c, names[k], cur[k]);
		cur[k] = NULL;
	}
	rc = 0;
out:
	for (size_t k = 0; k < nv; k++) {
		nb_unref(cur[k]);
		if (hist[k])
			for (size_t i = 0; i < recorded; i++)
				nb_unref(hist[k][i]);
		free(hist[k]);
	}
	free(names);
	free(cur);
	free(next);
	free(hist);
	free(target);
	return rc;
}

static const nb_param iterate_params[] = {
	{"steps", NB_P_INT, NULL, "the number of updates", NULL},
	{"update", NB_P_BINDINGS, NULL, "NAME: expression pairs; each step computes every NAME's next value", "state"},
	{"history", NB_P_RENAME, NB_OPTIONAL, "NAME: NEW_NAME pairs: NEW_NAME gets NAME's values at steps 0..steps, stacked", NULL},
	{"simultaneous", NB_P_BOOL, "true", "compute all updates from the values before the step (false: in order, each seeing the ones before it)", NULL},
	{NULL}};
static const nb_output no_outs[] = {{NULL}};

const nb_kernel nb_k_loop_iterate = {
	"loop.iterate", "update names repeatedly (a recurrence such as gradient descent), keeping their histories",
	iterate_params, no_outs, 0, k_iterate,
	"The names in 'update' must be bound by earlier cells (their starting values). After the run they hold "
	"the final values, as after a Python loop; 'history' binds the whole trajectories.",
	"- let: {curr_m: -15.0, curr_b: -30.0}\n- iterate:\n    steps: 100\n    update:\n"
	"      curr_m: \"curr_m - dm * lr\"\n      curr_b: \"curr_b - db * lr\"\n    history: {curr_m: m_path, curr_b: b_path}\n"};
