/*
 * plot.h - a figure library with matplotlib's look, drawn with cairo and
 * pango.  It knows nothing of notebooks: callers build a figure from data
 * and options, then write it as PNG, PDF or SVG.
 *
 * Units: lengths are in points (1/72 inch) unless named _in (inches) or
 * _px; data coordinates go through each axes' limits and scales.  Arrays
 * passed in are copied.  Text may contain TeX-like math between dollar
 * signs ($\phi_{0}$, $\Vert v \Vert_2^2$).
 *
 * Ownership: pl_figure_free() frees the figure and everything added to it.
 */
#ifndef NB_PLOT_H
#define NB_PLOT_H

#include <stddef.h>
#include <stdint.h>

typedef struct pl_rgba {
	double r, g, b, a;
} pl_rgba;

/*
 * Parse a matplotlib colour: a name ("red", "lightgray", "tab:blue"), a
 * single letter (b g r c m y k w), "C0".."C9", "#rgb", "#rrggbb",
 * "#rrggbbaa", or a grey level "0.8".  Returns 0, or -1 when unknown.
 */
int pl_color_parse(const char *s, pl_rgba *out);
/* The n-th colour of matplotlib's default cycle (tab10). */
pl_rgba pl_cycle_color(size_t n);

enum { PL_LS_SOLID, PL_LS_DASHED, PL_LS_DOTTED, PL_LS_DASHDOT, PL_LS_NONE };

typedef struct pl_style {
	int has_color;      /* else the next colour of the axes' cycle */
	pl_rgba color;
	double linewidth;   /* default 1.5 */
	int linestyle;      /* PL_LS_* */
	char marker;        /* 0 for none; matplotlib's marker characters */
	double markersize;  /* default 6 */
	double alpha;       /* 1 */
	double zorder;      /* 2 for lines */
	const char *label;  /* NULL for none */
} pl_style;

void pl_style_init(pl_style *s);
/*
 * Apply a matplotlib format string ("ro", "g-", "k--", "b:", "o-", "*", "C1.").
 * Returns 0, or -1 with a message in err (cap bytes).
 */
int pl_style_fmt(pl_style *s, const char *fmt, char *err, size_t cap);
/* Apply a linestyle name: "-", "--", ":", "-.", "solid", "dashed", "dotted", "dashdot", "none", "". */
int pl_style_linestyle(pl_style *s, const char *name);

typedef struct pl_figure pl_figure;
typedef struct pl_axes pl_axes;

pl_figure *pl_figure_new(double width_in, double height_in, double dpi);
void pl_figure_free(pl_figure *f);
double pl_figure_dpi(const pl_figure *f);
void pl_figure_suptitle(pl_figure *f, const char *title);
/* The axes in cell index (0-based, row-major) of a rows × cols grid. */
pl_axes *pl_subplot(pl_figure *f, int rows, int cols, int index);

/* A second axes over a's box sharing its x axis, with its own y axis on the
 * right (matplotlib's twinx).  Its layers take the next colours of a's cycle. */
pl_axes *pl_twinx(pl_axes *a);
void pl_set_xlim(pl_axes *a, double lo, double hi);
void pl_set_ylim(pl_axes *a, double lo, double hi);
void pl_set_xlabel(pl_axes *a, const char *s);
void pl_set_ylabel(pl_axes *a, const char *s);
void pl_set_title(pl_axes *a, const char *s);
enum { PL_LINEAR, PL_LOG };
void pl_set_xscale(pl_axes *a, int scale);
void pl_set_yscale(pl_axes *a, int scale);
void pl_set_grid(pl_axes *a, int on);
/* Leave out some of the box's sides (matplotlib's ax.spines[...].set_visible(False)). */
enum { PL_SPINE_LEFT = 1, PL_SPINE_RIGHT = 2, PL_SPINE_TOP = 4, PL_SPINE_BOTTOM = 8 };
void pl_hide_spines(pl_axes *a, int sides);
/* The legend's box when the figure was last drawn: left, top, width, height in points from the
 * figure's top left (for tests). */
void pl_legend_box(const pl_axes *a, double box[4]);
/* The view limits when the figure was last drawn: left, right, bottom, top in data units. */
void pl_view_limits(const pl_axes *a, double v[4]);
/* 'equal' aspect (one data unit is as long on both axes), or a ratio; 0 = auto. */
void pl_set_aspect(pl_axes *a, double ratio);
/* Legend at a matplotlib location name ("best", "upper right", ...); -1 if unknown. */
int pl_legend(pl_axes *a, const char *loc);
/* The legend's text size in points (0: matplotlib's default 10) and whether its box is drawn. */
void pl_legend_style(pl_axes *a, double fontsize, int frame);

