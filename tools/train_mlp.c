/* sciml-train mlp: MLP regression, per-sample inputs to outputs, standardised, Adam/AdamW or
 * L-BFGS. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sciml/mlp_model.h"
#include "sciml/nn.h"
#include "tool.h"
#include "train_run.h"

static sciml_status write_mlp(void *m, const char *path, const sciml_model_provenance *p,
                              int checkpoint) {
    return sciml_mlp_model_write(m, path, p, checkpoint);
}
static int64_t mlp_epochs(const void *m) {
    return sciml_mlp_model_epochs_done(m);
}
static int64_t mlp_parameters(const void *m) {
    return sciml_mlp_model_parameter_count(m);
}

int train_mlp(training_run *run) {
    sciml_ctx *ctx = run->ctx;
    const train_options *o = run->o;
    sciml_mlp_model *model = NULL;
    int exit_code = TOOL_EXIT_FAILURE;
    if (o->resume) {
        if (sciml_mlp_model_read(ctx, o->resume, &model, &run->stored_input, &run->stored_output)) {
            tool_fail(ctx);
            goto done;
        }
        train_run_warn_resume(o, sciml_mlp_model_is_checkpoint(model));
    }
    if (train_run_read_data(run))
        goto done;
    if (!model) {
        sciml_mlp_model_config config;
        memset(&config, 0, sizeof(config));
        config.input_count = run->x.feature_count;
        config.output_count = run->y.feature_count;
        sciml_activation_parse(o->activation, &config.activation);
        if (sciml_parse_hidden(ctx, o->hidden, config.hidden, SCIML_MLP_MAX_HIDDEN,
                               &config.hidden_count) ||
            sciml_mlp_model_create(ctx, &config, o->seed, &model)) {
            tool_fail(ctx);
            goto done;
        }
    } else {
        const sciml_mlp_model_config *config = sciml_mlp_model_get_config(model);
        if (config->input_count != run->x.feature_count ||
            config->output_count != run->y.feature_count) {
            tool_error("%s: data has %lld inputs and %lld outputs per sample, the checkpoint "
                       "%s expects %lld and %lld",
                       o->data, (long long)run->x.feature_count, (long long)run->y.feature_count,
                       o->resume, (long long)config->input_count, (long long)config->output_count);
            goto done;
        }
    }
    const model_handle handle = {model, write_mlp, mlp_epochs, mlp_parameters};
    if (train_run_start(run, &handle))
        goto done;
    sciml_status status = sciml_mlp_model_train(
        model, run->x.values, run->y.values, run->x.sample_count, run->test_x.values,
        run->test_y.values, run->test_x.sample_count, &run->options);
    exit_code = train_run_finish(run, status);
done:
    sciml_mlp_model_destroy(&model);
    return exit_code;
}
