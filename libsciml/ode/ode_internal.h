/* Shared by the ODE solvers (not installed). */
#ifndef SCIML_ODE_INTERNAL_H
#define SCIML_ODE_INTERNAL_H

#include "sciml/ode.h"

/* Checks the problem, options, times (finite, strictly increasing) and y0 (finite); records a
 * message naming what is wrong. need_vjp: the gradient needs problem->vjp. */
sciml_status sciml_ode_check_problem(sciml_ctx *ctx, const sciml_ode_problem *problem,
                                     const sciml_ode_options *options, const double *y0,
                                     int64_t time_count, const double *times, int need_vjp);

#endif /* SCIML_ODE_INTERNAL_H */
