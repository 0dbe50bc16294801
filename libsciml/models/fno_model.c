/* The Fourier neural operator (see sciml/fno_model.h for the architecture and conventions).
 *
 * One graph per resolution: the parameters (lifting, L spectral convolutions and pointwise
 * linear maps, projection) are created in the same order whatever the resolution, so the
 * flat parameter vector means the same in every graph and moves between them by copying. The
 * loss is the reference's LpLoss: mean over the batch of ||u_pred - u|| / ||u||, computed on
 * decoded (physical) outputs.
 */
#include "sciml/fno_model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sciml/netcdf.h"
#include "sciml/nn.h"
#include "sciml/param_file.h"
#include "sciml/spectral.h"
#include "sciml/trainer.h"

#include "models/model_file.h"

enum { MAX_CHANNELS = 4096 };

/* A graph at one resolution with the nodes the model feeds and reads. */
typedef struct fno_graph {
    sciml_graph *graph;
    int64_t size[2];
    int64_t padding[2]; /* zeros appended per dimension at this resolution */
    int64_t max_batch;
    sciml_node input, grid, target, output, loss;
    sciml_node output_mean, output_std;
    sciml_node zeros[2];
    double *scratch; /* (max_batch, points, max(dims, input_channels)): the grid at build,
                        then standardised input batches in predict */
} fno_graph;

struct sciml_fno_model {
    sciml_ctx *ctx; /* borrowed */
    sciml_fno_config config;
    int64_t parameter_count;
    double *params; /* (parameter_count) */
    int normalized; /* statistics fitted or read */
    int64_t padding_grid[2]; /* the grid config.padding counts points of (0: not known) */
    double input_mean[MAX_CHANNELS], input_std[MAX_CHANNELS];
    double output_mean[MAX_CHANNELS], output_std[MAX_CHANNELS];
    fno_graph predict; /* cached prediction graph (graph NULL when none) */
    sciml_train_state state;
};

void sciml_fno_config_default(sciml_fno_config *config) {
    memset(config, 0, sizeof(*config));
    config->dims = 1;
    config->input_channels = 1;
    config->output_channels = 1;
    config->modes[0] = 16;
    config->modes[1] = 16;
    config->width = 64;
    config->layers = 4;
    config->projection = 128;
    config->padding = 0;
}

static sciml_status check_config(sciml_ctx *ctx, const sciml_fno_config *c) {
    if (c->dims != 1 && c->dims != 2)
        return sciml_error(ctx, SCIML_ERR_ARG, "fno: %d spatial dimensions: expected 1 or 2",
                           c->dims);
    if (c->input_channels < 1 || c->input_channels > MAX_CHANNELS || c->output_channels < 1 ||
        c->output_channels > MAX_CHANNELS)
        return sciml_error(ctx, SCIML_ERR_ARG,
                           "fno: %lld input and %lld output channels: "
                           "expected 1 to %d",
                           (long long)c->input_channels, (long long)c->output_channels,
                           MAX_CHANNELS);
    for (int d = 0; d < c->dims; d++)
        if (c->modes[d] < 1 || c->modes[d] > (INT64_C(1) << 20))
            return sciml_error(ctx, SCIML_ERR_ARG, "fno: %lld modes: expected at least 1",
                               (long long)c->modes[d]);
    if (c->width < 1 || c->width > (1 << 16) || c->projection < 1 || c->projection > (1 << 16))
        return sciml_error(ctx, SCIML_ERR_ARG,
                           "fno: width %lld, projection %lld: expected 1 to "
                           "65536",
                           (long long)c->width, (long long)c->projection);
    if (c->layers < 1 || c->layers > SCIML_FNO_MAX_LAYERS)
        return sciml_error(ctx, SCIML_ERR_ARG, "fno: %d layers: expected 1 to %d", c->layers,
                           SCIML_FNO_MAX_LAYERS);
    if (c->padding < 0 || c->padding > (1 << 16))
        return sciml_error(ctx, SCIML_ERR_ARG, "fno: padding %lld: expected 0 to 65536",
                           (long long)c->padding);
    return SCIML_OK;
}

/* Points per sample at a resolution. */
static int64_t point_count(const sciml_fno_config *c, const int64_t *size) {
    return c->dims == 2 ? size[0] * size[1] : size[0];
}

/* The zeros appended along dimension d at s points: the padding keeps its length in the domain,
 * config.padding points of the training grid (x_j = j / (s - 1)), so the padded period, and with
 * it what each kept mode means, is the same at every resolution. A model whose training grid is
 * not known (files written before it was stored) pads config.padding points at every s. */
