/* Learning: forward (Taylor-mode) input derivatives through an MLP (sciml/taylor.h).
 * u_x, u_y, u_xx, u_yy, u_xy of a one-unit network against closed forms; the same streams of a
 * random 2-[8,8]-1 network (tanh and sin) against central finite differences of its value;
 * stream layout of value-only and first-order specs; the finite-difference check of the
 * parameter gradient of a Burgers-type residual loss mean((u_t + u u_x - nu u_xx)^2); the
 * product rule of sciml_taylor_product against finite differences and its gradient check. */
#include "sciml/taylor.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static sciml_ctx *make_ctx(void) {
    sciml_ctx *ctx = NULL;
    CU_ASSERT_FATAL(sciml_ctx_create(&ctx) == SCIML_OK);
    return ctx;
}

/* A network 2-hidden-1 on a fixed count of points with every second-order stream. */
typedef struct net {
    sciml_ctx *ctx;
    sciml_graph *g;
    sciml_mlp mlp;
    sciml_taylor_spec spec;
    sciml_node x, y;
    int64_t count;
    int streams;
} net;

static void net_create(net *n, int64_t count, int hidden_count, const int64_t *hidden,
                       sciml_activation activation, uint64_t seed) {
    memset(n, 0, sizeof *n);
    n->ctx = make_ctx();
    n->count = count;
    CU_ASSERT_FATAL(sciml_graph_create(n->ctx, &n->g) == SCIML_OK);
    sciml_taylor_spec_init(&n->spec, 2);
    CU_ASSERT_EQUAL(sciml_taylor_spec_add_second(&n->spec, 0, 0), 3);
    CU_ASSERT_EQUAL(sciml_taylor_spec_add_second(&n->spec, 1, 0), 4); /* stored as (0, 1) */
    CU_ASSERT_EQUAL(sciml_taylor_spec_add_second(&n->spec, 1, 1), 5);
    CU_ASSERT_EQUAL(sciml_taylor_spec_add_second(&n->spec, 0, 1), 4); /* no repeat */
    n->streams = sciml_taylor_stream_count(&n->spec);
    CU_ASSERT_EQUAL(n->streams, 6);
    int64_t shape[3] = {n->streams, count, 2};
    n->x = sciml_graph_input(n->g, "x", 3, shape);
    CU_ASSERT_EQUAL_FATAL(
        sciml_mlp_create(n->ctx, n->g, "u", 2, hidden_count, hidden, 1, activation, &n->mlp),
        SCIML_OK);
    n->y = sciml_taylor_mlp_apply(n->ctx, n->g, &n->mlp, &n->spec, n->x);
    CU_ASSERT_FATAL(n->y != SCIML_NO_NODE);
    CU_ASSERT_EQUAL_FATAL(sciml_graph_build(n->g, 1), SCIML_OK);
    sciml_rng rng;
    sciml_rng_seed(&rng, seed);
    CU_ASSERT_EQUAL_FATAL(sciml_mlp_init(n->ctx, n->g, &n->mlp, SCIML_INIT_AUTO, &rng), SCIML_OK);
    /* non-zero biases, so that they are exercised */
    for (int l = 0; l < n->mlp.layer_count; l++) {
        double *b =
            sciml_graph_params(n->g) + sciml_graph_param_offset(n->g, n->mlp.layers[l].bias);
        for (int64_t j = 0; j < n->mlp.sizes[l + 1]; j++)
            b[j] = 0.5 * sciml_rng_normal(&rng);
    }
}

static void net_destroy(net *n) {
    sciml_graph_destroy(&n->g);
    sciml_ctx_destroy(&n->ctx);
}

