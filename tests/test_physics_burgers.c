/* The 1D viscous Burgers solver (sciml/burgers.h), against:
 *  - an exact solution by the Cole-Hopf transformation: phi_t = nu phi_xx is solved by
 *        phi(x, t) = sum_m a_m exp(-nu (2 pi m)^2 t) cos(2 pi m x + theta_m),  a_0 > sum |a_m|,
 *    so phi > 0 and v = -2 nu phi_x / phi solves v_t + v v_x = nu v_xx with mean 0; the
 *    Galilean shift u(x, t) = c + v(x - c t, t) solves it too, with mean c;
 *  - the order of the time integrator (fixed steps: 5), the adaptive tolerance, spectral
 *    convergence in N, and the 2/3 rule (a mode at the cut-off evolves by diffusion alone);
 *  - the two FNO cases: the paper's (nu = 0.1, u(., 1) keeps about 2% of u0) and the
 *    released generator's (nu = 0.001: mean conserved, energy non-increasing, fronts
 *    steepen, N and 2N agree at the coarse points);
 *  - argument checks, blow-up and step-limit reports, subsampling and the sample helper.
 */
#include "sciml/burgers.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { HEAT_MODES = 4 };
static const double heat_amplitude[HEAT_MODES] = {1.0, 0.6, 0.2, 0.1};
static const double heat_phase[HEAT_MODES] = {0.0, 0.0, 0.7, 1.9};

/* The exact solution above at (x, t) with viscosity nu and drift c. */
static double cole_hopf(double nu, double drift, double x, double t) {
    double y = x - drift * t;
    double phi = 0.0, phi_x = 0.0;
    for (int m = 0; m < HEAT_MODES; m++) {
        double wave = 2.0 * SCIML_PI * m;
        double amplitude = heat_amplitude[m] * exp(-nu * wave * wave * t);
        double argument = wave * y + heat_phase[m];
        phi += amplitude * cos(argument);
        phi_x -= amplitude * wave * sin(argument);
    }
    return drift - 2.0 * nu * phi_x / phi;
}

static void cole_hopf_grid(double nu, double drift, double t, int64_t n, double *u) {
    for (int64_t j = 0; j < n; j++)
        u[j] = cole_hopf(nu, drift, (double)j / (double)n, t);
}

/* max_j |u_j - exact_j| / max_j |exact_j| */
static double max_relative_error(const double *u, const double *exact, int64_t n) {
    double error = 0.0, size = 0.0;
    for (int64_t j = 0; j < n; j++) {
        error = fmax(error, fabs(u[j] - exact[j]));
        size = fmax(size, fabs(exact[j]));
    }
    return error / size;
}

static double l2(const double *u, int64_t n) {
    double sum = 0.0;
    for (int64_t j = 0; j < n; j++)
        sum += u[j] * u[j];
    return sqrt(sum / (double)n);
}

static double mean(const double *u, int64_t n) {
    double sum = 0.0;
    for (int64_t j = 0; j < n; j++)
        sum += u[j];
    return sum / (double)n;
}

static sciml_burgers *make_solver(sciml_ctx *ctx, int64_t n, double nu, double final_time,
                                  double relative_tolerance, int64_t fixed_steps) {
    sciml_burgers_config config;
    sciml_burgers_config_default(&config);
    config.points = n;
    config.viscosity = nu;
    config.final_time = final_time;
    config.relative_tolerance = relative_tolerance;
    config.fixed_steps = fixed_steps;
    sciml_burgers *solver = NULL;
    sciml_status status = sciml_burgers_create(ctx, &config, &solver);
    if (status != SCIML_OK)
        fprintf(stderr, "create: %s\n", sciml_ctx_message(ctx));
    return solver;
}