static int64_t padding_at(const sciml_fno_model *model, int d, int64_t s) {
    const int64_t padding = model->config.padding, grid = model->padding_grid[d];
    if (padding == 0 || grid < 2 || s == grid)
        return padding;
    const int64_t scaled = llround((double)padding * (double)(s - 1) / (double)(grid - 1));
    return scaled > 1 ? scaled : 1;
}

static void fno_graph_free(fno_graph *fg) {
    sciml_graph_destroy(&fg->graph);
    free(fg->scratch);
    memset(fg, 0, sizeof(*fg));
}

/* The network on a graph; parameters in a fixed order. */
static sciml_status build_network(sciml_fno_model *model, sciml_graph *g, fno_graph *fg, int init,
                                  sciml_rng *rng) {
    sciml_ctx *ctx = model->ctx;
    const sciml_fno_config *c = &model->config;
    const int dims = c->dims;
    const int64_t s1 = fg->size[0], s2 = fg->size[1];
    int64_t shape[5];
    shape[0] = SCIML_BATCH;
    shape[1] = s1;
    if (dims == 2)
        shape[2] = s2;
    shape[dims + 1] = c->input_channels;
    fg->input = sciml_graph_input(g, "a", dims + 2, shape);
    shape[dims + 1] = dims;
    fg->grid = sciml_graph_input(g, "grid", dims + 2, shape);
    shape[dims + 1] = c->output_channels;
    if (fg->target != SCIML_NO_NODE)
        fg->target = sciml_graph_input(g, "u", dims + 2, shape);
    int64_t channel_shape[1] = {c->output_channels};
    fg->output_mean = sciml_graph_input(g, "output_mean", 1, channel_shape);
    fg->output_std = sciml_graph_input(g, "output_std", 1, channel_shape);

    sciml_dense lift, pointwise[SCIML_FNO_MAX_LAYERS], project_hidden, project_out;
    sciml_spectral_conv spectral[SCIML_FNO_MAX_LAYERS];
    sciml_status status;
    char name[64];
    if ((status = sciml_dense_create(ctx, g, "lift", c->input_channels + dims, c->width,
                                     SCIML_ACT_IDENTITY, &lift)))
        return status;
    for (int l = 0; l < c->layers; l++) {
        snprintf(name, sizeof(name), "fourier.%d", l);
        if ((status = sciml_spectral_conv_create(ctx, g, name, dims, c->modes, c->width, c->width,
                                                 &spectral[l])))
            return status;
        snprintf(name, sizeof(name), "pointwise.%d", l);
        if ((status = sciml_dense_create(ctx, g, name, c->width, c->width, SCIML_ACT_IDENTITY,
                                         &pointwise[l])))
            return status;
    }
    if ((status = sciml_dense_create(ctx, g, "projection.0", c->width, c->projection,
                                     SCIML_ACT_GELU, &project_hidden)) ||
        (status = sciml_dense_create(ctx, g, "projection.1", c->projection, c->output_channels,
                                     SCIML_ACT_IDENTITY, &project_out)))
        return status;

    sciml_node parts[2] = {fg->input, fg->grid};
    sciml_node h = sciml_concat(g, 2, parts, dims + 1);
    h = sciml_dense_apply(g, &lift, h);
    fg->zeros[0] = fg->zeros[1] = SCIML_NO_NODE;
    if (c->padding > 0) {
        /* pad each spatial axis at its end with zeros */
        int64_t padded[2] = {s1, s2};
        for (int d = 0; d < dims; d++) {
            int64_t zero_shape[4] = {SCIML_BATCH, padded[0], padded[1], c->width};
            zero_shape[1 + d] = fg->padding[d];
            if (dims == 1)
                zero_shape[2] = c->width;
            snprintf(name, sizeof(name), "padding.%d", d);
            fg->zeros[d] = sciml_graph_input(g, name, dims + 2, zero_shape);
            sciml_node pieces[2] = {h, fg->zeros[d]};
            h = sciml_concat(g, 2, pieces, 1 + d);
            padded[d] += fg->padding[d];
        }
    }
    /* Training graphs keep the spectral convolution, the pointwise path, their sum and GELU as
     * separate nodes (their backward reuses the stored values); prediction graphs fuse them
     * into one node per layer (the same values to rounding, fewer passes over memory). */
    const int fuse = fg->target == SCIML_NO_NODE;
    for (int l = 0; l < c->layers; l++) {
        const sciml_activation act = l + 1 < c->layers ? SCIML_ACT_GELU : SCIML_ACT_IDENTITY;
        if (fuse) {
            h = sciml_fourier_layer_apply(ctx, g, &spectral[l], &pointwise[l], act, h);
            continue;
        }
        sciml_node k = sciml_spectral_conv_apply(ctx, g, &spectral[l], h);
        sciml_node w = sciml_dense_apply(g, &pointwise[l], h);
        h = sciml_add(g, k, w);
        if (act == SCIML_ACT_GELU)
            h = sciml_gelu(g, h);
    }
    if (c->padding > 0) {
        h = sciml_slice(g, h, 1, 0, s1);
        if (dims == 2)
            h = sciml_slice(g, h, 2, 0, s2);
    }
    /* the projection head in row tiles: its 128-wide hidden layer stays in cache, and training
     * recomputes it in backward instead of keeping it and its gradient (4 x 128 values per
     * point) */
    h = sciml_dense_pair_apply(ctx, g, &project_hidden, &project_out, h);
    /* decode: u = z * std + mean per channel (broadcast over the trailing axis) */
    h = sciml_mul(g, h, fg->output_std);
    fg->output = sciml_add(g, h, fg->output_mean);
    if (fg->target != SCIML_NO_NODE)
        fg->loss = sciml_rel_l2(g, fg->output, fg->target);
    /* prediction graphs keep only the live layers' values (a few fields, not every layer's) */
    if ((status = fg->target != SCIML_NO_NODE ? sciml_graph_build(g, fg->max_batch)
                                              : sciml_graph_build_forward_only(g, fg->max_batch)))
        return status;
    if (init) {
        if ((status = sciml_dense_init(ctx, g, &lift, SCIML_INIT_AUTO, rng)))
            return status;
        for (int l = 0; l < c->layers; l++)
            if ((status = sciml_spectral_conv_init(ctx, g, &spectral[l], rng)) ||
                (status = sciml_dense_init(ctx, g, &pointwise[l], SCIML_INIT_AUTO, rng)))
                return status;
        if ((status = sciml_dense_init(ctx, g, &project_hidden, SCIML_INIT_AUTO, rng)) ||
            (status = sciml_dense_init(ctx, g, &project_out, SCIML_INIT_AUTO, rng)))
            return status;
    }
    return SCIML_OK;
}

