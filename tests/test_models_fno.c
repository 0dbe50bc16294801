/* Fourier neural operator model: learns the heat semigroup u = exp(t Laplacian) a on the
 * periodic interval (a linear operator defined independently of the grid) to a stated error,
 * keeps that error when applied at twice the training resolution, writes and reads model
 * files, resumes from a checkpoint bit for bit, trains in 2D, and rejects resolutions too
 * coarse for its modes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sciml/fno_model.h"
#include "sciml/gen.h"
#include "testutil.h"

enum { TRAIN = 160, TEST = 40, FINE = 128 };
static const double heat_time = 0.002;

/* u = exp(t d^2/dx^2) a for a periodic sample of n points, by a direct DFT. */
static void heat(const double *a, int64_t n, double *u) {
    for (int64_t j = 0; j < n; j++)
        u[j] = 0.0;
    for (int64_t k = 0; k <= n / 2; k++) {
        double re = 0.0, im = 0.0;
        for (int64_t j = 0; j < n; j++) {
            double angle = 2.0 * SCIML_PI * (double)(k * j) / (double)n;
            re += a[j] * cos(angle);
            im -= a[j] * sin(angle);
        }
        double damp = exp(-4.0 * SCIML_PI * SCIML_PI * (double)(k * k) * heat_time);
        double weight = (k == 0 || 2 * k == n) ? 1.0 : 2.0;
        for (int64_t j = 0; j < n; j++) {
            double angle = 2.0 * SCIML_PI * (double)(k * j) / (double)n;
            u[j] += weight * damp * (re * cos(angle) - im * sin(angle)) / (double)n;
        }
    }
}

/* Samples at FINE points and the same samples at every second point. */
static double fine_a[(TRAIN + TEST) * FINE], fine_u[(TRAIN + TEST) * FINE];
static double coarse_a[(TRAIN + TEST) * FINE / 2], coarse_u[(TRAIN + TEST) * FINE / 2];

static void make_data(void) {
    static int made;
    if (made)
        return;
    sciml_ctx *ctx = NULL;
    sciml_ctx_create(&ctx);
    sciml_grf *grf = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_grf_create(ctx, 1, FINE, 2.5, 7.0, 49.0, &grf), SCIML_OK);
    sciml_rng rng;
    sciml_rng_seed(&rng, 3);
    for (int n = 0; n < TRAIN + TEST; n++) {
        sciml_grf_sample(grf, &rng, fine_a + n * FINE);
        heat(fine_a + n * FINE, FINE, fine_u + n * FINE);
        for (int j = 0; j < FINE / 2; j++) {
            coarse_a[n * FINE / 2 + j] = fine_a[n * FINE + 2 * j];
            coarse_u[n * FINE / 2 + j] = fine_u[n * FINE + 2 * j];
        }
    }
    sciml_grf_destroy(&grf);
    sciml_ctx_destroy(&ctx);
    made = 1;
}

static sciml_field_set fields(const double *values, int64_t first, int64_t count, int64_t s) {
    sciml_field_set set = {values + first * s, count, {s, 1}, 1};
    return set;
}

static sciml_fno_config small_config(void) {
    sciml_fno_config config;
    sciml_fno_config_default(&config);
    config.modes[0] = 8;
    config.width = 16;
    config.layers = 2;
    config.projection = 32;
    return config;
}

static double mean_relative_error(sciml_fno_model *model, const double *a, const double *u,
                                  int64_t count, int64_t s) {
    double *prediction = malloc(sizeof(double) * (size_t)(count * s));
    sciml_field_set in = fields(a, 0, count, s);
    CU_ASSERT_EQUAL(sciml_fno_model_predict(model, &in, 16, prediction), SCIML_OK);
    double sum = 0.0;
    for (int64_t n = 0; n < count; n++) {
        double diff = 0, ref = 0;
        for (int64_t j = 0; j < s; j++) {
            double d = prediction[n * s + j] - u[n * s + j];
            diff += d * d;
            ref += u[n * s + j] * u[n * s + j];
        }
        sum += sqrt(diff / ref);
    }
    free(prediction);
    return sum / (double)count;
}

static sciml_train_options options_for(int64_t epochs) {
    sciml_train_options options;
    sciml_train_options_default(&options);
    options.epochs = epochs;
    options.batch = 10;
    sciml_schedule_default(&options.schedule, 5e-3);
    return options;
}

