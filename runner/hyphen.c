/*
 * hyphen.c - libhyphen's dictionary rebuilt from the tables compiled into
 * nbrun (hyphen_table.h): all levels, states and transitions in one
 * allocation, the strings left in the tables' pool.  A few hundred
 * microseconds, where hnj_hyphen_load parses the pattern file and allocates
 * each state for several milliseconds.
 */
#include "hyphen_table.h"

#include <hyphen.h>
#include <pthread.h>
#include <string.h>

#include "util.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static HyphenDict *dict;

/* a pool offset as libhyphen's string (which it only reads) */
static char *pool_str(long off)
{
	return off < 0 ? NULL : (char *)(uintptr_t)(nb_hyphen_pool + off);
}

static void build(void)
{
	int nl = nb_hyphen_nlevels;
	if (nl <= 0)
		return;
	size_t ns = 0, nt = 0;
	for (int k = 0; k < nl; k++)
		for (int i = 0; i < nb_hyphen_levels[k].nstates; i++, ns++)
			nt += (size_t)nb_hyphen_levels[k].state[i].ntrans;
	HyphenDict *d = nb_xcalloc(1, (size_t)nl * sizeof *d + ns * sizeof(HyphenState) + nt * sizeof(HyphenTrans));
	HyphenState *st = (HyphenState *)(d + nl);
	HyphenTrans *tr = (HyphenTrans *)(st + ns);
	for (int k = 0; k < nl; k++) {
		const nb_hyphen_level *L = &nb_hyphen_levels[k];
		d[k].lhmin = (char)L->lhmin;
		d[k].rhmin = (char)L->rhmin;
		d[k].clhmin = (char)L->clhmin;
		d[k].crhmin = (char)L->crhmin;
		d[k].nohyphen = pool_str(L->nohyphen);
		d[k].nohyphenl = L->nohyphenl;
		d[k].num_states = L->nstates;
		strncpy(d[k].cset, L->cset, sizeof d[k].cset - 1);
		d[k].utf8 = L->utf8;
		d[k].states = st;
		d[k].nextlevel = k + 1 < nl ? &d[k + 1] : NULL;
		size_t t = 0;
		for (int i = 0; i < L->nstates; i++, st++) {
			const nb_hyphen_state *s = &L->state[i];
			st->match = pool_str(s->match);
			st->repl = pool_str(s->repl);
			st->replindex = s->replindex;
			st->replcut = s->replcut;
			st->fallback_state = s->fallback;
			st->num_trans = s->ntrans;
			st->trans = s->ntrans ? tr : NULL;
			for (int j = 0; j < s->ntrans; j++, t++, tr++) {
				tr->ch = (char)L->ch[t];
				tr->new_state = L->next[t];
			}
		}
	}
	dict = d;
}

struct _HyphenDict *nb_hyphen_dict(void)
{
	pthread_once(&once, build);
	return dict;
}
