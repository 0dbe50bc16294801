/* sciml_cpu_dense (libsciml/backend/cpu_dense.c): C = act(A B + bias) against plain loops on
 * every tile path of the kernel: row counts around the 4-row block, column counts around the
 * 8-wide vectors and the 40-wide blocks (masked tails), padded leading dimensions, with and
 * without bias and ReLU; and the columns of C beyond `columns` are left alone. The reduction
 * C += A^T B (sciml_cpu_dense_reduce) likewise. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "backend/cpu.h"
#include "sciml/core.h"
#include "testutil.h"

static void check_shape(sciml_rng *rng, int64_t n, int64_t k, int64_t columns, int with_bias,
                        int relu) {
    const int64_t lda = k + 3, ldb = columns + 5, ldc = columns + 2;
    double *a = malloc((size_t)(n * lda) * sizeof(double));
    double *b = malloc((size_t)(k * ldb) * sizeof(double));
    double *bias = malloc((size_t)columns * sizeof(double));
    double *c = malloc((size_t)(n * ldc) * sizeof(double));
    for (int64_t i = 0; i < n * lda; i++)
        a[i] = sciml_rng_normal(rng);
    for (int64_t i = 0; i < k * ldb; i++)
        b[i] = sciml_rng_normal(rng);
    for (int64_t j = 0; j < columns; j++)
        bias[j] = sciml_rng_normal(rng);
    for (int64_t i = 0; i < n * ldc; i++)
        c[i] = 12345.0; /* the padding must survive */
    sciml_cpu_dense(n, k, columns, a, lda, b, ldb, with_bias ? bias : NULL, relu, c, ldc);
    double worst = 0.0;
    int padding_kept = 1;
    for (int64_t r = 0; r < n; r++) {
        for (int64_t j = 0; j < columns; j++) {
            double sum = with_bias ? bias[j] : 0.0;
            for (int64_t p = 0; p < k; p++)
                sum += a[r * lda + p] * b[p * ldb + j];
            if (relu && sum < 0.0)
                sum = 0.0;
            worst = fmax(worst, fabs(c[r * ldc + j] - sum) / (1.0 + fabs(sum)));
        }
        for (int64_t j = columns; j < ldc; j++)
            padding_kept &= c[r * ldc + j] == 12345.0;
    }
    if (worst > 1e-13 || !padding_kept)
        fprintf(stderr, "n %lld k %lld columns %lld bias %d relu %d: error %g, padding %d\n",
                (long long)n, (long long)k, (long long)columns, with_bias, relu, worst,
                padding_kept);
    CU_ASSERT(worst <= 1e-13);
    CU_ASSERT(padding_kept);
    free(a);
    free(b);
    free(bias);
    free(c);
}

static void test_dense_against_loops(void) {
    sciml_rng rng;
    sciml_rng_seed(&rng, 42);
    const int64_t rows[] = {1, 3, 4, 5, 9, 64};
    const int64_t depths[] = {1, 7, 41, 100};
    const int64_t widths[] = {1, 7, 8, 9, 20, 40, 41, 87, 100};
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        for (size_t p = 0; p < sizeof(depths) / sizeof(depths[0]); p++)
            for (size_t j = 0; j < sizeof(widths) / sizeof(widths[0]); j++)
                check_shape(&rng, rows[i], depths[p], widths[j], (int)((i + j) % 2),
                            (int)((p + j) % 2));
}

/* C += A^T B against plain loops, over row counts around the 64-row blocks, C rows around the
 * 4-row tiles and columns around the vector widths, with padded leading dimensions. */
static void check_reduce(sciml_rng *rng, int64_t n, int64_t rows, int64_t columns) {
    const int64_t lda = rows + 3, ldb = columns + 5, ldc = columns + 2;
    double *a = malloc((size_t)(n * lda) * sizeof(double));
    double *b = malloc((size_t)(n * ldb) * sizeof(double));
    double *c = malloc((size_t)(rows * ldc) * sizeof(double));
    double *start = malloc((size_t)(rows * ldc) * sizeof(double));
    for (int64_t i = 0; i < n * lda; i++)
        a[i] = sciml_rng_normal(rng);
    for (int64_t i = 0; i < n * ldb; i++)
        b[i] = sciml_rng_normal(rng);
    for (int64_t i = 0; i < rows * ldc; i++)
        c[i] = start[i] = i % ldc < columns ? sciml_rng_normal(rng) : 12345.0;
    sciml_cpu_dense_reduce(n, rows, columns, a, lda, b, ldb, c, ldc);
    double worst = 0.0;
    int padding_kept = 1;
    for (int64_t r = 0; r < rows; r++) {
        for (int64_t j = 0; j < columns; j++) {
            double sum = start[r * ldc + j], size = fabs(sum);
            for (int64_t f = 0; f < n; f++) {
                sum += a[f * lda + r] * b[f * ldb + j];
                size += fabs(a[f * lda + r] * b[f * ldb + j]);
            }
            worst = fmax(worst, fabs(c[r * ldc + j] - sum) / (1.0 + size));
        }
        for (int64_t j = columns; j < ldc; j++)
            padding_kept &= c[r * ldc + j] == 12345.0;
    }
    if (worst > 1e-13 || !padding_kept)
        fprintf(stderr, "reduce n %lld rows %lld columns %lld: error %g, padding %d\n",
                (long long)n, (long long)rows, (long long)columns, worst, padding_kept);
    CU_ASSERT(worst <= 1e-13);
    CU_ASSERT(padding_kept);
    free(a);
    free(b);
    free(c);
    free(start);
}

static void test_reduce_against_loops(void) {
    sciml_rng rng;
    sciml_rng_seed(&rng, 43);
    const int64_t counts[] = {1, 5, 63, 64, 65, 200};
    const int64_t rows[] = {1, 3, 4, 5, 100};
    const int64_t widths[] = {1, 8, 9, 40, 41, 87};
    for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
        for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++)
            for (size_t j = 0; j < sizeof(widths) / sizeof(widths[0]); j++)
                check_reduce(&rng, counts[i], rows[r], widths[j]);
    double a[2] = {1, 2}, b[2] = {3, 4}, c[1] = {7};
    sciml_cpu_dense_reduce(0, 1, 1, a, 1, b, 1, c, 1); /* no rows to sum: C unchanged */
    CU_ASSERT_EQUAL(c[0], 7.0);
}

static void test_dense_empty(void) {
    double a[4] = {1, 2, 3, 4}, b[4] = {1, 0, 0, 1}, c[4] = {7, 7, 7, 7};
    sciml_cpu_dense(0, 2, 2, a, 2, b, 2, NULL, 0, c, 2); /* no rows: nothing written */
    CU_ASSERT_EQUAL(c[0], 7.0);
    sciml_cpu_dense(2, 2, 0, a, 2, b, 2, NULL, 0, c, 2); /* no columns */
    CU_ASSERT_EQUAL(c[3], 7.0);
}

int main(void) {
    static const sciml_test_case cases[] = {
        {"dense kernel against plain loops", test_dense_against_loops},
        {"dense kernel with empty shapes", test_dense_empty},
        {"reduction kernel against plain loops", test_reduce_against_loops},
        {NULL, NULL},
    };
    return sciml_test_main("engine_dense", cases);
}
