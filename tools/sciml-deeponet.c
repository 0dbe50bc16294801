/* sciml-deeponet: apply a trained DeepONet (from `sciml-train deeponet`) to the input
 * functions of a netCDF file or stream, batch by batch, at query points from a file, from a
 * grid given on the command line, or from the input's own coordinate variables, and write the
 * operator's values as a netCDF stream.
 *
 *   sciml-deeponet -m MODEL [--grid A:B:N[,A:B:N]] [--points FILE] [--precision P] [IN] [OUT]
 *   sciml-deeponet -m MODEL [--query NAME] [IN] [OUT]     (unaligned: a point per record)
 *
 * Memory is bounded by one batch of functions times the query points. Query points outside
 * the box of the training points draw one warning (an error with --strict). --precision single
 * evaluates the aligned layout in float32 (sciml_deeponet_model_set_precision); the output
 * variable stays NC_DOUBLE (the float32 values widened exactly), so files keep one type
 * whatever the flag and compare directly with double runs. */
#include <stdlib.h>
#include <string.h>

#include "sciml/dataset.h"
#include "sciml/deeponet_model.h"
#include "sciml/netcdf.h"
#include "tool.h"

enum { BATCH_DEFAULT = 64 };

typedef struct deeponet_options {
    tool_apply_options apply;
    const char *points_path, *query_name;
    int strict;
    sciml_deeponet_precision precision;
    int grid_dims; /* 0 when no --grid */
    double grid_start[SCIML_DEEPONET_MAX_COORDINATES], grid_stop[SCIML_DEEPONET_MAX_COORDINATES];
    int64_t grid_size[SCIML_DEEPONET_MAX_COORDINATES];
} deeponet_options;

static void usage(FILE *out) {
    fprintf(out,
            "Usage: sciml-deeponet -m MODEL [OPTIONS] [IN] [OUT]\n"
            "Apply a DeepONet made by 'sciml-train deeponet' to every input function of IN\n"
            "(values at the model's sensors, one record each) and write the operator's values\n"
            "at the query points to OUT (netCDF). IN and OUT default to '-' (standard\n"
            "input/output).\n"
            "\n"
            "Options:\n"
            "  -m, --model FILE   the model (required)\n"
            "  --grid SPEC        query points on a grid, A:B:N per coordinate (N points from\n"
            "                     A to B), comma-separated, e.g. 0:1:101 or 0:1:51,0:1:26\n"
            "  --points FILE      query points: the coordinate variables of FILE named as in\n"
            "                     the model [IN's own coordinate variables]\n"
            "  --query NAME       unaligned layout: NAME(sample) or NAME(sample, coordinate)\n"
            "                     in IN holds one query point per input function, and OUT\n"
            "                     has one value per record, unless --grid or --points is\n"
            "                     given [the variable with sciml_role = \"query\"]\n"
            "  --strict           query points outside the training domain are an error\n"
            "                     [a warning]\n"
            "  --precision P      arithmetic of the prediction: double, or single (float32,\n"
            "                     about twice as fast, values within about 1e-6 of the\n"
            "                     largest |value| of double; the output stays double; the\n"
            "                     unaligned layout always runs in double) [double]\n"
            "  --input NAME       input variable [the name stored in the model, else the one\n"
            "                     with sciml_role = \"input\"]\n"
            "  --output NAME      name of the predicted variable [the model's output name]\n"
            "  --batch N          functions per batch [%d]\n"
            "  -h, --help         show this help and exit\n"
            "  --version          show the version and exit\n"
            "\n"
            "Exit status: 0 success, 1 failure (no output file is left), 2 usage error.\n",
            BATCH_DEFAULT);
}

/* "A:B:N[,A:B:N...]" into the options; 0 on success. */
static int parse_grid(tool_usage *usage, const char *text, deeponet_options *o) {
    const char *cursor = text;
    int dims = 0;
    while (cursor) {
        const char *comma = strchr(cursor, ',');
        char item[128];
        size_t length = comma ? (size_t)(comma - cursor) : strlen(cursor);
        if (dims == SCIML_DEEPONET_MAX_COORDINATES || length >= sizeof(item)) {
            tool_usage_error(usage, "--grid '%s': expected at most %d items A:B:N", text,
                             SCIML_DEEPONET_MAX_COORDINATES);
            return 1;
        }
        memcpy(item, cursor, length);
        item[length] = '\0';
        char *first = strchr(item, ':'), *second = first ? strchr(first + 1, ':') : NULL;
        if (!first || !second) {
            tool_usage_error(usage, "--grid '%s': item '%s' is not A:B:N", text, item);
            return 1;
        }
        *first = *second = '\0';
        if (tool_parse_double(usage, "--grid start", item, -1e300, 1e300, &o->grid_start[dims]) ||
            tool_parse_double(usage, "--grid stop", first + 1, -1e300, 1e300,
                              &o->grid_stop[dims]) ||
            tool_parse_int64(usage, "--grid points", second + 1, 1, INT64_C(1) << 30,
                             &o->grid_size[dims]))
            return 1;
        dims++;
        cursor = comma ? comma + 1 : NULL;
    }
    o->grid_dims = dims;
    return 0;
}

