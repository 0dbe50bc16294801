/* sciml-mlp: apply a trained MLP model (from `sciml-train mlp`) to the samples of a netCDF
 * file or stream, batch by batch, and write the predictions as a netCDF file or stream.
 *
 *   sciml-mlp -m MODEL [IN] [OUT]        (IN and OUT default to '-')
 *
 * Memory is bounded by one batch: records are read, predicted and written in chunks, so any
 * number of samples can be piped through. The output holds the prediction variable
 * (sample, output) and the input file's history with this command appended. */
#include <stdlib.h>
#include <string.h>

#include "sciml/mlp_model.h"
#include "sciml/netcdf.h"
#include "tool.h"

enum { BATCH_DEFAULT = 256 };

static void usage(FILE *out) {
    fprintf(out,
            "Usage: sciml-mlp -m MODEL [OPTIONS] [IN] [OUT]\n"
            "Apply an MLP model made by 'sciml-train mlp' to every sample of IN and write the\n"
            "predictions to OUT (netCDF). IN and OUT default to '-' (standard input/output).\n"
            "\n"
            "Options:\n"
            "  -m, --model FILE   the model (required)\n"
            "  --input NAME       input variable [the name stored in the model, else the one\n"
            "                     with sciml_role = \"input\"]\n"
            "  --output NAME      name of the predicted variable [the model's output name]\n"
            "  --batch N          samples per batch [%d]\n"
            "  -h, --help         show this help and exit\n"
            "  --version          show the version and exit\n"
            "\n"
            "Exit status: 0 success, 1 failure (no output file is left), 2 usage error.\n",
            BATCH_DEFAULT);
}

/* Copies the input's history (if any) so the output carries the whole lineage. */
static sciml_status copy_history(sciml_nc_reader *reader, sciml_nc_writer *writer) {
    const char *history = NULL;
    if (sciml_nc_get_att_text(reader, SCIML_NC_GLOBAL, "history", &history, NULL) != SCIML_OK)
        return SCIML_OK;
    return sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "history", history);
}

static int run(sciml_ctx *ctx, const void *options, const char *command) {
    const tool_apply_options *o = options;
    sciml_mlp_model *model = NULL;
    sciml_nc_reader *reader = NULL;
    sciml_nc_writer *writer = NULL;
    char *stored_input = NULL, *stored_output = NULL;
    double *x = NULL, *y = NULL;
    sciml_status status;
    const char *input_name = NULL, *output_name = NULL;
    int64_t var;
    sciml_nc_var_info info;
    if ((status =
             sciml_mlp_model_read(ctx, o->model_path, &model, &stored_input, &stored_output)) ||
        (status =
             tool_open_input(ctx, o->input_path, o->input_name, stored_input, &reader, &input_name,
                             &var, &info, o->output_name, stored_output, &output_name)))
        goto done;
    const sciml_mlp_model_config *config = sciml_mlp_model_get_config(model);
    if (info.rank < 1 || info.type == SCIML_NC_CHAR) {
        status = sciml_error(ctx, SCIML_ERR_SHAPE,
                             "%s: variable '%s' has rank %d: expected (sample, feature)",
                             o->input_path, input_name, info.rank);
        goto done;
    }
    int64_t per_sample = info.is_record ? info.element_count
                                        : (info.shape[0] ? info.element_count / info.shape[0] : 0);
    int64_t samples = info.is_record ? sciml_nc_record_count(reader) : info.shape[0];
    if (per_sample != config->input_count) {
        status = sciml_error(ctx, SCIML_ERR_SHAPE,
                             "%s: variable '%s' has %lld values per sample, the model needs %lld",
                             o->input_path, input_name, (long long)per_sample,
                             (long long)config->input_count);
        goto done;
    }
    sciml_nc_writer_options writer_options = sciml_nc_writer_default_options();
    writer_options.record_count = samples; /* -1 when streamed with an unknown count */
    int64_t sample_dim, output_dim, out_var;
    int64_t dims[2];
    if ((status = sciml_nc_writer_create(ctx, o->output_path, &writer_options, &writer)) ||
        (status = sciml_nc_def_dim(writer, "sample", 0, &sample_dim)) ||
        (status = sciml_nc_def_dim(writer, "output", config->output_count, &output_dim)))
        goto done;
    dims[0] = sample_dim;
    dims[1] = output_dim;
    if ((status = sciml_nc_def_var(writer, output_name, SCIML_NC_DOUBLE, 2, dims, &out_var)) ||
        (status = sciml_nc_put_att_text(writer, out_var, "sciml_role", "output")) ||
        (status = sciml_nc_put_att_text(writer, out_var, "long_name", "MLP prediction")) ||
        (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "sciml_kind", "dataset")) ||
        (status = copy_history(reader, writer)) ||
        (status = sciml_nc_append_history(writer, command)) || (status = sciml_nc_end_def(writer)))
        goto done;
    x = sciml_alloc_array((size_t)(o->batch * config->input_count), sizeof(double));
    y = sciml_alloc_array((size_t)(o->batch * config->output_count), sizeof(double));
    if (!x || !y) {
        status = sciml_error(ctx, SCIML_ERR_NOMEM, "out of memory for a batch of %lld",
                             (long long)o->batch);
        goto done;
    }
    int64_t done_count = 0;
    for (int finished = 0; !finished;) {
        int64_t n = 0;
        if ((status = tool_read_samples(reader, var, &info, samples, per_sample, done_count,
                                        o->batch, x, &n)))
            goto done;
        if (n == 0)
            break;
        finished = n < o->batch;
        if ((status = sciml_mlp_model_predict(model, x, n, y)) ||
            (status = sciml_nc_write_records(writer, out_var, done_count, n, y)))
            goto done;
        done_count += n;
        if ((status = tool_check_interrupted(ctx, done_count, "samples")))
            goto done;
    }
    status = sciml_nc_writer_close(&writer);
done:
    if (status)
        sciml_nc_writer_abort(&writer);
    free(x);
    free(y);
    free(stored_input);
    free(stored_output);
    sciml_nc_close(&reader);
    sciml_mlp_model_destroy(&model);
    return status ? tool_fail(ctx) : TOOL_EXIT_OK;
}

int main(int argc, char **argv) {
    tool_set_name("sciml-mlp");
    tool_apply_options options;
    int usage_status = tool_parse_apply_options(argc, argv, usage, BATCH_DEFAULT, &options);
    if (usage_status)
        return usage_status;
    return tool_run(argc, argv, run, &options);
}
