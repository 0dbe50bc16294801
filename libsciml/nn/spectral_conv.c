/* Spectral convolution of the Fourier neural operator (Li et al., ICLR 2021), 1D and 2D:
 *   y = C( M( R(x) ) )
 * with, per sample and channel (N = s, or s1 s2 in 2D; theta = 2 pi (k.n) over the grid),
 *   R  truncated rfft:   X_q = sum_n x_n e^{-i theta(q, n)}              for the kept modes q
 *   M  mode mixing:      Y_q[o] = sum_i X_q[i] W_q[i][o]                 (complex, per mode)
 *   C  padded irfft:     y_n = (1/N) sum_{q kept} w_q Re(Y_q e^{+i theta(q, n)})
 * where w_q = 1 for k = 0 and, for even s, k = s/2 along the halved (last) axis, 2 otherwise:
 * the half spectrum stands for itself and its mirror image, and c2r keeps only Re of the
 * self-mirrored k = 0 and Nyquist entries. Each map is its own graph node (so the kept spectra
 * X and Y live in the graph arena, sized for max_batch) and is linear; the backward passes are
 * the adjoints for the real inner product (complex numbers as (re, im) pairs):
 *   C^T:  gY_q = (w_q / N) rfft(gy)_q                   (rfft of the output gradient)
 *   M^T:  gX_q = gY_q W_q^H,   gW_q = sum_batch X_q^H gY_q
 *   R^T:  gx_n = sum_q Re(gX_q e^{+i theta}) = c2r(gX / w)_n   (unnormalised FFTW c2r)
 * In C^T the factor w_q counts both copies of an interior mode in y; in R^T the 1/w undoes
 * c2r's doubling. Imaginary parts at k = 0 and Nyquist drop out on their own: rfft(gy) is real
 * there, and c2r discards them, which is exactly what R^T does.
 *
 * FFTs: FFTW plans made at apply() time for one sample (fftw_plan_many_dft_r2c/c2r, rank 1 or 2,
 * howmany = channels) on the op's own channel-first buffers; each sample is transposed in (tiled)
 * and out. Measured at s = 1024, 64 channels: FFTW on channels-last data (stride = channels,
 * dist = 1) took about 4x the time of the transpose plus contiguous transforms. Mixing: one
 * zgemm per kept mode over the batch. Nothing is allocated in forward or backward.
 */
#include "sciml/spectral.h"

#include "backend/cpu.h"

#include <cblas.h>
#include <fftw3.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- transforms: shared by the truncated rfft node and the padded irfft node ------------- */

/* The direct transforms' cos/sin tables depend only on the grid and the modes: the truncated
 * rfft and the padded irfft of one layer share them (reference counted). */
typedef struct direct_tables {
    int references;
    double *last_axis;  /* T2 (2 modes2, size[1]), rows cos theta2, -sin theta2 */
    double *synthesis;  /* T2^T (size[1], 2 modes2) */
    double *first_axis; /* 2D: T1 (2 R, size[0]), R rows cos theta1, R rows sin theta1 */
} direct_tables;

static void direct_tables_release(direct_tables *tables) {
    if (!tables || --tables->references > 0)
        return;
    free(tables->last_axis);
    free(tables->synthesis);
    free(tables->first_axis);
    free(tables);
}

typedef struct transform_state {
    int dims;
    int64_t size[2];          /* 1D: (1, s); 2D: (s1, s2) */
    int64_t half;             /* size[1] / 2 + 1 */
    int64_t modes[2];         /* 1D: (1, modes); 2D: (modes1, modes2) */
    int64_t kept;             /* modes, or 2 modes1 modes2 */
    int64_t channels;         /* transformed channels of this node */
    int64_t points;           /* size[0] size[1] */
    int64_t frequencies;      /* size[0] half: one channel's half spectrum */
    int64_t real_stride;      /* distance between channels in real: points + REAL_PAD */
    double inverse_points;    /* 1 / points */
    double *real;             /* (channels, size[0], size[1]), rows real_stride apart */
    fftw_complex *spectrum;   /* (channels, size[0], half), fftw_malloc */
    fftw_plan forward_plan;   /* r2c real -> spectrum */
    fftw_plan inverse_plan;   /* c2r spectrum -> real (clobbers spectrum) */
    direct_tables *tables;    /* direct transforms: shared tables (NULL: FFTW) */
    const double *table;      /* tables->last_axis */
    const double *synthesis;  /* tables->synthesis */
    const double *table_rows; /* tables->first_axis */
    double *planes;           /* direct: A (size[0], 2 modes2, channels) of one sample */
    double *mixed;            /* direct 2D: [P; Q] (2 R, 2 modes2, channels) */
} transform_state;

static void transform_destroy(void *state) {
    transform_state *t = state;
    if (!t)
        return;
    if (t->forward_plan)
        fftw_destroy_plan(t->forward_plan);
    if (t->inverse_plan)
        fftw_destroy_plan(t->inverse_plan);
    fftw_free(t->real);
    fftw_free(t->spectrum);
    direct_tables_release(t->tables);
    free(t->planes);
    free(t->mixed);
    free(t);
}

/* Index within one channel's half spectrum of kept mode q, and its weight w_q: 1D q = k;
 * 2D q = (block m1 + j) m2 + k2 with k1 = j in block 0 and s1 - m1 + j in block 1. */
static int64_t kept_index(const transform_state *t, int64_t q, double *weight) {
    int64_t k1 = 0, k2 = q;
    if (t->dims == 2) {
        const int64_t m1 = t->modes[0], m2 = t->modes[1];
        const int64_t row = q / m2; /* block m1 + j */
        k2 = q % m2;
        k1 = row < m1 ? row : t->size[0] - m1 + (row - m1);
    }
    const int mirrored_once = k2 == 0 || (t->size[1] % 2 == 0 && 2 * k2 == t->size[1]);
    *weight = mirrored_once ? 1.0 : 2.0;
    return k1 * t->half + k2;
}

