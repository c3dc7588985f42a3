/*
 * blas.h - OpenBLAS (CBLAS) and LAPACKE, opened when first needed.
 *
 * Loading OpenBLAS and LAPACKE (with LAPACK, libgfortran and OpenBLAS's own
 * start-up) takes about 9 ms, as long as cairo and pango together, and many
 * notebooks never multiply a matrix.  So nbrun is not linked against them:
 * nb_blas_get opens them (with dlopen) the first time a matrix routine is
 * wanted.  The routines are the ones a link would bind, so results are the
 * same.  (Opening them on a thread at start-up instead was measured: the
 * runs are CPU-bound on both cores, and it made them slower.)
 */
#ifndef NB_BLAS_H
#define NB_BLAS_H

#include <cblas.h>
#include <lapacke.h>

#include "diag.h"

typedef struct nb_blas {
	__typeof__(cblas_ddot) *ddot;
	__typeof__(cblas_dgemv) *dgemv;
	__typeof__(cblas_dgemm) *dgemm;
	__typeof__(LAPACKE_dgesv) *dgesv;
	__typeof__(LAPACKE_dgetrf) *dgetrf;
	__typeof__(LAPACKE_dgesdd) *dgesdd;
	__typeof__(LAPACKE_dsyevd) *dsyevd;
	__typeof__(LAPACKE_dgeqrf) *dgeqrf;
	__typeof__(LAPACKE_dorgqr) *dorgqr;
	__typeof__(LAPACKE_dpotrf) *dpotrf;
	__typeof__(LAPACKE_dgelsd) *dgelsd;
} nb_blas;

/* The routines, the libraries opened on the first call (by one thread; the
 * others wait); NULL with e set, naming the library and why, if they cannot
 * be opened. */
const nb_blas *nb_blas_get(nb_err *e);

#endif
