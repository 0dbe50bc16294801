/* Learning: optimisers. Adam/AdamW/Adam-L2 single steps against hand-computed values and
 * against torch.optim (1.13, float64), Adam on a quadratic, checkpoint resume bit for bit;
 * L-BFGS on Rosenbrock (2D, 10D) and an ill-conditioned quadratic, strong Wolfe steps seen
 * through the iteration callback, NaN / error / interrupt handling; schedule values. */
#include "sciml/optim.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static sciml_ctx *make_ctx(void) {
    sciml_ctx *ctx = NULL;
    CU_ASSERT_FATAL(sciml_ctx_create(&ctx) == SCIML_OK);
    return ctx;
}

/* ---- Adam ------------------------------------------------------------------------------ */

static void test_adam_hand_steps(void) {
    sciml_ctx *ctx = make_ctx();
    sciml_adam *adam = NULL;
    CU_ASSERT_FATAL(sciml_adam_create(ctx, 1, NULL, &adam) == SCIML_OK);
    double p = 1.0, g = 0.5;
    CU_ASSERT_EQUAL(sciml_adam_step(adam, &p, &g, 0.1), SCIML_OK);
    /* t = 1: m = 0.05, v = 0.00025, m_hat = 0.5, v_hat = 0.25: p = 1 - 0.1 * 0.5 / 0.5. */
    double expected = 1.0 - 0.1 * 0.5 / (0.5 + 1e-8);
    SCIML_ASSERT_CLOSE(p, expected, 1e-15);
    g = -0.25;
    CU_ASSERT_EQUAL(sciml_adam_step(adam, &p, &g, 0.1), SCIML_OK);
    /* t = 2: m = 0.02, v = 0.00031225; textbook form m_hat / (sqrt(v_hat) + eps). */
    double m_hat = 0.02 / (1.0 - 0.81), v_hat = 0.00031225 / (1.0 - 0.998001);
    expected -= 0.1 * m_hat / (sqrt(v_hat) + 1e-8);
    SCIML_ASSERT_CLOSE(p, expected, 1e-13);
    CU_ASSERT_EQUAL(sciml_adam_step_count(adam), 2);
    sciml_adam_destroy(&adam);
    CU_ASSERT_PTR_NULL(adam);
    sciml_ctx_destroy(&ctx);
}

/* p = 2, g = 0.5, lr = 0.1, wd = 0.1, one step. L2: g' = 0.7 and the first Adam step is
 * about -lr sign(g'), so p ~ 1.9. Decoupled: p = 2 - 0.1 * 0.1 * 2 = 1.98, then -0.1: 1.88. */
static void test_weight_decay_modes(void) {
    sciml_ctx *ctx = make_ctx();
    sciml_adam_options options;
    sciml_adam_options_default(&options, SCIML_OPTIMIZER_ADAM);
    options.weight_decay = 0.1;
    sciml_adam *l2 = NULL, *decoupled = NULL;
    CU_ASSERT_FATAL(sciml_adam_create(ctx, 1, &options, &l2) == SCIML_OK);
    sciml_adam_options_default(&options, SCIML_OPTIMIZER_ADAMW);
    CU_ASSERT_EQUAL(options.decay_mode, SCIML_WEIGHT_DECAY_DECOUPLED);
    options.weight_decay = 0.1;
    CU_ASSERT_FATAL(sciml_adam_create(ctx, 1, &options, &decoupled) == SCIML_OK);
    double p_l2 = 2.0, p_w = 2.0, g = 0.5;
    CU_ASSERT_EQUAL(sciml_adam_step(l2, &p_l2, &g, 0.1), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_adam_step(decoupled, &p_w, &g, 0.1), SCIML_OK);
    SCIML_ASSERT_CLOSE(p_l2, 2.0 - 0.1 * 0.7 / (0.7 + 1e-8), 1e-15);
    SCIML_ASSERT_CLOSE(p_w, 1.98 - 0.1 * 0.5 / (0.5 + 1e-8), 1e-15);
    /* Zero gradient: L2 decay still drives a full-size Adam step, AdamW only shrinks p. */
    double q_l2 = 2.0, q_w = 2.0, zero = 0.0;
    sciml_adam *l2b = NULL, *wb = NULL;
    CU_ASSERT_FATAL(sciml_adam_create(ctx, 1, sciml_adam_get_options(l2), &l2b) == SCIML_OK);
    CU_ASSERT_FATAL(sciml_adam_create(ctx, 1, &options, &wb) == SCIML_OK);
    CU_ASSERT_EQUAL(sciml_adam_step(l2b, &q_l2, &zero, 0.1), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_adam_step(wb, &q_w, &zero, 0.1), SCIML_OK);
    SCIML_ASSERT_CLOSE(q_l2, 2.0 - 0.1 * 0.2 / (0.2 + 1e-8), 1e-15);
    SCIML_ASSERT_CLOSE(q_w, 1.98, 1e-15);
    sciml_adam_destroy(&l2);
    sciml_adam_destroy(&decoupled);
    sciml_adam_destroy(&l2b);
    sciml_adam_destroy(&wb);
    sciml_ctx_destroy(&ctx);
}