/* Streams (count, S) at points (count, 2) (transposed from the graph's (S, count)). */
static void net_eval(net *n, const double *points, double *streams) {
    size_t size = (size_t)n->count * (size_t)n->streams * 2;
    double *stacked = malloc(size * sizeof *stacked);
    CU_ASSERT_FATAL(stacked != NULL);
    sciml_taylor_seed(&n->spec, n->count, points, stacked);
    CU_ASSERT_EQUAL(sciml_graph_set_input(n->g, n->x, stacked, (int64_t)size), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_graph_forward(n->g, n->y), SCIML_OK);
    double *by_stream = malloc((size_t)(n->count * n->streams) * sizeof *by_stream);
    CU_ASSERT_FATAL(by_stream != NULL);
    CU_ASSERT_EQUAL(sciml_graph_get_value(n->g, n->y, by_stream, n->count * n->streams), SCIML_OK);
    for (int64_t r = 0; r < n->count; r++)
        for (int k = 0; k < n->streams; k++)
            streams[r * n->streams + k] = by_stream[k * n->count + r];
    free(by_stream);
    free(stacked);
}

static void test_analytic_unit(void) {
    /* u = c tanh(w1 x + w2 y + b) + d0 */
    const int64_t hidden[1] = {1};
    net n;
    net_create(&n, 3, 1, hidden, SCIML_ACT_TANH, 1);
    double *p = sciml_graph_params(n.g);
    double w1 = 0.7, w2 = -1.3, b = 0.2, c = 1.9, d0 = -0.4;
    p[sciml_graph_param_offset(n.g, n.mlp.layers[0].weight)] = w1;
    p[sciml_graph_param_offset(n.g, n.mlp.layers[0].weight) + 1] = w2;
    p[sciml_graph_param_offset(n.g, n.mlp.layers[0].bias)] = b;
    p[sciml_graph_param_offset(n.g, n.mlp.layers[1].weight)] = c;
    p[sciml_graph_param_offset(n.g, n.mlp.layers[1].bias)] = d0;
    const double points[6] = {0.1, 0.2, -0.8, 0.5, 1.5, -1.0};
    double s[18];
    net_eval(&n, points, s);
    for (int r = 0; r < 3; r++) {
        double t = tanh(w1 * points[2 * r] + w2 * points[2 * r + 1] + b);
        double s1 = 1 - t * t, s2 = -2 * t * s1;
        const double *row = s + 6 * r;
        SCIML_ASSERT_CLOSE(row[0], c * t + d0, 1e-14);
        SCIML_ASSERT_CLOSE(row[1], c * s1 * w1, 1e-14);
        SCIML_ASSERT_CLOSE(row[2], c * s1 * w2, 1e-14);
        SCIML_ASSERT_CLOSE(row[3], c * s2 * w1 * w1, 1e-14);
        SCIML_ASSERT_CLOSE(row[4], c * s2 * w1 * w2, 1e-14);
        SCIML_ASSERT_CLOSE(row[5], c * s2 * w2 * w2, 1e-14);
    }
    net_destroy(&n);
}

static void check_finite_differences(sciml_activation activation) {
    const int64_t hidden[2] = {8, 8};
    enum { COUNT = 300 }; /* more than one tile (256 rows, 512 values) */
    net n;
    net_create(&n, COUNT, 2, hidden, activation, 7);
    double points[2 * COUNT], s[6 * COUNT];
    sciml_rng rng;
    sciml_rng_seed(&rng, 3);
    for (int i = 0; i < 2 * COUNT; i++)
        points[i] = 2 * sciml_rng_uniform(&rng) - 1;
    net_eval(&n, points, s);
    /* value at points shifted by (a h, b h) */
    const double h = 1e-4;
    double shifted[2 * COUNT], value[9][6 * COUNT];
    for (int a = -1; a <= 1; a++)
        for (int b = -1; b <= 1; b++) {
            for (int r = 0; r < COUNT; r++) {
                shifted[2 * r] = points[2 * r] + a * h;
                shifted[2 * r + 1] = points[2 * r + 1] + b * h;
            }
            net_eval(&n, shifted, value[(a + 1) * 3 + (b + 1)]);
        }
#define V(a, b, r) value[((a) + 1) * 3 + ((b) + 1)][6 * (r)]
    double worst = 0;
    for (int r = 0; r < COUNT; r++) {
        double fd[6];
        fd[0] = V(0, 0, r);
        fd[1] = (V(1, 0, r) - V(-1, 0, r)) / (2 * h);
        fd[2] = (V(0, 1, r) - V(0, -1, r)) / (2 * h);
        fd[3] = (V(1, 0, r) - 2 * V(0, 0, r) + V(-1, 0, r)) / (h * h);
        fd[4] = (V(1, 1, r) - V(1, -1, r) - V(-1, 1, r) + V(-1, -1, r)) / (4 * h * h);
        fd[5] = (V(0, 1, r) - 2 * V(0, 0, r) + V(0, -1, r)) / (h * h);
        for (int k = 0; k < 6; k++) {
            double error = fabs(fd[k] - s[6 * r + k]) / fmax(1.0, fabs(fd[k]));
            if (error > worst)
                worst = error;
            CU_ASSERT(error < (k < 3 ? 1e-7 : 1e-5));
        }
    }
#undef V
    CU_ASSERT(worst > 0); /* the comparison ran */
    net_destroy(&n);
}

