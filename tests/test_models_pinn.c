/* Models: physics-informed neural networks (sciml/pinn_model.h), short versions of the
 * accuracy targets. Each trains in well under two seconds on one core and asserts a bound
 * measured with margin (the measured value is printed):
 *   Poisson 1D and 2D against the exact solution (Adam then L-BFGS);
 *   Burgers (nu = 0.01/pi) against the Cole-Hopf reference, a loose bound for a short run;
 *   the heat equation with its diffusivity unknown, learned from 400 exact observations;
 *   the model file round trip (same u and residual after reading), observations outside the
 *   domain and an unknown coefficient without observations rejected;
 *   hard constraints through the output transform u = A + D N (boundary data met exactly,
 *   residual against differences, loss gradient check, file round trip, short runs). */
#include "sciml/pinn_model.h"
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

/* Relative L2 error on an n x n grid of the domain (time axis included). */
static double grid_error(sciml_pinn *model, int n) {
    const sciml_pde *pde = sciml_pinn_get_pde(model);
    int d = pde->input_count;
    int64_t count = d == 1 ? n : (int64_t)n * n;
    double *p = malloc((size_t)count * (size_t)d * sizeof *p);
    for (int64_t i = 0; i < count; i++) {
        int64_t index[2] = {i % n, i / n};
        for (int a = 0; a < d; a++)
            p[i * d + a] =
                pde->lower[a] + (pde->upper[a] - pde->lower[a]) * (double)index[a] / (n - 1);
    }
    double error = INFINITY;
    CU_ASSERT_EQUAL(sciml_pinn_solution_error(model, count, p, &error), SCIML_OK);
    free(p);
    return error;
}

static sciml_pinn *train(sciml_ctx *ctx, const char *name, int hidden_count, int64_t width,
                         int64_t interior, int64_t adam, int64_t lbfgs, double *error) {
    sciml_pde pde;
    CU_ASSERT_EQUAL_FATAL(sciml_pde_init(ctx, name, &pde), SCIML_OK);
    sciml_pinn_config config;
    sciml_pinn_config_default(&config, &pde);
    config.hidden_count = hidden_count;
    for (int i = 0; i < hidden_count; i++)
        config.hidden[i] = width;
    config.interior_count = interior;
    config.adam_iterations = adam;
    config.lbfgs_iterations = lbfgs;
    config.seed = 1;
    sciml_pinn *model = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_pinn_create(ctx, &config, &model), SCIML_OK);
    sciml_status status = sciml_pinn_train(model, NULL, NULL, 100);
    if (status)
        fprintf(stderr, "%s\n", sciml_ctx_message(ctx));
    CU_ASSERT_EQUAL(status, SCIML_OK);
    *error = grid_error(model, 64);
    sciml_pinn_progress last;
    sciml_pinn_last_progress(model, &last);
    fprintf(stderr, "\n  %s: loss %.3g after %s %lld, relative L2 %.3g ", name, last.loss,
            last.phase, (long long)last.iteration, *error);
    return model;
}

static void test_poisson1d(void) {
    sciml_ctx *ctx = make_ctx();
    double error;
    sciml_pinn *model = train(ctx, "poisson1d", 2, 16, 64, 200, 300, &error);
    CU_ASSERT(error < 1e-3); /* measured 4.2e-5 */
    sciml_pinn_destroy(&model);
    sciml_ctx_destroy(&ctx);
}

static void test_poisson2d(void) {
    sciml_ctx *ctx = make_ctx();
    double error;
    sciml_pinn *model = train(ctx, "poisson2d", 2, 20, 400, 300, 1500, &error);
    CU_ASSERT(error < 1e-2); /* measured 1.9e-3 */
    /* round trip through a model file */
    char path[512];
    snprintf(path, sizeof path, "%s/poisson.nc", sciml_test_tmpdir());
    CU_ASSERT_EQUAL_FATAL(sciml_pinn_write(model, path, NULL), SCIML_OK);
    sciml_pinn *back = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_pinn_read(ctx, path, &back), SCIML_OK);
    const double p[6] = {0.1, 0.2, 0.5, 0.5, 0.9, 0.3};
    double u1[3], r1[3], u2[3], r2[3];
    CU_ASSERT_EQUAL(sciml_pinn_evaluate(model, 3, p, u1, r1), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_pinn_evaluate(back, 3, p, u2, r2), SCIML_OK);
    CU_ASSERT_EQUAL(memcmp(u1, u2, sizeof u1), 0);
    CU_ASSERT_EQUAL(memcmp(r1, r2, sizeof r1), 0);
    SCIML_ASSERT_CLOSE(u1[1], 1.0, 2e-2);
    sciml_pinn_destroy(&back);
    sciml_pinn_destroy(&model);
    sciml_ctx_destroy(&ctx);
}

