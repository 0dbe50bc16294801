/* Engine: accuracy of the vectorised tanh, sigmoid and exp of the CPU backend against libm
 * (tanh, exp) and a long double reference (sigmoid), over tiny, ordinary, large and negative
 * arguments, and their values at +-0, +-Inf and NaN. Bound: 1e-15 relative (about 5 ulp);
 * the implementation reaches about 2 ulp. */
#include "backend/cpu.h"
#include "testutil.h"

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

int main(void) {
    static const sciml_test_case cases[] = {
        {"tanh accuracy", test_tanh_accuracy},
        {"exp accuracy", test_exp_accuracy},
        {"sigmoid accuracy", test_sigmoid_accuracy},
        {NULL, NULL},
    };
    return sciml_test_main("engine_math", cases);
}
