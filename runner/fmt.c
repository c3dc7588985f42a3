/*
 * fmt.c - Python/numpy number printing.  See fmt.h.
 *
 * The shortest round-trip digits come from trying %.{p}e for p = 0..16 and
 * keeping the first that strtod() maps back to the same double; glibc's
 * printf rounds correctly, so this gives the digits Python's repr gives.
 */
#include "fmt.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int nb_shortest_digits(double x, char *digits, int *ndigits)
{
	char tmp[64];
	x = fabs(x);
	for (int p = 0; p <= 16; p++) {
		snprintf(tmp, sizeof tmp, "%.*e", p, x);
		if (strtod(tmp, NULL) == x || p == 16) {
			int n = 0;
			char *s = tmp;
			for (; *s && *s != 'e'; s++)
				if (isdigit((unsigned char)*s))
					digits[n++] = *s;
			while (n > 1 && digits[n - 1] == '0')
				n--;
			digits[n] = '\0';
			*ndigits = n;
			return atoi(s + 1);
		}
	}
	return 0; /* not reached */
}

void nb_fmt_repr(double x, nb_buf *b)
{
	if (isnan(x)) {
		nb_buf_puts(b, "nan");
		return;
	}
	if (isinf(x)) {
		nb_buf_puts(b, x < 0 ? "-inf" : "inf");
		return;
	}
	if (signbit(x))
		nb_buf_putc(b, '-');
	if (x == 0) {
		nb_buf_puts(b, "0.0");
		return;
	}
	char d[32];
	int n;
	int exp10 = nb_shortest_digits(x, d, &n);
	if (exp10 < -4 || exp10 >= 16) {
		nb_buf_putc(b, d[0]);
		if (n > 1) {
			nb_buf_putc(b, '.');
			nb_buf_puts(b, d + 1);
		}
		nb_buf_printf(b, "e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10));
		return;
	}
	if (exp10 < 0) {
		nb_buf_puts(b, "0.");
		nb_buf_pad(b, '0', (size_t)(-exp10 - 1));
		nb_buf_puts(b, d);
		return;
	}
	int intd = exp10 + 1;
	for (int i = 0; i < intd; i++)
		nb_buf_putc(b, i < n ? d[i] : '0');
	nb_buf_putc(b, '.');
	if (n > intd)
		nb_buf_puts(b, d + intd);
	else
		nb_buf_putc(b, '0');
}

/* --------------------------------------------------- numpy array printing */

/*
 * numpy's Dragon4 in "unique" mode with a precision cut-off: the shortest
 * round-trip digits, but at most `prec` digits after the point (rounded
 * correctly when cut).  Positional form: int part and fraction part
 * (fraction without trailing zeros).
 */
static void dragon_positional(double x, int prec, nb_buf *ip, nb_buf *fp)
{
	char d[32];
	int n;
	double ax = fabs(x);
	if (signbit(x))
		nb_buf_putc(ip, '-');
	if (ax == 0) {
		nb_buf_putc(ip, '0');
		return;
	}
	int e10 = nb_shortest_digits(ax, d, &n);
	int frac_digits = n - 1 - e10; /* digits after the point */
	if (frac_digits > prec) {
		char tmp[400];
		snprintf(tmp, sizeof tmp, "%.*f", prec, ax);
		char *dot = strchr(tmp, '.');
		if (dot) {
			*dot = '\0';
			char *f = dot + 1;
			size_t fl = strlen(f);
			while (fl > 0 && f[fl - 1] == '0')
				f[--fl] = '\0';
			nb_buf_puts(ip, tmp);
			nb_buf_puts(fp, f);
		} else {
			nb_buf_puts(ip, tmp);
		}
		return;
	}
	if (e10 < 0) {
		nb_buf_putc(ip, '0');
		nb_buf_pad(fp, '0', (size_t)(-e10 - 1));
		nb_buf_puts(fp, d);
		return;
	}
	for (int i = 0; i <= e10; i++)
		nb_buf_putc(ip, i < n ? d[i] : '0');
	if (n > e10 + 1)
		nb_buf_puts(fp, d + e10 + 1);
}

/* Scientific: mantissa digits (shortest, at most prec after the point) and exponent. */
static void dragon_scientific(double x, int prec, nb_buf *ip, nb_buf *fp, int *exp10)
{
	char d[32];
	int n;
	double ax = fabs(x);
	if (signbit(x))
		nb_buf_putc(ip, '-');
	if (ax == 0) {
		nb_buf_putc(ip, '0');
		*exp10 = 0;
		return;
	}
	int e = nb_shortest_digits(ax, d, &n);
	if (n - 1 > prec) {
		char tmp[64];
		snprintf(tmp, sizeof tmp, "%.*e", prec, ax);
		char *ep = strchr(tmp, 'e');
		e = atoi(ep + 1);
		*ep = '\0';
		char *dot = strchr(tmp, '.');
		if (dot) {
			*dot = '\0';
			char *f = dot + 1;
			size_t fl = strlen(f);
			while (fl > 0 && f[fl - 1] == '0')
				f[--fl] = '\0';
			nb_buf_puts(fp, f);
		}
		nb_buf_puts(ip, tmp);
		*exp10 = e;
		return;
	}
	nb_buf_putc(ip, d[0]);
	if (n > 1)
		nb_buf_puts(fp, d + 1);
	*exp10 = e;
}

typedef struct ffmt {
	int exp_format;
	int pad_left, pad_right, precision, exp_size;
	int any_finite;
} ffmt;

#define NP_PRECISION 8

static void float_fill(ffmt *f, const double *x, size_t n)
{
	memset(f, 0, sizeof *f);
	double maxv = 0, minv = INFINITY;
	int any_nonzero = 0;
	size_t nfinite = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(x[i]))
			continue;
		nfinite++;
		double a = fabs(x[i]);
		if (a != 0) {
			any_nonzero = 1;
			if (a > maxv)
				maxv = a;
			if (a < minv)
				minv = a;
		}
	}
	if (any_nonzero && (maxv >= 1e8 || minv < 0.0001 || maxv / minv > 1000.))
		f->exp_format = 1;
	f->any_finite = nfinite > 0;
	nb_buf ip = NB_BUF_INIT, fp = NB_BUF_INIT;
	if (!nfinite) {
		f->pad_left = f->pad_right = 0;
		f->exp_size = -1;
	} else if (f->exp_format) {
		int maxfrac = 0, maxint = 0, maxexp = 0;
		for (size_t i = 0; i < n; i++) {
			if (!isfinite(x[i]))
				continue;
			int e;
			nb_buf_reset(&ip);
			nb_buf_reset(&fp);
			dragon_scientific(x[i], NP_PRECISION, &ip, &fp, &e);
			if ((int)fp.len > maxfrac)
				maxfrac = (int)fp.len;
			if ((int)ip.len > maxint)
				maxint = (int)ip.len;
			int el = abs(e) >= 100 ? 3 : 2;
			if (el > maxexp)
				maxexp = el;
		}
		f->exp_size = maxexp;
		f->precision = maxfrac;
		f->pad_left = maxint;
		f->pad_right = f->exp_size + 2 + f->precision;
	} else {
		int maxfrac = 0, maxint = 0;
		for (size_t i = 0; i < n; i++) {
			if (!isfinite(x[i]))
				continue;
			nb_buf_reset(&ip);
			nb_buf_reset(&fp);
			dragon_positional(x[i], NP_PRECISION, &ip, &fp);
			if ((int)fp.len > maxfrac)
				maxfrac = (int)fp.len;
			if ((int)ip.len > maxint)
				maxint = (int)ip.len;
		}
		f->pad_left = maxint;
		f->pad_right = maxfrac;
		f->exp_size = -1;
	}
	if (nfinite != n) {
		int neginf = 0;
		for (size_t i = 0; i < n; i++)
			if (isinf(x[i]) && x[i] < 0)
				neginf = 1;
		int offset = f->pad_right + 1;
		int nanlen = 3, inflen = 3 + neginf;
		if (nanlen - offset > f->pad_left)
			f->pad_left = nanlen - offset;
		if (inflen - offset > f->pad_left)
			f->pad_left = inflen - offset;
	}
	nb_buf_release(&ip);
	nb_buf_release(&fp);
}