void pl_plot(pl_axes *a, const double *x, const double *y, size_t n, const pl_style *s);
/* sizes: marker areas in pt² (NULL: 36 each), one colour for all. */
void pl_scatter(pl_axes *a, const double *x, const double *y, size_t n, const double *sizes, const pl_style *s);
void pl_fill_between(pl_axes *a, const double *x, const double *y1, const double *y2, size_t n, const pl_style *s);
void pl_axhline(pl_axes *a, double y, const pl_style *s);
void pl_axvline(pl_axes *a, double x, const pl_style *s);
void pl_axhspan(pl_axes *a, double y0, double y1, const pl_style *s);
void pl_axvspan(pl_axes *a, double x0, double x1, const pl_style *s);
/* Colormaps: matplotlib's named maps (viridis, plasma, ..., gray, jet, coolwarm, ...), or a listed
 * map of n colours (no interpolation, as matplotlib's ListedColormap). */
typedef struct pl_cmap pl_cmap;
const pl_cmap *pl_cmap_named(const char *name);
pl_cmap *pl_cmap_listed(const pl_rgba *colors, size_t n);
void pl_cmap_free(pl_cmap *c);
/* The colour at x in [0, 1] (i = int(x N), clipped), as Colormap.__call__. */
pl_rgba pl_cmap_at(const pl_cmap *c, double x);

/*
 * Contour lines (filled = 0) or filled bands (filled = 1) of z over the grid
 * (x, y), all rows × cols.  Levels: the nlev given, or when levels is NULL
 * about nauto levels chosen as matplotlib does.  Lines take one colour when
 * color is not NULL, else the colormap's colour at each level; bands the
 * colormap's colour at their middle value.  The axes keeps the last
 * contour set for pl_colorbar.  Copies everything (an array equal to one
 * an earlier contour of the axes holds is shared with it); cmap must outlive
 * the figure (named maps do; a listed map is taken over by the figure).
 */
void pl_contour(pl_axes *a, const double *x, const double *y, const double *z, size_t rows, size_t cols,
		const double *levels, size_t nlev, int nauto, pl_cmap *cmap, int own_cmap, const pl_rgba *color,
		int filled, double linewidth, double alpha);
/* The contour lines of z (rows × cols over the grid x, y) at one level, as drawn: polylines in
 * data coordinates, each followed by a NaN point; closed loops end at their first point.
 * *ox and *oy are allocated (free them); returns the number of points. */
/* The polyline (x, y), in cr's user units, appended to cr's path as nbrun draws lines: a
 * non-finite point breaks it, and runs within 1/18 of a device pixel (scale pixels a unit) of
 * a straight line going forward are one segment, so no vertex is more than 1/9 of a pixel off. */
typedef struct _cairo cairo_t;
void pl_simplified_path(cairo_t *cr, const double *x, const double *y, size_t n, double scale);
size_t pl_contour_trace(const double *x, const double *y, const double *z, size_t rows, size_t cols, double level,
			double **ox, double **oy);
/* matplotlib's contour levels for nauto requested levels between zmin and zmax. */
size_t pl_contour_levels(double zmin, double zmax, int nauto, int filled, double *out, size_t cap);
/* A colorbar for the axes' last contour set, on its right, with an optional label. */
void pl_colorbar(pl_axes *a, const char *label);

/*
 * Arrows at (x, y) with components (u, v), as matplotlib's quiver: angles
 * 'uv' (screen directions) or 'xy' (data directions); with scale_xy the
 * arrow spans (u, v)/scale in data units (scale_units='xy'), otherwise
 * lengths are relative to the axes width and scale <= 0 autoscales.
 * pivot: 't' tail, 'm' middle, 'h' head (tip).  Colour black by default.
 */
void pl_quiver(pl_axes *a, const double *x, const double *y, const double *u, const double *v, size_t n,
	       int angles_xy, int scale_xy, double scale, char pivot, const pl_style *s);

/*
 * Streamlines of (u, v) given on an evenly spaced grid x (nx) × y (ny)
 * (u and v are ny × nx), as matplotlib's streamplot: density scales the
 * 30 × 30 occupancy mask; one arrow head halfway along each line.
 */
