/* PI3NN model files (netCDF classic; layout in sciml/pi3nn_model.h and sciml-fields(5)).
 * Each network's parameter vector is stored layer by layer as the graph lays it out (as in the
 * MLP model file, with the network's name as a prefix). Reading validates every attribute
 * against the arrays, and the ratio rows against their documented order, before anything is
 * used. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/model_file.h"
#include "models/pi3nn_model_internal.h"
#include "sciml/netcdf.h"
#include "sciml/nn.h"

enum { MAX_LAYERS = SCIML_MLP_MAX_HIDDEN + 1 };

/* Dimension ids a network's layer sizes map to. */
typedef struct file_dims {
    int64_t input, output, train_sample, one, member_output;
    int64_t hidden[SCIML_MLP_MAX_HIDDEN];
} file_dims;

static int64_t output_dim(const sciml_pi3nn_model *model, const file_dims *dims, int index) {
    if (model->config.method == SCIML_PI3NN_METHOD_ENSEMBLE)
        return dims->member_output;
    return index == 0 ? dims->output : dims->one;
}

static const char *method_name(sciml_pi3nn_method method) {
    return method == SCIML_PI3NN_METHOD_ENSEMBLE ? "ensemble" : "pi3nn";
}

static void format_hidden(const sciml_pi3nn_config *config, char *text, size_t size) {
    size_t used = 0;
    text[0] = '\0';
    for (int l = 0; l < config->hidden_count && used < size; l++)
        used += (size_t)snprintf(text + used, size - used, "%s%lld", l ? "," : "",
                                 (long long)config->hidden[l]);
}

static sciml_status put_text_if(sciml_nc_writer *writer, const char *name, const char *text) {
    return text ? sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, name, text) : SCIML_OK;
}

static sciml_status define_everything(sciml_pi3nn_model *model, sciml_nc_writer *writer,
                                      int64_t *weight_vars, int64_t *bias_vars,
                                      int64_t *stat_vars) {
    const sciml_pi3nn_config *config = &model->config;
    const int pi3nn = config->method == SCIML_PI3NN_METHOD_PI3NN;
    file_dims dims;
    sciml_status status;
    char name[96], prefix[32];
    if ((status = sciml_nc_def_dim(writer, "input", config->input_count, &dims.input)) ||
        (status = sciml_nc_def_dim(writer, "output", config->output_count, &dims.output)) ||
        (status =
             sciml_nc_def_dim(writer, "train_sample", model->train_count, &dims.train_sample)) ||
        (status = sciml_nc_def_dim(writer, "one", 1, &dims.one)) ||
        (status = sciml_nc_def_dim(writer, "member_output", 2 * config->output_count,
                                   &dims.member_output)))
        return status;
    for (int l = 0; l < config->hidden_count; l++) {
        snprintf(name, sizeof(name), "hidden_%d", l);
        if ((status = sciml_nc_def_dim(writer, name, config->hidden[l], &dims.hidden[l])))
            return status;
    }
    const int layers = config->hidden_count + 1;
    for (int k = 0; k < model->network_count; k++) {
        sciml_pi3nn_network_name(model, k, prefix, sizeof(prefix));
        for (int l = 0; l < layers; l++) {
            int64_t in = l == 0 ? dims.input : dims.hidden[l - 1];
            int64_t out = l == layers - 1 ? output_dim(model, &dims, k) : dims.hidden[l];
            int64_t shape[2] = {in, out};
            snprintf(name, sizeof(name), "%s_layer_%d_weight", prefix, l);
            if ((status = sciml_nc_def_var(writer, name, SCIML_NC_DOUBLE, 2, shape,
                                           &weight_vars[k * MAX_LAYERS + l])))
                return status;
            snprintf(name, sizeof(name), "%s_layer_%d_bias", prefix, l);
            if ((status = sciml_nc_def_var(writer, name, SCIML_NC_DOUBLE, 1, &out,
                                           &bias_vars[k * MAX_LAYERS + l])))
                return status;
        }
    }
    int64_t ratio_shape[2] = {dims.output, dims.train_sample};
    if ((status = sciml_nc_def_var(writer, "input_mean", SCIML_NC_DOUBLE, 1, &dims.input,
                                   &stat_vars[0])) ||
        (status = sciml_nc_def_var(writer, "input_std", SCIML_NC_DOUBLE, 1, &dims.input,
                                   &stat_vars[1])) ||
        (status = sciml_nc_def_var(writer, "output_mean", SCIML_NC_DOUBLE, 1, &dims.output,
                                   &stat_vars[2])) ||
        (status = sciml_nc_def_var(writer, "output_std", SCIML_NC_DOUBLE, 1, &dims.output,
                                   &stat_vars[3])) ||
        (status = sciml_nc_def_var(writer, "width_reference", SCIML_NC_DOUBLE, 1, &dims.output,
                                   &stat_vars[4])))
        return status;
    if (pi3nn &&
        ((status = sciml_nc_def_var(writer, "upper_ratio", SCIML_NC_DOUBLE, 2, ratio_shape,
                                    &stat_vars[5])) ||
         (status =
              sciml_nc_put_att_text(writer, stat_vars[5], "long_name",
                                    "(y - f) / |u| over the calibration points, decreasing")) ||
         (status = sciml_nc_def_var(writer, "lower_ratio", SCIML_NC_DOUBLE, 2, ratio_shape,
                                    &stat_vars[6])) ||
         (status =
              sciml_nc_put_att_text(writer, stat_vars[6], "long_name",
                                    "(f - y) / |l| over the calibration points, decreasing")) ||
         (status = sciml_nc_def_var(writer, "upper_floor", SCIML_NC_DOUBLE, 1, &dims.output,
                                    &stat_vars[7])) ||
         (status = sciml_nc_def_var(writer, "lower_floor", SCIML_NC_DOUBLE, 1, &dims.output,
                                    &stat_vars[8]))))
        return status;
    return SCIML_OK;
}

