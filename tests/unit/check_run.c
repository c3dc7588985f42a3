/*
 * check_run.c - running notebooks: values in the state, printed output,
 * check failures, errors located in expressions, .npy encoding, and the
 * hyphenation tables compiled in for the report.
 */
#include <hyphen.h>

#include "hyphen_table.h"
#include "notebook.h"
#include "run.h"
#include "testutil.h"

typedef struct ran {
	nb_notebook *nb;
	nb_run r;
	nb_runopts o;
	int rc;
} ran;

static void run_src(ran *x, const char *src)
{
	nb_err e = NB_ERR_INIT;
	memset(x, 0, sizeof *x);
	x->nb = nb_notebook_load_string("t.yaml", src, NULL, 0, &e);
	ck_assert_msg(x->nb != NULL, "load: %s", e.msg ? e.msg : "");
	x->o.progress = NB_PROGRESS_QUIET;
	nb_run_init(&x->r, x->nb, &x->o);
	x->rc = nb_run_cells(&x->r);
}

static void ran_free(ran *x)
{
	nb_run_release(&x->r);
	nb_notebook_free(x->nb);
}

START_TEST(state_and_output)
{
	ran x;
	run_src(&x, "nbrun: 1\nparams:\n  n: 4\ncells:\n"
		    "  - let:\n      X: [[0.2, 0.4, 0.8], [1, 1, 1]]\n      y: [[-0.1], [0.15], [0.3]]\n"
		    "      XXTInvX: X @ X.T\n      k: n * 2\n"
		    "  - linspace: {start: 0, stop: 1, num: n}\n    out: grid\n"
		    "  - meshgrid: {x: [1, 2, 3], y: [10, 20]}\n    out: [MX, MY]\n"
		    "  - print: \"X=\\n {X}\\nk={k} grid={grid} MY[1, 2]={MY[1, 2]} {grid[1]:.4f}\"\n");
	ck_assert_int_eq(x.rc, 0);
	const nb_value *k = nb_state_get(&x.r.state, "k");
	ck_assert_int_eq(k->dtype, NB_I64);
	ck_assert_int_eq(nb_i64p(k)[0], 8);
	const nb_value *mx = nb_state_get(&x.r.state, "MX");
	ck_assert_int_eq(mx->ndim, 2);
	ck_assert_uint_eq(mx->shape[0], 2);
	ck_assert_uint_eq(mx->shape[1], 3);
	ck_assert_str_eq(nb_buf_str(&x.r.res[3].text),
			 "X=\n [[0.2 0.4 0.8]\n [1.  1.  1. ]]\nk=8 grid=[0.         0.33333333 0.66666667 1.        ] "
			 "MY[1, 2]=20.0 0.3333\n");
	ran_free(&x);
}
END_TEST

START_TEST(check_failure_text)
{
	ran x;
	run_src(&x, "nbrun: 1\ncells:\n  - let: {v: [1.0, 2.0, 3.0]}\n"
		    "  - check: {actual: v, expected: [1.0, 2.5, 3.0], rtol: 0.01, label: v}\n"
		    "  - print: never\n");
	ck_assert_int_eq(x.rc, 1);
	ck_assert_int_eq(x.r.res[1].ran, -1);
	ck_assert_int_eq(x.r.res[1].check_failed, 1);
	ck_assert_int_eq(x.r.res[2].ran, 0);
	nb_buf b = NB_BUF_INIT;
	nb_err_format(&x.r.res[1].err, &b);
	ck_assert_str_eq(nb_buf_str(&b), "t.yaml:4:5: error: cell 'cell-2': check failed: v: 1 of 3 elements differ beyond "
					 "atol=0 + rtol=0.01*|expected|; worst at [1]: actual 2.0, expected 2.5, difference "
					 "0.5 (allowed 0.025)\n");
	nb_buf_release(&b);
	ran_free(&x);
}
END_TEST

START_TEST(check_pass_text)
{
	ran x;
	run_src(&x, "nbrun: 1\ncells:\n  - let: {b: -3.235905316463203}\n"
		    "  - check: {actual: b, expected: -3.235905316463203, rtol: 0, label: final b}\n");
	ck_assert_int_eq(x.rc, 0);
	ck_assert_str_eq(nb_buf_str(&x.r.res[1].text),
			 "check passed: final b (1 element) within atol=0, rtol=0\n");
	ran_free(&x);
}
END_TEST

START_TEST(runtime_error_location)
{
	ran x;
	run_src(&x, "nbrun: 1\ncells:\n  - let:\n      a: [1.0, 2.0, 3.0]\n      b: a + [1.0, 2.0]\n");
	ck_assert_int_eq(x.rc, 1);
	nb_buf b = NB_BUF_INIT;
	nb_err_format(&x.r.res[0].err, &b);
	ck_assert_str_eq(nb_buf_str(&b), "t.yaml:5:12: error: cell 'cell-1': operands could not be broadcast together: "
					 "shapes (3,) and (2,) do not match\n");
	nb_buf_release(&b);
	ran_free(&x);
}
END_TEST

