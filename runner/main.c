/*
 * main.c - the nbrun command line.
 *
 * Exit codes: 0 every notebook ran; 1 a cell or a check failed; 2 a usage
 * error, an invalid notebook, or an unusable output folder.  With several
 * notebooks the largest code wins, and every notebook is still attempted.
 */
#include <dlfcn.h>
#include <isa-l/igzip_lib.h>
#include <locale.h>
#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "fmt.h"
#include "kernel.h"
#include "notebook.h"
#include "run.h"

#ifndef NBRUN_VERSION
#define NBRUN_VERSION "0.1.0"
#endif

static const char usage_text[] =
	"usage: nbrun [options] NOTEBOOK.yaml...\n"
	"\n"
	"Run literate notebooks: each cell is markdown prose or a compiled kernel; nbrun runs\n"
	"the cells in order over one shared state and writes DIR/<notebook>/report.md.\n"
	"\n"
	"options:\n"
	"  -o, --output DIR        write into DIR/<notebook>/ (default: output)\n"
	"  -s, --set NAME=VALUE    override a parameter declared under 'params' (type-checked)\n"
	"      --save-state        also write every value as DIR/<notebook>/state/NAME.npy + state.json\n"
	"      --formats=LIST      figure formats, comma-separated: png, pdf, svg (default: the notebook's)\n"
	"  -q, --quiet             no progress, only errors\n"
	"      --progress=MODE     auto (default), tty (a live line) or lines (one line per cell)\n"
	"      --check             validate the notebooks without running them\n"
	"      --list-kernels      list every kernel with its summary\n"
	"      --describe KERNEL   show a kernel's parameters, outputs and an example\n"
	"      --catalogue         print the kernel catalogue in markdown (docs/kernels.md)\n"
	"      --functions         list the functions available in expressions\n"
	"      --version           print the version\n"
	"  -h, --help              show this help\n"
	"\n"
	"exit status: 0 success, 1 a cell or check failed, 2 usage error or invalid notebook\n";

static int usage_error(const char *fmt, const char *arg)
{
	fputs("nbrun: error: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\n(run 'nbrun --help' for usage)\n", stderr);
	return 2;
}

static int describe(const char *name)
{
	int amb = 0;
	const nb_kernel *k = nb_kernel_find(name, &amb);
	if (!k) {
		if (amb)
			return usage_error("kernel name '%s' is ambiguous; use its full family.name", name);
		const char *best = nb_kernel_suggest(name);
		if (best) {
			fprintf(stderr, "nbrun: error: unknown kernel '%s'; did you mean '%s'?\n", name, best);
			return 2;
		}
		/* a family name lists its kernels */
		size_t n = strlen(name), found = 0;
		nb_buf b = NB_BUF_INIT;
		for (size_t i = 0; i < nb_kernel_count(); i++) {
			const nb_kernel *kk = nb_kernel_at(i);
			if (!strncmp(kk->name, name, n) && kk->name[n] == '.') {
				nb_kernel_describe(kk, &b);
				nb_buf_puts(&b, "\n");
				found++;
			}
		}
		if (found) {
			fputs(nb_buf_str(&b), stdout);
			nb_buf_release(&b);
			return 0;
		}
		nb_buf_release(&b);
		return usage_error("unknown kernel '%s' (nbrun --list-kernels shows them all)", name);
	}
	nb_buf b = NB_BUF_INIT;
	nb_kernel_describe(k, &b);
	fputs(nb_buf_str(&b), stdout);
	nb_buf_release(&b);
	return 0;
}

/*
 * cairo deflates every PDF stream it writes (the figure files and the PDF
 * report) with zlib at zlib's default level, 6, and offers no setting for
 * it; zlib took a tenth of a run's CPU time even at level 1.  cairo asks for
 * the default level (deflateInit_ with Z_DEFAULT_COMPRESSION), and only
 * cairo does in nbrun, so such a request gets a stream of ISA-L's igzip at
 * its level 0 instead (the level whose output is the same from run to run,
 * see png.c), and deflate and deflateEnd, which resolve to these
 * definitions as the executable comes first in the dynamic linker's symbol
 * lookup, run it; its z_stream is told apart by its zfree, which zlib never
 * sees.  Every other stream is zlib's, untouched.  cairo's use is what is
 * implemented: Z_NO_FLUSH calls and Z_FINISH calls until Z_STREAM_END.
 */
static int (*zlib_deflate)(z_streamp, int);
static int (*zlib_deflate_end)(z_streamp);
static pthread_once_t zlib_once = PTHREAD_ONCE_INIT;