/* Three steps on three parameters against torch.optim.Adam / Adam(weight_decay) / AdamW,
 * lr 0.1, wd 0.1, float64 (values printed by torch 1.13). */
static void test_adam_matches_torch(void) {
    static const double start[3] = {1.0, -2.0, 0.5};
    static const double grads[3][3] = {{0.5, -0.1, 2.0}, {-0.25, 0.3, 1.0}, {0.125, 0.0, -3.0}};
    static const double expected[3][3] = {
        {0.8393233849166541, -1.9876200063730913, 0.31497971695564936},  /* Adam */
        {0.8005694720858495, -1.8056383769404705, 0.31291493091573813},  /* Adam, wd 0.1 */
        {0.8118787219097756, -1.9297138163628906, 0.30305139657861424}}; /* AdamW, wd 0.1 */
    sciml_ctx *ctx = make_ctx();
    for (int variant = 0; variant < 3; variant++) {
        sciml_adam_options options;
        sciml_adam_options_default(&options,
                                   variant == 2 ? SCIML_OPTIMIZER_ADAMW : SCIML_OPTIMIZER_ADAM);
        options.weight_decay = variant == 0 ? 0.0 : 0.1;
        sciml_adam *adam = NULL;
        CU_ASSERT_FATAL(sciml_adam_create(ctx, 3, &options, &adam) == SCIML_OK);
        double p[3];
        memcpy(p, start, sizeof(p));
        for (int step = 0; step < 3; step++)
            CU_ASSERT_EQUAL(sciml_adam_step(adam, p, grads[step], 0.1), SCIML_OK);
        for (int i = 0; i < 3; i++)
            SCIML_ASSERT_CLOSE(p[i], expected[variant][i], 1e-14);
        sciml_adam_destroy(&adam);
    }
    sciml_ctx_destroy(&ctx);
}

/* f = 0.5 sum a_i (x_i - c_i)^2, a_i from 1 to 100; Adam with a cosine schedule 0.05 -> 0. */
static void test_adam_quadratic(void) {
    enum { N = 10, STEPS = 3000 };
    sciml_ctx *ctx = make_ctx();
    sciml_adam *adam = NULL;
    CU_ASSERT_FATAL(sciml_adam_create(ctx, N, NULL, &adam) == SCIML_OK);
    sciml_schedule schedule;
    sciml_schedule_default(&schedule, 0.05);
    schedule.kind = SCIML_SCHEDULE_COSINE;
    schedule.period = STEPS;
    CU_ASSERT_EQUAL(sciml_schedule_check(ctx, &schedule), SCIML_OK);
    double x[N], c[N], a[N], g[N];
    for (int i = 0; i < N; i++) {
        x[i] = 0.0;
        c[i] = 1.0 - 0.3 * i;
        a[i] = pow(100.0, i / (double)(N - 1));
    }
    for (int step = 0; step < STEPS; step++) {
        for (int i = 0; i < N; i++)
            g[i] = a[i] * (x[i] - c[i]);
        CU_ASSERT_EQUAL_FATAL(sciml_adam_step(adam, x, g, sciml_schedule_lr(&schedule, step)),
                              SCIML_OK);
    }
    double worst = 0.0;
    for (int i = 0; i < N; i++)
        worst = fmax(worst, fabs(x[i] - c[i]));
    CU_ASSERT(worst < 1e-4);
    sciml_adam_destroy(&adam);
    sciml_ctx_destroy(&ctx);
}

