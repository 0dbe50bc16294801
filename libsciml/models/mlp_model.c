/* Supervised regression with a multilayer perceptron (see sciml/mlp_model.h).
 *
 *   loss(theta) = 1/(B m) sum_{i in batch} || MLP_theta(N_in(x_i)) - N_out(y_i) ||^2
 *
 * with N the per-feature standardisation fitted on the training data. Two graphs share one
 * parameter layout: a training graph (inputs, targets, MSE loss) built for the batch size, and
 * a prediction graph built for a fixed chunk; parameters are copied between them when
 * predicting. Mini-batches come from a Fisher-Yates permutation drawn per epoch from the
 * model's RNG; the RNG state at the start of the epoch and the next batch index are part of a
 * checkpoint, so an interrupted run resumes bit for bit.
 */
#include "models/mlp_model_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sciml/netcdf.h"
#include "sciml/optim.h"

enum { PREDICT_CHUNK = 256 };

/* Adds the MLP's parameters to g and returns MLP(input). */
static sciml_node build_network(sciml_ctx *ctx, sciml_graph *g,
                                const sciml_mlp_model_config *config, sciml_node input,
                                sciml_mlp *mlp) {
    if (sciml_mlp_create(ctx, g, "mlp", config->input_count, config->hidden_count, config->hidden,
                         config->output_count, config->activation, mlp))
        return SCIML_NO_NODE;
    return sciml_mlp_apply(g, mlp, input);
}

static sciml_status check_config(sciml_ctx *ctx, const sciml_mlp_model_config *config) {
    if (config->input_count < 1 || config->output_count < 1)
        return sciml_error(ctx, SCIML_ERR_ARG,
                           "mlp: %lld inputs and %lld outputs: expected at least one of each",
                           (long long)config->input_count, (long long)config->output_count);
    if (config->hidden_count < 0 || config->hidden_count > SCIML_MLP_MAX_HIDDEN)
        return sciml_error(ctx, SCIML_ERR_ARG, "mlp: %d hidden layers: expected 0 to %d",
                           config->hidden_count, SCIML_MLP_MAX_HIDDEN);
    for (int l = 0; l < config->hidden_count; l++)
        if (config->hidden[l] < 1 || config->hidden[l] > (INT64_C(1) << 20))
            return sciml_error(ctx, SCIML_ERR_ARG,
                               "mlp: hidden layer %d has width %lld: expected 1 to 1048576", l,
                               (long long)config->hidden[l]);
    return SCIML_OK;
}

/* Builds the graph MLP(input) for batches up to max_batch; optionally with a target and the
 * MSE loss. */
static sciml_status build_graph(sciml_mlp_model *model, int64_t max_batch, int with_loss,
                                sciml_graph **out, sciml_node *input, sciml_node *output,
                                sciml_node *target, sciml_node *loss) {
    sciml_ctx *ctx = model->ctx;
    sciml_graph *g = NULL;
    sciml_mlp mlp;
    sciml_status status = sciml_graph_create(ctx, &g);
    if (status)
        return status;
    int64_t in_shape[2] = {SCIML_BATCH, model->config.input_count};
    int64_t out_shape[2] = {SCIML_BATCH, model->config.output_count};
    *input = sciml_graph_input(g, "x", 2, in_shape);
    *output = build_network(ctx, g, &model->config, *input, &mlp);
    if (with_loss) {
        *target = sciml_graph_input(g, "y", 2, out_shape);
        *loss = sciml_mse(g, *output, *target);
    }
    status = sciml_graph_build(g, max_batch);
    if (status == SCIML_OK && sciml_graph_param_count(g) != model->parameter_count &&
        model->parameter_count != 0)
        status = sciml_error(ctx, SCIML_ERR_INTERNAL, "mlp: parameter layout mismatch");
    if (status) {
        sciml_graph_destroy(&g);
        return status;
    }
    *out = g;
    return SCIML_OK;
}

