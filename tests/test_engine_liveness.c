/* Engine: the memory plan of training graphs. Build lets values and gradients share blocks by
 * liveness (ad/graph.c, with ops.c saying which values each op's backward reads); these tests
 * check that the sharing changes no number, that it saves what it should, and that a value
 * whose block was reused is refused instead of read.
 *
 * - Random graphs of every op (skips, broadcasts, slices, reshapes, dead ends), built twice:
 *   once as planned, once with sciml_graph_keep on every node (no value block shared). Loss,
 *   parameter gradients and input gradients agree bit for bit at two batches, and the planned
 *   graph passes the finite-difference check.
 * - A stack of FNO-shaped layers, gelu(linear(h) + linear(h)): each layer adds the two values
 *   its backward reads (h and the sum), not its eight values and gradients.
 * - When a value can be read, and backward twice.
 * - Custom ops that declare what their backward reads.
 */
#include "sciml/graph.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define WIDTH 6

/* ---- random graphs ------------------------------------------------------------------------- */

static sciml_node random_param(sciml_graph *g, int ndim, int64_t rows, int64_t cols) {
    static int counter;
    char name[32];
    snprintf(name, sizeof name, "p%d", counter++);
    int64_t shape[2] = {rows, cols};
    return sciml_graph_param(g, name, ndim, ndim == 1 ? &shape[1] : shape);
}

/* A node from the pool, mostly one of the last few (deep chains), sometimes any (long skips). */
static sciml_node pick(sciml_rng *rng, const sciml_node *pool, int count) {
    int back = sciml_rng_uniform(rng) < 0.7 ? (int)(sciml_rng_uniform(rng) * 3.0)
                                            : (int)(sciml_rng_uniform(rng) * count);
    if (back >= count)
        back = count - 1;
    return pool[count - 1 - back];
}

/* One op on one or two pool nodes, all of shape (batch, WIDTH). */
static sciml_node random_op(sciml_graph *g, sciml_rng *rng, const sciml_node *pool, int count) {
    sciml_node a = pick(rng, pool, count), b = pick(rng, pool, count);
    const int64_t rows[2] = {SCIML_BATCH, WIDTH}, split[3] = {SCIML_BATCH, 2, WIDTH / 2};
    const int64_t column[2] = {SCIML_BATCH, 1};
    switch ((int)(sciml_rng_uniform(rng) * 17.0)) {
    case 0:
        return sciml_linear(g, a, random_param(g, 2, WIDTH, WIDTH), random_param(g, 1, 1, WIDTH));
    case 1:
        return sciml_linear(g, a, random_param(g, 2, WIDTH, WIDTH), SCIML_NO_NODE);
    case 2:
        return sciml_add(g, a, b);
    case 3:
        return sciml_sub(g, a, b);
    case 4:
        return sciml_mul(g, a, b);
    case 5:
        return sciml_div(g, a, sciml_add_scalar(g, sciml_square(g, b), 1.0));
    case 6:
        return sciml_tanh(g, a);
    case 7:
        return sciml_gelu(g, a);
    case 8:
        return sciml_sigmoid(g, a);
    case 9:
        return sciml_exp(g, sciml_scale(g, sciml_tanh(g, a), 0.5));
    case 10:
        return sciml_sin(g, a);
    case 11:
        return sciml_concat(
            g, 2, (sciml_node[]){sciml_slice(g, a, 1, 0, 2), sciml_slice(g, b, 1, 2, WIDTH)}, 1);
    case 12:
        return sciml_reshape(g, sciml_scale(g, sciml_reshape(g, a, 3, split), -0.7), 2, rows);
    case 13:
        return sciml_mul(g, a, random_param(g, 1, 1, WIDTH));
    case 14:
        return sciml_sqrt(g, sciml_add_scalar(g, sciml_square(g, a), 0.5));
    case 15:
        return sciml_mul(g, a, sciml_reshape(g, sciml_mean(g, b, 1), 2, column));
    default:
        return sciml_softplus(g, sciml_add(g, a, sciml_cos(g, b)));
    }
}

typedef struct random_graph {
    sciml_graph *g;
    sciml_node x, data, target, weights, loss;
} random_graph;

