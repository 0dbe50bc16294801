/* The ops of the graph: shape rules at construction, forward and backward through the backend.
 *
 *   matmul   C = op(A) op(B)            dop(A) = dC op(B)^T,  dop(B) = op(A)^T dC
 *   linear   Y = X W + b (rows of X)    dX = dY W^T, dW = X^T dY, db = sum_rows dY
 *   binary   y = a (+ - * /) b, numpy-style trailing broadcasting; the adjoint sums over the
 *            broadcast dimensions: da = sum dy (1, 1, b, 1/b), db = sum dy (1, -1, a, -y/b)
 *   unary    y = f(x), dx = f'(x) dy (f' from x or the stored y; see backend/cpu.c)
 *   sum/mean y[o, i] = s sum_j x[o, j, i] (s = 1 or 1/n), dx[o, j, i] = s dy[o, i]
 *   slice, concat, reshape, transpose: copies, whose adjoints are the reverse copies
 *   mse      L = mean (p - t)^2;  rel_l2  L = mean_r ||p_r - t_r|| / ||t_r||
 *   custom   user callbacks with views of the node memory
 * This file never touches tensor memory itself: it computes sizes, strides and offsets and
 * calls g->backend. A gradient's first contribution in a backward pass overwrites it
 * (`accumulate` 0), later ones add.
 */
#include "ad/graph_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- small shape helpers ------------------------------------------------------------------- */

static const graph_node *node_at(const sciml_graph *g, sciml_node n) { return &g->nodes[n]; }

/* Product of dimensions [from, to) of node n at the current batch. */
static int64_t dims_product(const sciml_graph *g, sciml_node n, int from, int to) {
    int64_t shape[SCIML_MAX_DIMS];
    sciml_ad_resolved_shape(g, n, shape);
    int64_t product = 1;
    for (int d = from; d < to; d++)
        product *= shape[d];
    return product;
}

/* 1 when the first gradient contribution has been made (so the caller adds), else 0; marks the
 * gradient as written. */
static int gradient_accumulate(sciml_graph *g, sciml_node n) {
    int accumulate = g->grad_ready[n];
    g->grad_ready[n] = 1;
    return accumulate;
}

/* For kernels that only add: zero the gradient before its first contribution. */
static void gradient_prepare(sciml_graph *g, sciml_node n) {
    if (!g->grad_ready[n]) {
        g->backend->fill(g->nodes[n].grad, 0, sciml_ad_count(g, n), 0.0);
        g->grad_ready[n] = 1;
    }
}

static int wants_grad(const sciml_graph *g, sciml_node n) { return g->nodes[n].needs_grad; }

/* ---- matmul --------------------------------------------------------------------------------- */

sciml_node sciml_matmul(sciml_graph *g, sciml_node a, sciml_node b, int transpose_a,
                        int transpose_b) {
    sciml_node inputs[2] = {a, b};
    if (!sciml_ad_check_inputs(g, "matmul", 2, inputs))
        return SCIML_NO_NODE;
    const graph_node *na = node_at(g, a), *nb = node_at(g, b);
    char ta[96], tb[96];
    if (na->ndim != 2 || nb->ndim != 2)
        return sciml_ad_fail(g, SCIML_ERR_SHAPE, "matmul: expected two 2D operands, got %s x %s",
                             sciml_ad_shape_text(g, a, ta), sciml_ad_shape_text(g, b, tb));
    int64_t m = transpose_a ? na->shape[1] : na->shape[0];
    int64_t k = transpose_a ? na->shape[0] : na->shape[1];
    int64_t k2 = transpose_b ? nb->shape[1] : nb->shape[0];
    int64_t n = transpose_b ? nb->shape[0] : nb->shape[1];
    if (k != k2)
        return sciml_ad_fail(g, SCIML_ERR_SHAPE,
                             "matmul: inner dimensions differ, %s%s x %s%s", sciml_ad_shape_text(g, a, ta),
                             transpose_a ? "^T" : "", sciml_ad_shape_text(g, b, tb),
                             transpose_b ? "^T" : "");
    if (n == SCIML_BATCH)
        return sciml_ad_fail(g, SCIML_ERR_SHAPE,
                             "matmul: %s%s x %s%s would put the batch dimension last; only the "
                             "first dimension may be the batch",
                             sciml_ad_shape_text(g, a, ta), transpose_a ? "^T" : "",
                             sciml_ad_shape_text(g, b, tb), transpose_b ? "^T" : "");
    int64_t shape[2] = {m, n};
    sciml_node out = sciml_ad_add_node(g, GRAPH_OP_MATMUL, "matmul", 2, inputs, 2, shape);
    if (out != SCIML_NO_NODE) {
        g->nodes[out].transpose_a = transpose_a != 0;
        g->nodes[out].transpose_b = transpose_b != 0;
    }
    return out;
}

static void matmul_dims(const sciml_graph *g, sciml_node n, int64_t *m, int64_t *k, int64_t *cols,
                        int64_t *lda, int64_t *ldb) {
    const graph_node *node = node_at(g, n);
    int64_t sa[2], sb[2];
    sciml_ad_resolved_shape(g, node->inputs[0], sa);
    sciml_ad_resolved_shape(g, node->inputs[1], sb);
    *m = node->transpose_a ? sa[1] : sa[0];
    *k = node->transpose_a ? sa[0] : sa[1];
    *cols = node->transpose_b ? sb[0] : sb[1];
    *lda = sa[1];
    *ldb = sb[1];
}

static void matmul_forward(sciml_graph *g, sciml_node n) {
    const graph_node *node = node_at(g, n);
    int64_t m, k, cols, lda, ldb;
    matmul_dims(g, n, &m, &k, &cols, &lda, &ldb);
    g->backend->gemm(node->transpose_a, node->transpose_b, m, cols, k, 1.0,
                     node_at(g, node->inputs[0])->value, lda, node_at(g, node->inputs[1])->value,
                     ldb, 0.0, node->value, cols);
}

