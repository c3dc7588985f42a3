/*
 * plot.c - the figure kernel: a declarative figure (axes with layers of
 * plots) translated into calls to the figure library (runner/plot.h).
 * One cell draws one figure, as one cell of the original draws one.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../runner/kernel.h"
#include "../runner/ops.h"
#include "../runner/plot.h"

#define STYLE_PARAMS                                                                                        \
	{"color", NB_P_STRING, NB_OPTIONAL, "a matplotlib colour: name, letter, C0..C9, #rrggbb or #rrggbbaa", NULL}, \
	{"alpha", NB_P_NUMBER, NB_OPTIONAL, "opacity from 0 to 1", NULL},                                   \
	{"label", NB_P_STRING, NB_OPTIONAL, "the legend entry ($...$ for math)", NULL},                      \
	{"zorder", NB_P_NUMBER, NB_OPTIONAL, "drawing order: higher on top", NULL}

#define WHEN_P                                                                                                    \
	{"when", NB_P_ARRAY, NB_OPTIONAL, "draw the layer only when this is true (with frames: an expression of the frame variables)", NULL}

#define LINE_PARAMS                                                                                             \
	{"linewidth", NB_P_NUMBER, NB_OPTIONAL, "line width in points (default 1.5)", NULL},                    \
	{"linestyle", NB_P_STRING, NB_OPTIONAL, "'-', '--', ':', '-.' or 'none'", NULL}

static const nb_param plot_p[] = {
	{"x", NB_P_ARRAY, NB_OPTIONAL, "x values (default 0, 1, ...); a 2-D array plots its columns", NULL},
	{"y", NB_P_ARRAY, NULL, "y values; a 2-D array plots its columns", NULL},
	{"z", NB_P_ARRAY, NB_OPTIONAL, "z values, in 3-D axes only (a line through 3-D points; x, y, z 1-D of one length)", NULL},
	{"fmt", NB_P_STRING, NB_OPTIONAL, "matplotlib format string: 'ro', 'g-', 'k--', 'b:', 'o-', '*'", NULL},
	{"marker", NB_P_STRING, NB_OPTIONAL, "a marker: o . s ^ v < > * + x D d p h |  _", NULL},
	{"markersize", NB_P_NUMBER, NB_OPTIONAL, "marker size in points (default 6)", NULL},
	LINE_PARAMS, STYLE_PARAMS, WHEN_P, {NULL}};
static const nb_param scatter_p[] = {
	{"x", NB_P_ARRAY, NULL, "x positions", NULL},
	{"y", NB_P_ARRAY, NULL, "y positions", NULL},
	{"z", NB_P_ARRAY, NB_OPTIONAL, "z positions, in 3-D axes only (farther markers paler, as matplotlib's depthshade)", NULL},
	{"s", NB_P_ARRAY, NB_OPTIONAL, "marker areas in points² (one, or one per point; default 36)", NULL},
	{"marker", NB_P_STRING, NB_OPTIONAL, "the marker (default o)", NULL},
	STYLE_PARAMS, WHEN_P, {NULL}};
static const nb_param fill_p[] = {
	{"x", NB_P_ARRAY, NULL, "x values", NULL},
	{"y1", NB_P_ARRAY, NULL, "one edge of the band", NULL},
	{"y2", NB_P_ARRAY, "0", "the other edge (default 0)", NULL},
	STYLE_PARAMS, WHEN_P, {NULL}};
static const nb_param hline_p[] = {{"y", NB_P_NUMBER, NULL, "the height", NULL}, LINE_PARAMS, STYLE_PARAMS, WHEN_P, {NULL}};
static const nb_param vline_p[] = {{"x", NB_P_NUMBER, NULL, "the position", NULL}, LINE_PARAMS, STYLE_PARAMS, WHEN_P, {NULL}};
static const nb_param hlines_p[] = {
	{"y", NB_P_ARRAY, NULL, "heights", NULL}, {"xmin", NB_P_ARRAY, NULL, "left ends", NULL},
	{"xmax", NB_P_ARRAY, NULL, "right ends", NULL}, LINE_PARAMS, STYLE_PARAMS, WHEN_P, {NULL}};
static const nb_param vlines_p[] = {
	{"x", NB_P_ARRAY, NULL, "positions", NULL}, {"ymin", NB_P_ARRAY, NULL, "bottom ends", NULL},
	{"ymax", NB_P_ARRAY, NULL, "top ends", NULL}, LINE_PARAMS, STYLE_PARAMS, WHEN_P, {NULL}};
static const nb_param hspan_p[] = {
	{"ymin", NB_P_NUMBER, NULL, "bottom", NULL}, {"ymax", NB_P_NUMBER, NULL, "top", NULL}, STYLE_PARAMS, WHEN_P, {NULL}};
static const nb_param vspan_p[] = {
	{"xmin", NB_P_NUMBER, NULL, "left", NULL}, {"xmax", NB_P_NUMBER, NULL, "right", NULL}, STYLE_PARAMS, WHEN_P, {NULL}};
#define TEXT_PARAMS                                                                                          \
	{"s", NB_P_FORMAT, NULL, "the text, with {expression} fields as print has (double math braces: $x_{{0}}$)", NULL}, \
	{"fontsize", NB_P_NUMBER, "10", "size in points", NULL},                                                  \
	{"ha", NB_P_CHOICE, "left", "horizontal alignment", "left center right"},                                \
	{"va", NB_P_CHOICE, "baseline", "vertical alignment", "top center bottom baseline"},                     \
	{"color", NB_P_STRING, NB_OPTIONAL, "the colour (default black)", NULL},                                 \
	{"alpha", NB_P_NUMBER, NB_OPTIONAL, "opacity from 0 to 1", NULL}

static const nb_param text_p[] = {
	{"x", NB_P_NUMBER, NULL, "x position (data)", NULL},
	{"y", NB_P_NUMBER, NULL, "y position (data)", NULL},
	TEXT_PARAMS, WHEN_P, {NULL}};

static const nb_param annotate_p[] = {
	{"xy", NB_P_ARRAY, NULL, "[x, y]: the point the arrow points at (data)", NULL},
	{"xytext", NB_P_ARRAY, NB_OPTIONAL, "[x, y]: where the text goes (data; default: at the point, with no arrow)", NULL},
	{"arrowstyle", NB_P_CHOICE, "->", "the arrow, in the text's colour: an open head, a filled head, a plain line, or none",
	 "-> -|> - none"},
	TEXT_PARAMS, WHEN_P, {NULL}};

static const nb_param contour_p[] = {
	{"X", NB_P_ARRAY, NULL, "x coordinates: a 2-D grid like Z (np.meshgrid), or one per column", NULL},
	{"Y", NB_P_ARRAY, NULL, "y coordinates: a 2-D grid like Z, or one per row", NULL},
	{"Z", NB_P_ARRAY, NULL, "the values (rows × columns)", NULL},
	{"levels", NB_P_ARRAY, "7", "how many levels (chosen as matplotlib does), or the increasing levels themselves", NULL},
	{"cmap", NB_P_STRING, NB_OPTIONAL, "a colormap: viridis, plasma, inferno, magma, cividis, gray, jet, coolwarm, ...", NULL},
	{"cmap_colors", NB_P_STRINGS, NB_OPTIONAL, "a listed colormap: its colours in order (hex with or without '#')", NULL},
	{"colors", NB_P_STRING, NB_OPTIONAL, "one colour for every level (lines at negative levels are dashed)", NULL},
	{"linewidths", NB_P_NUMBER, NB_OPTIONAL, "line width in points (contour lines; default 1.5)", NULL},
	{"alpha", NB_P_NUMBER, NB_OPTIONAL, "opacity from 0 to 1", NULL},
	{"zorder", NB_P_NUMBER, NB_OPTIONAL, "drawing order: higher on top", NULL},
	WHEN_P, {NULL}};

static const nb_param quiver_p[] = {
	{"X", NB_P_ARRAY, NULL, "arrow positions: x", NULL},
	{"Y", NB_P_ARRAY, NULL, "arrow positions: y", NULL},
	{"U", NB_P_ARRAY, NULL, "arrow components along x", NULL},
	{"V", NB_P_ARRAY, NULL, "arrow components along y", NULL},
	{"angles", NB_P_CHOICE, "uv", "uv: directions on screen; xy: directions in data coordinates", "uv xy"},
	{"scale_units", NB_P_CHOICE, "width", "xy: an arrow spans (U, V)/scale in data units; width: lengths relative to the axes width", "width xy"},
	{"scale", NB_P_NUMBER, NB_OPTIONAL, "data units per arrow length unit (default: matplotlib's autoscale)", NULL},
	{"pivot", NB_P_CHOICE, "tail", "the point of the arrow at (X, Y)", "tail mid middle tip"},
	{"Z", NB_P_ARRAY, NB_OPTIONAL, "3-D axes: arrow positions: z", NULL},
	{"W", NB_P_ARRAY, NB_OPTIONAL, "3-D axes: arrow components along z", NULL},
	{"length", NB_P_NUMBER, "1", "3-D axes: the arrows' length factor", NULL},
	{"arrow_length_ratio", NB_P_NUMBER, "0.3", "3-D axes: the heads' length as a fraction of the arrow's", NULL},
	{"normalize", NB_P_BOOL, "false", "3-D axes: make every arrow 'length' long", NULL},
	STYLE_PARAMS, WHEN_P, {NULL}};

static const nb_param stream_p[] = {
	{"X", NB_P_ARRAY, NULL, "x coordinates: evenly spaced, one per column (or a grid like U)", NULL},
	{"Y", NB_P_ARRAY, NULL, "y coordinates: evenly spaced, one per row (or a grid like U)", NULL},
	{"U", NB_P_ARRAY, NULL, "velocity along x (rows × columns)", NULL},
	{"V", NB_P_ARRAY, NULL, "velocity along y (rows × columns)", NULL},
	{"density", NB_P_NUMBER, "1", "how closely the lines are spaced (the 30 × 30 mask is scaled by it)", NULL},
	{"linewidth", NB_P_NUMBER, NB_OPTIONAL, "line width in points (default 1.5)", NULL},
	{"arrowsize", NB_P_NUMBER, "1", "the arrow heads' scale", NULL},
	STYLE_PARAMS, WHEN_P, {NULL}};

static const nb_param surface_p[] = {
	{"X", NB_P_ARRAY, NULL, "x coordinates: a 2-D grid like Z (np.meshgrid), or one per column", NULL},
	{"Y", NB_P_ARRAY, NULL, "y coordinates: a 2-D grid like Z, or one per row", NULL},
	{"Z", NB_P_ARRAY, NULL, "the heights (rows × columns)", NULL},
	{"cmap", NB_P_STRING, NB_OPTIONAL, "colour the patches by their mean height with this colormap (default: one colour)", NULL},
	{"color", NB_P_STRING, NB_OPTIONAL, "the colour without a cmap (default C0), shaded by the patches' slope against a light, as matplotlib shades it", NULL},
	{"alpha", NB_P_NUMBER, NB_OPTIONAL, "opacity from 0 to 1", NULL},
	WHEN_P, {NULL}};

static const nb_param bar_p[] = {
	{"x", NB_P_ARRAY, NULL, "the bars' positions (their centres)", NULL},
	{"height", NB_P_ARRAY, NULL, "the bars' lengths (one, or one per bar)", NULL},
	{"width", NB_P_ARRAY, "0.8", "the bars' widths (one, or one per bar)", NULL},
	{"bottom", NB_P_ARRAY, "0", "where the bars start (one, or one per bar)", NULL},
	{"horizontal", NB_P_BOOL, "false", "bars along x (matplotlib's barh), x giving their heights on the y axis", NULL},
	STYLE_PARAMS, WHEN_P, {NULL}};

static const nb_param hist_p[] = {
	{"x", NB_P_ARRAY, NULL, "the values (all elements of the array)", NULL},
	{"bins", NB_P_ARRAY, "10", "how many equal bins, or their increasing edges (numpy.histogram)", NULL},
	{"range", NB_P_ARRAY, NB_OPTIONAL, "[low, high] of the bins (default: the data's range)", NULL},
	{"density", NB_P_BOOL, "false", "scale so that the bars' total area is 1", NULL},
	STYLE_PARAMS, WHEN_P, {NULL}};

static const nb_param imshow_p[] = {
	{"Z", NB_P_ARRAY, NULL, "the values (rows × columns)", NULL},
	{"cmap", NB_P_STRING, "viridis", "the colormap", NULL},
	{"extent", NB_P_ARRAY, NB_OPTIONAL, "[left, right, bottom, top] in data coordinates (default: pixel centres at integers)", NULL},
	{"origin", NB_P_CHOICE, "upper", "where the first row goes", "upper lower"},
	{"vmin", NB_P_NUMBER, NB_OPTIONAL, "the value at the colormap's start (default: the minimum)", NULL},
	{"vmax", NB_P_NUMBER, NB_OPTIONAL, "the value at the colormap's end (default: the maximum)", NULL},
	{"alpha", NB_P_NUMBER, NB_OPTIONAL, "opacity from 0 to 1", NULL},
	WHEN_P, {NULL}};

static const nb_subschema layer_schemas[] = {
	{"bar", bar_p, "bars (matplotlib's bar and barh)"},
	{"hist", hist_p, "a histogram (numpy.histogram's bins, drawn as bars)"},
	{"imshow", imshow_p, "an array as an image through a colormap"},
	{"surface", surface_p, "a surface over a grid (3-D axes only, matplotlib's plot_surface)"},
	{"streamplot", stream_p, "streamlines of a 2-D vector field"},
	{"quiver", quiver_p, "a field of arrows"},
	{"contour", contour_p, "contour lines of a 2-D field"},
	{"contourf", contour_p, "filled contours of a 2-D field"},
	{"plot", plot_p, "lines and markers (matplotlib's plot)"},
	{"scatter", scatter_p, "markers with per-point sizes"},
	{"fill_between", fill_p, "a band between two curves"},
	{"axhline", hline_p, "a horizontal line across the axes"},
	{"axvline", vline_p, "a vertical line across the axes"},
	{"hlines", hlines_p, "horizontal segments"},
	{"vlines", vlines_p, "vertical segments"},
	{"axhspan", hspan_p, "a horizontal band across the axes"},
	{"axvspan", vspan_p, "a vertical band across the axes"},
	{"text", text_p, "text at a data position"},
	{"annotate", annotate_p, "text with an arrow to a point (matplotlib's annotate)"},
	{NULL, NULL, NULL}};

static const nb_param twin_p[] = {
	{"layers", NB_P_SUBS, NB_OPTIONAL, "what to draw against the right-hand y axis (the same kinds as the axes' layers)", NULL,
	 layer_schemas},
	{"ylim", NB_P_ARRAY, NB_OPTIONAL, "[bottom, top] of the right-hand axis", NULL},
	{"ylabel", NB_P_STRING, NB_OPTIONAL, "the right-hand axis' label", NULL},
	{"yscale", NB_P_CHOICE, "linear", "the right-hand axis' scale", "linear log"},
	{"legend", NB_P_STRING, NB_OPTIONAL, "a legend for these layers, at a matplotlib location", NULL},
	{NULL}};
static const nb_subschema twin_schema[] = {{"", twin_p, "a second y axis"}, {NULL, NULL, NULL}};

#define AXES_PARAMS                                                                                                 \
	{"layers", NB_P_SUBS, NB_OPTIONAL, "what to draw, in order: plot, scatter, bar, hist, imshow, contour, contourf, quiver, streamplot, surface, fill_between, " \
	 "axhline, axvline, hlines, vlines, axhspan, axvspan, text, annotate", NULL, layer_schemas},                                             \
	{"xlim", NB_P_ARRAY, NB_OPTIONAL, "[left, right] (reversed to invert the axis)", NULL},                      \
	{"ylim", NB_P_ARRAY, NB_OPTIONAL, "[bottom, top] (reversed to invert the axis)", NULL},                      \
	{"xlabel", NB_P_STRING, NB_OPTIONAL, "the x-axis label ($...$ for math)", NULL},                             \
	{"ylabel", NB_P_STRING, NB_OPTIONAL, "the y-axis label", NULL},                                              \
	{"title", NB_P_STRING, NB_OPTIONAL, "the axes' title", NULL},                                                \
	{"xscale", NB_P_CHOICE, "linear", "the x-axis scale", "linear log"},                                         \
	{"yscale", NB_P_CHOICE, "linear", "the y-axis scale", "linear log"},                                         \
	{"grid", NB_P_BOOL, "false", "draw grid lines at the major ticks", NULL},                                    \
	{"spines", NB_P_STRINGS, NB_OPTIONAL, "the sides of the box to draw, of left, bottom, right, top (default all)", NULL}, \
	{"legend", NB_P_STRING, NB_OPTIONAL, "a legend at: best, upper right, upper left, lower left, lower right, " \
	 "right, center left, center right, lower center, upper center, center", NULL},                              \
	{"legend_fontsize", NB_P_STRING, NB_OPTIONAL, "the legend's text size: points, or xx-small, x-small, small, " \
	 "medium, large, x-large, xx-large (matplotlib's names; default 10)", NULL},                                 \
	{"legend_frame", NB_P_BOOL, "true", "draw the legend's box (matplotlib's frameon)", NULL},                    \
	{"aspect", NB_P_STRING, NB_OPTIONAL, "'equal' (one unit as long on both axes), 'auto', or a number", NULL}, \
	{"colorbar", NB_P_BOOL, "false", "a colorbar on the right for the last filled contour set or image (else the last contour lines)", NULL}, \
	{"colorbar_label", NB_P_STRING, NB_OPTIONAL, "the colorbar's label", NULL},                                  \
	{"projection", NB_P_CHOICE, "2d", "3d: a 3-D axes (mplot3d, perspective) for surface layers", "2d 3d"},      \
	{"elev", NB_P_NUMBER, "30", "3-D: the view's elevation in degrees", NULL},                                   \
	{"azim", NB_P_NUMBER, "-60", "3-D: the view's azimuth in degrees", NULL},                                    \
	{"zoom", NB_P_NUMBER, "1", "3-D: scale of the box in the axes (set_box_aspect(None, zoom=...))", NULL},      \
	{"zlabel", NB_P_STRING, NB_OPTIONAL, "3-D: the z-axis label", NULL},                                         \
	{"zlabel_rotation", NB_P_NUMBER, NB_OPTIONAL, "3-D: the z label's angle in degrees (default: along the axis if longer than 4 characters)", NULL}, \
	{"zlim", NB_P_ARRAY, NB_OPTIONAL, "3-D: [bottom, top] of the z axis", NULL},                                   \
	{"twinx", NB_P_SUBS, NB_OPTIONAL, "a second y axis on the right sharing the x axis (matplotlib's twinx): a mapping of "  \
	 "layers, ylim, ylabel, yscale, legend", NULL, twin_schema}

static const nb_param axes_p[] = {AXES_PARAMS, {NULL}};
static const nb_subschema axes_schema[] = {{"", axes_p, "one axes"}, {NULL, NULL, NULL}};

static const nb_param figure_params[] = {
	{"size", NB_P_ARRAY, NB_OPTIONAL, "[width, height] in inches (default: the notebook's, 6.4×4.8)", NULL},
	{"dpi", NB_P_NUMBER, NB_OPTIONAL, "dots per inch of the PNG (default: the notebook's, 100)", NULL},
	{"suptitle", NB_P_STRING, NB_OPTIONAL, "a title above all axes", NULL},
	{"caption", NB_P_STRING, NB_OPTIONAL, "the figure's caption in the report (its alt text; default: the suptitle or the cell id)", NULL},
	{"frames", NB_P_BINDINGS, NB_OPTIONAL, "NAME: sequence pairs: draw one frame per element, NAME bound to it in the layers "
	 "(an animation: numbered PNG frames, an animated GIF and a contact sheet)", "frame"},
	{"frame_seconds", NB_P_NUMBER, "1", "how long each frame shows in the animation", NULL},
	{"tight", NB_P_BOOL, "false", "crop to the drawing plus 0.1 in, as Jupyter shows figures (bbox_inches='tight')", NULL},
	{"layout", NB_P_CHOICE, "none", "tight: fit margins and spaces to the labels (matplotlib's layout='tight')", "none tight"},
	{"grid_shape", NB_P_ARRAY, "[1, 1]", "[rows, columns] of the axes in 'axes'", NULL},
	{"sharex", NB_P_BOOL, "false", "the subplots share one x range; only the bottom row labels its x ticks", NULL},
	{"sharey", NB_P_BOOL, "false", "the subplots share one y range; only the left column labels its y ticks", NULL},
	{"axes", NB_P_SUBS, NB_OPTIONAL, "one mapping of axes parameters per subplot, row by row", NULL, axes_schema},
	AXES_PARAMS, {NULL}};

/* ------------------------------------------------------------ helpers */

