/* sciml-train deeponet: deep operator network on aligned data (every function on the same
 * query grid, trained as a cartesian product) or unaligned triplets (function, point, value). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sciml/deeponet_model.h"
#include "sciml/netcdf.h"
#include "sciml/nn.h"
#include "tool.h"
#include "train_run.h"

static sciml_status write_deeponet(void *m, const char *path, const sciml_model_provenance *p,
                                   int checkpoint) {
    return sciml_deeponet_model_write(m, path, p, checkpoint);
}
static int64_t deeponet_epochs(const void *m) {
    return sciml_deeponet_model_epochs_done(m);
}
static int64_t deeponet_parameters(const void *m) {
    return sciml_deeponet_model_parameter_count(m);
}

/* Full batch unless --batch; --iterations counts optimizer steps unless --epochs is given.
 * Then the shared start (log, progress, Ctrl-C, periodic checkpoints of model); 0, or 1 after
 * printing an error. */
static int start_deeponet_run(training_run *run, sciml_deeponet_model *model, int64_t count) {
    const train_options *o = run->o;
    run->options.batch = o->batch_given ? o->batch : count;
    if (!o->epochs_given) {
        const int64_t batches = (count + run->options.batch - 1) / run->options.batch;
        run->options.epochs = (o->iterations + batches - 1) / batches;
        run->options.schedule.period =
            run->options.epochs - o->warmup > 0 ? run->options.epochs - o->warmup : 1;
    }
    const model_handle handle = {model, write_deeponet, deeponet_epochs, deeponet_parameters};
    if (train_run_start(run, &handle))
        return 1;
    run->report.epochs = run->options.epochs;
    return 0;
}

/* The query grid of a DeepONet data file: the coordinate variables of its output variable
 * (`output`, else the stored name, else the one with sciml_role = "output"). */
static int read_deeponet_grid(training_run *run, const char *path, const char *output,
                              sciml_deeponet_grid *grid) {
    sciml_ctx *ctx = run->ctx;
    sciml_nc_reader *reader = NULL;
    if (!strcmp(path, "-")) {
        tool_error("-: deeponet reads the query coordinates before the data: give --data and "
                   "--test as files, not standard input");
        return 1;
    }
    const char *name = output;
    if (sciml_nc_open(ctx, path, &reader) ||
        (!name && sciml_dataset_find_role(ctx, reader, "output", &name)) ||
        sciml_deeponet_grid_of_variable(ctx, reader, name, grid)) {
        sciml_nc_close(&reader);
        return tool_fail(ctx);
    }
    sciml_nc_close(&reader);
    return 0;
}

/* Joins the grid's coordinate names with commas. */
static void grid_names(const sciml_deeponet_grid *grid, char *text, size_t size) {
    size_t used = 0;
    text[0] = '\0';
    for (int k = 0; k < grid->dims && used < size; k++)
        used += (size_t)snprintf(text + used, size - used, "%s%s", k ? "," : "", grid->names[k]);
}

/* The query variable of an unaligned DeepONet file: --query, else the variable with
 * sciml_role = "query"; *name NULL (aligned layout) when there is none. Reads it into points
 * and the names of its coordinates into names (the attribute sciml_coordinates, else the
 * variable's own name for one coordinate). */
static int read_deeponet_query(training_run *run, const char *path, const char *query,
                               sciml_array *points, char *names, size_t size) {
    sciml_ctx *ctx = run->ctx;
    sciml_nc_reader *reader = NULL;
    const char *name = query;
    names[0] = '\0';
    if (!strcmp(path, "-"))
        return 0; /* a pipe: the aligned layout unless --query (then an error below) */
    if (sciml_nc_open(ctx, path, &reader))
        return tool_fail(ctx);
    if (!name && sciml_dataset_find_role(ctx, reader, "query", &name) != SCIML_OK) {
        sciml_ctx_clear_error(ctx);
        sciml_nc_close(&reader);
        return 0;
    }
    int64_t var;
    const char *coordinates = NULL;
    if (sciml_nc_find_var(reader, name, &var) == SCIML_OK &&
        sciml_nc_get_att_text(reader, var, "sciml_coordinates", &coordinates, NULL) == SCIML_OK)
        snprintf(names, size, "%s", coordinates);
    else
        sciml_ctx_clear_error(ctx);
    if (sciml_array_read(ctx, reader, name, points)) {
        sciml_nc_close(&reader);
        return tool_fail(ctx);
    }
    sciml_nc_close(&reader);
    if (!names[0] && points->feature_count == 1)
        snprintf(names, size, "%s", points->name);
    return 0;
}

