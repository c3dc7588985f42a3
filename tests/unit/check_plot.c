/*
 * check_plot.c - the figure library: ticks and labels against matplotlib
 * (tests/fixtures/tick_cases.tsv, gen_ticks.py), colours and format
 * strings, math layout, streamlines against matplotlib (stream_cases.tsv,
 * gen_stream.py), 3-D projections against mplot3d (view3d_cases.tsv,
 * gen_view3d.py), contour levels and colormaps (plotdata_cases.tsv,
 * gen_plotdata.py), contour geometry on known fields, legend placement (legend_cases.tsv, gen_legend.py), and
 * byte-identical output in every format.
 */
#define _GNU_SOURCE
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cairo.h>
#include <gif_lib.h>

#include "plot.h"
#include "plot_text.h"
#include "testutil.h"

START_TEST(ticks_like_matplotlib)
{
	char *path = test_path("fixtures/tick_cases.tsv");
	char *text = nb_read_file(path, NULL);
	ck_assert_ptr_nonnull(text);
	int n = 0, bad = 0;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		char *f[6] = {0};
		char *p = line;
		for (int i = 0; i < 6; i++) {
			f[i] = p;
			p = p ? strchr(p, '\t') : NULL;
			if (p)
				*p++ = '\0';
		}
		double lo = strtod(f[0], NULL), hi = strtod(f[1], NULL);
		int nbins = atoi(f[2]);
		double t[64];
		size_t nt = pl_ticks_auto(lo, hi, nbins, t, 64);
		nb_buf vis = NB_BUF_INIT, labs = NB_BUF_INIT;
		double tol = (hi - lo) * 1e-10;
		int first = 1;
		for (size_t i = 0; i < nt; i++)
			if (t[i] >= lo - tol && t[i] <= hi + tol) {
				nb_buf_puts(&vis, first ? "" : " ");
				nb_fmt_repr(t[i], &vis);
				first = 0;
			}
		char *labels[64], offset[96];
		pl_format_ticks(t, nt, lo, hi, labels, offset, sizeof offset);
		for (size_t i = 0; i < nt; i++) {
			nb_buf_printf(&labs, "%s%s", i ? "|" : "", labels[i]);
			free(labels[i]);
		}
		n++;
		if (strcmp(nb_buf_str(&vis), f[3]) || strcmp(nb_buf_str(&labs), f[4]) || strcmp(offset, f[5] ? f[5] : "")) {
			fprintf(stderr, "[%s, %s] nbins %d:\n  nbrun      %s | %s | %s\n  matplotlib %s | %s | %s\n", f[0], f[1], nbins,
				nb_buf_str(&vis), nb_buf_str(&labs), offset, f[3], f[4], f[5] ? f[5] : "");
			bad++;
		}
		nb_buf_release(&vis);
		nb_buf_release(&labs);
	}
	free(text);
	free(path);
	ck_assert_int_ge(n, 50);
	ck_assert_msg(bad == 0, "%d of %d tick cases differ from matplotlib", bad, n);
}
END_TEST

START_TEST(colors_and_formats)
{
	pl_rgba c;
	ck_assert_int_eq(pl_color_parse("g", &c), 0);
	ck_assert(c.r == 0 && c.g == 0.5 && c.b == 0);
	ck_assert_int_eq(pl_color_parse("C1", &c), 0);
	ck_assert(fabs(c.r - 1.0) < 1e-12 && fabs(c.g - 0x7f / 255.0) < 1e-12 && fabs(c.b - 0x0e / 255.0) < 1e-12);
	ck_assert_int_eq(pl_color_parse("#80808080", &c), 0);
	ck_assert(fabs(c.a - 128 / 255.0) < 1e-12 && fabs(c.r - 128 / 255.0) < 1e-12);
	ck_assert_int_eq(pl_color_parse("lightgray", &c), 0);
	ck_assert(fabs(c.r - 0xd3 / 255.0) < 1e-12);
	ck_assert_int_eq(pl_color_parse("0.8", &c), 0);
	ck_assert(c.r == 0.8 && c.g == 0.8);
	ck_assert_int_eq(pl_color_parse("tab:orange", &c), 0);
	ck_assert_int_eq(pl_color_parse("notacolour", &c), -1);
	pl_style s;
	char err[128];
	pl_style_init(&s);
	ck_assert_int_eq(pl_style_fmt(&s, "ro", err, sizeof err), 0);
	ck_assert(s.marker == 'o' && s.linestyle == PL_LS_NONE && s.has_color && s.color.r == 1);
	pl_style_init(&s);
	ck_assert_int_eq(pl_style_fmt(&s, "k--", err, sizeof err), 0);
	ck_assert(s.linestyle == PL_LS_DASHED && s.marker == 0 && s.color.r == 0);
	pl_style_init(&s);
	ck_assert_int_eq(pl_style_fmt(&s, "o-", err, sizeof err), 0);
	ck_assert(s.linestyle == PL_LS_SOLID && s.marker == 'o' && !s.has_color);
	pl_style_init(&s);
	ck_assert_int_eq(pl_style_fmt(&s, "C2:.", err, sizeof err), 0);
	ck_assert(s.linestyle == PL_LS_DOTTED && s.marker == '.');
	pl_style_init(&s);
	ck_assert_int_eq(pl_style_fmt(&s, "rq", err, sizeof err), -1);
	ck_assert_str_eq(err, "format string 'rq': 'q' is not a colour, marker or line style");
	pl_style_init(&s);
	ck_assert_int_eq(pl_style_fmt(&s, "rg", err, sizeof err), -1);
	ck_assert_str_eq(err, "format string 'rg' gives two colours");
}
END_TEST

START_TEST(math_as_plain_text)
{
	static const char *const cases[][2] = {
		{"\\phi_0", "ϕ₀"},
		{"x^2 + y_{ij}", "x² + yᵢⱼ"},
		{"\\frac{1}{2}", "1/2"},
		{"\\Vert v \\Vert_2^2", "‖ v ‖₂²"},
		{"f[x_{0},\\phi]", "f[x₀,ϕ]"},
		{"\\hat{y}_{t+1}", "yₜ₊₁"},
		{"w_{\\min}", "w_min"},
		{"\\sqrt{x} \\leq \\log n", "√x ≤ log n"},
		{"\\left(a\\right)^{T}", "(a)ᵀ"},
		{"a\\,b\\quad c", "ab c"},
		{"x^", "x"},
	};
	for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
		nb_buf b = NB_BUF_INIT;
		pl_tl_plain(cases[k][0], &b);
		ck_assert_msg(!strcmp(b.s ? b.s : "", cases[k][1]), "'%s' gave '%s', not '%s'", cases[k][0], b.s ? b.s : "",
			      cases[k][1]);
		nb_buf_release(&b);
	}
}
END_TEST

