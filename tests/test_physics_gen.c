/* Data generators: Gaussian random fields (empirical spectrum and pointwise variance against
 * lambda_k = sigma^2 (4 pi^2 |k|^2 + tau^2)^(-alpha), zero mean, reproducibility, argument
 * checks), the RBF Gaussian process (empirical covariance against the kernel), and the damped
 * oscillator (closed form against an RK4 integration written here, continuity through
 * critical damping, the data-set filler). */
#include "sciml/gen.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The eigenvalue written independently of the library. */
static double expected_lambda(double alpha, double tau, double sigma, double k_squared) {
    if (k_squared == 0.0)
        return 0.0;
    return sigma * sigma * pow(4.0 * SCIML_PI * SCIML_PI * k_squared + tau * tau, -alpha);
}

/* |sum_j u_j exp(-2 pi i k j / s)|^2 by direct summation (1D). */
static double dft_power_1d(const double *u, int64_t s, int64_t k) {
    double re = 0.0, im = 0.0;
    for (int64_t j = 0; j < s; j++) {
        double angle = -2.0 * SCIML_PI * (double)(k * j) / (double)s;
        re += u[j] * cos(angle);
        im += u[j] * sin(angle);
    }
    return re * re + im * im;
}

/* Same on an (s, s) row-major field for the wavenumber (k1, k2). */
static double dft_power_2d(const double *u, int64_t s, int64_t k1, int64_t k2) {
    double re = 0.0, im = 0.0;
    for (int64_t i = 0; i < s; i++)
        for (int64_t j = 0; j < s; j++) {
            int64_t phase = ((k1 * i + k2 * j) % s + s) % s;
            double angle = -2.0 * SCIML_PI * (double)phase / (double)s;
            re += u[i * s + j] * cos(angle);
            im += u[i * s + j] * sin(angle);
        }
    return re * re + im * im;
}

static void test_grf_1d_spectrum(void) {
    sciml_ctx *ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_ctx_create(&ctx), SCIML_OK);
    const int64_t s = 64;
    const double alpha = SCIML_GRF_BURGERS_ALPHA, tau = SCIML_GRF_BURGERS_TAU,
                 sigma = SCIML_GRF_BURGERS_SIGMA;
    sciml_grf *grf = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_grf_create(ctx, 1, s, alpha, tau, sigma, &grf), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_grf_point_count(grf), s);

    /* Expected pointwise variance: k = -(s/2 - 1) .. s/2, k != 0. */
    double expected_variance = 0.0;
    for (int64_t k = -(s / 2 - 1); k <= s / 2; k++)
        expected_variance += expected_lambda(alpha, tau, sigma, (double)(k * k));
    SCIML_ASSERT_CLOSE(sciml_grf_variance(grf), expected_variance, 1e-12 * expected_variance);
    SCIML_ASSERT_CLOSE(sciml_grf_eigenvalue(grf, 9.0), expected_lambda(alpha, tau, sigma, 9.0),
                       1e-15);

    enum { SAMPLES = 2000, WAVES = 6 };
    const int64_t wavenumbers[WAVES] = {1, 2, 3, 5, 10, 32}; /* 32 = Nyquist */
    double power[WAVES] = {0};
    double *u = malloc((size_t)s * sizeof(double));
    double *point_sum = calloc((size_t)s, sizeof(double));
    double square_sum = 0.0, largest_sample_mean = 0.0;
    sciml_rng rng;
    sciml_rng_seed(&rng, 2024);
    for (int n = 0; n < SAMPLES; n++) {
        sciml_grf_sample(grf, &rng, u);
        double mean = 0.0;
        for (int64_t j = 0; j < s; j++) {
            mean += u[j];
            point_sum[j] += u[j];
            square_sum += u[j] * u[j];
        }
        mean /= (double)s;
        if (fabs(mean) > largest_sample_mean)
            largest_sample_mean = fabs(mean);
        for (int w = 0; w < WAVES; w++)
            power[w] += dft_power_1d(u, s, wavenumbers[w]);
    }
    double sd = sqrt(expected_variance);
    /* The zero mode is removed: every sample has mean zero to rounding. */
    CU_ASSERT(largest_sample_mean < 1e-12 * sd);
    /* E|U_k|^2 = s^2 lambda_k: relative standard error 1/sqrt(2000) = 2.2% (3.2% at the real
     * Nyquist mode), so 10% is a 3-4.5 sigma bound. */
    for (int w = 0; w < WAVES; w++) {
        double k = (double)wavenumbers[w];
        double expected = (double)(s * s) * expected_lambda(alpha, tau, sigma, k * k);
        double ratio = power[w] / SAMPLES / expected;
        CU_ASSERT(fabs(ratio - 1.0) < 0.10);
        if (fabs(ratio - 1.0) >= 0.10)
            fprintf(stderr, "k = %g: empirical/expected power %g\n", k, ratio);
    }
    /* Ensemble mean at a point: within 5 standard errors of 0. */
    for (int64_t j = 0; j < s; j += 7)
        CU_ASSERT(fabs(point_sum[j] / SAMPLES) < 5.0 * sd / sqrt((double)SAMPLES));
    /* Pointwise variance averaged over points and samples: within 5%. */
    double empirical_variance = square_sum / (double)(SAMPLES * s);
    CU_ASSERT(fabs(empirical_variance / expected_variance - 1.0) < 0.05);
    free(point_sum);
    free(u);
    sciml_grf_destroy(&grf);
    CU_ASSERT_PTR_NULL(grf);
    sciml_ctx_destroy(&ctx);
}

