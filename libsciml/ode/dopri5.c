/* Explicit Dormand-Prince 5(4) (Dormand and Prince 1980; Hairer, Norsett and Wanner, "Solving
 * Ordinary Differential Equations I", section II.5) with adaptive or fixed steps, and the
 * direct gradient: reverse-mode differentiation of the discrete solver through a tape of its
 * accepted steps (the recurrences are in sciml/ode.h).
 *
 * Error control: err = sqrt(mean_i (h sum_j e_j k_j,i / (atol + rtol max(|y_n,i|, |y_n+1,i|)))^2),
 * e = b - bhat; a step is accepted when err <= 1, and the next h = h min(5, max(0.2,
 * 0.9 err^(-1/5))). The first step follows Hairer's starting-step heuristic. The stage f(y_{n+1})
 * of an accepted step is the next step's first stage (FSAL).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ode/ode_internal.h"
#include "sciml/ode.h"

#define STAGES 7

static const double c[STAGES] = {0.0, 1.0 / 5.0, 3.0 / 10.0, 4.0 / 5.0, 8.0 / 9.0, 1.0, 1.0};
static const double a[STAGES][STAGES] = {
    {0},
    {1.0 / 5.0},
    {3.0 / 40.0, 9.0 / 40.0},
    {44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0},
    {19372.0 / 6561.0, -25360.0 / 2187.0, 64448.0 / 6561.0, -212.0 / 729.0},
    {9017.0 / 3168.0, -355.0 / 33.0, 46732.0 / 5247.0, 49.0 / 176.0, -5103.0 / 18656.0},
    {35.0 / 384.0, 0.0, 500.0 / 1113.0, 125.0 / 192.0, -2187.0 / 6784.0, 11.0 / 84.0}};
/* fifth-order weights b = a[6] (b_7 = 0); error weights e = b - bhat */
static const double e[STAGES] = {71.0 / 57600.0,      0.0,          -71.0 / 16695.0, 71.0 / 1920.0,
                                 -17253.0 / 339200.0, 22.0 / 525.0, -1.0 / 40.0};

/* One accepted step on the tape: t, h, then y_n (n) and k_1..k_6 (6 n) in `values`. */
typedef struct tape {
    int64_t step_count, capacity, n;
    double *times, *steps; /* (capacity) */
    int64_t *observation;  /* (capacity): index k when the step starts at t_k, else -1 */
    double *values;        /* (capacity, 7 n) */
} tape;

static int tape_push(tape *tp, double t, double h, int64_t observation, const double *y,
                     double *const *k) {
    if (tp->step_count == tp->capacity) {
        int64_t capacity = tp->capacity ? 2 * tp->capacity : 64;
        double *times = realloc(tp->times, (size_t)capacity * sizeof(double));
        if (times)
            tp->times = times;
        double *steps = realloc(tp->steps, (size_t)capacity * sizeof(double));
        if (steps)
            tp->steps = steps;
        int64_t *marks = realloc(tp->observation, (size_t)capacity * sizeof(int64_t));
        if (marks)
            tp->observation = marks;
        double *values = realloc(tp->values, (size_t)capacity * 7 * (size_t)tp->n * sizeof(double));
        if (values)
            tp->values = values;
        if (!times || !steps || !marks || !values)
            return -1;
        tp->capacity = capacity;
    }
    int64_t s = tp->step_count++, n = tp->n;
    tp->times[s] = t;
    tp->steps[s] = h;
    tp->observation[s] = observation;
    double *row = tp->values + s * 7 * n;
    memcpy(row, y, (size_t)n * sizeof(double));
    for (int i = 0; i < 6; i++)
        memcpy(row + (i + 1) * n, k[i], (size_t)n * sizeof(double));
    return 0;
}

static void tape_free(tape *tp) {
    free(tp->times);
    free(tp->steps);
    free(tp->observation);
    free(tp->values);
}

/* Work arrays of one solve. */
typedef struct integrator {
    const sciml_ode_problem *problem;
    const sciml_ode_options *options;
    int64_t n;
    double *k[STAGES];
    double *stage, *next, *buffer; /* (n) each; buffer owns everything */
    sciml_ode_stats stats;
} integrator;

