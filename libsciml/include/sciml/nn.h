/* libsciml neural-network layers built on the graph (sciml/graph.h): dense layers and
 * multilayer perceptrons with Glorot/He initialisation, random Fourier-feature embeddings,
 * per-feature normalisation statistics, and parsing of hidden-layer lists ("64,64,64").
 *
 * Layers add named parameter nodes to a graph before sciml_graph_build(); after the build an
 * init function writes their starting values into the graph's flat parameter vector. Several
 * networks share one graph through name prefixes ("branch", "trunk"): the layer k of an MLP
 * with prefix P owns "P.k.weight" of shape (in, out) and "P.k.bias" of shape (out), and
 * computes y = x W + b on row-major (batch, in) inputs.
 */
#ifndef SCIML_NN_H
#define SCIML_NN_H

#include "sciml/core.h"
#include "sciml/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SCIML_MAX_HIDDEN_LAYERS 32      /* hidden layers of one MLP */
#define SCIML_MAX_LAYER_WIDTH (1 << 24) /* units in one layer */
#define SCIML_MAX_NAME 64               /* bytes of a prefix, with the terminator */

/* Weight initialisation. AUTO picks by activation: He (Kaiming) normal for relu and gelu,
 * Glorot (Xavier) uniform for everything else (tanh, sigmoid, sin, softplus, identity).
 *   Glorot uniform U(-a, a), a = sqrt(6 / (fan_in + fan_out)); normal std sqrt(2 / (in + out))
 *   He uniform U(-a, a), a = sqrt(6 / fan_in);                 normal std sqrt(2 / fan_in)
 * Biases start at zero. (Glorot and Bengio 2010; He et al. 2015.) */
typedef enum sciml_init {
    SCIML_INIT_AUTO = 0,
    SCIML_INIT_GLOROT_UNIFORM,
    SCIML_INIT_GLOROT_NORMAL,
    SCIML_INIT_HE_UNIFORM,
    SCIML_INIT_HE_NORMAL
} sciml_init;

const char *sciml_init_name(sciml_init init); /* "auto", "glorot_uniform", ... */
sciml_status sciml_init_parse(sciml_ctx *ctx, const char *name, sciml_init *out);

/* ---- Dense layer: y = act(x W + b), W (in, out), b (out) ---------------------------------- */
typedef struct sciml_dense {
    int64_t input_size, output_size;
    sciml_activation activation;
    sciml_node weight; /* param (input_size, output_size) */
    sciml_node bias;   /* param (output_size) */
} sciml_dense;

/* Adds the parameters "<name>.weight" and "<name>.bias" to g (name copied). Errors:
 * SCIML_ERR_RANGE for sizes outside 1..SCIML_MAX_LAYER_WIDTH, SCIML_ERR_ARG for a long name,
 * or the graph's error (message on ctx). */
sciml_status sciml_dense_create(sciml_ctx *ctx, sciml_graph *g, const char *name,
                                int64_t input_size, int64_t output_size,
                                sciml_activation activation, sciml_dense *out);
/* y = act(x W + b) for x of shape (..., input_size); SCIML_NO_NODE on error (message on the
 * graph's context). */
sciml_node sciml_dense_apply(sciml_graph *g, const sciml_dense *layer, sciml_node x);
/* second(first(x)) in one node: h = act1(x W1 + b1), y = h W2 + b2, with act1 identity, ReLU
 * or GELU and second's activation identity. The same values as two sciml_dense_apply calls to
 * rounding, but h exists only for a tile of rows at a time (it never goes to memory): meant for
 * inference graphs (the FNO projection head); the backward pass recomputes h per tile.
 * SCIML_NO_NODE on error (SCIML_ERR_SHAPE, SCIML_ERR_UNSUPPORTED; message on ctx). */
sciml_node sciml_dense_pair_apply(sciml_ctx *ctx, sciml_graph *g, const sciml_dense *first,
                                  const sciml_dense *second, sciml_node x);
/* Writes initial values for the layer into sciml_graph_params(g) (graph built). */
sciml_status sciml_dense_init(sciml_ctx *ctx, sciml_graph *g, const sciml_dense *layer,
                              sciml_init init, sciml_rng *rng);

/* ---- Multilayer perceptron ----------------------------------------------------------------
 * sizes: input, hidden_1 .. hidden_h, output; hidden layers use hidden_activation, the output
 * layer is linear (identity). A plain value: it holds node indices into its graph, nothing to
 * free. */
typedef struct sciml_mlp {
    char prefix[SCIML_MAX_NAME];
    int layer_count;                            /* dense layers = hidden count + 1 */
    int64_t sizes[SCIML_MAX_HIDDEN_LAYERS + 2]; /* (layer_count + 1) widths */
    sciml_activation hidden_activation;
    sciml_dense layers[SCIML_MAX_HIDDEN_LAYERS + 1]; /* (layer_count) */
} sciml_mlp;

/* Adds the parameters "<prefix>.<k>.weight"/"<prefix>.<k>.bias", k = 0 .. hidden_count, to g.
 * hidden_sizes has hidden_count (0..SCIML_MAX_HIDDEN_LAYERS) entries (borrowed). */
sciml_status sciml_mlp_create(sciml_ctx *ctx, sciml_graph *g, const char *prefix,
                              int64_t input_size, int hidden_count, const int64_t *hidden_sizes,
                              int64_t output_size, sciml_activation hidden_activation,
                              sciml_mlp *out);
/* Output node (batch, output_size) for x of shape (batch, input_size); SCIML_NO_NODE on
 * error (message on the graph's context). */
