/*
 * check_optim.c - the optimisers against an independent numpy version of
 * the udlbook update rules (tests/fixtures/optim_cases.tsv, gen_optim.py):
 * every 10th point of each trajectory, within 1e-9 relative.
 */
#include "notebook.h"
#include "run.h"
#include "testutil.h"

START_TEST(numpy_trajectories)
{
	char *path = test_path("fixtures/optim_cases.tsv");
	char *text = nb_read_file(path, NULL);
	ck_assert_ptr_nonnull(text);
	int n = 0;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		char *t1 = strchr(line, '\t'), *t2 = strchr(t1 + 1, '\t');
		*t1 = *t2 = '\0';
		int seed = atoi(t1 + 1);
		char *src = nb_xasprintf("nbrun: 1\ncells:\n  - seed: 42\n  - arange: {start: -5, stop: 5, step: 0.25}\n"
					 "    out: x\n  - normal: {size: 40}\n    out: noise\n  - let: {y_true: x * 2 - 3 + noise}\n"
					 "  - seed: %d\n  - %s\n", seed, line);
		nb_err e = NB_ERR_INIT;
		nb_notebook *nb = nb_notebook_load_string("o.yaml", src, NULL, 0, &e);
		ck_assert_msg(nb != NULL, "%s: %s", line, e.msg ? e.msg : "");
		nb_runopts o = {0};
		o.progress = NB_PROGRESS_QUIET;
		nb_run r;
		nb_run_init(&r, nb, &o);
		int rc = nb_run_cells(&r);
		for (size_t i = 0; rc && i < nb->ncells; i++)
			if (r.res[i].ran < 0)
				ck_abort_msg("%s: %s", line, r.res[i].err.msg);
		const nb_value *mp = nb_state_get(&r.state, "m_path"), *bp = nb_state_get(&r.state, "b_path"),
			       *lp = nb_state_get(&r.state, "l_path");
		const char *q = t2 + 1;
		for (size_t k = 0; k < mp->size; k += 10) {
			double want[3], got[3] = {nb_f64p(mp)[k], nb_f64p(bp)[k], nb_f64p(lp)[k]};
			for (int j = 0; j < 3; j++) {
				char *end;
				want[j] = strtod(q, &end);
				ck_assert_msg(end != q, "%s: fixture too short", line);
				q = end;
				ck_assert_msg(fabs(got[j] - want[j]) <= 1e-9 * (1 + fabs(want[j])),
					      "%s: step %zu value %d: nbrun %.17g, numpy %.17g", line, k, j, got[j], want[j]);
			}
		}
		n++;
		nb_run_release(&r);
		nb_notebook_free(nb);
		free(src);
	}
	free(text);
	free(path);
	ck_assert_int_eq(n, 7);
}
END_TEST

static Suite *optim_suite(void)
{
	Suite *s = suite_create("optim");
	TCase *tc = tcase_create("numpy");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, numpy_trajectories);
	suite_add_tcase(s, tc);
	return s;
}

NB_CHECK_MAIN(optim_suite)