/* The channel rows of the real buffer are REAL_PAD doubles longer than a sample's points: grids
 * are often powers of two, and rows 8 KiB apart all fall into the same L1 cache sets, which made
 * the tiled transposes below miss on every access (they took twice FFTW's own time). */
#define REAL_PAD 8
#define TRANSPOSE_TILE 16

/* destination (cols, rows; rows destination_stride apart) (+)= source (rows, cols; rows
 * source_stride apart) transposed. */
static void transpose(const double *restrict source, int64_t rows, int64_t cols,
                      int64_t source_stride, double *restrict destination,
                      int64_t destination_stride, int add) {
    for (int64_t r0 = 0; r0 < rows; r0 += TRANSPOSE_TILE) {
        const int64_t r1 = r0 + TRANSPOSE_TILE < rows ? r0 + TRANSPOSE_TILE : rows;
        for (int64_t c0 = 0; c0 < cols; c0 += TRANSPOSE_TILE) {
            const int64_t c1 = c0 + TRANSPOSE_TILE < cols ? c0 + TRANSPOSE_TILE : cols;
            for (int64_t c = c0; c < c1; c++) {
                double *target = destination + c * destination_stride;
                if (add)
                    for (int64_t r = r0; r < r1; r++)
                        target[r] += source[r * source_stride + c];
                else
                    for (int64_t r = r0; r < r1; r++)
                        target[r] = source[r * source_stride + c];
            }
        }
    }
}

/* kept (kept, channels, 2) = the spectrum at the kept modes (forward of the truncated rfft), or
 * kept += (w_q / N) spectrum (adjoint of the padded irfft) when add. */
static void gather(const transform_state *t, double *kept, int add) {
    const int64_t c = t->channels;
    for (int64_t q = 0; q < t->kept; q++) {
        double weight;
        const int64_t index = kept_index(t, q, &weight);
        const double factor = weight * t->inverse_points;
        double *target = kept + q * c * 2;
        for (int64_t ch = 0; ch < c; ch++) {
            const double *source = (const double *)(t->spectrum + ch * t->frequencies + index);
            if (add) {
                target[2 * ch] += factor * source[0];
                target[2 * ch + 1] += factor * source[1];
            } else {
                target[2 * ch] = source[0];
                target[2 * ch + 1] = source[1];
            }
        }
    }
}

/* spectrum = 0 except factor kept at the kept modes, factor = 1/N (forward irfft) or 1/w_q
 * (adjoint of the truncated rfft). */
static void scatter(transform_state *t, const double *kept, int divide_by_weight) {
    const int64_t c = t->channels;
    memset(t->spectrum, 0, (size_t)(c * t->frequencies) * sizeof(fftw_complex));
    for (int64_t q = 0; q < t->kept; q++) {
        double weight;
        const int64_t index = kept_index(t, q, &weight);
        const double factor = divide_by_weight ? 1.0 / weight : t->inverse_points;
        const double *source = kept + q * c * 2;
        for (int64_t ch = 0; ch < c; ch++) {
            double *target = (double *)(t->spectrum + ch * t->frequencies + index);
            target[0] = factor * source[2 * ch];
            target[1] = factor * source[2 * ch + 1];
        }
    }
}

/* ---- direct transforms: matrix products on channels-last data --------------------------- *
 * Along the last axis (length s2, modes m2) the table T2 (2 m2, s2) has rows cos theta2 and
 * -sin theta2, theta2 = 2 pi k2 n / s2; along the first axis of a 2D grid (length s1) the table
 * T1 (2 R, s1), R = 2 m1 kept k1 (block 0: k1 = j, block 1: k1 = s1 - m1 + j), has R rows
 * cos theta1 then R rows sin theta1. For one sample x (s1, s2, c) (1D: s1 = 1):
 *   analysis   A_i = T2 x_i per grid row i          (Re and Im rows of the half spectrum)
 *              [P; Q] = T1 A    (2D)                 X = (P_re + Q_im) + i (P_im - Q_re)
 *   adjoint    the transposed products, with [gP; gQ] = [(gRe, gIm); (-gIm, gRe)]
 * giving gx_n = sum over kept modes of Re(gX e^{+i theta}). The four nodes use them as
 *   R:   X = analysis(x)              R^T: gx += adjoint(gX)
 *   C:   y = adjoint((w/N) Y)         C^T: gY += (w/N) analysis(gy)
 * which is exactly what FFTW's c2r does with the k2 = 0 and Nyquist columns (their -sin rows
 * are exactly zero). Cost per sample and channel: 4 m2 s1 s2 + 8 R m2 s1 multiply-adds. */

/* x (s1, s2, c) -> kept (kept, c, 2), scaled by w / N when scale_by_weight, added when add. */
static void direct_analysis(transform_state *t, const double *x, double *kept, int scale_by_weight,
                            int add) {
    const int64_t c = t->channels, s1 = t->size[0], s2 = t->size[1];
    const int64_t m2 = t->modes[1], row = 2 * m2 * c; /* one grid row of A */
    for (int64_t i = 0; i < s1; i++) {
        const sciml_cpu_term term = {s2, t->table, s2, x + i * s2 * c, c};
        sciml_cpu_dense_terms(2 * m2, c, 1, &term, NULL, 0, SCIML_CPU_IDENTITY, t->planes + i * row,
                              c);
    }
    const double *mixed = t->planes; /* 1D: A is already (kept, re/im, c) */
    int64_t rows = 0;
    if (t->dims == 2) {
        rows = 2 * t->modes[0];
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(2 * rows), (int)row, (int)s1,
                    1.0, t->table_rows, (int)s1, t->planes, (int)row, 0.0, t->mixed, (int)row);
        mixed = t->mixed;
    }
    for (int64_t q = 0; q < t->kept; q++) {
        double weight;
        (void)kept_index(t, q, &weight);
        const double factor = scale_by_weight ? weight * t->inverse_points : 1.0;
        const double *p_re = mixed + q * 2 * c, *p_im = p_re + c; /* q = r m2 + k2 */
        const double *q_re = p_re + rows * row, *q_im = q_re + c; /* 2D only */
        double *target = kept + q * c * 2;
        for (int64_t ch = 0; ch < c; ch++) {
            double re = p_re[ch], im = p_im[ch];
            if (t->dims == 2) {
                re += q_im[ch];
                im -= q_re[ch];
            }
            target[2 * ch] = (add ? target[2 * ch] : 0.0) + factor * re;
            target[2 * ch + 1] = (add ? target[2 * ch + 1] : 0.0) + factor * im;
        }
    }
}

