/* libsciml input derivatives of an MLP by forward (Taylor-mode) propagation, for PINNs
 * (DESIGN.md, decision 2).
 *
 * A network u(x), x in R^d, is evaluated together with the input derivatives a PDE needs.
 * Every layer carries S "streams" of all its points, stacked stream-major in one tensor
 * (S, rows, width):
 *   stream 0            the value h
 *   stream 1 + i        dh/dx_i            (i < d; always present)
 *   stream 1 + d + k    d2h/dx_p dx_q      (k-th requested pair (p, q), p <= q)
 * A dense layer z = h W (+ b on stream 0 only) is linear, so the same W maps every stream.
 * Stream-major order keeps each stream one contiguous block, so the activation formulas are
 * plain vector loops; the stream axis comes first, so these tensors have fixed shapes (no
 * SCIML_BATCH; evaluate in fixed-size chunks). An activation a = s(z) acts on the streams by
 * the chain rule:
 *   a     = s(z)
 *   a_i   = s'(z) z_i
 *   a_pq  = s'(z) z_pq + s''(z) z_p z_q
 * and its backward, written by hand from these formulas (s''' for the z_p z_q term), is
 *   dz_pq += s' g_pq
 *   dz_i  += s' g_i + s'' sum_(p,q) g_pq (z_q [p = i] + z_p [q = i])
 *   dz    += s' g + s'' sum_i z_i g_i + sum_(p,q) g_pq (s'' z_pq + s''' z_p z_q)
 * with db = the sum over rows of dz on stream 0. Each layer is one fused taylor-dense node
 * (GEMM and activation tile by tile of rows, see taylor.c). Residuals built from the output
 * streams are then ordinary graph nodes, and one reverse pass gives the exact parameter
 * gradient.
 *
 * The input tensor is seeded with sciml_taylor_seed: x on stream 0, the unit vector e_i on
 * stream 1 + i, zero on the second-order streams.
 */
#ifndef SCIML_TAYLOR_H
#define SCIML_TAYLOR_H

#include "sciml/core.h"
#include "sciml/graph.h"
#include "sciml/nn.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SCIML_TAYLOR_MAX_INPUTS 4  /* d */
#define SCIML_TAYLOR_MAX_SECOND 10 /* requested second-order pairs */

/* Which derivatives a stack carries. A plain value. */
typedef struct sciml_taylor_spec {
    int input_count;                        /* d, 1..SCIML_TAYLOR_MAX_INPUTS */
    int second_count;                       /* 0..SCIML_TAYLOR_MAX_SECOND */
    int second[SCIML_TAYLOR_MAX_SECOND][2]; /* (p, q), p <= q < d, no repeats */
    int first_order;                        /* 1: streams 1..d present; 0: value only */
} sciml_taylor_spec;

/* A spec with d inputs and first derivatives only (first_order 1, no pairs). */
void sciml_taylor_spec_init(sciml_taylor_spec *spec, int input_count);
/* A value-only spec (S = 1): boundary points that need u alone. */
void sciml_taylor_spec_value(sciml_taylor_spec *spec, int input_count);
/* Requests d2/dx_p dx_q (order of p, q free); returns its stream index, or -1 when the spec is
 * full, first_order is 0, or p/q are out of range. A pair asked twice keeps one stream. */
int sciml_taylor_spec_add_second(sciml_taylor_spec *spec, int p, int q);
/* Streams S = 1 + d (when first_order) + second_count. */
int sciml_taylor_stream_count(const sciml_taylor_spec *spec);
/* Stream of d/dx_i (-1 when absent) and of d2/dx_p dx_q (-1 when not requested). */
int sciml_taylor_first_stream(const sciml_taylor_spec *spec, int i);
int sciml_taylor_second_stream(const sciml_taylor_spec *spec, int p, int q);
/* SCIML_ERR_ARG (message on ctx) unless the spec is well formed. */
sciml_status sciml_taylor_spec_check(sciml_ctx *ctx, const sciml_taylor_spec *spec);

/* Fills stacked (S, count, d) row-major from points (count, d): x on stream 0, e_i on the
 * first-order streams, zeros on the second-order ones. */
void sciml_taylor_seed(const sciml_taylor_spec *spec, int64_t count, const double *points,
                       double *stacked);

/* a = s(z + b) stream by stream for z of shape (S, ..., n) (stream axis first),
 * b (n) a parameter (added to stream 0) or SCIML_NO_NODE. Supported activations: tanh, sin,
 * identity; others give SCIML_NO_NODE with SCIML_ERR_ARG on the context. The spec is copied. */
sciml_node sciml_taylor_activate(sciml_ctx *ctx, sciml_graph *g, const sciml_taylor_spec *spec,
                                 sciml_node z, sciml_node bias, sciml_activation activation);
/* a = s(h W + b) for h (S, rows, in), W (in, out), b (out) or SCIML_NO_NODE: one fused node
 * (the same maths as sciml_linear then sciml_taylor_activate, computed tile by tile of rows so
 * that z and dz stay in cache; see taylor.c). Returns (S, rows, out) or SCIML_NO_NODE. */
sciml_node sciml_taylor_dense(sciml_ctx *ctx, sciml_graph *g, const sciml_taylor_spec *spec,
                              sciml_node h, sciml_node weight, sciml_node bias,
                              sciml_activation activation);
/* The MLP (sciml/nn.h) on stacked input x (S, rows, d): one sciml_taylor_dense per layer with
 * the layer's weight, bias and activation (identity on the output layer). Returns
 * (S, rows, output_size), or SCIML_NO_NODE. */
sciml_node sciml_taylor_mlp_apply(sciml_ctx *ctx, sciml_graph *g, const sciml_mlp *mlp,
                                  const sciml_taylor_spec *spec, sciml_node x);
/* The product c = a b of two stacked quantities a, b (S, rows, n) of the same spec, stream by
 * stream by the product rule:
 *   c = a b,  c_i = a_i b + a b_i,  c_pq = a_pq b + a_p b_q + a_q b_p + a b_pq
 * (an output transform u = A + D N multiplies the network by a known factor this way). Built
 * from slices, products and sums, so its backward is theirs. Returns (S, rows, n), or
 * SCIML_NO_NODE (SCIML_ERR_ARG on the context) when a and b do not have the spec's S streams
 * and equal shapes. */
sciml_node sciml_taylor_product(sciml_ctx *ctx, sciml_graph *g, const sciml_taylor_spec *spec,
                                sciml_node a, sciml_node b);
/* Stream `stream` of y (S, rows, n) as a (rows, n) node. */
sciml_node sciml_taylor_stream(sciml_graph *g, sciml_node y, int stream);

#ifdef __cplusplus
}
#endif
#endif /* SCIML_TAYLOR_H */
