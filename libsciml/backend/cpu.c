/* The CPU backend: every kernel the graph runs, on raw row-major double arrays.
 *
 * Matrix products go to OpenBLAS (cblas_dgemm). Elementwise maps and their derivatives:
 *   tanh' = 1 - y^2, sigmoid' = y (1 - y), softplus' = sigmoid(x), relu' = [x > 0],
 *   gelu(x) = x Phi(x), gelu' = Phi(x) + x phi(x), exp' = y, log' = 1/x, sqrt' = 1/(2y),
 *   sin' = cos, cos' = -sin, square' = 2x.
 * Broadcast binary ops walk the output with per-input strides (0 on broadcast dimensions);
 * their adjoints accumulate into the inputs, which sums over the broadcast dimensions.
 * Losses: mse = mean (p - t)^2; rel_l2 = mean_r ||d_r|| / ||t_r|| with d = p - t, whose
 * gradients are d_r / (R ||d_r|| ||t_r||) for p and -d_r / (R ||d_r|| ||t_r||) -
 * ||d_r|| t_r / (R ||t_r||^3) for t (taken as 0 where ||d_r|| = 0).
 */
#include "backend/cpu.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- memory -------------------------------------------------------------------------------- */

static void *cpu_alloc(size_t bytes) {
    size_t rounded = (bytes + 63) / 64 * 64;
    if (rounded < bytes)
        return NULL;
    if (rounded == 0)
        rounded = 64;
    void *memory = aligned_alloc(64, rounded);
    if (memory)
        memset(memory, 0, rounded);
    return memory;
}

static void cpu_release(void *memory) {
    free(memory);
}

static void cpu_upload_rows(double *device, const double *host, int64_t row_length,
                            const int64_t *rows, int64_t count) {
    size_t bytes = (size_t)row_length * sizeof(double);
    for (int64_t r = 0; r < count; r++)
        memcpy(device + r * row_length, host + rows[r] * row_length, bytes);
}

static void cpu_upload(double *device, const double *host, int64_t count) {
    if (count > 0)
        memcpy(device, host, (size_t)count * sizeof(double));
}

static void cpu_download(double *host, const double *device, int64_t count) {
    if (count > 0)
        memcpy(host, device, (size_t)count * sizeof(double));
}

static void cpu_fill(double *x, int64_t offset, int64_t count, double value) {
    double *restrict out = x + offset;
    for (int64_t i = 0; i < count; i++)
        out[i] = value;
}

/* ---- matrix products ------------------------------------------------------------------------ */

static void cpu_gemm(int transpose_a, int transpose_b, int64_t m, int64_t n, int64_t k,
                     double alpha, const double *a, int64_t lda, const double *b, int64_t ldb,
                     double beta, double *c, int64_t ldc) {
    if (m == 0 || n == 0)
        return;
    if (k == 0) { /* BLAS may skip the beta scaling when k is 0; make it explicit */
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < n; j++)
                c[i * ldc + j] = beta == 0.0 ? 0.0 : beta * c[i * ldc + j];
        return;
    }
    cblas_dgemm(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans,
                transpose_b ? CblasTrans : CblasNoTrans, (blasint)m, (blasint)n, (blasint)k, alpha,
                a, (blasint)lda, b, (blasint)ldb, beta, c, (blasint)ldc);
}

static void cpu_dense(int64_t rows, int64_t in, int64_t out, const double *x, const double *w,
                      const double *bias, double *y) {
    sciml_cpu_dense(rows, in, out, x, in, w, out, bias, 0, y, out);
}

static void cpu_broadcast_rows(int64_t rows, int64_t n, const double *restrict bias,
                               double *restrict y) {
    for (int64_t r = 0; r < rows; r++)
        memcpy(y + r * n, bias, (size_t)n * sizeof(double));
}

static void cpu_column_sum(int64_t rows, int64_t n, const double *restrict gy,
                           double *restrict gbias, int accumulate) {
    if (!accumulate)
        for (int64_t j = 0; j < n; j++)
            gbias[j] = 0.0;
    for (int64_t r = 0; r < rows; r++) {
        const double *restrict row = gy + r * n;
        for (int64_t j = 0; j < n; j++)
            gbias[j] += row[j];
    }
}

