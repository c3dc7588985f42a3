/*
 * autodiff.h - exact derivatives of expressions (reverse mode).
 *
 * The expression is evaluated once with every intermediate value recorded,
 * then gradients flow back through the tree with numpy's broadcasting
 * undone at each step.  Differentiable: + - * / ** @, unary minus,
 * indexing and slicing, .T, list literals, and the functions listed by
 * nb_autodiff_supported(); anything else (argmax, floor, comparisons, ...)
 * has zero derivative where numpy's functions are piecewise constant, or
 * is reported as an error naming the function.
 */
#ifndef NB_AUTODIFF_H
#define NB_AUTODIFF_H

#include "expr.h"

/*
 * The Jacobian of f with respect to the state values named wrt[0..n):
 * out[i] gets shape f.shape + wrt_i.shape (just wrt_i.shape when f is a
 * scalar, the gradient).  *fval, if not NULL, receives f's value.
 * Returns 0, or -1 with e and *errpos (offset in f's source) set.
 */
int nb_jacobian(const nb_expr *f, nb_lookup_fn lookup, void *ctx, size_t n, const char *const *wrt, nb_value **out,
		nb_value **fval, size_t *errpos, nb_err *e);

/* Whether the function name has a derivative rule (for documentation and checks). */
int nb_autodiff_supported(const char *fn);

#endif
