/* Learning: layers on the graph. MLP shapes, names and parameter counts; a forward pass against
 * hand arithmetic; initialisation statistics; gradient checks through an MLP and through the
 * Fourier-feature embedding; the fused pair of dense layers against two separate ones; a small
 * training run (sin(2 pi x) with Adam); normaliser
 * statistics and round trip; hidden-list parsing errors. */
#include "sciml/nn.h"
#include "sciml/optim.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static sciml_ctx *make_ctx(void) {
    sciml_ctx *ctx = NULL;
    CU_ASSERT_FATAL(sciml_ctx_create(&ctx) == SCIML_OK);
    return ctx;
}

static void test_mlp_shapes(void) {
    sciml_ctx *ctx = make_ctx();
    sciml_graph *g = NULL;
    CU_ASSERT_FATAL(sciml_graph_create(ctx, &g) == SCIML_OK);
    const int64_t x_shape[2] = {SCIML_BATCH, 3}, y_shape[2] = {SCIML_BATCH, 1};
    sciml_node x = sciml_graph_input(g, "x", 2, x_shape);
    sciml_node y = sciml_graph_input(g, "y", 2, y_shape);
    const int64_t hidden[2] = {64, 32};
    sciml_mlp branch, trunk;
    CU_ASSERT_EQUAL_FATAL(
        sciml_mlp_create(ctx, g, "branch", 3, 2, hidden, 5, SCIML_ACT_TANH, &branch), SCIML_OK);
    CU_ASSERT_EQUAL_FATAL(
        sciml_mlp_create(ctx, g, "trunk", 3, 1, hidden, 5, SCIML_ACT_RELU, &trunk), SCIML_OK);
    CU_ASSERT_EQUAL(branch.layer_count, 3);
    CU_ASSERT_EQUAL(sciml_mlp_param_count(&branch), 3 * 64 + 64 + 64 * 32 + 32 + 32 * 5 + 5);
    CU_ASSERT_EQUAL(sciml_mlp_param_count(&trunk), 3 * 64 + 64 + 64 * 5 + 5);
    CU_ASSERT_EQUAL(sciml_graph_param_count(g),
                    sciml_mlp_param_count(&branch) + sciml_mlp_param_count(&trunk));
    int64_t shape[SCIML_MAX_DIMS];
    sciml_node w1 = sciml_graph_find(g, "branch.1.weight");
    CU_ASSERT_EQUAL(w1, branch.layers[1].weight);
    CU_ASSERT_EQUAL(sciml_graph_shape(g, w1, shape), 2);
    CU_ASSERT(shape[0] == 64 && shape[1] == 32);
    sciml_node b2 = sciml_graph_find(g, "trunk.1.bias");
    CU_ASSERT_EQUAL(sciml_graph_shape(g, b2, shape), 1);
    CU_ASSERT_EQUAL(shape[0], 5);
    CU_ASSERT_EQUAL(sciml_graph_find(g, "trunk.2.weight"), SCIML_NO_NODE);
    CU_ASSERT_EQUAL(trunk.layers[1].activation, SCIML_ACT_IDENTITY); /* linear output */
    CU_ASSERT_EQUAL(trunk.layers[0].activation, SCIML_ACT_RELU);
    /* A second network with a taken prefix is refused. */
    sciml_mlp again;
    CU_ASSERT_NOT_EQUAL(sciml_mlp_create(ctx, g, "trunk", 3, 1, hidden, 5, SCIML_ACT_RELU, &again),
                        SCIML_OK);
    sciml_graph_destroy(&g);

    /* Output shape, and a build with only valid networks. */
    CU_ASSERT_FATAL(sciml_graph_create(ctx, &g) == SCIML_OK);
    x = sciml_graph_input(g, "x", 2, x_shape);
    y = sciml_graph_input(g, "y", 2, y_shape);
    CU_ASSERT_EQUAL_FATAL(sciml_mlp_create(ctx, g, "mlp", 3, 2, hidden, 1, SCIML_ACT_GELU, &branch),
                          SCIML_OK);
    sciml_node out = sciml_mlp_apply(g, &branch, x);
    CU_ASSERT_FATAL(out != SCIML_NO_NODE);
    CU_ASSERT_EQUAL(sciml_graph_shape(g, out, shape), 2);
    CU_ASSERT(shape[0] == SCIML_BATCH && shape[1] == 1);
    sciml_node loss = sciml_mse(g, out, y);
    CU_ASSERT_EQUAL_FATAL(sciml_graph_build(g, 16), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_graph_param_count(g), sciml_mlp_param_count(&branch));
    CU_ASSERT_EQUAL(sciml_graph_param_offset(g, branch.layers[0].weight), 0);
    CU_ASSERT_EQUAL(sciml_graph_param_offset(g, branch.layers[0].bias), 3 * 64);
    (void)loss;
    /* Bad sizes. */
    const int64_t zero_hidden[1] = {0};
    CU_ASSERT_EQUAL(sciml_mlp_create(ctx, g, "bad", 3, 1, zero_hidden, 1, SCIML_ACT_TANH, &again),
                    SCIML_ERR_RANGE);
    CU_ASSERT(strstr(sciml_ctx_message(ctx), "width 0") != NULL);
    CU_ASSERT_EQUAL(sciml_mlp_create(ctx, g, "bad", 3, SCIML_MAX_HIDDEN_LAYERS + 1, hidden, 1,
                                     SCIML_ACT_TANH, &again),
                    SCIML_ERR_RANGE);
    sciml_graph_destroy(&g);
    sciml_ctx_destroy(&ctx);
}

