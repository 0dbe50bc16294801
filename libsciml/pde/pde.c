/* The PDE problems of sciml/pde.h: defaults, residuals on the Taylor streams, condition targets,
 * exact solutions and hard-constraint transforms. The equations are listed in the header; each
 * residual below is written as the header states it, term by term, with graph ops on (rows, 1)
 * columns. A transform's lift A and distance D are built as jets (value, gradient, Hessian at
 * one point) from one-input factors by the product rule, then spread onto the streams a Taylor
 * spec asks for. */
#include "sciml/pde.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define PI SCIML_PI

/* A function of the inputs at one point with its gradient and Hessian. */
typedef struct jet {
    double value;
    double first[SCIML_PDE_MAX_INPUTS];
    double second[SCIML_PDE_MAX_INPUTS][SCIML_PDE_MAX_INPUTS];
} jet;

struct sciml_pde_kind {
    const char *name;
    void (*init)(sciml_pde *pde);
    /* residual from the stream accessor */
    sciml_node (*residual)(sciml_graph *g, const sciml_pde *pde, sciml_node y, sciml_node points,
                           const sciml_node *params);
    double (*target)(const sciml_pde *pde, int condition, const double *x);
    /* output `component` of the exact solution; NULL: none (or special) */
    double (*solution)(const sciml_pde *pde, const double *x, int component);
    /* hard constraints u = A + D N (sciml_pde_transform); NULL: none */
    const char *transform_formula;
    unsigned transform_meets; /* bit c: condition c met exactly */
    void (*transform)(const double *x, jet *lift, jet *distance); /* of u (one output) */
};

/* ---- helpers --------------------------------------------------------------------------------- */

static sciml_node stream(sciml_graph *g, const sciml_pde *pde, sciml_node y, int p, int q) {
    int s = 0;
    if (p >= 0 && q < 0)
        s = sciml_taylor_first_stream(&pde->spec, p);
    else if (p >= 0)
        s = sciml_taylor_second_stream(&pde->spec, p, q);
    return sciml_taylor_stream(g, y, s);
}

/* c_k a, with c_k a trainable (1) parameter when params[k] is one. */
static sciml_node times_coefficient(sciml_graph *g, const sciml_pde *pde, const sciml_node *params,
                                    int k, sciml_node a) {
    if (params && params[k] != SCIML_NO_NODE)
        return sciml_mul(g, a, params[k]);
    return sciml_scale(g, a, pde->coefficients[k]);
}

/* Column `axis` of points (rows, d) as (rows, 1). */
static sciml_node coordinate(sciml_graph *g, sciml_node points, int axis) {
    return sciml_slice(g, points, 1, axis, axis + 1);
}

static void add_face(sciml_pde_condition *c, int axis, int side) {
    c->face_axis[c->face_count] = axis;
    c->face_side[c->face_count] = side;
    c->face_count++;
}

static sciml_pde_condition *add_condition(sciml_pde *pde, const char *name,
                                          sciml_condition_kind kind) {
    sciml_pde_condition *c = &pde->conditions[pde->condition_count++];
    memset(c, 0, sizeof *c);
    c->name = name;
    c->kind = kind;
    return c;
}

static void set_box(sciml_pde *pde, int axis, const char *name, double lower, double upper) {
    pde->input_names[axis] = name;
    pde->lower[axis] = lower;
    pde->upper[axis] = upper;
}

static void add_coefficient(sciml_pde *pde, const char *name, double value) {
    pde->coefficient_names[pde->coefficient_count] = name;
    pde->coefficients[pde->coefficient_count] = value;
    pde->coefficient_count++;
}

/* A function f of input `axis` alone: f, f', f''. */
static jet jet_of(int axis, double value, double first, double second) {
    jet j;
    memset(&j, 0, sizeof j);
    j.value = value;
    j.first[axis] = first;
    j.second[axis][axis] = second;
    return j;
}

static jet jet_constant(double value) {
    jet j;
    memset(&j, 0, sizeof j);
    j.value = value;
    return j;
}

/* (a b) = a b, (a b)_i = a_i b + a b_i, (a b)_pq = a_pq b + a_p b_q + a_q b_p + a b_pq, times
 * scale. */
