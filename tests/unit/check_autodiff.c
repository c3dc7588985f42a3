/*
 * check_autodiff.c - every derivative rule against central finite
 * differences, exact gradients against closed forms, and the errors.
 */
#include "notebook.h"
#include "run.h"
#include "testutil.h"

static const char *const exprs[] = {
	"sum(v * v)", "sum(v ** 3)", "sum(2.0 ** v)", "sum(w ** v)", "sum(exp(v))", "sum(log(w))", "sum(sqrt(w))",
	"sum(sin(v) * cos(v))", "sum(tan(v / 3))", "sum(tanh(v))", "sum(abs(v))", "sum(square(v))", "sum(log1p(w))",
	"sum(expm1(v))", "sum(log2(w) + log10(w))", "sum(exp2(v))", "sum(arctan(v))", "sum(arcsin(v / 4))",
	"sum(arccos(v / 4))", "sum(sinh(v) + cosh(v))", "mean(v / w)", "sum(v - w * 2)", "sum(-v)",
	"sum(maximum(v, 0.1))", "sum(minimum(v, w))", "sum(where(v > 0, v * 3, v * v))", "sum(clip(v, -0.5, 0.5))",
	"norm(v)", "var(v)", "std(v)", "var(M, axis=0)[1]", "std(M, ddof=1)", "sum(M @ v[0:2])", "v[0:2] @ M @ v[0:2]",
	"sum(M.T @ M)", "sum(outer(v, w))", "dot(v, w)", "sum(matmul(M, M))", "sum(M * M, axis=1)[0]",
	"sum(mean(M, axis=1, keepdims=True) * M)", "sum(reshape(v, (2, 2)) @ M)", "sum(transpose(M) * M[0])",
	"sum(squeeze(M[None, :, :] * 2))", "sum(v[::-1] * w)", "sum(v[[0, 0, 3]])", "sum(M[:, 1] ** 2)",
	"sum(M[M > 0])", "sum(v.sum() * w)", "sum([v[0], v[1] * 2])", "sum(v ** 2) / len(v)", "sum(v % 0.45)", "sum(argmax(v) * v)",
	"sum(power(v, 2) + multiply(v, w) - subtract(v, w) + divide(v, w) + add(v, 1))", "sum(negative(v))",
	"sum(M.sum(axis=0) * v[0:2])", "sum(relu(v) * w)", "sum(leaky_relu(v, 0.2) * w)", "sum(sigmoid(v) * w)",
	"sum(softplus(v) * w)", "sum(softmax(v) * w)", "sum(softmax(M, axis=0) * M)", "sum(log_softmax(v) * w)",
	"logsumexp(v)", "sum(logsumexp(M, axis=0) * w[0:2])", "sum(heaviside(v, 0.5) * v)",
};

static char *build(const char *f)
{
	return nb_xasprintf(
		"nbrun: 1\ncells:\n"
		"  - let: {v: [0.3, -1.2, 0.7, 1.9], w: [1.5, 0.4, 2.2, 0.9], M: [[1.0, -0.5], [0.25, 2.0]]}\n"
		"  - grad: {f: \"%s\", wrt: {v: gv, w: gw, M: gM}}\n"
		"  - finite_diff: {f: \"%s\", wrt: {v: fv, w: fw, M: fM}, step: 1e-6}\n",
		f, f);
}

START_TEST(rules_vs_finite_differences)
{
	const char *f = exprs[_i];
	char *src = build(f);
	nb_err e = NB_ERR_INIT;
	nb_notebook *nb = nb_notebook_load_string("ad.yaml", src, NULL, 0, &e);
	ck_assert_msg(nb != NULL, "%s: %s", f, e.msg ? e.msg : "");
	nb_runopts o = {0};
	o.progress = NB_PROGRESS_QUIET;
	nb_run r;
	nb_run_init(&r, nb, &o);
	int rc = nb_run_cells(&r);
	for (size_t i = 0; rc && i < nb->ncells; i++)
		if (r.res[i].ran < 0)
			ck_abort_msg("%s: %s", f, r.res[i].err.msg);
	const char *pairs[3][2] = {{"gv", "fv"}, {"gw", "fw"}, {"gM", "fM"}};
	for (int k = 0; k < 3; k++) {
		const nb_value *g = nb_state_get(&r.state, pairs[k][0]), *d = nb_state_get(&r.state, pairs[k][1]);
		ck_assert_uint_eq(g->size, d->size);
		for (size_t i = 0; i < g->size; i++) {
			double a = nb_get_f64(g, i), b = nb_get_f64(d, i);
			ck_assert_msg(fabs(a - b) <= 1e-6 * (1 + fabs(b)), "%s: d/d%s[%zu]: exact %.12g, finite differences %.12g",
				      f, pairs[k][0] + 1, i, a, b);
		}
	}
	nb_run_release(&r);
	nb_notebook_free(nb);
	free(src);
}
END_TEST

