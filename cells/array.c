/*
 * array.c - creating and reshaping arrays, with numpy's exact formulas.
 */
#include <math.h>
#include <string.h>

#include "../runner/kernel.h"
#include "../runner/ops.h"

static const nb_output one_out[] = {{"out", "the array"}, {NULL}};

static int out_or_fail(nb_call *c, nb_value *v, nb_err *e, const char *param)
{
	if (!v)
		return nb_fail_err(c, param, e);
	return nb_out(c, 0, v);
}

/* literal: an array written in the notebook. */
static int k_literal(nb_call *c)
{
	return nb_out(c, 0, nb_ref(nb_arg(c, "value")));
}

static const nb_param literal_params[] = {
	{"value", NB_P_ARRAY, NULL, "a number, a nested list or an expression", NULL}, {NULL}};

const nb_kernel nb_k_array_literal = {
	"array.literal", "an array written out in the notebook", literal_params, one_out, NB_K_PRIMARY,
	k_literal, "Integer lists give int64 arrays, lists with any decimal point float64 (as np.array does).",
	"- literal: [[0.2, 0.4, 0.8], [1, 1, 1]]\n  out: X\n"};

static int fill_kernel(nb_call *c, double v, const char *param)
{
	size_t shape[NB_MAXDIM];
	int nd = nb_arg_shape(c, "shape", shape);
	nb_err e = NB_ERR_INIT;
	return out_or_fail(c, nb_full(nd, shape, v, NB_F64, &e), &e, param);
}

static int k_zeros(nb_call *c) { return fill_kernel(c, 0, "shape"); }
static int k_ones(nb_call *c) { return fill_kernel(c, 1, "shape"); }
static int k_full(nb_call *c) { return fill_kernel(c, nb_arg_num(c, "value"), "shape"); }

static const nb_param shape_params[] = {
	{"shape", NB_P_SHAPE, NULL, "an integer or a list of integers", NULL}, {NULL}};
static const nb_param full_params[] = {
	{"shape", NB_P_SHAPE, NULL, "an integer or a list of integers", NULL},
	{"value", NB_P_NUMBER, NULL, "the fill value", NULL}, {NULL}};

const nb_kernel nb_k_array_zeros = {"array.zeros", "float64 array of zeros (np.zeros)", shape_params, one_out,
				    NB_K_PRIMARY, k_zeros, NULL, "- zeros: [3, 2000]\n  out: f_all\n"};
const nb_kernel nb_k_array_ones = {"array.ones", "float64 array of ones (np.ones)", shape_params, one_out,
				   NB_K_PRIMARY, k_ones, NULL, NULL};
const nb_kernel nb_k_array_full = {"array.full", "float64 array filled with one value (np.full)", full_params,
				   one_out, 0, k_full, NULL, "- full: {shape: [2, 2], value: 0.5}\n  out: A\n"};

static int k_eye(nb_call *c)
{
	int64_t n = nb_arg_int(c, "n");
	int64_t m = nb_arg_given(c, "m") ? nb_arg_int(c, "m") : n;
	nb_err e = NB_ERR_INIT;
	return out_or_fail(c, nb_eye(n, m, nb_arg_int(c, "k"), &e), &e, "n");
}

static const nb_param eye_params[] = {
	{"n", NB_P_INT, NULL, "number of rows", NULL},
	{"m", NB_P_INT, NB_OPTIONAL, "number of columns (default n)", NULL},
	{"k", NB_P_INT, "0", "diagonal: 0 the main one, positive above, negative below", NULL}, {NULL}};

const nb_kernel nb_k_array_eye = {"array.eye", "matrix with ones on a diagonal (np.eye, np.identity)", eye_params,
				  one_out, NB_K_PRIMARY, k_eye, NULL, "- eye: 3\n  out: I3\n"};

/*
 * arange: numpy's length ceil((stop - start)/step) and element formula
 * start + i*((start + step) - start), so np.arange(-1, 1, 0.01)[100] is
 * 8.9e-16 here too.  All-integer arguments give an int64 array.
 */
static int k_arange(nb_call *c)
{
	const nb_value *a = nb_arg(c, "start"), *b = nb_arg(c, "stop"), *s = nb_arg(c, "step");
	int integer = a->dtype != NB_F64 && b->dtype != NB_F64 && s->dtype != NB_F64;
	nb_err e = NB_ERR_INIT;
	return out_or_fail(c, nb_arange(nb_get_f64(a, 0), nb_get_f64(b, 0), nb_get_f64(s, 0), integer, &e), &e, "step");
}

