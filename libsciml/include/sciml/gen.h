/* libsciml data generators: Gaussian random fields on the periodic unit cell, a smooth
 * non-periodic random function (a Gaussian process with an RBF kernel), and the damped
 * harmonic oscillator data set used by the first MLP demo, and the cubic regression data set
 * of PI3NN (skewed noise, out-of-distribution inputs).
 *
 * ---------------------------------------------------------------------------------------
 * Gaussian random fields: the convention, precisely.
 *
 * A GRF here is a zero-mean Gaussian field u on the torus [0,1)^d (d = 1 or 2) with covariance
 * operator
 *
 *     C = sigma^2 (-Laplacian + tau^2 I)^(-alpha).
 *
 * The periodic Laplacian has the orthonormal eigenfunctions exp(2 pi i k.x), k in Z^d, with
 * eigenvalues -4 pi^2 |k|^2, so C has the eigenvalues
 *
 *     lambda_k = sigma^2 (4 pi^2 |k|^2 + tau^2)^(-alpha).
 *
 * sigma multiplies the standard deviation (sigma^2 multiplies the covariance). The constant
 * mode k = 0 is dropped (lambda_0 := 0), so every sample has exactly zero mean.
 *
 * On the grid x_j = j / s (j = 0..s-1 in each dimension, s = resolution) a sample is the
 * Karhunen-Loeve expansion truncated to the wavenumbers the grid resolves,
 *
 *     u(x_j) = sum_k  uhat_k exp(2 pi i k.x_j),   k_i in {-floor((s-1)/2) .. floor(s/2)},
 *
 * with uhat_{-k} = conj(uhat_k), E|uhat_k|^2 = lambda_k, independent up to that symmetry:
 * uhat_k = sqrt(lambda_k / 2) (xi + i eta) for a mode distinct from its conjugate and
 * uhat_k = sqrt(lambda_k) xi (real) for a self-conjugate mode (every component 0 or s/2).
 * Hence, with the unnormalised forward DFT U_k = sum_j u_j exp(-2 pi i k.j / s),
 *
 *     E|U_k|^2 = s^(2d) lambda_k,     Var u(x) = sum over resolved k != 0 of lambda_k.
 *
 * The field is produced by one FFTW complex-to-real transform of uhat (no 1/s^d factor: the
 * coefficients above are already those of the continuous expansion).
 *
 * Relation to the FNO authors' generators (Li et al., "Fourier neural operator for
 * parametric PDEs", ICLR 2021, and their released data-generation code):
 *  - their PyTorch GaussianRF multiplies complex normals (E|z|^2 = 1) by
 *    s^d sqrt(2) sigma (4 pi^2 |k|^2 + tau^2)^(-alpha/2), zeroes k = 0, applies ifftn (which
 *    divides by s^d) and keeps the real part. That has exactly the distribution above,
 *    Nyquist modes included: our sigma, tau and alpha mean the same as theirs. (Their default
 *    sigma = tau^(alpha - d/2) is not applied here: sigma is always given explicitly.)
 *  - their MATLAB Burgers generator GRF1(s/2, 0, gamma, tau, sigma, "periodic") sums
 *    sqrt(2) sigma ((2 pi k)^2 + tau^2)^(-gamma/2) (xi_k cos 2 pi k x + eta_k sin 2 pi k x)
 *    for k = 1..s/2: the same eigenvalues with alpha = gamma; on the grid it differs only in
 *    the Nyquist mode k = s/2, whose variance there is 2 lambda rather than lambda.
 *  - their MATLAB Darcy generator uses cosine modes (zero Neumann boundary) with pi^2 |k|^2
 *    and a tau^(alpha-1) scale; our periodic field with the same alpha and tau is a close
 *    relative, not the same distribution.
 *
 * Standard parameter sets:
 *  (a) FNO paper text, Burgers: u0 ~ N(0, 625 (-Laplacian + 25 I)^(-2)):
 *      alpha = 2, tau = 5, sigma = 25.
 *  (b) released Burgers generator (gen_burgers1.m): gamma = alpha = 2.5, tau = 7,
 *      sigma = 7^2 = 49, i.e. C = 2401 (-Laplacian + 49 I)^(-2.5).
 *  (c) Darcy coefficient field (before thresholding): alpha = 2, tau = 3; the FNO Python
 *      generator's default sigma for d = 2 is tau^(alpha - 1) = 3.
 */
#ifndef SCIML_GEN_H
#define SCIML_GEN_H

#include <stdint.h>

