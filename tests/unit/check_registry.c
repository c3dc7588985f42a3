/*
 * check_registry.c - the kernel table: order, uniqueness, complete
 * schemas, lookup by full and short name, and the generated texts.
 */
#include "kernel.h"
#include "testutil.h"

START_TEST(sorted_and_unique)
{
	size_t n = nb_kernel_count();
	ck_assert_uint_gt(n, 15);
	for (size_t i = 1; i < n; i++)
		ck_assert_msg(strcmp(nb_kernel_at(i - 1)->name, nb_kernel_at(i)->name) < 0,
			      "kernels.def is not sorted at '%s'", nb_kernel_at(i)->name);
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			ck_assert_msg(strcmp(nb_kernel_short(nb_kernel_at(i)), nb_kernel_short(nb_kernel_at(j))),
				      "short name '%s' is not unique", nb_kernel_short(nb_kernel_at(i)));
}
END_TEST

START_TEST(schemas_complete)
{
	for (size_t i = 0; i < nb_kernel_count(); i++) {
		const nb_kernel *k = nb_kernel_at(i);
		ck_assert_msg(strchr(k->name, '.') != NULL, "'%s' is not family.name", k->name);
		ck_assert_msg(k->summary && *k->summary, "'%s' has no summary", k->name);
		ck_assert_ptr_nonnull(k->fn);
		ck_assert_ptr_nonnull(k->params);
		ck_assert_ptr_nonnull(k->outputs);
		if (k->flags & NB_K_PRIMARY)
			ck_assert_msg(k->params[0].name != NULL, "'%s' is PRIMARY without parameters", k->name);
		for (const nb_param *p = k->params; p->name; p++) {
			ck_assert_msg(p->doc && *p->doc, "'%s' parameter '%s' has no doc", k->name, p->name);
			if (p->type == NB_P_CHOICE)
				ck_assert_msg(p->choices && p->dflt != NB_OPTIONAL, "'%s': choice without choices", k->name);
			if (p->dflt && p->dflt != NB_OPTIONAL && p->type == NB_P_CHOICE)
				ck_assert_msg(strstr(p->choices, p->dflt) != NULL, "'%s': default not a choice", k->name);
			for (const nb_param *q = p + 1; q->name; q++)
				ck_assert_msg(strcmp(p->name, q->name), "'%s': parameter '%s' twice", k->name, p->name);
		}
		for (size_t o = 0; o < nb_kernel_noutputs(k); o++)
			ck_assert_msg(k->outputs[o].doc && *k->outputs[o].doc, "'%s' output without doc", k->name);
	}
}
END_TEST

START_TEST(lookup)
{
	int amb;
	ck_assert_ptr_eq(nb_kernel_find("arange", &amb), nb_kernel_find("array.arange", &amb));
	ck_assert_str_eq(nb_kernel_find("arange", &amb)->name, "array.arange");
	ck_assert_ptr_null(nb_kernel_find("arang", &amb));
	ck_assert_int_eq(amb, 0);
	ck_assert_str_eq(nb_kernel_suggest("arang"), "arange");
	ck_assert_str_eq(nb_kernel_suggest("linspce"), "linspace");
	ck_assert_ptr_null(nb_kernel_suggest("qqqqqqq"));
}
END_TEST

START_TEST(describe_text)
{
	nb_buf b = NB_BUF_INIT;
	nb_kernel_describe(nb_kernel_find("arange", NULL), &b);
	const char *want =
		"arange (array.arange): evenly spaced values in [start, stop) (np.arange)\n"
		"\n"
		"Uses numpy's length ceil((stop - start)/step) and its element formula start + i*((start + step) - start), "
		"so the values match numpy's bit for bit. Integer arguments give an int64 array.\n"
		"\n"
		"parameters:\n"
		"  start  number  default 0         first value\n"
		"  stop   number  required          end of the interval (not included)\n"
		"  step   number  default 1         spacing between values\n"
		"\n"
		"outputs:\n"
		"  out       the array\n"
		"\n"
		"example:\n"
		"- arange: {start: 0, stop: 20, step: 0.01}\n"
		"  out: t_all\n";
	ck_assert_str_eq(nb_buf_str(&b), want);
	nb_buf_release(&b);
}
END_TEST

static Suite *registry_suite(void)
{
	Suite *s = suite_create("registry");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, sorted_and_unique);
	tcase_add_test(tc, schemas_complete);
	tcase_add_test(tc, lookup);
	tcase_add_test(tc, describe_text);
	suite_add_tcase(s, tc);
	return s;
}

NB_CHECK_MAIN(registry_suite)
