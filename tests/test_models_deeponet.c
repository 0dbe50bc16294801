/* DeepONet model: the aligned graph's gradients against finite differences (one and two
 * outputs), the split of the features between outputs against a direct evaluation, the
 * graph-free (folded) prediction against the graph, the antiderivative operator learned to a stated
 * test error, model files read back to the same predictions, single-precision predictions
 * within a stated bound of double ones (random and trained models), a checkpoint resumed bit for
 * bit, and the configuration checks. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/deeponet_model_internal.h"
#include "sciml/operator_data.h"
#include "testutil.h"

enum { SENSORS = 24, TRAIN = 100, TEST = 100 };

static double functions[(TRAIN + TEST) * SENSORS], values[(TRAIN + TEST) * SENSORS];
static double grid[SENSORS];

static void make_data(void) {
    static int made;
    if (made)
        return;
    sciml_ctx *ctx = NULL;
    sciml_ctx_create(&ctx);
    sciml_antiderivative *generator = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_antiderivative_create(ctx, SENSORS, 0.2, 1.0, &generator),
                          SCIML_OK);
    sciml_rng rng;
    sciml_rng_seed(&rng, 5);
    for (int n = 0; n < TRAIN + TEST; n++)
        sciml_antiderivative_sample(generator, &rng, functions + n * SENSORS, values + n * SENSORS);
    for (int i = 0; i < SENSORS; i++)
        grid[i] = (double)i / (SENSORS - 1);
    sciml_antiderivative_destroy(&generator);
    sciml_ctx_destroy(&ctx);
    made = 1;
}

static sciml_deeponet_config small_config(int64_t outputs, sciml_activation activation) {
    sciml_deeponet_config config;
    sciml_deeponet_config_default(&config);
    config.sensors = SENSORS;
    config.outputs = outputs;
    config.branch[0] = config.branch[1] = 16;
    config.trunk[0] = config.trunk[1] = 16;
    config.activation = activation;
    return config;
}

static sciml_deeponet_data data_set(int64_t first, int64_t count) {
    sciml_deeponet_data data = {functions + first * SENSORS, grid, values + first * SENSORS, count,
                                SENSORS};
    return data;
}

/* Finite differences on the training graph of a random model with K outputs at `points`
 * query points (K = 1: up to 1024 points the product runs on the thin-layer kernel, beyond on
 * OpenBLAS). */
static void check_gradient(int64_t outputs, int points) {
    sciml_ctx *ctx = NULL;
    sciml_ctx_create(&ctx);
    sciml_deeponet_config config = small_config(outputs, SCIML_ACT_TANH);
    config.coordinates = 2;
    sciml_deeponet_model *model = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_deeponet_model_create(ctx, &config, 7, &model), SCIML_OK);
    enum { BATCH = 3, MAX_POINTS = 1100 };
    const int POINTS = points;
    deeponet_graph dg;
    CU_ASSERT_EQUAL_FATAL(sciml_deeponet_build_graph(model, POINTS, BATCH, 1, &dg), SCIML_OK);
    sciml_rng rng;
    sciml_rng_seed(&rng, 11);
    static double v[BATCH * SENSORS], y[MAX_POINTS * 2], u[BATCH * MAX_POINTS * 4];
    for (int i = 0; i < BATCH * SENSORS; i++)
        v[i] = sciml_rng_normal(&rng);
    for (int i = 0; i < POINTS * 2; i++)
        y[i] = sciml_rng_normal(&rng);
    for (int i = 0; i < BATCH * POINTS * outputs; i++)
        u[i] = sciml_rng_normal(&rng);
    double *params = sciml_graph_params(dg.graph);
    for (int64_t i = 0; i < model->parameter_count; i++) /* biases and output bias non-zero */
        params[i] += 0.1 * sciml_rng_normal(&rng);
    CU_ASSERT_EQUAL(sciml_graph_set_batch(dg.graph, BATCH), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_graph_set_input(dg.graph, dg.functions, v, BATCH * SENSORS), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_graph_set_input(dg.graph, dg.points, y, POINTS * 2), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_graph_set_input(dg.graph, dg.target, u, BATCH * POINTS * outputs),
                    SCIML_OK);
    double error = 1.0;
    CU_ASSERT_EQUAL(sciml_graph_check_gradient(dg.graph, dg.loss, 1e-6, &error), SCIML_OK);
    if (error > 1e-6)
        fprintf(stderr, "K = %lld: gradient error %g\n", (long long)outputs, error);
    CU_ASSERT(error <= 1e-6);

    /* forward against a direct evaluation: sum over the output's group of b_i t_i plus c_k */
    CU_ASSERT_EQUAL(sciml_graph_forward(dg.graph, dg.output), SCIML_OK);
    static double out[BATCH * MAX_POINTS * 4];
    CU_ASSERT_EQUAL(sciml_graph_get_value(dg.graph, dg.output, out, BATCH * POINTS * outputs),
                    SCIML_OK);
    double worst = 0.0;
    const int64_t p = 16, group = p / outputs;
    /* recompute with plain loops from the parameters (layout: branch, trunk, bias) */
    const double *w = params;
    static double bfeat[BATCH][16], tfeat[MAX_POINTS][16];
    for (int f = 0; f < BATCH; f++) {
        double h[16], h2[16];
        const double *w0 = w, *b0 = w0 + SENSORS * 16, *w1 = b0 + 16, *b1 = w1 + 256;
        for (int j = 0; j < 16; j++) {
            double s = b0[j];
            for (int i = 0; i < SENSORS; i++)
                s += v[f * SENSORS + i] * w0[i * 16 + j];
            h[j] = tanh(s);
        }
        for (int j = 0; j < 16; j++) {
            double s = b1[j];
            for (int i = 0; i < 16; i++)
                s += h[i] * w1[i * 16 + j];
            h2[j] = s;
        }
        memcpy(bfeat[f], h2, sizeof(h2));
    }
    const double *t0 = w + SENSORS * 16 + 16 + 256 + 16, *tb0 = t0 + 2 * 16, *t1 = tb0 + 16,
                 *tb1 = t1 + 256, *bias = tb1 + 16;
    for (int q = 0; q < POINTS; q++) {
        double h[16];
        for (int j = 0; j < 16; j++)
            h[j] = tanh(tb0[j] + y[2 * q] * t0[j] + y[2 * q + 1] * t0[16 + j]);
        for (int j = 0; j < 16; j++) {
            double s = tb1[j];
            for (int i = 0; i < 16; i++)
                s += h[i] * t1[i * 16 + j];
            tfeat[q][j] = tanh(s);
        }
    }
    for (int f = 0; f < BATCH; f++)
        for (int q = 0; q < POINTS; q++)
            for (int64_t k = 0; k < outputs; k++) {
                double s = bias[k];
                for (int64_t i = k * group; i < (k + 1) * group; i++)
                    s += bfeat[f][i] * tfeat[q][i];
                worst = fmax(worst, fabs(s - out[(f * POINTS + q) * outputs + k]));
            }
    CU_ASSERT(worst < 1e-12);
    CU_ASSERT_EQUAL(model->parameter_count,
                    (SENSORS * 16 + 16 + 256 + 16) * 2 - (SENSORS - 2) * 16 + outputs);
    sciml_deeponet_graph_free(&dg);
    sciml_deeponet_model_destroy(&model);
    sciml_ctx_destroy(&ctx);
}

