/* Forward (Taylor-mode) input derivatives through an MLP; the maths is in sciml/taylor.h.
 *
 * Activation derivatives used by the taylor-activation node, with t = s(z):
 *   tanh:      s' = 1 - t^2,  s'' = -2 t s',  s''' = -2 s'^2 + 4 t^2 s'
 *   sin:       s' = cos z,    s'' = -sin z,   s''' = -cos z
 *   identity:  s' = 1,        s'' = s''' = 0
 * Values are computed row by row (one sample's n units of a stream are contiguous), with the
 * backend's vectorised tanh on stream 0.
 */
#include "sciml/taylor.h"

#include "backend/cpu.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void sciml_taylor_spec_init(sciml_taylor_spec *spec, int input_count) {
    memset(spec, 0, sizeof *spec);
    spec->input_count = input_count;
    spec->first_order = 1;
}

void sciml_taylor_spec_value(sciml_taylor_spec *spec, int input_count) {
    memset(spec, 0, sizeof *spec);
    spec->input_count = input_count;
    spec->first_order = 0;
}

int sciml_taylor_stream_count(const sciml_taylor_spec *spec) {
    return 1 + (spec->first_order ? spec->input_count + spec->second_count : 0);
}

int sciml_taylor_first_stream(const sciml_taylor_spec *spec, int i) {
    if (!spec->first_order || i < 0 || i >= spec->input_count)
        return -1;
    return 1 + i;
}

int sciml_taylor_second_stream(const sciml_taylor_spec *spec, int p, int q) {
    if (p > q) {
        int swap = p;
        p = q;
        q = swap;
    }
    for (int k = 0; k < spec->second_count && spec->first_order; k++)
        if (spec->second[k][0] == p && spec->second[k][1] == q)
            return 1 + spec->input_count + k;
    return -1;
}

int sciml_taylor_spec_add_second(sciml_taylor_spec *spec, int p, int q) {
    if (p > q) {
        int swap = p;
        p = q;
        q = swap;
    }
    if (!spec->first_order || p < 0 || q >= spec->input_count)
        return -1;
    int existing = sciml_taylor_second_stream(spec, p, q);
    if (existing >= 0)
        return existing;
    if (spec->second_count >= SCIML_TAYLOR_MAX_SECOND)
        return -1;
    spec->second[spec->second_count][0] = p;
    spec->second[spec->second_count][1] = q;
    spec->second_count++;
    return 1 + spec->input_count + spec->second_count - 1;
}

sciml_status sciml_taylor_spec_check(sciml_ctx *ctx, const sciml_taylor_spec *spec) {
    if (!spec || spec->input_count < 1 || spec->input_count > SCIML_TAYLOR_MAX_INPUTS)
        return sciml_error(ctx, SCIML_ERR_ARG, "taylor: %d inputs, expected 1..%d",
                           spec ? spec->input_count : 0, SCIML_TAYLOR_MAX_INPUTS);
    if (spec->second_count < 0 || spec->second_count > SCIML_TAYLOR_MAX_SECOND ||
        (spec->second_count > 0 && !spec->first_order))
        return sciml_error(ctx, SCIML_ERR_ARG,
                           "taylor: %d second-order streams, expected 0..%d (and first order on)",
                           spec->second_count, SCIML_TAYLOR_MAX_SECOND);
    for (int k = 0; k < spec->second_count; k++) {
        int p = spec->second[k][0], q = spec->second[k][1];
        if (p < 0 || p > q || q >= spec->input_count)
            return sciml_error(
                ctx, SCIML_ERR_ARG,
                "taylor: second-order pair %d is (%d, %d), expected 0 <= p <= q < %d", k, p, q,
                spec->input_count);
        for (int m = 0; m < k; m++)
            if (spec->second[m][0] == p && spec->second[m][1] == q)
                return sciml_error(ctx, SCIML_ERR_ARG, "taylor: pair (%d, %d) requested twice", p,
                                   q);
    }
    return SCIML_OK;
}

void sciml_taylor_seed(const sciml_taylor_spec *spec, int64_t count, const double *points,
                       double *stacked) {
    int d = spec->input_count;
    int streams = sciml_taylor_stream_count(spec);
    memset(stacked, 0, (size_t)count * (size_t)streams * (size_t)d * sizeof *stacked);
    for (int64_t r = 0; r < count; r++) {
        double *row = stacked + r * streams * d; /* (S, d) */
        memcpy(row, points + r * d, (size_t)d * sizeof *row);
        if (spec->first_order)
            for (int i = 0; i < d; i++)
                row[(1 + i) * d + i] = 1.0;
    }
}

/* ---- the taylor-activation node ---------------------------------------------------------- */

typedef struct taylor_state {
    sciml_taylor_spec spec;
    sciml_activation activation;
    int64_t width; /* n */
} taylor_state;

