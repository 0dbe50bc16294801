/* sciml-pi3nn: apply a prediction-interval model (from `sciml-train pi3nn`) to the samples of
 * a netCDF file or stream, batch by batch: the mean, the lower and upper bounds at a
 * confidence level, and the out-of-distribution score, as a netCDF file or stream.
 *
 *   sciml-pi3nn -m MODEL [--level X] [--truth FILE] [IN] [OUT]     (IN and OUT default to '-')
 *
 * The level may differ from the one the model was trained with: PI3NN only redoes the
 * root-finding. With --truth the coverage (PICP) and mean width (MPIW) per output, and the
 * mean OOD score, are printed on stderr. The level, the feature count and the truth are
 * checked before the output is created, so a failed run leaves no file. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sciml/dataset.h"
#include "sciml/netcdf.h"
#include "sciml/pi3nn_model.h"
#include "tool.h"

enum { BATCH_DEFAULT = 256 };

typedef struct pi3nn_options {
    tool_apply_options apply; /* no --output */
    const char *truth_path, *truth_name;
    double level;
    int level_given;
} pi3nn_options;

static void usage(FILE *out) {
    fprintf(out,
            "Usage: sciml-pi3nn -m MODEL [OPTIONS] [IN] [OUT]\n"
            "Apply a prediction-interval model made by 'sciml-train pi3nn' to every sample of\n"
            "IN and write mean, lower, upper and ood_score (sample, output) to OUT (netCDF).\n"
            "IN and OUT default to '-' (standard input/output).\n"
            "\n"
            "Options:\n"
            "  -m, --model FILE   the model (required)\n"
            "  --level X          confidence level in (0, 1) [the level stored in the model]\n"
            "  --truth FILE       true outputs: print PICP, MPIW and the mean OOD score per\n"
            "                     output on stderr (FILE may be IN when IN is a file)\n"
            "  --truth-variable NAME\n"
            "                     variable of the true outputs [the model's output name, else\n"
            "                     the one with sciml_role = \"output\"]\n"
            "  --input NAME       input variable [the name stored in the model, else the one\n"
            "                     with sciml_role = \"input\"]\n"
            "  --batch N          samples per batch [%d]\n"
            "  -h, --help         show this help and exit\n"
            "  --version          show the version and exit\n"
            "\n"
            "Exit status: 0 success, 1 failure (no output file is left), 2 usage error.\n",
            BATCH_DEFAULT);
}

static int parse_options(int argc, char **argv, pi3nn_options *o) {
    tool_usage usage_errors = {0};
    memset(o, 0, sizeof(*o));
    o->apply.batch = BATCH_DEFAULT;
    int positional = 0;
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        if (tool_option(argc, argv, &i, "--level", &v, &usage_errors)) {
            /* any number parses; the range (0, 1) is a runtime check (exit 1) */
            o->level_given =
                !tool_parse_double(&usage_errors, "--level", v, -HUGE_VAL, HUGE_VAL, &o->level);
        } else if (tool_option(argc, argv, &i, "--truth", &v, &usage_errors)) {
            o->truth_path = v;
        } else if (tool_option(argc, argv, &i, "--truth-variable", &v, &usage_errors)) {
            o->truth_name = v;
        } else {
            tool_apply_option(argc, argv, &i, usage, 0, &o->apply, &positional, &usage_errors);
        }
    }
    tool_apply_defaults(&o->apply, &usage_errors);
    tool_apply_check_stdin(&o->apply, &usage_errors);
    if (o->truth_path && !strcmp(o->truth_path, "-") &&
        (!strcmp(o->apply.input_path, "-") ||
         (o->apply.model_path && !strcmp(o->apply.model_path, "-"))))
        tool_usage_error(&usage_errors, "--truth cannot be standard input when the model or the "
                                        "input is");
    const tool_named_file truth[] = {{"--truth", o->truth_path}};
    tool_usage_distinct(&usage_errors, "OUT", o->apply.output_path, truth, 1);
    return tool_usage_finish(&usage_errors);
}

/* Copies the input's history (if any) so the output carries the whole lineage. */
static sciml_status copy_history(sciml_nc_reader *reader, sciml_nc_writer *writer) {
    const char *history = NULL;
    if (sciml_nc_get_att_text(reader, SCIML_NC_GLOBAL, "history", &history, NULL) != SCIML_OK)
        return SCIML_OK;
    return sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "history", history);
}