static void test_gradient_one_output(void) {
    check_gradient(1, 5);
    check_gradient(1, 1100); /* the OpenBLAS product */
}
static void test_gradient_two_outputs(void) {
    check_gradient(2, 5);
}

/* Single-precision predictions agree with double ones to this fraction of the largest |u|. */
#define SINGLE_BOUND 1e-6

static double max_difference(const double *a, const double *b, int64_t count) {
    double worst = 0.0;
    for (int64_t i = 0; i < count; i++)
        worst = fmax(worst, fabs(a[i] - b[i]));
    return worst;
}

/* The graph-free prediction (folded readout, standardisation folded into the first layer)
 * against the training graph's forward pass scaled to data units, for a model with K outputs,
 * two coordinates and `branch_count` branch layers; a second grid and a parameter change must
 * refold (round 1 is a different grid, round 2 new parameters). */
static void check_folded_prediction(int64_t outputs, int branch_count,
                                    sciml_activation activation) {
    sciml_ctx *ctx = NULL;
    sciml_ctx_create(&ctx);
    sciml_deeponet_config config = small_config(outputs, activation);
    config.coordinates = 2;
    config.branch_count = branch_count;
    for (int l = 0; l < branch_count; l++)
        config.branch[l] = l == branch_count - 1 ? 16 : 12 + 2 * l;
    sciml_deeponet_model *model = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_deeponet_model_create(ctx, &config, 9, &model), SCIML_OK);
    sciml_rng rng;
    sciml_rng_seed(&rng, 13);
    for (int64_t i = 0; i < model->parameter_count; i++)
        model->params[i] += 0.1 * sciml_rng_normal(&rng);
    model->normalized = 1;
    model->sensor_mean = 0.3;
    model->sensor_std = 1.7;
    for (int k = 0; k < 2; k++) {
        model->coordinate_mean[k] = 0.1 * (k + 1);
        model->coordinate_std[k] = 0.5 + k;
    }
    for (int64_t k = 0; k < outputs; k++) {
        model->output_mean[k] = -0.2 + 0.4 * (double)k;
        model->output_std[k] = 2.0 + (double)k;
    }
    enum { BATCH = 5, POINTS = 7 };
    double v[BATCH * SENSORS], y[2][POINTS * 2];
    for (int i = 0; i < BATCH * SENSORS; i++)
        v[i] = sciml_rng_normal(&rng);
    for (int i = 0; i < POINTS * 2; i++) {
        y[0][i] = sciml_rng_uniform(&rng);
        y[1][i] = sciml_rng_uniform(&rng);
    }
    for (int round = 0; round < 3; round++) {
        if (round == 2) { /* new parameters, the cache freed as training does: refolds */
            for (int64_t i = 0; i < model->parameter_count; i++)
                model->params[i] *= 0.9;
            sciml_deeponet_inference_free(&model->inference);
        }
        const double *points = y[round % 2];
        double folded[BATCH * POINTS * 4], graph[BATCH * POINTS * 4];
        CU_ASSERT_EQUAL_FATAL(
            sciml_deeponet_model_predict(model, v, BATCH, points, POINTS, 2, folded), SCIML_OK);
        deeponet_graph dg;
        CU_ASSERT_EQUAL_FATAL(sciml_deeponet_build_graph(model, POINTS, BATCH, 0, &dg), SCIML_OK);
        double sv[BATCH * SENSORS], sy[POINTS * 2];
        for (int i = 0; i < BATCH * SENSORS; i++)
            sv[i] = (v[i] - model->sensor_mean) / model->sensor_std;
        for (int i = 0; i < POINTS * 2; i++)
            sy[i] = (points[i] - model->coordinate_mean[i % 2]) / model->coordinate_std[i % 2];
        CU_ASSERT_EQUAL(sciml_graph_set_batch(dg.graph, BATCH), SCIML_OK);
        CU_ASSERT_EQUAL(sciml_graph_set_input(dg.graph, dg.functions, sv, BATCH * SENSORS),
                        SCIML_OK);
        CU_ASSERT_EQUAL(sciml_graph_set_input(dg.graph, dg.points, sy, POINTS * 2), SCIML_OK);
        CU_ASSERT_EQUAL(sciml_graph_forward(dg.graph, dg.output), SCIML_OK);
        CU_ASSERT_EQUAL(sciml_graph_get_value(dg.graph, dg.output, graph, BATCH * POINTS * outputs),
                        SCIML_OK);
        double worst = 0.0, largest = 0.0;
        for (int64_t i = 0; i < BATCH * POINTS * outputs; i++) {
            const int64_t k = i % outputs;
            const double expected = graph[i] * model->output_std[k] + model->output_mean[k];
            worst = fmax(worst, fabs(folded[i] - expected));
            largest = fmax(largest, fabs(expected));
        }
        if (worst > 1e-12 * (1.0 + largest))
            fprintf(stderr, "K = %lld, %d branch layers, round %d: folded differs by %g\n",
                    (long long)outputs, branch_count, round, worst);
        CU_ASSERT(worst <= 1e-12 * (1.0 + largest));
        CU_ASSERT(largest > 0.1);
        /* single precision: the same fold rounded to float32 (every activation, K, depth) */
        double single[BATCH * POINTS * 4];
        CU_ASSERT_EQUAL(sciml_deeponet_model_set_precision(model, SCIML_DEEPONET_SINGLE), SCIML_OK);
        CU_ASSERT_EQUAL_FATAL(
            sciml_deeponet_model_predict(model, v, BATCH, points, POINTS, 2, single), SCIML_OK);
        CU_ASSERT_EQUAL(sciml_deeponet_model_set_precision(model, SCIML_DEEPONET_DOUBLE), SCIML_OK);
        const double difference = max_difference(single, folded, BATCH * POINTS * outputs);
        if (difference > SINGLE_BOUND * largest)
            fprintf(stderr, "K = %lld, %d branch layers, round %d: single differs by %g of %g\n",
                    (long long)outputs, branch_count, round, difference, largest);
        CU_ASSERT(difference <= SINGLE_BOUND * largest);
        /* the unaligned path (graph-free, the branch once per distinct function) on the same
         * pairs in a scrambled order: pair q = 11 i mod (BATCH POINTS) */
        double pair_v[BATCH * POINTS * SENSORS], pair_y[BATCH * POINTS * 2],
            pair_u[BATCH * POINTS * 4];
        for (int i = 0; i < BATCH * POINTS; i++) {
            const int q = (11 * i) % (BATCH * POINTS), f = q / POINTS, j = q % POINTS;
            memcpy(pair_v + i * SENSORS, v + f * SENSORS, sizeof(double) * SENSORS);
            memcpy(pair_y + i * 2, points + j * 2, sizeof(double) * 2);
        }
        CU_ASSERT_EQUAL_FATAL(
            sciml_deeponet_model_predict_unaligned(model, pair_v, pair_y, BATCH * POINTS, pair_u),
            SCIML_OK);
        double unaligned_worst = 0.0;
        for (int i = 0; i < BATCH * POINTS; i++) {
            const int q = (11 * i) % (BATCH * POINTS);
            for (int64_t k = 0; k < outputs; k++) {
                const double expected =
                    graph[q * outputs + k] * model->output_std[k] + model->output_mean[k];
                unaligned_worst = fmax(unaligned_worst, fabs(pair_u[i * outputs + k] - expected));
            }
        }
        if (unaligned_worst > 1e-12 * (1.0 + largest))
            fprintf(stderr, "K = %lld, %d branch layers, round %d: unaligned differs by %g\n",
                    (long long)outputs, branch_count, round, unaligned_worst);
        CU_ASSERT(unaligned_worst <= 1e-12 * (1.0 + largest));
        sciml_deeponet_graph_free(&dg);
    }
    sciml_deeponet_model_destroy(&model);
    sciml_ctx_destroy(&ctx);
}

