/* Neural ODE / universal differential equation model (sciml/node_model.h).
 *
 * Graph, for a batch of B trajectories with d = n + augmented states:
 *   state (B, d) input with gradient, time (B, 1) input, cotangent (B, d) input
 *   features = state or state^3, [features, time] when the time is an input
 *   f = MLP(features) (B, d)  [+ known(state; c)]
 *   vjp = sum(f * cotangent)  (scalar): its reverse pass gives d vjp / d state = lambda^T df/dy
 *                             row by row and d vjp / d theta = lambda^T df/dtheta.
 * The CVODES state is the (B, d) block row-major, so the graph reads it in place.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "models/model_file.h"
#include "sciml/netcdf.h"
#include "sciml/node_model.h"
#include "sciml/optim.h"
#include "sciml/trainer.h"

struct sciml_node_model {
    sciml_ctx *ctx;
    sciml_node_config config;
    int64_t dims; /* d = n + augmented */
    sciml_graph *graph;
    sciml_mlp mlp;
    sciml_node state, time, cotangent, f, vjp, coefficients;
    /* per solve */
    int64_t batch;
    const double *time_offsets;
    double *time_column; /* (max_batch) */
    double *ones;        /* (max_batch, d) unit cotangents for the Jacobian */
    double *row_grad;    /* (max_batch, d) */
    /* the loss on observed points */
    const double *observed;
    int64_t time_count;
    double *work; /* (max_batch, d) initial states */
    /* the solved states (time, batch, d) of the last solve, grown on demand and kept, so that
     * training steps do not allocate */
    double *states;
    int64_t states_capacity;
    /* training */
    int64_t iterations_done;
    /* Adam's moments and the position in the current schedule (epochs_done counts its
     * iterations, epoch_rng is the segment sampler after them): what a checkpoint keeps so
     * that a resumed run continues bit for bit. has_position is 0 for a fresh model or one
     * read from a model file. */
    sciml_train_state position;
    double window_start, window_end;
    sciml_node_solve_options solve;
};

static const char *const solver_names[] = {"cvodes-adams", "cvodes-bdf", "dopri5"};
static const char *const gradient_names[] = {"adjoint", "direct", "forward"};

const char *sciml_node_solver_name(sciml_node_solver solver) {
    return (unsigned)solver < 3 ? solver_names[solver] : "unknown";
}

sciml_status sciml_node_solver_parse(sciml_ctx *ctx, const char *name, sciml_node_solver *out) {
    for (int i = 0; name && i < 3; i++)
        if (!strcmp(name, solver_names[i])) {
            *out = (sciml_node_solver)i;
            return SCIML_OK;
        }
    return sciml_error(ctx, SCIML_ERR_NOT_FOUND,
                       "unknown solver '%s': expected cvodes-adams, cvodes-bdf or dopri5",
                       name ? name : "(null)");
}

const char *sciml_node_gradient_name(sciml_node_gradient gradient) {
    return (unsigned)gradient < 3 ? gradient_names[gradient] : "unknown";
}

sciml_status sciml_node_gradient_parse(sciml_ctx *ctx, const char *name, sciml_node_gradient *out) {
    for (int i = 0; name && i < 3; i++)
        if (!strcmp(name, gradient_names[i])) {
            *out = (sciml_node_gradient)i;
            return SCIML_OK;
        }
    return sciml_error(ctx, SCIML_ERR_NOT_FOUND,
                       "unknown gradient '%s': expected adjoint, direct or forward",
                       name ? name : "(null)");
}

void sciml_node_config_default(sciml_node_config *config) {
    memset(config, 0, sizeof *config);
    config->state_size = 2;
    config->use_mlp = 1;
    config->hidden_count = 1;
    config->hidden[0] = 50;
    config->activation = SCIML_ACT_TANH;
    config->max_batch = 64;
}

void sciml_node_solve_options_default(sciml_node_solve_options *options) {
    options->solver = SCIML_NODE_CVODES_ADAMS;
    options->gradient = SCIML_NODE_ADJOINT;
    options->relative_tolerance = 1e-7;
    options->absolute_tolerance = 1e-9;
    options->max_steps = 100000;
    options->fixed_step = 0.0;
}

static sciml_status check_config(sciml_ctx *ctx, const sciml_node_config *c) {
    if (c->state_size < 1 || c->state_size > SCIML_ODE_MAX_STATE || c->augmented < 0 ||
        c->augmented > 16 || c->max_batch < 1 || c->max_batch > (INT64_C(1) << 20))
        return sciml_error(ctx, SCIML_ERR_RANGE,
                           "node: state size %lld (expected 1..%d), augmented %lld (0..16), "
                           "max batch %lld (1..2^20)",
                           (long long)c->state_size, SCIML_ODE_MAX_STATE, (long long)c->augmented,
                           (long long)c->max_batch);
    if (!c->use_mlp && c->known == SCIML_NODE_KNOWN_NONE)
        return sciml_error(ctx, SCIML_ERR_ARG, "node: the model needs an MLP or known terms");
    if (c->known == SCIML_NODE_KNOWN_LOTKA_VOLTERRA && (c->state_size != 2 || c->augmented))
        return sciml_error(ctx, SCIML_ERR_ARG,
                           "node: Lotka-Volterra terms need 2 states and no augmented ones, "
                           "got %lld and %lld",
                           (long long)c->state_size, (long long)c->augmented);
    if (c->known == SCIML_NODE_KNOWN_ROBERTSON && (c->state_size != 3 || c->augmented))
        return sciml_error(ctx, SCIML_ERR_ARG,
                           "node: Robertson terms need 3 states and no augmented ones, got %lld "
                           "and %lld",
                           (long long)c->state_size, (long long)c->augmented);
    if (c->use_mlp && (c->hidden_count < 0 || c->hidden_count > SCIML_MAX_HIDDEN_LAYERS))
        return sciml_error(ctx, SCIML_ERR_RANGE, "node: %d hidden layers, expected 0..%d",
                           c->hidden_count, SCIML_MAX_HIDDEN_LAYERS);
    return SCIML_OK;
}

/* known(y; c) = (a x - b x y, d x y - g y) from the coefficient parameter (4). */
static sciml_node lotka_volterra(sciml_graph *g, sciml_node state, sciml_node c) {
    sciml_node x = sciml_slice(g, state, 1, 0, 1), y = sciml_slice(g, state, 1, 1, 2);
    sciml_node a = sciml_slice(g, c, 0, 0, 1), b = sciml_slice(g, c, 0, 1, 2);
    sciml_node gamma = sciml_slice(g, c, 0, 2, 3), delta = sciml_slice(g, c, 0, 3, 4);
    sciml_node xy = sciml_mul(g, x, y);
    sciml_node dx = sciml_sub(g, sciml_mul(g, x, a), sciml_mul(g, xy, b));
    sciml_node dy = sciml_sub(g, sciml_mul(g, xy, delta), sciml_mul(g, y, gamma));
    sciml_node parts[2] = {dx, dy};
    return sciml_concat(g, 2, parts, 1);
}

