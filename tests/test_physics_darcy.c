/* 2D Darcy flow (darcy.h): second-order convergence on a manufactured solution with a smooth
 * variable coefficient (both solvers, both face means), banded Cholesky against PCG on random
 * 12/3 coefficients, the discrete maximum principle and symmetries, the torsion constant of
 * the unit square, the cosine GRF against a direct summation of its series and its expected
 * mean square, the thresholded coefficient's two values and their fractions, subsampling, and
 * argument errors. */
#include "sciml/darcy.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double *new_field(int64_t s) {
    double *field = calloc((size_t)(s * s), sizeof(double));
    CU_ASSERT_PTR_NOT_NULL_FATAL(field);
    return field;
}

static sciml_darcy *new_darcy(sciml_ctx *ctx, int64_t s, sciml_darcy_method method,
                              sciml_darcy_face_mean mean, double tolerance) {
    sciml_darcy_options options;
    sciml_darcy_options_default(&options);
    options.method = method;
    options.face_mean = mean;
    options.tolerance = tolerance;
    sciml_darcy *darcy = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_darcy_create(ctx, s, &options, &darcy), SCIML_OK);
    return darcy;
}

/* ---------------------------------------------------------------------------------------
 * Manufactured solution: u = sin(pi x) sin(pi y), a = 1 + 0.5 x y, so
 * f = -div(a grad u) = 2 pi^2 a u - 0.5 (y u_x + x u_y).
 */
static double exact_u(double x, double y) {
    return sin(SCIML_PI * x) * sin(SCIML_PI * y);
}

static double smooth_a(double x, double y) {
    return 1.0 + 0.5 * x * y;
}

static double manufactured_f(double x, double y) {
    double u = exact_u(x, y);
    double u_x = SCIML_PI * cos(SCIML_PI * x) * sin(SCIML_PI * y);
    double u_y = SCIML_PI * sin(SCIML_PI * x) * cos(SCIML_PI * y);
    return 2.0 * SCIML_PI * SCIML_PI * smooth_a(x, y) * u - 0.5 * (y * u_x + x * u_y);
}

/* Max-norm error of the discrete solution at resolution s. */
static double manufactured_error(sciml_ctx *ctx, int64_t s, sciml_darcy_method method,
                                 sciml_darcy_face_mean mean) {
    sciml_darcy *darcy = new_darcy(ctx, s, method, mean, 1e-13);
    double *a = new_field(s), *f = new_field(s), *u = new_field(s);
    double h = 1.0 / (double)(s - 1);
    for (int64_t i = 0; i < s; i++)
        for (int64_t j = 0; j < s; j++) {
            a[i * s + j] = smooth_a((double)i * h, (double)j * h);
            f[i * s + j] = manufactured_f((double)i * h, (double)j * h);
        }
    CU_ASSERT_EQUAL(sciml_darcy_solve(ctx, darcy, a, f, u), SCIML_OK);
    double error = 0.0;
    for (int64_t i = 0; i < s; i++)
        for (int64_t j = 0; j < s; j++) {
            double difference = fabs(u[i * s + j] - exact_u((double)i * h, (double)j * h));
            if (difference > error)
                error = difference;
        }
    free(a);
    free(f);
    free(u);
    sciml_darcy_destroy(&darcy);
    return error;
}

static void check_convergence(sciml_darcy_method method, sciml_darcy_face_mean mean) {
    sciml_ctx *ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_ctx_create(&ctx), SCIML_OK);
    const int64_t sizes[3] = {17, 33, 65}; /* s, 2s - 1, 4s - 3: h halves */
    double error[3];
    for (int level = 0; level < 3; level++)
        error[level] = manufactured_error(ctx, sizes[level], method, mean);
    CU_ASSERT(error[0] < 1e-2);
    for (int level = 0; level < 2; level++) {
        double order = log2(error[level] / error[level + 1]);
        if (order < 1.8 || order > 2.2)
            fprintf(stderr, "\n  observed order %g (errors %g, %g)\n", order, error[level],
                    error[level + 1]);
        CU_ASSERT(order >= 1.8 && order <= 2.2);
    }
    sciml_ctx_destroy(&ctx);
}

static void test_convergence_banded(void) {
    check_convergence(SCIML_DARCY_BANDED, SCIML_DARCY_ARITHMETIC);
}

