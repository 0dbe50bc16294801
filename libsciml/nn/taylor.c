/* Forward (Taylor-mode) input derivatives through an MLP; the maths is in sciml/taylor.h.
 *
 * Activation derivatives used by the taylor-activation node, with t = s(z):
 *   tanh:      s' = 1 - t^2,  s'' = -2 t s',  s''' = -2 s'^2 + 4 t^2 s'
 *   sin:       s' = cos z,    s'' = -sin z,   s''' = -cos z
 *   identity:  s' = 1,        s'' = s''' = 0
 * Values are computed row by row (one sample's n units of a stream are contiguous), with the
 * backend's vectorised tanh on stream 0.
 *
 * For tanh (and identity) the backward needs the output streams a only, not z: with t = a_0,
 * s'' z_i = -2 t s' z_i = -2 t a_i, and since a_pq = s' z_pq + s'' z_p z_q,
 *   s'' z_pq + s''' z_p z_q = -2 t a_pq - 2 a_p a_q,
 * so the backward of sciml/taylor.h becomes
 *   dz_pq = s' g_pq
 *   dz_i  = s' g_i - 2 t sum_(p,q) g_pq (a_q [p = i] + a_p [q = i])
 *   dz    = s' g - 2 t (sum_i a_i g_i + sum_(p,q) a_pq g_pq) - 2 sum_(p,q) g_pq a_p a_q.
 * The fused dense node then skips recomputing z = h W in its backward (a quarter of its
 * multiply-adds); sin still needs z (cos z is not a function of sin z).
 */
#include "sciml/taylor.h"

#include "backend/cpu.h"

#include <cblas.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* x86-64: one copy of the tile loops per vector width, picked at load time, as in the backend's
 * cpu_math.c (no FMA contraction in C11 mode, so every copy gives the same results). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#define TAYLOR_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define TAYLOR_VECTOR_CLONES
#endif

void sciml_taylor_spec_init(sciml_taylor_spec *spec, int input_count) {
    memset(spec, 0, sizeof *spec);
    spec->input_count = input_count;
    spec->first_order = 1;
}

void sciml_taylor_spec_value(sciml_taylor_spec *spec, int input_count) {
    memset(spec, 0, sizeof *spec);
    spec->input_count = input_count;
    spec->first_order = 0;
}

int sciml_taylor_stream_count(const sciml_taylor_spec *spec) {
    return 1 + (spec->first_order ? spec->input_count + spec->second_count : 0);
}

int sciml_taylor_first_stream(const sciml_taylor_spec *spec, int i) {
    if (!spec->first_order || i < 0 || i >= spec->input_count)
        return -1;
    return 1 + i;
}

int sciml_taylor_second_stream(const sciml_taylor_spec *spec, int p, int q) {
    if (p > q) {
        int swap = p;
        p = q;
        q = swap;
    }
    for (int k = 0; k < spec->second_count && spec->first_order; k++)
        if (spec->second[k][0] == p && spec->second[k][1] == q)
            return 1 + spec->input_count + k;
    return -1;
}

int sciml_taylor_spec_add_second(sciml_taylor_spec *spec, int p, int q) {
    if (p > q) {
        int swap = p;
        p = q;
        q = swap;
    }
    if (!spec->first_order || p < 0 || q >= spec->input_count)
        return -1;
    int existing = sciml_taylor_second_stream(spec, p, q);
    if (existing >= 0)
        return existing;
    if (spec->second_count >= SCIML_TAYLOR_MAX_SECOND)
        return -1;
    spec->second[spec->second_count][0] = p;
    spec->second[spec->second_count][1] = q;
    spec->second_count++;
    return 1 + spec->input_count + spec->second_count - 1;
}

sciml_status sciml_taylor_spec_check(sciml_ctx *ctx, const sciml_taylor_spec *spec) {
    if (!spec || spec->input_count < 1 || spec->input_count > SCIML_TAYLOR_MAX_INPUTS)
        return sciml_error(ctx, SCIML_ERR_ARG, "taylor: %d inputs, expected 1..%d",
                           spec ? spec->input_count : 0, SCIML_TAYLOR_MAX_INPUTS);
    if (spec->second_count < 0 || spec->second_count > SCIML_TAYLOR_MAX_SECOND ||
        (spec->second_count > 0 && !spec->first_order))
        return sciml_error(ctx, SCIML_ERR_ARG,
                           "taylor: %d second-order streams, expected 0..%d (and first order on)",
                           spec->second_count, SCIML_TAYLOR_MAX_SECOND);
    for (int k = 0; k < spec->second_count; k++) {
        int p = spec->second[k][0], q = spec->second[k][1];
        if (p < 0 || p > q || q >= spec->input_count)
            return sciml_error(
                ctx, SCIML_ERR_ARG,
                "taylor: second-order pair %d is (%d, %d), expected 0 <= p <= q < %d", k, p, q,
                spec->input_count);
        for (int m = 0; m < k; m++)
            if (spec->second[m][0] == p && spec->second[m][1] == q)
                return sciml_error(ctx, SCIML_ERR_ARG, "taylor: pair (%d, %d) requested twice", p,
                                   q);
    }
    return SCIML_OK;
}

