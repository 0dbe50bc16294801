/* DeepONet prediction without the graph: plain GEMMs on host copies of the parameters, with
 * the branch's last linear layer, the output bias and the output scaling folded into the trunk
 * features once per query grid.
 *
 * With h the branch's last hidden features (h, one row per function), W (h, p) and a (p) its
 * last layer, t_j = sigma(trunk(y_j)) (p) and group k's features g_k, output k is
 *
 *   u(f, j, k) = s_k (sum_{i in g_k} (h_f W + a)_i t_{j,i} + c_k) + mu_k
 *              = h_f M[:, (j, k)] + r[(j, k)],
 *   M[:, (j, k)] = s_k W[:, g_k] t_{j, g_k}^T                 (h, P K)
 *   r[(j, k)]    = s_k (a_{g_k} . t_{j, g_k} + c_k) + mu_k     (P K)
 *
 * so a batch costs one product h M + r (n h P K multiply-adds instead of n h p + n p P K,
 * fewer whenever h K <= h p / P + p) written straight into the caller's (n, P, K) array. The
 * sensor standardisation (v - mu_v) / s_v is folded into the first layer: W0 / s_v and
 * a0 - (mu_v / s_v) colsum(W0). Each layer's bias is stored as the last row of its weights.
 * Functions go through the layers INFERENCE_CHUNK at a time so that the hidden buffers stay
 * in cache, and each layer is one call of sciml_cpu_dense (bias and ReLU fused). With ReLU,
 * a layer whose input is a ReLU output (the readout and the hidden layers after the first)
 * runs on sciml_cpu_dense_sparse, which skips the rows of the weights where an input is zero
 * (about half of them): the same sums, about half the multiply-adds.
 *
 * A POD trunk (config.pod) supplies t_j from the stored modes and adds the stored mean of
 * output k at point j inside the bracket of r.
 *
 * Single precision (sciml_deeponet_model_predict_f32, or the precision setting): the same fold
 * in float64, then every folded matrix rounded once to float32; the chunks then run through
 * sciml_cpu_dense_f32 (16 lanes), the functions rounded to float32 and the values widened to
 * float64 a chunk at a time when the caller's arrays are float64. Activations other than ReLU
 * go through the float64 elementwise kernels one row at a time.
 *
 * The parameters here are the model's host copy (not tensor memory), so this file calls
 * the CPU backend's host kernels (OpenBLAS, sciml_cpu_dense, the elementwise activations).
 */
#include "backend/cpu.h"
#include "backend/cpu_dense_f32.h"
#include "backend/cpu_dense_sparse.h"
#include "models/deeponet_model_internal.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

enum { INFERENCE_CHUNK = 256 }; /* functions per pass through the layers */

static sciml_unary unary_of(sciml_activation activation) {
    switch (activation) {
    case SCIML_ACT_TANH:
        return SCIML_UNARY_TANH;
    case SCIML_ACT_RELU:
        return SCIML_UNARY_RELU;
    case SCIML_ACT_GELU:
        return SCIML_UNARY_GELU;
    case SCIML_ACT_SIGMOID:
        return SCIML_UNARY_SIGMOID;
    case SCIML_ACT_SOFTPLUS:
        return SCIML_UNARY_SOFTPLUS;
    case SCIML_ACT_SIN:
        return SCIML_UNARY_SIN;
    case SCIML_ACT_IDENTITY:
        break;
    }
    return SCIML_UNARY_COPY;
}

void sciml_deeponet_inference_free(deeponet_inference *inference) {
    free(inference->block);
    free(inference->work);
    free(inference->block_f32);
    free(inference->work_f32);
    memset(inference, 0, sizeof(*inference));
}

/* Widths of the branch: sizes[0] = m, sizes[l + 1] = branch[l]; returns the layer count. */
static int branch_sizes(const sciml_deeponet_config *c, int64_t *sizes) {
    sizes[0] = c->sensors;
    for (int l = 0; l < c->branch_count; l++)
        sizes[l + 1] = c->branch[l];
    return c->branch_count;
}

/* Offsets of the branch parameters, then the trunk's, then the output bias (the graph's
 * creation order: each dense layer's weight (in, out) then bias (out)). */