/* Robertson's kinetics with rates k = exp(c) (log-rates, so that 0.04, 1e4 and 3e7 are all
 * within reach of the same optimizer): r1 = k1 y1, r2 = k2 y2 y3, r3 = k3 y2^2,
 * known = (-r1 + r2, r1 - r2 - r3, r3). */
static sciml_node robertson(sciml_graph *g, sciml_node state, sciml_node c) {
    sciml_node y1 = sciml_slice(g, state, 1, 0, 1), y2 = sciml_slice(g, state, 1, 1, 2);
    sciml_node y3 = sciml_slice(g, state, 1, 2, 3), k = sciml_exp(g, c);
    sciml_node r1 = sciml_mul(g, y1, sciml_slice(g, k, 0, 0, 1));
    sciml_node r2 = sciml_mul(g, sciml_mul(g, y2, y3), sciml_slice(g, k, 0, 1, 2));
    sciml_node r3 = sciml_mul(g, sciml_square(g, y2), sciml_slice(g, k, 0, 2, 3));
    sciml_node parts[3] = {sciml_sub(g, r2, r1), sciml_sub(g, sciml_sub(g, r1, r2), r3), r3};
    return sciml_concat(g, 3, parts, 1);
}

static sciml_status build_graph(sciml_node_model *m, uint64_t seed) {
    const sciml_node_config *c = &m->config;
    sciml_graph *g = m->graph;
    int64_t d = m->dims, shape[2] = {SCIML_BATCH, d};
    m->state = sciml_graph_input_with_grad(g, "state", 2, shape);
    m->cotangent = sciml_graph_input(g, "cotangent", 2, shape);
    sciml_node features = m->state, f = SCIML_NO_NODE;
    if (c->cube_input)
        features = sciml_mul(g, sciml_square(g, m->state), m->state);
    m->time = SCIML_NO_NODE;
    if (c->time_input) {
        int64_t time_shape[2] = {SCIML_BATCH, 1};
        m->time = sciml_graph_input(g, "time", 2, time_shape);
        sciml_node parts[2] = {features, m->time};
        features = sciml_concat(g, 2, parts, 1);
    }
    sciml_status status;
    m->coefficients = SCIML_NO_NODE;
    if (c->known == SCIML_NODE_KNOWN_LOTKA_VOLTERRA) {
        int64_t four = 4;
        m->coefficients = sciml_graph_param(g, "known.coefficients", 1, &four);
        f = lotka_volterra(g, m->state, m->coefficients);
    } else if (c->known == SCIML_NODE_KNOWN_ROBERTSON) {
        int64_t three = 3;
        m->coefficients = sciml_graph_param(g, "known.log_rates", 1, &three);
        f = robertson(g, m->state, m->coefficients);
    }
    if (c->use_mlp) {
        status = sciml_mlp_create(m->ctx, g, "f", d + (c->time_input ? 1 : 0), c->hidden_count,
                                  c->hidden, d, c->activation, &m->mlp);
        if (status)
            return status;
        sciml_node correction = sciml_mlp_apply(g, &m->mlp, features);
        f = f == SCIML_NO_NODE ? correction : sciml_add(g, f, correction);
    }
    m->f = f;
    m->vjp = sciml_sum(g, sciml_mul(g, f, m->cotangent), SCIML_ALL_AXES);
    if ((status = sciml_graph_build(g, c->max_batch)))
        return status;
    if (c->use_mlp) {
        sciml_rng rng;
        sciml_rng_seed(&rng, seed);
        if ((status = sciml_mlp_init(m->ctx, g, &m->mlp, SCIML_INIT_AUTO, &rng)))
            return status;
    }
    if (m->coefficients != SCIML_NO_NODE)
        memcpy(sciml_graph_params(g) + sciml_graph_param_offset(g, m->coefficients),
               c->known_initial, (size_t)sciml_graph_count(g, m->coefficients) * sizeof(double));
    return SCIML_OK;
}

sciml_status sciml_node_model_create(sciml_ctx *ctx, const sciml_node_config *config, uint64_t seed,
                                     sciml_node_model **out) {
    if (!out || !config)
        return sciml_error(ctx, SCIML_ERR_ARG, "node: config and out are required");
    *out = NULL;
    sciml_status status = check_config(ctx, config);
    if (status)
        return status;
    sciml_node_model *m = calloc(1, sizeof *m);
    if (!m)
        return sciml_error(ctx, SCIML_ERR_NOMEM, "node: out of memory");
    m->ctx = ctx;
    m->config = *config;
    m->window_start = m->window_end = NAN;
    sciml_node_solve_options_default(&m->solve);
    m->dims = config->state_size + config->augmented;
    size_t rows = (size_t)config->max_batch;
    m->time_column = calloc(rows * (size_t)(3 * m->dims + 1), sizeof(double));
    if (!m->time_column) {
        free(m);
        return sciml_error(ctx, SCIML_ERR_NOMEM, "node: out of memory for batch %lld",
                           (long long)rows);
    }
    m->ones = m->time_column + rows;
    m->row_grad = m->ones + rows * (size_t)m->dims;
    m->work = m->row_grad + rows * (size_t)m->dims;
    if ((status = sciml_graph_create(ctx, &m->graph)) || (status = build_graph(m, seed))) {
        sciml_node_model_destroy(&m);
        return status;
    }
    *out = m;
    return SCIML_OK;
}

void sciml_node_model_destroy(sciml_node_model **model) {
    if (!model || !*model)
        return;
    sciml_graph_destroy(&(*model)->graph);
    sciml_train_state_free(&(*model)->position);
    free((*model)->time_column);
    free((*model)->states);
    free(*model);
    *model = NULL;
}

const sciml_node_config *sciml_node_model_config(const sciml_node_model *model) {
    return &model->config;
}

int64_t sciml_node_model_param_count(const sciml_node_model *model) {
    return sciml_graph_param_count(model->graph);
}

double *sciml_node_model_params(sciml_node_model *model) {
    return sciml_graph_params(model->graph);
}

/* Sets the state (and time) inputs for the current batch. */
static int set_state(sciml_node_model *m, double t, const double *y) {
    int64_t count = m->batch * m->dims;
    if (sciml_graph_set_input(m->graph, m->state, y, count))
        return -1;
    if (m->time != SCIML_NO_NODE) {
        for (int64_t b = 0; b < m->batch; b++)
            m->time_column[b] = t + (m->time_offsets ? m->time_offsets[b] : 0.0);
        if (sciml_graph_set_input(m->graph, m->time, m->time_column, m->batch))
            return -1;
    }
    return 0;
}

