/*
 * ops.h - numpy semantics on nb_value arrays.
 *
 * Every function follows numpy (1.24) for shapes, broadcasting, dtype
 * promotion and special values, and returns a new reference (value.h's
 * ownership rule).  On failure they return NULL with an error in e that has
 * no location yet; the caller (usually the expression evaluator) attaches
 * the location of the YAML node at fault.
 */
#ifndef NB_OPS_H
#define NB_OPS_H

#include "value.h"

typedef enum nb_binop {
	NB_ADD, NB_SUB, NB_MUL, NB_DIV, NB_FLOORDIV, NB_MOD, NB_POW,
	NB_EQ, NB_NE, NB_LT, NB_LE, NB_GT, NB_GE,
	NB_AND, NB_OR, NB_XOR,
	NB_MAXIMUM, NB_MINIMUM, NB_FMAX, NB_FMIN, NB_ARCTAN2, NB_HYPOT
} nb_binop;

typedef enum nb_unop {
	NB_NEG, NB_POS, NB_INVERT, NB_ABS, NB_SIGN, NB_SQUARE,
	NB_EXP, NB_EXPM1, NB_EXP2, NB_LOG, NB_LOG2, NB_LOG10, NB_LOG1P, NB_SQRT, NB_CBRT,
	NB_SIN, NB_COS, NB_TAN, NB_ARCSIN, NB_ARCCOS, NB_ARCTAN,
	NB_SINH, NB_COSH, NB_TANH, NB_ARCSINH, NB_ARCCOSH, NB_ARCTANH,
	NB_FLOOR, NB_CEIL, NB_RINT, NB_TRUNC,
	NB_ISNAN, NB_ISINF, NB_ISFINITE, NB_LOGICAL_NOT
} nb_unop;

typedef enum nb_redop {
	NB_RSUM, NB_RPROD, NB_RMEAN, NB_RVAR, NB_RSTD, NB_RMIN, NB_RMAX,
	NB_RARGMIN, NB_RARGMAX, NB_RANY, NB_RALL
} nb_redop;

const char *nb_binop_symbol(nb_binop op);

nb_value *nb_binary(nb_binop op, const nb_value *a, const nb_value *b, nb_err *e);
/* The same, taking the caller's references to a and b (released either way).  An operand the
 * caller alone holds (one reference) that is a float64 array of the result's shape gets the
 * result of + - * / (or of ** 2, ** 0.5, ** -1) written over it, rather than a fresh array
 * made and the operand freed: an expression's temporaries over a large grid are megabytes of
 * fresh memory each. */
nb_value *nb_binary_take(nb_binop op, nb_value *a, nb_value *b, nb_err *e);
nb_value *nb_unary(nb_unop op, const nb_value *a, nb_err *e);
/* np.where(c, a, b) */
nb_value *nb_where(const nb_value *c, const nb_value *a, const nb_value *b, nb_err *e);
/* np.round(a, decimals) */
nb_value *nb_round(const nb_value *a, int decimals, nb_err *e);

/*
 * Reductions.  axes == NULL reduces over every axis; otherwise naxes
 * axis numbers (negative ones count from the end).  ddof is used by var
 * and std.  argmin/argmax take at most one axis (numpy's rule).  Sums of
 * float64 follow numpy's pairwise summation when the reduced axes are the
 * trailing, contiguous ones, and accumulate in order otherwise, so that
 * results agree with numpy to the last bit.
 */
nb_value *nb_reduce(nb_redop op, const nb_value *a, int naxes, const int *axes,
		    int keepdims, double ddof, nb_err *e);
/* numpy's pairwise sum of n doubles (the algorithm of np.add.reduce). */
double nb_pairwise_sum(const double *x, size_t n, size_t stride);
/* cumsum / cumprod along one axis, or over the flattened array when axis is NULL. */
nb_value *nb_cumulate(nb_binop op, const nb_value *a, const int *axis, nb_err *e);

nb_value *nb_transpose(const nb_value *a, const int *perm, nb_err *e);
/* Reshape; at most one entry of shape may be -1 (inferred). */
nb_value *nb_reshape(const nb_value *a, int ndim, const int64_t *shape, nb_err *e);
/* Remove axes of length one (all when axis == NULL). */
nb_value *nb_squeeze(const nb_value *a, const int *axis, nb_err *e);
nb_value *nb_expand_dims(const nb_value *a, int axis, nb_err *e);
nb_value *nb_broadcast_to(const nb_value *a, int ndim, const size_t *shape, nb_err *e);
nb_value *nb_concatenate(size_t n, nb_value *const *vals, int axis, nb_err *e);
nb_value *nb_stack(size_t n, nb_value *const *vals, int axis, nb_err *e);
nb_value *nb_tile(const nb_value *a, int nreps, const int64_t *reps, nb_err *e);
/* np.repeat: repeats has 1 element (all) or one per element along axis. */
nb_value *nb_repeat(const nb_value *a, const nb_value *repeats, const int *axis, nb_err *e);
/* np.matmul (the @ operator), through BLAS for float64. */
nb_value *nb_matmul(const nb_value *a, const nb_value *b, nb_err *e);
nb_value *nb_outer(const nb_value *a, const nb_value *b, nb_err *e);
/* np.diag: a 1-D array gives a square matrix, a 2-D array its k-th diagonal. */
nb_value *nb_diag(const nb_value *a, int k, nb_err *e);

/* Indexing (a[...]) with numpy's basic and advanced rules. */
typedef enum nb_idxkind { NB_IDX_INT, NB_IDX_SLICE, NB_IDX_NEWAXIS, NB_IDX_ELLIPSIS, NB_IDX_ARRAY } nb_idxkind;
typedef struct nb_index {
	nb_idxkind kind;
	int64_t i;                    /* NB_IDX_INT */
	int has_start, has_stop, has_step;
	int64_t start, stop, step;    /* NB_IDX_SLICE */
	const nb_value *arr;          /* NB_IDX_ARRAY: int or bool array (borrowed) */
} nb_index;
nb_value *nb_getindex(const nb_value *a, int n, const nb_index *idx, nb_err *e);

/* Normalise an axis argument against ndim (numpy's AxisError on failure). */
int nb_norm_axis(int axis, int ndim, int *out, nb_err *e);

/* Creation helpers shared by kernels and expression functions. */
nb_value *nb_arange(double start, double stop, double step, int integer, nb_err *e);
nb_value *nb_linspace(double start, double stop, int64_t num, int endpoint, nb_err *e);
/* base ** linspace(start, stop, num) (np.logspace, with pow() as numpy's power). */
nb_value *nb_logspace(double start, double stop, int64_t num, int endpoint, double base, nb_err *e);
/* np.geomspace: logspace between log10 of the ends, the ends then set exactly. */
nb_value *nb_geomspace(double start, double stop, int64_t num, int endpoint, nb_err *e);
nb_value *nb_full(int ndim, const size_t *shape, double fill, nb_dtype dt, nb_err *e);
nb_value *nb_eye(int64_t n, int64_t m, int64_t k, nb_err *e);

/* Convert a value used as a shape (int or int sequence) to dims. */
int nb_value_to_shape(const nb_value *v, int *ndim, size_t *shape, nb_err *e);

#endif
