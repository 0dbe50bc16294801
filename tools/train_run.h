/* sciml-train's shared driver: the parsed options, the state of a training run (data,
 * provenance, log and progress) and the steps every mode takes (read the data, start, finish
 * with a model or a checkpoint). sciml-train.c parses the options and dispatches; each mode
 * lives in train_<mode>.c (pinn, with options of its own, in train_pinn.c). */
#ifndef SCIML_TOOLS_TRAIN_RUN_H
#define SCIML_TOOLS_TRAIN_RUN_H

#include <stdint.h>
#include <stdio.h>

#include "sciml/dataset.h"
#include "sciml/train.h"

typedef struct train_options {
    const char *mode;
    const char *data, *test, *input, *output_variable;
    const char *model_path, *checkpoint_path, *resume, *log_path;
    int64_t checkpoint_every; /* epochs (node: iterations) between checkpoints, 0: none */
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
    int64_t max_steps;
    int epochs_given, batch_given, lr_given, activation_given;
} train_options;

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

/* What the shared driver needs of a model, whatever its kind. */
typedef struct model_handle {
    void *model;
    sciml_status (*write)(void *model, const char *path, const sciml_model_provenance *p,
                          int checkpoint);
    int64_t (*epochs_done)(const void *model);
    int64_t (*parameter_count)(const void *model);
} model_handle;

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
    model_handle handle;   /* the model being trained (model NULL: none, as for pi3nn) */
    int checkpoint_failed; /* a periodic checkpoint could not be written (warned once) */
} training_run;

/* The progress line and the JSON log line of one report (a sciml_train_report_fn; user is
 * the run's report_state). */
int train_run_report(void *user, const sciml_train_report *report);
/* Reads the training (and test) data, defaulting the names to those a resumed model stored;
 * 0, or 1 after printing an error. */
int train_run_read_data(training_run *run);
/* What a model file records of the run: variable names, command line, data checksum, seed. */
sciml_model_provenance train_run_provenance(const training_run *run);
/* Log, progress and Ctrl-C handling just before the first step, and with --checkpoint-every
 * the periodic checkpoints of the model in handle (NULL: a model without checkpoints) through
 * run->options; 0 or 1. */
int train_run_start(training_run *run, const model_handle *handle);
/* After training: a checkpoint on interruption, divergence or a solver failure, else the
 * model; the summary line. Returns the exit status. */
int train_run_finish(training_run *run, sciml_status status);
/* Warnings for --resume from a plain model or with architecture options. */
void train_run_warn_resume(const train_options *o, int is_checkpoint);

/* The modes: each returns the exit status. */
int train_mlp(training_run *run);
int train_fno(training_run *run);
int train_pi3nn(training_run *run);
int train_deeponet(training_run *run);
int train_node(training_run *run);

#endif /* SCIML_TOOLS_TRAIN_RUN_H */
