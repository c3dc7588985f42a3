/*
 * check_notebook.c - the loader: exact error texts and FILE:LINE:COL
 * positions for malformed notebooks, and the structure of valid ones.
 */
#include "notebook.h"
#include "testutil.h"

typedef struct bad {
	const char *src;
	const char *err; /* the whole formatted diagnostic */
} bad;

#define HEAD "nbrun: 1\ntitle: t\ncells:\n"

static const bad cases[] = {
	{"", "nb.yaml:1:1: error: the notebook is empty: expected a mapping with 'nbrun: 1', 'title' and 'cells'\n"},
	{"- a\n- b\n", "nb.yaml:1:1: error: a notebook must be a mapping with 'nbrun', 'title' and 'cells', found a list\n"},
	{"title: x\ncells: []\n", "nb.yaml:1:1: error: missing 'nbrun: 1' (the notebook format version)\n"},
	{"nbrun: 2\ncells: []\n", "nb.yaml:1:8: error: unsupported format version 2 (this nbrun reads version 1)\n"},
	{"nbrun: 1\ntitel: x\ncells: []\n", "nb.yaml:2:1: error: unknown key 'titel' in the notebook; did you mean 'title'?\n"},
	{"nbrun: 1\ntitle: x\n", "nb.yaml:1:1: error: missing 'cells' (the list of the notebook's cells)\n"},
	{"nbrun: 1\ncells: {a: 1}\n", "nb.yaml:2:8: error: 'cells' must be a list, found a mapping\n"},
	{"nbrun: 1\ncells:\n  - a: [1\n", "nb.yaml:4:1: error: invalid YAML: did not find expected ',' or ']'\n"
					      "nb.yaml:3:8: note: while parsing a flow sequence\n"},
	{"nbrun: 1\ncells:\n\t- md: x\n", "nb.yaml:3:1: error: tab character in indentation: YAML indents with spaces only\n"},
	{"nbrun: 1\nnbrun: 1\ncells: []\n", "nb.yaml:2:1: error: duplicate key 'nbrun'\n"
					    "nb.yaml:1:1: note: 'nbrun' was first given here\n"},
	{"nbrun: 1\ncells: []\n---\nnbrun: 1\n", "nb.yaml:3:1: error: a notebook is one YAML document, but a second one starts here\n"},
	{HEAD "  - arnage: {stop: 3}\n    out: a\n", "nb.yaml:4:5: error: unknown kernel 'arnage'; did you mean 'arange'?\n"},
	{HEAD "  - arange: {stop: 3, stpe: 1}\n    out: a\n", "nb.yaml:4:23: error: kernel 'arange' has no parameter 'stpe'; did you mean 'step'?\n"},
	{HEAD "  - arange: {start: 3}\n    out: a\n", "nb.yaml:4:5: error: kernel 'arange': missing required parameter 'stop' (number: end of the interval (not included))\n"},
	{HEAD "  - arange: {stop: [1, 2]}\n    out: a\n", "nb.yaml:4:20: error: kernel 'arange': parameter 'stop' must be a number, found a list\n"},
	{HEAD "  - linspace: {start: 0, stop: 1, num: 2.5}\n    out: a\n", "nb.yaml:4:40: error: kernel 'linspace': parameter 'num' must be an integer, found 2.5\n"},
	{HEAD "  - linspace: {start: 0, stop: 1, endpoint: yes}\n    out: a\n", "nb.yaml:4:45: error: kernel 'linspace': parameter 'endpoint' must be true or false, found a string\n"},
	{HEAD "  - meshgrid: {x: [1], y: [2], indexing: xz}\n    out: [a, b]\n", "nb.yaml:4:42: error: kernel 'meshgrid': parameter 'indexing' must be one of: xy ij; found 'xz' (did you mean 'xy'?)\n"},
	{HEAD "  - arange: {stop: 3}\n", "nb.yaml:4:5: error: kernel 'arange' returns a value: name it with 'out: NAME'\n"},
	{HEAD "  - meshgrid: {x: [1], y: [2]}\n    out: g\n", "nb.yaml:5:10: error: kernel 'meshgrid' returns 2 values (X, Y): give one name each as a list, or pick some with a mapping\n"},
	{HEAD "  - print: hi\n    out: g\n", "nb.yaml:5:10: error: kernel 'print' returns nothing, so 'out' has nothing to name\n"},
	{HEAD "  - let: {a: 1}\n  - print: \"{b}\"\n", "nb.yaml:5:14: error: undefined name 'b': no earlier cell binds it\n"},
	{HEAD "  - let: {alpha: 1}\n  - print: \"{alpah + 1}\"\n", "nb.yaml:5:14: error: undefined name 'alpah'; did you mean 'alpha'?\n"},
	{HEAD "  - let: {a: \"1 +\"}\n", "nb.yaml:4:18: error: expected a value, found the end of the expression\n"},
	{HEAD "  - let: {a: [[1, 2], [3]]}\n", "nb.yaml:4:23: error: ragged nested list: this list has 1 items but its siblings have 2\n"},
	{HEAD "  - let: {2a: 1}\n", "nb.yaml:4:11: error: '2a' is not a valid name: use letters, digits and '_', starting with a letter, and not a Python keyword\n"},
	{HEAD "  - id: ../x\n    md: hi\n", "nb.yaml:4:9: error: cell id '../x' is not a valid label: use at most 64 letters, digits, '-' and '_', starting with a letter or digit\n"},
	{HEAD "  - id: a\n    md: x\n  - id: a\n    md: y\n", "nb.yaml:6:9: error: duplicate cell id 'a'\nnb.yaml:4:5: note: cell 1 has the same id\n"},
	{HEAD "  - md: x\n    print: y\n", "nb.yaml:5:5: error: a cell is either prose ('md') or one kernel; this cell also has 'print'\n"},
	{HEAD "  - hide: true\n", "nb.yaml:4:5: error: cell 1 has neither 'md' nor a kernel\n"},
	{HEAD "  - 42\n", "nb.yaml:4:5: error: cell 1 must be a mapping (such as 'md: ...' or 'arange: {...}'), found a number\n"},
	{HEAD "  - print: \"{x\"\n", "nb.yaml:4:13: error: unclosed '{' in a format string (write '{{' for a literal brace)\n"},
	{HEAD "  - arange: 5\n    out: a\n", "nb.yaml:4:13: error: kernel 'arange' takes a mapping of parameters (start, stop, step), found a number\n"},
	{"nbrun: 1\nparams:\n  lr: {type: flot, default: 1}\ncells: []\n", "nb.yaml:3:14: error: unknown type 'flot'; did you mean 'float'?\n"},
	{"nbrun: 1\nparams:\n  n: {type: int, default: 1.5}\ncells: []\n", "nb.yaml:3:27: error: parameter 'n' is an int, but its default is 1.5\n"},
	{"nbrun: 1\noutput: {dpi: 5}\ncells: []\n", "nb.yaml:2:15: error: 'dpi' must be a number from 10 to 1200, found 5\n"},
	{"nbrun: 1\noutput: {formats: [png, gif]}\ncells: []\n", "nb.yaml:2:25: error: figure formats are png, pdf and svg, found gif\n"},
	{"nbrun: 1\ncells: [\xff]\n", "nb.yaml:2:9: error: invalid YAML: invalid leading UTF-8 octet (byte 0xFF); a notebook must be UTF-8 text\n"},
	{"nbrun: 1\ncells:\n  - let: {a: *nothing}\n", "nb.yaml:3:14: error: unknown alias '*nothing'\n"},
};