/* Save the state after 20 steps, continue 20 more; a new optimiser given the saved state and
 * the saved parameters must reproduce the same bits. */
static void test_adam_resume(void) {
    enum { N = 7 };
    sciml_ctx *ctx = make_ctx();
    sciml_adam_options options;
    sciml_adam_options_default(&options, SCIML_OPTIMIZER_ADAMW);
    sciml_adam *a = NULL, *b = NULL;
    CU_ASSERT_FATAL(sciml_adam_create(ctx, N, &options, &a) == SCIML_OK);
    CU_ASSERT_FATAL(sciml_adam_create(ctx, N, &options, &b) == SCIML_OK);
    double x[N], g[N], saved_x[N], m[N], v[N];
    int64_t t = -1;
    for (int i = 0; i < N; i++)
        x[i] = sin(i + 1.0);
    for (int step = 0; step < 40; step++) {
        if (step == 20) {
            memcpy(saved_x, x, sizeof(x));
            CU_ASSERT_EQUAL(sciml_adam_get_state(a, &t, m, v, N), SCIML_OK);
        }
        for (int i = 0; i < N; i++)
            g[i] = cos(3.0 * x[i]) + x[i];
        CU_ASSERT_EQUAL(sciml_adam_step(a, x, g, 0.01), SCIML_OK);
    }
    CU_ASSERT_EQUAL(t, 20);
    CU_ASSERT_EQUAL(sciml_adam_set_state(b, t, m, v, N - 1), SCIML_ERR_SHAPE);
    CU_ASSERT_EQUAL(sciml_adam_set_state(b, t, m, v, N), SCIML_OK);
    for (int step = 20; step < 40; step++) {
        for (int i = 0; i < N; i++)
            g[i] = cos(3.0 * saved_x[i]) + saved_x[i];
        CU_ASSERT_EQUAL(sciml_adam_step(b, saved_x, g, 0.01), SCIML_OK);
    }
    CU_ASSERT_EQUAL(memcmp(x, saved_x, sizeof(x)), 0);
    CU_ASSERT_EQUAL(sciml_adam_step_count(b), 40);
    sciml_adam_destroy(&a);
    sciml_adam_destroy(&b);
    sciml_ctx_destroy(&ctx);
}

static void test_adam_errors(void) {
    sciml_ctx *ctx = make_ctx();
    sciml_adam *adam = NULL;
    CU_ASSERT_EQUAL(sciml_adam_create(ctx, 0, NULL, &adam), SCIML_ERR_RANGE);
    CU_ASSERT_PTR_NULL(adam);
    sciml_adam_options options;
    sciml_adam_options_default(&options, SCIML_OPTIMIZER_ADAM);
    options.beta2 = 1.0;
    CU_ASSERT_EQUAL(sciml_adam_create(ctx, 3, &options, &adam), SCIML_ERR_RANGE);
    CU_ASSERT(strstr(sciml_ctx_message(ctx), "beta2") != NULL);
    CU_ASSERT_FATAL(sciml_adam_create(ctx, 2, NULL, &adam) == SCIML_OK);
    double p[2] = {1.0, 2.0}, g[2] = {0.5, NAN};
    CU_ASSERT_EQUAL(sciml_adam_step(adam, p, g, 0.1), SCIML_ERR_NONFINITE);
    CU_ASSERT_EQUAL(p[0], 1.0); /* nothing changed */
    CU_ASSERT_EQUAL(sciml_adam_step_count(adam), 0);
    g[1] = 0.0;
    CU_ASSERT_EQUAL(sciml_adam_step(adam, p, g, -1.0), SCIML_ERR_RANGE);
    sciml_optimizer_kind kind;
    CU_ASSERT_EQUAL(sciml_optimizer_parse(ctx, "adamw", &kind), SCIML_OK);
    CU_ASSERT_EQUAL(kind, SCIML_OPTIMIZER_ADAMW);
    CU_ASSERT_EQUAL(sciml_optimizer_parse(ctx, "sgd", &kind), SCIML_ERR_NOT_FOUND);
    CU_ASSERT(strstr(sciml_ctx_message(ctx), "sgd") != NULL);
    sciml_adam_destroy(&adam);
    sciml_adam_destroy(&adam);
    sciml_ctx_destroy(&ctx);
}

/* ---- L-BFGS ---------------------------------------------------------------------------- */

