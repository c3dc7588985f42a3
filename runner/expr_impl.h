/*
 * expr_impl.h - the expression tree, shared by expr.c (parser, evaluator)
 * and autodiff.c.  Not part of the kernel API.
 */
#ifndef NB_EXPR_IMPL_H
#define NB_EXPR_IMPL_H

#include "expr.h"

typedef enum ekind {
	E_FLOAT, E_INT, E_STR, E_NAME, E_BUILTIN, E_BOOL, E_NONE, E_ELLIPSIS,
	E_BIN, E_UN, E_MATMUL, E_CALL, E_INDEX, E_ATTR, E_LIST, E_TUPLE, E_SLICE, E_CMP
} ekind;

struct nb_expr {
	ekind kind;
	size_t pos;
	double f;
	int64_t i;
	char *s;          /* names, strings, attribute names */
	int op;
	nb_expr **kids;   /* operands, call args, list items, index subscripts */
	char **kw;        /* call: keyword name per argument (NULL = positional) */
	size_t n;
};

/*
 * Evaluate with a hook called after every node with its value (borrowed),
 * as autodiff's forward pass needs.
 */
typedef void (*nb_record_fn)(void *ctx, const nb_expr *x, const nb_value *v);
nb_value *nb_expr_eval_rec(const nb_expr *x, nb_lookup_fn lookup, void *ctx, nb_record_fn rec, void *rctx,
			   size_t *errpos, nb_err *e);

#endif