/* ---- elementwise unary ----------------------------------------------------------------------- */

static void cpu_unary_forward(sciml_unary kind, double p0, int64_t count, const double *restrict x,
                              double *restrict y) {
    switch (kind) {
    case SCIML_UNARY_COPY:
        memcpy(y, x, (size_t)count * sizeof(double));
        break;
    case SCIML_UNARY_SCALE:
        for (int64_t i = 0; i < count; i++)
            y[i] = p0 * x[i];
        break;
    case SCIML_UNARY_SHIFT:
        for (int64_t i = 0; i < count; i++)
            y[i] = x[i] + p0;
        break;
    case SCIML_UNARY_TANH:
        sciml_cpu_tanh(count, x, y);
        break;
    case SCIML_UNARY_RELU:
        for (int64_t i = 0; i < count; i++)
            y[i] = x[i] > 0.0 ? x[i] : 0.0;
        break;
    case SCIML_UNARY_GELU:
        sciml_cpu_gelu(count, x, y);
        break;
    case SCIML_UNARY_SIGMOID:
        sciml_cpu_sigmoid(count, x, y);
        break;
    case SCIML_UNARY_SOFTPLUS:
        /* log(1 + e^x) = max(x, 0) + log1p(e^{-|x|}) */
        for (int64_t i = 0; i < count; i++)
            y[i] = (x[i] > 0.0 ? x[i] : 0.0) + log1p(exp(-fabs(x[i])));
        break;
    case SCIML_UNARY_SIN:
        for (int64_t i = 0; i < count; i++)
            y[i] = sin(x[i]);
        break;
    case SCIML_UNARY_COS:
        for (int64_t i = 0; i < count; i++)
            y[i] = cos(x[i]);
        break;
    case SCIML_UNARY_EXP:
        sciml_cpu_exp(count, x, y);
        break;
    case SCIML_UNARY_LOG:
        for (int64_t i = 0; i < count; i++)
            y[i] = log(x[i]);
        break;
    case SCIML_UNARY_SQUARE:
        for (int64_t i = 0; i < count; i++)
            y[i] = x[i] * x[i];
        break;
    case SCIML_UNARY_SQRT:
        for (int64_t i = 0; i < count; i++)
            y[i] = sqrt(x[i]);
        break;
    }
}

/* Derivative f'(x) given x and y = f(x). */
static inline double unary_derivative(sciml_unary kind, double p0, double x, double y) {
    switch (kind) {
    case SCIML_UNARY_COPY:
    case SCIML_UNARY_SHIFT:
        return 1.0;
    case SCIML_UNARY_SCALE:
        return p0;
    case SCIML_UNARY_TANH:
        return 1.0 - y * y;
    case SCIML_UNARY_GELU: /* not reached: cpu_unary_backward calls sciml_cpu_gelu_backward */
        break;
    case SCIML_UNARY_RELU:
        return x > 0.0 ? 1.0 : 0.0;
    case SCIML_UNARY_SIGMOID:
        return y * (1.0 - y);
    case SCIML_UNARY_SOFTPLUS: {
        double z = exp(-fabs(x)); /* sigmoid(x), stable in both tails */
        return x >= 0.0 ? 1.0 / (1.0 + z) : z / (1.0 + z);
    }
    case SCIML_UNARY_SIN:
        return cos(x);
    case SCIML_UNARY_COS:
        return -sin(x);
    case SCIML_UNARY_EXP:
        return y;
    case SCIML_UNARY_LOG:
        return 1.0 / x;
    case SCIML_UNARY_SQUARE:
        return 2.0 * x;
    case SCIML_UNARY_SQRT:
        return 0.5 / y;
    }
    return 0.0;
}

