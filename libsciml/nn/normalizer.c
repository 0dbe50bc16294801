/* Per-feature normalisation z = (x - mean) / std over the first axis of (count, features) data.
 *
 * Statistics are accumulated batch by batch. Within a batch B: mean_B and
 * M2_B = sum (x - mean_B)^2 by two passes (no cancellation); merged into the running (n, mean,
 * M2) by Chan, Golub and LeVeque's pairwise update (1979):
 *   delta = mean_B - mean,  n' = n + n_B,  mean' = mean + delta n_B / n',
 *   M2' = M2 + M2_B + delta^2 n n_B / n'.
 * At the end std = sqrt(M2 / n) (population deviation); features with std < floor are constant
 * in the data and get std = 1, so they are centred without dividing by (almost) zero.
 */
#include "sciml/nn.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

sciml_status sciml_normalizer_create(sciml_ctx *ctx, int64_t feature_count,
                                     sciml_normalizer **out) {
    if (!out)
        return sciml_error(ctx, SCIML_ERR_ARG, "normalizer: NULL output pointer");
    *out = NULL;
    if (feature_count < 1 || (uint64_t)feature_count > SIZE_MAX / sizeof(double))
        return sciml_error(ctx, SCIML_ERR_RANGE, "normalizer: %lld features, expected >= 1",
                           (long long)feature_count);
    sciml_normalizer *n = calloc(1, sizeof(*n));
    if (n) {
        n->mean = sciml_calloc_array((size_t)feature_count, sizeof(double));
        n->std = sciml_alloc_array((size_t)feature_count, sizeof(double));
        n->m2 = sciml_calloc_array((size_t)feature_count, sizeof(double));
    }
    if (!n || !n->mean || !n->std || !n->m2) {
        sciml_normalizer_destroy(&n);
        return sciml_error(ctx, SCIML_ERR_NOMEM, "normalizer: cannot allocate %lld features",
                           (long long)feature_count);
    }
    n->feature_count = feature_count;
    for (int64_t j = 0; j < feature_count; j++)
        n->std[j] = 1.0;
    *out = n;
    return SCIML_OK;
}

void sciml_normalizer_destroy(sciml_normalizer **normalizer) {
    if (!normalizer || !*normalizer)
        return;
    free((*normalizer)->mean);
    free((*normalizer)->std);
    free((*normalizer)->m2);
    free(*normalizer);
    *normalizer = NULL;
}

void sciml_normalizer_reset(sciml_normalizer *n) {
    if (!n)
        return;
    n->sample_count = 0;
    memset(n->mean, 0, (size_t)n->feature_count * sizeof(double));
    memset(n->m2, 0, (size_t)n->feature_count * sizeof(double));
}

static sciml_status check_array(sciml_ctx *ctx, const sciml_normalizer *n, const double *data,
                                int64_t count, int64_t features, const char *what) {
    if (!n || (!data && count > 0))
        return sciml_error(ctx, SCIML_ERR_ARG, "normalizer %s: NULL argument", what);
    if (features != n->feature_count)
        return sciml_error(ctx, SCIML_ERR_SHAPE,
                           "normalizer %s: data has %lld features, the statistics have %lld", what,
                           (long long)features, (long long)n->feature_count);
    int64_t total;
    if (count < 0 || sciml_mul_i64(count, features, &total))
        return sciml_error(ctx, SCIML_ERR_RANGE, "normalizer %s: bad row count %lld", what,
                           (long long)count);
    return SCIML_OK;
}

sciml_status sciml_normalizer_update(sciml_ctx *ctx, sciml_normalizer *n, const double *data,
                                     int64_t count, int64_t features) {
    sciml_status status = check_array(ctx, n, data, count, features, "update");
    if (status != SCIML_OK)
        return status;
    if (count == 0)
        return SCIML_OK;
    for (int64_t i = 0; i < count * features; i++)
        if (!isfinite(data[i]))
            return sciml_error(ctx, SCIML_ERR_NONFINITE,
                               "normalizer update: value %g in row %lld, feature %lld", data[i],
                               (long long)(i / features), (long long)(i % features));
    const double batch_count = (double)count;
    const double total = (double)(n->sample_count + count);
    for (int64_t j = 0; j < features; j++) {
        double sum = 0.0;
        for (int64_t i = 0; i < count; i++)
            sum += data[i * features + j];
        const double batch_mean = sum / batch_count;
        double batch_m2 = 0.0;
        for (int64_t i = 0; i < count; i++) {
            double deviation = data[i * features + j] - batch_mean;
            batch_m2 += deviation * deviation;
        }
        const double delta = batch_mean - n->mean[j];
        n->mean[j] += delta * batch_count / total;
        n->m2[j] += batch_m2 + delta * delta * (double)n->sample_count * batch_count / total;
    }
    n->sample_count += count;
    return SCIML_OK;
}

