/* Adam, AdamW and Adam with classic L2 weight decay on a flat parameter vector.
 *
 * Kingma and Ba, "Adam: a method for stochastic optimization" (ICLR 2015), algorithm 1, with
 * the bias correction folded into the step as PyTorch does it:
 *   m_t = beta1 m_{t-1} + (1 - beta1) g,   v_t = beta2 v_{t-1} + (1 - beta2) g^2
 *   p  -= (lr / (1 - beta1^t)) m_t / (sqrt(v_t) / sqrt(1 - beta2^t) + epsilon)
 * Weight decay, two ways:
 *   L2 (torch.optim.Adam(weight_decay=wd), used by the FNO paper's recipe): g = grad + wd p,
 *     so the decay is rescaled by the adaptive denominator;
 *   decoupled (Loshchilov and Hutter, "Decoupled weight decay regularization", ICLR 2019):
 *     p -= lr wd p before the Adam step, independent of the gradient statistics.
 */
#include "sciml/optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct sciml_adam {
    sciml_ctx *ctx; /* borrowed */
    sciml_adam_options options;
    int64_t parameter_count;
    int64_t step_count;    /* t */
    double *first_moment;  /* (parameter_count) m */
    double *second_moment; /* (parameter_count) v */
};

const char *sciml_optimizer_name(sciml_optimizer_kind kind) {
    switch (kind) {
    case SCIML_OPTIMIZER_ADAM:
        return "adam";
    case SCIML_OPTIMIZER_ADAMW:
        return "adamw";
    case SCIML_OPTIMIZER_LBFGS:
        return "lbfgs";
    }
    return "unknown";
}

sciml_status sciml_optimizer_parse(sciml_ctx *ctx, const char *name, sciml_optimizer_kind *out) {
    static const sciml_optimizer_kind kinds[] = {SCIML_OPTIMIZER_ADAM, SCIML_OPTIMIZER_ADAMW,
                                                 SCIML_OPTIMIZER_LBFGS};
    if (!name || !out)
        return sciml_error(ctx, SCIML_ERR_ARG, "optimizer: NULL argument");
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcmp(name, sciml_optimizer_name(kinds[i])) == 0) {
            *out = kinds[i];
            return SCIML_OK;
        }
    return sciml_error(ctx, SCIML_ERR_NOT_FOUND,
                       "unknown optimizer '%s', expected adam, adamw or lbfgs", name);
}

void sciml_adam_options_default(sciml_adam_options *options, sciml_optimizer_kind kind) {
    options->beta1 = 0.9;
    options->beta2 = 0.999;
    options->epsilon = 1e-8;
    if (kind == SCIML_OPTIMIZER_ADAMW) {
        options->weight_decay = 0.01;
        options->decay_mode = SCIML_WEIGHT_DECAY_DECOUPLED;
    } else {
        options->weight_decay = 0.0;
        options->decay_mode = SCIML_WEIGHT_DECAY_L2;
    }
}

static sciml_status check_options(sciml_ctx *ctx, const sciml_adam_options *o) {
    if (!(o->beta1 >= 0.0 && o->beta1 < 1.0))
        return sciml_error(ctx, SCIML_ERR_RANGE, "adam: beta1 = %g, expected 0 <= beta1 < 1",
                           o->beta1);
    if (!(o->beta2 >= 0.0 && o->beta2 < 1.0))
        return sciml_error(ctx, SCIML_ERR_RANGE, "adam: beta2 = %g, expected 0 <= beta2 < 1",
                           o->beta2);
    if (!(o->epsilon > 0.0 && isfinite(o->epsilon)))
        return sciml_error(ctx, SCIML_ERR_RANGE, "adam: epsilon = %g, expected > 0", o->epsilon);
    if (!(o->weight_decay >= 0.0 && isfinite(o->weight_decay)))
        return sciml_error(ctx, SCIML_ERR_RANGE, "adam: weight decay = %g, expected >= 0",
                           o->weight_decay);
    if (o->decay_mode != SCIML_WEIGHT_DECAY_L2 && o->decay_mode != SCIML_WEIGHT_DECAY_DECOUPLED)
        return sciml_error(ctx, SCIML_ERR_ARG, "adam: unknown weight decay mode %d",
                           (int)o->decay_mode);
    return SCIML_OK;
}

