/*
 * run.c - the runner: evaluates parameters, calls kernels, binds results,
 * reports progress, and writes the outputs.
 */
#define _POSIX_C_SOURCE 200809L
#include "run.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cairo.h>

#include "autodiff.h"
#include "fmt.h"
#include "plot.h"
#include "plot_text.h"
#include "ops.h"

struct nb_call {
	nb_run *run;
	nb_cell *cell;
	nb_cellres *res;
	nb_value **argv;       /* per schema slot */
	nb_value ***items;     /* NB_P_ARRAYS */
	size_t *nitems;
	char **strs;           /* rendered strings */
	nb_value **outs;
	nb_err *e;
	nb_sub self;
	const nb_locals *locals; /* names seen by lazily evaluated parameters (figure frames) */
};

/* ------------------------------------------------------------ helpers */

static nb_loc pval_loc(const nb_pval *p, size_t off)
{
	return nb_yloc_at(p->node, off);
}

static int call_fail_at(nb_call *c, nb_loc loc, const char *param, const char *fmt, ...) NB_PRINTF(4, 5);
static int call_fail_at(nb_call *c, nb_loc loc, const char *param, const char *fmt, ...)
{
	nb_buf b = NB_BUF_INIT;
	nb_buf_printf(&b, "cell '%s': ", c->cell->label);
	if (param)
		nb_buf_printf(&b, "parameter '%s': ", param);
	va_list ap;
	va_start(ap, fmt);
	nb_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	nb_err_set(c->e, loc, "%s", nb_buf_str(&b));
	nb_buf_release(&b);
	return -1;
}

static size_t slot_index(nb_call *c, const char *name)
{
	for (size_t i = 0; i < c->cell->nargs; i++)
		if (!strcmp(c->cell->args[i].param->name, name))
			return i;
	NB_BUG("kernel asked for a parameter that is not in its schema");
}

static nb_loc slot_loc(nb_call *c, const char *param)
{
	if (!param)
		return c->cell->kernel_node ? c->cell->kernel_node->loc : c->cell->loc;
	for (size_t i = 0; i < c->cell->nargs; i++) {
		nb_argslot *s = &c->cell->args[i];
		if (!strcmp(s->param->name, param))
			return s->val ? s->val->node->loc : c->cell->kernel_node->loc;
	}
	for (size_t i = 0; i < c->cell->nvargs; i++)
		if (!strcmp(c->cell->vargs[i].name, param))
			return c->cell->vargs[i].val.node->loc;
	return c->cell->kernel_node->loc;
}

/* Lookup through local names first, then the state. */
typedef struct scope_ctx {
	const nb_locals *loc;
	const nb_state *state;
} scope_ctx;

static const nb_value *scope_lookup(void *ctx, const char *name)
{
	const scope_ctx *sc = ctx;
	if (sc->loc)
		for (size_t i = sc->loc->n; i > 0; i--)
			if (!strcmp(sc->loc->names[i - 1], name))
				return sc->loc->values[i - 1];
	return nb_state_get(sc->state, name);
}

static nb_value *eval_pval_in(nb_call *c, const nb_pval *p, const char *param, const nb_locals *loc);

/* Evaluate a parameter value to an nb_value (arrays and strings). */
static nb_value *eval_pval(nb_call *c, const nb_pval *p, const char *param)
{
	return eval_pval_in(c, p, param, c->locals);
}

void nb_call_set_locals(nb_call *c, const nb_locals *loc)
{
	c->locals = loc;
}

static nb_value *eval_pval_in(nb_call *c, const nb_pval *p, const char *param, const nb_locals *loc)
{
	scope_ctx sc = {loc, &c->run->state};
	switch (p->kind) {
	case NB_PV_LIT:
		return nb_ref(p->lit);
	case NB_PV_EXPR: {
		nb_err e = NB_ERR_INIT;
		size_t pos = 0;
		nb_value *v = nb_expr_eval(p->expr, scope_lookup, &sc, &pos, &e);
		if (!v) {
			call_fail_at(c, pval_loc(p, pos == (size_t)-1 ? 0 : pos), param, "%s", e.msg);
			nb_err_clear(&e);
		}
		return v;
	}
	case NB_PV_LIST: {
		if (p->n == 0) {
			size_t z = 0;
			return nb_array_new(NB_F64, 1, &z, NULL);
		}
		nb_value **items = nb_xcalloc(p->n, sizeof *items);
		nb_value *r = NULL;
		size_t i;
		for (i = 0; i < p->n; i++) {
			if (!(items[i] = eval_pval_in(c, &p->items[i], param, loc)))
				goto out;
			if (!nb_is_array(items[i])) {
				call_fail_at(c, p->items[i].node->loc, param, "a list holds numbers or arrays, not a string");
				i++;
				goto out;
			}
			if (i && (items[i]->ndim != items[0]->ndim ||
				  memcmp(items[i]->shape, items[0]->shape, (size_t)items[0]->ndim * sizeof(size_t)))) {
				nb_buf s0 = NB_BUF_INIT, s1 = NB_BUF_INIT;
				nb_shape_str(items[0]->ndim, items[0]->shape, &s0);
				nb_shape_str(items[i]->ndim, items[i]->shape, &s1);
				call_fail_at(c, p->items[i].node->loc, param,
					     "inhomogeneous list: item 0 has shape %s but item %zu has shape %s",
					     nb_buf_str(&s0), i, nb_buf_str(&s1));
				nb_buf_release(&s0);
				nb_buf_release(&s1);
				i++;
				goto out;
			}
		}
		nb_err e = NB_ERR_INIT;
		r = nb_stack(p->n, items, 0, &e);
		if (!r) {
			call_fail_at(c, p->node->loc, param, "%s", e.msg);
			nb_err_clear(&e);
		}
	out:
		for (size_t j = 0; j < i && j < p->n; j++)
			nb_unref(items[j]);
		free(items);
		return r;
	}
	case NB_PV_SUBS:
		call_fail_at(c, p->node->loc, param, "a list of items is not a value");
		return NULL;
	case NB_PV_FMT: {
		nb_buf b = NB_BUF_INIT;
		for (size_t i = 0; i < p->nparts; i++) {
			const nb_fmtpart *fp = &p->parts[i];
			if (fp->text) {
				nb_buf_puts(&b, fp->text);
				continue;
			}
			nb_err e = NB_ERR_INIT;
			size_t pos = 0;
			nb_value *v = nb_expr_eval(fp->expr, scope_lookup, &sc, &pos, &e);
			if (!v) {
				call_fail_at(c, pval_loc(p, fp->pos + (pos == (size_t)-1 ? 0 : pos)), param, "%s", e.msg);
				nb_err_clear(&e);
				nb_buf_release(&b);
				return NULL;
			}
			int rc;
			if (fp->conv == 'r' && v->kind == NB_STR) {
				nb_buf_printf(&b, "'%s'", v->str);
				rc = 0;
			} else {
				rc = nb_fmt_spec(v, fp->spec, &b, &e);
			}
			nb_unref(v);
			if (rc < 0) {
				call_fail_at(c, pval_loc(p, fp->pos), param, "%s", e.msg);
				nb_err_clear(&e);
				nb_buf_release(&b);
				return NULL;
			}
		}
		nb_value *s = nb_str(nb_buf_str(&b));
		nb_buf_release(&b);
		return s;
	}
	}
	return NULL;
}

