/* Private to the MLP model: its state, shared by training (mlp_model.c) and the model file
 * reader/writer (mlp_model_file.c). */
#ifndef SCIML_MLP_MODEL_INTERNAL_H
#define SCIML_MLP_MODEL_INTERNAL_H

#include "sciml/mlp_model.h"
#include "sciml/nn.h"
#include "sciml/optim.h"

struct sciml_mlp_model {
    sciml_ctx *ctx;                 /* borrowed */
    sciml_mlp_model_config config;
    int64_t parameter_count;
    double *params;                 /* (parameter_count) the model's own copy, graph layout */
    sciml_normalizer *input_norm;   /* NULL until fitted */
    sciml_normalizer *output_norm;
    /* prediction graph, built lazily */
    sciml_graph *predict_graph;
    sciml_node predict_input, predict_output;
    /* training position */
    int has_position;
    int64_t epochs_done;            /* completed epochs */
    int64_t next_batch;             /* batch index within the current epoch */
    double epoch_loss_sum;          /* sum of batch loss * batch size so far in that epoch */
    int64_t epoch_loss_samples;     /* samples behind epoch_loss_sum */
    sciml_rng epoch_rng;            /* RNG state at the start of the current epoch */
    double *adam_m, *adam_v;        /* (parameter_count) optimizer moments, NULL if none */
    int64_t adam_steps;
    sciml_optimizer_kind optimizer;
};

#endif /* SCIML_MLP_MODEL_INTERNAL_H */