#include "sciml/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Parameter sets (a), (b), (c) above. */
#define SCIML_GRF_BURGERS_PAPER_ALPHA 2.0
#define SCIML_GRF_BURGERS_PAPER_TAU 5.0
#define SCIML_GRF_BURGERS_PAPER_SIGMA 25.0
#define SCIML_GRF_BURGERS_ALPHA 2.5
#define SCIML_GRF_BURGERS_TAU 7.0
#define SCIML_GRF_BURGERS_SIGMA 49.0
#define SCIML_GRF_DARCY_ALPHA 2.0
#define SCIML_GRF_DARCY_TAU 3.0
#define SCIML_GRF_DARCY_SIGMA 3.0

/* Largest accepted resolution per dimension: 2^24 points in 1D, 2^13 = 8192 per side in 2D
 * (the sample buffer is then 512 MiB). */
#define SCIML_GRF_MAX_RESOLUTION_1D (INT64_C(1) << 24)
#define SCIML_GRF_MAX_RESOLUTION_2D (INT64_C(1) << 13)

typedef struct sciml_grf sciml_grf;

/* Creates a sampler of the GRF above on an s^dims grid (dims = 1 or 2, s = resolution >= 2,
 * alpha, tau, sigma finite and > 0) and makes its FFTW plan once (FFTW_ESTIMATE, so the
 * plan and therefore the samples do not depend on timing). The caller owns *out and frees
 * it with sciml_grf_destroy. On error returns SCIML_ERR_ARG / SCIML_ERR_RANGE /
 * SCIML_ERR_NOMEM with a message on ctx and leaves *out NULL.
 * Thread safety: FFTW's planner is not thread-safe, so create and destroy must not run
 * concurrently with any other FFTW planning in the process; sample may run concurrently on
 * distinct sciml_grf objects. */
sciml_status sciml_grf_create(sciml_ctx *ctx, int dims, int64_t resolution, double alpha,
                              double tau, double sigma, sciml_grf **out);

/* Draws one sample into out: (s) for dims = 1, (s, s) row-major for dims = 2, out[i*s + j]
 * = u(x = i/s, y = j/s). out is borrowed and written in full. The result depends only on the
 * rng state (which advances) and the parameters: same seed, same field. */
void sciml_grf_sample(sciml_grf *grf, sciml_rng *rng, double *out);

/* lambda_k = sigma^2 (4 pi^2 |k|^2 + tau^2)^(-alpha) for |k|^2 = k_squared (0 for k = 0). */
double sciml_grf_eigenvalue(const sciml_grf *grf, double k_squared);
/* Expected pointwise variance of a sample: the sum of lambda_k over the resolved k != 0. */
double sciml_grf_variance(const sciml_grf *grf);
int sciml_grf_dims(const sciml_grf *grf);            /* 1 or 2 */
int64_t sciml_grf_resolution(const sciml_grf *grf);  /* s */
int64_t sciml_grf_point_count(const sciml_grf *grf); /* s or s*s: doubles per sample */

/* Frees the sampler and its FFTW plan; accepts NULL or *grf == NULL and sets *grf to NULL. */
void sciml_grf_destroy(sciml_grf **grf);

/* ---------------------------------------------------------------------------------------
 * Smooth non-periodic random functions (DeepONet's input functions): a zero-mean Gaussian
 * process on [0,1] observed at m equally spaced points x_i = i / (m - 1), i = 0..m-1, with the
 * RBF (squared exponential) kernel
 *
 *     k(x, y) = variance * exp(-(x - y)^2 / (2 l^2)).
 *
 * A sample is L z with z ~ N(0, I_m) and L the lower Cholesky factor of K + jitter I. The
 * jitter starts at 1e-10 * variance and grows tenfold (at most to 1e-4 * variance) until the
 * factorisation succeeds; sciml_gp_rbf_jitter reports the value used.
 */
typedef struct sciml_gp_rbf sciml_gp_rbf;

/* points m in [2, 8192]; length_scale and variance finite and > 0. The caller owns *out. */
sciml_status sciml_gp_rbf_create(sciml_ctx *ctx, int64_t points, double length_scale,
                                 double variance, sciml_gp_rbf **out);
/* Draws one sample into out (m doubles, borrowed); the rng advances by m normals. */
void sciml_gp_rbf_sample(sciml_gp_rbf *gp, sciml_rng *rng, double *out);
int64_t sciml_gp_rbf_points(const sciml_gp_rbf *gp);
double sciml_gp_rbf_jitter(const sciml_gp_rbf *gp);
/* Accepts NULL or *gp == NULL and sets *gp to NULL. */
void sciml_gp_rbf_destroy(sciml_gp_rbf **gp);

