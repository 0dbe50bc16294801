/* The deep operator network, aligned layout (see sciml/deeponet_model.h).
 *
 *   loss(theta) = 1/(B P K) sum_{f in batch} sum_{j < P} sum_k (G(v_f)(y_j)_k - N(u_f(y_j))_k)^2
 *
 * in standardised units. One graph per query-point count: the branch and trunk MLPs and the
 * output bias are created in the same order in every graph (branch.*, trunk.*, bias), so the
 * flat parameter vector moves between the training and prediction graphs by copying. The
 * query points are a fixed (P, d) input set once per graph; the sensor values and targets are
 * the per-function tables the shared trainer gathers batch by batch.
 */
#include "backend/cpu.h"
#include "models/deeponet_model_internal.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { EVALUATE_CHUNK = 256 };

void sciml_deeponet_config_default(sciml_deeponet_config *config) {
    memset(config, 0, sizeof(*config));
    config->sensors = 100;
    config->coordinates = 1;
    config->outputs = 1;
    config->branch_count = 2;
    config->branch[0] = config->branch[1] = 40;
    config->trunk_count = 2;
    config->trunk[0] = config->trunk[1] = 40;
    config->activation = SCIML_ACT_RELU;
}

int64_t sciml_deeponet_features(const sciml_deeponet_config *config) {
    return config->branch[config->branch_count - 1];
}

sciml_status sciml_deeponet_check_config(sciml_ctx *ctx, const sciml_deeponet_config *c) {
    if (c->sensors < 1 || c->sensors > (INT64_C(1) << 24))
        return sciml_error(ctx, SCIML_ERR_ARG, "deeponet: %lld sensors: expected 1 to 2^24",
                           (long long)c->sensors);
    if (c->coordinates < 1 || c->coordinates > SCIML_DEEPONET_MAX_COORDINATES)
        return sciml_error(ctx, SCIML_ERR_ARG, "deeponet: %lld query coordinates: expected 1 to %d",
                           (long long)c->coordinates, SCIML_DEEPONET_MAX_COORDINATES);
    if (c->outputs < 1 || c->outputs > SCIML_DEEPONET_MAX_OUTPUTS)
        return sciml_error(ctx, SCIML_ERR_ARG, "deeponet: %lld outputs: expected 1 to %d",
                           (long long)c->outputs, SCIML_DEEPONET_MAX_OUTPUTS);
    if (c->branch_count < 1 || c->branch_count > SCIML_DEEPONET_MAX_LAYERS || c->trunk_count < 1 ||
        c->trunk_count > SCIML_DEEPONET_MAX_LAYERS)
        return sciml_error(ctx, SCIML_ERR_ARG,
                           "deeponet: branch and trunk lists of %d and %d widths: expected 1 to "
                           "%d each",
                           c->branch_count, c->trunk_count, SCIML_DEEPONET_MAX_LAYERS);
    for (int l = 0; l < c->branch_count + c->trunk_count; l++) {
        int64_t width = l < c->branch_count ? c->branch[l] : c->trunk[l - c->branch_count];
        if (width < 1 || width > (INT64_C(1) << 20))
            return sciml_error(ctx, SCIML_ERR_ARG,
                               "deeponet: layer width %lld: expected 1 to 1048576",
                               (long long)width);
    }
    const int64_t p = c->branch[c->branch_count - 1];
    if (c->pod && (c->trunk_count != 1 || c->trunk[0] != p))
        return sciml_error(ctx, SCIML_ERR_ARG,
                           "deeponet: a POD trunk has %d widths ending in %lld: expected the "
                           "single width p = %lld",
                           c->trunk_count, (long long)c->trunk[c->trunk_count - 1], (long long)p);
    if (c->trunk[c->trunk_count - 1] != p)
        return sciml_error(ctx, SCIML_ERR_ARG,
                           "deeponet: the branch ends in %lld features and the trunk in %lld: "
                           "expected the same p",
                           (long long)p, (long long)c->trunk[c->trunk_count - 1]);
    if (p % c->outputs)
        return sciml_error(ctx, SCIML_ERR_ARG,
                           "deeponet: %lld features do not split into %lld outputs: expected p "
                           "to be a multiple of the output count",
                           (long long)p, (long long)c->outputs);
    return SCIML_OK;
}

void sciml_deeponet_graph_free(deeponet_graph *dg) {
    sciml_graph_destroy(&dg->graph);
    free(dg->scratch);
    memset(dg, 0, sizeof(*dg));
}

/* ---- the product op ----------------------------------------------------------------------
 * out (batch, P K) from the branch features B (batch, p), the trunk features T (P, p) and the
 * output biases c (K): out[f, j K + k] = B[f, g_k] . T[j, g_k] + c_k. One op instead of a
 * matmul, a bias add with broadcasting and (for K > 1) K slices and a concat: forward one GEMM
 * per output over the bias pre-broadcast, backward two GEMMs per output and a sum. For K > 1
 * output k's columns are strided by K, so they pass through scratch (batch, P). A fourth
 * input (POD: the mean outputs, (P K), no gradient) is added to every row. */
typedef struct product_state {
    int64_t outputs, points;
    int thin; /* K = 1 and T small: the thin-layer kernel (see product_thin) */
} product_state;