/* 2-3-1 tanh network with set weights: y = tanh(x W0 + b0) W1 + b1, computed by hand. */
static void test_mlp_forward_values(void) {
    sciml_ctx *ctx = make_ctx();
    sciml_graph *g = NULL;
    CU_ASSERT_FATAL(sciml_graph_create(ctx, &g) == SCIML_OK);
    const int64_t x_shape[2] = {SCIML_BATCH, 2};
    sciml_node x = sciml_graph_input(g, "x", 2, x_shape);
    const int64_t hidden[1] = {3};
    sciml_mlp mlp;
    CU_ASSERT_EQUAL_FATAL(sciml_mlp_create(ctx, g, "mlp", 2, 1, hidden, 1, SCIML_ACT_TANH, &mlp),
                          SCIML_OK);
    sciml_node out = sciml_mlp_apply(g, &mlp, x);
    CU_ASSERT_EQUAL_FATAL(sciml_graph_build(g, 4), SCIML_OK);
    CU_ASSERT_EQUAL_FATAL(sciml_graph_param_count(g), 13);
    /* Layout: W0 (2, 3) row-major, b0 (3), W1 (3, 1), b1 (1). */
    const double W0[6] = {0.1, -0.2, 0.3, 0.4, 0.5, -0.6}, b0[3] = {0.01, 0.02, -0.03};
    const double W1[3] = {1.5, -0.5, 0.25}, b1 = 0.1;
    double *p = sciml_graph_params(g);
    memcpy(p, W0, sizeof(W0));
    memcpy(p + 6, b0, sizeof(b0));
    memcpy(p + 9, W1, sizeof(W1));
    p[12] = b1;
    const double inputs[4] = {0.5, -1.0, 2.0, 0.25}; /* two rows */
    CU_ASSERT_EQUAL(sciml_graph_set_batch(g, 2), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_graph_set_input(g, x, inputs, 4), SCIML_OK);
    CU_ASSERT_EQUAL_FATAL(sciml_graph_forward(g, out), SCIML_OK);
    double result[2];
    CU_ASSERT_EQUAL_FATAL(sciml_graph_get_value(g, out, result, 2), SCIML_OK);
    for (int r = 0; r < 2; r++) {
        double expected = b1;
        for (int j = 0; j < 3; j++) {
            double z = inputs[2 * r] * W0[j] + inputs[2 * r + 1] * W0[3 + j] + b0[j];
            expected += tanh(z) * W1[j];
        }
        SCIML_ASSERT_CLOSE(result[r], expected, 1e-14);
    }
    sciml_graph_destroy(&g);
    sciml_ctx_destroy(&ctx);
}

static void moments(const double *v, int64_t n, double *mean, double *variance, double *max_abs) {
    double sum = 0.0, sum2 = 0.0, m = 0.0;
    for (int64_t i = 0; i < n; i++) {
        sum += v[i];
        m = fmax(m, fabs(v[i]));
    }
    *mean = sum / (double)n;
    for (int64_t i = 0; i < n; i++)
        sum2 += (v[i] - *mean) * (v[i] - *mean);
    *variance = sum2 / (double)n;
    *max_abs = m;
}

/* Weight variance of a 400 x 600 layer (240000 draws) within 2% of the target: the sampling
 * error of the variance is about sqrt(2 / 240000) = 0.3% (normal) or less (uniform). */
