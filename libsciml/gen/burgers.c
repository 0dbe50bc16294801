/* Reference solver for the 1D viscous Burgers equation on the periodic unit interval,
 *
 *     u_t + (u^2 / 2)_x = nu u_xx,   x in [0, 1),   u(x, 0) = u0(x).
 *
 * Space: Fourier pseudo-spectral on x_j = j / N. The state is the vector of Fourier
 * coefficients uhat_k = (1/N) sum_j u_j exp(-2 pi i k j / N), k = 0..N/2 (a real field, so the
 * half spectrum, FFTW's r2c layout), and
 *
 *     d uhat_k / dt = L_k uhat_k + F_k(uhat),   L_k = -nu (2 pi k)^2,
 *     F_k(uhat) = -i pi k P_k FFT[(P u)^2]_k / N,
 *
 * where P keeps the wavenumbers |k| <= K with 3K < N (Orszag's 2/3 rule): the product of two
 * fields with |k| <= K has |k| <= 2K, whose aliases land above K, so the truncated product is
 * exact. Modes above K (present only if u0 has them) evolve by the heat equation alone.
 * Properties kept exactly by this semi-discretisation: F_0 = 0, so the mean uhat_0 never
 * changes; sum_k conj(uhat_k) F_k = 0 (the Galerkin nonlinearity carries no energy), so the
 * energy sum |uhat_k|^2 only decreases, at the rate 2 sum nu (2 pi k)^2 |uhat_k|^2.
 *
 * Time: the stiff diagonal L is integrated exactly by an integrating factor and F by the
 * Dormand-Prince 5(4) pair (Dormand and Prince 1980) in Lawson's form (Lawson 1967,
 * "generalised Runge-Kutta processes"), i.e. the RK pair applied to v = exp(-L t) uhat and
 * written back in uhat, which keeps every exponential decaying (c_i >= c_j for j < i):
 *
 *     U_i = exp(c_i h L) uhat_n + h sum_{j<i} a_ij exp((c_i - c_j) h L) F(U_j),
 *     uhat_{n+1} = exp(h L) uhat_n + h sum_j b_j exp((1 - c_j) h L) F(U_j)   (= U_7, so FSAL),
 *     error      = h sum_j (b_j - bhat_j) exp((1 - c_j) h L) F(U_j).
 *
 * A step is accepted when RMS(error) <= atol + rtol RMS(uhat), with the RMS over the grid
 * from Parseval; the next step comes from a PI controller (Gustafsson; the constants of
 * Hairer and Wanner's DOPRI5). The exponentials exp(d h L) for the 13 distinct d are
 * recomputed only when h changes, so the controller keeps h unchanged while a small increase
 * is all it would allow. The order is 5 for a fixed step (the test measures it); the step is
 * limited by accuracy at small N and by the explicit treatment of the advection (|u| k h of
 * order one at the largest kept k) at large N and small nu.
 *
 * Why not ETDRK4 (Cox and Matthews; Kassam and Trefethen 2005): it is more accurate per step
 * for stiff problems, but has no embedded error estimate (step doubling triples the cost)
 * and its phi-function coefficients need a contour integral each time h changes; here the
 * stiff part is linear and diagonal, for which the integrating factor loses little.
 */
#include "sciml/burgers.h"

#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { STAGES = 7, MAX_FACTORS = 32 };

/* Dormand-Prince 5(4): nodes, matrix (row i = stage i, 0-based), 5th-order weights b (= row
 * 6, FSAL) and b - bhat (the 4th-order embedded weights subtracted). */
