/* PI3NN prediction intervals and the deep-ensemble baseline (see sciml/pi3nn_model.h).
 *
 * PI3NN (Liu, Zhang, Lu and Zhang, ICLR 2022), in standardised units, N training points:
 *
 *   f = argmin sum_i (f(x_i) - y_i)^2,             r_i = y_i - f(x_i)
 *   u = argmin sum_{r_i > 0} (u(x_i) - r_i)^2,     l = argmin sum_{r_i < 0} (l(x_i) + r_i)^2
 *   nu: #{i : y_i >= f(x_i) + nu |u(x_i)|} = K,    xi: #{i : y_i <= f(x_i) - xi |l(x_i)|} = K,
 *   K = floor(N (1 - gamma) / 2).
 *
 * The count convention is the authors' code's: K counts points on or beyond the bound among
 * all N training points (not among those on that side), floored, for each side. With
 * a_i = r_i / |u(x_i)| the up condition reads #{i : a_i >= nu} = K, a decreasing step
 * function of nu; the model keeps the a_i sorted in decreasing order, counts by binary search
 * and finds nu by bisection on [0, 2 a_max + 1] (count(0) > K is required: more than K points
 * lie on or above f). Bisection stops as soon as the count is K; with tied ratios that count
 * may not exist and it stops after 200 halvings at the upper end of the bracket (count < K,
 * the conservative side). The same for xi with b_i = -r_i / |l(x_i)|.
 *
 * The OOD initialisation (the paper, Sec. 3.3, and its cubic script, which sets the output
 * bias of u and l to 15 or 10 in standardised units before training): after the He
 * initialisation the output bias of u and l is set to ood_bias. u and l are used as |u|, |l|
 * (the authors' networks output sqrt(z^2 + 1e-10), a smoothed |z|; here the training targets
 * are positive and the absolute value is taken when predicting).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/pi3nn_model_internal.h"
#include "sciml/nn.h"

enum { CHUNK = 256, BISECTION_STEPS = 200 };

static const double VARIANCE_FLOOR = 1e-6; /* ensemble: s = softplus(raw) + 1e-6 */
static const double TINY_WIDTH = 1e-300;   /* guards r / |u| */

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
    if (model->config.method == SCIML_PI3NN_METHOD_PI3NN) {
        model->upper_ratio = sciml_alloc_array((size_t)m * (size_t)train_count, sizeof(double));
        model->lower_ratio = sciml_alloc_array((size_t)m * (size_t)train_count, sizeof(double));
        if (!model->upper_ratio || !model->lower_ratio)
            return sciml_error(model->ctx, SCIML_ERR_NOMEM,
                               "pi3nn: out of memory for %lld training ratios",
                               (long long)train_count);
    }
    if (!model->width_reference)
        return sciml_error(model->ctx, SCIML_ERR_NOMEM, "pi3nn: out of memory");
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

/* Bisection for the scale s >= 0 with #{ratio >= s} = target (see the file comment). */
static double bisect_scale(const double *sorted, int64_t n, int64_t target) {
    double low = 0.0, high = 2.0 * (sorted[0] > 0 ? sorted[0] : 0.0) + 1.0;
    double middle = high;
    for (int step = 0; step < BISECTION_STEPS; step++) {
        middle = 0.5 * (low + high);
        int64_t count = count_at_least(sorted, n, middle);
        if (count == target)
            return middle;
        if (count > target)
            low = middle;
        else
            high = middle;
    }
    return high;
}