static void test_convergence_pcg(void) {
    check_convergence(SCIML_DARCY_PCG, SCIML_DARCY_ARITHMETIC);
}

static void test_convergence_harmonic(void) {
    check_convergence(SCIML_DARCY_BANDED, SCIML_DARCY_HARMONIC);
}

/* -Laplacian u = 1 on the unit square: u(1/2, 1/2) = 0.0736713532... (the torsion problem's
 * series solution); the scheme is second order, so at s = 65 it is within 1e-4. */
static void test_poisson_centre_value(void) {
    sciml_ctx *ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_ctx_create(&ctx), SCIML_OK);
    const int64_t s = 65;
    double *a = new_field(s), *u = new_field(s);
    for (int64_t index = 0; index < s * s; index++)
        a[index] = 1.0;
    sciml_darcy *darcy = new_darcy(ctx, s, SCIML_DARCY_PCG, SCIML_DARCY_HARMONIC, 1e-12);
    CU_ASSERT_EQUAL(sciml_darcy_solve(ctx, darcy, a, NULL, u), SCIML_OK);
    SCIML_ASSERT_CLOSE(u[(s / 2) * s + s / 2], 0.0736713532, 1e-4);
    CU_ASSERT(sciml_darcy_last_residual(darcy) < 1e-12);
    CU_ASSERT(sciml_darcy_last_iterations(darcy) > 0);
    /* f scales linearly: forcing 2 doubles u. */
    sciml_darcy_options options = *sciml_darcy_get_options(darcy);
    options.forcing = 2.0;
    sciml_darcy *doubled = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_darcy_create(ctx, s, &options, &doubled), SCIML_OK);
    double *u2 = new_field(s);
    CU_ASSERT_EQUAL(sciml_darcy_solve(ctx, doubled, a, NULL, u2), SCIML_OK);
    SCIML_ASSERT_CLOSE(u2[(s / 2) * s + s / 2], 2.0 * u[(s / 2) * s + s / 2], 1e-11);
    free(u2);
    sciml_darcy_destroy(&doubled);
    free(a);
    free(u);
    sciml_darcy_destroy(&darcy);
    sciml_ctx_destroy(&ctx);
}

/* ---------------------------------------------------------------------------------------
 * Banded Cholesky and PCG on the same random 12/3 coefficients.
 */
static void test_banded_matches_pcg(void) {
    sciml_ctx *ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_ctx_create(&ctx), SCIML_OK);
    const int64_t s = 49;
    double *a = new_field(s), *u_banded = new_field(s), *u_pcg = new_field(s);
    sciml_rng rng;
    sciml_rng_seed(&rng, 7);
    for (int mean = 0; mean < 2; mean++) {
        sciml_darcy *banded = new_darcy(ctx, s, SCIML_DARCY_BANDED, mean, 1e-10);
        sciml_darcy *pcg = new_darcy(ctx, s, SCIML_DARCY_PCG, mean, 1e-13);
        CU_ASSERT_EQUAL(sciml_darcy_method_used(banded), SCIML_DARCY_BANDED);
        CU_ASSERT_EQUAL(sciml_darcy_method_used(pcg), SCIML_DARCY_PCG);
        for (int sample = 0; sample < 3; sample++) {
            sciml_darcy_coefficient(banded, &rng, a);
            CU_ASSERT_EQUAL(sciml_darcy_solve(ctx, banded, a, NULL, u_banded), SCIML_OK);
            CU_ASSERT_EQUAL(sciml_darcy_solve(ctx, pcg, a, NULL, u_pcg), SCIML_OK);
            double difference = 0.0, largest = 0.0;
            for (int64_t index = 0; index < s * s; index++) {
                difference = fmax(difference, fabs(u_banded[index] - u_pcg[index]));
                largest = fmax(largest, fabs(u_banded[index]));
            }
            CU_ASSERT(largest > 1e-3 && largest < 0.1); /* ~0.074 / a for f = 1 */
            CU_ASSERT(difference <= 1e-9 * largest);
            CU_ASSERT(sciml_darcy_last_residual(banded) < 1e-12);
            CU_ASSERT(sciml_darcy_last_iterations(pcg) > 5);
            CU_ASSERT(sciml_darcy_last_iterations(pcg) < 200);
        }
        sciml_darcy_destroy(&banded);
        sciml_darcy_destroy(&pcg);
    }
    /* AUTO picks by size. */
    sciml_darcy *automatic = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_darcy_create(ctx, SCIML_DARCY_AUTO_BANDED_MAX, NULL, &automatic),
                          SCIML_OK);
    CU_ASSERT_EQUAL(sciml_darcy_method_used(automatic), SCIML_DARCY_BANDED);
    sciml_darcy_destroy(&automatic);
    CU_ASSERT_EQUAL_FATAL(
        sciml_darcy_create(ctx, SCIML_DARCY_AUTO_BANDED_MAX + 1, NULL, &automatic), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_darcy_method_used(automatic), SCIML_DARCY_PCG);
    sciml_darcy_destroy(&automatic);
    free(a);
    free(u_banded);
    free(u_pcg);
    sciml_ctx_destroy(&ctx);
}

