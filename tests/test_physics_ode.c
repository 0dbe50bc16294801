/* ODE solvers on CVODES (sciml/ode.h): accuracy against a closed form (linear system, Adams and
 * BDF), conservation laws of the generator's systems (pendulum energy, the Lotka-Volterra
 * invariant, Robertson's mass) and Robertson's classic values at t = 40, the adjoint gradient
 * against central finite differences (Adams and BDF), and the error paths (times that do not
 * increase, a NaN state, too much work). */
#include "sciml/ode.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* y' = M y with M = [[-a, w], [-w, -a]] (p = (a, w)): y(t) = exp(-a t) R(w t) y0. */
static int linear_rhs(double t, const double *y, double *dydt, void *user) {
    const double *p = user;
    dydt[0] = -p[0] * y[0] + p[1] * y[1];
    dydt[1] = -p[1] * y[0] - p[0] * y[1];
    return 0;
}

static int linear_vjp(double t, const double *y, const double *lambda, double *lambda_y,
                      double *lambda_p, void *user) {
    const double *p = user;
    lambda_y[0] = -p[0] * lambda[0] - p[1] * lambda[1];
    lambda_y[1] = p[1] * lambda[0] - p[0] * lambda[1];
    if (lambda_p) {
        lambda_p[0] = -lambda[0] * y[0] - lambda[1] * y[1];
        lambda_p[1] = lambda[0] * y[1] - lambda[1] * y[0];
    }
    return 0;
}

static void test_linear_closed_form(void) {
    sciml_ctx *ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_ctx_create(&ctx), SCIML_OK);
    double p[2] = {0.1, 2.0};
    sciml_ode_problem problem = {2, 0, linear_rhs, linear_vjp, NULL, p};
    double times[21], states[42], y0[2] = {1.0, 0.5};
    for (int k = 0; k < 21; k++)
        times[k] = 0.25 * k;
    for (int method = 0; method < 2; method++) {
        sciml_ode_options options = sciml_ode_default_options();
        options.method = method ? SCIML_ODE_BDF : SCIML_ODE_ADAMS;
        options.relative_tolerance = options.absolute_tolerance = 1e-11;
        sciml_ode_stats stats;
        CU_ASSERT_EQUAL_FATAL(
            sciml_ode_solve(ctx, &problem, &options, y0, 21, times, states, &stats), SCIML_OK);
        CU_ASSERT(stats.steps > 0 && stats.rhs_evaluations >= stats.steps);
        double worst = 0.0;
        for (int k = 0; k < 21; k++) {
            double decay = exp(-p[0] * times[k]), c = cos(p[1] * times[k]),
                   s = sin(p[1] * times[k]);
            double exact0 = decay * (c * y0[0] + s * y0[1]);
            double exact1 = decay * (-s * y0[0] + c * y0[1]);
            worst =
                fmax(worst, fmax(fabs(states[2 * k] - exact0), fabs(states[2 * k + 1] - exact1)));
        }
        CU_ASSERT(worst < 1e-8);
    }
    sciml_ctx_destroy(&ctx);
}

static void solve_system(sciml_ctx *ctx, const char *name, double tolerance, int64_t count,
                         double *times, double *states) {
    const sciml_ode_system *system = sciml_ode_system_find(name);
    CU_ASSERT_PTR_NOT_NULL_FATAL(system);
    sciml_ode_problem problem = sciml_ode_system_problem(system);
    sciml_ode_options options = sciml_ode_default_options();
    options.method = system->method;
    options.relative_tolerance = tolerance;
    options.absolute_tolerance = tolerance * 1e-4;
    for (int64_t k = 0; k < count; k++)
        times[k] = system->horizon * (double)k / (double)(count - 1);
    CU_ASSERT_EQUAL_FATAL(
        sciml_ode_solve(ctx, &problem, &options, system->initial, count, times, states, NULL),
        SCIML_OK);
}