static const nb_param arange_params[] = {
	{"start", NB_P_NUMBER, "0", "first value", NULL},
	{"stop", NB_P_NUMBER, NULL, "end of the interval (not included)", NULL},
	{"step", NB_P_NUMBER, "1", "spacing between values", NULL}, {NULL}};

const nb_kernel nb_k_array_arange = {
	"array.arange", "evenly spaced values in [start, stop) (np.arange)", arange_params, one_out, 0, k_arange,
	"Uses numpy's length ceil((stop - start)/step) and its element formula "
	"start + i*((start + step) - start), so the values match numpy's bit for bit. "
	"Integer arguments give an int64 array.",
	"- arange: {start: 0, stop: 20, step: 0.01}\n  out: t_all\n"};

static int k_linspace(nb_call *c)
{
	nb_err e = NB_ERR_INIT;
	return out_or_fail(c, nb_linspace(nb_arg_num(c, "start"), nb_arg_num(c, "stop"), nb_arg_int(c, "num"),
					  nb_arg_bool(c, "endpoint"), &e), &e, "num");
}

static const nb_param linspace_params[] = {
	{"start", NB_P_NUMBER, NULL, "first value", NULL},
	{"stop", NB_P_NUMBER, NULL, "last value (or the end of the interval without endpoint)", NULL},
	{"num", NB_P_INT, "50", "number of samples", NULL},
	{"endpoint", NB_P_BOOL, "true", "whether stop is the last sample", NULL}, {NULL}};

const nb_kernel nb_k_array_linspace = {
	"array.linspace", "num evenly spaced samples from start to stop (np.linspace)", linspace_params, one_out, 0,
	k_linspace, "Element i is start + i*step with step = (stop - start)/(num - 1), and the last element is "
	"stop exactly, as in numpy.", "- linspace: {start: -5, stop: 5, num: 100}\n  out: temp_x\n"};

static int k_logspace(nb_call *c)
{
	nb_err e = NB_ERR_INIT;
	return out_or_fail(c, nb_logspace(nb_arg_num(c, "start"), nb_arg_num(c, "stop"), nb_arg_int(c, "num"),
				       nb_arg_bool(c, "endpoint"), nb_arg_num(c, "base"), &e), &e, "num");
}

static const nb_param logspace_params[] = {
	{"start", NB_P_NUMBER, NULL, "base**start is the first value", NULL},
	{"stop", NB_P_NUMBER, NULL, "base**stop is the last value", NULL},
	{"num", NB_P_INT, "50", "number of samples", NULL},
	{"endpoint", NB_P_BOOL, "true", "whether base**stop is included", NULL},
	{"base", NB_P_NUMBER, "10", "the base", NULL}, {NULL}};

const nb_kernel nb_k_array_logspace = {
	"array.logspace", "samples evenly spaced on a log scale (np.logspace)", logspace_params, one_out, 0,
	k_logspace, NULL, "- logspace: {start: 0, stop: 5, num: 6}\n  out: decades\n"};

/*
 * geomspace: numpy's algorithm: logspace between log10 of the ends (after
 * flipping the sign when both are negative), then the ends set exactly.
 */
static int k_geomspace(nb_call *c)
{
	nb_err e = NB_ERR_INIT;
	return out_or_fail(c, nb_geomspace(nb_arg_num(c, "start"), nb_arg_num(c, "stop"), nb_arg_int(c, "num"),
					   nb_arg_bool(c, "endpoint"), &e), &e, "start");
}

static const nb_param geomspace_params[] = {
	{"start", NB_P_NUMBER, NULL, "first value (not zero)", NULL},
	{"stop", NB_P_NUMBER, NULL, "last value (same sign as start)", NULL},
	{"num", NB_P_INT, "50", "number of samples", NULL},
	{"endpoint", NB_P_BOOL, "true", "whether stop is included", NULL}, {NULL}};

const nb_kernel nb_k_array_geomspace = {
	"array.geomspace", "samples in geometric progression (np.geomspace)", geomspace_params, one_out, 0,
	k_geomspace, NULL, "- geomspace: {start: 1, stop: 99999, num: 700}\n  out: iters\n"};

