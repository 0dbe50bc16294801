/* Neural ODE benchmark, the library side (bench/node.sh runs it):
 *
 *   node_bench spiral.nc ITERATIONS SEED
 *
 * 1. Training iterations on the spiral set-up of the issue (MLP 2-50-2 tanh on y^3, batch 20
 *    segments of 10 steps, Adam lr 1e-2, rtol 1e-7, atol 1e-9) with four gradients: the CVODES
 *    adjoint (Adams, and BDF), dopri5 direct (tape) and the dopri5 continuous adjoint. Prints
 *    per gradient the median seconds per iteration and the mean right-hand-side evaluations and
 *    vector-Jacobian products per iteration (each is one pass of the graph over the batch).
 * 2. Memory against the horizon: the dopri5 direct gradient's tape bytes for segments of 10
 *    and 100 steps (same batch), against the adjoint's, which keeps no tape.
 * 3. Stiffness: steps to integrate Robertson on [0, 40] (rtol 1e-6, atol 1e-10) with CVODES
 *    BDF and with dopri5.
 * One JSON object per line on stdout. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sciml/node_model.h"

static double seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Runs `iterations` Adam steps with one gradient; prints the figures. */
static int train(sciml_ctx *ctx, const sciml_node_data *data, const char *name,
                 sciml_node_solver solver, sciml_node_gradient gradient, int64_t segment,
                 int64_t iterations, uint64_t seed) {
    sciml_node_config config;
    sciml_node_config_default(&config);
    config.cube_input = 1;
    config.max_batch = 20;
    sciml_node_model *model = NULL;
    if (sciml_node_model_create(ctx, &config, seed, &model))
        return 1;
    sciml_node_solve_options options;
    sciml_node_solve_options_default(&options);
    options.solver = solver;
    options.gradient = gradient;
    int64_t batch = 20, points = segment + 1, n = 2, params = sciml_node_model_param_count(model);
    double *observed = malloc((size_t)(batch * points * n) * sizeof(double));
    double *times = malloc((size_t)points * sizeof(double));
    double *grad = malloc((size_t)params * sizeof(double));
    double *elapsed = malloc((size_t)iterations * sizeof(double));
    double m1[4096] = {0}, m2[4096] = {0};
    double *theta = sciml_node_model_params(model);
    sciml_rng rng;
    sciml_rng_seed(&rng, seed);
    double rhs = 0, vjp = 0, loss = 0, last_loss = 0;
    int64_t tape = 0;
    for (int64_t k = 0; k < points; k++)
        times[k] = data->times[k] - data->times[0];
    for (int64_t it = 0; it < iterations; it++) {
        for (int64_t b = 0; b < batch; b++) {
            int64_t start = (int64_t)sciml_rng_below(&rng, (uint64_t)(data->time_count - segment));
            memcpy(observed + b * points * n, data->states + start * n,
                   (size_t)(points * n) * sizeof(double));
        }
        sciml_ode_stats stats = {0};
        double started = seconds();
        if (sciml_node_model_loss_grad(model, &options, batch, observed, NULL, points, times, &loss,
                                       grad, &stats)) {
            fprintf(stderr, "node_bench: %s: %s\n", name, sciml_ctx_message(ctx));
            return 1;
        }
        /* Adam, lr 1e-2 (inline, so the timing is the gradient plus the update) */
        double b1 = 1 - pow(0.9, (double)(it + 1)), b2 = 1 - pow(0.999, (double)(it + 1));
        for (int64_t j = 0; j < params && j < 4096; j++) {
            m1[j] = 0.9 * m1[j] + 0.1 * grad[j];
            m2[j] = 0.999 * m2[j] + 0.001 * grad[j] * grad[j];
            theta[j] -= 1e-2 * (m1[j] / b1) / (sqrt(m2[j] / b2) + 1e-8);
        }
        elapsed[it] = seconds() - started;
        rhs += (double)stats.rhs_evaluations;
        vjp += (double)stats.vjp_evaluations;
        if (stats.tape_bytes > tape)
            tape = stats.tape_bytes;
        last_loss = loss;
    }
    qsort(elapsed, (size_t)iterations, sizeof(double), compare);
    printf("{\"gradient\":\"%s\",\"segment\":%lld,\"iterations\":%lld,\"median_seconds\":%.6g,"
           "\"rhs_per_iteration\":%.1f,\"vjp_per_iteration\":%.1f,\"tape_bytes\":%lld,"
           "\"last_loss\":%.6g}\n",
           name, (long long)segment, (long long)iterations, elapsed[iterations / 2],
           rhs / (double)iterations, vjp / (double)iterations, (long long)tape, last_loss);
    fflush(stdout);
    free(observed);
    free(times);
    free(grad);
    free(elapsed);
    sciml_node_model_destroy(&model);
    return 0;
}

