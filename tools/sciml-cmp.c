/* sciml-cmp: compare the variables two netCDF files have in common.
 *
 * For each variable, with a the first file's values and b the second's (the reference):
 *   relative L2  = ||a - b||_2 / ||b||_2 over all elements,
 *   sample L2    = mean over records r of ||a_r - b_r|| / ||b_r|| (record variables: the
 *                  per-sample relative error reported in the operator-learning literature),
 *   max abs      = max |a - b|.
 * With --tol X the exit status is 1 when any compared variable's relative L2 exceeds X (or is
 * NaN), so shell scripts can test results. Both inputs are read in one forward pass; one of
 * them may be standard input ("-"). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sciml/netcdf.h"
#include "tool.h"

enum { CHUNK_ELEMENTS = 1 << 16, MAX_COMPARED = 256 };

typedef struct cmp_options {
    const char *paths[2];
    const char *variables; /* comma list or NULL for all common variables */
    double tolerance;      /* < 0: none */
    int quiet;
} cmp_options;

typedef struct comparison {
    int64_t var[2]; /* index in each file */
    const char *name;
    int is_record;
    int64_t element_count;   /* all elements (fixed) or per record */
    double diff_squared;     /* sum (a - b)^2 */
    double ref_squared;      /* sum b^2 */
    double sample_error_sum; /* sum over records of ||a_r - b_r|| / ||b_r|| */
    int64_t sample_count;
    double max_abs;
    int64_t nonfinite; /* elements where a or b is NaN/Inf */
} comparison;

static void usage(FILE *out) {
    fprintf(out,
            "Usage: sciml-cmp [OPTIONS] FILE REFERENCE\n"
            "Compare the variables that FILE and REFERENCE (netCDF classic) have in common:\n"
            "relative L2 error ||a-b||/||b||, mean per-sample relative L2 for record\n"
            "variables, and maximum absolute error. One of the files may be '-' (stdin).\n"
            "\n"
            "Options:\n"
            "  -v, --variables LIST  compare only these variables (comma-separated)\n"
            "      --tol X           exit with status 1 when a relative L2 error exceeds X\n"
            "  -q, --quiet           print nothing; only the exit status tells\n"
            "  -h, --help            show this help and exit\n"
            "      --version         show the version and exit\n"
            "\n"
            "Exit status: 0 files agree (within --tol when given), 1 a tolerance was exceeded\n"
            "or a file could not be read or the shapes differ, 2 usage error.\n");
}

static int parse_options(int argc, char **argv, cmp_options *options) {
    tool_usage usage_errors = {0};
    memset(options, 0, sizeof(*options));
    options->tolerance = -1.0;
    int path_count = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *value = NULL;
        if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
            usage(stdout);
            exit(TOOL_EXIT_OK);
        } else if (!strcmp(arg, "--version")) {
            tool_print_version();
            exit(TOOL_EXIT_OK);
        } else if (!strcmp(arg, "-q") || !strcmp(arg, "--quiet")) {
            options->quiet = 1;
        } else if (tool_option(argc, argv, &i, "--tol", &value, &usage_errors)) {
            tool_parse_double(&usage_errors, "--tol", value, 0.0, INFINITY, &options->tolerance);
        } else if (tool_option(argc, argv, &i, "--variables", &value, &usage_errors) ||
                   tool_option(argc, argv, &i, "-v", &value, &usage_errors)) {
            options->variables = value;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            tool_usage_error(&usage_errors, "unknown option '%s'", arg);
        } else if (path_count < 2) {
            options->paths[path_count++] = arg;
        } else {
            tool_usage_error(&usage_errors, "too many files: expected FILE and REFERENCE");
        }
    }
    if (path_count < 2 && usage_errors.error_count == 0)
        tool_usage_error(&usage_errors, "expected two files, FILE and REFERENCE");
    if (path_count == 2 && !strcmp(options->paths[0], "-") && !strcmp(options->paths[1], "-"))
        tool_usage_error(&usage_errors, "only one of the two files can be standard input");
    return tool_usage_finish(&usage_errors);
}

/* 1 when `name` is in the comma-separated list. */
static int in_list(const char *list, const char *name) {
    size_t length = strlen(name);
    for (const char *p = list; *p;) {
        const char *comma = strchr(p, ',');
        size_t item = comma ? (size_t)(comma - p) : strlen(p);
        if (item == length && !strncmp(p, name, length))
            return 1;
        if (!comma)
            break;
        p = comma + 1;
    }
    return 0;
}

