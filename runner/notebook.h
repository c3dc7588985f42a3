/*
 * notebook.h - a notebook as loaded and validated from YAML.
 *
 * nb_notebook_load() reads the file, checks it against the format
 * (docs/format.md) and every kernel cell against its kernel's schema,
 * parses every expression, and checks that every name a cell reads is
 * bound by an earlier cell or a declared parameter.  A notebook that loads
 * is structurally sound: what can still fail is computation (shapes,
 * values, checks), which the runner reports.
 *
 * The notebook owns everything it points to; nb_notebook_free() frees it.
 */
#ifndef NB_NOTEBOOK_H
#define NB_NOTEBOOK_H

#include "expr.h"
#include "kernel.h"
#include "value.h"
#include "yamltree.h"

/* A format string: literal text and {expression[!conv][:spec]} fields. */
typedef struct nb_fmtpart {
	char *text;      /* literal text, or NULL for a field */
	nb_expr *expr;
	char *spec;
	char conv;       /* 0, 'r' or 's' */
	size_t pos;      /* byte offset of the expression in the string */
} nb_fmtpart;

typedef enum nb_pvkind { NB_PV_LIT, NB_PV_EXPR, NB_PV_LIST, NB_PV_FMT, NB_PV_SUBS } nb_pvkind;

struct nb_argslot;

/* One parameter value as written. */
typedef struct nb_pval {
	nb_pvkind kind;
	const nb_ynode *node;
	nb_value *lit;          /* NB_PV_LIT */
	nb_expr *expr;          /* NB_PV_EXPR */
	struct nb_pval *items;  /* NB_PV_LIST */
	size_t n;
	char **keys;            /* mappings (NB_P_BINDINGS, NB_P_RENAME): the name of each item */
	const nb_ynode **keynodes;
	nb_fmtpart *parts;      /* NB_PV_FMT */
	size_t nparts;
	struct nb_sub *subs;    /* NB_PV_SUBS */
	size_t nsubs;
	const char **strs;      /* NB_P_STRINGS: the strings (pointing into items' literals) */
} nb_pval;

typedef struct nb_argslot {
	const nb_param *param;
	nb_pval *val;            /* NULL when not given */
	const nb_ynode *key;
} nb_argslot;

/* One item of an NB_P_SUBS parameter: a sub-mapping with its own schema. */
struct nb_sub {
	const nb_subschema *schema;
	const nb_ynode *node;
	nb_argslot *args;        /* one per schema parameter */
	size_t nargs;
};

typedef struct nb_varg {
	char *name;
	const nb_ynode *key;
	nb_pval val;
} nb_varg;

typedef enum nb_cellkind { NB_CELL_MD, NB_CELL_KERNEL } nb_cellkind;

typedef struct nb_cell {
	int index;               /* 1-based position */
	char *label;             /* id, or "cell-N" */
	int has_id;
	nb_loc loc;
	const nb_ynode *node;
	nb_cellkind kind;
	int hide;
	char *md;                /* markdown cells */
	const nb_kernel *kernel;
	const nb_ynode *kernel_node;
	nb_argslot *args;        /* one per schema parameter, in schema order */
	size_t nargs;
	nb_varg *vargs;
	size_t nvargs;
	char **outs;             /* state name per kernel output, NULL = not bound */
	nb_loc *out_locs;
	size_t nouts;
} nb_cell;

typedef enum nb_decltype { NB_D_INT, NB_D_FLOAT, NB_D_BOOL, NB_D_STR, NB_D_ARRAY } nb_decltype;

typedef struct nb_decl {
	char *name;
	nb_decltype type;
	char *doc;
	nb_loc loc;
	nb_value *value;          /* the default, replaced by --set */
} nb_decl;

enum { NB_FMT_PNG = 1, NB_FMT_PDF = 2, NB_FMT_SVG = 4 };

typedef struct nb_notebook {
	nb_ydoc *doc;
	char *path;
	char *stem;              /* file name without folder and .yaml */
	char *title;
	char *source, *licence, *date;
	char **authors;
	size_t nauthors;
	nb_decl *decls;
	size_t ndecls;
	unsigned formats;        /* NB_FMT_* */
	double dpi;
	double figsize[2];
	struct {
		int letter;          /* US Letter, else A4 */
		double margin_mm;    /* every side */
		double font_pt;      /* body text */
		int contents;        /* a table of contents after the title */
	} report;
	nb_cell *cells;
	size_t ncells;
} nb_notebook;

/* A --set NAME=VALUE override. */
typedef struct nb_override {
	const char *name;
	const char *value;
} nb_override;

/* Load and validate; NULL with e set (exit code 2) on any problem. */
nb_notebook *nb_notebook_load(const char *path, const nb_override *ov, size_t nov, nb_err *e);
/* The same from a string (for tests). */
nb_notebook *nb_notebook_load_string(const char *name, const char *src, const nb_override *ov, size_t nov,
				     nb_err *e);
void nb_notebook_free(nb_notebook *nb);

const char *nb_decltype_name(nb_decltype t);

#endif
