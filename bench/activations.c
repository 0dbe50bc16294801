/* Per-element time of the CPU backend's vectorised activations against libm, min of 200 runs
 * over 16384 arguments uniform in [-3, 3] (the range of a trained network's pre-activations):
 * GELU forward (ours vs 0.5 x (1 + erf(x / sqrt 2)) through libm), GELU backward, tanh (ours vs
 * libm tanh). The minimum over short runs is robust to other jobs on the core.
 * Build (from the repository root, after building into build/):
 *   cc -O2 -Ilibsciml -Ilibsciml/include bench/activations.c build/libsciml/libsciml_engine.a \
 *      build/libsciml/libsciml_core.a -lm -o activations
 * Run:   taskset -c 0 ./activations
 */
#define _POSIX_C_SOURCE 200809L
#include "backend/cpu.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define COUNT 16384
#define RUNS 200

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(void) {
    double *x = malloc(COUNT * sizeof *x), *y = malloc(COUNT * sizeof *y);
    double *g = malloc(COUNT * sizeof *g), *ones = malloc(COUNT * sizeof *ones);
    if (!x || !y || !g || !ones)
        return 1;
    srand(1);
    for (int i = 0; i < COUNT; i++) {
        x[i] = 6.0 * rand() / RAND_MAX - 3.0;
        ones[i] = 1.0;
    }
    enum { GELU, GELU_BACKWARD, TANH, LIBM_GELU, LIBM_TANH, KINDS };
    const char *names[KINDS] = {"gelu", "gelu_backward", "tanh", "libm_gelu", "libm_tanh"};
    double best[KINDS];
    for (int k = 0; k < KINDS; k++)
        best[k] = INFINITY;
    double sink = 0.0;
    for (int run = 0; run < RUNS; run++) {
        for (int k = 0; k < KINDS; k++) {
            double start = now();
            switch (k) {
            case GELU:
                sciml_cpu_gelu(COUNT, x, y);
                break;
            case GELU_BACKWARD:
                sciml_cpu_gelu_backward(COUNT, x, y, ones, g, 0);
                break;
            case TANH:
                sciml_cpu_tanh(COUNT, x, g);
                break;
            case LIBM_GELU:
                for (int i = 0; i < COUNT; i++)
                    g[i] = 0.5 * x[i] * (1.0 + erf(x[i] * 0.70710678118654752440));
                break;
            case LIBM_TANH:
                for (int i = 0; i < COUNT; i++)
                    g[i] = tanh(x[i]);
                break;
            }
            double elapsed = now() - start;
            best[k] = elapsed < best[k] ? elapsed : best[k];
            sink += g[run % COUNT] + y[run % COUNT];
        }
    }
    for (int k = 0; k < KINDS; k++)
        printf("{\"name\": \"%s\", \"ns_per_element\": %.3f}\n", names[k], 1e9 * best[k] / COUNT);
    fprintf(stderr, "(checksum %g)\n", sink);
    free(x);
    free(y);
    free(g);
    free(ones);
    return 0;
}
