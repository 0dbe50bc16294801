/* sciml-gen: make data sets as netCDF files (sample = record dimension), one sample at a
 * time so any number of samples streams through a pipe in bounded memory.
 *
 *   grf         Gaussian random fields, covariance sigma^2 (-Laplacian + tau^2 I)^(-alpha),
 *               periodic on [0,1)^d, d = 1 or 2 (libsciml/gen/grf.c states the convention)
 *   oscillator  damped harmonic oscillator: 5 parameters (A, v0, omega, zeta, c) -> x(t) + c
 *               at P times on [0, T] (closed form)
 *   burgers     1D viscous Burgers u_t + (u^2/2)_x = nu u_xx, periodic: u0 from a GRF -> u(., T)
 *               (pseudo-spectral reference solver on a fine grid, subsampled)
 *   darcy       2D Darcy flow -div(a grad u) = 1, u = 0 on the boundary: a piecewise-constant
 *               coefficient from a thresholded GRF -> u (finite differences)
 *   cubic       y = x^3 + skewed noise, x in [-4, 4] (or outside it with --ood): the PI3NN
 *               example
 *   antiderivative  DeepONet's first example: v from an RBF Gaussian process at m sensors ->
 *               u(x) = integral_0^x v at the same points (sciml/operator_data.h)
 *   burgers-ref the PINN Burgers reference (Cole-Hopf) on a grid or at points, in
 *               gen_burgers_ref.c
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sciml/burgers.h"
#include "sciml/darcy.h"
#include "sciml/gen.h"
#include "sciml/netcdf.h"
#include "sciml/operator_data.h"
#include "gen_burgers_ref.h"
#include "tool.h"

typedef enum generator_kind {
    GENERATOR_GRF,
    GENERATOR_OSCILLATOR,
    GENERATOR_BURGERS,
    GENERATOR_DARCY,
    GENERATOR_CUBIC,
    GENERATOR_ANTIDERIVATIVE
} generator_kind;

typedef struct gen_options {
    generator_kind kind;
    int64_t samples;
    int64_t resolution; /* grf: points per dimension; oscillator: time points */
    int dims;
    double alpha, tau, sigma;
    double horizon;
    uint64_t seed;
    const char *name; /* grf: the field variable's name */
    const char *output;
    int resolution_given;
    int quiet;
    int ood; /* cubic: out-of-distribution inputs */
    /* burgers and darcy */
    int64_t fine; /* points per side of the solve before subsampling (0: same) */
    double viscosity, final_time, tolerance;
    const char *burgers_case; /* "released" or "paper" */
    int viscosity_given, grf_given[3];
    double high, low;
    const char *method;
    /* antiderivative */
    int64_t sensors;
    double length_scale;
} gen_options;

static void usage(FILE *out) {
    fprintf(out,
            "Usage: sciml-gen GENERATOR [OPTIONS]\n"
            "Make a data set as a netCDF file: one record per sample, written as it is made.\n"
            "\n"
            "Generators:\n"
            "  grf         Gaussian random fields on the periodic unit interval or square with\n"
            "              covariance sigma^2 (-Laplacian + tau^2 I)^(-alpha); variable a(sample,\n"
            "              x[, y]) and coordinates x[, y]\n"
            "  oscillator  damped oscillator x'' + 2 zeta omega x' + omega^2 x = 0: inputs\n"
            "              x(sample, parameter) = (A, v0, omega, zeta, c), outputs\n"
            "              y(sample, time) = x(t) + c, coordinate t(time)\n"
            "  burgers     viscous Burgers u_t + (u^2/2)_x = nu u_xx on the periodic unit\n"
            "              interval: a(sample, x) = u0 from a GRF, u(sample, x) = u(x, T)\n"
            "  darcy       Darcy flow -div(a grad u) = 1 on the unit square, u = 0 on the\n"
            "              boundary: a(sample, x, y) in {high, low} from a thresholded GRF,\n"
            "              u(sample, x, y)\n"
            "  cubic       y = x^3 + e, e = 10 z (z > 0) or 2 z, z ~ N(0, 1), x ~ U[-4, 4]:\n"
            "              x(sample, feature), y(sample, output) (the PI3NN example)\n"
            "  antiderivative  DeepONet's first example: v(sample, sensor) from a Gaussian\n"
            "              process with RBF kernel on [0, 1], u(sample, x) = integral_0^x v at\n"
            "              the same points\n"
            "  burgers-ref Burgers reference for PINNs on [-1, 1], u0 = -sin(pi x) (Cole-Hopf):\n"
            "              u(t, x) on a grid or u(point) at random points; options in\n"
            "              'sciml-gen burgers-ref --help'\n"
            "\n"
            "Options (all generators):\n"
            "  -n, --samples N     number of samples [100]\n"
            "      --seed N        random seed [0]; the same seed gives the same data\n"
            "  -q, --quiet         no progress on stderr\n"
            "  -o, --output FILE   output file, '-' for standard output [-]\n"
            "  -h, --help          show this help and exit\n"
            "      --version       show the version and exit\n"
            "grf:\n"
            "      --dims 1|2      spatial dimensions [1]\n"
            "      --resolution S  grid points per dimension [1024 in 1D, 64 in 2D]\n"
            "      --alpha A       smoothness exponent [2.5]\n"
            "      --tau T         inverse length scale [7]\n"
            "      --sigma S       amplitude [49]  (defaults: the FNO Burgers data set)\n"
            "      --name NAME     name of the field variable [a]\n"
            "burgers (the GRF options above apply; defaults: the released FNO data set):\n"
            "      --case NAME     released (nu 0.001, alpha 2.5, tau 7, sigma 49) or paper\n"
            "                      (nu 0.1, alpha 2, tau 5, sigma 25) [released]\n"
            "      --nu X          viscosity [by --case]\n"
            "      --fine N        points of the reference solve, a multiple of\n"
            "                      --resolution [8192]\n"
            "      --time T        final time [1]\n"
            "      --tolerance X   relative error tolerance of the time stepping [1e-6]\n"
            "darcy (--resolution [85], --alpha [2], --tau [3], --sigma [3]):\n"
            "      --fine N        points per side of the solve; (N-1) a multiple of\n"
            "                      (--resolution - 1) [--resolution]\n"
            "      --high X        coefficient where the GRF is >= 0 [12]\n"
            "      --low X         coefficient elsewhere [3]\n"
            "      --method NAME   auto, banded or pcg [auto]\n"
            "antiderivative:\n"
            "      --sensors M     sensors (and output points) on [0, 1] [%d]\n"
            "      --length-scale L  RBF kernel length scale [%g]\n"
            "oscillator:\n"
            "      --points P      time points [150]\n"
            "      --horizon T     final time [1]\n"
            "cubic:\n"
            "      --ood           inputs outside the training range: x uniform on\n"
            "                      [-7, -4) and (4, 7]\n"
            "\n"
            "Exit status: 0 success, 1 failure (no output file is left), 2 usage error.\n",
            SCIML_ANTIDERIVATIVE_SENSORS, SCIML_ANTIDERIVATIVE_LENGTH_SCALE);
}

