/*
 * hyphen_table.h - the hyphenation automaton compiled into nbrun.
 *
 * tools/hyphen_table writes these tables at build time from the automaton
 * libhyphen builds for Debian's English patterns (hyphen-en-us); the report
 * turns them back into libhyphen's HyphenDict (one allocation, no parsing)
 * and hyphenates with libhyphen.  Strings are offsets into nb_hyphen_pool,
 * -1 for none.
 */
#ifndef NB_HYPHEN_TABLE_H
#define NB_HYPHEN_TABLE_H

#include <stdint.h>

/* a state of libhyphen's HyphenState, strings as offsets and no transitions' pointer */
typedef struct nb_hyphen_state {
	int32_t match, repl, fallback;
	int16_t ntrans;
	int8_t replindex, replcut;
} nb_hyphen_state;

typedef struct nb_hyphen_level {
	int lhmin, rhmin, clhmin, crhmin;
	long nohyphen; /* nohyphenl + 1 strings one after the other */
	int nohyphenl, utf8;
	const char *cset;
	int nstates;
	const nb_hyphen_state *state;
	const unsigned char *ch; /* the transitions of all states in order: their characters */
	const int32_t *next;     /* and the states they lead to */
} nb_hyphen_level;

/* the levels from the first (nextlevel chains them); none when the dictionary was missing */
extern const nb_hyphen_level nb_hyphen_levels[];
extern const int nb_hyphen_nlevels;
extern const char nb_hyphen_pool[];

/*
 * The tables as libhyphen's dictionary (for hnj_hyphen_hyphenate3 and the
 * like), built on the first call and kept for the process; NULL when nbrun
 * was built without the patterns.  Not for hnj_hyphen_free.
 */
struct _HyphenDict *nb_hyphen_dict(void);

#endif
