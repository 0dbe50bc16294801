/* Learning-rate schedules as pure functions of the step (or epoch) index k:
 *   warm-up, k < W:   lr = base (k + 1) / W                    (Goyal et al. 2017, linear)
 *   then t = k - W and
 *   constant:         lr = base
 *   step decay:       lr = base gamma^floor(t / step_size)
 *   cosine annealing: lr = min + (base - min) (1 + cos(pi min(t, T) / T)) / 2
 *                     (Loshchilov and Hutter, "SGDR", ICLR 2017, one cycle, no restart)
 */
#include "sciml/optim.h"

#include <math.h>
#include <string.h>

void sciml_schedule_default(sciml_schedule *schedule, double base_lr) {
    schedule->kind = SCIML_SCHEDULE_CONSTANT;
    schedule->base_lr = base_lr;
    schedule->step_size = 1;
    schedule->gamma = 1.0;
    schedule->period = 1;
    schedule->min_lr = 0.0;
    schedule->warmup = 0;
}

const char *sciml_schedule_name(sciml_schedule_kind kind) {
    switch (kind) {
    case SCIML_SCHEDULE_CONSTANT:
        return "constant";
    case SCIML_SCHEDULE_STEP:
        return "step";
    case SCIML_SCHEDULE_COSINE:
        return "cosine";
    }
    return "unknown";
}

sciml_status sciml_schedule_parse(sciml_ctx *ctx, const char *name, sciml_schedule_kind *out) {
    static const sciml_schedule_kind kinds[] = {SCIML_SCHEDULE_CONSTANT, SCIML_SCHEDULE_STEP,
                                                SCIML_SCHEDULE_COSINE};
    if (!name || !out)
        return sciml_error(ctx, SCIML_ERR_ARG, "schedule: NULL argument");
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcmp(name, sciml_schedule_name(kinds[i])) == 0) {
            *out = kinds[i];
            return SCIML_OK;
        }
    return sciml_error(ctx, SCIML_ERR_NOT_FOUND,
                       "unknown schedule '%s', expected constant, step or cosine", name);
}

sciml_status sciml_schedule_check(sciml_ctx *ctx, const sciml_schedule *s) {
    if (!s)
        return sciml_error(ctx, SCIML_ERR_ARG, "schedule: NULL schedule");
    if (!(s->base_lr > 0.0 && isfinite(s->base_lr)))
        return sciml_error(ctx, SCIML_ERR_RANGE, "schedule: learning rate %g, expected > 0",
                           s->base_lr);
    if (s->warmup < 0)
        return sciml_error(ctx, SCIML_ERR_RANGE, "schedule: warm-up %lld, expected >= 0",
                           (long long)s->warmup);
    switch (s->kind) {
    case SCIML_SCHEDULE_CONSTANT:
        return SCIML_OK;
    case SCIML_SCHEDULE_STEP:
        if (s->step_size < 1)
            return sciml_error(ctx, SCIML_ERR_RANGE, "schedule: step size %lld, expected >= 1",
                               (long long)s->step_size);
        if (!(s->gamma > 0.0 && s->gamma <= 1.0))
            return sciml_error(ctx, SCIML_ERR_RANGE, "schedule: gamma %g, expected 0 < gamma <= 1",
                               s->gamma);
        return SCIML_OK;
    case SCIML_SCHEDULE_COSINE:
        if (s->period < 1)
            return sciml_error(ctx, SCIML_ERR_RANGE, "schedule: period %lld, expected >= 1",
                               (long long)s->period);
        if (!(s->min_lr >= 0.0 && s->min_lr <= s->base_lr))
            return sciml_error(ctx, SCIML_ERR_RANGE,
                               "schedule: minimum learning rate %g, expected 0 <= min <= %g",
                               s->min_lr, s->base_lr);
        return SCIML_OK;
    }
    return sciml_error(ctx, SCIML_ERR_ARG, "schedule: unknown kind %d", (int)s->kind);
}

double sciml_schedule_lr(const sciml_schedule *s, int64_t k) {
    if (k < 0)
        k = 0;
    if (k < s->warmup)
        return s->base_lr * (double)(k + 1) / (double)s->warmup;
    const int64_t t = k - s->warmup;
    switch (s->kind) {
    case SCIML_SCHEDULE_CONSTANT:
        return s->base_lr;
    case SCIML_SCHEDULE_STEP:
        return s->base_lr * pow(s->gamma, (double)(t / (s->step_size > 0 ? s->step_size : 1)));
    case SCIML_SCHEDULE_COSINE: {
        const int64_t period = s->period > 0 ? s->period : 1;
        const double fraction = (double)(t < period ? t : period) / (double)period;
        return s->min_lr + (s->base_lr - s->min_lr) * 0.5 * (1.0 + cos(SCIML_PI * fraction));
    }
    }
    return s->base_lr;
}
