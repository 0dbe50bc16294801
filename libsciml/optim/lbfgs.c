/* L-BFGS with a strong Wolfe line search (Nocedal and Wright, Numerical Optimization, 2nd ed.).
 *
 * Direction (algorithm 7.4, two-loop recursion): with the m newest pairs
 *   s_i = x_{i+1} - x_i,  y_i = g_{i+1} - g_i,  rho_i = 1 / (y_i' s_i),
 *   q = g;  for i newest..oldest: a_i = rho_i s_i' q,  q -= a_i y_i
 *   r = gamma q with gamma = s'y / y'y of the newest pair (H0 = gamma I, eq. 7.20)
 *   for i oldest..newest: b = rho_i y_i' r,  r += (a_i - b) s_i;      d = -r.
 * A pair is stored only when s'y > eps y'y (the curvature condition that keeps H positive
 * definite; the strong Wolfe step guarantees it in exact arithmetic).
 *
 * Step length (algorithms 3.5 and 3.6): find alpha with
 *   phi(alpha) <= phi(0) + c1 alpha phi'(0)       (sufficient decrease)
 *   |phi'(alpha)| <= c2 |phi'(0)|                 (strong curvature)
 * for phi(alpha) = f(x + alpha d). The bracketing phase extrapolates with the minimiser of the
 * cubic through the last two points; zoom interpolates the same cubic inside the bracket,
 * safeguarded by bisection when the minimiser falls within 10% of either end. A non-finite
 * value at a trial point shrinks the bracket towards the last finite point.
 */
#include "sciml/optim.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct lbfgs_work {
    sciml_ctx *ctx;
    int64_t n;
    sciml_objective_fn objective;
    void *user;
    sciml_lbfgs_options options;
    double *x;         /* (n) current iterate, owned by the caller */
    double *g;         /* (n) its gradient */
    double *d;         /* (n) search direction */
    double *x_trial;   /* (n) x + alpha d */
    double *g_trial;   /* (n) gradient at x_trial */
    double *g_low;     /* (n) gradient at the best sufficient-decrease point of a search */
    double *s;         /* (m, n) ring of steps */
    double *y;         /* (m, n) ring of gradient changes */
    double *rho;       /* (m) 1 / (y's) */
    double *alpha;     /* (m) two-loop coefficients */
    int history_count; /* pairs stored, <= m */
    int history_start; /* ring index of the oldest pair */
    int64_t evaluations;
    sciml_status callback_status;
} lbfgs_work;

typedef enum search_outcome {
    SEARCH_ACCEPTED,      /* strong Wolfe step in x_trial / g_trial */
    SEARCH_FALLBACK,      /* no Wolfe step, but a sufficient-decrease step (in x_trial/g_trial) */
    SEARCH_FAILED,        /* no point better than x */
    SEARCH_NONFINITE,     /* every trial point was non-finite */
    SEARCH_CALLBACK_ERROR /* the objective returned an error (callback_status) */
} search_outcome;

typedef struct search_point {
    double alpha, f, slope; /* phi(alpha), phi'(alpha) */
} search_point;

const char *sciml_lbfgs_reason_name(sciml_lbfgs_reason reason) {
    switch (reason) {
    case SCIML_LBFGS_RUNNING:
        return "running";
    case SCIML_LBFGS_GRADIENT_TOLERANCE:
        return "gradient tolerance";
    case SCIML_LBFGS_FUNCTION_TOLERANCE:
        return "function tolerance";
    case SCIML_LBFGS_MAX_ITERATIONS:
        return "maximum iterations";
    case SCIML_LBFGS_MAX_EVALUATIONS:
        return "maximum evaluations";
    case SCIML_LBFGS_LINE_SEARCH_FAILED:
        return "line search failed";
    case SCIML_LBFGS_STOPPED_BY_CALLBACK:
        return "stopped by callback";
    case SCIML_LBFGS_INTERRUPTED:
        return "interrupted";
    case SCIML_LBFGS_CALLBACK_ERROR:
        return "objective error";
    case SCIML_LBFGS_NONFINITE:
        return "non-finite objective";
    }
    return "unknown";
}

