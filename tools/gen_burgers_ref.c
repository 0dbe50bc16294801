/* sciml-gen burgers-ref: the Burgers PINN reference solution (Cole-Hopf, sciml/pde.h)
 *
 *   u_t + u u_x = nu u_xx,  x in [-1, 1],  u(x, 0) = -sin(pi x),  u(+-1, t) = 0
 *
 * on the standard grid (256 x points in [-1, 1], 100 times in [0, 0.99]) as u(t, x), or at
 * random points of the domain (x in [-1, 1], t in [0, 1]) with optional Gaussian noise of a
 * given fraction of the standard deviation of u: observations for the inverse problem. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gen_burgers_ref.h"
#include "pinn_io.h"
#include "sciml/pde.h"
#include "tool.h"

typedef struct ref_options {
    double nu, t_max, noise;
    int64_t size[2];
    int64_t points; /* 0: grid */
    int64_t quadrature;
    uint64_t seed;
    const char *output;
} ref_options;

static void usage(FILE *out) {
    fprintf(out,
            "Usage: sciml-gen burgers-ref [OPTIONS]\n"
            "Reference solution of u_t + u u_x = nu u_xx on x in [-1, 1], u(x, 0) = -sin(pi x),\n"
            "u(+-1, t) = 0 by the Cole-Hopf transform, on a grid u(t, x) or at random points.\n"
            "\n"
            "Options:\n"
            "  --nu X           viscosity [0.01/pi]\n"
            "  --grid N,M       x points in [-1, 1] and t points in [0, --t-max] [256,100]\n"
            "  --t-max X        last time of the grid [0.99]\n"
            "  --points N       N random points in [-1, 1] x [0, 1] instead of the grid\n"
            "  --noise X        with --points: add noise X std(u) N(0, 1) to u [0]\n"
            "  --quadrature N   trapezoid nodes per point [2000]\n"
            "  --seed N         random seed [0]\n"
            "  -o, --output FILE  output file, '-' for standard output [-]\n"
            "  -h, --help       show this help and exit\n");
}

static int run(sciml_ctx *ctx, const void *options, const char *command) {
    const ref_options *o = options;
    const char *names[2] = {"x", "t"};
    const char *field_names[1] = {"u"};
    pinn_grid grid;
    memset(&grid, 0, sizeof grid);
    double *points = NULL, *u = NULL, *x = NULL, *t = NULL;
    int64_t count;
    sciml_status status = SCIML_OK;
    if (o->points == 0) {
        double lower[2] = {-1, 0}, upper[2] = {1, o->t_max};
        if ((status = pinn_grid_make(ctx, 2, names, o->size, lower, upper, &grid)))
            return tool_fail(ctx);
        count = pinn_grid_count(&grid);
        points = pinn_grid_points(&grid);
    } else {
        count = o->points;
        points = malloc((size_t)count * 2 * sizeof *points);
        sciml_rng rng;
        sciml_rng_seed(&rng, o->seed);
        for (int64_t i = 0; points && i < count; i++) {
            points[2 * i] = -1 + 2 * sciml_rng_uniform(&rng);
            points[2 * i + 1] = sciml_rng_uniform(&rng);
        }
    }
    u = malloc((size_t)count * sizeof *u);
    x = malloc((size_t)count * sizeof *x);
    t = malloc((size_t)count * sizeof *t);
    if (!points || !u || !x || !t) {
        status = sciml_error(ctx, SCIML_ERR_NOMEM, "burgers-ref: out of memory");
        goto done;
    }
    for (int64_t i = 0; i < count; i++) {
        x[i] = points[2 * i];
        t[i] = points[2 * i + 1];
    }
    if ((status = sciml_burgers_cole_hopf(ctx, o->nu, count, x, t, o->quadrature, u)))
        goto done;
    if (o->points > 0 && o->noise > 0) {
        double mean = 0, square = 0;
        for (int64_t i = 0; i < count; i++)
            mean += u[i] / (double)count;
        for (int64_t i = 0; i < count; i++)
            square += (u[i] - mean) * (u[i] - mean) / (double)count;
        sciml_rng rng;
        sciml_rng_seed(&rng, o->seed ^ UINT64_C(0x5bd1e995));
        for (int64_t i = 0; i < count; i++)
            u[i] += o->noise * sqrt(square) * sciml_rng_normal(&rng);
    }
    const double *fields[1] = {u};
    status = o->points == 0 ? pinn_grid_write(ctx, o->output, &grid, 1, field_names, fields,
                                              "burgers", command)
                            : pinn_points_write(ctx, o->output, 2, names, count, points, 1,
                                                field_names, fields, "burgers", command);
done:
    free(points);
    free(u);
    free(x);
    free(t);
    pinn_grid_free(&grid);
    return status ? tool_fail(ctx) : TOOL_EXIT_OK;
}

int gen_burgers_ref_main(int argc, char **argv) {
    ref_options o = {0.01 / SCIML_PI, 0.99, 0, {256, 100}, 0, 2000, 0, "-"};
    tool_usage errors = {0};
    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i], *v = NULL;
        double list[2];
        int n = 0;
        if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
            usage(stdout);
            return TOOL_EXIT_OK;
        } else if (tool_option(argc, argv, &i, "--nu", &v, &errors)) {
            tool_parse_double(&errors, "--nu", v, 1e-12, 1e6, &o.nu);
        } else if (tool_option(argc, argv, &i, "--t-max", &v, &errors)) {
            tool_parse_double(&errors, "--t-max", v, 0, 1e6, &o.t_max);
        } else if (tool_option(argc, argv, &i, "--noise", &v, &errors)) {
            tool_parse_double(&errors, "--noise", v, 0, 10, &o.noise);
        } else if (tool_option(argc, argv, &i, "--grid", &v, &errors)) {
            if (!pinn_parse_list(&errors, "--grid", v, 2, 1, 1 << 20, list, &n)) {
                if (n != 2 || list[0] != floor(list[0]) || list[1] != floor(list[1]))
                    tool_usage_error(&errors, "--grid '%s': expected two integers N,M", v);
                o.size[0] = (int64_t)list[0];
                o.size[1] = (int64_t)list[n - 1];
            }
        } else if (tool_option(argc, argv, &i, "--points", &v, &errors)) {
            tool_parse_int64(&errors, "--points", v, 1, INT64_C(1) << 26, &o.points);
        } else if (tool_option(argc, argv, &i, "--quadrature", &v, &errors)) {
            tool_parse_int64(&errors, "--quadrature", v, 16, INT64_C(1) << 24, &o.quadrature);
        } else if (tool_option(argc, argv, &i, "--seed", &v, &errors)) {
            tool_parse_seed(&errors, "--seed", v, &o.seed);
        } else if (tool_option(argc, argv, &i, "--output", &v, &errors) ||
                   tool_option(argc, argv, &i, "-o", &v, &errors)) {
            o.output = v;
        } else {
            tool_usage_error(&errors, "unknown option '%s' for generator burgers-ref", arg);
        }
    }
    if (o.noise > 0 && o.points == 0)
        tool_usage_error(&errors, "--noise needs --points (noise is for observations)");
    int usage_status = tool_usage_finish(&errors);
    if (usage_status)
        return usage_status;
    return tool_run(argc, argv, run, &o);
}
