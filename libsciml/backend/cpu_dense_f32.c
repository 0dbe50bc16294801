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
 * The sparse variant is for an A of ReLU outputs (about half exact zeros): per row of A the
 * indices and values of its nonzeros are packed (16 at a time by a compress in registers) and
 * only those rows of B are accumulated, a row of C (up to 128 columns) held in 8 accumulators
 * with B read as memory operands: per nonzero one broadcast and N / 16 loads and FMAs, where
 * the dense kernel spends N / 16 FMAs on every entry of A. The same multiply-adds in the same
 * order, less the ones by zero, so the sums equal the dense kernel's (but for the sign of a
 * zero sum).
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

/* rows (1..ROWS) x up to WIDTH columns in `vectors` vectors: with half 0 all zmm, the last
 * masked by `mask`; with half 1 (AVX-512VL) the last is a ymm of 8 lanes masked by the low byte
 * of `mask` and the others are whole zmm (a 40-column layer is 2.5 vectors: on cores that split
 * a zmm FMA into two 256-bit halves, such as Zen 4, the half vector costs half). a and b point
 * at this block's first row and column. Starts from bias (or zero) plus, when start is not
 * NULL, start (ld lds); writes the sums (ReLU'd when relu) to out (ld ldo). */
__attribute__((target("avx512f,avx512vl,fma"), always_inline)) static inline void
block(int rows, int vectors, int half, __mmask16 mask, int64_t k, const float *a, int64_t lda,
      const float *b, int64_t ldb, const float *bias, const float *start, int64_t lds, int relu,
      float *out, int64_t ldo) {
    const int whole = half ? vectors - 1 : vectors; /* zmm vectors */
    const __mmask16 last = half ? (__mmask16)0xffff : mask;
    const __mmask8 low = (__mmask8)mask;
    const float *bias_half = bias ? bias + LANES * whole : NULL;
    __m512 accumulator[ROWS][VECTORS];
    __m256 halves[ROWS];
    for (int v = 0; v < whole; v++) {
        const __mmask16 m = v == whole - 1 ? last : (__mmask16)0xffff;
        const __m512 first =
            bias ? _mm512_maskz_loadu_ps(m, bias + LANES * v) : _mm512_setzero_ps();
        for (int r = 0; r < ROWS; r++)
            accumulator[r][v] =
                start && r < rows
                    ? _mm512_add_ps(first, _mm512_maskz_loadu_ps(m, start + r * lds + LANES * v))
                    : first;
    }
    if (half) {
        const __m256 first =
            bias_half ? _mm256_maskz_loadu_ps(low, bias_half) : _mm256_setzero_ps();
        for (int r = 0; r < ROWS; r++)
            halves[r] = start && r < rows
                            ? _mm256_add_ps(first, _mm256_maskz_loadu_ps(low, start + r * lds +
                                                                                  LANES * whole))
                            : first;
    }
    for (int64_t p = 0; p < k; p++) {
        const float *row = b + p * ldb;
        __m512 bv[VECTORS];
        for (int v = 0; v < VECTORS; v++) /* folded away; quiets -Wmaybe-uninitialized */
            bv[v] = _mm512_setzero_ps();
        __m256 bh = _mm256_setzero_ps();
#pragma GCC unroll 8
        for (int v = 0; v < whole; v++)
            bv[v] =
                _mm512_maskz_loadu_ps(v == whole - 1 ? last : (__mmask16)0xffff, row + LANES * v);
        if (half)
            bh = _mm256_maskz_loadu_ps(low, row + LANES * whole);
#pragma GCC unroll 8
        for (int r = 0; r < rows; r++) {
            const __m512 x = _mm512_set1_ps(a[r * lda + p]);
#pragma GCC unroll 8
            for (int v = 0; v < whole; v++)
                accumulator[r][v] = _mm512_fmadd_ps(x, bv[v], accumulator[r][v]);
            if (half)
                halves[r] = _mm256_fmadd_ps(_mm512_castps512_ps256(x), bh, halves[r]);
        }
    }
    const __m512 zero = _mm512_setzero_ps();
    for (int r = 0; r < rows; r++) {
        for (int v = 0; v < whole; v++) {
            const __m512 y = relu ? _mm512_max_ps(accumulator[r][v], zero) : accumulator[r][v];
            _mm512_mask_storeu_ps(out + r * ldo + LANES * v,
                                  v == whole - 1 ? last : (__mmask16)0xffff, y);
        }
        if (half) {
            const __m256 y = relu ? _mm256_max_ps(halves[r], _mm256_setzero_ps()) : halves[r];
            _mm256_mask_storeu_ps(out + r * ldo + LANES * whole, low, y);
        }
    }
}

/* One pass over k rows of B: every row block and column block; half_vectors: the processor
 * has AVX-512VL, so a last vector of at most 8 columns may be a ymm. */
