/* A dense layer C (n, N) = bias + A (n, k) B (k, N) in float64 for an A with many exact zeros
 * (ReLU outputs feeding a thin layer: a DeepONet's folded readout and its later hidden layers):
 * per row of A the indices and values of its nonzeros are packed (8 at a time by a compress in
 * registers) and only those rows of B are accumulated, a row of C (up to 128 columns) held in
 * up to 16 accumulators with B read as memory operands, a last vector of at most 4 columns as a
 * ymm (AVX-512VL). Per nonzero one broadcast and N / 8 loads and FMAs, where the dense kernel
 * (cpu_dense.c) spends N / 8 FMAs on every entry of A: with half the entries zero, about half
 * the multiply-adds. The same multiply-adds in the same order as the dense kernel's 6-row
 * blocks, less the ones by zero, so the sums are equal (but for the sign of a zero sum).
 * The float32 twin is in cpu_dense_f32.c. Chosen at run time when the processor has AVX-512F;
 * otherwise sciml_cpu_dense.
 */
#include "backend/cpu_dense_sparse.h"

#include "backend/cpu.h"

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#define SCIML_HAVE_AVX512_SPARSE_KERNEL 1
#endif

enum { MAX_K = 1024 }; /* longer rows of A take the dense kernel */

#ifdef SCIML_HAVE_AVX512_SPARSE_KERNEL
enum { LANES = 8, VECTORS = 16 };

/* One row of C, columns j0.. in `vectors` vectors (1..VECTORS), from the `count` packed
 * nonzeros (index, value) of a row of A; the last vector masked by `mask`, and with half 1 a ymm
 * of 4 lanes (masked by the low bits). */
__attribute__((target("avx512f,avx512vl,fma"), always_inline)) static inline void
row_block(int vectors, int half, __mmask8 mask, int64_t count, const int64_t *index,
          const double *value, const double *b, int64_t ldb, const double *bias, double *out) {
    const int whole = half ? vectors - 1 : vectors;
    const __mmask8 last = half ? (__mmask8)0xff : mask;
    __m512d accumulator[VECTORS];
    __m256d tail = _mm256_setzero_pd();
#pragma GCC unroll 16
    for (int v = 0; v < whole; v++)
        accumulator[v] =
            bias ? _mm512_maskz_loadu_pd(v == whole - 1 ? last : (__mmask8)0xff, bias + LANES * v)
                 : _mm512_setzero_pd();
    if (half && bias)
        tail = _mm256_maskz_loadu_pd(mask, bias + LANES * whole);
    for (int64_t i = 0; i < count; i++) {
        const __m512d x = _mm512_set1_pd(value[i]);
        const double *row = b + index[i] * ldb;
#pragma GCC unroll 16
        for (int v = 0; v < whole; v++)
            accumulator[v] = _mm512_fmadd_pd(
                x, _mm512_maskz_loadu_pd(v == whole - 1 ? last : (__mmask8)0xff, row + LANES * v),
                accumulator[v]);
        if (half)
            tail = _mm256_fmadd_pd(_mm512_castpd512_pd256(x),
                                   _mm256_maskz_loadu_pd(mask, row + LANES * whole), tail);
    }
#pragma GCC unroll 16
    for (int v = 0; v < whole; v++)
        _mm512_mask_storeu_pd(out + LANES * v, v == whole - 1 ? last : (__mmask8)0xff,
                              accumulator[v]);
    if (half)
        _mm256_mask_storeu_pd(out + LANES * whole, mask, tail);
}

__attribute__((target("avx512f,avx512vl,fma"))) static void
sparse_avx512(int64_t n, int64_t k, int64_t columns, const double *a, int64_t lda, const double *b,
              int64_t ldb, const double *bias, int half_vectors, double *c, int64_t ldc) {
    int64_t index[MAX_K + LANES];
    double value[MAX_K + LANES];
    const __m512i lane = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    const int64_t widest = VECTORS * LANES;
    for (int64_t r = 0; r < n; r++) {
        const double *ar = a + r * lda;
        int64_t count = 0;
        for (int64_t p0 = 0; p0 < k; p0 += LANES) { /* pack the nonzeros (NaN counts as one) */
            const __mmask8 in =
                k - p0 >= LANES ? (__mmask8)0xff : (__mmask8)((1u << (k - p0)) - 1u);
            const __m512d x = _mm512_maskz_loadu_pd(in, ar + p0);
            const __mmask8 nonzero =
                _mm512_mask_cmp_pd_mask(in, x, _mm512_setzero_pd(), _CMP_NEQ_UQ);
            const __m512i at = _mm512_add_epi64(_mm512_set1_epi64(p0), lane);
            _mm512_storeu_si512((void *)(index + count), _mm512_maskz_compress_epi64(nonzero, at));
            _mm512_storeu_pd(value + count, _mm512_maskz_compress_pd(nonzero, x));
            count += __builtin_popcount((unsigned)nonzero);
        }
        for (int64_t j0 = 0; j0 < columns; j0 += widest) {
            const int64_t width = columns - j0 < widest ? columns - j0 : widest;
            const int vectors = (int)((width + LANES - 1) / LANES);
            const int tail = (int)(width - LANES * (vectors - 1));
            const int half = half_vectors && tail <= LANES / 2;
            const __mmask8 mask = (__mmask8)((1u << tail) - 1u);
            const double *biasj = bias ? bias + j0 : NULL;
            const double *bj = b + j0;
            double *out = c + r * ldc + j0;
#define ROW_CASES(v)                                                                               \
    case 2 * (v):                                                                                  \
        row_block(v, 0, mask, count, index, value, bj, ldb, biasj, out);                           \
        break;                                                                                     \
    case 2 * (v) + 1:                                                                              \
        row_block(v, 1, mask, count, index, value, bj, ldb, biasj, out);                           \
        break;
            switch (2 * vectors + half) { /* constant arguments: each case its own loop */
                /* clang-format off */
            ROW_CASES(1)
            ROW_CASES(2)
            ROW_CASES(3)
            ROW_CASES(4)
            ROW_CASES(5)
            ROW_CASES(6)
            ROW_CASES(7)
            ROW_CASES(8)
            ROW_CASES(9)
            ROW_CASES(10)
            ROW_CASES(11)
            ROW_CASES(12)
            ROW_CASES(13)
            ROW_CASES(14)
            ROW_CASES(15)
            /* clang-format on */
            case 2 * VECTORS + 1:
                row_block(VECTORS, 1, mask, count, index, value, bj, ldb, biasj, out);
                break;
            default:
                row_block(VECTORS, 0, mask, count, index, value, bj, ldb, biasj, out);
                break;
            }
#undef ROW_CASES
        }
    }
}
#endif

void sciml_cpu_dense_sparse(int64_t n, int64_t k, int64_t columns, const double *a, int64_t lda,
                            const double *b, int64_t ldb, const double *bias, double *c,
                            int64_t ldc) {
    if (n < 1 || columns < 1)
        return;
#ifdef SCIML_HAVE_AVX512_SPARSE_KERNEL
    if (k <= MAX_K && __builtin_cpu_supports("avx512f")) {
        sparse_avx512(n, k < 0 ? 0 : k, columns, a, lda, b, ldb, bias,
                      __builtin_cpu_supports("avx512vl"), c, ldc);
        return;
    }
#endif
    sciml_cpu_dense(n, k, columns, a, lda, b, ldb, bias, 0, c, ldc);
}