typedef struct objective_state {
    int64_t calls;
    int64_t fail_after;      /* > 0: misbehave from this call on */
    int fail_with_error;     /* 1: return SCIML_ERR_SOLVER, 0: return NaN */
    int64_t nonfinite_calls; /* how often a non-finite value was returned */
    const double *scale;     /* quadratic: eigenvalues */
} objective_state;

/* Chained Rosenbrock: sum_i 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2. */
static sciml_status rosenbrock(void *user, int64_t n, const double *x, double *f, double *g) {
    objective_state *state = user;
    state->calls++;
    if (state->fail_after > 0 && state->calls > state->fail_after) {
        if (state->fail_with_error)
            return SCIML_ERR_SOLVER;
        *f = NAN;
        state->nonfinite_calls++;
        return SCIML_OK;
    }
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++)
        g[i] = 0.0;
    for (int64_t i = 0; i + 1 < n; i++) {
        double a = x[i + 1] - x[i] * x[i], b = 1.0 - x[i];
        sum += 100.0 * a * a + b * b;
        g[i] += -400.0 * a * x[i] - 2.0 * b;
        g[i + 1] += 200.0 * a;
    }
    *f = sum;
    return SCIML_OK;
}

typedef struct wolfe_record {
    int64_t steps, violations, last_iteration;
    double last_x[16], last_f;
    double c1, c2;
    int64_t stop_at, interrupt_at;
    sciml_ctx *ctx;
} wolfe_record;

static int record_iteration(void *user, const sciml_lbfgs_progress *p) {
    wolfe_record *r = user;
    r->steps++;
    /* Strong Wolfe, checked from the reported numbers rather than the flag alone. */
    int armijo = p->f <= p->f_previous + r->c1 * p->step * p->initial_slope;
    int curvature = fabs(p->final_slope) <= r->c2 * fabs(p->initial_slope);
    if (!armijo || !curvature || !p->strong_wolfe || !(p->initial_slope < 0.0) || !(p->step > 0))
        r->violations++;
    r->last_iteration = p->iteration;
    for (int64_t i = 0; i < p->n && i < 16; i++)
        r->last_x[i] = p->x[i];
    r->last_f = p->f;
    if (r->interrupt_at && p->iteration == r->interrupt_at)
        sciml_ctx_request_interrupt(r->ctx);
    return r->stop_at && p->iteration >= r->stop_at;
}

static void run_rosenbrock(int64_t n, int64_t iteration_bound) {
    sciml_ctx *ctx = make_ctx();
    double x[16];
    for (int64_t i = 0; i < n; i++)
        x[i] = i % 2 == 0 ? -1.2 : 1.0;
    objective_state state = {0};
    wolfe_record record = {0};
    sciml_lbfgs_options options;
    sciml_lbfgs_options_default(&options);
    options.gradient_tolerance = 1e-11;
    options.function_tolerance = 0.0;
    options.iteration_callback = record_iteration;
    options.iteration_user = &record;
    record.c1 = options.c1;
    record.c2 = options.c2;
    sciml_lbfgs_result result;
    CU_ASSERT_EQUAL(sciml_lbfgs_minimize(ctx, n, x, rosenbrock, &state, &options, &result),
                    SCIML_OK);
    double worst = 0.0;
    for (int64_t i = 0; i < n; i++)
        worst = fmax(worst, fabs(x[i] - 1.0));
    CU_ASSERT(worst < 1e-8);
    CU_ASSERT_EQUAL(result.reason, SCIML_LBFGS_GRADIENT_TOLERANCE);
    CU_ASSERT(result.iterations <= iteration_bound);
    CU_ASSERT_EQUAL(result.evaluations, state.calls);
    CU_ASSERT_EQUAL(record.steps, result.iterations);
    CU_ASSERT_EQUAL(record.violations, 0);
    CU_ASSERT(result.f < 1e-20);
    if (worst >= 1e-8 || result.iterations > iteration_bound)
        fprintf(stderr, "rosenbrock %lld: |x - 1| = %g after %lld iterations (%s)\n", (long long)n,
                worst, (long long)result.iterations, sciml_lbfgs_reason_name(result.reason));
    sciml_ctx_destroy(&ctx);
}

