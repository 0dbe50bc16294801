/* libsciml engine: tensors in a static computation graph with reverse-mode automatic
 * differentiation (in the spirit of kann and ggml).
 *
 * A model builds its graph once (leaves, then ops), calls sciml_graph_build() which fixes the
 * evaluation order and places every node's value and gradient in one arena sized for the
 * largest batch, and then runs sciml_graph_forward()/sciml_graph_backward() many times with no
 * allocation. Values are double precision, row-major (last index fastest).
 *
 * Reverse mode: for loss L and node y = f(x1, ..., xk), backward adds dL/dxi += (dy/dxi)^T dL/dy
 * for every input in reverse topological order, starting from dL/dL = 1. Parameter gradients
 * land in one flat vector (in parameter creation order) that optimisers update in place.
 *
 * Batch dimension: a leaf may declare its first dimension as SCIML_BATCH. Its size is chosen at
 * run time with sciml_graph_set_batch() (1..max_batch) and every node whose first dimension
 * derives from it follows; reductions over it (sum, mean, mse, rel_l2) divide by the current
 * batch where they average.
 *
 * Errors: op constructors return SCIML_NO_NODE and record the message on the context (e.g.
 * "matmul: inner dimensions differ, (128, 5) x (6, 64)"); the graph is then poisoned and
 * sciml_graph_build() returns the first error. Ownership: the graph borrows the context (which
 * must outlive it) and owns every node and buffer.
 */
#ifndef SCIML_GRAPH_H
#define SCIML_GRAPH_H

#include "sciml/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sciml_graph sciml_graph;
typedef int32_t sciml_node; /* index of a node within its graph */
#define SCIML_NO_NODE (-1)  /* returned by constructors on error */
#define SCIML_MAX_DIMS 6
#define SCIML_BATCH (-1)    /* shape entry: the run-time batch dimension (first only) */
#define SCIML_ALL_AXES (-1) /* axis argument of sum/mean: reduce everything */

typedef enum sciml_activation {
    SCIML_ACT_IDENTITY = 0,
    SCIML_ACT_TANH,
    SCIML_ACT_RELU,
    SCIML_ACT_GELU, /* exact: x * Phi(x) with the normal CDF through erf */
    SCIML_ACT_SIGMOID,
    SCIML_ACT_SOFTPLUS,
    SCIML_ACT_SIN
} sciml_activation;

/* Name <-> activation ("tanh", "relu", ...); parse returns SCIML_ERR_NOT_FOUND for others. */
const char *sciml_activation_name(sciml_activation activation);
sciml_status sciml_activation_parse(const char *name, sciml_activation *out);

sciml_status sciml_graph_create(sciml_ctx *ctx, sciml_graph **out);
void sciml_graph_destroy(sciml_graph **graph); /* accepts NULL, sets *graph to NULL */

/* ---- Leaves ------------------------------------------------------------------------------
 * name: copied, used in messages and for lookup. ndim 1..SCIML_MAX_DIMS. */
/* Data fed each step with sciml_graph_set_input(); shape[0] may be SCIML_BATCH. */
sciml_node sciml_graph_input(sciml_graph *g, const char *name, int ndim, const int64_t *shape);
/* An input whose gradient d loss / d input the backward pass also computes (vector-Jacobian
 * products of a network with respect to its inputs, as a neural ODE's adjoint needs). */
sciml_node sciml_graph_input_with_grad(sciml_graph *g, const char *name, int ndim,
                                       const int64_t *shape);
/* Trainable parameter (no batch dimension), zero-initialised; its value and gradient are a
 * slice of the flat parameter/gradient vectors. */
sciml_node sciml_graph_param(sciml_graph *g, const char *name, int ndim, const int64_t *shape);

/* ---- Ops ---------------------------------------------------------------------------------
 * Elementwise binary ops broadcast numpy-style over trailing dimensions (a (B, n) plus a (n)
 * bias, a (B, n) times a (B, 1) column, or equal shapes). */
