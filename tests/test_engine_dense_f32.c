/* sciml_cpu_dense_f32 (libsciml/backend/cpu_dense_f32.c): C = act(A B + bias) in float32
 * against a plain loop summing in float64, on every tile path of the kernel: row counts around
 * the 6-row block, column counts around the 16-lane vectors and the 64-wide blocks (masked
 * tails, uneven splits), k of one pass and of several (k > 256), k = 0, padded leading
 * dimensions, with and without bias and ReLU; and the columns of C beyond `columns` are left
 * alone. Each result must lie within the float32 error bound of its sum,
 *
 *   |c - exact| <= (k + 2) u (|bias| + sum_p |a_p b_p|),   u = 2^-24,
 *
 * which a wrong index, mask or tail breaks by orders of magnitude. The dispatching kernel (the
 * AVX-512 one where the processor has it, with ymm half vectors for tails of up to 8 columns
 * where it has AVX-512VL) and the portable loops are both checked; the sparse-row kernel must
 * equal the dense one exactly. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "backend/cpu_dense_f32.h"
#include "sciml/core.h"
#include "testutil.h"

typedef void (*dense_f32_fn)(int64_t n, int64_t k, int64_t columns, const float *a, int64_t lda,
                             const float *b, int64_t ldb, const float *bias, int relu, float *c,
                             int64_t ldc);

/* 1 when every result is within the bound and the padding of C is untouched. */
static int check_shape(dense_f32_fn dense, sciml_rng *rng, int64_t n, int64_t k, int64_t columns,
                       int with_bias, int relu) {
    const int64_t lda = k + 3, ldb = columns + 5, ldc = columns + 2;
    float *a = malloc((size_t)(n * lda + 1) * sizeof(float));
    float *b = malloc((size_t)(k * ldb + 1) * sizeof(float));
    float *bias = malloc((size_t)columns * sizeof(float));
    float *c = malloc((size_t)(n * ldc) * sizeof(float));
    for (int64_t i = 0; i < n * lda; i++)
        a[i] = (float)sciml_rng_normal(rng);
    for (int64_t i = 0; i < k * ldb; i++)
        b[i] = (float)sciml_rng_normal(rng);
    for (int64_t j = 0; j < columns; j++)
        bias[j] = (float)sciml_rng_normal(rng);
    for (int64_t i = 0; i < n * ldc; i++)
        c[i] = 12345.0f; /* the padding must survive */
    dense(n, k, columns, a, lda, b, ldb, with_bias ? bias : NULL, relu, c, ldc);
    const double unit = ldexp(1.0, -24);
    double worst = 0.0; /* error / bound */
    int padding_kept = 1;
    for (int64_t r = 0; r < n; r++) {
        for (int64_t j = 0; j < columns; j++) {
            double sum = with_bias ? bias[j] : 0.0, magnitude = fabs(sum);
            for (int64_t p = 0; p < k; p++) {
                sum += (double)a[r * lda + p] * (double)b[p * ldb + j];
                magnitude += fabs((double)a[r * lda + p] * (double)b[p * ldb + j]);
            }
            if (relu && sum < 0.0)
                sum = 0.0;
            const double bound = (double)(k + 2) * unit * magnitude + 1e-30;
            worst = fmax(worst, fabs((double)c[r * ldc + j] - sum) / bound);
        }
        for (int64_t j = columns; j < ldc; j++)
            padding_kept &= c[r * ldc + j] == 12345.0f;
    }
    const int ok = worst <= 1.0 && padding_kept;
    if (!ok)
        fprintf(stderr,
                "n %lld k %lld columns %lld bias %d relu %d: error %g of the bound, "
                "padding %d\n",
                (long long)n, (long long)k, (long long)columns, with_bias, relu, worst,
                padding_kept);
    free(a);
    free(b);
    free(bias);
    free(c);
    return ok;
}

static int check_all(dense_f32_fn dense) {
    sciml_rng rng;
    sciml_rng_seed(&rng, 42);
    const int64_t rows[] = {1, 5, 6, 7, 13, 64};
    const int64_t depths[] = {0, 1, 7, 40, 100, 300};
    const int64_t widths[] = {1, 7, 15, 16, 17, 40, 63, 64, 65, 100, 129};
    int ok = 1;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        for (size_t p = 0; p < sizeof(depths) / sizeof(depths[0]); p++)
            for (size_t j = 0; j < sizeof(widths) / sizeof(widths[0]); j++)
                ok &= check_shape(dense, &rng, rows[i], depths[p], widths[j], (int)((i + j) % 2),
                                  (int)((p + j) % 2));
    return ok;
}

static void test_dense_f32_against_loops(void) {
    CU_ASSERT(check_all(sciml_cpu_dense_f32));
}

static void test_dense_f32_portable_against_loops(void) {
    CU_ASSERT(check_all(sciml_cpu_dense_f32_portable));
}