sciml_status sciml_mlp_model_create(sciml_ctx *ctx, const sciml_mlp_model_config *config,
                                    uint64_t seed, sciml_mlp_model **out) {
    *out = NULL;
    sciml_status status = check_config(ctx, config);
    if (status)
        return status;
    sciml_mlp_model *model = calloc(1, sizeof(*model));
    if (!model)
        return sciml_error(ctx, SCIML_ERR_NOMEM, "mlp: out of memory");
    model->ctx = ctx;
    model->config = *config;
    sciml_train_state_init(&model->state, seed);
    /* Build a one-sample graph once to learn the parameter layout and initialise it. */
    sciml_graph *g = NULL;
    sciml_mlp mlp;
    if ((status = sciml_graph_create(ctx, &g)))
        goto fail;
    int64_t in_shape[2] = {SCIML_BATCH, config->input_count};
    sciml_node input = sciml_graph_input(g, "x", 2, in_shape);
    build_network(ctx, g, config, input, &mlp);
    if ((status = sciml_graph_build(g, 1)))
        goto fail;
    model->parameter_count = sciml_graph_param_count(g);
    model->params = sciml_alloc_array((size_t)model->parameter_count, sizeof(double));
    if (!model->params) {
        status = sciml_error(ctx, SCIML_ERR_NOMEM, "mlp: out of memory for %lld parameters",
                             (long long)model->parameter_count);
        goto fail;
    }
    sciml_rng init_rng;
    sciml_rng_seed(&init_rng, seed ^ 0x5eed1a7e5eed1a7eULL);
    if ((status = sciml_mlp_init(ctx, g, &mlp, SCIML_INIT_AUTO, &init_rng)))
        goto fail;
    memcpy(model->params, sciml_graph_params(g), (size_t)model->parameter_count * sizeof(double));
    sciml_graph_destroy(&g);
    *out = model;
    return SCIML_OK;
fail:
    sciml_graph_destroy(&g);
    sciml_mlp_model_destroy(&model);
    return status;
}

void sciml_mlp_model_destroy(sciml_mlp_model **model) {
    if (!model || !*model)
        return;
    sciml_mlp_model *m = *model;
    free(m->params);
    sciml_train_state_free(&m->state);
    sciml_normalizer_destroy(&m->input_norm);
    sciml_normalizer_destroy(&m->output_norm);
    sciml_graph_destroy(&m->predict_graph);
    free(m->predict_scratch);
    free(m);
    *model = NULL;
}

const sciml_mlp_model_config *sciml_mlp_model_get_config(const sciml_mlp_model *model) {
    return &model->config;
}

int64_t sciml_mlp_model_parameter_count(const sciml_mlp_model *model) {
    return model->parameter_count;
}

int sciml_mlp_model_is_checkpoint(const sciml_mlp_model *model) {
    return model->state.has_position;
}

int64_t sciml_mlp_model_epochs_done(const sciml_mlp_model *model) {
    return model->state.epochs_done;
}

/* A standardised copy of a (rows, width) array (malloc'd; NULL when out of memory). */
static double *standardised_copy(sciml_ctx *ctx, const double *src, int64_t rows, int64_t width,
                                 const sciml_normalizer *norm) {
    double *copy = sciml_alloc_array((size_t)rows * (size_t)width, sizeof(double));
    if (copy) {
        memcpy(copy, src, (size_t)rows * (size_t)width * sizeof(double));
        sciml_normalizer_apply(ctx, norm, copy, rows, width);
    }
    return copy;
}

/* Copies the model's parameters into the prediction graph (when it exists). */
static void sync_predict_params(sciml_mlp_model *model) {
    if (model->predict_graph)
        memcpy(sciml_graph_params(model->predict_graph), model->params,
               (size_t)model->parameter_count * sizeof(double));
}

/* The training graph's parameters into the model and its prediction graph: before a test
 * evaluation or a checkpoint, and at the end of training. */
static void take_params(sciml_mlp_model *model, const double *params) {
    memcpy(model->params, params, (size_t)model->parameter_count * sizeof(double));
    sync_predict_params(model);
}