static int model_rhs(double t, const double *y, double *dydt, void *user) {
    sciml_node_model *m = user;
    if (set_state(m, t, y) || sciml_graph_forward(m->graph, m->f) ||
        sciml_graph_get_value(m->graph, m->f, dydt, m->batch * m->dims))
        return -1;
    return 0;
}

static int model_vjp(double t, const double *y, const double *lambda, double *lambda_y,
                     double *lambda_p, void *user) {
    sciml_node_model *m = user;
    int64_t count = m->batch * m->dims;
    if (set_state(m, t, y) || sciml_graph_set_input(m->graph, m->cotangent, lambda, count) ||
        sciml_graph_forward(m->graph, m->vjp) || sciml_graph_backward(m->graph, m->vjp) ||
        sciml_graph_get_grad(m->graph, m->state, lambda_y, count))
        return -1;
    if (lambda_p)
        memcpy(lambda_p, sciml_graph_grads(m->graph),
               (size_t)sciml_graph_param_count(m->graph) * sizeof(double));
    return 0;
}

/* Block-diagonal Jacobian (batch d, batch d) row-major: d reverse passes, pass j with the
 * cotangent e_j in every row gives row j of each trajectory's block. */
static int model_jacobian(double t, const double *y, double *jacobian, void *user) {
    sciml_node_model *m = user;
    int64_t d = m->dims, size = m->batch * d, count = size;
    memset(jacobian, 0, (size_t)(size * size) * sizeof(double));
    for (int64_t j = 0; j < d; j++) {
        memset(m->ones, 0, (size_t)count * sizeof(double));
        for (int64_t b = 0; b < m->batch; b++)
            m->ones[b * d + j] = 1.0;
        if (set_state(m, t, y) || sciml_graph_set_input(m->graph, m->cotangent, m->ones, count) ||
            sciml_graph_forward(m->graph, m->vjp) || sciml_graph_backward(m->graph, m->vjp) ||
            sciml_graph_get_grad(m->graph, m->state, m->row_grad, count))
            return -1;
        for (int64_t b = 0; b < m->batch; b++)
            for (int64_t i = 0; i < d; i++)
                jacobian[(b * d + j) * size + b * d + i] = m->row_grad[b * d + i];
    }
    return 0;
}

sciml_status sciml_node_model_problem(sciml_node_model *model, int64_t batch,
                                      const double *time_offsets, sciml_ode_problem *out) {
    if (batch < 1 || batch > model->config.max_batch)
        return sciml_error(model->ctx, SCIML_ERR_RANGE, "node: batch %lld, expected 1..%lld",
                           (long long)batch, (long long)model->config.max_batch);
    sciml_status status = sciml_graph_set_batch(model->graph, batch);
    if (status)
        return status;
    model->batch = batch;
    model->time_offsets = time_offsets;
    memset(out, 0, sizeof *out);
    out->state_size = batch * model->dims;
    out->parameter_count = sciml_graph_param_count(model->graph);
    out->rhs = model_rhs;
    out->vjp = model_vjp;
    out->jacobian = model_jacobian;
    out->user = model;
    return SCIML_OK;
}

static sciml_ode_options ode_options(const sciml_node_solve_options *o) {
    sciml_ode_options options = sciml_ode_default_options();
    options.method = o->solver == SCIML_NODE_CVODES_BDF ? SCIML_ODE_BDF : SCIML_ODE_ADAMS;
    options.relative_tolerance = o->relative_tolerance;
    options.absolute_tolerance = o->absolute_tolerance;
    options.max_steps = o->max_steps;
    options.fixed_step = o->fixed_step;
    return options;
}

/* y0 (batch, n) -> the full initial state (batch, d) in m->work, augmented states zero. */
static void initial_states(sciml_node_model *m, int64_t batch, const double *y0, int64_t stride) {
    int64_t n = m->config.state_size, d = m->dims;
    for (int64_t b = 0; b < batch; b++)
        for (int64_t i = 0; i < d; i++)
            m->work[b * d + i] = i < n ? y0[b * stride + i] : 0.0;
}

/* The model's states buffer with room for time_count x batch x d values, or NULL after an
 * error on the context. */
static double *states_buffer(sciml_node_model *model, int64_t time_count, int64_t batch) {
    int64_t count = (time_count > 0 ? time_count : 1) * batch * model->dims;
    if (count > model->states_capacity) {
        double *grown = sciml_alloc_array((size_t)count, sizeof(double));
        if (!grown) {
            sciml_error(model->ctx, SCIML_ERR_NOMEM,
                        "node: out of memory for %lld times of %lld states",
                        (long long)time_count, (long long)(batch * model->dims));
            return NULL;
        }
        free(model->states);
        model->states = grown;
        model->states_capacity = count;
    }
    return model->states;
}

sciml_status sciml_node_model_predict(sciml_node_model *model,
                                      const sciml_node_solve_options *options, int64_t batch,
                                      const double *y0, const double *time_offsets,
                                      int64_t time_count, const double *times, double *out,
                                      sciml_ode_stats *stats) {
    sciml_ode_problem problem;
    sciml_status status = sciml_node_model_problem(model, batch, time_offsets, &problem);
    if (status)
        return status;
    int64_t n = model->config.state_size, d = model->dims;
    double *states = states_buffer(model, time_count, batch);
    if (!states)
        return sciml_ctx_status(model->ctx);
    initial_states(model, batch, y0, n);
    sciml_ode_options ode = ode_options(options);
    problem.parameter_count = 0;
    status = options->solver == SCIML_NODE_DOPRI5
                 ? sciml_ode_dopri5(model->ctx, &problem, &ode, model->work, time_count, times,
                                    states, stats)
                 : sciml_ode_solve(model->ctx, &problem, &ode, model->work, time_count, times,
                                   states, stats);
    if (!status)
        for (int64_t b = 0; b < batch; b++)
            for (int64_t k = 0; k < time_count; k++)
                memcpy(out + (b * time_count + k) * n, states + (k * batch + b) * d,
                       (size_t)n * sizeof(double));
    return status;
}

/* The mean squared error over (b, k >= 1, i < n) and its gradient. states (time, batch, d). */
static double observed_loss(const double *states, double *grad, void *user) {
    const sciml_node_model *m = user;
    int64_t n = m->config.state_size, d = m->dims, batch = m->batch, times = m->time_count;
    double scale = 1.0 / (double)(batch * (times - 1) * n), sum = 0.0;
    memset(grad, 0, (size_t)(times * batch * d) * sizeof(double));
    for (int64_t k = 1; k < times; k++)
        for (int64_t b = 0; b < batch; b++)
            for (int64_t i = 0; i < n; i++) {
                double r = states[(k * batch + b) * d + i] - m->observed[(b * times + k) * n + i];
                sum += r * r;
                grad[(k * batch + b) * d + i] = 2.0 * scale * r;
            }
    return sum * scale;
}