/* Value-taking options of some generator ("--dims", "--points", ...). */
static const char *const generator_options[] = {
    "--dims",      "--resolution", "--alpha", "--tau",    "--sigma",   "--name",
    "--points",    "--horizon",    "--fine",  "--case",   "--nu",      "--time",
    "--tolerance", "--high",       "--low",   "--method", "--sensors", "--length-scale"};

static int parse_options(int argc, char **argv, gen_options *options) {
    tool_usage usage_errors = {0};
    memset(options, 0, sizeof(*options));
    options->samples = 100;
    options->dims = 1;
    options->alpha = SCIML_GRF_BURGERS_ALPHA;
    options->tau = SCIML_GRF_BURGERS_TAU;
    options->sigma = SCIML_GRF_BURGERS_SIGMA;
    options->horizon = SCIML_OSCILLATOR_DEFAULT_HORIZON;
    options->name = "a";
    options->output = "-";
    if (argc < 2) {
        tool_usage_error(&usage_errors,
                         "missing GENERATOR (grf, oscillator, burgers, darcy, cubic or "
                         "antiderivative)");
        return tool_usage_finish(&usage_errors);
    }
    const char *generator = argv[1];
    if (!strcmp(generator, "-h") || !strcmp(generator, "--help")) {
        usage(stdout);
        exit(TOOL_EXIT_OK);
    } else if (!strcmp(generator, "--version")) {
        tool_print_version();
        exit(TOOL_EXIT_OK);
    } else if (!strcmp(generator, "grf")) {
        options->kind = GENERATOR_GRF;
    } else if (!strcmp(generator, "oscillator")) {
        options->kind = GENERATOR_OSCILLATOR;
    } else if (!strcmp(generator, "burgers")) {
        options->kind = GENERATOR_BURGERS;
    } else if (!strcmp(generator, "darcy")) {
        options->kind = GENERATOR_DARCY;
    } else if (!strcmp(generator, "cubic")) {
        options->kind = GENERATOR_CUBIC;
    } else if (!strcmp(generator, "antiderivative")) {
        options->kind = GENERATOR_ANTIDERIVATIVE;
    } else {
        tool_usage_error(&usage_errors,
                         "unknown generator '%s': expected grf, oscillator, burgers, darcy, cubic "
                         "or antiderivative",
                         generator);
    }
    const int grf = options->kind == GENERATOR_GRF;
    const int oscillator = options->kind == GENERATOR_OSCILLATOR;
    const int burgers = options->kind == GENERATOR_BURGERS;
    const int darcy = options->kind == GENERATOR_DARCY;
    const int cubic = options->kind == GENERATOR_CUBIC;
    const int antiderivative = options->kind == GENERATOR_ANTIDERIVATIVE;
    const int fields = !oscillator && !cubic && !antiderivative; /* with a GRF, --resolution */
    options->sensors = SCIML_ANTIDERIVATIVE_SENSORS;
    options->length_scale = SCIML_ANTIDERIVATIVE_LENGTH_SCALE;
    options->viscosity = SCIML_BURGERS_VISCOSITY;
    options->final_time = SCIML_BURGERS_DEFAULT_FINAL_TIME;
    options->tolerance = SCIML_BURGERS_DEFAULT_RELATIVE_TOLERANCE;
    options->burgers_case = "released";
    options->high = SCIML_DARCY_HIGH;
    options->low = SCIML_DARCY_LOW;
    options->method = "auto";
    if (darcy) {
        options->alpha = SCIML_DARCY_ALPHA;
        options->tau = SCIML_DARCY_TAU;
        options->sigma = SCIML_DARCY_SIGMA;
    }
    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i];
        const char *value = NULL;
        if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
            usage(stdout);
            exit(TOOL_EXIT_OK);
        } else if (!strcmp(arg, "--version")) {
            tool_print_version();
            exit(TOOL_EXIT_OK);
        } else if (tool_option(argc, argv, &i, "--samples", &value, &usage_errors) ||
                   tool_option(argc, argv, &i, "-n", &value, &usage_errors)) {
            tool_parse_int64(&usage_errors, "--samples", value, 1, INT64_C(1) << 40,
                             &options->samples);
        } else if (tool_option(argc, argv, &i, "--seed", &value, &usage_errors)) {
            tool_parse_seed(&usage_errors, "--seed", value, &options->seed);
        } else if (tool_option(argc, argv, &i, "--output", &value, &usage_errors) ||
                   tool_option(argc, argv, &i, "-o", &value, &usage_errors)) {
            options->output = value ? value : "-";
        } else if (grf && tool_option(argc, argv, &i, "--dims", &value, &usage_errors)) {
            tool_parse_int(&usage_errors, "--dims", value, 1, 2, &options->dims);
        } else if (!strcmp(arg, "-q") || !strcmp(arg, "--quiet")) {
            options->quiet = 1;
        } else if (fields && tool_option(argc, argv, &i, "--resolution", &value, &usage_errors)) {
            options->resolution_given = !tool_parse_int64(&usage_errors, "--resolution", value, 2,
                                                          INT64_C(1) << 24, &options->resolution);
        } else if (fields && tool_option(argc, argv, &i, "--alpha", &value, &usage_errors)) {
            options->grf_given[0] = 1;
            tool_parse_double(&usage_errors, "--alpha", value, 1e-6, 100, &options->alpha);
        } else if (fields && tool_option(argc, argv, &i, "--tau", &value, &usage_errors)) {
            options->grf_given[1] = 1;
            tool_parse_double(&usage_errors, "--tau", value, 1e-6, 1e6, &options->tau);
        } else if (fields && tool_option(argc, argv, &i, "--sigma", &value, &usage_errors)) {
            options->grf_given[2] = 1;
            tool_parse_double(&usage_errors, "--sigma", value, 1e-12, 1e12, &options->sigma);
        } else if ((burgers || darcy) &&
                   tool_option(argc, argv, &i, "--fine", &value, &usage_errors)) {
            tool_parse_int64(&usage_errors, "--fine", value, 3, INT64_C(1) << 24, &options->fine);
        } else if (burgers && tool_option(argc, argv, &i, "--case", &value, &usage_errors)) {
            options->burgers_case = value;
            if (value && strcmp(value, "released") && strcmp(value, "paper"))
                tool_usage_error(&usage_errors, "--case '%s': expected released or paper", value);
        } else if (burgers && tool_option(argc, argv, &i, "--nu", &value, &usage_errors)) {
            options->viscosity_given = 1;
            tool_parse_double(&usage_errors, "--nu", value, 1e-12, 1e6, &options->viscosity);
        } else if (burgers && tool_option(argc, argv, &i, "--time", &value, &usage_errors)) {
            tool_parse_double(&usage_errors, "--time", value, 1e-12, 1e6, &options->final_time);
        } else if (burgers && tool_option(argc, argv, &i, "--tolerance", &value, &usage_errors)) {
            tool_parse_double(&usage_errors, "--tolerance", value, 1e-14, 1e-1,
                              &options->tolerance);
        } else if (darcy && tool_option(argc, argv, &i, "--high", &value, &usage_errors)) {
            tool_parse_double(&usage_errors, "--high", value, 1e-12, 1e12, &options->high);
        } else if (darcy && tool_option(argc, argv, &i, "--low", &value, &usage_errors)) {
            tool_parse_double(&usage_errors, "--low", value, 1e-12, 1e12, &options->low);
        } else if (darcy && tool_option(argc, argv, &i, "--method", &value, &usage_errors)) {
            options->method = value;
            if (value && strcmp(value, "auto") && strcmp(value, "banded") && strcmp(value, "pcg"))
                tool_usage_error(&usage_errors, "--method '%s': expected auto, banded or pcg",
                                 value);
        } else if (grf && tool_option(argc, argv, &i, "--name", &value, &usage_errors)) {
            options->name = value;
            if (value && !sciml_nc_name_is_valid(value))
                tool_usage_error(&usage_errors, "--name '%s' is not a valid netCDF name", value);
        } else if (cubic && !strcmp(arg, "--ood")) {
            options->ood = 1;
        } else if (oscillator && tool_option(argc, argv, &i, "--points", &value, &usage_errors)) {
            options->resolution_given = !tool_parse_int64(&usage_errors, "--points", value, 2,
                                                          INT64_C(1) << 24, &options->resolution);
        } else if (oscillator && tool_option(argc, argv, &i, "--horizon", &value, &usage_errors)) {
            tool_parse_double(&usage_errors, "--horizon", value, 1e-9, 1e9, &options->horizon);
        } else if (antiderivative &&
                   tool_option(argc, argv, &i, "--sensors", &value, &usage_errors)) {
            tool_parse_int64(&usage_errors, "--sensors", value, 2, 8192, &options->sensors);
        } else if (antiderivative &&
                   tool_option(argc, argv, &i, "--length-scale", &value, &usage_errors)) {
            tool_parse_double(&usage_errors, "--length-scale", value, 1e-3, 1e3,
                              &options->length_scale);
        } else if (tool_is_option(arg, generator_options,
                                  sizeof(generator_options) / sizeof(generator_options[0]))) {
            tool_usage_error(&usage_errors, "option %s does not apply to generator %s", arg,
                             generator);
            if (!strchr(arg, '=') && i + 1 < argc)
                i++; /* skip its value */
        } else {
            tool_usage_error(&usage_errors, "unknown option '%s' for generator %s", arg, generator);
        }
    }
    if (!options->resolution_given)
        options->resolution = grf       ? (options->dims == 2 ? 64 : 1024)
                              : burgers ? 1024
                              : darcy   ? SCIML_DARCY_RESOLUTION
                                        : SCIML_OSCILLATOR_DEFAULT_POINTS;
    if (burgers && options->burgers_case && !strcmp(options->burgers_case, "paper")) {
        if (!options->viscosity_given)
            options->viscosity = SCIML_BURGERS_PAPER_VISCOSITY;
        if (!options->grf_given[0])
            options->alpha = SCIML_GRF_BURGERS_PAPER_ALPHA;
        if (!options->grf_given[1])
            options->tau = SCIML_GRF_BURGERS_PAPER_TAU;
        if (!options->grf_given[2])
            options->sigma = SCIML_GRF_BURGERS_PAPER_SIGMA;
    }
    if (burgers) {
        if (!options->fine)
            options->fine = options->resolution > SCIML_BURGERS_DEFAULT_POINTS
                                ? options->resolution
                                : SCIML_BURGERS_DEFAULT_POINTS;
        if (options->fine % options->resolution || options->fine % 2)
            tool_usage_error(&usage_errors,
                             "--fine %lld must be even and a multiple of --resolution %lld",
                             (long long)options->fine, (long long)options->resolution);
    }
    if (darcy && (options->resolution < 3 || options->resolution > SCIML_DARCY_MAX_RESOLUTION ||
                  options->fine > SCIML_DARCY_MAX_RESOLUTION))
        tool_usage_error(&usage_errors, "darcy: --resolution and --fine must lie in 3..%lld",
                         (long long)SCIML_DARCY_MAX_RESOLUTION);
    if (burgers && options->fine && options->fine < SCIML_BURGERS_MIN_POINTS)
        tool_usage_error(&usage_errors, "burgers: --fine %lld is below the minimum %d",
                         (long long)options->fine, (int)SCIML_BURGERS_MIN_POINTS);
    if (darcy) {
        if (!options->fine)
            options->fine = options->resolution;
        if (options->resolution >= 3 &&
            sciml_darcy_subsampled_resolution(options->fine,
                                              options->resolution > 1
                                                  ? (options->fine - 1) / (options->resolution - 1)
                                                  : 1) != options->resolution)
            tool_usage_error(&usage_errors,
                             "--fine %lld: (fine - 1) must be a multiple of (--resolution %lld "
                             "- 1), e.g. --fine 421 --resolution 85",
                             (long long)options->fine, (long long)options->resolution);
    }
    if (grf && options->dims == 2 && options->resolution > SCIML_GRF_MAX_RESOLUTION_2D)
        tool_usage_error(&usage_errors, "--resolution %lld is too large in 2D (at most %lld)",
                         (long long)options->resolution, (long long)SCIML_GRF_MAX_RESOLUTION_2D);
    return tool_usage_finish(&usage_errors);
}