static int get(nb_call *c, const nb_sub *s, const char *name, nb_value **v)
{
	return nb_sub_get(c, s, name, v);
}

/* A string parameter of a sub (borrowed from the evaluated value; caller unrefs *hold). */
static const char *str_of(nb_call *c, const nb_sub *s, const char *name, nb_value **hold)
{
	*hold = NULL;
	if (get(c, s, name, hold) < 0 || !*hold)
		return NULL;
	return (*hold)->str;
}

static int style_from(nb_call *c, const nb_sub *s, pl_style *st, int has_line)
{
	nb_value *v = NULL;
	char err[160];
	const char *txt;
	if ((txt = str_of(c, s, "color", &v))) {
		if (pl_color_parse(txt, &st->color) < 0) {
			nb_unref(v);
			return nb_sub_fail(c, s, "color", "unknown colour '%s'", txt);
		}
		st->has_color = 1;
	}
	nb_unref(v);
	if (get(c, s, "alpha", &v) < 0)
		return -1;
	if (v) {
		st->alpha = nb_get_f64(v, 0);
		nb_unref(v);
		if (!(st->alpha >= 0 && st->alpha <= 1))
			return nb_sub_fail(c, s, "alpha", "alpha must be between 0 and 1");
	}
	if (get(c, s, "zorder", &v) < 0)
		return -1;
	if (v) {
		st->zorder = nb_get_f64(v, 0);
		nb_unref(v);
	}
	if (has_line) {
		if (get(c, s, "linewidth", &v) < 0)
			return -1;
		if (v) {
			st->linewidth = nb_get_f64(v, 0);
			nb_unref(v);
			if (!(st->linewidth >= 0))
				return nb_sub_fail(c, s, "linewidth", "the line width must be 0 or more");
		}
		if ((txt = str_of(c, s, "linestyle", &v)) && pl_style_linestyle(st, txt) < 0) {
			nb_unref(v);
			return nb_sub_fail(c, s, "linestyle", "unknown line style '%s' (use -, --, :, -. or none)", txt);
		}
		nb_unref(v);
	}
	(void)err;
	return 0;
}

