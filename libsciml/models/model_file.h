/* Private to the models layer: reading the attributes and small arrays of model files and
 * checkpoints with the validation every model needs (missing, wrong type, out of range,
 * non-finite: SCIML_ERR_FORMAT or SCIML_ERR_NONFINITE with a message naming the file). */
#ifndef SCIML_MODEL_FILE_H
#define SCIML_MODEL_FILE_H

#include "sciml/netcdf.h"

/* `count` integers (1 or 2) of the numeric global attribute `name`, each in [min, max]. */
sciml_status sciml_model_read_integers(sciml_ctx *ctx, sciml_nc_reader *reader, const char *name,
                                       int count, int64_t min, int64_t max, int64_t *out);
/* The fixed variable `name`, which must hold exactly `count` finite values (and positive
 * ones when `positive`), into values. */
sciml_status sciml_model_read_vector(sciml_ctx *ctx, sciml_nc_reader *reader, const char *name,
                                     int64_t count, int positive, double *values);
/* A malloc'd copy of the text global attribute `name`, or NULL when absent. */
char *sciml_model_copy_text(sciml_nc_reader *reader, const char *name);

#endif /* SCIML_MODEL_FILE_H */
