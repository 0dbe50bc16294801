/* 2D Darcy flow, -div(a grad u) = f on (0,1)^2 with u = 0 on the boundary (Li et al., ICLR
 * 2021, section 5.2), on the s x s vertex grid x_i = i h, h = 1/(s-1); darcy.h states the
 * conventions in full.
 *
 * Coefficient: a zero-Neumann Gaussian random field, the cosine series
 *     g(x_i, y_j) = sum_{k != 0} sqrt(lambda_k) xi_k c_k1 c_k2 cos(pi k1 x_i) cos(pi k2 y_j),
 *     lambda_k = sigma^2 (pi^2 |k|^2 + tau^2)^(-alpha),  c_0 = 1, c_k = sqrt 2,  0 <= k1, k2 < s,
 * synthesised by one FFTW REDFT00 (DCT-I) in each dimension, which computes
 *     Y_i = X_0 + (-1)^i X_{s-1} + 2 sum_{k=1}^{s-2} X_k cos(pi k i / (s-1)),
 * so the input is X_k = sqrt(lambda_k) xi_k c_k1 c_k2 e_k1 e_k2 with e = 1 at k = 0 and
 * k = s-1 and 1/2 in between; then a = high where g >= threshold, low elsewhere.
 *
 * Scheme: the 5-point flux form
 *     sum over the 4 neighbours nb of  w_nb (u_ij - u_nb) = f_ij,   w_nb = a_face / h^2,
 * a_face the arithmetic or harmonic mean of the two vertex values; unknowns are the interior
 * vertices in the natural order p = (i-1) m + (j-1), m = s - 2, so the matrix A is SPD with
 * bandwidth m: A_pp = sum of the 4 w, A_{p,p-1} = -w_y[p] (to (i, j-1)), A_{p,p-m} = -w_x[p]
 * (to (i-1, j)); couplings to boundary vertices (u = 0) stay on the diagonal only.
 *
 * Solvers: LAPACKE_dpbsv (upper band, column-major: ab[kd + q - p + p ldab] = A(q, p)) or
 * PCG with a relaxed MIC(0) preconditioner M = (D + L) D^{-1} (D + L^T), L the strict lower
 * part of A and
 *     D_p = A_pp - w_y[p] (w_y[p] + omega w_x[p-1+m]) / D_{p-1}
 *                - w_x[p] (w_x[p] + omega w_y[p-m+1]) / D_{p-m},
 * which matches A's diagonal (omega = 0, IC(0)) or also its row sums (omega = 1, MIC(0))
 * (Gustafsson 1978; Saad, "Iterative methods for sparse linear systems", chapter 10, on
 * modified ILU). Both sweeps read padded vectors so that no branch tests the grid edges.
 */
#include "sciml/darcy.h"

#include <fftw3.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------
 * The cosine-series Gaussian random field.
 */
struct sciml_grf_cosine {
    int64_t resolution; /* s */
    double alpha, tau, sigma;
    double *scale;    /* (s, s): sqrt(lambda_k) c_k1 c_k2 e_k1 e_k2, 0 at k = 0 */
    double *spectrum; /* (s, s): transform input, overwritten each sample */
    double *field;    /* (s, s): transform output */
    fftw_plan plan;
};

static int valid_positive(double value) {
    return isfinite(value) && value > 0.0;
}

double sciml_grf_cosine_eigenvalue(const sciml_grf_cosine *grf, double k_squared) {
    if (k_squared <= 0.0)
        return 0.0;
    double base = SCIML_PI * SCIML_PI * k_squared + grf->tau * grf->tau;
    return grf->sigma * grf->sigma * pow(base, -grf->alpha);
}

/* c_k e_k for one dimension: the orthonormal-eigenfunction factor times REDFT00's weight. */
static double cosine_mode_factor(int64_t k, int64_t s) {
    double normalisation = k == 0 ? 1.0 : sqrt(2.0);
    double redft_weight = (k == 0 || k == s - 1) ? 1.0 : 0.5;
    return normalisation * redft_weight;
}