sciml_status sciml_node_model_loss_grad(sciml_node_model *model,
                                        const sciml_node_solve_options *options, int64_t batch,
                                        const double *observed, const double *time_offsets,
                                        int64_t time_count, const double *times, double *loss,
                                        double *grad, sciml_ode_stats *stats) {
    if (time_count < 2)
        return sciml_error(model->ctx, SCIML_ERR_RANGE,
                           "node: a segment needs at least 2 times, got %lld",
                           (long long)time_count);
    int cvodes = options->solver != SCIML_NODE_DOPRI5;
    if ((options->gradient == SCIML_NODE_DIRECT && cvodes) ||
        (options->gradient == SCIML_NODE_FORWARD && !cvodes))
        return sciml_error(model->ctx, SCIML_ERR_UNSUPPORTED,
                           "node: solver %s with gradient %s: expected direct with dopri5 only, "
                           "forward sensitivities with cvodes-adams or cvodes-bdf only",
                           sciml_node_solver_name(options->solver),
                           sciml_node_gradient_name(options->gradient));
    sciml_ode_problem problem;
    sciml_status status = sciml_node_model_problem(model, batch, time_offsets, &problem);
    if (status)
        return status;
    double *states = states_buffer(model, time_count, batch);
    if (!states)
        return sciml_ctx_status(model->ctx);
    initial_states(model, batch, observed, time_count * model->config.state_size);
    model->observed = observed;
    model->time_count = time_count;
    sciml_ode_options ode = ode_options(options);
    if (options->gradient == SCIML_NODE_FORWARD)
        status = sciml_ode_forward_sensitivity(model->ctx, &problem, &ode, model->work, time_count,
                                               times, states, observed_loss, model, loss, grad);
    else if (!cvodes && options->gradient == SCIML_NODE_ADJOINT)
        status =
            sciml_ode_dopri5_adjoint(model->ctx, &problem, &ode, model->work, time_count, times,
                                     states, observed_loss, model, loss, grad, NULL, stats);
    else if (cvodes)
        status = sciml_ode_adjoint(model->ctx, &problem, &ode, model->work, time_count, times,
                                   states, observed_loss, model, loss, grad, NULL, stats);
    else
        status = sciml_ode_direct(model->ctx, &problem, &ode, model->work, time_count, times,
                                  states, observed_loss, model, loss, grad, NULL, stats);
    model->observed = NULL;
    return status;
}

/* ---- data ------------------------------------------------------------------------------- */

void sciml_node_data_free(sciml_node_data *data) {
    if (!data)
        return;
    free(data->times);
    free(data->states);
    memset(data, 0, sizeof *data);
}

sciml_status sciml_node_data_read(sciml_ctx *ctx, const char *path, const char *name,
                                  const char *time_name, sciml_node_data *out) {
    memset(out, 0, sizeof *out);
    sciml_nc_reader *reader = NULL;
    sciml_status status = sciml_nc_open(ctx, path, &reader);
    if (status)
        return status;
    const char *file = sciml_nc_name(reader);
    int64_t time_var, state_var;
    sciml_nc_var_info time_info, info;
    if (sciml_nc_find_var(reader, time_name, &time_var) ||
        sciml_nc_var_get_info(reader, time_var, &time_info) || time_info.rank != 1 ||
        time_info.is_record) {
        status = sciml_error(ctx, SCIML_ERR_FORMAT,
                             "%s: no fixed 1-dimensional time coordinate '%s', expected "
                             "%s(time) as sciml-gen ode writes it",
                             file, time_name, time_name);
        goto fail;
    }
    if (sciml_nc_find_var(reader, name, &state_var) ||
        sciml_nc_var_get_info(reader, state_var, &info) || info.rank != 3 || !info.is_record) {
        status = sciml_error(ctx, SCIML_ERR_FORMAT,
                             "%s: no record variable '%s' of 3 dimensions, expected "
                             "%s(sample, time, state)",
                             file, name, name);
        goto fail;
    }
    out->time_count = time_info.shape[0];
    out->state_size = info.shape[2];
    if (info.shape[1] != out->time_count || out->time_count < 2) {
        status =
            sciml_error(ctx, SCIML_ERR_SHAPE,
                        "%s: '%s' has %lld times, '%s' %lld: expected the same, at least 2", file,
                        name, (long long)info.shape[1], time_name, (long long)out->time_count);
        goto fail;
    }
    out->times = sciml_alloc_array((size_t)out->time_count, sizeof(double));
    if (!out->times) {
        status = sciml_error(ctx, SCIML_ERR_NOMEM, "%s: out of memory", file);
        goto fail;
    }
    if ((status = sciml_nc_read_var(reader, time_var, 0, out->time_count, out->times)))
        goto fail;
    for (int64_t k = 0; k < out->time_count; k++)
        if (!isfinite(out->times[k]) || (k > 0 && !(out->times[k] > out->times[k - 1]))) {
            status =
                sciml_error(ctx, SCIML_ERR_ARG,
                            "%s: time %lld is %g after %g, expected finite increasing times", file,
                            (long long)k, out->times[k], k > 0 ? out->times[k - 1] : NAN);
            goto fail;
        }
    int64_t per_record = info.element_count, capacity = 0;
    for (int64_t record = 0;; record++) {
        int available = 0;
        if ((status = sciml_nc_has_record(reader, record, &available)))
            goto fail;
        if (!available)
            break;
        if (record == capacity) {
            capacity = capacity ? 2 * capacity : 16;
            double *grown = realloc(out->states, (size_t)(capacity * per_record) * sizeof(double));
            if (!grown) {
                status = sciml_error(ctx, SCIML_ERR_NOMEM, "%s: out of memory at sample %lld", file,
                                     (long long)record);
                goto fail;
            }
            out->states = grown;
        }
        double *row = out->states + record * per_record;
        if ((status = sciml_nc_read_record(reader, state_var, record, row)))
            goto fail;
        for (int64_t i = 0; i < per_record; i++)
            if (!isfinite(row[i])) {
                status =
                    sciml_error(ctx, SCIML_ERR_NONFINITE,
                                "%s: '%s' is %g at sample %lld, time %lld, state %lld: "
                                "expected finite states",
                                file, name, row[i], (long long)record,
                                (long long)(i / out->state_size), (long long)(i % out->state_size));
                goto fail;
            }
        out->sample_count = record + 1;
    }
    if (out->sample_count == 0) {
        status = sciml_error(ctx, SCIML_ERR_FORMAT, "%s: '%s' has no samples", file, name);
        goto fail;
    }
    sciml_nc_close(&reader);
    return SCIML_OK;
fail:
    sciml_nc_close(&reader);
    sciml_node_data_free(out);
    return status;
}

