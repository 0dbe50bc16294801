/* Physics-informed neural networks (the loss and the training schedule are stated in
 * sciml/pinn_model.h).
 *
 * Two graphs share one parameter layout (the MLP "u" first, then coefficient.<name> for an
 * inverse problem): the training graph has fixed shapes (every point set is its own input,
 * (S, count, d) stacked for the Taylor streams it needs) and is built when training starts;
 * the evaluation graph takes fixed chunks of EVAL_BATCH points (the last one padded). The
 * model's own copy of the flat parameter vector is the truth between them. */
#include "sciml/pinn_model.h"

#include "models/model_file.h"
#include "sciml/netcdf.h"
#include "sciml/optim.h"
#include "sciml/param_file.h"
#include "sciml/taylor.h"
#include "sciml/trainer.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EVAL_BATCH 512

static double seconds_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}

typedef struct point_set {
    sciml_taylor_spec spec;
    int64_t count;
    double *points;  /* (count, d) */
    double *stacked; /* (S, count, d) */
    sciml_node input;
    /* hard constraints: the lift A and distance D (S, count, outputs) of u = A + D N */
    double *lift, *distance;
    sciml_node lift_input, distance_input;
} point_set;

/* The network of one graph: the MLP, the unknown coefficient, and the Fourier embedding's
 * fixed inputs (2 pi B (d, m) and the pi/2 phase (m) that turns sin into cos). */
typedef struct network {
    sciml_mlp mlp;
    sciml_node coefficient; /* param or SCIML_NO_NODE */
    sciml_node fourier_b, fourier_shift;
} network;

typedef struct train_graph {
    sciml_graph *g;
    network net;
    point_set interior;
    sciml_node interior_points, residual_term;
    point_set conditions[SCIML_PDE_MAX_CONDITIONS];
    point_set partners[SCIML_PDE_MAX_CONDITIONS]; /* periodic: upper-face points */
    sciml_node targets[SCIML_PDE_MAX_CONDITIONS];
    double *target_values[SCIML_PDE_MAX_CONDITIONS];
    sciml_node condition_terms[SCIML_PDE_MAX_CONDITIONS];
    point_set observed;
    sciml_node observed_values, observation_term;
    sciml_node loss;
} train_graph;

struct sciml_pinn {
    sciml_ctx *ctx;
    sciml_pinn_config config;
    sciml_pde pde; /* current coefficients */
    sciml_graph *eval;
    network eval_net;
    sciml_node eval_x, eval_points, eval_u, eval_r;
    /* hard constraints: A and D (S, EVAL_BATCH, outputs) of u = A + D N */
    sciml_node eval_lift, eval_distance;
    double *fourier; /* (d, fourier_features) frequencies B, or NULL */
    int64_t param_count;
    double *params; /* (param_count) the truth */
    int64_t observation_count;
    double *observation_points, *observation_values;
    int64_t extra_count;  /* interior points added by refinement */
    double *extra_points; /* (extra_count, d) */
    sciml_pinn_progress last;
    /* The training position and what a checkpoint keeps to continue from it: state.epochs_done
     * counts the Adam steps done, state.epoch_rng is the refinement sampler after rar_done
     * rounds, state.adam_* are Adam's moments and step count at the parameters in params
     * (always allocated). resume_pending: the next training continues from the position
     * (set by sciml_pinn_resume from a checkpoint). */
    sciml_train_state state;
    int rar_done;
    int64_t lbfgs_done;
    int resume_pending;
    int64_t start_adam, start_lbfgs; /* where this training started: no checkpoint there */
    int64_t checkpoint_every;
    sciml_train_checkpoint_fn checkpoint;
    void *checkpoint_user;
};

#define RAR_SEED UINT64_C(0xd1b54a32d192ed03)

void sciml_pinn_config_default(sciml_pinn_config *config, const sciml_pde *pde) {
    memset(config, 0, sizeof *config);
    config->pde = *pde;
    config->hidden_count = 3;
    for (int i = 0; i < 3; i++)
        config->hidden[i] = 20;
    config->activation = SCIML_ACT_TANH;
    config->interior_count = 2540;
    for (int c = 0; c < pde->condition_count; c++) {
        const sciml_pde_condition *condition = &pde->conditions[c];
        int on_time = pde->time_axis >= 0 && condition->face_axis[0] == pde->time_axis;
        config->condition_counts[c] = on_time ? 160 : 40 * condition->face_count;
        config->condition_weights[c] = 1.0;
    }
    config->residual_weight = 1.0;
    config->observation_weight = 1.0;
    config->sampling = SCIML_SAMPLING_SOBOL;
    config->adam_iterations = 15000;
    config->learning_rate = 1e-3;
    config->lbfgs_iterations = 5000;
    config->unknown = -1;
    config->rar_candidates = 100000;
    config->rar_add = 10;
    config->rar_steps = 1000;
    config->fourier_sigma = 1.0;
}

static sciml_status check_config(sciml_ctx *ctx, const sciml_pinn_config *config) {
    const sciml_pde *pde = &config->pde;
    if (!pde->kind)
        return sciml_error(ctx, SCIML_ERR_ARG, "pinn: no PDE in the configuration");
    if (config->hidden_count < 1 || config->hidden_count > SCIML_PINN_MAX_HIDDEN)
        return sciml_error(ctx, SCIML_ERR_RANGE, "pinn: %d hidden layers, expected 1..%d",
                           config->hidden_count, SCIML_PINN_MAX_HIDDEN);
    if (config->activation != SCIML_ACT_TANH && config->activation != SCIML_ACT_SIN)
        return sciml_error(ctx, SCIML_ERR_ARG, "pinn: activation '%s', expected tanh or sin",
                           sciml_activation_name(config->activation));
    if (config->interior_count < 1 || config->interior_count > (INT64_C(1) << 26))
        return sciml_error(ctx, SCIML_ERR_RANGE, "pinn: %lld interior points, expected 1..2^26",
                           (long long)config->interior_count);
    for (int c = 0; c < pde->condition_count; c++)
        if (config->condition_counts[c] < 1 || config->condition_counts[c] > (INT64_C(1) << 24))
            return sciml_error(ctx, SCIML_ERR_RANGE, "pinn: %lld %s points, expected 1..2^24",
                               (long long)config->condition_counts[c], pde->conditions[c].name);
    double weights[SCIML_PDE_MAX_CONDITIONS + 2] = {config->residual_weight,
                                                    config->observation_weight};
    for (int c = 0; c < pde->condition_count; c++)
        weights[2 + c] = config->condition_weights[c];
    for (int i = 0; i < 2 + pde->condition_count; i++)
        if (!(weights[i] >= 0) || !isfinite(weights[i]))
            return sciml_error(ctx, SCIML_ERR_RANGE, "pinn: loss weight %g, expected finite >= 0",
                               weights[i]);
    if (config->adam_iterations < 0 || config->lbfgs_iterations < 0)
        return sciml_error(ctx, SCIML_ERR_RANGE, "pinn: negative iteration count");
    if (!(config->learning_rate > 0) || !isfinite(config->learning_rate))
        return sciml_error(ctx, SCIML_ERR_RANGE, "pinn: learning rate %g, expected > 0",
                           config->learning_rate);
    if (config->rar_rounds < 0 || config->rar_rounds > 10000 || config->rar_steps < 0 ||
        config->rar_add < 1 || config->rar_candidates < config->rar_add ||
        config->rar_candidates > (INT64_C(1) << 24))
        return sciml_error(ctx, SCIML_ERR_RANGE,
                           "pinn: refinement %d rounds of %lld points from %lld candidates and "
                           "%lld steps, expected 0..10000 rounds, 1 <= points <= candidates <= "
                           "2^24 and steps >= 0",
                           config->rar_rounds, (long long)config->rar_add,
                           (long long)config->rar_candidates, (long long)config->rar_steps);
    if (config->fourier_features < 0 || config->fourier_features > 4096 ||
        !(config->fourier_sigma > 0) || !isfinite(config->fourier_sigma))
        return sciml_error(ctx, SCIML_ERR_RANGE,
                           "pinn: %lld Fourier features with sigma %g, expected 0..4096 features "
                           "and sigma > 0",
                           (long long)config->fourier_features, config->fourier_sigma);
    if (config->hard_constraints && !sciml_pde_transform(pde))
        return sciml_error(ctx, SCIML_ERR_ARG,
                           "pinn: %s has no output transform for hard constraints, expected one "
                           "of %s",
                           pde->name, sciml_pde_transform_names());
    if (config->unknown < -1 || config->unknown >= pde->coefficient_count)
        return sciml_error(ctx, SCIML_ERR_RANGE, "pinn: unknown coefficient index %d",
                           config->unknown);
    if (config->unknown >= 0 && !(pde->learnable & (1u << config->unknown)))
        return sciml_error(ctx, SCIML_ERR_ARG,
                           "pinn: coefficient %s of %s cannot be learned, expected one that "
                           "enters the residual as a factor (burgers nu, heat1d alpha, "
                           "allen-cahn d, diffusion-reaction d)",
                           pde->coefficient_names[config->unknown], pde->name);
    return SCIML_OK;
}

/* The network's nodes in the shared layout: the MLP, then the coefficient parameter; the
 * Fourier inputs (not parameters) when the embedding is on. */
static sciml_status add_network(sciml_pinn *model, sciml_graph *g, network *net) {
    const sciml_pinn_config *config = &model->config;
    int64_t m = config->fourier_features, d = model->pde.input_count;
    net->fourier_b = net->fourier_shift = SCIML_NO_NODE;
    if (m > 0) {
        int64_t b_shape[2] = {d, m};
        net->fourier_b = sciml_graph_input(g, "fourier_b", 2, b_shape);
        net->fourier_shift = sciml_graph_input(g, "fourier_shift", 1, &m);
    }
    sciml_status status =
        sciml_mlp_create(model->ctx, g, "u", m > 0 ? 2 * m : d, config->hidden_count,
                         config->hidden, model->pde.output_count, config->activation, &net->mlp);
    if (status)
        return status;
    net->coefficient = SCIML_NO_NODE;
    if (config->unknown >= 0) {
        char name[64];
        snprintf(name, sizeof name, "coefficient.%s",
                 model->pde.coefficient_names[config->unknown]);
        int64_t one = 1;
        net->coefficient = sciml_graph_param(g, name, 1, &one);
        if (net->coefficient == SCIML_NO_NODE)
            return sciml_ctx_status(model->ctx);
    }
    return SCIML_OK;
}

