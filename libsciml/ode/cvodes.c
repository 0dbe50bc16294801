/* Initial value problems on SUNDIALS CVODES (6.x): forward solves and the adjoint gradient of a
 * loss on observed states (the equations are stated in sciml/ode.h).
 *
 * Forward:  y' = f(t, y), integrated to each observation time with CVode (or CVodeF when the
 *           adjoint follows, which stores checkpoints every SCIML_CHECKPOINT_STEPS steps).
 * Adjoint:  lambda' = -(df/dy)^T lambda,  q' = -(df/dp)^T lambda, from t_{K-1} backwards, with
 *           lambda(t_{K-1}) = g_{K-1}, the jump lambda += g_k at each earlier t_k (the backward
 *           problem is re-initialised there, the quadrature too with its value carried over),
 *           so that q(t_0) = dL/dp and lambda(t_0) + g_0 = dL/dy0.
 * Both vector-Jacobian products come from one problem->vjp call; CVODES asks for the adjoint
 * right-hand side and for the quadrature integrand at the same (t, y, lambda) after each step,
 * so the last call is cached.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cvodes/cvodes.h>
#include <nvector/nvector_serial.h>
#include <sundials/sundials_context.h>
#include <sunlinsol/sunlinsol_dense.h>
#include <sunmatrix/sunmatrix_dense.h>
#include <sunnonlinsol/sunnonlinsol_fixedpoint.h>
#include <sunnonlinsol/sunnonlinsol_newton.h>

#include "sciml/ode.h"
#include "ode/ode_internal.h"

#define SCIML_CHECKPOINT_STEPS 50

const char *sciml_ode_method_name(sciml_ode_method method) {
    return method == SCIML_ODE_BDF ? "bdf" : "adams";
}

sciml_ode_options sciml_ode_default_options(void) {
    sciml_ode_options options = {SCIML_ODE_ADAMS, 1e-8, 1e-10, 100000, 0.0};
    return options;
}

/* What the CVODES callbacks see. */
typedef struct solver_state {
    const sciml_ode_problem *problem;
    char message[320]; /* CVODES's last error message */
    int64_t vjp_count;
    /* adjoint cache: the last vjp's arguments and results */
    int cache_valid;
    double cache_t;
    double *cache_y, *cache_lambda, *cache_lambda_y, *cache_lambda_p; /* (n) (n) (n) (m) */
    double *work; /* (n) unit vectors for Jacobians from vjp; (n, n) jacobian */
    double *jacobian;
    struct sensitivity_state *sensitivity; /* forward sensitivities only */
} solver_state;

static void error_handler(int error_code, const char *module, const char *function, char *msg,
                          void *data) {
    solver_state *state = data;
    if (error_code < 0)
        snprintf(state->message, sizeof state->message, "%s: %s", function, msg);
}

static int forward_rhs(sunrealtype t, N_Vector y, N_Vector ydot, void *data) {
    solver_state *state = data;
    const sciml_ode_problem *p = state->problem;
    int result = p->rhs(t, N_VGetArrayPointer(y), N_VGetArrayPointer(ydot), p->user);
    if (result)
        return result;
    const double *d = N_VGetArrayPointer(ydot);
    for (int64_t i = 0; i < p->state_size; i++)
        if (!isfinite(d[i]))
            return 1;
    return 0;
}

/* J (n, n) row-major into state->jacobian: from problem->jacobian, or row i = e_i^T J by vjp. */
static int fill_jacobian(solver_state *state, double t, const double *y) {
    const sciml_ode_problem *p = state->problem;
    int64_t n = p->state_size;
    if (p->jacobian)
        return p->jacobian(t, y, state->jacobian, p->user);
    memset(state->work, 0, (size_t)n * sizeof(double));
    for (int64_t i = 0; i < n; i++) {
        state->work[i] = 1.0;
        int result = p->vjp(t, y, state->work, state->jacobian + i * n, NULL, p->user);
        state->work[i] = 0.0;
        state->vjp_count++;
        if (result)
            return result;
    }
    return 0;
}

static int forward_jacobian(sunrealtype t, N_Vector y, N_Vector fy, SUNMatrix J, void *data,
                            N_Vector tmp1, N_Vector tmp2, N_Vector tmp3) {
    solver_state *state = data;
    int64_t n = state->problem->state_size;
    int result = fill_jacobian(state, t, N_VGetArrayPointer(y));
    if (result)
        return result;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++)
            SM_ELEMENT_D(J, i, j) = state->jacobian[i * n + j];
    return 0;
}