/* Common global attributes of a data set. */
static sciml_status put_dataset_attributes(sciml_nc_writer *writer, const char *generator,
                                           uint64_t seed, const char *command) {
    sciml_status status;
    char seed_text[32];
    snprintf(seed_text, sizeof(seed_text), "%llu", (unsigned long long)seed);
    if ((status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "sciml_kind", "dataset")) ||
        (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "sciml_generator", generator)) ||
        (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "sciml_seed", seed_text)) ||
        (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "sciml_version", sciml_version())))
        return status;
    return sciml_nc_append_history(writer, command);
}

static sciml_status write_grid(sciml_nc_writer *writer, int64_t var, int64_t points, double step) {
    for (int64_t i = 0; i < points; i++) {
        double x = (double)i * step;
        sciml_status status = sciml_nc_write_var(writer, var, i, 1, &x);
        if (status)
            return status;
    }
    return SCIML_OK;
}

/* After drawing sample n: an error from the generator gets the sample named, and a raised
 * interrupt flag stops the run with SCIML_ERR_INTERRUPTED. */
static sciml_status sample_outcome(sciml_ctx *ctx, sciml_status status, int64_t n) {
    if (status) {
        char message[1024];
        snprintf(message, sizeof(message), "%s", sciml_ctx_message(ctx));
        return sciml_error(ctx, status, "sample %lld: %s", (long long)n, message);
    }
    if (sciml_ctx_interrupted(ctx))
        return sciml_error(ctx, SCIML_ERR_INTERRUPTED, "interrupted after %lld samples",
                           (long long)n);
    return SCIML_OK;
}