/* Sets the Fourier inputs of a built graph. */
static sciml_status upload_fourier(sciml_pinn *model, sciml_graph *g, const network *net) {
    int64_t m = model->config.fourier_features, d = model->pde.input_count;
    if (m == 0)
        return SCIML_OK;
    double *values = malloc((size_t)(d * m) * sizeof *values);
    if (!values)
        return sciml_error(model->ctx, SCIML_ERR_NOMEM, "pinn: out of memory");
    for (int64_t i = 0; i < d * m; i++)
        values[i] = 2 * SCIML_PI * model->fourier[i];
    sciml_status status = sciml_graph_set_input(g, net->fourier_b, values, d * m);
    for (int64_t i = 0; i < m; i++)
        values[i] = SCIML_PI / 2;
    if (!status)
        status = sciml_graph_set_input(g, net->fourier_shift, values, m);
    free(values);
    return status;
}

/* The network on stacked input x (S, rows, d): with the embedding, gamma(x) = [sin(2 pi x B),
 * cos(2 pi x B)] carried through the Taylor streams (z = x (2 pi B) is linear, then sin and
 * sin(. + pi/2)) before the MLP. */
static sciml_node apply_network(sciml_pinn *model, sciml_graph *g, const network *net,
                                const sciml_taylor_spec *spec, sciml_node x) {
    sciml_ctx *ctx = model->ctx;
    if (model->config.fourier_features > 0) {
        sciml_node z = sciml_linear(g, x, net->fourier_b, SCIML_NO_NODE);
        sciml_node both[2] = {
            sciml_taylor_activate(ctx, g, spec, z, SCIML_NO_NODE, SCIML_ACT_SIN),
            sciml_taylor_activate(ctx, g, spec, z, net->fourier_shift, SCIML_ACT_SIN)};
        if (both[0] == SCIML_NO_NODE || both[1] == SCIML_NO_NODE)
            return SCIML_NO_NODE;
        x = sciml_concat(g, 2, both, 2);
    }
    return sciml_taylor_mlp_apply(ctx, g, &net->mlp, spec, x);
}

/* u = A + D N on the Taylor streams (product rule), from the network's N. */
static sciml_node constrain(sciml_pinn *model, sciml_graph *g, const sciml_taylor_spec *spec,
                            sciml_node y, sciml_node lift, sciml_node distance) {
    if (y == SCIML_NO_NODE)
        return SCIML_NO_NODE;
    sciml_node product = sciml_taylor_product(model->ctx, g, spec, distance, y);
    return product == SCIML_NO_NODE ? SCIML_NO_NODE : sciml_add(g, lift, product);
}

/* Adds the lift and distance inputs (S, rows, outputs) of hard constraints. */
static sciml_status add_transform_inputs(sciml_pinn *model, sciml_graph *g, const char *name,
                                         const sciml_taylor_spec *spec, int64_t rows,
                                         sciml_node *lift, sciml_node *distance) {
    int64_t shape[3] = {sciml_taylor_stream_count(spec), rows, model->pde.output_count};
    char text[80];
    snprintf(text, sizeof text, "%s_lift", name);
    *lift = sciml_graph_input(g, text, 3, shape);
    snprintf(text, sizeof text, "%s_distance", name);
    *distance = sciml_graph_input(g, text, 3, shape);
    if (*lift == SCIML_NO_NODE || *distance == SCIML_NO_NODE)
        return sciml_ctx_status(model->ctx) ? sciml_ctx_status(model->ctx) : SCIML_ERR_INTERNAL;
    return SCIML_OK;
}

static sciml_status build_eval(sciml_pinn *model) {
    sciml_ctx *ctx = model->ctx;
    const sciml_pde *pde = &model->pde;
    sciml_status status = sciml_graph_create(ctx, &model->eval);
    if (status)
        return status;
    sciml_graph *g = model->eval;
    int d = pde->input_count, streams = sciml_taylor_stream_count(&pde->spec);
    int64_t x_shape[3] = {streams, EVAL_BATCH, d}, p_shape[2] = {EVAL_BATCH, d};
    model->eval_x = sciml_graph_input(g, "x", 3, x_shape);
    model->eval_points = sciml_graph_input(g, "points", 2, p_shape);
    if ((status = add_network(model, g, &model->eval_net)))
        return status;
    sciml_node y = apply_network(model, g, &model->eval_net, &pde->spec, model->eval_x);
    if (model->config.hard_constraints) {
        if ((status = add_transform_inputs(model, g, "eval", &pde->spec, EVAL_BATCH,
                                           &model->eval_lift, &model->eval_distance)))
            return status;
        y = constrain(model, g, &pde->spec, y, model->eval_lift, model->eval_distance);
    }
    if (y == SCIML_NO_NODE)
        return sciml_ctx_status(ctx) ? sciml_ctx_status(ctx) : SCIML_ERR_INTERNAL;
    sciml_node params[SCIML_PDE_MAX_COEFFICIENTS];
    for (int k = 0; k < SCIML_PDE_MAX_COEFFICIENTS; k++)
        params[k] =
            k == model->config.unknown ? sciml_exp(g, model->eval_net.coefficient) : SCIML_NO_NODE;
    model->eval_u = sciml_taylor_stream(g, y, 0);
    model->eval_r = sciml_pde_residual(ctx, g, pde, y, model->eval_points, params);
    if ((status = sciml_graph_build(g, 1)) || (status = upload_fourier(model, g, &model->eval_net)))
        return status;
    model->param_count = sciml_graph_param_count(g);
    return SCIML_OK;
}

sciml_status sciml_pinn_create(sciml_ctx *ctx, const sciml_pinn_config *config, sciml_pinn **out) {
    *out = NULL;
    sciml_status status = check_config(ctx, config);
    if (status)
        return status;
    sciml_pinn *model = calloc(1, sizeof *model);
    if (!model)
        return sciml_error(ctx, SCIML_ERR_NOMEM, "pinn: out of memory");
    model->ctx = ctx;
    model->config = *config;
    model->pde = config->pde;
    for (int i = 0; i < SCIML_PDE_MAX_CONDITIONS; i++)
        model->last.conditions[i] = NAN;
    model->last.loss = model->last.residual = model->last.observations = NAN;
    model->last.unknown_value = NAN;
    if (config->fourier_features > 0) {
        int64_t size = model->pde.input_count * config->fourier_features;
        model->fourier = malloc((size_t)size * sizeof *model->fourier);
        sciml_rng fourier_rng;
        sciml_rng_seed(&fourier_rng, config->seed ^ UINT64_C(0x2545f4914f6cdd1d));
        if (!model->fourier)
            status = sciml_error(ctx, SCIML_ERR_NOMEM, "pinn: out of memory");
        else
            status = sciml_fourier_sample(ctx, &fourier_rng, config->fourier_sigma,
                                          model->pde.input_count, config->fourier_features,
                                          model->fourier);
        if (status)
            goto fail;
    }
    if ((status = build_eval(model)))
        goto fail;
    model->params = calloc((size_t)model->param_count, sizeof *model->params);
    if (!model->params) {
        status = sciml_error(ctx, SCIML_ERR_NOMEM, "pinn: out of memory");
        goto fail;
    }
    sciml_rng rng;
    sciml_rng_seed(&rng, config->seed);
    if ((status = sciml_mlp_init(ctx, model->eval, &model->eval_net.mlp, SCIML_INIT_AUTO, &rng)))
        goto fail;
    memcpy(model->params, sciml_graph_params(model->eval),
           (size_t)model->param_count * sizeof *model->params);
    if (config->unknown >= 0)
        model->params[sciml_graph_param_offset(model->eval, model->eval_net.coefficient)] =
            log(config->pde.coefficients[config->unknown]);
    sciml_train_state_init(&model->state, config->seed ^ RAR_SEED);
    model->state.parameter_count = model->param_count;
    model->state.optimizer = SCIML_OPTIMIZER_ADAM;
    model->state.has_position = 1;
    model->state.adam_m = calloc((size_t)model->param_count, sizeof(double));
    model->state.adam_v = calloc((size_t)model->param_count, sizeof(double));
    if (!model->state.adam_m || !model->state.adam_v) {
        status = sciml_error(ctx, SCIML_ERR_NOMEM, "pinn: out of memory");
        goto fail;
    }
    *out = model;
    return SCIML_OK;
fail:
    sciml_pinn_destroy(&model);
    return status;
}

void sciml_pinn_destroy(sciml_pinn **model) {
    if (!model || !*model)
        return;
    sciml_graph_destroy(&(*model)->eval);
    free((*model)->params);
    free((*model)->observation_points);
    free((*model)->observation_values);
    free((*model)->extra_points);
    free((*model)->fourier);
    sciml_train_state_free(&(*model)->state);
    free(*model);
    *model = NULL;
}

static int inside(const sciml_pde *pde, const double *x) {
    for (int a = 0; a < pde->input_count; a++)
        if (!(x[a] >= pde->lower[a] && x[a] <= pde->upper[a]))
            return 0;
    return 1;
}

sciml_status sciml_pinn_set_observations(sciml_pinn *model, int64_t count, const double *points,
                                         const double *values) {
    const sciml_pde *pde = &model->pde;
    int d = pde->input_count;
    if (count < 1)
        return sciml_error(model->ctx, SCIML_ERR_RANGE, "pinn: %lld observations, expected >= 1",
                           (long long)count);
    for (int64_t i = 0; i < count; i++) {
        if (!inside(pde, points + i * d)) {
            char where[128] = "";
            for (int a = 0; a < d; a++)
                snprintf(where + strlen(where), sizeof where - strlen(where), "%s%s %g",
                         a ? ", " : "", pde->input_names[a], points[i * d + a]);
            return sciml_error(model->ctx, SCIML_ERR_RANGE,
                               "pinn: observation %lld at (%s) lies outside the %s domain",
                               (long long)i, where, pde->name);
        }
        if (!isfinite(values[i]))
            return sciml_error(model->ctx, SCIML_ERR_NONFINITE,
                               "pinn: observation %lld has a non-finite value", (long long)i);
    }
    double *p = malloc((size_t)count * (size_t)d * sizeof *p);
    double *v = malloc((size_t)count * sizeof *v);
    if (!p || !v) {
        free(p);
        free(v);
        return sciml_error(model->ctx, SCIML_ERR_NOMEM, "pinn: out of memory");
    }
    memcpy(p, points, (size_t)count * (size_t)d * sizeof *p);
    memcpy(v, values, (size_t)count * sizeof *v);
    free(model->observation_points);
    free(model->observation_values);
    model->observation_points = p;
    model->observation_values = v;
    model->observation_count = count;
    return SCIML_OK;
}

