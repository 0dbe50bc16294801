/* sciml-train: train a model on a netCDF data set and write it as a netCDF model file.
 *
 *   sciml-train MODE --data FILE [--test FILE] [training options] [architecture] -o MODEL
 *
 * Modes: mlp (supervised regression), fno (Fourier neural operator), pi3nn (prediction
 * intervals from three networks, or a deep ensemble), node (neural ODE / universal
 * differential equation on CVODES or dopri5), deeponet (deep operator network, aligned
 * layout), pinn (physics-informed network, in train_pinn.c). Training flags mean the
 * same in every mode (DESIGN.md);
 * option parsing collects every usage error before failing. Ctrl-C finishes the current step,
 * writes a checkpoint and exits; --resume CHECKPOINT continues bit for bit. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sciml/dataset.h"
#include "sciml/deeponet_model.h"
#include "sciml/fno_model.h"
#include "sciml/mlp_model.h"
#include "sciml/node_model.h"
#include "sciml/nn.h"
#include "sciml/pi3nn_model.h"
#include "tool.h"
#include "train_pinn.h"

typedef struct train_options {
    const char *mode;
    const char *data, *test, *input, *output_variable;
    const char *model_path, *checkpoint_path, *resume, *log_path;
    int64_t epochs, iterations, batch;
    double lr, weight_decay, gamma, min_lr;
    int64_t step_size, warmup;
    const char *optimizer, *schedule;
    uint64_t seed;
    int threads, quiet;
    /* mlp architecture */
    const char *hidden;
    const char *activation;
    /* fno architecture */
    int64_t modes[2];
    int modes_count;
    int64_t width, projection, padding;
    int layers;
    int architecture_given;
    /* pi3nn */
    double level, ood_bias, validation;
    const char *method;
    int members;
    int64_t patience;
    /* deeponet architecture */
    const char *branch, *trunk;
    const char *query; /* deeponet: per-sample query point variable (unaligned layout) */
    /* node */
    const char *solver, *gradient, *known, *known_initial;
    int64_t segment, augment;
    int time_input, cube, no_mlp;
    double rtol, atol;
    int epochs_given, batch_given, lr_given, activation_given;
} train_options;

static void usage(FILE *out) {
    fprintf(
        out,
        "Usage: sciml-train MODE --data FILE -o MODEL [OPTIONS]\n"
        "Train a model on a netCDF data set (sample = record dimension) and write it as a\n"
        "netCDF model file.\n"
        "\n"
        "Modes:\n"
        "  mlp   supervised regression y = MLP(x) with standardised inputs and outputs\n"
        "  fno   Fourier neural operator a(x) -> u(x) on 1D (sample, x) or 2D\n"
        "        (sample, x, y) fields; relative L2 loss; any resolution the modes fit\n"
        "  pi3nn prediction intervals from three networks per output (PI3NN, Liu et al.\n"
        "        2022), any confidence level later without retraining; or a deep ensemble\n"
        "  deeponet  deep operator network v -> u: branch MLP on the sensor values\n"
        "        v(sample, sensor), trunk MLP on the query points given by the coordinate\n"
        "        variables of u(sample, x[, t]); mean squared error loss. Unaligned\n"
        "        layout: one query point per sample in y(sample) or y(sample, coordinate)\n"
        "        (--query), u(sample) or u(sample, channel)\n"
        "  node  neural ODE dy/dt = f(y, t) (MLP, known terms or both) on trajectories\n"
        "        y(sample, time, state), t(time); mini-batches of segments, MSE loss\n"
        "  pinn  physics-informed neural network on a PDE of the library, no data set\n"
        "        needed: see 'sciml-train pinn --help' and sciml-pinn(1)\n"
        "\n"
        "Data:\n"
        "  --data FILE           training data, '-' for standard input (required)\n"
        "  --test FILE           held-out data, evaluated after every epoch (L-BFGS: iteration)\n"
        "  --input NAME          input variable [the one with sciml_role = \"input\"]\n"
        "  --output NAME         output variable [the one with sciml_role = \"output\"]\n"
        "Training:\n"
        "  --epochs N            passes over the data (adam, adamw) [100, pi3nn 200]\n"
        "  --iterations N        L-BFGS iterations, full batch (--optimizer lbfgs); for\n"
        "                        deeponet and node the Adam steps when --epochs is not\n"
        "                        given [1000]\n"
        "  --batch N             samples per step (adam, adamw) [32, pi3nn 100; deeponet: all;\n"
        "                        node: segments, 20, per solve with lbfgs]\n"
        "  --lr X                learning rate [0.001, pi3nn 0.01, node 0.01]\n"
        "  --optimizer NAME      adam, adamw or lbfgs [adam]; node: adam or lbfgs (full\n"
        "                        batch: every trajectory cut into consecutive segments)\n"
        "  --weight-decay X      L2 (adam) or decoupled (adamw) weight decay [0, adamw 0.01]\n"
        "  --schedule NAME       constant, step or cosine, per epoch (node: per\n"
        "                        iteration) [constant]\n"
        "  --step-size N         step schedule: epochs between decays [50]\n"
        "  --gamma X             step schedule: decay factor [0.5]\n"
        "  --min-lr X            cosine schedule: final learning rate [0]\n"
        "  --warmup N            epochs of linear warm-up [0]\n"
        "  --seed N              initialisation and shuffling seed [0]\n"
        "  --threads N           BLAS threads [1]\n"
        "Architecture (mlp; pi3nn: of every network):\n"
        "  --hidden LIST         hidden layer widths [64,64,64, pi3nn 64]\n"
        "  --activation NAME     tanh, relu, gelu, sigmoid, softplus, sin, identity\n"
        "                        [tanh, pi3nn relu; deeponet: relu]\n"
        "Architecture (fno):\n"
        "  --modes LIST          Fourier modes kept per dimension, N or N,M [16]\n"
        "  --width N             channels in the Fourier layers [64]\n"
        "  --layers N            Fourier layers [4]\n"
        "  --projection N        hidden width of the projection [128]\n"
        "  --padding N           zeros appended per dimension, for non-periodic data [0]\n"
        "Architecture (deeponet):\n"
        "  --branch LIST         branch widths after the sensors, the last is p [40,40]\n"
        "  --trunk LIST          trunk widths after the coordinates, ending in p, or pod\n"
        "                        (the leading p POD modes of the training outputs; aligned\n"
        "                        layout, predictions at the training points) [40,40]\n"
        "  --query NAME          unaligned layout: NAME(sample) or NAME(sample, coordinate)\n"
        "                        holds each sample's query point [the variable with\n"
        "                        sciml_role = \"query\"; none: aligned]\n"
        "Neural ODE (node; --hidden [50] and --activation [tanh] as above):\n"
        "  --solver NAME         cvodes-adams, cvodes-bdf or dopri5 [cvodes-adams]\n"
        "  --gradient NAME       adjoint, or direct through the steps (dopri5 only)\n"
        "                        [adjoint, dopri5 direct]\n"
        "  --segment N           time steps per training segment [10]\n"
        "  --rtol X              solver relative tolerance [1e-7]\n"
        "  --atol X              solver absolute tolerance [1e-9]\n"
        "  --augment N           extra states starting at zero [0]\n"
        "  --time-input          t is an input of the MLP\n"
        "  --cube                the MLP sees y^3 (the spiral example)\n"
        "  --known NAME          known terms with trainable coefficients: lotka-volterra or\n"
        "                        robertson (log-rates; stiff: use --solver cvodes-bdf)\n"
        "  --known-initial LIST  starting coefficients [1,1,1,1; robertson 0.04,1e4,3e7]\n"
        "  --known-only          no MLP: parameter estimation of the known terms\n"
        "Intervals (pi3nn):\n"
        "  --method NAME         pi3nn or ensemble (deep ensemble, Gaussian mixture) [pi3nn]\n"
        "  --level X             default confidence level stored in the model, in (0, 1)\n"
        "                        [0.95]\n"
        "  --ood-bias X          initial output bias of the upper and lower networks, in\n"
        "                        standardised units; 0 switches the OOD widening off [40]\n"
        "  --members N           networks of the ensemble [5]\n"
        "  --validation X        fraction of --data held out at random: each network stops\n"
        "                        early on it and keeps its best epoch, and the interval\n"
        "                        scales are fitted on it; 0 uses all data for everything\n"
        "                        [0.3]\n"
        "  --patience N          epochs without a better validation loss before a network\n"
        "                        stops; 0 runs every epoch [20]\n"
        "Output:\n"
        "  -o, --model FILE      model file to write, '-' for standard output (required)\n"
        "  --checkpoint FILE     where Ctrl-C or divergence saves a checkpoint\n"
        "                        [MODEL.ckpt, or sciml-train.ckpt when MODEL is '-']\n"
        "  --resume FILE         continue training from a checkpoint\n"
        "  --log FILE            one JSON object per epoch\n"
        "  -q, --quiet           no progress or summary on stderr\n"
        "  -h, --help            show this help and exit\n"
        "  --version             show the version and exit\n"
        "\n"
        "Exit status: 0 success, 1 failure or interrupted (a checkpoint is written),\n"
        "2 usage error.\n");
}