/* The planes of the adjoint: A (s1, 2 m2, c) from kept (kept, c, 2), scaled by w / N when
 * scale_by_weight (in 2D through [P; Q] and the first-axis table). */
static void direct_planes(transform_state *t, const double *kept, int scale_by_weight) {
    const int64_t c = t->channels, s1 = t->size[0];
    const int64_t m2 = t->modes[1], row = 2 * m2 * c;
    const int64_t rows = t->dims == 2 ? 2 * t->modes[0] : 0;
    double *mixed = t->dims == 2 ? t->mixed : t->planes;
    for (int64_t q = 0; q < t->kept; q++) {
        double weight;
        (void)kept_index(t, q, &weight);
        const double factor = scale_by_weight ? weight * t->inverse_points : 1.0;
        const double *source = kept + q * c * 2;
        double *p_re = mixed + q * 2 * c, *p_im = p_re + c;
        double *q_re = p_re + rows * row, *q_im = q_re + c;
        for (int64_t ch = 0; ch < c; ch++) {
            const double re = factor * source[2 * ch], im = factor * source[2 * ch + 1];
            p_re[ch] = re;
            p_im[ch] = im;
            if (t->dims == 2) {
                q_re[ch] = -im;
                q_im[ch] = re;
            }
        }
    }
    if (t->dims == 2)
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)s1, (int)row, (int)(2 * rows),
                    1.0, t->table_rows, (int)s1, t->mixed, (int)row, 0.0, t->planes, (int)row);
}

/* x (s1, s2, c) = act((x when add) + T2^T A_i + extra_i + bias) per grid row i, A = the planes;
 * extra (may have k = 0) is a further product whose a is advanced by one grid row per i. */
static void direct_synthesis(const transform_state *t, sciml_cpu_term extra, const double *bias,
                             sciml_cpu_activation activation, double *x, int add) {
    const int64_t c = t->channels, s1 = t->size[0], s2 = t->size[1];
    const int64_t m2 = t->modes[1], row = 2 * m2 * c;
    for (int64_t i = 0; i < s1; i++) {
        const sciml_cpu_term terms[2] = {
            {2 * m2, t->synthesis, 2 * m2, t->planes + i * row, c},
            {extra.k, extra.a + i * s2 * extra.lda, extra.lda, extra.b, extra.ldb}};
        sciml_cpu_dense_terms(s2, c, extra.k > 0 ? 2 : 1, terms, bias, add, activation,
                              x + i * s2 * c, c);
    }
}

/* kept (kept, c, 2), scaled by w / N when scale_by_weight -> x (s1, s2, c), added when add. */
static void direct_adjoint(transform_state *t, const double *kept, int scale_by_weight, double *x,
                           int add) {
    direct_planes(t, kept, scale_by_weight);
    const sciml_cpu_term none = {0, NULL, 0, NULL, 0};
    direct_synthesis(t, none, NULL, SCIML_CPU_IDENTITY, x, add);
}

/* Truncated rfft forward: out (batch, kept, channels, 2) = the kept modes of rfft(x). */
static sciml_status rfft_forward(void *state, int input_count, const sciml_tensor_view *inputs,
                                 sciml_tensor_view *out, void *scratch) {
    (void)input_count, (void)scratch;
    transform_state *t = state;
    const int64_t c = t->channels, sample = t->points * c, batch = inputs[0].count / sample;
    for (int64_t b = 0; b < batch; b++) {
        if (t->table) {
            direct_analysis(t, inputs[0].value + b * sample, out->value + b * t->kept * c * 2, 0,
                            0);
            continue;
        }
        transpose(inputs[0].value + b * sample, t->points, c, c, t->real, t->real_stride, 0);
        fftw_execute(t->forward_plan);
        gather(t, out->value + b * t->kept * c * 2, 0);
    }
    return SCIML_OK;
}

/* Truncated rfft backward: gx += c2r(pad(gX) / w). */
static sciml_status rfft_backward(void *state, int input_count, const sciml_tensor_view *inputs,
                                  const sciml_tensor_view *out, void *scratch) {
    (void)input_count, (void)scratch;
    transform_state *t = state;
    if (!inputs[0].grad)
        return SCIML_OK;
    const int64_t c = t->channels, sample = t->points * c, batch = inputs[0].count / sample;
    for (int64_t b = 0; b < batch; b++) {
        if (t->table) {
            direct_adjoint(t, out->grad + b * t->kept * c * 2, 0, inputs[0].grad + b * sample, 1);
            continue;
        }
        scatter(t, out->grad + b * t->kept * c * 2, 1);
        fftw_execute(t->inverse_plan);
        transpose(t->real, c, t->points, t->real_stride, inputs[0].grad + b * sample, c, 1);
    }
    return SCIML_OK;
}