/* ---------------------------------------------------------------------------------------
 * Maximum principle and symmetry.
 */
static void test_positivity_and_symmetry(void) {
    sciml_ctx *ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_ctx_create(&ctx), SCIML_OK);
    const int64_t s = 41;
    double *a = new_field(s), *symmetric = new_field(s), *u = new_field(s);
    sciml_rng rng;
    sciml_rng_seed(&rng, 11);
    for (int method = SCIML_DARCY_BANDED; method <= SCIML_DARCY_PCG; method++) {
        sciml_darcy *darcy = new_darcy(ctx, s, method, SCIML_DARCY_ARITHMETIC, 1e-13);
        /* f = 1, a random 12/3 field: u > 0 inside, u = 0 on the boundary. */
        CU_ASSERT_EQUAL(sciml_darcy_sample(ctx, darcy, &rng, a, u), SCIML_OK);
        int interior_positive = 1, boundary_zero = 1;
        for (int64_t i = 0; i < s; i++)
            for (int64_t j = 0; j < s; j++) {
                int boundary = i == 0 || j == 0 || i == s - 1 || j == s - 1;
                if (boundary && u[i * s + j] != 0.0)
                    boundary_zero = 0;
                if (!boundary && !(u[i * s + j] > 0.0))
                    interior_positive = 0;
            }
        CU_ASSERT(interior_positive);
        CU_ASSERT(boundary_zero);

        /* a(x, y) = a(y, x) gives u(x, y) = u(y, x). */
        for (int64_t i = 0; i < s; i++)
            for (int64_t j = 0; j < s; j++)
                symmetric[i * s + j] = i <= j ? a[i * s + j] : a[j * s + i];
        CU_ASSERT_EQUAL(sciml_darcy_solve(ctx, darcy, symmetric, NULL, u), SCIML_OK);
        double asymmetry = 0.0, largest = 0.0;
        for (int64_t i = 0; i < s; i++)
            for (int64_t j = 0; j < s; j++) {
                asymmetry = fmax(asymmetry, fabs(u[i * s + j] - u[j * s + i]));
                largest = fmax(largest, fabs(u[i * s + j]));
            }
        CU_ASSERT(asymmetry <= 1e-10 * largest);

        /* a(x, y) = a(1 - x, y) gives u(x, y) = u(1 - x, y). */
        for (int64_t i = 0; i < s; i++)
            for (int64_t j = 0; j < s; j++)
                symmetric[i * s + j] = a[(i <= s / 2 ? i : s - 1 - i) * s + j];
        CU_ASSERT_EQUAL(sciml_darcy_solve(ctx, darcy, symmetric, NULL, u), SCIML_OK);
        asymmetry = 0.0;
        for (int64_t i = 0; i < s; i++)
            for (int64_t j = 0; j < s; j++)
                asymmetry = fmax(asymmetry, fabs(u[i * s + j] - u[(s - 1 - i) * s + j]));
        CU_ASSERT(asymmetry <= 1e-10 * largest);

        /* Comparison principle: a >= 3 everywhere, so u <= the a = 3 solution. */
        for (int64_t index = 0; index < s * s; index++)
            symmetric[index] = SCIML_DARCY_LOW;
        double *u_low = new_field(s);
        CU_ASSERT_EQUAL(sciml_darcy_solve(ctx, darcy, a, NULL, u), SCIML_OK);
        CU_ASSERT_EQUAL(sciml_darcy_solve(ctx, darcy, symmetric, NULL, u_low), SCIML_OK);
        int bounded = 1;
        for (int64_t index = 0; index < s * s; index++)
            if (u[index] > u_low[index] * (1.0 + 1e-9))
                bounded = 0;
        CU_ASSERT(bounded);
        free(u_low);
        sciml_darcy_destroy(&darcy);
    }
    free(a);
    free(symmetric);
    free(u);
    sciml_ctx_destroy(&ctx);
}