void sciml_taylor_seed(const sciml_taylor_spec *spec, int64_t count, const double *points,
                       double *stacked) {
    int d = spec->input_count;
    int streams = sciml_taylor_stream_count(spec);
    size_t block = (size_t)count * (size_t)d; /* one stream: (count, d) */
    memcpy(stacked, points, block * sizeof *stacked);
    memset(stacked + block, 0, (size_t)(streams - 1) * block * sizeof *stacked);
    if (spec->first_order)
        for (int i = 0; i < d; i++) {
            double *seed = stacked + (size_t)(1 + i) * block;
            for (int64_t r = 0; r < count; r++)
                seed[r * d + i] = 1.0;
        }
}

/* ---- the taylor-activation node ----------------------------------------------------------
 * Every stream is one contiguous block of m = rows * n values, so each formula is one loop over
 * m that the compiler vectorises; stream 0 goes through the backend's vectorised tanh. The loops
 * run tile by tile (TILE values of every stream, a multiple of the width) so that the dozen arrays
 * a tile touches stay in cache. Scratch: 6 tile doubles. */

typedef struct taylor_state {
    sciml_taylor_spec spec;
    sciml_activation activation;
    int64_t width; /* n */
} taylor_state;

/* z + b over m values (bias repeated every n). */
static inline __attribute__((always_inline)) void add_bias(int64_t m, int64_t n, const double *z,
                                                           const double *bias, double *out) {
    if (!bias) {
        memcpy(out, z, (size_t)m * sizeof *out);
        return;
    }
    for (int64_t r = 0; r < m; r += n)
        for (int64_t j = 0; j < n; j++)
            out[r + j] = z[r + j] + bias[j];
}

/* s1, s2 (and s3 when not NULL) over m values from t = s(zb) (and zb for sin). */
static inline __attribute__((always_inline)) void
activation_terms(sciml_activation activation, int64_t m, const double *restrict zb,
                 const double *restrict t, double *restrict s1, double *restrict s2,
                 double *restrict s3) {
    switch (activation) {
    case SCIML_ACT_TANH:
        for (int64_t j = 0; j < m; j++) {
            double d1 = 1.0 - t[j] * t[j];
            s1[j] = d1;
            s2[j] = -2.0 * t[j] * d1;
        }
        if (s3)
            for (int64_t j = 0; j < m; j++)
                s3[j] = s1[j] * (4.0 * t[j] * t[j] - 2.0 * s1[j]);
        break;
    case SCIML_ACT_SIN:
        for (int64_t j = 0; j < m; j++) {
            s1[j] = cos(zb[j]);
            s2[j] = -t[j];
        }
        if (s3)
            for (int64_t j = 0; j < m; j++)
                s3[j] = -s1[j];
        break;
    default: /* identity */
        for (int64_t j = 0; j < m; j++) {
            s1[j] = 1.0;
            s2[j] = 0.0;
        }
        if (s3)
            memset(s3, 0, (size_t)m * sizeof *s3);
        break;
    }
}

/* ---- tanh streams in one pass over the values -----------------------------------------------
 * The stream formulas of tanh (forward, and the backward from the outputs) with every stream
 * read and written in a single loop over the values, instead of one loop per term through
 * tile-sized temporaries: fewer loads and stores for the same arithmetic, in the same order, so
 * the results are those of the loops above to the bit. D (inputs) and K (second-order pairs)
 * are constants in each copy (see tanh_fused_copy), so that the stream loops unroll and the
 * value loop vectorises; other specs take the loops above. */

enum { MAX_STREAMS = 1 + SCIML_TAYLOR_MAX_INPUTS + SCIML_TAYLOR_MAX_SECOND, FUSED_MAX_PAIRS = 3 };

/* a_i = s' z_i and a_pq = s' z_pq + s'' z_p z_q from t = a_0 (already written) for one tile of
 * m values; z streams `zs` apart, a streams `as` apart. */
static inline __attribute__((always_inline)) void
tanh_streams_forward(const sciml_taylor_spec *spec, const int D, const int K, int64_t m, int64_t zs,
                     int64_t as, const double *z, double *a) {
    const double *zv[MAX_STREAMS], *zp[FUSED_MAX_PAIRS], *zq[FUSED_MAX_PAIRS];
    double *av[MAX_STREAMS];
    for (int s = 0; s < 1 + D + K; s++) {
        zv[s] = z + s * zs;
        av[s] = a + s * as;
    }
    for (int k = 0; k < K; k++) {
        zp[k] = z + (1 + spec->second[k][0]) * zs;
        zq[k] = z + (1 + spec->second[k][1]) * zs;
    }
    const double *t = a;
#pragma GCC ivdep
    for (int64_t j = 0; j < m; j++) {
        double s1 = 1.0 - t[j] * t[j];
        double s2 = -2.0 * t[j] * s1;
        for (int i = 0; i < D; i++)
            av[1 + i][j] = s1 * zv[1 + i][j];
        for (int k = 0; k < K; k++)
            av[1 + D + k][j] = s1 * zv[1 + D + k][j] + s2 * zp[k][j] * zq[k][j];
    }
}

/* dz on every stream (written, not added) from a and g = da for one tile of m values; a and g
 * streams `as` apart, dz streams `zs` apart. The formulas of backward_tile_output. */