START_TEST(bad_notebooks)
{
	const bad *c = &cases[_i];
	nb_err e = NB_ERR_INIT;
	nb_notebook *nb = nb_notebook_load_string("nb.yaml", c->src, NULL, 0, &e);
	ck_assert_msg(nb == NULL, "case %d should fail", _i);
	nb_buf b = NB_BUF_INIT;
	nb_err_format(&e, &b);
	ck_assert_str_eq(nb_buf_str(&b), c->err);
	nb_buf_release(&b);
	nb_err_clear(&e);
}
END_TEST

START_TEST(deep_nesting)
{
	nb_buf src = NB_BUF_INIT;
	nb_buf_puts(&src, "nbrun: 1\ncells:\n  - let: {a: ");
	for (int i = 0; i < 100000; i++)
		nb_buf_putc(&src, '[');
	nb_err e = NB_ERR_INIT;
	nb_notebook *nb = nb_notebook_load_string("nb.yaml", nb_buf_str(&src), NULL, 0, &e);
	ck_assert_ptr_null(nb);
	ck_assert_str_eq(e.msg, "YAML nested too deeply: more than 64 levels");
	ck_assert_int_eq(e.loc.line, 3);
	nb_err_clear(&e);
	nb_buf_release(&src);
}
END_TEST

