/* libsciml PDE library for physics-informed neural networks: each problem's residual (as graph
 * nodes on the Taylor streams of sciml/taylor.h), domain, boundary and initial conditions,
 * coefficients, and an exact or reference solution where one exists; collocation sampling.
 *
 * Problems (inputs in order; u the network output; defaults in brackets):
 *   burgers    (x, t) in [-1,1] x [0,1]:  u_t + u u_x - nu u_xx = 0                [nu 0.01/pi]
 *              u(x, 0) = -sin(pi x), u(-1, t) = u(1, t) = 0; reference by Cole-Hopf
 *   poisson1d  x in [-1,1]:  -u_xx = (k pi)^2 sin(k pi x), u(+-1) = 0; u = sin(k pi x)  [k 1]
 *   poisson2d  (x, y) in [0,1]^2:  -(u_xx + u_yy) = 2 (k pi)^2 sin(k pi x) sin(k pi y),
 *              u = 0 on the boundary; u = sin(k pi x) sin(k pi y)                     [k 1]
 *   heat1d     (x, t) in [0,1]^2:  u_t - alpha u_xx = 0, u(x,0) = sin(pi x), u(0,t) = u(1,t) = 0;
 *              u = exp(-alpha pi^2 t) sin(pi x)                                    [alpha 0.1]
 *   wave1d     (x, t) in [0,1]^2:  u_tt - c^2 u_xx = 0, u(x,0) = sin(pi x), u_t(x,0) = 0
 *              (a Neumann condition in t), u(0,t) = u(1,t) = 0; u = cos(c pi t) sin(pi x) [c 1]
 *   allen-cahn (x, t) in [-1,1] x [0,1]:  u_t - d u_xx + 5 (u^3 - u) = 0,
 *              u(x,0) = x^2 cos(pi x), u and u_x periodic in x; no closed form   [d 0.0001]
 *   helmholtz2d (x, y) in [-1,1]^2:  u_xx + u_yy + k^2 u = q, u = 0 on the boundary;
 *              u = sin(pi x) sin(4 pi y), q = (k^2 - 17 pi^2) u                       [k 1]
 *   diffusion-reaction (x, t) in [-pi,pi] x [0,1]:  u_t - d u_xx = f, f = e^-t sum_k (d k^2 - 1)
 *              sin(k x) / k over k = 1, 2, 3, 4, 8; u(+-pi, t) = 0, u(x, 0) = sum_k sin(k x) / k;
 *              u = e^-t sum_k sin(k x) / k                                              [d 1]
 *   kovasznay  (x, y) in [-0.5,1] x [-0.5,1.5], outputs (u, v, p): steady Navier-Stokes
 *              u u_x + v u_y + p_x = (u_xx + u_yy) / Re, likewise for v, u_x + v_y = 0, with the
 *              Kovasznay solution u = 1 - e^(l x) cos(2 pi y), v = l/(2 pi) e^(l x) sin(2 pi y),
 *              p = (1 - e^(2 l x)) / 2, l = Re/2 - sqrt(Re^2/4 + 4 pi^2), as Dirichlet values of
 *              u and v on the boundary                                                [re 20]
 *
 * Conditions: Dirichlet u = g on a face; Neumann du/dx_axis = g on a face; periodic u and u_x
 * equal on the two faces of an axis. Each condition is one loss term mean((.)^2) over its own
 * points, weighted apart from the residual term.
 */
#ifndef SCIML_PDE_H
#define SCIML_PDE_H

#include "sciml/core.h"
#include "sciml/graph.h"
#include "sciml/taylor.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SCIML_PDE_MAX_INPUTS 3
#define SCIML_PDE_MAX_COEFFICIENTS 4
#define SCIML_PDE_MAX_CONDITIONS 4
#define SCIML_PDE_MAX_FACES 4
#define SCIML_PDE_MAX_OUTPUTS 3

typedef enum sciml_condition_kind {
    SCIML_CONDITION_DIRICHLET = 0, /* u = g */
    SCIML_CONDITION_NEUMANN,       /* d u / d x_axis = g (axis = derivative_axis) */
    SCIML_CONDITION_PERIODIC       /* u(lower) = u(upper) and du/dx_axis likewise, per face pair */
} sciml_condition_kind;

typedef struct sciml_pde_condition {
    const char *name; /* "boundary", "initial", "velocity" (static) */
    sciml_condition_kind kind;
    int face_count;                     /* faces its points lie on (periodic: one axis) */
    int face_axis[SCIML_PDE_MAX_FACES]; /* the fixed input */
    int face_side[SCIML_PDE_MAX_FACES]; /* 0 lower, 1 upper */
    int derivative_axis;                /* Neumann/periodic: the input of the derivative */
    int component;                      /* the output it constrains (0 for u) */
} sciml_pde_condition;

