/*
 * kernel.h - the kernel registry and the API a kernel is written against.
 *
 * A kernel is a C function plus a description: its name ("family.name"),
 * a one-line summary, a typed parameter schema and its outputs.  All
 * kernels are listed in one static table (cells/kernels.def, sorted by
 * name), which is the single source for lookup, validation, `nbrun
 * --list-kernels`, `nbrun --describe` and docs/kernels.md.
 *
 * The runner validates a cell's parameters against the schema when the
 * notebook is loaded (names, YAML types, choices) and evaluates them before
 * the call (expressions, runtime types), so a kernel body only reads
 * checked values:
 *
 *     static int k_arange(nb_call *c)
 *     {
 *             double start = nb_arg_num(c, "start"), ...;
 *             nb_err e = NB_ERR_INIT;
 *             nb_value *r = nb_arange(start, stop, step, 0, &e);
 *             if (!r)
 *                     return nb_fail_err(c, NULL, &e);
 *             return nb_out(c, 0, r);
 *     }
 *
 * Ownership: nb_arg() returns borrowed values; nb_out() takes the
 * reference it is given.  A kernel returns 0, or -1 after nb_fail*().
 */
#ifndef NB_KERNEL_H
#define NB_KERNEL_H

#include "expr.h"
#include "value.h"

typedef enum nb_ptype {
	NB_P_ARRAY,   /* an array: a YAML number or list, or an expression */
	NB_P_NUMBER,  /* one number (literal or expression) */
	NB_P_INT,     /* one integer (literal or expression) */
	NB_P_BOOL,    /* true or false */
	NB_P_STRING,  /* a literal string */
	NB_P_CHOICE,  /* one of the words in nb_param.choices */
	NB_P_SHAPE,   /* an integer or a list of integers (literal or expression) */
	NB_P_FORMAT,  /* a string with {expression[:spec]} fields */
	NB_P_EXPR,    /* an expression kept unevaluated, for kernels that evaluate it themselves */
	NB_P_ARRAYS,  /* a list of arrays */
	NB_P_VALUE,   /* any value: arrays and strings */
	NB_P_BINDINGS,/* a mapping NAME: array (literal or expression); choices = "local" (names seen only
	               * by this cell's expression parameters), "state" (names bound by earlier cells) or
	               * "bind" (seen by the expression parameters, and bound in the state by the kernel) or
	               * "frame" (seen by every other parameter of the cell, per frame) */
	NB_P_RENAME,  /* a mapping NAME: NEW_NAME; the new names are bound in the state by the kernel */
	NB_P_STRINGS, /* a list of literal strings (colour lists, ...) */
	NB_P_SUBS,    /* a list of sub-mappings checked against nb_param.subs: `- TAG: {params}` items
	               * when the schemas have tags, plain `- {params}` items for one untagged schema */
} nb_ptype;

/* Marks an optional parameter that has no default value. */
#define NB_OPTIONAL ((const char *)1)

struct nb_subschema;

typedef struct nb_param {
	const char *name;
	nb_ptype type;
	const char *dflt;    /* NULL: required; NB_OPTIONAL; or the default as YAML text */
	const char *doc;
	const char *choices; /* NB_P_CHOICE: space-separated words */
	const struct nb_subschema *subs; /* NB_P_SUBS: the schemas, ending with {NULL} (a single untagged one: tag "") */
} nb_param;

/* The schema of one kind of sub-mapping (a figure layer, an axes, ...). */
typedef struct nb_subschema {
	const char *tag;      /* the item's key ("plot"), or "" for untagged items */
	const nb_param *params;
	const char *summary;
} nb_subschema;

typedef struct nb_output {
	const char *name;
	const char *doc;
} nb_output;

enum {
	NB_K_VARARGS = 1 << 0, /* takes NAME: expression pairs of its own (let) */
	NB_K_PRIMARY = 1 << 1, /* its first parameter may be written without a mapping: `print: "..."` */
};

typedef struct nb_call nb_call;

