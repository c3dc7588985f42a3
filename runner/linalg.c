/*
 * linalg.c - numpy.linalg on LAPACKE.  See linalg.h.
 */
#include "linalg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"
#include "ops.h"

static int want_matrix(const nb_value *a, const char *fn, int square, nb_err *e)
{
	if (!nb_is_array(a) || a->ndim != 2 || (square && a->shape[0] != a->shape[1])) {
		nb_buf b = NB_BUF_INIT;
		if (nb_is_array(a))
			nb_shape_str(a->ndim, a->shape, &b);
		nb_err_set(e, NB_NOLOC, "%s: expected a %s2-D matrix, got %s%s", fn, square ? "square " : "",
			   nb_is_array(a) ? "shape " : "", nb_is_array(a) ? nb_buf_str(&b) : "a string");
		nb_buf_release(&b);
		return -1;
	}
	return 0;
}

/* Row-major nb_value -> fresh column-major double buffer. */
static double *colmajor(const nb_value *a, size_t rows, size_t cols)
{
	double *m = nb_xmalloc(rows * cols * sizeof *m);
	for (size_t i = 0; i < rows; i++)
		for (size_t j = 0; j < cols; j++)
			m[j * rows + i] = nb_get_f64(a, i * cols + j);
	return m;
}

/* Column-major buffer -> new row-major float64 matrix. */
static nb_value *from_colmajor(const double *m, size_t rows, size_t cols, size_t ld, nb_err *e)
{
	size_t shape[2] = {rows, cols};
	nb_value *r = nb_array_new(NB_F64, 2, shape, e);
	if (!r)
		return NULL;
	for (size_t i = 0; i < rows; i++)
		for (size_t j = 0; j < cols; j++)
			nb_f64p(r)[i * cols + j] = m[j * ld + i];
	return r;
}

static int lapack_fail(nb_err *e, const char *fn, const char *routine, lapack_int info)
{
	return nb_err_set(e, NB_NOLOC, "%s: LAPACK %s failed (info %d)", fn, routine, (int)info);
}

nb_value *nb_inv(const nb_value *a, nb_err *e)
{
	const nb_blas *L = nb_blas_get(e);
	if (!L)
		return NULL;
	if (want_matrix(a, "inv", 1, e) < 0)
		return NULL;
	size_t n = a->shape[0];
	double *A = colmajor(a, n, n), *B = nb_xcalloc(n * n, sizeof *B);
	lapack_int *ipiv = nb_xmalloc((n ? n : 1) * sizeof *ipiv);
	for (size_t i = 0; i < n; i++)
		B[i * n + i] = 1.0;
	lapack_int info = n ? L->dgesv(LAPACK_COL_MAJOR, (lapack_int)n, (lapack_int)n, A, (lapack_int)n, ipiv, B,
					  (lapack_int)n) : 0;
	nb_value *r = NULL;
	if (info > 0)
		nb_err_set(e, NB_NOLOC, "inv: singular matrix (U[%d, %d] is exactly zero)", (int)info - 1, (int)info - 1);
	else if (info < 0)
		lapack_fail(e, "inv", "dgesv", info);
	else
		r = from_colmajor(B, n, n, n, e);
	free(A);
	free(B);
	free(ipiv);
	return r;
}