static sciml_status generate_grf(sciml_ctx *ctx, const gen_options *o, sciml_nc_writer *writer,
                                 const char *command) {
    sciml_grf *grf = NULL;
    double *field = NULL;
    sciml_status status =
        sciml_grf_create(ctx, o->dims, o->resolution, o->alpha, o->tau, o->sigma, &grf);
    if (status)
        return status;
    int64_t sample_dim, x_dim, y_dim = -1, x_var, y_var = -1, field_var;
    int64_t field_dims[3];
    if ((status = sciml_nc_def_dim(writer, "sample", 0, &sample_dim)) ||
        (status = sciml_nc_def_dim(writer, "x", o->resolution, &x_dim)) ||
        (o->dims == 2 && (status = sciml_nc_def_dim(writer, "y", o->resolution, &y_dim))))
        goto done;
    if ((status = sciml_nc_def_var(writer, "x", SCIML_NC_DOUBLE, 1, &x_dim, &x_var)) ||
        (status = sciml_nc_put_att_text(writer, x_var, "sciml_role", "coordinate")) ||
        (status = sciml_nc_put_att_text(writer, x_var, "long_name", "periodic grid, x_j = j/s")))
        goto done;
    if (o->dims == 2 &&
        ((status = sciml_nc_def_var(writer, "y", SCIML_NC_DOUBLE, 1, &y_dim, &y_var)) ||
         (status = sciml_nc_put_att_text(writer, y_var, "sciml_role", "coordinate"))))
        goto done;
    field_dims[0] = sample_dim;
    field_dims[1] = x_dim;
    field_dims[2] = y_dim;
    if ((status = sciml_nc_def_var(writer, o->name, SCIML_NC_DOUBLE, o->dims + 1, field_dims,
                                   &field_var)) ||
        (status = sciml_nc_put_att_text(writer, field_var, "sciml_role", "input")) ||
        (status = sciml_nc_put_att_text(writer, field_var, "long_name",
                                        "Gaussian random field, covariance sigma^2 "
                                        "(-Laplacian + tau^2 I)^(-alpha)")))
        goto done;
    if ((status = sciml_nc_put_att_double(writer, SCIML_NC_GLOBAL, "grf_alpha", SCIML_NC_DOUBLE,
                                          &o->alpha, 1)) ||
        (status = sciml_nc_put_att_double(writer, SCIML_NC_GLOBAL, "grf_tau", SCIML_NC_DOUBLE,
                                          &o->tau, 1)) ||
        (status = sciml_nc_put_att_double(writer, SCIML_NC_GLOBAL, "grf_sigma", SCIML_NC_DOUBLE,
                                          &o->sigma, 1)) ||
        (status = put_dataset_attributes(writer, "grf", o->seed, command)) ||
        (status = sciml_nc_end_def(writer)))
        goto done;
    double step = 1.0 / (double)o->resolution;
    if ((status = write_grid(writer, x_var, o->resolution, step)) ||
        (o->dims == 2 && (status = write_grid(writer, y_var, o->resolution, step))))
        goto done;
    field = sciml_alloc_array((size_t)sciml_grf_point_count(grf), sizeof(double));
    if (!field) {
        status = sciml_error(ctx, SCIML_ERR_NOMEM, "out of memory for one field");
        goto done;
    }
    sciml_rng rng;
    sciml_rng_seed(&rng, o->seed);
    for (int64_t n = 0; n < o->samples; n++) {
        if ((status = sample_outcome(ctx, SCIML_OK, n)))
            goto done;
        sciml_grf_sample(grf, &rng, field);
        if ((status = sciml_nc_write_record(writer, field_var, n, field)))
            goto done;
    }
done:
    free(field);
    sciml_grf_destroy(&grf);
    return status;
}

