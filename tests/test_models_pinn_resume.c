/* Models: resumable PINN training (sciml_pinn_write_checkpoint, sciml_pinn_resume).
 *   A heat-equation run of 60 plain Adam steps and two refinement rounds of 20 steps writes a
 *   checkpoint every 10 steps (also right after each refinement); every one of them, read into
 *   a new model and trained on, ends with the parameters of the uninterrupted run bit for bit;
 *   so does a run interrupted (Ctrl-C) inside the second refinement round;
 *   an interruption in L-BFGS resumes as a fresh L-BFGS for the iterations left, numbered on;
 *   a checkpoint of another problem, network, seed or schedule and a file that is not netCDF
 *   are refused with a message naming the difference, leaving the model as it was; a plain
 *   model is a warm start (its weights, position 0);
 *   an inverse problem resumes bit for bit, and is refused with other observations. */
#include "sciml/pinn_model.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sciml_ctx *make_ctx(void) {
    sciml_ctx *ctx = NULL;
    CU_ASSERT_FATAL(sciml_ctx_create(&ctx) == SCIML_OK);
    return ctx;
}

/* heat1d, hidden 8,8 with 4 Fourier features, 64 interior points; Adam 60 steps, then 2
 * refinement rounds of 20 steps adding 4 of 400 candidates; lbfgs L-BFGS iterations. */
static void small_config(sciml_ctx *ctx, sciml_pinn_config *config, int64_t lbfgs) {
    sciml_pde pde;
    CU_ASSERT_EQUAL_FATAL(sciml_pde_init(ctx, "heat1d", &pde), SCIML_OK);
    sciml_pinn_config_default(config, &pde);
    config->hidden_count = 2;
    config->hidden[0] = config->hidden[1] = 8;
    config->fourier_features = 4;
    config->interior_count = 64;
    for (int c = 0; c < pde.condition_count; c++)
        config->condition_counts[c] = 16;
    config->adam_iterations = 60;
    config->learning_rate = 1e-2;
    config->rar_rounds = 2;
    config->rar_steps = 20;
    config->rar_add = 4;
    config->rar_candidates = 400;
    config->lbfgs_iterations = lbfgs;
    config->seed = 7;
}

typedef struct periodic {
    sciml_pinn *model;
    int count;
    int64_t positions[16];
    int rounds[16];
} periodic;

static char *checkpoint_path(char *path, size_t size, int64_t position) {
    snprintf(path, size, "%s/resume-%lld.nc", sciml_test_tmpdir(), (long long)position);
    return path;
}

static sciml_status write_periodic(void *user) {
    periodic *p = user;
    sciml_pinn_position position;
    sciml_pinn_get_position(p->model, &position);
    char path[512];
    checkpoint_path(path, sizeof path, position.adam_steps);
    if (p->count < 16) {
        p->positions[p->count] = position.adam_steps;
        p->rounds[p->count++] = position.rar_rounds;
    }
    return sciml_pinn_write_checkpoint(p->model, path, NULL);
}

/* Resumes path in a new model of config, trains it and compares its parameters with want. */
static void resume_and_compare(sciml_ctx *ctx, const sciml_pinn_config *config, const char *path,
                               const double *want, int64_t count) {
    sciml_pinn *model = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_pinn_create(ctx, config, &model), SCIML_OK);
    int is_checkpoint = -1;
    CU_ASSERT_EQUAL_FATAL(sciml_pinn_resume(model, path, &is_checkpoint), SCIML_OK);
    CU_ASSERT_EQUAL(is_checkpoint, 1);
    CU_ASSERT_EQUAL(sciml_pinn_train(model, NULL, NULL, 100), SCIML_OK);
    int64_t n = 0;
    const double *have = sciml_pinn_parameters(model, &n);
    CU_ASSERT_EQUAL(n, count);
    int same = n == count && memcmp(have, want, (size_t)n * sizeof *have) == 0;
    if (!same)
        fprintf(stderr, "\n  %s: parameters differ from the uninterrupted run ", path);
    CU_ASSERT(same);
    CU_ASSERT_EQUAL(sciml_pinn_interior_count(model), 64 + 2 * 4);
    sciml_pinn_progress last;
    sciml_pinn_last_progress(model, &last);
    CU_ASSERT_EQUAL(last.adam_steps, 100);
    sciml_pinn_destroy(&model);
}

typedef struct interrupt_at {
    sciml_ctx *ctx;
    const char *phase;
    int64_t iteration;
    int64_t first_seen; /* the first iteration reported in that phase */
} interrupt_at;

static int request_interrupt(void *user, const sciml_pinn_progress *progress) {
    interrupt_at *at = user;
    if (strcmp(progress->phase, at->phase))
        return 0;
    if (at->first_seen < 0)
        at->first_seen = progress->iteration;
    if (progress->iteration == at->iteration)
        sciml_ctx_request_interrupt(at->ctx);
    return 0;
}

