/* The deep operator network on unaligned data (see sciml/deeponet_model.h): triplets
 * (v_i, y_i, u_i), each sample with its own query point,
 *
 *   loss(theta) = 1/(B K) sum_{i in batch} sum_k (b(v_i)_{g_k} . t(y_i)_{g_k} + c_k - N(u_i)_k)^2
 *
 * in standardised units. The graph is the aligned one with the points as a per-sample input
 * and the grouped row-wise product (the "deeponet_pairs" op) in place of the B T^T product, so
 * the parameters have the same layout and a model moves between the layouts unchanged.
 *
 * Training groups the triplets by function when every distinct sensor row occurs the same
 * number Q > 1 of times (as `sciml-gen antiderivative --unaligned Q` writes them): a sample of
 * the trainer is then a function with its Q points and values, the branch runs once per
 * function instead of once per triplet, and its gradient is the sum over the function's
 * triplets (the same loss and gradient up to round-off). Otherwise each triplet is a sample.
 *
 * Prediction runs without the graph (sciml_deeponet_inference_unaligned, deeponet_infer.c):
 * within each chunk of triplets the branch runs once per distinct function, in whatever order
 * and however often the functions repeat.
 */
#include "models/deeponet_model_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>


static sciml_status check_triplets(sciml_deeponet_model *model, const sciml_deeponet_triplets *data,
                                   const char *what) {
    if (model->config.pod)
        return sciml_error(model->ctx, SCIML_ERR_UNSUPPORTED,
                           "deeponet: a POD trunk needs the aligned layout (one grid of points "
                           "for every function), not triplets");
    if (!data->functions || !data->points || !data->values || data->count < 1)
        return sciml_error(model->ctx, SCIML_ERR_ARG,
                           "deeponet: the %s set has %lld samples: expected at least one "
                           "(function, point, value) triplet",
                           what, (long long)data->count);
    return SCIML_OK;
}

sciml_status sciml_deeponet_model_predict_unaligned(sciml_deeponet_model *model,
                                                    const double *functions, const double *points,
                                                    int64_t count, double *values) {
    sciml_ctx *ctx = model->ctx;
    const sciml_deeponet_config *c = &model->config;
    if (!model->normalized)
        return sciml_error(ctx, SCIML_ERR_STATE, "deeponet: the model is untrained");
    if (c->pod)
        return sciml_error(ctx, SCIML_ERR_UNSUPPORTED,
                           "deeponet: a POD trunk predicts on its training grid only, not at "
                           "one point per function");
    if (count < 0)
        return sciml_error(ctx, SCIML_ERR_ARG, "deeponet: %lld samples: expected 0 or more",
                           (long long)count);
    if (count == 0)
        return SCIML_OK;
    return sciml_deeponet_inference_unaligned(model, functions, points, count, values);
}

sciml_status sciml_deeponet_model_evaluate_unaligned(sciml_deeponet_model *model,
                                                     const sciml_deeponet_triplets *data,
                                                     double *mse, double *relative_l2) {
    sciml_status status = check_triplets(model, data, "evaluation");
    if (status)
        return status;
    const int64_t K = model->config.outputs, n = data->count * K;
    double *prediction = sciml_alloc_array((size_t)n, sizeof(double));
    if (!prediction)
        return sciml_error(model->ctx, SCIML_ERR_NOMEM,
                           "deeponet: out of memory for %lld predictions", (long long)n);
    status = sciml_deeponet_model_predict_unaligned(model, data->functions, data->points,
                                                    data->count, prediction);
    double squared = 0.0, reference = 0.0;
    for (int64_t i = 0; status == SCIML_OK && i < n; i++) {
        const double d = prediction[i] - data->values[i];
        squared += d * d;
        reference += data->values[i] * data->values[i];
    }
    free(prediction);
    if (status)
        return status;
    *mse = squared / (double)n;
    *relative_l2 = reference > 0 ? sqrt(squared / reference) : sqrt(squared);
    return SCIML_OK;
}