sciml_status sciml_adam_create(sciml_ctx *ctx, int64_t parameter_count,
                               const sciml_adam_options *options, sciml_adam **out) {
    if (!out)
        return sciml_error(ctx, SCIML_ERR_ARG, "adam: NULL output pointer");
    *out = NULL;
    if (parameter_count < 1)
        return sciml_error(ctx, SCIML_ERR_RANGE, "adam: %lld parameters, expected at least 1",
                           (long long)parameter_count);
    sciml_adam_options defaults;
    if (!options) {
        sciml_adam_options_default(&defaults, SCIML_OPTIMIZER_ADAM);
        options = &defaults;
    }
    sciml_status status = check_options(ctx, options);
    if (status != SCIML_OK)
        return status;
    if ((uint64_t)parameter_count > SIZE_MAX / sizeof(double))
        return sciml_error(ctx, SCIML_ERR_OVERFLOW, "adam: %lld parameters overflow memory sizes",
                           (long long)parameter_count);
    sciml_adam *adam = calloc(1, sizeof(*adam));
    if (adam) {
        adam->first_moment = sciml_calloc_array((size_t)parameter_count, sizeof(double));
        adam->second_moment = sciml_calloc_array((size_t)parameter_count, sizeof(double));
    }
    if (!adam || !adam->first_moment || !adam->second_moment) {
        sciml_adam_destroy(&adam);
        return sciml_error(ctx, SCIML_ERR_NOMEM,
                           "adam: cannot allocate moments for %lld "
                           "parameters",
                           (long long)parameter_count);
    }
    adam->ctx = ctx;
    adam->options = *options;
    adam->parameter_count = parameter_count;
    *out = adam;
    return SCIML_OK;
}

void sciml_adam_destroy(sciml_adam **adam) {
    if (!adam || !*adam)
        return;
    free((*adam)->first_moment);
    free((*adam)->second_moment);
    free(*adam);
    *adam = NULL;
}

/* The two hot loops are compiled for AVX-512, AVX2 and baseline x86-64 and picked at load
 * time (GCC function multi-versioning). ISO C mode keeps floating-point contraction off, so
 * every version computes bit-identical results. */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define SCIML_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define SCIML_VECTOR_CLONES
#endif

/* Number of Inf/NaN entries, by the exponent bits (branch-free, so it vectorises). */
SCIML_VECTOR_CLONES
static int64_t count_nonfinite(const double *restrict x, int64_t n) {
    int64_t count = 0;
    for (int64_t i = 0; i < n; i++) {
        uint64_t bits;
        memcpy(&bits, &x[i], sizeof(bits));
        count += ((bits >> 52) & 0x7ff) == 0x7ff;
    }
    return count;
}

/* p, m, v updated in place, in the same arithmetic order as torch.optim.Adam/AdamW. */
SCIML_VECTOR_CLONES
static void adam_update(int64_t n, double *restrict p, const double *restrict grad,
                        double *restrict m, double *restrict v, double beta1, double beta2,
                        double one_minus_beta1, double one_minus_beta2, double epsilon,
                        double step_size, double bias2_sqrt, double l2, double decoupled) {
    if (decoupled != 0.0)
        for (int64_t i = 0; i < n; i++)
            p[i] -= decoupled * p[i];
    for (int64_t i = 0; i < n; i++) {
        double g = grad[i] + l2 * p[i];
        double mi = beta1 * m[i] + one_minus_beta1 * g;
        double vi = beta2 * v[i] + one_minus_beta2 * g * g;
        m[i] = mi;
        v[i] = vi;
        p[i] -= step_size * mi / (sqrt(vi) / bias2_sqrt + epsilon);
    }
}