static nb_value *default_value(const nb_param *p, nb_err *e)
{
	const char *d = p->dflt;
	switch (p->type) {
	case NB_P_STRING: case NB_P_CHOICE: case NB_P_FORMAT:
		return nb_str(d);
	case NB_P_BOOL:
		return nb_bool(!strcmp(d, "true"));
	default: {
		size_t pos;
		nb_expr *x = nb_expr_parse(d, &pos, e);
		if (!x)
			return NULL;
		nb_state empty = NB_STATE_INIT;
		nb_value *v = nb_expr_eval(x, nb_state_lookup, &empty, &pos, e);
		nb_expr_free(x);
		return v;
	}
	}
}

/* Check the runtime type of an evaluated parameter. */
static int check_type(nb_call *c, const nb_param *p, const nb_pval *pv, nb_value **vp)
{
	nb_value *v = *vp;
	nb_loc loc = pv ? pv->node->loc : c->cell->kernel_node->loc;
	nb_buf d = NB_BUF_INIT;
	nb_describe_value(v, &d);
	int rc = 0;
	switch (p->type) {
	case NB_P_ARRAY:
		if (!nb_is_array(v))
			rc = call_fail_at(c, loc, p->name, "expected an array, got %s", nb_buf_str(&d));
		break;
	case NB_P_NUMBER:
		if (!nb_is_array(v) || v->size != 1 || v->ndim > 0)
			rc = call_fail_at(c, loc, p->name, "expected a single number, got %s", nb_buf_str(&d));
		break;
	case NB_P_INT:
		if (!nb_is_array(v) || v->ndim > 0)
			rc = call_fail_at(c, loc, p->name, "expected an integer, got %s", nb_buf_str(&d));
		else if (v->dtype == NB_F64) {
			double x = nb_f64p(v)[0];
			if (x != floor(x) || fabs(x) > 9e15)
				rc = call_fail_at(c, loc, p->name, "expected an integer, got %s", nb_buf_str(&d));
			else {
				*vp = nb_i64((int64_t)x);
				nb_unref(v);
			}
		}
		break;
	case NB_P_SHAPE: {
		int nd;
		size_t shape[NB_MAXDIM];
		nb_err e = NB_ERR_INIT;
		if (nb_value_to_shape(v, &nd, shape, &e) < 0) {
			rc = call_fail_at(c, loc, p->name, "%s", e.msg);
			nb_err_clear(&e);
		}
		break;
	}
	default:
		break;
	}
	nb_buf_release(&d);
	return rc;
}

static int prepare_args(nb_call *c)
{
	nb_cell *cell = c->cell;
	for (size_t i = 0; i < cell->nargs; i++) {
		nb_argslot *s = &cell->args[i];
		const nb_param *p = s->param;
		/* these are read through their own accessors (nb_sub_strings, nb_arg_nsubs, ...) */
		if (p->type == NB_P_EXPR || p->type == NB_P_BINDINGS || p->type == NB_P_RENAME || p->type == NB_P_SUBS ||
		    p->type == NB_P_STRINGS)
			continue;
		if (p->type == NB_P_ARRAYS && s->val) {
			if (s->val->kind == NB_PV_LIST) {
				c->nitems[i] = s->val->n;
				c->items[i] = nb_xcalloc(s->val->n ? s->val->n : 1, sizeof(nb_value *));
				for (size_t k = 0; k < s->val->n; k++) {
					if (!(c->items[i][k] = eval_pval(c, &s->val->items[k], p->name)))
						return -1;
					if (!nb_is_array(c->items[i][k]))
						return call_fail_at(c, s->val->items[k].node->loc, p->name, "expected an array");
				}
			} else {
				nb_value *v = eval_pval(c, s->val, p->name);
				if (!v)
					return -1;
				if (!nb_is_array(v) || v->ndim == 0) {
					nb_unref(v);
					return call_fail_at(c, s->val->node->loc, p->name, "expected a list of arrays");
				}
				c->nitems[i] = v->shape[0];
				c->items[i] = nb_xcalloc(v->shape[0] ? v->shape[0] : 1, sizeof(nb_value *));
				for (size_t k = 0; k < v->shape[0]; k++) {
					nb_index ix = {.kind = NB_IDX_INT, .i = (int64_t)k};
					c->items[i][k] = nb_getindex(v, 1, &ix, NULL);
				}
				nb_unref(v);
			}
			continue;
		}
		nb_value *v;
		if (s->val) {
			v = eval_pval(c, s->val, p->name);
		} else if (p->dflt == NB_OPTIONAL) {
			continue;
		} else {
			nb_err e = NB_ERR_INIT;
			v = default_value(p, &e);
			if (!v) {
				call_fail_at(c, c->cell->kernel_node->loc, p->name, "bad default: %s", e.msg);
				nb_err_clear(&e);
			}
		}
		if (!v)
			return -1;
		if (check_type(c, p, s->val, &v) < 0) {
			nb_unref(v);
			return -1;
		}
		c->argv[i] = v;
		if (v->kind == NB_STR)
			c->strs[i] = v->str;
	}
	return 0;
}

/* ---------------------------------------------------- kernel-side API */

const nb_value *nb_arg(nb_call *c, const char *name)
{
	return c->argv[slot_index(c, name)];
}

int nb_arg_given(nb_call *c, const char *name)
{
	return c->cell->args[slot_index(c, name)].val != NULL;
}

double nb_arg_num(nb_call *c, const char *name)
{
	const nb_value *v = nb_arg(c, name);
	return v ? nb_get_f64(v, 0) : NAN;
}

int64_t nb_arg_int(nb_call *c, const char *name)
{
	const nb_value *v = nb_arg(c, name);
	return v ? nb_get_i64(v, 0) : 0;
}

int nb_arg_bool(nb_call *c, const char *name)
{
	const nb_value *v = nb_arg(c, name);
	return v ? nb_get_i64(v, 0) != 0 : 0;
}

const char *nb_arg_str(nb_call *c, const char *name)
{
	return c->strs[slot_index(c, name)];
}

const nb_expr *nb_arg_expr(nb_call *c, const char *name)
{
	nb_argslot *s = &c->cell->args[slot_index(c, name)];
	return s->val ? s->val->expr : NULL;
}

size_t nb_arg_count(nb_call *c, const char *name)
{
	return c->nitems[slot_index(c, name)];
}

const nb_value *nb_arg_item(nb_call *c, const char *name, size_t i)
{
	return c->items[slot_index(c, name)][i];
}

int nb_arg_shape(nb_call *c, const char *name, size_t *shape)
{
	const nb_value *v = nb_arg(c, name);
	int nd = 0;
	if (!v || nb_value_to_shape(v, &nd, shape, NULL) < 0)
		return 0;
	return nd;
}

size_t nb_varg_count(nb_call *c)
{
	return c->cell->nvargs;
}

const char *nb_varg_name(nb_call *c, size_t i)
{
	return c->cell->vargs[i].name;
}

nb_value *nb_varg_eval(nb_call *c, size_t i)
{
	return eval_pval(c, &c->cell->vargs[i].val, NULL);
}

const nb_value *nb_lookup(nb_call *c, const char *name)
{
	return nb_state_get(&c->run->state, name);
}

void nb_bind(nb_call *c, const char *name, nb_value *v)
{
	nb_state_put(&c->run->state, name, v, c->cell->label);
}

nb_value *nb_eval(nb_call *c, const nb_expr *x, const char *param)
{
	return nb_eval_local(c, x, param, NULL);
}

