/* In-process evaluation throughput of a DeepONet model (bench/deeponet.sh): reads the model
 * and the input functions v(sample, sensor) and query points x of a data file, then times
 * sciml_deeponet_model_predict over all functions at all points, one call per batch, best of
 * `repeats` passes (the reading is not timed, as the PyTorch side times its forward pass only).
 * Every batch's values go to the same batch-sized array: PyTorch's side keeps no batch's
 * values either (each batch's output tensor is freed when the next one replaces it, and malloc
 * hands the same block out again), and sciml-deeponet writes each batch to its output before
 * the next. So both sides' stores stay in the caches (into one array of all the values, ours
 * would go out to memory and PyTorch's not: 60-70 ns more per function of 100 points).
 * PRECISION single times sciml_deeponet_model_predict_f32 instead, on the functions rounded to
 * float32 beforehand (not timed, as PyTorch's float32 inputs are made before its passes) and
 * float32 values, the same as the PyTorch model .float() on float32 tensors. Reports the best
 * pass in wall time and, separately, in the thread's CPU time (on a shared core the CPU time
 * leaves out the time the process waits for the core, not the caches other processes evict).
 *
 *   deeponet_eval MODEL DATA [BATCH] [REPEATS] [double|single]   -> one JSON line on stdout
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sciml/dataset.h"
#include "sciml/deeponet_model.h"

static double now(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: deeponet_eval MODEL DATA [BATCH] [REPEATS] [double|single]\n");
        return 2;
    }
    const int single = argc > 5 && !strcmp(argv[5], "single");
    const int64_t batch = argc > 3 ? atoll(argv[3]) : 1000;
    const int repeats = argc > 4 ? atoi(argv[4]) : 5;
    if (batch < 1 || repeats < 1) {
        fprintf(stderr, "deeponet_eval: BATCH and REPEATS must be positive\n");
        return 2;
    }
    sciml_ctx *ctx = NULL;
    sciml_deeponet_model *model = NULL;
    sciml_nc_reader *reader = NULL;
    sciml_array functions = {0};
    sciml_deeponet_grid grid = {0};
    double *values = NULL;
    float *functions_f32 = NULL, *values_f32 = NULL;
    int code = 1;
    if (sciml_ctx_create(&ctx) || sciml_deeponet_model_read(ctx, argv[1], &model, NULL, NULL) ||
        sciml_nc_open(ctx, argv[2], &reader) ||
        sciml_deeponet_grid_of_names(ctx, reader, "x", &grid) ||
        sciml_array_read(ctx, reader, "v", &functions))
        goto done;
    const size_t value_count = (size_t)batch * (size_t)grid.point_count; /* one batch */
    const size_t function_count = (size_t)functions.sample_count * (size_t)functions.feature_count;
    values = malloc(value_count * sizeof(double));
    functions_f32 = malloc(function_count * sizeof(float));
    values_f32 = malloc(value_count * sizeof(float));
    if (!values || !functions_f32 || !values_f32)
        goto done;
    for (size_t i = 0; i < function_count; i++)
        functions_f32[i] = (float)functions.values[i];
    double best = 1e300, best_cpu = 1e300;
    for (int r = 0; r < repeats; r++) {
        const double start = now(CLOCK_MONOTONIC), start_cpu = now(CLOCK_THREAD_CPUTIME_ID);
        for (int64_t first = 0; first < functions.sample_count; first += batch) {
            const int64_t n =
                functions.sample_count - first < batch ? functions.sample_count - first : batch;
            const int64_t m = functions.feature_count;
            if (single ? sciml_deeponet_model_predict_f32(model, functions_f32 + first * m, n,
                                                          grid.points, grid.point_count, batch,
                                                          values_f32)
                       : sciml_deeponet_model_predict(model, functions.values + first * m, n,
                                                      grid.points, grid.point_count, batch, values))
                goto done;
        }
        const double seconds = now(CLOCK_MONOTONIC) - start;
        const double cpu = now(CLOCK_THREAD_CPUTIME_ID) - start_cpu;
        best = seconds < best ? seconds : best;
        best_cpu = cpu < best_cpu ? cpu : best_cpu;
    }
    const double pairs = (double)functions.sample_count * (double)grid.point_count;
    printf("{\"precision\": \"%s\", \"eval_pairs\": %.0f, \"eval_seconds\": %.6g, "
           "\"eval_pairs_per_second\": %.6g, \"eval_cpu_seconds\": %.6g, "
           "\"eval_pairs_per_cpu_second\": %.6g}\n",
           single ? "single" : "double", pairs, best, pairs / best, best_cpu, pairs / best_cpu);
    code = 0;
done:
    if (code)
        fprintf(stderr, "deeponet_eval: %s\n", sciml_ctx_message(ctx));
    free(values);
    free(functions_f32);
    free(values_f32);
    sciml_array_free(&functions);
    sciml_deeponet_grid_free(&grid);
    sciml_nc_close(&reader);
    sciml_deeponet_model_destroy(&model);
    sciml_ctx_destroy(&ctx);
    return code;
}