static void test_folded_prediction(void) {
    check_folded_prediction(1, 2, SCIML_ACT_RELU);
    check_folded_prediction(2, 3, SCIML_ACT_TANH);
    check_folded_prediction(4, 1, SCIML_ACT_GELU);
    check_folded_prediction(1, 4, SCIML_ACT_SIN);
    check_folded_prediction(2, 4, SCIML_ACT_RELU); /* float32: sparse hidden layers */
}

static void full_batch_options(sciml_train_options *options, int64_t iterations) {
    sciml_train_options_default(options);
    options->epochs = iterations;
    options->batch = TRAIN;
    options->seed = 3;
}

static void test_learns_antiderivative(void) {
    make_data();
    sciml_ctx *ctx = NULL;
    sciml_ctx_create(&ctx);
    sciml_deeponet_config config = small_config(1, SCIML_ACT_RELU);
    sciml_deeponet_model *model = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_deeponet_model_create(ctx, &config, 1, &model), SCIML_OK);
    sciml_deeponet_data train = data_set(0, TRAIN), test = data_set(TRAIN, TEST);
    sciml_train_options options;
    full_batch_options(&options, 1);
    CU_ASSERT_EQUAL_FATAL(sciml_deeponet_model_train(model, &train, &test, &options), SCIML_OK);
    double start_mse, start_error, mse, error;
    CU_ASSERT_EQUAL(sciml_deeponet_model_evaluate(model, &test, &start_mse, &start_error),
                    SCIML_OK);
    full_batch_options(&options, 5000);
    options.schedule.base_lr = 2e-3;
    CU_ASSERT_EQUAL_FATAL(sciml_deeponet_model_train(model, &train, &test, &options), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_deeponet_model_epochs_done(model), 5000);
    CU_ASSERT_EQUAL(sciml_deeponet_model_evaluate(model, &test, &mse, &error), SCIML_OK);
    fprintf(stderr, "antiderivative test MSE %.3e -> %.3e, relative L2 %.3e\n", start_mse, mse,
            error);
    CU_ASSERT(mse < 1e-4);
    CU_ASSERT(error < 0.03);
    CU_ASSERT(mse < start_mse / 100.0);
    CU_ASSERT_EQUAL(sciml_deeponet_model_domain_min(model)[0], 0.0);
    CU_ASSERT_EQUAL(sciml_deeponet_model_domain_max(model)[0], 1.0);

    /* model file round trip: the same predictions, at the training points and elsewhere */
    char path[1024];
    snprintf(path, sizeof(path), "%s/deeponet.nc", sciml_test_tmpdir());
    CU_ASSERT_EQUAL(sciml_deeponet_model_set_coordinate_names(model, "x"), SCIML_OK);
    sciml_model_provenance provenance = {"v", "u", "test", NULL, 1};
    CU_ASSERT_EQUAL_FATAL(sciml_deeponet_model_write(model, path, &provenance, 0), SCIML_OK);
    sciml_deeponet_model *copy = NULL;
    char *input = NULL, *output = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_deeponet_model_read(ctx, path, &copy, &input, &output), SCIML_OK);
    CU_ASSERT_STRING_EQUAL(input, "v");
    CU_ASSERT_STRING_EQUAL(output, "u");
    CU_ASSERT_STRING_EQUAL(sciml_deeponet_model_coordinate_names(copy), "x");
    double points[7] = {0.0, 0.05, 0.3, 0.5, 0.77, 0.9, 1.0};
    double a[5 * 7], b[5 * 7];
    CU_ASSERT_EQUAL(sciml_deeponet_model_predict(model, functions, 5, points, 7, 2, a), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_deeponet_model_predict(copy, functions, 5, points, 7, 64, b), SCIML_OK);
    CU_ASSERT(memcmp(a, b, sizeof(a)) == 0);

    /* single precision on the trained model: every function at the training grid and at the
     * points above, within SINGLE_BOUND of double; the float32 entry point on the same values
     * rounded to float32 gives the same floats */
    enum { ALL = TRAIN + TEST };
    static double both[2][ALL * SENSORS];
    static float functions_f32[ALL * SENSORS], values_f32[ALL * SENSORS];
    const double *where[2] = {grid, points};
    const int64_t counts[2] = {SENSORS, 7};
    for (int round = 0; round < 2; round++) {
        const int64_t n = ALL * counts[round];
        for (int precision = 0; precision < 2; precision++) {
            CU_ASSERT_EQUAL(sciml_deeponet_model_set_precision(
                                copy, precision ? SCIML_DEEPONET_SINGLE : SCIML_DEEPONET_DOUBLE),
                            SCIML_OK);
            CU_ASSERT_EQUAL(sciml_deeponet_model_get_precision(copy),
                            precision ? SCIML_DEEPONET_SINGLE : SCIML_DEEPONET_DOUBLE);
            CU_ASSERT_EQUAL_FATAL(sciml_deeponet_model_predict(copy, functions, ALL, where[round],
                                                               counts[round], 64, both[precision]),
                                  SCIML_OK);
        }
        double largest = 0.0, mean_difference = 0.0;
        for (int64_t i = 0; i < n; i++) {
            largest = fmax(largest, fabs(both[0][i]));
            mean_difference += fabs(both[1][i] - both[0][i]) / (double)n;
        }
        const double difference = max_difference(both[1], both[0], n);
        fprintf(stderr,
                "single vs double at %lld points: max |difference| %.3g, mean %.3g, "
                "max |u| %.3g\n",
                (long long)counts[round], difference, mean_difference, largest);
        CU_ASSERT(difference <= SINGLE_BOUND * largest);
        CU_ASSERT(difference > 0.0); /* it did run in float32 */
        for (int64_t i = 0; i < ALL * SENSORS; i++)
            functions_f32[i] = (float)functions[i];
        CU_ASSERT_EQUAL_FATAL(sciml_deeponet_model_predict_f32(copy, functions_f32, ALL,
                                                               where[round], counts[round], 50,
                                                               values_f32),
                              SCIML_OK);
        int same = 1;
        for (int64_t i = 0; i < n; i++)
            same &= (double)values_f32[i] == both[1][i];
        CU_ASSERT(same);
    }
    CU_ASSERT_EQUAL(sciml_deeponet_model_set_precision(copy, (sciml_deeponet_precision)7),
                    SCIML_ERR_ARG);
    CU_ASSERT_EQUAL(sciml_deeponet_model_get_precision(copy), SCIML_DEEPONET_SINGLE);
    free(input);
    free(output);
    sciml_deeponet_model_destroy(&copy);
    sciml_deeponet_model_destroy(&model);
    sciml_ctx_destroy(&ctx);
}