static sciml_status generate_oscillator(sciml_ctx *ctx, const gen_options *o,
                                        sciml_nc_writer *writer, const char *command) {
    sciml_oscillator_config config;
    sciml_oscillator_config_default(&config);
    config.points = o->resolution;
    config.horizon = o->horizon;
    int64_t sample_dim, parameter_dim, time_dim, t_var, x_var, y_var;
    int64_t dims[2];
    double *times = sciml_alloc_array((size_t)config.points, sizeof(double));
    double *trajectory = sciml_alloc_array((size_t)config.points, sizeof(double));
    double parameters[SCIML_OSCILLATOR_PARAMETERS];
    sciml_status status = SCIML_OK;
    if (!times || !trajectory) {
        status = sciml_error(ctx, SCIML_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((status = sciml_nc_def_dim(writer, "sample", 0, &sample_dim)) ||
        (status =
             sciml_nc_def_dim(writer, "parameter", SCIML_OSCILLATOR_PARAMETERS, &parameter_dim)) ||
        (status = sciml_nc_def_dim(writer, "time", config.points, &time_dim)) ||
        (status = sciml_nc_def_var(writer, "t", SCIML_NC_DOUBLE, 1, &time_dim, &t_var)) ||
        (status = sciml_nc_put_att_text(writer, t_var, "sciml_role", "coordinate")))
        goto done;
    dims[0] = sample_dim;
    dims[1] = parameter_dim;
    if ((status = sciml_nc_def_var(writer, "x", SCIML_NC_DOUBLE, 2, dims, &x_var)) ||
        (status = sciml_nc_put_att_text(writer, x_var, "sciml_role", "input")) ||
        (status = sciml_nc_put_att_text(writer, x_var, "long_name",
                                        "oscillator parameters (A, v0, omega, zeta, c)")))
        goto done;
    dims[1] = time_dim;
    if ((status = sciml_nc_def_var(writer, "y", SCIML_NC_DOUBLE, 2, dims, &y_var)) ||
        (status = sciml_nc_put_att_text(writer, y_var, "sciml_role", "output")) ||
        (status = sciml_nc_put_att_text(writer, y_var, "long_name",
                                        "x(t) + c, x'' + 2 zeta omega x' + omega^2 x = 0, "
                                        "x(0) = A, x'(0) = v0")) ||
        (status = put_dataset_attributes(writer, "oscillator", o->seed, command)) ||
        (status = sciml_nc_end_def(writer)))
        goto done;
    sciml_rng rng;
    sciml_rng_seed(&rng, o->seed);
    for (int64_t n = 0; n < o->samples; n++) {
        if ((status = sample_outcome(ctx, SCIML_OK, n)))
            goto done;
        if ((status = sciml_oscillator_fill(ctx, &config, &rng, 1, parameters, trajectory, times)))
            goto done;
        if (n == 0 && (status = sciml_nc_write_var(writer, t_var, 0, config.points, times)))
            goto done;
        if ((status = sciml_nc_write_record(writer, x_var, n, parameters)) ||
            (status = sciml_nc_write_record(writer, y_var, n, trajectory)))
            goto done;
    }
done:
    free(times);
    free(trajectory);
    return status;
}

static sciml_status generate_cubic(sciml_ctx *ctx, const gen_options *o, sciml_nc_writer *writer,
                                   const char *command) {
    int64_t sample_dim, feature_dim, output_dim, x_var, y_var;
    int64_t dims[2];
    sciml_status status;
    if ((status = sciml_nc_def_dim(writer, "sample", 0, &sample_dim)) ||
        (status = sciml_nc_def_dim(writer, "feature", 1, &feature_dim)) ||
        (status = sciml_nc_def_dim(writer, "output", 1, &output_dim)))
        return status;
    dims[0] = sample_dim;
    dims[1] = feature_dim;
    if ((status = sciml_nc_def_var(writer, "x", SCIML_NC_DOUBLE, 2, dims, &x_var)) ||
        (status = sciml_nc_put_att_text(writer, x_var, "sciml_role", "input")) ||
        (status = sciml_nc_put_att_text(writer, x_var, "long_name",
                                        o->ood ? "x, uniform on [-7, -4) and (4, 7]"
                                               : "x, uniform on [-4, 4]")))
        return status;
    dims[1] = output_dim;
    if ((status = sciml_nc_def_var(writer, "y", SCIML_NC_DOUBLE, 2, dims, &y_var)) ||
        (status = sciml_nc_put_att_text(writer, y_var, "sciml_role", "output")) ||
        (status = sciml_nc_put_att_text(writer, y_var, "long_name",
                                        "x^3 + e, e = 10 z (z > 0) or 2 z, z ~ N(0, 1)")) ||
        (status = put_dataset_attributes(writer, "cubic", o->seed, command)) ||
        (status = sciml_nc_end_def(writer)))
        return status;
    sciml_rng rng;
    sciml_rng_seed(&rng, o->seed);
    for (int64_t n = 0; n < o->samples; n++) {
        double x, y;
        if ((status = sample_outcome(ctx, SCIML_OK, n)) ||
            (status = sciml_cubic_fill(ctx, &rng, 1, o->ood, &x, &y)) ||
            (status = sciml_nc_write_record(writer, x_var, n, &x)) ||
            (status = sciml_nc_write_record(writer, y_var, n, &y)))
            return status;
    }
    return SCIML_OK;
}

/* Progress on a terminal: "sample 12/1000, 0.4 s each, ETA 6 min". */
static void show_progress(const gen_options *o, int64_t done, double started) {
    if (!tool_progress_wanted(o->quiet))
        return;
    double elapsed = tool_seconds() - started;
    double each = done > 0 ? elapsed / (double)done : 0.0;
    tool_progress("sample %lld/%lld, %.3f s each, ETA %.0f s", (long long)done,
                  (long long)o->samples, each, each * (double)(o->samples - done));
}

/* Dimensions x (and y) with coordinate variables and the input/output field variables. */
static sciml_status define_fields(sciml_nc_writer *writer, int dims, int64_t resolution,
                                  int64_t *coordinate_vars, int64_t *input_var, int64_t *output_var,
                                  const char *input_text, const char *output_text) {
    int64_t sample_dim, field_dims[3];
    const char *names[2] = {"x", "y"};
    sciml_status status = sciml_nc_def_dim(writer, "sample", 0, &sample_dim);
    field_dims[0] = sample_dim;
    for (int d = 0; d < dims && status == SCIML_OK; d++) {
        if ((status = sciml_nc_def_dim(writer, names[d], resolution, &field_dims[d + 1])) ||
            (status = sciml_nc_def_var(writer, names[d], SCIML_NC_DOUBLE, 1, &field_dims[d + 1],
                                       &coordinate_vars[d])) ||
            (status =
                 sciml_nc_put_att_text(writer, coordinate_vars[d], "sciml_role", "coordinate")))
            break;
    }
    if (status == SCIML_OK &&
        ((status =
              sciml_nc_def_var(writer, "a", SCIML_NC_DOUBLE, dims + 1, field_dims, input_var)) ||
         (status = sciml_nc_put_att_text(writer, *input_var, "sciml_role", "input")) ||
         (status = sciml_nc_put_att_text(writer, *input_var, "long_name", input_text)) ||
         (status =
              sciml_nc_def_var(writer, "u", SCIML_NC_DOUBLE, dims + 1, field_dims, output_var)) ||
         (status = sciml_nc_put_att_text(writer, *output_var, "sciml_role", "output")) ||
         (status = sciml_nc_put_att_text(writer, *output_var, "long_name", output_text))))
        return status;
    return status;
}

static sciml_status put_doubles(sciml_nc_writer *writer, const char **names, const double *values,
                                int count) {
    for (int k = 0; k < count; k++) {
        sciml_status status = sciml_nc_put_att_double(writer, SCIML_NC_GLOBAL, names[k],
                                                      SCIML_NC_DOUBLE, &values[k], 1);
        if (status)
            return status;
    }
    return SCIML_OK;
}

static sciml_status generate_burgers(sciml_ctx *ctx, const gen_options *o, sciml_nc_writer *writer,
                                     const char *command) {
    sciml_burgers_config config;
    sciml_burgers_config_default(&config);
    config.points = o->fine;
    config.viscosity = o->viscosity;
    config.final_time = o->final_time;
    config.relative_tolerance = o->tolerance;
    sciml_burgers *solver = NULL;
    sciml_grf *grf = NULL;
    double *a = NULL, *u = NULL;
    int64_t x_var, a_var, u_var;
    sciml_status status;
    if ((status = sciml_burgers_create(ctx, &config, &solver)) ||
        (status = sciml_grf_create(ctx, 1, o->fine, o->alpha, o->tau, o->sigma, &grf)))
        goto done;
    const char *names[] = {"nu",        "final_time",    "grf_alpha",       "grf_tau",
                           "grf_sigma", "solver_points", "solver_tolerance"};
    const double values[] = {o->viscosity, o->final_time,   o->alpha,    o->tau,
                             o->sigma,     (double)o->fine, o->tolerance};
    if ((status = define_fields(writer, 1, o->resolution, &x_var, &a_var, &u_var,
                                "initial condition u(x, 0), a Gaussian random field",
                                "solution u(x, T) of u_t + (u^2/2)_x = nu u_xx")) ||
        (status = put_doubles(writer, names, values, 7)) ||
        (status = put_dataset_attributes(writer, "burgers", o->seed, command)) ||
        (status = sciml_nc_end_def(writer)) ||
        (status = write_grid(writer, x_var, o->resolution, 1.0 / (double)o->resolution)))
        goto done;
    a = sciml_alloc_array((size_t)o->resolution, sizeof(double));
    u = sciml_alloc_array((size_t)o->resolution, sizeof(double));
    if (!a || !u) {
        status = sciml_error(ctx, SCIML_ERR_NOMEM, "out of memory");
        goto done;
    }
    sciml_rng rng;
    sciml_rng_seed(&rng, o->seed);
    double started = tool_seconds();
    for (int64_t n = 0; n < o->samples; n++) {
        if ((status = sample_outcome(
                 ctx, sciml_burgers_sample(ctx, solver, grf, &rng, o->resolution, a, u, NULL, NULL),
                 n)))
            goto done;
        if ((status = sciml_nc_write_record(writer, a_var, n, a)) ||
            (status = sciml_nc_write_record(writer, u_var, n, u)))
            goto done;
        show_progress(o, n + 1, started);
    }
done:
    tool_progress_done();
    free(a);
    free(u);
    sciml_grf_destroy(&grf);
    sciml_burgers_destroy(&solver);
    return status;
}

static sciml_status generate_darcy(sciml_ctx *ctx, const gen_options *o, sciml_nc_writer *writer,
                                   const char *command) {
    sciml_darcy_options options;
    sciml_darcy_options_default(&options);
    options.alpha = o->alpha;
    options.tau = o->tau;
    options.sigma = o->sigma;
    options.high = o->high;
    options.low = o->low;
    options.method = !strcmp(o->method, "banded") ? SCIML_DARCY_BANDED
                     : !strcmp(o->method, "pcg")  ? SCIML_DARCY_PCG
                                                  : SCIML_DARCY_AUTO;
    const int64_t s = o->resolution, fine = o->fine;
    const int64_t stride = s > 1 ? (fine - 1) / (s - 1) : 1;
    sciml_darcy *darcy = NULL;
    double *fine_a = NULL, *fine_u = NULL, *a = NULL, *u = NULL;
    int64_t coordinates[2], a_var, u_var;
    sciml_status status;
    if ((status = sciml_darcy_create(ctx, fine, &options, &darcy)))
        goto done;
    const char *names[] = {"grf_alpha",       "grf_tau", "grf_sigma",    "coefficient_high",
                           "coefficient_low", "forcing", "solver_points"};
    const double values[] = {o->alpha, o->tau,          o->sigma,    o->high,
                             o->low,   options.forcing, (double)fine};
    if ((status = define_fields(writer, 2, s, coordinates, &a_var, &u_var,
                                "coefficient a(x, y): high where a Gaussian random field is "
                                ">= 0, low elsewhere",
                                "solution of -div(a grad u) = 1, u = 0 on the boundary")) ||
        (status = put_doubles(writer, names, values, 7)) ||
        (status = put_dataset_attributes(writer, "darcy", o->seed, command)) ||
        (status = sciml_nc_end_def(writer)) ||
        (status = write_grid(writer, coordinates[0], s, 1.0 / (double)(s - 1))) ||
        (status = write_grid(writer, coordinates[1], s, 1.0 / (double)(s - 1))))
        goto done;
    fine_a = sciml_alloc_array((size_t)(fine * fine), sizeof(double));
    fine_u = sciml_alloc_array((size_t)(fine * fine), sizeof(double));
    a = sciml_alloc_array((size_t)(s * s), sizeof(double));
    u = sciml_alloc_array((size_t)(s * s), sizeof(double));
    if (!fine_a || !fine_u || !a || !u) {
        status = sciml_error(ctx, SCIML_ERR_NOMEM, "out of memory");
        goto done;
    }
    sciml_rng rng;
    sciml_rng_seed(&rng, o->seed);
    double started = tool_seconds();
    for (int64_t n = 0; n < o->samples; n++) {
        if ((status = sample_outcome(ctx, sciml_darcy_sample(ctx, darcy, &rng, fine_a, fine_u), n)))
            goto done;
        if ((status = sciml_darcy_subsample(ctx, fine_a, fine, stride, a)) ||
            (status = sciml_darcy_subsample(ctx, fine_u, fine, stride, u)) ||
            (status = sciml_nc_write_record(writer, a_var, n, a)) ||
            (status = sciml_nc_write_record(writer, u_var, n, u)))
            goto done;
        show_progress(o, n + 1, started);
    }
done:
    tool_progress_done();
    free(fine_a);
    free(fine_u);
    free(a);
    free(u);
    sciml_darcy_destroy(&darcy);
    return status;
}

/* v(sample, sensor) and u(sample, x) on the same m points x_i = i / (m - 1). */
static sciml_status generate_antiderivative(sciml_ctx *ctx, const gen_options *o,
                                            sciml_nc_writer *writer, const char *command) {
    const int64_t m = o->sensors;
    sciml_antiderivative *generator = NULL;
    double *v = sciml_alloc_array((size_t)m, sizeof(double));
    double *u = sciml_alloc_array((size_t)m, sizeof(double));
    int64_t sample_dim, sensor_dim, x_dim, sensor_var, x_var, v_var, u_var, dims[2];
    sciml_status status = SCIML_OK;
    if (!v || !u) {
        status = sciml_error(ctx, SCIML_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((status = sciml_antiderivative_create(ctx, m, o->length_scale, 1.0, &generator)))
        goto done;
    const char *names[] = {"gp_length_scale", "gp_variance", "quadrature_order"};
    const double values[] = {o->length_scale, 1.0, SCIML_ANTIDERIVATIVE_QUADRATURE_ORDER};
    if ((status = sciml_nc_def_dim(writer, "sample", 0, &sample_dim)) ||
        (status = sciml_nc_def_dim(writer, "sensor", m, &sensor_dim)) ||
        (status = sciml_nc_def_dim(writer, "x", m, &x_dim)) ||
        (status =
             sciml_nc_def_var(writer, "sensor", SCIML_NC_DOUBLE, 1, &sensor_dim, &sensor_var)) ||
        (status = sciml_nc_put_att_text(writer, sensor_var, "sciml_role", "coordinate")) ||
        (status = sciml_nc_put_att_text(writer, sensor_var, "long_name", "sensor positions")) ||
        (status = sciml_nc_def_var(writer, "x", SCIML_NC_DOUBLE, 1, &x_dim, &x_var)) ||
        (status = sciml_nc_put_att_text(writer, x_var, "sciml_role", "coordinate")) ||
        (status = sciml_nc_put_att_text(writer, x_var, "long_name", "query points")))
        goto done;
    dims[0] = sample_dim;
    dims[1] = sensor_dim;
    if ((status = sciml_nc_def_var(writer, "v", SCIML_NC_DOUBLE, 2, dims, &v_var)) ||
        (status = sciml_nc_put_att_text(writer, v_var, "sciml_role", "input")) ||
        (status = sciml_nc_put_att_text(writer, v_var, "long_name",
                                        "input function v at the sensors, a Gaussian process "
                                        "with RBF kernel")))
        goto done;
    dims[1] = x_dim;
    if ((status = sciml_nc_def_var(writer, "u", SCIML_NC_DOUBLE, 2, dims, &u_var)) ||
        (status = sciml_nc_put_att_text(writer, u_var, "sciml_role", "output")) ||
        (status = sciml_nc_put_att_text(writer, u_var, "long_name",
                                        "antiderivative u(x) = integral_0^x v(s) ds")) ||
        (status = put_doubles(writer, names, values, 3)) ||
        (status = put_dataset_attributes(writer, "antiderivative", o->seed, command)) ||
        (status = sciml_nc_end_def(writer)) ||
        (status = write_grid(writer, sensor_var, m, 1.0 / (double)(m - 1))) ||
        (status = write_grid(writer, x_var, m, 1.0 / (double)(m - 1))))
        goto done;
    sciml_rng rng;
    sciml_rng_seed(&rng, o->seed);
    for (int64_t n = 0; n < o->samples; n++) {
        if ((status = sample_outcome(ctx, SCIML_OK, n)))
            goto done;
        sciml_antiderivative_sample(generator, &rng, v, u);
        if ((status = sciml_nc_write_record(writer, v_var, n, v)) ||
            (status = sciml_nc_write_record(writer, u_var, n, u)))
            goto done;
    }
done:
    free(v);
    free(u);
    sciml_antiderivative_destroy(&generator);
    return status;
}

int main(int argc, char **argv) {
    tool_set_name("sciml-gen");
    if (argc >= 2 && !strcmp(argv[1], "burgers-ref"))
        return gen_burgers_ref_main(argc, argv);
    gen_options options;
    int usage_status = parse_options(argc, argv, &options);
    if (usage_status)
        return usage_status;
    sciml_ctx *ctx = NULL;
    char *command = tool_command_line(argc, argv);
    if (sciml_ctx_create(&ctx) || !command) {
        tool_error("out of memory");
        free(command);
        return TOOL_EXIT_FAILURE;
    }
    tool_catch_interrupts(ctx);
    sciml_nc_writer_options writer_options = sciml_nc_writer_default_options();
    writer_options.record_count = options.samples;
    sciml_nc_writer *writer = NULL;
    sciml_status status = sciml_nc_writer_create(ctx, options.output, &writer_options, &writer);
    if (status == SCIML_OK) {
        switch (options.kind) {
        case GENERATOR_GRF:
            status = generate_grf(ctx, &options, writer, command);
            break;
        case GENERATOR_OSCILLATOR:
            status = generate_oscillator(ctx, &options, writer, command);
            break;
        case GENERATOR_BURGERS:
            status = generate_burgers(ctx, &options, writer, command);
            break;
        case GENERATOR_DARCY:
            status = generate_darcy(ctx, &options, writer, command);
            break;
        case GENERATOR_CUBIC:
            status = generate_cubic(ctx, &options, writer, command);
            break;
        case GENERATOR_ANTIDERIVATIVE:
            status = generate_antiderivative(ctx, &options, writer, command);
            break;
        }
    }
    if (status == SCIML_OK)
        status = sciml_nc_writer_close(&writer);
    int exit_code = TOOL_EXIT_OK;
    if (status) {
        sciml_nc_writer_abort(&writer);
        exit_code = tool_fail(ctx);
    }
    free(command);
    sciml_ctx_destroy(&ctx);
    return exit_code;
}