nb_value *nb_eval_local(nb_call *c, const nb_expr *x, const char *param, const nb_locals *loc)
{
	nb_err e = NB_ERR_INIT;
	size_t pos = 0;
	scope_ctx sc = {loc, &c->run->state};
	nb_value *v = nb_expr_eval(x, scope_lookup, &sc, &pos, &e);
	if (!v) {
		nb_loc where = slot_loc(c, param);
		for (size_t i = 0; i < c->cell->nargs; i++)
			if (param && !strcmp(c->cell->args[i].param->name, param) && c->cell->args[i].val)
				where = pval_loc(c->cell->args[i].val, pos == (size_t)-1 ? 0 : pos);
		call_fail_at(c, where, param, "%s", e.msg);
		nb_err_clear(&e);
	}
	return v;
}

int nb_call_jacobian(nb_call *c, const char *param, size_t n, const char *const *wrt, const nb_locals *loc,
		     nb_value **out, nb_value **fval)
{
	nb_err e = NB_ERR_INIT;
	size_t pos = 0;
	scope_ctx sc = {loc, &c->run->state};
	const nb_pval *pv = c->cell->args[slot_index(c, param)].val;
	if (nb_jacobian(pv->expr, scope_lookup, &sc, n, wrt, out, fval, &pos, &e) < 0) {
		call_fail_at(c, pval_loc(pv, pos == (size_t)-1 ? 0 : pos), param, "%s", e.msg);
		nb_err_clear(&e);
		return -1;
	}
	return 0;
}

size_t nb_arg_nsubs(nb_call *c, const char *param)
{
	const nb_pval *pv = c->cell->args[slot_index(c, param)].val;
	return pv && pv->kind == NB_PV_SUBS ? pv->nsubs : 0;
}

const nb_sub *nb_arg_sub(nb_call *c, const char *param, size_t i)
{
	return &c->cell->args[slot_index(c, param)].val->subs[i];
}

const char *nb_sub_tag(const nb_sub *s)
{
	return s->schema ? s->schema->tag : "";
}

const nb_sub *nb_arg_self(nb_call *c)
{
	c->self.schema = NULL;
	c->self.node = c->cell->node;
	c->self.args = c->cell->args;
	c->self.nargs = c->cell->nargs;
	return &c->self;
}

static const nb_argslot *sub_slot(const nb_sub *s, const char *name)
{
	for (size_t i = 0; i < s->nargs; i++)
		if (!strcmp(s->args[i].param->name, name))
			return &s->args[i];
	NB_BUG("a kernel asked for a sub-parameter that is not in its schema");
}

int nb_sub_given(const nb_sub *s, const char *name)
{
	return sub_slot(s, name)->val != NULL;
}

int nb_sub_get(nb_call *c, const nb_sub *s, const char *name, nb_value **out)
{
	const nb_argslot *sl = sub_slot(s, name);
	const nb_param *p = sl->param;
	nb_value *v;
	*out = NULL;
	if (p->type == NB_P_STRINGS || p->type == NB_P_SUBS)
		NB_BUG("nb_sub_get on a list parameter");
	if (sl->val) {
		v = eval_pval(c, sl->val, p->name);
	} else if (p->dflt == NB_OPTIONAL || !p->dflt) {
		return 0;
	} else {
		nb_err e = NB_ERR_INIT;
		v = default_value(p, &e);
		if (!v) {
			call_fail_at(c, s->node->loc, p->name, "bad default: %s", e.msg);
			nb_err_clear(&e);
		}
	}
	if (!v)
		return -1;
	if (check_type(c, p, sl->val, &v) < 0) {
		nb_unref(v);
		return -1;
	}
	*out = v;
	return 0;
}

size_t nb_sub_nsubs(const nb_sub *s, const char *name)
{
	const nb_argslot *sl = sub_slot(s, name);
	return sl->val && sl->val->kind == NB_PV_SUBS ? sl->val->nsubs : 0;
}

const nb_sub *nb_sub_item(const nb_sub *s, const char *name, size_t i)
{
	return &sub_slot(s, name)->val->subs[i];
}

size_t nb_sub_strings(const nb_sub *s, const char *name, const char *const **out)
{
	const nb_argslot *sl = sub_slot(s, name);
	if (!sl->val || !sl->val->strs) {
		*out = NULL;
		return 0;
	}
	*out = sl->val->strs;
	return sl->val->n;
}

int nb_sub_fail(nb_call *c, const nb_sub *s, const char *name, const char *fmt, ...)
{
	nb_loc at = s->node->loc;
	if (name) {
		const nb_argslot *sl = sub_slot(s, name);
		if (sl->val)
			at = sl->val->node->loc;
	}
	nb_buf b = NB_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	nb_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	call_fail_at(c, at, name, "%s", nb_buf_str(&b));
	nb_buf_release(&b);
	return -1;
}

static const nb_pval *bind_pval(nb_call *c, const char *param)
{
	const nb_pval *pv = c->cell->args[slot_index(c, param)].val;
	return pv && pv->keys ? pv : NULL;
}

size_t nb_arg_nbind(nb_call *c, const char *param)
{
	const nb_pval *pv = bind_pval(c, param);
	return pv ? pv->n : 0;
}

const char *nb_arg_bind_key(nb_call *c, const char *param, size_t i)
{
	return bind_pval(c, param)->keys[i];
}

nb_value *nb_arg_bind_eval(nb_call *c, const char *param, size_t i, const nb_locals *loc)
{
	return eval_pval_in(c, &bind_pval(c, param)->items[i], param, loc);
}

const char *nb_arg_bind_target(nb_call *c, const char *param, size_t i)
{
	return bind_pval(c, param)->items[i].lit->str;
}

int nb_out(nb_call *c, size_t i, nb_value *v)
{
	if (i >= c->cell->nouts)
		NB_BUG("kernel bound an output it does not declare");
	nb_unref(c->outs[i]);
	c->outs[i] = v;
	return 0;
}

void nb_printf(nb_call *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	nb_buf_vprintf(&c->res->text, fmt, ap);
	va_end(ap);
}

static void progress_line(nb_run *r, double frac);

void nb_progress(nb_call *c, double frac)
{
	progress_line(c->run, frac);
}

int nb_fail(nb_call *c, const char *param, const char *fmt, ...)
{
	nb_buf b = NB_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	nb_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	call_fail_at(c, slot_loc(c, param), param, "%s", nb_buf_str(&b));
	nb_buf_release(&b);
	return -1;
}

int nb_fail_err(nb_call *c, const char *param, nb_err *e)
{
	call_fail_at(c, slot_loc(c, param), param, "%s", e->msg ? e->msg : "failed");
	nb_err_clear(e);
	return -1;
}

int nb_fail_check(nb_call *c, const char *fmt, ...)
{
	nb_buf b = NB_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	nb_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	call_fail_at(c, slot_loc(c, NULL), NULL, "%s", nb_buf_str(&b));
	nb_buf_release(&b);
	c->res->check_failed = 1;
	return -1;
}

const char *nb_call_cell(nb_call *c)
{
	return c->cell->label;
}

void nb_call_figsize(nb_call *c, double *w, double *h, double *dpi)
{
	*w = c->run->nb->figsize[0];
	*h = c->run->nb->figsize[1];
	*dpi = c->run->nb->dpi;
}

static void *fonts_main(void *arg)
{
	(void)arg;
	pl_text_prepare();
	return NULL;
}

int nb_fonts_start(pthread_t *th)
{
	return pthread_create(th, NULL, fonts_main, NULL) == 0 ? 0 : -1;
}

/* ------------------------------------------------- the figure writer */