static const double node[STAGES] = {0.0, 1.0 / 5.0, 3.0 / 10.0, 4.0 / 5.0, 8.0 / 9.0, 1.0, 1.0};
static const double matrix[STAGES][STAGES] = {
    {0},
    {1.0 / 5.0},
    {3.0 / 40.0, 9.0 / 40.0},
    {44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0},
    {19372.0 / 6561.0, -25360.0 / 2187.0, 64448.0 / 6561.0, -212.0 / 729.0},
    {9017.0 / 3168.0, -355.0 / 33.0, 46732.0 / 5247.0, 49.0 / 176.0, -5103.0 / 18656.0},
    {35.0 / 384.0, 0.0, 500.0 / 1113.0, 125.0 / 192.0, -2187.0 / 6784.0, 11.0 / 84.0},
};
static const double error_weight[STAGES] = {35.0 / 384.0 - 5179.0 / 57600.0,
                                            0.0,
                                            500.0 / 1113.0 - 7571.0 / 16695.0,
                                            125.0 / 192.0 - 393.0 / 640.0,
                                            -2187.0 / 6784.0 + 92097.0 / 339200.0,
                                            11.0 / 84.0 - 187.0 / 2100.0,
                                            -1.0 / 40.0};

/* Step-size controller: h_new = h * clamp(SAFETY err^-ALPHA err_previous^BETA). */
#define CONTROL_SAFETY 0.9
#define CONTROL_BETA 0.04
#define CONTROL_ALPHA (0.2 - 0.75 * CONTROL_BETA)
#define CONTROL_MIN_FACTOR 0.2
#define CONTROL_MAX_FACTOR 10.0
#define CONTROL_KEEP_FACTOR 1.2 /* an increase below this keeps h (and its exponentials) */

struct sciml_burgers {
    sciml_burgers_config config;
    int64_t half;                /* N/2 + 1 */
    int64_t max_wavenumber;      /* K, 3K < N */
    double *decay;               /* (half) -L_k = nu (2 pi k)^2 */
    double *derivative;          /* (half) pi k / N for k <= K, else 0: F_k = -i derivative_k w_k */
    fftw_complex *state;         /* (half) uhat_n */
    fftw_complex *trial;         /* (half) stage value U_i, finally the candidate uhat_{n+1} */
    fftw_complex *slope[STAGES]; /* (half) each: F(U_i) */
    fftw_complex *spectrum;      /* (half) transform buffer */
    double *field;               /* (N) transform buffer */
    double *fine_input;          /* (N) u0 drawn by sciml_burgers_sample */
    double *fine_output;         /* (N) its solution */
    fftw_plan forward;           /* field -> spectrum (r2c) */
    fftw_plan backward;          /* spectrum -> field (c2r) */
    /* exp(d h L) for the distinct d > 0 among c_i - c_j (i > j) and 1 - c_j. */
    int factor_count;
    double factor_exponent[MAX_FACTORS];
    int factor_on_state[MAX_FACTORS]; /* multiplies uhat_n (all modes) rather than only slopes
                                         (which vanish above K) */
    int stage_factor[STAGES][STAGES]; /* index for c_i - c_j, -1 when it is 0 (factor 1) */
    int final_factor[STAGES];         /* index for 1 - c_j, -1 when 0 */
    double *exponential;              /* (factor_count, half) */
    double exponential_step;          /* the h they hold, 0 when none */
    sciml_burgers_stats stats;
};

void sciml_burgers_config_default(sciml_burgers_config *config) {
    config->points = SCIML_BURGERS_DEFAULT_POINTS;
    config->viscosity = SCIML_BURGERS_VISCOSITY;
    config->final_time = SCIML_BURGERS_DEFAULT_FINAL_TIME;
    config->relative_tolerance = SCIML_BURGERS_DEFAULT_RELATIVE_TOLERANCE;
    config->absolute_tolerance = 0.0;
    config->fixed_steps = 0;
    config->max_steps = SCIML_BURGERS_DEFAULT_MAX_STEPS;
}

static int positive_finite(double value) {
    return isfinite(value) && value > 0.0;
}