/* Mean MSE (standardised units) and relative L2 error (physical units) on a data set. */
static sciml_status evaluate(sciml_mlp_model *model, const double *inputs, const double *outputs,
                             int64_t count, double *loss, double *relative_error) {
    int64_t m = model->config.output_count;
    double *prediction = sciml_alloc_array((size_t)PREDICT_CHUNK * (size_t)m, sizeof(double));
    double *scaled = sciml_alloc_array((size_t)PREDICT_CHUNK * (size_t)m, sizeof(double));
    sciml_status status = SCIML_OK;
    if (!prediction || !scaled) {
        status = sciml_error(model->ctx, SCIML_ERR_NOMEM, "mlp: out of memory");
        goto done;
    }
    double squared = 0.0, diff_norm = 0.0, ref_norm = 0.0;
    for (int64_t first = 0; first < count; first += PREDICT_CHUNK) {
        int64_t n = count - first < PREDICT_CHUNK ? count - first : PREDICT_CHUNK;
        if ((status = sciml_mlp_model_predict(model, inputs + first * model->config.input_count, n,
                                              prediction)))
            goto done;
        const double *truth = outputs + first * m;
        for (int64_t i = 0; i < n * m; i++) {
            double d = prediction[i] - truth[i];
            diff_norm += d * d;
            ref_norm += truth[i] * truth[i];
        }
        /* standardised-unit MSE, comparable with the training loss */
        memcpy(scaled, prediction, (size_t)(n * m) * sizeof(double));
        sciml_normalizer_apply(model->ctx, model->output_norm, scaled, n, m);
        memcpy(prediction, truth, (size_t)(n * m) * sizeof(double));
        sciml_normalizer_apply(model->ctx, model->output_norm, prediction, n, m);
        for (int64_t i = 0; i < n * m; i++) {
            double d = scaled[i] - prediction[i];
            squared += d * d;
        }
    }
    *loss = squared / (double)(count * m);
    *relative_error = ref_norm > 0 ? sqrt(diff_norm / ref_norm) : sqrt(diff_norm);
done:
    free(prediction);
    free(scaled);
    return status;
}

static sciml_status fit_normalizers(sciml_mlp_model *model, const double *inputs,
                                    const double *outputs, int64_t count) {
    sciml_status status;
    sciml_ctx *ctx = model->ctx;
    int64_t n_in = model->config.input_count, n_out = model->config.output_count;
    if ((status = sciml_normalizer_create(ctx, n_in, &model->input_norm)) ||
        (status = sciml_normalizer_create(ctx, n_out, &model->output_norm)) ||
        (status = sciml_normalizer_fit(ctx, model->input_norm, inputs, count, n_in,
                                       SCIML_NORMALIZER_STD_FLOOR)) ||
        (status = sciml_normalizer_fit(ctx, model->output_norm, outputs, count, n_out,
                                       SCIML_NORMALIZER_STD_FLOOR))) {
        sciml_normalizer_destroy(&model->input_norm);
        sciml_normalizer_destroy(&model->output_norm);
        return status;
    }
    return SCIML_OK;
}

/* Test-set evaluation after each epoch (the trainer's callback). */
typedef struct mlp_test_set {
    sciml_mlp_model *model;
    const double *inputs, *outputs;
    int64_t count;
} mlp_test_set;

static sciml_status evaluate_test_set(void *user, const double *params,
                                      sciml_train_report *report) {
    mlp_test_set *test = user;
    if (test->count == 0)
        return SCIML_OK;
    take_params(test->model, params);
    return evaluate(test->model, test->inputs, test->outputs, test->count, &report->test_loss,
                    &report->test_error);
}

static void store_params(void *user, const double *params) { /* before a checkpoint */
    take_params(((mlp_test_set *)user)->model, params);
}

/* Mini-batch Adam/AdamW training on standardised copies of the data (sciml/trainer.h). */
static sciml_status train_adam(sciml_mlp_model *model, const double *inputs, const double *outputs,
                               int64_t count, const double *test_inputs, const double *test_outputs,
                               int64_t test_count, const sciml_train_options *options) {
    sciml_ctx *ctx = model->ctx;
    int64_t batch = options->batch < count ? options->batch : count;
    int64_t n_in = model->config.input_count, n_out = model->config.output_count;
    sciml_graph *g = NULL;
    sciml_node input, output, target, loss;
    /* standardised copies of the data, (count, n_in) and (count, n_out) */
    double *x_all = standardised_copy(ctx, inputs, count, n_in, model->input_norm);
    double *y_all = standardised_copy(ctx, outputs, count, n_out, model->output_norm);
    sciml_status status = SCIML_OK;
    if (!x_all || !y_all) {
        status = sciml_error(ctx, SCIML_ERR_NOMEM, "mlp: out of memory for training buffers");
        goto done;
    }
    if ((status = build_graph(model, batch, 1, &g, &input, &output, &target, &loss)))
        goto done;
    memcpy(sciml_graph_params(g), model->params, (size_t)model->parameter_count * sizeof(double));
    mlp_test_set test = {model, test_inputs, test_outputs, test_count};
    sciml_minibatch_problem problem = {
        .graph = g,
        .loss = loss,
        .table_count = 2,
        .inputs = {input, target},
        .tables = {x_all, y_all},
        .sample_count = count,
        .evaluate = evaluate_test_set,
        .store = store_params,
        .user = &test,
    };
    status = sciml_train_minibatch(ctx, &problem, &model->state, options);
    take_params(model, sciml_graph_params(g));
done:
    sciml_graph_destroy(&g);
    free(x_all);
    free(y_all);
    return status;
}