static void test_burgers_short(void) {
    sciml_ctx *ctx = make_ctx();
    double error;
    sciml_pinn *model = train(ctx, "burgers", 3, 20, 1000, 300, 400, &error);
    CU_ASSERT(error < 0.45); /* measured 0.27 after 700 steps */
    sciml_pinn_destroy(&model);
    sciml_ctx_destroy(&ctx);
}

/* Residual-based refinement: 3 rounds of 8 points from 2000 candidates join the 32 interior
 * points of Poisson 1D, and the refined network is at least as accurate as the bound. */
static void test_refinement(void) {
    sciml_ctx *ctx = make_ctx();
    sciml_pde pde;
    CU_ASSERT_EQUAL_FATAL(sciml_pde_init(ctx, "poisson1d", &pde), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_pde_set_coefficient(ctx, &pde, "k", 2), SCIML_OK);
    sciml_pinn_config config;
    sciml_pinn_config_default(&config, &pde);
    config.hidden_count = 2;
    config.hidden[0] = config.hidden[1] = 16;
    config.interior_count = 32;
    config.adam_iterations = 200;
    config.lbfgs_iterations = 300;
    config.rar_rounds = 3;
    config.rar_candidates = 2000;
    config.rar_add = 8;
    config.rar_steps = 50;
    config.seed = 2;
    sciml_pinn *model = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_pinn_create(ctx, &config, &model), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_pinn_interior_count(model), 32);
    CU_ASSERT_EQUAL(sciml_pinn_train(model, NULL, NULL, 100), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_pinn_interior_count(model), 32 + 3 * 8);
    sciml_pinn_progress last;
    sciml_pinn_last_progress(model, &last);
    CU_ASSERT_EQUAL(last.adam_steps, 200 + 3 * 50);
    double error = grid_error(model, 64);
    fprintf(stderr, "\n  poisson1d k=2 with refinement: relative L2 %.3g ", error);
    CU_ASSERT(error < 1e-2);
    config.rar_add = 5000; /* more than the candidates */
    sciml_pinn *bad = NULL;
    CU_ASSERT_EQUAL(sciml_pinn_create(ctx, &config, &bad), SCIML_ERR_RANGE);
    sciml_pinn_destroy(&model);
    sciml_ctx_destroy(&ctx);
}

/* Fourier-feature embedding on Poisson 1D with k = 4: the residual the model reports equals
 * u_xx (by central differences of the model's own u) plus the source, so the streams through
 * the embedding are right; the trained network meets a bound; the file round trip keeps B. */
static void test_fourier(void) {
    sciml_ctx *ctx = make_ctx();
    sciml_pde pde;
    CU_ASSERT_EQUAL_FATAL(sciml_pde_init(ctx, "poisson1d", &pde), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_pde_set_coefficient(ctx, &pde, "k", 4), SCIML_OK);
    sciml_pinn_config config;
    sciml_pinn_config_default(&config, &pde);
    config.hidden_count = 2;
    config.hidden[0] = config.hidden[1] = 16;
    config.interior_count = 128;
    config.adam_iterations = 300;
    config.lbfgs_iterations = 400;
    config.fourier_features = 8;
    config.fourier_sigma = 1.0;
    sciml_pinn *model = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_pinn_create(ctx, &config, &model), SCIML_OK);
    const double h = 1e-4, x[3] = {0.3 - h, 0.3, 0.3 + h};
    double u[3], r[3];
    CU_ASSERT_EQUAL(sciml_pinn_evaluate(model, 3, x, u, r), SCIML_OK);
    double w = 4 * SCIML_PI, u_xx = (u[0] - 2 * u[1] + u[2]) / (h * h);
    SCIML_ASSERT_CLOSE(r[1], u_xx + w * w * sin(w * 0.3), 1e-4 * fmax(1, fabs(u_xx)));
    CU_ASSERT_EQUAL(sciml_pinn_train(model, NULL, NULL, 100), SCIML_OK);
    double error = grid_error(model, 128);
    fprintf(stderr, "\n  poisson1d k=4 with 8 Fourier features: relative L2 %.3g ", error);
    CU_ASSERT(error < 2e-2);
    char path[512];
    snprintf(path, sizeof path, "%s/fourier.nc", sciml_test_tmpdir());
    CU_ASSERT_EQUAL_FATAL(sciml_pinn_write(model, path, NULL), SCIML_OK);
    sciml_pinn *back = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_pinn_read(ctx, path, &back), SCIML_OK);
    double u2[3];
    CU_ASSERT_EQUAL(sciml_pinn_evaluate(model, 3, x, u, NULL), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_pinn_evaluate(back, 3, x, u2, NULL), SCIML_OK);
    CU_ASSERT_EQUAL(memcmp(u, u2, sizeof u), 0);
    sciml_pinn_destroy(&back);
    sciml_pinn_destroy(&model);
    sciml_ctx_destroy(&ctx);
}