START_TEST(math_layout)
{
	cairo_surface_t *sf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 10, 10);
	cairo_t *cr = cairo_create(sf);
	PangoContext *pc = pango_cairo_create_context(cr);
	pango_cairo_context_set_resolution(pc, 72);
	/* ‖v‖₂²: sub- and superscript start at the same x, one above the other */
	pl_tl *t = pl_tl_layout(pc, "$\\Vert v \\Vert_2^2$", 10);
	ck_assert_uint_eq(t->np, 5);
	ck_assert_str_eq(t->p[0].text, "‖");
	ck_assert_str_eq(t->p[1].text, "v");
	ck_assert_int_eq(t->p[1].style, 1); /* italic letter */
	const pl_piece *sup = &t->p[3], *sub = &t->p[4];
	ck_assert_str_eq(sup->text, "2");
	ck_assert_str_eq(sub->text, "2");
	ck_assert(sup->y > 0 && sub->y < 0);
	ck_assert(fabs(sup->x - sub->x) < 0.2);
	ck_assert(sup->size < 10 && sub->size < 10);
	pl_tl_free(t);
	free(t);
	/* Greek, \mathbf, the minus sign, plain text around math */
	t = pl_tl_layout(pc, "loss $-\\mathbf{X}\\phi$ here", 10);
	ck_assert_str_eq(t->p[0].text, "loss ");
	ck_assert_str_eq(t->p[1].text, "−");
	ck_assert_str_eq(t->p[2].text, "X");
	ck_assert_int_eq(t->p[2].style, 2);
	ck_assert_str_eq(t->p[3].text, "ϕ");
	ck_assert_str_eq(t->p[4].text, " here");
	ck_assert(t->width > 40 && t->ascent > 6 && t->descent > 1);
	pl_tl_free(t);
	free(t);
	/* \frac stacks, with a rule between */
	t = pl_tl_layout(pc, "$\\frac{a}{b}$", 10);
	ck_assert_uint_eq(t->np, 2);
	ck_assert_uint_eq(t->nr, 1);
	ck_assert(t->p[0].y > 0 && t->p[1].y < t->r[0].y);
	pl_tl_free(t);
	free(t);
	g_object_unref(pc);
	pc = pango_cairo_create_context(cr);
	pango_cairo_context_set_resolution(pc, 72);
	/* display style (the PDF report): a larger sum with its limits centred below and above */
	t = pl_tl_math(pc, "\\sum_{i=1}^{n} x_i", 10, "DejaVu Serif", 1);
	ck_assert_str_eq(t->p[0].text, "∑");
	ck_assert(t->p[0].size > 14);
	const pl_piece *op = &t->p[0], *hi = NULL, *lo = NULL;
	for (size_t k = 1; k < t->np; k++) {
		if (!strcmp(t->p[k].text, "n"))
			hi = &t->p[k];
		if (!strcmp(t->p[k].text, "i") && !lo)
			lo = &t->p[k];
	}
	ck_assert(hi && lo);
	ck_assert(hi->y > 8 && lo->y < -5);           /* above the operator's top, below its bottom */
	ck_assert(hi->x > op->x && hi->x < op->x + 10); /* over the operator, not beside it */
	ck_assert_ptr_eq(t->family, "DejaVu Serif");
	pl_tl_free(t);
	free(t);
	/* text style keeps the limits as scripts beside the sum */
	t = pl_tl_math(pc, "\\sum_{i=1}^{n} x_i", 10, NULL, 0);
	ck_assert(t->p[0].size == 10);
	ck_assert(t->p[1].x > t->p[0].x + 5);
	pl_tl_free(t);
	free(t);
	/* \left( ... \right) grow round a fraction; a plain (x) keeps its size */
	t = pl_tl_math(pc, "\\left(\\frac{a}{b}\\right)", 10, NULL, 1);
	ck_assert_str_eq(t->p[0].text, "(");
	ck_assert_str_eq(t->p[t->np - 1].text, ")");
	ck_assert(t->p[0].size > 13 && t->p[t->np - 1].size == t->p[0].size);
	pl_tl_free(t);
	free(t);
	t = pl_tl_math(pc, "\\left(x\\right)", 10, NULL, 1);
	ck_assert(t->p[0].size == 10);
	pl_tl_free(t);
	free(t);
	/* TeX spacing: a binary minus is spaced, a unary one is not; none round = in a script */
	t = pl_tl_math(pc, "-a - b", 10, NULL, 0);
	ck_assert_uint_eq(t->np, 4);
	double gap_unary = t->p[1].x - t->p[0].x, gap_binary = t->p[3].x - t->p[2].x;
	ck_assert(gap_binary > gap_unary + 2);
	pl_tl_free(t);
	free(t);
	g_object_unref(pc);
	cairo_destroy(cr);
	cairo_surface_destroy(sf);
}
END_TEST

/* The fields of tests/fixtures/gen_stream.py. */
static void stream_field(const char *name, double x, double y, double *u, double *v)
{
	if (!strcmp(name, "swirl")) {
		*u = -y;
		*v = x + 0.3 * sin(3 * x);
	} else if (!strcmp(name, "saddle")) {
		*u = x;
		*v = -y;
	} else {
		*u = -(x - 0.3) - 0.5 * y;
		*v = -y + 0.5 * (x - 0.3);
	}
}

static int near(double a, double b)
{
	return fabs(a - b) <= 1e-9 * (1 + fabs(b));
}

