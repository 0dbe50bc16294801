/* MLP model files and checkpoints (netCDF classic; layout in sciml/mlp_model.h and
 * sciml-fields(5)). The parameter vector is stored layer by layer, as the graph lays it out:
 * layer l's weight (sizes[l], sizes[l+1]) row-major, then its bias (sizes[l+1]). Reading
 * validates every attribute against the arrays before anything is used, so a file whose
 * attributes and arrays disagree is rejected with a message naming both. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/mlp_model_internal.h"
#include "models/model_file.h"
#include "sciml/netcdf.h"

/* Layer widths: input, hidden..., output. Returns the layer count (hidden_count + 1). */
static int layer_sizes(const sciml_mlp_model_config *config, int64_t *sizes) {
    sizes[0] = config->input_count;
    for (int l = 0; l < config->hidden_count; l++)
        sizes[l + 1] = config->hidden[l];
    sizes[config->hidden_count + 1] = config->output_count;
    return config->hidden_count + 1;
}

static void format_hidden(const sciml_mlp_model_config *config, char *text, size_t size) {
    size_t used = 0;
    text[0] = '\0';
    for (int l = 0; l < config->hidden_count && used < size; l++)
        used += (size_t)snprintf(text + used, size - used, "%s%lld", l ? "," : "",
                                 (long long)config->hidden[l]);
}

static sciml_status put_text_if(sciml_nc_writer *writer, const char *name, const char *text) {
    return text ? sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, name, text) : SCIML_OK;
}

sciml_status sciml_mlp_model_write(sciml_mlp_model *model, const char *path,
                                   const sciml_model_provenance *provenance, int checkpoint) {
    sciml_ctx *ctx = model->ctx;
    if (!model->input_norm || !model->output_norm)
        return sciml_error(ctx, SCIML_ERR_STATE, "mlp: cannot write an untrained model");
    const sciml_mlp_model_config *config = &model->config;
    int64_t sizes[SCIML_MLP_MAX_HIDDEN + 2];
    int layers = layer_sizes(config, sizes);
    int64_t size_dims[SCIML_MLP_MAX_HIDDEN + 2];
    int64_t weight_vars[SCIML_MLP_MAX_HIDDEN + 1], bias_vars[SCIML_MLP_MAX_HIDDEN + 1];
    int64_t input_mean, input_std, output_mean, output_std;
    sciml_nc_writer *writer = NULL;
    sciml_status status = sciml_nc_writer_create(ctx, path, NULL, &writer);
    if (status)
        return status;
    char name[64];
    for (int l = 0; l <= layers; l++) {
        if (l == 0)
            snprintf(name, sizeof(name), "input");
        else if (l == layers)
            snprintf(name, sizeof(name), "output");
        else
            snprintf(name, sizeof(name), "hidden_%d", l - 1);
        if ((status = sciml_nc_def_dim(writer, name, sizes[l], &size_dims[l])))
            goto fail;
    }
    for (int l = 0; l < layers; l++) {
        int64_t dims[2] = {size_dims[l], size_dims[l + 1]};
        snprintf(name, sizeof(name), "layer_%d_weight", l);
        if ((status = sciml_nc_def_var(writer, name, SCIML_NC_DOUBLE, 2, dims, &weight_vars[l])))
            goto fail;
        snprintf(name, sizeof(name), "layer_%d_bias", l);
        if ((status = sciml_nc_def_var(writer, name, SCIML_NC_DOUBLE, 1, &size_dims[l + 1],
                                       &bias_vars[l])))
            goto fail;
    }
    if ((status = sciml_nc_def_var(writer, "input_mean", SCIML_NC_DOUBLE, 1, &size_dims[0],
                                   &input_mean)) ||
        (status = sciml_nc_def_var(writer, "input_std", SCIML_NC_DOUBLE, 1, &size_dims[0],
                                   &input_std)) ||
        (status = sciml_nc_def_var(writer, "output_mean", SCIML_NC_DOUBLE, 1, &size_dims[layers],
                                   &output_mean)) ||
        (status = sciml_nc_def_var(writer, "output_std", SCIML_NC_DOUBLE, 1, &size_dims[layers],
                                   &output_std)))
        goto fail;
    char hidden[512];
    format_hidden(config, hidden, sizeof(hidden));
    if ((status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "sciml_kind",
                                        checkpoint ? "checkpoint" : "model")) ||
        (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "sciml_model", "mlp")) ||
        (status =
             sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "sciml_version", sciml_version())) ||
        (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "hidden", hidden)) ||
        (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "activation",
                                        sciml_activation_name(config->activation))) ||
        (status = sciml_nc_put_att_int(writer, SCIML_NC_GLOBAL, "epochs_done",
                                       model->state.epochs_done)))
        goto fail;
    if (provenance) {
        char seed[32];
        snprintf(seed, sizeof(seed), "%" PRIu64, provenance->seed);
        if ((status = put_text_if(writer, "input_variable", provenance->input_variable)) ||
            (status = put_text_if(writer, "output_variable", provenance->output_variable)) ||
            (status = put_text_if(writer, "sciml_command", provenance->command)) ||
            (status = put_text_if(writer, "sciml_source_checksum", provenance->source_checksum)) ||
            (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "sciml_seed", seed)) ||
            (provenance->command &&
             (status = sciml_nc_append_history(writer, provenance->command))))
            goto fail;
    }
    if (checkpoint && (status = sciml_train_state_define(writer, &model->state))) {
        if (status == SCIML_ERR_STATE)
            status = sciml_error(ctx, SCIML_ERR_STATE, "mlp: no optimizer state to checkpoint");
        goto fail;
    }
    if ((status = sciml_nc_end_def(writer)))
        goto fail;
    int64_t offset = 0;
    for (int l = 0; l < layers; l++) {
        int64_t weights = sizes[l] * sizes[l + 1];
        if ((status =
                 sciml_nc_write_var(writer, weight_vars[l], 0, weights, model->params + offset)) ||
            (status = sciml_nc_write_var(writer, bias_vars[l], 0, sizes[l + 1],
                                         model->params + offset + weights)))
            goto fail;
        offset += weights + sizes[l + 1];
    }
    if ((status = sciml_nc_write_var(writer, input_mean, 0, sizes[0], model->input_norm->mean)) ||
        (status = sciml_nc_write_var(writer, input_std, 0, sizes[0], model->input_norm->std)) ||
        (status =
             sciml_nc_write_var(writer, output_mean, 0, sizes[layers], model->output_norm->mean)) ||
        (status =
             sciml_nc_write_var(writer, output_std, 0, sizes[layers], model->output_norm->std)))
        goto fail;
    if (checkpoint && (status = sciml_train_state_write(writer, &model->state)))
        goto fail;
    return sciml_nc_writer_close(&writer);
