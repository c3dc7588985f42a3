/*
 * models.c - the models and data of the seed notebooks: the double-descent
 * linear data model, the two-layer linear network trained by gradient
 * descent, and the theoretical (u, z) dynamics of the same notebook.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../runner/kernel.h"
#include "../runner/linalg.h"
#include "../runner/ops.h"
#include "../runner/random.h"

static nb_value *mat(size_t r, size_t c, nb_err *e)
{
	size_t s[2] = {r, c};
	return nb_array_new(NB_F64, 2, s, e);
}

static nb_value *vec(size_t n, nb_err *e)
{
	return nb_array_new(NB_F64, 1, &n, e);
}

/* --------------------------------------------------- the linear data model */

/*
 * The double-descent data model (porting-notes, seed 002): X = randn(n*d)
 * as n×d; its SVD X = U S Vᵀ gives the transform T = V diag(1/S) diag(F),
 * F the descending modulation (p ones and d - p kappas), so that X T has
 * singular values F; y = X T beta plus noise drawn as two halves and
 * shuffled.  The test set (test_factor * n rows) uses the same T and no
 * noise.  Both are standardised with the training mean and population
 * standard deviation.  Every draw comes from the notebook's stream in the
 * original's order.
 */
static int k_linear_data(nb_call *c)
{
	int64_t d = nb_arg_int(c, "dim"), n = nb_arg_int(c, "samples"), tf = nb_arg_int(c, "test_factor");
	double kappa = nb_arg_num(c, "kappa"), sigma = nb_arg_num(c, "sigma_noise");
	const nb_value *beta = nb_arg(c, "beta");
	int standardize = nb_arg_bool(c, "standardize");
	if (d < 1 || n < 1 || tf < 1)
		return nb_fail(c, d < 1 ? "dim" : n < 1 ? "samples" : "test_factor", "must be at least 1");
	if ((uint64_t)d * (uint64_t)n * (uint64_t)tf > 100000000ULL)
		return nb_fail(c, "samples", "the data set would be too large (dim * samples * test_factor > 10**8)");
	if (beta && (beta->ndim != 1 || beta->size != (size_t)d))
		return nb_fail(c, "beta", "beta must have one weight per feature (%lld)", (long long)d);
	size_t D = (size_t)d, N = (size_t)n, NT = (size_t)(n * tf);
	size_t zero_eigs = N >= D ? 0 : D - N;
	size_t p = (size_t)ceil((double)(D - zero_eigs) / 2.0);
	nb_err e = NB_ERR_INIT;
	nb_rng *r = nb_call_rng(c);
	nb_value *Xraw = mat(N, D, &e), *Xt = Xraw ? mat(NT, D, &e) : NULL;
	nb_value *ys = Xt ? vec(N, &e) : NULL, *yt = ys ? vec(NT, &e) : NULL, *T = yt ? mat(D, D, &e) : NULL;
	nb_value *u = NULL, *s = NULL, *vh = NULL, *Xs = NULL, *Xtt = NULL;
	int rc = -1;
	if (!T) {
		nb_fail_err(c, "samples", &e);
		goto out;
	}
	for (size_t i = 0; i < N * D; i++)
		nb_f64p(Xraw)[i] = nb_rng_gauss(r);
	if (nb_svd(Xraw, 1, &u, &s, &vh, &e) < 0) {
		nb_fail_err(c, "samples", &e);
		goto out;
	}
	/* F: sort(ones with [p:] * kappa) descending, zero-padded to d */
	double *F = nb_xcalloc(D, sizeof *F);
	size_t nf = D - zero_eigs;
	for (size_t i = 0; i < nf; i++)
		F[i] = i < p ? 1.0 : kappa;
	for (size_t i = 0; i < nf; i++) /* descending */
		for (size_t j = i + 1; j < nf; j++)
			if (F[j] > F[i]) {
				double t = F[i];
				F[i] = F[j];
				F[j] = t;
			}
	/* T = Vh.T @ diag(Sinv) @ diag(F) */
	for (size_t i = 0; i < D; i++)
		for (size_t j = 0; j < D; j++) {
			double sinv = j < s->size ? 1.0 / nb_f64p(s)[j] : 0.0;
			nb_f64p(T)[i * D + j] = nb_f64p(vh)[j * D + i] * sinv * F[j];
		}
	free(F);
	if (!(Xs = nb_matmul(Xraw, T, &e))) {
		nb_fail_err(c, "samples", &e);
		goto out;
	}
	for (size_t i = 0; i < N; i++) {
		double acc = 0;
		for (size_t j = 0; j < D; j++)
			acc += nb_f64p(Xs)[i * D + j] * (beta ? nb_get_f64(beta, j) : 1.0);
		nb_f64p(ys)[i] = acc;
	}
	/* noise: two halves, then numpy's legacy shuffle */
	{
		size_t split = (N + 1) / 2;
		double *eps = nb_xmalloc(N * sizeof *eps);
		for (size_t i = 0; i < N; i++)
			eps[i] = sigma * nb_rng_gauss(r);
		for (size_t i = N - 1; i >= 1; i--) {
			size_t j = (size_t)nb_rng_interval(r, i);
			double t = eps[i];
			eps[i] = eps[j];
			eps[j] = t;
		}
		(void)split;
		for (size_t i = 0; i < N; i++)
			nb_f64p(ys)[i] += eps[i];
		free(eps);
	}
	for (size_t i = 0; i < NT * D; i++)
		nb_f64p(Xt)[i] = nb_rng_gauss(r);
	if (!(Xtt = nb_matmul(Xt, T, &e))) {
		nb_fail_err(c, "samples", &e);
		goto out;
	}
	for (size_t i = 0; i < NT; i++) {
		double acc = 0;
		for (size_t j = 0; j < D; j++)
			acc += nb_f64p(Xtt)[i * D + j] * (beta ? nb_get_f64(beta, j) : 1.0);
		nb_f64p(yt)[i] = acc;
	}
	if (standardize) {
		int ax = 0;
		nb_value *mean = nb_reduce(NB_RMEAN, Xs, 1, &ax, 0, 0, &e);
		nb_value *sd = mean ? nb_reduce(NB_RSTD, Xs, 1, &ax, 0, 0, &e) : NULL;
		nb_value *a = sd ? nb_binary(NB_SUB, Xtt, mean, &e) : NULL, *b = a ? nb_binary(NB_DIV, a, sd, &e) : NULL;
		nb_value *a2 = b ? nb_binary(NB_SUB, Xs, mean, &e) : NULL, *b2 = a2 ? nb_binary(NB_DIV, a2, sd, &e) : NULL;
		nb_unref(mean);
		nb_unref(sd);
		nb_unref(a);
		nb_unref(a2);
		if (!b2) {
			nb_unref(b);
			nb_fail_err(c, "standardize", &e);
			goto out;
		}
		nb_unref(Xtt);
		nb_unref(Xs);
		Xtt = b;
		Xs = b2;
	}
	nb_out(c, 0, Xs);
	nb_out(c, 1, ys);
	nb_out(c, 2, Xtt);
	nb_out(c, 3, yt);
	nb_out(c, 4, T);
	nb_out(c, 5, Xraw);
	Xs = ys = Xtt = yt = T = Xraw = NULL;
	rc = 0;
out:
	nb_unref(Xs);
	nb_unref(ys);
	nb_unref(Xtt);
	nb_unref(yt);
	nb_unref(T);
	nb_unref(Xraw);
	nb_unref(Xt);
	nb_unref(u);
	nb_unref(s);
	nb_unref(vh);
	return rc;
}