static sciml_status check_config(sciml_ctx *ctx, const sciml_burgers_config *c) {
    if (c->points < SCIML_BURGERS_MIN_POINTS || c->points > SCIML_BURGERS_MAX_POINTS ||
        c->points % 2 != 0)
        return sciml_error(ctx, SCIML_ERR_RANGE,
                           "Burgers solver: %lld grid points (expected an even number from %d "
                           "to %lld; a power of two is fastest)",
                           (long long)c->points, SCIML_BURGERS_MIN_POINTS,
                           (long long)SCIML_BURGERS_MAX_POINTS);
    if (!positive_finite(c->viscosity))
        return sciml_error(ctx, SCIML_ERR_RANGE,
                           "Burgers solver: viscosity nu = %g (expected finite and > 0)",
                           c->viscosity);
    if (!positive_finite(c->final_time))
        return sciml_error(ctx, SCIML_ERR_RANGE,
                           "Burgers solver: final time T = %g (expected finite and > 0)",
                           c->final_time);
    if (c->fixed_steps < 0)
        return sciml_error(ctx, SCIML_ERR_RANGE,
                           "Burgers solver: fixed_steps = %lld (expected 0 for adaptive steps "
                           "or a positive step count)",
                           (long long)c->fixed_steps);
    if (c->fixed_steps == 0) {
        int rtol_ok = isfinite(c->relative_tolerance) && c->relative_tolerance >= 0.0;
        int atol_ok = isfinite(c->absolute_tolerance) && c->absolute_tolerance >= 0.0;
        if (!rtol_ok || !atol_ok || (c->relative_tolerance == 0.0 && c->absolute_tolerance == 0.0))
            return sciml_error(ctx, SCIML_ERR_RANGE,
                               "Burgers solver: relative tolerance %g, absolute tolerance %g "
                               "(expected finite, >= 0 and not both 0)",
                               c->relative_tolerance, c->absolute_tolerance);
        if (c->relative_tolerance > 0.0 && c->relative_tolerance < 1e-14)
            return sciml_error(ctx, SCIML_ERR_RANGE,
                               "Burgers solver: relative tolerance %g is below rounding "
                               "(expected >= 1e-14)",
                               c->relative_tolerance);
    }
    if (c->max_steps < 1)
        return sciml_error(ctx, SCIML_ERR_RANGE, "Burgers solver: max_steps = %lld (expected >= 1)",
                           (long long)c->max_steps);
    return SCIML_OK;
}

/* Index of exponent d among the factors (added when new); -1 for d = 0. */
static int factor_index(sciml_burgers *solver, double exponent) {
    if (exponent <= 1e-15)
        return -1;
    for (int f = 0; f < solver->factor_count; f++)
        if (fabs(solver->factor_exponent[f] - exponent) <= 1e-14)
            return f;
    SCIML_ASSERT(solver->factor_count < MAX_FACTORS);
    solver->factor_exponent[solver->factor_count] = exponent;
    return solver->factor_count++;
}

static void build_factor_table(sciml_burgers *solver) {
    solver->factor_count = 0;
    for (int i = 0; i < STAGES; i++)
        for (int j = 0; j < STAGES; j++)
            solver->stage_factor[i][j] = j < i ? factor_index(solver, node[i] - node[j]) : -1;
    for (int j = 0; j < STAGES; j++)
        solver->final_factor[j] = factor_index(solver, 1.0 - node[j]);
    for (int i = 1; i < STAGES; i++)
        if (solver->stage_factor[i][0] >= 0)
            solver->factor_on_state[solver->stage_factor[i][0]] = 1;
}

