/* Engine: accuracy of the vectorised tanh, sigmoid and exp of the CPU backend against libm
 * (tanh, exp) and a long double reference (sigmoid), over tiny, ordinary, large and negative
 * arguments, and their values at +-0, +-Inf and NaN. Bound: 1e-15 relative (about 5 ulp);
 * the implementation reaches about 2 ulp. */
#include "backend/cpu.h"
#include "testutil.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

#define SAMPLES 200000

/* Log-spaced magnitudes 1e-300 .. 1e3 with alternating signs, plus a dense linear part. */
static void make_arguments(double *x, int count) {
    sciml_rng rng;
    sciml_rng_seed(&rng, 7);
    for (int i = 0; i < count; i++) {
        double u = sciml_rng_uniform(&rng);
        double magnitude = i % 2 ? pow(10.0, -300.0 + 303.0 * u) : 25.0 * u;
        x[i] = (i / 2) % 2 ? -magnitude : magnitude;
    }
}

static void test_tanh_accuracy(void) {
    double *x = malloc(SAMPLES * sizeof *x), *y = malloc(SAMPLES * sizeof *y);
    CU_ASSERT_FATAL(x && y);
    make_arguments(x, SAMPLES);
    sciml_cpu_tanh(SAMPLES, x, y);
    double worst = 0.0;
    for (int i = 0; i < SAMPLES; i++) {
        double reference = tanh(x[i]);
        double error = reference == 0.0 ? fabs(y[i]) : fabs(y[i] - reference) / fabs(reference);
        if (error > worst)
            worst = error;
    }
    CU_ASSERT(worst < 1e-15);
    double special[] = {0.0, -0.0, INFINITY, -INFINITY, NAN, 5e-324, -1e-310, 19.0, 20.5, -800.0};
    int count = (int)(sizeof special / sizeof *special);
    sciml_cpu_tanh(count, special, y);
    CU_ASSERT(y[0] == 0.0 && !signbit(y[0]));
    CU_ASSERT(y[1] == 0.0 && signbit(y[1]));
    CU_ASSERT_EQUAL(y[2], 1.0);
    CU_ASSERT_EQUAL(y[3], -1.0);
    CU_ASSERT(isnan(y[4]));
    CU_ASSERT_EQUAL(y[5], 5e-324);
    CU_ASSERT_EQUAL(y[6], -1e-310);
    CU_ASSERT_EQUAL(y[7], tanh(19.0));
    CU_ASSERT_EQUAL(y[8], 1.0);
    CU_ASSERT_EQUAL(y[9], -1.0);
    free(x);
    free(y);
}

static void test_exp_accuracy(void) {
    double *x = malloc(SAMPLES * sizeof *x), *y = malloc(SAMPLES * sizeof *y);
    CU_ASSERT_FATAL(x && y);
    sciml_rng rng;
    sciml_rng_seed(&rng, 8);
    for (int i = 0; i < SAMPLES; i++)
        x[i] = -700.0 + 1409.0 * sciml_rng_uniform(&rng);
    x[0] = 0.0;
    x[1] = 1e-20;
    x[2] = -1e-20;
    sciml_cpu_exp(SAMPLES, x, y);
    double worst = 0.0;
    for (int i = 0; i < SAMPLES; i++) {
        double reference = exp(x[i]);
        double error = fabs(y[i] - reference) / reference;
        if (error > worst)
            worst = error;
    }
    CU_ASSERT(worst < 1e-15);
    double special[] = {INFINITY, -INFINITY, NAN, 710.0, -746.0, -720.0};
    sciml_cpu_exp(6, special, y);
    CU_ASSERT(isinf(y[0]) && y[0] > 0);
    CU_ASSERT_EQUAL(y[1], 0.0);
    CU_ASSERT(isnan(y[2]));
    CU_ASSERT(isinf(y[3]));
    CU_ASSERT_EQUAL(y[4], 0.0);
    /* subnormal result: within one subnormal step (4.9e-324) of libm */
    CU_ASSERT(fabs(y[5] - exp(-720.0)) <= 1e-323);
    free(x);
    free(y);
}

static void test_sigmoid_accuracy(void) {
    double *x = malloc(SAMPLES * sizeof *x), *y = malloc(SAMPLES * sizeof *y);
    CU_ASSERT_FATAL(x && y);
    make_arguments(x, SAMPLES);
    for (int i = 0; i < SAMPLES; i++)
        x[i] = fmod(x[i], 700.0);
    sciml_cpu_sigmoid(SAMPLES, x, y);
    double worst = 0.0;
    for (int i = 0; i < SAMPLES; i++) {
        long double reference = 1.0L / (1.0L + expl(-(long double)x[i]));
        double error = (double)(fabsl((long double)y[i] - reference) / reference);
        if (error > worst)
            worst = error;
    }
    CU_ASSERT(worst < 1e-15);
    double special[] = {INFINITY, -INFINITY, NAN, 0.0};
    sciml_cpu_sigmoid(4, special, y);
    CU_ASSERT_EQUAL(y[0], 1.0);
    CU_ASSERT_EQUAL(y[1], 0.0);
    CU_ASSERT(isnan(y[2]));
    CU_ASSERT_EQUAL(y[3], 0.5);
    free(x);
    free(y);
}