/* Values of an array as doubles (a copy). */
static double *vals(const nb_value *v, size_t *n)
{
	*n = v->size;
	double *d = nb_xmalloc((v->size ? v->size : 1) * sizeof *d);
	for (size_t i = 0; i < v->size; i++)
		d[i] = nb_get_f64(v, i);
	return d;
}

static int need_1d(nb_call *c, const nb_sub *s, const char *name, const nb_value *v, size_t n)
{
	if (v->size != n && v->size != 1)
		return nb_sub_fail(c, s, name, "'%s' has %zu values where %zu are needed", name, v->size, n);
	return 0;
}

/* matplotlib's plot(x, y): columns of 2-D arrays are separate lines. */
static int layer_plot(nb_call *c, pl_axes *ax, const nb_sub *s)
{
	nb_value *x = NULL, *y = NULL, *z = NULL, *v = NULL;
	pl_style st;
	pl_style_init(&st);
	int rc = -1;
	const char *txt;
	char err[200];
	if (get(c, s, "y", &y) < 0 || get(c, s, "x", &x) < 0)
		goto out;
	if ((txt = str_of(c, s, "fmt", &v)) && pl_style_fmt(&st, txt, err, sizeof err) < 0) {
		nb_sub_fail(c, s, "fmt", "%s", err);
		goto out;
	}
	nb_unref(v);
	v = NULL;
	if (style_from(c, s, &st, 1) < 0)
		goto out;
	if ((txt = str_of(c, s, "marker", &v))) {
		if (strlen(txt) != 1 || !strchr(".,ov^<>12348spP*hH+xXDd|_", txt[0])) {
			nb_sub_fail(c, s, "marker", "unknown marker '%s'", txt);
			goto out;
		}
		st.marker = txt[0];
	}
	nb_unref(v);
	v = NULL;
	if (get(c, s, "markersize", &v) < 0)
		goto out;
	if (v)
		st.markersize = nb_get_f64(v, 0);
	nb_unref(v);
	v = NULL;
	if ((txt = str_of(c, s, "label", &v)))
		st.label = txt;
	if (get(c, s, "z", &z) < 0)
		goto out;
	if (pl_axes_is3d(ax) || z) {
		if (!pl_axes_is3d(ax)) {
			nb_sub_fail(c, s, "z", "'z' needs a 3-D axes: add 'projection: 3d' to its axes");
			goto out;
		}
		if (!z || !x) {
			nb_sub_fail(c, s, NULL, "a plot in 3-D axes needs x, y and z");
			goto out;
		}
		if (x->size != y->size || z->size != y->size) {
			nb_sub_fail(c, s, "z", "x, y and z must have one length, but have %zu, %zu and %zu", x->size, y->size,
				    z->size);
			goto out;
		}
		size_t n = y->size;
		double *buf = nb_xmalloc((n ? n : 1) * 3 * sizeof *buf);
		for (size_t i = 0; i < n; i++) {
			buf[i] = nb_get_f64(x, i);
			buf[n + i] = nb_get_f64(y, i);
			buf[2 * n + i] = nb_get_f64(z, i);
		}
		pl_plot3d(ax, buf, buf + n, buf + 2 * n, n, &st);
		free(buf);
		rc = 0;
		goto out;
	}
	if (y->ndim > 2 || (x && x->ndim > 2)) {
		nb_sub_fail(c, s, "y", "plot takes 1-D or 2-D arrays");
		goto out;
	}
	/* rows × columns: each column is a line */
	size_t rows = y->ndim == 2 ? y->shape[0] : y->size, cols = y->ndim == 2 ? y->shape[1] : 1;
	size_t xr = x ? (x->ndim == 2 ? x->shape[0] : x->size) : rows, xc = x ? (x->ndim == 2 ? x->shape[1] : 1) : 1;
	if (xr != rows || (xc != 1 && cols != 1 && xc != cols)) {
		nb_buf a = NB_BUF_INIT, b = NB_BUF_INIT;
		nb_shape_str(x->ndim, x->shape, &a);
		nb_shape_str(y->ndim, y->shape, &b);
		nb_sub_fail(c, s, "x", "x and y must have the same first dimension, but have shapes %s and %s",
			    nb_buf_str(&a), nb_buf_str(&b));
		nb_buf_release(&a);
		nb_buf_release(&b);
		goto out;
	}
	size_t nl = cols > xc ? cols : xc;
	double *xs = nb_xmalloc((rows ? rows : 1) * sizeof *xs), *ys = nb_xmalloc((rows ? rows : 1) * sizeof *ys);
	for (size_t l = 0; l < nl; l++) {
		for (size_t i = 0; i < rows; i++) {
			xs[i] = x ? nb_get_f64(x, i * xc + (xc == 1 ? 0 : l)) : (double)i;
			ys[i] = nb_get_f64(y, i * cols + (cols == 1 ? 0 : l));
		}
		pl_style one = st;
		if (l > 0)
			one.label = NULL; /* matplotlib labels every line; one legend entry reads better */
		pl_plot(ax, xs, ys, rows, &one);
	}
	free(xs);
	free(ys);
	rc = 0;
out:
	nb_unref(x);
	nb_unref(y);
	nb_unref(z);
	nb_unref(v);
	return rc;
}

/*
 * A contour grid's values, like Z's (rows x cols): v's own when it holds them so as doubles
 * (pl_contour copies what it keeps), else made in *tmp from v's values, or from one value a
 * column (per_col) or a row; NULL if v is shaped otherwise.
 */
static const double *grid_of(const nb_value *v, const nb_value *Z, int per_col, double **tmp)
{
	size_t rows = Z->shape[0], cols = Z->shape[1], n = rows * cols;
	int full = v->ndim == 2 && v->shape[0] == rows && v->shape[1] == cols;
	if (full && v->dtype == NB_F64)
		return nb_f64p(v);
	if (!full && !(v->ndim == 1 && v->size == (per_col ? cols : rows)))
		return NULL;
	double *g = *tmp = nb_xmalloc(n * sizeof *g);
	for (size_t k = 0; k < n; k++)
		g[k] = nb_get_f64(v, full ? k : per_col ? k % cols : k / cols);
	return g;
}

