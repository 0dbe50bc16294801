/* libsciml reference solver for the 1D viscous Burgers equation on the periodic unit interval,
 * and the FNO Burgers data generator built on it.
 *
 *     u_t + (u^2 / 2)_x = nu u_xx,   x in [0, 1) periodic,   u(x, 0) = u0(x),
 *
 * solved for u(., T) on the fine grid x_j = j / N, j = 0..N-1 (N even, default 8192).
 *
 * Method (burgers.c states it in full): Fourier pseudo-spectral in space with the 2/3 rule
 * (every wavenumber |k| <= K, 3K < N, enters the product u^2 and only those are kept in it);
 * in time the diffusion nu (2 pi k)^2 is integrated exactly by an integrating factor and the
 * nonlinear term by the Dormand-Prince 5(4) pair in Lawson's integrating-factor form, with an
 * adaptive step from the embedded error estimate (or a fixed number of equal steps). The mean
 * of u is conserved exactly (to rounding); the energy of the dealiased system only decreases
 * (up to the time-integration error, far below the dissipation at the default tolerance).
 * Measured (tests/test_physics_burgers.c): order 5 in time for fixed steps, global error about
 * 0.03 x relative tolerance, spectral convergence in N.
 *
 * Standard cases (the FNO data sets, Li et al., ICLR 2021), with u0 from sciml_grf_create in
 * sciml/gen.h:
 *  - paper text:  nu = 0.1,   GRF alpha = 2,   tau = 5, sigma = 25 (SCIML_GRF_BURGERS_PAPER_*);
 *                 strongly dissipative, u(., 1) keeps about 2% of the amplitude of u0.
 *  - released generator: nu = 0.001, GRF alpha = 2.5, tau = 7, sigma = 49 (SCIML_GRF_BURGERS_*);
 *                 steep fronts; the benchmark.
 * Both at T = 1 on N = 8192 points, subsampled to the training resolution by taking every
 * (N / s)-th point, as the FNO data were.
 */
#ifndef SCIML_BURGERS_H
#define SCIML_BURGERS_H

#include <stdint.h>

#include "sciml/core.h"
#include "sciml/gen.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SCIML_BURGERS_DEFAULT_POINTS 8192
#define SCIML_BURGERS_DEFAULT_FINAL_TIME 1.0
#define SCIML_BURGERS_VISCOSITY 0.001     /* released FNO generator */
#define SCIML_BURGERS_PAPER_VISCOSITY 0.1 /* FNO paper text */
#define SCIML_BURGERS_DEFAULT_RELATIVE_TOLERANCE 1e-6
#define SCIML_BURGERS_DEFAULT_MAX_STEPS 1000000
#define SCIML_BURGERS_MIN_POINTS 16
#define SCIML_BURGERS_MAX_POINTS (INT64_C(1) << 24)

typedef struct sciml_burgers_config {
    int64_t points;    /* N: even, 16 <= N <= 2^24 (powers of two are fastest) */
    double viscosity;  /* nu > 0 */
    double final_time; /* T > 0: the time sciml_burgers_solve returns */
    /* Adaptive steps: a step is accepted when the RMS (over the grid) of the embedded error
     * estimate is at most absolute_tolerance + relative_tolerance * RMS(u). Both >= 0, not
     * both 0 (unless fixed_steps > 0). absolute_tolerance 0 means purely relative. */
    double relative_tolerance;
    double absolute_tolerance;
    int64_t fixed_steps; /* > 0: instead, steps of h = T / fixed_steps, the last one before
                            each output time cut to land on it (no error control; for
                            convergence studies). 0: adaptive */
    int64_t max_steps;   /* accepted plus rejected steps allowed per solve (>= 1) */
} sciml_burgers_config;

/* Statistics of the last solve. */
typedef struct sciml_burgers_stats {
    int64_t steps_accepted;
    int64_t steps_rejected;
    int64_t function_evaluations;       /* nonlinear-term evaluations (two real FFTs each) */
    double time_reached;                /* the time the solve got to (T on success) */
    double smallest_step, largest_step; /* accepted steps, excluding steps cut short to land
                                           on an output time */
} sciml_burgers_stats;