/* lambda^T df/dy and lambda^T df/dp at (t, y), cached on exact equality of the arguments. */
static int cached_vjp(solver_state *state, double t, const double *y, const double *lambda) {
    const sciml_ode_problem *p = state->problem;
    size_t bytes = (size_t)p->state_size * sizeof(double);
    if (state->cache_valid && state->cache_t == t && !memcmp(state->cache_y, y, bytes) &&
        !memcmp(state->cache_lambda, lambda, bytes))
        return 0;
    state->cache_valid = 0;
    int result = p->vjp(t, y, lambda, state->cache_lambda_y,
                        p->parameter_count > 0 ? state->cache_lambda_p : NULL, p->user);
    state->vjp_count++;
    if (result)
        return result;
    memcpy(state->cache_y, y, bytes);
    memcpy(state->cache_lambda, lambda, bytes);
    state->cache_t = t;
    state->cache_valid = 1;
    return 0;
}

static int adjoint_rhs(sunrealtype t, N_Vector y, N_Vector lambda, N_Vector lambda_dot,
                       void *data) {
    solver_state *state = data;
    int result = cached_vjp(state, t, N_VGetArrayPointer(y), N_VGetArrayPointer(lambda));
    if (result)
        return result;
    double *out = N_VGetArrayPointer(lambda_dot);
    for (int64_t i = 0; i < state->problem->state_size; i++) {
        out[i] = -state->cache_lambda_y[i];
        if (!isfinite(out[i]))
            return 1;
    }
    return 0;
}

static int adjoint_quadrature(sunrealtype t, N_Vector y, N_Vector lambda, N_Vector q_dot,
                              void *data) {
    solver_state *state = data;
    int result = cached_vjp(state, t, N_VGetArrayPointer(y), N_VGetArrayPointer(lambda));
    if (result)
        return result;
    double *out = N_VGetArrayPointer(q_dot);
    for (int64_t j = 0; j < state->problem->parameter_count; j++)
        out[j] = -state->cache_lambda_p[j];
    return 0;
}

/* Jacobian of the adjoint right-hand side: -(df/dy)^T. */
static int adjoint_jacobian(sunrealtype t, N_Vector y, N_Vector lambda, N_Vector f_lambda,
                            SUNMatrix J, void *data, N_Vector tmp1, N_Vector tmp2, N_Vector tmp3) {
    solver_state *state = data;
    int64_t n = state->problem->state_size;
    int result = fill_jacobian(state, t, N_VGetArrayPointer(y));
    if (result)
        return result;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++)
            SM_ELEMENT_D(J, i, j) = -state->jacobian[j * n + i];
    return 0;
}

/* Everything one solve owns; released by solver_free. */
typedef struct solver {
    SUNContext sun;
    void *memory;
    N_Vector y, lambda, quadrature;
    SUNMatrix matrix, matrix_b;
    SUNLinearSolver linear, linear_b;
    SUNNonlinearSolver nonlinear, nonlinear_b;
    solver_state state;
} solver;

static void solver_free(solver *s) {
    if (s->memory)
        CVodeFree(&s->memory);
    SUNNonlinSolFree(s->nonlinear);
    SUNNonlinSolFree(s->nonlinear_b);
    SUNLinSolFree(s->linear);
    SUNLinSolFree(s->linear_b);
    if (s->matrix)
        SUNMatDestroy(s->matrix);
    if (s->matrix_b)
        SUNMatDestroy(s->matrix_b);
    if (s->y)
        N_VDestroy(s->y);
    if (s->lambda)
        N_VDestroy(s->lambda);
    if (s->quadrature)
        N_VDestroy(s->quadrature);
    free(s->state.cache_y);
    if (s->sun)
        SUNContext_Free(&s->sun);
}