START_TEST(index_error_location)
{
	ran x;
	run_src(&x, "nbrun: 1\ncells:\n  - arange: {stop: 10}\n    out: t\n  - print: \"last: {t[10]}\"\n");
	ck_assert_int_eq(x.rc, 1);
	nb_buf b = NB_BUF_INIT;
	nb_err_format(&x.r.res[1].err, &b);
	ck_assert_str_eq(nb_buf_str(&b), "t.yaml:5:22: error: cell 'cell-2': parameter 'text': index 10 is out of "
					 "bounds for axis 0 with size 10\n");
	nb_buf_release(&b);
	ran_free(&x);
}
END_TEST

START_TEST(npy_bytes)
{
	char *path = test_path("fixtures/npy_cases.tsv");
	char *text = nb_read_file(path, NULL);
	ck_assert_ptr_nonnull(text);
	nb_state st = NB_STATE_INIT;
	int n = 0;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		char *tab = strchr(line, '\t');
		*tab = '\0';
		char *msg;
		nb_value *v = eval_in(&st, line, &msg, NULL);
		ck_assert_msg(v != NULL, "%s: %s", line, msg);
		nb_buf out = NB_BUF_INIT, hex = NB_BUF_INIT;
		nb_err e = NB_ERR_INIT;
		ck_assert_int_eq(nb_npy_encode(v, &out, &e), 0);
		for (size_t i = 0; i < out.len; i++)
			nb_buf_printf(&hex, "%02x", (unsigned char)out.s[i]);
		ck_assert_msg(!strcmp(nb_buf_str(&hex), tab + 1), "%s: .npy bytes differ from numpy's", line);
		nb_buf_release(&out);
		nb_buf_release(&hex);
		nb_unref(v);
		n++;
	}
	ck_assert_int_eq(n, 6);
	nb_state_release(&st);
	free(text);
	free(path);
}
END_TEST

/* w with a '-' at each break the report would allow (two letters before, three after) */
static void hyphenated(HyphenDict *d, const char *w, char *out)
{
	size_t n = strlen(w);
	char hy[300];
	char **rep = NULL;
	int *pos = NULL, *cut = NULL;
	ck_assert_int_eq(hnj_hyphen_hyphenate3(d, w, (int)n, hy, NULL, &rep, &pos, &cut, 2, 3, 2, 3), 0);
	ck_assert_ptr_null(rep);
	for (size_t k = 0; k < n; k++) {
		*out++ = w[k];
		if ((hy[k] & 1) && k + 1 < n)
			*out++ = '-';
	}
	*out = '\0';
}

/*
 * The tables compiled into nbrun give libhyphen the automaton hnj_hyphen_load
 * builds from the pattern file: the same breaks for every pattern's letters and
 * for each pattern's letters run into the next one's (words that cross the
 * automaton's fallbacks).
 */
START_TEST(hyphenation_table)
{
	HyphenDict *ref = hnj_hyphen_load(NB_HYPHEN_DICT);
	ck_assert_msg(ref != NULL, "cannot load %s", NB_HYPHEN_DICT);
	HyphenDict *d = nb_hyphen_dict();
	ck_assert_ptr_nonnull(d);
	ck_assert_ptr_eq(nb_hyphen_dict(), d);
	ck_assert_int_eq(d->num_states, ref->num_states);
	FILE *f = fopen(NB_HYPHEN_DICT, "r");
	ck_assert_ptr_nonnull(f);
	char line[256], prev[128] = "", cur[128], word[256], a[600], b[600];
	size_t n = 0, broken = 0;
	while (fgets(line, sizeof line, f)) {
		size_t k = 0;
		for (const char *p = line; *p && k + 1 < sizeof cur; p++)
			if (*p >= 'a' && *p <= 'z')
				cur[k++] = *p;
		cur[k] = '\0';
		if (!k)
			continue;
		snprintf(word, sizeof word, "%s%s", prev, cur);
		const char *ws[2] = {cur, word};
		for (int i = 0; i < 2; i++) {
			hyphenated(ref, ws[i], a);
			hyphenated(d, ws[i], b);
			ck_assert_str_eq(b, a);
			n++;
			broken += strchr(b, '-') != NULL;
		}
		snprintf(prev, sizeof prev, "%s", cur);
	}
	fclose(f);
	ck_assert_uint_gt(n, 20000);
	ck_assert_uint_gt(broken, 10000);
	const char *words[][2] = {{"hyphenation", "hy-phen-ation"}, {"gradient", "gra-di-ent"},
				  {"parameters", "pa-ram-e-ters"}, {"notebook", "note-book"}};
	for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
		hyphenated(d, words[i][0], b);
		ck_assert_str_eq(b, words[i][1]);
	}
	hnj_hyphen_free(ref);
}
END_TEST

static Suite *run_suite(void)
{
	Suite *s = suite_create("run");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, state_and_output);
	tcase_add_test(tc, check_pass_text);
	tcase_add_test(tc, npy_bytes);
	suite_add_tcase(s, tc);
	tc = tcase_create("errors");
	tcase_add_test(tc, check_failure_text);
	tcase_add_test(tc, runtime_error_location);
	tcase_add_test(tc, index_error_location);
	suite_add_tcase(s, tc);
	tc = tcase_create("report");
	tcase_add_test(tc, hyphenation_table);
	suite_add_tcase(s, tc);
	return s;
}

NB_CHECK_MAIN(run_suite)