/* contour / contourf: matplotlib's contour(X, Y, Z, levels, cmap=..., colors=...) */
static int layer_contour(nb_call *c, pl_axes *ax, const nb_sub *s, int filled)
{
	nb_value *X = NULL, *Y = NULL, *Z = NULL, *lv = NULL, *v = NULL;
	double *xs = NULL, *ys = NULL, *zs = NULL, *levels = NULL;
	pl_cmap *own = NULL;
	int rc = -1;
	if (get(c, s, "X", &X) < 0 || get(c, s, "Y", &Y) < 0 || get(c, s, "Z", &Z) < 0 || get(c, s, "levels", &lv) < 0)
		goto out;
	if (Z->ndim != 2 || Z->shape[0] < 2 || Z->shape[1] < 2) {
		nb_sub_fail(c, s, "Z", "Z must be a 2-D array of at least 2×2 values");
		goto out;
	}
	size_t rows = Z->shape[0], cols = Z->shape[1];
	const double *zp = grid_of(Z, Z, 0, &zs); /* Z is 2-D: never NULL */
	const double *xp = grid_of(X, Z, 1, &xs);
	if (!xp) {
		nb_sub_fail(c, s, "X", "X must be shaped like Z or hold one value per column (%zu)", cols);
		goto out;
	}
	const double *yp = grid_of(Y, Z, 0, &ys);
	if (!yp) {
		nb_sub_fail(c, s, "Y", "Y must be shaped like Z or hold one value per row (%zu)", rows);
		goto out;
	}
	int nauto = 0;
	size_t nlev = 0;
	if (lv->ndim == 0) {
		double k = nb_get_f64(lv, 0);
		if (!(k >= 1 && k <= 1000 && k == floor(k))) {
			nb_sub_fail(c, s, "levels", "levels must be a count from 1 to 1000, or a list of increasing levels; found %g", k);
			goto out;
		}
		nauto = (int)k;
	} else {
		nlev = lv->size;
		levels = nb_xmalloc(nlev * sizeof *levels);
		for (size_t i = 0; i < nlev; i++) {
			levels[i] = nb_get_f64(lv, i);
			if (i && !(levels[i] > levels[i - 1])) {
				nb_sub_fail(c, s, "levels", "contour levels must be increasing");
				goto out;
			}
		}
		if (filled && nlev < 2) {
			nb_sub_fail(c, s, "levels", "filled contours need at least two levels");
			goto out;
		}
	}
	const pl_cmap *cmap = NULL;
	const char *const *strs;
	size_t nstr = nb_sub_strings(s, "cmap_colors", &strs);
	if (nstr) {
		pl_rgba *cols_ = nb_xmalloc(nstr * sizeof *cols_);
		for (size_t i = 0; i < nstr; i++) {
			char buf[64];
			snprintf(buf, sizeof buf, "%s%s", strs[i][0] == '#' ? "" : "#", strs[i]);
			if (pl_color_parse(buf, &cols_[i]) < 0) {
				free(cols_);
				nb_sub_fail(c, s, "cmap_colors", "item %zu, '%s', is not a colour", i, strs[i]);
				goto out;
			}
		}
		own = pl_cmap_listed(cols_, nstr);
		free(cols_);
		cmap = own;
	}
	const char *t;
	if ((t = str_of(c, s, "cmap", &v))) {
		if (own) {
			nb_sub_fail(c, s, "cmap", "give either cmap or cmap_colors");
			goto out;
		}
		if (!(cmap = pl_cmap_named(t))) {
			nb_sub_fail(c, s, "cmap", "unknown colormap '%s'", t);
			goto out;
		}
	}
	nb_unref(v);
	v = NULL;
	pl_rgba one, *color = NULL;
	if ((t = str_of(c, s, "colors", &v))) {
		if (pl_color_parse(t, &one) < 0) {
			nb_sub_fail(c, s, "colors", "unknown colour '%s'", t);
			goto out;
		}
		color = &one;
	}
	nb_unref(v);
	v = NULL;
	double lw = 0, alpha = 1;
	if (get(c, s, "linewidths", &v) < 0)
		goto out;
	if (v)
		lw = nb_get_f64(v, 0);
	nb_unref(v);
	v = NULL;
	if (get(c, s, "alpha", &v) < 0)
		goto out;
	if (v)
		alpha = nb_get_f64(v, 0);
	nb_unref(v);
	v = NULL;
	pl_contour(ax, xp, yp, zp, rows, cols, levels, nlev, nauto, (pl_cmap *)cmap, own != NULL, color, filled, lw, alpha);
	own = NULL; /* the figure owns it now */
	rc = 0;
out:
	pl_cmap_free(own);
	free(xs);
	free(ys);
	free(zs);
	free(levels);
	nb_unref(X);
	nb_unref(Y);
	nb_unref(Z);
	nb_unref(lv);
	nb_unref(v);
	return rc;
}

static int layer_surface(nb_call *c, pl_axes *ax, const nb_sub *s)
{
	nb_value *X = NULL, *Y = NULL, *Z = NULL, *v = NULL;
	double *xs = NULL, *ys = NULL, *zs = NULL;
	int rc = -1;
	pl_style st;
	pl_style_init(&st);
	if (get(c, s, "X", &X) < 0 || get(c, s, "Y", &Y) < 0 || get(c, s, "Z", &Z) < 0)
		goto out;
	if (Z->ndim != 2 || Z->shape[0] < 2 || Z->shape[1] < 2) {
		nb_sub_fail(c, s, "Z", "Z must be a 2-D array of at least 2×2 values");
		goto out;
	}
	size_t rows = Z->shape[0], cols = Z->shape[1], n = rows * cols;
	int xgrid = X->ndim == 2 && X->shape[0] == rows && X->shape[1] == cols, xvec = X->ndim == 1 && X->size == cols;
	int ygrid = Y->ndim == 2 && Y->shape[0] == rows && Y->shape[1] == cols, yvec = Y->ndim == 1 && Y->size == rows;
	if (!xgrid && !xvec) {
		nb_sub_fail(c, s, "X", "X must be shaped like Z (%zu×%zu) or hold one value per column", rows, cols);
		goto out;
	}
	if (!ygrid && !yvec) {
		nb_sub_fail(c, s, "Y", "Y must be shaped like Z (%zu×%zu) or hold one value per row", rows, cols);
		goto out;
	}
	xs = nb_xmalloc(n * sizeof *xs);
	ys = nb_xmalloc(n * sizeof *ys);
	zs = nb_xmalloc(n * sizeof *zs);
	for (size_t i = 0; i < rows; i++)
		for (size_t j = 0; j < cols; j++) {
			size_t k = i * cols + j;
			xs[k] = nb_get_f64(X, xgrid ? k : j);
			ys[k] = nb_get_f64(Y, ygrid ? k : i);
			zs[k] = nb_get_f64(Z, k);
		}
	const pl_cmap *cmap = NULL;
	const char *t;
	if ((t = str_of(c, s, "cmap", &v)) && !(cmap = pl_cmap_named(t))) {
		nb_sub_fail(c, s, "cmap", "unknown colormap '%s'", t);
		goto out;
	}
	nb_unref(v);
	v = NULL;
	if ((t = str_of(c, s, "color", &v))) {
		if (pl_color_parse(t, &st.color) < 0) {
			nb_sub_fail(c, s, "color", "unknown colour '%s'", t);
			goto out;
		}
		st.has_color = 1;
	}
	nb_unref(v);
	v = NULL;
	if (get(c, s, "alpha", &v) < 0)
		goto out;
	if (v)
		st.alpha = nb_get_f64(v, 0);
	pl_surface(ax, xs, ys, zs, rows, cols, cmap, &st);
	rc = 0;
out:
	nb_unref(X);
	nb_unref(Y);
	nb_unref(Z);
	nb_unref(v);
	free(xs);
	free(ys);
	free(zs);
	return rc;
}

/* One value, or one per item: element i of v (which has 1 or n elements). */
static double each(const nb_value *v, size_t i)
{
	return nb_get_f64(v, v->size == 1 ? 0 : i);
}

static int layer_bar(nb_call *c, pl_axes *ax, const nb_sub *s)
{
	nb_value *x = NULL, *h = NULL, *w = NULL, *b = NULL, *hz = NULL, *lab = NULL;
	int rc = -1;
	pl_style st;
	pl_style_init(&st);
	if (style_from(c, s, &st, 0) < 0)
		return -1;
	st.label = str_of(c, s, "label", &lab);
	if (get(c, s, "x", &x) < 0 || get(c, s, "height", &h) < 0 || get(c, s, "width", &w) < 0 ||
	    get(c, s, "bottom", &b) < 0 || get(c, s, "horizontal", &hz) < 0)
		goto out;
	size_t n = x->size;
	const char *bad = h->size != n && h->size != 1 ? "height" : w->size != n && w->size != 1 ? "width"
			 : b->size != n && b->size != 1 ? "bottom" : NULL;
	if (bad) {
		nb_sub_fail(c, s, bad, "'%s' must hold one value or one per bar (%zu)", bad, n);
		goto out;
	}
	double *xs = nb_xmalloc((n ? n : 1) * 4 * sizeof *xs), *hs = xs + n, *ws = hs + n, *bs = ws + n;
	for (size_t i = 0; i < n; i++) {
		xs[i] = nb_get_f64(x, i);
		hs[i] = each(h, i);
		ws[i] = each(w, i);
		bs[i] = each(b, i);
	}
	pl_bar(ax, xs, hs, ws, bs, n, nb_get_f64(hz, 0) != 0, &st);
	free(xs);
	rc = 0;
out:
	nb_unref(x);
	nb_unref(h);
	nb_unref(w);
	nb_unref(b);
	nb_unref(hz);
	nb_unref(lab);
	return rc;
}

