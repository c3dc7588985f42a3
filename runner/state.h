/*
 * state.h - the shared state of a notebook run: names bound to values.
 *
 * Names keep the order in which they were first bound (that is the order
 * of --save-state's index).  nb_state_put() takes over the caller's
 * reference; nb_state_get() returns a borrowed pointer that stays valid
 * until the same name is bound again or the state is freed.
 */
#ifndef NB_STATE_H
#define NB_STATE_H

#include "value.h"

typedef struct nb_binding {
	char *name;
	nb_value *value;
	char *cell; /* label of the cell that bound it last */
} nb_binding;

typedef struct nb_state {
	nb_binding *b;
	size_t n, cap;
} nb_state;

#define NB_STATE_INIT {NULL, 0, 0}

void nb_state_put(nb_state *s, const char *name, nb_value *v, const char *cell);
const nb_value *nb_state_get(const nb_state *s, const char *name);
void nb_state_release(nb_state *s);
/* Adapter for nb_expr_eval(): ctx is an nb_state *. */
const nb_value *nb_state_lookup(void *ctx, const char *name);

#endif