void pl_streamplot(pl_axes *a, const double *x, size_t nx, const double *y, size_t ny, const double *u,
		   const double *v, double density, double arrowsize, const pl_style *s);

/*
 * 3-D axes (matplotlib's mplot3d, perspective): view elevation and azimuth
 * in degrees, zoom as set_box_aspect(None, zoom=...).  The z label is drawn
 * at `rotation` degrees, or NAN for matplotlib's rule (along the axis when
 * longer than four characters).
 */
void pl_axes3d(pl_axes *a, double elev, double azim, double zoom);
void pl_set_zlabel(pl_axes *a, const char *s, double rotation);
void pl_set_zlim(pl_axes *a, double lo, double hi);
int pl_axes_is3d(const pl_axes *a);
/* Arrows in 3-D axes (matplotlib's Axes3D.quiver): pivot 't' tail, 'm' middle, 'h' tip. */
void pl_quiver3d(pl_axes *a, const double *x, const double *y, const double *z, const double *u, const double *v,
		 const double *w, size_t n, double length, double arrow_ratio, int normalize, char pivot, const pl_style *s);
/* Markers at 3-D points (sizes: areas in pt², or NULL for 36), the farther
 * ones paler as matplotlib's depthshade. */
void pl_scatter3d(pl_axes *a, const double *x, const double *y, const double *z, size_t n, const double *sizes,
		  const pl_style *s);
/* A line (and markers) through 3-D points, in a 3-D axes. */
void pl_plot3d(pl_axes *a, const double *x, const double *y, const double *z, size_t n, const pl_style *s);
/* The view's projection matrix (matplotlib's Axes3D.get_proj()), for tests. */
void pl_axes3d_proj(pl_axes *a, double M[4][4]);
/* A surface over the grid (x, y, z all rows × cols), as plot_surface: up to
 * 50 × 50 patches, each coloured by the colormap at its mean z (or in the
 * style's colour when cmap is NULL).  cmap must outlive the figure. */
void pl_surface(pl_axes *a, const double *x, const double *y, const double *z, size_t rows, size_t cols,
		const pl_cmap *cmap, const pl_style *s);

/* Text at (tx, ty) with an arrow to the point (x, y), as matplotlib's
 * annotate with arrowprops: arrow '>' ('->'), '|' ('-|>'), '-' (a line). */
void pl_annotate(pl_axes *a, double x, double y, double tx, double ty, const char *text, double size, const pl_style *s,
		 char ha, char va, char arrow);

/* The vertices of layer number `layer` of an axes (a line, or a streamplot's
 * lines separated by NaN points), for tests and tools; 0 if there is none. */
size_t pl_layer_path(const pl_axes *a, size_t layer, const double **x, const double **y);

/* Bars centred on x with the given heights, widths and bottoms (n each);
 * horizontal: x are heights on the y axis and the bars grow along x.
 * The colour cycles as matplotlib's bar does. */
void pl_bar(pl_axes *a, const double *x, const double *height, const double *width, const double *bottom, size_t n,
	    int horizontal, const pl_style *s);
/* An image of z (rows × cols) through the colormap, vmin..vmax (NAN: the
 * data's range), nearest-neighbour, as matplotlib's imshow: extent (left,
 * right, bottom, top) or NULL for pixel centres at integers, origin upper
 * (first row on top) unless origin_lower; equal aspect unless set.  It is
 * the axes' mappable for pl_colorbar. */
void pl_imshow(pl_axes *a, const double *z, size_t rows, size_t cols, const pl_cmap *cmap, const double *extent,
	       int origin_lower, double vmin, double vmax, const pl_style *s);

/* Text at data coordinates; ha: 'l' 'c' 'r'; va: 'b' 'c' 't' 'B' (baseline). */
void pl_text(pl_axes *a, double x, double y, const char *text, double size, const pl_style *s, char ha, char va);

/* The palette of n pixels (0x00RRGGBB, the top byte ignored) in at most ncol <= 256 colours, as
 * the GIF frames get it: giflib's median cut, each colour the exact mean of its pixels.  Each
 * pixel's index to idx, the colours to rgb (3 bytes each, ncol of them); -1 if ncol is out of
 * range or memory runs out. */
int pl_median_cut(const uint32_t *px, size_t n, int ncol, unsigned char *idx, unsigned char *rgb);