static void cpu_unary_backward(sciml_unary kind, double p0, int64_t count, const double *restrict x,
                               const double *restrict y, const double *restrict gy,
                               double *restrict gx, int accumulate) {
    /* The hot activations get their own simple loops so that they vectorise. */
    if (kind == SCIML_UNARY_TANH) {
        if (accumulate)
            for (int64_t i = 0; i < count; i++)
                gx[i] += gy[i] * (1.0 - y[i] * y[i]);
        else
            for (int64_t i = 0; i < count; i++)
                gx[i] = gy[i] * (1.0 - y[i] * y[i]);
        return;
    }
    if (kind == SCIML_UNARY_SIGMOID) {
        for (int64_t i = 0; i < count; i++)
            gx[i] = (accumulate ? gx[i] : 0.0) + gy[i] * y[i] * (1.0 - y[i]);
        return;
    }
    if (kind == SCIML_UNARY_GELU) {
        sciml_cpu_gelu_backward(count, x, y, gy, gx, accumulate);
        return;
    }
    if (kind == SCIML_UNARY_RELU) { /* gy where x > 0 by a bit mask: no branch, vectorises */
        for (int64_t i = 0; i < count; i++) {
            uint64_t bits;
            double d;
            memcpy(&bits, &gy[i], sizeof(bits));
            bits &= (uint64_t)0 - (uint64_t)(x[i] > 0.0);
            memcpy(&d, &bits, sizeof(d));
            gx[i] = accumulate ? gx[i] + d : d;
        }
        return;
    }
    for (int64_t i = 0; i < count; i++) {
        double d = gy[i] * unary_derivative(kind, p0, x[i], y[i]);
        gx[i] = accumulate ? gx[i] + d : d;
    }
}

/* ---- broadcast binary ------------------------------------------------------------------------ */

static inline double binary_apply(sciml_binary kind, double a, double b) {
    switch (kind) {
    case SCIML_BINARY_ADD:
        return a + b;
    case SCIML_BINARY_SUB:
        return a - b;
    case SCIML_BINARY_MUL:
        return a * b;
    case SCIML_BINARY_DIV:
        return a / b;
    }
    return 0.0;
}

/* Walks the plan's outer dimensions (all but the last) and calls `inner` on each row of the
 * last dimension with the offsets of a, b and the output. */
#define BROADCAST_WALK(plan, BODY)                                                                 \
    do {                                                                                           \
        int last_ = (plan)->ndim - 1;                                                              \
        int64_t index_[SCIML_MAX_DIMS] = {0};                                                      \
        int64_t off_a = 0, off_b = 0, off_y = 0;                                                   \
        int64_t len = (plan)->shape[last_];                                                        \
        int64_t sa = (plan)->stride_a[last_], sb = (plan)->stride_b[last_];                        \
        int64_t rows_ = len > 0 ? (plan)->count / len : 0;                                         \
        for (int64_t row_ = 0; row_ < rows_; row_++) {                                             \
            BODY;                                                                                  \
            off_y += len;                                                                          \
            for (int d_ = last_ - 1; d_ >= 0; d_--) {                                              \
                index_[d_]++;                                                                      \
                off_a += (plan)->stride_a[d_];                                                     \
                off_b += (plan)->stride_b[d_];                                                     \
                if (index_[d_] < (plan)->shape[d_])                                                \
                    break;                                                                         \
                off_a -= (plan)->stride_a[d_] * (plan)->shape[d_];                                 \
                off_b -= (plan)->stride_b[d_] * (plan)->shape[d_];                                 \
                index_[d_] = 0;                                                                    \
            }                                                                                      \
        }                                                                                          \
    } while (0)

static void binary_row(sciml_binary kind, int64_t len, const double *restrict a, int64_t sa,
                       const double *restrict b, int64_t sb, double *restrict y) {
    if (sa == 1 && sb == 1) {
        switch (kind) {
        case SCIML_BINARY_ADD:
            for (int64_t i = 0; i < len; i++)
                y[i] = a[i] + b[i];
            return;
        case SCIML_BINARY_SUB:
            for (int64_t i = 0; i < len; i++)
                y[i] = a[i] - b[i];
            return;
        case SCIML_BINARY_MUL:
            for (int64_t i = 0; i < len; i++)
                y[i] = a[i] * b[i];
            return;
        case SCIML_BINARY_DIV:
            for (int64_t i = 0; i < len; i++)
                y[i] = a[i] / b[i];
            return;
        }
    }
    for (int64_t i = 0; i < len; i++)
        y[i] = binary_apply(kind, a[i * sa], b[i * sb]);
}

static void cpu_binary_forward(sciml_binary kind, const sciml_broadcast *plan, const double *a,
                               const double *b, double *y) {
    if (plan->count == 0)
        return;
    BROADCAST_WALK(plan, binary_row(kind, len, a + off_a, sa, b + off_b, sb, y + off_y));
}

