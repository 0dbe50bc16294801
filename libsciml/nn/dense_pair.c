/* Two dense layers in one graph node, for inference heads such as the FNO projection:
 *
 *   h = act(x W1 + b1),   y = h W2 + b2,   x (rows, in), h (rows, hidden), y (rows, out)
 *
 * Run as separate nodes over a whole batch, h is written to memory, read back by the
 * activation, written again and read by the second product (for the FNO head, 20 x 1024 rows
 * of 128 values: four passes over 20 MB per batch). Here the rows go in tiles of TILE_ROWS: h of
 * one tile is made by the dense kernel with the activation before its store and consumed at once
 * while it is in L2, so only x and y touch memory. The values are those of the separate nodes
 * to rounding.
 * Backward, per tile, recomputing z1 = x W1 + b1 and h in the graph's scratch:
 *   gW2 += h^T gy,  gb2 += sum_rows gy,  gh = gy W2^T,  gz1 = act'(z1) gh,
 *   gW1 += x^T gz1,  gb1 += sum_rows gz1,  gx += gz1 W1^T.
 */
#include "sciml/nn.h"

#include "backend/cpu.h"

#include <cblas.h>
#include <stdlib.h>

enum { TILE_ROWS = 64 };

typedef struct pair_state {
    int64_t in, hidden, out;
    sciml_cpu_activation activation;
} pair_state;

/* h (rows, hidden) = act(x W1 + b1) into h, with z1 = x W1 + b1 into z when z is not NULL. */
static void hidden_tile(const pair_state *p, int64_t rows, const double *x, const double *w1,
                        const double *b1, double *z, double *h) {
    const sciml_cpu_term term = {p->in, x, p->in, w1, p->hidden};
    if (!z) {
        sciml_cpu_dense_terms(rows, p->hidden, 1, &term, b1, 0, p->activation, h, p->hidden);
        return;
    }
    sciml_cpu_dense_terms(rows, p->hidden, 1, &term, b1, 0, SCIML_CPU_IDENTITY, z, p->hidden);
    const int64_t count = rows * p->hidden;
    if (p->activation == SCIML_CPU_GELU)
        sciml_cpu_gelu(count, z, h);
    else
        for (int64_t i = 0; i < count; i++)
            h[i] = p->activation == SCIML_CPU_RELU && z[i] < 0.0 ? 0.0 : z[i];
}

/* inputs: x (..., in), W1 (in, hidden), b1 (hidden), W2 (hidden, out), b2 (out). */
static sciml_status pair_forward(void *state, int input_count, const sciml_tensor_view *inputs,
                                 sciml_tensor_view *out, void *scratch) {
    (void)input_count;
    const pair_state *p = state;
    const int64_t rows = inputs[0].count / p->in;
    double *h = scratch; /* (TILE_ROWS, hidden) */
    for (int64_t r0 = 0; r0 < rows; r0 += TILE_ROWS) {
        const int64_t n = rows - r0 < TILE_ROWS ? rows - r0 : TILE_ROWS;
        hidden_tile(p, n, inputs[0].value + r0 * p->in, inputs[1].value, inputs[2].value, NULL, h);
        const sciml_cpu_term term = {p->hidden, h, p->hidden, inputs[3].value, p->out};
        sciml_cpu_dense_terms(n, p->out, 1, &term, inputs[4].value, 0, SCIML_CPU_IDENTITY,
                              out->value + r0 * p->out, p->out);
    }
    return SCIML_OK;
}

/* gbias (n) += sum over rows of g (rows, n) */
static void add_column_sums(int64_t rows, int64_t n, const double *g, double *gbias) {
    for (int64_t r = 0; r < rows; r++)
        for (int64_t j = 0; j < n; j++)
            gbias[j] += g[r * n + j];
}