static void float_format(const ffmt *f, double x, nb_buf *out)
{
	if (!isfinite(x)) {
		const char *s = isnan(x) ? "nan" : x < 0 ? "-inf" : "inf";
		int w = f->pad_left + f->pad_right + 1 - (int)strlen(s);
		nb_buf_pad(out, ' ', w > 0 ? (size_t)w : 0);
		nb_buf_puts(out, s);
		return;
	}
	nb_buf ip = NB_BUF_INIT, fp = NB_BUF_INIT;
	if (f->exp_format) {
		int e;
		dragon_scientific(x, f->precision, &ip, &fp, &e);
		int w = f->pad_left - (int)ip.len;
		nb_buf_pad(out, ' ', w > 0 ? (size_t)w : 0);
		nb_buf_puts(out, nb_buf_str(&ip));
		nb_buf_putc(out, '.');
		nb_buf_puts(out, nb_buf_str(&fp));
		nb_buf_pad(out, '0', (size_t)(f->precision - (int)fp.len));
		nb_buf_printf(out, "e%c%0*d", e < 0 ? '-' : '+', f->exp_size, abs(e));
	} else {
		dragon_positional(x, NP_PRECISION, &ip, &fp);
		int w = f->pad_left - (int)ip.len;
		nb_buf_pad(out, ' ', w > 0 ? (size_t)w : 0);
		nb_buf_puts(out, nb_buf_str(&ip));
		nb_buf_putc(out, '.');
		nb_buf_puts(out, nb_buf_str(&fp));
		int r = f->pad_right - (int)fp.len;
		nb_buf_pad(out, ' ', r > 0 ? (size_t)r : 0);
	}
	nb_buf_release(&ip);
	nb_buf_release(&fp);
}