static void matmul_backward(sciml_graph *g, sciml_node n) {
    const graph_node *node = node_at(g, n);
    sciml_node a = node->inputs[0], b = node->inputs[1];
    int64_t m, k, cols, lda, ldb;
    matmul_dims(g, n, &m, &k, &cols, &lda, &ldb);
    const double *va = node_at(g, a)->value, *vb = node_at(g, b)->value, *gc = node->grad;
    int ta = node->transpose_a, tb = node->transpose_b;
    if (wants_grad(g, a)) {
        double beta = gradient_accumulate(g, a) ? 1.0 : 0.0;
        if (!ta) /* dA (m, k) = dC op(B)^T */
            g->backend->gemm(0, !tb, m, k, cols, 1.0, gc, cols, vb, ldb, beta,
                             node_at(g, a)->grad, k);
        else /* A stored (k, m): dA = op(B) dC^T */
            g->backend->gemm(tb, 1, k, m, cols, 1.0, vb, ldb, gc, cols, beta,
                             node_at(g, a)->grad, m);
    }
    if (wants_grad(g, b)) {
        double beta = gradient_accumulate(g, b) ? 1.0 : 0.0;
        if (!tb) /* dB (k, cols) = op(A)^T dC */
            g->backend->gemm(!ta, 0, k, cols, m, 1.0, va, lda, gc, cols, beta,
                             node_at(g, b)->grad, cols);
        else /* B stored (cols, k): dB = dC^T op(A) */
            g->backend->gemm(1, ta, cols, k, m, 1.0, gc, cols, va, lda, beta,
                             node_at(g, b)->grad, k);
    }
}

/* ---- linear --------------------------------------------------------------------------------- */

sciml_node sciml_linear(sciml_graph *g, sciml_node x, sciml_node w, sciml_node b) {
    sciml_node inputs[3] = {x, w, b};
    int count = b == SCIML_NO_NODE ? 2 : 3;
    if (!sciml_ad_check_inputs(g, "linear", count, inputs))
        return SCIML_NO_NODE;
    const graph_node *nx = node_at(g, x), *nw = node_at(g, w);
    char tx[96], tw[96], tb[96];
    if (nw->ndim != 2 || nw->batched)
        return sciml_ad_fail(g, SCIML_ERR_SHAPE,
                             "linear: weight has shape %s, expected 2D (in, out) without batch",
                             sciml_ad_shape_text(g, w, tw));
    if (nx->shape[nx->ndim - 1] != nw->shape[0] || (nx->ndim == 1 && nx->batched))
        return sciml_ad_fail(g, SCIML_ERR_SHAPE,
                             "linear: input %s does not match weight %s; expected x (..., %lld)",
                             sciml_ad_shape_text(g, x, tx), sciml_ad_shape_text(g, w, tw),
                             (long long)nw->shape[0]);
    if (count == 3) {
        const graph_node *nb = node_at(g, b);
        if (nb->ndim != 1 || nb->shape[0] != nw->shape[1])
            return sciml_ad_fail(g, SCIML_ERR_SHAPE,
                                 "linear: bias has shape %s, expected (%lld) for weight %s",
                                 sciml_ad_shape_text(g, b, tb), (long long)nw->shape[1],
                                 sciml_ad_shape_text(g, w, tw));
    }
    int64_t shape[SCIML_MAX_DIMS];
    memcpy(shape, nx->shape, (size_t)nx->ndim * sizeof *shape);
    shape[nx->ndim - 1] = nw->shape[1];
    sciml_node out = sciml_ad_add_node(g, GRAPH_OP_LINEAR, "linear", count, inputs, nx->ndim,
                                       shape);
    if (out != SCIML_NO_NODE)
        g->nodes[out].has_bias = count == 3;
    return out;
}

/* Inference graphs run linear layers whose weight has at most this many rows and columns on
 * the backend's one-pass dense kernel (no packing, bias in the same pass); training graphs
 * keep gemm, whose summation order their backward and the tests were written against. */
enum { THIN_WEIGHT = 512 };

static void linear_forward(sciml_graph *g, sciml_node n) {
    const graph_node *node = node_at(g, n);
    const graph_node *nw = node_at(g, node->inputs[1]);
    int64_t in = nw->shape[0], out = nw->shape[1];
    int64_t rows = sciml_ad_count(g, node->inputs[0]) / in;
    if (g->forward_only && in <= THIN_WEIGHT && out <= THIN_WEIGHT) { /* inference: one pass */
        g->backend->dense(rows, in, out, node_at(g, node->inputs[0])->value, nw->value,
                          node->has_bias ? node_at(g, node->inputs[2])->value : NULL, node->value);
        return;
    }
    double beta = 0.0;
    if (node->has_bias) {
        g->backend->broadcast_rows(rows, out, node_at(g, node->inputs[2])->value, node->value);
        beta = 1.0;
    }
    g->backend->gemm(0, 0, rows, out, in, 1.0, node_at(g, node->inputs[0])->value, in, nw->value,
                     out, beta, node->value, out);
}

static void linear_backward(sciml_graph *g, sciml_node n) {
    const graph_node *node = node_at(g, n);
    sciml_node x = node->inputs[0], w = node->inputs[1];
    int64_t in = node_at(g, w)->shape[0], out = node_at(g, w)->shape[1];
    int64_t rows = sciml_ad_count(g, x) / in;
    if (wants_grad(g, x)) /* dX (rows, in) = dY W^T */
        g->backend->gemm(0, 1, rows, in, out, 1.0, node->grad, out, node_at(g, w)->value, out,
                         gradient_accumulate(g, x) ? 1.0 : 0.0, node_at(g, x)->grad, in);
    if (wants_grad(g, w)) /* dW (in, out) = X^T dY */
        g->backend->gemm(1, 0, in, out, rows, 1.0, node_at(g, x)->value, in, node->grad, out,
                         gradient_accumulate(g, w) ? 1.0 : 0.0, node_at(g, w)->grad, out);
    if (node->has_bias && wants_grad(g, node->inputs[2]))
        g->backend->column_sum(rows, out, node->grad, node_at(g, node->inputs[2])->grad,
                               gradient_accumulate(g, node->inputs[2]));
}

