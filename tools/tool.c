/* Helpers shared by the command-line tools (see tool.h). */
#include "tool.h"

#include "sciml/dataset.h"
#include "sciml/netcdf.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef SCIML_VERSION_STRING
#define SCIML_VERSION_STRING "unknown"
#endif

static const char *program_name = "sciml";
static int progress_active;

void tool_set_name(const char *name) {
    program_name = name;
}

const char *tool_name(void) {
    return program_name;
}

static void print_prefixed(const char *kind, const char *format, va_list args) {
    if (progress_active)
        tool_progress_done();
    fprintf(stderr, "%s: %s: ", program_name, kind);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
}

void tool_error(const char *format, ...) {
    va_list args;
    va_start(args, format);
    print_prefixed("error", format, args);
    va_end(args);
}

void tool_warning(const char *format, ...) {
    va_list args;
    va_start(args, format);
    print_prefixed("warning", format, args);
    va_end(args);
}

int tool_fail(const sciml_ctx *ctx) {
    const char *message = sciml_ctx_message(ctx);
    tool_error("%s", message[0] ? message : sciml_strerror(sciml_ctx_status(ctx)));
    return TOOL_EXIT_FAILURE;
}

void tool_usage_error(tool_usage *usage, const char *format, ...) {
    va_list args;
    va_start(args, format);
    print_prefixed("usage", format, args);
    va_end(args);
    usage->error_count++;
}

static int same_file(const char *a, const char *b) {
    if (!a || !b || !strcmp(a, "-") || !strcmp(b, "-"))
        return 0;
    if (!strcmp(a, b))
        return 1;
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

void tool_usage_distinct(tool_usage *usage, const char *option, const char *path,
                         const tool_named_file *named, int count) {
    for (int k = 0; k < count; k++)
        if (same_file(path, named[k].path))
            tool_usage_error(usage, "%s and %s name the same file (%s)", option, named[k].option,
                             path);
}

void tool_usage_training_files(tool_usage *usage, const char *model, const char *checkpoint,
                               const char *log, const char *resume, const tool_named_file *data,
                               int data_count) {
    const tool_named_file model_file[] = {{"-o", model}};
    const tool_named_file written[] = {{"--resume", resume}, {"--checkpoint", checkpoint}};
    tool_usage_distinct(usage, "--log", log, model_file, 1);
    tool_usage_distinct(usage, "--log", log, data, data_count);
    tool_usage_distinct(usage, "--log", log, written, 2);
    tool_usage_distinct(usage, "-o", model, data, data_count);
    tool_usage_distinct(usage, "--checkpoint", checkpoint, data, data_count);
}

int tool_usage_finish(const tool_usage *usage) {
    if (usage->error_count == 0)
        return 0;
    fprintf(stderr, "Try '%s --help' for more information.\n", program_name);
    return TOOL_EXIT_USAGE;
}

int tool_option(int argc, char **argv, int *index, const char *name, const char **value,
                tool_usage *usage) {
    const char *arg = argv[*index];
    size_t length = strlen(name);
    if (strncmp(arg, name, length) != 0)
        return 0;
    if (arg[length] == '=') {
        *value = arg + length + 1;
        return 1;
    }
    if (arg[length] != '\0')
        return 0;
    if (*index + 1 >= argc) {
        tool_usage_error(usage, "option %s needs a value", name);
        *value = NULL;
        return 1;
    }
    *index += 1;
    *value = argv[*index];
    return 1;
}

int tool_is_option(const char *arg, const char *const *names, size_t count) {
    for (size_t k = 0; k < count; k++) {
        size_t length = strlen(names[k]);
        if (!strncmp(arg, names[k], length) && (arg[length] == '\0' || arg[length] == '='))
            return 1;
    }
    return 0;
}

void tool_apply_option(int argc, char **argv, int *index, void (*usage)(FILE *out), int with_output,
                       tool_apply_options *o, int *positional, tool_usage *usage_errors) {
    const char *arg = argv[*index];
    const char *v = NULL;
    if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
        usage(stdout);
        exit(TOOL_EXIT_OK);
    } else if (!strcmp(arg, "--version")) {
        tool_print_version();
        exit(TOOL_EXIT_OK);
    } else if (tool_option(argc, argv, index, "--model", &v, usage_errors) ||
               tool_option(argc, argv, index, "-m", &v, usage_errors)) {
        o->model_path = v;
    } else if (tool_option(argc, argv, index, "--input", &v, usage_errors)) {
        o->input_name = v;
    } else if (with_output && tool_option(argc, argv, index, "--output", &v, usage_errors)) {
        o->output_name = v;
        if (v && !sciml_nc_name_is_valid(v))
            tool_usage_error(usage_errors, "--output '%s' is not a valid netCDF name", v);
    } else if (tool_option(argc, argv, index, "--batch", &v, usage_errors)) {
        tool_parse_int64(usage_errors, "--batch", v, 1, INT64_C(1) << 20, &o->batch);
    } else if (arg[0] == '-' && arg[1] != '\0') {
        tool_usage_error(usage_errors, "unknown option '%s'", arg);
    } else if (*positional < 2) {
        *(*positional == 0 ? &o->input_path : &o->output_path) = arg;
        (*positional)++;
    } else {
        tool_usage_error(usage_errors, "too many files: expected [IN] [OUT]");
    }
}