/* ---- training ----------------------------------------------------------------------------- */

static double monotonic_seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}

void sciml_node_train_options_default(sciml_node_train_options *options) {
    memset(options, 0, sizeof *options);
    options->iterations = 2000;
    options->optimizer = SCIML_OPTIMIZER_ADAM;
    options->batch = 20;
    options->segment = 10;
    sciml_schedule_default(&options->schedule, 1e-2);
    options->report_every = 10;
    sciml_node_solve_options_default(&options->solve);
}

int64_t sciml_node_model_iterations_done(const sciml_node_model *model) {
    return model->iterations_done;
}

int sciml_node_model_is_checkpoint(const sciml_node_model *model) {
    return model->position.has_position;
}

void sciml_node_model_window(const sciml_node_model *model, double *start, double *end) {
    *start = model->window_start;
    *end = model->window_end;
}

const sciml_node_solve_options *sciml_node_model_solve_options(const sciml_node_model *model) {
    return &model->solve;
}

sciml_status sciml_node_model_evaluate(sciml_node_model *model,
                                       const sciml_node_solve_options *options,
                                       const sciml_node_data *data, double *mse,
                                       double *relative_l2) {
    int64_t n = model->config.state_size, count = data->time_count * n;
    if (data->state_size != n)
        return sciml_error(model->ctx, SCIML_ERR_SHAPE,
                           "node: the test data have %lld states, the model %lld",
                           (long long)data->state_size, (long long)n);
    double *predicted = sciml_alloc_array((size_t)count, sizeof(double));
    if (!predicted)
        return sciml_error(model->ctx, SCIML_ERR_NOMEM, "node: out of memory for %lld values",
                           (long long)count);
    sciml_node_solve_options solve = *options;
    solve.gradient = SCIML_NODE_ADJOINT; /* forward only: any gradient kind will do */
    double squared = 0.0, norm = 0.0;
    sciml_status status = SCIML_OK;
    for (int64_t sample = 0; sample < data->sample_count && !status; sample++) {
        const double *truth = data->states + sample * count;
        status = sciml_node_model_predict(model, &solve, 1, truth, NULL, data->time_count,
                                          data->times, predicted, NULL);
        for (int64_t i = 0; !status && i < count; i++) {
            squared += (predicted[i] - truth[i]) * (predicted[i] - truth[i]);
            norm += truth[i] * truth[i];
        }
    }
    free(predicted);
    if (status)
        return status;
    if (mse)
        *mse = squared / (double)(count * data->sample_count);
    if (relative_l2)
        *relative_l2 = norm > 0 ? sqrt(squared / norm) : sqrt(squared);
    return SCIML_OK;
}

static int uniform_grid(const double *times, int64_t count) {
    double step = times[1] - times[0];
    for (int64_t k = 2; k < count; k++)
        if (fabs(times[k] - times[k - 1] - step) > 1e-9 * (fabs(step) + fabs(times[k])))
            return 0;
    return 1;
}

/* Keeps what a checkpoint needs after `done` iterations of the schedule, with the loss of the
 * report window in progress set by the caller (after a solver failure the moments are those
 * of the failed step: resuming repeats it). */
static sciml_status save_position(sciml_node_model *model, const sciml_adam *adam,
                                  const sciml_rng *rng, int64_t done) {
    sciml_train_state *position = &model->position;
    int64_t params = sciml_node_model_param_count(model);
    if (!position->adam_m)
        position->adam_m = sciml_alloc_array((size_t)params, sizeof(double));
    if (!position->adam_v)
        position->adam_v = sciml_alloc_array((size_t)params, sizeof(double));
    if (!position->adam_m || !position->adam_v)
        return sciml_error(model->ctx, SCIML_ERR_NOMEM, "node: out of memory for Adam's moments");
    position->parameter_count = params;
    position->optimizer = SCIML_OPTIMIZER_ADAM;
    position->epochs_done = done;
    position->next_batch = 0;
    position->epoch_rng = *rng;
    position->has_position = 1;
    return sciml_adam_get_state(adam, &position->adam_steps, position->adam_m, position->adam_v,
                                params);
}

/* ---- full-batch L-BFGS ------------------------------------------------------------------ */

typedef struct full_batch {
    sciml_node_model *model;
    const sciml_node_data *data;
    const sciml_node_train_options *options;
    int64_t segment, uniform;
    double *observed; /* (batch, segment + 1, n) */
    double *offsets;  /* (batch) */
    double *times;    /* (segment + 1) relative to the segment's start */
    double *part;     /* (params) one solve's gradient */
    double report_started;
    sciml_status status; /* a failure inside the iteration callback */
} full_batch;

/* Adds the loss and gradient of the `count` segments gathered in fb, weighted by their share of
 * all observed values. */
static sciml_status full_batch_flush(full_batch *fb, int64_t count, int64_t points,
                                     int64_t params, double *f, double *grad) {
    const sciml_node_data *data = fb->data;
    double loss, weight = (double)(count * (points - 1)) /
                          (double)(data->sample_count * (data->time_count - 1));
    sciml_status status =
        sciml_node_model_loss_grad(fb->model, &fb->options->solve, count, fb->observed,
                                   fb->offsets, points, fb->times, &loss, fb->part, NULL);
    if (status)
        return status;
    *f += weight * loss;
    for (int64_t i = 0; i < params; i++)
        grad[i] += weight * fb->part[i];
    return SCIML_OK;
}

/* The full-batch MSE: segments of equal length are solved together, `batch` at a time (on a
 * non-uniform time grid only those that start at the same time). */
static sciml_status full_batch_loss(void *user, int64_t params, const double *x, double *f,
                                    double *grad) {
    full_batch *fb = user;
    const sciml_node_data *data = fb->data;
    int64_t n = data->state_size, steps = data->time_count - 1, segment = fb->segment;
    int64_t tiles = (steps + segment - 1) / segment, batch = fb->options->batch;
    memcpy(sciml_node_model_params(fb->model), x, (size_t)params * sizeof(double));
    memset(grad, 0, (size_t)params * sizeof(double));
    *f = 0.0;
    int64_t count = 0, points = 0, first = 0;
    sciml_status status = SCIML_OK;
    for (int64_t tile = 0; tile < tiles && !status; tile++) {
        int64_t start = tile * segment;
        int64_t length = start + segment <= steps ? segment : steps - start;
        for (int64_t sample = 0; sample < data->sample_count && !status; sample++) {
            if (count && (count == batch || length + 1 != points || (!fb->uniform && start != first))) {
                status = full_batch_flush(fb, count, points, params, f, grad);
                count = 0;
            }
            if (!count) {
                points = length + 1;
                first = start;
                for (int64_t k = 0; k < points; k++)
                    fb->times[k] = data->times[start + k] - data->times[start];
            }
            memcpy(fb->observed + count * points * n,
                   data->states + (sample * data->time_count + start) * n,
                   (size_t)(points * n) * sizeof(double));
            fb->offsets[count++] = data->times[start];
        }
    }
    if (!status && count)
        status = full_batch_flush(fb, count, points, params, f, grad);
    return status;
}