/* Kovasznay flow, three outputs (u, v, p): the velocity errors after a short run. */
static void test_kovasznay(void) {
    sciml_ctx *ctx = make_ctx();
    sciml_pde pde;
    CU_ASSERT_EQUAL_FATAL(sciml_pde_init(ctx, "kovasznay", &pde), SCIML_OK);
    CU_ASSERT_EQUAL(pde.output_count, 3);
    sciml_pinn_config config;
    sciml_pinn_config_default(&config, &pde);
    config.hidden_count = 2;
    config.hidden[0] = config.hidden[1] = 20;
    config.interior_count = 400;
    config.condition_counts[0] = config.condition_counts[1] = 160;
    config.adam_iterations = 300;
    config.lbfgs_iterations = 700;
    config.sampling = SCIML_SAMPLING_LHS; /* the bounds below were measured with it */
    sciml_pinn *model = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_pinn_create(ctx, &config, &model), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_pinn_train(model, NULL, NULL, 100), SCIML_OK);
    enum { N = 32 };
    double *p = malloc(N * N * 2 * sizeof *p), errors[3];
    for (int i = 0; i < N * N; i++) {
        p[2 * i] = -0.5 + 1.5 * (i % N) / (N - 1.0);
        p[2 * i + 1] = -0.5 + 2.0 * (i / N) / (N - 1.0);
    }
    CU_ASSERT_EQUAL(sciml_pinn_solution_error(model, N * N, p, errors), SCIML_OK);
    fprintf(stderr, "\n  kovasznay: relative L2 u %.3g, v %.3g ", errors[0], errors[1]);
    CU_ASSERT(errors[0] < 0.06); /* measured 2.9e-2 */
    CU_ASSERT(errors[1] < 0.15); /* measured 8.3e-2 */
    double u[3 * 2], r[3 * 2];
    CU_ASSERT_EQUAL(sciml_pinn_evaluate(model, 2, p, u, r), SCIML_OK);
    CU_ASSERT(isfinite(u[5]) && isfinite(r[5]));
    free(p);
    sciml_pinn_destroy(&model);
    sciml_ctx_destroy(&ctx);
}

