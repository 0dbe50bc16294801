/* Operator-learning data (sciml/operator_data.h): the cumulative quadrature is exact for
 * polynomials of its degree and converges at its order; the antiderivative data set has the
 * variance of integral_0^1 v that the RBF kernel implies; the diffusion-reaction solver
 * converges at second order, matches the linear (k = 0) solution in closed form, and fails
 * with a message when the s^2 term blows up; the forced pendulum agrees with RK4 and with the
 * small-force closed form. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sciml/gen.h"
#include "sciml/operator_data.h"
#include "testutil.h"

static const double PI = 3.14159265358979323846;

/* max_i |integral_0^x_i f - F(x_i)| on m points of [0, 1] for f = exp(x) sin(5x). */
static double smooth_error(int64_t m, int order) {
    double *f = malloc((size_t)m * sizeof(double)), *integral = malloc((size_t)m * sizeof(double));
    const double h = 1.0 / (double)(m - 1);
    for (int64_t i = 0; i < m; i++) {
        double x = (double)i * h;
        f[i] = exp(x) * sin(5.0 * x);
    }
    CU_ASSERT_EQUAL(sciml_cumulative_integral(NULL, m, h, f, order, integral), SCIML_OK);
    double worst = 0.0;
    for (int64_t i = 0; i < m; i++) {
        double x = (double)i * h;
        /* F(x) = exp(x) (sin 5x - 5 cos 5x) / 26 + 5/26 */
        double exact = exp(x) * (sin(5.0 * x) - 5.0 * cos(5.0 * x)) / 26.0 + 5.0 / 26.0;
        worst = fmax(worst, fabs(integral[i] - exact));
    }
    free(f);
    free(integral);
    return worst;
}

static void test_quadrature_exact_for_polynomials(void) {
    enum { M = 13 };
    double f[M], integral[M];
    for (int order = 2; order <= 8; order++) {
        const double h = 0.25; /* x in [1, 4]: not starting at 0 */
        for (int i = 0; i < M; i++) {
            double x = 1.0 + i * h, p = 0.0;
            for (int k = order - 1; k >= 0; k--)
                p = p * x + (double)(k + 1); /* sum_k (k + 1) x^k */
            f[i] = p;
        }
        CU_ASSERT_EQUAL_FATAL(sciml_cumulative_integral(NULL, M, h, f, order, integral), SCIML_OK);
        double worst = 0.0;
        for (int i = 0; i < M; i++) {
            double x = 1.0 + i * h, exact = 0.0;
            for (int k = 0; k < order; k++)
                exact += pow(x, k + 1) - 1.0; /* integral of (k + 1) x^k from 1 */
            worst = fmax(worst, fabs(integral[i] - exact) / fmax(1.0, fabs(exact)));
        }
        if (worst > 1e-12)
            fprintf(stderr, "order %d: relative error %g on a polynomial of degree %d\n", order,
                    worst, order - 1);
        CU_ASSERT(worst <= 1e-12);
    }
}

static void test_quadrature_convergence_order(void) {
    const int orders[] = {2, 4, 6};
    for (int k = 0; k < 3; k++) {
        double coarse = smooth_error(41, orders[k]), fine = smooth_error(81, orders[k]);
        double observed = log2(coarse / fine);
        if (fabs(observed - orders[k]) > 0.35)
            fprintf(stderr, "order %d: observed %.2f (errors %g, %g)\n", orders[k], observed,
                    coarse, fine);
        CU_ASSERT(fabs(observed - orders[k]) <= 0.35);
    }
    /* the data set's rule at the paper's 100 sensors is far below any model error */
    CU_ASSERT(smooth_error(100, SCIML_ANTIDERIVATIVE_QUADRATURE_ORDER) < 1e-9);
}

static void test_quadrature_arguments(void) {
    double f[4] = {1, 2, 3, 4}, out[4] = {7, 7, 7, 7};
    sciml_ctx *ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_ctx_create(&ctx), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_cumulative_integral(ctx, 1, 0.1, f, 4, out), SCIML_ERR_ARG);
    CU_ASSERT_EQUAL(sciml_cumulative_integral(ctx, 4, 0.0, f, 4, out), SCIML_ERR_ARG);
    CU_ASSERT_EQUAL(sciml_cumulative_integral(ctx, 4, 0.1, f, 11, out), SCIML_ERR_ARG);
    CU_ASSERT_EQUAL(out[0], 7.0);
    /* fewer points than the order: the stencil shrinks, still exact for a line */
    CU_ASSERT_EQUAL(sciml_cumulative_integral(ctx, 4, 1.0, f, 6, out), SCIML_OK);
    SCIML_ASSERT_CLOSE(out[3], 7.5, 1e-13);
    sciml_ctx_destroy(&ctx);
}

