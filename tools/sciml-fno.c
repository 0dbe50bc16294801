/* sciml-fno: apply a trained Fourier neural operator (from `sciml-train fno`) to the fields of
 * a netCDF file or stream, batch by batch, at the fields' own resolution (which may differ
 * from the training resolution: zero-shot super-resolution), and write the predicted fields.
 *
 *   sciml-fno -m MODEL [IN] [OUT]        (IN and OUT default to '-')
 *
 * Memory is bounded by one batch of fields: any number of samples can be piped through.
 * Coordinate variables of the input's spatial dimensions (x, y) are copied to the output. */
#include <stdlib.h>
#include <string.h>

#include "sciml/fno_model.h"
#include "sciml/netcdf.h"
#include "tool.h"

enum { BATCH_DEFAULT = 20 };

static void usage(FILE *out) {
    fprintf(out,
            "Usage: sciml-fno -m MODEL [OPTIONS] [IN] [OUT]\n"
            "Apply a Fourier neural operator made by 'sciml-train fno' to every field of IN\n"
            "and write the predicted fields to OUT (netCDF), at IN's resolution (any size the\n"
            "model's modes fit). IN and OUT default to '-' (standard input/output).\n"
            "\n"
            "Options:\n"
            "  -m, --model FILE   the model (required)\n"
            "  --input NAME       input variable [the name stored in the model, else the one\n"
            "                     with sciml_role = \"input\"]\n"
            "  --output NAME      name of the predicted variable [the model's output name]\n"
            "  --batch N          fields per batch [%d]\n"
            "  -h, --help         show this help and exit\n"
            "  --version          show the version and exit\n"
            "\n"
            "Exit status: 0 success, 1 failure (no output file is left), 2 usage error.\n",
            BATCH_DEFAULT);
}

/* A coordinate variable of the input (1D, fixed, over the dimension `dim`), or -1. */
static int64_t coordinate_of(sciml_nc_reader *reader, int64_t dim) {
    int64_t var;
    const char *name = sciml_nc_dim_name(reader, dim);
    sciml_nc_var_info info;
    if (!name || sciml_nc_find_var(reader, name, &var) != SCIML_OK ||
        sciml_nc_var_get_info(reader, var, &info) != SCIML_OK || info.rank != 1 || info.is_record ||
        info.dim_ids[0] != dim || info.type == SCIML_NC_CHAR)
        return -1;
    return var;
}

