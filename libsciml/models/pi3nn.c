/* PI3NN prediction intervals and the deep-ensemble baseline (see sciml/pi3nn_model.h).
 *
 * PI3NN (Liu, Zhang, Lu and Zhang, ICLR 2022), in standardised units. The data are split at
 * random into a fitting part and a held-out validation part (config.validation_fraction, the
 * paper's protocol); the N calibration points are the validation points (all points when the
 * fraction is 0):
 *
 *   f = argmin sum_{i in fit} (f(x_i) - y_i)^2,         r_i = y_i - f(x_i)
 *   u = argmin sum_{i in fit, r_i > 0} (u(x_i) - r_i)^2
 *   l = argmin sum_{i in fit, r_i < 0} (l(x_i) + r_i)^2
 *   nu: #{i in cal : y_i >= f(x_i) + nu |u(x_i)|} = K
 *   xi: #{i in cal : y_i <= f(x_i) - xi |l(x_i)|} = K,    K = floor(N (1 - gamma) / 2).
 *
 * f and the ensemble members stop early on the validation loss (patience in epochs) and keep
 * their best epoch. Calibrating on points the networks were not fitted to keeps the coverage
 * honest when f, u or l over-fit (on 332 diabetes patients, calibrating on the training points
 * gave PICP 0.85-0.88 at 0.95).
 *
 * The count convention is the authors' code's: K counts points on or beyond the bound among
 * all N calibration points (not among those on that side), floored, for each side. With
 * a_i = r_i / |u(x_i)| the up condition reads #{i : a_i >= nu} = K, a decreasing step
 * function of nu (count(0) > K is required: more than K points lie on or above f). The
 * model keeps the a_i sorted in decreasing order; any nu between the (K+1)-th and the K-th
 * largest a_i solves it (the authors bisect and stop anywhere in that gap). A new point lies
 * beyond the (K+1)-th largest with probability (K + 1) / (N + 1) and beyond the K-th with
 * K / (N + 1), so nu is placed across the gap where that probability is (1 - gamma) / 2, as far
 * as the gap allows. That matters for small N: with N = 66 and gamma = 0.95, K = 1 and the
 * bound sits 33% of the way from the 2nd to the largest ratio, where anywhere up to the largest
 * would cost up to 0.03 of coverage. Tied ratios at the (K+1)-th place give the next double
 * above them (fewer than K outside, the conservative side). The same for xi with
 * b_i = -r_i / |l(x_i)|.
 *
 * |u| and |l| are read as sqrt(z^2 + c^2) (the authors' networks output sqrt(z^2 + a) with a
 * fixed a): where u crosses zero between training points the ratio r / |u| would otherwise
 * explode and one such calibration point set nu for every input. c is picked per network with
 * the validation points of its side, among a few multiples of its mean target, by the
 * exponential likelihood of those residuals (see choose_floor): large where u carries no more
 * than noise (constant-width intervals), small where u follows a real change of spread.
 *
 * The OOD initialisation (the paper, Sec. 3.3; the authors' code adds a trainable constant
 * after the output layer of u and l, which is the same as starting the output bias there):
 * after the He initialisation the output bias of u and l is set to ood_bias and u and l are
 * trained with it, so the hidden features must cancel it on the data and grow away from it.
 * Mini-batch Adam leaves the output weights jittering around that large cancellation, which
 * inflated the in-distribution widths (cubic, bias 20: MPIW 38-48 at 0.95 against the optimal
 * 23.5) and limited the usable bias. So u and l end with a least-squares solve for their output
 * weights on their training points (bias held, a small ridge towards the trained weights): the
 * cancellation becomes exact, the in-distribution fit clean (cubic: MPIW 22-27), and the bias
 * can be raised to 40 (out-of-distribution widths about 15x the in-distribution ones).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/pi3nn_model_internal.h"
#include "sciml/nn.h"

enum { CHUNK = 256 };

static const double VARIANCE_FLOOR = 1e-6; /* ensemble: s = softplus(raw) + 1e-6 */
static const double TINY_WIDTH = 1e-300;   /* guards r / |u| */
/* the floor c of |u| as fractions of the mean training target, chosen on validation */
static const double FLOOR_CANDIDATES[] = {0.01, 0.03, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0};
static const double MIN_GAP_WEIGHT = 0.1; /* the bound's least distance from a ratio, in gaps */
static const double REFIT_RIDGE = 1e-3;   /* output-layer refit: lambda / mean diag(H^T H) */

void sciml_pi3nn_config_default(sciml_pi3nn_config *config, int64_t input_count,
                                int64_t output_count) {
    memset(config, 0, sizeof(*config));
    config->input_count = input_count;
    config->output_count = output_count;
    config->hidden_count = 1;
    config->hidden[0] = 64;
    config->activation = SCIML_ACT_RELU;
    config->ood_bias = SCIML_PI3NN_DEFAULT_OOD_BIAS;
    config->method = SCIML_PI3NN_METHOD_PI3NN;
    config->ensemble_count = SCIML_PI3NN_DEFAULT_ENSEMBLE;
    config->validation_fraction = SCIML_PI3NN_DEFAULT_VALIDATION;
    config->patience = SCIML_PI3NN_DEFAULT_PATIENCE;
}

static sciml_status check_config(sciml_ctx *ctx, const sciml_pi3nn_config *config) {
    if (config->input_count < 1 || config->output_count < 1 || config->output_count > (1 << 20))
        return sciml_error(ctx, SCIML_ERR_ARG,
                           "pi3nn: %lld inputs and %lld outputs: expected at least one of each "
                           "(at most 1048576 outputs)",
                           (long long)config->input_count, (long long)config->output_count);
    if (config->method != SCIML_PI3NN_METHOD_PI3NN && config->method != SCIML_PI3NN_METHOD_ENSEMBLE)
        return sciml_error(ctx, SCIML_ERR_ARG, "pi3nn: method %d: expected pi3nn or ensemble",
                           (int)config->method);
    if (config->method == SCIML_PI3NN_METHOD_ENSEMBLE &&
        (config->ensemble_count < 1 || config->ensemble_count > SCIML_PI3NN_MAX_ENSEMBLE))
        return sciml_error(ctx, SCIML_ERR_ARG, "pi3nn: %d ensemble members: expected 1 to %d",
                           config->ensemble_count, SCIML_PI3NN_MAX_ENSEMBLE);
    if (!isfinite(config->ood_bias) || fabs(config->ood_bias) > 1e6)
        return sciml_error(ctx, SCIML_ERR_ARG,
                           "pi3nn: ood_bias %g: expected a finite value "
                           "of magnitude at most 1e6",
                           config->ood_bias);
    if (!(config->validation_fraction == 0.0 ||
          (config->validation_fraction >= 0.05 &&
           config->validation_fraction <= SCIML_PI3NN_MAX_VALIDATION)))
        return sciml_error(ctx, SCIML_ERR_ARG,
                           "pi3nn: validation fraction %g: expected 0 or a value in [0.05, %g]",
                           config->validation_fraction, SCIML_PI3NN_MAX_VALIDATION);
    if (config->patience < 0)
        return sciml_error(ctx, SCIML_ERR_ARG, "pi3nn: patience %lld: expected >= 0",
                           (long long)config->patience);
    return SCIML_OK;
}

