#include "state.h"

#include <stdlib.h>
#include <string.h>

static nb_binding *find(const nb_state *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->b[i].name, name))
			return &s->b[i];
	return NULL;
}

void nb_state_put(nb_state *s, const char *name, nb_value *v, const char *cell)
{
	nb_binding *b = find(s, name);
	if (b) {
		nb_unref(b->value);
		free(b->cell);
	} else {
		NB_GROW(s->b, s->cap, s->n + 1);
		b = &s->b[s->n++];
		b->name = nb_xstrdup(name);
	}
	b->value = v;
	b->cell = nb_xstrdup(cell ? cell : "");
}

const nb_value *nb_state_get(const nb_state *s, const char *name)
{
	nb_binding *b = find(s, name);
	return b ? b->value : NULL;
}

const nb_value *nb_state_lookup(void *ctx, const char *name)
{
	return nb_state_get(ctx, name);
}

void nb_state_release(nb_state *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->b[i].name);
		free(s->b[i].cell);
		nb_unref(s->b[i].value);
	}
	free(s->b);
	*s = (nb_state)NB_STATE_INIT;
}