/* Padded irfft forward: y = (1/N) c2r(pad(Y)). */
static sciml_status irfft_forward(void *state, int input_count, const sciml_tensor_view *inputs,
                                  sciml_tensor_view *out, void *scratch) {
    (void)input_count, (void)scratch;
    transform_state *t = state;
    const int64_t c = t->channels, sample = t->points * c, batch = out->count / sample;
    for (int64_t b = 0; b < batch; b++) {
        if (t->table) {
            direct_adjoint(t, inputs[0].value + b * t->kept * c * 2, 1, out->value + b * sample, 0);
            continue;
        }
        scatter(t, inputs[0].value + b * t->kept * c * 2, 0);
        fftw_execute(t->inverse_plan);
        transpose(t->real, c, t->points, t->real_stride, out->value + b * sample, c, 0);
    }
    return SCIML_OK;
}

/* Padded irfft backward: gY += (w / N) rfft(gy) on the kept modes. */
static sciml_status irfft_backward(void *state, int input_count, const sciml_tensor_view *inputs,
                                   const sciml_tensor_view *out, void *scratch) {
    (void)input_count, (void)scratch;
    transform_state *t = state;
    if (!inputs[0].grad)
        return SCIML_OK;
    const int64_t c = t->channels, sample = t->points * c, batch = out->count / sample;
    for (int64_t b = 0; b < batch; b++) {
        if (t->table) {
            direct_analysis(t, out->grad + b * sample, inputs[0].grad + b * t->kept * c * 2, 1, 1);
            continue;
        }
        transpose(out->grad + b * sample, t->points, c, c, t->real, t->real_stride, 0);
        fftw_execute(t->forward_plan);
        gather(t, inputs[0].grad + b * t->kept * c * 2, 1);
    }
    return SCIML_OK;
}

static const sciml_op_def rfft_op = {"spectral_rfft", rfft_forward, rfft_backward,
                                     transform_destroy};
static const sciml_op_def irfft_op = {"spectral_irfft", irfft_forward, irfft_backward,
                                      transform_destroy};

/* Plans for one sample, channel-first (channels, size[0], size[1]) with contiguous channels
 * (FFTW_ESTIMATE: deterministic, so runs repeat bit for bit, and it leaves the buffers alone).
 * NULL when FFTW or memory fails. Sizes are checked by the caller (products fit an int). */
/* AUTO's choice. The direct products cost 4 m2 s1 s2 + 8 R m2 s1 multiply-adds per channel
 * (R = 2 m1 in 2D, 0 in 1D), the FFT about 2.5 N log2 N plus two transposes and runs several
 * times slower per operation than the GEMMs: direct when its count is at most 8 N log2 N.
 * Measured: 1D s = 1024, 64 channels, 16 modes: the direct products take about half the time
 * of transposes plus FFTW; 2D 94 x 94 (Darcy with padding), 32 channels, 12 x 12 modes: FFTW
 * spent a third of the epoch on sizes with the factor 47. */
static int use_direct(sciml_spectral_transform transform, int dims, const int64_t size[2],
                      const int64_t modes[2]) {
    if (transform != SCIML_SPECTRAL_AUTO)
        return transform == SCIML_SPECTRAL_DIRECT;
    const double n = (double)size[0] * (double)size[1];
    const double rows = dims == 2 ? 2.0 * (double)modes[0] : 0.0;
    const double direct = 4.0 * (double)modes[1] * n + 8.0 * rows * (double)modes[1] * size[0];
    return direct <= 8.0 * n * log2(n);
}

/* cos and sin of 2 pi m / s for 0 <= m < s, exact at multiples of pi / 2. */
static void unit_circle(int64_t m, int64_t s, double *cosine, double *sine) {
    const long double angle = 2.0L * acosl(-1.0L) * (long double)m / (long double)s;
    *cosine = (double)cosl(angle);
    *sine = (double)sinl(angle);
    if ((2 * m) % s == 0)
        *sine = 0.0;
    else if ((4 * m) % s == 0)
        *cosine = 0.0;
}

/* T2: rows cos theta2(k2, n), -sin theta2(k2, n) for k2 < m2 (angle reduced exactly). */
static double *direct_table(int64_t modes, int64_t points) {
    double *table = sciml_alloc_array((size_t)(2 * modes * points), sizeof(double));
    if (!table)
        return NULL;
    for (int64_t k = 0; k < modes; k++)
        for (int64_t n = 0; n < points; n++) {
            double c, s;
            unit_circle((k * n) % points, points, &c, &s);
            table[2 * k * points + n] = c;
            table[(2 * k + 1) * points + n] = -s;
        }
    return table;
}

/* (cols, rows) copy of a (rows, cols) table, NULL when table is NULL or memory fails. */
static double *transposed(const double *table, int64_t rows, int64_t cols) {
    double *copy = table ? sciml_alloc_array((size_t)(rows * cols), sizeof(double)) : NULL;
    if (!copy)
        return NULL;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t j = 0; j < cols; j++)
            copy[j * rows + r] = table[r * cols + j];
    return copy;
}

/* T1: R rows cos theta1(k1(r), i), then R rows sin theta1(k1(r), i), R = 2 m1. */
static double *direct_row_table(int64_t m1, int64_t s1) {
    const int64_t rows = 2 * m1;
    double *table = sciml_alloc_array((size_t)(2 * rows * s1), sizeof(double));
    if (!table)
        return NULL;
    for (int64_t r = 0; r < rows; r++) {
        const int64_t k1 = r < m1 ? r : s1 - m1 + (r - m1);
        for (int64_t i = 0; i < s1; i++)
            unit_circle((k1 * i) % s1, s1, &table[r * s1 + i], &table[(rows + r) * s1 + i]);
    }
    return table;
}