/* Bounds: we take 38 and 89 iterations; SciPy L-BFGS-B (maxcor 10, same start) 39 and 83. */
static void test_lbfgs_rosenbrock_2d(void) {
    run_rosenbrock(2, 50);
}
static void test_lbfgs_rosenbrock_10d(void) {
    run_rosenbrock(10, 110);
}

static sciml_status quadratic(void *user, int64_t n, const double *x, double *f, double *g) {
    objective_state *state = user;
    state->calls++;
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++) {
        g[i] = state->scale[i] * (x[i] - 1.0);
        sum += 0.5 * state->scale[i] * (x[i] - 1.0) * (x[i] - 1.0);
    }
    *f = sum;
    return SCIML_OK;
}

/* f = 0.5 (x - 1)' A (x - 1), A = R diag(1, 1e8) R' with R a rotation by 0.3 rad. */
static sciml_status rotated_quadratic(void *user, int64_t n, const double *x, double *f,
                                      double *g) {
    objective_state *state = user;
    state->calls++;
    const double c = cos(0.3), s = sin(0.3), lambda[2] = {1.0, 1e8};
    double e0 = x[0] - 1.0, e1 = x[1] - 1.0;
    double r0 = c * e0 + s * e1, r1 = -s * e0 + c * e1; /* R' e */
    double h0 = lambda[0] * r0, h1 = lambda[1] * r1;
    g[0] = c * h0 - s * h1; /* R diag R' e */
    g[1] = s * h0 + c * h1;
    *f = 0.5 * (lambda[0] * r0 * r0 + lambda[1] * r1 * r1);
    return SCIML_OK;
}

/* f = 0.5 sum lambda_i (x_i - 1)^2 with lambda log-spaced from 1 to 1e4 over 100 unknowns.
 * A hard spectrum for m = 10: SciPy's L-BFGS-B (maxcor 10) takes 1150 iterations to reach
 * gtol 1e-8 here, so the bound 1500 checks we are no worse than that reference. */
static void test_lbfgs_ill_conditioned(void) {
    enum { N = 100 };
    sciml_ctx *ctx = make_ctx();
    double x[N], lambda[N];
    for (int i = 0; i < N; i++) {
        lambda[i] = pow(1e4, i / (double)(N - 1));
        x[i] = 0.0;
    }
    objective_state state = {.scale = lambda};
    sciml_lbfgs_options options;
    sciml_lbfgs_options_default(&options);
    options.gradient_tolerance = 1e-8;
    options.function_tolerance = 0.0;
    options.max_iterations = 5000;
    options.max_evaluations = 10000;
    sciml_lbfgs_result result;
    CU_ASSERT_EQUAL(sciml_lbfgs_minimize(ctx, N, x, quadratic, &state, &options, &result),
                    SCIML_OK);
    double worst = 0.0;
    for (int i = 0; i < N; i++)
        worst = fmax(worst, fabs(x[i] - 1.0));
    CU_ASSERT_EQUAL(result.reason, SCIML_LBFGS_GRADIENT_TOLERANCE);
    CU_ASSERT(worst <= 1e-8); /* |x_i - 1| <= ||g||_inf / lambda_min */
    CU_ASSERT(result.iterations <= 1500);
    CU_ASSERT(result.evaluations <= 1.2 * result.iterations); /* unit steps mostly accepted */
    if (result.iterations > 1500 || worst > 1e-8)
        fprintf(stderr, "quadratic: |x - 1| = %g after %lld iterations (%s)\n", worst,
                (long long)result.iterations, sciml_lbfgs_reason_name(result.reason));

    /* A rotated 2D quadratic with condition number 1e8: L-BFGS is exact on it in a few steps
     * (two independent curvature pairs determine the Hessian). */
    objective_state state2 = {0};
    double z[2] = {0.0, 0.0};
    options.gradient_tolerance = 1e-6;
    CU_ASSERT_EQUAL(sciml_lbfgs_minimize(ctx, 2, z, rotated_quadratic, &state2, &options, &result),
                    SCIML_OK);
    CU_ASSERT(fabs(z[0] - 1.0) < 1e-8 && fabs(z[1] - 1.0) < 1e-8);
    CU_ASSERT(result.iterations <= 10);
    sciml_ctx_destroy(&ctx);
}