/* ga[i sa] += d y / d a * gy[i] and gb[i sb] += d y / d b * gy[i] along one row. */
static void binary_backward_row(sciml_binary kind, int64_t len, const double *a, int64_t sa,
                                const double *b, int64_t sb, const double *y, const double *gy,
                                double *ga, double *gb) {
    for (int64_t i = 0; i < len; i++) {
        double g = gy[i];
        switch (kind) {
        case SCIML_BINARY_ADD:
            if (ga)
                ga[i * sa] += g;
            if (gb)
                gb[i * sb] += g;
            break;
        case SCIML_BINARY_SUB:
            if (ga)
                ga[i * sa] += g;
            if (gb)
                gb[i * sb] -= g;
            break;
        case SCIML_BINARY_MUL:
            if (ga)
                ga[i * sa] += g * b[i * sb];
            if (gb)
                gb[i * sb] += g * a[i * sa];
            break;
        case SCIML_BINARY_DIV: {
            double inverse = 1.0 / b[i * sb];
            if (ga)
                ga[i * sa] += g * inverse;
            if (gb)
                gb[i * sb] -= g * y[i] * inverse; /* d(a/b)/db = -a/b^2 = -y/b */
            break;
        }
        }
    }
}

static void cpu_binary_backward(sciml_binary kind, const sciml_broadcast *plan, const double *a,
                                const double *b, const double *y, const double *gy, double *ga,
                                double *gb) {
    if (plan->count == 0 || (!ga && !gb))
        return;
    BROADCAST_WALK(plan,
                   binary_backward_row(kind, len, a + off_a, sa, b + off_b, sb, y + off_y,
                                       gy + off_y, ga ? ga + off_a : NULL, gb ? gb + off_b : NULL));
}

/* ---- reductions and copies ------------------------------------------------------------------ */

static void cpu_reduce_axis(int64_t outer, int64_t n, int64_t inner, double scale,
                            const double *restrict x, double *restrict y) {
    for (int64_t o = 0; o < outer; o++) {
        double *restrict out = y + o * inner;
        for (int64_t i = 0; i < inner; i++)
            out[i] = 0.0;
        for (int64_t j = 0; j < n; j++) {
            const double *restrict row = x + (o * n + j) * inner;
            for (int64_t i = 0; i < inner; i++)
                out[i] += row[i];
        }
        for (int64_t i = 0; i < inner; i++)
            out[i] *= scale;
    }
}

static void cpu_expand_axis(int64_t outer, int64_t n, int64_t inner, double scale,
                            const double *restrict gy, double *restrict gx, int accumulate) {
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < n; j++) {
            const double *restrict in = gy + o * inner;
            double *restrict row = gx + (o * n + j) * inner;
            if (accumulate)
                for (int64_t i = 0; i < inner; i++)
                    row[i] += scale * in[i];
            else
                for (int64_t i = 0; i < inner; i++)
                    row[i] = scale * in[i];
        }
}

static void cpu_copy_blocks(int64_t outer, int64_t length, const double *src, int64_t src_offset,
                            int64_t src_stride, double *dst, int64_t dst_offset, int64_t dst_stride,
                            int accumulate) {
    for (int64_t o = 0; o < outer; o++) {
        const double *restrict from = src + src_offset + o * src_stride;
        double *restrict to = dst + dst_offset + o * dst_stride;
        if (accumulate)
            for (int64_t i = 0; i < length; i++)
                to[i] += from[i];
        else
            memcpy(to, from, (size_t)length * sizeof(double));
    }
}

static void cpu_transpose(int64_t rows, int64_t cols, const double *restrict src,
                          double *restrict dst, int accumulate) {
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < cols; c++)
            dst[c * rows + r] = (accumulate ? dst[c * rows + r] : 0.0) + src[r * cols + c];
}

/* ---- losses ---------------------------------------------------------------------------------- */