sciml_status sciml_burgers_create(sciml_ctx *ctx, const sciml_burgers_config *config,
                                  sciml_burgers **out) {
    if (out == NULL)
        return sciml_error(ctx, SCIML_ERR_ARG, "sciml_burgers_create: out is NULL");
    *out = NULL;
    if (config == NULL)
        return sciml_error(ctx, SCIML_ERR_ARG, "sciml_burgers_create: config is NULL");
    sciml_status status = check_config(ctx, config);
    if (status != SCIML_OK)
        return status;

    sciml_burgers *solver = calloc(1, sizeof *solver);
    if (solver == NULL)
        return sciml_error(ctx, SCIML_ERR_NOMEM, "Burgers solver: out of memory");
    solver->config = *config;
    const int64_t n = config->points;
    solver->half = n / 2 + 1;
    solver->max_wavenumber = (n - 1) / 3; /* largest K with 3K < N */
    build_factor_table(solver);

    /* Sizes are bounded by SCIML_BURGERS_MAX_POINTS = 2^24: no overflow is possible. */
    const size_t half = (size_t)solver->half;
    int failed = 0;
    solver->decay = sciml_alloc_array(half, sizeof(double));
    solver->derivative = sciml_alloc_array(half, sizeof(double));
    solver->exponential = sciml_alloc_array((size_t)solver->factor_count * half, sizeof(double));
    failed |= solver->decay == NULL || solver->derivative == NULL || solver->exponential == NULL;
    solver->state = fftw_malloc(half * sizeof(fftw_complex));
    solver->trial = fftw_malloc(half * sizeof(fftw_complex));
    solver->spectrum = fftw_malloc(half * sizeof(fftw_complex));
    failed |= solver->state == NULL || solver->trial == NULL || solver->spectrum == NULL;
    for (int i = 0; i < STAGES; i++) {
        solver->slope[i] = fftw_malloc(half * sizeof(fftw_complex));
        failed |= solver->slope[i] == NULL;
    }
    solver->field = fftw_malloc((size_t)n * sizeof(double));
    solver->fine_input = sciml_alloc_array((size_t)n, sizeof(double));
    solver->fine_output = sciml_alloc_array((size_t)n, sizeof(double));
    failed |= solver->field == NULL || solver->fine_input == NULL || solver->fine_output == NULL;
    if (failed) {
        sciml_burgers_destroy(&solver);
        return sciml_error(ctx, SCIML_ERR_NOMEM,
                           "Burgers solver: out of memory for %lld grid points", (long long)n);
    }
    solver->forward = fftw_plan_dft_r2c_1d((int)n, solver->field, solver->spectrum, FFTW_ESTIMATE);
    solver->backward = fftw_plan_dft_c2r_1d((int)n, solver->spectrum, solver->field, FFTW_ESTIMATE);
    if (solver->forward == NULL || solver->backward == NULL) {
        sciml_burgers_destroy(&solver);
        return sciml_error(ctx, SCIML_ERR_INTERNAL,
                           "Burgers solver: FFTW could not plan transforms of length %lld",
                           (long long)n);
    }
    for (int64_t k = 0; k < solver->half; k++) {
        double wave = 2.0 * SCIML_PI * (double)k;
        solver->decay[k] = config->viscosity * wave * wave;
        solver->derivative[k] =
            k <= solver->max_wavenumber ? SCIML_PI * (double)k / (double)n : 0.0;
    }
    *out = solver;
    return SCIML_OK;
}

/* out = F(in): the dealiased nonlinear term -i pi k P FFT[(P u)^2] / N. in is not changed. */
static void nonlinear_term(sciml_burgers *solver, const fftw_complex *in, fftw_complex *out) {
    const int64_t half = solver->half, n = solver->config.points;
    const int64_t kept = solver->max_wavenumber + 1;
    memcpy(solver->spectrum, in, (size_t)kept * sizeof(fftw_complex));
    memset(solver->spectrum + kept, 0, (size_t)(half - kept) * sizeof(fftw_complex));
    fftw_execute(solver->backward); /* field = P u on the grid (c2r, coefficients as given) */
    double *field = solver->field;
    for (int64_t j = 0; j < n; j++)
        field[j] *= field[j];
    fftw_execute(solver->forward); /* spectrum = sum_j (P u)_j^2 exp(-2 pi i k j / N) */
    const double *derivative = solver->derivative;
    for (int64_t k = 0; k < kept; k++) {
        double re = solver->spectrum[k][0], im = solver->spectrum[k][1];
        out[k][0] = derivative[k] * im; /* -i d (re + i im) = d im - i d re */
        out[k][1] = -derivative[k] * re;
    }
    memset(out + kept, 0, (size_t)(half - kept) * sizeof(fftw_complex));
    solver->stats.function_evaluations++;
}

