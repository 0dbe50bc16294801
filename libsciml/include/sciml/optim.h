/* libsciml optimisers: Adam / AdamW / Adam with L2 decay on flat parameter vectors, L-BFGS
 * with a strong Wolfe line search, and learning-rate schedules.
 *
 * Nothing here depends on the graph: every optimiser works on a flat double vector of
 * parameters and its gradient (sciml_graph_params()/sciml_graph_grads() for a graph, or any
 * caller-owned array). Learning rates are passed to each step, so schedules live outside the
 * optimiser and are pure functions of the step (or epoch) index.
 */
#ifndef SCIML_OPTIM_H
#define SCIML_OPTIM_H

#include "sciml/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Optimiser names as the tools spell them: "adam", "adamw", "lbfgs". */
typedef enum sciml_optimizer_kind {
    SCIML_OPTIMIZER_ADAM = 0,
    SCIML_OPTIMIZER_ADAMW,
    SCIML_OPTIMIZER_LBFGS
} sciml_optimizer_kind;

const char *sciml_optimizer_name(sciml_optimizer_kind kind);
/* SCIML_ERR_NOT_FOUND (and a message listing the choices) for an unknown name. */
sciml_status sciml_optimizer_parse(sciml_ctx *ctx, const char *name, sciml_optimizer_kind *out);

/* ---------------------------------------------------------------------------------------
 * Adam (Kingma and Ba 2015) with bias correction, in PyTorch's arithmetic:
 *   g   = grad (+ wd * p                     for SCIML_WEIGHT_DECAY_L2, PyTorch Adam)
 *   p   = p - lr * wd * p                    (SCIML_WEIGHT_DECAY_DECOUPLED, AdamW, before the
 *                                             Adam update; Loshchilov and Hutter 2019)
 *   m   = beta1 m + (1 - beta1) g,   v = beta2 v + (1 - beta2) g^2,   t = t + 1
 *   p   = p - (lr / (1 - beta1^t)) m / (sqrt(v) / sqrt(1 - beta2^t) + epsilon)
 */
typedef enum sciml_weight_decay {
    SCIML_WEIGHT_DECAY_L2 = 0,   /* classic: wd * p added to the gradient (torch Adam) */
    SCIML_WEIGHT_DECAY_DECOUPLED /* AdamW: p -= lr * wd * p apart from the Adam step */
} sciml_weight_decay;

typedef struct sciml_adam_options {
    double beta1;                  /* [0, 1), default 0.9 */
    double beta2;                  /* [0, 1), default 0.999 */
    double epsilon;                /* > 0, default 1e-8 */
    double weight_decay;           /* >= 0, default 0 (no decay) */
    sciml_weight_decay decay_mode; /* default SCIML_WEIGHT_DECAY_L2 */
} sciml_adam_options;

/* Defaults for the kind: Adam (wd 0, L2 mode) or AdamW (wd 0.01 as in torch, decoupled). */
void sciml_adam_options_default(sciml_adam_options *options, sciml_optimizer_kind kind);

typedef struct sciml_adam sciml_adam;

/* Creates the optimiser for parameter_count (>= 1) parameters with zero moments and step 0.
 * options NULL means Adam defaults; options are copied. The context is borrowed (must outlive
 * the optimiser). Errors: SCIML_ERR_ARG/RANGE for bad options, SCIML_ERR_NOMEM. */
sciml_status sciml_adam_create(sciml_ctx *ctx, int64_t parameter_count,
                               const sciml_adam_options *options, sciml_adam **out);
void sciml_adam_destroy(sciml_adam **adam); /* accepts NULL, sets *adam to NULL */

/* One update of params[0..parameter_count) in place from grads (same length), with learning
 * rate lr >= 0. A non-finite gradient or lr gives SCIML_ERR_NONFINITE and changes nothing
 * (neither params nor moments nor the step count). */
sciml_status sciml_adam_step(sciml_adam *adam, double *params, const double *grads, double lr);