static void test_conservation(void) {
    sciml_ctx *ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_ctx_create(&ctx), SCIML_OK);
    enum { COUNT = 41 };
    double times[COUNT], states[COUNT * 3];
    solve_system(ctx, "pendulum", 1e-10, COUNT, times, states);
    double energy0 = 0.5 * states[1] * states[1] - cos(states[0]);
    for (int k = 1; k < COUNT; k++)
        SCIML_ASSERT_CLOSE(0.5 * states[2 * k + 1] * states[2 * k + 1] - cos(states[2 * k]),
                           energy0, 1e-8);
    solve_system(ctx, "lotka-volterra", 1e-10, COUNT, times, states);
    /* V = d x - g ln x + b y - a ln y with (a, b, g, d) = (1.5, 1, 3, 1) */
    double v0 = states[0] - 3.0 * log(states[0]) + states[1] - 1.5 * log(states[1]);
    for (int k = 1; k < COUNT; k++) {
        double x = states[2 * k], y = states[2 * k + 1];
        SCIML_ASSERT_CLOSE(x - 3.0 * log(x) + y - 1.5 * log(y), v0, 1e-8);
    }
    solve_system(ctx, "robertson", 1e-9, COUNT, times, states);
    for (int k = 0; k < COUNT; k++)
        SCIML_ASSERT_CLOSE(states[3 * k] + states[3 * k + 1] + states[3 * k + 2], 1.0, 1e-10);
    /* Classic values at t = 40 (Hairer and Wanner, and the CVODES example's output). */
    SCIML_ASSERT_CLOSE(states[3 * (COUNT - 1)], 7.158270687e-1, 1e-8);
    SCIML_ASSERT_CLOSE(states[3 * (COUNT - 1) + 1], 9.185534764e-6, 1e-12);
    SCIML_ASSERT_CLOSE(states[3 * (COUNT - 1) + 2], 2.841637457e-1, 1e-8);
    /* The spiral's time points: its default is 1000 over [0, 25]. */
    const sciml_ode_system *spiral = sciml_ode_system_find("spiral");
    CU_ASSERT_EQUAL(spiral->points, 1000);
    CU_ASSERT_EQUAL(spiral->horizon, 25.0);
    CU_ASSERT_PTR_NULL(sciml_ode_system_find("van-der-pol"));
    sciml_ctx_destroy(&ctx);
}

/* L = sum_k w_k . y(t_k)^2 / 2 with fixed weights. */
static double weighted_loss(const double *states, double *grad, void *user) {
    const int64_t *count = user;
    double loss = 0.0;
    for (int64_t i = 0; i < 2 * *count; i++) {
        double w = 1.0 + 0.1 * (double)i;
        loss += 0.5 * w * states[i] * states[i];
        if (grad)
            grad[i] = w * states[i];
    }
    return loss;
}

