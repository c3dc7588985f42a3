/*
 * plot_color.c - matplotlib's colour names, the tab10 cycle, and the
 * matplotlib format-string and line-style grammar.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "plot.h"

static const struct {
	const char *name;
	unsigned rgb;
} named[] = {
	/* the CSS4 names matplotlib knows, most used first is irrelevant: looked up linearly */
	{"aliceblue", 0xF0F8FF}, {"antiquewhite", 0xFAEBD7}, {"aqua", 0x00FFFF}, {"aquamarine", 0x7FFFD4},
	{"azure", 0xF0FFFF}, {"beige", 0xF5F5DC}, {"bisque", 0xFFE4C4}, {"black", 0x000000},
	{"blanchedalmond", 0xFFEBCD}, {"blue", 0x0000FF}, {"blueviolet", 0x8A2BE2}, {"brown", 0xA52A2A},
	{"burlywood", 0xDEB887}, {"cadetblue", 0x5F9EA0}, {"chartreuse", 0x7FFF00}, {"chocolate", 0xD2691E},
	{"coral", 0xFF7F50}, {"cornflowerblue", 0x6495ED}, {"cornsilk", 0xFFF8DC}, {"crimson", 0xDC143C},
	{"cyan", 0x00FFFF}, {"darkblue", 0x00008B}, {"darkcyan", 0x008B8B}, {"darkgoldenrod", 0xB8860B},
	{"darkgray", 0xA9A9A9}, {"darkgreen", 0x006400}, {"darkgrey", 0xA9A9A9}, {"darkkhaki", 0xBDB76B},
	{"darkmagenta", 0x8B008B}, {"darkolivegreen", 0x556B2F}, {"darkorange", 0xFF8C00},
	{"darkorchid", 0x9932CC}, {"darkred", 0x8B0000}, {"darksalmon", 0xE9967A}, {"darkseagreen", 0x8FBC8F},
	{"darkslateblue", 0x483D8B}, {"darkslategray", 0x2F4F4F}, {"darkslategrey", 0x2F4F4F},
	{"darkturquoise", 0x00CED1}, {"darkviolet", 0x9400D3}, {"deeppink", 0xFF1493}, {"deepskyblue", 0x00BFFF},
	{"dimgray", 0x696969}, {"dimgrey", 0x696969}, {"dodgerblue", 0x1E90FF}, {"firebrick", 0xB22222},
	{"floralwhite", 0xFFFAF0}, {"forestgreen", 0x228B22}, {"fuchsia", 0xFF00FF}, {"gainsboro", 0xDCDCDC},
	{"ghostwhite", 0xF8F8FF}, {"gold", 0xFFD700}, {"goldenrod", 0xDAA520}, {"gray", 0x808080},
	{"green", 0x008000}, {"greenyellow", 0xADFF2F}, {"grey", 0x808080}, {"honeydew", 0xF0FFF0},
	{"hotpink", 0xFF69B4}, {"indianred", 0xCD5C5C}, {"indigo", 0x4B0082}, {"ivory", 0xFFFFF0},
	{"khaki", 0xF0E68C}, {"lavender", 0xE6E6FA}, {"lavenderblush", 0xFFF0F5}, {"lawngreen", 0x7CFC00},
	{"lemonchiffon", 0xFFFACD}, {"lightblue", 0xADD8E6}, {"lightcoral", 0xF08080}, {"lightcyan", 0xE0FFFF},
	{"lightgoldenrodyellow", 0xFAFAD2}, {"lightgray", 0xD3D3D3}, {"lightgreen", 0x90EE90},
	{"lightgrey", 0xD3D3D3}, {"lightpink", 0xFFB6C1}, {"lightsalmon", 0xFFA07A}, {"lightseagreen", 0x20B2AA},
	{"lightskyblue", 0x87CEFA}, {"lightslategray", 0x778899}, {"lightslategrey", 0x778899},
	{"lightsteelblue", 0xB0C4DE}, {"lightyellow", 0xFFFFE0}, {"lime", 0x00FF00}, {"limegreen", 0x32CD32},
	{"linen", 0xFAF0E6}, {"magenta", 0xFF00FF}, {"maroon", 0x800000}, {"mediumaquamarine", 0x66CDAA},
	{"mediumblue", 0x0000CD}, {"mediumorchid", 0xBA55D3}, {"mediumpurple", 0x9370DB},
	{"mediumseagreen", 0x3CB371}, {"mediumslateblue", 0x7B68EE}, {"mediumspringgreen", 0x00FA9A},
	{"mediumturquoise", 0x48D1CC}, {"mediumvioletred", 0xC71585}, {"midnightblue", 0x191970},
	{"mintcream", 0xF5FFFA}, {"mistyrose", 0xFFE4E1}, {"moccasin", 0xFFE4B5}, {"navajowhite", 0xFFDEAD},
	{"navy", 0x000080}, {"oldlace", 0xFDF5E6}, {"olive", 0x808000}, {"olivedrab", 0x6B8E23},
	{"orange", 0xFFA500}, {"orangered", 0xFF4500}, {"orchid", 0xDA70D6}, {"palegoldenrod", 0xEEE8AA},
	{"palegreen", 0x98FB98}, {"paleturquoise", 0xAFEEEE}, {"palevioletred", 0xDB7093},
	{"papayawhip", 0xFFEFD5}, {"peachpuff", 0xFFDAB9}, {"peru", 0xCD853F}, {"pink", 0xFFC0CB},
	{"plum", 0xDDA0DD}, {"powderblue", 0xB0E0E6}, {"purple", 0x800080}, {"rebeccapurple", 0x663399},
	{"red", 0xFF0000}, {"rosybrown", 0xBC8F8F}, {"royalblue", 0x4169E1}, {"saddlebrown", 0x8B4513},
	{"salmon", 0xFA8072}, {"sandybrown", 0xF4A460}, {"seagreen", 0x2E8B57}, {"seashell", 0xFFF5EE},
	{"sienna", 0xA0522D}, {"silver", 0xC0C0C0}, {"skyblue", 0x87CEEB}, {"slateblue", 0x6A5ACD},
	{"slategray", 0x708090}, {"slategrey", 0x708090}, {"snow", 0xFFFAFA}, {"springgreen", 0x00FF7F},
	{"steelblue", 0x4682B4}, {"tan", 0xD2B48C}, {"teal", 0x008080}, {"thistle", 0xD8BFD8},
	{"tomato", 0xFF6347}, {"turquoise", 0x40E0D0}, {"violet", 0xEE82EE}, {"wheat", 0xF5DEB3},
	{"white", 0xFFFFFF}, {"whitesmoke", 0xF5F5F5}, {"yellow", 0xFFFF00}, {"yellowgreen", 0x9ACD32},
};

