/* sciml-train fno: Fourier neural operator, fields (sample, x[, y]) to fields, on the shared
 * trainer. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sciml/fno_model.h"
#include "tool.h"
#include "train_run.h"

static sciml_status write_fno(void *m, const char *path, const sciml_model_provenance *p,
                              int checkpoint) {
    return sciml_fno_model_write(m, path, p, checkpoint);
}
static int64_t fno_epochs(const void *m) {
    return sciml_fno_model_epochs_done(m);
}
static int64_t fno_parameters(const void *m) {
    return sciml_fno_model_parameter_count(m);
}
/* A data variable as FNO fields: (sample, x) is 1D and (sample, x, y) 2D, one channel. */
static int as_fields(const sciml_array *array, const char *path, sciml_field_set *fields) {
    if (array->rank != 2 && array->rank != 3) {
        tool_error("%s: variable '%s' has %d dimensions: the fno mode needs (sample, x) or "
                   "(sample, x, y)",
                   path, array->name, array->rank);
        return 1;
    }
    fields->values = array->values;
    fields->count = array->sample_count;
    fields->size[0] = array->shape[1];
    fields->size[1] = array->rank == 3 ? array->shape[2] : 1;
    fields->channels = 1;
    return 0;
}

int train_fno(training_run *run) {
    sciml_ctx *ctx = run->ctx;
    const train_options *o = run->o;
    sciml_fno_model *model = NULL;
    int exit_code = TOOL_EXIT_FAILURE;
    if (o->resume) {
        if (sciml_fno_model_read(ctx, o->resume, &model, &run->stored_input, &run->stored_output)) {
            tool_fail(ctx);
            goto done;
        }
        train_run_warn_resume(o, sciml_fno_model_is_checkpoint(model));
    }
    if (train_run_read_data(run))
        goto done;
    sciml_field_set a, u, test_a, test_u;
    if (as_fields(&run->x, o->data, &a) || as_fields(&run->y, o->data, &u) ||
        (o->test &&
         (as_fields(&run->test_x, o->test, &test_a) || as_fields(&run->test_y, o->test, &test_u))))
        goto done;
    if (a.size[0] != u.size[0] || a.size[1] != u.size[1] || run->x.rank != run->y.rank) {
        tool_error("%s: '%s' and '%s' are on different grids: expected the same shape", o->data,
                   run->x.name, run->y.name);
        goto done;
    }
    if (!model) {
        sciml_fno_config config;
        sciml_fno_config_default(&config);
        config.dims = run->x.rank - 1;
        config.modes[0] = o->modes[0];
        config.modes[1] = o->modes[1];
        config.width = o->width;
        config.layers = o->layers;
        config.projection = o->projection;
        config.padding = o->padding;
        if (sciml_fno_model_create(ctx, &config, o->seed, &model)) {
            tool_fail(ctx);
            goto done;
        }
    } else if (sciml_fno_model_get_config(model)->dims != run->x.rank - 1) {
        tool_error("%s: the data is %dD, the checkpoint %s is a %dD model", o->data,
                   run->x.rank - 1, o->resume, sciml_fno_model_get_config(model)->dims);
        goto done;
    }
    const model_handle handle = {model, write_fno, fno_epochs, fno_parameters};
    if (train_run_start(run, &handle))
        goto done;
    sciml_status status = sciml_fno_model_train(model, &a, &u, o->test ? &test_a : NULL,
                                                o->test ? &test_u : NULL, &run->options);
    exit_code = train_run_finish(run, status);
done:
    sciml_fno_model_destroy(&model);
    return exit_code;
}
