/* sciml-train: train a model on a netCDF data set and write it as a netCDF model file.
 *
 *   sciml-train MODE --data FILE [--test FILE] [training options] [architecture] -o MODEL
 *
 * Modes: mlp (supervised regression). Training flags mean the same in every mode (DESIGN.md);
 * option parsing collects every usage error before failing. Ctrl-C finishes the current step,
 * writes a checkpoint and exits; --resume CHECKPOINT continues bit for bit. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sciml/dataset.h"
#include "sciml/mlp_model.h"
#include "sciml/nn.h"
#include "tool.h"

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
    int architecture_given;
} train_options;

static void usage(FILE *out) {
    fprintf(out,
            "Usage: sciml-train MODE --data FILE -o MODEL [OPTIONS]\n"
            "Train a model on a netCDF data set (sample = record dimension) and write it as a\n"
            "netCDF model file.\n"
            "\n"
            "Modes:\n"
            "  mlp   supervised regression y = MLP(x) with standardised inputs and outputs\n"
            "\n"
            "Data:\n"
            "  --data FILE           training data, '-' for standard input (required)\n"
            "  --test FILE           held-out data, evaluated after every epoch (L-BFGS: iteration)\n"
            "  --input NAME          input variable [the one with sciml_role = \"input\"]\n"
            "  --output NAME         output variable [the one with sciml_role = \"output\"]\n"
            "Training:\n"
            "  --epochs N            passes over the data (adam, adamw) [100]\n"
            "  --iterations N        L-BFGS iterations, full batch (--optimizer lbfgs) [1000]\n"
            "  --batch N             samples per step (adam, adamw) [32]\n"
            "  --lr X                learning rate [0.001]\n"
            "  --optimizer NAME      adam, adamw or lbfgs [adam]\n"
            "  --weight-decay X      L2 (adam) or decoupled (adamw) weight decay [0, adamw 0.01]\n"
            "  --schedule NAME       constant, step or cosine, per epoch [constant]\n"
            "  --step-size N         step schedule: epochs between decays [50]\n"
            "  --gamma X             step schedule: decay factor [0.5]\n"
            "  --min-lr X            cosine schedule: final learning rate [0]\n"
            "  --warmup N            epochs of linear warm-up [0]\n"
            "  --seed N              initialisation and shuffling seed [0]\n"
            "  --threads N           BLAS threads [1]\n"
            "Architecture (mlp):\n"
            "  --hidden LIST         hidden layer widths [64,64,64]\n"
            "  --activation NAME     tanh, relu, gelu, sigmoid, softplus, sin, identity [tanh]\n"
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
        if (strcmp(o->mode, "mlp"))
            tool_usage_error(&usage_errors, "unknown mode '%s': expected mlp", o->mode);
    } else {
        tool_usage_error(&usage_errors, "missing MODE (mlp)");
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
            tool_parse_int64(&usage_errors, "--epochs", v, 0, INT64_C(1) << 40, &o->epochs);
        } else if (tool_option(argc, argv, &i, "--iterations", &v, &usage_errors)) {
            tool_parse_int64(&usage_errors, "--iterations", v, 0, INT64_C(1) << 40,
                             &o->iterations);
        } else if (tool_option(argc, argv, &i, "--batch", &v, &usage_errors)) {
            tool_parse_int64(&usage_errors, "--batch", v, 1, INT64_C(1) << 30, &o->batch);
        } else if (tool_option(argc, argv, &i, "--lr", &v, &usage_errors)) {
            tool_parse_double(&usage_errors, "--lr", v, 1e-300, 1e6, &o->lr);
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
        } else if (tool_option(argc, argv, &i, "--hidden", &v, &usage_errors)) {
            o->hidden = v;
            o->architecture_given = 1;
        } else if (tool_option(argc, argv, &i, "--activation", &v, &usage_errors)) {
            o->activation = v;
            o->architecture_given = 1;
        } else if (tool_option(argc, argv, &i, "--model", &v, &usage_errors) ||
                   tool_option(argc, argv, &i, "-o", &v, &usage_errors)) {
            o->model_path = v;
        } else if (tool_option(argc, argv, &i, "--checkpoint", &v, &usage_errors)) {
            o->checkpoint_path = v;
        } else if (tool_option(argc, argv, &i, "--resume", &v, &usage_errors)) {
            o->resume = v;
        } else if (tool_option(argc, argv, &i, "--log", &v, &usage_errors)) {
            o->log_path = v;
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
    s->last_test_error = r->test_error;
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
        double eta = r->epoch > 0 ? elapsed / (double)r->epoch * (double)(s->epochs - r->epoch)
                                  : 0.0;
        if (isfinite(r->test_error))
            tool_progress("%lld/%lld  loss %.4e  test rel L2 %.4e  %.3f s/epoch  ETA %.0f s",
                          (long long)r->epoch, (long long)s->epochs, r->train_loss,
                          r->test_error, r->seconds, eta);
        else
            tool_progress("%lld/%lld  loss %.4e  %.3f s/epoch  ETA %.0f s",
                          (long long)r->epoch, (long long)s->epochs, r->train_loss, r->seconds,
                          eta);
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

static int train_mlp(sciml_ctx *ctx, const train_options *o, int argc, char **argv) {
    sciml_array x = {0}, y = {0}, test_x = {0}, test_y = {0};
    sciml_mlp_model *model = NULL;
    report_state report = {0};
    char *command = tool_command_line(argc, argv);
    char checksum[17] = "";
    char default_checkpoint[4096];
    int exit_code = TOOL_EXIT_FAILURE;
    const char *checkpoint = o->checkpoint_path;
    if (!checkpoint) {
        if (!strcmp(o->model_path, "-"))
            checkpoint = "sciml-train.ckpt";
        else {
            snprintf(default_checkpoint, sizeof(default_checkpoint), "%s.ckpt", o->model_path);
            checkpoint = default_checkpoint;
        }
    }
    sciml_train_options options;
    if (!command || build_train_options(ctx, o, &options)) {
        tool_fail(ctx);
        goto done;
    }
    char *stored_input = NULL, *stored_output = NULL;
    if (o->resume) {
        if (sciml_mlp_model_read(ctx, o->resume, &model, &stored_input, &stored_output)) {
            tool_fail(ctx);
            goto done;
        }
        if (!sciml_mlp_model_is_checkpoint(model))
            tool_warning("%s is a model, not a checkpoint: training continues from its "
                         "weights with a fresh optimizer",
                         o->resume);
        if (o->architecture_given)
            tool_warning("--hidden/--activation are ignored with --resume: the architecture "
                         "comes from %s",
                         o->resume);
    }
    const char *input_name = o->input ? o->input : stored_input;
    const char *output_name = o->output_variable ? o->output_variable : stored_output;
    if (sciml_dataset_read(ctx, o->data, input_name, output_name, &x, &y)) {
        tool_fail(ctx);
        free(stored_input);
        free(stored_output);
        goto done;
    }
    free(stored_input);
    free(stored_output);
    if (o->test && sciml_dataset_read(ctx, o->test, x.name, y.name, &test_x, &test_y)) {
        tool_fail(ctx);
        goto done;
    }
    if (o->test && (test_x.feature_count != x.feature_count ||
                    test_y.feature_count != y.feature_count)) {
        tool_error("%s: '%s' and '%s' have %lld and %lld values per sample, the training data "
                   "%lld and %lld",
                   o->test, x.name, y.name, (long long)test_x.feature_count,
                   (long long)test_y.feature_count, (long long)x.feature_count,
                   (long long)y.feature_count);
        goto done;
    }
    if (strcmp(o->data, "-") && sciml_file_checksum(ctx, o->data, checksum))
        checksum[0] = '\0';
    if (!model) {
        sciml_mlp_model_config config;
        memset(&config, 0, sizeof(config));
        config.input_count = x.feature_count;
        config.output_count = y.feature_count;
        sciml_activation_parse(o->activation, &config.activation);
        if (sciml_parse_hidden(ctx, o->hidden, config.hidden, SCIML_MLP_MAX_HIDDEN,
                               &config.hidden_count) ||
            sciml_mlp_model_create(ctx, &config, o->seed, &model)) {
            tool_fail(ctx);
            goto done;
        }
    } else {
        const sciml_mlp_model_config *config = sciml_mlp_model_get_config(model);
        if (config->input_count != x.feature_count || config->output_count != y.feature_count) {
            tool_error("%s: data has %lld inputs and %lld outputs per sample, the checkpoint "
                       "%s expects %lld and %lld",
                       o->data, (long long)x.feature_count, (long long)y.feature_count,
                       o->resume, (long long)config->input_count,
                       (long long)config->output_count);
            goto done;
        }
    }
    if (tool_log_open(o->log_path, &report.log))
        goto done;
    report.progress = tool_progress_wanted(o->quiet);
    report.epochs = options.optimizer == SCIML_OPTIMIZER_LBFGS ? o->iterations : o->epochs;
    report.started = tool_seconds();
    report.last_loss = NAN;
    report.last_test_error = NAN;
    options.report = on_report;
    options.report_user = &report;
    tool_catch_interrupts(ctx);
    sciml_status status = sciml_mlp_model_train(model, x.values, y.values, x.sample_count,
                                                test_x.values, test_y.values,
                                                test_x.sample_count, &options);
    tool_progress_done();
    sciml_model_provenance provenance = {
        .input_variable = x.name,
        .output_variable = y.name,
        .command = command,
        .source_checksum = checksum[0] ? checksum : NULL,
        .seed = o->seed,
    };
    if (status == SCIML_ERR_INTERRUPTED || status == SCIML_ERR_NONFINITE) {
        char message[1024];
        snprintf(message, sizeof(message), "%s", sciml_ctx_message(ctx));
        sciml_ctx_clear_error(ctx);
        sciml_ctx_clear_interrupt(ctx);
        if (sciml_mlp_model_write(model, checkpoint, &provenance, 1)) {
            tool_error("%s; writing the checkpoint failed too: %s", message,
                       sciml_ctx_message(ctx));
        } else {
            tool_error("%s; checkpoint written to %s (continue with --resume %s)", message,
                       checkpoint, checkpoint);
        }
        goto done;
    }
    if (status) {
        tool_fail(ctx);
        goto done;
    }
    if (sciml_mlp_model_write(model, o->model_path, &provenance, 0)) {
        tool_fail(ctx);
        goto done;
    }
    if (!o->quiet) {
        fprintf(stderr, "%s: %lld %s, %lld parameters, final loss %.4e", tool_name(),
                (long long)sciml_mlp_model_epochs_done(model),
                options.optimizer == SCIML_OPTIMIZER_LBFGS ? "L-BFGS iterations" : "epochs",
                (long long)sciml_mlp_model_parameter_count(model), report.last_loss);
        if (o->test)
            fprintf(stderr, ", test relative L2 %.4e", report.last_test_error);
        fprintf(stderr, ", %.1f s; model written to %s\n", tool_seconds() - report.started,
                o->model_path);
    }
    exit_code = TOOL_EXIT_OK;
done:
    tool_log_close(&report.log);
    sciml_mlp_model_destroy(&model);
    sciml_array_free(&x);
    sciml_array_free(&y);
    sciml_array_free(&test_x);
    sciml_array_free(&test_y);
    free(command);
    return exit_code;
}

int main(int argc, char **argv) {
    tool_set_name("sciml-train");
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
    int exit_code = train_mlp(ctx, &options, argc, argv);
    sciml_ctx_destroy(&ctx);
    return exit_code;
}