/* Unaligned layout: the gradient of the triplet graph against finite differences, then the
 * antiderivative learned from triplets (each training function at 8 random sensor points,
 * repeated per triplet), checked on the aligned test set, and the unaligned prediction against
 * the aligned one at the same points. */
static void test_unaligned(void) {
    make_data();
    sciml_ctx *ctx = NULL;
    sciml_ctx_create(&ctx);
    for (int64_t outputs = 1; outputs <= 2; outputs++) {
        sciml_deeponet_config config = small_config(outputs, SCIML_ACT_TANH);
        config.coordinates = 2;
        sciml_deeponet_model *model = NULL;
        CU_ASSERT_EQUAL_FATAL(sciml_deeponet_model_create(ctx, &config, 3, &model), SCIML_OK);
        enum { BATCH = 4 };
        deeponet_graph dg;
        CU_ASSERT_EQUAL_FATAL(sciml_deeponet_build_graph(model, 0, BATCH, 1, &dg), SCIML_OK);
        sciml_rng rng;
        sciml_rng_seed(&rng, 17);
        double v[BATCH * SENSORS], y[BATCH * 2], u[BATCH * 2];
        for (int i = 0; i < BATCH * SENSORS; i++)
            v[i] = sciml_rng_normal(&rng);
        for (int i = 0; i < BATCH * 2; i++)
            y[i] = sciml_rng_normal(&rng), u[i] = sciml_rng_normal(&rng);
        double *params = sciml_graph_params(dg.graph);
        for (int64_t i = 0; i < model->parameter_count; i++)
            params[i] += 0.1 * sciml_rng_normal(&rng);
        CU_ASSERT_EQUAL(sciml_graph_set_batch(dg.graph, BATCH), SCIML_OK);
        CU_ASSERT_EQUAL(sciml_graph_set_input(dg.graph, dg.functions, v, BATCH * SENSORS),
                        SCIML_OK);
        CU_ASSERT_EQUAL(sciml_graph_set_input(dg.graph, dg.points, y, BATCH * 2), SCIML_OK);
        CU_ASSERT_EQUAL(sciml_graph_set_input(dg.graph, dg.target, u, BATCH * outputs), SCIML_OK);
        double error = 1.0;
        CU_ASSERT_EQUAL(sciml_graph_check_gradient(dg.graph, dg.loss, 1e-6, &error), SCIML_OK);
        if (error > 1e-6)
            fprintf(stderr, "unaligned K = %lld: gradient error %g\n", (long long)outputs, error);
        CU_ASSERT(error <= 1e-6);

        /* the triplets grouped by function (Q = 2 per function, the branch once each): the
         * same loss and gradient as the per-triplet graph on v repeated per triplet, and
         * finite differences */
        enum { FUNCTIONS = BATCH / 2, Q = 2 };
        deeponet_graph grouped;
        CU_ASSERT_EQUAL_FATAL(
            sciml_deeponet_build_unaligned_graph(model, Q, FUNCTIONS, 1, &grouped), SCIML_OK);
        double repeated[BATCH * SENSORS];
        for (int i = 0; i < BATCH; i++)
            memcpy(repeated + i * SENSORS, v + (i / Q) * SENSORS, sizeof(double) * SENSORS);
        double grouped_v[FUNCTIONS * SENSORS];
        memcpy(grouped_v, v, sizeof(grouped_v));
        CU_ASSERT_EQUAL(sciml_graph_set_input(dg.graph, dg.functions, repeated, BATCH * SENSORS),
                        SCIML_OK);
        memcpy(sciml_graph_params(grouped.graph), params,
               (size_t)model->parameter_count * sizeof(double));
        CU_ASSERT_EQUAL(sciml_graph_set_batch(grouped.graph, FUNCTIONS), SCIML_OK);
        CU_ASSERT_EQUAL(
            sciml_graph_set_input(grouped.graph, grouped.functions, grouped_v, FUNCTIONS * SENSORS),
            SCIML_OK);
        CU_ASSERT_EQUAL(sciml_graph_set_input(grouped.graph, grouped.points, y, BATCH * 2),
                        SCIML_OK);
        CU_ASSERT_EQUAL(sciml_graph_set_input(grouped.graph, grouped.target, u, BATCH * outputs),
                        SCIML_OK);
        CU_ASSERT_EQUAL(sciml_graph_forward(dg.graph, dg.loss), SCIML_OK);
        CU_ASSERT_EQUAL(sciml_graph_backward(dg.graph, dg.loss), SCIML_OK);
        CU_ASSERT_EQUAL(sciml_graph_forward(grouped.graph, grouped.loss), SCIML_OK);
        CU_ASSERT_EQUAL(sciml_graph_backward(grouped.graph, grouped.loss), SCIML_OK);
        const double loss = sciml_graph_scalar(dg.graph, dg.loss);
        CU_ASSERT(fabs(sciml_graph_scalar(grouped.graph, grouped.loss) - loss) <= 1e-14 * loss);
        const double *g1 = sciml_graph_grads(dg.graph), *g2 = sciml_graph_grads(grouped.graph);
        double worst = 0.0, scale = 0.0;
        for (int64_t i = 0; i < model->parameter_count; i++) {
            worst = fmax(worst, fabs(g1[i] - g2[i]));
            scale = fmax(scale, fabs(g1[i]));
        }
        if (worst > 1e-13 * scale)
            fprintf(stderr, "grouped K = %lld: gradient differs by %g (largest %g)\n",
                    (long long)outputs, worst, scale);
        CU_ASSERT(scale > 0 && worst <= 1e-13 * scale);
        CU_ASSERT_EQUAL(sciml_graph_check_gradient(grouped.graph, grouped.loss, 1e-6, &error),
                        SCIML_OK);
        CU_ASSERT(error <= 1e-6);
        sciml_deeponet_graph_free(&grouped);
        sciml_deeponet_graph_free(&dg);
        sciml_deeponet_model_destroy(&model);
    }

    enum { PER_FUNCTION = 8, TRIPLETS = TRAIN * PER_FUNCTION };
    static double tv[TRIPLETS * SENSORS], ty[TRIPLETS], tu[TRIPLETS];
    sciml_rng rng;
    sciml_rng_seed(&rng, 23);
    for (int f = 0; f < TRAIN; f++)
        for (int q = 0; q < PER_FUNCTION; q++) {
            const int i = f * PER_FUNCTION + q, j = (int)sciml_rng_below(&rng, SENSORS);
            memcpy(tv + i * SENSORS, functions + f * SENSORS, sizeof(double) * SENSORS);
            ty[i] = grid[j];
            tu[i] = values[f * SENSORS + j];
        }
    sciml_deeponet_config config = small_config(1, SCIML_ACT_RELU);
    sciml_deeponet_model *model = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_deeponet_model_create(ctx, &config, 1, &model), SCIML_OK);
    sciml_deeponet_triplets train = {tv, ty, tu, TRIPLETS};
    sciml_train_options options;
    sciml_train_options_default(&options);
    options.epochs = 1500;
    options.batch = TRIPLETS;
    options.seed = 3;
    options.schedule.base_lr = 2e-3;
    CU_ASSERT_EQUAL_FATAL(sciml_deeponet_model_train_unaligned(model, &train, NULL, &options),
                          SCIML_OK);
    double mse, error;
    CU_ASSERT_EQUAL(sciml_deeponet_model_evaluate_unaligned(model, &train, &mse, &error), SCIML_OK);
    sciml_deeponet_data test = data_set(TRAIN, TEST);
    double test_mse, test_error;
    CU_ASSERT_EQUAL(sciml_deeponet_model_evaluate(model, &test, &test_mse, &test_error), SCIML_OK);
    fprintf(stderr, "unaligned antiderivative: training relative L2 %.3e, aligned test %.3e\n",
            error, test_error);
    CU_ASSERT(error < 0.05);
    CU_ASSERT(test_error < 0.08);
    /* the two prediction paths agree at the same points */
    double aligned[3 * SENSORS], single[3 * SENSORS], repeated_v[3 * SENSORS * SENSORS],
        repeated_y[3 * SENSORS];
    CU_ASSERT_EQUAL(sciml_deeponet_model_predict(model, functions, 3, grid, SENSORS, 3, aligned),
                    SCIML_OK);
    for (int f = 0; f < 3; f++)
        for (int j = 0; j < SENSORS; j++) {
            memcpy(repeated_v + (f * SENSORS + j) * SENSORS, functions + f * SENSORS,
                   sizeof(double) * SENSORS);
            repeated_y[f * SENSORS + j] = grid[j];
        }
    CU_ASSERT_EQUAL(
        sciml_deeponet_model_predict_unaligned(model, repeated_v, repeated_y, 3 * SENSORS, single),
        SCIML_OK);
    double worst = 0.0;
    for (int i = 0; i < 3 * SENSORS; i++)
        worst = fmax(worst, fabs(aligned[i] - single[i]));
    CU_ASSERT(worst < 1e-12);
    /* more triplets than a chunk of the grouping (1024), functions repeated unequally and out
     * of order (function (7 i^2 + 3) mod 60 at point 5 i mod 24), against the aligned path */
    enum { MANY = 1500, FUNCTIONS = 60 };
    static double many_v[MANY * SENSORS], many_y[MANY], many_u[MANY],
        reference[FUNCTIONS * SENSORS];
    CU_ASSERT_EQUAL(
        sciml_deeponet_model_predict(model, functions, FUNCTIONS, grid, SENSORS, 16, reference),
        SCIML_OK);
    for (int i = 0; i < MANY; i++) {
        const int f = (7 * i * i + 3) % FUNCTIONS;
        memcpy(many_v + i * SENSORS, functions + f * SENSORS, sizeof(double) * SENSORS);
        many_y[i] = grid[(5 * i) % SENSORS];
    }
    CU_ASSERT_EQUAL(sciml_deeponet_model_predict_unaligned(model, many_v, many_y, MANY, many_u),
                    SCIML_OK);
    worst = 0.0;
    for (int i = 0; i < MANY; i++) {
        const int f = (7 * i * i + 3) % FUNCTIONS;
        worst = fmax(worst, fabs(many_u[i] - reference[f * SENSORS + (5 * i) % SENSORS]));
    }
    CU_ASSERT(worst < 1e-12);
    train.count = 0;
    CU_ASSERT_EQUAL(sciml_deeponet_model_train_unaligned(model, &train, NULL, &options),
                    SCIML_ERR_ARG);
    sciml_deeponet_model_destroy(&model);
    sciml_ctx_destroy(&ctx);
}