/* Builds a graph at `size` for batches up to max_batch (with the loss when with_loss), sets
 * its constant inputs and loads the model's parameters unless init. */
static sciml_status build_graph(sciml_fno_model *model, const int64_t *size, int64_t max_batch,
                                int with_loss, int init, sciml_rng *rng, fno_graph *fg) {
    sciml_ctx *ctx = model->ctx;
    const sciml_fno_config *c = &model->config;
    memset(fg, 0, sizeof(*fg));
    fg->size[0] = size[0];
    fg->size[1] = c->dims == 2 ? size[1] : 1;
    for (int d = 0; d < c->dims; d++)
        fg->padding[d] = padding_at(model, d, fg->size[d]);
    fg->max_batch = max_batch;
    fg->target = with_loss ? 0 : SCIML_NO_NODE;
    fg->loss = SCIML_NO_NODE;
    sciml_status status = sciml_graph_create(ctx, &fg->graph);
    if (status)
        return status;
    if ((status = build_network(model, fg->graph, fg, init, rng)))
        goto fail;
    sciml_graph *g = fg->graph;
    if (init) {
        model->parameter_count = sciml_graph_param_count(g);
        model->params = sciml_alloc_array((size_t)model->parameter_count, sizeof(double));
        if (!model->params) {
            status = sciml_error(ctx, SCIML_ERR_NOMEM, "fno: out of memory for %lld parameters",
                                 (long long)model->parameter_count);
            goto fail;
        }
        memcpy(model->params, sciml_graph_params(g),
               (size_t)model->parameter_count * sizeof(double));
    } else {
        if (sciml_graph_param_count(g) != model->parameter_count) {
            status = sciml_error(ctx, SCIML_ERR_INTERNAL, "fno: parameter layout mismatch");
            goto fail;
        }
        memcpy(sciml_graph_params(g), model->params,
               (size_t)model->parameter_count * sizeof(double));
    }
    /* Constant inputs are set once at the largest batch: a node's memory does not move with
     * the batch size, so smaller batches see the first rows. */
    const int64_t points = point_count(c, fg->size);
    const int64_t width = c->dims > c->input_channels ? c->dims : c->input_channels;
    fg->scratch = sciml_alloc_array((size_t)(max_batch * points * width), sizeof(double));
    if (!fg->scratch) {
        status = sciml_error(ctx, SCIML_ERR_NOMEM, "fno: out of memory for a batch");
        goto fail;
    }
    const int closed = c->padding > 0;
    for (int64_t b = 0; b < max_batch; b++)
        for (int64_t p = 0; p < points; p++) {
            double *row = fg->scratch + (b * points + p) * c->dims;
            int64_t index[2] = {c->dims == 2 ? p / fg->size[1] : p,
                                c->dims == 2 ? p % fg->size[1] : 0};
            for (int d = 0; d < c->dims; d++)
                row[d] = closed ? (double)index[d] / (double)(fg->size[d] - 1)
                                : (double)index[d] / (double)fg->size[d];
        }
    if ((status =
             sciml_graph_set_input(g, fg->output_mean, model->output_mean, c->output_channels)) ||
        (status =
             sciml_graph_set_input(g, fg->output_std, model->output_std, c->output_channels)) ||
        (status = sciml_graph_set_batch(g, max_batch)) ||
        (status = sciml_graph_set_input(g, fg->grid, fg->scratch, max_batch * points * c->dims)))
        goto fail;
    for (int d = 0; d < 2; d++)
        if (fg->zeros[d] != SCIML_NO_NODE) {
            int64_t n = sciml_graph_count(g, fg->zeros[d]);
            double *zero = calloc((size_t)n, sizeof(double));
            if (!zero) {
                status = sciml_error(ctx, SCIML_ERR_NOMEM, "fno: out of memory");
                goto fail;
            }
            status = sciml_graph_set_input(g, fg->zeros[d], zero, n);
            free(zero);
            if (status)
                goto fail;
        }
    return SCIML_OK;
fail:
    fno_graph_free(fg);
    return status;
}

