/* netCDF layouts shared by the PINN tools (sciml-train pinn, sciml-pinn, sciml-gen burgers-ref),
 * described in sciml-pinn(1):
 *   grid:   one coordinate variable per input over its own dimension (x(x), t(t)), fields over
 *           the inputs in reverse order, u(t, x): the first input varies fastest;
 *   points: dimension `point`, one variable per input and per field, x(point), t(point), u(point).
 * Points of a grid are listed first input fastest, so a grid field and its points agree. */
#ifndef SCIML_PINN_IO_H
#define SCIML_PINN_IO_H

#include <stdint.h>

#include "sciml/core.h"

#define PINN_MAX_AXES 3
#define PINN_MAX_FIELDS 6

typedef struct pinn_grid {
    int dim;
    const char *names[PINN_MAX_AXES]; /* borrowed */
    int64_t size[PINN_MAX_AXES];
    double *axes[PINN_MAX_AXES]; /* owned (size[a]) */
} pinn_grid;

/* Equally spaced axes, lower[a]..upper[a] inclusive. */
sciml_status pinn_grid_make(sciml_ctx *ctx, int dim, const char *const *names, const int64_t *size,
                            const double *lower, const double *upper, pinn_grid *grid);
void pinn_grid_free(pinn_grid *grid);
int64_t pinn_grid_count(const pinn_grid *grid);
/* points (count, dim), first axis fastest (malloc'd). */
double *pinn_grid_points(const pinn_grid *grid);
/* Reads the grid (axes named by names) of a grid file and the fields among
 * fields[0..field_count) that it has, each over the axes in reverse order: values[f] is
 * malloc'd (count values), or NULL for a field the file lacks. A file with none of them (when
 * field_count > 0) is an error, as is a field over other dimensions; errors name the file, the
 * variable and the expected layout, and leave nothing allocated. Fields are read in file order,
 * so standard input works. */
sciml_status pinn_grid_read(sciml_ctx *ctx, const char *path, int dim, const char *const *names,
                            int field_count, const char *const *fields, pinn_grid *grid,
                            double **values);
/* 0 when equal (sizes, and coordinates within 1e-9 of the spacing), else 1 with a
 * description of the first difference in text. */
int pinn_grid_differs(const pinn_grid *a, const pinn_grid *b, char *text, size_t size);

/* Writes a grid file with fields[0..field_count) named field_names (count values each). */
sciml_status pinn_grid_write(sciml_ctx *ctx, const char *path, const pinn_grid *grid,
                             int field_count, const char *const *field_names,
                             const double *const *fields, const char *pde_name,
                             const char *command);
/* Reads points from a points file: the variables names[0..dim) over one dimension, and the
 * fields among fields[0..field_count) that it has (values[f] malloc'd, or NULL when absent; at
 * least one must be there when field_count > 0). Everything malloc'd. */
sciml_status pinn_points_read_fields(sciml_ctx *ctx, const char *path, int dim,
                                     const char *const *names, int field_count,
                                     const char *const *fields, int64_t *count, double **points,
                                     double **values);
/* The same with one field that must be there (none when values is NULL). */
sciml_status pinn_points_read(sciml_ctx *ctx, const char *path, int dim, const char *const *names,
                              const char *field, int64_t *count, double **points, double **values);
sciml_status pinn_points_write(sciml_ctx *ctx, const char *path, int dim, const char *const *names,
                               int64_t count, const double *points, int field_count,
                               const char *const *field_names, const double *const *fields,
                               const char *pde_name, const char *command);

/* Parses a comma-separated list of 1..max numbers ("256,100") into out; each must lie in
 * [min, max_value]. Records a usage error naming the option and returns 1 on failure. */
struct tool_usage;
int pinn_parse_list(struct tool_usage *usage, const char *option, const char *text, int max,
                    double min, double max_value, double *out, int *count);

#endif
