/* The context: last error message, thread count, log sink and interrupt flag. */
#include "sciml/core.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#ifndef SCIML_VERSION_STRING
#define SCIML_VERSION_STRING "unknown"
#endif

enum { SCIML_MESSAGE_CAPACITY = 1024 };

struct sciml_ctx {
    sciml_status status;                   /* last recorded error, SCIML_OK when none */
    char message[SCIML_MESSAGE_CAPACITY];  /* its message, "" when none */
    int threads;
    sciml_log_fn log_fn;
    void *log_user;
    sciml_log_level log_level;
    volatile sig_atomic_t interrupted;
};

#define SCIML_STATUS_CASE(name, value, text)                                                      \
    case name:                                                                                    \
        return text;
const char *sciml_strerror(sciml_status status) {
    switch (status) {
        SCIML_STATUS_LIST(SCIML_STATUS_CASE)
    }
    return "unknown status";
}
#undef SCIML_STATUS_CASE

const char *sciml_version(void) {
    return SCIML_VERSION_STRING;
}

sciml_status sciml_ctx_create(sciml_ctx **out) {
    if (!out)
        return SCIML_ERR_ARG;
    *out = NULL;
    sciml_ctx *ctx = calloc(1, sizeof(*ctx));
    if (!ctx)
        return SCIML_ERR_NOMEM;
    ctx->threads = 1;
    ctx->log_level = SCIML_LOG_INFO;
    /* The context's thread count governs BLAS: one until told otherwise (OpenBLAS would
     * otherwise start a thread per core, which fights a process pinned to one core). */
    openblas_set_num_threads(1);
    *out = ctx;
    return SCIML_OK;
}

void sciml_ctx_destroy(sciml_ctx **ctx) {
    if (!ctx || !*ctx)
        return;
    free(*ctx);
    *ctx = NULL;
}

sciml_status sciml_verror(sciml_ctx *ctx, sciml_status status, const char *format, va_list args) {
    if (!ctx)
        return status;
    ctx->status = status;
    vsnprintf(ctx->message, sizeof(ctx->message), format, args);
    return status;
}

sciml_status sciml_error(sciml_ctx *ctx, sciml_status status, const char *format, ...) {
    va_list args;
    va_start(args, format);
    sciml_verror(ctx, status, format, args);
    va_end(args);
    return status;
}

const char *sciml_ctx_message(const sciml_ctx *ctx) {
    return ctx ? ctx->message : "";
}

sciml_status sciml_ctx_status(const sciml_ctx *ctx) {
    return ctx ? ctx->status : SCIML_OK;
}

void sciml_ctx_clear_error(sciml_ctx *ctx) {
    if (!ctx)
        return;
    ctx->status = SCIML_OK;
    ctx->message[0] = '\0';
}

sciml_status sciml_ctx_set_threads(sciml_ctx *ctx, int threads) {
    if (!ctx)
        return SCIML_ERR_ARG;
    if (threads < 1 || threads > 4096)
        return sciml_error(ctx, SCIML_ERR_RANGE, "thread count %d out of range, expected 1..4096",
                           threads);
    ctx->threads = threads;
    openblas_set_num_threads(threads);
    return SCIML_OK;
}

int sciml_ctx_threads(const sciml_ctx *ctx) {
    return ctx ? ctx->threads : 1;
}

void sciml_ctx_set_log(sciml_ctx *ctx, sciml_log_fn fn, void *user, sciml_log_level max_level) {
    if (!ctx)
        return;
    ctx->log_fn = fn;
    ctx->log_user = user;
    ctx->log_level = max_level;
}

void sciml_log(sciml_ctx *ctx, sciml_log_level level, const char *format, ...) {
    if (!ctx || !ctx->log_fn || level > ctx->log_level)
        return;
    char line[SCIML_MESSAGE_CAPACITY];
    va_list args;
    va_start(args, format);
    vsnprintf(line, sizeof(line), format, args);
    va_end(args);
    ctx->log_fn(level, line, ctx->log_user);
}

void sciml_ctx_request_interrupt(sciml_ctx *ctx) {
    if (ctx)
        ctx->interrupted = 1;
}

int sciml_ctx_interrupted(const sciml_ctx *ctx) {
    return ctx ? (int)ctx->interrupted : 0;
}

void sciml_ctx_clear_interrupt(sciml_ctx *ctx) {
    if (ctx)
        ctx->interrupted = 0;
}

void sciml_assert_fail(const char *expression, const char *file, int line) {
    fprintf(stderr, "libsciml: internal error: assertion '%s' failed at %s:%d\n", expression, file,
            line);
    abort();
}
