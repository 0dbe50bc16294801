/* Neural ODE model (sciml/node_model.h): the graph's vector-Jacobian products against central
 * differences of the right-hand side, and the loss gradient three ways against central
 * differences of the loss: the CVODES adjoint with Adams and with BDF (Jacobian from the
 * graph) at rtol = atol = 1e-10 (relative error below 1e-6), and the direct gradient through a
 * fixed-step dopri5 tape (the exact derivative of the discrete map, 1e-7); then the
 * universal-differential-equation case with the MLP off (Lotka-Volterra coefficients only):
 * finite differences, the adjoint against CVODES forward sensitivities to 1e-8 (Adams and BDF)
 * and against the direct gradient. */
#include "sciml/node_model.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { BATCH = 3, TIMES = 6, PARAMS_MAX = 256 };

static sciml_node_model *small_model(sciml_ctx *ctx, int known, int use_mlp) {
    sciml_node_config config;
    sciml_node_config_default(&config);
    config.hidden[0] = 8;
    config.cube_input = !known;
    config.time_input = !known;
    config.augmented = known ? 0 : 1;
    config.use_mlp = use_mlp;
    config.max_batch = BATCH;
    if (known) {
        config.known = SCIML_NODE_KNOWN_LOTKA_VOLTERRA;
        double coefficients[4] = {1.3, 0.9, 2.7, 1.1};
        memcpy(config.known_initial, coefficients, sizeof coefficients);
    }
    sciml_node_model *model = NULL;
    CU_ASSERT_EQUAL(sciml_node_model_create(ctx, &config, 7, &model), SCIML_OK);
    return model;
}

static void test_vjp(void) {
    sciml_ctx *ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_ctx_create(&ctx), SCIML_OK);
    sciml_node_model *model = small_model(ctx, 0, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(model);
    double offsets[BATCH] = {0.0, 0.5, 1.0};
    sciml_ode_problem problem;
    CU_ASSERT_EQUAL_FATAL(sciml_node_model_problem(model, BATCH, offsets, &problem), SCIML_OK);
    int64_t size = problem.state_size, m = problem.parameter_count;
    CU_ASSERT_EQUAL(size, BATCH * 3);
    double y[BATCH * 3], lambda[BATCH * 3], lambda_y[BATCH * 3], plus[BATCH * 3], minus[BATCH * 3];
    double *lambda_p = malloc((size_t)m * sizeof(double));
    for (int64_t i = 0; i < size; i++) {
        y[i] = 0.3 * sin(1.0 + (double)i);
        lambda[i] = cos(2.0 * (double)i);
    }
    CU_ASSERT_EQUAL_FATAL(problem.vjp(0.4, y, lambda, lambda_y, lambda_p, problem.user), 0);
    const double step = 1e-6;
    double worst = 0.0;
    for (int64_t j = 0; j < size; j++) { /* d(lambda . f)/dy_j */
        double saved = y[j];
        y[j] = saved + step;
        problem.rhs(0.4, y, plus, problem.user);
        y[j] = saved - step;
        problem.rhs(0.4, y, minus, problem.user);
        y[j] = saved;
        double fd = 0.0;
        for (int64_t i = 0; i < size; i++)
            fd += lambda[i] * (plus[i] - minus[i]) / (2.0 * step);
        worst = fmax(worst, fabs(fd - lambda_y[j]) / fmax(1.0, fabs(fd)));
    }
    double *params = sciml_node_model_params(model);
    for (int64_t j = 0; j < m; j += 7) { /* every 7th parameter */
        double saved = params[j];
        params[j] = saved + step;
        problem.rhs(0.4, y, plus, problem.user);
        params[j] = saved - step;
        problem.rhs(0.4, y, minus, problem.user);
        params[j] = saved;
        double fd = 0.0;
        for (int64_t i = 0; i < size; i++)
            fd += lambda[i] * (plus[i] - minus[i]) / (2.0 * step);
        worst = fmax(worst, fabs(fd - lambda_p[j]) / fmax(1.0, fabs(fd)));
    }
    CU_ASSERT(worst < 1e-8);
    /* the Jacobian assembled from reverse passes, against the vjp */
    double jacobian[BATCH * 3 * BATCH * 3];
    CU_ASSERT_EQUAL(problem.jacobian(0.4, y, jacobian, problem.user), 0);
    for (int64_t j = 0; j < size; j++) {
        double row = 0.0;
        for (int64_t i = 0; i < size; i++)
            row += lambda[i] * jacobian[i * size + j];
        SCIML_ASSERT_CLOSE(row, lambda_y[j], 1e-12 * fmax(1.0, fabs(row)));
    }
    free(lambda_p);
    sciml_node_model_destroy(&model);
    sciml_ctx_destroy(&ctx);
}

