/* The static computation graph: construction, memory planning, scheduling, reverse mode.
 *
 * Nodes are appended in construction order, which is a topological order (an op can only
 * name nodes that already exist). Build places, in one backend arena sized for max_batch,
 *     params (P) | grads (P) | node values and gradients | custom scratch,
 * each block 64-byte aligned; parameter nodes point into the flat params/grads vectors. Value
 * and gradient blocks share memory by liveness on the timeline of one forward pass (node i at
 * step i) and one backward pass (node i at step 2 n - 1 - i): a value lives from its node's step
 * to the last step that reads it (its consumers forward, and those whose backward reads it, as
 * ops.c says per op), a gradient from its last consumer's backward step to its own; blocks are
 * placed best-fit in order of first step, and given back (merged with free neighbours) after
 * their last. Inputs, outputs and scalars keep blocks of their own.
 * Forward evaluates the ancestors of the requested node in order. Backward seeds dL/dL = 1 and
 * visits, in reverse order, the ancestors of L through which a parameter is reached, applying
 * dL/dx_i += (dy/dx_i)^T dL/dy; the first contribution to a gradient overwrites (so gradients
 * are never zeroed in bulk), parameters that receive nothing are zeroed at the end.
 * After build nothing allocates: forward, backward, set_batch and set_input only read the
 * planned pointers and the bookkeeping arrays made by build.
 */
#include "ad/graph_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALIGN_DOUBLES 8 /* 64 bytes */

static const char *const activation_names[] = {"identity", "tanh",     "relu", "gelu",
                                               "sigmoid",  "softplus", "sin"};

const char *sciml_activation_name(sciml_activation activation) {
    if ((int)activation < 0 ||
        (size_t)activation >= sizeof activation_names / sizeof *activation_names)
        return "unknown";
    return activation_names[activation];
}

sciml_status sciml_activation_parse(const char *name, sciml_activation *out) {
    for (size_t i = 0; name && i < sizeof activation_names / sizeof *activation_names; i++)
        if (strcmp(name, activation_names[i]) == 0) {
            *out = (sciml_activation)i;
            return SCIML_OK;
        }
    return SCIML_ERR_NOT_FOUND;
}

sciml_status sciml_graph_create(sciml_ctx *ctx, sciml_graph **out) {
    if (!out)
        return sciml_error(ctx, SCIML_ERR_ARG, "graph_create: out is NULL");
    *out = NULL;
    sciml_graph *g = calloc(1, sizeof *g);
    if (!g)
        return sciml_error(ctx, SCIML_ERR_NOMEM, "graph_create: out of memory");
    g->ctx = ctx;
    g->backend = sciml_backend_cpu();
    *out = g;
    return SCIML_OK;
}

void sciml_graph_destroy(sciml_graph **graph) {
    if (!graph || !*graph)
        return;
    sciml_graph *g = *graph;
    for (int32_t i = 0; i < g->node_count; i++) {
        graph_node *node = &g->nodes[i];
        free(node->name);
        free(node->inputs);
        if (node->custom && node->custom->destroy && node->custom_state)
            node->custom->destroy(node->custom_state);
    }
    free(g->nodes);
    if (g->arena)
        g->backend->release(g->arena);
    free(g->flags);
    free(g->views);
    free(g);
    *graph = NULL;
}

/* ---- helpers shared with ops.c ------------------------------------------------------------- */

static int valid_node(const sciml_graph *g, sciml_node n) {
    return g && n >= 0 && n < g->node_count;
}

int64_t sciml_ad_count(const sciml_graph *g, sciml_node n) {
    const graph_node *node = &g->nodes[n];
    return node->batched ? node->fixed_count * g->batch : node->fixed_count;
}

void sciml_ad_resolved_shape(const sciml_graph *g, sciml_node n, int64_t *shape) {
    const graph_node *node = &g->nodes[n];
    for (int d = 0; d < node->ndim; d++)
        shape[d] = node->shape[d] == SCIML_BATCH ? g->batch : node->shape[d];
}

const char *sciml_ad_shape_text(const sciml_graph *g, sciml_node n, char *buffer) {
    const graph_node *node = &g->nodes[n];
    size_t used = 0;
    buffer[used++] = '(';
    for (int d = 0; d < node->ndim && used < 80; d++) {
        int written = node->shape[d] == SCIML_BATCH
                          ? snprintf(buffer + used, 96 - used, "%sbatch", d ? ", " : "")
                          : snprintf(buffer + used, 96 - used, "%s%lld", d ? ", " : "",
                                     (long long)node->shape[d]);
        if (written > 0)
            used += (size_t)written;
    }
    if (used > 93)
        used = 93;
    buffer[used++] = ')';
    buffer[used] = '\0';
    return buffer;
}

sciml_node sciml_ad_fail(sciml_graph *g, sciml_status status, const char *format, ...) {
    va_list args;
    va_start(args, format);
    sciml_verror(g->ctx, status, format, args);
    va_end(args);
    if (!g->built && g->poison == SCIML_OK)
        g->poison = status;
    return SCIML_NO_NODE;
}