static void test_finite_differences_tanh(void) {
    check_finite_differences(SCIML_ACT_TANH);
}

static void test_finite_differences_sin(void) {
    check_finite_differences(SCIML_ACT_SIN);
}

static void test_spec_layout(void) {
    sciml_ctx *ctx = make_ctx();
    sciml_taylor_spec spec;
    sciml_taylor_spec_value(&spec, 3);
    CU_ASSERT_EQUAL(sciml_taylor_stream_count(&spec), 1);
    CU_ASSERT_EQUAL(sciml_taylor_first_stream(&spec, 0), -1);
    CU_ASSERT_EQUAL(sciml_taylor_spec_add_second(&spec, 0, 0), -1);
    sciml_taylor_spec_init(&spec, 3);
    CU_ASSERT_EQUAL(sciml_taylor_stream_count(&spec), 4);
    CU_ASSERT_EQUAL(sciml_taylor_first_stream(&spec, 2), 3);
    CU_ASSERT_EQUAL(sciml_taylor_spec_add_second(&spec, 2, 1), 4);
    CU_ASSERT_EQUAL(sciml_taylor_second_stream(&spec, 1, 2), 4);
    CU_ASSERT_EQUAL(sciml_taylor_second_stream(&spec, 0, 0), -1);
    CU_ASSERT_EQUAL(sciml_taylor_spec_add_second(&spec, 0, 3), -1);
    CU_ASSERT_EQUAL(sciml_taylor_spec_check(ctx, &spec), SCIML_OK);
    spec.second[0][0] = 2; /* (2, 2) */
    spec.second[0][1] = 1; /* p > q */
    CU_ASSERT_EQUAL(sciml_taylor_spec_check(ctx, &spec), SCIML_ERR_ARG);
    double points[3] = {0.5, -1, 2}, stacked[12];
    sciml_taylor_spec_init(&spec, 3);
    sciml_taylor_seed(&spec, 1, points, stacked);
    const double expected[12] = {0.5, -1, 2, 1, 0, 0, 0, 1, 0, 0, 0, 1}; /* (S, 1, d) */
    CU_ASSERT_EQUAL(memcmp(stacked, expected, sizeof expected), 0);
    /* relu has no Taylor propagation: one clear error */
    sciml_graph *g = NULL;
    CU_ASSERT_FATAL(sciml_graph_create(ctx, &g) == SCIML_OK);
    int64_t shape[3] = {4, 2, 3};
    sciml_node x = sciml_graph_input(g, "x", 3, shape);
    CU_ASSERT_EQUAL(sciml_taylor_activate(ctx, g, &spec, x, SCIML_NO_NODE, SCIML_ACT_RELU),
                    SCIML_NO_NODE);
    CU_ASSERT(strstr(sciml_ctx_message(ctx), "relu") != NULL);
    sciml_graph_destroy(&g);
    sciml_ctx_destroy(&ctx);
}

