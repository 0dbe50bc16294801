/* libsciml 2D Darcy flow: the FNO benchmark's data generator and its reference solver.
 *
 *     -div(a(x) grad u(x)) = f(x)   on the unit square (0,1)^2,    u = 0 on the boundary,
 *
 * with a piecewise constant coefficient a = high (12) where a Gaussian random field is
 * >= threshold (0) and low (3) elsewhere, and f = 1 (Li et al., "Fourier neural operator for
 * parametric partial differential equations", ICLR 2021, section 5.2).
 *
 * ---------------------------------------------------------------------------------------
 * The grid. Every field here is (s, s) row-major on the vertices x_i = i h, y_j = j h,
 * h = 1 / (s - 1), i, j = 0..s-1, boundary included: field[i*s + j] = value at (x_i, y_j).
 * The unknowns are the (s-2)^2 interior vertices; the solution's boundary rows and columns
 * are exactly 0. Subsampling every r-th point keeps both ends when (s - 1) is a multiple of
 * r: 421 -> 85 with r = 5, as the FNO data was used (their Python takes x[::5, ::5]).
 *
 * The scheme: vertex-centred second-order finite differences in flux form,
 *
 *   ( a_{i+1/2,j} (u_ij - u_i+1,j) + a_{i-1/2,j} (u_ij - u_i-1,j)
 *   + a_{i,j+1/2} (u_ij - u_i,j+1) + a_{i,j-1/2} (u_ij - u_i,j-1) ) / h^2 = f_ij,
 *
 * with face coefficients the ARITHMETIC mean of the two vertex values by default,
 * a_{i+1/2,j} = (a_ij + a_i+1,j) / 2, because that is exactly the FNO authors' solver
 * (solve_gwf.m): the same matrix for the same vertex values of a. The HARMONIC mean
 * 2 a b / (a + b) is an option (the series conductance of two half-cells, the flux-continuous
 * choice across a jump; it gives a slightly different u near the jumps). Both are second order
 * for smooth a, and with a > 0 both give a symmetric positive definite M-matrix (diagonally
 * dominant, strictly so next to the boundary), so the discrete maximum principle holds: f >= 0
 * gives u >= 0. The face coefficients use the boundary vertices' a too, so all s^2 values of a
 * must be finite and > 0. f is read at the interior vertices only.
 *
 * The linear solvers (chosen automatically by size, or forced):
 *  - BANDED: LAPACKE_dpbsv (banded Cholesky) in the natural ordering, bandwidth s - 2; the
 *    band takes (s - 1) (s - 2)^2 doubles (4.6 MB at s = 85, 590 MB at s = 421) and the
 *    factorisation about (s - 2)^4 flops. Direct, accurate to rounding.
 *  - PCG: conjugate gradients preconditioned by a relaxed modified incomplete Cholesky
 *    factorisation MIC(0) of the 5-point matrix (no fill; omega = SCIML_DARCY_MIC_RELAXATION,
 *    falling back to IC(0) should a pivot ever be non-positive), stopping when
 *    ||b - A u||_2 <= tolerance ||b||_2 (recursive residual; the true residual is recomputed
 *    at the end and reported). Memory: about 14 (s-2)^2 doubles. Iterations grow like
 *    s^0.85 on the 12/3 fields at tolerance 1e-10: about 30 at s = 33, 47 at s = 85, 180 at
 *    s = 421 (IC(0), omega = 0, needs 110 and 550). The solution then agrees with the banded
 *    one to about 1e-12 relative (1e-10 at tolerance 1e-8).
 *  AUTO uses BANDED up to s = SCIML_DARCY_AUTO_BANDED_MAX (a few ms per solve, exact to
 *    rounding, no tolerance to choose) and PCG above. Measured, one core: PCG is about twice
 *    as fast as BANDED already at s = 17..64, 4x at s = 85 (2.7 vs 11 ms), 6x at s = 421
 *    (0.35 vs 2.2 s, and 36 MB against 600 MB).
 *
 * ---------------------------------------------------------------------------------------
 * The coefficient's random field: a cosine (zero-Neumann) series, not the periodic GRF of
 * gen.h. The FNO authors' Darcy generator (GRF.m) draws a zero-mean Gaussian field with
 * covariance
 *
 *     C = sigma^2 (-Laplacian_N + tau^2 I)^(-alpha),    sigma = tau^(alpha - 1) in theirs,
 *
 * where Laplacian_N has zero Neumann conditions on [0,1]^2: orthonormal eigenfunctions
 * phi_k(x, y) = c_k1 c_k2 cos(pi k1 x) cos(pi k2 y) (c_0 = 1, c_k = sqrt 2 for k > 0),
 * eigenvalues pi^2 |k|^2. A sample is the Karhunen-Loeve series
 *
 *     g(x) = sum_{k != 0, 0 <= k1, k2 <= s-1} sqrt(lambda_k) xi_k phi_k(x),
 *     lambda_k = sigma^2 (pi^2 |k|^2 + tau^2)^(-alpha),    xi_k iid N(0, 1),
 *
 * (their code: s * tau^(alpha-1) (pi^2 |k|^2 + tau^2)^(-alpha/2) xi through MATLAB's
 * orthonormal idct2, which is this series). We keep that distribution, because the
 * coefficient's statistics are what an FNO trained on our data learns. gen.h's periodic GRF
 * has the same operator with periodic conditions instead: the same local correlation in the
 * interior, but its longest wave is cos(2 pi x) where the Neumann series has the half wave
 * cos(pi x), which dominates at tau = 3 (lambda = (pi^2 + 9)^-2 = 1/356 against
 * (4 pi^2 + 9)^-2 = 1/2350), so the Neumann 12/3 pattern has fewer, larger patches, meets
 * the edges at right angles and does not wrap around. Hence this file's own sampler,
 * sciml_grf_cosine, declared below (it could move to gen.h beside sciml_grf).
 *
 * Differences from their generator, on purpose:
 *  - we evaluate the series at our vertices x_i = i/(s-1) (one FFTW DCT-I, REDFT00), they at
 *    the cell centres (i + 1/2)/s (DCT-II inverse); same s modes per dimension.
 *  - we threshold at the vertices and solve with that two-valued a; they threshold at the
 *    cell centres, spline-interpolate the 12/3 field to the vertices (which rings: values
 *    outside [3, 12] next to every jump), solve there, and spline the solution back to the
 *    cell centres (so their stored u is not 0 on the outermost points). Our (a, u) pair is
 *    the exact discrete problem, with a taking exactly two values.
 *  - the low value: the paper says 3 (our default); their released demo script uses 4.
 *  - with threshold 0 only the sign of g matters, so sigma does not change a; it matters to
 *    a non-zero threshold and to users of sciml_grf_cosine_sample.
 */
