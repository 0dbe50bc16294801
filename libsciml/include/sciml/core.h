/* libsciml core: status codes, the context, a seeded random number generator and
 * overflow-checked size arithmetic. Every other module depends on this header only
 * (and the C library).
 *
 * Errors: every fallible function returns a sciml_status (0 success, negative error) and
 * records a one-line message on the context saying what went wrong, where, and what was
 * expected. The library never prints and never exits; tools print the message.
 */
#ifndef SCIML_CORE_H
#define SCIML_CORE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, value, description): the one list of status codes. */
#define SCIML_STATUS_LIST(X)                                                                      \
    X(SCIML_OK, 0, "success")                                                                     \
    X(SCIML_ERR_NOMEM, -1, "out of memory")                                                       \
    X(SCIML_ERR_ARG, -2, "invalid argument")                                                      \
    X(SCIML_ERR_IO, -3, "input/output error")                                                     \
    X(SCIML_ERR_FORMAT, -4, "malformed or unsupported file")                                      \
    X(SCIML_ERR_SHAPE, -5, "shape mismatch")                                                      \
    X(SCIML_ERR_RANGE, -6, "value out of range")                                                  \
    X(SCIML_ERR_NOT_FOUND, -7, "not found")                                                       \
    X(SCIML_ERR_UNSUPPORTED, -8, "unsupported operation")                                         \
    X(SCIML_ERR_NONFINITE, -9, "non-finite value (NaN or Inf)")                                   \
    X(SCIML_ERR_OVERFLOW, -10, "size overflow")                                                   \
    X(SCIML_ERR_INTERRUPTED, -11, "interrupted")                                                  \
    X(SCIML_ERR_SOLVER, -12, "solver failure")                                                    \
    X(SCIML_ERR_STATE, -13, "call out of order")                                                  \
    X(SCIML_ERR_INTERNAL, -14, "internal error")

#define SCIML_STATUS_ENUM_ENTRY(name, value, text) name = value,
typedef enum sciml_status { SCIML_STATUS_LIST(SCIML_STATUS_ENUM_ENTRY) } sciml_status;
#undef SCIML_STATUS_ENUM_ENTRY

#define SCIML_PI 3.14159265358979323846

/* Static description of a status code ("unknown status" for values not in the list). */
const char *sciml_strerror(sciml_status status);

/* Library version, e.g. "0.1.0". */
const char *sciml_version(void);

/* ---------------------------------------------------------------------------------------
 * Random numbers: xoshiro256** seeded through splitmix64. A plain value type so that models
 * can own their generator; the same seed gives the same stream on every platform.
 */
typedef struct sciml_rng {
    uint64_t state[4];
    double spare_normal; /* second Box-Muller value, valid when has_spare is 1 */
    int has_spare;
} sciml_rng;

void sciml_rng_seed(sciml_rng *rng, uint64_t seed);  /* resets the stream */
uint64_t sciml_rng_u64(sciml_rng *rng);              /* uniform 64-bit integer */
double sciml_rng_uniform(sciml_rng *rng);            /* uniform in [0, 1), 53 random bits */
double sciml_rng_normal(sciml_rng *rng);             /* standard normal (Box-Muller) */
uint64_t sciml_rng_below(sciml_rng *rng, uint64_t n); /* uniform in [0, n), unbiased; n > 0 */
/* Fisher-Yates shuffle of index[0..count). */
void sciml_rng_shuffle(sciml_rng *rng, int64_t *index, int64_t count);

/* ---------------------------------------------------------------------------------------
 * The context: first argument of most library calls. It holds the last error message, the
 * thread count, a log sink and an interrupt flag. Not shared between threads.
 */
typedef struct sciml_ctx sciml_ctx;

typedef enum sciml_log_level {
    SCIML_LOG_ERROR = 0,
    SCIML_LOG_WARNING = 1,
    SCIML_LOG_INFO = 2,
    SCIML_LOG_DEBUG = 3
} sciml_log_level;

/* Log sink: receives one complete line without the trailing newline. */
typedef void (*sciml_log_fn)(sciml_log_level level, const char *line, void *user);

/* Creates a context with threads = 1, no log sink and no error. Returns SCIML_ERR_NOMEM
 * (and leaves *out NULL) when allocation fails. The caller owns the context. */
sciml_status sciml_ctx_create(sciml_ctx **out);
/* Frees the context; accepts NULL or *ctx == NULL and sets *ctx to NULL. */
void sciml_ctx_destroy(sciml_ctx **ctx);

/* Records an error message (printf format) and returns `status` unchanged, so that library
 * code can write `return sciml_error(ctx, SCIML_ERR_FORMAT, "%s: bad magic", path);`.
 * ctx may be NULL (the message is then dropped). */
sciml_status sciml_error(sciml_ctx *ctx, sciml_status status, const char *format, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
sciml_status sciml_verror(sciml_ctx *ctx, sciml_status status, const char *format, va_list args);

/* The last recorded message ("" when none); points into the context, valid until the next
 * error or sciml_ctx_clear_error. */
const char *sciml_ctx_message(const sciml_ctx *ctx);
sciml_status sciml_ctx_status(const sciml_ctx *ctx); /* status of the last recorded error */
void sciml_ctx_clear_error(sciml_ctx *ctx);

/* Number of threads for BLAS and FFT work (>= 1). Sets OpenBLAS's thread count too. */
sciml_status sciml_ctx_set_threads(sciml_ctx *ctx, int threads);
int sciml_ctx_threads(const sciml_ctx *ctx);

/* Log sink (NULL to silence) and the most verbose level delivered. */
void sciml_ctx_set_log(sciml_ctx *ctx, sciml_log_fn fn, void *user, sciml_log_level max_level);
void sciml_log(sciml_ctx *ctx, sciml_log_level level, const char *format, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Interrupt flag: a signal handler in a tool sets it (async-signal-safe: a volatile
 * sig_atomic_t store); long-running library loops poll it and stop with
 * SCIML_ERR_INTERRUPTED at a consistent point. */
void sciml_ctx_request_interrupt(sciml_ctx *ctx);
int sciml_ctx_interrupted(const sciml_ctx *ctx);
void sciml_ctx_clear_interrupt(sciml_ctx *ctx);

/* ---------------------------------------------------------------------------------------
 * Checked size arithmetic for user-given sizes. Each returns 0 and stores the result, or 1
 * on overflow (or a negative operand) leaving *out unchanged.
 */
int sciml_mul_i64(int64_t a, int64_t b, int64_t *out);
int sciml_add_i64(int64_t a, int64_t b, int64_t *out);
int sciml_mul_size(size_t a, size_t b, size_t *out);

/* Allocation helpers that return NULL on overflow or exhaustion (never abort). */
void *sciml_alloc_array(size_t count, size_t size);   /* malloc(count * size) */
void *sciml_calloc_array(size_t count, size_t size);  /* zero-filled */

/* Internal invariants only (never for input validation): aborts with file and line. */
#define SCIML_ASSERT(condition)                                                                   \
    do {                                                                                          \
        if (!(condition))                                                                         \
            sciml_assert_fail(#condition, __FILE__, __LINE__);                                    \
    } while (0)
void sciml_assert_fail(const char *expression, const char *file, int line);

#ifdef __cplusplus
}
#endif
#endif /* SCIML_CORE_H */