/*
 * Figure files are encoded and written by one background thread while the
 * cells go on and the reports are laid out: on two cores that hides most of
 * the time PNG, PDF and GIF encoding takes.  The queue keeps the order, and
 * every file's bytes depend only on its figure, so the outputs stay the
 * same.  With SVG among the formats everything is written at once instead:
 * cairo numbers SVG elements with a counter shared by the whole process,
 * which a second thread creating surfaces would disturb.
 */

/* An animation being written: touched only by whoever runs the jobs. */
typedef struct anim {
	char *gif, *gif_tmp, *sheet, *sheet_tmp, *frame_fmt; /* paths; frame_fmt takes the frame number */
	pl_gif *g;
	pl_png *png;              /* the contact sheet, written a row of frames at a time */
	cairo_surface_t **halves; /* the frames at half size, until their row is written */
	size_t n;
	int cols, rows, fw, fh, delay_cs, failed;
	int done_rows; /* the sheet's rows written */
	double dpi;
} anim;

enum { JOB_FIGURE, JOB_FRAME_PNG, JOB_FRAME, JOB_ANIM_END };

/*
 * A frame of an animation is two jobs: JOB_FRAME_PNG writes its PNG file and
 * prepares what the animation needs of it (its GIF palette and pixels, its
 * half-size copy for the contact sheet), which is most of the work and may
 * be done by either thread; JOB_FRAME, queued after it, adds those to the
 * GIF and the sheet, in frame order, on the writer thread.
 */
typedef struct job {
	int kind;
	pl_figure *f;                               /* JOB_FIGURE: the files of f */
	int keep;                                   /* f belongs to the report, not to the job */
	char *path[2];
	int (*write[2])(pl_figure *, const char *);
	anim *an;                                   /* JOB_FRAME, JOB_ANIM_END */
	cairo_surface_t *img, *prev;                /* JOB_FRAME_PNG: frame k's pixels, k - 1's */
	double dpi;                                 /* JOB_FRAME_PNG, written to path[0] */
	struct job *frame;                          /* JOB_FRAME_PNG: the JOB_FRAME it prepares */
	pl_gif_frame *q;                            /* JOB_FRAME: prepared, once ready */
	cairo_surface_t *half;
	int ready;
	size_t k;
	double cost;                                /* JOB_FIGURE: pl_figure_cost */
	struct job *next;
} job;

struct nb_writer {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* a job queued, a frame prepared, or the end */
	job *head, *tail;
	int closing;
	nb_buf errors; /* one "cannot write ..." line per failure */
};

/* Write one file under a temporary name, save(tmp, arg), and rename it; -1 with errno. */
static int write_via_tmp(const char *path, int (*save)(const char *tmp, void *arg), void *arg)
{
	char *tmp = nb_xasprintf("%s.tmp%ld", path, (long)getpid());
	int rc = save(tmp, arg);
	if (rc == 0 && nb_rename_over(tmp, path) != 0)
		rc = -1;
	int e = errno;
	if (rc < 0)
		remove(tmp);
	free(tmp);
	errno = e;
	return rc;
}

typedef struct figure_file {
	int (*write)(pl_figure *, const char *);
	pl_figure *f;
} figure_file;

static int save_figure(const char *tmp, void *arg)
{
	figure_file *ff = arg;
	return ff->write(ff->f, tmp);
}

static int write_figure_file(const char *path, int (*write)(pl_figure *, const char *), pl_figure *f)
{
	return write_via_tmp(path, save_figure, &(figure_file){write, f});
}

typedef struct png_file {
	cairo_surface_t *img;
	double dpi;
} png_file;

static int save_png(const char *tmp, void *arg)
{
	png_file *pf = arg;
	return pl_save_png(pf->img, tmp, pf->dpi);
}

static void anim_free(anim *an)
{
	if (an->g)
		pl_gif_close(an->g);
	if (an->gif_tmp)
		remove(an->gif_tmp);
	if (an->png)
		pl_png_close(an->png);
	if (an->sheet_tmp)
		remove(an->sheet_tmp);
	for (size_t k = 0; k < an->n; k++)
		if (an->halves[k])
			cairo_surface_destroy(an->halves[k]);
	free(an->halves);
	free(an->gif);
	free(an->gif_tmp);
	free(an->sheet);
	free(an->sheet_tmp);
	free(an->frame_fmt);
	free(an);
}

/* A frame at half size for the contact sheet. */
static cairo_surface_t *half_size(cairo_surface_t *img)
{
	int w = cairo_image_surface_get_width(img), h = cairo_image_surface_get_height(img);
	cairo_surface_t *half = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, (w + 1) / 2, (h + 1) / 2);
	cairo_t *cr = cairo_create(half);
	cairo_scale(cr, 0.5, 0.5);
	cairo_set_source_surface(cr, img, 0, 0);
	cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_GOOD);
	cairo_paint(cr);
	cairo_destroy(cr);
	cairo_surface_flush(half); /* its pixels are read directly (sheet_row) */
	return half;
}

/*
 * The contact sheet's row y: white, and the frames at half size row by row, 8 px apart (a
 * frame of odd size reaches a pixel into the gap after it), composited as cairo's OVER would
 * (the halves' edges are partly transparent).  Composed as the PNG is written, from the
 * halves of the row of frames that y crosses: the sheet as an image, or every frame's half
 * kept to the end, is megabytes of fresh memory, slow to come by on a virtual machine.
 */
static int sheet_width(const anim *an)
{
	return an->cols * (an->fw / 2) + (an->cols + 1) * 8;
}

static int sheet_height(const anim *an)
{
	return an->rows * (an->fh / 2) + (an->rows + 1) * 8;
}

static void sheet_row(void *arg, int y, unsigned char *rgb)
{
	const anim *an = arg;
	memset(rgb, 255, 3 * (size_t)sheet_width(an));
	for (size_t k = 0; k < an->n; k++) {
		cairo_surface_t *h = an->halves[k];
		if (!h)
			continue;
		int col = (int)(k % (size_t)an->cols), row = (int)(k / (size_t)an->cols);
		int x0 = 8 + col * (an->fw / 2 + 8), hy = y - (8 + row * (an->fh / 2 + 8));
		if (hy < 0 || hy >= cairo_image_surface_get_height(h))
			continue;
		const uint32_t *src = (const uint32_t *)(cairo_image_surface_get_data(h) +
							 (size_t)hy * (size_t)cairo_image_surface_get_stride(h));
		unsigned char *out = rgb + 3 * (size_t)x0;
		int hw = cairo_image_surface_get_width(h);
		for (int x = 0; x < hw;) {
			int e = x;
			while (e < hw && src[e] >> 24 == 255)
				e++;
			pl_rgb_of_xrgb(out + 3 * (size_t)x, src + x, e - x); /* opaque pixels as they are */
			for (; e < hw && src[e] >> 24 != 255; e++) {
				/* pixman's OVER onto the white sheet (frames do not overlap): the
				 * premultiplied source + 255 x (1 - alpha), rounded as pixman does */
				uint32_t p = src[e], ia = 255 - (p >> 24);
				uint32_t t = 255 * ia + 0x80, white = (t + (t >> 8)) >> 8;
				uint32_t r = (p >> 16 & 0xff) + white, g = (p >> 8 & 0xff) + white, b = (p & 0xff) + white;
				out[3 * e] = (unsigned char)(r > 255 ? 255 : r);
				out[3 * e + 1] = (unsigned char)(g > 255 ? 255 : g);
				out[3 * e + 2] = (unsigned char)(b > 255 ? 255 : b);
			}
			x = e;
		}
	}
}

/* The sheet's rows down to the end of the row of frames that ends with frame k (all of them
 * after the last frame), and those frames' halves freed; 0, or -1 with errno. */