sciml_status sciml_ode_check_problem(sciml_ctx *ctx, const sciml_ode_problem *problem,
                                     const sciml_ode_options *options, const double *y0,
                                     int64_t time_count, const double *times, int need_vjp) {
    if (!problem || !options || !y0 || !times || !problem->rhs)
        return sciml_error(ctx, SCIML_ERR_ARG, "ode: problem, options, y0 and times are required");
    if (problem->state_size < 1 || problem->state_size > (INT64_C(1) << 28) ||
        problem->parameter_count < 0 || problem->parameter_count > (INT64_C(1) << 28))
        return sciml_error(ctx, SCIML_ERR_RANGE,
                           "ode: state size %lld and parameter count %lld, expected 1..2^28",
                           (long long)problem->state_size, (long long)problem->parameter_count);
    if (need_vjp && !problem->vjp)
        return sciml_error(ctx, SCIML_ERR_ARG, "ode: the adjoint needs the problem's vjp");
    if (time_count < 1)
        return sciml_error(ctx, SCIML_ERR_RANGE, "ode: %lld times, expected at least 1",
                           (long long)time_count);
    if (!(options->relative_tolerance > 0) || !(options->absolute_tolerance > 0) ||
        options->max_steps < 1)
        return sciml_error(ctx, SCIML_ERR_RANGE,
                           "ode: tolerances %g, %g and max steps %lld must be positive",
                           options->relative_tolerance, options->absolute_tolerance,
                           (long long)options->max_steps);
    for (int64_t k = 0; k < time_count; k++) {
        if (!isfinite(times[k]))
            return sciml_error(ctx, SCIML_ERR_NONFINITE, "ode: time %lld is %g, expected finite",
                               (long long)k, times[k]);
        if (k > 0 && !(times[k] > times[k - 1]))
            return sciml_error(ctx, SCIML_ERR_ARG,
                               "ode: times must increase, time %lld is %g after %g", (long long)k,
                               times[k], times[k - 1]);
    }
    for (int64_t i = 0; i < problem->state_size; i++)
        if (!isfinite(y0[i]))
            return sciml_error(ctx, SCIML_ERR_NONFINITE,
                               "ode: initial state component %lld is %g, expected finite",
                               (long long)i, y0[i]);
    return SCIML_OK;
}

/* A SUNDIALS call failed: the message names the time reached. */
static sciml_status solver_failure(sciml_ctx *ctx, solver *s, const char *what, double target) {
    sunrealtype reached = NAN;
    if (s->memory)
        CVodeGetCurrentTime(s->memory, &reached);
    return sciml_error(
        ctx, SCIML_ERR_SOLVER, "CVODES %s failed at t = %.9g before reaching %.9g: %s", what,
        reached, target, s->state.message[0] ? s->state.message : "see the CVODES documentation");
}

/* Creates the forward integrator at (times[0], y0). */
static sciml_status solver_create(sciml_ctx *ctx, const sciml_ode_problem *problem,
                                  const sciml_ode_options *options, const double *y0, double t0,
                                  solver *s) {
    memset(s, 0, sizeof *s);
    int64_t n = problem->state_size, m = problem->parameter_count;
    s->state.problem = problem;
    size_t doubles = (size_t)(4 * n + (m > 0 ? m : 1) + n + n * n);
    s->state.cache_y = calloc(doubles, sizeof(double));
    if (!s->state.cache_y)
        return sciml_error(ctx, SCIML_ERR_NOMEM, "ode: out of memory for %lld states",
                           (long long)n);
    s->state.cache_lambda = s->state.cache_y + n;
    s->state.cache_lambda_y = s->state.cache_lambda + n;
    s->state.cache_lambda_p = s->state.cache_lambda_y + n;
    s->state.work = s->state.cache_lambda_p + (m > 0 ? m : 1);
    s->state.jacobian = s->state.work + n;
    if (SUNContext_Create(NULL, &s->sun))
        return sciml_error(ctx, SCIML_ERR_NOMEM, "ode: SUNContext_Create failed");
    s->y = N_VNew_Serial((sunindextype)n, s->sun);
    s->memory = CVodeCreate(options->method == SCIML_ODE_BDF ? CV_BDF : CV_ADAMS, s->sun);
    if (!s->y || !s->memory)
        return sciml_error(ctx, SCIML_ERR_NOMEM, "ode: out of memory for the CVODES solver");
    memcpy(N_VGetArrayPointer(s->y), y0, (size_t)n * sizeof(double));
    if (CVodeSetErrHandlerFn(s->memory, error_handler, &s->state) ||
        CVodeInit(s->memory, forward_rhs, t0, s->y) ||
        CVodeSStolerances(s->memory, options->relative_tolerance, options->absolute_tolerance) ||
        CVodeSetUserData(s->memory, &s->state) ||
        CVodeSetMaxNumSteps(s->memory, (long)options->max_steps))
        return solver_failure(ctx, s, "setup", t0);
    if (options->method == SCIML_ODE_BDF) {
        s->matrix = SUNDenseMatrix((sunindextype)n, (sunindextype)n, s->sun);
        s->linear = s->matrix ? SUNLinSol_Dense(s->y, s->matrix, s->sun) : NULL;
        if (!s->linear || CVodeSetLinearSolver(s->memory, s->linear, s->matrix))
            return solver_failure(ctx, s, "dense linear solver setup", t0);
        if ((problem->jacobian || problem->vjp) && CVodeSetJacFn(s->memory, forward_jacobian))
            return solver_failure(ctx, s, "Jacobian setup", t0);
    } else {
        s->nonlinear = SUNNonlinSol_FixedPoint(s->y, 0, s->sun);
        if (!s->nonlinear || CVodeSetNonlinearSolver(s->memory, s->nonlinear))
            return solver_failure(ctx, s, "fixed-point solver setup", t0);
    }
    return SCIML_OK;
}