START_TEST(valid_structure)
{
	const char *src = "nbrun: 1\ntitle: Demo\nmetadata:\n  source: https://example.org/nb\n  authors: [A, B]\n"
			  "params:\n  lr: {type: float, default: 0.001, doc: learning rate}\n  n: 3\n"
			  "output: {formats: [svg], dpi: 200, figsize: [8, 6]}\n"
			  "cells:\n  - md: '# Hi'\n  - id: grid\n    arange: {stop: n}\n    out: t\n"
			  "  - print: \"{t} {lr}\"\n    hide: true\n";
	nb_override ov[] = {{"lr", "0.5"}};
	nb_err e = NB_ERR_INIT;
	nb_notebook *nb = nb_notebook_load_string("demo.yaml", src, ov, 1, &e);
	ck_assert_msg(nb != NULL, "%s", e.msg ? e.msg : "");
	ck_assert_str_eq(nb->title, "Demo");
	ck_assert_str_eq(nb->stem, "demo");
	ck_assert_str_eq(nb->source, "https://example.org/nb");
	ck_assert_uint_eq(nb->nauthors, 2);
	ck_assert_uint_eq(nb->ndecls, 2);
	ck_assert_int_eq(nb->decls[0].type, NB_D_FLOAT);
	ck_assert_double_eq(nb_f64p(nb->decls[0].value)[0], 0.5);
	ck_assert_int_eq(nb->decls[1].type, NB_D_INT);
	ck_assert_int_eq(nb->formats, NB_FMT_SVG);
	ck_assert_double_eq(nb->dpi, 200);
	ck_assert_uint_eq(nb->ncells, 3);
	ck_assert_str_eq(nb->cells[0].label, "cell-1");
	ck_assert_str_eq(nb->cells[1].label, "grid");
	ck_assert_str_eq(nb->cells[1].kernel->name, "array.arange");
	ck_assert_str_eq(nb->cells[1].outs[0], "t");
	ck_assert_int_eq(nb->cells[2].hide, 1);
	nb_notebook_free(nb);
}
END_TEST

typedef struct badset {
	const char *name, *value, *err;
} badset;

static const badset bad_sets[] = {
	{"lr", "fast", "demo.yaml: error: --set lr: parameter 'lr' is a float: expected a number, found 'fast'\n"},
	{"n", "2.5", "demo.yaml: error: --set n: parameter 'n' is an int: expected an integer, found '2.5'\n"},
	{"l", "1", "demo.yaml: error: --set l: the notebook declares no parameter 'l'; did you mean 'lr'?\n"},
};

START_TEST(bad_overrides)
{
	const char *src = "nbrun: 1\nparams:\n  lr: 0.1\n  n: 3\ncells: []\n";
	nb_override ov[] = {{bad_sets[_i].name, bad_sets[_i].value}};
	nb_err e = NB_ERR_INIT;
	nb_notebook *nb = nb_notebook_load_string("demo.yaml", src, ov, 1, &e);
	ck_assert_ptr_null(nb);
	nb_buf b = NB_BUF_INIT;
	e.loc.line = 0; /* the location of a --set error is the declaration; compare the text */
	nb_err_format(&e, &b);
	ck_assert_str_eq(nb_buf_str(&b), bad_sets[_i].err);
	nb_buf_release(&b);
	nb_err_clear(&e);
}
END_TEST

static Suite *notebook_suite(void)
{
	Suite *s = suite_create("notebook");
	TCase *tc = tcase_create("errors");
	tcase_add_loop_test(tc, bad_notebooks, 0, (int)NB_ARRAY_LEN(cases));
	tcase_add_test(tc, deep_nesting);
	tcase_add_loop_test(tc, bad_overrides, 0, (int)NB_ARRAY_LEN(bad_sets));
	suite_add_tcase(s, tc);
	tc = tcase_create("core");
	tcase_add_test(tc, valid_structure);
	suite_add_tcase(s, tc);
	return s;
}

NB_CHECK_MAIN(notebook_suite)
