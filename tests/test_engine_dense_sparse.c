/* sciml_cpu_dense_sparse (libsciml/backend/cpu_dense_sparse.c): C = A B + bias in float64 for an
 * A of ReLU outputs (about half zeros, one row all zero) against the dense kernel
 * sciml_cpu_dense: equal values for more than one column (the same multiply-adds in the same
 * order, less those by zero), within 1e-13 of the sum of |terms| for one column (the dense
 * kernel's dot-product path sums in another order); over k around the 8-lane packing and
 * beyond the sparse limit (1024), columns around the vectors, the ymm tail (up to 4 columns)
 * and the 128-column blocks; padded leading dimensions whose padding must survive. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "backend/cpu.h"
#include "backend/cpu_dense_sparse.h"
#include "sciml/core.h"
#include "testutil.h"

static int check_sparse(sciml_rng *rng, int64_t n, int64_t k, int64_t columns, int with_bias) {
    const int64_t lda = k + 1, ldb = columns + 3, ldc = columns + 2;
    double *a = malloc((size_t)(n * lda + 1) * sizeof(double));
    double *b = malloc((size_t)(k * ldb + 1) * sizeof(double));
    double *bias = malloc((size_t)columns * sizeof(double));
    double *dense = malloc((size_t)(n * ldc) * sizeof(double));
    double *sparse = malloc((size_t)(n * ldc) * sizeof(double));
    for (int64_t i = 0; i < n * lda; i++) {
        const double x = sciml_rng_normal(rng);
        a[i] = i / lda == 2 ? 0.0 : x > 0.0 ? x : 0.0; /* row 2 all zero */
    }
    for (int64_t i = 0; i < k * ldb; i++)
        b[i] = sciml_rng_normal(rng);
    for (int64_t j = 0; j < columns; j++)
        bias[j] = sciml_rng_normal(rng);
    for (int64_t i = 0; i < n * ldc; i++)
        dense[i] = sparse[i] = 12345.0;
    sciml_cpu_dense(n, k, columns, a, lda, b, ldb, with_bias ? bias : NULL, 0, dense, ldc);
    sciml_cpu_dense_sparse(n, k, columns, a, lda, b, ldb, with_bias ? bias : NULL, sparse, ldc);
    int64_t differ = 0;
    for (int64_t r = 0; r < n; r++)
        for (int64_t j = 0; j < ldc; j++) {
            const double x = dense[r * ldc + j], y = sparse[r * ldc + j];
            if (columns > 1 || j >= columns) {
                differ += x != y;
                continue;
            }
            double magnitude = with_bias ? fabs(bias[0]) : 0.0;
            for (int64_t p = 0; p < k; p++)
                magnitude += fabs(a[r * lda + p] * b[p * ldb]);
            differ += fabs(x - y) > 1e-13 * (1.0 + magnitude);
        }
    if (differ)
        fprintf(stderr, "n %lld k %lld columns %lld bias %d: %lld values differ\n", (long long)n,
                (long long)k, (long long)columns, with_bias, (long long)differ);
    free(a);
    free(b);
    free(bias);
    free(dense);
    free(sparse);
    return differ == 0;
}

static void test_sparse_equals_dense(void) {
    sciml_rng rng;
    sciml_rng_seed(&rng, 17);
    const int64_t rows[] = {1, 3, 7, 13};
    const int64_t depths[] = {0, 1, 7, 8, 9, 40, 100, 300, 1030};
    const int64_t widths[] = {1, 2, 4, 5, 8, 9, 12, 40, 100, 127, 128, 129, 132, 200};
    int ok = 1;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        for (size_t p = 0; p < sizeof(depths) / sizeof(depths[0]); p++)
            for (size_t j = 0; j < sizeof(widths) / sizeof(widths[0]); j++)
                ok &= check_sparse(&rng, rows[i], depths[p], widths[j], (int)((i + p + j) % 2));
    CU_ASSERT(ok);
}

static void test_sparse_empty(void) {
    double a[4] = {1, 0, 3, 4}, b[4] = {1, 0, 0, 1}, c[4] = {7, 7, 7, 7};
    sciml_cpu_dense_sparse(0, 2, 2, a, 2, b, 2, NULL, c, 2); /* no rows: nothing written */
    CU_ASSERT_EQUAL(c[0], 7.0);
    sciml_cpu_dense_sparse(2, 2, 0, a, 2, b, 2, NULL, c, 2); /* no columns */
    CU_ASSERT_EQUAL(c[3], 7.0);
    sciml_cpu_dense_sparse(2, 2, 2, a, 2, b, 2, NULL, c, 2); /* the identity: C = A */
    CU_ASSERT(c[0] == 1.0 && c[1] == 0.0 && c[2] == 3.0 && c[3] == 4.0);
}

int main(void) {
    static const sciml_test_case cases[] = {
        {"sparse-row kernel equals the dense one", test_sparse_equals_dense},
        {"sparse-row kernel with empty shapes", test_sparse_empty},
        {NULL, NULL},
    };
    return sciml_test_main("engine_dense_sparse", cases);
}