static void test_grf_1d_odd_resolution(void) {
    /* s = 15 has no Nyquist mode: k = -7..7. */
    sciml_ctx *ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_ctx_create(&ctx), SCIML_OK);
    const int64_t s = 15;
    sciml_grf *grf = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_grf_create(ctx, 1, s, 2.0, 5.0, 25.0, &grf), SCIML_OK);
    double expected_variance = 0.0;
    for (int64_t k = -7; k <= 7; k++)
        expected_variance += expected_lambda(2.0, 5.0, 25.0, (double)(k * k));
    SCIML_ASSERT_CLOSE(sciml_grf_variance(grf), expected_variance, 1e-12 * expected_variance);
    enum { SAMPLES = 4000 };
    double u[15], power7 = 0.0, square_sum = 0.0;
    sciml_rng rng;
    sciml_rng_seed(&rng, 5);
    for (int n = 0; n < SAMPLES; n++) {
        sciml_grf_sample(grf, &rng, u);
        power7 += dft_power_1d(u, s, 7);
        for (int64_t j = 0; j < s; j++)
            square_sum += u[j] * u[j];
    }
    double expected7 = (double)(s * s) * expected_lambda(2.0, 5.0, 25.0, 49.0);
    CU_ASSERT(fabs(power7 / SAMPLES / expected7 - 1.0) < 0.10);
    CU_ASSERT(fabs(square_sum / (double)(SAMPLES * s) / expected_variance - 1.0) < 0.05);
    sciml_grf_destroy(&grf);
    sciml_ctx_destroy(&ctx);
}

