/*
 * ops.c - numpy's array semantics: broadcasting, promotion, reductions,
 * indexing and the shape functions.  See ops.h.
 */
#include "ops.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"

/* ---------------------------------------------------------------- helpers */

static void cstrides(int ndim, const size_t *shape, size_t *st)
{
	size_t s = 1;
	for (int i = ndim - 1; i >= 0; i--) {
		st[i] = s;
		s *= shape[i];
	}
}

static int shape_err(nb_err *e, const char *what, const nb_value *a, const nb_value *b)
{
	nb_buf sa = NB_BUF_INIT, sb = NB_BUF_INIT;
	nb_shape_str(a->ndim, a->shape, &sa);
	nb_shape_str(b->ndim, b->shape, &sb);
	nb_err_set(e, NB_NOLOC, "%s: shapes %s and %s do not match", what, nb_buf_str(&sa),
		   nb_buf_str(&sb));
	nb_buf_release(&sa);
	nb_buf_release(&sb);
	return -1;
}

static int need_array(const nb_value *a, const char *what, nb_err *e)
{
	if (nb_is_array(a))
		return 0;
	nb_buf b = NB_BUF_INIT;
	nb_describe_value(a, &b);
	nb_err_set(e, NB_NOLOC, "%s needs an array, not %s", what, nb_buf_str(&b));
	nb_buf_release(&b);
	return -1;
}

int nb_norm_axis(int axis, int ndim, int *out, nb_err *e)
{
	int a = axis < 0 ? axis + ndim : axis;
	if (a < 0 || a >= ndim) {
		if (ndim == 0)
			return nb_err_set(e, NB_NOLOC, "axis %d is out of bounds for a scalar (rank 0)", axis);
		return nb_err_set(e, NB_NOLOC, "axis %d is out of bounds for an array of rank %d", axis, ndim);
	}
	*out = a;
	return 0;
}

/* Broadcast iteration: element offsets of up to three operands. */
typedef struct bcast {
	int ndim;
	size_t shape[NB_MAXDIM];
	size_t st[3][NB_MAXDIM];
	size_t idx[NB_MAXDIM];
	size_t off[3];
	size_t size;
} bcast;

static void bcast_operand(bcast *it, int k, const nb_value *v)
{
	size_t cs[NB_MAXDIM];
	cstrides(v->ndim, v->shape, cs);
	for (int i = 0; i < it->ndim; i++) {
		int iv = v->ndim - it->ndim + i;
		it->st[k][i] = (iv >= 0 && v->shape[iv] != 1) ? cs[iv] : 0;
	}
}

static void bcast_start(bcast *it)
{
	memset(it->idx, 0, sizeof it->idx);
	memset(it->off, 0, sizeof it->off);
	it->size = nb_shape_size(it->ndim, it->shape);
}

static inline void bcast_next(bcast *it)
{
	for (int d = it->ndim - 1; d >= 0; d--) {
		it->off[0] += it->st[0][d];
		it->off[1] += it->st[1][d];
		it->off[2] += it->st[2][d];
		if (++it->idx[d] < it->shape[d])
			return;
		it->off[0] -= it->st[0][d] * it->shape[d];
		it->off[1] -= it->st[1][d] * it->shape[d];
		it->off[2] -= it->st[2][d] * it->shape[d];
		it->idx[d] = 0;
	}
}

static int broadcast2(bcast *it, const nb_value *a, const nb_value *b, nb_err *e)
{
	memset(it, 0, sizeof *it);
	if (nb_broadcast_shapes(a->ndim, a->shape, b->ndim, b->shape, &it->ndim, it->shape) < 0)
		return shape_err(e, "operands could not be broadcast together", a, b);
	bcast_operand(it, 0, a);
	bcast_operand(it, 1, b);
	bcast_start(it);
	return 0;
}

/* ------------------------------------------------------------- binary ops */

const char *nb_binop_symbol(nb_binop op)
{
	static const char *const sym[] = {
		"+", "-", "*", "/", "//", "%", "**", "==", "!=", "<", "<=", ">", ">=",
		"&", "|", "^", "maximum", "minimum", "fmax", "fmin", "arctan2", "hypot",
	};
	return sym[op];
}


static double f_binary(nb_binop op, double x, double y)
{
	double q, r;
	switch (op) {
	case NB_ADD: return x + y;
	case NB_SUB: return x - y;
	case NB_MUL: return x * y;
	case NB_DIV: return x / y;
	case NB_FLOORDIV: nb_divmod(x, y, &q, &r); return q;
	case NB_MOD: nb_divmod(x, y, &q, &r); return r;
	case NB_POW: return pow(x, y);
	case NB_MAXIMUM: return (isnan(x) || x >= y) ? x : y;
	case NB_MINIMUM: return (isnan(x) || x <= y) ? x : y;
	case NB_FMAX: return fmax(x, y);
	case NB_FMIN: return fmin(x, y);
	case NB_ARCTAN2: return atan2(x, y);
	case NB_HYPOT: return hypot(x, y);
	default: return NAN;
	}
}

static int i_binary(nb_binop op, int64_t x, int64_t y, int64_t *out, nb_err *e)
{
	uint64_t ux = (uint64_t)x, uy = (uint64_t)y;
	switch (op) {
	case NB_ADD: *out = (int64_t)(ux + uy); return 0; /* wraps, as numpy does */
	case NB_SUB: *out = (int64_t)(ux - uy); return 0;
	case NB_MUL: *out = (int64_t)(ux * uy); return 0;
	case NB_FLOORDIV:
		if (y == 0 || (x == INT64_MIN && y == -1)) {
			*out = 0;
			return 0;
		}
		*out = x / y - ((x % y != 0) && ((x < 0) != (y < 0)));
		return 0;
	case NB_MOD:
		if (y == 0 || y == -1) {
			*out = 0;
			return 0;
		}
		*out = x % y;
		if (*out != 0 && ((*out < 0) != (y < 0)))
			*out += y;
		return 0;
	case NB_POW: {
		if (y < 0)
			return nb_err_set(e, NB_NOLOC,
					  "integers to negative integer powers are not allowed "
					  "(write the base as a float, e.g. 2.0)");
		uint64_t r = 1, b = ux;
		for (uint64_t n = uy; n; n >>= 1) {
			if (n & 1)
				r *= b;
			b *= b;
		}
		*out = (int64_t)r;
		return 0;
	}
	case NB_AND: *out = x & y; return 0;
	case NB_OR: *out = x | y; return 0;
	case NB_XOR: *out = x ^ y; return 0;
	case NB_MAXIMUM: case NB_FMAX: *out = x > y ? x : y; return 0;
	case NB_MINIMUM: case NB_FMIN: *out = x < y ? x : y; return 0;
	default: return nb_err_set(e, NB_NOLOC, "operator '%s' is not defined for integers", nb_binop_symbol(op));
	}
}

static int compare(nb_binop op, double x, double y)
{
	switch (op) {
	case NB_EQ: return x == y;
	case NB_NE: return x != y;
	case NB_LT: return x < y;
	case NB_LE: return x <= y;
	case NB_GT: return x > y;
	case NB_GE: return x >= y;
	default: return 0;
	}
}

static int icompare(nb_binop op, int64_t x, int64_t y)
{
	switch (op) {
	case NB_EQ: return x == y;
	case NB_NE: return x != y;
	case NB_LT: return x < y;
	case NB_LE: return x <= y;
	case NB_GT: return x > y;
	case NB_GE: return x >= y;
	default: return 0;
	}
}

/* Special exponents that numpy computes with faster, exactly rounded ops. */
/* a ** 2, ** 0.5 and ** -1 of a float64 array, into a fresh array or, when over is a (the
 * caller's alone), over it; NULL (e unset) when b is another power or a another array. */
static nb_value *fast_power(const nb_value *a, const nb_value *b, nb_value *over, nb_err *e)
{
	if (a->dtype != NB_F64 || b->ndim != 0 || a->ndim == 0)
		return NULL;
	double p = nb_get_f64(b, 0);
	if (p != 2.0 && p != 0.5 && p != -1.0)
		return NULL;
	nb_value *r = over ? nb_ref(over) : nb_array_like(a, NB_F64, e);
	if (!r)
		return NULL;
	const double *x = nb_f64p(a);
	double *o = nb_f64p(r);
	for (size_t i = 0; i < a->size; i++)
		o[i] = p == 2.0 ? x[i] * x[i] : p == 0.5 ? sqrt(x[i]) : 1.0 / x[i];
	return r;
}

/* The hot cases: + - * / of two float64 arrays, none of them a scalar result. */
static int f64_fast(nb_binop op, const nb_value *a, const nb_value *b, const bcast *it)
{
	return a->dtype == NB_F64 && b->dtype == NB_F64 && it->ndim > 0 &&
	       (op == NB_ADD || op == NB_SUB || op == NB_MUL || op == NB_DIV);
}

/* o[k] = x op y over the broadcast it, a tight loop along the last axis.  o may be x or y
 * itself when that operand has the result's shape: each element is read before it is
 * written, at the same index. */
static void f64_fast_loop(nb_binop op, bcast *it, const double *x, const double *y, double *o)
{
	int d = it->ndim - 1;
	size_t len = it->shape[d], sa = it->st[0][d], sb = it->st[1][d];
	for (size_t k = 0; k < it->size; k += len) {
		const double *px = x + it->off[0], *py = y + it->off[1];
		double *po = o + k;
		switch (op) {
		case NB_ADD: for (size_t j = 0; j < len; j++) po[j] = px[j * sa] + py[j * sb]; break;
		case NB_SUB: for (size_t j = 0; j < len; j++) po[j] = px[j * sa] - py[j * sb]; break;
		case NB_MUL: for (size_t j = 0; j < len; j++) po[j] = px[j * sa] * py[j * sb]; break;
		default: for (size_t j = 0; j < len; j++) po[j] = px[j * sa] / py[j * sb]; break;
		}
		/* advance the outer indices by one whole row */
		it->idx[d] = len - 1;
		it->off[0] += sa * (len - 1);
		it->off[1] += sb * (len - 1);
		bcast_next(it);
	}
}

