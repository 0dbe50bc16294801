/* sciml-node: integrate a trained neural ODE (sciml-train node) from initial states read from a
 * file or standard input, one sample at a time, and write the trajectories
 * y(sample, time, state) with t(time), in the layout of `sciml-gen ode`, so sciml-cmp compares
 * them with a reference directly.
 *
 * Initial states: y0(sample, state), or the first time of y(sample, time, state). Times: the
 * input's t(time) unless --horizon/--points or --times are given; --extrapolate T continues the
 * input's time step up to T (past the training window).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sciml/netcdf.h"
#include "sciml/node_model.h"
#include "tool.h"

#define MAX_TIMES (INT64_C(1) << 24)

typedef struct node_options {
    const char *model_path, *input_path, *output_path, *times_text, *solver;
    int64_t points, max_steps;
    double horizon, extrapolate, rtol, atol;
    int quiet, extrapolate_given;
} node_options;

static void usage(FILE *out) {
    fprintf(out,
            "Usage: sciml-node -m MODEL [OPTIONS] [IN] [OUT]\n"
            "Integrate a neural ODE trained by 'sciml-train node' from the initial states of IN\n"
            "(y0(sample, state), or y(sample, time, state) at its first time; '-' or none for\n"
            "standard input) and write y(sample, time, state) and t(time) to OUT ('-' or none\n"
            "for standard output).\n"
            "\n"
            "Options:\n"
            "  -m, --model FILE      the model (required)\n"
            "  -o, --output FILE     output file, '-' for standard output [-]\n"
            "  --times LIST          output times, comma separated and increasing, the first is\n"
            "                        the initial time [the input's t]\n"
            "  --horizon T           output times 0 .. T [the input's t]\n"
            "  --points P            with --horizon: number of times [100]\n"
            "  --extrapolate T       continue the input's time step up to T, past the training\n"
            "                        window\n"
            "  --solver NAME         cvodes-adams, cvodes-bdf or dopri5 [the model's]\n"
            "  --rtol X              relative tolerance [the model's]\n"
            "  --atol X              absolute tolerance [the model's]\n"
            "  --max-steps N         solver steps per output interval (dopri5: in all)\n"
            "                        [100000]\n"
            "  -q, --quiet           no warnings\n"
            "  -h, --help            show this help and exit\n"
            "  --version             show the version and exit\n"
            "\n"
            "Exit status: 0 success, 1 failure (no output file is left), 2 usage error.\n");
}

static int parse_options(int argc, char **argv, node_options *o) {
    tool_usage usage_errors = {0};
    memset(o, 0, sizeof *o);
    o->points = 100;
    o->max_steps = 100000;
    int positional = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *v = NULL;
        if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
            usage(stdout);
            exit(TOOL_EXIT_OK);
        } else if (!strcmp(arg, "--version")) {
            tool_print_version();
            exit(TOOL_EXIT_OK);
        } else if (!strcmp(arg, "-q") || !strcmp(arg, "--quiet")) {
            o->quiet = 1;
        } else if (tool_option(argc, argv, &i, "--model", &v, &usage_errors) ||
                   tool_option(argc, argv, &i, "-m", &v, &usage_errors)) {
            o->model_path = v;
        } else if (tool_option(argc, argv, &i, "--output", &v, &usage_errors) ||
                   tool_option(argc, argv, &i, "-o", &v, &usage_errors)) {
            o->output_path = v;
            positional += positional == 1; /* OUT is taken */
        } else if (tool_option(argc, argv, &i, "--times", &v, &usage_errors)) {
            o->times_text = v;
        } else if (tool_option(argc, argv, &i, "--horizon", &v, &usage_errors)) {
            tool_parse_double(&usage_errors, "--horizon", v, 1e-12, 1e12, &o->horizon);
        } else if (tool_option(argc, argv, &i, "--points", &v, &usage_errors)) {
            tool_parse_int64(&usage_errors, "--points", v, 2, MAX_TIMES, &o->points);
        } else if (tool_option(argc, argv, &i, "--extrapolate", &v, &usage_errors)) {
            o->extrapolate_given = 1;
            tool_parse_double(&usage_errors, "--extrapolate", v, -1e12, 1e12, &o->extrapolate);
        } else if (tool_option(argc, argv, &i, "--solver", &v, &usage_errors)) {
            o->solver = v;
            if (v && strcmp(v, "cvodes-adams") && strcmp(v, "cvodes-bdf") && strcmp(v, "dopri5"))
                tool_usage_error(&usage_errors,
                                 "--solver '%s': expected cvodes-adams, cvodes-bdf or dopri5", v);
        } else if (tool_option(argc, argv, &i, "--max-steps", &v, &usage_errors)) {
            tool_parse_int64(&usage_errors, "--max-steps", v, 1, INT64_C(1) << 40, &o->max_steps);
        } else if (tool_option(argc, argv, &i, "--rtol", &v, &usage_errors)) {
            tool_parse_double(&usage_errors, "--rtol", v, 1e-15, 0.1, &o->rtol);
        } else if (tool_option(argc, argv, &i, "--atol", &v, &usage_errors)) {
            tool_parse_double(&usage_errors, "--atol", v, 1e-300, 1.0, &o->atol);
        } else if (arg[0] == '-' && arg[1] != '\0') {
            tool_usage_error(&usage_errors, "unknown option '%s'", arg);
        } else if (positional == 0) {
            o->input_path = arg;
            positional++;
        } else if (positional == 1 && !o->output_path) {
            o->output_path = arg;
            positional++;
        } else {
            tool_usage_error(&usage_errors, "too many file arguments: '%s'", arg);
        }
    }
    if (!o->model_path)
        tool_usage_error(&usage_errors, "-m MODEL is required");
    int sources = (o->times_text != NULL) + (o->horizon > 0) + o->extrapolate_given;
    if (sources > 1)
        tool_usage_error(&usage_errors, "give at most one of --times, --horizon and --extrapolate");
    if (!o->input_path)
        o->input_path = "-";
    if (!o->output_path)
        o->output_path = "-";
    const tool_named_file inputs[] = {{"IN", o->input_path}, {"-m", o->model_path}};
    tool_usage_distinct(&usage_errors, "OUT", o->output_path, inputs, 2);
    return tool_usage_finish(&usage_errors);
}