/* Burgers-type residual of a 2-[6,6]-1 network on points (x, t): the parameter gradient of
 * mean(r^2) + mean((u - g)^2) against central differences. */
static void check_residual_gradient(sciml_activation activation) {
    const int64_t hidden[2] = {6, 6};
    enum { COUNT = 300 }; /* two row tiles of the fused dense node */
    sciml_ctx *ctx = make_ctx();
    sciml_graph *g = NULL;
    CU_ASSERT_FATAL(sciml_graph_create(ctx, &g) == SCIML_OK);
    sciml_taylor_spec spec;
    sciml_taylor_spec_init(&spec, 2);
    int xx = sciml_taylor_spec_add_second(&spec, 0, 0);
    int xt = sciml_taylor_spec_add_second(&spec, 0, 1);
    int streams = sciml_taylor_stream_count(&spec);
    int64_t shape[3] = {streams, COUNT, 2}, target_shape[2] = {COUNT, 1};
    sciml_node x = sciml_graph_input(g, "x", 3, shape);
    sciml_node target = sciml_graph_input(g, "g", 2, target_shape);
    sciml_mlp mlp;
    CU_ASSERT_EQUAL_FATAL(sciml_mlp_create(ctx, g, "u", 2, 2, hidden, 1, activation, &mlp),
                          SCIML_OK);
    sciml_node y = sciml_taylor_mlp_apply(ctx, g, &mlp, &spec, x);
    sciml_node u = sciml_taylor_stream(g, y, 0);
    sciml_node u_x = sciml_taylor_stream(g, y, sciml_taylor_first_stream(&spec, 0));
    sciml_node u_t = sciml_taylor_stream(g, y, sciml_taylor_first_stream(&spec, 1));
    sciml_node u_xx = sciml_taylor_stream(g, y, xx);
    sciml_node u_xt = sciml_taylor_stream(g, y, xt);
    sciml_node r = sciml_add(g, u_t, sciml_mul(g, u, u_x));
    r = sciml_sub(g, r, sciml_scale(g, u_xx, 0.05));
    r = sciml_add(g, r, sciml_scale(g, u_xt, 0.3)); /* exercises the mixed stream */
    sciml_node loss =
        sciml_add(g, sciml_mean(g, sciml_square(g, r), SCIML_ALL_AXES), sciml_mse(g, u, target));
    CU_ASSERT_FATAL(loss != SCIML_NO_NODE);
    CU_ASSERT_EQUAL_FATAL(sciml_graph_build(g, 1), SCIML_OK);
    sciml_rng rng;
    sciml_rng_seed(&rng, 11);
    CU_ASSERT_EQUAL(sciml_mlp_init(ctx, g, &mlp, SCIML_INIT_AUTO, &rng), SCIML_OK);
    double *p = sciml_graph_params(g);
    for (int64_t i = 0; i < sciml_graph_param_count(g); i++)
        p[i] += 0.2 * sciml_rng_normal(&rng);
    double points[2 * COUNT], stacked[COUNT * 6 * 2], goal[COUNT];
    for (int i = 0; i < 2 * COUNT; i++)
        points[i] = 2 * sciml_rng_uniform(&rng) - 1;
    for (int i = 0; i < COUNT; i++)
        goal[i] = sin(3 * points[2 * i]);
    sciml_taylor_seed(&spec, COUNT, points, stacked);
    CU_ASSERT_EQUAL(sciml_graph_set_input(g, x, stacked, COUNT * streams * 2), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_graph_set_input(g, target, goal, COUNT), SCIML_OK);
    double error = 1;
    CU_ASSERT_EQUAL(sciml_graph_check_gradient(g, loss, 1e-6, &error), SCIML_OK);
    CU_ASSERT(error < 1e-6);
    sciml_graph_destroy(&g);
    sciml_ctx_destroy(&ctx);
}