static int parse_options(int argc, char **argv, deeponet_options *o) {
    tool_usage usage_errors = {0};
    memset(o, 0, sizeof(*o));
    o->apply.batch = BATCH_DEFAULT;
    int positional = 0;
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        if (!strcmp(argv[i], "--strict")) {
            o->strict = 1;
        } else if (tool_option(argc, argv, &i, "--grid", &v, &usage_errors)) {
            if (v)
                parse_grid(&usage_errors, v, o);
        } else if (tool_option(argc, argv, &i, "--points", &v, &usage_errors)) {
            o->points_path = v;
        } else if (tool_option(argc, argv, &i, "--query", &v, &usage_errors)) {
            o->query_name = v;
        } else if (tool_option(argc, argv, &i, "--precision", &v, &usage_errors)) {
            if (v && !strcmp(v, "single"))
                o->precision = SCIML_DEEPONET_SINGLE;
            else if (v && !strcmp(v, "double"))
                o->precision = SCIML_DEEPONET_DOUBLE;
            else if (v)
                tool_usage_error(&usage_errors, "--precision '%s': expected double or single", v);
        } else {
            tool_apply_option(argc, argv, &i, usage, 1, &o->apply, &positional, &usage_errors);
        }
    }
    tool_apply_defaults(&o->apply, &usage_errors);
    if (o->query_name && (o->grid_dims || o->points_path))
        tool_usage_error(&usage_errors, "--query gives each function its own point: it does "
                                        "not combine with --grid or --points");
    if (o->grid_dims && o->points_path)
        tool_usage_error(&usage_errors, "--grid and --points both give the query points: "
                                        "choose one");
    const char *stdin_users[3] = {o->apply.model_path, o->apply.input_path, o->points_path};
    int from_stdin = 0;
    for (int k = 0; k < 3; k++)
        from_stdin += stdin_users[k] && !strcmp(stdin_users[k], "-");
    if (from_stdin > 1)
        tool_usage_error(&usage_errors,
                         "only one of the model, the input and --points can be standard input");
    const tool_named_file points[] = {{"--points", o->points_path}};
    tool_usage_distinct(&usage_errors, "OUT", o->apply.output_path, points, 1);
    return tool_usage_finish(&usage_errors);
}

/* The query points: --grid, --points FILE, or IN's coordinate variables. */
static sciml_status query_grid(sciml_ctx *ctx, const deeponet_options *o,
                               const sciml_deeponet_model *model, sciml_nc_reader *input,
                               sciml_deeponet_grid *grid) {
    const sciml_deeponet_config *config = sciml_deeponet_model_get_config(model);
    const char *names = sciml_deeponet_model_coordinate_names(model);
    if (o->grid_dims) {
        if (o->grid_dims != config->coordinates)
            return sciml_error(ctx, SCIML_ERR_SHAPE,
                               "--grid gives %d coordinates per point: the model %s needs %lld",
                               o->grid_dims, o->apply.model_path, (long long)config->coordinates);
        return sciml_deeponet_grid_uniform(ctx, o->grid_dims, o->grid_start, o->grid_stop,
                                           o->grid_size, names, grid);
    }
    if (!names)
        return sciml_error(ctx, SCIML_ERR_FORMAT,
                           "%s: the model names no query coordinates: give the points with "
                           "--grid",
                           o->apply.model_path);
    sciml_status status;
    if (o->points_path) {
        sciml_nc_reader *reader = NULL;
        if ((status = sciml_nc_open(ctx, o->points_path, &reader)) == SCIML_OK)
            status = sciml_deeponet_grid_of_names(ctx, reader, names, grid);
        sciml_nc_close(&reader);
    } else {
        status = sciml_deeponet_grid_of_names(ctx, input, names, grid);
        if (status == SCIML_ERR_NOT_FOUND) {
            char message[1024];
            snprintf(message, sizeof(message), "%s", sciml_ctx_message(ctx));
            return sciml_error(ctx, status, "%s (or give the points with --grid or --points)",
                               message);
        }
    }
    if (status == SCIML_OK && grid->dims != config->coordinates)
        status = sciml_error(ctx, SCIML_ERR_SHAPE,
                             "the query grid has %d coordinates: the model "
                             "needs %lld",
                             grid->dims, (long long)config->coordinates);
    return status;
}