#ifndef SCIML_DARCY_H
#define SCIML_DARCY_H

#include <stdint.h>

#include "sciml/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The FNO paper's Darcy parameters. */
#define SCIML_DARCY_ALPHA 2.0
#define SCIML_DARCY_TAU 3.0
#define SCIML_DARCY_SIGMA 3.0 /* tau^(alpha - 1) */
#define SCIML_DARCY_THRESHOLD 0.0
#define SCIML_DARCY_HIGH 12.0
#define SCIML_DARCY_LOW 3.0
#define SCIML_DARCY_FORCING 1.0
#define SCIML_DARCY_RESOLUTION 85       /* the paper's training resolution */
#define SCIML_DARCY_FINE_RESOLUTION 421 /* the resolution their data was generated at */

#define SCIML_DARCY_MAX_RESOLUTION INT64_C(8193) /* s; 2^13 + 1 */
#define SCIML_DARCY_AUTO_BANDED_MAX INT64_C(64)  /* AUTO: banded for s <= this, else PCG */
#define SCIML_DARCY_MIC_RELAXATION 0.99          /* omega of MIC(0): 0 is IC(0), 1 full MIC */
#define SCIML_DARCY_TOLERANCE 1e-10              /* default PCG relative residual */

/* ---------------------------------------------------------------------------------------
 * The cosine-series (zero-Neumann) Gaussian random field above, sampled on the s x s vertex
 * grid x_i = i / (s - 1), (s, s) row-major, out[i*s + j] = g(x_i, y_j).
 */
