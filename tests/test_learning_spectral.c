/* Learning: the FNO spectral convolution (sciml/spectral.h). Forward against a direct O(n^2)
 * DFT written here from the definitions (rfft unnormalised; irfft with 1/n that keeps only Re
 * of the k = 0 and Nyquist entries; in 2D an inverse DFT along the first axis, then the
 * real inverse along the halved axis, as torch.fft.irfft2 does), in 1D and 2D with odd and
 * even sizes and modes at their limits; finite-difference gradient checks for the weights and
 * the input; resolution invariance (a band-limited signal at s and 2s); batch consistency;
 * the reference initialisation; and errors for modes that do not fit, wrong rank or channels.
 */
#include "sciml/spectral.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sciml_ctx *make_ctx(void) {
    sciml_ctx *ctx = NULL;
    CU_ASSERT_FATAL(sciml_ctx_create(&ctx) == SCIML_OK);
    return ctx;
}

static void fill_normal(sciml_rng *rng, double *values, int64_t count) {
    for (int64_t i = 0; i < count; i++)
        values[i] = sciml_rng_normal(rng);
}

/* ---- the direct reference ------------------------------------------------------------------- */

typedef struct layer_sizes {
    int dims;
    int64_t s1, s2; /* 1D: s1 = 1, s2 = s */
    int64_t m1, m2; /* 1D: m1 = 1 (unused), m2 = modes */
    int64_t ci, co;
} layer_sizes;

/* Weight of kept (k1 index into blocks, k2): 1D W[k2][i][o]; 2D W[block][j][k2][i][o]. */
static const double *weight_at(const layer_sizes *z, const double *w, int64_t block, int64_t j,
                               int64_t k2, int64_t i, int64_t o) {
    int64_t mode = z->dims == 2 ? (block * z->m1 + j) * z->m2 + k2 : k2;
    return w + ((mode * z->ci + i) * z->co + o) * 2;
}

/* y (s1, s2, co) from x (s1, s2, ci) for one sample, by direct sums. */
static void direct_layer(const layer_sizes *z, const double *w, const double *x, double *y) {
    const int64_t s1 = z->s1, s2 = z->s2, half = s2 / 2 + 1;
    /* Full-resolution half spectrum Y (s1, half, co), zero outside the kept modes. */
    double *spectrum = calloc((size_t)(s1 * half * z->co * 2), sizeof(double));
    double *column = calloc((size_t)(s1 * half * z->co * 2), sizeof(double)); /* Z (s1, half, co) */
    double *x_hat = calloc((size_t)z->ci * 2, sizeof(double));
    CU_ASSERT_FATAL(spectrum && column && x_hat);
    const int64_t blocks = z->dims == 2 ? 2 : 1, rows = z->dims == 2 ? z->m1 : 1;
    for (int64_t block = 0; block < blocks; block++)
        for (int64_t j = 0; j < rows; j++)
            for (int64_t k2 = 0; k2 < z->m2; k2++) {
                const int64_t k1 = block == 0 ? j : s1 - z->m1 + j;
                for (int64_t i = 0; i < z->ci; i++) {
                    double re = 0.0, im = 0.0;
                    for (int64_t n1 = 0; n1 < s1; n1++)
                        for (int64_t n2 = 0; n2 < s2; n2++) {
                            double angle = -2.0 * SCIML_PI *
                                           ((double)(k1 * n1 % s1) / (double)s1 +
                                            (double)(k2 * n2 % s2) / (double)s2);
                            double v = x[(n1 * s2 + n2) * z->ci + i];
                            re += v * cos(angle);
                            im += v * sin(angle);
                        }
                    x_hat[2 * i] = re;
                    x_hat[2 * i + 1] = im;
                }
                for (int64_t o = 0; o < z->co; o++) {
                    double re = 0.0, im = 0.0;
                    for (int64_t i = 0; i < z->ci; i++) {
                        const double *wk = weight_at(z, w, block, j, k2, i, o);
                        re += wk[0] * x_hat[2 * i] - wk[1] * x_hat[2 * i + 1];
                        im += wk[0] * x_hat[2 * i + 1] + wk[1] * x_hat[2 * i];
                    }
                    double *target = spectrum + ((k1 * half + k2) * z->co + o) * 2;
                    target[0] = re;
                    target[1] = im;
                }
            }
    /* Inverse complex DFT along the first axis: Z[n1][k2] = sum_k1 Y[k1][k2] e^{+i ...}. */
    for (int64_t n1 = 0; n1 < s1; n1++)
        for (int64_t k2 = 0; k2 < half; k2++)
            for (int64_t o = 0; o < z->co; o++) {
                double re = 0.0, im = 0.0;
                for (int64_t k1 = 0; k1 < s1; k1++) {
                    double angle = 2.0 * SCIML_PI * (double)(k1 * n1 % s1) / (double)s1;
                    const double *v = spectrum + ((k1 * half + k2) * z->co + o) * 2;
                    re += v[0] * cos(angle) - v[1] * sin(angle);
                    im += v[0] * sin(angle) + v[1] * cos(angle);
                }
                double *target = column + ((n1 * half + k2) * z->co + o) * 2;
                target[0] = re;
                target[1] = im;
            }
    /* Real inverse along the halved axis: Re of k2 = 0 and Nyquist, twice the rest. */
    for (int64_t n1 = 0; n1 < s1; n1++)
        for (int64_t n2 = 0; n2 < s2; n2++)
            for (int64_t o = 0; o < z->co; o++) {
                double sum = 0.0;
                for (int64_t k2 = 0; k2 < half; k2++) {
                    const double *v = column + ((n1 * half + k2) * z->co + o) * 2;
                    double angle = 2.0 * SCIML_PI * (double)(k2 * n2 % s2) / (double)s2;
                    double real_part = v[0] * cos(angle) - v[1] * sin(angle);
                    int once = k2 == 0 || (s2 % 2 == 0 && 2 * k2 == s2);
                    sum += (once ? 1.0 : 2.0) * real_part;
                }
                y[(n1 * s2 + n2) * z->co + o] = sum / (double)(s1 * s2);
            }
    free(spectrum);
    free(column);
    free(x_hat);
}

