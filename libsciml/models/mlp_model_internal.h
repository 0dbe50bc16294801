/* Private to the MLP model: its state, shared by training (mlp_model.c) and the model file
 * reader/writer (mlp_model_file.c). */
#ifndef SCIML_MLP_MODEL_INTERNAL_H
#define SCIML_MLP_MODEL_INTERNAL_H

#include "sciml/mlp_model.h"
#include "sciml/nn.h"
#include "sciml/optim.h"
#include "sciml/trainer.h"

struct sciml_mlp_model {
    sciml_ctx *ctx; /* borrowed */
    sciml_mlp_model_config config;
    int64_t parameter_count;
    double *params;               /* (parameter_count) the model's own copy, graph layout */
    sciml_normalizer *input_norm; /* NULL until fitted */
    sciml_normalizer *output_norm;
    /* prediction graph, built lazily */
    sciml_graph *predict_graph;
    sciml_node predict_input, predict_output;
    double *predict_scratch; /* (PREDICT_CHUNK, input_count) standardised inputs */
    sciml_train_state state; /* training position and optimizer moments */
};

#endif /* SCIML_MLP_MODEL_INTERNAL_H */