/* The graph of `seed`; with keep_all, every node keeps its value block. */
static void random_graph_make(sciml_ctx *ctx, unsigned seed, int keep_all, random_graph *r) {
    sciml_rng rng;
    sciml_rng_seed(&rng, seed);
    CU_ASSERT_EQUAL_FATAL(sciml_graph_create(ctx, &r->g), SCIML_OK);
    sciml_graph *g = r->g;
    const int64_t rows[2] = {SCIML_BATCH, WIDTH};
    r->x = sciml_graph_input_with_grad(g, "x", 2, rows);
    r->data = sciml_graph_input(g, "data", 2, rows);
    r->target = sciml_graph_input(g, "target", 2, rows);
    r->weights = sciml_graph_input(g, "weights", 2, rows);
    sciml_node pool[64];
    int count = 0;
    pool[count++] = sciml_linear(g, r->x, random_param(g, 2, WIDTH, WIDTH), SCIML_NO_NODE);
    pool[count++] = sciml_tanh(g, sciml_add(g, r->data, pool[0]));
    while (count < 40) {
        const sciml_node n = random_op(g, &rng, pool, count);
        pool[count++] = n;
    }
    /* two terms: an mse on the last node and a weighted sum of an earlier one */
    sciml_node fit = sciml_mse(g, pool[count - 1], r->target);
    sciml_node side = sciml_sum(g, sciml_mul(g, pick(&rng, pool, count - 1), r->weights), 0);
    r->loss = sciml_add(g, fit, sciml_mean(g, side, SCIML_ALL_AXES));
    if (keep_all)
        for (sciml_node n = 0; n <= r->loss; n++)
            CU_ASSERT_EQUAL(sciml_graph_keep(g, n), SCIML_OK);
    CU_ASSERT_EQUAL_FATAL(sciml_graph_build(g, 5), SCIML_OK);
}

/* Parameters of seed; inputs of the batch. Returns the loss after forward and backward. */
static double random_graph_run(random_graph *r, int64_t batch, double *x_grad) {
    sciml_rng rng;
    sciml_rng_seed(&rng, 77);
    const int64_t count = sciml_graph_param_count(r->g);
    for (int64_t i = 0; i < count; i++)
        sciml_graph_params(r->g)[i] = 0.4 * sciml_rng_normal(&rng);
    double values[4][5 * WIDTH];
    for (int k = 0; k < 4; k++)
        for (int i = 0; i < 5 * WIDTH; i++)
            values[k][i] = sciml_rng_normal(&rng);
    const int64_t n = batch * WIDTH;
    CU_ASSERT_EQUAL(sciml_graph_set_batch(r->g, batch), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_graph_set_input(r->g, r->x, values[0], n), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_graph_set_input(r->g, r->data, values[1], n), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_graph_set_input(r->g, r->target, values[2], n), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_graph_set_input(r->g, r->weights, values[3], n), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_graph_forward(r->g, r->loss), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_graph_backward(r->g, r->loss), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_graph_get_grad(r->g, r->x, x_grad, n), SCIML_OK);
    return sciml_graph_scalar(r->g, r->loss);
}

static void test_random_graphs(void) {
    sciml_ctx *ctx;
    CU_ASSERT_EQUAL_FATAL(sciml_ctx_create(&ctx), SCIML_OK);
    size_t shared_bytes = 0, kept_bytes = 0;
    for (unsigned seed = 1; seed <= 25; seed++) {
        random_graph shared, kept;
        random_graph_make(ctx, seed, 0, &shared);
        random_graph_make(ctx, seed, 1, &kept);
        const int64_t count = sciml_graph_param_count(shared.g);
        CU_ASSERT_EQUAL_FATAL(sciml_graph_param_count(kept.g), count);
        shared_bytes += sciml_graph_memory_bytes(shared.g);
        kept_bytes += sciml_graph_memory_bytes(kept.g);
        for (int64_t batch = 5; batch >= 2; batch -= 3) {
            double grad_shared[5 * WIDTH], grad_kept[5 * WIDTH];
            const double loss_shared = random_graph_run(&shared, batch, grad_shared);
            const double loss_kept = random_graph_run(&kept, batch, grad_kept);
            CU_ASSERT(isfinite(loss_shared));
            CU_ASSERT_EQUAL(memcmp(&loss_shared, &loss_kept, sizeof loss_kept), 0);
            CU_ASSERT_EQUAL(memcmp(sciml_graph_grads(shared.g), sciml_graph_grads(kept.g),
                                   (size_t)count * sizeof(double)),
                            0);
            CU_ASSERT_EQUAL(
                memcmp(grad_shared, grad_kept, (size_t)(batch * WIDTH) * sizeof(double)), 0);
        }
        double error = 1.0;
        CU_ASSERT_EQUAL(sciml_graph_check_gradient(shared.g, shared.loss, 1e-6, &error), SCIML_OK);
        if (!(error < 1e-6))
            printf("\n    seed %u: finite-difference error %.3g ", seed, error);
        CU_ASSERT(error < 1e-6);
        sciml_graph_destroy(&shared.g);
        sciml_graph_destroy(&kept.g);
    }
    /* every value kept against values shared: the plan must save a good part */
    CU_ASSERT(shared_bytes < kept_bytes * 3 / 4);
    sciml_ctx_destroy(&ctx);
}