/* ---- broadcast binary ------------------------------------------------------------------------- */

static const char *binary_name(sciml_binary kind) {
    static const char *const names[] = {"add", "sub", "mul", "div"};
    return names[kind];
}

static sciml_node binary(sciml_graph *g, sciml_binary kind, sciml_node a, sciml_node b) {
    const char *name = binary_name(kind);
    sciml_node inputs[2] = {a, b};
    if (!sciml_ad_check_inputs(g, name, 2, inputs))
        return SCIML_NO_NODE;
    const graph_node *na = node_at(g, a), *nb = node_at(g, b);
    int ndim = na->ndim > nb->ndim ? na->ndim : nb->ndim;
    int64_t shape[SCIML_MAX_DIMS];
    char ta[96], tb[96];
    for (int d = 0; d < ndim; d++) {
        int da = d - (ndim - na->ndim), db = d - (ndim - nb->ndim);
        int64_t sa = da >= 0 ? na->shape[da] : 1, sb = db >= 0 ? nb->shape[db] : 1;
        if (sa == sb || sb == 1)
            shape[d] = sa;
        else if (sa == 1)
            shape[d] = sb;
        else
            return sciml_ad_fail(g, SCIML_ERR_SHAPE,
                                 "%s: shapes %s and %s do not broadcast (trailing dimensions must "
                                 "be equal or 1)", name, sciml_ad_shape_text(g, a, ta),
                                 sciml_ad_shape_text(g, b, tb));
        if (shape[d] == SCIML_BATCH && d != 0)
            return sciml_ad_fail(g, SCIML_ERR_SHAPE,
                                 "%s: broadcasting %s with %s moves the batch dimension away from "
                                 "the first place", name, sciml_ad_shape_text(g, a, ta),
                                 sciml_ad_shape_text(g, b, tb));
    }
    sciml_node out = sciml_ad_add_node(g, GRAPH_OP_BINARY, name, 2, inputs, ndim, shape);
    if (out != SCIML_NO_NODE)
        g->nodes[out].binary = kind;
    return out;
}

sciml_node sciml_add(sciml_graph *g, sciml_node a, sciml_node b) {
    return binary(g, SCIML_BINARY_ADD, a, b);
}
sciml_node sciml_sub(sciml_graph *g, sciml_node a, sciml_node b) {
    return binary(g, SCIML_BINARY_SUB, a, b);
}
sciml_node sciml_mul(sciml_graph *g, sciml_node a, sciml_node b) {
    return binary(g, SCIML_BINARY_MUL, a, b);
}
sciml_node sciml_div(sciml_graph *g, sciml_node a, sciml_node b) {
    return binary(g, SCIML_BINARY_DIV, a, b);
}

/* Broadcast plan at the current batch: strides of a and b along the output, with size-1
 * dimensions dropped and adjacent dimensions merged where both operands are contiguous. */
static void broadcast_plan(const sciml_graph *g, sciml_node n, sciml_broadcast *plan) {
    const graph_node *node = node_at(g, n);
    int64_t out_shape[SCIML_MAX_DIMS], strides[2][SCIML_MAX_DIMS];
    sciml_ad_resolved_shape(g, n, out_shape);
    int ndim = node->ndim;
    for (int operand = 0; operand < 2; operand++) {
        sciml_node input = node->inputs[operand];
        int64_t in_shape[SCIML_MAX_DIMS];
        sciml_ad_resolved_shape(g, input, in_shape);
        int in_ndim = node_at(g, input)->ndim;
        int64_t stride = 1;
        for (int d = ndim - 1; d >= 0; d--) {
            int di = d - (ndim - in_ndim);
            if (di < 0 || (in_shape[di] == 1 && out_shape[d] != 1)) {
                strides[operand][d] = 0;
            } else {
                strides[operand][d] = stride;
                stride *= in_shape[di];
            }
        }
    }
    plan->ndim = 0;
    plan->count = 1;
    for (int d = 0; d < ndim; d++) {
        plan->count *= out_shape[d];
        if (out_shape[d] == 1)
            continue;
        int last = plan->ndim - 1;
        if (last >= 0 && plan->stride_a[last] == strides[0][d] * out_shape[d] &&
            plan->stride_b[last] == strides[1][d] * out_shape[d]) {
            plan->shape[last] *= out_shape[d];
            plan->stride_a[last] = strides[0][d];
            plan->stride_b[last] = strides[1][d];
            continue;
        }
        plan->shape[plan->ndim] = out_shape[d];
        plan->stride_a[plan->ndim] = strides[0][d];
        plan->stride_b[plan->ndim] = strides[1][d];
        plan->ndim++;
    }
    if (plan->ndim == 0) {
        plan->ndim = 1;
        plan->shape[0] = 1;
        plan->stride_a[0] = 0;
        plan->stride_b[0] = 0;
    }
}

static void binary_forward(sciml_graph *g, sciml_node n) {
    const graph_node *node = node_at(g, n);
    sciml_broadcast plan;
    broadcast_plan(g, n, &plan);
    g->backend->binary_forward(node->binary, &plan, node_at(g, node->inputs[0])->value,
                               node_at(g, node->inputs[1])->value, node->value);
}

static void binary_backward(sciml_graph *g, sciml_node n) {
    const graph_node *node = node_at(g, n);
    sciml_node a = node->inputs[0], b = node->inputs[1];
    sciml_broadcast plan;
    broadcast_plan(g, n, &plan);
    double *ga = NULL, *gb = NULL;
    if (wants_grad(g, a)) {
        gradient_prepare(g, a);
        ga = node_at(g, a)->grad;
    }
    if (wants_grad(g, b)) {
        gradient_prepare(g, b);
        gb = node_at(g, b)->grad;
    }
    g->backend->binary_backward(node->binary, &plan, node_at(g, a)->value, node_at(g, b)->value,
                                node->value, node->grad, ga, gb);
}

/* ---- unary ------------------------------------------------------------------------------------ */