/* The trunk features of one output at most this many doubles (128 KiB, within L2): then the
 * K = 1 product runs as a thin dense layer (sciml_cpu_dense) that reads the tall operands in
 * place, where OpenBLAS packs B (forward) and gY (backward) on every call, a third of a
 * 10000-function step. Larger grids stay on OpenBLAS, whose blocking suits them. */
enum { THIN_TRUNK_LIMIT = 16384 };

static int product_thin(int64_t outputs, int64_t points, int64_t features) {
    return outputs == 1 && points * features <= THIN_TRUNK_LIMIT;
}

/* Scratch of the thin path: T^T (p, P), the bias row (P) and gB (max_batch, p). */
static size_t product_thin_scratch(int64_t points, int64_t features, int64_t max_batch) {
    return (size_t)(features * points + points + max_batch * features) * sizeof(double);
}

static sciml_status product_forward(void *state, int input_count, const sciml_tensor_view *inputs,
                                    sciml_tensor_view *out, void *scratch) {
    const product_state *s = state;
    const int64_t K = s->outputs, P = s->points, n = inputs[0].shape[0], p = inputs[0].shape[1];
    const int64_t group = p / K;
    const double *b = inputs[0].value, *t = inputs[1].value, *c = inputs[2].value;
    const double *offset = input_count > 3 ? inputs[3].value : NULL; /* POD mean (P K) */
    double *y = out->value;
    if (s->thin) { /* y (n, P) = b (n, p) T^T (p, P) + (c + offset) */
        double *transposed = scratch, *row = transposed + p * P;
        for (int64_t j = 0; j < P; j++) {
            for (int64_t i = 0; i < p; i++)
                transposed[i * P + j] = t[j * p + i];
            row[j] = c[0] + (offset ? offset[j] : 0.0);
        }
        sciml_cpu_dense(n, p, P, b, p, transposed, P, row, 0, y, P);
        return SCIML_OK;
    }
    if (K == 1) {
        for (int64_t f = 0; f < n; f++)
            for (int64_t j = 0; j < P; j++)
                y[f * P + j] = c[0] + (offset ? offset[j] : 0.0);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)P, (int)p, 1.0, b, (int)p,
                    t, (int)p, 1.0, y, (int)P);
        return SCIML_OK;
    }
    double *part = scratch; /* (n, P) */
    for (int64_t k = 0; k < K; k++) {
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)P, (int)group, 1.0,
                    b + k * group, (int)p, t + k * group, (int)p, 0.0, part, (int)P);
        for (int64_t i = 0; i < n * P; i++)
            y[i * K + k] = part[i] + c[k] + (offset ? offset[(i % P) * K + k] : 0.0);
    }
    return SCIML_OK;
}

static sciml_status product_backward(void *state, int input_count, const sciml_tensor_view *inputs,
                                     const sciml_tensor_view *out, void *scratch) {
    (void)input_count;
    const product_state *s = state;
    const int64_t K = s->outputs, P = s->points, n = inputs[0].shape[0], p = inputs[0].shape[1];
    const int64_t group = p / K;
    const double *b = inputs[0].value, *t = inputs[1].value;
    double *gb = inputs[0].grad, *gt = inputs[1].grad, *gc = inputs[2].grad;
    if (s->thin && gb) { /* gB (n, p) += gY (n, P) T (P, p), through scratch */
        double *part = (double *)scratch + p * P + P;
        sciml_cpu_dense(n, P, p, out->grad, P, t, p, NULL, 0, part, p);
        for (int64_t i = 0; i < n * p; i++)
            gb[i] += part[i];
        gb = NULL;
    }
    if (s->thin && gt) { /* gT (P, p) += gY^T (P, n) B (n, p) */
        sciml_cpu_dense_reduce(n, P, p, out->grad, P, b, p, gt, p);
        gt = NULL;
    }
    for (int64_t k = 0; k < K; k++) {
        const double *gy = out->grad; /* (n, P) of output k */
        if (K > 1) {
            double *part = scratch;
            for (int64_t i = 0; i < n * P; i++)
                part[i] = out->grad[i * K + k];
            gy = part;
        }
        if (gb) /* gB_k (n, group) += gY_k (n, P) T_k (P, group) */
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)group, (int)P, 1.0,
                        gy, (int)P, t + k * group, (int)p, 1.0, gb + k * group, (int)p);
        if (gt) /* gT_k (P, group) += gY_k^T (P, n) B_k (n, group) */
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)P, (int)group, (int)n, 1.0,
                        gy, (int)P, b + k * group, (int)p, 1.0, gt + k * group, (int)p);
        if (gc) {
            double sum = 0.0;
            for (int64_t i = 0; i < n * P; i++)
                sum += gy[i];
            gc[k] += sum;
        }
    }
    return SCIML_OK;
}

static const sciml_op_def product_op = {"deeponet_product", product_forward, product_backward,
                                        free};

/* ---- the pairs op (unaligned layout) ----------------------------------------------------
 * out (batch, Q K) from the branch features B (batch, p) of `batch` functions and the trunk
 * features T (batch Q, p) of their Q query points each (Q = 1: one triplet per row; Q > 1:
 * the triplets grouped by function, so the branch runs once per function):
 *   out[f, q K + k] = B[f, g_k] . T[f Q + q, g_k] + c_k;
 * backward gB[f] += sum_q gY[f, q] T[f Q + q], gT[f Q + q] += gY[f, q] B[f], gc += sums. */
