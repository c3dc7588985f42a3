/*
 * blas.c - OpenBLAS and LAPACKE opened with dlopen.  See blas.h.
 */
#include "blas.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the sonames of Debian's libopenblas0 and liblapacke (LAPACK itself comes with LAPACKE) */
static const char *const LIBS[2] = {"libopenblas.so.0", "liblapacke.so.3"};

static const struct {
	int lib; /* in LIBS */
	const char *name;
	size_t at; /* its place in nb_blas */
} ROUTINES[] = {
	{0, "cblas_ddot", offsetof(nb_blas, ddot)},         {0, "cblas_dgemv", offsetof(nb_blas, dgemv)},
	{0, "cblas_dgemm", offsetof(nb_blas, dgemm)},       {1, "LAPACKE_dgesv", offsetof(nb_blas, dgesv)},
	{1, "LAPACKE_dgetrf", offsetof(nb_blas, dgetrf)},   {1, "LAPACKE_dgesdd", offsetof(nb_blas, dgesdd)},
	{1, "LAPACKE_dsyevd", offsetof(nb_blas, dsyevd)},   {1, "LAPACKE_dgeqrf", offsetof(nb_blas, dgeqrf)},
	{1, "LAPACKE_dorgqr", offsetof(nb_blas, dorgqr)},   {1, "LAPACKE_dpotrf", offsetof(nb_blas, dpotrf)},
	{1, "LAPACKE_dgelsd", offsetof(nb_blas, dgelsd)},
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static nb_blas fns;
static char failure[512]; /* why the libraries could not be opened; empty once they are */

/* a function of lib by name, or NULL */
static void (*function(void *lib, const char *name))(void)
{
	void *f = dlsym(lib, name);
	void (*fn)(void) = NULL;
	memcpy(&fn, &f, sizeof f); /* an object pointer to a function pointer, as POSIX allows */
	return fn;
}

static void open_libraries(void)
{
	void *lib[2];
	for (int i = 0; i < 2; i++)
		if (!(lib[i] = dlopen(LIBS[i], RTLD_LAZY | RTLD_LOCAL))) {
			const char *why = dlerror();
			snprintf(failure, sizeof failure, "cannot open %s: %s", LIBS[i], why ? why : "unknown error");
			return;
		}
	/*
	 * Notebook matrices are small: OpenBLAS's worker threads cost more in
	 * start-up and spinning than they save (they would spin on the core the
	 * figure writer uses), and one thread keeps sums in a fixed order.
	 * OPENBLAS_NUM_THREADS still overrides this.
	 */
	if (!getenv("OPENBLAS_NUM_THREADS")) {
		void (*set_threads)(int) = (void (*)(int))function(lib[0], "openblas_set_num_threads");
		int (*shutdown)(void) = (int (*)(void))function(lib[0], "blas_thread_shutdown_");
		if (set_threads)
			set_threads(1);
		if (shutdown)
			shutdown(); /* the threads it started on loading */
	}
	for (size_t k = 0; k < sizeof ROUTINES / sizeof *ROUTINES; k++) {
		void (*fn)(void) = function(lib[ROUTINES[k].lib], ROUTINES[k].name);
		if (!fn) {
			snprintf(failure, sizeof failure, "%s has no %s", LIBS[ROUTINES[k].lib], ROUTINES[k].name);
			return;
		}
		memcpy((char *)&fns + ROUTINES[k].at, &fn, sizeof fn);
	}
	failure[0] = '\0';
}

const nb_blas *nb_blas_get(nb_err *e)
{
	pthread_once(&once, open_libraries);
	if (failure[0]) {
		nb_err_set(e, NB_NOLOC, "linear algebra needs OpenBLAS and LAPACKE (Debian: libopenblas0, liblapacke): %s",
			   failure);
		return NULL;
	}
	return &fns;
}
