/* libsciml spectral convolution: the Fourier layer's kernel integral of the Fourier neural
 * operator (Li et al., "Fourier neural operator for parametric partial differential
 * equations", ICLR 2021), as a differentiable graph op in 1D and 2D.
 *
 *   y = irfft( R . rfft(x) )   on the kept modes, other modes zero
 *
 * Inputs are channels last, row-major: x (batch, s, c_in) in 1D, (batch, s1, s2, c_in) in 2D;
 * the output is (batch, s, c_out) or (batch, s1, s2, c_out). rfft is unnormalised
 * (X_k = sum_n x_n e^{-2 pi i k n / s}) and irfft carries 1/s (1/(s1 s2) in 2D), as
 * torch.fft.rfft/irfft by default; the orthonormal convention of the first FNO code gives the
 * same layer, since the two 1/sqrt(s) meet in one linear map. Weights therefore mean the same
 * as in the PyTorch FNO.
 *   1D: Y_k[o] = sum_i W_k[i][o] X_k[i] (complex) for k = 0 .. modes-1.
 *   2D: rfft2 over (s1, s2), half spectrum along s2; kept k2 = 0 .. modes2-1 and k1 in
 *       0 .. modes1-1 (weight block 0) and s1-modes1 .. s1-1 (weight block 1, the negative
 *       frequencies -modes1 .. -1 in that order), as the reference implementation does.
 *   irfft discards the imaginary parts of k = 0 and (even s) k = s/2 (in 2D of k2 = 0 and
 *   k2 = s2/2), as FFTW's and PyTorch's c2r do.
 *
 * Resolution: one set of weights works at every size the modes fit; the exact conditions are
 *   1D: 1 <= modes <= floor(s/2) + 1                       (the rfft's length)
 *   2D: 1 <= modes1 and 2 modes1 <= s1 (the two blocks do not overlap),
 *       1 <= modes2 <= floor(s2/2) + 1.
 * The spatial sizes are fixed in x's shape, so a model builds one graph per resolution; the
 * batch dimension (SCIML_BATCH first) varies up to the graph's max_batch.
 *
 * Threads: apply() makes FFTW plans and the graph's destroy frees them; FFTW's planner is not
 * thread-safe, so build and destroy graphs with spectral convolutions from one thread at a time
 * (or call fftw_make_planner_thread_safe() first). Running forward/backward of different graphs
 * in different threads is safe.
 */
#ifndef SCIML_SPECTRAL_H
#define SCIML_SPECTRAL_H

#include "sciml/core.h"
#include "sciml/graph.h"
#include "sciml/nn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A plain value (node indices into its graph), nothing to free.
 * weight: the param "<name>.weight", complex numbers as (real, imaginary) pairs, last index:
 *   1D: (modes, c_in, c_out, 2)               W[k][i][o] multiplies X_k[i] into Y_k[o]
 *   2D: (2, modes1, modes2, c_in, c_out, 2)   block 0: k1 = j, block 1: k1 = s1 - modes1 + j
 * The reference's weights1[i, o, k] (and weights2 in 2D) are our weight[k][i][o] ([1][...]). */
/* How the truncated transforms are computed: AUTO picks by cost; FFT (FFTW on channel-first
 * copies of each sample); DIRECT (the kept modes as matrix products with cos/sin tables of the
 * grid, separably along each axis, on the channels-last data as it is: no transposes, and only
 * the kept rows of the first axis computed; cheaper than full FFTs when few modes are kept,
 * e.g. 16 modes at s = 1024 or 12 x 12 at 94 x 94). Both give the same values to rounding. */
typedef enum sciml_spectral_transform {
    SCIML_SPECTRAL_AUTO = 0,
    SCIML_SPECTRAL_FFT,
    SCIML_SPECTRAL_DIRECT
} sciml_spectral_transform;

typedef struct sciml_spectral_conv {
    char name[SCIML_MAX_NAME];
    sciml_spectral_transform transform; /* AUTO from create; may be changed before apply */
    int dims;                           /* 1 or 2 */
    int64_t modes[2];                   /* modes (1D: modes[1] = 1) */
    int64_t input_channels, output_channels;
    sciml_node weight;
} sciml_spectral_conv;

/* Adds the weight parameter "<name>.weight" (name copied) to g for dims 1 or 2 with modes[0 ..
 * dims) (borrowed) >= 1 and channel counts 1..SCIML_MAX_LAYER_WIDTH. Errors: SCIML_ERR_ARG
 * (NULL, long name, dims), SCIML_ERR_RANGE (sizes), SCIML_ERR_OVERFLOW, or the graph's error;
 * message on ctx, *out unchanged. */
sciml_status sciml_spectral_conv_create(sciml_ctx *ctx, sciml_graph *g, const char *name, int dims,
                                        const int64_t *modes, int64_t input_channels,
                                        int64_t output_channels, sciml_spectral_conv *out);

/* y = irfft(R . rfft(x)) for x (batch, s, c_in) or (batch, s1, s2, c_in); returns the output
 * node (batch, s, c_out) or (batch, s1, s2, c_out), or SCIML_NO_NODE with the message on ctx
 * (wrong rank or channel count, modes that do not fit the resolution, sizes beyond FFTW's int).
 * Makes the FFTW plans (FFTW_ESTIMATE, deterministic) and per-sample work buffers here; they
 * belong to the graph. Internally three nodes: the truncated rfft (batch, kept, c_in, 2), the
 * per-mode channel mixing (batch, kept, c_out, 2) and the zero-padded irfft, where kept = modes
 * (1D) or 2 modes1 modes2 (2D). */
sciml_node sciml_spectral_conv_apply(sciml_ctx *ctx, sciml_graph *g,
                                     const sciml_spectral_conv *layer, sciml_node x);

/* The whole Fourier layer in one node: y = act(K(x) + x W + b), with K the spectral
 * convolution of `layer`, W and b the parameters of `pointwise` (a dense layer c_in -> c_out
 * made with sciml_dense_create; its own activation is not used) and act SCIML_ACT_IDENTITY or
 * SCIML_ACT_GELU. The same values, to rounding, as
 *   act(sciml_add(sciml_spectral_conv_apply(x), sciml_dense_apply(pointwise, x)))
 * with fewer passes over memory: the synthesis (inverse transform), the pointwise product, the
 * bias and the activation are one pass of the dense kernel over the output, and no separate
 * node holds K(x), x W + b or their sum. Differentiable; the backward pass recomputes the
 * pre-activation one sample at a time (nothing is stored for it), which makes it slower than
 * the separate nodes' backward: meant for inference graphs. Errors as for
 * sciml_spectral_conv_apply, plus SCIML_ERR_SHAPE (pointwise sizes) and SCIML_ERR_UNSUPPORTED
 * (another activation). */
sciml_node sciml_fourier_layer_apply(sciml_ctx *ctx, sciml_graph *g,
                                     const sciml_spectral_conv *layer, const sciml_dense *pointwise,
                                     sciml_activation activation, sciml_node x);

/* Writes the reference initialisation into sciml_graph_params(g) (graph built):
 * every real and imaginary part = U[0, 1) / (c_in c_out). */
sciml_status sciml_spectral_conv_init(sciml_ctx *ctx, sciml_graph *g,
                                      const sciml_spectral_conv *layer, sciml_rng *rng);

int64_t sciml_spectral_conv_param_count(const sciml_spectral_conv *layer); /* weight entries */

#ifdef __cplusplus
}
#endif
#endif /* SCIML_SPECTRAL_H */