/* ---- graph helpers ----------------------------------------------------------------------------
 */

/* Input node of (batch_dim, [s1,] s2, ci). */
static sciml_node add_input(sciml_graph *g, const layer_sizes *z, int64_t first, int as_param) {
    int64_t shape[4];
    int ndim = 0;
    shape[ndim++] = first;
    if (z->dims == 2)
        shape[ndim++] = z->s1;
    shape[ndim++] = z->s2;
    shape[ndim++] = z->ci;
    return as_param ? sciml_graph_param(g, "x", ndim, shape)
                    : sciml_graph_input(g, "x", ndim, shape);
}

static int64_t sample_size(const layer_sizes *z, int64_t channels) {
    return z->s1 * z->s2 * channels;
}

/* The transform the 1D tests force (AUTO elsewhere): both are checked against direct sums. */
static sciml_spectral_transform forced_transform = SCIML_SPECTRAL_AUTO;

static sciml_status make_layer(sciml_ctx *ctx, sciml_graph *g, const layer_sizes *z,
                               sciml_spectral_conv *layer) {
    const int64_t modes[2] = {z->dims == 2 ? z->m1 : z->m2, z->m2};
    sciml_status status =
        sciml_spectral_conv_create(ctx, g, "conv", z->dims, modes, z->ci, z->co, layer);
    layer->transform = forced_transform;
    return status;
}

/* Builds x -> conv for batch, sets random weights and input, runs forward, compares each
 * sample with the direct sums. Returns the largest absolute difference. */
static double forward_error(const layer_sizes *z, int64_t batch, uint64_t seed) {
    sciml_ctx *ctx = make_ctx();
    sciml_graph *g = NULL;
    CU_ASSERT_FATAL(sciml_graph_create(ctx, &g) == SCIML_OK);
    sciml_node x = add_input(g, z, SCIML_BATCH, 0);
    sciml_spectral_conv layer;
    CU_ASSERT_EQUAL_FATAL(make_layer(ctx, g, z, &layer), SCIML_OK);
    sciml_node y = sciml_spectral_conv_apply(ctx, g, &layer, x);
    if (y == SCIML_NO_NODE)
        fprintf(stderr, "%s\n", sciml_ctx_message(ctx));
    CU_ASSERT_FATAL(y != SCIML_NO_NODE);
    CU_ASSERT_EQUAL_FATAL(sciml_graph_build(g, batch), SCIML_OK);
    sciml_rng rng;
    sciml_rng_seed(&rng, seed);
    double *w = sciml_graph_params(g) + sciml_graph_param_offset(g, layer.weight);
    fill_normal(&rng, w, sciml_spectral_conv_param_count(&layer));
    const int64_t in_size = sample_size(z, z->ci), out_size = sample_size(z, z->co);
    double *input = malloc((size_t)(batch * in_size) * sizeof(double));
    double *output = malloc((size_t)(batch * out_size) * sizeof(double));
    double *expected = malloc((size_t)out_size * sizeof(double));
    CU_ASSERT_FATAL(input && output && expected);
    fill_normal(&rng, input, batch * in_size);
    CU_ASSERT_EQUAL(sciml_graph_set_input(g, x, input, batch * in_size), SCIML_OK);
    CU_ASSERT_EQUAL_FATAL(sciml_graph_forward(g, y), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_graph_get_value(g, y, output, batch * out_size), SCIML_OK);
    double worst = 0.0, largest = 0.0;
    for (int64_t b = 0; b < batch; b++) {
        direct_layer(z, w, input + b * in_size, expected);
        for (int64_t i = 0; i < out_size; i++) {
            worst = fmax(worst, fabs(output[b * out_size + i] - expected[i]));
            largest = fmax(largest, fabs(expected[i]));
        }
    }
    CU_ASSERT(largest > 0.1); /* a non-trivial output */
    free(input);
    free(output);
    free(expected);
    sciml_graph_destroy(&g);
    sciml_ctx_destroy(&ctx);
    return worst;
}