void sciml_pi3nn_network_name(const sciml_pi3nn_model *model, int index, char *name, size_t size) {
    if (model->config.method == SCIML_PI3NN_METHOD_ENSEMBLE)
        snprintf(name, size, "member_%d", index);
    else if (index == 0)
        snprintf(name, size, "mean");
    else
        snprintf(name, size, "%s_%d", index % 2 ? "upper" : "lower", (index - 1) / 2);
}

sciml_status sciml_pi3nn_model_create(sciml_ctx *ctx, const sciml_pi3nn_config *config,
                                      uint64_t seed, sciml_pi3nn_model **out) {
    *out = NULL;
    sciml_status status = check_config(ctx, config);
    if (status)
        return status;
    sciml_pi3nn_model *model = calloc(1, sizeof(*model));
    if (!model)
        return sciml_error(ctx, SCIML_ERR_NOMEM, "pi3nn: out of memory");
    model->ctx = ctx;
    model->config = *config;
    const int ensemble = config->method == SCIML_PI3NN_METHOD_ENSEMBLE;
    model->network_count = ensemble ? config->ensemble_count : 1 + 2 * (int)config->output_count;
    model->networks = calloc((size_t)model->network_count, sizeof(*model->networks));
    if (!model->networks) {
        free(model);
        return sciml_error(ctx, SCIML_ERR_NOMEM, "pi3nn: out of memory");
    }
    sciml_mlp_model_config network;
    memset(&network, 0, sizeof(network));
    network.input_count = config->input_count;
    network.hidden_count = config->hidden_count;
    memcpy(network.hidden, config->hidden, sizeof(network.hidden));
    network.activation = config->activation;
    for (int k = 0; k < model->network_count; k++) {
        network.output_count = ensemble ? 2 * config->output_count
                               : k == 0 ? config->output_count
                                        : 1;
        /* distinct, reproducible streams per network */
        uint64_t network_seed = seed + 0x9e3779b97f4a7c15ULL * (uint64_t)k;
        if ((status = sciml_mlp_model_create(ctx, &network, network_seed, &model->networks[k]))) {
            sciml_pi3nn_model_destroy(&model);
            return status;
        }
        sciml_mlp_model *m = model->networks[k];
        if (!ensemble && k > 0) /* the OOD initialisation: the output bias of u and l */
            m->params[m->parameter_count - 1] = config->ood_bias;
    }
    *out = model;
    return SCIML_OK;
}

void sciml_pi3nn_model_destroy(sciml_pi3nn_model **model) {
    if (!model || !*model)
        return;
    sciml_pi3nn_model *m = *model;
    if (m->networks)
        for (int k = 0; k < m->network_count; k++)
            sciml_mlp_model_destroy(&m->networks[k]);
    free(m->networks);
    sciml_normalizer_destroy(&m->input_norm);
    sciml_normalizer_destroy(&m->output_norm);
    free(m->upper_ratio);
    free(m->lower_ratio);
    free(m->width_reference);
    free(m->width_floor);
    free(m);
    *model = NULL;
}

const sciml_pi3nn_config *sciml_pi3nn_model_get_config(const sciml_pi3nn_model *model) {
    return &model->config;
}

int64_t sciml_pi3nn_model_parameter_count(const sciml_pi3nn_model *model) {
    int64_t total = 0;
    for (int k = 0; k < model->network_count; k++)
        total += model->networks[k]->parameter_count;
    return total;
}

int64_t sciml_pi3nn_model_train_count(const sciml_pi3nn_model *model) {
    return model->train_count;
}

sciml_status sciml_pi3nn_allocate_statistics(sciml_pi3nn_model *model, int64_t train_count) {
    int64_t m = model->config.output_count;
    model->width_reference = sciml_alloc_array((size_t)m, sizeof(double));
    model->width_floor = sciml_alloc_array((size_t)(2 * m), sizeof(double));
    if (model->config.method == SCIML_PI3NN_METHOD_PI3NN) {
        model->upper_ratio = sciml_alloc_array((size_t)m * (size_t)train_count, sizeof(double));
        model->lower_ratio = sciml_alloc_array((size_t)m * (size_t)train_count, sizeof(double));
        if (!model->upper_ratio || !model->lower_ratio)
            return sciml_error(model->ctx, SCIML_ERR_NOMEM,
                               "pi3nn: out of memory for %lld training ratios",
                               (long long)train_count);
    }
    if (!model->width_reference || !model->width_floor)
        return sciml_error(model->ctx, SCIML_ERR_NOMEM, "pi3nn: out of memory");
    memset(model->width_floor, 0, (size_t)(2 * m) * sizeof(double));
    return SCIML_OK;
}

static sciml_status copy_normalizer(sciml_ctx *ctx, const sciml_normalizer *from,
                                    sciml_normalizer **to) {
    sciml_normalizer_destroy(to);
    sciml_status status = sciml_normalizer_create(ctx, from->feature_count, to);
    if (status == SCIML_OK)
        status = sciml_normalizer_set(ctx, *to, from->mean, from->std, from->feature_count);
    if (status)
        sciml_normalizer_destroy(to);
    return status;
}

sciml_status sciml_pi3nn_share_normalizers(sciml_pi3nn_model *model, int index) {
    sciml_ctx *ctx = model->ctx;
    sciml_mlp_model *network = model->networks[index];
    sciml_status status = copy_normalizer(ctx, model->input_norm, &network->input_norm);
    if (status)
        return status;
    sciml_normalizer_destroy(&network->output_norm);
    if (model->config.method == SCIML_PI3NN_METHOD_PI3NN && index == 0)
        return copy_normalizer(ctx, model->output_norm, &network->output_norm);
    return sciml_normalizer_create(ctx, network->config.output_count, &network->output_norm);
}