void tool_apply_defaults(tool_apply_options *o, tool_usage *usage_errors) {
    if (!o->model_path)
        tool_usage_error(usage_errors, "-m MODEL is required");
    if (!o->input_path)
        o->input_path = "-";
    if (!o->output_path)
        o->output_path = "-";
    const tool_named_file inputs[] = {{"IN", o->input_path}, {"-m", o->model_path}};
    tool_usage_distinct(usage_errors, "OUT", o->output_path, inputs, 2);
}

void tool_apply_check_stdin(const tool_apply_options *o, tool_usage *usage_errors) {
    if (o->model_path && !strcmp(o->model_path, "-") && !strcmp(o->input_path, "-"))
        tool_usage_error(usage_errors, "the model and the input cannot both be standard input");
}

int tool_parse_apply_options(int argc, char **argv, void (*usage)(FILE *out), int64_t default_batch,
                             tool_apply_options *o) {
    tool_usage usage_errors = {0};
    memset(o, 0, sizeof(*o));
    o->batch = default_batch;
    int positional = 0;
    for (int i = 1; i < argc; i++)
        tool_apply_option(argc, argv, &i, usage, 1, o, &positional, &usage_errors);
    tool_apply_defaults(o, &usage_errors);
    tool_apply_check_stdin(o, &usage_errors);
    return tool_usage_finish(&usage_errors);
}

sciml_status tool_open_input(sciml_ctx *ctx, const char *path, const char *input_option,
                             const char *stored_input, sciml_nc_reader **reader,
                             const char **input_name, int64_t *var, sciml_nc_var_info *info,
                             const char *output_option, const char *stored_output,
                             const char **output_name) {
    sciml_status status;
    if ((status = sciml_nc_open(ctx, path, reader)) ||
        (status = sciml_dataset_choose_input(ctx, *reader, input_option, stored_input, input_name)))
        return status;
    if (output_name)
        *output_name =
            output_option ? output_option : (stored_output ? stored_output : "prediction");
    if ((status = sciml_nc_find_var(*reader, *input_name, var)) ||
        (status = sciml_nc_var_get_info(*reader, *var, info)))
        return status;
    return SCIML_OK;
}

sciml_status tool_read_samples(sciml_nc_reader *reader, int64_t var, const sciml_nc_var_info *info,
                               int64_t samples, int64_t per_sample, int64_t first, int64_t batch,
                               double *buffer, int64_t *count) {
    sciml_status status;
    int64_t n = 0;
    *count = 0;
    while (n < batch) {
        int64_t sample = first + n;
        if (info->is_record) {
            int available = 0;
            if ((status = sciml_nc_has_record(reader, sample, &available)))
                return status;
            if (!available)
                break;
            if ((status = sciml_nc_read_record(reader, var, sample, buffer + n * per_sample)))
                return status;
        } else {
            if (sample >= samples)
                break;
            if ((status = sciml_nc_read_var(reader, var, sample * per_sample, per_sample,
                                            buffer + n * per_sample)))
                return status;
        }
        n++;
        *count = n;
    }
    return SCIML_OK;
}

sciml_status tool_check_interrupted(sciml_ctx *ctx, int64_t done, const char *what) {
    if (!sciml_ctx_interrupted(ctx))
        return SCIML_OK;
    return sciml_error(ctx, SCIML_ERR_INTERRUPTED, "interrupted after %lld %s", (long long)done,
                       what);
}