/* Observations: a smooth made-up trajectory per batch member. */
static void make_data(double *observed, double *times, int64_t n) {
    for (int k = 0; k < TIMES; k++)
        times[k] = 0.2 * k;
    for (int b = 0; b < BATCH; b++)
        for (int k = 0; k < TIMES; k++)
            for (int64_t i = 0; i < n; i++)
                observed[(b * TIMES + k) * n + i] =
                    1.0 + 0.5 * cos(0.7 * (double)k + (double)(b + i)) + 0.1 * (double)b;
}

/* Largest relative difference between grad and central differences of the loss over every
 * stride-th parameter. */
static double gradient_error(sciml_ctx *ctx, sciml_node_model *model,
                             const sciml_node_solve_options *options, const double *observed,
                             const double *times, int64_t stride) {
    int64_t m = sciml_node_model_param_count(model);
    double *grad = malloc((size_t)m * sizeof(double)),
           *scratch = malloc((size_t)m * sizeof(double));
    double loss, plus, minus, worst = 0.0;
    double offsets[BATCH] = {0.0, 0.5, 1.0};
    sciml_status status = sciml_node_model_loss_grad(model, options, BATCH, observed, offsets,
                                                     TIMES, times, &loss, grad, NULL);
    CU_ASSERT_EQUAL(status, SCIML_OK);
    if (status)
        printf("\n%s\n", sciml_ctx_message(ctx));
    double *params = sciml_node_model_params(model);
    const double step = 1e-5;
    for (int64_t j = 0; j < m; j += stride) {
        double saved = params[j];
        params[j] = saved + step;
        sciml_node_model_loss_grad(model, options, BATCH, observed, offsets, TIMES, times, &plus,
                                   scratch, NULL);
        params[j] = saved - step;
        sciml_node_model_loss_grad(model, options, BATCH, observed, offsets, TIMES, times, &minus,
                                   scratch, NULL);
        params[j] = saved;
        double fd = (plus - minus) / (2.0 * step);
        double error = fabs(fd - grad[j]) / fmax(fabs(fd), 1e-3 * fabs(loss));
        worst = fmax(worst, error);
    }
    free(grad);
    free(scratch);
    return worst;
}

static void test_gradients(void) {
    sciml_ctx *ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_ctx_create(&ctx), SCIML_OK);
    sciml_node_model *model = small_model(ctx, 0, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(model);
    double observed[BATCH * TIMES * 2], times[TIMES];
    make_data(observed, times, 2);
    sciml_node_solve_options options;
    sciml_node_solve_options_default(&options);
    options.relative_tolerance = options.absolute_tolerance = 1e-10;
    double adams = gradient_error(ctx, model, &options, observed, times, 5);
    options.solver = SCIML_NODE_CVODES_BDF;
    double bdf = gradient_error(ctx, model, &options, observed, times, 5);
    options.solver = SCIML_NODE_DOPRI5;
    options.gradient = SCIML_NODE_DIRECT;
    options.fixed_step = 0.05;
    double direct = gradient_error(ctx, model, &options, observed, times, 5);
    options.gradient = SCIML_NODE_ADJOINT;
    options.fixed_step = 0.0;
    double dopri5_adjoint = gradient_error(ctx, model, &options, observed, times, 5);
    printf("\n    dopri5 adjoint (adaptive, 1e-10) %.2e", dopri5_adjoint);
    CU_ASSERT(dopri5_adjoint < 1e-6);
    printf("\n    relative error against finite differences: adams adjoint %.2e, bdf adjoint "
           "%.2e, dopri5 direct (fixed step) %.2e ",
           adams, bdf, direct);
    CU_ASSERT(adams < 1e-6);
    CU_ASSERT(bdf < 1e-6);
    CU_ASSERT(direct < 1e-7);
    /* mismatched solver and gradient */
    options.gradient = SCIML_NODE_FORWARD;
    double loss, grad[PARAMS_MAX];
    CU_ASSERT_EQUAL(sciml_node_model_loss_grad(model, &options, BATCH, observed, NULL, TIMES, times,
                                               &loss, grad, NULL),
                    SCIML_ERR_UNSUPPORTED);
    sciml_node_model_destroy(&model);
    sciml_ctx_destroy(&ctx);
}