static const nb_param linear_data_params[] = {
	{"dim", NB_P_INT, NULL, "d, the number of features", NULL},
	{"samples", NB_P_INT, NULL, "n, the number of training examples", NULL},
	{"kappa", NB_P_NUMBER, "10", "the ratio between the large and the small singular values", NULL},
	{"sigma_noise", NB_P_NUMBER, "1", "the standard deviation of the label noise", NULL},
	{"beta", NB_P_ARRAY, NB_OPTIONAL, "the true weights (default: ones)", NULL},
	{"test_factor", NB_P_INT, "100", "the test set has test_factor * samples examples", NULL},
	{"standardize", NB_P_BOOL, "true", "standardise both sets with the training mean and standard deviation", NULL},
	{NULL}};
static const nb_output linear_data_outs[] = {
	{"Xs", "training inputs (n×d)"}, {"ys", "training labels (n,)"}, {"Xt", "test inputs"},
	{"yt", "test labels (no noise)"}, {"T", "the transform applied to the raw samples (d×d)"},
	{"X_raw", "the raw training draws before the transform"}, {NULL}};

const nb_kernel nb_k_models_linear_data = {
	"models.linear_data", "the double-descent linear data model: transformed Gaussian inputs, noisy labels",
	linear_data_params, linear_data_outs, 0, k_linear_data,
	"The training draw X ~ randn(n×d) is transformed by T = V diag(1/S) diag(F) so that its singular values "
	"are F (p = ceil(d/2) ones, the rest kappa; zero-padded when d > n); labels are X T beta plus noise drawn "
	"in two halves and shuffled; the test set uses the same T without noise. Draws follow the original's order "
	"on the notebook's numpy-compatible stream, so a seed reproduces the original data.",
	"- seed: 12\n- linear_data: {dim: 2, samples: 10, kappa: 10}\n  out: [Xs, ys, Xt, yt, T, X_raw]\n"};

/* ------------------------------------------- the two-layer linear network */

/*
 * y = X W1ᵀ W2ᵀ with W1 (h×d) and W2 (1×h), no biases; loss and risk are
 * sums of squared errors (MSELoss(reduction='sum')).  Each step records the
 * training loss at the current weights, takes one gradient step per layer
 * with its own learning rate (both gradients from the same weights), and
 * records the test risk, the squared relative error of w = W1ᵀW2ᵀ against
 * beta and the norms of W1, W1[:, :p], W1[:, p:] and W2, as the original's
 * training loop does.
 *
 * The network is linear, so only w = W1ᵀ W2ᵀ reaches the data: the test
 * risk is (w - w*)ᵀ G (w - w*) + r0 with G = Xtᵀ Xt, w* the test set's
 * least-squares weights and r0 their residual, computed once.  A step costs
 * O(h d + d²) however large the test set, instead of O(N_test d).
 */