/* ---------------------------------------------------------------------------------------
 * The cosine GRF and the coefficient.
 */
static double expected_eigenvalue(double alpha, double tau, double sigma, double k_squared) {
    if (k_squared == 0.0)
        return 0.0;
    return sigma * sigma * pow(SCIML_PI * SCIML_PI * k_squared + tau * tau, -alpha);
}

/* The FFT synthesis equals the series summed directly with the same normals. */
static void test_grf_cosine_series(void) {
    sciml_ctx *ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_ctx_create(&ctx), SCIML_OK);
    const int64_t s = 7;
    const double alpha = 2.0, tau = 3.0, sigma = 3.0;
    sciml_grf_cosine *grf = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_grf_cosine_create(ctx, s, alpha, tau, sigma, &grf), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_grf_cosine_resolution(grf), s);
    SCIML_ASSERT_CLOSE(sciml_grf_cosine_eigenvalue(grf, 5.0),
                       expected_eigenvalue(alpha, tau, sigma, 5.0), 1e-16);
    double field[49], xi[49];
    sciml_rng rng, copy;
    sciml_rng_seed(&rng, 3);
    copy = rng;
    sciml_grf_cosine_sample(grf, &rng, field);
    xi[0] = 0.0;
    for (int index = 1; index < 49; index++)
        xi[index] = sciml_rng_normal(&copy);
    CU_ASSERT_EQUAL(sciml_rng_u64(&rng), sciml_rng_u64(&copy)); /* s^2 - 1 normals used */
    double largest_error = 0.0, largest = 0.0;
    for (int64_t i = 0; i < s; i++)
        for (int64_t j = 0; j < s; j++) {
            double x = (double)i / (double)(s - 1), y = (double)j / (double)(s - 1), sum = 0.0;
            for (int64_t k1 = 0; k1 < s; k1++)
                for (int64_t k2 = 0; k2 < s; k2++) {
                    double lambda =
                        expected_eigenvalue(alpha, tau, sigma, (double)(k1 * k1 + k2 * k2));
                    double phi = (k1 ? sqrt(2.0) : 1.0) * (k2 ? sqrt(2.0) : 1.0) *
                                 cos(SCIML_PI * (double)k1 * x) * cos(SCIML_PI * (double)k2 * y);
                    sum += sqrt(lambda) * xi[k1 * s + k2] * phi;
                }
            largest_error = fmax(largest_error, fabs(field[i * s + j] - sum));
            largest = fmax(largest, fabs(sum));
        }
    CU_ASSERT(largest > 1e-3);
    CU_ASSERT(largest_error <= 1e-13 * largest);
    sciml_grf_cosine_destroy(&grf);
    CU_ASSERT_PTR_NULL(grf);
    sciml_ctx_destroy(&ctx);
}

/* Trapezoid-weighted mean square over the grid: the DCT-I is orthogonal under those weights,
 * so its expectation is sum_k lambda_k w(k1) w(k2), w = 2 at the Nyquist index s-1, else 1. */