sciml_node sciml_matmul(sciml_graph *g, sciml_node a, sciml_node b, int transpose_a,
                        int transpose_b); /* 2D: op(a) op(b) */
/* x (..., in) times w (in, out) plus b (out), row by row: one GEMM forward (bias pre-broadcast,
 * beta = 1), two backward (dX skipped when x needs no gradient). b may be SCIML_NO_NODE. */
sciml_node sciml_linear(sciml_graph *g, sciml_node x, sciml_node w, sciml_node b);
sciml_node sciml_add(sciml_graph *g, sciml_node a, sciml_node b);
sciml_node sciml_sub(sciml_graph *g, sciml_node a, sciml_node b);
sciml_node sciml_mul(sciml_graph *g, sciml_node a, sciml_node b);
sciml_node sciml_div(sciml_graph *g, sciml_node a, sciml_node b);
sciml_node sciml_scale(sciml_graph *g, sciml_node a, double alpha);  /* alpha a */
sciml_node sciml_add_scalar(sciml_graph *g, sciml_node a, double c); /* a + c */
sciml_node sciml_activate(sciml_graph *g, sciml_node a, sciml_activation activation);
sciml_node sciml_tanh(sciml_graph *g, sciml_node a);
sciml_node sciml_sin(sciml_graph *g, sciml_node a);
sciml_node sciml_cos(sciml_graph *g, sciml_node a);
sciml_node sciml_exp(sciml_graph *g, sciml_node a);
/* Natural logarithm (named so because sciml_log is the logger in core.h). */
sciml_node sciml_logarithm(sciml_graph *g, sciml_node a);
sciml_node sciml_relu(sciml_graph *g, sciml_node a);
sciml_node sciml_gelu(sciml_graph *g, sciml_node a);
sciml_node sciml_softplus(sciml_graph *g, sciml_node a);
sciml_node sciml_sigmoid(sciml_graph *g, sciml_node a);
sciml_node sciml_square(sciml_graph *g, sciml_node a);
sciml_node sciml_sqrt(sciml_graph *g, sciml_node a);
/* Sum or mean over one axis (that axis removed) or over all elements (axis SCIML_ALL_AXES,
 * result shape (1)). */
sciml_node sciml_sum(sciml_graph *g, sciml_node a, int axis);
sciml_node sciml_mean(sciml_graph *g, sciml_node a, int axis);
/* Elements [start, stop) along axis. */
sciml_node sciml_slice(sciml_graph *g, sciml_node a, int axis, int64_t start, int64_t stop);
/* Joins count nodes (equal shapes except along axis). */
sciml_node sciml_concat(sciml_graph *g, int count, const sciml_node *inputs, int axis);
/* Same elements, new shape; shape[0] may be SCIML_BATCH when a's first dimension is. */
sciml_node sciml_reshape(sciml_graph *g, sciml_node a, int ndim, const int64_t *shape);
/* 2D transpose. */
sciml_node sciml_transpose(sciml_graph *g, sciml_node a);
/* Losses (shape (1)): mean over all elements of (pred - target)^2, and the relative L2 error
 * averaged over the first axis, mean_i ||pred_i - target_i|| / ||target_i||. */
sciml_node sciml_mse(sciml_graph *g, sciml_node pred, sciml_node target);
sciml_node sciml_rel_l2(sciml_graph *g, sciml_node pred, sciml_node target);

/* ---- Custom ops (FNO spectral convolution, PINN Taylor layers, ...) ----------------------
 * A view of one node's memory for the current batch, handed to custom op callbacks. */