/* Architecture options of some mode. */
static const char *const architecture_options[] = {
    "--hidden",  "--activation", "--modes",    "--width",    "--layers",  "--projection",
    "--padding", "--level",      "--method",   "--ood-bias", "--members", "--branch",
    "--trunk",   "--validation", "--patience", "--query",    "--solver",  "--gradient",
    "--segment", "--rtol",       "--atol",     "--augment",  "--known",   "--known-initial"};

static int parse_options(int argc, char **argv, train_options *o) {
    tool_usage usage_errors = {0};
    memset(o, 0, sizeof(*o));
    o->epochs = 100;
    o->iterations = 1000;
    o->batch = 32;
    o->lr = 1e-3;
    o->weight_decay = -1.0; /* optimizer default */
    o->gamma = 0.5;
    o->step_size = 50;
    o->optimizer = "adam";
    o->schedule = "constant";
    o->threads = 1;
    o->hidden = "64,64,64";
    o->activation = "tanh";
    o->modes[0] = o->modes[1] = 16;
    o->width = 64;
    o->layers = 4;
    o->projection = 128;
    o->level = SCIML_PI3NN_DEFAULT_LEVEL;
    o->ood_bias = SCIML_PI3NN_DEFAULT_OOD_BIAS;
    o->method = "pi3nn";
    o->members = SCIML_PI3NN_DEFAULT_ENSEMBLE;
    o->validation = SCIML_PI3NN_DEFAULT_VALIDATION;
    o->patience = SCIML_PI3NN_DEFAULT_PATIENCE;
    o->branch = "40,40";
    o->trunk = "40,40";
    int first = 1;
    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        usage(stdout);
        exit(TOOL_EXIT_OK);
    }
    if (argc >= 2 && !strcmp(argv[1], "--version")) {
        tool_print_version();
        exit(TOOL_EXIT_OK);
    }
    if (argc >= 2 && argv[1][0] != '-') {
        o->mode = argv[1];
        first = 2;
        if (strcmp(o->mode, "mlp") && strcmp(o->mode, "fno") && strcmp(o->mode, "pi3nn") &&
            strcmp(o->mode, "deeponet") && strcmp(o->mode, "node"))
            tool_usage_error(&usage_errors,
                             "unknown mode '%s': expected mlp, fno, pi3nn, deeponet, node or pinn",
                             o->mode);
    } else {
        tool_usage_error(&usage_errors, "missing MODE (mlp, fno, pi3nn, deeponet, node or pinn)");
    }
    const int fno = o->mode && !strcmp(o->mode, "fno");
    const int pi3nn = o->mode && !strcmp(o->mode, "pi3nn");
    const int deeponet = o->mode && !strcmp(o->mode, "deeponet");
    const int node = o->mode && !strcmp(o->mode, "node");
    o->segment = 10;
    o->rtol = 1e-7;
    o->atol = 1e-9;
    if (node)
        o->hidden = "50";
    if (pi3nn) {
        o->hidden = "64";
        o->activation = "relu";
    }
    for (int i = first; i < argc; i++) {
        const char *arg = argv[i];
        const char *v = NULL;
        if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
            usage(stdout);
            exit(TOOL_EXIT_OK);
        } else if (!strcmp(arg, "--version")) {
            tool_print_version();
            exit(TOOL_EXIT_OK);
        } else if (!strcmp(arg, "-q") || !strcmp(arg, "--quiet")) {
            o->quiet = 1;
        } else if (tool_option(argc, argv, &i, "--data", &v, &usage_errors)) {
            o->data = v;
        } else if (tool_option(argc, argv, &i, "--test", &v, &usage_errors)) {
            o->test = v;
        } else if (tool_option(argc, argv, &i, "--input", &v, &usage_errors)) {
            o->input = v;
        } else if (tool_option(argc, argv, &i, "--output", &v, &usage_errors)) {
            o->output_variable = v;
        } else if (tool_option(argc, argv, &i, "--epochs", &v, &usage_errors)) {
            o->epochs_given =
                !tool_parse_int64(&usage_errors, "--epochs", v, 0, INT64_C(1) << 40, &o->epochs);
        } else if (tool_option(argc, argv, &i, "--iterations", &v, &usage_errors)) {
            tool_parse_int64(&usage_errors, "--iterations", v, 0, INT64_C(1) << 40, &o->iterations);
        } else if (tool_option(argc, argv, &i, "--batch", &v, &usage_errors)) {
            o->batch_given =
                !tool_parse_int64(&usage_errors, "--batch", v, 1, INT64_C(1) << 30, &o->batch);
        } else if (tool_option(argc, argv, &i, "--lr", &v, &usage_errors)) {
            o->lr_given = !tool_parse_double(&usage_errors, "--lr", v, 1e-300, 1e6, &o->lr);
        } else if (tool_option(argc, argv, &i, "--weight-decay", &v, &usage_errors)) {
            tool_parse_double(&usage_errors, "--weight-decay", v, 0, 1e6, &o->weight_decay);
        } else if (tool_option(argc, argv, &i, "--optimizer", &v, &usage_errors)) {
            o->optimizer = v;
        } else if (tool_option(argc, argv, &i, "--schedule", &v, &usage_errors)) {
            o->schedule = v;
        } else if (tool_option(argc, argv, &i, "--step-size", &v, &usage_errors)) {
            tool_parse_int64(&usage_errors, "--step-size", v, 1, INT64_C(1) << 40, &o->step_size);
        } else if (tool_option(argc, argv, &i, "--gamma", &v, &usage_errors)) {
            tool_parse_double(&usage_errors, "--gamma", v, 1e-300, 1, &o->gamma);
        } else if (tool_option(argc, argv, &i, "--min-lr", &v, &usage_errors)) {
            tool_parse_double(&usage_errors, "--min-lr", v, 0, 1e6, &o->min_lr);
        } else if (tool_option(argc, argv, &i, "--warmup", &v, &usage_errors)) {
            tool_parse_int64(&usage_errors, "--warmup", v, 0, INT64_C(1) << 40, &o->warmup);
        } else if (tool_option(argc, argv, &i, "--seed", &v, &usage_errors)) {
            tool_parse_seed(&usage_errors, "--seed", v, &o->seed);
        } else if (tool_option(argc, argv, &i, "--threads", &v, &usage_errors)) {
            tool_parse_int(&usage_errors, "--threads", v, 1, 4096, &o->threads);
        } else if (deeponet && tool_option(argc, argv, &i, "--branch", &v, &usage_errors)) {
            o->branch = v;
            o->architecture_given = 1;
        } else if (deeponet && tool_option(argc, argv, &i, "--trunk", &v, &usage_errors)) {
            o->trunk = v;
            o->architecture_given = 1;
        } else if (deeponet && tool_option(argc, argv, &i, "--query", &v, &usage_errors)) {
            o->query = v;
        } else if (!fno && !deeponet &&
                   tool_option(argc, argv, &i, "--hidden", &v, &usage_errors)) {
            o->hidden = v;
            o->architecture_given = 1;
        } else if (!fno && tool_option(argc, argv, &i, "--activation", &v, &usage_errors)) {
            o->activation = v;
            o->activation_given = 1;
            o->architecture_given = 1;
        } else if (fno && tool_option(argc, argv, &i, "--modes", &v, &usage_errors)) {
            o->architecture_given = 1;
            if (v) {
                char first_mode[64];
                const char *comma = strchr(v, ',');
                size_t length = comma ? (size_t)(comma - v) : strlen(v);
                snprintf(first_mode, sizeof(first_mode), "%.*s", (int)(length < 63 ? length : 63),
                         v);
                o->modes_count = comma ? 2 : 1;
                tool_parse_int64(&usage_errors, "--modes", first_mode, 1, 1 << 20, &o->modes[0]);
                o->modes[1] = o->modes[0];
                if (comma)
                    tool_parse_int64(&usage_errors, "--modes", comma + 1, 1, 1 << 20, &o->modes[1]);
            }
        } else if (fno && tool_option(argc, argv, &i, "--width", &v, &usage_errors)) {
            o->architecture_given = 1;
            tool_parse_int64(&usage_errors, "--width", v, 1, 1 << 16, &o->width);
        } else if (fno && tool_option(argc, argv, &i, "--layers", &v, &usage_errors)) {
            o->architecture_given = 1;
            tool_parse_int(&usage_errors, "--layers", v, 1, SCIML_FNO_MAX_LAYERS, &o->layers);
        } else if (fno && tool_option(argc, argv, &i, "--projection", &v, &usage_errors)) {
            o->architecture_given = 1;
            tool_parse_int64(&usage_errors, "--projection", v, 1, 1 << 16, &o->projection);
        } else if (fno && tool_option(argc, argv, &i, "--padding", &v, &usage_errors)) {
            o->architecture_given = 1;
            tool_parse_int64(&usage_errors, "--padding", v, 0, 1 << 16, &o->padding);
        } else if (node && tool_option(argc, argv, &i, "--solver", &v, &usage_errors)) {
            o->solver = v;
            if (v && strcmp(v, "cvodes-adams") && strcmp(v, "cvodes-bdf") && strcmp(v, "dopri5"))
                tool_usage_error(&usage_errors,
                                 "--solver '%s': expected cvodes-adams, cvodes-bdf or dopri5", v);
        } else if (node && tool_option(argc, argv, &i, "--gradient", &v, &usage_errors)) {
            o->gradient = v;
            if (v && strcmp(v, "adjoint") && strcmp(v, "direct"))
                tool_usage_error(&usage_errors, "--gradient '%s': expected adjoint or direct", v);
        } else if (node && tool_option(argc, argv, &i, "--segment", &v, &usage_errors)) {
            tool_parse_int64(&usage_errors, "--segment", v, 1, INT64_C(1) << 30, &o->segment);
        } else if (node && tool_option(argc, argv, &i, "--rtol", &v, &usage_errors)) {
            tool_parse_double(&usage_errors, "--rtol", v, 1e-15, 0.1, &o->rtol);
        } else if (node && tool_option(argc, argv, &i, "--atol", &v, &usage_errors)) {
            tool_parse_double(&usage_errors, "--atol", v, 1e-300, 1.0, &o->atol);
        } else if (node && tool_option(argc, argv, &i, "--augment", &v, &usage_errors)) {
            o->architecture_given = 1;
            tool_parse_int64(&usage_errors, "--augment", v, 0, 16, &o->augment);
        } else if (node && tool_option(argc, argv, &i, "--known", &v, &usage_errors)) {
            o->known = v;
            if (v && strcmp(v, "lotka-volterra") && strcmp(v, "robertson"))
                tool_usage_error(&usage_errors,
                                 "--known '%s': expected lotka-volterra or robertson", v);
        } else if (node && tool_option(argc, argv, &i, "--known-initial", &v, &usage_errors)) {
            o->known_initial = v;
        } else if (node && !strcmp(arg, "--time-input")) {
            o->time_input = 1;
        } else if (node && !strcmp(arg, "--cube")) {
            o->cube = 1;
        } else if (node && !strcmp(arg, "--known-only")) {
            o->no_mlp = 1;
        } else if (pi3nn && tool_option(argc, argv, &i, "--level", &v, &usage_errors)) {
            /* any number parses; the range (0, 1) is checked as a runtime error (exit 1) */
            tool_parse_double(&usage_errors, "--level", v, -HUGE_VAL, HUGE_VAL, &o->level);
        } else if (pi3nn && tool_option(argc, argv, &i, "--method", &v, &usage_errors)) {
            o->method = v;
            if (v && strcmp(v, "pi3nn") && strcmp(v, "ensemble"))
                tool_usage_error(&usage_errors, "--method '%s': expected pi3nn or ensemble", v);
        } else if (pi3nn && tool_option(argc, argv, &i, "--ood-bias", &v, &usage_errors)) {
            tool_parse_double(&usage_errors, "--ood-bias", v, -1e6, 1e6, &o->ood_bias);
        } else if (pi3nn && tool_option(argc, argv, &i, "--members", &v, &usage_errors)) {
            tool_parse_int(&usage_errors, "--members", v, 1, SCIML_PI3NN_MAX_ENSEMBLE, &o->members);
        } else if (pi3nn && tool_option(argc, argv, &i, "--validation", &v, &usage_errors)) {
            tool_parse_double(&usage_errors, "--validation", v, 0.0, SCIML_PI3NN_MAX_VALIDATION,
                              &o->validation);
            if (o->validation > 0 && o->validation < 0.05)
                tool_usage_error(&usage_errors,
                                 "--validation %g: expected 0 or a fraction in [0.05, %g]",
                                 o->validation, SCIML_PI3NN_MAX_VALIDATION);
        } else if (pi3nn && tool_option(argc, argv, &i, "--patience", &v, &usage_errors)) {
            tool_parse_int64(&usage_errors, "--patience", v, 0, INT64_MAX, &o->patience);
        } else if (tool_option(argc, argv, &i, "--model", &v, &usage_errors) ||
                   tool_option(argc, argv, &i, "-o", &v, &usage_errors)) {
            o->model_path = v;
        } else if (tool_option(argc, argv, &i, "--checkpoint", &v, &usage_errors)) {
            o->checkpoint_path = v;
        } else if (tool_option(argc, argv, &i, "--resume", &v, &usage_errors)) {
            o->resume = v;
        } else if (tool_option(argc, argv, &i, "--log", &v, &usage_errors)) {
            o->log_path = v;
        } else if (tool_is_option(arg, architecture_options,
                                  sizeof(architecture_options) / sizeof(architecture_options[0]))) {
            tool_usage_error(&usage_errors, "option %s does not apply to mode %s", arg,
                             o->mode ? o->mode : "(none)");
            if (!strchr(arg, '=') && i + 1 < argc)
                i++; /* skip its value */
        } else {
            tool_usage_error(&usage_errors, "unknown option '%s'", arg);
        }
    }
    if (!o->data)
        tool_usage_error(&usage_errors, "--data FILE is required");
    if (!o->model_path)
        tool_usage_error(&usage_errors, "-o MODEL is required");
    if (o->data && o->test && !strcmp(o->data, "-") && !strcmp(o->test, "-"))
        tool_usage_error(&usage_errors, "--data and --test cannot both be standard input");
    if (pi3nn && o->resume)
        tool_usage_error(&usage_errors, "--resume is not available for pi3nn (no checkpoints): "
                                        "train again");
    if (pi3nn) {
        if (!o->epochs_given)
            o->epochs = 200;
        if (!o->batch_given)
            o->batch = 100;
        if (!o->lr_given)
            o->lr = 1e-2;
    }
    if (node) {
        if (!o->batch_given)
            o->batch = 20;
        if (!o->lr_given)
            o->lr = 1e-2;
        if (o->epochs_given)
            tool_usage_error(&usage_errors, "node trains for --iterations, not --epochs");
        if (o->no_mlp && !o->known)
            tool_usage_error(&usage_errors, "--known-only needs --known");
        int dopri5 = o->solver && !strcmp(o->solver, "dopri5");
        if (o->gradient && !dopri5 && !strcmp(o->gradient, "direct"))
            tool_usage_error(&usage_errors,
                             "--gradient direct needs --solver dopri5 (CVODES gives the adjoint)");
    }
    if (node && o->optimizer && !strcmp(o->optimizer, "adamw"))
        tool_usage_error(&usage_errors, "--optimizer adamw is not available for node: use adam "
                                        "or lbfgs");
    if ((fno || pi3nn || deeponet) && o->optimizer && !strcmp(o->optimizer, "lbfgs"))
        tool_usage_error(&usage_errors,
                         "--optimizer lbfgs is not available for %s: use adam or adamw", o->mode);
    if (deeponet && !o->activation_given)
        o->activation = "relu";
    const int pod = deeponet && o->trunk && !strcmp(o->trunk, "pod");
    if (pod && o->query)
        tool_usage_error(&usage_errors,
                         "--trunk pod needs the aligned layout: it does not combine with --query");
    const char *lists[2][2] = {{"--branch", o->branch}, {"--trunk", pod ? NULL : o->trunk}};
    int64_t features[2] = {0, 0};
    for (int k = 0; deeponet && k < 2; k++) {
        sciml_ctx *ctx = NULL;
        int64_t sizes[SCIML_DEEPONET_MAX_LAYERS];
        int count = 0;
        if (lists[k][1] && sciml_ctx_create(&ctx) == SCIML_OK) {
            if (sciml_parse_hidden(ctx, lists[k][1], sizes, SCIML_DEEPONET_MAX_LAYERS, &count))
                tool_usage_error(&usage_errors, "%s: %s", lists[k][0], sciml_ctx_message(ctx));
            else
                features[k] = sizes[count - 1];
        }
        sciml_ctx_destroy(&ctx);
    }
    if (features[0] && features[1] && features[0] != features[1])
        tool_usage_error(&usage_errors,
                         "--branch ends in %lld features and --trunk in %lld: expected the same "
                         "p",
                         (long long)features[0], (long long)features[1]);
    if (o->optimizer && strcmp(o->optimizer, "adam") && strcmp(o->optimizer, "adamw") &&
        strcmp(o->optimizer, "lbfgs"))
        tool_usage_error(&usage_errors, "--optimizer '%s': expected adam, adamw or lbfgs",
                         o->optimizer);
    if (o->schedule && strcmp(o->schedule, "constant") && strcmp(o->schedule, "step") &&
        strcmp(o->schedule, "cosine"))
        tool_usage_error(&usage_errors, "--schedule '%s': expected constant, step or cosine",
                         o->schedule);
    sciml_activation activation;
    if (o->activation && sciml_activation_parse(o->activation, &activation))
        tool_usage_error(&usage_errors,
                         "--activation '%s': expected tanh, relu, gelu, sigmoid, softplus, sin "
                         "or identity",
                         o->activation);
    if (o->hidden) {
        sciml_ctx *ctx = NULL;
        int64_t sizes[SCIML_MLP_MAX_HIDDEN];
        int count = 0;
        if (sciml_ctx_create(&ctx) == SCIML_OK &&
            sciml_parse_hidden(ctx, o->hidden, sizes, SCIML_MLP_MAX_HIDDEN, &count))
            tool_usage_error(&usage_errors, "--hidden: %s", sciml_ctx_message(ctx));
        sciml_ctx_destroy(&ctx);
    }
    if (!strcmp(o->schedule ? o->schedule : "", "cosine") && o->min_lr > o->lr)
        tool_usage_error(&usage_errors, "--min-lr %g is larger than --lr %g", o->min_lr, o->lr);
    if (o->warmup > 0 && o->warmup >= o->epochs && o->epochs > 0)
        tool_usage_error(&usage_errors, "--warmup %lld must be shorter than --epochs %lld",
                         (long long)o->warmup, (long long)o->epochs);
    if (o->model_path && o->log_path && !strcmp(o->model_path, o->log_path))
        tool_usage_error(&usage_errors, "--log and -o name the same file");
    return tool_usage_finish(&usage_errors);
}

