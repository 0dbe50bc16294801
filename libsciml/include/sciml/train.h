/* libsciml models: training options and progress reports shared by every model's train
 * function, so `sciml-train` flags mean the same in every mode (DESIGN.md). */
#ifndef SCIML_TRAIN_H
#define SCIML_TRAIN_H

#include "sciml/core.h"
#include "sciml/optim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a model reports after every epoch (or every `report_every` optimizer steps for
 * full-batch methods). */
typedef struct sciml_train_report {
    int64_t epoch;     /* 1-based count of completed epochs */
    int64_t step;      /* optimizer steps so far */
    double train_loss; /* mean training loss over the epoch (normalised units) */
    double test_loss;  /* loss on the test set, NaN when none is given */
    double test_error; /* relative L2 error on the test set (physical units), NaN if none */
    double lr;         /* learning rate used in this epoch */
    double seconds;    /* wall time of this epoch */
} sciml_train_report;

/* Called after each epoch; return non-zero to stop training early (not an error). */
typedef int (*sciml_train_report_fn)(void *user, const sciml_train_report *report);

/* Called every `checkpoint_every` epochs (node training: iterations) except after the last,
 * with the model's training state complete (optimizer moments, sampler, place in the
 * schedule), so that the model written as a checkpoint then continues bit for bit. A status
 * other than SCIML_OK stops training with that status (the callback decides whether a failed
 * write is worth stopping for). */
typedef sciml_status (*sciml_train_checkpoint_fn)(void *user);

typedef struct sciml_train_options {
    int64_t epochs;                 /* passes over the training data */
    int64_t batch;                  /* samples per optimizer step */
    sciml_optimizer_kind optimizer; /* adam, adamw or lbfgs */
    double weight_decay;            /* L2 (adam) or decoupled (adamw) */
    sciml_schedule schedule;        /* learning rate per epoch (base lr inside) */
    int64_t lbfgs_iterations;       /* lbfgs: maximum iterations (full batch) */
    uint64_t seed;                  /* initialisation and shuffling */
    sciml_train_report_fn report;   /* may be NULL */
    void *report_user;
    int64_t checkpoint_every;             /* epochs between checkpoints, 0: none (Adam only) */
    sciml_train_checkpoint_fn checkpoint; /* may be NULL */
    void *checkpoint_user;
} sciml_train_options;

/* Metadata stored with a model (strings copied at write time; any may be NULL). */
typedef struct sciml_model_provenance {
    const char *input_variable; /* data variable names, used as defaults when predicting */
    const char *output_variable;
    const char *command;         /* the training command line (goes into history) */
    const char *source_checksum; /* checksum of the training data file */
    uint64_t seed;
} sciml_model_provenance;

/* Defaults: 100 epochs, batch 32, Adam, no weight decay, constant lr 1e-3, seed 0. */
void sciml_train_options_default(sciml_train_options *options);

#ifdef __cplusplus
}
#endif
#endif /* SCIML_TRAIN_H */
