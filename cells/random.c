/*
 * random.c - numpy's legacy random functions (np.random.seed, rand, randn,
 * normal, uniform, randint, permutation, shuffle, choice), drawing from
 * the notebook's one stream, so a ported notebook prints the original's
 * numbers.  Elements are drawn in C order, as numpy draws them.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../runner/kernel.h"
#include "../runner/ops.h"
#include "../runner/random.h"

static const nb_output one_out[] = {{"out", "the samples"}, {NULL}};
static const nb_output no_out[] = {{NULL}};

static int k_seed(nb_call *c)
{
	int64_t s = nb_arg_int(c, "seed");
	if (s < 0 || s > 0xffffffffLL)
		return nb_fail(c, "seed", "the seed must be between 0 and 2**32 - 1, got %lld", (long long)s);
	nb_rng_seed(nb_call_rng(c), (uint32_t)s);
	return 0;
}

static const nb_param seed_params[] = {{"seed", NB_P_INT, NULL, "an integer from 0 to 2**32 - 1", NULL}, {NULL}};

const nb_kernel nb_k_random_seed = {
	"random.seed", "seed the notebook's random stream (np.random.seed)", seed_params, no_out, NB_K_PRIMARY, k_seed,
	"The stream is numpy's legacy MT19937 RandomState: after the same seed, every random kernel returns "
	"numpy's numbers bit for bit. Until a seed cell runs, the stream is seeded with 0.",
	"- seed: 42\n"};

/* The output shape: `size`/`shape` if given (0 dims when absent). */
static int out_shape(nb_call *c, const char *param, int *nd, size_t *shape)
{
	*nd = 0;
	if (!nb_arg(c, param))
		return 0;
	*nd = nb_arg_shape(c, param, shape);
	return 0;
}

static nb_value *new_out(nb_call *c, nb_dtype dt, int nd, const size_t *shape, const char *param)
{
	nb_err e = NB_ERR_INIT;
	nb_value *v = nb_array_new(dt, nd, shape, &e);
	if (!v)
		nb_fail_err(c, param, &e);
	return v;
}

/* An array of the 'shape' parameter's shape, each element one draw. */
static int draws(nb_call *c, double (*draw)(nb_rng *))
{
	int nd;
	size_t shape[NB_MAXDIM];
	out_shape(c, "shape", &nd, shape);
	nb_value *v = new_out(c, NB_F64, nd, shape, "shape");
	if (!v)
		return -1;
	for (size_t i = 0; i < v->size; i++)
		nb_f64p(v)[i] = draw(nb_call_rng(c));
	return nb_out(c, 0, v);
}

static int k_rand(nb_call *c) { return draws(c, nb_rng_double); }
static int k_randn(nb_call *c) { return draws(c, nb_rng_gauss); }

static const nb_param shape_params[] = {
	{"shape", NB_P_SHAPE, NB_OPTIONAL, "the output shape (default: one number)", NULL}, {NULL}};

const nb_kernel nb_k_random_rand = {
	"random.rand", "uniform samples in [0, 1) (np.random.rand)", shape_params, one_out, NB_K_PRIMARY, k_rand, NULL,
	"- rand: [2, 3]\n  out: u\n"};
const nb_kernel nb_k_random_randn = {
	"random.randn", "standard normal samples (np.random.randn)", shape_params, one_out, NB_K_PRIMARY, k_randn,
	"Gaussians by numpy's legacy polar method, one value cached between calls as numpy does.",
	"- randn: 20\n  out: X\n"};

