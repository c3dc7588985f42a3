/*
 * plot.c - figures, axes and artists with matplotlib's defaults (see
 * shared/docs/plotting-facts.md): a 6.4×4.8 in figure at 100 dpi, axes from
 * 0.125 to 0.9 across and 0.11 to 0.88 up, DejaVu Sans 10 pt, 0.8 pt spines,
 * 3.5 pt outward ticks, 1.5 pt lines in the tab10 cycle, 5 % data margins,
 * MaxNLocator ticks and ScalarFormatter labels with the Unicode minus.
 *
 * Where matplotlib lets text run off the figure, the margins here grow
 * until every label fits.
 */
#include "plot.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <cairo.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <gif_lib.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plot_text.h"
#include "util.h"

#define FS 10.0          /* font size */
#define TITLE_FS 12.0
#define TICK_LEN 3.5
#define TICK_PAD 3.5
#define LABEL_PAD 4.0
#define TITLE_PAD 6.0
#define SPINE_W 0.8

typedef enum { A_LINE, A_SCATTER, A_FILL, A_HLINE, A_VLINE, A_HSPAN, A_VSPAN, A_TEXT, A_CONTOUR, A_QUIVER, A_STREAM, A_SURFACE, A_BAR, A_IMAGE } akind;

struct pl_cmap {
	const float (*rgb)[3];
	pl_rgba *listed;
	size_t n;
};

typedef struct artist {
	akind kind;
	pl_style st;
	pl_rgba color;
	double *x, *y, *y2, *sizes;
	size_t n;
	double v0, v1;
	char *text;
	double tsize;
	char ha, va;
	char *label;
	size_t order;
	/* contours */
	double *z, *levels;
	size_t rows, cols, nlev;
	pl_cmap *cmap;
	int own_cmap, filled, mono;
	unsigned shares; /* contours: SHARE_X, _Y, _Z when that array is an earlier contour's */
	/* quiver; streamlines: trajectories as x/y with NAN separators, arrows in u/v (tail, head) */
	double *u, *v, qscale;
	double arrowsize;
	/* images: extent (left, right, bottom, top), colour limits, the first row's place, and a
	 * colorbar with a continuous scale */
	double ext[4], vmin, vmax;
	int origin_lower, cbar_continuous;
	int depthshade; /* 3-D scatter: farther markers paler */
	double *anchor[3]; /* a 3-D quiver's arrow positions (x, y, z; nanchor of each): they alone set */
	size_t nanchor;    /* the view limits, as in matplotlib */
	int angles_xy, scale_xy;
	char pivot;      /* quiver: the arrow's point at (x, y): 't'ail, 'm'iddle, 'h'ead/t'i'p */
	char orient;     /* bars: 'v' vertical, 'h' horizontal (barh) */
	char arrowstyle; /* annotate: '>' for '->', '|' for '-|>', '-' a plain line, 0 no arrow */
	struct contour_memo *memo; /* contours: what drawing them computes from the data alone */
} artist;

struct pl_axes {
	pl_figure *fig;
	int rows, cols, index;
	artist *a;
	size_t n, cap, cycle;
	int xlim_set, ylim_set;
	double xlim[2], ylim[2];
	char *xlabel, *ylabel, *title;
	int xscale, yscale, grid, legend, legend_loc, legend_noframe;
	int xinv_auto, yinv_auto;   /* automatic limits run downwards (an image's extent does) */
	double legend_fs;           /* 0: the default size */
	double aspect;
	int colorbar;
	char *cbar_label;
	long mappable;           /* index of the last contour set, for the colorbar; -1 if none */
	int is3d, zlim_set;      /* 3-D axes: view angles in degrees, zoom, z label and limits */
	double elev, azim, zoom, zlabel_rot, zlim[2];
	char *zlabel;
	/* computed while drawing */
	double bx, by, bw, bh;   /* the axes box: left, top, width, height (pt, y down) */
	double vx[2], vy[2];     /* view limits (may be inverted) */
	double cbx, cby, cbw, cbh; /* the colorbar's box */
	double cellx, celly, cellw, cellh; /* the grid cell before aspect and colorbar (pt, y down) */
	pl_axes *twin_of;        /* a twinx axes: the axes whose box and x axis it shares */
	int hidden_spines;       /* PL_SPINE_* bits of the sides not drawn */
	double leg[4];           /* the legend's box as last drawn (pt, y down), for tests */
};

struct pl_figure {
	double w_in, h_in, dpi;
	int tight, measuring;   /* crop to the drawing (bbox_inches='tight'); measuring it now */
	int sharex, sharey;     /* subplots share their x (y) limits; inner tick labels are hidden */
	int page_known;         /* page[] holds the page box (measured once for all formats) */
	double page[4];
	int layout_tight;       /* matplotlib's tight_layout: margins and spaces fitted to the drawing */
	int fixed;              /* use these subplot parameters (pt) instead of growing the defaults */
	double fl, fr, fb, ft, fwsp, fhsp;
	long only;              /* draw only this axes (measuring), or -1 for all */
	pl_axes **ax;
	size_t nax, cap;
	char *suptitle;
};

/* ---------------------------------------------------------- building */

pl_figure *pl_figure_new(double w, double h, double dpi)
{
	pl_figure *f = nb_xcalloc(1, sizeof *f);
	f->w_in = w;
	f->h_in = h;
	f->dpi = dpi;
	f->only = -1;
	return f;
}

static void contour_memo_release(struct contour_memo *m);

enum { SHARE_X = 1, SHARE_Y = 2, SHARE_Z = 4 };

static void artist_free(artist *a)
{
	free(a->u);
	free(a->v);
	if (!(a->shares & SHARE_Z))
		free(a->z);
	free(a->levels);
	if (a->own_cmap)
		pl_cmap_free(a->cmap);
	if (!(a->shares & SHARE_X))
		free(a->x);
	if (!(a->shares & SHARE_Y))
		free(a->y);
	free(a->y2);
	for (int k = 0; k < 3; k++)
		free(a->anchor[k]);
	free(a->sizes);
	free(a->text);
	free(a->label);
	contour_memo_release(a->memo);
}

void pl_figure_free(pl_figure *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->nax; i++) {
		pl_axes *a = f->ax[i];
		for (size_t k = 0; k < a->n; k++)
			artist_free(&a->a[k]);
		free(a->a);
		free(a->xlabel);
		free(a->ylabel);
		free(a->title);
		free(a->cbar_label);
		free(a->zlabel);
		free(a);
	}
	free(f->ax);
	free(f->suptitle);
	free(f);
}

void pl_figure_suptitle(pl_figure *f, const char *t)
{
	free(f->suptitle);
	f->suptitle = nb_xstrdup(t);
}

pl_axes *pl_subplot(pl_figure *f, int rows, int cols, int index)
{
	pl_axes *a = nb_xcalloc(1, sizeof *a);
	a->fig = f;
	a->rows = rows;
	a->cols = cols;
	a->index = index;
	a->legend_loc = -1;
	a->mappable = -1;
	a->zlabel_rot = NAN;
	NB_GROW(f->ax, f->cap, f->nax + 1);
	f->ax[f->nax++] = a;
	return a;
}

pl_axes *pl_twinx(pl_axes *parent)
{
	pl_axes *a = pl_subplot(parent->fig, parent->rows, parent->cols, parent->index);
	a->twin_of = parent;
	a->cycle = parent->cycle; /* matplotlib's twin starts its own cycle; keep colours distinct instead */
	return a;
}

void pl_set_xlim(pl_axes *a, double lo, double hi) { a->xlim_set = 1; a->xlim[0] = lo; a->xlim[1] = hi; }
void pl_set_ylim(pl_axes *a, double lo, double hi) { a->ylim_set = 1; a->ylim[0] = lo; a->ylim[1] = hi; }
void pl_set_xscale(pl_axes *a, int s) { a->xscale = s; }
void pl_set_yscale(pl_axes *a, int s) { a->yscale = s; }
void pl_set_grid(pl_axes *a, int on) { a->grid = on; }
void pl_hide_spines(pl_axes *a, int sides) { a->hidden_spines = sides; }
void pl_legend_box(const pl_axes *a, double box[4]) { memcpy(box, a->leg, sizeof a->leg); }
void pl_view_limits(const pl_axes *a, double v[4])
{
	v[0] = a->vx[0];
	v[1] = a->vx[1];
	v[2] = a->vy[0];
	v[3] = a->vy[1];
}
void pl_set_aspect(pl_axes *a, double r) { a->aspect = r; }

static void set_str(char **dst, const char *s)
{
	free(*dst);
	*dst = s ? nb_xstrdup(s) : NULL;
}

void pl_set_xlabel(pl_axes *a, const char *s) { set_str(&a->xlabel, s); }
void pl_set_ylabel(pl_axes *a, const char *s) { set_str(&a->ylabel, s); }
void pl_set_title(pl_axes *a, const char *s) { set_str(&a->title, s); }

static const char *const legend_locs[] = {"best", "upper right", "upper left", "lower left", "lower right", "right",
				   "center left", "center right", "lower center", "upper center", "center"};

int pl_legend(pl_axes *a, const char *loc)
{
	for (int i = 0; i < 11; i++)
		if (!strcmp(loc, legend_locs[i])) {
			a->legend = 1;
			a->legend_loc = i;
			return 0;
		}
	return -1;
}

void pl_legend_style(pl_axes *a, double fontsize, int frame)
{
	a->legend_fs = fontsize;
	a->legend_noframe = !frame;
}

static artist *add(pl_axes *a, akind k, const pl_style *s)
{
	NB_GROW(a->a, a->cap, a->n + 1);
	artist *r = &a->a[a->n];
	memset(r, 0, sizeof *r);
	r->kind = k;
	r->st = *s;
	r->order = a->n++;
	if (s->label)
		r->label = nb_xstrdup(s->label);
	r->st.label = NULL;
	if (s->has_color)
		r->color = s->color;
	else if (k == A_LINE || k == A_SCATTER || k == A_FILL)
		r->color = pl_cycle_color(a->cycle++);
	else
		r->color = (pl_rgba){0, 0, 0, 1};
	return r;
}

static double *dup_array(const double *x, size_t n)
{
	double *p = nb_xmalloc((n ? n : 1) * sizeof *p);
	if (n)
		memcpy(p, x, n * sizeof *p);
	return p;
}

void pl_plot(pl_axes *a, const double *x, const double *y, size_t n, const pl_style *s)
{
	artist *r = add(a, A_LINE, s);
	r->x = dup_array(x, n);
	r->y = dup_array(y, n);
	r->n = n;
}

void pl_scatter(pl_axes *a, const double *x, const double *y, size_t n, const double *sizes, const pl_style *s)
{
	pl_style st = *s;
	if (!st.marker)
		st.marker = 'o';
	if (st.zorder == 2)
		st.zorder = 1; /* collections sit below lines */
	artist *r = add(a, A_SCATTER, &st);
	r->x = dup_array(x, n);
	r->y = dup_array(y, n);
	r->n = n;
	if (sizes)
		r->sizes = dup_array(sizes, n);
}

void pl_fill_between(pl_axes *a, const double *x, const double *y1, const double *y2, size_t n, const pl_style *s)
{
	pl_style st = *s;
	if (st.zorder == 2)
		st.zorder = 1;
	artist *r = add(a, A_FILL, &st);
	r->x = dup_array(x, n);
	r->y = dup_array(y1, n);
	r->y2 = dup_array(y2, n);
	r->n = n;
}

static void span(pl_axes *a, akind k, double v0, double v1, const pl_style *s)
{
	pl_style st = *s;
	if (k == A_HSPAN || k == A_VSPAN) {
		if (st.zorder == 2)
			st.zorder = 1;
		if (!st.has_color) { /* spans take the cycle's colour, as patches do */
			st.has_color = 1;
			st.color = pl_cycle_color(a->cycle++);
		}
	}
	artist *r = add(a, k, &st);
	r->v0 = v0;
	r->v1 = v1;
}

void pl_axhline(pl_axes *a, double y, const pl_style *s) { span(a, A_HLINE, y, y, s); }
void pl_axvline(pl_axes *a, double x, const pl_style *s) { span(a, A_VLINE, x, x, s); }
void pl_axhspan(pl_axes *a, double y0, double y1, const pl_style *s) { span(a, A_HSPAN, y0, y1, s); }
void pl_axvspan(pl_axes *a, double x0, double x1, const pl_style *s) { span(a, A_VSPAN, x0, x1, s); }

void pl_bar(pl_axes *a, const double *x, const double *height, const double *width, const double *bottom, size_t n,
	    int horizontal, const pl_style *s)
{
	pl_style st = *s;
	artist *r = add(a, A_BAR, &st);
	if (!s->has_color)
		r->color = pl_cycle_color(a->cycle++);
	/* x: the bars' left edges, y: their bottoms, u: widths, v: heights (swapped roles when horizontal) */
	r->x = nb_xmalloc((n ? n : 1) * sizeof *r->x);
	r->y = nb_xmalloc((n ? n : 1) * sizeof *r->y);
	r->u = nb_xmalloc((n ? n : 1) * sizeof *r->u);
	r->v = nb_xmalloc((n ? n : 1) * sizeof *r->v);
	for (size_t i = 0; i < n; i++) {
		double w = width[i], b = bottom[i], h = height[i];
		if (!horizontal) {
			r->x[i] = x[i] - w / 2;
			r->u[i] = w;
			r->y[i] = b;
			r->v[i] = h;
		} else {
			r->y[i] = x[i] - w / 2;
			r->v[i] = w;
			r->x[i] = b;
			r->u[i] = h;
		}
	}
	r->n = n;
	r->orient = horizontal ? 'h' : 'v';
}

void pl_imshow(pl_axes *a, const double *z, size_t rows, size_t cols, const pl_cmap *cmap, const double *extent,
	       int origin_lower, double vmin, double vmax, const pl_style *s)
{
	artist *r = add(a, A_IMAGE, s);
	r->z = dup_array(z, rows * cols);
	r->rows = rows;
	r->cols = cols;
	r->cmap = (pl_cmap *)cmap;
	r->own_cmap = 0;
	if (extent)
		memcpy(r->ext, extent, sizeof r->ext);
	else {
		r->ext[0] = -0.5;
		r->ext[1] = (double)cols - 0.5;
		r->ext[2] = origin_lower ? -0.5 : (double)rows - 0.5;
		r->ext[3] = origin_lower ? (double)rows - 0.5 : -0.5;
	}
	r->origin_lower = origin_lower; /* where the first row goes */
	r->filled = 1;                        /* the colorbar shows bands */
	double lo = INFINITY, hi = -INFINITY;
	for (size_t i = 0; i < rows * cols; i++)
		if (isfinite(z[i])) {
			lo = fmin(lo, z[i]);
			hi = fmax(hi, z[i]);
		}
	r->vmin = isfinite(vmin) ? vmin : lo;
	r->vmax = isfinite(vmax) ? vmax : hi;
	if (!(r->vmax > r->vmin)) {
		r->vmin -= 0.5;
		r->vmax += 0.5;
	}
	/* as matplotlib: the image fills the axes exactly (its extent is a sticky edge), an extent
	 * running downwards (origin 'upper') turns the axis round, and one data unit is as long on
	 * both axes unless an aspect is given */
	if (r->ext[0] > r->ext[1])
		a->xinv_auto = 1;
	if (r->ext[2] > r->ext[3])
		a->yinv_auto = 1;
	if (a->aspect == 0)
		a->aspect = 1;
	/* the colorbar's scale: 256 steps from vmin to vmax, continuous ticks */
	r->nlev = 257;
	r->levels = nb_xmalloc(r->nlev * sizeof *r->levels);
	for (size_t i = 0; i < r->nlev; i++)
		r->levels[i] = r->vmin + (r->vmax - r->vmin) * (double)i / 256;
	r->cbar_continuous = 1;
	a->mappable = (long)r->order;
}

void pl_text(pl_axes *a, double x, double y, const char *text, double size, const pl_style *s, char ha, char va)
{
	pl_style st = *s;
	if (st.zorder == 2)
		st.zorder = 3;
	artist *r = add(a, A_TEXT, &st);
	r->v0 = x;
	r->v1 = y;
	r->text = nb_xstrdup(text);
	r->tsize = size > 0 ? size : FS;
	r->ha = ha;
	r->va = va;
}

void pl_annotate(pl_axes *a, double x, double y, double tx, double ty, const char *text, double size, const pl_style *s,
		 char ha, char va, char arrow)
{
	pl_text(a, tx, ty, text, size, s, ha, va);
	artist *r = &a->a[a->n - 1];
	r->ext[0] = x;
	r->ext[1] = y;
	r->arrowstyle = arrow; /* '>' for '->', '|' for '-|>', '-' a plain line, 0 none */
}

void pl_quiver(pl_axes *a, const double *x, const double *y, const double *u, const double *v, size_t n,
	       int angles_xy, int scale_xy, double scale, char pivot, const pl_style *s)
{
	pl_style st = *s;
	if (!st.has_color) { /* quiver is black unless told otherwise, not the cycle's colour */
		st.has_color = 1;
		st.color = (pl_rgba){0, 0, 0, 1};
	}
	if (st.zorder == 2)
		st.zorder = 1;
	artist *r = add(a, A_QUIVER, &st);
	r->x = dup_array(x, n);
	r->y = dup_array(y, n);
	r->u = dup_array(u, n);
	r->v = dup_array(v, n);
	r->n = n;
	r->angles_xy = angles_xy;
	r->scale_xy = scale_xy;
	r->qscale = scale;
	r->pivot = pivot ? pivot : 't';
}

/* ---------------------------------------------------------- streamplot */

typedef struct sgrid {
	size_t nx, ny, mx, my;
	const double *u, *v;  /* grid units per unit time */
	double *speed;        /* in axes units */
	unsigned char *mask;
	size_t *traj;
	size_t ntraj, captraj;
	long cur;             /* current mask cell, -1 for none */
	double x_g2m, y_g2m;  /* grid to mask scale, computed as matplotlib does (last bits matter at the edges) */
} sgrid;

static double interp(const sgrid *g, const double *a, double xi, double yi)
{
	size_t x = (size_t)xi, y = (size_t)yi;
	size_t xn = x == g->nx - 1 ? x : x + 1, yn = y == g->ny - 1 ? y : y + 1;
	double xt = xi - (double)x, yt = yi - (double)y;
	double a0 = a[y * g->nx + x] * (1 - xt) + a[y * g->nx + xn] * xt;
	double a1 = a[yn * g->nx + x] * (1 - xt) + a[yn * g->nx + xn] * xt;
	return a0 * (1 - yt) + a1 * yt;
}

static int within(const sgrid *g, double xi, double yi)
{
	return xi >= 0 && xi <= (double)(g->nx - 1) && yi >= 0 && yi <= (double)(g->ny - 1);
}

/* Mark the mask cell under (xg, yg); -1 when it is taken by another line. */
static int mask_update(sgrid *g, double xg, double yg)
{
	size_t xm = (size_t)(xg * g->x_g2m + 0.5), ym = (size_t)(yg * g->y_g2m + 0.5);
	long cell = (long)(ym * g->mx + xm);
	if (cell == g->cur)
		return 0;
	if (g->mask[cell])
		return -1;
	NB_GROW(g->traj, g->captraj, g->ntraj + 1);
	g->traj[g->ntraj++] = (size_t)cell;
	g->mask[cell] = 1;
	g->cur = cell;
	return 0;
}

/* The normalised velocity (grid units per unit of axes-length travelled); 1 = out, 2 = stop. */
static int velocity(const sgrid *g, double xi, double yi, double dir, double *kx, double *ky)
{
	if (!within(g, xi, yi))
		return 1;
	double sp = interp(g, g->speed, xi, yi);
	if (!(sp != 0) || !isfinite(sp))
		return 2;
	*kx = dir * interp(g, g->u, xi, yi) / sp;
	*ky = dir * interp(g, g->v, xi, yi) / sp;
	return isfinite(*kx) && isfinite(*ky) ? 0 : 2;
}

typedef struct polyline {
	double *x, *y;
	size_t n, cap, capy;
} polyline;

static void pts_add(polyline *p, double x, double y)
{
	NB_GROW(p->x, p->cap, p->n + 1);
	NB_GROW(p->y, p->capy, p->n + 1);
	p->x[p->n] = x;
	p->y[p->n] = y;
	p->n++;
}

/* matplotlib's _integrate_rk12: adaptive Heun steps with an Euler error estimate. */
static double rk12(sgrid *g, double x0, double y0, double dir, double maxlength, polyline *out)
{
	const double maxerror = 0.003;
	double maxds = fmin(fmin(1.0 / (double)g->mx, 1.0 / (double)g->my), 0.1);
	double ds = maxds, stotal = 0, xi = x0, yi = y0;
	for (;;) {
		double k1x, k1y, k2x, k2y;
		int st;
		if (within(g, xi, yi))
			pts_add(out, xi, yi);
		else
			st = 1;
		st = within(g, xi, yi) ? velocity(g, xi, yi, dir, &k1x, &k1y) : 1;
		if (st == 0)
			st = velocity(g, xi + ds * k1x, yi + ds * k1y, dir, &k2x, &k2y);
		if (st == 1) {
			/* out of the domain: an Euler step to the boundary */
			if (out->n) {
				double lx = out->x[out->n - 1], ly = out->y[out->n - 1], cx, cy;
				if (velocity(g, lx, ly, dir, &cx, &cy) == 0) {
					double dsx = cx == 0 ? INFINITY : cx < 0 ? lx / -cx : ((double)g->nx - 1 - lx) / cx;
					double dsy = cy == 0 ? INFINITY : cy < 0 ? ly / -cy : ((double)g->ny - 1 - ly) / cy;
					double d = fmin(dsx, dsy);
					if (isfinite(d)) {
						pts_add(out, lx + cx * d, ly + cy * d);
						stotal += d;
					}
				}
			}
			break;
		}
		if (st == 2)
			break;
		double dx1 = ds * k1x, dy1 = ds * k1y, dx2 = ds * 0.5 * (k1x + k2x), dy2 = ds * 0.5 * (k1y + k2y);
		double err = hypot((dx2 - dx1) / (double)(g->nx - 1), (dy2 - dy1) / (double)(g->ny - 1));
		if (err < maxerror) {
			xi += dx2;
			yi += dy2;
			if (!within(g, xi, yi) || mask_update(g, xi, yi) < 0)
				break;
			if (stotal + ds > maxlength)
				break;
			stotal += ds;
		}
		ds = err == 0 ? maxds : fmin(maxds, 0.85 * ds * sqrt(maxerror / err));
	}
	return stotal;
}

void pl_streamplot(pl_axes *a, const double *x, size_t nx, const double *y, size_t ny, const double *u,
		   const double *v, double density, double arrowsize, const pl_style *s)
{
	pl_style st = *s;
	if (st.zorder == 2)
		st.zorder = 1;
	artist *r = add(a, A_STREAM, &st);
	r->arrowsize = arrowsize;
	double width = x[nx - 1] - x[0], height = y[ny - 1] - y[0];
	sgrid g = {0};
	g.nx = nx;
	g.ny = ny;
	g.mx = (size_t)(30 * density);
	g.my = (size_t)(30 * density);
	if (g.mx < 2)
		g.mx = g.my = 2;
	double *ug = nb_xmalloc(nx * ny * sizeof *ug), *vg = nb_xmalloc(nx * ny * sizeof *vg);
	g.speed = nb_xmalloc(nx * ny * sizeof *g.speed);
	for (size_t i = 0; i < nx * ny; i++) {
		ug[i] = u[i] * (double)(nx - 1) / width;
		vg[i] = v[i] * (double)(ny - 1) / height;
		double ua = ug[i] / (double)(nx - 1), va = vg[i] / (double)(ny - 1);
		g.speed[i] = sqrt(ua * ua + va * va);
	}
	g.u = ug;
	g.v = vg;
	g.mask = nb_xcalloc(g.mx * g.my, 1);
	g.cur = -1;
	g.x_g2m = (double)(g.mx - 1) / (double)(nx - 1);
	g.y_g2m = (double)(g.my - 1) / (double)(ny - 1);
	polyline lines = {0}, arrows = {0};
	/* seeds: the mask cells in a spiral from the boundary inwards */
	long xfirst = 0, yfirst = 1, xlast = (long)g.mx - 1, ylast = (long)g.my - 1, xm = 0, ym = 0;
	int dirn = 0;
	const double maxlength = 4.0 / 2, minlength = 0.1;
	for (size_t k = 0; k < g.mx * g.my; k++) {
		if (!g.mask[(size_t)ym * g.mx + (size_t)xm]) {
			double xg = (double)xm * (1 / g.x_g2m), yg = (double)ym * (1 / g.y_g2m);
			/* like matplotlib, the current cell carries over from the last line */
			g.ntraj = 0;
			if (mask_update(&g, xg, yg) == 0) {
				polyline back = {0}, fwd = {0};
				double s1 = rk12(&g, xg, yg, -1, maxlength, &back);
				/* reset the start point, then forward */
				g.cur = (long)((size_t)(yg * g.y_g2m + 0.5) * g.mx + (size_t)(xg * g.x_g2m + 0.5));
				double s2 = rk12(&g, xg, yg, 1, maxlength, &fwd);
				if (s1 + s2 > minlength) {
					/* the line in data coordinates: backward reversed, then forward */
					size_t start = lines.n;
					for (size_t q = back.n; q-- > 0;)
						pts_add(&lines, x[0] + back.x[q] * width / (double)(nx - 1), y[0] + back.y[q] * height / (double)(ny - 1));
					for (size_t q = 1; q < fwd.n; q++)
						pts_add(&lines, x[0] + fwd.x[q] * width / (double)(nx - 1), y[0] + fwd.y[q] * height / (double)(ny - 1));
					size_t m = lines.n - start;
					if (m >= 2) {
						/* an arrow halfway along (by data-space arc length) */
						double total = 0;
						for (size_t q = start + 1; q < lines.n; q++)
							total += hypot(lines.x[q] - lines.x[q - 1], lines.y[q] - lines.y[q - 1]);
						double acc = 0;
						size_t nidx = start;
						for (size_t q = start + 1; q < lines.n; q++) {
							acc += hypot(lines.x[q] - lines.x[q - 1], lines.y[q] - lines.y[q - 1]);
							if (acc >= total / 2) {
								nidx = q - 1;
								break;
							}
							nidx = q;
						}
						if (nidx + 1 < lines.n) {
							pts_add(&arrows, lines.x[nidx], lines.y[nidx]);
							pts_add(&arrows, (lines.x[nidx] + lines.x[nidx + 1]) / 2, (lines.y[nidx] + lines.y[nidx + 1]) / 2);
						}
					}
					pts_add(&lines, NAN, NAN);
				} else {
					for (size_t q = 0; q < g.ntraj; q++)
						g.mask[g.traj[q]] = 0;
				}
				free(back.x);
				free(back.y);
				free(fwd.x);
				free(fwd.y);
			}
		}
		/* the next seed of the spiral */
		if (dirn == 0) {
			if (++xm >= xlast) { xlast--; dirn = 1; }
		} else if (dirn == 1) {
			if (++ym >= ylast) { ylast--; dirn = 2; }
		} else if (dirn == 2) {
			if (--xm <= xfirst) { xfirst++; dirn = 3; }
		} else {
			if (--ym <= yfirst) { yfirst++; dirn = 0; }
		}
		if (xm < 0 || ym < 0 || xm >= (long)g.mx || ym >= (long)g.my)
			break;
	}
	r->x = lines.x;
	r->y = lines.y;
	r->n = lines.n;
	r->u = arrows.x;
	r->v = arrows.y;
	r->rows = arrows.n;
	/* limits: the grid exactly (sticky edges) */
	r->z = nb_xmalloc(4 * sizeof *r->z);
	r->z[0] = x[0];
	r->z[1] = x[nx - 1];
	r->z[2] = y[0];
	r->z[3] = y[ny - 1];
	free(ug);
	free(vg);
	free(g.speed);
	free(g.mask);
	free(g.traj);
}

