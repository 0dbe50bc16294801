/* Gaussian random fields on the periodic unit cell [0,1)^d, d = 1 or 2, with covariance
 * C = sigma^2 (-Laplacian + tau^2 I)^(-alpha) (the FNO data convention; gen.h states it in
 * full). A sample is the Karhunen-Loeve expansion truncated to the grid's wavenumbers:
 *
 *     u(x_j) = sum_k uhat_k exp(2 pi i k.x_j),  uhat_{-k} = conj(uhat_k),  E|uhat_k|^2 = lambda_k,
 *     lambda_k = sigma^2 (4 pi^2 |k|^2 + tau^2)^(-alpha),  lambda_0 = 0,
 *
 * generated on the half spectrum (FFTW's r2c layout: s/2+1 complex values along the last
 * dimension) and synthesised by one unnormalised complex-to-real FFT. Modes equal to their
 * own conjugate (every component 0 or s/2) get a real coefficient of variance lambda_k; in the
 * columns k_last = 0 and k_last = s/2 of a 2D half spectrum the conjugate pairs (k1, k2) and
 * (-k1, k2) are both stored, so the generator writes the conjugate explicitly.
 */
#include "sciml/gen.h"

#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct sciml_grf {
    int dims;
    int64_t resolution; /* s */
    int64_t half;       /* s/2 + 1: complex values along the last dimension */
    double alpha, tau, sigma;
    double *scale;          /* (rows, half): sqrt(lambda_k), rows = 1 (1D) or s (2D) */
    fftw_complex *spectrum; /* (rows, half) half spectrum, overwritten by each transform */
    double *field;          /* (s) or (s, s) transform output */
    fftw_plan plan;
    double variance; /* sum of lambda_k over resolved k != 0 */
};

static int valid_positive(double value) {
    return isfinite(value) && value > 0.0;
}

/* Signed frequency of FFT index i on an s-point grid: i for i <= s/2, else i - s. */
static int64_t signed_frequency(int64_t index, int64_t s) {
    return index <= s / 2 ? index : index - s;
}

double sciml_grf_eigenvalue(const sciml_grf *grf, double k_squared) {
    if (k_squared <= 0.0)
        return 0.0;
    double base = 4.0 * SCIML_PI * SCIML_PI * k_squared + grf->tau * grf->tau;
    return grf->sigma * grf->sigma * pow(base, -grf->alpha);
}

sciml_status sciml_grf_create(sciml_ctx *ctx, int dims, int64_t resolution, double alpha,
                              double tau, double sigma, sciml_grf **out) {
    if (out == NULL)
        return sciml_error(ctx, SCIML_ERR_ARG, "sciml_grf_create: out is NULL");
    *out = NULL;
    if (dims != 1 && dims != 2)
        return sciml_error(ctx, SCIML_ERR_ARG,
                           "Gaussian random field: dimension %d is not supported (expected 1 or 2)",
                           dims);
    int64_t max_resolution = dims == 1 ? SCIML_GRF_MAX_RESOLUTION_1D : SCIML_GRF_MAX_RESOLUTION_2D;
    if (resolution < 2 || resolution > max_resolution)
        return sciml_error(ctx, SCIML_ERR_RANGE,
                           "Gaussian random field: resolution %lld is out of range (expected 2 "
                           "to %lld points per dimension in %dD)",
                           (long long)resolution, (long long)max_resolution, dims);
    if (!valid_positive(alpha) || !valid_positive(tau) || !valid_positive(sigma))
        return sciml_error(ctx, SCIML_ERR_RANGE,
                           "Gaussian random field: alpha = %g, tau = %g, sigma = %g (each must be "
                           "finite and > 0)",
                           alpha, tau, sigma);

    sciml_grf *grf = calloc(1, sizeof *grf);
    if (grf == NULL)
        return sciml_error(ctx, SCIML_ERR_NOMEM, "Gaussian random field: out of memory");
    grf->dims = dims;
    grf->resolution = resolution;
    grf->half = resolution / 2 + 1;
    grf->alpha = alpha;
    grf->tau = tau;
    grf->sigma = sigma;
    int64_t rows = dims == 1 ? 1 : resolution;
    /* Sizes are bounded by the resolution limits above: no overflow is possible. */
    size_t spectrum_count = (size_t)rows * (size_t)grf->half;
    size_t field_count = (size_t)rows * (size_t)resolution;
    grf->scale = sciml_alloc_array(spectrum_count, sizeof(double));
    grf->spectrum = fftw_malloc(spectrum_count * sizeof(fftw_complex));
    grf->field = fftw_malloc(field_count * sizeof(double));
    if (grf->scale == NULL || grf->spectrum == NULL || grf->field == NULL) {
        sciml_grf_destroy(&grf);
        return sciml_error(ctx, SCIML_ERR_NOMEM,
                           "Gaussian random field: out of memory for a %lld^%d grid",
                           (long long)resolution, dims);
    }
    if (dims == 1)
        grf->plan = fftw_plan_dft_c2r_1d((int)resolution, grf->spectrum, grf->field, FFTW_ESTIMATE);
    else
        grf->plan = fftw_plan_dft_c2r_2d((int)resolution, (int)resolution, grf->spectrum,
                                         grf->field, FFTW_ESTIMATE);
    if (grf->plan == NULL) {
        sciml_grf_destroy(&grf);
        return sciml_error(ctx, SCIML_ERR_INTERNAL,
                           "Gaussian random field: FFTW could not plan a %lld^%d transform",
                           (long long)resolution, dims);
    }

    /* sqrt(lambda_k) per half-spectrum entry, and the pointwise variance: every resolved
     * k != 0 counted once, i.e. entries with 0 < k_last < s - k_last count twice (they stand
     * for k and -k), the others once. */
    double variance = 0.0;
    for (int64_t row = 0; row < rows; row++) {
        int64_t k1 = dims == 1 ? 0 : signed_frequency(row, resolution);
        for (int64_t column = 0; column < grf->half; column++) {
            double k_squared = (double)(k1 * k1 + column * column);
            double lambda = sciml_grf_eigenvalue(grf, k_squared);
            grf->scale[row * grf->half + column] = sqrt(lambda);
            int paired = column > 0 && 2 * column != resolution;
            variance += paired ? 2.0 * lambda : lambda;
        }
    }
    grf->variance = variance;
    *out = grf;
    return SCIML_OK;
}