typedef struct sciml_grf_cosine sciml_grf_cosine;

/* resolution s in [2, SCIML_DARCY_MAX_RESOLUTION]; alpha, tau, sigma finite and > 0. Makes
 * one FFTW plan (FFTW_ESTIMATE, so samples do not depend on timing; FFTW's planner is not
 * thread-safe: do not create or destroy concurrently with other FFTW planning). The caller
 * owns *out (free with sciml_grf_cosine_destroy). On error returns SCIML_ERR_RANGE /
 * SCIML_ERR_NOMEM / SCIML_ERR_INTERNAL with a message and leaves *out NULL. */
sciml_status sciml_grf_cosine_create(sciml_ctx *ctx, int64_t resolution, double alpha, double tau,
                                     double sigma, sciml_grf_cosine **out);
/* Draws one field into out (s*s doubles, borrowed). The rng advances by s^2 - 1 normals, one
 * per mode k != 0 in the order k1 = 0..s-1 (outer), k2 = 0..s-1 (inner): same seed, same
 * field. */
void sciml_grf_cosine_sample(sciml_grf_cosine *grf, sciml_rng *rng, double *out);
/* lambda_k = sigma^2 (pi^2 |k|^2 + tau^2)^(-alpha) for |k|^2 = k_squared (0 for k = 0). */
double sciml_grf_cosine_eigenvalue(const sciml_grf_cosine *grf, double k_squared);
int64_t sciml_grf_cosine_resolution(const sciml_grf_cosine *grf); /* s */
/* Accepts NULL or *grf == NULL and sets *grf to NULL. */
void sciml_grf_cosine_destroy(sciml_grf_cosine **grf);

/* ---------------------------------------------------------------------------------------
 * The Darcy problem at one resolution: its work arrays, the GRF sampler and the solver.
 */
typedef enum sciml_darcy_method {
    SCIML_DARCY_AUTO = 0,   /* BANDED for s <= SCIML_DARCY_AUTO_BANDED_MAX, else PCG */
    SCIML_DARCY_BANDED = 1, /* LAPACKE banded Cholesky */
    SCIML_DARCY_PCG = 2     /* MIC(0)-preconditioned conjugate gradients */
} sciml_darcy_method;

typedef enum sciml_darcy_face_mean {
    SCIML_DARCY_ARITHMETIC = 0, /* (a + b) / 2: the FNO authors' scheme (default) */
    SCIML_DARCY_HARMONIC = 1    /* 2 a b / (a + b) */
} sciml_darcy_face_mean;

typedef struct sciml_darcy_options {
    sciml_darcy_method method;       /* AUTO */
    sciml_darcy_face_mean face_mean; /* ARITHMETIC */
    double tolerance;                /* PCG relative residual, in (0, 1): 1e-10 */
    int64_t max_iterations;          /* PCG iteration limit; 0 means 20 s + 200 */
    double forcing;                  /* f where sciml_darcy_solve gets f = NULL: 1 */
    double alpha, tau, sigma;        /* the coefficient's GRF: 2, 3, 3 */
    double threshold;                /* a = high where the GRF >= threshold: 0 */
    double high, low;                /* 12, 3; both finite and > 0 */
} sciml_darcy_options;

typedef struct sciml_darcy sciml_darcy;

/* Fills *options with the defaults above. */
void sciml_darcy_options_default(sciml_darcy_options *options);