static inline __attribute__((always_inline)) void
tanh_streams_backward(const sciml_taylor_spec *spec, const int D, const int K, int64_t m,
                      int64_t zs, int64_t as, double *gz, const double *a, const double *ga) {
    const double *av[MAX_STREAMS], *gv[MAX_STREAMS], *ap[FUSED_MAX_PAIRS], *aq[FUSED_MAX_PAIRS];
    const double *other[SCIML_TAYLOR_MAX_INPUTS][FUSED_MAX_PAIRS];
    double factor[SCIML_TAYLOR_MAX_INPUTS][FUSED_MAX_PAIRS];
    double *zv[MAX_STREAMS];
    for (int s = 0; s < 1 + D + K; s++) {
        av[s] = a + s * as;
        gv[s] = ga + s * as;
        zv[s] = gz + s * zs;
    }
    for (int k = 0; k < K; k++) {
        int p = spec->second[k][0], q = spec->second[k][1];
        ap[k] = a + (1 + p) * as;
        aq[k] = a + (1 + q) * as;
        /* pull of pair k on first-order stream i: g_pq (a_q [p = i] + a_p [q = i]) */
        for (int i = 0; i < D; i++) {
            factor[i][k] = p == i || q == i ? (p == q ? 2.0 : 1.0) : 0.0;
            other[i][k] = a + (1 + (p == i ? q : q == i ? p : i)) * as;
        }
    }
#pragma GCC ivdep
    for (int64_t j = 0; j < m; j++) {
        double t = av[0][j];
        double s1 = 1.0 - t * t, w = -2.0 * t;
        double sum = 0.0;
        for (int s = 1; s < 1 + D + K; s++)
            sum += av[s][j] * gv[s][j];
        double g0 = s1 * gv[0][j] + w * sum;
        for (int k = 0; k < K; k++)
            g0 -= 2.0 * gv[1 + D + k][j] * ap[k][j] * aq[k][j];
        zv[0][j] = g0;
        for (int i = 0; i < D; i++) {
            double pull = 0.0;
            for (int k = 0; k < K; k++)
                pull += factor[i][k] * gv[1 + D + k][j] * other[i][k][j];
            zv[1 + i][j] = K ? s1 * gv[1 + i][j] + w * pull : s1 * gv[1 + i][j];
        }
        for (int k = 0; k < K; k++)
            zv[1 + D + k][j] = s1 * gv[1 + D + k][j];
    }
}

/* The (inputs, pairs) shapes with fused copies: d = 1..3 inputs and up to FUSED_MAX_PAIRS pairs
 * (one input has at most one pair). Each X(d, p) becomes one case below, so that the compiler
 * unrolls the stream loops of tanh_streams_forward/backward for that shape. */
#define TANH_FUSED_SHAPES(X)                                                                       \
    X(1, 0) X(1, 1) X(2, 0) X(2, 1) X(2, 2) X(2, 3) X(3, 0) X(3, 1) X(3, 2) X(3, 3)

/* The fused copy for the spec's shape: 1 when one ran, 0 when it has none (the caller takes the
 * loops). */
static inline __attribute__((always_inline)) int tanh_fused_forward(const sciml_taylor_spec *spec,
                                                                    int64_t m, int64_t zs,
                                                                    int64_t as, const double *z,
                                                                    double *a) {
    if (!spec->first_order)
        return 0;
#define FORWARD_CASE(d, p)                                                                         \
    case 4 * (d) + (p):                                                                            \
        tanh_streams_forward(spec, d, p, m, zs, as, z, a);                                         \
        return 1;
    switch (spec->input_count * 4 + spec->second_count) {
        TANH_FUSED_SHAPES(FORWARD_CASE)
    default:
        return 0;
    }
#undef FORWARD_CASE
}

static inline __attribute__((always_inline)) int
tanh_fused_backward(const sciml_taylor_spec *spec, int64_t m, int64_t zs, int64_t as, double *gz,
                    const double *a, const double *ga) {
    if (!spec->first_order)
        return 0;
#define BACKWARD_CASE(d, p)                                                                        \
    case 4 * (d) + (p):                                                                            \
        tanh_streams_backward(spec, d, p, m, zs, as, gz, a, ga);                                   \
        return 1;
    switch (spec->input_count * 4 + spec->second_count) {
        TANH_FUSED_SHAPES(BACKWARD_CASE)
    default:
        return 0;
    }
#undef BACKWARD_CASE
}