/* v is the caller's alone (one reference), a float64 array of the broadcast's shape. */
static int reusable(const nb_value *v, const bcast *it)
{
	if (v->refs != 1 || v->kind != NB_ARRAY || v->dtype != NB_F64 || v->ndim != it->ndim)
		return 0;
	for (int d = 0; d < v->ndim; d++)
		if (v->shape[d] != it->shape[d])
			return 0;
	return 1;
}

nb_value *nb_binary_take(nb_binop op, nb_value *a, nb_value *b, nb_err *e)
{
	nb_value *r = NULL;
	bcast it;
	if (nb_is_array(a) && nb_is_array(b) && a != b) {
		if (op == NB_POW && a->refs == 1)
			r = fast_power(a, b, a, NULL);
		else if (broadcast2(&it, a, b, NULL) == 0 && f64_fast(op, a, b, &it) &&
			   (reusable(a, &it) || reusable(b, &it))) {
			nb_value *o = reusable(a, &it) ? a : b;
			f64_fast_loop(op, &it, nb_f64p(a), nb_f64p(b), nb_f64p(o));
			r = nb_ref(o);
		}
	}
	if (!r)
		r = nb_binary(op, a, b, e);
	nb_unref(a);
	nb_unref(b);
	return r;
}

nb_value *nb_binary(nb_binop op, const nb_value *a, const nb_value *b, nb_err *e)
{
	if (!nb_is_array(a) || !nb_is_array(b)) {
		nb_buf da = NB_BUF_INIT, db = NB_BUF_INIT;
		nb_describe_value(a, &da);
		nb_describe_value(b, &db);
		nb_err_set(e, NB_NOLOC, "operator '%s' needs numbers or arrays, got %s and %s",
			   nb_binop_symbol(op), nb_buf_str(&da), nb_buf_str(&db));
		nb_buf_release(&da);
		nb_buf_release(&db);
		return NULL;
	}
	bcast it;
	if (broadcast2(&it, a, b, e) < 0)
		return NULL;
	nb_dtype common = nb_promote(a->dtype, b->dtype);
	int is_cmp = op >= NB_EQ && op <= NB_GE;
	int is_bit = op == NB_AND || op == NB_OR || op == NB_XOR;
	nb_dtype out;
	if (is_cmp)
		out = NB_BOOL;
	else if (is_bit) {
		if (common == NB_F64) {
			nb_err_set(e, NB_NOLOC, "operator '%s' needs integer or boolean operands, not float64 "
				   "(for element-wise logic, compare first: (a > 0) & (b > 0))", nb_binop_symbol(op));
			return NULL;
		}
		out = common;
	} else if (op == NB_DIV || op == NB_ARCTAN2 || op == NB_HYPOT)
		out = NB_F64;
	else
		out = common == NB_BOOL ? NB_I64 : common;
	if (op == NB_POW) {
		nb_value *r = fast_power(a, b, NULL, e);
		if (r || (e && e->set))
			return r;
	}
	nb_value *r = nb_array_new(out, it.ndim, it.shape, e);
	if (!r)
		return NULL;
	if (is_cmp) {
		uint8_t *o = nb_boolp(r);
		if (common == NB_F64)
			for (size_t k = 0; k < it.size; k++, bcast_next(&it))
				o[k] = compare(op, nb_get_f64(a, it.off[0]), nb_get_f64(b, it.off[1]));
		else
			for (size_t k = 0; k < it.size; k++, bcast_next(&it))
				o[k] = icompare(op, nb_get_i64(a, it.off[0]), nb_get_i64(b, it.off[1]));
		return r;
	}
	if (out == NB_BOOL) { /* bitwise on bools */
		uint8_t *o = nb_boolp(r);
		const uint8_t *x = nb_boolp(a), *y = nb_boolp(b);
		for (size_t k = 0; k < it.size; k++, bcast_next(&it)) {
			uint8_t u = x[it.off[0]], v = y[it.off[1]];
			o[k] = op == NB_AND ? (u & v) : op == NB_OR ? (u | v) : (u ^ v);
		}
		return r;
	}
	if (out == NB_F64) {
		double *o = nb_f64p(r);
		if (f64_fast(op, a, b, &it))
			f64_fast_loop(op, &it, nb_f64p(a), nb_f64p(b), o);
		else if (a->dtype == NB_F64 && b->dtype == NB_F64) {
			const double *x = nb_f64p(a), *y = nb_f64p(b);
			switch (op) {
			case NB_ADD: for (size_t k = 0; k < it.size; k++, bcast_next(&it)) o[k] = x[it.off[0]] + y[it.off[1]]; break;
			case NB_SUB: for (size_t k = 0; k < it.size; k++, bcast_next(&it)) o[k] = x[it.off[0]] - y[it.off[1]]; break;
			case NB_MUL: for (size_t k = 0; k < it.size; k++, bcast_next(&it)) o[k] = x[it.off[0]] * y[it.off[1]]; break;
			case NB_DIV: for (size_t k = 0; k < it.size; k++, bcast_next(&it)) o[k] = x[it.off[0]] / y[it.off[1]]; break;
			default: for (size_t k = 0; k < it.size; k++, bcast_next(&it)) o[k] = f_binary(op, x[it.off[0]], y[it.off[1]]);
			}
		} else {
			for (size_t k = 0; k < it.size; k++, bcast_next(&it))
				o[k] = f_binary(op, nb_get_f64(a, it.off[0]), nb_get_f64(b, it.off[1]));
		}
		return r;
	}
	int64_t *o = nb_i64p(r);
	for (size_t k = 0; k < it.size; k++, bcast_next(&it)) {
		if (i_binary(op, nb_get_i64(a, it.off[0]), nb_get_i64(b, it.off[1]), &o[k], e) < 0) {
			nb_unref(r);
			return NULL;
		}
	}
	return r;
}

/* -------------------------------------------------------------- unary ops */

static double f_unary(nb_unop op, double x)
{
	switch (op) {
	case NB_NEG: return -x;
	case NB_POS: return x;
	case NB_ABS: return fabs(x);
	case NB_SIGN: return isnan(x) ? x : (x > 0) - (x < 0);
	case NB_SQUARE: return x * x;
	case NB_EXP: return exp(x);
	case NB_EXPM1: return expm1(x);
	case NB_EXP2: return exp2(x);
	case NB_LOG: return log(x);
	case NB_LOG2: return log2(x);
	case NB_LOG10: return log10(x);
	case NB_LOG1P: return log1p(x);
	case NB_SQRT: return sqrt(x);
	case NB_CBRT: return cbrt(x);
	case NB_SIN: return sin(x);
	case NB_COS: return cos(x);
	case NB_TAN: return tan(x);
	case NB_ARCSIN: return asin(x);
	case NB_ARCCOS: return acos(x);
	case NB_ARCTAN: return atan(x);
	case NB_SINH: return sinh(x);
	case NB_COSH: return cosh(x);
	case NB_TANH: return tanh(x);
	case NB_ARCSINH: return asinh(x);
	case NB_ARCCOSH: return acosh(x);
	case NB_ARCTANH: return atanh(x);
	case NB_FLOOR: return floor(x);
	case NB_CEIL: return ceil(x);
	case NB_RINT: return nearbyint(x);
	case NB_TRUNC: return trunc(x);
	default: return NAN;
	}
}

nb_value *nb_unary(nb_unop op, const nb_value *a, nb_err *e)
{
	if (need_array(a, "this function", e) < 0)
		return NULL;
	nb_value *r;
	switch (op) {
	case NB_ISNAN: case NB_ISINF: case NB_ISFINITE: case NB_LOGICAL_NOT:
		if (!(r = nb_array_like(a, NB_BOOL, e)))
			return NULL;
		for (size_t i = 0; i < a->size; i++) {
			double x = nb_get_f64(a, i);
			nb_boolp(r)[i] = op == NB_ISNAN ? isnan(x) : op == NB_ISINF ? isinf(x)
				       : op == NB_ISFINITE ? isfinite(x) : x == 0;
		}
		return r;
	case NB_INVERT:
		if (a->dtype == NB_F64) {
			nb_err_set(e, NB_NOLOC, "operator '~' needs integer or boolean operands, not float64");
			return NULL;
		}
		if (!(r = nb_array_like(a, a->dtype, e)))
			return NULL;
		for (size_t i = 0; i < a->size; i++) {
			if (a->dtype == NB_BOOL)
				nb_boolp(r)[i] = !nb_boolp(a)[i];
			else
				nb_i64p(r)[i] = ~nb_i64p(a)[i];
		}
		return r;
	case NB_NEG: case NB_POS: case NB_ABS: case NB_SIGN: case NB_SQUARE:
		if (a->dtype != NB_F64) {
			nb_dtype dt = (a->dtype == NB_BOOL && op != NB_ABS && op != NB_POS) ? NB_I64 : a->dtype;
			if (a->dtype == NB_BOOL && op == NB_NEG) {
				nb_err_set(e, NB_NOLOC, "unary '-' is not defined for booleans (use '~')");
				return NULL;
			}
			if (!(r = nb_array_like(a, dt, e)))
				return NULL;
			for (size_t i = 0; i < a->size; i++) {
				int64_t x = nb_get_i64(a, i), y;
				y = op == NB_NEG ? (int64_t)(0 - (uint64_t)x) : op == NB_POS ? x
				  : op == NB_ABS ? (x < 0 ? (int64_t)(0 - (uint64_t)x) : x)
				  : op == NB_SIGN ? (x > 0) - (x < 0) : (int64_t)((uint64_t)x * (uint64_t)x);
				if (dt == NB_BOOL)
					nb_boolp(r)[i] = y != 0;
				else
					nb_i64p(r)[i] = y;
			}
			return r;
		}
		break;
	case NB_FLOOR: case NB_CEIL: case NB_RINT: case NB_TRUNC:
		if (a->dtype != NB_F64)
			return nb_astype(a, NB_F64, e);
		break;
	default:
		break;
	}
	if (!(r = nb_array_like(a, NB_F64, e)))
		return NULL;
	double *o = nb_f64p(r);
	for (size_t i = 0; i < a->size; i++)
		o[i] = f_unary(op, nb_get_f64(a, i));
	return r;
}

