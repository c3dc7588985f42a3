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

/* nb_fixed against glibc's printf, which prints the exact binary value rounded half to even:
 * random numbers of every size it takes, numbers exactly halfway between two outputs, their
 * neighbours, negative zero, and the truncation and refusals. */
static void fixed_agrees(double x, int prec, int *n, int *bad)
{
	char want[128], got[128];
	int wn = snprintf(want, sizeof want, "%.*f", prec, x);
	int gn = nb_fixed(got, sizeof got, x, prec);
	(*n)++;
	if (gn != wn || strcmp(got, want)) {
		if (*bad < 10)
			fprintf(stderr, "%%.%df of %a: nb_fixed '%s' (%d), printf '%s' (%d)\n", prec, x, got, gn, want, wn);
		(*bad)++;
	}
}

START_TEST(fixed_as_printf)
{
	int n = 0, bad = 0;
	uint64_t r = 0x9e3779b97f4a7c15u;
	for (int i = 0; i < 400000; i++) {
		r ^= r << 13, r ^= r >> 7, r ^= r << 17;
		double mant = (double)(r >> 11) / 9007199254740992.0; /* [0, 1) */
		int ex = (int)(r % 60) - 45;                           /* 1e-45 .. 1e14 */
		double x = mant * pow(10, ex) * ((r >> 7) & 1 ? -1 : 1);
		fixed_agrees(x, (int)((r >> 20) % 19), &n, &bad);
	}
	/* halfway cases: k + 1/2 in the last place, exact in binary (k / 2^j), and their neighbours */
	for (int prec = 0; prec <= 6; prec++)
		for (int k = 0; k < 2000; k++)
			for (int j = 1; j <= 6; j++) {
				double x = ldexp(k, -j) * pow(10, -prec);
				double y = (2 * k + 1) / 2.0 / pow(10, prec); /* the halfway point, as near as binary gets */
				fixed_agrees(x, prec, &n, &bad);
				fixed_agrees(y, prec, &n, &bad);
				fixed_agrees(nextafter(y, 0), prec, &n, &bad);
				fixed_agrees(nextafter(y, 1e300), prec, &n, &bad);
				fixed_agrees(-y, prec, &n, &bad);
			}
	double specials[] = {0.0, -0.0, 0.5, 1.5, 2.5, -2.5, 0.125, 0.375, 1e-300, -1e-300, 4.9e-324, 999999.9999995,
			     0.1, 0.7, 123456789012345.6, -99999999999999.99};
	for (size_t i = 0; i < sizeof specials / sizeof *specials; i++)
		for (int prec = 0; prec <= 18; prec++)
			fixed_agrees(specials[i], prec, &n, &bad);
	ck_assert_msg(bad == 0, "%d of %d numbers printed unlike printf", bad, n);
	/* truncated to the buffer as snprintf does, the full length returned */
	char small[5];
	ck_assert_int_eq(nb_fixed(small, sizeof small, -3.14159, 4), 7);
	ck_assert_str_eq(small, "-3.1");
	ck_assert_int_eq(nb_fixed(NULL, 0, 2.5, 1), 3);
	/* what it leaves to printf */
	ck_assert_int_eq(nb_fixed(small, sizeof small, INFINITY, 2), -1);
	ck_assert_int_eq(nb_fixed(small, sizeof small, NAN, 2), -1);
	ck_assert_int_eq(nb_fixed(small, sizeof small, 1e15, 2), -1);
	ck_assert_int_eq(nb_fixed(small, sizeof small, 1.0, 19), -1);
	ck_assert_int_eq(nb_fixed(small, sizeof small, 1.0, -1), -1);
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
	tcase_add_test(tc, fixed_as_printf);
	suite_add_tcase(s, tc);
	return s;
}

NB_CHECK_MAIN(fmt_suite)