static void test_init_statistics(void) {
    sciml_ctx *ctx = make_ctx();
    const int64_t fan_in = 400, fan_out = 600, count = fan_in * fan_out;
    const struct {
        sciml_init init;
        sciml_activation activation;
        double variance, bound; /* bound 0: unbounded (normal) */
    } cases[] = {
        {SCIML_INIT_GLOROT_UNIFORM, SCIML_ACT_TANH, 2.0 / 1000.0, sqrt(6.0 / 1000.0)},
        {SCIML_INIT_GLOROT_NORMAL, SCIML_ACT_TANH, 2.0 / 1000.0, 0.0},
        {SCIML_INIT_HE_UNIFORM, SCIML_ACT_RELU, 2.0 / 400.0, sqrt(6.0 / 400.0)},
        {SCIML_INIT_HE_NORMAL, SCIML_ACT_RELU, 2.0 / 400.0, 0.0},
        {SCIML_INIT_AUTO, SCIML_ACT_TANH, 2.0 / 1000.0, sqrt(6.0 / 1000.0)}, /* Glorot uniform */
        {SCIML_INIT_AUTO, SCIML_ACT_GELU, 2.0 / 400.0, 0.0},                 /* He normal */
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        sciml_graph *g = NULL;
        CU_ASSERT_FATAL(sciml_graph_create(ctx, &g) == SCIML_OK);
        sciml_dense layer;
        CU_ASSERT_EQUAL_FATAL(
            sciml_dense_create(ctx, g, "layer", fan_in, fan_out, cases[c].activation, &layer),
            SCIML_OK);
        CU_ASSERT_EQUAL_FATAL(sciml_graph_build(g, 1), SCIML_OK);
        double *p = sciml_graph_params(g);
        for (int64_t i = 0; i < count + fan_out; i++)
            p[i] = 7.0; /* init must overwrite everything */
        sciml_rng rng;
        sciml_rng_seed(&rng, 1234 + c);
        CU_ASSERT_EQUAL(sciml_dense_init(ctx, g, &layer, cases[c].init, &rng), SCIML_OK);
        double mean, variance, max_abs;
        moments(p + sciml_graph_param_offset(g, layer.weight), count, &mean, &variance, &max_abs);
        CU_ASSERT(fabs(variance / cases[c].variance - 1.0) < 0.02);
        CU_ASSERT(fabs(mean) < 5.0 * sqrt(cases[c].variance / (double)count));
        if (cases[c].bound > 0.0) {
            CU_ASSERT(max_abs <= cases[c].bound);
            CU_ASSERT(max_abs > 0.99 * cases[c].bound);
        } else {
            CU_ASSERT(max_abs > 3.0 * sqrt(cases[c].variance)); /* normal tails exist */
        }
        const double *bias = p + sciml_graph_param_offset(g, layer.bias);
        int zero = 1;
        for (int64_t i = 0; i < fan_out; i++)
            zero &= bias[i] == 0.0;
        CU_ASSERT(zero);
        sciml_graph_destroy(&g);
    }
    /* Same seed, same weights. */
    sciml_graph *g = NULL;
    CU_ASSERT_FATAL(sciml_graph_create(ctx, &g) == SCIML_OK);
    const int64_t hidden[2] = {16, 16};
    sciml_mlp mlp;
    CU_ASSERT_EQUAL_FATAL(sciml_mlp_create(ctx, g, "mlp", 2, 2, hidden, 1, SCIML_ACT_TANH, &mlp),
                          SCIML_OK);
    CU_ASSERT_EQUAL(sciml_mlp_init(ctx, g, &mlp, SCIML_INIT_AUTO, NULL), SCIML_ERR_ARG);
    CU_ASSERT_EQUAL_FATAL(sciml_graph_build(g, 1), SCIML_OK);
    const int64_t n = sciml_graph_param_count(g);
    double *first = malloc((size_t)n * sizeof(double));
    CU_ASSERT_FATAL(first != NULL);
    sciml_rng rng;
    sciml_rng_seed(&rng, 99);
    CU_ASSERT_EQUAL(sciml_mlp_init(ctx, g, &mlp, SCIML_INIT_AUTO, &rng), SCIML_OK);
    memcpy(first, sciml_graph_params(g), (size_t)n * sizeof(double));
    sciml_rng_seed(&rng, 99);
    CU_ASSERT_EQUAL(sciml_mlp_init(ctx, g, &mlp, SCIML_INIT_AUTO, &rng), SCIML_OK);
    CU_ASSERT_EQUAL(memcmp(first, sciml_graph_params(g), (size_t)n * sizeof(double)), 0);
    free(first);
    sciml_graph_destroy(&g);
    sciml_ctx_destroy(&ctx);
}

/* Finite-difference check of d mse / d params for a 2-8-8-1 network (each activation), and
 * for dense(2 -> 2) -> Fourier features (m = 4) -> MLP, so that parameter gradients pass
 * through the embedding's backward. */