static void test_inverse_heat(void) {
    sciml_ctx *ctx = make_ctx();
    sciml_pde pde;
    CU_ASSERT_EQUAL_FATAL(sciml_pde_init(ctx, "heat1d", &pde), SCIML_OK);
    const double alpha = 0.1;
    sciml_pinn_config config;
    sciml_pinn_config_default(&config, &pde);
    config.hidden_count = 2;
    config.hidden[0] = config.hidden[1] = 20;
    config.interior_count = 400;
    config.adam_iterations = 300;
    config.lbfgs_iterations = 500;
    config.unknown = 0;
    config.pde.coefficients[0] = 0.3; /* starting guess */
    sciml_pinn *model = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_pinn_create(ctx, &config, &model), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_pinn_train(model, NULL, NULL, 100), SCIML_ERR_STATE); /* no data */
    enum { N = 400 };
    double *p = malloc(2 * N * sizeof *p), v[N];
    sciml_rng rng;
    sciml_rng_seed(&rng, 3);
    for (int i = 0; i < N; i++) {
        p[2 * i] = sciml_rng_uniform(&rng);
        p[2 * i + 1] = sciml_rng_uniform(&rng);
        v[i] = exp(-alpha * SCIML_PI * SCIML_PI * p[2 * i + 1]) * sin(SCIML_PI * p[2 * i]);
    }
    p[1] = 1.5; /* t outside [0, 1] */
    CU_ASSERT_EQUAL(sciml_pinn_set_observations(model, N, p, v), SCIML_ERR_RANGE);
    CU_ASSERT(strstr(sciml_ctx_message(ctx), "observation 0 at (x") != NULL);
    p[1] = 0.5;
    v[0] = exp(-alpha * SCIML_PI * SCIML_PI * 0.5) * sin(SCIML_PI * p[0]);
    CU_ASSERT_EQUAL_FATAL(sciml_pinn_set_observations(model, N, p, v), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_pinn_train(model, NULL, NULL, 100), SCIML_OK);
    double learned = sciml_pinn_get_pde(model)->coefficients[0];
    fprintf(stderr, "\n  heat1d inverse: alpha %.6f (true %.2f) ", learned, alpha);
    CU_ASSERT(fabs(learned - alpha) < 0.02 * alpha);
    /* an observation so large that the loss overflows: training stops at the first step with
     * a message naming it, and the model keeps its finite parameters */
    double u_before[1], u_after[1], x_probe[2] = {0.3, 0.4};
    CU_ASSERT_EQUAL(sciml_pinn_evaluate(model, 1, x_probe, u_before, NULL), SCIML_OK);
    v[5] = 1e300;
    CU_ASSERT_EQUAL_FATAL(sciml_pinn_set_observations(model, N, p, v), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_pinn_train(model, NULL, NULL, 100), SCIML_ERR_NONFINITE);
    CU_ASSERT(strstr(sciml_ctx_message(ctx), "not finite at Adam step 1") != NULL);
    CU_ASSERT_EQUAL(sciml_pinn_evaluate(model, 1, x_probe, u_after, NULL), SCIML_OK);
    CU_ASSERT_EQUAL(u_before[0], u_after[0]);
    free(p);
    sciml_pinn_destroy(&model);
    /* a coefficient that does not multiply a residual term cannot be learned */
    CU_ASSERT_EQUAL_FATAL(sciml_pde_init(ctx, "poisson2d", &pde), SCIML_OK);
    sciml_pinn_config_default(&config, &pde);
    config.unknown = 0;
    CU_ASSERT_EQUAL(sciml_pinn_create(ctx, &config, &model), SCIML_ERR_ARG);
    CU_ASSERT(strstr(sciml_ctx_message(ctx), "cannot be learned") != NULL);
    sciml_ctx_destroy(&ctx);
}

/* Hard constraints (u = A + D N): an untrained Burgers model meets u(+-1, t) = 0 and
 * u(x, 0) = -sin(pi x) to rounding; the residual it reports equals u_t + u u_x - nu u_xx by
 * central differences of its own u (so the product-rule streams are right); the gradient of the
 * training loss passes the finite-difference check; the model file keeps the transform; short
 * trainings of Poisson 2D and Burgers meet bounds; a problem without a transform is refused. */