static void test_grf_reproducible(void) {
    sciml_ctx *ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_ctx_create(&ctx), SCIML_OK);
    for (int dims = 1; dims <= 2; dims++) {
        sciml_grf *grf = NULL;
        CU_ASSERT_EQUAL_FATAL(sciml_grf_create(ctx, dims, 32, 2.5, 7.0, 49.0, &grf), SCIML_OK);
        int64_t count = sciml_grf_point_count(grf);
        CU_ASSERT_EQUAL(count, dims == 1 ? 32 : 32 * 32);
        double *a = malloc((size_t)count * sizeof(double));
        double *b = malloc((size_t)count * sizeof(double));
        double *c = malloc((size_t)count * sizeof(double));
        sciml_rng rng_a, rng_b, rng_c;
        sciml_rng_seed(&rng_a, 7);
        sciml_rng_seed(&rng_b, 7);
        sciml_rng_seed(&rng_c, 8);
        for (int n = 0; n < 3; n++) {
            sciml_grf_sample(grf, &rng_a, a);
            sciml_grf_sample(grf, &rng_b, b);
            sciml_grf_sample(grf, &rng_c, c);
            CU_ASSERT_EQUAL(memcmp(a, b, (size_t)count * sizeof(double)), 0);
            double difference = 0.0, norm = 0.0;
            for (int64_t i = 0; i < count; i++) {
                difference += fabs(a[i] - c[i]);
                norm += fabs(a[i]);
                CU_ASSERT(isfinite(a[i]));
            }
            CU_ASSERT(norm > 0.0);
            CU_ASSERT(difference > 0.1 * norm);
        }
        /* Consecutive samples from one stream differ too. */
        sciml_grf_sample(grf, &rng_a, b);
        CU_ASSERT(memcmp(a, b, (size_t)count * sizeof(double)) != 0);
        free(a);
        free(b);
        free(c);
        sciml_grf_destroy(&grf);
    }
    sciml_ctx_destroy(&ctx);
}

static void test_grf_2d_spectrum(void) {
    sciml_ctx *ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_ctx_create(&ctx), SCIML_OK);
    const int64_t s = 16;
    const double alpha = SCIML_GRF_DARCY_ALPHA, tau = SCIML_GRF_DARCY_TAU,
                 sigma = SCIML_GRF_DARCY_SIGMA;
    sciml_grf *grf = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_grf_create(ctx, 2, s, alpha, tau, sigma, &grf), SCIML_OK);
    double expected_variance = 0.0;
    for (int64_t k1 = -(s / 2 - 1); k1 <= s / 2; k1++)
        for (int64_t k2 = -(s / 2 - 1); k2 <= s / 2; k2++)
            expected_variance += expected_lambda(alpha, tau, sigma, (double)(k1 * k1 + k2 * k2));
    SCIML_ASSERT_CLOSE(sciml_grf_variance(grf), expected_variance, 1e-12 * expected_variance);

    /* Modes in the stored columns k2 = 0 and k2 = s/2 (mirrored by the generator), interior
     * columns, negative k1, and the self-conjugate (s/2, 0), (s/2, s/2). */
    enum { SAMPLES = 2000, WAVES = 8 };
    const int64_t waves[WAVES][2] = {{1, 0}, {0, 1}, {3, 0}, {-3, 2},
                                     {2, 3}, {5, 8}, {8, 0}, {8, 8}};
    double power[WAVES] = {0};
    double *u = malloc((size_t)(s * s) * sizeof(double));
    double square_sum = 0.0, largest_sample_mean = 0.0;
    sciml_rng rng;
    sciml_rng_seed(&rng, 99);
    for (int n = 0; n < SAMPLES; n++) {
        sciml_grf_sample(grf, &rng, u);
        double mean = 0.0;
        for (int64_t i = 0; i < s * s; i++) {
            mean += u[i];
            square_sum += u[i] * u[i];
        }
        mean /= (double)(s * s);
        if (fabs(mean) > largest_sample_mean)
            largest_sample_mean = fabs(mean);
        for (int w = 0; w < WAVES; w++)
            power[w] += dft_power_2d(u, s, waves[w][0], waves[w][1]);
    }
    CU_ASSERT(largest_sample_mean < 1e-12 * sqrt(expected_variance));
    for (int w = 0; w < WAVES; w++) {
        double k_squared = (double)(waves[w][0] * waves[w][0] + waves[w][1] * waves[w][1]);
        double expected =
            (double)(s * s) * (double)(s * s) * expected_lambda(alpha, tau, sigma, k_squared);
        double ratio = power[w] / SAMPLES / expected;
        /* Relative standard error 2.2% (3.2% for the two real modes). */
        CU_ASSERT(fabs(ratio - 1.0) < 0.12);
        if (fabs(ratio - 1.0) >= 0.12)
            fprintf(stderr, "k = (%lld, %lld): empirical/expected power %g\n",
                    (long long)waves[w][0], (long long)waves[w][1], ratio);
    }
    double empirical_variance = square_sum / (double)(SAMPLES * s * s);
    CU_ASSERT(fabs(empirical_variance / expected_variance - 1.0) < 0.05);
    free(u);
    sciml_grf_destroy(&grf);
    sciml_ctx_destroy(&ctx);
}

