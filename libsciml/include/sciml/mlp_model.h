/* libsciml models: supervised regression with a multilayer perceptron.
 *
 * y = D_out(MLP(N_in(x))): inputs are standardised per feature (N_in(x) = (x - mean) / std),
 * the MLP maps them to standardised outputs, and D_out undoes the output standardisation. The
 * statistics come from the training data and are stored in the model. Training minimises the
 * mean squared error in standardised units over mini-batches (Adam/AdamW) or the full batch
 * (L-BFGS).
 *
 * Model file (netCDF, see sciml-fields(5)): global sciml_kind = "model", sciml_model = "mlp",
 * hidden = "64,64,64", activation = "tanh", input_variable, output_variable and provenance;
 * dimensions input, output, hidden_0..; variables layer_<l>_weight (in, out),
 * layer_<l>_bias (out), input_mean/input_std (input), output_mean/output_std (output).
 * A checkpoint is a model file plus the optimizer state (adam_m, adam_v) and the position in
 * training (epoch, next batch, shuffle RNG state), so --resume continues bit for bit.
 */
#ifndef SCIML_MLP_MODEL_H
#define SCIML_MLP_MODEL_H

#include "sciml/core.h"
#include "sciml/graph.h"
#include "sciml/train.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SCIML_MLP_MAX_HIDDEN 32

typedef struct sciml_mlp_model_config {
    int64_t input_count;                  /* features per sample in */
    int64_t output_count;                 /* features per sample out */
    int hidden_count;                     /* hidden layers, 0..SCIML_MLP_MAX_HIDDEN */
    int64_t hidden[SCIML_MLP_MAX_HIDDEN]; /* widths */
    sciml_activation activation;          /* of hidden layers */
} sciml_mlp_model_config;

typedef struct sciml_mlp_model sciml_mlp_model;

/* Creates an untrained model (weights initialised from `seed`: Glorot for tanh/sigmoid/sin,
 * He for relu/gelu/softplus). ctx is borrowed and must outlive the model. */
sciml_status sciml_mlp_model_create(sciml_ctx *ctx, const sciml_mlp_model_config *config,
                                    uint64_t seed, sciml_mlp_model **out);
void sciml_mlp_model_destroy(sciml_mlp_model **model); /* NULL-safe, sets *model to NULL */
const sciml_mlp_model_config *sciml_mlp_model_get_config(const sciml_mlp_model *model);
int64_t sciml_mlp_model_parameter_count(const sciml_mlp_model *model);

/* Trains on inputs (count, input_count) and outputs (count, output_count), both borrowed.
 * test_inputs/test_outputs (test_count rows) may be NULL. The first call fits the
 * normalisation statistics; a resumed model keeps its own. Returns SCIML_ERR_INTERRUPTED when
 * the context's interrupt flag was raised (after finishing the current step, so the model
 * and its training position are consistent and can be written as a checkpoint), and
 * SCIML_ERR_NONFINITE naming the epoch and step when the loss becomes NaN or Inf (the
 * parameters are then restored to the last finite epoch). */
sciml_status sciml_mlp_model_train(sciml_mlp_model *model, const double *inputs,
                                   const double *outputs, int64_t count, const double *test_inputs,
                                   const double *test_outputs, int64_t test_count,
                                   const sciml_train_options *options);

/* outputs (count, output_count) = model(inputs (count, input_count)); batches internally. */
sciml_status sciml_mlp_model_predict(sciml_mlp_model *model, const double *inputs, int64_t count,
                                     double *outputs);

/* Writes the model (and, when `checkpoint` is non-zero, the optimizer state and training
 * position) to path ("-" for stdout) atomically. */
sciml_status sciml_mlp_model_write(sciml_mlp_model *model, const char *path,
                                   const sciml_model_provenance *provenance, int checkpoint);
/* Reads a model or checkpoint written by sciml_mlp_model_write, validating that attributes
 * and array shapes agree. input_variable and output_variable (may be NULL) receive malloc'd
 * copies of the stored names (or NULL when absent). */
sciml_status sciml_mlp_model_read(sciml_ctx *ctx, const char *path, sciml_mlp_model **out,
                                  char **input_variable, char **output_variable);
/* 1 when the model carries a training position (it was read from a checkpoint or trained). */
int sciml_mlp_model_is_checkpoint(const sciml_mlp_model *model);
int64_t sciml_mlp_model_epochs_done(const sciml_mlp_model *model);

#ifdef __cplusplus
}
#endif
#endif /* SCIML_MLP_MODEL_H */