/* Error at T of a solve of the Cole-Hopf case (nu = 0.05, drift 0.3, T = 0.5). */
static double cole_hopf_error(sciml_ctx *ctx, int64_t n, double relative_tolerance,
                              int64_t fixed_steps, int64_t *steps) {
    const double nu = 0.05, drift = 0.3, final_time = 0.5;
    sciml_burgers *solver = make_solver(ctx, n, nu, final_time, relative_tolerance, fixed_steps);
    CU_ASSERT_PTR_NOT_NULL_FATAL(solver);
    double *u0 = malloc((size_t)n * sizeof(double));
    double *u = malloc((size_t)n * sizeof(double));
    double *exact = malloc((size_t)n * sizeof(double));
    cole_hopf_grid(nu, drift, 0.0, n, u0);
    cole_hopf_grid(nu, drift, final_time, n, exact);
    CU_ASSERT_EQUAL(sciml_burgers_solve(ctx, solver, u0, u), SCIML_OK);
    double error = max_relative_error(u, exact, n);
    sciml_burgers_stats stats;
    sciml_burgers_get_stats(solver, &stats);
    if (steps != NULL)
        *steps = stats.steps_accepted;
    free(u0);
    free(u);
    free(exact);
    sciml_burgers_destroy(&solver);
    return error;
}

static void test_cole_hopf_exact(void) {
    sciml_ctx *ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_ctx_create(&ctx), SCIML_OK);
    const int64_t n = 256;
    const double nu = 0.05, drift = 0.3;
    sciml_burgers *solver = make_solver(ctx, n, nu, 0.5, 1e-11, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(solver);
    enum { TIMES = 5 };
    const double times[TIMES] = {0.0, 0.05, 0.1, 0.25, 0.5};
    double *u0 = malloc((size_t)n * sizeof(double));
    double *u = malloc((size_t)(TIMES * n) * sizeof(double));
    double *exact = malloc((size_t)n * sizeof(double));
    cole_hopf_grid(nu, drift, 0.0, n, u0);
    /* The case is not trivial: |u| reaches about 1, far from the drift. */
    double amplitude = 0.0;
    for (int64_t j = 0; j < n; j++)
        amplitude = fmax(amplitude, fabs(u0[j] - drift));
    CU_ASSERT(amplitude > 0.5);

    CU_ASSERT_EQUAL_FATAL(sciml_burgers_solve_times(ctx, solver, u0, TIMES, times, u), SCIML_OK);
    CU_ASSERT_EQUAL(memcmp(u, u0, (size_t)n * sizeof(double)), 0); /* t = 0 is u0 itself */
    for (int i = 1; i < TIMES; i++) {
        cole_hopf_grid(nu, drift, times[i], n, exact);
        double error = max_relative_error(u + i * n, exact, n);
        CU_ASSERT(error < 1e-9);
        if (!(error < 1e-9))
            fprintf(stderr, "t = %g: max relative error %.3e\n", times[i], error);
        /* The mean (the drift) is conserved to rounding. */
        CU_ASSERT(fabs(mean(u + i * n, n) - drift) < 1e-13);
    }
    sciml_burgers_stats stats;
    sciml_burgers_get_stats(solver, &stats);
    CU_ASSERT(stats.time_reached == 0.5);
    CU_ASSERT(stats.steps_accepted >= 4); /* at least one per output time */
    CU_ASSERT(stats.function_evaluations >= 6 * stats.steps_accepted);

    /* solve() = the last row of solve_times; and it may work in place. */
    double *in_place = malloc((size_t)n * sizeof(double));
    memcpy(in_place, u0, (size_t)n * sizeof(double));
    CU_ASSERT_EQUAL(sciml_burgers_solve(ctx, solver, in_place, in_place), SCIML_OK);
    CU_ASSERT(max_relative_error(in_place, u + (TIMES - 1) * n, n) < 1e-10);
    free(in_place);
    free(u0);
    free(u);
    free(exact);
    sciml_burgers_destroy(&solver);
    CU_ASSERT_PTR_NULL(solver);
    sciml_ctx_destroy(&ctx);
}

