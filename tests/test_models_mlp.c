/* MLP regression model: a short training run with an asserted error bound, model file round
 * trip, bit-for-bit resumption from checkpoints (at an epoch boundary and mid-epoch), L-BFGS
 * training, and model files whose attributes disagree with their arrays. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sciml/dataset.h"
#include "sciml/gen.h"
#include "sciml/mlp_model.h"
#include "sciml/netcdf.h"
#include "testutil.h"

enum { TRAIN = 400, TEST = 100, POINTS = 20 };

static double train_x[TRAIN * 5], train_y[TRAIN * POINTS];
static double test_x[TEST * 5], test_y[TEST * POINTS];

static void make_data(void) {
    static int made;
    if (made)
        return;
    sciml_oscillator_config config;
    sciml_oscillator_config_default(&config);
    config.points = POINTS;
    sciml_rng rng;
    sciml_rng_seed(&rng, 7);
    CU_ASSERT_EQUAL_FATAL(sciml_oscillator_fill(NULL, &config, &rng, TRAIN, train_x, train_y, NULL),
                          SCIML_OK);
    CU_ASSERT_EQUAL_FATAL(sciml_oscillator_fill(NULL, &config, &rng, TEST, test_x, test_y, NULL),
                          SCIML_OK);
    made = 1;
}

static sciml_mlp_model_config small_config(void) {
    sciml_mlp_model_config config;
    memset(&config, 0, sizeof(config));
    config.input_count = 5;
    config.output_count = POINTS;
    config.hidden_count = 2;
    config.hidden[0] = 32;
    config.hidden[1] = 32;
    config.activation = SCIML_ACT_TANH;
    return config;
}

static double relative_error(sciml_mlp_model *model, const double *x, const double *y,
                             int64_t count) {
    double *prediction = malloc(sizeof(double) * (size_t)(count * POINTS));
    CU_ASSERT_EQUAL(sciml_mlp_model_predict(model, x, count, prediction), SCIML_OK);
    double diff = 0, ref = 0;
    for (int64_t i = 0; i < count * POINTS; i++) {
        diff += (prediction[i] - y[i]) * (prediction[i] - y[i]);
        ref += y[i] * y[i];
    }
    free(prediction);
    return sqrt(diff / ref);
}

static sciml_train_options options_for(int64_t epochs) {
    sciml_train_options options;
    sciml_train_options_default(&options);
    options.epochs = epochs;
    options.batch = 32;
    sciml_schedule_default(&options.schedule, 3e-3);
    return options;
}

/* Trains, reports a falling test error and reaches a stated bound. */
static void test_training_reaches_bound(void) {
    make_data();
    sciml_ctx *ctx = NULL;
    sciml_ctx_create(&ctx);
    sciml_mlp_model_config config = small_config();
    sciml_mlp_model *model = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_mlp_model_create(ctx, &config, 1, &model), SCIML_OK);
    sciml_train_options options = options_for(400);
    CU_ASSERT_EQUAL_FATAL(
        sciml_mlp_model_train(model, train_x, train_y, TRAIN, test_x, test_y, TEST, &options),
        SCIML_OK);
    double error = relative_error(model, test_x, test_y, TEST);
    printf("\n    test relative L2 after 400 epochs: %.4f\n", error);
    CU_ASSERT(error < 0.13); /* the mean prediction alone gives about 1.0 */
    CU_ASSERT_EQUAL(sciml_mlp_model_epochs_done(model), 400);
    sciml_mlp_model_destroy(&model);
    sciml_ctx_destroy(&ctx);
}

static int same_predictions(sciml_mlp_model *a, sciml_mlp_model *b) {
    double pa[TEST * POINTS], pb[TEST * POINTS];
    if (sciml_mlp_model_predict(a, test_x, TEST, pa) ||
        sciml_mlp_model_predict(b, test_x, TEST, pb))
        return 0;
    return memcmp(pa, pb, sizeof(pa)) == 0;
}