typedef struct nb_kernel {
	const char *name;            /* "family.name" */
	const char *summary;         /* one line */
	const nb_param *params;      /* ends with {NULL} */
	const nb_output *outputs;    /* ends with {NULL} */
	unsigned flags;
	int (*fn)(nb_call *c);
	const char *doc;             /* a paragraph for --describe and docs/kernels.md, or NULL */
	const char *example;         /* a YAML cell, or NULL */
} nb_kernel;

/* ------------------------------------------------------------ registry */

size_t nb_kernel_count(void);
const nb_kernel *nb_kernel_at(size_t i);
/*
 * Find by full name ("array.arange") or short name ("arange").  Returns
 * NULL when unknown; *ambiguous is set when a short name matches several.
 */
const nb_kernel *nb_kernel_find(const char *name, int *ambiguous);
/* Closest kernel name to a misspelt one, or NULL. */
const char *nb_kernel_suggest(const char *name);
const char *nb_kernel_short(const nb_kernel *k); /* "arange" */
size_t nb_kernel_noutputs(const nb_kernel *k);
const nb_param *nb_kernel_param(const nb_kernel *k, const char *name);
const char *nb_ptype_name(nb_ptype t);

/* Text for --list-kernels, --describe and docs/kernels.md. */
void nb_kernel_list(nb_buf *b);
void nb_kernel_describe(const nb_kernel *k, nb_buf *b);
void nb_kernel_catalogue_md(nb_buf *b);

/* ------------------------------------------------- the kernel-side API */

const nb_value *nb_arg(nb_call *c, const char *name); /* NULL if optional and absent */
int nb_arg_given(nb_call *c, const char *name);
double nb_arg_num(nb_call *c, const char *name);
int64_t nb_arg_int(nb_call *c, const char *name);
int nb_arg_bool(nb_call *c, const char *name);
const char *nb_arg_str(nb_call *c, const char *name);   /* STRING, CHOICE, FORMAT (rendered) */
const nb_expr *nb_arg_expr(nb_call *c, const char *name);
/* NB_P_ARRAYS: the number of items and item i (borrowed). */
size_t nb_arg_count(nb_call *c, const char *name);
const nb_value *nb_arg_item(nb_call *c, const char *name, size_t i);
/* NB_P_SHAPE: the dimensions. */
int nb_arg_shape(nb_call *c, const char *name, size_t *shape);

/* Varargs kernels: the NAME: value pairs, evaluated one at a time. */
size_t nb_varg_count(nb_call *c);
const char *nb_varg_name(nb_call *c, size_t i);
nb_value *nb_varg_eval(nb_call *c, size_t i); /* new reference or NULL (error already set) */
void nb_bind(nb_call *c, const char *name, nb_value *v); /* takes the reference */

/* Evaluate an expression in the current state; errors are located at param. */
nb_value *nb_eval(nb_call *c, const nb_expr *x, const char *param);

/*
 * Local names for evaluation: values looked up before the state.  Kernels
 * that loop (map, iterate) bind loop variables this way.
 */
typedef struct nb_locals {
	size_t n;
	const char *const *names;
	nb_value *const *values;
} nb_locals;
nb_value *nb_eval_local(nb_call *c, const nb_expr *x, const char *param, const nb_locals *loc);
/* Make loc (or NULL: none) visible to parameters evaluated from now on:
 * sub-mapping items (nb_sub_get) and parameters fetched lazily.  The
 * figure kernel binds its frame variables this way. */
void nb_call_set_locals(nb_call *c, const nb_locals *loc);

/*
 * The Jacobian of the NB_P_EXPR parameter param with respect to the state
 * names wrt[0..n) (autodiff.h), with loc overriding state values.  out[i]
 * gets shape f.shape + wrt_i.shape; *fval (may be NULL) gets f.  Errors
 * are located in param's expression.
 */
int nb_call_jacobian(nb_call *c, const char *param, size_t n, const char *const *wrt, const nb_locals *loc,
		     nb_value **out, nb_value **fval);

/*
 * NB_P_SUBS: the items of a list of sub-mappings, and their parameters.
 * nb_sub_get() evaluates a parameter of an item (its default when absent;
 * *out = NULL for an absent optional one); it returns -1 after reporting an
 * error located at the item's YAML node.
 */
