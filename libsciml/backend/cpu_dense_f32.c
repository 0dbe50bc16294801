/* A dense layer for thin weight matrices in single precision:
 *
 *   C (n, N) = act(bias + A (n, k) B (k, N)),   act = identity or ReLU,
 *
 * the float32 twin of sciml_cpu_dense (cpu_dense.c), for inference paths where N and k are
 * small (tens to a few hundred) and n is large: the branch layers and the folded readout of a
 * DeepONet prediction in single precision. Each block of 6 rows of A is read in place against
 * the whole of B (held in L1/L2), 6 x 64 outputs at a time in 24 AVX-512 accumulators of 16
 * lanes started from the bias, and the ReLU is applied before the single store. Columns are cut
 * into blocks of whole 16-lane vectors as even as 64 allows, the last vector of a block masked.
 * A long k (more than SINGLE_PASS) is cut into passes of KC rows of B so that each piece stays
 * in L1, C carrying the partial sums between passes (the ReLU on the last). The sums run in
 * float32 in the order of k with one rounding per multiply-add (FMA), so a result differs from
 * a float64 sum by about k unit roundoffs of float32 relative to the sum of |a b|.
 *
 * Chosen at run time when the processor has AVX-512F (and compiled only for GCC-compatible
 * compilers on x86); otherwise plain loops that compilers vectorise across the columns.
 */
#include "backend/cpu_dense_f32.h"

#include <stddef.h>

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#define SCIML_HAVE_AVX512_F32_KERNEL 1
#endif

enum {
    KC = 64,          /* rows of B per pass when k exceeds SINGLE_PASS */
    SINGLE_PASS = 256 /* up to this k, one pass */
};

void sciml_cpu_dense_f32_portable(int64_t n, int64_t k, int64_t columns, const float *a,
                                  int64_t lda, const float *b, int64_t ldb, const float *bias,
                                  int relu, float *c, int64_t ldc) {
    for (int64_t r = 0; r < n; r++) {
        float *out = c + r * ldc;
        for (int64_t j = 0; j < columns; j++)
            out[j] = bias ? bias[j] : 0.0f;
        for (int64_t p = 0; p < k; p++) {
            const float x = a[r * lda + p], *row = b + p * ldb;
            for (int64_t j = 0; j < columns; j++)
                out[j] += x * row[j];
        }
        if (relu)
            for (int64_t j = 0; j < columns; j++)
                out[j] = out[j] > 0.0f ? out[j] : 0.0f;
    }
}

#ifdef SCIML_HAVE_AVX512_F32_KERNEL
enum { LANES = 16, VECTORS = 4, WIDTH = LANES * VECTORS, ROWS = 6 };

/* rows (1..ROWS) x up to WIDTH columns, `vectors` zmm per row, the last one masked by `mask`.
 * a and b point at this block's first row and column. Starts from bias (or zero) plus, when
 * start is not NULL, start (ld lds); writes the sums (ReLU'd when relu) to out (ld ldo). */
__attribute__((target("avx512f"), always_inline)) static inline void
block(int rows, int vectors, __mmask16 mask, int64_t k, const float *a, int64_t lda, const float *b,
      int64_t ldb, const float *bias, const float *start, int64_t lds, int relu, float *out,
      int64_t ldo) {
    __m512 accumulator[ROWS][VECTORS];
    for (int v = 0; v < vectors; v++) {
        const __mmask16 m = v == vectors - 1 ? mask : (__mmask16)0xffff;
        const __m512 first =
            bias ? _mm512_maskz_loadu_ps(m, bias + LANES * v) : _mm512_setzero_ps();
        for (int r = 0; r < ROWS; r++)
            accumulator[r][v] =
                start && r < rows
                    ? _mm512_add_ps(first, _mm512_maskz_loadu_ps(m, start + r * lds + LANES * v))
                    : first;
    }
    for (int64_t p = 0; p < k; p++) {
        const float *row = b + p * ldb;
        __m512 bv[VECTORS];
        for (int v = 0; v < VECTORS; v++) /* folded away; quiets -Wmaybe-uninitialized */
            bv[v] = _mm512_setzero_ps();
#pragma GCC unroll 8
        for (int v = 0; v < vectors; v++)
            bv[v] =
                _mm512_maskz_loadu_ps(v == vectors - 1 ? mask : (__mmask16)0xffff, row + LANES * v);
#pragma GCC unroll 8
        for (int r = 0; r < rows; r++) {
            const __m512 x = _mm512_set1_ps(a[r * lda + p]);
#pragma GCC unroll 8
            for (int v = 0; v < vectors; v++)
                accumulator[r][v] = _mm512_fmadd_ps(x, bv[v], accumulator[r][v]);
        }
    }
    const __m512 zero = _mm512_setzero_ps();
    for (int r = 0; r < rows; r++)
        for (int v = 0; v < vectors; v++) {
            const __m512 y = relu ? _mm512_max_ps(accumulator[r][v], zero) : accumulator[r][v];
            _mm512_mask_storeu_ps(out + r * ldo + LANES * v,
                                  v == vectors - 1 ? mask : (__mmask16)0xffff, y);
        }
}