/* One tile of m values (a multiple of n) of every stream; streams lie `stride` apart. */
TAYLOR_VECTOR_CLONES
static void forward_tile(const taylor_state *state, int64_t m, int64_t zs, int64_t as,
                         const double *z, const double *bias, double *restrict a, double *scratch) {
    const sciml_taylor_spec *spec = &state->spec;
    int streams = sciml_taylor_stream_count(spec);
    int d = spec->first_order ? spec->input_count : 0;
    double *restrict zb = scratch;
    double *restrict s1 = zb + m, *restrict s2 = s1 + m;
    add_bias(m, state->width, z, bias, zb);
    if (state->activation == SCIML_ACT_TANH)
        sciml_cpu_tanh(m, zb, a);
    else if (state->activation == SCIML_ACT_SIN)
        for (int64_t j = 0; j < m; j++)
            a[j] = sin(zb[j]);
    else
        memcpy(a, zb, (size_t)m * sizeof *a);
    if (streams == 1 ||
        (state->activation == SCIML_ACT_TANH && tanh_fused_forward(spec, m, zs, as, z, a)))
        return;
    activation_terms(state->activation, m, zb, a, s1, s2, NULL);
    for (int i = 0; i < d; i++) {
        const double *restrict zi = z + (1 + i) * zs;
        double *restrict ai = a + (1 + i) * as;
        for (int64_t j = 0; j < m; j++)
            ai[j] = s1[j] * zi[j];
    }
    for (int k = 0; k < spec->second_count; k++) {
        const double *restrict zp = z + (1 + spec->second[k][0]) * zs;
        const double *restrict zq = z + (1 + spec->second[k][1]) * zs;
        const double *restrict zk = z + (1 + d + k) * zs;
        double *restrict ak = a + (1 + d + k) * as;
        for (int64_t j = 0; j < m; j++)
            ak[j] = s1[j] * zk[j] + s2[j] * zp[j] * zq[j];
    }
}

/* Values per tile: a multiple of n near TILE, so that a tile of every array stays in L1/L2. */
#define TILE 512
static int64_t tile_size(int64_t n) {
    return n >= TILE ? n : (TILE / n) * n;
}

static sciml_status taylor_forward(void *state_pointer, int input_count,
                                   const sciml_tensor_view *inputs, sciml_tensor_view *out,
                                   void *scratch) {
    const taylor_state *state = state_pointer;
    int64_t m = out->count / sciml_taylor_stream_count(&state->spec); /* values per stream */
    int64_t tile = tile_size(state->width);
    const double *bias = input_count > 1 ? inputs[1].value : NULL;
    for (int64_t start = 0; start < m; start += tile)
        forward_tile(state, m - start < tile ? m - start : tile, m, m, inputs[0].value + start,
                     bias, out->value + start, scratch);
    return SCIML_OK;
}

TAYLOR_VECTOR_CLONES
static void backward_tile(const taylor_state *state, int64_t m, int64_t zs, int64_t as,
                          const double *z, double *gz, const double *bias, double *gbias,
                          const double *a, const double *ga, double *scratch) {
    const sciml_taylor_spec *spec = &state->spec;
    int64_t n = state->width;
    int d = spec->first_order ? spec->input_count : 0;
    double *restrict zb = scratch;
    double *restrict s1 = zb + m, *restrict s2 = s1 + m, *restrict s3 = s2 + m;
    double *restrict g0 = s3 + m;
    if (state->activation == SCIML_ACT_SIN)
        add_bias(m, n, z, bias, zb);
    activation_terms(state->activation, m, zb, a, s1, s2, spec->second_count ? s3 : NULL);
    /* stream 0 */
    for (int64_t j = 0; j < m; j++)
        g0[j] = s1[j] * ga[j];
    for (int i = 0; i < d; i++) {
        const double *restrict zi = z + (1 + i) * zs, *restrict gi = ga + (1 + i) * as;
        for (int64_t j = 0; j < m; j++)
            g0[j] += s2[j] * zi[j] * gi[j];
    }
    for (int k = 0; k < spec->second_count; k++) {
        const double *restrict zp = z + (1 + spec->second[k][0]) * zs;
        const double *restrict zq = z + (1 + spec->second[k][1]) * zs;
        const double *restrict zk = z + (1 + d + k) * zs;
        const double *restrict gk = ga + (1 + d + k) * as;
        for (int64_t j = 0; j < m; j++)
            g0[j] += gk[j] * (s2[j] * zk[j] + s3[j] * zp[j] * zq[j]);
    }
    if (gbias)
        for (int64_t r = 0; r < m; r += n)
            for (int64_t j = 0; j < n; j++)
                gbias[j] += g0[r + j];
    if (!gz)
        return;
    for (int64_t j = 0; j < m; j++)
        gz[j] += g0[j];
    /* first-order streams */
    for (int i = 0; i < d; i++) {
        const double *restrict gi = ga + (1 + i) * as;
        double *restrict gzi = gz + (1 + i) * zs;
        for (int64_t j = 0; j < m; j++)
            gzi[j] += s1[j] * gi[j];
    }
    /* second-order streams and their pull on the first-order ones */
    for (int k = 0; k < spec->second_count; k++) {
        int p = spec->second[k][0], q = spec->second[k][1];
        const double *zp = z + (1 + p) * zs, *zq = z + (1 + q) * zs;
        const double *restrict gk = ga + (1 + d + k) * as;
        double *restrict gzk = gz + (1 + d + k) * zs;
        double *gzp = gz + (1 + p) * zs, *gzq = gz + (1 + q) * zs;
        for (int64_t j = 0; j < m; j++)
            gzk[j] += s1[j] * gk[j];
        for (int64_t j = 0; j < m; j++)
            gzp[j] += s2[j] * gk[j] * zq[j];
        for (int64_t j = 0; j < m; j++)
            gzq[j] += s2[j] * gk[j] * zp[j];
    }
}

/* The backward of tanh and identity from the outputs alone (see the top of this file): one tile
 * of m values (a multiple of n) of every stream; a and ga streams lie `as` apart, gz streams
 * `zs` apart. Writes gz when overwrite, else adds to it (gz may be NULL). Scratch: 3 tile
 * doubles. */
