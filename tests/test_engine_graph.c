/* Engine: the static graph. Finite-difference gradient checks for every op (central
 * differences, step 1e-5, parameters as the leaves checked, random inputs), hand-computed
 * forward values, batch handling, error reporting and the custom-op path.
 *
 * Gradient criterion: |g_fd - g_ad| / max(|g_fd|, |g_ad|, 1e-3) < 1e-6 for every parameter;
 * the 1e-3 floor keeps near-zero gradients (where the finite difference's ~1e-11 absolute
 * round-off dominates) from failing spuriously.
 */
#include "sciml/graph.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FD_STEP 1e-5
#define FD_FLOOR 1e-3
#define FD_TOLERANCE 1e-6

enum { INIT_SIGNED = 0, INIT_POSITIVE = 1, INIT_AWAY_FROM_ZERO = 2 };

typedef struct fixture {
    sciml_ctx *ctx;
    sciml_graph *g;
    sciml_rng rng;
} fixture;

static void fixture_open(fixture *f) {
    CU_ASSERT_EQUAL_FATAL(sciml_ctx_create(&f->ctx), SCIML_OK);
    CU_ASSERT_EQUAL_FATAL(sciml_graph_create(f->ctx, &f->g), SCIML_OK);
    sciml_rng_seed(&f->rng, 1234);
}

static void fixture_close(fixture *f) {
    sciml_graph_destroy(&f->g);
    CU_ASSERT_PTR_NULL(f->g);
    sciml_ctx_destroy(&f->ctx);
}

static sciml_node param2(sciml_graph *g, const char *name, int64_t rows, int64_t cols) {
    int64_t shape[2] = {rows, cols};
    return sciml_graph_param(g, name, 2, shape);
}

/* loss = sum(y * R) with R a random input of y's shape: a scalar whose gradient w.r.t. y is R. */
static sciml_node scalarise(sciml_graph *g, sciml_node y) {
    int64_t shape[SCIML_MAX_DIMS];
    int ndim = sciml_graph_shape(g, y, shape);
    CU_ASSERT_FATAL(ndim > 0);
    char name[32];
    static int counter;
    snprintf(name, sizeof name, "weights%d", counter++);
    sciml_node r = sciml_graph_input(g, name, ndim, shape);
    return sciml_sum(g, sciml_mul(g, y, r), SCIML_ALL_AXES);
}

/* Fills every input with normals and every parameter per `init`. */
static void randomise(fixture *f, int init) {
    int64_t count = sciml_graph_param_count(f->g);
    double *params = sciml_graph_params(f->g);
    for (int64_t i = 0; i < count; i++) {
        double u = 2.0 * sciml_rng_uniform(&f->rng) - 1.0;
        if (init == INIT_POSITIVE)
            u = 0.5 + fabs(u);
        else if (init == INIT_AWAY_FROM_ZERO)
            u = u < 0 ? u - 0.2 : u + 0.2;
        params[i] = u;
    }
    /* inputs: every node with a name that is not a parameter */
    for (sciml_node n = 0; sciml_graph_name(f->g, n); n++) {
        if (!*sciml_graph_name(f->g, n) || sciml_graph_param_offset(f->g, n) >= 0)
            continue;
        int64_t values_count = sciml_graph_count(f->g, n);
        double *values = malloc((size_t)values_count * sizeof *values);
        for (int64_t i = 0; i < values_count; i++)
            values[i] = sciml_rng_normal(&f->rng);
        CU_ASSERT_EQUAL(sciml_graph_set_input(f->g, n, values, values_count), SCIML_OK);
        free(values);
    }
}

/* Builds, randomises, and compares backward with central differences. Returns the worst
 * relative error (criterion in the file comment). */
static double gradient_error(fixture *f, sciml_node loss, int64_t max_batch, int64_t batch,
                             int init) {
    CU_ASSERT_FATAL(loss != SCIML_NO_NODE);
    sciml_status status = sciml_graph_build(f->g, max_batch);
    if (status != SCIML_OK)
        fprintf(stderr, "build: %s\n", sciml_ctx_message(f->ctx));
    CU_ASSERT_EQUAL_FATAL(status, SCIML_OK);
    CU_ASSERT_EQUAL_FATAL(sciml_graph_set_batch(f->g, batch), SCIML_OK);
    randomise(f, init);
    CU_ASSERT_EQUAL_FATAL(sciml_graph_forward(f->g, loss), SCIML_OK);
    CU_ASSERT_EQUAL_FATAL(sciml_graph_backward(f->g, loss), SCIML_OK);
    int64_t count = sciml_graph_param_count(f->g);
    double *params = sciml_graph_params(f->g);
    double *analytic = malloc((size_t)count * sizeof *analytic);
    memcpy(analytic, sciml_graph_grads(f->g), (size_t)count * sizeof *analytic);
    double worst = 0.0;
    for (int64_t i = 0; i < count; i++) {
        double saved = params[i];
        params[i] = saved + FD_STEP;
        sciml_graph_forward(f->g, loss);
        double plus = sciml_graph_scalar(f->g, loss);
        params[i] = saved - FD_STEP;
        sciml_graph_forward(f->g, loss);
        double minus = sciml_graph_scalar(f->g, loss);
        params[i] = saved;
        double numeric = (plus - minus) / (2.0 * FD_STEP);
        double scale = fmax(FD_FLOOR, fmax(fabs(numeric), fabs(analytic[i])));
        double error = fabs(numeric - analytic[i]) / scale;
        if (!(error <= worst))
            worst = isnan(error) ? INFINITY : error;
    }
    free(analytic);
    if (worst >= FD_TOLERANCE)
        fprintf(stderr, "gradient error %g\n", worst);
    return worst;
}

/* ---- gradient checks ---------------------------------------------------------------------------
 */

static void test_grad_matmul(void) {
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            fixture f;
            fixture_open(&f);
            sciml_node a = ta ? param2(f.g, "a", 4, 3) : param2(f.g, "a", 3, 4);
            sciml_node b = tb ? param2(f.g, "b", 5, 4) : param2(f.g, "b", 4, 5);
            sciml_node loss = scalarise(f.g, sciml_matmul(f.g, a, b, ta, tb));
            CU_ASSERT(gradient_error(&f, loss, 1, 1, INIT_SIGNED) < FD_TOLERANCE);
            fixture_close(&f);
        }
    /* batched contraction: x^T h with x (batch, 3) input and h = x P (batch, 2) */
    fixture f;
    fixture_open(&f);
    int64_t shape[2] = {SCIML_BATCH, 3};
    sciml_node x = sciml_graph_input(f.g, "x", 2, shape);
    sciml_node h = sciml_matmul(f.g, x, param2(f.g, "p", 3, 2), 0, 0);
    sciml_node loss = scalarise(f.g, sciml_matmul(f.g, x, h, 1, 0));
    CU_ASSERT(gradient_error(&f, loss, 6, 5, INIT_SIGNED) < FD_TOLERANCE);
    fixture_close(&f);
}