static void test_time_order(void) {
    sciml_ctx *ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_ctx_create(&ctx), SCIML_OK);
    /* Fixed steps h = 0.5 / m: the Lawson Dormand-Prince step is 5th order, so halving h
     * divides the error by about 32. N = 128 resolves the solution to ~1e-14. */
    enum { RUNS = 4 };
    const int64_t steps[RUNS] = {10, 20, 40, 80};
    double error[RUNS];
    for (int r = 0; r < RUNS; r++)
        error[r] = cole_hopf_error(ctx, 128, 0.0, steps[r], NULL);
    double order_coarse = log2(error[1] / error[2]), order_fine = log2(error[2] / error[3]);
    printf("\n    fixed steps 10/20/40/80: errors %.2e %.2e %.2e %.2e, observed orders "
           "%.2f %.2f %.2f\n",
           error[0], error[1], error[2], error[3], log2(error[0] / error[1]), order_coarse,
           order_fine);
    CU_ASSERT(error[3] > 1e-12); /* still above the spatial and rounding floor */
    CU_ASSERT(order_coarse > 4.5 && order_coarse < 6.0);
    CU_ASSERT(order_fine > 4.5 && order_fine < 6.0);

    /* Adaptive: the error follows the tolerance down, and stays within a small multiple of
     * it; the step count grows about like tol^(-1/5). */
    const double tolerance[3] = {1e-5, 1e-7, 1e-9};
    double adaptive_error[3];
    int64_t adaptive_steps[3];
    for (int r = 0; r < 3; r++) {
        adaptive_error[r] = cole_hopf_error(ctx, 128, tolerance[r], 0, &adaptive_steps[r]);
        CU_ASSERT(adaptive_error[r] < 10.0 * tolerance[r]);
    }
    printf("    tolerance 1e-5/1e-7/1e-9: errors %.2e %.2e %.2e, steps %lld %lld %lld\n",
           adaptive_error[0], adaptive_error[1], adaptive_error[2], (long long)adaptive_steps[0],
           (long long)adaptive_steps[1], (long long)adaptive_steps[2]);
    CU_ASSERT(adaptive_error[1] < 0.1 * adaptive_error[0]);
    CU_ASSERT(adaptive_error[2] < 0.1 * adaptive_error[1]);
    CU_ASSERT(adaptive_steps[0] < adaptive_steps[1] && adaptive_steps[1] < adaptive_steps[2]);
    sciml_ctx_destroy(&ctx);
}

static void test_spectral_convergence(void) {
    sciml_ctx *ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_ctx_create(&ctx), SCIML_OK);
    /* Analytic solution: the error falls geometrically in N, by more than 1000 per doubling
     * (algebraic convergence of order p gains 2^p), down to rounding at N = 64. */
    enum { RUNS = 4 };
    const int64_t points[RUNS] = {16, 32, 64, 128};
    double error[RUNS];
    for (int r = 0; r < RUNS; r++)
        error[r] = cole_hopf_error(ctx, points[r], 1e-12, 0, NULL);
    printf("\n    N = 16/32/64/128: errors %.2e %.2e %.2e %.2e\n", error[0], error[1], error[2],
           error[3]);
    CU_ASSERT(error[0] > 1e-6); /* 16 points (K = 5) do not resolve it */
    CU_ASSERT(error[1] < error[0] / 1000.0);
    CU_ASSERT(error[2] < error[1] / 1000.0);
    CU_ASSERT(error[2] < 1e-12);
    CU_ASSERT(error[3] < 1e-10);
    sciml_ctx_destroy(&ctx);
}

static void test_paper_case(void) {
    sciml_ctx *ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_ctx_create(&ctx), SCIML_OK);
    const int64_t n = SCIML_BURGERS_DEFAULT_POINTS;
    sciml_burgers_config config;
    sciml_burgers_config_default(&config);
    config.viscosity = SCIML_BURGERS_PAPER_VISCOSITY;
    sciml_burgers *solver = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_burgers_create(ctx, &config, &solver), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_burgers_max_wavenumber(solver), 2730);
    sciml_grf *grf = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_grf_create(ctx, 1, n, SCIML_GRF_BURGERS_PAPER_ALPHA,
                                           SCIML_GRF_BURGERS_PAPER_TAU,
                                           SCIML_GRF_BURGERS_PAPER_SIGMA, &grf),
                          SCIML_OK);
    double *u0 = malloc((size_t)n * sizeof(double));
    double *u = malloc((size_t)n * sizeof(double));
    double input[256], output[256];
    sciml_rng rng;
    sciml_rng_seed(&rng, 11);
    enum { SAMPLES = 8 };
    double ratio_sum = 0.0;
    for (int s = 0; s < SAMPLES; s++) {
        CU_ASSERT_EQUAL_FATAL(
            sciml_burgers_sample(ctx, solver, grf, &rng, 256, input, output, u0, u), SCIML_OK);
        double ratio = l2(u, n) / l2(u0, n);
        CU_ASSERT(ratio > 0.005 && ratio < 0.05);
        ratio_sum += ratio;
        CU_ASSERT(fabs(mean(u, n)) < 1e-14);
        for (int i = 0; i < 256; i++) {
            CU_ASSERT_EQUAL(input[i], u0[i * (n / 256)]);
            CU_ASSERT_EQUAL(output[i], u[i * (n / 256)]);
        }
    }
    /* The first mode decays by exp(-0.1 (2 pi)^2) = 1.9%; higher modes faster. */
    double average = ratio_sum / SAMPLES;
    CU_ASSERT(average > 0.01 && average < 0.03);
    printf("\n    nu = 0.1: mean L2 ratio u(1)/u0 = %.4f\n", average);
    free(u0);
    free(u);
    sciml_grf_destroy(&grf);
    sciml_burgers_destroy(&solver);
    sciml_ctx_destroy(&ctx);
}