/* shared: the tables of the layer's other transform, or NULL to make them */
static transform_state *transform_create(int dims, const int64_t size[2], const int64_t modes[2],
                                         int64_t channels, sciml_spectral_transform transform,
                                         direct_tables *shared) {
    transform_state *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->dims = dims;
    t->size[0] = size[0];
    t->size[1] = size[1];
    t->half = size[1] / 2 + 1;
    t->modes[0] = modes[0];
    t->modes[1] = modes[1];
    t->kept = dims == 2 ? 2 * modes[0] * modes[1] : modes[1];
    t->channels = channels;
    t->points = size[0] * size[1];
    t->frequencies = size[0] * t->half;
    t->real_stride = t->points + REAL_PAD;
    t->inverse_points = 1.0 / (double)t->points;
    if (use_direct(transform, dims, size, modes)) {
        if (shared) {
            shared->references++;
            t->tables = shared;
        } else if ((t->tables = calloc(1, sizeof *t->tables))) {
            t->tables->references = 1;
            t->tables->last_axis = direct_table(modes[1], size[1]);
            t->tables->synthesis = transposed(t->tables->last_axis, 2 * modes[1], size[1]);
            if (dims == 2)
                t->tables->first_axis = direct_row_table(modes[0], size[0]);
        }
        t->planes = sciml_alloc_array((size_t)(size[0] * 2 * modes[1] * channels), sizeof(double));
        if (dims == 2)
            t->mixed =
                sciml_alloc_array((size_t)(4 * modes[0] * 2 * modes[1] * channels), sizeof(double));
        if (t->tables) {
            t->table = t->tables->last_axis;
            t->synthesis = t->tables->synthesis;
            t->table_rows = t->tables->first_axis;
        }
        if (!t->table || !t->synthesis || !t->planes ||
            (dims == 2 && (!t->table_rows || !t->mixed))) {
            transform_destroy(t);
            return NULL;
        }
        return t;
    }
    t->real = fftw_malloc((size_t)(t->real_stride * channels) * sizeof(double));
    t->spectrum = fftw_malloc((size_t)(t->frequencies * channels) * sizeof(fftw_complex));
    if (!t->real || !t->spectrum) {
        transform_destroy(t);
        return NULL;
    }
    const int n[2] = {(int)size[0], (int)size[1]};
    const int *extent = dims == 2 ? n : n + 1;
    t->forward_plan =
        fftw_plan_many_dft_r2c(dims, extent, (int)channels, t->real, NULL, 1, (int)t->real_stride,
                               t->spectrum, NULL, 1, (int)t->frequencies, FFTW_ESTIMATE);
    t->inverse_plan = fftw_plan_many_dft_c2r(dims, extent, (int)channels, t->spectrum, NULL, 1,
                                             (int)t->frequencies, t->real, NULL, 1,
                                             (int)t->real_stride, FFTW_ESTIMATE);
    if (!t->forward_plan || !t->inverse_plan) {
        transform_destroy(t);
        return NULL;
    }
    return t;
}

/* ---- mode mixing: Y_q = X_q W_q per kept mode, one zgemm over the batch ---------------------- */

typedef struct mix_state {
    int64_t kept, input_channels, output_channels;
} mix_state;

static sciml_status mix_forward(void *state, int input_count, const sciml_tensor_view *inputs,
                                sciml_tensor_view *out, void *scratch) {
    (void)input_count, (void)scratch;
    const mix_state *m = state;
    const int64_t q_count = m->kept, ci = m->input_channels, co = m->output_channels;
    const int64_t batch = inputs[0].count / (q_count * ci * 2);
    const double one[2] = {1.0, 0.0}, zero[2] = {0.0, 0.0};
    for (int64_t q = 0; q < q_count; q++)
        cblas_zgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (blasint)batch, (blasint)co,
                    (blasint)ci, one, inputs[0].value + q * ci * 2, (blasint)(q_count * ci),
                    inputs[1].value + q * ci * co * 2, (blasint)co, zero, out->value + q * co * 2,
                    (blasint)(q_count * co));
    return SCIML_OK;
}

static sciml_status mix_backward(void *state, int input_count, const sciml_tensor_view *inputs,
                                 const sciml_tensor_view *out, void *scratch) {
    (void)input_count, (void)scratch;
    const mix_state *m = state;
    const int64_t q_count = m->kept, ci = m->input_channels, co = m->output_channels;
    const int64_t batch = inputs[0].count / (q_count * ci * 2);
    const double one[2] = {1.0, 0.0};
    for (int64_t q = 0; q < q_count; q++) {
        const double *x = inputs[0].value + q * ci * 2, *w = inputs[1].value + q * ci * co * 2;
        const double *gy = out->grad + q * co * 2;
        if (inputs[0].grad) /* gX_q += gY_q W_q^H */
            cblas_zgemm(CblasRowMajor, CblasNoTrans, CblasConjTrans, (blasint)batch, (blasint)ci,
                        (blasint)co, one, gy, (blasint)(q_count * co), w, (blasint)co, one,
                        inputs[0].grad + q * ci * 2, (blasint)(q_count * ci));
        if (inputs[1].grad) /* gW_q += X_q^H gY_q */
            cblas_zgemm(CblasRowMajor, CblasConjTrans, CblasNoTrans, (blasint)ci, (blasint)co,
                        (blasint)batch, one, x, (blasint)(q_count * ci), gy,
                        (blasint)(q_count * co), one, inputs[1].grad + q * ci * co * 2,
                        (blasint)co);
    }
    return SCIML_OK;
}

static void mix_destroy(void *state) {
    free(state);
}

static const sciml_op_def mix_op = {"spectral_mix", mix_forward, mix_backward, mix_destroy};

/* ---- the fused Fourier layer: y = act(C(Y) + x W + b) --------------------------------------- *
 * One node for the synthesis, the pointwise linear path, the bias and the activation: with the
 * direct transforms each grid row of the output is a single pass of the dense kernel over
 * [x_row | T2^T] (s2, c_in + 2 m2) times [W; A_i] (c_in + 2 m2, c_out), started from the bias,
 * activated before the store; with FFTW the irfft is written first and the pointwise product
 * accumulated onto it. The backward pass recomputes the pre-activation z of one sample at a
 * time in the graph's scratch (no copy of z is kept between forward and backward):
 *   gz = act'(z) gy,   gY += C^T gz,   gx += gz W^T,   gW += x^T gz,   gb += sum_rows gz. */

