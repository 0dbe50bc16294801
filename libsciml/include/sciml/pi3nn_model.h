/* libsciml models: prediction intervals from three neural networks (PI3NN), with
 * out-of-distribution awareness, and a deep-ensemble baseline.
 *
 * PI3NN (Liu, Zhang, Lu and Zhang, "PI3NN: Out-of-distribution-aware prediction intervals
 * from three neural networks", ICLR 2022). In standardised units (inputs and outputs are
 * standardised with the statistics of the fitting part, as in sciml/mlp_model.h):
 *   0. a random validation_fraction of the samples is held out (the paper's protocol): f and
 *      the ensemble members stop early on it and keep their best epoch, and its N points are
 *      the calibration points of step 3 (with fraction 0 the N training points are);
 *   1. a mean network f is trained on (x, y) with the MSE;
 *   2. for each output, the residuals r_i = y_i - f(x_i) are split: an upper network u is
 *      trained (MSE) on the points with r_i > 0 and targets r_i, a lower network l on the
 *      points with r_i < 0 and targets -r_i, each finished by a least-squares solve for its
 *      output weights; their outputs are read as sqrt(u^2 + c^2), sqrt(l^2 + c'^2), with a
 *      floor c per network chosen on the held-out points;
 *   3. for a confidence level gamma, nu >= 0 and xi >= 0 are set such that exactly
 *      K = floor(N (1 - gamma) / 2) of the N calibration points lie on or above f + nu |u|
 *      and K on or below f - xi |l| (placed within the gap of the sorted ratios where a new
 *      point falls outside with probability (1 - gamma) / 2);
 *   4. the interval is [f - xi |l|, f + nu |u|], mapped back to physical units.
 * Only step 3 depends on gamma, and it needs only the ratios r_i / |u(x_i)| and
 * -r_i / |l(x_i)| over the calibration points, so the model keeps them (sorted) and answers
 * any level without retraining.
 *
 * Out-of-distribution awareness (the paper's initialisation): the output-layer bias of u and
 * l starts at a large constant (ood_bias, in standardised units; the paper uses 10 to 15) and
 * is trained with them. Training pulls their outputs down to the residual size on the data
 * through the hidden units, so away from the data the ReLU features extrapolate linearly and
 * |u|, |l| grow: intervals widen there. The least-squares finish of step 2 makes the
 * cancellation on the data exact. The OOD score of a point is 1 - min(W_ref / W(x), 1) with
 * W = |u| + |l| and W_ref = mean + 1.8 std of W over the calibration points (the authors'
 * confidence score, turned round): 0 in distribution, towards 1 far from the data.
 *
 * Deep ensemble (Lakshminarayanan, Pritzel and Blundell, NeurIPS 2017), the baseline:
 * `ensemble_count` networks each predict a mean mu_j and a variance s_j = softplus(raw) + 1e-6
 * per output, trained with the Gaussian negative log-likelihood
 * 0.5 log s_j + (y - mu_j)^2 / (2 s_j); the mixture has mean mu = mean_j mu_j and variance
 * s = mean_j (s_j + mu_j^2) - mu^2, and the interval is mu -/+ z sqrt(s) with z the
 * (1 + gamma) / 2 quantile of the standard normal. Its OOD score uses W = 2 sqrt(s).
 *
 * Model file (netCDF, see sciml-fields(5)): global sciml_kind = "model", sciml_model =
 * "pi3nn", method = "pi3nn" or "ensemble", hidden, activation, ood_bias, level (the default
 * confidence level), ensemble_count, input_variable, output_variable and provenance;
 * dimensions input, output, train_sample, hidden_<k>, one (= 1), member_output (= 2 output);
 * the networks' weights <net>_layer_<l>_weight (in, out) and <net>_layer_<l>_bias (out) with
 * <net> = mean, upper_<k>, lower_<k> (PI3NN, k = output) or member_<j> (ensemble);
 * input_mean, input_std (input), output_mean, output_std (output), width_reference (output);
 * PI3NN also upper_ratio and lower_ratio (output, train_sample) over the N calibration points
 * (train_sample = N), each row sorted in decreasing order, and the floors upper_floor and
 * lower_floor (output).
 */