static void test_file_round_trip(void) {
    make_data();
    sciml_ctx *ctx = NULL;
    sciml_ctx_create(&ctx);
    sciml_mlp_model_config config = small_config();
    sciml_mlp_model *model = NULL, *loaded = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_mlp_model_create(ctx, &config, 3, &model), SCIML_OK);
    sciml_train_options options = options_for(5);
    CU_ASSERT_EQUAL_FATAL(
        sciml_mlp_model_train(model, train_x, train_y, TRAIN, NULL, NULL, 0, &options), SCIML_OK);
    char path[512];
    snprintf(path, sizeof(path), "%s/model.nc", sciml_test_tmpdir());
    sciml_model_provenance provenance = {
        .input_variable = "x", .output_variable = "y", .command = "test", .seed = 3};
    CU_ASSERT_EQUAL_FATAL(sciml_mlp_model_write(model, path, &provenance, 0), SCIML_OK);
    char *input = NULL, *output = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_mlp_model_read(ctx, path, &loaded, &input, &output), SCIML_OK);
    CU_ASSERT_STRING_EQUAL(input, "x");
    CU_ASSERT_STRING_EQUAL(output, "y");
    CU_ASSERT(same_predictions(model, loaded));
    CU_ASSERT_EQUAL(sciml_mlp_model_get_config(loaded)->hidden[1], 32);
    CU_ASSERT_FALSE(sciml_mlp_model_is_checkpoint(loaded));
    free(input);
    free(output);
    sciml_mlp_model_destroy(&loaded);
    sciml_mlp_model_destroy(&model);
    sciml_ctx_destroy(&ctx);
}

/* Runs `epochs` epochs straight, and the same split at a checkpoint written after `first`
 * epochs (or, with first < 0, after the first step of epoch 1, via an interrupt). */
static void check_resume(int64_t first) {
    make_data();
    sciml_ctx *ctx = NULL;
    sciml_ctx_create(&ctx);
    sciml_mlp_model_config config = small_config();
    const int64_t epochs = 4;
    sciml_mlp_model *straight = NULL, *part = NULL, *resumed = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_mlp_model_create(ctx, &config, 11, &straight), SCIML_OK);
    sciml_train_options options = options_for(epochs);
    CU_ASSERT_EQUAL_FATAL(
        sciml_mlp_model_train(straight, train_x, train_y, TRAIN, NULL, NULL, 0, &options),
        SCIML_OK);

    CU_ASSERT_EQUAL_FATAL(sciml_mlp_model_create(ctx, &config, 11, &part), SCIML_OK);
    if (first >= 0) {
        sciml_train_options partial = options_for(first);
        CU_ASSERT_EQUAL_FATAL(
            sciml_mlp_model_train(part, train_x, train_y, TRAIN, NULL, NULL, 0, &partial),
            SCIML_OK);
    } else {
        sciml_ctx_request_interrupt(ctx); /* stops after the first step */
        CU_ASSERT_EQUAL(
            sciml_mlp_model_train(part, train_x, train_y, TRAIN, NULL, NULL, 0, &options),
            SCIML_ERR_INTERRUPTED);
        sciml_ctx_clear_interrupt(ctx);
        CU_ASSERT_EQUAL(sciml_mlp_model_epochs_done(part), 0);
    }
    char path[512];
    snprintf(path, sizeof(path), "%s/checkpoint-%lld.nc", sciml_test_tmpdir(), (long long)first);
    CU_ASSERT_EQUAL_FATAL(sciml_mlp_model_write(part, path, NULL, 1), SCIML_OK);
    CU_ASSERT_EQUAL_FATAL(sciml_mlp_model_read(ctx, path, &resumed, NULL, NULL), SCIML_OK);
    CU_ASSERT(sciml_mlp_model_is_checkpoint(resumed));
    CU_ASSERT_EQUAL_FATAL(
        sciml_mlp_model_train(resumed, train_x, train_y, TRAIN, NULL, NULL, 0, &options), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_mlp_model_epochs_done(resumed), epochs);
    CU_ASSERT(same_predictions(straight, resumed)); /* bit for bit */
    sciml_mlp_model_destroy(&straight);
    sciml_mlp_model_destroy(&part);
    sciml_mlp_model_destroy(&resumed);
    sciml_ctx_destroy(&ctx);
}

static void test_resume_at_epoch(void) {
    check_resume(2);
}

static void test_resume_mid_epoch(void) {
    check_resume(-1);
}

