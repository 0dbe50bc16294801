/* The mini-batch training loop shared by every model and its checkpointed position
 * (sciml/trainer.h). */
#include "sciml/trainer.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sciml/optim.h"

#include "models/model_file.h"

void sciml_train_state_init(sciml_train_state *state, uint64_t seed) {
    memset(state, 0, sizeof(*state));
    sciml_rng_seed(&state->epoch_rng, seed);
}

void sciml_train_state_free(sciml_train_state *state) {
    if (!state)
        return;
    free(state->adam_m);
    free(state->adam_v);
    state->adam_m = state->adam_v = NULL;
}

static double seconds_between(const struct timespec *t0, const struct timespec *t1) {
    return (double)(t1->tv_sec - t0->tv_sec) + 1e-9 * (double)(t1->tv_nsec - t0->tv_nsec);
}

/* Keeps the optimizer's moments in the state (allocating them on first use). */
static void save_moments(sciml_train_state *state, const sciml_adam *adam,
                         sciml_optimizer_kind kind) {
    int64_t n = state->parameter_count;
    if (!state->adam_m)
        state->adam_m = sciml_alloc_array((size_t)n, sizeof(double));
    if (!state->adam_v)
        state->adam_v = sciml_alloc_array((size_t)n, sizeof(double));
    if (state->adam_m && state->adam_v)
        sciml_adam_get_state(adam, &state->adam_steps, state->adam_m, state->adam_v, n);
    state->optimizer = kind;
}

/* The last good position of a run, where a divergence goes back to: the end of the last epoch, or
 * where the run began. Its parameters, its place in the epoch and, with several batches per epoch
 * (whose steps move Adam on before a later one diverges), Adam's state; with one batch, Adam's
 * state at a divergence is still the position's. */
typedef struct good_position {
    double *params;
    double *m, *v; /* Adam's moments, NULL with one batch per epoch */
    int64_t adam_steps;
    int64_t batch; /* > 0: the run began inside the epoch, at this batch */
    double loss_sum;
    int64_t loss_samples;
} good_position;

static void position_free(good_position *position) {
    free(position->params);
    free(position->m);
    free(position->v);
}

static sciml_status position_alloc(sciml_ctx *ctx, int64_t n, int with_adam,
                                   good_position *position) {
    memset(position, 0, sizeof(*position));
    position->params = sciml_alloc_array((size_t)n, sizeof(double));
    if (with_adam) {
        position->m = sciml_alloc_array((size_t)n, sizeof(double));
        position->v = sciml_alloc_array((size_t)n, sizeof(double));
    }
    if (!position->params || (with_adam && (!position->m || !position->v)))
        return sciml_error(ctx, SCIML_ERR_NOMEM, "train: out of memory");
    return SCIML_OK;
}

/* The run's present position becomes the good one. */
static void position_take(good_position *position, const double *params, const sciml_adam *adam,
                          const sciml_train_state *state) {
    const int64_t n = state->parameter_count;
    memcpy(position->params, params, (size_t)n * sizeof(double));
    if (position->m)
        sciml_adam_get_state(adam, &position->adam_steps, position->m, position->v, n);
    position->batch = state->next_batch;
    position->loss_sum = state->epoch_loss_sum;
    position->loss_samples = state->epoch_loss_samples;
}

/* The run goes back to the good position. */
static void position_restore(const good_position *position, double *params, sciml_adam *adam,
                             sciml_train_state *state) {
    const int64_t n = state->parameter_count;
    memcpy(params, position->params, (size_t)n * sizeof(double));
    if (position->m)
        sciml_adam_set_state(adam, position->adam_steps, position->m, position->v, n);
    state->next_batch = position->batch;
    state->epoch_loss_sum = position->loss_sum;
    state->epoch_loss_samples = position->loss_samples;
}

int sciml_train_checkpoint_due(int64_t every, int64_t done, int64_t total) {
    return every > 0 && done % every == 0 && done < total;
}