static sciml_node unary(sciml_graph *g, const char *name, sciml_unary kind, sciml_node a,
                        double p0) {
    if (!sciml_ad_check_inputs(g, name, 1, &a))
        return SCIML_NO_NODE;
    const graph_node *na = node_at(g, a);
    int64_t shape[SCIML_MAX_DIMS];
    memcpy(shape, na->shape, sizeof shape);
    sciml_node out = sciml_ad_add_node(g, GRAPH_OP_UNARY, name, 1, &a, na->ndim, shape);
    if (out != SCIML_NO_NODE) {
        g->nodes[out].unary = kind;
        g->nodes[out].real_arg = p0;
    }
    return out;
}

sciml_node sciml_scale(sciml_graph *g, sciml_node a, double alpha) {
    return unary(g, "scale", SCIML_UNARY_SCALE, a, alpha);
}
sciml_node sciml_add_scalar(sciml_graph *g, sciml_node a, double c) {
    return unary(g, "add_scalar", SCIML_UNARY_SHIFT, a, c);
}
sciml_node sciml_tanh(sciml_graph *g, sciml_node a) { return unary(g, "tanh", SCIML_UNARY_TANH, a, 0); }
sciml_node sciml_sin(sciml_graph *g, sciml_node a) { return unary(g, "sin", SCIML_UNARY_SIN, a, 0); }
sciml_node sciml_cos(sciml_graph *g, sciml_node a) { return unary(g, "cos", SCIML_UNARY_COS, a, 0); }
sciml_node sciml_exp(sciml_graph *g, sciml_node a) { return unary(g, "exp", SCIML_UNARY_EXP, a, 0); }
sciml_node sciml_logarithm(sciml_graph *g, sciml_node a) {
    return unary(g, "logarithm", SCIML_UNARY_LOG, a, 0);
}
sciml_node sciml_relu(sciml_graph *g, sciml_node a) { return unary(g, "relu", SCIML_UNARY_RELU, a, 0); }
sciml_node sciml_gelu(sciml_graph *g, sciml_node a) { return unary(g, "gelu", SCIML_UNARY_GELU, a, 0); }
sciml_node sciml_softplus(sciml_graph *g, sciml_node a) {
    return unary(g, "softplus", SCIML_UNARY_SOFTPLUS, a, 0);
}
sciml_node sciml_sigmoid(sciml_graph *g, sciml_node a) {
    return unary(g, "sigmoid", SCIML_UNARY_SIGMOID, a, 0);
}
sciml_node sciml_square(sciml_graph *g, sciml_node a) {
    return unary(g, "square", SCIML_UNARY_SQUARE, a, 0);
}
sciml_node sciml_sqrt(sciml_graph *g, sciml_node a) { return unary(g, "sqrt", SCIML_UNARY_SQRT, a, 0); }

sciml_node sciml_activate(sciml_graph *g, sciml_node a, sciml_activation activation) {
    switch (activation) {
    case SCIML_ACT_IDENTITY:
        return sciml_ad_check_inputs(g, "activate", 1, &a) ? a : SCIML_NO_NODE;
    case SCIML_ACT_TANH:
        return sciml_tanh(g, a);
    case SCIML_ACT_RELU:
        return sciml_relu(g, a);
    case SCIML_ACT_GELU:
        return sciml_gelu(g, a);
    case SCIML_ACT_SIGMOID:
        return sciml_sigmoid(g, a);
    case SCIML_ACT_SOFTPLUS:
        return sciml_softplus(g, a);
    case SCIML_ACT_SIN:
        return sciml_sin(g, a);
    }
    if (!g)
        return SCIML_NO_NODE;
    return sciml_ad_fail(g, SCIML_ERR_ARG, "activate: unknown activation %d", (int)activation);
}

static void unary_forward(sciml_graph *g, sciml_node n) {
    const graph_node *node = node_at(g, n);
    g->backend->unary_forward(node->unary, node->real_arg, sciml_ad_count(g, n),
                              node_at(g, node->inputs[0])->value, node->value);
}

static void unary_backward(sciml_graph *g, sciml_node n) {
    const graph_node *node = node_at(g, n);
    sciml_node x = node->inputs[0];
    g->backend->unary_backward(node->unary, node->real_arg, sciml_ad_count(g, n),
                               node_at(g, x)->value, node->value, node->grad, node_at(g, x)->grad,
                               gradient_accumulate(g, x));
}

/* ---- reductions --------------------------------------------------------------------------------- */

static sciml_node reduction(sciml_graph *g, graph_op op, const char *name, sciml_node a, int axis) {
    if (!sciml_ad_check_inputs(g, name, 1, &a))
        return SCIML_NO_NODE;
    const graph_node *na = node_at(g, a);
    int64_t shape[SCIML_MAX_DIMS] = {1};
    int ndim = 1;
    if (axis != SCIML_ALL_AXES) {
        if (axis < 0 || axis >= na->ndim) {
            char text[96];
            return sciml_ad_fail(g, SCIML_ERR_SHAPE,
                                 "%s: axis %d is out of range for shape %s (expected 0..%d or "
                                 "SCIML_ALL_AXES)", name, axis, sciml_ad_shape_text(g, a, text),
                                 na->ndim - 1);
        }
        ndim = 0;
        for (int d = 0; d < na->ndim; d++)
            if (d != axis)
                shape[ndim++] = na->shape[d];
        if (ndim == 0) {
            shape[0] = 1;
            ndim = 1;
        }
    }
    sciml_node out = sciml_ad_add_node(g, op, name, 1, &a, ndim, shape);
    if (out != SCIML_NO_NODE)
        g->nodes[out].axis = axis;
    return out;
}

sciml_node sciml_sum(sciml_graph *g, sciml_node a, int axis) {
    return reduction(g, GRAPH_OP_SUM, "sum", a, axis);
}
sciml_node sciml_mean(sciml_graph *g, sciml_node a, int axis) {
    return reduction(g, GRAPH_OP_MEAN, "mean", a, axis);
}