#ifndef SCIML_PI3NN_MODEL_H
#define SCIML_PI3NN_MODEL_H

#include "sciml/core.h"
#include "sciml/mlp_model.h"
#include "sciml/train.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sciml_pi3nn_method {
    SCIML_PI3NN_METHOD_PI3NN = 0, /* three networks per output and root-finding */
    SCIML_PI3NN_METHOD_ENSEMBLE   /* deep ensemble of mean-variance networks */
} sciml_pi3nn_method;

#define SCIML_PI3NN_DEFAULT_OOD_BIAS 40.0 /* standardised units */
#define SCIML_PI3NN_DEFAULT_LEVEL 0.95
#define SCIML_PI3NN_DEFAULT_ENSEMBLE 5
#define SCIML_PI3NN_MAX_ENSEMBLE 64
#define SCIML_PI3NN_MIN_SIDE_POINTS 2        /* training points above (below) f needed per output */
#define SCIML_PI3NN_WIDTH_REFERENCE_STDS 1.8 /* W_ref = mean + 1.8 std of training widths */
#define SCIML_PI3NN_DEFAULT_VALIDATION 0.3   /* fraction of the data held out for validation */
#define SCIML_PI3NN_DEFAULT_PATIENCE 20      /* epochs without a better validation loss */
#define SCIML_PI3NN_MAX_VALIDATION 0.8

typedef struct sciml_pi3nn_config {
    int64_t input_count;                  /* features per sample in */
    int64_t output_count;                 /* features per sample out, each with an interval */
    int hidden_count;                     /* hidden layers of every network */
    int64_t hidden[SCIML_MLP_MAX_HIDDEN]; /* widths */
    sciml_activation activation;          /* of hidden layers (the paper: relu) */
    double ood_bias;                      /* initial output bias of u and l; 0 switches it off */
    sciml_pi3nn_method method;
    int ensemble_count; /* networks of the ensemble, 1..SCIML_PI3NN_MAX_ENSEMBLE */
    /* Training only (not stored in the model file): the fraction of the samples (0 or
     * [0.05, SCIML_PI3NN_MAX_VALIDATION]) held out at random for validation, and the
     * early-stopping patience in epochs (0: run every epoch, still keep the best). */
    double validation_fraction;
    int64_t patience;
} sciml_pi3nn_config;

typedef struct sciml_pi3nn_model sciml_pi3nn_model;

/* Defaults for input_count inputs and output_count outputs: PI3NN, one hidden layer of 64
 * relu units, ood_bias 40, 5 ensemble members (used by the ensemble method only), 30% held
 * out for validation, patience 20. The authors set the bias to 10 or 15 and train with plain
 * SGD; under Adam the bias itself moves by up to the learning rate per step, and with the
 * least-squares finish of u and l a larger bias costs no in-distribution width on the cubic
 * data (out-of-distribution widths about 15x the in-distribution ones with 40, 4 to 5x with
 * 20). On small data in many dimensions it does cost width: set it to 0 there when OOD inputs
 * are not a concern. */
void sciml_pi3nn_config_default(sciml_pi3nn_config *config, int64_t input_count,
                                int64_t output_count);

/* Creates an untrained model (every network initialised from `seed`). ctx is borrowed and
 * must outlive the model. SCIML_ERR_ARG for an invalid config. */
sciml_status sciml_pi3nn_model_create(sciml_ctx *ctx, const sciml_pi3nn_config *config,
                                      uint64_t seed, sciml_pi3nn_model **out);