sciml_status sciml_grf_cosine_create(sciml_ctx *ctx, int64_t resolution, double alpha, double tau,
                                     double sigma, sciml_grf_cosine **out) {
    if (out == NULL)
        return sciml_error(ctx, SCIML_ERR_ARG, "sciml_grf_cosine_create: out is NULL");
    *out = NULL;
    if (resolution < 2 || resolution > SCIML_DARCY_MAX_RESOLUTION)
        return sciml_error(ctx, SCIML_ERR_RANGE,
                           "cosine Gaussian random field: resolution %lld is out of range "
                           "(expected 2 to %lld points per side)",
                           (long long)resolution, (long long)SCIML_DARCY_MAX_RESOLUTION);
    if (!valid_positive(alpha) || !valid_positive(tau) || !valid_positive(sigma))
        return sciml_error(ctx, SCIML_ERR_RANGE,
                           "cosine Gaussian random field: alpha = %g, tau = %g, sigma = %g (each "
                           "must be finite and > 0)",
                           alpha, tau, sigma);
    sciml_grf_cosine *grf = calloc(1, sizeof *grf);
    if (grf == NULL)
        return sciml_error(ctx, SCIML_ERR_NOMEM, "cosine Gaussian random field: out of memory");
    grf->resolution = resolution;
    grf->alpha = alpha;
    grf->tau = tau;
    grf->sigma = sigma;
    /* s <= 8193: s^2 doubles cannot overflow size_t. */
    size_t count = (size_t)resolution * (size_t)resolution;
    grf->scale = sciml_alloc_array(count, sizeof(double));
    grf->spectrum = fftw_malloc(count * sizeof(double));
    grf->field = fftw_malloc(count * sizeof(double));
    if (grf->scale == NULL || grf->spectrum == NULL || grf->field == NULL) {
        sciml_grf_cosine_destroy(&grf);
        return sciml_error(ctx, SCIML_ERR_NOMEM,
                           "cosine Gaussian random field: out of memory for a %lld^2 grid",
                           (long long)resolution);
    }
    grf->plan = fftw_plan_r2r_2d((int)resolution, (int)resolution, grf->spectrum, grf->field,
                                 FFTW_REDFT00, FFTW_REDFT00, FFTW_ESTIMATE);
    if (grf->plan == NULL) {
        sciml_grf_cosine_destroy(&grf);
        return sciml_error(ctx, SCIML_ERR_INTERNAL,
                           "cosine Gaussian random field: FFTW could not plan a %lld^2 DCT-I",
                           (long long)resolution);
    }
    for (int64_t k1 = 0; k1 < resolution; k1++)
        for (int64_t k2 = 0; k2 < resolution; k2++) {
            double lambda = sciml_grf_cosine_eigenvalue(grf, (double)(k1 * k1 + k2 * k2));
            grf->scale[k1 * resolution + k2] = sqrt(lambda) * cosine_mode_factor(k1, resolution) *
                                               cosine_mode_factor(k2, resolution);
        }
    *out = grf;
    return SCIML_OK;
}

void sciml_grf_cosine_sample(sciml_grf_cosine *grf, sciml_rng *rng, double *out) {
    const int64_t count = grf->resolution * grf->resolution;
    grf->spectrum[0] = 0.0; /* k = 0: zero-mean field, no normal drawn */
    for (int64_t index = 1; index < count; index++)
        grf->spectrum[index] = grf->scale[index] * sciml_rng_normal(rng);
    fftw_execute(grf->plan);
    memcpy(out, grf->field, (size_t)count * sizeof(double));
}

int64_t sciml_grf_cosine_resolution(const sciml_grf_cosine *grf) {
    return grf->resolution;
}

void sciml_grf_cosine_destroy(sciml_grf_cosine **grf) {
    if (grf == NULL || *grf == NULL)
        return;
    sciml_grf_cosine *g = *grf;
    if (g->plan != NULL)
        fftw_destroy_plan(g->plan);
    fftw_free(g->spectrum);
    fftw_free(g->field);
    free(g->scale);
    free(g);
    *grf = NULL;
}

/* ---------------------------------------------------------------------------------------
 * The Darcy problem.
 */