static int sheet_rows_to(anim *an, size_t k)
{
	int band = (int)(k / (size_t)an->cols), h = sheet_height(an);
	int y1 = k + 1 >= an->n ? h : 8 + (band + 1) * (an->fh / 2 + 8);
	if (pl_png_put(an->png, y1 - an->done_rows, sheet_row, an) < 0)
		return -1;
	an->done_rows = y1;
	for (size_t i = (size_t)band * (size_t)an->cols; i <= k; i++)
		if (an->halves[i]) {
			cairo_surface_destroy(an->halves[i]);
			an->halves[i] = NULL;
		}
	return 0;
}

/*
 * Frame k's place in the animation and on the contact sheet, from what its JOB_FRAME_PNG
 * prepared (q NULL: giflib could not quantise it), in frame order.  The sheet is written as
 * its rows of frames fill, so that only a row's halves are kept (16 frames' halves are
 * 11 MiB).
 */
static void frame_job(anim *an, const pl_gif_frame *q, cairo_surface_t *half, size_t k, nb_buf *err)
{
	if (an->failed)
		return;
	if (k == 0) {
		an->g = pl_gif_open(an->gif_tmp, an->fw, an->fh);
		if (!an->g) {
			nb_buf_printf(err, "cannot write '%s': %s\n", an->gif_tmp, strerror(errno));
			an->failed = 1;
			return;
		}
		an->png = pl_png_open(an->sheet_tmp, sheet_width(an), sheet_height(an), an->dpi);
		if (!an->png) {
			nb_buf_printf(err, "cannot write '%s': %s\n", an->sheet_tmp, strerror(errno));
			an->failed = 1;
			return;
		}
	}
	if (pl_gif_put(an->g, q, an->delay_cs) < 0) {
		nb_buf_printf(err, "cannot write the animation '%s'\n", an->gif);
		an->failed = 1;
		return;
	}
	if (k >= an->n)
		return;
	if (half)
		an->halves[k] = cairo_surface_reference(half);
	if (((k + 1) % (size_t)an->cols == 0 || k + 1 == an->n) && sheet_rows_to(an, k) < 0) {
		nb_buf_printf(err, "cannot write '%s': %s\n", an->sheet_tmp, strerror(errno));
		an->failed = 1;
	}
}

/* The animation's end: close the GIF and the sheet (its rows after the last frame added, if
 * fewer than announced, white).  Frees an. */
static void anim_end_job(anim *an, nb_buf *err)
{
	if (!an->failed && an->g) {
		int rc = pl_gif_close(an->g);
		an->g = NULL;
		if (rc < 0 || nb_rename_over(an->gif_tmp, an->gif) != 0) {
			nb_buf_printf(err, "cannot write '%s': %s\n", an->gif, strerror(errno));
		} else {
			rc = an->done_rows < sheet_height(an) ? sheet_rows_to(an, an->n - 1) : 0;
			pl_png *png = an->png;
			an->png = NULL;
			if (pl_png_close(png) < 0 || rc < 0 || nb_rename_over(an->sheet_tmp, an->sheet) != 0)
				nb_buf_printf(err, "cannot write '%s': %s\n", an->sheet, strerror(errno));
		}
	}
	anim_free(an);
}

/* Hand frame j what its JOB_FRAME_PNG prepared (w NULL: no writer thread). */
static void frame_ready(struct nb_writer *w, job *j, pl_gif_frame *q, cairo_surface_t *half)
{
	if (w)
		pthread_mutex_lock(&w->mu);
	j->q = q;
	j->half = half;
	j->ready = 1;
	if (w) {
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
	}
}

/* Do a job and free it (w: the writer whose queue it came from, or NULL); failures are
 * appended to err. */
static void run_job(struct nb_writer *w, job *j, nb_buf *err)
{
	switch (j->kind) {
	case JOB_FIGURE:
		for (int k = 0; k < 2 && j->path[k]; k++)
			if (write_figure_file(j->path[k], j->write[k], j->f) < 0 && !err->len)
				nb_buf_printf(err, "cannot write '%s': %s\n", j->path[k], strerror(errno));
		if (!j->keep)
			pl_figure_free(j->f);
		free(j->path[0]);
		free(j->path[1]);
		break;
	case JOB_FRAME_PNG: {
		/* the frame before this one first, so that its pixels go as soon as they can */
		pl_gif_frame *q = j->frame ? pl_gif_quantize(j->img, j->prev) : NULL;
		if (j->prev)
			cairo_surface_destroy(j->prev);
		if (j->frame)
			frame_ready(w, j->frame, q, half_size(j->img));
		if (write_via_tmp(j->path[0], save_png, &(png_file){j->img, j->dpi}) < 0)
			nb_buf_printf(err, "cannot write '%s': %s\n", j->path[0], strerror(errno));
		cairo_surface_destroy(j->img);
		free(j->path[0]);
		break;
	}
	case JOB_FRAME:
		frame_job(j->an, j->q, j->half, j->k, err);
		pl_gif_frame_free(j->q);
		if (j->half)
			cairo_surface_destroy(j->half);
		break;
	case JOB_ANIM_END:
		anim_end_job(j->an, err);
		break;
	}
	free(j);
}

/* Take job j, which follows prev (NULL: j is the head), off the queue. */
static job *unlink_job(struct nb_writer *w, job *prev, job *j)
{
	if (prev)
		prev->next = j->next;
	else
		w->head = j->next;
	if (w->tail == j)
		w->tail = prev;
	return j;
}

/*
 * Figure files are independent of each other and written in any order: of
 * those queued, the one with the most drawing to do is taken first (the
 * longest-job-first rule, which for two workers leaves the least work for
 * one alone at the end).  A figure with a contour plot of 256 levels can
 * take half the time the rest of a notebook's figures do; queued behind
 * them, it was the end of the run.  Its predecessor in *prev.
 */
static job *costliest_figure(struct nb_writer *w, job **prev)
{
	job *best = NULL;
	for (job *p = NULL, *j = w->head; j; p = j, j = j->next)
		if (j->kind == JOB_FIGURE && (!best || j->cost > best->cost)) {
			best = j;
			*prev = p;
		}
	return best;
}

/*
 * The writer's next job: the first in the queue (the costliest figure when
 * that is a figure), unless it is a frame whose preparation the other
 * thread is still doing; then the first figure or frame PNG after it
 * (independent of the frames' order, which is kept), so that the writer
 * works on rather than waits.  NULL if none can run now.
 */
static job *next_job(struct nb_writer *w)
{
	job *head = w->head, *prev = NULL;
	if (head && head->kind == JOB_FIGURE) {
		job *j = costliest_figure(w, &prev);
		return unlink_job(w, prev, j);
	}
	if (!head || head->kind != JOB_FRAME || head->ready)
		return head ? unlink_job(w, NULL, head) : NULL;
	for (job *p = head, *j = head->next; j; p = j, j = j->next)
		if (j->kind == JOB_FIGURE || j->kind == JOB_FRAME_PNG)
			return unlink_job(w, p, j);
	return NULL;
}

/* Run a job taken off the queue (the lock held on entry and on return). */
static void run_unlocked(struct nb_writer *w, job *j)
{
	pthread_mutex_unlock(&w->mu);
	nb_buf err = NB_BUF_INIT;
	run_job(w, j, &err);
	pthread_mutex_lock(&w->mu);
	if (err.len)
		nb_buf_add(&w->errors, err.s, err.len);
	nb_buf_release(&err);
}

