/* The ODE systems of `sciml-gen ode` (equations and defaults in sciml/ode.h):
 *   spiral          y' = (y^3) A, A = [[-0.1, 2], [-2, -0.1]] (y a row vector, cube elementwise)
 *   lotka-volterra  x' = a x - b x y, y' = d x y - g y
 *   lorenz          x' = s (y - x), y' = x (r - z) - y, z' = x y - b z
 *   pendulum        theta' = omega, omega' = -(g/L) sin theta
 *   robertson       y1' = -0.04 y1 + 1e4 y2 y3, y2' = 0.04 y1 - 1e4 y2 y3 - 3e7 y2^2,
 *                   y3' = 3e7 y2^2 (Robertson 1966; stiff)
 */
#include <math.h>
#include <string.h>

#include "sciml/ode.h"

static const sciml_ode_system systems[] = {
    {"spiral", 2, 0, {0}, {2.0, 0.0}, {-2.0, -2.0}, {2.0, 2.0}, 25.0, 1000, SCIML_ODE_ADAMS},
    {"lotka-volterra",
     2,
     4,
     {1.5, 1.0, 3.0, 1.0},
     {1.0, 1.0},
     {0.5, 0.5},
     {3.0, 3.0},
     10.0,
     100,
     SCIML_ODE_ADAMS},
    {"lorenz",
     3,
     3,
     {10.0, 28.0, 8.0 / 3.0},
     {1.0, 1.0, 1.0},
     {-10.0, -10.0, 10.0},
     {10.0, 10.0, 40.0},
     5.0,
     500,
     SCIML_ODE_ADAMS},
    {"pendulum", 2, 1, {1.0}, {1.0, 0.0}, {-2.0, -1.0}, {2.0, 1.0}, 10.0, 200, SCIML_ODE_ADAMS},
    {"robertson",
     3,
     3,
     {0.04, 1e4, 3e7},
     {1.0, 0.0, 0.0},
     {0.5, 0.0, 0.0},
     {1.0, 0.0, 0.0},
     40.0,
     100,
     SCIML_ODE_BDF},
};
#define SYSTEM_COUNT ((int)(sizeof systems / sizeof systems[0]))

const sciml_ode_system *sciml_ode_system_find(const char *name) {
    for (int i = 0; name && i < SYSTEM_COUNT; i++)
        if (!strcmp(systems[i].name, name))
            return &systems[i];
    return NULL;
}

const char *sciml_ode_system_names(void) {
    return "spiral, lotka-volterra, lorenz, pendulum, robertson";
}

int sciml_ode_system_rhs(const sciml_ode_system *system, double t, const double *y, double *dydt) {
    const double *p = system->parameters;
    if (!strcmp(system->name, "spiral")) {
        double c0 = y[0] * y[0] * y[0], c1 = y[1] * y[1] * y[1];
        dydt[0] = -0.1 * c0 - 2.0 * c1; /* (c0, c1) [[-0.1, 2], [-2, -0.1]] */
        dydt[1] = 2.0 * c0 - 0.1 * c1;
    } else if (!strcmp(system->name, "lotka-volterra")) {
        dydt[0] = p[0] * y[0] - p[1] * y[0] * y[1];
        dydt[1] = p[3] * y[0] * y[1] - p[2] * y[1];
    } else if (!strcmp(system->name, "lorenz")) {
        dydt[0] = p[0] * (y[1] - y[0]);
        dydt[1] = y[0] * (p[1] - y[2]) - y[1];
        dydt[2] = y[0] * y[1] - p[2] * y[2];
    } else if (!strcmp(system->name, "pendulum")) {
        dydt[0] = y[1];
        dydt[1] = -p[0] * sin(y[0]);
    } else { /* robertson */
        double reaction1 = p[0] * y[0], reaction2 = p[1] * y[1] * y[2];
        double reaction3 = p[2] * y[1] * y[1];
        dydt[0] = -reaction1 + reaction2;
        dydt[1] = reaction1 - reaction2 - reaction3;
        dydt[2] = reaction3;
    }
    return 0;
}

static int system_rhs(double t, const double *y, double *dydt, void *user) {
    return sciml_ode_system_rhs(user, t, y, dydt);
}

sciml_ode_problem sciml_ode_system_problem(const sciml_ode_system *system) {
    sciml_ode_problem problem;
    memset(&problem, 0, sizeof problem);
    problem.state_size = system->state_size;
    problem.rhs = system_rhs;
    problem.user = (void *)system;
    return problem;
}