typedef struct sciml_pde_kind sciml_pde_kind; /* private table entry */

/* A problem with its coefficients: a plain value. */
typedef struct sciml_pde {
    const sciml_pde_kind *kind;
    const char *name;
    int input_count;
    const char *input_names[SCIML_PDE_MAX_INPUTS];
    int output_count;                                /* network outputs (1, Kovasznay 3) */
    const char *output_names[SCIML_PDE_MAX_OUTPUTS]; /* "u" (, "v", "p") */
    int residual_count;                              /* residual columns */
    double lower[SCIML_PDE_MAX_INPUTS], upper[SCIML_PDE_MAX_INPUTS];
    int coefficient_count;
    const char *coefficient_names[SCIML_PDE_MAX_COEFFICIENTS];
    double coefficients[SCIML_PDE_MAX_COEFFICIENTS];
    int condition_count;
    sciml_pde_condition conditions[SCIML_PDE_MAX_CONDITIONS];
    sciml_taylor_spec spec; /* streams the residual needs at interior points */
    int has_solution;       /* exact or reference solution available */
    unsigned learnable;     /* bit k: coefficient k may be a trainable parameter */
    int time_axis;          /* input that is time, or -1 */
    unsigned up_to_constant; /* bit c: output c is fixed only up to a constant (Kovasznay p) */
} sciml_pde;

/* Names of every problem, comma separated ("burgers, poisson1d, ..."). */
const char *sciml_pde_names(void);
/* The problem `name` with default coefficients; SCIML_ERR_NOT_FOUND and a message listing the
 * problems for an unknown name. */
sciml_status sciml_pde_init(sciml_ctx *ctx, const char *name, sciml_pde *pde);
/* Index of coefficient `name`, or -1. */
int sciml_pde_coefficient_index(const sciml_pde *pde, const char *name);
/* Sets a coefficient; SCIML_ERR_NOT_FOUND (message lists the problem's coefficients) for an
 * unknown name, SCIML_ERR_RANGE for a value the problem rejects (nu <= 0 ...). */
sciml_status sciml_pde_set_coefficient(sciml_ctx *ctx, sciml_pde *pde, const char *name,
                                       double value);

/* Residual node (rows, residual_count) from the Taylor output y (S, rows, outputs) of the
 * interior points (spec
 * pde->spec) and points (rows, d), a graph input holding the same points (for source terms).
 * coefficient_params[k] (may be NULL) is a (1) parameter to use for coefficient k instead of its
 * value (inverse problems), or SCIML_NO_NODE. */
sciml_node sciml_pde_residual(sciml_ctx *ctx, sciml_graph *g, const sciml_pde *pde, sciml_node y,
                              sciml_node points, const sciml_node *coefficient_params);
/* The streams a condition needs at its points (value only, or first order). */
void sciml_pde_condition_spec(const sciml_pde *pde, int condition, sciml_taylor_spec *spec);
/* Condition target g (of the condition's component) at count points (count, d) -> out
 * (count). Periodic conditions: zero. */
void sciml_pde_condition_target(const sciml_pde *pde, int condition, int64_t count,
                                const double *points, double *out);
/* Exact or reference solution at count points (count, d) -> out (count, output_count).
 * SCIML_ERR_STATE when the problem has none. */
sciml_status sciml_pde_solution(sciml_ctx *ctx, const sciml_pde *pde, int64_t count,
                                const double *points, double *out);

/* Relative L2 error sqrt(sum_i (u_i - r_i)^2 / sum_i r_i^2) of output `output` over count
 * points, u_i = u[i * u_stride] and r_i = ref[i * ref_stride] (pass u + output for a
 * (count, outputs) array). An output fixed only up to a constant (bit `output` of
 * up_to_constant) is compared mean-free: u_i - mean u against r_i - mean r. A zero reference
 * gives the L2 norm of the difference. */
double sciml_pde_relative_error(const sciml_pde *pde, int output, int64_t count, const double *u,
                                int64_t u_stride, const double *ref, int64_t ref_stride);