/* Per-epoch reporting: progress line, JSON log. */
typedef struct report_state {
    FILE *log;
    int progress;
    int64_t epochs;
    double started;
    double last_loss;
    double last_test_error;
    double last_test_loss;
} report_state;

static void json_number(FILE *out, const char *key, double value) {
    if (isfinite(value))
        fprintf(out, ",\"%s\":%.10g", key, value);
    else
        fprintf(out, ",\"%s\":null", key);
}

static int on_report(void *user, const sciml_train_report *r) {
    report_state *s = user;
    s->last_loss = r->train_loss;
    if (isfinite(r->test_error) || r->epoch == 1) {
        s->last_test_error = r->test_error;
        s->last_test_loss = r->test_loss;
    }
    if (s->log) {
        fprintf(s->log, "{\"epoch\":%lld,\"step\":%lld", (long long)r->epoch, (long long)r->step);
        json_number(s->log, "loss", r->train_loss);
        json_number(s->log, "test_loss", r->test_loss);
        json_number(s->log, "test_rel_l2", r->test_error);
        json_number(s->log, "lr", r->lr);
        json_number(s->log, "seconds", r->seconds);
        fprintf(s->log, "}\n");
    }
    if (s->progress) {
        double elapsed = tool_seconds() - s->started;
        double eta =
            r->epoch > 0 ? elapsed / (double)r->epoch * (double)(s->epochs - r->epoch) : 0.0;
        if (isfinite(r->test_error))
            tool_progress("%lld/%lld  loss %.4e  test rel L2 %.4e  %.3f s/epoch  ETA %.0f s",
                          (long long)r->epoch, (long long)s->epochs, r->train_loss, r->test_error,
                          r->seconds, eta);
        else
            tool_progress("%lld/%lld  loss %.4e  %.3f s/epoch  ETA %.0f s", (long long)r->epoch,
                          (long long)s->epochs, r->train_loss, r->seconds, eta);
    }
    return 0;
}

