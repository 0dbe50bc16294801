/* PINN grid and point files (layout in pinn_io.h). */
#include "pinn_io.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sciml/netcdf.h"
#include "tool.h"

sciml_status pinn_grid_make(sciml_ctx *ctx, int dim, const char *const *names, const int64_t *size,
                            const double *lower, const double *upper, pinn_grid *grid) {
    memset(grid, 0, sizeof *grid);
    grid->dim = dim;
    for (int a = 0; a < dim; a++) {
        grid->names[a] = names[a];
        grid->size[a] = size[a];
        grid->axes[a] = malloc((size_t)size[a] * sizeof(double));
        if (!grid->axes[a]) {
            pinn_grid_free(grid);
            return sciml_error(ctx, SCIML_ERR_NOMEM, "grid: out of memory");
        }
        for (int64_t i = 0; i < size[a]; i++)
            grid->axes[a][i] =
                size[a] == 1 ? lower[a]
                             : lower[a] + (upper[a] - lower[a]) * (double)i / (double)(size[a] - 1);
    }
    return SCIML_OK;
}

void pinn_grid_free(pinn_grid *grid) {
    for (int a = 0; a < PINN_MAX_AXES; a++) {
        free(grid->axes[a]);
        grid->axes[a] = NULL;
    }
}

int64_t pinn_grid_count(const pinn_grid *grid) {
    int64_t count = 1;
    for (int a = 0; a < grid->dim; a++)
        count *= grid->size[a];
    return count;
}

double *pinn_grid_points(const pinn_grid *grid) {
    int64_t count = pinn_grid_count(grid);
    double *points = malloc((size_t)count * (size_t)grid->dim * sizeof *points);
    if (!points)
        return NULL;
    for (int64_t i = 0; i < count; i++) {
        int64_t rest = i;
        for (int a = 0; a < grid->dim; a++) {
            points[i * grid->dim + a] = grid->axes[a][rest % grid->size[a]];
            rest /= grid->size[a];
        }
    }
    return points;
}

/* A one-dimensional variable `name` (any type) into a malloc'd array. */
static sciml_status read_vector(sciml_ctx *ctx, sciml_nc_reader *reader, const char *name,
                                int64_t *length, double **values, int64_t *dim_id) {
    int64_t var;
    sciml_nc_var_info info;
    if (sciml_nc_find_var(reader, name, &var) || sciml_nc_var_get_info(reader, var, &info) ||
        info.rank != 1 || info.is_record)
        return sciml_error(ctx, SCIML_ERR_FORMAT,
                           "%s: variable '%s' is missing or not one-dimensional and fixed, "
                           "expected %s(%s)",
                           sciml_nc_name(reader), name, name, name);
    *length = info.shape[0];
    *dim_id = info.dim_ids[0];
    *values = malloc((size_t)(*length > 0 ? *length : 1) * sizeof **values);
    if (!*values)
        return sciml_error(ctx, SCIML_ERR_NOMEM, "%s: out of memory", sciml_nc_name(reader));
    sciml_status status = sciml_nc_read_var(reader, var, 0, *length, *values);
    for (int64_t i = 0; !status && i < *length; i++)
        if (!isfinite((*values)[i]))
            status =
                sciml_error(ctx, SCIML_ERR_NONFINITE, "%s: variable '%s' has a non-finite value",
                            sciml_nc_name(reader), name);
    if (status) {
        free(*values);
        *values = NULL;
    }
    return status;
}

/* The fields among fields[0..field_count) that the file has, as variable ids in file order:
 * order[k] is an index into fields, var[k] its variable; *found is their number (0 is an error
 * naming the file and the fields). */