static jet jet_product(const jet *a, const jet *b, double scale) {
    jet c;
    c.value = scale * a->value * b->value;
    for (int p = 0; p < SCIML_PDE_MAX_INPUTS; p++) {
        c.first[p] = scale * (a->first[p] * b->value + a->value * b->first[p]);
        for (int q = 0; q < SCIML_PDE_MAX_INPUTS; q++)
            c.second[p][q] = scale * (a->second[p][q] * b->value + a->first[p] * b->first[q] +
                                      a->first[q] * b->first[p] + a->value * b->second[p][q]);
    }
    return c;
}

/* x (1 - x) on [0, 1] and 1 - x^2 on [-1, 1]: zero on both faces of an axis. */
static jet bump01(int axis, double x) {
    return jet_of(axis, x * (1 - x), 1 - 2 * x, -2);
}

static jet bump11(int axis, double x) {
    return jet_of(axis, 1 - x * x, -2 * x, -2);
}

static jet sine_of_pi(int axis, double x, double sign) {
    return jet_of(axis, sign * sin(PI * x), sign * PI * cos(PI * x), -sign * PI * PI * sin(PI * x));
}

/* ---- Burgers -----------------------------------------------------------------------------------
 */

static void burgers_init(sciml_pde *pde) {
    pde->input_count = 2;
    set_box(pde, 0, "x", -1, 1);
    set_box(pde, 1, "t", 0, 1);
    pde->time_axis = 1;
    add_coefficient(pde, "nu", 0.01 / PI);
    pde->learnable = 1;
    sciml_taylor_spec_init(&pde->spec, 2);
    sciml_taylor_spec_add_second(&pde->spec, 0, 0);
    sciml_pde_condition *c = add_condition(pde, "boundary", SCIML_CONDITION_DIRICHLET);
    add_face(c, 0, 0);
    add_face(c, 0, 1);
    c = add_condition(pde, "initial", SCIML_CONDITION_DIRICHLET);
    add_face(c, 1, 0);
    pde->has_solution = 1;
}

static sciml_node burgers_residual(sciml_graph *g, const sciml_pde *pde, sciml_node y,
                                   sciml_node points, const sciml_node *params) {
    (void)points;
    sciml_node u = stream(g, pde, y, -1, -1);
    sciml_node u_x = stream(g, pde, y, 0, -1), u_t = stream(g, pde, y, 1, -1);
    sciml_node u_xx = stream(g, pde, y, 0, 0);
    sciml_node r = sciml_add(g, u_t, sciml_mul(g, u, u_x));
    return sciml_sub(g, r, times_coefficient(g, pde, params, 0, u_xx));
}

static double burgers_target(const sciml_pde *pde, int condition, const double *x) {
    (void)pde;
    return condition == 1 ? -sin(PI * x[0]) : 0.0;
}

/* u = -sin(pi x) + t (1 - x^2) N */
static void burgers_transform(const double *x, jet *lift, jet *distance) {
    *lift = sine_of_pi(0, x[0], -1);
    jet space = bump11(0, x[0]), time = jet_of(1, x[1], 1, 0);
    *distance = jet_product(&space, &time, 1);
}

/* ---- Poisson 1D and 2D ---------------------------------------------------------------------- */

static void poisson1d_init(sciml_pde *pde) {
    pde->input_count = 1;
    set_box(pde, 0, "x", -1, 1);
    pde->time_axis = -1;
    add_coefficient(pde, "k", 1.0);
    sciml_taylor_spec_init(&pde->spec, 1);
    sciml_taylor_spec_add_second(&pde->spec, 0, 0);
    sciml_pde_condition *c = add_condition(pde, "boundary", SCIML_CONDITION_DIRICHLET);
    add_face(c, 0, 0);
    add_face(c, 0, 1);
    pde->has_solution = 1;
}

static sciml_node poisson1d_residual(sciml_graph *g, const sciml_pde *pde, sciml_node y,
                                     sciml_node points, const sciml_node *params) {
    (void)params;
    double w = pde->coefficients[0] * PI;
    sciml_node u_xx = stream(g, pde, y, 0, 0);
    sciml_node f = sciml_scale(g, sciml_sin(g, sciml_scale(g, coordinate(g, points, 0), w)), w * w);
    return sciml_add(g, u_xx, f); /* -u_xx - f, sign flipped */
}

static double poisson1d_solution(const sciml_pde *pde, const double *x, int component) {
    (void)component;
    return sin(pde->coefficients[0] * PI * x[0]);
}

/* u = (1 - x^2) N */
static void poisson1d_transform(const double *x, jet *lift, jet *distance) {
    *lift = jet_constant(0);
    *distance = bump11(0, x[0]);
}