static void test_grad_linear(void) {
    for (int variant = 0; variant < 4; variant++) {
        fixture f;
        fixture_open(&f);
        sciml_node x;
        if (variant == 2) { /* x is a parameter: exercises dX */
            x = param2(f.g, "x", 4, 3);
        } else if (variant == 3) { /* (batch, 2, 3) input rows */
            int64_t shape[3] = {SCIML_BATCH, 2, 3};
            x = sciml_graph_input(f.g, "x", 3, shape);
        } else {
            int64_t shape[2] = {SCIML_BATCH, 3};
            x = sciml_graph_input(f.g, "x", 2, shape);
        }
        sciml_node w = param2(f.g, "w", 3, 5);
        int64_t bias_shape[1] = {5};
        sciml_node b = variant == 1 ? SCIML_NO_NODE : sciml_graph_param(f.g, "b", 1, bias_shape);
        sciml_node loss = scalarise(f.g, sciml_linear(f.g, x, w, b));
        CU_ASSERT(gradient_error(&f, loss, 4, 4, INIT_SIGNED) < FD_TOLERANCE);
        fixture_close(&f);
    }
}

typedef sciml_node (*binary_fn)(sciml_graph *, sciml_node, sciml_node);

static void test_grad_binary(void) {
    binary_fn fns[4] = {sciml_add, sciml_sub, sciml_mul, sciml_div};
    /* shapes of a and b: equal, row bias, column, 3D with (3, 1), outer product */
    static const int64_t shapes[5][2][3] = {{{3, 4, 0}, {3, 4, 0}},
                                            {{3, 4, 0}, {4, 0, 0}},
                                            {{3, 4, 0}, {3, 1, 0}},
                                            {{2, 3, 4}, {3, 1, 0}},
                                            {{3, 1, 0}, {1, 4, 0}}};
    static const int ndims[5][2] = {{2, 2}, {2, 1}, {2, 2}, {3, 2}, {2, 2}};
    for (int op = 0; op < 4; op++)
        for (int s = 0; s < 5; s++)
            for (int swap = 0; swap < 2; swap++) {
                fixture f;
                fixture_open(&f);
                sciml_node a = sciml_graph_param(f.g, "a", ndims[s][swap], shapes[s][swap]);
                sciml_node b = sciml_graph_param(f.g, "b", ndims[s][!swap], shapes[s][!swap]);
                sciml_node y = fns[op](f.g, a, b);
                if (y == SCIML_NO_NODE)
                    fprintf(stderr, "%s\n", sciml_ctx_message(f.ctx));
                CU_ASSERT_FATAL(y != SCIML_NO_NODE);
                sciml_node loss = scalarise(f.g, y);
                /* positive values keep div away from its pole */
                CU_ASSERT(gradient_error(&f, loss, 1, 1, INIT_POSITIVE) < FD_TOLERANCE);
                fixture_close(&f);
            }
    /* batched: (batch, 4) input times a (4) parameter, and a (batch, 1) column parameter path */
    fixture f;
    fixture_open(&f);
    int64_t xs[2] = {SCIML_BATCH, 4}, cs[2] = {SCIML_BATCH, 1}, ps[1] = {4};
    sciml_node x = sciml_graph_input(f.g, "x", 2, xs);
    sciml_node c = sciml_graph_input(f.g, "c", 2, cs);
    sciml_node p = sciml_graph_param(f.g, "p", 1, ps);
    sciml_node y =
        sciml_div(f.g, sciml_mul(f.g, x, p), sciml_add_scalar(f.g, sciml_square(f.g, c), 1.0));
    sciml_node loss = scalarise(
        f.g, sciml_add(f.g, y, sciml_mul(f.g, sciml_reshape(f.g, sciml_sum(f.g, y, 1), 2, cs), c)));
    CU_ASSERT(gradient_error(&f, loss, 5, 3, INIT_SIGNED) < FD_TOLERANCE);
    fixture_close(&f);
}

typedef sciml_node (*unary_fn)(sciml_graph *, sciml_node);

static sciml_node scale_by_three(sciml_graph *g, sciml_node a) {
    return sciml_scale(g, a, 3.0);
}
static sciml_node shift_by_two(sciml_graph *g, sciml_node a) {
    return sciml_add_scalar(g, a, -2.0);
}
static sciml_node activate_softplus(sciml_graph *g, sciml_node a) {
    return sciml_activate(g, a, SCIML_ACT_SOFTPLUS);
}

static void test_grad_unary(void) {
    struct {
        unary_fn fn;
        int init;
    } cases[] = {{sciml_tanh, INIT_SIGNED},        {sciml_sin, INIT_SIGNED},
                 {sciml_cos, INIT_SIGNED},         {sciml_exp, INIT_SIGNED},
                 {sciml_logarithm, INIT_POSITIVE}, {sciml_relu, INIT_AWAY_FROM_ZERO},
                 {sciml_gelu, INIT_SIGNED},        {sciml_softplus, INIT_SIGNED},
                 {sciml_sigmoid, INIT_SIGNED},     {sciml_square, INIT_SIGNED},
                 {sciml_sqrt, INIT_POSITIVE},      {scale_by_three, INIT_SIGNED},
                 {shift_by_two, INIT_SIGNED},      {activate_softplus, INIT_SIGNED}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        fixture f;
        fixture_open(&f);
        sciml_node a = param2(f.g, "a", 3, 5);
        sciml_node loss = scalarise(f.g, cases[i].fn(f.g, a));
        double error = gradient_error(&f, loss, 1, 1, cases[i].init);
        if (error >= FD_TOLERANCE)
            fprintf(stderr, "unary case %zu\n", i);
        CU_ASSERT(error < FD_TOLERANCE);
        fixture_close(&f);
    }
}

static void test_grad_reductions(void) {
    for (int mean = 0; mean < 2; mean++)
        for (int axis = -1; axis < 3; axis++) {
            fixture f;
            fixture_open(&f);
            /* y = x * p with x (batch, 3, 4) and p (3, 4), so axis 0 is the batch axis */
            int64_t xs[3] = {SCIML_BATCH, 3, 4};
            int64_t ps[2] = {3, 4};
            sciml_node x = sciml_graph_input(f.g, "x", 3, xs);
            sciml_node p = sciml_graph_param(f.g, "p", 2, ps);
            sciml_node y = sciml_mul(f.g, x, p);
            sciml_node r = mean ? sciml_mean(f.g, y, axis) : sciml_sum(f.g, y, axis);
            sciml_node loss = scalarise(f.g, sciml_square(f.g, r));
            CU_ASSERT(gradient_error(&f, loss, 4, 3, INIT_SIGNED) < FD_TOLERANCE);
            fixture_close(&f);
        }
}

