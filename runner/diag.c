#include "diag.h"

#include <stdlib.h>
#include <string.h>

int nb_err_vset(nb_err *e, nb_loc loc, const char *fmt, va_list ap)
{
	if (!e)
		return -1;
	nb_err_clear(e);
	nb_buf b = NB_BUF_INIT;
	nb_buf_vprintf(&b, fmt, ap);
	e->msg = nb_buf_detach(&b);
	e->loc = loc;
	if (loc.file)
		e->loc.file = e->file = nb_xstrdup(loc.file);
	e->set = 1;
	return -1;
}

int nb_err_set(nb_err *e, nb_loc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	nb_err_vset(e, loc, fmt, ap);
	va_end(ap);
	return -1;
}

void nb_err_note(nb_err *e, nb_loc loc, const char *fmt, ...)
{
	if (!e)
		return;
	nb_buf b = NB_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	nb_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	free(e->note);
	free(e->note_file);
	e->note_file = NULL;
	e->note = nb_buf_detach(&b);
	e->note_loc = loc;
	if (loc.file)
		e->note_loc.file = e->note_file = nb_xstrdup(loc.file);
}

void nb_err_prefix(nb_err *e, const char *fmt, ...)
{
	if (!e || !e->set)
		return;
	nb_buf b = NB_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	nb_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	nb_buf_puts(&b, e->msg ? e->msg : "");
	free(e->msg);
	e->msg = nb_buf_detach(&b);
}

void nb_err_locate(nb_err *e, nb_loc loc)
{
	if (e && e->set && e->loc.line == 0) {
		free(e->file);
		e->file = NULL;
		e->loc = loc;
		if (loc.file)
			e->loc.file = e->file = nb_xstrdup(loc.file);
	}
}

void nb_err_clear(nb_err *e)
{
	if (!e)
		return;
	free(e->msg);
	free(e->note);
	free(e->file);
	free(e->note_file);
	*e = (nb_err)NB_ERR_INIT;
}

static void put_loc(nb_buf *b, nb_loc loc)
{
	if (loc.file)
		nb_buf_printf(b, "%s:", loc.file);
	if (loc.line > 0) {
		nb_buf_printf(b, "%d:", loc.line);
		if (loc.col > 0)
			nb_buf_printf(b, "%d:", loc.col);
	}
	if (loc.file || loc.line > 0)
		nb_buf_putc(b, ' ');
}

void nb_err_format(const nb_err *e, nb_buf *b)
{
	put_loc(b, e->loc);
	nb_buf_printf(b, "error: %s\n", e->msg ? e->msg : "unknown error");
	if (e->note) {
		put_loc(b, e->note_loc);
		nb_buf_printf(b, "note: %s\n", e->note);
	}
}

void nb_err_print(FILE *f, const nb_err *e)
{
	nb_buf b = NB_BUF_INIT;
	nb_err_format(e, &b);
	fputs(nb_buf_str(&b), f);
	nb_buf_release(&b);
}