TAYLOR_VECTOR_CLONES
static void backward_tile_output(const taylor_state *state, int64_t m, int64_t zs, int64_t as,
                                 double *gz, int overwrite, double *gbias, const double *a,
                                 const double *ga, double *scratch) {
    const sciml_taylor_spec *spec = &state->spec;
    int64_t n = state->width;
    int d = spec->first_order ? spec->input_count : 0;
    int tanh_act = state->activation == SCIML_ACT_TANH;
    double *restrict s1 = scratch, *restrict w = s1 + m, *restrict g0 = w + m;
    if (tanh_act && gz && overwrite && tanh_fused_backward(spec, m, zs, as, gz, a, ga)) {
        if (gbias)
            for (int64_t r = 0; r < m; r += n)
                for (int64_t j = 0; j < n; j++)
                    gbias[j] += gz[r + j];
        return;
    }
    if (tanh_act) {
        for (int64_t j = 0; j < m; j++) {
            s1[j] = 1.0 - a[j] * a[j];
            w[j] = -2.0 * a[j];
        }
        /* g0 = sum_i a_i g_i + sum_(p,q) a_pq g_pq, then s' g + w g0 */
        for (int64_t j = 0; j < m; j++)
            g0[j] = 0.0;
        for (int s = 1; s < 1 + d + spec->second_count; s++) {
            const double *restrict as_ = a + s * as, *restrict gs = ga + s * as;
            for (int64_t j = 0; j < m; j++)
                g0[j] += as_[j] * gs[j];
        }
        for (int64_t j = 0; j < m; j++)
            g0[j] = s1[j] * ga[j] + w[j] * g0[j];
        for (int k = 0; k < spec->second_count; k++) {
            const double *restrict ap = a + (1 + spec->second[k][0]) * as;
            const double *restrict aq = a + (1 + spec->second[k][1]) * as;
            const double *restrict gk = ga + (1 + d + k) * as;
            for (int64_t j = 0; j < m; j++)
                g0[j] -= 2.0 * gk[j] * ap[j] * aq[j];
        }
    } else {
        for (int64_t j = 0; j < m; j++)
            g0[j] = ga[j];
    }
    if (gbias)
        for (int64_t r = 0; r < m; r += n)
            for (int64_t j = 0; j < n; j++)
                gbias[j] += g0[r + j];
    if (!gz)
        return;
    int streams = sciml_taylor_stream_count(spec);
    if (!tanh_act) { /* identity: dz = g on every stream */
        for (int s = 0; s < streams; s++) {
            const double *restrict gs = ga + s * as;
            double *restrict out = gz + s * zs;
            if (overwrite)
                memcpy(out, gs, (size_t)m * sizeof *out);
            else
                for (int64_t j = 0; j < m; j++)
                    out[j] += gs[j];
        }
        return;
    }
    if (overwrite)
        memcpy(gz, g0, (size_t)m * sizeof *gz);
    else
        for (int64_t j = 0; j < m; j++)
            gz[j] += g0[j];
    /* first-order streams: s' g_i plus the pull of the second-order streams (in g0, reused) */
    for (int i = 0; i < d; i++) {
        const double *restrict gi = ga + (1 + i) * as;
        double *restrict gzi = gz + (1 + i) * zs;
        int pulled = 0;
        for (int k = 0; k < spec->second_count; k++) {
            int p = spec->second[k][0], q = spec->second[k][1];
            if (p != i && q != i)
                continue;
            /* a_q [p = i] + a_p [q = i] */
            const double *restrict other = a + (1 + (p == i ? q : p)) * as;
            double factor = p == q ? 2.0 : 1.0;
            const double *restrict gk = ga + (1 + d + k) * as;
            if (!pulled)
                for (int64_t j = 0; j < m; j++)
                    g0[j] = factor * gk[j] * other[j];
            else
                for (int64_t j = 0; j < m; j++)
                    g0[j] += factor * gk[j] * other[j];
            pulled = 1;
        }
        if (pulled && overwrite)
            for (int64_t j = 0; j < m; j++)
                gzi[j] = s1[j] * gi[j] + w[j] * g0[j];
        else if (pulled)
            for (int64_t j = 0; j < m; j++)
                gzi[j] += s1[j] * gi[j] + w[j] * g0[j];
        else if (overwrite)
            for (int64_t j = 0; j < m; j++)
                gzi[j] = s1[j] * gi[j];
        else
            for (int64_t j = 0; j < m; j++)
                gzi[j] += s1[j] * gi[j];
    }
    for (int k = 0; k < spec->second_count; k++) {
        const double *restrict gk = ga + (1 + d + k) * as;
        double *restrict gzk = gz + (1 + d + k) * zs;
        if (overwrite)
            for (int64_t j = 0; j < m; j++)
                gzk[j] = s1[j] * gk[j];
        else
            for (int64_t j = 0; j < m; j++)
                gzk[j] += s1[j] * gk[j];
    }
}