static void test_forward_1d(void) {
    /* (s, modes): even s with Nyquist kept (modes = s/2 + 1), odd s at its limit, fewer modes,
     * and a size where AUTO takes the direct product; through FFTW and the direct product */
    const int64_t cases[][2] = {{8, 5}, {9, 5}, {16, 3}, {7, 1}, {2, 2}, {128, 6}};
    const sciml_spectral_transform transforms[2] = {SCIML_SPECTRAL_FFT, SCIML_SPECTRAL_DIRECT};
    for (int k = 0; k < 2; k++) {
        forced_transform = transforms[k];
        for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
            layer_sizes z = {1, 1, cases[c][0], 1, cases[c][1], 3, 2};
            double error = forward_error(&z, 2, 10 + c);
            CU_ASSERT(error < 1e-12);
            if (!(error < 1e-12))
                fprintf(stderr, "1D s=%lld modes=%lld (%s): error %g\n", (long long)z.s2,
                        (long long)z.m2, k ? "direct" : "fft", error);
        }
    }
    forced_transform = SCIML_SPECTRAL_AUTO;
}

static void test_forward_2d(void) {
    /* (s1, s2, modes1, modes2): both at their limits (2 modes1 = s1, modes2 = s2/2 + 1), odd
     * sizes, and fewer modes; through FFTW and the direct products */
    const int64_t cases[][4] = {
        {6, 8, 3, 5}, {7, 9, 3, 5}, {5, 6, 2, 4}, {8, 7, 2, 2}, {4, 4, 1, 1}};
    const sciml_spectral_transform transforms[2] = {SCIML_SPECTRAL_FFT, SCIML_SPECTRAL_DIRECT};
    for (int k = 0; k < 2; k++) {
        forced_transform = transforms[k];
        for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
            layer_sizes z = {2, cases[c][0], cases[c][1], cases[c][2], cases[c][3], 2, 3};
            double error = forward_error(&z, 2, 20 + c);
            CU_ASSERT(error < 1e-12);
            if (!(error < 1e-12))
                fprintf(stderr, "2D %lldx%lld modes (%lld, %lld) (%s): error %g\n", (long long)z.s1,
                        (long long)z.s2, (long long)z.m1, (long long)z.m2, k ? "direct" : "fft",
                        error);
        }
    }
    forced_transform = SCIML_SPECTRAL_AUTO;
}

/* ---- gradients ------------------------------------------------------------------------------ */

/* loss = sum(r * y) + 0.5 sum(y^2) with the input x a parameter (2 samples) so that the check
 * covers d loss / d weight and d loss / d x. Returns the check's relative error; *largest gets
 * the largest gradient entry (so a passing check is known to be about real numbers). */
static double gradient_error(const layer_sizes *z, uint64_t seed, double *largest) {
    sciml_ctx *ctx = make_ctx();
    sciml_graph *g = NULL;
    CU_ASSERT_FATAL(sciml_graph_create(ctx, &g) == SCIML_OK);
    const int64_t batch = 2;
    sciml_node x = add_input(g, z, batch, 1);
    sciml_spectral_conv layer;
    CU_ASSERT_EQUAL_FATAL(make_layer(ctx, g, z, &layer), SCIML_OK);
    sciml_node y = sciml_spectral_conv_apply(ctx, g, &layer, x);
    CU_ASSERT_FATAL(y != SCIML_NO_NODE);
    int64_t shape[SCIML_MAX_DIMS];
    int ndim = sciml_graph_shape(g, y, shape);
    sciml_node r = sciml_graph_input(g, "r", ndim, shape);
    sciml_node linear = sciml_sum(g, sciml_mul(g, r, y), SCIML_ALL_AXES);
    sciml_node quadratic = sciml_scale(g, sciml_sum(g, sciml_square(g, y), SCIML_ALL_AXES), 0.5);
    sciml_node loss = sciml_add(g, linear, quadratic);
    CU_ASSERT_EQUAL_FATAL(sciml_graph_build(g, 1), SCIML_OK);
    sciml_rng rng;
    sciml_rng_seed(&rng, seed);
    fill_normal(&rng, sciml_graph_params(g), sciml_graph_param_count(g));
    const int64_t r_count = sciml_graph_count(g, r);
    double *r_values = malloc((size_t)r_count * sizeof(double));
    CU_ASSERT_FATAL(r_values != NULL);
    fill_normal(&rng, r_values, r_count);
    CU_ASSERT_EQUAL(sciml_graph_set_input(g, r, r_values, r_count), SCIML_OK);
    double error = INFINITY;
    CU_ASSERT_EQUAL(sciml_graph_check_gradient(g, loss, 1e-6, &error), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_graph_backward(g, loss), SCIML_OK);
    *largest = 0.0;
    const double *grads = sciml_graph_grads(g);
    for (int64_t i = 0; i < sciml_graph_param_count(g); i++)
        *largest = fmax(*largest, fabs(grads[i]));
    free(r_values);
    sciml_graph_destroy(&g);
    sciml_ctx_destroy(&ctx);
    return error;
}

static void test_gradient_1d(void) {
    const int64_t cases[][2] = {{8, 5}, {9, 5}, {10, 3}, {6, 1}};
    const sciml_spectral_transform transforms[2] = {SCIML_SPECTRAL_FFT, SCIML_SPECTRAL_DIRECT};
    for (int k = 0; k < 2; k++) {
        forced_transform = transforms[k];
        for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
            layer_sizes z = {1, 1, cases[c][0], 1, cases[c][1], 3, 2};
            double largest, error = gradient_error(&z, 30 + c, &largest);
            CU_ASSERT(error < 1e-6);
            CU_ASSERT(largest > 1.0);
            if (!(error < 1e-6))
                fprintf(stderr, "1D s=%lld modes=%lld (%s): gradient error %g\n", (long long)z.s2,
                        (long long)z.m2, k ? "direct" : "fft", error);
        }
    }
    forced_transform = SCIML_SPECTRAL_AUTO;
}

