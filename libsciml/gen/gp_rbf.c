/* Smooth random functions on [0,1]: a zero-mean Gaussian process with the RBF kernel
 *
 *     k(x, y) = variance * exp(-(x - y)^2 / (2 l^2)),
 *
 * observed at x_i = i / (m - 1). With K the m x m kernel matrix, a sample is u = L z,
 * z ~ N(0, I), where L L^T = K + jitter I (LAPACK dpotrf). K is numerically singular for
 * smooth kernels on fine grids, so the jitter grows tenfold from 1e-10 * variance until the
 * factorisation succeeds (the inputs of DeepONet, Lu et al., Nature Machine Intelligence 2021).
 */
#include "sciml/gen.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>

#define SCIML_GP_MAX_POINTS 8192

struct sciml_gp_rbf {
    int64_t points; /* m */
    double jitter;
    double *factor; /* (m, m) row-major lower Cholesky factor; upper triangle zero */
};

sciml_status sciml_gp_rbf_create(sciml_ctx *ctx, int64_t points, double length_scale,
                                 double variance, sciml_gp_rbf **out) {
    if (out == NULL)
        return sciml_error(ctx, SCIML_ERR_ARG, "sciml_gp_rbf_create: out is NULL");
    *out = NULL;
    if (points < 2 || points > SCIML_GP_MAX_POINTS)
        return sciml_error(ctx, SCIML_ERR_RANGE,
                           "RBF Gaussian process: %lld points is out of range (expected 2 to %d)",
                           (long long)points, SCIML_GP_MAX_POINTS);
    if (!isfinite(length_scale) || length_scale <= 0.0 || !isfinite(variance) || variance <= 0.0)
        return sciml_error(ctx, SCIML_ERR_RANGE,
                           "RBF Gaussian process: length scale %g and variance %g must be "
                           "finite and > 0",
                           length_scale, variance);
    sciml_gp_rbf *gp = calloc(1, sizeof *gp);
    if (gp == NULL)
        return sciml_error(ctx, SCIML_ERR_NOMEM, "RBF Gaussian process: out of memory");
    const int64_t m = points;
    gp->points = m;
    gp->factor = sciml_alloc_array((size_t)(m * m), sizeof(double));
    if (gp->factor == NULL) {
        sciml_gp_rbf_destroy(&gp);
        return sciml_error(ctx, SCIML_ERR_NOMEM,
                           "RBF Gaussian process: out of memory for %lld points", (long long)m);
    }
    const double inverse_two_l2 = 1.0 / (2.0 * length_scale * length_scale);
    const double spacing = 1.0 / (double)(m - 1);
    int factored = 0;
    for (double jitter = 1e-10 * variance; jitter <= 1e-4 * variance * 1.0001; jitter *= 10.0) {
        for (int64_t i = 0; i < m; i++) {
            for (int64_t j = 0; j <= i; j++) {
                double distance = (double)(i - j) * spacing;
                gp->factor[i * m + j] = variance * exp(-distance * distance * inverse_two_l2);
            }
            for (int64_t j = i + 1; j < m; j++)
                gp->factor[i * m + j] = 0.0;
            gp->factor[i * m + i] += jitter;
        }
        lapack_int info =
            LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', (lapack_int)m, gp->factor, (lapack_int)m);
        if (info == 0) {
            gp->jitter = jitter;
            factored = 1;
            break;
        }
    }
    if (!factored) {
        sciml_gp_rbf_destroy(&gp);
        return sciml_error(ctx, SCIML_ERR_SOLVER,
                           "RBF Gaussian process: the kernel matrix (%lld points, length scale "
                           "%g) is not positive definite even with jitter 1e-4 * variance",
                           (long long)m, length_scale);
    }
    *out = gp;
    return SCIML_OK;
}

void sciml_gp_rbf_sample(sciml_gp_rbf *gp, sciml_rng *rng, double *out) {
    const int64_t m = gp->points;
    for (int64_t i = 0; i < m; i++)
        out[i] = sciml_rng_normal(rng);
    cblas_dtrmv(CblasRowMajor, CblasLower, CblasNoTrans, CblasNonUnit, (blasint)m, gp->factor,
                (blasint)m, out, 1);
}

int64_t sciml_gp_rbf_points(const sciml_gp_rbf *gp) {
    return gp->points;
}

double sciml_gp_rbf_jitter(const sciml_gp_rbf *gp) {
    return gp->jitter;
}

void sciml_gp_rbf_destroy(sciml_gp_rbf **gp) {
    if (gp == NULL || *gp == NULL)
        return;
    free((*gp)->factor);
    free(*gp);
    *gp = NULL;
}
