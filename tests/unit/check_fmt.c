/*
 * check_fmt.c - Python's repr() and format-spec output (fixtures generated
 * by gen_fmt.py), and numpy's array printing edge cases.
 */
#include "testutil.h"

static double from_bits(const char *hex)
{
	uint64_t u = strtoull(hex, NULL, 16);
	double d;
	memcpy(&d, &u, sizeof d);
	return d;
}

START_TEST(python_fixtures)
{
	char *path = test_path("fixtures/fmt_cases.tsv");
	char *text = nb_read_file(path, NULL);
	ck_assert_msg(text != NULL, "cannot read %s", path);
	int n = 0, bad = 0;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		char *f[5] = {0};
		char *p = line;
		for (int i = 0; i < 5 && p; i++) {
			f[i] = p;
			p = strchr(p, '\t');
			if (p)
				*p++ = '\0';
		}
		nb_buf b = NB_BUF_INIT;
		const char *want;
		n++;
		if (!strcmp(f[0], "repr")) {
			nb_fmt_repr(from_bits(f[1]), &b);
			want = f[2];
		} else {
			nb_value *v = !strcmp(f[1], "f") ? nb_f64(from_bits(f[2])) : nb_i64(strtoll(f[2], NULL, 10));
			nb_err e = NB_ERR_INIT;
			if (nb_fmt_spec(v, f[3], &b, &e) < 0)
				nb_buf_printf(&b, "<error: %s>", e.msg);
			nb_err_clear(&e);
			nb_unref(v);
			want = f[4] ? f[4] : "";
		}
		if (strcmp(nb_buf_str(&b), want)) {
			fprintf(stderr, "%s %s %s: nbrun '%s', Python '%s'\n", f[0], f[1], f[0][0] == 's' ? f[3] : "",
				nb_buf_str(&b), want);
			bad++;
		}
		nb_buf_release(&b);
	}
	free(text);
	free(path);
	ck_assert_int_gt(n, 1000);
	ck_assert_msg(bad == 0, "%d of %d cases differ from Python", bad, n);
}
END_TEST

START_TEST(spec_errors)
{
	nb_err e = NB_ERR_INIT;
	nb_buf b = NB_BUF_INIT;
	nb_value *v = nb_f64(1.5);
	ck_assert_int_eq(nb_fmt_spec(v, ".2q", &b, &e), -1);
	ck_assert_str_eq(e.msg, "unknown format code 'q' for a float");
	nb_err_clear(&e);
	ck_assert_int_eq(nb_fmt_spec(v, ".2fx", &b, &e), -1);
	ck_assert_str_eq(e.msg, "invalid format specifier '.2fx'");
	nb_err_clear(&e);
	ck_assert_int_eq(nb_fmt_spec(v, "d", &b, &e), -1);
	ck_assert_str_eq(e.msg, "unknown format code 'd' for a float");
	nb_err_clear(&e);
	nb_unref(v);
	size_t n = 3;
	v = nb_array_new(NB_F64, 1, &n, NULL);
	ck_assert_int_eq(nb_fmt_spec(v, ".2f", &b, &e), -1);
	ck_assert_str_eq(e.msg, "format spec ':.2f' needs a single number, got a float64 array of shape (3,) "
				"(print arrays with a plain {name})");
	nb_err_clear(&e);
	nb_unref(v);
	v = nb_i64(5);
	ck_assert_int_eq(nb_fmt_spec(v, ".3d", &b, &e), -1);
	ck_assert_str_eq(e.msg, "precision not allowed in integer format specifier");
	nb_err_clear(&e);
	nb_unref(v);
	nb_buf_release(&b);
}
END_TEST

static Suite *fmt_suite(void)
{
	Suite *s = suite_create("fmt");
	TCase *tc = tcase_create("python");
	tcase_add_test(tc, python_fixtures);
	tcase_add_test(tc, spec_errors);
	suite_add_tcase(s, tc);
	return s;
}

NB_CHECK_MAIN(fmt_suite)