static int64_t outside_target(int64_t n, double level) {
    return (int64_t)floor((double)n * (1.0 - level) / 2.0);
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
                                   "confidence level %g: output %lld has %lld of %lld training "
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
    const int64_t n = model->train_count, target = outside_target(n, level);
    *nu = bisect_scale(model->upper_ratio + output * n, n, target);
    *xi = bisect_scale(model->lower_ratio + output * n, n, target);
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
            const double up = fabs(u[i]), down = fabs(l[i]);
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

/* Trains u_k and l_k of output k on the residuals (standardised, (N, m)) and fills the
 * sorted ratios and the width reference. rows holds N int64, side_x (N, n_in), side_y and
 * width N doubles each. */
static sciml_status train_sides(sciml_pi3nn_model *model, int64_t k, const double *inputs,
                                const double *residual, int64_t count,
                                const sciml_train_options *options, double *side_x, double *side_y,
                                double *width) {
    sciml_ctx *ctx = model->ctx;
    const int64_t m = model->config.output_count, n_in = model->config.input_count;
    sciml_status status;
    double *ratio[2] = {model->upper_ratio + k * count, model->lower_ratio + k * count};
    for (int side = 0; side < 2; side++) {
        const int index = 1 + 2 * (int)k + side;
        const double sign = side ? -1.0 : 1.0; /* targets r (up) and -r (down) */
        int64_t n = 0;
        for (int64_t i = 0; i < count; i++) {
            double target = sign * residual[i * m + k];
            if (target > 0) {
                memcpy(side_x + n * n_in, inputs + i * n_in, (size_t)n_in * sizeof(double));
                side_y[n++] = target;
            }
        }
        if (n < SCIML_PI3NN_MIN_SIDE_POINTS)
            return sciml_error(ctx, SCIML_ERR_RANGE,
                               "pi3nn: output %lld has %lld of %lld training points %s the mean "
                               "network: expected at least %d on each side to train the %s "
                               "network",
                               (long long)k, (long long)n, (long long)count,
                               side ? "below" : "above", SCIML_PI3NN_MIN_SIDE_POINTS,
                               side ? "lower" : "upper");
        if ((status = sciml_pi3nn_share_normalizers(model, index)) ||
            (status = sciml_mlp_model_train(model->networks[index], side_x, side_y, n, NULL, NULL,
                                            0, options)))
            return status;
        /* |u(x_i)| (|l(x_i)|) on every training point, then the ratios */
        double *values = ratio[side];
        if ((status = sciml_mlp_model_predict(model->networks[index], inputs, count, values)))
            return status;
        for (int64_t i = 0; i < count; i++) {
            double magnitude = fabs(values[i]);
            width[i] = side ? width[i] + magnitude : magnitude;
            values[i] =
                sign * residual[i * m + k] / (magnitude > TINY_WIDTH ? magnitude : TINY_WIDTH);
        }
        qsort(values, (size_t)count, sizeof(double), compare_decreasing);
    }
    model->width_reference[k] = width_reference(width, count);
    return SCIML_OK;
}

static sciml_status train_pi3nn(sciml_pi3nn_model *model, const double *inputs,
                                const double *outputs, int64_t count,
                                const sciml_train_options *options) {
    sciml_ctx *ctx = model->ctx;
    const int64_t m = model->config.output_count, n_in = model->config.input_count;
    double *residual = sciml_alloc_array((size_t)count * (size_t)m, sizeof(double));
    double *side_x = sciml_alloc_array((size_t)count * (size_t)n_in, sizeof(double));
    double *side_y = sciml_alloc_array((size_t)count, sizeof(double));
    double *width = sciml_alloc_array((size_t)count, sizeof(double));
    sciml_status status = SCIML_OK;
    if (!residual || !side_x || !side_y || !width) {
        status = sciml_error(ctx, SCIML_ERR_NOMEM, "pi3nn: out of memory for %lld samples",
                             (long long)count);
        goto done;
    }
    if ((status = sciml_pi3nn_share_normalizers(model, 0)) ||
        (status = sciml_mlp_model_train(model->networks[0], inputs, outputs, count, NULL, NULL, 0,
                                        options)) ||
        (status = sciml_mlp_model_predict(model->networks[0], inputs, count, residual)))
        goto done;
    /* r = (y - f(x)) / std_y, standardised units */
    for (int64_t i = 0; i < count; i++)
        for (int64_t k = 0; k < m; k++)
            residual[i * m + k] =
                (outputs[i * m + k] - residual[i * m + k]) / model->output_norm->std[k];
    for (int64_t k = 0; k < m && !status; k++)
        status = train_sides(model, k, inputs, residual, count, options, side_x, side_y, width);
done:
    free(residual);
    free(side_x);
    free(side_y);
    free(width);
    return status;
}

/* One ensemble member: Gaussian NLL on standardised data through the shared trainer. */
static sciml_status train_member(sciml_pi3nn_model *model, int index, const double *x_standard,
                                 const double *y_standard, int64_t count,
                                 const sciml_train_options *options) {
    sciml_ctx *ctx = model->ctx;
    sciml_mlp_model *member = model->networks[index];
    const sciml_mlp_model_config *config = &member->config;
    const int64_t m = model->config.output_count;
    const int64_t batch = options->batch < count ? options->batch : count;
    sciml_graph *g = NULL;
    sciml_mlp mlp;
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
    status = sciml_train_minibatch(ctx, &problem, &member->state, options);
    memcpy(member->params, sciml_graph_params(g), (size_t)member->parameter_count * sizeof(double));
done:
    sciml_graph_destroy(&g);
    return status;
}

static sciml_status train_ensemble(sciml_pi3nn_model *model, const double *inputs,
                                   const double *outputs, int64_t count,
                                   const sciml_train_options *options) {
    sciml_ctx *ctx = model->ctx;
    const int64_t m = model->config.output_count, n_in = model->config.input_count;
    double *x_standard = sciml_alloc_array((size_t)count * (size_t)n_in, sizeof(double));
    double *y_standard = sciml_alloc_array((size_t)count * (size_t)m, sizeof(double));
    double *moments = sciml_alloc_array((size_t)CHUNK * (size_t)m * 4, sizeof(double));
    double *width = sciml_alloc_array((size_t)count * (size_t)m, sizeof(double));
    sciml_status status = SCIML_OK;
    if (!x_standard || !y_standard || !moments || !width) {
        status = sciml_error(ctx, SCIML_ERR_NOMEM, "pi3nn: out of memory for %lld samples",
                             (long long)count);
        goto done;
    }
    memcpy(x_standard, inputs, (size_t)(count * n_in) * sizeof(double));
    memcpy(y_standard, outputs, (size_t)(count * m) * sizeof(double));
    sciml_normalizer_apply(ctx, model->input_norm, x_standard, count, n_in);
    sciml_normalizer_apply(ctx, model->output_norm, y_standard, count, m);
    for (int j = 0; j < model->network_count && !status; j++)
        if (!(status = sciml_pi3nn_share_normalizers(model, j)))
            status = train_member(model, j, x_standard, y_standard, count, options);
    /* training widths 2 s per output for the OOD score */
    for (int64_t first = 0; first < count && !status; first += CHUNK) {
        int64_t n = count - first < CHUNK ? count - first : CHUNK;
        double *mean = moments, *deviation = moments + CHUNK * m;
        status = ensemble_moments(model, inputs + first * n_in, n, mean, deviation,
                                  moments + 2 * CHUNK * m);
        for (int64_t i = 0; i < n * m && !status; i++)
            width[(i % m) * count + first + i / m] = 2.0 * deviation[i];
    }
    for (int64_t k = 0; k < m && !status; k++)
        model->width_reference[k] = width_reference(width + k * count, count);
done:
    free(x_standard);
    free(y_standard);
    free(moments);
    free(width);
    return status;
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
    sciml_status status;
    if ((status = sciml_normalizer_create(ctx, n_in, &model->input_norm)) ||
        (status = sciml_normalizer_create(ctx, m, &model->output_norm)) ||
        (status = sciml_normalizer_fit(ctx, model->input_norm, inputs, count, n_in,
                                       SCIML_NORMALIZER_STD_FLOOR)) ||
        (status = sciml_normalizer_fit(ctx, model->output_norm, outputs, count, m,
                                       SCIML_NORMALIZER_STD_FLOOR)) ||
        (status = sciml_pi3nn_allocate_statistics(model, count)))
        goto fail;
    status = model->config.method == SCIML_PI3NN_METHOD_ENSEMBLE
                 ? train_ensemble(model, inputs, outputs, count, options)
                 : train_pi3nn(model, inputs, outputs, count, options);
    if (status)
        goto fail;
    model->train_count = count;
    return SCIML_OK;
fail:
    sciml_normalizer_destroy(&model->input_norm);
    sciml_normalizer_destroy(&model->output_norm);
    free(model->upper_ratio);
    free(model->lower_ratio);
    free(model->width_reference);
    model->upper_ratio = model->lower_ratio = model->width_reference = NULL;
    return status;
}