typedef struct sciml_burgers sciml_burgers;

/* Defaults: N = 8192, nu = 0.001, T = 1, relative tolerance 1e-6, absolute tolerance 0,
 * adaptive steps, at most 10^6 steps per solve. */
void sciml_burgers_config_default(sciml_burgers_config *config);

/* Creates a solver for one configuration (copied): its FFTW plans (FFTW_ESTIMATE, r2c and
 * c2r of length N, so results do not depend on timing) and every work array. The caller owns
 * *out and frees it with sciml_burgers_destroy. On error returns SCIML_ERR_ARG /
 * SCIML_ERR_RANGE / SCIML_ERR_NOMEM / SCIML_ERR_INTERNAL with a message on ctx and leaves
 * *out NULL. Thread safety: as for sciml_grf_create (FFTW planning is not thread-safe);
 * distinct solvers may solve concurrently. */
sciml_status sciml_burgers_create(sciml_ctx *ctx, const sciml_burgers_config *config,
                                  sciml_burgers **out);

/* u0 (N) -> uT (N) = u(x_j, T). Both borrowed; they may be the same array. Errors (the
 * message names the time reached): SCIML_ERR_NONFINITE for a non-finite u0 (uT untouched)
 * or a state that becomes non-finite; SCIML_ERR_SOLVER when max_steps is exceeded or the
 * step size underflows; SCIML_ERR_INTERRUPTED when the ctx interrupt flag is raised. On
 * those errors uT is left untouched. The solver keeps no state between solves besides its
 * statistics. */
sciml_status sciml_burgers_solve(sciml_ctx *ctx, sciml_burgers *solver, const double *u0,
                                 double *uT);

/* The solution at several times: out (time_count, N) row-major, out[i*N + j] = u(x_j, t_i).
 * times (time_count >= 1) strictly increasing, finite, times[0] >= 0 (t = 0 gives u0 back);
 * they need not end at the configured T. Steps are cut to land on each t_i exactly (the
 * adaptive step then resumes at its previous size). Errors as sciml_burgers_solve; rows
 * already written before a failure stay written. */
sciml_status sciml_burgers_solve_times(sciml_ctx *ctx, sciml_burgers *solver, const double *u0,
                                       int64_t time_count, const double *times, double *out);

/* coarse[i] = fine[i * (points / resolution)], i = 0..resolution-1: the FNO way of making a
 * coarse data set (pointwise subsampling, no filtering). points and resolution >= 1 and
 * points divisible by resolution, else SCIML_ERR_ARG (nothing written). Borrowed buffers. */
sciml_status sciml_burgers_subsample(sciml_ctx *ctx, int64_t points, const double *fine,
                                     int64_t resolution, double *coarse);

/* One data-set sample: draws u0 on the fine grid from grf (a 1D sampler whose resolution is
 * the solver's N; rng advances as in sciml_grf_sample), solves to T, and writes input (s) =
 * u0 and output (s) = u(., T) subsampled to s = resolution points. fine_input and
 * fine_output (N each, distinct) receive the fine fields when not NULL. Errors as
 * sciml_burgers_solve, plus SCIML_ERR_ARG for a grf of the wrong dimension or resolution or an s
 * that does not divide N (checked before anything is drawn). */
sciml_status sciml_burgers_sample(sciml_ctx *ctx, sciml_burgers *solver, sciml_grf *grf,
                                  sciml_rng *rng, int64_t resolution, double *input, double *output,
                                  double *fine_input, double *fine_output);

/* The configuration the solver was made with (points into the solver). */
const sciml_burgers_config *sciml_burgers_get_config(const sciml_burgers *solver);
/* Statistics of the last solve (also after a failed one). */
void sciml_burgers_get_stats(const sciml_burgers *solver, sciml_burgers_stats *stats);
/* K: the largest wavenumber kept by the 2/3 rule (3K < N). */
int64_t sciml_burgers_max_wavenumber(const sciml_burgers *solver);

/* Frees the solver and its plans; accepts NULL or *solver == NULL and sets *solver to NULL. */
void sciml_burgers_destroy(sciml_burgers **solver);

#ifdef __cplusplus
}
#endif
#endif /* SCIML_BURGERS_H */