int sciml_ad_check_inputs(sciml_graph *g, const char *op_name, int count,
                          const sciml_node *inputs) {
    if (!g)
        return 0;
    if (g->poison != SCIML_OK)
        return 0; /* the first error stays the one reported */
    if (g->built) {
        sciml_error(g->ctx, SCIML_ERR_STATE,
                    "%s: the graph is already built; add nodes before "
                    "sciml_graph_build",
                    op_name);
        return 0;
    }
    for (int i = 0; i < count; i++)
        if (!valid_node(g, inputs[i])) {
            sciml_ad_fail(g, SCIML_ERR_ARG,
                          "%s: input %d is node %d, which does not exist "
                          "(the graph has %d nodes)",
                          op_name, i, (int)inputs[i], (int)g->node_count);
            return 0;
        }
    return 1;
}

/* Appends a node; shape entries must be >= 1 except shape[0] == SCIML_BATCH. */
static sciml_node append_node(sciml_graph *g, graph_op op, const char *op_name, int input_count,
                              const sciml_node *inputs, int ndim, const int64_t *shape) {
    if (ndim < 1 || ndim > SCIML_MAX_DIMS)
        return sciml_ad_fail(g, SCIML_ERR_SHAPE, "%s: %d dimensions, expected 1 to %d", op_name,
                             ndim, SCIML_MAX_DIMS);
    int64_t fixed = 1;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] == SCIML_BATCH && d == 0)
            continue;
        if (shape[d] < 1)
            return sciml_ad_fail(g, SCIML_ERR_SHAPE, "%s: dimension %d is %lld; expected >= 1%s",
                                 op_name, d, (long long)shape[d],
                                 d == 0 ? " or SCIML_BATCH" : " (only the first may be the batch)");
        if (sciml_mul_i64(fixed, shape[d], &fixed))
            return sciml_ad_fail(g, SCIML_ERR_OVERFLOW, "%s: element count overflows", op_name);
    }
    if (g->node_count == INT32_MAX)
        return sciml_ad_fail(g, SCIML_ERR_OVERFLOW, "%s: too many nodes", op_name);
    if (g->node_count == g->node_capacity) {
        int32_t capacity = g->node_capacity ? g->node_capacity * 2 : 64;
        if (capacity < g->node_capacity)
            capacity = INT32_MAX;
        graph_node *grown = realloc(g->nodes, (size_t)capacity * sizeof *grown);
        if (!grown)
            return sciml_ad_fail(g, SCIML_ERR_NOMEM, "%s: out of memory", op_name);
        g->nodes = grown;
        g->node_capacity = capacity;
    }
    graph_node node;
    memset(&node, 0, sizeof node);
    node.op = op;
    node.ndim = ndim;
    memcpy(node.shape, shape, (size_t)ndim * sizeof *shape);
    node.batched = shape[0] == SCIML_BATCH;
    node.fixed_count = fixed;
    node.param_offset = -1;
    if (input_count > 0) {
        node.inputs = malloc((size_t)input_count * sizeof *node.inputs);
        if (!node.inputs)
            return sciml_ad_fail(g, SCIML_ERR_NOMEM, "%s: out of memory", op_name);
        memcpy(node.inputs, inputs, (size_t)input_count * sizeof *inputs);
    }
    node.input_count = input_count;
    node.needs_grad = op == GRAPH_OP_PARAM;
    for (int i = 0; i < input_count; i++)
        node.needs_grad |= g->nodes[inputs[i]].needs_grad;
    g->nodes[g->node_count] = node;
    return g->node_count++;
}

sciml_node sciml_ad_add_node(sciml_graph *g, graph_op op, const char *op_name, int input_count,
                             const sciml_node *inputs, int ndim, const int64_t *shape) {
    return append_node(g, op, op_name, input_count, inputs, ndim, shape);
}

/* ---- leaves ------------------------------------------------------------------------------- */

static sciml_node add_leaf(sciml_graph *g, graph_op op, const char *name, int ndim,
                           const int64_t *shape) {
    const char *kind = op == GRAPH_OP_PARAM ? "param" : "input";
    if (!sciml_ad_check_inputs(g, kind, 0, NULL))
        return SCIML_NO_NODE;
    if (!name || !*name)
        return sciml_ad_fail(g, SCIML_ERR_ARG, "%s: a leaf needs a non-empty name", kind);
    if (!shape)
        return sciml_ad_fail(g, SCIML_ERR_ARG, "%s '%s': shape is NULL", kind, name);
    if (sciml_graph_find(g, name) != SCIML_NO_NODE)
        return sciml_ad_fail(g, SCIML_ERR_ARG, "%s '%s': a leaf with this name already exists",
                             kind, name);
    if (op == GRAPH_OP_PARAM && ndim >= 1 && shape[0] == SCIML_BATCH)
        return sciml_ad_fail(g, SCIML_ERR_SHAPE, "param '%s': parameters have no batch dimension",
                             name);
    char *copy = malloc(strlen(name) + 1);
    if (!copy)
        return sciml_ad_fail(g, SCIML_ERR_NOMEM, "%s '%s': out of memory", kind, name);
    strcpy(copy, name);
    sciml_node n = append_node(g, op, kind, 0, NULL, ndim, shape);
    if (n == SCIML_NO_NODE) {
        free(copy);
        return n;
    }
    g->nodes[n].name = copy;
    return n;
}