static void collect_stats(solver *s, int backward, sciml_ode_stats *stats) {
    if (!stats)
        return;
    long steps = 0, evaluations = 0;
    CVodeGetNumSteps(s->memory, &steps);
    CVodeGetNumRhsEvals(s->memory, &evaluations);
    stats->steps = steps;
    stats->rhs_evaluations = evaluations;
    stats->backward_steps = 0;
    if (backward) {
        void *memory_b = CVodeGetAdjCVodeBmem(s->memory, 0);
        if (memory_b && !CVodeGetNumSteps(memory_b, &steps))
            stats->backward_steps = steps;
    }
    stats->vjp_evaluations = s->state.vjp_count;
    stats->tape_bytes = 0;
}

/* Forward integration to every time; adjoint selects CVodeF (checkpointing). */
static sciml_status integrate(sciml_ctx *ctx, solver *s, int adjoint, int64_t time_count,
                              const double *times, double *states) {
    int64_t n = s->state.problem->state_size;
    memcpy(states, N_VGetArrayPointer(s->y), (size_t)n * sizeof(double));
    for (int64_t k = 1; k < time_count; k++) {
        sunrealtype reached;
        int checkpoints, result;
        if (adjoint)
            result = CVodeF(s->memory, times[k], s->y, &reached, CV_NORMAL, &checkpoints);
        else
            result = CVode(s->memory, times[k], s->y, &reached, CV_NORMAL);
        if (result < 0)
            return solver_failure(ctx, s, "forward integration", times[k]);
        if (sciml_ctx_interrupted(ctx))
            return sciml_error(ctx, SCIML_ERR_INTERRUPTED, "ode: interrupted at t = %g", reached);
        memcpy(states + k * n, N_VGetArrayPointer(s->y), (size_t)n * sizeof(double));
    }
    return SCIML_OK;
}

sciml_status sciml_ode_solve(sciml_ctx *ctx, const sciml_ode_problem *problem,
                             const sciml_ode_options *options, const double *y0, int64_t time_count,
                             const double *times, double *states, sciml_ode_stats *stats) {
    sciml_status status = sciml_ode_check_problem(ctx, problem, options, y0, time_count, times, 0);
    if (status)
        return status;
    if (!states)
        return sciml_error(ctx, SCIML_ERR_ARG, "ode: states is NULL");
    solver s;
    status = solver_create(ctx, problem, options, y0, times[0], &s);
    if (!status)
        status = integrate(ctx, &s, 0, time_count, times, states);
    if (!status)
        collect_stats(&s, 0, stats);
    solver_free(&s);
    return status;
}