START_TEST(closed_forms_exact)
{
	const char *src = "nbrun: 1\ncells:\n"
			  "  - let: {x: [-2.0, -1.0, 0.5, 3.0], y: [1.0, 0.0, 2.0, 5.0], m: 1.5, b: -0.5}\n"
			  "  - grad: {f: \"sum((y - (m * x + b)) ** 2)\", wrt: {m: gm, b: gb}}\n"
			  "  - let: {am: \"-2 * sum(x * (y - (m * x + b)))\", ab: \"-2 * sum(y - (m * x + b))\"}\n"
			  "  - check: {actual: \"[gm, gb]\", expected: \"[am, ab]\", rtol: 1e-15}\n"
			  "  - grad: {f: \"0.5 * sum((m * x + b - y) ** 2)\", wrt: {m: hm}, at: {m: 0.0}}\n"
			  "  - check: {actual: hm, expected: \"sum((b - y) * x)\", rtol: 1e-15}\n";
	nb_err e = NB_ERR_INIT;
	nb_notebook *nb = nb_notebook_load_string("cf.yaml", src, NULL, 0, &e);
	ck_assert_msg(nb != NULL, "%s", e.msg ? e.msg : "");
	nb_runopts o = {0};
	o.progress = NB_PROGRESS_QUIET;
	nb_run r;
	nb_run_init(&r, nb, &o);
	int rc = nb_run_cells(&r);
	for (size_t i = 0; rc && i < nb->ncells; i++)
		if (r.res[i].ran < 0)
			ck_abort_msg("%s", r.res[i].err.msg);
	ck_assert_int_eq(rc, 0);
	nb_run_release(&r);
	nb_notebook_free(nb);
}
END_TEST

typedef struct errcase {
	const char *cell, *msg;
} errcase;

static const errcase errors[] = {
	{"grad: {f: \"sum(cumsum(v) * v)\", wrt: {v: g}}",
	 "ad.yaml:4:20: error: cell 'cell-2': parameter 'f': grad: no derivative rule for 'cumsum' (differentiable "
	 "functions are listed in docs/format.md)\n"},
	{"grad: {f: \"v * 2\", wrt: {v: g}}",
	 "ad.yaml:4:15: error: cell 'cell-2': parameter 'f': grad needs a scalar function, but f has shape (4,) (use the jacobian kernel)\n"},
	{"grad: {f: \"sum(v)\", wrt: {q: g}}",
	 "ad.yaml:4:16: error: cell 'cell-2': parameter 'f': grad: 'q' must name an array in the state\n"},
	{"finite_diff: {f: \"sum(v)\", wrt: {v: g}, step: 0}",
	 "ad.yaml:4:51: error: cell 'cell-2': parameter 'step': the step must be a positive number, got 0\n"},
};

START_TEST(error_texts)
{
	char *src = nb_xasprintf("nbrun: 1\ncells:\n  - let: {v: [0.3, -1.2, 0.7, 1.9]}\n  - %s\n", errors[_i].cell);
	nb_err e = NB_ERR_INIT;
	nb_notebook *nb = nb_notebook_load_string("ad.yaml", src, NULL, 0, &e);
	ck_assert_msg(nb != NULL, "%s", e.msg ? e.msg : "");
	nb_runopts o = {0};
	o.progress = NB_PROGRESS_QUIET;
	nb_run r;
	nb_run_init(&r, nb, &o);
	ck_assert_int_eq(nb_run_cells(&r), 1);
	nb_buf b = NB_BUF_INIT;
	nb_err_format(&r.res[1].err, &b);
	ck_assert_str_eq(nb_buf_str(&b), errors[_i].msg);
	nb_buf_release(&b);
	nb_run_release(&r);
	nb_notebook_free(nb);
	free(src);
}
END_TEST

static Suite *autodiff_suite(void)
{
	Suite *s = suite_create("autodiff");
	TCase *tc = tcase_create("rules");
	tcase_add_loop_test(tc, rules_vs_finite_differences, 0, (int)NB_ARRAY_LEN(exprs));
	tcase_add_test(tc, closed_forms_exact);
	suite_add_tcase(s, tc);
	tc = tcase_create("errors");
	tcase_add_loop_test(tc, error_texts, 0, (int)NB_ARRAY_LEN(errors));
	suite_add_tcase(s, tc);
	return s;
}

NB_CHECK_MAIN(autodiff_suite)