/* normal / uniform: two parameters broadcast against each other and `size`. */
static int two_param(nb_call *c, const char *pa, const char *pb, int gauss)
{
	const nb_value *a = nb_arg(c, pa), *b = nb_arg(c, pb);
	int nd;
	size_t shape[NB_MAXDIM];
	if (nb_arg(c, "size")) {
		out_shape(c, "size", &nd, shape);
		int n2;
		size_t s2[NB_MAXDIM];
		if (nb_broadcast_shapes(a->ndim, a->shape, b->ndim, b->shape, &n2, s2) < 0)
			return nb_fail(c, pb, "'%s' and '%s' do not broadcast together", pa, pb);
		int n3;
		size_t s3[NB_MAXDIM];
		if (nb_broadcast_shapes(n2, s2, nd, shape, &n3, s3) < 0 || n3 != nd || memcmp(s3, shape, (size_t)nd * sizeof *shape))
			return nb_fail(c, "size", "'%s' and '%s' do not broadcast to the shape given by 'size'", pa, pb);
	} else if (nb_broadcast_shapes(a->ndim, a->shape, b->ndim, b->shape, &nd, shape) < 0) {
		return nb_fail(c, pb, "'%s' and '%s' do not broadcast together", pa, pb);
	}
	nb_err e = NB_ERR_INIT;
	nb_value *ab = nb_broadcast_to(a, nd, shape, &e), *bb = ab ? nb_broadcast_to(b, nd, shape, &e) : NULL;
	nb_value *v = bb ? nb_array_new(NB_F64, nd, shape, &e) : NULL;
	if (!v) {
		nb_unref(ab);
		nb_unref(bb);
		return nb_fail_err(c, "size", &e);
	}
	nb_rng *r = nb_call_rng(c);
	if (gauss) {
		for (size_t i = 0; i < v->size; i++) {
			double sc = nb_get_f64(bb, i);
			if (sc < 0) {
				nb_unref(ab);
				nb_unref(bb);
				nb_unref(v);
				return nb_fail(c, "scale", "scale must be non-negative, got %g", sc);
			}
		}
	}
	for (size_t i = 0; i < v->size; i++) {
		double x = nb_get_f64(ab, i), y = nb_get_f64(bb, i);
		nb_f64p(v)[i] = gauss ? x + y * nb_rng_gauss(r) : x + (y - x) * nb_rng_double(r);
	}
	nb_unref(ab);
	nb_unref(bb);
	return nb_out(c, 0, v);
}

static int k_normal(nb_call *c) { return two_param(c, "loc", "scale", 1); }
static int k_uniform(nb_call *c) { return two_param(c, "low", "high", 0); }

static const nb_param normal_params[] = {
	{"loc", NB_P_ARRAY, "0", "the mean (an array broadcasts)", NULL},
	{"scale", NB_P_ARRAY, "1", "the standard deviation, at least 0", NULL},
	{"size", NB_P_SHAPE, NB_OPTIONAL, "the output shape (default: the broadcast shape of loc and scale)", NULL},
	{NULL}};
static const nb_param uniform_params[] = {
	{"low", NB_P_ARRAY, "0", "lower bound (included)", NULL},
	{"high", NB_P_ARRAY, "1", "upper bound (excluded)", NULL},
	{"size", NB_P_SHAPE, NB_OPTIONAL, "the output shape (default: the broadcast shape of low and high)", NULL},
	{NULL}};

const nb_kernel nb_k_random_normal = {
	"random.normal", "normal samples loc + scale * N(0, 1) (np.random.normal)", normal_params, one_out, 0, k_normal,
	NULL, "- normal: {size: 40}\n  out: noise\n"};
const nb_kernel nb_k_random_uniform = {
	"random.uniform", "uniform samples in [low, high) (np.random.uniform)", uniform_params, one_out, 0, k_uniform,
	NULL, "- uniform: {low: -1, high: 1, size: [100, 2]}\n  out: pts\n"};

static int k_randint(nb_call *c)
{
	int64_t lo = nb_arg_int(c, "low"), hi;
	if (nb_arg(c, "high")) {
		hi = nb_arg_int(c, "high");
	} else {
		hi = lo;
		lo = 0;
	}
	if (hi <= lo)
		return nb_fail(c, nb_arg(c, "high") ? "high" : "low", "low >= high: the range [%lld, %lld) is empty",
			       (long long)lo, (long long)hi);
	int nd;
	size_t shape[NB_MAXDIM];
	out_shape(c, "size", &nd, shape);
	nb_value *v = new_out(c, NB_I64, nd, shape, "size");
	if (!v)
		return -1;
	uint64_t rng = (uint64_t)hi - (uint64_t)lo - 1;
	for (size_t i = 0; i < v->size; i++)
		nb_i64p(v)[i] = (int64_t)((uint64_t)lo + nb_rng_bounded(nb_call_rng(c), rng));
	return nb_out(c, 0, v);
}

static const nb_param randint_params[] = {
	{"low", NB_P_INT, NULL, "lowest value (or, without high, one above the highest, from 0)", NULL},
	{"high", NB_P_INT, NB_OPTIONAL, "one above the highest value", NULL},
	{"size", NB_P_SHAPE, NB_OPTIONAL, "the output shape (default: one number)", NULL}, {NULL}};

const nb_kernel nb_k_random_randint = {
	"random.randint", "integers in [low, high) (np.random.randint)", randint_params, one_out, 0, k_randint, NULL,
	"- randint: {low: 0, high: 10, size: 5}\n  out: idx\n"};