sciml_node sciml_graph_input(sciml_graph *g, const char *name, int ndim, const int64_t *shape) {
    return add_leaf(g, GRAPH_OP_INPUT, name, ndim, shape);
}

sciml_node sciml_graph_input_with_grad(sciml_graph *g, const char *name, int ndim,
                                       const int64_t *shape) {
    sciml_node n = add_leaf(g, GRAPH_OP_INPUT, name, ndim, shape);
    if (n != SCIML_NO_NODE)
        g->nodes[n].needs_grad = 1;
    return n;
}

sciml_node sciml_graph_param(sciml_graph *g, const char *name, int ndim, const int64_t *shape) {
    return add_leaf(g, GRAPH_OP_PARAM, name, ndim, shape);
}

sciml_status sciml_graph_keep(sciml_graph *g, sciml_node n) {
    if (!g)
        return SCIML_ERR_ARG;
    if (g->built)
        return sciml_error(g->ctx, SCIML_ERR_STATE, "graph_keep: the graph is already built");
    if (!valid_node(g, n))
        return sciml_error(g->ctx, SCIML_ERR_ARG, "graph_keep: node %d does not exist (%d nodes)",
                           (int)n, (int)g->node_count);
    g->nodes[n].keep = 1;
    return SCIML_OK;
}

/* ---- build -------------------------------------------------------------------------------- */

static int add_block(size_t *offset, int64_t doubles) {
    int64_t rounded = (doubles + ALIGN_DOUBLES - 1) / ALIGN_DOUBLES * ALIGN_DOUBLES;
    size_t bytes;
    if (rounded < doubles || sciml_mul_size((size_t)rounded, sizeof(double), &bytes))
        return 1;
    if (*offset + bytes < *offset)
        return 1;
    *offset += bytes;
    return 0;
}

/* ---- memory plan: blocks on the timeline of one forward and one backward pass --------------- */

/* One value or gradient block: used from step start to step end (-1 to GRAPH_KEPT: always). */
typedef struct plan_block {
    int64_t start, end;
    size_t bytes; /* 0: no block (parameters live in the flat vectors; no gradient) */
    size_t offset;
} plan_block;

/* The free spans of the node memory, in address order, and its size so far. */
typedef struct free_spans {
    plan_block *span; /* offset and bytes only */
    int count;
    size_t top;
} free_spans;

static void spans_remove(free_spans *f, int k) {
    memmove(&f->span[k], &f->span[k + 1], (size_t)(f->count - k - 1) * sizeof *f->span);
    f->count--;
}

/* Best fit among the free spans (the rest of it stays free); else the span that ends at the
 * top grows; else the memory grows. */
static size_t spans_take(free_spans *f, size_t bytes) {
    int best = -1;
    for (int k = 0; k < f->count; k++)
        if (f->span[k].bytes >= bytes && (best < 0 || f->span[k].bytes < f->span[best].bytes))
            best = k;
    size_t offset;
    if (best >= 0) {
        offset = f->span[best].offset;
        f->span[best].offset += bytes;
        f->span[best].bytes -= bytes;
        if (f->span[best].bytes == 0)
            spans_remove(f, best);
        return offset;
    }
    if (f->count > 0 && f->span[f->count - 1].offset + f->span[f->count - 1].bytes == f->top) {
        offset = f->span[f->count - 1].offset;
        spans_remove(f, f->count - 1);
    } else {
        offset = f->top;
    }
    f->top = offset + bytes;
    return offset;
}

/* Gives a block back, merged with the free spans it touches. */
static void spans_release(free_spans *f, size_t offset, size_t bytes) {
    int k = 0;
    while (k < f->count && f->span[k].offset < offset)
        k++;
    const int joins_before = k > 0 && f->span[k - 1].offset + f->span[k - 1].bytes == offset;
    const int joins_after = k < f->count && offset + bytes == f->span[k].offset;
    if (joins_before) {
        f->span[k - 1].bytes += bytes;
        if (joins_after) {
            f->span[k - 1].bytes += f->span[k].bytes;
            spans_remove(f, k);
        }
    } else if (joins_after) {
        f->span[k].offset = offset;
        f->span[k].bytes += bytes;
    } else {
        memmove(&f->span[k + 1], &f->span[k], (size_t)(f->count - k) * sizeof *f->span);
        f->span[k].offset = offset;
        f->span[k].bytes = bytes;
        f->count++;
    }
}

/* Steps of node i: forward at i, backward at 2 node_count - 1 - i. */
static int64_t backward_step(const sciml_graph *g, int64_t i) {
    return 2 * (int64_t)g->node_count - 1 - i;
}

/* The lifetime of every block (2 per node: value, gradient), from who reads what. last_use and
 * first_reader are node_count scratch entries. */