typedef struct afmt {
	const nb_value *v;
	ffmt ff;
	int width; /* ints and bools */
} afmt;

static void elem_format(const afmt *af, size_t i, nb_buf *out)
{
	const nb_value *v = af->v;
	switch (v->dtype) {
	case NB_F64:
		float_format(&af->ff, nb_f64p(v)[i], out);
		break;
	case NB_I64: {
		char tmp[32];
		int n = snprintf(tmp, sizeof tmp, "%lld", (long long)nb_i64p(v)[i]);
		nb_buf_pad(out, ' ', af->width > n ? (size_t)(af->width - n) : 0);
		nb_buf_puts(out, tmp);
		break;
	}
	case NB_BOOL:
		nb_buf_puts(out, nb_boolp(v)[i] ? " True" : "False");
		break;
	}
}

static int summarised(const nb_value *v)
{
	return v->size > 1000;
}

/* Collect the elements that will be shown (the edge items when summarised). */
static void collect_shown(const nb_value *v, int axis, size_t base, int summary, size_t *out, size_t *n)
{
	if (axis == v->ndim) {
		out[(*n)++] = base;
		return;
	}
	size_t len = v->shape[axis], stride = 1;
	for (int i = axis + 1; i < v->ndim; i++)
		stride *= v->shape[i];
	if (summary && len > 6) {
		for (size_t i = 0; i < 3; i++)
			collect_shown(v, axis + 1, base + i * stride, summary, out, n);
		for (size_t i = len - 3; i < len; i++)
			collect_shown(v, axis + 1, base + i * stride, summary, out, n);
	} else {
		for (size_t i = 0; i < len; i++)
			collect_shown(v, axis + 1, base + i * stride, summary, out, n);
	}
}