__attribute__((target("avx512f,avx512vl,fma"))) static void
dense_avx512(int64_t n, int64_t k, int64_t columns, const float *a, int64_t lda, const float *b,
             int64_t ldb, const float *bias, int accumulate, int relu, int half_vectors, float *c,
             int64_t ldc) {
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
            const int half = half_vectors && tail <= LANES / 2;
            const __mmask16 mask = (__mmask16)((1u << tail) - 1u);
            const float *biasj = bias ? bias + j0 : NULL;
            const float *bj = b + j0;
            float *cr = c + r0 * ldc + j0;
            const float *start = accumulate ? cr : NULL;
            if (rows < ROWS) {
                if (half)
                    block(rows, vectors, 1, mask, k, ar, lda, bj, ldb, biasj, start, ldc, relu, cr,
                          ldc);
                else
                    block(rows, vectors, 0, mask, k, ar, lda, bj, ldb, biasj, start, ldc, relu, cr,
                          ldc);
                continue;
            }
            switch (2 * vectors + half) { /* constant arguments: each case its own loop */
            case 2:
                block(ROWS, 1, 0, mask, k, ar, lda, bj, ldb, biasj, start, ldc, relu, cr, ldc);
                break;
            case 3:
                block(ROWS, 1, 1, mask, k, ar, lda, bj, ldb, biasj, start, ldc, relu, cr, ldc);
                break;
            case 4:
                block(ROWS, 2, 0, mask, k, ar, lda, bj, ldb, biasj, start, ldc, relu, cr, ldc);
                break;
            case 5:
                block(ROWS, 2, 1, mask, k, ar, lda, bj, ldb, biasj, start, ldc, relu, cr, ldc);
                break;
            case 6:
                block(ROWS, 3, 0, mask, k, ar, lda, bj, ldb, biasj, start, ldc, relu, cr, ldc);
                break;
            case 7:
                block(ROWS, 3, 1, mask, k, ar, lda, bj, ldb, biasj, start, ldc, relu, cr, ldc);
                break;
            case 9:
                block(ROWS, VECTORS, 1, mask, k, ar, lda, bj, ldb, biasj, start, ldc, relu, cr,
                      ldc);
                break;
            default:
                block(ROWS, VECTORS, 0, mask, k, ar, lda, bj, ldb, biasj, start, ldc, relu, cr,
                      ldc);
                break;
            }
        }
    }
}
#endif

/* The sparse rows: k up to SPARSE_MAX_K (longer rows take the dense kernel). */
enum { SPARSE_MAX_K = 1024, SPARSE_VECTORS = 8 };

#ifdef SCIML_HAVE_AVX512_F32_KERNEL
/* One row of C, columns j0.. in `vectors` vectors (1..SPARSE_VECTORS), from the `count` packed
 * nonzeros (index, value) of a row of A; the last vector masked by `mask`, and with half 1 a ymm
 * of 8 lanes (masked by the low byte) as in the dense block. */
__attribute__((target("avx512f,avx512vl,fma"), always_inline)) static inline void
sparse_block(int vectors, int half, __mmask16 mask, int64_t count, const int32_t *index,
             const float *value, const float *b, int64_t ldb, const float *bias, float *out) {
    const int whole = half ? vectors - 1 : vectors;
    const __mmask16 last = half ? (__mmask16)0xffff : mask;
    const __mmask8 low = (__mmask8)mask;
    __m512 accumulator[SPARSE_VECTORS];
    __m256 tail = _mm256_setzero_ps();
#pragma GCC unroll 8
    for (int v = 0; v < whole; v++)
        accumulator[v] = bias ? _mm512_maskz_loadu_ps(v == whole - 1 ? last : (__mmask16)0xffff,
                                                      bias + LANES * v)
                              : _mm512_setzero_ps();
    if (half && bias)
        tail = _mm256_maskz_loadu_ps(low, bias + LANES * whole);
    for (int64_t i = 0; i < count; i++) {
        const __m512 x = _mm512_set1_ps(value[i]);
        const float *row = b + (int64_t)index[i] * ldb;
#pragma GCC unroll 8
        for (int v = 0; v < whole; v++)
            accumulator[v] = _mm512_fmadd_ps(
                x,
                _mm512_maskz_loadu_ps(v == whole - 1 ? last : (__mmask16)0xffff, row + LANES * v),
                accumulator[v]);
        if (half)
            tail = _mm256_fmadd_ps(_mm512_castps512_ps256(x),
                                   _mm256_maskz_loadu_ps(low, row + LANES * whole), tail);
    }
#pragma GCC unroll 8
    for (int v = 0; v < whole; v++)
        _mm512_mask_storeu_ps(out + LANES * v, v == whole - 1 ? last : (__mmask16)0xffff,
                              accumulator[v]);
    if (half)
        _mm256_mask_storeu_ps(out + LANES * whole, low, tail);
}