static void test_gradient_check(void) {
    sciml_ctx *ctx = make_ctx();
    const sciml_activation activations[] = {SCIML_ACT_TANH, SCIML_ACT_GELU, SCIML_ACT_SIGMOID,
                                            SCIML_ACT_SIN, SCIML_ACT_SOFTPLUS};
    const int64_t batch = 5;
    double x_values[10], y_values[5];
    for (int i = 0; i < 10; i++)
        x_values[i] = sin(1.3 * i + 0.2);
    for (int i = 0; i < 5; i++)
        y_values[i] = cos(0.7 * i);
    for (int variant = 0; variant < 6; variant++) {
        int with_fourier = variant == 5;
        sciml_activation activation = with_fourier ? SCIML_ACT_TANH : activations[variant];
        sciml_graph *g = NULL;
        CU_ASSERT_FATAL(sciml_graph_create(ctx, &g) == SCIML_OK);
        const int64_t x_shape[2] = {SCIML_BATCH, 2}, y_shape[2] = {SCIML_BATCH, 1};
        sciml_node x = sciml_graph_input(g, "x", 2, x_shape);
        sciml_node y = sciml_graph_input(g, "y", 2, y_shape);
        sciml_node features = x;
        sciml_dense front;
        double frequencies[2 * 4];
        sciml_rng rng;
        sciml_rng_seed(&rng, 5 + variant);
        if (with_fourier) {
            CU_ASSERT_EQUAL_FATAL(
                sciml_dense_create(ctx, g, "front", 2, 2, SCIML_ACT_IDENTITY, &front), SCIML_OK);
            sciml_node h = sciml_dense_apply(g, &front, x);
            CU_ASSERT_EQUAL(sciml_fourier_sample(ctx, &rng, 0.5, 2, 4, frequencies), SCIML_OK);
            features = sciml_fourier_features(ctx, g, h, 4, frequencies);
            CU_ASSERT_FATAL(features != SCIML_NO_NODE);
        }
        const int64_t hidden[2] = {8, 8};
        sciml_mlp mlp;
        CU_ASSERT_EQUAL_FATAL(
            sciml_mlp_create(ctx, g, "mlp", with_fourier ? 8 : 2, 2, hidden, 1, activation, &mlp),
            SCIML_OK);
        sciml_node out = sciml_mlp_apply(g, &mlp, features);
        sciml_node loss = sciml_mse(g, out, y);
        CU_ASSERT_FATAL(loss != SCIML_NO_NODE);
        CU_ASSERT_EQUAL_FATAL(sciml_graph_build(g, batch), SCIML_OK);
        CU_ASSERT_EQUAL(sciml_mlp_init(ctx, g, &mlp, SCIML_INIT_AUTO, &rng), SCIML_OK);
        if (with_fourier)
            CU_ASSERT_EQUAL(sciml_dense_init(ctx, g, &front, SCIML_INIT_GLOROT_NORMAL, &rng),
                            SCIML_OK);
        /* Non-zero biases so their gradients are exercised away from the origin. */
        double *p = sciml_graph_params(g);
        for (int k = 0; k < mlp.layer_count; k++) {
            int64_t offset = sciml_graph_param_offset(g, mlp.layers[k].bias);
            for (int64_t j = 0; j < mlp.sizes[k + 1]; j++)
                p[offset + j] = 0.1 * sin(3.0 * j + k);
        }
        CU_ASSERT_EQUAL(sciml_graph_set_input(g, x, x_values, 10), SCIML_OK);
        CU_ASSERT_EQUAL(sciml_graph_set_input(g, y, y_values, 5), SCIML_OK);
        double error = 1.0;
        CU_ASSERT_EQUAL(sciml_graph_check_gradient(g, loss, 1e-6, &error), SCIML_OK);
        CU_ASSERT(error < 1e-7);
        if (!(error < 1e-7))
            fprintf(stderr, "gradient check variant %d: relative error %g\n", variant, error);
        sciml_graph_destroy(&g);
    }
    sciml_ctx_destroy(&ctx);
}

/* sciml_dense_pair_apply against two sciml_dense_apply nodes (forward, 70 rows: two tiles, each
 * first-layer activation), and a finite-difference check of its gradients with x, W1, b1, W2
 * and b2 all parameters. */
static void test_dense_pair(void) {
    const sciml_activation acts[3] = {SCIML_ACT_IDENTITY, SCIML_ACT_RELU, SCIML_ACT_GELU};
    for (int a = 0; a < 3; a++) {
        sciml_ctx *ctx = make_ctx();
        sciml_graph *g = NULL;
        CU_ASSERT_FATAL(sciml_graph_create(ctx, &g) == SCIML_OK);
        const int64_t x_shape[3] = {2, 35, 5};
        sciml_node x = sciml_graph_param(g, "x", 3, x_shape);
        sciml_dense first, second;
        CU_ASSERT_EQUAL_FATAL(sciml_dense_create(ctx, g, "first", 5, 7, acts[a], &first), SCIML_OK);
        CU_ASSERT_EQUAL_FATAL(
            sciml_dense_create(ctx, g, "second", 7, 3, SCIML_ACT_IDENTITY, &second), SCIML_OK);
        sciml_node pair = sciml_dense_pair_apply(ctx, g, &first, &second, x);
        sciml_node separate = sciml_dense_apply(g, &second, sciml_dense_apply(g, &first, x));
        CU_ASSERT_FATAL(pair != SCIML_NO_NODE && separate != SCIML_NO_NODE);
        const int64_t y_shape[3] = {2, 35, 3};
        sciml_node r = sciml_graph_input(g, "r", 3, y_shape);
        sciml_node loss =
            sciml_add(g, sciml_sum(g, sciml_mul(g, r, pair), SCIML_ALL_AXES),
                      sciml_scale(g, sciml_sum(g, sciml_square(g, pair), SCIML_ALL_AXES), 0.5));
        CU_ASSERT_EQUAL_FATAL(sciml_graph_build(g, 1), SCIML_OK);
        sciml_rng rng;
        sciml_rng_seed(&rng, 90 + (uint64_t)a);
        double *params = sciml_graph_params(g);
        for (int64_t i = 0; i < sciml_graph_param_count(g); i++) /* pre-activations O(1) */
            params[i] = 0.4 * sciml_rng_normal(&rng);
        double r_values[2 * 35 * 3], y_pair[2 * 35 * 3], y_separate[2 * 35 * 3];
        for (int i = 0; i < 2 * 35 * 3; i++)
            r_values[i] = sciml_rng_normal(&rng);
        CU_ASSERT_EQUAL(sciml_graph_set_input(g, r, r_values, 2 * 35 * 3), SCIML_OK);
        CU_ASSERT_EQUAL(sciml_graph_forward(g, pair), SCIML_OK);
        CU_ASSERT_EQUAL(sciml_graph_get_value(g, pair, y_pair, 2 * 35 * 3), SCIML_OK);
        CU_ASSERT_EQUAL(sciml_graph_forward(g, separate), SCIML_OK);
        CU_ASSERT_EQUAL(sciml_graph_get_value(g, separate, y_separate, 2 * 35 * 3), SCIML_OK);
        double worst = 0.0, largest = 0.0;
        for (int i = 0; i < 2 * 35 * 3; i++) {
            worst = fmax(worst, fabs(y_pair[i] - y_separate[i]));
            largest = fmax(largest, fabs(y_separate[i]));
        }
        CU_ASSERT(largest > 1.0);
        CU_ASSERT(worst <= 1e-13 * largest);
        double error = INFINITY;
        CU_ASSERT_EQUAL(sciml_graph_check_gradient(g, loss, 1e-6, &error), SCIML_OK);
        CU_ASSERT(error < 1e-6);
        if (!(error < 1e-6) || !(worst <= 1e-13 * largest))
            fprintf(stderr, "dense pair, activation %d: forward %g, gradient error %g\n",
                    (int)acts[a], worst, error);
        sciml_graph_destroy(&g);
        sciml_ctx_destroy(&ctx);
    }
}