static void plan_lifetimes(const sciml_graph *g, int forward_only, int64_t max_batch,
                           int32_t *last_use, int32_t *first_reader, plan_block *blocks) {
    for (int32_t i = 0; i < g->node_count; i++)
        last_use[i] = first_reader[i] = -1;
    for (int32_t i = 0; i < g->node_count; i++) {
        const graph_node *node = &g->nodes[i];
        for (int k = 0; k < node->input_count; k++) {
            const sciml_node j = node->inputs[k];
            last_use[j] = i;
            if (!forward_only && node->needs_grad && first_reader[j] < 0 &&
                sciml_ad_backward_reads(g, i, k))
                first_reader[j] = i;
        }
    }
    for (int32_t i = 0; i < g->node_count; i++) {
        const graph_node *node = &g->nodes[i];
        plan_block *value = &blocks[2 * i], *grad = &blocks[2 * i + 1];
        const int64_t count = node->batched ? node->fixed_count * max_batch : node->fixed_count;
        size_t bytes = 0;
        add_block(&bytes, count); /* build has checked that no node's block overflows */
        value->bytes = grad->bytes = 0;
        if (node->op == GRAPH_OP_PARAM)
            continue;
        value->bytes = bytes;
        if (node->op == GRAPH_OP_INPUT || node->keep || last_use[i] < 0 ||
            (!node->batched && node->fixed_count == 1)) {
            value->start = -1;
            value->end = GRAPH_KEPT;
        } else {
            value->start = i;
            value->end = last_use[i];
            if (first_reader[i] >= 0)
                value->end = backward_step(g, first_reader[i]);
            if (!forward_only && node->needs_grad && sciml_ad_backward_reads(g, i, -1))
                value->end = backward_step(g, i);
        }
        if (forward_only || !node->needs_grad)
            continue;
        grad->bytes = bytes;
        if (node->op == GRAPH_OP_INPUT) { /* read by sciml_graph_get_grad after backward */
            grad->start = -1;
            grad->end = GRAPH_KEPT;
        } else { /* from the first contribution (its last consumer's backward) to its own */
            grad->start = backward_step(g, last_use[i] >= 0 ? last_use[i] : i);
            grad->end = backward_step(g, i);
        }
    }
}

/* A block's place in an order: by key (a first or a last step), then by index. */
typedef struct block_order {
    int64_t key;
    int32_t block;
} block_order;

static int by_key(const void *a, const void *b) {
    const block_order *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->block > y->block) - (x->block < y->block);
}

/* Places the blocks: in order of their first step, each takes free memory after the blocks
 * whose last step is earlier have been given back. Returns the size of the node memory, or
 * SIZE_MAX when out of memory or the total overflows. */
static size_t plan_offsets(plan_block *blocks, int32_t block_count) {
    size_t total = 0;
    for (int32_t b = 0; b < block_count; b++) {
        if (total + blocks[b].bytes < total)
            return SIZE_MAX;
        total += blocks[b].bytes;
    }
    block_order *starts = malloc((size_t)block_count * sizeof *starts);
    block_order *ends = malloc((size_t)block_count * sizeof *ends);
    free_spans spans = {malloc(((size_t)block_count + 1) * sizeof *spans.span), 0, 0};
    if (!starts || !ends || !spans.span) {
        free(starts);
        free(ends);
        free(spans.span);
        return SIZE_MAX;
    }
    int32_t used = 0;
    for (int32_t b = 0; b < block_count; b++)
        if (blocks[b].bytes) {
            starts[used] = (block_order){blocks[b].start, b};
            ends[used] = (block_order){blocks[b].end, b};
            used++;
        }
    qsort(starts, (size_t)used, sizeof *starts, by_key);
    qsort(ends, (size_t)used, sizeof *ends, by_key);
    int32_t released = 0;
    for (int32_t k = 0; k < used; k++) {
        plan_block *block = &blocks[starts[k].block];
        for (; released < used && ends[released].key < block->start; released++)
            spans_release(&spans, blocks[ends[released].block].offset,
                          blocks[ends[released].block].bytes);
        block->offset = spans_take(&spans, block->bytes);
    }
    const size_t size = spans.top;
    free(starts);
    free(ends);
    free(spans.span);
    return size;
}

static sciml_status graph_build(sciml_graph *g, int64_t max_batch, int forward_only);

sciml_status sciml_graph_build(sciml_graph *g, int64_t max_batch) {
    return graph_build(g, max_batch, 0);
}

sciml_status sciml_graph_build_forward_only(sciml_graph *g, int64_t max_batch) {
    return graph_build(g, max_batch, 1);
}

