/* Single-thread OpenBLAS dgemm throughput, C = op(A) op(B) with op(A) (m, k), op(B) (k, n),
 * row-major, counted as 2 m n k floating-point operations per call. Measures square sizes
 * (the machine's practical dgemm peak) and the exact products of the MLP benchmark
 * (5 -> 64 -> 64 -> 64 -> 150, batch 128): per layer (in, out) the forward X W (128, in) x
 * (in, out), the weight gradient X^T dY (in, 128) x (128, out) and the input gradient
 * dY W^T (128, out) x (out, in).
 *
 * Prints one JSON object per shape: {"name", "m", "n", "k", "gflops", "seconds_per_call"}.
 * Build: cc -O2 bench/dgemm_peak.c -o dgemm_peak $(pkg-config --cflags --libs openblas)
 * Run:   taskset -c 0 ./dgemm_peak [min_seconds_per_shape, default 0.2]
 */
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Times repeated calls until min_seconds have passed (after one warm-up call) and returns
 * the best GFLOP/s over batches of calls, which discounts interruptions on a shared core. */
static double measure(const char *name, int trans_a, int trans_b, int m, int n, int k,
                      double min_seconds) {
    size_t a_count = (size_t)m * (size_t)k, b_count = (size_t)k * (size_t)n;
    double *a = malloc(a_count * sizeof(double));
    double *b = malloc(b_count * sizeof(double));
    double *c = calloc((size_t)m * (size_t)n, sizeof(double));
    if (a == NULL || b == NULL || c == NULL) {
        fprintf(stderr, "dgemm_peak: out of memory for %s\n", name);
        exit(1);
    }
    for (size_t i = 0; i < a_count; i++)
        a[i] = 1.0 / (double)(i % 97 + 1);
    for (size_t i = 0; i < b_count; i++)
        b[i] = 1.0 / (double)(i % 89 + 2);
    /* op(A) is (m, k): stored (m, k) or, transposed, (k, m); likewise op(B). */
    int lda = trans_a ? m : k, ldb = trans_b ? k : n;
    CBLAS_TRANSPOSE ta = trans_a ? CblasTrans : CblasNoTrans;
    CBLAS_TRANSPOSE tb = trans_b ? CblasTrans : CblasNoTrans;
    cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, 1.0, a, lda, b, ldb, 0.0, c, n);

    double flops_per_call = 2.0 * (double)m * (double)n * (double)k;
    long calls_per_batch = (long)(2e7 / flops_per_call) + 1; /* about 2e7 flops per batch */
    double best = 0.0, started = now(), elapsed = 0.0;
    long total_calls = 0;
    while (elapsed < min_seconds) {
        double t0 = now();
        for (long i = 0; i < calls_per_batch; i++)
            cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, 1.0, a, lda, b, ldb, 0.0, c, n);
        double seconds = now() - t0;
        total_calls += calls_per_batch;
        double rate = flops_per_call * (double)calls_per_batch / seconds;
        if (rate > best)
            best = rate;
        elapsed = now() - started;
    }
    printf("{\"name\": \"%s\", \"m\": %d, \"n\": %d, \"k\": %d, \"gflops\": %.3f, "
           "\"seconds_per_call\": %.3e}\n",
           name, m, n, k, best * 1e-9, flops_per_call / best);
    fflush(stdout);
    free(a);
    free(b);
    free(c);
    return best;
}

int main(int argc, char **argv) {
    double min_seconds = 0.2;
    if (argc > 1) {
        char *end = NULL;
        min_seconds = strtod(argv[1], &end);
        if (end == argv[1] || *end != '\0' || !(min_seconds > 0.0) || min_seconds > 60.0) {
            fprintf(stderr, "dgemm_peak: usage: dgemm_peak [min_seconds_per_shape in (0, 60]]\n");
            return 2;
        }
    }
    openblas_set_num_threads(1);
    fprintf(stderr, "dgemm_peak: OpenBLAS %s, %d thread(s)\n", openblas_get_config(),
            openblas_get_num_threads());

    const int square[] = {64, 128, 256, 1024};
    for (int i = 0; i < 4; i++) {
        char name[32];
        snprintf(name, sizeof name, "square %d", square[i]);
        measure(name, 0, 0, square[i], square[i], square[i], min_seconds);
    }
    const int batch = 128;
    const int widths[] = {5, 64, 64, 64, 150};
    const int layers = (int)(sizeof widths / sizeof widths[0]) - 1;
    for (int l = 0; l < layers; l++) {
        int in = widths[l], out = widths[l + 1];
        char name[64];
        snprintf(name, sizeof name, "layer %d forward X W", l + 1);
        measure(name, 0, 0, batch, out, in, min_seconds);
        snprintf(name, sizeof name, "layer %d weight grad X^T dY", l + 1);
        measure(name, 1, 0, in, out, batch, min_seconds);
        if (l > 0) { /* the first layer's input gradient is never needed */
            snprintf(name, sizeof name, "layer %d input grad dY W^T", l + 1);
            measure(name, 0, 1, batch, in, out, min_seconds);
        }
    }
    return 0;
}