/* ---- grouping the triplets by function --------------------------------------------------- */

typedef struct keyed_index {
    uint64_t hash;
    int64_t index;
} keyed_index;

static int compare_keyed(const void *a, const void *b) {
    const keyed_index *x = a, *y = b;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

static uint64_t row_hash(const double *row, int64_t m) { /* FNV-1a over the bytes */
    const unsigned char *bytes = (const unsigned char *)row;
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < (size_t)m * sizeof(double); i++)
        h = (h ^ bytes[i]) * 0x100000001b3ULL;
    return h;
}

/* Groups `count` sensor rows (count, m) by equal bytes. When every distinct row occurs the same
 * number Q > 1 of times, writes order (count): the triplet indices function by function
 * (functions in order of first appearance, triplets in file order within each), sets
 * *functions to their number and returns Q; returns 1 when the rows cannot be grouped so
 * (all distinct, or unequal counts) and -1 when out of memory. */
static int64_t group_by_function(const double *rows, int64_t count, int64_t m, int64_t *order,
                                 int64_t *functions) {
    keyed_index *keyed = sciml_alloc_array((size_t)count, sizeof(*keyed));
    int64_t *first = sciml_alloc_array((size_t)count, sizeof(*first)); /* first appearance */
    int64_t *group = sciml_alloc_array((size_t)count, sizeof(*group));
    int64_t *filled = sciml_alloc_array((size_t)count, sizeof(*filled));
    int64_t result = -1;
    if (!keyed || !first || !group || !filled)
        goto done;
    for (int64_t i = 0; i < count; i++)
        keyed[i] = (keyed_index){row_hash(rows + i * m, m), i};
    qsort(keyed, (size_t)count, sizeof(*keyed), compare_keyed);
    for (int64_t run = 0; run < count;) { /* rows of one hash, by index: compare to earlier */
        int64_t end = run;
        while (end < count && keyed[end].hash == keyed[run].hash)
            end++;
        for (int64_t a = run; a < end; a++) {
            const int64_t i = keyed[a].index;
            first[i] = i;
            for (int64_t b = run; b < a; b++) {
                const int64_t j = keyed[b].index;
                if (first[j] == j &&
                    !memcmp(rows + i * m, rows + j * m, (size_t)m * sizeof(double))) {
                    first[i] = j;
                    break;
                }
            }
        }
        run = end;
    }
    int64_t distinct = 0;
    for (int64_t i = 0; i < count; i++) {
        group[i] = first[i] == i ? distinct++ : group[first[i]];
        filled[i] = 0;
    }
    for (int64_t i = 0; i < count; i++)
        filled[group[i]]++;
    const int64_t per_function = count / distinct;
    result = per_function;
    for (int64_t g = 0; g < distinct && result > 1; g++)
        if (filled[g] != per_function)
            result = 1;
    if (result > 1) {
        for (int64_t g = 0; g < distinct; g++)
            filled[g] = 0;
        for (int64_t i = 0; i < count; i++)
            order[group[i] * per_function + filled[group[i]]++] = i;
        *functions = distinct;
    }
done:
    free(keyed);
    free(first);
    free(group);
    free(filled);
    return result;
}

typedef struct unaligned_training {
    sciml_deeponet_model *model;
    const sciml_deeponet_triplets *test;
    int64_t every, last; /* evaluate the test set every `every` epochs and at `last` */
} unaligned_training;

static void store_params(void *user, const double *params) { /* before a checkpoint */
    sciml_deeponet_take_params(((unaligned_training *)user)->model, params);
}

static sciml_status evaluate_test(void *user, const double *params, sciml_train_report *report) {
    unaligned_training *t = user;
    if (!t->test || (report->epoch % t->every && report->epoch != t->last))
        return SCIML_OK;
    sciml_deeponet_take_params(t->model, params);
    return sciml_deeponet_model_evaluate_unaligned(t->model, t->test, &report->test_loss,
                                                   &report->test_error);
}

