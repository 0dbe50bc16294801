/* Vectorisable tanh, sigmoid and exp for the CPU backend.
 *
 * libm's tanh costs 6-13 ns per element, as much as the matrix products of a width-64 MLP, and
 * its branches stop the compiler from vectorising. These loops are branch-free (selects, not
 * jumps) so GCC turns them into SIMD code at -O2/-O3 without -ffast-math.
 *
 * Maths. With y = 2|x| (clamped to 40, beyond which tanh rounds to 1):
 *     tanh|x| = e / (e + 2),   e = expm1(y) >= 0,
 * which has no cancellation for small |x| because expm1 is computed directly:
 *     y = k ln2 + r, |r| <= ln2/2 (Cody-Waite split of ln2, k found by the 1.5 * 2^52 rounding
 *     trick), expm1(y) = 2^k expm1(r) + (2^k - 1),
 *     expm1(r) = r + r^2/2! + ... + r^13/13! (Taylor; remainder < 5e-18 relative on |r| <= ln2/2).
 * 2^k is assembled from its exponent bits. The sign is restored with copysign, so tanh(-0) =
 * -0, tanh(+-Inf) = +-1 and NaN propagates. Error: a few ulp (tested below 1e-15 relative).
 * exp(x) = 2^k (1 + expm1(r)) with 2^k applied as two factors so that results down to the
 * subnormal range are right; sigmoid(x) = 1/(1 + z) for x >= 0 and z/(1 + z) for x < 0 with
 * z = exp(-|x|), accurate in both tails.
 */
/* Comparisons used as selects: let GCC if-convert them (no FP traps are enabled anyway). NaN
 * semantics are kept: this is not -ffast-math. */
#pragma GCC optimize("no-trapping-math")

#include "backend/cpu.h"

#include <math.h>
#include <string.h>

/* x86-64: one copy of each loop per vector width, picked at load time (ifunc). The code uses no
 * FMA contraction (C11 mode), so every copy gives bit-identical results. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#define SCIML_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define SCIML_VECTOR_CLONES
#endif

#define LN2_HI 6.93147180369123816490e-01 /* ln 2 with 32 trailing zero bits: k LN2_HI exact */
#define LN2_LO 1.90821492927058770002e-10
#define INV_LN2 1.44269504088896338700e+00
#define ROUND_SHIFT 6755399441055744.0 /* 1.5 * 2^52: adding it rounds to an integer */

static inline uint64_t double_bits(double value) {
    uint64_t bits;
    memcpy(&bits, &value, sizeof bits);
    return bits;
}

static inline double bits_double(uint64_t bits) {
    double value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

/* expm1(r) for |r| <= ln2/2 (Taylor series to degree 13, Horner form). */
static inline double expm1_reduced(double r) {
    double p = 1.0 / 6227020800.0; /* 1/13! */
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    return r + (r * r) * p;
}

/* 2^k for an integer k in [-1022, 1023] given as t = k + ROUND_SHIFT. */
static inline double pow2_from_shifted(double t) {
    uint64_t k = double_bits(t) - double_bits(ROUND_SHIFT); /* two's complement k */
    return bits_double((k + 1023u) << 52);
}

static inline double tanh_one(double x) {
    double ax = fabs(x);
    ax = ax > 20.0 ? 20.0 : ax; /* NaN stays NaN */
    double y = 2.0 * ax;
    double t = y * INV_LN2 + ROUND_SHIFT;
    double k = t - ROUND_SHIFT;
    double r = (y - k * LN2_HI) - k * LN2_LO;
    double scale = pow2_from_shifted(t);
    double e = scale * expm1_reduced(r) + (scale - 1.0);
    return copysign(e / (e + 2.0), x);
}

static inline double exp_one(double x) {
    double a = x > 710.0 ? 710.0 : x;
    a = a < -746.0 ? -746.0 : a; /* NaN passes both */
    double t = a * INV_LN2 + ROUND_SHIFT;
    double k = t - ROUND_SHIFT;
    double r = (a - k * LN2_HI) - k * LN2_LO;
    /* 2^k = 2^k1 2^k2 with k1 = round(k/2), k2 = k - k1, both inside the normal range. */
    double t1 = k * 0.5 + ROUND_SHIFT;
    double k1 = t1 - ROUND_SHIFT;
    double t2 = (k - k1) + ROUND_SHIFT;
    return ((1.0 + expm1_reduced(r)) * pow2_from_shifted(t1)) * pow2_from_shifted(t2);
}

SCIML_VECTOR_CLONES
void sciml_cpu_tanh(int64_t count, const double *restrict x, double *restrict y) {
    for (int64_t i = 0; i < count; i++)
        y[i] = tanh_one(x[i]);
}

SCIML_VECTOR_CLONES
void sciml_cpu_exp(int64_t count, const double *restrict x, double *restrict y) {
    for (int64_t i = 0; i < count; i++)
        y[i] = exp_one(x[i]);
}

SCIML_VECTOR_CLONES
void sciml_cpu_sigmoid(int64_t count, const double *restrict x, double *restrict y) {
    for (int64_t i = 0; i < count; i++) {
        double z = exp_one(-fabs(x[i]));
        double s = 1.0 / (1.0 + z);
        y[i] = x[i] >= 0.0 ? s : z * s;
    }
}
