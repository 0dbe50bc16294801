/* libsciml physics-informed neural networks (Raissi, Perdikaris and Karniadakis, J. Comput.
 * Phys. 378, 2019) on the PDE library of sciml/pde.h.
 *
 * An MLP u(x) with tanh (or sin) hidden layers is trained to minimise
 *   L = w_r mean_i r(x_i)^2 + sum_c w_c mean_j e_c(x_j)^2 + w_o mean_k (u(x_k) - u_k)^2
 * over interior collocation points x_i (r the PDE residual), the points of each condition c
 * (e_c = u - g for Dirichlet, du/dx_a - g for Neumann, the jumps of u and u_x for periodic) and,
 * for an inverse problem, observations (x_k, u_k). Input derivatives come from forward Taylor
 * propagation (sciml/taylor.h), so one reverse pass gives dL/dtheta. Training runs Adam for
 * adam_iterations steps, then L-BFGS with a strong Wolfe line search for up to
 * lbfgs_iterations iterations, on fixed (full-batch) points (optionally refined between Adam
 * rounds by the residual, RAR). An inverse problem marks one coefficient unknown (one that
 * multiplies a residual term: Burgers nu, heat alpha, Allen-Cahn and diffusion-reaction d): it
 * becomes a trainable parameter (log c, starting at its configured value) learned together
 * with the network from the observations.
 *
 * Model file (netCDF classic): global attributes sciml_kind = "model", sciml_model = "pinn",
 * pde, hidden ("20,20,20"), activation, one attribute per coefficient (its final value, the
 * learned one for an unknown coefficient), unknown ("" or the coefficient's name); the
 * network parameters as variables u.<k>.weight (in, out) and u.<k>.bias (out), and for an
 * inverse problem coefficient.<name> (1), the logarithm of the learned coefficient (trained
 * in log space, so that Adam's step is relative and the coefficient stays positive);
 * fourier_features (0 when off) and, with the embedding, fourier_sigma and
 * fourier_frequencies (fourier_input, fourier_feature); output_transform, the formula of the
 * hard-constraint transform (sciml_pde_transform) or "" (absent in older files: none).
 *
 * Hard constraints (hard_constraints = 1): the network output N enters as u = A + D N with the
 * problem's lift A and distance factor D (sciml/pde.h), on the Taylor streams by the product
 * rule; the conditions the transform meets exactly lose their points and loss terms (their
 * entries in sciml_pinn_progress are NaN), and evaluation, refinement and the model file all
 * use the constrained u.
 */
#ifndef SCIML_PINN_MODEL_H
#define SCIML_PINN_MODEL_H

#include "sciml/core.h"
#include "sciml/nn.h"
#include "sciml/pde.h"
#include "sciml/train.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SCIML_PINN_MAX_HIDDEN 16

typedef struct sciml_pinn_config {
    sciml_pde pde; /* problem and coefficients */
    int hidden_count;
    int64_t hidden[SCIML_PINN_MAX_HIDDEN];
    sciml_activation activation;                        /* tanh or sin */
    int64_t interior_count;                             /* collocation points */
    int64_t condition_counts[SCIML_PDE_MAX_CONDITIONS]; /* points per condition */
    double residual_weight;
    double condition_weights[SCIML_PDE_MAX_CONDITIONS];
    double observation_weight;
    sciml_sampling sampling;
    int64_t adam_iterations;
    double learning_rate;
    int64_t lbfgs_iterations;
    uint64_t seed;
    int unknown; /* coefficient index learned from observations, or -1 */
    /* Residual-based adaptive refinement (RAR) after the first adam_iterations: rar_rounds
     * times, the rar_add points with the largest |residual| among rar_candidates uniform
     * points join the interior points, then rar_steps more Adam steps; L-BFGS follows. */
    int rar_rounds;         /* 0: off */
    int64_t rar_candidates; /* default 100000 */
    int64_t rar_add;        /* default 10 */
    int64_t rar_steps;      /* default 1000 */
    /* Random Fourier-feature input embedding (sciml/nn.h): gamma(x) = [sin(2 pi x B),
     * cos(2 pi x B)], B (d, m) ~ N(0, sigma^2) fixed, before the MLP; its input derivatives go
     * through the Taylor streams like every layer. */
    int64_t fourier_features; /* m, 0: off (default) */
    double fourier_sigma;     /* default 1 */
    /* u = A + D N through the problem's output transform (sciml_pde_transform); the problem
     * must have one (SCIML_ERR_ARG otherwise). 0: off (default). */
    int hard_constraints;
} sciml_pinn_config;