static void test_parameter_estimation(void) {
    sciml_ctx *ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_ctx_create(&ctx), SCIML_OK);
    sciml_node_model *model = small_model(ctx, 1, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(model);
    CU_ASSERT_EQUAL(sciml_node_model_param_count(model), 4);
    double observed[BATCH * TIMES * 2], times[TIMES];
    make_data(observed, times, 2);
    sciml_node_solve_options options;
    sciml_node_solve_options_default(&options);
    options.relative_tolerance = options.absolute_tolerance = 1e-10;
    CU_ASSERT(gradient_error(ctx, model, &options, observed, times, 1) < 1e-6);
    double loss, adjoint[4], direct[4], forward[4];
    /* adjoint against CVODES forward sensitivities, both at rtol = atol = 1e-12 */
    options.relative_tolerance = options.absolute_tolerance = 1e-12;
    for (int method = 0; method < 2; method++) {
        options.solver = method ? SCIML_NODE_CVODES_BDF : SCIML_NODE_CVODES_ADAMS;
        options.gradient = SCIML_NODE_ADJOINT;
        CU_ASSERT_EQUAL(sciml_node_model_loss_grad(model, &options, BATCH, observed, NULL, TIMES,
                                                   times, &loss, adjoint, NULL),
                        SCIML_OK);
        options.gradient = SCIML_NODE_FORWARD;
        CU_ASSERT_EQUAL(sciml_node_model_loss_grad(model, &options, BATCH, observed, NULL, TIMES,
                                                   times, &loss, forward, NULL),
                        SCIML_OK);
        double worst = 0.0;
        for (int j = 0; j < 4; j++)
            worst = fmax(worst, fabs(adjoint[j] - forward[j]) / fmax(1e-3, fabs(forward[j])));
        printf("\n    %s: adjoint against forward sensitivities, relative %.2e ",
               sciml_node_solver_name(options.solver), worst);
        CU_ASSERT(worst < 1e-8);
    }
    options.solver = SCIML_NODE_CVODES_ADAMS;
    options.gradient = SCIML_NODE_ADJOINT;
    options.relative_tolerance = options.absolute_tolerance = 1e-10;
    CU_ASSERT_EQUAL(sciml_node_model_loss_grad(model, &options, BATCH, observed, NULL, TIMES, times,
                                               &loss, adjoint, NULL),
                    SCIML_OK);
    options.solver = SCIML_NODE_DOPRI5;
    options.gradient = SCIML_NODE_DIRECT;
    options.relative_tolerance = options.absolute_tolerance = 1e-12;
    CU_ASSERT_EQUAL(sciml_node_model_loss_grad(model, &options, BATCH, observed, NULL, TIMES, times,
                                               &loss, direct, NULL),
                    SCIML_OK);
    for (int j = 0; j < 4; j++)
        SCIML_ASSERT_CLOSE(adjoint[j], direct[j], 1e-7 * fmax(1.0, fabs(direct[j])));
    sciml_node_model_destroy(&model);
    sciml_ctx_destroy(&ctx);
}

/* The Lotka-Volterra result in miniature: 100 noisy points (noise 0.01) on [0, 10],
 * the four coefficients estimated from 1 (known terms only, dopri5 direct gradient, Adam
 * lr 0.05, 1000 steps of 20 segments), then a forecast over twice the training window against
 * the true trajectory: relative L2 error at most 5%. */
