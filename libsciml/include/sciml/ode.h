/* libsciml ODE solvers (physics layer): initial value problems dy/dt = f(t, y; p) on SUNDIALS
 * CVODES, forward and adjoint, and the ODE systems of the data generator.
 *
 * Forward: y(t_0) = y0 is integrated to the increasing times t_0 < t_1 < ... < t_{K-1} with
 * Adams-Moulton (non-stiff, fixed-point iteration) or BDF (stiff, Newton with a dense direct
 * linear solver; Jacobian from the caller or by CVODES's difference quotients).
 *
 * Adjoint (Cao, Li, Petzold and Serban 2003; the CVODES guide, "adjoint sensitivity"): for a
 * loss L = sum_k l_k(y(t_k)) with given g_k = dl_k/dy(t_k), the adjoint state lambda solves,
 * backwards from the last time,
 *
 *     d lambda / dt = -(df/dy)^T lambda,        lambda(t_{K-1}) = g_{K-1},
 *     lambda(t_k^-) = lambda(t_k^+) + g_k       at every earlier observation time,
 *
 * and the parameter gradient is the quadrature
 *
 *     dL/dp = integral_{t_0}^{t_{K-1}} lambda^T df/dp dt,     dL/dy0 = lambda(t_0) + g_0.
 *
 * CVODES integrates it as q' = -lambda^T df/dp from q(t_{K-1}) = 0 backwards, so q(t_0) = dL/dp.
 * The forward solution is recovered from CVodeAdjInit checkpoints (Hermite interpolation).
 * Only vector-Jacobian products (lambda^T df/dy, lambda^T df/dp) are asked of the caller.
 *
 * Errors: every function returns a sciml_status; a solver failure is SCIML_ERR_SOLVER with a
 * message naming the time reached ("CVODE: at t = 3.2: too much work (mxstep 100000 steps) before
 * t = 5"); nothing is printed.
 */
#ifndef SCIML_ODE_H
#define SCIML_ODE_H

#include <stdint.h>

#include "sciml/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sciml_ode_method {
    SCIML_ODE_ADAMS = 0, /* CVODES Adams-Moulton, fixed-point iteration (non-stiff) */
    SCIML_ODE_BDF        /* CVODES BDF, Newton + dense linear solver (stiff) */
} sciml_ode_method;

const char *sciml_ode_method_name(sciml_ode_method method); /* "adams", "bdf" */

/* The problem, as callbacks on the caller's state `user` (borrowed). Each returns 0 on
 * success, > 0 for a recoverable failure (CVODES retries with a smaller step), < 0 to stop. */
typedef struct sciml_ode_problem {
    int64_t state_size;      /* n */
    int64_t parameter_count; /* m (0 when no gradient is asked for) */
    /* dydt (n) = f(t, y (n)). */
    int (*rhs)(double t, const double *y, double *dydt, void *user);
    /* Vector-Jacobian products at (t, y): lambda_y (n) = lambda^T df/dy and, when lambda_p is
     * not NULL, lambda_p (m) = lambda^T df/dp (both overwritten). */
    int (*vjp)(double t, const double *y, const double *lambda, double *lambda_y, double *lambda_p,
               void *user);
    /* Optional dense Jacobian for BDF: jacobian (n, n) row-major, J[i][j] = df_i/dy_j.
     * NULL: CVODES's difference quotients (forward) or n vjp calls (adjoint). */
    int (*jacobian)(double t, const double *y, double *jacobian, void *user);
    void *user;
} sciml_ode_problem;

typedef struct sciml_ode_options {
    sciml_ode_method method;
    double relative_tolerance, absolute_tolerance;
    int64_t max_steps; /* per output interval (CVodeSetMaxNumSteps; dopri5: in all) */
    double fixed_step; /* dopri5 only: > 0 for steps of this size (the last one of each output
                          interval shortened to land on it), 0 for adaptive steps */
} sciml_ode_options;

/* Adams, rtol 1e-8, atol 1e-10, 100000 steps, adaptive. */
sciml_ode_options sciml_ode_default_options(void);