/* ---- Hard constraints through an output transform ------------------------------------------
 * The network output N enters as u = A(x) + D(x) N(x): the lift A meets the Dirichlet and
 * initial data, the distance factor D vanishes where they are given, so u meets them exactly
 * for every N and their loss terms are dropped. Both are closed forms of the inputs alone (no
 * coefficient enters), with their input derivatives, so the streams of u follow from those of
 * N by the product rule (sciml_taylor_product). D is scaled to a maximum of 1 on the domain, so
 * that N keeps the scale of u - A:
 *   burgers             u = -sin(pi x) + t (1 - x^2) N
 *   poisson1d           u = (1 - x^2) N
 *   poisson2d           u = 16 x (1 - x) y (1 - y) N
 *   heat1d              u = sin(pi x) + 4 t x (1 - x) N
 *   wave1d              u = sin(pi x) + 4 t^2 x (1 - x) N   (also u_t(x, 0) = 0)
 *   helmholtz2d         u = (1 - x^2) (1 - y^2) N
 *   diffusion-reaction  u = sum_k sin(k x) / k + t (1 - x^2 / pi^2) N
 * Allen-Cahn (periodic) and Kovasznay (data on the whole boundary) have none. */

/* The problem's transform as a formula ("u = -sin(pi x) + t (1 - x^2) N"; static), or NULL
 * when it has none. */
const char *sciml_pde_transform(const sciml_pde *pde);
/* Names of the problems that have a transform, comma separated. */
const char *sciml_pde_transform_names(void);
/* 1 when the transform meets condition `condition` exactly (its loss term is dropped), else 0
 * (also for a problem without a transform). */
int sciml_pde_transform_meets(const sciml_pde *pde, int condition);
/* The lift A and the distance D with the streams of spec at count points (count, d), each
 * stacked (S, count, output_count) like the Taylor streams of the network (stream 0 the value,
 * then the first and second derivatives spec asks for). SCIML_ERR_STATE when the problem has no
 * transform; nothing is written then. */
sciml_status sciml_pde_transform_streams(sciml_ctx *ctx, const sciml_pde *pde,
                                         const sciml_taylor_spec *spec, int64_t count,
                                         const double *points, double *lift, double *distance);

/* Burgers u_t + u u_x = nu u_xx on [-1, 1], u(x, 0) = -sin(pi x), u(+-1, t) = 0, by the
 * Cole-Hopf transform (a standard reference; Basdevant et al. 1986):
 *   u(x, t) = - int sin(pi (x - e)) F(x - e) G(e) de / int F(x - e) G(e) de,
 *   F(y) = exp(-cos(pi y) / (2 pi nu)),  G(e) = exp(-e^2 / (4 nu t)),
 * each integral by the trapezoid rule with `quadrature` (>= 16) nodes on |e| <= W, W^2 =
 * 4 nu t (1 / (pi nu) + 40) (beyond which the integrand is below e^-40 of its peak), with the
 * exponent shifted by its maximum. Points with t = 0 give u0. SCIML_ERR_RANGE for nu <= 0,
 * t < 0 or non-finite input. */
sciml_status sciml_burgers_cole_hopf(sciml_ctx *ctx, double nu, int64_t count, const double *x,
                                     const double *t, int64_t quadrature, double *u);

/* ---- Collocation sampling -------------------------------------------------------------------- */
typedef enum sciml_sampling {
    SCIML_SAMPLING_UNIFORM = 0, /* independent uniform points */
    SCIML_SAMPLING_LHS,         /* Latin hypercube: one point per stratum along every axis */
    SCIML_SAMPLING_SOBOL,       /* Sobol sequence (up to 4 dimensions), random digital shift */
    SCIML_SAMPLING_GRID         /* cell centres of an n^dim grid, n = floor(count^(1/dim)),
                                   the remaining count - n^dim points uniform */
} sciml_sampling;

const char *sciml_sampling_name(sciml_sampling sampling);
sciml_status sciml_sampling_parse(sciml_ctx *ctx, const char *name, sciml_sampling *out);
/* count points (count, dim) in the box [lower, upper] (dim 1..4, count >= 1). */
sciml_status sciml_sample_box(sciml_ctx *ctx, sciml_rng *rng, sciml_sampling sampling, int dim,
                              const double *lower, const double *upper, int64_t count, double *out);
/* Interior points (count, d) of the problem's domain. */
sciml_status sciml_pde_sample_interior(sciml_ctx *ctx, const sciml_pde *pde, sciml_rng *rng,
                                       sciml_sampling sampling, int64_t count, double *out);
/* Points (count, d) on a condition's faces, split evenly between them (face f gets
 * count / faces, the first count % faces one more). Periodic conditions: count pairs, the
 * lower-face points in out and the same points moved to the upper face in partner (count, d). */
sciml_status sciml_pde_sample_condition(sciml_ctx *ctx, const sciml_pde *pde, int condition,
                                        sciml_rng *rng, sciml_sampling sampling, int64_t count,
                                        double *out, double *partner);

#ifdef __cplusplus
}
#endif
#endif /* SCIML_PDE_H */