static void test_lbfgs(void) {
    make_data();
    sciml_ctx *ctx = NULL;
    sciml_ctx_create(&ctx);
    sciml_mlp_model_config config = small_config();
    config.hidden[0] = config.hidden[1] = 16;
    sciml_mlp_model *model = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_mlp_model_create(ctx, &config, 5, &model), SCIML_OK);
    sciml_train_options options = options_for(0);
    options.optimizer = SCIML_OPTIMIZER_LBFGS;
    options.lbfgs_iterations = 200;
    CU_ASSERT_EQUAL_FATAL(
        sciml_mlp_model_train(model, train_x, train_y, TRAIN, NULL, NULL, 0, &options), SCIML_OK);
    double after = relative_error(model, train_x, train_y, TRAIN);
    printf("\n    L-BFGS training relative L2 after 200 iterations: %.4f\n", after);
    CU_ASSERT(after < 0.2);
    sciml_mlp_model_destroy(&model);
    sciml_ctx_destroy(&ctx);
}

/* Writes a model file whose `hidden` attribute says 8 while the arrays are 4 wide. */
static void write_inconsistent_model(const char *path, const char *hidden, int64_t width) {
    sciml_nc_writer *w = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_nc_writer_create(NULL, path, NULL, &w), SCIML_OK);
    int64_t in, h, out, v;
    sciml_nc_def_dim(w, "input", 2, &in);
    sciml_nc_def_dim(w, "hidden_0", width, &h);
    sciml_nc_def_dim(w, "output", 1, &out);
    int64_t d0[2] = {in, h}, d1[2] = {h, out};
    sciml_nc_def_var(w, "layer_0_weight", SCIML_NC_DOUBLE, 2, d0, &v);
    sciml_nc_def_var(w, "layer_0_bias", SCIML_NC_DOUBLE, 1, &h, &v);
    sciml_nc_def_var(w, "layer_1_weight", SCIML_NC_DOUBLE, 2, d1, &v);
    sciml_nc_def_var(w, "layer_1_bias", SCIML_NC_DOUBLE, 1, &out, &v);
    sciml_nc_put_att_text(w, SCIML_NC_GLOBAL, "sciml_kind", "model");
    sciml_nc_put_att_text(w, SCIML_NC_GLOBAL, "sciml_model", "mlp");
    sciml_nc_put_att_text(w, SCIML_NC_GLOBAL, "hidden", hidden);
    sciml_nc_put_att_text(w, SCIML_NC_GLOBAL, "activation", "tanh");
    CU_ASSERT_EQUAL_FATAL(sciml_nc_end_def(w), SCIML_OK);
    CU_ASSERT_EQUAL_FATAL(sciml_nc_writer_close(&w), SCIML_OK);
}

static void test_bad_model_files(void) {
    sciml_ctx *ctx = NULL;
    sciml_ctx_create(&ctx);
    sciml_mlp_model *model = NULL;
    char path[512];
    snprintf(path, sizeof(path), "%s/bad-hidden.nc", sciml_test_tmpdir());
    write_inconsistent_model(path, "8", 4);
    CU_ASSERT_EQUAL(sciml_mlp_model_read(ctx, path, &model, NULL, NULL), SCIML_ERR_FORMAT);
    CU_ASSERT_PTR_NULL(model);
    CU_ASSERT_PTR_NOT_NULL(strstr(sciml_ctx_message(ctx), "hidden"));
    printf("\n    %s\n", sciml_ctx_message(ctx));
    /* consistent shapes but no normalisation arrays */
    write_inconsistent_model(path, "4", 4);
    CU_ASSERT_EQUAL(sciml_mlp_model_read(ctx, path, &model, NULL, NULL), SCIML_ERR_FORMAT);
    CU_ASSERT_PTR_NOT_NULL(strstr(sciml_ctx_message(ctx), "input_mean"));
    /* not a model at all */
    snprintf(path, sizeof(path), "%s/not-a-model.nc", sciml_test_tmpdir());
    FILE *f = fopen(path, "wb");
    fputs("this is not netCDF", f);
    fclose(f);
    CU_ASSERT_EQUAL(sciml_mlp_model_read(ctx, path, &model, NULL, NULL), SCIML_ERR_FORMAT);
    CU_ASSERT_PTR_NULL(model);
    sciml_ctx_destroy(&ctx);
}