static void test_antiderivative_statistics(void) {
    sciml_ctx *ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_ctx_create(&ctx), SCIML_OK);
    sciml_antiderivative *generator = NULL;
    const double l = SCIML_ANTIDERIVATIVE_LENGTH_SCALE;
    CU_ASSERT_EQUAL_FATAL(sciml_antiderivative_create(ctx, 100, l, 1.0, &generator), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_antiderivative_sensors(generator), 100);
    double v[100], u[100];
    sciml_rng rng;
    sciml_rng_seed(&rng, 42);
    enum { SAMPLES = 2000 };
    double sum = 0.0, squares = 0.0, worst_step = 0.0;
    for (int n = 0; n < SAMPLES; n++) {
        sciml_antiderivative_sample(generator, &rng, v, u);
        CU_ASSERT_EQUAL(u[0], 0.0);
        sum += u[99];
        squares += u[99] * u[99];
        /* each step agrees with the trapezoidal rule to its O(h^3) error */
        for (int i = 0; i < 99; i++)
            worst_step = fmax(worst_step, fabs(u[i + 1] - u[i] - 0.5 * (v[i] + v[i + 1]) / 99.0));
    }
    double mean = sum / SAMPLES, variance = squares / SAMPLES - mean * mean;
    /* Var integral_0^1 v = 2 [l sqrt(pi/2) erf(1/(sqrt(2) l)) - l^2 (1 - exp(-1/(2 l^2)))] */
    double expected = 2.0 * (l * sqrt(acos(-1.0) / 2.0) * erf(1.0 / (sqrt(2.0) * l)) -
                             l * l * (1.0 - exp(-0.5 / (l * l))));
    double tolerance = 5.0 * expected * sqrt(2.0 / SAMPLES);
    if (fabs(variance - expected) > tolerance || fabs(mean) > 5.0 * sqrt(expected / SAMPLES))
        fprintf(stderr, "u(1): mean %g, variance %g, expected 0 and %g\n", mean, variance,
                expected);
    CU_ASSERT(fabs(variance - expected) <= tolerance);
    CU_ASSERT(fabs(mean) <= 5.0 * sqrt(expected / SAMPLES));
    CU_ASSERT(worst_step < 1e-4);
    sciml_antiderivative_destroy(&generator);
    CU_ASSERT_PTR_NULL(generator);
    CU_ASSERT_EQUAL(sciml_antiderivative_create(ctx, 1, l, 1.0, &generator), SCIML_ERR_RANGE);
    CU_ASSERT_PTR_NULL(generator);
    sciml_ctx_destroy(&ctx);
}

/* ---- diffusion-reaction ----------------------------------------------------------------- */

/* Solves with v(x) = sin(pi x) + 0.5 sin(3 pi x) on n points, 11 output times, `substeps`
 * steps per interval, reaction k; solution (n, 11). */
static void solve_smooth(int64_t n, int64_t substeps, double k, double *solution) {
    sciml_diffusion_reaction_options options;
    sciml_diffusion_reaction_default(&options);
    options.points = n;
    options.times = 11;
    options.substeps = substeps;
    options.reaction = k;
    double *v = malloc((size_t)n * sizeof(double));
    for (int64_t i = 0; i < n; i++) {
        const double x = (double)i / (double)(n - 1);
        v[i] = sin(PI * x) + 0.5 * sin(3.0 * PI * x);
    }
    CU_ASSERT_EQUAL(sciml_diffusion_reaction_solve(NULL, &options, v, solution), SCIML_OK);
    free(v);
}

/* Refining h and dt together by 2: successive differences at the coarse nodes shrink by 4
 * (second order in both), with the s^2 term on (k = 1, larger than the paper's 0.01 so that
 * it matters). */
