/* sciml_cpu_dense (libsciml/backend/cpu_dense.c): C = act(A B + bias) against plain loops on
 * every tile path of the kernel: row counts around the 6-row block, column counts around the
 * 8-wide vectors and the 32-wide blocks (masked tails, uneven splits), padded leading dimensions,
 * with and without bias and ReLU; and the columns of C beyond `columns` are left alone. The sums of
 * products of sciml_cpu_dense_terms (start from C, GELU, k cut into passes) the same way, and the
 * reduction C += A^T B (sciml_cpu_dense_reduce). */
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
    const int64_t rows[] = {1, 3, 5, 6, 7, 13, 64};
    const int64_t depths[] = {1, 7, 41, 100};
    const int64_t widths[] = {1, 7, 8, 9, 20, 32, 33, 40, 41, 87, 100, 128};
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

/* sciml_cpu_dense_terms: two products, a start from C and/or the bias, each activation, and a
 * long k (several passes) against plain loops; GELU through sciml_cpu_gelu one value at a
 * time. */
static void check_terms(sciml_rng *rng, int64_t n, int64_t columns, int64_t k1, int64_t k2,
                        int accumulate, int with_bias, sciml_cpu_activation activation) {
    const int64_t lda1 = k1 + 1, lda2 = k2 + 2, ldb1 = columns + 3, ldb2 = columns,
                  ldc = columns + 1;
    double *a1 = malloc((size_t)(n * lda1) * sizeof(double));
    double *a2 = malloc((size_t)(n * lda2 + 1) * sizeof(double));
    double *b1 = malloc((size_t)(k1 * ldb1) * sizeof(double));
    double *b2 = malloc((size_t)(k2 * ldb2 + 1) * sizeof(double));
    double *bias = malloc((size_t)columns * sizeof(double));
    double *c = malloc((size_t)(n * ldc) * sizeof(double));
    double *start = malloc((size_t)(n * ldc) * sizeof(double));
    CU_ASSERT_FATAL(a1 && a2 && b1 && b2 && bias && c && start);
    for (int64_t i = 0; i < n * lda1; i++)
        a1[i] = sciml_rng_normal(rng);
    for (int64_t i = 0; i < n * lda2; i++)
        a2[i] = sciml_rng_normal(rng) / sqrt((double)k2 + 1.0);
    for (int64_t i = 0; i < k1 * ldb1; i++)
        b1[i] = sciml_rng_normal(rng) / sqrt((double)k1);
    for (int64_t i = 0; i < k2 * ldb2; i++)
        b2[i] = sciml_rng_normal(rng);
    for (int64_t j = 0; j < columns; j++)
        bias[j] = sciml_rng_normal(rng);
    for (int64_t i = 0; i < n * ldc; i++)
        c[i] = start[i] = (i % ldc) < columns ? sciml_rng_normal(rng) : 12345.0;
    const sciml_cpu_term terms[2] = {{k1, a1, lda1, b1, ldb1}, {k2, a2, lda2, b2, ldb2}};
    sciml_cpu_dense_terms(n, columns, 2, terms, with_bias ? bias : NULL, accumulate, activation, c,
                          ldc);
    double worst = 0.0;
    int padding_kept = 1;
    for (int64_t r = 0; r < n; r++) {
        for (int64_t j = 0; j < columns; j++) {
            double sum = (with_bias ? bias[j] : 0.0) + (accumulate ? start[r * ldc + j] : 0.0);
            for (int64_t p = 0; p < k1; p++)
                sum += a1[r * lda1 + p] * b1[p * ldb1 + j];
            for (int64_t p = 0; p < k2; p++)
                sum += a2[r * lda2 + p] * b2[p * ldb2 + j];
            double expected = sum;
            if (activation == SCIML_CPU_RELU)
                expected = sum > 0.0 ? sum : 0.0;
            else if (activation == SCIML_CPU_GELU)
                sciml_cpu_gelu(1, &sum, &expected);
            worst = fmax(worst, fabs(c[r * ldc + j] - expected) / (1.0 + fabs(expected)));
        }
        padding_kept &= c[r * ldc + columns] == 12345.0;
    }
    if (worst > 1e-13 || !padding_kept)
        fprintf(stderr, "terms n %lld columns %lld k %lld + %lld acc %d bias %d act %d: %g, %d\n",
                (long long)n, (long long)columns, (long long)k1, (long long)k2, accumulate,
                with_bias, (int)activation, worst, padding_kept);
    CU_ASSERT(worst <= 1e-13);
    CU_ASSERT(padding_kept);
    free(a1);
    free(a2);
    free(b1);
    free(b2);
    free(bias);
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

static void test_dense_terms(void) {
    sciml_rng rng;
    sciml_rng_seed(&rng, 7);
    const int64_t rows[] = {1, 5, 33};
    const int64_t widths[] = {1, 9, 41, 64};
    const int64_t depths[][2] = {{3, 0}, {64, 32}, {2, 300}, {600, 5}};
    int variant = 0;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        for (size_t j = 0; j < sizeof(widths) / sizeof(widths[0]); j++)
            for (size_t p = 0; p < sizeof(depths) / sizeof(depths[0]); p++, variant++)
                check_terms(&rng, rows[i], widths[j], depths[p][0], depths[p][1], variant % 2,
                            (variant / 2) % 2, (sciml_cpu_activation)(variant % 3));
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
        {"dense kernel: sums of products, start from C, GELU, long k", test_dense_terms},
        {NULL, NULL},
    };
    return sciml_test_main("engine_dense", cases);
}