/* A 2-D problem on the square [lo, hi]^2 with coefficient k, u_xx and u_yy, Dirichlet data on
 * every face and an exact solution (Poisson and Helmholtz). */
static void square_laplacian_init(sciml_pde *pde, double lo, double hi) {
    pde->input_count = 2;
    set_box(pde, 0, "x", lo, hi);
    set_box(pde, 1, "y", lo, hi);
    pde->time_axis = -1;
    add_coefficient(pde, "k", 1.0);
    sciml_taylor_spec_init(&pde->spec, 2);
    sciml_taylor_spec_add_second(&pde->spec, 0, 0);
    sciml_taylor_spec_add_second(&pde->spec, 1, 1);
    sciml_pde_condition *c = add_condition(pde, "boundary", SCIML_CONDITION_DIRICHLET);
    for (int axis = 0; axis < 2; axis++)
        for (int side = 0; side < 2; side++)
            add_face(c, axis, side);
    pde->has_solution = 1;
}

static void poisson2d_init(sciml_pde *pde) {
    square_laplacian_init(pde, 0, 1);
}

static sciml_node poisson2d_residual(sciml_graph *g, const sciml_pde *pde, sciml_node y,
                                     sciml_node points, const sciml_node *params) {
    (void)params;
    double w = pde->coefficients[0] * PI;
    sciml_node laplacian = sciml_add(g, stream(g, pde, y, 0, 0), stream(g, pde, y, 1, 1));
    sciml_node sx = sciml_sin(g, sciml_scale(g, coordinate(g, points, 0), w));
    sciml_node sy = sciml_sin(g, sciml_scale(g, coordinate(g, points, 1), w));
    sciml_node f = sciml_scale(g, sciml_mul(g, sx, sy), 2 * w * w);
    return sciml_add(g, laplacian, f);
}

static double poisson2d_solution(const sciml_pde *pde, const double *x, int component) {
    (void)component;
    double w = pde->coefficients[0] * PI;
    return sin(w * x[0]) * sin(w * x[1]);
}

/* u = 16 x (1 - x) y (1 - y) N */
static void poisson2d_transform(const double *x, jet *lift, jet *distance) {
    *lift = jet_constant(0);
    jet a = bump01(0, x[0]), b = bump01(1, x[1]);
    *distance = jet_product(&a, &b, 16);
}

static double zero_target(const sciml_pde *pde, int condition, const double *x) {
    (void)pde;
    (void)condition;
    (void)x;
    return 0.0;
}

/* ---- heat and wave 1D ----------------------------------------------------------------------- */

static void unit_space_time(sciml_pde *pde) {
    pde->input_count = 2;
    set_box(pde, 0, "x", 0, 1);
    set_box(pde, 1, "t", 0, 1);
    pde->time_axis = 1;
    sciml_pde_condition *c = add_condition(pde, "boundary", SCIML_CONDITION_DIRICHLET);
    add_face(c, 0, 0);
    add_face(c, 0, 1);
    c = add_condition(pde, "initial", SCIML_CONDITION_DIRICHLET);
    add_face(c, 1, 0);
    pde->has_solution = 1;
}

static void heat1d_init(sciml_pde *pde) {
    unit_space_time(pde);
    add_coefficient(pde, "alpha", 0.1);
    pde->learnable = 1;
    sciml_taylor_spec_init(&pde->spec, 2);
    sciml_taylor_spec_add_second(&pde->spec, 0, 0);
}

static sciml_node heat1d_residual(sciml_graph *g, const sciml_pde *pde, sciml_node y,
                                  sciml_node points, const sciml_node *params) {
    (void)points;
    return sciml_sub(g, stream(g, pde, y, 1, -1),
                     times_coefficient(g, pde, params, 0, stream(g, pde, y, 0, 0)));
}

static double sine_initial_target(const sciml_pde *pde, int condition, const double *x) {
    (void)pde;
    return condition == 1 ? sin(PI * x[0]) : 0.0;
}

static double heat1d_solution(const sciml_pde *pde, const double *x, int component) {
    (void)component;
    return exp(-pde->coefficients[0] * PI * PI * x[1]) * sin(PI * x[0]);
}

/* u = sin(pi x) + 4 t x (1 - x) N */
static void heat1d_transform(const double *x, jet *lift, jet *distance) {
    *lift = sine_of_pi(0, x[0], 1);
    jet space = bump01(0, x[0]), time = jet_of(1, x[1], 1, 0);
    *distance = jet_product(&space, &time, 4);
}