sciml_status sciml_fno_model_create(sciml_ctx *ctx, const sciml_fno_config *config, uint64_t seed,
                                    sciml_fno_model **out) {
    *out = NULL;
    sciml_status status = check_config(ctx, config);
    if (status)
        return status;
    sciml_fno_model *model = calloc(1, sizeof(*model));
    if (!model)
        return sciml_error(ctx, SCIML_ERR_NOMEM, "fno: out of memory");
    model->ctx = ctx;
    model->config = *config;
    sciml_train_state_init(&model->state, seed);
    for (int64_t k = 0; k < MAX_CHANNELS; k++)
        model->input_std[k] = model->output_std[k] = 1.0;
    /* a small graph at the smallest resolution the modes fit fixes the layout and the
     * initial values */
    int64_t size[2] = {2 * config->modes[0], 2 * config->modes[1]};
    sciml_rng init_rng;
    sciml_rng_seed(&init_rng, seed ^ 0xf0f0f0f0a5a5a5a5ULL);
    fno_graph fg;
    if ((status = build_graph(model, size, 1, 0, 1, &init_rng, &fg))) {
        sciml_fno_model_destroy(&model);
        return status;
    }
    fno_graph_free(&fg);
    *out = model;
    return SCIML_OK;
}

void sciml_fno_model_destroy(sciml_fno_model **model) {
    if (!model || !*model)
        return;
    sciml_fno_model *m = *model;
    free(m->params);
    fno_graph_free(&m->predict);
    sciml_train_state_free(&m->state);
    free(m);
    *model = NULL;
}

const sciml_fno_config *sciml_fno_model_get_config(const sciml_fno_model *model) {
    return &model->config;
}
int64_t sciml_fno_model_parameter_count(const sciml_fno_model *model) {
    return model->parameter_count;
}
int64_t sciml_fno_model_epochs_done(const sciml_fno_model *model) {
    return model->state.epochs_done;
}
int sciml_fno_model_is_checkpoint(const sciml_fno_model *model) {
    return model->state.has_position;
}

static sciml_status check_fields(sciml_fno_model *model, const sciml_field_set *set,
                                 int64_t channels, const char *what) {
    const sciml_fno_config *c = &model->config;
    if (!set->values || set->count < 1)
        return sciml_error(model->ctx, SCIML_ERR_ARG, "fno: no %s samples", what);
    if (set->channels != channels)
        return sciml_error(model->ctx, SCIML_ERR_SHAPE,
                           "fno: %s has %lld channels, the model needs %lld", what,
                           (long long)set->channels, (long long)channels);
    for (int d = 0; d < c->dims; d++) {
        int64_t s = set->size[d];
        int64_t fits = d == 0 && c->dims == 2 ? 2 * c->modes[d] : 2 * (c->modes[d] - 1);
        if (s < 2 || s < fits)
            return sciml_error(model->ctx, SCIML_ERR_SHAPE,
                               "fno: %s has %lld points along dimension %d, too few for %lld "
                               "modes (at least %lld)",
                               what, (long long)s, d + 1, (long long)c->modes[d],
                               (long long)(fits > 2 ? fits : 2));
    }
    return SCIML_OK;
}