START_TEST(streamlines_like_matplotlib)
{
	char *path = test_path("fixtures/stream_cases.tsv");
	char *text = nb_read_file(path, NULL);
	ck_assert_ptr_nonnull(text);
	free(path);
	char *save = NULL, *line = strtok_r(text, "\n", &save);
	int cases = 0;
	while (line) {
		if (strncmp(line, "case\t", 5)) {
			line = strtok_r(NULL, "\n", &save);
			continue;
		}
		char name[16];
		int nx, ny, nlines, npoints;
		double x0, x1, y0, y1, density;
		ck_assert_int_eq(sscanf(line, "case\t%15s\t%d\t%d\t%lf\t%lf\t%lf\t%lf\t%lf\t%d\t%d", name, &nx, &ny, &x0, &x1, &y0,
					&y1, &density, &nlines, &npoints), 10);
		double *xs = nb_xmalloc(nx * sizeof *xs), *ys = nb_xmalloc(ny * sizeof *ys);
		double *u = nb_xmalloc(nx * ny * sizeof *u), *v = nb_xmalloc(nx * ny * sizeof *v);
		/* numpy's linspace: start + i * step, the last point exact */
		for (int i = 0; i < nx; i++)
			xs[i] = i == nx - 1 ? x1 : x0 + i * ((x1 - x0) / (nx - 1));
		for (int j = 0; j < ny; j++)
			ys[j] = j == ny - 1 ? y1 : y0 + j * ((y1 - y0) / (ny - 1));
		for (int j = 0; j < ny; j++)
			for (int i = 0; i < nx; i++)
				stream_field(name, xs[i], ys[j], &u[j * nx + i], &v[j * nx + i]);
		pl_figure *f = pl_figure_new(6.4, 4.8, 100);
		pl_axes *a = pl_subplot(f, 1, 1, 0);
		pl_style st;
		pl_style_init(&st);
		pl_streamplot(a, xs, (size_t)nx, ys, (size_t)ny, u, v, density, 1, &st);
		const double *px, *py;
		size_t n = pl_layer_path(a, 0, &px, &py), start = 0;
		int got = 0, points = 0;
		for (size_t i = 0; i < n; i++) {
			if (!isnan(px[i]))
				continue;
			line = strtok_r(NULL, "\n", &save);
			ck_assert_msg(line && !strncmp(line, "line\t", 5), "%s: nbrun draws more than %d streamlines", name, nlines);
			int len;
			double e[6];
			ck_assert_int_eq(sscanf(line, "line\t%d\t%lf\t%lf\t%lf\t%lf\t%lf\t%lf", &len, &e[0], &e[1], &e[2], &e[3], &e[4],
						&e[5]), 7);
			size_t m = i - start, mid = start + m / 2;
			ck_assert_msg((int)m == len && near(px[start], e[0]) && near(py[start], e[1]) && near(px[mid], e[2]) &&
					      near(py[mid], e[3]) && near(px[i - 1], e[4]) && near(py[i - 1], e[5]),
				      "%s streamline %d: nbrun %zu points (%.17g, %.17g) .. (%.17g, %.17g), matplotlib %d points (%.17g, "
				      "%.17g) .. (%.17g, %.17g)",
				      name, got, m, px[start], py[start], px[i - 1], py[i - 1], len, e[0], e[1], e[4], e[5]);
			got++;
			points += (int)m;
			start = i + 1;
		}
		ck_assert_int_eq(got, nlines);
		ck_assert_int_eq(points, npoints);
		pl_figure_free(f);
		free(xs);
		free(ys);
		free(u);
		free(v);
		cases++;
		line = strtok_r(NULL, "\n", &save);
	}
	ck_assert_int_eq(cases, 4);
	free(text);
}
END_TEST

START_TEST(view3d_like_matplotlib)
{
	char *path = test_path("fixtures/view3d_cases.tsv");
	char *text = nb_read_file(path, NULL);
	ck_assert_ptr_nonnull(text);
	free(path);
	char *save = NULL;
	int cases = 0;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		double f[25];
		char *p = line;
		for (int i = 0; i < 25; i++)
			f[i] = strtod(p, &p);
		pl_figure *fig = pl_figure_new(6.4, 4.8, 100);
		pl_axes *a = pl_subplot(fig, 1, 1, 0);
		pl_axes3d(a, f[0], f[1], f[2]);
		double x[4] = {f[3], f[4], f[3], f[4]}, y[4] = {f[5], f[5], f[6], f[6]}, z[4] = {f[7], f[8], f[8], f[7]};
		pl_style st;
		pl_style_init(&st);
		pl_surface(a, x, y, z, 2, 2, NULL, &st);
		double M[4][4];
		pl_axes3d_proj(a, M);
		for (int i = 0; i < 16; i++) {
			double want = f[9 + i], got = M[i / 4][i % 4];
			ck_assert_msg(fabs(got - want) <= 1e-12 * (1 + fabs(want)), "view %g/%g: M[%d][%d] is %.17g, matplotlib %.17g",
				      f[0], f[1], i / 4, i % 4, got, want);
		}
		pl_figure_free(fig);
		cases++;
	}
	ck_assert_int_eq(cases, 5);
	free(text);
}
END_TEST

/* Frame k of a GIF read back, shown over the ones before in shown (the screen, w pixels wide):
 * its pixels but the transparent ones. */
static void gif_show(const GifFileType *r, int k, int transparent, GifColorType *shown, int w)
{
	const SavedImage *im = &r->SavedImages[k];
	const GifImageDesc *d = &im->ImageDesc;
	const ColorMapObject *map = d->ColorMap ? d->ColorMap : r->SColorMap;
	ck_assert_ptr_nonnull(map);
	for (int y = 0; y < d->Height; y++)
		for (int x = 0; x < d->Width; x++) {
			int c = im->RasterBits[y * d->Width + x];
			if (c != transparent)
				shown[(size_t)(d->Top + y) * (size_t)w + (size_t)(d->Left + x)] = map->Colors[c];
		}
}

/* A frame of w x h pixels from pix(x, y, k) (RGB), as cairo holds it. */
static cairo_surface_t *gif_frame(int w, int h, int k, uint32_t (*pix)(int, int, int))
{
	cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
	cairo_surface_flush(s);
	unsigned char *d = cairo_image_surface_get_data(s);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			((uint32_t *)(d + (size_t)y * (size_t)cairo_image_surface_get_stride(s)))[x] = pix(x, y, k);
	cairo_surface_mark_dirty(s);
	return s;
}

/* 200 colours on the quantiser's 5-bit grid, so that the palette holds them exactly */
static uint32_t grid_colour(unsigned i)
{
	i %= 200;
	return (i * 8 % 256) << 16 | (i / 32 * 40 % 256) << 8 | (i * 24 % 256);
}

/* frame 0: noise (the string table fills and is cleared again and again); 1: runs of every
 * length up to rows and more, of changing colours; 2: one pixel changed */
