/* What the two products of a folded DeepONet evaluation cost on this core, as an upper bound
 * on any evaluation's throughput (bench/deeponet.sh prints it beside the measured rates).
 *
 * Folded (libsciml/models/deeponet_infer.c), a batch of F functions at m sensors with a branch
 * m-p-p and P query points costs two products: the first layer (F, m) x (m, p) and the readout
 * (F, p) x (p, P) (the branch's last layer folded into the trunk features). Nothing else has
 * to be multiplied, so no evaluation at these shapes can be faster than those two products.
 * Per precision this measures, one thread, best of the repeats by the thread's CPU time (so a
 * core shared with other work still gives the core's own rate):
 *   - OpenBLAS's rate on a large square product (the core's practical peak);
 *   - the two products at the given shapes in OpenBLAS, and the pairs per second of a pass
 *     that did only them;
 *   - the pairs per second of a pass whose first layer and `nonzero` of the readout (the rest
 *     skipped because a ReLU made those hidden values zero) ran at that square-product peak.
 *
 *   cc -O2 bench/deeponet_bound.c -o deeponet_bound -lopenblas
 *   taskset -c 0 ./deeponet_bound [F m p P nonzero repeats]   # defaults 1000 100 40 100 0.5 50
 *
 * Prints one JSON line per precision.
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* C (rows, columns) = A (rows, inner) B (inner, columns), row-major, in double or float. */
static void product(int single, int rows, int inner, int columns, const void *a, const void *b,
                    void *c) {
    if (single)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, columns, inner, 1.0f, a, inner,
                    b, columns, 0.0f, c, columns);
    else
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, columns, inner, 1.0, a, inner,
                    b, columns, 0.0, c, columns);
}

/* Best seconds of `repeats` products. */
static double best_seconds(int single, int rows, int inner, int columns, const void *a,
                           const void *b, void *c, int repeats) {
    double best = 1e300;
    for (int r = 0; r < repeats; r++) {
        const double start = now();
        product(single, rows, inner, columns, a, b, c);
        const double seconds = now() - start;
        best = seconds < best ? seconds : best;
    }
    return best;
}

int main(int argc, char **argv) {
    const int F = argc > 1 ? atoi(argv[1]) : 1000, m = argc > 2 ? atoi(argv[2]) : 100;
    const int p = argc > 3 ? atoi(argv[3]) : 40, P = argc > 4 ? atoi(argv[4]) : 100;
    const double nonzero = argc > 5 ? atof(argv[5]) : 0.5;
    const int repeats = argc > 6 ? atoi(argv[6]) : 50;
    if (F < 1 || m < 1 || p < 1 || P < 1 || !(nonzero >= 0.0 && nonzero <= 1.0) || repeats < 1) {
        fprintf(stderr, "usage: deeponet_bound [F m p P nonzero repeats] (positive sizes, "
                        "0 <= nonzero <= 1)\n");
        return 2;
    }
    openblas_set_num_threads(1);
    enum { SQUARE = 1200 };
    const size_t square = (size_t)SQUARE * SQUARE;
    size_t largest = square;
    const size_t shapes[] = {(size_t)F * m, (size_t)m * p, (size_t)F * p, (size_t)p * P,
                             (size_t)F * P};
    for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
        largest = shapes[i] > largest ? shapes[i] : largest;
    double *a = malloc(largest * sizeof(double)), *b = malloc(largest * sizeof(double));
    double *c = malloc(largest * sizeof(double));
    if (!a || !b || !c) {
        fprintf(stderr, "deeponet_bound: out of memory\n");
        return 1;
    }
    for (int single = 0; single < 2; single++) {
        /* values of no consequence but finite and not zero (no shortcut for zeros in BLAS) */
        for (size_t i = 0; i < largest; i++) {
            if (single) {
                ((float *)a)[i] = (float)(0.1 + 0.01 * (double)(i % 7));
                ((float *)b)[i] = (float)(0.2 - 0.01 * (double)(i % 5));
            } else {
                a[i] = 0.1 + 0.01 * (double)(i % 7);
                b[i] = 0.2 - 0.01 * (double)(i % 5);
            }
        }
        const double peak_seconds =
            best_seconds(single, SQUARE, SQUARE, SQUARE, a, b, c, repeats < 5 ? repeats : 5);
        const double peak = (double)SQUARE * SQUARE * SQUARE / peak_seconds; /* MAC/s */
        const double first = best_seconds(single, F, m, p, a, b, c, repeats);
        const double readout = best_seconds(single, F, p, P, a, b, c, repeats);
        const double pairs = (double)F * P;
        const double peak_pass = ((double)m * p + nonzero * p * P) * F / peak;
        printf("{\"precision\": \"%s\", \"functions\": %d, \"sensors\": %d, \"width\": %d, "
               "\"points\": %d, \"square_gemm_gmacs\": %.4g, \"first_layer_ns_per_function\": "
               "%.4g, \"readout_ns_per_function\": %.4g, \"gemm_pairs_per_second\": %.6g, "
               "\"readout_nonzero\": %.3g, \"peak_pairs_per_second\": %.6g}\n",
               single ? "single" : "double", F, m, p, P, peak * 1e-9, first / F * 1e9,
               readout / F * 1e9, pairs / (first + readout), nonzero, pairs / peak_pass);
    }
    free(a);
    free(b);
    free(c);
    return 0;
}