void sciml_pi3nn_model_destroy(sciml_pi3nn_model **model); /* NULL-safe, sets *model to NULL */
const sciml_pi3nn_config *sciml_pi3nn_model_get_config(const sciml_pi3nn_model *model);
int64_t sciml_pi3nn_model_parameter_count(const sciml_pi3nn_model *model); /* all networks */
int64_t
sciml_pi3nn_model_train_count(const sciml_pi3nn_model *model); /* N calibration, 0 untrained */

/* Trains every network on inputs (count, input_count) and outputs (count, output_count), both
 * borrowed, with the same options, then computes what the root-finding needs. With
 * validation_fraction > 0 the held-out part (drawn from options->seed) is reported as the
 * test loss each epoch, the mean network and ensemble members stop after config.patience
 * epochs without improvement and keep their best epoch, and u and l run options->epochs
 * epochs; the report callback is called for each network in turn.
 * Errors: SCIML_ERR_ARG for fewer than 2 * SCIML_PI3NN_MIN_SIDE_POINTS samples, a validation
 * split leaving fewer than that on either part (the message gives both counts) or a model
 * trained already; SCIML_ERR_RANGE naming the output when fewer than
 * SCIML_PI3NN_MIN_SIDE_POINTS training points lie above (or below) the mean network;
 * SCIML_ERR_INTERRUPTED / SCIML_ERR_NONFINITE from the trainer. On error the model stays
 * untrained. */
sciml_status sciml_pi3nn_model_train(sciml_pi3nn_model *model, const double *inputs,
                                     const double *outputs, int64_t count,
                                     const sciml_train_options *options);

/* SCIML_OK when intervals at `level` can be computed: SCIML_ERR_RANGE for a level outside
 * (0, 1) or (PI3NN) when an output has no more than K = floor(N (1 - level) / 2) calibration
 * points above (or below) its mean, so no scale factor leaves exactly K outside; the message
 * names the output, the counts and the smallest level that works. */
sciml_status sciml_pi3nn_model_check_level(sciml_pi3nn_model *model, double level);

/* The scale factors nu (upper) and xi (lower) of output k at `level` (PI3NN only; the
 * ensemble gives the normal quantile z for both). Errors as check_level. */
sciml_status sciml_pi3nn_model_scales(sciml_pi3nn_model *model, double level, int64_t output,
                                      double *nu, double *xi);

/* For inputs (count, input_count): mean, lower and upper (count, output_count) in physical
 * units, and ood_score (count, output_count, may be NULL). All borrowed. Errors as
 * check_level, SCIML_ERR_STATE for an untrained model. */
sciml_status sciml_pi3nn_model_predict(sciml_pi3nn_model *model, const double *inputs,
                                       int64_t count, double level, double *mean, double *lower,
                                       double *upper, double *ood_score);

/* Writes the model to path ("-" for stdout) atomically; `level` (in (0, 1)) is stored as the
 * default confidence level of the model. */
sciml_status sciml_pi3nn_model_write(sciml_pi3nn_model *model, const char *path,
                                     const sciml_model_provenance *provenance, double level);
/* Reads a model written by sciml_pi3nn_model_write, validating attributes against array
 * shapes. level (may be NULL) receives the stored default level; input_variable and
 * output_variable (may be NULL) malloc'd copies of the stored names (or NULL when absent). */
sciml_status sciml_pi3nn_model_read(sciml_ctx *ctx, const char *path, sciml_pi3nn_model **out,
                                    double *level, char **input_variable, char **output_variable);

/* Interval quality against truth (count, output_count), per output k: picp[k] the fraction of
 * samples with lower <= truth <= upper, mpiw[k] the mean of upper - lower. Any of the output
 * arrays (output_count) may be NULL. count >= 1. */
void sciml_interval_metrics(const double *truth, const double *lower, const double *upper,
                            int64_t count, int64_t output_count, double *picp, double *mpiw);

/* The standard normal quantile: x with Phi(x) = p, p in (0, 1) (bisection on erfc, to about
 * 1e-15 absolute). */
double sciml_normal_quantile(double p);

#ifdef __cplusplus
}
#endif
#endif /* SCIML_PI3NN_MODEL_H */