static void test_adam_resume(void) {
    sciml_ctx *ctx = make_ctx();
    sciml_pinn_config config;
    small_config(ctx, &config, 0);
    /* the uninterrupted run, writing a checkpoint every 10 Adam steps */
    sciml_pinn *reference = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_pinn_create(ctx, &config, &reference), SCIML_OK);
    periodic p = {reference, 0, {0}, {0}};
    sciml_pinn_set_checkpoint(reference, 10, write_periodic, &p);
    CU_ASSERT_EQUAL_FATAL(sciml_pinn_train(reference, NULL, NULL, 100), SCIML_OK);
    int64_t count = 0;
    const double *want = sciml_pinn_parameters(reference, &count);
    /* positions 10..90, not 0 (the start) nor 100 (the end); 60 and 80 after a refinement */
    CU_ASSERT_EQUAL(p.count, 9);
    for (int k = 0; k < p.count && k < 9; k++) {
        CU_ASSERT_EQUAL(p.positions[k], 10 * (k + 1));
        CU_ASSERT_EQUAL(p.rounds[k], p.positions[k] < 60 ? 0 : p.positions[k] < 80 ? 1 : 2);
    }
    char path[512];
    for (int k = 0; k < p.count; k++)
        resume_and_compare(ctx, &config, checkpoint_path(path, sizeof path, p.positions[k]), want,
                           count);
    /* Ctrl-C inside the second refinement round: the position before the step it came at */
    sciml_pinn *interrupted = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_pinn_create(ctx, &config, &interrupted), SCIML_OK);
    interrupt_at at = {ctx, "adam", 87, -1};
    CU_ASSERT_EQUAL(sciml_pinn_train(interrupted, request_interrupt, &at, 1),
                    SCIML_ERR_INTERRUPTED);
    sciml_ctx_clear_interrupt(ctx);
    sciml_ctx_clear_error(ctx);
    sciml_pinn_position position;
    sciml_pinn_get_position(interrupted, &position);
    CU_ASSERT_EQUAL(position.adam_steps, 86);
    CU_ASSERT_EQUAL(position.rar_rounds, 2);
    snprintf(path, sizeof path, "%s/interrupted.nc", sciml_test_tmpdir());
    CU_ASSERT_EQUAL_FATAL(sciml_pinn_write_checkpoint(interrupted, path, NULL), SCIML_OK);
    resume_and_compare(ctx, &config, path, want, count);
    /* the checkpoint is a model file too */
    sciml_pinn *read = NULL;
    CU_ASSERT_EQUAL(sciml_pinn_read(ctx, path, &read), SCIML_OK);
    sciml_pinn_destroy(&read);
    sciml_pinn_destroy(&interrupted);
    sciml_pinn_destroy(&reference);
    sciml_ctx_destroy(&ctx);
}

static void test_lbfgs_resume(void) {
    sciml_ctx *ctx = make_ctx();
    sciml_pinn_config config;
    small_config(ctx, &config, 30);
    sciml_pinn *model = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_pinn_create(ctx, &config, &model), SCIML_OK);
    interrupt_at at = {ctx, "lbfgs", 10, -1};
    CU_ASSERT_EQUAL(sciml_pinn_train(model, request_interrupt, &at, 1), SCIML_ERR_INTERRUPTED);
    sciml_ctx_clear_interrupt(ctx);
    sciml_ctx_clear_error(ctx);
    sciml_pinn_position position;
    sciml_pinn_get_position(model, &position);
    CU_ASSERT_EQUAL(position.adam_steps, 100);
    CU_ASSERT_EQUAL(position.rar_rounds, 2);
    CU_ASSERT_EQUAL(position.lbfgs_iterations, 10);
    char path[512];
    snprintf(path, sizeof path, "%s/lbfgs.nc", sciml_test_tmpdir());
    CU_ASSERT_EQUAL_FATAL(sciml_pinn_write_checkpoint(model, path, NULL), SCIML_OK);
    sciml_pinn_progress before;
    sciml_pinn_last_progress(model, &before);
    sciml_pinn *resumed = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_pinn_create(ctx, &config, &resumed), SCIML_OK);
    CU_ASSERT_EQUAL_FATAL(sciml_pinn_resume(resumed, path, NULL), SCIML_OK);
    interrupt_at seen = {ctx, "lbfgs", -1, -1};
    CU_ASSERT_EQUAL(sciml_pinn_train(resumed, request_interrupt, &seen, 1), SCIML_OK);
    CU_ASSERT_EQUAL(seen.first_seen, 11); /* numbered on from the checkpoint */
    sciml_pinn_progress last;
    sciml_pinn_last_progress(resumed, &last);
    CU_ASSERT_EQUAL(last.adam_steps, 100);
    CU_ASSERT(last.lbfgs_iterations > 10 && last.lbfgs_iterations <= 30);
    CU_ASSERT(isfinite(last.loss) && last.loss <= before.loss);
    sciml_pinn_destroy(&resumed);
    sciml_pinn_destroy(&model);
    sciml_ctx_destroy(&ctx);
}