static void test_gradient_2d(void) {
    const int64_t cases[][4] = {{6, 8, 3, 5}, {7, 9, 3, 5}, {5, 6, 2, 4}, {4, 5, 1, 2}};
    const sciml_spectral_transform transforms[2] = {SCIML_SPECTRAL_FFT, SCIML_SPECTRAL_DIRECT};
    for (int k = 0; k < 2; k++) {
        forced_transform = transforms[k];
        for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
            layer_sizes z = {2, cases[c][0], cases[c][1], cases[c][2], cases[c][3], 2, 2};
            double largest, error = gradient_error(&z, 40 + c, &largest);
            CU_ASSERT(error < 1e-6);
            CU_ASSERT(largest > 1.0);
            if (!(error < 1e-6))
                fprintf(stderr, "2D %lldx%lld modes (%lld, %lld) (%s): gradient error %g\n",
                        (long long)z.s1, (long long)z.s2, (long long)z.m1, (long long)z.m2,
                        k ? "direct" : "fft", error);
        }
    }
    forced_transform = SCIML_SPECTRAL_AUTO;
}

/* ---- the fused Fourier layer ---------------------------------------------------------------- */

/* One graph with x -> conv and the dense layer pw, both as the fused node and as separate nodes
 * act(conv(x) + pw(x)). */
typedef struct fused_pair {
    sciml_graph *g;
    sciml_node x, fused, separate;
    sciml_spectral_conv layer;
    sciml_dense pointwise;
} fused_pair;

static void make_fused_pair(sciml_ctx *ctx, const layer_sizes *z, sciml_activation act,
                            int64_t max_batch, fused_pair *p) {
    CU_ASSERT_FATAL(sciml_graph_create(ctx, &p->g) == SCIML_OK);
    p->x = add_input(p->g, z, SCIML_BATCH, 0);
    CU_ASSERT_EQUAL_FATAL(make_layer(ctx, p->g, z, &p->layer), SCIML_OK);
    CU_ASSERT_EQUAL_FATAL(
        sciml_dense_create(ctx, p->g, "pw", z->ci, z->co, SCIML_ACT_IDENTITY, &p->pointwise),
        SCIML_OK);
    p->fused = sciml_fourier_layer_apply(ctx, p->g, &p->layer, &p->pointwise, act, p->x);
    if (p->fused == SCIML_NO_NODE)
        fprintf(stderr, "%s\n", sciml_ctx_message(ctx));
    CU_ASSERT_FATAL(p->fused != SCIML_NO_NODE);
    sciml_node sum = sciml_add(p->g, sciml_spectral_conv_apply(ctx, p->g, &p->layer, p->x),
                               sciml_dense_apply(p->g, &p->pointwise, p->x));
    p->separate = act == SCIML_ACT_GELU ? sciml_gelu(p->g, sum) : sum;
    CU_ASSERT_FATAL(p->separate != SCIML_NO_NODE);
    CU_ASSERT_EQUAL_FATAL(sciml_graph_build(p->g, max_batch), SCIML_OK);
}

/* Largest |fused - separate| over 3 samples, relative to the largest |separate|. */
static double fused_forward_error(const layer_sizes *z, sciml_activation act, uint64_t seed) {
    sciml_ctx *ctx = make_ctx();
    fused_pair p;
    const int64_t batch = 3;
    make_fused_pair(ctx, z, act, batch, &p);
    sciml_rng rng;
    sciml_rng_seed(&rng, seed);
    fill_normal(&rng, sciml_graph_params(p.g), sciml_graph_param_count(p.g));
    const int64_t in_count = batch * sample_size(z, z->ci),
                  out_count = batch * sample_size(z, z->co);
    double *input = malloc((size_t)in_count * sizeof(double));
    double *fused = malloc((size_t)out_count * sizeof(double));
    double *separate = malloc((size_t)out_count * sizeof(double));
    CU_ASSERT_FATAL(input && fused && separate);
    fill_normal(&rng, input, in_count);
    CU_ASSERT_EQUAL(sciml_graph_set_input(p.g, p.x, input, in_count), SCIML_OK);
    CU_ASSERT_EQUAL_FATAL(sciml_graph_forward(p.g, p.fused), SCIML_OK);
    CU_ASSERT_EQUAL_FATAL(sciml_graph_forward(p.g, p.separate), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_graph_get_value(p.g, p.fused, fused, out_count), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_graph_get_value(p.g, p.separate, separate, out_count), SCIML_OK);
    double worst = 0.0, largest = 0.0;
    for (int64_t i = 0; i < out_count; i++) {
        worst = fmax(worst, fabs(fused[i] - separate[i]));
        largest = fmax(largest, fabs(separate[i]));
    }
    CU_ASSERT(largest > 0.1);
    free(input);
    free(fused);
    free(separate);
    sciml_graph_destroy(&p.g);
    sciml_ctx_destroy(&ctx);
    return worst / largest;
}