/* RMS over the grid of the field with half-spectrum coefficients c (Parseval). */
static double rms(const sciml_burgers *solver, const fftw_complex *c) {
    const int64_t half = solver->half;
    double interior = 0.0;
    for (int64_t k = 1; k < half - 1; k++)
        interior += c[k][0] * c[k][0] + c[k][1] * c[k][1];
    double ends = c[0][0] * c[0][0] + c[0][1] * c[0][1] + c[half - 1][0] * c[half - 1][0] +
                  c[half - 1][1] * c[half - 1][1];
    return sqrt(ends + 2.0 * interior);
}

/* exp(d h L) for every factor d, unless they already hold this h; factors that only multiply
 * slopes are needed for k <= K only. */
static void update_exponentials(sciml_burgers *solver, double h) {
    if (solver->exponential_step == h)
        return;
    const int64_t half = solver->half;
    for (int f = 0; f < solver->factor_count; f++) {
        double scale = -solver->factor_exponent[f] * h;
        double *row = solver->exponential + (size_t)f * (size_t)half;
        int64_t end = solver->factor_on_state[f] ? half : solver->max_wavenumber + 1;
        for (int64_t k = 0; k < end; k++) {
            double argument = scale * solver->decay[k];
            row[k] = argument > -745.0 ? exp(argument) : 0.0;
        }
    }
    solver->exponential_step = h;
}

static const double *factor_row(const sciml_burgers *solver, int index) {
    return index < 0 ? NULL : solver->exponential + (size_t)index * (size_t)solver->half;
}

/* The terms sum_j weight_j exp(d_j h L) F(U_j) of one combination, gathered once. */
typedef struct combination {
    int count;
    double weight[STAGES];
    const double *factor[STAGES]; /* NULL means 1 */
    const fftw_complex *slope[STAGES];
} combination;

static void add_term(combination *terms, double weight, const double *factor,
                     const fftw_complex *slope) {
    if (weight == 0.0)
        return;
    terms->weight[terms->count] = weight;
    terms->factor[terms->count] = factor;
    terms->slope[terms->count] = slope;
    terms->count++;
}

/* Term sum at mode k into (*re, *im). */
static inline void sum_terms(const combination *terms, int64_t k, double *re, double *im) {
    double sum_re = 0.0, sum_im = 0.0;
    for (int t = 0; t < terms->count; t++) {
        double w =
            terms->factor[t] != NULL ? terms->weight[t] * terms->factor[t][k] : terms->weight[t];
        sum_re += w * terms->slope[t][k][0];
        sum_im += w * terms->slope[t][k][1];
    }
    *re = sum_re;
    *im = sum_im;
}

/* trial = exp(c_i h L) state + h sum_{j<i} a_ij exp((c_i - c_j) h L) slope_j, in one pass;
 * above K the slopes vanish, so only the first term remains. */
static void stage_value(sciml_burgers *solver, int i, double h) {
    combination terms = {0};
    for (int j = 0; j < i; j++)
        add_term(&terms, h * matrix[i][j], factor_row(solver, solver->stage_factor[i][j]),
                 solver->slope[j]);
    const double *base = factor_row(solver, solver->stage_factor[i][0]);
    const fftw_complex *state = solver->state;
    fftw_complex *trial = solver->trial;
    const int64_t kept = solver->max_wavenumber + 1;
    for (int64_t k = 0; k < kept; k++) {
        double re, im;
        sum_terms(&terms, k, &re, &im);
        double scale = base != NULL ? base[k] : 1.0;
        trial[k][0] = scale * state[k][0] + re;
        trial[k][1] = scale * state[k][1] + im;
    }
    for (int64_t k = kept; k < solver->half; k++) {
        double scale = base != NULL ? base[k] : 1.0;
        trial[k][0] = scale * state[k][0];
        trial[k][1] = scale * state[k][1];
    }
}

/* RMS over the grid of h sum_j (b_j - bhat_j) exp((1 - c_j) h L) slope_j (Parseval; it lives
 * on 0 < k <= K < N/2, each such k standing for k and -k). */