/* One warning, or with --strict an error, for query points outside the training box. */
static sciml_status check_domain(sciml_ctx *ctx, const deeponet_options *o,
                                 const sciml_deeponet_model *model,
                                 const sciml_deeponet_grid *grid) {
    int64_t first = 0;
    const int64_t outside =
        sciml_deeponet_model_outside(model, grid->points, grid->point_count, &first);
    if (outside == 0)
        return SCIML_OK;
    const double *lo = sciml_deeponet_model_domain_min(model);
    const double *hi = sciml_deeponet_model_domain_max(model);
    char where[512];
    size_t used = 0;
    for (int k = 0; k < grid->dims && used < sizeof(where); k++)
        used += (size_t)snprintf(where + used, sizeof(where) - used, "%s%s = %g in [%g, %g]",
                                 k ? ", " : "", grid->names[k],
                                 grid->points[first * grid->dims + k], lo[k], hi[k]);
    if (o->strict)
        return sciml_error(ctx, SCIML_ERR_RANGE,
                           "%lld of %lld query points lie outside the training domain of %s (the "
                           "first: %s?)",
                           (long long)outside, (long long)grid->point_count, o->apply.model_path,
                           where);
    tool_warning("%lld of %lld query points lie outside the training domain of %s (the first: "
                 "%s?); the predictions there are extrapolations",
                 (long long)outside, (long long)grid->point_count, o->apply.model_path, where);
    return SCIML_OK;
}

/* Unaligned layout: record by record, v(sample, sensor) and query(sample[, coordinate]) ->
 * output(sample[, channel]). */
static sciml_status run_unaligned(sciml_ctx *ctx, const deeponet_options *o,
                                  sciml_deeponet_model *model, sciml_nc_reader *reader, int64_t var,
                                  int64_t query_var, const char *query_name,
                                  const char *output_name, const char *command) {
    const sciml_deeponet_config *config = sciml_deeponet_model_get_config(model);
    sciml_nc_var_info info;
    sciml_status status = sciml_nc_var_get_info(reader, query_var, &info);
    if (status)
        return status;
    if (!info.is_record || info.rank > 2 || info.type == SCIML_NC_CHAR ||
        info.element_count != config->coordinates)
        return sciml_error(ctx, SCIML_ERR_SHAPE,
                           "%s: query variable '%s' has %d dimensions and %lld values per "
                           "record: the model needs (sample[, coordinate]) with %lld coordinates",
                           o->apply.input_path, query_name, info.rank,
                           (long long)info.element_count, (long long)config->coordinates);
    sciml_nc_writer *writer = NULL;
    double *functions = NULL, *points = NULL, *values = NULL;
    sciml_nc_writer_options writer_options = sciml_nc_writer_default_options();
    writer_options.record_count = sciml_nc_record_count(reader);
    int64_t dims[2], out_var;
    int rank = 1;
    const char *history = NULL;
    if ((status = sciml_nc_writer_create(ctx, o->apply.output_path, &writer_options, &writer)) ||
        (status = sciml_nc_def_dim(writer, "sample", 0, &dims[0])) ||
        (config->outputs > 1 &&
         (status = sciml_nc_def_dim(writer, "channel", config->outputs, &dims[rank++]))) ||
        (status = sciml_nc_def_var(writer, output_name, SCIML_NC_DOUBLE, rank, dims, &out_var)) ||
        (status = sciml_nc_put_att_text(writer, out_var, "sciml_role", "output")) ||
        (status = sciml_nc_put_att_text(writer, out_var, "long_name", "DeepONet prediction")) ||
        (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "sciml_kind", "dataset")) ||
        (sciml_nc_get_att_text(reader, SCIML_NC_GLOBAL, "history", &history, NULL) == SCIML_OK &&
         (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "history", history))) ||
        (status = sciml_nc_append_history(writer, command)) || (status = sciml_nc_end_def(writer)))
        goto done;
    functions = sciml_alloc_array((size_t)(o->apply.batch * config->sensors), sizeof(double));
    points = sciml_alloc_array((size_t)(o->apply.batch * config->coordinates), sizeof(double));
    values = sciml_alloc_array((size_t)(o->apply.batch * config->outputs), sizeof(double));
    if (!functions || !points || !values) {
        status = sciml_error(ctx, SCIML_ERR_NOMEM, "out of memory for a batch of %lld functions",
                             (long long)o->apply.batch);
        goto done;
    }
    int64_t written = 0, outside = 0;
    for (int finished = 0; !finished;) {
        int64_t n = 0;
        while (n < o->apply.batch) {
            int available = 0;
            if ((status = sciml_nc_has_record(reader, written + n, &available)))
                goto done;
            if (!available) {
                finished = 1;
                break;
            }
            if ((status = sciml_nc_read_record(reader, var, written + n,
                                               functions + n * config->sensors)) ||
                (status = sciml_nc_read_record(reader, query_var, written + n,
                                               points + n * config->coordinates)))
                goto done;
            n++;
        }
        if (n == 0)
            break;
        outside += sciml_deeponet_model_outside(model, points, n, NULL);
        if (outside && o->strict) {
            status = sciml_error(ctx, SCIML_ERR_RANGE,
                                 "%s: a query point of '%s' in records %lld to %lld lies outside "
                                 "the training domain of %s",
                                 o->apply.input_path, query_name, (long long)written,
                                 (long long)(written + n - 1), o->apply.model_path);
            goto done;
        }
        if ((status =
                 sciml_deeponet_model_predict_unaligned(model, functions, points, n, values)) ||
            (status = sciml_nc_write_records(writer, out_var, written, n, values)))
            goto done;
        written += n;
        if ((status = tool_check_interrupted(ctx, written, "functions")))
            goto done;
    }
    if (outside)
        tool_warning("%lld of %lld query points of '%s' lie outside the training domain of %s; "
                     "the predictions there are extrapolations",
                     (long long)outside, (long long)written, query_name, o->apply.model_path);
    status = sciml_nc_writer_close(&writer);
