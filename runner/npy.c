/*
 * npy.c - the state as NumPy .npy files (format 1.0) plus state.json.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

static void json_str(nb_buf *b, const char *s)
{
	nb_buf_putc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			nb_buf_printf(b, "\\%c", *p);
		else if (*p == '\n')
			nb_buf_puts(b, "\\n");
		else if (*p < 0x20)
			nb_buf_printf(b, "\\u%04x", *p);
		else
			nb_buf_putc(b, (char)*p);
	}
	nb_buf_putc(b, '"');
}

/* UTF-8 to code points; invalid bytes become U+FFFD. */
static size_t utf8_decode(const char *s, uint32_t *out)
{
	size_t n = 0;
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		uint32_t cp;
		int len;
		if (*p < 0x80) { cp = *p; len = 1; }
		else if ((*p & 0xE0) == 0xC0) { cp = *p & 0x1F; len = 2; }
		else if ((*p & 0xF0) == 0xE0) { cp = *p & 0x0F; len = 3; }
		else if ((*p & 0xF8) == 0xF0) { cp = *p & 0x07; len = 4; }
		else { cp = 0xFFFD; len = 1; }
		int ok = 1;
		for (int i = 1; i < len; i++) {
			if ((p[i] & 0xC0) != 0x80) {
				ok = 0;
				break;
			}
			cp = (cp << 6) | (p[i] & 0x3F);
		}
		if (!ok) {
			cp = 0xFFFD;
			len = 1;
		}
		if (out)
			out[n] = cp;
		n++;
		p += len;
	}
	return n;
}

static const char *descr(const nb_value *v)
{
	switch (v->dtype) {
	case NB_F64: return "<f8";
	case NB_I64: return "<i8";
	default: return "|b1";
	}
}

int nb_npy_encode(const nb_value *v, nb_buf *out, nb_err *e)
{
	nb_buf h = NB_BUF_INIT;
	size_t nchars = 0;
	if (v->kind == NB_STR) {
		nchars = utf8_decode(v->str, NULL);
		nb_buf_printf(&h, "{'descr': '<U%zu', 'fortran_order': False, 'shape': (), }", nchars ? nchars : 1);
	} else if (v->kind == NB_ARRAY) {
		nb_buf_printf(&h, "{'descr': '%s', 'fortran_order': False, 'shape': ", descr(v));
		nb_shape_str(v->ndim, v->shape, &h);
		nb_buf_puts(&h, ", }");
	} else {
		nb_buf_release(&h);
		return nb_err_set(e, NB_NOLOC, "a %s cannot be saved as .npy", v->otype->name);
	}
	/* pad so that the data starts at a multiple of 64 bytes */
	size_t total = 10 + h.len + 1;
	size_t pad = (64 - total % 64) % 64;
	nb_buf_pad(&h, ' ', pad);
	nb_buf_putc(&h, '\n');
	nb_buf_add(out, "\x93NUMPY\x01\x00", 8);
	unsigned char len[2] = {(unsigned char)(h.len & 0xFF), (unsigned char)(h.len >> 8)};
	nb_buf_add(out, (const char *)len, 2);
	nb_buf_add(out, h.s, h.len);
	nb_buf_release(&h);
	if (v->kind == NB_STR) {
		uint32_t *cps = nb_xcalloc(nchars ? nchars : 1, sizeof *cps);
		utf8_decode(v->str, cps);
		for (size_t i = 0; i < (nchars ? nchars : 1); i++) {
			unsigned char le[4] = {(unsigned char)cps[i], (unsigned char)(cps[i] >> 8),
					       (unsigned char)(cps[i] >> 16), (unsigned char)(cps[i] >> 24)};
			nb_buf_add(out, (const char *)le, 4);
		}
		free(cps);
		return 0;
	}
	/* x86-64 and the other targets Debian builds nbrun for are little-endian */
	nb_buf_add(out, v->data, v->size * (v->dtype == NB_BOOL ? 1 : 8));
	return 0;
}

int nb_save_state(const nb_state *s, const char *dir, nb_err *e)
{
	if (nb_mkdirs(dir) < 0)
		return nb_err_set(e, NB_NOLOC, "cannot create '%s': %s", dir, strerror(errno));
	nb_buf idx = NB_BUF_INIT;
	nb_buf_puts(&idx, "{\n  \"format\": \"nbrun-state-1\",\n  \"values\": [");
	int first = 1;
	for (size_t i = 0; i < s->n; i++) {
		const nb_binding *b = &s->b[i];
		const nb_value *v = b->value;
		if (v->kind == NB_OBJ)
			continue;
		nb_buf data = NB_BUF_INIT;
		if (nb_npy_encode(v, &data, e) < 0) {
			nb_buf_release(&data);
			nb_buf_release(&idx);
			return -1;
		}
		char *path = nb_xasprintf("%s/%s.npy", dir, b->name);
		int rc = nb_write_file_atomic(path, data.s, data.len);
		nb_buf_release(&data);
		if (rc < 0) {
			nb_err_set(e, NB_NOLOC, "cannot write '%s': %s", path, strerror(errno));
			free(path);
			nb_buf_release(&idx);
			return -1;
		}
		free(path);
		nb_buf_puts(&idx, first ? "\n    {\"name\": " : ",\n    {\"name\": ");
		first = 0;
		json_str(&idx, b->name);
		nb_buf_puts(&idx, ", \"file\": ");
		char *file = nb_xasprintf("%s.npy", b->name);
		json_str(&idx, file);
		free(file);
		if (v->kind == NB_STR) {
			nb_buf_puts(&idx, ", \"dtype\": \"str\", \"shape\": []");
		} else {
			nb_buf_printf(&idx, ", \"dtype\": \"%s\", \"shape\": [", nb_dtype_name(v->dtype));
			for (int d = 0; d < v->ndim; d++)
				nb_buf_printf(&idx, d ? ", %zu" : "%zu", v->shape[d]);
			nb_buf_puts(&idx, "]");
		}
		nb_buf_puts(&idx, ", \"cell\": ");
		json_str(&idx, b->cell);
		nb_buf_puts(&idx, "}");
	}
	nb_buf_puts(&idx, first ? "]\n}\n" : "\n  ]\n}\n");
	char *path = nb_xasprintf("%s/state.json", dir);
	int rc = nb_write_file_atomic(path, idx.s, idx.len);
	if (rc < 0)
		nb_err_set(e, NB_NOLOC, "cannot write '%s': %s", path, strerror(errno));
	free(path);
	nb_buf_release(&idx);
	return rc;
}
