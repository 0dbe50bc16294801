/* sciml-train pi3nn: PI3NN prediction intervals (three networks) or a deep ensemble. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sciml/pi3nn_model.h"
#include "sciml/nn.h"
#include "tool.h"
#include "train_run.h"

/* PI3NN or ensemble: no checkpoints; the level is checked before training (its range) and
 * after it (enough training points on each side of the mean), and no model is written when
 * either fails. With --test the summary gives PICP and MPIW on the held-out data. */
int train_pi3nn(training_run *run) {
    sciml_ctx *ctx = run->ctx;
    const train_options *o = run->o;
    sciml_pi3nn_model *model = NULL;
    double *mean = NULL, *lower = NULL, *upper = NULL;
    int exit_code = TOOL_EXIT_FAILURE;
    if (!(o->level > 0 && o->level < 1)) {
        tool_error("--level %g: confidence level outside (0, 1): expected a value between 0 and "
                   "1, such as 0.95",
                   o->level);
        return TOOL_EXIT_FAILURE;
    }
    if (train_run_read_data(run))
        goto done;
    sciml_pi3nn_config config;
    sciml_pi3nn_config_default(&config, run->x.feature_count, run->y.feature_count);
    sciml_activation_parse(o->activation, &config.activation);
    config.ood_bias = o->ood_bias;
    config.method =
        !strcmp(o->method, "ensemble") ? SCIML_PI3NN_METHOD_ENSEMBLE : SCIML_PI3NN_METHOD_PI3NN;
    config.ensemble_count = o->members;
    config.validation_fraction = o->validation;
    config.patience = o->patience;
    if (sciml_parse_hidden(ctx, o->hidden, config.hidden, SCIML_MLP_MAX_HIDDEN,
                           &config.hidden_count) ||
        sciml_pi3nn_model_create(ctx, &config, o->seed, &model) || train_run_start(run, NULL)) {
        tool_fail(ctx);
        goto done;
    }
    sciml_status status = sciml_pi3nn_model_train(model, run->x.values, run->y.values,
                                                  run->x.sample_count, &run->options);
    tool_progress_done();
    if (status || sciml_pi3nn_model_check_level(model, o->level)) {
        tool_fail(ctx);
        goto done;
    }
    sciml_model_provenance provenance = train_run_provenance(run);
    if (sciml_pi3nn_model_write(model, o->model_path, &provenance, o->level)) {
        tool_fail(ctx);
        goto done;
    }
    if (!o->quiet) {
        fprintf(stderr, "%s: %s, %lld parameters, %.1f s", tool_name(), o->method,
                (long long)sciml_pi3nn_model_parameter_count(model),
                tool_seconds() - run->report.started);
        if (o->test) {
            int64_t count = run->test_x.sample_count, m = run->test_y.feature_count;
            size_t size = (size_t)(count + 2) * (size_t)m; /* room for 2 m metrics */
            mean = sciml_alloc_array(size, sizeof(double));
            lower = sciml_alloc_array(size, sizeof(double));
            upper = sciml_alloc_array(size, sizeof(double));
            if (mean && lower && upper &&
                !sciml_pi3nn_model_predict(model, run->test_x.values, count, o->level, mean, lower,
                                           upper, NULL)) {
                /* reuse mean (count m) for the per-output PICP and MPIW */
                sciml_interval_metrics(run->test_y.values, lower, upper, count, m, mean, mean + m);
                for (int64_t k = 0; k < m && k < 4; k++)
                    fprintf(stderr, ", test %s[%lld] PICP %.4f MPIW %.6g", run->y.name,
                            (long long)k, mean[k], mean[m + k]);
                fprintf(stderr, " at level %g", o->level);
            }
        }
        fprintf(stderr, "; model written to %s\n", o->model_path);
    }
    exit_code = TOOL_EXIT_OK;
done:
    free(mean);
    free(lower);
    free(upper);
    sciml_pi3nn_model_destroy(&model);
    return exit_code;
}
