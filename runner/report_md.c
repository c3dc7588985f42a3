/*
 * report_md.c - the markdown report: the notebook's flow, with each cell's
 * source, printed output, figures and errors in place.
 */
#include <string.h>

#include "run.h"

/* A fence of backticks longer than any run inside text. */
static void fence(const char *text, char *out, size_t cap)
{
	size_t run = 0, best = 0;
	for (const char *p = text; *p; p++) {
		run = *p == '`' ? run + 1 : 0;
		if (run > best)
			best = run;
	}
	size_t n = best < 3 ? 3 : best + 1;
	if (n >= cap)
		n = cap - 1;
	memset(out, '`', n);
	out[n] = '\0';
}

static void block(nb_buf *b, const char *lang, const char *text)
{
	char f[64];
	fence(text, f, sizeof f);
	size_t len = strlen(text);
	while (len && text[len - 1] == '\n')
		len--;
	nb_buf_printf(b, "%s%s\n", f, lang);
	nb_buf_add(b, text, len);
	nb_buf_printf(b, "\n%s\n\n", f);
}

void nb_cell_source(const nb_cell *c, nb_buf *out)
{
	const nb_ynode *n = c->node;
	const char *s = n->src + n->src_start;
	size_t len = n->src_end - n->src_start;
	while (len && (s[len - 1] == '\n' || s[len - 1] == ' ' || s[len - 1] == '\r'))
		len--;
	size_t indent = (size_t)(n->loc.col - 1);
	size_t i = 0;
	while (i < len) {
		size_t j = i;
		while (j < len && s[j] != '\n')
			j++;
		size_t skip = 0;
		if (i > 0)
			while (skip < indent && i + skip < j && s[i + skip] == ' ')
				skip++;
		nb_buf_add(out, s + i + skip, j - i - skip);
		nb_buf_putc(out, '\n');
		i = j + 1;
	}
}

void nb_report_md(const nb_run *r, nb_buf *b)
{
	const nb_notebook *nb = r->nb;
	nb_buf_printf(b, "# %s\n\n", nb->title);
	int meta = 0;
	if (nb->source) {
		nb_buf_printf(b, "Source: <%s>", nb->source);
		meta = 1;
	}
	if (nb->nauthors) {
		nb_buf_puts(b, meta ? " · Authors: " : "Authors: ");
		for (size_t i = 0; i < nb->nauthors; i++)
			nb_buf_printf(b, "%s%s", i ? ", " : "", nb->authors[i]);
		meta = 1;
	}
	if (nb->licence) {
		nb_buf_printf(b, "%sLicence: %s", meta ? " · " : "", nb->licence);
		meta = 1;
	}
	if (meta)
		nb_buf_puts(b, "\n\n");
	size_t stopped = nb->ncells;
	for (size_t i = 0; i < nb->ncells; i++) {
		const nb_cell *c = &nb->cells[i];
		const nb_cellres *res = &r->res[i];
		if (res->ran == 0) {
			stopped = i;
			break;
		}
		if (c->kind == NB_CELL_MD) {
			const char *t = c->md;
			size_t len = strlen(t);
			while (len && t[len - 1] == '\n')
				len--;
			nb_buf_add(b, t, len);
			nb_buf_puts(b, "\n\n");
			continue;
		}
		if (!c->hide) {
			nb_buf src = NB_BUF_INIT;
			nb_cell_source(c, &src);
			block(b, "yaml", nb_buf_str(&src));
			nb_buf_release(&src);
		}
		if (res->text.len)
			block(b, "text", nb_buf_str(&res->text));
		for (size_t k = 0; k < res->nfigs; k++) {
			const nb_figref *f = &res->figs[k];
			const char *file = f->anim ? f->anim : f->png ? f->png : f->svg ? f->svg : f->pdf;
			if (file)
				nb_buf_printf(b, "![%s](%s)\n\n", f->alt ? f->alt : f->name, file);
			if (f->anim && f->png)
				nb_buf_printf(b, "All frames at once: [%s](%s)\n\n", f->png, f->png);
		}
		if (res->ran < 0) {
			nb_buf_printf(b, "**Error in cell `%s`%s:**\n\n", c->label, res->check_failed ? " (check failed)" : "");
			nb_buf e = NB_BUF_INIT;
			nb_err_format(&res->err, &e);
			block(b, "text", nb_buf_str(&e));
			nb_buf_release(&e);
			stopped = i + 1;
			break;
		}
	}
	if (stopped < nb->ncells) {
		size_t left = nb->ncells - stopped;
		nb_buf_printf(b, "*The run stopped here: %zu later cell%s did not run.*\n\n", left, left == 1 ? "" : "s");
	}
	/* exactly one trailing newline */
	while (b->len >= 2 && b->s[b->len - 1] == '\n' && b->s[b->len - 2] == '\n')
		b->s[--b->len] = '\0';
}