static uint32_t lzw_pixel(int x, int y, int k)
{
	if (k == 0) {
		uint32_t v = (uint32_t)(x * 7919 + y * 104729) * 2654435761u;
		return grid_colour(v >> 24);
	}
	int i = y * 300 + x;
	if (k == 2 && x == 17 && y == 33)
		return grid_colour(5);
	if (y >= 150) /* one run of 15 000 pixels */
		return grid_colour(3);
	int run = 1, start = 0, c = 0;
	while (start + run <= i) { /* runs of 1, 2, 3, ... pixels, colours in turn */
		start += run++;
		c++;
	}
	return grid_colour((unsigned)(c % 3 == 2 ? c / 3 : 7));
}

/* The frames read back: each pixel exactly its colour (the data's compression is nbrun's own,
 * step for step giflib's; giflib decodes it). */
START_TEST(gif_data_exact)
{
	char dir[] = "/tmp/nbrun-gif-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char *path = nb_xasprintf("%s/l.gif", dir);
	enum { W = 300, H = 200, N = 3 };
	pl_gif *g = pl_gif_open(path, W, H);
	ck_assert_ptr_nonnull(g);
	cairo_surface_t *src[N];
	for (int k = 0; k < N; k++) {
		src[k] = gif_frame(W, H, k, lzw_pixel);
		ck_assert_int_eq(pl_gif_add(g, src[k], 10), 0);
	}
	ck_assert_int_eq(pl_gif_close(g), 0);
	int err;
	GifFileType *r = DGifOpenFileName(path, &err);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(DGifSlurp(r), GIF_OK);
	ck_assert_int_eq(r->ImageCount, N);
	GifColorType *shown = nb_xcalloc((size_t)W * H, sizeof *shown);
	for (int k = 0; k < N; k++) {
		const GifImageDesc *d = &r->SavedImages[k].ImageDesc;
		GraphicsControlBlock gcb;
		ck_assert_int_eq(DGifSavedExtensionToGCB(r, k, &gcb), GIF_OK);
		gif_show(r, k, gcb.TransparentColor, shown, W);
		if (k == 2) /* the one pixel that changed */
			ck_assert(d->Left == 17 && d->Top == 33 && d->Width == 1 && d->Height == 1);
		for (int y = 0; y < H; y++)
			for (int x = 0; x < W; x++) {
				uint32_t p = lzw_pixel(x, y, k);
				GifColorType c = shown[(size_t)y * W + (size_t)x];
				if (c.Red != (p >> 16 & 255) || c.Green != (p >> 8 & 255) || c.Blue != (p & 255))
					ck_abort_msg("frame %d, pixel (%d, %d): %d %d %d, drawn %u %u %u", k, x, y, c.Red, c.Green,
						     c.Blue, p >> 16 & 255, p >> 8 & 255, p & 255);
			}
		cairo_surface_destroy(src[k]);
	}
	free(shown);
	DGifCloseFile(r, &err);
	unlink(path);
	rmdir(dir);
	free(path);
}
END_TEST

/* pl_median_cut gives every pixel the index giflib's GifQuantizeBuffer gives it (the same
 * median cut), and each colour the exact mean of its pixels: images of a few colours, of
 * gradients, of noise, of one colour, from 1 to 60 000 pixels, into 2 to 256 colours. */
START_TEST(median_cut_as_giflib)
{
	uint64_t r = 0x243f6a8885a308d3u;
	int bad = 0, cases = 0;
	for (int t = 0; t < 60; t++) {
		size_t n = t == 0 ? 1 : (size_t)(1 + (t * 997) % 60000);
		int ncol = (int[]){256, 255, 16, 2, 100}[t % 5];
		uint32_t *px = malloc(n * sizeof *px);
		for (size_t i = 0; i < n; i++) {
			r ^= r << 13, r ^= r >> 7, r ^= r << 17;
			uint32_t p;
			switch (t % 4) {
			case 0: p = (uint32_t)(r & 0xffffffff); break;                       /* noise, top byte too */
			case 1: p = (uint32_t[]){0xffffff, 0x1f77b4, 0xff7f0e, 0}[r % 4]; break; /* a few colours */
			case 2: p = (uint32_t)((i * 255 / n) << 16 | (r % 7) << 8 | 0x80); break; /* a gradient */
			default: p = i < n / 2 ? 0xffffff : (uint32_t)(r & 0x3f3f3f); break;      /* half white */
			}
			px[i] = p;
		}
		unsigned char *idx = malloc(n), rgb[256 * 3];
		GifByteType *gr = malloc(n), *gg = malloc(n), *gb = malloc(n), *gi = malloc(n);
		GifColorType gmap[256];
		for (size_t i = 0; i < n; i++) {
			gr[i] = (GifByteType)(px[i] >> 16);
			gg[i] = (GifByteType)(px[i] >> 8);
			gb[i] = (GifByteType)px[i];
		}
		int gncol = ncol;
		ck_assert_int_eq(GifQuantizeBuffer((unsigned)n, 1, &gncol, gr, gg, gb, gi, gmap), GIF_OK);
		ck_assert_int_eq(pl_median_cut(px, n, ncol, idx, rgb), 0);
		cases++;
		if (memcmp(idx, gi, n))
			bad++;
		/* each colour the mean of its pixels, rounded */
		double sum[256][3] = {{0}}, cnt[256] = {0};
		for (size_t i = 0; i < n; i++) {
			sum[idx[i]][0] += px[i] >> 16 & 0xff;
			sum[idx[i]][1] += px[i] >> 8 & 0xff;
			sum[idx[i]][2] += px[i] & 0xff;
			cnt[idx[i]]++;
		}
		for (int k = 0; k < ncol; k++)
			for (int ch = 0; ch < 3 && cnt[k]; ch++)
				ck_assert_int_eq(rgb[3 * k + ch], (int)lrint(sum[k][ch] / cnt[k]));
		free(px), free(idx), free(gr), free(gg), free(gb), free(gi);
	}
	ck_assert_msg(bad == 0, "%d of %d images indexed unlike giflib", bad, cases);
	unsigned char idx1, rgb1[3 * 256];
	uint32_t one = 0x123456;
	ck_assert_int_eq(pl_median_cut(&one, 1, 0, &idx1, rgb1), -1);
	ck_assert_int_eq(pl_median_cut(&one, 1, 257, &idx1, rgb1), -1);
}
END_TEST