void sciml_lbfgs_options_default(sciml_lbfgs_options *options) {
    memset(options, 0, sizeof(*options));
    options->history = 10;
    options->max_iterations = 1000;
    options->max_evaluations = 2500;
    options->gradient_tolerance = 1e-9;
    options->function_tolerance = 1e-12;
    options->c1 = 1e-4;
    options->c2 = 0.9;
    options->max_line_search = 25;
}

static double dot(int64_t n, const double *a, const double *b) {
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++)
        sum += a[i] * b[i];
    return sum;
}

static double norm_inf(int64_t n, const double *a) {
    double m = 0.0;
    for (int64_t i = 0; i < n; i++)
        m = fmax(m, fabs(a[i]));
    return m;
}

static int all_finite(int64_t n, const double *a) {
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(a[i]))
            return 0;
    return 1;
}

/* Evaluates phi at alpha into x_trial/g_trial. Returns 1 for a finite point, 0 for a
 * non-finite one, -1 for an objective error. */
static int evaluate_trial(lbfgs_work *w, double alpha, search_point *point) {
    for (int64_t i = 0; i < w->n; i++)
        w->x_trial[i] = w->x[i] + alpha * w->d[i];
    double f = NAN;
    w->evaluations++;
    sciml_status status = w->objective(w->user, w->n, w->x_trial, &f, w->g_trial);
    if (status != SCIML_OK) {
        w->callback_status = status;
        return -1;
    }
    point->alpha = alpha;
    point->f = f;
    point->slope = dot(w->n, w->g_trial, w->d);
    return isfinite(f) && isfinite(point->slope) && all_finite(w->n, w->g_trial);
}

/* Minimiser of the cubic interpolating phi and phi' at a and b (Nocedal and Wright eq. 3.59);
 * NAN when the cubic has no minimiser. */
static double cubic_minimizer(const search_point *a, const search_point *b) {
    double d1 = a->slope + b->slope - 3.0 * (a->f - b->f) / (a->alpha - b->alpha);
    double radicand = d1 * d1 - a->slope * b->slope;
    if (!(radicand >= 0.0))
        return NAN;
    double d2 = copysign(sqrt(radicand), b->alpha - a->alpha);
    double denominator = b->slope - a->slope + 2.0 * d2;
    if (denominator == 0.0)
        return NAN;
    return b->alpha - (b->alpha - a->alpha) * (b->slope + d2 - d1) / denominator;
}

static int search_budget_left(const lbfgs_work *w, int used) {
    return used < w->options.max_line_search && w->evaluations < w->options.max_evaluations;
}

/* Moves the best sufficient-decrease point (low, with gradient g_low) into x_trial/g_trial. */
static search_outcome fall_back(lbfgs_work *w, const search_point *low, int any_finite,
                                search_point *result) {
    if (low->alpha <= 0.0)
        return any_finite ? SEARCH_FAILED : SEARCH_NONFINITE;
    for (int64_t i = 0; i < w->n; i++)
        w->x_trial[i] = w->x[i] + low->alpha * w->d[i];
    memcpy(w->g_trial, w->g_low, (size_t)w->n * sizeof(double));
    *result = *low;
    return SEARCH_FALLBACK;
}

/* Algorithm 3.6: low satisfies sufficient decrease and has the lowest value so far; the
 * bracket [low, high] (either order) contains Wolfe points. high_finite 0 means phi(high) was
 * non-finite: the bracket is then shrunk towards low without interpolation. */
