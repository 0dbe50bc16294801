/* libsciml neural ODEs and universal differential equations (Chen, Rubanova, Bettencourt and
 * Duvenaud 2018; Rackauckas et al. 2020):
 *
 *     dy/dt = f(y, t; theta),   f = known(y; c) + MLP(phi(y) [, t]),
 *
 * with y the n observed states plus `augmented` extra states that start at zero (Dupont et al.
 * 2019), phi the identity or the fixed transform y -> y^3, an optional time input, and
 * known(y; c) the Lotka-Volterra terms (a x - b x y, d x y - g y) with trainable coefficients
 * c = (a, b, g, d). Without the MLP the model is classic parameter estimation.
 *
 * A batch of B trajectories is one ODE system of B (n + augmented) states: the rows of the
 * graph's input are the B states, so one forward pass of the graph evaluates f for the whole
 * batch, and one reverse pass of L = sum(f . lambda) gives both vector-Jacobian products
 * lambda^T df/dy (the gradient of the state input) and lambda^T df/dtheta (the parameter
 * gradients) that the adjoint needs; nothing is differenced.
 *
 * Gradients of the loss on observed points (sciml/ode.h): the adjoint on CVODES (Adams or BDF
 * with a dense Jacobian assembled from n reverse passes), or the direct derivative through
 * the tape of the explicit Dormand-Prince 5(4) solver.
 */
#ifndef SCIML_NODE_MODEL_H
#define SCIML_NODE_MODEL_H

#include "sciml/core.h"
#include "sciml/graph.h"
#include "sciml/nn.h"
#include "sciml/ode.h"
#include "sciml/train.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sciml_node_known {
    SCIML_NODE_KNOWN_NONE = 0,
    SCIML_NODE_KNOWN_LOTKA_VOLTERRA, /* n = 2, coefficients (a, b, g, d) */
    SCIML_NODE_KNOWN_ROBERTSON       /* n = 3, log-rates log(k1, k2, k3) of Robertson's kinetics
                                        (stiff: train with cvodes-bdf) */
} sciml_node_known;

typedef enum sciml_node_solver {
    SCIML_NODE_CVODES_ADAMS = 0,
    SCIML_NODE_CVODES_BDF,
    SCIML_NODE_DOPRI5
} sciml_node_solver;

typedef enum sciml_node_gradient {
    SCIML_NODE_ADJOINT = 0, /* CVODES adjoint (cvodes-adams, cvodes-bdf), or the continuous
                               adjoint on dopri5 */
    SCIML_NODE_DIRECT,      /* reverse mode through the dopri5 tape */
    SCIML_NODE_FORWARD      /* CVODES forward sensitivities (few parameters; a check) */
} sciml_node_gradient;

const char *sciml_node_solver_name(sciml_node_solver solver); /* "cvodes-adams", ... */
sciml_status sciml_node_solver_parse(sciml_ctx *ctx, const char *name, sciml_node_solver *out);
/* "adjoint", "direct", "forward" */
const char *sciml_node_gradient_name(sciml_node_gradient gradient);
sciml_status sciml_node_gradient_parse(sciml_ctx *ctx, const char *name, sciml_node_gradient *out);

typedef struct sciml_node_config {
    int64_t state_size; /* n observed states, 1..SCIML_ODE_MAX_STATE */
    int64_t augmented;  /* extra states starting at zero, 0..16 */
    int time_input;     /* t is an input of the MLP */
    int cube_input;     /* the MLP sees y^3 instead of y */
    int use_mlp;        /* 0: known terms only */
    int hidden_count;   /* hidden layers of the MLP */
    int64_t hidden[SCIML_MAX_HIDDEN_LAYERS];
    sciml_activation activation;
    sciml_node_known known;
    double known_initial[4]; /* starting coefficients of the known terms (4 or 3 used) */
    int64_t max_batch;       /* largest number of trajectories solved together */
} sciml_node_config;