size_t pl_layer_path(const pl_axes *a, size_t layer, const double **x, const double **y)
{
	if (layer >= a->n)
		return 0;
	*x = a->a[layer].x;
	*y = a->a[layer].y;
	return a->a[layer].n;
}

/* ------------------------------------------------------------- colormaps */

typedef struct pl_cmap_data {
	const char *name;
	float rgb[256][3];
} pl_cmap_data;
extern const pl_cmap_data pl_cmap_tables[];
extern const size_t pl_cmap_ntables;

/* The named maps, made once (figures may be drawn on another thread). */
static pl_cmap named_maps[64];
static pthread_once_t named_once = PTHREAD_ONCE_INIT;

static void make_named_maps(void)
{
	for (size_t i = 0; i < pl_cmap_ntables && i < 64; i++) {
		named_maps[i].rgb = pl_cmap_tables[i].rgb;
		named_maps[i].listed = NULL;
		named_maps[i].n = 256;
	}
}

const pl_cmap *pl_cmap_named(const char *name)
{
	pthread_once(&named_once, make_named_maps);
	for (size_t i = 0; i < pl_cmap_ntables && i < 64; i++)
		if (!strcmp(pl_cmap_tables[i].name, name))
			return &named_maps[i];
	return NULL;
}

pl_cmap *pl_cmap_listed(const pl_rgba *colors, size_t n)
{
	pl_cmap *c = nb_xcalloc(1, sizeof *c);
	c->listed = nb_xmalloc((n ? n : 1) * sizeof *c->listed);
	memcpy(c->listed, colors, n * sizeof *colors);
	c->n = n;
	return c;
}

void pl_cmap_free(pl_cmap *c)
{
	if (!c)
		return;
	free(c->listed);
	free(c);
}

pl_rgba pl_cmap_at(const pl_cmap *c, double x)
{
	if (!c || c->n == 0)
		return (pl_rgba){0, 0, 0, 1};
	if (isnan(x))
		return (pl_rgba){0, 0, 0, 0};
	long i = x >= 1.0 ? (long)c->n - 1 : (long)(x * (double)c->n);
	if (i < 0)
		i = 0;
	if (i > (long)c->n - 1)
		i = (long)c->n - 1;
	if (c->listed)
		return c->listed[i];
	return (pl_rgba){c->rgb[i][0], c->rgb[i][1], c->rgb[i][2], 1};
}

/* -------------------------------------------------------------- contours */

static size_t max_n_locator(double vmin, double vmax, int nbins, const double *steps0, int nsteps, int min_n,
			    double *out, size_t cap);

size_t pl_contour_levels(double zmin, double zmax, int nauto, int filled, double *out, size_t cap)
{
	static const double steps[] = {1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10};
	double tmp[1100];
	size_t n = max_n_locator(zmin, zmax, nauto + 1, steps, 10, 1, tmp, 1100);
	/* trim to [last level below zmin, first level above zmax] */
	size_t i0 = 0, i1 = n;
	for (size_t i = 0; i < n; i++)
		if (tmp[i] < zmin)
			i0 = i;
	for (size_t i = 0; i < n; i++)
		if (tmp[i] > zmax) {
			i1 = i + 1;
			break;
		}
	if (i1 - i0 < 3) {
		i0 = 0;
		i1 = n;
	}
	size_t m = 0, inside = 0;
	for (size_t i = i0; i < i1 && m < cap; i++) {
		out[m++] = tmp[i];
		inside += tmp[i] > zmin && tmp[i] < zmax;
	}
	/* lines need a level inside the data; matplotlib falls back to the minimum */
	if (!filled && inside == 0 && cap) {
		out[0] = zmin;
		m = 1;
	}
	return m;
}

/*
 * Contour r's copy of the n values at p (its x, y or z: which is share).  A
 * filled contour and its lines are drawn over one grid: when an earlier
 * contour of the axes already holds the same values, r shares that copy
 * (the figure frees it with its owner), so that a 400 x 400 grid is kept
 * three times, not six.
 */
static double *contour_array(const pl_axes *a, artist *r, const double *p, size_t n, unsigned share)
{
	for (const artist *o = a->a; o < r; o++) {
		if (o->kind != A_CONTOUR || o->rows * o->cols != n)
			continue;
		const double *held[3] = {o->x, o->y, o->z};
		for (int k = 0; k < 3; k++)
			if (!memcmp(held[k], p, n * sizeof *p)) {
				r->shares |= share;
				return (double *)held[k];
			}
	}
	return dup_array(p, n);
}

void pl_contour(pl_axes *a, const double *x, const double *y, const double *z, size_t rows, size_t cols,
		const double *levels, size_t nlev, int nauto, pl_cmap *cmap, int own_cmap, const pl_rgba *color,
		int filled, double linewidth, double alpha)
{
	pl_style st;
	pl_style_init(&st);
	st.zorder = filled ? 1 : 2;
	st.alpha = alpha;
	st.linewidth = linewidth > 0 ? linewidth : 1.5;
	if (color) {
		st.has_color = 1;
		st.color = *color;
	} else {
		st.has_color = 1; /* contours do not take the cycle's colour */
	}
	artist *r = add(a, A_CONTOUR, &st);
	size_t n = rows * cols;
	r->x = contour_array(a, r, x, n, SHARE_X);
	r->y = contour_array(a, r, y, n, SHARE_Y);
	r->z = contour_array(a, r, z, n, SHARE_Z);
	r->rows = rows;
	r->cols = cols;
	r->filled = filled;
	r->mono = color != NULL;
	r->cmap = cmap;
	r->own_cmap = own_cmap;
	if (!cmap && !color)
		r->cmap = (pl_cmap *)pl_cmap_named("viridis");
	double zmin = INFINITY, zmax = -INFINITY;
	for (size_t i = 0; i < n; i++)
		if (isfinite(z[i])) {
			zmin = fmin(zmin, z[i]);
			zmax = fmax(zmax, z[i]);
		}
	if (levels) {
		r->levels = dup_array(levels, nlev);
		r->nlev = nlev;
	} else {
		r->levels = nb_xmalloc(1100 * sizeof *r->levels);
		r->nlev = pl_contour_levels(zmin, zmax, nauto > 0 ? nauto : 7, filled, r->levels, 1100);
	}
	/* the colorbar shows the last filled set or image; lines only when nothing is filled */
	if (filled || a->mappable < 0 || !a->a[a->mappable].filled)
		a->mappable = (long)(r - a->a);
}

void pl_colorbar(pl_axes *a, const char *label)
{
	a->colorbar = 1;
	free(a->cbar_label);
	a->cbar_label = label ? nb_xstrdup(label) : NULL;
}

/* ---------------------------------------------------------------- ticks */

static double floordiv(double a, double b)
{
	double d, m;
	nb_divmod(a, b, &d, &m);
	return d;
}

/* matplotlib's _Edge_integer: floor/ceil of x/step with a tolerance that grows with the offset. */
static double edge_tol(double step, double offset)
{
	return offset > 0 ? fmin(0.4999, fmax(1e-10, pow(10, log10(offset / step) - 12))) : 1e-10;
}

static double edge_le(double x, double step, double offset)
{
	double d, m;
	nb_divmod(x, step, &d, &m);
	return fabs(m / step - 1) < edge_tol(step, offset) ? d + 1 : d;
}

static double edge_ge(double x, double step, double offset)
{
	double d, m;
	nb_divmod(x, step, &d, &m);
	return fabs(m / step) < edge_tol(step, offset) ? d : d + 1;
}

size_t pl_ticks_auto(double vmin, double vmax, int nbins, double *out, size_t cap)
{
	static const double steps[] = {1, 2, 2.5, 5, 10};
	return max_n_locator(vmin, vmax, nbins, steps, 5, 2, out, cap);
}

/* matplotlib's MaxNLocator._raw_ticks with the given steps and min_n_ticks. */
static size_t max_n_locator(double vmin, double vmax, int nbins, const double *steps0, int nsteps, int min_n,
			    double *out, size_t cap)
{
	if (vmax < vmin) {
		double t = vmin;
		vmin = vmax;
		vmax = t;
	}
	/* nonsingular */
	if (!isfinite(vmin) || !isfinite(vmax)) {
		vmin = -0.001;
		vmax = 0.001;
	}
	double maxabs = fmax(fabs(vmin), fabs(vmax));
	if (vmax - vmin <= maxabs * 1e-13 || maxabs < 1e-14) {
		if (vmax == 0 && vmin == 0) {
			vmin = -0.001;
			vmax = 0.001;
		} else {
			vmin -= 0.001 * fabs(vmin);
			vmax += 0.001 * fabs(vmax);
		}
	}
	if (nbins < 1)
		nbins = 1;
	double dv = vmax - vmin, meanv = (vmax + vmin) / 2, offset = 0;
	if (fabs(meanv) / dv >= 100)
		offset = copysign(pow(10, floor(log10(fabs(meanv)))), meanv);
	double scale = pow(10, floor(log10(dv / nbins)));
	/* the staircase: 0.1 * steps[:-1], steps, 10 * steps[1] */
	double steps[32];
	int ns = 0;
	for (int i = 0; i < nsteps - 1; i++)
		steps[ns++] = 0.1 * steps0[i] * scale;
	for (int i = 0; i < nsteps; i++)
		steps[ns++] = steps0[i] * scale;
	steps[ns++] = 10 * steps0[1] * scale;
	double _vmin = vmin - offset, _vmax = vmax - offset;
	double raw = (_vmax - _vmin) / nbins;
	/* the smallest step at least raw (axes.autolimit_mode 'data') */
	int istep = ns - 1;
	for (int i = 0; i < ns; i++) {
		if (steps[i] >= raw) {
			istep = i;
			break;
		}
	}
	size_t n = 0;
	for (int i = istep; i >= 0; i--) {
		double step = steps[i];
		double best = floordiv(_vmin, step) * step;
		double low = edge_le(_vmin - best, step, fabs(offset)), high = edge_ge(_vmax - best, step, fabs(offset));
		n = 0;
		size_t inside = 0;
		for (double k = low; k <= high && n < cap; k++) {
			double t = k * step + best;
			if (t <= _vmax && t >= _vmin)
				inside++;
			out[n++] = t + offset;
		}
		if ((int)inside >= min_n)
			break;
	}
	return n;
}

static void fix_minus(const char *in, char *out, size_t cap)
{
	size_t w = 0;
	for (const char *p = in; *p && w + 4 < cap; p++) {
		if (*p == '-') {
			memcpy(out + w, "\xe2\x88\x92", 3);
			w += 3;
		} else {
			out[w++] = *p;
		}
	}
	out[w] = '\0';
}

void pl_format_ticks(const double *locs, size_t n, double vmin, double vmax, char **labels, char *offset_text, size_t cap)
{
	offset_text[0] = '\0';
	if (vmax < vmin) {
		double t = vmin;
		vmin = vmax;
		vmax = t;
	}
	/* offset: only when every visible tick has the same sign and it saves 4 digits */
	double lmin = INFINITY, lmax = -INFINITY;
	size_t vis = 0;
	for (size_t i = 0; i < n; i++)
		if (locs[i] >= vmin && locs[i] <= vmax) {
			vis++;
			if (locs[i] < lmin)
				lmin = locs[i];
			if (locs[i] > lmax)
				lmax = locs[i];
		}
	double offset = 0;
	if (vis && lmin != lmax && !(lmin <= 0 && 0 <= lmax)) {
		double amin = fmin(fabs(lmin), fabs(lmax)), amax = fmax(fabs(lmin), fabs(lmax));
		double sign = copysign(1, lmin), oom_max = ceil(log10(amax)), oom = oom_max;
		while (floor(amin / pow(10, oom)) == floor(amax / pow(10, oom)) && oom > -30)
			oom--;
		oom += 1;
		if ((amax - amin) / pow(10, oom) <= 1e-2) {
			oom = oom_max;
			while (floor(amax / pow(10, oom)) - floor(amin / pow(10, oom)) <= 1 && oom > -30)
				oom--;
			oom += 1;
		}
		if (floor(amax / pow(10, oom)) >= 1000) /* offset threshold 4 */
			offset = sign * floor(amax / pow(10, oom)) * pow(10, oom);
	}
	/* order of magnitude: scientific below 1e-5 and from 1e6 */
	int order = 0;
	if (vis) {
		int oom;
		if (offset != 0) {
			oom = (int)floor(log10(vmax - vmin));
		} else {
			double val = 0;
			for (size_t i = 0; i < n; i++)
				if (locs[i] >= vmin && locs[i] <= vmax && fabs(locs[i]) > val)
					val = fabs(locs[i]);
			oom = val == 0 ? 0 : (int)floor(log10(val));
		}
		if (oom <= -5 || oom >= 6)
			order = oom;
	}
	double scale = pow(10, order);
	double range = 0, lo = INFINITY, hi = -INFINITY, maxabs = 0;
	for (size_t i = 0; i < n; i++) {
		double v = (locs[i] - offset) / scale;
		lo = fmin(lo, v);
		hi = fmax(hi, v);
		maxabs = fmax(maxabs, fabs(v));
	}
	range = n ? hi - lo : 0;
	if (range == 0)
		range = maxabs;
	if (range == 0)
		range = 1;
	int room = (int)floor(log10(range));
	int sig = 3 - room > 0 ? 3 - room : 0;
	double thresh = 1e-3 * pow(10, room);
	while (sig >= 0) {
		double worst = 0, f = pow(10, sig);
		for (size_t i = 0; i < n; i++) {
			double v = (locs[i] - offset) / scale;
			double r = nearbyint(v * f) / f;
			worst = fmax(worst, fabs(v - r));
		}
		if (worst < thresh)
			sig--;
		else
			break;
	}
	sig++;
	for (size_t i = 0; i < n; i++) {
		double v = (locs[i] - offset) / scale;
		if (fabs(v) < 1e-8)
			v = 0;
		char tmp[64];
		snprintf(tmp, sizeof tmp, "%.*f", sig, v);
		labels[i] = nb_xmalloc(96);
		fix_minus(tmp, labels[i], 96);
	}
	char tmp[96] = "";
	if (order || offset != 0) {
		char sci[32] = "", off[48] = "";
		if (order)
			snprintf(sci, sizeof sci, "1e%d", order);
		if (offset != 0) {
			/* ScalarFormatter.format_data: a significand and a power of ten */
			int e = (int)floor(log10(fabs(offset)));
			double sgf = nearbyint(offset / pow(10, e) * 1e10) / 1e10;
			char sg[32];
			if (sgf == floor(sgf))
				snprintf(sg, sizeof sg, "%d", (int)sgf);
			else
				snprintf(sg, sizeof sg, "%.10g", sgf);
			if (e == 0)
				snprintf(off, sizeof off, "%s%s", offset > 0 ? "+" : "", sg);
			else
				snprintf(off, sizeof off, "%s%se%d", offset > 0 ? "+" : "", sg, e);
		}
		snprintf(tmp, sizeof tmp, "%s%s", sci, off);
	}
	fix_minus(tmp, offset_text, cap);
}

/* ------------------------------------------------------------- drawing */

typedef struct ctx {
	cairo_t *cr;
	PangoContext *pc;
	double scale; /* device pixels per point (PNG), 1 otherwise */
	int snap;
	pl_figure *f;
} ctx;

typedef struct tick {
	double v;
	char *label;
	pl_tl *tl;
	int minor;
} tick;

typedef struct axis_ticks {
	tick *t;
	size_t n;
	char offset[96];
	pl_tl *offset_tl;
} axis_ticks;

static double tr(double v, int scale)
{
	return scale == PL_LOG ? (v > 0 ? log10(v) : -INFINITY) : v;
}

/* data -> figure points */
static double X(const pl_axes *a, double x)
{
	double l0 = tr(a->vx[0], a->xscale), l1 = tr(a->vx[1], a->xscale);
	return a->bx + (tr(x, a->xscale) - l0) / (l1 - l0) * a->bw;
}

static double Y(const pl_axes *a, double y)
{
	double l0 = tr(a->vy[0], a->yscale), l1 = tr(a->vy[1], a->yscale);
	return a->by + a->bh - (tr(y, a->yscale) - l0) / (l1 - l0) * a->bh;
}

static double snapv(const ctx *c, double v, double lw)
{
	if (!c->snap)
		return v;
	double px = v * c->scale;
	long w = lrint(lw * c->scale);
	return (floor(px + 0.5) + ((w % 2) ? 0.5 : 0.0)) / c->scale;
}

static void data_limits(const pl_axes *a, int axis, double *lo, double *hi)
{
	int sc = axis == 0 ? a->xscale : a->yscale;
	*lo = INFINITY;
	*hi = -INFINITY;
#define TAKE(v)                                                                   \
	do {                                                                      \
		double _v = (v);                                                  \
		if (isfinite(_v) && (sc != PL_LOG || _v > 0)) {                   \
			if (_v < *lo)                                             \
				*lo = _v;                                         \
			if (_v > *hi)                                             \
				*hi = _v;                                         \
		}                                                                 \
	} while (0)
	for (size_t k = 0; k < a->n; k++) {
		const artist *r = &a->a[k];
		switch (r->kind) {
		case A_LINE: case A_SCATTER:
			for (size_t i = 0; i < r->n; i++)
				if (isfinite(r->x[i]) && isfinite(r->y[i]))
					TAKE(axis == 0 ? r->x[i] : r->y[i]);
			break;
		case A_FILL:
			for (size_t i = 0; i < r->n; i++) {
				if (axis == 0) {
					TAKE(r->x[i]);
				} else {
					TAKE(r->y[i]);
					TAKE(r->y2[i]);
				}
			}
			break;
		case A_HLINE: case A_HSPAN:
			if (axis == 1) {
				TAKE(r->v0);
				TAKE(r->v1);
			}
			break;
		case A_VLINE: case A_VSPAN:
			if (axis == 0) {
				TAKE(r->v0);
				TAKE(r->v1);
			}
			break;
		case A_CONTOUR:
			for (size_t i = 0; i < r->rows * r->cols; i++)
				TAKE(axis == 0 ? r->x[i] : r->y[i]);
			break;
		case A_QUIVER:
			for (size_t i = 0; i < r->n; i++)
				TAKE(axis == 0 ? r->x[i] : r->y[i]);
			break;
		case A_STREAM:
			TAKE(r->z[axis * 2]);
			TAKE(r->z[axis * 2 + 1]);
			break;
		case A_BAR:
			for (size_t i = 0; i < r->n; i++) {
				if (axis == 0) {
					TAKE(r->x[i]);
					TAKE(r->x[i] + r->u[i]);
				} else {
					TAKE(r->y[i]);
					TAKE(r->y[i] + r->v[i]);
				}
			}
			break;
		case A_IMAGE:
			TAKE(r->ext[axis * 2]);
			TAKE(r->ext[axis * 2 + 1]);
			break;
		case A_TEXT: case A_SURFACE: /* surfaces live in 3-D axes, limited by limits3d */
			break;
		}
	}
#undef TAKE
}

/* A sticky edge s: the automatic margin stops there rather than cross it (when the data do not). */
static void stick(double s, double lo, double hi, double *v)
{
	if (v[0] < s && lo >= s)
		v[0] = s;
	if (v[1] > s && hi <= s)
		v[1] = s;
}

/*
 * matplotlib's sticky edges along one axis: the ends of contour grids, stream grids and
 * images, and the bases bars grow from.  lo and hi are the data limits, v the view limits
 * with their margin.
 */
static void apply_sticky(const pl_axes *a, int axis, double lo, double hi, double *v)
{
	for (size_t k = 0; k < a->n; k++) {
		const artist *r = &a->a[k];
		switch (r->kind) {
		case A_CONTOUR: {
			double glo = INFINITY, ghi = -INFINITY;
			for (size_t i = 0; i < r->rows * r->cols; i++) {
				double g = axis == 0 ? r->x[i] : r->y[i];
				if (isfinite(g)) {
					glo = fmin(glo, g);
					ghi = fmax(ghi, g);
				}
			}
			if (glo <= ghi) {
				stick(glo, lo, hi, v);
				stick(ghi, lo, hi, v);
			}
			break;
		}
		case A_STREAM: /* its grid's ends, kept in z */
			stick(r->z[axis * 2], lo, hi, v);
			stick(r->z[axis * 2 + 1], lo, hi, v);
			break;
		case A_IMAGE:
			stick(r->ext[axis * 2], lo, hi, v);
			stick(r->ext[axis * 2 + 1], lo, hi, v);
			break;
		case A_BAR:
			if ((axis == 1) == (r->orient == 'v'))
				for (size_t i = 0; i < r->n; i++)
					stick(axis == 1 ? r->y[i] : r->x[i], lo, hi, v);
			break;
		default:
			break;
		}
	}
}

static void auto_limits(pl_axes *a, int axis);

/*
 * The view limits along an axis: the ones set, else automatic ones (data, margins, sticky
 * edges), turned round when an image's extent runs the other way (imshow's origin 'upper').
 */
static void view_limits(pl_axes *a, int axis)
{
	auto_limits(a, axis);
	int set = axis == 0 ? a->xlim_set : a->ylim_set;
	double *v = axis == 0 ? a->vx : a->vy;
	if (!set && (axis == 0 ? a->xinv_auto : a->yinv_auto) && v[0] < v[1]) {
		double t = v[0];
		v[0] = v[1];
		v[1] = t;
	}
}

static void auto_limits(pl_axes *a, int axis)
{
	int set = axis == 0 ? a->xlim_set : a->ylim_set;
	double *v = axis == 0 ? a->vx : a->vy;
	int sc = axis == 0 ? a->xscale : a->yscale;
	if (set) {
		v[0] = axis == 0 ? a->xlim[0] : a->ylim[0];
		v[1] = axis == 0 ? a->xlim[1] : a->ylim[1];
		return;
	}
	if ((axis == 0 ? a->fig->sharex : a->fig->sharey) && !a->twin_of && !a->is3d)
		/* shared: limits set on any subplot hold for all */
		for (size_t k = 0; k < a->fig->nax; k++) {
			const pl_axes *o = a->fig->ax[k];
			if (o->is3d || o->twin_of || !(axis == 0 ? o->xlim_set : o->ylim_set))
				continue;
			v[0] = axis == 0 ? o->xlim[0] : o->ylim[0];
			v[1] = axis == 0 ? o->xlim[1] : o->ylim[1];
			return;
		}
	double lo, hi;
	data_limits(a, axis, &lo, &hi);
	/* data shared with other axes: a twin's along x, every 2-D subplot's when shared */
	int shared = (axis == 0 ? a->fig->sharex : a->fig->sharey) && !a->twin_of && !a->is3d;
	for (size_t k = 0; k < a->fig->nax; k++) {
		const pl_axes *o = a->fig->ax[k];
		int with = o != a && ((axis == 0 && o->twin_of == a) || (shared && !o->is3d && !(o->twin_of && axis == 1)));
		if (!with)
			continue;
		double l2, h2;
		data_limits(o, axis, &l2, &h2);
		lo = fmin(lo, l2);
		hi = fmax(hi, h2);
	}
	if (!(lo <= hi)) {
		lo = sc == PL_LOG ? 1 : 0;
		hi = sc == PL_LOG ? 10 : 1;
	}
	if (sc == PL_LOG) {
		double l0 = log10(lo), l1 = log10(hi), m = (l1 - l0) * 0.05;
		if (l1 == l0)
			m = 0.05;
		v[0] = pow(10, l0 - m);
		v[1] = pow(10, l1 + m);
		return;
	}
	if (lo == hi) {
		double d = lo == 0 ? 0.05 : 0.05 * fabs(lo);
		lo -= d;
		hi += d;
		v[0] = lo;
		v[1] = hi;
		return;
	}
	double m = (hi - lo) * 0.05;
	v[0] = lo - m;
	v[1] = hi + m;
	apply_sticky(a, axis, lo, hi, v);
}

static void free_ticks(axis_ticks *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->t[i].label);
		pl_tl_free(t->t[i].tl);
		free(t->t[i].tl);
	}
	free(t->t);
	pl_tl_free(t->offset_tl);
	free(t->offset_tl);
	memset(t, 0, sizeof *t);
}

static void make_ticks(ctx *c, const pl_axes *a, int axis, axis_ticks *out)
{
	memset(out, 0, sizeof *out);
	const double *v = axis == 0 ? a->vx : a->vy;
	int sc = axis == 0 ? a->xscale : a->yscale;
	double lo = fmin(v[0], v[1]), hi = fmax(v[0], v[1]);
	double len = axis == 0 ? a->bw : a->bh;
	int space = (int)floor(len / (FS * (axis == 0 ? 3 : 2)));
	double vals[64];
	size_t nv = 0;
	int minor_from = -1;
	if (sc == PL_LOG && lo > 0) {
		int numticks = space < 2 ? 2 : space > 9 ? 9 : space;
		double llo = log10(lo), lhi = log10(hi);
		int numdec = (int)(floor(lhi) - ceil(llo));
		int stride = (numdec + 1) / numticks + 1;
		if (stride >= numdec)
			stride = numdec - 1 > 1 ? numdec - 1 : 1;
		for (double d = floor(llo) - stride; d <= ceil(lhi) + stride && nv < 40; d += stride)
			vals[nv++] = pow(10, d);
		minor_from = (int)nv;
		if (stride == 1 && numdec <= 10)
			for (double d = floor(llo) - 1; d <= ceil(lhi) && nv < 64; d++)
				for (int s = 2; s <= 9 && nv < 64; s++)
					vals[nv++] = s * pow(10, d);
	} else {
		int nbins = space < 1 ? 1 : space > 9 ? 9 : space;
		nv = pl_ticks_auto(lo, hi, nbins, vals, 40);
	}
	size_t nmaj = minor_from >= 0 ? (size_t)minor_from : nv;
	char **labels = nb_xcalloc(nmaj ? nmaj : 1, sizeof *labels);
	if (sc != PL_LOG)
		pl_format_ticks(vals, nmaj, lo, hi, labels, out->offset, sizeof out->offset);
	out->t = nb_xcalloc(nv ? nv : 1, sizeof *out->t);
	double tol = (hi - lo) * 1e-10;
	for (size_t i = 0; i < nv; i++) {
		int minor = i >= nmaj;
		double t = vals[i];
		int inside = sc == PL_LOG ? (t >= lo * (1 - 1e-10) && t <= hi * (1 + 1e-10)) : (t >= lo - tol && t <= hi + tol);
		if (!inside) {
			if (!minor)
				free(labels[i]);
			continue;
		}
		tick *k = &out->t[out->n++];
		k->v = t;
		k->minor = minor;
		if (!minor) {
			if (sc == PL_LOG) {
				char buf[64];
				snprintf(buf, sizeof buf, "$10^{%d}$", (int)lrint(log10(t)));
				k->label = nb_xstrdup(buf);
			} else {
				k->label = labels[i];
			}
			k->tl = pl_tl_layout(c->pc, k->label, FS);
		}
	}
	free(labels);
	if (out->offset[0])
		out->offset_tl = pl_tl_layout(c->pc, out->offset, FS);
}