/* meshgrid: numpy's 'xy' (Cartesian) and 'ij' (matrix) indexing. */
static int meshgrid(nb_call *c, int nd)
{
	const char *names[3] = {"x", "y", "z"};
	const nb_value *in[3];
	size_t len[3];
	for (int i = 0; i < nd; i++) {
		in[i] = nb_arg(c, names[i]);
		len[i] = in[i]->size;
	}
	int xy = !strcmp(nb_arg_str(c, "indexing"), "xy");
	size_t shape[3];
	for (int i = 0; i < nd; i++)
		shape[i] = len[i];
	if (xy) {
		shape[0] = len[1];
		shape[1] = len[0];
	}
	for (int k = 0; k < nd; k++) {
		nb_err e = NB_ERR_INIT;
		nb_value *r = nb_array_new(NB_F64, nd, shape, &e);
		if (!r)
			return nb_fail_err(c, names[k], &e);
		/* axis along which input k varies */
		int ax = k;
		if (xy && k < 2)
			ax = 1 - k;
		size_t idx[3] = {0, 0, 0};
		double *o = nb_f64p(r);
		for (size_t f = 0; f < r->size; f++) {
			o[f] = nb_get_f64(in[k], idx[ax]);
			for (int d = nd - 1; d >= 0; d--) {
				if (++idx[d] < shape[d])
					break;
				idx[d] = 0;
			}
		}
		nb_out(c, (size_t)k, r);
	}
	return 0;
}

static int k_meshgrid(nb_call *c) { return meshgrid(c, 2); }
static int k_meshgrid3(nb_call *c) { return meshgrid(c, 3); }

static const nb_param meshgrid_params[] = {
	{"x", NB_P_ARRAY, NULL, "coordinates along the first axis (flattened)", NULL},
	{"y", NB_P_ARRAY, NULL, "coordinates along the second axis (flattened)", NULL},
	{"indexing", NB_P_CHOICE, "xy", "'xy': outputs have shape (len(y), len(x)); 'ij': (len(x), len(y))", "xy ij"},
	{NULL}};
static const nb_output meshgrid_outs[] = {{"X", "x repeated along the other axis"},
					  {"Y", "y repeated along the other axis"}, {NULL}};
static const nb_param meshgrid3_params[] = {
	{"x", NB_P_ARRAY, NULL, "coordinates along the first axis (flattened)", NULL},
	{"y", NB_P_ARRAY, NULL, "coordinates along the second axis (flattened)", NULL},
	{"z", NB_P_ARRAY, NULL, "coordinates along the third axis (flattened)", NULL},
	{"indexing", NB_P_CHOICE, "xy", "'xy' swaps the first two axes of the outputs, as numpy does", "xy ij"},
	{NULL}};
static const nb_output meshgrid3_outs[] = {{"X", "x over the grid"}, {"Y", "y over the grid"},
					   {"Z", "z over the grid"}, {NULL}};

const nb_kernel nb_k_array_meshgrid = {
	"array.meshgrid", "coordinate matrices from two coordinate vectors (np.meshgrid)", meshgrid_params,
	meshgrid_outs, 0, k_meshgrid, NULL,
	"- meshgrid: {x: m_range, y: b_range}\n  out: [M, B]\n"};
const nb_kernel nb_k_array_meshgrid3 = {
	"array.meshgrid3", "coordinate arrays from three coordinate vectors (np.meshgrid)", meshgrid3_params,
	meshgrid3_outs, 0, k_meshgrid3, NULL,
	"- meshgrid3: {x: u, y: z1, z: z2, indexing: ij}\n  out: [U, Z1, Z2]\n"};

static int k_concatenate(nb_call *c)
{
	size_t n = nb_arg_count(c, "arrays");
	nb_value *items[256];
	if (n > 256)
		return nb_fail(c, "arrays", "at most 256 arrays can be joined at once");
	for (size_t i = 0; i < n; i++)
		items[i] = (nb_value *)nb_arg_item(c, "arrays", i);
	nb_err e = NB_ERR_INIT;
	return out_or_fail(c, nb_concatenate(n, items, (int)nb_arg_int(c, "axis"), &e), &e, "arrays");
}

static int k_stack(nb_call *c)
{
	size_t n = nb_arg_count(c, "arrays");
	nb_value *items[256];
	if (n > 256)
		return nb_fail(c, "arrays", "at most 256 arrays can be joined at once");
	for (size_t i = 0; i < n; i++)
		items[i] = (nb_value *)nb_arg_item(c, "arrays", i);
	nb_err e = NB_ERR_INIT;
	return out_or_fail(c, nb_stack(n, items, (int)nb_arg_int(c, "axis"), &e), &e, "arrays");
}