/* The input viewed as (outer, n, inner) and the scale (1 or 1/n at the current batch). */
static void reduction_dims(const sciml_graph *g, sciml_node n, int64_t *outer, int64_t *length,
                           int64_t *inner, double *scale) {
    const graph_node *node = node_at(g, n);
    sciml_node a = node->inputs[0];
    int ndim = node_at(g, a)->ndim;
    if (node->axis == SCIML_ALL_AXES) {
        *outer = 1;
        *length = sciml_ad_count(g, a);
        *inner = 1;
    } else {
        *outer = dims_product(g, a, 0, node->axis);
        *length = dims_product(g, a, node->axis, node->axis + 1);
        *inner = dims_product(g, a, node->axis + 1, ndim);
    }
    *scale = node->op == GRAPH_OP_MEAN && *length > 0 ? 1.0 / (double)*length : 1.0;
}

static void reduction_forward(sciml_graph *g, sciml_node n) {
    const graph_node *node = node_at(g, n);
    int64_t outer, length, inner;
    double scale;
    reduction_dims(g, n, &outer, &length, &inner, &scale);
    g->backend->reduce_axis(outer, length, inner, scale, node_at(g, node->inputs[0])->value,
                            node->value);
}

static void reduction_backward(sciml_graph *g, sciml_node n) {
    const graph_node *node = node_at(g, n);
    sciml_node a = node->inputs[0];
    int64_t outer, length, inner;
    double scale;
    reduction_dims(g, n, &outer, &length, &inner, &scale);
    g->backend->expand_axis(outer, length, inner, scale, node->grad, node_at(g, a)->grad,
                            gradient_accumulate(g, a));
}

/* ---- slice, concat, reshape, transpose --------------------------------------------------------- */

sciml_node sciml_slice(sciml_graph *g, sciml_node a, int axis, int64_t start, int64_t stop) {
    if (!sciml_ad_check_inputs(g, "slice", 1, &a))
        return SCIML_NO_NODE;
    const graph_node *na = node_at(g, a);
    char text[96];
    if (axis < 0 || axis >= na->ndim)
        return sciml_ad_fail(g, SCIML_ERR_SHAPE, "slice: axis %d is out of range for shape %s",
                             axis, sciml_ad_shape_text(g, a, text));
    if (na->shape[axis] == SCIML_BATCH)
        return sciml_ad_fail(g, SCIML_ERR_SHAPE,
                             "slice: cannot slice the batch dimension of %s (axis 0)",
                             sciml_ad_shape_text(g, a, text));
    if (start < 0 || stop <= start || stop > na->shape[axis])
        return sciml_ad_fail(g, SCIML_ERR_SHAPE,
                             "slice: range [%lld, %lld) along axis %d of %s; expected 0 <= start "
                             "< stop <= %lld", (long long)start, (long long)stop, axis,
                             sciml_ad_shape_text(g, a, text), (long long)na->shape[axis]);
    int64_t shape[SCIML_MAX_DIMS];
    memcpy(shape, na->shape, sizeof shape);
    shape[axis] = stop - start;
    sciml_node out = sciml_ad_add_node(g, GRAPH_OP_SLICE, "slice", 1, &a, na->ndim, shape);
    if (out != SCIML_NO_NODE) {
        g->nodes[out].axis = axis;
        g->nodes[out].start = start;
        g->nodes[out].stop = stop;
    }
    return out;
}

static void slice_run(sciml_graph *g, sciml_node n, int backward) {
    const graph_node *node = node_at(g, n);
    sciml_node a = node->inputs[0];
    int ndim = node_at(g, a)->ndim, axis = node->axis;
    int64_t outer = dims_product(g, a, 0, axis);
    int64_t inner = dims_product(g, a, axis + 1, ndim);
    int64_t full = node_at(g, a)->shape[axis] * inner;
    int64_t length = (node->stop - node->start) * inner;
    int64_t offset = node->start * inner;
    if (!backward) {
        g->backend->copy_blocks(outer, length, node_at(g, a)->value, offset, full, node->value, 0,
                                length, 0);
    } else {
        gradient_prepare(g, a); /* the slice covers only part of a */
        g->backend->copy_blocks(outer, length, node->grad, 0, length, node_at(g, a)->grad, offset,
                                full, 1);
    }
}

sciml_node sciml_concat(sciml_graph *g, int count, const sciml_node *inputs, int axis) {
    if (!g)
        return SCIML_NO_NODE;
    if (count < 1 || !inputs) {
        if (!sciml_ad_check_inputs(g, "concat", 0, NULL))
            return SCIML_NO_NODE;
        return sciml_ad_fail(g, SCIML_ERR_ARG, "concat: %d inputs, expected at least 1", count);
    }
    if (!sciml_ad_check_inputs(g, "concat", count, inputs))
        return SCIML_NO_NODE;
    const graph_node *first = node_at(g, inputs[0]);
    char t0[96], ti[96];
    if (axis < 0 || axis >= first->ndim)
        return sciml_ad_fail(g, SCIML_ERR_SHAPE, "concat: axis %d is out of range for shape %s",
                             axis, sciml_ad_shape_text(g, inputs[0], t0));
    if (first->shape[axis] == SCIML_BATCH)
        return sciml_ad_fail(g, SCIML_ERR_SHAPE,
                             "concat: cannot join along the batch dimension (axis 0 of %s)",
                             sciml_ad_shape_text(g, inputs[0], t0));
    int64_t shape[SCIML_MAX_DIMS];
    memcpy(shape, first->shape, sizeof shape);
    shape[axis] = 0;
    for (int i = 0; i < count; i++) {
        const graph_node *ni = node_at(g, inputs[i]);
        int same = ni->ndim == first->ndim;
        for (int d = 0; same && d < first->ndim; d++)
            same = d == axis || ni->shape[d] == first->shape[d];
        if (!same)
            return sciml_ad_fail(g, SCIML_ERR_SHAPE,
                                 "concat: input %d has shape %s, input 0 has %s; all dimensions "
                                 "except axis %d must agree", i,
                                 sciml_ad_shape_text(g, inputs[i], ti),
                                 sciml_ad_shape_text(g, inputs[0], t0), axis);
        if (sciml_add_i64(shape[axis], ni->shape[axis], &shape[axis]))
            return sciml_ad_fail(g, SCIML_ERR_OVERFLOW, "concat: size overflows");
    }
    sciml_node out = sciml_ad_add_node(g, GRAPH_OP_CONCAT, "concat", count, inputs, first->ndim,
                                       shape);
    if (out != SCIML_NO_NODE)
        g->nodes[out].axis = axis;
    return out;
}