static double error_rms(const sciml_burgers *solver, double h) {
    combination terms = {0};
    for (int j = 0; j < STAGES; j++)
        add_term(&terms, h * error_weight[j], factor_row(solver, solver->final_factor[j]),
                 solver->slope[j]);
    double sum = 0.0;
    for (int64_t k = 1; k <= solver->max_wavenumber; k++) {
        double re, im;
        sum_terms(&terms, k, &re, &im);
        sum += re * re + im * im;
    }
    return sqrt(2.0 * sum);
}

/* One Lawson-DP5 step of size h from solver->state, with slope[0] = F(state) on entry. On
 * return trial holds the candidate uhat_{n+1}, slope[6] = F(trial), and the RMS of the error
 * estimate is returned (computed only when want_error). */
static double lawson_step(sciml_burgers *solver, double h, int want_error) {
    update_exponentials(solver, h);
    for (int i = 1; i < STAGES; i++) {
        stage_value(solver, i, h);
        nonlinear_term(solver, solver->trial, solver->slope[i]);
    }
    return want_error ? error_rms(solver, h) : 0.0;
}

/* Writes the field of solver->state into out (N). */
static void write_field(sciml_burgers *solver, double *out) {
    memcpy(solver->spectrum, solver->state, (size_t)solver->half * sizeof(fftw_complex));
    fftw_execute(solver->backward);
    memcpy(out, solver->field, (size_t)solver->config.points * sizeof(double));
}

/* Initial adaptive step: 1% of the time scale RMS(u) / RMS(F(u)) (slope[0] holds F(u)). */
static double initial_step(const sciml_burgers *solver, double span) {
    double size = rms(solver, solver->state);
    double rate = rms(solver, solver->slope[0]);
    if (!(rate > 0.0) || !(size > 0.0))
        return span;
    double h = 0.01 * size / rate;
    return h < span ? h : span;
}