static const nb_param join_params[] = {
	{"arrays", NB_P_ARRAYS, NULL, "the arrays to join, as a list", NULL},
	{"axis", NB_P_INT, "0", "the axis to join along", NULL}, {NULL}};

const nb_kernel nb_k_array_concatenate = {
	"array.concatenate", "join arrays along an existing axis (np.concatenate)", join_params, one_out, 0,
	k_concatenate, NULL, "- concatenate: {arrays: [x_predict, ones_like(x_predict)]}\n  out: x_predict\n"};
const nb_kernel nb_k_array_stack = {
	"array.stack", "join arrays of one shape along a new axis (np.stack)", join_params, one_out, 0, k_stack,
	NULL, "- stack: {arrays: [r, g, b], axis: 1}\n  out: rgb\n"};

static int k_reshape(nb_call *c)
{
	const nb_value *s = nb_arg(c, "shape");
	int64_t dims[NB_MAXDIM];
	if (!nb_is_array(s) || s->dtype == NB_F64 || s->ndim > 1 || s->size > NB_MAXDIM)
		return nb_fail(c, "shape", "expected an integer or a list of integers (one may be -1)");
	for (size_t i = 0; i < s->size; i++)
		dims[i] = nb_get_i64(s, i);
	nb_err e = NB_ERR_INIT;
	return out_or_fail(c, nb_reshape(nb_arg(c, "a"), s->ndim == 0 ? 1 : (int)s->size, dims, &e), &e, "shape");
}

static const nb_param reshape_params[] = {
	{"a", NB_P_ARRAY, NULL, "the array", NULL},
	{"shape", NB_P_ARRAY, NULL, "the new shape; one dimension may be -1", NULL}, {NULL}};

const nb_kernel nb_k_array_reshape = {
	"array.reshape", "the same elements in a new shape (np.reshape, C order)", reshape_params, one_out, 0,
	k_reshape, NULL, "- reshape: {a: X, shape: [-1, 1]}\n  out: Xcol\n"};

static int k_tile(nb_call *c)
{
	const nb_value *r = nb_arg(c, "reps");
	int64_t reps[NB_MAXDIM];
	if (r->dtype == NB_F64 || r->ndim > 1 || r->size > NB_MAXDIM)
		return nb_fail(c, "reps", "expected an integer or a list of integers");
	for (size_t i = 0; i < r->size; i++)
		reps[i] = nb_get_i64(r, i);
	nb_err e = NB_ERR_INIT;
	return out_or_fail(c, nb_tile(nb_arg(c, "a"), (int)r->size, reps, &e), &e, "reps");
}

static const nb_param tile_params[] = {
	{"a", NB_P_ARRAY, NULL, "the array", NULL},
	{"reps", NB_P_ARRAY, NULL, "repetitions per axis (an integer or a list)", NULL}, {NULL}};

const nb_kernel nb_k_array_tile = {"array.tile", "repeat a whole array along each axis (np.tile)", tile_params,
				   one_out, 0, k_tile, NULL, "- tile: {a: [1, 2], reps: [2, 2]}\n  out: T\n"};

static int k_repeat(nb_call *c)
{
	nb_err e = NB_ERR_INIT;
	const nb_value *r = nb_arg(c, "repeats");
	if (r->dtype == NB_F64 || r->ndim > 1)
		return nb_fail(c, "repeats", "expected an integer or a list of integers");
	int axis = (int)nb_arg_int(c, "axis");
	return out_or_fail(c, nb_repeat(nb_arg(c, "a"), r, nb_arg_given(c, "axis") ? &axis : NULL, &e), &e, "repeats");
}

static const nb_param repeat_params[] = {
	{"a", NB_P_ARRAY, NULL, "the array", NULL},
	{"repeats", NB_P_ARRAY, NULL, "how often each element is repeated (one integer, or one per element)", NULL},
	{"axis", NB_P_INT, NB_OPTIONAL, "the axis (default: the flattened array)", NULL}, {NULL}};

const nb_kernel nb_k_array_repeat = {"array.repeat", "repeat each element (np.repeat)", repeat_params, one_out, 0,
				     k_repeat, NULL, "- repeat: {a: [1, 2, 3], repeats: 2}\n  out: r\n"};
