/* A dense layer for thin weight matrices on the CPU:
 *
 *   C (n, N) = act(A (n, k) B (k, N) + bias (N)),   act = identity or ReLU,
 *
 * for the inference paths where N and k are small (tens to a few hundred) and n is large.
 * OpenBLAS packs A on every call and zeroes C first, which for such shapes costs a third of
 * the time; here each block of 4 rows of A is read in place against the whole of B (held in
 * L1/L2), 4 x 40 outputs at a time in 20 AVX-512 accumulators started from the bias, and the
 * activation is applied before the single store. Chosen at run time when the processor has
 * AVX-512F; otherwise OpenBLAS with the bias and activation as separate passes.
 *
 * Its weight-gradient counterpart, C (rows, N) += A^T B with A (n, rows) and B (n, N), is a
 * reduction over the n rows of two tall operands: OpenBLAS packs both on every call (for a
 * DeepONet step over 10000 functions, a tenth of the step in the packing of A alone). Here
 * blocks of 64 rows of A and B are read in place while 4 x 40 tiles of C accumulate in 20
 * registers, loaded before and stored after each block.
 */
#include "backend/cpu.h"

#include <cblas.h>
#include <string.h>

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#define SCIML_HAVE_AVX512_KERNEL 1
#endif

static void dense_blas(int64_t n, int64_t k, int64_t columns, const double *a, int64_t lda,
                       const double *b, int64_t ldb, const double *bias, int relu, double *c,
                       int64_t ldc) {
    double beta = 0.0;
    if (bias) {
        for (int64_t r = 0; r < n; r++)
            memcpy(c + r * ldc, bias, (size_t)columns * sizeof(double));
        beta = 1.0;
    }
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)columns, (int)k, 1.0, a,
                (int)lda, b, (int)ldb, beta, c, (int)ldc);
    if (relu)
        for (int64_t r = 0; r < n; r++)
            for (int64_t j = 0; j < columns; j++)
                c[r * ldc + j] = c[r * ldc + j] > 0.0 ? c[r * ldc + j] : 0.0;
}

#ifdef SCIML_HAVE_AVX512_KERNEL
enum { VECTORS = 5, WIDTH = 8 * VECTORS, ROWS = 4 };

/* rows (1..ROWS) x up to WIDTH columns starting at column j0; `vectors` zmm per row, the last
 * one masked by `mask`. */
__attribute__((target("avx512f"), always_inline)) static inline void
block(int rows, int vectors, __mmask8 mask, int64_t k, const double *a, int64_t lda,
      const double *b, int64_t ldb, const double *bias, int relu, double *c, int64_t ldc) {
    __m512d accumulator[ROWS][VECTORS];
    for (int v = 0; v < vectors; v++) {
        const __mmask8 m = v == vectors - 1 ? mask : (__mmask8)0xff;
        __m512d start = bias ? _mm512_maskz_loadu_pd(m, bias + 8 * v) : _mm512_setzero_pd();
        for (int r = 0; r < ROWS; r++)
            accumulator[r][v] = start;
    }
    for (int64_t p = 0; p < k; p++) {
        const double *row = b + p * ldb;
        __m512d bv[VECTORS] = {_mm512_setzero_pd(), _mm512_setzero_pd(), _mm512_setzero_pd(),
                               _mm512_setzero_pd(), _mm512_setzero_pd()};
#pragma GCC unroll 8
        for (int v = 0; v < vectors; v++)
            bv[v] = _mm512_maskz_loadu_pd(v == vectors - 1 ? mask : (__mmask8)0xff, row + 8 * v);
#pragma GCC unroll 8
        for (int r = 0; r < rows; r++) {
            __m512d x = _mm512_set1_pd(a[r * lda + p]);
#pragma GCC unroll 8
            for (int v = 0; v < vectors; v++)
                accumulator[r][v] = _mm512_fmadd_pd(x, bv[v], accumulator[r][v]);
        }
    }
    const __m512d zero = _mm512_setzero_pd();
    for (int r = 0; r < rows; r++)
        for (int v = 0; v < vectors; v++) {
            __m512d y = relu ? _mm512_max_pd(accumulator[r][v], zero) : accumulator[r][v];
            _mm512_mask_storeu_pd(c + r * ldc + 8 * v, v == vectors - 1 ? mask : (__mmask8)0xff, y);
        }
}