static sciml_status graph_build(sciml_graph *g, int64_t max_batch, int forward_only) {
    if (!g)
        return SCIML_ERR_ARG;
    if (g->poison != SCIML_OK)
        return g->poison;
    if (g->built)
        return sciml_error(g->ctx, SCIML_ERR_STATE, "graph_build: the graph is already built");
    if (max_batch < 1)
        return sciml_error(g->ctx, SCIML_ERR_RANGE, "graph_build: max_batch is %lld, expected >= 1",
                           (long long)max_batch);
    if (g->node_count == 0)
        return sciml_error(g->ctx, SCIML_ERR_STATE, "graph_build: the graph has no nodes");

    /* Plan: byte offsets of every block in the arena. */
    int64_t param_count = 0;
    int max_custom_inputs = 0;
    size_t scratch_bytes = 0;
    for (int32_t i = 0; i < g->node_count; i++) {
        graph_node *node = &g->nodes[i];
        if (node->op == GRAPH_OP_PARAM) {
            node->param_offset = param_count;
            if (sciml_add_i64(param_count, node->fixed_count, &param_count))
                return sciml_error(g->ctx, SCIML_ERR_OVERFLOW, "graph_build: too many parameters");
        }
        if (node->op == GRAPH_OP_CUSTOM) {
            if (node->input_count > max_custom_inputs)
                max_custom_inputs = node->input_count;
            if (node->scratch_bytes > scratch_bytes)
                scratch_bytes = node->scratch_bytes;
        }
    }
    size_t offset = 0;
    if (add_block(&offset, param_count) || add_block(&offset, param_count))
        return sciml_error(g->ctx, SCIML_ERR_OVERFLOW, "graph_build: parameter memory overflows");
    for (int32_t i = 0; i < g->node_count; i++) {
        const graph_node *node = &g->nodes[i];
        int64_t count = node->fixed_count;
        if (node->op != GRAPH_OP_PARAM &&
            ((node->batched && sciml_mul_i64(count, max_batch, &count)) ||
             count > (INT64_MAX - ALIGN_DOUBLES) / (int64_t)sizeof(double)))
            return sciml_error(g->ctx, SCIML_ERR_OVERFLOW,
                               "graph_build: node %d with max_batch %lld overflows", (int)i,
                               (long long)max_batch);
    }
    /* Values and gradients: lifetimes from who reads what, then places by liveness. */
    const int32_t block_count = 2 * g->node_count;
    plan_block *blocks = malloc((size_t)block_count * sizeof *blocks);
    int32_t *last_use = malloc((size_t)g->node_count * sizeof *last_use);
    int32_t *first_reader = malloc((size_t)g->node_count * sizeof *first_reader);
    size_t node_bytes = SIZE_MAX;
    if (blocks && last_use && first_reader) {
        plan_lifetimes(g, forward_only, max_batch, last_use, first_reader, blocks);
        node_bytes = plan_offsets(blocks, block_count);
    }
    free(last_use);
    free(first_reader);
    if (node_bytes == SIZE_MAX || offset + node_bytes < offset) {
        free(blocks);
        return sciml_error(g->ctx, SCIML_ERR_NOMEM,
                           "graph_build: cannot plan the node memory (out of memory or its size "
                           "overflows)");
    }
    const size_t nodes_offset = offset;
    offset += node_bytes;
    size_t scratch_offset = offset;
    if (offset + scratch_bytes + 64 < offset) {
        free(blocks);
        return sciml_error(g->ctx, SCIML_ERR_OVERFLOW, "graph_build: scratch size overflows");
    }
    offset += (scratch_bytes + 63) / 64 * 64;

    /* The two allocations: the arena, and the host bookkeeping. */
    size_t view_count = (size_t)max_custom_inputs + 1;
    g->arena = g->backend->alloc(offset);
    g->arena_bytes = offset;
    g->flags = calloc((size_t)g->node_count, 3);
    g->views = calloc(view_count, sizeof *g->views);
    if (!g->arena || !g->flags || !g->views) {
        free(blocks);
        if (g->arena)
            g->backend->release(g->arena);
        free(g->flags);
        free(g->views);
        g->arena = NULL;
        g->flags = NULL;
        g->views = NULL;
        return sciml_error(g->ctx, SCIML_ERR_NOMEM, "graph_build: cannot allocate %zu bytes",
                           offset);
    }
    char *base = g->arena;
    g->params = (double *)base;
    {
        size_t grads_offset = 0;
        add_block(&grads_offset, param_count);
        g->grads = (double *)(base + grads_offset);
    }
    for (int32_t i = 0; i < g->node_count; i++) {
        graph_node *node = &g->nodes[i];
        if (node->op == GRAPH_OP_PARAM) {
            node->value = g->params + node->param_offset;
            node->grad = g->grads + node->param_offset;
            node->value_end = GRAPH_KEPT;
            continue;
        }
        node->value = (double *)(base + nodes_offset + blocks[2 * i].offset);
        node->value_end = blocks[2 * i].end;
        node->grad = blocks[2 * i + 1].bytes
                         ? (double *)(base + nodes_offset + blocks[2 * i + 1].offset)
                         : NULL;
    }
    free(blocks);
    g->scratch = scratch_bytes ? base + scratch_offset : NULL;
    g->scratch_bytes = scratch_bytes;
    g->needed = g->flags;
    g->on_path = g->flags + g->node_count;
    g->grad_ready = g->flags + 2 * (size_t)g->node_count;
    g->param_count = param_count;
    g->max_batch = max_batch;
    g->batch = max_batch;
    g->built = 1;
    g->forward_only = forward_only;
    g->forward_valid = 0;
    g->clock = -1;
    return SCIML_OK;
}

