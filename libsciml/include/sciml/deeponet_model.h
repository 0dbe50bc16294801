/* libsciml models: the deep operator network (Lu, Jin, Pang, Zhang and Karniadakis, "Learning
 * nonlinear operators via DeepONet based on the universal approximation theorem of
 * operators", Nature Machine Intelligence 3, 2021), unstacked, in the aligned layout.
 *
 *   G(v)(y)_k = sum_{i in group k} b_i(v) t_i(y) + c_k,     k = 1 .. K
 *
 * b = branch(v): an MLP from the m sensor values of the input function to p features (linear
 * output layer); t = sigma(trunk(y)): an MLP from the d query coordinates to p features with
 * the activation sigma applied to its output too (as in DeepXDE); c: one bias per output.
 * With K outputs the p features are split into K consecutive groups of p / K.
 *
 * Aligned layout: every function of a data set is known on the same P query points. The
 * trunk is evaluated once per step on all points, T (P, p), the branch on the batch, B (batch,
 * p), and the predictions are B T^T (batch, P) with one GEMM per output: the cartesian product
 * of functions and points is never copied.
 *
 * Normalisation (fitted on the training data, stored in the model): the sensor values with one
 * mean and standard deviation over all of them, each query coordinate with its own, each
 * output with its own. Training minimises the mean squared error in standardised output units
 * with the shared mini-batch Adam loop (sciml/trainer.h); "iterations" of a full-batch run are
 * its epochs.
 *
 * POD-DeepONet (Lu, Meng, Cai, Mao, Goswami, Zhang and Karniadakis, "A comprehensive and fair
 * comparison of two neural operators (with practical extensions) based on FAIR data", CMAME
 * 393, 2022): config.pod replaces the trunk by fixed features from the training outputs in
 * standardised units: per output k, with X_k (N, P) the centred values, X_k = A S V^T by
 * LAPACKE_dgesvd, t_j = (V S / sqrt(N))[j, :p/K] and the mean added per point, so the branch
 * learns unit-variance coefficients. The model predicts at the P training points only.
 *
 * Model file (netCDF, sciml-fields(5)): sciml_model = "deeponet", branch = "40,40", trunk =
 * "40,40" (hidden widths then p), activation, layout = "aligned" or "unaligned" (that of the
 * training data; either predicts in both), coordinates = "x" (names of the query
 * coordinates, comma-separated), outputs; dimensions sensor, coordinate,
 * output_channel; variables sensor_mean/sensor_std (1), coordinate_mean/coordinate_std and
 * domain_min/domain_max (coordinate: the box of the training query points),
 * output_mean/output_std (output_channel), and the parameters by name (branch.0.weight, ...,
 * trunk.0.weight, ..., bias) plus the usual provenance; a checkpoint adds the optimizer state.
 */
#ifndef SCIML_DEEPONET_MODEL_H
#define SCIML_DEEPONET_MODEL_H

#include "sciml/core.h"
#include "sciml/graph.h"
#include "sciml/netcdf.h"
#include "sciml/train.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SCIML_DEEPONET_MAX_LAYERS 16     /* widths in a branch or trunk list */
#define SCIML_DEEPONET_MAX_COORDINATES 4 /* d */
#define SCIML_DEEPONET_MAX_OUTPUTS 64    /* K */

typedef struct sciml_deeponet_config {
    int64_t sensors;                           /* m >= 1 */
    int64_t coordinates;                       /* d, 1..SCIML_DEEPONET_MAX_COORDINATES */
    int64_t outputs;                           /* K, 1..SCIML_DEEPONET_MAX_OUTPUTS; divides p */
    int branch_count, trunk_count;             /* entries of the lists, 1..MAX_LAYERS */
    int64_t branch[SCIML_DEEPONET_MAX_LAYERS]; /* hidden widths, then p */
    int64_t trunk[SCIML_DEEPONET_MAX_LAYERS];  /* hidden widths, then p (the same p) */
    sciml_activation activation;               /* of hidden layers and the trunk output */
    int pod; /* 1: POD-DeepONet, the trunk is the leading POD modes of the training outputs
                (aligned layout only; trunk_count 1, trunk[0] = p, no trunk parameters) */
} sciml_deeponet_config;

/* Defaults of the paper's antiderivative set-up: m = 100, d = 1, K = 1, branch 40,40, trunk
 * 40,40, ReLU. */
void sciml_deeponet_config_default(sciml_deeponet_config *config);
/* p, the number of features (last entry of both lists). */
int64_t sciml_deeponet_features(const sciml_deeponet_config *config);

typedef struct sciml_deeponet_model sciml_deeponet_model;

/* An untrained model: Glorot-normal weights from `seed`, zero biases. SCIML_ERR_ARG with a
 * message for an inconsistent config (lists ending in different p, K not dividing p, sizes out
 * of range). ctx is borrowed and must outlive the model. */
sciml_status sciml_deeponet_model_create(sciml_ctx *ctx, const sciml_deeponet_config *config,
                                         uint64_t seed, sciml_deeponet_model **out);