/* The extents of an axes' decorations beyond its box: left, right, top, bottom. */
typedef struct deco {
	double l, r, t, b;
} deco;

static deco measure_deco(ctx *c, pl_axes *a, axis_ticks *xt, axis_ticks *yt)
{
	deco d = {0, 0, 0, 0};
	double ylw = 0, xlh = 0;
	for (size_t i = 0; i < yt->n; i++)
		if (yt->t[i].tl && yt->t[i].tl->width > ylw)
			ylw = yt->t[i].tl->width;
	for (size_t i = 0; i < xt->n; i++)
		if (xt->t[i].tl && xt->t[i].tl->ascent + xt->t[i].tl->descent > xlh)
			xlh = xt->t[i].tl->ascent + xt->t[i].tl->descent;
	d.l = TICK_LEN + TICK_PAD + ylw;
	d.b = TICK_LEN + TICK_PAD + xlh;
	if (a->ylabel) {
		pl_tl *t = pl_tl_layout(c->pc, a->ylabel, FS);
		d.l += LABEL_PAD + t->ascent + t->descent;
		pl_tl_free(t);
		free(t);
	}
	if (a->xlabel) {
		pl_tl *t = pl_tl_layout(c->pc, a->xlabel, FS);
		d.b += LABEL_PAD + t->ascent + t->descent;
		pl_tl_free(t);
		free(t);
	}
	if (a->title) {
		pl_tl *t = pl_tl_layout(c->pc, a->title, TITLE_FS);
		d.t = TITLE_PAD + t->ascent + t->descent;
		pl_tl_free(t);
		free(t);
	}
	if (yt->offset_tl)
		d.t = fmax(d.t, 2 + yt->offset_tl->ascent + yt->offset_tl->descent);
	/* x tick labels may stick out sideways at the ends */
	for (size_t i = 0; i < xt->n; i++) {
		if (!xt->t[i].tl)
			continue;
		double x = X(a, xt->t[i].v) - a->bx, hw = xt->t[i].tl->width / 2;
		d.l = fmax(d.l, hw - x);
		d.r = fmax(d.r, x + hw - a->bw);
	}
	if (xt->offset_tl)
		d.b = fmax(d.b, TICK_LEN + TICK_PAD + xlh + xt->offset_tl->ascent + xt->offset_tl->descent);
	return d;
}

static void set_dash(cairo_t *cr, int ls, double lw)
{
	static const double dashed[] = {3.7, 1.6}, dotted[] = {1, 1.65}, dashdot[] = {6.4, 1.6, 1, 1.6};
	double d[4];
	const double *pat = NULL;
	int n = 0;
	if (ls == PL_LS_DASHED) {
		pat = dashed;
		n = 2;
	} else if (ls == PL_LS_DOTTED) {
		pat = dotted;
		n = 2;
	} else if (ls == PL_LS_DASHDOT) {
		pat = dashdot;
		n = 4;
	}
	for (int i = 0; i < n; i++)
		d[i] = pat[i] * lw;
	cairo_set_dash(cr, d, n, 0);
	cairo_set_line_cap(cr, ls == PL_LS_SOLID ? CAIRO_LINE_CAP_SQUARE : CAIRO_LINE_CAP_BUTT);
	cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
}

static void set_color(cairo_t *cr, pl_rgba c, double alpha)
{
	cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a * alpha);
}

/* A marker path of size ms (pt) centred at (x, y); returns whether it is filled. */
static int marker_path(cairo_t *cr, char m, double x, double y, double ms)
{
	double r = ms / 2;
	switch (m) {
	case '.':
		cairo_new_sub_path(cr);
		cairo_arc(cr, x, y, r * 0.5, 0, 2 * M_PI);
		return 1;
	case ',':
		cairo_rectangle(cr, x - 0.5, y - 0.5, 1, 1);
		return 1;
	case 'o':
		cairo_new_sub_path(cr);
		cairo_arc(cr, x, y, r, 0, 2 * M_PI);
		return 1;
	case 's':
		cairo_rectangle(cr, x - r / sqrt(2) * 1.0, y - r / sqrt(2), 2 * r / sqrt(2), 2 * r / sqrt(2));
		return 1;
	case 'D': case 'd': {
		double w = m == 'd' ? 0.6 * r : r;
		cairo_move_to(cr, x, y - r);
		cairo_line_to(cr, x + w, y);
		cairo_line_to(cr, x, y + r);
		cairo_line_to(cr, x - w, y);
		cairo_close_path(cr);
		return 1;
	}
	case '^': case 'v': case '<': case '>': {
		double ang = m == '^' ? -M_PI / 2 : m == 'v' ? M_PI / 2 : m == '<' ? M_PI : 0;
		for (int i = 0; i < 3; i++) {
			double t = ang + i * 2 * M_PI / 3;
			if (i == 0)
				cairo_move_to(cr, x + r * cos(t), y + r * sin(t));
			else
				cairo_line_to(cr, x + r * cos(t), y + r * sin(t));
		}
		cairo_close_path(cr);
		return 1;
	}
	case '*': case 'p': case 'h': case 'H': case '8': {
		int k = m == '*' ? 5 : m == 'p' ? 5 : m == '8' ? 8 : 6;
		int star = m == '*';
		int pts = star ? 2 * k : k;
		for (int i = 0; i < pts; i++) {
			double t = -M_PI / 2 + i * 2 * M_PI / pts + (m == 'H' ? M_PI / 6 : 0);
			double rr = star && (i % 2) ? r * 0.381966 : r;
			if (i == 0)
				cairo_move_to(cr, x + rr * cos(t), y + rr * sin(t));
			else
				cairo_line_to(cr, x + rr * cos(t), y + rr * sin(t));
		}
		cairo_close_path(cr);
		return 1;
	}
	case '+': case 'P':
		cairo_move_to(cr, x - r, y);
		cairo_line_to(cr, x + r, y);
		cairo_move_to(cr, x, y - r);
		cairo_line_to(cr, x, y + r);
		return 0;
	case 'x': case 'X':
		cairo_move_to(cr, x - r * 0.7071, y - r * 0.7071);
		cairo_line_to(cr, x + r * 0.7071, y + r * 0.7071);
		cairo_move_to(cr, x - r * 0.7071, y + r * 0.7071);
		cairo_line_to(cr, x + r * 0.7071, y - r * 0.7071);
		return 0;
	case '|':
		cairo_move_to(cr, x, y - r);
		cairo_line_to(cr, x, y + r);
		return 0;
	case '_':
		cairo_move_to(cr, x - r, y);
		cairo_line_to(cr, x + r, y);
		return 0;
	case '1': case '2': case '3': case '4':
		cairo_move_to(cr, x, y);
		cairo_line_to(cr, x, y + (m == '1' ? r : -r));
		cairo_move_to(cr, x, y);
		cairo_line_to(cr, x - r * 0.866, y + (m == '1' ? -r / 2 : r / 2));
		cairo_move_to(cr, x, y);
		cairo_line_to(cr, x + r * 0.866, y + (m == '1' ? -r / 2 : r / 2));
		return 0;
	default:
		cairo_new_sub_path(cr);
		cairo_arc(cr, x, y, r, 0, 2 * M_PI);
		return 1;
	}
}

static void draw_marker(cairo_t *cr, char m, double x, double y, double ms, pl_rgba c, double alpha)
{
	cairo_new_path(cr);
	int filled = marker_path(cr, m, x, y, ms);
	set_color(cr, c, alpha);
	cairo_set_dash(cr, NULL, 0, 0);
	cairo_set_line_width(cr, 1.0);
	cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
	cairo_set_line_join(cr, CAIRO_LINE_JOIN_MITER);
	if (filled)
		cairo_fill_preserve(cr);
	cairo_stroke(cr);
}

/*
 * Path simplification, as matplotlib's path.simplify does by default: a run
 * of vertices that keeps going forward along a straight line, none of them
 * farther from it than SIMPLIFY_TOL device pixels, is drawn as one segment
 * to the run's last vertex.  Dense lines (long training curves, contour
 * lines, band outlines) keep their look at a fraction of the vertices, which
 * makes their PDF files smaller and quicker to write and to view.
 */
#define SIMPLIFY_TOL (1.0 / 9)

typedef struct simp {
	cairo_t *cr;
	double tol;          /* in user units (points) */
	int open, run;       /* a subpath begun; a run under way */
	int drawn, dot;      /* the subpath has a segment; it had a zero-length one */
	double ox, oy;       /* where the run starts (already in the path) */
	double ux, uy;       /* the run's direction, a unit vector */
	double ex, ey, emax; /* its last vertex, and how far along it lies */
} simp;

static simp simp_start(const ctx *c)
{
	return (simp){c->cr, SIMPLIFY_TOL / 2 / (c->scale > 0 ? c->scale : 1)};
}

static void simp_flush(simp *s)
{
	if (s->run) {
		cairo_line_to(s->cr, s->ex, s->ey);
		s->ox = s->ex;
		s->oy = s->ey;
		s->run = 0;
		s->drawn = 1;
	}
}

/* ends the subpath; a subpath of zero length keeps one segment (caps draw it as a dot) */
static void simp_end(simp *s)
{
	simp_flush(s);
	if (s->open && !s->drawn && s->dot)
		cairo_line_to(s->cr, s->ox, s->oy);
	s->open = 0;
}

static void simp_move(simp *s, double x, double y)
{
	simp_end(s);
	cairo_move_to(s->cr, x, y);
	*s = (simp){s->cr, s->tol, 1, 0, 0, 0, x, y};
}

static void simp_line(simp *s, double x, double y)
{
	if (!s->open) {
		simp_move(s, x, y);
		return;
	}
	if (s->run) {
		double dx = x - s->ex, dy = y - s->ey;
		double along = (x - s->ox) * s->ux + (y - s->oy) * s->uy;
		double across = (x - s->ox) * s->uy - (y - s->oy) * s->ux;
		if (fabs(across) <= s->tol && along >= s->emax && dx * s->ux + dy * s->uy >= 0) {
			s->ex = x;
			s->ey = y;
			s->emax = along;
			return;
		}
		simp_flush(s);
	}
	double dx = x - s->ox, dy = y - s->oy, d = hypot(dx, dy);
	if (!(d > 0)) {
		s->dot = 1;
		return;
	}
	s->ux = dx / d;
	s->uy = dy / d;
	s->ex = x;
	s->ey = y;
	s->emax = d;
	s->run = 1;
}

static void simp_close(simp *s)
{
	simp_flush(s);
	cairo_close_path(s->cr);
	s->open = 0;
}

void pl_simplified_path(cairo_t *cr, const double *x, const double *y, size_t n, double scale)
{
	simp s = simp_start(&(ctx){.cr = cr, .scale = scale});
	for (size_t i = 0; i < n; i++) {
		if (isfinite(x[i]) && isfinite(y[i]))
			simp_line(&s, x[i], y[i]);
		else
			simp_end(&s);
	}
	simp_end(&s);
}

static void draw_polyline(const ctx *c, const pl_axes *a, const double *x, const double *y, size_t n)
{
	simp s = simp_start(c);
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(x[i]) || !isfinite(y[i]) || (a->xscale == PL_LOG && x[i] <= 0) ||
		    (a->yscale == PL_LOG && y[i] <= 0)) {
			simp_end(&s);
			continue;
		}
		simp_line(&s, X(a, x[i]), Y(a, y[i]));
	}
	simp_end(&s);
}

static void draw_text_at(ctx *c, const pl_tl *t, double x, double y, char ha, char va, double angle, pl_rgba col)
{
	/* (x, y) is the anchor; compute the baseline origin */
	double w = t->width, asc = t->ascent, desc = t->descent;
	double dx = ha == 'c' ? -w / 2 : ha == 'r' ? -w : 0;
	double dy = va == 't' ? asc : va == 'b' ? -desc : va == 'c' ? (asc - desc) / 2 : 0;
	if (angle != 0) {
		/* rotated 90°: width runs up */
		double ox = x + dy, oy = y - dx;
		pl_tl_draw(c->cr, c->pc, t, ox, oy, angle, col);
		return;
	}
	pl_tl_draw(c->cr, c->pc, t, x + dx, y + dy, 0, col);
}

/* ---- contour lines: marching squares, segments joined through shared cell edges */

typedef struct cseg {
	long e[2];          /* the two edges it connects */
	double px[2], py[2];
	int used;
} cseg;

static void edge_point(const artist *r, long e, double L, double *px, double *py)
{
	size_t cols = r->cols, nh = (r->rows) * (cols - 1);
	size_t i0, j0, i1, j1;
	if ((size_t)e < nh) {
		i0 = i1 = (size_t)e / (cols - 1);
		j0 = (size_t)e % (cols - 1);
		j1 = j0 + 1;
	} else {
		size_t v = (size_t)e - nh;
		i0 = v / cols;
		j0 = j1 = v % cols;
		i1 = i0 + 1;
	}
	size_t k0 = i0 * cols + j0, k1 = i1 * cols + j1;
	double z0 = r->z[k0], z1 = r->z[k1], t = z1 != z0 ? (L - z0) / (z1 - z0) : 0.5;
	*px = r->x[k0] + t * (r->x[k1] - r->x[k0]);
	*py = r->y[k0] + t * (r->y[k1] - r->y[k0]);
}

/*
 * The contour lines of r at level L, joined through shared cell edges
 * (marching squares; a saddle's centre value decides its connections):
 * appended to out as polylines in data coordinates, each followed by a
 * NaN point.  A closed loop repeats its first point at the end.
 */
/* the first index k with v[k] >= x in an increasing sequence (n if none) */
static size_t lower_bound(const double *v, size_t n, double x)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * lower_bound(lv, nl, z) for increasing levels, starting where evenly spaced
 * levels would put z (per: (nl - 1) over the levels' range, 0 if that is
 * empty): the levels a contour set gets by default are evenly spaced, and a
 * binary search of 256 of them for each pixel, mispredicting its way down,
 * was most of a loss landscape's drawing time.
 */
static size_t level_bound(const double *lv, size_t nl, double per, double z)
{
	if (isnan(z))
		return 0;
	double gd = (z - lv[0]) * per;
	size_t g = gd > 0 ? (gd < (double)(nl - 1) ? (size_t)gd : nl - 1) : 0;
	if (lv[g] >= z)
		return g == 0 || lv[g - 1] < z ? g : lower_bound(lv, g, z);
	return g + 1 >= nl || lv[g + 1] >= z ? g + 1 : g + 1 + lower_bound(lv + g + 1, nl - g - 1, z);
}

/* per for level_bound */
static double level_step(const double *lv, size_t nl)
{
	return nl > 1 && lv[nl - 1] > lv[0] ? (double)(nl - 1) / (lv[nl - 1] - lv[0]) : 0;
}

typedef struct eslot {
	long e, seg; /* a cell edge and a segment that ends on it */
} eslot;

static int eslot_cmp(const void *pa, const void *pb)
{
	const eslot *a = pa, *b = pb;
	return a->e != b->e ? (a->e < b->e ? -1 : 1) : (a->seg > b->seg) - (a->seg < b->seg);
}

/* The other segment ending on edge e (slots sorted by edge, then segment), or -1. */
static long other_seg(const eslot *slot, size_t n, long e, long seg)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (slot[mid].e < e)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < n && slot[lo].e == e; lo++)
		if (slot[lo].seg != seg)
			return slot[lo].seg;
	return -1;
}

static void contour_trace(const artist *r, double L, const size_t *cells, size_t ncells, polyline *out)
{
	size_t rows = r->rows, cols = r->cols;
	if (rows < 2 || cols < 2)
		return;
	size_t nh = rows * (cols - 1);
	cseg *seg = NULL;
	size_t nseg = 0, capseg = 0;
	if (!cells)
		ncells = (rows - 1) * (cols - 1);
	for (size_t ci = 0; ci < ncells; ci++) {
		size_t k = cells ? cells[ci] : ci, i = k / (cols - 1), j = k % (cols - 1);
		double za = r->z[i * cols + j], zb = r->z[i * cols + j + 1];
		double zc = r->z[(i + 1) * cols + j + 1], zd = r->z[(i + 1) * cols + j];
		if (!isfinite(za) || !isfinite(zb) || !isfinite(zc) || !isfinite(zd))
			continue;
		int code = (za > L) | (zb > L) << 1 | (zc > L) << 2 | (zd > L) << 3;
		if (code == 0 || code == 15)
			continue;
		long eB = (long)(i * (cols - 1) + j), eT = (long)((i + 1) * (cols - 1) + j);
		long eL = (long)(nh + i * cols + j), eR = (long)(nh + i * cols + j + 1);
		long pairs[4];
		int np = 0;
		switch (code) {
		case 1: case 14: pairs[0] = eL; pairs[1] = eB; np = 2; break;
		case 2: case 13: pairs[0] = eB; pairs[1] = eR; np = 2; break;
		case 3: case 12: pairs[0] = eL; pairs[1] = eR; np = 2; break;
		case 4: case 11: pairs[0] = eR; pairs[1] = eT; np = 2; break;
		case 6: case 9: pairs[0] = eB; pairs[1] = eT; np = 2; break;
		case 7: case 8: pairs[0] = eL; pairs[1] = eT; np = 2; break;
		case 5: case 10: {
			/* a saddle: the centre value decides which corners connect */
			int centre = (za + zb + zc + zd) / 4 > L;
			if ((code == 5) == centre) {
				pairs[0] = eL; pairs[1] = eT; pairs[2] = eB; pairs[3] = eR;
			} else {
				pairs[0] = eL; pairs[1] = eB; pairs[2] = eR; pairs[3] = eT;
			}
			np = 4;
			break;
		}
		}
		for (int q = 0; q < np; q += 2) {
			NB_GROW(seg, capseg, nseg + 1);
			cseg *sg = &seg[nseg++];
			sg->e[0] = pairs[q];
			sg->e[1] = pairs[q + 1];
			sg->used = 0;
			edge_point(r, sg->e[0], L, &sg->px[0], &sg->py[0]);
			edge_point(r, sg->e[1], L, &sg->px[1], &sg->py[1]);
		}
	}
	if (!nseg) {
		free(seg);
		return;
	}
	/* the two segments meeting on an edge: slots sorted by edge (the first segment first) */
	eslot *slot = nb_xmalloc(2 * nseg * sizeof *slot);
	for (size_t k = 0; k < nseg; k++)
		for (int q = 0; q < 2; q++)
			slot[2 * k + (size_t)q] = (eslot){seg[k].e[q], (long)k};
	qsort(slot, 2 * nseg, sizeof *slot, eslot_cmp);
	for (size_t k = 0; k < nseg; k++) {
		if (seg[k].used)
			continue;
		/* walk back to an end of the line (or around a loop) */
		long cur = (long)k, from = seg[k].e[0];
		for (size_t guard = 0; guard < nseg; guard++) {
			long nxt = other_seg(slot, 2 * nseg, from, cur);
			if (nxt < 0 || nxt == (long)k)
				break;
			from = seg[nxt].e[0] == from ? seg[nxt].e[1] : seg[nxt].e[0];
			cur = nxt;
		}
		/* cur starts the line; 'from' is its free end */
		int side = seg[cur].e[0] == from ? 0 : 1;
		pts_add(out, seg[cur].px[side], seg[cur].py[side]);
		long e = from;
		while (cur >= 0 && !seg[cur].used) {
			seg[cur].used = 1;
			int other = seg[cur].e[0] == e ? 1 : 0;
			pts_add(out, seg[cur].px[other], seg[cur].py[other]);
			e = seg[cur].e[other];
			cur = other_seg(slot, 2 * nseg, e, cur);
		}
		pts_add(out, NAN, NAN);
	}
	free(seg);
	free(slot);
}

size_t pl_contour_trace(const double *x, const double *y, const double *z, size_t rows, size_t cols, double level,
			double **ox, double **oy)
{
	artist r = {0};
	r.x = (double *)x;
	r.y = (double *)y;
	r.z = (double *)z;
	r.rows = rows;
	r.cols = cols;
	polyline out = {0};
	contour_trace(&r, level, NULL, 0, &out);
	*ox = out.x;
	*oy = out.y;
	return out.n;
}

/*
 * What drawing a contour set computes from its data alone, kept from one
 * drawing of the figure to the next (the recording for the report, the PNG,
 * the PDF) and shared by the contour sets of other figures with the same
 * grid, heights, levels and opacity (notebooks draw one loss surface under
 * several overlays): each level's lines and each band's outlines, in data
 * coordinates, pieces separated by NaN points.  Each part is filled in by the
 * first drawing that needs it, under memo_mu (figures are drawn on both
 * threads).
 */
typedef struct contour_memo {
	polyline *lines; /* nlev: contour lines */
	polyline *bands; /* nlev - 1: filled contours */
	int refs;        /* the artists using it, and the cache */
	size_t rows, cols, nlev;
	int opaque;
	uint64_t hash;
	double *key; /* x, y and z (rows * cols each), then the levels; NULL: not shared */
} contour_memo;

/* the memos most recently made, for the next figures' contour sets to share */
#define MEMO_CACHE 4
/* grids larger than this (doubles of key: 2 MiB, a grid of ~87 000 points) get a memo of their
 * own rather than a copy of their data in the cache, which would outlive their figure */
#define MEMO_KEY_MAX ((size_t)1 << 18)
static pthread_mutex_t memo_mu = PTHREAD_MUTEX_INITIALIZER;
static contour_memo *memo_cache[MEMO_CACHE];
static size_t memo_next;

/* Drop a reference to m (memo_mu held), freeing it with the last. */
static void memo_unref(contour_memo *m)
{
	if (!m || --m->refs > 0)
		return;
	for (size_t k = 0; k < m->nlev && m->lines; k++) {
		free(m->lines[k].x);
		free(m->lines[k].y);
	}
	for (size_t k = 0; k + 1 < m->nlev && m->bands; k++) {
		free(m->bands[k].x);
		free(m->bands[k].y);
	}
	free(m->lines);
	free(m->bands);
	free(m->key);
	free(m);
}

static void contour_memo_release(contour_memo *m)
{
	if (!m)
		return;
	pthread_mutex_lock(&memo_mu);
	memo_unref(m);
	pthread_mutex_unlock(&memo_mu);
}

/* r's memo: one shared with an earlier contour set of the same data, or a new one (r itself
 * stays unchanged: the memo is a cache of it) */
static contour_memo *memo_of(const artist *r)
{
	if (r->memo)
		return r->memo;
	size_t n = r->rows * r->cols, nk = 3 * n + r->nlev;
	int opaque = r->st.alpha >= 1, shared = nk <= MEMO_KEY_MAX;
	/* the key's parts, where they are in r and where they go in a memo's copy */
	const double *part[4] = {r->x, r->y, r->z, r->levels};
	size_t len[4] = {n, n, n, r->nlev};
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ (uint64_t)n ^ ((uint64_t)r->nlev << 40) ^ (uint64_t)opaque;
	for (int q = 0; q < 4 && shared; q++)
		for (size_t k = 0; k < len[q]; k++) {
			uint64_t w;
			memcpy(&w, &part[q][k], sizeof w);
			h = (h ^ w) * 0x100000001b3ULL;
			h ^= h >> 29;
		}
	contour_memo *m = NULL;
	pthread_mutex_lock(&memo_mu);
	for (size_t c = 0; shared && c < MEMO_CACHE && !m; c++) {
		contour_memo *e = memo_cache[c];
		if (!e || e->hash != h || e->rows != r->rows || e->cols != r->cols || e->nlev != r->nlev ||
		    e->opaque != opaque)
			continue;
		int same = 1;
		for (size_t q = 0, off = 0; q < 4 && same; off += len[q], q++)
			same = !memcmp(e->key + off, part[q], len[q] * sizeof *part[q]);
		if (same)
			m = e;
	}
	if (m) {
		m->refs++;
	} else {
		m = nb_xcalloc(1, sizeof *m);
		*m = (contour_memo){.refs = 1, .rows = r->rows, .cols = r->cols, .nlev = r->nlev, .opaque = opaque,
				    .hash = h};
		if (shared) {
			m->key = nb_xmalloc(nk * sizeof *m->key);
			for (size_t q = 0, off = 0; q < 4; off += len[q], q++)
				memcpy(m->key + off, part[q], len[q] * sizeof *part[q]);
			memo_unref(memo_cache[memo_next]);
			memo_cache[memo_next] = m;
			memo_next = (memo_next + 1) % MEMO_CACHE;
			m->refs++;
		}
	}
	pthread_mutex_unlock(&memo_mu);
	((artist *)r)->memo = m;
	return m;
}

/* The smallest and largest z at the corners of grid cell k; 0 if a corner is not finite. */
static int cell_range(const artist *r, size_t k, double *zmin, double *zmax)
{
	size_t cols = r->cols, i = k / (cols - 1), j = k % (cols - 1);
	double zs[4] = {r->z[i * cols + j], r->z[i * cols + j + 1], r->z[(i + 1) * cols + j + 1], r->z[(i + 1) * cols + j]};
	int ok = 1;
	*zmin = INFINITY;
	*zmax = -INFINITY;
	for (int q = 0; q < 4; q++) {
		ok &= isfinite(zs[q]);
		*zmin = fmin(*zmin, zs[q]);
		*zmax = fmax(*zmax, zs[q]);
	}
	return ok;
}

/* The cells each level crosses (a corner above the level and one not: zmin <= L < zmax), in
 * order, level li's from cells[start[li]] to cells[start[li + 1]]: each level is traced over
 * its own cells instead of the whole grid. */
