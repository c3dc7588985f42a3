/*
 * check_png.c - figures' PNG files (png.c): what is written is read back
 * by cairo's reader (libpng, which checks every chunk's CRC and the zlib
 * stream's checksum) pixel for pixel, and the chunks are walked here with
 * zlib's CRC-32 (not the one png.c uses): signature, IHDR, pHYs, the IDAT
 * chunks, IEND.  Images from 1 x 1 to one of random pixels whose data
 * takes many input batches and IDAT chunks, written whole and as their rows
 * come; errors keep their errno.
 */
#include <errno.h>
#include <stdint.h>
#include <unistd.h>
#include <zlib.h>

#include <cairo.h>

#include "plot.h"
#include "testutil.h"

/* A pattern that compresses (flat areas, stripes) or, with noise, does not. */
typedef struct pattern {
	int w, noise;
} pattern;

static uint32_t pixel(const pattern *p, int x, int y)
{
	if (p->noise) {
		uint32_t v = (uint32_t)x * 2654435761u ^ (uint32_t)y * 40503u;
		v ^= v >> 13;
		v *= 0x5bd1e995u;
		v ^= v >> 15;
		return v & 0xffffff;
	}
	if ((x / 7 + y / 5) % 3 == 0)
		return 0xffffff;
	return (uint32_t)(x & 0xff) << 16 | (uint32_t)(y & 0xff) << 8 | (uint32_t)((x + y) & 0xff);
}

static void row_of(void *arg, int y, unsigned char *rgb)
{
	const pattern *p = arg;
	for (int x = 0; x < p->w; x++) {
		uint32_t v = pixel(p, x, y);
		rgb[3 * x] = (unsigned char)(v >> 16);
		rgb[3 * x + 1] = (unsigned char)(v >> 8);
		rgb[3 * x + 2] = (unsigned char)v;
	}
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Walk the chunks of the file at path; the number of IDAT chunks. */
static int walk_chunks(const char *path, int w, int h, uint32_t ppm)
{
	size_t len;
	char *file = nb_read_file(path, &len);
	ck_assert_ptr_nonnull(file);
	const unsigned char *d = (const unsigned char *)file;
	static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	ck_assert_uint_ge(len, 8);
	ck_assert_int_eq(memcmp(d, sig, 8), 0);
	size_t at = 8;
	int k = 0, idat = 0, iend = 0;
	while (at < len) {
		ck_assert_msg(!iend, "a chunk after IEND at byte %zu", at);
		ck_assert_uint_ge(len - at, 12);
		uint32_t n = get32(d + at);
		ck_assert_uint_le(n, len - at - 12);
		const unsigned char *type = d + at + 4, *data = d + at + 8;
		uint32_t crc = (uint32_t)crc32(0, type, n + 4);
		ck_assert_msg(crc == get32(data + n), "chunk %d (%.4s): CRC %08x, file says %08x", k, (const char *)type,
			      (unsigned)crc, (unsigned)get32(data + n));
		if (k == 0) {
			ck_assert_int_eq(memcmp(type, "IHDR", 4), 0);
			ck_assert_uint_eq(n, 13);
			ck_assert_uint_eq(get32(data), (uint32_t)w);
			ck_assert_uint_eq(get32(data + 4), (uint32_t)h);
			static const unsigned char rest[5] = {8, 2, 0, 0, 0}; /* 8-bit truecolour */
			ck_assert_int_eq(memcmp(data + 8, rest, 5), 0);
		} else if (k == 1) {
			ck_assert_int_eq(memcmp(type, "pHYs", 4), 0);
			ck_assert_uint_eq(n, 9);
			ck_assert_uint_eq(get32(data), ppm);
			ck_assert_uint_eq(get32(data + 4), ppm);
			ck_assert_uint_eq(data[8], 1);
		} else if (!memcmp(type, "IDAT", 4)) {
			ck_assert_msg(idat == k - 2, "IDAT chunks one after another, after pHYs");
			ck_assert_uint_gt(n, 0);
			ck_assert_uint_le(n, 64u << 10);
			idat++;
		} else {
			ck_assert_int_eq(memcmp(type, "IEND", 4), 0);
			ck_assert_uint_eq(n, 0);
			iend = 1;
		}
		at += (size_t)n + 12;
		k++;
	}
	ck_assert(iend);
	ck_assert_int_ge(idat, 1);
	free(file);
	return idat;
}

/* The file at path holds pattern p's w x h pixels, read back by cairo (libpng). */
static void same_pixels(const char *path, int w, int h, const pattern *p)
{
	cairo_surface_t *img = cairo_image_surface_create_from_png(path);
	ck_assert_int_eq(cairo_surface_status(img), CAIRO_STATUS_SUCCESS);
	ck_assert_int_eq(cairo_image_surface_get_width(img), w);
	ck_assert_int_eq(cairo_image_surface_get_height(img), h);
	ck_assert_int_eq(cairo_image_surface_get_format(img), CAIRO_FORMAT_RGB24);
	const unsigned char *data = cairo_image_surface_get_data(img);
	int stride = cairo_image_surface_get_stride(img);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			uint32_t got = ((const uint32_t *)(data + (size_t)y * (size_t)stride))[x] & 0xffffff;
			if (got != pixel(p, x, y))
				ck_abort_msg("%s, %d x %d: pixel (%d, %d) is %06x, written %06x", path, w, h, x, y,
					     (unsigned)got, (unsigned)pixel(p, x, y));
		}
	cairo_surface_destroy(img);
}