/* ---- running -------------------------------------------------------------------------------- */

static sciml_status require_built(const sciml_graph *g, const char *what) {
    if (!g)
        return SCIML_ERR_ARG;
    if (!g->built)
        return sciml_error(g->ctx, g->poison != SCIML_OK ? g->poison : SCIML_ERR_STATE,
                           "%s: the graph is not built (call sciml_graph_build first%s)", what,
                           g->poison != SCIML_OK ? "; construction failed" : "");
    return SCIML_OK;
}

static sciml_status require_node(const sciml_graph *g, sciml_node n, const char *what) {
    sciml_status status = require_built(g, what);
    if (status != SCIML_OK)
        return status;
    if (!valid_node(g, n))
        return sciml_error(g->ctx, SCIML_ERR_ARG, "%s: node %d does not exist (%d nodes)", what,
                           (int)n, (int)g->node_count);
    return SCIML_OK;
}

sciml_status sciml_graph_set_batch(sciml_graph *g, int64_t batch) {
    sciml_status status = require_built(g, "graph_set_batch");
    if (status != SCIML_OK)
        return status;
    if (batch < 1 || batch > g->max_batch)
        return sciml_error(
            g->ctx, SCIML_ERR_RANGE,
            "graph_set_batch: batch %lld is outside 1..%lld (the max_batch of build)",
            (long long)batch, (long long)g->max_batch);
    if (batch != g->batch)
        g->forward_valid = 0;
    g->batch = batch;
    return SCIML_OK;
}

int64_t sciml_graph_batch(const sciml_graph *g) {
    return g && g->built ? g->batch : 0;
}

sciml_status sciml_graph_set_input(sciml_graph *g, sciml_node input, const double *values,
                                   int64_t count) {
    sciml_status status = require_node(g, input, "graph_set_input");
    if (status != SCIML_OK)
        return status;
    const graph_node *node = &g->nodes[input];
    if (node->op != GRAPH_OP_INPUT)
        return sciml_error(g->ctx, SCIML_ERR_ARG, "graph_set_input: node %d is not an input",
                           (int)input);
    int64_t expected = sciml_ad_count(g, input);
    if (count != expected) {
        char text[96];
        return sciml_error(g->ctx, SCIML_ERR_SHAPE,
                           "graph_set_input: '%s' has shape %s = %lld values at batch %lld, "
                           "given %lld",
                           node->name, sciml_ad_shape_text(g, input, text), (long long)expected,
                           (long long)g->batch, (long long)count);
    }
    if (!values && count > 0)
        return sciml_error(g->ctx, SCIML_ERR_ARG, "graph_set_input: values is NULL");
    g->backend->upload(node->value, values, count);
    return SCIML_OK;
}

sciml_status sciml_graph_set_input_rows(sciml_graph *g, sciml_node input, const double *table,
                                        int64_t table_rows, const int64_t *rows, int64_t count) {
    sciml_status status = require_node(g, input, "graph_set_input_rows");
    if (status != SCIML_OK)
        return status;
    const graph_node *node = &g->nodes[input];
    if (node->op != GRAPH_OP_INPUT)
        return sciml_error(g->ctx, SCIML_ERR_ARG, "graph_set_input_rows: node %d is not an input",
                           (int)input);
    int64_t total = sciml_ad_count(g, input);
    if (count != g->batch || count <= 0 || total % count != 0)
        return sciml_error(g->ctx, SCIML_ERR_SHAPE,
                           "graph_set_input_rows: '%s' takes %lld rows at batch %lld, given %lld",
                           node->name, (long long)g->batch, (long long)g->batch, (long long)count);
    if (!table || !rows)
        return sciml_error(g->ctx, SCIML_ERR_ARG, "graph_set_input_rows: NULL table or rows");
    for (int64_t r = 0; r < count; r++)
        if (rows[r] < 0 || rows[r] >= table_rows)
            return sciml_error(g->ctx, SCIML_ERR_RANGE,
                               "graph_set_input_rows: row %lld is outside the table of %lld rows",
                               (long long)rows[r], (long long)table_rows);
    g->backend->upload_rows(node->value, table, total / count, rows, count);
    return SCIML_OK;
}

sciml_status sciml_graph_forward(sciml_graph *g, sciml_node output) {
    sciml_status status = require_node(g, output, "graph_forward");
    if (status != SCIML_OK)
        return status;
    unsigned char *needed = g->needed;
    memset(needed, 0, (size_t)g->node_count);
    needed[output] = 1;
    for (sciml_node n = output; n >= 0; n--) {
        if (!needed[n])
            continue;
        const graph_node *node = &g->nodes[n];
        for (int i = 0; i < node->input_count; i++)
            needed[node->inputs[i]] = 1;
    }
    g->forward_valid = 0;
    for (sciml_node n = 0; n <= output; n++) {
        if (!needed[n] || g->nodes[n].op == GRAPH_OP_INPUT || g->nodes[n].op == GRAPH_OP_PARAM)
            continue;
        status = sciml_ad_forward_node(g, n);
        if (status != SCIML_OK)
            return status;
    }
    g->forward_valid = 1;
    g->clock = output;
    return SCIML_OK;
}