/* NaN from the 12th call on: stop with SCIML_ERR_NONFINITE at the last accepted point. */
static void test_lbfgs_nan_stops(void) {
    sciml_ctx *ctx = make_ctx();
    double x[2] = {-1.2, 1.0};
    objective_state state = {.fail_after = 12};
    wolfe_record record = {0};
    sciml_lbfgs_options options;
    sciml_lbfgs_options_default(&options);
    options.iteration_callback = record_iteration;
    options.iteration_user = &record;
    record.c1 = options.c1;
    record.c2 = options.c2;
    sciml_lbfgs_result result;
    CU_ASSERT_EQUAL(sciml_lbfgs_minimize(ctx, 2, x, rosenbrock, &state, &options, &result),
                    SCIML_ERR_NONFINITE);
    CU_ASSERT_EQUAL(result.reason, SCIML_LBFGS_NONFINITE);
    CU_ASSERT(state.nonfinite_calls > 0);
    CU_ASSERT(record.steps > 0);
    CU_ASSERT_EQUAL(result.iterations, record.steps);
    CU_ASSERT_EQUAL(x[0], record.last_x[0]);
    CU_ASSERT_EQUAL(x[1], record.last_x[1]);
    CU_ASSERT_EQUAL(result.f, record.last_f);
    CU_ASSERT(isfinite(result.f) && result.f < 24.2); /* below f(-1.2, 1) = 24.2 */
    CU_ASSERT(strstr(sciml_ctx_message(ctx), "non-finite") != NULL);
    sciml_ctx_destroy(&ctx);
}

/* An error status from the objective is passed through, x stays at the last good point. */
static void test_lbfgs_callback_error(void) {
    sciml_ctx *ctx = make_ctx();
    double x[2] = {-1.2, 1.0};
    objective_state state = {.fail_after = 9, .fail_with_error = 1};
    wolfe_record record = {0};
    sciml_lbfgs_options options;
    sciml_lbfgs_options_default(&options);
    options.iteration_callback = record_iteration;
    options.iteration_user = &record;
    record.c1 = options.c1;
    record.c2 = options.c2;
    sciml_lbfgs_result result;
    CU_ASSERT_EQUAL(sciml_lbfgs_minimize(ctx, 2, x, rosenbrock, &state, &options, &result),
                    SCIML_ERR_SOLVER);
    CU_ASSERT_EQUAL(result.reason, SCIML_LBFGS_CALLBACK_ERROR);
    CU_ASSERT_EQUAL(result.evaluations, 10);
    CU_ASSERT(record.steps > 0);
    CU_ASSERT_EQUAL(x[0], record.last_x[0]);
    CU_ASSERT_EQUAL(x[1], record.last_x[1]);
    CU_ASSERT(strstr(sciml_ctx_message(ctx), "objective") != NULL);
    /* Failure at the very first evaluation leaves x untouched. */
    double y[2] = {3.0, 4.0};
    objective_state first = {.calls = 1, .fail_after = 1, .fail_with_error = 1}; /* fail now */
    CU_ASSERT_EQUAL(sciml_lbfgs_minimize(ctx, 2, y, rosenbrock, &first, NULL, &result),
                    SCIML_ERR_SOLVER);
    CU_ASSERT_EQUAL(y[0], 3.0);
    CU_ASSERT_EQUAL(y[1], 4.0);
    sciml_ctx_destroy(&ctx);
}

/* sum_i c_i x_i - log x_i (minimum x_i = 1 / c_i), NaN for x_i <= 0: the line search must
 * back off from non-finite trial points and still converge. */
static sciml_status barrier(void *user, int64_t n, const double *x, double *f, double *g) {
    objective_state *state = user;
    state->calls++;
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++) {
        if (!(x[i] > 0.0)) {
            state->nonfinite_calls++;
            *f = NAN;
            return SCIML_OK;
        }
        double c = 1.0 + 3.0 * (double)i;
        sum += c * x[i] - log(x[i]);
        g[i] = c - 1.0 / x[i];
    }
    *f = sum;
    return SCIML_OK;
}