static void test_grad_slice_concat(void) {
    int64_t shape[3] = {3, 4, 5};
    for (int axis = 0; axis < 3; axis++) {
        fixture f;
        fixture_open(&f);
        sciml_node a = sciml_graph_param(f.g, "a", 3, shape);
        sciml_node s = sciml_slice(f.g, a, axis, 1, 3);
        sciml_node loss = scalarise(f.g, sciml_square(f.g, s));
        CU_ASSERT(gradient_error(&f, loss, 1, 1, INIT_SIGNED) < FD_TOLERANCE);
        fixture_close(&f);

        fixture_open(&f);
        int64_t other[3] = {3, 4, 5};
        other[axis] = 2;
        sciml_node parts[3] = {sciml_graph_param(f.g, "a", 3, shape),
                               sciml_graph_param(f.g, "b", 3, other), SCIML_NO_NODE};
        parts[2] = parts[0]; /* the same node twice: its gradient gets two contributions */
        sciml_node c = sciml_concat(f.g, 3, parts, axis);
        loss = scalarise(f.g, sciml_square(f.g, c));
        CU_ASSERT(gradient_error(&f, loss, 1, 1, INIT_SIGNED) < FD_TOLERANCE);
        fixture_close(&f);
    }
    /* batched: concat along axis 1 of (batch, 2) and (batch, 3), slice along axis 1 */
    fixture f;
    fixture_open(&f);
    int64_t xs[2] = {SCIML_BATCH, 3};
    sciml_node x = sciml_graph_input(f.g, "x", 2, xs);
    sciml_node h = sciml_tanh(f.g, sciml_matmul(f.g, x, param2(f.g, "w", 3, 2), 0, 0));
    sciml_node parts[2] = {h, x};
    sciml_node c = sciml_concat(f.g, 2, parts, 1);
    sciml_node loss = scalarise(f.g, sciml_square(f.g, sciml_slice(f.g, c, 1, 1, 4)));
    CU_ASSERT(gradient_error(&f, loss, 4, 3, INIT_SIGNED) < FD_TOLERANCE);
    fixture_close(&f);
}

static void test_grad_reshape_transpose(void) {
    fixture f;
    fixture_open(&f);
    int64_t xs[2] = {SCIML_BATCH, 6}, ps[1] = {6}, rs[3] = {SCIML_BATCH, 2, 3};
    sciml_node x = sciml_graph_input(f.g, "x", 2, xs);
    sciml_node p = sciml_graph_param(f.g, "p", 1, ps);
    sciml_node r = sciml_reshape(f.g, sciml_mul(f.g, x, p), 3, rs);
    sciml_node loss = scalarise(f.g, sciml_sin(f.g, r));
    CU_ASSERT(gradient_error(&f, loss, 4, 2, INIT_SIGNED) < FD_TOLERANCE);
    fixture_close(&f);

    fixture_open(&f);
    sciml_node a = param2(f.g, "a", 3, 4);
    sciml_node t = sciml_transpose(f.g, a);
    loss = scalarise(f.g, sciml_matmul(f.g, t, sciml_tanh(f.g, a), 0, 0));
    CU_ASSERT(gradient_error(&f, loss, 1, 1, INIT_SIGNED) < FD_TOLERANCE);
    fixture_close(&f);
}

static void test_grad_losses(void) {
    for (int which = 0; which < 2; which++)
        for (int target_param = 0; target_param < 2; target_param++) {
            fixture f;
            fixture_open(&f);
            int64_t xs[2] = {SCIML_BATCH, 4};
            sciml_node x = sciml_graph_input(f.g, "x", 2, xs);
            sciml_node pred = sciml_linear(f.g, x, param2(f.g, "w", 4, 4), SCIML_NO_NODE);
            sciml_node target = target_param ? sciml_mul(f.g, x, param2(f.g, "t", 1, 4))
                                             : sciml_graph_input(f.g, "t", 2, xs);
            sciml_node loss =
                which ? sciml_rel_l2(f.g, pred, target) : sciml_mse(f.g, pred, target);
            CU_ASSERT(gradient_error(&f, loss, 5, 5, INIT_SIGNED) < FD_TOLERANCE);
            fixture_close(&f);
        }
}

/* Custom op: y = a * b^2 elementwise (b broadcast as a (n) row), using scratch for b^2. */
static int custom_destroyed;

static sciml_status square_mul_forward(void *state, int count, const sciml_tensor_view *in,
                                       sciml_tensor_view *out, void *scratch) {
    double *b2 = scratch;
    int64_t n = in[1].count;
    CU_ASSERT(count == 2 && *(int *)state == 42);
    for (int64_t j = 0; j < n; j++)
        b2[j] = in[1].value[j] * in[1].value[j];
    for (int64_t i = 0; i < out->count; i++)
        out->value[i] = in[0].value[i] * b2[i % n];
    return SCIML_OK;
}

static sciml_status square_mul_backward(void *state, int count, const sciml_tensor_view *in,
                                        const sciml_tensor_view *out, void *scratch) {
    int64_t n = in[1].count;
    for (int64_t i = 0; i < out->count; i++) {
        double b = in[1].value[i % n];
        if (in[0].grad)
            in[0].grad[i] += out->grad[i] * b * b;
        if (in[1].grad)
            in[1].grad[i % n] += out->grad[i] * 2.0 * b * in[0].value[i];
    }
    return SCIML_OK;
}

static void square_mul_destroy(void *state) {
    custom_destroyed++;
    free(state);
}

static const sciml_op_def square_mul_op = {"square_mul", square_mul_forward, square_mul_backward,
                                           square_mul_destroy};

static void test_grad_custom(void) {
    fixture f;
    fixture_open(&f);
    custom_destroyed = 0;
    int64_t xs[2] = {SCIML_BATCH, 3}, bs[1] = {3};
    sciml_node x = sciml_graph_input(f.g, "x", 2, xs);
    sciml_node a = sciml_tanh(f.g, sciml_matmul(f.g, x, param2(f.g, "w", 3, 3), 0, 0));
    sciml_node b = sciml_graph_param(f.g, "b", 1, bs);
    int *state = malloc(sizeof *state);
    *state = 42;
    sciml_node inputs[2] = {a, b};
    sciml_node y = sciml_custom(f.g, &square_mul_op, state, 2, inputs, 2, xs, 3 * sizeof(double));
    CU_ASSERT_FATAL(y != SCIML_NO_NODE);
    sciml_node loss = scalarise(f.g, sciml_add(f.g, y, a)); /* a gets two contributions */
    CU_ASSERT(gradient_error(&f, loss, 4, 3, INIT_SIGNED) < FD_TOLERANCE);
    fixture_close(&f);
    CU_ASSERT_EQUAL(custom_destroyed, 1);
}

/* square_mul for a node marked by sciml_custom_set_overwrite: writes (=) each gradient whose view
 * is fresh, adds to the others, and records in its state which inputs came fresh (bit i). */
static sciml_status square_mul_overwrite_backward(void *state, int count,
                                                  const sciml_tensor_view *in,
                                                  const sciml_tensor_view *out, void *scratch) {
    int *fresh = (int *)state + 1; /* after square_mul's 42 */
    int64_t n = in[1].count;
    for (int i = 0; i < count; i++)
        if (in[i].grad_fresh)
            *fresh |= 1 << i;
    if (in[0].grad && in[0].grad_fresh)
        memset(in[0].grad, 0, (size_t)in[0].count * sizeof(double));
    if (in[1].grad && in[1].grad_fresh)
        memset(in[1].grad, 0, (size_t)n * sizeof(double));
    return square_mul_backward(state, count, in, out, scratch);
}

static const sciml_op_def square_mul_overwrite_op = {"square_mul_overwrite", square_mul_forward,
                                                     square_mul_overwrite_backward, free};

/* x -> a = tanh(x W); c = 2 a; y = square_mul(a, b); loss from y and (c or a). With
 * a_first, a's other reader (the add) runs its backward before the custom node, so a's gradient
 * is not fresh there; otherwise the scale node made before y runs after it and a comes fresh.
 * Returns the loss; (*state_out)[1] holds the fresh bits of the custom node. */
