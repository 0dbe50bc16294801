/* DeepONet model files and checkpoints (layout in sciml/deeponet_model.h and
 * sciml-fields(5)). The parameters are stored by name through sciml/param_file.h; the
 * architecture attributes are validated against every array before anything is used. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/deeponet_model_internal.h"
#include "models/model_file.h"
#include "sciml/netcdf.h"
#include "sciml/param_file.h"

static void format_widths(const int64_t *widths, int count, char *text, size_t size) {
    size_t used = 0;
    text[0] = '\0';
    for (int l = 0; l < count && used < size; l++)
        used += (size_t)snprintf(text + used, size - used, "%s%lld", l ? "," : "",
                                 (long long)widths[l]);
}

static sciml_status put_text_if(sciml_nc_writer *writer, const char *name, const char *text) {
    return text && text[0] ? sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, name, text) : SCIML_OK;
}

sciml_status sciml_deeponet_model_write(sciml_deeponet_model *model, const char *path,
                                        const sciml_model_provenance *provenance, int checkpoint) {
    sciml_ctx *ctx = model->ctx;
    const sciml_deeponet_config *c = &model->config;
    if (!model->normalized)
        return sciml_error(ctx, SCIML_ERR_STATE, "deeponet: cannot write an untrained model");
    deeponet_graph dg;
    sciml_status status = sciml_deeponet_build_graph(model, 1, 1, 0, &dg);
    if (status)
        return status;
    sciml_nc_writer *writer = NULL;
    int64_t scalar_dim, sensor_dim, coordinate_dim, output_dim, vars[8];
    char branch[512], trunk[512];
    format_widths(c->branch, c->branch_count, branch, sizeof(branch));
    format_widths(c->trunk, c->trunk_count, trunk, sizeof(trunk));
    if (c->pod)
        snprintf(trunk, sizeof(trunk), "pod");
    if (c->pod && !model->pod_modes)
        return sciml_error(ctx, SCIML_ERR_STATE, "deeponet: the POD trunk is not fitted");
    if ((status = sciml_nc_writer_create(ctx, path, NULL, &writer)))
        goto done;
    if ((status = sciml_nc_def_dim(writer, "scalar", 1, &scalar_dim)) ||
        (status = sciml_nc_def_dim(writer, "sensor", c->sensors, &sensor_dim)) ||
        (status = sciml_nc_def_dim(writer, "coordinate", c->coordinates, &coordinate_dim)) ||
        (status = sciml_nc_def_dim(writer, "output_channel", c->outputs, &output_dim)) ||
        (status =
             sciml_nc_def_var(writer, "sensor_mean", SCIML_NC_DOUBLE, 1, &scalar_dim, &vars[0])) ||
        (status =
             sciml_nc_def_var(writer, "sensor_std", SCIML_NC_DOUBLE, 1, &scalar_dim, &vars[1])) ||
        (status = sciml_nc_def_var(writer, "coordinate_mean", SCIML_NC_DOUBLE, 1, &coordinate_dim,
                                   &vars[2])) ||
        (status = sciml_nc_def_var(writer, "coordinate_std", SCIML_NC_DOUBLE, 1, &coordinate_dim,
                                   &vars[3])) ||
        (status = sciml_nc_def_var(writer, "domain_min", SCIML_NC_DOUBLE, 1, &coordinate_dim,
                                   &vars[4])) ||
        (status = sciml_nc_def_var(writer, "domain_max", SCIML_NC_DOUBLE, 1, &coordinate_dim,
                                   &vars[5])) ||
        (status =
             sciml_nc_def_var(writer, "output_mean", SCIML_NC_DOUBLE, 1, &output_dim, &vars[6])) ||
        (status =
             sciml_nc_def_var(writer, "output_std", SCIML_NC_DOUBLE, 1, &output_dim, &vars[7])) ||
        (status = sciml_params_define(writer, dg.graph)))
        goto done;
    int64_t pod_vars[3] = {-1, -1, -1};
    if (c->pod) { /* the fixed trunk: points, modes and mean outputs (standardised units) */
        int64_t point_dim, feature_dim, dims[2];
        if ((status = sciml_nc_def_dim(writer, "pod_point", model->pod_point_count, &point_dim)) ||
            (status =
                 sciml_nc_def_dim(writer, "feature", sciml_deeponet_features(c), &feature_dim)))
            goto done;
        const int64_t seconds[3] = {coordinate_dim, feature_dim, output_dim};
        const char *names[3] = {"pod_points", "pod_modes", "pod_mean"};
        for (int v = 0; v < 3; v++) {
            dims[0] = point_dim;
            dims[1] = seconds[v];
            if ((status =
                     sciml_nc_def_var(writer, names[v], SCIML_NC_DOUBLE, 2, dims, &pod_vars[v])))
                goto done;
        }
    }
    if ((status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "sciml_kind",
                                        checkpoint ? "checkpoint" : "model")) ||
        (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "sciml_model", "deeponet")) ||
        (status =
             sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "sciml_version", sciml_version())) ||
        (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "layout",
                                        model->unaligned ? "unaligned" : "aligned")) ||
        (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "branch", branch)) ||
        (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "trunk", trunk)) ||
        (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "activation",
                                        sciml_activation_name(c->activation))) ||
        (status = put_text_if(writer, "coordinates", model->coordinate_names)) ||
        (status = sciml_nc_put_att_int(writer, SCIML_NC_GLOBAL, "epochs_done",
                                       model->state.epochs_done)))
        goto done;
    if (provenance) {
        char seed[32];
        snprintf(seed, sizeof(seed), "%llu", (unsigned long long)provenance->seed);
        if ((status = put_text_if(writer, "input_variable", provenance->input_variable)) ||
            (status = put_text_if(writer, "output_variable", provenance->output_variable)) ||
            (status = put_text_if(writer, "sciml_command", provenance->command)) ||
            (status = put_text_if(writer, "sciml_source_checksum", provenance->source_checksum)) ||
            (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "sciml_seed", seed)) ||
            (provenance->command &&
             (status = sciml_nc_append_history(writer, provenance->command))))
            goto done;
    }
    if (checkpoint && (status = sciml_train_state_define(writer, &model->state))) {
        if (status == SCIML_ERR_STATE)
            status =
                sciml_error(ctx, SCIML_ERR_STATE, "deeponet: no optimizer state to checkpoint");
        goto done;
    }
    memcpy(sciml_graph_params(dg.graph), model->params,
           (size_t)model->parameter_count * sizeof(double));
    const int64_t d = c->coordinates, K = c->outputs;
    if ((status = sciml_nc_end_def(writer)) ||
        (status = sciml_nc_write_var(writer, vars[0], 0, 1, &model->sensor_mean)) ||
        (status = sciml_nc_write_var(writer, vars[1], 0, 1, &model->sensor_std)) ||
        (status = sciml_nc_write_var(writer, vars[2], 0, d, model->coordinate_mean)) ||
        (status = sciml_nc_write_var(writer, vars[3], 0, d, model->coordinate_std)) ||
        (status = sciml_nc_write_var(writer, vars[4], 0, d, model->domain_min)) ||
        (status = sciml_nc_write_var(writer, vars[5], 0, d, model->domain_max)) ||
        (status = sciml_nc_write_var(writer, vars[6], 0, K, model->output_mean)) ||
        (status = sciml_nc_write_var(writer, vars[7], 0, K, model->output_std)) ||
        (status = sciml_params_write(writer, dg.graph)) ||
        (c->pod && ((status = sciml_nc_write_var(writer, pod_vars[0], 0, model->pod_point_count * d,
                                                 model->pod_points)) ||
                    (status = sciml_nc_write_var(
                         writer, pod_vars[1], 0,
                         model->pod_point_count * sciml_deeponet_features(c), model->pod_modes)) ||
                    (status = sciml_nc_write_var(writer, pod_vars[2], 0, model->pod_point_count * K,
                                                 model->pod_mean)))) ||
        (checkpoint && (status = sciml_train_state_write(writer, &model->state))))
        goto done;
    status = sciml_nc_writer_close(&writer);