static void level_cells(const artist *r, size_t **start_out, size_t **cells_out)
{
	size_t rows = r->rows, cols = r->cols, nl = r->nlev, ncell = (rows - 1) * (cols - 1);
	double per = level_step(r->levels, nl);
	/* each cell's levels [lo, hi) */
	uint32_t *span = nb_xmalloc(2 * ncell * sizeof *span);
	size_t *start = nb_xcalloc(nl + 1, sizeof *start);
	for (size_t k = 0; k < ncell; k++) {
		double zmin, zmax;
		size_t lo = 0, hi = 0;
		if (cell_range(r, k, &zmin, &zmax)) {
			lo = level_bound(r->levels, nl, per, zmin);
			hi = level_bound(r->levels, nl, per, zmax);
		}
		span[2 * k] = (uint32_t)lo;
		span[2 * k + 1] = (uint32_t)hi;
		for (size_t li = lo; li < hi; li++)
			start[li + 1]++;
	}
	for (size_t li = 0; li < nl; li++)
		start[li + 1] += start[li];
	size_t *cells = nb_xmalloc((start[nl] ? start[nl] : 1) * sizeof *cells), *fill = nb_xcalloc(nl, sizeof *fill);
	for (size_t k = 0; k < ncell; k++)
		for (size_t li = span[2 * k]; li < span[2 * k + 1]; li++)
			cells[start[li] + fill[li]++] = k;
	free(span);
	free(fill);
	*start_out = start;
	*cells_out = cells;
}

static void contour_lines(ctx *c, const pl_axes *a, const artist *r)
{
	if (r->rows < 2 || r->cols < 2 || !r->nlev)
		return;
	double lev0 = r->levels[0], levn = r->levels[r->nlev - 1];
	cairo_t *cr = c->cr;
	contour_memo *m = memo_of(r);
	pthread_mutex_lock(&memo_mu);
	if (!m->lines) {
		polyline *lines = nb_xcalloc(r->nlev, sizeof *lines);
		size_t *start, *cells;
		level_cells(r, &start, &cells);
		for (size_t li = 0; li < r->nlev; li++)
			contour_trace(r, r->levels[li], cells + start[li], start[li + 1] - start[li], &lines[li]);
		free(start);
		free(cells);
		m->lines = lines;
	}
	pthread_mutex_unlock(&memo_mu);
	for (size_t li = 0; li < r->nlev; li++) {
		double L = r->levels[li];
		const polyline pl = m->lines[li];
		if (!pl.n)
			continue;
		cairo_new_path(cr);
		simp sp = simp_start(c);
		for (size_t q = 0; q < pl.n; q++) {
			if (isnan(pl.x[q]))
				simp_end(&sp);
			else
				simp_line(&sp, X(a, pl.x[q]), Y(a, pl.y[q]));
		}
		simp_end(&sp);
		pl_rgba col = r->mono ? r->color : pl_cmap_at(r->cmap, levn > lev0 ? (L - lev0) / (levn - lev0) : 0.5);
		set_color(cr, col, r->st.alpha);
		cairo_set_line_width(cr, r->st.linewidth);
		/* monochrome lines at negative levels are dashed, as matplotlib draws them */
		set_dash(cr, r->mono && L < 0 ? PL_LS_DASHED : PL_LS_SOLID, r->st.linewidth);
		cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
		cairo_stroke(cr);
	}
}

/* ---- filled contours: each quad clipped to the band, one fill per band */

static void contour_fill_paths(ctx *c, const pl_axes *a, const artist *r);

/*
 * Filled contours with many levels look like an image and would make PDF
 * and SVG files of megabytes: in vector outputs they are drawn into an
 * embedded image of the axes box (lines and text stay vectors).
 */
/* Is the grid rectilinear (x varies along rows only, y along columns only, both monotonic)? */
static int rectilinear(const artist *r, int *xdir, int *ydir)
{
	size_t rows = r->rows, cols = r->cols;
	for (size_t i = 0; i < rows; i++)
		for (size_t j = 0; j < cols; j++)
			if (r->x[i * cols + j] != r->x[j] || r->y[i * cols + j] != r->y[i * cols])
				return 0;
	*xdir = r->x[cols - 1] > r->x[0] ? 1 : -1;
	*ydir = r->y[(rows - 1) * cols] > r->y[0] ? 1 : -1;
	for (size_t j = 1; j < cols; j++)
		if ((r->x[j] - r->x[j - 1]) * *xdir <= 0)
			return 0;
	for (size_t i = 1; i < rows; i++)
		if ((r->y[i * cols] - r->y[(i - 1) * cols]) * *ydir <= 0)
			return 0;
	return 1;
}

/* Paint img, drawn at `scale` pixels per point, over the axes box; takes img. */
static void paint_in_box(ctx *c, const pl_axes *a, cairo_surface_t *img, double scale, cairo_filter_t filter)
{
	cairo_save(c->cr);
	cairo_translate(c->cr, a->bx, a->by);
	cairo_scale(c->cr, 1 / scale, 1 / scale);
	cairo_set_source_surface(c->cr, img, 0, 0);
	cairo_pattern_set_filter(cairo_get_source(c->cr), filter);
	cairo_paint(c->cr);
	cairo_restore(c->cr);
	cairo_surface_destroy(img);
}

/* index k with v[k] <= x < v[k + 1] in a monotonic sequence (stride apart), or -1 outside */
static long bracket(const double *v, size_t n, size_t stride, int dir, double x)
{
	double lo = v[0], hi = v[(n - 1) * stride];
	if (dir > 0 ? (x < lo || x > hi) : (x > lo || x < hi))
		return -1;
	size_t a = 0, b = n - 1;
	while (b - a > 1) {
		size_t m = (a + b) / 2;
		if ((v[m * stride] <= x) == (dir > 0))
			a = m;
		else
			b = m;
	}
	return (long)a;
}

/*
 * Many bands on a rectilinear grid: each pixel takes the colour of the band
 * holding the bilinear interpolation of z at its centre.  Exact, seam-free,
 * and linear in the number of pixels.
 */
static void contour_fill_pixels(ctx *c, const pl_axes *a, const artist *r, double scale, int xdir, int ydir)
{
	int w = (int)ceil(a->bw * scale), h = (int)ceil(a->bh * scale);
	cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
	cairo_surface_flush(img);
	unsigned char *data = cairo_image_surface_get_data(img);
	int stride = cairo_image_surface_get_stride(img);
	size_t rows = r->rows, cols = r->cols, nl = r->nlev;
	double lev0 = r->levels[0], levn = r->levels[nl - 1];
	double per_level = level_step(r->levels, nl);
	uint32_t *lut = nb_xmalloc((nl + 1) * sizeof *lut);
	for (size_t b = 0; b + 1 < nl; b++) {
		double mid = (r->levels[b] + r->levels[b + 1]) / 2;
		pl_rgba col = r->mono ? r->color : pl_cmap_at(r->cmap, levn > lev0 ? (mid - lev0) / (levn - lev0) : 0.5);
		double al = col.a * r->st.alpha;
		uint32_t A = (uint32_t)lrint(al * 255);
		lut[b] = A << 24 | (uint32_t)lrint(col.r * al * 255) << 16 | (uint32_t)lrint(col.g * al * 255) << 8 |
			 (uint32_t)lrint(col.b * al * 255);
	}
	long *jx = nb_xmalloc((size_t)w * sizeof *jx);
	double *tx = nb_xmalloc((size_t)w * sizeof *tx);
	double lx0 = tr(a->vx[0], a->xscale), lx1 = tr(a->vx[1], a->xscale);
	double ly0 = tr(a->vy[0], a->yscale), ly1 = tr(a->vy[1], a->yscale);
	for (int px = 0; px < w; px++) {
		double fx = (px + 0.5) / scale / a->bw, xv = lx0 + fx * (lx1 - lx0);
		if (a->xscale == PL_LOG)
			xv = pow(10, xv);
		jx[px] = bracket(r->x, cols, 1, xdir, xv);
		if (jx[px] >= (long)cols - 1)
			jx[px] = (long)cols - 2;
		if (jx[px] >= 0)
			tx[px] = (xv - r->x[jx[px]]) / (r->x[jx[px] + 1] - r->x[jx[px]]);
	}
	for (int py = 0; py < h; py++) {
		double fy = 1 - (py + 0.5) / scale / a->bh, yv = ly0 + fy * (ly1 - ly0);
		if (a->yscale == PL_LOG)
			yv = pow(10, yv);
		long i = bracket(r->y, rows, cols, ydir, yv);
		uint32_t *row = (uint32_t *)(data + (size_t)py * (size_t)stride);
		if (i < 0)
			continue;
		if (i >= (long)rows - 1)
			i = (long)rows - 2;
		double ty = (yv - r->y[(size_t)i * cols]) / (r->y[((size_t)i + 1) * cols] - r->y[(size_t)i * cols]);
		const double *z0 = r->z + (size_t)i * cols, *z1 = z0 + cols;
		for (int px = 0; px < w; px++) {
			long j = jx[px];
			if (j < 0)
				continue;
			double t = tx[px];
			double zv = (1 - ty) * ((1 - t) * z0[j] + t * z0[j + 1]) + ty * ((1 - t) * z1[j] + t * z1[j + 1]);
			if (!(zv >= lev0 && zv <= levn))
				continue;
			size_t b = level_bound(r->levels, nl, per_level, zv);
			b = b > 0 ? b - 1 : 0;
			if (b > nl - 2)
				b = nl - 2;
			row[px] = lut[b];
		}
	}
	cairo_surface_mark_dirty(img);
	free(jx);
	free(tx);
	free(lut);
	paint_in_box(c, a, img, scale, CAIRO_FILTER_NEAREST);
}

static void contour_fill(ctx *c, const pl_axes *a, const artist *r)
{
	int xdir, ydir;
	if (r->nlev > 64 && r->nlev >= 2 && rectilinear(r, &xdir, &ydir)) {
		/* device pixels for PNG; in vector outputs an image with two pixels per grid cell,
		 * from 100 to 200 dpi (finer shows nothing the data hold, and costs file size) */
		double cells_per_pt = fmax((double)(r->cols - 1) / a->bw, (double)(r->rows - 1) / a->bh);
		double sc = fmin(200.0 / 72.0, fmax(100.0 / 72.0, 2 * cells_per_pt));
		contour_fill_pixels(c, a, r, c->snap ? c->scale : sc, xdir, ydir);
		return;
	}
	if (c->snap || r->nlev <= 64) {
		contour_fill_paths(c, a, r);
		return;
	}
	double sc = 200.0 / 72.0;
	int w = (int)ceil(a->bw * sc), h = (int)ceil(a->bh * sc);
	cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
	cairo_t *icr = cairo_create(img);
	cairo_scale(icr, sc, sc);
	cairo_translate(icr, -a->bx, -a->by);
	ctx ic = *c;
	ic.cr = icr;
	ic.scale = sc;
	contour_fill_paths(&ic, a, r);
	cairo_destroy(icr);
	paint_in_box(c, a, img, sc, CAIRO_FILTER_GOOD);
}

/*
 * One band's region {lo <= z <= hi} as a single path of closed outlines.
 * Each cell's piece of the band is its quad clipped by both levels (z linear
 * along the sides); a side shared by two pieces is traversed once each way,
 * so those cancel, and what is left joins into the outlines of the region
 * and its holes, as matplotlib's contour generator produces them: a few
 * vertices per level crossing instead of a polygon per cell.
 */
typedef struct bvert {
	uint64_t key; /* grid node (tag 0), or a level crossing on a grid edge (tags 1-4) */
	double x, y;
} bvert;

typedef struct bpair {
	uint64_t lo, hi; /* the vertex keys, lo < hi */
	long count;      /* edges lo->hi minus edges hi->lo */
	int used;
	double x0, y0, x1, y1;
} bpair;

typedef struct bedge {
	uint64_t u, v;
	double x0, y0;
} bedge;

static int bedge_cmp(const void *pa, const void *pb)
{
	const bedge *a = pa, *b = pb;
	return a->u < b->u ? -1 : a->u > b->u ? 1 : a->v < b->v ? -1 : a->v > b->v;
}

/* The crossing of level L on the grid edge between nodes ia and ib, computed from the
 * lower-numbered node so that both cells sharing the edge get the same point. */
static bvert crossing(const artist *r, size_t ia, size_t ib, int vertical, int which, double L)
{
	size_t a = ia < ib ? ia : ib, b = ia < ib ? ib : ia;
	double t = (L - r->z[a]) / (r->z[b] - r->z[a]);
	bvert v = {((uint64_t)a << 3) | (uint64_t)(1 + 2 * vertical + which), r->x[a] + t * (r->x[b] - r->x[a]),
		   r->y[a] + t * (r->y[b] - r->y[a])};
	return v;
}

/* The piece of cell (i, j) inside the band, its vertices in order (at most 12). */
static size_t cell_piece(const artist *r, size_t i, size_t j, double lo, double hi, bvert out[12])
{
	size_t cols = r->cols;
	size_t idx[4] = {i * cols + j, i * cols + j + 1, (i + 1) * cols + j + 1, (i + 1) * cols + j};
	static const int vertical[4] = {0, 1, 0, 1};
	size_t m = 0;
	for (int s = 0; s < 4; s++) {
		size_t p = idx[s], q = idx[(s + 1) & 3];
		double zp = r->z[p], zq = r->z[q];
		if (zp >= lo && zp <= hi)
			out[m++] = (bvert){(uint64_t)p << 3, r->x[p], r->y[p]};
		int clo = (zp >= lo) != (zq >= lo), chi = (zp <= hi) != (zq <= hi);
		double tlo = clo ? (lo - zp) / (zq - zp) : 0, thi = chi ? (hi - zp) / (zq - zp) : 0;
		if (clo && chi && thi < tlo) {
			out[m++] = crossing(r, p, q, vertical[s], 1, hi);
			out[m++] = crossing(r, p, q, vertical[s], 0, lo);
		} else {
			if (clo)
				out[m++] = crossing(r, p, q, vertical[s], 0, lo);
			if (chi)
				out[m++] = crossing(r, p, q, vertical[s], 1, hi);
		}
	}
	return m;
}

static size_t pair_slot(const bpair *tab, size_t cap, uint64_t kl, uint64_t kh)
{
	uint64_t x = kl * 0x9e3779b97f4a7c15ULL ^ (kh + 0x632be59bd9b4e019ULL);
	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 29;
	size_t h = (size_t)x & (cap - 1);
	while (tab[h].used && !(tab[h].lo == kl && tab[h].hi == kh))
		h = (h + 1) & (cap - 1);
	return h;
}

/* Whether node k's height is a number. */
static int finite_at(const artist *r, size_t k)
{
	return isfinite(r->z[k]);
}

/*
 * Whether the side of the grid between nodes a < b (both in the band) lies
 * between two cells that both have a piece of the band: then each piece runs
 * along all of it, the two ways round, and the two cancel.  So it is for most
 * of a band's inside; only the grid's border and cells with a NaN corner keep
 * theirs.
 */
static int inner_side(const artist *r, size_t a, size_t b)
{
	size_t cols = r->cols, rows = r->rows, i = a / cols, j = a % cols;
	if (b == a + 1) /* along row i: the cells below and above */
		return i > 0 && i + 1 < rows && finite_at(r, a - cols) && finite_at(r, b - cols) &&
		       finite_at(r, a + cols) && finite_at(r, b + cols);
	/* along column j: the cells left and right */
	return j > 0 && j + 1 < cols && finite_at(r, a - 1) && finite_at(r, b - 1) && finite_at(r, a + 1) &&
	       finite_at(r, b + 1);
}

/* The outlines of one band, appended to out in data coordinates, each closed ring followed by a
 * NaN point. */
static void band_rings(const artist *r, const size_t *cells, size_t n, double lo, double hi, polyline *out)
{
	if (!n)
		return;
	size_t cap = 64, used = 0;
	while (cap < n)
		cap <<= 1;
	bpair *tab = nb_xcalloc(cap, sizeof *tab);
	for (size_t q = 0; q < n; q++) {
		size_t i = cells[q] / (r->cols - 1), j = cells[q] % (r->cols - 1);
		bvert v[12];
		size_t m = cell_piece(r, i, j, lo, hi, v);
		if (m < 2)
			continue;
		for (size_t k = 0; k < m; k++) {
			const bvert *p = &v[k], *w = &v[(k + 1) % m];
			if (p->key == w->key)
				continue;
			int fwd = p->key < w->key;
			const bvert *L = fwd ? p : w, *H = fwd ? w : p;
			if (!(L->key & 7) && !(H->key & 7) && inner_side(r, (size_t)(L->key >> 3), (size_t)(H->key >> 3)))
				continue;
			if ((used + 1) * 2 > cap) { /* keep the table at most half full */
				size_t ncap = cap * 2;
				bpair *nt = nb_xcalloc(ncap, sizeof *nt);
				for (size_t s = 0; s < cap; s++)
					if (tab[s].used)
						nt[pair_slot(nt, ncap, tab[s].lo, tab[s].hi)] = tab[s];
				free(tab);
				tab = nt;
				cap = ncap;
			}
			size_t h = pair_slot(tab, cap, L->key, H->key);
			if (!tab[h].used) {
				tab[h] = (bpair){L->key, H->key, 0, 1, L->x, L->y, H->x, H->y};
				used++;
			}
			tab[h].count += fwd ? 1 : -1;
		}
	}
	/* what is left: the outlines' edges, each from u to v */
	size_t ne = 0, capE = 64;
	bedge *e = nb_xmalloc(capE * sizeof *e);
	for (size_t s = 0; s < cap; s++) {
		const bpair *p = &tab[s];
		for (long c = p->count > 0 ? p->count : -p->count; c > 0; c--) {
			NB_GROW(e, capE, ne + 1);
			e[ne++] = p->count > 0 ? (bedge){p->lo, p->hi, p->x0, p->y0} : (bedge){p->hi, p->lo, p->x1, p->y1};
		}
	}
	free(tab);
	qsort(e, ne, sizeof *e, bedge_cmp);
	char *done = nb_xcalloc(ne ? ne : 1, 1);
	for (size_t s = 0; s < ne; s++) {
		if (done[s])
			continue;
		/* follow the outline from edge s until it closes */
		size_t cur = s;
		uint64_t first = e[s].u;
		for (;;) {
			done[cur] = 1;
			pts_add(out, e[cur].x0, e[cur].y0);
			uint64_t next = e[cur].v;
			if (next == first)
				break;
			size_t lo_i = 0, hi_i = ne; /* the first unused edge leaving 'next' */
			while (lo_i < hi_i) {
				size_t mid = (lo_i + hi_i) / 2;
				if (e[mid].u < next)
					lo_i = mid + 1;
				else
					hi_i = mid;
			}
			while (lo_i < ne && e[lo_i].u == next && done[lo_i])
				lo_i++;
			if (lo_i >= ne || e[lo_i].u != next)
				break; /* a closed set of edges always continues; stop safely if not */
			cur = lo_i;
		}
		pts_add(out, NAN, NAN);
	}
	free(done);
	free(e);
}

/* A band's rings as one path in device space, less the vertices lying straight between their
 * neighbours (runs along the grid). */
static void band_path(const ctx *c, const pl_axes *a, const polyline *rings)
{
	simp sp = simp_start(c);
	double *px = nb_xmalloc((rings->n + 1) * sizeof *px), *py = nb_xmalloc((rings->n + 1) * sizeof *py);
	for (size_t q0 = 0; q0 < rings->n;) {
		size_t np = 0;
		for (; q0 < rings->n && !isnan(rings->x[q0]); q0++, np++) {
			px[np] = X(a, rings->x[q0]);
			py[np] = Y(a, rings->y[q0]);
		}
		q0++; /* the NaN */
		size_t k = 0;
		for (size_t t = 0; t < np; t++) {
			double ax = k ? px[k - 1] : px[np - 1], ay = k ? py[k - 1] : py[np - 1];
			double bx = px[(t + 1) % np], by = py[(t + 1) % np];
			double ux = px[t] - ax, uy = py[t] - ay, wx = bx - px[t], wy = by - py[t];
			if (k > 0 && fabs(ux * wy - uy * wx) <= 1e-9 * (ux * ux + uy * uy + wx * wx + wy * wy) &&
			    ux * wx + uy * wy > 0)
				continue;
			px[k] = px[t];
			py[k] = py[t];
			k++;
		}
		if (k < 3)
			continue;
		simp_move(&sp, px[0], py[0]);
		for (size_t t = 1; t < k; t++)
			simp_line(&sp, px[t], py[t]);
		simp_close(&sp);
	}
	free(px);
	free(py);
}

/* Each band's outlines (data coordinates), ring after ring: the cells bucketed by the bands they
 * touch, then each band's pieces joined. */
static polyline *band_outlines(const artist *r)
{
	size_t rows = r->rows, cols = r->cols, nl = r->nlev;
	size_t ncell = (rows - 1) * (cols - 1), nb = nl - 1;
	size_t *count = nb_xcalloc(nb + 1, sizeof *count);
	size_t *first = nb_xmalloc(ncell * sizeof *first), *last = nb_xmalloc(ncell * sizeof *last);
	int opaque = r->st.alpha >= 1;
	for (size_t k = 0; k < ncell; k++) {
		double zmin, zmax;
		if (!cell_range(r, k, &zmin, &zmax) || zmax < r->levels[0] || zmin > r->levels[nl - 1]) {
			first[k] = 1;
			last[k] = 0;
			continue;
		}
		size_t b0 = lower_bound(r->levels, nl, zmin), b1 = lower_bound(r->levels, nl, zmax);
		b0 = b0 > 0 ? b0 - 1 : 0;
		if (opaque && b0 > 0)
			b0--; /* the band below extends over this one */
		if (b1 > nb - 1)
			b1 = nb - 1;
		first[k] = b0;
		last[k] = b1;
		for (size_t b = b0; b <= b1; b++)
			count[b]++;
	}
	size_t *start = nb_xcalloc(nb + 1, sizeof *start);
	for (size_t b = 0; b < nb; b++)
		start[b + 1] = start[b] + count[b];
	size_t *cells = nb_xmalloc((start[nb] ? start[nb] : 1) * sizeof *cells), *fill = nb_xcalloc(nb, sizeof *fill);
	for (size_t k = 0; k < ncell; k++)
		for (size_t b = first[k]; b <= last[k] && first[k] <= last[k]; b++)
			cells[start[b] + fill[b]++] = k;
	polyline *bands = nb_xcalloc(nb, sizeof *bands);
	for (size_t b = 0; b < nb; b++) {
		/* opaque bands reach over the next band, which is painted on top: no seam shows between them */
		double hi = opaque && b + 2 < nl ? r->levels[b + 2] : r->levels[b + 1];
		band_rings(r, cells + start[b], start[b + 1] - start[b], r->levels[b], hi, &bands[b]);
	}
	free(count);
	free(first);
	free(last);
	free(start);
	free(cells);
	free(fill);
	return bands;
}

static void contour_fill_paths(ctx *c, const pl_axes *a, const artist *r)
{
	size_t nl = r->nlev;
	if (r->rows < 2 || r->cols < 2 || nl < 2)
		return;
	contour_memo *m = memo_of(r);
	pthread_mutex_lock(&memo_mu);
	if (!m->bands)
		m->bands = band_outlines(r);
	pthread_mutex_unlock(&memo_mu);
	double lev0 = r->levels[0], levn = r->levels[nl - 1];
	cairo_t *cr = c->cr;
	for (size_t b = 0; b + 1 < nl; b++) {
		cairo_new_path(cr);
		band_path(c, a, &m->bands[b]);
		double mid = (r->levels[b] + r->levels[b + 1]) / 2;
		pl_rgba col = r->mono ? r->color : pl_cmap_at(r->cmap, levn > lev0 ? (mid - lev0) / (levn - lev0) : 0.5);
		set_color(cr, col, r->st.alpha);
		cairo_set_fill_rule(cr, CAIRO_FILL_RULE_WINDING);
		cairo_fill(cr);
	}
}

/* matplotlib's arrow polygon, in points, along +x from the tail; L the length. */
static void arrow_path(cairo_t *cr, double x0, double y0, double ang, double L, double sw, char pivot)
{
	double hl = 5 * sw, hw = 3 * sw / 2, hal = 4.5 * sw, w = sw / 2, f = 1;
	if (L < hl) { /* short arrows: the whole shape of a head-length arrow, scaled down */
		f = L / hl;
		L = hl;
	}
	double px[7] = {0, L - hal, L - hl, L, L - hl, L - hal, 0};
	double py[7] = {-w, -w, -hw, 0, hw, w, w};
	double shift = pivot == 'm' ? -L * f / 2 : pivot == 'h' || pivot == 'i' ? -L * f : 0;
	double ca = cos(ang), sa = sin(ang);
	for (int k = 0; k < 7; k++) {
		double qx = px[k] * f + shift, qy = py[k] * f;
		double X_ = x0 + qx * ca - qy * sa, Y_ = y0 + qx * sa + qy * ca;
		if (k == 0)
			cairo_move_to(cr, X_, Y_);
		else
			cairo_line_to(cr, X_, Y_);
	}
	cairo_close_path(cr);
}

static void draw_quiver(ctx *c, const pl_axes *a, const artist *r)
{
	cairo_t *cr = c->cr;
	double span = a->bw; /* 'width' units: one unit is the axes width */
	double sqn = sqrt((double)r->n);
	double sw = 0.06 * span / (sqn < 8 ? 8 : sqn > 25 ? 25 : sqn);
	double scale = r->qscale;
	if (!r->scale_xy && !(scale > 0)) {
		double amean = 0;
		size_t cnt = 0;
		for (size_t i = 0; i < r->n; i++)
			if (isfinite(r->u[i]) && isfinite(r->v[i])) {
				amean += hypot(r->u[i], r->v[i]);
				cnt++;
			}
		amean = cnt ? amean / (double)cnt : 1;
		double sn = sqn > 10 ? sqn : 10;
		scale = 1.8 * amean * sn; /* per axes width */
		if (!(scale > 0))
			scale = 1;
	}
	cairo_new_path(cr);
	for (size_t i = 0; i < r->n; i++) {
		double x = r->x[i], y = r->y[i], u = r->u[i], v = r->v[i];
		if (!isfinite(x) || !isfinite(y) || !isfinite(u) || !isfinite(v))
			continue;
		double X0 = X(a, x), Y0 = Y(a, y), dx, dy;
		if (r->scale_xy) {
			/* the arrow spans (u, v) / scale in data units */
			dx = X(a, x + u / scale) - X0;
			dy = Y(a, y + v / scale) - Y0;
			if (!r->angles_xy) {
				double len = hypot(dx, dy);
				double ang = atan2(-v, u);
				dx = len * cos(ang);
				dy = len * sin(ang);
			}
		} else {
			double len = hypot(u, v) / scale * span;
			double ang;
			if (r->angles_xy) {
				double ex = X(a, x + u * 1e-6 * fabs(a->vx[1] - a->vx[0])) - X0;
				double ey = Y(a, y + v * 1e-6 * fabs(a->vy[1] - a->vy[0])) - Y0;
				ang = atan2(ey, ex);
			} else {
				ang = atan2(-v, u);
			}
			dx = len * cos(ang);
			dy = len * sin(ang);
		}
		double L = hypot(dx, dy);
		if (L < sw) {
			/* shorter than one shaft width (minlength): a hexagonal dot one shaft width across,
			 * centred on the point, as matplotlib draws */
			for (int k = 0; k < 6; k++) {
				double th = k * M_PI / 3;
				if (k == 0)
					cairo_move_to(cr, X0 + sw / 2 * cos(th), Y0 - sw / 2 * sin(th));
				else
					cairo_line_to(cr, X0 + sw / 2 * cos(th), Y0 - sw / 2 * sin(th));
			}
			cairo_close_path(cr);
			continue;
		}
		arrow_path(cr, X0, Y0, atan2(dy, dx), L, sw, r->pivot);
	}
	set_color(cr, r->color, r->st.alpha);
	cairo_set_fill_rule(cr, CAIRO_FILL_RULE_WINDING);
	cairo_fill(cr);
}