/* numpy.histogram: equal bins over the range (the last one closed), or the given edges. */
static int layer_hist(nb_call *c, pl_axes *ax, const nb_sub *s)
{
	nb_value *x = NULL, *bins = NULL, *range = NULL, *dens = NULL, *lab = NULL;
	double *edges = NULL, *cnt = NULL, *ctr = NULL, *wid = NULL, *bot = NULL;
	int rc = -1;
	pl_style st;
	pl_style_init(&st);
	if (style_from(c, s, &st, 0) < 0)
		return -1;
	st.label = str_of(c, s, "label", &lab);
	if (get(c, s, "x", &x) < 0 || get(c, s, "bins", &bins) < 0 || get(c, s, "range", &range) < 0 ||
	    get(c, s, "density", &dens) < 0)
		goto out;
	size_t nb;
	double lo = INFINITY, hi = -INFINITY;
	for (size_t i = 0; i < x->size; i++) {
		double v = nb_get_f64(x, i);
		if (isfinite(v)) {
			lo = fmin(lo, v);
			hi = fmax(hi, v);
		}
	}
	if (bins->ndim == 0) {
		double k = nb_get_f64(bins, 0);
		if (!(k >= 1 && k <= 10000 && k == floor(k))) {
			nb_sub_fail(c, s, "bins", "bins must be a count from 1 to 10000, or increasing edges; found %g", k);
			goto out;
		}
		nb = (size_t)k;
		if (range) {
			if (range->size != 2 || !(nb_get_f64(range, 1) > nb_get_f64(range, 0))) {
				nb_sub_fail(c, s, "range", "range must be [low, high] with low < high");
				goto out;
			}
			lo = nb_get_f64(range, 0);
			hi = nb_get_f64(range, 1);
		} else if (!(lo <= hi)) {
			lo = 0;
			hi = 1;
		}
		if (lo == hi) {
			lo -= 0.5;
			hi += 0.5;
		}
		edges = nb_xmalloc((nb + 1) * sizeof *edges);
		for (size_t i = 0; i <= nb; i++)
			edges[i] = (double)i * ((hi - lo) / (double)nb) + lo; /* numpy's linspace */
		edges[nb] = hi;
	} else {
		if (bins->size < 2) {
			nb_sub_fail(c, s, "bins", "give at least two bin edges");
			goto out;
		}
		nb = bins->size - 1;
		edges = nb_xmalloc((nb + 1) * sizeof *edges);
		for (size_t i = 0; i <= nb; i++) {
			edges[i] = nb_get_f64(bins, i);
			if (i && !(edges[i] > edges[i - 1])) {
				nb_sub_fail(c, s, "bins", "bin edges must increase");
				goto out;
			}
		}
	}
	cnt = nb_xcalloc(nb, sizeof *cnt);
	double total = 0;
	for (size_t i = 0; i < x->size; i++) {
		double v = nb_get_f64(x, i);
		if (!(v >= edges[0] && v <= edges[nb]))
			continue;
		/* the bin with edges[k] <= v < edges[k+1]; the last bin includes its right edge */
		size_t l = 0, r = nb;
		while (r - l > 1) {
			size_t m = (l + r) / 2;
			if (v >= edges[m])
				l = m;
			else
				r = m;
		}
		cnt[l] += 1;
		total += 1;
	}
	ctr = nb_xmalloc(nb * sizeof *ctr);
	wid = nb_xmalloc(nb * sizeof *wid);
	bot = nb_xcalloc(nb, sizeof *bot);
	for (size_t k = 0; k < nb; k++) {
		wid[k] = edges[k + 1] - edges[k];
		ctr[k] = edges[k] + wid[k] / 2;
		if (nb_get_f64(dens, 0) != 0 && total > 0)
			cnt[k] /= total * wid[k];
	}
	pl_bar(ax, ctr, cnt, wid, bot, nb, 0, &st);
	rc = 0;
out:
	nb_unref(x);
	nb_unref(bins);
	nb_unref(range);
	nb_unref(dens);
	nb_unref(lab);
	free(edges);
	free(cnt);
	free(ctr);
	free(wid);
	free(bot);
	return rc;
}

static int layer_imshow(nb_call *c, pl_axes *ax, const nb_sub *s)
{
	nb_value *Z = NULL, *ext = NULL, *vmin = NULL, *vmax = NULL, *al = NULL, *v = NULL;
	double *zs = NULL;
	int rc = -1;
	pl_style st;
	pl_style_init(&st);
	if (get(c, s, "Z", &Z) < 0 || get(c, s, "extent", &ext) < 0 || get(c, s, "vmin", &vmin) < 0 ||
	    get(c, s, "vmax", &vmax) < 0 || get(c, s, "alpha", &al) < 0)
		goto out;
	if (Z->ndim != 2 || Z->shape[0] < 1 || Z->shape[1] < 1 || Z->shape[0] > 8192 || Z->shape[1] > 8192) {
		nb_sub_fail(c, s, "Z", "Z must be a 2-D array of 1 to 8192 rows and columns");
		goto out;
	}
	double e4[4];
	if (ext) {
		if (ext->size != 4) {
			nb_sub_fail(c, s, "extent", "extent must be [left, right, bottom, top]");
			goto out;
		}
		for (int i = 0; i < 4; i++)
			e4[i] = nb_get_f64(ext, (size_t)i);
		if (!(e4[0] != e4[1] && e4[2] != e4[3])) {
			nb_sub_fail(c, s, "extent", "extent must span a non-empty rectangle");
			goto out;
		}
	}
	const char *t = str_of(c, s, "cmap", &v);
	const pl_cmap *cmap = pl_cmap_named(t);
	if (!cmap) {
		nb_sub_fail(c, s, "cmap", "unknown colormap '%s'", t);
		goto out;
	}
	nb_unref(v);
	v = NULL;
	const char *origin = str_of(c, s, "origin", &v);
	int lower = origin && !strcmp(origin, "lower");
	size_t n = Z->size;
	zs = nb_xmalloc(n * sizeof *zs);
	for (size_t i = 0; i < n; i++)
		zs[i] = nb_get_f64(Z, i);
	if (al)
		st.alpha = nb_get_f64(al, 0);
	pl_imshow(ax, zs, Z->shape[0], Z->shape[1], cmap, ext ? e4 : NULL, lower, vmin ? nb_get_f64(vmin, 0) : NAN,
		  vmax ? nb_get_f64(vmax, 0) : NAN, &st);
	rc = 0;
out:
	nb_unref(Z);
	nb_unref(ext);
	nb_unref(vmin);
	nb_unref(vmax);
	nb_unref(al);
	nb_unref(v);
	free(zs);
	return rc;
}

