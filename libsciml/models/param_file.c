/* A graph's parameters as netCDF variables (sciml/param_file.h). */
#include "sciml/param_file.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_PARAMS = 4096, MAX_SIZES = 256 };

/* Parameter nodes of g in creation order; returns the count or -1 when too many. */
static int list_params(const sciml_graph *g, sciml_node *nodes) {
    int count = sciml_graph_param_nodes(g, nodes, MAX_PARAMS);
    return count > MAX_PARAMS ? -1 : count;
}

sciml_status sciml_params_define(sciml_nc_writer *writer, const sciml_graph *g) {
    sciml_node *nodes = malloc(MAX_PARAMS * sizeof(*nodes));
    int64_t lengths[MAX_SIZES], dims[MAX_SIZES];
    int size_count = 0;
    sciml_status status = SCIML_OK;
    if (!nodes)
        return SCIML_ERR_NOMEM;
    int count = list_params(g, nodes);
    if (count < 0) {
        free(nodes);
        return SCIML_ERR_RANGE;
    }
    for (int p = 0; p < count && status == SCIML_OK; p++) {
        int64_t shape[SCIML_MAX_DIMS], var_dims[SCIML_MAX_DIMS], var;
        int rank = sciml_graph_shape(g, nodes[p], shape);
        for (int r = 0; r < rank && status == SCIML_OK; r++) {
            int k = 0;
            while (k < size_count && lengths[k] != shape[r])
                k++;
            if (k == size_count) {
                if (size_count == MAX_SIZES) {
                    status = SCIML_ERR_RANGE;
                    break;
                }
                char name[32];
                snprintf(name, sizeof(name), "size_%lld", (long long)shape[r]);
                lengths[k] = shape[r];
                status = sciml_nc_def_dim(writer, name, shape[r], &dims[k]);
                size_count++;
            }
            var_dims[r] = dims[k];
        }
        if (status == SCIML_OK)
            status = sciml_nc_def_var(writer, sciml_graph_name(g, nodes[p]), SCIML_NC_DOUBLE, rank,
                                      var_dims, &var);
        if (status == SCIML_OK)
            status = sciml_nc_put_att_text(writer, var, "sciml_role", "parameter");
    }
    free(nodes);
    return status;
}

sciml_status sciml_params_write(sciml_nc_writer *writer, sciml_graph *g) {
    sciml_node *nodes = malloc(MAX_PARAMS * sizeof(*nodes));
    if (!nodes)
        return SCIML_ERR_NOMEM;
    int count = list_params(g, nodes);
    const double *params = sciml_graph_params(g);
    sciml_status status = count < 0 ? SCIML_ERR_RANGE : SCIML_OK;
    /* variables were defined in this order, one per parameter, after any others */
    for (int p = 0; p < count && status == SCIML_OK; p++) {
        int64_t shape[SCIML_MAX_DIMS], elements = 1;
        int rank = sciml_graph_shape(g, nodes[p], shape);
        for (int r = 0; r < rank; r++)
            elements *= shape[r];
        int64_t offset = sciml_graph_param_offset(g, nodes[p]);
        int64_t var;
        status = sciml_nc_writer_find_var(writer, sciml_graph_name(g, nodes[p]), &var);
        if (status == SCIML_OK)
            status = sciml_nc_write_var(writer, var, 0, elements, params + offset);
    }
    free(nodes);
    return status;
}

sciml_status sciml_params_read(sciml_ctx *ctx, sciml_nc_reader *reader, sciml_graph *g) {
    sciml_node *nodes = malloc(MAX_PARAMS * sizeof(*nodes));
    if (!nodes)
        return sciml_error(ctx, SCIML_ERR_NOMEM, "out of memory");
    int count = list_params(g, nodes);
    double *params = sciml_graph_params(g);
    sciml_status status =
        count < 0 ? sciml_error(ctx, SCIML_ERR_RANGE, "too many parameters") : SCIML_OK;
    for (int p = 0; p < count && status == SCIML_OK; p++) {
        const char *name = sciml_graph_name(g, nodes[p]);
        int64_t shape[SCIML_MAX_DIMS], elements = 1, var;
        int rank = sciml_graph_shape(g, nodes[p], shape);
        for (int r = 0; r < rank; r++)
            elements *= shape[r];
        if (sciml_nc_find_var(reader, name, &var)) {
            sciml_ctx_clear_error(ctx);
            status = sciml_error(ctx, SCIML_ERR_FORMAT,
                                 "%s: parameter '%s' is missing: the model attributes describe "
                                 "a network that has it",
                                 sciml_nc_name(reader), name);
            break;
        }
        sciml_nc_var_info info;
        if ((status = sciml_nc_var_get_info(reader, var, &info)))
            break;
        int same = info.rank == rank && !info.is_record;
        for (int r = 0; same && r < rank; r++)
            same = info.shape[r] == shape[r];
        if (!same) {
            char want[128] = "", have[128] = "";
            size_t used = 0;
            for (int r = 0; r < rank && used < sizeof(want); r++)
                used += (size_t)snprintf(want + used, sizeof(want) - used, "%s%lld", r ? ", " : "",
                                         (long long)shape[r]);
            used = 0;
            for (int r = 0; r < info.rank && used < sizeof(have); r++)
                used += (size_t)snprintf(have + used, sizeof(have) - used, "%s%lld", r ? ", " : "",
                                         (long long)info.shape[r]);
            status = sciml_error(ctx, SCIML_ERR_FORMAT,
                                 "%s: parameter '%s' has shape (%s) but the model attributes "
                                 "need (%s)",
                                 sciml_nc_name(reader), name, have, want);
            break;
        }
        double *values = params + sciml_graph_param_offset(g, nodes[p]);
        if ((status = sciml_nc_read_var(reader, var, 0, elements, values)))
            break;
        for (int64_t i = 0; i < elements; i++)
            if (!isfinite(values[i])) {
                status = sciml_error(ctx, SCIML_ERR_NONFINITE,
                                     "%s: parameter '%s' element %lld is not finite",
                                     sciml_nc_name(reader), name, (long long)i);
                break;
            }
    }
    free(nodes);
    return status;
}
