#include "value.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static size_t dtype_size(nb_dtype dt)
{
	return dt == NB_BOOL ? 1 : 8;
}

size_t nb_shape_size(int ndim, const size_t *shape)
{
	size_t n = 1;
	for (int i = 0; i < ndim; i++) {
		if (shape[i] && n > (NB_MAX_ARRAY_BYTES / 8) / shape[i])
			return (size_t)-1;
		n *= shape[i];
	}
	return n;
}

void nb_shape_str(int ndim, const size_t *shape, nb_buf *b)
{
	nb_buf_putc(b, '(');
	for (int i = 0; i < ndim; i++)
		nb_buf_printf(b, i ? ", %zu" : "%zu", shape[i]);
	if (ndim == 1)
		nb_buf_putc(b, ',');
	nb_buf_putc(b, ')');
}

static nb_value *value_alloc(nb_vkind kind)
{
	nb_value *v = nb_xcalloc(1, sizeof *v);
	v->refs = 1;
	v->kind = kind;
	return v;
}

nb_value *nb_array_new(nb_dtype dt, int ndim, const size_t *shape, nb_err *e)
{
	if (ndim < 0 || ndim > NB_MAXDIM) {
		nb_err_set(e, NB_NOLOC, "arrays have at most %d dimensions, not %d", NB_MAXDIM, ndim);
		return NULL;
	}
	size_t n = nb_shape_size(ndim, shape);
	if (n == (size_t)-1) {
		nb_buf b = NB_BUF_INIT;
		nb_shape_str(ndim, shape, &b);
		nb_err_set(e, NB_NOLOC,
			   "array of shape %s is too large: nbrun allocates at most %zu GiB for one array",
			   nb_buf_str(&b), NB_MAX_ARRAY_BYTES >> 30);
		nb_buf_release(&b);
		return NULL;
	}
	void *data = calloc(n ? n : 1, dtype_size(dt));
	if (!data) {
		nb_buf b = NB_BUF_INIT;
		nb_shape_str(ndim, shape, &b);
		nb_err_set(e, NB_NOLOC, "cannot allocate an array of shape %s (%zu bytes): %s",
			   nb_buf_str(&b), n * dtype_size(dt), strerror(ENOMEM));
		nb_buf_release(&b);
		return NULL;
	}
	nb_value *v = value_alloc(NB_ARRAY);
	v->dtype = dt;
	v->ndim = ndim;
	if (ndim)
		memcpy(v->shape, shape, (size_t)ndim * sizeof *shape);
	v->size = n;
	v->data = data;
	return v;
}

nb_value *nb_array_like(const nb_value *v, nb_dtype dt, nb_err *e)
{
	return nb_array_new(dt, v->ndim, v->shape, e);
}

static nb_value *scalar(nb_dtype dt)
{
	nb_value *v = nb_array_new(dt, 0, NULL, NULL);
	if (!v)
		nb_die("out of memory");
	return v;
}

nb_value *nb_f64(double x)
{
	nb_value *v = scalar(NB_F64);
	nb_f64p(v)[0] = x;
	return v;
}

nb_value *nb_i64(int64_t x)
{
	nb_value *v = scalar(NB_I64);
	nb_i64p(v)[0] = x;
	return v;
}

nb_value *nb_bool(int x)
{
	nb_value *v = scalar(NB_BOOL);
	nb_boolp(v)[0] = x != 0;
	return v;
}

nb_value *nb_f64_vec(const double *x, size_t n, nb_err *e)
{
	nb_value *v = nb_array_new(NB_F64, 1, &n, e);
	if (v && n)
		memcpy(v->data, x, n * sizeof *x);
	return v;
}

nb_value *nb_str(const char *s)
{
	nb_value *v = value_alloc(NB_STR);
	v->str = nb_xstrdup(s);
	return v;
}

nb_value *nb_obj(const nb_objtype *t, void *obj)
{
	nb_value *v = value_alloc(NB_OBJ);
	v->otype = t;
	v->obj = obj;
	return v;
}

