/* Damped harmonic oscillator in closed form, and the (parameters -> trajectory) data set of
 * the first MLP demo:
 *
 *     x'' + 2 zeta omega x' + omega^2 x = 0,  x(0) = A,  x'(0) = v0,  B = v0 + zeta omega A,
 *     x(t) = exp(-zeta omega t) (A C(t) + B S(t)),
 *       zeta < 1: C = cos(w t),  S = sin(w t) / w,    w = omega sqrt((1 - zeta)(1 + zeta))
 *       zeta = 1: C = 1,         S = t
 *       zeta > 1: C = cosh(h t), S = sinh(h t) / h,   h = omega sqrt((zeta - 1)(zeta + 1))
 *
 * Numerics: sqrt((1 - zeta)(1 + zeta)) has no cancellation near zeta = 1, and sin(z)/z is
 * accurate for small z, so S is continuous through zeta = 1. For zeta > 1 the growing cosh is
 * folded into the decaying exponential: with the slow rate r = zeta omega - h =
 * omega / (zeta + sqrt(zeta^2 - 1)) (no cancellation),
 *     exp(-zeta omega t) cosh(h t)     = exp(-r t) (1 + exp(-2 h t)) / 2,
 *     exp(-zeta omega t) sinh(h t) / h = exp(-r t) (-expm1(-2 h t)) / (2 h),
 * which neither overflows nor cancels.
 */
#include "sciml/gen.h"

#include <math.h>

double sciml_oscillator_solution(double amplitude, double velocity, double omega, double zeta,
                                 double t) {
    const double b = velocity + zeta * omega * amplitude;
    if (zeta < 1.0) {
        double w = omega * sqrt((1.0 - zeta) * (1.0 + zeta));
        double wt = w * t;
        double sine_term = wt == 0.0 ? t : sin(wt) / w;
        return exp(-zeta * omega * t) * (amplitude * cos(wt) + b * sine_term);
    }
    if (zeta == 1.0)
        return exp(-omega * t) * (amplitude + b * t);
    double root = sqrt((zeta - 1.0) * (zeta + 1.0));
    double h = omega * root;
    double slow_rate = omega / (zeta + root);
    double decay = exp(-slow_rate * t);
    double two_ht = 2.0 * h * t;
    double cosh_term = 0.5 * (1.0 + exp(-two_ht));
    double sinh_term = two_ht == 0.0 ? t : -expm1(-two_ht) / (2.0 * h);
    return decay * (amplitude * cosh_term + b * sinh_term);
}

void sciml_oscillator_config_default(sciml_oscillator_config *config) {
    config->points = SCIML_OSCILLATOR_DEFAULT_POINTS;
    config->horizon = SCIML_OSCILLATOR_DEFAULT_HORIZON;
    config->amplitude[0] = -1.0;
    config->amplitude[1] = 1.0;
    config->velocity[0] = -2.0 * SCIML_PI;
    config->velocity[1] = 2.0 * SCIML_PI;
    config->frequency[0] = 2.0 * SCIML_PI;
    config->frequency[1] = 6.0 * SCIML_PI;
    config->damping[0] = 0.05;
    config->damping[1] = 1.5;
    config->offset[0] = -0.5;
    config->offset[1] = 0.5;
}

static int valid_range(const double range[2]) {
    return isfinite(range[0]) && isfinite(range[1]) && range[0] <= range[1];
}

static double draw(sciml_rng *rng, const double range[2]) {
    return range[0] + (range[1] - range[0]) * sciml_rng_uniform(rng);
}

sciml_status sciml_oscillator_fill(sciml_ctx *ctx, const sciml_oscillator_config *config,
                                   sciml_rng *rng, int64_t samples, double *inputs, double *outputs,
                                   double *times) {
    sciml_oscillator_config defaults;
    if (config == NULL) {
        sciml_oscillator_config_default(&defaults);
        config = &defaults;
    }
    const int64_t points = config->points;
    int64_t total;
    if (samples < 1 || points < 2 || sciml_mul_i64(samples, points, &total) ||
        sciml_mul_i64(samples, SCIML_OSCILLATOR_PARAMETERS, &total))
        return sciml_error(ctx, SCIML_ERR_RANGE,
                           "oscillator data: %lld samples of %lld points (expected at least 1 "
                           "sample and 2 points, and a product that fits in 64 bits)",
                           (long long)samples, (long long)points);
    if (!isfinite(config->horizon) || config->horizon <= 0.0)
        return sciml_error(ctx, SCIML_ERR_RANGE,
                           "oscillator data: time horizon %g (expected finite and > 0)",
                           config->horizon);
    if (!valid_range(config->amplitude) || !valid_range(config->velocity) ||
        !valid_range(config->frequency) || !valid_range(config->damping) ||
        !valid_range(config->offset))
        return sciml_error(ctx, SCIML_ERR_RANGE,
                           "oscillator data: every parameter range must be finite with min <= max");
    if (config->frequency[0] <= 0.0 || config->damping[0] < 0.0)
        return sciml_error(ctx, SCIML_ERR_RANGE,
                           "oscillator data: omega range starts at %g (expected > 0), zeta "
                           "range at %g (expected >= 0)",
                           config->frequency[0], config->damping[0]);
    if (rng == NULL || inputs == NULL || outputs == NULL)
        return sciml_error(ctx, SCIML_ERR_ARG, "oscillator data: NULL rng or output buffer");

    const double last = (double)(points - 1);
    if (times != NULL)
        for (int64_t k = 0; k < points; k++)
            times[k] = config->horizon * (double)k / last;
    for (int64_t n = 0; n < samples; n++) {
        double *parameters = inputs + n * SCIML_OSCILLATOR_PARAMETERS; /* (A, v0, omega, zeta, c) */
        double amplitude = draw(rng, config->amplitude);
        double velocity = draw(rng, config->velocity);
        double omega = draw(rng, config->frequency);
        double zeta = draw(rng, config->damping);
        double offset = draw(rng, config->offset);
        parameters[0] = amplitude;
        parameters[1] = velocity;
        parameters[2] = omega;
        parameters[3] = zeta;
        parameters[4] = offset;
        double *row = outputs + n * points; /* (P) */
        for (int64_t k = 0; k < points; k++)
            row[k] = offset + sciml_oscillator_solution(amplitude, velocity, omega, zeta,
                                                        config->horizon * (double)k / last);
    }
    return SCIML_OK;
}