typedef struct pairs_state {
    int64_t per_function; /* Q */
} pairs_state;

static sciml_status pairs_forward(void *state, int input_count, const sciml_tensor_view *inputs,
                                  sciml_tensor_view *out, void *scratch) {
    (void)input_count, (void)scratch;
    const int64_t Q = ((const pairs_state *)state)->per_function;
    const int64_t n = inputs[0].shape[0], p = inputs[0].shape[1], K = out->shape[1] / Q;
    const int64_t group = p / K;
    const double *b = inputs[0].value, *t = inputs[1].value, *c = inputs[2].value;
    for (int64_t f = 0; f < n; f++)
        for (int64_t q = 0; q < Q; q++) {
            const double *bf = b + f * p, *tr = t + (f * Q + q) * p;
            for (int64_t k = 0; k < K; k++) {
                double sum = c[k];
                for (int64_t i = k * group; i < (k + 1) * group; i++)
                    sum += bf[i] * tr[i];
                out->value[(f * Q + q) * K + k] = sum;
            }
        }
    return SCIML_OK;
}

static sciml_status pairs_backward(void *state, int input_count, const sciml_tensor_view *inputs,
                                   const sciml_tensor_view *out, void *scratch) {
    (void)input_count, (void)scratch;
    const int64_t Q = ((const pairs_state *)state)->per_function;
    const int64_t n = inputs[0].shape[0], p = inputs[0].shape[1], K = out->shape[1] / Q;
    const int64_t group = p / K;
    const double *b = inputs[0].value, *t = inputs[1].value;
    double *gb = inputs[0].grad, *gt = inputs[1].grad, *gc = inputs[2].grad;
    for (int64_t f = 0; f < n; f++)
        for (int64_t q = 0; q < Q; q++) {
            const int64_t row = f * Q + q;
            for (int64_t k = 0; k < K; k++) {
                const double g = out->grad[row * K + k];
                for (int64_t i = k * group; gb && i < (k + 1) * group; i++)
                    gb[f * p + i] += g * t[row * p + i];
                for (int64_t i = k * group; gt && i < (k + 1) * group; i++)
                    gt[row * p + i] += g * b[f * p + i];
                if (gc)
                    gc[k] += g;
            }
        }
    return SCIML_OK;
}

static const sciml_op_def pairs_op = {"deeponet_pairs", pairs_forward, pairs_backward, free};

/* Adds branch, trunk and bias to g; returns the (batch, P K) output node, or (batch, Q K) for
 * the unaligned layout (point_count 0: points (batch, d), one per function, or (batch, Q, d),
 * Q = per_function each). */
static sciml_node build_network(sciml_ctx *ctx, sciml_graph *g, const sciml_deeponet_config *c,
                                int64_t point_count, int64_t per_function, int64_t max_batch,
                                sciml_node functions, sciml_node points, sciml_mlp *branch,
                                sciml_mlp *trunk, sciml_node *modes, sciml_node *offsets) {
    const int64_t p = sciml_deeponet_features(c), K = c->outputs;
    if (c->pod && point_count == 0) {
        sciml_error(ctx, SCIML_ERR_UNSUPPORTED,
                    "deeponet: a POD trunk needs the aligned layout (one grid of points for "
                    "every function), not triplets");
        return SCIML_NO_NODE;
    }
    if (sciml_mlp_create(ctx, g, "branch", c->sensors, c->branch_count - 1, c->branch, p,
                         c->activation, branch) ||
        (!c->pod && sciml_mlp_create(ctx, g, "trunk", c->coordinates, c->trunk_count - 1, c->trunk,
                                     p, c->activation, trunk)))
        return SCIML_NO_NODE;
    int64_t bias_shape[1] = {K};
    sciml_node bias = sciml_graph_param(g, "bias", 1, bias_shape);
    sciml_node b = sciml_mlp_apply(g, branch, functions); /* (batch, p) */
    sciml_node t, offset = SCIML_NO_NODE;
    if (c->pod) { /* fixed features and mean outputs, inputs set from the model */
        const int64_t mode_shape[2] = {point_count, p}, mean_shape[1] = {point_count * K};
        t = *modes = sciml_graph_input(g, "pod_modes", 2, mode_shape);
        offset = *offsets = sciml_graph_input(g, "pod_mean", 1, mean_shape);
    } else {
        t = sciml_activate(g, sciml_mlp_apply(g, trunk, points), c->activation); /* (P, p) */
    }
    if (point_count == 0) {
        pairs_state *pairs = malloc(sizeof(*pairs));
        if (!pairs) {
            sciml_error(ctx, SCIML_ERR_NOMEM, "deeponet: out of memory");
            return SCIML_NO_NODE;
        }
        pairs->per_function = per_function;
        const sciml_node inputs[3] = {b, t, bias};
        const int64_t shape[2] = {SCIML_BATCH, per_function * K};
        return sciml_custom(g, &pairs_op, pairs, 3, inputs, 2, shape, 0);
    }
    product_state *state = malloc(sizeof(*state));
    if (!state) {
        sciml_error(ctx, SCIML_ERR_NOMEM, "deeponet: out of memory");
        return SCIML_NO_NODE;
    }
    state->outputs = K;
    state->points = point_count;
    state->thin = product_thin(K, point_count, p);
    const sciml_node inputs[4] = {b, t, bias, offset};
    const int64_t shape[2] = {SCIML_BATCH, point_count * K};
    const size_t scratch = state->thin ? product_thin_scratch(point_count, p, max_batch)
                           : K > 1     ? (size_t)max_batch * (size_t)point_count * sizeof(double)
                                       : 0;
    return sciml_custom(g, &product_op, state, c->pod ? 4 : 3, inputs, 2, shape, scratch);
}