nb_value *nb_solve(const nb_value *a, const nb_value *b, nb_err *e)
{
	const nb_blas *L = nb_blas_get(e);
	if (!L)
		return NULL;
	if (want_matrix(a, "solve", 1, e) < 0)
		return NULL;
	size_t n = a->shape[0];
	if (!nb_is_array(b) || b->ndim < 1 || b->ndim > 2 || b->shape[0] != n) {
		nb_buf sa = NB_BUF_INIT, sb = NB_BUF_INIT;
		nb_shape_str(a->ndim, a->shape, &sa);
		if (nb_is_array(b))
			nb_shape_str(b->ndim, b->shape, &sb);
		nb_err_set(e, NB_NOLOC, "solve: b must have shape (%zu,) or (%zu, k) to match a of shape %s, got %s", n, n,
			   nb_buf_str(&sa), nb_is_array(b) ? nb_buf_str(&sb) : "a string");
		nb_buf_release(&sa);
		nb_buf_release(&sb);
		return NULL;
	}
	size_t k = b->ndim == 1 ? 1 : b->shape[1];
	double *A = colmajor(a, n, n), *B = colmajor(b, n, k);
	lapack_int *ipiv = nb_xmalloc((n ? n : 1) * sizeof *ipiv);
	lapack_int info = n && k ? L->dgesv(LAPACK_COL_MAJOR, (lapack_int)n, (lapack_int)k, A, (lapack_int)n, ipiv,
					       B, (lapack_int)n) : 0;
	nb_value *r = NULL;
	if (info > 0)
		nb_err_set(e, NB_NOLOC, "solve: singular matrix");
	else if (info < 0)
		lapack_fail(e, "solve", "dgesv", info);
	else if (b->ndim == 1)
		r = nb_f64_vec(B, n, e);
	else
		r = from_colmajor(B, n, k, n, e);
	free(A);
	free(B);
	free(ipiv);
	return r;
}

nb_value *nb_det(const nb_value *a, nb_err *e)
{
	const nb_blas *L = nb_blas_get(e);
	if (!L)
		return NULL;
	if (want_matrix(a, "det", 1, e) < 0)
		return NULL;
	size_t n = a->shape[0];
	if (n == 0)
		return nb_f64(1.0);
	double *A = colmajor(a, n, n);
	lapack_int *ipiv = nb_xmalloc(n * sizeof *ipiv);
	lapack_int info = L->dgetrf(LAPACK_COL_MAJOR, (lapack_int)n, (lapack_int)n, A, (lapack_int)n, ipiv);
	double det;
	if (info < 0) {
		free(A);
		free(ipiv);
		lapack_fail(e, "det", "dgetrf", info);
		return NULL;
	}
	if (info > 0) {
		det = 0.0; /* numpy: sign 0, logdet -inf */
	} else {
		/* numpy's slogdet: sign from the pivots and the diagonal, log|det| summed in order */
		double sign = 1, logdet = 0;
		for (size_t i = 0; i < n; i++)
			if (ipiv[i] != (lapack_int)(i + 1))
				sign = -sign;
		for (size_t i = 0; i < n; i++) {
			double d = A[i * n + i];
			if (d < 0) {
				sign = -sign;
				d = -d;
			}
			logdet += log(d);
		}
		det = sign * exp(logdet);
	}
	free(A);
	free(ipiv);
	return nb_f64(det);
}

int nb_svd(const nb_value *a, int full, nb_value **u, nb_value **s, nb_value **vh, nb_err *e)
{
	const nb_blas *L = nb_blas_get(e);
	if (!L)
		return -1;
	if (want_matrix(a, "svd", 0, e) < 0)
		return -1;
	size_t m = a->shape[0], n = a->shape[1], k = m < n ? m : n;
	int want_uv = u != NULL;
	char jobz = !want_uv ? 'N' : full ? 'A' : 'S';
	size_t ucols = full ? m : k, vrows = full ? n : k;
	double *A = colmajor(a, m, n), *S = nb_xmalloc((k ? k : 1) * sizeof *S);
	double *U = want_uv ? nb_xcalloc(m * ucols, sizeof *U) : NULL;
	double *VT = want_uv ? nb_xcalloc(vrows * n, sizeof *VT) : NULL;
	lapack_int info = 0;
	if (m && n)
		info = L->dgesdd(LAPACK_COL_MAJOR, jobz, (lapack_int)m, (lapack_int)n, A, (lapack_int)m, S, U,
				      (lapack_int)(m ? m : 1), VT, (lapack_int)(vrows ? vrows : 1));
	int rc = 0;
	if (info > 0) {
		rc = nb_err_set(e, NB_NOLOC, "svd: SVD did not converge");
	} else if (info < 0) {
		rc = lapack_fail(e, "svd", "dgesdd", info);
	} else {
		*s = nb_f64_vec(S, k, e);
		if (want_uv) {
			if (!m || !n) {
				/* numpy returns identity-like factors for empty inputs */
				for (size_t i = 0; i < m && i < ucols; i++)
					U[i * m + i] = 1;
				for (size_t i = 0; i < n && i < vrows; i++)
					VT[i * vrows + i] = 1;
			}
			*u = from_colmajor(U, m, ucols, m, e);
			*vh = from_colmajor(VT, vrows, n, vrows ? vrows : 1, e);
		}
	}
	free(A);
	free(S);
	free(U);
	free(VT);
	return rc;
}