nb_value *nb_round(const nb_value *a, int decimals, nb_err *e)
{
	if (need_array(a, "round", e) < 0)
		return NULL;
	if (a->dtype != NB_F64 && decimals >= 0)
		return nb_ref(a);
	nb_value *r = nb_array_like(a, a->dtype == NB_F64 ? NB_F64 : NB_I64, e);
	if (!r)
		return NULL;
	double f = pow(10.0, fabs((double)decimals));
	for (size_t i = 0; i < a->size; i++) {
		double x = nb_get_f64(a, i), y;
		if (decimals == 0)
			y = nearbyint(x);
		else if (decimals > 0)
			y = nearbyint(x * f) / f;
		else
			y = nearbyint(x / f) * f;
		if (r->dtype == NB_F64)
			nb_f64p(r)[i] = y;
		else
			nb_i64p(r)[i] = (int64_t)y;
	}
	return r;
}

nb_value *nb_where(const nb_value *c, const nb_value *a, const nb_value *b, nb_err *e)
{
	if (need_array(c, "where", e) < 0 || need_array(a, "where", e) < 0 || need_array(b, "where", e) < 0)
		return NULL;
	bcast it;
	memset(&it, 0, sizeof it);
	int n1;
	size_t s1[NB_MAXDIM];
	if (nb_broadcast_shapes(c->ndim, c->shape, a->ndim, a->shape, &n1, s1) < 0) {
		shape_err(e, "where: operands could not be broadcast together", c, a);
		return NULL;
	}
	if (nb_broadcast_shapes(n1, s1, b->ndim, b->shape, &it.ndim, it.shape) < 0) {
		shape_err(e, "where: operands could not be broadcast together", a, b);
		return NULL;
	}
	bcast_operand(&it, 0, c);
	bcast_operand(&it, 1, a);
	bcast_operand(&it, 2, b);
	bcast_start(&it);
	nb_dtype dt = nb_promote(a->dtype, b->dtype);
	nb_value *r = nb_array_new(dt, it.ndim, it.shape, e);
	if (!r)
		return NULL;
	for (size_t k = 0; k < it.size; k++, bcast_next(&it)) {
		int t = nb_get_f64(c, it.off[0]) != 0;
		const nb_value *src = t ? a : b;
		size_t off = t ? it.off[1] : it.off[2];
		switch (dt) {
		case NB_F64: nb_f64p(r)[k] = nb_get_f64(src, off); break;
		case NB_I64: nb_i64p(r)[k] = nb_get_i64(src, off); break;
		case NB_BOOL: nb_boolp(r)[k] = nb_boolp(src)[off]; break;
		}
	}
	return r;
}

/* ------------------------------------------------------------- reductions */

double nb_pairwise_sum(const double *a, size_t n, size_t stride)
{
	if (n < 8) {
		double res = 0.;
		for (size_t i = 0; i < n; i++)
			res += a[i * stride];
		return res;
	}
	if (n <= 128) {
		double r[8];
		size_t i;
		for (int j = 0; j < 8; j++)
			r[j] = a[(size_t)j * stride];
		for (i = 8; i < n - (n % 8); i += 8)
			for (int j = 0; j < 8; j++)
				r[j] += a[(i + (size_t)j) * stride];
		double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
		for (; i < n; i++)
			res += a[i * stride];
		return res;
	}
	size_t n2 = n / 2;
	n2 -= n2 % 8;
	return nb_pairwise_sum(a, n2, stride) + nb_pairwise_sum(a + n2 * stride, n - n2, stride);
}

static const char *redop_name(nb_redop op)
{
	static const char *const names[] = {"sum", "prod", "mean", "var", "std", "min", "max",
					    "argmin", "argmax", "any", "all"};
	return names[op];
}

/*
 * numpy's order of additions for a sum over the axes marked in red[]: the
 * trailing run of reduced axes is contiguous, so numpy sums it with one
 * pairwise_sum call (a run of length one when the last axis is kept); the
 * other reduced axes are walked in C order and their partial sums added in
 * sequence.  Matching this order makes results agree to the last bit.
 */
typedef struct redplan {
	size_t osize, inner, outer;   /* groups, run length, runs per group */
	size_t *goff, *ooff;          /* start of each group / of each run */
} redplan;

static void plan_reduction(const nb_value *a, const int *red, redplan *p)
{
	size_t cs[NB_MAXDIM];
	cstrides(a->ndim, a->shape, cs);
	int t = a->ndim; /* first axis of the trailing reduced run */
	while (t > 0 && red[t - 1])
		t--;
	p->inner = 1;
	for (int i = t; i < a->ndim; i++)
		p->inner *= a->shape[i];
	p->osize = 1;
	p->outer = 1;
	for (int i = 0; i < t; i++) {
		if (red[i])
			p->outer *= a->shape[i];
		else
			p->osize *= a->shape[i];
	}
	p->goff = nb_xmalloc((p->osize ? p->osize : 1) * sizeof *p->goff);
	p->ooff = nb_xmalloc((p->outer ? p->outer : 1) * sizeof *p->ooff);
	for (int pass = 0; pass < 2; pass++) {
		int want_red = pass == 1;
		size_t n = want_red ? p->outer : p->osize, *dst = want_red ? p->ooff : p->goff;
		size_t idx[NB_MAXDIM] = {0};
		for (size_t g = 0; g < n; g++) {
			size_t off = 0;
			for (int i = 0; i < t; i++)
				if (red[i] == want_red)
					off += idx[i] * cs[i];
			dst[g] = off;
			for (int i = t - 1; i >= 0; i--) {
				if (red[i] != want_red)
					continue;
				if (++idx[i] < a->shape[i])
					break;
				idx[i] = 0;
			}
		}
	}
}

static void plan_free(redplan *p)
{
	free(p->goff);
	free(p->ooff);
}

/* Sum of group g of a float64 array, in numpy's order. */
static double plan_sum(const redplan *p, const double *x, size_t g)
{
	double s = 0;
	for (size_t o = 0; o < p->outer; o++)
		s += nb_pairwise_sum(x + p->goff[g] + p->ooff[o], p->inner, 1);
	return s;
}

