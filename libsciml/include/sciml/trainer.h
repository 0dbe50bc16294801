/* libsciml models: the mini-batch training loop shared by every model, and its resumable
 * position.
 *
 * Each epoch draws a Fisher-Yates permutation of the samples from the state's RNG, gathers
 * the rows of every per-sample table into the graph's inputs batch by batch, runs forward and
 * backward on the loss and takes an Adam/AdamW step with the learning rate the schedule gives
 * for that epoch. The state records where training stands (epochs done, the next batch, the
 * RNG state at the start of the epoch, the optimizer moments and the partial epoch loss), so a
 * run interrupted at any step and resumed from a checkpoint continues bit for bit.
 */
#ifndef SCIML_TRAINER_H
#define SCIML_TRAINER_H

#include "sciml/graph.h"
#include "sciml/netcdf.h"
#include "sciml/train.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sciml_train_state {
    int has_position;           /* 1 after training started or a checkpoint was read */
    int64_t epochs_done;        /* completed epochs */
    int64_t next_batch;         /* batch index within the current epoch */
    double epoch_loss_sum;      /* sum of batch loss * batch size so far in that epoch */
    int64_t epoch_loss_samples; /* samples behind epoch_loss_sum */
    sciml_rng epoch_rng;        /* RNG state at the start of the current epoch */
    int64_t parameter_count;
    double *adam_m, *adam_v; /* (parameter_count) optimizer moments, owned; NULL if none */
    int64_t adam_steps;
    sciml_optimizer_kind optimizer;
} sciml_train_state;

/* A fresh state (no position) whose shuffling RNG is seeded from `seed`. */
void sciml_train_state_init(sciml_train_state *state, uint64_t seed);
void sciml_train_state_free(sciml_train_state *state); /* frees the moments, keeps the rest */

enum { SCIML_TRAIN_MAX_TABLES = 4 };

/* What the loop trains: per-sample tables (row-major (sample_count, row_length), borrowed)
 * gathered into graph inputs (first dimension SCIML_BATCH), a scalar loss, and an optional
 * test-set callback. Inputs that are the same for every sample (a grid) are set once by the
 * model at the largest batch; node memory does not move with the batch size. */
typedef struct sciml_minibatch_problem {
    sciml_graph *graph; /* built for batches up to options->batch */
    sciml_node loss;
    int table_count; /* 1..SCIML_TRAIN_MAX_TABLES */
    sciml_node inputs[SCIML_TRAIN_MAX_TABLES];
    const double *tables[SCIML_TRAIN_MAX_TABLES];
    int64_t sample_count;
    /* 1 when the loss is a mean over the samples (their order only changes round-off): a full
     * batch (options->batch >= sample_count) is then uploaded once in table order instead of
     * gathered in shuffled order every step. 0 (the default) gathers every step. */
    int full_batch_in_order;
    /* Called after each epoch with the current parameters to fill the report's test_loss
     * and test_error; may be NULL. */
    sciml_status (*evaluate)(void *user, const double *params, sciml_train_report *report);
    /* Makes the model hold the current parameters (its own copy, anything derived from them
     * dropped), called before options->checkpoint so that the model written then holds them;
     * may be NULL when the model's parameters are the graph's own. */
    void (*store)(void *user, const double *params);
    void *user; /* of evaluate and store */
} sciml_minibatch_problem;

/* Whether a periodic checkpoint is due after `done` epochs (iterations, steps) of `total`, with
 * one every `every` (< 1: never): at the multiples of `every` before the end, where the
 * model itself is written. The one rule of every training loop that checkpoints. */
int sciml_train_checkpoint_due(int64_t every, int64_t done, int64_t total);

/* Runs epochs until state->epochs_done reaches options->epochs, updating the graph's
 * parameters in place. Returns SCIML_ERR_INTERRUPTED (after the current step, position
 * recorded) when the context's interrupt flag is raised, SCIML_ERR_NONFINITE naming the epoch
 * and step when the loss is NaN/Inf (parameters restored to the end of the last epoch), or an
 * error of the graph or the callbacks. The optimizer moments are kept in the state either way,
 * ready for a checkpoint. */
sciml_status sciml_train_minibatch(sciml_ctx *ctx, const sciml_minibatch_problem *problem,
                                   sciml_train_state *state, const sciml_train_options *options);

/* Checkpoints: the position as global attributes and the moments as variables adam_m, adam_v
 * over a dimension "parameter". define() before end_def, write() after it; read() fills a
 * state from a file written so (SCIML_ERR_FORMAT naming what is missing or inconsistent). */
sciml_status sciml_train_state_define(sciml_nc_writer *writer, const sciml_train_state *state);
sciml_status sciml_train_state_write(sciml_nc_writer *writer, const sciml_train_state *state);
sciml_status sciml_train_state_read(sciml_ctx *ctx, sciml_nc_reader *reader,
                                    int64_t parameter_count, sciml_train_state *state);

#ifdef __cplusplus
}
#endif
#endif /* SCIML_TRAINER_H */