/* The graph with the network's initialisers (branch and trunk returned when not NULL). */
static sciml_status build(sciml_deeponet_model *model, int64_t point_count, int64_t per_function,
                          int64_t max_batch, int with_loss, deeponet_graph *dg, sciml_mlp *branch,
                          sciml_mlp *trunk) {
    sciml_ctx *ctx = model->ctx;
    const sciml_deeponet_config *c = &model->config;
    sciml_mlp branch_local, trunk_local;
    memset(dg, 0, sizeof(*dg));
    dg->target = dg->loss = dg->modes = dg->offset = SCIML_NO_NODE;
    const int unaligned = point_count == 0; /* then one point per function, a batch input */
    if (point_count < 0 || max_batch < 1 || per_function < 1 || per_function > (INT64_C(1) << 30))
        return sciml_error(ctx, SCIML_ERR_ARG,
                           "deeponet: %lld query points, %lld per function, batch %lld",
                           (long long)point_count, (long long)per_function, (long long)max_batch);
    sciml_status status = sciml_graph_create(ctx, &dg->graph);
    if (status)
        return status;
    sciml_graph *g = dg->graph;
    int64_t function_shape[2] = {SCIML_BATCH, c->sensors};
    const int grouped = unaligned && per_function > 1; /* points (batch, Q, d) */
    int64_t point_shape[3] = {unaligned ? SCIML_BATCH : point_count,
                              grouped ? per_function : c->coordinates, c->coordinates};
    int64_t target_shape[2] = {SCIML_BATCH, (unaligned ? per_function : point_count) * c->outputs};
    dg->functions = sciml_graph_input(g, "v", 2, function_shape);
    dg->points = sciml_graph_input(g, "y", grouped ? 3 : 2, point_shape);
    dg->output = build_network(ctx, g, c, point_count, per_function, max_batch, dg->functions,
                               dg->points, branch ? branch : &branch_local,
                               trunk ? trunk : &trunk_local, &dg->modes, &dg->offset);
    if (with_loss) {
        dg->target = sciml_graph_input(g, "u", 2, target_shape);
        dg->loss = sciml_mse(g, dg->output, dg->target);
    }
    if ((status = sciml_graph_build(g, max_batch)))
        goto fail;
    if (model->parameter_count && sciml_graph_param_count(g) != model->parameter_count) {
        status = sciml_error(ctx, SCIML_ERR_INTERNAL, "deeponet: parameter layout mismatch");
        goto fail;
    }
    const int64_t point_values = (unaligned ? per_function : point_count) * c->coordinates;
    const int64_t row = c->sensors > point_values ? c->sensors : point_values;
    dg->scratch = sciml_alloc_array((size_t)max_batch * (size_t)row, sizeof(double));
    if (!dg->scratch) {
        status = sciml_error(ctx, SCIML_ERR_NOMEM, "deeponet: out of memory for %lld functions",
                             (long long)max_batch);
        goto fail;
    }
    dg->point_count = point_count;
    dg->per_function = unaligned ? per_function : 0;
    dg->max_batch = max_batch;
    if (model->parameter_count)
        memcpy(sciml_graph_params(g), model->params,
               (size_t)model->parameter_count * sizeof(double));
    if (c->pod && model->pod_modes && point_count == model->pod_point_count &&
        ((status = sciml_graph_set_input(g, dg->modes, model->pod_modes,
                                         point_count * sciml_deeponet_features(c))) ||
         (status =
              sciml_graph_set_input(g, dg->offset, model->pod_mean, point_count * c->outputs))))
        goto fail;
    return SCIML_OK;
fail:
    sciml_deeponet_graph_free(dg);
    return status;
}

sciml_status sciml_deeponet_build_graph(sciml_deeponet_model *model, int64_t point_count,
                                        int64_t max_batch, int with_loss, deeponet_graph *dg) {
    return build(model, point_count, 1, max_batch, with_loss, dg, NULL, NULL);
}

sciml_status sciml_deeponet_build_unaligned_graph(sciml_deeponet_model *model, int64_t per_function,
                                                  int64_t max_batch, int with_loss,
                                                  deeponet_graph *dg) {
    return build(model, 0, per_function, max_batch, with_loss, dg, NULL, NULL);
}

