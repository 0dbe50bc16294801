/* Validated reads of model-file attributes and small arrays (models/model_file.h). */
#include "models/model_file.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

sciml_status sciml_model_read_integers(sciml_ctx *ctx, sciml_nc_reader *reader, const char *name,
                                       int count, int64_t min, int64_t max, int64_t *out) {
    double values[2] = {0, 0};
    int64_t length = 0;
    if (count < 1 || count > 2)
        return sciml_error(ctx, SCIML_ERR_ARG, "model attribute '%s': %d values requested", name,
                           count);
    sciml_status status =
        sciml_nc_get_att_double(reader, SCIML_NC_GLOBAL, name, values, count, &length);
    if (status == SCIML_ERR_NOT_FOUND)
        return sciml_error(ctx, SCIML_ERR_FORMAT, "%s: model attribute '%s' is missing",
                           sciml_nc_name(reader), name);
    if (status)
        return sciml_error(ctx, SCIML_ERR_FORMAT, "%s: model attribute '%s' is not numeric",
                           sciml_nc_name(reader), name);
    if (length != count)
        return sciml_error(ctx, SCIML_ERR_FORMAT,
                           "%s: model attribute '%s' has %lld values: expected %d",
                           sciml_nc_name(reader), name, (long long)length, count);
    for (int k = 0; k < count; k++) {
        if (!(values[k] >= (double)min && values[k] <= (double)max) ||
            values[k] != floor(values[k]))
            return sciml_error(ctx, SCIML_ERR_FORMAT,
                               "%s: model attribute '%s' is %g: expected an integer in [%lld, "
                               "%lld]",
                               sciml_nc_name(reader), name, values[k], (long long)min,
                               (long long)max);
        out[k] = (int64_t)values[k];
    }
    return SCIML_OK;
}

sciml_status sciml_model_read_vector(sciml_ctx *ctx, sciml_nc_reader *reader, const char *name,
                                     int64_t count, int positive, double *values) {
    int64_t var;
    sciml_nc_var_info info;
    if (sciml_nc_find_var(reader, name, &var)) {
        sciml_ctx_clear_error(ctx);
        return sciml_error(ctx, SCIML_ERR_FORMAT, "%s: model variable '%s' is missing",
                           sciml_nc_name(reader), name);
    }
    sciml_status status = sciml_nc_var_get_info(reader, var, &info);
    if (status)
        return status;
    if (info.is_record || info.element_count != count)
        return sciml_error(ctx, SCIML_ERR_FORMAT,
                           "%s: model variable '%s' has %lld values but the attributes say "
                           "%lld",
                           sciml_nc_name(reader), name, (long long)info.element_count,
                           (long long)count);
    if ((status = sciml_nc_read_var(reader, var, 0, count, values)))
        return status;
    for (int64_t i = 0; i < count; i++) {
        if (!isfinite(values[i]))
            return sciml_error(ctx, SCIML_ERR_NONFINITE,
                               "%s: model variable '%s' element %lld is not finite",
                               sciml_nc_name(reader), name, (long long)i);
        if (positive && !(values[i] > 0))
            return sciml_error(ctx, SCIML_ERR_FORMAT,
                               "%s: %s[%lld] is %g: expected a positive value",
                               sciml_nc_name(reader), name, (long long)i, values[i]);
    }
    return SCIML_OK;
}

char *sciml_model_copy_text(sciml_nc_reader *reader, const char *name) {
    const char *text = NULL;
    if (sciml_nc_get_att_text(reader, SCIML_NC_GLOBAL, name, &text, NULL) != SCIML_OK)
        return NULL;
    size_t length = strlen(text);
    char *copy = malloc(length + 1);
    if (copy)
        memcpy(copy, text, length + 1);
    return copy;
}
