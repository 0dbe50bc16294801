/* Operator-learning data (sciml/operator_data.h): the cumulative quadrature is exact for
 * polynomials of its degree and converges at its order; the antiderivative data set has the
 * variance of integral_0^1 v that the RBF kernel implies. */
#include <math.h>
#include <stdlib.h>

#include "sciml/gen.h"
#include "sciml/operator_data.h"
#include "testutil.h"

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

int main(void) {
    static const sciml_test_case cases[] = {
        {"quadrature exact for polynomials", test_quadrature_exact_for_polynomials},
        {"quadrature convergence order", test_quadrature_convergence_order},
        {"quadrature arguments", test_quadrature_arguments},
        {"antiderivative statistics", test_antiderivative_statistics},
        {NULL, NULL},
    };
    return sciml_test_main("physics_operator", cases);
}
