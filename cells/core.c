/*
 * core.c - binding values, printing, and checks.
 */
#include <math.h>
#include <string.h>

#include "../runner/fmt.h"
#include "../runner/kernel.h"
#include "../runner/ops.h"

/*
 * let: bind each NAME to its value, in order, so that later names may use
 * earlier ones (`X: [[0.2, 0.4, 0.8], [1, 1, 1]]`, `D: X.shape[0]`).
 */
static int k_let(nb_call *c)
{
	for (size_t i = 0; i < nb_varg_count(c); i++) {
		nb_value *v = nb_varg_eval(c, i);
		if (!v)
			return -1;
		nb_bind(c, nb_varg_name(c, i), v);
	}
	return 0;
}

static const nb_param let_params[] = {{NULL}};
static const nb_output no_outputs[] = {{NULL}};

const nb_kernel nb_k_core_let = {
	"core.let", "bind names to values computed from literals and expressions",
	let_params, no_outputs, NB_K_VARARGS, k_let,
	"Each key is a name and each value an array: a YAML number, a nested list, or an expression "
	"string over names bound earlier (in this cell or before). Names are bound in order.",
	"- let:\n    X: [[0.2, 0.4, 0.8], [1, 1, 1]]\n    y: [[-0.1], [0.15], [0.3]]\n    D: X.shape[0]\n"};

/* print: a formatted line, as Python's print(f"...") writes it. */
static int k_print(nb_call *c)
{
	nb_printf(c, "%s\n", nb_arg_str(c, "text"));
	return 0;
}

static const nb_param print_params[] = {
	{"text", NB_P_FORMAT, NULL, "text with {expression} and {expression:spec} fields (Python's format spec)", NULL},
	{NULL}};

const nb_kernel nb_k_core_print = {
	"core.print", "print a line with values formatted as Python and numpy print them",
	print_params, no_outputs, NB_K_PRIMARY, k_print,
	"A field `{X}` prints a value as print(X) would (numpy's layout for arrays, the shortest "
	"round-trip digits for floats); `{loss:.2f}` applies a format spec to a single number. "
	"Write `{{` and `}}` for literal braces.",
	"- print: \"Optimal value of b: {curr_b}\"\n"};

/*
 * check: |actual - expected| <= atol + rtol * |expected| element-wise
 * (numpy.testing.assert_allclose's rule).  A failure names the worst
 * element, both values and the difference, and fails the run.
 */
static void index_str(nb_buf *b, const nb_value *v, size_t flat)
{
	size_t idx[NB_MAXDIM];
	for (int d = v->ndim - 1; d >= 0; d--) {
		idx[d] = v->shape[d] ? flat % v->shape[d] : 0;
		flat = v->shape[d] ? flat / v->shape[d] : 0;
	}
	nb_buf_putc(b, '[');
	for (int d = 0; d < v->ndim; d++)
		nb_buf_printf(b, d ? ", %zu" : "%zu", idx[d]);
	nb_buf_putc(b, ']');
}