static void test_adjoint_finite_differences(void) {
    sciml_ctx *ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_ctx_create(&ctx), SCIML_OK);
    double p[2] = {0.1, 2.0};
    sciml_ode_problem problem = {2, 2, linear_rhs, linear_vjp, NULL, p};
    int64_t count = 6;
    double times[6] = {0.0, 0.3, 0.7, 1.6, 2.0, 3.1}, states[12], y0[2] = {1.0, 0.5};
    for (int method = 0; method < 2; method++) {
        sciml_ode_options options = sciml_ode_default_options();
        options.method = method ? SCIML_ODE_BDF : SCIML_ODE_ADAMS;
        options.relative_tolerance = options.absolute_tolerance = 1e-10;
        double loss, grad_p[2], grad_y0[2];
        sciml_ode_stats stats;
        CU_ASSERT_EQUAL_FATAL(sciml_ode_adjoint(ctx, &problem, &options, y0, count, times, states,
                                                weighted_loss, &count, &loss, grad_p, grad_y0,
                                                &stats),
                              SCIML_OK);
        CU_ASSERT(stats.backward_steps > 0 && stats.vjp_evaluations > 0);
        const double step = 1e-5;
        for (int j = 0; j < 4; j++) {
            double *x = j < 2 ? &p[j] : &y0[j - 2], saved = *x, plus, minus;
            *x = saved + step;
            CU_ASSERT_EQUAL(
                sciml_ode_solve(ctx, &problem, &options, y0, count, times, states, NULL), SCIML_OK);
            plus = weighted_loss(states, NULL, &count);
            *x = saved - step;
            CU_ASSERT_EQUAL(
                sciml_ode_solve(ctx, &problem, &options, y0, count, times, states, NULL), SCIML_OK);
            minus = weighted_loss(states, NULL, &count);
            *x = saved;
            double fd = (plus - minus) / (2.0 * step), ad = j < 2 ? grad_p[j] : grad_y0[j - 2];
            CU_ASSERT(fabs(fd - ad) <= 1e-6 * fmax(1.0, fabs(fd)));
            if (fabs(fd - ad) > 1e-6 * fmax(1.0, fabs(fd)))
                printf("\n%s parameter %d: adjoint %.12g, finite differences %.12g\n",
                       sciml_ode_method_name(options.method), j, ad, fd);
        }
    }
    sciml_ctx_destroy(&ctx);
}

/* Gradient of the linear problem's weighted loss with respect to (p, y0) by central
 * differences of `solve` (CVODES or dopri5). */
static void finite_difference_gradient(sciml_ctx *ctx, int use_dopri5, sciml_ode_problem *problem,
                                       const sciml_ode_options *options, double *p, double *y0,
                                       int64_t count, const double *times, double *fd) {
    double states[64];
    const double step = 1e-5;
    for (int j = 0; j < 4; j++) {
        double *x = j < 2 ? &p[j] : &y0[j - 2], saved = *x, value[2];
        for (int side = 0; side < 2; side++) {
            *x = saved + (side ? -step : step);
            sciml_status status =
                use_dopri5 ? sciml_ode_dopri5(ctx, problem, options, y0, count, times, states, NULL)
                           : sciml_ode_solve(ctx, problem, options, y0, count, times, states, NULL);
            CU_ASSERT_EQUAL(status, SCIML_OK);
            value[side] = weighted_loss(states, NULL, &count);
        }
        *x = saved;
        fd[j] = (value[0] - value[1]) / (2.0 * step);
    }
}