/* POD-DeepONet: the trunk from the SVD of the training outputs learns the antiderivative to a
 * stated error, predicts only at its training points, is reproduced by its model file, and
 * asks for no more modes than the data have. */
static void test_pod(void) {
    make_data();
    sciml_ctx *ctx = NULL;
    sciml_ctx_create(&ctx);
    sciml_deeponet_config config = small_config(1, SCIML_ACT_RELU);
    config.pod = 1;
    config.trunk_count = 1;
    config.trunk[0] = 16;
    sciml_deeponet_model *model = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_deeponet_model_create(ctx, &config, 1, &model), SCIML_OK);
    CU_ASSERT_EQUAL(model->parameter_count, SENSORS * 16 + 16 + 16 * 16 + 16 + 1);
    sciml_deeponet_data train = data_set(0, TRAIN), test = data_set(TRAIN, TEST);
    sciml_train_options options;
    full_batch_options(&options, 3000);
    options.schedule.base_lr = 2e-3;
    CU_ASSERT_EQUAL_FATAL(sciml_deeponet_model_train(model, &train, &test, &options), SCIML_OK);
    double mse, error;
    CU_ASSERT_EQUAL(sciml_deeponet_model_evaluate(model, &test, &mse, &error), SCIML_OK);
    fprintf(stderr, "POD antiderivative: test MSE %.3e, relative L2 %.3e\n", mse, error);
    CU_ASSERT(error < 0.03);
    /* the leading mode carries the most energy: its column norm is the largest */
    double norms[16] = {0};
    for (int64_t j = 0; j < model->pod_point_count; j++)
        for (int i = 0; i < 16; i++)
            norms[i] += model->pod_modes[j * 16 + i] * model->pod_modes[j * 16 + i];
    for (int i = 1; i < 16; i++)
        CU_ASSERT(norms[i] <= norms[i - 1] * (1.0 + 1e-12));
    double other[3] = {0.1, 0.2, 0.3}, out[3 * 5];
    CU_ASSERT_EQUAL(sciml_deeponet_model_predict(model, functions, 5, other, 3, 5, out),
                    SCIML_ERR_ARG);
    CU_ASSERT_PTR_NOT_NULL(strstr(sciml_ctx_message(ctx), "POD"));
    sciml_deeponet_triplets triplets = {functions, grid, values, 3};
    CU_ASSERT_EQUAL(sciml_deeponet_model_train_unaligned(model, &triplets, NULL, &options),
                    SCIML_ERR_UNSUPPORTED);

    char path[1024];
    snprintf(path, sizeof(path), "%s/deeponet_pod.nc", sciml_test_tmpdir());
    CU_ASSERT_EQUAL_FATAL(sciml_deeponet_model_write(model, path, NULL, 0), SCIML_OK);
    sciml_deeponet_model *copy = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_deeponet_model_read(ctx, path, &copy, NULL, NULL), SCIML_OK);
    CU_ASSERT(sciml_deeponet_model_get_config(copy)->pod);
    double a[5 * SENSORS], b[5 * SENSORS];
    CU_ASSERT_EQUAL(sciml_deeponet_model_predict(model, functions, 5, grid, SENSORS, 5, a),
                    SCIML_OK);
    CU_ASSERT_EQUAL(sciml_deeponet_model_predict(copy, functions, 5, grid, SENSORS, 2, b),
                    SCIML_OK);
    CU_ASSERT(memcmp(a, b, sizeof(a)) == 0);
    sciml_deeponet_model_destroy(&copy);
    sciml_deeponet_model_destroy(&model);

    config.branch[1] = config.trunk[0] = 32; /* 32 modes from 24 points */
    CU_ASSERT_EQUAL_FATAL(sciml_deeponet_model_create(ctx, &config, 1, &model), SCIML_OK);
    full_batch_options(&options, 1);
    CU_ASSERT_EQUAL(sciml_deeponet_model_train(model, &train, NULL, &options), SCIML_ERR_ARG);
    CU_ASSERT_PTR_NOT_NULL(strstr(sciml_ctx_message(ctx), "POD modes"));
    sciml_deeponet_model_destroy(&model);
    sciml_ctx_destroy(&ctx);
}