START_TEST(animated_gif)
{
	char dir[] = "/tmp/nbrun-gif-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char *path = nb_xasprintf("%s/a.gif", dir);
	pl_gif *g = NULL;
	int w = 0, h = 0;
	cairo_surface_t *src[4];
	for (int k = 0; k < 4; k++) {
		pl_figure *f = pl_figure_new(2, 1.5, 100);
		pl_axes *a = pl_subplot(f, 1, 1, 0);
		double x[2] = {0, 1}, y[2] = {0, k < 3 ? k : 2}; /* the last frame repeats the one before */
		pl_style s;
		pl_style_init(&s);
		pl_plot(a, x, y, 2, &s);
		pl_set_ylim(a, -0.1, 2.1);
		src[k] = pl_render_image(f);
		if (k == 0) {
			w = cairo_image_surface_get_width(src[k]);
			h = cairo_image_surface_get_height(src[k]);
			g = pl_gif_open(path, w, h);
			ck_assert_ptr_nonnull(g);
		}
		ck_assert_int_eq(pl_gif_add(g, src[k], 25), 0);
		pl_figure_free(f);
	}
	ck_assert_int_eq(pl_gif_close(g), 0);
	/* created as other files are (giflib alone would make it private to its owner) */
	struct stat st;
	mode_t mask = umask(0);
	umask(mask);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0666 & ~mask);
	/* read it back with giflib: four frames of 200×150, a quarter second each; the first whole,
	 * the others only where they differ from the one before (the rest transparent); each frame
	 * shown over the ones before is its figure to within the quantisation */
	int err;
	GifFileType *r = DGifOpenFileName(path, &err);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(DGifSlurp(r), GIF_OK);
	ck_assert_int_eq(r->ImageCount, 4);
	ck_assert_int_eq(r->SWidth, w);
	ck_assert_int_eq(r->SHeight, h);
	ck_assert_int_eq(w, 200);
	ck_assert_int_eq(h, 150);
	GifColorType *shown = nb_xcalloc((size_t)w * (size_t)h, sizeof *shown);
	for (int k = 0; k < 4; k++) {
		GraphicsControlBlock gcb;
		ck_assert_int_eq(DGifSavedExtensionToGCB(r, k, &gcb), GIF_OK);
		ck_assert_int_eq(gcb.DelayTime, 25);
		ck_assert_int_eq(gcb.TransparentColor, k == 0 ? NO_TRANSPARENT_COLOR : 255);
		const SavedImage *im = &r->SavedImages[k];
		const GifImageDesc *d = &im->ImageDesc;
		if (k == 0)
			ck_assert(d->Left == 0 && d->Top == 0 && d->Width == w && d->Height == h);
		else if (k < 3) /* the line moved: a box inside the axes */
			ck_assert(d->Width < w && d->Height < h && d->Width > 10 && d->Height > 10);
		else /* nothing moved: one transparent pixel */
			ck_assert(d->Width == 1 && d->Height == 1 && im->RasterBits[0] == 255);
		gif_show(r, k, gcb.TransparentColor, shown, w);
		const unsigned char *data = cairo_image_surface_get_data(src[k]);
		int stride = cairo_image_surface_get_stride(src[k]), worst = 0;
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++) {
				uint32_t p = ((const uint32_t *)(data + (size_t)y * (size_t)stride))[x];
				GifColorType c = shown[(size_t)y * (size_t)w + (size_t)x];
				int e = abs(c.Red - (int)(p >> 16 & 255)) + abs(c.Green - (int)(p >> 8 & 255)) + abs(c.Blue - (int)(p & 255));
				worst = e > worst ? e : worst;
			}
		ck_assert_msg(worst <= 24, "frame %d: a pixel %d off", k, worst);
		GifColorType c0 = shown[0];
		ck_assert_msg(c0.Red == 255 && c0.Green == 255 && c0.Blue == 255, "corner %d %d %d", c0.Red, c0.Green, c0.Blue);
		cairo_surface_destroy(src[k]);
	}
	free(shown);
	DGifCloseFile(r, &err);
	unlink(path);
	rmdir(dir);
	free(path);
}
END_TEST

START_TEST(levels_and_colormaps_like_matplotlib)
{
	char *path = test_path("fixtures/plotdata_cases.tsv");
	char *text = nb_read_file(path, NULL);
	ck_assert_ptr_nonnull(text);
	free(path);
	char *save = NULL;
	int nlev = 0, ncmap = 0, bad = 0;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "levels\t", 7)) {
			char *p = line + 7;
			double lo = strtod(p, &p), hi = strtod(p, &p);
			int n = (int)strtol(p, &p, 10), filled = (int)strtol(p, &p, 10);
			double want[64], got[1100];
			size_t nw = 0;
			while (*p && nw < 64) {
				char *e;
				double v = strtod(p, &e);
				if (e == p)
					break;
				want[nw++] = v;
				p = e;
			}
			size_t ng = pl_contour_levels(lo, hi, n, filled, got, 1100);
			int ok = ng == nw;
			for (size_t i = 0; ok && i < nw; i++)
				ok = fabs(got[i] - want[i]) <= 1e-12 * (1 + fabs(want[i]));
			if (!ok) {
				fprintf(stderr, "levels [%g, %g] n=%d filled=%d: nbrun %zu levels (%g..%g), matplotlib %zu (%g..%g)\n", lo,
					hi, n, filled, ng, ng ? got[0] : NAN, ng ? got[ng - 1] : NAN, nw, nw ? want[0] : NAN,
					nw ? want[nw - 1] : NAN);
				bad++;
			}
			nlev++;
		} else if (!strncmp(line, "cmap\t", 5)) {
			char name[32];
			double x, c[4];
			ck_assert_int_eq(sscanf(line + 5, "%31s %lf %lf %lf %lf %lf", name, &x, &c[0], &c[1], &c[2], &c[3]), 6);
			const pl_cmap *m = pl_cmap_named(name);
			ck_assert_msg(m != NULL, "colormap %s is missing", name);
			pl_rgba g = pl_cmap_at(m, x);
			/* matplotlib's tables are float64; ours float32 */
			if (fabs(g.r - c[0]) > 1e-6 || fabs(g.g - c[1]) > 1e-6 || fabs(g.b - c[2]) > 1e-6 || fabs(g.a - c[3]) > 1e-6) {
				fprintf(stderr, "%s(%g): nbrun %g %g %g %g, matplotlib %g %g %g %g\n", name, x, g.r, g.g, g.b, g.a, c[0],
					c[1], c[2], c[3]);
				bad++;
			}
			ncmap++;
		}
	}
	free(text);
	ck_assert_int_eq(nlev, 100);
	ck_assert_int_eq(ncmap, 90);
	ck_assert_int_eq(bad, 0);
}
END_TEST