/* DeepONet on triplets: v(sample, sensor), the query points (sample[, coordinate]) already
 * read, u(sample[, channel]). Takes ownership of model (a checkpoint to resume, or NULL). */
static int train_deeponet_unaligned(training_run *run, sciml_deeponet_model *model,
                                    const sciml_array *query, const char *names) {
    sciml_ctx *ctx = run->ctx;
    const train_options *o = run->o;
    int exit_code = TOOL_EXIT_FAILURE;
    sciml_array test_query;
    memset(&test_query, 0, sizeof(test_query));
    char test_names[SCIML_NC_MAX_NAME + 8];
    if (!strcmp(o->trunk, "pod")) {
        tool_error("%s: '%s' gives one query point per sample (the unaligned layout): --trunk "
                   "pod needs the aligned layout, one grid for every function",
                   o->data, query->name);
        goto done;
    }
    if (train_run_read_data(run) ||
        (o->test && read_deeponet_query(run, o->test, query->name, &test_query, test_names,
                                        sizeof(test_names))))
        goto done;
    if (o->test && (!test_query.values || test_query.feature_count != query->feature_count ||
                    test_query.sample_count != run->test_x.sample_count)) {
        tool_error("%s: expected the query variable '%s' with %lld coordinates per sample and "
                   "one sample per input, as in %s",
                   o->test, query->name, (long long)query->feature_count, o->data);
        goto done;
    }
    if (query->sample_count != run->x.sample_count) {
        tool_error("%s: '%s' has %lld samples and '%s' %lld: expected one query point per "
                   "sample",
                   o->data, query->name, (long long)query->sample_count, run->x.name,
                   (long long)run->x.sample_count);
        goto done;
    }
    const int64_t d = query->feature_count, K = run->y.feature_count;
    if (!model) {
        sciml_deeponet_config config;
        sciml_deeponet_config_default(&config);
        config.sensors = run->x.feature_count;
        config.coordinates = d;
        config.outputs = K;
        sciml_activation_parse(o->activation, &config.activation);
        if (sciml_parse_hidden(ctx, o->branch, config.branch, SCIML_DEEPONET_MAX_LAYERS,
                               &config.branch_count) ||
            sciml_parse_hidden(ctx, o->trunk, config.trunk, SCIML_DEEPONET_MAX_LAYERS,
                               &config.trunk_count) ||
            sciml_deeponet_model_create(ctx, &config, o->seed, &model) ||
            (names[0] && sciml_deeponet_model_set_coordinate_names(model, names))) {
            tool_fail(ctx);
            goto done;
        }
    } else {
        const sciml_deeponet_config *config = sciml_deeponet_model_get_config(model);
        if (config->sensors != run->x.feature_count || config->coordinates != d ||
            config->outputs != K) {
            tool_error("%s: data has %lld sensors, %lld coordinates and %lld outputs, the "
                       "checkpoint %s expects %lld, %lld and %lld",
                       o->data, (long long)run->x.feature_count, (long long)d, (long long)K,
                       o->resume, (long long)config->sensors, (long long)config->coordinates,
                       (long long)config->outputs);
            goto done;
        }
    }
    const int64_t count = run->x.sample_count;
    if (start_deeponet_run(run, model, count))
        goto done;
    sciml_deeponet_triplets train = {run->x.values, query->values, run->y.values, count};
    sciml_deeponet_triplets test = {run->test_x.values, test_query.values, run->test_y.values,
                                    run->test_x.sample_count};
    sciml_status status =
        sciml_deeponet_model_train_unaligned(model, &train, o->test ? &test : NULL, &run->options);
    exit_code = train_run_finish(run, status);
done:
    sciml_array_free(&test_query);
    sciml_deeponet_model_destroy(&model);
    return exit_code;
}

