/*
 * png.c - figures as PNG files: opaque 8-bit RGB, the resolution recorded
 * (pHYs) as matplotlib records it, rows unfiltered.
 *
 * The image data is compressed by ISA-L's igzip at its level 1, streamed a
 * few dozen rows at a time; the chunks around it (signature, IHDR, pHYs,
 * IDAT, IEND, each with its CRC-32) are written here.  libpng, which nbrun
 * used before, compresses through zlib alone, and zlib's deflate was the
 * largest single cost of a run: on the shipped notebooks' 30 figures and
 * frames, zlib at level 3 took 108 ms for 2.04 MB, igzip at level 1 18 ms
 * for 2.07 MB.  Unfiltered rows: figures are flat colour over white, where
 * PNG's per-row filters make the data larger, not smaller.
 */
#include "plot.h"

#include <cairo.h>
#include <errno.h>
#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Input is handed to igzip about IN_BYTES at a time (whole rows); its output
 * goes out as IDAT chunks of at most OUT_BYTES. */
#define IN_BYTES (64u << 10)
#define OUT_BYTES (64u << 10)

typedef struct png_writer {
	FILE *fp;
	int err; /* the errno of the first write that failed, or 0 */
	struct isal_zstream z;
	uint8_t level_buf[ISAL_DEF_LVL1_DEFAULT];
	uint8_t out[8 + OUT_BYTES + 4]; /* an IDAT chunk: length, type, data, CRC */
} png_writer;

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* One chunk whose type and data are at p[4 .. 8 + len) of a buffer with room
 * for the length before them and the CRC after. */
static void put_chunk(png_writer *pw, uint8_t *p, uint32_t len)
{
	put32(p, len);
	put32(p + 8 + len, crc32_gzip_refl(0, p + 4, (uint64_t)len + 4));
	if (!pw->err && fwrite(p, 1, (size_t)len + 12, pw->fp) != (size_t)len + 12)
		pw->err = errno ? errno : EIO;
}

/* The compressed data so far, as one IDAT chunk. */
static void flush_idat(png_writer *pw)
{
	uint32_t len = (uint32_t)(pw->z.next_out - (pw->out + 8));
	if (len) {
		memcpy(pw->out + 4, "IDAT", 4);
		put_chunk(pw, pw->out, len);
	}
	pw->z.next_out = pw->out + 8;
	pw->z.avail_out = OUT_BYTES;
}

/* Compress in[0 .. n), the last input when end; 0, or -1 if igzip fails. */
static int deflate_some(png_writer *pw, uint8_t *in, uint32_t n, int end)
{
	pw->z.next_in = in;
	pw->z.avail_in = n;
	pw->z.end_of_stream = (uint16_t)end;
	for (;;) {
		uint32_t in_before = pw->z.total_in, out_before = pw->z.total_out;
		if (isal_deflate(&pw->z) != COMP_OK)
			return -1;
		if (pw->z.avail_out == 0)
			flush_idat(pw);
		int done = end ? pw->z.internal_state.state == ZSTATE_END : pw->z.avail_in == 0;
		if (done)
			return 0;
		/* igzip takes input or gives output on every call it is not done with */
		if (pw->z.total_in == in_before && pw->z.total_out == out_before)
			return -1;
	}
}

int pl_save_png_rows(const char *path, int w, int h, double dpi, pl_png_row_fn row_of, void *arg)
{
	size_t row_bytes = 1 + 3 * (size_t)w; /* the filter type, 0, then the pixels */
	if (w <= 0 || h <= 0 || row_bytes > UINT32_MAX) { /* igzip counts its input in 32 bits */
		errno = EINVAL;
		return -1;
	}
	size_t batch = row_bytes >= IN_BYTES ? 1 : IN_BYTES / row_bytes;
	if (batch > (size_t)h)
		batch = (size_t)h;
	FILE *fp = fopen(path, "wb");
	if (!fp)
		return -1;
	uint8_t *in = nb_xmalloc(batch * row_bytes);
	png_writer *pw = nb_xmalloc(sizeof *pw);
	pw->fp = fp;
	pw->err = 0;
	isal_deflate_init(&pw->z);
	pw->z.level = 1;
	pw->z.level_buf = pw->level_buf;
	pw->z.level_buf_size = sizeof pw->level_buf;
	pw->z.gzip_flag = IGZIP_ZLIB; /* PNG's image data is a zlib stream */
	pw->z.flush = NO_FLUSH;
	pw->z.next_out = pw->out + 8;
	pw->z.avail_out = OUT_BYTES;

	static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	uint8_t head[8 + 13 + 4 + 8 + 9 + 4];
	if (fwrite(signature, 1, sizeof signature, fp) != sizeof signature)
		pw->err = errno ? errno : EIO;
	memcpy(head + 4, "IHDR", 4);
	put32(head + 8, (uint32_t)w);
	put32(head + 12, (uint32_t)h);
	head[16] = 8; /* bits per channel */
	head[17] = 2; /* truecolour */
	head[18] = head[19] = head[20] = 0; /* deflate, adaptive filtering (type 0 used), no interlace */
	put_chunk(pw, head, 13);
	uint32_t ppm = (uint32_t)lrint(dpi / 0.0254); /* pixels per metre */
	memcpy(head + 4, "pHYs", 4);
	put32(head + 8, ppm);
	put32(head + 12, ppm);
	head[16] = 1; /* the unit is the metre */
	put_chunk(pw, head, 9);

	int rc = 0;
	for (int y = 0; y < h && rc == 0;) {
		size_t n = 0;
		for (; n < batch && y < h; n++, y++) {
			uint8_t *row = in + n * row_bytes;
			row[0] = 0;
			row_of(arg, y, row + 1);
		}
		rc = deflate_some(pw, in, (uint32_t)(n * row_bytes), y == h);
	}
	int e = EIO; /* igzip failed */
	if (rc == 0) {
		flush_idat(pw);
		memcpy(head + 4, "IEND", 4);
		put_chunk(pw, head, 0);
		if (pw->err) {
			rc = -1;
			e = pw->err;
		}
	}
	if (fclose(fp) != 0 && rc == 0) {
		rc = -1;
		e = errno;
	}
	free(pw);
	free(in);
	if (rc)
		errno = e;
	return rc;
}

/* Row y of an opaque image: premultiplied ARGB is plain RGB. */
static void image_row(void *arg, int y, unsigned char *rgb)
{
	cairo_surface_t *img = arg;
	int w = cairo_image_surface_get_width(img);
	const uint32_t *src = (const uint32_t *)(cairo_image_surface_get_data(img) +
						 (size_t)y * (size_t)cairo_image_surface_get_stride(img));
	for (int x = 0; x < w; x++) {
		uint32_t p = src[x];
		rgb[3 * x] = (unsigned char)(p >> 16);
		rgb[3 * x + 1] = (unsigned char)(p >> 8);
		rgb[3 * x + 2] = (unsigned char)p;
	}
}

int pl_save_png(cairo_surface_t *img, const char *path, double dpi)
{
	if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
		errno = EIO;
		return -1;
	}
	return pl_save_png_rows(path, cairo_image_surface_get_width(img), cairo_image_surface_get_height(img), dpi,
				image_row, img);
}