struct sciml_darcy {
    int64_t resolution; /* s */
    int64_t interior;   /* m = s - 2 unknowns per line */
    int64_t unknowns;   /* n = m^2 */
    sciml_darcy_options options;
    sciml_darcy_method method; /* BANDED or PCG, resolved from options.method */
    sciml_grf_cosine *grf;
    double *grf_field; /* (s, s) GRF sample before thresholding */
    /* The assembled matrix, see the file comment. The couplings have m zeros after their n
     * entries, so that w[p + 1] and w[p + m] may be read for every p < n. */
    double *diagonal;   /* (n) */
    double *coupling_y; /* (n + m) w_y[p]: coupling of p to p - 1 (0 at j = 1) */
    double *coupling_x; /* (n + m) w_x[p]: coupling of p to p - m (0 at i = 1) */
    double *rhs;        /* (n) b */
    /* Vectors that A or the preconditioner's sweeps read at p - m .. p + m: each points m
     * entries into an allocation of n + 2m doubles whose padding stays 0, so the loops need no
     * branches at the grid's edges (a coupling to a boundary vertex is 0 already). */
    double *solution, *solution_storage;             /* (n) u */
    double *direction, *direction_storage;           /* (n) PCG search direction */
    double *preconditioned, *preconditioned_storage; /* (n) z = M^{-1} r */
    /* BANDED: (m + 1, n) column-major upper band. */
    double *band;
    /* PCG: the MIC(0) factor scaled for the sweeps, (n) each: 1/D_p, and w / D_p for the
     * forward (lower) and backward (upper) couplings. */
    double *inverse_pivot, *lower_y, *lower_x, *upper_y, *upper_x;
    double *residual, *product; /* (n) r and A d */
    int64_t last_iterations;
    double last_residual;
};

void sciml_darcy_options_default(sciml_darcy_options *options) {
    memset(options, 0, sizeof *options);
    options->method = SCIML_DARCY_AUTO;
    options->face_mean = SCIML_DARCY_ARITHMETIC;
    options->tolerance = SCIML_DARCY_TOLERANCE;
    options->max_iterations = 0;
    options->forcing = SCIML_DARCY_FORCING;
    options->alpha = SCIML_DARCY_ALPHA;
    options->tau = SCIML_DARCY_TAU;
    options->sigma = SCIML_DARCY_SIGMA;
    options->threshold = SCIML_DARCY_THRESHOLD;
    options->high = SCIML_DARCY_HIGH;
    options->low = SCIML_DARCY_LOW;
}

static sciml_status check_options(sciml_ctx *ctx, const sciml_darcy_options *options) {
    if (options->method != SCIML_DARCY_AUTO && options->method != SCIML_DARCY_BANDED &&
        options->method != SCIML_DARCY_PCG)
        return sciml_error(ctx, SCIML_ERR_RANGE,
                           "Darcy: solver method %d is unknown (expected auto 0, banded 1, pcg 2)",
                           (int)options->method);
    if (options->face_mean != SCIML_DARCY_ARITHMETIC && options->face_mean != SCIML_DARCY_HARMONIC)
        return sciml_error(ctx, SCIML_ERR_RANGE,
                           "Darcy: face mean %d is unknown (expected arithmetic 0, harmonic 1)",
                           (int)options->face_mean);
    if (!(isfinite(options->tolerance) && options->tolerance > 0.0 && options->tolerance < 1.0))
        return sciml_error(ctx, SCIML_ERR_RANGE,
                           "Darcy: PCG tolerance %g is out of range (expected 0 < tolerance < 1)",
                           options->tolerance);
    if (options->max_iterations < 0)
        return sciml_error(ctx, SCIML_ERR_RANGE,
                           "Darcy: PCG iteration limit %lld is negative (expected >= 1, or 0 for "
                           "automatic)",
                           (long long)options->max_iterations);
    if (!isfinite(options->forcing))
        return sciml_error(ctx, SCIML_ERR_NONFINITE, "Darcy: forcing f = %g is not finite",
                           options->forcing);
    if (!valid_positive(options->high) || !valid_positive(options->low))
        return sciml_error(ctx, SCIML_ERR_RANGE,
                           "Darcy: coefficient values high = %g, low = %g (each must be finite and "
                           "> 0)",
                           options->high, options->low);
    if (!isfinite(options->threshold))
        return sciml_error(ctx, SCIML_ERR_NONFINITE, "Darcy: threshold %g is not finite",
                           options->threshold);
    return SCIML_OK;
}

/* Allocates count doubles into *slot; returns 0 on failure. */
static int allocate_vector(double **slot, int64_t count) {
    *slot = sciml_alloc_array((size_t)count, sizeof(double));
    return *slot != NULL;
}