static int full_batch_iteration(void *user, const sciml_lbfgs_progress *progress) {
    full_batch *fb = user;
    const sciml_node_train_options *options = fb->options;
    sciml_node_model *model = fb->model;
    model->iterations_done++;
    if (progress->iteration % options->report_every && progress->iteration != options->iterations)
        return 0;
    /* the report describes the accepted iterate, which the last trial may have overwritten */
    memcpy(sciml_node_model_params(model), progress->x, (size_t)progress->n * sizeof(double));
    double now = monotonic_seconds();
    sciml_train_report report = {model->iterations_done, model->iterations_done,
                                 progress->f,           NAN,
                                 NAN,                   NAN,
                                 (now - fb->report_started) / (double)options->report_every};
    fb->report_started = now;
    if (options->test &&
        (fb->status = sciml_node_model_evaluate(model, &options->solve, options->test,
                                                &report.test_loss, &report.test_error)))
        return 1;
    return options->report && options->report(options->report_user, &report);
}

static sciml_status train_lbfgs(sciml_node_model *model, const sciml_node_data *data,
                                const sciml_node_train_options *options, int64_t segment) {
    sciml_ctx *ctx = model->ctx;
    int64_t n = data->state_size, params = sciml_node_model_param_count(model);
    int64_t batch = options->batch, points = segment + 1;
    model->position.has_position = 0; /* L-BFGS keeps no state between runs */
    full_batch fb = {model, data, options, segment, uniform_grid(data->times, data->time_count),
                     NULL, NULL, NULL, NULL, monotonic_seconds(), SCIML_OK};
    double *x = sciml_alloc_array((size_t)(batch * points * n + batch + points + 2 * params),
                                  sizeof(double));
    if (!x)
        return sciml_error(ctx, SCIML_ERR_NOMEM, "node: out of memory for a batch of %lld",
                           (long long)batch);
    fb.part = x + params;
    fb.observed = fb.part + params;
    fb.offsets = fb.observed + batch * points * n;
    fb.times = fb.offsets + batch;
    double *theta = sciml_node_model_params(model);
    memcpy(x, theta, (size_t)params * sizeof(double));
    sciml_lbfgs_options lbfgs;
    sciml_lbfgs_options_default(&lbfgs);
    lbfgs.max_iterations = options->iterations;
    lbfgs.max_evaluations = 4 * options->iterations + 25;
    lbfgs.iteration_callback = full_batch_iteration;
    lbfgs.iteration_user = &fb;
    sciml_lbfgs_result result;
    sciml_status status = options->iterations > 0
                              ? sciml_lbfgs_minimize(ctx, params, x, full_batch_loss, &fb,
                                                     &lbfgs, &result)
                              : SCIML_OK;
    /* x holds the last accepted iterate, also after a failure */
    memcpy(theta, x, (size_t)params * sizeof(double));
    free(x);
    return fb.status ? fb.status : status;
}