static void test_residual_gradient_tanh(void) {
    check_residual_gradient(SCIML_ACT_TANH);
}

static void test_residual_gradient_sin(void) {
    check_residual_gradient(SCIML_ACT_SIN);
}

/* The layers built one by one: a fused tanh layer whose output is also read by a later loss term
 * (so the next layer's input gradient is added to, not written fresh), a fused identity layer
 * followed by a separate taylor-activation node (tanh or sin, with its bias), and the identity
 * output layer; the parameter gradient of a residual loss plus mean(h1^2) against central
 * differences. Specs with one and with three second-order pairs (the fused stream loops) and
 * with five (the general loops). */
static void check_layer_gradient(sciml_activation activation, int pairs) {
    enum { COUNT = 300 };
    sciml_ctx *ctx = make_ctx();
    sciml_graph *g = NULL;
    CU_ASSERT_FATAL(sciml_graph_create(ctx, &g) == SCIML_OK);
    sciml_taylor_spec spec;
    int d = pairs > 3 ? 3 : 2;
    sciml_taylor_spec_init(&spec, d);
    const int all[6][2] = {{0, 0}, {0, 1}, {1, 1}, {0, 2}, {2, 2}, {1, 2}};
    for (int k = 0; k < pairs; k++)
        CU_ASSERT(sciml_taylor_spec_add_second(&spec, all[k][0], all[k][1]) >= 0);
    int streams = sciml_taylor_stream_count(&spec);
    int64_t shape[3] = {streams, COUNT, d}, w1[2] = {d, 6}, w2[2] = {6, 5}, w3[2] = {5, 1};
    int64_t b6[1] = {6}, b5[1] = {5}, b1[1] = {1};
    sciml_node x = sciml_graph_input(g, "x", 3, shape);
    sciml_node h1 = sciml_taylor_dense(ctx, g, &spec, x, sciml_graph_param(g, "w1", 2, w1),
                                       sciml_graph_param(g, "b1", 1, b6), SCIML_ACT_TANH);
    sciml_node z2 = sciml_taylor_dense(ctx, g, &spec, h1, sciml_graph_param(g, "w2", 2, w2),
                                       SCIML_NO_NODE, SCIML_ACT_IDENTITY);
    sciml_node h2 =
        sciml_taylor_activate(ctx, g, &spec, z2, sciml_graph_param(g, "b2", 1, b5), activation);
    sciml_node y = sciml_taylor_dense(ctx, g, &spec, h2, sciml_graph_param(g, "w3", 2, w3),
                                      sciml_graph_param(g, "b3", 1, b1), SCIML_ACT_IDENTITY);
    CU_ASSERT_FATAL(y != SCIML_NO_NODE);
    /* every stream enters the loss, with its own weight */
    sciml_node r = sciml_taylor_stream(g, y, 0);
    for (int s = 1; s < streams; s++)
        r = sciml_add(g, r, sciml_scale(g, sciml_taylor_stream(g, y, s), 0.3 * s));
    sciml_node loss = sciml_add(g, sciml_mean(g, sciml_square(g, r), SCIML_ALL_AXES),
                                sciml_mean(g, sciml_square(g, h1), SCIML_ALL_AXES));
    CU_ASSERT_FATAL(loss != SCIML_NO_NODE);
    CU_ASSERT_EQUAL_FATAL(sciml_graph_build(g, 1), SCIML_OK);
    sciml_rng rng;
    sciml_rng_seed(&rng, 17);
    double *p = sciml_graph_params(g);
    for (int64_t i = 0; i < sciml_graph_param_count(g); i++)
        p[i] = 0.6 * sciml_rng_normal(&rng);
    double points[3 * COUNT], stacked[COUNT * 16 * 3];
    for (int i = 0; i < d * COUNT; i++)
        points[i] = 2 * sciml_rng_uniform(&rng) - 1;
    sciml_taylor_seed(&spec, COUNT, points, stacked);
    CU_ASSERT_EQUAL(sciml_graph_set_input(g, x, stacked, COUNT * streams * d), SCIML_OK);
    double error = 1;
    CU_ASSERT_EQUAL(sciml_graph_check_gradient(g, loss, 1e-6, &error), SCIML_OK);
    CU_ASSERT(error < 1e-6);
    sciml_graph_destroy(&g);
    sciml_ctx_destroy(&ctx);
}