static sciml_node overwrite_graph(sciml_graph *g, int overwrite, int a_first, int **state_out) {
    int64_t xs[2] = {SCIML_BATCH, 3}, bs[1] = {3};
    sciml_node x = sciml_graph_input(g, "x", 2, xs);
    sciml_node a = sciml_tanh(g, sciml_matmul(g, x, param2(g, "w", 3, 3), 0, 0));
    sciml_node c = sciml_scale(g, a, 2.0);
    sciml_node b = sciml_graph_param(g, "b", 1, bs);
    int *state = calloc(2, sizeof *state);
    CU_ASSERT_FATAL(state != NULL);
    state[0] = 42;
    *state_out = state;
    sciml_node inputs[2] = {a, b};
    sciml_node y = sciml_custom(g, overwrite ? &square_mul_overwrite_op : &square_mul_op, state, 2,
                                inputs, 2, xs, 3 * sizeof(double));
    CU_ASSERT_FATAL(y != SCIML_NO_NODE);
    if (overwrite)
        CU_ASSERT_EQUAL(sciml_custom_set_overwrite(g, y), SCIML_OK);
    sciml_node x2 = sciml_graph_input(g, "r", 2, xs);
    return sciml_sum(g, sciml_mul(g, sciml_add(g, y, a_first ? a : c), x2), SCIML_ALL_AXES);
}

static void test_custom_overwrite(void) {
    for (int a_first = 0; a_first < 2; a_first++) {
        fixture f, plain;
        fixture_open(&f);
        fixture_open(&plain);
        int *state = NULL, *plain_state = NULL;
        sciml_node loss = overwrite_graph(f.g, 1, a_first, &state);
        sciml_node plain_loss = overwrite_graph(plain.g, 0, a_first, &plain_state);
        CU_ASSERT(gradient_error(&f, loss, 4, 3, INIT_SIGNED) < FD_TOLERANCE);
        /* b (input 1) is read by the custom node alone; a (input 0) only when a_first is 0 */
        CU_ASSERT_EQUAL(state[1], a_first ? 2 : 3);
        /* the same gradient as the zero-filled graph, also on a second backward (stale
         * gradients in memory) */
        CU_ASSERT_EQUAL_FATAL(sciml_graph_build(plain.g, 4), SCIML_OK);
        CU_ASSERT_EQUAL_FATAL(sciml_graph_set_batch(plain.g, 3), SCIML_OK);
        int64_t count = sciml_graph_param_count(f.g);
        CU_ASSERT_EQUAL_FATAL(sciml_graph_param_count(plain.g), count);
        memcpy(sciml_graph_params(plain.g), sciml_graph_params(f.g),
               (size_t)count * sizeof(double));
        double values[9];
        const char *names[2] = {"x", "r"};
        for (int k = 0; k < 2; k++) {
            CU_ASSERT_EQUAL(sciml_graph_get_value(f.g, sciml_graph_find(f.g, names[k]), values, 9),
                            SCIML_OK);
            CU_ASSERT_EQUAL(
                sciml_graph_set_input(plain.g, sciml_graph_find(plain.g, names[k]), values, 9),
                SCIML_OK);
        }
        for (int pass = 0; pass < 2; pass++) {
            CU_ASSERT_EQUAL(sciml_graph_forward(f.g, loss), SCIML_OK);
            CU_ASSERT_EQUAL(sciml_graph_backward(f.g, loss), SCIML_OK);
            CU_ASSERT_EQUAL(sciml_graph_forward(plain.g, plain_loss), SCIML_OK);
            CU_ASSERT_EQUAL(sciml_graph_backward(plain.g, plain_loss), SCIML_OK);
            for (int64_t i = 0; i < count; i++)
                SCIML_ASSERT_CLOSE(sciml_graph_grads(f.g)[i], sciml_graph_grads(plain.g)[i], 1e-14);
        }
        /* refused on a built graph and on a node that is not custom */
        CU_ASSERT_EQUAL(sciml_custom_set_overwrite(f.g, loss), SCIML_ERR_STATE);
        fixture_close(&f);
        fixture_close(&plain);
    }
    fixture f;
    fixture_open(&f);
    int64_t xs[2] = {2, 3};
    sciml_node x = sciml_graph_input(f.g, "x", 2, xs);
    CU_ASSERT_EQUAL(sciml_custom_set_overwrite(f.g, sciml_tanh(f.g, x)), SCIML_ERR_ARG);
    CU_ASSERT_EQUAL(sciml_custom_set_overwrite(f.g, 99), SCIML_ERR_ARG);
    fixture_close(&f);
}

/* A small MLP 3 -> 8 -> 8 -> 2 with tanh and gelu, an mse loss, and the library's own check. */
static sciml_node small_mlp(sciml_graph *g, sciml_node *out_prediction) {
    int64_t xs[2] = {SCIML_BATCH, 3}, ys[2] = {SCIML_BATCH, 2};
    int64_t b1[1] = {8}, b3[1] = {2};
    sciml_node x = sciml_graph_input(g, "x", 2, xs);
    sciml_node y = sciml_graph_input(g, "y", 2, ys);
    sciml_node h =
        sciml_tanh(g, sciml_linear(g, x, param2(g, "w1", 3, 8), sciml_graph_param(g, "b1", 1, b1)));
    h = sciml_gelu(g, sciml_linear(g, h, param2(g, "w2", 8, 8), sciml_graph_param(g, "b2", 1, b1)));
    sciml_node p = sciml_linear(g, h, param2(g, "w3", 8, 2), sciml_graph_param(g, "b3", 1, b3));
    if (out_prediction)
        *out_prediction = p;
    return sciml_mse(g, p, y);
}

static void test_grad_mlp(void) {
    fixture f;
    fixture_open(&f);
    sciml_node loss = small_mlp(f.g, NULL);
    CU_ASSERT(gradient_error(&f, loss, 8, 7, INIT_SIGNED) < FD_TOLERANCE);
    double error = 1.0;
    CU_ASSERT_EQUAL(sciml_graph_check_gradient(f.g, loss, 1e-5, &error), SCIML_OK);
    CU_ASSERT(error < 1e-8);
    fixture_close(&f);
}

/* ---- forward values ----------------------------------------------------------------------------
 */

static void set_param(sciml_graph *g, sciml_node p, const double *values, int64_t count) {
    memcpy(sciml_graph_params(g) + sciml_graph_param_offset(g, p), values,
           (size_t)count * sizeof *values);
}

static void assert_values(sciml_graph *g, sciml_node n, const double *expected, int64_t count,
                          double tolerance) {
    CU_ASSERT_EQUAL_FATAL(sciml_graph_forward(g, n), SCIML_OK);
    CU_ASSERT_EQUAL_FATAL(sciml_graph_count(g, n), count);
    double values[64];
    CU_ASSERT_EQUAL_FATAL(sciml_graph_get_value(g, n, values, count), SCIML_OK);
    for (int64_t i = 0; i < count; i++)
        SCIML_ASSERT_CLOSE(values[i], expected[i], tolerance);
}