/* Full-batch L-BFGS: the objective is the MSE over all training samples. */
typedef struct lbfgs_problem {
    sciml_mlp_model *model;
    const double *test_inputs, *test_outputs;
    int64_t test_count;
    sciml_graph *graph;
    sciml_node loss;
    const sciml_train_options *options;
    struct timespec started;
    int64_t iterations;
} lbfgs_problem;

static sciml_status lbfgs_objective(void *user, int64_t n, const double *x, double *f,
                                    double *gradient) {
    lbfgs_problem *p = user;
    double *params = sciml_graph_params(p->graph);
    memcpy(params, x, (size_t)n * sizeof(double));
    sciml_status status;
    if ((status = sciml_graph_forward(p->graph, p->loss)) ||
        (status = sciml_graph_backward(p->graph, p->loss)))
        return status;
    *f = sciml_graph_scalar(p->graph, p->loss);
    memcpy(gradient, sciml_graph_grads(p->graph), (size_t)n * sizeof(double));
    return SCIML_OK;
}

static int lbfgs_iteration(void *user, const sciml_lbfgs_progress *progress) {
    lbfgs_problem *p = user;
    p->iterations++;
    if (sciml_ctx_interrupted(p->model->ctx))
        return 1;
    if (p->options->report) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        sciml_train_report report = {
            .epoch = p->iterations,
            .step = p->iterations,
            .train_loss = progress->f,
            .test_loss = NAN,
            .test_error = NAN,
            .lr = NAN,
            .seconds = (double)(now.tv_sec - p->started.tv_sec) +
                       1e-9 * (double)(now.tv_nsec - p->started.tv_nsec),
        };
        p->started = now;
        if (p->test_count > 0) {
            memcpy(p->model->params, progress->x, (size_t)progress->n * sizeof(double));
            sync_predict_params(p->model);
            if (evaluate(p->model, p->test_inputs, p->test_outputs, p->test_count,
                         &report.test_loss, &report.test_error))
                return 1;
        }
        return p->options->report(p->options->report_user, &report);
    }
    return 0;
}

static sciml_status train_lbfgs(sciml_mlp_model *model, const double *inputs, const double *outputs,
                                int64_t count, const double *test_inputs,
                                const double *test_outputs, int64_t test_count,
                                const sciml_train_options *options) {
    sciml_ctx *ctx = model->ctx;
    int64_t n_in = model->config.input_count, n_out = model->config.output_count;
    sciml_graph *g = NULL;
    sciml_node input, output, target, loss;
    double *x_all = standardised_copy(ctx, inputs, count, n_in, model->input_norm);
    double *y_all = standardised_copy(ctx, outputs, count, n_out, model->output_norm);
    sciml_status status = SCIML_OK;
    if (!x_all || !y_all) {
        status = sciml_error(ctx, SCIML_ERR_NOMEM, "mlp: out of memory for the full batch");
        goto done;
    }
    if ((status = build_graph(model, count, 1, &g, &input, &output, &target, &loss)) ||
        (status = sciml_graph_set_batch(g, count)) ||
        (status = sciml_graph_set_input(g, input, x_all, count * n_in)) ||
        (status = sciml_graph_set_input(g, target, y_all, count * n_out)))
        goto done;
    sciml_lbfgs_options lbfgs_options;
    sciml_lbfgs_options_default(&lbfgs_options);
    lbfgs_options.max_iterations = options->lbfgs_iterations;
    lbfgs_options.max_evaluations = 2 * options->lbfgs_iterations + 100;
    lbfgs_problem problem = {.model = model,
                             .test_inputs = test_inputs,
                             .test_outputs = test_outputs,
                             .test_count = test_count,
                             .graph = g,
                             .loss = loss,
                             .options = options};
    lbfgs_options.iteration_callback = lbfgs_iteration;
    lbfgs_options.iteration_user = &problem;
    clock_gettime(CLOCK_MONOTONIC, &problem.started);
    sciml_lbfgs_result result;
    status = sciml_lbfgs_minimize(ctx, model->parameter_count, model->params, lbfgs_objective,
                                  &problem, &lbfgs_options, &result);
    sync_predict_params(model);
    if (status == SCIML_OK && sciml_ctx_interrupted(ctx))
        status = sciml_error(ctx, SCIML_ERR_INTERRUPTED,
                             "interrupted after %lld L-BFGS "
                             "iterations",
                             (long long)problem.iterations);
    model->state.epochs_done += problem.iterations;
done:
    sciml_graph_destroy(&g);
    free(x_all);
    free(y_all);
    return status;
}