static void draw_artist(ctx *c, const pl_axes *a, const artist *r)
{
	cairo_t *cr = c->cr;
	double al = r->st.alpha;
	switch (r->kind) {
	case A_LINE:
		if (r->st.linestyle != PL_LS_NONE && r->n > 1) {
			cairo_new_path(cr);
			draw_polyline(c, a, r->x, r->y, r->n);
			set_color(cr, r->color, al);
			cairo_set_line_width(cr, r->st.linewidth);
			set_dash(cr, r->st.linestyle, r->st.linewidth);
			cairo_stroke(cr);
		}
		if (r->st.marker)
			for (size_t i = 0; i < r->n; i++)
				if (isfinite(r->x[i]) && isfinite(r->y[i]))
					draw_marker(cr, r->st.marker, X(a, r->x[i]), Y(a, r->y[i]), r->st.markersize, r->color, al);
		break;
	case A_SCATTER:
		for (size_t i = 0; i < r->n; i++) {
			if (!isfinite(r->x[i]) || !isfinite(r->y[i]))
				continue;
			double s = r->sizes ? r->sizes[i] : 36.0;
			draw_marker(cr, r->st.marker, X(a, r->x[i]), Y(a, r->y[i]), sqrt(fmax(s, 0)), r->color, al);
		}
		break;
	case A_FILL: {
		cairo_new_path(cr);
		/* runs of finite points form separate polygons */
		size_t i = 0;
		while (i < r->n) {
			while (i < r->n && !(isfinite(r->x[i]) && isfinite(r->y[i]) && isfinite(r->y2[i])))
				i++;
			size_t s = i;
			while (i < r->n && isfinite(r->x[i]) && isfinite(r->y[i]) && isfinite(r->y2[i]))
				i++;
			if (i - s < 2)
				continue;
			cairo_move_to(cr, X(a, r->x[s]), Y(a, r->y[s]));
			for (size_t k = s + 1; k < i; k++)
				cairo_line_to(cr, X(a, r->x[k]), Y(a, r->y[k]));
			for (size_t k = i; k-- > s;)
				cairo_line_to(cr, X(a, r->x[k]), Y(a, r->y2[k]));
			cairo_close_path(cr);
		}
		set_color(cr, r->color, al);
		cairo_fill(cr);
		break;
	}
	case A_HLINE: case A_VLINE: {
		cairo_new_path(cr);
		if (r->kind == A_HLINE) {
			double y = Y(a, r->v0);
			cairo_move_to(cr, a->bx, y);
			cairo_line_to(cr, a->bx + a->bw, y);
		} else {
			double x = X(a, r->v0);
			cairo_move_to(cr, x, a->by);
			cairo_line_to(cr, x, a->by + a->bh);
		}
		set_color(cr, r->color, al);
		cairo_set_line_width(cr, r->st.linewidth);
		set_dash(cr, r->st.linestyle, r->st.linewidth);
		cairo_stroke(cr);
		break;
	}
	case A_HSPAN: case A_VSPAN:
		cairo_new_path(cr);
		if (r->kind == A_HSPAN) {
			double y0 = Y(a, r->v0), y1 = Y(a, r->v1);
			cairo_rectangle(cr, a->bx, fmin(y0, y1), a->bw, fabs(y1 - y0));
		} else {
			double x0 = X(a, r->v0), x1 = X(a, r->v1);
			cairo_rectangle(cr, fmin(x0, x1), a->by, fabs(x1 - x0), a->bh);
		}
		set_color(cr, r->color, al);
		cairo_fill(cr);
		break;
	case A_QUIVER:
		draw_quiver(c, a, r);
		break;
	case A_SURFACE: /* drawn by draw_axes3d */
		break;
	case A_BAR:
		cairo_new_path(cr);
		for (size_t i = 0; i < r->n; i++) {
			double x0 = X(a, r->x[i]), x1 = X(a, r->x[i] + r->u[i]);
			double y0 = Y(a, r->y[i]), y1 = Y(a, r->y[i] + r->v[i]);
			if (isfinite(x0) && isfinite(x1) && isfinite(y0) && isfinite(y1))
				cairo_rectangle(cr, fmin(x0, x1), fmin(y0, y1), fabs(x1 - x0), fabs(y1 - y0));
		}
		set_color(cr, r->color, al);
		cairo_fill(cr);
		break;
	case A_IMAGE: {
		int w = (int)r->cols, h = (int)r->rows;
		cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
		cairo_surface_flush(img);
		unsigned char *data = cairo_image_surface_get_data(img);
		int stride = cairo_image_surface_get_stride(img);
		for (int i = 0; i < h; i++) {
			uint32_t *row = (uint32_t *)(data + (size_t)i * (size_t)stride);
			for (int j = 0; j < w; j++) {
				double zv = r->z[(size_t)i * r->cols + (size_t)j];
				if (!isfinite(zv)) {
					row[j] = 0;
					continue;
				}
				pl_rgba col = pl_cmap_at(r->cmap, (zv - r->vmin) / (r->vmax - r->vmin));
				double aa = col.a * al;
				row[j] = (uint32_t)lrint(aa * 255) << 24 | (uint32_t)lrint(col.r * aa * 255) << 16 |
					 (uint32_t)lrint(col.g * aa * 255) << 8 | (uint32_t)lrint(col.b * aa * 255);
			}
		}
		cairo_surface_mark_dirty(img);
		/* the first row lies along the top edge (origin 'upper') or the bottom edge ('lower') */
		double L = X(a, r->ext[0]), R = X(a, r->ext[1]);
		double top = Y(a, r->origin_lower ? r->ext[2] : r->ext[3]), bot = Y(a, r->origin_lower ? r->ext[3] : r->ext[2]);
		cairo_save(cr);
		cairo_translate(cr, L, top);
		cairo_scale(cr, (R - L) / w, (bot - top) / h);
		cairo_set_source_surface(cr, img, 0, 0);
		cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
		cairo_rectangle(cr, 0, 0, w, h);
		cairo_fill(cr);
		cairo_restore(cr);
		cairo_surface_destroy(img);
		break;
	}
	case A_STREAM: {
		cairo_new_path(cr);
		draw_polyline(c, a, r->x, r->y, r->n);
		set_color(cr, r->color, al);
		cairo_set_line_width(cr, r->st.linewidth);
		set_dash(cr, PL_LS_SOLID, r->st.linewidth);
		cairo_stroke(cr);
		/* '-|>' heads: filled triangles 0.4 × 10 pt long and 0.2 × 10 pt wide each side */
		double hl = 4 * r->arrowsize, hw = 2 * r->arrowsize;
		cairo_new_path(cr);
		for (size_t k = 0; k + 1 < r->rows; k += 2) {
			double tx = X(a, r->u[k]), ty = Y(a, r->v[k]), hx = X(a, r->u[k + 1]), hy = Y(a, r->v[k + 1]);
			double d = hypot(hx - tx, hy - ty);
			if (!(d > 0))
				continue;
			double ux = (hx - tx) / d, uy = (hy - ty) / d;
			cairo_move_to(cr, hx, hy);
			cairo_line_to(cr, hx - hl * ux - hw * uy, hy - hl * uy + hw * ux);
			cairo_line_to(cr, hx - hl * ux + hw * uy, hy - hl * uy - hw * ux);
			cairo_close_path(cr);
		}
		cairo_fill_preserve(cr);
		cairo_set_line_join(cr, CAIRO_LINE_JOIN_MITER);
		cairo_stroke(cr);
		break;
	}
	case A_CONTOUR:
		if (r->filled)
			contour_fill(c, a, r);
		else
			contour_lines(c, a, r);
		break;
	case A_TEXT: {
		pl_tl *t = pl_tl_layout(c->pc, r->text, r->tsize);
		pl_rgba col = r->st.has_color ? r->color : (pl_rgba){0, 0, 0, 1};
		col.a *= al;
		double tx = X(a, r->v0), ty = Y(a, r->v1);
		draw_text_at(c, t, tx, ty, r->ha, r->va, 0, col);
		if (r->arrowstyle) {
			/* an annotation's arrow: from the edge of the text's box to the point, 2 pt short of both */
			double w = t->width, asc = t->ascent, desc = t->descent;
			double left = tx - (r->ha == 'c' ? w / 2 : r->ha == 'r' ? w : 0);
			double base = ty + (r->va == 't' ? asc : r->va == 'b' ? -desc : r->va == 'c' ? (asc - desc) / 2 : 0);
			double top = base - asc, bottom = base + desc, cx = left + w / 2, cy = (top + bottom) / 2;
			double px = X(a, r->ext[0]), py = Y(a, r->ext[1]);
			double dx = px - cx, dy = py - cy, len = hypot(dx, dy);
			/* how far along (cx, cy) -> (px, py) the box ends */
			double tb = INFINITY;
			if (dx != 0)
				tb = fmin(tb, (w / 2) / fabs(dx));
			if (dy != 0)
				tb = fmin(tb, ((bottom - top) / 2) / fabs(dy));
			if (len > 0 && tb < 1) {
				double ux = dx / len, uy = dy / len;
				double sx = cx + dx * tb + 2 * ux, sy = cy + dy * tb + 2 * uy;
				double ex = px - 2 * ux, ey = py - 2 * uy;
				if ((ex - sx) * ux + (ey - sy) * uy > 0) {
					pl_rgba ac = col;
					cairo_new_path(c->cr);
					set_color(c->cr, ac, 1);
					cairo_set_line_width(c->cr, 1.0);
					cairo_set_dash(c->cr, NULL, 0, 0);
					/* heads as matplotlib's at mutation scale 10: 4 pt long, 2 pt either side */
					double hl = 4, hw = 2;
					if (r->arrowstyle == '|') {
						cairo_move_to(c->cr, sx, sy);
						cairo_line_to(c->cr, ex - hl * ux, ey - hl * uy);
						cairo_stroke(c->cr);
						cairo_move_to(c->cr, ex, ey);
						cairo_line_to(c->cr, ex - hl * ux - hw * uy, ey - hl * uy + hw * ux);
						cairo_line_to(c->cr, ex - hl * ux + hw * uy, ey - hl * uy - hw * ux);
						cairo_close_path(c->cr);
						cairo_fill(c->cr);
					} else {
						cairo_move_to(c->cr, sx, sy);
						cairo_line_to(c->cr, ex, ey);
						if (r->arrowstyle == '>') {
							cairo_move_to(c->cr, ex - hl * ux - hw * uy, ey - hl * uy + hw * ux);
							cairo_line_to(c->cr, ex, ey);
							cairo_line_to(c->cr, ex - hl * ux + hw * uy, ey - hl * uy - hw * ux);
						}
						cairo_set_line_join(c->cr, CAIRO_LINE_JOIN_MITER);
						cairo_stroke(c->cr);
					}
				}
			}
		}
		pl_tl_free(t);
		free(t);
		break;
	}
	}
}

/* ---------------------------------------------------------------- legend */

typedef struct lentry {
	const artist *r;
	pl_tl *tl;
} lentry;

/* How much of the data a legend box at (x, y, w, h) would cover (matplotlib's badness). */
static double badness(const pl_axes *a, double x, double y, double w, double h)
{
	double bad = 0;
	for (size_t k = 0; k < a->n; k++) {
		const artist *r = &a->a[k];
		if (r->kind != A_LINE && r->kind != A_SCATTER)
			continue;
		for (size_t i = 0; i < r->n; i++) {
			if (!isfinite(r->x[i]) || !isfinite(r->y[i]))
				continue;
			double px = X(a, r->x[i]), py = Y(a, r->y[i]);
			if (px >= x && px <= x + w && py >= y && py <= y + h)
				bad++;
			if (r->kind == A_LINE && i > 0 && isfinite(r->x[i - 1]) && isfinite(r->y[i - 1]) && r->st.linestyle != PL_LS_NONE) {
				/* segment crossing the box: sample it */
				double qx = X(a, r->x[i - 1]), qy = Y(a, r->y[i - 1]);
				int hit = 0;
				for (int s = 1; s < 8 && !hit; s++) {
					double tx = qx + (px - qx) * s / 8, ty = qy + (py - qy) * s / 8;
					hit = tx >= x && tx <= x + w && ty >= y && ty <= y + h;
				}
				bad += hit;
			}
		}
	}
	return bad;
}

static void draw_legend(ctx *c, pl_axes *a)
{
	const double fs = a->legend_fs > 0 ? a->legend_fs : FS;
	lentry *e = nb_xcalloc(a->n ? a->n : 1, sizeof *e);
	size_t ne = 0;
	for (size_t k = 0; k < a->n; k++)
		if (a->a[k].label && a->a[k].label[0] != '_' && a->a[k].kind != A_TEXT) {
			e[ne].r = &a->a[k];
			e[ne].tl = pl_tl_layout(c->pc, a->a[k].label, fs);
			ne++;
		}
	if (!ne) {
		free(e);
		return;
	}
	double pad = 0.4 * fs, spacing = 0.5 * fs, hlen = 2.0 * fs, hpad = 0.8 * fs, axpad = 0.5 * fs;
	double tw = 0, th = 0;
	for (size_t i = 0; i < ne; i++) {
		tw = fmax(tw, e[i].tl->width);
		th += fmax(e[i].tl->ascent + e[i].tl->descent, 0.7 * fs) + (i ? spacing : 0);
	}
	double w = 2 * pad + hlen + hpad + tw, h = 2 * pad + th;
	double x0 = a->bx + axpad, x1 = a->bx + a->bw - axpad - w, xm = a->bx + (a->bw - w) / 2;
	double y0 = a->by + axpad, y1 = a->by + a->bh - axpad - h, ym = a->by + (a->bh - h) / 2;
	double cx[11] = {0, x1, x0, x0, x1, x1, x0, x1, xm, xm, xm};
	double cy[11] = {0, y0, y0, y1, y1, ym, ym, ym, y1, y0, ym};
	int loc = a->legend_loc;
	if (loc <= 0) {
		double best = INFINITY;
		for (int k = 1; k <= 10; k++) {
			double b = badness(a, cx[k], cy[k], w, h);
			if (b < best) {
				best = b;
				loc = k;
			}
			if (b == 0)
				break;
		}
	}
	double x = cx[loc], y = cy[loc];
	a->leg[0] = x;
	a->leg[1] = y;
	a->leg[2] = w;
	a->leg[3] = h;
	cairo_t *cr = c->cr;
	/* the frame: white at 0.8 alpha, 0.8 grey edge, rounded by 0.2 font sizes */
	double rr = 0.2 * fs;
	if (!a->legend_noframe) {
		cairo_new_path(cr);
		cairo_new_sub_path(cr);
		cairo_arc(cr, x + w - rr, y + rr, rr, -M_PI / 2, 0);
		cairo_arc(cr, x + w - rr, y + h - rr, rr, 0, M_PI / 2);
		cairo_arc(cr, x + rr, y + h - rr, rr, M_PI / 2, M_PI);
		cairo_arc(cr, x + rr, y + rr, rr, M_PI, 3 * M_PI / 2);
		cairo_close_path(cr);
		cairo_set_source_rgba(cr, 1, 1, 1, 0.8);
		cairo_fill_preserve(cr);
		cairo_set_source_rgba(cr, 0.8, 0.8, 0.8, 0.8);
		cairo_set_dash(cr, NULL, 0, 0);
		cairo_set_line_width(cr, 1.0);
		cairo_stroke(cr);
	}
	double yy = y + pad;
	for (size_t i = 0; i < ne; i++) {
		const artist *r = e[i].r;
		double eh = fmax(e[i].tl->ascent + e[i].tl->descent, 0.7 * fs);
		double mid = yy + eh / 2, hx = x + pad;
		if (r->kind == A_LINE) {
			if (r->st.linestyle != PL_LS_NONE) {
				cairo_new_path(cr);
				cairo_move_to(cr, hx, mid);
				cairo_line_to(cr, hx + hlen, mid);
				set_color(cr, r->color, r->st.alpha);
				cairo_set_line_width(cr, r->st.linewidth);
				set_dash(cr, r->st.linestyle, r->st.linewidth);
				cairo_stroke(cr);
			}
			if (r->st.marker)
				draw_marker(cr, r->st.marker, hx + hlen / 2, mid, r->st.markersize, r->color, r->st.alpha);
		} else if (r->kind == A_SCATTER) {
			draw_marker(cr, r->st.marker, hx + hlen / 2, mid, sqrt(r->sizes ? r->sizes[0] : 36.0), r->color, r->st.alpha);
		} else if (r->kind == A_HLINE || r->kind == A_VLINE) {
			cairo_new_path(cr);
			cairo_move_to(cr, hx, mid);
			cairo_line_to(cr, hx + hlen, mid);
			set_color(cr, r->color, r->st.alpha);
			cairo_set_line_width(cr, r->st.linewidth);
			set_dash(cr, r->st.linestyle, r->st.linewidth);
			cairo_stroke(cr);
		} else {
			cairo_new_path(cr);
			cairo_rectangle(cr, hx, mid - 0.35 * fs, hlen, 0.7 * fs);
			set_color(cr, r->color, r->st.alpha);
			cairo_fill(cr);
		}
		/* text vertically centred on the handle */
		double tx = hx + hlen + hpad;
		double base = mid + (e[i].tl->ascent - e[i].tl->descent) / 2;
		pl_tl_draw(cr, c->pc, e[i].tl, tx, base, 0, (pl_rgba){0, 0, 0, 1});
		yy += eh + spacing;
	}
	for (size_t i = 0; i < ne; i++) {
		pl_tl_free(e[i].tl);
		free(e[i].tl);
	}
	free(e);
}

/* ---------------------------------------------------------------- axes */

static void draw_spines_ticks(ctx *c, pl_axes *a, axis_ticks *xt, axis_ticks *yt)
{
	cairo_t *cr = c->cr;
	cairo_set_dash(cr, NULL, 0, 0);
	cairo_set_line_cap(cr, CAIRO_LINE_CAP_SQUARE);
	cairo_set_line_join(cr, CAIRO_LINE_JOIN_MITER);
	cairo_set_source_rgb(cr, 0, 0, 0);
	/* ticks, outward */
	for (int axis = 0; axis < 2; axis++) {
		axis_ticks *t = axis == 0 ? xt : yt;
		for (size_t i = 0; i < t->n; i++) {
			double len = t->t[i].minor ? 2.0 : TICK_LEN, lw = t->t[i].minor ? 0.6 : SPINE_W;
			cairo_new_path(cr);
			cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
			if (axis == 0) {
				double x = snapv(c, X(a, t->t[i].v), lw), y = snapv(c, a->by + a->bh, lw);
				cairo_move_to(cr, x, y);
				cairo_line_to(cr, x, y + len);
			} else {
				double y = snapv(c, Y(a, t->t[i].v), lw), x = snapv(c, a->bx, lw);
				cairo_move_to(cr, x, y);
				cairo_line_to(cr, x - len, y);
			}
			cairo_set_line_width(cr, lw);
			cairo_stroke(cr);
		}
	}
	/* spines */
	double l = snapv(c, a->bx, SPINE_W), r = snapv(c, a->bx + a->bw, SPINE_W);
	double t = snapv(c, a->by, SPINE_W), b = snapv(c, a->by + a->bh, SPINE_W);
	cairo_new_path(cr);
	if (!a->hidden_spines) {
		cairo_rectangle(cr, l, t, r - l, b - t);
	} else {
		/* each side not hidden, as a line from (x0, y0) to (x1, y1) */
		const struct { int side; double x0, y0, x1, y1; } sides[4] = {
			{PL_SPINE_LEFT, l, t, l, b}, {PL_SPINE_RIGHT, r, t, r, b},
			{PL_SPINE_TOP, l, t, r, t}, {PL_SPINE_BOTTOM, l, b, r, b}};
		for (int k = 0; k < 4; k++)
			if (!(a->hidden_spines & sides[k].side)) {
				cairo_move_to(cr, sides[k].x0, sides[k].y0);
				cairo_line_to(cr, sides[k].x1, sides[k].y1);
			}
	}
	cairo_set_line_width(cr, SPINE_W);
	cairo_set_line_cap(cr, CAIRO_LINE_CAP_SQUARE);
	cairo_stroke(cr);
	/* tick labels */
	pl_rgba black = {0, 0, 0, 1};
	for (size_t i = 0; i < xt->n; i++)
		if (xt->t[i].tl)
			draw_text_at(c, xt->t[i].tl, X(a, xt->t[i].v), a->by + a->bh + TICK_LEN + TICK_PAD, 'c', 't', 0, black);
	for (size_t i = 0; i < yt->n; i++) {
		if (!yt->t[i].tl)
			continue;
		/* 'center_baseline': the part above the baseline is centred on the tick */
		const pl_tl *tl = yt->t[i].tl;
		double base = Y(a, yt->t[i].v) + 0.5 * 0.729 * FS;
		pl_tl_draw(c->cr, c->pc, tl, a->bx - TICK_LEN - TICK_PAD - tl->width, base, 0, black);
	}
	if (xt->offset_tl) {
		const pl_tl *tl = xt->offset_tl;
		double y = a->by + a->bh + TICK_LEN + TICK_PAD + 1.2 * FS + tl->ascent;
		pl_tl_draw(c->cr, c->pc, tl, a->bx + a->bw - tl->width, y, 0, black);
	}
	if (yt->offset_tl) {
		const pl_tl *tl = yt->offset_tl;
		pl_tl_draw(c->cr, c->pc, tl, a->bx, a->by - 2 - tl->descent, 0, black);
	}
}

static void draw_grid(ctx *c, pl_axes *a, axis_ticks *xt, axis_ticks *yt)
{
	cairo_t *cr = c->cr;
	cairo_set_source_rgb(cr, 0xb0 / 255.0, 0xb0 / 255.0, 0xb0 / 255.0);
	cairo_set_line_width(cr, 0.8);
	cairo_set_dash(cr, NULL, 0, 0);
	cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
	for (size_t i = 0; i < xt->n; i++) {
		if (xt->t[i].minor)
			continue;
		double x = snapv(c, X(a, xt->t[i].v), 0.8);
		cairo_move_to(cr, x, a->by);
		cairo_line_to(cr, x, a->by + a->bh);
	}
	for (size_t i = 0; i < yt->n; i++) {
		if (yt->t[i].minor)
			continue;
		double y = snapv(c, Y(a, yt->t[i].v), 0.8);
		cairo_move_to(cr, a->bx, y);
		cairo_line_to(cr, a->bx + a->bw, y);
	}
	cairo_stroke(cr);
}

/* The colorbar's value axis: ticks between the first and last level. */
static void colorbar_ticks(ctx *c, const pl_axes *a, axis_ticks *t)
{
	memset(t, 0, sizeof *t);
	if (a->mappable < 0)
		return;
	const artist *m = &a->a[a->mappable];
	double lo = m->levels[0], hi = m->levels[m->nlev - 1];
	if (!(hi > lo))
		return;
	double vals[64] = {0};
	size_t nv = 0, n = m->nlev, step = (n + 9) / 10;
	if (m->cbar_continuous) {
		/* an image's colorbar: the ordinary tick locator on its length */
		int space = (int)floor(a->cbh / (FS * 2));
		nv = pl_ticks_auto(lo, hi, space < 1 ? 1 : space > 9 ? 9 : space, vals, 64);
		n = 0;
	}
	/* contours: matplotlib's FixedLocator(levels, nbins=10), every step-th
	 * level, starting at the offset that brings a tick closest to zero */
	if (step < 1)
		step = 1;
	size_t best = 0;
	double bestmin = INFINITY;
	for (size_t off = 0; off < step && off < n; off++) {
		double mn = INFINITY;
		for (size_t i = off; i < n; i += step)
			mn = fmin(mn, fabs(m->levels[i]));
		if (mn < bestmin) {
			bestmin = mn;
			best = off;
		}
	}
	for (size_t i = best; i < n && nv < 64; i += step)
		vals[nv++] = m->levels[i];
	char **labels = nb_xcalloc(nv ? nv : 1, sizeof *labels);
	pl_format_ticks(vals, nv, lo, hi, labels, t->offset, sizeof t->offset);
	t->t = nb_xcalloc(nv ? nv : 1, sizeof *t->t);
	double tol = (hi - lo) * 1e-10;
	for (size_t i = 0; i < nv; i++) {
		if (vals[i] < lo - tol || vals[i] > hi + tol) {
			free(labels[i]);
			continue;
		}
		tick *k = &t->t[t->n++];
		k->v = vals[i];
		k->label = labels[i];
		k->tl = pl_tl_layout(c->pc, labels[i], FS);
	}
	free(labels);
	if (t->offset[0])
		t->offset_tl = pl_tl_layout(c->pc, t->offset, FS);
}

static double colorbar_extent(ctx *c, const pl_axes *a, const axis_ticks *t)
{
	double w = 0;
	for (size_t i = 0; i < t->n; i++)
		if (t->t[i].tl)
			w = fmax(w, t->t[i].tl->width);
	double r = a->cbx + a->cbw + TICK_LEN + TICK_PAD + w;
	if (a->cbar_label) {
		pl_tl *tl = pl_tl_layout(c->pc, a->cbar_label, FS);
		r += LABEL_PAD + tl->ascent + tl->descent;
		pl_tl_free(tl);
		free(tl);
	}
	return r;
}

