/* Query grids of the aligned DeepONet layout (sciml/deeponet_model.h): coordinate axes read
 * from a file or given directly, and their cartesian product as a (P, d) point table with the
 * first axis slowest, the order of a row-major u(sample, x, t). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/deeponet_model_internal.h"

void sciml_deeponet_grid_free(sciml_deeponet_grid *grid) {
    if (!grid)
        return;
    for (int k = 0; k < SCIML_DEEPONET_MAX_COORDINATES; k++)
        free(grid->axis[k]);
    free(grid->points);
    memset(grid, 0, sizeof(*grid));
}

/* Fills grid->points from the axes. */
static sciml_status make_points(sciml_ctx *ctx, sciml_deeponet_grid *grid) {
    int64_t count = 1;
    for (int k = 0; k < grid->dims; k++) {
        if (grid->size[k] < 1 || count > (INT64_C(1) << 40) / grid->size[k])
            return sciml_error(ctx, SCIML_ERR_RANGE,
                               "deeponet grid: %lld points along '%s': expected 1 to 2^40 in all",
                               (long long)grid->size[k], grid->names[k]);
        count *= grid->size[k];
    }
    grid->points = sciml_alloc_array((size_t)count * (size_t)grid->dims, sizeof(double));
    if (!grid->points)
        return sciml_error(ctx, SCIML_ERR_NOMEM, "deeponet grid: out of memory for %lld points",
                           (long long)count);
    for (int64_t j = 0; j < count; j++) {
        int64_t rest = j;
        for (int k = grid->dims - 1; k >= 0; k--) {
            grid->points[j * grid->dims + k] = grid->axis[k][rest % grid->size[k]];
            rest /= grid->size[k];
        }
    }
    grid->point_count = count;
    return SCIML_OK;
}

/* The coordinate variable of dimension `dim` (1D, fixed, numeric) or -1. */
static int64_t coordinate_variable(sciml_nc_reader *reader, int64_t dim) {
    const char *name = sciml_nc_dim_name(reader, dim);
    int64_t var;
    sciml_nc_var_info info;
    if (!name || sciml_nc_find_var(reader, name, &var) != SCIML_OK ||
        sciml_nc_var_get_info(reader, var, &info) != SCIML_OK || info.rank != 1 || info.is_record ||
        info.dim_ids[0] != dim || info.type == SCIML_NC_CHAR)
        return -1;
    return var;
}

/* Reads the axes of variables vars[0..dims) into the grid (names already set). */
static sciml_status read_axes(sciml_ctx *ctx, sciml_nc_reader *reader, const int64_t *vars,
                              sciml_deeponet_grid *grid) {
    /* a pipe delivers fixed variables in file order */
    int order[SCIML_DEEPONET_MAX_COORDINATES];
    for (int k = 0; k < grid->dims; k++)
        order[k] = k;
    for (int a = 0; a < grid->dims; a++)
        for (int b = a + 1; b < grid->dims; b++)
            if (vars[order[b]] < vars[order[a]]) {
                int t = order[a];
                order[a] = order[b];
                order[b] = t;
            }
    for (int i = 0; i < grid->dims; i++) {
        const int k = order[i];
        grid->axis[k] = sciml_alloc_array((size_t)grid->size[k], sizeof(double));
        if (!grid->axis[k])
            return sciml_error(ctx, SCIML_ERR_NOMEM, "out of memory");
        sciml_status status = sciml_nc_read_var(reader, vars[k], 0, grid->size[k], grid->axis[k]);
        if (status)
            return status;
        for (int64_t j = 0; j < grid->size[k]; j++)
            if (!isfinite(grid->axis[k][j]))
                return sciml_error(ctx, SCIML_ERR_NONFINITE,
                                   "%s: coordinate variable '%s' element %lld is not finite",
                                   sciml_nc_name(reader), grid->names[k], (long long)j);
    }
    return make_points(ctx, grid);
}

sciml_status sciml_deeponet_grid_of_variable(sciml_ctx *ctx, sciml_nc_reader *reader,
                                             const char *name, sciml_deeponet_grid *grid) {
    memset(grid, 0, sizeof(*grid));
    grid->channels = 1;
    int64_t var;
    sciml_nc_var_info info;
    sciml_status status;
    if ((status = sciml_nc_find_var(reader, name, &var)) ||
        (status = sciml_nc_var_get_info(reader, var, &info)))
        return status;
    if (!info.is_record || info.rank < 2)
        return sciml_error(ctx, SCIML_ERR_SHAPE,
                           "%s: variable '%s' has %d dimensions%s: expected (sample, x[, ...]) "
                           "with the sample as record dimension",
                           sciml_nc_name(reader), name, info.rank,
                           info.is_record ? "" : " and no sample (record) dimension");
    int64_t vars[SCIML_DEEPONET_MAX_COORDINATES];
    for (int d = 1; d < info.rank; d++) {
        const char *dim_name = sciml_nc_dim_name(reader, info.dim_ids[d]);
        int64_t coordinate = coordinate_variable(reader, info.dim_ids[d]);
        if (coordinate < 0 && d == info.rank - 1 && d > 1) {
            grid->channels = info.shape[d];
            snprintf(grid->channel_name, sizeof(grid->channel_name), "%s", dim_name);
            break;
        }
        if (coordinate < 0)
            return sciml_error(ctx, SCIML_ERR_FORMAT,
                               "%s: dimension '%s' of '%s' has no coordinate variable: expected "
                               "the query points as 1D coordinate variables",
                               sciml_nc_name(reader), dim_name, name);
        if (grid->dims == SCIML_DEEPONET_MAX_COORDINATES)
            return sciml_error(ctx, SCIML_ERR_SHAPE, "%s: '%s' has more than %d query coordinates",
                               sciml_nc_name(reader), name, SCIML_DEEPONET_MAX_COORDINATES);
        snprintf(grid->names[grid->dims], sizeof(grid->names[0]), "%s", dim_name);
        grid->size[grid->dims] = info.shape[d];
        vars[grid->dims++] = coordinate;
    }
    return read_axes(ctx, reader, vars, grid);
}