typedef struct layer_state {
    transform_state *t; /* the synthesis (c_out channels), owned */
    int64_t input_channels, output_channels;
    sciml_cpu_activation activation;
} layer_state;

static void layer_destroy(void *state) {
    layer_state *l = state;
    if (!l)
        return;
    transform_destroy(l->t);
    free(l);
}

/* z or y of one sample: out (points, c_out) = act(C(Y) + x W + b). */
static void layer_sample(layer_state *l, const double *kept, const double *x, const double *weight,
                         const double *bias, sciml_cpu_activation activation, double *out) {
    transform_state *t = l->t;
    const int64_t ci = l->input_channels, co = l->output_channels;
    if (t->table) {
        direct_planes(t, kept, 1);
        const sciml_cpu_term pointwise = {ci, x, ci, weight, co};
        direct_synthesis(t, pointwise, bias, activation, out, 0);
        return;
    }
    scatter(t, kept, 0);
    fftw_execute(t->inverse_plan);
    transpose(t->real, co, t->points, t->real_stride, out, co, 0);
    const sciml_cpu_term pointwise = {ci, x, ci, weight, co};
    sciml_cpu_dense_terms(t->points, co, 1, &pointwise, bias, 1, activation, out, co);
}

/* inputs: Y (batch, kept, c_out, 2), x (batch, ..., c_in), W (c_in, c_out), b (c_out). */
static sciml_status layer_forward(void *state, int input_count, const sciml_tensor_view *inputs,
                                  sciml_tensor_view *out, void *scratch) {
    (void)input_count, (void)scratch;
    layer_state *l = state;
    const transform_state *t = l->t;
    const int64_t ci = l->input_channels, co = l->output_channels;
    const int64_t batch = out->count / (t->points * co);
    for (int64_t b = 0; b < batch; b++)
        layer_sample(l, inputs[0].value + b * t->kept * co * 2,
                     inputs[1].value + b * t->points * ci, inputs[2].value, inputs[3].value,
                     l->activation, out->value + b * t->points * co);
    return SCIML_OK;
}

static sciml_status layer_backward(void *state, int input_count, const sciml_tensor_view *inputs,
                                   const sciml_tensor_view *out, void *scratch) {
    (void)input_count;
    layer_state *l = state;
    transform_state *t = l->t;
    const int64_t ci = l->input_channels, co = l->output_channels, points = t->points;
    const int64_t batch = out->count / (points * co);
    double *z = scratch, *gz = z + points * co; /* (points, c_out) each, one sample */
    for (int64_t b = 0; b < batch; b++) {
        const double *x = inputs[1].value + b * points * ci;
        const double *gy = out->grad + b * points * co;
        if (l->activation == SCIML_CPU_GELU) {
            layer_sample(l, inputs[0].value + b * t->kept * co * 2, x, inputs[2].value,
                         inputs[3].value, SCIML_CPU_IDENTITY, z);
            sciml_cpu_gelu_backward(points * co, z, out->value + b * points * co, gy, gz, 0);
            gy = gz;
        }
        if (inputs[0].grad) {
            double *g_kept = inputs[0].grad + b * t->kept * co * 2;
            if (t->table) {
                direct_analysis(t, gy, g_kept, 1, 1);
            } else {
                transpose(gy, points, co, co, t->real, t->real_stride, 0);
                fftw_execute(t->forward_plan);
                gather(t, g_kept, 1);
            }
        }
        if (inputs[1].grad)
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)points, (int)ci, (int)co, 1.0,
                        gy, (int)co, inputs[2].value, (int)co, 1.0,
                        inputs[1].grad + b * points * ci, (int)ci);
        if (inputs[2].grad)
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)ci, (int)co, (int)points, 1.0,
                        x, (int)ci, gy, (int)co, 1.0, inputs[2].grad, (int)co);
        if (inputs[3].grad)
            for (int64_t p = 0; p < points; p++)
                for (int64_t o = 0; o < co; o++)
                    inputs[3].grad[o] += gy[p * co + o];
    }
    return SCIML_OK;
}

static const sciml_op_def layer_op = {"fourier_layer", layer_forward, layer_backward,
                                      layer_destroy};

/* ---- the layer ------------------------------------------------------------------------------ */

sciml_status sciml_spectral_conv_create(sciml_ctx *ctx, sciml_graph *g, const char *name, int dims,
                                        const int64_t *modes, int64_t input_channels,
                                        int64_t output_channels, sciml_spectral_conv *out) {
    if (!g || !name || !modes || !out)
        return sciml_error(ctx, SCIML_ERR_ARG, "spectral conv: NULL argument");
    if (!*name || strlen(name) + 8 >= SCIML_MAX_NAME)
        return sciml_error(ctx, SCIML_ERR_ARG, "spectral conv: name '%s' must have 1 to %d bytes",
                           name, SCIML_MAX_NAME - 9);
    if (dims != 1 && dims != 2)
        return sciml_error(ctx, SCIML_ERR_ARG, "spectral conv '%s': %d dimensions, expected 1 or 2",
                           name, dims);
    if (input_channels < 1 || input_channels > SCIML_MAX_LAYER_WIDTH || output_channels < 1 ||
        output_channels > SCIML_MAX_LAYER_WIDTH)
        return sciml_error(
            ctx, SCIML_ERR_RANGE, "spectral conv '%s': channels (%lld, %lld), expected 1..%d", name,
            (long long)input_channels, (long long)output_channels, SCIML_MAX_LAYER_WIDTH);
    for (int d = 0; d < dims; d++)
        if (modes[d] < 1 || modes[d] > INT_MAX)
            return sciml_error(ctx, SCIML_ERR_RANGE,
                               "spectral conv '%s': modes[%d] = %lld, expected >= 1", name, d,
                               (long long)modes[d]);
    sciml_spectral_conv layer;
    memset(&layer, 0, sizeof layer);
    snprintf(layer.name, sizeof layer.name, "%s", name);
    layer.dims = dims;
    layer.modes[0] = modes[0];
    layer.modes[1] = dims == 2 ? modes[1] : 1;
    layer.input_channels = input_channels;
    layer.output_channels = output_channels;
    int64_t shape[SCIML_MAX_DIMS], total = 2;
    int ndim = 0;
    if (dims == 2) {
        shape[ndim++] = 2;
        shape[ndim++] = modes[0];
        shape[ndim++] = modes[1];
    } else {
        shape[ndim++] = modes[0];
    }
    shape[ndim++] = input_channels;
    shape[ndim++] = output_channels;
    shape[ndim++] = 2;
    for (int d = 0; d < ndim; d++)
        if (sciml_mul_i64(total, shape[d], &total) || total > INT_MAX)
            return sciml_error(ctx, SCIML_ERR_OVERFLOW,
                               "spectral conv '%s': the weight has too many entries", name);
    char param_name[SCIML_MAX_NAME];
    snprintf(param_name, sizeof param_name, "%s.weight", name);
    layer.weight = sciml_graph_param(g, param_name, ndim, shape);
    if (layer.weight == SCIML_NO_NODE)
        return sciml_ctx_status(ctx) != SCIML_OK
                   ? sciml_ctx_status(ctx)
                   : sciml_error(ctx, SCIML_ERR_ARG,
                                 "spectral conv '%s': cannot add parameter '%s'", name, param_name);
    *out = layer;
    return SCIML_OK;
}