/* One pass over k rows of B: every row block and column block. */
__attribute__((target("avx512f"))) static void
dense_avx512(int64_t n, int64_t k, int64_t columns, const float *a, int64_t lda, const float *b,
             int64_t ldb, const float *bias, int accumulate, int relu, float *c, int64_t ldc) {
    /* the columns in blocks of whole vectors as even as WIDTH allows */
    const int64_t blocks = (columns + WIDTH - 1) / WIDTH;
    const int64_t block_width = ((columns + blocks - 1) / blocks + LANES - 1) / LANES * LANES;
    for (int64_t r0 = 0; r0 < n; r0 += ROWS) {
        const int rows = n - r0 < ROWS ? (int)(n - r0) : ROWS;
        const float *ar = a + r0 * lda;
        for (int64_t j0 = 0; j0 < columns; j0 += block_width) {
            const int64_t width = columns - j0 < block_width ? columns - j0 : block_width;
            const int vectors = (int)((width + LANES - 1) / LANES);
            const int tail = (int)(width - LANES * (vectors - 1));
            const __mmask16 mask = (__mmask16)((1u << tail) - 1u);
            const float *biasj = bias ? bias + j0 : NULL;
            float *cr = c + r0 * ldc + j0;
            const float *start = accumulate ? cr : NULL;
            if (rows < ROWS) {
                block(rows, vectors, mask, k, ar, lda, b + j0, ldb, biasj, start, ldc, relu, cr,
                      ldc);
                continue;
            }
            switch (vectors) { /* constant arguments: each case compiles to its own loop */
            case 1:
                block(ROWS, 1, mask, k, ar, lda, b + j0, ldb, biasj, start, ldc, relu, cr, ldc);
                break;
            case 2:
                block(ROWS, 2, mask, k, ar, lda, b + j0, ldb, biasj, start, ldc, relu, cr, ldc);
                break;
            case 3:
                block(ROWS, 3, mask, k, ar, lda, b + j0, ldb, biasj, start, ldc, relu, cr, ldc);
                break;
            default:
                block(ROWS, VECTORS, mask, k, ar, lda, b + j0, ldb, biasj, start, ldc, relu, cr,
                      ldc);
                break;
            }
        }
    }
}
#endif

void sciml_cpu_dense_f32(int64_t n, int64_t k, int64_t columns, const float *a, int64_t lda,
                         const float *b, int64_t ldb, const float *bias, int relu, float *c,
                         int64_t ldc) {
    if (n < 1 || columns < 1)
        return;
    if (k < 0)
        k = 0;
#ifdef SCIML_HAVE_AVX512_F32_KERNEL
    /* a load and a bit test: the runtime initialises the CPU model before main */
    if (__builtin_cpu_supports("avx512f")) {
        if (k <= SINGLE_PASS) {
            dense_avx512(n, k, columns, a, lda, b, ldb, bias, 0, relu, c, ldc);
            return;
        }
        for (int64_t p0 = 0; p0 < k; p0 += KC) { /* passes of KC rows; ReLU on the last */
            const int64_t piece = k - p0 < KC ? k - p0 : KC;
            dense_avx512(n, piece, columns, a + p0, lda, b + p0 * ldb, ldb, p0 ? NULL : bias,
                         p0 > 0, relu && p0 + piece == k, c, ldc);
        }
        return;
    }
#endif
    sciml_cpu_dense_f32_portable(n, k, columns, a, lda, b, ldb, bias, relu, c, ldc);
}