sciml_status sciml_graph_backward(sciml_graph *g, sciml_node loss) {
    sciml_status status = require_node(g, loss, "graph_backward");
    if (status != SCIML_OK)
        return status;
    if (g->forward_only)
        return sciml_error(g->ctx, SCIML_ERR_STATE,
                           "graph_backward: the graph was built forward-only (no gradients)");
    if (!g->forward_valid || !g->needed[loss])
        return sciml_error(g->ctx, SCIML_ERR_STATE,
                           "graph_backward: run sciml_graph_forward on node %d (at this batch) "
                           "before backward",
                           (int)loss);
    if (sciml_ad_count(g, loss) != 1) {
        char text[96];
        return sciml_error(g->ctx, SCIML_ERR_SHAPE,
                           "graph_backward: the loss must be a scalar, node %d has shape %s",
                           (int)loss, sciml_ad_shape_text(g, loss, text));
    }
    unsigned char *on_path = g->on_path;
    memset(on_path, 0, (size_t)g->node_count);
    memset(g->grad_ready, 0, (size_t)g->node_count);
    on_path[loss] = g->nodes[loss].needs_grad;
    for (sciml_node n = loss; n >= 0; n--) {
        if (!on_path[n])
            continue;
        const graph_node *node = &g->nodes[n];
        for (int i = 0; i < node->input_count; i++)
            if (g->nodes[node->inputs[i]].needs_grad)
                on_path[node->inputs[i]] = 1;
    }
    if (on_path[loss]) {
        g->backend->fill(g->nodes[loss].grad, 0, 1, 1.0);
        g->grad_ready[loss] = 1;
    }
    /* From here the blocks of values backward has finished with take gradients. */
    g->forward_valid = 0;
    for (sciml_node n = loss; n >= 0; n--) {
        graph_node *node = &g->nodes[n];
        if (!on_path[n] || !g->grad_ready[n] || node->op == GRAPH_OP_INPUT ||
            node->op == GRAPH_OP_PARAM)
            continue;
        status = sciml_ad_backward_node(g, n);
        if (status != SCIML_OK)
            return status;
    }
    /* Parameters the loss does not reach have gradient zero. */
    for (sciml_node n = 0; n < g->node_count; n++) {
        const graph_node *node = &g->nodes[n];
        if (node->op == GRAPH_OP_PARAM && !g->grad_ready[n])
            g->backend->fill(g->grads, node->param_offset, node->fixed_count, 0.0);
    }
    return SCIML_OK;
}

/* ---- inspection -------------------------------------------------------------------------------
 */

/* Whether node n's block still holds its value: always for the blocks of their own; else the
 * last forward computed it and no later step has reused the block. */
static int value_held(const sciml_graph *g, sciml_node n) {
    const graph_node *node = &g->nodes[n];
    return node->value_end == GRAPH_KEPT ||
           (g->forward_valid && g->needed[n] && g->clock <= node->value_end);
}

int sciml_graph_shape(const sciml_graph *g, sciml_node node, int64_t shape[SCIML_MAX_DIMS]) {
    if (!valid_node(g, node))
        return 0;
    const graph_node *n = &g->nodes[node];
    if (g->built)
        sciml_ad_resolved_shape(g, node, shape);
    else
        memcpy(shape, n->shape, (size_t)n->ndim * sizeof *shape);
    return n->ndim;
}

int64_t sciml_graph_count(const sciml_graph *g, sciml_node node) {
    if (!valid_node(g, node))
        return 0;
    const graph_node *n = &g->nodes[node];
    return n->batched ? n->fixed_count * (g->built ? g->batch : 1) : n->fixed_count;
}

sciml_status sciml_graph_get_value(const sciml_graph *g, sciml_node node, double *values,
                                   int64_t count) {
    sciml_status status = require_node(g, node, "graph_get_value");
    if (status != SCIML_OK)
        return status;
    int64_t expected = sciml_ad_count(g, node);
    if (count != expected)
        return sciml_error(g->ctx, SCIML_ERR_SHAPE,
                           "graph_get_value: node %d has %lld values at batch %lld, asked for %lld",
                           (int)node, (long long)expected, (long long)g->batch, (long long)count);
    if (!values && count > 0)
        return sciml_error(g->ctx, SCIML_ERR_ARG, "graph_get_value: values is NULL");
    if (!value_held(g, node))
        return sciml_error(g->ctx, SCIML_ERR_STATE,
                           "graph_get_value: node %d's memory is reused after the step that last "
                           "reads it; read it after a sciml_graph_forward to it (before backward)",
                           (int)node);
    g->backend->download(values, g->nodes[node].value, count);
    return SCIML_OK;
}