static const double *trunk_params(const sciml_deeponet_model *model) {
    const sciml_deeponet_config *c = &model->config;
    int64_t sizes[SCIML_DEEPONET_MAX_LAYERS + 1], offset = 0;
    const int layers = branch_sizes(c, sizes);
    for (int l = 0; l < layers; l++)
        offset += sizes[l] * sizes[l + 1] + sizes[l + 1];
    return model->params + offset;
}

/* Applies an activation to `rows` rows of `width` values in x (leading dimension ld) in place,
 * through a row of scratch (the backend's kernels need separate input and output). */
static void activate_rows(sciml_activation activation, int64_t rows, int64_t width, double *x,
                          int64_t ld, double *row) {
    if (activation == SCIML_ACT_IDENTITY)
        return;
    if (activation == SCIML_ACT_RELU) {
        for (int64_t r = 0; r < rows; r++)
            for (int64_t i = 0; i < width; i++)
                x[r * ld + i] = x[r * ld + i] > 0.0 ? x[r * ld + i] : 0.0;
        return;
    }
    const sciml_backend *backend = sciml_backend_cpu();
    const sciml_unary kind = unary_of(activation);
    for (int64_t r = 0; r < rows; r++) {
        memcpy(row, x + r * ld, (size_t)width * sizeof(double));
        backend->unary_forward(kind, 0.0, width, row, x + r * ld);
    }
}

/* T (P, p) = sigma(trunk(standardised points)) into t, using work (P, 2 max width). */
static void trunk_features(const sciml_deeponet_model *model, const double *points,
                           int64_t point_count, double *t, double *work, int64_t widest) {
    const sciml_deeponet_config *c = &model->config;
    const int64_t d = c->coordinates;
    double *x = work, *y = work + point_count * widest;
    for (int64_t j = 0; j < point_count; j++)
        for (int64_t k = 0; k < d; k++)
            x[j * d + k] =
                (points[j * d + k] - model->coordinate_mean[k]) / model->coordinate_std[k];
    const double *w = trunk_params(model);
    int64_t in = d;
    for (int l = 0; l < c->trunk_count; l++) {
        const int64_t out = c->trunk[l];
        double *target = l == c->trunk_count - 1 ? t : y;
        const double *bias = w + in * out;
        const int relu = c->activation == SCIML_ACT_RELU;
        /* hidden layers and the trunk output all take the activation (ReLU fused) */
        sciml_cpu_dense(point_count, in, out, x, in, w, out, bias, relu, target, out);
        if (!relu)
            activate_rows(c->activation, point_count, out, target, out, x); /* x is free now */
        double *swap = x;
        x = target;
        y = swap;
        w = bias + out;
        in = out;
    }
}