/* Per-channel mean and population standard deviation of (count * points, channels). */
static void channel_statistics(const sciml_field_set *set, int64_t points, double *mean,
                               double *std) {
    const int64_t rows = set->count * points, channels = set->channels;
    for (int64_t k = 0; k < channels; k++) {
        double sum = 0.0;
        for (int64_t r = 0; r < rows; r++)
            sum += set->values[r * channels + k];
        mean[k] = sum / (double)rows;
        double squares = 0.0;
        for (int64_t r = 0; r < rows; r++) {
            double d = set->values[r * channels + k] - mean[k];
            squares += d * d;
        }
        std[k] = sqrt(squares / (double)rows);
        if (!(std[k] > 1e-12))
            std[k] = 1.0;
    }
}

/* Standardised copy of (rows, channels) values. */
static double *standardise(const sciml_field_set *set, int64_t points, const double *mean,
                           const double *std) {
    const int64_t rows = set->count * points, channels = set->channels;
    double *copy = sciml_alloc_array((size_t)(rows * channels), sizeof(double));
    if (copy)
        for (int64_t r = 0; r < rows; r++)
            for (int64_t k = 0; k < channels; k++)
                copy[r * channels + k] = (set->values[r * channels + k] - mean[k]) / std[k];
    return copy;
}

typedef struct fno_training {
    fno_graph *train;
    sciml_fno_model *model;
    const sciml_field_set *test_in, *test_out;
    double *test_prediction;
} fno_training;

/* The training graph's parameters into the model and its prediction graph: before a test
 * evaluation or a checkpoint, and at the end of training. */
static void take_params(sciml_fno_model *model, const double *params) {
    memcpy(model->params, params, (size_t)model->parameter_count * sizeof(double));
    if (model->predict.graph)
        memcpy(sciml_graph_params(model->predict.graph), model->params,
               (size_t)model->parameter_count * sizeof(double));
}

static void store_params(void *user, const double *params) { /* before a checkpoint */
    take_params(((fno_training *)user)->model, params);
}

static sciml_status evaluate_test(void *user, const double *params, sciml_train_report *report) {
    fno_training *t = user;
    if (!t->test_in)
        return SCIML_OK;
    sciml_fno_model *model = t->model;
    take_params(model, params);
    sciml_status status =
        sciml_fno_model_predict(model, t->test_in, t->train->max_batch, t->test_prediction);
    if (status)
        return status;
    const int64_t per_sample =
        point_count(&model->config, t->test_out->size) * t->test_out->channels;
    double sum = 0.0;
    for (int64_t n = 0; n < t->test_out->count; n++) {
        double diff = 0.0, ref = 0.0;
        const double *p = t->test_prediction + n * per_sample;
        const double *u = t->test_out->values + n * per_sample;
        for (int64_t i = 0; i < per_sample; i++) {
            diff += (p[i] - u[i]) * (p[i] - u[i]);
            ref += u[i] * u[i];
        }
        sum += ref > 0 ? sqrt(diff / ref) : sqrt(diff);
    }
    report->test_error = sum / (double)t->test_out->count;
    report->test_loss = report->test_error;
    return SCIML_OK;
}