sciml_status sciml_train_minibatch(sciml_ctx *ctx, const sciml_minibatch_problem *problem,
                                   sciml_train_state *state, const sciml_train_options *options) {
    sciml_graph *g = problem->graph;
    const int64_t count = problem->sample_count;
    const int64_t n_params = sciml_graph_param_count(g);
    if (count < 1 || options->batch < 1 || problem->table_count < 1 ||
        problem->table_count > SCIML_TRAIN_MAX_TABLES)
        return sciml_error(ctx, SCIML_ERR_ARG, "train: %lld samples, batch %lld, %d tables",
                           (long long)count, (long long)options->batch, problem->table_count);
    if (state->adam_m && state->parameter_count != n_params)
        return sciml_error(ctx, SCIML_ERR_SHAPE,
                           "train: the checkpoint holds %lld optimizer moments, the model has "
                           "%lld parameters",
                           (long long)state->parameter_count, (long long)n_params);
    state->parameter_count = n_params;
    const int64_t batch = options->batch < count ? options->batch : count;
    const int64_t batches = (count + batch - 1) / batch;
    sciml_adam *adam = NULL;
    int64_t *index = sciml_alloc_array((size_t)count, sizeof(int64_t));
    good_position good;
    sciml_status status = position_alloc(ctx, n_params, batches > 1, &good);
    if (!status && !index)
        status = sciml_error(ctx, SCIML_ERR_NOMEM, "train: out of memory");
    if (status)
        goto done;
    sciml_adam_options adam_options;
    sciml_adam_options_default(&adam_options, options->optimizer);
    adam_options.weight_decay = options->weight_decay;
    if ((status = sciml_adam_create(ctx, n_params, &adam_options, &adam)))
        goto done;
    if (state->adam_m && state->adam_v && state->optimizer == options->optimizer &&
        (status =
             sciml_adam_set_state(adam, state->adam_steps, state->adam_m, state->adam_v, n_params)))
        goto done;
    double *params = sciml_graph_params(g);
    const double *grads = sciml_graph_grads(g);
    position_take(&good, params, adam, state);
    state->has_position = 1;
    /* a full batch in table order: the tables go to the graph once, not every step */
    const int in_order = problem->full_batch_in_order && batch == count;
    int uploaded = 0;

    while (state->epochs_done < options->epochs) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        const int64_t epoch = state->epochs_done;
        const double lr = sciml_schedule_lr(&options->schedule, epoch);
        sciml_rng rng = state->epoch_rng;
        for (int64_t i = 0; i < count; i++)
            index[i] = i;
        sciml_rng_shuffle(&rng, index, count);
        double loss_sum = state->next_batch > 0 ? state->epoch_loss_sum : 0.0;
        int64_t loss_samples = state->next_batch > 0 ? state->epoch_loss_samples : 0;
        for (int64_t b = state->next_batch; b < batches; b++) {
            const int64_t first = b * batch;
            const int64_t n = count - first < batch ? count - first : batch;
            if ((status = sciml_graph_set_batch(g, n)))
                goto done;
            for (int t = 0; t < problem->table_count && !in_order; t++)
                if ((status = sciml_graph_set_input_rows(g, problem->inputs[t], problem->tables[t],
                                                         count, index + first, n)))
                    goto done;
            for (int t = 0; t < problem->table_count && in_order && !uploaded; t++)
                if ((status = sciml_graph_set_input(g, problem->inputs[t], problem->tables[t],
                                                    sciml_graph_count(g, problem->inputs[t]))))
                    goto done;
            uploaded = in_order;
            if ((status = sciml_graph_forward(g, problem->loss)) ||
                (status = sciml_graph_backward(g, problem->loss)))
                goto done;
            const double value = sciml_graph_scalar(g, problem->loss);
            if (!isfinite(value)) {
                position_restore(&good, params, adam, state);
                char where[96];
                if (good.batch > 0) /* resumed inside this epoch and diverged before its end */
                    snprintf(where, sizeof(where), "step %lld of epoch %lld, where this run began",
                             (long long)good.batch, (long long)epoch + 1);
                else if (epoch == 0)
                    snprintf(where, sizeof(where), "their initial values");
                else
                    snprintf(where, sizeof(where), "the end of epoch %lld", (long long)epoch);
                status = sciml_error(ctx, SCIML_ERR_NONFINITE,
                                     "training diverged: loss is %g at epoch %lld, step %lld "
                                     "(try a smaller --lr); parameters reset to %s",
                                     value, (long long)epoch + 1, (long long)b + 1, where);
                goto done;
            }
            loss_sum += value * (double)n;
            loss_samples += n;
            if ((status = sciml_adam_step(adam, params, grads, lr)))
                goto done;
            state->next_batch = b + 1;
            state->epoch_loss_sum = loss_sum;
            state->epoch_loss_samples = loss_samples;
            if (sciml_ctx_interrupted(ctx) && b + 1 < batches) {
                status = sciml_error(ctx, SCIML_ERR_INTERRUPTED,
                                     "interrupted in epoch %lld after step %lld of %lld",
                                     (long long)epoch + 1, (long long)b + 1, (long long)batches);
                goto done;
            }
        }
        state->epochs_done = epoch + 1;
        state->next_batch = 0;
        state->epoch_loss_sum = 0.0;
        state->epoch_loss_samples = 0;
        state->epoch_rng = rng;
        position_take(&good, params, adam, state);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        sciml_train_report report = {
            .epoch = epoch + 1,
            .step = sciml_adam_step_count(adam),
            .train_loss = loss_samples ? loss_sum / (double)loss_samples : NAN,
            .test_loss = NAN,
            .test_error = NAN,
            .lr = lr,
            .seconds = seconds_between(&t0, &t1),
        };
        if (problem->evaluate && (status = problem->evaluate(problem->user, params, &report)))
            goto done;
        if (options->report && options->report(options->report_user, &report))
            break;
        if (sciml_ctx_interrupted(ctx) && state->epochs_done < options->epochs) {
            status = sciml_error(ctx, SCIML_ERR_INTERRUPTED, "interrupted after epoch %lld",
                                 (long long)state->epochs_done);
            goto done;
        }
        if (options->checkpoint &&
            sciml_train_checkpoint_due(options->checkpoint_every, state->epochs_done,
                                       options->epochs)) {
            save_moments(state, adam, options->optimizer); /* the state is whole now */
            if (problem->store)
                problem->store(problem->user, params);
            if ((status = options->checkpoint(options->checkpoint_user)))
                goto done;
        }
    }