sciml_status sciml_burgers_solve_times(sciml_ctx *ctx, sciml_burgers *solver, const double *u0,
                                       int64_t time_count, const double *times, double *out) {
    if (solver == NULL || u0 == NULL || times == NULL || out == NULL)
        return sciml_error(ctx, SCIML_ERR_ARG, "Burgers solver: NULL argument");
    memset(&solver->stats, 0, sizeof solver->stats);
    const int64_t n = solver->config.points;
    if (time_count < 1)
        return sciml_error(ctx, SCIML_ERR_RANGE,
                           "Burgers solver: %lld output times (expected at least 1)",
                           (long long)time_count);
    for (int64_t i = 0; i < time_count; i++) {
        int ordered = i == 0 ? times[0] >= 0.0 : times[i] > times[i - 1];
        if (!isfinite(times[i]) || !ordered)
            return sciml_error(ctx, SCIML_ERR_RANGE,
                               "Burgers solver: output time %lld is %g (expected finite, >= 0 "
                               "and strictly increasing)",
                               (long long)i, times[i]);
    }
    for (int64_t j = 0; j < n; j++)
        if (!isfinite(u0[j]))
            return sciml_error(ctx, SCIML_ERR_NONFINITE,
                               "Burgers solver: initial condition u0[%lld] = %g is not finite",
                               (long long)j, u0[j]);

    /* uhat_n = FFT(u0) / N. */
    const int64_t half = solver->half;
    memcpy(solver->field, u0, (size_t)n * sizeof(double));
    fftw_execute(solver->forward);
    for (int64_t k = 0; k < half; k++) {
        solver->state[k][0] = solver->spectrum[k][0] / (double)n;
        solver->state[k][1] = solver->spectrum[k][1] / (double)n;
    }
    /* Rows for t = 0 are u0 itself (out may alias u0 only through sciml_burgers_solve, whose
     * single time is T > 0). */
    int64_t next = 0;
    while (next < time_count && times[next] == 0.0) {
        memmove(out + next * n, u0, (size_t)n * sizeof(double));
        next++;
    }
    if (next == time_count) {
        solver->stats.smallest_step = solver->stats.largest_step = 0.0;
        return SCIML_OK;
    }

    const sciml_burgers_config *config = &solver->config;
    const int fixed = config->fixed_steps > 0;
    const double final = times[time_count - 1];
    nonlinear_term(solver, solver->state, solver->slope[0]);
    double t = 0.0;
    double h = fixed ? config->final_time / (double)config->fixed_steps
                     : initial_step(solver, times[next]);
    double previous_error = 1e-4;
    double smallest = INFINITY, largest = 0.0;
    int64_t attempts = 0;
    while (next < time_count) {
        if (sciml_ctx_interrupted(ctx)) {
            solver->stats.time_reached = t;
            return sciml_error(ctx, SCIML_ERR_INTERRUPTED,
                               "Burgers solver: interrupted at t = %.17g", t);
        }
        if (attempts >= config->max_steps) {
            solver->stats.time_reached = t;
            return sciml_error(ctx, SCIML_ERR_SOLVER,
                               "Burgers solver: %lld steps taken and t = %.9g of %.9g reached "
                               "(raise max_steps or the tolerance; nu = %g, N = %lld)",
                               (long long)attempts, t, final, config->viscosity, (long long)n);
        }
        attempts++;
        /* Land exactly on the next output time when it is within (1 + 1e-8) h. */
        double target = times[next];
        int landing = target - t <= h * (1.0 + 1e-8);
        double step = landing ? target - t : h;
        double error = lawson_step(solver, step, !fixed);
        double ratio = 0.0;
        if (!fixed) {
            double scale = config->absolute_tolerance +
                           config->relative_tolerance *
                               fmax(rms(solver, solver->state), rms(solver, solver->trial));
            ratio = isfinite(error) ? error / scale : INFINITY;
            if (!(ratio <= 1.0)) { /* reject (also for NaN): shrink and retry */
                solver->stats.steps_rejected++;
                double factor = isfinite(ratio) ? fmax(CONTROL_MIN_FACTOR,
                                                       CONTROL_SAFETY * pow(ratio, -CONTROL_ALPHA))
                                                : CONTROL_MIN_FACTOR;
                h = fmin(step, h) * fmin(factor, 1.0);
                if (h < 1e-14 * fmax(t, config->final_time)) {
                    solver->stats.time_reached = t;
                    return sciml_error(ctx, SCIML_ERR_SOLVER,
                                       "Burgers solver: step size %g underflows at t = %.9g "
                                       "(the solution is probably blowing up)",
                                       h, t);
                }
                continue;
            }
        }
        /* Accept: the candidate becomes the state, its slope the next first slope (FSAL). */
        fftw_complex *swap = solver->state;
        solver->state = solver->trial;
        solver->trial = swap;
        swap = solver->slope[0];
        solver->slope[0] = solver->slope[STAGES - 1];
        solver->slope[STAGES - 1] = swap;
        t = landing ? target : t + step;
        solver->stats.steps_accepted++;
        solver->stats.time_reached = t;
        if (!landing || step == h) {
            smallest = fmin(smallest, step);
            largest = fmax(largest, step);
        }
        if (!isfinite(rms(solver, solver->state)))
            return sciml_error(ctx, SCIML_ERR_NONFINITE,
                               "Burgers solver: the solution became non-finite at t = %.9g "
                               "(step %g; nu = %g, N = %lld)",
                               t, step, config->viscosity, (long long)n);
        if (landing) {
            write_field(solver, out + next * n);
            next++;
        }
        if (!fixed) {
            /* PI control from the accepted error; a landing step keeps the size before it. */
            double floor_ratio = fmax(ratio, 1e-10);
            double factor = CONTROL_SAFETY * pow(floor_ratio, -CONTROL_ALPHA) *
                            pow(previous_error, CONTROL_BETA);
            factor = fmin(CONTROL_MAX_FACTOR, fmax(CONTROL_MIN_FACTOR, factor));
            previous_error = fmax(ratio, 1e-4);
            if (!landing || step == h) {
                if (factor < 1.0 || factor > CONTROL_KEEP_FACTOR)
                    h = step * factor;
            }
        }
    }
    if (smallest > largest)
        smallest = largest = 0.0;
    solver->stats.smallest_step = smallest;
    solver->stats.largest_step = largest;
    return SCIML_OK;
}

