/* A dense layer for thin weight matrices on the CPU:
 *
 *   C (n, N) = act(start + sum_t A_t (n, k_t) B_t (k_t, N)),
 *   start = bias (N) broadcast over the rows (or zero), plus C itself when accumulating,
 *   act = identity, ReLU or GELU,
 *
 * for the paths where N and the k_t are small (tens to a few hundred) and n is large: the
 * layers of an inference pass, and the Fourier layer's fused synthesis (x W + T^T P + b, then
 * GELU, in one pass over its output). OpenBLAS packs A on every call and zeroes C first, which
 * for such shapes costs a third of the time; here each block of 6 rows of every A_t is read in
 * place against the whole of B_t (held in L1/L2), 6 x 32 outputs at a time in 24 AVX-512
 * accumulators started from the bias (or C), and the activation is applied before the single
 * store (GELU on the finished 6 x 32 tile, still in L1). Columns are cut into blocks of whole
 * vectors as even as 32 allows (the previous 4 x 40 blocks left 128 columns a last block of 8
 * that did 4 multiply-adds per 5 loads). A long k (the Fourier layer's analysis
 * products, k = s) is cut into passes of KC rows of B_t so that each piece of B stays in L1
 * while every row block uses it, C carrying the partial sums between passes. Chosen at run
 * time when the processor has AVX-512F; otherwise OpenBLAS with the start and the activation
 * as separate passes over row tiles.
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

enum {
    KC = 32,               /* rows of B per pass when the k_t sum to more than SINGLE_PASS */
    SINGLE_PASS = 256,     /* up to this total k, one pass holds every term */
    FALLBACK_TILE = 4096,  /* doubles in the OpenBLAS path's row tile */
    FALLBACK_COLUMNS = 512 /* columns per tile in the OpenBLAS path */
};

/* y (count) = act(z (count)); z and y do not overlap. */
static void activate(sciml_cpu_activation activation, int64_t count, const double *z, double *y) {
    switch (activation) {
    case SCIML_CPU_RELU:
        for (int64_t j = 0; j < count; j++)
            y[j] = z[j] > 0.0 ? z[j] : 0.0;
        break;
    case SCIML_CPU_GELU:
        sciml_cpu_gelu(count, z, y);
        break;
    default:
        memcpy(y, z, (size_t)count * sizeof(double));
        break;
    }
}

/* One pass with OpenBLAS: row tiles of at most FALLBACK_TILE doubles, started, multiplied and
 * activated into c. */
static void dense_blas(int64_t n, int64_t columns, int term_count, const sciml_cpu_term *terms,
                       const double *bias, int accumulate, sciml_cpu_activation activation,
                       double *c, int64_t ldc) {
    double tile[FALLBACK_TILE];
    for (int64_t j0 = 0; j0 < columns; j0 += FALLBACK_COLUMNS) {
        const int64_t width = columns - j0 < FALLBACK_COLUMNS ? columns - j0 : FALLBACK_COLUMNS;
        const int64_t rows = FALLBACK_TILE / width;
        for (int64_t r0 = 0; r0 < n; r0 += rows) {
            const int64_t count = n - r0 < rows ? n - r0 : rows;
            for (int64_t r = 0; r < count; r++) {
                double *row = tile + r * width;
                if (accumulate)
                    memcpy(row, c + (r0 + r) * ldc + j0, (size_t)width * sizeof(double));
                else
                    memset(row, 0, (size_t)width * sizeof(double));
                if (bias)
                    for (int64_t j = 0; j < width; j++)
                        row[j] += bias[j0 + j];
            }
            for (int t = 0; t < term_count; t++)
                if (terms[t].k > 0)
                    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)count, (int)width,
                                (int)terms[t].k, 1.0, terms[t].a + r0 * terms[t].lda,
                                (int)terms[t].lda, terms[t].b + j0, (int)terms[t].ldb, 1.0, tile,
                                (int)width);
            for (int64_t r = 0; r < count; r++)
                activate(activation, width, tile + r * width, c + (r0 + r) * ldc + j0);
        }
    }
}

#ifdef SCIML_HAVE_AVX512_KERNEL
enum { VECTORS = 4, WIDTH = 8 * VECTORS, ROWS = 6 };