done:
    if (adam)
        save_moments(state, adam, options->optimizer);
    sciml_adam_destroy(&adam);
    free(index);
    position_free(&good);
    return status;
}

sciml_status sciml_train_state_define(sciml_nc_writer *writer, const sciml_train_state *state) {
    if (!state->adam_m || !state->adam_v)
        return SCIML_ERR_STATE;
    const sciml_rng *r = &state->epoch_rng;
    char rng_text[128];
    snprintf(rng_text, sizeof(rng_text), "%016" PRIx64 " %016" PRIx64 " %016" PRIx64 " %016" PRIx64,
             r->state[0], r->state[1], r->state[2], r->state[3]);
    int64_t dim, var, length;
    sciml_status status;
    /* a model that stores its parameters as one vector has defined the dimension already */
    int shared = !sciml_nc_writer_find_dim(writer, "parameter", &dim, &length) &&
                 length == state->parameter_count;
    if ((!shared &&
         (status = sciml_nc_def_dim(writer, "parameter", state->parameter_count, &dim))) ||
        (status = sciml_nc_def_var(writer, "adam_m", SCIML_NC_DOUBLE, 1, &dim, &var)) ||
        (status = sciml_nc_def_var(writer, "adam_v", SCIML_NC_DOUBLE, 1, &dim, &var)) ||
        (status =
             sciml_nc_put_att_int(writer, SCIML_NC_GLOBAL, "epochs_done", state->epochs_done)) ||
        (status = sciml_nc_put_att_int(writer, SCIML_NC_GLOBAL, "next_batch", state->next_batch)) ||
        (status = sciml_nc_put_att_int(writer, SCIML_NC_GLOBAL, "adam_steps", state->adam_steps)) ||
        (status = sciml_nc_put_att_double(writer, SCIML_NC_GLOBAL, "epoch_loss_sum",
                                          SCIML_NC_DOUBLE, &state->epoch_loss_sum, 1)) ||
        (status = sciml_nc_put_att_int(writer, SCIML_NC_GLOBAL, "epoch_loss_samples",
                                       state->epoch_loss_samples)) ||
        (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "optimizer",
                                        sciml_optimizer_name(state->optimizer))) ||
        (status = sciml_nc_put_att_text(writer, SCIML_NC_GLOBAL, "rng_state", rng_text)))
        return status;
    return SCIML_OK;
}