/* Creates the problem on the s x s vertex grid (s = resolution in [3,
 * SCIML_DARCY_MAX_RESOLUTION]) with its work arrays (for BANDED the band, (s-1)(s-2)^2
 * doubles; for PCG about 14 (s-2)^2) and its GRF sampler. options NULL means the defaults;
 * options are copied. The caller owns *out (free with sciml_darcy_destroy). On error returns
 * SCIML_ERR_RANGE (bad s or option values, each named in the message) / SCIML_ERR_ARG /
 * SCIML_ERR_OVERFLOW / SCIML_ERR_NOMEM and leaves *out NULL. Same FFTW thread-safety note as
 * sciml_grf_cosine_create. */
sciml_status sciml_darcy_create(sciml_ctx *ctx, int64_t resolution,
                                const sciml_darcy_options *options, sciml_darcy **out);

/* Draws a coefficient field into a_out ((s, s), borrowed): GRF, then high/low by threshold.
 * The rng advances by s^2 - 1 normals. Cannot fail. */
void sciml_darcy_coefficient(sciml_darcy *darcy, sciml_rng *rng, double *a_out);

/* Solves the scheme above for the given coefficient a ((s, s), all entries finite and > 0)
 * and right-hand side f ((s, s), interior entries finite; NULL means options.forcing
 * everywhere) into u_out ((s, s), boundary set to 0). All buffers are borrowed; u_out must not
 * alias a or f. Returns SCIML_ERR_ARG (NULL buffer), SCIML_ERR_RANGE (a <= 0, naming the first
 * such point), SCIML_ERR_NONFINITE (NaN/Inf in a or f, naming the point), SCIML_ERR_SOLVER
 * (PCG not converged within max_iterations, naming the relative residual reached; u_out then
 * holds the last iterate; or a factorisation failure) or SCIML_ERR_INTERRUPTED (the context's
 * interrupt flag, polled every PCG iteration). On an argument error or an interruption u_out
 * is untouched. */
sciml_status sciml_darcy_solve(sciml_ctx *ctx, sciml_darcy *darcy, const double *a, const double *f,
                               double *u_out);

/* One data sample: sciml_darcy_coefficient into a_out, then sciml_darcy_solve with
 * f = options.forcing into u_out. Both (s, s), borrowed. Errors as sciml_darcy_solve. */
sciml_status sciml_darcy_sample(sciml_ctx *ctx, sciml_darcy *darcy, sciml_rng *rng, double *a_out,
                                double *u_out);

int64_t sciml_darcy_resolution(const sciml_darcy *darcy);                     /* s */
sciml_darcy_method sciml_darcy_method_used(const sciml_darcy *darcy);         /* BANDED or PCG */
const sciml_darcy_options *sciml_darcy_get_options(const sciml_darcy *darcy); /* the copy */
/* PCG iterations of the last solve (0 for BANDED or before any solve). */
int64_t sciml_darcy_last_iterations(const sciml_darcy *darcy);
/* ||b - A u||_2 / ||b||_2 of the last solve, recomputed from u (0 when b = 0). */
double sciml_darcy_last_residual(const sciml_darcy *darcy);
/* Accepts NULL or *darcy == NULL and sets *darcy to NULL. */
void sciml_darcy_destroy(sciml_darcy **darcy);

/* Resolution after taking every stride-th point of an s-point side: (s - 1) / stride + 1, or
 * -1 when s < 2, stride < 1 or (s - 1) is not a multiple of stride (the last point would be
 * lost). 421, 5 -> 85. */
int64_t sciml_darcy_subsampled_resolution(int64_t resolution, int64_t stride);

/* out[i*t + j] = in[(stride i) * s + stride j] for i, j < t = (s - 1) / stride + 1: in (s, s)
 * and out (t, t) row-major, borrowed, not aliased. Returns SCIML_ERR_ARG (NULL buffer) or
 * SCIML_ERR_RANGE (the conditions of sciml_darcy_subsampled_resolution) with nothing
 * written. */
sciml_status sciml_darcy_subsample(sciml_ctx *ctx, const double *in, int64_t resolution,
                                   int64_t stride, double *out);

#ifdef __cplusplus
}
#endif
#endif /* SCIML_DARCY_H */