__attribute__((target("avx512f,avx512vl,fma"))) static void
sparse_avx512(int64_t n, int64_t k, int64_t columns, const float *a, int64_t lda, const float *b,
              int64_t ldb, const float *bias, int half_vectors, float *c, int64_t ldc) {
    int32_t index[SPARSE_MAX_K + LANES];
    float value[SPARSE_MAX_K + LANES];
    const __m512i lane = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    const int64_t widest = SPARSE_VECTORS * LANES;
    for (int64_t r = 0; r < n; r++) {
        const float *ar = a + r * lda;
        int64_t count = 0;
        for (int64_t p0 = 0; p0 < k; p0 += LANES) { /* pack the nonzeros (NaN counts as one) */
            const __mmask16 in =
                k - p0 >= LANES ? (__mmask16)0xffff : (__mmask16)((1u << (k - p0)) - 1u);
            const __m512 x = _mm512_maskz_loadu_ps(in, ar + p0);
            const __mmask16 nonzero =
                _mm512_mask_cmp_ps_mask(in, x, _mm512_setzero_ps(), _CMP_NEQ_UQ);
            const __m512i at = _mm512_add_epi32(_mm512_set1_epi32((int)p0), lane);
            _mm512_storeu_si512((void *)(index + count), _mm512_maskz_compress_epi32(nonzero, at));
            _mm512_storeu_ps(value + count, _mm512_maskz_compress_ps(nonzero, x));
            count += __builtin_popcount((unsigned)nonzero);
        }
        for (int64_t j0 = 0; j0 < columns; j0 += widest) {
            const int64_t width = columns - j0 < widest ? columns - j0 : widest;
            const int vectors = (int)((width + LANES - 1) / LANES);
            const int tail = (int)(width - LANES * (vectors - 1));
            const int half = half_vectors && tail <= LANES / 2;
            const __mmask16 mask = (__mmask16)((1u << tail) - 1u);
            const float *biasj = bias ? bias + j0 : NULL;
            const float *bj = b + j0;
            float *out = c + r * ldc + j0;
#define SPARSE_CASES(v)                                                                            \
    case 2 * (v):                                                                                  \
        sparse_block(v, 0, mask, count, index, value, bj, ldb, biasj, out);                        \
        break;                                                                                     \
    case 2 * (v) + 1:                                                                              \
        sparse_block(v, 1, mask, count, index, value, bj, ldb, biasj, out);                        \
        break;
            switch (2 * vectors + half) { /* constant arguments: each case its own loop */
                /* clang-format off */
            SPARSE_CASES(1)
            SPARSE_CASES(2)
            SPARSE_CASES(3)
            SPARSE_CASES(4)
            SPARSE_CASES(5)
            SPARSE_CASES(6)
            SPARSE_CASES(7)
            /* clang-format on */
            case 2 * SPARSE_VECTORS + 1:
                sparse_block(SPARSE_VECTORS, 1, mask, count, index, value, bj, ldb, biasj, out);
                break;
            default:
                sparse_block(SPARSE_VECTORS, 0, mask, count, index, value, bj, ldb, biasj, out);
                break;
            }
#undef SPARSE_CASES
        }
    }
}
#endif

void sciml_cpu_dense_f32_sparse(int64_t n, int64_t k, int64_t columns, const float *a, int64_t lda,
                                const float *b, int64_t ldb, const float *bias, float *c,
                                int64_t ldc) {
    if (n < 1 || columns < 1)
        return;
#ifdef SCIML_HAVE_AVX512_F32_KERNEL
    if (k <= SPARSE_MAX_K && __builtin_cpu_supports("avx512f")) {
        sparse_avx512(n, k < 0 ? 0 : k, columns, a, lda, b, ldb, bias,
                      __builtin_cpu_supports("avx512vl"), c, ldc);
        return;
    }
#endif
    sciml_cpu_dense_f32(n, k, columns, a, lda, b, ldb, bias, 0, c, ldc);
}

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
        const int half = __builtin_cpu_supports("avx512vl");
        if (k <= SINGLE_PASS) {
            dense_avx512(n, k, columns, a, lda, b, ldb, bias, 0, relu, half, c, ldc);
            return;
        }
        for (int64_t p0 = 0; p0 < k; p0 += KC) { /* passes of KC rows; ReLU on the last */
            const int64_t piece = k - p0 < KC ? k - p0 : KC;
            dense_avx512(n, piece, columns, a + p0, lda, b + p0 * ldb, ldb, p0 ? NULL : bias,
                         p0 > 0, relu && p0 + piece == k, half, c, ldc);
        }
        return;
    }
#endif
    sciml_cpu_dense_f32_portable(n, k, columns, a, lda, b, ldb, bias, relu, c, ldc);
}