nb_value *nb_reduce(nb_redop op, const nb_value *a, int naxes, const int *axes,
		    int keepdims, double ddof, nb_err *e)
{
	if (need_array(a, redop_name(op), e) < 0)
		return NULL;
	int red[NB_MAXDIM] = {0};
	if (!axes) {
		for (int i = 0; i < a->ndim; i++)
			red[i] = 1;
	} else {
		if ((op == NB_RARGMIN || op == NB_RARGMAX) && naxes > 1) {
			nb_err_set(e, NB_NOLOC, "%s takes a single axis", redop_name(op));
			return NULL;
		}
		for (int k = 0; k < naxes; k++) {
			int ax;
			if (nb_norm_axis(axes[k], a->ndim, &ax, e) < 0)
				return NULL;
			if (red[ax]) {
				nb_err_set(e, NB_NOLOC, "duplicate value in 'axis'");
				return NULL;
			}
			red[ax] = 1;
		}
	}
	size_t oshape[NB_MAXDIM], kshape[NB_MAXDIM];
	int ond = 0;
	size_t m = 1;
	for (int i = 0; i < a->ndim; i++) {
		kshape[i] = red[i] ? 1 : a->shape[i];
		if (red[i])
			m *= a->shape[i];
		else
			oshape[ond++] = a->shape[i];
	}
	int is_arg = op == NB_RARGMIN || op == NB_RARGMAX;
	if (is_arg && !axes) { /* flattened index */
		ond = 0;
		keepdims = 0;
	}
	if (m == 0 && (op == NB_RMIN || op == NB_RMAX || is_arg)) {
		nb_err_set(e, NB_NOLOC, "zero-size array to reduction operation %s which has no identity",
			   redop_name(op));
		return NULL;
	}
	nb_dtype odt;
	switch (op) {
	case NB_RSUM: case NB_RPROD:
		odt = a->dtype == NB_F64 ? NB_F64 : NB_I64; break;
	case NB_RMIN: case NB_RMAX:
		odt = a->dtype; break;
	case NB_RARGMIN: case NB_RARGMAX:
		odt = NB_I64; break;
	case NB_RANY: case NB_RALL:
		odt = NB_BOOL; break;
	default:
		odt = NB_F64;
	}
	nb_value *r = keepdims ? nb_array_new(odt, a->ndim, kshape, e) : nb_array_new(odt, ond, oshape, e);
	if (!r)
		return NULL;
	redplan P;
	plan_reduction(a, red, &P);
	/* float sums (sum, mean, var, std) go through a float64 copy, as numpy's dtype=float64 does */
	nb_value *af = NULL, *sq = NULL;
	if (op == NB_RMEAN || op == NB_RVAR || op == NB_RSTD || (op == NB_RSUM && odt == NB_F64)) {
		af = nb_astype(a, NB_F64, e);
		if (!af)
			goto fail;
	}
	if (op == NB_RVAR || op == NB_RSTD) {
		/* x = (a - mean)**2 over the whole array, then summed in the same order */
		sq = nb_array_like(a, NB_F64, e);
		if (!sq)
			goto fail;
		const double *x = nb_f64p(af);
		double *q = nb_f64p(sq);
		for (size_t g = 0; g < P.osize; g++) {
			double mean = plan_sum(&P, x, g) / (double)m;
			for (size_t o = 0; o < P.outer; o++)
				for (size_t j = 0; j < P.inner; j++) {
					size_t off = P.goff[g] + P.ooff[o] + j;
					double d = x[off] - mean;
					q[off] = d * d;
				}
		}
	}
	for (size_t g = 0; g < P.osize; g++) {
		switch (op) {
		case NB_RSUM: case NB_RMEAN:
			if (odt == NB_I64) {
				uint64_t s = 0;
				for (size_t o = 0; o < P.outer; o++)
					for (size_t j = 0; j < P.inner; j++)
						s += (uint64_t)nb_get_i64(a, P.goff[g] + P.ooff[o] + j);
				nb_i64p(r)[g] = (int64_t)s;
			} else {
				double s = plan_sum(&P, nb_f64p(af), g);
				nb_f64p(r)[g] = op == NB_RMEAN ? s / (double)m : s;
			}
			break;
		case NB_RVAR: case NB_RSTD: {
			double ss = plan_sum(&P, nb_f64p(sq), g);
			double dn = (double)m - ddof;
			double v = dn > 0 ? ss / dn : NAN;
			nb_f64p(r)[g] = op == NB_RSTD ? sqrt(v) : v;
			break;
		}
		case NB_RPROD:
			if (odt == NB_F64) {
				double p = 1;
				for (size_t o = 0; o < P.outer; o++)
					for (size_t j = 0; j < P.inner; j++)
						p *= nb_f64p(a)[P.goff[g] + P.ooff[o] + j];
				nb_f64p(r)[g] = p;
			} else {
				uint64_t p = 1;
				for (size_t o = 0; o < P.outer; o++)
					for (size_t j = 0; j < P.inner; j++)
						p *= (uint64_t)nb_get_i64(a, P.goff[g] + P.ooff[o] + j);
				nb_i64p(r)[g] = (int64_t)p;
			}
			break;
		case NB_RMIN: case NB_RMAX: case NB_RARGMIN: case NB_RARGMAX: {
			/* candidates in C order of the reduced axes */
			int want_max = op == NB_RMAX || op == NB_RARGMAX;
			size_t best = 0, k = 0;
			double bf = 0;
			int64_t bi = 0;
			int have_nan = 0;
			for (size_t o = 0; o < P.outer; o++) {
				for (size_t j = 0; j < P.inner; j++, k++) {
					size_t off = P.goff[g] + P.ooff[o] + j;
					if (a->dtype == NB_F64) {
						double x = nb_f64p(a)[off];
						if (have_nan)
							continue;
						if (k == 0 || isnan(x) || (want_max ? x > bf : x < bf)) {
							bf = x;
							best = k;
							have_nan = isnan(x);
						}
					} else {
						int64_t x = nb_get_i64(a, off);
						if (k == 0 || (want_max ? x > bi : x < bi)) {
							bi = x;
							best = k;
						}
					}
				}
			}
			if (is_arg)
				nb_i64p(r)[g] = (int64_t)best;
			else if (odt == NB_F64)
				nb_f64p(r)[g] = bf;
			else if (odt == NB_I64)
				nb_i64p(r)[g] = bi;
			else
				nb_boolp(r)[g] = bi != 0;
			break;
		}
		case NB_RANY: case NB_RALL: {
			int any = 0, all = 1;
			for (size_t o = 0; o < P.outer; o++)
				for (size_t j = 0; j < P.inner; j++) {
					size_t off = P.goff[g] + P.ooff[o] + j;
					int t = nb_get_f64(a, off) != 0 || (a->dtype == NB_F64 && isnan(nb_f64p(a)[off]));
					any |= t;
					all &= t;
				}
			nb_boolp(r)[g] = op == NB_RANY ? any : all;
			break;
		}
		}
	}
	plan_free(&P);
	nb_unref(af);
	nb_unref(sq);
	return r;
fail:
	plan_free(&P);
	nb_unref(af);
	nb_unref(sq);
	nb_unref(r);
	return NULL;
}

nb_value *nb_cumulate(nb_binop op, const nb_value *a, const int *axisp, nb_err *e)
{
	if (need_array(a, op == NB_ADD ? "cumsum" : "cumprod", e) < 0)
		return NULL;
	nb_value *src;
	int axis;
	if (!axisp) {
		int64_t n = -1;
		if (!(src = nb_reshape(a, 1, &n, e)))
			return NULL;
		axis = 0;
	} else {
		if (nb_norm_axis(*axisp, a->ndim, &axis, e) < 0)
			return NULL;
		src = nb_ref(a);
	}
	nb_dtype dt = src->dtype == NB_F64 ? NB_F64 : NB_I64;
	nb_value *r = nb_array_like(src, dt, e);
	if (!r) {
		nb_unref(src);
		return NULL;
	}
	size_t inner = 1, outer = 1, len = src->shape[axis];
	for (int i = axis + 1; i < src->ndim; i++)
		inner *= src->shape[i];
	for (int i = 0; i < axis; i++)
		outer *= src->shape[i];
	for (size_t o = 0; o < outer; o++) {
		for (size_t in = 0; in < inner; in++) {
			size_t base = o * len * inner + in;
			double fs = op == NB_ADD ? 0 : 1;
			uint64_t is = op == NB_ADD ? 0 : 1;
			for (size_t j = 0; j < len; j++) {
				size_t off = base + j * inner;
				if (dt == NB_F64) {
					double x = nb_get_f64(src, off);
					fs = j == 0 ? x : (op == NB_ADD ? fs + x : fs * x);
					nb_f64p(r)[off] = fs;
				} else {
					uint64_t x = (uint64_t)nb_get_i64(src, off);
					is = j == 0 ? x : (op == NB_ADD ? is + x : is * x);
					nb_i64p(r)[off] = (int64_t)is;
				}
			}
		}
	}
	nb_unref(src);
	return r;
}

/* ------------------------------------------------------- shape functions */

static size_t dsize(const nb_value *v)
{
	return v->dtype == NB_BOOL ? 1 : 8;
}

nb_value *nb_transpose(const nb_value *a, const int *perm, nb_err *e)
{
	if (need_array(a, "transpose", e) < 0)
		return NULL;
	int p[NB_MAXDIM], used[NB_MAXDIM] = {0};
	for (int i = 0; i < a->ndim; i++) {
		if (perm) {
			if (nb_norm_axis(perm[i], a->ndim, &p[i], e) < 0)
				return NULL;
			if (used[p[i]]++) {
				nb_err_set(e, NB_NOLOC, "repeated axis in transpose");
				return NULL;
			}
		} else {
			p[i] = a->ndim - 1 - i;
		}
	}
	size_t shape[NB_MAXDIM], cs[NB_MAXDIM], st[NB_MAXDIM];
	cstrides(a->ndim, a->shape, cs);
	for (int i = 0; i < a->ndim; i++) {
		shape[i] = a->shape[p[i]];
		st[i] = cs[p[i]];
	}
	nb_value *r = nb_array_new(a->dtype, a->ndim, shape, e);
	if (!r)
		return NULL;
	size_t idx[NB_MAXDIM] = {0}, off = 0, es = dsize(a);
	char *o = r->data;
	const char *s = a->data;
	for (size_t k = 0; k < r->size; k++) {
		memcpy(o + k * es, s + off * es, es);
		for (int d = a->ndim - 1; d >= 0; d--) {
			off += st[d];
			if (++idx[d] < shape[d])
				break;
			off -= st[d] * shape[d];
			idx[d] = 0;
		}
	}
	return r;
}

nb_value *nb_reshape(const nb_value *a, int ndim, const int64_t *shape, nb_err *e)
{
	if (need_array(a, "reshape", e) < 0)
		return NULL;
	if (ndim > NB_MAXDIM) {
		nb_err_set(e, NB_NOLOC, "arrays have at most %d dimensions", NB_MAXDIM);
		return NULL;
	}
	size_t s[NB_MAXDIM], known = 1;
	int infer = -1;
	for (int i = 0; i < ndim; i++) {
		if (shape[i] == -1) {
			if (infer >= 0) {
				nb_err_set(e, NB_NOLOC, "can only specify one unknown dimension (-1)");
				return NULL;
			}
			infer = i;
		} else if (shape[i] < 0) {
			nb_err_set(e, NB_NOLOC, "negative dimension %lld in reshape", (long long)shape[i]);
			return NULL;
		} else {
			s[i] = (size_t)shape[i];
			known *= s[i];
		}
	}
	if (infer >= 0) {
		if (known == 0 || a->size % known) {
			known = (size_t)-1;
		} else {
			s[infer] = a->size / known;
			known = a->size;
		}
	}
	if (known != a->size) {
		nb_buf b = NB_BUF_INIT;
		nb_buf_printf(&b, "cannot reshape an array of size %zu into shape (", a->size);
		for (int i = 0; i < ndim; i++)
			nb_buf_printf(&b, i ? ", %lld" : "%lld", (long long)shape[i]);
		nb_buf_puts(&b, ndim == 1 ? ",)" : ")");
		nb_err_set(e, NB_NOLOC, "%s", nb_buf_str(&b));
		nb_buf_release(&b);
		return NULL;
	}
	nb_value *r = nb_array_new(a->dtype, ndim, s, e);
	if (r && a->size)
		memcpy(r->data, a->data, a->size * dsize(a));
	return r;
}