/* A mode (k1, k2) is its own conjugate when 2 k_i = 0 (mod s) for every component. */
static int self_conjugate(int64_t index, int64_t s) {
    return index == 0 || 2 * index == s;
}

void sciml_grf_sample(sciml_grf *grf, sciml_rng *rng, double *out) {
    const int64_t s = grf->resolution;
    const int64_t half = grf->half;
    const double root_half = sqrt(0.5);
    if (grf->dims == 1) {
        for (int64_t k = 0; k < half; k++) {
            double scale = grf->scale[k];
            if (self_conjugate(k, s)) {
                grf->spectrum[k][0] = scale * sciml_rng_normal(rng);
                grf->spectrum[k][1] = 0.0;
            } else {
                grf->spectrum[k][0] = scale * root_half * sciml_rng_normal(rng);
                grf->spectrum[k][1] = scale * root_half * sciml_rng_normal(rng);
            }
        }
        grf->spectrum[0][0] = 0.0; /* zero mean (scale is 0 there too; kept explicit) */
    } else {
        for (int64_t row = 0; row < s; row++) {
            for (int64_t column = 0; column < half; column++) {
                fftw_complex *entry = &grf->spectrum[row * half + column];
                double scale = grf->scale[row * half + column];
                if (!self_conjugate(column, s)) {
                    (*entry)[0] = scale * root_half * sciml_rng_normal(rng);
                    (*entry)[1] = scale * root_half * sciml_rng_normal(rng);
                    continue;
                }
                /* Columns 0 and s/2 hold both k1 and -k1: draw the row with the smaller
                 * index of each pair and mirror it. */
                int64_t mirror = (s - row) % s;
                if (row == mirror) {
                    (*entry)[0] = scale * sciml_rng_normal(rng);
                    (*entry)[1] = 0.0;
                } else if (row < mirror) {
                    (*entry)[0] = scale * root_half * sciml_rng_normal(rng);
                    (*entry)[1] = scale * root_half * sciml_rng_normal(rng);
                } else {
                    const fftw_complex *partner = &grf->spectrum[mirror * half + column];
                    (*entry)[0] = (*partner)[0];
                    (*entry)[1] = -(*partner)[1];
                }
            }
        }
        grf->spectrum[0][0] = 0.0;
        grf->spectrum[0][1] = 0.0;
    }
    fftw_execute(grf->plan);
    memcpy(out, grf->field, (size_t)sciml_grf_point_count(grf) * sizeof(double));
}

double sciml_grf_variance(const sciml_grf *grf) {
    return grf->variance;
}

int sciml_grf_dims(const sciml_grf *grf) {
    return grf->dims;
}

int64_t sciml_grf_resolution(const sciml_grf *grf) {
    return grf->resolution;
}

int64_t sciml_grf_point_count(const sciml_grf *grf) {
    return grf->dims == 1 ? grf->resolution : grf->resolution * grf->resolution;
}

void sciml_grf_destroy(sciml_grf **grf) {
    if (grf == NULL || *grf == NULL)
        return;
    sciml_grf *g = *grf;
    if (g->plan != NULL)
        fftw_destroy_plan(g->plan);
    fftw_free(g->spectrum);
    fftw_free(g->field);
    free(g->scale);
    free(g);
    *grf = NULL;
}