static int build_train_options(sciml_ctx *ctx, const train_options *o, sciml_train_options *t) {
    sciml_train_options_default(t);
    t->epochs = o->epochs;
    t->batch = o->batch;
    t->seed = o->seed;
    t->lbfgs_iterations = o->iterations;
    if (sciml_optimizer_parse(ctx, o->optimizer, &t->optimizer))
        return 1;
    if (o->weight_decay >= 0)
        t->weight_decay = o->weight_decay;
    else
        t->weight_decay = t->optimizer == SCIML_OPTIMIZER_ADAMW ? 0.01 : 0.0;
    sciml_schedule_default(&t->schedule, o->lr);
    if (sciml_schedule_parse(ctx, o->schedule, &t->schedule.kind))
        return 1;
    t->schedule.step_size = o->step_size;
    t->schedule.gamma = o->gamma;
    t->schedule.period = o->epochs - o->warmup > 0 ? o->epochs - o->warmup : 1;
    t->schedule.min_lr = o->min_lr;
    t->schedule.warmup = o->warmup;
    return sciml_schedule_check(ctx, &t->schedule) != SCIML_OK;
}

/* What the shared driver needs of a model, whatever its kind. */
typedef struct model_handle {
    void *model;
    sciml_status (*write)(void *model, const char *path, const sciml_model_provenance *p,
                          int checkpoint);
    int64_t (*epochs_done)(const void *model);
    int64_t (*parameter_count)(const void *model);
} model_handle;

static sciml_status write_mlp(void *m, const char *path, const sciml_model_provenance *p,
                              int checkpoint) {
    return sciml_mlp_model_write(m, path, p, checkpoint);
}
static int64_t mlp_epochs(const void *m) {
    return sciml_mlp_model_epochs_done(m);
}
static int64_t mlp_parameters(const void *m) {
    return sciml_mlp_model_parameter_count(m);
}
static sciml_status write_fno(void *m, const char *path, const sciml_model_provenance *p,
                              int checkpoint) {
    return sciml_fno_model_write(m, path, p, checkpoint);
}
static int64_t fno_epochs(const void *m) {
    return sciml_fno_model_epochs_done(m);
}
static int64_t fno_parameters(const void *m) {
    return sciml_fno_model_parameter_count(m);
}
static sciml_status write_deeponet(void *m, const char *path, const sciml_model_provenance *p,
                                   int checkpoint) {
    return sciml_deeponet_model_write(m, path, p, checkpoint);
}
static int64_t deeponet_epochs(const void *m) {
    return sciml_deeponet_model_epochs_done(m);
}
static int64_t deeponet_parameters(const void *m) {
    return sciml_deeponet_model_parameter_count(m);
}

/* Everything a training run shares across modes: data, provenance, log and reporting. */
typedef struct training_run {
    sciml_ctx *ctx;
    const train_options *o;
    sciml_train_options options;
    sciml_array x, y, test_x, test_y;
    report_state report;
    char *command;
    char checksum[17];
    const char *checkpoint;
    char default_checkpoint[4096];
    char *stored_input, *stored_output; /* variable names kept in a resumed model */
} training_run;

static void run_free(training_run *run) {
    tool_log_close(&run->report.log);
    sciml_array_free(&run->x);
    sciml_array_free(&run->y);
    sciml_array_free(&run->test_x);
    sciml_array_free(&run->test_y);
    free(run->command);
    free(run->stored_input);
    free(run->stored_output);
}