static void round_trip(int w, int h, int noise, double dpi, int min_idat)
{
	char dir[] = "/tmp/nbrun-png-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char *path = nb_xasprintf("%s/f.png", dir);
	pattern p = {w, noise};
	uint32_t ppm = (uint32_t)lrint(dpi / 0.0254);
	ck_assert_msg(pl_save_png_rows(path, w, h, dpi, row_of, &p) == 0, "%d x %d: %s", w, h, strerror(errno));
	int idat = walk_chunks(path, w, h, ppm);
	ck_assert_msg(idat >= min_idat, "%d x %d: %d IDAT chunks, expected at least %d", w, h, idat, min_idat);
	same_pixels(path, w, h, &p);

	/* the same image written again: the same bytes */
	char *again = nb_xasprintf("%s/g.png", dir);
	ck_assert_int_eq(pl_save_png_rows(again, w, h, dpi, row_of, &p), 0);
	size_t la, lb;
	char *a = nb_read_file(path, &la), *b = nb_read_file(again, &lb);
	ck_assert(la == lb && memcmp(a, b, la) == 0);
	free(a);
	free(b);

	/* and as it comes, in uneven pieces (one row, none, a third, the rest) */
	pl_png *s = pl_png_open(again, w, h, dpi);
	ck_assert_ptr_nonnull(s);
	int pieces[4] = {1, 0, (h - 1) / 3, h - 1 - (h - 1) / 3};
	for (int k = 0; k < 4; k++)
		ck_assert_int_eq(pl_png_put(s, pieces[k], row_of, &p), 0);
	ck_assert_int_eq(pl_png_close(s), 0);
	walk_chunks(again, w, h, ppm);
	same_pixels(again, w, h, &p);

	unlink(again);
	unlink(path);
	rmdir(dir);
	free(again);
	free(path);
}

START_TEST(small_images)
{
	round_trip(1, 1, 0, 100, 1);
	round_trip(3, 2, 1, 72, 1);
	round_trip(1, 300, 0, 100, 1);
}
END_TEST

/* A figure's size, and rows of different lengths from one batch to the next. */
START_TEST(figure_sized_images)
{
	round_trip(640, 480, 0, 100, 1);
	round_trip(641, 17, 0, 200, 1);
	round_trip(30000, 3, 0, 100, 1); /* rows longer than a batch (and within cairo's 32767) */
}
END_TEST

/* Random pixels do not compress: 9 MB of data, in many IDAT chunks. */
START_TEST(incompressible_image)
{
	round_trip(2000, 1500, 1, 100, 130);
}
END_TEST