done:
    sciml_nc_writer_abort(&writer);
    sciml_deeponet_graph_free(&dg);
    return status;
}

/* A width list attribute ("40,40") into widths. */
static sciml_status read_widths(sciml_ctx *ctx, sciml_nc_reader *reader, const char *name,
                                int64_t *widths, int *count) {
    const char *text = NULL;
    if (sciml_nc_get_att_text(reader, SCIML_NC_GLOBAL, name, &text, NULL) != SCIML_OK)
        return sciml_error(ctx, SCIML_ERR_FORMAT, "%s: model attribute '%s' is missing",
                           sciml_nc_name(reader), name);
    if (sciml_parse_hidden(ctx, text, widths, SCIML_DEEPONET_MAX_LAYERS, count)) {
        char message[512];
        snprintf(message, sizeof(message), "%s", sciml_ctx_message(ctx));
        return sciml_error(ctx, SCIML_ERR_FORMAT, "%s: model attribute %s: %s",
                           sciml_nc_name(reader), name, message);
    }
    return SCIML_OK;
}

static sciml_status dim_length(sciml_ctx *ctx, sciml_nc_reader *reader, const char *name,
                               int64_t *length) {
    int64_t dim;
    if (sciml_nc_find_dim(reader, name, &dim) != SCIML_OK) {
        sciml_ctx_clear_error(ctx);
        return sciml_error(ctx, SCIML_ERR_FORMAT, "%s: model dimension '%s' is missing",
                           sciml_nc_name(reader), name);
    }
    *length = sciml_nc_dim_length(reader, dim);
    return SCIML_OK;
}