static void test_diverging_run_reports_step(void) {
    make_data();
    sciml_ctx *ctx = NULL;
    sciml_ctx_create(&ctx);
    sciml_mlp_model_config config = small_config();
    config.activation = SCIML_ACT_RELU;
    sciml_mlp_model *model = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_mlp_model_create(ctx, &config, 2, &model), SCIML_OK);
    sciml_train_options options = options_for(50);
    sciml_schedule_default(&options.schedule, 1e200); /* absurd learning rate */
    sciml_status status =
        sciml_mlp_model_train(model, train_x, train_y, TRAIN, NULL, NULL, 0, &options);
    CU_ASSERT_EQUAL(status, SCIML_ERR_NONFINITE);
    CU_ASSERT_PTR_NOT_NULL(strstr(sciml_ctx_message(ctx), "at epoch 1, step 2"));
    CU_ASSERT_PTR_NOT_NULL(strstr(sciml_ctx_message(ctx), "reset to their initial values"));
    printf("\n    %s\n", sciml_ctx_message(ctx));
    sciml_mlp_model_destroy(&model);
    sciml_ctx_destroy(&ctx);
}

/* The contents of a file, or NULL; *size gets its length. */
static unsigned char *file_bytes(const char *path, long *size) {
    FILE *f = fopen(path, "rb");
    unsigned char *bytes = NULL;
    *size = -1;
    if (f && fseek(f, 0, SEEK_END) == 0 && (*size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (bytes = malloc((size_t)*size + 1)) && fread(bytes, 1, (size_t)*size, f) != (size_t)*size) {
        free(bytes);
        bytes = NULL;
    }
    if (f)
        fclose(f);
    return bytes;
}

/* Whether two files hold the same bytes (both readable). */
static int same_bytes(const char *path_a, const char *path_b) {
    long size_a, size_b;
    unsigned char *a = file_bytes(path_a, &size_a), *b = file_bytes(path_b, &size_b);
    const int same = a && b && size_a == size_b && memcmp(a, b, (size_t)size_a) == 0;
    free(a);
    free(b);
    return same;
}

typedef struct epoch_checkpoints {
    sciml_mlp_model *model;
    sciml_train_options *options; /* the training's, read again every epoch */
    int written, absurd_after;
} epoch_checkpoints;

/* A sciml_train_checkpoint_fn: the model as checkpoint epoch-N.ckpt after every epoch N; after
 * epoch absurd_after, an absurd learning rate from the next epoch on. */
static sciml_status write_epoch_checkpoint(void *user) {
    epoch_checkpoints *e = user;
    char path[1024];
    snprintf(path, sizeof(path), "%s/epoch-%d.ckpt", sciml_test_tmpdir(), ++e->written);
    if (e->written == e->absurd_after)
        e->options->schedule.base_lr = 1e200;
    return sciml_mlp_model_write(e->model, path, NULL, 1);
}

/* A divergence inside an epoch of several batches goes back to the end of the last epoch with
 * everything: the checkpoint written after it is, byte for byte, the periodic checkpoint of that
 * epoch (the parameters, and Adam's moments and step count, which the diverging epoch's first
 * steps had moved on). */
static void test_divergence_returns_to_last_epoch(void) {
    make_data();
    sciml_ctx *ctx = NULL;
    sciml_ctx_create(&ctx);
    sciml_mlp_model_config config = small_config();
    sciml_mlp_model *model = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_mlp_model_create(ctx, &config, 2, &model), SCIML_OK);
    sciml_train_options options = options_for(6);
    /* 3e-3 for epochs 1-2, then absurd: the first step of epoch 3 throws the parameters out,
     * the loss of its second step is not finite (13 batches per epoch) */
    epoch_checkpoints e = {model, &options, 0, 2};
    options.checkpoint_every = 1;
    options.checkpoint = write_epoch_checkpoint;
    options.checkpoint_user = &e;
    sciml_status status =
        sciml_mlp_model_train(model, train_x, train_y, TRAIN, NULL, NULL, 0, &options);
    CU_ASSERT_EQUAL(status, SCIML_ERR_NONFINITE);
    printf("\n    %s\n", sciml_ctx_message(ctx));
    CU_ASSERT_PTR_NOT_NULL(strstr(sciml_ctx_message(ctx), "at epoch 3, step 2"));
    CU_ASSERT_PTR_NOT_NULL(strstr(sciml_ctx_message(ctx), "reset to the end of epoch 2"));
    CU_ASSERT_EQUAL(e.written, 2);
    sciml_ctx_clear_error(ctx);
    char diverged[1024], epoch2[1024];
    snprintf(diverged, sizeof(diverged), "%s/diverged.ckpt", sciml_test_tmpdir());
    snprintf(epoch2, sizeof(epoch2), "%s/epoch-2.ckpt", sciml_test_tmpdir());
    CU_ASSERT_EQUAL_FATAL(sciml_mlp_model_write(model, diverged, NULL, 1), SCIML_OK);
    CU_ASSERT(same_bytes(diverged, epoch2));
    sciml_mlp_model_destroy(&model);
    sciml_ctx_destroy(&ctx);
}