static int k_linear_net(nb_call *c)
{
	const nb_value *X = nb_arg(c, "X"), *y = nb_arg(c, "y"), *Xt = nb_arg(c, "Xt"), *yt = nb_arg(c, "yt");
	const nb_value *beta = nb_arg(c, "beta"), *lr = nb_arg(c, "lr");
	int64_t iters = nb_arg_int(c, "iterations"), p = nb_arg_int(c, "p");
	nb_err e = NB_ERR_INIT;
	if (X->ndim != 2 || y->size != X->shape[0])
		return nb_fail(c, "y", "X must be n×d and y hold n labels");
	size_t n = X->shape[0], d = X->shape[1];
	if (Xt->ndim != 2 || Xt->shape[1] != d || yt->size != Xt->shape[0])
		return nb_fail(c, "Xt", "Xt must have d = %zu columns and yt one label per row", d);
	if (beta->size != d)
		return nb_fail(c, "beta", "beta must hold d = %zu weights", d);
	if (lr->size != 1 && lr->size != 2)
		return nb_fail(c, "lr", "lr is one learning rate or one per layer [lr1, lr2]");
	if (iters < 1 || iters > 100000000)
		return nb_fail(c, "iterations", "iterations must be from 1 to 10**8");
	if (p < 0 || (size_t)p > d)
		return nb_fail(c, "p", "p must be between 0 and d = %zu", d);
	const nb_value *W1i = nb_arg(c, "W1"), *W2i = nb_arg(c, "W2");
	size_t h;
	if (W1i) {
		if (W1i->ndim != 2 || W1i->shape[1] != d)
			return nb_fail(c, "W1", "W1 must be h×d with d = %zu", d);
		h = W1i->shape[0];
	} else {
		int64_t hh = nb_arg_given(c, "hidden") ? nb_arg_int(c, "hidden") : 0;
		if (hh < 1)
			return nb_fail(c, "hidden", "give the hidden width (or W1 and W2)");
		h = (size_t)hh;
	}
	if (W2i && (W2i->size != h))
		return nb_fail(c, "W2", "W2 must be 1×h with h = %zu", h);
	const nb_value *scales = nb_arg(c, "scales");
	if (scales->size != 2)
		return nb_fail(c, "scales", "scales is [s1, s2]: W1 starts as s1 * ones and W2 as s2 * ones");
	double lr1 = nb_get_f64(lr, 0), lr2 = nb_get_f64(lr, lr->size - 1);
	size_t T = (size_t)iters;
	double *W1 = nb_xmalloc(h * d * sizeof *W1), *W2 = nb_xmalloc(h * sizeof *W2);
	for (size_t i = 0; i < h * d; i++)
		W1[i] = W1i ? nb_get_f64(W1i, i) : nb_get_f64(scales, 0);
	for (size_t i = 0; i < h; i++)
		W2[i] = W2i ? nb_get_f64(W2i, i) : nb_get_f64(scales, 1);
	/* training statistics: G = XᵀX, b = Xᵀy; test: Gt, w*, r0 */
	double *G = nb_xcalloc(d * d, sizeof *G), *bv = nb_xcalloc(d, sizeof *bv);
	double *Gt = nb_xcalloc(d * d, sizeof *Gt), *wstar = NULL, r0 = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t a = 0; a < d; a++) {
			double xa = nb_get_f64(X, i * d + a);
			bv[a] += xa * nb_get_f64(y, i);
			for (size_t b = 0; b < d; b++)
				G[a * d + b] += xa * nb_get_f64(X, i * d + b);
		}
	for (size_t i = 0; i < Xt->shape[0]; i++)
		for (size_t a = 0; a < d; a++)
			for (size_t b = 0; b < d; b++)
				Gt[a * d + b] += nb_get_f64(Xt, i * d + a) * nb_get_f64(Xt, i * d + b);
	{
		nb_value *xs = NULL, *res = NULL, *rank = NULL, *sv = NULL;
		if (nb_lstsq(Xt, yt, -1, &xs, &res, &rank, &sv, &e) < 0) {
			free(W1);
			free(W2);
			free(G);
			free(bv);
			free(Gt);
			return nb_fail_err(c, "Xt", &e);
		}
		wstar = nb_xmalloc(d * sizeof *wstar);
		for (size_t a = 0; a < d; a++)
			wstar[a] = nb_f64p(xs)[a];
		for (size_t i = 0; i < Xt->shape[0]; i++) {
			double pr = 0;
			for (size_t a = 0; a < d; a++)
				pr += nb_get_f64(Xt, i * d + a) * wstar[a];
			double rr = pr - nb_get_f64(yt, i);
			r0 += rr * rr;
		}
		nb_unref(xs);
		nb_unref(res);
		nb_unref(rank);
		nb_unref(sv);
	}
	nb_value *losses = vec(T, &e), *risks = losses ? vec(T, &e) : NULL, *mse = risks ? mat(T, d, &e) : NULL;
	nb_value *norms = mse ? mat(T, 4, &e) : NULL, *gnorms = norms ? mat(T, 2, &e) : NULL;
	double *w = nb_xmalloc(d * sizeof *w), *Gw = nb_xmalloc(d * sizeof *Gw), *gvec = nb_xmalloc(d * sizeof *gvec);
	double *u = nb_xmalloc(h * sizeof *u), *pred = nb_xmalloc(n * sizeof *pred);
	int rc = -1;
	if (!gnorms) {
		nb_fail_err(c, "iterations", &e);
		goto out;
	}
	/* the data as plain arrays */
	double *Xd = nb_xmalloc(n * d * sizeof *Xd), *yd = nb_xmalloc(n * sizeof *yd);
	for (size_t i = 0; i < n * d; i++)
		Xd[i] = nb_get_f64(X, i);
	for (size_t i = 0; i < n; i++)
		yd[i] = nb_get_f64(y, i);
	double *bet = nb_xmalloc(d * sizeof *bet);
	for (size_t a = 0; a < d; a++)
		bet[a] = nb_get_f64(beta, a);
	/* w = W1ᵀ W2ᵀ for the starting weights; afterwards each step leaves it updated */
	for (size_t a = 0; a < d; a++) {
		double acc = 0;
		for (size_t k = 0; k < h; k++)
			acc += W1[k * d + a] * W2[k];
		w[a] = acc;
	}
	/*
	 * Hidden units that start equal (the same row of W1 and the same weight in W2) get the same
	 * gradients and stay equal: gradient descent keeps the symmetry exactly.  So each group of
	 * equal units is stepped once and counted with its size; with the seed notebook's constant
	 * initialisation all h units form one group.  Past 256 groups there is little to gain, and
	 * every unit is its own group.
	 */
	size_t *grp = nb_xmalloc(h * sizeof *grp), ng = 0, *rep = nb_xmalloc(h * sizeof *rep);
	for (size_t k = 0; k < h && ng <= 256; k++) {
		size_t g = 0;
		while (g < ng && !(W2[rep[g]] == W2[k] && !memcmp(W1 + rep[g] * d, W1 + k * d, d * sizeof *W1)))
			g++;
		if (g == ng)
			rep[ng++] = k;
		grp[k] = g;
	}
	if (ng > 256) {
		ng = h;
		for (size_t k = 0; k < h; k++)
			grp[k] = rep[k] = k;
	}
	double *mult = nb_xcalloc(ng, sizeof *mult);
	for (size_t k = 0; k < h; k++)
		mult[grp[k]] += 1;
	double *V1 = nb_xmalloc(ng * d * sizeof *V1), *V2 = nb_xmalloc(ng * sizeof *V2);
	for (size_t g = 0; g < ng; g++) {
		memcpy(V1 + g * d, W1 + rep[g] * d, d * sizeof *V1);
		V2[g] = W2[rep[g]];
	}
	for (size_t t = 0; t < T; t++) {
		/* the training loss, directly (n is small; no cancellation) */
		double loss = 0;
		for (size_t i = 0; i < n; i++) {
			double pr = -yd[i];
			const double *xi = Xd + i * d;
			for (size_t a = 0; a < d; a++)
				pr += xi[a] * w[a];
			pred[i] = pr;
			loss += pr * pr;
		}
		nb_f64p(losses)[t] = loss;
		/* g = 2 (G w - b): dL/dW1 = W2ᵀ gᵀ, dL/dW2[k] = W1[k] . g */
		for (size_t a = 0; a < d; a++) {
			double acc = 0;
			for (size_t b = 0; b < d; b++)
				acc += G[a * d + b] * w[b];
			gvec[a] = 2 * (acc - bv[a]);
		}
		for (size_t a = 0; a < d; a++)
			w[a] = 0;
		/* one pass over the hidden units: step both layers, accumulate the new w and the norms;
		 * the gradients' norms: |dL/dW1| = |W2| |g| (an outer product), |dL/dW2| = |W1 g| */
		double n1a = 0, n1b = 0, n2 = 0, w2sq = 0, g2sq = 0, gg = 0;
		for (size_t a = 0; a < d; a++)
			gg += gvec[a] * gvec[a];
		for (size_t g = 0; g < ng; g++) {
			double *row = V1 + g * d, uk = 0, m = mult[g];
			for (size_t a = 0; a < d; a++)
				uk += row[a] * gvec[a];
			w2sq += m * V2[g] * V2[g];
			g2sq += m * uk * uk;
			double s1 = lr1 * V2[g];
			double w2 = V2[g] - lr2 * uk;
			V2[g] = w2;
			n2 += m * w2 * w2;
			for (size_t a = 0; a < d; a++) {
				double v = row[a] - s1 * gvec[a];
				row[a] = v;
				w[a] += m * v * w2;
				if (a < (size_t)p)
					n1a += m * v * v;
				else
					n1b += m * v * v;
			}
		}
		double *mrow = nb_f64p(mse) + t * d;
		for (size_t a = 0; a < d; a++) {
			double rel = (w[a] - bet[a]) / bet[a];
			mrow[a] = rel * rel;
		}
		double *nr = nb_f64p(norms) + t * 4;
		nr[0] = sqrt(n1a + n1b);
		nr[1] = sqrt(n1a);
		nr[2] = sqrt(n1b);
		nr[3] = sqrt(n2);
		nb_f64p(gnorms)[2 * t] = sqrt(w2sq * gg);
		nb_f64p(gnorms)[2 * t + 1] = sqrt(g2sq);
		double risk = r0;
		for (size_t a = 0; a < d; a++) {
			double acc = 0;
			for (size_t b = 0; b < d; b++)
				acc += Gt[a * d + b] * (w[b] - wstar[b]);
			risk += (w[a] - wstar[a]) * acc;
		}
		nb_f64p(risks)[t] = risk;
		if ((t & 4095) == 0)
			nb_progress(c, (double)t / (double)T);
	}
	/* every unit takes its group's final weights */
	for (size_t k = 0; k < h; k++) {
		memcpy(W1 + k * d, V1 + grp[k] * d, d * sizeof *W1);
		W2[k] = V2[grp[k]];
	}
	free(grp);
	free(rep);
	free(mult);
	free(V1);
	free(V2);
	free(Xd);
	free(yd);
	free(bet);
	nb_value *W1v = mat(h, d, &e), *W2v = W1v ? mat(1, h, &e) : NULL;
	if (!W2v) {
		nb_unref(W1v);
		nb_fail_err(c, "hidden", &e);
		goto out;
	}
	memcpy(W1v->data, W1, h * d * sizeof *W1);
	memcpy(W2v->data, W2, h * sizeof *W2);
	nb_out(c, 0, losses);
	nb_out(c, 1, risks);
	nb_out(c, 2, mse);
	nb_out(c, 3, norms);
	nb_out(c, 4, W1v);
	nb_out(c, 5, W2v);
	nb_out(c, 6, gnorms);
	losses = risks = mse = norms = gnorms = NULL;
	rc = 0;