static void test_lbfgs_nan_recovers(void) {
    enum { N = 6 };
    sciml_ctx *ctx = make_ctx();
    double x[N];
    for (int i = 0; i < N; i++)
        x[i] = 3.0;
    objective_state state = {0};
    sciml_lbfgs_options options;
    sciml_lbfgs_options_default(&options);
    options.gradient_tolerance = 1e-10;
    options.function_tolerance = 0.0;
    sciml_lbfgs_result result;
    CU_ASSERT_EQUAL(sciml_lbfgs_minimize(ctx, N, x, barrier, &state, &options, &result), SCIML_OK);
    CU_ASSERT_EQUAL(result.reason, SCIML_LBFGS_GRADIENT_TOLERANCE);
    CU_ASSERT(state.nonfinite_calls > 0); /* the test did exercise the non-finite path */
    for (int i = 0; i < N; i++)
        SCIML_ASSERT_CLOSE(x[i], 1.0 / (1.0 + 3.0 * i), 1e-9);
    sciml_ctx_destroy(&ctx);
}

static void test_lbfgs_stop_and_interrupt(void) {
    sciml_ctx *ctx = make_ctx();
    sciml_lbfgs_options options;
    sciml_lbfgs_options_default(&options);
    wolfe_record record = {.c1 = options.c1, .c2 = options.c2, .stop_at = 3, .ctx = ctx};
    options.iteration_callback = record_iteration;
    options.iteration_user = &record;
    double x[2] = {-1.2, 1.0};
    objective_state state = {0};
    sciml_lbfgs_result result;
    CU_ASSERT_EQUAL(sciml_lbfgs_minimize(ctx, 2, x, rosenbrock, &state, &options, &result),
                    SCIML_OK);
    CU_ASSERT_EQUAL(result.reason, SCIML_LBFGS_STOPPED_BY_CALLBACK);
    CU_ASSERT_EQUAL(result.iterations, 3);
    record = (wolfe_record){.c1 = options.c1, .c2 = options.c2, .interrupt_at = 4, .ctx = ctx};
    x[0] = -1.2;
    x[1] = 1.0;
    CU_ASSERT_EQUAL(sciml_lbfgs_minimize(ctx, 2, x, rosenbrock, &state, &options, &result),
                    SCIML_ERR_INTERRUPTED);
    CU_ASSERT_EQUAL(result.reason, SCIML_LBFGS_INTERRUPTED);
    CU_ASSERT_EQUAL(result.iterations, 4);
    CU_ASSERT_EQUAL(x[0], record.last_x[0]);
    sciml_ctx_clear_interrupt(ctx);
    /* Limits and bad options. */
    options.iteration_callback = NULL;
    options.max_iterations = 5;
    CU_ASSERT_EQUAL(sciml_lbfgs_minimize(ctx, 2, x, rosenbrock, &state, &options, &result),
                    SCIML_OK);
    CU_ASSERT_EQUAL(result.reason, SCIML_LBFGS_MAX_ITERATIONS);
    CU_ASSERT_EQUAL(result.iterations, 5);
    options.max_iterations = 1000;
    options.max_evaluations = 7;
    CU_ASSERT_EQUAL(sciml_lbfgs_minimize(ctx, 2, x, rosenbrock, &state, &options, &result),
                    SCIML_OK);
    CU_ASSERT_EQUAL(result.reason, SCIML_LBFGS_MAX_EVALUATIONS);
    CU_ASSERT(result.evaluations <= 7);
    options.c2 = 1e-5;
    CU_ASSERT_EQUAL(sciml_lbfgs_minimize(ctx, 2, x, rosenbrock, &state, &options, &result),
                    SCIML_ERR_RANGE);
    CU_ASSERT_STRING_EQUAL(sciml_lbfgs_reason_name(SCIML_LBFGS_GRADIENT_TOLERANCE),
                           "gradient tolerance");
    sciml_ctx_destroy(&ctx);
}

/* ---- Schedules -------------------------------------------------------------------------- */