int64_t sciml_adam_parameter_count(const sciml_adam *adam);
int64_t sciml_adam_step_count(const sciml_adam *adam);                    /* completed steps t */
const sciml_adam_options *sciml_adam_get_options(const sciml_adam *adam); /* points inside */

/* Checkpointing: copies the step count and the moment vectors m and v (count must equal the
 * parameter count) out of / into the optimiser, so that a resumed run continues bit for bit.
 * set_state validates everything first and changes nothing on error. */
sciml_status sciml_adam_get_state(const sciml_adam *adam, int64_t *step_count, double *first_moment,
                                  double *second_moment, int64_t count);
sciml_status sciml_adam_set_state(sciml_adam *adam, int64_t step_count, const double *first_moment,
                                  const double *second_moment, int64_t count);

/* ---------------------------------------------------------------------------------------
 * L-BFGS (Nocedal and Wright, Numerical Optimization, 2nd ed.: algorithm 7.4 two-loop
 * recursion with H0 = (s'y / y'y) I, algorithms 3.5/3.6 strong Wolfe line search with cubic
 * interpolation in the zoom phase).
 *
 * The objective computes f(x) and its gradient. It returns SCIML_OK, or an error status
 * (which stops the minimisation). A non-finite f or gradient is not an error by itself: the
 * line search treats it as a step that is too long and shrinks it; only when no finite point
 * can be found does the minimisation stop with SCIML_ERR_NONFINITE.
 */
typedef sciml_status (*sciml_objective_fn)(void *user, int64_t n, const double *x, double *f,
                                           double *grad);

typedef enum sciml_lbfgs_reason {
    SCIML_LBFGS_RUNNING = 0,        /* (only seen by the iteration callback) */
    SCIML_LBFGS_GRADIENT_TOLERANCE, /* ||g||_inf <= gradient_tolerance */
    SCIML_LBFGS_FUNCTION_TOLERANCE, /* |f_k - f_k+1| <= function_tolerance max(|f_k|,|f_k+1|,1) */
    SCIML_LBFGS_MAX_ITERATIONS,
    SCIML_LBFGS_MAX_EVALUATIONS,
    SCIML_LBFGS_LINE_SEARCH_FAILED,  /* no strong Wolfe step, even along -g (at round-off) */
    SCIML_LBFGS_STOPPED_BY_CALLBACK, /* the iteration callback returned non-zero */
    SCIML_LBFGS_INTERRUPTED,         /* sciml_ctx_interrupted() was set */
    SCIML_LBFGS_CALLBACK_ERROR,      /* the objective returned an error status */
    SCIML_LBFGS_NONFINITE            /* only non-finite values along the search direction */
} sciml_lbfgs_reason;

const char *sciml_lbfgs_reason_name(sciml_lbfgs_reason reason); /* e.g. "gradient tolerance" */

/* What the iteration callback sees after each accepted step (all borrowed, valid during the
 * call only). The step went from x_k (value f_previous) to x (value f) along direction d with
 * step length `step`; directional derivatives are g_k'd (initial) and g_k+1'd (final), so the
 * strong Wolfe conditions read f <= f_previous + c1 step initial and
 * |final| <= c2 |initial|. */
typedef struct sciml_lbfgs_progress {
    int64_t iteration;   /* 1 for the first accepted step */
    int64_t evaluations; /* objective calls so far */
    int64_t n;
    const double *x;    /* (n) the new iterate */
    const double *grad; /* (n) its gradient */
    double f, f_previous;
    double gradient_norm; /* ||grad||_inf */
    double step;          /* alpha */
    double initial_slope; /* g_k' d (< 0) */
    double final_slope;   /* g_k+1' d */
    int strong_wolfe;     /* 1 when the accepted step satisfies both conditions */
} sciml_lbfgs_progress;

/* Returns 0 to continue, non-zero to stop (reason SCIML_LBFGS_STOPPED_BY_CALLBACK). */
typedef int (*sciml_lbfgs_iteration_fn)(void *user, const sciml_lbfgs_progress *progress);