nb_value *nb_squeeze(const nb_value *a, const int *axis, nb_err *e)
{
	if (need_array(a, "squeeze", e) < 0)
		return NULL;
	int64_t s[NB_MAXDIM];
	int n = 0, ax = -1;
	if (axis) {
		if (nb_norm_axis(*axis, a->ndim, &ax, e) < 0)
			return NULL;
		if (a->shape[ax] != 1) {
			nb_err_set(e, NB_NOLOC, "cannot select an axis to squeeze out which has size not equal to one");
			return NULL;
		}
	}
	for (int i = 0; i < a->ndim; i++)
		if (axis ? i != ax : a->shape[i] != 1)
			s[n++] = (int64_t)a->shape[i];
	return nb_reshape(a, n, s, e);
}

nb_value *nb_expand_dims(const nb_value *a, int axis, nb_err *e)
{
	if (need_array(a, "expand_dims", e) < 0)
		return NULL;
	int ax;
	if (nb_norm_axis(axis, a->ndim + 1, &ax, e) < 0)
		return NULL;
	int64_t s[NB_MAXDIM + 1];
	for (int i = 0, j = 0; i <= a->ndim; i++)
		s[i] = i == ax ? 1 : (int64_t)a->shape[j++];
	return nb_reshape(a, a->ndim + 1, s, e);
}

nb_value *nb_broadcast_to(const nb_value *a, int ndim, const size_t *shape, nb_err *e)
{
	int n;
	size_t s[NB_MAXDIM];
	if (nb_broadcast_shapes(a->ndim, a->shape, ndim, shape, &n, s) < 0 || n != ndim ||
	    memcmp(s, shape, (size_t)ndim * sizeof *s)) {
		nb_buf sa = NB_BUF_INIT, sb = NB_BUF_INIT;
		nb_shape_str(a->ndim, a->shape, &sa);
		nb_shape_str(ndim, shape, &sb);
		nb_err_set(e, NB_NOLOC, "cannot broadcast an array of shape %s to shape %s",
			   nb_buf_str(&sa), nb_buf_str(&sb));
		nb_buf_release(&sa);
		nb_buf_release(&sb);
		return NULL;
	}
	nb_value *r = nb_array_new(a->dtype, ndim, shape, e);
	if (!r)
		return NULL;
	bcast it;
	memset(&it, 0, sizeof it);
	it.ndim = ndim;
	memcpy(it.shape, shape, (size_t)ndim * sizeof *shape);
	bcast_operand(&it, 0, a);
	bcast_start(&it);
	size_t es = dsize(a);
	for (size_t k = 0; k < it.size; k++, bcast_next(&it))
		memcpy((char *)r->data + k * es, (char *)a->data + it.off[0] * es, es);
	return r;
}

nb_value *nb_concatenate(size_t n, nb_value *const *vals, int axis, nb_err *e)
{
	if (n == 0) {
		nb_err_set(e, NB_NOLOC, "need at least one array to concatenate");
		return NULL;
	}
	nb_dtype dt = NB_BOOL;
	for (size_t k = 0; k < n; k++) {
		if (need_array(vals[k], "concatenate", e) < 0)
			return NULL;
		if (vals[k]->ndim == 0) {
			nb_err_set(e, NB_NOLOC, "zero-dimensional arrays cannot be concatenated");
			return NULL;
		}
		dt = nb_promote(dt, vals[k]->dtype);
	}
	const nb_value *a0 = vals[0];
	int ax;
	if (nb_norm_axis(axis, a0->ndim, &ax, e) < 0)
		return NULL;
	size_t shape[NB_MAXDIM];
	memcpy(shape, a0->shape, sizeof shape);
	shape[ax] = 0;
	for (size_t k = 0; k < n; k++) {
		const nb_value *v = vals[k];
		if (v->ndim != a0->ndim) {
			nb_err_set(e, NB_NOLOC,
				   "all the input arrays must have the same number of dimensions, but array 0 has %d "
				   "and array %zu has %d", a0->ndim, k, v->ndim);
			return NULL;
		}
		for (int i = 0; i < v->ndim; i++) {
			if (i != ax && v->shape[i] != a0->shape[i]) {
				nb_err_set(e, NB_NOLOC,
					   "all the input array dimensions except for the concatenation axis must "
					   "match exactly, but along dimension %d, array 0 has size %zu and array %zu "
					   "has size %zu", i, a0->shape[i], k, v->shape[i]);
				return NULL;
			}
		}
		shape[ax] += v->shape[ax];
	}
	nb_value *r = nb_array_new(dt, a0->ndim, shape, e);
	if (!r)
		return NULL;
	size_t outer = 1, inner = 1;
	for (int i = 0; i < ax; i++)
		outer *= shape[i];
	for (int i = ax + 1; i < a0->ndim; i++)
		inner *= shape[i];
	size_t pos = 0;
	for (size_t k = 0; k < n; k++) {
		nb_value *v = nb_astype(vals[k], dt, e);
		if (!v) {
			nb_unref(r);
			return NULL;
		}
		size_t blk = v->shape[ax] * inner, es = dsize(r);
		for (size_t o = 0; o < outer; o++)
			memcpy((char *)r->data + (o * shape[ax] * inner + pos) * es,
			       (char *)v->data + o * blk * es, blk * es);
		pos += blk;
		nb_unref(v);
	}
	return r;
}

nb_value *nb_stack(size_t n, nb_value *const *vals, int axis, nb_err *e)
{
	if (n == 0) {
		nb_err_set(e, NB_NOLOC, "need at least one array to stack");
		return NULL;
	}
	for (size_t k = 0; k < n; k++) {
		if (need_array(vals[k], "stack", e) < 0)
			return NULL;
		if (vals[k]->ndim != vals[0]->ndim ||
		    memcmp(vals[k]->shape, vals[0]->shape, (size_t)vals[0]->ndim * sizeof(size_t))) {
			shape_err(e, "all input arrays must have the same shape", vals[0], vals[k]);
			return NULL;
		}
	}
	int ax;
	if (nb_norm_axis(axis, vals[0]->ndim + 1, &ax, e) < 0)
		return NULL;
	nb_value **ex = nb_xcalloc(n, sizeof *ex);
	nb_value *r = NULL;
	size_t k;
	for (k = 0; k < n; k++)
		if (!(ex[k] = nb_expand_dims(vals[k], ax, e)))
			break;
	if (k == n)
		r = nb_concatenate(n, ex, ax, e);
	for (size_t j = 0; j < n; j++)
		nb_unref(ex[j]);
	free(ex);
	return r;
}

nb_value *nb_tile(const nb_value *a, int nreps, const int64_t *reps, nb_err *e)
{
	if (need_array(a, "tile", e) < 0)
		return NULL;
	int nd = a->ndim > nreps ? a->ndim : nreps;
	if (nd > NB_MAXDIM) {
		nb_err_set(e, NB_NOLOC, "arrays have at most %d dimensions", NB_MAXDIM);
		return NULL;
	}
	size_t ash[NB_MAXDIM], rp[NB_MAXDIM], shape[NB_MAXDIM];
	for (int i = 0; i < nd; i++) {
		int ia = a->ndim - nd + i, ir = nreps - nd + i;
		ash[i] = ia >= 0 ? a->shape[ia] : 1;
		if (ir >= 0 && reps[ir] < 0) {
			nb_err_set(e, NB_NOLOC, "tile repetitions must be non-negative, got %lld", (long long)reps[ir]);
			return NULL;
		}
		rp[i] = ir >= 0 ? (size_t)reps[ir] : 1;
		if (rp[i] && ash[i] > ((size_t)-1 / 2) / rp[i]) {
			nb_err_set(e, NB_NOLOC, "tile result is too large");
			return NULL;
		}
		shape[i] = ash[i] * rp[i];
	}
	nb_value *r = nb_array_new(a->dtype, nd, shape, e);
	if (!r)
		return NULL;
	size_t cs[NB_MAXDIM], idx[NB_MAXDIM] = {0}, es = dsize(a);
	cstrides(nd, ash, cs);
	for (size_t k = 0; k < r->size; k++) {
		size_t off = 0;
		for (int i = 0; i < nd; i++)
			off += (idx[i] % ash[i]) * cs[i];
		memcpy((char *)r->data + k * es, (char *)a->data + off * es, es);
		for (int d = nd - 1; d >= 0; d--) {
			if (++idx[d] < shape[d])
				break;
			idx[d] = 0;
		}
	}
	return r;
}