static sciml_status integrator_create(sciml_ctx *ctx, const sciml_ode_problem *problem,
                                      const sciml_ode_options *options, integrator *in) {
    memset(in, 0, sizeof *in);
    in->problem = problem;
    in->options = options;
    in->n = problem->state_size;
    in->buffer = sciml_alloc_array((size_t)(STAGES + 2) * (size_t)in->n, sizeof(double));
    if (!in->buffer)
        return sciml_error(ctx, SCIML_ERR_NOMEM, "dopri5: out of memory for %lld states",
                           (long long)in->n);
    for (int i = 0; i < STAGES; i++)
        in->k[i] = in->buffer + i * in->n;
    in->stage = in->buffer + STAGES * in->n;
    in->next = in->stage + in->n;
    return SCIML_OK;
}

static int evaluate(integrator *in, double t, const double *y, double *dydt) {
    in->stats.rhs_evaluations++;
    int result = in->problem->rhs(t, y, dydt, in->problem->user);
    if (result)
        return result;
    for (int64_t i = 0; i < in->n; i++)
        if (!isfinite(dydt[i]))
            return 1;
    return 0;
}

static double weighted_norm(const integrator *in, const double *v, const double *y) {
    double sum = 0.0;
    for (int64_t i = 0; i < in->n; i++) {
        double scale =
            in->options->absolute_tolerance + in->options->relative_tolerance * fabs(y[i]);
        sum += (v[i] / scale) * (v[i] / scale);
    }
    return sqrt(sum / (double)in->n);
}

/* Hairer's starting step (k[0] holds f(t, y)); in->stage and in->next are scratch. */
static int initial_step(integrator *in, double t, const double *y, double span, double *h) {
    double d0 = weighted_norm(in, y, y), d1 = weighted_norm(in, in->k[0], y);
    double h0 = (d0 < 1e-5 || d1 < 1e-5) ? 1e-6 : 0.01 * d0 / d1;
    h0 = fmin(h0, span);
    for (int64_t i = 0; i < in->n; i++)
        in->stage[i] = y[i] + h0 * in->k[0][i];
    int result = evaluate(in, t + h0, in->stage, in->next);
    if (result)
        return result;
    for (int64_t i = 0; i < in->n; i++)
        in->next[i] -= in->k[0][i];
    double d2 = weighted_norm(in, in->next, y) / h0, largest = fmax(d1, d2);
    double h1 = largest <= 1e-15 ? fmax(1e-6, h0 * 1e-3) : pow(0.01 / largest, 0.2);
    *h = fmin(fmin(100.0 * h0, h1), span);
    if (!(*h > 0) || !isfinite(*h)) /* tolerances at the edge of double precision */
        *h = 1e-6 * span;
    return 0;
}

/* One trial step of size h from (t, y) with k[0] = f(t, y): writes y_{n+1} to in->next and
 * k[1..6] (k[6] = f(y_{n+1})); returns the error norm in *error. */
static int trial_step(integrator *in, double t, const double *y, double h, double *error) {
    int64_t n = in->n;
    for (int s = 1; s < STAGES; s++) {
        double *target = s == STAGES - 1 ? in->next : in->stage;
        for (int64_t i = 0; i < n; i++) {
            double sum = 0.0;
            for (int j = 0; j < s; j++)
                sum += a[s][j] * in->k[j][i];
            target[i] = y[i] + h * sum;
        }
        int result = evaluate(in, t + c[s] * h, target, in->k[s]);
        if (result)
            return result;
    }
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double estimate = 0.0;
        for (int j = 0; j < STAGES; j++)
            estimate += e[j] * in->k[j][i];
        estimate *= h;
        double scale = in->options->absolute_tolerance +
                       in->options->relative_tolerance * fmax(fabs(y[i]), fabs(in->next[i]));
        sum += (estimate / scale) * (estimate / scale);
    }
    *error = sqrt(sum / (double)n);
    return 0;
}