/* The output times; 0 or a runtime error (printed). *times is malloc'd. */
static int make_times(sciml_ctx *ctx, const node_options *o, sciml_nc_reader *reader,
                      const sciml_node_model *model, double **times, int64_t *count) {
    const char *file = sciml_nc_name(reader);
    *times = NULL;
    *count = 0;
    if (o->times_text) {
        int64_t capacity = 1;
        for (const char *p = o->times_text; *p; p++)
            capacity += *p == ',';
        *times = malloc((size_t)capacity * sizeof(double));
        if (!*times)
            return tool_error("out of memory"), 1;
        const char *cursor = o->times_text;
        while (*cursor) {
            char *end;
            double value = strtod(cursor, &end);
            if (end == cursor || !isfinite(value) || (*end && *end != ',')) {
                tool_error("--times '%s': expected comma-separated finite numbers", o->times_text);
                return 1;
            }
            (*times)[(*count)++] = value;
            cursor = *end ? end + 1 : end;
        }
    } else if (o->horizon > 0) {
        *times = malloc((size_t)o->points * sizeof(double));
        if (!*times)
            return tool_error("out of memory"), 1;
        for (int64_t k = 0; k < o->points; k++)
            (*times)[k] = o->horizon * (double)k / (double)(o->points - 1);
        *count = o->points;
    } else {
        int64_t var;
        sciml_nc_var_info info;
        if (sciml_nc_find_var(reader, "t", &var) || sciml_nc_var_get_info(reader, var, &info) ||
            info.rank != 1 || info.is_record || info.shape[0] < 2) {
            tool_error("%s: no time coordinate t(time) of at least 2 times: give --times or "
                       "--horizon",
                       file);
            return 1;
        }
        int64_t length = info.shape[0], extra = 0;
        double *input = malloc((size_t)length * sizeof(double));
        if (!input || sciml_nc_read_var(reader, var, 0, length, input)) {
            free(input);
            return tool_fail(ctx), 1;
        }
        double step = input[length - 1] - input[length - 2];
        if (o->extrapolate_given) {
            double start, end;
            sciml_node_model_window(model, &start, &end);
            if (!(o->extrapolate > input[length - 1]) || !(step > 0)) {
                tool_error("--extrapolate %g: expected a time after the input's last time %g",
                           o->extrapolate, input[length - 1]);
                free(input);
                return 1;
            }
            if (isfinite(end) && o->extrapolate <= end && !o->quiet)
                tool_warning("--extrapolate %g lies inside the training window [%g, %g]",
                             o->extrapolate, start, end);
            double more = ceil((o->extrapolate - input[length - 1]) / step - 1e-9);
            if (more > (double)MAX_TIMES) {
                tool_error("--extrapolate %g needs more than %lld times", o->extrapolate,
                           (long long)MAX_TIMES);
                free(input);
                return 1;
            }
            extra = (int64_t)more;
        }
        *times = malloc((size_t)(length + extra) * sizeof(double));
        if (*times)
            memcpy(*times, input, (size_t)length * sizeof(double));
        free(input);
        if (!*times)
            return tool_error("out of memory"), 1;
        double last = (*times)[length - 1];
        for (int64_t k = 0; k < extra; k++)
            (*times)[length + k] = fmin(last + step * (double)(k + 1), o->extrapolate);
        *count = length + extra;
    }
    for (int64_t k = 1; k < *count; k++)
        if (!((*times)[k] > (*times)[k - 1])) {
            tool_error("%s: output time %lld is %g after %g: expected increasing times",
                       o->times_text ? "--times" : file, (long long)k, (*times)[k],
                       (*times)[k - 1]);
            return 1;
        }
    if (*count < 2) {
        tool_error("expected at least 2 output times, got %lld", (long long)*count);
        return 1;
    }
    return 0;
}

