/* Random Fourier-feature embedding (Tancik et al., NeurIPS 2020; Wang, Wang and Perdikaris,
 * "On the eigenvector bias of Fourier feature networks", CMAME 2021):
 *   z = 2 pi x B,   gamma(x) = [sin z, cos z],   x (batch, d), B (d, m), gamma (batch, 2 m)
 * with B ~ N(0, sigma^2) drawn once and kept fixed (not a parameter).
 * Backward, with G_s and G_c the output gradients of the sine and cosine halves:
 *   dL/dz = cos z * G_s - sin z * G_c,   dL/dx = 2 pi (dL/dz) B'
 * (cos z and sin z are read back from the forward output, so nothing is recomputed).
 */
#include "sciml/nn.h"

#include <stdlib.h>
#include <string.h>

#include <math.h>

typedef struct fourier_state {
    int64_t input_size, feature_count;
    double *frequencies; /* (input_size, feature_count), owned */
} fourier_state;

static void fourier_destroy(void *state) {
    fourier_state *s = state;
    if (s) {
        free(s->frequencies);
        free(s);
    }
}

static sciml_status fourier_forward(void *state, int input_count, const sciml_tensor_view *inputs,
                                    sciml_tensor_view *out, void *scratch) {
    const fourier_state *s = state;
    const int64_t d = s->input_size, m = s->feature_count;
    const int64_t rows = inputs[0].count / d;
    const double *x = inputs[0].value; /* (rows, d) */
    double *y = out->value;            /* (rows, 2 m) */
    for (int64_t r = 0; r < rows; r++) {
        double *sines = y + r * 2 * m, *cosines = sines + m;
        for (int64_t j = 0; j < m; j++)
            sines[j] = 0.0;
        for (int64_t k = 0; k < d; k++) {
            const double xk = x[r * d + k];
            const double *b = s->frequencies + k * m;
            for (int64_t j = 0; j < m; j++)
                sines[j] += xk * b[j];
        }
        for (int64_t j = 0; j < m; j++) {
            const double z = 2.0 * SCIML_PI * sines[j];
            sines[j] = sin(z);
            cosines[j] = cos(z);
        }
    }
    return SCIML_OK;
}

static sciml_status fourier_backward(void *state, int input_count, const sciml_tensor_view *inputs,
                                     const sciml_tensor_view *out, void *scratch) {
    const fourier_state *s = state;
    double *dx = inputs[0].grad;
    if (!dx)
        return SCIML_OK;
    const int64_t d = s->input_size, m = s->feature_count;
    const int64_t rows = inputs[0].count / d;
    double *dz = scratch; /* (m) */
    for (int64_t r = 0; r < rows; r++) {
        const double *sines = out->value + r * 2 * m, *cosines = sines + m;
        const double *grad_sines = out->grad + r * 2 * m, *grad_cosines = grad_sines + m;
        for (int64_t j = 0; j < m; j++)
            dz[j] = 2.0 * SCIML_PI * (cosines[j] * grad_sines[j] - sines[j] * grad_cosines[j]);
        for (int64_t k = 0; k < d; k++) {
            const double *b = s->frequencies + k * m;
            double sum = 0.0;
            for (int64_t j = 0; j < m; j++)
                sum += b[j] * dz[j];
            dx[r * d + k] += sum;
        }
    }
    return SCIML_OK;
}

static const sciml_op_def fourier_op = {"fourier_features", fourier_forward, fourier_backward,
                                        fourier_destroy};

sciml_status sciml_fourier_sample(sciml_ctx *ctx, sciml_rng *rng, double sigma, int64_t input_size,
                                  int64_t feature_count, double *frequencies) {
    if (!rng || !frequencies)
        return sciml_error(ctx, SCIML_ERR_ARG, "fourier features: NULL argument");
    int64_t total;
    if (input_size < 1 || feature_count < 1 || sciml_mul_i64(input_size, feature_count, &total))
        return sciml_error(ctx, SCIML_ERR_RANGE,
                           "fourier features: sizes (%lld, %lld), expected positive",
                           (long long)input_size, (long long)feature_count);
    if (!(sigma > 0.0) || !isfinite(sigma))
        return sciml_error(ctx, SCIML_ERR_RANGE, "fourier features: sigma %g, expected > 0", sigma);
    for (int64_t i = 0; i < total; i++)
        frequencies[i] = sigma * sciml_rng_normal(rng);
    return SCIML_OK;
}

sciml_node sciml_fourier_features(sciml_ctx *ctx, sciml_graph *g, sciml_node x,
                                  int64_t feature_count, const double *frequencies) {
    if (!g || !frequencies) {
        sciml_error(ctx, SCIML_ERR_ARG, "fourier features: NULL argument");
        return SCIML_NO_NODE;
    }
    int64_t shape[SCIML_MAX_DIMS];
    int ndim = sciml_graph_shape(g, x, shape);
    if (ndim != 2) {
        sciml_error(ctx, ndim == 0 ? SCIML_ERR_ARG : SCIML_ERR_SHAPE,
                    "fourier features: input node %d has %d dimensions, expected 2 (batch, "
                    "coordinates)",
                    (int)x, ndim);
        return SCIML_NO_NODE;
    }
    int64_t total;
    if (feature_count < 1 || feature_count > SCIML_MAX_LAYER_WIDTH ||
        sciml_mul_i64(shape[1], feature_count, &total)) {
        sciml_error(ctx, SCIML_ERR_RANGE, "fourier features: %lld features, expected 1..%d",
                    (long long)feature_count, SCIML_MAX_LAYER_WIDTH);
        return SCIML_NO_NODE;
    }
    fourier_state *state = calloc(1, sizeof(*state));
    if (state)
        state->frequencies = sciml_alloc_array((size_t)total, sizeof(double));
    if (!state || !state->frequencies) {
        fourier_destroy(state);
        sciml_error(ctx, SCIML_ERR_NOMEM, "fourier features: out of memory");
        return SCIML_NO_NODE;
    }
    state->input_size = shape[1];
    state->feature_count = feature_count;
    memcpy(state->frequencies, frequencies, (size_t)total * sizeof(double));
    const int64_t out_shape[2] = {shape[0], 2 * feature_count};
    /* The graph owns state from here on, also when the call fails. */
    return sciml_custom(g, &fourier_op, state, 1, &x, 2, out_shape,
                        (size_t)feature_count * sizeof(double));
}