static search_outcome zoom(lbfgs_work *w, const search_point *start, search_point low,
                           search_point high, int high_finite, int used, int any_finite,
                           search_point *result) {
    const double c1 = w->options.c1, c2 = w->options.c2;
    while (search_budget_left(w, used)) {
        double lower = fmin(low.alpha, high.alpha), upper = fmax(low.alpha, high.alpha);
        if (upper - lower <= 4.0 * DBL_EPSILON * upper)
            break; /* bracket at round-off */
        double alpha;
        if (high_finite) {
            alpha = cubic_minimizer(&low, &high);
            double margin = 0.1 * (upper - lower);
            if (!(alpha >= lower + margin && alpha <= upper - margin))
                alpha = 0.5 * (lower + upper);
        } else {
            alpha = low.alpha + 0.25 * (high.alpha - low.alpha);
        }
        search_point trial;
        int finite = evaluate_trial(w, alpha, &trial);
        used++;
        if (finite < 0)
            return SEARCH_CALLBACK_ERROR;
        if (!finite) {
            high = trial;
            high_finite = 0;
            continue;
        }
        any_finite = 1;
        if (trial.f > start->f + c1 * alpha * start->slope || trial.f >= low.f) {
            high = trial;
            high_finite = 1;
        } else {
            if (fabs(trial.slope) <= -c2 * start->slope) {
                *result = trial;
                return SEARCH_ACCEPTED;
            }
            if (trial.slope * (high.alpha - low.alpha) >= 0.0) {
                high = low;
                high_finite = 1;
            }
            low = trial;
            memcpy(w->g_low, w->g_trial, (size_t)w->n * sizeof(double));
        }
    }
    return fall_back(w, &low, any_finite, result);
}

/* Algorithm 3.5 from phi(0) = start (alpha 0) with first trial alpha_initial. */
static search_outcome line_search(lbfgs_work *w, const search_point *start, double alpha_initial,
                                  search_point *result) {
    const double c1 = w->options.c1, c2 = w->options.c2;
    search_point previous = *start;
    double alpha = alpha_initial;
    int used = 0, any_finite = 0;
    while (search_budget_left(w, used)) {
        search_point trial;
        int finite = evaluate_trial(w, alpha, &trial);
        used++;
        if (finite < 0)
            return SEARCH_CALLBACK_ERROR;
        if (!finite) /* too long: look between the last finite point and here */
            return zoom(w, start, previous, trial, 0, used, any_finite, result);
        any_finite = 1;
        if (trial.f > start->f + c1 * alpha * start->slope || (used > 1 && trial.f >= previous.f))
            return zoom(w, start, previous, trial, 1, used, any_finite, result);
        if (fabs(trial.slope) <= -c2 * start->slope) {
            *result = trial;
            return SEARCH_ACCEPTED;
        }
        memcpy(w->g_low, w->g_trial, (size_t)w->n * sizeof(double));
        if (trial.slope >= 0.0)
            return zoom(w, start, trial, previous, 1, used, any_finite, result);
        /* Still descending: extrapolate, at least 1% beyond and at most 10 times alpha. */
        double lower = alpha + 0.01 * (alpha - previous.alpha), upper = 10.0 * alpha;
        double next = cubic_minimizer(&previous, &trial);
        if (!(next >= lower && next <= upper))
            next = fmin(fmax(next, lower), upper);
        if (!isfinite(next))
            next = 2.0 * alpha;
        previous = trial;
        alpha = next;
    }
    return fall_back(w, &previous, any_finite, result);
}

static void clear_history(lbfgs_work *w) {
    w->history_count = 0;
    w->history_start = 0;
}

/* d = -H g by the two-loop recursion (d = -g without history). */
static void compute_direction(lbfgs_work *w) {
    const int64_t n = w->n;
    const int m = w->options.history;
    double *q = w->d;
    memcpy(q, w->g, (size_t)n * sizeof(double));
    if (w->history_count > 0) {
        for (int k = w->history_count - 1; k >= 0; k--) {
            int i = (w->history_start + k) % m;
            const double *s = w->s + (size_t)i * (size_t)n, *y = w->y + (size_t)i * (size_t)n;
            w->alpha[i] = w->rho[i] * dot(n, s, q);
            for (int64_t j = 0; j < n; j++)
                q[j] -= w->alpha[i] * y[j];
        }
        int newest = (w->history_start + w->history_count - 1) % m;
        const double *y_new = w->y + (size_t)newest * (size_t)n;
        double gamma = 1.0 / (w->rho[newest] * dot(n, y_new, y_new)); /* s'y / y'y */
        for (int64_t j = 0; j < n; j++)
            q[j] *= gamma;
        for (int k = 0; k < w->history_count; k++) {
            int i = (w->history_start + k) % m;
            const double *s = w->s + (size_t)i * (size_t)n, *y = w->y + (size_t)i * (size_t)n;
            double beta = w->rho[i] * dot(n, y, q);
            for (int64_t j = 0; j < n; j++)
                q[j] += (w->alpha[i] - beta) * s[j];
        }
    }
    for (int64_t j = 0; j < n; j++)
        q[j] = -q[j];
}