/* An image's extent is a sticky edge, not a limit: a line past it widens the view (x), and
 * origin 'upper' turns the y axis round; limits as matplotlib 3.6 gives them. */
START_TEST(image_limits_like_matplotlib)
{
	double z[12];
	for (int i = 0; i < 12; i++)
		z[i] = i;
	pl_figure *fig = pl_figure_new(6.4, 4.8, 100);
	pl_axes *a = pl_subplot(fig, 1, 1, 1);
	pl_style st;
	pl_style_init(&st);
	pl_imshow(a, z, 3, 4, pl_cmap_named("viridis"), NULL, 0, NAN, NAN, &st);
	double lx[2] = {-1, 5}, ly[2] = {0, 2};
	pl_plot(a, lx, ly, 2, &st);
	char dir[] = "/tmp/nbrun-image-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char *png = nb_xasprintf("%s/i.png", dir);
	ck_assert_int_eq(pl_write_png(fig, png), 0);
	double v[4];
	pl_view_limits(a, v);
	ck_assert_double_eq_tol(v[0], -1.3, 1e-12);
	ck_assert_double_eq_tol(v[1], 5.3, 1e-12);
	ck_assert_double_eq_tol(v[2], 2.5, 1e-12);
	ck_assert_double_eq_tol(v[3], -0.5, 1e-12);
	remove(png);
	rmdir(dir);
	free(png);
	pl_figure_free(fig);
}
END_TEST

START_TEST(legend_placement_like_matplotlib)
{
	char *path = test_path("fixtures/legend_cases.tsv");
	char *text = nb_read_file(path, NULL);
	ck_assert_ptr_nonnull(text);
	free(path);
	char dir[] = "/tmp/nbrun-legend-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char *png = nb_xasprintf("%s/l.png", dir);
	char *save = NULL;
	int cases = 0;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		char *f[7];
		char *p = line;
		for (int i = 0; i < 7; i++) {
			f[i] = p;
			p = strchr(p, '\t');
			if (p)
				*p++ = '\0';
			else
				ck_assert_int_eq(i, 6);
		}
		double a = atof(f[0]), b = atof(f[1]), want[4] = {atof(f[3]), atof(f[4]), atof(f[5]), atof(f[6])};
		pl_figure *fig = pl_figure_new(6.4, 4.8, 100);
		pl_axes *ax = pl_subplot(fig, 1, 1, 0);
		double x[50], y[50];
		for (int i = 0; i < 50; i++) {
			x[i] = i / 49.0;
			y[i] = a * x[i] + b;
		}
		pl_style st;
		pl_style_init(&st);
		st.label = "data";
		pl_plot(ax, x, y, 50, &st);
		ck_assert_int_eq(pl_legend(ax, f[2]), 0);
		ck_assert_int_eq(pl_write_png(fig, png), 0);
		double box[4];
		pl_legend_box(ax, box);
		/* the same corner of the axes: within a point and a half (fonts' extents differ a little) */
		ck_assert_msg(fabs(box[0] - want[0]) < 1.5 && fabs(box[1] - want[1]) < 1.5 && fabs(box[2] - want[2]) < 3 &&
				      fabs(box[3] - want[3]) < 3,
			      "y = %g x + %g, legend '%s': nbrun at (%.1f, %.1f) %.1f×%.1f, matplotlib at (%.1f, %.1f) %.1f×%.1f", a, b,
			      f[2], box[0], box[1], box[2], box[3], want[0], want[1], want[2], want[3]);
		pl_figure_free(fig);
		cases++;
	}
	ck_assert_int_eq(cases, 10);
	unlink(png);
	rmdir(dir);
	free(png);
	free(text);
}
END_TEST

START_TEST(contour_geometry)
{
	enum { N = 81 };
	double *x = nb_xmalloc(N * N * sizeof *x), *y = nb_xmalloc(N * N * sizeof *y), *z = nb_xmalloc(N * N * sizeof *z);
	for (int i = 0; i < N; i++)
		for (int j = 0; j < N; j++) {
			x[i * N + j] = -2 + 4.0 * j / (N - 1);
			y[i * N + j] = -2 + 4.0 * i / (N - 1);
			z[i * N + j] = x[i * N + j] * x[i * N + j] + y[i * N + j] * y[i * N + j];
		}
	/* a paraboloid's level 1 is the unit circle: one closed loop, every point on it */
	double *px, *py;
	size_t n = pl_contour_trace(x, y, z, N, N, 1.0, &px, &py);
	ck_assert(n > 50);
	size_t lines = 0;
	for (size_t i = 0; i < n; i++) {
		if (isnan(px[i])) {
			lines++;
			continue;
		}
		ck_assert_msg(fabs(hypot(px[i], py[i]) - 1) < 1e-3, "point %zu at radius %.6f", i, hypot(px[i], py[i]));
	}
	ck_assert_int_eq(lines, 1);
	ck_assert(px[0] == px[n - 2] && py[0] == py[n - 2]); /* closed: the loop ends where it began */
	free(px);
	free(py);
	/* a saddle's level 0.5: the two branches of the hyperbola x y = 0.5, each open, ending on the boundary */
	for (int k = 0; k < N * N; k++)
		z[k] = x[k] * y[k];
	n = pl_contour_trace(x, y, z, N, N, 0.5, &px, &py);
	lines = 0;
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isnan(px[i])) {
			ck_assert(fabs(px[i] * py[i] - 0.5) < 2e-3);
			continue;
		}
		lines++;
		double ends[2][2] = {{px[start], py[start]}, {px[i - 1], py[i - 1]}};
		for (int e = 0; e < 2; e++)
			ck_assert(fabs(fabs(ends[e][0]) - 2) < 1e-12 || fabs(fabs(ends[e][1]) - 2) < 1e-12);
		start = i + 1;
	}
	ck_assert_int_eq(lines, 2);
	free(px);
	free(py);
	/* a level outside the data draws nothing */
	n = pl_contour_trace(x, y, z, N, N, 10.0, &px, &py);
	ck_assert_int_eq(n, 0);
	free(px);
	free(py);
	free(x);
	free(y);
	free(z);
}
END_TEST