static size_t count_shown(const nb_value *v, int axis, int summary)
{
	if (axis == v->ndim)
		return 1;
	size_t len = v->shape[axis];
	if (summary && len > 6)
		len = 6;
	return len * count_shown(v, axis + 1, summary);
}

static void extend_line(nb_buf *s, nb_buf *line, const char *word, size_t width, const char *prefix)
{
	size_t plen = strlen(prefix);
	int needs_wrap = line->len + strlen(word) > width;
	if (line->len <= plen)
		needs_wrap = 0;
	if (needs_wrap) {
		size_t l = line->len;
		while (l > 0 && line->s[l - 1] == ' ')
			l--;
		nb_buf_add(s, line->s, l);
		nb_buf_putc(s, '\n');
		nb_buf_reset(line);
		nb_buf_puts(line, prefix);
	}
	nb_buf_puts(line, word);
}

static void recurse(const afmt *af, int axis, size_t base, const char *hang, size_t width, int summary, nb_buf *out)
{
	const nb_value *v = af->v;
	if (axis == v->ndim) {
		elem_format(af, base, out);
		return;
	}
	char *next_hang = nb_xasprintf("%s ", hang);
	size_t next_width = width - 1;
	size_t len = v->shape[axis], stride = 1;
	for (int i = axis + 1; i < v->ndim; i++)
		stride *= v->shape[i];
	int show_summary = summary && len > 6;
	size_t lead = show_summary ? 3 : 0, trail = show_summary ? 3 : len;
	int axes_left = v->ndim - axis;
	nb_buf s = NB_BUF_INIT;
	nb_buf word = NB_BUF_INIT;
	if (axes_left == 1) {
		size_t elem_width = width - 1; /* max(len(' '.rstrip()), len(']')) */
		nb_buf line = NB_BUF_INIT;
		nb_buf_puts(&line, hang);
		for (size_t i = 0; i < lead; i++) {
			nb_buf_reset(&word);
			recurse(af, axis + 1, base + i * stride, next_hang, next_width, summary, &word);
			extend_line(&s, &line, nb_buf_str(&word), elem_width, hang);
			nb_buf_putc(&line, ' ');
		}
		if (show_summary) {
			extend_line(&s, &line, "...", elem_width, hang);
			nb_buf_putc(&line, ' ');
		}
		for (size_t i = trail; i > 1; i--) {
			nb_buf_reset(&word);
			recurse(af, axis + 1, base + (len - i) * stride, next_hang, next_width, summary, &word);
			extend_line(&s, &line, nb_buf_str(&word), elem_width, hang);
			nb_buf_putc(&line, ' ');
		}
		nb_buf_reset(&word);
		if (len > 0) {
			recurse(af, axis + 1, base + (len - 1) * stride, next_hang, next_width, summary, &word);
			extend_line(&s, &line, nb_buf_str(&word), elem_width, hang);
		}
		nb_buf_add(&s, line.s, line.len);
		nb_buf_release(&line);
	} else {
		char sep[NB_MAXDIM + 2];
		int ns = axes_left - 1;
		sep[0] = '\n';
		for (int i = 1; i < ns; i++)
			sep[i] = '\n';
		sep[ns] = '\0';
		for (size_t i = 0; i < lead; i++) {
			nb_buf_puts(&s, hang);
			recurse(af, axis + 1, base + i * stride, next_hang, next_width, summary, &s);
			nb_buf_puts(&s, sep);
		}
		if (show_summary) {
			nb_buf_puts(&s, hang);
			nb_buf_puts(&s, "...");
			nb_buf_puts(&s, sep);
		}
		for (size_t i = trail; i > 1; i--) {
			nb_buf_puts(&s, hang);
			recurse(af, axis + 1, base + (len - i) * stride, next_hang, next_width, summary, &s);
			nb_buf_puts(&s, sep);
		}
		if (len > 0) {
			nb_buf_puts(&s, hang);
			recurse(af, axis + 1, base + (len - 1) * stride, next_hang, next_width, summary, &s);
		}
	}
	nb_buf_putc(out, '[');
	size_t hl = strlen(hang);
	const char *body = nb_buf_str(&s);
	nb_buf_puts(out, s.len >= hl ? body + hl : body);
	nb_buf_putc(out, ']');
	nb_buf_release(&s);
	nb_buf_release(&word);
	free(next_hang);
}