static int run(sciml_ctx *ctx, const void *options_pointer, const char *command) {
    const node_options *o = options_pointer;
    sciml_node_model *model = NULL;
    sciml_nc_reader *reader = NULL;
    sciml_nc_writer *writer = NULL;
    double *times = NULL, *trajectory = NULL;
    int64_t time_count = 0;
    int exit_code = TOOL_EXIT_FAILURE;
    if (sciml_node_model_read(ctx, o->model_path, &model) ||
        sciml_nc_open(ctx, o->input_path, &reader))
        goto fail_ctx;
    const char *file = sciml_nc_name(reader);
    const sciml_node_config *config = sciml_node_model_config(model);
    int64_t n = config->state_size, var, stride = 0;
    sciml_nc_var_info info;
    int from_y0 = !sciml_nc_find_var(reader, "y0", &var);
    if (!from_y0 && sciml_nc_find_var(reader, "y", &var)) {
        tool_error("%s: no initial states: expected y0(sample, state) or y(sample, time, state)",
                   file);
        goto done;
    }
    if (sciml_nc_var_get_info(reader, var, &info))
        goto fail_ctx;
    int64_t states = info.rank >= 2 ? info.shape[info.rank - 1] : 0;
    if (!info.is_record || info.rank != (from_y0 ? 2 : 3) || states != n) {
        tool_error("%s: '%s' has %d dimensions and %lld states, the model %s needs %s with "
                   "%lld states",
                   file, info.name, info.rank, (long long)states, o->model_path,
                   from_y0 ? "(sample, state)" : "(sample, time, state)", (long long)n);
        goto done;
    }
    stride = info.element_count;
    if (make_times(ctx, o, reader, model, &times, &time_count))
        goto done;
    sciml_node_solve_options solve = *sciml_node_model_solve_options(model);
    if (o->solver && sciml_node_solver_parse(ctx, o->solver, &solve.solver))
        goto fail_ctx;
    if (o->rtol > 0)
        solve.relative_tolerance = o->rtol;
    if (o->atol > 0)
        solve.absolute_tolerance = o->atol;
    solve.max_steps = o->max_steps;
    double *record = malloc((size_t)stride * sizeof(double));
    trajectory = sciml_alloc_array((size_t)time_count, (size_t)n * sizeof(double));
    if (!record || !trajectory) {
        free(record);
        tool_error("out of memory for %lld times", (long long)time_count);
        goto done;
    }
    sciml_nc_writer_options writer_options = sciml_nc_writer_default_options();
    writer_options.record_count = sciml_nc_record_count(reader);
    int64_t dims[3], t_var, y0_var, y_var;
    sciml_status status = sciml_nc_writer_create(ctx, o->output_path, &writer_options, &writer);
    int64_t y0_dims[2];
    if (!status &&
        ((status = sciml_nc_def_dim(writer, "sample", 0, &dims[0])) ||
         (status = sciml_nc_def_dim(writer, "time", time_count, &dims[1])) ||
         (status = sciml_nc_def_dim(writer, "state", n, &dims[2])) ||
         (status = sciml_nc_def_var(writer, "t", SCIML_NC_DOUBLE, 1, &dims[1], &t_var)) ||
         (status = sciml_nc_put_att_text(writer, t_var, "sciml_role", "coordinate")) ||
         ((void)(y0_dims[0] = dims[0]), (void)(y0_dims[1] = dims[2]),
          (status = sciml_nc_def_var(writer, "y0", SCIML_NC_DOUBLE, 2, y0_dims, &y0_var))) ||
         (status = sciml_nc_put_att_text(writer, y0_var, "sciml_role", "input")) ||
         (status = sciml_nc_def_var(writer, "y", SCIML_NC_DOUBLE, 3, dims, &y_var)) ||
         (status = sciml_nc_put_att_text(writer, y_var, "sciml_role", "output")) ||
         (status = sciml_nc_put_att_text(writer, y_var, "long_name", "neural ODE trajectory")) ||
         (status = sciml_nc_append_history(writer, command)) ||
         (status = sciml_nc_end_def(writer)) ||
         (status = sciml_nc_write_var(writer, t_var, 0, time_count, times)))) {
        /* status says what failed */
    }
    for (int64_t sample = 0; !status; sample++) {
        int available = 0;
        if ((status = sciml_nc_has_record(reader, sample, &available)) || !available)
            break;
        if ((status = sciml_nc_read_record(reader, var, sample, record)))
            break;
        for (int64_t i = 0; i < n; i++)
            if (!isfinite(record[i])) {
                status = sciml_error(ctx, SCIML_ERR_NONFINITE,
                                     "%s: initial state %lld of sample %lld is %g, expected "
                                     "finite",
                                     file, (long long)i, (long long)sample, record[i]);
                break;
            }
        if (status)
            break;
        status = sciml_node_model_predict(model, &solve, 1, record, NULL, time_count, times,
                                          trajectory, NULL);
        if (status) {
            char reason[1024];
            snprintf(reason, sizeof reason, "%s", sciml_ctx_message(ctx));
            status =
                sciml_error(ctx, status, "%s: sample %lld: %s", file, (long long)sample, reason);
            break;
        }
        if ((status = sciml_nc_write_record(writer, y0_var, sample, record)) ||
            (status = sciml_nc_write_record(writer, y_var, sample, trajectory)))
            break;
    }
    free(record);
    if (status || (status = sciml_nc_writer_close(&writer))) {
        sciml_nc_writer_abort(&writer);
        goto fail_ctx;
    }
    exit_code = TOOL_EXIT_OK;
    goto done;
fail_ctx:
    sciml_nc_writer_abort(&writer);
    exit_code = tool_fail(ctx);
done:
    free(times);
    free(trajectory);
    sciml_nc_close(&reader);
    sciml_node_model_destroy(&model);
    return exit_code;
}

int main(int argc, char **argv) {
    tool_set_name("sciml-node");
    node_options options;
    int usage_status = parse_options(argc, argv, &options);
    if (usage_status)
        return usage_status;
    return tool_run(argc, argv, run, &options);
}