out:
	nb_unref(losses);
	nb_unref(risks);
	nb_unref(mse);
	nb_unref(norms);
	nb_unref(gnorms);
	free(W1);
	free(W2);
	free(G);
	free(bv);
	free(Gt);
	free(wstar);
	free(w);
	free(Gw);
	free(gvec);
	free(u);
	free(pred);
	return rc;
}

static const nb_param linear_net_params[] = {
	{"X", NB_P_ARRAY, NULL, "training inputs (n×d)", NULL},
	{"y", NB_P_ARRAY, NULL, "training labels (n values)", NULL},
	{"Xt", NB_P_ARRAY, NULL, "test inputs for the risk", NULL},
	{"yt", NB_P_ARRAY, NULL, "test labels", NULL},
	{"beta", NB_P_ARRAY, NULL, "the true weights, for the weight errors", NULL},
	{"hidden", NB_P_INT, NB_OPTIONAL, "the hidden width h (when W1 is not given)", NULL},
	{"scales", NB_P_ARRAY, "[0.01, 0.01]", "[s1, s2]: W1 = s1 * ones(h, d), W2 = s2 * ones(1, h)", NULL},
	{"W1", NB_P_ARRAY, NB_OPTIONAL, "the starting first layer (h×d), instead of scales", NULL},
	{"W2", NB_P_ARRAY, NB_OPTIONAL, "the starting second layer (1×h), instead of scales", NULL},
	{"lr", NB_P_ARRAY, "[0.001, 0.001]", "the learning rate, or one per layer", NULL},
	{"iterations", NB_P_INT, NULL, "the number of gradient steps", NULL},
	{"p", NB_P_INT, "1", "the first p input features form the first group of W1's norms", NULL},
	{NULL}};
static const nb_output linear_net_outs[] = {
	{"losses", "training loss before each step"}, {"risks", "test risk after each step"},
	{"mse_weights", "((W1ᵀW2ᵀ - beta)/beta)² after each step (iterations×d)"},
	{"weight_norms", "norms of W1, W1[:, :p], W1[:, p:], W2 after each step (iterations×4)"},
	{"W1", "the final first layer"}, {"W2", "the final second layer"},
	{"grad_norms", "norms of the gradients of W1 and W2 at each step (iterations×2)"}, {NULL}};

const nb_kernel nb_k_models_linear_net = {
	"models.linear_net", "train a two-layer linear network by gradient descent, recording loss, risk and weights",
	linear_net_params, linear_net_outs, 0, k_linear_net,
	"The double-descent notebook's training loop: y = X W1ᵀ W2ᵀ, sums of squared errors, plain gradient "
	"descent with a learning rate per layer, in float64. The test risk uses the test set's d×d sufficient "
	"statistics, so each step costs O(h·d + d²) however large the test set; hidden units that start equal "
	"stay equal, and are stepped once per group.",
	"- linear_net: {X: Xs, y: ys, Xt: Xt, yt: yt, beta: beta, hidden: 50, iterations: 100000}\n"
	"  out: [losses, risks, mse_weights, weight_norms, W1, W2, grad_norms]\n"};

/* ------------------------------------------------- the (u, z) dynamics */

/*
 * The theoretical dynamics of the double-descent notebook, in the SVD basis
 * of the training inputs: with S the squared singular values (1×d), beta
 * and eps (1×d),
 *     D = (beta - u z) S + eps sqrt(S),   du = 2 D zᵀ,   dz = 2 u D,
 *     u += lr_u du,   z += lr_z dz        (both from the values before the step),
 * and W = u z Vᵀ gives the loss on (X, y), the risk on (Xt, yt) and the
 * weight errors against beta, step by step.
 */
static int k_uz_dynamics(nb_call *c)
{
	const nb_value *S = nb_arg(c, "S"), *beta = nb_arg(c, "beta"), *eps = nb_arg(c, "eps"), *V = nb_arg(c, "V");
	const nb_value *X = nb_arg(c, "X"), *y = nb_arg(c, "y"), *Xt = nb_arg(c, "Xt"), *yt = nb_arg(c, "yt");
	const nb_value *z0 = nb_arg(c, "z0"), *lr = nb_arg(c, "lr");
	double u = nb_arg_num(c, "u0");
	int64_t iters = nb_arg_int(c, "iterations");
	size_t d = S->size;
	if (beta->size != d || eps->size != d || z0->size != d)
		return nb_fail(c, "S", "S, beta, eps and z0 must all hold d = %zu values", d);
	if (V->ndim != 2 || V->shape[0] != d || V->shape[1] != d)
		return nb_fail(c, "V", "V must be d×d with d = %zu", d);
	if (X->ndim != 2 || X->shape[1] != d || y->size != X->shape[0] || Xt->ndim != 2 || Xt->shape[1] != d ||
	    yt->size != Xt->shape[0])
		return nb_fail(c, "X", "X and Xt must be (examples × d) with one label per row in y and yt");
	if (lr->size != 1 && lr->size != 2)
		return nb_fail(c, "lr", "lr is one learning rate or [lr_z, lr_u]");
	if (iters < 1 || iters > 100000000)
		return nb_fail(c, "iterations", "iterations must be from 1 to 10**8");
	double lrz = nb_get_f64(lr, 0), lru = nb_get_f64(lr, lr->size - 1);
	size_t T = (size_t)iters, n = X->shape[0], nt = Xt->shape[0];
	nb_err e = NB_ERR_INIT;
	nb_value *up = vec(T + 1, &e), *zp = up ? mat(T + 1, d, &e) : NULL, *losses = zp ? vec(T, &e) : NULL;
	nb_value *risks = losses ? vec(T, &e) : NULL, *mse = risks ? mat(T, d, &e) : NULL;
	nb_value *gu = mse ? vec(T, &e) : NULL, *gz = gu ? vec(T, &e) : NULL;
	if (!gz) {
		nb_unref(up);
		nb_unref(zp);
		nb_unref(losses);
		nb_unref(risks);
		nb_unref(mse);
		nb_unref(gu);
		return nb_fail_err(c, "iterations", &e);
	}
	double *z = nb_xmalloc(d * sizeof *z), *D = nb_xmalloc(d * sizeof *D), *w = nb_xmalloc(d * sizeof *w);
	double *G = nb_xcalloc(d * d, sizeof *G), *b = nb_xcalloc(d, sizeof *b), *Gt = nb_xcalloc(d * d, sizeof *Gt);
	double *bt = nb_xcalloc(d, sizeof *bt), c0 = 0, ct = 0;
	/* sufficient statistics of both sets: loss = wᵀGw - 2wᵀb + c */
	for (size_t i = 0; i < n; i++) {
		double yi = nb_get_f64(y, i);
		c0 += yi * yi;
		for (size_t a = 0; a < d; a++) {
			b[a] += nb_get_f64(X, i * d + a) * yi;
			for (size_t q = 0; q < d; q++)
				G[a * d + q] += nb_get_f64(X, i * d + a) * nb_get_f64(X, i * d + q);
		}
	}
	for (size_t i = 0; i < nt; i++) {
		double yi = nb_get_f64(yt, i);
		ct += yi * yi;
		for (size_t a = 0; a < d; a++) {
			bt[a] += nb_get_f64(Xt, i * d + a) * yi;
			for (size_t q = 0; q < d; q++)
				Gt[a * d + q] += nb_get_f64(Xt, i * d + a) * nb_get_f64(Xt, i * d + q);
		}
	}
	for (size_t a = 0; a < d; a++)
		z[a] = nb_get_f64(z0, a);
	nb_f64p(up)[0] = u;
	memcpy(nb_f64p(zp), z, d * sizeof *z);
	for (size_t t = 0; t < T; t++) {
		double du = 0, nz = 0;
		for (size_t a = 0; a < d; a++) {
			double s = nb_get_f64(S, a);
			D[a] = (nb_get_f64(beta, a) - u * z[a]) * s + nb_get_f64(eps, a) * sqrt(s);
			du += D[a] * z[a];
		}
		du *= 2;
		double unew = u + lru * du;
		for (size_t a = 0; a < d; a++) {
			double dz = 2 * u * D[a];
			nz += dz * dz;
			z[a] += lrz * dz;
		}
		u = unew;
		nb_f64p(gu)[t] = fabs(du);
		nb_f64p(gz)[t] = sqrt(nz);
		nb_f64p(up)[t + 1] = u;
		memcpy(nb_f64p(zp) + (t + 1) * d, z, d * sizeof *z);
		/* W = u z Vᵀ */
		for (size_t a = 0; a < d; a++) {
			double acc = 0;
			for (size_t q = 0; q < d; q++)
				acc += z[q] * nb_get_f64(V, a * d + q);
			w[a] = u * acc;
			double be = nb_get_f64(beta, a), rel = (w[a] - be) / be;
			nb_f64p(mse)[t * d + a] = rel * rel;
		}
		double l = c0, r = ct;
		for (size_t a = 0; a < d; a++) {
			double g1 = 0, g2 = 0;
			for (size_t q = 0; q < d; q++) {
				g1 += G[a * d + q] * w[q];
				g2 += Gt[a * d + q] * w[q];
			}
			l += w[a] * g1 - 2 * w[a] * b[a];
			r += w[a] * g2 - 2 * w[a] * bt[a];
		}
		nb_f64p(losses)[t] = l;
		nb_f64p(risks)[t] = r;
		if ((t & 4095) == 0)
			nb_progress(c, (double)t / (double)T);
	}
	free(z);
	free(D);
	free(w);
	free(G);
	free(b);
	free(Gt);
	free(bt);
	nb_out(c, 0, up);
	nb_out(c, 1, zp);
	nb_out(c, 2, losses);
	nb_out(c, 3, risks);
	nb_out(c, 4, mse);
	nb_out(c, 5, gu);
	return nb_out(c, 6, gz);
}