static void test_forward_values(void) {
    fixture f;
    fixture_open(&f);
    sciml_graph *g = f.g;
    sciml_node a = param2(g, "a", 2, 3); /* [[1 2 3] [4 5 6]] */
    sciml_node b = param2(g, "b", 3, 2); /* [[1 0] [0 1] [1 1]] */
    int64_t rs[1] = {3}, cs[2] = {2, 1};
    sciml_node row = sciml_graph_param(g, "row", 1, rs);    /* [10 20 30] */
    sciml_node column = sciml_graph_param(g, "col", 2, cs); /* [[2] [4]] */
    sciml_node ab = sciml_matmul(g, a, b, 0, 0);
    sciml_node atbt = sciml_matmul(g, a, b, 1, 1);
    sciml_node plus_row = sciml_add(g, a, row);
    sciml_node minus_col = sciml_sub(g, a, column);
    sciml_node times_col = sciml_mul(g, a, column);
    sciml_node over_row = sciml_div(g, a, row);
    sciml_node lin = sciml_linear(g, a, b, sciml_graph_param(g, "bias", 1, (int64_t[]){2}));
    sciml_node sum0 = sciml_sum(g, a, 0), mean1 = sciml_mean(g, a, 1);
    sciml_node all = sciml_mean(g, a, SCIML_ALL_AXES);
    sciml_node sl = sciml_slice(g, a, 1, 1, 3);
    sciml_node parts[2] = {a, row};
    sciml_node cat0 =
        sciml_concat(g, 2, (sciml_node[]){a, sciml_reshape(g, row, 2, (int64_t[]){1, 3})}, 0);
    sciml_node cat1 = sciml_concat(g, 2, (sciml_node[]){a, column}, 1);
    (void)parts;
    sciml_node tr = sciml_transpose(g, a);
    sciml_node mse = sciml_mse(g, a, sciml_scale(g, a, 0.5));
    sciml_node rel = sciml_rel_l2(g, sciml_add_scalar(g, b, 1.0), b);
    sciml_node th = sciml_tanh(g, a), sq = sciml_sqrt(g, a), lg = sciml_logarithm(g, a);
    sciml_node sg = sciml_sigmoid(g, a), sp = sciml_softplus(g, a), ge = sciml_gelu(g, a);
    sciml_node rl = sciml_relu(g, sciml_add_scalar(g, a, -3.5));
    CU_ASSERT_EQUAL_FATAL(sciml_graph_build(g, 1), SCIML_OK);
    set_param(g, a, (double[]){1, 2, 3, 4, 5, 6}, 6);
    set_param(g, b, (double[]){1, 0, 0, 1, 1, 1}, 6);
    set_param(g, row, (double[]){10, 20, 30}, 3);
    set_param(g, column, (double[]){2, 4}, 2);
    set_param(g, sciml_graph_find(g, "bias"), (double[]){0.5, -0.5}, 2);
    assert_values(g, ab, (double[]){4, 5, 10, 11}, 4, 1e-14);
    /* a^T (3, 2) b^T (2, 3) */
    assert_values(g, atbt, (double[]){1, 4, 5, 2, 5, 7, 3, 6, 9}, 9, 1e-14);
    assert_values(g, plus_row, (double[]){11, 22, 33, 14, 25, 36}, 6, 1e-14);
    assert_values(g, minus_col, (double[]){-1, 0, 1, 0, 1, 2}, 6, 1e-14);
    assert_values(g, times_col, (double[]){2, 4, 6, 16, 20, 24}, 6, 1e-14);
    assert_values(g, over_row, (double[]){0.1, 0.1, 0.1, 0.4, 0.25, 0.2}, 6, 1e-14);
    assert_values(g, lin, (double[]){4.5, 4.5, 10.5, 10.5}, 4, 1e-14);
    assert_values(g, sum0, (double[]){5, 7, 9}, 3, 1e-14);
    assert_values(g, mean1, (double[]){2, 5}, 2, 1e-14);
    assert_values(g, all, (double[]){3.5}, 1, 1e-14);
    assert_values(g, sl, (double[]){2, 3, 5, 6}, 4, 1e-14);
    assert_values(g, cat0, (double[]){1, 2, 3, 4, 5, 6, 10, 20, 30}, 9, 1e-14);
    assert_values(g, cat1, (double[]){1, 2, 3, 2, 4, 5, 6, 4}, 8, 1e-14);
    assert_values(g, tr, (double[]){1, 4, 2, 5, 3, 6}, 6, 1e-14);
    /* mean of (a/2)^2 = (1 + 4 + 9 + 16 + 25 + 36) / 4 / 6 */
    assert_values(g, mse, (double[]){91.0 / 24.0}, 1, 1e-14);
    /* rows of b: ||1|| / ||b_r|| = sqrt(2) / 1, sqrt(2) / 1, sqrt(2) / sqrt(2) */
    assert_values(g, rel, (double[]){(2.0 * sqrt(2.0) + 1.0) / 3.0}, 1, 1e-14);
    double expected[6];
    for (int i = 0; i < 6; i++)
        expected[i] = tanh(i + 1.0);
    assert_values(g, th, expected, 6, 1e-15);
    for (int i = 0; i < 6; i++)
        expected[i] = sqrt(i + 1.0);
    assert_values(g, sq, expected, 6, 1e-15);
    for (int i = 0; i < 6; i++)
        expected[i] = log(i + 1.0);
    assert_values(g, lg, expected, 6, 1e-15);
    for (int i = 0; i < 6; i++)
        expected[i] = 1.0 / (1.0 + exp(-(i + 1.0)));
    assert_values(g, sg, expected, 6, 1e-15);
    for (int i = 0; i < 6; i++)
        expected[i] = log(1.0 + exp(i + 1.0));
    assert_values(g, sp, expected, 6, 1e-14);
    for (int i = 0; i < 6; i++)
        expected[i] = 0.5 * (i + 1.0) * (1.0 + erf((i + 1.0) / sqrt(2.0)));
    assert_values(g, ge, expected, 6, 1e-14);
    assert_values(g, rl, (double[]){0, 0, 0, 0.5, 1.5, 2.5}, 6, 1e-15);
    fixture_close(&f);
}

/* ---- batches -----------------------------------------------------------------------------------
 */

static void run_mlp(sciml_graph *g, sciml_node loss, sciml_node prediction, const double *params,
                    const double *x, const double *y, int64_t batch, double *out_loss,
                    double *out_prediction, double *out_grads) {
    CU_ASSERT_EQUAL(sciml_graph_set_batch(g, batch), SCIML_OK);
    memcpy(sciml_graph_params(g), params, (size_t)sciml_graph_param_count(g) * sizeof *params);
    CU_ASSERT_EQUAL(sciml_graph_set_input(g, sciml_graph_find(g, "x"), x, batch * 3), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_graph_set_input(g, sciml_graph_find(g, "y"), y, batch * 2), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_graph_forward(g, loss), SCIML_OK);
    /* the prediction is read before backward, which reuses its block once the loss is done */
    CU_ASSERT_EQUAL(sciml_graph_get_value(g, prediction, out_prediction, batch * 2), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_graph_backward(g, loss), SCIML_OK);
    *out_loss = sciml_graph_scalar(g, loss);
    memcpy(out_grads, sciml_graph_grads(g), (size_t)sciml_graph_param_count(g) * sizeof *out_grads);
}