sciml_status sciml_fno_model_train(sciml_fno_model *model, const sciml_field_set *inputs,
                                   const sciml_field_set *outputs, const sciml_field_set *test_in,
                                   const sciml_field_set *test_out,
                                   const sciml_train_options *options) {
    sciml_ctx *ctx = model->ctx;
    const sciml_fno_config *c = &model->config;
    sciml_status status;
    if ((status = check_fields(model, inputs, c->input_channels, "the input")) ||
        (status = check_fields(model, outputs, c->output_channels, "the output")))
        return status;
    if (inputs->count != outputs->count || inputs->size[0] != outputs->size[0] ||
        (c->dims == 2 && inputs->size[1] != outputs->size[1]))
        return sciml_error(ctx, SCIML_ERR_SHAPE,
                           "fno: inputs (%lld samples of %lld points) and outputs (%lld of "
                           "%lld) differ",
                           (long long)inputs->count, (long long)inputs->size[0],
                           (long long)outputs->count, (long long)outputs->size[0]);
    if (options->optimizer == SCIML_OPTIMIZER_LBFGS)
        return sciml_error(ctx, SCIML_ERR_UNSUPPORTED,
                           "fno: --optimizer lbfgs is not supported, use adam or adamw");
    if (test_in && (!test_out || test_in->count != test_out->count))
        return sciml_error(ctx, SCIML_ERR_SHAPE, "fno: test inputs and outputs differ in count");
    if (test_in &&
        ((status = check_fields(model, test_in, c->input_channels, "the test input")) ||
         (status = check_fields(model, test_out, c->output_channels, "the test output"))))
        return status;
    if ((status = sciml_schedule_check(ctx, &options->schedule)))
        return status;
    const int64_t points = point_count(c, inputs->size);
    if (!model->normalized) {
        channel_statistics(inputs, points, model->input_mean, model->input_std);
        channel_statistics(outputs, points, model->output_mean, model->output_std);
        model->normalized = 1;
        fno_graph_free(&model->predict);
    }
    if (!model->padding_grid[0]) { /* the first training, or a model file without its grid */
        for (int d = 0; d < c->dims; d++)
            model->padding_grid[d] = inputs->size[d];
        fno_graph_free(&model->predict);
    }
    const int64_t batch = options->batch < inputs->count ? options->batch : inputs->count;
    double *a = standardise(inputs, points, model->input_mean, model->input_std);
    double *test_prediction = NULL;
    fno_graph train;
    memset(&train, 0, sizeof(train));
    if (!a) {
        status = sciml_error(ctx, SCIML_ERR_NOMEM, "fno: out of memory for the training data");
        goto done;
    }
    if (test_in) {
        test_prediction = sciml_alloc_array(
            (size_t)(test_out->count * point_count(c, test_out->size) * test_out->channels),
            sizeof(double));
        if (!test_prediction) {
            status = sciml_error(ctx, SCIML_ERR_NOMEM, "fno: out of memory for the test set");
            goto done;
        }
    }
    if ((status = build_graph(model, inputs->size, batch, 1, 0, NULL, &train)))
        goto done;
    fno_training context = {&train, model, test_in, test_out, test_prediction};
    sciml_minibatch_problem problem = {
        .graph = train.graph,
        .loss = train.loss,
        .table_count = 2,
        .inputs = {train.input, train.target},
        .tables = {a, outputs->values},
        .sample_count = inputs->count,
        .evaluate = evaluate_test,
        .store = store_params,
        .user = &context,
    };
    status = sciml_train_minibatch(ctx, &problem, &model->state, options);
    take_params(model, sciml_graph_params(train.graph));
done:
    fno_graph_free(&train);
    free(a);
    free(test_prediction);
    return status;
}

sciml_status sciml_fno_model_predict(sciml_fno_model *model, const sciml_field_set *inputs,
                                     int64_t max_batch, double *outputs) {
    const sciml_fno_config *c = &model->config;
    sciml_status status = check_fields(model, inputs, c->input_channels, "the input");
    if (status)
        return status;
    if (max_batch < 1)
        max_batch = 1;
    fno_graph *fg = &model->predict;
    if (!fg->graph || fg->size[0] != inputs->size[0] ||
        (c->dims == 2 && fg->size[1] != inputs->size[1]) || fg->max_batch < max_batch) {
        fno_graph_free(fg);
        if ((status = build_graph(model, inputs->size, max_batch, 0, 0, NULL, fg)))
            return status;
    }
    const int64_t points = point_count(c, inputs->size);
    const int64_t in_row = points * c->input_channels, out_row = points * c->output_channels;
    double *scaled = fg->scratch; /* the grid is already in the graph */
    for (int64_t first = 0; first < inputs->count && status == SCIML_OK; first += fg->max_batch) {
        int64_t n = inputs->count - first < fg->max_batch ? inputs->count - first : fg->max_batch;
        sciml_field_set chunk = *inputs;
        chunk.values = inputs->values + first * in_row;
        chunk.count = n;
        for (int64_t r = 0; r < n * points; r++)
            for (int64_t k = 0; k < c->input_channels; k++)
                scaled[r * c->input_channels + k] =
                    (chunk.values[r * c->input_channels + k] - model->input_mean[k]) /
                    model->input_std[k];
        if ((status = sciml_graph_set_batch(fg->graph, n)) ||
            (status = sciml_graph_set_input(fg->graph, fg->input, scaled, n * in_row)) ||
            (status = sciml_graph_forward(fg->graph, fg->output)) ||
            (status = sciml_graph_get_value(fg->graph, fg->output, outputs + first * out_row,
                                            n * out_row)))
            break;
    }
    return status;
}

/* ---- Model files ------------------------------------------------------------------------- */

static sciml_status put_count(sciml_nc_writer *w, const char *name, int64_t value) {
    return sciml_nc_put_att_int(w, SCIML_NC_GLOBAL, name, value);
}