/* the vertices of cr's path (moves and lines), and how many subpaths it has */
static size_t path_points(cairo_t *cr, double *px, double *py, size_t cap, size_t *moves)
{
	cairo_path_t *p = cairo_copy_path(cr);
	size_t n = 0;
	*moves = 0;
	for (int i = 0; i < p->num_data; i += p->data[i].header.length) {
		cairo_path_data_t *d = &p->data[i];
		if (d->header.type == CAIRO_PATH_MOVE_TO)
			(*moves)++;
		if ((d->header.type == CAIRO_PATH_MOVE_TO || d->header.type == CAIRO_PATH_LINE_TO) && n < cap) {
			px[n] = d[1].point.x;
			py[n] = d[1].point.y;
			n++;
		}
	}
	cairo_path_destroy(p);
	cairo_new_path(cr);
	return n;
}

/* distance from (x, y) to the segment a-b */
static double seg_dist(double x, double y, double ax, double ay, double bx, double by)
{
	double dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy;
	double t = l2 > 0 ? ((x - ax) * dx + (y - ay) * dy) / l2 : 0;
	t = t < 0 ? 0 : t > 1 ? 1 : t;
	return hypot(x - ax - t * dx, y - ay - t * dy);
}

START_TEST(path_simplification)
{
	enum { N = 20000 };
	cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 10, 10);
	cairo_t *cr = cairo_create(s);
	double *x = nb_xmalloc(N * sizeof *x), *y = nb_xmalloc(N * sizeof *y);
	double *px = nb_xmalloc(N * sizeof *px), *py = nb_xmalloc(N * sizeof *py);
	size_t moves;
	/* a straight line of many points is one segment */
	for (int i = 0; i < N; i++) {
		x[i] = 10 + 400.0 * i / (N - 1);
		y[i] = 300 - 0.5 * (x[i] - 10);
	}
	pl_simplified_path(cr, x, y, N, 1);
	size_t n = path_points(cr, px, py, N, &moves);
	ck_assert_uint_eq(n, 2);
	ck_assert(px[1] == x[N - 1] && py[1] == y[N - 1]);
	/* a sine 400 units wide: few vertices, and every input point within 1/9 unit of the drawing
	 * (1/9 of a pixel at 2 pixels a unit: 1/18) */
	for (int i = 0; i < N; i++) {
		x[i] = 400.0 * i / (N - 1);
		y[i] = 100 + 80 * sin(x[i] / 20);
	}
	for (int sc = 1; sc <= 2; sc++) {
		pl_simplified_path(cr, x, y, N, sc);
		n = path_points(cr, px, py, N, &moves);
		ck_assert_uint_eq(moves, 1);
		ck_assert_msg(n > 20 && n < N / 20, "%zu vertices", n);
		size_t k = 0;
		for (int i = 0; i < N; i++) {
			while (k + 1 < n && !(px[k] <= x[i] && x[i] <= px[k + 1]))
				k++;
			ck_assert_msg(k + 1 < n, "point %d beyond the path", i);
			double d = seg_dist(x[i], y[i], px[k], py[k], px[k + 1], py[k + 1]);
			ck_assert_msg(d <= 1.0 / 9 / sc + 1e-9, "point %d is %.4f off", i, d);
		}
	}
	/* going back along a line keeps the turn; a NaN breaks the line; a subpath of one repeated
	 * point keeps a zero-length segment */
	double bx[] = {0, 5, 10, 5, NAN, 3, 3, 3};
	double by[] = {0, 0, 0, 0, NAN, 7, 7, 7};
	pl_simplified_path(cr, bx, by, 8, 1);
	n = path_points(cr, px, py, N, &moves);
	ck_assert_uint_eq(moves, 2);
	ck_assert_uint_eq(n, 5);
	ck_assert(px[1] == 10 && px[2] == 5 && px[3] == 3 && px[4] == 3 && py[4] == 7);
	free(x);
	free(y);
	free(px);
	free(py);
	cairo_destroy(cr);
	cairo_surface_destroy(s);
}
END_TEST

static pl_figure *sample_figure(void)
{
	pl_figure *f = pl_figure_new(6.4, 4.8, 100);
	pl_axes *a = pl_subplot(f, 1, 1, 0);
	double x[50], y[50];
	for (int i = 0; i < 50; i++) {
		x[i] = i / 49.0;
		y[i] = sin(6 * x[i]);
	}
	pl_style s;
	pl_style_init(&s);
	s.label = "$\\sin(6x)$";
	pl_plot(a, x, y, 50, &s);
	pl_style_init(&s);
	pl_style_fmt(&s, "ro", (char[64]){0}, 64);
	s.label = "points";
	pl_plot(a, x, y, 10, &s);
	pl_set_xlabel(a, "x");
	pl_set_ylabel(a, "$\\phi_{0}$");
	pl_set_title(a, "a title");
	pl_legend(a, "best");
	return f;
}

START_TEST(byte_identical_outputs)
{
	char dir[] = "/tmp/nbrun-plot-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	/* SVG ids come from process-wide counters in cairo: the e2e tests compare SVGs across runs */
	static const char *const ext[] = {"png", "pdf"};
	for (int k = 0; k < 2; k++) {
		char *p1 = nb_xasprintf("%s/a.%s", dir, ext[k]), *p2 = nb_xasprintf("%s/b.%s", dir, ext[k]);
		for (int r = 0; r < 2; r++) {
			pl_figure *f = sample_figure();
			int rc = k == 0 ? pl_write_png(f, r ? p2 : p1) : pl_write_pdf(f, r ? p2 : p1);
			ck_assert_int_eq(rc, 0);
			pl_figure_free(f);
		}
		size_t n1, n2;
		char *a = nb_read_file(p1, &n1), *b = nb_read_file(p2, &n2);
		ck_assert_msg(a && b && n1 == n2 && n1 > 1000 && !memcmp(a, b, n1), "%s output differs between runs", ext[k]);
		if (k == 0)
			ck_assert(!memcmp(a, "\x89PNG", 4));
		if (k == 1)
			ck_assert(!memcmp(a, "%PDF", 4) && memmem(a, n1, "CreationDate", 12) != NULL);
		free(a);
		free(b);
		unlink(p1);
		unlink(p2);
		free(p1);
		free(p2);
	}
	rmdir(dir);
}
END_TEST

