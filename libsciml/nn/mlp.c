/* Dense layers and multilayer perceptrons on the graph.
 *
 *   dense:  y = act(x W + b),  x (batch, in), W (in, out), b (out), y (batch, out)
 *   MLP:    h_0 = x,  h_k = act(h_{k-1} W_k + b_k) for hidden layers,  y = h_H W_out + b_out
 *
 * Initialisation keeps the activation variance roughly constant through the layers:
 *   Glorot and Bengio (AISTATS 2010): Var(W) = 2 / (fan_in + fan_out), for tanh/sigmoid;
 *   He et al. (ICCV 2015):            Var(W) = 2 / fan_in, for relu (and gelu);
 * uniform variants draw from U(-a, a) with a = sqrt(3 Var). Biases start at zero.
 */
#include "sciml/nn.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const init_names[] = {"auto", "glorot_uniform", "glorot_normal", "he_uniform",
                                         "he_normal"};

const char *sciml_init_name(sciml_init init) {
    if ((int)init < 0 || (size_t)init >= sizeof(init_names) / sizeof(init_names[0]))
        return "unknown";
    return init_names[init];
}

sciml_status sciml_init_parse(sciml_ctx *ctx, const char *name, sciml_init *out) {
    if (!name || !out)
        return sciml_error(ctx, SCIML_ERR_ARG, "init: NULL argument");
    for (size_t i = 0; i < sizeof(init_names) / sizeof(init_names[0]); i++)
        if (strcmp(name, init_names[i]) == 0) {
            *out = (sciml_init)i;
            return SCIML_OK;
        }
    return sciml_error(ctx, SCIML_ERR_NOT_FOUND,
                       "unknown initialisation '%s', expected auto, glorot_uniform, "
                       "glorot_normal, he_uniform or he_normal",
                       name);
}

static sciml_init resolve_init(sciml_init init, sciml_activation activation) {
    if (init != SCIML_INIT_AUTO)
        return init;
    if (activation == SCIML_ACT_RELU || activation == SCIML_ACT_GELU)
        return SCIML_INIT_HE_NORMAL;
    return SCIML_INIT_GLOROT_UNIFORM;
}

/* ---- dense ------------------------------------------------------------------------------- */

sciml_status sciml_dense_create(sciml_ctx *ctx, sciml_graph *g, const char *name,
                                int64_t input_size, int64_t output_size,
                                sciml_activation activation, sciml_dense *out) {
    if (!g || !name || !out)
        return sciml_error(ctx, SCIML_ERR_ARG, "dense: NULL argument");
    if (input_size < 1 || input_size > SCIML_MAX_LAYER_WIDTH || output_size < 1 ||
        output_size > SCIML_MAX_LAYER_WIDTH)
        return sciml_error(ctx, SCIML_ERR_RANGE, "dense '%s': sizes (%lld, %lld), expected 1..%d",
                           name, (long long)input_size, (long long)output_size,
                           SCIML_MAX_LAYER_WIDTH);
    char weight_name[SCIML_MAX_NAME + 16], bias_name[SCIML_MAX_NAME + 16];
    if (strlen(name) >= SCIML_MAX_NAME)
        return sciml_error(ctx, SCIML_ERR_ARG, "dense '%s': name longer than %d bytes", name,
                           SCIML_MAX_NAME - 1);
    snprintf(weight_name, sizeof(weight_name), "%s.weight", name);
    snprintf(bias_name, sizeof(bias_name), "%s.bias", name);
    const int64_t weight_shape[2] = {input_size, output_size};
    sciml_dense layer = {input_size, output_size, activation, SCIML_NO_NODE, SCIML_NO_NODE};
    layer.weight = sciml_graph_param(g, weight_name, 2, weight_shape);
    if (layer.weight != SCIML_NO_NODE)
        layer.bias = sciml_graph_param(g, bias_name, 1, &output_size);
    if (layer.bias == SCIML_NO_NODE) {
        sciml_status status = sciml_ctx_status(ctx);
        return status != SCIML_OK ? status : SCIML_ERR_INTERNAL;
    }
    *out = layer;
    return SCIML_OK;
}

sciml_node sciml_dense_apply(sciml_graph *g, const sciml_dense *layer, sciml_node x) {
    if (!layer)
        return SCIML_NO_NODE;
    sciml_node y = sciml_linear(g, x, layer->weight, layer->bias);
    if (y == SCIML_NO_NODE || layer->activation == SCIML_ACT_IDENTITY)
        return y;
    return sciml_activate(g, y, layer->activation);
}

/* Fills count values with the chosen distribution of the given variance. */
static void fill_random(sciml_rng *rng, sciml_init init, double variance, double *values,
                        int64_t count) {
    if (init == SCIML_INIT_GLOROT_UNIFORM || init == SCIML_INIT_HE_UNIFORM) {
        const double half_width = sqrt(3.0 * variance);
        for (int64_t i = 0; i < count; i++)
            values[i] = half_width * (2.0 * sciml_rng_uniform(rng) - 1.0);
    } else {
        const double deviation = sqrt(variance);
        for (int64_t i = 0; i < count; i++)
            values[i] = deviation * sciml_rng_normal(rng);
    }
}