sciml_status sciml_train_state_write(sciml_nc_writer *writer, const sciml_train_state *state) {
    int64_t m_var, v_var;
    sciml_status status;
    if ((status = sciml_nc_writer_find_var(writer, "adam_m", &m_var)) ||
        (status = sciml_nc_writer_find_var(writer, "adam_v", &v_var)) ||
        (status = sciml_nc_write_var(writer, m_var, 0, state->parameter_count, state->adam_m)) ||
        (status = sciml_nc_write_var(writer, v_var, 0, state->parameter_count, state->adam_v)))
        return status;
    return SCIML_OK;
}

sciml_status sciml_train_state_read(sciml_ctx *ctx, sciml_nc_reader *reader,
                                    int64_t parameter_count, sciml_train_state *state) {
    const char *name = sciml_nc_name(reader);
    const char *optimizer = NULL, *rng_text = NULL;
    sciml_status status;
    state->parameter_count = parameter_count;
    state->adam_m = sciml_alloc_array((size_t)parameter_count, sizeof(double));
    state->adam_v = sciml_alloc_array((size_t)parameter_count, sizeof(double));
    if (!state->adam_m || !state->adam_v)
        return sciml_error(ctx, SCIML_ERR_NOMEM, "%s: out of memory", name);
    if ((status = sciml_model_read_integers(ctx, reader, "epochs_done", 1, 0, INT64_C(1) << 40,
                                            &state->epochs_done)) ||
        (status = sciml_model_read_integers(ctx, reader, "next_batch", 1, 0, INT64_C(1) << 40,
                                            &state->next_batch)) ||
        (status = sciml_model_read_integers(ctx, reader, "adam_steps", 1, 0, INT64_C(1) << 50,
                                            &state->adam_steps)) ||
        (status = sciml_model_read_integers(ctx, reader, "epoch_loss_samples", 1, 0,
                                            INT64_C(1) << 50, &state->epoch_loss_samples)) ||
        (status =
             sciml_model_read_vector(ctx, reader, "adam_m", parameter_count, 0, state->adam_m)) ||
        (status =
             sciml_model_read_vector(ctx, reader, "adam_v", parameter_count, 0, state->adam_v)))
        return status;
    if (sciml_nc_get_att_double(reader, SCIML_NC_GLOBAL, "epoch_loss_sum", &state->epoch_loss_sum,
                                1, NULL) ||
        sciml_nc_get_att_text(reader, SCIML_NC_GLOBAL, "optimizer", &optimizer, NULL) ||
        sciml_nc_get_att_text(reader, SCIML_NC_GLOBAL, "rng_state", &rng_text, NULL))
        return sciml_error(ctx, SCIML_ERR_FORMAT,
                           "%s: checkpoint attributes epoch_loss_sum, optimizer or rng_state "
                           "are missing or of the wrong type",
                           name);
    if (sciml_optimizer_parse(ctx, optimizer, &state->optimizer))
        return sciml_error(ctx, SCIML_ERR_FORMAT, "%s: unknown optimizer '%s'", name, optimizer);
    uint64_t s[4];
    if (sscanf(rng_text, "%" SCNx64 " %" SCNx64 " %" SCNx64 " %" SCNx64, &s[0], &s[1], &s[2],
               &s[3]) != 4 ||
        (s[0] | s[1] | s[2] | s[3]) == 0)
        return sciml_error(ctx, SCIML_ERR_FORMAT,
                           "%s: rng_state '%s': expected four non-zero 64-bit hex words", name,
                           rng_text);
    memcpy(state->epoch_rng.state, s, sizeof(s));
    state->epoch_rng.has_spare = 0;
    state->has_position = 1;
    return SCIML_OK;
}