static void test_released_case(void) {
    sciml_ctx *ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_ctx_create(&ctx), SCIML_OK);
    const int64_t n = 1024, fine = 2048;
    const double nu = SCIML_BURGERS_VISCOSITY;
    sciml_burgers *coarse_solver = make_solver(ctx, n, nu, 1.0, 1e-8, 0);
    sciml_burgers *fine_solver = make_solver(ctx, fine, nu, 1.0, 1e-8, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(coarse_solver);
    CU_ASSERT_PTR_NOT_NULL_FATAL(fine_solver);
    sciml_grf *grf = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_grf_create(ctx, 1, fine, SCIML_GRF_BURGERS_ALPHA,
                                           SCIML_GRF_BURGERS_TAU, SCIML_GRF_BURGERS_SIGMA, &grf),
                          SCIML_OK);
    enum { SAMPLES = 3, TIMES = 11 };
    double times[TIMES];
    for (int i = 0; i < TIMES; i++)
        times[i] = 0.1 * i;
    double *u0_fine = malloc((size_t)fine * sizeof(double));
    double *u_fine = malloc((size_t)fine * sizeof(double));
    double *u0 = malloc((size_t)n * sizeof(double));
    double *u = malloc((size_t)(TIMES * n) * sizeof(double));
    double *u_fine_coarse = malloc((size_t)n * sizeof(double));
    sciml_rng rng;
    sciml_rng_seed(&rng, 3);
    double worst_difference = 0.0, best_steepening = 0.0;
    for (int s = 0; s < SAMPLES; s++) {
        sciml_grf_sample(grf, &rng, u0_fine);
        /* A nonzero mean: the drift is conserved exactly, the rest is Galilean-invariant. */
        for (int64_t j = 0; j < fine; j++)
            u0_fine[j] += 0.1;
        CU_ASSERT_EQUAL_FATAL(sciml_burgers_subsample(ctx, fine, u0_fine, n, u0), SCIML_OK);
        CU_ASSERT_EQUAL_FATAL(sciml_burgers_solve_times(ctx, coarse_solver, u0, TIMES, times, u),
                              SCIML_OK);
        CU_ASSERT_EQUAL_FATAL(sciml_burgers_solve(ctx, fine_solver, u0_fine, u_fine), SCIML_OK);
        double mean0 = mean(u0, n), energy_before = l2(u0, n);
        double slope0 = 0.0, slope1 = 0.0;
        for (int64_t j = 0; j < n; j++) {
            slope0 = fmax(slope0, fabs(u0[(j + 1) % n] - u0[j]) * (double)n);
            slope1 = fmax(slope1, fabs(u[(TIMES - 1) * n + (j + 1) % n] - u[(TIMES - 1) * n + j]) *
                                      (double)n);
        }
        for (int i = 1; i < TIMES; i++) {
            const double *row = u + i * n;
            CU_ASSERT(fabs(mean(row, n) - mean0) < 1e-12);
            double energy = l2(row, n);
            CU_ASSERT(energy <= energy_before * (1.0 + 1e-12));
            energy_before = energy;
        }
        CU_ASSERT(fabs(mean(u_fine, fine) - mean(u0_fine, fine)) < 1e-12);
        /* N = 1024 against N = 2048 at the coarse points: their difference is the spatial
         * error at 1024 plus the aliasing of u0's modes above 512 by the subsampling (both
         * ~1e-7 here). */
        sciml_burgers_subsample(ctx, fine, u_fine, n, u_fine_coarse);
        double difference = 0.0;
        for (int64_t j = 0; j < n; j++)
            difference += pow(u[(TIMES - 1) * n + j] - u_fine_coarse[j], 2);
        difference = sqrt(difference / (double)n) / l2(u_fine_coarse, n);
        worst_difference = fmax(worst_difference, difference);
        best_steepening = fmax(best_steepening, slope1 / slope0);
    }
    printf("\n    nu = 0.001: N=1024 vs 2048 relative L2 difference %.2e, steepest front x%.1f\n",
           worst_difference, best_steepening);
    CU_ASSERT(worst_difference < 1e-5);
    CU_ASSERT(best_steepening > 3.0); /* fronts form: max |u_x| grows severalfold */
    free(u0_fine);
    free(u_fine);
    free(u0);
    free(u);
    free(u_fine_coarse);
    sciml_grf_destroy(&grf);
    sciml_burgers_destroy(&coarse_solver);
    sciml_burgers_destroy(&fine_solver);
    sciml_ctx_destroy(&ctx);
}