/* Allocates count zeroed doubles into *slot; returns 0 on failure. */
static int allocate_zeroed(double **slot, int64_t count) {
    *slot = sciml_calloc_array((size_t)count, sizeof(double));
    return *slot != NULL;
}

/* Allocates count zeroed doubles with `padding` zeros on each side: *storage owns the block,
 * *vector points past the leading padding. Returns 0 on failure. */
static int allocate_padded(double **storage, double **vector, int64_t count, int64_t padding) {
    *storage = sciml_calloc_array((size_t)(count + 2 * padding), sizeof(double));
    *vector = *storage != NULL ? *storage + padding : NULL;
    return *storage != NULL;
}

sciml_status sciml_darcy_create(sciml_ctx *ctx, int64_t resolution,
                                const sciml_darcy_options *options, sciml_darcy **out) {
    if (out == NULL)
        return sciml_error(ctx, SCIML_ERR_ARG, "sciml_darcy_create: out is NULL");
    *out = NULL;
    if (resolution < 3 || resolution > SCIML_DARCY_MAX_RESOLUTION)
        return sciml_error(ctx, SCIML_ERR_RANGE,
                           "Darcy: resolution %lld is out of range (expected 3 to %lld points per "
                           "side, boundary included)",
                           (long long)resolution, (long long)SCIML_DARCY_MAX_RESOLUTION);
    sciml_darcy_options defaults;
    if (options == NULL) {
        sciml_darcy_options_default(&defaults);
        options = &defaults;
    }
    sciml_status status = check_options(ctx, options);
    if (status != SCIML_OK)
        return status;

    sciml_darcy *darcy = calloc(1, sizeof *darcy);
    if (darcy == NULL)
        return sciml_error(ctx, SCIML_ERR_NOMEM, "Darcy: out of memory");
    darcy->resolution = resolution;
    darcy->interior = resolution - 2;
    darcy->unknowns = darcy->interior * darcy->interior; /* < 2^26: no overflow */
    darcy->options = *options;
    if (darcy->options.max_iterations == 0)
        darcy->options.max_iterations = 20 * resolution + 200;
    darcy->method = options->method;
    if (darcy->method == SCIML_DARCY_AUTO)
        darcy->method =
            resolution <= SCIML_DARCY_AUTO_BANDED_MAX ? SCIML_DARCY_BANDED : SCIML_DARCY_PCG;

    status = sciml_grf_cosine_create(ctx, resolution, options->alpha, options->tau, options->sigma,
                                     &darcy->grf);
    if (status != SCIML_OK) {
        sciml_darcy_destroy(&darcy);
        return status;
    }
    const int64_t n = darcy->unknowns;
    const int64_t m = darcy->interior;
    /* s <= 8193: every count below is < 2^27 and cannot overflow. */
    int ok = allocate_vector(&darcy->grf_field, resolution * resolution) &&
             allocate_vector(&darcy->diagonal, n) && allocate_vector(&darcy->rhs, n) &&
             allocate_zeroed(&darcy->coupling_y, n + m) &&
             allocate_zeroed(&darcy->coupling_x, n + m) &&
             allocate_padded(&darcy->solution_storage, &darcy->solution, n, m);
    if (ok && darcy->method == SCIML_DARCY_BANDED) {
        int64_t band_count;
        if (sciml_mul_i64(darcy->interior + 1, n, &band_count)) {
            sciml_darcy_destroy(&darcy);
            return sciml_error(ctx, SCIML_ERR_OVERFLOW, "Darcy: the band for s = %lld overflows",
                               (long long)resolution);
        }
        darcy->band = sciml_alloc_array((size_t)band_count, sizeof(double));
        if (darcy->band == NULL) {
            sciml_darcy_destroy(&darcy);
            return sciml_error(ctx, SCIML_ERR_NOMEM,
                               "Darcy: out of memory for the banded Cholesky matrix at s = %lld "
                               "(%.0f MB; the PCG solver needs far less)",
                               (long long)resolution, (double)band_count * 8.0 / 1e6);
        }
    }
    if (ok && darcy->method == SCIML_DARCY_PCG)
        ok = allocate_vector(&darcy->inverse_pivot, n) && allocate_vector(&darcy->lower_y, n) &&
             allocate_vector(&darcy->lower_x, n) && allocate_vector(&darcy->upper_y, n) &&
             allocate_vector(&darcy->upper_x, n) && allocate_vector(&darcy->residual, n) &&
             allocate_vector(&darcy->product, n) &&
             allocate_padded(&darcy->direction_storage, &darcy->direction, n, m) &&
             allocate_padded(&darcy->preconditioned_storage, &darcy->preconditioned, n, m);
    if (!ok) {
        sciml_darcy_destroy(&darcy);
        return sciml_error(ctx, SCIML_ERR_NOMEM, "Darcy: out of memory for s = %lld",
                           (long long)resolution);
    }
    *out = darcy;
    return SCIML_OK;
}

