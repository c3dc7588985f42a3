/*
 * util.h - memory, growable buffers and small string helpers.
 *
 * Allocation: nb_xmalloc() and friends never return NULL; they print
 * "nbrun: out of memory" and exit(1) when the C library cannot deliver.
 * They are for small bookkeeping allocations.  Array data, whose size comes
 * from the notebook, is allocated through value.h, which checks the size
 * first and reports a clear error instead of dying.
 *
 * nb_buf is a growable NUL-terminated byte buffer in the style of git's
 * strbuf: initialise with NB_BUF_INIT, append with nb_buf_*, free with
 * nb_buf_release() (which leaves an empty, reusable buffer), or take the
 * storage with nb_buf_detach() (the caller then owns it and frees it).
 * b->s is never NULL after any nb_buf_* call; before the first call it may
 * be NULL, so read it through nb_buf_str().
 */
#ifndef NB_UTIL_H
#define NB_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define NB_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define NB_NORETURN __attribute__((noreturn))
#else
#define NB_PRINTF(a, b)
#define NB_NORETURN
#endif

#define NB_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

void *nb_xmalloc(size_t n);
void *nb_xcalloc(size_t n, size_t size);
void *nb_xrealloc(void *p, size_t n);
char *nb_xstrdup(const char *s);
char *nb_xstrndup(const char *s, size_t n);
/* Grow *p (holding *cap elements of size elt) to hold at least need. */
void nb_grow(void **p, size_t *cap, size_t need, size_t elt);
#define NB_GROW(p, cap, need) nb_grow((void **)&(p), &(cap), (need), sizeof(*(p)))

NB_NORETURN void nb_die(const char *fmt, ...) NB_PRINTF(1, 2);
/* Internal invariant broken: a bug in nbrun, never a user error. */
#define NB_BUG(msg) nb_bug(__FILE__, __LINE__, (msg))
NB_NORETURN void nb_bug(const char *file, int line, const char *msg);

typedef struct nb_buf {
	char *s;
	size_t len, cap;
} nb_buf;
#define NB_BUF_INIT {NULL, 0, 0}

void nb_buf_add(nb_buf *b, const char *s, size_t n);
void nb_buf_puts(nb_buf *b, const char *s);
void nb_buf_putc(nb_buf *b, char c);
void nb_buf_printf(nb_buf *b, const char *fmt, ...) NB_PRINTF(2, 3);
void nb_buf_vprintf(nb_buf *b, const char *fmt, va_list ap);
void nb_buf_pad(nb_buf *b, char c, size_t n);
void nb_buf_reset(nb_buf *b); /* length 0, keeps storage */
void nb_buf_release(nb_buf *b);
char *nb_buf_detach(nb_buf *b);
const char *nb_buf_str(const nb_buf *b);

/* printf into a new heap string; the caller frees it. */
char *nb_xasprintf(const char *fmt, ...) NB_PRINTF(1, 2);

/*
 * Edit distance (optimal string alignment: insertions, deletions,
 * substitutions and adjacent transpositions).
 */
size_t nb_edit_distance(const char *a, const char *b);

/*
 * "Did you mean" helper: keeps the closest candidate offered so far.
 * Offer every candidate with nb_suggest_offer(); nb_suggest_best() returns
 * the best one if it is close enough to be a plausible typo, else NULL.
 */
typedef struct nb_suggest {
	const char *word;
	const char *best;
	size_t best_dist;
} nb_suggest;
void nb_suggest_init(nb_suggest *s, const char *word);
void nb_suggest_offer(nb_suggest *s, const char *candidate);
const char *nb_suggest_best(const nb_suggest *s);

/* Read a whole file into a NUL-terminated heap buffer; NULL and errno on failure. */
char *nb_read_file(const char *path, size_t *len);

/*
 * Heap memory on transparent huge pages.  A page of a heap faulted in 4 KiB
 * at a time costs some 10 us on the virtual machines nbrun runs on, a 2 MiB
 * page about as much as 15 small ones.  nb_huge_heap marks the whole 2 MiB
 * pages of [start, start + n), free memory at the end of a heap, for huge
 * pages (madvise, where the kernel offers them), and keeps the heap's next
 * allocations off the small pages before the first of them: top is where
 * the heap's free end begins (a block just allocated there and freed, so
 * that the next allocation starts there too), and the space from top to
 * that 2 MiB boundary is allocated as a pad, never touched and never freed
 * (it takes address space, not memory).  Returns the pad, or NULL when
 * there is none (top on a boundary, or an allocator that does not place
 * blocks so: then nothing is allocated).
 */
void *nb_huge_heap(uintptr_t top, uintptr_t start, size_t n);
/* rename(tmp, path), any file at path unlinked first (ext4 flushes tmp to disk when a rename
 * replaces a file): 0, or -1 with errno. */
int nb_rename_over(const char *tmp, const char *path);
/*
 * Write data to path atomically: a temporary file in the same folder, then
 * rename().  Returns 0, or -1 with errno set; the old file is untouched on
 * failure.
 */
int nb_write_file_atomic(const char *path, const void *data, size_t len);

/* mkdir -p; returns 0 or -1 with errno set. */
int nb_mkdirs(const char *path);

/* Monotonic seconds. */
double nb_now(void);

/* numpy's npy_divmod for doubles: floor division and Python's modulo (the sign of b),
 * as numpy's // and % and matplotlib's tick code compute them. */
void nb_divmod(double a, double b, double *floordiv, double *modulus);

#endif