static sciml_status create_with(sciml_ctx *ctx, int64_t n, double nu, double final_time,
                                double relative_tolerance, double absolute_tolerance,
                                int64_t fixed_steps, int64_t max_steps) {
    sciml_burgers_config config;
    sciml_burgers_config_default(&config);
    config.points = n;
    config.viscosity = nu;
    config.final_time = final_time;
    config.relative_tolerance = relative_tolerance;
    config.absolute_tolerance = absolute_tolerance;
    config.fixed_steps = fixed_steps;
    config.max_steps = max_steps;
    sciml_burgers *solver = (sciml_burgers *)&config; /* must be reset to NULL on failure */
    sciml_status status = sciml_burgers_create(ctx, &config, &solver);
    if (status != SCIML_OK)
        CU_ASSERT_PTR_NULL(solver);
    sciml_burgers_destroy(&solver);
    return status;
}

static void test_arguments(void) {
    sciml_ctx *ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_ctx_create(&ctx), SCIML_OK);
    CU_ASSERT_EQUAL(create_with(ctx, 64, 0.01, 1.0, 1e-6, 0.0, 0, 100), SCIML_OK);
    CU_ASSERT_EQUAL(create_with(ctx, 48, 0.01, 1.0, 1e-6, 0.0, 0, 100), SCIML_OK); /* even */
    CU_ASSERT_EQUAL(create_with(ctx, 63, 0.01, 1.0, 1e-6, 0.0, 0, 100), SCIML_ERR_RANGE);
    CU_ASSERT(strstr(sciml_ctx_message(ctx), "63") != NULL);
    CU_ASSERT_EQUAL(create_with(ctx, 8, 0.01, 1.0, 1e-6, 0.0, 0, 100), SCIML_ERR_RANGE);
    CU_ASSERT_EQUAL(create_with(ctx, 0, 0.01, 1.0, 1e-6, 0.0, 0, 100), SCIML_ERR_RANGE);
    CU_ASSERT_EQUAL(create_with(ctx, INT64_C(1) << 40, 0.01, 1.0, 1e-6, 0.0, 0, 100),
                    SCIML_ERR_RANGE);
    CU_ASSERT_EQUAL(create_with(ctx, 64, 0.0, 1.0, 1e-6, 0.0, 0, 100), SCIML_ERR_RANGE);
    CU_ASSERT(strstr(sciml_ctx_message(ctx), "viscosity") != NULL);
    CU_ASSERT_EQUAL(create_with(ctx, 64, NAN, 1.0, 1e-6, 0.0, 0, 100), SCIML_ERR_RANGE);
    CU_ASSERT_EQUAL(create_with(ctx, 64, 0.01, -1.0, 1e-6, 0.0, 0, 100), SCIML_ERR_RANGE);
    CU_ASSERT(strstr(sciml_ctx_message(ctx), "final time") != NULL);
    CU_ASSERT_EQUAL(create_with(ctx, 64, 0.01, INFINITY, 1e-6, 0.0, 0, 100), SCIML_ERR_RANGE);
    CU_ASSERT_EQUAL(create_with(ctx, 64, 0.01, 1.0, 0.0, 0.0, 0, 100), SCIML_ERR_RANGE);
    CU_ASSERT(strstr(sciml_ctx_message(ctx), "tolerance") != NULL);
    CU_ASSERT_EQUAL(create_with(ctx, 64, 0.01, 1.0, 0.0, 1e-8, 0, 100), SCIML_OK);
    CU_ASSERT_EQUAL(create_with(ctx, 64, 0.01, 1.0, 0.0, 0.0, 10, 100), SCIML_OK); /* fixed */
    CU_ASSERT_EQUAL(create_with(ctx, 64, 0.01, 1.0, NAN, 0.0, 0, 100), SCIML_ERR_RANGE);
    CU_ASSERT_EQUAL(create_with(ctx, 64, 0.01, 1.0, 1e-6, -1.0, 0, 100), SCIML_ERR_RANGE);
    CU_ASSERT_EQUAL(create_with(ctx, 64, 0.01, 1.0, 1e-20, 0.0, 0, 100), SCIML_ERR_RANGE);
    CU_ASSERT_EQUAL(create_with(ctx, 64, 0.01, 1.0, 1e-6, 0.0, -1, 100), SCIML_ERR_RANGE);
    CU_ASSERT_EQUAL(create_with(ctx, 64, 0.01, 1.0, 1e-6, 0.0, 0, 0), SCIML_ERR_RANGE);
    sciml_burgers_config config;
    sciml_burgers_config_default(&config);
    CU_ASSERT_EQUAL(config.points, 8192);
    CU_ASSERT_EQUAL(config.viscosity, 0.001);
    CU_ASSERT_EQUAL(sciml_burgers_create(ctx, &config, NULL), SCIML_ERR_ARG);
    sciml_burgers *solver = NULL;
    CU_ASSERT_EQUAL(sciml_burgers_create(ctx, NULL, &solver), SCIML_ERR_ARG);
    sciml_burgers_destroy(NULL);
    sciml_burgers_destroy(&solver); /* NULL inside: no-op */

    /* Solve-time checks on a small solver. */
    const int64_t n = 64;
    solver = make_solver(ctx, n, 0.05, 0.2, 1e-8, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(solver);
    CU_ASSERT_EQUAL(sciml_burgers_get_config(solver)->points, n);
    double u0[64], u[3 * 64];
    cole_hopf_grid(0.05, 0.0, 0.0, n, u0);
    for (int64_t j = 0; j < n; j++)
        u[j] = -7.0;
    u0[17] = NAN;
    CU_ASSERT_EQUAL(sciml_burgers_solve(ctx, solver, u0, u), SCIML_ERR_NONFINITE);
    CU_ASSERT(strstr(sciml_ctx_message(ctx), "u0[17]") != NULL);
    CU_ASSERT_EQUAL(u[0], -7.0); /* untouched */
    u0[17] = 0.0;
    const double backwards[2] = {0.2, 0.1}, negative[1] = {-0.1}, repeated[2] = {0.1, 0.1};
    CU_ASSERT_EQUAL(sciml_burgers_solve_times(ctx, solver, u0, 2, backwards, u), SCIML_ERR_RANGE);
    CU_ASSERT_EQUAL(sciml_burgers_solve_times(ctx, solver, u0, 1, negative, u), SCIML_ERR_RANGE);
    CU_ASSERT_EQUAL(sciml_burgers_solve_times(ctx, solver, u0, 2, repeated, u), SCIML_ERR_RANGE);
    CU_ASSERT_EQUAL(sciml_burgers_solve_times(ctx, solver, u0, 0, repeated, u), SCIML_ERR_RANGE);
    CU_ASSERT_EQUAL(sciml_burgers_solve(ctx, solver, NULL, u), SCIML_ERR_ARG);
    CU_ASSERT_EQUAL(sciml_burgers_solve(ctx, NULL, u0, u), SCIML_ERR_ARG);
    const double zero[1] = {0.0};
    CU_ASSERT_EQUAL(sciml_burgers_solve_times(ctx, solver, u0, 1, zero, u), SCIML_OK);
    CU_ASSERT_EQUAL(memcmp(u, u0, sizeof u0), 0);

    /* Interrupt. */
    sciml_ctx_request_interrupt(ctx);
    CU_ASSERT_EQUAL(sciml_burgers_solve(ctx, solver, u0, u), SCIML_ERR_INTERRUPTED);
    sciml_ctx_clear_interrupt(ctx);
    CU_ASSERT_EQUAL(sciml_burgers_solve(ctx, solver, u0, u), SCIML_OK);

    /* Blow-up of the floating-point state (u^2 overflows): adaptive steps shrink to nothing,
     * fixed steps report the non-finite state; both name the time reached. */
    double huge[64];
    for (int64_t j = 0; j < n; j++)
        huge[j] = 1e200 * sin(2.0 * SCIML_PI * (double)j / (double)n);
    CU_ASSERT_EQUAL(sciml_burgers_solve(ctx, solver, huge, u), SCIML_ERR_SOLVER);
    CU_ASSERT(strstr(sciml_ctx_message(ctx), "t = 0") != NULL);
    sciml_burgers_destroy(&solver);
    solver = make_solver(ctx, n, 0.05, 0.2, 0.0, 10);
    CU_ASSERT_PTR_NOT_NULL_FATAL(solver);
    CU_ASSERT_EQUAL(sciml_burgers_solve(ctx, solver, huge, u), SCIML_ERR_NONFINITE);
    CU_ASSERT(strstr(sciml_ctx_message(ctx), "non-finite at t = 0.02") != NULL);
    sciml_burgers_destroy(&solver);

    /* Step limit. */
    config.points = n;
    config.viscosity = 0.001;
    config.max_steps = 3;
    CU_ASSERT_EQUAL_FATAL(sciml_burgers_create(ctx, &config, &solver), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_burgers_solve(ctx, solver, u0, u), SCIML_ERR_SOLVER);
    CU_ASSERT(strstr(sciml_ctx_message(ctx), "3 steps") != NULL);
    sciml_burgers_stats stats;
    sciml_burgers_get_stats(solver, &stats);
    CU_ASSERT(stats.time_reached > 0.0 && stats.time_reached < 1.0);
    sciml_burgers_destroy(&solver);
    sciml_ctx_destroy(&ctx);
}