static void draw_colorbar(ctx *c, const pl_axes *a, axis_ticks *t)
{
	if (a->mappable < 0)
		return;
	const artist *m = &a->a[a->mappable];
	cairo_t *cr = c->cr;
	double lo = m->levels[0], hi = m->levels[m->nlev - 1];
	if (!(hi > lo))
		return;
#define CY(v) (a->cby + a->cbh - ((v) - lo) / (hi - lo) * a->cbh)
	if (m->filled) {
		for (size_t b = 0; b + 1 < m->nlev; b++) {
			double y0 = CY(m->levels[b]), y1 = CY(m->levels[b + 1]), mid = (m->levels[b] + m->levels[b + 1]) / 2;
			pl_rgba col = m->mono ? m->color : pl_cmap_at(m->cmap, (mid - lo) / (hi - lo));
			cairo_new_path(cr);
			/* each band reaches a little into the next, which covers it: no seams */
			double top = b + 2 < m->nlev ? CY(m->levels[b + 2]) : y1;
			cairo_rectangle(cr, a->cbx, top, a->cbw, y0 - top);
			set_color(cr, col, m->st.alpha);
			cairo_fill(cr);
		}
	} else {
		for (size_t b = 0; b < m->nlev; b++) {
			double y = CY(m->levels[b]);
			pl_rgba col = m->mono ? m->color : pl_cmap_at(m->cmap, (m->levels[b] - lo) / (hi - lo));
			cairo_new_path(cr);
			cairo_move_to(cr, a->cbx, y);
			cairo_line_to(cr, a->cbx + a->cbw, y);
			set_color(cr, col, m->st.alpha);
			cairo_set_line_width(cr, m->st.linewidth);
			cairo_stroke(cr);
		}
	}
	cairo_set_source_rgb(cr, 0, 0, 0);
	cairo_set_dash(cr, NULL, 0, 0);
	cairo_set_line_width(cr, SPINE_W);
	cairo_new_path(cr);
	double l = snapv(c, a->cbx, SPINE_W), r = snapv(c, a->cbx + a->cbw, SPINE_W);
	double tp = snapv(c, a->cby, SPINE_W), bt = snapv(c, a->cby + a->cbh, SPINE_W);
	cairo_rectangle(cr, l, tp, r - l, bt - tp);
	cairo_stroke(cr);
	double w = 0;
	for (size_t i = 0; i < t->n; i++) {
		double y = snapv(c, CY(t->t[i].v), SPINE_W);
		cairo_new_path(cr);
		cairo_move_to(cr, r, y);
		cairo_line_to(cr, r + TICK_LEN, y);
		cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
		cairo_stroke(cr);
		const pl_tl *tl = t->t[i].tl;
		pl_tl_draw(cr, c->pc, tl, a->cbx + a->cbw + TICK_LEN + TICK_PAD, CY(t->t[i].v) + 0.5 * 0.729 * FS, 0,
			   (pl_rgba){0, 0, 0, 1});
		w = fmax(w, tl->width);
	}
	if (t->offset_tl)
		pl_tl_draw(cr, c->pc, t->offset_tl, a->cbx, a->cby - 2 - t->offset_tl->descent, 0, (pl_rgba){0, 0, 0, 1});
	if (a->cbar_label) {
		pl_tl *tl = pl_tl_layout(c->pc, a->cbar_label, FS);
		double x = a->cbx + a->cbw + TICK_LEN + TICK_PAD + w + LABEL_PAD + tl->ascent;
		pl_tl_draw(cr, c->pc, tl, x, a->cby + a->cbh / 2 + tl->width / 2, M_PI / 2, (pl_rgba){0, 0, 0, 1});
		pl_tl_free(tl);
		free(tl);
	}
#undef CY
}

static int by_zorder(const void *p, const void *q)
{
	const artist *a = *(const artist *const *)p, *b = *(const artist *const *)q;
	if (a->st.zorder != b->st.zorder)
		return a->st.zorder < b->st.zorder ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

static void draw_axes3d(ctx *c, pl_axes *a);
static void draw_legend(ctx *c, pl_axes *a);
static void draw_artist(ctx *c, const pl_axes *a, const artist *r);
static int by_zorder(const void *p, const void *q);

/* A twinx axes: its layers over the parent's, its y axis on the right. */
static void draw_twin(ctx *c, pl_axes *a, axis_ticks *yt)
{
	cairo_t *cr = c->cr;
	cairo_save(cr);
	const artist **order = nb_xcalloc(a->n ? a->n : 1, sizeof *order);
	for (size_t k = 0; k < a->n; k++)
		order[k] = &a->a[k];
	qsort(order, a->n, sizeof *order, by_zorder);
	cairo_rectangle(cr, a->bx, a->by, a->bw, a->bh);
	cairo_clip(cr);
	for (size_t k = 0; k < a->n && !c->f->measuring; k++)
		draw_artist(c, a, order[k]);
	cairo_reset_clip(cr);
	free(order);
	pl_rgba black = {0, 0, 0, 1};
	cairo_set_source_rgb(cr, 0, 0, 0);
	double r = snapv(c, a->bx + a->bw, SPINE_W), ylw = 0;
	for (size_t i = 0; i < yt->n; i++) {
		double len = yt->t[i].minor ? 2.0 : TICK_LEN, lw = yt->t[i].minor ? 0.6 : SPINE_W;
		double y = snapv(c, Y(a, yt->t[i].v), lw);
		cairo_new_path(cr);
		cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
		cairo_move_to(cr, r, y);
		cairo_line_to(cr, r + len, y);
		cairo_set_line_width(cr, lw);
		cairo_stroke(cr);
		if (yt->t[i].tl) {
			const pl_tl *tl = yt->t[i].tl;
			pl_tl_draw(cr, c->pc, tl, r + TICK_LEN + TICK_PAD, Y(a, yt->t[i].v) + 0.5 * 0.729 * FS, 0, black);
			ylw = fmax(ylw, tl->width);
		}
	}
	if (yt->offset_tl)
		pl_tl_draw(cr, c->pc, yt->offset_tl, a->bx + a->bw - yt->offset_tl->width, a->by - 2 - yt->offset_tl->descent, 0,
			   black);
	if (a->ylabel) {
		/* rotated as on the left, its top towards the axes */
		pl_tl *t = pl_tl_layout(c->pc, a->ylabel, FS);
		double xl = r + TICK_LEN + TICK_PAD + ylw + LABEL_PAD + t->ascent;
		pl_tl_draw(cr, c->pc, t, xl, a->by + a->bh / 2 + t->width / 2, M_PI / 2, black);
		pl_tl_free(t);
		free(t);
	}
	if (a->legend)
		draw_legend(c, a);
	cairo_restore(cr);
}

static void render(pl_figure *f, cairo_t *cr, double scale, int snap)
{
	ctx c = {cr, pl_text_context(), scale, snap, f};
	pango_cairo_update_context(cr, c.pc);
	g_object_set_data(G_OBJECT(c.pc), PL_TL_TARGET,
			  GINT_TO_POINTER(1 + (int)cairo_surface_get_type(cairo_get_target(cr))));
	double W = f->w_in * 72, H = f->h_in * 72;
	if (!f->measuring) {
		cairo_set_source_rgb(cr, 1, 1, 1);
		cairo_paint(cr);
	}
	/* grid geometry (matplotlib's subplot parameters), margins grown when labels need room */
	double left = 0.125 * W, right = 0.1 * W, bottom = 0.11 * H, top = 0.12 * H, wsp = 0.2, hsp = 0.2;
	if (f->fixed) {
		left = f->fl;
		right = f->fr;
		bottom = f->fb;
		top = f->ft;
		wsp = f->fwsp;
		hsp = f->fhsp;
	}
	pl_tl *sup = f->suptitle ? pl_tl_layout(c.pc, f->suptitle, TITLE_FS) : NULL;
	size_t nax = f->nax;
	axis_ticks *xt = nb_xcalloc(nax ? nax : 1, sizeof *xt), *yt = nb_xcalloc(nax ? nax : 1, sizeof *yt);
	for (int pass = 0; pass < 3; pass++) {
		double need_l = -INFINITY, need_r = -INFINITY, need_b = -INFINITY, need_t = -INFINITY, gap_w = 0, gap_h = 0;
		for (size_t i = 0; i < nax; i++) {
			pl_axes *a = f->ax[i];
			int rows = a->rows, cols = a->cols, r = a->index / cols, col = a->index % cols;
			double cw = (W - left - right) / (cols + wsp * (cols - 1)), ch = (H - top - bottom) / (rows + hsp * (rows - 1));
			a->bx = left + col * cw * (1 + wsp);
			a->by = top + r * ch * (1 + hsp);
			a->bw = cw;
			a->bh = ch;
			a->cellx = a->bx;
			a->celly = a->by;
			a->cellw = cw;
			a->cellh = ch;
			if (a->is3d)
				continue; /* its decorations stay inside its box */
			if (a->twin_of) {
				/* the parent came earlier: the same box and x axis, its own y axis on the right */
				const pl_axes *p = a->twin_of;
				a->bx = p->bx;
				a->by = p->by;
				a->bw = p->bw;
				a->bh = p->bh;
				a->vx[0] = p->vx[0];
				a->vx[1] = p->vx[1];
				a->xscale = p->xscale;
				view_limits(a, 1);
				free_ticks(&xt[i]);
				free_ticks(&yt[i]);
				make_ticks(&c, a, 1, &yt[i]);
				double ylw = 0;
				for (size_t q = 0; q < yt[i].n; q++)
					if (yt[i].t[q].tl)
						ylw = fmax(ylw, yt[i].t[q].tl->width);
				double dr = TICK_LEN + TICK_PAD + ylw;
				if (a->ylabel) {
					pl_tl *t = pl_tl_layout(c.pc, a->ylabel, FS);
					dr += LABEL_PAD + t->ascent + t->descent;
					pl_tl_free(t);
					free(t);
				}
				if (col == cols - 1)
					need_r = fmax(need_r, dr - (W - a->bx - a->bw));
				continue;
			}
			if (a->colorbar && a->mappable >= 0) {
				/* matplotlib's make_axes: fraction 0.15, pad 0.05, aspect 20 */
				double full = a->bw;
				a->bw = full * (1 - 0.15 - 0.05);
				a->cbh = a->bh;
				a->cbw = fmin(a->cbh / 20, 0.15 * full);
				a->cbx = a->bx + full * (1 - 0.15);
				a->cby = a->by;
			}
			view_limits(a, 0);
			view_limits(a, 1);
			if (a->aspect > 0) {
				double dx = fabs(tr(a->vx[1], a->xscale) - tr(a->vx[0], a->xscale));
				double dy = fabs(tr(a->vy[1], a->yscale) - tr(a->vy[0], a->yscale));
				double want = a->aspect * dy / dx; /* box height / width */
				if (a->bh / a->bw > want) {
					double nh = a->bw * want;
					a->by += (a->bh - nh) / 2;
					a->bh = nh;
				} else {
					double nw = a->bh / want;
					a->bx += (a->bw - nw) / 2;
					a->bw = nw;
				}
			}
			free_ticks(&xt[i]);
			free_ticks(&yt[i]);
			make_ticks(&c, a, 0, &xt[i]);
			make_ticks(&c, a, 1, &yt[i]);
			/* shared axes label their ticks on the outer edge only, as matplotlib's subplots do */
			if ((f->sharex && r < rows - 1) || (f->sharey && col > 0)) {
				axis_ticks *ht = f->sharex && r < rows - 1 ? &xt[i] : NULL, *vt = f->sharey && col > 0 ? &yt[i] : NULL;
				for (int q = 0; q < 2; q++) {
					axis_ticks *t = q ? vt : ht;
					if (!t)
						continue;
					for (size_t k = 0; k < t->n; k++) {
						pl_tl_free(t->t[k].tl);
						free(t->t[k].tl);
						t->t[k].tl = NULL;
					}
					pl_tl_free(t->offset_tl);
					free(t->offset_tl);
					t->offset_tl = NULL;
				}
			}
			deco d = measure_deco(&c, a, &xt[i], &yt[i]);
			if (a->colorbar && a->mappable >= 0) {
				axis_ticks ct;
				colorbar_ticks(&c, a, &ct);
				d.r = fmax(d.r, colorbar_extent(&c, a, &ct) - (a->bx + a->bw));
				free_ticks(&ct);
			}
			if (col == 0)
				need_l = fmax(need_l, d.l - (a->bx - 0));
			if (col == cols - 1)
				need_r = fmax(need_r, d.r - (W - a->bx - a->bw));
			if (r == rows - 1)
				need_b = fmax(need_b, d.b - (H - a->by - a->bh));
			if (r == 0)
				need_t = fmax(need_t, d.t + (sup ? sup->ascent + sup->descent + 6 : 0) - a->by);
			if (col > 0)
				gap_w = fmax(gap_w, d.l);
			if (r > 0)
				gap_h = fmax(gap_h, d.t);
			if (r < rows - 1)
				gap_h = fmax(gap_h, d.b);
		}
		const double edge = 4;
		int changed = 0;
		if (need_l + edge > 0) { left += need_l + edge; changed = 1; }
		if (need_r + edge > 0) { right += need_r + edge; changed = 1; }
		if (need_b + edge > 0) { bottom += need_b + edge; changed = 1; }
		if (need_t + edge > 0) { top += need_t + edge; changed = 1; }
		(void)gap_w;
		(void)gap_h;
		if (!changed || f->fixed)
			break;
	}
	for (size_t i = 0; i < nax; i++) {
		pl_axes *a = f->ax[i];
		if (f->only >= 0 && (long)i != f->only)
			continue;
		if (a->is3d) {
			cairo_save(cr);
			draw_axes3d(&c, a);
			cairo_restore(cr);
			continue;
		}
		if (a->twin_of) {
			draw_twin(&c, a, &yt[i]);
			free_ticks(&yt[i]);
			continue;
		}
		/* the face, the grid and the layers, clipped to the box: a measurement of the
		 * drawing's ink counts the box whole, so it skips them */
		cairo_save(cr);
		size_t n_layers = f->measuring ? 0 : a->n;
		if (!f->measuring) {
			cairo_rectangle(cr, a->bx, a->by, a->bw, a->bh);
			cairo_set_source_rgb(cr, 1, 1, 1);
			cairo_fill(cr);
			if (a->grid)
				draw_grid(&c, a, &xt[i], &yt[i]);
		}
		const artist **order = nb_xcalloc(n_layers ? n_layers : 1, sizeof *order);
		for (size_t k = 0; k < n_layers; k++)
			order[k] = &a->a[k];
		qsort(order, n_layers, sizeof *order, by_zorder);
		cairo_rectangle(cr, a->bx, a->by, a->bw, a->bh);
		cairo_clip(cr);
		size_t k = 0;
		for (; k < n_layers && order[k]->st.zorder <= 2.5; k++)
			draw_artist(&c, a, order[k]);
		cairo_reset_clip(cr);
		draw_spines_ticks(&c, a, &xt[i], &yt[i]);
		cairo_rectangle(cr, a->bx, a->by, a->bw, a->bh);
		cairo_clip(cr);
		for (; k < n_layers; k++)
			draw_artist(&c, a, order[k]);
		cairo_reset_clip(cr);
		free(order);
		if (a->legend)
			draw_legend(&c, a);
		if (a->colorbar && a->mappable >= 0) {
			axis_ticks ct;
			colorbar_ticks(&c, a, &ct);
			draw_colorbar(&c, a, &ct);
			free_ticks(&ct);
		}
		pl_rgba black = {0, 0, 0, 1};
		double xlh = 0, ylw = 0;
		for (size_t q = 0; q < xt[i].n; q++)
			if (xt[i].t[q].tl)
				xlh = fmax(xlh, xt[i].t[q].tl->ascent + xt[i].t[q].tl->descent);
		for (size_t q = 0; q < yt[i].n; q++)
			if (yt[i].t[q].tl)
				ylw = fmax(ylw, yt[i].t[q].tl->width);
		if (a->xlabel) {
			pl_tl *t = pl_tl_layout(c.pc, a->xlabel, FS);
			draw_text_at(&c, t, a->bx + a->bw / 2, a->by + a->bh + TICK_LEN + TICK_PAD + xlh + LABEL_PAD, 'c', 't', 0, black);
			pl_tl_free(t);
			free(t);
		}
		if (a->ylabel) {
			pl_tl *t = pl_tl_layout(c.pc, a->ylabel, FS);
			/* rotated: its "top" faces left; the bottom sits LABEL_PAD left of the tick labels */
			double xr = a->bx - TICK_LEN - TICK_PAD - ylw - LABEL_PAD;
			pl_tl_draw(cr, c.pc, t, xr - t->descent, a->by + a->bh / 2 + t->width / 2, M_PI / 2, black);
			pl_tl_free(t);
			free(t);
		}
		if (a->title) {
			pl_tl *t = pl_tl_layout(c.pc, a->title, TITLE_FS);
			double ty = a->by - TITLE_PAD;
			if (yt[i].offset_tl)
				ty -= yt[i].offset_tl->ascent + yt[i].offset_tl->descent;
			draw_text_at(&c, t, a->bx + a->bw / 2, ty, 'c', 'b', 0, black);
			pl_tl_free(t);
			free(t);
		}
		cairo_restore(cr);
		free_ticks(&xt[i]);
		free_ticks(&yt[i]);
	}
	if (sup && f->only < 0) {
		pl_tl_draw(cr, c.pc, sup, (W - sup->width) / 2, 0.02 * H + sup->ascent + 2, 0, (pl_rgba){0, 0, 0, 1});
		pl_tl_free(sup);
		free(sup);
	}
	free(xt);
	free(yt);
	g_object_unref(c.pc);
}

/* ------------------------------------------------------------- 3-D axes */

/*
 * matplotlib's mplot3d (3.6) with perspective projection: the data box is
 * scaled to the box aspect (4, 4, 3) normalised and zoomed, looked at from
 * distance 10 at elevation elev and azimuth azim, and projected onto a 2-D
 * view of [-0.095, 0.09]² in a square axes box.  Panes, grid lines, axis
 * lines, ticks and labels are placed as axis3d places them; surfaces are
 * polygons sorted by mean depth (painter's algorithm).
 */

void pl_axes3d(pl_axes *a, double elev, double azim, double zoom)
{
	a->is3d = 1;
	a->elev = elev;
	a->azim = azim;
	a->zoom = zoom > 0 ? zoom : 1;
}

void pl_set_zlabel(pl_axes *a, const char *s, double rotation)
{
	set_str(&a->zlabel, s);
	a->zlabel_rot = rotation;
}

void pl_set_zlim(pl_axes *a, double lo, double hi)
{
	a->zlim_set = 1;
	a->zlim[0] = lo;
	a->zlim[1] = hi;
}

int pl_axes_is3d(const pl_axes *a) { return a->is3d; }

/*
 * Axes3D.quiver: for each arrow a shaft from the tail (pivot 't'), middle or
 * tip and two head lines, each the shaft's direction turned by ±15° and
 * arrow_ratio of its length, drawn as one 3-D line with breaks.  length
 * scales (u, v, w) (normalised first when normalize); the view limits come
 * from the arrows' positions alone, as in matplotlib.
 */
void pl_quiver3d(pl_axes *a, const double *x, const double *y, const double *z, const double *u, const double *v,
		 const double *w, size_t n, double length, double arrow_ratio, int normalize, char pivot, const pl_style *s)
{
	pl_style st = *s;
	artist *r = add(a, A_LINE, &st);
	size_t m = 9 * n;
	r->x = nb_xmalloc((m ? m : 1) * sizeof *r->x);
	r->y = nb_xmalloc((m ? m : 1) * sizeof *r->y);
	r->z = nb_xmalloc((m ? m : 1) * sizeof *r->z);
	r->n = m;
	const double c = cos(15 * M_PI / 180), sn = sin(15 * M_PI / 180);
	for (size_t i = 0; i < n; i++) {
		double U[3] = {u[i], v[i], w[i]};
		double nn = sqrt(U[0] * U[0] + U[1] * U[1] + U[2] * U[2]);
		for (int k = 0; k < 3; k++)
			U[k] = (normalize ? (nn > 0 ? U[k] / nn : 0) : U[k]) * length;
		/* the shaft from tail to tip, placed by the pivot */
		double off = pivot == 'm' ? 0.5 : pivot == 'h' ? 1 : 0;
		double tail[3] = {x[i] - off * U[0], y[i] - off * U[1], z[i] - off * U[2]};
		double tip[3] = {tail[0] + U[0], tail[1] + U[1], tail[2] + U[2]};
		/* head directions: U rotated by ±15° about the horizontal axis perpendicular to it */
		double hn = hypot(U[0], U[1]);
		double xp = hn != 0 ? U[1] / hn : 0, yp = hn != 0 ? -U[0] / hn : 1;
		double r13 = yp * sn, r32 = xp * sn, r12 = xp * yp * (1 - c);
		double Rp[3][3] = {{c + xp * xp * (1 - c), r12, r13}, {r12, c + yp * yp * (1 - c), -r32}, {-r13, r32, c}};
		double Rn[3][3] = {{c + xp * xp * (1 - c), r12, -r13}, {r12, c + yp * yp * (1 - c), r32}, {r13, -r32, c}};
		double hp[3], hm[3];
		for (int k = 0; k < 3; k++) {
			hp[k] = Rp[k][0] * U[0] + Rp[k][1] * U[1] + Rp[k][2] * U[2];
			hm[k] = Rn[k][0] * U[0] + Rn[k][1] * U[1] + Rn[k][2] * U[2];
		}
		const double *pts[9];
		double h1[3], h2[3], nanp[3] = {NAN, NAN, NAN};
		for (int k = 0; k < 3; k++) {
			h1[k] = tip[k] - arrow_ratio * hp[k];
			h2[k] = tip[k] - arrow_ratio * hm[k];
		}
		pts[0] = tail; pts[1] = tip; pts[2] = nanp;
		pts[3] = tip; pts[4] = h1; pts[5] = nanp;
		pts[6] = tip; pts[7] = h2; pts[8] = nanp;
		for (int q = 0; q < 9; q++) {
			r->x[9 * i + (size_t)q] = pts[q][0];
			r->y[9 * i + (size_t)q] = pts[q][1];
			r->z[9 * i + (size_t)q] = pts[q][2];
		}
	}
	/* the positions, for the view limits */
	r->anchor[0] = dup_array(x, n);
	r->anchor[1] = dup_array(y, n);
	r->anchor[2] = dup_array(z, n);
	r->nanchor = n;
}

void pl_scatter3d(pl_axes *a, const double *x, const double *y, const double *z, size_t n, const double *sizes,
		  const pl_style *s)
{
	pl_style st = *s;
	if (!st.marker)
		st.marker = 'o';
	st.linestyle = PL_LS_NONE;
	artist *r = add(a, A_LINE, &st);
	r->x = dup_array(x, n);
	r->y = dup_array(y, n);
	r->z = dup_array(z, n);
	r->n = n;
	r->sizes = sizes ? dup_array(sizes, n) : NULL;
	r->depthshade = 1;
}

void pl_plot3d(pl_axes *a, const double *x, const double *y, const double *z, size_t n, const pl_style *s)
{
	artist *r = add(a, A_LINE, s);
	r->x = dup_array(x, n);
	r->y = dup_array(y, n);
	r->z = dup_array(z, n);
	r->n = n;
}

void pl_surface(pl_axes *a, const double *x, const double *y, const double *z, size_t rows, size_t cols,
		const pl_cmap *cmap, const pl_style *s)
{
	artist *r = add(a, A_SURFACE, s);
	r->x = dup_array(x, rows * cols);
	r->y = dup_array(y, rows * cols);
	r->z = dup_array(z, rows * cols);
	r->rows = rows;
	r->cols = cols;
	r->cmap = (pl_cmap *)cmap;
	r->own_cmap = 0;
}

typedef struct view3d {
	double M[4][4];
	double lo[3], hi[3];                   /* view limits */
	double mins[3], maxs[3], centers[3], deltas[3];
	double tc[8][3];                       /* the padded box's corners, projected */
	int highs[3];
	double ox, oy, side;                   /* the square axes box (pt, y down) */
} view3d;

static void mat4_mul(double r[4][4], double a[4][4], double b[4][4])
{
	double t[4][4];
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 4; j++) {
			t[i][j] = 0;
			for (int k = 0; k < 4; k++)
				t[i][j] += a[i][k] * b[k][j];
		}
	memcpy(r, t, sizeof t);
}

static void proj3(const view3d *v, const double p[3], double out[3])
{
	double w[4];
	for (int i = 0; i < 4; i++)
		w[i] = v->M[i][0] * p[0] + v->M[i][1] * p[1] + v->M[i][2] * p[2] + v->M[i][3];
	out[0] = w[0] / w[3];
	out[1] = w[1] / w[3];
	out[2] = w[2] / w[3];
}

/* projected view coordinates to page points */
static double P3X(const view3d *v, double x) { return v->ox + (x + 0.095) / 0.185 * v->side; }
static double P3Y(const view3d *v, double y) { return v->oy + v->side - (y + 0.095) / 0.185 * v->side; }

static double norm_angle(double a)
{
	a = fmod(a + 180, 360);
	if (a < 0)
		a += 360;
	return a - 180;
}

static void cross3(const double a[3], const double b[3], double r[3])
{
	r[0] = a[1] * b[2] - a[2] * b[1];
	r[1] = a[2] * b[0] - a[0] * b[2];
	r[2] = a[0] * b[1] - a[1] * b[0];
}

static void unit3(double v[3])
{
	double n = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
	for (int i = 0; i < 3; i++)
		v[i] /= n;
}

static void limits3d(const pl_axes *a, int axis, double *lo, double *hi)
{
	*lo = INFINITY;
	*hi = -INFINITY;
	for (size_t k = 0; k < a->n; k++) {
		const artist *r = &a->a[k];
		if (r->kind != A_SURFACE && !(r->kind == A_LINE && r->z))
			continue;
		const double *d = axis == 0 ? r->x : axis == 1 ? r->y : r->z;
		size_t n = r->kind == A_SURFACE ? r->rows * r->cols : r->n;
		if (r->anchor[0]) {
			d = r->anchor[axis];
			n = r->nanchor;
		}
		for (size_t i = 0; i < n; i++)
			if (isfinite(d[i])) {
				*lo = fmin(*lo, d[i]);
				*hi = fmax(*hi, d[i]);
			}
	}
	if (!(*lo <= *hi)) {
		*lo = 0;
		*hi = 1;
	}
	if (*lo == *hi) {
		double d = *lo == 0 ? 0.05 : 0.05 * fabs(*lo);
		*lo -= d;
		*hi += d;
	}
}