static void concat_run(sciml_graph *g, sciml_node n, int backward) {
    const graph_node *node = node_at(g, n);
    int axis = node->axis;
    int64_t outer = dims_product(g, n, 0, axis);
    int64_t inner = dims_product(g, n, axis + 1, node->ndim);
    int64_t full = node->shape[axis] * inner;
    int64_t offset = 0;
    for (int i = 0; i < node->input_count; i++) {
        sciml_node in = node->inputs[i];
        int64_t length = node_at(g, in)->shape[axis] * inner;
        if (!backward)
            g->backend->copy_blocks(outer, length, node_at(g, in)->value, 0, length, node->value,
                                    offset, full, 0);
        else if (wants_grad(g, in))
            g->backend->copy_blocks(outer, length, node->grad, offset, full, node_at(g, in)->grad,
                                    0, length, gradient_accumulate(g, in));
        offset += length;
    }
}

sciml_node sciml_reshape(sciml_graph *g, sciml_node a, int ndim, const int64_t *shape) {
    if (!sciml_ad_check_inputs(g, "reshape", 1, &a))
        return SCIML_NO_NODE;
    if (!shape || ndim < 1 || ndim > SCIML_MAX_DIMS)
        return sciml_ad_fail(g, SCIML_ERR_SHAPE, "reshape: %d dimensions, expected 1 to %d", ndim,
                             SCIML_MAX_DIMS);
    const graph_node *na = node_at(g, a);
    char text[96];
    int batched = shape[0] == SCIML_BATCH;
    if (batched != na->batched)
        return sciml_ad_fail(g, SCIML_ERR_SHAPE,
                             "reshape: %s %s the batch dimension, so the new shape must %sstart "
                             "with SCIML_BATCH", sciml_ad_shape_text(g, a, text),
                             na->batched ? "has" : "does not have", na->batched ? "" : "not ");
    int64_t product = 1;
    for (int d = batched; d < ndim; d++)
        if (shape[d] < 1 || sciml_mul_i64(product, shape[d], &product))
            return sciml_ad_fail(g, SCIML_ERR_SHAPE, "reshape: dimension %d is %lld, expected >= 1",
                                 d, (long long)shape[d]);
    if (product != na->fixed_count)
        return sciml_ad_fail(g, SCIML_ERR_SHAPE,
                             "reshape: %s has %lld elements%s, the new shape has %lld",
                             sciml_ad_shape_text(g, a, text), (long long)na->fixed_count,
                             batched ? " per batch entry" : "", (long long)product);
    return sciml_ad_add_node(g, GRAPH_OP_RESHAPE, "reshape", 1, &a, ndim, shape);
}

sciml_node sciml_transpose(sciml_graph *g, sciml_node a) {
    if (!sciml_ad_check_inputs(g, "transpose", 1, &a))
        return SCIML_NO_NODE;
    const graph_node *na = node_at(g, a);
    char text[96];
    if (na->ndim != 2 || na->batched)
        return sciml_ad_fail(g, SCIML_ERR_SHAPE,
                             "transpose: %s; expected a 2D node without batch dimension (use "
                             "matmul's transpose flags on batched operands)",
                             sciml_ad_shape_text(g, a, text));
    int64_t shape[2] = {na->shape[1], na->shape[0]};
    return sciml_ad_add_node(g, GRAPH_OP_TRANSPOSE, "transpose", 1, &a, 2, shape);
}

/* ---- losses --------------------------------------------------------------------------------------- */

static sciml_node loss(sciml_graph *g, graph_op op, const char *name, sciml_node pred,
                       sciml_node target) {
    sciml_node inputs[2] = {pred, target};
    if (!sciml_ad_check_inputs(g, name, 2, inputs))
        return SCIML_NO_NODE;
    const graph_node *np = node_at(g, pred), *nt = node_at(g, target);
    int same = np->ndim == nt->ndim;
    for (int d = 0; same && d < np->ndim; d++)
        same = np->shape[d] == nt->shape[d];
    if (!same) {
        char tp[96], tt[96];
        return sciml_ad_fail(g, SCIML_ERR_SHAPE,
                             "%s: prediction %s and target %s must have the same shape", name,
                             sciml_ad_shape_text(g, pred, tp), sciml_ad_shape_text(g, target, tt));
    }
    int64_t shape[1] = {1};
    return sciml_ad_add_node(g, op, name, 2, inputs, 1, shape);
}

sciml_node sciml_mse(sciml_graph *g, sciml_node pred, sciml_node target) {
    return loss(g, GRAPH_OP_MSE, "mse", pred, target);
}
sciml_node sciml_rel_l2(sciml_graph *g, sciml_node pred, sciml_node target) {
    return loss(g, GRAPH_OP_REL_L2, "rel_l2", pred, target);
}