static sciml_fno_model *trained_model(sciml_ctx *ctx) {
    static sciml_fno_model *model;
    if (model)
        return model;
    make_data();
    sciml_fno_config config = small_config();
    CU_ASSERT_EQUAL_FATAL(sciml_fno_model_create(ctx, &config, 1, &model), SCIML_OK);
    sciml_field_set a = fields(coarse_a, 0, TRAIN, FINE / 2);
    sciml_field_set u = fields(coarse_u, 0, TRAIN, FINE / 2);
    sciml_train_options options = options_for(40);
    CU_ASSERT_EQUAL_FATAL(sciml_fno_model_train(model, &a, &u, NULL, NULL, &options), SCIML_OK);
    return model;
}

static sciml_ctx *shared_ctx;

static void test_learns_heat_operator(void) {
    sciml_fno_model *model = trained_model(shared_ctx);
    double error = mean_relative_error(model, coarse_a + TRAIN * FINE / 2,
                                       coarse_u + TRAIN * FINE / 2, TEST, FINE / 2);
    printf("\n    test relative L2 at s = %d: %.4f\n", FINE / 2, error);
    CU_ASSERT(error < 0.04); /* the identity map (u = a) is about 0.3 off */
}

static void test_zero_shot_super_resolution(void) {
    sciml_fno_model *model = trained_model(shared_ctx);
    double coarse = mean_relative_error(model, coarse_a + TRAIN * FINE / 2,
                                        coarse_u + TRAIN * FINE / 2, TEST, FINE / 2);
    double fine =
        mean_relative_error(model, fine_a + TRAIN * FINE, fine_u + TRAIN * FINE, TEST, FINE);
    printf("\n    relative L2 at s = %d: %.4f, at s = %d: %.4f\n", FINE / 2, coarse, FINE, fine);
    CU_ASSERT(fine < 1.5 * coarse + 1e-3);
}

static void test_file_round_trip_and_resume(void) {
    make_data();
    sciml_ctx *ctx = shared_ctx;
    sciml_fno_config config = small_config();
    sciml_field_set a = fields(coarse_a, 0, 40, FINE / 2);
    sciml_field_set u = fields(coarse_u, 0, 40, FINE / 2);
    sciml_fno_model *straight = NULL, *part = NULL, *resumed = NULL, *loaded = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_fno_model_create(ctx, &config, 9, &straight), SCIML_OK);
    sciml_train_options options = options_for(3);
    CU_ASSERT_EQUAL_FATAL(sciml_fno_model_train(straight, &a, &u, NULL, NULL, &options), SCIML_OK);
    /* interrupted after its first step, checkpointed, read back and finished */
    CU_ASSERT_EQUAL_FATAL(sciml_fno_model_create(ctx, &config, 9, &part), SCIML_OK);
    sciml_ctx_request_interrupt(ctx);
    CU_ASSERT_EQUAL(sciml_fno_model_train(part, &a, &u, NULL, NULL, &options),
                    SCIML_ERR_INTERRUPTED);
    sciml_ctx_clear_interrupt(ctx);
    char path[512];
    snprintf(path, sizeof(path), "%s/fno-checkpoint.nc", sciml_test_tmpdir());
    CU_ASSERT_EQUAL_FATAL(sciml_fno_model_write(part, path, NULL, 1), SCIML_OK);
    CU_ASSERT_EQUAL_FATAL(sciml_fno_model_read(ctx, path, &resumed, NULL, NULL), SCIML_OK);
    CU_ASSERT(sciml_fno_model_is_checkpoint(resumed));
    CU_ASSERT_EQUAL_FATAL(sciml_fno_model_train(resumed, &a, &u, NULL, NULL, &options), SCIML_OK);
    double p1[10 * FINE / 2], p2[10 * FINE / 2], p3[10 * FINE / 2];
    sciml_field_set probe = fields(coarse_a, TRAIN, 10, FINE / 2);
    CU_ASSERT_EQUAL(sciml_fno_model_predict(straight, &probe, 10, p1), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_fno_model_predict(resumed, &probe, 10, p2), SCIML_OK);
    CU_ASSERT(memcmp(p1, p2, sizeof(p1)) == 0);
    /* a model file gives the same predictions */
    snprintf(path, sizeof(path), "%s/fno.nc", sciml_test_tmpdir());
    sciml_model_provenance provenance = {.input_variable = "a", .output_variable = "u"};
    CU_ASSERT_EQUAL_FATAL(sciml_fno_model_write(straight, path, &provenance, 0), SCIML_OK);
    char *input = NULL, *output = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_fno_model_read(ctx, path, &loaded, &input, &output), SCIML_OK);
    CU_ASSERT_STRING_EQUAL(input, "a");
    CU_ASSERT_STRING_EQUAL(output, "u");
    CU_ASSERT_EQUAL(sciml_fno_model_predict(loaded, &probe, 4, p3), SCIML_OK);
    CU_ASSERT(memcmp(p1, p3, sizeof(p1)) == 0);
    free(input);
    free(output);
    sciml_fno_model_destroy(&straight);
    sciml_fno_model_destroy(&part);
    sciml_fno_model_destroy(&resumed);
    sciml_fno_model_destroy(&loaded);
}