static void test_grf_cosine_mean_square(void) {
    sciml_ctx *ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_ctx_create(&ctx), SCIML_OK);
    const int64_t s = 33;
    const int samples = 400;
    sciml_grf_cosine *grf = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_grf_cosine_create(ctx, s, SCIML_DARCY_ALPHA, SCIML_DARCY_TAU,
                                                  SCIML_DARCY_SIGMA, &grf),
                          SCIML_OK);
    double expected = 0.0;
    for (int64_t k1 = 0; k1 < s; k1++)
        for (int64_t k2 = 0; k2 < s; k2++)
            expected += expected_eigenvalue(SCIML_DARCY_ALPHA, SCIML_DARCY_TAU, SCIML_DARCY_SIGMA,
                                            (double)(k1 * k1 + k2 * k2)) *
                        (k1 == s - 1 ? 2.0 : 1.0) * (k2 == s - 1 ? 2.0 : 1.0);
    double *field = new_field(s);
    double mean_square = 0.0;
    sciml_rng rng;
    sciml_rng_seed(&rng, 5);
    for (int sample = 0; sample < samples; sample++) {
        sciml_grf_cosine_sample(grf, &rng, field);
        for (int64_t i = 0; i < s; i++)
            for (int64_t j = 0; j < s; j++) {
                double weight = (i == 0 || i == s - 1 ? 0.5 : 1.0) *
                                (j == 0 || j == s - 1 ? 0.5 : 1.0) / (double)((s - 1) * (s - 1));
                mean_square += weight * field[i * s + j] * field[i * s + j];
            }
    }
    mean_square /= samples;
    CU_ASSERT(fabs(mean_square / expected - 1.0) < 0.1);
    free(field);
    sciml_grf_cosine_destroy(&grf);
    sciml_ctx_destroy(&ctx);
}

static void test_coefficient_values(void) {
    sciml_ctx *ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_ctx_create(&ctx), SCIML_OK);
    const int64_t s = 33;
    const int samples = 60;
    sciml_darcy *darcy = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_darcy_create(ctx, s, NULL, &darcy), SCIML_OK);
    double *a = new_field(s);
    sciml_rng rng;
    sciml_rng_seed(&rng, 2021);
    int64_t high = 0, low = 0, other = 0, mixed_samples = 0;
    for (int sample = 0; sample < samples; sample++) {
        sciml_darcy_coefficient(darcy, &rng, a);
        int64_t sample_high = 0;
        for (int64_t index = 0; index < s * s; index++) {
            if (a[index] == SCIML_DARCY_HIGH)
                sample_high++;
            else if (a[index] == SCIML_DARCY_LOW)
                low++;
            else
                other++;
        }
        high += sample_high;
        if (sample_high > 0 && sample_high < s * s)
            mixed_samples++;
    }
    CU_ASSERT_EQUAL(other, 0);
    double fraction = (double)high / (double)(high + low);
    CU_ASSERT(fraction > 0.4 && fraction < 0.6);
    CU_ASSERT(mixed_samples >= samples * 9 / 10);

    /* Same seed, same coefficient; the threshold moves the fraction. */
    double *again = new_field(s);
    sciml_rng_seed(&rng, 99);
    sciml_darcy_coefficient(darcy, &rng, a);
    sciml_rng_seed(&rng, 99);
    sciml_darcy_coefficient(darcy, &rng, again);
    CU_ASSERT_EQUAL(memcmp(a, again, (size_t)(s * s) * sizeof(double)), 0);
    sciml_darcy_options options;
    sciml_darcy_options_default(&options);
    options.threshold = 1e6; /* far above the field: all low */
    options.low = 0.5;
    sciml_darcy *shifted = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_darcy_create(ctx, s, &options, &shifted), SCIML_OK);
    sciml_darcy_coefficient(shifted, &rng, a);
    int all_low = 1;
    for (int64_t index = 0; index < s * s; index++)
        all_low &= a[index] == 0.5;
    CU_ASSERT(all_low);
    sciml_darcy_destroy(&shifted);
    free(again);
    free(a);
    sciml_darcy_destroy(&darcy);
    sciml_ctx_destroy(&ctx);
}

static void test_subsample(void) {
    sciml_ctx *ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_ctx_create(&ctx), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_darcy_subsampled_resolution(421, 5), 85);
    CU_ASSERT_EQUAL(sciml_darcy_subsampled_resolution(421, 1), 421);
    CU_ASSERT_EQUAL(sciml_darcy_subsampled_resolution(421, 3), 141);
    CU_ASSERT_EQUAL(sciml_darcy_subsampled_resolution(421, 8), -1);
    CU_ASSERT_EQUAL(sciml_darcy_subsampled_resolution(421, 0), -1);
    CU_ASSERT_EQUAL(sciml_darcy_subsampled_resolution(1, 1), -1);
    const int64_t s = 421, t = 85;
    double *fine = new_field(s), *coarse = new_field(t);
    for (int64_t i = 0; i < s; i++)
        for (int64_t j = 0; j < s; j++)
            fine[i * s + j] = (double)(1000 * i + j);
    CU_ASSERT_EQUAL(sciml_darcy_subsample(ctx, fine, s, 5, coarse), SCIML_OK);
    CU_ASSERT_EQUAL(coarse[0], 0.0);
    CU_ASSERT_EQUAL(coarse[1], 5.0);
    CU_ASSERT_EQUAL(coarse[t], 5000.0);
    CU_ASSERT_EQUAL(coarse[t * t - 1], 420420.0);
    coarse[0] = -1.0;
    CU_ASSERT_EQUAL(sciml_darcy_subsample(ctx, fine, s, 8, coarse), SCIML_ERR_RANGE);
    CU_ASSERT_EQUAL(coarse[0], -1.0); /* nothing written */
    CU_ASSERT_EQUAL(sciml_darcy_subsample(ctx, NULL, s, 5, coarse), SCIML_ERR_ARG);
    free(fine);
    free(coarse);
    sciml_ctx_destroy(&ctx);
}