static const unsigned tab10[] = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd,
				 0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf};
static const char *const tabnames[] = {"blue", "orange", "green", "red", "purple",
				       "brown", "pink", "gray", "olive", "cyan"};

static pl_rgba from_hex(unsigned v)
{
	return (pl_rgba){((v >> 16) & 255) / 255.0, ((v >> 8) & 255) / 255.0, (v & 255) / 255.0, 1.0};
}

pl_rgba pl_cycle_color(size_t n)
{
	return from_hex(tab10[n % 10]);
}

static int hexval(const char *s, size_t n, unsigned *out)
{
	unsigned v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return -1;
		v = v * 16 + (unsigned)(isdigit((unsigned char)s[i]) ? s[i] - '0' : tolower((unsigned char)s[i]) - 'a' + 10);
	}
	*out = v;
	return 0;
}

int pl_color_parse(const char *s, pl_rgba *out)
{
	size_t n = strlen(s);
	unsigned v;
	if (n == 1) {
		/* matplotlib's base colours: g, c, m, y are not the CSS ones */
		switch (s[0]) {
		case 'b': *out = (pl_rgba){0, 0, 1, 1}; return 0;
		case 'g': *out = (pl_rgba){0, 0.5, 0, 1}; return 0;
		case 'r': *out = (pl_rgba){1, 0, 0, 1}; return 0;
		case 'c': *out = (pl_rgba){0, 0.75, 0.75, 1}; return 0;
		case 'm': *out = (pl_rgba){0.75, 0, 0.75, 1}; return 0;
		case 'y': *out = (pl_rgba){0.75, 0.75, 0, 1}; return 0;
		case 'k': *out = (pl_rgba){0, 0, 0, 1}; return 0;
		case 'w': *out = (pl_rgba){1, 1, 1, 1}; return 0;
		}
		return -1;
	}
	if (s[0] == '#') {
		if (n == 7 && hexval(s + 1, 6, &v) == 0) {
			*out = from_hex(v);
			return 0;
		}
		if (n == 9 && hexval(s + 1, 8, &v) == 0) {
			*out = from_hex(v >> 8);
			out->a = (v & 255) / 255.0;
			return 0;
		}
		if ((n == 4 || n == 5) && hexval(s + 1, n - 1, &v) == 0) {
			unsigned r = (v >> (n == 5 ? 12 : 8)) & 15, g = (v >> (n == 5 ? 8 : 4)) & 15, b = (v >> (n == 5 ? 4 : 0)) & 15;
			*out = (pl_rgba){r * 17 / 255.0, g * 17 / 255.0, b * 17 / 255.0, n == 5 ? (v & 15) * 17 / 255.0 : 1.0};
			return 0;
		}
		return -1;
	}
	if (s[0] == 'C' && n == 2 && isdigit((unsigned char)s[1])) {
		*out = pl_cycle_color((size_t)(s[1] - '0'));
		return 0;
	}
	if (!strncasecmp(s, "tab:", 4)) {
		for (size_t i = 0; i < 10; i++)
			if (!strcasecmp(s + 4, tabnames[i])) {
				*out = from_hex(tab10[i]);
				return 0;
			}
		return -1;
	}
	char *end;
	double grey = strtod(s, &end);
	if (end != s && !*end && grey >= 0 && grey <= 1) {
		*out = (pl_rgba){grey, grey, grey, 1};
		return 0;
	}
	for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
		if (!strcasecmp(named[i].name, s)) {
			*out = from_hex(named[i].rgb);
			return 0;
		}
	return -1;
}

