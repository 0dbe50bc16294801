/* Data sets in memory: variables read by name (or by sciml_role) from netCDF files, sample
 * axis first, remaining dimensions flattened into features. Fixed variables are read in file
 * order and record variables record by record, so the same code serves files and pipes. */
#include "sciml/dataset.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_VARIABLES = 2 };

sciml_status sciml_dataset_find_role(sciml_ctx *ctx, sciml_nc_reader *reader, const char *role,
                                     const char **name) {
    int64_t count = sciml_nc_var_count(reader);
    for (int64_t v = 0; v < count; v++) {
        const char *text = NULL;
        if (sciml_nc_get_att_text(reader, v, "sciml_role", &text, NULL) == SCIML_OK &&
            !strcmp(text, role)) {
            sciml_nc_var_info info;
            sciml_status status = sciml_nc_var_get_info(reader, v, &info);
            if (status)
                return status;
            *name = info.name;
            return SCIML_OK;
        }
    }
    sciml_ctx_clear_error(ctx);
    return sciml_error(ctx, SCIML_ERR_NOT_FOUND,
                       "%s: no variable has sciml_role = \"%s\": name the %s variable "
                       "explicitly (--%s NAME)",
                       sciml_nc_name(reader), role, role, role);
}

sciml_status sciml_dataset_choose_input(sciml_ctx *ctx, sciml_nc_reader *reader, const char *given,
                                        const char *stored, const char **name) {
    int64_t unused;
    if (given) {
        *name = given;
        return SCIML_OK;
    }
    if (stored && sciml_nc_find_var(reader, stored, &unused) == SCIML_OK) {
        *name = stored;
        return SCIML_OK;
    }
    sciml_ctx_clear_error(ctx);
    return sciml_dataset_find_role(ctx, reader, "input", name);
}

void sciml_array_free(sciml_array *array) {
    if (!array)
        return;
    free(array->values);
    memset(array, 0, sizeof(*array));
}

/* Checks one block of values for NaN/Inf; names the sample on failure. */
static sciml_status check_finite(sciml_ctx *ctx, sciml_nc_reader *reader, const sciml_array *a,
                                 const double *values, int64_t count, int64_t first_element) {
    for (int64_t i = 0; i < count; i++)
        if (!isfinite(values[i])) {
            int64_t element = first_element + i;
            int64_t sample = a->feature_count ? element / a->feature_count : 0;
            return sciml_error(ctx, SCIML_ERR_NONFINITE,
                               "%s: variable '%s' sample %lld has %s: expected finite data",
                               sciml_nc_name(reader), a->name, (long long)sample,
                               isnan(values[i]) ? "NaN" : "Inf");
        }
    return SCIML_OK;
}

static sciml_status grow(sciml_ctx *ctx, sciml_array *a, int64_t *capacity, int64_t samples) {
    if (samples <= *capacity)
        return SCIML_OK;
    int64_t wanted = *capacity ? *capacity : 64;
    while (wanted < samples)
        wanted *= 2;
    int64_t elements;
    if (sciml_mul_i64(wanted, a->feature_count ? a->feature_count : 1, &elements))
        return sciml_error(ctx, SCIML_ERR_OVERFLOW, "variable '%s': too many samples", a->name);
    double *values = realloc(a->values, (size_t)elements * sizeof(double));
    if (!values)
        return sciml_error(ctx, SCIML_ERR_NOMEM, "variable '%s': out of memory for %lld samples",
                           a->name, (long long)wanted);
    a->values = values;
    *capacity = wanted;
    return SCIML_OK;
}