sciml_status sciml_fno_model_write(sciml_fno_model *model, const char *path,
                                   const sciml_model_provenance *provenance, int checkpoint) {
    sciml_ctx *ctx = model->ctx;
    const sciml_fno_config *c = &model->config;
    if (!model->normalized)
        return sciml_error(ctx, SCIML_ERR_STATE, "fno: cannot write an untrained model");
    /* a graph at the smallest resolution carries the parameter names and shapes */
    int64_t size[2] = {2 * c->modes[0], 2 * c->modes[1]};
    fno_graph fg;
    sciml_status status = build_graph(model, size, 1, 0, 0, NULL, &fg);
    if (status)
        return status;
    sciml_nc_writer *writer = NULL;
    int64_t in_dim, out_dim, vars[4];
    double modes[2] = {(double)c->modes[0], (double)c->modes[1]};
    if ((status = sciml_nc_writer_create(ctx, path, NULL, &writer)))
        goto done;
    if ((status = sciml_nc_def_dim(writer, "input_channel", c->input_channels, &in_dim)) ||
        (status = sciml_nc_def_dim(writer, "output_channel", c->output_channels, &out_dim)) ||
        (status = sciml_nc_def_var(writer, "input_mean", SCIML_NC_DOUBLE, 1, &in_dim, &vars[0])) ||
        (status = sciml_nc_def_var(writer, "input_std", SCIML_NC_DOUBLE, 1, &in_dim, &vars[1])) ||
        (status =
             sciml_nc_def_var(writer, "output_mean", SCIML_NC_DOUBLE, 1, &out_dim, &vars[2])) ||
        (status = sciml_nc_def_var(writer, "output_std", SCIML_NC_DOUBLE, 1, &out_dim, &vars[3])) ||
        (status = sciml_params_define(writer, fg.graph)))
        goto done;
    if ((status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "sciml_kind",
                                        checkpoint ? "checkpoint" : "model")) ||
        (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "sciml_model", "fno")) ||
        (status =
             sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "sciml_version", sciml_version())) ||
        (status = put_count(writer, "dims", c->dims)) ||
        (status = sciml_nc_put_att_double(writer, SCIML_NC_GLOBAL, "modes", SCIML_NC_INT, modes,
                                          c->dims)) ||
        (status = put_count(writer, "width", c->width)) ||
        (status = put_count(writer, "layers", c->layers)) ||
        (status = put_count(writer, "projection", c->projection)) ||
        (status = put_count(writer, "padding", c->padding)) ||
        (status = put_count(writer, "epochs_done", model->state.epochs_done)))
        goto done;
    if (model->padding_grid[0]) {
        double grid[2] = {(double)model->padding_grid[0], (double)model->padding_grid[1]};
        if ((status = sciml_nc_put_att_double(writer, SCIML_NC_GLOBAL, "padding_grid", SCIML_NC_INT,
                                              grid, c->dims)))
            goto done;
    }
    if (provenance) {
        char seed[32];
        snprintf(seed, sizeof(seed), "%llu", (unsigned long long)provenance->seed);
        if ((provenance->input_variable &&
             (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "input_variable",
                                             provenance->input_variable))) ||
            (provenance->output_variable &&
             (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "output_variable",
                                             provenance->output_variable))) ||
            (provenance->source_checksum &&
             (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "sciml_source_checksum",
                                             provenance->source_checksum))) ||
            (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "sciml_seed", seed)) ||
            (provenance->command &&
             ((status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "sciml_command",
                                              provenance->command)) ||
              (status = sciml_nc_append_history(writer, provenance->command)))))
            goto done;
    }
    if (checkpoint && (status = sciml_train_state_define(writer, &model->state))) {
        if (status == SCIML_ERR_STATE)
            status = sciml_error(ctx, SCIML_ERR_STATE, "fno: no optimizer state to checkpoint");
        goto done;
    }
    if ((status = sciml_nc_end_def(writer)) ||
        (status = sciml_nc_write_var(writer, vars[0], 0, c->input_channels, model->input_mean)) ||
        (status = sciml_nc_write_var(writer, vars[1], 0, c->input_channels, model->input_std)) ||
        (status = sciml_nc_write_var(writer, vars[2], 0, c->output_channels, model->output_mean)) ||
        (status = sciml_nc_write_var(writer, vars[3], 0, c->output_channels, model->output_std)) ||
        (status = sciml_params_write(writer, fg.graph)) ||
        (checkpoint && (status = sciml_train_state_write(writer, &model->state))))
        goto done;
    status = sciml_nc_writer_close(&writer);
done:
    sciml_nc_writer_abort(&writer);
    fno_graph_free(&fg);
    return status;
}