/* Stores s = x_trial - x, y = g_trial - g when the curvature condition s'y > eps y'y holds
 * (replacing the oldest pair when the ring is full); otherwise the history is unchanged. */
static void push_pair(lbfgs_work *w) {
    const int64_t n = w->n;
    const int m = w->options.history;
    double sy = 0.0, yy = 0.0;
    for (int64_t j = 0; j < n; j++) {
        double s = w->x_trial[j] - w->x[j], y = w->g_trial[j] - w->g[j];
        sy += s * y;
        yy += y * y;
    }
    if (!(sy > DBL_EPSILON * yy) || !(yy > 0.0) || !isfinite(sy) || !isfinite(yy))
        return;
    int slot = w->history_count < m ? (w->history_start + w->history_count) % m : w->history_start;
    double *s = w->s + (size_t)slot * (size_t)n, *y = w->y + (size_t)slot * (size_t)n;
    for (int64_t j = 0; j < n; j++) {
        s[j] = w->x_trial[j] - w->x[j];
        y[j] = w->g_trial[j] - w->g[j];
    }
    w->rho[slot] = 1.0 / sy;
    if (w->history_count < m)
        w->history_count++;
    else
        w->history_start = (w->history_start + 1) % m;
}

static sciml_status check_options(sciml_ctx *ctx, const sciml_lbfgs_options *o) {
    if (o->history < 1 || o->history > 1000)
        return sciml_error(ctx, SCIML_ERR_RANGE, "lbfgs: history %d, expected 1..1000", o->history);
    if (o->max_iterations < 0 || o->max_evaluations < 1)
        return sciml_error(
            ctx, SCIML_ERR_RANGE,
            "lbfgs: max iterations %lld and evaluations %lld, expected >= 0 and >= 1",
            (long long)o->max_iterations, (long long)o->max_evaluations);
    if (!(o->gradient_tolerance >= 0.0) || !(o->function_tolerance >= 0.0))
        return sciml_error(ctx, SCIML_ERR_RANGE, "lbfgs: tolerances (%g, %g), expected >= 0",
                           o->gradient_tolerance, o->function_tolerance);
    if (!(o->c1 > 0.0 && o->c1 < o->c2 && o->c2 < 1.0))
        return sciml_error(ctx, SCIML_ERR_RANGE,
                           "lbfgs: Wolfe constants c1 = %g, c2 = %g, expected 0 < c1 < c2 < 1",
                           o->c1, o->c2);
    if (o->max_line_search < 1)
        return sciml_error(ctx, SCIML_ERR_RANGE, "lbfgs: max line search %d, expected >= 1",
                           o->max_line_search);
    return SCIML_OK;
}

static void free_work(lbfgs_work *w) {
    free(w->g);
    free(w->d);
    free(w->x_trial);
    free(w->g_trial);
    free(w->g_low);
    free(w->s);
    free(w->y);
    free(w->rho);
    free(w->alpha);
}

