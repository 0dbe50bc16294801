/* libsciml models: data sets held in memory for training.
 *
 * A data set is a pair of (sample, feature) row-major arrays read from a netCDF file by
 * variable name. The sample axis is the record dimension (or, for a fixed variable, its first
 * dimension); all remaining dimensions are flattened into features, so a (sample, x, channel)
 * field becomes x * channel features. When no name is given the variable whose `sciml_role`
 * attribute is "input" (or "output") is taken.
 */
#ifndef SCIML_DATASET_H
#define SCIML_DATASET_H

#include "sciml/core.h"
#include "sciml/netcdf.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sciml_array {
    double *values; /* (sample_count, feature_count) row-major; owned */
    int64_t sample_count;
    int64_t feature_count;
    int rank;         /* rank of the variable in the file, sample axis included */
    int64_t shape[8]; /* its shape (shape[0] = sample_count); rank <= 8 */
    char name[SCIML_NC_MAX_NAME + 1];
} sciml_array;

/* Name of the variable with sciml_role = role ("input" or "output"), or SCIML_ERR_NOT_FOUND
 * with a message naming the file and the role. *name points into the reader. */
sciml_status sciml_dataset_find_role(sciml_ctx *ctx, sciml_nc_reader *reader, const char *role,
                                     const char **name);

/* The input variable to use in `reader`: `given` when not NULL, else `stored` (the name a model
 * was trained on) when the file has it, else the variable with sciml_role = "input".
 * *name points into given, stored or the reader. */
sciml_status sciml_dataset_choose_input(sciml_ctx *ctx, sciml_nc_reader *reader,
                                        const char *given, const char *stored,
                                        const char **name);

/* Reads all samples of variable `name` as doubles into out (allocated; free with
 * sciml_array_free). Fails with SCIML_ERR_NONFINITE naming the sample when a value is NaN or
 * Inf, SCIML_ERR_NOT_FOUND when the variable is absent, SCIML_ERR_SHAPE when it is a scalar or
 * text. Seekable and piped readers alike (a pipe must offer the variable in file order). */
sciml_status sciml_array_read(sciml_ctx *ctx, sciml_nc_reader *reader, const char *name,
                              sciml_array *out);
void sciml_array_free(sciml_array *array); /* frees values, zeroes the struct; NULL-safe */

/* Reads an input and an output variable (names may be NULL: found by sciml_role) and checks
 * they have the same sample count. Reading two variables from a pipe requires them to be both
 * record variables or both fixed. */
sciml_status sciml_dataset_read(sciml_ctx *ctx, const char *path, const char *input_name,
                                const char *output_name, sciml_array *inputs, sciml_array *outputs);

/* 64-bit FNV-1a checksum of a file's bytes as 16 hex digits (for provenance). "-" or an
 * unreadable path gives SCIML_ERR_IO. */
sciml_status sciml_file_checksum(sciml_ctx *ctx, const char *path, char hex[17]);

#ifdef __cplusplus
}
#endif
#endif /* SCIML_DATASET_H */