static void test_batch_sizes(void) {
    sciml_ctx *ctx;
    CU_ASSERT_EQUAL_FATAL(sciml_ctx_create(&ctx), SCIML_OK);
    sciml_graph *big = NULL, *small = NULL;
    sciml_graph_create(ctx, &big);
    sciml_node pred_big, pred_small;
    sciml_node loss_big = small_mlp(big, &pred_big);
    CU_ASSERT_EQUAL_FATAL(sciml_graph_build(big, 8), SCIML_OK);
    int64_t count = sciml_graph_param_count(big);
    CU_ASSERT_EQUAL(count, 3 * 8 + 8 + 8 * 8 + 8 + 8 * 2 + 2);
    double params[256], x[24], y[16];
    sciml_rng rng;
    sciml_rng_seed(&rng, 99);
    for (int64_t i = 0; i < count; i++)
        params[i] = sciml_rng_normal(&rng) * 0.5;
    for (int i = 0; i < 24; i++)
        x[i] = sciml_rng_normal(&rng);
    for (int i = 0; i < 16; i++)
        y[i] = sciml_rng_normal(&rng);
    int64_t batches[3] = {3, 8, 3};
    for (int k = 0; k < 3; k++) {
        int64_t batch = batches[k];
        sciml_graph_create(ctx, &small);
        sciml_node loss_small = small_mlp(small, &pred_small);
        CU_ASSERT_EQUAL_FATAL(sciml_graph_build(small, batch), SCIML_OK);
        double l1, l2, p1[16], p2[16], g1[256], g2[256];
        run_mlp(big, loss_big, pred_big, params, x, y, batch, &l1, p1, g1);
        run_mlp(small, loss_small, pred_small, params, x, y, batch, &l2, p2, g2);
        SCIML_ASSERT_CLOSE(l1, l2, 1e-15 * fabs(l2));
        for (int64_t i = 0; i < batch * 2; i++)
            SCIML_ASSERT_CLOSE(p1[i], p2[i], 1e-14);
        for (int64_t i = 0; i < count; i++)
            SCIML_ASSERT_CLOSE(g1[i], g2[i], 1e-14);
        /* mse averages over the current batch: recompute by hand */
        double sum = 0;
        for (int64_t i = 0; i < batch * 2; i++)
            sum += (p1[i] - y[i]) * (p1[i] - y[i]);
        SCIML_ASSERT_CLOSE(l1, sum / (double)(batch * 2), 1e-14);
        sciml_graph_destroy(&small);
    }
    int64_t shape[SCIML_MAX_DIMS];
    CU_ASSERT_EQUAL(sciml_graph_shape(big, pred_big, shape), 2);
    CU_ASSERT_EQUAL(shape[0], 3);
    CU_ASSERT_EQUAL(shape[1], 2);
    sciml_graph_destroy(&big);
    sciml_ctx_destroy(&ctx);
}

/* out = in0 + 3 in1 (same shapes), forward only */
static sciml_status axpy_forward(void *state, int count, const sciml_tensor_view *in,
                                 sciml_tensor_view *out, void *scratch) {
    (void)state, (void)count, (void)scratch;
    for (int64_t i = 0; i < out->count; i++)
        out->value[i] = in[0].value[i] + 3.0 * in[1].value[i];
    return SCIML_OK;
}

static sciml_status axpy_backward(void *state, int count, const sciml_tensor_view *in,
                                  const sciml_tensor_view *out, void *scratch) {
    (void)state, (void)count, (void)in, (void)out, (void)scratch;
    return SCIML_OK;
}

static const sciml_op_def axpy_op = {"axpy", axpy_forward, axpy_backward, NULL};

/* A graph whose nodes are read at several distances (a skip connection, a node read twice by
 * one op, a concat, a custom op, an output that nothing reads in the middle): forward-only
 * builds give bit-identical values at every batch size with less memory, and refuse backward. */
static sciml_node diamond_graph(sciml_graph *g, sciml_node *side) {
    int64_t in_shape[2] = {SCIML_BATCH, 4};
    sciml_node x = sciml_graph_input(g, "x", 2, in_shape);
    sciml_node w1 = param2(g, "w1", 4, 16), w2 = param2(g, "w2", 16, 16),
               w3 = param2(g, "w3", 32, 3);
    sciml_node w4 = param2(g, "w4", 16, 3);
    sciml_node h1 = sciml_tanh(g, sciml_matmul(g, x, w1, 0, 0));
    sciml_node h2 = sciml_gelu(g, sciml_matmul(g, h1, w2, 0, 0));
    *side = sciml_sum(g, h2, 1); /* read by nothing: an output */
    sciml_node h3 = sciml_mul(g, h2, h2);
    sciml_node h4 = sciml_add(g, h3, h1); /* h1 lives across three nodes */
    sciml_node inputs[2] = {h4, h1};
    sciml_node h5 = sciml_concat(g, 2, inputs, 1);
    sciml_node pair[2] = {h4, h1};
    int64_t shape[2] = {SCIML_BATCH, 16};
    sciml_node h6 = sciml_custom(g, &axpy_op, NULL, 2, pair, 2, shape, 0);
    sciml_node h7 = sciml_add(g, h6, h3);
    return sciml_add(g, sciml_matmul(g, h5, w3, 0, 0), sciml_matmul(g, h7, w4, 0, 0));
}

static void test_forward_only(void) {
    sciml_ctx *ctx;
    CU_ASSERT_EQUAL_FATAL(sciml_ctx_create(&ctx), SCIML_OK);
    sciml_graph *full = NULL, *lean = NULL;
    sciml_graph_create(ctx, &full);
    sciml_graph_create(ctx, &lean);
    sciml_node side_full, side_lean;
    sciml_node out_full = diamond_graph(full, &side_full);
    sciml_node out_lean = diamond_graph(lean, &side_lean);
    if (sciml_graph_build(full, 8) || sciml_graph_build_forward_only(lean, 8))
        printf("\n    %s ", sciml_ctx_message(ctx));
    CU_ASSERT_FATAL(sciml_graph_memory_bytes(full) > 0 && sciml_graph_memory_bytes(lean) > 0);
    /* 16 values per sample in the widest live set against 236 in all nodes and gradients */
    CU_ASSERT(sciml_graph_memory_bytes(lean) < sciml_graph_memory_bytes(full));
    const int64_t count = sciml_graph_param_count(full);
    CU_ASSERT_EQUAL_FATAL(sciml_graph_param_count(lean), count);
    sciml_rng rng;
    sciml_rng_seed(&rng, 5);
    for (int64_t i = 0; i < count; i++)
        sciml_graph_params(full)[i] = sciml_graph_params(lean)[i] = 0.3 * sciml_rng_normal(&rng);
    double x[32];
    for (int i = 0; i < 32; i++)
        x[i] = sciml_rng_normal(&rng);
    sciml_node x_full = sciml_graph_find(full, "x"), x_lean = sciml_graph_find(lean, "x");
    for (int64_t batch = 1; batch <= 8; batch += 7) {
        double a[24], b[24], side_a[8], side_b[8];
        CU_ASSERT_EQUAL(sciml_graph_set_batch(full, batch), SCIML_OK);
        CU_ASSERT_EQUAL(sciml_graph_set_batch(lean, batch), SCIML_OK);
        CU_ASSERT_EQUAL(sciml_graph_set_input(full, x_full, x, batch * 4), SCIML_OK);
        CU_ASSERT_EQUAL(sciml_graph_set_input(lean, x_lean, x, batch * 4), SCIML_OK);
        for (int pass = 0; pass < 2; pass++) { /* a second forward reuses the same blocks */
            /* side first: out's forward must not overwrite it (nothing reads it) */
            CU_ASSERT_EQUAL(sciml_graph_forward(full, side_full), SCIML_OK);
            CU_ASSERT_EQUAL(sciml_graph_forward(lean, side_lean), SCIML_OK);
            CU_ASSERT_EQUAL(sciml_graph_forward(full, out_full), SCIML_OK);
            CU_ASSERT_EQUAL(sciml_graph_forward(lean, out_lean), SCIML_OK);
            CU_ASSERT_EQUAL(sciml_graph_get_value(full, out_full, a, batch * 3), SCIML_OK);
            CU_ASSERT_EQUAL(sciml_graph_get_value(lean, out_lean, b, batch * 3), SCIML_OK);
            CU_ASSERT(memcmp(a, b, (size_t)(batch * 3) * sizeof(double)) == 0);
            CU_ASSERT_EQUAL(sciml_graph_get_value(full, side_full, side_a, batch), SCIML_OK);
            CU_ASSERT_EQUAL(sciml_graph_get_value(lean, side_lean, side_b, batch), SCIML_OK);
            CU_ASSERT(memcmp(side_a, side_b, (size_t)batch * sizeof(double)) == 0);
        }
    }
    CU_ASSERT_EQUAL(sciml_graph_backward(lean, side_lean), SCIML_ERR_STATE);
    sciml_graph_destroy(&full);
    sciml_graph_destroy(&lean);
    sciml_ctx_destroy(&ctx);
}