static void test_checkpoint_resumes(void) {
    make_data();
    sciml_ctx *ctx = NULL;
    sciml_ctx_create(&ctx);
    sciml_deeponet_config config = small_config(1, SCIML_ACT_RELU);
    sciml_deeponet_data train = data_set(0, TRAIN);
    sciml_train_options options;
    full_batch_options(&options, 12);
    options.batch = 32; /* mini-batches: the shuffle position matters too */
    sciml_deeponet_model *straight = NULL, *first = NULL, *resumed = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_deeponet_model_create(ctx, &config, 4, &straight), SCIML_OK);
    CU_ASSERT_EQUAL_FATAL(sciml_deeponet_model_train(straight, &train, NULL, &options), SCIML_OK);
    CU_ASSERT_EQUAL_FATAL(sciml_deeponet_model_create(ctx, &config, 4, &first), SCIML_OK);
    options.epochs = 5;
    CU_ASSERT_EQUAL_FATAL(sciml_deeponet_model_train(first, &train, NULL, &options), SCIML_OK);
    char path[1024];
    snprintf(path, sizeof(path), "%s/deeponet.ckpt", sciml_test_tmpdir());
    CU_ASSERT_EQUAL_FATAL(sciml_deeponet_model_write(first, path, NULL, 1), SCIML_OK);
    CU_ASSERT_EQUAL_FATAL(sciml_deeponet_model_read(ctx, path, &resumed, NULL, NULL), SCIML_OK);
    CU_ASSERT(sciml_deeponet_model_is_checkpoint(resumed));
    options.epochs = 12;
    CU_ASSERT_EQUAL_FATAL(sciml_deeponet_model_train(resumed, &train, NULL, &options), SCIML_OK);
    CU_ASSERT(memcmp(straight->params, resumed->params,
                     (size_t)straight->parameter_count * sizeof(double)) == 0);
    sciml_deeponet_model_destroy(&straight);
    sciml_deeponet_model_destroy(&first);
    sciml_deeponet_model_destroy(&resumed);
    sciml_ctx_destroy(&ctx);
}

