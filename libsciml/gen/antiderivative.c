/* Antiderivative data for operator learning (sciml/operator_data.h).
 *
 * Cumulative quadrature: on the interval [x_i, x_i+1] the function is replaced by the
 * polynomial of degree q - 1 through the samples x_s .. x_s+q-1 with the stencil as centred as
 * the ends allow, s = clamp(i - q/2 + 1, 0, m - q). In units of h with t = (x - x_i) / h the
 * nodes are t_j = s + j - i and
 *
 *     integral over [x_i, x_i+1] = h sum_j w_j f(x_s+j),   w_j = integral_0^1 L_j(t) dt,
 *
 * L_j the Lagrange basis polynomials. Only q - 1 stencil positions (s - i in [2 - q, 0])
 * occur, so their weights are made once per call. The local error is O(h^(q+1)), the
 * accumulated one O(h^q). (q = 4 interior weights are the familiar (-1, 13, 13, -1) / 24.)
 */
#include "sciml/operator_data.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sciml/gen.h"

/* Weights w[0..q) of the stencil with nodes t_j = offset + j integrated over [0, 1]. */
static void stencil_weights(int q, int offset, double *w) {
    for (int j = 0; j < q; j++) {
        double coefficients[SCIML_QUADRATURE_MAX_ORDER] = {1.0}; /* ascending powers of t */
        int degree = 0;
        double denominator = 1.0;
        const double tj = (double)(offset + j);
        for (int k = 0; k < q; k++) {
            if (k == j)
                continue;
            const double tk = (double)(offset + k);
            /* multiply by (t - tk) */
            for (int n = degree + 1; n >= 0; n--) {
                double shifted = n > 0 ? coefficients[n - 1] : 0.0;
                double kept = n <= degree ? coefficients[n] : 0.0;
                coefficients[n] = shifted - tk * kept;
            }
            degree++;
            denominator *= tj - tk;
        }
        double integral = 0.0;
        for (int n = 0; n <= degree; n++)
            integral += coefficients[n] / (double)(n + 1);
        w[j] = integral / denominator;
    }
}

sciml_status sciml_cumulative_integral(sciml_ctx *ctx, int64_t points, double spacing,
                                       const double *values, int order, double *integral) {
    if (points < 2 || !(spacing > 0.0) || !isfinite(spacing) || order < 2 ||
        order > SCIML_QUADRATURE_MAX_ORDER)
        return sciml_error(ctx, SCIML_ERR_ARG,
                           "cumulative integral: %lld points, spacing %g, order %d: expected "
                           "at least 2 points, a positive spacing and an order of 2 to %d",
                           (long long)points, spacing, order, SCIML_QUADRATURE_MAX_ORDER);
    const int q = points < order ? (int)points : order;
    /* weights[(i - s) * q + j] for the q - 1 stencil positions */
    double weights[SCIML_QUADRATURE_MAX_ORDER * SCIML_QUADRATURE_MAX_ORDER];
    for (int shift = 0; shift <= q - 2; shift++)
        stencil_weights(q, -shift, weights + shift * q);
    integral[0] = 0.0;
    double sum = 0.0;
    for (int64_t i = 0; i + 1 < points; i++) {
        int64_t s = i - q / 2 + 1;
        if (s < 0)
            s = 0;
        if (s > points - q)
            s = points - q;
        const double *w = weights + (i - s) * q;
        double piece = 0.0;
        for (int j = 0; j < q; j++)
            piece += w[j] * values[s + j];
        sum += spacing * piece;
        integral[i + 1] = sum;
    }
    return SCIML_OK;
}

struct sciml_antiderivative {
    sciml_gp_rbf *gp;
    int64_t sensors;
};

sciml_status sciml_antiderivative_create(sciml_ctx *ctx, int64_t sensors, double length_scale,
                                         double variance, sciml_antiderivative **out) {
    *out = NULL;
    sciml_antiderivative *generator = calloc(1, sizeof(*generator));
    if (!generator)
        return sciml_error(ctx, SCIML_ERR_NOMEM, "antiderivative: out of memory");
    sciml_status status = sciml_gp_rbf_create(ctx, sensors, length_scale, variance, &generator->gp);
    if (status) {
        free(generator);
        return status;
    }
    generator->sensors = sensors;
    *out = generator;
    return SCIML_OK;
}

void sciml_antiderivative_sample(sciml_antiderivative *generator, sciml_rng *rng, double *v,
                                 double *u) {
    const int64_t m = generator->sensors;
    sciml_gp_rbf_sample(generator->gp, rng, v);
    /* arguments were checked at creation: m >= 2, h > 0, order in range */
    sciml_cumulative_integral(NULL, m, 1.0 / (double)(m - 1), v,
                              SCIML_ANTIDERIVATIVE_QUADRATURE_ORDER, u);
}

int64_t sciml_antiderivative_sensors(const sciml_antiderivative *generator) {
    return generator->sensors;
}

void sciml_antiderivative_destroy(sciml_antiderivative **generator) {
    if (!generator || !*generator)
        return;
    sciml_gp_rbf_destroy(&(*generator)->gp);
    free(*generator);
    *generator = NULL;
}