static const nb_param uz_params[] = {
	{"S", NB_P_ARRAY, NULL, "the squared singular values of the training inputs, zero-padded to d", NULL},
	{"beta", NB_P_ARRAY, NULL, "the true weights (d)", NULL},
	{"eps", NB_P_ARRAY, NULL, "the noise in the SVD basis (d)", NULL},
	{"V", NB_P_ARRAY, NULL, "the right singular vectors (d×d): W = u z Vᵀ", NULL},
	{"X", NB_P_ARRAY, NULL, "training inputs (n×d), for the loss", NULL},
	{"y", NB_P_ARRAY, NULL, "training labels", NULL},
	{"Xt", NB_P_ARRAY, NULL, "test inputs, for the risk", NULL},
	{"yt", NB_P_ARRAY, NULL, "test labels", NULL},
	{"u0", NB_P_NUMBER, NULL, "the starting u", NULL},
	{"z0", NB_P_ARRAY, NULL, "the starting z (d)", NULL},
	{"lr", NB_P_ARRAY, "[0.001, 0.001]", "[lr_z, lr_u]", NULL},
	{"iterations", NB_P_INT, NULL, "the number of steps", NULL},
	{NULL}};
static const nb_output uz_outs[] = {
	{"u_path", "u at steps 0..iterations"}, {"z_path", "z at steps 0..iterations (rows)"},
	{"losses", "training loss after each step"}, {"risks", "test risk after each step"},
	{"mse_weights", "((W - beta)/beta)² after each step"}, {"grad_u", "|du| at each step"},
	{"grad_z", "||dz|| at each step"}, {NULL}};

const nb_kernel nb_k_models_uz_dynamics = {
	"models.uz_dynamics", "the theoretical (u, z) gradient dynamics of a two-layer linear network",
	uz_params, uz_outs, 0, k_uz_dynamics,
	"Simulates du = 2 D zᵀ and dz = 2 u D with D = (beta - u z) S + eps sqrt(S), the double-descent "
	"notebook's theory in the SVD basis of the inputs, recording the same quantities as the network's training.",
	"- uz_dynamics: {S: S, beta: beta, eps: eps, V: V, X: Xs, y: ys, Xt: Xt, yt: yt, u0: 0.01, z0: [0.01, 0.01],\n"
	"                iterations: 100000}\n  out: [u_path, z_path, losses, risks, mse_weights, grad_u, grad_z]\n"};

/* --------------------------------------------------------- gradient flow */

/*
 * Gradient flow of least squares L = ½||Xᵀφ - y||² (X is D×I, one column
 * per example) in closed form: with A = XᵀX = V diag(λ) Vᵀ, e^{-At} =
 * V diag(e^{-λt}) Vᵀ, so that over the grid
 *     f(t) = y + e^{-At}(f0 - y),     φ(t) = φ0 - (XXᵀ)⁻¹X (I - e^{-At})(f0 - y).
 * One eigendecomposition, then O(I²) per time.
 */
typedef struct flow {
	size_t D, I;
	double *lam, *V;    /* eigenvalues, eigenvectors (row-major I×I, columns are vectors) */
	double *P;          /* (XXᵀ)⁻¹X, D×I */
} flow;

static int flow_init(nb_call *c, const nb_value *X, flow *F)
{
	nb_err e = NB_ERR_INIT;
	if (X->ndim != 2)
		return nb_fail(c, "X", "X must be D×I (one column per example)");
	F->D = X->shape[0];
	F->I = X->shape[1];
	nb_value *Xt = nb_transpose(X, NULL, &e);
	nb_value *A = Xt ? nb_matmul(Xt, X, &e) : NULL, *XXt = A ? nb_matmul(X, Xt, &e) : NULL;
	nb_value *inv = XXt ? nb_inv(XXt, &e) : NULL, *P = inv ? nb_matmul(inv, X, &e) : NULL;
	nb_value *w = NULL, *v = NULL;
	int rc = 0;
	if (!P || nb_eigh(A, 0, &w, &v, &e) < 0) {
		rc = nb_fail_err(c, "X", &e);
	} else {
		F->lam = nb_xmalloc(F->I * sizeof *F->lam);
		F->V = nb_xmalloc(F->I * F->I * sizeof *F->V);
		F->P = nb_xmalloc(F->D * F->I * sizeof *F->P);
		memcpy(F->lam, w->data, F->I * sizeof *F->lam);
		memcpy(F->V, v->data, F->I * F->I * sizeof *F->V);
		memcpy(F->P, P->data, F->D * F->I * sizeof *F->P);
	}
	nb_unref(Xt);
	nb_unref(A);
	nb_unref(XXt);
	nb_unref(inv);
	nb_unref(P);
	nb_unref(w);
	nb_unref(v);
	return rc;
}