nb_value *nb_ref(const nb_value *cv)
{
	nb_value *v = (nb_value *)cv;
	if (v)
		v->refs++;
	return v;
}

void nb_unref(nb_value *v)
{
	if (!v || --v->refs > 0)
		return;
	free(v->data);
	free(v->str);
	if (v->otype && v->otype->free)
		v->otype->free(v->obj);
	free(v);
}

double nb_get_f64(const nb_value *v, size_t i)
{
	switch (v->dtype) {
	case NB_F64: return nb_f64p(v)[i];
	case NB_I64: return (double)nb_i64p(v)[i];
	case NB_BOOL: return nb_boolp(v)[i];
	}
	return 0;
}

int64_t nb_get_i64(const nb_value *v, size_t i)
{
	switch (v->dtype) {
	case NB_F64: {
		double x = nb_f64p(v)[i];
		if (!(x >= -9.2233720368547758e18 && x < 9.2233720368547758e18))
			return INT64_MIN;
		return (int64_t)x;
	}
	case NB_I64: return nb_i64p(v)[i];
	case NB_BOOL: return nb_boolp(v)[i];
	}
	return 0;
}

nb_value *nb_astype(const nb_value *v, nb_dtype dt, nb_err *e)
{
	if (v->dtype == dt)
		return nb_ref(v);
	nb_value *r = nb_array_like(v, dt, e);
	if (!r)
		return NULL;
	for (size_t i = 0; i < v->size; i++) {
		switch (dt) {
		case NB_F64: nb_f64p(r)[i] = nb_get_f64(v, i); break;
		case NB_I64: nb_i64p(r)[i] = nb_get_i64(v, i); break;
		case NB_BOOL: nb_boolp(r)[i] = nb_get_f64(v, i) != 0; break;
		}
	}
	return r;
}

nb_value *nb_copy(const nb_value *v, nb_err *e)
{
	if (v->kind == NB_STR)
		return nb_str(v->str);
	if (v->kind != NB_ARRAY) {
		nb_err_set(e, NB_NOLOC, "cannot copy a %s", v->otype->name);
		return NULL;
	}
	nb_value *r = nb_array_like(v, v->dtype, e);
	if (r && v->size)
		memcpy(r->data, v->data, v->size * dtype_size(v->dtype));
	return r;
}

const char *nb_dtype_name(nb_dtype dt)
{
	switch (dt) {
	case NB_F64: return "float64";
	case NB_I64: return "int64";
	case NB_BOOL: return "bool";
	}
	return "?";
}

void nb_describe_value(const nb_value *v, nb_buf *b)
{
	switch (v->kind) {
	case NB_STR:
		nb_buf_puts(b, "a string");
		return;
	case NB_OBJ:
		nb_buf_printf(b, "a %s", v->otype->name);
		return;
	case NB_ARRAY:
		if (v->ndim == 0) {
			nb_buf_printf(b, "a %s scalar", nb_dtype_name(v->dtype));
			return;
		}
		nb_buf_printf(b, "a %s array of shape ", nb_dtype_name(v->dtype));
		nb_shape_str(v->ndim, v->shape, b);
		return;
	}
}

int nb_is_array(const nb_value *v)
{
	return v && v->kind == NB_ARRAY;
}

int nb_is_scalar(const nb_value *v)
{
	return nb_is_array(v) && v->size == 1;
}

int nb_broadcast_shapes(int na, const size_t *sa, int nb, const size_t *sb,
			int *nout, size_t *sout)
{
	int n = na > nb ? na : nb;
	for (int i = 0; i < n; i++) {
		int ia = na - n + i, ib = nb - n + i;
		size_t a = ia >= 0 ? sa[ia] : 1, b = ib >= 0 ? sb[ib] : 1;
		if (a == b || b == 1)
			sout[i] = a;
		else if (a == 1)
			sout[i] = b;
		else
			return -1;
	}
	*nout = n;
	return 0;
}