static void zlib_find(void)
{
	void *d = dlsym(RTLD_NEXT, "deflate"), *e = dlsym(RTLD_NEXT, "deflateEnd");
	memcpy(&zlib_deflate, &d, sizeof d);
	memcpy(&zlib_deflate_end, &e, sizeof e);
}

static void igz_mark(voidpf opaque, voidpf p)
{
	(void)opaque;
	(void)p;
}

int deflateInit_(z_streamp strm, int level, const char *version, int stream_size)
{
	if (level != Z_DEFAULT_COMPRESSION) /* deflateInit's other settings: 32 KiB window, memory level 8 */
		return deflateInit2_(strm, level, Z_DEFLATED, MAX_WBITS, 8, Z_DEFAULT_STRATEGY, version, stream_size);
	struct isal_zstream *z = calloc(1, sizeof *z);
	if (!z)
		return Z_MEM_ERROR;
	isal_deflate_init(z);
	z->level = 0;
	z->gzip_flag = IGZIP_ZLIB; /* a PDF stream's FlateDecode data is a zlib stream */
	z->flush = NO_FLUSH;
	strm->state = (struct internal_state *)(void *)z;
	strm->zfree = igz_mark;
	strm->total_in = strm->total_out = 0;
	strm->msg = NULL;
	return Z_OK;
}

int deflate(z_streamp strm, int flush)
{
	if (!strm || strm->zfree != igz_mark) {
		pthread_once(&zlib_once, zlib_find);
		return zlib_deflate ? zlib_deflate(strm, flush) : Z_STREAM_ERROR;
	}
	struct isal_zstream *z = (struct isal_zstream *)(void *)strm->state;
	if (flush != Z_NO_FLUSH && flush != Z_FINISH)
		return Z_STREAM_ERROR; /* cairo asks for nothing else */
	if (z->internal_state.state == ZSTATE_END)
		return Z_STREAM_END;
	z->next_in = strm->next_in;
	z->avail_in = strm->avail_in;
	z->next_out = strm->next_out;
	z->avail_out = strm->avail_out;
	z->end_of_stream = flush == Z_FINISH;
	uint32_t in0 = z->avail_in, out0 = z->avail_out;
	int rc = isal_deflate(z);
	strm->total_in += in0 - z->avail_in;
	strm->total_out += out0 - z->avail_out;
	strm->next_in = z->next_in;
	strm->avail_in = z->avail_in;
	strm->next_out = z->next_out;
	strm->avail_out = z->avail_out;
	if (rc != COMP_OK)
		return Z_STREAM_ERROR;
	if (flush == Z_FINISH && z->internal_state.state == ZSTATE_END)
		return Z_STREAM_END;
	return in0 == z->avail_in && out0 == z->avail_out ? Z_BUF_ERROR : Z_OK;
}

int deflateEnd(z_streamp strm)
{
	if (!strm || strm->zfree != igz_mark) {
		pthread_once(&zlib_once, zlib_find);
		return zlib_deflate_end ? zlib_deflate_end(strm) : Z_STREAM_ERROR;
	}
	free(strm->state);
	strm->state = NULL;
	return Z_OK;
}

/*
 * cairo writes every number of a PDF file (coordinates, colours, glyph
 * positions: tens of thousands a figure) with snprintf's "%f", "%.3f" or
 * "%.18f", and glibc prints a double through its exact multi-precision
 * routine: printed here instead, intro_gradients takes 5% less CPU time.
 * snprintf and its fortified form __snprintf_chk, as cairo and nbrun call
 * them, resolve to these definitions, the executable coming first in the
 * dynamic linker's symbol lookup: a format that is one "%f", "%.Nf" or
 * "%.*f" of a number nb_fixed takes is printed by it, byte for byte what
 * glibc prints (check_fmt compares the two on 800 000 numbers, halfway
 * cases included); every other call goes to glibc's vsnprintf.
 */
extern int __vsnprintf_chk(char *s, size_t maxlen, int flag, size_t slen, const char *fmt, va_list ap);
int __snprintf_chk(char *s, size_t maxlen, int flag, size_t slen, const char *fmt, ...);

/* The numeric locale is C's (nbrun never calls setlocale, nor do its libraries): set in main,
 * before any thread starts. */
static int c_locale;