/* Work done by the last call (for reports and benchmarks). */
typedef struct sciml_ode_stats {
    int64_t steps, rhs_evaluations, backward_steps, vjp_evaluations;
    int64_t tape_bytes; /* dopri5 direct: bytes recorded on the tape (7 n + 3 doubles a
                           step); the adjoints: 0 */
} sciml_ode_stats;

/* Integrates from y0 (n, borrowed) at times[0] to every times[k], k < time_count, storing
 * states (time_count, n) row-major with states[0] = y0. times must be finite and strictly
 * increasing (SCIML_ERR_ARG naming the first offending index), y0 finite
 * (SCIML_ERR_NONFINITE). stats may be NULL. On error, states are partly written. */
sciml_status sciml_ode_solve(sciml_ctx *ctx, const sciml_ode_problem *problem,
                             const sciml_ode_options *options, const double *y0, int64_t time_count,
                             const double *times, double *states, sciml_ode_stats *stats);

/* Adjoint gradient of a loss on the observed states. Solves forward as sciml_ode_solve (states
 * (time_count, n) written), then calls loss_grad(states, grad, loss_user) which must return the
 * loss and write grad (time_count, n) = dL/dy(t_k) (it may return NaN to stop with
 * SCIML_ERR_NONFINITE); then integrates the adjoint backwards and writes grad_p (m) = dL/dp and,
 * when grad_y0 is not NULL, grad_y0 (n) = dL/dy0. *loss receives the loss. */
sciml_status sciml_ode_adjoint(
    sciml_ctx *ctx, const sciml_ode_problem *problem, const sciml_ode_options *options,
    const double *y0, int64_t time_count, const double *times, double *states,
    double (*loss_grad)(const double *states, double *grad, void *loss_user), void *loss_user,
    double *loss, double *grad_p, double *grad_y0, sciml_ode_stats *stats);

/* The same gradient by forward sensitivities (CVodeSensInit, simultaneous corrector, error
 * control on the sensitivities): S = dy/dp solves S' = (df/dy) S + df/dp, S(t_0) = 0, and
 * dL/dp = sum_k g_k^T S(t_k). Cost grows with the parameter count (m + 1 systems of n), so it
 * suits parameter estimation and checks of the adjoint; df/dy and df/dp come from n vjp calls
 * with unit cotangents. Same contract as sciml_ode_adjoint (no dL/dy0); needs m >= 1. */
sciml_status sciml_ode_forward_sensitivity(sciml_ctx *ctx, const sciml_ode_problem *problem,
                                           const sciml_ode_options *options, const double *y0,
                                           int64_t time_count, const double *times, double *states,
                                           double (*loss_grad)(const double *states, double *grad,
                                                               void *loss_user),
                                           void *loss_user, double *loss, double *grad_p);

/* Direct gradient through an explicit Dormand-Prince 5(4) solver (discretise, then optimise):
 * the forward pass records every accepted step (y_n, h, the stages k_1..k_6) on a tape, and the
 * backward pass is the exact reverse-mode derivative of that discrete map, one vjp per stage:
 *
 *     y_{n+1} = y_n + h sum_i b_i k_i,   k_i = f(t_n + c_i h, Y_i),
 *     Y_i = y_n + h sum_{j<i} a_ij k_j;
 *     kbar_i = h b_i ybar_{n+1};  for i = 6..1: (Ybar_i, pbar_i) = vjp(Y_i, kbar_i),
 *     ybar_n += Ybar_i, pbar += pbar_i, kbar_j += h a_ij Ybar_i (j < i);  ybar_n += ybar_{n+1}.
 *
 * Adaptive steps follow the usual error control (rtol, atol; Hairer, Norsett and Wanner,
 * section II.4) and the step sizes are treated as constants of the discrete map. The tape
 * holds 7 n doubles per step: stats->tape_bytes reports it. Same contract as
 * sciml_ode_adjoint. */
