/* sciml-info: print a netCDF classic file's header in CDL (like `ncdump -h`) followed by
 * per-variable statistics (min, max, mean, NaN and Inf counts). Reads files or a pipe in one
 * forward pass with memory bounded by one record plus a fixed chunk, so multi-gigabyte files
 * stream through it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sciml/netcdf.h"
#include "tool.h"

enum { CHUNK_ELEMENTS = 1 << 16 };

typedef struct info_options {
    const char *path;
    int header_only;
    int quiet_header;
} info_options;

/* Running statistics of one variable. */
typedef struct variable_stats {
    double min, max, sum;
    int64_t finite_count, nan_count, inf_count;
} variable_stats;

static void stats_reset(variable_stats *s) {
    s->min = INFINITY;
    s->max = -INFINITY;
    s->sum = 0.0;
    s->finite_count = s->nan_count = s->inf_count = 0;
}

static void stats_add(variable_stats *s, const double *values, int64_t count) {
    for (int64_t i = 0; i < count; i++) {
        double v = values[i];
        if (isnan(v)) {
            s->nan_count++;
        } else if (isinf(v)) {
            s->inf_count++;
        } else {
            s->finite_count++;
            s->sum += v;
            if (v < s->min)
                s->min = v;
            if (v > s->max)
                s->max = v;
        }
    }
}

static void usage(FILE *out) {
    fprintf(out, "Usage: sciml-info [OPTIONS] [FILE]\n"
                 "Print the header of a netCDF classic file (CDF-1, CDF-2, CDF-5) in CDL, like\n"
                 "'ncdump -h', followed by min, max, mean and NaN/Inf counts of every variable.\n"
                 "FILE '-' or no FILE reads standard input (one forward pass, bounded memory).\n"
                 "\n"
                 "Options:\n"
                 "  -H, --header-only   print the header only, read no data\n"
                 "  -s, --stats-only    print the statistics table only\n"
                 "  -h, --help          show this help and exit\n"
                 "      --version       show the version and exit\n"
                 "\n"
                 "Exit status: 0 success, 1 unreadable or malformed file, 2 usage error.\n");
}

static int parse_options(int argc, char **argv, info_options *options) {
    tool_usage usage_errors = {0};
    memset(options, 0, sizeof(*options));
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
            usage(stdout);
            exit(TOOL_EXIT_OK);
        } else if (!strcmp(arg, "--version")) {
            tool_print_version();
            exit(TOOL_EXIT_OK);
        } else if (!strcmp(arg, "-H") || !strcmp(arg, "--header-only")) {
            options->header_only = 1;
        } else if (!strcmp(arg, "-s") || !strcmp(arg, "--stats-only")) {
            options->quiet_header = 1;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            tool_usage_error(&usage_errors, "unknown option '%s'", arg);
        } else if (options->path) {
            tool_usage_error(&usage_errors, "more than one input file ('%s' and '%s')",
                             options->path, arg);
        } else {
            options->path = arg;
        }
    }
    if (options->header_only && options->quiet_header)
        tool_usage_error(&usage_errors, "--header-only and --stats-only exclude each other");
    if (!options->path)
        options->path = "-";
    return tool_usage_finish(&usage_errors);
}

static void print_text_escaped(const char *text, int64_t length) {
    putchar('"');
    for (int64_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c == '\n')
            printf("\\n\",\n\t\t\t\"");
        else if (c == '\t')
            printf("\\t");
        else if (c < 32)
            printf("\\%03o", c);
        else
            putchar(c);
    }
    putchar('"');
}

static const char *type_suffix(sciml_nc_type type) {
    switch (type) {
    case SCIML_NC_BYTE:
        return "b";
    case SCIML_NC_SHORT:
        return "s";
    case SCIML_NC_FLOAT:
        return "f";
    case SCIML_NC_UBYTE:
        return "UB";
    case SCIML_NC_USHORT:
        return "US";
    case SCIML_NC_UINT:
        return "U";
    case SCIML_NC_INT64:
        return "L";
    case SCIML_NC_UINT64:
        return "UL";
    default:
        return "";
    }
}

static sciml_status print_attributes(sciml_ctx *ctx, sciml_nc_reader *reader, int64_t var,
                                     const char *var_name) {
    int64_t count = sciml_nc_att_count(reader, var);
    for (int64_t a = 0; a < count; a++) {
        const char *name = NULL;
        sciml_nc_type type;
        int64_t length = 0;
        sciml_status status = sciml_nc_att_info(reader, var, a, &name, &type, &length);
        if (status)
            return status;
        printf("\t\t%s:%s = ", var_name, name);
        if (type == SCIML_NC_CHAR) {
            const char *text = NULL;
            status = sciml_nc_get_att_text(reader, var, name, &text, &length);
            if (status)
                return status;
            print_text_escaped(text, length);
        } else {
            double *values = sciml_alloc_array((size_t)(length ? length : 1), sizeof(double));
            if (!values)
                return sciml_error(ctx, SCIML_ERR_NOMEM, "attribute %s: out of memory", name);
            status = sciml_nc_get_att_double(reader, var, name, values, length, NULL);
            if (status) {
                free(values);
                return status;
            }
            for (int64_t i = 0; i < length; i++)
                printf("%s%.9g%s", i ? ", " : "", values[i], type_suffix(type));
            free(values);
        }
        printf(" ;\n");
    }
    return SCIML_OK;
}