sciml_status sciml_pi3nn_model_write(sciml_pi3nn_model *model, const char *path,
                                     const sciml_model_provenance *provenance, double level) {
    sciml_ctx *ctx = model->ctx;
    if (model->train_count == 0)
        return sciml_error(ctx, SCIML_ERR_STATE, "pi3nn: cannot write an untrained model");
    if (!(level > 0 && level < 1))
        return sciml_error(ctx, SCIML_ERR_RANGE, "confidence level %g: expected a value in (0, 1)",
                           level);
    const sciml_pi3nn_config *config = &model->config;
    const int layers = config->hidden_count + 1;
    int64_t *weight_vars = calloc((size_t)model->network_count * MAX_LAYERS, sizeof(int64_t));
    int64_t *bias_vars = calloc((size_t)model->network_count * MAX_LAYERS, sizeof(int64_t));
    int64_t stat_vars[9] = {0};
    sciml_nc_writer *writer = NULL;
    sciml_status status = SCIML_OK;
    if (!weight_vars || !bias_vars) {
        status = sciml_error(ctx, SCIML_ERR_NOMEM, "pi3nn: out of memory");
        goto fail;
    }
    sciml_nc_writer_options options = sciml_nc_writer_default_options();
    if ((status = sciml_nc_writer_create(ctx, path, &options, &writer)) ||
        (status = define_everything(model, writer, weight_vars, bias_vars, stat_vars)))
        goto fail;
    char hidden[512];
    format_hidden(config, hidden, sizeof(hidden));
    if ((status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "sciml_kind", "model")) ||
        (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "sciml_model", "pi3nn")) ||
        (status =
             sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "sciml_version", sciml_version())) ||
        (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "method",
                                        method_name(config->method))) ||
        (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "hidden", hidden)) ||
        (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "activation",
                                        sciml_activation_name(config->activation))) ||
        (status = sciml_nc_put_att_double(writer, SCIML_NC_GLOBAL, "ood_bias", SCIML_NC_DOUBLE,
                                          &config->ood_bias, 1)) ||
        (status = sciml_nc_put_att_double(writer, SCIML_NC_GLOBAL, "level", SCIML_NC_DOUBLE, &level,
                                          1)) ||
        (status = sciml_nc_put_att_int(
             writer, SCIML_NC_GLOBAL, "ensemble_count",
             config->method == SCIML_PI3NN_METHOD_ENSEMBLE ? config->ensemble_count : 0)))
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
    if ((status = sciml_nc_end_def(writer)))
        goto fail;
    for (int k = 0; k < model->network_count; k++) {
        const sciml_mlp_model *network = model->networks[k];
        int64_t offset = 0;
        for (int l = 0; l < layers; l++) {
            int64_t in = l == 0 ? config->input_count : config->hidden[l - 1];
            int64_t out = l == layers - 1 ? network->config.output_count : config->hidden[l];
            if ((status = sciml_nc_write_var(writer, weight_vars[k * MAX_LAYERS + l], 0, in * out,
                                             network->params + offset)) ||
                (status = sciml_nc_write_var(writer, bias_vars[k * MAX_LAYERS + l], 0, out,
                                             network->params + offset + in * out)))
                goto fail;
            offset += in * out + out;
        }
    }
    const int64_t n_in = config->input_count, m = config->output_count;
    if ((status = sciml_nc_write_var(writer, stat_vars[0], 0, n_in, model->input_norm->mean)) ||
        (status = sciml_nc_write_var(writer, stat_vars[1], 0, n_in, model->input_norm->std)) ||
        (status = sciml_nc_write_var(writer, stat_vars[2], 0, m, model->output_norm->mean)) ||
        (status = sciml_nc_write_var(writer, stat_vars[3], 0, m, model->output_norm->std)) ||
        (status = sciml_nc_write_var(writer, stat_vars[4], 0, m, model->width_reference)))
        goto fail;
    if (config->method == SCIML_PI3NN_METHOD_PI3NN &&
        ((status = sciml_nc_write_var(writer, stat_vars[5], 0, m * model->train_count,
                                      model->upper_ratio)) ||
         (status = sciml_nc_write_var(writer, stat_vars[6], 0, m * model->train_count,
                                      model->lower_ratio)) ||
         (status = sciml_nc_write_var(writer, stat_vars[7], 0, m, model->width_floor)) ||
         (status = sciml_nc_write_var(writer, stat_vars[8], 0, m, model->width_floor + m))))
        goto fail;
    free(weight_vars);
    free(bias_vars);
    return sciml_nc_writer_close(&writer);