/* The fused layer against the separate nodes: 1D and 2D, both transforms, identity and GELU,
 * sizes whose analysis runs in several passes of the dense kernel (s = 300) and channel counts
 * around its 8- and 40-wide column blocks. */
static void test_fused_forward(void) {
    const layer_sizes cases[] = {{1, 1, 8, 1, 5, 3, 2},
                                 {1, 1, 300, 1, 7, 5, 41},
                                 {1, 1, 64, 1, 16, 9, 8},
                                 {2, 6, 8, 3, 5, 2, 3},
                                 {2, 7, 9, 3, 5, 4, 9}};
    const sciml_spectral_transform transforms[2] = {SCIML_SPECTRAL_FFT, SCIML_SPECTRAL_DIRECT};
    const sciml_activation acts[2] = {SCIML_ACT_IDENTITY, SCIML_ACT_GELU};
    for (int k = 0; k < 2; k++) {
        forced_transform = transforms[k];
        for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
            for (int a = 0; a < 2; a++) {
                double error = fused_forward_error(&cases[c], acts[a], 60 + c);
                CU_ASSERT(error < 1e-13);
                if (!(error < 1e-13))
                    fprintf(stderr, "fused %dD %lldx%lld (%s, %s): relative error %g\n",
                            cases[c].dims, (long long)cases[c].s1, (long long)cases[c].s2,
                            k ? "direct" : "fft", a ? "gelu" : "identity", error);
            }
        }
    }
    forced_transform = SCIML_SPECTRAL_AUTO;
}

/* Finite differences through the fused node: loss = sum(r y) + sum(y^2)/2 with x, the spectral
 * weight, W and b all parameters. */
static void test_fused_gradient(void) {
    const layer_sizes cases[] = {
        {1, 1, 9, 1, 5, 3, 2}, {1, 1, 10, 1, 3, 2, 3}, {2, 6, 8, 3, 5, 2, 2}};
    const sciml_spectral_transform transforms[2] = {SCIML_SPECTRAL_FFT, SCIML_SPECTRAL_DIRECT};
    const sciml_activation acts[2] = {SCIML_ACT_IDENTITY, SCIML_ACT_GELU};
    for (int k = 0; k < 2; k++) {
        forced_transform = transforms[k];
        for (size_t c = 0; c < sizeof cases / sizeof *cases; c++)
            for (int a = 0; a < 2; a++) {
                sciml_ctx *ctx = make_ctx();
                sciml_graph *g = NULL;
                CU_ASSERT_FATAL(sciml_graph_create(ctx, &g) == SCIML_OK);
                sciml_node x = add_input(g, &cases[c], 2, 1);
                sciml_spectral_conv layer;
                sciml_dense pointwise;
                CU_ASSERT_EQUAL_FATAL(make_layer(ctx, g, &cases[c], &layer), SCIML_OK);
                CU_ASSERT_EQUAL_FATAL(sciml_dense_create(ctx, g, "pw", cases[c].ci, cases[c].co,
                                                         SCIML_ACT_IDENTITY, &pointwise),
                                      SCIML_OK);
                sciml_node y = sciml_fourier_layer_apply(ctx, g, &layer, &pointwise, acts[a], x);
                CU_ASSERT_FATAL(y != SCIML_NO_NODE);
                int64_t shape[SCIML_MAX_DIMS];
                const int ndim = sciml_graph_shape(g, y, shape);
                sciml_node r = sciml_graph_input(g, "r", ndim, shape);
                sciml_node loss = sciml_add(
                    g, sciml_sum(g, sciml_mul(g, r, y), SCIML_ALL_AXES),
                    sciml_scale(g, sciml_sum(g, sciml_square(g, y), SCIML_ALL_AXES), 0.5));
                CU_ASSERT_EQUAL_FATAL(sciml_graph_build(g, 1), SCIML_OK);
                sciml_rng rng;
                sciml_rng_seed(&rng, 70 + c);
                fill_normal(&rng, sciml_graph_params(g), sciml_graph_param_count(g));
                const int64_t r_count = sciml_graph_count(g, r);
                double *r_values = malloc((size_t)r_count * sizeof(double));
                CU_ASSERT_FATAL(r_values != NULL);
                fill_normal(&rng, r_values, r_count);
                CU_ASSERT_EQUAL(sciml_graph_set_input(g, r, r_values, r_count), SCIML_OK);
                double error = INFINITY, largest = 0.0;
                CU_ASSERT_EQUAL(sciml_graph_check_gradient(g, loss, 1e-6, &error), SCIML_OK);
                CU_ASSERT_EQUAL(sciml_graph_backward(g, loss), SCIML_OK);
                const double *grads = sciml_graph_grads(g);
                for (int64_t i = 0; i < sciml_graph_param_count(g); i++)
                    largest = fmax(largest, fabs(grads[i]));
                CU_ASSERT(error < 1e-6);
                CU_ASSERT(largest > 1.0);
                if (!(error < 1e-6))
                    fprintf(stderr, "fused %dD s2=%lld (%s, %s): gradient error %g\n",
                            cases[c].dims, (long long)cases[c].s2, k ? "direct" : "fft",
                            a ? "gelu" : "identity", error);
                free(r_values);
                sciml_graph_destroy(&g);
                sciml_ctx_destroy(&ctx);
            }
    }
    forced_transform = SCIML_SPECTRAL_AUTO;
}

