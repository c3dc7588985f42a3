/*
 * linalg.c - the linear algebra kernels that return several arrays.
 * Single-result operations (inv, solve, det, pinv, expm, cholesky, norm,
 * matrix_rank, svdvals, eigvalsh) are expression functions.
 */
#include <string.h>

#include "../runner/kernel.h"
#include "../runner/linalg.h"

static int k_svd(nb_call *c)
{
	nb_err e = NB_ERR_INIT;
	nb_value *u = NULL, *s = NULL, *vh = NULL;
	if (nb_svd(nb_arg(c, "a"), nb_arg_bool(c, "full_matrices"), &u, &s, &vh, &e) < 0)
		return nb_fail_err(c, "a", &e);
	nb_out(c, 0, u);
	nb_out(c, 1, s);
	return nb_out(c, 2, vh);
}

static const nb_param svd_params[] = {
	{"a", NB_P_ARRAY, NULL, "an m×n matrix", NULL},
	{"full_matrices", NB_P_BOOL, "true", "U is m×m and Vh n×n (false: the thin m×k and k×n, k = min(m, n))", NULL},
	{NULL}};
static const nb_output svd_outs[] = {
	{"U", "left singular vectors as columns"}, {"S", "singular values, descending"},
	{"Vh", "right singular vectors as rows"}, {NULL}};

const nb_kernel nb_k_linalg_svd = {
	"linalg.svd", "singular value decomposition a = U @ diag(S) @ Vh (np.linalg.svd)", svd_params, svd_outs,
	NB_K_PRIMARY, k_svd, "LAPACK dgesdd, as numpy calls it.",
	"- svd: X\n  out: [U, S, Vh]\n"};

static int k_eigh(nb_call *c)
{
	nb_err e = NB_ERR_INIT;
	nb_value *w = NULL, *v = NULL;
	if (nb_eigh(nb_arg(c, "a"), !strcmp(nb_arg_str(c, "UPLO"), "U"), &w, &v, &e) < 0)
		return nb_fail_err(c, "a", &e);
	nb_out(c, 0, w);
	return nb_out(c, 1, v);
}

static const nb_param eigh_params[] = {
	{"a", NB_P_ARRAY, NULL, "a symmetric matrix", NULL},
	{"UPLO", NB_P_CHOICE, "L", "which triangle is read", "L U"}, {NULL}};
static const nb_output eigh_outs[] = {
	{"w", "eigenvalues, ascending"}, {"v", "unit eigenvectors as columns"}, {NULL}};

const nb_kernel nb_k_linalg_eigh = {
	"linalg.eigh", "eigen-decomposition of a symmetric matrix (np.linalg.eigh)", eigh_params, eigh_outs,
	NB_K_PRIMARY, k_eigh, "LAPACK dsyevd, as numpy calls it.", "- eigh: \"X.T @ X\"\n  out: [lam, V]\n"};

static int k_qr(nb_call *c)
{
	nb_err e = NB_ERR_INIT;
	nb_value *q = NULL, *r = NULL;
	if (nb_qr(nb_arg(c, "a"), !strcmp(nb_arg_str(c, "mode"), "complete"), &q, &r, &e) < 0)
		return nb_fail_err(c, "a", &e);
	nb_out(c, 0, q);
	return nb_out(c, 1, r);
}

static const nb_param qr_params[] = {
	{"a", NB_P_ARRAY, NULL, "an m×n matrix", NULL},
	{"mode", NB_P_CHOICE, "reduced", "'reduced': Q is m×k; 'complete': Q is m×m", "reduced complete"}, {NULL}};
static const nb_output qr_outs[] = {{"Q", "orthonormal columns"}, {"R", "upper triangular"}, {NULL}};

const nb_kernel nb_k_linalg_qr = {
	"linalg.qr", "QR decomposition a = Q @ R (np.linalg.qr)", qr_params, qr_outs, NB_K_PRIMARY, k_qr,
	"LAPACK dgeqrf and dorgqr, as numpy calls them.", "- qr: A\n  out: [Q, R]\n"};

static int k_lstsq(nb_call *c)
{
	nb_err e = NB_ERR_INIT;
	nb_value *x = NULL, *res = NULL, *rank = NULL, *sv = NULL;
	double rcond = nb_arg_given(c, "rcond") ? nb_arg_num(c, "rcond") : -1;
	if (nb_lstsq(nb_arg(c, "a"), nb_arg(c, "b"), rcond, &x, &res, &rank, &sv, &e) < 0)
		return nb_fail_err(c, "a", &e);
	nb_out(c, 0, x);
	nb_out(c, 1, res);
	nb_out(c, 2, rank);
	return nb_out(c, 3, sv);
}

static const nb_param lstsq_params[] = {
	{"a", NB_P_ARRAY, NULL, "the m×n coefficient matrix", NULL},
	{"b", NB_P_ARRAY, NULL, "the right-hand side, (m,) or (m, k)", NULL},
	{"rcond", NB_P_NUMBER, NB_OPTIONAL, "singular values below rcond * largest count as zero (default eps * max(m, n))", NULL},
	{NULL}};
static const nb_output lstsq_outs[] = {
	{"x", "the least-squares solution"}, {"residuals", "squared residual norms (empty unless full rank and m > n)"},
	{"rank", "the rank of a"}, {"s", "the singular values of a"}, {NULL}};

const nb_kernel nb_k_linalg_lstsq = {
	"linalg.lstsq", "least-squares solution of a @ x = b (np.linalg.lstsq)", lstsq_params, lstsq_outs, 0, k_lstsq,
	"LAPACK dgelsd, as numpy calls it.", "- lstsq: {a: A, b: y}\n  out: {x: w}\n"};