void pl_style_init(pl_style *s)
{
	memset(s, 0, sizeof *s);
	s->linewidth = 1.5;
	s->linestyle = PL_LS_SOLID;
	s->markersize = 6;
	s->alpha = 1;
	s->zorder = 2;
}

static const char markers[] = ".,ov^<>12348spP*hH+xXDd|_";

int pl_style_linestyle(pl_style *s, const char *name)
{
	if (!strcmp(name, "-") || !strcmp(name, "solid"))
		s->linestyle = PL_LS_SOLID;
	else if (!strcmp(name, "--") || !strcmp(name, "dashed"))
		s->linestyle = PL_LS_DASHED;
	else if (!strcmp(name, ":") || !strcmp(name, "dotted"))
		s->linestyle = PL_LS_DOTTED;
	else if (!strcmp(name, "-.") || !strcmp(name, "dashdot"))
		s->linestyle = PL_LS_DASHDOT;
	else if (!strcmp(name, "none") || !strcmp(name, "None") || !strcmp(name, "") || !strcmp(name, " "))
		s->linestyle = PL_LS_NONE;
	else
		return -1;
	return 0;
}

int pl_style_fmt(pl_style *s, const char *fmt, char *err, size_t cap)
{
	int have_ls = 0, have_marker = 0, have_color = 0;
	const char *p = fmt;
	/* a whole colour name first ("C1", "tab:red" cannot combine, but "C1--" can) */
	while (*p) {
		if (p[0] == 'C' && isdigit((unsigned char)p[1])) {
			if (have_color)
				goto twice_color;
			s->color = pl_cycle_color((size_t)(p[1] - '0'));
			s->has_color = have_color = 1;
			p += 2;
			continue;
		}
		if (!strncmp(p, "--", 2) || !strncmp(p, "-.", 2)) {
			if (have_ls)
				goto twice_ls;
			s->linestyle = p[1] == '-' ? PL_LS_DASHED : PL_LS_DASHDOT;
			have_ls = 1;
			p += 2;
			continue;
		}
		if (*p == '-' || *p == ':') {
			if (have_ls)
				goto twice_ls;
			s->linestyle = *p == '-' ? PL_LS_SOLID : PL_LS_DOTTED;
			have_ls = 1;
			p++;
			continue;
		}
		if (strchr("bgrcmykw", *p)) {
			if (have_color)
				goto twice_color;
			char c[2] = {*p, 0};
			pl_color_parse(c, &s->color);
			s->has_color = have_color = 1;
			p++;
			continue;
		}
		if (strchr(markers, *p)) {
			if (have_marker) {
				snprintf(err, cap, "format string '%s' gives two markers", fmt);
				return -1;
			}
			s->marker = *p;
			have_marker = 1;
			p++;
			continue;
		}
		snprintf(err, cap, "format string '%s': '%c' is not a colour, marker or line style", fmt, *p);
		return -1;
	}
	/* a marker without a line style draws markers only, as matplotlib does */
	if (have_marker && !have_ls)
		s->linestyle = PL_LS_NONE;
	return 0;
twice_color:
	snprintf(err, cap, "format string '%s' gives two colours", fmt);
	return -1;
twice_ls:
	snprintf(err, cap, "format string '%s' gives two line styles", fmt);
	return -1;
}
