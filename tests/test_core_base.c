/* Core: status strings, error messages on the context, RNG statistics and reproducibility,
 * checked arithmetic. */
#include "sciml/core.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void test_strerror(void) {
    CU_ASSERT_STRING_EQUAL(sciml_strerror(SCIML_OK), "success");
    CU_ASSERT_STRING_EQUAL(sciml_strerror(SCIML_ERR_FORMAT), "malformed or unsupported file");
    CU_ASSERT_STRING_EQUAL(sciml_strerror((sciml_status)-999), "unknown status");
}

static void test_error_message(void) {
    sciml_ctx *ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_ctx_create(&ctx), SCIML_OK);
    CU_ASSERT_STRING_EQUAL(sciml_ctx_message(ctx), "");
    sciml_status s = sciml_error(ctx, SCIML_ERR_SHAPE, "%s: variable '%s' has %d dimensions",
                                 "a.nc", "u", 2);
    CU_ASSERT_EQUAL(s, SCIML_ERR_SHAPE);
    CU_ASSERT_EQUAL(sciml_ctx_status(ctx), SCIML_ERR_SHAPE);
    CU_ASSERT_STRING_EQUAL(sciml_ctx_message(ctx), "a.nc: variable 'u' has 2 dimensions");
    sciml_ctx_clear_error(ctx);
    CU_ASSERT_STRING_EQUAL(sciml_ctx_message(ctx), "");
    CU_ASSERT_EQUAL(sciml_ctx_set_threads(ctx, 0), SCIML_ERR_RANGE);
    CU_ASSERT_EQUAL(sciml_ctx_threads(ctx), 1);
    sciml_ctx_destroy(&ctx);
    CU_ASSERT_PTR_NULL(ctx);
    sciml_ctx_destroy(&ctx); /* NULL is accepted */
}

static void test_rng(void) {
    sciml_rng a, b;
    sciml_rng_seed(&a, 42);
    sciml_rng_seed(&b, 42);
    for (int i = 0; i < 100; i++)
        CU_ASSERT_EQUAL(sciml_rng_u64(&a), sciml_rng_u64(&b));
    /* Moments of 200000 normals and uniforms: mean within 5 standard errors. */
    const int n = 200000;
    double sum = 0, sum2 = 0, usum = 0;
    for (int i = 0; i < n; i++) {
        double z = sciml_rng_normal(&a);
        sum += z;
        sum2 += z * z;
        double u = sciml_rng_uniform(&a);
        CU_ASSERT(u >= 0.0 && u < 1.0);
        usum += u;
    }
    CU_ASSERT(fabs(sum / n) < 5.0 / sqrt(n));
    CU_ASSERT(fabs(sum2 / n - 1.0) < 5.0 * sqrt(2.0 / n));
    CU_ASSERT(fabs(usum / n - 0.5) < 5.0 * sqrt(1.0 / 12.0 / n));
    int counts[7] = {0};
    for (int i = 0; i < 70000; i++)
        counts[sciml_rng_below(&a, 7)]++;
    for (int k = 0; k < 7; k++)
        CU_ASSERT(abs(counts[k] - 10000) < 500);
    int64_t index[10];
    for (int i = 0; i < 10; i++)
        index[i] = i;
    sciml_rng_shuffle(&a, index, 10);
    int seen[10] = {0};
    for (int i = 0; i < 10; i++)
        seen[index[i]]++;
    for (int i = 0; i < 10; i++)
        CU_ASSERT_EQUAL(seen[i], 1);
}

static void test_checked_arithmetic(void) {
    int64_t r = 0;
    CU_ASSERT_EQUAL(sciml_mul_i64(3, 4, &r), 0);
    CU_ASSERT_EQUAL(r, 12);
    CU_ASSERT_EQUAL(sciml_mul_i64(INT64_MAX / 2, 3, &r), 1);
    CU_ASSERT_EQUAL(sciml_mul_i64(-1, 3, &r), 1);
    CU_ASSERT_EQUAL(sciml_add_i64(INT64_MAX, 1, &r), 1);
    size_t z = 0;
    CU_ASSERT_EQUAL(sciml_mul_size(SIZE_MAX / 2 + 1, 2, &z), 1);
    CU_ASSERT_PTR_NULL(sciml_alloc_array(SIZE_MAX / 4, 8));
}

int main(void) {
    static const sciml_test_case cases[] = {{"strerror", test_strerror},
                                            {"error message", test_error_message},
                                            {"rng", test_rng},
                                            {"checked arithmetic", test_checked_arithmetic},
                                            {NULL, NULL}};
    return sciml_test_main("core", cases);
}