/* Defaults for a problem: hidden 20,20,20 tanh; 2540 interior points; 40 points per face for
 * conditions in space and 160 for conditions on the initial time (Burgers: 80 boundary and
 * 160 initial); weights 1; Sobol sampling (measured on Burgers: relative L2 5.6e-3 against 8.3e-2
 * with LHS, seed 0); Adam 15000 steps at lr 1e-3, then L-BFGS up to 5000 iterations; seed 0; no
 * unknown coefficient; no refinement (when on: 100000 candidates, 10 points and 1000 Adam steps per
 * round). */
void sciml_pinn_config_default(sciml_pinn_config *config, const sciml_pde *pde);

typedef struct sciml_pinn sciml_pinn;

/* What the progress callback sees (valid during the call). */
typedef struct sciml_pinn_progress {
    const char *phase; /* "adam" or "lbfgs" */
    int64_t iteration; /* within the phase, from 1 */
    double loss;       /* weighted total */
    double residual;   /* mean r^2 */
    /* mean e_c^2 per condition; NaN for a condition met exactly (hard constraints) */
    double conditions[SCIML_PDE_MAX_CONDITIONS];
    double observations;  /* mean misfit^2 (inverse problems) */
    double unknown_value; /* current value of the unknown coefficient (NaN when none) */
    /* filled in the final summary (sciml_pinn_last_progress) only: */
    int64_t adam_steps, lbfgs_iterations, lbfgs_evaluations;
    double adam_seconds, lbfgs_seconds; /* wall-clock time of each phase */
} sciml_pinn_progress;

/* Returns 0 to continue, non-zero to stop training early (not an error). */
typedef int (*sciml_pinn_progress_fn)(void *user, const sciml_pinn_progress *progress);

/* Creates a model (network initialised from the seed, nothing trained). The config is copied
 * and checked: SCIML_ERR_RANGE/ARG with a message naming the field. */
sciml_status sciml_pinn_create(sciml_ctx *ctx, const sciml_pinn_config *config, sciml_pinn **out);
void sciml_pinn_destroy(sciml_pinn **model); /* accepts NULL, sets *model to NULL */

/* Observations for an inverse problem: points (count, d) and values (count), copied. Every
 * point must lie in the domain: SCIML_ERR_RANGE naming the first one outside. */
sciml_status sciml_pinn_set_observations(sciml_pinn *model, int64_t count, const double *points,
                                         const double *values);

/* Samples the points and trains (Adam, then L-BFGS): the whole schedule from the current
 * parameters with a fresh optimizer (and the configured points: refinement points of an
 * earlier run are dropped), or after sciml_pinn_resume from the checkpoint's position.
 * progress (may be NULL) is called every `every` Adam steps (and at the first), with the loss
 * at the parameters the step starts from, and every L-BFGS iteration that is a multiple of
 * `every` (iterations and steps counted from the start of the schedule, also across a resume).
 * A non-finite loss stops training with SCIML_ERR_NONFINITE and a message naming the phase and
 * step (also after the last step of an Adam phase); the model then holds the last parameters
 * with a finite loss. Ctrl-C (sciml_ctx_request_interrupt) stops it with SCIML_ERR_INTERRUPTED
 * at the next step. Either way, and when progress asks to stop, the position and Adam's state
 * are kept for sciml_pinn_write_checkpoint. */
sciml_status sciml_pinn_train(sciml_pinn *model, sciml_pinn_progress_fn progress, void *user,
                              int64_t every);
/* Builds the training graph on the current parameters and points (the interior, condition
 * and observation points that training would sample) and compares its parameter gradient with
 * central differences of step (sciml_graph_check_gradient); for tests and debugging. */
sciml_status sciml_pinn_check_gradient(sciml_pinn *model, double step, double *max_relative_error);
/* Final loss terms of the last training (or NaN before training). */
void sciml_pinn_last_progress(const sciml_pinn *model, sciml_pinn_progress *progress);

/* The outputs u (count, output_count) and, when residual is not NULL, the residual columns r
 * (count, residual_count) at points (count, d). */
sciml_status sciml_pinn_evaluate(sciml_pinn *model, int64_t count, const double *points, double *u,
                                 double *residual);
/* sqrt(sum (u - ref)^2 / sum ref^2) of each output (relative_l2 has output_count entries)
 * against the problem's exact or reference solution at points (count, d); mean-free for an
 * output fixed only up to a constant (Kovasznay p, sciml_pde_relative_error). */