void sciml_darcy_coefficient(sciml_darcy *darcy, sciml_rng *rng, double *a_out) {
    const int64_t count = darcy->resolution * darcy->resolution;
    sciml_grf_cosine_sample(darcy->grf, rng, darcy->grf_field);
    const double threshold = darcy->options.threshold;
    for (int64_t index = 0; index < count; index++)
        a_out[index] =
            darcy->grf_field[index] >= threshold ? darcy->options.high : darcy->options.low;
}

static double face_mean(sciml_darcy_face_mean mean, double left, double right) {
    if (mean == SCIML_DARCY_HARMONIC)
        return 2.0 * left * right / (left + right);
    return 0.5 * (left + right);
}

/* Checks a (all s^2 points) and f (interior points); the message names the first bad point. */
static sciml_status check_inputs(sciml_ctx *ctx, const sciml_darcy *darcy, const double *a,
                                 const double *f) {
    const int64_t s = darcy->resolution;
    for (int64_t i = 0; i < s; i++)
        for (int64_t j = 0; j < s; j++) {
            double value = a[i * s + j];
            if (!isfinite(value))
                return sciml_error(ctx, SCIML_ERR_NONFINITE,
                                   "Darcy: coefficient a[%lld, %lld] = %g is not finite",
                                   (long long)i, (long long)j, value);
            if (value <= 0.0)
                return sciml_error(ctx, SCIML_ERR_RANGE,
                                   "Darcy: coefficient a[%lld, %lld] = %g (expected a > 0 "
                                   "everywhere, boundary included)",
                                   (long long)i, (long long)j, value);
        }
    if (f == NULL)
        return SCIML_OK;
    for (int64_t i = 1; i < s - 1; i++)
        for (int64_t j = 1; j < s - 1; j++)
            if (!isfinite(f[i * s + j]))
                return sciml_error(ctx, SCIML_ERR_NONFINITE,
                                   "Darcy: right-hand side f[%lld, %lld] = %g is not finite",
                                   (long long)i, (long long)j, f[i * s + j]);
    return SCIML_OK;
}

/* Fills diagonal, coupling_x, coupling_y and rhs from a and f (see the file comment). */
static void assemble(sciml_darcy *darcy, const double *a, const double *f) {
    const int64_t s = darcy->resolution, m = darcy->interior;
    const double inverse_h2 = (double)(s - 1) * (double)(s - 1);
    const sciml_darcy_face_mean mean = darcy->options.face_mean;
    for (int64_t i = 1; i <= m; i++)
        for (int64_t j = 1; j <= m; j++) {
            const int64_t p = (i - 1) * m + (j - 1);
            const double centre = a[i * s + j];
            double west = face_mean(mean, centre, a[(i - 1) * s + j]) * inverse_h2;
            double east = face_mean(mean, centre, a[(i + 1) * s + j]) * inverse_h2;
            double south = face_mean(mean, centre, a[i * s + j - 1]) * inverse_h2;
            double north = face_mean(mean, centre, a[i * s + j + 1]) * inverse_h2;
            darcy->diagonal[p] = west + east + south + north;
            darcy->coupling_x[p] = i > 1 ? west : 0.0;
            darcy->coupling_y[p] = j > 1 ? south : 0.0;
            darcy->rhs[p] = f != NULL ? f[i * s + j] : darcy->options.forcing;
        }
}

/* product = A x; x is a padded vector (see the struct). */
static void apply_matrix(const sciml_darcy *darcy, const double *x, double *product) {
    const int64_t m = darcy->interior, n = darcy->unknowns;
    const double *diagonal = darcy->diagonal, *wx = darcy->coupling_x, *wy = darcy->coupling_y;
    for (int64_t p = 0; p < n; p++)
        product[p] = diagonal[p] * x[p] - wy[p] * x[p - 1] - wy[p + 1] * x[p + 1] -
                     wx[p] * x[p - m] - wx[p + m] * x[p + m];
}