/* Forward computes only ancestors; backward skips inputs and leaves unrelated params at 0. */
static void test_partial_evaluation(void) {
    fixture f;
    fixture_open(&f);
    sciml_graph *g = f.g;
    int64_t s[1] = {2};
    sciml_node p = sciml_graph_param(g, "p", 1, s), q = sciml_graph_param(g, "q", 1, s);
    sciml_node x = sciml_graph_input(g, "x", 1, s);
    sciml_node lp = sciml_sum(g, sciml_mul(g, p, x), SCIML_ALL_AXES);
    sciml_node lq = sciml_sum(g, sciml_square(g, q), SCIML_ALL_AXES);
    CU_ASSERT_EQUAL_FATAL(sciml_graph_build(g, 1), SCIML_OK);
    double *params = sciml_graph_params(g), *grads = sciml_graph_grads(g);
    params[0] = 1;
    params[1] = 2;
    params[2] = 3;
    params[3] = 4;
    sciml_graph_set_input(g, x, (double[]){5, 6}, 2);
    CU_ASSERT_EQUAL(sciml_graph_forward(g, lq), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_graph_scalar(g, lq), 25.0);
    CU_ASSERT_EQUAL(sciml_graph_scalar(g, lp), 0.0);               /* not evaluated */
    CU_ASSERT_EQUAL(sciml_graph_backward(g, lp), SCIML_ERR_STATE); /* lp was not computed */
    grads[0] = grads[1] = 99.0;
    CU_ASSERT_EQUAL(sciml_graph_backward(g, lq), SCIML_OK);
    CU_ASSERT_EQUAL(grads[0], 0.0);
    CU_ASSERT_EQUAL(grads[1], 0.0);
    CU_ASSERT_EQUAL(grads[2], 6.0);
    CU_ASSERT_EQUAL(grads[3], 8.0);
    CU_ASSERT_EQUAL(sciml_graph_forward(g, lp), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_graph_scalar(g, lp), 17.0);
    CU_ASSERT_EQUAL(sciml_graph_backward(g, lp), SCIML_OK);
    CU_ASSERT_EQUAL(grads[0], 5.0);
    CU_ASSERT_EQUAL(grads[1], 6.0);
    CU_ASSERT_EQUAL(grads[2], 0.0);
    fixture_close(&f);
}

/* ---- errors
 * --------------------------------------------------------------------------------------- */