static void loss_run(sciml_graph *g, sciml_node n, int backward) {
    const graph_node *node = node_at(g, n);
    sciml_node p = node->inputs[0], t = node->inputs[1];
    int64_t count = sciml_ad_count(g, p);
    int64_t rows = dims_product(g, p, 0, 1);
    const double *vp = node_at(g, p)->value, *vt = node_at(g, t)->value;
    if (!backward) {
        if (node->op == GRAPH_OP_MSE)
            g->backend->mse_forward(count, vp, vt, node->value);
        else
            g->backend->rel_l2_forward(rows, count / rows, vp, vt, node->value);
        return;
    }
    int accumulate_p = 0, accumulate_t = 0;
    double *gp = NULL, *gt = NULL;
    if (wants_grad(g, p)) {
        accumulate_p = gradient_accumulate(g, p);
        gp = node_at(g, p)->grad;
    }
    if (wants_grad(g, t)) {
        accumulate_t = gradient_accumulate(g, t);
        gt = node_at(g, t)->grad;
    }
    if (node->op == GRAPH_OP_MSE)
        g->backend->mse_backward(count, vp, vt, node->grad, gp, gt, accumulate_p, accumulate_t);
    else
        g->backend->rel_l2_backward(rows, count / rows, vp, vt, node->grad, gp, gt, accumulate_p,
                                    accumulate_t);
}

/* ---- custom ops ------------------------------------------------------------------------------------ */

sciml_node sciml_custom(sciml_graph *g, const sciml_op_def *op, void *state, int count,
                        const sciml_node *inputs, int ndim, const int64_t *shape,
                        size_t scratch_bytes) {
    const char *name = op && op->name ? op->name : "custom";
    if (!g || !sciml_ad_check_inputs(g, name, count > 0 && inputs ? count : 0, inputs)) {
        if (op && op->destroy && state)
            op->destroy(state); /* ownership was passed to us */
        return SCIML_NO_NODE;
    }
    sciml_node out = SCIML_NO_NODE;
    if (!op || !op->forward || !op->backward)
        sciml_ad_fail(g, SCIML_ERR_ARG, "%s: the op needs forward and backward callbacks", name);
    else if (count < 0 || (count > 0 && !inputs) || !shape)
        sciml_ad_fail(g, SCIML_ERR_ARG, "%s: %d inputs or shape missing", name, count);
    else
        out = sciml_ad_add_node(g, GRAPH_OP_CUSTOM, name, count, inputs, ndim, shape);
    if (out == SCIML_NO_NODE) {
        if (op && op->destroy && state)
            op->destroy(state);
        return SCIML_NO_NODE;
    }
    g->nodes[out].custom = op;
    g->nodes[out].custom_state = state;
    g->nodes[out].custom_reads = UINT32_MAX; /* until declared: every input and the output */
    g->nodes[out].custom_reads_output = 1;
    g->nodes[out].scratch_bytes = scratch_bytes;
    return out;
}

/* The custom node n of an unbuilt graph, or NULL with the error (what: the caller's name). */
static graph_node *custom_node(sciml_graph *g, sciml_node n, const char *what,
                               sciml_status *status) {
    *status = SCIML_ERR_ARG;
    if (!g)
        return NULL;
    if (g->built) {
        *status = sciml_error(g->ctx, SCIML_ERR_STATE, "%s: the graph is built", what);
        return NULL;
    }
    if (n < 0 || n >= g->node_count || g->nodes[n].op != GRAPH_OP_CUSTOM) {
        *status =
            sciml_error(g->ctx, SCIML_ERR_ARG, "%s: node %d is not a custom op", what, (int)n);
        return NULL;
    }
    *status = SCIML_OK;
    return &g->nodes[n];
}

sciml_status sciml_custom_set_overwrite(sciml_graph *g, sciml_node n) {
    sciml_status status;
    graph_node *node = custom_node(g, n, "custom_set_overwrite", &status);
    if (node)
        node->custom_overwrite = 1;
    return status;
}

sciml_status sciml_custom_set_backward_reads(sciml_graph *g, sciml_node n, uint32_t input_mask,
                                             int reads_output) {
    sciml_status status;
    graph_node *node = custom_node(g, n, "custom_set_backward_reads", &status);
    if (node) {
        node->custom_reads = input_mask;
        node->custom_reads_output = reads_output != 0;
    }
    return status;
}

/* ---- what backward reads ------------------------------------------------------------------ */

/* Unary functions whose derivative is computed from y = f(x) alone, and those that need no
 * value at all. */
static int unary_reads_input(sciml_unary kind) {
    switch (kind) {
    case SCIML_UNARY_COPY:
    case SCIML_UNARY_SCALE:
    case SCIML_UNARY_SHIFT:
    case SCIML_UNARY_TANH:    /* 1 - y^2 */
    case SCIML_UNARY_SIGMOID: /* y (1 - y) */
    case SCIML_UNARY_EXP:     /* y */
    case SCIML_UNARY_SQRT:    /* 1 / (2 y) */
        return 0;
    default: /* relu, softplus, sin, cos, log, square: f'(x); gelu: Phi(x) = y / x and x */
        return 1;
    }
}

static int unary_reads_output(sciml_unary kind) {
    switch (kind) {
    case SCIML_UNARY_TANH:
    case SCIML_UNARY_SIGMOID:
    case SCIML_UNARY_EXP:
    case SCIML_UNARY_SQRT:
    case SCIML_UNARY_GELU:
        return 1;
    default:
        return 0;
    }
}

int sciml_ad_backward_reads(const sciml_graph *g, sciml_node n, int k) {
    const graph_node *node = node_at(g, n);
    const int own = k < 0;
    switch (node->op) {
    case GRAPH_OP_INPUT:
    case GRAPH_OP_PARAM:
    case GRAPH_OP_SUM:
    case GRAPH_OP_MEAN:
    case GRAPH_OP_SLICE:
    case GRAPH_OP_CONCAT:
    case GRAPH_OP_RESHAPE:
    case GRAPH_OP_TRANSPOSE:
        return 0;
    case GRAPH_OP_MATMUL: /* dA = dC B^T, dB = A^T dC */
    case GRAPH_OP_MSE:
    case GRAPH_OP_REL_L2:
        return !own;
    case GRAPH_OP_LINEAR: /* dX = dY W^T, dW = X^T dY; the bias needs only dY */
        return !own && k < 2;
    case GRAPH_OP_BINARY:
        if (node->binary == SCIML_BINARY_ADD || node->binary == SCIML_BINARY_SUB)
            return 0;
        if (node->binary == SCIML_BINARY_MUL)
            return !own;
        return own || k == 1; /* div: da = dy / b, db = -dy y / b */
    case GRAPH_OP_UNARY:
        return own ? unary_reads_output(node->unary) : unary_reads_input(node->unary);
    case GRAPH_OP_CUSTOM:
        return own ? node->custom_reads_output : k >= 32 || (node->custom_reads >> k & 1u);
    }
    return 1;
}

