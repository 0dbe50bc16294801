/* libsciml data generators for operator learning (DeepONet, Lu, Jin, Pang, Zhang and
 * Karniadakis, "Learning nonlinear operators via DeepONet based on the universal approximation
 * theorem of operators", Nature Machine Intelligence 3, 2021).
 *
 * ---------------------------------------------------------------------------------------
 * Antiderivative (the paper's first example): G maps v to u with
 *
 *     u(x) = integral_0^x v(s) ds,   x in [0, 1],
 *
 * v a sample of the zero-mean Gaussian process with RBF kernel
 * k(x, y) = variance exp(-(x - y)^2 / (2 l^2)) (sciml/gen.h, l = 0.2 in the paper) observed at
 * m equally spaced sensors x_i = i / (m - 1), and u reported at the same points. The integral
 * of the sampled function is taken by sciml_cumulative_integral: on each interval
 * [x_i, x_i+1] the polynomial through the q nearest samples (q = order, one-sided near the
 * ends) is integrated exactly, so the error is O(h^q) for a smooth v.
 *
 * Diffusion-reaction (the paper's nonlinear PDE example): see below.
 */
#ifndef SCIML_OPERATOR_DATA_H
#define SCIML_OPERATOR_DATA_H

#include <stdint.h>

#include "sciml/core.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SCIML_QUADRATURE_MAX_ORDER 10

/* integral[i] = integral from x_0 to x_i of the function sampled as values[0..points) at
 * x_i = x_0 + i spacing, by piecewise interpolation with stencils of `order` points (2 = the
 * trapezoidal rule, 2..SCIML_QUADRATURE_MAX_ORDER; lowered to `points` when fewer). Buffers are
 * borrowed; integral may not alias values. SCIML_ERR_ARG for points < 2, a non-positive spacing
 * or an order out of range (nothing written). */
sciml_status sciml_cumulative_integral(sciml_ctx *ctx, int64_t points, double spacing,
                                       const double *values, int order, double *integral);

/* ---- Antiderivative data set -------------------------------------------------------------- */
#define SCIML_ANTIDERIVATIVE_SENSORS 100      /* m of the paper */
#define SCIML_ANTIDERIVATIVE_LENGTH_SCALE 0.2 /* l of the paper */
#define SCIML_ANTIDERIVATIVE_QUADRATURE_ORDER 6

typedef struct sciml_antiderivative sciml_antiderivative;

/* A sampler for m sensors (2..8192) with the given RBF length scale and variance (> 0). The
 * caller owns *out (free with sciml_antiderivative_destroy). */
sciml_status sciml_antiderivative_create(sciml_ctx *ctx, int64_t sensors, double length_scale,
                                         double variance, sciml_antiderivative **out);
/* Draws v (m values at the sensors) and writes u (m values, the antiderivative at the same
 * points). The rng advances by m normals; buffers are borrowed. */
void sciml_antiderivative_sample(sciml_antiderivative *generator, sciml_rng *rng, double *v,
                                 double *u);
int64_t sciml_antiderivative_sensors(const sciml_antiderivative *generator);
void sciml_antiderivative_destroy(sciml_antiderivative **generator); /* NULL-safe */

/* ---- Diffusion-reaction data set ------------------------------------------------------------
 * DeepONet's nonlinear diffusion-reaction example: G maps the source v to the solution s of
 *
 *     s_t = D s_xx + k s^2 + v(x),   (x, t) in [0, 1] x [0, T],   s(x, 0) = 0,
 *     s(0, t) = s(1, t) = 0,   D = k = 0.01, T = 1,
 *
 * v from the same RBF Gaussian process as the antiderivative, known at the n grid nodes
 * x_i = i / (n - 1) (the sensors), s reported on those nodes at `times` instants
 * t_j = j T / (times - 1). Crank-Nicolson in time with `substeps` steps per output interval,
 * second-order differences in space, Newton's method with banded LAPACK solves for the s^2
 * term (libsciml/gen/diffusion_reaction.c). */
#define SCIML_DIFFUSION_REACTION_D 0.01
#define SCIML_DIFFUSION_REACTION_K 0.01

typedef struct sciml_diffusion_reaction_options {
    double diffusion;  /* D > 0 */
    double reaction;   /* k */
    double final_time; /* T > 0 */
    int64_t points;    /* n nodes on [0, 1], boundaries included, 3..2^20 */
    int64_t times;     /* output instants, t = 0 included, 2..2^20 */
    int64_t substeps;  /* time steps per output interval, 1..2^20 */
} sciml_diffusion_reaction_options;

/* D = k = 0.01, T = 1, n = 100, 100 times, 4 substeps. */
void sciml_diffusion_reaction_default(sciml_diffusion_reaction_options *options);
/* solution (points, times), x slowest, from source (points) at the nodes (its boundary
 * values are not used: s is 0 there). Buffers borrowed. SCIML_ERR_ARG for options out of
 * range, SCIML_ERR_SOLVER with a message when Newton's method fails (a source strong enough
 * for the s^2 term to blow up before T); solution is then partly written. */
sciml_status sciml_diffusion_reaction_solve(sciml_ctx *ctx,
                                            const sciml_diffusion_reaction_options *options,
                                            const double *source, double *solution);

/* ---- Forced pendulum data set -------------------------------------------------------------
 * DeepONet's ODE example: G maps the external force v to the state s = (s1, s2) of
 *
 *     ds1/dt = s2,   ds2/dt = -k sin(s1) + v(t),   s(0) = 0,   t in [0, T],   k = 1, T = 1,
 *
 * v from the same RBF Gaussian process as the antiderivative at the m sensors
 * t_i = i T / (m - 1), linear in between; s at the same instants, by SUNDIALS CVODES
 * (libsciml/gen/pendulum.c). */
#define SCIML_PENDULUM_K 1.0

typedef struct sciml_pendulum_options {
    double stiffness;  /* k */
    double final_time; /* T > 0 */
    double tolerance;  /* CVODES relative and absolute tolerance, (0, 1e-2) */
} sciml_pendulum_options;

/* k = 1, T = 1, tolerance 1e-10. */
void sciml_pendulum_default(sciml_pendulum_options *options);
/* solution (sensors, 2) = (s1, s2) at t_i from source (sensors) at t_i. Buffers borrowed.
 * SCIML_ERR_ARG for options out of range, SCIML_ERR_SOLVER with a message when CVODES fails. */
sciml_status sciml_pendulum_solve(sciml_ctx *ctx, const sciml_pendulum_options *options,
                                  int64_t sensors, const double *source, double *solution);

#ifdef __cplusplus
}
#endif
#endif /* SCIML_OPERATOR_DATA_H */