static void setup3d(pl_axes *a, view3d *v)
{
	memset(v, 0, sizeof *v);
	/* limits: margins 0.05 on x and y, none on z (matplotlib's perspective default) */
	for (int i = 0; i < 3; i++) {
		int set = i == 0 ? a->xlim_set : i == 1 ? a->ylim_set : a->zlim_set;
		const double *lim = i == 0 ? a->xlim : i == 1 ? a->ylim : a->zlim;
		if (set) {
			v->lo[i] = lim[0];
			v->hi[i] = lim[1];
			continue;
		}
		double lo, hi;
		limits3d(a, i, &lo, &hi);
		/* z has no margin in perspective, unless there is a scatter (mplot3d's scatter sets 0.05) */
		int scatter = 0;
		for (size_t k = 0; k < a->n; k++)
			scatter |= a->a[k].kind == A_LINE && a->a[k].z && a->a[k].depthshade;
		double m = i < 2 || scatter ? (hi - lo) * 0.05 : 0;
		v->lo[i] = lo - m;
		v->hi[i] = hi + m;
	}
	a->vx[0] = v->lo[0];
	a->vx[1] = v->hi[0];
	a->vy[0] = v->lo[1];
	a->vy[1] = v->hi[1];
	/* the box aspect (4, 4, 3), normalised as set_box_aspect does, times zoom */
	double asp[3] = {4, 4, 3}, nrm = sqrt(16 + 16 + 9);
	for (int i = 0; i < 3; i++)
		asp[i] *= 1.8294640721620434 * a->zoom / nrm;
	double worldM[4][4] = {{0}};
	for (int i = 0; i < 3; i++) {
		double d = (v->hi[i] - v->lo[i]) / asp[i];
		worldM[i][i] = 1 / d;
		worldM[i][3] = -v->lo[i] / d;
	}
	worldM[3][3] = 1;
	double R[3], eye[3], ps[3];
	double el = norm_angle(a->elev) * M_PI / 180, az = norm_angle(a->azim) * M_PI / 180;
	const double dist = 10;
	ps[0] = cos(el) * cos(az);
	ps[1] = cos(el) * sin(az);
	ps[2] = sin(el);
	for (int i = 0; i < 3; i++) {
		R[i] = 0.5 * asp[i];
		eye[i] = R[i] + dist * ps[i]; /* focal length 1 */
	}
	double V[3] = {0, 0, fabs(el) > 0.5 * M_PI ? -1 : 1};
	double n[3] = {eye[0] - R[0], eye[1] - R[1], eye[2] - R[2]}, u[3], w[3];
	unit3(n);
	cross3(V, n, u);
	unit3(u);
	cross3(n, u, w);
	double Mr[4][4] = {{u[0], u[1], u[2], 0}, {w[0], w[1], w[2], 0}, {n[0], n[1], n[2], 0}, {0, 0, 0, 1}};
	double Mt[4][4] = {{1, 0, 0, -eye[0]}, {0, 1, 0, -eye[1]}, {0, 0, 1, -eye[2]}, {0, 0, 0, 1}};
	double viewM[4][4], M0[4][4];
	mat4_mul(viewM, Mr, Mt);
	mat4_mul(M0, viewM, worldM);
	/* perspective with zfront -10, zback 10, focal length 1 */
	double projM[4][4] = {{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 0, -10}, {0, 0, -1, 0}};
	mat4_mul(v->M, projM, M0);
	/* the padded box and which of each pair of faces is further away */
	for (int i = 0; i < 3; i++) {
		v->centers[i] = 0.5 * (v->hi[i] + v->lo[i]);
		v->deltas[i] = (v->hi[i] - v->lo[i]) / 12;
		v->mins[i] = v->lo[i] - 0.25 * v->deltas[i];
		v->maxs[i] = v->hi[i] + 0.25 * v->deltas[i];
	}
	static const int cube[8][3] = {{0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {0, 1, 0}, {0, 0, 1}, {1, 0, 1}, {1, 1, 1}, {0, 1, 1}};
	for (int k = 0; k < 8; k++) {
		double p[3];
		for (int i = 0; i < 3; i++)
			p[i] = cube[k][i] ? v->maxs[i] : v->mins[i];
		proj3(v, p, v->tc[k]);
	}
	static const int planes[6][4] = {{0, 3, 7, 4}, {1, 2, 6, 5}, {0, 1, 5, 4}, {3, 2, 6, 7}, {0, 1, 2, 3}, {4, 5, 6, 7}};
	for (int i = 0; i < 3; i++) {
		double z0 = 0, z1 = 0;
		for (int k = 0; k < 4; k++) {
			z0 += v->tc[planes[2 * i][k]][2];
			z1 += v->tc[planes[2 * i + 1][k]][2];
		}
		v->highs[i] = z0 / 4 < z1 / 4;
	}
	/* the axes box made square, centred (Axes3D.apply_aspect) */
	v->side = fmin(a->bw, a->bh);
	v->ox = a->bx + (a->bw - v->side) / 2;
	v->oy = a->by + (a->bh - v->side) / 2;
}

void pl_axes3d_proj(pl_axes *a, double M[4][4])
{
	view3d v;
	setup3d(a, &v);
	memcpy(M, v.M, sizeof v.M);
}

static void line3(ctx *c, const view3d *v, const double p[3], const double q[3])
{
	double a[3], b[3];
	proj3(v, p, a);
	proj3(v, q, b);
	cairo_move_to(c->cr, P3X(v, a[0]), P3Y(v, a[1]));
	cairo_line_to(c->cr, P3X(v, b[0]), P3Y(v, b[1]));
}

static void draw_axis3d(ctx *c, pl_axes *a, const view3d *v, int index)
{
	cairo_t *cr = c->cr;
	static const int juggled[3][3] = {{1, 0, 2}, {0, 1, 2}, {0, 2, 1}};
	static const int tickdirs[3] = {1, 0, 0};
	double minmax[3], maxmin[3];
	for (int i = 0; i < 3; i++) {
		minmax[i] = v->highs[i] ? v->maxs[i] : v->mins[i];
		maxmin[i] = v->highs[i] ? v->mins[i] : v->maxs[i];
	}
	double e1[3], e2[3];
	memcpy(e1, minmax, sizeof e1);
	e1[juggled[index][0]] = maxmin[juggled[index][0]];
	memcpy(e2, e1, sizeof e2);
	e2[juggled[index][1]] = maxmin[juggled[index][1]];
	pl_rgba black = {0, 0, 0, 1};
	/* the axis line */
	cairo_set_source_rgb(cr, 0, 0, 0);
	cairo_set_line_width(cr, 0.75);
	line3(c, v, e1, e2);
	cairo_stroke(cr);
	double pe1[3], pe2[3];
	proj3(v, e1, pe1);
	proj3(v, e2, pe2);
	/* rough points-to-data scale, as axis3d estimates it */
	double deltas_per_point = 48 / (v->side + v->side);
	int axmask[3] = {1, 1, 1};
	axmask[index] = 0;
	/* the label */
	const char *label = index == 0 ? a->xlabel : index == 1 ? a->ylabel : a->zlabel;
	if (label) {
		double l[3];
		for (int i = 0; i < 3; i++) {
			l[i] = 0.5 * (e1[i] + e2[i]);
			double d = (4.0 + 21.0) * deltas_per_point * v->deltas[i];
			if (axmask[i])
				l[i] += copysign(1, l[i] - v->centers[i]) * d;
		}
		double pl[3];
		proj3(v, l, pl);
		double angle = 0;
		int rotate = index == 2 && !isnan(a->zlabel_rot) ? 0 : strlen(label) > 4;
		if (rotate) {
			double deg = atan2(pe2[1] - pe1[1], pe2[0] - pe1[0]) * 180 / M_PI;
			deg = fmod(deg + 180, 180);
			if (deg < 0)
				deg += 180;
			if (deg > 90)
				deg -= 180;
			angle = deg * M_PI / 180;
		} else if (index == 2 && !isnan(a->zlabel_rot)) {
			angle = a->zlabel_rot * M_PI / 180;
		}
		pl_tl *t = pl_tl_layout(c->pc, label, FS);
		cairo_save(cr);
		cairo_translate(cr, P3X(v, pl[0]), P3Y(v, pl[1]));
		cairo_rotate(cr, -angle);
		pl_tl_draw(cr, c->pc, t, -t->width / 2, (t->ascent - t->descent) / 2, 0, black);
		cairo_restore(cr);
		pl_tl_free(t);
		free(t);
	}
	/* ticks: AutoLocator with the 2-D x axis's tick space */
	double lo = v->lo[index], hi = v->hi[index];
	int space = (int)floor(v->side / (FS * 3));
	int nbins = space < 1 ? 1 : space > 9 ? 9 : space;
	double tv[64];
	size_t nt = pl_ticks_auto(lo, hi, nbins, tv, 64);
	char *labels[64], offset[96];
	pl_format_ticks(tv, nt, lo, hi, labels, offset, sizeof offset);
	double tol = (hi - lo) * 1e-10;
	/* grid lines where the panes meet, then the ticks */
	cairo_set_source_rgb(cr, 0xb0 / 255.0, 0xb0 / 255.0, 0xb0 / 255.0);
	cairo_set_line_width(cr, 0.8);
	for (size_t k = 0; k < nt; k++) {
		if (tv[k] < lo - tol || tv[k] > hi + tol)
			continue;
		double p0[3], p1[3], p2[3];
		memcpy(p1, minmax, sizeof p1);
		p1[index] = tv[k];
		memcpy(p0, p1, sizeof p0);
		memcpy(p2, p1, sizeof p2);
		int i2 = (index + 1) % 3, i1 = (index + 2) % 3; /* index-2 and index-1, mod 3 */
		p0[i2] = maxmin[i2];
		p2[i1] = maxmin[i1];
		line3(c, v, p0, p1);
		cairo_stroke(cr);
		line3(c, v, p1, p2);
		cairo_stroke(cr);
	}
	int td = tickdirs[index];
	double tickdelta = v->highs[td] ? v->deltas[td] : -v->deltas[td];
	double out_td = e1[td] + 0.1 * tickdelta, in_td = e1[td] - 0.2 * tickdelta;
	for (size_t k = 0; k < nt; k++) {
		if (tv[k] < lo - tol || tv[k] > hi + tol) {
			free(labels[k]);
			continue;
		}
		double pos[3];
		memcpy(pos, e1, sizeof pos);
		pos[index] = tv[k];
		pos[td] = out_td;
		double q1[3], q2[3];
		proj3(v, pos, q1);
		pos[td] = in_td;
		proj3(v, pos, q2);
		cairo_set_source_rgb(cr, 0, 0, 0);
		cairo_set_line_width(cr, 0.8);
		cairo_move_to(cr, P3X(v, q1[0]), P3Y(v, q1[1]));
		cairo_line_to(cr, P3X(v, q2[0]), P3Y(v, q2[1]));
		cairo_stroke(cr);
		pos[td] = e1[td];
		for (int i = 0; i < 3; i++)
			if (axmask[i])
				pos[i] += copysign(1, pos[i] - v->centers[i]) * (3.5 + 8.0) * deltas_per_point * v->deltas[i];
		double ql[3];
		proj3(v, pos, ql);
		pl_tl *t = pl_tl_layout(c->pc, labels[k], FS);
		draw_text_at(c, t, P3X(v, ql[0]), P3Y(v, ql[1]), 'c', 't', 0, black);
		pl_tl_free(t);
		free(t);
		free(labels[k]);
	}
	if (offset[0]) {
		/* the offset or scale of the tick labels, past the axis line's far end */
		pl_tl *t = pl_tl_layout(c->pc, offset, FS);
		double far[3];
		proj3(v, e2, far);
		draw_text_at(c, t, P3X(v, far[0]), P3Y(v, far[1]) - 4, 'c', 'b', 0, black);
		pl_tl_free(t);
		free(t);
	}
}

/* A primitive of a 3-D scene: a surface patch, a line segment or a marker. */
typedef struct prim3 {
	double depth;
	size_t first, n;  /* vertices in the scene's buffer */
	pl_rgba color;
	const artist *r;  /* for segments and markers: the line's style */
	size_t first2;    /* markers: the point's index in its artist */
	size_t seq;       /* insertion order, to break ties */
	char kind;        /* 'p' patch, 's' segment, 'm' marker */
} prim3;

typedef struct scene3 {
	prim3 *p;
	size_t np, capp;
	double *vx, *vy;
	size_t nv, capx, capy;
	double *zlo, *zhi; /* per artist (by order): the depth range of its markers */
} scene3;

static int by_depth_desc(const void *p, const void *q)
{
	const prim3 *a = p, *b = q;
	if (a->depth != b->depth)
		return a->depth > b->depth ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void scene_vertex(scene3 *sc, double x, double y)
{
	NB_GROW(sc->vx, sc->capx, sc->nv + 1);
	NB_GROW(sc->vy, sc->capy, sc->nv + 1);
	sc->vx[sc->nv] = x;
	sc->vy[sc->nv] = y;
	sc->nv++;
}

static prim3 *scene_prim(scene3 *sc, char kind, double depth, const artist *r)
{
	NB_GROW(sc->p, sc->capp, sc->np + 1);
	prim3 *p = &sc->p[sc->np];
	memset(p, 0, sizeof *p);
	p->kind = kind;
	p->depth = depth;
	p->r = r;
	p->first = sc->nv;
	p->seq = sc->np++;
	return p;
}

/* plot_surface: patches of rstride × cstride cells (at most 50 × 50 patches), coloured by mean z */
static void scene_surface(scene3 *sc, const view3d *v, const artist *r)
{
	size_t rows = r->rows, cols = r->cols;
	if (rows < 2 || cols < 2)
		return;
	size_t rs = (rows + 49) / 50, cs = (cols + 49) / 50;
	size_t p0 = sc->np;
	double *val = NULL; /* per patch: its mean height (with a cmap) or its shade factor (one colour) */
	size_t capz = 0, nz = 0;
	for (size_t i0 = 0; i0 + 1 < rows; i0 += rs) {
		size_t i1 = i0 + rs < rows - 1 ? i0 + rs : rows - 1;
		for (size_t j0 = 0; j0 + 1 < cols; j0 += cs) {
			size_t j1 = j0 + cs < cols - 1 ? j0 + cs : cols - 1;
			/* the patch's perimeter, as _array_perimeter walks it */
			size_t idx[512], m = 0;
			for (size_t j = j0; j < j1 && m < 512; j++)
				idx[m++] = i0 * cols + j;
			for (size_t i = i0; i < i1 && m < 512; i++)
				idx[m++] = i * cols + j1;
			for (size_t j = j1; j > j0 && m < 512; j--)
				idx[m++] = i1 * cols + j;
			for (size_t i = i1; i > i0 && m < 512; i--)
				idx[m++] = i * cols + j0;
			double zs = 0, ds = 0;
			int ok = 1;
			size_t first = sc->nv;
			for (size_t k = 0; k < m; k++) {
				double q[3] = {r->x[idx[k]], r->y[idx[k]], r->z[idx[k]]}, o[3];
				if (!isfinite(q[0]) || !isfinite(q[1]) || !isfinite(q[2]))
					ok = 0;
				proj3(v, q, o);
				scene_vertex(sc, P3X(v, o[0]), P3Y(v, o[1]));
				zs += q[2];
				ds += o[2];
			}
			if (!ok) {
				sc->nv = first;
				continue;
			}
			prim3 *p = scene_prim(sc, 'p', ds / (double)m, r);
			p->first = first;
			p->n = m;
			NB_GROW(val, capz, nz + 1);
			val[nz] = zs / (double)m;
			if (!r->cmap) {
				/* one colour: shaded as plot_surface shades it, by the patch's normal against
				 * a light from azimuth 225°, altitude 19.4712°, into [0.3, 1] of the colour */
				size_t q1 = 0, q2 = m / 3, q3 = 2 * m / 3;
				double v1[3] = {r->x[idx[q1]] - r->x[idx[q2]], r->y[idx[q1]] - r->y[idx[q2]], r->z[idx[q1]] - r->z[idx[q2]]};
				double v2[3] = {r->x[idx[q2]] - r->x[idx[q3]], r->y[idx[q2]] - r->y[idx[q3]], r->z[idx[q2]] - r->z[idx[q3]]};
				double nrm[3];
				cross3(v1, v2, nrm);
				double len = sqrt(nrm[0] * nrm[0] + nrm[1] * nrm[1] + nrm[2] * nrm[2]);
				double az = (90 - 225) * M_PI / 180, alt = 19.4712 * M_PI / 180;
				double light[3] = {cos(az) * cos(alt), sin(az) * cos(alt), sin(alt)};
				double shade = len > 0 ? (nrm[0] * light[0] + nrm[1] * light[1] + nrm[2] * light[2]) / len : 0;
				val[nz] = 0.3 + 0.7 * (shade + 1) / 2;
			}
			nz++;
		}
	}
	double zlo = INFINITY, zhi = -INFINITY;
	for (size_t k = 0; k < nz; k++) {
		zlo = fmin(zlo, val[k]);
		zhi = fmax(zhi, val[k]);
	}
	for (size_t k = 0; k < nz; k++) {
		prim3 *p = &sc->p[p0 + k];
		if (r->cmap) {
			p->color = pl_cmap_at(r->cmap, zhi > zlo ? (val[k] - zlo) / (zhi - zlo) : 0);
		} else {
			p->color = r->color;
			p->color.r *= val[k];
			p->color.g *= val[k];
			p->color.b *= val[k];
		}
		p->color.a *= r->st.alpha;
	}
	free(val);
}

/* a 3-D line: its segments and markers join the scene one by one, so the
 * painter's order interleaves them with the surfaces' patches */
static void scene_line(scene3 *sc, const view3d *v, const artist *r)
{
	double px = 0, py = 0, pz = 0;
	int have = 0;
	for (size_t q = 0; q < r->n; q++) {
		double p[3] = {r->x[q], r->y[q], r->z[q]}, o[3];
		proj3(v, p, o);
		int ok = isfinite(o[0]) && isfinite(o[1]) && isfinite(o[2]);
		double X_ = P3X(v, o[0]), Y_ = P3Y(v, o[1]);
		if (ok && have && r->st.linestyle != PL_LS_NONE) {
			prim3 *s = scene_prim(sc, 's', (pz + o[2]) / 2, r);
			scene_vertex(sc, px, py);
			scene_vertex(sc, X_, Y_);
			s->n = 2;
		}
		if (ok && r->st.marker) {
			prim3 *m = scene_prim(sc, 'm', o[2], r);
			scene_vertex(sc, X_, Y_);
			m->n = 1;
			m->first2 = q; /* the point's index, for its size */
		}
		have = ok;
		px = X_;
		py = Y_;
		pz = o[2];
	}
}

/* Fill the path of patches gathered while measuring (only its extents count); 0. */
static int fill_measured(cairo_t *cr)
{
	cairo_set_source_rgb(cr, 0, 0, 0);
	cairo_fill(cr);
	return 0;
}

static void scene_draw(ctx *c, scene3 *sc)
{
	size_t na = 0;
	for (size_t k = 0; k < sc->np; k++)
		if (sc->p[k].r && sc->p[k].r->order + 1 > na)
			na = sc->p[k].r->order + 1;
	sc->zlo = nb_xmalloc((na ? na : 1) * sizeof *sc->zlo);
	sc->zhi = nb_xmalloc((na ? na : 1) * sizeof *sc->zhi);
	for (size_t i = 0; i < na; i++) {
		sc->zlo[i] = INFINITY;
		sc->zhi[i] = -INFINITY;
	}
	for (size_t k = 0; k < sc->np; k++)
		if (sc->p[k].kind == 'm') {
			size_t o = sc->p[k].r->order;
			sc->zlo[o] = fmin(sc->zlo[o], sc->p[k].depth);
			sc->zhi[o] = fmax(sc->zhi[o], sc->p[k].depth);
		}
	qsort(sc->p, sc->np, sizeof *sc->p, by_depth_desc);
	cairo_t *cr = c->cr;
	/* measuring the ink, consecutive patches are one path filled once: the same extents (the
	 * union of theirs; cairo drops fills of alpha 0, so they are left out) without a recorded
	 * fill each */
	int one_fill = c->f->measuring, pending = 0;
	for (size_t k = 0; k < sc->np; k++) {
		const prim3 *p = &sc->p[k];
		const double *x = sc->vx + p->first, *y = sc->vy + p->first;
		if (pending && p->kind != 'p')
			pending = fill_measured(cr);
		if (p->kind == 'p') {
			if (one_fill && !(p->color.a > 0))
				continue;
			simp sp = simp_start(c);
			simp_move(&sp, x[0], y[0]);
			for (size_t q = 1; q < p->n; q++)
				simp_line(&sp, x[q], y[q]);
			simp_close(&sp);
			if (one_fill) {
				pending = 1;
			} else {
				cairo_set_source_rgba(cr, p->color.r, p->color.g, p->color.b, p->color.a);
				cairo_fill(cr);
			}
		} else if (p->kind == 's') {
			const artist *r = p->r;
			cairo_move_to(cr, x[0], y[0]);
			cairo_line_to(cr, x[1], y[1]);
			set_color(cr, r->color, r->st.alpha);
			cairo_set_line_width(cr, r->st.linewidth);
			set_dash(cr, r->st.linestyle, r->st.linewidth);
			cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
			cairo_stroke(cr);
			cairo_set_dash(cr, NULL, 0, 0);
			cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
		} else {
			const artist *r = p->r;
			double ms = r->sizes ? sqrt(fmax(r->sizes[p->first2], 0)) : r->st.markersize;
			if (r->sizes == NULL && r->depthshade)
				ms = 6; /* scatter's default area, 36 pt² */
			double alpha = r->st.alpha;
			if (r->depthshade && sc->zhi[p->r->order] > sc->zlo[p->r->order])
				/* matplotlib's depthshade: the farthest marker at 30 % of its opacity */
				alpha *= 1 - 0.7 * (p->depth - sc->zlo[p->r->order]) / (sc->zhi[p->r->order] - sc->zlo[p->r->order]);
			draw_marker(cr, r->st.marker, x[0], y[0], ms, r->color, alpha);
		}
	}
	if (pending)
		fill_measured(cr);
}

static void draw_axes3d(ctx *c, pl_axes *a)
{
	view3d v;
	setup3d(a, &v);
	/* the square box is the axes' extent from now on (tight layouts include it) */
	a->bx = v.ox;
	a->by = v.oy;
	a->bw = a->bh = v.side;
	cairo_t *cr = c->cr;
	/* panes: the far face of each pair, filled and edged with their colour at alpha 0.5 */
	static const int planes[6][4] = {{0, 3, 7, 4}, {1, 2, 6, 5}, {0, 1, 5, 4}, {3, 2, 6, 7}, {0, 1, 2, 3}, {4, 5, 6, 7}};
	static const double pane_grey[3] = {0.95, 0.90, 0.925};
	for (int i = 0; i < 3; i++) {
		const int *pl = planes[2 * i + (v.highs[i] ? 1 : 0)];
		for (int k = 0; k < 4; k++) {
			double x = P3X(&v, v.tc[pl[k]][0]), y = P3Y(&v, v.tc[pl[k]][1]);
			if (k == 0)
				cairo_move_to(cr, x, y);
			else
				cairo_line_to(cr, x, y);
		}
		cairo_close_path(cr);
		cairo_set_source_rgba(cr, pane_grey[i], pane_grey[i], pane_grey[i], 0.5);
		cairo_fill_preserve(cr);
		cairo_set_line_width(cr, 1.0);
		cairo_stroke(cr);
	}
	for (int i = 0; i < 3; i++)
		draw_axis3d(c, a, &v, i);
	/* surfaces' patches and lines' segments and markers in one painter's order, the farthest
	 * first: a path on a surface shows where it is in front, unlike mplot3d's per-artist order */
	scene3 sc = {0};
	for (size_t k = 0; k < a->n; k++) {
		const artist *r = &a->a[k];
		if (r->kind == A_SURFACE)
			scene_surface(&sc, &v, r);
		else if (r->kind == A_LINE && r->z)
			scene_line(&sc, &v, r);
	}
	scene_draw(c, &sc);
	free(sc.zlo);
	free(sc.zhi);
	free(sc.p);
	free(sc.vx);
	free(sc.vy);
	if (a->title) {
		pl_tl *t = pl_tl_layout(c->pc, a->title, TITLE_FS);
		draw_text_at(c, t, a->bx + a->bw / 2, v.oy - TITLE_PAD, 'c', 'b', 0, (pl_rgba){0, 0, 0, 1});
		pl_tl_free(t);
		free(t);
	}
}

/* ---------------------------------------------------------------- output */

void pl_figure_tight(pl_figure *f, int on) { f->tight = on; }
double pl_figure_dpi(const pl_figure *f) { return f->dpi; }

/*
 * The page: the whole figure, or with tight cropping the ink of everything
 * drawn plus 0.1 in on each side (matplotlib's bbox_inches='tight',
 * pad_inches=0.1).  Points; (x0, y0) is the page's top left in figure space.
 */
void pl_figure_layout_tight(pl_figure *f, int on) { f->layout_tight = on; }
void pl_figure_share(pl_figure *f, int sharex, int sharey)
{
	f->sharex = sharex;
	f->sharey = sharey;
}

/* The ink of axes i (all axes: i = -1) drawn with the current layout, in points. */
static int ink_of(pl_figure *f, long i, double *x0, double *y0, double *x1, double *y1)
{
	cairo_rectangle_t ext = {-f->w_in * 72, -f->h_in * 72, 3 * f->w_in * 72, 3 * f->h_in * 72};
	cairo_surface_t *rec = cairo_recording_surface_create(CAIRO_CONTENT_COLOR_ALPHA, &ext);
	cairo_t *cr = cairo_create(rec);
	f->measuring = 1;
	f->only = i;
	render(f, cr, 1, 0);
	f->measuring = 0;
	f->only = -1;
	cairo_destroy(cr);
	double w, h;
	cairo_recording_surface_ink_extents(rec, x0, y0, &w, &h);
	cairo_surface_destroy(rec);
	int any = w > 0 && h > 0;
	if (any) {
		*x1 = *x0 + w;
		*y1 = *y0 + h;
	} else {
		*x0 = *y0 = INFINITY;
		*x1 = *y1 = -INFINITY;
	}
	/* matplotlib's tight boxes include every axes' box, drawn or not (render leaves out
	 * what lies inside the boxes when it measures) */
	for (size_t k = 0; k < f->nax; k++) {
		const pl_axes *a = f->ax[k];
		if (i >= 0 && (long)k != i)
			continue;
		*x0 = fmin(*x0, a->bx);
		*y0 = fmin(*y0, a->by);
		*x1 = fmax(*x1, a->bx + a->bw);
		*y1 = fmax(*y1, a->by + a->bh);
		any = 1;
	}
	return any;
}

/*
 * matplotlib's tight_layout (pad 1.08 × the font size, w_pad = h_pad = pad):
 * each axes' drawing is measured against its grid cell, and the margins and
 * spaces are set so that nothing overhangs the figure or its neighbours.
 * Run twice, as a Jupyter figure with layout='tight' is drawn twice.
 */
static void tight_layout(pl_figure *f)
{
	double W = f->w_in * 72, H = f->h_in * 72, pad = 1.08 * FS;
	if (!f->nax)
		return;
	int rows = f->ax[0]->rows, cols = f->ax[0]->cols;
	f->fixed = 1;
	f->fl = 0.125 * W;
	f->fr = 0.1 * W;
	f->fb = 0.11 * H;
	f->ft = 0.12 * H;
	f->fwsp = 0.2;
	f->fhsp = 0.2;
	for (int iter = 0; iter < 2; iter++) {
		double ml = 0, mr = 0, mt = 0, mb = 0, gapw = 0, gaph = 0;
		double *ol = nb_xcalloc((size_t)(rows * cols), sizeof *ol), *or_ = nb_xcalloc((size_t)(rows * cols), sizeof *or_);
		double *ot = nb_xcalloc((size_t)(rows * cols), sizeof *ot), *ob = nb_xcalloc((size_t)(rows * cols), sizeof *ob);
		for (size_t i = 0; i < f->nax; i++) {
			pl_axes *a = f->ax[i];
			double x0, y0, x1, y1;
			if (a->rows != rows || a->cols != cols || !ink_of(f, (long)i, &x0, &y0, &x1, &y1))
				continue;
			int k = a->index;
			ol[k] = a->cellx - x0;
			or_[k] = x1 - (a->cellx + a->cellw);
			ot[k] = a->celly - y0;
			ob[k] = y1 - (a->celly + a->cellh);
		}
		for (int r = 0; r < rows; r++)
			for (int col = 0; col < cols; col++) {
				int k = r * cols + col;
				if (col == 0)
					ml = fmax(ml, ol[k]);
				if (col == cols - 1)
					mr = fmax(mr, or_[k]);
				if (r == 0)
					mt = fmax(mt, ot[k]);
				if (r == rows - 1)
					mb = fmax(mb, ob[k]);
				if (col + 1 < cols)
					gapw = fmax(gapw, or_[k] + ol[k + 1]);
				if (r + 1 < rows)
					gaph = fmax(gaph, ob[k] + ot[k + cols]);
			}
		free(ol);
		free(or_);
		free(ot);
		free(ob);
		f->fl = ml + pad;
		f->fr = mr + pad;
		f->ft = mt + pad;
		f->fb = mb + pad;
		if (f->suptitle)
			f->ft += TITLE_FS * 1.5;
		double wspace = gapw + pad, hspace = gaph + pad;
		double aw = (W - f->fl - f->fr - wspace * (cols - 1)) / cols;
		double ah = (H - f->ft - f->fb - hspace * (rows - 1)) / rows;
		if (!(aw > 10 && ah > 10)) {
			/* the drawing cannot fit: keep matplotlib's defaults */
			f->fixed = 0;
			return;
		}
		f->fwsp = cols > 1 ? wspace / aw : 0.2;
		f->fhsp = rows > 1 ? hspace / ah : 0.2;
	}
}

static void page_box(pl_figure *f, double *x0, double *y0, double *w, double *h)
{
	if (!f->page_known) {
		if (f->layout_tight && !f->fixed)
			tight_layout(f);
		double *p = f->page;
		p[0] = 0;
		p[1] = 0;
		p[2] = f->w_in * 72;
		p[3] = f->h_in * 72;
		double ix0, iy0, ix1, iy1;
		if (f->tight && ink_of(f, -1, &ix0, &iy0, &ix1, &iy1)) {
			const double pad = 7.2;
			p[0] = ix0 - pad;
			p[1] = iy0 - pad;
			p[2] = ix1 - ix0 + 2 * pad;
			p[3] = iy1 - iy0 + 2 * pad;
		}
		f->page_known = 1;
	}
	*x0 = f->page[0];
	*y0 = f->page[1];
	*w = f->page[2];
	*h = f->page[3];
}

double pl_figure_cost(const pl_figure *f)
{
	double cost = 0;
	for (size_t i = 0; i < f->nax; i++) {
		const pl_axes *a = f->ax[i];
		cost += 2000; /* spines, ticks, labels */
		for (size_t k = 0; k < a->n; k++) {
			const artist *r = &a->a[k];
			double cells = (double)r->rows * (double)r->cols;
			switch (r->kind) {
			case A_CONTOUR: /* each level a pass over the grid; filled bands paint as well */
				cost += cells * (1 + (double)r->nlev / 8) * (r->filled ? 2 : 1);
				break;
			case A_SURFACE: cost += 20 * cells; break;
			case A_IMAGE: cost += cells; break;
			case A_QUIVER: cost += 20 * (double)r->n; break;
			case A_SCATTER: cost += 10 * (double)r->n; break;
			case A_TEXT: cost += 200; break;
			default: cost += (double)r->n; break;
			}
		}
	}
	return cost;
}

cairo_surface_t *pl_render_image(pl_figure *f)
{
	double x0, y0, pw, ph;
	page_box(f, &x0, &y0, &pw, &ph);
	double sc = f->dpi / 72.0;
	int w = (int)lrint(pw * sc), h = (int)lrint(ph * sc);
	cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
	cairo_t *cr = cairo_create(s);
	cairo_scale(cr, sc, sc);
	cairo_translate(cr, -x0, -y0);
	render(f, cr, sc, 1);
	cairo_destroy(cr);
	cairo_surface_flush(s);
	return s;
}

int pl_write_png(pl_figure *f, const char *path)
{
	cairo_surface_t *s = pl_render_image(f);
	int rc = pl_save_png(s, path, f->dpi);
	cairo_surface_destroy(s);
	return rc;
}

/* ------------------------------------------------------ animated GIF */

struct pl_gif {
	GifFileType *g;
	int w, h;
	cairo_surface_t *prev; /* pl_gif_add's last frame */
};

pl_gif *pl_gif_open(const char *path, int w, int h)
{
	int err;
	/* opened here rather than by giflib, which would make the file readable by its owner alone */
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
	if (fd < 0)
		return NULL;
	GifFileType *g = EGifOpenFileHandle(fd, &err);
	if (!g) {
		close(fd);
		errno = EIO;
		return NULL;
	}
	EGifSetGifVersion(g, true);
	if (EGifPutScreenDesc(g, w, h, 8, 0, NULL) == GIF_ERROR) {
		EGifCloseFile(g, &err);
		return NULL;
	}
	/* loop for ever (the Netscape application extension) */
	static const unsigned char loop[3] = {1, 0, 0};
	if (EGifPutExtensionLeader(g, APPLICATION_EXT_FUNC_CODE) == GIF_ERROR ||
	    EGifPutExtensionBlock(g, 11, "NETSCAPE2.0") == GIF_ERROR || EGifPutExtensionBlock(g, 3, loop) == GIF_ERROR ||
	    EGifPutExtensionTrailer(g) == GIF_ERROR) {
		EGifCloseFile(g, &err);
		return NULL;
	}
	pl_gif *r = nb_xcalloc(1, sizeof *r);
	r->g = g;
	r->w = w;
	r->h = h;
	return r;
}

struct pl_gif_frame {
	int x0, y0, w, h; /* the rectangle the frame covers */
	int transparent;  /* the palette index of pixels left as they were, or -1 */
	GifColorType colors[256];
	GifByteType *idx; /* w × h palette indices */
};

/*
 * The palette of a frame: giflib's median cut (GifQuantizeBuffer, after
 * Heckbert), step for step, so the same colours get the same indices, and
 * each colour then made the exact mean of the pixels it stands for (giflib
 * keeps 5 bits a channel: white would be 248).  The colours are counted in
 * 32768 cells of 5 bits a channel; the occupied cells, in cell order, make
 * the first box; while there are fewer boxes than colours, the box whose
 * side is widest (of those holding two cells or more; the first box and
 * axis on a tie) has its cells sorted along that axis (then the next two,
 * so no two compare equal) and is cut where its pixels reach half their
 * count, as giflib cuts.  A box is a range of one array, sorted in place.
 * giflib's own routine takes a 768 KiB table and a sort that reads a global
 * variable (so one call at a time) for every frame.
 */
typedef struct mc_cell {
	uint32_t key;   /* the sort key along the box's axis */
	uint16_t c;     /* the cell: r << 10 | g << 5 | b, 5 bits each */
	long count;     /* its pixels */
} mc_cell;

typedef struct mc_box {
	size_t first, n;       /* its cells: cells[first, first + n) */
	unsigned long count;   /* their pixels */
	GifByteType min[3], width[3];
} mc_box;

static int mc_cmp(const void *a, const void *b)
{
	uint32_t x = ((const mc_cell *)a)->key, y = ((const mc_cell *)b)->key;
	return (x > y) - (x < y);
}

/* A cell's 5-bit channel: 0 red, 1 green, 2 blue. */
static inline unsigned mc_channel(uint16_t c, int axis)
{
	return (unsigned)c >> (5 * (2 - axis)) & 31;
}

static inline unsigned mc_of(uint32_t p)
{
	return (p >> 9 & 0x7c00) | (p >> 6 & 0x3e0) | (p >> 3 & 0x1f);
}

/* The pixels are rows[k][0, len[k]) for k < nrows (0x00RRGGBB); their palette indices are
 * written to idx in that order.  At most ncol colours; -1 if memory runs out. */
static int median_cut(const uint32_t *const *rows, const size_t *len, size_t nrows, int ncol, GifByteType *idx,
		      GifColorType *colors)
{
	uint32_t *count = calloc(32768, sizeof *count);
	GifByteType *index = malloc(32768);
	mc_cell *cells = NULL;
	if (!count || !index)
		goto fail;
	unsigned long total = 0;
	for (size_t k = 0; k < nrows; k++) {
		for (size_t i = 0; i < len[k]; i++)
			count[mc_of(rows[k][i])]++;
		total += len[k];
	}
	size_t ncells = 0;
	for (unsigned c = 0; c < 32768; c++)
		ncells += count[c] > 0;
	cells = malloc((ncells ? ncells : 1) * sizeof *cells);
	if (!cells)
		goto fail;
	ncells = 0;
	for (unsigned c = 0; c < 32768; c++)
		if (count[c])
			cells[ncells++] = (mc_cell){0, (uint16_t)c, (long)count[c]};
	mc_box box[256];
	int nbox = 1;
	box[0] = (mc_box){0, ncells, total, {0, 0, 0}, {255, 255, 255}};
	while (nbox < ncol) {
		int best = -1, axis = 0, widest = -1;
		for (int i = 0; i < nbox; i++)
			for (int j = 0; j < 3; j++)
				if (box[i].width[j] > widest && box[i].n > 1) {
					widest = box[i].width[j];
					best = i;
					axis = j;
				}
		if (best < 0)
			break;
		mc_box *b = &box[best];
		mc_cell *cs = cells + b->first;
		for (size_t i = 0; i < b->n; i++)
			cs[i].key = mc_channel(cs[i].c, axis) << 16 | mc_channel(cs[i].c, (axis + 1) % 3) << 8 |
				    mc_channel(cs[i].c, (axis + 2) % 3);
		qsort(cs, b->n, sizeof *cs, mc_cmp);
		/* giflib's cut: the first cell, then cells while the count left to half stays >= 0,
		 * never the last (its arithmetic: an unsigned half less a signed count, as a long) */
		long sum = (long)(b->count / 2 - (unsigned long)cs[0].count), cnt = cs[0].count;
		size_t k = 1;
		while (k < b->n && (sum -= cs[k].count) >= 0 && k + 1 < b->n)
			cnt += cs[k++].count;
		unsigned maxc = mc_channel(cs[k - 1].c, axis) << 3, minc = mc_channel(cs[k].c, axis) << 3;
		mc_box *nb = &box[nbox++];
		*nb = *b;
		nb->first = b->first + k;
		nb->n = b->n - k;
		nb->count = (unsigned long)cnt;
		b->count -= (unsigned long)cnt;
		b->n = k;
		nb->width[axis] = (GifByteType)(nb->min[axis] + nb->width[axis] - minc);
		nb->min[axis] = (GifByteType)minc;
		b->width[axis] = (GifByteType)(maxc - b->min[axis]);
	}
	for (int i = 0; i < nbox; i++)
		for (size_t j = 0; j < box[i].n; j++)
			index[cells[box[i].first + j].c] = (GifByteType)i;
	/* the indices, and each colour the exact mean of its pixels (a run of one colour, the
	 * background mostly, added at once) */
	uint64_t sum[256][3] = {{0}};
	size_t cnt[256] = {0};
	size_t o = 0;
	for (size_t r = 0; r < nrows; r++) {
		const uint32_t *px = rows[r];
		for (size_t i = 0; i < len[r];) {
			uint32_t p = px[i] & 0xffffff; /* an RGB24 pixel's fourth byte is unused */
			size_t e = i + 1;
			while (e < len[r] && !((px[e] ^ p) & 0xffffff))
				e++;
			GifByteType ix = index[mc_of(p)];
			memset(idx + o, ix, e - i);
			o += e - i;
			sum[ix][0] += (uint64_t)(p >> 16 & 0xff) * (e - i);
			sum[ix][1] += (uint64_t)(p >> 8 & 0xff) * (e - i);
			sum[ix][2] += (uint64_t)(p & 0xff) * (e - i);
			cnt[ix] += e - i;
			i = e;
		}
	}
	for (int i = 0; i < ncol; i++) {
		colors[i].Red = colors[i].Green = colors[i].Blue = 0;
		if (cnt[i]) {
			colors[i].Red = (GifByteType)lrint((double)sum[i][0] / (double)cnt[i]);
			colors[i].Green = (GifByteType)lrint((double)sum[i][1] / (double)cnt[i]);
			colors[i].Blue = (GifByteType)lrint((double)sum[i][2] / (double)cnt[i]);
		}
	}
	free(count);
	free(index);
	free(cells);
	return 0;
fail:
	free(count);
	free(index);
	free(cells);
	return -1;
}

int pl_median_cut(const uint32_t *px, size_t n, int ncol, unsigned char *idx, unsigned char *rgb)
{
	GifColorType colors[256];
	const uint32_t *rows[1] = {px};
	if (ncol < 1 || ncol > 256 || median_cut(rows, &n, 1, ncol, idx, colors) < 0)
		return -1;
	for (int i = 0; i < ncol; i++) {
		rgb[3 * i] = colors[i].Red;
		rgb[3 * i + 1] = colors[i].Green;
		rgb[3 * i + 2] = colors[i].Blue;
	}
	return 0;
}

/* the RGB of pixel (x, y) of an RGB24 image's data */
#define PIX(data, stride, x, y) (((const uint32_t *)((data) + (size_t)(y) * (size_t)(stride)))[x] & 0xffffff)

/*
 * A frame's GIF data.  The first frame is the whole image in 256 colours.
 * Each later frame codes only the pixels that differ from the frame before:
 * within their bounding box, in 255 colours of their own, every other pixel
 * transparent (the one before it shows through).  Animated figures change
 * in a few per cent of their pixels, so this is quicker, closer to the
 * figure (its colours go where the change is) and a smaller file.
 */
pl_gif_frame *pl_gif_quantize(cairo_surface_t *img, cairo_surface_t *prev)
{
	int W = cairo_image_surface_get_width(img), H = cairo_image_surface_get_height(img);
	int stride = cairo_image_surface_get_stride(img);
	const unsigned char *data = cairo_image_surface_get_data(img);
	const unsigned char *pdata = NULL;
	int pstride = 0;
	if (prev && cairo_image_surface_get_width(prev) == W && cairo_image_surface_get_height(prev) == H) {
		pdata = cairo_image_surface_get_data(prev);
		pstride = cairo_image_surface_get_stride(prev);
	}
	pl_gif_frame *q = nb_xcalloc(1, sizeof *q);
	q->w = W;
	q->h = H;
	q->transparent = -1;
	/* the pixels that changed, in order (y * W + x): rows the same as the frame before's, most
	 * of them, are passed over at memcmp's speed (bytes the same, pixels the same; the unused
	 * fourth byte of a pixel may differ, so rows whose bytes differ are compared pixel by pixel) */
	uint32_t *chg = NULL;
	size_t nchg = 0, capchg = 0;
	if (pdata) {
		/* the box round the pixels that changed */
		int x0 = W, y0 = H, x1 = -1, y1 = -1;
		for (int y = 0; y < H; y++) {
			const uint32_t *a = (const uint32_t *)(data + (size_t)y * (size_t)stride);
			const uint32_t *bp = (const uint32_t *)(pdata + (size_t)y * (size_t)pstride);
			if (!memcmp(a, bp, (size_t)W * 4))
				continue;
			size_t before = nchg;
			for (int x = 0; x < W; x++)
				if ((a[x] ^ bp[x]) & 0xffffff) {
					NB_GROW(chg, capchg, nchg + 1);
					chg[nchg++] = (uint32_t)y * (uint32_t)W + (uint32_t)x;
				}
			if (nchg == before)
				continue;
			int lo = (int)(chg[before] % (uint32_t)W), hi = (int)(chg[nchg - 1] % (uint32_t)W);
			x0 = lo < x0 ? lo : x0;
			x1 = hi > x1 ? hi : x1;
			y0 = y < y0 ? y : y0;
			y1 = y;
		}
		if (x1 < 0) /* nothing changed: one transparent pixel keeps the frame's time */
			x0 = x1 = y0 = y1 = 0;
		q->x0 = x0;
		q->y0 = y0;
		q->w = x1 - x0 + 1;
		q->h = y1 - y0 + 1;
		q->transparent = 255;
	}
	size_t n = (size_t)q->w * (size_t)q->h;
	q->idx = nb_xmalloc(n ? n : 1);
	int ok = 1;
	if (pdata) {
		/* the changed pixels in their colours, every other one transparent */
		uint32_t *px = nb_xmalloc((nchg ? nchg : 1) * sizeof *px);
		GifByteType *ci = nb_xmalloc(nchg ? nchg : 1);
		for (size_t k = 0; k < nchg; k++)
			px[k] = PIX(data, stride, chg[k] % (uint32_t)W, chg[k] / (uint32_t)W);
		const uint32_t *rows[1] = {px};
		ok = nchg == 0 || median_cut(rows, &nchg, 1, 255, ci, q->colors) == 0;
		memset(q->idx, 255, n);
		for (size_t k = 0; ok && k < nchg; k++) {
			size_t x = chg[k] % (uint32_t)W, y = chg[k] / (uint32_t)W;
			q->idx[(y - (size_t)q->y0) * (size_t)q->w + (x - (size_t)q->x0)] = ci[k];
		}
		free(px);
		free(ci);
	} else if (n) {
		/* the whole first frame, straight from the image's rows */
		const uint32_t **rows = nb_xmalloc((size_t)H * sizeof *rows);
		size_t *len = nb_xmalloc((size_t)H * sizeof *len);
		for (int y = 0; y < H; y++) {
			rows[y] = (const uint32_t *)(data + (size_t)y * (size_t)stride);
			len[y] = (size_t)W;
		}
		ok = median_cut(rows, len, (size_t)H, 256, q->idx, q->colors) == 0;
		free(rows);
		free(len);
	}
	free(chg);
	if (!ok) {
		pl_gif_frame_free(q);
		return NULL;
	}
	return q;
}

void pl_gif_frame_free(pl_gif_frame *q)
{
	if (q) {
		free(q->idx);
		free(q);
	}
}

/*
 * A frame's pixels compressed as GIF's LZW, written as the image's data
 * blocks (giflib's EGifPutCodeNext, after EGifPutImageDesc has written the
 * code size).  The codes are giflib's own, step for step (EGifCompressLine:
 * a clear code first, codes widened from 9 bits as the table grows, cleared
 * before code 4095, the last code and the end code, 255-byte blocks), so
 * the file is the one EGifPutLine writes; the table of (prefix, pixel)
 * strings is found by a multiplicative hash where giflib's folds the key
 * onto itself, and runs of one colour, the transparent pixels of a frame
 * most of all, probed it at length: the frames of gradient_descent_animation
 * took 24 ms that way.
 */
#define LZW_SLOTS 8192 /* more than twice the 4094 strings the table holds */

typedef struct lzw_out {
	GifFileType *g;
	uint64_t bits;
	int nbits, width, err;
	unsigned next;           /* the code the next new string gets */
	GifByteType block[256];  /* a data block: its length, then its bytes */
} lzw_out;

static void lzw_byte(lzw_out *o, unsigned b)
{
	o->block[++o->block[0]] = (GifByteType)b;
	if (o->block[0] == 255) {
		if (EGifPutCodeNext(o->g, o->block) == GIF_ERROR)
			o->err = 1;
		o->block[0] = 0;
	}
}

/* A code in the current width, the width then grown if the next code needs more bits. */
static void lzw_code(lzw_out *o, unsigned code)
{
	o->bits |= (uint64_t)code << o->nbits;
	o->nbits += o->width;
	while (o->nbits >= 8) {
		lzw_byte(o, (unsigned)(o->bits & 0xff));
		o->bits >>= 8;
		o->nbits -= 8;
	}
	if (o->next >= 1u << o->width)
		o->width++;
}

/* The code of string (prefix, pixel) in the table, its slot in *h either way; -1 if absent. */
static inline int lzw_find(const uint32_t *slot, uint32_t key, uint32_t *h)
{
	uint32_t i = (key * 2654435761u) >> 19;
	for (;;) {
		uint32_t e = slot[i];
		if (e == UINT32_MAX || e >> 12 == key) {
			*h = i;
			return e == UINT32_MAX ? -1 : (int)(e & 0xfff);
		}
		i = (i + 1) & (LZW_SLOTS - 1);
	}
}

/*
 * The strings that are runs of one colour (the pixel value rb), which most
 * of a frame is, are followed without the table: chain[L] is the code of
 * rb repeated L times, for L up to clen, as the table has them, so a run
 * along the chain is skipped at once.  The codes are the same.
 */
static int lzw_write(GifFileType *g, const GifByteType *px, size_t n)
{
	enum { CLEAR = 256, END = 257, FIRST = 258, LAST = 4095 };
	uint32_t *slot = nb_xmalloc(LZW_SLOTS * sizeof *slot); /* (prefix << 8 | pixel) << 12 | code */
	memset(slot, 0xff, LZW_SLOTS * sizeof *slot);
	unsigned chain[LAST + 2];
	int rb = -1;
	size_t clen = 0, L = 0; /* cur is rb repeated L times (0: it is not a run of rb) */
	lzw_out o = {.g = g, .width = 9, .next = FIRST};
	lzw_code(&o, CLEAR);
	unsigned cur = n ? px[0] : 0;
	if (n > 1 && px[1] == px[0]) {
		rb = px[0];
		chain[1] = cur;
		clen = L = 1;
	}
	for (size_t k = 1; k < n;) {
		unsigned p = px[k];
		if (L && (int)p == rb && L < clen) { /* along the chain */
			size_t m = 0;
			while (L + m < clen && k + m < n && px[k + m] == p)
				m++;
			L += m;
			k += m;
			cur = chain[L];
			continue;
		}
		uint32_t key = cur << 8 | p, h;
		int code = lzw_find(slot, key, &h);
		if (code >= 0) {
			cur = (unsigned)code;
			if (L && (int)p == rb) /* the chain, one longer */
				chain[clen = ++L] = cur;
			else
				L = 0;
			k++;
			continue;
		}
		lzw_code(&o, cur);
		if (o.next >= LAST) {
			lzw_code(&o, CLEAR);
			memset(slot, 0xff, LZW_SLOTS * sizeof *slot);
			o.next = FIRST;
			o.width = 9;
			clen = rb >= 0 ? 1 : 0;
		} else {
			if (L && (int)p == rb && L == clen) /* rb repeated L + 1 times: a new code */
				chain[++clen] = o.next;
			slot[h] = key << 12 | o.next++;
		}
		cur = p;
		k++;
		/* a run starting here: follow its colour's chain */
		if ((int)p != rb && k < n && px[k] == p) {
			rb = (int)p;
			chain[1] = p;
			clen = 1;
		}
		L = (int)p == rb ? 1 : 0;
	}
	if (n)
		lzw_code(&o, cur);
	lzw_code(&o, END);
	if (o.nbits > 0)
		lzw_byte(&o, (unsigned)(o.bits & 0xff));
	if (o.block[0] && EGifPutCodeNext(g, o.block) == GIF_ERROR)
		o.err = 1;
	if (EGifPutCodeNext(g, NULL) == GIF_ERROR)
		o.err = 1;
	free(slot);
	return o.err ? -1 : 0;
}

int pl_gif_put(pl_gif *gif, const pl_gif_frame *q, int delay_cs)
{
	if (!q || q->x0 < 0 || q->y0 < 0 || q->x0 + q->w > gif->w || q->y0 + q->h > gif->h)
		return -1;
	int rc = -1;
	ColorMapObject *map = GifMakeMapObject(256, q->colors);
	GraphicsControlBlock gcb = {DISPOSE_DO_NOT, false, delay_cs, q->transparent};
	GifByteType ext[4];
	EGifGCBToExtension(&gcb, ext);
	if (!map || EGifPutExtension(gif->g, GRAPHICS_EXT_FUNC_CODE, 4, ext) == GIF_ERROR ||
	    EGifPutImageDesc(gif->g, q->x0, q->y0, q->w, q->h, false, map) == GIF_ERROR)
		goto out;
	if (lzw_write(gif->g, q->idx, (size_t)q->w * (size_t)q->h) < 0)
		goto out;
	rc = 0;
out:
	if (map)
		GifFreeMapObject(map);
	return rc;
}

int pl_gif_add(pl_gif *gif, cairo_surface_t *img, int delay_cs)
{
	pl_gif_frame *q = pl_gif_quantize(img, gif->prev);
	int rc = pl_gif_put(gif, q, delay_cs);
	pl_gif_frame_free(q);
	if (gif->prev)
		cairo_surface_destroy(gif->prev);
	gif->prev = cairo_surface_reference(img);
	return rc;
}

int pl_gif_close(pl_gif *gif)
{
	int err;
	int rc = EGifCloseFile(gif->g, &err) == GIF_ERROR ? -1 : 0;
	if (gif->prev)
		cairo_surface_destroy(gif->prev);
	free(gif);
	return rc;
}

/* Draw f on a PDF or SVG surface of its page's size and finish the file; takes s. */
static int write_vector(pl_figure *f, cairo_surface_t *s, double x0, double y0)
{
	if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
		cairo_surface_destroy(s);
		errno = EIO;
		return -1;
	}
	cairo_t *cr = cairo_create(s);
	cairo_translate(cr, -x0, -y0);
	render(f, cr, 1, 0);
	cairo_destroy(cr);
	cairo_surface_finish(s);
	int ok = cairo_surface_status(s) == CAIRO_STATUS_SUCCESS;
	cairo_surface_destroy(s);
	if (!ok) {
		errno = EIO;
		return -1;
	}
	return 0;
}

int pl_write_pdf(pl_figure *f, const char *path)
{
	double x0, y0, pw, ph;
	page_box(f, &x0, &y0, &pw, &ph);
	cairo_surface_t *s = cairo_pdf_surface_create(path, pw, ph);
	if (cairo_surface_status(s) == CAIRO_STATUS_SUCCESS) {
		/* a fixed creation date keeps the bytes identical from run to run */
		cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATE_DATE, "2000-01-01T00:00:00Z");
		cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "nbrun");
	}
	return write_vector(f, s, x0, y0);
}

void pl_figure_size(pl_figure *f, double *w, double *h)
{
	double x0, y0;
	page_box(f, &x0, &y0, w, h);
}

cairo_surface_t *pl_figure_record(pl_figure *f, double *w, double *h)
{
	double x0, y0;
	page_box(f, &x0, &y0, w, h);
	cairo_rectangle_t ext = {0, 0, *w, *h};
	cairo_surface_t *s = cairo_recording_surface_create(CAIRO_CONTENT_COLOR_ALPHA, &ext);
	cairo_t *cr = cairo_create(s);
	cairo_translate(cr, -x0, -y0);
	render(f, cr, 1, 0);
	cairo_destroy(cr);
	return s;
}

int pl_write_svg(pl_figure *f, const char *path)
{
	double x0, y0, pw, ph;
	page_box(f, &x0, &y0, &pw, &ph);
	return write_vector(f, cairo_svg_surface_create(path, pw, ph), x0, y0);
}