int nb_eigh(const nb_value *a, int upper, nb_value **w, nb_value **v, nb_err *e)
{
	const nb_blas *L = nb_blas_get(e);
	if (!L)
		return -1;
	if (want_matrix(a, "eigh", 1, e) < 0)
		return -1;
	size_t n = a->shape[0];
	double *A = colmajor(a, n, n), *W = nb_xmalloc((n ? n : 1) * sizeof *W);
	lapack_int info = n ? L->dsyevd(LAPACK_COL_MAJOR, v ? 'V' : 'N', upper ? 'U' : 'L', (lapack_int)n, A,
					   (lapack_int)n, W) : 0;
	int rc = 0;
	if (info > 0)
		rc = nb_err_set(e, NB_NOLOC, "eigh: eigenvalues did not converge");
	else if (info < 0)
		rc = lapack_fail(e, "eigh", "dsyevd", info);
	else {
		*w = nb_f64_vec(W, n, e);
		if (v)
			*v = from_colmajor(A, n, n, n ? n : 1, e);
	}
	free(A);
	free(W);
	return rc;
}

int nb_qr(const nb_value *a, int complete, nb_value **q, nb_value **r, nb_err *e)
{
	const nb_blas *L = nb_blas_get(e);
	if (!L)
		return -1;
	if (want_matrix(a, "qr", 0, e) < 0)
		return -1;
	size_t m = a->shape[0], n = a->shape[1], k = m < n ? m : n;
	size_t qcols = complete ? m : k, rrows = complete ? m : k;
	double *A = colmajor(a, m, n), *tau = nb_xmalloc((k ? k : 1) * sizeof *tau);
	lapack_int info = m && n ? L->dgeqrf(LAPACK_COL_MAJOR, (lapack_int)m, (lapack_int)n, A, (lapack_int)m, tau) : 0;
	if (info != 0) {
		free(A);
		free(tau);
		return lapack_fail(e, "qr", "dgeqrf", info);
	}
	/* R: the upper triangle of the first rrows rows */
	size_t rshape[2] = {rrows, n};
	*r = nb_array_new(NB_F64, 2, rshape, e);
	if (!*r) {
		free(A);
		free(tau);
		return -1;
	}
	for (size_t i = 0; i < rrows && i < m; i++)
		for (size_t j = i; j < n; j++)
			nb_f64p(*r)[i * n + j] = A[j * m + i];
	/* Q: dorgqr on a buffer with m × qcols columns holding the reflectors */
	double *Q = nb_xcalloc(m * qcols, sizeof *Q);
	for (size_t j = 0; j < qcols && j < n; j++)
		memcpy(Q + j * m, A + j * m, m * sizeof *Q);
	if (m && qcols)
		info = L->dorgqr(LAPACK_COL_MAJOR, (lapack_int)m, (lapack_int)qcols, (lapack_int)k, Q, (lapack_int)m, tau);
	int rc = 0;
	if (info != 0) {
		rc = lapack_fail(e, "qr", "dorgqr", info);
		nb_unref(*r);
		*r = NULL;
	} else {
		*q = from_colmajor(Q, m, qcols, m ? m : 1, e);
	}
	free(A);
	free(tau);
	free(Q);
	return rc;
}

nb_value *nb_cholesky(const nb_value *a, nb_err *e)
{
	const nb_blas *L = nb_blas_get(e);
	if (!L)
		return NULL;
	if (want_matrix(a, "cholesky", 1, e) < 0)
		return NULL;
	size_t n = a->shape[0];
	double *A = colmajor(a, n, n);
	lapack_int info = n ? L->dpotrf(LAPACK_COL_MAJOR, 'L', (lapack_int)n, A, (lapack_int)n) : 0;
	nb_value *r = NULL;
	if (info > 0)
		nb_err_set(e, NB_NOLOC, "cholesky: matrix is not positive definite (leading minor %d)", (int)info);
	else if (info < 0)
		lapack_fail(e, "cholesky", "dpotrf", info);
	else {
		for (size_t j = 1; j < n; j++)
			for (size_t i = 0; i < j; i++)
				A[j * n + i] = 0; /* numpy zeroes the upper triangle */
		r = from_colmajor(A, n, n, n ? n : 1, e);
	}
	free(A);
	return r;
}