static void test_lotka_volterra_forecast(void) {
    sciml_ctx *ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_ctx_create(&ctx), SCIML_OK);
    const sciml_ode_system *system = sciml_ode_system_find("lotka-volterra");
    sciml_ode_problem truth = sciml_ode_system_problem(system);
    sciml_ode_options ode = sciml_ode_default_options();
    enum { POINTS = 100, FORECAST = 199 };
    double times[FORECAST], exact[FORECAST * 2], predicted[FORECAST * 2];
    for (int k = 0; k < FORECAST; k++)
        times[k] = 10.0 * k / (POINTS - 1);
    CU_ASSERT_EQUAL_FATAL(
        sciml_ode_solve(ctx, &truth, &ode, system->initial, FORECAST, times, exact, NULL),
        SCIML_OK);
    sciml_node_data data = {1, POINTS, 2, malloc(POINTS * sizeof(double)),
                            malloc(POINTS * 2 * sizeof(double))};
    sciml_rng rng;
    sciml_rng_seed(&rng, 5);
    memcpy(data.times, times, POINTS * sizeof(double));
    for (int i = 0; i < POINTS * 2; i++)
        data.states[i] = exact[i] + 0.01 * sciml_rng_normal(&rng);
    sciml_node_config config;
    sciml_node_config_default(&config);
    config.use_mlp = 0;
    config.known = SCIML_NODE_KNOWN_LOTKA_VOLTERRA;
    for (int j = 0; j < 4; j++)
        config.known_initial[j] = 1.0;
    config.max_batch = 20;
    sciml_node_model *model = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_node_model_create(ctx, &config, 1, &model), SCIML_OK);
    sciml_node_train_options options;
    sciml_node_train_options_default(&options);
    options.iterations = 1000;
    options.schedule.base_lr = 0.05;
    options.solve.solver = SCIML_NODE_DOPRI5;
    options.solve.gradient = SCIML_NODE_DIRECT;
    CU_ASSERT_EQUAL_FATAL(sciml_node_model_train(model, &data, &options), SCIML_OK);
    CU_ASSERT_EQUAL_FATAL(sciml_node_model_predict(model, &options.solve, 1, system->initial, NULL,
                                                   FORECAST, times, predicted, NULL),
                          SCIML_OK);
    double error = 0.0, norm = 0.0;
    for (int i = 0; i < FORECAST * 2; i++) {
        error += (predicted[i] - exact[i]) * (predicted[i] - exact[i]);
        norm += exact[i] * exact[i];
    }
    const double *c = sciml_node_model_params(model);
    printf("\n    coefficients %.4f %.4f %.4f %.4f (true 1.5 1 3 1), forecast to t = 20: "
           "relative L2 %.2e ",
           c[0], c[1], c[2], c[3], sqrt(error / norm));
    CU_ASSERT(sqrt(error / norm) <= 0.05);
    sciml_node_data_free(&data);
    sciml_node_model_destroy(&model);
    sciml_ctx_destroy(&ctx);
}

/* Full-batch L-BFGS over consecutive segments: noise-free Lotka-Volterra trajectories from two
 * initial states, known terms only, starting 20% off. Segments of 7 steps over 40 leave a
 * shorter last one, a batch of 3 splits the solves, and the grid is uniform or not (then only
 * segments with the same start share a solve). Exact data and a right gradient let L-BFGS
 * drive the coefficients to the truth; a wrong weighting or tiling would leave them off. */
static int keep_loss(void *user, const sciml_train_report *report) {
    *(double *)user = report->train_loss;
    return 0;
}