/* ---------------------------------------------------------------------------------------
 * Damped harmonic oscillator data set (5 parameters -> a sampled trajectory).
 *
 *     x'' + 2 zeta omega x' + omega^2 x = 0,   x(0) = A,  x'(0) = v0,
 *
 * solved in closed form, with B = v0 + zeta omega A:
 *   zeta < 1:  x = exp(-zeta omega t) (A cos(w t) + B sin(w t) / w),   w = omega sqrt(1 - zeta^2)
 *   zeta = 1:  x = exp(-omega t) (A + B t)
 *   zeta > 1:  x = exp(-zeta omega t) (A cosh(h t) + B sinh(h t) / h), h = omega sqrt(zeta^2 - 1)
 * evaluated so that it is continuous and accurate through zeta = 1 (sin(w t)/w and
 * sinh(h t)/h tend to t) and without overflow for strong damping. A sample's target is
 * x(t_k) + c at t_k = T k / (P - 1), k = 0..P-1.
 *
 * Default sampling ranges (independent uniforms), chosen for varied but smooth curves on
 * [0, 1]: A in [-1, 1]; v0 in [-2 pi, 2 pi]; omega in [2 pi, 6 pi] (one to three periods);
 * zeta in [0.05, 1.5] (under-, critically and over-damped); c in [-0.5, 0.5].
 */
#define SCIML_OSCILLATOR_PARAMETERS 5 /* (A, v0, omega, zeta, c), in this order */
#define SCIML_OSCILLATOR_DEFAULT_POINTS 150
#define SCIML_OSCILLATOR_DEFAULT_HORIZON 1.0

typedef struct sciml_oscillator_config {
    int64_t points;      /* P >= 2 */
    double horizon;      /* T > 0 */
    double amplitude[2]; /* [min, max] of A */
    double velocity[2];  /* [min, max] of v0 */
    double frequency[2]; /* [min, max] of omega, min > 0 */
    double damping[2];   /* [min, max] of zeta, min >= 0 */
    double offset[2];    /* [min, max] of c */
} sciml_oscillator_config;

/* Fills *config with the defaults above (P = 150, T = 1). */
void sciml_oscillator_config_default(sciml_oscillator_config *config);

/* x(t) of the equation above (without the offset c); omega > 0, zeta >= 0, t >= 0. */
double sciml_oscillator_solution(double amplitude, double velocity, double omega, double zeta,
                                 double t);

/* Draws `samples` parameter sets from rng (per sample, in order: A, v0, omega, zeta, c) and
 * writes inputs (samples, 5) row-major, outputs (samples, P) row-major with
 * outputs[n*P + k] = x_n(t_k) + c_n, and times (P) = t_k. All buffers are borrowed; times may
 * be NULL. config NULL means the defaults. Returns SCIML_ERR_ARG / SCIML_ERR_RANGE (nothing
 * written, rng untouched) for an invalid config or sample count < 1 (or overflowing
 * samples * P). */
sciml_status sciml_oscillator_fill(sciml_ctx *ctx, const sciml_oscillator_config *config,
                                   sciml_rng *rng, int64_t samples, double *inputs, double *outputs,
                                   double *times);

/* ---------------------------------------------------------------------------------------
 * Cubic regression with skewed noise: the one-dimensional example of PI3NN (Liu, Zhang, Lu
 * and Zhang, ICLR 2022, Fig. 1):
 *
 *     y = x^3 + e,   e = 10 z when z > 0, else 2 z,   z ~ N(0, 1),
 *
 * so the noise is non-Gaussian and asymmetric (a long upper tail). In-distribution inputs are
 * x ~ U[-4, 4]; out-of-distribution inputs are uniform on the two outer pieces
 * [-7, -4) and (4, 7], where no training data lies.
 */
#define SCIML_CUBIC_RANGE 4.0     /* training inputs in [-4, 4] */
#define SCIML_CUBIC_OOD_RANGE 7.0 /* out-of-distribution inputs up to |x| = 7 */

/* Draws `samples` pairs from rng (per sample: x, then z) into inputs (samples) and outputs
 * (samples), both borrowed. With ood non-zero x is drawn from [-7, -4) and (4, 7] instead.
 * Returns SCIML_ERR_ARG (nothing written) for samples < 1. */
sciml_status sciml_cubic_fill(sciml_ctx *ctx, sciml_rng *rng, int64_t samples, int ood,
                              double *inputs, double *outputs);

#ifdef __cplusplus
}
#endif
#endif /* SCIML_GEN_H */