sciml_status sciml_node_model_train(sciml_node_model *model, const sciml_node_data *data,
                                    const sciml_node_train_options *options) {
    sciml_ctx *ctx = model->ctx;
    int64_t n = model->config.state_size;
    if (data->state_size != n)
        return sciml_error(ctx, SCIML_ERR_SHAPE, "node: the data have %lld states, the model %lld",
                           (long long)data->state_size, (long long)n);
    if (options->iterations < 0 || options->batch < 1 || options->batch > model->config.max_batch ||
        options->segment < 1 || options->report_every < 1)
        return sciml_error(ctx, SCIML_ERR_RANGE,
                           "node: iterations %lld, batch %lld (1..%lld), segment %lld: "
                           "out of range",
                           (long long)options->iterations, (long long)options->batch,
                           (long long)model->config.max_batch, (long long)options->segment);
    if (options->optimizer != SCIML_OPTIMIZER_ADAM && options->optimizer != SCIML_OPTIMIZER_LBFGS)
        return sciml_error(ctx, SCIML_ERR_UNSUPPORTED, "node: optimizer %s: expected adam or lbfgs",
                           sciml_optimizer_name(options->optimizer));
    sciml_status checked = sciml_schedule_check(ctx, &options->schedule);
    if (checked)
        return checked;
    int64_t segment =
        options->segment < data->time_count - 1 ? options->segment : data->time_count - 1;
    model->window_start = data->times[0];
    model->window_end = data->times[data->time_count - 1];
    model->solve = options->solve;
    if (options->optimizer == SCIML_OPTIMIZER_LBFGS)
        return train_lbfgs(model, data, options, segment);
    int64_t points = segment + 1, batch = options->batch, starts = data->time_count - segment;
    int64_t params = sciml_node_model_param_count(model);
    int uniform = uniform_grid(data->times, data->time_count);
    double *observed = sciml_alloc_array((size_t)(batch * points * n + 2 * params + batch + points),
                                         sizeof(double));
    sciml_adam *adam = NULL;
    if (!observed)
        return sciml_error(ctx, SCIML_ERR_NOMEM, "node: out of memory for a batch of %lld",
                           (long long)batch);
    double *grad = observed + batch * points * n, *saved = grad + params;
    double *offsets = saved + params, *times = offsets + batch;
    sciml_status status = sciml_adam_create(ctx, params, NULL, &adam);
    /* from a checkpoint: its Adam moments, sampler and place in the schedule */
    sciml_train_state *position = &model->position;
    int resumed = position->has_position && position->adam_m && position->adam_v;
    sciml_rng rng;
    sciml_rng_seed(&rng, options->seed);
    int64_t first = 0;
    if (!status && resumed) {
        status = sciml_adam_set_state(adam, position->adam_steps, position->adam_m,
                                      position->adam_v, params);
        rng = position->epoch_rng;
        first = position->epochs_done;
    }
    double *theta = sciml_node_model_params(model), loss_sum = 0.0, started = monotonic_seconds();
    int64_t since_report = 0;
    if (resumed) { /* the report window the checkpoint cut */
        loss_sum = position->epoch_loss_sum;
        since_report = position->epoch_loss_samples;
    }
    /* done and done_rng: the iterations completed and the sampler after them */
    int64_t done = first;
    sciml_rng done_rng = rng;
    for (int64_t it = first; !status && it < options->iterations; it++) {
        int64_t shared_start = (int64_t)sciml_rng_below(&rng, (uint64_t)starts);
        for (int64_t b = 0; b < batch; b++) {
            int64_t sample = (int64_t)sciml_rng_below(&rng, (uint64_t)data->sample_count);
            int64_t start =
                uniform ? (int64_t)sciml_rng_below(&rng, (uint64_t)starts) : shared_start;
            memcpy(observed + b * points * n,
                   data->states + (sample * data->time_count + start) * n,
                   (size_t)(points * n) * sizeof(double));
            offsets[b] = data->times[start];
            if (b == 0 || !uniform)
                for (int64_t k = 0; k < points; k++)
                    times[k] = data->times[start + k] - data->times[start];
        }
        double loss, lr = sciml_schedule_lr(&options->schedule, it);
        status = sciml_node_model_loss_grad(model, &options->solve, batch, observed, offsets,
                                            points, times, &loss, grad, NULL);
        if (status) {
            /* the last step made the system unsolvable: go back to the weights before it,
             * whose segments were solved */
            if (status == SCIML_ERR_SOLVER && it > first) {
                memcpy(theta, saved, (size_t)params * sizeof(double));
                model->iterations_done--;
                done--;
            }
            break;
        }
        memcpy(saved, theta, (size_t)params * sizeof(double));
        if ((status = sciml_adam_step(adam, theta, grad, lr))) {
            memcpy(theta, saved, (size_t)params * sizeof(double));
            status = sciml_error(ctx, SCIML_ERR_NONFINITE,
                                 "node: non-finite gradient at iteration %lld (loss %g)",
                                 (long long)(it + 1), loss);
            break;
        }
        model->iterations_done++;
        done = it + 1;
        done_rng = rng;
        loss_sum += loss;
        since_report++;
        /* reports at multiples of report_every of the schedule, also across a resume */
        if (done % options->report_every == 0 || done == options->iterations) {
            double now = monotonic_seconds();
            sciml_train_report report = {model->iterations_done,
                                         model->iterations_done,
                                         loss_sum / (double)since_report,
                                         NAN,
                                         NAN,
                                         lr,
                                         (now - started) / (double)since_report};
            started = now;
            loss_sum = 0.0;
            since_report = 0;
            if (options->test &&
                (status = sciml_node_model_evaluate(model, &options->solve, options->test,
                                                    &report.test_loss, &report.test_error)))
                break;
            if (options->report && options->report(options->report_user, &report))
                break;
        }
        if (sciml_ctx_interrupted(ctx)) {
            status = sciml_error(ctx, SCIML_ERR_INTERRUPTED, "interrupted after %lld iterations",
                                 (long long)model->iterations_done);
        } else if (options->checkpoint && sciml_train_checkpoint_due(options->checkpoint_every,
                                                                     done, options->iterations)) {
            position->epoch_loss_sum = loss_sum; /* the report window so far */
            position->epoch_loss_samples = since_report;
            if ((status = save_position(model, adam, &done_rng, done)) ||
                (status = options->checkpoint(options->checkpoint_user)))
                break;
        }
    }
    if (adam) {
        position->epoch_loss_sum = loss_sum;
        position->epoch_loss_samples = since_report;
        sciml_status saved_status = save_position(model, adam, &done_rng, done);
        status = status ? status : saved_status;
    }
    sciml_adam_destroy(&adam);
    free(observed);
    return status;
}

/* ---- files -------------------------------------------------------------------------------- */

static const char *known_name(sciml_node_known known) {
    return known == SCIML_NODE_KNOWN_LOTKA_VOLTERRA ? "lotka-volterra"
           : known == SCIML_NODE_KNOWN_ROBERTSON    ? "robertson"
                                                    : "none";
}

sciml_status sciml_node_model_write(sciml_node_model *model, const char *path,
                                    const sciml_model_provenance *provenance, int checkpoint) {
    sciml_ctx *ctx = model->ctx;
    /* without Adam's state (L-BFGS, no training yet) a checkpoint is the model itself */
    checkpoint = checkpoint && model->position.has_position && model->position.adam_m;
    const sciml_node_config *c = &model->config;
    sciml_nc_writer *writer = NULL;
    sciml_status status = sciml_nc_writer_create(ctx, path, NULL, &writer);
    if (status)
        return status;
    char hidden[16 * SCIML_MAX_HIDDEN_LAYERS + 1] = "";
    for (int l = 0; l < c->hidden_count; l++)
        snprintf(hidden + strlen(hidden), sizeof hidden - strlen(hidden), "%s%lld", l ? "," : "",
                 (long long)c->hidden[l]);
    int64_t params = sciml_node_model_param_count(model), dim, var;
    int64_t integers[6] = {c->state_size, c->augmented, c->time_input,
                           c->cube_input, c->use_mlp,   c->max_batch};
    const char *integer_names[6] = {"state_size", "augmented", "time_input",
                                    "cube_input", "use_mlp",   "max_batch"};
    double tolerances[2] = {model->solve.relative_tolerance, model->solve.absolute_tolerance};
    double window[2] = {model->window_start, model->window_end};
    double known_initial[4];
    memcpy(known_initial, c->known_initial, sizeof known_initial);
    if ((status = sciml_nc_def_dim(writer, "parameter", params, &dim)) ||
        (status = sciml_nc_def_var(writer, "parameters", SCIML_NC_DOUBLE, 1, &dim, &var)) ||
        (status = sciml_nc_put_att_text(writer, var, "long_name",
                                        "known coefficients (a, b, g, d) first when present, "
                                        "then f.k.weight (in, out), f.k.bias (out) per layer")) ||
        (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "sciml_kind",
                                        checkpoint ? "checkpoint" : "model")) ||
        (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "sciml_model", "node")) ||
        (status =
             sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "sciml_version", sciml_version())) ||
        (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "hidden", hidden)) ||
        (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "activation",
                                        sciml_activation_name(c->activation))) ||
        (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "known", known_name(c->known))) ||
        (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "solver",
                                        sciml_node_solver_name(model->solve.solver))) ||
        (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "gradient",
                                        sciml_node_gradient_name(model->solve.gradient))) ||
        (status = sciml_nc_put_att_double(writer, SCIML_NC_GLOBAL, "tolerances", SCIML_NC_DOUBLE,
                                          tolerances, 2)) ||
        (status = sciml_nc_put_att_double(writer, SCIML_NC_GLOBAL, "train_window", SCIML_NC_DOUBLE,
                                          window, 2)) ||
        (status =
             sciml_nc_put_att_double(writer, SCIML_NC_GLOBAL, "iterations_done", SCIML_NC_DOUBLE,
                                     &(double){(double)model->iterations_done}, 1)))
        goto fail;
    for (int k = 0; k < 6; k++)
        if ((status = sciml_nc_put_att_double(writer, SCIML_NC_GLOBAL, integer_names[k],
                                              SCIML_NC_INT, &(double){(double)integers[k]}, 1)))
            goto fail;
    if (provenance) {
        char seed[32];
        snprintf(seed, sizeof seed, "%llu", (unsigned long long)provenance->seed);
        if ((status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "sciml_seed", seed)) ||
            (provenance->source_checksum &&
             (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "sciml_source_checksum",
                                             provenance->source_checksum))) ||
            (provenance->command &&
             (status = sciml_nc_append_history(writer, provenance->command))))
            goto fail;
    }
    if (checkpoint && (status = sciml_train_state_define(writer, &model->position)))
        goto fail;
    if ((status = sciml_nc_end_def(writer)) ||
        (status = sciml_nc_write_var(writer, var, 0, params, sciml_node_model_params(model))) ||
        (checkpoint && (status = sciml_train_state_write(writer, &model->position))))
        goto fail;
    return sciml_nc_writer_close(&writer);