void nb_fmt_value(const nb_value *v, nb_buf *b)
{
	if (v->kind == NB_STR) {
		nb_buf_puts(b, v->str);
		return;
	}
	if (v->kind == NB_OBJ) {
		nb_buf_printf(b, "<%s>", v->otype->name);
		return;
	}
	if (v->ndim == 0) {
		switch (v->dtype) {
		case NB_F64: nb_fmt_repr(nb_f64p(v)[0], b); break;
		case NB_I64: nb_buf_printf(b, "%lld", (long long)nb_i64p(v)[0]); break;
		case NB_BOOL: nb_buf_puts(b, nb_boolp(v)[0] ? "True" : "False"); break;
		}
		return;
	}
	if (v->tuple && v->ndim == 1) {
		nb_buf_putc(b, '(');
		for (size_t i = 0; i < v->size; i++) {
			if (i)
				nb_buf_puts(b, ", ");
			if (v->dtype == NB_F64)
				nb_fmt_repr(nb_f64p(v)[i], b);
			else if (v->dtype == NB_I64)
				nb_buf_printf(b, "%lld", (long long)nb_i64p(v)[i]);
			else
				nb_buf_puts(b, nb_boolp(v)[i] ? "True" : "False");
		}
		nb_buf_puts(b, v->size == 1 ? ",)" : ")");
		return;
	}
	if (v->size == 0) {
		nb_buf_puts(b, "[]");
		return;
	}
	afmt af = {v, {0}, 0};
	int summary = summarised(v);
	size_t nshown = count_shown(v, 0, summary), n = 0;
	size_t *idx = nb_xmalloc(nshown * sizeof *idx);
	collect_shown(v, 0, 0, summary, idx, &n);
	if (v->dtype == NB_F64) {
		double *xs = nb_xmalloc(n * sizeof *xs);
		for (size_t i = 0; i < n; i++)
			xs[i] = nb_f64p(v)[idx[i]];
		float_fill(&af.ff, xs, n);
		free(xs);
	} else if (v->dtype == NB_I64) {
		for (size_t i = 0; i < n; i++) {
			char tmp[32];
			int w = snprintf(tmp, sizeof tmp, "%lld", (long long)nb_i64p(v)[idx[i]]);
			if (w > af.width)
				af.width = w;
		}
	}
	free(idx);
	recurse(&af, 0, 0, " ", 75, summary, b);
}

/* ------------------------------------------------- Python format specs */

typedef struct spec {
	char fill, align, sign;
	int alt, zero, width, grouping, precision;
	char type;
} spec;