int train_deeponet(training_run *run) {
    sciml_ctx *ctx = run->ctx;
    const train_options *o = run->o;
    sciml_deeponet_model *model = NULL;
    sciml_deeponet_grid grid, test_grid;
    memset(&grid, 0, sizeof(grid));
    memset(&test_grid, 0, sizeof(test_grid));
    int exit_code = TOOL_EXIT_FAILURE;
    if (o->resume) {
        if (sciml_deeponet_model_read(ctx, o->resume, &model, &run->stored_input,
                                      &run->stored_output)) {
            tool_fail(ctx);
            goto done;
        }
        train_run_warn_resume(o, sciml_deeponet_model_is_checkpoint(model));
    }
    const char *output = o->output_variable ? o->output_variable : run->stored_output;
    sciml_array query, test_query;
    memset(&query, 0, sizeof(query));
    memset(&test_query, 0, sizeof(test_query));
    char query_names[SCIML_NC_MAX_NAME + 8];
    if (o->query && !strcmp(o->data, "-")) {
        tool_error("-: --query reads the query points before the data: give --data as a file");
        goto done;
    }
    if (read_deeponet_query(run, o->data, o->query, &query, query_names, sizeof(query_names)))
        goto done;
    if (query.values) {
        exit_code = train_deeponet_unaligned(run, model, &query, query_names);
        model = NULL; /* owned by the unaligned run now */
        goto done;
    }
    if (read_deeponet_grid(run, o->data, output, &grid) || train_run_read_data(run) ||
        (o->test && read_deeponet_grid(run, o->test, run->y.name, &test_grid)))
        goto done;
    const sciml_deeponet_grid *grids[2] = {&grid, &test_grid};
    const sciml_array *outputs[2] = {&run->y, &run->test_y};
    for (int k = 0; k < (o->test ? 2 : 1); k++) {
        if (outputs[k]->feature_count != grids[k]->point_count * grids[k]->channels ||
            grids[k]->dims != grid.dims || grids[k]->channels != grid.channels) {
            tool_error("%s: '%s' has %lld values per sample on %lld points of %d coordinates "
                       "with %lld outputs: expected one value per query point and output, as "
                       "in %s",
                       k ? o->test : o->data, outputs[k]->name,
                       (long long)outputs[k]->feature_count, (long long)grids[k]->point_count,
                       grids[k]->dims, (long long)grids[k]->channels, o->data);
            goto done;
        }
    }
    if (!model) {
        sciml_deeponet_config config;
        sciml_deeponet_config_default(&config);
        config.sensors = run->x.feature_count;
        config.coordinates = grid.dims;
        config.outputs = grid.channels;
        sciml_activation_parse(o->activation, &config.activation);
        char names[256];
        grid_names(&grid, names, sizeof(names));
        config.pod = !strcmp(o->trunk, "pod");
        sciml_status parsed = sciml_parse_hidden(ctx, o->branch, config.branch,
                                                 SCIML_DEEPONET_MAX_LAYERS, &config.branch_count);
        if (parsed == SCIML_OK && config.pod) { /* p modes: the branch's last width */
            config.trunk_count = 1;
            config.trunk[0] = config.branch[config.branch_count - 1];
        } else if (parsed == SCIML_OK) {
            parsed = sciml_parse_hidden(ctx, o->trunk, config.trunk, SCIML_DEEPONET_MAX_LAYERS,
                                        &config.trunk_count);
        }
        if (parsed || sciml_deeponet_model_create(ctx, &config, o->seed, &model) ||
            sciml_deeponet_model_set_coordinate_names(model, names)) {
            tool_fail(ctx);
            goto done;
        }
    } else {
        const sciml_deeponet_config *config = sciml_deeponet_model_get_config(model);
        if (config->sensors != run->x.feature_count || config->coordinates != grid.dims ||
            config->outputs != grid.channels) {
            tool_error("%s: data has %lld sensors, %d coordinates and %lld outputs, the "
                       "checkpoint %s expects %lld, %lld and %lld",
                       o->data, (long long)run->x.feature_count, grid.dims,
                       (long long)grid.channels, o->resume, (long long)config->sensors,
                       (long long)config->coordinates, (long long)config->outputs);
            goto done;
        }
    }
    const int64_t count = run->x.sample_count;
    if (start_deeponet_run(run, model, count))
        goto done;
    sciml_deeponet_data train = {run->x.values, grid.points, run->y.values, count,
                                 grid.point_count};
    sciml_deeponet_data test = {run->test_x.values, test_grid.points, run->test_y.values,
                                run->test_x.sample_count, test_grid.point_count};
    sciml_status status =
        sciml_deeponet_model_train(model, &train, o->test ? &test : NULL, &run->options);
    exit_code = train_run_finish(run, status);
done:
    sciml_array_free(&query);
    sciml_array_free(&test_query);
    sciml_deeponet_grid_free(&grid);
    sciml_deeponet_grid_free(&test_grid);
    sciml_deeponet_model_destroy(&model);
    return exit_code;
}
