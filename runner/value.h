/*
 * value.h - the values that live in a notebook's state.
 *
 * A value is one of
 *   - an N-dimensional array (rank 0 to NB_MAXDIM) of float64, int64 or
 *     bool, stored contiguously in C (row-major) order, with numpy's shape
 *     rules: a 1-D array of n elements has shape (n,) and is not a 1×n
 *     matrix; a rank-0 array is a scalar;
 *   - a string (UTF-8);
 *   - an opaque object with a type descriptor (figures, later models).
 *
 * OWNERSHIP (the one rule, followed everywhere in nbrun):
 *   - Values are reference counted.  A function that returns nb_value *
 *     returns a NEW reference: the caller owns it and must nb_unref() it
 *     (or hand it on to a function documented to take it).
 *   - Arguments are BORROWED: a callee that wants to keep a value takes its
 *     own reference with nb_ref().
 *   - A value whose reference count is above one is shared and must not be
 *     modified.  Kernels and operators never modify their inputs; they
 *     build new arrays.  Only the creator of a fresh array (refs == 1)
 *     fills in its data.
 *   - nb_state_put() (state.h) takes over the caller's reference.
 *
 * Array data is allocated with a size check: an array larger than
 * NB_MAX_ARRAY_BYTES, or one the C library cannot allocate, is reported as
 * an error through nb_err instead of crashing.
 */
#ifndef NB_VALUE_H
#define NB_VALUE_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

#define NB_MAXDIM 32
/* Largest single array nbrun will try to allocate (8 GiB). */
#define NB_MAX_ARRAY_BYTES ((size_t)1 << 33)

typedef enum nb_dtype { NB_BOOL, NB_I64, NB_F64 } nb_dtype;
typedef enum nb_vkind { NB_ARRAY, NB_STR, NB_OBJ } nb_vkind;

typedef struct nb_objtype {
	const char *name;
	void (*free)(void *obj);
} nb_objtype;

typedef struct nb_value {
	unsigned refs;
	nb_vkind kind;
	/* arrays */
	nb_dtype dtype;
	int ndim;
	size_t shape[NB_MAXDIM];
	size_t size; /* product of shape; 1 for rank 0 */
	int tuple;   /* a 1-D array that Python would hold as a tuple (x.shape, (2, 3)): prints as one */
	void *data;
	/* strings */
	char *str;
	/* objects */
	const nb_objtype *otype;
	void *obj;
} nb_value;

/* A fresh zero-filled array; NULL with an error when too large. */
nb_value *nb_array_new(nb_dtype dt, int ndim, const size_t *shape, nb_err *e);
/* Same shape and dtype as v, zero-filled. */
nb_value *nb_array_like(const nb_value *v, nb_dtype dt, nb_err *e);
nb_value *nb_f64(double x);
nb_value *nb_i64(int64_t x);
nb_value *nb_bool(int x);
/* 1-D float64 array copied from x[0..n). */
nb_value *nb_f64_vec(const double *x, size_t n, nb_err *e);
nb_value *nb_str(const char *s);
/* Wrap an object; on the last unref, otype->free(obj) is called. */
nb_value *nb_obj(const nb_objtype *t, void *obj);

nb_value *nb_ref(const nb_value *v);
void nb_unref(nb_value *v);

static inline double *nb_f64p(const nb_value *v) { return (double *)v->data; }
static inline int64_t *nb_i64p(const nb_value *v) { return (int64_t *)v->data; }
static inline uint8_t *nb_boolp(const nb_value *v) { return (uint8_t *)v->data; }

/* Element i (flat C-order index) converted to double / int64. */
double nb_get_f64(const nb_value *v, size_t i);
int64_t nb_get_i64(const nb_value *v, size_t i);

/* A copy converted to dtype dt (a new reference; the same value if dt matches). */
nb_value *nb_astype(const nb_value *v, nb_dtype dt, nb_err *e);
/* A private copy that the caller may modify. */
nb_value *nb_copy(const nb_value *v, nb_err *e);

const char *nb_dtype_name(nb_dtype dt);  /* "float64", "int64", "bool" */
/* What a value is, for messages: "float64 array of shape (3, 2)", "string", ... */
void nb_describe_value(const nb_value *v, nb_buf *b);
/* numpy's tuple spelling of a shape: "()", "(3,)", "(3, 2)". */
void nb_shape_str(int ndim, const size_t *shape, nb_buf *b);
/* Total element count, or (size_t)-1 on overflow or above NB_MAX_ARRAY_BYTES / 8. */
size_t nb_shape_size(int ndim, const size_t *shape);

int nb_is_array(const nb_value *v);
int nb_is_scalar(const nb_value *v); /* an array of rank 0, or of size 1 */

/* Broadcast two shapes (numpy rules). */
int nb_broadcast_shapes(int na, const size_t *sa, int nb, const size_t *sb,
			int *nout, size_t *sout);

/* The common dtype of a binary arithmetic operation (numpy promotion). */
static inline nb_dtype nb_promote(nb_dtype a, nb_dtype b) { return a > b ? a : b; }

#endif