static double dot(const double *x, const double *y, int64_t count) {
    double sum = 0.0;
    for (int64_t index = 0; index < count; index++)
        sum += x[index] * y[index];
    return sum;
}

/* ||b - A u||_2 / ||b||_2 using `scratch` (n doubles); 0 when b = 0. */
static double relative_residual(const sciml_darcy *darcy, const double *u, double *scratch) {
    apply_matrix(darcy, u, scratch);
    double residual_squared = 0.0;
    for (int64_t p = 0; p < darcy->unknowns; p++) {
        double difference = darcy->rhs[p] - scratch[p];
        residual_squared += difference * difference;
    }
    double rhs_norm = sqrt(dot(darcy->rhs, darcy->rhs, darcy->unknowns));
    return rhs_norm > 0.0 ? sqrt(residual_squared) / rhs_norm : 0.0;
}

static sciml_status solve_banded(sciml_ctx *ctx, sciml_darcy *darcy) {
    const int64_t m = darcy->interior, n = darcy->unknowns, ldab = m + 1;
    double *band = darcy->band;
    memset(band, 0, (size_t)(ldab * n) * sizeof(double));
    for (int64_t p = 0; p < n; p++) {
        band[m + p * ldab] = darcy->diagonal[p];
        if (p >= 1)
            band[m - 1 + p * ldab] = -darcy->coupling_y[p]; /* A(p-1, p) */
        if (p >= m)
            band[p * ldab] = -darcy->coupling_x[p]; /* A(p-m, p) */
    }
    memcpy(darcy->solution, darcy->rhs, (size_t)n * sizeof(double));
    lapack_int info = LAPACKE_dpbsv(LAPACK_COL_MAJOR, 'U', (lapack_int)n, (lapack_int)m, 1, band,
                                    (lapack_int)ldab, darcy->solution, (lapack_int)n);
    if (info != 0)
        return sciml_error(ctx, SCIML_ERR_SOLVER,
                           "Darcy: banded Cholesky (LAPACKE_dpbsv) failed with info = %d at s = "
                           "%lld (%s)",
                           (int)info, (long long)darcy->resolution,
                           info > 0 ? "the matrix is not positive definite" : "bad argument");
    darcy->last_iterations = 0;
    return SCIML_OK;
}

/* The relaxed MIC(0) factor with relaxation omega, stored as the sweeps use it. Returns 0 if a
 * pivot is not positive. */
static int factor_preconditioner(sciml_darcy *darcy, double omega) {
    const int64_t m = darcy->interior, n = darcy->unknowns;
    const double *wx = darcy->coupling_x, *wy = darcy->coupling_y;
    double *inverse_pivot = darcy->inverse_pivot;
    for (int64_t line = 0; line < m; line++)
        for (int64_t column = 0; column < m; column++) {
            const int64_t p = line * m + column;
            double pivot = darcy->diagonal[p];
            if (column > 0) /* fill at (p, p-1+m): zero on the last line (wx is padded) */
                pivot -= wy[p] * (wy[p] + omega * wx[p - 1 + m]) * inverse_pivot[p - 1];
            if (line > 0) /* fill at (p, p-m+1): wy = 0 there on the last column */
                pivot -= wx[p] * (wx[p] + omega * wy[p - m + 1]) * inverse_pivot[p - m];
            if (!(pivot > 0.0) || !isfinite(pivot))
                return 0;
            inverse_pivot[p] = 1.0 / pivot;
        }
    for (int64_t p = 0; p < n; p++) {
        darcy->lower_y[p] = wy[p] * inverse_pivot[p];
        darcy->lower_x[p] = wx[p] * inverse_pivot[p];
        darcy->upper_y[p] = wy[p + 1] * inverse_pivot[p];
        darcy->upper_x[p] = wx[p + m] * inverse_pivot[p];
    }
    return 1;
}

/* z = M^{-1} r with M = (D + L) D^{-1} (D + L^T): the forward sweep (D + L) y = r, then the
 * backward sweep (D + L^T) z = D y, i.e. z_p = y_p + (w_y[p+1] z_{p+1} + w_x[p+m] z_{p+m}) / D_p.
 * z is a padded vector; r is not aliased. */