fail:
    sciml_nc_writer_abort(&writer);
    free(weight_vars);
    free(bias_vars);
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

static sciml_status read_double_att(sciml_ctx *ctx, sciml_nc_reader *reader, const char *name,
                                    double min, double max, double *value) {
    int64_t length = 0;
    sciml_status status = sciml_nc_get_att_double(reader, SCIML_NC_GLOBAL, name, value, 1, &length);
    if (status == SCIML_ERR_NOT_FOUND)
        return sciml_error(ctx, SCIML_ERR_FORMAT, "%s: model attribute '%s' is missing",
                           sciml_nc_name(reader), name);
    if (status || length != 1 || !(*value >= min && *value <= max))
        return sciml_error(ctx, SCIML_ERR_FORMAT,
                           "%s: model attribute '%s' must be one number in [%g, %g]",
                           sciml_nc_name(reader), name, min, max);
    return SCIML_OK;
}

static sciml_status dim_length(sciml_nc_reader *reader, const char *name, int64_t *length) {
    int64_t dim;
    sciml_status status = sciml_nc_find_dim(reader, name, &dim);
    if (status == SCIML_OK)
        *length = sciml_nc_dim_length(reader, dim);
    return status;
}

/* Reads the configuration attributes and dimensions. */
static sciml_status read_config(sciml_ctx *ctx, sciml_nc_reader *reader, const char *path,
                                sciml_pi3nn_config *config, double *level, int64_t *train_count) {
    const char *kind = NULL, *model_name = NULL, *method = NULL, *hidden = NULL, *activation = NULL;
    sciml_status status;
    if ((status = read_text_att(ctx, reader, "sciml_kind", &kind)) ||
        (status = read_text_att(ctx, reader, "sciml_model", &model_name)))
        return status;
    if (strcmp(kind, "model") || strcmp(model_name, "pi3nn"))
        return sciml_error(ctx, SCIML_ERR_FORMAT,
                           "%s: sciml_kind '%s', sciml_model '%s': expected a pi3nn model", path,
                           kind, model_name);
    memset(config, 0, sizeof(*config));
    if ((status = read_text_att(ctx, reader, "method", &method)) ||
        (status = read_text_att(ctx, reader, "hidden", &hidden)) ||
        (status = read_text_att(ctx, reader, "activation", &activation)))
        return status;
    if (!strcmp(method, "pi3nn"))
        config->method = SCIML_PI3NN_METHOD_PI3NN;
    else if (!strcmp(method, "ensemble"))
        config->method = SCIML_PI3NN_METHOD_ENSEMBLE;
    else
        return sciml_error(ctx, SCIML_ERR_FORMAT,
                           "%s: model attribute method '%s': expected pi3nn or ensemble", path,
                           method);
    if (hidden[0] != '\0' && sciml_parse_hidden(ctx, hidden, config->hidden, SCIML_MLP_MAX_HIDDEN,
                                                &config->hidden_count))
        return sciml_error(ctx, SCIML_ERR_FORMAT, "%s: model attribute hidden: %s", path,
                           sciml_ctx_message(ctx));
    if (sciml_activation_parse(activation, &config->activation))
        return sciml_error(ctx, SCIML_ERR_FORMAT,
                           "%s: model attribute activation '%s' is not an activation", path,
                           activation);
    int64_t members = 0;
    if ((status = read_double_att(ctx, reader, "ood_bias", -1e6, 1e6, &config->ood_bias)) ||
        (status = read_double_att(ctx, reader, "level", 1e-300, 1 - 1e-16, level)) ||
        (status = sciml_model_read_integers(ctx, reader, "ensemble_count", 1, 0,
                                            SCIML_PI3NN_MAX_ENSEMBLE, &members)))
        return status;
    config->ensemble_count = (int)members;
    if ((status = dim_length(reader, "input", &config->input_count)) ||
        (status = dim_length(reader, "output", &config->output_count)) ||
        (status = dim_length(reader, "train_sample", train_count)))
        return status;
    if (*train_count < 2 * SCIML_PI3NN_MIN_SIDE_POINTS)
        return sciml_error(ctx, SCIML_ERR_FORMAT,
                           "%s: dimension train_sample is %lld: expected at least %d", path,
                           (long long)*train_count, 2 * SCIML_PI3NN_MIN_SIDE_POINTS);
    for (int l = 0; l < config->hidden_count; l++) {
        char name[32];
        int64_t length;
        snprintf(name, sizeof(name), "hidden_%d", l);
        if ((status = dim_length(reader, name, &length)))
            return status;
        if (length != config->hidden[l])
            return sciml_error(ctx, SCIML_ERR_FORMAT,
                               "%s: dimension %s is %lld but attribute hidden says %lld", path,
                               name, (long long)length, (long long)config->hidden[l]);
    }
    return SCIML_OK;
}