int64_t sciml_spectral_conv_param_count(const sciml_spectral_conv *layer) {
    if (!layer)
        return 0;
    const int64_t kept = layer->dims == 2 ? 2 * layer->modes[0] * layer->modes[1] : layer->modes[0];
    return kept * layer->input_channels * layer->output_channels * 2;
}

/* Checks x against the layer; fills size (1D: (1, s)) and modes (1D: (1, modes)). */
static sciml_status check_input(sciml_ctx *ctx, sciml_graph *g, const sciml_spectral_conv *layer,
                                sciml_node x, int64_t size[2], int64_t modes[2]) {
    int64_t shape[SCIML_MAX_DIMS];
    const int ndim = sciml_graph_shape(g, x, shape);
    const int want = layer->dims + 2;
    if (ndim == 0)
        return sciml_error(ctx, SCIML_ERR_ARG, "spectral conv '%s': input node %d is invalid",
                           layer->name, (int)x);
    if (ndim != want)
        return sciml_error(ctx, SCIML_ERR_SHAPE,
                           "spectral conv '%s': input has %d dimensions, expected %d (%s)",
                           layer->name, ndim, want,
                           layer->dims == 1 ? "batch, x, channel" : "batch, x, y, channel");
    if (shape[ndim - 1] != layer->input_channels)
        return sciml_error(ctx, SCIML_ERR_SHAPE,
                           "spectral conv '%s': input has %lld channels (last axis), expected %lld",
                           layer->name, (long long)shape[ndim - 1],
                           (long long)layer->input_channels);
    size[0] = layer->dims == 2 ? shape[1] : 1;
    size[1] = shape[ndim - 2];
    modes[0] = layer->dims == 2 ? layer->modes[0] : 1;
    modes[1] = layer->dims == 2 ? layer->modes[1] : layer->modes[0];
    int64_t points, widest = layer->input_channels > layer->output_channels
                                 ? layer->input_channels
                                 : layer->output_channels;
    if (size[0] > INT_MAX || size[1] > INT_MAX || sciml_mul_i64(size[0], size[1], &points) ||
        points > INT_MAX - REAL_PAD || sciml_mul_i64(points + REAL_PAD, widest, &points) ||
        points > INT_MAX)
        return sciml_error(ctx, SCIML_ERR_OVERFLOW,
                           "spectral conv '%s': a sample of %lld x %lld x %lld is too large",
                           layer->name, (long long)size[0], (long long)size[1], (long long)widest);
    const int64_t half = size[1] / 2 + 1;
    if (layer->dims == 1 && modes[1] > half)
        return sciml_error(ctx, SCIML_ERR_RANGE,
                           "spectral conv '%s': %lld modes do not fit %lld points, expected "
                           "modes <= s/2 + 1 = %lld (or s >= %lld)",
                           layer->name, (long long)modes[1], (long long)size[1], (long long)half,
                           (long long)(2 * modes[1] - 2));
    if (layer->dims == 2 && (2 * modes[0] > size[0] || modes[1] > half))
        return sciml_error(ctx, SCIML_ERR_RANGE,
                           "spectral conv '%s': modes (%lld, %lld) do not fit %lld x %lld points, "
                           "expected 2 modes1 <= s1 and modes2 <= s2/2 + 1",
                           layer->name, (long long)modes[0], (long long)modes[1],
                           (long long)size[0], (long long)size[1]);
    return SCIML_OK;
}