int tool_run(int argc, char **argv,
             int (*run)(sciml_ctx *ctx, const void *options, const char *command),
             const void *options) {
    sciml_ctx *ctx = NULL;
    char *command = tool_command_line(argc, argv);
    if (sciml_ctx_create(&ctx) || !command) {
        tool_error("out of memory");
        free(command);
        return TOOL_EXIT_FAILURE;
    }
    tool_catch_interrupts(ctx);
    int exit_code = run(ctx, options, command);
    free(command);
    sciml_ctx_destroy(&ctx);
    return exit_code;
}

int tool_parse_int64(tool_usage *usage, const char *option, const char *text, int64_t min,
                     int64_t max, int64_t *out) {
    if (!text)
        return 1;
    char *end = NULL;
    errno = 0;
    long long value = strtoll(text, &end, 10);
    if (end == text || *end != '\0' || errno == ERANGE || value < min || value > max) {
        tool_usage_error(usage, "%s '%s': expected an integer from %lld to %lld", option, text,
                         (long long)min, (long long)max);
        return 1;
    }
    *out = (int64_t)value;
    return 0;
}

int tool_parse_int(tool_usage *usage, const char *option, const char *text, int min, int max,
                   int *out) {
    int64_t value = 0;
    if (tool_parse_int64(usage, option, text, min, max, &value))
        return 1;
    *out = (int)value;
    return 0;
}

int tool_parse_double(tool_usage *usage, const char *option, const char *text, double min,
                      double max, double *out) {
    if (!text)
        return 1;
    char *end = NULL;
    errno = 0;
    double value = strtod(text, &end);
    if (end == text || *end != '\0' || errno == ERANGE || !isfinite(value) || value < min ||
        value > max) {
        tool_usage_error(usage, "%s '%s': expected a number from %g to %g", option, text, min, max);
        return 1;
    }
    *out = value;
    return 0;
}

int tool_parse_seed(tool_usage *usage, const char *option, const char *text, uint64_t *out) {
    if (!text)
        return 1;
    char *end = NULL;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    if (end == text || *end != '\0' || errno == ERANGE || text[0] < '0' || text[0] > '9') {
        tool_usage_error(usage, "%s '%s': expected a non-negative integer below 2^64", option,
                         text);
        return 1;
    }
    *out = (uint64_t)value;
    return 0;
}

/* Appends s to a growing buffer; returns 0 or 1 on allocation failure. */
static int append(char **buffer, size_t *length, size_t *capacity, const char *s, size_t n) {
    if (*length + n + 1 > *capacity) {
        size_t wanted = (*capacity ? *capacity * 2 : 256);
        while (wanted < *length + n + 1)
            wanted *= 2;
        char *grown = realloc(*buffer, wanted);
        if (!grown)
            return 1;
        *buffer = grown;
        *capacity = wanted;
    }
    memcpy(*buffer + *length, s, n);
    *length += n;
    (*buffer)[*length] = '\0';
    return 0;
}

char *tool_command_line(int argc, char **argv) {
    char *buffer = NULL;
    size_t length = 0, capacity = 0;
    if (append(&buffer, &length, &capacity, "", 0))
        return NULL;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        int plain = arg[0] != '\0';
        for (const char *p = arg; *p; p++)
            if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=.,/:+@%",
                        *p))
                plain = 0;
        if (i > 0 && append(&buffer, &length, &capacity, " ", 1))
            goto fail;
        if (plain) {
            if (append(&buffer, &length, &capacity, arg, strlen(arg)))
                goto fail;
            continue;
        }
        if (append(&buffer, &length, &capacity, "'", 1))
            goto fail;
        for (const char *p = arg; *p; p++) {
            const char *piece = *p == '\'' ? "'\\''" : p;
            size_t n = *p == '\'' ? 4 : 1;
            if (append(&buffer, &length, &capacity, piece, n))
                goto fail;
        }
        if (append(&buffer, &length, &capacity, "'", 1))
            goto fail;
    }
    return buffer;
fail:
    free(buffer);
    return NULL;
}

char *tool_history_line(int argc, char **argv) {
    char *command = tool_command_line(argc, argv);
    if (!command)
        return NULL;
    char stamp[64];
    time_t now = time(NULL);
    struct tm utc;
    gmtime_r(&now, &utc);
    strftime(stamp, sizeof(stamp), "%a %b %d %H:%M:%S %Y", &utc);
    size_t size = strlen(stamp) + strlen(command) + 4;
    char *line = malloc(size);
    if (line)
        snprintf(line, size, "%s: %s", stamp, command);
    free(command);
    return line;
}