sciml_status sciml_dense_init(sciml_ctx *ctx, sciml_graph *g, const sciml_dense *layer,
                              sciml_init init, sciml_rng *rng) {
    if (!g || !layer || !rng)
        return sciml_error(ctx, SCIML_ERR_ARG, "dense init: NULL argument");
    if ((int)init < 0 || init > SCIML_INIT_HE_NORMAL)
        return sciml_error(ctx, SCIML_ERR_ARG, "dense init: unknown initialisation %d", (int)init);
    double *params = sciml_graph_params(g);
    int64_t weight_offset = sciml_graph_param_offset(g, layer->weight);
    int64_t bias_offset = sciml_graph_param_offset(g, layer->bias);
    if (!params || weight_offset < 0 || bias_offset < 0)
        return sciml_error(ctx, SCIML_ERR_STATE,
                           "dense init: the graph must be built and own the layer's parameters");
    const sciml_init kind = resolve_init(init, layer->activation);
    const double fan_in = (double)layer->input_size, fan_out = (double)layer->output_size;
    const double variance = (kind == SCIML_INIT_HE_UNIFORM || kind == SCIML_INIT_HE_NORMAL)
                                ? 2.0 / fan_in
                                : 2.0 / (fan_in + fan_out);
    fill_random(rng, kind, variance, params + weight_offset,
                layer->input_size * layer->output_size);
    memset(params + bias_offset, 0, (size_t)layer->output_size * sizeof(double));
    return SCIML_OK;
}

/* ---- MLP --------------------------------------------------------------------------------- */

sciml_status sciml_mlp_create(sciml_ctx *ctx, sciml_graph *g, const char *prefix,
                              int64_t input_size, int hidden_count, const int64_t *hidden_sizes,
                              int64_t output_size, sciml_activation hidden_activation,
                              sciml_mlp *out) {
    if (!g || !prefix || !out || (hidden_count > 0 && !hidden_sizes))
        return sciml_error(ctx, SCIML_ERR_ARG, "mlp: NULL argument");
    if (!*prefix || strlen(prefix) + 8 >= SCIML_MAX_NAME)
        return sciml_error(ctx, SCIML_ERR_ARG, "mlp: prefix '%s' must have 1 to %d bytes", prefix,
                           SCIML_MAX_NAME - 9);
    if (hidden_count < 0 || hidden_count > SCIML_MAX_HIDDEN_LAYERS)
        return sciml_error(ctx, SCIML_ERR_RANGE, "mlp '%s': %d hidden layers, expected 0..%d",
                           prefix, hidden_count, SCIML_MAX_HIDDEN_LAYERS);
    sciml_mlp mlp;
    memset(&mlp, 0, sizeof(mlp));
    snprintf(mlp.prefix, sizeof(mlp.prefix), "%s", prefix);
    mlp.layer_count = hidden_count + 1;
    mlp.hidden_activation = hidden_activation;
    mlp.sizes[0] = input_size;
    for (int k = 0; k < hidden_count; k++)
        mlp.sizes[k + 1] = hidden_sizes[k];
    mlp.sizes[hidden_count + 1] = output_size;
    for (int k = 0; k <= mlp.layer_count; k++)
        if (mlp.sizes[k] < 1 || mlp.sizes[k] > SCIML_MAX_LAYER_WIDTH)
            return sciml_error(ctx, SCIML_ERR_RANGE,
                               "mlp '%s': layer width %lld at position %d, expected 1..%d", prefix,
                               (long long)mlp.sizes[k], k, SCIML_MAX_LAYER_WIDTH);
    for (int k = 0; k < mlp.layer_count; k++) {
        char name[SCIML_MAX_NAME];
        snprintf(name, sizeof(name), "%s.%d", prefix, k);
        sciml_activation activation =
            k + 1 < mlp.layer_count ? hidden_activation : SCIML_ACT_IDENTITY;
        sciml_status status = sciml_dense_create(ctx, g, name, mlp.sizes[k], mlp.sizes[k + 1],
                                                 activation, &mlp.layers[k]);
        if (status != SCIML_OK)
            return status;
    }
    *out = mlp;
    return SCIML_OK;
}

sciml_node sciml_mlp_apply(sciml_graph *g, const sciml_mlp *mlp, sciml_node x) {
    if (!mlp)
        return SCIML_NO_NODE;
    sciml_node h = x;
    for (int k = 0; k < mlp->layer_count && h != SCIML_NO_NODE; k++)
        h = sciml_dense_apply(g, &mlp->layers[k], h);
    return h;
}

sciml_status sciml_mlp_init(sciml_ctx *ctx, sciml_graph *g, const sciml_mlp *mlp, sciml_init init,
                            sciml_rng *rng) {
    if (!mlp)
        return sciml_error(ctx, SCIML_ERR_ARG, "mlp init: NULL network");
    /* AUTO follows the hidden activation for every layer, the linear output layer included. */
    const sciml_init kind = resolve_init(init, mlp->hidden_activation);
    for (int k = 0; k < mlp->layer_count; k++) {
        sciml_status status = sciml_dense_init(ctx, g, &mlp->layers[k], kind, rng);
        if (status != SCIML_OK)
            return status;
    }
    return SCIML_OK;
}

int64_t sciml_mlp_param_count(const sciml_mlp *mlp) {
    int64_t count = 0;
    for (int k = 0; k < mlp->layer_count; k++)
        count += mlp->sizes[k] * mlp->sizes[k + 1] + mlp->sizes[k + 1];
    return count;
}
