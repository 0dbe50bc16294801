/* sciml-train node: neural ODE on trajectories y(sample, time, state) and t(time), random
 * segments with Adam or full-batch L-BFGS. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sciml/nn.h"
#include "sciml/node_model.h"
#include "tool.h"
#include "train_run.h"

static sciml_status write_node(void *m, const char *path, const sciml_model_provenance *p,
                               int checkpoint) {
    return sciml_node_model_write(m, path, p, checkpoint);
}
static int64_t node_iterations(const void *m) {
    return sciml_node_model_iterations_done(m);
}
static int64_t node_parameters(const void *m) {
    return sciml_node_model_param_count(m);
}

/* Neural ODE: trajectories y(sample, time, state) and t(time), random segments, Adam. */
int train_node(training_run *run) {
    sciml_ctx *ctx = run->ctx;
    const train_options *o = run->o;
    sciml_node_data data, test;
    sciml_node_model *model = NULL;
    int exit_code = TOOL_EXIT_FAILURE;
    const char *name = o->output_variable ? o->output_variable : "y";
    memset(&test, 0, sizeof test);
    if (sciml_node_data_read(ctx, o->data, name, "t", &data)) {
        tool_fail(ctx);
        return exit_code;
    }
    if (o->test && sciml_node_data_read(ctx, o->test, name, "t", &test)) {
        tool_fail(ctx);
        goto done;
    }
    if (strcmp(o->data, "-") && sciml_file_checksum(ctx, o->data, run->checksum))
        run->checksum[0] = '\0';
    sciml_node_config config;
    sciml_node_config_default(&config);
    config.state_size = data.state_size;
    config.augmented = o->augment;
    config.time_input = o->time_input;
    config.cube_input = o->cube;
    config.use_mlp = !o->no_mlp;
    config.max_batch = o->batch;
    sciml_activation_parse(o->activation, &config.activation);
    if (o->known) {
        int robertson = !strcmp(o->known, "robertson"), count = robertson ? 3 : 4;
        config.known = robertson ? SCIML_NODE_KNOWN_ROBERTSON : SCIML_NODE_KNOWN_LOTKA_VOLTERRA;
        /* Robertson's terms train log-rates; LIST gives the rates */
        const double robertson_rates[3] = {0.04, 1e4, 3e7};
        for (int k = 0; k < count; k++)
            config.known_initial[k] = robertson ? log(robertson_rates[k]) : 1.0;
        int given = 0;
        for (const char *cursor = o->known_initial; cursor && *cursor && given <= count;) {
            char *end;
            double value = strtod(cursor, &end);
            if (end == cursor || !isfinite(value) || (*end && *end != ',') ||
                (robertson && !(value > 0)) || given == count) {
                given = -1;
                break;
            }
            config.known_initial[given++] = robertson ? log(value) : value;
            cursor = *end ? end + 1 : end;
        }
        if (o->known_initial && given != count) {
            tool_error("--known-initial '%s': expected %d comma-separated %s", o->known_initial,
                       count, robertson ? "positive rates (k1, k2, k3)" : "numbers (a, b, g, d)");
            goto done;
        }
    }
    sciml_node_train_options train;
    sciml_node_train_options_default(&train);
    train.iterations = o->iterations;
    train.optimizer = run->options.optimizer;
    train.batch = o->batch;
    train.segment = o->segment;
    /* the schedule counts iterations here, not epochs */
    train.schedule = run->options.schedule;
    train.schedule.period = o->iterations - o->warmup > 0 ? o->iterations - o->warmup : 1;
    train.seed = o->seed;
    train.solve.relative_tolerance = o->rtol;
    train.solve.absolute_tolerance = o->atol;
    train.solve.max_steps = o->max_steps;
    if ((o->solver && sciml_node_solver_parse(ctx, o->solver, &train.solve.solver)) ||
        sciml_parse_hidden(ctx, o->hidden, config.hidden, SCIML_MAX_HIDDEN_LAYERS,
                           &config.hidden_count) ||
        (o->resume ? sciml_node_model_read(ctx, o->resume, &model)
                   : sciml_node_model_create(ctx, &config, o->seed, &model))) {
        tool_fail(ctx);
        goto done;
    }
    if (o->resume) {
        train_run_warn_resume(o, sciml_node_model_is_checkpoint(model));
        if (sciml_node_model_config(model)->state_size != data.state_size ||
            sciml_node_model_config(model)->max_batch < o->batch) {
            tool_error("%s: data have %lld states and --batch %lld, the model %s has %lld "
                       "states and at most %lld segments per step",
                       o->data, (long long)data.state_size, (long long)o->batch, o->resume,
                       (long long)sciml_node_model_config(model)->state_size,
                       (long long)sciml_node_model_config(model)->max_batch);
            goto done;
        }
    }
    train.solve.gradient =
        train.solve.solver == SCIML_NODE_DOPRI5 ? SCIML_NODE_DIRECT : SCIML_NODE_ADJOINT;
    if (o->gradient)
        sciml_node_gradient_parse(ctx, o->gradient, &train.solve.gradient);
    const model_handle handle = {model, write_node, node_iterations, node_parameters};
    if (train_run_start(run, &handle))
        goto done;
    run->report.epochs = o->iterations;
    train.report = train_run_report;
    train.report_user = &run->report;
    train.checkpoint_every = run->options.checkpoint_every; /* counts iterations here */
    train.checkpoint = run->options.checkpoint;
    train.checkpoint_user = run->options.checkpoint_user;
    train.test = o->test ? &test : NULL;
    sciml_status status = sciml_node_model_train(model, &data, &train);
    if (status == SCIML_ERR_SHAPE || status == SCIML_ERR_SOLVER) {
        char reason[1024];
        snprintf(reason, sizeof reason, "%s", sciml_ctx_message(ctx));
        status = sciml_error(ctx, status, "%s: %s", o->data, reason);
    }
    exit_code = train_run_finish(run, status);
done:
    sciml_node_data_free(&data);
    sciml_node_data_free(&test);
    sciml_node_model_destroy(&model);
    return exit_code;
}