static void wave1d_init(sciml_pde *pde) {
    unit_space_time(pde);
    add_coefficient(pde, "c", 1.0);
    sciml_taylor_spec_init(&pde->spec, 2);
    sciml_taylor_spec_add_second(&pde->spec, 0, 0);
    sciml_taylor_spec_add_second(&pde->spec, 1, 1);
    sciml_pde_condition *c = add_condition(pde, "velocity", SCIML_CONDITION_NEUMANN);
    add_face(c, 1, 0);
    c->derivative_axis = 1;
}

static sciml_node wave1d_residual(sciml_graph *g, const sciml_pde *pde, sciml_node y,
                                  sciml_node points, const sciml_node *params) {
    (void)points;
    (void)params;
    double c2 = pde->coefficients[0] * pde->coefficients[0];
    return sciml_sub(g, stream(g, pde, y, 1, 1), sciml_scale(g, stream(g, pde, y, 0, 0), c2));
}

static double wave1d_solution(const sciml_pde *pde, const double *x, int component) {
    (void)component;
    return cos(pde->coefficients[0] * PI * x[1]) * sin(PI * x[0]);
}

/* u = sin(pi x) + 4 t^2 x (1 - x) N: t^2 also makes u_t(x, 0) = A_t = 0 */
static void wave1d_transform(const double *x, jet *lift, jet *distance) {
    *lift = sine_of_pi(0, x[0], 1);
    jet space = bump01(0, x[0]), time = jet_of(1, x[1] * x[1], 2 * x[1], 2);
    *distance = jet_product(&space, &time, 4);
}

/* ---- Allen-Cahn 1D ------------------------------------------------------------------------- */

static void allen_cahn_init(sciml_pde *pde) {
    pde->input_count = 2;
    set_box(pde, 0, "x", -1, 1);
    set_box(pde, 1, "t", 0, 1);
    pde->time_axis = 1;
    add_coefficient(pde, "d", 0.0001);
    pde->learnable = 1;
    sciml_taylor_spec_init(&pde->spec, 2);
    sciml_taylor_spec_add_second(&pde->spec, 0, 0);
    sciml_pde_condition *c = add_condition(pde, "periodic", SCIML_CONDITION_PERIODIC);
    add_face(c, 0, 0);
    c->derivative_axis = 0;
    c = add_condition(pde, "initial", SCIML_CONDITION_DIRICHLET);
    add_face(c, 1, 0);
    pde->has_solution = 0;
}

static sciml_node allen_cahn_residual(sciml_graph *g, const sciml_pde *pde, sciml_node y,
                                      sciml_node points, const sciml_node *params) {
    (void)points;
    sciml_node u = stream(g, pde, y, -1, -1);
    sciml_node cubic = sciml_sub(g, sciml_mul(g, sciml_square(g, u), u), u);
    sciml_node r = sciml_sub(g, stream(g, pde, y, 1, -1),
                             times_coefficient(g, pde, params, 0, stream(g, pde, y, 0, 0)));
    return sciml_add(g, r, sciml_scale(g, cubic, 5.0));
}

static double allen_cahn_target(const sciml_pde *pde, int condition, const double *x) {
    (void)pde;
    return condition == 1 ? x[0] * x[0] * cos(PI * x[0]) : 0.0;
}

/* ---- Helmholtz 2D ------------------------------------------------------------------------------
 */

#define HELMHOLTZ_A1 1.0
#define HELMHOLTZ_A2 4.0

static void helmholtz2d_init(sciml_pde *pde) {
    square_laplacian_init(pde, -1, 1);
}

/* u_xx + u_yy + k^2 u - q, q = (k^2 - (a1^2 + a2^2) pi^2) sin(a1 pi x) sin(a2 pi y) */
static sciml_node helmholtz2d_residual(sciml_graph *g, const sciml_pde *pde, sciml_node y,
                                       sciml_node points, const sciml_node *params) {
    (void)params;
    double k2 = pde->coefficients[0] * pde->coefficients[0];
    double q = k2 - (HELMHOLTZ_A1 * HELMHOLTZ_A1 + HELMHOLTZ_A2 * HELMHOLTZ_A2) * PI * PI;
    sciml_node laplacian = sciml_add(g, stream(g, pde, y, 0, 0), stream(g, pde, y, 1, 1));
    sciml_node sx = sciml_sin(g, sciml_scale(g, coordinate(g, points, 0), HELMHOLTZ_A1 * PI));
    sciml_node sy = sciml_sin(g, sciml_scale(g, coordinate(g, points, 1), HELMHOLTZ_A2 * PI));
    sciml_node source = sciml_scale(g, sciml_mul(g, sx, sy), q);
    sciml_node r = sciml_add(g, laplacian, sciml_scale(g, stream(g, pde, y, -1, -1), k2));
    return sciml_sub(g, r, source);
}