static void fill_view(const sciml_graph *g, sciml_node n, double *grad, sciml_tensor_view *view) {
    const graph_node *node = node_at(g, n);
    view->value = node->value;
    view->grad = grad;
    view->ndim = node->ndim;
    sciml_ad_resolved_shape(g, n, view->shape);
    view->count = sciml_ad_count(g, n);
}

static sciml_status custom_run(sciml_graph *g, sciml_node n, int backward) {
    const graph_node *node = node_at(g, n);
    sciml_tensor_view *views = g->views; /* inputs, then the output */
    for (int i = 0; i < node->input_count; i++) {
        sciml_node in = node->inputs[i];
        double *grad = NULL;
        int fresh = 0;
        if (backward && wants_grad(g, in)) {
            if (node->custom_overwrite)
                fresh = !gradient_accumulate(g, in);
            else
                gradient_prepare(g, in);
            grad = node_at(g, in)->grad;
        }
        fill_view(g, in, grad, &views[i]);
        views[i].grad_fresh = fresh;
    }
    sciml_tensor_view *out = &views[node->input_count];
    fill_view(g, n, backward ? node->grad : NULL, out);
    out->grad_fresh = 0;
    sciml_status status =
        backward ? node->custom->backward(node->custom_state, node->input_count, views, out,
                                          g->scratch)
                 : node->custom->forward(node->custom_state, node->input_count, views, out,
                                         g->scratch);
    if (status != SCIML_OK && sciml_ctx_status(g->ctx) != status)
        sciml_error(g->ctx, status, "%s: %s failed (%s)", node->custom->name ? node->custom->name : "custom",
                    backward ? "backward" : "forward", sciml_strerror(status));
    return status;
}

/* ---- dispatch ---------------------------------------------------------------------------------------- */

sciml_status sciml_ad_forward_node(sciml_graph *g, sciml_node n) {
    const graph_node *node = node_at(g, n);
    switch (node->op) {
    case GRAPH_OP_INPUT:
    case GRAPH_OP_PARAM:
        return SCIML_OK;
    case GRAPH_OP_MATMUL:
        matmul_forward(g, n);
        return SCIML_OK;
    case GRAPH_OP_LINEAR:
        linear_forward(g, n);
        return SCIML_OK;
    case GRAPH_OP_BINARY:
        binary_forward(g, n);
        return SCIML_OK;
    case GRAPH_OP_UNARY:
        unary_forward(g, n);
        return SCIML_OK;
    case GRAPH_OP_SUM:
    case GRAPH_OP_MEAN:
        reduction_forward(g, n);
        return SCIML_OK;
    case GRAPH_OP_SLICE:
        slice_run(g, n, 0);
        return SCIML_OK;
    case GRAPH_OP_CONCAT:
        concat_run(g, n, 0);
        return SCIML_OK;
    case GRAPH_OP_RESHAPE:
        g->backend->unary_forward(SCIML_UNARY_COPY, 0.0, sciml_ad_count(g, n),
                                  node_at(g, node->inputs[0])->value, node->value);
        return SCIML_OK;
    case GRAPH_OP_TRANSPOSE:
        g->backend->transpose(node->shape[1], node->shape[0], node_at(g, node->inputs[0])->value,
                              node->value, 0);
        return SCIML_OK;
    case GRAPH_OP_MSE:
    case GRAPH_OP_REL_L2:
        loss_run(g, n, 0);
        return SCIML_OK;
    case GRAPH_OP_CUSTOM:
        return custom_run(g, n, 0);
    }
    return sciml_error(g->ctx, SCIML_ERR_INTERNAL, "graph_forward: node %d has unknown op", (int)n);
}

sciml_status sciml_ad_backward_node(sciml_graph *g, sciml_node n) {
    const graph_node *node = node_at(g, n);
    switch (node->op) {
    case GRAPH_OP_INPUT:
    case GRAPH_OP_PARAM:
        return SCIML_OK;
    case GRAPH_OP_MATMUL:
        matmul_backward(g, n);
        return SCIML_OK;
    case GRAPH_OP_LINEAR:
        linear_backward(g, n);
        return SCIML_OK;
    case GRAPH_OP_BINARY:
        binary_backward(g, n);
        return SCIML_OK;
    case GRAPH_OP_UNARY:
        unary_backward(g, n);
        return SCIML_OK;
    case GRAPH_OP_SUM:
    case GRAPH_OP_MEAN:
        reduction_backward(g, n);
        return SCIML_OK;
    case GRAPH_OP_SLICE:
        slice_run(g, n, 1);
        return SCIML_OK;
    case GRAPH_OP_CONCAT:
        concat_run(g, n, 1);
        return SCIML_OK;
    case GRAPH_OP_RESHAPE: {
        sciml_node x = node->inputs[0];
        g->backend->unary_backward(SCIML_UNARY_COPY, 0.0, sciml_ad_count(g, n), node_at(g, x)->value,
                                   node->value, node->grad, node_at(g, x)->grad,
                                   gradient_accumulate(g, x));
        return SCIML_OK;
    }
    case GRAPH_OP_TRANSPOSE: {
        sciml_node x = node->inputs[0];
        g->backend->transpose(node->shape[0], node->shape[1], node->grad, node_at(g, x)->grad,
                              gradient_accumulate(g, x));
        return SCIML_OK;
    }
    case GRAPH_OP_MSE:
    case GRAPH_OP_REL_L2:
        loss_run(g, n, 1);
        return SCIML_OK;
    case GRAPH_OP_CUSTOM:
        return custom_run(g, n, 1);
    }
    return sciml_error(g->ctx, SCIML_ERR_INTERNAL, "graph_backward: node %d has unknown op", (int)n);
}