static int layer(nb_call *c, pl_axes *ax, const nb_sub *s, int is3d)
{
	const char *tag = nb_sub_tag(s);
	nb_value *when = NULL;
	if (get(c, s, "when", &when) < 0)
		return -1;
	if (when) {
		int bad = when->size != 1;
		int on = !bad && nb_get_f64(when, 0) != 0;
		nb_unref(when);
		if (bad)
			return nb_sub_fail(c, s, "when", "'when' must be one true or false value");
		if (!on)
			return 0;
	}
	if (is3d && strcmp(tag, "surface") && strcmp(tag, "plot") && strcmp(tag, "quiver") && strcmp(tag, "scatter"))
		return nb_sub_fail(c, s, NULL,
				   "a 3-D axes draws surface, plot, scatter and quiver layers only; '%s' needs a 2-D axes", tag);
	if (!is3d && !strcmp(tag, "surface"))
		return nb_sub_fail(c, s, NULL, "a 'surface' layer needs a 3-D axes: add 'projection: 3d' to its axes");
	if (!strcmp(tag, "surface"))
		return layer_surface(c, ax, s);
	if (!strcmp(tag, "bar"))
		return layer_bar(c, ax, s);
	if (!strcmp(tag, "hist"))
		return layer_hist(c, ax, s);
	if (!strcmp(tag, "imshow"))
		return layer_imshow(c, ax, s);
	if (!strcmp(tag, "plot"))
		return layer_plot(c, ax, s);
	if (!strcmp(tag, "contour") || !strcmp(tag, "contourf"))
		return layer_contour(c, ax, s, tag[7] == 'f');
	if (!strcmp(tag, "streamplot")) {
		pl_style st;
		pl_style_init(&st);
		nb_value *X = NULL, *Y = NULL, *U = NULL, *V = NULL, *de = NULL, *lw = NULL, *as = NULL, *lab = NULL;
		int rc = -1;
		if (style_from(c, s, &st, 0) < 0)
			return -1;
		if (get(c, s, "X", &X) < 0 || get(c, s, "Y", &Y) < 0 || get(c, s, "U", &U) < 0 || get(c, s, "V", &V) < 0 ||
		    get(c, s, "density", &de) < 0 || get(c, s, "linewidth", &lw) < 0 || get(c, s, "arrowsize", &as) < 0)
			goto sout;
		if (U->ndim != 2 || V->ndim != 2 || U->shape[0] != V->shape[0] || U->shape[1] != V->shape[1] ||
		    U->shape[0] < 2 || U->shape[1] < 2) {
			nb_sub_fail(c, s, "U", "U and V must be 2-D arrays of one shape, at least 2×2");
			goto sout;
		}
		size_t ny = U->shape[0], nx = U->shape[1];
		double *xs = nb_xmalloc(nx * sizeof *xs), *ys = nb_xmalloc(ny * sizeof *ys);
		int okx = X->size == nx || (X->ndim == 2 && X->size == nx * ny);
		int oky = Y->size == ny || (Y->ndim == 2 && Y->size == nx * ny);
		if (!okx || !oky) {
			nb_sub_fail(c, s, okx ? "Y" : "X", "X and Y must give one coordinate per column and row of U");
			free(xs);
			free(ys);
			goto sout;
		}
		for (size_t j = 0; j < nx; j++)
			xs[j] = nb_get_f64(X, j);
		for (size_t i = 0; i < ny; i++)
			ys[i] = nb_get_f64(Y, Y->ndim == 2 ? i * nx : i);
		int even = 1;
		for (size_t j = 2; j < nx; j++)
			even &= fabs((xs[j] - xs[j - 1]) - (xs[1] - xs[0])) <= 1e-6 * fabs(xs[1] - xs[0]);
		for (size_t i = 2; i < ny; i++)
			even &= fabs((ys[i] - ys[i - 1]) - (ys[1] - ys[0])) <= 1e-6 * fabs(ys[1] - ys[0]);
		if (!even || !(xs[nx - 1] > xs[0]) || !(ys[ny - 1] > ys[0])) {
			nb_sub_fail(c, s, "X", "streamplot needs increasing, evenly spaced X and Y");
			free(xs);
			free(ys);
			goto sout;
		}
		double *us = nb_xmalloc(nx * ny * sizeof *us), *vs = nb_xmalloc(nx * ny * sizeof *vs);
		for (size_t k = 0; k < nx * ny; k++) {
			us[k] = nb_get_f64(U, k);
			vs[k] = nb_get_f64(V, k);
		}
		if (lw)
			st.linewidth = nb_get_f64(lw, 0);
		st.label = str_of(c, s, "label", &lab);
		double dens = nb_get_f64(de, 0);
		if (!(dens > 0 && dens <= 10)) {
			nb_sub_fail(c, s, "density", "density must be between 0 and 10");
		} else {
			pl_streamplot(ax, xs, nx, ys, ny, us, vs, dens, nb_get_f64(as, 0), &st);
			rc = 0;
		}
		free(xs);
		free(ys);
		free(us);
		free(vs);
	sout:
		nb_unref(X);
		nb_unref(Y);
		nb_unref(U);
		nb_unref(V);
		nb_unref(de);
		nb_unref(lw);
		nb_unref(as);
		nb_unref(lab);
		return rc;
	}
	if (!strcmp(tag, "quiver")) {
		pl_style st;
		pl_style_init(&st);
		nb_value *q[4] = {0}, *an = NULL, *su = NULL, *sc = NULL, *pv = NULL, *lab = NULL;
		nb_value *qz = NULL, *qw = NULL, *ql = NULL, *qr = NULL, *qn = NULL; /* 3-D and its options */
		static const char *const names[4] = {"X", "Y", "U", "V"};
		int rc = -1;
		if (style_from(c, s, &st, 0) < 0)
			return -1;
		for (int k = 0; k < 4; k++)
			if (get(c, s, names[k], &q[k]) < 0)
				goto qout;
		if (get(c, s, "angles", &an) < 0 || get(c, s, "scale_units", &su) < 0 || get(c, s, "scale", &sc) < 0 ||
		    get(c, s, "pivot", &pv) < 0)
			goto qout;
		size_t n = q[0]->size;
		for (int k = 1; k < 4; k++)
			if (q[k]->size != n && q[k]->size != 1) {
				nb_sub_fail(c, s, names[k], "'%s' has %zu values but X has %zu", names[k], q[k]->size, n);
				goto qout;
			}
		if (get(c, s, "Z", &qz) < 0 || get(c, s, "W", &qw) < 0 || get(c, s, "length", &ql) < 0 ||
		    get(c, s, "arrow_length_ratio", &qr) < 0 || get(c, s, "normalize", &qn) < 0)
			goto qout;
		if (pl_axes_is3d(ax) || qz || qw) {
			int bad = 0;
			if (!pl_axes_is3d(ax))
				bad = nb_sub_fail(c, s, qz ? "Z" : "W", "Z and W need a 3-D axes: add 'projection: 3d' to its axes");
			else if (!qz || !qw)
				bad = nb_sub_fail(c, s, NULL, "a quiver in 3-D axes needs X, Y, Z and U, V, W");
			else if ((qz->size != n && qz->size != 1) || (qw->size != n && qw->size != 1))
				bad = nb_sub_fail(c, s, qz->size != n && qz->size != 1 ? "Z" : "W", "Z and W must match X (%zu values)", n);
			if (!bad) {
				double *b6 = nb_xmalloc((n ? n : 1) * 6 * sizeof *b6);
				const nb_value *src[6] = {q[0], q[1], qz, q[2], q[3], qw};
				for (int k = 0; k < 6; k++)
					for (size_t i = 0; i < n; i++)
						b6[(size_t)k * n + i] = nb_get_f64(src[k], src[k]->size == 1 ? 0 : i);
				st.label = str_of(c, s, "label", &lab);
				pl_quiver3d(ax, b6, b6 + n, b6 + 2 * n, b6 + 3 * n, b6 + 4 * n, b6 + 5 * n, n, nb_get_f64(ql, 0),
					    nb_get_f64(qr, 0), nb_get_f64(qn, 0) != 0,
					    pv->str[0] == 'm' ? 'm' : pv->str[1] == 'i' ? 'h' : 't', &st);
				free(b6);
				rc = 0;
			}
			goto qout;
		}
		double *arr[4];
		for (int k = 0; k < 4; k++) {
			arr[k] = nb_xmalloc((n ? n : 1) * sizeof(double));
			for (size_t i = 0; i < n; i++)
				arr[k][i] = nb_get_f64(q[k], q[k]->size == 1 ? 0 : i);
		}
		st.label = str_of(c, s, "label", &lab);
		double scale = sc ? nb_get_f64(sc, 0) : 0;
		if (sc && !(scale > 0)) {
			nb_sub_fail(c, s, "scale", "scale must be positive");
		} else {
			pl_quiver(ax, arr[0], arr[1], arr[2], arr[3], n, !strcmp(an->str, "xy"), !strcmp(su->str, "xy"), scale,
				  pv->str[0] == 'm' ? 'm' : pv->str[1] == 'i' ? 'h' : 't', &st);
			rc = 0;
		}
		for (int k = 0; k < 4; k++)
			free(arr[k]);
	qout:
		for (int k = 0; k < 4; k++)
			nb_unref(q[k]);
		nb_unref(qz);
		nb_unref(qw);
		nb_unref(ql);
		nb_unref(qr);
		nb_unref(qn);
		nb_unref(an);
		nb_unref(su);
		nb_unref(sc);
		nb_unref(pv);
		nb_unref(lab);
		return rc;
	}
	pl_style st;
	pl_style_init(&st);
	nb_value *lab = NULL, *a = NULL, *b = NULL, *d = NULL, *m = NULL;
	int rc = -1;
	int has_line = !strcmp(tag, "axhline") || !strcmp(tag, "axvline") || !strcmp(tag, "hlines") || !strcmp(tag, "vlines");
	int is_text = !strcmp(tag, "text") || !strcmp(tag, "annotate");
	if (!is_text && style_from(c, s, &st, has_line) < 0)
		return -1;
	if (!is_text) {
		const char *t = str_of(c, s, "label", &lab);
		st.label = t;
	}
	if (!strcmp(tag, "scatter")) {
		if (get(c, s, "x", &a) < 0 || get(c, s, "y", &b) < 0 || get(c, s, "s", &d) < 0)
			goto out;
		if (a->size != b->size) {
			nb_sub_fail(c, s, "y", "x has %zu values but y has %zu", a->size, b->size);
			goto out;
		}
		const char *mk = str_of(c, s, "marker", &m);
		if (mk) {
			if (strlen(mk) != 1 || !strchr(".,ov^<>12348spP*hH+xXDd|_", mk[0])) {
				nb_sub_fail(c, s, "marker", "unknown marker '%s'", mk);
				goto out;
			}
			st.marker = mk[0];
		}
		size_t n;
		double *xs = vals(a, &n), *ys = vals(b, &n), *ss = NULL;
		if (d) {
			if (need_1d(c, s, "s", d, n) < 0) {
				free(xs);
				free(ys);
				goto out;
			}
			ss = nb_xmalloc((n ? n : 1) * sizeof *ss);
			for (size_t i = 0; i < n; i++)
				ss[i] = nb_get_f64(d, d->size == 1 ? 0 : i);
		}
		nb_value *zz = NULL;
		if (get(c, s, "z", &zz) < 0) {
			free(xs);
			free(ys);
			free(ss);
			goto out;
		}
		if (zz || pl_axes_is3d(ax)) {
			const char *why = !pl_axes_is3d(ax) ? "'z' needs a 3-D axes: add 'projection: 3d' to its axes"
					  : !zz ? "a scatter in 3-D axes needs x, y and z" : zz->size != n ? "z must match x" : NULL;
			if (why) {
				nb_sub_fail(c, s, zz ? "z" : NULL, "%s", why);
			} else {
				double *zs = vals(zz, &n);
				pl_scatter3d(ax, xs, ys, zs, n, ss, &st);
				free(zs);
			}
			nb_unref(zz);
			free(xs);
			free(ys);
			free(ss);
			if (why)
				goto out;
		} else {
			pl_scatter(ax, xs, ys, n, ss, &st);
			free(xs);
			free(ys);
			free(ss);
		}
	} else if (!strcmp(tag, "fill_between")) {
		if (get(c, s, "x", &a) < 0 || get(c, s, "y1", &b) < 0 || get(c, s, "y2", &d) < 0)
			goto out;
		size_t n = a->size;
		if (need_1d(c, s, "y1", b, n) < 0 || need_1d(c, s, "y2", d, n) < 0)
			goto out;
		double *xs = nb_xmalloc((n ? n : 1) * sizeof *xs), *y1 = nb_xmalloc((n ? n : 1) * sizeof *y1),
		       *y2 = nb_xmalloc((n ? n : 1) * sizeof *y2);
		for (size_t i = 0; i < n; i++) {
			xs[i] = nb_get_f64(a, i);
			y1[i] = nb_get_f64(b, b->size == 1 ? 0 : i);
			y2[i] = nb_get_f64(d, d->size == 1 ? 0 : i);
		}
		pl_fill_between(ax, xs, y1, y2, n, &st);
		free(xs);
		free(y1);
		free(y2);
	} else if (!strcmp(tag, "axhline") || !strcmp(tag, "axvline")) {
		if (get(c, s, tag[2] == 'h' ? "y" : "x", &a) < 0)
			goto out;
		if (tag[2] == 'h')
			pl_axhline(ax, nb_get_f64(a, 0), &st);
		else
			pl_axvline(ax, nb_get_f64(a, 0), &st);
	} else if (!strcmp(tag, "hlines") || !strcmp(tag, "vlines")) {
		int h = tag[0] == 'h';
		if (get(c, s, h ? "y" : "x", &a) < 0 || get(c, s, h ? "xmin" : "ymin", &b) < 0 ||
		    get(c, s, h ? "xmax" : "ymax", &d) < 0)
			goto out;
		size_t n = a->size;
		if (need_1d(c, s, h ? "xmin" : "ymin", b, n) < 0 || need_1d(c, s, h ? "xmax" : "ymax", d, n) < 0)
			goto out;
		for (size_t i = 0; i < n; i++) {
			double p = nb_get_f64(a, i), lo = nb_get_f64(b, b->size == 1 ? 0 : i), hi = nb_get_f64(d, d->size == 1 ? 0 : i);
			double xs[2] = {h ? lo : p, h ? hi : p}, ys[2] = {h ? p : lo, h ? p : hi};
			pl_style one = st;
			if (!one.has_color) { /* hlines and vlines default to the cycle's first colour, all alike */
				one.has_color = 1;
				one.color = pl_cycle_color(0);
			}
			if (i > 0)
				one.label = NULL;
			pl_plot(ax, xs, ys, 2, &one);
		}
	} else if (!strcmp(tag, "axhspan") || !strcmp(tag, "axvspan")) {
		int h = tag[2] == 'h';
		if (get(c, s, h ? "ymin" : "xmin", &a) < 0 || get(c, s, h ? "ymax" : "xmax", &b) < 0)
			goto out;
		if (h)
			pl_axhspan(ax, nb_get_f64(a, 0), nb_get_f64(b, 0), &st);
		else
			pl_axvspan(ax, nb_get_f64(a, 0), nb_get_f64(b, 0), &st);
	} else { /* text, annotate */
		nb_value *txt = NULL, *fs = NULL, *ha = NULL, *va = NULL, *col = NULL, *al = NULL, *xy = NULL, *xyt = NULL,
			 *arr = NULL;
		int ann = !strcmp(tag, "annotate");
		int ok = (ann ? get(c, s, "xy", &xy) == 0 && get(c, s, "xytext", &xyt) == 0 && get(c, s, "arrowstyle", &arr) == 0
			      : get(c, s, "x", &a) == 0 && get(c, s, "y", &b) == 0) &&
			 get(c, s, "s", &txt) == 0 && get(c, s, "fontsize", &fs) == 0 && get(c, s, "ha", &ha) == 0 &&
			 get(c, s, "va", &va) == 0 && get(c, s, "color", &col) == 0 && get(c, s, "alpha", &al) == 0;
		if (ok && ann) {
			const char *bad = xy->size != 2 ? "xy" : xyt && xyt->size != 2 ? "xytext" : NULL;
			if (bad) {
				nb_sub_fail(c, s, bad, "'%s' must be [x, y]", bad);
				ok = 0;
			}
		}
		if (ok && col) {
			if (pl_color_parse(col->str, &st.color) < 0) {
				nb_sub_fail(c, s, "color", "unknown colour '%s'", col->str);
				ok = 0;
			}
			st.has_color = 1;
		}
		if (ok && al)
			st.alpha = nb_get_f64(al, 0);
		if (ok) {
			char hac = ha->str[0] == 'l' ? 'l' : ha->str[0] == 'c' ? 'c' : 'r';
			char vac = va->str[0] == 't' ? 't' : va->str[0] == 'c' ? 'c' : va->str[0] == 'b' && va->str[1] == 'o' ? 'b' : 'B';
			if (ann) {
				const nb_value *t0 = xyt ? xyt : xy;
				char arrow = !strcmp(arr->str, "->") ? '>' : !strcmp(arr->str, "-|>") ? '|' : !strcmp(arr->str, "-") ? '-' : 0;
				pl_annotate(ax, nb_get_f64(xy, 0), nb_get_f64(xy, 1), nb_get_f64(t0, 0), nb_get_f64(t0, 1), txt->str,
					    nb_get_f64(fs, 0), &st, hac, vac, xyt ? arrow : 0);
			} else {
				pl_text(ax, nb_get_f64(a, 0), nb_get_f64(b, 0), txt->str, nb_get_f64(fs, 0), &st, hac, vac);
			}
		}
		nb_unref(xy);
		nb_unref(xyt);
		nb_unref(arr);
		nb_unref(txt);
		nb_unref(fs);
		nb_unref(ha);
		nb_unref(va);
		nb_unref(col);
		nb_unref(al);
		if (!ok)
			goto out;
	}
	rc = 0;
out:
	nb_unref(lab);
	nb_unref(a);
	nb_unref(b);
	nb_unref(d);
	nb_unref(m);
	return rc;
}

