/* Private engine header: the backend operations table and the CPU backend.
 *
 * The graph layer (libsciml/ad) decides shapes, order and which gradients are needed; every
 * touch of tensor memory goes through one of these function pointers. A backend owns the
 * arena (alloc/release), copies between host buffers and tensor memory (upload/download) and
 * runs the kernels. The CPU backend wraps OpenBLAS cblas_dgemm and plain C loops written so
 * that GCC vectorises them; a cuBLAS backend provides the same table later.
 *
 * Conventions: counts are int64_t elements, memory row-major. Backward kernels take
 * `accumulate`: 0 overwrites the gradient buffer, 1 adds to it (the graph uses 0 for the first
 * contribution to a gradient so that it never has to zero gradients first).
 */
#ifndef SCIML_BACKEND_CPU_H
#define SCIML_BACKEND_CPU_H

#include "sciml/graph.h"

#include <stddef.h>
#include <stdint.h>

/* Elementwise unary functions y = f(x; p0, p1). */
typedef enum sciml_unary {
    SCIML_UNARY_COPY = 0, /* y = x */
    SCIML_UNARY_SCALE,    /* y = p0 x */
    SCIML_UNARY_SHIFT,    /* y = x + p0 */
    SCIML_UNARY_TANH,
    SCIML_UNARY_RELU,
    SCIML_UNARY_GELU, /* x Phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2 */
    SCIML_UNARY_SIGMOID,
    SCIML_UNARY_SOFTPLUS, /* log(1 + e^x) */
    SCIML_UNARY_SIN,
    SCIML_UNARY_COS,
    SCIML_UNARY_EXP,
    SCIML_UNARY_LOG,
    SCIML_UNARY_SQUARE,
    SCIML_UNARY_SQRT
} sciml_unary;

/* Elementwise binary functions y = f(a, b) with broadcasting. */
typedef enum sciml_binary {
    SCIML_BINARY_ADD = 0,
    SCIML_BINARY_SUB,
    SCIML_BINARY_MUL,
    SCIML_BINARY_DIV
} sciml_binary;

/* Broadcast plan: the output shape (adjacent dimensions already merged where possible) and
 * the element strides of a and b along it (0 along broadcast dimensions). */
typedef struct sciml_broadcast {
    int ndim;
    int64_t shape[SCIML_MAX_DIMS];
    int64_t stride_a[SCIML_MAX_DIMS];
    int64_t stride_b[SCIML_MAX_DIMS];
    int64_t count; /* product of shape */
} sciml_broadcast;

typedef struct sciml_backend {
    const char *name;
    /* Arena: one block of tensor memory, 64-byte aligned, zero-filled; NULL on failure. */
    void *(*alloc)(size_t bytes);
    void (*release)(void *memory);
    /* Host <-> tensor memory, count elements. */
    void (*upload)(double *device, const double *host, int64_t count);
    void (*download)(double *host, const double *device, int64_t count);
    /* Gathers rows: device (count, row_length) = host rows rows[0..count) of a row-major
     * (any, row_length) table (mini-batch assembly without an intermediate copy). */
    void (*upload_rows)(double *device, const double *host, int64_t row_length, const int64_t *rows,
                        int64_t count);
    /* x[offset + i] = value for i < count. */
    void (*fill)(double *x, int64_t offset, int64_t count, double value);

    /* C (m, n) = alpha op(A) op(B) + beta C, op(A) (m, k), op(B) (k, n); leading dimensions
     * are the stored row lengths. */
    void (*gemm)(int transpose_a, int transpose_b, int64_t m, int64_t n, int64_t k, double alpha,
                 const double *a, int64_t lda, const double *b, int64_t ldb, double beta, double *c,
                 int64_t ldc);
    /* y (rows, out) = x (rows, in) w (in, out) + bias (out, may be NULL) in one pass, for thin
     * w (in and out up to a few hundred): inference graphs' dense layers. The same values as
     * broadcast_rows and gemm to rounding (another summation order). */
    void (*dense)(int64_t rows, int64_t in, int64_t out, const double *x, const double *w,
                  const double *bias, double *y);
    /* y[r, j] = bias[j] for r < rows, j < n (bias pre-broadcast before a beta = 1 gemm). */
    void (*broadcast_rows)(int64_t rows, int64_t n, const double *bias, double *y);
    /* gbias[j] (+)= sum_r gy[r, j]. */
    void (*column_sum)(int64_t rows, int64_t n, const double *gy, double *gbias, int accumulate);
    /* y = f(x) elementwise; gx (+)= f'(x) gy using x or the stored y. */
    void (*unary_forward)(sciml_unary kind, double p0, int64_t count, const double *x, double *y);
    void (*unary_backward)(sciml_unary kind, double p0, int64_t count, const double *x,
                           const double *y, const double *gy, double *gx, int accumulate);
    /* y = a op b with broadcasting; backward adds into ga and gb (either may be NULL),
     * summing over broadcast dimensions. Backward always accumulates. */
    void (*binary_forward)(sciml_binary kind, const sciml_broadcast *plan, const double *a,
                           const double *b, double *y);
    void (*binary_backward)(sciml_binary kind, const sciml_broadcast *plan, const double *a,
                            const double *b, const double *y, const double *gy, double *ga,
                            double *gb);
    /* x viewed as (outer, n, inner): y[o, i] = scale sum_j x[o, j, i]. */
    void (*reduce_axis)(int64_t outer, int64_t n, int64_t inner, double scale, const double *x,
                        double *y);
    /* gx[o, j, i] (+)= scale gy[o, i]. */
    void (*expand_axis)(int64_t outer, int64_t n, int64_t inner, double scale, const double *gy,
                        double *gx, int accumulate);
    /* Strided block copy: for o < outer, dst[dst_offset + o dst_stride + i] (+)=
     * src[src_offset + o src_stride + i], i < length (slice, concat and their adjoints). */
    void (*copy_blocks)(int64_t outer, int64_t length, const double *src, int64_t src_offset,
                        int64_t src_stride, double *dst, int64_t dst_offset, int64_t dst_stride,
                        int accumulate);
    /* dst (cols, rows) (+)= src (rows, cols)^T. */
    void (*transpose)(int64_t rows, int64_t cols, const double *src, double *dst, int accumulate);
    /* out[0] = mean (p - t)^2 over count elements; backward: gp (+)= 2 g (p - t) / count,
     * gt (+)= -2 g (p - t) / count (g = gout[0]; gp or gt may be NULL). */
    void (*mse_forward)(int64_t count, const double *p, const double *t, double *out);
    void (*mse_backward)(int64_t count, const double *p, const double *t, const double *gout,
                         double *gp, double *gt, int accumulate_p, int accumulate_t);
    /* Rows of length n: out[0] = mean_r ||p_r - t_r|| / ||t_r||; backward as for mse. */
    void (*rel_l2_forward)(int64_t rows, int64_t n, const double *p, const double *t, double *out);
    void (*rel_l2_backward)(int64_t rows, int64_t n, const double *p, const double *t,
                            const double *gout, double *gp, double *gt, int accumulate_p,
                            int accumulate_t);
} sciml_backend;

