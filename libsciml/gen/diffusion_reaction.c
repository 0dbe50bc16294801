/* Diffusion-reaction reference solver (sciml/operator_data.h): DeepONet's nonlinear
 * diffusion-reaction example,
 *
 *   s_t = D s_xx + k s^2 + v(x),   x in [0, 1], t in [0, T],   s(x, 0) = 0,  s(0, t) = s(1, t) = 0.
 *
 * Second-order finite differences on the n equally spaced nodes x_i = i h, h = 1 / (n - 1),
 * (L s)_i = (s_{i-1} - 2 s_i + s_{i+1}) / h^2 on the n - 2 interior nodes, and the
 * Crank-Nicolson rule in time with step dt:
 *
 *   F(s) = s - dt/2 (D L s + k s^2) - [s^n + dt/2 (D L s^n + k (s^n)^2) + dt v] = 0,
 *
 * solved for s = s^{n+1} by Newton's method from s^n: J = I - dt/2 (D L + 2 k diag(s)) is
 * tridiagonal, factorised and solved as a band matrix (kl = ku = 1) by LAPACKE_dgbsv each
 * iteration, until the update is below 1e-13 (1 + max |s|). Both discretisations are second
 * order; the convergence test in tests/test_physics_operator.c checks the observed order.
 */
#include "sciml/operator_data.h"

#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { NEWTON_MAX_ITERATIONS = 30 };

void sciml_diffusion_reaction_default(sciml_diffusion_reaction_options *options) {
    options->diffusion = SCIML_DIFFUSION_REACTION_D;
    options->reaction = SCIML_DIFFUSION_REACTION_K;
    options->final_time = 1.0;
    options->points = SCIML_ANTIDERIVATIVE_SENSORS;
    options->times = 100;
    options->substeps = 4;
}

static sciml_status check_options(sciml_ctx *ctx, const sciml_diffusion_reaction_options *o) {
    if (o->points < 3 || o->points > (INT64_C(1) << 20) || o->times < 2 ||
        o->times > (INT64_C(1) << 20) || o->substeps < 1 || o->substeps > (INT64_C(1) << 20) ||
        !(o->diffusion > 0.0) || !isfinite(o->diffusion) || !isfinite(o->reaction) ||
        !(o->final_time > 0.0) || !isfinite(o->final_time))
        return sciml_error(ctx, SCIML_ERR_ARG,
                           "diffusion-reaction: %lld points, %lld times, %lld substeps, D = %g, "
                           "k = %g, T = %g: expected 3 to 2^20 points, 2 to 2^20 times, 1 to "
                           "2^20 substeps, D > 0, a finite k and T > 0",
                           (long long)o->points, (long long)o->times, (long long)o->substeps,
                           o->diffusion, o->reaction, o->final_time);
    return SCIML_OK;
}

/* out = D L s + k s^2 on the interior nodes (s: the m = n - 2 interior values). */
static void right_side(int64_t m, double h, double D, double k, const double *s, double *out) {
    const double scale = D / (h * h);
    for (int64_t i = 0; i < m; i++) {
        const double left = i > 0 ? s[i - 1] : 0.0, right = i + 1 < m ? s[i + 1] : 0.0;
        out[i] = scale * (left - 2.0 * s[i] + right) + k * s[i] * s[i];
    }
}

sciml_status sciml_diffusion_reaction_solve(sciml_ctx *ctx,
                                            const sciml_diffusion_reaction_options *o,
                                            const double *source, double *solution) {
    sciml_status status = check_options(ctx, o);
    if (status)
        return status;
    const int64_t n = o->points, m = n - 2, times = o->times;
    const double h = 1.0 / (double)(n - 1);
    const double dt = o->final_time / (double)((times - 1) * o->substeps);
    const double D = o->diffusion, k = o->reaction, scale = D / (h * h);
    /* s, the constant part of F, F, the update, and the band (4 rows: one for the LU fill) */
    double *work = sciml_alloc_array((size_t)m * 8, sizeof(double));
    lapack_int *pivots = sciml_alloc_array((size_t)m, sizeof(lapack_int));
    if (!work || !pivots) {
        free(work);
        free(pivots);
        return sciml_error(ctx, SCIML_ERR_NOMEM,
                           "diffusion-reaction: out of memory for %lld points", (long long)n);
    }
    double *s = work, *constant = s + m, *residual = constant + m, *band = residual + m;
    memset(s, 0, (size_t)m * sizeof(double));
    for (int64_t i = 0; i < n; i++) /* t = 0 */
        solution[i * times] = 0.0;
    for (int64_t step = 1; step <= (times - 1) * o->substeps; step++) {
        right_side(m, h, D, k, s, constant);
        for (int64_t i = 0; i < m; i++)
            constant[i] = s[i] + 0.5 * dt * constant[i] + dt * source[i + 1];
        int converged = 0;
        for (int iteration = 0; iteration < NEWTON_MAX_ITERATIONS && !converged; iteration++) {
            right_side(m, h, D, k, s, residual);
            for (int64_t i = 0; i < m; i++)
                residual[i] = -(s[i] - 0.5 * dt * residual[i] - constant[i]);
            /* column-major band, ldab = 4: A(i, j) at band[(2 + i - j) + 4 j] */
            for (int64_t j = 0; j < m; j++) {
                band[4 * j] = 0.0;
                band[4 * j + 1] = j > 0 ? -0.5 * dt * scale : 0.0;     /* A(j - 1, j) */
                band[4 * j + 2] = 1.0 + dt * scale - dt * k * s[j];    /* A(j, j) */
                band[4 * j + 3] = j + 1 < m ? -0.5 * dt * scale : 0.0; /* A(j + 1, j) */
            }
            lapack_int info = LAPACKE_dgbsv(LAPACK_COL_MAJOR, (lapack_int)m, 1, 1, 1, band, 4,
                                            pivots, residual, (lapack_int)m);
            if (info != 0) {
                free(work);
                free(pivots);
                return sciml_error(ctx, SCIML_ERR_SOLVER,
                                   "diffusion-reaction: the Newton matrix is singular "
                                   "(LAPACKE_dgbsv info = %d) at step %lld: expected a "
                                   "smaller time step",
                                   (int)info, (long long)step);
            }
            double largest = 0.0, change = 0.0;
            for (int64_t i = 0; i < m; i++) {
                s[i] += residual[i];
                largest = fmax(largest, fabs(s[i]));
                change = fmax(change, fabs(residual[i]));
            }
            if (!isfinite(largest))
                break;
            converged = change <= 1e-13 * (1.0 + largest);
        }
        if (!converged) {
            free(work);
            free(pivots);
            return sciml_error(ctx, SCIML_ERR_SOLVER,
                               "diffusion-reaction: Newton's method did not converge in %d "
                               "iterations at t = %g: expected a smaller time step or a "
                               "smaller source (the s^2 term blows up)",
                               NEWTON_MAX_ITERATIONS, (double)step * dt);
        }
        if (step % o->substeps == 0) {
            const int64_t j = step / o->substeps;
            solution[j] = solution[(n - 1) * times + j] = 0.0;
            for (int64_t i = 0; i < m; i++)
                solution[(i + 1) * times + j] = s[i];
        }
    }
    free(work);
    free(pivots);
    return SCIML_OK;
}