typedef struct sciml_lbfgs_options {
    int history;               /* m, correction pairs kept; default 10 */
    int64_t max_iterations;    /* default 1000 */
    int64_t max_evaluations;   /* objective calls in all; default 2500 */
    double gradient_tolerance; /* on ||g||_inf; default 1e-9 */
    double function_tolerance; /* relative change of f; default 1e-12 (0 disables) */
    double c1;                 /* sufficient decrease; default 1e-4 */
    double c2;                 /* curvature; default 0.9 (c1 < c2 < 1) */
    int max_line_search;       /* objective calls per line search; default 25 */
    sciml_lbfgs_iteration_fn iteration_callback; /* may be NULL */
    void *iteration_user;
} sciml_lbfgs_options;

void sciml_lbfgs_options_default(sciml_lbfgs_options *options);

typedef struct sciml_lbfgs_result {
    int64_t iterations;   /* accepted steps */
    int64_t evaluations;  /* objective calls */
    double f;             /* objective at the returned x */
    double gradient_norm; /* ||g||_inf at the returned x */
    sciml_lbfgs_reason reason;
} sciml_lbfgs_result;

/* Minimises objective from x[0..n) (in/out). On return x always holds the last accepted
 * iterate (the best point found, with value result->f), also when the objective failed or
 * returned NaN later. Returns SCIML_OK for the normal terminations (tolerances, iteration or
 * evaluation limits, line-search failure at round-off, a callback stop; see result->reason),
 * the objective's own status for SCIML_LBFGS_CALLBACK_ERROR, SCIML_ERR_NONFINITE when the
 * starting point or every trial point is non-finite, SCIML_ERR_INTERRUPTED when the context's
 * interrupt flag was set (polled once per iteration), and SCIML_ERR_ARG/RANGE/NOMEM for bad
 * arguments or memory (x unchanged). options NULL means defaults; result may be NULL. */
sciml_status sciml_lbfgs_minimize(sciml_ctx *ctx, int64_t n, double *x,
                                  sciml_objective_fn objective, void *user,
                                  const sciml_lbfgs_options *options, sciml_lbfgs_result *result);

/* ---------------------------------------------------------------------------------------
 * Learning-rate schedules, pure functions of the step (or epoch) index k = 0, 1, 2, ...
 *   warm-up (k < warmup):  lr = base (k + 1) / warmup                (linear, reaches base)
 *   then with t = k - warmup:
 *   constant:  lr = base
 *   step:      lr = base gamma^floor(t / step_size)         (e.g. gamma 0.5 every 50 epochs)
 *   cosine:    lr = min + (base - min) (1 + cos(pi min(t, period) / period)) / 2
 *              (Loshchilov and Hutter, SGDR, without restarts; stays at min after period)
 */
typedef enum sciml_schedule_kind {
    SCIML_SCHEDULE_CONSTANT = 0,
    SCIML_SCHEDULE_STEP,
    SCIML_SCHEDULE_COSINE
} sciml_schedule_kind;

typedef struct sciml_schedule {
    sciml_schedule_kind kind;
    double base_lr;    /* > 0 */
    int64_t step_size; /* step: >= 1 */
    double gamma;      /* step: (0, 1] */
    int64_t period;    /* cosine: T >= 1 */
    double min_lr;     /* cosine: [0, base_lr] */
    int64_t warmup;    /* >= 0 steps of linear warm-up (0: none) */
} sciml_schedule;

/* Constant schedule at base_lr with the other fields set to harmless values. */
void sciml_schedule_default(sciml_schedule *schedule, double base_lr);
const char *sciml_schedule_name(sciml_schedule_kind kind); /* "constant", "step", "cosine" */
sciml_status sciml_schedule_parse(sciml_ctx *ctx, const char *name, sciml_schedule_kind *out);
/* SCIML_ERR_RANGE with a message naming the field when the fields do not fit the kind. */
sciml_status sciml_schedule_check(sciml_ctx *ctx, const sciml_schedule *schedule);
/* Learning rate at index k >= 0 (negative k is treated as 0). Check the schedule first. */
double sciml_schedule_lr(const sciml_schedule *schedule, int64_t k);

#ifdef __cplusplus
}
#endif
#endif /* SCIML_OPTIM_H */