sciml_status
sciml_ode_direct(sciml_ctx *ctx, const sciml_ode_problem *problem, const sciml_ode_options *options,
                 const double *y0, int64_t time_count, const double *times, double *states,
                 double (*loss_grad)(const double *states, double *grad, void *loss_user),
                 void *loss_user, double *loss, double *grad_p, double *grad_y0,
                 sciml_ode_stats *stats);
/* The continuous adjoint on the same explicit solver (Chen et al. 2018): backwards in s = -t,
 * y' = -f, lambda' = (df/dy)^T lambda, q' = (df/dp)^T lambda with adaptive dopri5 steps and
 * error control on all three, y restarted from the forward solution at every observation
 * time, lambda += g_k there. Memory independent of the number of steps. Same contract as
 * sciml_ode_adjoint; stats->backward_steps counts the backward steps. */
sciml_status sciml_ode_dopri5_adjoint(
    sciml_ctx *ctx, const sciml_ode_problem *problem, const sciml_ode_options *options,
    const double *y0, int64_t time_count, const double *times, double *states,
    double (*loss_grad)(const double *states, double *grad, void *loss_user), void *loss_user,
    double *loss, double *grad_p, double *grad_y0, sciml_ode_stats *stats);
/* Forward only, the same explicit solver (no tape). */
sciml_status sciml_ode_dopri5(sciml_ctx *ctx, const sciml_ode_problem *problem,
                              const sciml_ode_options *options, const double *y0,
                              int64_t time_count, const double *times, double *states,
                              sciml_ode_stats *stats);

/* ---- The systems of `sciml-gen ode` ------------------------------------------------------
 *   spiral          dy/dt = (y^3) A, y a row vector, A = [[-0.1, 2], [-2, -0.1]], y0 = (2, 0),
 *                   t in [0, 25] (the neural-ODE demo of Chen et al. 2018)
 *   lotka-volterra  x' = a x - b x y, y' = d x y - g y, (a, b, g, d) = (1.5, 1, 3, 1),
 *                   y0 = (1, 1), t in [0, 10]; V = d x - g ln x + b y - a ln y is conserved
 *   lorenz          x' = s (y - x), y' = x (r - z) - y, z' = x y - b z, (s, r, b) =
 *                   (10, 28, 8/3), y0 = (1, 1, 1), t in [0, 5]
 *   pendulum        theta' = omega, omega' = -(g/L) sin theta, g/L = 1, y0 = (1, 0),
 *                   t in [0, 10]; E = omega^2 / 2 - cos theta is conserved
 *   robertson       y1' = -0.04 y1 + 1e4 y2 y3, y2' = 0.04 y1 - 1e4 y2 y3 - 3e7 y2^2,
 *                   y3' = 3e7 y2^2, y0 = (1, 0, 0), t in [0, 40]; stiff (BDF);
 *                   y1 + y2 + y3 is conserved */
#define SCIML_ODE_MAX_STATE 8

typedef struct sciml_ode_system {
    const char *name;
    int64_t state_size;
    int parameter_count;
    double parameters[4];                /* the coefficients above, in that order */
    double initial[SCIML_ODE_MAX_STATE]; /* y0 */
    double box_low[SCIML_ODE_MAX_STATE]; /* random initial states: uniform in the box */
    double box_high[SCIML_ODE_MAX_STATE];
    double horizon;          /* default final time */
    int64_t points;          /* default time points */
    sciml_ode_method method; /* Adams, or BDF when stiff */
} sciml_ode_system;

/* The system named `name` (NULL if none); sciml_ode_system_names() lists them, comma separated. */
const sciml_ode_system *sciml_ode_system_find(const char *name);
const char *sciml_ode_system_names(void);
/* f(t, y) of a system with its own parameters; returns 0. */
int sciml_ode_system_rhs(const sciml_ode_system *system, double t, const double *y, double *dydt);
/* A problem for sciml_ode_solve whose user pointer is the system (borrowed). */
sciml_ode_problem sciml_ode_system_problem(const sciml_ode_system *system);

#ifdef __cplusplus
}
#endif
#endif /* SCIML_ODE_H */