static void apply_preconditioner(const sciml_darcy *darcy, const double *r, double *z) {
    const int64_t m = darcy->interior, n = darcy->unknowns;
    const double *inverse_pivot = darcy->inverse_pivot;
    const double *lower_y = darcy->lower_y, *lower_x = darcy->lower_x;
    const double *upper_y = darcy->upper_y, *upper_x = darcy->upper_x;
    for (int64_t p = 0; p < n; p++)
        z[p] = r[p] * inverse_pivot[p] + lower_x[p] * z[p - m] + lower_y[p] * z[p - 1];
    for (int64_t p = n - 1; p >= 0; p--)
        z[p] += upper_x[p] * z[p + m] + upper_y[p] * z[p + 1];
}

static sciml_status solve_pcg(sciml_ctx *ctx, sciml_darcy *darcy) {
    const int64_t n = darcy->unknowns;
    double *u = darcy->solution, *r = darcy->residual, *z = darcy->preconditioned,
           *direction = darcy->direction, *q = darcy->product;
    darcy->last_iterations = 0;
    memset(u, 0, (size_t)n * sizeof(double));
    const double rhs_norm = sqrt(dot(darcy->rhs, darcy->rhs, n));
    if (rhs_norm == 0.0)
        return SCIML_OK;
    /* MIC(0) pivots stay positive for these M-matrices; IC(0) (omega = 0) always does. */
    if (!factor_preconditioner(darcy, SCIML_DARCY_MIC_RELAXATION) &&
        !factor_preconditioner(darcy, 0.0))
        return sciml_error(ctx, SCIML_ERR_SOLVER,
                           "Darcy: the incomplete Cholesky preconditioner broke down at s = %lld",
                           (long long)darcy->resolution);
    const double target = darcy->options.tolerance * rhs_norm;
    memcpy(r, darcy->rhs, (size_t)n * sizeof(double));
    apply_preconditioner(darcy, r, z);
    memcpy(direction, z, (size_t)n * sizeof(double));
    double rz = dot(r, z, n);
    double residual_norm = rhs_norm;
    int64_t iteration = 0;
    while (residual_norm > target && iteration < darcy->options.max_iterations) {
        if (sciml_ctx_interrupted(ctx))
            return sciml_error(ctx, SCIML_ERR_INTERRUPTED,
                               "Darcy: PCG interrupted after %lld iterations",
                               (long long)iteration);
        apply_matrix(darcy, direction, q);
        double curvature = dot(direction, q, n);
        if (!(curvature > 0.0))
            return sciml_error(ctx, SCIML_ERR_SOLVER,
                               "Darcy: PCG found a non-positive curvature %g at iteration %lld",
                               curvature, (long long)iteration);
        double step = rz / curvature;
        double residual_squared = 0.0;
        for (int64_t p = 0; p < n; p++) {
            u[p] += step * direction[p];
            r[p] -= step * q[p];
            residual_squared += r[p] * r[p];
        }
        residual_norm = sqrt(residual_squared);
        iteration++;
        if (residual_norm <= target)
            break;
        apply_preconditioner(darcy, r, z);
        double rz_next = dot(r, z, n);
        double beta = rz_next / rz;
        rz = rz_next;
        for (int64_t p = 0; p < n; p++)
            direction[p] = z[p] + beta * direction[p];
    }
    darcy->last_iterations = iteration;
    if (residual_norm > target)
        return sciml_error(ctx, SCIML_ERR_SOLVER,
                           "Darcy: PCG did not converge at s = %lld: relative residual %.3g after "
                           "%lld iterations (tolerance %g; raise the iteration limit or the "
                           "tolerance)",
                           (long long)darcy->resolution, residual_norm / rhs_norm,
                           (long long)iteration, darcy->options.tolerance);
    return SCIML_OK;
}

/* Scatters the interior solution into u_out and zeroes the boundary. */
static void scatter_solution(const sciml_darcy *darcy, double *u_out) {
    const int64_t s = darcy->resolution, m = darcy->interior;
    memset(u_out, 0, (size_t)(s * s) * sizeof(double));
    for (int64_t i = 1; i <= m; i++)
        memcpy(u_out + i * s + 1, darcy->solution + (i - 1) * m, (size_t)m * sizeof(double));
}