/* The precision of a format that prints one double in fixed notation, or -1. */
static int fixed_precision(const char *fmt, int *star)
{
	*star = 0;
	if (fmt[0] != '%')
		return -1;
	if (fmt[1] == 'f' && !fmt[2])
		return 6;
	if (fmt[1] != '.')
		return -1;
	if (fmt[2] == '*' && fmt[3] == 'f' && !fmt[4]) {
		*star = 1;
		return 0;
	}
	int prec = 0, i = 2;
	for (; fmt[i] >= '0' && fmt[i] <= '9' && i < 4; i++)
		prec = 10 * prec + (fmt[i] - '0');
	return i > 2 && fmt[i] == 'f' && !fmt[i + 1] ? prec : -1;
}

/* s, n as snprintf's, the format's arguments in *ap (read from a copy): the length, or -1 if
 * left to glibc. */
static int fixed_print(char *s, size_t n, const char *fmt, va_list *ap)
{
	int star, prec = fixed_precision(fmt, &star);
	if (prec < 0)
		return -1;
	if (!c_locale)
		return -1;
	va_list aq;
	va_copy(aq, *ap);
	if (star)
		prec = va_arg(aq, int);
	double x = va_arg(aq, double);
	va_end(aq);
	return nb_fixed(s, n, x, prec);
}

int snprintf(char *s, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int len = fixed_print(s, n, fmt, &ap);
	if (len < 0)
		len = vsnprintf(s, n, fmt, ap);
	va_end(ap);
	return len;
}

int __snprintf_chk(char *s, size_t maxlen, int flag, size_t slen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int len = maxlen <= slen ? fixed_print(s, maxlen, fmt, &ap) : -1;
	if (len < 0)
		len = __vsnprintf_chk(s, maxlen, flag, slen, fmt, ap);
	va_end(ap);
	return len;
}

/*
 * Figures allocate and free pixel buffers and arrays of a few MiB, one after
 * another, and the time of a run went largely into faulting their pages in,
 * 4 KiB at a time.  So the heap is set up for them: blocks up to 64 MiB come
 * from the heap and stay there when freed (not mapped and unmapped each
 * time), and the main heap's first HUGE_HEAP bytes, reserved (not yet used)
 * at start-up, are marked for transparent huge pages, faulted in 2 MiB at a
 * time where the kernel offers them.  (The figure writer's thread keeps its
 * own heap, sharing one costs more in locking than it saves; run.c sets it up
 * the same way, writer_heap.)  Measured on
 * the four shipped notebooks: 6-20% less wall time, 1-14 MiB more peak
 * memory.
 * Where any step is refused (another allocator, as under AddressSanitizer;
 * no room to reserve; no huge pages) the heap simply stays as it was.
 */
#define HUGE_HEAP (256u << 20)

static void *heap_pad; /* see nb_huge_heap; kept for the life of the process */

static void heap_setup(void)
{
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	mallopt(M_TRIM_THRESHOLD, 2 * HUGE_HEAP);
	/* the next growth of the heap reserves HUGE_HEAP more */
	uintptr_t before = (uintptr_t)sbrk(0);
	mallopt(M_TOP_PAD, HUGE_HEAP);
	void *volatile probe = malloc(1 << 20); /* volatile: the pair is not optimised away */
	uintptr_t top = (uintptr_t)probe;
	free(probe);
	uintptr_t end = (uintptr_t)sbrk(0);
	mallopt(M_TOP_PAD, 128 << 10); /* glibc's default */
	/* the heap grew by the reservation: [before, end) is new, unused heap */
	if (before != (uintptr_t)-1 && end > before && end - before >= HUGE_HEAP)
		heap_pad = nb_huge_heap(top, before, end - before);
}

