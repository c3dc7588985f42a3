/*
 * expr.h - the expression language of notebook parameters.
 *
 * A numpy-flavoured subset of Python expressions:
 *   literals      1  2.5  1e-3  'text'  "text"  True  False  None  [1, 2]  (3, 4)
 *   names         X  t_all  (values in the state), constants pi e inf nan
 *   operators     + - * / // % ** @  unary - + ~  == != < <= > >=  & | ^
 *   indexing      a[0]  a[-1]  a[1:3]  a[::-1]  a[:, 1999]  a[0:1, :]
 *                 a[None, :]  a[..., 0]  a[[0, 2]]  a[a > 0]
 *   attributes    a.T  a.shape  a.ndim  a.size
 *   calls         exp(x)  sum(x, axis=0)  x.sum(axis=0, keepdims=True)
 *                 np.exp(x)  np.linalg.norm(x)  (the np. prefix is optional)
 * with numpy's semantics for every operation (see ops.h).
 *
 * Parsing happens once, when the notebook is loaded, so syntax errors are
 * reported before anything runs.  Every node records its byte offset in the
 * source text, which error messages turn into a column.
 */
#ifndef NB_EXPR_H
#define NB_EXPR_H

#include "value.h"

typedef struct nb_expr nb_expr;

/*
 * Parse text.  On failure returns NULL, sets e and *errpos (byte offset of
 * the problem in text).  The tree is freed with nb_expr_free().
 */
nb_expr *nb_expr_parse(const char *text, size_t *errpos, nb_err *e);
void nb_expr_free(nb_expr *x);

/* Is the whole expression a single name?  Returns it, or NULL. */
const char *nb_expr_as_name(const nb_expr *x);

/*
 * Call fn for every state name the expression reads (not functions or
 * constants), with its byte offset.  Stops and returns -1 as soon as fn does.
 */
int nb_expr_walk_names(const nb_expr *x, int (*fn)(void *ctx, const char *name, size_t pos), void *ctx);

/* Is name a builtin constant (pi, e, inf, nan, newaxis, ...)? */
int nb_expr_is_constant(const char *name);
/* Is name a builtin function? */
int nb_expr_is_function(const char *name);

/* How the evaluator reads the state: a borrowed value or NULL. */
typedef const nb_value *(*nb_lookup_fn)(void *ctx, const char *name);

/*
 * Evaluate.  Returns a new reference, or NULL with e set and *errpos the
 * offset of the sub-expression at fault.
 */
nb_value *nb_expr_eval(const nb_expr *x, nb_lookup_fn lookup, void *ctx, size_t *errpos, nb_err *e);

/* For documentation: the builtin functions, one "name(signature): summary" per entry. */
typedef struct nb_fninfo {
	const char *name;
	const char *sig;
	const char *doc;
} nb_fninfo;
const nb_fninfo *nb_expr_functions(size_t *n);

#endif
