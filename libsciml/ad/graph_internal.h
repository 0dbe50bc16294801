/* Private engine header: the node and graph structures shared by ad/graph.c (construction,
 * memory planning, scheduling) and ad/ops.c (per-op shape rules, forward and backward through
 * the backend table). Not installed.
 */
#ifndef SCIML_AD_GRAPH_INTERNAL_H
#define SCIML_AD_GRAPH_INTERNAL_H

#include "backend/cpu.h"
#include "sciml/graph.h"

typedef enum graph_op {
    GRAPH_OP_INPUT = 0,
    GRAPH_OP_PARAM,
    GRAPH_OP_MATMUL,
    GRAPH_OP_LINEAR,
    GRAPH_OP_BINARY,
    GRAPH_OP_UNARY,
    GRAPH_OP_SUM,
    GRAPH_OP_MEAN,
    GRAPH_OP_SLICE,
    GRAPH_OP_CONCAT,
    GRAPH_OP_RESHAPE,
    GRAPH_OP_TRANSPOSE,
    GRAPH_OP_MSE,
    GRAPH_OP_REL_L2,
    GRAPH_OP_CUSTOM
} graph_op;

typedef struct graph_node {
    graph_op op;
    char *name; /* leaves only (owned), NULL for ops */
    int ndim;
    int64_t shape[SCIML_MAX_DIMS]; /* shape[0] == SCIML_BATCH when batched */
    int batched;
    int64_t fixed_count; /* product of the dimensions other than the batch one */
    int input_count;
    sciml_node *inputs;           /* owned, input_count entries */
    int needs_grad;               /* a parameter is among its ancestors (or it is one) */
    int keep;                     /* sciml_graph_keep: the value's block is its own */
    int axis;                     /* sum, mean, slice, concat */
    int transpose_a, transpose_b; /* matmul */
    int has_bias;                 /* linear */
    sciml_binary binary;
    sciml_unary unary;
    double real_arg;            /* scale factor, shift */
    int64_t start, stop;        /* slice */
    const sciml_op_def *custom; /* borrowed */
    void *custom_state;         /* owned (custom->destroy) */
    int custom_overwrite;       /* sciml_custom_set_overwrite: no fill of input gradients */
    uint32_t custom_reads;      /* sciml_custom_set_backward_reads: bit i, input i's value */
    int custom_reads_output;    /* the same for the node's own value */
    size_t scratch_bytes;
    /* After build: */
    double *value;        /* (shape) row-major, sized for max_batch */
    double *grad;         /* same; NULL when !needs_grad */
    int64_t param_offset; /* parameters: offset into the flat vectors */
    int64_t value_end;    /* last step that reads the value (GRAPH_KEPT: every step) */
} graph_node;

/* Build plans memory on one timeline of 2 node_count steps: forward runs node i at step i,
 * backward runs node i at step 2 node_count - 1 - i. A block is reused once the last step that
 * reads it is over; value_end GRAPH_KEPT marks the values that keep their blocks (inputs,
 * parameters, outputs and scalars). */
#define GRAPH_KEPT INT64_MAX

struct sciml_graph {
    sciml_ctx *ctx; /* borrowed */
    const sciml_backend *backend;
    graph_node *nodes;
    int32_t node_count, node_capacity;
    sciml_status poison; /* first constructor error, SCIML_OK when none */
    int built;
    size_t arena_bytes; /* values, gradients, parameters and scratch */
    int forward_only;   /* built by sciml_graph_build_forward_only: no gradients, shared values */
    int64_t max_batch, batch;
    int64_t param_count;
    /* Memory made once by build; nothing below is reallocated afterwards. */
    void *arena; /* backend memory: params | grads | node values and grads | scratch */
    double *params, *grads;
    void *scratch;
    size_t scratch_bytes;
    unsigned char *flags;      /* host bookkeeping, 3 node_count bytes: */
    unsigned char *needed;     /* ancestors of the last forward output */
    unsigned char *on_path;    /* ancestors of the loss that need a gradient */
    unsigned char *grad_ready; /* gradient written in this backward pass */
    sciml_tensor_view *views;  /* custom op inputs, max_custom_inputs + 1 */
    int forward_valid;
    int64_t clock; /* step of the last forward's output, -1 before the first */
};

/* Elements of node n at the current batch. */
int64_t sciml_ad_count(const sciml_graph *g, sciml_node n);
/* Node shape with the batch dimension resolved to the current batch. */
void sciml_ad_resolved_shape(const sciml_graph *g, sciml_node n, int64_t *shape);
/* Message text "(batch, 5)" for a node's shape into buffer of size 96. */
const char *sciml_ad_shape_text(const sciml_graph *g, sciml_node n, char *buffer);

/* Shape inference for a new op node; returns the new node or SCIML_NO_NODE (graph poisoned). */
sciml_node sciml_ad_add_node(sciml_graph *g, graph_op op, const char *op_name, int input_count,
                             const sciml_node *inputs, int ndim, const int64_t *shape);
/* Records an op error, poisons the graph, returns SCIML_NO_NODE. */
sciml_node sciml_ad_fail(sciml_graph *g, sciml_status status, const char *format, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Checks that node ids are valid and the graph is open for construction. */
int sciml_ad_check_inputs(sciml_graph *g, const char *op_name, int count, const sciml_node *inputs);

/* Whether the backward of node n reads the value of its input k, or for k == -1 its own value
 * (ops.c: the per-op rule; custom ops as declared, everything by default). */
int sciml_ad_backward_reads(const sciml_graph *g, sciml_node n, int k);

/* Runs one node forward / backward (ops.c). */
sciml_status sciml_ad_forward_node(sciml_graph *g, sciml_node n);
sciml_status sciml_ad_backward_node(sciml_graph *g, sciml_node n);

#endif /* SCIML_AD_GRAPH_INTERNAL_H */