nb_value *nb_pinv(const nb_value *a, double rcond, nb_err *e)
{
	if (want_matrix(a, "pinv", 0, e) < 0)
		return NULL;
	nb_value *u = NULL, *s = NULL, *vh = NULL;
	if (nb_svd(a, 0, &u, &s, &vh, e) < 0)
		return NULL;
	size_t m = a->shape[0], n = a->shape[1], k = s->size;
	double smax = 0;
	for (size_t i = 0; i < k; i++)
		if (nb_f64p(s)[i] > smax)
			smax = nb_f64p(s)[i];
	double cutoff = rcond * smax;
	/* numpy: res = vh.T @ (s_inv[:, None] * u.T) */
	size_t sh[2] = {k, m};
	nb_value *su = nb_array_new(NB_F64, 2, sh, e);
	nb_value *r = NULL;
	if (su) {
		for (size_t i = 0; i < k; i++) {
			double si = nb_f64p(s)[i];
			double inv = si > cutoff ? 1.0 / si : 0.0;
			for (size_t j = 0; j < m; j++)
				nb_f64p(su)[i * m + j] = inv * nb_f64p(u)[j * k + i];
		}
		nb_value *vt = nb_transpose(vh, NULL, e);
		if (vt)
			r = nb_matmul(vt, su, e);
		nb_unref(vt);
	}
	(void)n;
	nb_unref(su);
	nb_unref(u);
	nb_unref(s);
	nb_unref(vh);
	return r;
}

nb_value *nb_matrix_rank(const nb_value *a, nb_err *e)
{
	if (!nb_is_array(a)) {
		nb_err_set(e, NB_NOLOC, "matrix_rank: expected an array");
		return NULL;
	}
	if (a->ndim < 2) {
		int any = 0;
		for (size_t i = 0; i < a->size; i++)
			any |= nb_get_f64(a, i) != 0;
		return nb_i64(any);
	}
	nb_value *s = NULL;
	if (nb_svd(a, 0, NULL, &s, NULL, e) < 0)
		return NULL;
	double smax = 0;
	for (size_t i = 0; i < s->size; i++)
		if (nb_f64p(s)[i] > smax)
			smax = nb_f64p(s)[i];
	size_t big = a->shape[0] > a->shape[1] ? a->shape[0] : a->shape[1];
	double tol = smax * (double)big * 2.220446049250313e-16;
	int64_t rank = 0;
	for (size_t i = 0; i < s->size; i++)
		rank += nb_f64p(s)[i] > tol;
	nb_unref(s);
	return nb_i64(rank);
}

