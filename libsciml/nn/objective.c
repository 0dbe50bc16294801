/* A graph's scalar loss L(theta) as an objective for full-batch optimisers such as L-BFGS:
 * f = L(theta) by a forward pass and grad = dL/dtheta by one reverse pass over the graph.
 */
#include "sciml/nn.h"

#include <string.h>

sciml_status sciml_graph_objective_evaluate(void *user, int64_t n, const double *x, double *f,
                                            double *grad) {
    sciml_graph_objective *objective = user;
    if (!objective || !objective->graph || !x || !f || !grad)
        return SCIML_ERR_ARG;
    sciml_graph *g = objective->graph;
    double *params = sciml_graph_params(g);
    if (!params || sciml_graph_param_count(g) != n)
        return SCIML_ERR_STATE;
    if (params != x)
        memcpy(params, x, (size_t)n * sizeof(double));
    sciml_status status = sciml_graph_forward(g, objective->loss);
    if (status == SCIML_OK)
        status = sciml_graph_backward(g, objective->loss);
    if (status != SCIML_OK)
        return status;
    *f = sciml_graph_scalar(g, objective->loss);
    memcpy(grad, sciml_graph_grads(g), (size_t)n * sizeof(double));
    return SCIML_OK;
}