nb_value *nb_repeat(const nb_value *a, const nb_value *repeats, const int *axisp, nb_err *e)
{
	if (need_array(a, "repeat", e) < 0 || need_array(repeats, "repeat", e) < 0)
		return NULL;
	nb_value *src;
	int ax;
	if (!axisp) {
		int64_t n = -1;
		if (!(src = nb_reshape(a, 1, &n, e)))
			return NULL;
		ax = 0;
	} else {
		if (nb_norm_axis(*axisp, a->ndim, &ax, e) < 0)
			return NULL;
		src = nb_ref(a);
	}
	size_t len = src->shape[ax];
	if (repeats->size != 1 && repeats->size != len) {
		nb_err_set(e, NB_NOLOC, "repeat: 'repeats' has %zu elements but the axis has length %zu",
			   repeats->size, len);
		nb_unref(src);
		return NULL;
	}
	size_t total = 0;
	for (size_t j = 0; j < len; j++) {
		int64_t c = nb_get_i64(repeats, repeats->size == 1 ? 0 : j);
		if (c < 0 || (uint64_t)c > (NB_MAX_ARRAY_BYTES / 8)) {
			nb_err_set(e, NB_NOLOC, "repeat: repetition counts must be non-negative, got %lld", (long long)c);
			nb_unref(src);
			return NULL;
		}
		total += (size_t)c;
	}
	size_t shape[NB_MAXDIM];
	memcpy(shape, src->shape, sizeof shape);
	shape[ax] = total;
	nb_value *r = nb_array_new(src->dtype, src->ndim, shape, e);
	if (!r) {
		nb_unref(src);
		return NULL;
	}
	size_t outer = 1, inner = 1, es = dsize(src);
	for (int i = 0; i < ax; i++)
		outer *= shape[i];
	for (int i = ax + 1; i < src->ndim; i++)
		inner *= shape[i];
	char *o = r->data;
	for (size_t ou = 0; ou < outer; ou++) {
		for (size_t j = 0; j < len; j++) {
			size_t c = (size_t)nb_get_i64(repeats, repeats->size == 1 ? 0 : j);
			const char *s = (char *)src->data + ((ou * len + j) * inner) * es;
			for (size_t t = 0; t < c; t++) {
				memcpy(o, s, inner * es);
				o += inner * es;
			}
		}
	}
	nb_unref(src);
	return r;
}

/* --------------------------------------------------------------- matmul */

nb_value *nb_matmul(const nb_value *a0, const nb_value *b0, nb_err *e)
{
	if (need_array(a0, "matmul", e) < 0 || need_array(b0, "matmul", e) < 0)
		return NULL;
	if (a0->ndim == 0 || b0->ndim == 0) {
		nb_err_set(e, NB_NOLOC, "matmul: input operand %d does not have enough dimensions "
			   "(a scalar); use '*' to scale", a0->ndim == 0 ? 0 : 1);
		return NULL;
	}
	/* Promote 1-D operands as numpy does, then drop the added axes. */
	int a1 = a0->ndim == 1, b1 = b0->ndim == 1;
	size_t n = a1 ? 1 : a0->shape[a0->ndim - 2], k = a0->shape[a0->ndim - 1];
	size_t k2 = b1 ? b0->shape[0] : b0->shape[b0->ndim - 2], m = b1 ? 1 : b0->shape[b0->ndim - 1];
	if (k != k2) {
		nb_buf sa = NB_BUF_INIT, sb = NB_BUF_INIT;
		nb_shape_str(a0->ndim, a0->shape, &sa);
		nb_shape_str(b0->ndim, b0->shape, &sb);
		nb_err_set(e, NB_NOLOC, "matmul: shapes %s and %s are not aligned: %zu (last axis of the left) "
			   "!= %zu (%s of the right)", nb_buf_str(&sa), nb_buf_str(&sb), k, k2,
			   b1 ? "length" : "second-to-last axis");
		nb_buf_release(&sa);
		nb_buf_release(&sb);
		return NULL;
	}
	int abn = a1 ? 0 : a0->ndim - 2, bbn = b1 ? 0 : b0->ndim - 2;
	int bn;
	size_t bshape[NB_MAXDIM];
	if (nb_broadcast_shapes(abn, a0->shape, bbn, b0->shape, &bn, bshape) < 0) {
		shape_err(e, "matmul: batch dimensions could not be broadcast together", a0, b0);
		return NULL;
	}
	size_t oshape[NB_MAXDIM];
	int ond = bn;
	memcpy(oshape, bshape, (size_t)bn * sizeof *oshape);
	if (!a1)
		oshape[ond++] = n;
	if (!b1)
		oshape[ond++] = m;
	nb_dtype dt = nb_promote(a0->dtype, b0->dtype);
	if (dt == NB_BOOL)
		dt = NB_I64;
	const nb_blas *L = NULL; /* floating-point products are OpenBLAS's */
	if (dt == NB_F64 && !(L = nb_blas_get(e)))
		return NULL;
	nb_value *r = nb_array_new(dt, ond, oshape, e);
	if (!r)
		return NULL;
	nb_value *a = nb_astype(a0, dt, e), *b = a ? nb_astype(b0, dt, e) : NULL;
	if (!a || !b) {
		nb_unref(a);
		nb_unref(r);
		return NULL;
	}
	/* batch iteration over the broadcast batch shape */
	bcast it;
	memset(&it, 0, sizeof it);
	it.ndim = bn;
	memcpy(it.shape, bshape, (size_t)bn * sizeof *bshape);
	{
		size_t cs[NB_MAXDIM];
		cstrides(abn, a->shape, cs);
		for (int i = 0; i < bn; i++) {
			int ia = abn - bn + i;
			it.st[0][i] = (ia >= 0 && a->shape[ia] != 1) ? cs[ia] : 0;
		}
		cstrides(bbn, b->shape, cs);
		for (int i = 0; i < bn; i++) {
			int ib = bbn - bn + i;
			it.st[1][i] = (ib >= 0 && b->shape[ib] != 1) ? cs[ib] : 0;
		}
	}
	bcast_start(&it);
	size_t asz = n * k, bsz = k * m, osz = n * m;
	for (size_t t = 0; t < it.size; t++, bcast_next(&it)) {
		size_t ao = it.off[0] * asz, bo = it.off[1] * bsz, oo = t * osz;
		if (dt == NB_F64) {
			const double *A = nb_f64p(a) + ao, *B = nb_f64p(b) + bo;
			double *C = nb_f64p(r) + oo;
			if (n == 0 || m == 0)
				continue;
			if (k == 0) {
				memset(C, 0, osz * sizeof *C);
			} else if (n == 1 && m == 1) {
				C[0] = L->ddot((int)k, A, 1, B, 1);
			} else if (m == 1) {
				L->dgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)k, 1.0, A, (int)k, B, 1, 0.0, C, 1);
			} else if (n == 1) {
				L->dgemv(CblasRowMajor, CblasTrans, (int)k, (int)m, 1.0, B, (int)m, A, 1, 0.0, C, 1);
			} else {
				L->dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)m, (int)k, 1.0,
					    A, (int)k, B, (int)m, 0.0, C, (int)m);
			}
		} else {
			const int64_t *A = nb_i64p(a) + ao, *B = nb_i64p(b) + bo;
			int64_t *C = nb_i64p(r) + oo;
			for (size_t i = 0; i < n; i++)
				for (size_t j = 0; j < m; j++) {
					uint64_t s = 0;
					for (size_t q = 0; q < k; q++)
						s += (uint64_t)A[i * k + q] * (uint64_t)B[q * m + j];
					C[i * m + j] = (int64_t)s;
				}
		}
	}
	nb_unref(a);
	nb_unref(b);
	return r;
}

nb_value *nb_outer(const nb_value *a, const nb_value *b, nb_err *e)
{
	if (need_array(a, "outer", e) < 0 || need_array(b, "outer", e) < 0)
		return NULL;
	int64_t col[2] = {-1, 1}, row[2] = {1, -1};
	nb_value *ac = nb_reshape(a, 2, col, e);
	nb_value *br = ac ? nb_reshape(b, 2, row, e) : NULL;
	nb_value *r = br ? nb_binary(NB_MUL, ac, br, e) : NULL;
	nb_unref(ac);
	nb_unref(br);
	return r;
}

nb_value *nb_diag(const nb_value *a, int k, nb_err *e)
{
	if (need_array(a, "diag", e) < 0)
		return NULL;
	if (a->ndim == 1) {
		size_t n = a->shape[0] + (size_t)(k < 0 ? -k : k);
		size_t shape[2] = {n, n};
		nb_value *r = nb_array_new(a->dtype, 2, shape, e);
		if (!r)
			return NULL;
		size_t es = dsize(a);
		for (size_t i = 0; i < a->shape[0]; i++) {
			size_t row = k >= 0 ? i : i + (size_t)-k, col = k >= 0 ? i + (size_t)k : i;
			memcpy((char *)r->data + (row * n + col) * es, (char *)a->data + i * es, es);
		}
		return r;
	}
	if (a->ndim == 2) {
		size_t rows = a->shape[0], cols = a->shape[1], len = 0;
		size_t r0 = k >= 0 ? 0 : (size_t)-k, c0 = k >= 0 ? (size_t)k : 0;
		if (r0 < rows && c0 < cols)
			len = (rows - r0 < cols - c0) ? rows - r0 : cols - c0;
		nb_value *r = nb_array_new(a->dtype, 1, &len, e);
		if (!r)
			return NULL;
		size_t es = dsize(a);
		for (size_t i = 0; i < len; i++)
			memcpy((char *)r->data + i * es, (char *)a->data + ((r0 + i) * cols + c0 + i) * es, es);
		return r;
	}
	nb_err_set(e, NB_NOLOC, "diag needs a 1-D or 2-D array, not one of rank %d", a->ndim);
	return NULL;
}

/* ------------------------------------------------------------- indexing */