static int robertson(sciml_ctx *ctx) {
    const sciml_ode_system *system = sciml_ode_system_find("robertson");
    sciml_ode_problem problem = sciml_ode_system_problem(system);
    sciml_ode_options options = sciml_ode_default_options();
    options.relative_tolerance = 1e-6;
    options.absolute_tolerance = 1e-10;
    options.max_steps = 10000000;
    double times[2] = {0.0, 40.0}, states[6];
    sciml_ode_stats bdf = {0}, explicit_steps = {0};
    options.method = SCIML_ODE_BDF;
    if (sciml_ode_solve(ctx, &problem, &options, system->initial, 2, times, states, &bdf))
        return 1;
    double y1 = states[3];
    if (sciml_ode_dopri5(ctx, &problem, &options, system->initial, 2, times, states,
                         &explicit_steps))
        return 1;
    printf("{\"robertson_t40\":{\"bdf_steps\":%lld,\"bdf_rhs\":%lld,\"dopri5_steps\":%lld,"
           "\"dopri5_rhs\":%lld,\"ratio\":%.1f,\"y1_bdf\":%.9g,\"y1_dopri5\":%.9g}}\n",
           (long long)bdf.steps, (long long)bdf.rhs_evaluations, (long long)explicit_steps.steps,
           (long long)explicit_steps.rhs_evaluations,
           (double)explicit_steps.steps / (double)bdf.steps, y1, states[3]);
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: node_bench spiral.nc ITERATIONS SEED\n");
        return 2;
    }
    sciml_ctx *ctx = NULL;
    sciml_node_data data;
    if (sciml_ctx_create(&ctx) || sciml_node_data_read(ctx, argv[1], "y", "t", &data)) {
        fprintf(stderr, "node_bench: %s\n", ctx ? sciml_ctx_message(ctx) : "out of memory");
        return 1;
    }
    int64_t iterations = strtoll(argv[2], NULL, 10);
    uint64_t seed = strtoull(argv[3], NULL, 10);
    int failed = train(ctx, &data, "cvodes-adams adjoint", SCIML_NODE_CVODES_ADAMS,
                       SCIML_NODE_ADJOINT, 10, iterations, seed) ||
                 train(ctx, &data, "cvodes-bdf adjoint", SCIML_NODE_CVODES_BDF, SCIML_NODE_ADJOINT,
                       10, iterations, seed) ||
                 train(ctx, &data, "dopri5 direct", SCIML_NODE_DOPRI5, SCIML_NODE_DIRECT, 10,
                       iterations, seed) ||
                 train(ctx, &data, "dopri5 adjoint", SCIML_NODE_DOPRI5, SCIML_NODE_ADJOINT, 10,
                       iterations, seed) ||
                 train(ctx, &data, "dopri5 direct", SCIML_NODE_DOPRI5, SCIML_NODE_DIRECT, 100,
                       iterations / 10 + 1, seed) ||
                 train(ctx, &data, "cvodes-adams adjoint", SCIML_NODE_CVODES_ADAMS,
                       SCIML_NODE_ADJOINT, 100, iterations / 10 + 1, seed) ||
                 robertson(ctx);
    if (failed)
        fprintf(stderr, "node_bench: %s\n", sciml_ctx_message(ctx));
    sciml_node_data_free(&data);
    sciml_ctx_destroy(&ctx);
    return failed;
}
