/* Forced gravity pendulum reference solver (sciml/operator_data.h): DeepONet's ODE example,
 *
 *   ds1/dt = s2,   ds2/dt = -k sin(s1) + v(t),   s(0) = 0,   t in [0, T],
 *
 * with v piecewise linear through its values at the m equally spaced sensors
 * t_i = i T / (m - 1). SUNDIALS CVODES integrates it (Adams-Moulton, fixed-point iteration:
 * the system is not stiff) to relative and absolute tolerance `tolerance`, stopping at every
 * sensor so that no step straddles a kink of v, and reports s at the sensors.
 */
#include "sciml/operator_data.h"

#include <cvodes/cvodes.h>
#include <math.h>
#include <nvector/nvector_serial.h>
#include <stdlib.h>
#include <sundials/sundials_context.h>
#include <sunnonlinsol/sunnonlinsol_fixedpoint.h>

typedef struct pendulum_problem {
    const double *source; /* (m) */
    int64_t sensors;
    double spacing, stiffness;
} pendulum_problem;

void sciml_pendulum_default(sciml_pendulum_options *options) {
    options->stiffness = SCIML_PENDULUM_K;
    options->final_time = 1.0;
    options->tolerance = 1e-10;
}

/* v(t) by linear interpolation between the sensors (constant beyond the last). */
static double source_at(const pendulum_problem *p, double t) {
    double position = t / p->spacing;
    int64_t i = (int64_t)floor(position);
    if (i < 0)
        return p->source[0];
    if (i >= p->sensors - 1)
        return p->source[p->sensors - 1];
    const double w = position - (double)i;
    return (1.0 - w) * p->source[i] + w * p->source[i + 1];
}

static int right_side(sunrealtype t, N_Vector y, N_Vector ydot, void *user) {
    const pendulum_problem *p = user;
    const sunrealtype *s = N_VGetArrayPointer(y);
    sunrealtype *ds = N_VGetArrayPointer(ydot);
    ds[0] = s[1];
    ds[1] = -p->stiffness * sin(s[0]) + source_at(p, t);
    return 0;
}

sciml_status sciml_pendulum_solve(sciml_ctx *ctx, const sciml_pendulum_options *o, int64_t sensors,
                                  const double *source, double *solution) {
    if (sensors < 2 || sensors > (INT64_C(1) << 20) || !(o->final_time > 0.0) ||
        !isfinite(o->final_time) || !isfinite(o->stiffness) || !(o->tolerance > 0.0) ||
        !(o->tolerance < 1e-2))
        return sciml_error(ctx, SCIML_ERR_ARG,
                           "pendulum: %lld sensors, T = %g, k = %g, tolerance %g: expected 2 to "
                           "2^20 sensors, T > 0, a finite k and a tolerance in (0, 1e-2)",
                           (long long)sensors, o->final_time, o->stiffness, o->tolerance);
    pendulum_problem problem = {source, sensors, o->final_time / (double)(sensors - 1),
                                o->stiffness};
    SUNContext sun = NULL;
    N_Vector y = NULL;
    SUNNonlinearSolver solver = NULL;
    void *memory = NULL;
    sciml_status status = SCIML_OK;
    int flag = SUNContext_Create(NULL, &sun);
    if (flag == 0 && !(y = N_VNew_Serial(2, sun)))
        flag = -1;
    if (flag == 0) {
        N_VConst(0.0, y);
        memory = CVodeCreate(CV_ADAMS, sun);
        solver = SUNNonlinSol_FixedPoint(y, 0, sun);
        if (!memory || !solver)
            flag = -1;
    }
    if (flag == 0)
        flag = CVodeInit(memory, right_side, 0.0, y);
    if (flag == 0)
        flag = CVodeSStolerances(memory, o->tolerance, o->tolerance);
    if (flag == 0)
        flag = CVodeSetUserData(memory, &problem);
    if (flag == 0)
        flag = CVodeSetNonlinearSolver(memory, solver);
    if (flag == 0)
        flag = CVodeSetMaxNumSteps(memory, 100000);
    if (flag != 0) {
        status = sciml_error(ctx, SCIML_ERR_SOLVER,
                             "pendulum: setting up CVODES failed (flag %d): expected the "
                             "SUNDIALS library to work",
                             flag);
        goto done;
    }
    solution[0] = solution[1] = 0.0;
    for (int64_t i = 1; i < sensors; i++) {
        const double stop = (double)i * problem.spacing;
        sunrealtype reached = 0.0;
        if ((flag = CVodeSetStopTime(memory, stop)) == 0)
            flag = CVode(memory, stop, y, &reached, CV_NORMAL);
        if (flag < 0) {
            status = sciml_error(ctx, SCIML_ERR_SOLVER,
                                 "pendulum: CVODES failed before t = %g (flag %d): expected a "
                                 "bounded source",
                                 stop, flag);
            goto done;
        }
        const sunrealtype *s = N_VGetArrayPointer(y);
        solution[2 * i] = s[0];
        solution[2 * i + 1] = s[1];
    }
done:
    if (memory)
        CVodeFree(&memory);
    if (solver)
        SUNNonlinSolFree(solver);
    if (y)
        N_VDestroy(y);
    if (sun)
        SUNContext_Free(&sun);
    return status;
}
