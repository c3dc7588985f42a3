/*
 * testutil.h - shared helpers for nbrun's Check suites.
 */
#ifndef NB_TESTUTIL_H
#define NB_TESTUTIL_H

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "fmt.h"
#include "state.h"
#include "util.h"

/* Path of a file under tests/ (NBRUN_TESTDATA, set by make). */
static inline char *test_path(const char *rel)
{
	const char *base = getenv("NBRUN_TESTDATA");
	return nb_xasprintf("%s/%s", base ? base : "tests", rel);
}

/* Split a fixture line at tabs into f[0..n), in place; missing fields are empty strings. */
static inline void split_tabs(char *line, char **f, int n)
{
	char *p = line;
	for (int i = 0; i < n; i++) {
		f[i] = p;
		p = strchr(p, '\t');
		if (p)
			*p++ = '\0';
		else
			p = f[i] + strlen(f[i]);
	}
}

/* Evaluate src in state s; returns a new reference or NULL with msg/pos set. */
static inline nb_value *eval_in(nb_state *s, const char *src, char **msg, size_t *pos)
{
	nb_err e = NB_ERR_INIT;
	size_t p = 0;
	*msg = NULL;
	nb_expr *x = nb_expr_parse(src, &p, &e);
	nb_value *v = NULL;
	if (x)
		v = nb_expr_eval(x, nb_state_lookup, s, &p, &e);
	if (!v) {
		*msg = nb_xstrdup(e.msg ? e.msg : "?");
		if (pos)
			*pos = p;
	}
	nb_err_clear(&e);
	nb_expr_free(x);
	return v;
}

/* str(value) as print() shows it; the caller frees. */
static inline char *str_of(const nb_value *v)
{
	nb_buf b = NB_BUF_INIT;
	nb_fmt_value(v, &b);
	return nb_buf_detach(&b);
}

#define NB_CHECK_MAIN(suite_fn)                                            \
	int main(void)                                                     \
	{                                                                  \
		SRunner *sr = srunner_create(suite_fn());                  \
		srunner_set_fork_status(sr, CK_NOFORK);                    \
		srunner_run_all(sr, CK_NORMAL);                            \
		int nf = srunner_ntests_failed(sr);                        \
		srunner_free(sr);                                          \
		return nf ? EXIT_FAILURE : EXIT_SUCCESS;                   \
	}

#endif