sciml_status sciml_deeponet_inference_prepare(sciml_deeponet_model *model, const double *points,
                                              int64_t point_count, int64_t max_batch) {
    deeponet_inference *inf = &model->inference;
    const sciml_deeponet_config *c = &model->config;
    const int64_t d = c->coordinates, K = c->outputs, p = sciml_deeponet_features(c);
    const int64_t group = p / K, columns = point_count * K;
    int64_t sizes[SCIML_DEEPONET_MAX_LAYERS + 1];
    const int layers = branch_sizes(c, sizes);
    const int64_t h = sizes[layers - 1]; /* input width of the branch's last layer */
    int64_t widest = d;
    for (int l = 0; l < c->trunk_count; l++)
        widest = c->trunk[l] > widest ? c->trunk[l] : widest;
    int64_t branch_widest = 1;
    for (int l = 1; l < layers; l++)
        branch_widest = sizes[l] + 1 > branch_widest ? sizes[l] + 1 : branch_widest;

    if (c->pod) { /* features only at the training points */
        sciml_status status = sciml_deeponet_check_pod_points(model, points, point_count);
        if (status)
            return status;
    }
    const int same_grid = inf->block && inf->point_count == point_count &&
                          !memcmp(inf->points, points, (size_t)(point_count * d) * sizeof(double));
    if (!same_grid) {
        /* block: points (P d), first layer (m s1 + s1) or nothing, later hidden layers
         * ((s_l + 1) s_{l+1}), readout ((h + 1) P K), trunk features (P p), scratch */
        size_t total = (size_t)(point_count * d);
        for (int l = 0; l < layers - 1; l++)
            total += (size_t)((sizes[l] + 1) * sizes[l + 1]);
        total += (size_t)((h + 1) * columns) + (size_t)(point_count * p) +
                 (size_t)(2 * point_count * widest) + (size_t)(h * point_count);
        sciml_deeponet_inference_free(inf);
        inf->block = sciml_alloc_array(total, sizeof(double));
        if (!inf->block)
            return sciml_error(model->ctx, SCIML_ERR_NOMEM,
                               "deeponet: out of memory for the folded readout of %lld points",
                               (long long)point_count);
        double *cursor = inf->block;
        inf->points = cursor;
        memcpy(inf->points, points, (size_t)(point_count * d) * sizeof(double));
        cursor += point_count * d;
        /* hidden branch layers: standardisation folded into the first, bias as a last row */
        const double *w = model->params;
        for (int l = 0; l < layers - 1; l++) {
            const int64_t in = sizes[l], out = sizes[l + 1];
            const double *bias = w + in * out;
            inf->hidden[l] = cursor;
            if (l == 0) {
                const double scale = 1.0 / model->sensor_std, shift = model->sensor_mean * scale;
                for (int64_t i = 0; i < in * out; i++)
                    cursor[i] = w[i] * scale;
                for (int64_t o = 0; o < out; o++) {
                    double sum = 0.0;
                    for (int64_t i = 0; i < in; i++)
                        sum += w[i * out + o];
                    cursor[in * out + o] = bias[o] - shift * sum;
                }
            } else {
                memcpy(cursor, w, (size_t)(in * out) * sizeof(double));
                memcpy(cursor + in * out, bias, (size_t)out * sizeof(double));
            }
            cursor += (in + 1) * out;
            w = bias + out;
        }
        /* readout [M; r] (h + 1, P K) from the last layer W (h, p), a (p) */
        const double *last = w, *last_bias = w + h * p;
        const double *output_bias = trunk_params(model);
        for (int l = 0; !c->pod && l < c->trunk_count; l++) { /* a POD trunk has none */
            const int64_t in = l ? c->trunk[l - 1] : d;
            output_bias += in * c->trunk[l] + c->trunk[l];
        }
        inf->readout = cursor;
        cursor += (h + 1) * columns;
        double *t = cursor;
        cursor += point_count * p;
        double *trunk_work = cursor;
        cursor += 2 * point_count * widest;
        double *product = cursor; /* (h, P) one group's W_k T_k^T */
        if (c->pod)
            memcpy(t, model->pod_modes, (size_t)(point_count * p) * sizeof(double));
        else
            trunk_features(model, points, point_count, t, trunk_work, widest);
        for (int64_t k = 0; k < K; k++) {
            const double s = model->output_std[k], mu = model->output_mean[k];
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)h, (int)point_count,
                        (int)group, s, last + k * group, (int)p, t + k * group, (int)p, 0.0,
                        product, (int)point_count);
            for (int64_t i = 0; i < h; i++)
                for (int64_t j = 0; j < point_count; j++)
                    inf->readout[i * columns + j * K + k] = product[i * point_count + j];
            for (int64_t j = 0; j < point_count; j++) {
                double sum = output_bias[k] + (c->pod ? model->pod_mean[j * K + k] : 0.0);
                for (int64_t i = k * group; i < (k + 1) * group; i++)
                    sum += last_bias[i] * t[j * p + i];
                inf->readout[h * columns + j * K + k] = s * sum + mu;
            }
        }
        if (layers == 1) { /* the readout meets the raw sensor values: fold the standardisation */
            const double scale = 1.0 / model->sensor_std, shift = model->sensor_mean * scale;
            for (int64_t col = 0; col < columns; col++) {
                double sum = 0.0;
                for (int64_t i = 0; i < h; i++) {
                    sum += inf->readout[i * columns + col];
                    inf->readout[i * columns + col] *= scale;
                }
                inf->readout[h * columns + col] -= shift * sum;
            }
        }
        inf->point_count = point_count;
    }
    /* per-chunk work: two hidden buffers (INFERENCE_CHUNK, widest) and an activation row */
    (void)max_batch;
    inf->widest = branch_widest;
    const size_t need = (size_t)(2 * INFERENCE_CHUNK * branch_widest + branch_widest);
    if (need > inf->work_size) {
        free(inf->work);
        inf->work = sciml_alloc_array(need, sizeof(double));
        inf->work_size = inf->work ? need : 0;
        if (!inf->work)
            return sciml_error(model->ctx, SCIML_ERR_NOMEM,
                               "deeponet: out of memory for batches of %lld functions",
                               (long long)max_batch);
    }
    return SCIML_OK;
}