/* ---- resolution invariance and batches ----------------------------------------------------------
 */

/* Runs the layer with the given weights on input (batch samples); output allocated here. */
static double *run_layer(const layer_sizes *z, const double *weights, const double *input,
                         int64_t batch, int64_t max_batch) {
    sciml_ctx *ctx = make_ctx();
    sciml_graph *g = NULL;
    CU_ASSERT_FATAL(sciml_graph_create(ctx, &g) == SCIML_OK);
    sciml_node x = add_input(g, z, SCIML_BATCH, 0);
    sciml_spectral_conv layer;
    CU_ASSERT_EQUAL_FATAL(make_layer(ctx, g, z, &layer), SCIML_OK);
    sciml_node y = sciml_spectral_conv_apply(ctx, g, &layer, x);
    CU_ASSERT_FATAL(y != SCIML_NO_NODE);
    CU_ASSERT_EQUAL_FATAL(sciml_graph_build(g, max_batch), SCIML_OK);
    CU_ASSERT_EQUAL_FATAL(sciml_graph_set_batch(g, batch), SCIML_OK);
    memcpy(sciml_graph_params(g) + sciml_graph_param_offset(g, layer.weight), weights,
           (size_t)sciml_spectral_conv_param_count(&layer) * sizeof(double));
    const int64_t in_count = batch * sample_size(z, z->ci),
                  out_count = batch * sample_size(z, z->co);
    CU_ASSERT_EQUAL(sciml_graph_set_input(g, x, input, in_count), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_graph_forward(g, y), SCIML_OK);
    double *output = malloc((size_t)out_count * sizeof(double));
    CU_ASSERT_FATAL(output != NULL);
    CU_ASSERT_EQUAL(sciml_graph_get_value(g, y, output, out_count), SCIML_OK);
    sciml_graph_destroy(&g);
    sciml_ctx_destroy(&ctx);
    return output;
}

/* Band-limited field: frequencies below 4 (1D) or |k| below 3 (2D) per channel. */
static double band_limited(const double *coefficients, int dims, double t1, double t2,
                           int64_t channel) {
    const double *a = coefficients + channel * 32;
    double v = a[0];
    for (int k = 1; k < 4; k++) {
        v += a[2 * k] * cos(2.0 * SCIML_PI * k * t2) + a[2 * k + 1] * sin(2.0 * SCIML_PI * k * t2);
        if (dims == 2)
            v += a[8 + 2 * k] * cos(2.0 * SCIML_PI * (k * t1 + t2)) +
                 a[8 + 2 * k + 1] * sin(2.0 * SCIML_PI * (k * t1 - t2));
    }
    return v;
}

static void test_resolution_invariance(void) {
    sciml_rng rng;
    sciml_rng_seed(&rng, 77);
    double coefficients[3 * 32];
    fill_normal(&rng, coefficients, 3 * 32);
    for (int dims = 1; dims <= 2; dims++) {
        /* Same weights at s and 2 s (1D: 32 and 64 points; 2D: 16 x 12 and 32 x 24). */
        layer_sizes coarse =
            dims == 1 ? (layer_sizes){1, 1, 32, 1, 8, 3, 2} : (layer_sizes){2, 16, 12, 5, 5, 3, 2};
        layer_sizes fine = coarse;
        fine.s1 = dims == 1 ? 1 : 2 * coarse.s1;
        fine.s2 = 2 * coarse.s2;
        const int64_t kept = dims == 1 ? coarse.m2 : 2 * coarse.m1 * coarse.m2;
        const int64_t weight_count = kept * coarse.ci * coarse.co * 2;
        double *weights = malloc((size_t)weight_count * sizeof(double));
        double *input_coarse = malloc((size_t)sample_size(&coarse, 3) * sizeof(double));
        double *input_fine = malloc((size_t)sample_size(&fine, 3) * sizeof(double));
        CU_ASSERT_FATAL(weights && input_coarse && input_fine);
        fill_normal(&rng, weights, weight_count);
        const layer_sizes *grids[2] = {&coarse, &fine};
        double *inputs[2] = {input_coarse, input_fine};
        for (int level = 0; level < 2; level++) {
            const layer_sizes *z = grids[level];
            for (int64_t n1 = 0; n1 < z->s1; n1++)
                for (int64_t n2 = 0; n2 < z->s2; n2++)
                    for (int64_t c = 0; c < 3; c++)
                        inputs[level][(n1 * z->s2 + n2) * 3 + c] =
                            band_limited(coefficients, dims, (double)n1 / (double)z->s1,
                                         (double)n2 / (double)z->s2, c);
        }
        double *y_coarse = run_layer(&coarse, weights, input_coarse, 1, 1);
        double *y_fine = run_layer(&fine, weights, input_fine, 1, 1);
        double worst = 0.0, largest = 0.0;
        for (int64_t n1 = 0; n1 < coarse.s1; n1++)
            for (int64_t n2 = 0; n2 < coarse.s2; n2++)
                for (int64_t o = 0; o < 2; o++) {
                    double a = y_coarse[(n1 * coarse.s2 + n2) * 2 + o];
                    int64_t m1 = dims == 1 ? 0 : 2 * n1;
                    double b = y_fine[(m1 * fine.s2 + 2 * n2) * 2 + o];
                    worst = fmax(worst, fabs(a - b));
                    largest = fmax(largest, fabs(a));
                }
        CU_ASSERT(largest > 1.0);
        CU_ASSERT(worst < 1e-12);
        if (!(worst < 1e-12))
            fprintf(stderr, "%dD resolution invariance: difference %g\n", dims, worst);
        free(y_coarse);
        free(y_fine);
        free(weights);
        free(input_coarse);
        free(input_fine);
    }
}