sciml_status sciml_deeponet_grid_of_names(sciml_ctx *ctx, sciml_nc_reader *reader,
                                          const char *names, sciml_deeponet_grid *grid) {
    memset(grid, 0, sizeof(*grid));
    grid->channels = 1;
    int64_t vars[SCIML_DEEPONET_MAX_COORDINATES];
    const char *cursor = names;
    while (cursor && *cursor) {
        const char *comma = strchr(cursor, ',');
        size_t length = comma ? (size_t)(comma - cursor) : strlen(cursor);
        if (grid->dims == SCIML_DEEPONET_MAX_COORDINATES || length == 0 ||
            length > SCIML_NC_MAX_NAME)
            return sciml_error(ctx, SCIML_ERR_ARG, "deeponet grid: bad coordinate list '%s'",
                               names);
        char *name = grid->names[grid->dims];
        memcpy(name, cursor, length);
        name[length] = '\0';
        int64_t dim;
        if (sciml_nc_find_dim(reader, name, &dim) != SCIML_OK ||
            (vars[grid->dims] = coordinate_variable(reader, dim)) < 0) {
            sciml_ctx_clear_error(ctx);
            return sciml_error(ctx, SCIML_ERR_NOT_FOUND,
                               "%s: no coordinate variable '%s': expected the query coordinates "
                               "%s as 1D variables over dimensions of the same names",
                               sciml_nc_name(reader), name, names);
        }
        grid->size[grid->dims++] = sciml_nc_dim_length(reader, dim);
        cursor = comma ? comma + 1 : NULL;
    }
    if (grid->dims == 0)
        return sciml_error(ctx, SCIML_ERR_ARG, "deeponet grid: empty coordinate list");
    return read_axes(ctx, reader, vars, grid);
}

sciml_status sciml_deeponet_grid_uniform(sciml_ctx *ctx, int dims, const double *start,
                                         const double *stop, const int64_t *size, const char *names,
                                         sciml_deeponet_grid *grid) {
    memset(grid, 0, sizeof(*grid));
    grid->channels = 1;
    if (dims < 1 || dims > SCIML_DEEPONET_MAX_COORDINATES)
        return sciml_error(ctx, SCIML_ERR_ARG, "deeponet grid: %d coordinates: expected 1 to %d",
                           dims, SCIML_DEEPONET_MAX_COORDINATES);
    grid->dims = dims;
    const char *cursor = names;
    for (int k = 0; k < dims; k++) {
        if (cursor && *cursor) {
            const char *comma = strchr(cursor, ',');
            size_t length = comma ? (size_t)(comma - cursor) : strlen(cursor);
            if (length > SCIML_NC_MAX_NAME)
                length = SCIML_NC_MAX_NAME;
            memcpy(grid->names[k], cursor, length);
            grid->names[k][length] = '\0';
            cursor = comma ? comma + 1 : NULL;
        } else {
            snprintf(grid->names[k], sizeof(grid->names[k]), "x%d", k);
        }
        if (size[k] < 1 || size[k] > (INT64_C(1) << 30) || !isfinite(start[k]) ||
            !isfinite(stop[k])) {
            sciml_deeponet_grid_free(grid);
            return sciml_error(ctx, SCIML_ERR_RANGE,
                               "deeponet grid: axis %d from %g to %g with %lld points: expected "
                               "finite ends and 1 to 2^30 points",
                               k, start[k], stop[k], (long long)size[k]);
        }
        grid->size[k] = size[k];
        grid->axis[k] = sciml_alloc_array((size_t)size[k], sizeof(double));
        if (!grid->axis[k]) {
            sciml_deeponet_grid_free(grid);
            return sciml_error(ctx, SCIML_ERR_NOMEM, "out of memory");
        }
        for (int64_t j = 0; j < size[k]; j++)
            grid->axis[k][j] =
                size[k] == 1 ? start[k]
                             : start[k] + (stop[k] - start[k]) * (double)j / (double)(size[k] - 1);
    }
    sciml_status status = make_points(ctx, grid);
    if (status)
        sciml_deeponet_grid_free(grid);
    return status;
}

int64_t sciml_deeponet_model_outside(const sciml_deeponet_model *model, const double *points,
                                     int64_t point_count, int64_t *first) {
    if (!model->normalized)
        return 0;
    const int64_t d = model->config.coordinates;
    int64_t outside = 0;
    for (int64_t j = 0; j < point_count; j++) {
        int out = 0;
        for (int64_t k = 0; k < d; k++) {
            double slack = 1e-9 * (model->domain_max[k] - model->domain_min[k]);
            double y = points[j * d + k];
            if (y < model->domain_min[k] - slack || y > model->domain_max[k] + slack)
                out = 1;
        }
        if (out && outside++ == 0 && first)
            *first = j;
    }
    return outside;
}