static void test_grf_arguments(void) {
    sciml_ctx *ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_ctx_create(&ctx), SCIML_OK);
    sciml_grf *grf = (sciml_grf *)&ctx; /* non-NULL garbage: must be reset to NULL */
    CU_ASSERT_EQUAL(sciml_grf_create(ctx, 3, 64, 2.0, 3.0, 1.0, &grf), SCIML_ERR_ARG);
    CU_ASSERT_PTR_NULL(grf);
    CU_ASSERT(strstr(sciml_ctx_message(ctx), "dimension 3") != NULL);
    CU_ASSERT_EQUAL(sciml_grf_create(ctx, 1, 1, 2.0, 3.0, 1.0, &grf), SCIML_ERR_RANGE);
    CU_ASSERT(strstr(sciml_ctx_message(ctx), "resolution 1") != NULL);
    CU_ASSERT_EQUAL(sciml_grf_create(ctx, 2, 1 << 20, 2.0, 3.0, 1.0, &grf), SCIML_ERR_RANGE);
    CU_ASSERT_EQUAL(sciml_grf_create(ctx, 1, 64, 0.0, 3.0, 1.0, &grf), SCIML_ERR_RANGE);
    CU_ASSERT_EQUAL(sciml_grf_create(ctx, 1, 64, 2.0, -3.0, 1.0, &grf), SCIML_ERR_RANGE);
    CU_ASSERT_EQUAL(sciml_grf_create(ctx, 1, 64, 2.0, 3.0, NAN, &grf), SCIML_ERR_RANGE);
    CU_ASSERT(strstr(sciml_ctx_message(ctx), "sigma = nan") != NULL);
    CU_ASSERT_PTR_NULL(grf);
    CU_ASSERT_EQUAL(sciml_grf_create(ctx, 1, 2, 2.0, 3.0, 1.0, &grf), SCIML_OK);
    double tiny[2];
    sciml_rng rng;
    sciml_rng_seed(&rng, 1);
    sciml_grf_sample(grf, &rng, tiny); /* only the Nyquist mode: u = (x, -x) */
    SCIML_ASSERT_CLOSE(tiny[0], -tiny[1], 1e-15);
    sciml_grf_destroy(&grf);
    sciml_grf_destroy(&grf);
    sciml_grf_destroy(NULL);
    sciml_ctx_destroy(&ctx);
}

