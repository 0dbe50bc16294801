/* sciml-train pinn: train a physics-informed neural network on a problem of the PDE library
 * (sciml/pde.h) and write it as a netCDF model file (sciml/pinn_model.h). No data are needed
 * for a forward problem; --data FILE adds observations (x(point), t(point), u(point)), and
 * --unknown NAME learns that coefficient from them (inverse problem). Ctrl-C, SIGTERM or a
 * divergence writes a checkpoint (the model, Adam's state and the position in the schedule),
 * --checkpoint-every N also every N Adam steps (and L-BFGS iterations), and --resume FILE
 * continues it with the command that made it: bit for bit within the Adam steps. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pinn_io.h"
#include "sciml/pinn_model.h"
#include "tool.h"
#include "train_pinn.h"

#define MAX_SET 8

typedef struct pinn_options {
    const char *pde_name, *unknown, *data_path, *model_path, *checkpoint_path, *log_path;
    const char *resume_path;
    int64_t checkpoint_every; /* Adam steps (L-BFGS iterations) between checkpoints, 0: none */
    const char *set_names[MAX_SET];
    double set_values[MAX_SET];
    int set_count;
    const char *hidden_text, *activation_text, *sampling_text;
    int64_t interior, boundary, initial; /* -1: default */
    double weight_residual, weight_boundary, weight_initial, weight_data;
    int64_t iterations, lbfgs_iterations;
    int rar_rounds;
    int64_t fourier_features;
    double fourier_sigma;
    int64_t rar_candidates, rar_add, rar_steps;
    double lr;
    uint64_t seed;
    int threads, quiet, hard_bc;
    char *default_checkpoint;
} pinn_options;

static void usage(FILE *out) {
    fprintf(out,
            "Usage: sciml-train pinn --pde NAME -o MODEL [OPTIONS]\n"
            "Train a physics-informed neural network u(x[, t]) on a PDE of the library and write\n"
            "it as a netCDF model file (evaluate it with sciml-pinn).\n"
            "\n"
            "Problem:\n"
            "  --pde NAME            %s (required)\n"
            "  --nu X, --k X, --alpha X, --c X, --d X, --re X\n"
            "                        set a coefficient of the PDE [the PDE's default]\n"
            "  --unknown NAME        learn this coefficient from --data (inverse problem); its\n"
            "                        value (default or given) is the starting guess\n"
            "  --data FILE           observations: variables named after the inputs and u over\n"
            "                        one point dimension (sciml-gen burgers-ref --points)\n"
            "Points and loss:\n"
            "  --interior N          collocation points [2540]\n"
            "  --boundary N          points of each condition in space [40 per face]\n"
            "  --initial N           points of each condition at the initial time [160]\n"
            "  --sampling NAME       uniform, lhs, sobol or grid [sobol]\n"
            "  --weight-residual X, --weight-boundary X, --weight-initial X, --weight-data X\n"
            "                        loss weights [1]\n"
            "  --hard-bc             meet the Dirichlet and initial conditions exactly through an\n"
            "                        output transform u = A + D N (lift A, distance factor D;\n"
            "                        burgers: u = -sin(pi x) + t (1 - x^2) N) and drop their loss\n"
            "                        terms; for burgers, poisson1d, poisson2d, heat1d, wave1d,\n"
            "                        helmholtz2d and diffusion-reaction\n"
            "  --rar-rounds N        residual-based refinement rounds after the Adam steps [0]\n"
            "  --rar-candidates N    uniform candidate points per round [100000]\n"
            "  --rar-add N           points with the largest residual added per round [10]\n"
            "  --rar-steps N         Adam steps after each round [1000]\n"
            "Network:\n"
            "  --hidden LIST         hidden widths [20,20,20]\n"
            "  --activation NAME     tanh or sin [tanh]\n"
            "  --fourier-features N  random Fourier-feature input embedding of N frequencies\n"
            "                        [0: off]\n"
            "  --fourier-sigma X     standard deviation of the frequencies [1]\n"
            "Training:\n"
            "  --iterations N        Adam steps [15000]\n"
            "  --lr X                Adam learning rate [0.001]\n"
            "  --lbfgs-iterations N  L-BFGS iterations after Adam [5000]\n"
            "  --seed N              seed of the initial weights and the points [0]\n"
            "  --threads N           BLAS threads [1]\n"
            "Output:\n"
            "  -o, --model FILE      model file to write, '-' for standard output (required)\n"
            "  --checkpoint FILE     where Ctrl-C, SIGTERM or divergence saves a checkpoint (the\n"
            "                        model, Adam's state, the refinement points and the position)\n"
            "                        [MODEL.ckpt, or sciml-train.ckpt when MODEL is '-']\n"
            "  --checkpoint-every N  also write it every N Adam steps and every N L-BFGS\n"
            "                        iterations, each replacing the last whole, so a killed run\n"
            "                        loses at most N [0: never]\n"
            "  --resume FILE         continue from a checkpoint; give the command that made it\n"
            "                        (problem, network, points, seed, schedule must match;\n"
            "                        --lr may differ). Adam steps continue bit for bit, L-BFGS\n"
            "                        restarts from the checkpoint's iterate for the iterations\n"
            "                        left. A model file: a warm start from its weights\n"
            "  --log FILE            one JSON object per 100 iterations and a final one (with\n"
            "                        --resume: continued after the checkpoint's iteration)\n"
            "  -q, --quiet           no progress or summary on stderr\n"
            "  -h, --help            show this help and exit\n",
            sciml_pde_names());
}