static sciml_status allocate_work(lbfgs_work *w) {
    size_t n = (size_t)w->n, m = (size_t)w->options.history, history_values;
    if (sciml_mul_size(n, m, &history_values))
        return sciml_error(w->ctx, SCIML_ERR_OVERFLOW, "lbfgs: history %zu x %zu overflows", m, n);
    w->g = sciml_alloc_array(n, sizeof(double));
    w->d = sciml_alloc_array(n, sizeof(double));
    w->x_trial = sciml_alloc_array(n, sizeof(double));
    w->g_trial = sciml_alloc_array(n, sizeof(double));
    w->g_low = sciml_alloc_array(n, sizeof(double));
    w->s = sciml_alloc_array(history_values, sizeof(double));
    w->y = sciml_alloc_array(history_values, sizeof(double));
    w->rho = sciml_alloc_array(m, sizeof(double));
    w->alpha = sciml_alloc_array(m, sizeof(double));
    if (!w->g || !w->d || !w->x_trial || !w->g_trial || !w->g_low || !w->s || !w->y || !w->rho ||
        !w->alpha)
        return sciml_error(w->ctx, SCIML_ERR_NOMEM,
                           "lbfgs: cannot allocate work space for %zu parameters, history %zu", n,
                           m);
    return SCIML_OK;
}

static sciml_status callback_failed(lbfgs_work *w) {
    if (sciml_ctx_message(w->ctx)[0] == '\0')
        sciml_error(w->ctx, w->callback_status,
                    "lbfgs: objective failed at evaluation %lld (%s); kept the last good point",
                    (long long)w->evaluations, sciml_strerror(w->callback_status));
    return w->callback_status;
}