/*
 * The writer's heap.  glibc gives a thread that allocates a heap of its own
 * (an arena), grown as it is used and faulted in 4 KiB at a time, where the
 * main heap is set up for transparent huge pages (main.c); the writer draws
 * and compresses figures of megabytes, and on the virtual machines nbrun is
 * measured on each 4 KiB fault costs some 10 us.  So the writer's arena is
 * grown by WRITER_HEAP at once (a block that size allocated and freed, which
 * glibc keeps: see M_TRIM_THRESHOLD in main.c) and that range marked for
 * huge pages; the memory still comes only as it is touched, 2 MiB at a time.
 * Measured: gradient_flow's CPU time -22%, wall time -4 to -9% on the three
 * notebooks with figures, peak memory +0.5 MiB.  The arena's first 2 MiB,
 * where glibc keeps its own records, cannot be a huge page; nb_huge_heap
 * keeps the writer's blocks off it (500 faults fewer on
 * gradient_descent_animation).
 */
#define WRITER_HEAP ((size_t)16 << 20)

static void *writer_pad; /* see nb_huge_heap; kept for the life of the process */

static void writer_heap(void)
{
	void *volatile p = malloc(WRITER_HEAP); /* volatile: the pair is not optimised away */
	uintptr_t top = (uintptr_t)p;
	free(p);
	if (top && !writer_pad)
		writer_pad = nb_huge_heap(top, top, WRITER_HEAP);
}

static void *writer_main(void *arg)
{
	struct nb_writer *w = arg;
	writer_heap();
	pthread_mutex_lock(&w->mu);
	for (;;) {
		job *j;
		while (!(j = next_job(w)) && !(w->closing && !w->head))
			pthread_cond_wait(&w->cv, &w->mu);
		if (!j)
			break;
		run_unlocked(w, j);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/*
 * Hand a job to the writer thread (started at the first job), or, with SVG
 * output or no thread to be had, do it now and report a failure on the cell.
 */
static int submit(nb_call *c, job *j)
{
	nb_run *r = c->run;
	unsigned fmts = r->opts->formats ? r->opts->formats : r->nb->formats;
	struct nb_writer *w = r->writer;
	if (!w && !(fmts & NB_FMT_SVG)) {
		w = nb_xcalloc(1, sizeof *w);
		pthread_mutex_init(&w->mu, NULL);
		pthread_cond_init(&w->cv, NULL);
		if (pthread_create(&w->th, NULL, writer_main, w) == 0) {
			r->writer = w;
		} else {
			pthread_cond_destroy(&w->cv);
			pthread_mutex_destroy(&w->mu);
			free(w);
			w = NULL;
		}
	}
	if (!w) {
		nb_buf err = NB_BUF_INIT;
		run_job(NULL, j, &err);
		int rc = 0;
		if (err.len) {
			while (err.len && err.s[err.len - 1] == '\n')
				err.s[--err.len] = '\0';
			rc = nb_fail(c, NULL, "%s", err.s);
		}
		nb_buf_release(&err);
		return rc;
	}
	pthread_mutex_lock(&w->mu);
	if (w->tail)
		w->tail->next = j;
	else
		w->head = j;
	w->tail = j;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

/*
 * Frames waiting for their PNG jobs hold their pixels (megabytes each), and
 * fresh memory is slow to come by (the kernel clears every page, and on a
 * virtual machine the host may have to supply it): rather than draw frame
 * after frame while the writer falls behind, the drawing thread does the
 * oldest waiting frame's PNG job itself while more than ahead wait, so that
 * the frames' memory is freed and used again.  One ahead rather than two:
 * at most 4 frames' pixels alive instead of 5 on gradient_descent_animation,
 * -2 MiB peak, -8% wall time when its memory comes cold from the host (a
 * run that follows no other), the same when it does not.
 */
#define FRAMES_AHEAD 1
static void help_with_frames(struct nb_writer *w, int ahead)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		job *prev = NULL, *first = NULL, *first_prev = NULL;
		int n = 0;
		for (job *j = w->head; j; prev = j, j = j->next)
			if (j->kind == JOB_FRAME_PNG && n++ == 0) {
				first = j;
				first_prev = prev;
			}
		if (n <= ahead)
			break;
		run_unlocked(w, unlink_job(w, first_prev, first));
	}
	pthread_mutex_unlock(&w->mu);
}

void nb_run_wait_writer(nb_run *r)
{
	struct nb_writer *w = r->writer;
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	/* rather than wait, help: take figures and frames' PNG files (independent of each other;
	 * the steps that build an animation stay with the writer, which runs them in order) */
	for (;;) {
		job *prev = NULL, *j = costliest_figure(w, &prev);
		if (!j) /* no figure: the first frame PNG */
			for (j = w->head; j && j->kind != JOB_FRAME_PNG; prev = j, j = j->next)
				;
		if (!j)
			break;
		run_unlocked(w, unlink_job(w, prev, j));
	}
	w->closing = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->th, NULL);
	if (w->errors.len)
		nb_buf_add(&r->writer_errors, w->errors.s, w->errors.len);
	nb_buf_release(&w->errors);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
	r->writer = NULL;
}

int nb_figure(nb_call *c, struct pl_figure *f, const char *suffix, const char *alt)
{
	nb_run *r = c->run;
	nb_cellres *res = c->res;
	unsigned fmts = r->opts->formats ? r->opts->formats : r->nb->formats;
	char *name = suffix && *suffix ? nb_xasprintf("%s-%s", c->cell->label, suffix) : nb_xstrdup(c->cell->label);
	for (size_t i = 0; i < res->nfigs; i++)
		if (!strcmp(res->figs[i].name, name)) {
			free(name);
			pl_figure_free(f);
			return nb_fail(c, NULL, "the cell draws two figures named '%s'", res->figs[i].name);
		}
	res->figs = nb_xrealloc(res->figs, (res->nfigs + 1) * sizeof *res->figs);
	nb_figref *fr = &res->figs[res->nfigs++];
	memset(fr, 0, sizeof *fr);
	fr->name = name;
	fr->alt = nb_xstrdup(alt && *alt ? alt : name);
	if (!r->dir) { /* a run without an output folder (tests): nothing to write */
		pl_figure_free(f);
		return 0;
	}
	char *dir = nb_xasprintf("%s/figures", r->dir);
	int mk = nb_mkdirs(dir);
	free(dir);
	if (mk < 0) {
		pl_figure_free(f);
		return nb_fail(c, NULL, "cannot create '%s/figures': %s", r->dir, strerror(errno));
	}
	/* for the PDF report: with a PDF file, the figure's size (before the writer draws it; its
	 * drawing is copied from the file), else its drawing, recorded */
	if (fmts & NB_FMT_PDF) {
		pl_figure_size(f, &fr->w, &fr->h);
	} else {
		fr->rec = nb_xmalloc(sizeof *fr->rec);
		fr->rec[0] = pl_figure_record(f, &fr->w, &fr->h);
		fr->nrec = 1;
	}
	if (fmts & NB_FMT_SVG) {
		fr->svg = nb_xasprintf("figures/%s.svg", name);
		char *path = nb_xasprintf("%s/%s", r->dir, fr->svg);
		int rc = write_figure_file(path, pl_write_svg, f);
		if (rc < 0)
			nb_fail(c, NULL, "cannot write '%s': %s", path, strerror(errno));
		free(path);
		if (rc < 0) {
			pl_figure_free(f);
			return -1;
		}
	}
	job *j = nb_xcalloc(1, sizeof *j);
	j->kind = JOB_FIGURE;
	j->f = f;
	j->cost = pl_figure_cost(f);
	int n = 0;
	if (fmts & NB_FMT_PNG) {
		fr->png = nb_xasprintf("figures/%s.png", name);
		j->path[n] = nb_xasprintf("%s/%s", r->dir, fr->png);
		j->write[n++] = pl_write_png;
	}
	if (fmts & NB_FMT_PDF) {
		fr->pdf = nb_xasprintf("figures/%s.pdf", name);
		j->path[n] = nb_xasprintf("%s/%s", r->dir, fr->pdf);
		j->write[n++] = pl_write_pdf;
		fr->fig = f; /* the report's, once the job has drawn it */
		j->keep = 1;
	}
	return submit(c, j);
}

