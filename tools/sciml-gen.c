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
 *   diffusion-reaction  DeepONet's nonlinear PDE example: the source v from the same process ->
 *               s(x, t) of s_t = D s_xx + k s^2 + v on the sensors x times `times` instants
 *   pendulum    DeepONet's ODE example: the force v(t) from the same process -> (s1, s2) of
 *               s1' = s2, s2' = -k sin(s1) + v at the sensors (CVODES)
 *   ode         trajectories of an ODE system (spiral, lotka-volterra, lorenz, pendulum,
 *               robertson; sciml/ode.h) integrated with CVODES, with optional Gaussian noise
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
#include "sciml/ode.h"
#include "sciml/operator_data.h"
#include "gen_burgers_ref.h"
#include "tool.h"

typedef enum generator_kind {
    GENERATOR_GRF,
    GENERATOR_OSCILLATOR,
    GENERATOR_BURGERS,
    GENERATOR_DARCY,
    GENERATOR_CUBIC,
    GENERATOR_ANTIDERIVATIVE,
    GENERATOR_DIFFUSION_REACTION,
    GENERATOR_PENDULUM,
    GENERATOR_ODE
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
    int64_t unaligned; /* query points per function in the unaligned layout; 0: aligned */
    /* diffusion-reaction */
    int64_t times, substeps;
    /* ode */
    const sciml_ode_system *system;
    double initial[SCIML_ODE_MAX_STATE];
    int initial_count, samples_given, horizon_given, resolution_given_by_points;
    double *ode_times; /* ode --times: (resolution) values, owned */
    double noise, relative_tolerance, absolute_tolerance;
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
            "  diffusion-reaction  DeepONet's nonlinear example: s_t = D s_xx + k s^2 + v(x)\n"
            "              on [0, 1] x [0, 1], D = k = 0.01, s = 0 at t = 0 and x = 0, 1;\n"
            "              v(sample, sensor) from the antiderivative's Gaussian process,\n"
            "              s(sample, x, t) on the sensors x and the output times t\n"
            "  pendulum    DeepONet's ODE example: s1' = s2, s2' = -sin(s1) + v(t), s(0) = 0\n"
            "              on [0, 1]; v(sample, sensor) from the same Gaussian process,\n"
            "              s(sample, t, state) = (s1, s2) at the sensors (CVODES)\n"
            "  ode         trajectories of an ODE system integrated with CVODES: y0(sample,\n"
            "              state), y(sample, time, state), coordinate t(time)\n"
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
            "antiderivative, diffusion-reaction and pendulum:\n"
            "      --sensors M     sensors (and output points) on [0, 1] [%d]\n"
            "      --length-scale L  RBF kernel length scale [%g]\n"
            "      --unaligned Q   the unaligned layout: Q records per function, each with\n"
            "                      v(sample, sensor), one query point y(sample) drawn among\n"
            "                      the sensors and u(sample) there; --samples counts the\n"
            "                      functions (antiderivative) [0: aligned, u(sample, x)]\n"
            "diffusion-reaction:\n"
            "      --times N       output times on [0, 1], t = 0 included [100]\n"
            "      --substeps S    Crank-Nicolson steps per output interval [4]\n"
            "oscillator:\n"
            "      --points P      time points [150]\n"
            "      --horizon T     final time [1]\n"
            "ode (defaults per system; see sciml-gen(1)):\n"
            "      --system NAME   spiral, lotka-volterra, lorenz, pendulum or robertson [spiral]\n"
            "      --initial Y     initial state, comma separated [the system's]; without it,\n"
            "                      --samples draws random initial states\n"
            "      --points P      time points, equally spaced from 0 [by system]\n"
            "      --times LIST    the time points instead, comma separated and increasing;\n"
            "                      the first is the initial time\n"
            "      --horizon T     final time [by system]\n"
            "      --noise S       standard deviation of Gaussian noise added to y [0]\n"
            "      --rtol X        CVODES relative tolerance [1e-8]\n"
            "      --atol X        CVODES absolute tolerance [1e-10]\n"
            "cubic:\n"
            "      --ood           inputs outside the training range: x uniform on\n"
            "                      [-7, -4) and (4, 7]\n"
            "\n"
            "Exit status: 0 success, 1 failure (no output file is left), 2 usage error.\n",
            SCIML_ANTIDERIVATIVE_SENSORS, SCIML_ANTIDERIVATIVE_LENGTH_SCALE);
}

/* Value-taking options of some generator ("--dims", "--points", ...). */
static const char *const generator_options[] = {
    "--dims",      "--resolution", "--alpha",    "--tau",    "--sigma",   "--name",
    "--points",    "--horizon",    "--fine",     "--case",   "--nu",      "--time",
    "--tolerance", "--high",       "--low",      "--method", "--sensors", "--length-scale",
    "--unaligned", "--times",      "--substeps", "--system", "--initial", "--noise",
    "--rtol",      "--atol"};