static void test_gp_rbf_covariance(void) {
    sciml_ctx *ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_ctx_create(&ctx), SCIML_OK);
    const int64_t m = 21;
    const double length = 0.2, variance = 2.0;
    sciml_gp_rbf *gp = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_gp_rbf_create(ctx, m, length, variance, &gp), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_gp_rbf_points(gp), m);
    CU_ASSERT(sciml_gp_rbf_jitter(gp) > 0.0 && sciml_gp_rbf_jitter(gp) <= 1e-4 * variance);
    enum { SAMPLES = 20000 };
    /* Pairs (i, j) with x = i/20: distances 0, 0.15, 0.3, 0.5. */
    const int pairs[4][2] = {{4, 4}, {5, 8}, {10, 16}, {0, 10}};
    double product[4] = {0}, mean_sum = 0.0;
    double u[21];
    sciml_rng rng;
    sciml_rng_seed(&rng, 11);
    for (int n = 0; n < SAMPLES; n++) {
        sciml_gp_rbf_sample(gp, &rng, u);
        mean_sum += u[12];
        for (int p = 0; p < 4; p++)
            product[p] += u[pairs[p][0]] * u[pairs[p][1]];
    }
    for (int p = 0; p < 4; p++) {
        double distance = (double)(pairs[p][1] - pairs[p][0]) / (double)(m - 1);
        double kernel = variance * exp(-distance * distance / (2.0 * length * length));
        /* Standard error of the product mean <= variance * sqrt(2 / SAMPLES) = 0.02. */
        SCIML_ASSERT_CLOSE(product[p] / SAMPLES, kernel, 0.08);
    }
    CU_ASSERT(fabs(mean_sum / SAMPLES) < 5.0 * sqrt(variance / SAMPLES));
    sciml_gp_rbf_destroy(&gp);
    CU_ASSERT_PTR_NULL(gp);

    /* A fine grid with a long length scale is numerically singular: the jitter makes it
     * factorable and the samples stay finite and smooth. */
    CU_ASSERT_EQUAL_FATAL(sciml_gp_rbf_create(ctx, 400, 1.0, 1.0, &gp), SCIML_OK);
    CU_ASSERT(sciml_gp_rbf_jitter(gp) >= 1e-10 && sciml_gp_rbf_jitter(gp) <= 1e-4);
    double fine[400];
    sciml_gp_rbf_sample(gp, &rng, fine);
    for (int i = 0; i < 400; i++)
        CU_ASSERT_FATAL(isfinite(fine[i]));
    for (int i = 1; i < 400; i++) /* |u'| is a few units at most for l = 1 */
        CU_ASSERT(fabs(fine[i] - fine[i - 1]) < 0.05);
    sciml_gp_rbf_destroy(&gp);

    CU_ASSERT_EQUAL(sciml_gp_rbf_create(ctx, 1, 0.2, 1.0, &gp), SCIML_ERR_RANGE);
    CU_ASSERT_EQUAL(sciml_gp_rbf_create(ctx, 10, 0.0, 1.0, &gp), SCIML_ERR_RANGE);
    CU_ASSERT_EQUAL(sciml_gp_rbf_create(ctx, 10, 0.2, -1.0, &gp), SCIML_ERR_RANGE);
    CU_ASSERT_PTR_NULL(gp);
    sciml_ctx_destroy(&ctx);
}

/* RK4 on (x, v) with step dt up to time t (t a multiple of dt). */
static double rk4_oscillator(double amplitude, double velocity, double omega, double zeta, double t,
                             double dt) {
    double x = amplitude, v = velocity;
    const long steps = lround(t / dt);
    const double damping = 2.0 * zeta * omega, stiffness = omega * omega;
    for (long n = 0; n < steps; n++) {
        double k1x = v, k1v = -damping * v - stiffness * x;
        double x2 = x + 0.5 * dt * k1x, v2 = v + 0.5 * dt * k1v;
        double k2x = v2, k2v = -damping * v2 - stiffness * x2;
        double x3 = x + 0.5 * dt * k2x, v3 = v + 0.5 * dt * k2v;
        double k3x = v3, k3v = -damping * v3 - stiffness * x3;
        double x4 = x + dt * k3x, v4 = v + dt * k3v;
        double k4x = v4, k4v = -damping * v4 - stiffness * x4;
        x += dt / 6.0 * (k1x + 2.0 * k2x + 2.0 * k3x + k4x);
        v += dt / 6.0 * (k1v + 2.0 * k2v + 2.0 * k3v + k4v);
    }
    return x;
}