/* Resumes path into a model of config: the status, and the message must contain `needle`; a
 * failed resume leaves the parameters as they were. */
static void expect_refused(sciml_ctx *ctx, const sciml_pinn_config *config, const char *path,
                           const char *needle) {
    sciml_pinn *model = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_pinn_create(ctx, config, &model), SCIML_OK);
    int64_t n = 0;
    const double *params = sciml_pinn_parameters(model, &n);
    double *before = malloc((size_t)n * sizeof *before);
    memcpy(before, params, (size_t)n * sizeof *before);
    sciml_status status = sciml_pinn_resume(model, path, NULL);
    CU_ASSERT(status != SCIML_OK);
    if (!strstr(sciml_ctx_message(ctx), needle))
        fprintf(stderr, "\n  expected '%s' in: %s ", needle, sciml_ctx_message(ctx));
    CU_ASSERT(strstr(sciml_ctx_message(ctx), needle) != NULL);
    CU_ASSERT(memcmp(before, sciml_pinn_parameters(model, NULL), (size_t)n * sizeof *before) == 0);
    sciml_pinn_position position;
    sciml_pinn_get_position(model, &position);
    CU_ASSERT_EQUAL(position.adam_steps, 0);
    free(before);
    sciml_pinn_destroy(&model);
    sciml_ctx_clear_error(ctx);
}

static void test_refused(void) {
    sciml_ctx *ctx = make_ctx();
    sciml_pinn_config config;
    small_config(ctx, &config, 0);
    config.adam_iterations = 20;
    config.rar_rounds = 0;
    sciml_pinn *model = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_pinn_create(ctx, &config, &model), SCIML_OK);
    interrupt_at at = {ctx, "adam", 11, -1};
    CU_ASSERT_EQUAL(sciml_pinn_train(model, request_interrupt, &at, 1), SCIML_ERR_INTERRUPTED);
    sciml_ctx_clear_interrupt(ctx);
    char path[512], plain[512], junk[512];
    snprintf(path, sizeof path, "%s/refused.nc", sciml_test_tmpdir());
    snprintf(plain, sizeof plain, "%s/plain.nc", sciml_test_tmpdir());
    snprintf(junk, sizeof junk, "%s/junk.nc", sciml_test_tmpdir());
    CU_ASSERT_EQUAL_FATAL(sciml_pinn_write_checkpoint(model, path, NULL), SCIML_OK);
    CU_ASSERT_EQUAL_FATAL(sciml_pinn_write(model, plain, NULL), SCIML_OK);
    FILE *file = fopen(junk, "w");
    CU_ASSERT_FATAL(file != NULL);
    fputs("this is not a netCDF file\n", file);
    fclose(file);
    sciml_pinn_config other = config;
    other.hidden[1] = 9;
    expect_refused(ctx, &other, path, "hidden");
    other = config;
    other.fourier_features = 0;
    expect_refused(ctx, &other, path, "Fourier");
    other = config;
    other.seed = 8;
    expect_refused(ctx, &other, path, "seed");
    other = config;
    other.adam_iterations = 30;
    expect_refused(ctx, &other, path, "train_adam_iterations");
    other = config;
    other.rar_rounds = 1;
    expect_refused(ctx, &other, path, "train_rar_rounds");
    other = config;
    other.pde.coefficients[0] *= 2;
    expect_refused(ctx, &other, path, "train_coefficients");
    sciml_pde pde;
    CU_ASSERT_EQUAL_FATAL(sciml_pde_init(ctx, "poisson1d", &pde), SCIML_OK);
    other = config;
    other.pde = pde;
    expect_refused(ctx, &other, path, "pde");
    expect_refused(ctx, &config, junk, "junk.nc");
    /* the learning rate may differ; a plain model is a warm start from its weights */
    other = config;
    other.learning_rate = 1e-3;
    sciml_pinn *resumed = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_pinn_create(ctx, &other, &resumed), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_pinn_resume(resumed, path, NULL), SCIML_OK);
    sciml_pinn_destroy(&resumed);
    CU_ASSERT_EQUAL_FATAL(sciml_pinn_create(ctx, &config, &resumed), SCIML_OK);
    int is_checkpoint = -1;
    CU_ASSERT_EQUAL(sciml_pinn_resume(resumed, plain, &is_checkpoint), SCIML_OK);
    CU_ASSERT_EQUAL(is_checkpoint, 0);
    int64_t n = 0;
    const double *weights = sciml_pinn_parameters(model, &n);
    CU_ASSERT(memcmp(sciml_pinn_parameters(resumed, NULL), weights, (size_t)n * sizeof *weights) ==
              0);
    CU_ASSERT_EQUAL(sciml_pinn_train(resumed, NULL, NULL, 100), SCIML_OK);
    sciml_pinn_progress last;
    sciml_pinn_last_progress(resumed, &last);
    CU_ASSERT_EQUAL(last.adam_steps, 20); /* the whole schedule */
    sciml_pinn_destroy(&resumed);
    sciml_pinn_destroy(&model);
    sciml_ctx_destroy(&ctx);
}