void sciml_deeponet_inference_run(const sciml_deeponet_model *model, const double *functions,
                                  int64_t n, double *values) {
    const deeponet_inference *inf = &model->inference;
    const sciml_deeponet_config *c = &model->config;
    const int64_t columns = inf->point_count * c->outputs;
    int64_t sizes[SCIML_DEEPONET_MAX_LAYERS + 1];
    const int layers = branch_sizes(c, sizes);
    const int64_t h = sizes[layers - 1];
    const int relu = c->activation == SCIML_ACT_RELU;
    /* rows at a time: the layers' buffers of one chunk stay in cache between layers */
    for (int64_t first = 0; first < n; first += INFERENCE_CHUNK) {
        const int64_t rows = n - first < INFERENCE_CHUNK ? n - first : INFERENCE_CHUNK;
        const double *x = functions + first * sizes[0];
        double *buffer[2] = {inf->work, inf->work + INFERENCE_CHUNK * inf->widest};
        double *row = inf->work + 2 * INFERENCE_CHUNK * inf->widest;
        for (int l = 0; l < layers - 1; l++) { /* y = sigma(x W_l + a_l) */
            const int64_t in = sizes[l], out = sizes[l + 1];
            double *y = buffer[l % 2];
            const double *w = inf->hidden[l];
            if (relu && l > 0) { /* x holds ReLU outputs, about half of them zero */
                sciml_cpu_dense_sparse(rows, in, out, x, in, w, out, w + in * out, y, out);
                for (int64_t i = 0; i < rows * out; i++)
                    y[i] = y[i] > 0.0 ? y[i] : 0.0;
            } else {
                sciml_cpu_dense(rows, in, out, x, in, w, out, w + in * out, relu, y, out);
            }
            if (!relu)
                activate_rows(c->activation, rows, out, y, out, row);
            x = y;
        }
        /* values (rows, P K) = x M + r */
        if (relu && layers > 1) /* x holds ReLU outputs */
            sciml_cpu_dense_sparse(rows, h, columns, x, h, inf->readout, columns,
                                   inf->readout + h * columns, values + first * columns, columns);
        else
            sciml_cpu_dense(rows, h, columns, x, h, inf->readout, columns,
                            inf->readout + h * columns, 0, values + first * columns, columns);
    }
}

/* ---- single precision ------------------------------------------------------------------------ */

enum { LINE = 64 }; /* bytes in a cache line: the float32 matrices' alignment */

/* Columns rounded up to a whole number of cache lines of floats: the float32 row stride. */
static int64_t padded(int64_t columns) {
    const int64_t per_line = LINE / (int64_t)sizeof(float);
    return (columns + per_line - 1) / per_line * per_line;
}

/* dst (rows, padded(columns)) = src (rows, columns) rounded to float32, padding zero; returns
 * the floats written. */
static int64_t round_matrix(int64_t rows, int64_t columns, const double *src, float *dst) {
    const int64_t ld = padded(columns);
    for (int64_t r = 0; r < rows; r++) {
        for (int64_t j = 0; j < columns; j++)
            dst[r * ld + j] = (float)src[r * columns + j];
        for (int64_t j = columns; j < ld; j++)
            dst[r * ld + j] = 0.0f;
    }
    return rows * ld;
}

/* Floats per chunk in work_f32: two hidden buffers (INFERENCE_CHUNK, widest), the rounded
 * functions (INFERENCE_CHUNK, m) and the float32 values (INFERENCE_CHUNK, P K). */
static size_t work_f32_floats(const sciml_deeponet_model *model) {
    const deeponet_inference *inf = &model->inference;
    const int64_t columns = inf->point_count * model->config.outputs;
    return (size_t)INFERENCE_CHUNK * (size_t)(2 * inf->widest + model->config.sensors + columns);
}