static int lim_of(nb_call *c, const nb_sub *s, const char *name, double lim[2], int *set)
{
	nb_value *v = NULL;
	*set = 0;
	if (get(c, s, name, &v) < 0)
		return -1;
	if (!v)
		return 0;
	if (v->size != 2) {
		nb_unref(v);
		return nb_sub_fail(c, s, name, "'%s' must be [low, high]", name);
	}
	lim[0] = nb_get_f64(v, 0);
	lim[1] = nb_get_f64(v, 1);
	nb_unref(v);
	if (!isfinite(lim[0]) || !isfinite(lim[1]) || lim[0] == lim[1])
		return nb_sub_fail(c, s, name, "'%s' must be two different finite numbers", name);
	*set = 1;
	return 0;
}

/* Apply one axes' parameters (from the figure cell itself, or an item of 'axes'). */
static int setup_axes(nb_call *c, pl_axes *ax, const nb_sub *s)
{
	double lim[2];
	int set;
	nb_value *v = NULL;
	const char *t;
	const char *proj = str_of(c, s, "projection", &v);
	int is3d = proj && !strcmp(proj, "3d");
	nb_unref(v);
	v = NULL;
	if (is3d) {
		nb_value *el = NULL, *az = NULL, *zo = NULL, *zr = NULL;
		int bad = get(c, s, "elev", &el) < 0 || get(c, s, "azim", &az) < 0 || get(c, s, "zoom", &zo) < 0 ||
			  get(c, s, "zlabel_rotation", &zr) < 0;
		double zoom = zo ? nb_get_f64(zo, 0) : 1;
		if (!bad && !(zoom > 0 && zoom <= 10))
			bad = nb_sub_fail(c, s, "zoom", "zoom must be a number above 0 and at most 10") < 0;
		if (!bad) {
			pl_axes3d(ax, nb_get_f64(el, 0), nb_get_f64(az, 0), zoom);
			if ((t = str_of(c, s, "zlabel", &v)))
				pl_set_zlabel(ax, t, zr ? nb_get_f64(zr, 0) : NAN);
			nb_unref(v);
			v = NULL;
			if (lim_of(c, s, "zlim", lim, &set) < 0)
				bad = 1;
			else if (set)
				pl_set_zlim(ax, lim[0], lim[1]);
		}
		nb_unref(el);
		nb_unref(az);
		nb_unref(zo);
		nb_unref(zr);
		if (bad)
			return -1;
	} else {
		static const char *const only3d[] = {"zlabel", "zlim", "zlabel_rotation", NULL};
		for (int i = 0; only3d[i]; i++)
			if (nb_sub_given(s, only3d[i]))
				return nb_sub_fail(c, s, only3d[i], "'%s' applies to 3-D axes: add 'projection: 3d'", only3d[i]);
	}
	for (size_t i = 0; i < nb_sub_nsubs(s, "layers"); i++)
		if (layer(c, ax, nb_sub_item(s, "layers", i), is3d) < 0)
			return -1;
	size_t ntw = nb_sub_nsubs(s, "twinx");
	if (ntw > 1)
		return nb_sub_fail(c, s, "twinx", "an axes has one twin: give 'twinx' one mapping");
	if (ntw == 1) {
		if (is3d)
			return nb_sub_fail(c, s, "twinx", "a 3-D axes has no twin");
		const nb_sub *ts = nb_sub_item(s, "twinx", 0);
		pl_axes *tw = pl_twinx(ax);
		for (size_t i = 0; i < nb_sub_nsubs(ts, "layers"); i++)
			if (layer(c, tw, nb_sub_item(ts, "layers", i), 0) < 0)
				return -1;
		if (lim_of(c, ts, "ylim", lim, &set) < 0)
			return -1;
		if (set)
			pl_set_ylim(tw, lim[0], lim[1]);
		if ((t = str_of(c, ts, "ylabel", &v)))
			pl_set_ylabel(tw, t);
		nb_unref(v);
		v = NULL;
		if ((t = str_of(c, ts, "yscale", &v)))
			pl_set_yscale(tw, !strcmp(t, "log") ? PL_LOG : PL_LINEAR);
		nb_unref(v);
		v = NULL;
		if ((t = str_of(c, ts, "legend", &v)) && pl_legend(tw, t) < 0) {
			int r = nb_sub_fail(c, ts, "legend", "unknown legend location '%s'", t);
			nb_unref(v);
			return r;
		}
		nb_unref(v);
		v = NULL;
	}
	if (lim_of(c, s, "xlim", lim, &set) < 0)
		return -1;
	if (set)
		pl_set_xlim(ax, lim[0], lim[1]);
	if (lim_of(c, s, "ylim", lim, &set) < 0)
		return -1;
	if (set)
		pl_set_ylim(ax, lim[0], lim[1]);
	if ((t = str_of(c, s, "xlabel", &v)))
		pl_set_xlabel(ax, t);
	nb_unref(v);
	if ((t = str_of(c, s, "ylabel", &v)))
		pl_set_ylabel(ax, t);
	nb_unref(v);
	if ((t = str_of(c, s, "title", &v)))
		pl_set_title(ax, t);
	nb_unref(v);
	if ((t = str_of(c, s, "xscale", &v)))
		pl_set_xscale(ax, !strcmp(t, "log") ? PL_LOG : PL_LINEAR);
	nb_unref(v);
	if ((t = str_of(c, s, "yscale", &v)))
		pl_set_yscale(ax, !strcmp(t, "log") ? PL_LOG : PL_LINEAR);
	nb_unref(v);
	const char *const *sp;
	size_t nsp = nb_sub_strings(s, "spines", &sp);
	if (nb_sub_given(s, "spines")) {
		static const char *const sides[4] = {"left", "right", "top", "bottom"};
		int shown = 0;
		for (size_t i = 0; i < nsp; i++) {
			int k = 0;
			while (k < 4 && strcmp(sp[i], sides[k]))
				k++;
			if (k == 4)
				return nb_sub_fail(c, s, "spines", "unknown side '%s': use left, bottom, right or top", sp[i]);
			shown |= 1 << k;
		}
		pl_hide_spines(ax, 15 & ~shown);
	}
	if (get(c, s, "grid", &v) < 0)
		return -1;
	if (v)
		pl_set_grid(ax, nb_get_f64(v, 0) != 0);
	nb_unref(v);
	if ((t = str_of(c, s, "legend", &v)) && pl_legend(ax, t) < 0) {
		int r = nb_sub_fail(c, s, "legend", "unknown legend location '%s'", t);
		nb_unref(v);
		return r;
	}
	nb_unref(v);
	double lfs = 0;
	if ((t = str_of(c, s, "legend_fontsize", &v))) {
		static const struct {
			const char *name;
			double scale;
		} sizes[] = {{"xx-small", 0.579}, {"x-small", 0.694}, {"small", 0.833}, {"medium", 1.0},
			     {"large", 1.2}, {"x-large", 1.44}, {"xx-large", 1.728}};
		char *end;
		lfs = strtod(t, &end);
		if (end == t || *end)
			lfs = 0;
		for (size_t k = 0; k < NB_ARRAY_LEN(sizes); k++)
			if (!strcmp(t, sizes[k].name))
				lfs = 10 * sizes[k].scale;
		if (!(lfs >= 1 && lfs <= 100)) {
			int r = nb_sub_fail(c, s, "legend_fontsize",
					    "a legend font size is a number of points from 1 to 100 or a name from xx-small "
					    "to xx-large, found '%s'", t);
			nb_unref(v);
			return r;
		}
	}
	nb_unref(v);
	if (get(c, s, "legend_frame", &v) < 0)
		return -1;
	pl_legend_style(ax, lfs, !v || nb_get_f64(v, 0) != 0);
	nb_unref(v);
	if (get(c, s, "colorbar", &v) < 0)
		return -1;
	int cb = v && nb_get_f64(v, 0) != 0;
	nb_unref(v);
	v = NULL;
	if (cb) {
		const char *lab = str_of(c, s, "colorbar_label", &v);
		pl_colorbar(ax, lab);
		nb_unref(v);
		v = NULL;
	}
	if ((t = str_of(c, s, "aspect", &v))) {
		char *end;
		double r = strtod(t, &end);
		if (!strcmp(t, "equal"))
			pl_set_aspect(ax, 1);
		else if (!strcmp(t, "auto"))
			pl_set_aspect(ax, 0);
		else if (*end || !(r > 0)) {
			int rr = nb_sub_fail(c, s, "aspect", "aspect must be 'equal', 'auto' or a positive number, not '%s'", t);
			nb_unref(v);
			return rr;
		} else {
			pl_set_aspect(ax, r);
		}
	}
	nb_unref(v);
	return 0;
}