static void test_subsample_and_sample(void) {
    sciml_ctx *ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_ctx_create(&ctx), SCIML_OK);
    double fine[16], coarse[16];
    for (int j = 0; j < 16; j++)
        fine[j] = j;
    for (int j = 0; j < 16; j++)
        coarse[j] = -1.0;
    CU_ASSERT_EQUAL(sciml_burgers_subsample(ctx, 16, fine, 4, coarse), SCIML_OK);
    CU_ASSERT(coarse[0] == 0.0 && coarse[1] == 4.0 && coarse[2] == 8.0 && coarse[3] == 12.0);
    CU_ASSERT(coarse[4] == -1.0);
    CU_ASSERT_EQUAL(sciml_burgers_subsample(ctx, 16, fine, 16, coarse), SCIML_OK);
    CU_ASSERT_EQUAL(memcmp(fine, coarse, sizeof fine), 0);
    coarse[0] = -1.0;
    CU_ASSERT_EQUAL(sciml_burgers_subsample(ctx, 16, fine, 5, coarse), SCIML_ERR_ARG);
    CU_ASSERT(strstr(sciml_ctx_message(ctx), "does not divide") != NULL);
    CU_ASSERT_EQUAL(sciml_burgers_subsample(ctx, 16, fine, 32, coarse), SCIML_ERR_ARG);
    CU_ASSERT_EQUAL(sciml_burgers_subsample(ctx, 16, fine, 0, coarse), SCIML_ERR_ARG);
    CU_ASSERT_EQUAL(sciml_burgers_subsample(ctx, 16, NULL, 4, coarse), SCIML_ERR_ARG);
    CU_ASSERT_EQUAL(coarse[0], -1.0); /* nothing written on error */

    /* The sample helper checks the field's shape before drawing, and is reproducible. */
    const int64_t n = 256;
    sciml_burgers *solver = make_solver(ctx, n, 0.01, 0.5, 1e-6, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(solver);
    sciml_grf *wrong_size = NULL, *wrong_dims = NULL, *grf = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_grf_create(ctx, 1, 128, 2.5, 7.0, 49.0, &wrong_size), SCIML_OK);
    CU_ASSERT_EQUAL_FATAL(sciml_grf_create(ctx, 2, n, 2.5, 7.0, 49.0, &wrong_dims), SCIML_OK);
    CU_ASSERT_EQUAL_FATAL(sciml_grf_create(ctx, 1, n, 2.5, 7.0, 49.0, &grf), SCIML_OK);
    double input[64], output[64], again_input[64], again_output[64];
    sciml_rng rng, before;
    sciml_rng_seed(&rng, 9);
    before = rng;
    CU_ASSERT_EQUAL(
        sciml_burgers_sample(ctx, solver, wrong_size, &rng, 64, input, output, NULL, NULL),
        SCIML_ERR_ARG);
    CU_ASSERT(strstr(sciml_ctx_message(ctx), "resolution 128") != NULL);
    CU_ASSERT_EQUAL(
        sciml_burgers_sample(ctx, solver, wrong_dims, &rng, 64, input, output, NULL, NULL),
        SCIML_ERR_ARG);
    CU_ASSERT_EQUAL(sciml_burgers_sample(ctx, solver, grf, &rng, 48, input, output, NULL, NULL),
                    SCIML_ERR_ARG);
    CU_ASSERT_EQUAL(memcmp(&rng, &before, sizeof rng), 0); /* nothing drawn */
    CU_ASSERT_EQUAL(sciml_burgers_sample(ctx, solver, grf, &rng, 64, input, output, NULL, NULL),
                    SCIML_OK);
    rng = before;
    CU_ASSERT_EQUAL(
        sciml_burgers_sample(ctx, solver, grf, &rng, 64, again_input, again_output, NULL, NULL),
        SCIML_OK);
    CU_ASSERT_EQUAL(memcmp(input, again_input, sizeof input), 0);
    CU_ASSERT_EQUAL(memcmp(output, again_output, sizeof output), 0);
    CU_ASSERT(l2(output, 64) > 0.0 && l2(output, 64) < l2(input, 64));
    sciml_grf_destroy(&wrong_size);
    sciml_grf_destroy(&wrong_dims);
    sciml_grf_destroy(&grf);
    sciml_burgers_destroy(&solver);
    sciml_ctx_destroy(&ctx);
}