static void test_fourier_values(void) {
    sciml_ctx *ctx = make_ctx();
    sciml_graph *g = NULL;
    CU_ASSERT_FATAL(sciml_graph_create(ctx, &g) == SCIML_OK);
    const int64_t x_shape[2] = {SCIML_BATCH, 2};
    sciml_node x = sciml_graph_input(g, "x", 2, x_shape);
    double B[2 * 3] = {1.0, 0.5, -2.0, 0.25, 3.0, 1.5}; /* (2, 3) */
    sciml_node out = sciml_fourier_features(ctx, g, x, 3, B);
    CU_ASSERT_FATAL(out != SCIML_NO_NODE);
    B[0] = 100.0; /* copied: later changes do not reach the graph */
    int64_t shape[SCIML_MAX_DIMS];
    CU_ASSERT_EQUAL(sciml_graph_shape(g, out, shape), 2);
    CU_ASSERT_EQUAL(shape[1], 6);
    CU_ASSERT_EQUAL(sciml_fourier_features(ctx, g, sciml_graph_find(g, "nothing"), 3, B),
                    SCIML_NO_NODE);
    CU_ASSERT_EQUAL_FATAL(sciml_graph_build(g, 2), SCIML_OK);
    const double inputs[4] = {0.1, 0.2, -0.3, 0.7};
    CU_ASSERT_EQUAL(sciml_graph_set_batch(g, 2), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_graph_set_input(g, x, inputs, 4), SCIML_OK);
    CU_ASSERT_EQUAL_FATAL(sciml_graph_forward(g, out), SCIML_OK);
    double values[12];
    CU_ASSERT_EQUAL_FATAL(sciml_graph_get_value(g, out, values, 12), SCIML_OK);
    const double B0[6] = {1.0, 0.5, -2.0, 0.25, 3.0, 1.5};
    for (int r = 0; r < 2; r++)
        for (int j = 0; j < 3; j++) {
            double z = 2.0 * SCIML_PI * (inputs[2 * r] * B0[j] + inputs[2 * r + 1] * B0[3 + j]);
            SCIML_ASSERT_CLOSE(values[6 * r + j], sin(z), 1e-14);
            SCIML_ASSERT_CLOSE(values[6 * r + 3 + j], cos(z), 1e-14);
        }
    /* Sampled frequencies have the requested spread. */
    enum { D = 4, M = 5000 };
    double *frequencies = malloc(sizeof(double) * D * M);
    CU_ASSERT_FATAL(frequencies != NULL);
    sciml_rng rng;
    sciml_rng_seed(&rng, 3);
    CU_ASSERT_EQUAL(sciml_fourier_sample(ctx, &rng, 10.0, D, M, frequencies), SCIML_OK);
    double mean, variance, max_abs;
    moments(frequencies, D * M, &mean, &variance, &max_abs);
    CU_ASSERT(fabs(sqrt(variance) / 10.0 - 1.0) < 0.03);
    CU_ASSERT_EQUAL(sciml_fourier_sample(ctx, &rng, 0.0, D, M, frequencies), SCIML_ERR_RANGE);
    free(frequencies);
    sciml_graph_destroy(&g);
    sciml_ctx_destroy(&ctx);
}

/* 1-32-32-1 tanh network fits sin(2 pi x) at 64 points of [0, 1], full batch, Adam lr 1e-2
 * with cosine decay to 1e-4 over 3000 steps: MSE below 1e-4 (the target's variance is 0.5;
 * this seed reaches about 6e-6). */