static void test_schedules(void) {
    sciml_ctx *ctx = make_ctx();
    sciml_schedule s;
    sciml_schedule_default(&s, 1e-3);
    CU_ASSERT_EQUAL(sciml_schedule_check(ctx, &s), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_schedule_lr(&s, 0), 1e-3);
    CU_ASSERT_EQUAL(sciml_schedule_lr(&s, 100000), 1e-3);

    s.kind = SCIML_SCHEDULE_STEP; /* halve every 50 epochs */
    s.step_size = 50;
    s.gamma = 0.5;
    CU_ASSERT_EQUAL(sciml_schedule_check(ctx, &s), SCIML_OK);
    SCIML_ASSERT_CLOSE(sciml_schedule_lr(&s, 0), 1e-3, 1e-18);
    SCIML_ASSERT_CLOSE(sciml_schedule_lr(&s, 49), 1e-3, 1e-18);
    SCIML_ASSERT_CLOSE(sciml_schedule_lr(&s, 50), 5e-4, 1e-18);
    SCIML_ASSERT_CLOSE(sciml_schedule_lr(&s, 149), 2.5e-4, 1e-18);
    SCIML_ASSERT_CLOSE(sciml_schedule_lr(&s, 150), 1.25e-4, 1e-18);

    s.kind = SCIML_SCHEDULE_COSINE;
    s.period = 100;
    s.min_lr = 1e-5;
    CU_ASSERT_EQUAL(sciml_schedule_check(ctx, &s), SCIML_OK);
    SCIML_ASSERT_CLOSE(sciml_schedule_lr(&s, 0), 1e-3, 1e-18);
    SCIML_ASSERT_CLOSE(sciml_schedule_lr(&s, 50), 1e-5 + (1e-3 - 1e-5) * 0.5, 1e-17);
    SCIML_ASSERT_CLOSE(sciml_schedule_lr(&s, 25), 1e-5 + (1e-3 - 1e-5) * 0.5 * (1.0 + sqrt(0.5)),
                       1e-17);
    SCIML_ASSERT_CLOSE(sciml_schedule_lr(&s, 100), 1e-5, 1e-18);
    SCIML_ASSERT_CLOSE(sciml_schedule_lr(&s, 5000), 1e-5, 1e-18);

    s.warmup = 10; /* linear warm-up, then the cosine starts at index 10 */
    SCIML_ASSERT_CLOSE(sciml_schedule_lr(&s, 0), 1e-4, 1e-18);
    SCIML_ASSERT_CLOSE(sciml_schedule_lr(&s, 4), 5e-4, 1e-18);
    SCIML_ASSERT_CLOSE(sciml_schedule_lr(&s, 9), 1e-3, 1e-18);
    SCIML_ASSERT_CLOSE(sciml_schedule_lr(&s, 10), 1e-3, 1e-18);
    SCIML_ASSERT_CLOSE(sciml_schedule_lr(&s, 60), 1e-5 + (1e-3 - 1e-5) * 0.5, 1e-17);

    s.min_lr = 1.0;
    CU_ASSERT_EQUAL(sciml_schedule_check(ctx, &s), SCIML_ERR_RANGE);
    s.min_lr = 0.0;
    s.kind = SCIML_SCHEDULE_STEP;
    s.gamma = 0.0;
    CU_ASSERT_EQUAL(sciml_schedule_check(ctx, &s), SCIML_ERR_RANGE);
    CU_ASSERT(strstr(sciml_ctx_message(ctx), "gamma") != NULL);
    sciml_schedule_kind kind;
    CU_ASSERT_EQUAL(sciml_schedule_parse(ctx, "cosine", &kind), SCIML_OK);
    CU_ASSERT_EQUAL(kind, SCIML_SCHEDULE_COSINE);
    CU_ASSERT_EQUAL(sciml_schedule_parse(ctx, "cos", &kind), SCIML_ERR_NOT_FOUND);
    sciml_ctx_destroy(&ctx);
}

int main(void) {
    static const sciml_test_case cases[] = {
        {"adam hand-computed steps", test_adam_hand_steps},
        {"weight decay: L2 versus decoupled", test_weight_decay_modes},
        {"adam matches torch.optim", test_adam_matches_torch},
        {"adam on a quadratic", test_adam_quadratic},
        {"adam resume bit for bit", test_adam_resume},
        {"adam errors", test_adam_errors},
        {"lbfgs rosenbrock 2d", test_lbfgs_rosenbrock_2d},
        {"lbfgs rosenbrock 10d", test_lbfgs_rosenbrock_10d},
        {"lbfgs ill-conditioned quadratic", test_lbfgs_ill_conditioned},
        {"lbfgs NaN stops at last good point", test_lbfgs_nan_stops},
        {"lbfgs objective error", test_lbfgs_callback_error},
        {"lbfgs recovers from NaN trial points", test_lbfgs_nan_recovers},
        {"lbfgs stop, interrupt, limits", test_lbfgs_stop_and_interrupt},
        {"schedules", test_schedules},
        {NULL, NULL}};
    return sciml_test_main("learning_optim", cases);
}