sciml_status sciml_deeponet_model_create(sciml_ctx *ctx, const sciml_deeponet_config *config,
                                         uint64_t seed, sciml_deeponet_model **out) {
    *out = NULL;
    sciml_status status = sciml_deeponet_check_config(ctx, config);
    if (status)
        return status;
    sciml_deeponet_model *model = calloc(1, sizeof(*model));
    if (!model)
        return sciml_error(ctx, SCIML_ERR_NOMEM, "deeponet: out of memory");
    model->ctx = ctx;
    model->config = *config;
    sciml_train_state_init(&model->state, seed);
    deeponet_graph dg;
    sciml_mlp branch, trunk;
    if ((status = build(model, 1, 1, 1, 0, &dg, &branch, &trunk)))
        goto fail;
    model->parameter_count = sciml_graph_param_count(dg.graph);
    model->params = sciml_alloc_array((size_t)model->parameter_count, sizeof(double));
    if (!model->params) {
        status = sciml_error(ctx, SCIML_ERR_NOMEM, "deeponet: out of memory for %lld parameters",
                             (long long)model->parameter_count);
        goto fail;
    }
    sciml_rng init_rng;
    sciml_rng_seed(&init_rng, seed ^ 0xd0e0a7e5eed1a7e1ULL);
    if ((status = sciml_mlp_init(ctx, dg.graph, &branch, SCIML_INIT_GLOROT_NORMAL, &init_rng)) ||
        (!config->pod &&
         (status = sciml_mlp_init(ctx, dg.graph, &trunk, SCIML_INIT_GLOROT_NORMAL, &init_rng))))
        goto fail;
    /* the output bias starts at zero like every other bias (parameters are zero-initialised) */
    memcpy(model->params, sciml_graph_params(dg.graph),
           (size_t)model->parameter_count * sizeof(double));
    sciml_deeponet_graph_free(&dg);
    *out = model;
    return SCIML_OK;
fail:
    sciml_deeponet_graph_free(&dg);
    sciml_deeponet_model_destroy(&model);
    return status;
}

void sciml_deeponet_model_destroy(sciml_deeponet_model **model) {
    if (!model || !*model)
        return;
    sciml_deeponet_model *m = *model;
    free(m->params);
    sciml_train_state_free(&m->state);
    sciml_deeponet_inference_free(&m->inference);
    free(m->pod_points);
    free(m->pod_modes);
    free(m->pod_mean);
    free(m);
    *model = NULL;
}

const sciml_deeponet_config *sciml_deeponet_model_get_config(const sciml_deeponet_model *model) {
    return &model->config;
}
int64_t sciml_deeponet_model_parameter_count(const sciml_deeponet_model *model) {
    return model->parameter_count;
}
int64_t sciml_deeponet_model_epochs_done(const sciml_deeponet_model *model) {
    return model->state.epochs_done;
}
int sciml_deeponet_model_is_checkpoint(const sciml_deeponet_model *model) {
    return model->state.has_position;
}
const double *sciml_deeponet_model_domain_min(const sciml_deeponet_model *model) {
    return model->normalized ? model->domain_min : NULL;
}
const double *sciml_deeponet_model_domain_max(const sciml_deeponet_model *model) {
    return model->normalized ? model->domain_max : NULL;
}
const char *sciml_deeponet_model_coordinate_names(const sciml_deeponet_model *model) {
    return model->coordinate_names[0] ? model->coordinate_names : NULL;
}

sciml_status sciml_deeponet_model_set_coordinate_names(sciml_deeponet_model *model,
                                                       const char *names) {
    if (!names || strlen(names) >= sizeof(model->coordinate_names))
        return sciml_error(model->ctx, SCIML_ERR_ARG,
                           "deeponet: coordinate names missing or longer than %zu bytes",
                           sizeof(model->coordinate_names) - 1);
    snprintf(model->coordinate_names, sizeof(model->coordinate_names), "%s", names);
    return SCIML_OK;
}

/* ---- data checks and normalisation ---------------------------------------------------------- */

static sciml_status check_data(sciml_deeponet_model *model, const sciml_deeponet_data *data,
                               const char *what) {
    if (!data->functions || !data->points || !data->values || data->count < 1 ||
        data->point_count < 1)
        return sciml_error(model->ctx, SCIML_ERR_ARG,
                           "deeponet: the %s set has %lld functions and %lld query points: "
                           "expected at least one of each",
                           what, (long long)data->count, (long long)data->point_count);
    return SCIML_OK;
}

/* Mean and population standard deviation of `count` values spaced `stride` apart (std 1 when
 * the values are constant). */
static void statistics(const double *values, int64_t count, int64_t stride, double *mean,
                       double *std) {
    double sum = 0.0;
    for (int64_t i = 0; i < count; i++)
        sum += values[i * stride];
    const double m = sum / (double)count;
    double squares = 0.0;
    for (int64_t i = 0; i < count; i++) {
        double d = values[i * stride] - m;
        squares += d * d;
    }
    const double s = sqrt(squares / (double)count);
    *mean = m;
    *std = s > 1e-12 ? s : 1.0;
}

void sciml_deeponet_fit_normalisation(sciml_deeponet_model *model, const double *functions,
                                      int64_t function_count, const double *points,
                                      int64_t point_count, const double *values,
                                      int64_t value_rows) {
    const sciml_deeponet_config *c = &model->config;
    statistics(functions, function_count * c->sensors, 1, &model->sensor_mean, &model->sensor_std);
    for (int64_t k = 0; k < c->coordinates; k++) {
        statistics(points + k, point_count, c->coordinates, &model->coordinate_mean[k],
                   &model->coordinate_std[k]);
        double lo = points[k], hi = points[k];
        for (int64_t j = 0; j < point_count; j++) {
            double y = points[j * c->coordinates + k];
            lo = y < lo ? y : lo;
            hi = y > hi ? y : hi;
        }
        model->domain_min[k] = lo;
        model->domain_max[k] = hi;
    }
    for (int64_t k = 0; k < c->outputs; k++)
        statistics(values + k, value_rows, c->outputs, &model->output_mean[k],
                   &model->output_std[k]);
    model->normalized = 1;
}