/* ---- FNO-shaped layers ----------------------------------------------------------------------- */

enum { STACK_BATCH = 16, STACK_WIDTH = 64 };

/* `layers` times h = gelu(linear(h) + linear(h) + b), then a relative-L2 loss. */
static size_t stack_memory(int layers) {
    sciml_ctx *ctx;
    sciml_graph *g;
    CU_ASSERT_FATAL(sciml_ctx_create(&ctx) == SCIML_OK && sciml_graph_create(ctx, &g) == SCIML_OK);
    const int64_t rows[2] = {SCIML_BATCH, STACK_WIDTH};
    sciml_node h = sciml_graph_input(g, "x", 2, rows);
    sciml_node target = sciml_graph_input(g, "u", 2, rows);
    for (int l = 0; l < layers; l++) {
        sciml_node spectral =
            sciml_linear(g, h, random_param(g, 2, STACK_WIDTH, STACK_WIDTH), SCIML_NO_NODE);
        sciml_node pointwise = sciml_linear(g, h, random_param(g, 2, STACK_WIDTH, STACK_WIDTH),
                                            random_param(g, 1, 1, STACK_WIDTH));
        h = sciml_gelu(g, sciml_add(g, spectral, pointwise));
    }
    sciml_rel_l2(g, h, target);
    CU_ASSERT_EQUAL_FATAL(sciml_graph_build(g, STACK_BATCH), SCIML_OK);
    const size_t bytes =
        sciml_graph_memory_bytes(g) - 2 * (size_t)sciml_graph_param_count(g) * sizeof(double);
    sciml_graph_destroy(&g);
    sciml_ctx_destroy(&ctx);
    return bytes;
}

static void test_layer_stack(void) {
    const size_t block = (size_t)STACK_BATCH * STACK_WIDTH * sizeof(double);
    const size_t four = stack_memory(4), eight = stack_memory(8);
    /* each layer keeps h (both linears read it) and the sum (gelu reads it); without sharing a
     * layer held 4 values and 4 gradients */
    CU_ASSERT(eight > four);
    CU_ASSERT_EQUAL(eight - four, 4 * 2 * block);
    CU_ASSERT(eight < 8 * 3 * block);
}

/* ---- when a value can be read -----------------------------------------------------------------
 */