sciml_status sciml_deeponet_inference_prepare_f32(sciml_deeponet_model *model, const double *points,
                                                  int64_t point_count, int64_t max_batch) {
    sciml_status status = sciml_deeponet_inference_prepare(model, points, point_count, max_batch);
    if (status)
        return status;
    deeponet_inference *inf = &model->inference;
    const sciml_deeponet_config *c = &model->config;
    int64_t sizes[SCIML_DEEPONET_MAX_LAYERS + 1];
    const int layers = branch_sizes(c, sizes);
    const int64_t h = sizes[layers - 1], columns = inf->point_count * c->outputs;
    if (!inf->block_f32) { /* rounded once per fold (prepare frees it when it folds anew) */
        /* rows padded to whole cache lines and the block aligned to one, so that the kernel's
         * 16-float loads of a row of B never straddle two lines */
        size_t total = (size_t)((h + 1) * padded(columns));
        for (int l = 0; l < layers - 1; l++)
            total += (size_t)((sizes[l] + 1) * padded(sizes[l + 1]));
        inf->block_f32 = aligned_alloc(LINE, total * sizeof(float)); /* a multiple of LINE */
        if (!inf->block_f32)
            return sciml_error(model->ctx, SCIML_ERR_NOMEM,
                               "deeponet: out of memory for the float32 readout of %lld points",
                               (long long)point_count);
        float *cursor = inf->block_f32;
        for (int l = 0; l < layers - 1; l++) {
            inf->hidden_f32[l] = cursor;
            cursor += round_matrix(sizes[l] + 1, sizes[l + 1], inf->hidden[l], cursor);
        }
        inf->readout_f32 = cursor;
        round_matrix(h + 1, columns, inf->readout, cursor);
    }
    const size_t need = work_f32_floats(model);
    if (need > inf->work_f32_size) {
        free(inf->work_f32);
        inf->work_f32 = sciml_alloc_array(need, sizeof(float));
        inf->work_f32_size = inf->work_f32 ? need : 0;
        if (!inf->work_f32)
            return sciml_error(model->ctx, SCIML_ERR_NOMEM,
                               "deeponet: out of memory for float32 chunks of %d functions at "
                               "%lld points",
                               INFERENCE_CHUNK, (long long)point_count);
    }
    return SCIML_OK;
}

/* Applies an activation other than ReLU to `rows` rows of `width` floats in x, through two
 * float64 rows of scratch. */
static void activate_rows_f32(sciml_activation activation, int64_t rows, int64_t width, float *x,
                              double *row, double *activated) {
    if (activation == SCIML_ACT_IDENTITY)
        return;
    const sciml_backend *backend = sciml_backend_cpu();
    const sciml_unary kind = unary_of(activation);
    for (int64_t r = 0; r < rows; r++) {
        float *values = x + r * width;
        for (int64_t i = 0; i < width; i++)
            row[i] = values[i];
        backend->unary_forward(kind, 0.0, width, row, activated);
        for (int64_t i = 0; i < width; i++)
            values[i] = (float)activated[i];
    }
}