/* Output; the same drawing code for every format.  0, or -1 with errno. */
/* The figure drawn into an opaque RGB24 image at its dpi (cropped when
 * tight), and such an image saved as PNG with the dpi recorded. */
typedef struct _cairo_surface cairo_surface_t;
cairo_surface_t *pl_render_image(pl_figure *f);
int pl_save_png(cairo_surface_t *img, const char *path, double dpi);
/* A PNG of w x h pixels whose rows row(ctx, y, rgb) gives as RGB (3 bytes a pixel): for an
 * image composed as it is written.  A row may be asked for twice (two passes, each from the top
 * down, the first over some of the rows), and must be the same both times. */
typedef void (*pl_png_row_fn)(void *ctx, int y, unsigned char *rgb);
/* n pixels of an RGB24 image (0x??RRGGBB) as 3-byte RGB. */
void pl_rgb_of_xrgb(unsigned char *rgb, const uint32_t *px, int n);
int pl_save_png_rows(const char *path, int w, int h, double dpi, pl_png_row_fn row, void *ctx);
/* The same written as the rows come, for an image composed piece by piece: the file's start
 * on open; each put compresses the next n rows (the first put's rows give the Huffman codes
 * for all); close ends the file once all h rows are in, and fails otherwise.  put and close:
 * 0, or -1 with errno; close frees p either way (a file left unfinished is the caller's to
 * remove). */
typedef struct pl_png pl_png;
pl_png *pl_png_open(const char *path, int w, int h, double dpi);
int pl_png_put(pl_png *p, int n, pl_png_row_fn row, void *ctx);
int pl_png_close(pl_png *p);

/* An animated GIF of w × h frames, looping for ever; each frame's colours
 * quantised to 256 (giflib's median cut); delay in hundredths of a second. */
typedef struct pl_gif pl_gif;
pl_gif *pl_gif_open(const char *path, int w, int h);
int pl_gif_add(pl_gif *g, cairo_surface_t *img, int delay_cs);
/* The same in two steps: a frame's palette and pixels given the frame before it (NULL for
 * the first; any thread; NULL if giflib fails), then its place in the file (in order).  A
 * later frame codes only the pixels that changed, the others transparent. */
typedef struct pl_gif_frame pl_gif_frame;
pl_gif_frame *pl_gif_quantize(cairo_surface_t *img, cairo_surface_t *prev);
int pl_gif_put(pl_gif *g, const pl_gif_frame *q, int delay_cs);
void pl_gif_frame_free(pl_gif_frame *q);
int pl_gif_close(pl_gif *g);

/* Crop the output to the drawing plus 0.1 in (matplotlib's bbox_inches='tight'). */
void pl_figure_tight(pl_figure *f, int on);
/* Subplots share their x and/or y limits (the union of their data), and only
 * the outer row and column label their ticks (matplotlib's sharex/sharey). */
void pl_figure_share(pl_figure *f, int sharex, int sharey);
/* Fit margins and spaces to the drawing (matplotlib's layout='tight'). */
void pl_figure_layout_tight(pl_figure *f, int on);
int pl_write_png(pl_figure *f, const char *path);
int pl_write_pdf(pl_figure *f, const char *path);
int pl_write_svg(pl_figure *f, const char *path);
/*
 * The figure as vector drawing on a cairo recording surface, its page box
 * (w x h points) at the origin: for drawing into another document.
 */
cairo_surface_t *pl_figure_record(pl_figure *f, double *w, double *h);
/* Its page box alone (what pl_figure_record would give in w and h); once known, drawing the
 * figure no longer changes it, so threads may then read it while another draws. */
void pl_figure_size(pl_figure *f, double *w, double *h);
/* A rough measure of the work of drawing the figure (its axes, points, grid cells, levels,
 * arrows, pixels), to write its files in a good order; comparable between figures only. */
double pl_figure_cost(const pl_figure *f);

/* ------------------------------------------------ exposed for testing */

/* matplotlib's MaxNLocator (steps 1, 2, 2.5, 5, 10) for nbins; returns the count. */
size_t pl_ticks_auto(double vmin, double vmax, int nbins, double *out, size_t cap);
/* ScalarFormatter's labels for ticks inside [vmin, vmax]; offset text in offset (may be empty). */
void pl_format_ticks(const double *ticks, size_t n, double vmin, double vmax, char **labels, char *offset, size_t cap);

#endif