static sciml_status backward_setup(sciml_ctx *ctx, solver *s, const sciml_ode_options *options,
                                   double t_final, const double *lambda_final, int *which) {
    const sciml_ode_problem *p = s->state.problem;
    int64_t n = p->state_size, m = p->parameter_count;
    s->lambda = N_VNew_Serial((sunindextype)n, s->sun);
    s->quadrature = N_VNew_Serial((sunindextype)(m > 0 ? m : 1), s->sun);
    if (!s->lambda || !s->quadrature)
        return sciml_error(ctx, SCIML_ERR_NOMEM, "ode: out of memory for the adjoint");
    memcpy(N_VGetArrayPointer(s->lambda), lambda_final, (size_t)n * sizeof(double));
    N_VConst(0.0, s->quadrature);
    int method = options->method == SCIML_ODE_BDF ? CV_BDF : CV_ADAMS;
    if (CVodeCreateB(s->memory, method, which) ||
        CVodeInitB(s->memory, *which, adjoint_rhs, t_final, s->lambda) ||
        CVodeSStolerancesB(s->memory, *which, options->relative_tolerance,
                           options->absolute_tolerance) ||
        CVodeSetUserDataB(s->memory, *which, &s->state) ||
        CVodeSetMaxNumStepsB(s->memory, *which, (long)options->max_steps))
        return solver_failure(ctx, s, "adjoint setup", t_final);
    if (options->method == SCIML_ODE_BDF) {
        s->matrix_b = SUNDenseMatrix((sunindextype)n, (sunindextype)n, s->sun);
        s->linear_b = s->matrix_b ? SUNLinSol_Dense(s->lambda, s->matrix_b, s->sun) : NULL;
        if (!s->linear_b || CVodeSetLinearSolverB(s->memory, *which, s->linear_b, s->matrix_b) ||
            CVodeSetJacFnB(s->memory, *which, adjoint_jacobian))
            return solver_failure(ctx, s, "adjoint linear solver setup", t_final);
    } else {
        s->nonlinear_b = SUNNonlinSol_FixedPoint(s->lambda, 0, s->sun);
        if (!s->nonlinear_b || CVodeSetNonlinearSolverB(s->memory, *which, s->nonlinear_b))
            return solver_failure(ctx, s, "adjoint fixed-point solver setup", t_final);
    }
    if (m > 0 && (CVodeQuadInitB(s->memory, *which, adjoint_quadrature, s->quadrature) ||
                  CVodeQuadSStolerancesB(s->memory, *which, options->relative_tolerance,
                                         options->absolute_tolerance) ||
                  CVodeSetQuadErrConB(s->memory, *which, SUNTRUE)))
        return solver_failure(ctx, s, "adjoint quadrature setup", t_final);
    return SCIML_OK;
}

sciml_status sciml_ode_adjoint(
    sciml_ctx *ctx, const sciml_ode_problem *problem, const sciml_ode_options *options,
    const double *y0, int64_t time_count, const double *times, double *states,
    double (*loss_grad)(const double *states, double *grad, void *loss_user), void *loss_user,
    double *loss, double *grad_p, double *grad_y0, sciml_ode_stats *stats) {
    sciml_status status = sciml_ode_check_problem(ctx, problem, options, y0, time_count, times, 1);
    if (status)
        return status;
    if (!states || !loss_grad || !loss || (problem->parameter_count > 0 && !grad_p))
        return sciml_error(ctx, SCIML_ERR_ARG,
                           "ode_adjoint: states, loss_grad, loss and grad_p "
                           "are required");
    int64_t n = problem->state_size, m = problem->parameter_count;
    double *grad = sciml_alloc_array((size_t)(time_count * n), sizeof(double));
    if (!grad)
        return sciml_error(ctx, SCIML_ERR_NOMEM, "ode_adjoint: out of memory for %lld x %lld",
                           (long long)time_count, (long long)n);
    solver s;
    status = solver_create(ctx, problem, options, y0, times[0], &s);
    if (!status && time_count > 1 && CVodeAdjInit(s.memory, SCIML_CHECKPOINT_STEPS, CV_HERMITE))
        status = solver_failure(ctx, &s, "adjoint checkpointing setup", times[0]);
    if (!status)
        status = integrate(ctx, &s, time_count > 1, time_count, times, states);
    if (!status) {
        *loss = loss_grad(states, grad, loss_user);
        if (!isfinite(*loss))
            status = sciml_error(ctx, SCIML_ERR_NONFINITE, "ode_adjoint: the loss is %g", *loss);
    }
    if (!status && time_count == 1) { /* no dynamics: the gradient is the loss's own */
        for (int64_t j = 0; j < m; j++)
            grad_p[j] = 0.0;
        if (grad_y0)
            memcpy(grad_y0, grad, (size_t)n * sizeof(double));
    } else if (!status) {
        int which = 0;
        status = backward_setup(ctx, &s, options, times[time_count - 1],
                                grad + (time_count - 1) * n, &which);
        for (int64_t k = time_count - 2; !status && k >= 0; k--) {
            sunrealtype reached;
            if (CVodeB(s.memory, times[k], CV_NORMAL) < 0 ||
                CVodeGetB(s.memory, which, &reached, s.lambda) ||
                (m > 0 && CVodeGetQuadB(s.memory, which, &reached, s.quadrature))) {
                void *memory_b = CVodeGetAdjCVodeBmem(s.memory, which);
                sunrealtype at = NAN;
                if (memory_b)
                    CVodeGetCurrentTime(memory_b, &at);
                status = sciml_error(ctx, SCIML_ERR_SOLVER,
                                     "CVODES adjoint integration failed at t = %.9g before "
                                     "reaching %.9g: %s",
                                     at, times[k],
                                     s.state.message[0] ? s.state.message : "unknown reason");
                break;
            }
            double *lambda = N_VGetArrayPointer(s.lambda);
            for (int64_t i = 0; i < n; i++)
                lambda[i] += grad[k * n + i];
            s.state.cache_valid = 0;
            if (k > 0 && (CVodeReInitB(s.memory, which, times[k], s.lambda) ||
                          (m > 0 && CVodeQuadReInitB(s.memory, which, s.quadrature))))
                status = solver_failure(ctx, &s, "adjoint restart", times[k]);
        }
        if (!status) {
            if (m > 0)
                memcpy(grad_p, N_VGetArrayPointer(s.quadrature), (size_t)m * sizeof(double));
            if (grad_y0)
                memcpy(grad_y0, N_VGetArrayPointer(s.lambda), (size_t)n * sizeof(double));
            collect_stats(&s, 1, stats);
        }
    }
    solver_free(&s);
    free(grad);
    return status;
}