static void flow_free(flow *F)
{
	free(F->lam);
	free(F->V);
	free(F->P);
}

/* out = e^{-At} r, with c = Vᵀ r precomputed */
static void flow_apply(const flow *F, const double *cr, double t, double *out)
{
	size_t I = F->I;
	for (size_t i = 0; i < I; i++) {
		double acc = 0;
		for (size_t k = 0; k < I; k++)
			acc += F->V[i * I + k] * exp(-F->lam[k] * t) * cr[k];
		out[i] = acc;
	}
}

static int k_gradient_flow(nb_call *c)
{
	const nb_value *X = nb_arg(c, "X"), *y = nb_arg(c, "y"), *phi0 = nb_arg(c, "phi_0"), *t = nb_arg(c, "t");
	flow F = {0};
	if (flow_init(c, X, &F) < 0)
		return -1;
	size_t D = F.D, I = F.I, nT = t->size;
	if (y->size != I || phi0->size != D || t->ndim != 1) {
		flow_free(&F);
		return nb_fail(c, "y", "y must hold I = %zu values, phi_0 D = %zu, and t be 1-D", I, D);
	}
	nb_err e = NB_ERR_INIT;
	nb_value *fa = mat(I, nT, &e), *fy = fa ? mat(I, nT, &e) : NULL, *pa = fy ? mat(D, nT, &e) : NULL;
	if (!pa) {
		nb_unref(fa);
		nb_unref(fy);
		flow_free(&F);
		return nb_fail_err(c, "t", &e);
	}
	double *r = nb_xmalloc(I * sizeof *r), *cr = nb_xmalloc(I * sizeof *cr), *er = nb_xmalloc(I * sizeof *er);
	for (size_t i = 0; i < I; i++) {
		double f0 = 0;
		for (size_t k = 0; k < D; k++)
			f0 += nb_get_f64(X, k * I + i) * nb_get_f64(phi0, k);
		r[i] = f0 - nb_get_f64(y, i);
	}
	for (size_t k = 0; k < I; k++) {
		double acc = 0;
		for (size_t i = 0; i < I; i++)
			acc += F.V[i * I + k] * r[i];
		cr[k] = acc;
	}
	for (size_t j = 0; j < nT; j++) {
		flow_apply(&F, cr, nb_get_f64(t, j), er);
		for (size_t i = 0; i < I; i++) {
			nb_f64p(fa)[i * nT + j] = nb_get_f64(y, i) + er[i];
			nb_f64p(fy)[i * nT + j] = er[i];
		}
		for (size_t k = 0; k < D; k++) {
			double acc = 0;
			for (size_t i = 0; i < I; i++)
				acc += F.P[k * I + i] * (r[i] - er[i]);
			nb_f64p(pa)[k * nT + j] = nb_get_f64(phi0, k) - acc;
		}
	}
	free(r);
	free(cr);
	free(er);
	flow_free(&F);
	nb_out(c, 0, fa);
	nb_out(c, 1, fy);
	return nb_out(c, 2, pa);
}

static const nb_param flow_params[] = {
	{"X", NB_P_ARRAY, NULL, "inputs, one column per example (D×I)", NULL},
	{"y", NB_P_ARRAY, NULL, "targets (I values, or I×1)", NULL},
	{"phi_0", NB_P_ARRAY, NULL, "the starting parameters (D values, or D×1)", NULL},
	{"t", NB_P_ARRAY, NULL, "the times (1-D)", NULL},
	{NULL}};
static const nb_output flow_outs[] = {
	{"f_all", "model outputs at the examples over time (I×nT)"},
	{"f_minus_y_all", "residuals over time (I×nT)"},
	{"phi_t_all", "parameters over time (D×nT)"}, {NULL}};

const nb_kernel nb_k_models_gradient_flow = {
	"models.gradient_flow", "closed-form gradient flow of linear least squares over a time grid", flow_params,
	flow_outs, 0, k_gradient_flow,
	"f(t) = y + e^{-XᵀXt}(f0 - y) and φ(t) = φ0 - (XXᵀ)⁻¹X(I - e^{-XᵀXt})(f0 - y), with the matrix exponential "
	"from one eigendecomposition of XᵀX, so a grid of thousands of times costs little.",
	"- gradient_flow: {X: X, y: y, phi_0: phi_0, t: t_all}\n  out: [f_all, f_minus_y_all, phi_t_all]\n"};

static int k_flow_predict(nb_call *c)
{
	const nb_value *X = nb_arg(c, "X"), *y = nb_arg(c, "y"), *t = nb_arg(c, "t");
	const nb_value *xp = nb_arg(c, "x_predict"), *cov = nb_arg(c, "cov_init");
	flow F = {0};
	if (flow_init(c, X, &F) < 0)
		return -1;
	size_t D = F.D, I = F.I, nT = t->size;
	if (y->size != I || xp->ndim != 2 || xp->shape[0] != D || cov->size != D * D) {
		flow_free(&F);
		return nb_fail(c, "x_predict", "x_predict must be D×nX (D = %zu), y hold I = %zu values, cov_init be D×D", D, I);
	}
	size_t nX = xp->shape[1];
	nb_err e = NB_ERR_INIT;
	nb_value *mean = mat(nT, nX, &e), *var = mean ? mat(nT, nX, &e) : NULL;
	if (!var) {
		nb_unref(mean);
		flow_free(&F);
		return nb_fail_err(c, "t", &e);
	}
	/* M(t) = P (I - E(t)); a = xpᵀ M y; b = xpᵀ (I_D - M Xᵀ); var = diag(b cov bᵀ) */
	double *My = nb_xmalloc(D * sizeof *My), *MX = nb_xmalloc(D * D * sizeof *MX);
	double *Ey = nb_xmalloc(I * sizeof *Ey), *cy = nb_xmalloc(I * sizeof *cy);
	double *EX = nb_xmalloc(I * D * sizeof *EX), *cX = nb_xmalloc(I * D * sizeof *cX), *col = nb_xmalloc(I * sizeof *col);
	double *bj = nb_xmalloc(D * sizeof *bj);
	for (size_t k = 0; k < I; k++) {
		double acc = 0;
		for (size_t i = 0; i < I; i++)
			acc += F.V[i * I + k] * nb_get_f64(y, i);
		cy[k] = acc;
		for (size_t q = 0; q < D; q++) {
			double s = 0;
			for (size_t i = 0; i < I; i++)
				s += F.V[i * I + k] * nb_get_f64(X, q * I + i); /* (Xᵀ)[i, q] = X[q, i] */
			cX[k * D + q] = s;
		}
	}
	for (size_t j = 0; j < nT; j++) {
		double tj = nb_get_f64(t, j);
		flow_apply(&F, cy, tj, Ey);
		for (size_t q = 0; q < D; q++) {
			for (size_t k = 0; k < I; k++)
				col[k] = cX[k * D + q];
			flow_apply(&F, col, tj, EX + q * I);
		}
		for (size_t a = 0; a < D; a++) {
			double acc = 0;
			for (size_t i = 0; i < I; i++)
				acc += F.P[a * I + i] * (nb_get_f64(y, i) - Ey[i]);
			My[a] = acc;
			for (size_t q = 0; q < D; q++) {
				double s = 0;
				for (size_t i = 0; i < I; i++)
					s += F.P[a * I + i] * (nb_get_f64(X, q * I + i) - EX[q * I + i]);
				MX[a * D + q] = s;
			}
		}
		for (size_t x = 0; x < nX; x++) {
			double m = 0;
			for (size_t a = 0; a < D; a++)
				m += nb_get_f64(xp, a * nX + x) * My[a];
			nb_f64p(mean)[j * nX + x] = m;
			for (size_t q = 0; q < D; q++) {
				double s = nb_get_f64(xp, q * nX + x);
				for (size_t a = 0; a < D; a++)
					s -= nb_get_f64(xp, a * nX + x) * MX[a * D + q];
				bj[q] = s;
			}
			double v = 0;
			for (size_t a = 0; a < D; a++)
				for (size_t q = 0; q < D; q++)
					v += bj[a] * nb_get_f64(cov, a * D + q) * bj[q];
			nb_f64p(var)[j * nX + x] = v;
		}
	}
	free(My);
	free(MX);
	free(Ey);
	free(cy);
	free(EX);
	free(cX);
	free(col);
	free(bj);
	flow_free(&F);
	nb_out(c, 0, mean);
	return nb_out(c, 1, var);
}

