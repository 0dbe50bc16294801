/* libsciml models: the Fourier neural operator (Li, Kovachki, Azizzadenesheli, Liu,
 * Bhattacharya, Stuart and Anandkumar, "Fourier neural operator for parametric partial
 * differential equations", ICLR 2021), 1D and 2D.
 *
 *   v0 = P(a(x), x)                                   lifting, pointwise linear to `width`
 *   v_{l+1} = sigma( K_l v_l + W_l v_l ),  l < L      K_l: spectral convolution on the
 *                                                     lowest `modes`, W_l: pointwise linear,
 *                                                     sigma = GELU (none after the last)
 *   u = Q(v_L)                                        projection: linear, GELU, linear
 *
 * Fields are channels last: a (sample, s1[, s2], input_channels), u (sample, s1[, s2],
 * output_channels). The grid coordinates appended to a are x_j = j / s (periodic) or
 * j / (s - 1) (closed domain, with `padding` zeros appended after lifting and removed before
 * projection, as the reference does for Darcy; `padding` counts points of the training grid,
 * which the model keeps, and scales with s elsewhere so that the padded period is the same
 * length of the domain at every resolution). Inputs and outputs are standardised with one
 * mean and standard deviation per channel over the training data, which keeps the model
 * resolution-independent: the same weights apply at any s the modes fit. Training minimises
 * the mean over samples of the relative L2 error in physical units.
 */
#ifndef SCIML_FNO_MODEL_H
#define SCIML_FNO_MODEL_H

#include "sciml/core.h"
#include "sciml/mlp_model.h"
#include "sciml/train.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SCIML_FNO_MAX_LAYERS 16

typedef struct sciml_fno_config {
    int dims;                /* 1 or 2 spatial dimensions */
    int64_t input_channels;  /* fields per point in a (>= 1) */
    int64_t output_channels; /* fields per point in u (>= 1) */
    int64_t modes[2];        /* kept Fourier modes per dimension */
    int64_t width;           /* channels inside the Fourier layers */
    int layers;              /* Fourier layers, 1..SCIML_FNO_MAX_LAYERS */
    int64_t projection;      /* hidden width of the projection */
    int64_t padding;         /* zeros appended per spatial dimension at the training grid
                                (0: periodic) */
} sciml_fno_config;

/* Defaults of the paper's 1D set-up: modes 16, width 64, 4 layers, projection 128, periodic,
 * one channel in and out. */
void sciml_fno_config_default(sciml_fno_config *config);

typedef struct sciml_fno_model sciml_fno_model;

sciml_status sciml_fno_model_create(sciml_ctx *ctx, const sciml_fno_config *config, uint64_t seed,
                                    sciml_fno_model **out);
void sciml_fno_model_destroy(sciml_fno_model **model);
const sciml_fno_config *sciml_fno_model_get_config(const sciml_fno_model *model);
int64_t sciml_fno_model_parameter_count(const sciml_fno_model *model);
int64_t sciml_fno_model_epochs_done(const sciml_fno_model *model);
int sciml_fno_model_is_checkpoint(const sciml_fno_model *model);

/* A set of fields: values (count, s[0][, s[1]], channels) row-major, borrowed. */
typedef struct sciml_field_set {
    const double *values;
    int64_t count;
    int64_t size[2]; /* spatial sizes (size[1] unused in 1D) */
    int64_t channels;
} sciml_field_set;

/* Trains on inputs a -> outputs u (same count and resolution); test may be NULL. The first
 * call fits the normalisation. Interrupts, divergence and resumption as for the MLP model. */
sciml_status sciml_fno_model_train(sciml_fno_model *model, const sciml_field_set *inputs,
                                   const sciml_field_set *outputs, const sciml_field_set *test_in,
                                   const sciml_field_set *test_out,
                                   const sciml_train_options *options);

/* outputs (count, s[0][, s[1]], output_channels) = model(inputs) at the inputs' resolution,
 * which may differ from the training resolution (SCIML_ERR_SHAPE when the modes do not fit).
 * Builds (and keeps) a graph for that resolution and batch up to max_batch. */
sciml_status sciml_fno_model_predict(sciml_fno_model *model, const sciml_field_set *inputs,
                                     int64_t max_batch, double *outputs);

/* Model file / checkpoint (provenance as for the MLP model). */
sciml_status sciml_fno_model_write(sciml_fno_model *model, const char *path,
                                   const sciml_model_provenance *provenance, int checkpoint);
sciml_status sciml_fno_model_read(sciml_ctx *ctx, const char *path, sciml_fno_model **out,
                                  char **input_variable, char **output_variable);

#ifdef __cplusplus
}
#endif
#endif /* SCIML_FNO_MODEL_H */