static const char *const coefficient_options[] = {"--nu", "--k", "--alpha", "--c", "--d", "--re"};

static int parse(int argc, char **argv, pinn_options *o) {
    tool_usage errors = {0};
    memset(o, 0, sizeof *o);
    o->interior = o->boundary = o->initial = -1;
    o->weight_residual = o->weight_boundary = o->weight_initial = o->weight_data = 1;
    o->iterations = 15000;
    o->lbfgs_iterations = 5000;
    o->lr = 1e-3;
    o->threads = 1;
    o->rar_candidates = 100000;
    o->rar_add = 10;
    o->rar_steps = 1000;
    o->fourier_sigma = 1.0;
    o->hidden_text = "20,20,20";
    o->activation_text = "tanh";
    o->sampling_text = "sobol";
    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i], *v = NULL;
        int matched = 0;
        for (size_t k = 0; k < sizeof coefficient_options / sizeof *coefficient_options; k++)
            if (tool_option(argc, argv, &i, coefficient_options[k], &v, &errors)) {
                matched = 1;
                if (o->set_count < MAX_SET && v) {
                    o->set_names[o->set_count] = coefficient_options[k] + 2;
                    tool_parse_double(&errors, coefficient_options[k], v, -1e12, 1e12,
                                      &o->set_values[o->set_count]);
                    o->set_count++;
                }
                break;
            }
        if (matched)
            continue;
        if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
            usage(stdout);
            exit(TOOL_EXIT_OK);
        } else if (tool_option(argc, argv, &i, "--pde", &v, &errors)) {
            o->pde_name = v;
        } else if (tool_option(argc, argv, &i, "--unknown", &v, &errors)) {
            o->unknown = v;
        } else if (tool_option(argc, argv, &i, "--data", &v, &errors)) {
            o->data_path = v;
        } else if (tool_option(argc, argv, &i, "--interior", &v, &errors)) {
            tool_parse_int64(&errors, "--interior", v, 1, INT64_C(1) << 26, &o->interior);
        } else if (tool_option(argc, argv, &i, "--boundary", &v, &errors)) {
            tool_parse_int64(&errors, "--boundary", v, 1, INT64_C(1) << 24, &o->boundary);
        } else if (tool_option(argc, argv, &i, "--initial", &v, &errors)) {
            tool_parse_int64(&errors, "--initial", v, 1, INT64_C(1) << 24, &o->initial);
        } else if (tool_option(argc, argv, &i, "--sampling", &v, &errors)) {
            o->sampling_text = v;
        } else if (tool_option(argc, argv, &i, "--weight-residual", &v, &errors)) {
            tool_parse_double(&errors, "--weight-residual", v, 0, 1e12, &o->weight_residual);
        } else if (tool_option(argc, argv, &i, "--weight-boundary", &v, &errors)) {
            tool_parse_double(&errors, "--weight-boundary", v, 0, 1e12, &o->weight_boundary);
        } else if (tool_option(argc, argv, &i, "--weight-initial", &v, &errors)) {
            tool_parse_double(&errors, "--weight-initial", v, 0, 1e12, &o->weight_initial);
        } else if (tool_option(argc, argv, &i, "--weight-data", &v, &errors)) {
            tool_parse_double(&errors, "--weight-data", v, 0, 1e12, &o->weight_data);
        } else if (tool_option(argc, argv, &i, "--rar-rounds", &v, &errors)) {
            tool_parse_int(&errors, "--rar-rounds", v, 0, 10000, &o->rar_rounds);
        } else if (tool_option(argc, argv, &i, "--rar-candidates", &v, &errors)) {
            tool_parse_int64(&errors, "--rar-candidates", v, 1, INT64_C(1) << 24,
                             &o->rar_candidates);
        } else if (tool_option(argc, argv, &i, "--rar-add", &v, &errors)) {
            tool_parse_int64(&errors, "--rar-add", v, 1, INT64_C(1) << 24, &o->rar_add);
        } else if (tool_option(argc, argv, &i, "--rar-steps", &v, &errors)) {
            tool_parse_int64(&errors, "--rar-steps", v, 0, INT64_C(1) << 40, &o->rar_steps);
        } else if (tool_option(argc, argv, &i, "--fourier-features", &v, &errors)) {
            tool_parse_int64(&errors, "--fourier-features", v, 0, 4096, &o->fourier_features);
        } else if (tool_option(argc, argv, &i, "--fourier-sigma", &v, &errors)) {
            tool_parse_double(&errors, "--fourier-sigma", v, 1e-9, 1e9, &o->fourier_sigma);
        } else if (tool_option(argc, argv, &i, "--hidden", &v, &errors)) {
            o->hidden_text = v;
        } else if (tool_option(argc, argv, &i, "--activation", &v, &errors)) {
            o->activation_text = v;
        } else if (tool_option(argc, argv, &i, "--iterations", &v, &errors)) {
            tool_parse_int64(&errors, "--iterations", v, 0, INT64_C(1) << 40, &o->iterations);
        } else if (tool_option(argc, argv, &i, "--lbfgs-iterations", &v, &errors)) {
            tool_parse_int64(&errors, "--lbfgs-iterations", v, 0, INT64_C(1) << 40,
                             &o->lbfgs_iterations);
        } else if (tool_option(argc, argv, &i, "--lr", &v, &errors)) {
            tool_parse_double(&errors, "--lr", v, 1e-12, 1e3, &o->lr);
        } else if (tool_option(argc, argv, &i, "--seed", &v, &errors)) {
            tool_parse_seed(&errors, "--seed", v, &o->seed);
        } else if (tool_option(argc, argv, &i, "--threads", &v, &errors)) {
            tool_parse_int(&errors, "--threads", v, 1, 1024, &o->threads);
        } else if (tool_option(argc, argv, &i, "--model", &v, &errors) ||
                   tool_option(argc, argv, &i, "-o", &v, &errors)) {
            o->model_path = v;
        } else if (tool_option(argc, argv, &i, "--checkpoint", &v, &errors)) {
            o->checkpoint_path = v;
        } else if (tool_option(argc, argv, &i, "--checkpoint-every", &v, &errors)) {
            tool_parse_int64(&errors, "--checkpoint-every", v, 0, INT64_C(1) << 40,
                             &o->checkpoint_every);
        } else if (tool_option(argc, argv, &i, "--resume", &v, &errors)) {
            o->resume_path = v;
        } else if (tool_option(argc, argv, &i, "--log", &v, &errors)) {
            o->log_path = v;
        } else if (!strcmp(arg, "--hard-bc")) {
            o->hard_bc = 1;
        } else if (!strcmp(arg, "-q") || !strcmp(arg, "--quiet")) {
            o->quiet = 1;
        } else {
            tool_usage_error(&errors, "unknown option '%s' for mode pinn", arg);
        }
    }
    if (!o->pde_name)
        tool_usage_error(&errors, "--pde NAME is required (%s)", sciml_pde_names());
    if (!o->model_path)
        tool_usage_error(&errors, "-o MODEL is required");
    if (o->unknown && !o->data_path)
        tool_usage_error(&errors, "--unknown %s needs observations: --data FILE", o->unknown);
    if (o->set_count >= MAX_SET)
        tool_usage_error(&errors, "too many coefficient options");
    const tool_named_file data[] = {{"--data", o->data_path}};
    tool_usage_training_files(&errors, o->model_path, o->checkpoint_path, o->log_path,
                              o->resume_path, data, 1);
    return tool_usage_finish(&errors);
}