static void test_read_rules(void) {
    sciml_ctx *ctx;
    CU_ASSERT_EQUAL_FATAL(sciml_ctx_create(&ctx), SCIML_OK);
    for (int keep_slice = 0; keep_slice < 2; keep_slice++) {
        sciml_graph *g;
        CU_ASSERT_EQUAL_FATAL(sciml_graph_create(ctx, &g), SCIML_OK);
        const int64_t rows[2] = {SCIML_BATCH, 4};
        sciml_node x = sciml_graph_input(g, "x", 2, rows);
        sciml_node r = sciml_graph_input(g, "r", 2, (int64_t[]){SCIML_BATCH, 2});
        sciml_node z = sciml_linear(g, x, random_param(g, 2, 4, 4), random_param(g, 1, 1, 4));
        sciml_node h = sciml_tanh(g, z);           /* its backward reads h, not z */
        sciml_node s = sciml_slice(g, h, 1, 0, 2); /* no backward reads s */
        sciml_node p = sciml_scale(g, s, 2.0);     /* the mul's backward reads p */
        sciml_node loss = sciml_sum(g, sciml_mul(g, p, r), SCIML_ALL_AXES);
        if (keep_slice)
            CU_ASSERT_EQUAL(sciml_graph_keep(g, s), SCIML_OK);
        CU_ASSERT_EQUAL(sciml_graph_keep(g, 99), SCIML_ERR_ARG);
        CU_ASSERT_EQUAL_FATAL(sciml_graph_build(g, 3), SCIML_OK);
        CU_ASSERT_EQUAL(sciml_graph_keep(g, s), SCIML_ERR_STATE);
        for (int64_t i = 0; i < sciml_graph_param_count(g); i++)
            sciml_graph_params(g)[i] = 0.1 * (double)(i % 7) - 0.3;
        const double xs[12] = {1, 2, 3, 4, -1, -2, -3, -4, 0.5, 0, -0.5, 1};
        const double rs[6] = {1, -1, 2, 0.5, -2, 3};
        CU_ASSERT_EQUAL(sciml_graph_set_input(g, x, xs, 12), SCIML_OK);
        CU_ASSERT_EQUAL(sciml_graph_set_input(g, r, rs, 6), SCIML_OK);
        double value[12], slice_value[6], again[6];

        CU_ASSERT_EQUAL(sciml_graph_forward(g, loss), SCIML_OK);
        CU_ASSERT_EQUAL(sciml_graph_get_value(g, h, value, 12), SCIML_OK);
        CU_ASSERT_EQUAL(sciml_graph_get_value(g, p, value, 6), SCIML_OK);
        CU_ASSERT_EQUAL(sciml_graph_get_value(g, x, value, 12), SCIML_OK);
        CU_ASSERT_EQUAL(sciml_graph_get_value(g, z, value, 12), SCIML_ERR_STATE);
        CU_ASSERT(strstr(sciml_ctx_message(ctx), "memory is reused") != NULL);
        CU_ASSERT_EQUAL(sciml_graph_get_value(g, s, value, 6),
                        keep_slice ? SCIML_OK : SCIML_ERR_STATE);
        /* a forward to a node leaves that node readable */
        CU_ASSERT_EQUAL(sciml_graph_forward(g, s), SCIML_OK);
        CU_ASSERT_EQUAL(sciml_graph_get_value(g, s, slice_value, 6), SCIML_OK);
        CU_ASSERT_EQUAL(sciml_graph_get_value(g, z, value, 12), SCIML_ERR_STATE);
        CU_ASSERT_EQUAL(sciml_graph_forward(g, z), SCIML_OK);
        CU_ASSERT_EQUAL(sciml_graph_get_value(g, z, value, 12), SCIML_OK);
        for (int i = 0; i < 6; i++) /* s = tanh(z)[:, 0:2] */
            SCIML_ASSERT_CLOSE(slice_value[i], tanh(value[(i / 2) * 4 + i % 2]), 1e-15);
        /* after backward only the blocks of their own hold values */
        CU_ASSERT_EQUAL(sciml_graph_forward(g, loss), SCIML_OK);
        CU_ASSERT_EQUAL(sciml_graph_backward(g, loss), SCIML_OK);
        CU_ASSERT(isfinite(sciml_graph_scalar(g, loss)));
        CU_ASSERT_EQUAL(sciml_graph_get_value(g, x, value, 12), SCIML_OK);
        CU_ASSERT_EQUAL(sciml_graph_get_value(g, h, value, 12), SCIML_ERR_STATE);
        CU_ASSERT(isnan(sciml_graph_scalar(g, h)));
        CU_ASSERT_EQUAL(sciml_graph_get_value(g, s, again, 6),
                        keep_slice ? SCIML_OK : SCIML_ERR_STATE);
        if (keep_slice)
            CU_ASSERT_EQUAL(memcmp(again, slice_value, sizeof again), 0);
        /* backward has used up the forward */
        CU_ASSERT_EQUAL(sciml_graph_backward(g, loss), SCIML_ERR_STATE);
        CU_ASSERT_EQUAL(sciml_graph_forward(g, loss), SCIML_OK);
        CU_ASSERT_EQUAL(sciml_graph_backward(g, loss), SCIML_OK);
        sciml_graph_destroy(&g);
    }
    sciml_ctx_destroy(&ctx);
}

/* ---- custom ops that declare what their backward reads -----------------------------------------
 */

/* y = 2 x (reads no value in backward) and y = x^2 (reads x). */
static sciml_status twice_forward(void *state, int count, const sciml_tensor_view *in,
                                  sciml_tensor_view *out, void *scratch) {
    (void)state, (void)count, (void)scratch;
    for (int64_t i = 0; i < out->count; i++)
        out->value[i] = 2.0 * in[0].value[i];
    return SCIML_OK;
}

static sciml_status twice_backward(void *state, int count, const sciml_tensor_view *in,
                                   const sciml_tensor_view *out, void *scratch) {
    (void)state, (void)count, (void)scratch;
    if (in[0].grad)
        for (int64_t i = 0; i < out->count; i++)
            in[0].grad[i] += 2.0 * out->grad[i];
    return SCIML_OK;
}

static sciml_status square_forward(void *state, int count, const sciml_tensor_view *in,
                                   sciml_tensor_view *out, void *scratch) {
    (void)state, (void)count, (void)scratch;
    for (int64_t i = 0; i < out->count; i++)
        out->value[i] = in[0].value[i] * in[0].value[i];
    return SCIML_OK;
}