static int compare_decreasing(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

/* #{i : sorted[i] >= threshold} for `sorted` in decreasing order. */
static int64_t count_at_least(const double *sorted, int64_t n, double threshold) {
    int64_t low = 0, high = n; /* sorted[0..low) >= threshold, sorted[high..n) < threshold */
    while (low < high) {
        int64_t middle = low + (high - low) / 2;
        if (sorted[middle] >= threshold)
            low = middle + 1;
        else
            high = middle;
    }
    return low;
}

/* t = n (1 - level) / 2, snapped to the nearest integer within 1e-9 relative, so that
 * 1000 (1 - 0.9) / 2 = 49.99999999999999 counts as 50. */
static double outside_share(int64_t n, double level) {
    const double t = (double)n * (1.0 - level) / 2.0, nearest = round(t);
    return fabs(t - nearest) <= 1e-9 * (nearest > 1.0 ? nearest : 1.0) ? nearest : t;
}

/* The scale s >= 0 with #{ratio >= s} = K = floor(t), t = n (1 - level) / 2, for `sorted` in
 * decreasing order with sorted[K] >= 0 (see the file comment). A new exchangeable point lies
 * beyond the (K+1)-th largest ratio with probability (K + 1) / (n + 1) and beyond the K-th with
 * K / (n + 1); s = a_(K+1) + w (a_(K) - a_(K+1)) with w = K + 1 - t (n + 1) / n, clamped to
 * [MIN_GAP_WEIGHT, 1], puts that probability at t / n = (1 - level) / 2 where the gap allows
 * it, and never on a ratio (rounding in physical units could then move that point across). */
static double quantile_scale(const double *sorted, int64_t n, double level) {
    const double t = outside_share(n, level);
    const int64_t k = (int64_t)floor(t);
    const double below = sorted[k]; /* the (K+1)-th largest */
    /* the K-th largest, or for K = 0 one spacing above the largest */
    const double above = k > 0 ? sorted[k - 1] : 2.0 * sorted[0] - sorted[1];
    double weight = (double)(k + 1) - t * (double)(n + 1) / (double)n;
    weight = weight < MIN_GAP_WEIGHT ? MIN_GAP_WEIGHT : weight > 1.0 ? 1.0 : weight;
    double scale = below + weight * (above - below);
    if (!(scale > below)) /* on the (K+1)-th (or tied with it): just above, K or fewer outside */
        scale = nextafter(below, HUGE_VAL);
    return scale;
}

static int64_t outside_target(int64_t n, double level) {
    return (int64_t)floor(outside_share(n, level));
}

sciml_status sciml_pi3nn_model_check_level(sciml_pi3nn_model *model, double level) {
    sciml_ctx *ctx = model->ctx;
    if (!(level > 0.0 && level < 1.0))
        return sciml_error(ctx, SCIML_ERR_RANGE, "confidence level %g: expected a value in (0, 1)",
                           level);
    if (model->train_count == 0)
        return sciml_error(ctx, SCIML_ERR_STATE, "pi3nn: the model is not trained");
    if (model->config.method != SCIML_PI3NN_METHOD_PI3NN)
        return SCIML_OK;
    const int64_t n = model->train_count;
    const int64_t target = outside_target(n, level);
    for (int64_t k = 0; k < model->config.output_count; k++)
        for (int side = 0; side < 2; side++) {
            const double *sorted = (side ? model->lower_ratio : model->upper_ratio) + k * n;
            int64_t available = count_at_least(sorted, n, 0.0);
            if (available <= target) {
                /* the smallest level with floor(N (1 - level) / 2) < available */
                double smallest = 1.0 - 2.0 * (double)available / (double)n;
                return sciml_error(ctx, SCIML_ERR_RANGE,
                                   "confidence level %g: output %lld has %lld of %lld calibration "
                                   "points %s its mean, too few to leave %lld outside the "
                                   "interval: expected a level above %g",
                                   level, (long long)k, (long long)available, (long long)n,
                                   side ? "below" : "above", (long long)target,
                                   smallest > 0 ? smallest : 0.0);
            }
        }
    return SCIML_OK;
}

sciml_status sciml_pi3nn_model_scales(sciml_pi3nn_model *model, double level, int64_t output,
                                      double *nu, double *xi) {
    sciml_status status = sciml_pi3nn_model_check_level(model, level);
    if (status)
        return status;
    if (output < 0 || output >= model->config.output_count)
        return sciml_error(model->ctx, SCIML_ERR_RANGE, "pi3nn: output %lld: expected 0 to %lld",
                           (long long)output, (long long)model->config.output_count - 1);
    if (model->config.method == SCIML_PI3NN_METHOD_ENSEMBLE) {
        *nu = *xi = sciml_normal_quantile(0.5 * (1.0 + level));
        return SCIML_OK;
    }
    const int64_t n = model->train_count;
    *nu = quantile_scale(model->upper_ratio + output * n, n, level);
    *xi = quantile_scale(model->lower_ratio + output * n, n, level);
    return SCIML_OK;
}

double sciml_normal_quantile(double p) {
    /* Phi(x) = erfc(-x / sqrt 2) / 2 is increasing; bisection on [-40, 40] */
    double low = -40.0, high = 40.0;
    for (int step = 0; step < 200 && high - low > 1e-15; step++) {
        double middle = 0.5 * (low + high);
        if (0.5 * erfc(-middle / sqrt(2.0)) < p)
            low = middle;
        else
            high = middle;
    }
    return 0.5 * (low + high);
}

void sciml_interval_metrics(const double *truth, const double *lower, const double *upper,
                            int64_t count, int64_t output_count, double *picp, double *mpiw) {
    for (int64_t k = 0; k < output_count; k++) {
        int64_t inside = 0;
        double width = 0.0;
        for (int64_t i = 0; i < count; i++) {
            int64_t at = i * output_count + k;
            inside += truth[at] >= lower[at] && truth[at] <= upper[at];
            width += upper[at] - lower[at];
        }
        if (picp)
            picp[k] = count > 0 ? (double)inside / (double)count : NAN;
        if (mpiw)
            mpiw[k] = count > 0 ? width / (double)count : NAN;
    }
}

/* ---- Prediction ---------------------------------------------------------------------------- */

/* Network `index` on a chunk of inputs (n, input_count) into out (n, its outputs). */
static sciml_status run_network(sciml_pi3nn_model *model, int index, const double *inputs,
                                int64_t n, double *out) {
    return sciml_mlp_model_predict(model->networks[index], inputs, n, out);
}

/* sqrt(z^2 + floor^2): |z| kept away from 0 */
static double floored(double z, double floor) {
    return floor > 0 ? hypot(z, floor) : fabs(z);
}

/* PI3NN on one chunk; work holds 2 n doubles. */
static sciml_status predict_pi3nn_chunk(sciml_pi3nn_model *model, const double *inputs, int64_t n,
                                        const double *nu, const double *xi, double *mean,
                                        double *lower, double *upper, double *ood_score,
                                        double *work) {
    const int64_t m = model->config.output_count;
    sciml_status status = run_network(model, 0, inputs, n, mean);
    if (status)
        return status;
    double *u = work, *l = work + n;
    for (int64_t k = 0; k < m; k++) {
        if ((status = run_network(model, 1 + 2 * (int)k, inputs, n, u)) ||
            (status = run_network(model, 2 + 2 * (int)k, inputs, n, l)))
            return status;
        const double scale = model->output_norm->std[k];
        for (int64_t i = 0; i < n; i++) {
            const double up = floored(u[i], model->width_floor[k]);
            const double down = floored(l[i], model->width_floor[m + k]);
            const int64_t at = i * m + k;
            upper[at] = mean[at] + nu[k] * up * scale;
            lower[at] = mean[at] - xi[k] * down * scale;
            if (ood_score) {
                double width = up + down;
                double confidence =
                    width > model->width_reference[k] ? model->width_reference[k] / width : 1.0;
                ood_score[at] = 1.0 - confidence;
            }
        }
    }
    return SCIML_OK;
}

/* Ensemble mixture mean and standard deviation (standardised units) of one chunk; work holds
 * n 2m doubles, mixture_mean and mixture_std (n, m). */
static sciml_status ensemble_moments(sciml_pi3nn_model *model, const double *inputs, int64_t n,
                                     double *mixture_mean, double *mixture_std, double *work) {
    const int64_t m = model->config.output_count;
    const int members = model->network_count;
    memset(mixture_mean, 0, (size_t)(n * m) * sizeof(double));
    memset(mixture_std, 0, (size_t)(n * m) * sizeof(double)); /* accumulates E[s + mu^2] */
    for (int j = 0; j < members; j++) {
        sciml_status status = run_network(model, j, inputs, n, work);
        if (status)
            return status;
        for (int64_t i = 0; i < n; i++)
            for (int64_t k = 0; k < m; k++) {
                double mu = work[i * 2 * m + k], raw = work[i * 2 * m + m + k];
                double variance = (raw > 30 ? raw : log1p(exp(raw))) + VARIANCE_FLOOR;
                mixture_mean[i * m + k] += mu / members;
                mixture_std[i * m + k] += (variance + mu * mu) / members;
            }
    }
    for (int64_t i = 0; i < n * m; i++) {
        double variance = mixture_std[i] - mixture_mean[i] * mixture_mean[i];
        mixture_std[i] = sqrt(variance > VARIANCE_FLOOR ? variance : VARIANCE_FLOOR);
    }
    return SCIML_OK;
}

static sciml_status predict_ensemble_chunk(sciml_pi3nn_model *model, const double *inputs,
                                           int64_t n, double z, double *mean, double *lower,
                                           double *upper, double *ood_score, double *work) {
    const int64_t m = model->config.output_count;
    double *deviation = work, *member = work + n * m;
    sciml_status status = ensemble_moments(model, inputs, n, mean, deviation, member);
    if (status)
        return status;
    for (int64_t i = 0; i < n; i++)
        for (int64_t k = 0; k < m; k++) {
            const int64_t at = i * m + k;
            const double scale = model->output_norm->std[k], centre = model->output_norm->mean[k];
            const double s = deviation[at];
            mean[at] = mean[at] * scale + centre;
            upper[at] = mean[at] + z * s * scale;
            lower[at] = mean[at] - z * s * scale;
            if (ood_score) {
                double width = 2.0 * s;
                ood_score[at] = width > model->width_reference[k]
                                    ? 1.0 - model->width_reference[k] / width
                                    : 0.0;
            }
        }
    return SCIML_OK;
}

sciml_status sciml_pi3nn_model_predict(sciml_pi3nn_model *model, const double *inputs,
                                       int64_t count, double level, double *mean, double *lower,
                                       double *upper, double *ood_score) {
    sciml_ctx *ctx = model->ctx;
    sciml_status status = sciml_pi3nn_model_check_level(model, level);
    if (status)
        return status;
    const int64_t m = model->config.output_count, n_in = model->config.input_count;
    const int ensemble = model->config.method == SCIML_PI3NN_METHOD_ENSEMBLE;
    double *nu = sciml_alloc_array((size_t)m, sizeof(double));
    double *xi = sciml_alloc_array((size_t)m, sizeof(double));
    size_t work_size = ensemble ? (size_t)CHUNK * (size_t)m * 3 : (size_t)CHUNK * 2;
    double *work = sciml_alloc_array(work_size, sizeof(double));
    if (!nu || !xi || !work) {
        status = sciml_error(ctx, SCIML_ERR_NOMEM, "pi3nn: out of memory");
        goto done;
    }
    for (int64_t k = 0; k < m && !status; k++)
        status = sciml_pi3nn_model_scales(model, level, k, &nu[k], &xi[k]);
    for (int64_t first = 0; first < count && !status; first += CHUNK) {
        int64_t n = count - first < CHUNK ? count - first : CHUNK;
        const double *x = inputs + first * n_in;
        int64_t at = first * m;
        status = ensemble
                     ? predict_ensemble_chunk(model, x, n, nu[0], mean + at, lower + at, upper + at,
                                              ood_score ? ood_score + at : NULL, work)
                     : predict_pi3nn_chunk(model, x, n, nu, xi, mean + at, lower + at, upper + at,
                                           ood_score ? ood_score + at : NULL, work);
    }
done:
    free(nu);
    free(xi);
    free(work);
    return status;
}

/* ---- Training ------------------------------------------------------------------------------ */

/* mean + 1.8 std (population) of widths (n). */
static double width_reference(const double *widths, int64_t n) {
    double sum = 0.0, squares = 0.0;
    for (int64_t i = 0; i < n; i++)
        sum += widths[i];
    double average = sum / (double)n;
    for (int64_t i = 0; i < n; i++)
        squares += (widths[i] - average) * (widths[i] - average);
    return average + SCIML_PI3NN_WIDTH_REFERENCE_STDS * sqrt(squares / (double)n);
}

/* The data of one training run: the part the networks are fitted on and the held-out
 * validation part (count 0 when none), both (count, input_count) and (count, output_count). */
typedef struct data_split {
    const double *fit_x, *fit_y;
    int64_t fit_count;
    const double *valid_x, *valid_y;
    int64_t valid_count;
} data_split;

/* Early stopping on the validation loss: called after every epoch, when the network's params
 * hold that epoch's parameters (the test-set evaluation copied them there); keeps a copy of
 * the best and stops after `patience` epochs without improvement. */
typedef struct early_stopping {
    sciml_mlp_model *network;
    const sciml_train_options *outer; /* the caller's report callback, still called */
    int64_t patience;
    double best_loss;
    int64_t best_epoch;  /* 0 until a finite validation loss was seen */
    double *best_params; /* (parameter_count) */
} early_stopping;

static void sync_predict_params(sciml_mlp_model *network) {
    if (network->predict_graph)
        memcpy(sciml_graph_params(network->predict_graph), network->params,
               (size_t)network->parameter_count * sizeof(double));
}

static int early_stopping_report(void *user, const sciml_train_report *report) {
    early_stopping *e = user;
    int stop = e->outer->report ? e->outer->report(e->outer->report_user, report) : 0;
    if (isfinite(report->test_loss) && (e->best_epoch == 0 || report->test_loss < e->best_loss)) {
        e->best_loss = report->test_loss;
        e->best_epoch = report->epoch;
        memcpy(e->best_params, e->network->params,
               (size_t)e->network->parameter_count * sizeof(double));
    }
    if (e->patience > 0 && e->best_epoch > 0 && report->epoch - e->best_epoch >= e->patience)
        stop = 1;
    return stop;
}

/* Trains one MLP network of the model on (x, y); with validation data (valid_count > 0) it
 * stops early on the validation MSE and ends with the best parameters seen. */
static sciml_status train_network(sciml_pi3nn_model *model, int index, const double *x,
                                  const double *y, int64_t count, const double *valid_x,
                                  const double *valid_y, int64_t valid_count,
                                  const sciml_train_options *options) {
    sciml_mlp_model *network = model->networks[index];
    sciml_train_options plain = *options;
    plain.checkpoint = NULL; /* PI3NN keeps no checkpoints */
    if (valid_count == 0)
        return sciml_mlp_model_train(network, x, y, count, NULL, NULL, 0, &plain);
    early_stopping stopping = {
        .network = network,
        .outer = options,
        .patience = model->config.patience,
        .best_params = sciml_alloc_array((size_t)network->parameter_count, sizeof(double))};
    if (!stopping.best_params)
        return sciml_error(model->ctx, SCIML_ERR_NOMEM, "pi3nn: out of memory");
    sciml_train_options inner = plain;
    inner.report = early_stopping_report;
    inner.report_user = &stopping;
    sciml_status status =
        sciml_mlp_model_train(network, x, y, count, valid_x, valid_y, valid_count, &inner);
    if (status == SCIML_OK && stopping.best_epoch > 0) {
        memcpy(network->params, stopping.best_params,
               (size_t)network->parameter_count * sizeof(double));
        sync_predict_params(network);
    }
    free(stopping.best_params);
    return status;
}

/* Refits the output weights w of network `index` (one output, u = w . h(x) + b) by least
 * squares on its training set (x (count, n_in), targets (count)), the output bias b held at
 * its trained value and a ridge term pulling w towards the trained weights w0:
 *   (H^T H + lambda I) w = H^T (t - b) + lambda w0,  lambda = RIDGE * trace(H^T H) / width.
 * Mini-batch Adam leaves w jittering around the large cancellation w . h = -ood_bias + r that
 * the OOD initialisation asks for; the solve removes that noise, and keeps the cancellation
 * (b is not refitted), so the out-of-distribution growth stays. h(x_i) are read through the
 * network itself, one unit output weight at a time, CHUNK points at a time. */
static sciml_status refit_output_layer(sciml_pi3nn_model *model, int index, const double *x,
                                       const double *targets, int64_t count) {
    sciml_mlp_model *network = model->networks[index];
    const int64_t width = network->config.hidden_count > 0
                              ? network->config.hidden[network->config.hidden_count - 1]
                              : network->config.input_count;
    const int64_t n_in = network->config.input_count;
    double *weights = network->params + network->parameter_count - 1 - width; /* (width) */
    const double bias = network->params[network->parameter_count - 1];
    double *saved = sciml_alloc_array((size_t)width, sizeof(double));
    double *system = sciml_alloc_array((size_t)(width * (width + 1)), sizeof(double));
    double *features =
        sciml_alloc_array((size_t)(width * CHUNK), sizeof(double)); /* (width, CHUNK) */
    sciml_status status = SCIML_OK;
    if (!saved || !system || !features) {
        status = sciml_error(model->ctx, SCIML_ERR_NOMEM, "pi3nn: out of memory");
        goto done;
    }
    memcpy(saved, weights, (size_t)width * sizeof(double));
    /* normal equations, accumulated chunk by chunk: system (width, width + 1) =
     * [H^T H | H^T (t - b)] */
    memset(system, 0, (size_t)(width * (width + 1)) * sizeof(double));
    network->params[network->parameter_count - 1] = 0.0;
    for (int64_t first = 0; first < count && !status; first += CHUNK) {
        const int64_t n = count - first < CHUNK ? count - first : CHUNK;
        for (int64_t j = 0; j < width && !status; j++) {
            memset(weights, 0, (size_t)width * sizeof(double));
            weights[j] = 1.0;
            sync_predict_params(network);
            status = sciml_mlp_model_predict(network, x + first * n_in, n, features + j * CHUNK);
        }
        for (int64_t a = 0; a < width && !status; a++) {
            const double *row = features + a * CHUNK;
            for (int64_t c = 0; c <= a; c++) {
                double sum = 0.0;
                for (int64_t i = 0; i < n; i++)
                    sum += row[i] * features[c * CHUNK + i];
                system[a * (width + 1) + c] += sum;
            }
            double right = 0.0;
            for (int64_t i = 0; i < n; i++)
                right += row[i] * (targets[first + i] - bias);
            system[a * (width + 1) + width] += right;
        }
    }
    memcpy(weights, saved, (size_t)width * sizeof(double));
    network->params[network->parameter_count - 1] = bias;
    sync_predict_params(network);
    if (status)
        goto done;
    double trace = 0.0;
    for (int64_t a = 0; a < width; a++) {
        for (int64_t c = 0; c < a; c++)
            system[c * (width + 1) + a] = system[a * (width + 1) + c];
        trace += system[a * (width + 1) + a];
    }
    const double lambda = REFIT_RIDGE * (trace > 0 ? trace / (double)width : 1.0);
    for (int64_t a = 0; a < width; a++) {
        system[a * (width + 1) + a] += lambda;
        system[a * (width + 1) + width] += lambda * saved[a];
    }
    /* Cholesky L L^T in the lower triangle, then the two triangular solves into weights */
    for (int64_t a = 0; a < width; a++) {
        for (int64_t c = 0; c <= a; c++) {
            double sum = system[a * (width + 1) + c];
            for (int64_t q = 0; q < c; q++)
                sum -= system[a * (width + 1) + q] * system[c * (width + 1) + q];
            if (c == a) {
                if (!(sum > 0)) { /* not positive definite: keep the trained weights */
                    status = SCIML_OK;
                    goto done;
                }
                system[a * (width + 1) + a] = sqrt(sum);
            } else {
                system[a * (width + 1) + c] = sum / system[c * (width + 1) + c];
            }
        }
    }
    for (int64_t a = 0; a < width; a++) { /* L z = right */
        double sum = system[a * (width + 1) + width];
        for (int64_t q = 0; q < a; q++)
            sum -= system[a * (width + 1) + q] * saved[q];
        saved[a] = sum / system[a * (width + 1) + a];
    }
    for (int64_t a = width - 1; a >= 0; a--) { /* L^T w = z */
        double sum = saved[a];
        for (int64_t q = a + 1; q < width; q++)
            sum -= system[q * (width + 1) + a] * weights[q];
        weights[a] = sum / system[a * (width + 1) + a];
    }
    sync_predict_params(network);
done:
    free(saved);
    free(system);
    free(features);
    return status;
}

/* The floor c of |u| = sqrt(z^2 + c^2) for network `index`: among FLOOR_CANDIDATES times the
 * mean fitting target, the one with the least mean exponential negative log-likelihood
 * log s + t / s, s = sqrt(u(x)^2 + c^2), over the selection points (x (count, n_in), targets
 * t > 0): u estimates the mean of the positive residuals, and an exponential law with that mean
 * scores a scale without reference to any confidence level. work holds count doubles. */
static sciml_status choose_floor(sciml_pi3nn_model *model, int index, const double *x,
                                 const double *targets, int64_t count, const double *fit_targets,
                                 int64_t fit_count, double *work, double *floor) {
    sciml_status status = sciml_mlp_model_predict(model->networks[index], x, count, work);
    if (status)
        return status;
    double mean_target = 0.0;
    for (int64_t i = 0; i < fit_count; i++)
        mean_target += fit_targets[i] / (double)fit_count;
    double best = HUGE_VAL;
    *floor = 0.0;
    for (size_t c = 0; c < sizeof(FLOOR_CANDIDATES) / sizeof(FLOOR_CANDIDATES[0]); c++) {
        const double candidate = FLOOR_CANDIDATES[c] * mean_target;
        double score = 0.0;
        for (int64_t i = 0; i < count; i++) {
            double scale = floored(work[i], candidate);
            scale = scale > TINY_WIDTH ? scale : TINY_WIDTH;
            score += log(scale) + targets[i] / scale;
        }
        if (score < best) {
            best = score;
            *floor = candidate;
        }
    }
    return SCIML_OK;
}

/* Trains u_k and l_k of output k on the fitting residuals and fills the sorted ratios and the
 * width reference from the calibration points: the validation points when there are some,
 * else the fitting points. residual and valid_residual are standardised, (count, m); side_x
 * holds (fit_count + valid_count, n_in) doubles, side_y fit_count + valid_count, width the
 * calibration count. */
static sciml_status train_sides(sciml_pi3nn_model *model, int64_t k, const data_split *data,
                                const double *residual, const double *valid_residual,
                                const sciml_train_options *options, double *side_x, double *side_y,
                                double *width) {
    sciml_ctx *ctx = model->ctx;
    const int64_t m = model->config.output_count, n_in = model->config.input_count;
    const int validated = data->valid_count > 0;
    const int64_t calibration_count = validated ? data->valid_count : data->fit_count;
    const double *calibration_x = validated ? data->valid_x : data->fit_x;
    const double *calibration_residual = validated ? valid_residual : residual;
    sciml_status status;
    double *ratio[2] = {model->upper_ratio + k * calibration_count,
                        model->lower_ratio + k * calibration_count};
    for (int side = 0; side < 2; side++) {
        const int index = 1 + 2 * (int)k + side;
        const double sign = side ? -1.0 : 1.0; /* targets r (up) and -r (down) */
        /* the fitting points on this side first, then the validation points on this side */
        int64_t n = 0, valid_n = 0;
        for (int64_t i = 0; i < data->fit_count; i++) {
            double target = sign * residual[i * m + k];
            if (target > 0) {
                memcpy(side_x + n * n_in, data->fit_x + i * n_in, (size_t)n_in * sizeof(double));
                side_y[n++] = target;
            }
        }
        for (int64_t i = 0; i < data->valid_count; i++) {
            double target = sign * valid_residual[i * m + k];
            if (target > 0) {
                memcpy(side_x + (n + valid_n) * n_in, data->valid_x + i * n_in,
                       (size_t)n_in * sizeof(double));
                side_y[n + valid_n++] = target;
            }
        }
        if (n < SCIML_PI3NN_MIN_SIDE_POINTS)
            return sciml_error(ctx, SCIML_ERR_RANGE,
                               "pi3nn: output %lld has %lld of %lld training points %s the mean "
                               "network: expected at least %d on each side to train the %s "
                               "network",
                               (long long)k, (long long)n, (long long)data->fit_count,
                               side ? "below" : "above", SCIML_PI3NN_MIN_SIDE_POINTS,
                               side ? "lower" : "upper");
        double *values = ratio[side];
        if ((status = sciml_pi3nn_share_normalizers(model, index)) ||
            (status = train_network(model, index, side_x, side_y, n, NULL, NULL, 0, options)) ||
            (status = refit_output_layer(model, index, side_x, side_y, n)))
            return status;
        /* the floor c, chosen on the validation points of this side (else the fitting ones) */
        const int held_out = valid_n >= SCIML_PI3NN_MIN_SIDE_POINTS;
        if ((status = choose_floor(model, index, held_out ? side_x + n * n_in : side_x,
                                   held_out ? side_y + n : side_y, held_out ? valid_n : n, side_y,
                                   n, values, &model->width_floor[side * m + k])))
            return status;
        /* |u(x_i)| (|l(x_i)|) on every calibration point, then the ratios */
        if ((status = sciml_mlp_model_predict(model->networks[index], calibration_x,
                                              calibration_count, values)))
            return status;
        for (int64_t i = 0; i < calibration_count; i++) {
            double magnitude = floored(values[i], model->width_floor[side * m + k]);
            width[i] = side ? width[i] + magnitude : magnitude;
            values[i] = sign * calibration_residual[i * m + k] /
                        (magnitude > TINY_WIDTH ? magnitude : TINY_WIDTH);
        }
        qsort(values, (size_t)calibration_count, sizeof(double), compare_decreasing);
    }
    model->width_reference[k] = width_reference(width, calibration_count);
    return SCIML_OK;
}

/* residual (count, m) = (y - f(x)) / std_y, standardised units. */
static sciml_status mean_residuals(sciml_pi3nn_model *model, const double *x, const double *y,
                                   int64_t count, double *residual) {
    const int64_t m = model->config.output_count;
    sciml_status status = sciml_mlp_model_predict(model->networks[0], x, count, residual);
    for (int64_t i = 0; i < count && !status; i++)
        for (int64_t k = 0; k < m; k++)
            residual[i * m + k] = (y[i * m + k] - residual[i * m + k]) / model->output_norm->std[k];
    return status;
}

static sciml_status train_pi3nn(sciml_pi3nn_model *model, const data_split *data,
                                const sciml_train_options *options) {
    sciml_ctx *ctx = model->ctx;
    const int64_t m = model->config.output_count, n_in = model->config.input_count;
    const int64_t all = data->fit_count + data->valid_count;
    double *residual = sciml_alloc_array((size_t)all * (size_t)m, sizeof(double));
    double *side_x = sciml_alloc_array((size_t)all * (size_t)n_in, sizeof(double));
    double *side_y = sciml_alloc_array((size_t)all, sizeof(double));
    double *width = sciml_alloc_array((size_t)all, sizeof(double));
    double *valid_residual = residual + data->fit_count * m;
    sciml_status status = SCIML_OK;
    if (!residual || !side_x || !side_y || !width) {
        status = sciml_error(ctx, SCIML_ERR_NOMEM, "pi3nn: out of memory for %lld samples",
                             (long long)all);
        goto done;
    }
    if ((status = sciml_pi3nn_share_normalizers(model, 0)) ||
        (status = train_network(model, 0, data->fit_x, data->fit_y, data->fit_count, data->valid_x,
                                data->valid_y, data->valid_count, options)) ||
        (status = mean_residuals(model, data->fit_x, data->fit_y, data->fit_count, residual)) ||
        (data->valid_count > 0 && (status = mean_residuals(model, data->valid_x, data->valid_y,
                                                           data->valid_count, valid_residual))))
        goto done;
    for (int64_t k = 0; k < m && !status; k++)
        status =
            train_sides(model, k, data, residual, valid_residual, options, side_x, side_y, width);
done:
    free(residual);
    free(side_x);
    free(side_y);
    free(width);
    return status;
}

/* The ensemble's validation loss: the member's Gaussian NLL on the validation set. */
typedef struct member_validation {
    sciml_mlp_model *member;
    const double *x;          /* (count, input_count) physical units */
    const double *y_standard; /* (count, m) standardised */
    int64_t count;
    double *prediction; /* (count, 2 m) */
} member_validation;

static sciml_status evaluate_member(void *user, const double *params, sciml_train_report *report) {
    member_validation *v = user;
    sciml_mlp_model *member = v->member;
    const int64_t m = member->config.output_count / 2;
    memcpy(member->params, params, (size_t)member->parameter_count * sizeof(double));
    sync_predict_params(member);
    sciml_status status = sciml_mlp_model_predict(member, v->x, v->count, v->prediction);
    if (status)
        return status;
    double sum = 0.0;
    for (int64_t i = 0; i < v->count; i++)
        for (int64_t k = 0; k < m; k++) {
            double mu = v->prediction[i * 2 * m + k], raw = v->prediction[i * 2 * m + m + k];
            double variance = (raw > 30 ? raw : log1p(exp(raw))) + VARIANCE_FLOOR;
            double error = v->y_standard[i * m + k] - mu;
            sum += 0.5 * (log(variance) + error * error / variance);
        }
    report->test_loss = sum / (double)(v->count * m);
    return SCIML_OK;
}

/* One ensemble member: Gaussian NLL on standardised data through the shared trainer; with a
 * validation set (validation->count > 0) it stops early on the validation NLL and ends with
 * the best parameters seen. */
static sciml_status train_member(sciml_pi3nn_model *model, int index, const double *x_standard,
                                 const double *y_standard, int64_t count,
                                 member_validation *validation,
                                 const sciml_train_options *options) {
    sciml_ctx *ctx = model->ctx;
    sciml_mlp_model *member = model->networks[index];
    const sciml_mlp_model_config *config = &member->config;
    const int64_t m = model->config.output_count;
    const int64_t batch = options->batch < count ? options->batch : count;
    sciml_graph *g = NULL;
    sciml_mlp mlp;
    early_stopping stopping = {
        .network = member, .outer = options, .patience = model->config.patience};
    sciml_status status = sciml_graph_create(ctx, &g);
    if (status)
        return status;
    int64_t in_shape[2] = {SCIML_BATCH, config->input_count};
    int64_t out_shape[2] = {SCIML_BATCH, m};
    sciml_node x = sciml_graph_input(g, "x", 2, in_shape);
    sciml_node y = sciml_graph_input(g, "y", 2, out_shape);
    sciml_node loss = SCIML_NO_NODE;
    if ((status = sciml_mlp_create(ctx, g, "mlp", config->input_count, config->hidden_count,
                                   config->hidden, config->output_count, config->activation, &mlp)))
        goto done;
    sciml_node out = sciml_mlp_apply(g, &mlp, x); /* (batch, 2m) */
    sciml_node mu = sciml_slice(g, out, 1, 0, m);
    sciml_node variance =
        sciml_add_scalar(g, sciml_softplus(g, sciml_slice(g, out, 1, m, 2 * m)), VARIANCE_FLOOR);
    /* 0.5 log s + (y - mu)^2 / (2 s), averaged over batch and outputs */
    sciml_node nll = sciml_add(g, sciml_logarithm(g, variance),
                               sciml_div(g, sciml_square(g, sciml_sub(g, mu, y)), variance));
    loss = sciml_scale(g, sciml_mean(g, nll, SCIML_ALL_AXES), 0.5);
    if ((status = sciml_graph_build(g, batch)))
        goto done;
    if (sciml_graph_param_count(g) != member->parameter_count) {
        status = sciml_error(ctx, SCIML_ERR_INTERNAL, "pi3nn: ensemble parameter layout mismatch");
        goto done;
    }
    memcpy(sciml_graph_params(g), member->params, (size_t)member->parameter_count * sizeof(double));
    sciml_minibatch_problem problem = {
        .graph = g,
        .loss = loss,
        .table_count = 2,
        .inputs = {x, y},
        .tables = {x_standard, y_standard},
        .sample_count = count,
    };
    sciml_train_options inner = *options;
    inner.checkpoint = NULL; /* PI3NN keeps no checkpoints */
    if (validation->count > 0) {
        validation->member = member;
        problem.evaluate = evaluate_member;
        problem.user = validation;
        stopping.best_params = sciml_alloc_array((size_t)member->parameter_count, sizeof(double));
        if (!stopping.best_params) {
            status = sciml_error(ctx, SCIML_ERR_NOMEM, "pi3nn: out of memory");
            goto done;
        }
        inner.report = early_stopping_report;
        inner.report_user = &stopping;
    }
    status = sciml_train_minibatch(ctx, &problem, &member->state, &inner);
    if (status == SCIML_OK && stopping.best_epoch > 0)
        memcpy(member->params, stopping.best_params,
               (size_t)member->parameter_count * sizeof(double));
    else
        memcpy(member->params, sciml_graph_params(g),
               (size_t)member->parameter_count * sizeof(double));
    sync_predict_params(member);
done:
    free(stopping.best_params);
    sciml_graph_destroy(&g);
    return status;
}

static sciml_status train_ensemble(sciml_pi3nn_model *model, const data_split *data,
                                   const sciml_train_options *options) {
    sciml_ctx *ctx = model->ctx;
    const int64_t m = model->config.output_count, n_in = model->config.input_count;
    const int64_t count = data->fit_count, valid_count = data->valid_count;
    /* the OOD score's reference widths come from the validation points when there are some */
    const int64_t reference_count = valid_count > 0 ? valid_count : count;
    const double *reference_x = valid_count > 0 ? data->valid_x : data->fit_x;
    double *x_standard = sciml_alloc_array((size_t)count * (size_t)n_in, sizeof(double));
    double *y_standard =
        sciml_alloc_array((size_t)(count + valid_count) * (size_t)m, sizeof(double));
    double *moments = sciml_alloc_array((size_t)CHUNK * (size_t)m * 4, sizeof(double));
    double *width = sciml_alloc_array((size_t)reference_count * (size_t)m, sizeof(double));
    double *prediction = sciml_alloc_array(
        (size_t)(valid_count > 0 ? valid_count : 1) * (size_t)(2 * m), sizeof(double));
    sciml_status status = SCIML_OK;
    if (!x_standard || !y_standard || !moments || !width || !prediction) {
        status = sciml_error(ctx, SCIML_ERR_NOMEM, "pi3nn: out of memory for %lld samples",
                             (long long)count);
        goto done;
    }
    memcpy(x_standard, data->fit_x, (size_t)(count * n_in) * sizeof(double));
    memcpy(y_standard, data->fit_y, (size_t)(count * m) * sizeof(double));
    if (valid_count > 0)
        memcpy(y_standard + count * m, data->valid_y, (size_t)(valid_count * m) * sizeof(double));
    sciml_normalizer_apply(ctx, model->input_norm, x_standard, count, n_in);
    sciml_normalizer_apply(ctx, model->output_norm, y_standard, count + valid_count, m);
    member_validation validation = {.x = data->valid_x,
                                    .y_standard = y_standard + count * m,
                                    .count = valid_count,
                                    .prediction = prediction};
    for (int j = 0; j < model->network_count && !status; j++)
        if (!(status = sciml_pi3nn_share_normalizers(model, j)))
            status = train_member(model, j, x_standard, y_standard, count, &validation, options);
    /* widths 2 s per output for the OOD score */
    for (int64_t first = 0; first < reference_count && !status; first += CHUNK) {
        int64_t n = reference_count - first < CHUNK ? reference_count - first : CHUNK;
        double *mean = moments, *deviation = moments + CHUNK * m;
        status = ensemble_moments(model, reference_x + first * n_in, n, mean, deviation,
                                  moments + 2 * CHUNK * m);
        for (int64_t i = 0; i < n * m && !status; i++)
            width[(i % m) * reference_count + first + i / m] = 2.0 * deviation[i];
    }
    for (int64_t k = 0; k < m && !status; k++)
        model->width_reference[k] = width_reference(width + k * reference_count, reference_count);
done:
    free(x_standard);
    free(y_standard);
    free(moments);
    free(width);
    free(prediction);
    return status;
}

/* Splits (inputs, outputs) into fitting and validation parts at random (seeded from
 * options->seed); the copies live in *storage (freed by the caller). Without validation the
 * fitting part is the data itself. */
static sciml_status split_data(sciml_pi3nn_model *model, const double *inputs,
                               const double *outputs, int64_t count,
                               const sciml_train_options *options, data_split *data,
                               double **storage) {
    sciml_ctx *ctx = model->ctx;
    const int64_t n_in = model->config.input_count, m = model->config.output_count;
    const double fraction = model->config.validation_fraction;
    *storage = NULL;
    *data = (data_split){.fit_x = inputs, .fit_y = outputs, .fit_count = count};
    if (fraction == 0.0)
        return SCIML_OK;
    const int64_t valid_count = (int64_t)llround(fraction * (double)count);
    const int64_t minimum = 2 * SCIML_PI3NN_MIN_SIDE_POINTS;
    if (valid_count < minimum || count - valid_count < minimum)
        return sciml_error(ctx, SCIML_ERR_ARG,
                           "pi3nn: validation fraction %g of %lld samples leaves %lld for "
                           "validation and %lld for fitting: expected at least %lld of each",
                           fraction, (long long)count, (long long)valid_count,
                           (long long)(count - valid_count), (long long)minimum);
    int64_t *order = sciml_alloc_array((size_t)count, sizeof(int64_t));
    double *copy = sciml_alloc_array((size_t)count * (size_t)(n_in + m), sizeof(double));
    if (!order || !copy) {
        free(order);
        free(copy);
        return sciml_error(ctx, SCIML_ERR_NOMEM, "pi3nn: out of memory for %lld samples",
                           (long long)count);
    }
    sciml_rng rng;
    sciml_rng_seed(&rng, options->seed ^ 0x76616c6964617465ULL); /* its own stream */
    for (int64_t i = 0; i < count; i++)
        order[i] = i;
    sciml_rng_shuffle(&rng, order, count);
    double *x = copy, *y = copy + count * n_in; /* (count, n_in), (count, m): validation last */
    for (int64_t i = 0; i < count; i++) {
        memcpy(x + i * n_in, inputs + order[i] * n_in, (size_t)n_in * sizeof(double));
        memcpy(y + i * m, outputs + order[i] * m, (size_t)m * sizeof(double));
    }
    free(order);
    const int64_t fit_count = count - valid_count;
    *data = (data_split){.fit_x = x,
                         .fit_y = y,
                         .fit_count = fit_count,
                         .valid_x = x + fit_count * n_in,
                         .valid_y = y + fit_count * m,
                         .valid_count = valid_count};
    *storage = copy;
    return SCIML_OK;
}

sciml_status sciml_pi3nn_model_train(sciml_pi3nn_model *model, const double *inputs,
                                     const double *outputs, int64_t count,
                                     const sciml_train_options *options) {
    sciml_ctx *ctx = model->ctx;
    const int64_t n_in = model->config.input_count, m = model->config.output_count;
    if (model->train_count > 0)
        return sciml_error(ctx, SCIML_ERR_ARG, "pi3nn: the model is trained already");
    if (count < 2 * SCIML_PI3NN_MIN_SIDE_POINTS)
        return sciml_error(ctx, SCIML_ERR_ARG, "pi3nn: %lld training samples: expected at least %d",
                           (long long)count, 2 * SCIML_PI3NN_MIN_SIDE_POINTS);
    if (options->epochs < 0 || options->batch < 1)
        return sciml_error(ctx, SCIML_ERR_ARG,
                           "pi3nn: epochs %lld, batch %lld: expected >= 0, >= 1",
                           (long long)options->epochs, (long long)options->batch);
    data_split data;
    double *storage = NULL;
    sciml_status status = split_data(model, inputs, outputs, count, options, &data, &storage);
    if (status)
        return status;
    /* the root-finding's points: the validation part when there is one */
    const int64_t calibration_count = data.valid_count > 0 ? data.valid_count : data.fit_count;
    if ((status = sciml_normalizer_create(ctx, n_in, &model->input_norm)) ||
        (status = sciml_normalizer_create(ctx, m, &model->output_norm)) ||
        (status = sciml_normalizer_fit(ctx, model->input_norm, data.fit_x, data.fit_count, n_in,
                                       SCIML_NORMALIZER_STD_FLOOR)) ||
        (status = sciml_normalizer_fit(ctx, model->output_norm, data.fit_y, data.fit_count, m,
                                       SCIML_NORMALIZER_STD_FLOOR)) ||
        (status = sciml_pi3nn_allocate_statistics(model, calibration_count)))
        goto fail;
    status = model->config.method == SCIML_PI3NN_METHOD_ENSEMBLE
                 ? train_ensemble(model, &data, options)
                 : train_pi3nn(model, &data, options);
    if (status)
        goto fail;
    free(storage);
    model->train_count = calibration_count;
    return SCIML_OK;
fail:
    free(storage);
    sciml_normalizer_destroy(&model->input_norm);
    sciml_normalizer_destroy(&model->output_norm);
    free(model->upper_ratio);
    free(model->lower_ratio);
    free(model->width_reference);
    free(model->width_floor);
    model->upper_ratio = model->lower_ratio = model->width_reference = model->width_floor = NULL;
    return status;
}