static sciml_status taylor_backward(void *state_pointer, int input_count,
                                    const sciml_tensor_view *inputs, const sciml_tensor_view *out,
                                    void *scratch) {
    const taylor_state *state = state_pointer;
    int64_t m = out->count / sciml_taylor_stream_count(&state->spec);
    int64_t tile = tile_size(state->width);
    double *gz = inputs[0].grad;
    const double *bias = input_count > 1 ? inputs[1].value : NULL;
    double *gbias = input_count > 1 ? inputs[1].grad : NULL;
    if (!gz && !gbias)
        return SCIML_OK;
    for (int64_t start = 0; start < m; start += tile) {
        int64_t count = m - start < tile ? m - start : tile;
        if (state->activation == SCIML_ACT_SIN)
            backward_tile(state, count, m, m, inputs[0].value + start, gz ? gz + start : NULL, bias,
                          gbias, out->value + start, out->grad + start, scratch);
        else
            backward_tile_output(state, count, m, m, gz ? gz + start : NULL, 0, gbias,
                                 out->value + start, out->grad + start, scratch);
    }
    return SCIML_OK;
}

static void taylor_destroy(void *state) {
    free(state);
}

static const sciml_op_def taylor_op = {"taylor_activate", taylor_forward, taylor_backward,
                                       taylor_destroy};

/* 1 when bias is SCIML_NO_NODE or of shape (width); else 0 with an error naming op. */
static int bias_fits(sciml_ctx *ctx, sciml_graph *g, sciml_node bias, int64_t width,
                     const char *op) {
    int64_t shape[SCIML_MAX_DIMS];
    if (bias == SCIML_NO_NODE || (sciml_graph_shape(g, bias, shape) == 1 && shape[0] == width))
        return 1;
    sciml_error(ctx, SCIML_ERR_SHAPE, "%s: bias must have shape (%lld)", op, (long long)width);
    return 0;
}

sciml_node sciml_taylor_activate(sciml_ctx *ctx, sciml_graph *g, const sciml_taylor_spec *spec,
                                 sciml_node z, sciml_node bias, sciml_activation activation) {
    if (sciml_taylor_spec_check(ctx, spec))
        return SCIML_NO_NODE;
    if (activation != SCIML_ACT_TANH && activation != SCIML_ACT_SIN &&
        activation != SCIML_ACT_IDENTITY) {
        sciml_error(ctx, SCIML_ERR_ARG,
                    "taylor: activation '%s' has no Taylor propagation, expected tanh, sin or "
                    "identity",
                    sciml_activation_name(activation));
        return SCIML_NO_NODE;
    }
    int64_t shape[SCIML_MAX_DIMS];
    int ndim = sciml_graph_shape(g, z, shape);
    int streams = sciml_taylor_stream_count(spec);
    if (ndim < 2 || shape[0] != streams) {
        sciml_error(ctx, SCIML_ERR_SHAPE,
                    "taylor: input has %d dimensions, expected (%d streams, ..., width)", ndim,
                    streams);
        return SCIML_NO_NODE;
    }
    int64_t per_stream = 1;
    for (int i = 1; i < ndim; i++)
        per_stream *= shape[i];
    int64_t width = shape[ndim - 1];
    if (!bias_fits(ctx, g, bias, width, "taylor"))
        return SCIML_NO_NODE;
    taylor_state *state = calloc(1, sizeof *state);
    if (!state) {
        sciml_error(ctx, SCIML_ERR_NOMEM, "taylor: out of memory");
        return SCIML_NO_NODE;
    }
    state->spec = *spec;
    state->activation = activation;
    state->width = width;
    sciml_node inputs[2] = {z, bias};
    int count = bias == SCIML_NO_NODE ? 1 : 2;
    int64_t tile = tile_size(width);
    return sciml_custom(g, &taylor_op, state, count, inputs, ndim, shape,
                        6 * (size_t)(tile < per_stream ? tile : per_stream) * sizeof(double));
}

/* ---- the fused taylor-dense node -----------------------------------------------------------
 * a = s(h W + b) on all streams, tile by tile of rows: per tile, one small GEMM per stream into
 * a cache-resident z tile, then the activation formulas on it (in L1-sized chunks). Backward
 * forms dz in a second tile buffer from the outputs alone for tanh and identity (see the top of
 * this file; sin recomputes the z tile, one more GEMM, cheaper than a pass over memory), and adds
 * dW += h^T dz (OpenBLAS) and dh = dz W^T (the thin kernel of cpu_dense.c, on a copy of W^T) on
 * the same tile. So z and dz never go to memory, and the graph neither stores nor zero-fills
 * them; dh is written whole when the graph hands it over fresh (sciml_custom_set_overwrite), so
 * it is not zero-filled either. */

typedef struct dense_state {
    taylor_state act; /* width = output units */
    int64_t in;
    int64_t tile_rows;
} dense_state;

static sciml_status dense_forward(void *state_pointer, int input_count,
                                  const sciml_tensor_view *inputs, sciml_tensor_view *out,
                                  void *scratch) {
    const dense_state *state = state_pointer;
    int streams = sciml_taylor_stream_count(&state->act.spec);
    int64_t in = state->in, n = state->act.width, tile = state->tile_rows;
    int64_t rows = out->count / (streams * n);
    const double *h = inputs[0].value, *w = inputs[1].value;
    const double *bias = input_count > 2 ? inputs[2].value : NULL;
    double *z = scratch, *work = z + streams * tile * n;
    int64_t chunk = tile_size(n);
    for (int64_t start = 0; start < rows; start += tile) {
        int64_t t = rows - start < tile ? rows - start : tile;
        for (int s = 0; s < streams; s++)
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)t, (int)n, (int)in, 1.0,
                        h + (s * rows + start) * in, (int)in, w, (int)n, 0.0, z + s * t * n,
                        (int)n);
        for (int64_t c = 0; c < t * n; c += chunk) /* chunks that stay in L1 */
            forward_tile(&state->act, t * n - c < chunk ? t * n - c : chunk, t * n, rows * n, z + c,
                         bias, out->value + start * n + c, work);
    }
    return SCIML_OK;
}