sciml_status sciml_fno_model_read(sciml_ctx *ctx, const char *path, sciml_fno_model **out,
                                  char **input_variable, char **output_variable) {
    *out = NULL;
    if (input_variable)
        *input_variable = NULL;
    if (output_variable)
        *output_variable = NULL;
    sciml_nc_reader *reader = NULL;
    sciml_fno_model *model = NULL;
    fno_graph fg;
    memset(&fg, 0, sizeof(fg));
    sciml_status status = sciml_nc_open(ctx, path, &reader);
    if (status)
        return status;
    const char *kind = NULL, *name = NULL;
    if (sciml_nc_get_att_text(reader, SCIML_NC_GLOBAL, "sciml_kind", &kind, NULL) ||
        sciml_nc_get_att_text(reader, SCIML_NC_GLOBAL, "sciml_model", &name, NULL) ||
        (strcmp(kind, "model") && strcmp(kind, "checkpoint")) || strcmp(name, "fno")) {
        status = sciml_error(ctx, SCIML_ERR_FORMAT,
                             "%s: not an FNO model (expected sciml_kind = \"model\" and "
                             "sciml_model = \"fno\")",
                             path);
        goto done;
    }
    int checkpoint = !strcmp(kind, "checkpoint");
    sciml_fno_config config;
    sciml_fno_config_default(&config);
    int64_t value[2] = {0, 0};
    if ((status = sciml_model_read_integers(ctx, reader, "dims", 1, 1, 2, value)))
        goto done;
    config.dims = (int)value[0];
    if ((status = sciml_model_read_integers(ctx, reader, "modes", config.dims, 1, INT64_C(1) << 20,
                                            config.modes)) ||
        (status = sciml_model_read_integers(ctx, reader, "width", 1, 1, 1 << 16, &config.width)) ||
        (status = sciml_model_read_integers(ctx, reader, "projection", 1, 1, 1 << 16,
                                            &config.projection)) ||
        (status =
             sciml_model_read_integers(ctx, reader, "padding", 1, 0, 1 << 16, &config.padding)) ||
        (status =
             sciml_model_read_integers(ctx, reader, "layers", 1, 1, SCIML_FNO_MAX_LAYERS, value)))
        goto done;
    config.layers = (int)value[0];
    int64_t dim;
    if ((status = sciml_nc_find_dim(reader, "input_channel", &dim)))
        goto done;
    config.input_channels = sciml_nc_dim_length(reader, dim);
    if ((status = sciml_nc_find_dim(reader, "output_channel", &dim)))
        goto done;
    config.output_channels = sciml_nc_dim_length(reader, dim);
    if ((status = sciml_fno_model_create(ctx, &config, 0, &model)))
        goto done;
    if ((status = sciml_model_read_vector(ctx, reader, "input_mean", config.input_channels, 0,
                                          model->input_mean)) ||
        (status = sciml_model_read_vector(ctx, reader, "input_std", config.input_channels, 1,
                                          model->input_std)) ||
        (status = sciml_model_read_vector(ctx, reader, "output_mean", config.output_channels, 0,
                                          model->output_mean)) ||
        (status = sciml_model_read_vector(ctx, reader, "output_std", config.output_channels, 1,
                                          model->output_std)))
        goto done;
    model->normalized = 1;
    int64_t index; /* absent from files written before the grid was stored */
    if (sciml_nc_find_att(reader, SCIML_NC_GLOBAL, "padding_grid", &index) == SCIML_OK &&
        (status = sciml_model_read_integers(ctx, reader, "padding_grid", config.dims, 2,
                                            INT64_C(1) << 31, model->padding_grid)))
        goto done;
    int64_t size[2] = {2 * config.modes[0], 2 * config.modes[1]};
    if ((status = build_graph(model, size, 1, 0, 0, NULL, &fg)) ||
        (status = sciml_params_read(ctx, reader, fg.graph)))
        goto done;
    memcpy(model->params, sciml_graph_params(fg.graph),
           (size_t)model->parameter_count * sizeof(double));
    if (checkpoint) {
        if ((status = sciml_train_state_read(ctx, reader, model->parameter_count, &model->state)))
            goto done;
    } else if ((status = sciml_model_read_integers(ctx, reader, "epochs_done", 1, 0,
                                                   INT64_C(1) << 40, &model->state.epochs_done))) {
        goto done;
    }
    if (input_variable)
        *input_variable = sciml_model_copy_text(reader, "input_variable");
    if (output_variable)
        *output_variable = sciml_model_copy_text(reader, "output_variable");
done:
    fno_graph_free(&fg);
    sciml_nc_close(&reader);
    if (status) {
        sciml_fno_model_destroy(&model);
        return status;
    }
    *out = model;
    return SCIML_OK;
}