static const nb_param predict_params[] = {
	{"X", NB_P_ARRAY, NULL, "training inputs, one column per example (D×I)", NULL},
	{"y", NB_P_ARRAY, NULL, "training targets (I values)", NULL},
	{"t", NB_P_ARRAY, NULL, "the times (1-D)", NULL},
	{"x_predict", NB_P_ARRAY, NULL, "where to predict, one column per point (D×nX)", NULL},
	{"cov_init", NB_P_ARRAY, NULL, "the covariance of the starting parameters (D×D)", NULL},
	{NULL}};
static const nb_output predict_outs[] = {
	{"mean", "predictive mean over time (nT×nX)"}, {"var", "predictive variance over time (nT×nX)"}, {NULL}};

const nb_kernel nb_k_models_gradient_flow_predict = {
	"models.gradient_flow_predict", "predictive mean and variance of a linear model under gradient flow",
	predict_params, predict_outs, 0, k_flow_predict,
	"With φ0 ~ N(0, cov_init) and M(t) = (XXᵀ)⁻¹X(I - e^{-XᵀXt}): the mean is x_predictᵀ M(t) y and the "
	"variance the diagonal of b cov_init bᵀ with b = x_predictᵀ (I - M(t) Xᵀ), as in the gradient-flow notebook.",
	"- gradient_flow_predict: {X: X, y: y, t: t_all, x_predict: x_predict, cov_init: cov_init}\n"
	"  out: [predict_mean_all, predict_var_all]\n"};

/* --------------------------------------------------- shallow networks */

static double activate(const char *act, double z, double alpha)
{
	if (!strcmp(act, "relu"))
		return z > 0 ? z : 0.0;
	if (!strcmp(act, "sigmoid"))
		return z >= 0 ? 1.0 / (1.0 + exp(-z)) : exp(z) / (1.0 + exp(z));
	if (!strcmp(act, "heaviside"))
		return z >= 0 ? 1.0 : 0.0;
	if (!strcmp(act, "tanh"))
		return tanh(z);
	if (!strcmp(act, "leaky_relu"))
		return z > 0 ? z : alpha * z;
	return z; /* linear */
}

/*
 * A shallow network with one input and one output (udlbook chapter 3):
 * K hidden units with pre-activations theta[k, 0] + theta[k, 1] x, an
 * activation, and y = phi[0] + sum_k phi[k+1] act_k.  The intermediate
 * quantities are outputs too, since the notebooks plot them.
 */
static int k_shallow_net(nb_call *c)
{
	const nb_value *x = nb_arg(c, "x"), *theta = nb_arg(c, "theta"), *phi = nb_arg(c, "phi");
	const char *act = nb_arg_str(c, "activation");
	double alpha = nb_arg_num(c, "alpha");
	if (theta->ndim != 2 || theta->shape[1] != 2)
		return nb_fail(c, "theta", "theta must be K×2: a bias and a slope per hidden unit");
	size_t K = theta->shape[0], N = x->size;
	if (phi->size != K + 1)
		return nb_fail(c, "phi", "phi must hold K + 1 = %zu values: the output bias, then one weight per hidden unit", K + 1);
	nb_err e = NB_ERR_INIT;
	nb_value *y = nb_array_like(x, NB_F64, &e), *pre = y ? mat(K, N, &e) : NULL;
	nb_value *ac = pre ? mat(K, N, &e) : NULL, *wa = ac ? mat(K, N, &e) : NULL;
	if (!wa) {
		nb_unref(y);
		nb_unref(pre);
		nb_unref(ac);
		return nb_fail_err(c, "x", &e);
	}
	for (size_t i = 0; i < N; i++) {
		double xi = nb_get_f64(x, i), out = nb_get_f64(phi, 0);
		for (size_t k = 0; k < K; k++) {
			double z = nb_get_f64(theta, 2 * k) + nb_get_f64(theta, 2 * k + 1) * xi;
			double a = activate(act, z, alpha), wk = nb_get_f64(phi, k + 1) * a;
			nb_f64p(pre)[k * N + i] = z;
			nb_f64p(ac)[k * N + i] = a;
			nb_f64p(wa)[k * N + i] = wk;
			out += wk;
		}
		nb_f64p(y)[i] = out;
	}
	nb_out(c, 0, y);
	nb_out(c, 1, pre);
	nb_out(c, 2, ac);
	return nb_out(c, 3, wa);
}

static const nb_param shallow_params[] = {
	{"x", NB_P_ARRAY, NULL, "the inputs", NULL},
	{"theta", NB_P_ARRAY, NULL, "K×2: each hidden unit's bias and slope", NULL},
	{"phi", NB_P_ARRAY, NULL, "K + 1 values: the output bias, then each hidden unit's weight", NULL},
	{"activation", NB_P_CHOICE, "relu", "the activation function (heaviside is 1 at 0)",
	 "relu sigmoid heaviside linear tanh leaky_relu"},
	{"alpha", NB_P_NUMBER, "0.1", "leaky_relu's slope below zero", NULL},
	{NULL}};
static const nb_output shallow_outs[] = {
	{"y", "the network's outputs, shaped like x"}, {"pre", "pre-activations (K×N)"},
	{"act", "activations (K×N)"}, {"w_act", "weighted activations (K×N)"}, {NULL}};

const nb_kernel nb_k_models_shallow_net = {
	"models.shallow_net", "a shallow network with one input, K hidden units and one output", shallow_params,
	shallow_outs, 0, k_shallow_net, NULL,
	"- shallow_net:\n    x: x\n    theta: [[0.3, -1.0], [-1.0, 2.0], [-0.5, 0.65]]\n    phi: [-0.3, 2.0, -1.0, 7.0]\n"
	"  out: [y, pre, act, w_act]\n"};

/* ----------------------------------------------------------- losses */

/*
 * Negative log-likelihoods of udlbook chapter 5, summed over examples:
 *   least_squares  sum (y - f)²
 *   gaussian       -sum log N(y; f, sigma²)
 *   bernoulli      -sum y log λ + (1 - y) log(1 - λ), λ = sigmoid(f) (or f with logits: false)
 *   categorical    -sum log λ[y_i, i], λ = softmax(f) over the class axis (or f itself)
 * The likelihood (the product) is an output too; it underflows for many
 * examples, which is why the notebooks move to the negative log.
 */