/* The true outputs (all samples) from path, by name, the model's output name, or the role. */
static sciml_status read_truth(sciml_ctx *ctx, const pi3nn_options *o, const char *stored_output,
                               int64_t output_count, sciml_array *truth) {
    sciml_nc_reader *reader = NULL;
    sciml_status status = sciml_nc_open(ctx, o->truth_path, &reader);
    if (status)
        return status;
    const char *name = o->truth_name;
    int64_t var;
    if (!name && stored_output && sciml_nc_find_var(reader, stored_output, &var) == SCIML_OK)
        name = stored_output;
    sciml_ctx_clear_error(ctx);
    if ((name || !(status = sciml_dataset_find_role(ctx, reader, "output", &name))) &&
        !(status = sciml_array_read(ctx, reader, name, truth)) &&
        truth->feature_count != output_count)
        status = sciml_error(ctx, SCIML_ERR_SHAPE,
                             "%s: variable '%s' has %lld values per sample, the model has %lld "
                             "outputs",
                             o->truth_path, name, (long long)truth->feature_count,
                             (long long)output_count);
    sciml_nc_close(&reader);
    return status;
}

/* Running sums for the --truth report. */
typedef struct interval_sums {
    double *inside, *width, *score; /* (output) each */
} interval_sums;

static void accumulate(interval_sums *sums, const double *truth, const double *lower,
                       const double *upper, const double *score, int64_t n, int64_t m) {
    for (int64_t i = 0; i < n; i++)
        for (int64_t k = 0; k < m; k++) {
            int64_t at = i * m + k;
            sums->inside[k] += truth[at] >= lower[at] && truth[at] <= upper[at];
            sums->width[k] += upper[at] - lower[at];
            sums->score[k] += score[at];
        }
}

typedef struct run_state {
    sciml_pi3nn_model *model;
    sciml_nc_reader *reader;
    sciml_nc_writer *writer;
    char *stored_input, *stored_output;
    double *x, *mean, *lower, *upper, *score, *sums_memory;
    sciml_array truth;
} run_state;

static void run_free(run_state *s, int failed) {
    if (failed)
        sciml_nc_writer_abort(&s->writer);
    free(s->x);
    free(s->mean);
    free(s->lower);
    free(s->upper);
    free(s->score);
    free(s->sums_memory);
    free(s->stored_input);
    free(s->stored_output);
    sciml_array_free(&s->truth);
    sciml_nc_close(&s->reader);
    sciml_pi3nn_model_destroy(&s->model);
}