static void test_dopri5_direct(void) {
    sciml_ctx *ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_ctx_create(&ctx), SCIML_OK);
    double p[2] = {0.1, 2.0};
    sciml_ode_problem problem = {2, 2, linear_rhs, linear_vjp, NULL, p};
    int64_t count = 6;
    double times[6] = {0.0, 0.3, 0.7, 1.6, 2.0, 3.1}, states[12], y0[2] = {1.0, 0.5};
    sciml_ode_options options = sciml_ode_default_options();
    options.relative_tolerance = options.absolute_tolerance = 1e-11;
    /* accuracy of the adaptive solver against the closed form */
    sciml_ode_stats stats;
    CU_ASSERT_EQUAL_FATAL(
        sciml_ode_dopri5(ctx, &problem, &options, y0, count, times, states, &stats), SCIML_OK);
    for (int k = 0; k < count; k++) {
        double decay = exp(-p[0] * times[k]), co = cos(p[1] * times[k]), si = sin(p[1] * times[k]);
        SCIML_ASSERT_CLOSE(states[2 * k], decay * (co * y0[0] + si * y0[1]), 1e-9);
        SCIML_ASSERT_CLOSE(states[2 * k + 1], decay * (-si * y0[0] + co * y0[1]), 1e-9);
    }
    CU_ASSERT(stats.steps > 20 && stats.steps < 2000);
    /* fixed steps: the direct gradient is the exact derivative of the discrete map */
    options.fixed_step = 0.05;
    double loss, grad[4], fd[4];
    CU_ASSERT_EQUAL_FATAL(sciml_ode_direct(ctx, &problem, &options, y0, count, times, states,
                                           weighted_loss, &count, &loss, grad, grad + 2, &stats),
                          SCIML_OK);
    CU_ASSERT(stats.tape_bytes > 0 && stats.vjp_evaluations == 6 * stats.steps);
    finite_difference_gradient(ctx, 1, &problem, &options, p, y0, count, times, fd);
    for (int j = 0; j < 4; j++)
        CU_ASSERT(fabs(fd[j] - grad[j]) <= 1e-8 * fmax(1.0, fabs(fd[j])));
    /* adaptive at tight tolerance: agrees with the CVODES adjoint (both near the exact
     * gradient of the continuous problem) */
    options.fixed_step = 0.0;
    options.relative_tolerance = options.absolute_tolerance = 1e-10;
    CU_ASSERT_EQUAL_FATAL(sciml_ode_direct(ctx, &problem, &options, y0, count, times, states,
                                           weighted_loss, &count, &loss, grad, grad + 2, NULL),
                          SCIML_OK);
    double adjoint[4], adjoint_loss;
    CU_ASSERT_EQUAL_FATAL(sciml_ode_adjoint(ctx, &problem, &options, y0, count, times, states,
                                            weighted_loss, &count, &adjoint_loss, adjoint,
                                            adjoint + 2, NULL),
                          SCIML_OK);
    SCIML_ASSERT_CLOSE(loss, adjoint_loss, 1e-8 * adjoint_loss);
    for (int j = 0; j < 4; j++)
        CU_ASSERT(fabs(adjoint[j] - grad[j]) <= 1e-6 * fmax(1.0, fabs(adjoint[j])));
    sciml_ctx_destroy(&ctx);
}

static void test_errors(void) {
    sciml_ctx *ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_ctx_create(&ctx), SCIML_OK);
    double p[2] = {0.1, 2.0};
    sciml_ode_problem problem = {2, 0, linear_rhs, linear_vjp, NULL, p};
    sciml_ode_options options = sciml_ode_default_options();
    double times[3] = {0.0, 1.0, 1.0}, states[9], y0[3] = {1.0, 0.5, 0.0};
    CU_ASSERT_EQUAL(sciml_ode_solve(ctx, &problem, &options, y0, 3, times, states, NULL),
                    SCIML_ERR_ARG);
    CU_ASSERT_PTR_NOT_NULL(strstr(sciml_ctx_message(ctx), "times must increase"));
    times[2] = 2.0;
    y0[1] = NAN;
    CU_ASSERT_EQUAL(sciml_ode_solve(ctx, &problem, &options, y0, 3, times, states, NULL),
                    SCIML_ERR_NONFINITE);
    /* Robertson with Adams and a step budget: too much work, the time reached is named. */
    const sciml_ode_system *robertson = sciml_ode_system_find("robertson");
    sciml_ode_problem stiff = sciml_ode_system_problem(robertson);
    options.max_steps = 50;
    times[1] = 20.0;
    times[2] = 40.0;
    CU_ASSERT_EQUAL(
        sciml_ode_solve(ctx, &stiff, &options, robertson->initial, 3, times, states, NULL),
        SCIML_ERR_SOLVER);
    CU_ASSERT_PTR_NOT_NULL(strstr(sciml_ctx_message(ctx), "failed at t = "));
    sciml_ctx_destroy(&ctx);
}

int main(void) {
    static const sciml_test_case cases[] = {
        {"linear system against its closed form", test_linear_closed_form},
        {"conservation laws and robertson at t = 40", test_conservation},
        {"adjoint against finite differences", test_adjoint_finite_differences},
        {"dopri5 accuracy and direct gradient", test_dopri5_direct},
        {"errors", test_errors},
        {NULL, NULL},
    };
    return sciml_test_main("physics_ode", cases);
}