/* ---- training graph ----------------------------------------------------------------------------
 */

static void free_set(point_set *set) {
    free(set->points);
    free(set->stacked);
    free(set->lift);
    free(set->distance);
    set->points = set->stacked = set->lift = set->distance = NULL;
}

static void train_graph_free(train_graph *t) {
    sciml_graph_destroy(&t->g);
    free_set(&t->interior);
    free_set(&t->observed);
    for (int c = 0; c < SCIML_PDE_MAX_CONDITIONS; c++) {
        free_set(&t->conditions[c]);
        free_set(&t->partners[c]);
        free(t->target_values[c]);
    }
}

/* Allocates the set's arrays and adds its stacked input (S, count, d) to the graph, and with
 * hard constraints its lift and distance inputs (S, count, outputs). */
static sciml_status set_create(sciml_pinn *model, sciml_graph *g, const char *name,
                               const sciml_taylor_spec *spec, int64_t count, point_set *set) {
    sciml_ctx *ctx = model->ctx;
    int d = model->pde.input_count, hard = model->config.hard_constraints;
    set->spec = *spec;
    set->count = count;
    set->lift_input = set->distance_input = SCIML_NO_NODE;
    size_t streams = (size_t)sciml_taylor_stream_count(spec);
    size_t transform = streams * (size_t)count * (size_t)model->pde.output_count;
    set->points = malloc((size_t)count * (size_t)d * sizeof *set->points);
    set->stacked = malloc((size_t)count * streams * (size_t)d * sizeof *set->stacked);
    if (hard) {
        set->lift = malloc(transform * sizeof *set->lift);
        set->distance = malloc(transform * sizeof *set->distance);
    }
    if (!set->points || !set->stacked || (hard && (!set->lift || !set->distance)))
        return sciml_error(ctx, SCIML_ERR_NOMEM, "pinn: out of memory for %lld %s points",
                           (long long)count, name);
    int64_t shape[3] = {(int64_t)streams, count, d};
    set->input = sciml_graph_input(g, name, 3, shape);
    if (set->input == SCIML_NO_NODE)
        return sciml_ctx_status(ctx);
    return hard ? add_transform_inputs(model, g, name, spec, count, &set->lift_input,
                                       &set->distance_input)
                : SCIML_OK;
}

/* Seeds the set's streams (and computes its lift and distance) and sets its inputs. */
static sciml_status set_upload(sciml_pinn *model, sciml_graph *g, point_set *set) {
    const sciml_pde *pde = &model->pde;
    int64_t streams = sciml_taylor_stream_count(&set->spec);
    sciml_taylor_seed(&set->spec, set->count, set->points, set->stacked);
    sciml_status status =
        sciml_graph_set_input(g, set->input, set->stacked, set->count * streams * pde->input_count);
    if (status || !model->config.hard_constraints)
        return status;
    int64_t size = streams * set->count * pde->output_count;
    if ((status = sciml_pde_transform_streams(model->ctx, pde, &set->spec, set->count, set->points,
                                              set->lift, set->distance)) ||
        (status = sciml_graph_set_input(g, set->lift_input, set->lift, size)))
        return status;
    return sciml_graph_set_input(g, set->distance_input, set->distance, size);
}

/* The Taylor output of the network on a set: N, or u = A + D N with hard constraints. */
static sciml_node set_output(sciml_pinn *model, sciml_graph *g, const network *net,
                             const point_set *set) {
    sciml_node y = apply_network(model, g, net, &set->spec, set->input);
    if (!model->config.hard_constraints)
        return y;
    return constrain(model, g, &set->spec, y, set->lift_input, set->distance_input);
}

/* Output `component` of a (rows, outputs) node (the node itself for one output). */
static sciml_node output_column(sciml_graph *g, const sciml_pde *pde, sciml_node a, int component) {
    return pde->output_count == 1 ? a : sciml_slice(g, a, 1, component, component + 1);
}

static sciml_node mean_square(sciml_graph *g, sciml_node a) {
    return sciml_mean(g, sciml_square(g, a), SCIML_ALL_AXES);
}

static sciml_status train_graph_build(sciml_pinn *model, train_graph *t) {
    sciml_ctx *ctx = model->ctx;
    const sciml_pinn_config *config = &model->config;
    const sciml_pde *pde = &model->pde;
    int d = pde->input_count;
    memset(t, 0, sizeof *t);
    sciml_status status = sciml_graph_create(ctx, &t->g);
    if (status)
        return status;
    sciml_graph *g = t->g;
    sciml_rng rng;
    sciml_rng_seed(&rng, config->seed ^ UINT64_C(0x9e3779b97f4a7c15));
    /* interior */
    int64_t interior = config->interior_count + model->extra_count;
    if ((status = set_create(model, g, "interior", &pde->spec, interior, &t->interior)))
        return status;
    int64_t p_shape[2] = {interior, d};
    t->interior_points = sciml_graph_input(g, "interior_points", 2, p_shape);
    if ((status = add_network(model, g, &t->net)))
        return status;
    if ((status = sciml_pde_sample_interior(ctx, pde, &rng, config->sampling,
                                            config->interior_count, t->interior.points)))
        return status;
    if (model->extra_count > 0)
        memcpy(t->interior.points + config->interior_count * d, model->extra_points,
               (size_t)model->extra_count * (size_t)d * sizeof *model->extra_points);
    sciml_node params[SCIML_PDE_MAX_COEFFICIENTS];
    for (int k = 0; k < SCIML_PDE_MAX_COEFFICIENTS; k++)
        params[k] = k == config->unknown ? sciml_exp(g, t->net.coefficient) : SCIML_NO_NODE;
    sciml_node y = set_output(model, g, &t->net, &t->interior);
    sciml_node r = sciml_pde_residual(ctx, g, pde, y, t->interior_points, params);
    t->residual_term = mean_square(g, r);
    sciml_node loss = sciml_scale(g, t->residual_term, config->residual_weight);
    /* conditions */
    for (int c = 0; c < pde->condition_count; c++) {
        const sciml_pde_condition *condition = &pde->conditions[c];
        t->condition_terms[c] = SCIML_NO_NODE;
        if (config->hard_constraints && sciml_pde_transform_meets(pde, c))
            continue; /* met exactly by u = A + D N: no points, no term */
        sciml_taylor_spec spec;
        sciml_pde_condition_spec(pde, c, &spec);
        int64_t n = config->condition_counts[c];
        char name[64];
        snprintf(name, sizeof name, "%s", condition->name);
        if ((status = set_create(model, g, name, &spec, n, &t->conditions[c])))
            return status;
        point_set *partner = NULL;
        if (condition->kind == SCIML_CONDITION_PERIODIC) {
            snprintf(name, sizeof name, "%s_partner", condition->name);
            partner = &t->partners[c];
            if ((status = set_create(model, g, name, &spec, n, partner)))
                return status;
        }
        if ((status = sciml_pde_sample_condition(ctx, pde, c, &rng, config->sampling, n,
                                                 t->conditions[c].points,
                                                 partner ? partner->points : NULL)))
            return status;
        sciml_node yc = set_output(model, g, &t->net, &t->conditions[c]);
        sciml_node term;
        if (condition->kind == SCIML_CONDITION_PERIODIC) {
            sciml_node yp = set_output(model, g, &t->net, partner);
            int s = sciml_taylor_first_stream(&spec, condition->derivative_axis);
            int o = condition->component;
            term = sciml_add(g,
                             sciml_mse(g, output_column(g, pde, sciml_taylor_stream(g, yc, 0), o),
                                       output_column(g, pde, sciml_taylor_stream(g, yp, 0), o)),
                             sciml_mse(g, output_column(g, pde, sciml_taylor_stream(g, yc, s), o),
                                       output_column(g, pde, sciml_taylor_stream(g, yp, s), o)));
        } else {
            int64_t g_shape[2] = {n, 1};
            snprintf(name, sizeof name, "%s_target", condition->name);
            t->targets[c] = sciml_graph_input(g, name, 2, g_shape);
            t->target_values[c] = malloc((size_t)n * sizeof *t->target_values[c]);
            if (!t->target_values[c])
                return sciml_error(ctx, SCIML_ERR_NOMEM, "pinn: out of memory");
            sciml_pde_condition_target(pde, c, n, t->conditions[c].points, t->target_values[c]);
            int s = condition->kind == SCIML_CONDITION_NEUMANN
                        ? sciml_taylor_first_stream(&spec, condition->derivative_axis)
                        : 0;
            term = sciml_mse(
                g, output_column(g, pde, sciml_taylor_stream(g, yc, s), condition->component),
                t->targets[c]);
        }
        t->condition_terms[c] = term;
        loss = sciml_add(g, loss, sciml_scale(g, term, config->condition_weights[c]));
    }
    /* observations */
    t->observation_term = SCIML_NO_NODE;
    if (model->observation_count > 0) {
        sciml_taylor_spec spec;
        sciml_taylor_spec_value(&spec, d);
        if ((status =
                 set_create(model, g, "observed", &spec, model->observation_count, &t->observed)))
            return status;
        memcpy(t->observed.points, model->observation_points,
               (size_t)model->observation_count * (size_t)d * sizeof *t->observed.points);
        int64_t v_shape[2] = {model->observation_count, 1};
        t->observed_values = sciml_graph_input(g, "observed_values", 2, v_shape);
        sciml_node yo = set_output(model, g, &t->net, &t->observed);
        t->observation_term = sciml_mse(g, output_column(g, pde, sciml_taylor_stream(g, yo, 0), 0),
                                        t->observed_values);
        loss = sciml_add(g, loss, sciml_scale(g, t->observation_term, config->observation_weight));
    }
    t->loss = loss;
    if (loss == SCIML_NO_NODE)
        return sciml_ctx_status(ctx) ? sciml_ctx_status(ctx) : SCIML_ERR_INTERNAL;
    if ((status = sciml_graph_build(g, 1)))
        return status;
    if ((status = upload_fourier(model, g, &t->net)))
        return status;
    if (sciml_graph_param_count(g) != model->param_count)
        return sciml_error(ctx, SCIML_ERR_INTERNAL, "pinn: parameter layouts differ");
    /* data */
    if ((status = set_upload(model, g, &t->interior)) ||
        (status = sciml_graph_set_input(g, t->interior_points, t->interior.points, interior * d)))
        return status;
    for (int c = 0; c < pde->condition_count; c++) {
        if (t->condition_terms[c] == SCIML_NO_NODE)
            continue; /* met exactly */
        if ((status = set_upload(model, g, &t->conditions[c])))
            return status;
        if (pde->conditions[c].kind == SCIML_CONDITION_PERIODIC) {
            if ((status = set_upload(model, g, &t->partners[c])))
                return status;
        } else if ((status = sciml_graph_set_input(g, t->targets[c], t->target_values[c],
                                                   config->condition_counts[c])))
            return status;
    }
    if (model->observation_count > 0 &&
        ((status = set_upload(model, g, &t->observed)) ||
         (status = sciml_graph_set_input(g, t->observed_values, model->observation_values,
                                         model->observation_count))))
        return status;
    memcpy(sciml_graph_params(g), model->params, (size_t)model->param_count * sizeof(double));
    return SCIML_OK;
}