sciml_status sciml_lbfgs_minimize(sciml_ctx *ctx, int64_t n, double *x,
                                  sciml_objective_fn objective, void *user,
                                  const sciml_lbfgs_options *options, sciml_lbfgs_result *result) {
    sciml_lbfgs_result local_result;
    if (!result)
        result = &local_result;
    memset(result, 0, sizeof(*result));
    result->f = NAN;
    result->gradient_norm = NAN;
    if (!x || !objective)
        return sciml_error(ctx, SCIML_ERR_ARG, "lbfgs: NULL point or objective");
    if (n < 1)
        return sciml_error(ctx, SCIML_ERR_RANGE, "lbfgs: %lld unknowns, expected at least 1",
                           (long long)n);
    lbfgs_work w;
    memset(&w, 0, sizeof(w));
    w.ctx = ctx;
    w.n = n;
    w.objective = objective;
    w.user = user;
    w.x = x;
    if (options)
        w.options = *options;
    else
        sciml_lbfgs_options_default(&w.options);
    sciml_status status = check_options(ctx, &w.options);
    if (status != SCIML_OK)
        return status;
    if ((uint64_t)n > SIZE_MAX / sizeof(double))
        return sciml_error(ctx, SCIML_ERR_OVERFLOW, "lbfgs: %lld unknowns overflow memory",
                           (long long)n);
    status = allocate_work(&w);
    if (status != SCIML_OK) {
        free_work(&w);
        return status;
    }
    const sciml_lbfgs_options *o = &w.options;

    double f = NAN;
    w.evaluations = 1;
    status = objective(user, n, x, &f, w.g);
    result->evaluations = 1;
    if (status != SCIML_OK) {
        w.callback_status = status;
        result->reason = SCIML_LBFGS_CALLBACK_ERROR;
        status = callback_failed(&w);
        free_work(&w);
        return status;
    }
    if (!isfinite(f) || !all_finite(n, w.g)) {
        result->reason = SCIML_LBFGS_NONFINITE;
        result->f = f;
        free_work(&w);
        return sciml_error(ctx, SCIML_ERR_NONFINITE,
                           "lbfgs: objective is %g (or its gradient is non-finite) at the "
                           "starting point",
                           f);
    }
    double gradient_norm = norm_inf(n, w.g);
    sciml_lbfgs_reason reason = SCIML_LBFGS_RUNNING;
    int64_t iterations = 0;
    int retried = 0; /* a failed search already retried along -g */
    if (gradient_norm <= o->gradient_tolerance)
        reason = SCIML_LBFGS_GRADIENT_TOLERANCE;

    while (reason == SCIML_LBFGS_RUNNING) {
        if (sciml_ctx_interrupted(ctx)) {
            reason = SCIML_LBFGS_INTERRUPTED;
            break;
        }
        if (iterations >= o->max_iterations) {
            reason = SCIML_LBFGS_MAX_ITERATIONS;
            break;
        }
        if (w.evaluations >= o->max_evaluations) {
            reason = SCIML_LBFGS_MAX_EVALUATIONS;
            break;
        }
        compute_direction(&w);
        search_point start = {0.0, f, dot(n, w.g, w.d)};
        if (!(start.slope < 0.0)) { /* not a descent direction: restart along -g */
            clear_history(&w);
            compute_direction(&w);
            start.slope = dot(n, w.g, w.d);
        }
        /* Unit step for quasi-Newton directions; a step of length 1 along -g otherwise. */
        double alpha_initial = 1.0;
        if (w.history_count == 0)
            alpha_initial = fmin(1.0, 1.0 / sqrt(dot(n, w.g, w.g)));
        search_point accepted;
        search_outcome outcome = line_search(&w, &start, alpha_initial, &accepted);
        if (outcome == SEARCH_CALLBACK_ERROR) {
            reason = SCIML_LBFGS_CALLBACK_ERROR;
            break;
        }
        if (outcome == SEARCH_FAILED || outcome == SEARCH_NONFINITE) {
            if (w.evaluations >= o->max_evaluations) {
                reason = SCIML_LBFGS_MAX_EVALUATIONS;
            } else if (w.history_count > 0 && !retried) {
                clear_history(&w); /* retry once along the steepest descent direction */
                retried = 1;
                continue;
            } else {
                reason = outcome == SEARCH_NONFINITE ? SCIML_LBFGS_NONFINITE
                                                     : SCIML_LBFGS_LINE_SEARCH_FAILED;
            }
            break;
        }
        retried = 0;
        push_pair(&w); /* also after a fallback step, when its curvature is positive */
        double f_previous = f;
        f = accepted.f;
        memcpy(x, w.x_trial, (size_t)n * sizeof(double));
        memcpy(w.g, w.g_trial, (size_t)n * sizeof(double));
        gradient_norm = norm_inf(n, w.g);
        iterations++;
        if (o->iteration_callback) {
            sciml_lbfgs_progress progress = {
                .iteration = iterations,
                .evaluations = w.evaluations,
                .n = n,
                .x = x,
                .grad = w.g,
                .f = f,
                .f_previous = f_previous,
                .gradient_norm = gradient_norm,
                .step = accepted.alpha,
                .initial_slope = start.slope,
                .final_slope = accepted.slope,
                .strong_wolfe = f <= f_previous + o->c1 * accepted.alpha * start.slope &&
                                fabs(accepted.slope) <= o->c2 * fabs(start.slope),
            };
            if (o->iteration_callback(o->iteration_user, &progress) != 0) {
                reason = SCIML_LBFGS_STOPPED_BY_CALLBACK;
                break;
            }
        }
        if (gradient_norm <= o->gradient_tolerance)
            reason = SCIML_LBFGS_GRADIENT_TOLERANCE;
        else if (o->function_tolerance > 0.0 &&
                 fabs(f_previous - f) <=
                     o->function_tolerance * fmax(fmax(fabs(f_previous), fabs(f)), 1.0))
            reason = SCIML_LBFGS_FUNCTION_TOLERANCE;
    }

    result->iterations = iterations;
    result->evaluations = w.evaluations;
    result->f = f;
    result->gradient_norm = gradient_norm;
    result->reason = reason;
    status = SCIML_OK;
    if (reason == SCIML_LBFGS_CALLBACK_ERROR)
        status = callback_failed(&w);
    else if (reason == SCIML_LBFGS_NONFINITE)
        status = sciml_error(ctx, SCIML_ERR_NONFINITE,
                             "lbfgs: only non-finite objective values along the search "
                             "direction after %lld iterations; kept the last good point (f = %g)",
                             (long long)iterations, f);
    else if (reason == SCIML_LBFGS_INTERRUPTED)
        status = sciml_error(ctx, SCIML_ERR_INTERRUPTED,
                             "lbfgs: interrupted after %lld iterations (f = %g)",
                             (long long)iterations, f);
    free_work(&w);
    return status;
}