fail:
    sciml_nc_writer_abort(&writer);
    return status;
}

static sciml_status read_text(sciml_ctx *ctx, sciml_nc_reader *reader, const char *name,
                              const char **text) {
    if (sciml_nc_get_att_text(reader, SCIML_NC_GLOBAL, name, text, NULL))
        return sciml_error(ctx, SCIML_ERR_FORMAT,
                           "%s: no text attribute '%s', expected a node model from sciml-train",
                           sciml_nc_name(reader), name);
    return SCIML_OK;
}

sciml_status sciml_node_model_read(sciml_ctx *ctx, const char *path, sciml_node_model **out) {
    *out = NULL;
    sciml_nc_reader *reader = NULL;
    sciml_status status = sciml_nc_open(ctx, path, &reader);
    if (status)
        return status;
    const char *file = sciml_nc_name(reader), *kind, *hidden, *activation, *known, *solver,
               *gradient, *file_kind;
    sciml_node_config c;
    sciml_node_config_default(&c);
    sciml_node_solve_options solve;
    sciml_node_solve_options_default(&solve);
    int64_t values[6], iterations = 0;
    const char *integer_names[6] = {"state_size", "augmented", "time_input",
                                    "cube_input", "use_mlp",   "max_batch"};
    const int64_t limits[6] = {SCIML_ODE_MAX_STATE, 16, 1, 1, 1, INT64_C(1) << 20};
    double tolerances[2] = {0, 0}, window[2] = {NAN, NAN};
    sciml_node_model *model = NULL;
    if ((status = read_text(ctx, reader, "sciml_model", &kind)) ||
        (status = read_text(ctx, reader, "sciml_kind", &file_kind)))
        goto done;
    if (strcmp(kind, "node") || (strcmp(file_kind, "model") && strcmp(file_kind, "checkpoint"))) {
        status = sciml_error(ctx, SCIML_ERR_FORMAT,
                             "%s: sciml_model '%s', sciml_kind '%s': expected a node model or "
                             "checkpoint",
                             file, kind, file_kind);
        goto done;
    }
    for (int k = 0; k < 6; k++)
        if ((status = sciml_model_read_integers(ctx, reader, integer_names[k], 1, k == 1 ? 0 : 0,
                                                limits[k], &values[k])))
            goto done;
    if ((status = sciml_model_read_integers(ctx, reader, "iterations_done", 1, 0, INT64_C(1) << 50,
                                            &iterations)) ||
        (status = read_text(ctx, reader, "hidden", &hidden)) ||
        (status = read_text(ctx, reader, "activation", &activation)) ||
        (status = read_text(ctx, reader, "known", &known)) ||
        (status = read_text(ctx, reader, "solver", &solver)) ||
        (status = read_text(ctx, reader, "gradient", &gradient)))
        goto done;
    c.state_size = values[0];
    c.augmented = values[1];
    c.time_input = (int)values[2];
    c.cube_input = (int)values[3];
    c.use_mlp = (int)values[4];
    c.max_batch = values[5] > 0 ? values[5] : 1;
    c.hidden_count = 0;
    if (*hidden && (status = sciml_parse_hidden(ctx, hidden, c.hidden, SCIML_MAX_HIDDEN_LAYERS,
                                                &c.hidden_count)))
        goto done;
    if (sciml_activation_parse(activation, &c.activation) ||
        (strcmp(known, "none") && strcmp(known, "lotka-volterra") && strcmp(known, "robertson")) ||
        sciml_node_solver_parse(ctx, solver, &solve.solver) ||
        sciml_node_gradient_parse(ctx, gradient, &solve.gradient)) {
        status = sciml_error(ctx, SCIML_ERR_FORMAT,
                             "%s: activation '%s', known '%s', solver '%s' or gradient '%s' "
                             "is not one this version knows",
                             file, activation, known, solver, gradient);
        goto done;
    }
    c.known = !strcmp(known, "lotka-volterra") ? SCIML_NODE_KNOWN_LOTKA_VOLTERRA
              : !strcmp(known, "robertson")    ? SCIML_NODE_KNOWN_ROBERTSON
                                               : SCIML_NODE_KNOWN_NONE;
    sciml_nc_get_att_double(reader, SCIML_NC_GLOBAL, "tolerances", tolerances, 2, NULL);
    sciml_nc_get_att_double(reader, SCIML_NC_GLOBAL, "train_window", window, 2, NULL);
    if (!(tolerances[0] > 0) || !(tolerances[1] > 0)) {
        status = sciml_error(ctx, SCIML_ERR_FORMAT,
                             "%s: attribute 'tolerances' must hold two positive numbers", file);
        goto done;
    }
    solve.relative_tolerance = tolerances[0];
    solve.absolute_tolerance = tolerances[1];
    if ((status = sciml_node_model_create(ctx, &c, 0, &model)))
        goto done;
    if ((status =
             sciml_model_read_vector(ctx, reader, "parameters", sciml_node_model_param_count(model),
                                     0, sciml_node_model_params(model))))
        goto done;
    if (!strcmp(file_kind, "checkpoint") &&
        (status = sciml_train_state_read(ctx, reader, sciml_node_model_param_count(model),
                                         &model->position)))
        goto done;
    model->solve = solve;
    model->iterations_done = iterations;
    model->window_start = window[0];
    model->window_end = window[1];
    *out = model;
    model = NULL;
done:
    sciml_node_model_destroy(&model);
    sciml_nc_close(&reader);
    return status;
}