sciml_status sciml_deeponet_model_read(sciml_ctx *ctx, const char *path, sciml_deeponet_model **out,
                                       char **input_variable, char **output_variable) {
    *out = NULL;
    if (input_variable)
        *input_variable = NULL;
    if (output_variable)
        *output_variable = NULL;
    sciml_nc_reader *reader = NULL;
    sciml_deeponet_model *model = NULL;
    deeponet_graph dg;
    memset(&dg, 0, sizeof(dg));
    sciml_status status = sciml_nc_open(ctx, path, &reader);
    if (status)
        return status;
    const char *kind = NULL, *name = NULL, *layout = NULL, *activation = NULL;
    if (sciml_nc_get_att_text(reader, SCIML_NC_GLOBAL, "sciml_kind", &kind, NULL) ||
        sciml_nc_get_att_text(reader, SCIML_NC_GLOBAL, "sciml_model", &name, NULL) ||
        (strcmp(kind, "model") && strcmp(kind, "checkpoint")) || strcmp(name, "deeponet")) {
        status = sciml_error(ctx, SCIML_ERR_FORMAT,
                             "%s: not a DeepONet model (expected sciml_kind = \"model\" and "
                             "sciml_model = \"deeponet\")",
                             path);
        goto done;
    }
    const int checkpoint = !strcmp(kind, "checkpoint");
    if (sciml_nc_get_att_text(reader, SCIML_NC_GLOBAL, "layout", &layout, NULL) ||
        (strcmp(layout, "aligned") && strcmp(layout, "unaligned"))) {
        status = sciml_error(ctx, SCIML_ERR_FORMAT,
                             "%s: model attribute 'layout' is missing or not \"aligned\" or "
                             "\"unaligned\"",
                             path);
        goto done;
    }
    const int unaligned = !strcmp(layout, "unaligned");
    sciml_deeponet_config config;
    sciml_deeponet_config_default(&config);
    const char *trunk_text = NULL;
    config.pod =
        sciml_nc_get_att_text(reader, SCIML_NC_GLOBAL, "trunk", &trunk_text, NULL) == SCIML_OK &&
        !strcmp(trunk_text, "pod");
    if ((status = read_widths(ctx, reader, "branch", config.branch, &config.branch_count)) ||
        (!config.pod &&
         (status = read_widths(ctx, reader, "trunk", config.trunk, &config.trunk_count))))
        goto done;
    if (config.pod) {
        config.trunk_count = 1;
        config.trunk[0] = config.branch[config.branch_count - 1];
    }
    if (sciml_nc_get_att_text(reader, SCIML_NC_GLOBAL, "activation", &activation, NULL) ||
        sciml_activation_parse(activation, &config.activation)) {
        status =
            sciml_error(ctx, SCIML_ERR_FORMAT,
                        "%s: model attribute 'activation' is missing or not an activation", path);
        goto done;
    }
    if ((status = dim_length(ctx, reader, "sensor", &config.sensors)) ||
        (status = dim_length(ctx, reader, "coordinate", &config.coordinates)) ||
        (status = dim_length(ctx, reader, "output_channel", &config.outputs)))
        goto done;
    if ((status = sciml_deeponet_check_config(ctx, &config))) {
        char message[512];
        snprintf(message, sizeof(message), "%s", sciml_ctx_message(ctx));
        status = sciml_error(ctx, SCIML_ERR_FORMAT, "%s: %s", path, message);
        goto done;
    }
    if ((status = sciml_deeponet_model_create(ctx, &config, 0, &model)))
        goto done;
    const int64_t d = config.coordinates, K = config.outputs;
    if ((status = sciml_model_read_vector(ctx, reader, "sensor_mean", 1, 0, &model->sensor_mean)) ||
        (status = sciml_model_read_vector(ctx, reader, "sensor_std", 1, 1, &model->sensor_std)) ||
        (status = sciml_model_read_vector(ctx, reader, "coordinate_mean", d, 0,
                                          model->coordinate_mean)) ||
        (status =
             sciml_model_read_vector(ctx, reader, "coordinate_std", d, 1, model->coordinate_std)) ||
        (status = sciml_model_read_vector(ctx, reader, "domain_min", d, 0, model->domain_min)) ||
        (status = sciml_model_read_vector(ctx, reader, "domain_max", d, 0, model->domain_max)) ||
        (status = sciml_model_read_vector(ctx, reader, "output_mean", K, 0, model->output_mean)) ||
        (status = sciml_model_read_vector(ctx, reader, "output_std", K, 1, model->output_std)))
        goto done;
    model->normalized = 1;
    model->unaligned = unaligned;
    if (config.pod) {
        int64_t P = 0;
        const int64_t p = sciml_deeponet_features(&config);
        if ((status = dim_length(ctx, reader, "pod_point", &P)))
            goto done;
        model->pod_points = sciml_alloc_array((size_t)(P * d), sizeof(double));
        model->pod_modes = sciml_alloc_array((size_t)P * (size_t)p, sizeof(double));
        model->pod_mean = sciml_alloc_array((size_t)(P * K), sizeof(double));
        if (!model->pod_points || !model->pod_modes || !model->pod_mean) {
            status = sciml_error(ctx, SCIML_ERR_NOMEM, "%s: out of memory for the POD trunk", path);
            goto done;
        }
        model->pod_point_count = P;
        if ((status =
                 sciml_model_read_vector(ctx, reader, "pod_points", P * d, 0, model->pod_points)) ||
            (status =
                 sciml_model_read_vector(ctx, reader, "pod_modes", P * p, 0, model->pod_modes)) ||
            (status = sciml_model_read_vector(ctx, reader, "pod_mean", P * K, 0, model->pod_mean)))
            goto done;
    }
    if ((status = sciml_deeponet_build_graph(model, 1, 1, 0, &dg)) ||
        (status = sciml_params_read(ctx, reader, dg.graph)))
        goto done;
    memcpy(model->params, sciml_graph_params(dg.graph),
           (size_t)model->parameter_count * sizeof(double));
    const char *names = NULL;
    if (sciml_nc_get_att_text(reader, SCIML_NC_GLOBAL, "coordinates", &names, NULL) == SCIML_OK &&
        (status = sciml_deeponet_model_set_coordinate_names(model, names)))
        goto done;
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
    sciml_deeponet_graph_free(&dg);
    sciml_nc_close(&reader);
    if (status) {
        sciml_deeponet_model_destroy(&model);
        return status;
    }
    *out = model;
    return SCIML_OK;
}