/* A kernel with one wrong tail must fail the check (the test can fail). */
static void broken_dense(int64_t n, int64_t k, int64_t columns, const float *a, int64_t lda,
                         const float *b, int64_t ldb, const float *bias, int relu, float *c,
                         int64_t ldc) {
    sciml_cpu_dense_f32(n, k, columns, a, lda, b, ldb, bias, relu, c, ldc);
    if (columns > 16 && k > 0)
        c[(n - 1) * ldc + columns - 1] += 1e-3f * (1.0f + c[(n - 1) * ldc + columns - 1]);
}

static void test_dense_f32_detects_a_broken_kernel(void) {
    sciml_rng rng;
    sciml_rng_seed(&rng, 3);
    CU_ASSERT(!check_shape(broken_dense, &rng, 7, 41, 40, 1, 0));
}

/* The sparse-row kernel on an A of ReLU outputs (about half zeros, rows of all zeros too)
 * equals the dense kernel (the same multiply-adds in the same order, less those by zero), over
 * k around the 16-lane packing and beyond the sparse limit (1024), columns around the vectors
 * and the 128-column blocks; the padding of C is kept. */
static int check_sparse(sciml_rng *rng, int64_t n, int64_t k, int64_t columns, int with_bias) {
    const int64_t lda = k + 1, ldb = columns + 3, ldc = columns + 2;
    float *a = malloc((size_t)(n * lda + 1) * sizeof(float));
    float *b = malloc((size_t)(k * ldb + 1) * sizeof(float));
    float *bias = malloc((size_t)columns * sizeof(float));
    float *dense = malloc((size_t)(n * ldc) * sizeof(float));
    float *sparse = malloc((size_t)(n * ldc) * sizeof(float));
    for (int64_t i = 0; i < n * lda; i++) {
        const float x = (float)sciml_rng_normal(rng);
        a[i] = i / lda == 2 ? 0.0f : x > 0.0f ? x : 0.0f; /* row 2 all zero */
    }
    for (int64_t i = 0; i < k * ldb; i++)
        b[i] = (float)sciml_rng_normal(rng);
    for (int64_t j = 0; j < columns; j++)
        bias[j] = (float)sciml_rng_normal(rng);
    for (int64_t i = 0; i < n * ldc; i++)
        dense[i] = sparse[i] = 12345.0f;
    sciml_cpu_dense_f32(n, k, columns, a, lda, b, ldb, with_bias ? bias : NULL, 0, dense, ldc);
    sciml_cpu_dense_f32_sparse(n, k, columns, a, lda, b, ldb, with_bias ? bias : NULL, sparse, ldc);
    int64_t differ = 0;
    for (int64_t i = 0; i < n * ldc; i++)
        differ += dense[i] != sparse[i];
    if (differ)
        fprintf(stderr, "sparse: n %lld k %lld columns %lld bias %d: %lld values differ\n",
                (long long)n, (long long)k, (long long)columns, with_bias, (long long)differ);
    free(a);
    free(b);
    free(bias);
    free(dense);
    free(sparse);
    return differ == 0;
}

static void test_dense_f32_sparse_rows(void) {
    sciml_rng rng;
    sciml_rng_seed(&rng, 11);
    const int64_t rows[] = {1, 3, 7, 13};
    const int64_t depths[] = {0, 1, 15, 16, 17, 40, 100, 300, 1030};
    const int64_t widths[] = {1, 8, 9, 16, 17, 40, 100, 127, 128, 129, 200};
    int ok = 1;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        for (size_t p = 0; p < sizeof(depths) / sizeof(depths[0]); p++)
            for (size_t j = 0; j < sizeof(widths) / sizeof(widths[0]); j++)
                ok &= check_sparse(&rng, rows[i], depths[p], widths[j], (int)((i + p + j) % 2));
    CU_ASSERT(ok);
}

static void test_dense_f32_empty(void) {
    float a[4] = {1, 2, 3, 4}, b[4] = {1, 0, 0, 1}, c[4] = {7, 7, 7, 7};
    sciml_cpu_dense_f32(0, 2, 2, a, 2, b, 2, NULL, 0, c, 2); /* no rows: nothing written */
    CU_ASSERT_EQUAL(c[0], 7.0f);
    sciml_cpu_dense_f32(2, 2, 0, a, 2, b, 2, NULL, 0, c, 2); /* no columns */
    CU_ASSERT_EQUAL(c[3], 7.0f);
}

int main(void) {
    static const sciml_test_case cases[] = {
        {"float32 dense kernel against plain loops", test_dense_f32_against_loops},
        {"float32 portable loops against plain loops", test_dense_f32_portable_against_loops},
        {"float32 check rejects a broken kernel", test_dense_f32_detects_a_broken_kernel},
        {"float32 dense kernel with empty shapes", test_dense_f32_empty},
        {"float32 sparse-row kernel equals the dense one", test_dense_f32_sparse_rows},
        {NULL, NULL},
    };
    return sciml_test_main("engine_dense_f32", cases);
}