/* Phi against a long double reference (x86: 64-bit significand) over the whole range, relative
 * error in both tails; GELU and its derivative against the same reference. */
static long double reference_cdf(double x) {
    return 0.5L * erfcl(-(long double)x / sqrtl(2.0L));
}

static void test_gelu_accuracy(void) {
    double *x = malloc(SAMPLES * sizeof *x), *y = malloc(SAMPLES * sizeof *y);
    double *g = malloc(SAMPLES * sizeof *g), *ones = malloc(SAMPLES * sizeof *ones);
    CU_ASSERT_FATAL(x && y && g && ones);
    sciml_rng rng;
    sciml_rng_seed(&rng, 9);
    for (int i = 0; i < SAMPLES; i++) {
        double u = sciml_rng_uniform(&rng);
        x[i] = i % 3 == 0   ? -38.0 + 76.0 * u
               : i % 3 == 1 ? -6.0 + 12.0 * u
                            : (i % 2 ? -1 : 1) * pow(10.0, -300.0 + 300.0 * u);
        ones[i] = 1.0;
    }
    sciml_cpu_normal_cdf(SAMPLES, x, y);
    double worst_cdf = 0.0;
    for (int i = 0; i < SAMPLES; i++) {
        long double reference = reference_cdf(x[i]);
        /* relative, down to the subnormal range (x < -37.5), where ulps are absolute */
        double error = (double)(fabsl((long double)y[i] - reference) / fmaxl(reference, DBL_MIN));
        worst_cdf = error > worst_cdf ? error : worst_cdf;
    }
    CU_ASSERT(worst_cdf < 2e-15);
    sciml_cpu_gelu(SAMPLES, x, y);
    sciml_cpu_gelu_backward(SAMPLES, x, y, ones, g, 0);
    double worst_gelu = 0.0, worst_slope = 0.0;
    for (int i = 0; i < SAMPLES; i++) {
        long double cdf = reference_cdf(x[i]);
        long double density = expl(-0.5L * (long double)x[i] * x[i]) / sqrtl(2.0L * acosl(-1.0L));
        long double gelu = x[i] * cdf, slope = cdf + x[i] * density;
        /* x Phi(x) inherits the absolute ulps of a subnormal Phi (x < -37.5): floor 40 DBL_MIN */
        double e1 = (double)(fabsl((long double)y[i] - gelu) / fmaxl(fabsl(gelu), 40 * DBL_MIN));
        /* Phi + x phi cancels to zero near x = -0.75: error relative to Phi there */
        long double scale = fmaxl(fabsl(slope), fmaxl(cdf, 40 * DBL_MIN));
        double e2 = (double)(fabsl((long double)g[i] - slope) / scale);
        worst_gelu = e1 > worst_gelu ? e1 : worst_gelu;
        worst_slope = e2 > worst_slope ? e2 : worst_slope;
    }
    CU_ASSERT(worst_gelu < 2e-15);
    CU_ASSERT(worst_slope < 2e-15);
    /* accumulate adds */
    sciml_cpu_gelu_backward(SAMPLES, x, y, ones, g, 1);
    double once;
    sciml_cpu_gelu_backward(1, x, y, ones, &once, 0);
    CU_ASSERT_EQUAL(g[0], 2.0 * once);
    double special[] = {0.0, INFINITY, -INFINITY, NAN, -50.0, 50.0};
    double out[6], slope[6], unit[6] = {1, 1, 1, 1, 1, 1};
    sciml_cpu_gelu(6, special, out);
    sciml_cpu_gelu_backward(6, special, out, unit, slope, 0);
    CU_ASSERT_EQUAL(out[0], 0.0);
    CU_ASSERT_EQUAL(slope[0], 0.5);
    CU_ASSERT(isinf(out[1]) && out[1] > 0);
    CU_ASSERT_EQUAL(slope[1], 1.0);
    CU_ASSERT_EQUAL(out[2], 0.0);
    CU_ASSERT_EQUAL(slope[2], 0.0);
    CU_ASSERT(isnan(out[3]) && isnan(slope[3]));
    CU_ASSERT_EQUAL(out[4], 0.0);
    CU_ASSERT_EQUAL(out[5], 50.0);
    CU_ASSERT_EQUAL(slope[5], 1.0);
    printf("\n    Phi %.2e, GELU %.2e, GELU' %.2e worst relative error ", worst_cdf, worst_gelu,
           worst_slope);
    free(x);
    free(y);
    free(g);
    free(ones);
}

int main(void) {
    static const sciml_test_case cases[] = {
        {"tanh accuracy", test_tanh_accuracy},
        {"exp accuracy", test_exp_accuracy},
        {"sigmoid accuracy", test_sigmoid_accuracy},
        {"gelu accuracy", test_gelu_accuracy},
        {NULL, NULL},
    };
    return sciml_test_main("engine_math", cases);
}