typedef struct sciml_tensor_view {
    double *value; /* (shape) row-major */
    double *grad;  /* same shape; NULL in forward, accumulate (+=) into it in backward */
    int ndim;
    int64_t shape[SCIML_MAX_DIMS];
    int64_t count; /* product of shape */
    /* backward of a node marked by sciml_custom_set_overwrite only: 1 when grad holds no
     * earlier contribution and was not zeroed, so the op must write (=) every element of it
     * instead of adding; 0 otherwise */
    int grad_fresh;
} sciml_tensor_view;

typedef struct sciml_op_def {
    const char *name;
    /* out->value = f(inputs); may use scratch of scratch_bytes. */
    sciml_status (*forward)(void *state, int input_count, const sciml_tensor_view *inputs,
                            sciml_tensor_view *out, void *scratch);
    /* inputs[i].grad += (d out / d input_i)^T out->grad (inputs[i].grad NULL when that input
     * needs no gradient). */
    sciml_status (*backward)(void *state, int input_count, const sciml_tensor_view *inputs,
                             const sciml_tensor_view *out, void *scratch);
    void (*destroy)(void *state); /* frees state when the graph is destroyed; may be NULL */
} sciml_op_def;

/* Adds a node computed by `op` (borrowed, must outlive the graph) from count inputs with the
 * given output shape (shape[0] SCIML_BATCH when it follows the batch). The graph takes
 * ownership of state (freed with op->destroy). scratch_bytes per max batch is reserved once. */
sciml_node sciml_custom(sciml_graph *g, const sciml_op_def *op, void *state, int count,
                        const sciml_node *inputs, int ndim, const int64_t *shape,
                        size_t scratch_bytes);
/* Lets custom node n skip the zero fill of its input gradients: before the node's first
 * contribution to an input's gradient the graph no longer zeroes it but sets grad_fresh on that
 * input's view, and the op's backward must then write (=) every element of that gradient (an op
 * that writes all of a large gradient saves a pass over memory). Before build; SCIML_ERR_ARG
 * (message on the context, nothing changed) unless n is a custom node. */
sciml_status sciml_custom_set_overwrite(sciml_graph *g, sciml_node n);
/* Declares which values custom node n's backward reads: input i's value when bit i of
 * input_mask is set (inputs from the 33rd on always count as read) and its own output's value
 * when reads_output. Without the call it reads all of them. A training graph reuses the block
 * of a value once the last step that reads it is over, so an op must not declare less than it
 * reads; declaring less lets the values only forward reads (an FFT's input, say) share memory.
 * Before build; SCIML_ERR_ARG unless n is a custom node. */
sciml_status sciml_custom_set_backward_reads(sciml_graph *g, sciml_node n, uint32_t input_mask,
                                             int reads_output);

/* Gives node n's value a block of its own, so that it can be read after any forward that
 * computed it, backward included (a training metric on a prediction, say). Before build;
 * SCIML_ERR_STATE after, SCIML_ERR_ARG for a node that does not exist. */
sciml_status sciml_graph_keep(sciml_graph *g, sciml_node n);

/* ---- Running ------------------------------------------------------------------------------ */
/* Freezes the graph and allocates all memory for batches up to max_batch (>= 1). Values and
 * gradients share memory by liveness on the timeline of one forward and one backward pass: a
 * value's block is reused once the last node that reads it, in forward or in backward, has run
 * (the output of an add or a slice, which no backward reads, lives only until its consumers have
 * run; a linear layer's input lives until that layer's backward), and a gradient lives from the
 * first backward step that writes it to the step of its own node. Inputs, parameters, scalars,
 * the nodes that nothing reads (outputs) and kept nodes have blocks of their own. So peak
 * memory is what backward needs, not every node's value and gradient. */
sciml_status sciml_graph_build(sciml_graph *g, int64_t max_batch);
/* The same for inference: no gradient memory (backward is an error), and a value's block is
 * reused once every node that reads it has run forward. Peak memory is that of the widest few
 * layers instead of every layer's. */