sciml_node sciml_mlp_apply(sciml_graph *g, const sciml_mlp *mlp, sciml_node x);
/* Initialises every layer (weights by `init`, AUTO from the hidden activation; the linear
 * output layer of an AUTO relu/gelu network uses He as well). Graph must be built. */
sciml_status sciml_mlp_init(sciml_ctx *ctx, sciml_graph *g, const sciml_mlp *mlp, sciml_init init,
                            sciml_rng *rng);
int64_t sciml_mlp_param_count(const sciml_mlp *mlp); /* sum of in * out + out */

/* Parses a hidden-layer list such as "64,64,64" (spaces around items allowed) into
 * sizes[0..*count). Errors (SCIML_ERR_ARG / SCIML_ERR_RANGE, message quoting the text):
 * empty text or item, a non-number, zero or negative widths, widths above
 * SCIML_MAX_LAYER_WIDTH, more than `capacity` items. sizes is unchanged on error. */
sciml_status sciml_parse_hidden(sciml_ctx *ctx, const char *text, int64_t *sizes, int capacity,
                                int *count);

/* ---- Random Fourier features (Tancik et al. 2020; Wang, Wang and Perdikaris 2021) ----------
 *   gamma(x) = [sin(2 pi x B), cos(2 pi x B)],  x (batch, input_size),  B (input_size, m)
 * B ~ N(0, sigma^2), fixed (not trained); the output is (batch, 2 m), sines first. */
/* Fills frequencies (input_size, feature_count) row-major with sigma * N(0, 1). */
sciml_status sciml_fourier_sample(sciml_ctx *ctx, sciml_rng *rng, double sigma, int64_t input_size,
                                  int64_t feature_count, double *frequencies);
/* Adds the embedding of x (2D, (batch, input_size)) to g. frequencies (input_size,
 * feature_count) are copied into the graph, so the caller keeps (and saves) its own array.
 * Returns SCIML_NO_NODE on error with the message on ctx. */
sciml_node sciml_fourier_features(sciml_ctx *ctx, sciml_graph *g, sciml_node x,
                                  int64_t feature_count, const double *frequencies);

/* ---- Normalisation: z = (x - mean) / std per feature ---------------------------------------
 * Statistics over the first axis of (count, feature_count) row-major arrays: the mean and the
 * population standard deviation (divide by count), accumulated batch by batch with Chan et
 * al.'s pairwise update (each batch by two passes), so a file can be streamed. A feature whose
 * std is below std_floor (constant in the data) gets std = 1: it is centred, not blown up. */
typedef struct sciml_normalizer {
    int64_t feature_count;
    double *mean;         /* (feature_count), owned */
    double *std;          /* (feature_count), owned; > 0 after finish */
    double *m2;           /* (feature_count), owned: sum of squared deviations while accumulating */
    int64_t sample_count; /* rows accumulated since reset */
} sciml_normalizer;

#define SCIML_NORMALIZER_STD_FLOOR 1e-12

/* Creates an identity normaliser (mean 0, std 1) for feature_count >= 1 features. */
sciml_status sciml_normalizer_create(sciml_ctx *ctx, int64_t feature_count, sciml_normalizer **out);
void sciml_normalizer_destroy(sciml_normalizer **normalizer); /* accepts NULL, sets NULL */
/* fit = reset + update(data) + finish(std_floor). data (count, features), count >= 1. */
sciml_status sciml_normalizer_fit(sciml_ctx *ctx, sciml_normalizer *normalizer, const double *data,
                                  int64_t count, int64_t features, double std_floor);
void sciml_normalizer_reset(sciml_normalizer *normalizer); /* forget accumulated rows */
/* Adds count rows; SCIML_ERR_NONFINITE (nothing accumulated) when a value is NaN/Inf. */
sciml_status sciml_normalizer_update(sciml_ctx *ctx, sciml_normalizer *normalizer,
                                     const double *data, int64_t count, int64_t features);
/* Sets std from the accumulated rows (SCIML_ERR_STATE when none). */
sciml_status sciml_normalizer_finish(sciml_ctx *ctx, sciml_normalizer *normalizer,
                                     double std_floor);
/* In place on (count, features): apply z = (x - mean) / std; invert x = z std + mean. */
sciml_status sciml_normalizer_apply(sciml_ctx *ctx, const sciml_normalizer *normalizer,
                                    double *data, int64_t count, int64_t features);
sciml_status sciml_normalizer_invert(sciml_ctx *ctx, const sciml_normalizer *normalizer,
                                     double *data, int64_t count, int64_t features);
/* Sets mean and std (copied; std must be > 0) e.g. when loading a model file. */
sciml_status sciml_normalizer_set(sciml_ctx *ctx, sciml_normalizer *normalizer, const double *mean,
                                  const double *std, int64_t features);

/* ---- Graph loss as an optimiser objective (for sciml_lbfgs_minimize) ------------------------
 * user points to a sciml_graph_objective. Each call copies x (n = the graph's parameter count)
 * into the graph's parameters, runs forward and backward from `loss` (inputs already set) and
 * returns f = loss and grad = the flat gradient. Leaves the graph's parameters at x: after the
 * minimisation copy the returned x back into sciml_graph_params(). */
typedef struct sciml_graph_objective {
    sciml_graph *graph; /* borrowed, built */
    sciml_node loss;    /* scalar */
} sciml_graph_objective;

sciml_status sciml_graph_objective_evaluate(void *user, int64_t n, const double *x, double *f,
                                            double *grad);

#ifdef __cplusplus
}
#endif
#endif /* SCIML_NN_H */