static double helmholtz2d_solution(const sciml_pde *pde, const double *x, int component) {
    (void)component;
    (void)pde;
    return sin(HELMHOLTZ_A1 * PI * x[0]) * sin(HELMHOLTZ_A2 * PI * x[1]);
}

/* u = (1 - x^2) (1 - y^2) N */
static void helmholtz2d_transform(const double *x, jet *lift, jet *distance) {
    *lift = jet_constant(0);
    jet a = bump11(0, x[0]), b = bump11(1, x[1]);
    *distance = jet_product(&a, &b, 1);
}

/* ---- diffusion-reaction 1D ---------------------------------------------------------------------
 */

static const double reaction_modes[5] = {1, 2, 3, 4, 8};

static void diffusion_reaction_init(sciml_pde *pde) {
    pde->input_count = 2;
    set_box(pde, 0, "x", -PI, PI);
    set_box(pde, 1, "t", 0, 1);
    pde->time_axis = 1;
    add_coefficient(pde, "d", 1.0);
    pde->learnable = 1;
    sciml_taylor_spec_init(&pde->spec, 2);
    sciml_taylor_spec_add_second(&pde->spec, 0, 0);
    sciml_pde_condition *c = add_condition(pde, "boundary", SCIML_CONDITION_DIRICHLET);
    add_face(c, 0, 0);
    add_face(c, 0, 1);
    c = add_condition(pde, "initial", SCIML_CONDITION_DIRICHLET);
    add_face(c, 1, 0);
    pde->has_solution = 1;
}

/* u_t - d u_xx - f,  f = e^-t sum_k (d k^2 - 1) sin(k x) / k over k = 1, 2, 3, 4, 8, so that
 * u = e^-t sum_k sin(k x) / k solves it. */
static sciml_node diffusion_reaction_residual(sciml_graph *g, const sciml_pde *pde, sciml_node y,
                                              sciml_node points, const sciml_node *params) {
    double d = pde->coefficients[0];
    sciml_node x = coordinate(g, points, 0);
    sciml_node decay = sciml_exp(g, sciml_scale(g, coordinate(g, points, 1), -1.0));
    sciml_node sum = SCIML_NO_NODE;
    for (int i = 0; i < 5; i++) {
        double k = reaction_modes[i];
        if (d * k * k - 1 == 0)
            continue;
        sciml_node term = sciml_scale(g, sciml_sin(g, sciml_scale(g, x, k)), (d * k * k - 1) / k);
        sum = sum == SCIML_NO_NODE ? term : sciml_add(g, sum, term);
    }
    sciml_node r = sciml_sub(g, stream(g, pde, y, 1, -1),
                             times_coefficient(g, pde, params, 0, stream(g, pde, y, 0, 0)));
    return sum == SCIML_NO_NODE ? r : sciml_sub(g, r, sciml_mul(g, decay, sum));
}

static double diffusion_reaction_solution(const sciml_pde *pde, const double *x, int component) {
    (void)component;
    (void)pde;
    double u = 0;
    for (int i = 0; i < 5; i++)
        u += sin(reaction_modes[i] * x[0]) / reaction_modes[i];
    return exp(-x[1]) * u;
}

static double diffusion_reaction_target(const sciml_pde *pde, int condition, const double *x) {
    return condition == 1 ? diffusion_reaction_solution(pde, x, 0) : 0.0;
}

/* u = sum_k sin(k x) / k + t (1 - x^2 / pi^2) N */
static void diffusion_reaction_transform(const double *x, jet *lift, jet *distance) {
    double value = 0, first = 0, second = 0;
    for (int i = 0; i < 5; i++) {
        double k = reaction_modes[i];
        value += sin(k * x[0]) / k;
        first += cos(k * x[0]);
        second -= k * sin(k * x[0]);
    }
    *lift = jet_of(0, value, first, second);
    jet space = bump11(0, x[0] / PI), time = jet_of(1, x[1], 1, 0);
    space.first[0] /= PI; /* d/dx of 1 - (x / pi)^2 */
    space.second[0][0] /= PI * PI;
    *distance = jet_product(&space, &time, 1);
}