static void test_training_sine(void) {
    enum { POINTS = 64, STEPS = 3000 };
    sciml_ctx *ctx = make_ctx();
    sciml_graph *g = NULL;
    CU_ASSERT_FATAL(sciml_graph_create(ctx, &g) == SCIML_OK);
    const int64_t shape[2] = {SCIML_BATCH, 1};
    sciml_node x = sciml_graph_input(g, "x", 2, shape);
    sciml_node y = sciml_graph_input(g, "y", 2, shape);
    int64_t hidden[2];
    int hidden_count = 0;
    CU_ASSERT_EQUAL_FATAL(sciml_parse_hidden(ctx, "32,32", hidden, 2, &hidden_count), SCIML_OK);
    sciml_mlp mlp;
    CU_ASSERT_EQUAL_FATAL(
        sciml_mlp_create(ctx, g, "mlp", 1, hidden_count, hidden, 1, SCIML_ACT_TANH, &mlp),
        SCIML_OK);
    sciml_node loss = sciml_mse(g, sciml_mlp_apply(g, &mlp, x), y);
    CU_ASSERT_EQUAL_FATAL(sciml_graph_build(g, POINTS), SCIML_OK);
    sciml_rng rng;
    sciml_rng_seed(&rng, 2024);
    CU_ASSERT_EQUAL_FATAL(sciml_mlp_init(ctx, g, &mlp, SCIML_INIT_AUTO, &rng), SCIML_OK);
    double xs[POINTS], ys[POINTS];
    for (int i = 0; i < POINTS; i++) {
        xs[i] = i / (double)(POINTS - 1);
        ys[i] = sin(2.0 * SCIML_PI * xs[i]);
    }
    CU_ASSERT_EQUAL(sciml_graph_set_input(g, x, xs, POINTS), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_graph_set_input(g, y, ys, POINTS), SCIML_OK);
    const int64_t n = sciml_graph_param_count(g);
    sciml_adam *adam = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_adam_create(ctx, n, NULL, &adam), SCIML_OK);
    sciml_schedule schedule;
    sciml_schedule_default(&schedule, 1e-2);
    schedule.kind = SCIML_SCHEDULE_COSINE;
    schedule.period = STEPS;
    schedule.min_lr = 1e-4;
    clock_t start = clock();
    double first_loss = 0.0, last_loss = 0.0;
    for (int step = 0; step < STEPS; step++) {
        CU_ASSERT_EQUAL_FATAL(sciml_graph_forward(g, loss), SCIML_OK);
        CU_ASSERT_EQUAL_FATAL(sciml_graph_backward(g, loss), SCIML_OK);
        last_loss = sciml_graph_scalar(g, loss);
        if (step == 0)
            first_loss = last_loss;
        CU_ASSERT_EQUAL_FATAL(sciml_adam_step(adam, sciml_graph_params(g), sciml_graph_grads(g),
                                              sciml_schedule_lr(&schedule, step)),
                              SCIML_OK);
    }
    CU_ASSERT_EQUAL(sciml_graph_forward(g, loss), SCIML_OK);
    last_loss = sciml_graph_scalar(g, loss);
    double seconds = (double)(clock() - start) / CLOCKS_PER_SEC;
    CU_ASSERT(first_loss > 0.1);
    CU_ASSERT(last_loss < 1e-4);
    fprintf(stderr, "\n    sine fit: mse %.3g -> %.3g in %d Adam steps, %.2f s CPU ", first_loss,
            last_loss, STEPS, seconds);
    sciml_adam_destroy(&adam);
    sciml_graph_destroy(&g);
    sciml_ctx_destroy(&ctx);
}

/* The same fit by L-BFGS through sciml_graph_objective_evaluate (full batch, 400 iterations
 * at most): MSE below 1e-5, and the graph's loss at the returned x equals result.f. */
static void test_lbfgs_on_graph(void) {
    enum { POINTS = 64 };
    sciml_ctx *ctx = make_ctx();
    sciml_graph *g = NULL;
    CU_ASSERT_FATAL(sciml_graph_create(ctx, &g) == SCIML_OK);
    const int64_t shape[2] = {SCIML_BATCH, 1}, hidden[2] = {32, 32};
    sciml_node x = sciml_graph_input(g, "x", 2, shape);
    sciml_node y = sciml_graph_input(g, "y", 2, shape);
    sciml_mlp mlp;
    CU_ASSERT_EQUAL_FATAL(sciml_mlp_create(ctx, g, "mlp", 1, 2, hidden, 1, SCIML_ACT_TANH, &mlp),
                          SCIML_OK);
    sciml_node loss = sciml_mse(g, sciml_mlp_apply(g, &mlp, x), y);
    CU_ASSERT_EQUAL_FATAL(sciml_graph_build(g, POINTS), SCIML_OK);
    sciml_rng rng;
    sciml_rng_seed(&rng, 2024);
    CU_ASSERT_EQUAL_FATAL(sciml_mlp_init(ctx, g, &mlp, SCIML_INIT_AUTO, &rng), SCIML_OK);
    double xs[POINTS], ys[POINTS];
    for (int i = 0; i < POINTS; i++) {
        xs[i] = i / (double)(POINTS - 1);
        ys[i] = sin(2.0 * SCIML_PI * xs[i]);
    }
    CU_ASSERT_EQUAL(sciml_graph_set_input(g, x, xs, POINTS), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_graph_set_input(g, y, ys, POINTS), SCIML_OK);
    const int64_t n = sciml_graph_param_count(g);
    double *theta = malloc((size_t)n * sizeof(double));
    CU_ASSERT_FATAL(theta != NULL);
    memcpy(theta, sciml_graph_params(g), (size_t)n * sizeof(double));
    sciml_graph_objective objective = {g, loss};
    sciml_lbfgs_options options;
    sciml_lbfgs_options_default(&options);
    options.max_iterations = 400;
    sciml_lbfgs_result result;
    CU_ASSERT_EQUAL(sciml_lbfgs_minimize(ctx, n, theta, sciml_graph_objective_evaluate, &objective,
                                         &options, &result),
                    SCIML_OK);
    CU_ASSERT(result.f < 1e-5);
    memcpy(sciml_graph_params(g), theta, (size_t)n * sizeof(double));
    CU_ASSERT_EQUAL(sciml_graph_forward(g, loss), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_graph_scalar(g, loss), result.f);
    fprintf(stderr, "\n    lbfgs sine fit: mse %.3g after %lld iterations, %lld evaluations (%s) ",
            result.f, (long long)result.iterations, (long long)result.evaluations,
            sciml_lbfgs_reason_name(result.reason));
    free(theta);
    sciml_graph_destroy(&g);
    sciml_ctx_destroy(&ctx);
}