static void test_two_dimensional(void) {
    sciml_ctx *ctx = shared_ctx;
    enum { S = 16, COUNT = 24 };
    static double a[COUNT * S * S], u[COUNT * S * S];
    sciml_grf *grf = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_grf_create(ctx, 2, S, 2.0, 3.0, 3.0, &grf), SCIML_OK);
    sciml_rng rng;
    sciml_rng_seed(&rng, 4);
    for (int n = 0; n < COUNT; n++) {
        sciml_grf_sample(grf, &rng, a + n * S * S);
        for (int i = 0; i < S; i++) /* u = a shifted by one point along x, times 2 */
            for (int j = 0; j < S; j++)
                u[n * S * S + i * S + j] = 2.0 * a[n * S * S + ((i + 1) % S) * S + j];
    }
    sciml_grf_destroy(&grf);
    sciml_fno_config config;
    sciml_fno_config_default(&config);
    config.dims = 2;
    config.modes[0] = 4;
    config.modes[1] = 4;
    config.width = 8;
    config.layers = 2;
    config.projection = 16;
    config.padding = 2;
    sciml_fno_model *model = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_fno_model_create(ctx, &config, 2, &model), SCIML_OK);
    sciml_field_set in = {a, COUNT, {S, S}, 1}, out = {u, COUNT, {S, S}, 1};
    double losses[2] = {0, 0};
    sciml_train_options options = options_for(1);
    CU_ASSERT_EQUAL_FATAL(sciml_fno_model_train(model, &in, &out, &in, &out, &options), SCIML_OK);
    double prediction[COUNT * S * S];
    for (int phase = 0; phase < 2; phase++) {
        CU_ASSERT_EQUAL(sciml_fno_model_predict(model, &in, 8, prediction), SCIML_OK);
        double diff = 0, ref = 0;
        for (int i = 0; i < COUNT * S * S; i++) {
            diff += (prediction[i] - u[i]) * (prediction[i] - u[i]);
            ref += u[i] * u[i];
        }
        losses[phase] = sqrt(diff / ref);
        options.epochs = 30;
        if (phase == 0)
            CU_ASSERT_EQUAL(sciml_fno_model_train(model, &in, &out, NULL, NULL, &options),
                            SCIML_OK);
    }
    printf("\n    2D relative L2: %.3f after 1 epoch, %.3f after 30\n", losses[0], losses[1]);
    CU_ASSERT(losses[1] < 0.5 * losses[0]);
    sciml_fno_model_destroy(&model);
}

/* A non-periodic operator on the closed interval, defined independently of the grid: the
 * antiderivative u(x) = int_0^x a of a(x) = c_0 + sum_k c_k cos(k pi x) + d_k sin(k pi x). A
 * model with padding trained at s = 65 keeps its error at s = 129 (the padding keeps its length
 * in the domain: 8 points there), and its model file keeps the grid the padding counts on. */