typedef struct progress_state {
    const pinn_options *o;
    const sciml_pde *pde;
    FILE *log;
    int show;
    int unknown; /* coefficient index or -1 */
} progress_state;

static int on_progress(void *user, const sciml_pinn_progress *p) {
    progress_state *s = user;
    if (s->show) {
        if (isfinite(p->unknown_value))
            tool_progress("%s %lld: loss %.4e, %s %.6g", p->phase, (long long)p->iteration, p->loss,
                          s->pde->coefficient_names[s->unknown], p->unknown_value);
        else
            tool_progress("%s %lld: loss %.4e (residual %.3e)", p->phase, (long long)p->iteration,
                          p->loss, p->residual);
    }
    if (s->log) {
        fprintf(s->log,
                "{\"phase\": \"%s\", \"iteration\": %lld, \"loss\": %.9g, \"residual\": %.9g",
                p->phase, (long long)p->iteration, p->loss, p->residual);
        for (int c = 0; c < s->pde->condition_count; c++)
            if (isfinite(p->conditions[c])) /* NaN: met exactly (--hard-bc) */
                fprintf(s->log, ", \"%s\": %.9g", s->pde->conditions[c].name, p->conditions[c]);
        if (isfinite(p->observations))
            fprintf(s->log, ", \"data\": %.9g", p->observations);
        if (isfinite(p->unknown_value))
            fprintf(s->log, ", \"unknown\": %.9g", p->unknown_value);
        fprintf(s->log, "}\n");
        fflush(s->log);
    }
    return 0;
}