static void test_normalizer(void) {
    enum { ROWS = 1000, FEATURES = 3 };
    sciml_ctx *ctx = make_ctx();
    double *data = malloc(sizeof(double) * ROWS * FEATURES);
    double *copy = malloc(sizeof(double) * ROWS * FEATURES);
    CU_ASSERT_FATAL(data && copy);
    sciml_rng rng;
    sciml_rng_seed(&rng, 11);
    for (int i = 0; i < ROWS; i++) {
        data[i * FEATURES + 0] = 1e6 + 3.0 * sciml_rng_normal(&rng); /* large offset */
        data[i * FEATURES + 1] = -2e-3 * sciml_rng_uniform(&rng);
        data[i * FEATURES + 2] = 42.0; /* constant */
    }
    memcpy(copy, data, sizeof(double) * ROWS * FEATURES);
    sciml_normalizer *norm = NULL, *streamed = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_normalizer_create(ctx, FEATURES, &norm), SCIML_OK);
    CU_ASSERT_EQUAL_FATAL(sciml_normalizer_create(ctx, FEATURES, &streamed), SCIML_OK);
    CU_ASSERT_EQUAL(
        sciml_normalizer_fit(ctx, norm, data, ROWS, FEATURES, SCIML_NORMALIZER_STD_FLOOR),
        SCIML_OK);
    /* Against a direct two-pass computation. */
    for (int j = 0; j < 2; j++) {
        double sum = 0.0, sum2 = 0.0;
        for (int i = 0; i < ROWS; i++)
            sum += data[i * FEATURES + j];
        double mean = sum / ROWS;
        for (int i = 0; i < ROWS; i++)
            sum2 += (data[i * FEATURES + j] - mean) * (data[i * FEATURES + j] - mean);
        SCIML_ASSERT_CLOSE(norm->mean[j], mean, 1e-12 * fabs(mean) + 1e-18);
        SCIML_ASSERT_CLOSE(norm->std[j], sqrt(sum2 / ROWS), 1e-10 * sqrt(sum2 / ROWS));
    }
    CU_ASSERT_EQUAL(norm->mean[2], 42.0);
    CU_ASSERT_EQUAL(norm->std[2], 1.0); /* constant feature: centred only */
    /* Streaming in uneven batches gives the same statistics. */
    CU_ASSERT_EQUAL(sciml_normalizer_update(ctx, streamed, data, 1, FEATURES), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_normalizer_update(ctx, streamed, data + FEATURES, 400, FEATURES),
                    SCIML_OK);
    CU_ASSERT_EQUAL(
        sciml_normalizer_update(ctx, streamed, data + 401 * FEATURES, ROWS - 401, FEATURES),
        SCIML_OK);
    CU_ASSERT_EQUAL(sciml_normalizer_finish(ctx, streamed, SCIML_NORMALIZER_STD_FLOOR), SCIML_OK);
    for (int j = 0; j < FEATURES; j++) {
        SCIML_ASSERT_CLOSE(streamed->mean[j], norm->mean[j], 1e-12 * fabs(norm->mean[j]));
        SCIML_ASSERT_CLOSE(streamed->std[j], norm->std[j], 1e-10 * norm->std[j]);
    }
    /* Apply: zero mean, unit std; invert restores the data. */
    CU_ASSERT_EQUAL(sciml_normalizer_apply(ctx, norm, data, ROWS, FEATURES), SCIML_OK);
    for (int j = 0; j < FEATURES; j++) {
        double sum = 0.0, sum2 = 0.0;
        for (int i = 0; i < ROWS; i++) {
            sum += data[i * FEATURES + j];
            sum2 += data[i * FEATURES + j] * data[i * FEATURES + j];
        }
        SCIML_ASSERT_CLOSE(sum / ROWS, 0.0, 1e-9);
        SCIML_ASSERT_CLOSE(sum2 / ROWS, j == 2 ? 0.0 : 1.0, 1e-9);
    }
    CU_ASSERT_EQUAL(sciml_normalizer_invert(ctx, norm, data, ROWS, FEATURES), SCIML_OK);
    double worst = 0.0;
    for (int i = 0; i < ROWS * FEATURES; i++)
        worst = fmax(worst, fabs(data[i] - copy[i]) / fmax(1.0, fabs(copy[i])));
    CU_ASSERT(worst < 1e-14);
    /* Errors. */
    CU_ASSERT_EQUAL(sciml_normalizer_apply(ctx, norm, data, ROWS, 2), SCIML_ERR_SHAPE);
    data[5] = NAN;
    CU_ASSERT_EQUAL(sciml_normalizer_fit(ctx, norm, data, ROWS, FEATURES, 0.0),
                    SCIML_ERR_NONFINITE);
    sciml_normalizer_reset(streamed);
    CU_ASSERT_EQUAL(sciml_normalizer_finish(ctx, streamed, 0.0), SCIML_ERR_STATE);
    const double mean[3] = {1, 2, 3}, bad_std[3] = {1, 0, 1};
    CU_ASSERT_EQUAL(sciml_normalizer_set(ctx, streamed, mean, bad_std, 3), SCIML_ERR_RANGE);
    sciml_normalizer *empty = NULL;
    CU_ASSERT_EQUAL(sciml_normalizer_create(ctx, 0, &empty), SCIML_ERR_RANGE);
    CU_ASSERT_PTR_NULL(empty);
    sciml_normalizer_destroy(&norm);
    sciml_normalizer_destroy(&streamed);
    CU_ASSERT_PTR_NULL(norm);
    free(data);
    free(copy);
    sciml_ctx_destroy(&ctx);
}

