/*
 * pngdiff - compare two PNG images for the visual regression tests.
 *
 *   pngdiff EXPECTED.png ACTUAL.png MAX_RMS
 *
 * Prints the root-mean-square difference of the RGB channels (0-255) and
 * exits 0 when the images have the same size and the RMS is at most
 * MAX_RMS, 1 when they differ more, 2 when a file cannot be read.
 */
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>

static unsigned char *load(const char *path, png_uint_32 *w, png_uint_32 *h)
{
	png_image im = {0};
	im.version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_file(&im, path)) {
		fprintf(stderr, "pngdiff: %s: %s\n", path, im.message);
		return NULL;
	}
	im.format = PNG_FORMAT_RGB;
	unsigned char *buf = malloc(PNG_IMAGE_SIZE(im));
	if (!buf || !png_image_finish_read(&im, NULL, buf, 0, NULL)) {
		fprintf(stderr, "pngdiff: %s: %s\n", path, im.message);
		free(buf);
		png_image_free(&im);
		return NULL;
	}
	*w = im.width;
	*h = im.height;
	return buf;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: pngdiff EXPECTED.png ACTUAL.png MAX_RMS\n");
		return 2;
	}
	png_uint_32 w1, h1, w2, h2;
	unsigned char *a = load(argv[1], &w1, &h1), *b = a ? load(argv[2], &w2, &h2) : NULL;
	if (!a || !b) {
		free(a);
		return 2;
	}
	int rc;
	if (w1 != w2 || h1 != h2) {
		printf("size differs: %ux%u expected, %ux%u drawn\n", (unsigned)w1, (unsigned)h1, (unsigned)w2, (unsigned)h2);
		rc = 1;
	} else {
		double sum = 0;
		size_t n = (size_t)w1 * h1 * 3;
		for (size_t i = 0; i < n; i++) {
			double d = (double)a[i] - (double)b[i];
			sum += d * d;
		}
		double rms = sqrt(sum / (double)n);
		printf("rms %.3f\n", rms);
		rc = rms <= atof(argv[3]) ? 0 : 1;
	}
	free(a);
	free(b);
	return rc;
}