/* One figure from the cell's parameters (with the current frame's variables, if any). */
static int build_figure(nb_call *c, double w, double h, double dpi, int rows, int cols, size_t nax, pl_figure **out)
{
	pl_figure *f = pl_figure_new(w, h, dpi);
	*out = f;
	pl_figure_tight(f, nb_arg_bool(c, "tight"));
	pl_figure_layout_tight(f, !strcmp(nb_arg(c, "layout")->str, "tight"));
	pl_figure_share(f, nb_arg_bool(c, "sharex"), nb_arg_bool(c, "sharey"));
	const nb_value *st = nb_arg(c, "suptitle");
	if (st)
		pl_figure_suptitle(f, st->str);
	int rc = 0;
	if (nax) {
		for (size_t i = 0; i < nax && rc == 0; i++)
			rc = setup_axes(c, pl_subplot(f, rows, cols, (int)i), nb_arg_sub(c, "axes", i));
	} else {
		rc = setup_axes(c, pl_subplot(f, rows, cols, 0), nb_arg_self(c));
	}
	return rc;
}

static int k_figure(nb_call *c)
{
	double w, h, dpi;
	nb_call_figsize(c, &w, &h, &dpi);
	const nb_value *size = nb_arg(c, "size");
	if (size) {
		if (size->size != 2 || !(nb_get_f64(size, 0) > 0.5 && nb_get_f64(size, 1) > 0.5) ||
		    nb_get_f64(size, 0) > 100 || nb_get_f64(size, 1) > 100)
			return nb_fail(c, "size", "size must be [width, height] in inches, each from 0.5 to 100");
		w = nb_get_f64(size, 0);
		h = nb_get_f64(size, 1);
	}
	if (nb_arg(c, "dpi")) {
		dpi = nb_arg_num(c, "dpi");
		if (!(dpi >= 10 && dpi <= 1200))
			return nb_fail(c, "dpi", "dpi must be from 10 to 1200");
	}
	const nb_value *gs = nb_arg(c, "grid_shape");
	if (gs->size != 2 || nb_get_i64(gs, 0) < 1 || nb_get_i64(gs, 1) < 1 || nb_get_i64(gs, 0) * nb_get_i64(gs, 1) > 64)
		return nb_fail(c, "grid_shape", "grid_shape must be [rows, columns], at most 64 axes");
	int rows = (int)nb_get_i64(gs, 0), cols = (int)nb_get_i64(gs, 1);
	size_t nax = nb_arg_nsubs(c, "axes");
	if (nax > (size_t)(rows * cols))
		return nb_fail(c, "axes", "%zu axes do not fit a %d×%d grid_shape", nax, rows, cols);
	int own = nb_arg_given(c, "layers") || nb_arg_given(c, "xlim") || nb_arg_given(c, "ylim") || nb_arg_given(c, "colorbar") ||
		  nb_arg_given(c, "xlabel") || nb_arg_given(c, "ylabel") || nb_arg_given(c, "title") ||
		  nb_arg_given(c, "legend") || nb_arg_given(c, "twinx");
	if (own && nax)
		return nb_fail(c, "axes", "give the axes' parameters either in the cell (one axes) or in 'axes', not both");
	const nb_value *st = nb_arg(c, "suptitle"), *cap = nb_arg(c, "caption");
	if (cap)
		st = cap;
	size_t nfv = nb_arg_nbind(c, "frames");
	if (!nfv) {
		pl_figure *f = NULL;
		int rc = build_figure(c, w, h, dpi, rows, cols, nax, &f);
		if (rc == 0)
			return nb_figure(c, f, NULL, st ? st->str : NULL); /* takes f */
		pl_figure_free(f);
		return rc;
	}
	/* frames: each variable walks its sequence (in step, like zip) */
	if (nfv > 16)
		return nb_fail(c, "frames", "at most 16 frame variables");
	if (nb_arg_bool(c, "tight"))
		return nb_fail(c, "tight", "frames are not cropped (each would get its own size); use layout: tight");
	double secs = nb_arg_num(c, "frame_seconds");
	if (!(secs >= 0.02 && secs <= 600))
		return nb_fail(c, "frame_seconds", "frame_seconds must be from 0.02 to 600");
	nb_value *seq[16] = {0}, *cur[16] = {0};
	const char *names[16];
	size_t n = 0;
	int rc = 0;
	for (size_t i = 0; i < nfv && rc == 0; i++) {
		names[i] = nb_arg_bind_key(c, "frames", i);
		if (!(seq[i] = nb_arg_bind_eval(c, "frames", i, NULL))) {
			rc = -1;
			break;
		}
		size_t len = nb_is_array(seq[i]) && seq[i]->ndim > 0 ? seq[i]->shape[0] : 0;
		if (!nb_is_array(seq[i]) || seq[i]->ndim == 0 || len == 0)
			rc = nb_fail(c, "frames", "'%s' must be a non-empty sequence (an array of one or more dimensions)", names[i]);
		else if (i && len != n)
			rc = nb_fail(c, "frames", "'%s' has %zu elements but '%s' has %zu: frame sequences go in step", names[i], len,
				     names[0], n);
		else if (len > 1000)
			rc = nb_fail(c, "frames", "'%s' has %zu elements: at most 1000 frames", names[i], len);
		n = len;
	}
	if (rc < 0) {
		for (size_t i = 0; i < nfv; i++)
			nb_unref(seq[i]);
		return -1;
	}
	nb_frames *fr = nb_frames_begin(c, n, secs);
	nb_locals loc = {nfv, names, cur};
	for (size_t k = 0; k < n && rc == 0; k++) {
		for (size_t i = 0; i < nfv; i++) {
			nb_index ix = {.kind = NB_IDX_INT, .i = (int64_t)k};
			nb_unref(cur[i]);
			cur[i] = nb_getindex(seq[i], 1, &ix, NULL);
		}
		nb_call_set_locals(c, &loc);
		pl_figure *f = NULL;
		rc = build_figure(c, w, h, dpi, rows, cols, nax, &f);
		nb_call_set_locals(c, NULL);
		if (rc == 0)
			rc = nb_frames_add(fr, f);
		pl_figure_free(f);
	}
	rc = nb_frames_end(fr, rc == 0, st ? st->str : NULL) < 0 ? -1 : rc;
	for (size_t i = 0; i < nfv; i++) {
		nb_unref(seq[i]);
		nb_unref(cur[i]);
	}
	return rc;
}

const nb_kernel nb_k_plot_figure = {
	"plot.figure", "draw a figure: axes with layers of lines, markers, bands, lines and text", figure_params,
	(const nb_output[]){{NULL}}, 0, k_figure,
	"One cell draws one figure, written as figures/<cell id>.png (and .pdf, .svg as the notebook's output "
	"settings say) and shown in the report after the cell. A single axes takes its parameters in the cell "
	"itself; for subplots give grid_shape and one mapping per axes under 'axes'. matplotlib's defaults "
	"throughout: the tab10 colour cycle, 5 % margins, nicely rounded ticks.",
	"- id: data-points\n  figure:\n    layers:\n      - plot: {x: \"X[0]\", y: \"y[:, 0]\", fmt: ro}\n"
	"    xlim: [0, 1]\n    ylim: [-0.5, 0.5]\n    xlabel: x\n    ylabel: y\n"};