static int slice_indices(const nb_index *ix, size_t len, int64_t *start, int64_t *step, size_t *count, nb_err *e)
{
	int64_t n = (int64_t)len;
	int64_t st = ix->has_step ? ix->step : 1;
	if (st == 0)
		return nb_err_set(e, NB_NOLOC, "slice step cannot be zero");
	int64_t lo, hi;
	if (st > 0) {
		lo = ix->has_start ? ix->start : 0;
		hi = ix->has_stop ? ix->stop : n;
		if (lo < 0) lo += n;
		if (lo < 0) lo = 0;
		if (lo > n) lo = n;
		if (hi < 0) hi += n;
		if (hi < 0) hi = 0;
		if (hi > n) hi = n;
		*count = hi > lo ? (size_t)((hi - lo + st - 1) / st) : 0;
	} else {
		lo = ix->has_start ? ix->start : n - 1;
		hi = ix->has_stop ? ix->stop : -n - 1;
		if (lo < 0) lo += n;
		if (lo < -1) lo = -1;
		if (lo > n - 1) lo = n - 1;
		if (ix->has_stop) {
			if (hi < 0) hi += n;
			if (hi < -1) hi = -1;
			if (hi > n - 1) hi = n - 1;
		} else {
			hi = -1;
		}
		*count = lo > hi ? (size_t)((lo - hi + (-st) - 1) / (-st)) : 0;
	}
	*start = lo;
	*step = st;
	return 0;
}

static int check_int_index(int64_t i, size_t len, int axis, int64_t *out, nb_err *e)
{
	int64_t n = (int64_t)len;
	if (i < -n || i >= n)
		return nb_err_set(e, NB_NOLOC, "index %lld is out of bounds for axis %d with size %zu",
				  (long long)i, axis, len);
	*out = i < 0 ? i + n : i;
	return 0;
}

/*
 * The general algorithm: expand the index to one entry per axis (after
 * Ellipsis, newaxis and boolean masks), work out the result shape with
 * numpy's placement rule for advanced indices (together where they are
 * adjacent, first otherwise), then walk the result and map each position
 * back to a source offset.
 */
nb_value *nb_getindex(const nb_value *a, int n, const nb_index *idx, nb_err *e)
{
	if (need_array(a, "indexing", e) < 0)
		return NULL;
	/* count axes consumed */
	int consumed = 0, ellipsis = -1;
	for (int i = 0; i < n; i++) {
		switch (idx[i].kind) {
		case NB_IDX_INT: case NB_IDX_SLICE: consumed++; break;
		case NB_IDX_ARRAY: consumed += idx[i].arr->dtype == NB_BOOL ? (idx[i].arr->ndim ? idx[i].arr->ndim : 0) : 1; break;
		case NB_IDX_ELLIPSIS:
			if (ellipsis >= 0) {
				nb_err_set(e, NB_NOLOC, "an index can only have a single ellipsis ('...')");
				return NULL;
			}
			ellipsis = i;
			break;
		case NB_IDX_NEWAXIS: break;
		}
	}
	if (consumed > a->ndim) {
		nb_err_set(e, NB_NOLOC, "too many indices for array: array is %d-dimensional, but %d were indexed",
			   a->ndim, consumed);
		return NULL;
	}
	/* expanded entries */
	enum { E_INT, E_SLICE, E_NEW, E_ADV };
	typedef struct { int kind; int axis; int64_t start, step; size_t count; const nb_value *arr; } ent;
	ent ents[NB_MAXDIM * 2 + 2];
	nb_value *owned[NB_MAXDIM];
	int nowned = 0, ne = 0, axis = 0, any_adv = 0;
	nb_value *result = NULL;
	for (int i = 0; i < n; i++) {
		const nb_index *ix = &idx[i];
		if (ix->kind == NB_IDX_ELLIPSIS) {
			int fill = a->ndim - consumed;
			for (int f = 0; f < fill; f++) {
				ents[ne] = (ent){E_SLICE, axis, 0, 1, a->shape[axis], NULL};
				ne++, axis++;
			}
			continue;
		}
		if (ne >= (int)NB_ARRAY_LEN(ents) - 1) {
			nb_err_set(e, NB_NOLOC, "too many indices");
			goto out;
		}
		switch (ix->kind) {
		case NB_IDX_NEWAXIS:
			ents[ne++] = (ent){E_NEW, -1, 0, 1, 1, NULL};
			break;
		case NB_IDX_INT: {
			int64_t v = 0;
			if (check_int_index(ix->i, a->shape[axis], axis, &v, e) < 0)
				goto out;
			ents[ne++] = (ent){E_INT, axis, v, 1, 1, NULL};
			axis++;
			break;
		}
		case NB_IDX_SLICE: {
			ent t = {E_SLICE, axis, 0, 1, 0, NULL};
			if (slice_indices(ix, a->shape[axis], &t.start, &t.step, &t.count, e) < 0)
				goto out;
			ents[ne++] = t;
			axis++;
			break;
		}
		case NB_IDX_ARRAY: {
			const nb_value *arr = ix->arr;
			any_adv = 1;
			if (arr->dtype == NB_BOOL) {
				/* a mask: its true positions, one int array per masked axis */
				int md = arr->ndim;
				if (md == 0) {
					nb_err_set(e, NB_NOLOC, "a scalar boolean index is not supported");
					goto out;
				}
				for (int d = 0; d < md; d++) {
					if (arr->shape[d] != a->shape[axis + d]) {
						nb_err_set(e, NB_NOLOC,
							   "boolean index did not match indexed array along axis %d; size of "
							   "axis is %zu but size of corresponding boolean axis is %zu",
							   axis + d, a->shape[axis + d], arr->shape[d]);
						goto out;
					}
				}
				size_t cnt = 0;
				for (size_t q = 0; q < arr->size; q++)
					cnt += nb_boolp(arr)[q] != 0;
				size_t cs[NB_MAXDIM];
				cstrides(md, arr->shape, cs);
				nb_value *pos[NB_MAXDIM];
				for (int d = 0; d < md; d++) {
					pos[d] = nb_array_new(NB_I64, 1, &cnt, e);
					if (!pos[d]) {
						for (int q = 0; q < d; q++)
							nb_unref(pos[q]);
						goto out;
					}
				}
				size_t w = 0;
				for (size_t q = 0; q < arr->size; q++) {
					if (!nb_boolp(arr)[q])
						continue;
					size_t rem = q;
					for (int d = 0; d < md; d++) {
						nb_i64p(pos[d])[w] = (int64_t)(rem / cs[d]);
						rem %= cs[d];
					}
					w++;
				}
				for (int d = 0; d < md; d++) {
					if (nowned >= NB_MAXDIM) {
						nb_unref(pos[d]);
						nb_err_set(e, NB_NOLOC, "too many indices");
						goto out;
					}
					owned[nowned++] = pos[d];
					ents[ne++] = (ent){E_ADV, axis++, 0, 1, 0, pos[d]};
				}
			} else {
				ents[ne++] = (ent){E_ADV, axis++, 0, 1, 0, arr};
			}
			break;
		}
		default:
			break;
		}
	}
	while (axis < a->ndim) {
		ents[ne++] = (ent){E_SLICE, axis, 0, 1, a->shape[axis], NULL};
		axis++;
	}
	/* with advanced indexing, integer scalars behave as 0-d index arrays */
	nb_value *scal[NB_MAXDIM];
	int nscal = 0;
	if (any_adv) {
		for (int i = 0; i < ne; i++) {
			if (ents[i].kind == E_INT) {
				scal[nscal] = nb_i64(ents[i].start);
				ents[i].kind = E_ADV;
				ents[i].arr = scal[nscal++];
			}
		}
	}
	/* broadcast the advanced indices */
	int bnd = 0, first_adv = -1, adjacent = 1, last_adv = -1;
	size_t bshape[NB_MAXDIM];
	for (int i = 0; i < ne; i++) {
		if (ents[i].kind != E_ADV)
			continue;
		if (first_adv < 0)
			first_adv = i;
		else if (last_adv != i - 1)
			adjacent = 0;
		last_adv = i;
		int nn;
		size_t ns[NB_MAXDIM];
		if (nb_broadcast_shapes(bnd, bshape, ents[i].arr->ndim, ents[i].arr->shape, &nn, ns) < 0) {
			nb_err_set(e, NB_NOLOC, "shape mismatch: indexing arrays could not be broadcast together");
			goto out_scal;
		}
		bnd = nn;
		memcpy(bshape, ns, sizeof ns);
	}
	/* result shape */
	size_t rshape[NB_MAXDIM * 2];
	int rnd = 0, adv_pos = -1;
	for (int i = 0; i < ne; i++) {
		if (ents[i].kind == E_ADV) {
			if (i == first_adv && adjacent) {
				adv_pos = rnd;
				for (int d = 0; d < bnd; d++)
					rshape[rnd++] = bshape[d];
			}
			continue;
		}
		if (ents[i].kind == E_INT)
			continue;
		rshape[rnd++] = ents[i].count;
	}
	if (first_adv >= 0 && !adjacent) {
		memmove(rshape + bnd, rshape, (size_t)rnd * sizeof *rshape);
		memcpy(rshape, bshape, (size_t)bnd * sizeof *bshape);
		rnd += bnd;
		adv_pos = 0;
	}
	if (rnd > NB_MAXDIM) {
		nb_err_set(e, NB_NOLOC, "the result would have more than %d dimensions", NB_MAXDIM);
		goto out_scal;
	}
	result = nb_array_new(a->dtype, rnd, rshape, e);
	if (!result)
		goto out_scal;
	if (!any_adv) {
		/* basic indexing: a strided copy, the last axis in a tight loop */
		size_t acs[NB_MAXDIM], rst[NB_MAXDIM * 2], base = 0, es = dsize(a);
		cstrides(a->ndim, a->shape, acs);
		int rp = 0;
		for (int i = 0; i < ne; i++) {
			if (ents[i].kind == E_INT) {
				base += (size_t)ents[i].start * acs[ents[i].axis];
			} else if (ents[i].kind == E_NEW) {
				rst[rp++] = 0;
			} else {
				base += (size_t)ents[i].start * acs[ents[i].axis];
				rst[rp++] = (size_t)((int64_t)acs[ents[i].axis] * ents[i].step);
			}
		}
		size_t ridx[NB_MAXDIM * 2] = {0}, off = base;
		size_t inner = rnd ? rshape[rnd - 1] : 1, ist = rnd ? rst[rnd - 1] : 0;
		char *o = result->data;
		const char *src = a->data;
		for (size_t k = 0; k < result->size; k += inner ? inner : 1) {
			if (inner == 0)
				break;
			if (es == 8) {
				uint64_t *d = (uint64_t *)(o + k * 8);
				const uint64_t *sp = (const uint64_t *)src;
				for (size_t j = 0; j < inner; j++)
					d[j] = sp[off + j * ist];
			} else {
				for (size_t j = 0; j < inner; j++)
					o[k + j] = src[off + j * ist];
			}
			for (int d = rnd - 2; d >= 0; d--) {
				off += rst[d];
				if (++ridx[d] < rshape[d])
					break;
				off -= rst[d] * rshape[d];
				ridx[d] = 0;
			}
		}
		goto out_scal;
	}
	{
		size_t acs[NB_MAXDIM];
		cstrides(a->ndim, a->shape, acs);
		size_t ridx[NB_MAXDIM * 2] = {0};
		size_t es = dsize(a);
		/* per advanced entry: strides into its array under the broadcast shape */
		size_t bst[NB_MAXDIM * 2][NB_MAXDIM];
		for (int i = 0; i < ne; i++) {
			if (ents[i].kind != E_ADV)
				continue;
			const nb_value *ar = ents[i].arr;
			size_t cs[NB_MAXDIM];
			cstrides(ar->ndim, ar->shape, cs);
			for (int d = 0; d < bnd; d++) {
				int ia = ar->ndim - bnd + d;
				bst[i][d] = (ia >= 0 && ar->shape[ia] != 1) ? cs[ia] : 0;
			}
		}
		for (size_t k = 0; k < result->size; k++) {
			size_t off = 0;
			int rp = 0;
			if (!adjacent && first_adv >= 0)
				rp = bnd;
			for (int i = 0; i < ne; i++) {
				ent *t = &ents[i];
				if (t->kind == E_NEW) {
					rp++;
					continue;
				}
				if (t->kind == E_INT) {
					off += (size_t)t->start * acs[t->axis];
					continue;
				}
				if (t->kind == E_SLICE) {
					off += (size_t)(t->start + (int64_t)ridx[rp] * t->step) * acs[t->axis];
					rp++;
					continue;
				}
				/* advanced */
				size_t ai = 0;
				for (int d = 0; d < bnd; d++)
					ai += ridx[adv_pos + d] * bst[i][d];
				int64_t v = 0;
				int64_t raw = nb_get_i64(t->arr, ai);
				if (check_int_index(raw, a->shape[t->axis], t->axis, &v, e) < 0) {
					nb_unref(result);
					result = NULL;
					goto out_scal;
				}
				off += (size_t)v * acs[t->axis];
				if (i == last_adv && adjacent)
					rp += bnd;
			}
			memcpy((char *)result->data + k * es, (char *)a->data + off * es, es);
			for (int d = rnd - 1; d >= 0; d--) {
				if (++ridx[d] < rshape[d])
					break;
				ridx[d] = 0;
			}
		}
	}
out_scal:
	for (int i = 0; i < nscal; i++)
		nb_unref(scal[i]);
out:
	for (int i = 0; i < nowned; i++)
		nb_unref(owned[i]);
	return result;
}