sciml_status sciml_graph_build_forward_only(sciml_graph *g, int64_t max_batch);
/* Sets the current batch size (1..max_batch); no allocation. */
sciml_status sciml_graph_set_batch(sciml_graph *g, int64_t batch);
int64_t sciml_graph_batch(const sciml_graph *g);
/* Copies count values (must equal the node's element count at the current batch). */
sciml_status sciml_graph_set_input(sciml_graph *g, sciml_node input, const double *values,
                                   int64_t count);
/* Mini-batch gather: sets the input (current batch rows, each of the node's per-sample size)
 * to rows[0..count) of the row-major table (table_rows, per-sample size); count must equal
 * the current batch and every row index lie in [0, table_rows). */
sciml_status sciml_graph_set_input_rows(sciml_graph *g, sciml_node input, const double *table,
                                        int64_t table_rows, const int64_t *rows, int64_t count);
/* Evaluates every node that `output` depends on. */
sciml_status sciml_graph_forward(sciml_graph *g, sciml_node output);
/* Zeroes all gradients, then back-propagates from the scalar `loss` (forward must have run).
 * Parameter gradients end up in sciml_graph_grads(). Backward reuses the blocks of the values it
 * has finished with, so another backward needs another forward first (SCIML_ERR_STATE). */
sciml_status sciml_graph_backward(sciml_graph *g, sciml_node loss);

/* ---- Inspection ----------------------------------------------------------------------------- */
/* Returns ndim (0 for an invalid node); the batch entry is SCIML_BATCH before build and the
 * current batch after. */
int sciml_graph_shape(const sciml_graph *g, sciml_node node, int64_t shape[SCIML_MAX_DIMS]);
int64_t sciml_graph_count(const sciml_graph *g, sciml_node node); /* elements, current batch */
/* Copies the node's current value (count must equal its element count). Inputs, parameters,
 * scalars, outputs and kept nodes (sciml_graph_keep) can always be read; any other node only
 * after a forward that computed it, while its block is not yet reused (the output of that
 * forward, and the values a backward would still read, until backward has run): else
 * SCIML_ERR_STATE, naming the node. */
sciml_status sciml_graph_get_value(const sciml_graph *g, sciml_node node, double *values,
                                   int64_t count);
/* The first element of the value, NaN when sciml_graph_get_value would refuse it. */
double sciml_graph_scalar(const sciml_graph *g, sciml_node node);
/* Copies d loss / d input of an input made by sciml_graph_input_with_grad after backward
 * (zero where the loss does not depend on it); count must equal its element count. */
sciml_status sciml_graph_get_grad(const sciml_graph *g, sciml_node node, double *values,
                                  int64_t count);

/* Node lookup by name (leaves); SCIML_NO_NODE when absent. */
sciml_node sciml_graph_find(const sciml_graph *g, const char *name);
const char *sciml_graph_name(const sciml_graph *g, sciml_node node);

/* Flat parameter and gradient vectors (valid after build; point into the graph, do not
 * free). Parameters appear in creation order. */
int64_t sciml_graph_param_count(const sciml_graph *g);
/* Bytes of the built graph's arena (values, gradients, parameters, scratch); 0 before build. */
size_t sciml_graph_memory_bytes(const sciml_graph *g);
double *sciml_graph_params(sciml_graph *g);
double *sciml_graph_grads(sciml_graph *g);
int sciml_graph_param_nodes(const sciml_graph *g, sciml_node *nodes, int capacity); /* count */
int64_t sciml_graph_param_offset(const sciml_graph *g, sciml_node param); /* into params */

/* Central finite-difference check of d loss / d params: perturbs every parameter by +-step,
 * compares with backward, and stores max |g_fd - g_ad| / max(1, |g_fd|, |g_ad|). Restores the
 * parameters. For tests and debugging. */
sciml_status sciml_graph_check_gradient(sciml_graph *g, sciml_node loss, double step,
                                        double *max_relative_error);

#ifdef __cplusplus
}
#endif
#endif /* SCIML_GRAPH_H */
