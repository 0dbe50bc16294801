/* sciml-train: train a model on a netCDF data set and write it as a netCDF model file.
 *
 *   sciml-train MODE --data FILE [--test FILE] [training options] [architecture] -o MODEL
 *
 * Modes: mlp (supervised regression), fno (Fourier neural operator), pi3nn (prediction
 * intervals from three networks, or a deep ensemble), node (neural ODE / universal
 * differential equation on CVODES or dopri5), deeponet (deep operator network, aligned or
 * unaligned layout), pinn (physics-informed network). Training flags mean the same in every
 * mode (DESIGN.md). This file parses the options (collecting every usage error before
 * failing) and runs the shared driver of train_run.h; each mode lives in train_<mode>.c,
 * pinn with options of its own in train_pinn.c. Ctrl-C finishes the
 * current step, writes a checkpoint and exits; --checkpoint-every N also writes one every N
 * epochs; --resume CHECKPOINT continues bit for bit. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sciml/dataset.h"
#include "sciml/deeponet_model.h"
#include "sciml/fno_model.h"
#include "sciml/nn.h"
#include "sciml/pi3nn_model.h"
#include "tool.h"
#include "train_pinn.h"
#include "train_run.h"

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
        "  --padding N           zeros appended per dimension, for non-periodic data, at\n"
        "                        the training grid (scaled at other resolutions) [0]\n"
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
        "  --max-steps N         solver steps per observation interval (dopri5: per\n"
        "                        segment); more is a solver failure [100000]\n"
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
        "  --checkpoint-every N  also write it every N epochs (node: iterations), each\n"
        "                        replacing the last whole, so a killed run loses at most N;\n"
        "                        Adam and AdamW only, not pi3nn [0: never]\n"
        "  --resume FILE         continue training from a checkpoint\n"
        "  --log FILE            one JSON object per epoch (with --resume: continued\n"
        "                        after the checkpoint's epoch)\n"
        "  -q, --quiet           no progress or summary on stderr\n"
        "  -h, --help            show this help and exit\n"
        "  --version             show the version and exit\n"
        "\n"
        "Exit status: 0 success, 1 failure or interrupted (a checkpoint is written),\n"
        "2 usage error.\n");
}

/* Architecture options of some mode. */
static const char *const architecture_options[] = {
    "--hidden",     "--activation", "--modes",    "--width",         "--layers",
    "--projection", "--padding",    "--level",    "--method",        "--ood-bias",
    "--members",    "--branch",     "--trunk",    "--validation",    "--patience",
    "--query",      "--solver",     "--gradient", "--segment",       "--rtol",
    "--atol",       "--augment",    "--known",    "--known-initial", "--max-steps"};

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
    o->max_steps = 100000;
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
        } else if (node && tool_option(argc, argv, &i, "--max-steps", &v, &usage_errors)) {
            tool_parse_int64(&usage_errors, "--max-steps", v, 1, INT64_C(1) << 40, &o->max_steps);
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
        } else if (tool_option(argc, argv, &i, "--checkpoint-every", &v, &usage_errors)) {
            tool_parse_int64(&usage_errors, "--checkpoint-every", v, 0, INT64_MAX,
                             &o->checkpoint_every);
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
    if (pi3nn && o->checkpoint_every)
        tool_usage_error(&usage_errors, "--checkpoint-every is not available for pi3nn (no "
                                        "checkpoints)");
    if (o->checkpoint_every && o->optimizer && !strcmp(o->optimizer, "lbfgs"))
        tool_usage_error(&usage_errors, "--checkpoint-every needs --optimizer adam or adamw "
                                        "(an L-BFGS run keeps no state to continue from)");
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
    const tool_named_file data[] = {{"--data", o->data}, {"--test", o->test}};
    tool_usage_training_files(&usage_errors, o->model_path, o->checkpoint_path, o->log_path,
                              o->resume, data, 2);
    return tool_usage_finish(&usage_errors);
}

static void json_number(FILE *out, const char *key, double value) {
    if (isfinite(value))
        fprintf(out, ",\"%s\":%.10g", key, value);
    else
        fprintf(out, ",\"%s\":null", key);
}

int train_run_report(void *user, const sciml_train_report *r) {
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
int train_run_read_data(training_run *run) {
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
/* A sciml_train_checkpoint_fn: the model as a checkpoint at run->checkpoint (the writer
 * replaces the file whole, so a run killed while writing keeps the one before). A failed write
 * is a warning, the first one only: the training goes on, and a later checkpoint or the model
 * may still be written. */
static sciml_status write_periodic_checkpoint(void *user) {
    training_run *run = user;
    sciml_model_provenance provenance = train_run_provenance(run);
    return tool_periodic_checkpoint_written(
        run->handle.write(run->handle.model, run->checkpoint, &provenance, 1), run->checkpoint,
        run->ctx, &run->checkpoint_failed);
}

int train_run_start(training_run *run, const model_handle *handle) {
    if (handle)
        run->handle = *handle;
    /* a resumed run continues its log: the lines after the checkpoint's epoch are cut */
    if (run->o->resume && handle
            ? tool_log_continue(run->o->log_path, (long long)handle->epochs_done(handle->model),
                                &run->report.log)
            : tool_log_open(run->o->log_path, &run->report.log))
        return 1;
    if (handle && run->o->checkpoint_every > 0) {
        run->options.checkpoint_every = run->o->checkpoint_every;
        run->options.checkpoint = write_periodic_checkpoint;
        run->options.checkpoint_user = run;
    }
    run->report.progress = tool_progress_wanted(run->o->quiet);
    run->report.epochs =
        run->options.optimizer == SCIML_OPTIMIZER_LBFGS ? run->o->iterations : run->o->epochs;
    run->report.started = tool_seconds();
    run->report.last_loss = NAN;
    run->report.last_test_error = NAN;
    run->report.last_test_loss = NAN;
    run->options.report = train_run_report;
    run->options.report_user = &run->report;
    tool_catch_interrupts(run->ctx);
    return 0;
}

sciml_model_provenance train_run_provenance(const training_run *run) {
    sciml_model_provenance provenance = {
        .input_variable = run->x.name,
        .output_variable = run->y.name,
        .command = run->command,
        .source_checksum = run->checksum[0] ? run->checksum : NULL,
        .seed = run->o->seed,
    };
    return provenance;
}

/* After training: a checkpoint on interruption or divergence, else the model; the summary. */
int train_run_finish(training_run *run, sciml_status status) {
    sciml_ctx *ctx = run->ctx;
    const model_handle *handle = &run->handle;
    const train_options *o = run->o;
    tool_progress_done();
    sciml_model_provenance provenance = train_run_provenance(run);
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
void train_run_warn_resume(const train_options *o, int is_checkpoint) {
    if (!is_checkpoint)
        tool_warning("%s is a model, not a checkpoint: training continues from its "
                     "weights with a fresh optimizer",
                     o->resume);
    if (o->architecture_given)
        tool_warning("architecture options are ignored with --resume: the architecture "
                     "comes from %s",
                     o->resume);
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