static void test_oscillator_branches(void) {
    /* Undamped, under-, critically and over-damped, with the default ranges' extremes. */
    const double cases[][4] = {
        {0.7, -3.0, 4.0 * SCIML_PI, 0.3},  {-1.0, 2.0 * SCIML_PI, 6.0 * SCIML_PI, 0.05},
        {1.0, 0.0, 2.0 * SCIML_PI, 0.0},   {0.4, 5.0, 3.0 * SCIML_PI, 1.0},
        {-0.8, 6.0, 6.0 * SCIML_PI, 1.5},  {0.5, -6.0, 2.0 * SCIML_PI, 3.0},
        {0.9, 1.0, 5.0 * SCIML_PI, 0.999}, {0.9, 1.0, 5.0 * SCIML_PI, 1.001},
    };
    const int count = (int)(sizeof cases / sizeof cases[0]);
    const double times[] = {0.0, 0.1, 0.37, 0.5, 1.0};
    for (int c = 0; c < count; c++) {
        for (int i = 0; i < 5; i++) {
            double exact = sciml_oscillator_solution(cases[c][0], cases[c][1], cases[c][2],
                                                     cases[c][3], times[i]);
            double numeric =
                rk4_oscillator(cases[c][0], cases[c][1], cases[c][2], cases[c][3], times[i], 1e-4);
            CU_ASSERT(fabs(exact - numeric) < 1e-8);
            if (fabs(exact - numeric) >= 1e-8)
                fprintf(stderr, "case %d t = %g: closed form %.15g, RK4 %.15g\n", c, times[i],
                        exact, numeric);
        }
    }
    /* x(0) = A and x'(0) = v0 (central difference). */
    double h = 1e-6;
    double slope = (sciml_oscillator_solution(0.3, 2.5, 10.0, 1.2, h) -
                    sciml_oscillator_solution(0.3, 2.5, 10.0, 1.2, 0.0)) /
                   h;
    SCIML_ASSERT_CLOSE(sciml_oscillator_solution(0.3, 2.5, 10.0, 1.2, 0.0), 0.3, 1e-15);
    SCIML_ASSERT_CLOSE(slope, 2.5, 1e-3);
    /* Strong damping: no overflow, and the slow mode exp(-omega t / (zeta + sqrt(zeta^2-1)))
     * dominates. */
    double strong = sciml_oscillator_solution(1.0, 0.0, 20.0, 200.0, 1.0);
    CU_ASSERT(isfinite(strong));
    double root = sqrt(200.0 * 200.0 - 1.0);
    double rate = 20.0 / (200.0 + root);
    double slow_coefficient = 0.5 + 0.5 * 200.0 / root; /* A/2 + B/(2h), B = zeta omega A */
    SCIML_ASSERT_CLOSE(strong, slow_coefficient * exp(-rate), 1e-12);
}

static void test_oscillator_continuity(void) {
    /* Across zeta = 1 the solution is smooth: values at 1 - d, 1, 1 + d differ by O(d). */
    const double deltas[] = {1e-4, 1e-8, 1e-12, 1e-15};
    for (int i = 0; i < 4; i++) {
        for (double t = 0.0; t <= 1.0; t += 0.125) {
            double below = sciml_oscillator_solution(0.6, -4.0, 4.0 * SCIML_PI, 1.0 - deltas[i], t);
            double at = sciml_oscillator_solution(0.6, -4.0, 4.0 * SCIML_PI, 1.0, t);
            double above = sciml_oscillator_solution(0.6, -4.0, 4.0 * SCIML_PI, 1.0 + deltas[i], t);
            /* |dx/dzeta| <= 100 here; allow rounding on top. */
            double bound = 100.0 * deltas[i] + 1e-13;
            CU_ASSERT(fabs(below - at) < bound);
            CU_ASSERT(fabs(above - at) < bound);
        }
    }
}