static void test_hard_constraints(void) {
    sciml_ctx *ctx = make_ctx();
    sciml_pde pde;
    CU_ASSERT_EQUAL_FATAL(sciml_pde_init(ctx, "burgers", &pde), SCIML_OK);
    sciml_pinn_config config;
    sciml_pinn_config_default(&config, &pde);
    config.hidden_count = 2;
    config.hidden[0] = config.hidden[1] = 8;
    config.interior_count = 60;
    config.hard_constraints = 1;
    config.seed = 4;
    sciml_pinn *model = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_pinn_create(ctx, &config, &model), SCIML_OK);
    enum { B = 9 };
    double p[2 * B], u[B], r[B];
    for (int i = 0; i < B; i++) { /* x = -1 and 1 at several t, then t = 0 at several x */
        p[2 * i] = i < 3 ? -1 : i < 6 ? 1 : -0.7 + 0.6 * (i - 6);
        p[2 * i + 1] = i < 6 ? 0.1 + 0.3 * (i % 3) : 0;
    }
    CU_ASSERT_EQUAL(sciml_pinn_evaluate(model, B, p, u, r), SCIML_OK);
    for (int i = 0; i < B; i++) {
        double g = i < 6 ? 0 : -sin(SCIML_PI * p[2 * i]);
        CU_ASSERT(fabs(u[i] - g) <= 1e-15);
    }
    /* the residual against differences of u at (0.3, 0.4) */
    const double h = 1e-4, x0 = 0.3, t0 = 0.4;
    const double q[10] = {x0, t0, x0 + h, t0, x0 - h, t0, x0, t0 + h, x0, t0 - h};
    double v[5], rv[5];
    CU_ASSERT_EQUAL(sciml_pinn_evaluate(model, 5, q, v, rv), SCIML_OK);
    double u_x = (v[1] - v[2]) / (2 * h), u_t = (v[3] - v[4]) / (2 * h);
    double u_xx = (v[1] - 2 * v[0] + v[2]) / (h * h), nu = 0.01 / SCIML_PI;
    double expected = u_t + v[0] * u_x - nu * u_xx;
    fprintf(stderr, "\n  burgers hard: residual %.8g, by differences %.8g ", rv[0], expected);
    SCIML_ASSERT_CLOSE(rv[0], expected, 1e-5 * fmax(1, fabs(expected)));
    double error = 1;
    CU_ASSERT_EQUAL(sciml_pinn_check_gradient(model, 1e-6, &error), SCIML_OK);
    fprintf(stderr, "gradient check %.3g ", error);
    CU_ASSERT(error < 1e-6);
    /* file round trip: the transform is part of the model */
    char path[512];
    snprintf(path, sizeof path, "%s/hard.nc", sciml_test_tmpdir());
    CU_ASSERT_EQUAL_FATAL(sciml_pinn_write(model, path, NULL), SCIML_OK);
    sciml_pinn *back = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_pinn_read(ctx, path, &back), SCIML_OK);
    CU_ASSERT(sciml_pinn_get_config(back)->hard_constraints);
    double u2[B], r2[B];
    CU_ASSERT_EQUAL(sciml_pinn_evaluate(back, B, p, u2, r2), SCIML_OK);
    CU_ASSERT_EQUAL(memcmp(u, u2, sizeof u), 0);
    CU_ASSERT_EQUAL(memcmp(r, r2, sizeof r), 0);
    sciml_pinn_destroy(&back);
    /* a short Burgers training: the condition terms are gone (NaN), the error bounded */
    config.hidden_count = 3;
    config.hidden[0] = config.hidden[1] = config.hidden[2] = 20;
    config.interior_count = 1000;
    config.adam_iterations = 300;
    config.lbfgs_iterations = 400;
    config.seed = 1;
    sciml_pinn_destroy(&model);
    CU_ASSERT_EQUAL_FATAL(sciml_pinn_create(ctx, &config, &model), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_pinn_train(model, NULL, NULL, 100), SCIML_OK);
    sciml_pinn_progress last;
    sciml_pinn_last_progress(model, &last);
    CU_ASSERT(isnan(last.conditions[0]) && isnan(last.conditions[1]));
    SCIML_ASSERT_CLOSE(last.loss, last.residual, 1e-15);
    error = grid_error(model, 64);
    fprintf(stderr, "\n  burgers hard, 700 steps: relative L2 %.3g ", error);
    CU_ASSERT(error < 0.3); /* measured 0.16 (0.27 without the transform) */
    sciml_pinn_destroy(&model);
    /* Poisson 2D */
    CU_ASSERT_EQUAL_FATAL(sciml_pde_init(ctx, "poisson2d", &pde), SCIML_OK);
    sciml_pinn_config_default(&config, &pde);
    config.hidden_count = 2;
    config.hidden[0] = config.hidden[1] = 20;
    config.interior_count = 400;
    config.adam_iterations = 300;
    config.lbfgs_iterations = 1500;
    config.seed = 1;
    config.hard_constraints = 1;
    CU_ASSERT_EQUAL_FATAL(sciml_pinn_create(ctx, &config, &model), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_pinn_train(model, NULL, NULL, 100), SCIML_OK);
    error = grid_error(model, 64);
    fprintf(stderr, "\n  poisson2d hard: relative L2 %.3g ", error);
    CU_ASSERT(error < 2e-4); /* measured 8.4e-6 (1.9e-3 without the transform, test above) */
    sciml_pinn_destroy(&model);
    /* no transform: refused with a message naming the problems that have one */
    CU_ASSERT_EQUAL_FATAL(sciml_pde_init(ctx, "kovasznay", &pde), SCIML_OK);
    sciml_pinn_config_default(&config, &pde);
    config.hard_constraints = 1;
    CU_ASSERT_EQUAL(sciml_pinn_create(ctx, &config, &model), SCIML_ERR_ARG);
    CU_ASSERT(strstr(sciml_ctx_message(ctx), "kovasznay has no output transform") != NULL);
    CU_ASSERT(model == NULL);
    sciml_ctx_destroy(&ctx);
}

int main(void) {
    const sciml_test_case cases[] = {{"Poisson 1D accuracy", test_poisson1d},
                                     {"Poisson 2D accuracy and file round trip", test_poisson2d},
                                     {"Burgers short run", test_burgers_short},
                                     {"residual-based refinement", test_refinement},
                                     {"Fourier-feature embedding", test_fourier},
                                     {"Kovasznay flow (three outputs)", test_kovasznay},
                                     {"inverse heat equation", test_inverse_heat},
                                     {"hard constraints (output transform)", test_hard_constraints},
                                     {NULL, NULL}};
    return sciml_test_main("pinn", cases);
}