/* Integrates through every time; pushes each accepted step on `tp` when it is not NULL. */
static sciml_status integrate(sciml_ctx *ctx, integrator *in, const double *y0, int64_t time_count,
                              const double *times, double *states, tape *tp) {
    int64_t n = in->n;
    const sciml_ode_options *o = in->options;
    double *y = states;
    memcpy(y, y0, (size_t)n * sizeof(double));
    double t = times[0], h = o->fixed_step;
    if (time_count == 1)
        return SCIML_OK;
    if (evaluate(in, t, y, in->k[0]))
        return sciml_error(ctx, SCIML_ERR_SOLVER, "dopri5: f is not finite at t = %.9g", t);
    if (h <= 0 && initial_step(in, t, y, times[time_count - 1] - t, &h))
        return sciml_error(ctx, SCIML_ERR_SOLVER, "dopri5: f is not finite at t = %.9g", t);
    for (int64_t k = 1; k < time_count; k++) {
        int64_t mark = k - 1; /* the first step of this interval starts at t_{k-1} */
        double *next_state = states + k * n;
        while (t < times[k]) {
            if (in->stats.steps >= o->max_steps)
                return sciml_error(ctx, SCIML_ERR_SOLVER,
                                   "dopri5: too much work, %lld steps, at t = %.9g before "
                                   "reaching %.9g",
                                   (long long)in->stats.steps, t, times[k]);
            double remaining = times[k] - t, step = fmin(h, remaining);
            int last = step >= remaining;
            if (!last && remaining - step < 1e-12 * fabs(times[k])) {
                step = remaining; /* do not leave a sliver */
                last = 1;
            }
            if (step <= 1e-14 * fmax(1.0, fabs(t)))
                return sciml_error(ctx, SCIML_ERR_SOLVER,
                                   "dopri5: step size %.3g underflows at t = %.9g before "
                                   "reaching %.9g",
                                   step, t, times[k]);
            double error = 0.0;
            int failed = trial_step(in, t, y, step, &error);
            if (!failed && o->fixed_step > 0)
                error = 0.0;
            if (failed || !(error <= 1.0)) {
                h = step * (failed ? 0.25 : fmax(0.2, 0.9 * pow(error, -0.2)));
                continue;
            }
            if (tp && tape_push(tp, t, step, mark, y, in->k))
                return sciml_error(ctx, SCIML_ERR_NOMEM,
                                   "dopri5: out of memory for the tape at "
                                   "t = %.9g",
                                   t);
            mark = -1;
            in->stats.steps++;
            t = last ? times[k] : t + step;
            memcpy(next_state, in->next, (size_t)n * sizeof(double));
            y = next_state;
            memcpy(in->k[0], in->k[STAGES - 1], (size_t)n * sizeof(double));
            if (o->fixed_step <= 0)
                h = step * fmin(5.0, fmax(0.2, 0.9 * pow(fmax(error, 1e-10), -0.2)));
            if (o->fixed_step > 0)
                h = o->fixed_step;
            if (sciml_ctx_interrupted(ctx))
                return sciml_error(ctx, SCIML_ERR_INTERRUPTED, "dopri5: interrupted at t = %g", t);
        }
        if (y != next_state) /* times[k] == t already: cannot happen with increasing times */
            memcpy(next_state, y, (size_t)n * sizeof(double));
    }
    return SCIML_OK;
}

sciml_status sciml_ode_dopri5(sciml_ctx *ctx, const sciml_ode_problem *problem,
                              const sciml_ode_options *options, const double *y0,
                              int64_t time_count, const double *times, double *states,
                              sciml_ode_stats *stats) {
    sciml_status status = sciml_ode_check_problem(ctx, problem, options, y0, time_count, times, 0);
    if (status)
        return status;
    integrator in;
    if ((status = integrator_create(ctx, problem, options, &in)))
        return status;
    status = integrate(ctx, &in, y0, time_count, times, states, NULL);
    if (stats)
        *stats = in.stats;
    free(in.buffer);
    return status;
}