/* The log lines a resumed run keeps: {"phase": "adam"|"lbfgs", "iteration": N, ...} up to the
 * checkpoint's position (the later ones run again). */
static int keep_log_line(const char *line, void *user) {
    const sciml_pinn_position *position = user;
    char phase[8];
    long long iteration;
    if (sscanf(line, "{\"phase\": \"%7[a-z]\", \"iteration\": %lld,", phase, &iteration) != 2)
        return 0;
    return (!strcmp(phase, "adam") && iteration <= position->adam_steps) ||
           (!strcmp(phase, "lbfgs") && iteration <= position->lbfgs_iterations);
}

typedef struct periodic_state {
    sciml_pinn *model;
    const char *path;
    const sciml_model_provenance *provenance;
    sciml_ctx *ctx;
    int failed; /* warned once */
} periodic_state;

/* A sciml_train_checkpoint_fn: the checkpoint through the atomic writer (a run killed while
 * writing keeps the one before); a failed write is one warning and training goes on. */
static sciml_status write_periodic_checkpoint(void *user) {
    periodic_state *p = user;
    return tool_periodic_checkpoint_written(
        sciml_pinn_write_checkpoint(p->model, p->path, p->provenance), p->path, p->ctx, &p->failed);
}

/* Relative L2 error of each output against the exact or reference solution on the standard
 * grid (256 points per space axis, 100 times; Burgers t in [0, 0.99]) into errors; returns 0,
 * or -1 when there is none. */
static int solution_error(sciml_ctx *ctx, sciml_pinn *model, double *errors) {
    const sciml_pde *pde = sciml_pinn_get_pde(model);
    if (!pde->has_solution)
        return -1;
    int64_t size[3];
    double lower[3], upper[3];
    for (int a = 0; a < pde->input_count; a++) {
        size[a] = a == pde->time_axis ? 100 : 256;
        lower[a] = pde->lower[a];
        upper[a] = pde->upper[a];
    }
    if (!strcmp(pde->name, "burgers"))
        upper[1] = 0.99;
    pinn_grid grid;
    if (pinn_grid_make(ctx, pde->input_count, pde->input_names, size, lower, upper, &grid))
        return -1;
    double *points = pinn_grid_points(&grid);
    int result = 0;
    if (!points || sciml_pinn_solution_error(model, pinn_grid_count(&grid), points, errors))
        result = -1;
    free(points);
    pinn_grid_free(&grid);
    return result;
}

