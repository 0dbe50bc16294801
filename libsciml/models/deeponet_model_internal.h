/* Private to the DeepONet model: its state and graphs, shared by training and prediction
 * (deeponet_model.c) and the model file (deeponet_model_file.c). */
#ifndef SCIML_DEEPONET_MODEL_INTERNAL_H
#define SCIML_DEEPONET_MODEL_INTERNAL_H

#include "sciml/deeponet_model.h"
#include "sciml/nn.h"
#include "sciml/trainer.h"

/* A graph for P query points and batches of up to max_batch functions. */
typedef struct deeponet_graph {
    sciml_graph *graph;
    int64_t point_count, max_batch;
    int64_t per_function; /* unaligned: query points per function Q (1: one per row); else 0 */
    sciml_node functions; /* input (batch, m), standardised */
    sciml_node points;    /* input (P, d), standardised; unaligned (batch, d) or (batch, Q, d) */
    sciml_node target;    /* input (batch, P K) (unaligned (batch, Q K)), standardised;
                             SCIML_NO_NODE without a loss */
    sciml_node output;    /* (batch, P K) (unaligned (batch, Q K)) standardised predictions */
    sciml_node modes;     /* POD: input (P, p) trunk features; else SCIML_NO_NODE */
    sciml_node offset;    /* POD: input (P K) mean outputs; else SCIML_NO_NODE */
    sciml_node loss;      /* MSE, or SCIML_NO_NODE */
    double *scratch;      /* (max_batch, max(m, P d)) standardised inputs */
} deeponet_graph;

/* The graph-free prediction path (deeponet_infer.c): the branch's hidden layers with the
 * sensor standardisation folded into the first and each bias as a last weight row, and the
 * readout [M; r] folding the last branch layer, the trunk features of one query grid, the
 * output bias and the output scaling. Rebuilt when the grid changes; freed when the
 * parameters change. */
typedef struct deeponet_inference {
    double *block;                             /* owns everything below but work */
    int64_t point_count;                       /* P of the folded grid; 0 when none */
    double *points;                            /* (P, d) the grid folded for */
    double *hidden[SCIML_DEEPONET_MAX_LAYERS]; /* layer l: (s_l (+1 for l > 0), s_l+1) */
    double *readout;                           /* (h + 1, P K) */
    double *work;                              /* per-batch buffers */
    size_t work_size;                          /* doubles in work */
    int64_t widest;                            /* widest hidden branch layer */
    /* single precision: the same folded layers rounded to float32 (after the fold in float64) */
    float *block_f32;                             /* owns the two below; NULL when not rounded */
    float *hidden_f32[SCIML_DEEPONET_MAX_LAYERS]; /* as hidden */
    float *readout_f32;                           /* as readout */
    float *work_f32;                              /* per-chunk float32 buffers */
    size_t work_f32_size;                         /* floats in work_f32 */
} deeponet_inference;

struct sciml_deeponet_model {
    sciml_ctx *ctx; /* borrowed */
    sciml_deeponet_config config;
    int64_t parameter_count;
    double *params; /* (parameter_count) graph layout: branch, trunk, bias */
    int normalized; /* statistics fitted or read */
    int unaligned;  /* trained on triplets (the file's layout attribute); predicts either way */
    /* POD trunk (config.pod), set by the first training: */
    int64_t pod_point_count; /* P; 0 before */
    double *pod_points;      /* (P, d) the training points */
    double *pod_modes;       /* (P, p) trunk features, standardised output units */
    double *pod_mean;        /* (P, K) mean standardised output */
    double sensor_mean, sensor_std;
    double coordinate_mean[SCIML_DEEPONET_MAX_COORDINATES];
    double coordinate_std[SCIML_DEEPONET_MAX_COORDINATES];
    double domain_min[SCIML_DEEPONET_MAX_COORDINATES], domain_max[SCIML_DEEPONET_MAX_COORDINATES];
    double output_mean[SCIML_DEEPONET_MAX_OUTPUTS], output_std[SCIML_DEEPONET_MAX_OUTPUTS];
    char coordinate_names[256];         /* "" when none */
    deeponet_inference inference;       /* cached (block NULL when none) */
    sciml_deeponet_precision precision; /* of predict and evaluate (aligned); double default */
    sciml_train_state state;
};

/* Builds the network for P points and batches up to max_batch, with the MSE loss when
 * with_loss; fills dg (freed with deeponet_graph_free). P = 0 builds the unaligned graph:
 * points (batch, d) one per function, target and output (batch, K). */