static sciml_status pair_backward(void *state, int input_count, const sciml_tensor_view *inputs,
                                  const sciml_tensor_view *out, void *scratch) {
    (void)input_count;
    const pair_state *p = state;
    const int64_t in = p->in, hidden = p->hidden, o = p->out;
    const int64_t rows = inputs[0].count / in;
    double *z = scratch, *h = z + TILE_ROWS * hidden, *gh = h + TILE_ROWS * hidden;
    const double *w1 = inputs[1].value, *w2 = inputs[3].value;
    for (int64_t r0 = 0; r0 < rows; r0 += TILE_ROWS) {
        const int64_t n = rows - r0 < TILE_ROWS ? rows - r0 : TILE_ROWS;
        const double *x = inputs[0].value + r0 * in, *gy = out->grad + r0 * o;
        hidden_tile(p, n, x, w1, inputs[2].value, z, h);
        if (inputs[3].grad) /* gW2 += h^T gy */
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)hidden, (int)o, (int)n, 1.0,
                        h, (int)hidden, gy, (int)o, 1.0, inputs[3].grad, (int)o);
        if (inputs[4].grad)
            add_column_sums(n, o, gy, inputs[4].grad);
        if (!inputs[0].grad && !inputs[1].grad && !inputs[2].grad)
            continue;
        /* gh = gy W2^T, then gz1 = act'(z1) gh in place */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)hidden, (int)o, 1.0, gy,
                    (int)o, w2, (int)o, 0.0, gh, (int)hidden);
        const int64_t count = n * hidden;
        if (p->activation == SCIML_CPU_GELU) {
            sciml_cpu_gelu_backward(count, z, h, gh, z, 0); /* gz1 over z (read first) */
        } else {
            for (int64_t i = 0; i < count; i++)
                z[i] = p->activation == SCIML_CPU_RELU && z[i] < 0.0 ? 0.0 : gh[i];
        }
        const double *gz = z;
        if (inputs[1].grad) /* gW1 += x^T gz1 */
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)in, (int)hidden, (int)n, 1.0,
                        x, (int)in, gz, (int)hidden, 1.0, inputs[1].grad, (int)hidden);
        if (inputs[2].grad)
            add_column_sums(n, hidden, gz, inputs[2].grad);
        if (inputs[0].grad) /* gx += gz1 W1^T */
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)in, (int)hidden, 1.0,
                        gz, (int)hidden, w1, (int)hidden, 1.0, inputs[0].grad + r0 * in, (int)in);
    }
    return SCIML_OK;
}

static void pair_destroy(void *state) {
    free(state);
}

static const sciml_op_def pair_op = {"dense_pair", pair_forward, pair_backward, pair_destroy};

sciml_node sciml_dense_pair_apply(sciml_ctx *ctx, sciml_graph *g, const sciml_dense *first,
                                  const sciml_dense *second, sciml_node x) {
    if (!g || !first || !second) {
        sciml_error(ctx, SCIML_ERR_ARG, "dense pair: NULL argument");
        return SCIML_NO_NODE;
    }
    if (first->output_size != second->input_size) {
        sciml_error(ctx, SCIML_ERR_SHAPE,
                    "dense pair: the first layer gives %lld values, the second takes %lld",
                    (long long)first->output_size, (long long)second->input_size);
        return SCIML_NO_NODE;
    }
    if (second->activation != SCIML_ACT_IDENTITY ||
        (first->activation != SCIML_ACT_IDENTITY && first->activation != SCIML_ACT_RELU &&
         first->activation != SCIML_ACT_GELU)) {
        sciml_error(ctx, SCIML_ERR_UNSUPPORTED,
                    "dense pair: activations %d and %d, expected identity, ReLU or GELU, then "
                    "identity",
                    (int)first->activation, (int)second->activation);
        return SCIML_NO_NODE;
    }
    int64_t shape[SCIML_MAX_DIMS];
    const int ndim = sciml_graph_shape(g, x, shape);
    if (ndim < 1 || shape[ndim - 1] != first->input_size) {
        sciml_error(ctx, SCIML_ERR_SHAPE, "dense pair: input's last axis is %lld, expected %lld",
                    ndim < 1 ? -1LL : (long long)shape[ndim - 1], (long long)first->input_size);
        return SCIML_NO_NODE;
    }
    pair_state *p = calloc(1, sizeof *p);
    if (!p) {
        sciml_error(ctx, SCIML_ERR_NOMEM, "dense pair: out of memory");
        return SCIML_NO_NODE;
    }
    p->in = first->input_size;
    p->hidden = first->output_size;
    p->out = second->output_size;
    p->activation = first->activation == SCIML_ACT_GELU   ? SCIML_CPU_GELU
                    : first->activation == SCIML_ACT_RELU ? SCIML_CPU_RELU
                                                          : SCIML_CPU_IDENTITY;
    shape[ndim - 1] = p->out;
    const sciml_node inputs[5] = {x, first->weight, first->bias, second->weight, second->bias};
    const size_t scratch = (size_t)(3 * TILE_ROWS * p->hidden) * sizeof(double); /* z, h, gh */
    sciml_node y = sciml_custom(g, &pair_op, p, 5, inputs, ndim, shape, scratch);
    /* backward reads x and the weights, not its output */
    if (y != SCIML_NO_NODE && sciml_custom_set_backward_reads(g, y, 0xFu, 0) != SCIML_OK)
        return SCIML_NO_NODE;
    return y;
}