static sciml_status dense_backward(void *state_pointer, int input_count,
                                   const sciml_tensor_view *inputs, const sciml_tensor_view *out,
                                   void *scratch) {
    const dense_state *state = state_pointer;
    int streams = sciml_taylor_stream_count(&state->act.spec);
    int64_t in = state->in, n = state->act.width, tile = state->tile_rows;
    int64_t rows = out->count / (streams * n);
    const double *h = inputs[0].value, *w = inputs[1].value;
    double *gh = inputs[0].grad, *gw = inputs[1].grad;
    const double *bias = input_count > 2 ? inputs[2].value : NULL;
    double *gbias = input_count > 2 ? inputs[2].grad : NULL;
    double *z = scratch, *gz = z + streams * tile * n, *work = gz + streams * tile * n;
    if (!gh && !gw && !gbias)
        return SCIML_OK;
    int recompute = state->act.activation == SCIML_ACT_SIN; /* needs z (see the top) */
    int64_t chunk = tile_size(n);
    /* fresh gradients (overwrite_gradients): dh is written whole by its products, dW and db are
     * small and zeroed here */
    int h_accumulate = !inputs[0].grad_fresh;
    double *wt = work + 6 * tile * n; /* W^T (n, in) */
    for (int64_t i = 0; gh && i < in; i++)
        for (int64_t j = 0; j < n; j++)
            wt[j * in + i] = w[i * n + j];
    if (gw && inputs[1].grad_fresh)
        memset(gw, 0, (size_t)(in * n) * sizeof *gw);
    if (gbias && inputs[2].grad_fresh)
        memset(gbias, 0, (size_t)n * sizeof *gbias);
    for (int64_t start = 0; start < rows; start += tile) {
        int64_t t = rows - start < tile ? rows - start : tile;
        const double *a = out->value + start * n, *ga = out->grad + start * n;
        if (recompute) {
            for (int s = 0; s < streams; s++)
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)t, (int)n, (int)in, 1.0,
                            h + (s * rows + start) * in, (int)in, w, (int)n, 0.0, z + s * t * n,
                            (int)n);
            memset(gz, 0, (size_t)(streams * t * n) * sizeof *gz);
            backward_tile(&state->act, t * n, t * n, rows * n, z, gz, bias, gbias, a, ga, work);
        } else {
            for (int64_t c = 0; c < t * n; c += chunk) /* chunks that stay in L1 */
                backward_tile_output(&state->act, t * n - c < chunk ? t * n - c : chunk, t * n,
                                     rows * n, gz + c, 1, gbias, a + c, ga + c, work);
        }
        for (int s = 0; s < streams; s++) {
            const double *hs = h + (s * rows + start) * in, *gzs = gz + s * t * n;
            if (gw)
                cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)in, (int)n, (int)t, 1.0,
                            hs, (int)in, gzs, (int)n, 1.0, gw, (int)n);
            if (gh) {
                const sciml_cpu_term term = {n, gzs, n, wt, in};
                sciml_cpu_dense_terms(t, in, 1, &term, NULL, h_accumulate, SCIML_CPU_IDENTITY,
                                      gh + (s * rows + start) * in, in);
            }
        }
    }
    return SCIML_OK;
}

static const sciml_op_def dense_op = {"taylor_dense", dense_forward, dense_backward,
                                      taylor_destroy};

sciml_node sciml_taylor_dense(sciml_ctx *ctx, sciml_graph *g, const sciml_taylor_spec *spec,
                              sciml_node h, sciml_node weight, sciml_node bias,
                              sciml_activation activation) {
    if (sciml_taylor_spec_check(ctx, spec))
        return SCIML_NO_NODE;
    if (activation != SCIML_ACT_TANH && activation != SCIML_ACT_SIN &&
        activation != SCIML_ACT_IDENTITY) {
        sciml_error(ctx, SCIML_ERR_ARG,
                    "taylor: activation '%s' has no Taylor propagation, expected tanh, sin or "
                    "identity",
                    sciml_activation_name(activation));
        return SCIML_NO_NODE;
    }
    int64_t shape[SCIML_MAX_DIMS], w_shape[SCIML_MAX_DIMS];
    int ndim = sciml_graph_shape(g, h, shape);
    int streams = sciml_taylor_stream_count(spec);
    if (ndim != 3 || shape[0] != streams || shape[1] < 1 ||
        sciml_graph_shape(g, weight, w_shape) != 2 || w_shape[0] != shape[2]) {
        sciml_error(ctx, SCIML_ERR_SHAPE,
                    "taylor_dense: input of %d dimensions and weight do not match, expected h "
                    "(%d streams, rows, in) and W (in, out)",
                    ndim, streams);
        return SCIML_NO_NODE;
    }
    int64_t n = w_shape[1];
    if (!bias_fits(ctx, g, bias, n, "taylor_dense"))
        return SCIML_NO_NODE;
    dense_state *state = calloc(1, sizeof *state);
    if (!state) {
        sciml_error(ctx, SCIML_ERR_NOMEM, "taylor: out of memory");
        return SCIML_NO_NODE;
    }
    state->act.spec = *spec;
    state->act.activation = activation;
    state->act.width = n;
    state->in = shape[2];
    /* about 32768 values of z per tile (256 KB), between 16 and 256 rows */
    int64_t tile = 32768 / (streams * n);
    state->tile_rows = tile < 16 ? 16 : tile > 256 ? 256 : tile;
    if (state->tile_rows > shape[1])
        state->tile_rows = shape[1];
    int64_t out_shape[3] = {streams, shape[1], n};
    sciml_node inputs[3] = {h, weight, bias};
    size_t values = (size_t)(2 * streams + 6) * (size_t)(state->tile_rows * n) +
                    (size_t)(shape[2] * n); /* + W^T */
    sciml_node node = sciml_custom(g, &dense_op, state, bias == SCIML_NO_NODE ? 2 : 3, inputs, 3,
                                   out_shape, values * sizeof(double));
    /* the backward writes dh whole (no zero fill of it) */
    if (node != SCIML_NO_NODE && sciml_custom_set_overwrite(g, node) != SCIML_OK)
        return SCIML_NO_NODE;
    return node;
}