/* Fisher-Yates as numpy's legacy shuffle: i from n-1 down to 1, j = interval(i). */
static void shuffle_rows(nb_rng *r, nb_value *v)
{
	size_t n = v->ndim ? v->shape[0] : 0;
	size_t row = n ? v->size / n : 0, es = v->dtype == NB_BOOL ? 1 : 8;
	char tmp[4096];
	char *buf = row * es <= sizeof tmp ? tmp : nb_xmalloc(row * es);
	for (size_t i = n > 0 ? n - 1 : 0; i >= 1; i--) {
		size_t j = (size_t)nb_rng_interval(r, i);
		if (i != j) {
			char *a = (char *)v->data + i * row * es, *b = (char *)v->data + j * row * es;
			memcpy(buf, a, row * es);
			memcpy(a, b, row * es);
			memcpy(b, buf, row * es);
		}
	}
	if (buf != tmp)
		free(buf);
}

static int k_shuffle(nb_call *c)
{
	const nb_value *a = nb_arg(c, "a");
	if (a->ndim == 0)
		return nb_fail(c, "a", "shuffle needs an array of at least one dimension, not a scalar");
	nb_err e = NB_ERR_INIT;
	nb_value *v = nb_copy(a, &e);
	if (!v)
		return nb_fail_err(c, "a", &e);
	shuffle_rows(nb_call_rng(c), v);
	return nb_out(c, 0, v);
}

static int k_permutation(nb_call *c)
{
	const nb_value *x = nb_arg(c, "x");
	nb_err e = NB_ERR_INIT;
	nb_value *v;
	if (x->ndim == 0) {
		if (x->dtype == NB_F64)
			return nb_fail(c, "x", "expected an integer or an array, got a float");
		int64_t n = nb_get_i64(x, 0);
		if (n < 0)
			return nb_fail(c, "x", "negative length %lld", (long long)n);
		v = nb_arange(0, (double)n, 1, 1, &e);
	} else {
		v = nb_copy(x, &e);
	}
	if (!v)
		return nb_fail_err(c, "x", &e);
	shuffle_rows(nb_call_rng(c), v);
	return nb_out(c, 0, v);
}

static const nb_param shuffle_params[] = {{"a", NB_P_ARRAY, NULL, "the array; its rows are shuffled", NULL}, {NULL}};
static const nb_param perm_params[] = {
	{"x", NB_P_ARRAY, NULL, "an integer n (a permutation of 0..n-1) or an array (its rows permuted)", NULL}, {NULL}};

const nb_kernel nb_k_random_shuffle = {
	"random.shuffle", "a copy of an array with its rows in random order (np.random.shuffle)", shuffle_params,
	one_out, NB_K_PRIMARY, k_shuffle, "numpy shuffles in place; nbrun binds the shuffled copy to a name.",
	"- shuffle: eps\n  out: eps\n"};
const nb_kernel nb_k_random_permutation = {
	"random.permutation", "a random permutation (np.random.permutation)", perm_params, one_out, NB_K_PRIMARY,
	k_permutation, NULL, "- permutation: 30\n  out: order\n"};