sciml_status sciml_deeponet_build_graph(sciml_deeponet_model *model, int64_t point_count,
                                        int64_t max_batch, int with_loss, deeponet_graph *dg);
/* The unaligned graph with the triplets grouped by function: batches of up to max_batch
 * functions (batch, m), each with its Q = per_function query points (batch, Q, d) and targets
 * (batch, Q K), so the branch runs once per function. per_function 1 is the P = 0 graph above. */
sciml_status sciml_deeponet_build_unaligned_graph(sciml_deeponet_model *model, int64_t per_function,
                                                  int64_t max_batch, int with_loss,
                                                  deeponet_graph *dg);
void sciml_deeponet_graph_free(deeponet_graph *dg);
/* Fits the standardisation (and the training domain) to functions (function_count, m),
 * points (point_count, d) and values (value_rows, K); marks the model normalised. */
void sciml_deeponet_fit_normalisation(sciml_deeponet_model *model, const double *functions,
                                      int64_t function_count, const double *points,
                                      int64_t point_count, const double *values,
                                      int64_t value_rows);
/* Standardised copies into dst: functions (count, m), points (point_count, d), values
 * (rows, K). */
void sciml_deeponet_standardise_functions(const sciml_deeponet_model *model,
                                          const double *functions, int64_t count, double *dst);
void sciml_deeponet_standardise_points(const sciml_deeponet_model *model, const double *points,
                                       int64_t point_count, double *dst);
void sciml_deeponet_standardise_values(const sciml_deeponet_model *model, const double *values,
                                       int64_t rows, double *dst);
/* Fits the POD trunk to standardised values (count, P, K) at points (P, d) (owned by the
 * model afterwards); SCIML_ERR_ARG when p / K exceeds min(count, P). */
sciml_status sciml_deeponet_fit_pod(sciml_deeponet_model *model, const double *points,
                                    int64_t point_count, const double *values, int64_t count);
/* SCIML_OK when points (P, d) are the POD training points, else SCIML_ERR_ARG naming them. */
sciml_status sciml_deeponet_check_pod_points(sciml_deeponet_model *model, const double *points,
                                             int64_t point_count);
/* Checks a config, with a message naming what is wrong. */
sciml_status sciml_deeponet_check_config(sciml_ctx *ctx, const sciml_deeponet_config *config);
/* The schedule, epochs >= 0, batch >= 1 and Adam/AdamW (no L-BFGS), for both layouts. */
sciml_status sciml_deeponet_check_train_options(sciml_deeponet_model *model,
                                                const sciml_train_options *options);
/* The training graph's current parameters into the model (its folded readout dropped): before
 * a test evaluation or a checkpoint, for both layouts. */
void sciml_deeponet_take_params(sciml_deeponet_model *model, const double *params);

/* Folds the readout for `points` (P, d) unless already folded for the same points, and sizes
 * the batch buffers for max_batch functions. SCIML_ERR_NOMEM with a message (the cache is
 * then empty). The model must be normalised. */
sciml_status sciml_deeponet_inference_prepare(sciml_deeponet_model *model, const double *points,
                                              int64_t point_count, int64_t max_batch);
/* values (n, P, K) in data units for n <= max_batch raw functions (n, m), after prepare. */
void sciml_deeponet_inference_run(const sciml_deeponet_model *model, const double *functions,
                                  int64_t n, double *values);
void sciml_deeponet_inference_free(deeponet_inference *inference); /* zeroes it */
/* values (count, K) for the triplets (functions (count, m), points (count, d)) without the
 * graph, the branch run once per distinct sensor row of each chunk of triplets (not for a POD
 * trunk). SCIML_ERR_NOMEM with a message. */
sciml_status sciml_deeponet_inference_unaligned(sciml_deeponet_model *model,
                                                const double *functions, const double *points,
                                                int64_t count, double *values);
/* As prepare, then rounds the folded layers to float32 (once per fold) and sizes the float32
 * chunk buffers. SCIML_ERR_NOMEM with a message. */
sciml_status sciml_deeponet_inference_prepare_f32(sciml_deeponet_model *model, const double *points,
                                                  int64_t point_count, int64_t max_batch);
/* The float32 run after prepare_f32: n functions (n, m) from functions_f (float32) or, when
 * that is NULL, from functions_d (float64, rounded to float32 a chunk at a time); values
 * (n, P, K) to values_f, or when that is NULL widened to float64 into values_d. */
void sciml_deeponet_inference_run_f32(const sciml_deeponet_model *model, const double *functions_d,
                                      const float *functions_f, int64_t n, double *values_d,
                                      float *values_f);

#endif /* SCIML_DEEPONET_MODEL_INTERNAL_H */