static int run(sciml_ctx *ctx, const void *options, const char *command) {
    const tool_apply_options *o = options;
    sciml_fno_model *model = NULL;
    sciml_nc_reader *reader = NULL;
    sciml_nc_writer *writer = NULL;
    char *stored_input = NULL, *stored_output = NULL;
    double *a = NULL, *u = NULL, *coordinates[2] = {NULL, NULL};
    sciml_status status;
    const char *input_name = NULL, *output_name = NULL;
    int64_t var;
    sciml_nc_var_info info;
    if ((status =
             sciml_fno_model_read(ctx, o->model_path, &model, &stored_input, &stored_output)) ||
        (status =
             tool_open_input(ctx, o->input_path, o->input_name, stored_input, &reader, &input_name,
                             &var, &info, o->output_name, stored_output, &output_name)))
        goto done;
    const sciml_fno_config *config = sciml_fno_model_get_config(model);
    if (!info.is_record || info.rank != config->dims + 1 || info.type == SCIML_NC_CHAR) {
        status = sciml_error(ctx, SCIML_ERR_SHAPE,
                             "%s: variable '%s' has %d dimensions%s: the model needs %s",
                             o->input_path, input_name, info.rank,
                             info.is_record ? "" : " and no sample (record) dimension",
                             config->dims == 1 ? "(sample, x)" : "(sample, x, y)");
        goto done;
    }
    sciml_field_set fields = {NULL, 0, {info.shape[1], config->dims == 2 ? info.shape[2] : 1}, 1};
    const int64_t points = info.element_count;
    /* output: sample, the input's spatial dimensions and their coordinates */
    sciml_nc_writer_options writer_options = sciml_nc_writer_default_options();
    writer_options.record_count = sciml_nc_record_count(reader);
    int64_t dims[3], coordinate_vars[2] = {-1, -1}, out_coordinates[2] = {-1, -1}, out_var;
    if ((status = sciml_nc_writer_create(ctx, o->output_path, &writer_options, &writer)) ||
        (status = sciml_nc_def_dim(writer, "sample", 0, &dims[0])))
        goto done;
    for (int d = 0; d < config->dims; d++) {
        const char *dim_name = sciml_nc_dim_name(reader, info.dim_ids[d + 1]);
        if ((status = sciml_nc_def_dim(writer, dim_name, info.shape[d + 1], &dims[d + 1])))
            goto done;
        coordinate_vars[d] = coordinate_of(reader, info.dim_ids[d + 1]);
        if (coordinate_vars[d] >= 0 &&
            ((status = sciml_nc_def_var(writer, dim_name, SCIML_NC_DOUBLE, 1, &dims[d + 1],
                                        &out_coordinates[d])) ||
             (status =
                  sciml_nc_put_att_text(writer, out_coordinates[d], "sciml_role", "coordinate"))))
            goto done;
    }
    const char *history = NULL;
    if ((status = sciml_nc_def_var(writer, output_name, SCIML_NC_DOUBLE, config->dims + 1, dims,
                                   &out_var)) ||
        (status = sciml_nc_put_att_text(writer, out_var, "sciml_role", "output")) ||
        (status = sciml_nc_put_att_text(writer, out_var, "long_name",
                                        "Fourier neural operator prediction")) ||
        (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "sciml_kind", "dataset")) ||
        (sciml_nc_get_att_text(reader, SCIML_NC_GLOBAL, "history", &history, NULL) == SCIML_OK &&
         (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "history", history))) ||
        (status = sciml_nc_append_history(writer, command)) || (status = sciml_nc_end_def(writer)))
        goto done;
    /* coordinates come before the records in both files */
    for (int d = 0; d < config->dims; d++) {
        if (coordinate_vars[d] < 0)
            continue;
        coordinates[d] = sciml_alloc_array((size_t)info.shape[d + 1], sizeof(double));
        if (!coordinates[d]) {
            status = sciml_error(ctx, SCIML_ERR_NOMEM, "out of memory");
            goto done;
        }
    }
    for (int pass = 0; pass < 2; pass++) { /* read in file order, then write in ours */
        for (int d = 0; d < config->dims; d++) {
            if (coordinate_vars[d] < 0)
                continue;
            if (pass == 0)
                status = sciml_nc_read_var(reader, coordinate_vars[d], 0, info.shape[d + 1],
                                           coordinates[d]);
            else
                status = sciml_nc_write_var(writer, out_coordinates[d], 0, info.shape[d + 1],
                                            coordinates[d]);
            if (status)
                goto done;
        }
    }
    a = sciml_alloc_array((size_t)(o->batch * points), sizeof(double));
    u = sciml_alloc_array((size_t)(o->batch * points * config->output_channels), sizeof(double));
    if (!a || !u) {
        status = sciml_error(ctx, SCIML_ERR_NOMEM, "out of memory for a batch of %lld fields",
                             (long long)o->batch);
        goto done;
    }
    int64_t written = 0;
    for (int finished = 0; !finished;) {
        int64_t n = 0;
        if ((status = tool_read_samples(reader, var, &info, -1, points, written, o->batch, a, &n)))
            goto done;
        if (n == 0)
            break;
        finished = n < o->batch;
        fields.values = a;
        fields.count = n;
        if ((status = sciml_fno_model_predict(model, &fields, o->batch, u)) ||
            (status = sciml_nc_write_records(writer, out_var, written, n, u)))
            goto done;
        written += n;
        if ((status = tool_check_interrupted(ctx, written, "fields")))
            goto done;
    }
    status = sciml_nc_writer_close(&writer);
done:
    if (status)
        sciml_nc_writer_abort(&writer);
    free(a);
    free(u);
    free(coordinates[0]);
    free(coordinates[1]);
    free(stored_input);
    free(stored_output);
    sciml_nc_close(&reader);
    sciml_fno_model_destroy(&model);
    return status ? tool_fail(ctx) : TOOL_EXIT_OK;
}

int main(int argc, char **argv) {
    tool_set_name("sciml-fno");
    tool_apply_options options;
    int usage_status = tool_parse_apply_options(argc, argv, usage, BATCH_DEFAULT, &options);
    if (usage_status)
        return usage_status;
    return tool_run(argc, argv, run, &options);
}