/* ---- Kovasznay flow ----------------------------------------------------------------------------
 */

/* lambda = Re / 2 - sqrt(Re^2 / 4 + 4 pi^2) */
static double kovasznay_lambda(const sciml_pde *pde) {
    double re = pde->coefficients[0];
    return re / 2 - sqrt(re * re / 4 + 4 * PI * PI);
}

static void kovasznay_init(sciml_pde *pde) {
    pde->input_count = 2;
    set_box(pde, 0, "x", -0.5, 1.0);
    set_box(pde, 1, "y", -0.5, 1.5);
    pde->time_axis = -1;
    pde->output_count = 3;
    pde->output_names[0] = "u";
    pde->output_names[1] = "v";
    pde->output_names[2] = "p";
    pde->residual_count = 3;
    pde->up_to_constant = 1u << 2; /* only grad p enters the equations */
    add_coefficient(pde, "re", 20.0);
    sciml_taylor_spec_init(&pde->spec, 2);
    sciml_taylor_spec_add_second(&pde->spec, 0, 0);
    sciml_taylor_spec_add_second(&pde->spec, 1, 1);
    for (int component = 0; component < 2; component++) {
        sciml_pde_condition *c =
            add_condition(pde, component ? "boundary_v" : "boundary_u", SCIML_CONDITION_DIRICHLET);
        c->component = component;
        for (int axis = 0; axis < 2; axis++)
            for (int side = 0; side < 2; side++)
                add_face(c, axis, side);
    }
    pde->has_solution = 1;
}

static sciml_node column(sciml_graph *g, sciml_node a, int c) {
    return sciml_slice(g, a, 1, c, c + 1);
}

/* Steady Navier-Stokes, 1/Re viscosity:
 *   u u_x + v u_y + p_x - (u_xx + u_yy) / Re,  u v_x + v v_y + p_y - (v_xx + v_yy) / Re,
 *   u_x + v_y  as the columns of (rows, 3). */
static sciml_node kovasznay_residual(sciml_graph *g, const sciml_pde *pde, sciml_node y,
                                     sciml_node points, const sciml_node *params) {
    (void)points;
    double inverse = 1.0 / pde->coefficients[0];
    (void)params;
    sciml_node w = stream(g, pde, y, -1, -1), wx = stream(g, pde, y, 0, -1);
    sciml_node wy = stream(g, pde, y, 1, -1);
    sciml_node lap = sciml_add(g, stream(g, pde, y, 0, 0), stream(g, pde, y, 1, 1));
    sciml_node u = column(g, w, 0), v = column(g, w, 1);
    sciml_node columns[3];
    for (int c = 0; c < 2; c++) {
        sciml_node convection =
            sciml_add(g, sciml_mul(g, u, column(g, wx, c)), sciml_mul(g, v, column(g, wy, c)));
        sciml_node pressure = column(g, c == 0 ? wx : wy, 2);
        columns[c] = sciml_sub(g, sciml_add(g, convection, pressure),
                               sciml_scale(g, column(g, lap, c), inverse));
    }
    columns[2] = sciml_add(g, column(g, wx, 0), column(g, wy, 1));
    return sciml_concat(g, 3, columns, 1);
}

static double kovasznay_solution(const sciml_pde *pde, const double *x, int component) {
    double lambda = kovasznay_lambda(pde), e = exp(lambda * x[0]);
    if (component == 0)
        return 1 - e * cos(2 * PI * x[1]);
    if (component == 1)
        return lambda / (2 * PI) * e * sin(2 * PI * x[1]);
    return (1 - e * e) / 2;
}

static double kovasznay_target(const sciml_pde *pde, int condition, const double *x) {
    return kovasznay_solution(pde, x, pde->conditions[condition].component);
}

/* ---- the table --------------------------------------------------------------------------------
 */