int main(int argc, char **argv)
{
	heap_setup();
	c_locale = !strcmp(localeconv()->decimal_point, ".");
	nb_runopts opts = {0};
	opts.outdir = "output";
	nb_override *ov = nb_xcalloc((size_t)argc, sizeof *ov);
	size_t nov = 0;
	const char **files = nb_xcalloc((size_t)argc, sizeof *files);
	size_t nfiles = 0;
	int check_only = 0, rc = 0, opts_done = 0, fonts_started = 0;
	pthread_t fonts;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (opts_done || a[0] != '-' || !strcmp(a, "-")) {
			files[nfiles++] = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			opts_done = 1;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage_text, stdout);
			goto out;
		} else if (!strcmp(a, "--version")) {
			printf("nbrun %s\n", NBRUN_VERSION);
			goto out;
		} else if (!strcmp(a, "--list-kernels")) {
			nb_buf b = NB_BUF_INIT;
			nb_kernel_list(&b);
			fputs(nb_buf_str(&b), stdout);
			nb_buf_release(&b);
			goto out;
		} else if (!strcmp(a, "--catalogue")) {
			nb_buf b = NB_BUF_INIT;
			nb_kernel_catalogue_md(&b);
			fputs(nb_buf_str(&b), stdout);
			nb_buf_release(&b);
			goto out;
		} else if (!strcmp(a, "--functions")) {
			size_t n;
			const nb_fninfo *f = nb_expr_functions(&n);
			for (size_t k = 0; k < n; k++)
				printf("%s%s  %s\n", f[k].name, f[k].sig, f[k].doc);
			goto out;
		} else if (!strcmp(a, "--describe") || !strncmp(a, "--describe=", 11)) {
			const char *name = a[10] == '=' ? a + 11 : (i + 1 < argc ? argv[++i] : NULL);
			if (!name) {
				rc = usage_error("%s needs a kernel name", "--describe");
				goto out;
			}
			rc = describe(name);
			goto out;
		} else if (!strcmp(a, "-o") || !strcmp(a, "--output") || !strncmp(a, "--output=", 9)) {
			const char *d = a[8] == '=' ? a + 9 : (i + 1 < argc ? argv[++i] : NULL);
			if (!d || !*d) {
				rc = usage_error("%s needs a folder", "-o");
				goto out;
			}
			opts.outdir = d;
		} else if (!strcmp(a, "-s") || !strcmp(a, "--set") || !strncmp(a, "--set=", 6)) {
			const char *kv = a[5] == '=' ? a + 6 : (i + 1 < argc ? argv[++i] : NULL);
			const char *eq = kv ? strchr(kv, '=') : NULL;
			if (!eq || eq == kv) {
				rc = usage_error("--set needs NAME=VALUE, got '%s'", kv ? kv : "");
				goto out;
			}
			ov[nov].name = nb_xstrndup(kv, (size_t)(eq - kv));
			ov[nov].value = eq + 1;
			nov++;
		} else if (!strncmp(a, "--formats=", 10)) {
			unsigned fm = 0;
			char *list = nb_xstrdup(a + 10), *save = NULL;
			int bad = 0;
			for (char *w = strtok_r(list, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
				if (!strcmp(w, "png"))
					fm |= NB_FMT_PNG;
				else if (!strcmp(w, "pdf"))
					fm |= NB_FMT_PDF;
				else if (!strcmp(w, "svg"))
					fm |= NB_FMT_SVG;
				else
					bad = 1;
			}
			free(list);
			if (bad || !fm) {
				rc = usage_error("--formats takes png, pdf and svg separated by commas, not '%s'", a + 10);
				goto out;
			}
			opts.formats = fm;
		} else if (!strcmp(a, "--save-state")) {
			opts.save_state = 1;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			opts.progress = NB_PROGRESS_QUIET;
		} else if (!strncmp(a, "--progress=", 11)) {
			const char *m = a + 11;
			if (!strcmp(m, "auto"))
				opts.progress = NB_PROGRESS_AUTO;
			else if (!strcmp(m, "tty"))
				opts.progress = NB_PROGRESS_TTY;
			else if (!strcmp(m, "lines"))
				opts.progress = NB_PROGRESS_LINES;
			else {
				rc = usage_error("--progress takes auto, tty or lines, not '%s'", m);
				goto out;
			}
		} else if (!strcmp(a, "--check")) {
			check_only = 1;
		} else {
			rc = usage_error("unknown option '%s'", a);
			goto out;
		}
	}
	if (!nfiles) {
		rc = usage_error("%s", "no notebook given");
		goto out;
	}
	fonts_started = !check_only && nb_fonts_start(&fonts) == 0;
	for (size_t f = 0; f < nfiles; f++) {
		nb_err e = NB_ERR_INIT;
		nb_notebook *nb = nb_notebook_load(files[f], ov, nov, &e);
		int r;
		if (!nb) {
			nb_err_print(stderr, &e);
			nb_err_clear(&e);
			r = 2;
		} else if (check_only) {
			if (opts.progress != NB_PROGRESS_QUIET)
				fprintf(stderr, "nbrun: %s: valid (%zu cells)\n", files[f], nb->ncells);
			r = 0;
		} else {
			r = nb_run_notebook(nb, &opts);
		}
		nb_notebook_free(nb);
		if (r > rc)
			rc = r;
	}
out:
	if (fonts_started)
		pthread_join(fonts, NULL);
	for (size_t i = 0; i < nov; i++)
		free((char *)ov[i].name);
	free(ov);
	free(files);
	return rc;
}