static void cpu_mse_forward(int64_t count, const double *restrict p, const double *restrict t,
                            double *out) {
    /* Eight interleaved partial sums (a fixed order, so results stay reproducible) let the
     * compiler vectorise what a single running sum would serialise. */
    double partial[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t blocked = count - count % 8;
    for (int64_t i = 0; i < blocked; i += 8)
        for (int j = 0; j < 8; j++) {
            double d = p[i + j] - t[i + j];
            partial[j] += d * d;
        }
    double sum = 0.0;
    for (int64_t i = blocked; i < count; i++) {
        double d = p[i] - t[i];
        sum += d * d;
    }
    for (int j = 0; j < 8; j++)
        sum += partial[j];
    out[0] = count > 0 ? sum / (double)count : 0.0;
}

static void cpu_mse_backward(int64_t count, const double *restrict p, const double *restrict t,
                             const double *gout, double *restrict gp, double *restrict gt,
                             int accumulate_p, int accumulate_t) {
    double factor = count > 0 ? 2.0 * gout[0] / (double)count : 0.0;
    if (gp)
        for (int64_t i = 0; i < count; i++)
            gp[i] = (accumulate_p ? gp[i] : 0.0) + factor * (p[i] - t[i]);
    if (gt)
        for (int64_t i = 0; i < count; i++)
            gt[i] = (accumulate_t ? gt[i] : 0.0) - factor * (p[i] - t[i]);
}

/* Norms of row r: ||p_r - t_r|| and ||t_r||. */
static void row_norms(int64_t n, const double *restrict p, const double *restrict t,
                      double *difference_norm, double *target_norm) {
    double dd = 0.0, tt = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double d = p[i] - t[i];
        dd += d * d;
        tt += t[i] * t[i];
    }
    *difference_norm = sqrt(dd);
    *target_norm = sqrt(tt);
}

static void cpu_rel_l2_forward(int64_t rows, int64_t n, const double *p, const double *t,
                               double *out) {
    double sum = 0.0;
    for (int64_t r = 0; r < rows; r++) {
        double dn, tn;
        row_norms(n, p + r * n, t + r * n, &dn, &tn);
        sum += dn / tn;
    }
    out[0] = rows > 0 ? sum / (double)rows : 0.0;
}

static void cpu_rel_l2_backward(int64_t rows, int64_t n, const double *p, const double *t,
                                const double *gout, double *gp, double *gt, int accumulate_p,
                                int accumulate_t) {
    double g = rows > 0 ? gout[0] / (double)rows : 0.0;
    for (int64_t r = 0; r < rows; r++) {
        const double *pr = p + r * n, *tr = t + r * n;
        double dn, tn;
        row_norms(n, pr, tr, &dn, &tn);
        double a = dn > 0.0 ? g / (dn * tn) : 0.0; /* coefficient of d_r */
        double c = g * dn / (tn * tn * tn);        /* coefficient of t_r in dL/dt */
        if (gp) {
            double *restrict out = gp + r * n;
            for (int64_t i = 0; i < n; i++)
                out[i] = (accumulate_p ? out[i] : 0.0) + a * (pr[i] - tr[i]);
        }
        if (gt) {
            double *restrict out = gt + r * n;
            for (int64_t i = 0; i < n; i++)
                out[i] = (accumulate_t ? out[i] : 0.0) - a * (pr[i] - tr[i]) - c * tr[i];
        }
    }
}

static const sciml_backend cpu_backend = {
    .name = "cpu",
    .alloc = cpu_alloc,
    .release = cpu_release,
    .upload = cpu_upload,
    .upload_rows = cpu_upload_rows,
    .download = cpu_download,
    .fill = cpu_fill,
    .gemm = cpu_gemm,
    .dense = cpu_dense,
    .broadcast_rows = cpu_broadcast_rows,
    .column_sum = cpu_column_sum,
    .unary_forward = cpu_unary_forward,
    .unary_backward = cpu_unary_backward,
    .binary_forward = cpu_binary_forward,
    .binary_backward = cpu_binary_backward,
    .reduce_axis = cpu_reduce_axis,
    .expand_axis = cpu_expand_axis,
    .copy_blocks = cpu_copy_blocks,
    .transpose = cpu_transpose,
    .mse_forward = cpu_mse_forward,
    .mse_backward = cpu_mse_backward,
    .rel_l2_forward = cpu_rel_l2_forward,
    .rel_l2_backward = cpu_rel_l2_backward,
};

const sciml_backend *sciml_backend_cpu(void) {
    return &cpu_backend;
}
