/* The CPU backend's float64 dense layer for inputs with many exact zeros (cpu_dense_sparse.c).
 * Private to the library. */
#ifndef SCIML_BACKEND_CPU_DENSE_SPARSE_H
#define SCIML_BACKEND_CPU_DENSE_SPARSE_H

#include <stdint.h>

/* C (n, columns) = A (n, k) B (k, columns) + bias (columns, or NULL for zero), row-major with
 * leading dimensions lda, ldb, ldc, for an A with many exact zeros (ReLU outputs): per row of A
 * only the rows of B at its nonzeros are accumulated, in order, so the sums equal those of
 * sciml_cpu_dense (relu 0) on processors with AVX-512F but for the sign of a zero sum (for
 * columns > 1: one column takes a dot-product path there). C must not overlap A or B; columns
 * of C beyond `columns` are not touched. AVX-512 when the processor has it and k <= 1024;
 * sciml_cpu_dense otherwise. Nothing is done when n or columns is below 1. */
void sciml_cpu_dense_sparse(int64_t n, int64_t k, int64_t columns, const double *a, int64_t lda,
                            const double *b, int64_t ldb, const double *bias, double *c,
                            int64_t ldc);

#endif /* SCIML_BACKEND_CPU_DENSE_SPARSE_H */