sciml_status sciml_graph_get_grad(const sciml_graph *g, sciml_node node, double *values,
                                  int64_t count) {
    sciml_status status = require_node(g, node, "graph_get_grad");
    if (status != SCIML_OK)
        return status;
    const graph_node *n = &g->nodes[node];
    int64_t expected = sciml_ad_count(g, node);
    if (n->op != GRAPH_OP_INPUT || !n->needs_grad || count != expected || (!values && count > 0))
        return sciml_error(g->ctx, SCIML_ERR_ARG,
                           "graph_get_grad: node %d is not an input with gradient of %lld values",
                           (int)node, (long long)count);
    if (g->grad_ready[node])
        g->backend->download(values, n->grad, count);
    else
        memset(values, 0, (size_t)count * sizeof *values);
    return SCIML_OK;
}

double sciml_graph_scalar(const sciml_graph *g, sciml_node node) {
    if (!valid_node(g, node) || !g->built || !value_held(g, node))
        return NAN;
    double value;
    g->backend->download(&value, g->nodes[node].value, 1);
    return value;
}

sciml_node sciml_graph_find(const sciml_graph *g, const char *name) {
    if (!g || !name)
        return SCIML_NO_NODE;
    for (int32_t i = 0; i < g->node_count; i++)
        if (g->nodes[i].name && strcmp(g->nodes[i].name, name) == 0)
            return i;
    return SCIML_NO_NODE;
}

const char *sciml_graph_name(const sciml_graph *g, sciml_node node) {
    if (!valid_node(g, node))
        return NULL;
    return g->nodes[node].name ? g->nodes[node].name : "";
}

size_t sciml_graph_memory_bytes(const sciml_graph *g) {
    return g && g->built ? g->arena_bytes : 0;
}

int64_t sciml_graph_param_count(const sciml_graph *g) {
    if (!g)
        return 0;
    if (g->built)
        return g->param_count;
    int64_t count = 0;
    for (int32_t i = 0; i < g->node_count; i++)
        if (g->nodes[i].op == GRAPH_OP_PARAM)
            count += g->nodes[i].fixed_count;
    return count;
}

double *sciml_graph_params(sciml_graph *g) {
    return g && g->built ? g->params : NULL;
}
double *sciml_graph_grads(sciml_graph *g) {
    return g && g->built ? g->grads : NULL;
}

int sciml_graph_param_nodes(const sciml_graph *g, sciml_node *nodes, int capacity) {
    int count = 0;
    for (int32_t i = 0; g && i < g->node_count; i++)
        if (g->nodes[i].op == GRAPH_OP_PARAM) {
            if (nodes && count < capacity)
                nodes[count] = i;
            count++;
        }
    return count;
}

int64_t sciml_graph_param_offset(const sciml_graph *g, sciml_node param) {
    if (!valid_node(g, param) || g->nodes[param].op != GRAPH_OP_PARAM)
        return -1;
    if (g->built)
        return g->nodes[param].param_offset;
    int64_t offset = 0;
    for (int32_t i = 0; i < param; i++)
        if (g->nodes[i].op == GRAPH_OP_PARAM)
            offset += g->nodes[i].fixed_count;
    return offset;
}

/* ---- gradient check -----------------------------------------------------------------------------
 */

sciml_status sciml_graph_check_gradient(sciml_graph *g, sciml_node loss, double step,
                                        double *max_relative_error) {
    sciml_status status = require_node(g, loss, "graph_check_gradient");
    if (status != SCIML_OK)
        return status;
    if (!(step > 0.0) || !max_relative_error)
        return sciml_error(g->ctx, SCIML_ERR_ARG,
                           "graph_check_gradient: step must be > 0 and the result non-NULL");
    if ((status = sciml_graph_forward(g, loss)) != SCIML_OK ||
        (status = sciml_graph_backward(g, loss)) != SCIML_OK)
        return status;
    double worst = 0.0;
    for (int64_t i = 0; i < g->param_count; i++) {
        double saved, analytic, plus_loss, minus_loss;
        g->backend->download(&saved, g->params + i, 1);
        g->backend->download(&analytic, g->grads + i, 1);
        double plus = saved + step, minus = saved - step;
        g->backend->upload(g->params + i, &plus, 1);
        status = sciml_graph_forward(g, loss);
        plus_loss = sciml_graph_scalar(g, loss);
        g->backend->upload(g->params + i, &minus, 1);
        if (status == SCIML_OK)
            status = sciml_graph_forward(g, loss);
        minus_loss = sciml_graph_scalar(g, loss);
        g->backend->upload(g->params + i, &saved, 1);
        if (status != SCIML_OK)
            return status;
        double numeric = (plus_loss - minus_loss) / (plus - minus);
        double scale = fmax(1.0, fmax(fabs(numeric), fabs(analytic)));
        double error = fabs(numeric - analytic) / scale;
        if (!(error <= worst)) /* NaN counts as the worst */
            worst = isnan(error) ? INFINITY : error;
    }
    *max_relative_error = worst;
    return sciml_graph_forward(g, loss);
}