static void test_config_checks(void) {
    sciml_ctx *ctx = NULL;
    sciml_ctx_create(&ctx);
    sciml_deeponet_model *model = NULL;
    sciml_deeponet_config config = small_config(1, SCIML_ACT_RELU);
    config.trunk[1] = 20; /* p differs */
    CU_ASSERT_EQUAL(sciml_deeponet_model_create(ctx, &config, 0, &model), SCIML_ERR_ARG);
    CU_ASSERT_PTR_NOT_NULL(strstr(sciml_ctx_message(ctx), "same p"));
    config = small_config(3, SCIML_ACT_RELU); /* 16 features do not split into 3 */
    CU_ASSERT_EQUAL(sciml_deeponet_model_create(ctx, &config, 0, &model), SCIML_ERR_ARG);
    config = small_config(1, SCIML_ACT_RELU);
    config.coordinates = 9;
    CU_ASSERT_EQUAL(sciml_deeponet_model_create(ctx, &config, 0, &model), SCIML_ERR_ARG);
    CU_ASSERT_PTR_NULL(model);
    config = small_config(1, SCIML_ACT_RELU);
    CU_ASSERT_EQUAL_FATAL(sciml_deeponet_model_create(ctx, &config, 0, &model), SCIML_OK);
    double v[SENSORS] = {0}, y = 0.5, u;
    CU_ASSERT_EQUAL(sciml_deeponet_model_predict(model, v, 1, &y, 1, 1, &u), SCIML_ERR_STATE);
    float vf[SENSORS] = {0}, uf = 0.0f;
    CU_ASSERT_EQUAL(sciml_deeponet_model_predict_f32(model, vf, 1, &y, 1, 1, &uf), SCIML_ERR_STATE);
    char path[1024];
    snprintf(path, sizeof(path), "%s/untrained.nc", sciml_test_tmpdir());
    CU_ASSERT_EQUAL(sciml_deeponet_model_write(model, path, NULL, 0), SCIML_ERR_STATE);
    sciml_deeponet_model_destroy(&model);
    sciml_ctx_destroy(&ctx);
}

int main(void) {
    static const sciml_test_case cases[] = {
        {"gradient, one output", test_gradient_one_output},
        {"gradient and feature split, two outputs", test_gradient_two_outputs},
        {"folded prediction matches the graph", test_folded_prediction},
        {"learns the antiderivative", test_learns_antiderivative},
        {"unaligned layout: gradient, training, prediction", test_unaligned},
        {"POD trunk", test_pod},
        {"checkpoint resumes bit for bit", test_checkpoint_resumes},
        {"configuration checks", test_config_checks},
        {NULL, NULL},
    };
    return sciml_test_main("models_deeponet", cases);
}