int nb_lstsq(const nb_value *a, const nb_value *b, double rcond, nb_value **x, nb_value **res, nb_value **rank,
	     nb_value **sv, nb_err *e)
{
	const nb_blas *L = nb_blas_get(e);
	if (!L)
		return -1;
	if (want_matrix(a, "lstsq", 0, e) < 0)
		return -1;
	size_t m = a->shape[0], n = a->shape[1], k = m < n ? m : n;
	if (!nb_is_array(b) || b->ndim < 1 || b->ndim > 2 || b->shape[0] != m)
		return nb_err_set(e, NB_NOLOC, "lstsq: b must have %zu rows to match a", m);
	size_t nrhs = b->ndim == 1 ? 1 : b->shape[1];
	size_t ldb = m > n ? m : n;
	if (rcond < 0)
		rcond = 2.220446049250313e-16 * (double)(m > n ? m : n);
	double *A = colmajor(a, m, n), *B = nb_xcalloc(ldb * nrhs, sizeof *B);
	for (size_t j = 0; j < nrhs; j++)
		for (size_t i = 0; i < m; i++)
			B[j * ldb + i] = nb_get_f64(b, i * nrhs + j);
	double *S = nb_xmalloc((k ? k : 1) * sizeof *S);
	lapack_int rk = 0, info = 0;
	if (m && n && nrhs)
		info = L->dgelsd(LAPACK_COL_MAJOR, (lapack_int)m, (lapack_int)n, (lapack_int)nrhs, A, (lapack_int)m, B,
				      (lapack_int)ldb, S, rcond, &rk);
	int rc = 0;
	if (info != 0) {
		rc = info > 0 ? nb_err_set(e, NB_NOLOC, "lstsq: SVD did not converge") : lapack_fail(e, "lstsq", "dgelsd", info);
	} else {
		*x = b->ndim == 1 ? nb_f64_vec(B, n, e) : from_colmajor(B, n, nrhs, ldb, e);
		size_t nres = ((size_t)rk == n && m > n) ? nrhs : 0;
		double *rs = nb_xcalloc(nrhs ? nrhs : 1, sizeof *rs);
		for (size_t j = 0; j < nres; j++)
			for (size_t i = n; i < m; i++)
				rs[j] += B[j * ldb + i] * B[j * ldb + i];
		*res = nb_f64_vec(rs, nres, e);
		free(rs);
		*rank = nb_i64(rk);
		*sv = nb_f64_vec(S, k, e);
	}
	free(A);
	free(B);
	free(S);
	return rc;
}

/* ------------------------------------------------------------------ expm */

/* C = A @ B for n×n row-major matrices. */
static void mm(size_t n, const double *A, const double *B, double *C)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			double s = 0;
			for (size_t k = 0; k < n; k++)
				s += A[i * n + k] * B[k * n + j];
			C[i * n + j] = s;
		}
}

static double norm1(size_t n, const double *A)
{
	double best = 0;
	for (size_t j = 0; j < n; j++) {
		double s = 0;
		for (size_t i = 0; i < n; i++)
			s += fabs(A[i * n + j]);
		if (s > best || isnan(s))
			best = s;
	}
	return best;
}

/*
 * Higham (2005), "The scaling and squaring method for the matrix
 * exponential revisited": the Padé degree m in {3, 5, 7, 9, 13} is the
 * smallest whose theta bound holds for ||A||_1; above theta_13 the matrix
 * is scaled by 2^-s, exponentiated with degree 13 and squared s times.
 */