static void test_diffusion_reaction_convergence(void) {
    enum { LEVELS = 4 };
    double *solutions[LEVELS];
    int64_t points[LEVELS];
    for (int r = 0; r < LEVELS; r++) {
        points[r] = 1 + 10 * (INT64_C(1) << r);
        solutions[r] = malloc((size_t)points[r] * 11 * sizeof(double));
        solve_smooth(points[r], INT64_C(1) << r, 1.0, solutions[r]);
    }
    double differences[LEVELS - 1];
    for (int r = 0; r + 1 < LEVELS; r++) {
        double worst = 0.0;
        for (int64_t i = 0; i < points[0]; i++)
            for (int j = 0; j < 11; j++) {
                const double coarse = solutions[r][(i << r) * 11 + j];
                const double fine = solutions[r + 1][(i << (r + 1)) * 11 + j];
                worst = fmax(worst, fabs(coarse - fine));
            }
        differences[r] = worst;
    }
    for (int r = 0; r + 2 < LEVELS; r++) {
        const double order = log2(differences[r] / differences[r + 1]);
        fprintf(stderr, "diffusion-reaction: differences %.3e %.3e, observed order %.3f\n",
                differences[r], differences[r + 1], order);
        CU_ASSERT(order > 1.85 && order < 2.15);
    }
    for (int r = 0; r < LEVELS; r++)
        free(solutions[r]);
}

/* k = 0 is linear: s = sum_q (1 - exp(-D (q pi)^2 t)) / (D (q pi)^2) a_q sin(q pi x) for the
 * sine modes a_q of v; with k = 0.01 the solution exceeds it where s > 0 (s^2 feeds it). */
static void test_diffusion_reaction_linear_and_sign(void) {
    enum { N = 201 };
    static double linear[N * 11], nonlinear[N * 11];
    solve_smooth(N, 20, 0.0, linear);
    solve_smooth(N, 20, SCIML_DIFFUSION_REACTION_K, nonlinear);
    const double D = SCIML_DIFFUSION_REACTION_D;
    double worst = 0.0, largest = 0.0;
    for (int64_t i = 0; i < N; i++)
        for (int j = 0; j < 11; j++) {
            const double x = (double)i / (N - 1), t = 0.1 * j;
            double exact = 0.0;
            for (int q = 1; q <= 3; q += 2) {
                const double lambda = D * (q * PI) * (q * PI);
                exact += (q == 1 ? 1.0 : 0.5) * (1.0 - exp(-lambda * t)) / lambda * sin(q * PI * x);
            }
            worst = fmax(worst, fabs(linear[i * 11 + j] - exact));
            largest = fmax(largest, fabs(exact));
        }
    fprintf(stderr, "diffusion-reaction, k = 0: max error %.3e of max %.3f\n", worst, largest);
    CU_ASSERT(worst < 1e-4 * largest);        /* O(h^2 + dt^2): 2.4e-5 here */
    const int64_t middle = (N / 2) * 11 + 10; /* x = 1/2, t = 1 */
    CU_ASSERT(nonlinear[middle] > linear[middle]);
    CU_ASSERT(nonlinear[middle] < 1.1 * linear[middle]);
    CU_ASSERT_EQUAL(nonlinear[10], 0.0);                /* boundary x = 0 */
    CU_ASSERT_EQUAL(nonlinear[(N - 1) * 11 + 10], 0.0); /* boundary x = 1 */
}

static void test_diffusion_reaction_failures(void) {
    sciml_ctx *ctx = NULL;
    sciml_ctx_create(&ctx);
    sciml_diffusion_reaction_options options;
    sciml_diffusion_reaction_default(&options);
    double v[20], s[20 * 100];
    for (int i = 0; i < 20; i++)
        v[i] = 50.0;
    options.points = 2;
    CU_ASSERT_EQUAL(sciml_diffusion_reaction_solve(ctx, &options, v, s), SCIML_ERR_ARG);
    options.points = 20;
    options.diffusion = 0.0;
    CU_ASSERT_EQUAL(sciml_diffusion_reaction_solve(ctx, &options, v, s), SCIML_ERR_ARG);
    /* s' = 50 s^2 + 50 blows up near t = pi / 100: Newton fails with a message */
    options.diffusion = SCIML_DIFFUSION_REACTION_D;
    options.reaction = 50.0;
    options.substeps = 1;
    CU_ASSERT_EQUAL(sciml_diffusion_reaction_solve(ctx, &options, v, s), SCIML_ERR_SOLVER);
    CU_ASSERT_PTR_NOT_NULL(strstr(sciml_ctx_message(ctx), "diffusion-reaction"));
    sciml_ctx_destroy(&ctx);
}

/* ---- forced pendulum ------------------------------------------------------------------------ */

