/* Private to the PI3NN model: its state, shared by training and prediction (pi3nn.c) and the
 * model file reader/writer (pi3nn_file.c). */
#ifndef SCIML_PI3NN_MODEL_INTERNAL_H
#define SCIML_PI3NN_MODEL_INTERNAL_H

#include "models/mlp_model_internal.h"
#include "sciml/pi3nn_model.h"

struct sciml_pi3nn_model {
    sciml_ctx *ctx; /* borrowed */
    sciml_pi3nn_config config;
    /* PI3NN: networks[0] = mean f (output_count outputs, physical units out),
     *        networks[1 + 2k] = upper u_k, networks[2 + 2k] = lower l_k (one output each, in
     *        standardised units of output k);
     * ensemble: networks[j] = member j (2 output_count outputs: mean, raw variance, both in
     *        standardised units). Every network standardises its inputs with the same
     *        statistics. */
    int network_count;
    sciml_mlp_model **networks;   /* (network_count), owned */
    sciml_normalizer *input_norm; /* training statistics; NULL until trained */
    sciml_normalizer *output_norm;
    int64_t train_count;     /* N; 0 until trained */
    double *upper_ratio;     /* (output, N) r_i / |u(x_i)|, decreasing per row (PI3NN) */
    double *lower_ratio;     /* (output, N) -r_i / |l(x_i)|, decreasing per row (PI3NN) */
    double *width_reference; /* (output) W_ref of the OOD score, standardised units */
    double *width_floor;     /* (2, output) c of sqrt(z^2 + c^2) for u then l, standardised */
};

/* Allocates the root-finding arrays for N training points (PI3NN: both ratio arrays; both
 * methods: width_reference). */
sciml_status sciml_pi3nn_allocate_statistics(sciml_pi3nn_model *model, int64_t train_count);

/* Gives network `index` copies of the model's input statistics and, for the PI3NN mean
 * network, of its output statistics (the others get identity output statistics). */
sciml_status sciml_pi3nn_share_normalizers(sciml_pi3nn_model *model, int index);

/* Prefix of network `index` in the model file ("mean", "upper_0", "member_3"). */
void sciml_pi3nn_network_name(const sciml_pi3nn_model *model, int index, char *name, size_t size);

#endif /* SCIML_PI3NN_MODEL_INTERNAL_H */