static void test_dealiasing(void) {
    /* N = 48 keeps |k| <= K = 15. For u0 = cos(2 pi k x) the product u^2 has the modes 0 and
     * 2k: for k = K (and for k above K, which is not fed to the product at all) nothing of it
     * is kept, so u evolves by the heat equation alone, exp(-nu (2 pi k)^2 t) cos(2 pi k x),
     * to rounding. Without the 2/3 rule 2K = 30 would alias onto k = 18 and feed back. For
     * k = 7, 2k = 14 is kept and the nonlinearity must act. */
    sciml_ctx *ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_ctx_create(&ctx), SCIML_OK);
    const int64_t n = 48;
    const double nu = 0.002, final_time = 0.05;
    sciml_burgers *solver = make_solver(ctx, n, nu, final_time, 1e-10, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(solver);
    CU_ASSERT_EQUAL(sciml_burgers_max_wavenumber(solver), 15);
    const int64_t waves[3] = {15, 16, 7};
    double u0[48], u[48], heat[48];
    for (int w = 0; w < 3; w++) {
        double wave = 2.0 * SCIML_PI * (double)waves[w];
        double decay = exp(-nu * wave * wave * final_time);
        for (int64_t j = 0; j < n; j++) {
            u0[j] = cos(wave * (double)j / (double)n);
            heat[j] = decay * u0[j];
        }
        CU_ASSERT_EQUAL_FATAL(sciml_burgers_solve(ctx, solver, u0, u), SCIML_OK);
        double difference = 0.0;
        for (int64_t j = 0; j < n; j++)
            difference = fmax(difference, fabs(u[j] - heat[j]));
        if (waves[w] == 7) {
            CU_ASSERT(difference > 1e-2);
        } else {
            CU_ASSERT(difference < 1e-13);
        }
    }
    sciml_burgers_destroy(&solver);
    sciml_ctx_destroy(&ctx);
}

static const sciml_test_case cases[] = {
    {"cole-hopf exact solution and time grid", test_cole_hopf_exact},
    {"time order and tolerance", test_time_order},
    {"spectral convergence in N", test_spectral_convergence},
    {"2/3-rule dealiasing", test_dealiasing},
    {"FNO paper case nu = 0.1", test_paper_case},
    {"FNO released case nu = 0.001", test_released_case},
    {"arguments and failures", test_arguments},
    {"subsample and sample", test_subsample_and_sample},
    {NULL, NULL},
};

int main(void) {
    return sciml_test_main("physics_burgers", cases);
}