__attribute__((target("avx512f"))) static void
dense_avx512(int64_t n, int64_t k, int64_t columns, const double *a, int64_t lda, const double *b,
             int64_t ldb, const double *bias, int relu, double *c, int64_t ldc) {
    for (int64_t r0 = 0; r0 < n; r0 += ROWS) {
        const int rows = n - r0 < ROWS ? (int)(n - r0) : ROWS;
        for (int64_t j0 = 0; j0 < columns; j0 += WIDTH) {
            const int64_t width = columns - j0 < WIDTH ? columns - j0 : WIDTH;
            const int vectors = (int)((width + 7) / 8);
            const int tail = (int)(width - 8 * (vectors - 1));
            const __mmask8 mask = (__mmask8)((1u << tail) - 1u);
            const double *ar = a + r0 * lda, *bj = b + j0, *biasj = bias ? bias + j0 : NULL;
            double *cr = c + r0 * ldc + j0;
            if (rows < ROWS) {
                block(rows, vectors, mask, k, ar, lda, bj, ldb, biasj, relu, cr, ldc);
                continue;
            }
            switch (vectors) { /* constant arguments: each case compiles to its own unrolled loop */
            case 1:
                block(ROWS, 1, mask, k, ar, lda, bj, ldb, biasj, relu, cr, ldc);
                break;
            case 2:
                block(ROWS, 2, mask, k, ar, lda, bj, ldb, biasj, relu, cr, ldc);
                break;
            case 3:
                block(ROWS, 3, mask, k, ar, lda, bj, ldb, biasj, relu, cr, ldc);
                break;
            case 4:
                block(ROWS, 4, mask, k, ar, lda, bj, ldb, biasj, relu, cr, ldc);
                break;
            default:
                block(ROWS, VECTORS, mask, k, ar, lda, bj, ldb, biasj, relu, cr, ldc);
                break;
            }
        }
    }
}

enum { REDUCE_BLOCK = 64 };

/* C (rows, up to WIDTH columns) += A^T B over `count` rows of A and B; rows 1..ROWS. */
__attribute__((target("avx512f"), always_inline)) static inline void
reduce_block(int rows, int vectors, __mmask8 mask, int64_t count, const double *a, int64_t lda,
             const double *b, int64_t ldb, double *c, int64_t ldc) {
    __m512d accumulator[ROWS][VECTORS];
    for (int r = 0; r < rows; r++)
        for (int v = 0; v < vectors; v++)
            accumulator[r][v] = _mm512_maskz_loadu_pd(v == vectors - 1 ? mask : (__mmask8)0xff,
                                                      c + r * ldc + 8 * v);
    for (int64_t f = 0; f < count; f++) {
        const double *row = b + f * ldb;
        __m512d bv[VECTORS] = {_mm512_setzero_pd(), _mm512_setzero_pd(), _mm512_setzero_pd(),
                               _mm512_setzero_pd(), _mm512_setzero_pd()};
#pragma GCC unroll 8
        for (int v = 0; v < vectors; v++)
            bv[v] = _mm512_maskz_loadu_pd(v == vectors - 1 ? mask : (__mmask8)0xff, row + 8 * v);
#pragma GCC unroll 8
        for (int r = 0; r < rows; r++) {
            __m512d x = _mm512_set1_pd(a[f * lda + r]);
#pragma GCC unroll 8
            for (int v = 0; v < vectors; v++)
                accumulator[r][v] = _mm512_fmadd_pd(x, bv[v], accumulator[r][v]);
        }
    }
    for (int r = 0; r < rows; r++)
        for (int v = 0; v < vectors; v++)
            _mm512_mask_storeu_pd(c + r * ldc + 8 * v, v == vectors - 1 ? mask : (__mmask8)0xff,
                                  accumulator[r][v]);
}