/* The CPU backend (static table, never freed). */
const sciml_backend *sciml_backend_cpu(void);

/* Vectorised elementary functions (cpu_math.c); x and y must not overlap. Accuracy: tanh and
 * sigmoid within a few ulp of the correctly rounded result (tested in test_engine_math.c);
 * NaN propagates, +-Inf give the limits. */
void sciml_cpu_tanh(int64_t count, const double *x, double *y);
void sciml_cpu_sigmoid(int64_t count, const double *x, double *y);
void sciml_cpu_exp(int64_t count, const double *x, double *y);
/* GELU(x) = x Phi(x) with the exact normal CDF Phi, and its backward gx (+)= gy GELU'(x),
 * which takes y = GELU(x) as computed by sciml_cpu_gelu; the CDF alone is exposed for tests.
 * A few ulp, relative even in the left tail. */
void sciml_cpu_normal_cdf(int64_t count, const double *x, double *y);
void sciml_cpu_gelu(int64_t count, const double *x, double *y);
void sciml_cpu_gelu_backward(int64_t count, const double *x, const double *y, const double *gy,
                             double *gx, int accumulate);

/* Activations the dense kernel applies before its store. */
typedef enum sciml_cpu_activation {
    SCIML_CPU_IDENTITY = 0,
    SCIML_CPU_RELU,
    SCIML_CPU_GELU /* sciml_cpu_gelu */
} sciml_cpu_activation;

/* One product A (n, k) B (k, columns) of a sum; row-major, leading dimensions lda, ldb
 * (borrowed pointers). */
typedef struct sciml_cpu_term {
    int64_t k;
    const double *a;
    int64_t lda;
    const double *b;
    int64_t ldb;
} sciml_cpu_term;

/* C (n, columns) = act((C when accumulate) + bias + sum_t A_t B_t), bias (columns) or NULL
 * (zero); C must not overlap any A_t or B_t. For thin B_t (small k_t and columns, large n) on
 * host memory: an AVX-512 kernel when the processor has it (cpu_dense.c), reading each A_t in
 * place with no packing and applying the activation before the single store; OpenBLAS on row
 * tiles otherwise. Long k_t are cut into passes that keep their piece of B_t in L1. */
void sciml_cpu_dense_terms(int64_t n, int64_t columns, int term_count, const sciml_cpu_term *terms,
                           const double *bias, int accumulate, sciml_cpu_activation activation,
                           double *c, int64_t ldc);

/* C (n, columns) = act(A (n, k) B (k, columns) + bias), act ReLU when relu, else identity;
 * bias may be NULL (zero). Row-major with leading dimensions lda, ldb, ldc; C must not overlap
 * A or B. sciml_cpu_dense_terms with one term. */
void sciml_cpu_dense(int64_t n, int64_t k, int64_t columns, const double *a, int64_t lda,
                     const double *b, int64_t ldb, const double *bias, int relu, double *c,
                     int64_t ldc);
/* C (rows, columns) += A^T B for A (n, rows) and B (n, columns), a reduction over n (the weight
 * gradient of such a layer): both tall operands read in place, AVX-512 when the processor has
 * it, OpenBLAS otherwise. Nothing is done when a size is below 1. */
void sciml_cpu_dense_reduce(int64_t n, int64_t rows, int64_t columns, const double *a, int64_t lda,
                            const double *b, int64_t ldb, double *c, int64_t ldc);

#endif /* SCIML_BACKEND_CPU_H */