void sciml_deeponet_model_destroy(sciml_deeponet_model **model); /* NULL-safe, sets NULL */
const sciml_deeponet_config *sciml_deeponet_model_get_config(const sciml_deeponet_model *model);
int64_t sciml_deeponet_model_parameter_count(const sciml_deeponet_model *model);
int64_t sciml_deeponet_model_epochs_done(const sciml_deeponet_model *model);
int sciml_deeponet_model_is_checkpoint(const sciml_deeponet_model *model);

/* An aligned data set (all borrowed): functions (count, m) at the sensors, the P query points
 * (P, d), and values (count, P, K) of the operator there. */
typedef struct sciml_deeponet_data {
    const double *functions;
    const double *points;
    const double *values;
    int64_t count;
    int64_t point_count;
} sciml_deeponet_data;

/* Trains on `train` (test may be NULL; its points may differ from the training points). The
 * first call fits the normalisation and records the training domain. The test set is
 * evaluated every options->epochs / 100 epochs (at least every epoch) and after the last:
 * report.test_loss is its mean squared error in the data's units, report.test_error its
 * relative L2 error; between evaluations both are NaN. Interrupts, divergence and resumption
 * as for the MLP model. */
sciml_status sciml_deeponet_model_train(sciml_deeponet_model *model,
                                        const sciml_deeponet_data *train,
                                        const sciml_deeponet_data *test,
                                        const sciml_train_options *options);

/* values (count, point_count, K) = G(functions (count, m)) at points (point_count, d), in
 * data units, written directly (no graph): the trunk features of the points, the branch's last
 * layer, the output biases and the output scaling are folded once into a (h + 1, P K) readout
 * that is kept for the next call with the same points (until the parameters change), so each
 * function costs its branch hidden layers and one row of a product. max_batch is accepted
 * for compatibility (work proceeds 256 functions at a time). SCIML_ERR_STATE for an untrained
 * model; SCIML_ERR_ARG for a POD trunk at points other than its training points. */
sciml_status sciml_deeponet_model_predict(sciml_deeponet_model *model, const double *functions,
                                          int64_t count, const double *points, int64_t point_count,
                                          int64_t max_batch, double *values);

/* Mean squared error (data units) and relative L2 error of the predictions on a data set. */
sciml_status sciml_deeponet_model_evaluate(sciml_deeponet_model *model,
                                           const sciml_deeponet_data *data, double *mse,
                                           double *relative_l2);

/* ---- Single precision (float32) prediction --------------------------------------------------
 * Training and the model file stay float64. For evaluation throughput the folded prediction
 * above can run in float32: the fold (M, r, the first layer with the sensor standardisation) is
 * computed in float64 once per query grid and then rounded to float32; the branch's hidden
 * layers and the readout then run in float32 (16-lane AVX-512 where the processor has it,
 * about twice the float64 rate). Predictions differ from the float64 path by a few float32
 * roundings per layer: max |u - u_double| <= 1e-6 max |u| in the tests (1.7e-7 on a trained
 * antiderivative model, mean 1.3e-8; up to 4.4e-7 on random models of 1 to 4 branch layers
 * and every activation). */
typedef enum sciml_deeponet_precision {
    SCIML_DEEPONET_DOUBLE = 0, /* float64 throughout (the default) */
    SCIML_DEEPONET_SINGLE      /* folded in float64, evaluated in float32 */
} sciml_deeponet_precision;

/* Arithmetic of sciml_deeponet_model_predict and sciml_deeponet_model_evaluate from now on
 * (their arguments stay double: with SINGLE the functions are rounded to float32 and the
 * values widened from float32). The unaligned layout always predicts in float64.
 * SCIML_ERR_ARG for any other value (the setting is then unchanged). */
sciml_status sciml_deeponet_model_set_precision(sciml_deeponet_model *model,
                                                sciml_deeponet_precision precision);
sciml_deeponet_precision sciml_deeponet_model_get_precision(const sciml_deeponet_model *model);

/* As sciml_deeponet_model_predict in float32 whatever the precision setting, for callers that
 * hold float32 data: values (count, point_count, K) float32 from functions (count, m) float32
 * (both borrowed; no conversion pass), at points (point_count, d) in float64. Same errors. */
sciml_status sciml_deeponet_model_predict_f32(sciml_deeponet_model *model, const float *functions,
                                              int64_t count, const double *points,
                                              int64_t point_count, int64_t max_batch,
                                              float *values);

/* ---- Unaligned layout ------------------------------------------------------------------------
 * Triplets (v_i, y_i, u_i): every sample has its own function values at the m sensors, one
 * query point and the K operator values there (functions repeat across samples as the data
 * has them). The same network: the branch and trunk run once per sample and the prediction
 * is the grouped row-wise product of their features, so nothing is expanded to a product of
 * functions and points. A model trained on either layout predicts in both. */
typedef struct sciml_deeponet_triplets {
    const double *functions; /* (count, m) */
    const double *points;    /* (count, d) */
    const double *values;    /* (count, K) */
    int64_t count;
} sciml_deeponet_triplets;