static void read_terms(sciml_pinn *model, train_graph *t, const char *phase, int64_t iteration,
                       sciml_pinn_progress *p) {
    sciml_pinn_progress keep = model->last; /* timing fields */
    memset(p, 0, sizeof *p);
    p->adam_steps = keep.adam_steps;
    p->lbfgs_iterations = keep.lbfgs_iterations;
    p->lbfgs_evaluations = keep.lbfgs_evaluations;
    p->adam_seconds = keep.adam_seconds;
    p->lbfgs_seconds = keep.lbfgs_seconds;
    p->phase = phase;
    p->iteration = iteration;
    p->loss = sciml_graph_scalar(t->g, t->loss);
    p->residual = sciml_graph_scalar(t->g, t->residual_term);
    for (int c = 0; c < SCIML_PDE_MAX_CONDITIONS; c++)
        p->conditions[c] = c < model->pde.condition_count && t->condition_terms[c] != SCIML_NO_NODE
                               ? sciml_graph_scalar(t->g, t->condition_terms[c])
                               : NAN; /* NaN: no such condition, or met exactly */
    p->observations =
        t->observation_term != SCIML_NO_NODE ? sciml_graph_scalar(t->g, t->observation_term) : NAN;
    p->unknown_value =
        t->net.coefficient != SCIML_NO_NODE
            ? exp(sciml_graph_params(t->g)[sciml_graph_param_offset(t->g, t->net.coefficient)])
            : NAN;
}

static void store_params(sciml_pinn *model, const double *params) {
    memcpy(model->params, params, (size_t)model->param_count * sizeof *params);
    if (model->config.unknown >= 0)
        model->pde.coefficients[model->config.unknown] =
            exp(params[sciml_graph_param_offset(model->eval, model->eval_net.coefficient)]);
}

/* Whether a periodic checkpoint is due at `done` (Adam steps or L-BFGS iterations) of
 * `total`; never at the position training started from. */
static int checkpoint_due(const sciml_pinn *model, int64_t done, int64_t started, int64_t total) {
    return model->checkpoint && done != started &&
           sciml_train_checkpoint_due(model->checkpoint_every, done, total);
}

/* Adam steps in the whole schedule: the plain phase, then every refinement round's. */
static int64_t adam_total(const sciml_pinn_config *config) {
    return config->adam_iterations + config->rar_rounds * config->rar_steps;
}

typedef struct lbfgs_user {
    sciml_pinn *model;
    train_graph *t;
    sciml_pinn_progress_fn progress;
    void *user;
    int64_t every;
    int64_t base_iterations, base_evaluations; /* done before this minimisation (a resume) */
    double started, base_seconds;
    sciml_status status; /* a failed periodic checkpoint */
} lbfgs_user;

static int lbfgs_iteration(void *user_pointer, const sciml_lbfgs_progress *progress) {
    lbfgs_user *u = user_pointer;
    sciml_pinn *model = u->model;
    int64_t iteration = u->base_iterations + progress->iteration;
    if (u->progress && iteration % u->every == 0) {
        /* The graph holds the last evaluated point, which is the accepted one. */
        sciml_pinn_progress p;
        read_terms(model, u->t, "lbfgs", iteration, &p);
        p.loss = progress->f;
        if (u->progress(u->user, &p))
            return 1;
    }
    if (checkpoint_due(model, iteration, model->start_lbfgs, model->config.lbfgs_iterations)) {
        /* the position: this iterate after `iteration` iterations */
        store_params(model, progress->x);
        model->lbfgs_done = iteration;
        model->last.lbfgs_iterations = iteration;
        model->last.lbfgs_evaluations = u->base_evaluations + progress->evaluations;
        model->last.lbfgs_seconds = u->base_seconds + seconds_now() - u->started;
        if ((u->status = model->checkpoint(model->checkpoint_user)))
            return 1;
    }
    return 0;
}

/* Keeps Adam's state as the position's (the parameters in model->params). */
static void keep_adam_state(sciml_pinn *model, const sciml_adam *adam) {
    sciml_adam_get_state(adam, &model->state.adam_steps, model->state.adam_m, model->state.adam_v,
                         model->param_count);
}

/* Adam steps first..last (inclusive) on the built training graph, from the position first - 1
 * (model->params and Adam's state). Before each step the loss at its starting parameters must
 * be finite; they then become the position (model->params, Adam's state, the step count), so
 * that an interruption, a divergence or a periodic checkpoint finds a consistent position; the
 * loss after the last step is checked too. Returns 1 in *stopped when the callback asked to
 * stop. */
static sciml_status adam_phase(sciml_pinn *model, train_graph *t, sciml_adam *adam, int64_t first,
                               int64_t last, sciml_pinn_progress_fn progress, void *user,
                               int64_t every, int *stopped) {
    sciml_ctx *ctx = model->ctx;
    sciml_graph *g = t->g;
    double *params = sciml_graph_params(g);
    double start = seconds_now() - model->last.adam_seconds;
    sciml_status status = SCIML_OK;
    *stopped = 0;
    if (first > last)
        return SCIML_OK;
    for (int64_t step = first;; step++) {
        /* the parameters after step - 1 steps are in the graph */
        if ((status = sciml_graph_forward(g, t->loss)) ||
            (step <= last && (status = sciml_graph_backward(g, t->loss))))
            return status;
        double loss = sciml_graph_scalar(g, t->loss);
        if (!isfinite(loss) && step > last)
            return sciml_error(ctx, SCIML_ERR_NONFINITE,
                               "pinn: the loss is not finite after Adam step %lld; keeping the "
                               "parameters of step %lld",
                               (long long)last, (long long)last);
        if (!isfinite(loss))
            return sciml_error(ctx, SCIML_ERR_NONFINITE,
                               "pinn: the loss is not finite at Adam step %lld; keeping the "
                               "parameters of step %lld",
                               (long long)step, (long long)(step - 1));
        store_params(model, params); /* finite loss at these parameters: the position */
        keep_adam_state(model, adam);
        model->state.epochs_done = step - 1;
        read_terms(model, t, "adam", step > last ? last : step, &model->last);
        if (step > last)
            break;
        if (progress && (step % every == 0 || step == 1)) {
            sciml_pinn_progress p;
            read_terms(model, t, "adam", step, &p);
            if (progress(user, &p)) {
                *stopped = 1;
                return SCIML_OK;
            }
        }
        if (sciml_ctx_interrupted(ctx))
            return sciml_error(ctx, SCIML_ERR_INTERRUPTED, "pinn: interrupted at Adam step %lld",
                               (long long)step);
        if (checkpoint_due(model, step - 1, model->start_adam, adam_total(&model->config)) &&
            (status = model->checkpoint(model->checkpoint_user)))
            return status;
        status = sciml_adam_step(adam, params, sciml_graph_grads(g), model->config.learning_rate);
        if (status == SCIML_ERR_NONFINITE)
            return sciml_error(ctx, SCIML_ERR_NONFINITE,
                               "pinn: the gradient is not finite at Adam step %lld; keeping its "
                               "parameters",
                               (long long)step);
        if (status)
            return status;
        model->last.adam_steps = step;
        model->last.adam_seconds = seconds_now() - start;
    }
    return SCIML_OK;
}

/* Residual-based adaptive refinement (Lu et al., SIAM Review 63, 2021): the rar_add points with
 * the largest |r| among rar_candidates uniform points join the interior points. */
static sciml_status refine(sciml_pinn *model, sciml_rng *rng) {
    const sciml_pinn_config *config = &model->config;
    int d = model->pde.input_count;
    int64_t n = config->rar_candidates, add = config->rar_add;
    double *candidates = malloc((size_t)n * (size_t)d * sizeof *candidates);
    double *u = malloc((size_t)n * sizeof *u), *r = malloc((size_t)n * sizeof *r);
    double *grown = realloc(model->extra_points,
                            (size_t)(model->extra_count + add) * (size_t)d * sizeof *grown);
    sciml_status status = SCIML_OK;
    if (grown)
        model->extra_points = grown;
    if (!candidates || !u || !r || !grown)
        status = sciml_error(model->ctx, SCIML_ERR_NOMEM, "pinn: out of memory for refinement");
    if (!status)
        status = sciml_pde_sample_interior(model->ctx, &model->pde, rng, SCIML_SAMPLING_UNIFORM, n,
                                           candidates);
    if (!status)
        status = sciml_pinn_evaluate(model, n, candidates, u, r);
    for (int64_t k = 0; !status && k < add; k++) {
        int64_t best = 0;
        for (int64_t i = 1; i < n; i++)
            if (fabs(r[i]) > fabs(r[best]) || !isfinite(r[best]))
                best = i;
        memcpy(model->extra_points + (model->extra_count + k) * d, candidates + best * d,
               (size_t)d * sizeof *candidates);
        r[best] = 0; /* taken */
    }
    if (!status)
        model->extra_count += add;
    free(candidates);
    free(u);
    free(r);
    return status;
}