/* A composed image through pl_save_png: cairo's RGB24 pixels as they are. */
START_TEST(from_a_surface)
{
	cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 97, 61);
	cairo_t *cr = cairo_create(s);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_set_source_rgb(cr, 0.12, 0.47, 0.71);
	cairo_arc(cr, 40, 30, 25, 0, 6.283185307179586);
	cairo_fill(cr);
	cairo_destroy(cr);
	cairo_surface_flush(s);
	char dir[] = "/tmp/nbrun-png-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char *path = nb_xasprintf("%s/s.png", dir);
	ck_assert_int_eq(pl_save_png(s, path, 100), 0);
	walk_chunks(path, 97, 61, 3937);
	cairo_surface_t *r = cairo_image_surface_create_from_png(path);
	ck_assert_int_eq(cairo_surface_status(r), CAIRO_STATUS_SUCCESS);
	for (int y = 0; y < 61; y++) {
		const uint32_t *a = (const uint32_t *)(cairo_image_surface_get_data(s) + y * cairo_image_surface_get_stride(s));
		const uint32_t *b = (const uint32_t *)(cairo_image_surface_get_data(r) + y * cairo_image_surface_get_stride(r));
		for (int x = 0; x < 97; x++)
			ck_assert_uint_eq(a[x] & 0xffffff, b[x] & 0xffffff);
	}
	cairo_surface_destroy(r);
	cairo_surface_destroy(s);
	unlink(path);
	rmdir(dir);
	free(path);
}
END_TEST

/* A PNG written as it comes takes exactly its h rows: more is refused, fewer fail at close. */
START_TEST(rows_as_they_come)
{
	char dir[] = "/tmp/nbrun-png-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char *path = nb_xasprintf("%s/s.png", dir);
	pattern p = {40, 0};
	pl_png *s = pl_png_open(path, 40, 10, 100);
	ck_assert_ptr_nonnull(s);
	errno = 0;
	ck_assert_int_eq(pl_png_put(s, 11, row_of, &p), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(pl_png_put(s, 6, row_of, &p), 0);
	ck_assert_int_eq(pl_png_put(s, 5, row_of, &p), -1);
	ck_assert_int_eq(pl_png_close(s), -1); /* 4 rows short */
	s = pl_png_open(path, 40, 10, 100);
	ck_assert_int_eq(pl_png_put(s, 10, row_of, &p), 0);
	ck_assert_int_eq(pl_png_close(s), 0);
	same_pixels(path, 40, 10, &p);
	errno = 0;
	ck_assert_ptr_null(pl_png_open(path, 0, 10, 100));
	ck_assert_int_eq(errno, EINVAL);
	unlink(path);
	rmdir(dir);
	free(path);
}
END_TEST

START_TEST(errors_keep_their_cause)
{
	pattern p = {640, 0};
	errno = 0;
	ck_assert_int_eq(pl_save_png_rows("/nonexistent-nbrun-dir/f.png", 640, 480, 100, row_of, &p), -1);
	ck_assert_int_eq(errno, ENOENT);
	errno = 0;
	ck_assert_int_eq(pl_save_png_rows("/dev/null", 0, 480, 100, row_of, &p), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* a device that is always full: the write fails, with its reason */
	if (access("/dev/full", W_OK) == 0) {
		errno = 0;
		ck_assert_int_eq(pl_save_png_rows("/dev/full", 640, 480, 100, row_of, &p), -1);
		ck_assert_int_eq(errno, ENOSPC);
	}
}
END_TEST

static Suite *png_suite(void)
{
	Suite *s = suite_create("png");
	TCase *tc = tcase_create("png");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, small_images);
	tcase_add_test(tc, figure_sized_images);
	tcase_add_test(tc, incompressible_image);
	tcase_add_test(tc, from_a_surface);
	tcase_add_test(tc, rows_as_they_come);
	tcase_add_test(tc, errors_keep_their_cause);
	suite_add_tcase(s, tc);
	return s;
}

NB_CHECK_MAIN(png_suite)