static sciml_status print_header(sciml_ctx *ctx, sciml_nc_reader *reader) {
    static const char *format_names[] = {"", "classic", "64-bit offset", "", "", "cdf5"};
    printf("netcdf %s {  // format: %s\n", sciml_nc_name(reader),
           format_names[sciml_nc_format_of(reader)]);
    int64_t dim_count = sciml_nc_dim_count(reader);
    if (dim_count > 0)
        printf("dimensions:\n");
    for (int64_t d = 0; d < dim_count; d++) {
        if (d == sciml_nc_record_dim(reader)) {
            int64_t records = sciml_nc_record_count(reader);
            if (records >= 0)
                printf("\t%s = UNLIMITED ; // (%lld currently)\n", sciml_nc_dim_name(reader, d),
                       (long long)records);
            else
                printf("\t%s = UNLIMITED ; // (streamed, count unknown)\n",
                       sciml_nc_dim_name(reader, d));
        } else {
            printf("\t%s = %lld ;\n", sciml_nc_dim_name(reader, d),
                   (long long)sciml_nc_dim_length(reader, d));
        }
    }
    int64_t var_count = sciml_nc_var_count(reader);
    if (var_count > 0)
        printf("variables:\n");
    for (int64_t v = 0; v < var_count; v++) {
        sciml_nc_var_info info;
        sciml_status status = sciml_nc_var_get_info(reader, v, &info);
        if (status)
            return status;
        printf("\t%s %s", sciml_nc_type_name(info.type), info.name);
        if (info.rank > 0) {
            printf("(");
            for (int r = 0; r < info.rank; r++)
                printf("%s%s", r ? ", " : "", sciml_nc_dim_name(reader, info.dim_ids[r]));
            printf(")");
        }
        printf(" ;\n");
        status = print_attributes(ctx, reader, v, info.name);
        if (status)
            return status;
    }
    if (sciml_nc_att_count(reader, SCIML_NC_GLOBAL) > 0) {
        printf("\n// global attributes:\n");
        sciml_status status = print_attributes(ctx, reader, SCIML_NC_GLOBAL, "");
        if (status)
            return status;
    }
    printf("}\n");
    return SCIML_OK;
}

/* Reads every variable once, in file order: fixed variables by increasing offset in chunks,
 * then the records one by one. */
static sciml_status gather_stats(sciml_ctx *ctx, sciml_nc_reader *reader, variable_stats *stats,
                                 int64_t *records_read) {
    int64_t var_count = sciml_nc_var_count(reader);
    int64_t *order = sciml_alloc_array((size_t)(var_count ? var_count : 1), sizeof(int64_t));
    int64_t *begins = sciml_alloc_array((size_t)(var_count ? var_count : 1), sizeof(int64_t));
    double *chunk = sciml_alloc_array(CHUNK_ELEMENTS, sizeof(double));
    double *record = NULL;
    sciml_status status = SCIML_OK;
    if (!order || !begins || !chunk) {
        status = sciml_error(ctx, SCIML_ERR_NOMEM, "out of memory");
        goto done;
    }
    int64_t fixed_count = 0, largest_record = 0;
    for (int64_t v = 0; v < var_count; v++) {
        sciml_nc_var_info info;
        if ((status = sciml_nc_var_get_info(reader, v, &info)))
            goto done;
        stats_reset(&stats[v]);
        if (info.is_record) {
            if (info.element_count > largest_record)
                largest_record = info.element_count;
            continue;
        }
        /* insertion sort by begin: headers list few variables */
        int64_t j = fixed_count++;
        while (j > 0 && begins[j - 1] > info.begin) {
            begins[j] = begins[j - 1];
            order[j] = order[j - 1];
            j--;
        }
        begins[j] = info.begin;
        order[j] = v;
    }
    for (int64_t k = 0; k < fixed_count; k++) {
        sciml_nc_var_info info;
        if ((status = sciml_nc_var_get_info(reader, order[k], &info)))
            goto done;
        for (int64_t start = 0; start < info.element_count; start += CHUNK_ELEMENTS) {
            int64_t n = info.element_count - start;
            if (n > CHUNK_ELEMENTS)
                n = CHUNK_ELEMENTS;
            if ((status = sciml_nc_read_var(reader, order[k], start, n, chunk)))
                goto done;
            stats_add(&stats[order[k]], chunk, n);
        }
    }
    if (largest_record > 0) {
        record = sciml_alloc_array((size_t)largest_record, sizeof(double));
        if (!record) {
            status =
                sciml_error(ctx, SCIML_ERR_NOMEM, "%s: out of memory for one record of %lld values",
                            sciml_nc_name(reader), (long long)largest_record);
            goto done;
        }
        for (int64_t r = 0;; r++) {
            int available = 0;
            if ((status = sciml_nc_has_record(reader, r, &available)))
                goto done;
            if (!available)
                break;
            *records_read = r + 1;
            for (int64_t v = 0; v < var_count; v++) {
                sciml_nc_var_info info;
                if ((status = sciml_nc_var_get_info(reader, v, &info)))
                    goto done;
                if (!info.is_record || info.element_count == 0)
                    continue;
                if ((status = sciml_nc_read_record(reader, v, r, record)))
                    goto done;
                stats_add(&stats[v], record, info.element_count);
            }
        }
    }
done:
    free(order);
    free(begins);
    free(chunk);
    free(record);
    return status;
}