/* n = 2, MLP 50 tanh, no extras, max batch 64. */
void sciml_node_config_default(sciml_node_config *config);

typedef struct sciml_node_model sciml_node_model;

/* Builds the graph and initialises the parameters (Glorot, from seed; known coefficients
 * from config->known_initial). The caller owns *out; the context is borrowed. */
sciml_status sciml_node_model_create(sciml_ctx *ctx, const sciml_node_config *config, uint64_t seed,
                                     sciml_node_model **out);
void sciml_node_model_destroy(sciml_node_model **model); /* accepts NULL, sets NULL */

const sciml_node_config *sciml_node_model_config(const sciml_node_model *model);
int64_t sciml_node_model_param_count(const sciml_node_model *model);
double *sciml_node_model_params(sciml_node_model *model); /* points inside, do not free */

/* How to solve and differentiate. */
typedef struct sciml_node_solve_options {
    sciml_node_solver solver;
    sciml_node_gradient gradient;
    double relative_tolerance, absolute_tolerance;
    int64_t max_steps;
    double fixed_step; /* dopri5: 0 adaptive */
} sciml_node_solve_options;

/* cvodes-adams, adjoint, rtol 1e-7, atol 1e-9, 100000 steps. */
void sciml_node_solve_options_default(sciml_node_solve_options *options);

/* Integrates `batch` (1..max_batch) trajectories from y0 (batch, n) through the increasing
 * times (time_count), t_0 first: out (batch, time_count, n) observed states (augmented ones
 * dropped). time_offsets (batch) or NULL: trajectory b sees the time t + time_offsets[b] (only
 * the time input uses it). */
sciml_status sciml_node_model_predict(sciml_node_model *model,
                                      const sciml_node_solve_options *options, int64_t batch,
                                      const double *y0, const double *time_offsets,
                                      int64_t time_count, const double *times, double *out,
                                      sciml_ode_stats *stats);

/* Loss L = mean over (b, k >= 1, i < n) of (y_b,i(t_k) - observed_b,k,i)^2 for trajectories
 * starting at observed_b,0 (observed (batch, time_count, n)), and its gradient grad
 * (param_count) by options->gradient. */
sciml_status sciml_node_model_loss_grad(sciml_node_model *model,
                                        const sciml_node_solve_options *options, int64_t batch,
                                        const double *observed, const double *time_offsets,
                                        int64_t time_count, const double *times, double *loss,
                                        double *grad, sciml_ode_stats *stats);

/* The model's right-hand side for `batch` trajectories as an ODE problem (state size
 * batch (n + augmented), parameter count the model's), for tests and other solvers. */
sciml_status sciml_node_model_problem(sciml_node_model *model, int64_t batch,
                                      const double *time_offsets, sciml_ode_problem *out);

/* ---- Data, training, files ---------------------------------------------------------------
 * Trajectories as `sciml-gen ode` writes them: t(time) strictly increasing and
 * y(sample, time, state) finite. */
typedef struct sciml_node_data {
    int64_t sample_count, time_count, state_size;
    double *times;  /* (time_count), owned */
    double *states; /* (sample_count, time_count, state_size), owned */
} sciml_node_data;

/* Reads the coordinate `time_name` and the record variable `name` of path ("-" = stdin). Errors
 * name the file and what is wrong: a missing variable, wrong rank, times that do not increase
 * (the index), a NaN state (sample and time). *out is zeroed on error. */
sciml_status sciml_node_data_read(sciml_ctx *ctx, const char *path, const char *name,
                                  const char *time_name, sciml_node_data *out);
void sciml_node_data_free(sciml_node_data *data); /* frees the arrays, zeroes the struct */

/* Adam draws `batch` random segments per step. L-BFGS minimises the full-batch loss: every
 * trajectory cut into consecutive segments of `segment` steps (the last one shorter; a segment
 * as long as the data means whole trajectories from their first state), solved `batch` at a
 * time, the loss the MSE over all of them; the schedule and seed are not used. */