sciml_status sciml_burgers_solve(sciml_ctx *ctx, sciml_burgers *solver, const double *u0,
                                 double *uT) {
    if (solver == NULL)
        return sciml_error(ctx, SCIML_ERR_ARG, "Burgers solver: solver is NULL");
    return sciml_burgers_solve_times(ctx, solver, u0, 1, &solver->config.final_time, uT);
}

sciml_status sciml_burgers_subsample(sciml_ctx *ctx, int64_t points, const double *fine,
                                     int64_t resolution, double *coarse) {
    if (fine == NULL || coarse == NULL)
        return sciml_error(ctx, SCIML_ERR_ARG, "Burgers subsample: NULL buffer");
    if (points < 1 || resolution < 1 || resolution > points || points % resolution != 0)
        return sciml_error(ctx, SCIML_ERR_ARG,
                           "Burgers subsample: resolution %lld does not divide the %lld fine "
                           "grid points (expected a divisor, e.g. a power of two <= %lld)",
                           (long long)resolution, (long long)points, (long long)points);
    const int64_t stride = points / resolution;
    for (int64_t i = 0; i < resolution; i++)
        coarse[i] = fine[i * stride];
    return SCIML_OK;
}

sciml_status sciml_burgers_sample(sciml_ctx *ctx, sciml_burgers *solver, sciml_grf *grf,
                                  sciml_rng *rng, int64_t resolution, double *input, double *output,
                                  double *fine_input, double *fine_output) {
    if (solver == NULL || grf == NULL || rng == NULL || input == NULL || output == NULL)
        return sciml_error(ctx, SCIML_ERR_ARG, "Burgers sample: NULL argument");
    const int64_t n = solver->config.points;
    if (sciml_grf_dims(grf) != 1 || sciml_grf_resolution(grf) != n)
        return sciml_error(ctx, SCIML_ERR_ARG,
                           "Burgers sample: the random field is %dD with resolution %lld "
                           "(expected 1D with the solver's %lld points)",
                           sciml_grf_dims(grf), (long long)sciml_grf_resolution(grf), (long long)n);
    if (resolution < 1 || resolution > n || n % resolution != 0)
        return sciml_error(ctx, SCIML_ERR_ARG,
                           "Burgers sample: resolution %lld does not divide the %lld fine grid "
                           "points",
                           (long long)resolution, (long long)n);
    double *initial = fine_input != NULL ? fine_input : solver->fine_input;
    double *final = fine_output != NULL ? fine_output : solver->fine_output;
    sciml_grf_sample(grf, rng, initial);
    sciml_status status = sciml_burgers_solve(ctx, solver, initial, final);
    if (status != SCIML_OK)
        return status;
    sciml_burgers_subsample(ctx, n, initial, resolution, input);
    sciml_burgers_subsample(ctx, n, final, resolution, output);
    return SCIML_OK;
}

const sciml_burgers_config *sciml_burgers_get_config(const sciml_burgers *solver) {
    return &solver->config;
}

void sciml_burgers_get_stats(const sciml_burgers *solver, sciml_burgers_stats *stats) {
    *stats = solver->stats;
}

int64_t sciml_burgers_max_wavenumber(const sciml_burgers *solver) {
    return solver->max_wavenumber;
}

void sciml_burgers_destroy(sciml_burgers **solver) {
    if (solver == NULL || *solver == NULL)
        return;
    sciml_burgers *s = *solver;
    if (s->forward != NULL)
        fftw_destroy_plan(s->forward);
    if (s->backward != NULL)
        fftw_destroy_plan(s->backward);
    fftw_free(s->state);
    fftw_free(s->trial);
    fftw_free(s->spectrum);
    for (int i = 0; i < STAGES; i++)
        fftw_free(s->slope[i]);
    fftw_free(s->field);
    free(s->fine_input);
    free(s->fine_output);
    free(s->decay);
    free(s->derivative);
    free(s->exponential);
    free(s);
    *solver = NULL;
}