static const sciml_pde_kind kinds[] = {
    {"burgers", burgers_init, burgers_residual, burgers_target, NULL,
     "u = -sin(pi x) + t (1 - x^2) N", 0x3, burgers_transform},
    {"poisson1d", poisson1d_init, poisson1d_residual, zero_target, poisson1d_solution,
     "u = (1 - x^2) N", 0x1, poisson1d_transform},
    {"poisson2d", poisson2d_init, poisson2d_residual, zero_target, poisson2d_solution,
     "u = 16 x (1 - x) y (1 - y) N", 0x1, poisson2d_transform},
    {"heat1d", heat1d_init, heat1d_residual, sine_initial_target, heat1d_solution,
     "u = sin(pi x) + 4 t x (1 - x) N", 0x3, heat1d_transform},
    {"wave1d", wave1d_init, wave1d_residual, sine_initial_target, wave1d_solution,
     "u = sin(pi x) + 4 t^2 x (1 - x) N", 0x7, wave1d_transform},
    {"allen-cahn", allen_cahn_init, allen_cahn_residual, allen_cahn_target, NULL, NULL, 0, NULL},
    {"helmholtz2d", helmholtz2d_init, helmholtz2d_residual, zero_target, helmholtz2d_solution,
     "u = (1 - x^2) (1 - y^2) N", 0x1, helmholtz2d_transform},
    {"diffusion-reaction", diffusion_reaction_init, diffusion_reaction_residual,
     diffusion_reaction_target, diffusion_reaction_solution,
     "u = sum_k sin(k x) / k + t (1 - x^2 / pi^2) N", 0x3, diffusion_reaction_transform},
    {"kovasznay", kovasznay_init, kovasznay_residual, kovasznay_target, kovasznay_solution, NULL, 0,
     NULL},
};
#define KIND_COUNT ((int)(sizeof kinds / sizeof kinds[0]))

const char *sciml_pde_names(void) {
    return "burgers, poisson1d, poisson2d, heat1d, wave1d, allen-cahn, helmholtz2d, "
           "diffusion-reaction, kovasznay";
}

sciml_status sciml_pde_init(sciml_ctx *ctx, const char *name, sciml_pde *pde) {
    for (int i = 0; name && i < KIND_COUNT; i++)
        if (strcmp(name, kinds[i].name) == 0) {
            memset(pde, 0, sizeof *pde);
            pde->kind = &kinds[i];
            pde->name = kinds[i].name;
            pde->output_count = 1;
            pde->output_names[0] = "u";
            pde->residual_count = 1;
            kinds[i].init(pde);
            return SCIML_OK;
        }
    return sciml_error(ctx, SCIML_ERR_NOT_FOUND, "unknown PDE '%s', expected one of %s",
                       name ? name : "(null)", sciml_pde_names());
}

int sciml_pde_coefficient_index(const sciml_pde *pde, const char *name) {
    for (int k = 0; k < pde->coefficient_count; k++)
        if (strcmp(pde->coefficient_names[k], name) == 0)
            return k;
    return -1;
}

sciml_status sciml_pde_set_coefficient(sciml_ctx *ctx, sciml_pde *pde, const char *name,
                                       double value) {
    int k = sciml_pde_coefficient_index(pde, name);
    if (k < 0) {
        char list[128] = "";
        for (int i = 0; i < pde->coefficient_count; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                     pde->coefficient_names[i]);
        return sciml_error(ctx, SCIML_ERR_NOT_FOUND, "%s: no coefficient '%s', expected %s",
                           pde->name, name, list);
    }
    int positive = strcmp(name, "k") != 0; /* nu, alpha, c, d: > 0; k: any non-zero */
    if (!isfinite(value) || (positive && value <= 0) || value == 0)
        return sciml_error(ctx, SCIML_ERR_RANGE, "%s: coefficient %s = %g, expected %s", pde->name,
                           name, value,
                           positive ? "a finite value > 0" : "a finite non-zero value");
    pde->coefficients[k] = value;
    return SCIML_OK;
}

sciml_node sciml_pde_residual(sciml_ctx *ctx, sciml_graph *g, const sciml_pde *pde, sciml_node y,
                              sciml_node points, const sciml_node *coefficient_params) {
    if (!pde || !pde->kind) {
        sciml_error(ctx, SCIML_ERR_ARG, "pde_residual: no problem");
        return SCIML_NO_NODE;
    }
    return pde->kind->residual(g, pde, y, points, coefficient_params);
}

void sciml_pde_condition_spec(const sciml_pde *pde, int condition, sciml_taylor_spec *spec) {
    if (pde->conditions[condition].kind == SCIML_CONDITION_DIRICHLET)
        sciml_taylor_spec_value(spec, pde->input_count);
    else
        sciml_taylor_spec_init(spec, pde->input_count);
}