void sciml_deeponet_inference_run_f32(const sciml_deeponet_model *model, const double *functions_d,
                                      const float *functions_f, int64_t n, double *values_d,
                                      float *values_f) {
    const deeponet_inference *inf = &model->inference;
    const sciml_deeponet_config *c = &model->config;
    const int64_t m = c->sensors, columns = inf->point_count * c->outputs;
    int64_t sizes[SCIML_DEEPONET_MAX_LAYERS + 1];
    const int layers = branch_sizes(c, sizes);
    const int64_t h = sizes[layers - 1];
    const int relu = c->activation == SCIML_ACT_RELU;
    float *buffer[2] = {inf->work_f32, inf->work_f32 + INFERENCE_CHUNK * inf->widest};
    float *rounded = inf->work_f32 + 2 * INFERENCE_CHUNK * inf->widest; /* (chunk, m) */
    float *widened = rounded + INFERENCE_CHUNK * m;                     /* (chunk, P K) */
    /* the float64 hidden buffers are idle in this path: two rows of activation scratch */
    double *row = inf->work, *activated = inf->work + inf->widest;
    for (int64_t first = 0; first < n; first += INFERENCE_CHUNK) {
        const int64_t rows = n - first < INFERENCE_CHUNK ? n - first : INFERENCE_CHUNK;
        const float *x = functions_f ? functions_f + first * m : rounded;
        if (!functions_f) {
            const double *source = functions_d + first * m;
            for (int64_t i = 0; i < rows * m; i++)
                rounded[i] = (float)source[i];
        }
        for (int l = 0; l < layers - 1; l++) { /* y = sigma(x W_l + a_l) */
            const int64_t in = sizes[l], out = sizes[l + 1];
            float *y = buffer[l % 2];
            const int64_t ld = padded(out);
            const float *w = inf->hidden_f32[l];
            if (relu && l > 0) { /* x holds ReLU outputs, about half of them zero */
                sciml_cpu_dense_f32_sparse(rows, in, out, x, in, w, ld, w + in * ld, y, out);
                for (int64_t i = 0; i < rows * out; i++)
                    y[i] = y[i] > 0.0f ? y[i] : 0.0f;
            } else {
                sciml_cpu_dense_f32(rows, in, out, x, in, w, ld, w + in * ld, relu, y, out);
            }
            if (!relu)
                activate_rows_f32(c->activation, rows, out, y, row, activated);
            x = y;
        }
        /* values (rows, P K) = x M + r */
        float *target = values_f ? values_f + first * columns : widened;
        const int64_t ld = padded(columns);
        if (relu && layers > 1) /* x holds ReLU outputs */
            sciml_cpu_dense_f32_sparse(rows, h, columns, x, h, inf->readout_f32, ld,
                                       inf->readout_f32 + h * ld, target, columns);
        else
            sciml_cpu_dense_f32(rows, h, columns, x, h, inf->readout_f32, ld,
                                inf->readout_f32 + h * ld, 0, target, columns);
        if (!values_f) {
            double *destination = values_d + first * columns;
            for (int64_t i = 0; i < rows * columns; i++)
                destination[i] = target[i];
        }
    }
}

/* ---- unaligned prediction: the branch once per distinct function ----------------------------
 * Triplets (v_i, y_i): u_i,k = s_k (b(v_i)_{g_k} . t(y_i)_{g_k} + c_k) + mu_k. Within each chunk
 * of UNALIGNED_CHUNK triplets the sensor rows are grouped by equal bytes (a repeat of the
 * previous row at once, others through a hash table of 2 UNALIGNED_CHUNK slots), the branch
 * runs on the distinct rows only, the trunk on the chunk's points, and each triplet takes the
 * grouped dot products of its function's features with its point's. The same multiply-adds
 * per triplet as without grouping (up to the rounding order of the kernels). */

enum { UNALIGNED_CHUNK = 1024 };

static uint64_t row_key(const double *row, int64_t m) { /* FNV-1a over 64-bit words */
    uint64_t h = 0xcbf29ce484222325ULL;
    for (int64_t i = 0; i < m; i++) {
        uint64_t word;
        memcpy(&word, row + i, sizeof(word));
        h = (h ^ word) * 0x100000001b3ULL;
        h ^= h >> 29;
    }
    return h;
}

