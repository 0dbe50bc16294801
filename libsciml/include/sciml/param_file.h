/* libsciml models: a graph's parameters as netCDF variables.
 *
 * Every parameter node of a built graph is stored as one NC_DOUBLE variable named after the
 * node ("fourier.0.weight"), over dimensions named by their lengths ("n64"), so model files
 * read naturally in ncdump and xarray. Reading checks that every parameter exists with the
 * shape the architecture attributes imply, and that its values are finite.
 */
#ifndef SCIML_PARAM_FILE_H
#define SCIML_PARAM_FILE_H

#include "sciml/graph.h"
#include "sciml/netcdf.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Defines dimensions and variables for every parameter of g (call before end_def). */
sciml_status sciml_params_define(sciml_nc_writer *writer, const sciml_graph *g);
/* Writes the values of g's parameters (call after end_def, in any order on a file; the
 * variables come in definition order, so pipes work too). */
sciml_status sciml_params_write(sciml_nc_writer *writer, sciml_graph *g);
/* Reads every parameter of g from the file into g's parameter vector; a missing variable, a
 * shape that differs from the graph's or a non-finite value is SCIML_ERR_FORMAT with a message
 * naming the file, the variable and both shapes. */
sciml_status sciml_params_read(sciml_ctx *ctx, sciml_nc_reader *reader, sciml_graph *g);

#ifdef __cplusplus
}
#endif
#endif /* SCIML_PARAM_FILE_H */