fail:
    sciml_nc_writer_abort(&writer);
    return status;
}

static sciml_status read_text_att(sciml_ctx *ctx, sciml_nc_reader *reader, const char *name,
                                  const char **text) {
    sciml_status status = sciml_nc_get_att_text(reader, SCIML_NC_GLOBAL, name, text, NULL);
    if (status == SCIML_ERR_NOT_FOUND)
        return sciml_error(ctx, SCIML_ERR_FORMAT, "%s: model attribute '%s' is missing",
                           sciml_nc_name(reader), name);
    return status;
}

sciml_status sciml_mlp_model_read(sciml_ctx *ctx, const char *path, sciml_mlp_model **out,
                                  char **input_variable, char **output_variable) {
    *out = NULL;
    if (input_variable)
        *input_variable = NULL;
    if (output_variable)
        *output_variable = NULL;
    sciml_nc_reader *reader = NULL;
    sciml_mlp_model *model = NULL;
    double *stats = NULL;
    sciml_status status = sciml_nc_open(ctx, path, &reader);
    if (status)
        return status;
    const char *kind = NULL, *model_name = NULL, *hidden_text = NULL, *activation_text = NULL;
    if ((status = read_text_att(ctx, reader, "sciml_kind", &kind)) ||
        (status = read_text_att(ctx, reader, "sciml_model", &model_name)))
        goto done;
    int checkpoint = !strcmp(kind, "checkpoint");
    if ((strcmp(kind, "model") && !checkpoint) || strcmp(model_name, "mlp")) {
        status = sciml_error(ctx, SCIML_ERR_FORMAT,
                             "%s: sciml_kind '%s', sciml_model '%s': expected an mlp model", path,
                             kind, model_name);
        goto done;
    }
    sciml_mlp_model_config config;
    memset(&config, 0, sizeof(config));
    if ((status = read_text_att(ctx, reader, "hidden", &hidden_text)) ||
        (status = read_text_att(ctx, reader, "activation", &activation_text)))
        goto done;
    if (hidden_text[0] != '\0' &&
        (status = sciml_parse_hidden(ctx, hidden_text, config.hidden, SCIML_MLP_MAX_HIDDEN,
                                     &config.hidden_count))) {
        status = sciml_error(ctx, SCIML_ERR_FORMAT, "%s: model attribute hidden: %s", path,
                             sciml_ctx_message(ctx));
        goto done;
    }
    if (sciml_activation_parse(activation_text, &config.activation)) {
        status = sciml_error(ctx, SCIML_ERR_FORMAT,
                             "%s: model attribute activation '%s' is not an activation", path,
                             activation_text);
        goto done;
    }
    int64_t dim;
    if ((status = sciml_nc_find_dim(reader, "input", &dim)))
        goto done;
    config.input_count = sciml_nc_dim_length(reader, dim);
    if ((status = sciml_nc_find_dim(reader, "output", &dim)))
        goto done;
    config.output_count = sciml_nc_dim_length(reader, dim);
    for (int l = 0; l < config.hidden_count; l++) {
        char name[32];
        snprintf(name, sizeof(name), "hidden_%d", l);
        if ((status = sciml_nc_find_dim(reader, name, &dim)))
            goto done;
        if (sciml_nc_dim_length(reader, dim) != config.hidden[l]) {
            status = sciml_error(ctx, SCIML_ERR_FORMAT,
                                 "%s: dimension %s is %lld but attribute hidden says %lld", path,
                                 name, (long long)sciml_nc_dim_length(reader, dim),
                                 (long long)config.hidden[l]);
            goto done;
        }
    }
    uint64_t unused_seed = 0;
    if ((status = sciml_mlp_model_create(ctx, &config, unused_seed, &model)))
        goto done;
    int64_t sizes[SCIML_MLP_MAX_HIDDEN + 2];
    int layers = layer_sizes(&config, sizes);
    int64_t offset = 0;
    for (int l = 0; l < layers; l++) {
        char name[32];
        int64_t weights = sizes[l] * sizes[l + 1];
        snprintf(name, sizeof(name), "layer_%d_weight", l);
        if ((status =
                 sciml_model_read_vector(ctx, reader, name, weights, 0, model->params + offset)))
            goto done;
        snprintf(name, sizeof(name), "layer_%d_bias", l);
        if ((status = sciml_model_read_vector(ctx, reader, name, sizes[l + 1], 0,
                                              model->params + offset + weights)))
            goto done;
        offset += weights + sizes[l + 1];
    }
    int64_t n_in = config.input_count, n_out = config.output_count;
    stats = sciml_alloc_array((size_t)(2 * (n_in > n_out ? n_in : n_out)), sizeof(double));
    if (!stats) {
        status = sciml_error(ctx, SCIML_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    const char *names[2][2] = {{"input_mean", "input_std"}, {"output_mean", "output_std"}};
    for (int side = 0; side < 2; side++) {
        int64_t n = side ? n_out : n_in;
        sciml_normalizer **norm = side ? &model->output_norm : &model->input_norm;
        if ((status = sciml_model_read_vector(ctx, reader, names[side][0], n, 0, stats)) ||
            (status = sciml_model_read_vector(ctx, reader, names[side][1], n, 0, stats + n)))
            goto done;
        for (int64_t i = 0; i < n; i++)
            if (!(stats[n + i] > 0)) {
                status = sciml_error(ctx, SCIML_ERR_FORMAT,
                                     "%s: %s[%lld] is %g: expected a positive standard "
                                     "deviation",
                                     path, names[side][1], (long long)i, stats[n + i]);
                goto done;
            }
        if ((status = sciml_normalizer_create(ctx, n, norm)) ||
            (status = sciml_normalizer_set(ctx, *norm, stats, stats + n, n)))
            goto done;
    }
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
    free(stats);
    sciml_nc_close(&reader);
    if (status) {
        sciml_mlp_model_destroy(&model);
        return status;
    }
    *out = model;
    return SCIML_OK;
}