sciml_status sciml_normalizer_finish(sciml_ctx *ctx, sciml_normalizer *n, double std_floor) {
    if (!n)
        return sciml_error(ctx, SCIML_ERR_ARG, "normalizer finish: NULL normalizer");
    if (n->sample_count < 1)
        return sciml_error(ctx, SCIML_ERR_STATE, "normalizer finish: no data accumulated");
    if (!(std_floor >= 0.0) || !isfinite(std_floor))
        return sciml_error(ctx, SCIML_ERR_RANGE, "normalizer finish: std floor %g, expected >= 0",
                           std_floor);
    for (int64_t j = 0; j < n->feature_count; j++) {
        double deviation = sqrt(n->m2[j] / (double)n->sample_count);
        n->std[j] = deviation < std_floor || deviation == 0.0 ? 1.0 : deviation;
    }
    return SCIML_OK;
}

sciml_status sciml_normalizer_fit(sciml_ctx *ctx, sciml_normalizer *n, const double *data,
                                  int64_t count, int64_t features, double std_floor) {
    sciml_status status = check_array(ctx, n, data, count, features, "fit");
    if (status != SCIML_OK)
        return status;
    if (count < 1)
        return sciml_error(ctx, SCIML_ERR_RANGE, "normalizer fit: no rows");
    sciml_normalizer_reset(n);
    status = sciml_normalizer_update(ctx, n, data, count, features);
    if (status == SCIML_OK)
        status = sciml_normalizer_finish(ctx, n, std_floor);
    return status;
}

sciml_status sciml_normalizer_apply(sciml_ctx *ctx, const sciml_normalizer *n, double *data,
                                    int64_t count, int64_t features) {
    sciml_status status = check_array(ctx, n, data, count, features, "apply");
    if (status != SCIML_OK)
        return status;
    for (int64_t i = 0; i < count; i++)
        for (int64_t j = 0; j < features; j++)
            data[i * features + j] = (data[i * features + j] - n->mean[j]) / n->std[j];
    return SCIML_OK;
}

sciml_status sciml_normalizer_invert(sciml_ctx *ctx, const sciml_normalizer *n, double *data,
                                     int64_t count, int64_t features) {
    sciml_status status = check_array(ctx, n, data, count, features, "invert");
    if (status != SCIML_OK)
        return status;
    for (int64_t i = 0; i < count; i++)
        for (int64_t j = 0; j < features; j++)
            data[i * features + j] = data[i * features + j] * n->std[j] + n->mean[j];
    return SCIML_OK;
}

sciml_status sciml_normalizer_set(sciml_ctx *ctx, sciml_normalizer *n, const double *mean,
                                  const double *std, int64_t features) {
    if (!n || !mean || !std)
        return sciml_error(ctx, SCIML_ERR_ARG, "normalizer set: NULL argument");
    if (features != n->feature_count)
        return sciml_error(ctx, SCIML_ERR_SHAPE,
                           "normalizer set: %lld features given, the normalizer has %lld",
                           (long long)features, (long long)n->feature_count);
    for (int64_t j = 0; j < features; j++)
        if (!isfinite(mean[j]) || !(std[j] > 0.0) || !isfinite(std[j]))
            return sciml_error(ctx, SCIML_ERR_RANGE,
                               "normalizer set: feature %lld has mean %g and std %g, expected "
                               "finite values with std > 0",
                               (long long)j, mean[j], std[j]);
    memcpy(n->mean, mean, (size_t)features * sizeof(double));
    memcpy(n->std, std, (size_t)features * sizeof(double));
    n->sample_count = 0;
    memset(n->m2, 0, (size_t)features * sizeof(double));
    return SCIML_OK;
}