/* rows (1..ROWS) x up to WIDTH columns; `vectors` zmm per row, the last one masked by `mask`.
 * The terms' a and b point at this block's first row and column. Writes the sums (ReLU'd when
 * relu) to out (ld ldo). */
__attribute__((target("avx512f"), always_inline)) static inline void
block(int rows, int vectors, __mmask8 mask, int term_count, const sciml_cpu_term *terms,
      int64_t row0, int64_t j0, const double *bias, const double *start, int64_t lds, int relu,
      double *out, int64_t ldo) {
    __m512d accumulator[ROWS][VECTORS];
    for (int v = 0; v < vectors; v++) {
        const __mmask8 m = v == vectors - 1 ? mask : (__mmask8)0xff;
        const __m512d first = bias ? _mm512_maskz_loadu_pd(m, bias + 8 * v) : _mm512_setzero_pd();
        for (int r = 0; r < ROWS; r++)
            accumulator[r][v] =
                start && r < rows
                    ? _mm512_add_pd(first, _mm512_maskz_loadu_pd(m, start + r * lds + 8 * v))
                    : first;
    }
    for (int t = 0; t < term_count; t++) {
        const int64_t k = terms[t].k, lda = terms[t].lda, ldb = terms[t].ldb;
        const double *a = terms[t].a + row0 * lda, *b = terms[t].b + j0;
        for (int64_t p = 0; p < k; p++) {
            const double *row = b + p * ldb;
            __m512d bv[VECTORS];
            for (int v = 0; v < VECTORS; v++) /* folded away; quiets -Wmaybe-uninitialized */
                bv[v] = _mm512_setzero_pd();
#pragma GCC unroll 8
            for (int v = 0; v < vectors; v++)
                bv[v] =
                    _mm512_maskz_loadu_pd(v == vectors - 1 ? mask : (__mmask8)0xff, row + 8 * v);
#pragma GCC unroll 8
            for (int r = 0; r < rows; r++) {
                __m512d x = _mm512_set1_pd(a[r * lda + p]);
#pragma GCC unroll 8
                for (int v = 0; v < vectors; v++)
                    accumulator[r][v] = _mm512_fmadd_pd(x, bv[v], accumulator[r][v]);
            }
        }
    }
    const __m512d zero = _mm512_setzero_pd();
    for (int r = 0; r < rows; r++)
        for (int v = 0; v < vectors; v++) {
            __m512d y = relu ? _mm512_max_pd(accumulator[r][v], zero) : accumulator[r][v];
            _mm512_mask_storeu_pd(out + r * ldo + 8 * v, v == vectors - 1 ? mask : (__mmask8)0xff,
                                  y);
        }
}

/* One output column with every b_t contiguous (ldb 1): dot products of the rows of the a_t
 * with the b_t, 8 lanes at a time, ROWS rows at once (independent chains); the activation one
 * value at a time. */
__attribute__((target("avx512f"))) static void
dot_rows(int64_t n, int term_count, const sciml_cpu_term *terms, const double *bias, int accumulate,
         sciml_cpu_activation activation, double *c, int64_t ldc) {
    for (int64_t r0 = 0; r0 < n; r0 += ROWS) {
        const int rows = n - r0 < ROWS ? (int)(n - r0) : ROWS;
        __m512d lanes[ROWS];
        for (int r = 0; r < ROWS; r++)
            lanes[r] = _mm512_setzero_pd();
        for (int t = 0; t < term_count; t++) {
            const double *a = terms[t].a + r0 * terms[t].lda, *b = terms[t].b;
            const int64_t k = terms[t].k, lda = terms[t].lda;
            for (int64_t p = 0; p < k; p += 8) {
                const __mmask8 mask =
                    k - p >= 8 ? (__mmask8)0xff : (__mmask8)((1u << (k - p)) - 1u);
                const __m512d bv = _mm512_maskz_loadu_pd(mask, b + p);
                for (int r = 0; r < rows; r++)
                    lanes[r] =
                        _mm512_fmadd_pd(_mm512_maskz_loadu_pd(mask, a + r * lda + p), bv, lanes[r]);
            }
        }
        for (int r = 0; r < rows; r++) {
            double *out = c + (r0 + r) * ldc;
            double sum = (bias ? bias[0] : 0.0) + (accumulate ? out[0] : 0.0);
            sum += _mm512_reduce_add_pd(lanes[r]);
            if (activation == SCIML_CPU_IDENTITY)
                out[0] = sum;
            else
                activate(activation, 1, &sum, out);
        }
    }
}