static void fit_normalisation(sciml_deeponet_model *model, const sciml_deeponet_data *data) {
    sciml_deeponet_fit_normalisation(model, data->functions, data->count, data->points,
                                     data->point_count, data->values,
                                     data->count * data->point_count);
}

/* Standardised copies of the sensor values (count, m) and the points (P, d) into dst. */
void sciml_deeponet_standardise_functions(const sciml_deeponet_model *model,
                                          const double *functions, int64_t count, double *dst) {
    const int64_t n = count * model->config.sensors;
    const double mean = model->sensor_mean, inverse = 1.0 / model->sensor_std;
    for (int64_t i = 0; i < n; i++)
        dst[i] = (functions[i] - mean) * inverse;
}

void sciml_deeponet_standardise_points(const sciml_deeponet_model *model, const double *points,
                                       int64_t point_count, double *dst) {
    const int64_t d = model->config.coordinates;
    for (int64_t j = 0; j < point_count; j++)
        for (int64_t k = 0; k < d; k++)
            dst[j * d + k] =
                (points[j * d + k] - model->coordinate_mean[k]) / model->coordinate_std[k];
}

void sciml_deeponet_standardise_values(const sciml_deeponet_model *model, const double *values,
                                       int64_t rows, double *dst) {
    const int64_t K = model->config.outputs;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t k = 0; k < K; k++)
            dst[r * K + k] = (values[r * K + k] - model->output_mean[k]) / model->output_std[k];
}

/* ---- POD trunk --------------------------------------------------------------------------------
 */

sciml_status sciml_deeponet_check_pod_points(sciml_deeponet_model *model, const double *points,
                                             int64_t point_count) {
    const int64_t d = model->config.coordinates;
    if (!model->pod_modes)
        return sciml_error(model->ctx, SCIML_ERR_STATE, "deeponet: the POD trunk is not fitted");
    if (point_count != model->pod_point_count ||
        memcmp(points, model->pod_points, (size_t)(point_count * d) * sizeof(double)))
        return sciml_error(model->ctx, SCIML_ERR_ARG,
                           "deeponet: %lld query points given: a POD trunk is known only at its "
                           "%lld training points (expected exactly those)",
                           (long long)point_count, (long long)model->pod_point_count);
    return SCIML_OK;
}

sciml_status sciml_deeponet_fit_pod(sciml_deeponet_model *model, const double *points,
                                    int64_t point_count, const double *values, int64_t count) {
    sciml_ctx *ctx = model->ctx;
    const sciml_deeponet_config *c = &model->config;
    const int64_t P = point_count, K = c->outputs, d = c->coordinates;
    const int64_t p = sciml_deeponet_features(c), group = p / K;
    const int64_t rank = count < P ? count : P;
    if (group > rank)
        return sciml_error(ctx, SCIML_ERR_ARG,
                           "deeponet: %lld POD modes per output from %lld functions at %lld "
                           "points: expected at most min(functions, points) = %lld (a smaller "
                           "last branch width)",
                           (long long)group, (long long)count, (long long)P, (long long)rank);
    double *x = sciml_alloc_array((size_t)count * (size_t)P, sizeof(double));
    double *singular = sciml_alloc_array((size_t)rank, sizeof(double));
    double *right = sciml_alloc_array((size_t)rank * (size_t)P, sizeof(double));
    double *superb = sciml_alloc_array((size_t)rank, sizeof(double));
    double *modes = sciml_alloc_array((size_t)P * (size_t)p, sizeof(double));
    double *mean = sciml_alloc_array((size_t)P * (size_t)K, sizeof(double));
    double *copy = sciml_alloc_array((size_t)P * (size_t)d, sizeof(double));
    sciml_status status = SCIML_OK;
    if (!x || !singular || !right || !superb || !modes || !mean || !copy) {
        status = sciml_error(ctx, SCIML_ERR_NOMEM,
                             "deeponet: out of memory for the POD of %lld x %lld values",
                             (long long)count, (long long)P);
        goto done;
    }
    for (int64_t k = 0; k < K; k++) {
        /* X (count, P): output k centred over the functions */
        for (int64_t j = 0; j < P; j++) {
            double sum = 0.0;
            for (int64_t f = 0; f < count; f++)
                sum += values[(f * P + j) * K + k];
            mean[j * K + k] = sum / (double)count;
        }
        for (int64_t f = 0; f < count; f++)
            for (int64_t j = 0; j < P; j++)
                x[f * P + j] = values[(f * P + j) * K + k] - mean[j * K + k];
        lapack_int info =
            LAPACKE_dgesvd(LAPACK_ROW_MAJOR, 'N', 'S', (lapack_int)count, (lapack_int)P, x,
                           (lapack_int)P, singular, NULL, 1, right, (lapack_int)P, superb);
        if (info != 0) {
            status = sciml_error(ctx, SCIML_ERR_SOLVER,
                                 "deeponet: the SVD of the training outputs failed "
                                 "(LAPACKE_dgesvd info = %d): expected finite values",
                                 (int)info);
            goto done;
        }
        const double scale = 1.0 / sqrt((double)count);
        for (int64_t j = 0; j < P; j++)
            for (int64_t i = 0; i < group; i++)
                modes[j * p + k * group + i] = right[i * P + j] * singular[i] * scale;
    }
    memcpy(copy, points, (size_t)(P * d) * sizeof(double));
    free(model->pod_points);
    free(model->pod_modes);
    free(model->pod_mean);
    model->pod_points = copy;
    model->pod_modes = modes;
    model->pod_mean = mean;
    model->pod_point_count = P;
    copy = modes = mean = NULL;
    sciml_deeponet_inference_free(&model->inference);
done:
    free(x);
    free(singular);
    free(right);
    free(superb);
    free(modes);
    free(mean);
    free(copy);
    return status;
}

