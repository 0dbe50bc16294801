/* In-process evaluation throughput of a DeepONet model (bench/deeponet.sh): reads the model
 * and the input functions v(sample, sensor) and query points x of a data file, then times
 * sciml_deeponet_model_predict over all functions at all points in batches, best of `repeats`
 * passes (the reading is not timed, as the PyTorch side times its forward pass only).
 *
 *   deeponet_eval MODEL DATA [BATCH] [REPEATS]   -> one JSON line on stdout
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sciml/dataset.h"
#include "sciml/deeponet_model.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: deeponet_eval MODEL DATA [BATCH] [REPEATS]\n");
        return 2;
    }
    const int64_t batch = argc > 3 ? atoll(argv[3]) : 1000;
    const int repeats = argc > 4 ? atoi(argv[4]) : 5;
    sciml_ctx *ctx = NULL;
    sciml_deeponet_model *model = NULL;
    sciml_nc_reader *reader = NULL;
    sciml_array functions = {0};
    sciml_deeponet_grid grid = {0};
    double *values = NULL;
    int code = 1;
    if (sciml_ctx_create(&ctx) || sciml_deeponet_model_read(ctx, argv[1], &model, NULL, NULL) ||
        sciml_nc_open(ctx, argv[2], &reader) ||
        sciml_deeponet_grid_of_names(ctx, reader, "x", &grid) ||
        sciml_array_read(ctx, reader, "v", &functions))
        goto done;
    values = malloc((size_t)functions.sample_count * (size_t)grid.point_count * sizeof(double));
    if (!values)
        goto done;
    double best = 1e300;
    for (int r = 0; r < repeats; r++) {
        double start = now();
        if (sciml_deeponet_model_predict(model, functions.values, functions.sample_count,
                                         grid.points, grid.point_count, batch, values))
            goto done;
        double seconds = now() - start;
        best = seconds < best ? seconds : best;
    }
    const double pairs = (double)functions.sample_count * (double)grid.point_count;
    printf("{\"eval_pairs\": %.0f, \"eval_seconds\": %.6g, \"eval_pairs_per_second\": %.6g}\n",
           pairs, best, pairs / best);
    code = 0;
done:
    if (code)
        fprintf(stderr, "deeponet_eval: %s\n", sciml_ctx_message(ctx));
    free(values);
    sciml_array_free(&functions);
    sciml_deeponet_grid_free(&grid);
    sciml_nc_close(&reader);
    sciml_deeponet_model_destroy(&model);
    sciml_ctx_destroy(&ctx);
    return code;
}
