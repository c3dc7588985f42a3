/*
 * linalg.h - numpy.linalg and scipy.linalg.expm on LAPACKE + OpenBLAS.
 *
 * Each function calls the LAPACK routine numpy calls, on the matrix in the
 * column-major layout numpy passes, so results agree with numpy's (which
 * Debian links to the same OpenBLAS) to the last bit where LAPACK is
 * deterministic.  Inputs are 2-D (vectors where noted); errors name the
 * function and the shape at fault.  All return new references (value.h).
 */
#ifndef NB_LINALG_H
#define NB_LINALG_H

#include "value.h"

nb_value *nb_inv(const nb_value *a, nb_err *e);                      /* dgesv with B = I */
nb_value *nb_solve(const nb_value *a, const nb_value *b, nb_err *e); /* dgesv; b (n,) or (n, k) */
nb_value *nb_det(const nb_value *a, nb_err *e);                      /* dgetrf; sign * exp(logdet), as numpy */
nb_value *nb_pinv(const nb_value *a, double rcond, nb_err *e);       /* via the thin SVD */
nb_value *nb_cholesky(const nb_value *a, nb_err *e);                 /* dpotrf, lower factor */
nb_value *nb_matrix_rank(const nb_value *a, nb_err *e);
nb_value *nb_expm(const nb_value *a, nb_err *e);                     /* Higham 2005 scaling and squaring */
/* dgesdd: full (jobz A) or thin (S); u and vh may be NULL for the values only (N). */
int nb_svd(const nb_value *a, int full, nb_value **u, nb_value **s, nb_value **vh, nb_err *e);
/* dsyevd with uplo 'L' (or 'U'): ascending eigenvalues; v may be NULL. */
int nb_eigh(const nb_value *a, int upper, nb_value **w, nb_value **v, nb_err *e);
/* dgeqrf + dorgqr: reduced (complete = 0) or complete Q, and R. */
int nb_qr(const nb_value *a, int complete, nb_value **q, nb_value **r, nb_err *e);
/* dgelsd: x, residuals (empty unless full rank and m > n), rank, singular values. rcond < 0: numpy's default. */
int nb_lstsq(const nb_value *a, const nb_value *b, double rcond, nb_value **x, nb_value **res, nb_value **rank,
	     nb_value **sv, nb_err *e);

#endif