static sciml_ctx *interrupt_ctx;

static void on_interrupt(int signal_number) {
    if (interrupt_ctx && !sciml_ctx_interrupted(interrupt_ctx)) {
        sciml_ctx_request_interrupt(interrupt_ctx);
        return;
    }
    signal(signal_number, SIG_DFL);
    raise(signal_number);
}

void tool_catch_interrupts(sciml_ctx *ctx) {
    interrupt_ctx = ctx;
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = on_interrupt;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
}

int tool_progress_wanted(int quiet) {
    return !quiet && isatty(STDERR_FILENO);
}

void tool_progress(const char *format, ...) {
    va_list args;
    va_start(args, format);
    fprintf(stderr, "\r\033[K%s: ", program_name);
    vfprintf(stderr, format, args);
    va_end(args);
    fflush(stderr);
    progress_active = 1;
}

void tool_progress_done(void) {
    if (progress_active) {
        fputc('\n', stderr);
        progress_active = 0;
    }
}

int tool_log_open(const char *path, FILE **out) {
    *out = NULL;
    if (!path)
        return 0;
    FILE *log = fopen(path, "w");
    if (!log) {
        tool_error("%s: cannot open log file: %s", path, strerror(errno));
        return 1;
    }
    setvbuf(log, NULL, _IOLBF, 0);
    *out = log;
    return 0;
}

/* The epoch of a log line as tool_log_open's users write it ({"epoch":N,...}), or -1. */
static long long log_line_epoch(const char *line) {
    static const char prefix[] = "{\"epoch\":";
    if (strncmp(line, prefix, sizeof(prefix) - 1) != 0)
        return -1;
    char *end;
    errno = 0;
    const long long epoch = strtoll(line + sizeof(prefix) - 1, &end, 10);
    return errno || end == line + sizeof(prefix) - 1 || (*end != ',' && *end != '}') ? -1 : epoch;
}

static int keep_epoch(const char *line, void *user) {
    const long long epoch = log_line_epoch(line);
    return epoch >= 0 && epoch <= *(const long long *)user;
}

int tool_log_continue(const char *path, long long done, FILE **out) {
    return tool_log_continue_lines(path, keep_epoch, &done, out);
}

int tool_log_continue_lines(const char *path, int (*keep)(const char *line, void *user), void *user,
                            FILE **out) {
    *out = NULL;
    if (!path)
        return 0;
    struct stat info;
    if (stat(path, &info) != 0 || !S_ISREG(info.st_mode))
        return tool_log_open(path, out); /* nothing to continue, or not a file to cut */
    FILE *log = fopen(path, "r+");
    if (!log) {
        tool_error("%s: cannot open log file: %s", path, strerror(errno));
        return 1;
    }
    /* keep the leading lines up to the checkpoint's position: the later ones run again */
    char line[4096];
    long kept = 0;
    while (fgets(line, sizeof(line), log)) {
        if (!strchr(line, '\n') || !keep(line, user))
            break;
        kept = ftell(log);
    }
    if (kept < 0 || fflush(log) != 0 || ftruncate(fileno(log), (off_t)kept) != 0 ||
        fseek(log, 0, SEEK_END) != 0) {
        tool_error("%s: cannot cut the log file after the checkpoint's lines: %s", path,
                   strerror(errno));
        fclose(log);
        return 1;
    }
    setvbuf(log, NULL, _IOLBF, 0);
    *out = log;
    return 0;
}

sciml_status tool_periodic_checkpoint_written(sciml_status status, const char *path, sciml_ctx *ctx,
                                              int *warned) {
    if (status) {
        if (!*warned)
            tool_warning("cannot write the checkpoint %s: %s; training goes on (later failures "
                         "are not reported)",
                         path, sciml_ctx_message(ctx));
        *warned = 1;
        sciml_ctx_clear_error(ctx);
    }
    return SCIML_OK;
}

void tool_log_close(FILE **log) {
    if (log && *log) {
        fclose(*log);
        *log = NULL;
    }
}

double tool_seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}

void tool_print_version(void) {
    printf("%s (libsciml) %s\n", program_name, SCIML_VERSION_STRING);
}
