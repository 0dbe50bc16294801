/* Helpers shared by the command-line tools: messages, option parsing that collects every usage
 * error before failing once, command-line capture for `history`, Ctrl-C handling, progress and
 * JSON-lines logs. No numerics here (DESIGN.md: tools are thin). */
#ifndef SCIML_TOOL_H
#define SCIML_TOOL_H

#include <stdint.h>
#include <stdio.h>

#include "sciml/core.h"
#include "sciml/netcdf.h"

enum { TOOL_EXIT_OK = 0, TOOL_EXIT_FAILURE = 1, TOOL_EXIT_USAGE = 2 };

/* Sets the program name used as the message prefix ("sciml-info"). */
void tool_set_name(const char *name);
const char *tool_name(void);

/* "sciml-x: error: <message>" on stderr. */
void tool_error(const char *format, ...) __attribute__((format(printf, 1, 2)));
void tool_warning(const char *format, ...) __attribute__((format(printf, 1, 2)));
/* Prints the context's message as an error and returns TOOL_EXIT_FAILURE. */
int tool_fail(const sciml_ctx *ctx);

/* Usage errors are collected: each is printed when found; tool_usage_finish() then says how to
 * get help and returns TOOL_EXIT_USAGE when there was any (0 otherwise). */
typedef struct tool_usage {
    int error_count;
} tool_usage;
void tool_usage_error(tool_usage *usage, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
int tool_usage_finish(const tool_usage *usage);

/* A file an option writes against the files the other options name: a usage error "A and B
 * name the same file" for each named[k] (an option and its path, NULL path: not given) that is
 * the same file as `path` (the same name, or once both exist the same device and inode).
 * Standard input/output ("-") is never the same file. So a typo cannot make a model, log or
 * checkpoint overwrite the data it is made from. */
typedef struct tool_named_file {
    const char *option, *path;
} tool_named_file;
void tool_usage_distinct(tool_usage *usage, const char *option, const char *path,
                         const tool_named_file *named, int count);
/* The files a training tool writes (-o MODEL, --checkpoint, --log; NULL: not given) against
 * the data it reads (data[0..data_count)) and, for the log, against each other and the
 * checkpoint being resumed: tool_usage_distinct for every pair that must differ. */
void tool_usage_training_files(tool_usage *usage, const char *model, const char *checkpoint,
                               const char *log, const char *resume, const tool_named_file *data,
                               int data_count);

/* Matches argv[*index] against the long option `name` ("--epochs") in either "--epochs 5" or
 * "--epochs=5" form. Returns 1 on a match and sets *value (advancing *index past a separate
 * value); a missing value is a usage error (*value = NULL). Returns 0 when it does not match. */
int tool_option(int argc, char **argv, int *index, const char *name, const char **value,
                tool_usage *usage);

/* 1 when arg is one of names[0..count) as "--name" or "--name=value". */
int tool_is_option(const char *arg, const char *const *names, size_t count);

/* Options of the tools that apply a model to a stream (sciml-mlp, sciml-fno):
 *   -m MODEL [--input NAME] [--output NAME] [--batch N] [IN] [OUT]
 * usage() prints the tool's help. Returns 0, or TOOL_EXIT_USAGE after printing the errors. */
typedef struct tool_apply_options {
    const char *model_path, *input_path, *output_path;
    const char *input_name, *output_name;
    int64_t batch;
} tool_apply_options;
int tool_parse_apply_options(int argc, char **argv, void (*usage)(FILE *out), int64_t default_batch,
                             tool_apply_options *options);

/* The pieces of tool_parse_apply_options, for tools with options of their own (which they test
 * first). tool_apply_option handles argv[*index] as -h/--help, --version, -m/--model, --input,
 * --output (only when with_output), --batch, an unknown option or the positional IN/OUT (counted
 * in *positional). tool_apply_defaults requires -m, defaults IN and OUT to '-' and refuses an
 * OUT that is IN or the model;
 * tool_apply_check_stdin rejects a model and an input that are both standard input. */
void tool_apply_option(int argc, char **argv, int *index, void (*usage)(FILE *out), int with_output,
                       tool_apply_options *options, int *positional, tool_usage *usage_errors);
void tool_apply_defaults(tool_apply_options *options, tool_usage *usage_errors);
void tool_apply_check_stdin(const tool_apply_options *options, tool_usage *usage_errors);

/* The input side of an apply tool: opens path into *reader (the caller closes it, also on
 * failure), chooses the input variable (input_option, else stored_input, else the one with
 * sciml_role = "input"), finds it (*var) and gets its info. When output_name is not NULL it is
 * set to output_option, else stored_output, else "prediction". */
sciml_status tool_open_input(sciml_ctx *ctx, const char *path, const char *input_option,
                             const char *stored_input, sciml_nc_reader **reader,
                             const char **input_name, int64_t *var, sciml_nc_var_info *info,
                             const char *output_option, const char *stored_output,
                             const char **output_name);

/* Reads up to `batch` samples of var, from sample `first` on, into buffer (per_sample values
 * each): records while the stream has them, or for a variable without a record dimension its
 * rows below `samples`. *count < batch means the input is finished. */
sciml_status tool_read_samples(sciml_nc_reader *reader, int64_t var, const sciml_nc_var_info *info,
                               int64_t samples, int64_t per_sample, int64_t first, int64_t batch,
                               double *buffer, int64_t *count);

/* After a batch: SCIML_OK, or when Ctrl-C was pressed the error
 * "interrupted after <done> <what>". */
sciml_status tool_check_interrupted(sciml_ctx *ctx, int64_t done, const char *what);

/* The body of a tool's main after option parsing: makes the context and the command line,
 * catches Ctrl-C, calls run(ctx, options, command) and frees both; returns run's exit code. */
int tool_run(int argc, char **argv,
             int (*run)(sciml_ctx *ctx, const void *options, const char *command),
             const void *options);

/* Number parsing with end and range checks; on failure records a usage error naming the
 * option and the accepted range, and leaves *out unchanged. Return 0 on success. */
int tool_parse_int64(tool_usage *usage, const char *option, const char *text, int64_t min,
                     int64_t max, int64_t *out);
int tool_parse_int(tool_usage *usage, const char *option, const char *text, int min, int max,
                   int *out);
int tool_parse_double(tool_usage *usage, const char *option, const char *text, double min,
                      double max, double *out);
int tool_parse_seed(tool_usage *usage, const char *option, const char *text, uint64_t *out);

/* The command line as one shell-quoted string (malloc'd; caller frees). */
char *tool_command_line(int argc, char **argv);
/* "<UTC date>: <command line>" for the history attribute (malloc'd; caller frees). */
char *tool_history_line(int argc, char **argv);

/* Installs SIGINT/SIGTERM handlers that request an interrupt on ctx (a second Ctrl-C kills the
 * process at once). The library stops at a consistent point with SCIML_ERR_INTERRUPTED. */
void tool_catch_interrupts(sciml_ctx *ctx);

/* Progress on stderr: only when stderr is a terminal and not quiet. */
int tool_progress_wanted(int quiet);
/* Overwrites the current stderr line with a formatted progress message. */
void tool_progress(const char *format, ...) __attribute__((format(printf, 1, 2)));
void tool_progress_done(void); /* ends the progress line */

/* Opens a JSON-lines log ("-" for stderr is not allowed: logs go to files). NULL path: no log.
 * Returns 0, or 1 after printing an error. */
int tool_log_open(const char *path, FILE **out);
/* The same for a run resumed after `done` epochs: an existing regular file keeps its leading
 * lines of epochs 1..done ({"epoch":N,...}) and is cut after them (the epochs after a
 * checkpoint run again), and the run appends; anything else is opened as by tool_log_open. */
int tool_log_continue(const char *path, long long done, FILE **out);
/* The same with the lines kept chosen by keep(line, user) (non-zero: keep): the leading lines
 * it keeps stay, the file is cut at the first it does not (or at a line without its newline). */
int tool_log_continue_lines(const char *path, int (*keep)(const char *line, void *user), void *user,
                            FILE **out);
void tool_log_close(FILE **log);

/* After a periodic checkpoint write of `path` returned `status`: on failure the first time a
 * warning (training goes on; *warned then stays set and later failures are quiet), and the
 * context's error cleared. Always SCIML_OK, a sciml_train_checkpoint_fn's answer. */
sciml_status tool_periodic_checkpoint_written(sciml_status status, const char *path, sciml_ctx *ctx,
                                              int *warned);

/* Monotonic wall-clock seconds. */
double tool_seconds(void);

/* Standard --version text: "sciml-x (libsciml) 0.1.0". */
void tool_print_version(void);

#endif /* SCIML_TOOL_H */