/* ---- forward sensitivities ------------------------------------------------------------------
 * S = dy/dp (n, m) solves S' = J S + df/dp, S(t_0) = 0 (y0 does not depend on p); CVODES
 * integrates it with the state (simultaneous corrector) and dL/dp = sum_k g_k^T S(t_k). J and
 * df/dp come from n vjp calls with the unit cotangents e_i (row i of each), once per (t, y). */
typedef struct sensitivity_state {
    solver_state *state;
    double *dfdp;     /* (n, m) */
    double *jacobian; /* (n, n), apart from the solver's (BDF refreshes that one elsewhere) */
    double cached_t;
    double *cached_y; /* (n) */
    int valid;
} sensitivity_state;

static int sensitivity_rows(sensitivity_state *ss, double t, const double *y) {
    const sciml_ode_problem *p = ss->state->problem;
    int64_t n = p->state_size, m = p->parameter_count;
    if (ss->valid && ss->cached_t == t && !memcmp(ss->cached_y, y, (size_t)n * sizeof(double)))
        return 0;
    ss->valid = 0;
    double *unit = ss->state->work;
    memset(unit, 0, (size_t)n * sizeof(double));
    for (int64_t i = 0; i < n; i++) {
        unit[i] = 1.0;
        int result = p->vjp(t, y, unit, ss->jacobian + i * n, ss->dfdp + i * m, p->user);
        unit[i] = 0.0;
        ss->state->vjp_count++;
        if (result)
            return result;
    }
    memcpy(ss->cached_y, y, (size_t)n * sizeof(double));
    ss->cached_t = t;
    ss->valid = 1;
    return 0;
}

static int sensitivity_rhs(int count, sunrealtype t, N_Vector y, N_Vector ydot, N_Vector *s,
                           N_Vector *sdot, void *data, N_Vector tmp1, N_Vector tmp2) {
    sensitivity_state *ss = ((solver_state *)data)->sensitivity;
    int64_t n = ss->state->problem->state_size, m = count;
    int result = sensitivity_rows(ss, t, N_VGetArrayPointer(y));
    if (result)
        return result;
    const double *jacobian = ss->jacobian;
    for (int64_t j = 0; j < m; j++) {
        const double *column = N_VGetArrayPointer(s[j]);
        double *out = N_VGetArrayPointer(sdot[j]);
        for (int64_t i = 0; i < n; i++) {
            double sum = ss->dfdp[i * m + j];
            for (int64_t l = 0; l < n; l++)
                sum += jacobian[i * n + l] * column[l];
            out[i] = sum;
        }
    }
    return 0;
}