/* Options, the checkpoint path and the command line; 0 or 1 after printing an error. */
static int run_setup(training_run *run, sciml_ctx *ctx, const train_options *o, int argc,
                     char **argv) {
    memset(run, 0, sizeof(*run));
    run->ctx = ctx;
    run->o = o;
    run->command = tool_command_line(argc, argv);
    run->checkpoint = o->checkpoint_path;
    if (!run->checkpoint) {
        if (!strcmp(o->model_path, "-"))
            run->checkpoint = "sciml-train.ckpt";
        else {
            snprintf(run->default_checkpoint, sizeof(run->default_checkpoint), "%s.ckpt",
                     o->model_path);
            run->checkpoint = run->default_checkpoint;
        }
    }
    if (!run->command || build_train_options(ctx, o, &run->options)) {
        tool_fail(ctx);
        return 1;
    }
    return 0;
}

/* Reads the training (and test) data, defaulting the names to those a resumed model stored. */
static int run_read_data(training_run *run) {
    const train_options *o = run->o;
    const char *input_name = o->input ? o->input : run->stored_input;
    const char *output_name = o->output_variable ? o->output_variable : run->stored_output;
    if (sciml_dataset_read(run->ctx, o->data, input_name, output_name, &run->x, &run->y) ||
        (o->test && sciml_dataset_read(run->ctx, o->test, run->x.name, run->y.name, &run->test_x,
                                       &run->test_y))) {
        tool_fail(run->ctx);
        return 1;
    }
    if (o->test && (run->test_x.feature_count != run->x.feature_count ||
                    run->test_y.feature_count != run->y.feature_count)) {
        tool_error("%s: '%s' and '%s' have %lld and %lld values per sample, the training data "
                   "%lld and %lld",
                   o->test, run->x.name, run->y.name, (long long)run->test_x.feature_count,
                   (long long)run->test_y.feature_count, (long long)run->x.feature_count,
                   (long long)run->y.feature_count);
        return 1;
    }
    if (strcmp(o->data, "-") && sciml_file_checksum(run->ctx, o->data, run->checksum))
        run->checksum[0] = '\0';
    return 0;
}

/* Log, progress and Ctrl-C handling just before the first step. */
static int run_start(training_run *run) {
    if (tool_log_open(run->o->log_path, &run->report.log))
        return 1;
    run->report.progress = tool_progress_wanted(run->o->quiet);
    run->report.epochs =
        run->options.optimizer == SCIML_OPTIMIZER_LBFGS ? run->o->iterations : run->o->epochs;
    run->report.started = tool_seconds();
    run->report.last_loss = NAN;
    run->report.last_test_error = NAN;
    run->report.last_test_loss = NAN;
    run->options.report = on_report;
    run->options.report_user = &run->report;
    tool_catch_interrupts(run->ctx);
    return 0;
}

/* After training: a checkpoint on interruption or divergence, else the model; the summary. */
static int run_finish(training_run *run, sciml_status status, const model_handle *handle) {
    sciml_ctx *ctx = run->ctx;
    const train_options *o = run->o;
    tool_progress_done();
    sciml_model_provenance provenance = {
        .input_variable = run->x.name,
        .output_variable = run->y.name,
        .command = run->command,
        .source_checksum = run->checksum[0] ? run->checksum : NULL,
        .seed = o->seed,
    };
    /* interrupted, diverged or (node) the solver failed: the last good weights are kept */
    if (status == SCIML_ERR_INTERRUPTED || status == SCIML_ERR_NONFINITE ||
        status == SCIML_ERR_SOLVER) {
        char message[1024];
        snprintf(message, sizeof(message), "%s", sciml_ctx_message(ctx));
        sciml_ctx_clear_error(ctx);
        sciml_ctx_clear_interrupt(ctx);
        if (handle->write(handle->model, run->checkpoint, &provenance, 1))
            tool_error("%s; writing the checkpoint failed too: %s", message,
                       sciml_ctx_message(ctx));
        else
            tool_error("%s; checkpoint written to %s (continue with --resume %s)", message,
                       run->checkpoint, run->checkpoint);
        return TOOL_EXIT_FAILURE;
    }
    if (status || handle->write(handle->model, o->model_path, &provenance, 0))
        return tool_fail(ctx);
    if (!o->quiet) {
        fprintf(stderr, "%s: %lld %s, %lld parameters, final loss %.4e", tool_name(),
                (long long)handle->epochs_done(handle->model),
                run->options.optimizer == SCIML_OPTIMIZER_LBFGS ? "L-BFGS iterations" : "epochs",
                (long long)handle->parameter_count(handle->model), run->report.last_loss);
        if (o->test && !strcmp(o->mode, "deeponet"))
            fprintf(stderr, ", test MSE %.4e", run->report.last_test_loss);
        if (o->test)
            fprintf(stderr, ", test relative L2 %.4e", run->report.last_test_error);
        fprintf(stderr, ", %.1f s; model written to %s\n", tool_seconds() - run->report.started,
                o->model_path);
    }
    return TOOL_EXIT_OK;
}

/* Warnings for --resume from a plain model or with architecture options. */
static void warn_about_resume(const train_options *o, int is_checkpoint) {
    if (!is_checkpoint)
        tool_warning("%s is a model, not a checkpoint: training continues from its "
                     "weights with a fresh optimizer",
                     o->resume);
    if (o->architecture_given)
        tool_warning("architecture options are ignored with --resume: the architecture "
                     "comes from %s",
                     o->resume);
}

static int train_mlp(training_run *run) {
    sciml_ctx *ctx = run->ctx;
    const train_options *o = run->o;
    sciml_mlp_model *model = NULL;
    int exit_code = TOOL_EXIT_FAILURE;
    if (o->resume) {
        if (sciml_mlp_model_read(ctx, o->resume, &model, &run->stored_input, &run->stored_output)) {
            tool_fail(ctx);
            goto done;
        }
        warn_about_resume(o, sciml_mlp_model_is_checkpoint(model));
    }
    if (run_read_data(run))
        goto done;
    if (!model) {
        sciml_mlp_model_config config;
        memset(&config, 0, sizeof(config));
        config.input_count = run->x.feature_count;
        config.output_count = run->y.feature_count;
        sciml_activation_parse(o->activation, &config.activation);
        if (sciml_parse_hidden(ctx, o->hidden, config.hidden, SCIML_MLP_MAX_HIDDEN,
                               &config.hidden_count) ||
            sciml_mlp_model_create(ctx, &config, o->seed, &model)) {
            tool_fail(ctx);
            goto done;
        }
    } else {
        const sciml_mlp_model_config *config = sciml_mlp_model_get_config(model);
        if (config->input_count != run->x.feature_count ||
            config->output_count != run->y.feature_count) {
            tool_error("%s: data has %lld inputs and %lld outputs per sample, the checkpoint "
                       "%s expects %lld and %lld",
                       o->data, (long long)run->x.feature_count, (long long)run->y.feature_count,
                       o->resume, (long long)config->input_count, (long long)config->output_count);
            goto done;
        }
    }
    if (run_start(run))
        goto done;
    sciml_status status = sciml_mlp_model_train(
        model, run->x.values, run->y.values, run->x.sample_count, run->test_x.values,
        run->test_y.values, run->test_x.sample_count, &run->options);
    model_handle handle = {model, write_mlp, mlp_epochs, mlp_parameters};
    exit_code = run_finish(run, status, &handle);
done:
    sciml_mlp_model_destroy(&model);
    return exit_code;
}

/* A data variable as FNO fields: (sample, x) is 1D and (sample, x, y) 2D, one channel. */
static int as_fields(const sciml_array *array, const char *path, sciml_field_set *fields) {
    if (array->rank != 2 && array->rank != 3) {
        tool_error("%s: variable '%s' has %d dimensions: the fno mode needs (sample, x) or "
                   "(sample, x, y)",
                   path, array->name, array->rank);
        return 1;
    }
    fields->values = array->values;
    fields->count = array->sample_count;
    fields->size[0] = array->shape[1];
    fields->size[1] = array->rank == 3 ? array->shape[2] : 1;
    fields->channels = 1;
    return 0;
}