static int parse_spec(const char *s, spec *sp, nb_err *e)
{
	memset(sp, 0, sizeof *sp);
	sp->fill = ' ';
	sp->precision = -1;
	const char *p = s;
	if (p[0] && (p[1] == '<' || p[1] == '>' || p[1] == '^' || p[1] == '=')) {
		sp->fill = p[0];
		sp->align = p[1];
		p += 2;
	} else if (*p == '<' || *p == '>' || *p == '^' || *p == '=') {
		sp->align = *p++;
	}
	if (*p == '+' || *p == '-' || *p == ' ')
		sp->sign = *p++;
	if (*p == '#') {
		sp->alt = 1;
		p++;
	}
	if (*p == '0') {
		sp->zero = 1;
		p++;
	}
	while (isdigit((unsigned char)*p)) {
		sp->width = sp->width * 10 + (*p++ - '0');
		if (sp->width > 10000)
			return nb_err_set(e, NB_NOLOC, "format width too large in '%s'", s);
	}
	if (*p == ',' || *p == '_')
		sp->grouping = *p++;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return nb_err_set(e, NB_NOLOC, "format specifier missing precision in '%s'", s);
		sp->precision = 0;
		while (isdigit((unsigned char)*p)) {
			sp->precision = sp->precision * 10 + (*p++ - '0');
			if (sp->precision > 1000)
				return nb_err_set(e, NB_NOLOC, "format precision too large in '%s'", s);
		}
	}
	if (*p)
		sp->type = *p++;
	if (*p)
		return nb_err_set(e, NB_NOLOC, "invalid format specifier '%s'", s);
	if (sp->zero && !sp->align) {
		sp->fill = '0';
		sp->align = '=';
	}
	return 0;
}

static void group_digits(nb_buf *num, char sep)
{
	/* insert separators into the integer part of num (after any sign) */
	const char *s = nb_buf_str(num);
	size_t start = (s[0] == '-' || s[0] == '+' || s[0] == ' ') ? 1 : 0;
	size_t end = start;
	while (isdigit((unsigned char)s[end]))
		end++;
	nb_buf out = NB_BUF_INIT;
	nb_buf_add(&out, s, start);
	size_t nd = end - start;
	for (size_t i = 0; i < nd; i++) {
		nb_buf_putc(&out, s[start + i]);
		size_t left = nd - i - 1;
		if (left && left % 3 == 0)
			nb_buf_putc(&out, sep);
	}
	nb_buf_puts(&out, s + end);
	nb_buf_release(num);
	*num = out;
}

static void apply_padding(const spec *sp, const char *body, char default_align, nb_buf *b)
{
	size_t len = strlen(body);
	if ((int)len >= sp->width) {
		nb_buf_puts(b, body);
		return;
	}
	size_t pad = (size_t)sp->width - len;
	char al = sp->align ? sp->align : default_align;
	switch (al) {
	case '<':
		nb_buf_puts(b, body);
		nb_buf_pad(b, sp->fill, pad);
		break;
	case '^':
		nb_buf_pad(b, sp->fill, pad / 2);
		nb_buf_puts(b, body);
		nb_buf_pad(b, sp->fill, pad - pad / 2);
		break;
	case '=': {
		size_t sl = (body[0] == '-' || body[0] == '+' || body[0] == ' ') ? 1 : 0;
		nb_buf_add(b, body, sl);
		nb_buf_pad(b, sp->fill, pad);
		nb_buf_puts(b, body + sl);
		break;
	}
	default:
		nb_buf_pad(b, sp->fill, pad);
		nb_buf_puts(b, body);
	}
}