static void lbfgs_recovers(int uniform) {
    sciml_ctx *ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_ctx_create(&ctx), SCIML_OK);
    const sciml_ode_system *system = sciml_ode_system_find("lotka-volterra");
    sciml_ode_problem truth = sciml_ode_system_problem(system);
    sciml_ode_options ode = sciml_ode_default_options();
    ode.relative_tolerance = ode.absolute_tolerance = 1e-11;
    enum { POINTS = 41 };
    sciml_node_data data = {2, POINTS, 2, malloc(POINTS * sizeof(double)),
                            malloc(2 * POINTS * 2 * sizeof(double))};
    CU_ASSERT_PTR_NOT_NULL_FATAL(data.times);
    CU_ASSERT_PTR_NOT_NULL_FATAL(data.states);
    for (int k = 0; k < POINTS; k++)
        data.times[k] = uniform ? 0.2 * k : 8.0 * pow(k / (POINTS - 1.0), 1.3);
    for (int sample = 0; sample < 2; sample++) {
        double y0[2] = {system->initial[0] * (1.0 + 0.3 * sample), system->initial[1]};
        CU_ASSERT_EQUAL_FATAL(sciml_ode_solve(ctx, &truth, &ode, y0, POINTS, data.times,
                                              data.states + sample * POINTS * 2, NULL),
                              SCIML_OK);
    }
    sciml_node_config config;
    sciml_node_config_default(&config);
    config.use_mlp = 0;
    config.known = SCIML_NODE_KNOWN_LOTKA_VOLTERRA;
    const double exact[4] = {1.5, 1.0, 3.0, 1.0};
    for (int j = 0; j < 4; j++)
        config.known_initial[j] = exact[j] * (j % 2 ? 0.8 : 1.2);
    config.max_batch = 3;
    sciml_node_model *model = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_node_model_create(ctx, &config, 1, &model), SCIML_OK);
    sciml_node_train_options options;
    sciml_node_train_options_default(&options);
    options.optimizer = SCIML_OPTIMIZER_LBFGS;
    options.iterations = 100;
    options.batch = 3;
    options.segment = 7;
    options.solve.solver = SCIML_NODE_DOPRI5;
    options.solve.gradient = SCIML_NODE_DIRECT;
    options.solve.relative_tolerance = options.solve.absolute_tolerance = 1e-11;
    /* one iteration first: the reported loss is the MSE over every segment, recomputed here
     * segment by segment from the model's predictions */
    double reported = NAN;
    options.iterations = 1;
    options.report_every = 1;
    options.report = keep_loss;
    options.report_user = &reported;
    CU_ASSERT_EQUAL_FATAL(sciml_node_model_train(model, &data, &options), SCIML_OK);
    double squared = 0.0, predicted[8 * 2], relative[8];
    for (int sample = 0; sample < 2; sample++)
        for (int start = 0; start < POINTS - 1; start += 7) {
            int count = start + 7 < POINTS ? 8 : POINTS - start;
            const double *observed = data.states + (sample * POINTS + start) * 2;
            for (int k = 0; k < count; k++)
                relative[k] = data.times[start + k] - data.times[start];
            CU_ASSERT_EQUAL_FATAL(sciml_node_model_predict(model, &options.solve, 1, observed,
                                                           NULL, count, relative, predicted, NULL),
                                  SCIML_OK);
            for (int i = 2; i < count * 2; i++)
                squared += (predicted[i] - observed[i]) * (predicted[i] - observed[i]);
        }
    double recomputed = squared / (2.0 * (POINTS - 1) * 2);
    printf("\n    full-batch loss after one iteration %.9e, recomputed %.9e ", reported,
           recomputed);
    CU_ASSERT(fabs(reported - recomputed) <= 1e-7 * recomputed);
    options.iterations = 99;
    options.report = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_node_model_train(model, &data, &options), SCIML_OK);
    const double *c = sciml_node_model_params(model);
    double worst = 0.0;
    for (int j = 0; j < 4; j++)
        worst = fmax(worst, fabs(c[j] - exact[j]) / exact[j]);
    printf("\n    %s grid: coefficients %.7f %.7f %.7f %.7f after %lld L-BFGS iterations ",
           uniform ? "uniform" : "non-uniform", c[0], c[1], c[2], c[3],
           (long long)sciml_node_model_iterations_done(model));
    CU_ASSERT(worst < 1e-5);
    CU_ASSERT(sciml_node_model_iterations_done(model) <= 100);
    sciml_node_data_free(&data);
    sciml_node_model_destroy(&model);
    sciml_ctx_destroy(&ctx);
}

static void test_lbfgs_full_batch(void) {
    lbfgs_recovers(1);
    lbfgs_recovers(0);
}

/* Stiff parameter estimation: Robertson's kinetics with trainable log-rates. The BDF adjoint
 * agrees with forward sensitivities, and one gradient costs dopri5 over 100 times the steps. */