/* --------------------------------------------------------------- frames */

struct nb_frames {
	nb_call *c;
	size_t n, k;
	int failed;
	anim *an;                /* the files, written by the writer (NULL: no output folder) */
	cairo_surface_t **rec;   /* each frame's drawing, for the PDF report */
	cairo_surface_t *last;   /* the last frame's pixels (the GIF codes what changed since) */
	double rw, rh;
	int fw, fh;              /* frame size in pixels */
};

nb_frames *nb_frames_begin(nb_call *c, size_t n, double seconds_per_frame)
{
	nb_frames *fr = nb_xcalloc(1, sizeof *fr);
	fr->c = c;
	fr->n = n;
	if (!c->run->dir)
		return fr;
	char *dir = nb_xasprintf("%s/figures", c->run->dir);
	if (nb_mkdirs(dir) < 0) {
		nb_fail(c, NULL, "cannot create '%s': %s", dir, strerror(errno));
		fr->failed = 1;
		free(dir);
		return fr;
	}
	anim *an = nb_xcalloc(1, sizeof *an);
	const char *label = c->cell->label;
	an->gif = nb_xasprintf("%s/%s.gif", dir, label);
	an->gif_tmp = nb_xasprintf("%s/%s.gif.tmp%ld", dir, label, (long)getpid());
	an->sheet = nb_xasprintf("%s/%s.png", dir, label);
	an->sheet_tmp = nb_xasprintf("%s/%s.png.tmp%ld", dir, label, (long)getpid());
	an->frame_fmt = nb_xasprintf("%s/%s-frame-%%03zu.png", dir, label);
	long d = lrint(seconds_per_frame * 100);
	an->delay_cs = d < 2 ? 2 : d > 65535 ? 65535 : (int)d;
	an->cols = n < 3 ? (int)n : 3;
	an->rows = (int)((n + (size_t)an->cols - 1) / (size_t)an->cols);
	an->n = n;
	an->halves = nb_xcalloc(n ? n : 1, sizeof *an->halves);
	fr->an = an;
	free(dir);
	return fr;
}

int nb_frames_add(nb_frames *fr, struct pl_figure *f)
{
	if (fr->failed)
		return -1;
	if (!fr->an) {
		fr->k++;
		return 0;
	}
	nb_call *c = fr->c;
	cairo_surface_t *img = pl_render_image(f);
	int w = cairo_image_surface_get_width(img), h = cairo_image_surface_get_height(img);
	if (fr->k == 0) {
		fr->fw = fr->an->fw = w;
		fr->fh = fr->an->fh = h;
		fr->an->dpi = pl_figure_dpi(f);
	} else if (w != fr->fw || h != fr->fh) {
		cairo_surface_destroy(img);
		fr->failed = 1;
		return nb_fail(c, NULL, "frame %zu is %d×%d pixels but frame 0 is %d×%d: frames need one size (tight "
			       "cropping follows each frame's drawing; use layout: tight alone)", fr->k, w, h, fr->fw, fr->fh);
	}
	fr->rec = nb_xrealloc(fr->rec, (fr->k + 1) * sizeof *fr->rec);
	fr->rec[fr->k] = pl_figure_record(f, &fr->rw, &fr->rh);
	job *p = nb_xcalloc(1, sizeof *p);
	job *j = nb_xcalloc(1, sizeof *j);
	p->kind = JOB_FRAME_PNG;
	p->path[0] = nb_xasprintf(fr->an->frame_fmt, fr->k);
	p->img = img;
	p->prev = fr->last;
	fr->last = cairo_surface_reference(img);
	p->dpi = fr->an->dpi;
	p->frame = j;
	j->kind = JOB_FRAME;
	j->an = fr->an;
	j->k = fr->k++;
	int rp = submit(c, p), rj = submit(c, j); /* both, so that both are freed */
	if (rp < 0 || rj < 0) {
		fr->failed = 1;
		return -1;
	}
	help_with_frames(c->run->writer, FRAMES_AHEAD);
	return 0;
}

int nb_frames_end(nb_frames *fr, int ok, const char *alt)
{
	nb_call *c = fr->c;
	int rc = ok && !fr->failed ? 0 : -1;
	if (fr->an) {
		if (rc == 0 && fr->k > 0) {
			job *j = nb_xcalloc(1, sizeof *j);
			j->kind = JOB_ANIM_END;
			j->an = fr->an;
			rc = submit(c, j);
		} else if (c->run->writer) {
			/* the frames already queued still use it: let the writer free it after them */
			job *j = nb_xcalloc(1, sizeof *j);
			j->kind = JOB_ANIM_END;
			j->an = fr->an;
			fr->an->failed = 1;
			submit(c, j);
		} else {
			anim_free(fr->an);
		}
	}
	if (rc == 0) {
		nb_cellres *res = c->res;
		res->figs = nb_xrealloc(res->figs, (res->nfigs + 1) * sizeof *res->figs);
		nb_figref *f = &res->figs[res->nfigs++];
		memset(f, 0, sizeof *f);
		f->name = nb_xstrdup(c->cell->label);
		f->alt = nb_xstrdup(alt && *alt ? alt : c->cell->label);
		if (fr->an && fr->k > 0) {
			f->anim = nb_xasprintf("figures/%s.gif", c->cell->label);
			f->png = nb_xasprintf("figures/%s.png", c->cell->label);
			f->rec = fr->rec;
			f->nrec = fr->k;
			f->w = fr->rw;
			f->h = fr->rh;
			fr->rec = NULL;
		}
	}
	for (size_t i = 0; fr->rec && i < fr->k; i++)
		cairo_surface_destroy(fr->rec[i]);
	free(fr->rec);
	if (fr->last)
		cairo_surface_destroy(fr->last);
	free(fr);
	return rc;
}

struct nb_rng *nb_call_rng(nb_call *c)
{
	return &c->run->rng;
}

/* ------------------------------------------------------------ progress */

static void progress_line(nb_run *r, double frac)
{
	if (!r->tty)
		return;
	double now = nb_now();
	if (frac < 1 && now - r->last_progress < 0.1)
		return;
	r->last_progress = now;
	const nb_cell *c = &r->nb->cells[r->current];
	fprintf(stderr, "\r\033[K%s: [%zu/%zu] %s (%s)", r->nb->stem, r->current + 1, r->nb->ncells, c->label,
		c->kind == NB_CELL_MD ? "md" : nb_kernel_short(c->kernel));
	if (frac >= 0)
		fprintf(stderr, " %3.0f%%", 100 * frac);
	fprintf(stderr, " %.1f s", now - r->t0);
	fflush(stderr);
}

/* -------------------------------------------------------------- running */