/* Checks that each row of ratios (rows, n) is in decreasing order. */
/* The floors c of |u| = sqrt(z^2 + c^2), (m) values >= 0; absent in models written before
 * they existed, which read as 0 (|z|, what those models used). */
static sciml_status read_floor(sciml_ctx *ctx, sciml_nc_reader *reader, const char *path,
                               const char *name, int64_t m, double *values) {
    int64_t var;
    if (sciml_nc_find_var(reader, name, &var)) {
        sciml_ctx_clear_error(ctx);
        memset(values, 0, (size_t)m * sizeof(double));
        return SCIML_OK;
    }
    sciml_status status = sciml_model_read_vector(ctx, reader, name, m, 0, values);
    for (int64_t k = 0; k < m && !status; k++)
        if (values[k] < 0)
            status = sciml_error(ctx, SCIML_ERR_FORMAT,
                                 "%s: %s[%lld] is %g: expected a value >= 0 (floor of |u|)", path,
                                 name, (long long)k, values[k]);
    return status;
}

static sciml_status check_sorted(sciml_ctx *ctx, const char *path, const char *name,
                                 const double *ratios, int64_t rows, int64_t n) {
    for (int64_t k = 0; k < rows; k++)
        for (int64_t i = 1; i < n; i++)
            if (ratios[k * n + i] > ratios[k * n + i - 1])
                return sciml_error(ctx, SCIML_ERR_FORMAT,
                                   "%s: %s row %lld is not in decreasing order at %lld", path, name,
                                   (long long)k, (long long)i);
    return SCIML_OK;
}