/* t = s(zb) into t; s1, s2 (and s3 when wanted) from zb and t, n entries each. */
static void activation_terms(sciml_activation activation, int64_t n, const double *zb, double *t,
                             double *s1, double *s2, double *s3) {
    switch (activation) {
    case SCIML_ACT_TANH:
        if (zb)
            sciml_cpu_tanh(n, zb, t);
        for (int64_t j = 0; j < n; j++) {
            double d1 = 1.0 - t[j] * t[j];
            s1[j] = d1;
            s2[j] = -2.0 * t[j] * d1;
            if (s3)
                s3[j] = -2.0 * d1 * d1 + 4.0 * t[j] * t[j] * d1;
        }
        break;
    case SCIML_ACT_SIN:
        for (int64_t j = 0; j < n; j++) {
            double c = cos(zb[j]), s = sin(zb[j]);
            t[j] = s;
            s1[j] = c;
            s2[j] = -s;
            if (s3)
                s3[j] = -c;
        }
        break;
    default: /* identity */
        for (int64_t j = 0; j < n; j++) {
            if (zb)
                t[j] = zb[j];
            s1[j] = 1.0;
            s2[j] = 0.0;
            if (s3)
                s3[j] = 0.0;
        }
        break;
    }
}

static sciml_status taylor_forward(void *state_pointer, int input_count,
                                   const sciml_tensor_view *inputs, sciml_tensor_view *out,
                                   void *scratch) {
    const taylor_state *state = state_pointer;
    const sciml_taylor_spec *spec = &state->spec;
    int64_t n = state->width;
    int streams = sciml_taylor_stream_count(spec);
    int d = spec->first_order ? spec->input_count : 0;
    const double *z = inputs[0].value;
    const double *bias = input_count > 1 ? inputs[1].value : NULL;
    double *a = out->value;
    double *zb = scratch, *s1 = zb + n, *s2 = s1 + n;
    int64_t rows = out->count / (streams * n);
    for (int64_t r = 0; r < rows; r++) {
        const double *zr = z + r * streams * n; /* (S, n) */
        double *ar = a + r * streams * n;
        for (int64_t j = 0; j < n; j++)
            zb[j] = zr[j] + (bias ? bias[j] : 0.0);
        activation_terms(state->activation, n, zb, ar, s1, s2, NULL);
        for (int i = 0; i < d; i++)
            for (int64_t j = 0; j < n; j++)
                ar[(1 + i) * n + j] = s1[j] * zr[(1 + i) * n + j];
        for (int k = 0; k < spec->second_count; k++) {
            const double *zp = zr + (1 + spec->second[k][0]) * n;
            const double *zq = zr + (1 + spec->second[k][1]) * n;
            const double *zk = zr + (1 + d + k) * n;
            double *ak = ar + (1 + d + k) * n;
            for (int64_t j = 0; j < n; j++)
                ak[j] = s1[j] * zk[j] + s2[j] * zp[j] * zq[j];
        }
    }
    return SCIML_OK;
}

static sciml_status taylor_backward(void *state_pointer, int input_count,
                                    const sciml_tensor_view *inputs, const sciml_tensor_view *out,
                                    void *scratch) {
    const taylor_state *state = state_pointer;
    const sciml_taylor_spec *spec = &state->spec;
    int64_t n = state->width;
    int streams = sciml_taylor_stream_count(spec);
    int d = spec->first_order ? spec->input_count : 0;
    const double *z = inputs[0].value;
    double *gz = inputs[0].grad;
    const double *bias = input_count > 1 ? inputs[1].value : NULL;
    double *gbias = input_count > 1 ? inputs[1].grad : NULL;
    const double *a = out->value, *ga = out->grad;
    double *zb = scratch, *t = zb + n, *s1 = t + n, *s2 = s1 + n, *s3 = s2 + n, *g0 = s3 + n;
    int64_t rows = out->count / (streams * n);
    if (!gz && !gbias)
        return SCIML_OK;
    for (int64_t r = 0; r < rows; r++) {
        const double *zr = z + r * streams * n, *ar = a + r * streams * n;
        const double *gar = ga + r * streams * n;
        if (state->activation == SCIML_ACT_SIN)
            for (int64_t j = 0; j < n; j++)
                zb[j] = zr[j] + (bias ? bias[j] : 0.0);
        memcpy(t, ar, (size_t)n * sizeof *t);
        activation_terms(state->activation, n, state->activation == SCIML_ACT_SIN ? zb : NULL, t,
                         s1, s2, s3);
        /* stream 0 */
        for (int64_t j = 0; j < n; j++)
            g0[j] = s1[j] * gar[j];
        for (int i = 0; i < d; i++)
            for (int64_t j = 0; j < n; j++)
                g0[j] += s2[j] * zr[(1 + i) * n + j] * gar[(1 + i) * n + j];
        for (int k = 0; k < spec->second_count; k++) {
            const double *zp = zr + (1 + spec->second[k][0]) * n;
            const double *zq = zr + (1 + spec->second[k][1]) * n;
            const double *zk = zr + (1 + d + k) * n, *gk = gar + (1 + d + k) * n;
            for (int64_t j = 0; j < n; j++)
                g0[j] += gk[j] * (s2[j] * zk[j] + s3[j] * zp[j] * zq[j]);
        }
        if (gbias)
            for (int64_t j = 0; j < n; j++)
                gbias[j] += g0[j];
        if (!gz)
            continue;
        double *gzr = gz + r * streams * n;
        for (int64_t j = 0; j < n; j++)
            gzr[j] += g0[j];
        /* first-order streams */
        for (int i = 0; i < d; i++)
            for (int64_t j = 0; j < n; j++)
                gzr[(1 + i) * n + j] += s1[j] * gar[(1 + i) * n + j];
        /* second-order streams and their pull on the first-order ones */
        for (int k = 0; k < spec->second_count; k++) {
            int p = spec->second[k][0], q = spec->second[k][1];
            const double *zp = zr + (1 + p) * n, *zq = zr + (1 + q) * n;
            const double *gk = gar + (1 + d + k) * n;
            double *gzk = gzr + (1 + d + k) * n;
            double *gzp = gzr + (1 + p) * n, *gzq = gzr + (1 + q) * n;
            for (int64_t j = 0; j < n; j++) {
                double w = s2[j] * gk[j];
                gzk[j] += s1[j] * gk[j];
                gzp[j] += w * zq[j];
                gzq[j] += w * zp[j];
            }
        }
    }
    return SCIML_OK;
}