/* ---------------------------------------------------------------------------------------
 * Argument errors.
 */
static int message_has(const sciml_ctx *ctx, const char *text) {
    return strstr(sciml_ctx_message(ctx), text) != NULL;
}

static void test_bad_arguments(void) {
    sciml_ctx *ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_ctx_create(&ctx), SCIML_OK);
    sciml_darcy *darcy = (sciml_darcy *)&ctx; /* must be reset to NULL on failure */
    CU_ASSERT_EQUAL(sciml_darcy_create(ctx, 2, NULL, &darcy), SCIML_ERR_RANGE);
    CU_ASSERT_PTR_NULL(darcy);
    CU_ASSERT(message_has(ctx, "resolution 2"));
    CU_ASSERT_EQUAL(sciml_darcy_create(ctx, SCIML_DARCY_MAX_RESOLUTION + 1, NULL, &darcy),
                    SCIML_ERR_RANGE);
    CU_ASSERT_EQUAL(sciml_darcy_create(ctx, 9, NULL, NULL), SCIML_ERR_ARG);

    sciml_darcy_options options;
    sciml_darcy_options_default(&options);
    options.tolerance = 0.0;
    CU_ASSERT_EQUAL(sciml_darcy_create(ctx, 9, &options, &darcy), SCIML_ERR_RANGE);
    CU_ASSERT(message_has(ctx, "tolerance"));
    sciml_darcy_options_default(&options);
    options.low = -3.0;
    CU_ASSERT_EQUAL(sciml_darcy_create(ctx, 9, &options, &darcy), SCIML_ERR_RANGE);
    sciml_darcy_options_default(&options);
    options.tau = NAN;
    CU_ASSERT_EQUAL(sciml_darcy_create(ctx, 9, &options, &darcy), SCIML_ERR_RANGE);
    sciml_darcy_options_default(&options);
    options.method = (sciml_darcy_method)7;
    CU_ASSERT_EQUAL(sciml_darcy_create(ctx, 9, &options, &darcy), SCIML_ERR_RANGE);
    sciml_darcy_options_default(&options);
    options.max_iterations = -1;
    CU_ASSERT_EQUAL(sciml_darcy_create(ctx, 9, &options, &darcy), SCIML_ERR_RANGE);
    sciml_grf_cosine *grf = NULL;
    CU_ASSERT_EQUAL(sciml_grf_cosine_create(ctx, 1, 2.0, 3.0, 3.0, &grf), SCIML_ERR_RANGE);
    CU_ASSERT_EQUAL(sciml_grf_cosine_create(ctx, 9, 2.0, -3.0, 3.0, &grf), SCIML_ERR_RANGE);
    CU_ASSERT_PTR_NULL(grf);

    const int64_t s = 9;
    CU_ASSERT_EQUAL_FATAL(sciml_darcy_create(ctx, s, NULL, &darcy), SCIML_OK);
    double a[81], f[81], u[81];
    for (int index = 0; index < 81; index++) {
        a[index] = 1.0;
        f[index] = 1.0;
        u[index] = 42.0;
    }
    a[2 * s + 3] = 0.0;
    CU_ASSERT_EQUAL(sciml_darcy_solve(ctx, darcy, a, f, u), SCIML_ERR_RANGE);
    CU_ASSERT(message_has(ctx, "a[2, 3]"));
    CU_ASSERT_EQUAL(u[40], 42.0); /* untouched */
    a[2 * s + 3] = 1.0;
    a[s - 1] = -1.0; /* a boundary value enters the face means too */
    CU_ASSERT_EQUAL(sciml_darcy_solve(ctx, darcy, a, f, u), SCIML_ERR_RANGE);
    a[s - 1] = NAN;
    CU_ASSERT_EQUAL(sciml_darcy_solve(ctx, darcy, a, f, u), SCIML_ERR_NONFINITE);
    a[s - 1] = 1.0;
    f[4 * s + 4] = INFINITY;
    CU_ASSERT_EQUAL(sciml_darcy_solve(ctx, darcy, a, f, u), SCIML_ERR_NONFINITE);
    CU_ASSERT(message_has(ctx, "f[4, 4]"));
    f[4 * s + 4] = 1.0;
    f[0] = NAN; /* boundary entries of f are not used */
    CU_ASSERT_EQUAL(sciml_darcy_solve(ctx, darcy, a, f, u), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_darcy_solve(ctx, darcy, NULL, f, u), SCIML_ERR_ARG);
    CU_ASSERT_EQUAL(sciml_darcy_solve(ctx, darcy, a, f, NULL), SCIML_ERR_ARG);
    CU_ASSERT_EQUAL(sciml_darcy_sample(ctx, darcy, NULL, a, u), SCIML_ERR_ARG);
    sciml_darcy_destroy(&darcy);
    CU_ASSERT_PTR_NULL(darcy);
    sciml_darcy_destroy(&darcy); /* NULL is accepted */

    /* PCG that cannot reach the tolerance in 3 iterations names the residual reached. */
    sciml_darcy_options_default(&options);
    options.method = SCIML_DARCY_PCG;
    options.tolerance = 1e-14;
    options.max_iterations = 3;
    const int64_t big = 33;
    CU_ASSERT_EQUAL_FATAL(sciml_darcy_create(ctx, big, &options, &darcy), SCIML_OK);
    double *field = new_field(big), *solution = new_field(big);
    sciml_rng rng;
    sciml_rng_seed(&rng, 1);
    CU_ASSERT_EQUAL(sciml_darcy_sample(ctx, darcy, &rng, field, solution), SCIML_ERR_SOLVER);
    CU_ASSERT(message_has(ctx, "relative residual"));
    CU_ASSERT(message_has(ctx, "3 iterations"));
    CU_ASSERT_EQUAL(sciml_darcy_last_iterations(darcy), 3);
    CU_ASSERT(sciml_darcy_last_residual(darcy) > 1e-14);
    CU_ASSERT(sciml_darcy_last_residual(darcy) < 1.0);

    /* The interrupt flag stops PCG. */
    options.max_iterations = 0;
    sciml_darcy *interrupted = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_darcy_create(ctx, big, &options, &interrupted), SCIML_OK);
    sciml_ctx_request_interrupt(ctx);
    CU_ASSERT_EQUAL(sciml_darcy_solve(ctx, interrupted, field, NULL, solution),
                    SCIML_ERR_INTERRUPTED);
    sciml_ctx_clear_interrupt(ctx);
    CU_ASSERT_EQUAL(sciml_darcy_solve(ctx, interrupted, field, NULL, solution), SCIML_OK);
    sciml_darcy_destroy(&interrupted);
    free(field);
    free(solution);
    sciml_darcy_destroy(&darcy);
    sciml_ctx_destroy(&ctx);
}

int main(void) {
    static const sciml_test_case cases[] = {
        {"manufactured solution, banded: order 2", test_convergence_banded},
        {"manufactured solution, PCG: order 2", test_convergence_pcg},
        {"manufactured solution, harmonic mean: order 2", test_convergence_harmonic},
        {"Poisson centre value and linearity in f", test_poisson_centre_value},
        {"banded Cholesky equals PCG on 12/3 fields", test_banded_matches_pcg},
        {"maximum principle, symmetry, comparison", test_positivity_and_symmetry},
        {"cosine GRF equals its series", test_grf_cosine_series},
        {"cosine GRF mean square", test_grf_cosine_mean_square},
        {"coefficient takes two values", test_coefficient_values},
        {"subsample 421 -> 85", test_subsample},
        {"bad arguments", test_bad_arguments},
        {NULL, NULL}};
    return sciml_test_main("physics_darcy", cases);
}