void sciml_pde_condition_target(const sciml_pde *pde, int condition, int64_t count,
                                const double *points, double *out) {
    for (int64_t i = 0; i < count; i++)
        out[i] = pde->conditions[condition].kind == SCIML_CONDITION_PERIODIC
                     ? 0.0
                     : pde->kind->target(pde, condition, points + i * pde->input_count);
}

sciml_status sciml_pde_solution(sciml_ctx *ctx, const sciml_pde *pde, int64_t count,
                                const double *points, double *out) {
    if (!pde->has_solution)
        return sciml_error(ctx, SCIML_ERR_STATE, "%s: no exact or reference solution", pde->name);
    if (strcmp(pde->name, "burgers") == 0) {
        double x[256], t[256];
        for (int64_t start = 0; start < count; start += 256) {
            int64_t n = count - start < 256 ? count - start : 256;
            for (int64_t i = 0; i < n; i++) {
                x[i] = points[2 * (start + i)];
                t[i] = points[2 * (start + i) + 1];
            }
            sciml_status status =
                sciml_burgers_cole_hopf(ctx, pde->coefficients[0], n, x, t, 2000, out + start);
            if (status)
                return status;
        }
        return SCIML_OK;
    }
    for (int64_t i = 0; i < count; i++)
        for (int c = 0; c < pde->output_count; c++)
            out[i * pde->output_count + c] =
                pde->kind->solution(pde, points + i * pde->input_count, c);
    return SCIML_OK;
}

/* ---- output transform --------------------------------------------------------------------- */

const char *sciml_pde_transform(const sciml_pde *pde) {
    return pde && pde->kind ? pde->kind->transform_formula : NULL;
}

const char *sciml_pde_transform_names(void) {
    return "burgers, poisson1d, poisson2d, heat1d, wave1d, helmholtz2d, diffusion-reaction";
}

int sciml_pde_transform_meets(const sciml_pde *pde, int condition) {
    if (!sciml_pde_transform(pde) || condition < 0 || condition >= pde->condition_count)
        return 0;
    return (pde->kind->transform_meets >> condition) & 1u;
}

sciml_status sciml_pde_transform_streams(sciml_ctx *ctx, const sciml_pde *pde,
                                         const sciml_taylor_spec *spec, int64_t count,
                                         const double *points, double *lift, double *distance) {
    if (!sciml_pde_transform(pde))
        return sciml_error(ctx, SCIML_ERR_STATE,
                           "%s: no output transform for hard constraints, expected one of %s",
                           pde && pde->name ? pde->name : "(no problem)",
                           sciml_pde_transform_names());
    int d = pde->input_count, outputs = pde->output_count;
    int streams = sciml_taylor_stream_count(spec);
    if (spec->input_count != d)
        return sciml_error(ctx, SCIML_ERR_ARG, "%s: a Taylor spec of %d inputs, expected %d",
                           pde->name, spec->input_count, d);
    for (int64_t i = 0; i < count; i++) {
        jet a, b;
        pde->kind->transform(points + i * d, &a, &b);
        for (int s = 0; s < streams; s++) {
            double av = a.value, bv = b.value;
            if (s > 0 && spec->first_order && s <= d) {
                av = a.first[s - 1];
                bv = b.first[s - 1];
            } else if (s > 0) {
                int p = spec->second[s - 1 - d][0], q = spec->second[s - 1 - d][1];
                av = a.second[p][q];
                bv = b.second[p][q];
            }
            for (int c = 0; c < outputs; c++) {
                lift[(s * count + i) * outputs + c] = av;
                distance[(s * count + i) * outputs + c] = bv;
            }
        }
    }
    return SCIML_OK;
}

double sciml_pde_relative_error(const sciml_pde *pde, int output, int64_t count, const double *u,
                                int64_t u_stride, const double *ref, int64_t ref_stride) {
    double u_mean = 0, ref_mean = 0;
    if (count > 0 && output >= 0 && output < 32 && ((pde->up_to_constant >> output) & 1u)) {
        for (int64_t i = 0; i < count; i++) {
            u_mean += u[i * u_stride];
            ref_mean += ref[i * ref_stride];
        }
        u_mean /= (double)count;
        ref_mean /= (double)count;
    }
    double num = 0, den = 0;
    for (int64_t i = 0; i < count; i++) {
        double r = ref[i * ref_stride] - ref_mean, e = u[i * u_stride] - u_mean - r;
        num += e * e;
        den += r * r;
    }
    return sqrt(num / (den > 0 ? den : 1));
}