sciml_status sciml_darcy_solve(sciml_ctx *ctx, sciml_darcy *darcy, const double *a, const double *f,
                               double *u_out) {
    if (darcy == NULL || a == NULL || u_out == NULL)
        return sciml_error(ctx, SCIML_ERR_ARG, "sciml_darcy_solve: %s is NULL",
                           darcy == NULL ? "the problem"
                           : a == NULL   ? "a"
                                         : "u_out");
    sciml_status status = check_inputs(ctx, darcy, a, f);
    if (status != SCIML_OK)
        return status;
    assemble(darcy, a, f);
    darcy->last_residual = 0.0;
    if (darcy->method == SCIML_DARCY_BANDED)
        status = solve_banded(ctx, darcy);
    else
        status = solve_pcg(ctx, darcy);
    if (status == SCIML_OK || status == SCIML_ERR_SOLVER) {
        /* The residual of what u_out holds (the last iterate on a PCG failure). */
        double *scratch = darcy->method == SCIML_DARCY_PCG ? darcy->product : darcy->band;
        darcy->last_residual = relative_residual(darcy, darcy->solution, scratch);
        scatter_solution(darcy, u_out);
    }
    return status;
}

sciml_status sciml_darcy_sample(sciml_ctx *ctx, sciml_darcy *darcy, sciml_rng *rng, double *a_out,
                                double *u_out) {
    if (darcy == NULL || rng == NULL || a_out == NULL || u_out == NULL)
        return sciml_error(ctx, SCIML_ERR_ARG, "sciml_darcy_sample: a NULL argument");
    sciml_darcy_coefficient(darcy, rng, a_out);
    return sciml_darcy_solve(ctx, darcy, a_out, NULL, u_out);
}

int64_t sciml_darcy_resolution(const sciml_darcy *darcy) {
    return darcy->resolution;
}

sciml_darcy_method sciml_darcy_method_used(const sciml_darcy *darcy) {
    return darcy->method;
}

const sciml_darcy_options *sciml_darcy_get_options(const sciml_darcy *darcy) {
    return &darcy->options;
}

int64_t sciml_darcy_last_iterations(const sciml_darcy *darcy) {
    return darcy->last_iterations;
}

double sciml_darcy_last_residual(const sciml_darcy *darcy) {
    return darcy->last_residual;
}

void sciml_darcy_destroy(sciml_darcy **darcy) {
    if (darcy == NULL || *darcy == NULL)
        return;
    sciml_darcy *d = *darcy;
    sciml_grf_cosine_destroy(&d->grf);
    double *owned[] = {
        d->grf_field, d->diagonal,         d->coupling_y,        d->coupling_x,
        d->rhs,       d->solution_storage, d->direction_storage, d->preconditioned_storage,
        d->band,      d->inverse_pivot,    d->lower_y,           d->lower_x,
        d->upper_y,   d->upper_x,          d->residual,          d->product};
    for (size_t index = 0; index < sizeof owned / sizeof owned[0]; index++)
        free(owned[index]);
    free(d);
    *darcy = NULL;
}

int64_t sciml_darcy_subsampled_resolution(int64_t resolution, int64_t stride) {
    if (resolution < 2 || stride < 1 || (resolution - 1) % stride != 0)
        return -1;
    return (resolution - 1) / stride + 1;
}

sciml_status sciml_darcy_subsample(sciml_ctx *ctx, const double *in, int64_t resolution,
                                   int64_t stride, double *out) {
    if (in == NULL || out == NULL)
        return sciml_error(ctx, SCIML_ERR_ARG, "sciml_darcy_subsample: %s is NULL",
                           in == NULL ? "in" : "out");
    int64_t coarse = sciml_darcy_subsampled_resolution(resolution, stride);
    if (coarse < 0)
        return sciml_error(ctx, SCIML_ERR_RANGE,
                           "Darcy subsample: resolution %lld with stride %lld (expected s >= 2, "
                           "stride >= 1 and s - 1 a multiple of the stride, so that both ends "
                           "are kept, e.g. 421 with 5)",
                           (long long)resolution, (long long)stride);
    for (int64_t i = 0; i < coarse; i++)
        for (int64_t j = 0; j < coarse; j++)
            out[i * coarse + j] = in[(stride * i) * resolution + stride * j];
    return SCIML_OK;
}
