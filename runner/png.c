/*
 * png.c - figures as PNG files: opaque 8-bit RGB, the resolution recorded
 * (pHYs) as matplotlib records it, rows unfiltered.
 *
 * The image data is compressed by ISA-L's igzip, and the chunks around it
 * (signature, IHDR, pHYs, IDAT, IEND, each with its CRC-32) are written
 * here: libpng, which nbrun used before, compresses through zlib alone, and
 * zlib's deflate was the largest single cost of a run.  Two passes over the
 * rows: the first counts what igzip's quick parse of some of them finds
 * (literals, lengths, distances), from which igzip makes Huffman codes for
 * this image; the second compresses with those codes at igzip's level 0,
 * streamed a few dozen rows at a time.  (An image composed piece by piece,
 * an animation's contact sheet, is written as its pieces come: the codes
 * then come from the first piece's rows.)  On the shipped notebooks' 30
 * figures and frames: zlib at level 3, 108 ms for 2.04 MB; this, about
 * 20 ms for 2.29 MB.
 *
 * Why level 0 with codes of our own, not igzip's levels 1 and 2 (quicker
 * still per byte, files near zlib's): their output is valid but not always
 * the same for the same image.  Run as separate processes, about one in a
 * hundred compressed the same rows to different bytes, with address space
 * randomisation on and never with it off; level 0 gave the same bytes in
 * every one of 6 000 such runs (four images).  nbrun's figures must be byte-identical
 * from run to run.
 *
 * Unfiltered rows: figures are flat colour over white, where PNG's per-row
 * filters make the data larger, not smaller.
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

/* Rows go to igzip about IN_BYTES at a time; its output goes out as IDAT
 * chunks of at most OUT_BYTES. */
#define IN_BYTES (64u << 10)
#define OUT_BYTES (64u << 10)
#define HIST_EVERY 4

struct pl_png {
	FILE *fp;
	int err;     /* the errno of the first write that failed, or 0 */
	int failed;  /* igzip failed, or the file could not be opened */
	int w, h, y; /* the size, and the rows given so far */
	int coded;   /* the Huffman codes made */
	size_t row_bytes, batch;
	uint8_t *in; /* batch rows, each after its filter type */
	struct isal_zstream z;
	struct isal_huff_histogram hist;
	struct isal_hufftables codes;
	uint8_t out[8 + OUT_BYTES + 4]; /* an IDAT chunk: length, type, data, CRC */
};
typedef struct pl_png png_writer;

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

/* Rows [y, y + n) into in, each after its filter type, 0. */
static void fill_rows(uint8_t *in, size_t row_bytes, int y, size_t n, pl_png_row_fn row_of, void *arg)
{
	for (size_t k = 0; k < n; k++) {
		uint8_t *row = in + k * row_bytes;
		row[0] = 0;
		row_of(arg, y + (int)k, row + 1);
	}
}

pl_png *pl_png_open(const char *path, int w, int h, double dpi)
{
	size_t row_bytes = 1 + 3 * (size_t)w;
	if (w <= 0 || h <= 0 || row_bytes > INT32_MAX) { /* igzip counts its input in 32 bits */
		errno = EINVAL;
		return NULL;
	}
	FILE *fp = fopen(path, "wb");
	if (!fp)
		return NULL;
	png_writer *pw = nb_xmalloc(sizeof *pw);
	pw->fp = fp;
	pw->err = pw->failed = pw->coded = 0;
	pw->w = w;
	pw->h = h;
	pw->y = 0;
	pw->row_bytes = row_bytes;
	pw->batch = row_bytes >= IN_BYTES ? 1 : IN_BYTES / row_bytes;
	if (pw->batch > (size_t)h)
		pw->batch = (size_t)h;
	pw->in = nb_xmalloc(pw->batch * row_bytes);

	static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	uint8_t head[8 + 13 + 4];
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
	return pw;
}

/*
 * The Huffman codes, from every HIST_EVERY-th batch of the rows [y, y1) (on the shipped
 * notebooks' 84 PNG files, every fourth: 28% less time than all of them, files 0.6% larger);
 * every symbol gets a code, seen or not, so that the codes serve rows not counted.
 */