static void taylor_destroy(void *state) {
    free(state);
}

static const sciml_op_def taylor_op = {"taylor_activate", taylor_forward, taylor_backward,
                                       taylor_destroy};

sciml_node sciml_taylor_activate(sciml_ctx *ctx, sciml_graph *g, const sciml_taylor_spec *spec,
                                 sciml_node z, sciml_node bias, sciml_activation activation) {
    if (sciml_taylor_spec_check(ctx, spec))
        return SCIML_NO_NODE;
    if (activation != SCIML_ACT_TANH && activation != SCIML_ACT_SIN &&
        activation != SCIML_ACT_IDENTITY) {
        sciml_error(ctx, SCIML_ERR_ARG,
                    "taylor: activation '%s' has no Taylor propagation, expected tanh, sin or "
                    "identity",
                    sciml_activation_name(activation));
        return SCIML_NO_NODE;
    }
    int64_t shape[SCIML_MAX_DIMS];
    int ndim = sciml_graph_shape(g, z, shape);
    int streams = sciml_taylor_stream_count(spec);
    if (ndim < 2 || shape[ndim - 2] != streams) {
        sciml_error(ctx, SCIML_ERR_SHAPE,
                    "taylor: input has %d dimensions, expected (..., %d streams, width)", ndim,
                    streams);
        return SCIML_NO_NODE;
    }
    int64_t width = shape[ndim - 1];
    if (bias != SCIML_NO_NODE) {
        int64_t bias_shape[SCIML_MAX_DIMS];
        if (sciml_graph_shape(g, bias, bias_shape) != 1 || bias_shape[0] != width) {
            sciml_error(ctx, SCIML_ERR_SHAPE, "taylor: bias must have shape (%lld)",
                        (long long)width);
            return SCIML_NO_NODE;
        }
    }
    taylor_state *state = calloc(1, sizeof *state);
    if (!state) {
        sciml_error(ctx, SCIML_ERR_NOMEM, "taylor: out of memory");
        return SCIML_NO_NODE;
    }
    state->spec = *spec;
    state->activation = activation;
    state->width = width;
    sciml_node inputs[2] = {z, bias};
    int count = bias == SCIML_NO_NODE ? 1 : 2;
    return sciml_custom(g, &taylor_op, state, count, inputs, ndim, shape,
                        6 * (size_t)width * sizeof(double));
}

sciml_node sciml_taylor_mlp_apply(sciml_ctx *ctx, sciml_graph *g, const sciml_mlp *mlp,
                                  const sciml_taylor_spec *spec, sciml_node x) {
    sciml_node h = x;
    for (int l = 0; l < mlp->layer_count && h != SCIML_NO_NODE; l++) {
        const sciml_dense *layer = &mlp->layers[l];
        sciml_node z = sciml_linear(g, h, layer->weight, SCIML_NO_NODE);
        if (z == SCIML_NO_NODE)
            return SCIML_NO_NODE;
        sciml_activation activation =
            l + 1 < mlp->layer_count ? mlp->hidden_activation : SCIML_ACT_IDENTITY;
        h = sciml_taylor_activate(ctx, g, spec, z, layer->bias, activation);
    }
    return h;
}

sciml_node sciml_taylor_stream(sciml_graph *g, sciml_node y, int stream) {
    int64_t shape[SCIML_MAX_DIMS];
    int ndim = sciml_graph_shape(g, y, shape);
    if (ndim != 3)
        return sciml_reshape(g, y, -1, shape); /* fails with the graph's shape message */
    sciml_node column = sciml_slice(g, y, 1, stream, stream + 1);
    int64_t flat[2] = {shape[0], shape[2]};
    return sciml_reshape(g, column, 2, flat);
}