nb_value *nb_expm(const nb_value *a, nb_err *e)
{
	const nb_blas *L = nb_blas_get(e);
	if (!L)
		return NULL;
	if (want_matrix(a, "expm", 1, e) < 0)
		return NULL;
	size_t n = a->shape[0], nn = n * n;
	nb_value *r = nb_array_like(a, NB_F64, e);
	if (!r || n == 0)
		return r;
	static const double theta[] = {1.495585217958292e-2, 2.539398330063230e-1, 9.504178996162932e-1,
				       2.097847961257068e0, 5.371920351148152e0};
	static const int degs[] = {3, 5, 7, 9, 13};
	static const double b3[] = {120., 60., 12., 1.};
	static const double b5[] = {30240., 15120., 3360., 420., 30., 1.};
	static const double b7[] = {17297280., 8648640., 1995840., 277200., 25200., 1512., 56., 1.};
	static const double b9[] = {17643225600., 8821612800., 2075673600., 302702400., 30270240., 2162160., 110880.,
				    3960., 90., 1.};
	static const double b13[] = {64764752532480000., 32382376266240000., 7771770303897600., 1187353796428800.,
				     129060195264000., 10559470521600., 670442572800., 33522128640., 1323241920.,
				     40840800., 960960., 16380., 182., 1.};
	double *A = nb_xmalloc(nn * sizeof *A);
	for (size_t i = 0; i < nn; i++)
		A[i] = nb_get_f64(a, i);
	for (size_t i = 0; i < nn; i++)
		if (!isfinite(A[i])) {
			free(A);
			nb_unref(r);
			nb_err_set(e, NB_NOLOC, "expm: the matrix has non-finite entries");
			return NULL;
		}
	double nrm = norm1(n, A);
	int m = 13, s = 0;
	for (int i = 0; i < 4; i++)
		if (nrm <= theta[i]) {
			m = degs[i];
			break;
		}
	if (m == 13 && nrm > theta[4]) {
		s = (int)ceil(log2(nrm / theta[4]));
		if (s < 0)
			s = 0;
		double sc = ldexp(1.0, -s);
		for (size_t i = 0; i < nn; i++)
			A[i] *= sc;
	}
	const double *b = m == 3 ? b3 : m == 5 ? b5 : m == 7 ? b7 : m == 9 ? b9 : b13;
	double *A2 = nb_xcalloc(nn, sizeof *A2), *A4 = nb_xcalloc(nn, sizeof *A4), *A6 = nb_xcalloc(nn, sizeof *A6);
	double *A8 = nb_xcalloc(nn, sizeof *A8), *U = nb_xcalloc(nn, sizeof *U), *V = nb_xcalloc(nn, sizeof *V);
	double *T = nb_xcalloc(nn, sizeof *T), *T2 = nb_xcalloc(nn, sizeof *T2);
	mm(n, A, A, A2);
	if (m >= 5)
		mm(n, A2, A2, A4);
	if (m >= 7)
		mm(n, A2, A4, A6);
	if (m == 9)
		mm(n, A4, A4, A8);
	if (m <= 9) {
		/* U = A (sum of odd terms), V = sum of even terms */
		const double *P[5] = {NULL, A2, A4, A6, A8};
		for (size_t i = 0; i < nn; i++) {
			double u = 0, v = 0;
			for (int k = m / 2; k >= 1; k--) {
				u += b[2 * k + 1] * P[k][i];
				v += b[2 * k] * P[k][i];
			}
			T[i] = u;
			V[i] = v;
		}
		for (size_t i = 0; i < n; i++) {
			T[i * n + i] += b[1];
			V[i * n + i] += b[0];
		}
		mm(n, A, T, U);
	} else {
		for (size_t i = 0; i < nn; i++)
			T[i] = b[13] * A6[i] + b[11] * A4[i] + b[9] * A2[i];
		mm(n, A6, T, T2);
		for (size_t i = 0; i < nn; i++)
			T2[i] += b[7] * A6[i] + b[5] * A4[i] + b[3] * A2[i];
		for (size_t i = 0; i < n; i++)
			T2[i * n + i] += b[1];
		mm(n, A, T2, U);
		for (size_t i = 0; i < nn; i++)
			T[i] = b[12] * A6[i] + b[10] * A4[i] + b[8] * A2[i];
		mm(n, A6, T, V);
		for (size_t i = 0; i < nn; i++)
			V[i] += b[6] * A6[i] + b[4] * A4[i] + b[2] * A2[i];
		for (size_t i = 0; i < n; i++)
			V[i * n + i] += b[0];
	}
	/* solve (V - U) X = (V + U), in column-major for LAPACK */
	double *P = nb_xmalloc(nn * sizeof *P), *Q = nb_xmalloc(nn * sizeof *Q);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			Q[j * n + i] = V[i * n + j] - U[i * n + j];
			P[j * n + i] = V[i * n + j] + U[i * n + j];
		}
	lapack_int *ipiv = nb_xmalloc(n * sizeof *ipiv);
	lapack_int info = L->dgesv(LAPACK_COL_MAJOR, (lapack_int)n, (lapack_int)n, Q, (lapack_int)n, ipiv, P,
					(lapack_int)n);
	if (info != 0) {
		nb_err_set(e, NB_NOLOC, "expm: the Padé denominator is singular (LAPACK dgesv info %d)", (int)info);
		nb_unref(r);
		r = NULL;
	} else {
		double *X = T;
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < n; j++)
				X[i * n + j] = P[j * n + i];
		for (int k = 0; k < s; k++) {
			mm(n, X, X, T2);
			memcpy(X, T2, nn * sizeof *X);
		}
		memcpy(nb_f64p(r), X, nn * sizeof *X);
	}
	free(A);
	free(A2);
	free(A4);
	free(A6);
	free(A8);
	free(U);
	free(V);
	free(T);
	free(T2);
	free(P);
	free(Q);
	free(ipiv);
	return r;
}
