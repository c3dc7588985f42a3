#define _POSIX_C_SOURCE 200809L
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void nb_die(const char *fmt, ...)
{
	va_list ap;
	fputs("nbrun: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void nb_bug(const char *file, int line, const char *msg)
{
	fprintf(stderr, "nbrun: BUG: %s:%d: %s\n", file, line, msg);
	abort();
}

void *nb_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		nb_die("out of memory");
	return p;
}

void *nb_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		nb_die("out of memory");
	return p;
}

void *nb_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		nb_die("out of memory");
	return p;
}

char *nb_xstrdup(const char *s)
{
	return nb_xstrndup(s, strlen(s));
}

char *nb_xstrndup(const char *s, size_t n)
{
	char *p = nb_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void nb_grow(void **p, size_t *cap, size_t need, size_t elt)
{
	if (need <= *cap)
		return;
	size_t c = *cap ? *cap : 8;
	while (c < need)
		c *= 2;
	if (c > SIZE_MAX / elt)
		nb_die("out of memory");
	*p = nb_xrealloc(*p, c * elt);
	*cap = c;
}

void nb_buf_add(nb_buf *b, const char *s, size_t n)
{
	NB_GROW(b->s, b->cap, b->len + n + 1);
	if (n)
		memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void nb_buf_puts(nb_buf *b, const char *s)
{
	nb_buf_add(b, s, strlen(s));
}

void nb_buf_putc(nb_buf *b, char c)
{
	nb_buf_add(b, &c, 1);
}

void nb_buf_pad(nb_buf *b, char c, size_t n)
{
	NB_GROW(b->s, b->cap, b->len + n + 1);
	memset(b->s + b->len, c, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void nb_buf_vprintf(nb_buf *b, const char *fmt, va_list ap)
{
	va_list aq;
	va_copy(aq, ap);
	int n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		NB_BUG("bad format");
	NB_GROW(b->s, b->cap, b->len + (size_t)n + 1);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void nb_buf_printf(nb_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	nb_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void nb_buf_reset(nb_buf *b)
{
	b->len = 0;
	if (b->s)
		b->s[0] = '\0';
}

void nb_buf_release(nb_buf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

char *nb_buf_detach(nb_buf *b)
{
	char *s = b->s ? b->s : nb_xstrdup("");
	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}

const char *nb_buf_str(const nb_buf *b)
{
	return b->s ? b->s : "";
}

char *nb_xasprintf(const char *fmt, ...)
{
	nb_buf b = NB_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	nb_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	return nb_buf_detach(&b);
}

size_t nb_edit_distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	if (n > 64 || m > 64)
		return (size_t)-1 / 2;
	size_t d[65][65];
	for (size_t i = 0; i <= n; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= n; i++) {
		for (size_t j = 1; j <= m; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[n][m];
}

void nb_suggest_init(nb_suggest *s, const char *word)
{
	s->word = word;
	s->best = NULL;
	s->best_dist = (size_t)-1;
}

void nb_suggest_offer(nb_suggest *s, const char *candidate)
{
	if (!candidate || !strcmp(candidate, s->word))
		return;
	size_t d = nb_edit_distance(s->word, candidate);
	if (d < s->best_dist) {
		s->best_dist = d;
		s->best = candidate;
	}
}

const char *nb_suggest_best(const nb_suggest *s)
{
	if (!s->best)
		return NULL;
	size_t len = strlen(s->word);
	/* a different case is always a plausible typo */
	if (strlen(s->best) == len && !strcasecmp(s->best, s->word))
		return s->best;
	/* a one-letter word is one substitution from every other one: only
	 * suggest a longer name it starts ('l' -> 'lr'); otherwise one edit up
	 * to three letters, two up to five, about a third of the letters beyond */
	if (len == 1)
		return s->best_dist == 1 && s->best[0] == s->word[0] ? s->best : NULL;
	size_t limit = len <= 3 ? 1 : len <= 5 ? 2 : (len + 2) / 3;
	return s->best_dist <= limit ? s->best : NULL;
}

char *nb_read_file(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	nb_buf b = NB_BUF_INIT;
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		nb_buf_add(&b, chunk, n);
	int err = ferror(f);
	fclose(f);
	if (err) {
		nb_buf_release(&b);
		errno = EIO;
		return NULL;
	}
	if (lenp)
		*lenp = b.len;
	return nb_buf_detach(&b);
}

#define HUGE_PAGE ((uintptr_t)2 << 20)

void *nb_huge_heap(uintptr_t top, uintptr_t start, size_t n)
{
	uintptr_t a = (start + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1), e = (start + n) & ~(HUGE_PAGE - 1);
	if (e <= a)
		return NULL;
	madvise((void *)a, e - a, MADV_HUGEPAGE); /* refused (no huge pages): nothing changes */
	if (top >= a)
		return NULL;
	/* the pad's block ends past a: the next block's header, and all after it, on huge pages */
	void *pad = malloc(a - top + 16);
	if ((uintptr_t)pad != top) {
		free(pad);
		return NULL;
	}
	return pad;
}

/*
 * Files are written under a temporary name and renamed into place, so that
 * no reader ever sees half a file.  The old file is unlinked first: ext4
 * (with its default auto_da_alloc) writes the new file's data out to disk
 * and waits for it when a rename replaces an existing file, 2-4 ms a file
 * here, many times over in a run that writes every figure again; renamed
 * to a free name it stays in the page cache like any other write.  (For a
 * moment the file is absent, never partly written.)
 */
int nb_rename_over(const char *tmp, const char *path)
{
	if (unlink(path) != 0 && errno != ENOENT)
		errno = 0; /* a folder in the way, say: rename says why */
	return rename(tmp, path);
}

int nb_write_file_atomic(const char *path, const void *data, size_t len)
{
	char *tmp = nb_xasprintf("%s.tmp%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "wb");
	if (!f) {
		free(tmp);
		return -1;
	}
	int ok = fwrite(data, 1, len, f) == len;
	ok = (fflush(f) == 0) && ok;
	int saved = errno;
	ok = (fclose(f) == 0) && ok;
	if (!ok || nb_rename_over(tmp, path) != 0) {
		saved = errno ? errno : saved;
		remove(tmp);
		free(tmp);
		errno = saved ? saved : EIO;
		return -1;
	}
	free(tmp);
	return 0;
}

int nb_mkdirs(const char *path)
{
	char *p = nb_xstrdup(path);
	size_t n = strlen(p);
	for (size_t i = 1; i <= n; i++) {
		if (p[i] == '/' || p[i] == '\0') {
			char c = p[i];
			p[i] = '\0';
			if (mkdir(p, 0777) != 0 && errno != EEXIST) {
				int e = errno;
				free(p);
				errno = e;
				return -1;
			}
			p[i] = c;
		}
	}
	struct stat st;
	int r = stat(path, &st);
	free(p);
	if (r != 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

double nb_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* numpy's npy_divmod for doubles (floor division and Python modulo). */
void nb_divmod(double a, double b, double *floordiv, double *modulus)
{
	double mod = fmod(a, b);
	if (b == 0) {
		*modulus = mod;
		*floordiv = a / b;
		return;
	}
	double div = (a - mod) / b;
	if (mod != 0) {
		if ((b < 0) != (mod < 0)) {
			mod += b;
			div -= 1.0;
		}
	} else {
		mod = copysign(0.0, b);
	}
	double fd;
	if (div != 0) {
		fd = floor(div);
		if (div - fd > 0.5)
			fd += 1.0;
	} else {
		fd = copysign(0.0, a / b);
	}
	*floordiv = fd;
	*modulus = mod;
}