static void test_layer_gradient(void) {
    for (int pairs = 1; pairs <= 5; pairs += 2) {
        check_layer_gradient(SCIML_ACT_TANH, pairs);
        check_layer_gradient(SCIML_ACT_SIN, pairs);
    }
}

/* sciml_taylor_product of two networks a, b (2-[6]-1, in one graph) on every stream of a
 * two-input spec: its streams equal central differences of the product of their values
 * (h = 1e-4); the parameter gradient of mean(c^2) over all streams passes the
 * finite-difference check; operands of different shapes are refused. */
enum { PRODUCT_COUNT = 40 };

static void product_streams(sciml_graph *g, const sciml_taylor_spec *spec, sciml_node x,
                            sciml_node c, const double *points, double *out) {
    int streams = sciml_taylor_stream_count(spec);
    double stacked[6 * PRODUCT_COUNT * 2];
    sciml_taylor_seed(spec, PRODUCT_COUNT, points, stacked);
    CU_ASSERT_EQUAL(sciml_graph_set_input(g, x, stacked, streams * PRODUCT_COUNT * 2), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_graph_forward(g, c), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_graph_get_value(g, c, out, streams * PRODUCT_COUNT), SCIML_OK);
}

static void test_product(void) {
    sciml_ctx *ctx = make_ctx();
    sciml_graph *g = NULL;
    CU_ASSERT_FATAL(sciml_graph_create(ctx, &g) == SCIML_OK);
    sciml_taylor_spec spec;
    sciml_taylor_spec_init(&spec, 2);
    sciml_taylor_spec_add_second(&spec, 0, 0);
    sciml_taylor_spec_add_second(&spec, 0, 1);
    sciml_taylor_spec_add_second(&spec, 1, 1);
    int streams = sciml_taylor_stream_count(&spec);
    int64_t shape[3] = {streams, PRODUCT_COUNT, 2}, hidden[1] = {6};
    sciml_node x = sciml_graph_input(g, "x", 3, shape);
    sciml_mlp a, b;
    CU_ASSERT_EQUAL_FATAL(sciml_mlp_create(ctx, g, "a", 2, 1, hidden, 1, SCIML_ACT_TANH, &a),
                          SCIML_OK);
    CU_ASSERT_EQUAL_FATAL(sciml_mlp_create(ctx, g, "b", 2, 1, hidden, 1, SCIML_ACT_SIN, &b),
                          SCIML_OK);
    sciml_node ya = sciml_taylor_mlp_apply(ctx, g, &a, &spec, x);
    sciml_node yb = sciml_taylor_mlp_apply(ctx, g, &b, &spec, x);
    sciml_node c = sciml_taylor_product(ctx, g, &spec, ya, yb);
    CU_ASSERT_FATAL(c != SCIML_NO_NODE);
    int64_t c_shape[SCIML_MAX_DIMS];
    CU_ASSERT_EQUAL(sciml_graph_shape(g, c, c_shape), 3);
    CU_ASSERT_EQUAL(c_shape[0], streams);
    sciml_node loss = sciml_mean(g, sciml_square(g, c), SCIML_ALL_AXES);
    CU_ASSERT_EQUAL_FATAL(sciml_graph_build(g, 1), SCIML_OK);
    sciml_rng rng;
    sciml_rng_seed(&rng, 21);
    CU_ASSERT_EQUAL(sciml_mlp_init(ctx, g, &a, SCIML_INIT_AUTO, &rng), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_mlp_init(ctx, g, &b, SCIML_INIT_AUTO, &rng), SCIML_OK);
    double *p = sciml_graph_params(g);
    for (int64_t i = 0; i < sciml_graph_param_count(g); i++)
        p[i] += 0.3 * sciml_rng_normal(&rng);
    double points[2 * PRODUCT_COUNT], value[PRODUCT_COUNT * 6];
    for (int i = 0; i < 2 * PRODUCT_COUNT; i++)
        points[i] = 2 * sciml_rng_uniform(&rng) - 1;
    product_streams(g, &spec, x, c, points, value);
    /* the value stream at points shifted by (i h, j h), i, j in -1..1 */
    const double h = 1e-4;
    double shifted[2 * PRODUCT_COUNT], at[3][3][PRODUCT_COUNT], out[6 * PRODUCT_COUNT];
    for (int i = -1; i <= 1; i++)
        for (int j = -1; j <= 1; j++) {
            for (int r = 0; r < PRODUCT_COUNT; r++) {
                shifted[2 * r] = points[2 * r] + i * h;
                shifted[2 * r + 1] = points[2 * r + 1] + j * h;
            }
            product_streams(g, &spec, x, c, shifted, out);
            memcpy(at[i + 1][j + 1], out, sizeof at[0][0]);
        }
    double worst = 0;
    for (int r = 0; r < PRODUCT_COUNT; r++) {
        double fd[6] = {at[1][1][r],
                        (at[2][1][r] - at[0][1][r]) / (2 * h),
                        (at[1][2][r] - at[1][0][r]) / (2 * h),
                        (at[2][1][r] - 2 * at[1][1][r] + at[0][1][r]) / (h * h),
                        (at[2][2][r] - at[2][0][r] - at[0][2][r] + at[0][0][r]) / (4 * h * h),
                        (at[1][2][r] - 2 * at[1][1][r] + at[1][0][r]) / (h * h)};
        for (int k = 0; k < 6; k++) {
            double error = fabs(fd[k] - value[k * PRODUCT_COUNT + r]) / fmax(1.0, fabs(fd[k]));
            worst = fmax(worst, error);
            CU_ASSERT(error < (k < 3 ? 1e-7 : 1e-5));
        }
    }
    CU_ASSERT(worst > 0);
    double error = 1;
    CU_ASSERT_EQUAL(sciml_graph_check_gradient(g, loss, 1e-6, &error), SCIML_OK);
    CU_ASSERT(error < 1e-6);
    sciml_graph_destroy(&g);
    /* operands of different shapes */
    CU_ASSERT_FATAL(sciml_graph_create(ctx, &g) == SCIML_OK);
    int64_t other[3] = {streams, PRODUCT_COUNT, 2};
    sciml_node one = sciml_graph_input(g, "one", 3, shape);
    sciml_node two = sciml_graph_input(g, "two", 3, other);
    shape[2] = 1;
    sciml_node three = sciml_graph_input(g, "three", 3, shape);
    CU_ASSERT_EQUAL(sciml_taylor_product(ctx, g, &spec, one, three), SCIML_NO_NODE);
    CU_ASSERT(strstr(sciml_ctx_message(ctx), "taylor_product") != NULL);
    CU_ASSERT(sciml_taylor_product(ctx, g, &spec, one, two) != SCIML_NO_NODE);
    sciml_graph_destroy(&g);
    sciml_ctx_destroy(&ctx);
}

int main(void) {
    const sciml_test_case cases[] = {
        {"analytic one-unit network", test_analytic_unit},
        {"streams vs finite differences (tanh)", test_finite_differences_tanh},
        {"streams vs finite differences (sin)", test_finite_differences_sin},
        {"spec layout and errors", test_spec_layout},
        {"residual loss gradient check (tanh)", test_residual_gradient_tanh},
        {"residual loss gradient check (sin)", test_residual_gradient_sin},
        {"layer by layer gradient check (shared input, activation node)", test_layer_gradient},
        {"product rule of two stacked networks", test_product},
        {NULL, NULL}};
    return sciml_test_main("taylor", cases);
}