static void test_oscillator_fill(void) {
    sciml_ctx *ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_ctx_create(&ctx), SCIML_OK);
    sciml_oscillator_config config;
    sciml_oscillator_config_default(&config);
    CU_ASSERT_EQUAL(config.points, 150);
    SCIML_ASSERT_CLOSE(config.horizon, 1.0, 0.0);
    enum { SAMPLES = 400, P = 150 };
    double *inputs = malloc(SAMPLES * 5 * sizeof(double));
    double *outputs = malloc(SAMPLES * P * sizeof(double));
    double *again = malloc(SAMPLES * P * sizeof(double));
    double times[P];
    sciml_rng rng;
    sciml_rng_seed(&rng, 1);
    CU_ASSERT_EQUAL_FATAL(sciml_oscillator_fill(ctx, NULL, &rng, SAMPLES, inputs, outputs, times),
                          SCIML_OK);
    SCIML_ASSERT_CLOSE(times[0], 0.0, 0.0);
    SCIML_ASSERT_CLOSE(times[P - 1], 1.0, 0.0);
    SCIML_ASSERT_CLOSE(times[1], 1.0 / (P - 1), 1e-16);
    int under = 0, over = 0;
    double largest = 0.0;
    for (int n = 0; n < SAMPLES; n++) {
        const double *p = inputs + n * 5;
        CU_ASSERT(p[0] >= -1.0 && p[0] <= 1.0);
        CU_ASSERT(fabs(p[1]) <= 2.0 * SCIML_PI);
        CU_ASSERT(p[2] >= 2.0 * SCIML_PI && p[2] <= 6.0 * SCIML_PI);
        CU_ASSERT(p[3] >= 0.05 && p[3] <= 1.5);
        CU_ASSERT(p[4] >= -0.5 && p[4] <= 0.5);
        under += p[3] < 1.0;
        over += p[3] > 1.0;
        SCIML_ASSERT_CLOSE(outputs[n * P], p[0] + p[4], 1e-14);
        double at = sciml_oscillator_solution(p[0], p[1], p[2], p[3], times[77]) + p[4];
        SCIML_ASSERT_CLOSE(outputs[n * P + 77], at, 1e-14);
        for (int k = 0; k < P; k++)
            if (fabs(outputs[n * P + k]) > largest)
                largest = fabs(outputs[n * P + k]);
    }
    CU_ASSERT(under > 100 && over > 50);
    CU_ASSERT(largest < 3.0); /* bounded, smooth targets */
    sciml_rng_seed(&rng, 1);
    CU_ASSERT_EQUAL(sciml_oscillator_fill(ctx, &config, &rng, SAMPLES, inputs, again, NULL),
                    SCIML_OK);
    CU_ASSERT_EQUAL(memcmp(outputs, again, SAMPLES * P * sizeof(double)), 0);

    CU_ASSERT_EQUAL(sciml_oscillator_fill(ctx, NULL, &rng, 0, inputs, outputs, times),
                    SCIML_ERR_RANGE);
    config.points = 1;
    CU_ASSERT_EQUAL(sciml_oscillator_fill(ctx, &config, &rng, 1, inputs, outputs, times),
                    SCIML_ERR_RANGE);
    sciml_oscillator_config_default(&config);
    config.frequency[0] = 0.0;
    CU_ASSERT_EQUAL(sciml_oscillator_fill(ctx, &config, &rng, 1, inputs, outputs, times),
                    SCIML_ERR_RANGE);
    sciml_oscillator_config_default(&config);
    config.damping[1] = -1.0; /* max < min */
    CU_ASSERT_EQUAL(sciml_oscillator_fill(ctx, &config, &rng, 1, inputs, outputs, times),
                    SCIML_ERR_RANGE);
    sciml_oscillator_config_default(&config);
    CU_ASSERT_EQUAL(
        sciml_oscillator_fill(ctx, &config, &rng, INT64_MAX / 2, inputs, outputs, times),
        SCIML_ERR_RANGE);
    free(inputs);
    free(outputs);
    free(again);
    sciml_ctx_destroy(&ctx);
}

int main(void) {
    static const sciml_test_case cases[] = {
        {"grf 1d spectrum and variance", test_grf_1d_spectrum},
        {"grf 1d odd resolution", test_grf_1d_odd_resolution},
        {"grf reproducible", test_grf_reproducible},
        {"grf 2d spectrum and variance", test_grf_2d_spectrum},
        {"grf arguments", test_grf_arguments},
        {"gp rbf covariance", test_gp_rbf_covariance},
        {"oscillator branches vs rk4", test_oscillator_branches},
        {"oscillator continuity at zeta = 1", test_oscillator_continuity},
        {"oscillator data set", test_oscillator_fill},
        {NULL, NULL},
    };
    return sciml_test_main("physics_gen", cases);
}