/* The start of a fresh run: the configured points only, position 0, Adam's state zero. */
static void reset_position(sciml_pinn *model) {
    sciml_train_state *state = &model->state;
    free(model->extra_points);
    model->extra_points = NULL;
    model->extra_count = 0;
    sciml_rng_seed(&state->epoch_rng, model->config.seed ^ RAR_SEED);
    state->epochs_done = state->adam_steps = 0;
    memset(state->adam_m, 0, (size_t)model->param_count * sizeof *state->adam_m);
    memset(state->adam_v, 0, (size_t)model->param_count * sizeof *state->adam_v);
    model->rar_done = 0;
    model->lbfgs_done = 0;
    model->last.adam_steps = model->last.lbfgs_iterations = model->last.lbfgs_evaluations = 0;
    model->last.adam_seconds = model->last.lbfgs_seconds = 0;
}

/* L-BFGS for the iterations left after the position, from model->params on the built graph. */
static sciml_status lbfgs_phase(sciml_pinn *model, train_graph *t, sciml_pinn_progress_fn progress,
                                void *user, int64_t every) {
    sciml_ctx *ctx = model->ctx;
    const sciml_pinn_config *config = &model->config;
    int64_t n = model->param_count;
    sciml_graph *g = t->g;
    double *params = sciml_graph_params(g);
    memcpy(params, model->params, (size_t)n * sizeof *params);
    double *x = malloc((size_t)n * sizeof *x);
    if (!x)
        return sciml_error(ctx, SCIML_ERR_NOMEM, "pinn: out of memory");
    memcpy(x, model->params, (size_t)n * sizeof *x);
    sciml_graph_objective objective = {g, t->loss};
    lbfgs_user lu = {model,
                     t,
                     progress,
                     user,
                     every,
                     model->lbfgs_done,
                     model->last.lbfgs_evaluations,
                     seconds_now(),
                     model->last.lbfgs_seconds,
                     SCIML_OK};
    sciml_lbfgs_options options;
    sciml_lbfgs_options_default(&options);
    options.max_iterations = config->lbfgs_iterations - model->lbfgs_done;
    options.max_evaluations = config->lbfgs_iterations * 5 / 4 + 100 - lu.base_evaluations;
    if (options.max_evaluations < 1)
        options.max_evaluations = 1;
    options.history = 50;
    options.gradient_tolerance = 1e-12;
    options.function_tolerance = 1e-14;
    options.iteration_callback = lbfgs_iteration;
    options.iteration_user = &lu;
    sciml_lbfgs_result result;
    memset(&result, 0, sizeof result);
    sciml_status status = sciml_lbfgs_minimize(ctx, n, x, sciml_graph_objective_evaluate,
                                               &objective, &options, &result);
    model->last.lbfgs_seconds = lu.base_seconds + seconds_now() - lu.started;
    model->last.lbfgs_iterations = lu.base_iterations + result.iterations;
    model->last.lbfgs_evaluations = lu.base_evaluations + result.evaluations;
    if (status == SCIML_OK || status == SCIML_ERR_INTERRUPTED || status == SCIML_ERR_NONFINITE) {
        /* x is the last accepted iterate: finite */
        memcpy(params, x, (size_t)n * sizeof *x);
        sciml_status again = sciml_graph_forward(g, t->loss);
        if (!again && isfinite(sciml_graph_scalar(g, t->loss))) {
            store_params(model, x);
            model->lbfgs_done = model->last.lbfgs_iterations;
            read_terms(model, t, "lbfgs", model->last.lbfgs_iterations, &model->last);
        }
    }
    if (status == SCIML_ERR_NONFINITE)
        status = sciml_error(ctx, SCIML_ERR_NONFINITE,
                             "pinn: L-BFGS found only non-finite losses after iteration "
                             "%lld; keeping its parameters",
                             (long long)model->last.lbfgs_iterations);
    if (!status && lu.status)
        status = lu.status;
    free(x);
    return status;
}

sciml_status sciml_pinn_train(sciml_pinn *model, sciml_pinn_progress_fn progress, void *user,
                              int64_t every) {
    sciml_ctx *ctx = model->ctx;
    const sciml_pinn_config *config = &model->config;
    if (config->unknown >= 0 && model->observation_count == 0)
        return sciml_error(ctx, SCIML_ERR_STATE,
                           "pinn: coefficient %s is unknown but there are no observations",
                           model->pde.coefficient_names[config->unknown]);
    if (every < 1)
        every = 1;
    if (!model->resume_pending)
        reset_position(model);
    model->resume_pending = 0;
    model->start_adam = model->state.epochs_done;
    model->start_lbfgs = model->lbfgs_done;
    train_graph t;
    memset(&t, 0, sizeof t);
    sciml_adam *adam = NULL;
    int stopped = 0;
    int64_t n = model->param_count;
    sciml_status status = train_graph_build(model, &t);
    if (status)
        goto done;
    const int64_t plain = config->adam_iterations, adam_end = adam_total(config);
    if (adam_end > 0 &&
        ((status = sciml_adam_create(ctx, n, NULL, &adam)) ||
         (status = sciml_adam_set_state(adam, model->state.adam_steps, model->state.adam_m,
                                        model->state.adam_v, n))))
        goto done;
    if ((status = adam_phase(model, &t, adam, model->state.epochs_done + 1, plain, progress, user,
                             every, &stopped)) ||
        stopped)
        goto done;
    for (int round = 0; round < config->rar_rounds; round++) {
        if (round >= model->rar_done) { /* not refined yet (a resume may be past it) */
            if ((status = refine(model, &model->state.epoch_rng)))
                goto done;
            model->rar_done = round + 1;
            train_graph_free(&t);
            if ((status = train_graph_build(model, &t)))
                goto done;
            sciml_log(ctx, SCIML_LOG_INFO, "pinn: refinement %d: %lld interior points", round + 1,
                      (long long)(config->interior_count + model->extra_count));
        }
        if ((status = adam_phase(model, &t, adam, model->state.epochs_done + 1,
                                 plain + (round + 1) * config->rar_steps, progress, user, every,
                                 &stopped)) ||
            stopped)
            goto done;
    }
    if (config->lbfgs_iterations > model->lbfgs_done) {
        if (model->lbfgs_done == 0 && sciml_ctx_interrupted(ctx)) {
            status = sciml_error(ctx, SCIML_ERR_INTERRUPTED,
                                 "pinn: interrupted after %lld Adam steps", (long long)adam_end);
            goto done;
        }
        /* the end of Adam counts as a position for periodic checkpoints */
        if (model->lbfgs_done == 0 &&
            checkpoint_due(model, adam_end, model->start_adam, adam_end + 1) &&
            (status = model->checkpoint(model->checkpoint_user)))
            goto done;
        status = lbfgs_phase(model, &t, progress, user, every);
    }
    if (!status && isnan(model->last.loss) && !(status = sciml_graph_forward(t.g, t.loss)))
        read_terms(model, &t, "adam", model->state.epochs_done, &model->last); /* nothing ran */
done:
    sciml_adam_destroy(&adam);
    train_graph_free(&t);
    return status;
}

sciml_status sciml_pinn_check_gradient(sciml_pinn *model, double step, double *max_relative_error) {
    train_graph t;
    sciml_status status = train_graph_build(model, &t);
    if (!status)
        status = sciml_graph_check_gradient(t.g, t.loss, step, max_relative_error);
    train_graph_free(&t);
    return status;
}

void sciml_pinn_last_progress(const sciml_pinn *model, sciml_pinn_progress *progress) {
    *progress = model->last;
}

/* ---- evaluation --------------------------------------------------------------------------------
 */

sciml_status sciml_pinn_evaluate(sciml_pinn *model, int64_t count, const double *points, double *u,
                                 double *residual) {
    sciml_graph *g = model->eval;
    const sciml_pde *pde = &model->pde;
    int d = pde->input_count, streams = sciml_taylor_stream_count(&pde->spec);
    memcpy(sciml_graph_params(g), model->params, (size_t)model->param_count * sizeof(double));
    /* fixed chunks of EVAL_BATCH points, the last one padded with copies of its first point */
    double *chunk = malloc((size_t)EVAL_BATCH * (size_t)d * sizeof *chunk);
    double *stacked = malloc((size_t)EVAL_BATCH * (size_t)streams * (size_t)d * sizeof *stacked);
    int width = pde->output_count > pde->residual_count ? pde->output_count : pde->residual_count;
    double *values = malloc((size_t)EVAL_BATCH * (size_t)width * sizeof *values);
    int hard = model->config.hard_constraints;
    int64_t transform = (int64_t)streams * EVAL_BATCH * pde->output_count;
    double *lift = hard ? malloc((size_t)transform * sizeof *lift) : NULL;
    double *distance = hard ? malloc((size_t)transform * sizeof *distance) : NULL;
    sciml_status status = SCIML_OK;
    if (!chunk || !stacked || !values || (hard && (!lift || !distance)))
        status = sciml_error(model->ctx, SCIML_ERR_NOMEM, "pinn: out of memory");
    for (int64_t start = 0; start < count && !status; start += EVAL_BATCH) {
        int64_t n = count - start < EVAL_BATCH ? count - start : EVAL_BATCH;
        memcpy(chunk, points + start * d, (size_t)n * (size_t)d * sizeof *chunk);
        for (int64_t i = n; i < EVAL_BATCH; i++)
            memcpy(chunk + i * d, chunk, (size_t)d * sizeof *chunk);
        sciml_taylor_seed(&pde->spec, EVAL_BATCH, chunk, stacked);
        if (hard &&
            ((status = sciml_pde_transform_streams(model->ctx, pde, &pde->spec, EVAL_BATCH, chunk,
                                                   lift, distance)) ||
             (status = sciml_graph_set_input(g, model->eval_lift, lift, transform)) ||
             (status = sciml_graph_set_input(g, model->eval_distance, distance, transform))))
            break;
        if ((status = sciml_graph_set_input(g, model->eval_x, stacked,
                                            (int64_t)EVAL_BATCH * streams * d)) ||
            (status =
                 sciml_graph_set_input(g, model->eval_points, chunk, (int64_t)EVAL_BATCH * d)) ||
            (status = sciml_graph_forward(g, model->eval_u)) ||
            (status = sciml_graph_get_value(g, model->eval_u, values,
                                            (int64_t)EVAL_BATCH * pde->output_count)))
            break;
        memcpy(u + start * pde->output_count, values,
               (size_t)(n * pde->output_count) * sizeof *values);
        if (residual) {
            if ((status = sciml_graph_forward(g, model->eval_r)) ||
                (status = sciml_graph_get_value(g, model->eval_r, values,
                                                (int64_t)EVAL_BATCH * pde->residual_count)))
                break;
            memcpy(residual + start * pde->residual_count, values,
                   (size_t)(n * pde->residual_count) * sizeof *values);
        }
    }
    free(chunk);
    free(stacked);
    free(values);
    free(lift);
    free(distance);
    return status;
}