static sciml_status find_fields(sciml_ctx *ctx, sciml_nc_reader *reader, int field_count,
                                const char *const *fields, int *found, int *order, int64_t *var) {
    *found = 0;
    for (int f = 0; f < field_count; f++) {
        int64_t id;
        if (sciml_nc_find_var(reader, fields[f], &id))
            continue;
        int k = (*found)++;
        for (; k > 0 && var[k - 1] > id; k--) { /* insertion by variable id: file order */
            var[k] = var[k - 1];
            order[k] = order[k - 1];
        }
        var[k] = id;
        order[k] = f;
    }
    if (*found == 0 && field_count > 0) {
        char list[128] = "";
        for (int f = 0; f < field_count; f++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", f ? ", " : "",
                     fields[f]);
        return sciml_error(ctx, SCIML_ERR_FORMAT, "%s: no variable %s%s, expected %s",
                           sciml_nc_name(reader), field_count > 1 ? "among " : "", list,
                           field_count > 1 ? "at least one of them" : "it");
    }
    return SCIML_OK;
}

sciml_status pinn_grid_read(sciml_ctx *ctx, const char *path, int dim, const char *const *names,
                            int field_count, const char *const *fields, pinn_grid *grid,
                            double **values) {
    memset(grid, 0, sizeof *grid);
    for (int f = 0; f < field_count; f++)
        values[f] = NULL;
    sciml_nc_reader *reader = NULL;
    sciml_status status = sciml_nc_open(ctx, path, &reader);
    if (status)
        return status;
    grid->dim = dim;
    int64_t dims[PINN_MAX_AXES];
    for (int a = 0; a < dim && !status; a++) {
        grid->names[a] = names[a];
        status = read_vector(ctx, reader, names[a], &grid->size[a], &grid->axes[a], &dims[a]);
    }
    int found = 0, order[PINN_MAX_FIELDS];
    int64_t var[PINN_MAX_FIELDS];
    if (!status && field_count > PINN_MAX_FIELDS)
        status = sciml_error(ctx, SCIML_ERR_ARG, "%s: %d fields, expected at most %d", path,
                             field_count, PINN_MAX_FIELDS);
    if (!status)
        status = find_fields(ctx, reader, field_count, fields, &found, order, var);
    for (int k = 0; !status && k < found; k++) {
        const char *field = fields[order[k]];
        sciml_nc_var_info info;
        if (sciml_nc_var_get_info(reader, var[k], &info) || info.rank != dim || info.is_record)
            status = sciml_error(ctx, SCIML_ERR_FORMAT,
                                 "%s: variable '%s' does not have %d fixed dimensions, expected "
                                 "%s over the grid axes",
                                 path, field, dim, field);
        for (int a = 0; !status && a < dim; a++)
            if (info.dim_ids[dim - 1 - a] != dims[a])
                status = sciml_error(ctx, SCIML_ERR_FORMAT,
                                     "%s: variable '%s' dimension %d is not '%s', expected the "
                                     "axes in reverse order",
                                     path, field, dim - 1 - a, names[a]);
        if (!status) {
            int64_t count = pinn_grid_count(grid);
            double *column = malloc((size_t)count * sizeof *column);
            values[order[k]] = column;
            if (!column)
                status = sciml_error(ctx, SCIML_ERR_NOMEM, "%s: out of memory", path);
            else
                status = sciml_nc_read_var(reader, var[k], 0, count, column);
        }
    }
    sciml_nc_close(&reader);
    if (status) {
        for (int f = 0; f < field_count; f++) {
            free(values[f]);
            values[f] = NULL;
        }
        pinn_grid_free(grid);
    }
    return status;
}

int pinn_grid_differs(const pinn_grid *a, const pinn_grid *b, char *text, size_t size) {
    if (a->dim != b->dim) {
        snprintf(text, size, "%d axes against %d", a->dim, b->dim);
        return 1;
    }
    for (int k = 0; k < a->dim; k++) {
        if (a->size[k] != b->size[k]) {
            snprintf(text, size, "axis %s has %lld points against %lld", a->names[k],
                     (long long)a->size[k], (long long)b->size[k]);
            return 1;
        }
        double spacing = a->size[k] > 1 ? fabs(a->axes[k][1] - a->axes[k][0]) : 1.0;
        for (int64_t i = 0; i < a->size[k]; i++)
            if (fabs(a->axes[k][i] - b->axes[k][i]) > 1e-9 * fmax(spacing, 1e-300)) {
                snprintf(text, size, "axis %s point %lld is %.9g against %.9g", a->names[k],
                         (long long)i, a->axes[k][i], b->axes[k][i]);
                return 1;
            }
    }
    return 0;
}