static int k_loss(nb_call *c)
{
	const char *kind = nb_arg_str(c, "kind");
	const nb_value *y = nb_arg(c, "y"), *f = nb_arg(c, "pred");
	int logits = nb_arg_bool(c, "logits");
	double sigma = nb_arg_num(c, "sigma");
	double nll = 0;
	if (!strcmp(kind, "categorical")) {
		if (f->ndim != 2)
			return nb_fail(c, "pred", "categorical predictions must be classes × examples (K×N)");
		size_t K = f->shape[0], N = f->shape[1];
		if (y->size != N)
			return nb_fail(c, "y", "y must hold one class index per example (%zu)", N);
		for (size_t i = 0; i < N; i++) {
			double yi = nb_get_f64(y, i);
			if (yi != floor(yi) || yi < 0 || yi >= (double)K)
				return nb_fail(c, "y", "class %g is not an index below K = %zu", yi, K);
			size_t cls = (size_t)yi;
			double lp;
			if (logits) {
				double m = -INFINITY, s = 0;
				for (size_t k = 0; k < K; k++)
					if (nb_get_f64(f, k * N + i) > m)
						m = nb_get_f64(f, k * N + i);
				for (size_t k = 0; k < K; k++)
					s += exp(nb_get_f64(f, k * N + i) - m);
				lp = nb_get_f64(f, cls * N + i) - m - log(s);
			} else {
				lp = log(nb_get_f64(f, cls * N + i));
			}
			nll -= lp;
		}
	} else {
		if (y->size != f->size)
			return nb_fail(c, "pred", "pred must hold one value per target (%zu), got %zu", y->size, f->size);
		if (!strcmp(kind, "gaussian") && !(sigma > 0))
			return nb_fail(c, "sigma", "sigma must be positive");
		for (size_t i = 0; i < y->size; i++) {
			double yi = nb_get_f64(y, i), fi = nb_get_f64(f, i);
			if (!strcmp(kind, "least_squares")) {
				nll += (yi - fi) * (yi - fi);
			} else if (!strcmp(kind, "gaussian")) {
				double r = (yi - fi) / sigma;
				nll += 0.5 * r * r + log(sigma) + 0.5 * log(2 * M_PI);
			} else { /* bernoulli */
				if (yi != 0 && yi != 1)
					return nb_fail(c, "y", "bernoulli targets must be 0 or 1, got %g", yi);
				double lp1, lp0; /* log λ, log(1 - λ) */
				if (logits) {
					lp1 = fi >= 0 ? -log1p(exp(-fi)) : fi - log1p(exp(fi));
					lp0 = lp1 - fi;
				} else {
					lp1 = log(fi);
					lp0 = log1p(-fi);
				}
				nll -= yi == 1 ? lp1 : lp0;
			}
		}
	}
	nb_out(c, 0, nb_f64(nll));
	return nb_out(c, 1, nb_f64(!strcmp(kind, "least_squares") ? NAN : exp(-nll)));
}

static const nb_param loss_params[] = {
	{"kind", NB_P_CHOICE, NULL, "the likelihood", "least_squares gaussian bernoulli categorical"},
	{"y", NB_P_ARRAY, NULL, "the targets (class indices for categorical)", NULL},
	{"pred", NB_P_ARRAY, NULL, "the model's outputs (K×N for categorical)", NULL},
	{"sigma", NB_P_NUMBER, "1", "gaussian: the standard deviation", NULL},
	{"logits", NB_P_BOOL, "true", "bernoulli and categorical: pred are logits (sigmoid/softmax applied here)", NULL},
	{NULL}};
static const nb_output loss_outs[] = {
	{"nll", "the negative log-likelihood (the sum of squares for least_squares)"},
	{"likelihood", "exp(-nll), the product of the example likelihoods (nan for least_squares)"}, {NULL}};

const nb_kernel nb_k_models_loss = {
	"models.loss", "least-squares, Gaussian, Bernoulli and categorical negative log-likelihoods", loss_params,
	loss_outs, 0, k_loss,
	"Computed stably from logits (log-sigmoid and log-softmax), summed over the examples.",
	"- loss: {kind: bernoulli, y: y_train, pred: model_out}\n  out: [nll, likelihood]\n"};

/* ------------------------------------------------ linear regression */

/*
 * The maximum-likelihood and MAP solutions of linear regression as the
 * gradient-flow notebook writes them (X is D×I, one column per example):
 *     ML  = (X Xᵀ)⁻¹ X y,      MAP = (X Xᵀ + I sigma_sq / sigma_sq_p)⁻¹ X y.
 */
static int k_linreg(nb_call *c)
{
	const nb_value *X = nb_arg(c, "X"), *y = nb_arg(c, "y");
	int map = !strcmp(nb_arg_str(c, "method"), "map");
	double s2 = nb_arg_num(c, "sigma_sq"), sp2 = nb_arg_num(c, "sigma_sq_p");
	if (X->ndim != 2 || y->size != X->shape[1])
		return nb_fail(c, "y", "X must be D×I and y hold I values");
	if (map && !(sp2 > 0))
		return nb_fail(c, "sigma_sq_p", "the prior variance must be positive");
	nb_err e = NB_ERR_INIT;
	size_t D = X->shape[0];
	nb_value *Xt = nb_transpose(X, NULL, &e), *A = Xt ? nb_matmul(X, Xt, &e) : NULL;
	if (A && map)
		for (size_t i = 0; i < D; i++)
			nb_f64p(A)[i * D + i] += s2 / sp2;
	int64_t col[2] = {-1, 1};
	nb_value *yc = A ? nb_reshape(y, 2, col, &e) : NULL;
	nb_value *inv = yc ? nb_inv(A, &e) : NULL, *ix = inv ? nb_matmul(inv, X, &e) : NULL;
	nb_value *phi = ix ? nb_matmul(ix, yc, &e) : NULL;
	nb_unref(Xt);
	nb_unref(A);
	nb_unref(yc);
	nb_unref(inv);
	nb_unref(ix);
	if (!phi)
		return nb_fail_err(c, "X", &e);
	return nb_out(c, 0, phi);
}

static const nb_param linreg_params[] = {
	{"X", NB_P_ARRAY, NULL, "inputs, one column per example (D×I)", NULL},
	{"y", NB_P_ARRAY, NULL, "targets (I values)", NULL},
	{"method", NB_P_CHOICE, "ml", "ml: maximum likelihood; map: with a N(0, sigma_sq_p I) prior", "ml map"},
	{"sigma_sq", NB_P_NUMBER, "1", "map: the noise variance", NULL},
	{"sigma_sq_p", NB_P_NUMBER, "1", "map: the prior variance", NULL},
	{NULL}};
static const nb_output linreg_outs[] = {{"phi", "the parameters (D×1)"}, {NULL}};

const nb_kernel nb_k_models_linreg = {
	"models.linreg", "maximum-likelihood and MAP solutions of linear regression", linreg_params, linreg_outs, 0,
	k_linreg, "The formulas of the gradient-flow notebook, evaluated as it does (inverse, then products).",
	"- linreg: {X: X, y: y, method: map, sigma_sq: 0.05, sigma_sq_p: 3.0}\n  out: MAPParams\n"};