sciml_status sciml_pinn_solution_error(sciml_pinn *model, int64_t count, const double *points,
                                       double *relative_l2) {
    int outputs = model->pde.output_count;
    double *u = malloc((size_t)(count * outputs) * sizeof *u);
    double *ref = malloc((size_t)(count * outputs) * sizeof *ref);
    sciml_status status = SCIML_OK;
    if (!u || !ref)
        status = sciml_error(model->ctx, SCIML_ERR_NOMEM, "pinn: out of memory");
    if (!status)
        status = sciml_pde_solution(model->ctx, &model->pde, count, points, ref);
    if (!status)
        status = sciml_pinn_evaluate(model, count, points, u, NULL);
    for (int c = 0; !status && c < outputs; c++)
        relative_l2[c] =
            sciml_pde_relative_error(&model->pde, c, count, u + c, outputs, ref + c, outputs);
    free(u);
    free(ref);
    return status;
}

const sciml_pinn_config *sciml_pinn_get_config(const sciml_pinn *model) {
    return &model->config;
}

int64_t sciml_pinn_interior_count(const sciml_pinn *model) {
    return model->config.interior_count + model->extra_count;
}

const sciml_pde *sciml_pinn_get_pde(const sciml_pinn *model) {
    return &model->pde;
}

/* ---- files
 * ----------------------------------------------------------------------------------------- */

/* The settings that fix the points and the schedule, as a checkpoint stores them (train_*
 * attributes); all but the learning rate (the last) must be the same to resume. */
enum { SETTING_COUNT = 11 };
static const char *const setting_names[SETTING_COUNT] = {
    "train_interior_count",    "train_adam_iterations", "train_rar_rounds",
    "train_rar_steps",         "train_rar_add",         "train_rar_candidates",
    "train_lbfgs_iterations",  "train_residual_weight", "train_observation_weight",
    "train_observation_count", "train_learning_rate"};

static void settings(const sciml_pinn *model, double *values) {
    const sciml_pinn_config *c = &model->config;
    double v[SETTING_COUNT] = {(double)c->interior_count,
                               (double)c->adam_iterations,
                               (double)c->rar_rounds,
                               (double)c->rar_steps,
                               (double)c->rar_add,
                               (double)c->rar_candidates,
                               (double)c->lbfgs_iterations,
                               c->residual_weight,
                               c->observation_weight,
                               (double)model->observation_count,
                               c->learning_rate};
    memcpy(values, v, sizeof v);
}

/* The per-condition and per-coefficient settings (count values each, 0: not stored). */
static int64_t setting_array(const sciml_pinn *model, int which, double *values) {
    const sciml_pinn_config *c = &model->config;
    int64_t count = which == 2 ? c->pde.coefficient_count : c->pde.condition_count;
    for (int64_t k = 0; k < count; k++)
        values[k] = which == 0   ? (double)c->condition_counts[k]
                    : which == 1 ? c->condition_weights[k]
                                 : c->pde.coefficients[k];
    return count;
}
static const char *const array_names[3] = {"train_condition_counts", "train_condition_weights",
                                           "train_coefficients"};

/* 64-bit FNV-1a of the observations' bytes (points, then values) as 16 hex digits: a resumed
 * inverse problem must learn from the same data. */
static void observation_checksum(const sciml_pinn *model, char *text, size_t size) {
    uint64_t hash = UINT64_C(0xcbf29ce484222325);
    size_t counts[2] = {(size_t)model->observation_count * (size_t)model->pde.input_count,
                        (size_t)model->observation_count};
    const double *arrays[2] = {model->observation_points, model->observation_values};
    for (int k = 0; k < 2; k++) {
        const unsigned char *data = (const unsigned char *)arrays[k];
        for (size_t i = 0; data && i < counts[k] * sizeof(double); i++)
            hash = (hash ^ data[i]) * UINT64_C(0x100000001b3);
    }
    snprintf(text, size, "%016" PRIx64, hash);
}

/* The checkpoint's attributes and variables (before end_def); *points_var gets the refinement
 * points' variable (-1: none). */
static sciml_status define_checkpoint(sciml_pinn *model, sciml_nc_writer *writer,
                                      int64_t *points_var) {
    const sciml_pinn_config *config = &model->config;
    sciml_status status;
    char seed[32], checksum[32];
    snprintf(seed, sizeof seed, "%" PRIu64, config->seed);
    observation_checksum(model, checksum, sizeof checksum);
    double values[SETTING_COUNT], array[SCIML_PDE_MAX_CONDITIONS + SCIML_PDE_MAX_COEFFICIENTS];
    settings(model, values);
    *points_var = -1;
    if ((status = sciml_train_state_define(writer, &model->state)) ||
        (status =
             sciml_nc_put_att_int(writer, SCIML_NC_GLOBAL, "rar_rounds_done", model->rar_done)) ||
        (status = sciml_nc_put_att_int(writer, SCIML_NC_GLOBAL, "lbfgs_iterations_done",
                                       model->lbfgs_done)) ||
        (status = sciml_nc_put_att_int(writer, SCIML_NC_GLOBAL, "lbfgs_evaluations",
                                       model->last.lbfgs_evaluations)) ||
        (status = sciml_nc_put_att_double(writer, SCIML_NC_GLOBAL, "adam_seconds", SCIML_NC_DOUBLE,
                                          &model->last.adam_seconds, 1)) ||
        (status = sciml_nc_put_att_double(writer, SCIML_NC_GLOBAL, "lbfgs_seconds", SCIML_NC_DOUBLE,
                                          &model->last.lbfgs_seconds, 1)) ||
        (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "train_seed", seed)) ||
        (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "train_sampling",
                                        sciml_sampling_name(config->sampling))) ||
        (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "train_observation_checksum",
                                        checksum)))
        return status;
    for (int k = 0; k < SETTING_COUNT; k++)
        if ((status = sciml_nc_put_att_double(writer, SCIML_NC_GLOBAL, setting_names[k],
                                              SCIML_NC_DOUBLE, &values[k], 1)))
            return status;
    for (int which = 0; which < 3; which++) {
        int64_t count = setting_array(model, which, array);
        if (count > 0 &&
            (status = sciml_nc_put_att_double(writer, SCIML_NC_GLOBAL, array_names[which],
                                              SCIML_NC_DOUBLE, array, count)))
            return status;
    }
    if (model->extra_count > 0) {
        int64_t dims[2];
        if ((status = sciml_nc_def_dim(writer, "rar_point", model->extra_count, &dims[0])) ||
            (status = sciml_nc_def_dim(writer, "rar_input", model->pde.input_count, &dims[1])) ||
            (status = sciml_nc_def_var(writer, "rar_points", SCIML_NC_DOUBLE, 2, dims, points_var)))
            return status;
    }
    return SCIML_OK;
}

static sciml_status write_file(sciml_pinn *model, const char *path,
                               const sciml_model_provenance *provenance, int checkpoint) {
    sciml_ctx *ctx = model->ctx;
    const sciml_pinn_config *config = &model->config;
    memcpy(sciml_graph_params(model->eval), model->params,
           (size_t)model->param_count * sizeof(double));
    sciml_nc_writer *writer = NULL;
    sciml_status status = sciml_nc_writer_create(ctx, path, NULL, &writer);
    if (status)
        return status;
    char hidden[256] = "";
    for (int l = 0; l < config->hidden_count; l++)
        snprintf(hidden + strlen(hidden), sizeof hidden - strlen(hidden), "%s%lld", l ? "," : "",
                 (long long)config->hidden[l]);
    int64_t fourier_var = -1, m = config->fourier_features, d = model->pde.input_count;
    if (m > 0) {
        int64_t dims[2];
        if ((status = sciml_nc_def_dim(writer, "fourier_input", d, &dims[0])) ||
            (status = sciml_nc_def_dim(writer, "fourier_feature", m, &dims[1])) ||
            (status = sciml_nc_def_var(writer, "fourier_frequencies", SCIML_NC_DOUBLE, 2, dims,
                                       &fourier_var)) ||
            (status = sciml_nc_put_att_double(writer, SCIML_NC_GLOBAL, "fourier_sigma",
                                              SCIML_NC_DOUBLE, &config->fourier_sigma, 1)))
            goto fail;
    }
    if ((status = sciml_nc_put_att_int(writer, SCIML_NC_GLOBAL, "fourier_features", m)) ||
        (status = sciml_params_define(writer, model->eval)) ||
        (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "sciml_kind",
                                        checkpoint ? "checkpoint" : "model")) ||
        (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "sciml_model", "pinn")) ||
        (status =
             sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "sciml_version", sciml_version())) ||
        (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "pde", model->pde.name)) ||
        (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "hidden", hidden)) ||
        (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "activation",
                                        sciml_activation_name(config->activation))) ||
        (status = sciml_nc_put_att_text(
             writer, SCIML_NC_GLOBAL, "unknown",
             config->unknown >= 0 ? model->pde.coefficient_names[config->unknown] : "")) ||
        (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "output_transform",
                                        config->hard_constraints ? sciml_pde_transform(&model->pde)
                                                                 : "")))
        goto fail;
    for (int k = 0; k < model->pde.coefficient_count; k++)
        if ((status =
                 sciml_nc_put_att_double(writer, SCIML_NC_GLOBAL, model->pde.coefficient_names[k],
                                         SCIML_NC_DOUBLE, &model->pde.coefficients[k], 1)))
            goto fail;
    if (provenance) {
        char seed[32];
        snprintf(seed, sizeof seed, "%" PRIu64, provenance->seed);
        if ((status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "sciml_seed", seed)) ||
            (provenance->command &&
             ((status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "sciml_command",
                                              provenance->command)) ||
              (status = sciml_nc_append_history(writer, provenance->command)))))
            goto fail;
    }
    int64_t points_var = -1;
    if (checkpoint && (status = define_checkpoint(model, writer, &points_var)))
        goto fail;
    if ((status = sciml_nc_end_def(writer)) ||
        (m > 0 && (status = sciml_nc_write_var(writer, fourier_var, 0, d * m, model->fourier))) ||
        (status = sciml_params_write(writer, model->eval)) ||
        (checkpoint && (status = sciml_train_state_write(writer, &model->state))) ||
        (points_var >= 0 &&
         (status = sciml_nc_write_var(writer, points_var, 0, model->extra_count * d,
                                      model->extra_points))))
        goto fail;
    return sciml_nc_writer_close(&writer);