/* --initial "2,0": as many finite numbers as the system has states. */
static void parse_initial(tool_usage *usage_errors, const char *text, gen_options *options) {
    const char *cursor = text;
    int count = 0;
    while (*cursor) {
        char *end;
        double value = strtod(cursor, &end);
        if (end == cursor || !isfinite(value) || count == SCIML_ODE_MAX_STATE ||
            (*end && *end != ',')) {
            tool_usage_error(usage_errors, "--initial '%s': expected %lld comma-separated numbers",
                             text, (long long)options->system->state_size);
            return;
        }
        options->initial[count++] = value;
        cursor = *end ? end + 1 : end;
    }
    if (count != options->system->state_size)
        tool_usage_error(usage_errors, "--initial '%s' has %d values, system %s has %lld states",
                         text, count, options->system->name,
                         (long long)options->system->state_size);
    options->initial_count = count;
}

/* --times "0,0.5,2": at least 2 finite, strictly increasing numbers. */
static void parse_times(tool_usage *usage_errors, const char *text, gen_options *options) {
    int64_t capacity = 1;
    for (const char *p = text; *p; p++)
        capacity += *p == ',';
    options->ode_times = malloc((size_t)capacity * sizeof(double));
    if (!options->ode_times) {
        tool_usage_error(usage_errors, "--times: out of memory");
        return;
    }
    int64_t count = 0;
    for (const char *cursor = text; *cursor;) {
        char *end;
        double value = strtod(cursor, &end);
        if (end == cursor || !isfinite(value) || (*end && *end != ',')) {
            tool_usage_error(usage_errors, "--times '%s': expected comma-separated numbers", text);
            return;
        }
        if (count > 0 && !(value > options->ode_times[count - 1])) {
            tool_usage_error(usage_errors,
                             "--times: time %lld is %g after %g, expected increasing times",
                             (long long)count, value, options->ode_times[count - 1]);
            return;
        }
        options->ode_times[count++] = value;
        cursor = *end ? end + 1 : end;
    }
    if (count < 2)
        tool_usage_error(usage_errors, "--times '%s': expected at least 2 times", text);
    options->resolution = count;
}

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
                         "missing GENERATOR (grf, oscillator, burgers, darcy, cubic, "
                         "antiderivative, diffusion-reaction, pendulum, ode or burgers-ref)");
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
    } else if (!strcmp(generator, "diffusion-reaction")) {
        options->kind = GENERATOR_DIFFUSION_REACTION;
    } else if (!strcmp(generator, "pendulum")) {
        options->kind = GENERATOR_PENDULUM;
    } else if (!strcmp(generator, "ode")) {
        options->kind = GENERATOR_ODE;
    } else {
        tool_usage_error(&usage_errors,
                         "unknown generator '%s': expected grf, oscillator, burgers, darcy, cubic, "
                         "antiderivative, diffusion-reaction, pendulum, ode or burgers-ref",
                         generator);
    }
    const int grf = options->kind == GENERATOR_GRF;
    const int oscillator = options->kind == GENERATOR_OSCILLATOR;
    const int burgers = options->kind == GENERATOR_BURGERS;
    const int darcy = options->kind == GENERATOR_DARCY;
    const int cubic = options->kind == GENERATOR_CUBIC;
    const int diffusion_reaction = options->kind == GENERATOR_DIFFUSION_REACTION;
    const int gp = options->kind == GENERATOR_ANTIDERIVATIVE || diffusion_reaction ||
                   options->kind == GENERATOR_PENDULUM;
    const int antiderivative = options->kind == GENERATOR_ANTIDERIVATIVE;
    const int ode = options->kind == GENERATOR_ODE;
    const int fields = !oscillator && !cubic && !gp && !ode; /* with a GRF, --resolution */
    options->times = 100;
    options->substeps = 4;
    options->system = sciml_ode_system_find("spiral");
    options->relative_tolerance = 1e-8;
    options->absolute_tolerance = 1e-10;
    const char *initial_text = NULL, *ode_times_text = NULL;
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
            options->samples_given = !tool_parse_int64(&usage_errors, "--samples", value, 1,
                                                       INT64_C(1) << 40, &options->samples);
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
        } else if (ode && tool_option(argc, argv, &i, "--system", &value, &usage_errors)) {
            options->system = sciml_ode_system_find(value);
            if (value && !options->system)
                tool_usage_error(&usage_errors, "--system '%s': expected one of %s", value,
                                 sciml_ode_system_names());
        } else if (ode && tool_option(argc, argv, &i, "--initial", &value, &usage_errors)) {
            initial_text = value;
        } else if (ode && tool_option(argc, argv, &i, "--times", &value, &usage_errors)) {
            ode_times_text = value;
        } else if (ode && tool_option(argc, argv, &i, "--noise", &value, &usage_errors)) {
            tool_parse_double(&usage_errors, "--noise", value, 0.0, 1e12, &options->noise);
        } else if (ode && tool_option(argc, argv, &i, "--rtol", &value, &usage_errors)) {
            tool_parse_double(&usage_errors, "--rtol", value, 1e-15, 1e-1,
                              &options->relative_tolerance);
        } else if (ode && tool_option(argc, argv, &i, "--atol", &value, &usage_errors)) {
            tool_parse_double(&usage_errors, "--atol", value, 1e-300, 1.0,
                              &options->absolute_tolerance);
        } else if ((oscillator || ode) &&
                   tool_option(argc, argv, &i, "--points", &value, &usage_errors)) {
            options->resolution_given = !tool_parse_int64(&usage_errors, "--points", value, 2,
                                                          INT64_C(1) << 24, &options->resolution);
            options->resolution_given_by_points = options->resolution_given;
        } else if ((oscillator || ode) &&
                   tool_option(argc, argv, &i, "--horizon", &value, &usage_errors)) {
            options->horizon_given =
                !tool_parse_double(&usage_errors, "--horizon", value, 1e-9, 1e9, &options->horizon);
        } else if (gp && tool_option(argc, argv, &i, "--sensors", &value, &usage_errors)) {
            tool_parse_int64(&usage_errors, "--sensors", value, 2, 8192, &options->sensors);
        } else if (gp && tool_option(argc, argv, &i, "--length-scale", &value, &usage_errors)) {
            tool_parse_double(&usage_errors, "--length-scale", value, 1e-3, 1e3,
                              &options->length_scale);
        } else if (antiderivative &&
                   tool_option(argc, argv, &i, "--unaligned", &value, &usage_errors)) {
            tool_parse_int64(&usage_errors, "--unaligned", value, 1, 1 << 20, &options->unaligned);
        } else if (diffusion_reaction &&
                   tool_option(argc, argv, &i, "--times", &value, &usage_errors)) {
            tool_parse_int64(&usage_errors, "--times", value, 2, 1 << 20, &options->times);
        } else if (diffusion_reaction &&
                   tool_option(argc, argv, &i, "--substeps", &value, &usage_errors)) {
            tool_parse_int64(&usage_errors, "--substeps", value, 1, 1 << 20, &options->substeps);
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
    if (ode && options->system) {
        if (!options->resolution_given)
            options->resolution = options->system->points;
        if (!options->horizon_given)
            options->horizon = options->system->horizon;
        if (!options->samples_given)
            options->samples = 1;
        options->resolution_given = 1;
        if (initial_text)
            parse_initial(&usage_errors, initial_text, options);
        if (ode_times_text) {
            if (options->horizon_given || options->resolution_given_by_points)
                tool_usage_error(&usage_errors, "--times excludes --horizon and --points");
            parse_times(&usage_errors, ode_times_text, options);
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

/* The shape of a data set, declared by each generator and made by define_dataset. Every data
 * variable is a double over the record dimension "sample" and up to two of the layout's own
 * dimensions. */
enum { LAYOUT_DIMS = 3, LAYOUT_VARS = 3, LAYOUT_DOUBLES = 7 };

/* A dimension besides "sample" and, when coordinate is set, a coordinate variable of that name
 * over it: define_dataset writes its values i * step when step > 0; with step 0 the generator
 * writes them. */
typedef struct layout_dim {
    const char *name; /* NULL ends the list */
    int64_t length;
    const char *coordinate; /* the coordinate variable's name, or NULL */
    const char *long_name;  /* of the coordinate variable, or NULL */
    double step;
} layout_dim;

/* A data variable over (sample, dims...). */
typedef struct layout_var {
    const char *name;        /* NULL ends the list */
    const char *dims[2];     /* layout dimension names after "sample"; NULL ends */
    const char *role;        /* sciml_role */
    const char *coordinates; /* sciml_coordinates, or NULL */
    const char *long_name;   /* or NULL */
} layout_var;

typedef struct layout_double {
    const char *name; /* NULL ends the list */
    double value;
} layout_double;

typedef struct dataset_layout {
    const char *generator; /* sciml_generator */
    layout_dim dims[LAYOUT_DIMS + 1];
    layout_var vars[LAYOUT_VARS + 1];
    const char *system;                        /* sciml_system, or NULL */
    layout_double doubles[LAYOUT_DOUBLES + 1]; /* global attributes, before the common ones */
} dataset_layout;

/* What define_dataset made: coordinate variables by layout dimension (-1 where none) and the
 * data variables in layout order. */
typedef struct dataset_ids {
    int64_t coordinates[LAYOUT_DIMS];
    int64_t vars[LAYOUT_VARS];
} dataset_ids;

/* A double variable with its sciml_role, sciml_coordinates and long_name attributes (the last
 * two when not NULL), in that order. */
static sciml_status define_variable(sciml_nc_writer *writer, const char *name, int ndim,
                                    const int64_t *dims, const char *role, const char *coordinates,
                                    const char *long_name, int64_t *var) {
    sciml_status status;
    if ((status = sciml_nc_def_var(writer, name, SCIML_NC_DOUBLE, ndim, dims, var)) ||
        (status = sciml_nc_put_att_text(writer, *var, "sciml_role", role)) ||
        (coordinates &&
         (status = sciml_nc_put_att_text(writer, *var, "sciml_coordinates", coordinates))))
        return status;
    return long_name ? sciml_nc_put_att_text(writer, *var, "long_name", long_name) : SCIML_OK;
}

static int layout_dim_index(const dataset_layout *layout, const char *name) {
    for (int d = 0; layout->dims[d].name; d++)
        if (!strcmp(layout->dims[d].name, name))
            return d;
    SCIML_ASSERT(!"a layout variable names a dimension the layout does not have");
    return 0;
}

/* The common global attributes of a data set, after the generator's own. */
static sciml_status put_global_attributes(sciml_nc_writer *writer, const dataset_layout *layout,
                                          uint64_t seed, const char *command) {
    sciml_status status = SCIML_OK;
    char seed_text[32];
    snprintf(seed_text, sizeof(seed_text), "%llu", (unsigned long long)seed);
    if (layout->system &&
        (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "sciml_system", layout->system)))
        return status;
    for (const layout_double *a = layout->doubles; a->name && status == SCIML_OK; a++)
        status = sciml_nc_put_att_double(writer, SCIML_NC_GLOBAL, a->name, SCIML_NC_DOUBLE,
                                         &a->value, 1);
    if (status ||
        (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "sciml_kind", "dataset")) ||
        (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "sciml_generator",
                                        layout->generator)) ||
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

/* Defines the layout's dimensions, variables and attributes, ends the definitions and writes the
 * coordinates that have a step; the writer is then ready for the records. */
static sciml_status define_dataset(sciml_nc_writer *writer, const dataset_layout *layout,
                                   uint64_t seed, const char *command, dataset_ids *ids) {
    int64_t sample_dim, dims[LAYOUT_DIMS];
    sciml_status status = sciml_nc_def_dim(writer, "sample", 0, &sample_dim);
    for (int d = 0; d < LAYOUT_DIMS; d++)
        ids->coordinates[d] = -1;
    for (int d = 0; status == SCIML_OK && layout->dims[d].name; d++) {
        const layout_dim *dim = &layout->dims[d];
        if ((status = sciml_nc_def_dim(writer, dim->name, dim->length, &dims[d])) == SCIML_OK &&
            dim->coordinate)
            status = define_variable(writer, dim->coordinate, 1, &dims[d], "coordinate", NULL,
                                     dim->long_name, &ids->coordinates[d]);
    }
    for (int v = 0; status == SCIML_OK && layout->vars[v].name; v++) {
        const layout_var *var = &layout->vars[v];
        int64_t var_dims[3] = {sample_dim};
        int ndim = 1;
        for (; ndim < 3 && var->dims[ndim - 1]; ndim++)
            var_dims[ndim] = dims[layout_dim_index(layout, var->dims[ndim - 1])];
        status = define_variable(writer, var->name, ndim, var_dims, var->role, var->coordinates,
                                 var->long_name, &ids->vars[v]);
    }
    if (status || (status = put_global_attributes(writer, layout, seed, command)) ||
        (status = sciml_nc_end_def(writer)))
        return status;
    for (int d = 0; status == SCIML_OK && layout->dims[d].name; d++) {
        const layout_dim *dim = &layout->dims[d];
        if (dim->coordinate && dim->step > 0.0)
            status = write_grid(writer, ids->coordinates[d], dim->length, dim->step);
    }
    return status;
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
    const double step = 1.0 / (double)o->resolution;
    const dataset_layout layout = {
        .generator = "grf",
        .dims = {{"x", o->resolution, "x", "periodic grid, x_j = j/s", step},
                 {o->dims == 2 ? "y" : NULL, o->resolution, "y", NULL, step}},
        .vars = {{o->name,
                  {"x", o->dims == 2 ? "y" : NULL},
                  "input",
                  NULL,
                  "Gaussian random field, covariance sigma^2 (-Laplacian + tau^2 I)^(-alpha)"}},
        .doubles = {{"grf_alpha", o->alpha}, {"grf_tau", o->tau}, {"grf_sigma", o->sigma}},
    };
    dataset_ids ids;
    if ((status = define_dataset(writer, &layout, o->seed, command, &ids)))
        goto done;
    const int64_t field_var = ids.vars[0];
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
    double *times = sciml_alloc_array((size_t)config.points, sizeof(double));
    double *trajectory = sciml_alloc_array((size_t)config.points, sizeof(double));
    double parameters[SCIML_OSCILLATOR_PARAMETERS];
    sciml_status status = SCIML_OK;
    if (!times || !trajectory) {
        status = sciml_error(ctx, SCIML_ERR_NOMEM, "out of memory");
        goto done;
    }
    const dataset_layout layout = {
        .generator = "oscillator",
        .dims = {{"parameter", SCIML_OSCILLATOR_PARAMETERS}, {"time", config.points, "t"}},
        .vars =
            {{"x", {"parameter"}, "input", NULL, "oscillator parameters (A, v0, omega, zeta, c)"},
             {"y",
              {"time"},
              "output",
              NULL,
              "x(t) + c, x'' + 2 zeta omega x' + omega^2 x = 0, x(0) = A, x'(0) = v0"}},
    };
    dataset_ids ids;
    if ((status = define_dataset(writer, &layout, o->seed, command, &ids)))
        goto done;
    const int64_t t_var = ids.coordinates[1], x_var = ids.vars[0], y_var = ids.vars[1];
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
    const dataset_layout layout = {
        .generator = "cubic",
        .dims = {{"feature", 1}, {"output", 1}},
        .vars =
            {{"x",
              {"feature"},
              "input",
              NULL,
              o->ood ? "x, uniform on [-7, -4) and (4, 7]" : "x, uniform on [-4, 4]"},
             {"y", {"output"}, "output", NULL, "x^3 + e, e = 10 z (z > 0) or 2 z, z ~ N(0, 1)"}},
    };
    dataset_ids ids;
    sciml_status status = define_dataset(writer, &layout, o->seed, command, &ids);
    if (status)
        return status;
    const int64_t x_var = ids.vars[0], y_var = ids.vars[1];
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

/* ODE trajectories: y0 from --initial, the system's own, or uniform in its box (--samples
 * without --initial); y(t_k) from CVODES plus noise * N(0, 1). */
static sciml_status generate_ode(sciml_ctx *ctx, const gen_options *o, sciml_nc_writer *writer,
                                 const char *command) {
    const sciml_ode_system *system = o->system;
    int64_t n = system->state_size, points = o->resolution;
    double *times = sciml_alloc_array((size_t)points, sizeof(double));
    double *states = sciml_alloc_array((size_t)points, (size_t)n * sizeof(double));
    double y0[SCIML_ODE_MAX_STATE];
    sciml_status status = SCIML_OK;
    if (!times || !states) {
        status = sciml_error(ctx, SCIML_ERR_NOMEM, "out of memory for %lld time points",
                             (long long)points);
        goto done;
    }
    for (int64_t k = 0; k < points; k++)
        times[k] = o->ode_times ? o->ode_times[k] : o->horizon * (double)k / (double)(points - 1);
    char description[160];
    snprintf(description, sizeof description, "%s trajectory, CVODES %s rtol %g atol %g, noise %g",
             system->name, sciml_ode_method_name(system->method), o->relative_tolerance,
             o->absolute_tolerance, o->noise);
    const dataset_layout layout = {
        .generator = "ode",
        .dims = {{"time", points, "t"}, {"state", n}},
        .vars = {{"y0", {"state"}, "input", NULL, "initial state"},
                 {"y", {"time", "state"}, "output", NULL, description}},
        .system = system->name,
        .doubles = {{"sciml_noise", o->noise}},
    };
    dataset_ids ids;
    if ((status = define_dataset(writer, &layout, o->seed, command, &ids)) ||
        (status = sciml_nc_write_var(writer, ids.coordinates[0], 0, points, times)))
        goto done;
    const int64_t y0_var = ids.vars[0], y_var = ids.vars[1];
    sciml_ode_problem problem = sciml_ode_system_problem(system);
    sciml_ode_options options = sciml_ode_default_options();
    options.method = system->method;
    options.relative_tolerance = o->relative_tolerance;
    options.absolute_tolerance = o->absolute_tolerance;
    sciml_rng rng;
    sciml_rng_seed(&rng, o->seed);
    for (int64_t sample = 0; sample < o->samples; sample++) {
        if ((status = sample_outcome(ctx, SCIML_OK, sample)))
            goto done;
        for (int64_t i = 0; i < n; i++) {
            double low = system->box_low[i], high = system->box_high[i];
            y0[i] = o->initial_count    ? o->initial[i]
                    : !o->samples_given ? system->initial[i]
                                        : low + (high - low) * sciml_rng_uniform(&rng);
        }
        if ((status = sciml_ode_solve(ctx, &problem, &options, y0, points, times, states, NULL))) {
            char reason[512];
            snprintf(reason, sizeof reason, "%s", sciml_ctx_message(ctx));
            status = sciml_error(ctx, status, "ode %s, sample %lld: %s", system->name,
                                 (long long)sample, reason);
            goto done;
        }
        for (int64_t i = 0; o->noise > 0.0 && i < points * n; i++)
            states[i] += o->noise * sciml_rng_normal(&rng);
        if ((status = sciml_nc_write_record(writer, y0_var, sample, y0)) ||
            (status = sciml_nc_write_record(writer, y_var, sample, states)))
            goto done;
    }
done:
    free(times);
    free(states);
    return status;
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
    sciml_status status;
    if ((status = sciml_burgers_create(ctx, &config, &solver)) ||
        (status = sciml_grf_create(ctx, 1, o->fine, o->alpha, o->tau, o->sigma, &grf)))
        goto done;
    const dataset_layout layout = {
        .generator = "burgers",
        .dims = {{"x", o->resolution, "x", NULL, 1.0 / (double)o->resolution}},
        .vars = {{"a", {"x"}, "input", NULL, "initial condition u(x, 0), a Gaussian random field"},
                 {"u", {"x"}, "output", NULL, "solution u(x, T) of u_t + (u^2/2)_x = nu u_xx"}},
        .doubles = {{"nu", o->viscosity},
                    {"final_time", o->final_time},
                    {"grf_alpha", o->alpha},
                    {"grf_tau", o->tau},
                    {"grf_sigma", o->sigma},
                    {"solver_points", (double)o->fine},
                    {"solver_tolerance", o->tolerance}},
    };
    dataset_ids ids;
    if ((status = define_dataset(writer, &layout, o->seed, command, &ids)))
        goto done;
    const int64_t a_var = ids.vars[0], u_var = ids.vars[1];
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
    sciml_status status;
    if ((status = sciml_darcy_create(ctx, fine, &options, &darcy)))
        goto done;
    const double step = 1.0 / (double)(s - 1);
    const dataset_layout layout = {
        .generator = "darcy",
        .dims = {{"x", s, "x", NULL, step}, {"y", s, "y", NULL, step}},
        .vars = {{"a",
                  {"x", "y"},
                  "input",
                  NULL,
                  "coefficient a(x, y): high where a Gaussian random field is >= 0, low "
                  "elsewhere"},
                 {"u",
                  {"x", "y"},
                  "output",
                  NULL,
                  "solution of -div(a grad u) = 1, u = 0 on the boundary"}},
        .doubles = {{"grf_alpha", o->alpha},
                    {"grf_tau", o->tau},
                    {"grf_sigma", o->sigma},
                    {"coefficient_high", o->high},
                    {"coefficient_low", o->low},
                    {"forcing", options.forcing},
                    {"solver_points", (double)fine}},
    };
    dataset_ids ids;
    if ((status = define_dataset(writer, &layout, o->seed, command, &ids)))
        goto done;
    const int64_t a_var = ids.vars[0], u_var = ids.vars[1];
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

/* v(sample, sensor) and u(sample, x) on the same m points x_i = i / (m - 1); unaligned:
 * Q records per function, v(sample, sensor), y(sample) = x_j for j uniform among the sensors
 * (drawn after the function, from the same generator) and u(sample) = u(x_j). */
static sciml_status generate_antiderivative(sciml_ctx *ctx, const gen_options *o,
                                            sciml_nc_writer *writer, const char *command) {
    const int64_t m = o->sensors;
    sciml_antiderivative *generator = NULL;
    double *v = sciml_alloc_array((size_t)m, sizeof(double));
    double *u = sciml_alloc_array((size_t)m, sizeof(double));
    sciml_status status = SCIML_OK;
    if (!v || !u) {
        status = sciml_error(ctx, SCIML_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((status = sciml_antiderivative_create(ctx, m, o->length_scale, 1.0, &generator)))
        goto done;
    const int unaligned = o->unaligned > 0;
    const double step = 1.0 / (double)(m - 1);
    const char *v_text = "input function v at the sensors, a Gaussian process with RBF kernel";
    const char *u_text = "antiderivative u(x) = integral_0^x v(s) ds";
    const dataset_layout aligned_layout = {
        .generator = "antiderivative",
        .dims = {{"sensor", m, "sensor", "sensor positions", step},
                 {"x", m, "x", "query points", step}},
        .vars = {{"v", {"sensor"}, "input", NULL, v_text}, {"u", {"x"}, "output", NULL, u_text}},
        .doubles = {{"gp_length_scale", o->length_scale},
                    {"gp_variance", 1.0},
                    {"quadrature_order", SCIML_ANTIDERIVATIVE_QUADRATURE_ORDER}},
    };
    /* Unaligned: y(sample) holds each record's own query point. */
    const dataset_layout unaligned_layout = {
        .generator = "antiderivative",
        .dims = {{"sensor", m, "sensor", "sensor positions", step}},
        .vars = {{"y", {NULL}, "query", "x", "query point x"},
                 {"v", {"sensor"}, "input", NULL, v_text},
                 {"u", {NULL}, "output", NULL, u_text}},
        .doubles = {{"gp_length_scale", o->length_scale},
                    {"gp_variance", 1.0},
                    {"quadrature_order", SCIML_ANTIDERIVATIVE_QUADRATURE_ORDER}},
    };
    dataset_ids ids;
    if ((status = define_dataset(writer, unaligned ? &unaligned_layout : &aligned_layout, o->seed,
                                 command, &ids)))
        goto done;
    const int64_t x_var = unaligned ? ids.vars[0] : -1, v_var = ids.vars[unaligned],
                  u_var = ids.vars[unaligned + 1];
    sciml_rng rng;
    sciml_rng_seed(&rng, o->seed);
    for (int64_t n = 0; n < o->samples; n++) {
        if ((status = sample_outcome(ctx, SCIML_OK, n)))
            goto done;
        sciml_antiderivative_sample(generator, &rng, v, u);
        if (!unaligned) {
            if ((status = sciml_nc_write_record(writer, v_var, n, v)) ||
                (status = sciml_nc_write_record(writer, u_var, n, u)))
                goto done;
            continue;
        }
        for (int64_t q = 0; q < o->unaligned; q++) {
            const int64_t record = n * o->unaligned + q;
            const int64_t j = (int64_t)sciml_rng_below(&rng, (uint64_t)m);
            const double y = (double)j / (double)(m - 1);
            if ((status = sciml_nc_write_record(writer, v_var, record, v)) ||
                (status = sciml_nc_write_record(writer, x_var, record, &y)) ||
                (status = sciml_nc_write_record(writer, u_var, record, &u[j])))
                goto done;
        }
    }
done:
    free(v);
    free(u);
    sciml_antiderivative_destroy(&generator);
    return status;
}

/* v(sample, sensor) and s(sample, x, t), x the sensors, t = j / (times - 1). */
static sciml_status generate_diffusion_reaction(sciml_ctx *ctx, const gen_options *o,
                                                sciml_nc_writer *writer, const char *command) {
    const int64_t m = o->sensors, times = o->times;
    sciml_gp_rbf *gp = NULL;
    double *v = sciml_alloc_array((size_t)m, sizeof(double));
    double *s = sciml_alloc_array((size_t)m * (size_t)times, sizeof(double));
    sciml_status status = SCIML_OK;
    if (!v || !s) {
        status = sciml_error(ctx, SCIML_ERR_NOMEM, "out of memory for %lld x %lld values",
                             (long long)m, (long long)times);
        goto done;
    }
    sciml_diffusion_reaction_options solver;
    sciml_diffusion_reaction_default(&solver);
    solver.points = m;
    solver.times = times;
    solver.substeps = o->substeps;
    if ((status = sciml_gp_rbf_create(ctx, m, o->length_scale, 1.0, &gp)))
        goto done;
    const double step = 1.0 / (double)(m - 1);
    const dataset_layout layout = {
        .generator = "diffusion-reaction",
        .dims = {{"sensor", m, "sensor", "sensor positions", step},
                 {"x", m, "x", NULL, step},
                 {"t", times, "t", NULL, solver.final_time / (double)(times - 1)}},
        .vars = {{"v",
                  {"sensor"},
                  "input",
                  NULL,
                  "source v at the sensors, a Gaussian process with RBF kernel"},
                 {"s",
                  {"x", "t"},
                  "output",
                  NULL,
                  "s of s_t = D s_xx + k s^2 + v, s = 0 at t = 0 and on the boundary"}},
        .doubles = {{"gp_length_scale", o->length_scale},
                    {"gp_variance", 1.0},
                    {"diffusion", solver.diffusion},
                    {"reaction", solver.reaction},
                    {"final_time", solver.final_time},
                    {"substeps", (double)solver.substeps}},
    };
    dataset_ids ids;
    if ((status = define_dataset(writer, &layout, o->seed, command, &ids)))
        goto done;
    const int64_t v_var = ids.vars[0], s_var = ids.vars[1];
    sciml_rng rng;
    sciml_rng_seed(&rng, o->seed);
    for (int64_t n = 0; n < o->samples; n++) {
        if ((status = sample_outcome(ctx, SCIML_OK, n)))
            goto done;
        sciml_gp_rbf_sample(gp, &rng, v);
        if ((status = sciml_diffusion_reaction_solve(ctx, &solver, v, s)) ||
            (status = sciml_nc_write_record(writer, v_var, n, v)) ||
            (status = sciml_nc_write_record(writer, s_var, n, s)))
            goto done;
    }
done:
    free(v);
    free(s);
    sciml_gp_rbf_destroy(&gp);
    return status;
}

/* v(sample, sensor) and s(sample, t, state) = (s1, s2) at the sensors t_i = i / (m - 1). */
static sciml_status generate_pendulum(sciml_ctx *ctx, const gen_options *o, sciml_nc_writer *writer,
                                      const char *command) {
    const int64_t m = o->sensors;
    sciml_gp_rbf *gp = NULL;
    double *v = sciml_alloc_array((size_t)m, sizeof(double));
    double *s = sciml_alloc_array((size_t)m * 2, sizeof(double));
    sciml_status status = SCIML_OK;
    if (!v || !s) {
        status = sciml_error(ctx, SCIML_ERR_NOMEM, "out of memory for %lld sensors", (long long)m);
        goto done;
    }
    sciml_pendulum_options solver;
    sciml_pendulum_default(&solver);
    if ((status = sciml_gp_rbf_create(ctx, m, o->length_scale, 1.0, &gp)))
        goto done;
    const double step = 1.0 / (double)(m - 1);
    const dataset_layout layout = {
        .generator = "pendulum",
        .dims = {{"sensor", m, "sensor", "sensor times", step},
                 {"t", m, "t", NULL, step},
                 {"state", 2}},
        .vars = {{"v",
                  {"sensor"},
                  "input",
                  NULL,
                  "external force v at the sensor times, a Gaussian process with RBF kernel"},
                 {"s",
                  {"t", "state"},
                  "output",
                  NULL,
                  "angle s1 and angular velocity s2 of s1' = s2, s2' = -k sin(s1) + v, s(0) = 0"}},
        .doubles = {{"gp_length_scale", o->length_scale},
                    {"gp_variance", 1.0},
                    {"stiffness", solver.stiffness},
                    {"final_time", solver.final_time},
                    {"tolerance", solver.tolerance}},
    };
    dataset_ids ids;
    if ((status = define_dataset(writer, &layout, o->seed, command, &ids)))
        goto done;
    const int64_t v_var = ids.vars[0], s_var = ids.vars[1];
    sciml_rng rng;
    sciml_rng_seed(&rng, o->seed);
    for (int64_t n = 0; n < o->samples; n++) {
        if ((status = sample_outcome(ctx, SCIML_OK, n)))
            goto done;
        sciml_gp_rbf_sample(gp, &rng, v);
        if ((status = sciml_pendulum_solve(ctx, &solver, m, v, s)) ||
            (status = sciml_nc_write_record(writer, v_var, n, v)) ||
            (status = sciml_nc_write_record(writer, s_var, n, s)))
            goto done;
    }
done:
    free(v);
    free(s);
    sciml_gp_rbf_destroy(&gp);
    return status;
}

/* Each generator defines its data set on the open writer and writes every sample. */
typedef sciml_status (*generator_fn)(sciml_ctx *ctx, const gen_options *o, sciml_nc_writer *writer,
                                     const char *command);
static const generator_fn generators[] = {
    [GENERATOR_GRF] = generate_grf,
    [GENERATOR_OSCILLATOR] = generate_oscillator,
    [GENERATOR_BURGERS] = generate_burgers,
    [GENERATOR_DARCY] = generate_darcy,
    [GENERATOR_CUBIC] = generate_cubic,
    [GENERATOR_ANTIDERIVATIVE] = generate_antiderivative,
    [GENERATOR_DIFFUSION_REACTION] = generate_diffusion_reaction,
    [GENERATOR_PENDULUM] = generate_pendulum,
    [GENERATOR_ODE] = generate_ode,
};

int main(int argc, char **argv) {
    tool_set_name("sciml-gen");
    if (argc >= 2 && !strcmp(argv[1], "burgers-ref"))
        return gen_burgers_ref_main(argc, argv);
    gen_options options;
    int usage_status = parse_options(argc, argv, &options);
    if (usage_status) {
        free(options.ode_times);
        return usage_status;
    }
    sciml_ctx *ctx = NULL;
    char *command = tool_command_line(argc, argv);
    if (sciml_ctx_create(&ctx) || !command) {
        tool_error("out of memory");
        free(command);
        free(options.ode_times);
        return TOOL_EXIT_FAILURE;
    }
    tool_catch_interrupts(ctx);
    sciml_nc_writer_options writer_options = sciml_nc_writer_default_options();
    writer_options.record_count =
        options.unaligned ? options.samples * options.unaligned : options.samples;
    sciml_nc_writer *writer = NULL;
    sciml_status status = sciml_nc_writer_create(ctx, options.output, &writer_options, &writer);
    if (status == SCIML_OK)
        status = generators[options.kind](ctx, &options, writer, command);
    if (status == SCIML_OK)
        status = sciml_nc_writer_close(&writer);
    int exit_code = TOOL_EXIT_OK;
    if (status) {
        sciml_nc_writer_abort(&writer);
        exit_code = tool_fail(ctx);
    }
    free(command);
    free(options.ode_times);
    sciml_ctx_destroy(&ctx);
    return exit_code;
}