static void test_batch_consistency(void) {
    sciml_rng rng;
    sciml_rng_seed(&rng, 5);
    for (int dims = 1; dims <= 2; dims++) {
        layer_sizes z =
            dims == 1 ? (layer_sizes){1, 1, 33, 1, 9, 3, 4} : (layer_sizes){2, 10, 9, 3, 4, 3, 4};
        const int64_t kept = dims == 1 ? z.m2 : 2 * z.m1 * z.m2;
        const int64_t weight_count = kept * z.ci * z.co * 2, in_size = sample_size(&z, z.ci),
                      out_size = sample_size(&z, z.co);
        double *weights = malloc((size_t)weight_count * sizeof(double));
        double *input = malloc((size_t)(8 * in_size) * sizeof(double));
        CU_ASSERT_FATAL(weights && input);
        fill_normal(&rng, weights, weight_count);
        fill_normal(&rng, input, 8 * in_size);
        double *all = run_layer(&z, weights, input, 8, 8);
        double *first = run_layer(&z, weights, input, 3, 8);
        double worst = 0.0;
        for (int64_t i = 0; i < 3 * out_size; i++)
            worst = fmax(worst, fabs(all[i] - first[i]));
        CU_ASSERT(worst < 1e-14);
        free(all);
        free(first);
        free(weights);
        free(input);
    }
}

/* ---- initialisation, shapes and errors
 * ----------------------------------------------------------- */

static void test_init_and_shapes(void) {
    sciml_ctx *ctx = make_ctx();
    sciml_graph *g = NULL;
    CU_ASSERT_FATAL(sciml_graph_create(ctx, &g) == SCIML_OK);
    const int64_t modes1[1] = {16}, modes2[2] = {12, 12};
    sciml_spectral_conv a, b;
    CU_ASSERT_EQUAL_FATAL(sciml_spectral_conv_create(ctx, g, "a", 1, modes1, 8, 4, &a), SCIML_OK);
    CU_ASSERT_EQUAL_FATAL(sciml_spectral_conv_create(ctx, g, "b", 2, modes2, 4, 4, &b), SCIML_OK);
    int64_t shape[SCIML_MAX_DIMS];
    CU_ASSERT_EQUAL(sciml_graph_shape(g, sciml_graph_find(g, "a.weight"), shape), 4);
    CU_ASSERT(shape[0] == 16 && shape[1] == 8 && shape[2] == 4 && shape[3] == 2);
    CU_ASSERT_EQUAL(sciml_graph_shape(g, b.weight, shape), 6);
    CU_ASSERT(shape[0] == 2 && shape[1] == 12 && shape[2] == 12 && shape[3] == 4 && shape[4] == 4 &&
              shape[5] == 2);
    CU_ASSERT_EQUAL(sciml_spectral_conv_param_count(&a), 16 * 8 * 4 * 2);
    CU_ASSERT_EQUAL(sciml_graph_param_count(g),
                    sciml_spectral_conv_param_count(&a) + sciml_spectral_conv_param_count(&b));
    sciml_rng rng;
    sciml_rng_seed(&rng, 3);
    CU_ASSERT_EQUAL(sciml_spectral_conv_init(ctx, g, &a, &rng), SCIML_ERR_STATE); /* not built */
    CU_ASSERT_EQUAL_FATAL(sciml_graph_build(g, 1), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_spectral_conv_init(ctx, g, &a, &rng), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_spectral_conv_init(ctx, g, &b, &rng), SCIML_OK);
    const sciml_spectral_conv *layers[2] = {&a, &b};
    for (int l = 0; l < 2; l++) {
        const double scale = 1.0 / (double)(layers[l]->input_channels * layers[l]->output_channels);
        const double *w = sciml_graph_params(g) + sciml_graph_param_offset(g, layers[l]->weight);
        const int64_t count = sciml_spectral_conv_param_count(layers[l]);
        double sum = 0.0, low = INFINITY, high = -INFINITY;
        for (int64_t i = 0; i < count; i++) {
            sum += w[i];
            low = fmin(low, w[i]);
            high = fmax(high, w[i]);
        }
        /* scale U[0, 1): mean scale/2 with standard error scale / sqrt(12 count) */
        CU_ASSERT(low >= 0.0 && high < scale);
        CU_ASSERT(high > 0.95 * scale && low < 0.05 * scale);
        CU_ASSERT(fabs(sum / (double)count - 0.5 * scale) <
                  5.0 * scale / sqrt(12.0 * (double)count));
    }
    sciml_graph_destroy(&g);
    sciml_ctx_destroy(&ctx);
}