static sciml_status put_attributes(sciml_nc_writer *writer, const char *pde_name,
                                   const char *command) {
    sciml_status status = SCIML_OK;
    if (pde_name)
        status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "pde", pde_name);
    if (!status && command)
        status = sciml_nc_append_history(writer, command);
    return status;
}

sciml_status pinn_grid_write(sciml_ctx *ctx, const char *path, const pinn_grid *grid,
                             int field_count, const char *const *field_names,
                             const double *const *fields, const char *pde_name,
                             const char *command) {
    sciml_nc_writer *writer = NULL;
    sciml_status status = sciml_nc_writer_create(ctx, path, NULL, &writer);
    if (status)
        return status;
    int64_t dims[PINN_MAX_AXES], axis_vars[PINN_MAX_AXES], field_vars[PINN_MAX_FIELDS];
    int64_t reversed[PINN_MAX_AXES];
    for (int a = 0; a < grid->dim && !status; a++)
        if (!(status = sciml_nc_def_dim(writer, grid->names[a], grid->size[a], &dims[a])))
            status = sciml_nc_def_var(writer, grid->names[a], SCIML_NC_DOUBLE, 1, &dims[a],
                                      &axis_vars[a]);
    for (int a = 0; a < grid->dim; a++)
        reversed[a] = dims[grid->dim - 1 - a];
    for (int f = 0; f < field_count && !status; f++)
        status = sciml_nc_def_var(writer, field_names[f], SCIML_NC_DOUBLE, grid->dim, reversed,
                                  &field_vars[f]);
    if (!status)
        status = put_attributes(writer, pde_name, command);
    if (!status)
        status = sciml_nc_end_def(writer);
    for (int a = 0; a < grid->dim && !status; a++)
        status = sciml_nc_write_var(writer, axis_vars[a], 0, grid->size[a], grid->axes[a]);
    for (int f = 0; f < field_count && !status; f++)
        status = sciml_nc_write_var(writer, field_vars[f], 0, pinn_grid_count(grid), fields[f]);
    if (status) {
        sciml_nc_writer_abort(&writer);
        return status;
    }
    return sciml_nc_writer_close(&writer);
}

sciml_status pinn_points_read_fields(sciml_ctx *ctx, const char *path, int dim,
                                     const char *const *names, int field_count,
                                     const char *const *fields, int64_t *count, double **points,
                                     double **values) {
    *points = NULL;
    for (int f = 0; f < field_count; f++)
        values[f] = NULL;
    sciml_nc_reader *reader = NULL;
    sciml_status status = sciml_nc_open(ctx, path, &reader);
    if (status)
        return status;
    double *columns[PINN_MAX_AXES + PINN_MAX_FIELDS] = {NULL};
    int64_t lengths[PINN_MAX_AXES + PINN_MAX_FIELDS], dim_ids[PINN_MAX_AXES + PINN_MAX_FIELDS];
    int found = 0, order[PINN_MAX_FIELDS];
    int64_t var[PINN_MAX_FIELDS];
    if (field_count > PINN_MAX_FIELDS)
        status = sciml_error(ctx, SCIML_ERR_ARG, "%s: %d fields, expected at most %d", path,
                             field_count, PINN_MAX_FIELDS);
    if (!status)
        status = find_fields(ctx, reader, field_count, fields, &found, order, var);
    for (int a = 0; a < dim + found && !status; a++) {
        const char *name = a < dim ? names[a] : fields[order[a - dim]];
        status = read_vector(ctx, reader, name, &lengths[a], &columns[a], &dim_ids[a]);
        if (!status && a > 0 && (lengths[a] != lengths[0] || dim_ids[a] != dim_ids[0]))
            status =
                sciml_error(ctx, SCIML_ERR_FORMAT,
                            "%s: variable '%s' has %lld values over another dimension than "
                            "'%s' (%lld), expected all over one point dimension",
                            path, name, (long long)lengths[a], names[0], (long long)lengths[0]);
    }
    if (!status && lengths[0] < 1)
        status = sciml_error(ctx, SCIML_ERR_FORMAT, "%s: no points, expected at least one", path);
    if (!status) {
        *count = lengths[0];
        *points = malloc((size_t)*count * (size_t)dim * sizeof **points);
        if (!*points)
            status = sciml_error(ctx, SCIML_ERR_NOMEM, "%s: out of memory", path);
        for (int64_t i = 0; !status && i < *count; i++)
            for (int a = 0; a < dim; a++)
                (*points)[i * dim + a] = columns[a][i];
        for (int k = 0; !status && k < found; k++) {
            values[order[k]] = columns[dim + k];
            columns[dim + k] = NULL;
        }
    }
    for (int a = 0; a < PINN_MAX_AXES + PINN_MAX_FIELDS; a++)
        free(columns[a]);
    sciml_nc_close(&reader);
    return status;
}