static int k_check(nb_call *c)
{
	const nb_value *a = nb_arg(c, "actual"), *x = nb_arg(c, "expected");
	double atol = nb_arg_num(c, "atol"), rtol = nb_arg_num(c, "rtol");
	int equal_nan = nb_arg_bool(c, "equal_nan");
	const char *what = nb_arg_given(c, "label") ? nb_arg_str(c, "label") : NULL;
	const nb_value *when = nb_arg(c, "when");
	if (when) {
		int on = when->size > 0;
		for (size_t i = 0; i < when->size; i++)
			on = on && nb_get_f64(when, i) != 0;
		if (!on) {
			nb_printf(c, "check skipped: %s ('when' is false)\n", what ? what : "the value");
			return 0;
		}
	}
	if (!(atol >= 0) || !(rtol >= 0))
		return nb_fail(c, atol >= 0 ? "rtol" : "atol", "tolerances must be non-negative numbers");
	int same_shape = a->ndim == x->ndim && !memcmp(a->shape, x->shape, (size_t)a->ndim * sizeof(size_t));
	if (!same_shape && x->size != 1) {
		nb_buf sa = NB_BUF_INIT, sx = NB_BUF_INIT;
		nb_shape_str(a->ndim, a->shape, &sa);
		nb_shape_str(x->ndim, x->shape, &sx);
		int r = nb_fail_check(c, "check failed: the actual value has shape %s but the expected value has shape %s",
				      nb_buf_str(&sa), nb_buf_str(&sx));
		nb_buf_release(&sa);
		nb_buf_release(&sx);
		return r;
	}
	size_t bad = 0, worst = 0;
	double worst_excess = -1;
	for (size_t i = 0; i < a->size; i++) {
		double av = nb_get_f64(a, i), xv = nb_get_f64(x, x->size == 1 ? 0 : i);
		double diff = fabs(av - xv), allowed = atol + rtol * fabs(xv);
		int ok;
		if (isnan(av) || isnan(xv)) {
			ok = equal_nan && isnan(av) && isnan(xv);
			diff = ok ? 0 : INFINITY;
		} else if (isinf(av) || isinf(xv)) {
			ok = av == xv;
			diff = ok ? 0 : INFINITY;
		} else {
			ok = diff <= allowed;
		}
		if (!ok) {
			bad++;
			double excess = diff - allowed;
			if (isnan(excess) || excess > worst_excess) {
				worst_excess = isnan(excess) ? INFINITY : excess;
				worst = i;
			}
		}
	}
	nb_buf name = NB_BUF_INIT;
	if (what)
		nb_buf_puts(&name, what);
	else
		nb_buf_puts(&name, "the value");
	if (!bad) {
		/*
		 * The largest difference is not printed: its last bits depend on the
		 * BLAS kernels of the machine, and reports must not.
		 */
		nb_printf(c, "check passed: %s (%zu element%s) within atol=%g, rtol=%g\n", nb_buf_str(&name), a->size,
			  a->size == 1 ? "" : "s", atol, rtol);
		nb_buf_release(&name);
		return 0;
	}
	double av = nb_get_f64(a, worst), xv = nb_get_f64(x, x->size == 1 ? 0 : worst);
	nb_buf m = NB_BUF_INIT;
	nb_buf_printf(&m, "check failed: %s: ", nb_buf_str(&name));
	if (a->size > 1) {
		nb_buf_printf(&m, "%zu of %zu elements differ beyond atol=%g + rtol=%g*|expected|; worst at ", bad, a->size,
			      atol, rtol);
		index_str(&m, a, worst);
		nb_buf_puts(&m, ": ");
	} else {
		nb_buf_printf(&m, "differs beyond atol=%g + rtol=%g*|expected|: ", atol, rtol);
	}
	nb_buf_puts(&m, "actual ");
	nb_fmt_repr(av, &m);
	nb_buf_puts(&m, ", expected ");
	nb_fmt_repr(xv, &m);
	nb_buf_puts(&m, ", difference ");
	nb_fmt_repr(fabs(av - xv), &m);
	nb_buf_puts(&m, " (allowed ");
	nb_fmt_repr(atol + rtol * fabs(xv), &m);
	nb_buf_puts(&m, ")");
	int r = nb_fail_check(c, "%s", nb_buf_str(&m));
	nb_buf_release(&m);
	nb_buf_release(&name);
	return r;
}

static const nb_param check_params[] = {
	{"actual", NB_P_ARRAY, NULL, "the value computed by the notebook", NULL},
	{"expected", NB_P_ARRAY, NULL, "the value it must equal (same shape, or one number)", NULL},
	{"atol", NB_P_NUMBER, "0", "absolute tolerance", NULL},
	{"rtol", NB_P_NUMBER, "1e-7", "relative tolerance, times |expected|", NULL},
	{"equal_nan", NB_P_BOOL, "false", "whether nan equals nan", NULL},
	{"label", NB_P_STRING, NB_OPTIONAL, "what is checked, for the report and messages", NULL},
	{"when", NB_P_ARRAY, NB_OPTIONAL,
	 "check only when this is true (a reference that holds for one configuration of the notebook's params)", NULL},
	{NULL}};

const nb_kernel nb_k_core_check = {
	"core.check", "assert that a value equals an expected number or array within tolerances",
	check_params, no_outputs, 0, k_check,
	"Passes when |actual - expected| <= atol + rtol*|expected| for every element (the rule of "
	"numpy.testing.assert_allclose). A failure reports the worst element, both values and their "
	"difference, and makes nbrun exit with status 1.",
	"- check: {actual: curr_b, expected: -3.235905316463203, rtol: 0, label: final b}\n"};