sciml_status sciml_mlp_model_train(sciml_mlp_model *model, const double *inputs,
                                   const double *outputs, int64_t count, const double *test_inputs,
                                   const double *test_outputs, int64_t test_count,
                                   const sciml_train_options *options) {
    sciml_ctx *ctx = model->ctx;
    if (count < 1)
        return sciml_error(ctx, SCIML_ERR_ARG, "mlp: no training samples");
    if (options->epochs < 0 || options->batch < 1)
        return sciml_error(ctx, SCIML_ERR_ARG, "mlp: epochs %lld, batch %lld: expected >= 0, >= 1",
                           (long long)options->epochs, (long long)options->batch);
    sciml_status status = sciml_schedule_check(ctx, &options->schedule);
    if (status)
        return status;
    if (!model->input_norm && (status = fit_normalizers(model, inputs, outputs, count)))
        return status;
    if (options->optimizer == SCIML_OPTIMIZER_LBFGS)
        return train_lbfgs(model, inputs, outputs, count, test_inputs, test_outputs, test_count,
                           options);
    return train_adam(model, inputs, outputs, count, test_inputs, test_outputs, test_count,
                      options);
}

sciml_status sciml_mlp_model_predict(sciml_mlp_model *model, const double *inputs, int64_t count,
                                     double *outputs) {
    sciml_ctx *ctx = model->ctx;
    if (!model->input_norm)
        return sciml_error(ctx, SCIML_ERR_STATE, "mlp: model has no normalisation (untrained)");
    sciml_status status;
    if (!model->predict_graph) {
        sciml_node unused_target, unused_loss;
        if ((status =
                 build_graph(model, PREDICT_CHUNK, 0, &model->predict_graph, &model->predict_input,
                             &model->predict_output, &unused_target, &unused_loss)))
            return status;
        memcpy(sciml_graph_params(model->predict_graph), model->params,
               (size_t)model->parameter_count * sizeof(double));
        model->predict_scratch =
            sciml_alloc_array((size_t)(PREDICT_CHUNK * model->config.input_count), sizeof(double));
        if (!model->predict_scratch) {
            sciml_graph_destroy(&model->predict_graph);
            return sciml_error(ctx, SCIML_ERR_NOMEM, "mlp: out of memory");
        }
    }
    sciml_graph *g = model->predict_graph;
    int64_t n_in = model->config.input_count, n_out = model->config.output_count;
    double *scratch = model->predict_scratch; /* (PREDICT_CHUNK, n_in) */
    status = SCIML_OK;
    for (int64_t first = 0; first < count && status == SCIML_OK; first += PREDICT_CHUNK) {
        int64_t n = count - first < PREDICT_CHUNK ? count - first : PREDICT_CHUNK;
        memcpy(scratch, inputs + first * n_in, (size_t)(n * n_in) * sizeof(double));
        sciml_normalizer_apply(ctx, model->input_norm, scratch, n, n_in);
        if ((status = sciml_graph_set_batch(g, n)) ||
            (status = sciml_graph_set_input(g, model->predict_input, scratch, n * n_in)) ||
            (status = sciml_graph_forward(g, model->predict_output)) ||
            (status = sciml_graph_get_value(g, model->predict_output, outputs + first * n_out,
                                            n * n_out)))
            break;
        sciml_normalizer_invert(ctx, model->output_norm, outputs + first * n_out, n, n_out);
    }
    return status;
}