done:
    if (status)
        sciml_nc_writer_abort(&writer);
    free(functions);
    free(points);
    free(values);
    return status;
}

static int run(sciml_ctx *ctx, const void *options, const char *command) {
    const deeponet_options *o = options;
    sciml_deeponet_model *model = NULL;
    sciml_nc_reader *reader = NULL;
    sciml_nc_writer *writer = NULL;
    char *stored_input = NULL, *stored_output = NULL;
    double *functions = NULL, *values = NULL;
    sciml_deeponet_grid grid;
    memset(&grid, 0, sizeof(grid));
    sciml_status status;
    const char *input_name = NULL, *output_name = NULL;
    int64_t var;
    sciml_nc_var_info info;
    if ((status = sciml_deeponet_model_read(ctx, o->apply.model_path, &model, &stored_input,
                                            &stored_output)) ||
        (status = tool_open_input(ctx, o->apply.input_path, o->apply.input_name, stored_input,
                                  &reader, &input_name, &var, &info, o->apply.output_name,
                                  stored_output, &output_name)))
        goto done;
    const sciml_deeponet_config *config = sciml_deeponet_model_get_config(model);
    if (!info.is_record || info.rank != 2 || info.type == SCIML_NC_CHAR ||
        info.element_count != config->sensors) {
        status =
            sciml_error(ctx, SCIML_ERR_SHAPE,
                        "%s: variable '%s' has %d dimensions and %lld values per %s: the "
                        "model needs (sample, sensor) with %lld sensor values",
                        o->apply.input_path, input_name, info.rank, (long long)info.element_count,
                        info.is_record ? "sample" : "variable (no sample dimension)",
                        (long long)config->sensors);
        goto done;
    }
    if ((status = sciml_deeponet_model_set_precision(model, o->precision)))
        goto done;
    const char *query_name = o->query_name;
    if (!query_name && !o->grid_dims && !o->points_path &&
        sciml_dataset_find_role(ctx, reader, "query", &query_name) != SCIML_OK) {
        sciml_ctx_clear_error(ctx);
        query_name = NULL;
    }
    if (query_name) {
        int64_t query_var;
        if (o->precision == SCIML_DEEPONET_SINGLE)
            tool_warning("--precision single: the unaligned layout (a query point per record, "
                         "'%s') predicts in double precision",
                         query_name);
        if ((status = sciml_nc_find_var(reader, query_name, &query_var)) == SCIML_OK)
            status = run_unaligned(ctx, o, model, reader, var, query_var, query_name, output_name,
                                   command);
        goto done;
    }
    if ((status = query_grid(ctx, o, model, reader, &grid)) ||
        (status = check_domain(ctx, o, model, &grid)))
        goto done;
    /* output: sample, the grid's axes with their coordinates, then the outputs if several */
    sciml_nc_writer_options writer_options = sciml_nc_writer_default_options();
    writer_options.record_count = sciml_nc_record_count(reader);
    int64_t dims[SCIML_DEEPONET_MAX_COORDINATES + 2], axis_vars[SCIML_DEEPONET_MAX_COORDINATES];
    int64_t out_var;
    int rank = 1;
    if ((status = sciml_nc_writer_create(ctx, o->apply.output_path, &writer_options, &writer)) ||
        (status = sciml_nc_def_dim(writer, "sample", 0, &dims[0])))
        goto done;
    for (int k = 0; k < grid.dims; k++, rank++)
        if ((status = sciml_nc_def_dim(writer, grid.names[k], grid.size[k], &dims[rank])) ||
            (status = sciml_nc_def_var(writer, grid.names[k], SCIML_NC_DOUBLE, 1, &dims[rank],
                                       &axis_vars[k])) ||
            (status = sciml_nc_put_att_text(writer, axis_vars[k], "sciml_role", "coordinate")))
            goto done;
    if (config->outputs > 1 &&
        (status = sciml_nc_def_dim(writer, "channel", config->outputs, &dims[rank++])))
        goto done;
    const char *history = NULL;
    if ((status = sciml_nc_def_var(writer, output_name, SCIML_NC_DOUBLE, rank, dims, &out_var)) ||
        (status = sciml_nc_put_att_text(writer, out_var, "sciml_role", "output")) ||
        (status = sciml_nc_put_att_text(writer, out_var, "long_name", "DeepONet prediction")) ||
        (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "sciml_kind", "dataset")) ||
        (sciml_nc_get_att_text(reader, SCIML_NC_GLOBAL, "history", &history, NULL) == SCIML_OK &&
         (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "history", history))) ||
        (status = sciml_nc_append_history(writer, command)) || (status = sciml_nc_end_def(writer)))
        goto done;
    for (int k = 0; k < grid.dims; k++)
        if ((status = sciml_nc_write_var(writer, axis_vars[k], 0, grid.size[k], grid.axis[k])))
            goto done;
    const int64_t row = grid.point_count * config->outputs;
    functions = sciml_alloc_array((size_t)(o->apply.batch * config->sensors), sizeof(double));
    values = sciml_alloc_array((size_t)o->apply.batch * (size_t)row, sizeof(double));
    if (!functions || !values) {
        status = sciml_error(ctx, SCIML_ERR_NOMEM,
                             "out of memory for a batch of %lld functions at %lld points",
                             (long long)o->apply.batch, (long long)grid.point_count);
        goto done;
    }
    int64_t written = 0;
    for (int finished = 0; !finished;) {
        int64_t n = 0;
        if ((status = tool_read_samples(reader, var, &info, -1, config->sensors, written,
                                        o->apply.batch, functions, &n)))
            goto done;
        if (n == 0)
            break;
        finished = n < o->apply.batch;
        if ((status = sciml_deeponet_model_predict(model, functions, n, grid.points,
                                                   grid.point_count, o->apply.batch, values)) ||
            (status = sciml_nc_write_records(writer, out_var, written, n, values)))
            goto done;
        written += n;
        if ((status = tool_check_interrupted(ctx, written, "functions")))
            goto done;
    }
    status = sciml_nc_writer_close(&writer);
done:
    if (status)
        sciml_nc_writer_abort(&writer);
    free(functions);
    free(values);
    free(stored_input);
    free(stored_output);
    sciml_deeponet_grid_free(&grid);
    sciml_nc_close(&reader);
    sciml_deeponet_model_destroy(&model);
    return status ? tool_fail(ctx) : TOOL_EXIT_OK;
}

int main(int argc, char **argv) {
    tool_set_name("sciml-deeponet");
    deeponet_options options;
    int usage_status = parse_options(argc, argv, &options);
    if (usage_status)
        return usage_status;
    return tool_run(argc, argv, run, &options);
}
