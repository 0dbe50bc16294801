/* Vectorisable tanh, sigmoid, exp and GELU for the CPU backend.
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
 *
 * GELU(x) = x Phi(x) and GELU'(x) = Phi(x) + x phi(x) need the normal CDF Phi and density phi.
 * Both come from one exponential. With z = |x|/sqrt 2,
 *     Phi(-|x|) = erfc(z) / 2 = exp(-x^2/2) erfcx(z) / 2,   Phi(|x|) = 1 - Phi(-|x|),
 *     phi(x) = exp(-x^2/2) / sqrt(2 pi),
 * so only erfc on z >= 0 is needed: no cancellation near 0, relative accuracy in the left tail.
 * erfcx(z) = exp(z^2) erfc(z) is smooth on [0, inf) and decays like 1/(z sqrt pi); in the
 * variable t = (z - K)/(z + K), K = 3.75, which maps [0, inf) onto [-1, 1), (1 + 2z) erfcx(z)
 * is a single Chebyshev series (the idea of Schonfelder, Math. Comp. 1978, and Shepherd and
 * Laframboise, Math. Comp. 1981): 25 terms reach 1e-17 relative on z <= 40 (coefficients
 * computed here at 40 digits with mpmath from Chebyshev nodes), evaluated as a polynomial, so
 * there is no branch and no table lookup. exp(-x^2/2) is evaluated from an
 * exact split x^2 = xh^2 + (2 xh xl + xl^2) (Dekker: xh carries 26 bits, so xh^2 is exact) with
 * the small part added after the argument reduction: a rounded x^2 alone would cost x^2 ulp
 * (1e-13 relative at x = 38). |x| is clamped to 40, where Phi(-40) underflows to 0.
 */
/* Comparisons used as selects: let GCC if-convert them (no FP traps are enabled anyway). NaN
 * semantics are kept: this is not -ffast-math. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif

#include "backend/cpu.h"

#include <math.h>
#include <string.h>

/* x86-64: each loop is compiled three times, for x86-64-v4 (AVX-512), x86-64-v3 (AVX2 + FMA)
 * and the baseline, and the dynamic loader picks one for the CPU (ifunc). The v3/v4 copies
 * evaluate the polynomials with fused multiply-adds (a third fewer operations, and each step
 * rounded once); the baseline copy, whose CPUs may lack FMA, uses separate multiplies and adds.
 * Results may therefore differ in the last bit between machines, as OpenBLAS's do; on one
 * machine they are deterministic. Elsewhere (other compilers or systems) the baseline loop. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#define SCIML_DISPATCH 1
#endif

/* a b + c: fused where the copy has FMA (fused is a compile-time constant after inlining) */
static inline __attribute__((always_inline)) double madd(double a, double b, double c, int fused) {
    return fused ? __builtin_fma(a, b, c) : a * b + c;
}

/* Defines `void name params` from `static inline void name##_loop(int fused, params)`; args
 * are the parameter names in parentheses. */