static int train_fno(training_run *run) {
    sciml_ctx *ctx = run->ctx;
    const train_options *o = run->o;
    sciml_fno_model *model = NULL;
    int exit_code = TOOL_EXIT_FAILURE;
    if (o->resume) {
        if (sciml_fno_model_read(ctx, o->resume, &model, &run->stored_input, &run->stored_output)) {
            tool_fail(ctx);
            goto done;
        }
        warn_about_resume(o, sciml_fno_model_is_checkpoint(model));
    }
    if (run_read_data(run))
        goto done;
    sciml_field_set a, u, test_a, test_u;
    if (as_fields(&run->x, o->data, &a) || as_fields(&run->y, o->data, &u) ||
        (o->test &&
         (as_fields(&run->test_x, o->test, &test_a) || as_fields(&run->test_y, o->test, &test_u))))
        goto done;
    if (a.size[0] != u.size[0] || a.size[1] != u.size[1] || run->x.rank != run->y.rank) {
        tool_error("%s: '%s' and '%s' are on different grids: expected the same shape", o->data,
                   run->x.name, run->y.name);
        goto done;
    }
    if (!model) {
        sciml_fno_config config;
        sciml_fno_config_default(&config);
        config.dims = run->x.rank - 1;
        config.modes[0] = o->modes[0];
        config.modes[1] = o->modes[1];
        config.width = o->width;
        config.layers = o->layers;
        config.projection = o->projection;
        config.padding = o->padding;
        if (sciml_fno_model_create(ctx, &config, o->seed, &model)) {
            tool_fail(ctx);
            goto done;
        }
    } else if (sciml_fno_model_get_config(model)->dims != run->x.rank - 1) {
        tool_error("%s: the data is %dD, the checkpoint %s is a %dD model", o->data,
                   run->x.rank - 1, o->resume, sciml_fno_model_get_config(model)->dims);
        goto done;
    }
    if (run_start(run))
        goto done;
    sciml_status status = sciml_fno_model_train(model, &a, &u, o->test ? &test_a : NULL,
                                                o->test ? &test_u : NULL, &run->options);
    model_handle handle = {model, write_fno, fno_epochs, fno_parameters};
    exit_code = run_finish(run, status, &handle);
done:
    sciml_fno_model_destroy(&model);
    return exit_code;
}

/* PI3NN or ensemble: no checkpoints; the level is checked before training (its range) and
 * after it (enough training points on each side of the mean), and no model is written when
 * either fails. With --test the summary gives PICP and MPIW on the held-out data. */
static int train_pi3nn(training_run *run) {
    sciml_ctx *ctx = run->ctx;
    const train_options *o = run->o;
    sciml_pi3nn_model *model = NULL;
    double *mean = NULL, *lower = NULL, *upper = NULL;
    int exit_code = TOOL_EXIT_FAILURE;
    if (!(o->level > 0 && o->level < 1)) {
        tool_error("--level %g: confidence level outside (0, 1): expected a value between 0 and "
                   "1, such as 0.95",
                   o->level);
        return TOOL_EXIT_FAILURE;
    }
    if (run_read_data(run))
        goto done;
    sciml_pi3nn_config config;
    sciml_pi3nn_config_default(&config, run->x.feature_count, run->y.feature_count);
    sciml_activation_parse(o->activation, &config.activation);
    config.ood_bias = o->ood_bias;
    config.method =
        !strcmp(o->method, "ensemble") ? SCIML_PI3NN_METHOD_ENSEMBLE : SCIML_PI3NN_METHOD_PI3NN;
    config.ensemble_count = o->members;
    config.validation_fraction = o->validation;
    config.patience = o->patience;
    if (sciml_parse_hidden(ctx, o->hidden, config.hidden, SCIML_MLP_MAX_HIDDEN,
                           &config.hidden_count) ||
        sciml_pi3nn_model_create(ctx, &config, o->seed, &model) || run_start(run)) {
        tool_fail(ctx);
        goto done;
    }
    sciml_status status = sciml_pi3nn_model_train(model, run->x.values, run->y.values,
                                                  run->x.sample_count, &run->options);
    tool_progress_done();
    if (status || sciml_pi3nn_model_check_level(model, o->level)) {
        tool_fail(ctx);
        goto done;
    }
    sciml_model_provenance provenance = {
        .input_variable = run->x.name,
        .output_variable = run->y.name,
        .command = run->command,
        .source_checksum = run->checksum[0] ? run->checksum : NULL,
        .seed = o->seed,
    };
    if (sciml_pi3nn_model_write(model, o->model_path, &provenance, o->level)) {
        tool_fail(ctx);
        goto done;
    }
    if (!o->quiet) {
        fprintf(stderr, "%s: %s, %lld parameters, %.1f s", tool_name(), o->method,
                (long long)sciml_pi3nn_model_parameter_count(model),
                tool_seconds() - run->report.started);
        if (o->test) {
            int64_t count = run->test_x.sample_count, m = run->test_y.feature_count;
            size_t size = (size_t)(count + 2) * (size_t)m; /* room for 2 m metrics */
            mean = sciml_alloc_array(size, sizeof(double));
            lower = sciml_alloc_array(size, sizeof(double));
            upper = sciml_alloc_array(size, sizeof(double));
            if (mean && lower && upper &&
                !sciml_pi3nn_model_predict(model, run->test_x.values, count, o->level, mean, lower,
                                           upper, NULL)) {
                /* reuse mean (count m) for the per-output PICP and MPIW */
                sciml_interval_metrics(run->test_y.values, lower, upper, count, m, mean, mean + m);
                for (int64_t k = 0; k < m && k < 4; k++)
                    fprintf(stderr, ", test %s[%lld] PICP %.4f MPIW %.6g", run->y.name,
                            (long long)k, mean[k], mean[m + k]);
                fprintf(stderr, " at level %g", o->level);
            }
        }
        fprintf(stderr, "; model written to %s\n", o->model_path);
    }
    exit_code = TOOL_EXIT_OK;
done:
    free(mean);
    free(lower);
    free(upper);
    sciml_pi3nn_model_destroy(&model);
    return exit_code;
}

/* The query grid of a DeepONet data file: the coordinate variables of its output variable
 * (`output`, else the stored name, else the one with sciml_role = "output"). */
static int read_deeponet_grid(training_run *run, const char *path, const char *output,
                              sciml_deeponet_grid *grid) {
    sciml_ctx *ctx = run->ctx;
    sciml_nc_reader *reader = NULL;
    if (!strcmp(path, "-")) {
        tool_error("-: deeponet reads the query coordinates before the data: give --data and "
                   "--test as files, not standard input");
        return 1;
    }
    const char *name = output;
    if (sciml_nc_open(ctx, path, &reader) ||
        (!name && sciml_dataset_find_role(ctx, reader, "output", &name)) ||
        sciml_deeponet_grid_of_variable(ctx, reader, name, grid)) {
        sciml_nc_close(&reader);
        return tool_fail(ctx);
    }
    sciml_nc_close(&reader);
    return 0;
}

/* Joins the grid's coordinate names with commas. */
static void grid_names(const sciml_deeponet_grid *grid, char *text, size_t size) {
    size_t used = 0;
    text[0] = '\0';
    for (int k = 0; k < grid->dims && used < size; k++)
        used += (size_t)snprintf(text + used, size - used, "%s%s", k ? "," : "", grid->names[k]);
}

/* The query variable of an unaligned DeepONet file: --query, else the variable with
 * sciml_role = "query"; *name NULL (aligned layout) when there is none. Reads it into points
 * and the names of its coordinates into names (the attribute sciml_coordinates, else the
 * variable's own name for one coordinate). */
static int read_deeponet_query(training_run *run, const char *path, const char *query,
                               sciml_array *points, char *names, size_t size) {
    sciml_ctx *ctx = run->ctx;
    sciml_nc_reader *reader = NULL;
    const char *name = query;
    names[0] = '\0';
    if (!strcmp(path, "-"))
        return 0; /* a pipe: the aligned layout unless --query (then an error below) */
    if (sciml_nc_open(ctx, path, &reader))
        return tool_fail(ctx);
    if (!name && sciml_dataset_find_role(ctx, reader, "query", &name) != SCIML_OK) {
        sciml_ctx_clear_error(ctx);
        sciml_nc_close(&reader);
        return 0;
    }
    int64_t var;
    const char *coordinates = NULL;
    if (sciml_nc_find_var(reader, name, &var) == SCIML_OK &&
        sciml_nc_get_att_text(reader, var, "sciml_coordinates", &coordinates, NULL) == SCIML_OK)
        snprintf(names, size, "%s", coordinates);
    else
        sciml_ctx_clear_error(ctx);
    if (sciml_array_read(ctx, reader, name, points)) {
        sciml_nc_close(&reader);
        return tool_fail(ctx);
    }
    sciml_nc_close(&reader);
    if (!names[0] && points->feature_count == 1)
        snprintf(names, size, "%s", points->name);
    return 0;
}