/* ---- prediction ------------------------------------------------------------------------------ */

/* The checks shared by the prediction entry points; clamps *max_batch to 1..count. */
static sciml_status check_predict(sciml_deeponet_model *model, int64_t count, int64_t point_count,
                                  int64_t *max_batch) {
    if (!model->normalized)
        return sciml_error(model->ctx, SCIML_ERR_STATE, "deeponet: the model is untrained");
    if (count < 0 || point_count < 1)
        return sciml_error(model->ctx, SCIML_ERR_ARG, "deeponet: %lld functions, %lld query points",
                           (long long)count, (long long)point_count);
    if (*max_batch < 1)
        *max_batch = 1;
    if (*max_batch > count && count > 0)
        *max_batch = count;
    return SCIML_OK;
}

sciml_status sciml_deeponet_model_predict(sciml_deeponet_model *model, const double *functions,
                                          int64_t count, const double *points, int64_t point_count,
                                          int64_t max_batch, double *values) {
    const sciml_deeponet_config *c = &model->config;
    const int single = model->precision == SCIML_DEEPONET_SINGLE;
    sciml_status status = check_predict(model, count, point_count, &max_batch);
    if (status ||
        (status = single
                      ? sciml_deeponet_inference_prepare_f32(model, points, point_count, max_batch)
                      : sciml_deeponet_inference_prepare(model, points, point_count, max_batch)))
        return status;
    const int64_t row = point_count * c->outputs;
    for (int64_t first = 0; first < count; first += max_batch) {
        const int64_t n = count - first < max_batch ? count - first : max_batch;
        if (single)
            sciml_deeponet_inference_run_f32(model, functions + first * c->sensors, NULL, n,
                                             values + first * row, NULL);
        else
            sciml_deeponet_inference_run(model, functions + first * c->sensors, n,
                                         values + first * row);
    }
    return SCIML_OK;
}

sciml_status sciml_deeponet_model_predict_f32(sciml_deeponet_model *model, const float *functions,
                                              int64_t count, const double *points,
                                              int64_t point_count, int64_t max_batch,
                                              float *values) {
    const sciml_deeponet_config *c = &model->config;
    sciml_status status = check_predict(model, count, point_count, &max_batch);
    if (status ||
        (status = sciml_deeponet_inference_prepare_f32(model, points, point_count, max_batch)))
        return status;
    const int64_t row = point_count * c->outputs;
    for (int64_t first = 0; first < count; first += max_batch) {
        const int64_t n = count - first < max_batch ? count - first : max_batch;
        sciml_deeponet_inference_run_f32(model, NULL, functions + first * c->sensors, n, NULL,
                                         values + first * row);
    }
    return SCIML_OK;
}

sciml_status sciml_deeponet_model_set_precision(sciml_deeponet_model *model,
                                                sciml_deeponet_precision precision) {
    if (precision != SCIML_DEEPONET_DOUBLE && precision != SCIML_DEEPONET_SINGLE)
        return sciml_error(model->ctx, SCIML_ERR_ARG,
                           "deeponet: precision %d: expected SCIML_DEEPONET_DOUBLE (0) or "
                           "SCIML_DEEPONET_SINGLE (1)",
                           (int)precision);
    model->precision = precision;
    return SCIML_OK;
}

sciml_deeponet_precision sciml_deeponet_model_get_precision(const sciml_deeponet_model *model) {
    return model->precision;
}

sciml_status sciml_deeponet_model_evaluate(sciml_deeponet_model *model,
                                           const sciml_deeponet_data *data, double *mse,
                                           double *relative_l2) {
    sciml_status status = check_data(model, data, "evaluation");
    if (status)
        return status;
    const int64_t row = data->point_count * model->config.outputs;
    const int64_t chunk = data->count < EVALUATE_CHUNK ? data->count : EVALUATE_CHUNK;
    double *prediction = sciml_alloc_array((size_t)chunk * (size_t)row, sizeof(double));
    if (!prediction)
        return sciml_error(model->ctx, SCIML_ERR_NOMEM, "deeponet: out of memory");
    double squared = 0.0, reference = 0.0;
    for (int64_t first = 0; first < data->count && status == SCIML_OK; first += chunk) {
        const int64_t n = data->count - first < chunk ? data->count - first : chunk;
        status =
            sciml_deeponet_model_predict(model, data->functions + first * model->config.sensors, n,
                                         data->points, data->point_count, chunk, prediction);
        const double *truth = data->values + first * row;
        for (int64_t i = 0; status == SCIML_OK && i < n * row; i++) {
            double d = prediction[i] - truth[i];
            squared += d * d;
            reference += truth[i] * truth[i];
        }
    }
    free(prediction);
    if (status)
        return status;
    *mse = squared / (double)(data->count * row);
    *relative_l2 = reference > 0 ? sqrt(squared / reference) : sqrt(squared);
    return SCIML_OK;
}