sciml_status sciml_adam_step(sciml_adam *adam, double *params, const double *grads, double lr) {
    if (!adam)
        return SCIML_ERR_ARG;
    if (!params || !grads)
        return sciml_error(adam->ctx, SCIML_ERR_ARG, "adam: NULL parameter or gradient vector");
    if (!isfinite(lr) || lr < 0.0)
        return sciml_error(adam->ctx, isfinite(lr) ? SCIML_ERR_RANGE : SCIML_ERR_NONFINITE,
                           "adam: learning rate %g, expected a finite value >= 0", lr);
    const int64_t n = adam->parameter_count;
    /* Validate before touching anything, so a NaN batch can be skipped by the caller. The
     * exponent test (all ones: Inf or NaN) is branch-free, so the scan vectorises. */
    if (count_nonfinite(grads, n))
        for (int64_t i = 0; i < n; i++)
            if (!isfinite(grads[i]))
                return sciml_error(adam->ctx, SCIML_ERR_NONFINITE,
                                   "adam: gradient %lld is %g at step %lld; nothing was updated",
                                   (long long)i, grads[i], (long long)adam->step_count + 1);
    const sciml_adam_options *o = &adam->options;
    const int64_t t = adam->step_count + 1;
    const double bias1 = 1.0 - pow(o->beta1, (double)t);
    const double bias2_sqrt = sqrt(1.0 - pow(o->beta2, (double)t));
    const double step_size = lr / bias1;
    const double l2 = o->decay_mode == SCIML_WEIGHT_DECAY_L2 ? o->weight_decay : 0.0;
    const double decoupled =
        o->decay_mode == SCIML_WEIGHT_DECAY_DECOUPLED ? lr * o->weight_decay : 0.0;
    const double beta1 = o->beta1, beta2 = o->beta2, epsilon = o->epsilon;
    const double one_minus_beta1 = 1.0 - beta1, one_minus_beta2 = 1.0 - beta2;
    adam_update(n, params, grads, adam->first_moment, adam->second_moment, beta1, beta2,
                one_minus_beta1, one_minus_beta2, epsilon, step_size, bias2_sqrt, l2, decoupled);
    adam->step_count = t;
    return SCIML_OK;
}

int64_t sciml_adam_parameter_count(const sciml_adam *adam) {
    return adam->parameter_count;
}
int64_t sciml_adam_step_count(const sciml_adam *adam) {
    return adam->step_count;
}
const sciml_adam_options *sciml_adam_get_options(const sciml_adam *adam) {
    return &adam->options;
}

sciml_status sciml_adam_get_state(const sciml_adam *adam, int64_t *step_count, double *first_moment,
                                  double *second_moment, int64_t count) {
    if (!adam)
        return SCIML_ERR_ARG;
    if (count != adam->parameter_count)
        return sciml_error(adam->ctx, SCIML_ERR_SHAPE,
                           "adam: state of %lld values requested, the optimiser has %lld",
                           (long long)count, (long long)adam->parameter_count);
    size_t bytes = (size_t)count * sizeof(double);
    if (step_count)
        *step_count = adam->step_count;
    if (first_moment)
        memcpy(first_moment, adam->first_moment, bytes);
    if (second_moment)
        memcpy(second_moment, adam->second_moment, bytes);
    return SCIML_OK;
}

sciml_status sciml_adam_set_state(sciml_adam *adam, int64_t step_count, const double *first_moment,
                                  const double *second_moment, int64_t count) {
    if (!adam)
        return SCIML_ERR_ARG;
    if (!first_moment || !second_moment)
        return sciml_error(adam->ctx, SCIML_ERR_ARG, "adam: NULL moment vector");
    if (count != adam->parameter_count)
        return sciml_error(adam->ctx, SCIML_ERR_SHAPE,
                           "adam: state has %lld values, the optimiser has %lld parameters",
                           (long long)count, (long long)adam->parameter_count);
    if (step_count < 0)
        return sciml_error(adam->ctx, SCIML_ERR_RANGE, "adam: step count %lld, expected >= 0",
                           (long long)step_count);
    for (int64_t i = 0; i < count; i++)
        if (!isfinite(first_moment[i]) || !isfinite(second_moment[i]) || second_moment[i] < 0.0)
            return sciml_error(adam->ctx, SCIML_ERR_NONFINITE,
                               "adam: moment %lld is (%g, %g), expected finite with v >= 0",
                               (long long)i, first_moment[i], second_moment[i]);
    size_t bytes = (size_t)count * sizeof(double);
    memcpy(adam->first_moment, first_moment, bytes);
    memcpy(adam->second_moment, second_moment, bytes);
    adam->step_count = step_count;
    return SCIML_OK;
}