static int run(sciml_ctx *ctx, const void *options, const char *command) {
    const pi3nn_options *o = options;
    run_state s;
    memset(&s, 0, sizeof(s));
    double level = 0;
    sciml_status status;
    if ((status = sciml_pi3nn_model_read(ctx, o->apply.model_path, &s.model, &level,
                                         &s.stored_input, &s.stored_output)))
        goto done;
    if (o->level_given)
        level = o->level;
    const char *input_name = NULL;
    int64_t var;
    sciml_nc_var_info info;
    if ((status = sciml_pi3nn_model_check_level(s.model, level)) ||
        (status = tool_open_input(ctx, o->apply.input_path, o->apply.input_name, s.stored_input,
                                  &s.reader, &input_name, &var, &info, NULL, NULL, NULL)))
        goto done;
    const sciml_pi3nn_config *config = sciml_pi3nn_model_get_config(s.model);
    const int64_t n_in = config->input_count, m = config->output_count;
    if (info.rank < 1 || info.type == SCIML_NC_CHAR) {
        status = sciml_error(ctx, SCIML_ERR_SHAPE,
                             "%s: variable '%s' has rank %d: expected (sample, feature)",
                             o->apply.input_path, input_name, info.rank);
        goto done;
    }
    int64_t per_sample = info.is_record ? info.element_count
                                        : (info.shape[0] ? info.element_count / info.shape[0] : 0);
    int64_t samples = info.is_record ? sciml_nc_record_count(s.reader) : info.shape[0];
    if (per_sample != n_in) {
        status =
            sciml_error(ctx, SCIML_ERR_SHAPE,
                        "%s: variable '%s' has %lld features per sample, the model needs %lld",
                        o->apply.input_path, input_name, (long long)per_sample, (long long)n_in);
        goto done;
    }
    if (o->truth_path) {
        if ((status = read_truth(ctx, o, s.stored_output, m, &s.truth)))
            goto done;
        if (samples >= 0 && s.truth.sample_count != samples) {
            status = sciml_error(ctx, SCIML_ERR_SHAPE,
                                 "%s: %lld true samples, the input %s has %lld: expected the "
                                 "same count",
                                 o->truth_path, (long long)s.truth.sample_count,
                                 o->apply.input_path, (long long)samples);
            goto done;
        }
    }
    sciml_nc_writer_options writer_options = sciml_nc_writer_default_options();
    writer_options.record_count = samples; /* -1 when streamed with an unknown count */
    int64_t sample_dim, output_dim, vars[4];
    const char *names[4] = {"mean", "lower", "upper", "ood_score"};
    const char *long_names[4] = {"predicted mean", "lower bound of the prediction interval",
                                 "upper bound of the prediction interval",
                                 ("out-of-distribution score: 0 in distribution, towards 1 far "
                                  "from the training data")};
    if ((status = sciml_nc_writer_create(ctx, o->apply.output_path, &writer_options, &s.writer)) ||
        (status = sciml_nc_def_dim(s.writer, "sample", 0, &sample_dim)) ||
        (status = sciml_nc_def_dim(s.writer, "output", m, &output_dim)))
        goto done;
    int64_t dims[2] = {sample_dim, output_dim};
    for (int v = 0; v < 4; v++)
        if ((status = sciml_nc_def_var(s.writer, names[v], SCIML_NC_DOUBLE, 2, dims, &vars[v])) ||
            (status = sciml_nc_put_att_text(s.writer, vars[v], "long_name", long_names[v])))
            goto done;
    if ((status = sciml_nc_put_att_text(s.writer, vars[0], "sciml_role", "output")) ||
        (status = sciml_nc_put_att_double(s.writer, SCIML_NC_GLOBAL, "level", SCIML_NC_DOUBLE,
                                          &level, 1)) ||
        (status = sciml_nc_put_att_text(s.writer, SCIML_NC_GLOBAL, "sciml_kind", "dataset")) ||
        (status = copy_history(s.reader, s.writer)) ||
        (status = sciml_nc_append_history(s.writer, command)) ||
        (status = sciml_nc_end_def(s.writer)))
        goto done;
    size_t batch_values = (size_t)o->apply.batch * (size_t)m;
    s.x = sciml_alloc_array((size_t)o->apply.batch * (size_t)n_in, sizeof(double));
    s.mean = sciml_alloc_array(batch_values, sizeof(double));
    s.lower = sciml_alloc_array(batch_values, sizeof(double));
    s.upper = sciml_alloc_array(batch_values, sizeof(double));
    s.score = sciml_alloc_array(batch_values, sizeof(double));
    s.sums_memory = sciml_calloc_array((size_t)(3 * m), sizeof(double));
    if (!s.x || !s.mean || !s.lower || !s.upper || !s.score || !s.sums_memory) {
        status = sciml_error(ctx, SCIML_ERR_NOMEM, "out of memory for a batch of %lld",
                             (long long)o->apply.batch);
        goto done;
    }
    interval_sums sums = {s.sums_memory, s.sums_memory + m, s.sums_memory + 2 * m};
    int64_t done_count = 0;
    for (int finished = 0; !finished;) {
        int64_t n = 0;
        if ((status = tool_read_samples(s.reader, var, &info, samples, per_sample, done_count,
                                        o->apply.batch, s.x, &n)))
            goto done;
        if (n == 0)
            break;
        finished = n < o->apply.batch;
        if (o->truth_path && done_count + n > s.truth.sample_count) {
            status =
                sciml_error(ctx, SCIML_ERR_SHAPE,
                            "%s: %lld true samples, but the input %s has more: expected the "
                            "same count",
                            o->truth_path, (long long)s.truth.sample_count, o->apply.input_path);
            goto done;
        }
        if ((status = sciml_pi3nn_model_predict(s.model, s.x, n, level, s.mean, s.lower, s.upper,
                                                s.score)))
            goto done;
        /* record by record: on a pipe each record holds all four variables in turn */
        const double *columns[4] = {s.mean, s.lower, s.upper, s.score};
        for (int64_t i = 0; i < n; i++)
            for (int v = 0; v < 4; v++)
                if ((status = sciml_nc_write_record(s.writer, vars[v], done_count + i,
                                                    columns[v] + i * m)))
                    goto done;
        if (o->truth_path)
            accumulate(&sums, s.truth.values + done_count * m, s.lower, s.upper, s.score, n, m);
        done_count += n;
        if ((status = tool_check_interrupted(ctx, done_count, "samples")))
            goto done;
    }
    if (o->truth_path && done_count != s.truth.sample_count) {
        status = sciml_error(ctx, SCIML_ERR_SHAPE,
                             "%s: %lld true samples, the input %s had %lld: expected the same "
                             "count",
                             o->truth_path, (long long)s.truth.sample_count, o->apply.input_path,
                             (long long)done_count);
        goto done;
    }
    if ((status = sciml_nc_writer_close(&s.writer)))
        goto done;
    if (o->truth_path && done_count > 0)
        for (int64_t k = 0; k < m; k++)
            fprintf(stderr,
                    "%s: %s[%lld] level %g: PICP %.4f MPIW %.6g mean OOD score %.4f (%lld "
                    "samples)\n",
                    tool_name(), s.truth.name, (long long)k, level,
                    sums.inside[k] / (double)done_count, sums.width[k] / (double)done_count,
                    sums.score[k] / (double)done_count, (long long)done_count);
done:
    run_free(&s, status != SCIML_OK);
    return status ? tool_fail(ctx) : TOOL_EXIT_OK;
}

int main(int argc, char **argv) {
    tool_set_name("sciml-pi3nn");
    pi3nn_options options;
    int usage_status = parse_options(argc, argv, &options);
    if (usage_status)
        return usage_status;
    return tool_run(argc, argv, run, &options);
}