/* A contour figure over a 30 × 20 grid of z = sin(x + shift) cos(y), rendered; the pixels. */
static unsigned char *contour_pixels(double shift, int filled, double alpha, pl_figure **keep, size_t *len)
{
	enum { R = 20, C = 30 };
	double x[R * C], y[R * C], z[R * C];
	for (int i = 0; i < R; i++)
		for (int j = 0; j < C; j++) {
			x[i * C + j] = j * 0.2;
			y[i * C + j] = i * 0.2;
			z[i * C + j] = sin(j * 0.2 + shift) * cos(i * 0.2);
		}
	pl_figure *f = pl_figure_new(3, 2, 60);
	pl_axes *a = pl_subplot(f, 1, 1, 0);
	pl_contour(a, x, y, z, R, C, NULL, 0, 7, (pl_cmap *)pl_cmap_named("viridis"), 0, NULL, filled, 1.5, alpha);
	cairo_surface_t *img = pl_render_image(f);
	int stride = cairo_image_surface_get_stride(img), h = cairo_image_surface_get_height(img);
	*len = (size_t)stride * (size_t)h;
	unsigned char *px = nb_xmalloc(*len);
	memcpy(px, cairo_image_surface_get_data(img), *len);
	cairo_surface_destroy(img);
	if (keep)
		*keep = f;
	else
		pl_figure_free(f);
	return px;
}

/*
 * Contour sets of other figures with the same data share their geometry:
 * they draw the same pixels whichever figure computed it and whichever is
 * freed first, and a set that differs (the heights, the opacity of filled
 * bands) gets its own.
 */
START_TEST(contour_geometry_shared)
{
	size_t n[8];
	/* filled, opaque; the same again while the first figure lives, then after it is freed */
	pl_figure *f1, *f2;
	unsigned char *a = contour_pixels(0, 1, 1, &f1, &n[0]);
	unsigned char *b = contour_pixels(0, 1, 1, &f2, &n[1]);
	pl_figure_free(f1);
	unsigned char *c = contour_pixels(0, 1, 1, NULL, &n[2]);
	pl_figure_free(f2);
	ck_assert(n[0] == n[1] && n[1] == n[2] && !memcmp(a, b, n[0]) && !memcmp(a, c, n[0]));
	/* translucent bands over the same data are computed apart from the opaque ones (which reach
	 * over the next band): drawn while the opaque set is remembered, then once it is forgotten
	 * (four other sets drawn since), the same pixels */
	unsigned char *t1 = contour_pixels(0, 1, 0.5, NULL, &n[3]);
	for (int k = 1; k <= 4; k++)
		free(contour_pixels(k, 1, 1, NULL, &n[4]));
	unsigned char *t2 = contour_pixels(0, 1, 0.5, NULL, &n[5]);
	ck_assert(n[3] == n[5] && !memcmp(t1, t2, n[3]));
	ck_assert(memcmp(t1, a, n[0]) != 0);
	/* lines of other heights differ; lines of the same heights as the bands share their memo */
	unsigned char *l1 = contour_pixels(0, 0, 1, NULL, &n[6]), *l2 = contour_pixels(0.5, 0, 1, NULL, &n[7]);
	ck_assert(n[6] == n[7] && memcmp(l1, l2, n[6]) != 0);
	free(a);
	free(b);
	free(c);
	free(t1);
	free(t2);
	free(l1);
	free(l2);
}
END_TEST

/* A filled contour and its lines over one grid: the second shares the first's copies of the
 * arrays (contour_array), yet the figure draws what it was given after the caller's arrays
 * change, and frees each array once (ASan) however many contours share it. */
static unsigned char *two_contours(int scribble, size_t *len)
{
	enum { R = 20, C = 30 };
	static double x[R * C], y[R * C], z[R * C], z2[R * C];
	for (int i = 0; i < R; i++)
		for (int j = 0; j < C; j++) {
			x[i * C + j] = j * 0.2;
			y[i * C + j] = i * 0.2;
			z[i * C + j] = sin(j * 0.2) * cos(i * 0.2);
			z2[i * C + j] = z[i * C + j] + 0.1 * i;
		}
	pl_figure *f = pl_figure_new(3, 2, 60);
	pl_axes *a = pl_subplot(f, 1, 1, 0);
	pl_contour(a, x, y, z, R, C, NULL, 0, 7, (pl_cmap *)pl_cmap_named("viridis"), 0, NULL, 1, 1.5, 1);
	pl_rgba grey = {0.5, 0.5, 0.5, 0.5};
	pl_contour(a, x, y, z, R, C, NULL, 0, 5, NULL, 0, &grey, 0, 1, 1);
	pl_contour(a, x, y, z2, R, C, NULL, 0, 3, NULL, 0, &grey, 0, 1, 1);
	if (scribble)
		for (int k = 0; k < R * C; k++)
			x[k] = y[k] = z[k] = z2[k] = NAN;
	cairo_surface_t *img = pl_render_image(f);
	*len = (size_t)cairo_image_surface_get_stride(img) * (size_t)cairo_image_surface_get_height(img);
	unsigned char *px = nb_xmalloc(*len);
	memcpy(px, cairo_image_surface_get_data(img), *len);
	cairo_surface_destroy(img);
	pl_figure_free(f);
	return px;
}

START_TEST(contour_arrays_shared)
{
	size_t n1, n2;
	unsigned char *a = two_contours(0, &n1), *b = two_contours(1, &n2);
	ck_assert(n1 == n2 && !memcmp(a, b, n1));
	free(a);
	free(b);
}
END_TEST

static Suite *plot_suite(void)
{
	Suite *s = suite_create("plot");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, ticks_like_matplotlib);
	tcase_add_test(tc, colors_and_formats);
	tcase_add_test(tc, math_layout);
	tcase_add_test(tc, streamlines_like_matplotlib);
	tcase_add_test(tc, view3d_like_matplotlib);
	tcase_add_test(tc, animated_gif);
	tcase_add_test(tc, gif_data_exact);
	tcase_add_test(tc, median_cut_as_giflib);
	tcase_add_test(tc, contour_arrays_shared);
	tcase_add_test(tc, levels_and_colormaps_like_matplotlib);
	tcase_add_test(tc, legend_placement_like_matplotlib);
	tcase_add_test(tc, image_limits_like_matplotlib);
	tcase_add_test(tc, contour_geometry);
	tcase_add_test(tc, contour_geometry_shared);
	tcase_add_test(tc, math_as_plain_text);
	tcase_add_test(tc, path_simplification);
	tcase_add_test(tc, byte_identical_outputs);
	suite_add_tcase(s, tc);
	return s;
}

NB_CHECK_MAIN(plot_suite)