sciml_status sciml_pi3nn_model_read(sciml_ctx *ctx, const char *path, sciml_pi3nn_model **out,
                                    double *level, char **input_variable, char **output_variable) {
    *out = NULL;
    if (input_variable)
        *input_variable = NULL;
    if (output_variable)
        *output_variable = NULL;
    sciml_nc_reader *reader = NULL;
    sciml_pi3nn_model *model = NULL;
    double *stats = NULL;
    sciml_status status = sciml_nc_open(ctx, path, &reader);
    if (status)
        return status;
    sciml_pi3nn_config config;
    double stored_level = SCIML_PI3NN_DEFAULT_LEVEL;
    int64_t train_count = 0;
    if ((status = read_config(ctx, reader, path, &config, &stored_level, &train_count)) ||
        (status = sciml_pi3nn_model_create(ctx, &config, 0, &model)) ||
        (status = sciml_pi3nn_allocate_statistics(model, train_count)))
        goto done;
    const int layers = config.hidden_count + 1;
    for (int k = 0; k < model->network_count; k++) {
        sciml_mlp_model *network = model->networks[k];
        char prefix[32], name[96];
        sciml_pi3nn_network_name(model, k, prefix, sizeof(prefix));
        int64_t offset = 0;
        for (int l = 0; l < layers; l++) {
            int64_t in = l == 0 ? config.input_count : config.hidden[l - 1];
            int64_t out_size = l == layers - 1 ? network->config.output_count : config.hidden[l];
            snprintf(name, sizeof(name), "%s_layer_%d_weight", prefix, l);
            if ((status = sciml_model_read_vector(ctx, reader, name, in * out_size, 0,
                                                  network->params + offset)))
                goto done;
            snprintf(name, sizeof(name), "%s_layer_%d_bias", prefix, l);
            if ((status = sciml_model_read_vector(ctx, reader, name, out_size, 0,
                                                  network->params + offset + in * out_size)))
                goto done;
            offset += in * out_size + out_size;
        }
    }
    const int64_t n_in = config.input_count, m = config.output_count;
    stats = sciml_alloc_array((size_t)(2 * (n_in > m ? n_in : m)), sizeof(double));
    if (!stats) {
        status = sciml_error(ctx, SCIML_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    if ((status = sciml_model_read_vector(ctx, reader, "input_mean", n_in, 0, stats)) ||
        (status = sciml_model_read_vector(ctx, reader, "input_std", n_in, 1, stats + n_in)) ||
        (status = sciml_normalizer_create(ctx, n_in, &model->input_norm)) ||
        (status = sciml_normalizer_set(ctx, model->input_norm, stats, stats + n_in, n_in)) ||
        (status = sciml_model_read_vector(ctx, reader, "output_mean", m, 0, stats)) ||
        (status = sciml_model_read_vector(ctx, reader, "output_std", m, 1, stats + m)) ||
        (status = sciml_normalizer_create(ctx, m, &model->output_norm)) ||
        (status = sciml_normalizer_set(ctx, model->output_norm, stats, stats + m, m)) ||
        (status =
             sciml_model_read_vector(ctx, reader, "width_reference", m, 1, model->width_reference)))
        goto done;
    if (config.method == SCIML_PI3NN_METHOD_PI3NN &&
        ((status = sciml_model_read_vector(ctx, reader, "upper_ratio", m * train_count, 0,
                                           model->upper_ratio)) ||
         (status = sciml_model_read_vector(ctx, reader, "lower_ratio", m * train_count, 0,
                                           model->lower_ratio)) ||
         (status = read_floor(ctx, reader, path, "upper_floor", m, model->width_floor)) ||
         (status = read_floor(ctx, reader, path, "lower_floor", m, model->width_floor + m)) ||
         (status = check_sorted(ctx, path, "upper_ratio", model->upper_ratio, m, train_count)) ||
         (status = check_sorted(ctx, path, "lower_ratio", model->lower_ratio, m, train_count))))
        goto done;
    for (int k = 0; k < model->network_count && !status; k++)
        status = sciml_pi3nn_share_normalizers(model, k);
    if (status)
        goto done;
    model->train_count = train_count;
    if (level)
        *level = stored_level;
    if (input_variable)
        *input_variable = sciml_model_copy_text(reader, "input_variable");
    if (output_variable)
        *output_variable = sciml_model_copy_text(reader, "output_variable");
done:
    free(stats);
    sciml_nc_close(&reader);
    if (status) {
        sciml_pi3nn_model_destroy(&model);
        return status;
    }
    *out = model;
    return SCIML_OK;
}