/* One pass: every row block and column block over all terms. */
__attribute__((target("avx512f"))) static void
dense_avx512(int64_t n, int64_t columns, int term_count, const sciml_cpu_term *terms,
             const double *bias, int accumulate, sciml_cpu_activation activation, double *c,
             int64_t ldc) {
    double tile[ROWS * WIDTH];
    const int gelu = activation == SCIML_CPU_GELU, relu = activation == SCIML_CPU_RELU;
    /* the columns in blocks of whole vectors as even as WIDTH allows */
    const int64_t blocks = (columns + WIDTH - 1) / WIDTH;
    const int64_t block_width = ((columns + blocks - 1) / blocks + 7) / 8 * 8;
    for (int64_t r0 = 0; r0 < n; r0 += ROWS) {
        const int rows = n - r0 < ROWS ? (int)(n - r0) : ROWS;
        for (int64_t j0 = 0; j0 < columns; j0 += block_width) {
            const int64_t width = columns - j0 < block_width ? columns - j0 : block_width;
            const int vectors = (int)((width + 7) / 8);
            const int tail = (int)(width - 8 * (vectors - 1));
            const __mmask8 mask = (__mmask8)((1u << tail) - 1u);
            const double *biasj = bias ? bias + j0 : NULL;
            double *cr = c + r0 * ldc + j0;
            const double *start = accumulate ? cr : NULL;
            double *out = gelu ? tile : cr;
            const int64_t ldo = gelu ? WIDTH : ldc;
            if (rows < ROWS) {
                block(rows, vectors, mask, term_count, terms, r0, j0, biasj, start, ldc, relu, out,
                      ldo);
            } else {
                switch (vectors) { /* constant arguments: each case compiles to its own loop */
                case 1:
                    block(ROWS, 1, mask, term_count, terms, r0, j0, biasj, start, ldc, relu, out,
                          ldo);
                    break;
                case 2:
                    block(ROWS, 2, mask, term_count, terms, r0, j0, biasj, start, ldc, relu, out,
                          ldo);
                    break;
                case 3:
                    block(ROWS, 3, mask, term_count, terms, r0, j0, biasj, start, ldc, relu, out,
                          ldo);
                    break;
                default:
                    block(ROWS, VECTORS, mask, term_count, terms, r0, j0, biasj, start, ldc, relu,
                          out, ldo);
                    break;
                }
            }
            if (gelu)
                for (int r = 0; r < rows; r++)
                    sciml_cpu_gelu(width, tile + r * WIDTH, cr + r * ldc);
        }
    }
}

/* the reduction keeps its own 4 x 40 tiles (20 accumulators, C loaded and stored per block) */
enum { REDUCE_BLOCK = 64, REDUCE_VECTORS = 5, REDUCE_WIDTH = 8 * REDUCE_VECTORS, REDUCE_ROWS = 4 };

/* C (rows, up to REDUCE_WIDTH columns) += A^T B over `count` rows of A and B; rows 1..REDUCE_ROWS.
 */