/* Reads count variables, fixed ones in file order first, then record ones record by record. */
static sciml_status read_variables(sciml_ctx *ctx, sciml_nc_reader *reader, int count,
                                   const char **names, sciml_array *arrays) {
    int64_t vars[MAX_VARIABLES];
    sciml_nc_var_info infos[MAX_VARIABLES];
    int64_t capacity[MAX_VARIABLES] = {0};
    sciml_status status = SCIML_OK;
    memset(arrays, 0, (size_t)count * sizeof(*arrays));
    for (int k = 0; k < count; k++) {
        if ((status = sciml_nc_find_var(reader, names[k], &vars[k])) != SCIML_OK) {
            sciml_ctx_clear_error(ctx);
            return sciml_error(ctx, SCIML_ERR_NOT_FOUND, "%s: no variable '%s'",
                               sciml_nc_name(reader), names[k]);
        }
        if ((status = sciml_nc_var_get_info(reader, vars[k], &infos[k])))
            return status;
        sciml_array *a = &arrays[k];
        snprintf(a->name, sizeof(a->name), "%s", names[k]);
        if (infos[k].rank == 0 || infos[k].type == SCIML_NC_CHAR || infos[k].rank > 8)
            return sciml_error(ctx, SCIML_ERR_SHAPE,
                               "%s: variable '%s' is %s of rank %d: expected a numeric array "
                               "with a sample dimension first (rank 1 to 8)",
                               sciml_nc_name(reader), names[k], sciml_nc_type_name(infos[k].type),
                               infos[k].rank);
        a->rank = infos[k].rank;
        for (int r = 0; r < a->rank; r++)
            a->shape[r] = infos[k].shape[r];
        if (infos[k].is_record) {
            a->feature_count = infos[k].element_count;
        } else {
            a->feature_count = 1;
            for (int r = 1; r < a->rank; r++)
                a->feature_count *= infos[k].shape[r];
            a->sample_count = infos[k].shape[0];
        }
        if (a->feature_count == 0)
            return sciml_error(ctx, SCIML_ERR_SHAPE, "%s: variable '%s' has no values per sample",
                               sciml_nc_name(reader), names[k]);
    }
    /* fixed variables, in increasing file offset */
    for (int pass = 0; pass < count; pass++) {
        int next = -1;
        for (int k = 0; k < count; k++)
            if (!infos[k].is_record && !arrays[k].values &&
                (next < 0 || infos[k].begin < infos[next].begin))
                next = k;
        if (next < 0)
            break;
        sciml_array *a = &arrays[next];
        int64_t elements = infos[next].element_count;
        a->values = sciml_alloc_array((size_t)(elements ? elements : 1), sizeof(double));
        if (!a->values)
            return sciml_error(ctx, SCIML_ERR_NOMEM,
                               "%s: variable '%s': out of memory for %lld values",
                               sciml_nc_name(reader), a->name, (long long)elements);
        if ((status = sciml_nc_read_var(reader, vars[next], 0, elements, a->values)) ||
            (status = check_finite(ctx, reader, a, a->values, elements, 0)))
            return status;
    }
    int any_record = 0;
    for (int k = 0; k < count; k++)
        any_record |= infos[k].is_record;
    for (int64_t r = 0; any_record; r++) {
        int available = 0;
        if ((status = sciml_nc_has_record(reader, r, &available)))
            return status;
        if (!available)
            break;
        for (int k = 0; k < count; k++) {
            if (!infos[k].is_record)
                continue;
            sciml_array *a = &arrays[k];
            if ((status = grow(ctx, a, &capacity[k], r + 1)))
                return status;
            double *row = a->values + r * a->feature_count;
            if ((status = sciml_nc_read_record(reader, vars[k], r, row)) ||
                (status =
                     check_finite(ctx, reader, a, row, a->feature_count, r * a->feature_count)))
                return status;
            a->sample_count = r + 1;
            a->shape[0] = r + 1;
        }
    }
    for (int k = 0; k < count; k++)
        if (arrays[k].sample_count == 0)
            return sciml_error(ctx, SCIML_ERR_SHAPE, "%s: variable '%s' has no samples",
                               sciml_nc_name(reader), arrays[k].name);
    return SCIML_OK;
}

sciml_status sciml_array_read(sciml_ctx *ctx, sciml_nc_reader *reader, const char *name,
                              sciml_array *out) {
    sciml_status status = read_variables(ctx, reader, 1, &name, out);
    if (status)
        sciml_array_free(out);
    return status;
}

sciml_status sciml_dataset_read(sciml_ctx *ctx, const char *path, const char *input_name,
                                const char *output_name, sciml_array *inputs,
                                sciml_array *outputs) {
    memset(inputs, 0, sizeof(*inputs));
    memset(outputs, 0, sizeof(*outputs));
    sciml_nc_reader *reader = NULL;
    sciml_status status = sciml_nc_open(ctx, path, &reader);
    if (status)
        return status;
    if (!input_name && (status = sciml_dataset_find_role(ctx, reader, "input", &input_name)))
        goto done;
    if (!output_name && (status = sciml_dataset_find_role(ctx, reader, "output", &output_name)))
        goto done;
    const char *names[2] = {input_name, output_name};
    sciml_array arrays[2];
    memset(arrays, 0, sizeof(arrays)); /* read_variables may stop before reaching both */
    status = read_variables(ctx, reader, 2, names, arrays);
    *inputs = arrays[0];
    *outputs = arrays[1];
    if (status == SCIML_OK && inputs->sample_count != outputs->sample_count)
        status = sciml_error(ctx, SCIML_ERR_SHAPE,
                             "%s: input '%s' has %lld samples but output '%s' has %lld: "
                             "expected the same count",
                             path, input_name, (long long)inputs->sample_count, output_name,
                             (long long)outputs->sample_count);
done:
    if (status) {
        sciml_array_free(inputs);
        sciml_array_free(outputs);
    }
    sciml_nc_close(&reader);
    return status;
}

sciml_status sciml_file_checksum(sciml_ctx *ctx, const char *path, char hex[17]) {
    if (!strcmp(path, "-"))
        return sciml_error(ctx, SCIML_ERR_IO, "standard input cannot be checksummed twice");
    FILE *file = fopen(path, "rb");
    if (!file)
        return sciml_error(ctx, SCIML_ERR_IO, "%s: %s", path, strerror(errno));
    uint64_t hash = 0xcbf29ce484222325ULL;
    unsigned char buffer[1 << 15];
    size_t n;
    while ((n = fread(buffer, 1, sizeof(buffer), file)) > 0)
        for (size_t i = 0; i < n; i++) {
            hash ^= buffer[i];
            hash *= 0x100000001b3ULL;
        }
    int failed = ferror(file);
    fclose(file);
    if (failed)
        return sciml_error(ctx, SCIML_ERR_IO, "%s: read error", path);
    snprintf(hex, 17, "%016llx", (unsigned long long)hash);
    return SCIML_OK;
}