/* A run resumed inside an epoch that diverges before the epoch's end goes back to where it began
 * (not to the end of an epoch it never saw): the message says so, and the checkpoint written after
 * the divergence is, byte for byte, the one it was resumed from. */
static void test_divergence_after_mid_epoch_resume(void) {
    make_data();
    sciml_ctx *ctx = NULL;
    sciml_ctx_create(&ctx);
    sciml_mlp_model_config config = small_config();
    sciml_mlp_model *part = NULL, *resumed = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_mlp_model_create(ctx, &config, 13, &part), SCIML_OK);
    sciml_train_options options = options_for(3);
    sciml_ctx_request_interrupt(ctx); /* stops after the first step of epoch 1 */
    CU_ASSERT_EQUAL(sciml_mlp_model_train(part, train_x, train_y, TRAIN, NULL, NULL, 0, &options),
                    SCIML_ERR_INTERRUPTED);
    sciml_ctx_clear_interrupt(ctx);
    sciml_ctx_clear_error(ctx);
    char mid[1024], diverged[1024];
    snprintf(mid, sizeof(mid), "%s/mid-epoch.ckpt", sciml_test_tmpdir());
    snprintf(diverged, sizeof(diverged), "%s/mid-epoch-diverged.ckpt", sciml_test_tmpdir());
    CU_ASSERT_EQUAL_FATAL(sciml_mlp_model_write(part, mid, NULL, 1), SCIML_OK);
    CU_ASSERT_EQUAL_FATAL(sciml_mlp_model_read(ctx, mid, &resumed, NULL, NULL), SCIML_OK);
    /* absurd from the resumed run's first step (step 2): the loss of step 3 is not finite */
    sciml_schedule_default(&options.schedule, 1e200);
    CU_ASSERT_EQUAL(
        sciml_mlp_model_train(resumed, train_x, train_y, TRAIN, NULL, NULL, 0, &options),
        SCIML_ERR_NONFINITE);
    printf("\n    %s\n", sciml_ctx_message(ctx));
    CU_ASSERT_PTR_NOT_NULL(strstr(sciml_ctx_message(ctx), "at epoch 1, step 3"));
    CU_ASSERT_PTR_NOT_NULL(
        strstr(sciml_ctx_message(ctx), "reset to step 1 of epoch 1, where this run began"));
    sciml_ctx_clear_error(ctx);
    CU_ASSERT_EQUAL_FATAL(sciml_mlp_model_write(resumed, diverged, NULL, 1), SCIML_OK);
    CU_ASSERT(same_bytes(diverged, mid));
    sciml_mlp_model_destroy(&part);
    sciml_mlp_model_destroy(&resumed);
    sciml_ctx_destroy(&ctx);
}

int main(void) {
    static const sciml_test_case cases[] = {
        {"training reaches the error bound", test_training_reaches_bound},
        {"model file round trip", test_file_round_trip},
        {"resume from an epoch checkpoint is bit for bit", test_resume_at_epoch},
        {"resume from a mid-epoch checkpoint is bit for bit", test_resume_mid_epoch},
        {"L-BFGS full-batch training", test_lbfgs},
        {"bad model files are rejected", test_bad_model_files},
        {"divergence names the step", test_diverging_run_reports_step},
        {"divergence returns to the last epoch, Adam's state included",
         test_divergence_returns_to_last_epoch},
        {"divergence after a mid-epoch resume returns to where the run began",
         test_divergence_after_mid_epoch_resume},
        {NULL, NULL}};
    return sciml_test_main("models_mlp", cases);
}