/* Python's float formatting for types e f g % and none. */
static int format_float(double x, const spec *sp, nb_buf *out, nb_err *e)
{
	nb_buf num = NB_BUF_INIT;
	char type = sp->type;
	int prec = sp->precision;
	if (!isfinite(x)) {
		if (signbit(x) && !isnan(x))
			nb_buf_putc(&num, '-');
		int upper = type == 'E' || type == 'F' || type == 'G';
		nb_buf_puts(&num, isnan(x) ? (upper ? "NAN" : "nan") : (upper ? "INF" : "inf"));
		if (type == '%')
			nb_buf_putc(&num, '%');
	} else if (type == 0 && prec < 0) {
		nb_fmt_repr(x, &num);
	} else {
		char tmp[1200];
		switch (type) {
		case 'f': case 'F':
			snprintf(tmp, sizeof tmp, sp->alt ? "%#.*f" : "%.*f", prec < 0 ? 6 : prec, x);
			break;
		case 'e': case 'E':
			snprintf(tmp, sizeof tmp, sp->alt ? (type == 'e' ? "%#.*e" : "%#.*E") : (type == 'e' ? "%.*e" : "%.*E"),
				 prec < 0 ? 6 : prec, x);
			break;
		case '%':
			snprintf(tmp, sizeof tmp, "%.*f%%", prec < 0 ? 6 : prec, x * 100);
			break;
		case 'g': case 'G':
			snprintf(tmp, sizeof tmp, sp->alt ? (type == 'g' ? "%#.*g" : "%#.*G") : (type == 'g' ? "%.*g" : "%.*G"),
				 prec < 0 ? 6 : (prec == 0 ? 1 : prec), x);
			break;
		case 0: {
			/* like 'g', but always a digit after the point when positional */
			int p = prec == 0 ? 1 : prec;
			snprintf(tmp, sizeof tmp, "%.*g", p, x);
			if (!strpbrk(tmp, ".en"))
				strcat(tmp, ".0");
			break;
		}
		default:
			nb_buf_release(&num);
			return nb_err_set(e, NB_NOLOC, "unknown format code '%c' for a float", type);
		}
		nb_buf_puts(&num, tmp);
	}
	if (sp->sign == '+' && num.s[0] != '-') {
		nb_buf t = NB_BUF_INIT;
		nb_buf_putc(&t, '+');
		nb_buf_puts(&t, num.s);
		nb_buf_release(&num);
		num = t;
	} else if (sp->sign == ' ' && num.s[0] != '-') {
		nb_buf t = NB_BUF_INIT;
		nb_buf_putc(&t, ' ');
		nb_buf_puts(&t, num.s);
		nb_buf_release(&num);
		num = t;
	}
	if (sp->grouping)
		group_digits(&num, (char)sp->grouping);
	apply_padding(sp, nb_buf_str(&num), '>', out);
	nb_buf_release(&num);
	return 0;
}

static int format_int(int64_t x, const spec *sp, nb_buf *out, nb_err *e)
{
	if (sp->type && strchr("eEfFgG%", sp->type))
		return format_float((double)x, sp, out, e);
	if (sp->precision >= 0)
		return nb_err_set(e, NB_NOLOC, "precision not allowed in integer format specifier");
	nb_buf num = NB_BUF_INIT;
	uint64_t ux = x < 0 ? 0 - (uint64_t)x : (uint64_t)x;
	if (x < 0)
		nb_buf_putc(&num, '-');
	else if (sp->sign == '+')
		nb_buf_putc(&num, '+');
	else if (sp->sign == ' ')
		nb_buf_putc(&num, ' ');
	switch (sp->type) {
	case 0: case 'd': case 'n':
		nb_buf_printf(&num, "%llu", (unsigned long long)ux);
		break;
	case 'x': case 'X':
		nb_buf_printf(&num, sp->alt ? (sp->type == 'x' ? "0x%llx" : "0X%llX") : (sp->type == 'x' ? "%llx" : "%llX"),
			      (unsigned long long)ux);
		break;
	case 'o':
		nb_buf_printf(&num, sp->alt ? "0o%llo" : "%llo", (unsigned long long)ux);
		break;
	case 'b': {
		char bits[70];
		int n = 0;
		do {
			bits[n++] = (char)('0' + (ux & 1));
			ux >>= 1;
		} while (ux);
		if (sp->alt)
			nb_buf_puts(&num, "0b");
		while (n)
			nb_buf_putc(&num, bits[--n]);
		break;
	}
	default:
		nb_buf_release(&num);
		return nb_err_set(e, NB_NOLOC, "unknown format code '%c' for an integer", sp->type);
	}
	if (sp->grouping)
		group_digits(&num, (char)sp->grouping);
	apply_padding(sp, nb_buf_str(&num), '>', out);
	nb_buf_release(&num);
	return 0;
}