sciml_node sciml_taylor_mlp_apply(sciml_ctx *ctx, sciml_graph *g, const sciml_mlp *mlp,
                                  const sciml_taylor_spec *spec, sciml_node x) {
    sciml_node h = x;
    for (int l = 0; l < mlp->layer_count && h != SCIML_NO_NODE; l++) {
        const sciml_dense *layer = &mlp->layers[l];
        sciml_activation activation =
            l + 1 < mlp->layer_count ? mlp->hidden_activation : SCIML_ACT_IDENTITY;
        h = sciml_taylor_dense(ctx, g, spec, h, layer->weight, layer->bias, activation);
    }
    return h;
}

sciml_node sciml_taylor_stream(sciml_graph *g, sciml_node y, int stream) {
    int64_t shape[SCIML_MAX_DIMS];
    int ndim = sciml_graph_shape(g, y, shape);
    if (ndim != 3)
        return sciml_reshape(g, y, -1, shape); /* fails with the graph's shape message */
    sciml_node column = sciml_slice(g, y, 0, stream, stream + 1);
    int64_t flat[2] = {shape[1], shape[2]};
    return sciml_reshape(g, column, 2, flat);
}

sciml_node sciml_taylor_product(sciml_ctx *ctx, sciml_graph *g, const sciml_taylor_spec *spec,
                                sciml_node a, sciml_node b) {
    if (sciml_taylor_spec_check(ctx, spec))
        return SCIML_NO_NODE;
    int streams = sciml_taylor_stream_count(spec), d = spec->input_count;
    int64_t a_shape[SCIML_MAX_DIMS], b_shape[SCIML_MAX_DIMS];
    int a_dims = sciml_graph_shape(g, a, a_shape), b_dims = sciml_graph_shape(g, b, b_shape);
    if (a_dims != 3 || b_dims != 3 || a_shape[0] != streams || a_shape[1] != b_shape[1] ||
        a_shape[0] != b_shape[0] || a_shape[2] != b_shape[2]) {
        sciml_error(
            ctx, SCIML_ERR_ARG,
            "taylor_product: operands of shapes (%lld, %lld, %lld) and (%lld, %lld, "
            "%lld), expected two equal shapes (%d streams, rows, n)",
            (long long)(a_dims == 3 ? a_shape[0] : -1), (long long)(a_dims == 3 ? a_shape[1] : -1),
            (long long)(a_dims == 3 ? a_shape[2] : -1), (long long)(b_dims == 3 ? b_shape[0] : -1),
            (long long)(b_dims == 3 ? b_shape[1] : -1), (long long)(b_dims == 3 ? b_shape[2] : -1),
            streams);
        return SCIML_NO_NODE;
    }
    sciml_node as[MAX_STREAMS], bs[MAX_STREAMS], cs[MAX_STREAMS];
    for (int s = 0; s < streams; s++) {
        as[s] = sciml_slice(g, a, 0, s, s + 1); /* (1, rows, n) */
        bs[s] = sciml_slice(g, b, 0, s, s + 1);
    }
    cs[0] = sciml_mul(g, as[0], bs[0]);
    for (int i = 0; spec->first_order && i < d; i++)
        cs[1 + i] = sciml_add(g, sciml_mul(g, as[1 + i], bs[0]), sciml_mul(g, as[0], bs[1 + i]));
    for (int k = 0; k < spec->second_count; k++) {
        int s = 1 + d + k, p = 1 + spec->second[k][0], q = 1 + spec->second[k][1];
        sciml_node c = sciml_add(g, sciml_mul(g, as[s], bs[0]), sciml_mul(g, as[0], bs[s]));
        c = sciml_add(g, c, sciml_mul(g, as[p], bs[q]));
        cs[s] = sciml_add(g, c, sciml_mul(g, as[q], bs[p]));
    }
    return streams == 1 ? cs[0] : sciml_concat(g, streams, cs, 0);
}