/* The spectral convolution of x alone (pointwise NULL), or the fused Fourier layer. */
static sciml_node spectral_apply(sciml_ctx *ctx, sciml_graph *g, const sciml_spectral_conv *layer,
                                 sciml_node x, const sciml_dense *pointwise,
                                 sciml_activation activation) {
    if (!g || !layer) {
        sciml_error(ctx, SCIML_ERR_ARG, "spectral conv: NULL argument");
        return SCIML_NO_NODE;
    }
    int64_t size[2], modes[2];
    if (check_input(ctx, g, layer, x, size, modes) != SCIML_OK)
        return SCIML_NO_NODE;
    layer_state *fused = NULL;
    if (pointwise) {
        if (pointwise->input_size != layer->input_channels ||
            pointwise->output_size != layer->output_channels) {
            sciml_error(ctx, SCIML_ERR_SHAPE,
                        "fourier layer '%s': the pointwise layer maps %lld to %lld channels, "
                        "expected %lld to %lld",
                        layer->name, (long long)pointwise->input_size,
                        (long long)pointwise->output_size, (long long)layer->input_channels,
                        (long long)layer->output_channels);
            return SCIML_NO_NODE;
        }
        if (activation != SCIML_ACT_IDENTITY && activation != SCIML_ACT_GELU) {
            sciml_error(ctx, SCIML_ERR_UNSUPPORTED,
                        "fourier layer '%s': activation %d, expected identity or GELU", layer->name,
                        (int)activation);
            return SCIML_NO_NODE;
        }
        if (!(fused = calloc(1, sizeof *fused))) {
            sciml_error(ctx, SCIML_ERR_NOMEM, "fourier layer '%s': out of memory", layer->name);
            return SCIML_NO_NODE;
        }
        fused->input_channels = layer->input_channels;
        fused->output_channels = layer->output_channels;
        fused->activation = activation == SCIML_ACT_GELU ? SCIML_CPU_GELU : SCIML_CPU_IDENTITY;
    }
    int64_t shape[SCIML_MAX_DIMS];
    const int ndim = sciml_graph_shape(g, x, shape);
    const int64_t kept = layer->dims == 2 ? 2 * modes[0] * modes[1] : modes[1];
    const int64_t ci = layer->input_channels, co = layer->output_channels;

    transform_state *forward =
        transform_create(layer->dims, size, modes, ci, layer->transform, NULL);
    transform_state *inverse =
        forward ? transform_create(layer->dims, size, modes, co, layer->transform, forward->tables)
                : NULL;
    mix_state *mix = inverse ? calloc(1, sizeof *mix) : NULL;
    if (!mix) {
        free(fused);
        transform_destroy(forward);
        transform_destroy(inverse);
        sciml_error(ctx, SCIML_ERR_NOMEM,
                    "spectral conv '%s': cannot make FFTW plans or buffers for %lld x %lld points",
                    layer->name, (long long)size[0], (long long)size[1]);
        return SCIML_NO_NODE;
    }
    mix->kept = kept;
    mix->input_channels = ci;
    mix->output_channels = co;

    /* The graph owns each state from its sciml_custom call on, also when the call fails. */
    const int64_t spectrum_in[4] = {shape[0], kept, ci, 2};
    sciml_node x_kept = sciml_custom(g, &rfft_op, forward, 1, &x, 4, spectrum_in, 0);
    /* the transforms are linear: their backward reads no value; the mix reads both spectra */
    if (x_kept != SCIML_NO_NODE && sciml_custom_set_backward_reads(g, x_kept, 0, 0) != SCIML_OK)
        x_kept = SCIML_NO_NODE;
    if (x_kept == SCIML_NO_NODE) {
        free(fused);
        free(mix);
        transform_destroy(inverse);
        return SCIML_NO_NODE;
    }
    const int64_t spectrum_out[4] = {shape[0], kept, co, 2};
    const sciml_node mix_inputs[2] = {x_kept, layer->weight};
    sciml_node y_kept = sciml_custom(g, &mix_op, mix, 2, mix_inputs, 4, spectrum_out, 0);
    if (y_kept != SCIML_NO_NODE && sciml_custom_set_backward_reads(g, y_kept, 3u, 0) != SCIML_OK)
        y_kept = SCIML_NO_NODE;
    if (y_kept == SCIML_NO_NODE) {
        free(fused);
        transform_destroy(inverse);
        return SCIML_NO_NODE;
    }
    shape[ndim - 1] = co;
    if (!fused) {
        sciml_node y = sciml_custom(g, &irfft_op, inverse, 1, &y_kept, ndim, shape, 0);
        if (y != SCIML_NO_NODE && sciml_custom_set_backward_reads(g, y, 0, 0) != SCIML_OK)
            return SCIML_NO_NODE;
        return y;
    }
    fused->t = inverse;
    const sciml_node layer_inputs[4] = {y_kept, x, pointwise->weight, pointwise->bias};
    const size_t scratch = (size_t)(2 * inverse->points * co) * sizeof(double); /* z, gz */
    return sciml_custom(g, &layer_op, fused, 4, layer_inputs, ndim, shape, scratch);
}

sciml_node sciml_spectral_conv_apply(sciml_ctx *ctx, sciml_graph *g,
                                     const sciml_spectral_conv *layer, sciml_node x) {
    return spectral_apply(ctx, g, layer, x, NULL, SCIML_ACT_IDENTITY);
}

sciml_node sciml_fourier_layer_apply(sciml_ctx *ctx, sciml_graph *g,
                                     const sciml_spectral_conv *layer, const sciml_dense *pointwise,
                                     sciml_activation activation, sciml_node x) {
    if (!pointwise) {
        sciml_error(ctx, SCIML_ERR_ARG, "fourier layer: NULL pointwise layer");
        return SCIML_NO_NODE;
    }
    return spectral_apply(ctx, g, layer, x, pointwise, activation);
}

sciml_status sciml_spectral_conv_init(sciml_ctx *ctx, sciml_graph *g,
                                      const sciml_spectral_conv *layer, sciml_rng *rng) {
    if (!g || !layer || !rng)
        return sciml_error(ctx, SCIML_ERR_ARG, "spectral conv init: NULL argument");
    double *params = sciml_graph_params(g);
    const int64_t offset = sciml_graph_param_offset(g, layer->weight);
    if (!params || offset < 0)
        return sciml_error(
            ctx, SCIML_ERR_STATE,
            "spectral conv init: the graph must be built and own the layer's weight");
    const int64_t count = sciml_spectral_conv_param_count(layer);
    const double scale = 1.0 / ((double)layer->input_channels * (double)layer->output_channels);
    for (int64_t i = 0; i < count; i++)
        params[offset + i] = scale * sciml_rng_uniform(rng);
    return SCIML_OK;
}