static int run(sciml_ctx *ctx, const void *options, const char *command) {
    const pinn_options *o = options;
    sciml_pinn *model = NULL;
    double *points = NULL, *values = NULL;
    FILE *log = NULL;
    int exit_code = TOOL_EXIT_FAILURE;
    sciml_pde pde;
    sciml_pinn_config config;
    if (sciml_pde_init(ctx, o->pde_name, &pde))
        return tool_fail(ctx);
    for (int k = 0; k < o->set_count; k++)
        if (sciml_pde_set_coefficient(ctx, &pde, o->set_names[k], o->set_values[k]))
            return tool_fail(ctx);
    sciml_pinn_config_default(&config, &pde);
    if (sciml_parse_hidden(ctx, o->hidden_text, config.hidden, SCIML_PINN_MAX_HIDDEN,
                           &config.hidden_count) ||
        sciml_sampling_parse(ctx, o->sampling_text, &config.sampling))
        return tool_fail(ctx);
    if (sciml_activation_parse(o->activation_text, &config.activation) ||
        (config.activation != SCIML_ACT_TANH && config.activation != SCIML_ACT_SIN)) {
        tool_error("--activation '%s': expected tanh or sin", o->activation_text);
        return TOOL_EXIT_FAILURE;
    }
    if (o->unknown) {
        config.unknown = sciml_pde_coefficient_index(&pde, o->unknown);
        if (config.unknown < 0) {
            sciml_pde_set_coefficient(ctx, &pde, o->unknown, 1.0); /* for its message */
            return tool_fail(ctx);
        }
    }
    if (o->interior > 0)
        config.interior_count = o->interior;
    config.residual_weight = o->weight_residual;
    config.observation_weight = o->weight_data;
    for (int c = 0; c < pde.condition_count; c++) {
        int on_time = pde.time_axis >= 0 && pde.conditions[c].face_axis[0] == pde.time_axis;
        int64_t n = on_time ? o->initial : o->boundary;
        if (n > 0)
            config.condition_counts[c] = n;
        config.condition_weights[c] = on_time ? o->weight_initial : o->weight_boundary;
    }
    config.adam_iterations = o->iterations;
    config.lbfgs_iterations = o->lbfgs_iterations;
    config.learning_rate = o->lr;
    config.rar_rounds = o->rar_rounds;
    config.rar_candidates = o->rar_candidates;
    config.rar_add = o->rar_add;
    config.rar_steps = o->rar_steps;
    config.fourier_features = o->fourier_features;
    config.fourier_sigma = o->fourier_sigma;
    config.seed = o->seed;
    config.hard_constraints = o->hard_bc;
    if (sciml_ctx_set_threads(ctx, o->threads) || sciml_pinn_create(ctx, &config, &model))
        return tool_fail(ctx);
    if (o->data_path) {
        int64_t count = 0;
        if (pinn_points_read(ctx, o->data_path, pde.input_count, pde.input_names, "u", &count,
                             &points, &values) ||
            sciml_pinn_set_observations(model, count, points, values)) {
            exit_code = tool_fail(ctx);
            goto done;
        }
    }
    sciml_pinn_position position = {0, 0, 0};
    if (o->resume_path) {
        int is_checkpoint = 0;
        if (sciml_pinn_resume(model, o->resume_path, &is_checkpoint)) {
            exit_code = tool_fail(ctx);
            goto done;
        }
        if (!is_checkpoint)
            tool_warning("%s is a model, not a checkpoint: training starts from its weights with "
                         "a fresh optimizer and runs the whole schedule",
                         o->resume_path);
        sciml_pinn_get_position(model, &position);
    }
    if (o->resume_path ? tool_log_continue_lines(o->log_path, keep_log_line, &position, &log)
                       : tool_log_open(o->log_path, &log))
        goto done;
    const char *checkpoint = o->checkpoint_path ? o->checkpoint_path : o->default_checkpoint;
    sciml_model_provenance provenance = {NULL, NULL, command, NULL, o->seed};
    periodic_state periodic = {model, checkpoint, &provenance, ctx, 0};
    if (o->checkpoint_every > 0)
        sciml_pinn_set_checkpoint(model, o->checkpoint_every, write_periodic_checkpoint, &periodic);
    progress_state state = {o, sciml_pinn_get_pde(model), log, tool_progress_wanted(o->quiet),
                            config.unknown};
    sciml_status status = sciml_pinn_train(model, on_progress, &state, 100);
    if (state.show)
        tool_progress_done();
    if (status == SCIML_ERR_NONFINITE || status == SCIML_ERR_INTERRUPTED) {
        /* the position reached (after a divergence: the last finite parameters) */
        char message[1024];
        snprintf(message, sizeof message, "%s", sciml_ctx_message(ctx));
        sciml_ctx_clear_error(ctx);
        sciml_ctx_clear_interrupt(ctx);
        if (sciml_pinn_write_checkpoint(model, checkpoint, &provenance))
            tool_error("%s; writing the checkpoint failed too: %s", message,
                       sciml_ctx_message(ctx));
        else
            tool_error("%s; checkpoint written to %s (continue with --resume %s)", message,
                       checkpoint, checkpoint);
        goto done;
    }
    if (status) {
        exit_code = tool_fail(ctx);
        goto done;
    }
    if (sciml_pinn_write(model, o->model_path, &provenance)) {
        exit_code = tool_fail(ctx);
        goto done;
    }
    sciml_pinn_progress last;
    sciml_pinn_last_progress(model, &last);
    const sciml_pde *final = sciml_pinn_get_pde(model);
    double errors[SCIML_PDE_MAX_OUTPUTS];
    const int have_errors = config.unknown < 0 && solution_error(ctx, model, errors) == 0;
    if (log) { /* the final line: what a parameter study collects */
        fprintf(log,
                "{\"phase\": \"final\", \"adam_steps\": %lld, \"lbfgs_iterations\": %lld, "
                "\"loss\": %.9g, \"residual\": %.9g",
                (long long)last.adam_steps, (long long)last.lbfgs_iterations, last.loss,
                last.residual);
        for (int c = 0; c < final->condition_count; c++)
            if (isfinite(last.conditions[c]))
                fprintf(log, ", \"%s\": %.9g", final->conditions[c].name, last.conditions[c]);
        if (config.unknown >= 0)
            fprintf(log, ", \"%s\": %.9g", final->coefficient_names[config.unknown],
                    final->coefficients[config.unknown]);
        for (int c = 0; have_errors && c < final->output_count; c++)
            fprintf(log, ", \"rel_l2%s%s\": %.9g", final->output_count > 1 ? "_" : "",
                    final->output_count > 1 ? final->output_names[c] : "", errors[c]);
        fprintf(log, "}\n");
    }
    if (!o->quiet) {
        fprintf(stderr, "%s: pinn %s: loss %.4e (residual %.3e", tool_name(), final->name,
                last.loss, last.residual);
        for (int c = 0; c < final->condition_count; c++)
            if (isfinite(last.conditions[c]))
                fprintf(stderr, ", %s %.3e", final->conditions[c].name, last.conditions[c]);
            else
                fprintf(stderr, ", %s exact", final->conditions[c].name);
        if (isfinite(last.observations))
            fprintf(stderr, ", data %.3e", last.observations);
        fprintf(stderr, ")\n");
        fprintf(
            stderr,
            "%s: Adam %lld steps in %.2f s (%.3f ms/step), L-BFGS %lld iterations, %lld "
            "evaluations in %.2f s (%.3f ms/iteration)\n",
            tool_name(), (long long)last.adam_steps, last.adam_seconds,
            last.adam_steps ? 1e3 * last.adam_seconds / (double)last.adam_steps : 0.0,
            (long long)last.lbfgs_iterations, (long long)last.lbfgs_evaluations, last.lbfgs_seconds,
            last.lbfgs_iterations ? 1e3 * last.lbfgs_seconds / (double)last.lbfgs_iterations : 0.0);
        if (config.unknown >= 0)
            fprintf(stderr, "%s: learned %s = %.8g\n", tool_name(),
                    final->coefficient_names[config.unknown], final->coefficients[config.unknown]);
        if (have_errors)
            for (int c = 0; c < final->output_count; c++)
                fprintf(stderr, "%s: relative L2 error%s%s%s against the %s solution: %.4e\n",
                        tool_name(), final->output_count > 1 ? " of " : "",
                        final->output_count > 1 ? final->output_names[c] : "",
                        (final->up_to_constant >> c) & 1u ? " (mean-free)" : "",
                        strcmp(final->name, "burgers") ? "exact" : "Cole-Hopf reference",
                        errors[c]);
    }
    exit_code = TOOL_EXIT_OK;
done:
    tool_log_close(&log);
    free(points);
    free(values);
    sciml_pinn_destroy(&model);
    return exit_code;
}

int train_pinn_main(int argc, char **argv) {
    pinn_options o;
    int usage_status = parse(argc, argv, &o);
    if (usage_status)
        return usage_status;
    size_t length = strlen(o.model_path);
    o.default_checkpoint = malloc(length + 6);
    if (!o.default_checkpoint)
        return TOOL_EXIT_FAILURE;
    snprintf(o.default_checkpoint, length + 6, "%s.ckpt",
             strcmp(o.model_path, "-") ? o.model_path : "sciml-train");
    int exit_code = tool_run(argc, argv, run, &o);
    free(o.default_checkpoint);
    return exit_code;
}