fail:
    sciml_nc_writer_abort(&writer);
    return status;
}

sciml_status sciml_pinn_write(sciml_pinn *model, const char *path,
                              const sciml_model_provenance *provenance) {
    return write_file(model, path, provenance, 0);
}

sciml_status sciml_pinn_write_checkpoint(sciml_pinn *model, const char *path,
                                         const sciml_model_provenance *provenance) {
    return write_file(model, path, provenance, 1);
}

static sciml_status read_text(sciml_ctx *ctx, sciml_nc_reader *reader, const char *name,
                              const char **text) {
    sciml_status status = sciml_nc_get_att_text(reader, SCIML_NC_GLOBAL, name, text, NULL);
    if (status == SCIML_ERR_NOT_FOUND || status == SCIML_ERR_FORMAT)
        return sciml_error(ctx, SCIML_ERR_FORMAT,
                           "%s: model attribute '%s' is missing or not text, expected a pinn "
                           "model file",
                           sciml_nc_name(reader), name);
    return status;
}

/* The text attributes that name a file's network: problem, hidden sizes, activation, unknown. */
static sciml_status read_network_text(sciml_ctx *ctx, sciml_nc_reader *reader, const char **pde,
                                      const char **hidden, const char **activation,
                                      const char **unknown) {
    sciml_status status;
    if ((status = read_text(ctx, reader, "pde", pde)) ||
        (status = read_text(ctx, reader, "hidden", hidden)) ||
        (status = read_text(ctx, reader, "activation", activation)))
        return status;
    return read_text(ctx, reader, "unknown", unknown);
}

sciml_status sciml_pinn_read(sciml_ctx *ctx, const char *path, sciml_pinn **out) {
    *out = NULL;
    sciml_nc_reader *reader = NULL;
    sciml_pinn *model = NULL;
    sciml_status status = sciml_nc_open(ctx, path, &reader);
    if (status)
        return status;
    const char *kind = NULL, *model_name = NULL, *pde_name = NULL, *hidden = NULL,
               *activation = NULL, *unknown = NULL;
    if ((status = read_text(ctx, reader, "sciml_kind", &kind)) ||
        (status = read_text(ctx, reader, "sciml_model", &model_name)))
        goto done;
    if ((strcmp(kind, "model") && strcmp(kind, "checkpoint")) || strcmp(model_name, "pinn")) {
        status = sciml_error(ctx, SCIML_ERR_FORMAT,
                             "%s: sciml_kind '%s', sciml_model '%s': expected a pinn model or "
                             "checkpoint",
                             path, kind, model_name);
        goto done;
    }
    if ((status = read_network_text(ctx, reader, &pde_name, &hidden, &activation, &unknown)))
        goto done;
    sciml_pde pde;
    if ((status = sciml_pde_init(ctx, pde_name, &pde))) {
        status = sciml_error(ctx, SCIML_ERR_FORMAT, "%s: %s", path, sciml_ctx_message(ctx));
        goto done;
    }
    for (int k = 0; k < pde.coefficient_count; k++) {
        double value;
        int64_t length = 0;
        if (sciml_nc_get_att_double(reader, SCIML_NC_GLOBAL, pde.coefficient_names[k], &value, 1,
                                    &length) ||
            length != 1 || sciml_pde_set_coefficient(ctx, &pde, pde.coefficient_names[k], value)) {
            status = sciml_error(ctx, SCIML_ERR_FORMAT,
                                 "%s: coefficient attribute '%s' is missing or invalid, expected "
                                 "one valid number",
                                 path, pde.coefficient_names[k]);
            goto done;
        }
    }
    sciml_pinn_config config;
    sciml_pinn_config_default(&config, &pde);
    if (sciml_parse_hidden(ctx, hidden, config.hidden, SCIML_PINN_MAX_HIDDEN,
                           &config.hidden_count) ||
        sciml_activation_parse(activation, &config.activation)) {
        status = sciml_error(ctx, SCIML_ERR_FORMAT,
                             "%s: model attributes hidden '%s' / activation '%s' are invalid", path,
                             hidden, activation);
        goto done;
    }
    int64_t features = 0; /* absent (files before the embedding): none */
    double stored = 0;
    int64_t stored_length = 0;
    if (sciml_nc_get_att_double(reader, SCIML_NC_GLOBAL, "fourier_features", &stored, 1,
                                &stored_length) == SCIML_OK &&
        (status =
             sciml_model_read_integers(ctx, reader, "fourier_features", 1, 0, 4096, &features)))
        goto done;
    config.fourier_features = features;
    if (features > 0) {
        int64_t length = 0;
        if (sciml_nc_get_att_double(reader, SCIML_NC_GLOBAL, "fourier_sigma", &config.fourier_sigma,
                                    1, &length) ||
            length != 1 || !(config.fourier_sigma > 0)) {
            status = sciml_error(ctx, SCIML_ERR_FORMAT,
                                 "%s: attribute fourier_sigma is missing or invalid, expected "
                                 "one number > 0",
                                 path);
            goto done;
        }
    }
    /* absent (files before hard constraints) or empty: u = N */
    const char *transform = NULL;
    sciml_status found =
        sciml_nc_get_att_text(reader, SCIML_NC_GLOBAL, "output_transform", &transform, NULL);
    if (found && found != SCIML_ERR_NOT_FOUND) {
        status = sciml_error(ctx, SCIML_ERR_FORMAT,
                             "%s: attribute output_transform is not text, expected the formula "
                             "of the output transform or an empty text",
                             path);
        goto done;
    }
    if (!found && transform[0]) {
        const char *expected = sciml_pde_transform(&pde);
        if (!expected || strcmp(transform, expected)) {
            status = sciml_error(ctx, SCIML_ERR_FORMAT,
                                 "%s: output_transform '%s' is not the transform of %s, expected "
                                 "'%s' or none",
                                 path, transform, pde.name, expected ? expected : "");
            goto done;
        }
        config.hard_constraints = 1;
    }
    config.unknown = unknown[0] ? sciml_pde_coefficient_index(&pde, unknown) : -1;
    if (unknown[0] && config.unknown < 0) {
        status = sciml_error(ctx, SCIML_ERR_FORMAT,
                             "%s: unknown coefficient '%s' is not a coefficient of %s", path,
                             unknown, pde.name);
        goto done;
    }
    if ((status = sciml_pinn_create(ctx, &config, &model)) ||
        (features > 0 &&
         ((status = sciml_model_read_vector(ctx, reader, "fourier_frequencies",
                                            pde.input_count * features, 0, model->fourier)) ||
          (status = upload_fourier(model, model->eval, &model->eval_net)))) ||
        (status = sciml_params_read(ctx, reader, model->eval)))
        goto done;
    store_params(model, sciml_graph_params(model->eval));
    *out = model;
    model = NULL;
done:
    sciml_pinn_destroy(&model);
    sciml_nc_close(&reader);
    return status;
}

/* ---- resumable training ------------------------------------------------------------------- */

void sciml_pinn_get_position(const sciml_pinn *model, sciml_pinn_position *position) {
    position->adam_steps = model->state.epochs_done;
    position->rar_rounds = model->rar_done;
    position->lbfgs_iterations = model->lbfgs_done;
}

const double *sciml_pinn_parameters(const sciml_pinn *model, int64_t *count) {
    if (count)
        *count = model->param_count;
    return model->params;
}

void sciml_pinn_set_checkpoint(sciml_pinn *model, int64_t every, sciml_train_checkpoint_fn fn,
                               void *user) {
    model->checkpoint_every = fn ? every : 0;
    model->checkpoint = every > 0 ? fn : NULL;
    model->checkpoint_user = user;
}

/* The file's network (problem, hidden, activation, unknown, Fourier features, output transform)
 * against the model's: SCIML_ERR_FORMAT naming the first difference. */
static sciml_status check_network(sciml_pinn *model, sciml_nc_reader *reader) {
    sciml_ctx *ctx = model->ctx;
    const sciml_pinn_config *config = &model->config;
    const char *name = sciml_nc_name(reader), *pde_name, *hidden, *activation, *unknown;
    sciml_status status;
    if ((status = read_network_text(ctx, reader, &pde_name, &hidden, &activation, &unknown)))
        return status;
    const char *expected_unknown =
        config->unknown >= 0 ? model->pde.coefficient_names[config->unknown] : "";
    char wanted[256] = "";
    for (int l = 0; l < config->hidden_count; l++)
        snprintf(wanted + strlen(wanted), sizeof wanted - strlen(wanted), "%s%lld", l ? "," : "",
                 (long long)config->hidden[l]);
    /* (attribute, the file's text, this run's) */
    const char *const pairs[4][3] = {
        {"pde", pde_name, model->pde.name},
        {"hidden", hidden, wanted},
        {"activation", activation, sciml_activation_name(config->activation)},
        {"unknown", unknown[0] ? unknown : "(none)",
         expected_unknown[0] ? expected_unknown : "(none)"}};
    for (int k = 0; k < 4; k++)
        if (strcmp(pairs[k][1], pairs[k][2]))
            return sciml_error(ctx, SCIML_ERR_FORMAT,
                               "%s: %s '%s', this run has '%s': expected a model or checkpoint of "
                               "the same network",
                               name, pairs[k][0], pairs[k][1], pairs[k][2]);
    double features = 0, sigma = 0;
    sciml_nc_get_att_double(reader, SCIML_NC_GLOBAL, "fourier_features", &features, 1, NULL);
    if (features > 0)
        sciml_nc_get_att_double(reader, SCIML_NC_GLOBAL, "fourier_sigma", &sigma, 1, NULL);
    if (features != (double)config->fourier_features ||
        (features > 0 && sigma != config->fourier_sigma))
        return sciml_error(ctx, SCIML_ERR_FORMAT,
                           "%s: %g Fourier features of sigma %g, this run has %lld of sigma %g: "
                           "expected a model or checkpoint of the same network",
                           name, features, sigma, (long long)config->fourier_features,
                           config->fourier_features > 0 ? config->fourier_sigma : 0.0);
    const char *transform = NULL;
    int hard = sciml_nc_get_att_text(reader, SCIML_NC_GLOBAL, "output_transform", &transform,
                                     NULL) == SCIML_OK &&
               transform[0];
    sciml_ctx_clear_error(ctx);
    if (hard != config->hard_constraints)
        return sciml_error(ctx, SCIML_ERR_FORMAT,
                           "%s: %s output transform, this run %s: expected a model or checkpoint "
                           "of the same network (--hard-bc)",
                           name, hard ? "an" : "no", hard ? "has none" : "has one");
    return SCIML_OK;
}