static void accumulate(comparison *c, const double *a, const double *b, int64_t count,
                       int per_sample) {
    double diff = 0.0, ref = 0.0;
    for (int64_t i = 0; i < count; i++) {
        if (!isfinite(a[i]) || !isfinite(b[i])) {
            c->nonfinite++;
            diff = NAN;
            continue;
        }
        double d = a[i] - b[i];
        diff += d * d;
        ref += b[i] * b[i];
        if (fabs(d) > c->max_abs)
            c->max_abs = fabs(d);
    }
    c->diff_squared += diff;
    c->ref_squared += ref;
    if (per_sample) {
        c->sample_error_sum += ref > 0 ? sqrt(diff / ref) : (diff > 0 ? INFINITY : 0.0);
        c->sample_count++;
    }
}

/* Pairs up the variables to compare and checks their shapes agree. */
static sciml_status match_variables(sciml_ctx *ctx, sciml_nc_reader **readers,
                                    const cmp_options *options, comparison *list, int *count) {
    *count = 0;
    int64_t var_count = sciml_nc_var_count(readers[1]);
    for (int64_t v = 0; v < var_count; v++) {
        sciml_nc_var_info ref;
        sciml_status status = sciml_nc_var_get_info(readers[1], v, &ref);
        if (status)
            return status;
        if (options->variables && !in_list(options->variables, ref.name))
            continue;
        if (ref.type == SCIML_NC_CHAR)
            continue;
        int64_t other = -1;
        if (sciml_nc_find_var(readers[0], ref.name, &other)) {
            sciml_ctx_clear_error(ctx);
            continue;
        }
        sciml_nc_var_info mine;
        if ((status = sciml_nc_var_get_info(readers[0], other, &mine)))
            return status;
        int same = mine.rank == ref.rank && mine.is_record == ref.is_record &&
                   mine.element_count == ref.element_count;
        for (int r = mine.is_record ? 1 : 0; same && r < mine.rank; r++)
            same = mine.shape[r] == ref.shape[r];
        if (same && mine.is_record && sciml_nc_record_count(readers[0]) >= 0 &&
            sciml_nc_record_count(readers[1]) >= 0 &&
            sciml_nc_record_count(readers[0]) != sciml_nc_record_count(readers[1]))
            return sciml_error(
                ctx, SCIML_ERR_SHAPE,
                "%s has %lld samples but %s has %lld: expected the same count",
                sciml_nc_name(readers[0]), (long long)sciml_nc_record_count(readers[0]),
                sciml_nc_name(readers[1]), (long long)sciml_nc_record_count(readers[1]));
        if (!same)
            return sciml_error(ctx, SCIML_ERR_SHAPE,
                               "variable '%s' has %lld values per %s in %s but %lld in %s: "
                               "expected the same shape",
                               ref.name, (long long)mine.element_count,
                               mine.is_record ? "sample" : "file", sciml_nc_name(readers[0]),
                               (long long)ref.element_count, sciml_nc_name(readers[1]));
        if (*count == MAX_COMPARED)
            return sciml_error(ctx, SCIML_ERR_RANGE, "more than %d variables to compare",
                               MAX_COMPARED);
        comparison *c = &list[(*count)++];
        memset(c, 0, sizeof(*c));
        c->var[0] = other;
        c->var[1] = v;
        c->name = ref.name;
        c->is_record = ref.is_record;
        c->element_count = ref.element_count;
    }
    if (options->variables) {
        for (const char *p = options->variables; *p;) {
            const char *comma = strchr(p, ',');
            size_t item = comma ? (size_t)(comma - p) : strlen(p);
            int found = 0;
            for (int k = 0; k < *count; k++)
                if (strlen(list[k].name) == item && !strncmp(list[k].name, p, item))
                    found = 1;
            if (!found)
                return sciml_error(ctx, SCIML_ERR_NOT_FOUND,
                                   "variable '%.*s' is not a numeric variable of both %s and %s",
                                   (int)item, p, sciml_nc_name(readers[0]),
                                   sciml_nc_name(readers[1]));
            if (!comma)
                break;
            p = comma + 1;
        }
    }
    if (*count == 0)
        return sciml_error(ctx, SCIML_ERR_NOT_FOUND, "%s and %s have no numeric variable in common",
                           sciml_nc_name(readers[0]), sciml_nc_name(readers[1]));
    return SCIML_OK;
}

/* Offset of a compared variable in the file that must be read forward. */
static int64_t begin_of(sciml_nc_reader *reader, int64_t var) {
    sciml_nc_var_info info;
    return sciml_nc_var_get_info(reader, var, &info) ? 0 : info.begin;
}