/* Classical RK4 on the same piecewise-linear force, `per` steps per sensor interval. */
static void pendulum_rk4(int64_t sensors, const double *v, int per, double *s) {
    const double spacing = 1.0 / (double)(sensors - 1), h = spacing / per;
    double y[2] = {0.0, 0.0};
    s[0] = s[1] = 0.0;
    for (int64_t i = 0; i + 1 < sensors; i++) {
        for (int n = 0; n < per; n++) {
            double k[4][2], stage[2];
            const double offsets[4] = {0.0, 0.5, 0.5, 1.0};
            for (int q = 0; q < 4; q++) {
                const double c = q == 0 ? 0.0 : offsets[q];
                for (int e = 0; e < 2; e++)
                    stage[e] = y[e] + (q ? c * h * k[q - 1][e] : 0.0);
                const double w = ((double)n + offsets[q]) / per; /* within [t_i, t_i+1] */
                const double force = (1.0 - w) * v[i] + w * v[i + 1];
                k[q][0] = stage[1];
                k[q][1] = -sin(stage[0]) + force;
            }
            for (int e = 0; e < 2; e++)
                y[e] += h / 6.0 * (k[0][e] + 2.0 * k[1][e] + 2.0 * k[2][e] + k[3][e]);
        }
        s[2 * (i + 1)] = y[0];
        s[2 * (i + 1) + 1] = y[1];
    }
}

/* Against RK4 on a strong force (the sine term far from linear), against the closed form
 * s1 = e (1 - cos t) of a tiny constant force, and the argument checks. */
static void test_pendulum(void) {
    enum { M = 21 };
    sciml_ctx *ctx = NULL;
    sciml_ctx_create(&ctx);
    sciml_pendulum_options options;
    sciml_pendulum_default(&options);
    double v[M], s[2 * M], reference[2 * M];
    for (int i = 0; i < M; i++)
        v[i] = 6.0 * sin(2.0 * PI * i / (M - 1)) + 3.0;
    CU_ASSERT_EQUAL_FATAL(sciml_pendulum_solve(ctx, &options, M, v, s), SCIML_OK);
    pendulum_rk4(M, v, 400, reference);
    double worst = 0.0, largest = 0.0;
    for (int i = 0; i < 2 * M; i++) {
        worst = fmax(worst, fabs(s[i] - reference[i]));
        largest = fmax(largest, fabs(reference[i]));
    }
    fprintf(stderr, "pendulum: CVODES against RK4 %.3e (largest |s| %.3f)\n", worst, largest);
    CU_ASSERT(worst < 1e-7);
    CU_ASSERT(largest > 1.0); /* sin(s1) is far from s1 */
    const double e = 1e-3;
    for (int i = 0; i < M; i++)
        v[i] = e;
    CU_ASSERT_EQUAL(sciml_pendulum_solve(ctx, &options, M, v, s), SCIML_OK);
    worst = 0.0;
    for (int i = 0; i < M; i++) {
        const double t = (double)i / (M - 1);
        worst = fmax(worst, fabs(s[2 * i] - e * (1.0 - cos(t))));
        worst = fmax(worst, fabs(s[2 * i + 1] - e * sin(t)));
    }
    CU_ASSERT(worst < 1e-9);
    CU_ASSERT_EQUAL(sciml_pendulum_solve(ctx, &options, 1, v, s), SCIML_ERR_ARG);
    options.tolerance = 0.0;
    CU_ASSERT_EQUAL(sciml_pendulum_solve(ctx, &options, M, v, s), SCIML_ERR_ARG);
    CU_ASSERT_PTR_NOT_NULL(strstr(sciml_ctx_message(ctx), "pendulum"));
    sciml_ctx_destroy(&ctx);
}

int main(void) {
    static const sciml_test_case cases[] = {
        {"quadrature exact for polynomials", test_quadrature_exact_for_polynomials},
        {"quadrature convergence order", test_quadrature_convergence_order},
        {"quadrature arguments", test_quadrature_arguments},
        {"antiderivative statistics", test_antiderivative_statistics},
        {"diffusion-reaction convergence order", test_diffusion_reaction_convergence},
        {"diffusion-reaction linear solution and s^2 sign",
         test_diffusion_reaction_linear_and_sign},
        {"diffusion-reaction failures", test_diffusion_reaction_failures},
        {"forced pendulum", test_pendulum},
        {NULL, NULL},
    };
    return sciml_test_main("physics_operator", cases);
}