static void test_padded_zero_shot(void) {
    sciml_ctx *ctx = shared_ctx;
    enum { COARSE = 65, FINE_PADDED = 129, COUNT = 200, TRAIN_PADDED = 160, TERMS = 6 };
    static double a_fine[COUNT * FINE_PADDED], u_fine[COUNT * FINE_PADDED];
    static double a_coarse[COUNT * COARSE], u_coarse[COUNT * COARSE];
    sciml_rng rng;
    sciml_rng_seed(&rng, 21);
    for (int n = 0; n < COUNT; n++) {
        double c[TERMS + 1], d[TERMS + 1];
        for (int k = 0; k <= TERMS; k++) {
            c[k] = sciml_rng_normal(&rng) / (1.0 + k);
            d[k] = sciml_rng_normal(&rng) / (1.0 + k);
        }
        for (int j = 0; j < FINE_PADDED; j++) {
            const double x = (double)j / (FINE_PADDED - 1);
            double a = c[0], u = c[0] * x;
            for (int k = 1; k <= TERMS; k++) {
                const double w = k * SCIML_PI;
                a += c[k] * cos(w * x) + d[k] * sin(w * x);
                u += c[k] * sin(w * x) / w + d[k] * (1.0 - cos(w * x)) / w;
            }
            a_fine[n * FINE_PADDED + j] = a;
            u_fine[n * FINE_PADDED + j] = u;
            if (j % 2 == 0) {
                a_coarse[n * COARSE + j / 2] = a;
                u_coarse[n * COARSE + j / 2] = u;
            }
        }
    }
    sciml_fno_config config = small_config();
    config.padding = 4;
    sciml_fno_model *model = NULL, *loaded = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_fno_model_create(ctx, &config, 5, &model), SCIML_OK);
    sciml_field_set a = fields(a_coarse, 0, TRAIN_PADDED, COARSE);
    sciml_field_set u = fields(u_coarse, 0, TRAIN_PADDED, COARSE);
    sciml_train_options options = options_for(40);
    CU_ASSERT_EQUAL_FATAL(sciml_fno_model_train(model, &a, &u, NULL, NULL, &options), SCIML_OK);
    const int64_t test = COUNT - TRAIN_PADDED;
    double coarse = mean_relative_error(model, a_coarse + TRAIN_PADDED * COARSE,
                                        u_coarse + TRAIN_PADDED * COARSE, test, COARSE);
    double fine = mean_relative_error(model, a_fine + TRAIN_PADDED * FINE_PADDED,
                                      u_fine + TRAIN_PADDED * FINE_PADDED, test, FINE_PADDED);
    printf("\n    padded, relative L2 at s = %d: %.4f, at s = %d: %.4f\n", COARSE, coarse,
           FINE_PADDED, fine);
    CU_ASSERT(coarse < 0.05); /* u = 0 is 1.0 off */
    CU_ASSERT(fine < 1.5 * coarse + 1e-3);
    char path[512];
    snprintf(path, sizeof(path), "%s/fno-padded.nc", sciml_test_tmpdir());
    CU_ASSERT_EQUAL_FATAL(sciml_fno_model_write(model, path, NULL, 0), SCIML_OK);
    CU_ASSERT_EQUAL_FATAL(sciml_fno_model_read(ctx, path, &loaded, NULL, NULL), SCIML_OK);
    static double p1[10 * FINE_PADDED], p2[10 * FINE_PADDED];
    sciml_field_set probe = fields(a_fine, TRAIN_PADDED, 10, FINE_PADDED);
    CU_ASSERT_EQUAL(sciml_fno_model_predict(model, &probe, 10, p1), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_fno_model_predict(loaded, &probe, 10, p2), SCIML_OK);
    CU_ASSERT(memcmp(p1, p2, sizeof(p1)) == 0);
    sciml_fno_model_destroy(&model);
    sciml_fno_model_destroy(&loaded);
}

static void test_rejects_coarse_resolution(void) {
    sciml_fno_model *model = trained_model(shared_ctx);
    double out[4 * 8];
    sciml_field_set in = fields(coarse_a, 0, 4, 8); /* 8 points cannot hold 8 modes */
    CU_ASSERT_EQUAL(sciml_fno_model_predict(model, &in, 4, out), SCIML_ERR_SHAPE);
    printf("\n    %s\n", sciml_ctx_message(shared_ctx));
    CU_ASSERT_PTR_NOT_NULL(strstr(sciml_ctx_message(shared_ctx), "modes"));
}

int main(void) {
    sciml_ctx_create(&shared_ctx);
    static const sciml_test_case cases[] = {
        {"learns the heat operator", test_learns_heat_operator},
        {"zero-shot super-resolution", test_zero_shot_super_resolution},
        {"model file and bit-for-bit resume", test_file_round_trip_and_resume},
        {"two-dimensional training", test_two_dimensional},
        {"zero-shot super-resolution with padding", test_padded_zero_shot},
        {"rejects a resolution too coarse for the modes", test_rejects_coarse_resolution},
        {NULL, NULL}};
    int result = sciml_test_main("models_fno", cases);
    sciml_ctx_destroy(&shared_ctx);
    return result;
}