void nb_run_init(nb_run *r, nb_notebook *nb, const nb_runopts *opts)
{
	memset(r, 0, sizeof *r);
	r->nb = nb;
	r->opts = opts;
	r->res = nb_xcalloc(nb->ncells ? nb->ncells : 1, sizeof *r->res);
	nb_progress_mode pm = opts->progress;
	if (pm == NB_PROGRESS_AUTO)
		pm = isatty(2) && getenv("CI") == NULL ? NB_PROGRESS_TTY : NB_PROGRESS_LINES;
	r->tty = pm == NB_PROGRESS_TTY;
	nb_rng_seed(&r->rng, 0);
	for (size_t i = 0; i < nb->ndecls; i++)
		nb_state_put(&r->state, nb->decls[i].name, nb_ref(nb->decls[i].value), "params");
}

static int run_cell(nb_run *r, size_t i)
{
	nb_cell *cell = &r->nb->cells[i];
	nb_cellres *res = &r->res[i];
	if (cell->kind == NB_CELL_MD) {
		res->ran = 1;
		return 0;
	}
	nb_call c = {0};
	c.run = r;
	c.cell = cell;
	c.res = res;
	c.e = &res->err;
	size_t na = cell->nargs ? cell->nargs : 1;
	c.argv = nb_xcalloc(na, sizeof *c.argv);
	c.items = nb_xcalloc(na, sizeof *c.items);
	c.nitems = nb_xcalloc(na, sizeof *c.nitems);
	c.strs = nb_xcalloc(na, sizeof *c.strs);
	c.outs = nb_xcalloc(cell->nouts ? cell->nouts : 1, sizeof *c.outs);
	int rc = prepare_args(&c);
	if (rc == 0) {
		rc = cell->kernel->fn(&c);
		if (rc < 0 && !res->err.set)
			nb_fail(&c, NULL, "the kernel failed without saying why");
	}
	if (rc == 0) {
		for (size_t k = 0; k < cell->nouts; k++) {
			if (!cell->outs[k])
				continue;
			if (!c.outs[k]) {
				rc = nb_fail(&c, NULL, "the kernel did not produce its output '%s'", cell->kernel->outputs[k].name);
				break;
			}
		}
	}
	if (rc == 0) {
		for (size_t k = 0; k < cell->nouts; k++) {
			if (cell->outs[k] && c.outs[k]) {
				nb_state_put(&r->state, cell->outs[k], c.outs[k], cell->label);
				c.outs[k] = NULL;
			}
		}
	}
	for (size_t k = 0; k < cell->nouts; k++)
		nb_unref(c.outs[k]);
	for (size_t k = 0; k < cell->nargs; k++) {
		nb_unref(c.argv[k]);
		for (size_t j = 0; j < c.nitems[k]; j++)
			nb_unref(c.items[k][j]);
		free(c.items[k]);
	}
	free(c.outs);
	free(c.argv);
	free(c.items);
	free(c.nitems);
	free(c.strs);
	res->ran = rc == 0 ? 1 : -1;
	return rc;
}

int nb_run_cells(nb_run *r)
{
	r->t0 = nb_now();
	const nb_runopts *o = r->opts;
	int lines = !r->tty && o->progress != NB_PROGRESS_QUIET;
	for (size_t i = 0; i < r->nb->ncells; i++) {
		r->current = i;
		nb_cell *cell = &r->nb->cells[i];
		double t = nb_now();
		if (cell->kind == NB_CELL_KERNEL)
			progress_line(r, -1);
		int rc = run_cell(r, i);
		r->res[i].secs = nb_now() - t;
		if (cell->kind == NB_CELL_KERNEL && lines)
			fprintf(stderr, "nbrun: %s: [%zu/%zu] %s (%s) %.3f s%s\n", r->nb->stem, i + 1, r->nb->ncells,
				cell->label, nb_kernel_short(cell->kernel), r->res[i].secs, rc ? " FAILED" : "");
		if (rc) {
			if (r->tty)
				fputs("\r\033[K", stderr);
			return 1;
		}
	}
	if (r->tty)
		fputs("\r\033[K", stderr);
	return 0;
}

void nb_run_release(nb_run *r)
{
	nb_run_wait_writer(r);
	nb_buf_release(&r->writer_errors);
	for (size_t i = 0; i < r->nb->ncells; i++) {
		nb_buf_release(&r->res[i].text);
		nb_err_clear(&r->res[i].err);
		for (size_t k = 0; k < r->res[i].nfigs; k++) {
			nb_figref *f = &r->res[i].figs[k];
			free(f->name);
			free(f->png);
			free(f->pdf);
			free(f->svg);
			free(f->anim);
			free(f->alt);
			for (size_t j = 0; j < f->nrec; j++)
				cairo_surface_destroy(f->rec[j]);
			free(f->rec);
			if (f->fig)
				pl_figure_free(f->fig);
		}
		free(r->res[i].figs);
	}
	free(r->res);
	free(r->dir);
	nb_state_release(&r->state);
}

int nb_run_notebook(nb_notebook *nb, const nb_runopts *opts)
{
	nb_run r;
	nb_run_init(&r, nb, opts);
	const char *outdir = opts->outdir ? opts->outdir : "output";
	r.dir = nb_xasprintf("%s/%s", outdir, nb->stem);
	if (nb_mkdirs(r.dir) < 0) {
		fprintf(stderr, "nbrun: error: cannot create the output folder '%s': %s\n", r.dir, strerror(errno));
		nb_run_release(&r);
		return 2;
	}
	int rc = nb_run_cells(&r), cells_rc = rc;
	for (size_t i = 0; i < nb->ncells; i++)
		if (r.res[i].ran < 0)
			nb_err_print(stderr, &r.res[i].err);
	nb_buf md = NB_BUF_INIT;
	nb_report_md(&r, &md);
	char *path = nb_xasprintf("%s/report.md", r.dir);
	if (nb_write_file_atomic(path, md.s, md.len) < 0) {
		fprintf(stderr, "nbrun: error: cannot write '%s': %s\n", path, strerror(errno));
		rc = rc ? rc : 1;
	}
	nb_buf_release(&md);
	char *pdf = nb_xasprintf("%s/report.pdf", r.dir);
	nb_err pe = NB_ERR_INIT;
	if (nb_report_pdf(&r, pdf, &pe) < 0) {
		fprintf(stderr, "nbrun: error: %s\n", pe.msg);
		nb_err_clear(&pe);
		rc = rc ? rc : 1;
	}
	free(pdf);
	/* the figure files written in the background (the PDF report waited for them if it shows
	 * any) */
	nb_run_wait_writer(&r);
	if (r.writer_errors.len) {
		for (char *line = r.writer_errors.s; line && *line;) {
			char *nl = strchr(line, '\n');
			fprintf(stderr, "nbrun: error: %.*s\n", (int)(nl ? nl - line : (long)strlen(line)), line);
			line = nl ? nl + 1 : NULL;
		}
		rc = 2;
	}
	if (opts->save_state) {
		char *sdir = nb_xasprintf("%s/state", r.dir);
		nb_err e = NB_ERR_INIT;
		if (nb_save_state(&r.state, sdir, &e) < 0) {
			fprintf(stderr, "nbrun: error: %s\n", e.msg);
			nb_err_clear(&e);
			rc = rc ? rc : 1;
		}
		free(sdir);
	}
	if (opts->progress != NB_PROGRESS_QUIET || rc)
		fprintf(stderr, "nbrun: %s: %s in %.2f s; report: %s\n", nb->stem,
			cells_rc ? "stopped at a failing cell" : rc ? "all cells ran, but some files could not be written"
								 : "all cells ran",
			nb_now() - r.t0, path);
	free(path);
	nb_run_release(&r);
	return rc;
}