/* ------------------------------------------------------------- creation */

nb_value *nb_arange(double start, double stop, double step, int integer, nb_err *e)
{
	if (step == 0) {
		nb_err_set(e, NB_NOLOC, "arange: step must not be zero");
		return NULL;
	}
	double len = ceil((stop - start) / step);
	if (!(len == len)) {
		nb_err_set(e, NB_NOLOC, "arange: cannot compute the length of the range (not a number)");
		return NULL;
	}
	size_t n = len > 0 ? (len > 1e15 ? (size_t)-1 : (size_t)len) : 0;
	nb_value *r = nb_array_new(integer ? NB_I64 : NB_F64, 1, &n, e);
	if (!r)
		return NULL;
	if (integer) {
		for (size_t i = 0; i < n; i++)
			nb_i64p(r)[i] = (int64_t)start + (int64_t)i * (int64_t)step;
		return r;
	}
	/* numpy fills element 1 as start + step and the rest as start + i*delta */
	double *x = nb_f64p(r);
	double delta = (start + step) - start;
	for (size_t i = 0; i < n; i++)
		x[i] = i == 0 ? start : i == 1 ? start + step : start + (double)i * delta;
	return r;
}

nb_value *nb_linspace(double start, double stop, int64_t num, int endpoint, nb_err *e)
{
	if (num < 0) {
		nb_err_set(e, NB_NOLOC, "linspace: number of samples, %lld, must be non-negative", (long long)num);
		return NULL;
	}
	size_t n = (size_t)num;
	nb_value *r = nb_array_new(NB_F64, 1, &n, e);
	if (!r)
		return NULL;
	double *y = nb_f64p(r);
	double div = endpoint ? (double)(num - 1) : (double)num;
	double delta = stop - start;
	if (div > 0) {
		double step = delta / div;
		for (size_t i = 0; i < n; i++)
			y[i] = step == 0 ? ((double)i / div) * delta + start : (double)i * step + start;
	} else {
		for (size_t i = 0; i < n; i++)
			y[i] = (double)i * delta + start;
	}
	if (endpoint && num > 1)
		y[n - 1] = stop;
	return r;
}

nb_value *nb_logspace(double start, double stop, int64_t num, int endpoint, double base, nb_err *e)
{
	nb_value *y = nb_linspace(start, stop, num, endpoint, e);
	if (!y)
		return NULL;
	double *p = nb_f64p(y);
	for (size_t i = 0; i < y->size; i++)
		p[i] = pow(base, p[i]);
	return y;
}

nb_value *nb_geomspace(double a, double b, int64_t num, int endpoint, nb_err *e)
{
	if (a == 0 || b == 0) {
		nb_err_set(e, NB_NOLOC, "geomspace: a geometric sequence cannot include zero");
		return NULL;
	}
	double sign = 1;
	if (a < 0 && b < 0) {
		a = -a;
		b = -b;
		sign = -1;
	} else if (a < 0 || b < 0) {
		nb_err_set(e, NB_NOLOC, "geomspace: start and stop must have the same sign (numpy would return complex numbers)");
		return NULL;
	}
	nb_value *r = nb_logspace(log10(a), log10(b), num, endpoint, 10.0, e);
	if (!r)
		return NULL;
	double *p = nb_f64p(r);
	if (num > 0) {
		p[0] = a;
		if (num > 1 && endpoint)
			p[num - 1] = b;
	}
	for (size_t i = 0; i < r->size; i++)
		p[i] *= sign;
	return r;
}

nb_value *nb_full(int ndim, const size_t *shape, double fill, nb_dtype dt, nb_err *e)
{
	nb_value *r = nb_array_new(dt, ndim, shape, e);
	if (!r)
		return NULL;
	for (size_t i = 0; i < r->size; i++) {
		if (dt == NB_F64)
			nb_f64p(r)[i] = fill;
		else if (dt == NB_I64)
			nb_i64p(r)[i] = (int64_t)fill;
		else
			nb_boolp(r)[i] = fill != 0;
	}
	return r;
}

nb_value *nb_eye(int64_t n, int64_t m, int64_t k, nb_err *e)
{
	if (n < 0 || m < 0) {
		nb_err_set(e, NB_NOLOC, "eye: negative dimensions are not allowed");
		return NULL;
	}
	size_t shape[2] = {(size_t)n, (size_t)m};
	nb_value *r = nb_array_new(NB_F64, 2, shape, e);
	if (!r)
		return NULL;
	for (int64_t i = 0; i < n; i++)
		if (i + k >= 0 && i + k < m)
			nb_f64p(r)[i * m + i + k] = 1.0;
	return r;
}

int nb_value_to_shape(const nb_value *v, int *ndim, size_t *shape, nb_err *e)
{
	if (!nb_is_array(v) || v->dtype == NB_F64 || v->ndim > 1) {
		if (nb_is_array(v) && v->dtype == NB_F64 && v->ndim <= 1) {
			for (size_t i = 0; i < v->size; i++) {
				double x = nb_f64p(v)[i];
				if (x != floor(x))
					return nb_err_set(e, NB_NOLOC, "a shape needs whole numbers, got %g", x);
			}
		} else {
			nb_buf b = NB_BUF_INIT;
			nb_describe_value(v, &b);
			nb_err_set(e, NB_NOLOC, "expected a shape (an integer or a list of integers), got %s",
				   nb_buf_str(&b));
			nb_buf_release(&b);
			return -1;
		}
	}
	if (v->size > NB_MAXDIM)
		return nb_err_set(e, NB_NOLOC, "arrays have at most %d dimensions, not %zu", NB_MAXDIM, v->size);
	*ndim = v->ndim == 0 ? 1 : (int)v->size;
	for (size_t i = 0; i < v->size; i++) {
		int64_t d = nb_get_i64(v, i);
		if (d < 0)
			return nb_err_set(e, NB_NOLOC, "negative dimensions are not allowed (got %lld)", (long long)d);
		shape[i] = (size_t)d;
	}
	return 0;
}