static void test_parse_hidden(void) {
    sciml_ctx *ctx = make_ctx();
    int64_t sizes[4] = {-1, -1, -1, -1};
    int count = -1;
    CU_ASSERT_EQUAL(sciml_parse_hidden(ctx, "64,64,64", sizes, 4, &count), SCIML_OK);
    CU_ASSERT_EQUAL(count, 3);
    CU_ASSERT(sizes[0] == 64 && sizes[1] == 64 && sizes[2] == 64 && sizes[3] == -1);
    CU_ASSERT_EQUAL(sciml_parse_hidden(ctx, " 128 , 7", sizes, 4, &count), SCIML_OK);
    CU_ASSERT(count == 2 && sizes[0] == 128 && sizes[1] == 7);
    CU_ASSERT_EQUAL(sciml_parse_hidden(ctx, "5", sizes, 4, &count), SCIML_OK);
    CU_ASSERT(count == 1 && sizes[0] == 5);
    const struct {
        const char *text;
        sciml_status status;
        const char *message;
    } bad[] = {
        {"", SCIML_ERR_ARG, "empty list"},
        {"   ", SCIML_ERR_ARG, "empty list"},
        {"64,,64", SCIML_ERR_ARG, "item 2 is empty"},
        {"64,", SCIML_ERR_ARG, "item 2 is empty"},
        {",64", SCIML_ERR_ARG, "item 1 is empty"},
        {"abc", SCIML_ERR_ARG, "item 1 is not a number"},
        {"64,x", SCIML_ERR_ARG, "item 2 is not a number"},
        {"64,32x", SCIML_ERR_ARG, "item 2 is not a whole number"},
        {"1.5", SCIML_ERR_ARG, "not a whole number"},
        {"64 32", SCIML_ERR_ARG, "not a whole number"},
        {"0", SCIML_ERR_RANGE, "item 1 is 0"},
        {"64,-3", SCIML_ERR_RANGE, "item 2 is -3"},
        {"99999999999999999999999", SCIML_ERR_RANGE, "expected a width"},
        {"100000000", SCIML_ERR_RANGE, "expected a width"},
        {"1,2,3,4,5", SCIML_ERR_RANGE, "more than 4 layers"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sizes[0] = -7;
        count = -7;
        sciml_status status = sciml_parse_hidden(ctx, bad[i].text, sizes, 4, &count);
        CU_ASSERT_EQUAL(status, bad[i].status);
        CU_ASSERT(strstr(sciml_ctx_message(ctx), bad[i].message) != NULL);
        CU_ASSERT(strstr(sciml_ctx_message(ctx), bad[i].text) != NULL);
        CU_ASSERT(sizes[0] == -7 && count == -7); /* untouched */
        if (status != bad[i].status || !strstr(sciml_ctx_message(ctx), bad[i].message))
            fprintf(stderr, "'%s': %s\n", bad[i].text, sciml_ctx_message(ctx));
    }
    sciml_init init;
    CU_ASSERT_EQUAL(sciml_init_parse(ctx, "he_normal", &init), SCIML_OK);
    CU_ASSERT_EQUAL(init, SCIML_INIT_HE_NORMAL);
    CU_ASSERT_EQUAL(sciml_init_parse(ctx, "xavier", &init), SCIML_ERR_NOT_FOUND);
    sciml_ctx_destroy(&ctx);
}

int main(void) {
    static const sciml_test_case cases[] = {
        {"mlp shapes, names, parameter count", test_mlp_shapes},
        {"mlp forward against hand arithmetic", test_mlp_forward_values},
        {"initialisation statistics", test_init_statistics},
        {"gradient check through mlp and fourier features", test_gradient_check},
        {"fourier feature values", test_fourier_values},
        {"dense pair equals two dense layers; gradient check", test_dense_pair},
        {"training: 1-32-32-1 tanh fits sin(2 pi x)", test_training_sine},
        {"lbfgs on a graph objective", test_lbfgs_on_graph},
        {"normalizer statistics and round trip", test_normalizer},
        {"hidden-list parsing", test_parse_hidden},
        {NULL, NULL}};
    return sciml_test_main("learning_nn", cases);
}