/* searchsorted(cdf, u, side='right') */
static size_t search_right(const double *cdf, size_t n, double u)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (cdf[mid] <= u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int k_choice(nb_call *c)
{
	const nb_value *a = nb_arg(c, "a"), *p = nb_arg(c, "p");
	int replace = nb_arg_bool(c, "replace");
	size_t pop;
	if (a->ndim == 0) {
		int64_t n = nb_get_i64(a, 0);
		if (a->dtype == NB_F64 || n <= 0)
			return nb_fail(c, "a", "a must be a positive integer or a non-empty 1-D array");
		pop = (size_t)n;
	} else if (a->ndim == 1 && a->size > 0) {
		pop = a->size;
	} else {
		return nb_fail(c, "a", "a must be a positive integer or a non-empty 1-D array");
	}
	double *pv = NULL;
	if (p) {
		if (p->ndim != 1 || p->size != pop)
			return nb_fail(c, "p", "p must be 1-D with one probability per element (%zu)", pop);
		double s = 0;
		for (size_t i = 0; i < pop; i++) {
			double q = nb_get_f64(p, i);
			if (!(q >= 0))
				return nb_fail(c, "p", "probabilities must be non-negative");
			s += q;
		}
		if (fabs(s - 1) > 1.4901161193847656e-08) /* numpy's tolerance: sqrt(eps) */
			return nb_fail(c, "p", "probabilities do not sum to 1 (they sum to %.17g)", s);
	}
	int nd;
	size_t shape[NB_MAXDIM];
	out_shape(c, "size", &nd, shape);
	nb_value *idx = new_out(c, NB_I64, nd, shape, "size");
	if (!idx)
		return -1;
	size_t n = idx->size;
	nb_rng *r = nb_call_rng(c);
	nb_err e = NB_ERR_INIT;
	if (!replace && n > pop) {
		nb_unref(idx);
		return nb_fail(c, "size", "cannot take a larger sample (%zu) than the population (%zu) without replacement", n, pop);
	}
	if (replace && !p) {
		for (size_t i = 0; i < n; i++)
			nb_i64p(idx)[i] = (int64_t)nb_rng_bounded(r, pop - 1);
	} else if (replace) {
		pv = nb_xmalloc(pop * sizeof *pv);
		for (size_t i = 0; i < pop; i++)
			pv[i] = nb_get_f64(p, i) + (i ? pv[i - 1] : 0);
		for (size_t i = 0; i < pop; i++)
			pv[i] /= pv[pop - 1];
		for (size_t i = 0; i < n; i++)
			nb_i64p(idx)[i] = (int64_t)search_right(pv, pop, nb_rng_double(r));
	} else if (!p) {
		nb_value *perm = nb_arange(0, (double)pop, 1, 1, &e);
		if (!perm) {
			nb_unref(idx);
			return nb_fail_err(c, "a", &e);
		}
		shuffle_rows(r, perm);
		memcpy(idx->data, perm->data, n * sizeof(int64_t));
		nb_unref(perm);
	} else {
		/* numpy's loop: draw, drop repeats, zero the chosen probabilities, repeat */
		double *pp = nb_xmalloc(pop * sizeof *pp), *cdf = nb_xmalloc(pop * sizeof *cdf);
		size_t *newv = nb_xmalloc((n ? n : 1) * sizeof *newv), *first = nb_xmalloc((n ? n : 1) * sizeof *first);
		for (size_t i = 0; i < pop; i++)
			pp[i] = nb_get_f64(p, i);
		size_t found = 0;
		int64_t *out = nb_i64p(idx);
		while (found < n) {
			size_t m = n - found;
			double *u = nb_xmalloc(m * sizeof *u);
			for (size_t i = 0; i < m; i++)
				u[i] = nb_rng_double(r);
			for (size_t i = 0; i < found; i++)
				pp[out[i]] = 0;
			for (size_t i = 0; i < pop; i++)
				cdf[i] = pp[i] + (i ? cdf[i - 1] : 0);
			for (size_t i = 0; i < pop; i++)
				cdf[i] /= cdf[pop - 1];
			for (size_t i = 0; i < m; i++)
				newv[i] = search_right(cdf, pop, u[i]);
			/* unique values, ordered by first occurrence */
			size_t nu = 0;
			for (size_t i = 0; i < m; i++) {
				size_t j;
				for (j = 0; j < i; j++)
					if (newv[j] == newv[i])
						break;
				if (j == i)
					first[nu++] = newv[i];
			}
			for (size_t i = 0; i < nu; i++)
				out[found + i] = (int64_t)first[i];
			found += nu;
			free(u);
		}
		free(pp);
		free(cdf);
		free(newv);
		free(first);
	}
	free(pv);
	if (a->ndim == 0)
		return nb_out(c, 0, idx);
	/* the chosen elements of a */
	nb_index ix = {.kind = NB_IDX_ARRAY, .arr = idx};
	nb_value *res = nb_getindex(a, 1, &ix, &e);
	nb_unref(idx);
	if (!res)
		return nb_fail_err(c, "a", &e);
	return nb_out(c, 0, res);
}

static const nb_param choice_params[] = {
	{"a", NB_P_ARRAY, NULL, "an integer n (choose from 0..n-1) or a 1-D array to choose from", NULL},
	{"size", NB_P_SHAPE, NB_OPTIONAL, "the output shape (default: one value)", NULL},
	{"replace", NB_P_BOOL, "true", "whether a value may be chosen more than once", NULL},
	{"p", NB_P_ARRAY, NB_OPTIONAL, "the probability of each element (default: uniform)", NULL}, {NULL}};

const nb_kernel nb_k_random_choice = {
	"random.choice", "a random sample from a population (np.random.choice)", choice_params, one_out, 0, k_choice,
	NULL, "- choice: {a: 10, size: 3, replace: false}\n  out: picks\n"};
