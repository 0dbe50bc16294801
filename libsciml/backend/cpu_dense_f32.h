/* The CPU backend's single-precision thin dense layer (cpu_dense_f32.c), for float32 inference
 * paths (DeepONet prediction in single precision). Private to the library. */
#ifndef SCIML_BACKEND_CPU_DENSE_F32_H
#define SCIML_BACKEND_CPU_DENSE_F32_H

#include <stdint.h>

/* C (n, columns) = act(A (n, k) B (k, columns) + bias) in float32, act ReLU when relu, else
 * identity; bias (columns) may be NULL (zero). Row-major with leading dimensions lda, ldb, ldc
 * (in floats); C must not overlap A or B; columns of C beyond `columns` are not touched.
 * For thin B (k and columns up to a few hundred, n large): an AVX-512 kernel (16 lanes, 6 x 64
 * register tiles, bias and ReLU fused into the single store) when the processor has AVX-512F,
 * else sciml_cpu_dense_f32_portable. Nothing is done when n or columns is below 1. */
void sciml_cpu_dense_f32(int64_t n, int64_t k, int64_t columns, const float *a, int64_t lda,
                         const float *b, int64_t ldb, const float *bias, int relu, float *c,
                         int64_t ldc);
/* C = A B + bias as sciml_cpu_dense_f32 (no activation) for an A with many exact zeros (ReLU
 * outputs): per row of A only the rows of B at its nonzeros are accumulated, in the same order,
 * so the sums equal the dense kernel's but for the sign of a zero sum. AVX-512 when the
 * processor has it and k <= 1024; the dense kernel otherwise. */
void sciml_cpu_dense_f32_sparse(int64_t n, int64_t k, int64_t columns, const float *a, int64_t lda,
                                const float *b, int64_t ldb, const float *bias, float *c,
                                int64_t ldc);
/* The same product by plain loops (float sums in order of k): the fallback on processors
 * without AVX-512F, exposed so that tests can run it on any machine. */
void sciml_cpu_dense_f32_portable(int64_t n, int64_t k, int64_t columns, const float *a,
                                  int64_t lda, const float *b, int64_t ldb, const float *bias,
                                  int relu, float *c, int64_t ldc);

#endif /* SCIML_BACKEND_CPU_DENSE_F32_H */