/* DeepONet on triplets: v(sample, sensor), the query points (sample[, coordinate]) already
 * read, u(sample[, channel]). Takes ownership of model (a checkpoint to resume, or NULL). */
static int train_deeponet_unaligned(training_run *run, sciml_deeponet_model *model,
                                    const sciml_array *query, const char *names) {
    sciml_ctx *ctx = run->ctx;
    const train_options *o = run->o;
    int exit_code = TOOL_EXIT_FAILURE;
    sciml_array test_query;
    memset(&test_query, 0, sizeof(test_query));
    char test_names[SCIML_NC_MAX_NAME + 8];
    if (!strcmp(o->trunk, "pod")) {
        tool_error("%s: '%s' gives one query point per sample (the unaligned layout): --trunk "
                   "pod needs the aligned layout, one grid for every function",
                   o->data, query->name);
        goto done;
    }
    if (run_read_data(run) ||
        (o->test && read_deeponet_query(run, o->test, query->name, &test_query, test_names,
                                        sizeof(test_names))))
        goto done;
    if (o->test && (!test_query.values || test_query.feature_count != query->feature_count ||
                    test_query.sample_count != run->test_x.sample_count)) {
        tool_error("%s: expected the query variable '%s' with %lld coordinates per sample and "
                   "one sample per input, as in %s",
                   o->test, query->name, (long long)query->feature_count, o->data);
        goto done;
    }
    if (query->sample_count != run->x.sample_count) {
        tool_error("%s: '%s' has %lld samples and '%s' %lld: expected one query point per "
                   "sample",
                   o->data, query->name, (long long)query->sample_count, run->x.name,
                   (long long)run->x.sample_count);
        goto done;
    }
    const int64_t d = query->feature_count, K = run->y.feature_count;
    if (!model) {
        sciml_deeponet_config config;
        sciml_deeponet_config_default(&config);
        config.sensors = run->x.feature_count;
        config.coordinates = d;
        config.outputs = K;
        sciml_activation_parse(o->activation, &config.activation);
        if (sciml_parse_hidden(ctx, o->branch, config.branch, SCIML_DEEPONET_MAX_LAYERS,
                               &config.branch_count) ||
            sciml_parse_hidden(ctx, o->trunk, config.trunk, SCIML_DEEPONET_MAX_LAYERS,
                               &config.trunk_count) ||
            sciml_deeponet_model_create(ctx, &config, o->seed, &model) ||
            (names[0] && sciml_deeponet_model_set_coordinate_names(model, names))) {
            tool_fail(ctx);
            goto done;
        }
    } else {
        const sciml_deeponet_config *config = sciml_deeponet_model_get_config(model);
        if (config->sensors != run->x.feature_count || config->coordinates != d ||
            config->outputs != K) {
            tool_error("%s: data has %lld sensors, %lld coordinates and %lld outputs, the "
                       "checkpoint %s expects %lld, %lld and %lld",
                       o->data, (long long)run->x.feature_count, (long long)d, (long long)K,
                       o->resume, (long long)config->sensors, (long long)config->coordinates,
                       (long long)config->outputs);
            goto done;
        }
    }
    const int64_t count = run->x.sample_count;
    run->options.batch = o->batch_given ? o->batch : count;
    if (!o->epochs_given) {
        const int64_t batches = (count + run->options.batch - 1) / run->options.batch;
        run->options.epochs = (o->iterations + batches - 1) / batches;
        run->options.schedule.period =
            run->options.epochs - o->warmup > 0 ? run->options.epochs - o->warmup : 1;
    }
    if (run_start(run))
        goto done;
    run->report.epochs = run->options.epochs;
    sciml_deeponet_triplets train = {run->x.values, query->values, run->y.values, count};
    sciml_deeponet_triplets test = {run->test_x.values, test_query.values, run->test_y.values,
                                    run->test_x.sample_count};
    sciml_status status =
        sciml_deeponet_model_train_unaligned(model, &train, o->test ? &test : NULL, &run->options);
    model_handle handle = {model, write_deeponet, deeponet_epochs, deeponet_parameters};
    exit_code = run_finish(run, status, &handle);
done:
    sciml_array_free(&test_query);
    sciml_deeponet_model_destroy(&model);
    return exit_code;
}

static int train_deeponet(training_run *run) {
    sciml_ctx *ctx = run->ctx;
    const train_options *o = run->o;
    sciml_deeponet_model *model = NULL;
    sciml_deeponet_grid grid, test_grid;
    memset(&grid, 0, sizeof(grid));
    memset(&test_grid, 0, sizeof(test_grid));
    int exit_code = TOOL_EXIT_FAILURE;
    if (o->resume) {
        if (sciml_deeponet_model_read(ctx, o->resume, &model, &run->stored_input,
                                      &run->stored_output)) {
            tool_fail(ctx);
            goto done;
        }
        warn_about_resume(o, sciml_deeponet_model_is_checkpoint(model));
    }
    const char *output = o->output_variable ? o->output_variable : run->stored_output;
    sciml_array query, test_query;
    memset(&query, 0, sizeof(query));
    memset(&test_query, 0, sizeof(test_query));
    char query_names[SCIML_NC_MAX_NAME + 8];
    if (o->query && !strcmp(o->data, "-")) {
        tool_error("-: --query reads the query points before the data: give --data as a file");
        goto done;
    }
    if (read_deeponet_query(run, o->data, o->query, &query, query_names, sizeof(query_names)))
        goto done;
    if (query.values) {
        exit_code = train_deeponet_unaligned(run, model, &query, query_names);
        model = NULL; /* owned by the unaligned run now */
        goto done;
    }
    if (read_deeponet_grid(run, o->data, output, &grid) || run_read_data(run) ||
        (o->test && read_deeponet_grid(run, o->test, run->y.name, &test_grid)))
        goto done;
    const sciml_deeponet_grid *grids[2] = {&grid, &test_grid};
    const sciml_array *outputs[2] = {&run->y, &run->test_y};
    for (int k = 0; k < (o->test ? 2 : 1); k++) {
        if (outputs[k]->feature_count != grids[k]->point_count * grids[k]->channels ||
            grids[k]->dims != grid.dims || grids[k]->channels != grid.channels) {
            tool_error("%s: '%s' has %lld values per sample on %lld points of %d coordinates "
                       "with %lld outputs: expected one value per query point and output, as "
                       "in %s",
                       k ? o->test : o->data, outputs[k]->name,
                       (long long)outputs[k]->feature_count, (long long)grids[k]->point_count,
                       grids[k]->dims, (long long)grids[k]->channels, o->data);
            goto done;
        }
    }
    if (!model) {
        sciml_deeponet_config config;
        sciml_deeponet_config_default(&config);
        config.sensors = run->x.feature_count;
        config.coordinates = grid.dims;
        config.outputs = grid.channels;
        sciml_activation_parse(o->activation, &config.activation);
        char names[256];
        grid_names(&grid, names, sizeof(names));
        config.pod = !strcmp(o->trunk, "pod");
        sciml_status parsed = sciml_parse_hidden(ctx, o->branch, config.branch,
                                                 SCIML_DEEPONET_MAX_LAYERS, &config.branch_count);
        if (parsed == SCIML_OK && config.pod) { /* p modes: the branch's last width */
            config.trunk_count = 1;
            config.trunk[0] = config.branch[config.branch_count - 1];
        } else if (parsed == SCIML_OK) {
            parsed = sciml_parse_hidden(ctx, o->trunk, config.trunk, SCIML_DEEPONET_MAX_LAYERS,
                                        &config.trunk_count);
        }
        if (parsed || sciml_deeponet_model_create(ctx, &config, o->seed, &model) ||
            sciml_deeponet_model_set_coordinate_names(model, names)) {
            tool_fail(ctx);
            goto done;
        }
    } else {
        const sciml_deeponet_config *config = sciml_deeponet_model_get_config(model);
        if (config->sensors != run->x.feature_count || config->coordinates != grid.dims ||
            config->outputs != grid.channels) {
            tool_error("%s: data has %lld sensors, %d coordinates and %lld outputs, the "
                       "checkpoint %s expects %lld, %lld and %lld",
                       o->data, (long long)run->x.feature_count, grid.dims,
                       (long long)grid.channels, o->resume, (long long)config->sensors,
                       (long long)config->coordinates, (long long)config->outputs);
            goto done;
        }
    }
    /* full batch unless --batch; --iterations counts optimizer steps unless --epochs */
    const int64_t count = run->x.sample_count;
    run->options.batch = o->batch_given ? o->batch : count;
    if (!o->epochs_given) {
        const int64_t batches = (count + run->options.batch - 1) / run->options.batch;
        run->options.epochs = (o->iterations + batches - 1) / batches;
        run->options.schedule.period =
            run->options.epochs - o->warmup > 0 ? run->options.epochs - o->warmup : 1;
    }
    if (run_start(run))
        goto done;
    run->report.epochs = run->options.epochs;
    sciml_deeponet_data train = {run->x.values, grid.points, run->y.values, count,
                                 grid.point_count};
    sciml_deeponet_data test = {run->test_x.values, test_grid.points, run->test_y.values,
                                run->test_x.sample_count, test_grid.point_count};
    sciml_status status =
        sciml_deeponet_model_train(model, &train, o->test ? &test : NULL, &run->options);
    model_handle handle = {model, write_deeponet, deeponet_epochs, deeponet_parameters};
    exit_code = run_finish(run, status, &handle);
done:
    sciml_array_free(&query);
    sciml_array_free(&test_query);
    sciml_deeponet_grid_free(&grid);
    sciml_deeponet_grid_free(&test_grid);
    sciml_deeponet_model_destroy(&model);
    return exit_code;
}