typedef struct sciml_node_train_options {
    int64_t iterations;             /* Adam steps or L-BFGS iterations */
    sciml_optimizer_kind optimizer; /* SCIML_OPTIMIZER_ADAM or SCIML_OPTIMIZER_LBFGS */
    int64_t batch;                  /* trajectory segments per solve (<= max_batch) */
    int64_t segment;                /* time steps per segment (segment + 1 observed points) */
    sciml_schedule schedule;        /* Adam learning rate per iteration (base_lr inside) */
    uint64_t seed;                  /* segment sampling */
    int64_t report_every;           /* iterations between reports */
    sciml_node_solve_options solve;
    sciml_train_report_fn report; /* epoch = iterations done; may be NULL */
    void *report_user;
    int64_t checkpoint_every;             /* Adam: iterations between checkpoints, 0: none */
    sciml_train_checkpoint_fn checkpoint; /* may be NULL */
    void *checkpoint_user;
    /* Held-out trajectories (borrowed, may be NULL): at every report each is integrated from
     * its first state over all its times; the report's test_loss is the MSE and test_error
     * the relative L2 error over the observed states. */
    const sciml_node_data *test;
} sciml_node_train_options;

/* The test figures above for one data set: *mse and *relative_l2 (either may be NULL). */
sciml_status sciml_node_model_evaluate(sciml_node_model *model,
                                       const sciml_node_solve_options *options,
                                       const sciml_node_data *data, double *mse,
                                       double *relative_l2);

/* 2000 iterations, batch 20, segments of 10 steps, lr 1e-2, reports every 10. */
void sciml_node_train_options_default(sciml_node_train_options *options);

/* Mini-batch training on random segments: each step draws `batch` (sample, start) pairs,
 * `iterations` steps in all (a model read from a checkpoint continues from its position in
 * them; a plain model starts a fresh optimizer and runs them all),
 * integrates each segment from its first observed state and takes an Adam step on the mean
 * squared error over the segments' other points. On a uniform time grid the segments share
 * their relative times; otherwise all segments of a step start at the same index. Or full-batch
 * L-BFGS (see the options). Returns SCIML_ERR_INTERRUPTED, SCIML_ERR_NONFINITE or a solver
 * error naming the time reached; the model then keeps its last good parameters (after a solver
 * failure, those before the step that made the system unsolvable). */
sciml_status sciml_node_model_train(sciml_node_model *model, const sciml_node_data *data,
                                    const sciml_node_train_options *options);
int64_t sciml_node_model_iterations_done(const sciml_node_model *model);
/* The time window of the training data ([first, last] time), NaN before training. */
void sciml_node_model_window(const sciml_node_model *model, double *start, double *end);
/* The solver options the model was trained with (used by default when predicting). */
const sciml_node_solve_options *sciml_node_model_solve_options(const sciml_node_model *model);

/* Writes the model (architecture and solver as attributes, parameters flat in creation order)
 * to path ("-" = stdout) through a temporary file; provenance may be NULL. A checkpoint
 * (sciml_kind "checkpoint") adds Adam's moments and the position in the schedule (the
 * sciml_train_state layout of sciml/trainer.h), so that training resumed from it with the
 * same data and options ends bit for bit where an uninterrupted run does; without that state
 * (after L-BFGS or before training) a checkpoint is written as a plain model. */
sciml_status sciml_node_model_write(sciml_node_model *model, const char *path,
                                    const sciml_model_provenance *provenance, int checkpoint);
/* 1 when the model was read from a checkpoint or has trained with Adam in this process. */
int sciml_node_model_is_checkpoint(const sciml_node_model *model);
/* Reads a model or checkpoint written by sciml_node_model_write; the caller owns *out. */
sciml_status sciml_node_model_read(sciml_ctx *ctx, const char *path, sciml_node_model **out);

#ifdef __cplusplus
}
#endif
#endif /* SCIML_NODE_MODEL_H */