__attribute__((target("avx512f"))) static void reduce_avx512(int64_t n, int64_t rows,
                                                             int64_t columns, const double *a,
                                                             int64_t lda, const double *b,
                                                             int64_t ldb, double *c, int64_t ldc) {
    for (int64_t f0 = 0; f0 < n; f0 += REDUCE_BLOCK) {
        const int64_t count = n - f0 < REDUCE_BLOCK ? n - f0 : REDUCE_BLOCK;
        const double *af = a + f0 * lda, *bf = b + f0 * ldb;
        for (int64_t r0 = 0; r0 < rows; r0 += ROWS) {
            const int tile = rows - r0 < ROWS ? (int)(rows - r0) : ROWS;
            for (int64_t j0 = 0; j0 < columns; j0 += WIDTH) {
                const int64_t width = columns - j0 < WIDTH ? columns - j0 : WIDTH;
                const int vectors = (int)((width + 7) / 8);
                const int tail = (int)(width - 8 * (vectors - 1));
                const __mmask8 mask = (__mmask8)((1u << tail) - 1u);
                double *cr = c + r0 * ldc + j0;
                if (tile < ROWS) {
                    reduce_block(tile, vectors, mask, count, af + r0, lda, bf + j0, ldb, cr, ldc);
                    continue;
                }
                switch (vectors) {
                case 1:
                    reduce_block(ROWS, 1, mask, count, af + r0, lda, bf + j0, ldb, cr, ldc);
                    break;
                case 2:
                    reduce_block(ROWS, 2, mask, count, af + r0, lda, bf + j0, ldb, cr, ldc);
                    break;
                case 3:
                    reduce_block(ROWS, 3, mask, count, af + r0, lda, bf + j0, ldb, cr, ldc);
                    break;
                case 4:
                    reduce_block(ROWS, 4, mask, count, af + r0, lda, bf + j0, ldb, cr, ldc);
                    break;
                default:
                    reduce_block(ROWS, VECTORS, mask, count, af + r0, lda, bf + j0, ldb, cr, ldc);
                    break;
                }
            }
        }
    }
}
#endif

void sciml_cpu_dense_reduce(int64_t n, int64_t rows, int64_t columns, const double *a, int64_t lda,
                            const double *b, int64_t ldb, double *c, int64_t ldc) {
    if (n < 1 || rows < 1 || columns < 1)
        return;
#ifdef SCIML_HAVE_AVX512_KERNEL
    if (__builtin_cpu_supports("avx512f")) {
        reduce_avx512(n, rows, columns, a, lda, b, ldb, c, ldc);
        return;
    }
#endif
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)rows, (int)columns, (int)n, 1.0, a,
                (int)lda, b, (int)ldb, 1.0, c, (int)ldc);
}

void sciml_cpu_dense(int64_t n, int64_t k, int64_t columns, const double *a, int64_t lda,
                     const double *b, int64_t ldb, const double *bias, int relu, double *c,
                     int64_t ldc) {
    if (n < 1 || columns < 1)
        return;
#ifdef SCIML_HAVE_AVX512_KERNEL
    /* a load and a bit test: the runtime initialises the CPU model before main (no cached flag,
     * which threads would race on) */
    if (k >= 1 && __builtin_cpu_supports("avx512f")) {
        dense_avx512(n, k, columns, a, lda, b, ldb, bias, relu, c, ldc);
        return;
    }
#endif
    dense_blas(n, k, columns, a, lda, b, ldb, bias, relu, c, ldc);
}