#define SCIML_UNPACK(...) __VA_ARGS__
#ifdef SCIML_DISPATCH
#define SCIML_KERNEL(name, params, args)                                                           \
    __attribute__((target("arch=x86-64-v4"))) static void name##_v4 params {                       \
        name##_loop(1, SCIML_UNPACK args);                                                         \
    }                                                                                              \
    __attribute__((target("arch=x86-64-v3"))) static void name##_v3 params {                       \
        name##_loop(1, SCIML_UNPACK args);                                                         \
    }                                                                                              \
    static void name##_v1 params {                                                                 \
        name##_loop(0, SCIML_UNPACK args);                                                         \
    }                                                                                              \
    /* runs while the loader relocates, before a sanitizer runtime exists: not instrumented */     \
    __attribute__((no_sanitize("address,undefined"))) static void(*name##_resolve(void)) params {  \
        __builtin_cpu_init();                                                                      \
        if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&             \
            __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw") &&            \
            __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))                       \
            return name##_v4;                                                                      \
        if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&                     \
            __builtin_cpu_supports("bmi2"))                                                        \
            return name##_v3;                                                                      \
        return name##_v1;                                                                          \
    }                                                                                              \
    void name params __attribute__((ifunc(#name "_resolve")));
#else
#define SCIML_KERNEL(name, params, args)                                                           \
    void name params {                                                                             \
        name##_loop(0, SCIML_UNPACK args);                                                         \
    }
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
static inline __attribute__((always_inline)) double expm1_reduced(double r, int fused) {
    static const double inverse_factorials[] = {
        1.0 / 6227020800.0, 1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0,
        1.0 / 362880.0,     1.0 / 40320.0,     1.0 / 5040.0,     1.0 / 720.0,
        1.0 / 120.0,        1.0 / 24.0,        1.0 / 6.0,        0.5}; /* 1/13! .. 1/2! */
    double p = inverse_factorials[0];
#pragma GCC unroll 16
    for (int k = 1; k < 12; k++)
        p = madd(p, r, inverse_factorials[k], fused);
    return madd(r * r, p, r, fused);
}

/* 2^k for an integer k in [-1022, 1023] given as t = k + ROUND_SHIFT. */
static inline double pow2_from_shifted(double t) {
    uint64_t k = double_bits(t) - double_bits(ROUND_SHIFT); /* two's complement k */
    return bits_double((k + 1023u) << 52);
}

static inline __attribute__((always_inline)) double tanh_one(double x, int fused) {
    double ax = fabs(x);
    ax = ax > 20.0 ? 20.0 : ax; /* NaN stays NaN */
    double y = 2.0 * ax;
    double t = y * INV_LN2 + ROUND_SHIFT;
    double k = t - ROUND_SHIFT;
    double r = (y - k * LN2_HI) - k * LN2_LO;
    double scale = pow2_from_shifted(t);
    double e = scale * expm1_reduced(r, fused) + (scale - 1.0);
    return copysign(e / (e + 2.0), x);
}

static inline __attribute__((always_inline)) double exp_one(double x, int fused) {
    double a = x > 710.0 ? 710.0 : x;
    a = a < -746.0 ? -746.0 : a; /* NaN passes both */
    double t = a * INV_LN2 + ROUND_SHIFT;
    double k = t - ROUND_SHIFT;
    double r = (a - k * LN2_HI) - k * LN2_LO;
    /* 2^k = 2^k1 2^k2 with k1 = round(k/2), k2 = k - k1, both inside the normal range. */
    double t1 = k * 0.5 + ROUND_SHIFT;
    double k1 = t1 - ROUND_SHIFT;
    double t2 = (k - k1) + ROUND_SHIFT;
    return ((1.0 + expm1_reduced(r, fused)) * pow2_from_shifted(t1)) * pow2_from_shifted(t2);
}

/* exp(-x^2 / 2) for 0 <= ax <= 40 (ax = |x|), accurate to a few ulp (see the header). */
static inline __attribute__((always_inline)) double exp_minus_half_square(double ax, int fused) {
    double p = ax * 134217729.0; /* 2^27 + 1: Dekker's split into two 26-bit halves */
    double hi = p - (p - ax);
    double lo = ax - hi;
    double a = -0.5 * (hi * hi);                      /* exact */
    double a_lo = -0.5 * ((2.0 * hi) * lo + lo * lo); /* |a_lo| < 2^-25 |a| */
    double t = a * INV_LN2 + ROUND_SHIFT;
    double k = t - ROUND_SHIFT;
    double r = ((a - k * LN2_HI) - k * LN2_LO) + a_lo;
    double t1 = k * 0.5 + ROUND_SHIFT; /* 2^k in two normal factors: k reaches -1155 */
    double k1 = t1 - ROUND_SHIFT;
    double t2 = (k - k1) + ROUND_SHIFT;
    return ((1.0 + expm1_reduced(r, fused)) * pow2_from_shifted(t1)) * pow2_from_shifted(t2);
}

/* erfcx(z) for 0 <= z <= 40: (1 + 2z) erfcx(z), which stays between 1 and 2/sqrt(pi), is a
 * polynomial of degree 24 in t = (z - K)/(z + K): the truncated Chebyshev series (2e-17), turned
 * into powers of t. That form is well conditioned here (the sum of the coefficients' magnitudes
 * is 1.76 against values >= 1, so Horner's rule loses under 2 ulp) and costs two operations a
 * term against Clenshaw's three. Expanding erfcx itself would lose digits to cancellation where
 * it is small (1e-15 relative at z = 22). */
#define ERFCX_K 3.75
static const double erfcx_polynomial[] = {
    /* highest degree first */
    4.2514714447963895e-10,  3.1114333809799254e-10,  -5.1739902140113095e-09,
    -3.744210080962018e-09,  3.8675334242222354e-08,  2.3263508708859124e-08,
    -2.5866850716155884e-07, -5.7218230603224086e-08, 1.751637648849062e-06,
    -9.73559896736775e-07,   -1.1444146237700524e-05, 2.238423915508223e-05,
    5.164909889268241e-05,   -0.0002901540805408417,  0.0002937136655913448,
    0.0017556258528952954,   -0.009746579558029276,   0.028362277418956406,
    -0.05869339858963677,    0.09230432116037748,     -0.10880393014174886,
    0.0822767384901452,      0.0035854154854644293,   -0.14024059858554697,
    1.2375126308378275,
};
#define ERFCX_TERMS ((int)(sizeof erfcx_polynomial / sizeof erfcx_polynomial[0]))

static inline __attribute__((always_inline)) double erfcx_nonnegative(double z, int fused) {
    double t = (z - ERFCX_K) / (z + ERFCX_K);
    double p = erfcx_polynomial[0];
#pragma GCC unroll 32 /* straight-line code, so that the callers' loops vectorise */
    for (int k = 1; k < ERFCX_TERMS; k++)
        p = madd(p, t, erfcx_polynomial[k], fused);
    return p / (1.0 + 2.0 * z);
}

/* Phi(x) and exp(-x^2/2) (phi(x) sqrt(2 pi)). NaN propagates; Phi(+-Inf) = 1, 0. */
static inline __attribute__((always_inline)) double normal_cdf(double x, double *gauss, int fused) {
    double ax = fabs(x);
    ax = ax > 40.0 ? 40.0 : ax; /* NaN stays NaN */
    double e = exp_minus_half_square(ax, fused);
    double tail = 0.5 * e * erfcx_nonnegative(ax * 0.70710678118654752440, fused); /* Phi(-|x|) */
    *gauss = e;
    return x < 0.0 ? tail : 1.0 - tail;
}

static inline __attribute__((always_inline)) void
sciml_cpu_normal_cdf_loop(int fused, int64_t count, const double *restrict x, double *restrict y) {
    for (int64_t i = 0; i < count; i++) {
        double gauss;
        y[i] = normal_cdf(x[i], &gauss, fused);
    }
}
SCIML_KERNEL(sciml_cpu_normal_cdf, (int64_t count, const double *restrict x, double *restrict y),
             (count, x, y))

static inline __attribute__((always_inline)) void
sciml_cpu_gelu_loop(int fused, int64_t count, const double *restrict x, double *restrict y) {
    for (int64_t i = 0; i < count; i++) {
        double gauss;
        double cdf = normal_cdf(x[i], &gauss, fused);
        y[i] = cdf == 0.0 ? 0.0 : x[i] * cdf; /* GELU(-Inf) = 0, not -Inf * 0 */
    }
}
SCIML_KERNEL(sciml_cpu_gelu, (int64_t count, const double *restrict x, double *restrict y),
             (count, x, y))

#define INV_SQRT_2PI 0.39894228040143267794

/* The backward pass has y = GELU(x) already, so Phi(x) = y / x (two roundings) and only the
 * exponential is new. Where y / x would lose accuracy the CDF comes from elsewhere: x near 0
 * (|x| < 1e-290) gives 1/2; x < -30, where y nears the subnormal range, uses the asymptotic
 * series Phi(x) = phi(x)/|x| (1 - 1/x^2 + 3/x^4 - 15/x^6 + 105/x^8 - 945/x^10 ...), whose
 * truncation (10395/x^12 < 3e-14 relative at x = -30) is 900 times smaller in the slope, where
 * x phi(x) dominates. */
static inline __attribute__((always_inline)) void
sciml_cpu_gelu_backward_loop(int fused, int64_t count, const double *restrict x,
                             const double *restrict y, const double *restrict gy,
                             double *restrict gx, int accumulate) {
    for (int64_t i = 0; i < count; i++) {
        double ax = fabs(x[i]);
        ax = ax > 40.0 ? 40.0 : ax;
        double density = exp_minus_half_square(ax, fused) * INV_SQRT_2PI;
        double inverse = 1.0 / ax, r2 = inverse * inverse;
        double series =
            1.0 - r2 * (1.0 - 3.0 * r2 * (1.0 - 5.0 * r2 * (1.0 - 7.0 * r2 * (1.0 - 9.0 * r2))));
        double cdf = y[i] / x[i];
        cdf = ax < 1e-290 ? 0.5 : cdf;
        cdf = x[i] > 40.0 ? 1.0 : cdf;
        cdf = x[i] < -30.0 ? density * inverse * series : cdf;
        double slope = density == 0.0 ? cdf : cdf + x[i] * density; /* +-Inf: 1, 0 */
        gx[i] = (accumulate ? gx[i] : 0.0) + gy[i] * slope;
    }
}
SCIML_KERNEL(sciml_cpu_gelu_backward,
             (int64_t count, const double *restrict x, const double *restrict y,
              const double *restrict gy, double *restrict gx, int accumulate),
             (count, x, y, gy, gx, accumulate))

static inline __attribute__((always_inline)) void
sciml_cpu_tanh_loop(int fused, int64_t count, const double *restrict x, double *restrict y) {
    for (int64_t i = 0; i < count; i++)
        y[i] = tanh_one(x[i], fused);
}
SCIML_KERNEL(sciml_cpu_tanh, (int64_t count, const double *restrict x, double *restrict y),
             (count, x, y))

static inline __attribute__((always_inline)) void
sciml_cpu_exp_loop(int fused, int64_t count, const double *restrict x, double *restrict y) {
    for (int64_t i = 0; i < count; i++)
        y[i] = exp_one(x[i], fused);
}
SCIML_KERNEL(sciml_cpu_exp, (int64_t count, const double *restrict x, double *restrict y),
             (count, x, y))

static inline __attribute__((always_inline)) void
sciml_cpu_sigmoid_loop(int fused, int64_t count, const double *restrict x, double *restrict y) {
    for (int64_t i = 0; i < count; i++) {
        double z = exp_one(-fabs(x[i]), fused);
        double s = 1.0 / (1.0 + z);
        y[i] = x[i] >= 0.0 ? s : z * s;
    }
}
SCIML_KERNEL(sciml_cpu_sigmoid, (int64_t count, const double *restrict x, double *restrict y),
             (count, x, y))