static sciml_status write_node(void *m, const char *path, const sciml_model_provenance *p,
                               int checkpoint) {
    return sciml_node_model_write(m, path, p, checkpoint);
}
static int64_t node_iterations(const void *m) {
    return sciml_node_model_iterations_done(m);
}
static int64_t node_parameters(const void *m) {
    return sciml_node_model_param_count(m);
}

/* Neural ODE: trajectories y(sample, time, state) and t(time), random segments, Adam. */
static int train_node(training_run *run) {
    sciml_ctx *ctx = run->ctx;
    const train_options *o = run->o;
    sciml_node_data data, test;
    sciml_node_model *model = NULL;
    int exit_code = TOOL_EXIT_FAILURE;
    const char *name = o->output_variable ? o->output_variable : "y";
    memset(&test, 0, sizeof test);
    if (sciml_node_data_read(ctx, o->data, name, "t", &data)) {
        tool_fail(ctx);
        return exit_code;
    }
    if (o->test && sciml_node_data_read(ctx, o->test, name, "t", &test)) {
        tool_fail(ctx);
        goto done;
    }
    if (strcmp(o->data, "-") && sciml_file_checksum(ctx, o->data, run->checksum))
        run->checksum[0] = '\0';
    sciml_node_config config;
    sciml_node_config_default(&config);
    config.state_size = data.state_size;
    config.augmented = o->augment;
    config.time_input = o->time_input;
    config.cube_input = o->cube;
    config.use_mlp = !o->no_mlp;
    config.max_batch = o->batch;
    sciml_activation_parse(o->activation, &config.activation);
    if (o->known) {
        int robertson = !strcmp(o->known, "robertson"), count = robertson ? 3 : 4;
        config.known = robertson ? SCIML_NODE_KNOWN_ROBERTSON : SCIML_NODE_KNOWN_LOTKA_VOLTERRA;
        /* Robertson's terms train log-rates; LIST gives the rates */
        const double robertson_rates[3] = {0.04, 1e4, 3e7};
        for (int k = 0; k < count; k++)
            config.known_initial[k] = robertson ? log(robertson_rates[k]) : 1.0;
        int given = 0;
        for (const char *cursor = o->known_initial; cursor && *cursor && given <= count;) {
            char *end;
            double value = strtod(cursor, &end);
            if (end == cursor || !isfinite(value) || (*end && *end != ',') ||
                (robertson && !(value > 0)) || given == count) {
                given = -1;
                break;
            }
            config.known_initial[given++] = robertson ? log(value) : value;
            cursor = *end ? end + 1 : end;
        }
        if (o->known_initial && given != count) {
            tool_error("--known-initial '%s': expected %d comma-separated %s", o->known_initial,
                       count, robertson ? "positive rates (k1, k2, k3)" : "numbers (a, b, g, d)");
            goto done;
        }
    }
    sciml_node_train_options train;
    sciml_node_train_options_default(&train);
    train.iterations = o->iterations;
    train.optimizer = run->options.optimizer;
    train.batch = o->batch;
    train.segment = o->segment;
    /* the schedule counts iterations here, not epochs */
    train.schedule = run->options.schedule;
    train.schedule.period = o->iterations - o->warmup > 0 ? o->iterations - o->warmup : 1;
    train.seed = o->seed;
    train.solve.relative_tolerance = o->rtol;
    train.solve.absolute_tolerance = o->atol;
    if ((o->solver && sciml_node_solver_parse(ctx, o->solver, &train.solve.solver)) ||
        sciml_parse_hidden(ctx, o->hidden, config.hidden, SCIML_MAX_HIDDEN_LAYERS,
                           &config.hidden_count) ||
        (o->resume ? sciml_node_model_read(ctx, o->resume, &model)
                   : sciml_node_model_create(ctx, &config, o->seed, &model))) {
        tool_fail(ctx);
        goto done;
    }
    if (o->resume) {
        warn_about_resume(o, sciml_node_model_is_checkpoint(model));
        if (sciml_node_model_config(model)->state_size != data.state_size ||
            sciml_node_model_config(model)->max_batch < o->batch) {
            tool_error("%s: data have %lld states and --batch %lld, the model %s has %lld "
                       "states and at most %lld segments per step",
                       o->data, (long long)data.state_size, (long long)o->batch, o->resume,
                       (long long)sciml_node_model_config(model)->state_size,
                       (long long)sciml_node_model_config(model)->max_batch);
            goto done;
        }
    }
    train.solve.gradient =
        train.solve.solver == SCIML_NODE_DOPRI5 ? SCIML_NODE_DIRECT : SCIML_NODE_ADJOINT;
    if (o->gradient)
        sciml_node_gradient_parse(ctx, o->gradient, &train.solve.gradient);
    if (run_start(run))
        goto done;
    run->report.epochs = o->iterations;
    train.report = on_report;
    train.report_user = &run->report;
    train.test = o->test ? &test : NULL;
    sciml_status status = sciml_node_model_train(model, &data, &train);
    if (status == SCIML_ERR_SHAPE || status == SCIML_ERR_SOLVER) {
        char reason[1024];
        snprintf(reason, sizeof reason, "%s", sciml_ctx_message(ctx));
        status = sciml_error(ctx, status, "%s: %s", o->data, reason);
    }
    model_handle handle = {model, write_node, node_iterations, node_parameters};
    exit_code = run_finish(run, status, &handle);
done:
    sciml_node_data_free(&data);
    sciml_node_data_free(&test);
    sciml_node_model_destroy(&model);
    return exit_code;
}

int main(int argc, char **argv) {
    tool_set_name("sciml-train");
    if (argc >= 2 && !strcmp(argv[1], "pinn"))
        return train_pinn_main(argc, argv);
    train_options options;
    int usage_status = parse_options(argc, argv, &options);
    if (usage_status)
        return usage_status;
    sciml_ctx *ctx = NULL;
    if (sciml_ctx_create(&ctx)) {
        tool_error("out of memory");
        return TOOL_EXIT_FAILURE;
    }
    if (sciml_ctx_set_threads(ctx, options.threads)) {
        int exit_code = tool_fail(ctx);
        sciml_ctx_destroy(&ctx);
        return exit_code;
    }
    training_run run;
    int exit_code = TOOL_EXIT_FAILURE;
    if (run_setup(&run, ctx, &options, argc, argv) == 0)
        exit_code = !strcmp(options.mode, "fno")        ? train_fno(&run)
                    : !strcmp(options.mode, "pi3nn")    ? train_pi3nn(&run)
                    : !strcmp(options.mode, "deeponet") ? train_deeponet(&run)
                    : !strcmp(options.mode, "node")     ? train_node(&run)
                                                        : train_mlp(&run);
    run_free(&run);
    sciml_ctx_destroy(&ctx);
    return exit_code;
}