/* Reverse pass over the tape: ybar (n) enters as dL/dy(t_{K-1}) and leaves as dL/dy0. */
static sciml_status reverse(sciml_ctx *ctx, integrator *in, const tape *tp, const double *grad,
                            double *ybar, double *grad_p, double *work) {
    const sciml_ode_problem *p = in->problem;
    int64_t n = in->n, m = p->parameter_count;
    double *kbar = work;              /* (6, n) */
    double *stage_bar = kbar + 6 * n; /* (n) */
    double *stage = stage_bar + n;    /* (n) */
    double *p_stage = stage + n;      /* (m) */
    for (int64_t s = tp->step_count - 1; s >= 0; s--) {
        const double *row = tp->values + s * 7 * n, *y = row;
        double h = tp->steps[s], t = tp->times[s];
        for (int i = 0; i < 6; i++)
            for (int64_t j = 0; j < n; j++)
                kbar[i * n + j] = h * a[6][i] * ybar[j];
        for (int i = 5; i >= 0; i--) {
            for (int64_t j = 0; j < n; j++) {
                double sum = 0.0;
                for (int l = 0; l < i; l++)
                    sum += a[i][l] * row[(l + 1) * n + j];
                stage[j] = y[j] + h * sum;
            }
            int result = p->vjp(t + c[i] * h, stage, kbar + i * n, stage_bar,
                                m > 0 ? p_stage : NULL, p->user);
            in->stats.vjp_evaluations++;
            if (result)
                return sciml_error(ctx, SCIML_ERR_SOLVER,
                                   "dopri5: the vector-Jacobian product failed at t = %.9g",
                                   t + c[i] * h);
            for (int64_t j = 0; j < n; j++) {
                ybar[j] += stage_bar[j];
                for (int l = 0; l < i; l++)
                    kbar[l * n + j] += h * a[i][l] * stage_bar[j];
            }
            for (int64_t j = 0; j < m; j++)
                grad_p[j] += p_stage[j];
        }
        int64_t k = tp->observation[s];
        if (k >= 0)
            for (int64_t j = 0; j < n; j++)
                ybar[j] += grad[k * n + j];
    }
    return SCIML_OK;
}

sciml_status
sciml_ode_direct(sciml_ctx *ctx, const sciml_ode_problem *problem, const sciml_ode_options *options,
                 const double *y0, int64_t time_count, const double *times, double *states,
                 double (*loss_grad)(const double *states, double *grad, void *loss_user),
                 void *loss_user, double *loss, double *grad_p, double *grad_y0,
                 sciml_ode_stats *stats) {
    sciml_status status = sciml_ode_check_problem(ctx, problem, options, y0, time_count, times, 1);
    if (status)
        return status;
    if (!states || !loss_grad || !loss || (problem->parameter_count > 0 && !grad_p))
        return sciml_error(ctx, SCIML_ERR_ARG,
                           "ode_direct: states, loss_grad, loss and grad_p are required");
    int64_t n = problem->state_size, m = problem->parameter_count;
    integrator in;
    if ((status = integrator_create(ctx, problem, options, &in)))
        return status;
    tape tp = {0, 0, n, NULL, NULL, NULL, NULL};
    double *grad = sciml_alloc_array((size_t)(time_count * n + 10 * n + m), sizeof(double));
    if (!grad) {
        free(in.buffer);
        return sciml_error(ctx, SCIML_ERR_NOMEM, "ode_direct: out of memory for %lld x %lld",
                           (long long)time_count, (long long)n);
    }
    double *ybar = grad + time_count * n, *work = ybar + n;
    status = integrate(ctx, &in, y0, time_count, times, states, &tp);
    if (!status) {
        *loss = loss_grad(states, grad, loss_user);
        if (!isfinite(*loss))
            status = sciml_error(ctx, SCIML_ERR_NONFINITE, "ode_direct: the loss is %g", *loss);
    }
    if (!status) {
        for (int64_t j = 0; j < m; j++)
            grad_p[j] = 0.0;
        memcpy(ybar, grad + (time_count - 1) * n, (size_t)n * sizeof(double));
        if (time_count == 1)
            memset(ybar, 0, (size_t)n * sizeof(double));
        /* the last time's gradient is in ybar already; the tape marks t_0 .. t_{K-2} */
        status = reverse(ctx, &in, &tp, grad, ybar, grad_p, work);
        if (time_count == 1)
            for (int64_t j = 0; j < n; j++)
                ybar[j] += grad[j];
        if (!status && grad_y0)
            memcpy(grad_y0, ybar, (size_t)n * sizeof(double));
    }
    if (stats) {
        *stats = in.stats;
        stats->tape_bytes = tp.step_count * (int64_t)(7 * n + 3) * (int64_t)sizeof(double);
    }
    tape_free(&tp);
    free(grad);
    free(in.buffer);
    return status;
}

/* ---- adjoint on dopri5 -----------------------------------------------------------------------
 * The continuous adjoint integrated with the same explicit solver, backwards in time, with the
 * state re-solved alongside (Chen et al. 2018): on each interval [t_{k-1}, t_k], in s = -t,
 *
 *     dy/ds = -f(t, y),   dlambda/ds = (df/dy)^T lambda,   dq/ds = (df/dp)^T lambda,
 *
 * from y = y(t_k) (the forward solution, so the backward state does not drift across
 * intervals), lambda += g_k at each observation, q(t_{K-1}) = 0; q(t_0) = dL/dp. */