typedef struct nb_sub nb_sub;
size_t nb_arg_nsubs(nb_call *c, const char *param);
const nb_sub *nb_arg_sub(nb_call *c, const char *param, size_t i);
const char *nb_sub_tag(const nb_sub *s);
/* The cell's own parameters viewed as a sub-mapping (to share code with list items). */
const nb_sub *nb_arg_self(nb_call *c);
int nb_sub_given(const nb_sub *s, const char *name);
int nb_sub_get(nb_call *c, const nb_sub *s, const char *name, nb_value **out);
size_t nb_sub_nsubs(const nb_sub *s, const char *name);
const nb_sub *nb_sub_item(const nb_sub *s, const char *name, size_t i);
int nb_sub_fail(nb_call *c, const nb_sub *s, const char *name, const char *fmt, ...) NB_PRINTF(4, 5);
/* NB_P_STRINGS of an item: the number of strings; *out gets them (borrowed). */
size_t nb_sub_strings(const nb_sub *s, const char *name, const char *const **out);

/* NB_P_BINDINGS and NB_P_RENAME: the entries of the mapping, in order. */
size_t nb_arg_nbind(nb_call *c, const char *param);
const char *nb_arg_bind_key(nb_call *c, const char *param, size_t i);
/* Evaluate entry i's value (literal or expression) with loc (may be NULL). */
nb_value *nb_arg_bind_eval(nb_call *c, const char *param, size_t i, const nb_locals *loc);
/* NB_P_RENAME: the new name of entry i. */
const char *nb_arg_bind_target(nb_call *c, const char *param, size_t i);

/* The value bound to name in the state (borrowed), or NULL. */
const nb_value *nb_lookup(nb_call *c, const char *name);

/* Bind output i (in the kernel's outputs order); takes the reference. */
int nb_out(nb_call *c, size_t i, nb_value *v);
/* Append to the cell's printed output. */
void nb_printf(nb_call *c, const char *fmt, ...) NB_PRINTF(2, 3);
/* Report progress of a long kernel (fraction done, 0..1). */
void nb_progress(nb_call *c, double frac);

/*
 * Fail the cell.  param names the parameter at fault (its YAML node gives
 * the location) or is NULL for the cell as a whole.  Returns -1.
 */
int nb_fail(nb_call *c, const char *param, const char *fmt, ...) NB_PRINTF(3, 4);
/* Fail with an error produced by ops/value functions (takes over e). */
int nb_fail_err(nb_call *c, const char *param, nb_err *e);
/* A check failed: like nb_fail, but counted as a failed check. */
int nb_fail_check(nb_call *c, const char *fmt, ...) NB_PRINTF(2, 3);

/* The cell's label, for messages. */
const char *nb_call_cell(nb_call *c);

/*
 * Figures.  nb_call_figsize() gives the notebook's default size (inches)
 * and dpi.  nb_figure() writes f in the notebook's formats as
 * figures/<cell label>[-<suffix>].{png,pdf,svg} and lists it in the report
 * after the cell's output.  It takes f (and frees it, perhaps later: the
 * files may be written by a background thread).  -1 on an error it can see
 * at once.
 */
struct pl_figure;
void nb_call_figsize(nb_call *c, double *w, double *h, double *dpi);
int nb_figure(nb_call *c, struct pl_figure *f, const char *suffix, const char *alt);

/*
 * A figure drawn as n frames: nb_frames_add() writes each frame as
 * figures/<label>-frame-NNN.png and adds it to figures/<label>.gif (an
 * animation, seconds_per_frame each, looping) and to a contact sheet,
 * figures/<label>.png, a grid of the frames at half size.  The report shows
 * the animation, with the sheet beside it for print.  nb_frames_end()
 * finishes the files (always call it; it frees fr).  -1 on errors.
 */
typedef struct nb_frames nb_frames;
nb_frames *nb_frames_begin(nb_call *c, size_t n, double seconds_per_frame);
int nb_frames_add(nb_frames *fr, struct pl_figure *f);
int nb_frames_end(nb_frames *fr, int ok, const char *alt);

/* The notebook's random stream (numpy's legacy RandomState; random.h). */
struct nb_rng *nb_call_rng(nb_call *c);

#endif