static sciml_status compare(sciml_ctx *ctx, sciml_nc_reader **readers, comparison *list,
                            int count) {
    /* Fixed variables in the order of the streamed file (if any), then records. */
    int lead = sciml_nc_is_seekable(readers[0]) ? 1 : 0;
    int order[MAX_COMPARED];
    int fixed = 0;
    int64_t largest = 0;
    for (int k = 0; k < count; k++) {
        if (list[k].is_record) {
            if (list[k].element_count > largest)
                largest = list[k].element_count;
            continue;
        }
        int j = fixed++;
        while (j > 0 && begin_of(readers[lead], list[order[j - 1]].var[lead]) >
                            begin_of(readers[lead], list[k].var[lead])) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = k;
    }
    int64_t buffer_size = largest > CHUNK_ELEMENTS ? largest : CHUNK_ELEMENTS;
    double *a = sciml_alloc_array((size_t)buffer_size, sizeof(double));
    double *b = sciml_alloc_array((size_t)buffer_size, sizeof(double));
    sciml_status status = SCIML_OK;
    if (!a || !b) {
        status = sciml_error(ctx, SCIML_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int f = 0; f < fixed; f++) {
        comparison *c = &list[order[f]];
        for (int64_t start = 0; start < c->element_count; start += CHUNK_ELEMENTS) {
            int64_t n = c->element_count - start;
            if (n > CHUNK_ELEMENTS)
                n = CHUNK_ELEMENTS;
            if ((status = sciml_nc_read_var(readers[0], c->var[0], start, n, a)) ||
                (status = sciml_nc_read_var(readers[1], c->var[1], start, n, b)))
                goto done;
            accumulate(c, a, b, n, 0);
        }
    }
    if (largest > 0) {
        for (int64_t r = 0;; r++) {
            int available[2] = {0, 0};
            if ((status = sciml_nc_has_record(readers[0], r, &available[0])) ||
                (status = sciml_nc_has_record(readers[1], r, &available[1])))
                goto done;
            if (available[0] != available[1]) {
                status = sciml_error(ctx, SCIML_ERR_SHAPE,
                                     "%s has %lld samples but %s has more: expected the same "
                                     "count",
                                     sciml_nc_name(readers[available[0] ? 1 : 0]), (long long)r,
                                     sciml_nc_name(readers[available[0] ? 0 : 1]));
                goto done;
            }
            if (!available[0])
                break;
            for (int k = 0; k < count; k++) {
                comparison *c = &list[k];
                if (!c->is_record)
                    continue;
                if ((status = sciml_nc_read_record(readers[0], c->var[0], r, a)) ||
                    (status = sciml_nc_read_record(readers[1], c->var[1], r, b)))
                    goto done;
                accumulate(c, a, b, c->element_count, 1);
            }
        }
    }
done:
    free(a);
    free(b);
    return status;
}

int main(int argc, char **argv) {
    tool_set_name("sciml-cmp");
    cmp_options options;
    int usage_status = parse_options(argc, argv, &options);
    if (usage_status)
        return usage_status;
    sciml_ctx *ctx = NULL;
    if (sciml_ctx_create(&ctx)) {
        tool_error("out of memory");
        return TOOL_EXIT_FAILURE;
    }
    sciml_nc_reader *readers[2] = {NULL, NULL};
    comparison *list = calloc(MAX_COMPARED, sizeof(*list));
    int count = 0, exit_code = TOOL_EXIT_OK;
    if (!list) {
        tool_error("out of memory");
        exit_code = TOOL_EXIT_FAILURE;
        goto done;
    }
    for (int k = 0; k < 2; k++)
        if (sciml_nc_open(ctx, options.paths[k], &readers[k])) {
            exit_code = tool_fail(ctx);
            goto done;
        }
    if (match_variables(ctx, readers, &options, list, &count) ||
        compare(ctx, readers, list, count)) {
        exit_code = tool_fail(ctx);
        goto done;
    }
    if (!options.quiet)
        printf("%-20s %14s %14s %14s %12s\n", "variable", "rel_l2", "sample_rel_l2", "max_abs",
               "nonfinite");
    for (int k = 0; k < count; k++) {
        comparison *c = &list[k];
        double relative = c->ref_squared > 0 ? sqrt(c->diff_squared / c->ref_squared)
                                             : (c->diff_squared > 0 ? INFINITY : 0.0);
        if (c->nonfinite)
            relative = NAN;
        if (!options.quiet) {
            printf("%-20s %14.6e ", c->name, relative);
            if (c->sample_count)
                printf("%14.6e ", c->sample_error_sum / (double)c->sample_count);
            else
                printf("%14s ", "-");
            printf("%14.6e %12lld\n", c->max_abs, (long long)c->nonfinite);
        }
        if (options.tolerance >= 0 && !(relative <= options.tolerance)) {
            if (!options.quiet)
                tool_error("variable '%s': relative L2 error %.6e exceeds --tol %g", c->name,
                           relative, options.tolerance);
            exit_code = TOOL_EXIT_FAILURE;
        }
    }
done:
    if (fflush(stdout) != 0 || ferror(stdout)) {
        tool_error("standard output: write failed");
        exit_code = TOOL_EXIT_FAILURE;
    }
    free(list);
    sciml_nc_close(&readers[0]);
    sciml_nc_close(&readers[1]);
    sciml_ctx_destroy(&ctx);
    return exit_code;
}