typedef struct augmented {
    const sciml_ode_problem *problem;
    double *lambda_y, *lambda_p; /* (n) (m) */
    int64_t vjp_count;
} augmented;

static int augmented_rhs(double s, const double *z, double *dz, void *user) {
    augmented *a_state = user;
    const sciml_ode_problem *p = a_state->problem;
    int64_t n = p->state_size, m = p->parameter_count;
    double t = -s;
    int result = p->rhs(t, z, dz, p->user);
    if (result)
        return result;
    for (int64_t i = 0; i < n; i++)
        dz[i] = -dz[i];
    result = p->vjp(t, z, z + n, dz + n, m > 0 ? dz + 2 * n : NULL, p->user);
    a_state->vjp_count++;
    return result;
}

sciml_status sciml_ode_dopri5_adjoint(
    sciml_ctx *ctx, const sciml_ode_problem *problem, const sciml_ode_options *options,
    const double *y0, int64_t time_count, const double *times, double *states,
    double (*loss_grad)(const double *states, double *grad, void *loss_user), void *loss_user,
    double *loss, double *grad_p, double *grad_y0, sciml_ode_stats *stats) {
    sciml_status status = sciml_ode_check_problem(ctx, problem, options, y0, time_count, times, 1);
    if (status)
        return status;
    if (!states || !loss_grad || !loss || (problem->parameter_count > 0 && !grad_p))
        return sciml_error(ctx, SCIML_ERR_ARG,
                           "ode_dopri5_adjoint: states, loss_grad, loss and grad_p are required");
    int64_t n = problem->state_size, m = problem->parameter_count, size = 2 * n + m;
    sciml_ode_stats forward = {0}, backward = {0};
    if ((status = sciml_ode_dopri5(ctx, problem, options, y0, time_count, times, states, &forward)))
        return status;
    double *grad = sciml_alloc_array((size_t)(time_count * n + 2 * size), sizeof(double));
    if (!grad)
        return sciml_error(ctx, SCIML_ERR_NOMEM, "ode_dopri5_adjoint: out of memory");
    double *z = grad + time_count * n; /* (2, size): start and end of an interval */
    *loss = loss_grad(states, grad, loss_user);
    if (!isfinite(*loss))
        status = sciml_error(ctx, SCIML_ERR_NONFINITE, "ode_dopri5_adjoint: the loss is %g", *loss);
    augmented a_state = {problem, NULL, NULL, 0};
    sciml_ode_problem backward_problem = {size, 0, augmented_rhs, NULL, NULL, &a_state};
    memcpy(z + n, grad + (time_count - 1) * n, (size_t)n * sizeof(double));
    memset(z + 2 * n, 0, (size_t)m * sizeof(double));
    for (int64_t k = time_count - 1; !status && k >= 1; k--) {
        memcpy(z, states + k * n, (size_t)n * sizeof(double));
        double span[2] = {-times[k], -times[k - 1]};
        sciml_ode_stats interval;
        status = sciml_ode_dopri5(ctx, &backward_problem, options, z, 2, span, z, &interval);
        if (status) {
            char reason[512];
            snprintf(reason, sizeof reason, "%s", sciml_ctx_message(ctx));
            status = sciml_error(ctx, status, "dopri5 adjoint, backward from t = %.9g: %s",
                                 times[k], reason);
            break;
        }
        memmove(z, z + size, (size_t)size * sizeof(double));
        for (int64_t i = 0; i < n; i++)
            z[n + i] += grad[(k - 1) * n + i];
        backward.steps += interval.steps;
        backward.rhs_evaluations += interval.rhs_evaluations;
    }
    if (!status) {
        if (time_count == 1)
            for (int64_t i = 0; i < n; i++)
                z[n + i] = grad[i];
        if (m > 0)
            memcpy(grad_p, z + 2 * n, (size_t)m * sizeof(double));
        if (grad_y0)
            memcpy(grad_y0, z + n, (size_t)n * sizeof(double));
    }
    if (stats) {
        *stats = forward;
        stats->backward_steps = backward.steps;
        stats->rhs_evaluations += backward.rhs_evaluations;
        stats->vjp_evaluations = a_state.vjp_count;
        stats->tape_bytes = 0;
    }
    free(grad);
    return status;
}