int nb_fmt_spec(const nb_value *v, const char *s, nb_buf *b, nb_err *e)
{
	if (!*s) {
		nb_fmt_value(v, b);
		return 0;
	}
	spec sp;
	if (parse_spec(s, &sp, e) < 0)
		return -1;
	if (v->kind == NB_STR) {
		if (sp.type && sp.type != 's')
			return nb_err_set(e, NB_NOLOC, "unknown format code '%c' for a string", sp.type);
		char *t = sp.precision >= 0 ? nb_xstrndup(v->str, (size_t)sp.precision) : nb_xstrdup(v->str);
		apply_padding(&sp, t, '<', b);
		free(t);
		return 0;
	}
	if (v->kind != NB_ARRAY || v->ndim != 0) {
		nb_buf d = NB_BUF_INIT;
		nb_describe_value(v, &d);
		nb_err_set(e, NB_NOLOC, "format spec ':%s' needs a single number, got %s "
			   "(print arrays with a plain {name})", s, nb_buf_str(&d));
		nb_buf_release(&d);
		return -1;
	}
	switch (v->dtype) {
	case NB_F64:
		return format_float(nb_f64p(v)[0], &sp, b, e);
	case NB_I64:
		return format_int(nb_i64p(v)[0], &sp, b, e);
	case NB_BOOL:
		if (!sp.type) {
			apply_padding(&sp, nb_boolp(v)[0] ? "True" : "False", '<', b);
			return 0;
		}
		return format_int(nb_boolp(v)[0], &sp, b, e);
	}
	return 0;
}

/*
 * printf's "%.*f" in the C locale, exactly, for the numbers cairo writes
 * into PDF files: x = m 2^e (m an integer below 2^53) times 10^prec is
 * rounded to an integer, half to even on the exact value as glibc does,
 * in 128-bit arithmetic (m 10^18 < 2^113), then printed as digits with a
 * point prec from the end.
 */
int nb_fixed(char *buf, size_t size, double x, int prec)
{
	if (!isfinite(x) || prec < 0 || prec > 18 || !(fabs(x) < 1e15))
		return -1;
	int e2;
	double fr = frexp(fabs(x), &e2); /* |x| = fr 2^e2, 0.5 <= fr < 1 (fr = 0 for zero) */
	uint64_t m = (uint64_t)ldexp(fr, 53);
	int s = 53 - e2; /* |x| = m / 2^s exactly; s > 0, as |x| < 2^50 */
	unsigned __int128 p10 = 1;
	for (int i = 0; i < prec; i++)
		p10 *= 10;
	unsigned __int128 q = 0, v = (unsigned __int128)m * p10;
	if (s < 128) {
		q = v >> s;
		unsigned __int128 rem = v - (q << s), half = (unsigned __int128)1 << (s - 1);
		if (rem > half || (rem == half && (q & 1)))
			q++;
	} /* else below a half in the last place: 0 */
	char digits[48];
	int nd = 0;
	while (q >> 64) { /* 128-bit division is slow: only for the digits above 64 bits */
		digits[nd++] = (char)('0' + (int)(q % 10));
		q /= 10;
	}
	uint64_t q64 = (uint64_t)q;
	do {
		digits[nd++] = (char)('0' + (int)(q64 % 10));
		q64 /= 10;
	} while (q64);
	while (nd <= prec) /* at least one digit before the point */
		digits[nd++] = '0';
	char out[64];
	int n = 0;
	if (signbit(x))
		out[n++] = '-';
	for (int i = nd - 1; i >= 0; i--) {
		out[n++] = digits[i];
		if (i == prec && prec > 0)
			out[n++] = '.';
	}
	if (size) {
		size_t k = (size_t)n < size - 1 ? (size_t)n : size - 1;
		memcpy(buf, out, k);
		buf[k] = '\0';
	}
	return n;
}