static void make_codes(png_writer *pw, int y1, pl_png_row_fn row_of, void *arg)
{
	memset(&pw->hist, 0, sizeof pw->hist);
	for (int y = pw->y; y < y1; y += HIST_EVERY * (int)pw->batch) {
		size_t n = (size_t)(y1 - y) < pw->batch ? (size_t)(y1 - y) : pw->batch;
		fill_rows(pw->in, pw->row_bytes, y, n, row_of, arg);
		isal_update_histogram(pw->in, (int)(n * pw->row_bytes), &pw->hist);
	}
	isal_deflate_init(&pw->z);
	pw->z.level = 0;
	pw->z.gzip_flag = IGZIP_ZLIB; /* PNG's image data is a zlib stream */
	pw->z.flush = NO_FLUSH;
	pw->z.next_out = pw->out + 8;
	pw->z.avail_out = OUT_BYTES;
	if (isal_create_hufftables(&pw->codes, &pw->hist) != 0 ||
	    isal_deflate_set_hufftables(&pw->z, &pw->codes, IGZIP_HUFFTABLE_CUSTOM) != COMP_OK)
		pw->failed = 1;
	pw->coded = 1;
}

int pl_png_put(pl_png *pw, int n, pl_png_row_fn row_of, void *arg)
{
	if (n < 0 || n > pw->h - pw->y) {
		errno = EINVAL;
		return -1;
	}
	if (!pw->coded)
		make_codes(pw, pw->y + n, row_of, arg);
	for (int y1 = pw->y + n; pw->y < y1 && !pw->failed;) {
		size_t k = (size_t)(y1 - pw->y) < pw->batch ? (size_t)(y1 - pw->y) : pw->batch;
		fill_rows(pw->in, pw->row_bytes, pw->y, k, row_of, arg);
		pw->y += (int)k;
		if (deflate_some(pw, pw->in, (uint32_t)(k * pw->row_bytes), pw->y == pw->h) < 0)
			pw->failed = 1;
	}
	if (pw->failed || pw->err) {
		errno = pw->err ? pw->err : EIO;
		return -1;
	}
	return 0;
}

int pl_png_close(pl_png *pw)
{
	int e = pw->err ? pw->err : EIO, rc = -1;
	if (!pw->failed && !pw->err && pw->y == pw->h) {
		flush_idat(pw);
		uint8_t head[8 + 4];
		memcpy(head + 4, "IEND", 4);
		put_chunk(pw, head, 0);
		rc = pw->err ? -1 : 0;
		e = pw->err;
	}
	if (fclose(pw->fp) != 0 && rc == 0) {
		rc = -1;
		e = errno;
	}
	free(pw->in);
	free(pw);
	if (rc)
		errno = e;
	return rc;
}

int pl_save_png_rows(const char *path, int w, int h, double dpi, pl_png_row_fn row_of, void *arg)
{
	png_writer *pw = pl_png_open(path, w, h, dpi);
	if (!pw)
		return -1;
	/* the first pass: the codes from the whole image; the second: the rows compressed */
	make_codes(pw, h, row_of, arg);
	pl_png_put(pw, h, row_of, arg);
	return pl_png_close(pw);
}

/* Row y of an opaque image: premultiplied ARGB is plain RGB. */
static void image_row(void *arg, int y, unsigned char *rgb)
{
	cairo_surface_t *img = arg;
	const uint32_t *src = (const uint32_t *)(cairo_image_surface_get_data(img) +
						 (size_t)y * (size_t)cairo_image_surface_get_stride(img));
	pl_rgb_of_xrgb(rgb, src, cairo_image_surface_get_width(img));
}

/* Each pixel's bytes reversed puts R, G, B first in memory: one 4-byte store a pixel, the next
 * pixel's store overwriting the fourth byte; the last pixel stored byte by byte. */
void pl_rgb_of_xrgb(unsigned char *rgb, const uint32_t *px, int n)
{
	int x = 0;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	for (; x + 1 < n; x++) {
		uint32_t v = __builtin_bswap32(px[x]) >> 8; /* bytes R, G, B, 0 in memory */
		memcpy(rgb + 3 * x, &v, 4);
	}
#endif
	for (; x < n; x++) {
		rgb[3 * x] = (unsigned char)(px[x] >> 16);
		rgb[3 * x + 1] = (unsigned char)(px[x] >> 8);
		rgb[3 * x + 2] = (unsigned char)px[x];
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