/* An inverse problem (heat1d, alpha unknown) resumes bit for bit, the learned coefficient
 * included; the same checkpoint with other observations is refused. */
static void test_inverse_resume(void) {
    sciml_ctx *ctx = make_ctx();
    sciml_pinn_config config;
    small_config(ctx, &config, 0);
    config.adam_iterations = 40;
    config.rar_rounds = 0;
    config.unknown = 0; /* alpha */
    enum { N = 30 };
    double points[2 * N], values[N];
    for (int i = 0; i < N; i++) {
        points[2 * i] = (i + 0.5) / N;
        points[2 * i + 1] = 0.5 * (double)(i % 7) / 7.0;
        values[i] =
            exp(-0.1 * SCIML_PI * SCIML_PI * points[2 * i + 1]) * sin(SCIML_PI * points[2 * i]);
    }
    sciml_pinn *reference = NULL, *interrupted = NULL, *resumed = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_pinn_create(ctx, &config, &reference), SCIML_OK);
    CU_ASSERT_EQUAL_FATAL(sciml_pinn_set_observations(reference, N, points, values), SCIML_OK);
    CU_ASSERT_EQUAL_FATAL(sciml_pinn_train(reference, NULL, NULL, 100), SCIML_OK);
    CU_ASSERT_EQUAL_FATAL(sciml_pinn_create(ctx, &config, &interrupted), SCIML_OK);
    CU_ASSERT_EQUAL_FATAL(sciml_pinn_set_observations(interrupted, N, points, values), SCIML_OK);
    interrupt_at at = {ctx, "adam", 17, -1};
    CU_ASSERT_EQUAL(sciml_pinn_train(interrupted, request_interrupt, &at, 1),
                    SCIML_ERR_INTERRUPTED);
    sciml_ctx_clear_interrupt(ctx);
    char path[512];
    snprintf(path, sizeof path, "%s/inverse.nc", sciml_test_tmpdir());
    CU_ASSERT_EQUAL_FATAL(sciml_pinn_write_checkpoint(interrupted, path, NULL), SCIML_OK);
    CU_ASSERT_EQUAL_FATAL(sciml_pinn_create(ctx, &config, &resumed), SCIML_OK);
    CU_ASSERT_EQUAL_FATAL(sciml_pinn_set_observations(resumed, N, points, values), SCIML_OK);
    CU_ASSERT_EQUAL_FATAL(sciml_pinn_resume(resumed, path, NULL), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_pinn_train(resumed, NULL, NULL, 100), SCIML_OK);
    int64_t n = 0;
    const double *want = sciml_pinn_parameters(reference, &n);
    CU_ASSERT(memcmp(sciml_pinn_parameters(resumed, NULL), want, (size_t)n * sizeof *want) == 0);
    CU_ASSERT_EQUAL(sciml_pinn_get_pde(resumed)->coefficients[0],
                    sciml_pinn_get_pde(reference)->coefficients[0]);
    sciml_pinn_destroy(&resumed);
    CU_ASSERT_EQUAL_FATAL(sciml_pinn_create(ctx, &config, &resumed), SCIML_OK);
    values[3] += 1e-3;
    CU_ASSERT_EQUAL_FATAL(sciml_pinn_set_observations(resumed, N, points, values), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_pinn_resume(resumed, path, NULL), SCIML_ERR_FORMAT);
    CU_ASSERT(strstr(sciml_ctx_message(ctx), "other observations") != NULL);
    sciml_pinn_destroy(&resumed);
    sciml_pinn_destroy(&interrupted);
    sciml_pinn_destroy(&reference);
    sciml_ctx_destroy(&ctx);
}

int main(void) {
    const sciml_test_case cases[] = {{"Adam and refinement resume bit for bit", test_adam_resume},
                                     {"L-BFGS resume", test_lbfgs_resume},
                                     {"mismatched checkpoints refused", test_refused},
                                     {"inverse problem resume", test_inverse_resume},
                                     {NULL, NULL}};
    return sciml_test_main("pinn_resume", cases);
}