static sciml_status square_backward(void *state, int count, const sciml_tensor_view *in,
                                    const sciml_tensor_view *out, void *scratch) {
    (void)state, (void)count, (void)scratch;
    if (in[0].grad)
        for (int64_t i = 0; i < out->count; i++)
            in[0].grad[i] += 2.0 * in[0].value[i] * out->grad[i];
    return SCIML_OK;
}

static const sciml_op_def twice_op = {"twice", twice_forward, twice_backward, NULL};
static const sciml_op_def square_op = {"square", square_forward, square_backward, NULL};

/* x -> linear -> twice -> square -> twice -> square -> sum; declared or not. */
static void custom_chain(sciml_ctx *ctx, int declare, double *loss, double *grads, size_t *bytes) {
    sciml_graph *g;
    CU_ASSERT_EQUAL_FATAL(sciml_graph_create(ctx, &g), SCIML_OK);
    const int64_t rows[2] = {SCIML_BATCH, 32};
    sciml_node h = sciml_graph_input(g, "x", 2, rows);
    h = sciml_linear(g, h, random_param(g, 2, 32, 32), SCIML_NO_NODE);
    for (int k = 0; k < 4; k++) {
        const int square = k % 2;
        h = sciml_custom(g, square ? &square_op : &twice_op, NULL, 1, &h, 2, rows, 0);
        if (declare)
            CU_ASSERT_EQUAL(sciml_custom_set_backward_reads(g, h, square ? 1u : 0u, 0), SCIML_OK);
    }
    sciml_node loss_node = sciml_sum(g, h, SCIML_ALL_AXES);
    CU_ASSERT_EQUAL(sciml_custom_set_backward_reads(g, loss_node, 0, 0), SCIML_ERR_ARG);
    CU_ASSERT_EQUAL_FATAL(sciml_graph_build(g, 8), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_custom_set_backward_reads(g, h, 0, 0), SCIML_ERR_STATE);
    *bytes = sciml_graph_memory_bytes(g);
    sciml_rng rng;
    sciml_rng_seed(&rng, 3);
    for (int64_t i = 0; i < 32 * 32; i++)
        sciml_graph_params(g)[i] = 0.05 * sciml_rng_normal(&rng);
    double x[8 * 32];
    for (int i = 0; i < 8 * 32; i++)
        x[i] = sciml_rng_normal(&rng);
    CU_ASSERT_EQUAL(sciml_graph_set_input(g, sciml_graph_find(g, "x"), x, 8 * 32), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_graph_forward(g, loss_node), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_graph_backward(g, loss_node), SCIML_OK);
    *loss = sciml_graph_scalar(g, loss_node);
    memcpy(grads, sciml_graph_grads(g), 32 * 32 * sizeof *grads);
    double error = 1.0;
    CU_ASSERT_EQUAL(sciml_graph_check_gradient(g, loss_node, 1e-6, &error), SCIML_OK);
    if (!(error < 1e-6))
        printf("\n    finite-difference error %.3g ", error);
    CU_ASSERT(error < 1e-6);
    sciml_graph_destroy(&g);
}

static void test_custom_reads(void) {
    sciml_ctx *ctx;
    CU_ASSERT_EQUAL_FATAL(sciml_ctx_create(&ctx), SCIML_OK);
    static double grads_declared[32 * 32], grads_default[32 * 32];
    double loss_declared, loss_default;
    size_t declared, by_default;
    custom_chain(ctx, 1, &loss_declared, grads_declared, &declared);
    custom_chain(ctx, 0, &loss_default, grads_default, &by_default);
    CU_ASSERT_EQUAL(memcmp(&loss_declared, &loss_default, sizeof loss_default), 0);
    CU_ASSERT_EQUAL(memcmp(grads_declared, grads_default, sizeof grads_default), 0);
    /* undeclared, every value is read by its consumer's backward and stays; declared, the
     * outputs of the squares (read by no backward) share blocks */
    CU_ASSERT(declared < by_default);
    sciml_ctx_destroy(&ctx);
}

int main(void) {
    static const sciml_test_case cases[] = {
        {"random graphs: shared and kept values give the same bits", test_random_graphs},
        {"FNO-shaped layers: two values per layer", test_layer_stack},
        {"which values can be read, and when", test_read_rules},
        {"custom ops that declare what backward reads", test_custom_reads},
        {NULL, NULL},
    };
    return sciml_test_main("engine_liveness", cases);
}