sciml_status sciml_ode_forward_sensitivity(sciml_ctx *ctx, const sciml_ode_problem *problem,
                                           const sciml_ode_options *options, const double *y0,
                                           int64_t time_count, const double *times, double *states,
                                           double (*loss_grad)(const double *states, double *grad,
                                                               void *loss_user),
                                           void *loss_user, double *loss, double *grad_p) {
    sciml_status status = sciml_ode_check_problem(ctx, problem, options, y0, time_count, times, 1);
    if (status)
        return status;
    int64_t n = problem->state_size, m = problem->parameter_count;
    if (!states || !loss_grad || !loss || m < 1 || !grad_p)
        return sciml_error(ctx, SCIML_ERR_ARG,
                           "ode_forward_sensitivity: states, loss_grad, loss, grad_p and at "
                           "least one parameter are required");
    double *buffer =
        sciml_alloc_array((size_t)(time_count * n * (m + 1) + n * m + n + n * n), sizeof(double));
    if (!buffer)
        return sciml_error(ctx, SCIML_ERR_NOMEM,
                           "ode_forward_sensitivity: out of memory for %lld x %lld x %lld",
                           (long long)time_count, (long long)n, (long long)m);
    double *sensitivities = buffer;                    /* (time, m, n) */
    double *grad = sensitivities + time_count * m * n; /* (time, n) */
    sensitivity_state ss = {NULL, grad + time_count * n, NULL, 0.0, NULL, 0};
    ss.cached_y = ss.dfdp + n * m;
    ss.jacobian = ss.cached_y + n;
    solver s;
    N_Vector *columns = NULL;
    SUNNonlinearSolver nonlinear_sensitivity = NULL;
    status = solver_create(ctx, problem, options, y0, times[0], &s);
    if (!status) {
        ss.state = &s.state;
        s.state.sensitivity = &ss;
        columns = N_VCloneVectorArray((int)m, s.y);
        if (!columns) {
            status = sciml_error(ctx, SCIML_ERR_NOMEM, "ode_forward_sensitivity: out of memory");
        } else {
            for (int64_t j = 0; j < m; j++)
                N_VConst(0.0, columns[j]);
            if (CVodeSensInit(s.memory, (int)m, CV_SIMULTANEOUS, sensitivity_rhs, columns) ||
                CVodeSensEEtolerances(s.memory) || CVodeSetSensErrCon(s.memory, SUNTRUE))
                status = solver_failure(ctx, &s, "sensitivity setup", times[0]);
        }
    }
    if (!status) {
        nonlinear_sensitivity = options->method == SCIML_ODE_BDF
                                    ? SUNNonlinSol_NewtonSens((int)m + 1, s.y, s.sun)
                                    : SUNNonlinSol_FixedPointSens((int)m + 1, s.y, 0, s.sun);
        if (!nonlinear_sensitivity ||
            CVodeSetNonlinearSolverSensSim(s.memory, nonlinear_sensitivity))
            status = solver_failure(ctx, &s, "sensitivity nonlinear solver setup", times[0]);
    }
    if (!status) {
        memcpy(states, y0, (size_t)n * sizeof(double));
        memset(sensitivities, 0, (size_t)(m * n) * sizeof(double));
        for (int64_t k = 1; k < time_count && !status; k++) {
            sunrealtype reached;
            if (CVode(s.memory, times[k], s.y, &reached, CV_NORMAL) < 0 ||
                CVodeGetSens(s.memory, &reached, columns)) {
                status = solver_failure(ctx, &s, "forward sensitivity integration", times[k]);
                break;
            }
            memcpy(states + k * n, N_VGetArrayPointer(s.y), (size_t)n * sizeof(double));
            for (int64_t j = 0; j < m; j++)
                memcpy(sensitivities + (k * m + j) * n, N_VGetArrayPointer(columns[j]),
                       (size_t)n * sizeof(double));
        }
    }
    if (!status) {
        *loss = loss_grad(states, grad, loss_user);
        if (!isfinite(*loss))
            status = sciml_error(ctx, SCIML_ERR_NONFINITE,
                                 "ode_forward_sensitivity: the loss "
                                 "is %g",
                                 *loss);
    }
    if (!status)
        for (int64_t j = 0; j < m; j++) {
            double sum = 0.0;
            for (int64_t k = 0; k < time_count; k++)
                for (int64_t i = 0; i < n; i++)
                    sum += grad[k * n + i] * sensitivities[(k * m + j) * n + i];
            grad_p[j] = sum;
        }
    if (columns)
        N_VDestroyVectorArray(columns, (int)m);
    solver_free(&s);
    SUNNonlinSolFree(nonlinear_sensitivity);
    free(buffer);
    return status;
}