static void test_robertson_stiff(void) {
    sciml_ctx *ctx = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_ctx_create(&ctx), SCIML_OK);
    const sciml_ode_system *system = sciml_ode_system_find("robertson");
    sciml_ode_problem truth = sciml_ode_system_problem(system);
    sciml_ode_options ode = sciml_ode_default_options();
    ode.method = SCIML_ODE_BDF;
    enum { SEGMENTS = 2, POINTS = 6 };
    double times[POINTS], observed[SEGMENTS * POINTS * 3], y0[2][3] = {{1, 0, 0}, {0.8, 0, 0.2}};
    for (int k = 0; k < POINTS; k++)
        times[k] = 2.0 * k;
    for (int b = 0; b < SEGMENTS; b++)
        CU_ASSERT_EQUAL_FATAL(sciml_ode_solve(ctx, &truth, &ode, y0[b], POINTS, times,
                                              observed + b * POINTS * 3, NULL),
                              SCIML_OK);
    sciml_node_config config;
    sciml_node_config_default(&config);
    config.state_size = 3;
    config.use_mlp = 0;
    config.known = SCIML_NODE_KNOWN_ROBERTSON;
    config.known_initial[0] = log(0.04) + 0.3;
    config.known_initial[1] = log(1e4) - 0.3;
    config.known_initial[2] = log(3e7) + 0.3;
    config.max_batch = SEGMENTS;
    sciml_node_model *model = NULL;
    CU_ASSERT_EQUAL_FATAL(sciml_node_model_create(ctx, &config, 1, &model), SCIML_OK);
    CU_ASSERT_EQUAL(sciml_node_model_param_count(model), 3);
    sciml_node_solve_options options;
    sciml_node_solve_options_default(&options);
    options.solver = SCIML_NODE_CVODES_BDF;
    options.relative_tolerance = 1e-10;
    options.absolute_tolerance = 1e-14;
    double loss, adjoint[3], forward[3];
    sciml_ode_stats bdf = {0}, explicit_steps = {0};
    CU_ASSERT_EQUAL(sciml_node_model_loss_grad(model, &options, SEGMENTS, observed, NULL, POINTS,
                                               times, &loss, adjoint, &bdf),
                    SCIML_OK);
    options.gradient = SCIML_NODE_FORWARD;
    CU_ASSERT_EQUAL(sciml_node_model_loss_grad(model, &options, SEGMENTS, observed, NULL, POINTS,
                                               times, &loss, forward, NULL),
                    SCIML_OK);
    double worst = 0.0;
    for (int j = 0; j < 3; j++)
        worst = fmax(worst, fabs(adjoint[j] - forward[j]) / fmax(1e-6, fabs(forward[j])));
    options.solver = SCIML_NODE_DOPRI5;
    options.gradient = SCIML_NODE_DIRECT;
    options.relative_tolerance = 1e-6;
    options.absolute_tolerance = 1e-10;
    options.max_steps = 10000000;
    CU_ASSERT_EQUAL(sciml_node_model_loss_grad(model, &options, SEGMENTS, observed, NULL, POINTS,
                                               times, &loss, forward, &explicit_steps),
                    SCIML_OK);
    printf("\n    BDF adjoint against forward sensitivities %.2e; steps BDF %lld, dopri5 %lld ",
           worst, (long long)bdf.steps, (long long)explicit_steps.steps);
    CU_ASSERT(worst < 1e-6);
    CU_ASSERT(explicit_steps.steps > 100 * bdf.steps);
    sciml_node_model_destroy(&model);
    sciml_ctx_destroy(&ctx);
}

int main(void) {
    static const sciml_test_case cases[] = {
        {"vector-Jacobian products and Jacobian from the graph", test_vjp},
        {"loss gradients: adjoint (adams, bdf), direct (dopri5)", test_gradients},
        {"parameter estimation (known terms only)", test_parameter_estimation},
        {"robertson: stiff known terms, bdf adjoint, explicit steps", test_robertson_stiff},
        {"lotka-volterra from noisy points: forecast over twice the window",
         test_lotka_volterra_forecast},
        {"full-batch L-BFGS over consecutive segments (uniform and non-uniform grids)",
         test_lbfgs_full_batch},
        {NULL, NULL},
    };
    return sciml_test_main("models_node", cases);
}