sciml_status sciml_pinn_solution_error(sciml_pinn *model, int64_t count, const double *points,
                                       double *relative_l2);

const sciml_pinn_config *sciml_pinn_get_config(const sciml_pinn *model); /* points inside */
/* Interior points used by the last training: interior_count plus the points refinement added. */
int64_t sciml_pinn_interior_count(const sciml_pinn *model);
/* The problem with its current coefficients (the learned one for an inverse problem). */
const sciml_pde *sciml_pinn_get_pde(const sciml_pinn *model);

/* Writes / reads a model file (layout above). provenance may be NULL. sciml_pinn_read also
 * reads a checkpoint (its weights; the training state is left out). */
sciml_status sciml_pinn_write(sciml_pinn *model, const char *path,
                              const sciml_model_provenance *provenance);
sciml_status sciml_pinn_read(sciml_ctx *ctx, const char *path, sciml_pinn **out);

/* ---- resumable training ---------------------------------------------------------------------
 * The position of a training run: the Adam steps done (counted over the plain phase and the
 * refinement rounds, 1..adam_iterations + rar_rounds * rar_steps), the refinement rounds done
 * and the L-BFGS iterations done (the parameters are then its last accepted iterate). */
typedef struct sciml_pinn_position {
    int64_t adam_steps;
    int rar_rounds;
    int64_t lbfgs_iterations;
} sciml_pinn_position;

/* Where the model's training stands: the position reached by the last sciml_pinn_train (also
 * when it was interrupted, diverged or stopped by the callback) or read by sciml_pinn_resume;
 * all zero for a fresh model. */
void sciml_pinn_get_position(const sciml_pinn *model, sciml_pinn_position *position);

/* The flat parameter vector (the network, then the unknown coefficient's logarithm); points
 * into the model, valid until the next training or resume; *count gets its length. */
const double *sciml_pinn_parameters(const sciml_pinn *model, int64_t *count);

/* Periodic checkpoints: during sciml_pinn_train, `fn` is called every `every` Adam steps and
 * every `every` L-BFGS iterations (counted from the start of the schedule, also across a
 * resume; never at the position training started from, nor after the last L-BFGS iteration),
 * with the model at that position, so that sciml_pinn_write_checkpoint then writes a checkpoint
 * that continues as the run does. A status other than SCIML_OK stops training with it. every 0
 * or fn NULL: none. */
void sciml_pinn_set_checkpoint(sciml_pinn *model, int64_t every, sciml_train_checkpoint_fn fn,
                               void *user);

/* Writes the model file plus the training state (sciml_kind = "checkpoint"): Adam's moments and
 * step count and the position (the sciml_train_state layout of sciml/trainer.h: adam_m, adam_v
 * over "parameter", adam_steps, epochs_done = Adam steps done, rng_state = the refinement
 * sampler), rar_rounds_done, lbfgs_iterations_done, the refinement points rar_points
 * (rar_point, rar_input) when there are any, the times and L-BFGS evaluations so far, and the
 * configuration that fixes the points and the schedule (train_* attributes). The file is
 * written through a temporary and renamed. A diverged run's checkpoint holds the last
 * parameters with a finite loss and Adam's state at them. */
sciml_status sciml_pinn_write_checkpoint(sciml_pinn *model, const char *path,
                                         const sciml_model_provenance *provenance);

/* Loads a checkpoint into a model created (and given its observations) as for the run that wrote
 * it, so that the next sciml_pinn_train continues from its position: within the Adam steps
 * (plain or a refinement round) bit for bit as the uninterrupted run; within L-BFGS a fresh
 * L-BFGS minimisation from the checkpoint's iterate for the iterations left (its history is not
 * kept: close to, not bit for bit, the uninterrupted run). The problem, coefficients, network
 * (hidden, activation, Fourier features, hard constraints, unknown), seed, sampling, point
 * counts, loss weights, observations (count and checksum) and schedule (Adam steps, refinement,
 * L-BFGS iterations) must equal the checkpoint's: SCIML_ERR_FORMAT naming the first that differs
 * (only the learning rate may differ, at the price of bit-for-bit equality). A plain model file of
 * the same network is accepted as a warm start: its weights are loaded, *is_checkpoint is 0 and
 * training runs the whole schedule from them with a fresh optimizer. On error the model is
 * unchanged. is_checkpoint may be NULL. */
sciml_status sciml_pinn_resume(sciml_pinn *model, const char *path, int *is_checkpoint);

#ifdef __cplusplus
}
#endif
#endif /* SCIML_PINN_MODEL_H */