/* The checkpoint's settings (train_*) against the model's configuration. */
static sciml_status check_settings(sciml_pinn *model, sciml_nc_reader *reader) {
    sciml_ctx *ctx = model->ctx;
    const char *name = sciml_nc_name(reader), *seed = NULL, *sampling = NULL;
    char wanted_seed[32];
    snprintf(wanted_seed, sizeof wanted_seed, "%" PRIu64, model->config.seed);
    if (sciml_nc_get_att_text(reader, SCIML_NC_GLOBAL, "train_seed", &seed, NULL) ||
        sciml_nc_get_att_text(reader, SCIML_NC_GLOBAL, "train_sampling", &sampling, NULL)) {
        sciml_ctx_clear_error(ctx);
        return sciml_error(ctx, SCIML_ERR_FORMAT,
                           "%s: checkpoint attributes train_seed or train_sampling are missing, "
                           "expected a pinn checkpoint from sciml-train",
                           name);
    }
    if (strcmp(seed, wanted_seed))
        return sciml_error(ctx, SCIML_ERR_FORMAT,
                           "%s: the checkpoint was made with seed %s, this run has %s: expected "
                           "the configuration of the run that made it",
                           name, seed, wanted_seed);
    if (strcmp(sampling, sciml_sampling_name(model->config.sampling)))
        return sciml_error(ctx, SCIML_ERR_FORMAT,
                           "%s: the checkpoint was made with sampling %s, this run has %s: "
                           "expected the configuration of the run that made it",
                           name, sampling, sciml_sampling_name(model->config.sampling));
    double wanted[SETTING_COUNT];
    settings(model, wanted);
    char checksum[32];
    const char *stored_checksum = NULL;
    observation_checksum(model, checksum, sizeof checksum);
    if (model->observation_count > 0 &&
        (sciml_nc_get_att_text(reader, SCIML_NC_GLOBAL, "train_observation_checksum",
                               &stored_checksum, NULL) ||
         strcmp(stored_checksum, checksum))) {
        sciml_ctx_clear_error(ctx);
        return sciml_error(ctx, SCIML_ERR_FORMAT,
                           "%s: the checkpoint was made with other observations (checksum %s, "
                           "this run's %s): expected the data of the run that made it",
                           name, stored_checksum ? stored_checksum : "none", checksum);
    }
    for (int k = 0; k < SETTING_COUNT - 1; k++) { /* the learning rate may differ */
        double value = NAN;
        int64_t length = 0;
        sciml_status found =
            sciml_nc_get_att_double(reader, SCIML_NC_GLOBAL, setting_names[k], &value, 1, &length);
        sciml_ctx_clear_error(ctx);
        if (found || length != 1 || value != wanted[k])
            return sciml_error(ctx, SCIML_ERR_FORMAT,
                               "%s: the checkpoint has %s = %.17g, this run %.17g: expected the "
                               "configuration of the run that made it",
                               name, setting_names[k], found || length != 1 ? NAN : value,
                               wanted[k]);
    }
    double array[SCIML_PDE_MAX_CONDITIONS + SCIML_PDE_MAX_COEFFICIENTS];
    double stored[SCIML_PDE_MAX_CONDITIONS + SCIML_PDE_MAX_COEFFICIENTS];
    for (int which = 0; which < 3; which++) {
        int64_t count = setting_array(model, which, array), length = 0;
        if (count == 0)
            continue;
        sciml_status found = sciml_nc_get_att_double(reader, SCIML_NC_GLOBAL, array_names[which],
                                                     stored, count, &length);
        sciml_ctx_clear_error(ctx);
        int same = !found && length == count;
        for (int64_t k = 0; same && k < count; k++)
            same = stored[k] == array[k];
        if (!same)
            return sciml_error(ctx, SCIML_ERR_FORMAT,
                               "%s: the checkpoint's %s differ from this run's: expected the "
                               "configuration of the run that made it",
                               name, array_names[which]);
    }
    return SCIML_OK;
}

sciml_status sciml_pinn_resume(sciml_pinn *model, const char *path, int *is_checkpoint) {
    sciml_ctx *ctx = model->ctx;
    const sciml_pinn_config *config = &model->config;
    int d = model->pde.input_count;
    int64_t n = model->param_count, m = config->fourier_features;
    sciml_nc_reader *reader = NULL;
    sciml_train_state state;
    sciml_train_state_init(&state, 0);
    double *fourier = NULL, *points = NULL;
    int64_t rar_done = 0, lbfgs_done = 0, evaluations = 0, extra = 0;
    double adam_seconds = 0, lbfgs_seconds = 0;
    const char *kind = NULL, *model_name = NULL;
    sciml_status status = sciml_nc_open(ctx, path, &reader);
    if (status)
        return status;
    if ((status = read_text(ctx, reader, "sciml_kind", &kind)) ||
        (status = read_text(ctx, reader, "sciml_model", &model_name)))
        goto done;
    int checkpoint = !strcmp(kind, "checkpoint");
    if ((!checkpoint && strcmp(kind, "model")) || strcmp(model_name, "pinn")) {
        status = sciml_error(ctx, SCIML_ERR_FORMAT,
                             "%s: sciml_kind '%s', sciml_model '%s': expected a pinn checkpoint "
                             "(or model)",
                             path, kind, model_name);
        goto done;
    }
    if ((status = check_network(model, reader)) ||
        (checkpoint && (status = check_settings(model, reader))))
        goto done;
    if (m > 0) {
        fourier = malloc((size_t)(d * m) * sizeof *fourier);
        if (!fourier) {
            status = sciml_error(ctx, SCIML_ERR_NOMEM, "pinn: out of memory");
            goto done;
        }
        if ((status =
                 sciml_model_read_vector(ctx, reader, "fourier_frequencies", d * m, 0, fourier)))
            goto done;
    }
    /* into the evaluation graph's parameters (scratch: evaluation copies params in first) */
    if ((status = sciml_params_read(ctx, reader, model->eval)))
        goto done;
    if (checkpoint) {
        const int64_t adam_end = adam_total(config);
        if ((status = sciml_train_state_read(ctx, reader, n, &state)) ||
            (status = sciml_model_read_integers(ctx, reader, "rar_rounds_done", 1, 0,
                                                config->rar_rounds, &rar_done)) ||
            (status = sciml_model_read_integers(ctx, reader, "lbfgs_iterations_done", 1, 0,
                                                config->lbfgs_iterations, &lbfgs_done)) ||
            (status = sciml_model_read_integers(ctx, reader, "lbfgs_evaluations", 1, 0,
                                                INT64_C(1) << 50, &evaluations)))
            goto done;
        if (sciml_nc_get_att_double(reader, SCIML_NC_GLOBAL, "adam_seconds", &adam_seconds, 1,
                                    NULL) ||
            sciml_nc_get_att_double(reader, SCIML_NC_GLOBAL, "lbfgs_seconds", &lbfgs_seconds, 1,
                                    NULL))
            sciml_ctx_clear_error(ctx); /* times only: 0 */
        extra = rar_done * config->rar_add;
        int64_t done = state.epochs_done;
        int64_t round_start = config->adam_iterations + (rar_done - 1) * config->rar_steps;
        int fits =
            done <= adam_end && state.optimizer == SCIML_OPTIMIZER_ADAM &&
            (rar_done == 0 ? done <= config->adam_iterations
                           : done >= round_start && done <= round_start + config->rar_steps) &&
            (lbfgs_done == 0 || (done == adam_end && rar_done == config->rar_rounds));
        if (!fits) {
            status = sciml_error(ctx, SCIML_ERR_FORMAT,
                                 "%s: the position (Adam step %lld, refinement round %lld, "
                                 "L-BFGS iteration %lld) is not one of this schedule",
                                 path, (long long)done, (long long)rar_done, (long long)lbfgs_done);
            goto done;
        }
        if (extra > 0) {
            points = malloc((size_t)(extra * d) * sizeof *points);
            if (!points) {
                status = sciml_error(ctx, SCIML_ERR_NOMEM, "pinn: out of memory");
                goto done;
            }
            if ((status = sciml_model_read_vector(ctx, reader, "rar_points", extra * d, 0, points)))
                goto done;
        }
    }
    /* everything read: the model takes it */
    if (m > 0) {
        memcpy(model->fourier, fourier, (size_t)(d * m) * sizeof *fourier);
        if ((status = upload_fourier(model, model->eval, &model->eval_net)))
            goto done;
    }
    store_params(model, sciml_graph_params(model->eval));
    free(model->extra_points);
    model->extra_points = points;
    model->extra_count = extra;
    points = NULL;
    if (checkpoint) {
        sciml_train_state_free(&model->state);
        model->state = state;
        sciml_train_state_init(&state, 0); /* moved */
        model->rar_done = (int)rar_done;
        model->lbfgs_done = lbfgs_done;
        model->last.adam_steps = model->state.epochs_done;
        model->last.adam_seconds = adam_seconds;
        model->last.lbfgs_iterations = lbfgs_done;
        model->last.lbfgs_evaluations = evaluations;
        model->last.lbfgs_seconds = lbfgs_seconds;
    }
    model->resume_pending = checkpoint;
    if (is_checkpoint)
        *is_checkpoint = checkpoint;
done:
    sciml_train_state_free(&state);
    free(fourier);
    free(points);
    sciml_nc_close(&reader);
    return status;
}