sciml_status sciml_deeponet_inference_unaligned(sciml_deeponet_model *model,
                                                const double *functions, const double *points,
                                                int64_t count, double *values) {
    const sciml_deeponet_config *c = &model->config;
    const int64_t m = c->sensors, d = c->coordinates, K = c->outputs;
    const int64_t p = sciml_deeponet_features(c), group = p / K;
    int64_t sizes[SCIML_DEEPONET_MAX_LAYERS + 1];
    const int layers = branch_sizes(c, sizes);
    int64_t branch_widest = 1, trunk_widest = d;
    for (int l = 0; l <= layers; l++)
        branch_widest = sizes[l] > branch_widest ? sizes[l] : branch_widest;
    for (int l = 0; l < c->trunk_count; l++)
        trunk_widest = c->trunk[l] > trunk_widest ? c->trunk[l] : trunk_widest;
    const int64_t chunk = count < UNALIGNED_CHUNK ? count : UNALIGNED_CHUNK;
    const int64_t slots = 2 * UNALIGNED_CHUNK; /* a power of two */
    int64_t *representative = sciml_alloc_array((size_t)chunk, sizeof(int64_t)); /* per group */
    int64_t *group_of = sciml_alloc_array((size_t)chunk, sizeof(int64_t));       /* per triplet */
    int64_t *table = sciml_alloc_array((size_t)slots, sizeof(int64_t));
    uint64_t *keys = sciml_alloc_array((size_t)chunk, sizeof(uint64_t));
    /* two branch buffers (chunk, widest), the trunk features (chunk, p), the trunk's work
     * (chunk, 2 trunk widest) and an activation row */
    const size_t doubles =
        (size_t)chunk * (size_t)(2 * branch_widest + p + 2 * trunk_widest) + (size_t)branch_widest;
    double *work = sciml_alloc_array(doubles, sizeof(double));
    sciml_status status = SCIML_OK;
    if (!representative || !group_of || !table || !keys || !work) {
        status = sciml_error(model->ctx, SCIML_ERR_NOMEM,
                             "deeponet: out of memory for %lld triplets", (long long)chunk);
        goto done;
    }
    double *buffer[2] = {work, work + chunk * branch_widest};
    double *t = work + 2 * chunk * branch_widest;
    double *trunk_work = t + chunk * p;
    double *row = trunk_work + 2 * chunk * trunk_widest;
    const double *output_bias = trunk_params(model);
    for (int l = 0; l < c->trunk_count; l++) {
        const int64_t in = l ? c->trunk[l - 1] : d;
        output_bias += in * c->trunk[l] + c->trunk[l];
    }
    const int relu = c->activation == SCIML_ACT_RELU;
    for (int64_t first = 0; first < count; first += chunk) {
        const int64_t n = count - first < chunk ? count - first : chunk;
        const double *v = functions + first * m;
        int64_t groups = 0;
        for (int64_t s = 0; s < slots; s++)
            table[s] = -1;
        for (int64_t i = 0; i < n; i++) {
            if (i > 0 && !memcmp(v + i * m, v + (i - 1) * m, (size_t)m * sizeof(double))) {
                group_of[i] = group_of[i - 1];
                continue;
            }
            const uint64_t key = row_key(v + i * m, m);
            int64_t slot = (int64_t)(key & (uint64_t)(slots - 1)), g = -1;
            for (; table[slot] >= 0; slot = (slot + 1) & (slots - 1)) {
                const int64_t candidate = table[slot];
                if (keys[candidate] == key && !memcmp(v + i * m, v + representative[candidate] * m,
                                                      (size_t)m * sizeof(double))) {
                    g = candidate;
                    break;
                }
            }
            if (g < 0) {
                g = groups++;
                representative[g] = i;
                keys[g] = key;
                table[slot] = g;
            }
            group_of[i] = g;
        }
        /* branch features (groups, p) of the distinct rows, standardised */
        double *x = buffer[0];
        for (int64_t g = 0; g < groups; g++)
            for (int64_t s = 0; s < m; s++)
                x[g * m + s] =
                    (v[representative[g] * m + s] - model->sensor_mean) / model->sensor_std;
        const double *w = model->params;
        for (int l = 0; l < layers; l++) {
            const int64_t in = sizes[l], out = sizes[l + 1];
            const int hidden = l < layers - 1;
            double *y = buffer[(l + 1) % 2];
            sciml_cpu_dense(groups, in, out, x, in, w, out, w + in * out, hidden && relu, y, out);
            if (hidden && !relu)
                activate_rows(c->activation, groups, out, y, out, row);
            x = y;
            w += in * out + out;
        }
        trunk_features(model, points + first * d, n, t, trunk_work, trunk_widest);
        for (int64_t i = 0; i < n; i++) {
            const double *b = x + group_of[i] * p, *ti = t + i * p;
            for (int64_t k = 0; k < K; k++) {
                double sum = output_bias[k];
                for (int64_t j = k * group; j < (k + 1) * group; j++)
                    sum += b[j] * ti[j];
                values[(first + i) * K + k] = model->output_std[k] * sum + model->output_mean[k];
            }
        }
    }
done:
    free(representative);
    free(group_of);
    free(table);
    free(keys);
    free(work);
    return status;
}