sciml_status pinn_points_read(sciml_ctx *ctx, const char *path, int dim, const char *const *names,
                              const char *field, int64_t *count, double **points, double **values) {
    return pinn_points_read_fields(ctx, path, dim, names, values ? 1 : 0, &field, count, points,
                                   values);
}

sciml_status pinn_points_write(sciml_ctx *ctx, const char *path, int dim, const char *const *names,
                               int64_t count, const double *points, int field_count,
                               const char *const *field_names, const double *const *fields,
                               const char *pde_name, const char *command) {
    sciml_nc_writer *writer = NULL;
    double *column = malloc((size_t)count * sizeof *column);
    if (!column)
        return sciml_error(ctx, SCIML_ERR_NOMEM, "%s: out of memory", path);
    sciml_status status = sciml_nc_writer_create(ctx, path, NULL, &writer);
    if (status) {
        free(column);
        return status;
    }
    int64_t point_dim, vars[PINN_MAX_AXES + PINN_MAX_FIELDS];
    status = sciml_nc_def_dim(writer, "point", count, &point_dim);
    for (int a = 0; a < dim + field_count && !status; a++)
        status = sciml_nc_def_var(writer, a < dim ? names[a] : field_names[a - dim],
                                  SCIML_NC_DOUBLE, 1, &point_dim, &vars[a]);
    if (!status)
        status = put_attributes(writer, pde_name, command);
    if (!status)
        status = sciml_nc_end_def(writer);
    for (int a = 0; a < dim && !status; a++) {
        for (int64_t i = 0; i < count; i++)
            column[i] = points[i * dim + a];
        status = sciml_nc_write_var(writer, vars[a], 0, count, column);
    }
    for (int f = 0; f < field_count && !status; f++)
        status = sciml_nc_write_var(writer, vars[dim + f], 0, count, fields[f]);
    free(column);
    if (status) {
        sciml_nc_writer_abort(&writer);
        return status;
    }
    return sciml_nc_writer_close(&writer);
}

int pinn_parse_list(struct tool_usage *usage, const char *option, const char *text, int max,
                    double min, double max_value, double *out, int *count) {
    if (!text)
        return 1;
    int n = 0;
    const char *cursor = text;
    while (1) {
        char *end = NULL;
        double value = strtod(cursor, &end);
        if (end == cursor || n >= max || !isfinite(value) || value < min || value > max_value ||
            (*end != ',' && *end != '\0')) {
            tool_usage_error(usage, "%s '%s': expected 1 to %d comma-separated numbers in [%g, %g]",
                             option, text, max, min, max_value);
            return 1;
        }
        out[n++] = value;
        if (*end == '\0')
            break;
        cursor = end + 1;
    }
    *count = n;
    return 0;
}