static void test_errors(void) {
    fixture f;
    fixture_open(&f);
    sciml_graph *g = f.g;
    int64_t xs[2] = {SCIML_BATCH, 5};
    sciml_node x = sciml_graph_input(g, "x", 2, xs);
    sciml_node w = param2(g, "w", 6, 4);
    /* use before build */
    CU_ASSERT_EQUAL(sciml_graph_forward(g, x), SCIML_ERR_STATE);
    CU_ASSERT_EQUAL(sciml_graph_set_batch(g, 1), SCIML_ERR_STATE);
    CU_ASSERT_EQUAL(sciml_graph_set_input(g, x, (double[]){1}, 1), SCIML_ERR_STATE);
    CU_ASSERT_PTR_NULL(sciml_graph_params(g));
    /* shape mismatch: the message names the op and both shapes */
    CU_ASSERT_EQUAL(sciml_matmul(g, x, w, 0, 0), SCIML_NO_NODE);
    CU_ASSERT_EQUAL(sciml_ctx_status(f.ctx), SCIML_ERR_SHAPE);
    const char *message = sciml_ctx_message(f.ctx);
    CU_ASSERT_PTR_NOT_NULL(strstr(message, "matmul"));
    CU_ASSERT_PTR_NOT_NULL(strstr(message, "(batch, 5)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(message, "(6, 4)"));
    /* the graph is poisoned: later constructors fail, the first message stays, build reports it */
    CU_ASSERT_EQUAL(sciml_tanh(g, x), SCIML_NO_NODE);
    CU_ASSERT_PTR_NOT_NULL(strstr(sciml_ctx_message(f.ctx), "matmul"));
    CU_ASSERT_EQUAL(sciml_graph_build(g, 4), SCIML_ERR_SHAPE);
    fixture_close(&f);

    fixture_open(&f);
    g = f.g;
    x = sciml_graph_input(g, "x", 2, xs);
    int64_t bad[2] = {3, 4};
    CU_ASSERT_EQUAL(sciml_add(g, x, sciml_graph_input(g, "y", 2, bad)), SCIML_NO_NODE);
    CU_ASSERT_PTR_NOT_NULL(strstr(sciml_ctx_message(f.ctx), "add"));
    CU_ASSERT_PTR_NOT_NULL(strstr(sciml_ctx_message(f.ctx), "(3, 4)"));
    fixture_close(&f);

    /* other shape rules, each on a fresh graph */
    for (int which = 0; which < 8; which++) {
        fixture_open(&f);
        g = f.g;
        x = sciml_graph_input(g, "x", 2, xs);
        sciml_node p = param2(g, "p", 2, 3), r = SCIML_NO_NODE;
        switch (which) {
        case 0:
            r = sciml_slice(g, x, 0, 0, 1);
            break; /* batch axis */
        case 1:
            r = sciml_slice(g, p, 1, 2, 4);
            break; /* out of range */
        case 2:
            r = sciml_concat(g, 2, (sciml_node[]){x, p}, 1);
            break;
        case 3:
            r = sciml_reshape(g, p, 2, (int64_t[]){4, 2});
            break;
        case 4:
            r = sciml_transpose(g, x);
            break;
        case 5:
            r = sciml_mse(g, x, p);
            break;
        case 6:
            r = sciml_sum(g, p, 2);
            break;
        case 7:
            r = sciml_linear(g, x, p, SCIML_NO_NODE);
            break;
        }
        CU_ASSERT_EQUAL(r, SCIML_NO_NODE);
        CU_ASSERT_EQUAL(sciml_ctx_status(f.ctx), SCIML_ERR_SHAPE);
        CU_ASSERT_EQUAL(sciml_graph_build(g, 2), SCIML_ERR_SHAPE);
        fixture_close(&f);
    }

    /* after build: wrong counts, batch range, bad node, non-scalar loss, adding nodes */
    fixture_open(&f);
    g = f.g;
    x = sciml_graph_input(g, "x", 2, xs);
    sciml_node y = sciml_tanh(g, x);
    CU_ASSERT_EQUAL(sciml_graph_build(g, 0), SCIML_ERR_RANGE);
    CU_ASSERT_EQUAL_FATAL(sciml_graph_build(g, 4), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_graph_build(g, 4), SCIML_ERR_STATE);
    double values[20] = {0};
    CU_ASSERT_EQUAL(sciml_graph_set_input(g, x, values, 19), SCIML_ERR_SHAPE);
    CU_ASSERT_PTR_NOT_NULL(strstr(sciml_ctx_message(f.ctx), "20"));
    CU_ASSERT_PTR_NOT_NULL(strstr(sciml_ctx_message(f.ctx), "19"));
    CU_ASSERT_EQUAL(sciml_graph_set_input(g, x, values, 20), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_graph_set_batch(g, 5), SCIML_ERR_RANGE);
    CU_ASSERT_EQUAL(sciml_graph_set_batch(g, 0), SCIML_ERR_RANGE);
    CU_ASSERT_EQUAL(sciml_graph_set_batch(g, 2), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_graph_set_input(g, x, values, 20), SCIML_ERR_SHAPE);
    CU_ASSERT_EQUAL(sciml_graph_set_input(g, y, values, 10), SCIML_ERR_ARG);
    CU_ASSERT_EQUAL(sciml_graph_forward(g, 99), SCIML_ERR_ARG);
    CU_ASSERT_EQUAL(sciml_graph_forward(g, y), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_graph_backward(g, y), SCIML_ERR_SHAPE);
    CU_ASSERT_EQUAL(sciml_tanh(g, y), SCIML_NO_NODE);
    CU_ASSERT_EQUAL(sciml_ctx_status(f.ctx), SCIML_ERR_STATE);
    CU_ASSERT_EQUAL(sciml_graph_find(g, "x"), x);
    CU_ASSERT_EQUAL(sciml_graph_find(g, "nope"), SCIML_NO_NODE);
    fixture_close(&f);

    /* activation names */
    sciml_activation act;
    CU_ASSERT_EQUAL(sciml_activation_parse("gelu", &act), SCIML_OK);
    CU_ASSERT_EQUAL(act, SCIML_ACT_GELU);
    CU_ASSERT_STRING_EQUAL(sciml_activation_name(SCIML_ACT_SOFTPLUS), "softplus");
    CU_ASSERT_EQUAL(sciml_activation_parse("swish", &act), SCIML_ERR_NOT_FOUND);
}

/* d loss / d input of an input made with sciml_graph_input_with_grad: loss =
 * sum(tanh(x W + b)^3 * c) against central differences in x; an unreached input reads zero. */
static void test_input_gradient(void) {
    sciml_ctx *ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_ctx_create(&ctx), SCIML_OK);
    sciml_graph *g = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_graph_create(ctx, &g), SCIML_OK);
    int64_t x_shape[2] = {SCIML_BATCH, 3}, w_shape[2] = {3, 4}, b_shape[1] = {4};
    int64_t c_shape[2] = {SCIML_BATCH, 4};
    sciml_node x = sciml_graph_input_with_grad(g, "x", 2, x_shape);
    sciml_node unused = sciml_graph_input_with_grad(g, "unused", 2, x_shape);
    sciml_node c = sciml_graph_input(g, "c", 2, c_shape);
    sciml_node w = sciml_graph_param(g, "w", 2, w_shape);
    sciml_node b = sciml_graph_param(g, "b", 1, b_shape);
    sciml_node h = sciml_tanh(g, sciml_linear(g, x, w, b));
    sciml_node loss =
        sciml_sum(g, sciml_mul(g, sciml_mul(g, sciml_square(g, h), h), c), SCIML_ALL_AXES);
    CU_ASSERT_EQUAL_FATAL(sciml_graph_build(g, 4), SCIML_OK);
    CU_ASSERT_EQUAL_FATAL(sciml_graph_set_batch(g, 2), SCIML_OK);
    double *params = sciml_graph_params(g);
    for (int i = 0; i < 16; i++)
        params[i] = 0.3 * sin(1.0 + i);
    double xs[6], cs[8], grad[6], zeros[6] = {1, 1, 1, 1, 1, 1};
    for (int i = 0; i < 6; i++)
        xs[i] = cos(0.5 * i);
    for (int i = 0; i < 8; i++)
        cs[i] = 1.0 - 0.2 * i;
    CU_ASSERT_EQUAL(sciml_graph_set_input(g, x, xs, 6), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_graph_set_input(g, unused, xs, 6), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_graph_set_input(g, c, cs, 8), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_graph_forward(g, loss), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_graph_backward(g, loss), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_graph_get_grad(g, x, grad, 6), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_graph_get_grad(g, unused, zeros, 6), SCIML_OK);
    for (int i = 0; i < 6; i++)
        CU_ASSERT_EQUAL(zeros[i], 0.0);
    CU_ASSERT_EQUAL(sciml_graph_get_grad(g, c, grad, 8), SCIML_ERR_ARG); /* no gradient */
    for (int i = 0; i < 6; i++) {
        double saved = xs[i], value[2];
        for (int side = 0; side < 2; side++) {
            xs[i] = saved + (side ? -1e-6 : 1e-6);
            sciml_graph_set_input(g, x, xs, 6);
            sciml_graph_forward(g, loss);
            value[side] = sciml_graph_scalar(g, loss);
        }
        xs[i] = saved;
        SCIML_ASSERT_CLOSE(grad[i], (value[0] - value[1]) / 2e-6, 1e-8);
    }
    sciml_graph_destroy(&g);
    sciml_ctx_destroy(&ctx);
}

int main(void) {
    static const sciml_test_case cases[] = {
        {"gradient: inputs with gradient (vector-Jacobian products)", test_input_gradient},
        {"gradient: matmul (all transposes, batched contraction)", test_grad_matmul},
        {"gradient: linear (bias, no bias, dX, 3D rows)", test_grad_linear},
        {"gradient: add/sub/mul/div with broadcasting", test_grad_binary},
        {"gradient: unary ops and activations", test_grad_unary},
        {"gradient: sum/mean over every axis", test_grad_reductions},
        {"gradient: slice/concat along every axis", test_grad_slice_concat},
        {"gradient: reshape with batch, transpose", test_grad_reshape_transpose},
        {"gradient: mse and rel_l2", test_grad_losses},
        {"gradient: custom op", test_grad_custom},
        {"gradient: custom op that overwrites fresh gradients", test_custom_overwrite},
        {"gradient: small MLP and check_gradient", test_grad_mlp},
        {"forward values by hand", test_forward_values},
        {"batch 3 and 8 against separate graphs", test_batch_sizes},
        {"partial forward and backward", test_partial_evaluation},
        {"forward-only build: shared memory, same values", test_forward_only},
        {"errors", test_errors},
        {NULL, NULL},
    };
    return sciml_test_main("engine_graph", cases);
}