/* As sciml_deeponet_model_train, on triplets (the first call fits the normalisation: sensor
 * values over all samples, each coordinate and output over the samples). */
sciml_status sciml_deeponet_model_train_unaligned(sciml_deeponet_model *model,
                                                  const sciml_deeponet_triplets *train,
                                                  const sciml_deeponet_triplets *test,
                                                  const sciml_train_options *options);
/* values (count, K) = G(functions[i])(points[i]) per sample, functions (count, m), points
 * (count, d), in float64 (whatever the precision setting), without the graph: within each
 * chunk of 1024 samples the branch runs once per distinct sensor row (repeats in any order),
 * the trunk once per sample. SCIML_ERR_STATE for an untrained model. */
sciml_status sciml_deeponet_model_predict_unaligned(sciml_deeponet_model *model,
                                                    const double *functions, const double *points,
                                                    int64_t count, double *values);
/* Mean squared error (data units) and relative L2 error over all triplets. */
sciml_status sciml_deeponet_model_evaluate_unaligned(sciml_deeponet_model *model,
                                                     const sciml_deeponet_triplets *data,
                                                     double *mse, double *relative_l2);

/* The box [min, max] of the training query points, per coordinate (d values each; the
 * pointers stay valid while the model lives). NULL before training. */
const double *sciml_deeponet_model_domain_min(const sciml_deeponet_model *model);
const double *sciml_deeponet_model_domain_max(const sciml_deeponet_model *model);
/* Names of the query coordinates as given to set_coordinate_names or read from the file
 * ("x" or "x,t"); NULL when none were given. Points into the model. */
const char *sciml_deeponet_model_coordinate_names(const sciml_deeponet_model *model);
/* Copies the comma-separated names (up to 255 bytes, each a netCDF name). */
sciml_status sciml_deeponet_model_set_coordinate_names(sciml_deeponet_model *model,
                                                       const char *names);

/* Model file / checkpoint (provenance as for the MLP model). */
sciml_status sciml_deeponet_model_write(sciml_deeponet_model *model, const char *path,
                                        const sciml_model_provenance *provenance, int checkpoint);
sciml_status sciml_deeponet_model_read(sciml_ctx *ctx, const char *path, sciml_deeponet_model **out,
                                       char **input_variable, char **output_variable);

/* ---- Query grids ---------------------------------------------------------------------------
 * The aligned query points of a file: the cartesian product of 1D coordinate axes (first axis
 * slowest), as an output variable u(sample, x[, t]) with coordinate variables x[, t] lays them
 * out, optionally followed by a dimension without a coordinate variable holding K outputs. */
typedef struct sciml_deeponet_grid {
    int dims; /* d */
    char names[SCIML_DEEPONET_MAX_COORDINATES][SCIML_NC_MAX_NAME + 1];
    int64_t size[SCIML_DEEPONET_MAX_COORDINATES]; /* points per axis */
    double *axis[SCIML_DEEPONET_MAX_COORDINATES]; /* (size[k]) owned */
    int64_t channels;                             /* K (1 without a channel dim) */
    char channel_name[SCIML_NC_MAX_NAME + 1];     /* "" without one */
    double *points;                               /* (point_count, d) owned */
    int64_t point_count;
} sciml_deeponet_grid;

/* The grid of the variable `name` (sample first): every later dimension but a trailing channel
 * dimension must have a coordinate variable (1D, fixed, numeric, finite). Reads the axes (on a
 * pipe they must come before the data still to be read). SCIML_ERR_FORMAT naming the file,
 * variable and dimension otherwise. */
sciml_status sciml_deeponet_grid_of_variable(sciml_ctx *ctx, sciml_nc_reader *reader,
                                             const char *name, sciml_deeponet_grid *grid);
/* The grid of the coordinate variables named in `names` ("x" or "x,t"). */
sciml_status sciml_deeponet_grid_of_names(sciml_ctx *ctx, sciml_nc_reader *reader,
                                          const char *names, sciml_deeponet_grid *grid);
/* A grid from axes given directly: per coordinate, size[k] points from start[k] to stop[k]
 * (size 1: start only). names: comma-separated, may be NULL ("x0", "x1", ...). */
sciml_status sciml_deeponet_grid_uniform(sciml_ctx *ctx, int dims, const double *start,
                                         const double *stop, const int64_t *size, const char *names,
                                         sciml_deeponet_grid *grid);
void sciml_deeponet_grid_free(sciml_deeponet_grid *grid); /* frees the arrays, zeroes it */
/* Number of points outside the model's training box (by more than 1e-9 of its width); the
 * first such point's index into *first (may be NULL). 0 for an untrained model. */
int64_t sciml_deeponet_model_outside(const sciml_deeponet_model *model, const double *points,
                                     int64_t point_count, int64_t *first);

#ifdef __cplusplus
}
#endif
#endif /* SCIML_DEEPONET_MODEL_H */