/* Expects apply to fail on x with the given shape and the message to contain `text`. */
static void expect_apply_error(int dims, const int64_t *modes, int ndim, const int64_t *shape,
                               sciml_status status, const char *text) {
    sciml_ctx *ctx = make_ctx();
    sciml_graph *g = NULL;
    CU_ASSERT_FATAL(sciml_graph_create(ctx, &g) == SCIML_OK);
    sciml_node x = sciml_graph_input(g, "x", ndim, shape);
    sciml_spectral_conv layer;
    CU_ASSERT_EQUAL_FATAL(sciml_spectral_conv_create(ctx, g, "conv", dims, modes, 3, 2, &layer),
                          SCIML_OK);
    CU_ASSERT_EQUAL(sciml_spectral_conv_apply(ctx, g, &layer, x), SCIML_NO_NODE);
    CU_ASSERT_EQUAL(sciml_ctx_status(ctx), status);
    CU_ASSERT(strstr(sciml_ctx_message(ctx), text) != NULL);
    if (!strstr(sciml_ctx_message(ctx), text))
        fprintf(stderr, "message: %s\n", sciml_ctx_message(ctx));
    sciml_graph_destroy(&g);
    sciml_ctx_destroy(&ctx);
}

static void test_errors(void) {
    const int64_t m5[1] = {5}, m35[2] = {3, 5};
    /* 1D: 5 modes need s >= 8; 7 points give 4 */
    const int64_t s7[3] = {SCIML_BATCH, 7, 3}, s8[3] = {SCIML_BATCH, 8, 3};
    expect_apply_error(1, m5, 3, s7, SCIML_ERR_RANGE, "modes <= s/2 + 1 = 4");
    /* wrong channels, wrong rank */
    const int64_t c4[3] = {SCIML_BATCH, 8, 4}, rank2[2] = {SCIML_BATCH, 8};
    expect_apply_error(1, m5, 3, c4, SCIML_ERR_SHAPE, "4 channels");
    expect_apply_error(1, m5, 2, rank2, SCIML_ERR_SHAPE, "2 dimensions, expected 3");
    expect_apply_error(2, m35, 3, s8, SCIML_ERR_SHAPE, "3 dimensions, expected 4");
    /* 2D: modes1 = 3 needs s1 >= 6; modes2 = 5 needs s2 >= 8 */
    const int64_t small1[4] = {SCIML_BATCH, 5, 8, 3}, small2[4] = {SCIML_BATCH, 6, 7, 3};
    expect_apply_error(2, m35, 4, small1, SCIML_ERR_RANGE, "2 modes1 <= s1");
    expect_apply_error(2, m35, 4, small2, SCIML_ERR_RANGE, "do not fit 6 x 7");

    sciml_ctx *ctx = make_ctx();
    sciml_graph *g = NULL;
    CU_ASSERT_FATAL(sciml_graph_create(ctx, &g) == SCIML_OK);
    sciml_spectral_conv layer;
    const int64_t zero[2] = {0, 4};
    CU_ASSERT_EQUAL(sciml_spectral_conv_create(ctx, g, "c", 3, m35, 3, 2, &layer), SCIML_ERR_ARG);
    CU_ASSERT_EQUAL(sciml_spectral_conv_create(ctx, g, "c", 2, zero, 3, 2, &layer),
                    SCIML_ERR_RANGE);
    CU_ASSERT_EQUAL(sciml_spectral_conv_create(ctx, g, "c", 1, m5, 0, 2, &layer), SCIML_ERR_RANGE);
    CU_ASSERT_EQUAL(sciml_spectral_conv_create(ctx, g, "", 1, m5, 3, 2, &layer), SCIML_ERR_ARG);
    /* The limits themselves are accepted: 5 modes at s = 8, (3, 5) at 6 x 8. */
    CU_ASSERT_EQUAL_FATAL(sciml_spectral_conv_create(ctx, g, "one", 1, m5, 3, 2, &layer), SCIML_OK);
    CU_ASSERT(sciml_spectral_conv_apply(ctx, g, &layer, sciml_graph_input(g, "x", 3, s8)) !=
              SCIML_NO_NODE);
    const int64_t fits[4] = {SCIML_BATCH, 6, 8, 3};
    CU_ASSERT_EQUAL_FATAL(sciml_spectral_conv_create(ctx, g, "two", 2, m35, 3, 2, &layer),
                          SCIML_OK);
    CU_ASSERT(sciml_spectral_conv_apply(ctx, g, &layer, sciml_graph_input(g, "x2", 4, fits)) !=
              SCIML_NO_NODE);
    CU_ASSERT_EQUAL(sciml_graph_build(g, 2), SCIML_OK);
    sciml_graph_destroy(&g);
    sciml_ctx_destroy(&ctx);
}

int main(void) {
    static const sciml_test_case cases[] = {
        {"1D forward against direct DFT", test_forward_1d},
        {"2D forward against direct DFT", test_forward_2d},
        {"1D gradient check (weights and input)", test_gradient_1d},
        {"2D gradient check (weights and input)", test_gradient_2d},
        {"fused Fourier layer equals the separate nodes", test_fused_forward},
        {"fused Fourier layer gradient check", test_fused_gradient},
        {"resolution invariance, s and 2s", test_resolution_invariance},
        {"batch 3 equals the first 3 of batch 8", test_batch_consistency},
        {"weight shapes and reference initialisation", test_init_and_shapes},
        {"errors: modes, rank, channels", test_errors},
        {NULL, NULL}};
    return sciml_test_main("learning_spectral", cases);
}