__attribute__((target("avx512f"), always_inline)) static inline void
reduce_block(int rows, int vectors, __mmask8 mask, int64_t count, const double *a, int64_t lda,
             const double *b, int64_t ldb, double *c, int64_t ldc) {
    __m512d accumulator[REDUCE_ROWS][REDUCE_VECTORS];
    for (int r = 0; r < rows; r++)
        for (int v = 0; v < vectors; v++)
            accumulator[r][v] = _mm512_maskz_loadu_pd(v == vectors - 1 ? mask : (__mmask8)0xff,
                                                      c + r * ldc + 8 * v);
    for (int64_t f = 0; f < count; f++) {
        const double *row = b + f * ldb;
        __m512d bv[REDUCE_VECTORS] = {_mm512_setzero_pd(), _mm512_setzero_pd(), _mm512_setzero_pd(),
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
        for (int64_t r0 = 0; r0 < rows; r0 += REDUCE_ROWS) {
            const int tile = rows - r0 < REDUCE_ROWS ? (int)(rows - r0) : REDUCE_ROWS;
            for (int64_t j0 = 0; j0 < columns; j0 += REDUCE_WIDTH) {
                const int64_t width = columns - j0 < REDUCE_WIDTH ? columns - j0 : REDUCE_WIDTH;
                const int vectors = (int)((width + 7) / 8);
                const int tail = (int)(width - 8 * (vectors - 1));
                const __mmask8 mask = (__mmask8)((1u << tail) - 1u);
                double *cr = c + r0 * ldc + j0;
                if (tile < REDUCE_ROWS) {
                    reduce_block(tile, vectors, mask, count, af + r0, lda, bf + j0, ldb, cr, ldc);
                    continue;
                }
                switch (vectors) {
                case 1:
                    reduce_block(REDUCE_ROWS, 1, mask, count, af + r0, lda, bf + j0, ldb, cr, ldc);
                    break;
                case 2:
                    reduce_block(REDUCE_ROWS, 2, mask, count, af + r0, lda, bf + j0, ldb, cr, ldc);
                    break;
                case 3:
                    reduce_block(REDUCE_ROWS, 3, mask, count, af + r0, lda, bf + j0, ldb, cr, ldc);
                    break;
                case 4:
                    reduce_block(REDUCE_ROWS, 4, mask, count, af + r0, lda, bf + j0, ldb, cr, ldc);
                    break;
                default:
                    reduce_block(REDUCE_ROWS, REDUCE_VECTORS, mask, count, af + r0, lda, bf + j0,
                                 ldb, cr, ldc);
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

/* One pass over the given terms, on the kernel the processor allows. */
static void dense_pass(int64_t n, int64_t columns, int term_count, const sciml_cpu_term *terms,
                       const double *bias, int accumulate, sciml_cpu_activation activation,
                       double *c, int64_t ldc) {
#ifdef SCIML_HAVE_AVX512_KERNEL
    /* a load and a bit test: the runtime initialises the CPU model before main (no cached flag,
     * which threads would race on) */
    if (__builtin_cpu_supports("avx512f")) {
        int contiguous = columns == 1;
        for (int t = 0; t < term_count; t++)
            contiguous &= terms[t].ldb == 1 || terms[t].k < 1;
        if (contiguous) {
            dot_rows(n, term_count, terms, bias, accumulate, activation, c, ldc);
            return;
        }
        dense_avx512(n, columns, term_count, terms, bias, accumulate, activation, c, ldc);
        return;
    }
#endif
    dense_blas(n, columns, term_count, terms, bias, accumulate, activation, c, ldc);
}

void sciml_cpu_dense_terms(int64_t n, int64_t columns, int term_count, const sciml_cpu_term *terms,
                           const double *bias, int accumulate, sciml_cpu_activation activation,
                           double *c, int64_t ldc) {
    if (n < 1 || columns < 1 || term_count < 0)
        return;
    int64_t total = 0;
    for (int t = 0; t < term_count; t++)
        total += terms[t].k > 0 ? terms[t].k : 0;
    if (total <= SINGLE_PASS) {
        dense_pass(n, columns, term_count, terms, bias, accumulate, activation, c, ldc);
        return;
    }
    /* passes of KC rows of one term each; the last one applies the activation */
    int64_t pieces = 0, done = 0;
    for (int t = 0; t < term_count; t++)
        pieces += terms[t].k > 0 ? (terms[t].k + KC - 1) / KC : 0;
    for (int t = 0; t < term_count; t++)
        for (int64_t p0 = 0; p0 < terms[t].k; p0 += KC) {
            sciml_cpu_term piece = terms[t];
            piece.k = terms[t].k - p0 < KC ? terms[t].k - p0 : KC;
            piece.a = terms[t].a + p0;
            piece.b = terms[t].b + p0 * terms[t].ldb;
            done++;
            dense_pass(n, columns, 1, &piece, done == 1 ? bias : NULL, accumulate || done > 1,
                       done == pieces ? activation : SCIML_CPU_IDENTITY, c, ldc);
        }
}

void sciml_cpu_dense(int64_t n, int64_t k, int64_t columns, const double *a, int64_t lda,
                     const double *b, int64_t ldb, const double *bias, int relu, double *c,
                     int64_t ldc) {
    const sciml_cpu_term term = {k, a, lda, b, ldb};
    sciml_cpu_dense_terms(n, columns, k >= 1 ? 1 : 0, &term, bias, 0,
                          relu ? SCIML_CPU_RELU : SCIML_CPU_IDENTITY, c, ldc);
}