sciml_status sciml_deeponet_model_train_unaligned(sciml_deeponet_model *model,
                                                  const sciml_deeponet_triplets *train,
                                                  const sciml_deeponet_triplets *test,
                                                  const sciml_train_options *options) {
    sciml_ctx *ctx = model->ctx;
    const sciml_deeponet_config *c = &model->config;
    sciml_status status;
    if ((status = check_triplets(model, train, "training")) ||
        (test && (status = check_triplets(model, test, "test"))) ||
        (status = sciml_deeponet_check_train_options(model, options)))
        return status;
    const int64_t count = train->count;
    if (!model->normalized) {
        sciml_deeponet_fit_normalisation(model, train->functions, count, train->points, count,
                                         train->values, count);
        model->unaligned = 1;
        sciml_deeponet_inference_free(&model->inference);
    }
    const int64_t m = c->sensors, d = c->coordinates, K = c->outputs;
    double *functions = sciml_alloc_array((size_t)count * (size_t)m, sizeof(double));
    double *points = sciml_alloc_array((size_t)count * (size_t)d, sizeof(double));
    double *values = sciml_alloc_array((size_t)count * (size_t)K, sizeof(double));
    int64_t *order = sciml_alloc_array((size_t)count, sizeof(int64_t));
    deeponet_graph dg;
    memset(&dg, 0, sizeof(dg));
    int64_t samples = count, per_function = 1;
    if (functions && points && values && order)
        per_function = group_by_function(train->functions, count, m, order, &samples);
    if (!functions || !points || !values || !order || per_function < 0) {
        status =
            sciml_error(ctx, SCIML_ERR_NOMEM, "deeponet: out of memory for %lld training triplets",
                        (long long)count);
        goto done;
    }
    if (per_function == 1) { /* a sample per triplet */
        sciml_deeponet_standardise_functions(model, train->functions, count, functions);
        sciml_deeponet_standardise_points(model, train->points, count, points);
        sciml_deeponet_standardise_values(model, train->values, count, values);
    } else { /* a sample per function: its sensors, then its Q points and values in a row */
        for (int64_t g = 0; g < samples; g++) {
            const int64_t *members = order + g * per_function;
            sciml_deeponet_standardise_functions(model, train->functions + members[0] * m, 1,
                                                 functions + g * m);
            for (int64_t q = 0; q < per_function; q++) {
                const int64_t i = members[q], slot = g * per_function + q;
                sciml_deeponet_standardise_points(model, train->points + i * d, 1,
                                                  points + slot * d);
                sciml_deeponet_standardise_values(model, train->values + i * K, 1,
                                                  values + slot * K);
            }
        }
    }
    /* --batch counts triplets: whole functions when grouped, at least one */
    sciml_train_options grouped = *options;
    if (options->batch >= count)
        grouped.batch = samples;
    else if (options->batch / per_function > 1)
        grouped.batch = options->batch / per_function;
    else
        grouped.batch = 1;
    if ((status = sciml_deeponet_build_unaligned_graph(model, per_function, grouped.batch, 1, &dg)))
        goto done;
    unaligned_training context = {
        model, test, options->epochs / 100 > 1 ? options->epochs / 100 : 1, options->epochs};
    sciml_minibatch_problem problem = {
        .graph = dg.graph,
        .loss = dg.loss,
        .table_count = 3,
        .inputs = {dg.functions, dg.points, dg.target},
        .tables = {functions, points, values},
        .sample_count = samples,
        .full_batch_in_order = 1,
        .evaluate = evaluate_test,
        .store = store_params,
        .user = &context,
    };
    status = sciml_train_minibatch(ctx, &problem, &model->state, &grouped);
    sciml_deeponet_take_params(model, sciml_graph_params(dg.graph));
done:
    sciml_deeponet_graph_free(&dg);
    free(functions);
    free(points);
    free(values);
    free(order);
    return status;
}