static void print_stats(sciml_nc_reader *reader, const variable_stats *stats,
                        int64_t records_read) {
    int64_t var_count = sciml_nc_var_count(reader);
    printf("%-20s %-8s %-24s %14s %14s %14s %8s %8s\n", "variable", "type", "shape", "min", "max",
           "mean", "nan", "inf");
    for (int64_t v = 0; v < var_count; v++) {
        sciml_nc_var_info info;
        if (sciml_nc_var_get_info(reader, v, &info))
            continue;
        char shape[128] = "()";
        if (info.rank > 0) {
            size_t used = 0;
            used += (size_t)snprintf(shape, sizeof(shape), "(");
            for (int r = 0; r < info.rank && used < sizeof(shape); r++) {
                int64_t length = info.shape[r];
                if (r == 0 && info.is_record)
                    length = records_read;
                used += (size_t)snprintf(shape + used, sizeof(shape) - used, "%s%lld",
                                         r ? ", " : "", (long long)length);
            }
            if (used < sizeof(shape))
                snprintf(shape + used, sizeof(shape) - used, ")");
        }
        const variable_stats *s = &stats[v];
        if (s->finite_count > 0)
            printf("%-20s %-8s %-24s %14.6g %14.6g %14.6g %8lld %8lld\n", info.name,
                   sciml_nc_type_name(info.type), shape, s->min, s->max,
                   s->sum / (double)s->finite_count, (long long)s->nan_count,
                   (long long)s->inf_count);
        else
            printf("%-20s %-8s %-24s %14s %14s %14s %8lld %8lld\n", info.name,
                   sciml_nc_type_name(info.type), shape, "-", "-", "-", (long long)s->nan_count,
                   (long long)s->inf_count);
    }
}

int main(int argc, char **argv) {
    tool_set_name("sciml-info");
    info_options options;
    int usage_status = parse_options(argc, argv, &options);
    if (usage_status)
        return usage_status;

    sciml_ctx *ctx = NULL;
    if (sciml_ctx_create(&ctx)) {
        tool_error("out of memory");
        return TOOL_EXIT_FAILURE;
    }
    int exit_code = TOOL_EXIT_OK;
    sciml_nc_reader *reader = NULL;
    variable_stats *stats = NULL;
    if (sciml_nc_open(ctx, options.path, &reader)) {
        exit_code = tool_fail(ctx);
        goto done;
    }
    if (!options.quiet_header && print_header(ctx, reader)) {
        exit_code = tool_fail(ctx);
        goto done;
    }
    if (!options.header_only) {
        int64_t var_count = sciml_nc_var_count(reader);
        stats = sciml_calloc_array((size_t)(var_count ? var_count : 1), sizeof(*stats));
        if (!stats) {
            tool_error("out of memory");
            exit_code = TOOL_EXIT_FAILURE;
            goto done;
        }
        int64_t records_read = 0;
        if (gather_stats(ctx, reader, stats, &records_read)) {
            fflush(stdout);
            exit_code = tool_fail(ctx);
            goto done;
        }
        if (!options.quiet_header)
            printf("\n");
        print_stats(reader, stats, records_read);
    }
done:
    free(stats);
    sciml_nc_close(&reader);
    sciml_ctx_destroy(&ctx);
    if (fflush(stdout) != 0 && exit_code == TOOL_EXIT_OK) {
        tool_error("standard output: write failed");
        exit_code = TOOL_EXIT_FAILURE;
    }
    return exit_code;
}