/* ---- training -------------------------------------------------------------------------------- */

typedef struct deeponet_training {
    sciml_deeponet_model *model;
    const sciml_deeponet_data *test;
    int64_t every, last; /* evaluate the test set every `every` epochs and at `last` */
} deeponet_training;

sciml_status sciml_deeponet_check_train_options(sciml_deeponet_model *model,
                                                const sciml_train_options *options) {
    sciml_status status = sciml_schedule_check(model->ctx, &options->schedule);
    if (status)
        return status;
    if (options->epochs < 0 || options->batch < 1 || options->optimizer == SCIML_OPTIMIZER_LBFGS)
        return sciml_error(model->ctx, SCIML_ERR_ARG,
                           "deeponet: epochs %lld, batch %lld, optimizer %s: expected epochs >= "
                           "0, batch >= 1 and adam or adamw",
                           (long long)options->epochs, (long long)options->batch,
                           sciml_optimizer_name(options->optimizer));
    return SCIML_OK;
}

void sciml_deeponet_take_params(sciml_deeponet_model *model, const double *params) {
    memcpy(model->params, params, (size_t)model->parameter_count * sizeof(double));
    sciml_deeponet_inference_free(&model->inference);
}

static void store_params(void *user, const double *params) { /* before a checkpoint */
    sciml_deeponet_take_params(((deeponet_training *)user)->model, params);
}

static sciml_status evaluate_test(void *user, const double *params, sciml_train_report *report) {
    deeponet_training *t = user;
    if (!t->test || (report->epoch % t->every && report->epoch != t->last))
        return SCIML_OK;
    sciml_deeponet_take_params(t->model, params);
    return sciml_deeponet_model_evaluate(t->model, t->test, &report->test_loss,
                                         &report->test_error);
}

sciml_status sciml_deeponet_model_train(sciml_deeponet_model *model,
                                        const sciml_deeponet_data *train,
                                        const sciml_deeponet_data *test,
                                        const sciml_train_options *options) {
    sciml_ctx *ctx = model->ctx;
    const sciml_deeponet_config *c = &model->config;
    sciml_status status;
    if ((status = check_data(model, train, "training")) ||
        (test && (status = check_data(model, test, "test"))) ||
        (status = sciml_deeponet_check_train_options(model, options)))
        return status;
    if (!model->normalized) {
        fit_normalisation(model, train);
        sciml_deeponet_inference_free(&model->inference);
    }
    const int64_t count = train->count, P = train->point_count;
    const int64_t batch = options->batch < count ? options->batch : count;
    double *functions = sciml_alloc_array((size_t)count * (size_t)c->sensors, sizeof(double));
    double *values =
        sciml_alloc_array((size_t)count * (size_t)P * (size_t)c->outputs, sizeof(double));
    deeponet_graph dg;
    memset(&dg, 0, sizeof(dg));
    if (!functions || !values) {
        status = sciml_error(ctx, SCIML_ERR_NOMEM, "deeponet: out of memory for the training data");
        goto done;
    }
    sciml_deeponet_standardise_functions(model, train->functions, count, functions);
    sciml_deeponet_standardise_values(model, train->values, count * P, values);
    if (c->pod) { /* the trunk: fitted on the first call, the same points afterwards */
        if (!model->pod_modes &&
            (status = sciml_deeponet_fit_pod(model, train->points, P, values, count)))
            goto done;
        if ((status = sciml_deeponet_check_pod_points(model, train->points, P)) ||
            (test &&
             (status = sciml_deeponet_check_pod_points(model, test->points, test->point_count))))
            goto done;
    }
    if ((status = sciml_deeponet_build_graph(model, P, batch, 1, &dg)))
        goto done;
    sciml_deeponet_standardise_points(model, train->points, P, dg.scratch);
    if ((status = sciml_graph_set_batch(dg.graph, batch)) ||
        (status = sciml_graph_set_input(dg.graph, dg.points, dg.scratch, P * c->coordinates)))
        goto done;
    deeponet_training context = {model, test, options->epochs / 100 > 1 ? options->epochs / 100 : 1,
                                 options->epochs};
    sciml_minibatch_problem problem = {
        .graph = dg.graph,
        .loss = dg.loss,
        .table_count = 2,
        .inputs = {dg.functions, dg.target},
        .tables = {functions, values},
        .sample_count = count,
        .full_batch_in_order = 1,
        .evaluate = evaluate_test,
        .store = store_params,
        .user = &context,
    };
    status = sciml_train_minibatch(ctx, &problem, &model->state, options);
    sciml_deeponet_take_params(model, sciml_graph_params(dg.graph));
done:
    sciml_deeponet_graph_free(&dg);
    free(functions);
    free(values);
    return status;
}
