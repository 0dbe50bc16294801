/* netCDF classic writer. Layout (as netCDF-C lays out a file with no extra header space):
 *
 *   header | fixed variables in definition order, each padded to 4 bytes (vsize)
 *          | records: record r holds every record variable's slice, in definition order
 *
 *   begin(fixed v_k)  = header_size + sum_{j<k} vsize(v_j)
 *   record_start      = end of the fixed data
 *   begin(record v_k) = record_start + sum_{j<k} vsize(v_j)   (over record variables)
 *   record_size       = sum vsize over record variables (unpadded size if only one)
 *
 * Bytes never written by the caller (unwritten fixed elements, skipped records, padding) get
 * the type's default fill value, as netCDF-C does. The writer tracks a high-water mark: every
 * byte below it is final. A forward write fills the gap up to its offset; on a seekable output
 * a write below the mark seeks back; on a pipe it is an error. One record is buffered at a
 * time, so record variables of a record may be written in any order.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "io/nc_internal.h"

#define WRITER_CHUNK ((int64_t)1 << 16)

typedef struct w_att {
    char *name;
    sciml_nc_type type;
    int64_t length;
    unsigned char *external; /* big-endian values, unpadded (text: the characters) */
} w_att;

typedef struct w_att_list {
    int64_t count, capacity;
    w_att *items;
} w_att_list;

typedef struct w_dim {
    char *name;
    int64_t length;
} w_dim;

typedef struct w_var {
    char *name;
    sciml_nc_type type;
    int rank;
    int64_t *dim_ids;
    int is_record;
    int64_t element_count; /* whole (fixed) or per record */
    int64_t bytes, vsize, begin;
    w_att_list attributes;
} w_var;

struct sciml_nc_writer {
    sciml_ctx *ctx;
    FILE *file;
    int owns_file;
    char *name;       /* for messages: the final path or the stream name */
    char *final_path; /* NULL for streams */
    char *temp_path;  /* NULL for streams */
    int seekable;
    int64_t base;
    sciml_nc_format requested_format;
    int format;
    int defining;
    int failed;
    int64_t declared_records; /* -1 unknown */
    int64_t dim_count, dim_capacity;
    w_dim *dims;
    int64_t record_dim;
    w_att_list globals;
    int64_t var_count, var_capacity;
    w_var *vars;
    int64_t header_size, fixed_end, record_start, record_size, record_var_count;
    int64_t position;   /* file position relative to base */
    int64_t high_water; /* every byte below is final */
    unsigned char *fill_record; /* (record_size) the image of a record never written */
    unsigned char *record_buffer;
    int64_t current_record;  /* record held in record_buffer, -1 when none */
    int64_t records_written; /* 1 + the highest record index written */
    unsigned char *scratch;  /* WRITER_CHUNK bytes: converted data on its way out */
    unsigned char *fill_buffer; /* WRITER_CHUNK bytes: fill patterns (never holds data) */
};

/* ---------------------------------------------------------------------------------------
 * Creation and definitions
 */

sciml_nc_writer_options sciml_nc_writer_default_options(void) {
    sciml_nc_writer_options options = {SCIML_NC_AUTO, -1};
    return options;
}

static void free_att_list(w_att_list *list) {
    for (int64_t i = 0; i < list->count; i++) {
        free(list->items[i].name);
        free(list->items[i].external);
    }
    free(list->items);
    memset(list, 0, sizeof(*list));
}

static void free_writer(sciml_nc_writer *w) {
    for (int64_t i = 0; i < w->dim_count; i++)
        free(w->dims[i].name);
    free(w->dims);
    for (int64_t i = 0; i < w->var_count; i++) {
        free(w->vars[i].name);
        free(w->vars[i].dim_ids);
        free_att_list(&w->vars[i].attributes);
    }
    free(w->vars);
    free_att_list(&w->globals);
    free(w->fill_record);
    free(w->record_buffer);
    free(w->scratch);
    free(w->fill_buffer);
    free(w->name);
    free(w->final_path);
    free(w->temp_path);
    free(w);
}

static sciml_status writer_new(sciml_ctx *ctx, const char *name,
                               const sciml_nc_writer_options *options, sciml_nc_writer **out) {
    sciml_nc_writer *w = calloc(1, sizeof(*w));
    if (!w)
        return sciml_error(ctx, SCIML_ERR_NOMEM, "%s: out of memory", name);
    w->ctx = ctx;
    w->name = strdup(name);
    w->scratch = malloc((size_t)WRITER_CHUNK);
    w->fill_buffer = malloc((size_t)WRITER_CHUNK);
    w->defining = 1;
    w->record_dim = -1;
    w->current_record = -1;
    sciml_nc_writer_options defaults = sciml_nc_writer_default_options();
    if (!options)
        options = &defaults;
    w->requested_format = options->format;
    w->declared_records = options->record_count < 0 ? -1 : options->record_count;
    if (!w->name || !w->scratch || !w->fill_buffer) {
        free_writer(w);
        return sciml_error(ctx, SCIML_ERR_NOMEM, "%s: out of memory", name);
    }
    if (options->format != SCIML_NC_AUTO && options->format != SCIML_NC_CDF1 &&
        options->format != SCIML_NC_CDF2 && options->format != SCIML_NC_CDF5) {
        free_writer(w);
        return sciml_error(ctx, SCIML_ERR_ARG, "%s: unknown format %d, expected 0, 1, 2 or 5", name,
                           (int)options->format);
    }
    *out = w;
    return SCIML_OK;
}

static void detect_seekable(sciml_nc_writer *w) {
    off_t here = ftello(w->file);
    if (here >= 0 && fseeko(w->file, here, SEEK_SET) == 0) {
        w->seekable = 1;
        w->base = (int64_t)here;
    }
    clearerr(w->file);
}

sciml_status sciml_nc_writer_create_stream(sciml_ctx *ctx, FILE *stream, const char *name,
                                           const sciml_nc_writer_options *options,
                                           sciml_nc_writer **out) {
    if (!out || !stream)
        return sciml_error(ctx, SCIML_ERR_ARG, "sciml_nc_writer_create_stream: NULL argument");
    *out = NULL;
    sciml_nc_writer *w;
    sciml_status status = writer_new(ctx, name ? name : "(stream)", options, &w);
    if (status)
        return status;
    w->file = stream;
    detect_seekable(w);
    *out = w;
    return SCIML_OK;
}

sciml_status sciml_nc_writer_create(sciml_ctx *ctx, const char *path,
                                    const sciml_nc_writer_options *options,
                                    sciml_nc_writer **out) {
    if (!out || !path || !*path)
        return sciml_error(ctx, SCIML_ERR_ARG, "sciml_nc_writer_create: empty path");
    *out = NULL;
    if (strcmp(path, "-") == 0)
        return sciml_nc_writer_create_stream(ctx, stdout, "(stdout)", options, out);
    sciml_nc_writer *w;
    sciml_status status = writer_new(ctx, path, options, &w);
    if (status)
        return status;
    /* Temporary name ".BASENAME.XXXXXX" in the directory of path. */
    const char *slash = strrchr(path, '/');
    size_t directory_length = slash ? (size_t)(slash - path) + 1 : 0;
    const char *base_name = slash ? slash + 1 : path;
    size_t size = directory_length + strlen(base_name) + 10;
    w->temp_path = malloc(size);
    w->final_path = strdup(path);
    if (!w->temp_path || !w->final_path) {
        free_writer(w);
        return sciml_error(ctx, SCIML_ERR_NOMEM, "%s: out of memory", path);
    }
    snprintf(w->temp_path, size, "%.*s.%s.XXXXXX", (int)directory_length, path, base_name);
    int fd = mkstemp(w->temp_path);
    if (fd < 0) {
        status = sciml_error(ctx, SCIML_ERR_IO, "%s: cannot create a temporary file %s: %s", path,
                             w->temp_path, strerror(errno));
        free_writer(w);
        return status;
    }
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(fd, (mode_t)(0666 & ~mask)) != 0) { /* mkstemp made it 0600 */
        /* not fatal: the file stays private */
    }
    w->file = fdopen(fd, "w+b");
    if (!w->file) {
        status = sciml_error(ctx, SCIML_ERR_IO, "%s: cannot open %s: %s", path, w->temp_path,
                             strerror(errno));
        close(fd);
        unlink(w->temp_path);
        free_writer(w);
        return status;
    }
    w->owns_file = 1;
    detect_seekable(w);
    *out = w;
    return SCIML_OK;
}

const char *sciml_nc_writer_temp_path(const sciml_nc_writer *w) { return w ? w->temp_path : NULL; }

sciml_nc_format sciml_nc_writer_format(const sciml_nc_writer *w) {
    return (sciml_nc_format)w->format;
}

static sciml_status require_defining(sciml_nc_writer *w, const char *call) {
    if (w->failed)
        return sciml_error(w->ctx, SCIML_ERR_STATE, "%s: %s after an earlier error", w->name, call);
    if (!w->defining)
        return sciml_error(w->ctx, SCIML_ERR_STATE,
                           "%s: %s after sciml_nc_end_def; define everything first", w->name, call);
    return SCIML_OK;
}

static sciml_status check_new_name(sciml_nc_writer *w, const char *what, const char *name) {
    if (!sciml_nc_name_is_valid(name))
        return sciml_error(w->ctx, SCIML_ERR_ARG,
                           "%s: %s name '%s' is not a valid netCDF name (UTF-8, 1 to %d bytes, "
                           "starting with a letter, digit or '_', no '/' or control characters)",
                           w->name, what, name ? name : "(null)", SCIML_NC_MAX_NAME);
    return SCIML_OK;
}

sciml_status sciml_nc_def_dim(sciml_nc_writer *w, const char *name, int64_t length, int64_t *dim) {
    sciml_status status = require_defining(w, "sciml_nc_def_dim");
    if (status == SCIML_OK)
        status = check_new_name(w, "dimension", name);
    if (status)
        return status;
    if (length < 0)
        return sciml_error(w->ctx, SCIML_ERR_ARG, "%s: dimension '%s' has negative length %lld",
                           w->name, name, (long long)length);
    for (int64_t i = 0; i < w->dim_count; i++)
        if (strcmp(w->dims[i].name, name) == 0)
            return sciml_error(w->ctx, SCIML_ERR_ARG, "%s: dimension '%s' is already defined",
                               w->name, name);
    if (length == 0 && w->record_dim >= 0)
        return sciml_error(w->ctx, SCIML_ERR_ARG,
                           "%s: dimension '%s' would be a second record dimension after '%s'",
                           w->name, name, w->dims[w->record_dim].name);
    if (w->dim_count >= SCIML_NC_MAX_ITEMS)
        return sciml_error(w->ctx, SCIML_ERR_RANGE, "%s: more than %d dimensions", w->name,
                           SCIML_NC_MAX_ITEMS);
    if (w->dim_count == w->dim_capacity) {
        int64_t grown = w->dim_capacity ? 2 * w->dim_capacity : 8;
        w_dim *bigger = realloc(w->dims, (size_t)grown * sizeof(w_dim));
        if (!bigger)
            return sciml_error(w->ctx, SCIML_ERR_NOMEM, "%s: out of memory", w->name);
        w->dims = bigger;
        w->dim_capacity = grown;
    }
    w_dim *d = &w->dims[w->dim_count];
    d->name = strdup(name);
    if (!d->name)
        return sciml_error(w->ctx, SCIML_ERR_NOMEM, "%s: out of memory", w->name);
    d->length = length;
    if (length == 0)
        w->record_dim = w->dim_count;
    if (dim)
        *dim = w->dim_count;
    w->dim_count++;
    return SCIML_OK;
}

int sciml_nc_writer_find_dim(const sciml_nc_writer *w, const char *name, int64_t *dim,
                             int64_t *length) {
    for (int64_t i = 0; i < w->dim_count; i++)
        if (strcmp(w->dims[i].name, name) == 0) {
            *dim = i;
            *length = w->dims[i].length;
            return 0;
        }
    return -1;
}

sciml_status sciml_nc_writer_find_var(sciml_nc_writer *w, const char *name, int64_t *var) {
    for (int64_t i = 0; i < w->var_count; i++)
        if (strcmp(w->vars[i].name, name) == 0) {
            *var = i;
            return SCIML_OK;
        }
    return sciml_error(w->ctx, SCIML_ERR_NOT_FOUND, "%s: no variable '%s' was defined", w->name,
                       name);
}

sciml_status sciml_nc_def_var(sciml_nc_writer *w, const char *name, sciml_nc_type type, int rank,
                              const int64_t *dim_ids, int64_t *var) {
    sciml_status status = require_defining(w, "sciml_nc_def_var");
    if (status == SCIML_OK)
        status = check_new_name(w, "variable", name);
    if (status)
        return status;
    if (!sciml_nc_type_is_valid((int)type))
        return sciml_error(w->ctx, SCIML_ERR_ARG, "%s: variable '%s' has invalid type %d",
                           w->name, name, (int)type);
    if (rank < 0 || rank > SCIML_NC_MAX_RANK || (rank > 0 && !dim_ids))
        return sciml_error(w->ctx, SCIML_ERR_ARG, "%s: variable '%s' has invalid rank %d", w->name,
                           name, rank);
    for (int64_t i = 0; i < w->var_count; i++)
        if (strcmp(w->vars[i].name, name) == 0)
            return sciml_error(w->ctx, SCIML_ERR_ARG, "%s: variable '%s' is already defined",
                               w->name, name);
    int64_t elements = 1;
    int is_record = 0;
    for (int d = 0; d < rank; d++) {
        int64_t id = dim_ids[d];
        if (id < 0 || id >= w->dim_count)
            return sciml_error(w->ctx, SCIML_ERR_ARG,
                               "%s: variable '%s' uses dimension id %lld, expected 0..%lld",
                               w->name, name, (long long)id, (long long)w->dim_count - 1);
        if (id == w->record_dim) {
            if (d != 0)
                return sciml_error(w->ctx, SCIML_ERR_ARG,
                                   "%s: variable '%s' uses the record dimension as dimension %d; "
                                   "it may only be the first",
                                   w->name, name, d);
            is_record = 1;
            continue;
        }
        if (sciml_mul_i64(elements, w->dims[id].length, &elements))
            return sciml_error(w->ctx, SCIML_ERR_OVERFLOW, "%s: variable '%s' is too large",
                               w->name, name);
    }
    int64_t bytes, vsize;
    if (sciml_mul_i64(elements, sciml_nc_type_size(type), &bytes) ||
        sciml_add_i64(bytes, sciml_nc_padding(bytes), &vsize))
        return sciml_error(w->ctx, SCIML_ERR_OVERFLOW, "%s: variable '%s' is too large", w->name,
                           name);
    if (w->var_count >= SCIML_NC_MAX_ITEMS)
        return sciml_error(w->ctx, SCIML_ERR_RANGE, "%s: more than %d variables", w->name,
                           SCIML_NC_MAX_ITEMS);
    if (w->var_count == w->var_capacity) {
        int64_t grown = w->var_capacity ? 2 * w->var_capacity : 8;
        w_var *bigger = realloc(w->vars, (size_t)grown * sizeof(w_var));
        if (!bigger)
            return sciml_error(w->ctx, SCIML_ERR_NOMEM, "%s: out of memory", w->name);
        w->vars = bigger;
        w->var_capacity = grown;
    }
    w_var *v = &w->vars[w->var_count];
    memset(v, 0, sizeof(*v));
    v->name = strdup(name);
    v->dim_ids = malloc((size_t)(rank ? rank : 1) * sizeof(int64_t));
    if (!v->name || !v->dim_ids) {
        free(v->name);
        free(v->dim_ids);
        return sciml_error(w->ctx, SCIML_ERR_NOMEM, "%s: out of memory", w->name);
    }
    if (rank)
        memcpy(v->dim_ids, dim_ids, (size_t)rank * sizeof(int64_t));
    v->type = type;
    v->rank = rank;
    v->is_record = is_record;
    v->element_count = elements;
    v->bytes = bytes;
    v->vsize = vsize;
    if (var)
        *var = w->var_count;
    w->var_count++;
    return SCIML_OK;
}

static w_att_list *writer_att_list(sciml_nc_writer *w, int64_t var) {
    if (var == SCIML_NC_GLOBAL)
        return &w->globals;
    if (var < 0 || var >= w->var_count)
        return NULL;
    return &w->vars[var].attributes;
}

/* Stores an attribute from external (big-endian) bytes, taking ownership of `external`. */
static sciml_status put_att_external(sciml_nc_writer *w, int64_t var, const char *name,
                                     sciml_nc_type type, int64_t length, unsigned char *external) {
    w_att_list *list = writer_att_list(w, var);
    sciml_status status = SCIML_OK;
    if (!list)
        status = sciml_error(w->ctx, SCIML_ERR_ARG, "%s: attribute '%s': no variable %lld",
                             w->name, name ? name : "(null)", (long long)var);
    if (status == SCIML_OK)
        status = check_new_name(w, "attribute", name);
    if (status) {
        free(external);
        return status;
    }
    for (int64_t i = 0; i < list->count; i++)
        if (strcmp(list->items[i].name, name) == 0) {
            free(list->items[i].external);
            list->items[i].type = type;
            list->items[i].length = length;
            list->items[i].external = external;
            return SCIML_OK;
        }
    if (list->count >= SCIML_NC_MAX_ITEMS) {
        free(external);
        return sciml_error(w->ctx, SCIML_ERR_RANGE, "%s: more than %d attributes", w->name,
                           SCIML_NC_MAX_ITEMS);
    }
    if (list->count == list->capacity) {
        int64_t grown = list->capacity ? 2 * list->capacity : 8;
        w_att *bigger = realloc(list->items, (size_t)grown * sizeof(w_att));
        if (!bigger) {
            free(external);
            return sciml_error(w->ctx, SCIML_ERR_NOMEM, "%s: out of memory", w->name);
        }
        list->items = bigger;
        list->capacity = grown;
    }
    w_att *att = &list->items[list->count];
    att->name = strdup(name);
    if (!att->name) {
        free(external);
        return sciml_error(w->ctx, SCIML_ERR_NOMEM, "%s: out of memory", w->name);
    }
    att->type = type;
    att->length = length;
    att->external = external;
    list->count++;
    return SCIML_OK;
}

static sciml_status att_buffer(sciml_nc_writer *w, sciml_nc_type type, int64_t count,
                               unsigned char **out) {
    size_t bytes;
    *out = NULL;
    if (!sciml_nc_type_is_valid((int)type))
        return sciml_error(w->ctx, SCIML_ERR_ARG, "%s: invalid attribute type %d", w->name,
                           (int)type);
    if (count < 0 || sciml_mul_size((size_t)count, (size_t)sciml_nc_type_size(type), &bytes))
        return sciml_error(w->ctx, SCIML_ERR_ARG, "%s: invalid attribute length %lld", w->name,
                           (long long)count);
    *out = malloc(bytes + 8);
    if (!*out)
        return sciml_error(w->ctx, SCIML_ERR_NOMEM, "%s: out of memory", w->name);
    return SCIML_OK;
}

sciml_status sciml_nc_put_att_raw(sciml_nc_writer *w, int64_t var, const char *name,
                                  sciml_nc_type type, const void *values, int64_t count) {
    sciml_status status = require_defining(w, "sciml_nc_put_att");
    if (status)
        return status;
    unsigned char *external;
    status = att_buffer(w, type, count, &external);
    if (status)
        return status;
    if (count > 0)
        sciml_nc_encode(type, values, external, (size_t)count);
    return put_att_external(w, var, name, type, count, external);
}

sciml_status sciml_nc_put_att_text(sciml_nc_writer *w, int64_t var, const char *name,
                                   const char *text) {
    if (!text)
        text = "";
    return sciml_nc_put_att_raw(w, var, name, SCIML_NC_CHAR, text, (int64_t)strlen(text));
}

sciml_status sciml_nc_put_att_double(sciml_nc_writer *w, int64_t var, const char *name,
                                     sciml_nc_type type, const double *values, int64_t count) {
    sciml_status status = require_defining(w, "sciml_nc_put_att");
    if (status)
        return status;
    unsigned char *external;
    status = att_buffer(w, type, count, &external);
    if (status)
        return status;
    /* external has room for count 8-byte values only when type is 8 bytes wide; convert
     * through a native buffer of the type's size. */
    int64_t bad = count > 0 ? sciml_nc_double_to_native(type, values, external, (size_t)count) : -1;
    if (bad >= 0) {
        free(external);
        return sciml_error(w->ctx, SCIML_ERR_RANGE,
                           "%s: attribute '%s': value %g (index %lld) does not fit type %s",
                           w->name, name, values[bad], (long long)bad, sciml_nc_type_name(type));
    }
    if (count > 0)
        sciml_nc_encode(type, external, external, (size_t)count);
    return put_att_external(w, var, name, type, count, external);
}

sciml_status sciml_nc_put_att_int(sciml_nc_writer *w, int64_t var, const char *name,
                                  int64_t value) {
    if (value >= INT32_MIN && value <= INT32_MAX) {
        int32_t v = (int32_t)value;
        return sciml_nc_put_att_raw(w, var, name, SCIML_NC_INT, &v, 1);
    }
    return sciml_nc_put_att_raw(w, var, name, SCIML_NC_INT64, &value, 1);
}

sciml_status sciml_nc_append_history(sciml_nc_writer *w, const char *line) {
    sciml_status status = require_defining(w, "sciml_nc_append_history");
    if (status)
        return status;
    char date[32];
    time_t now = time(NULL);
    struct tm utc;
    if (gmtime_r(&now, &utc))
        strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &utc);
    else
        snprintf(date, sizeof(date), "unknown-date");
    const char *old = "";
    int64_t old_length = 0;
    for (int64_t i = 0; i < w->globals.count; i++)
        if (strcmp(w->globals.items[i].name, "history") == 0 &&
            w->globals.items[i].type == SCIML_NC_CHAR) {
            old = (const char *)w->globals.items[i].external;
            old_length = w->globals.items[i].length;
        }
    size_t line_length = strlen(line ? line : "");
    size_t size = strlen(date) + 2 + line_length + 1 + (size_t)old_length + 1;
    char *text = malloc(size);
    if (!text)
        return sciml_error(w->ctx, SCIML_ERR_NOMEM, "%s: out of memory", w->name);
    int n = snprintf(text, size, "%s: %s", date, line ? line : "");
    if (old_length > 0) {
        text[n] = '\n';
        memcpy(text + n + 1, old, (size_t)old_length);
        n += 1 + (int)old_length;
    }
    text[n] = '\0';
    /* Strip trailing newlines so lines stay "newest\nolder". */
    while (n > 0 && text[n - 1] == '\n')
        text[--n] = '\0';
    return put_att_external(w, SCIML_NC_GLOBAL, "history", SCIML_NC_CHAR, n,
                            (unsigned char *)text);
}

sciml_status sciml_nc_set_record_count(sciml_nc_writer *w, int64_t record_count) {
    sciml_status status = require_defining(w, "sciml_nc_set_record_count");
    if (status)
        return status;
    w->declared_records = record_count < 0 ? -1 : record_count;
    return SCIML_OK;
}

/* ---------------------------------------------------------------------------------------
 * Header
 */

static int64_t name_size(int width, const char *name) {
    int64_t length = (int64_t)strlen(name);
    return width + length + sciml_nc_padding(length);
}

static int64_t att_list_size(int width, const w_att_list *list) {
    int64_t size = 4 + width;
    for (int64_t i = 0; i < list->count; i++) {
        int64_t bytes = list->items[i].length * sciml_nc_type_size(list->items[i].type);
        size += name_size(width, list->items[i].name) + 4 + width + bytes + sciml_nc_padding(bytes);
    }
    return size;
}

static int needs_cdf5(const sciml_nc_writer *w, const char **why) {
    for (int64_t i = 0; i < w->dim_count; i++)
        if (w->dims[i].length > INT32_MAX) {
            *why = w->dims[i].name;
            return 1;
        }
    for (int64_t i = 0; i < w->var_count; i++) {
        const w_var *v = &w->vars[i];
        if (sciml_nc_type_is_cdf5_only(v->type) || v->vsize > (int64_t)UINT32_MAX - 3) {
            *why = v->name;
            return 1;
        }
        for (int64_t k = 0; k < v->attributes.count; k++)
            if (sciml_nc_type_is_cdf5_only(v->attributes.items[k].type) ||
                v->attributes.items[k].length > INT32_MAX) {
                *why = v->attributes.items[k].name;
                return 1;
            }
    }
    for (int64_t k = 0; k < w->globals.count; k++)
        if (sciml_nc_type_is_cdf5_only(w->globals.items[k].type) ||
            w->globals.items[k].length > INT32_MAX) {
            *why = w->globals.items[k].name;
            return 1;
        }
    if (w->declared_records > INT32_MAX - 1) {
        *why = "the record count";
        return 1;
    }
    return 0;
}

typedef struct header_cursor {
    unsigned char *p;
    int width;
} header_cursor;

static void put_count(header_cursor *c, int64_t value) {
    if (c->width == 8) {
        sciml_nc_put_u64(c->p, (uint64_t)value);
        c->p += 8;
    } else {
        sciml_nc_put_u32(c->p, (uint32_t)value);
        c->p += 4;
    }
}

static void put_u32(header_cursor *c, uint32_t value) {
    sciml_nc_put_u32(c->p, value);
    c->p += 4;
}

static void put_name(header_cursor *c, const char *name) {
    int64_t length = (int64_t)strlen(name);
    put_count(c, length);
    memcpy(c->p, name, (size_t)length);
    memset(c->p + length, 0, (size_t)sciml_nc_padding(length));
    c->p += length + sciml_nc_padding(length);
}

static void put_att_list(header_cursor *c, const w_att_list *list) {
    put_u32(c, list->count ? SCIML_NC_TAG_ATTRIBUTE : 0);
    put_count(c, list->count);
    for (int64_t i = 0; i < list->count; i++) {
        const w_att *att = &list->items[i];
        int64_t bytes = att->length * sciml_nc_type_size(att->type);
        put_name(c, att->name);
        put_u32(c, (uint32_t)att->type);
        put_count(c, att->length);
        if (bytes)
            memcpy(c->p, att->external, (size_t)bytes);
        memset(c->p + bytes, 0, (size_t)sciml_nc_padding(bytes));
        c->p += bytes + sciml_nc_padding(bytes);
    }
}

/* Writes n bytes at the current position (position must equal the target offset). */
static sciml_status write_bytes(sciml_nc_writer *w, const void *data, int64_t n) {
    if (n > 0 && fwrite(data, 1, (size_t)n, w->file) != (size_t)n) {
        w->failed = 1;
        return sciml_error(w->ctx, SCIML_ERR_IO, "%s: write error at offset %lld: %s", w->name,
                           (long long)w->position, strerror(errno));
    }
    w->position += n;
    return SCIML_OK;
}

sciml_status sciml_nc_end_def(sciml_nc_writer *w) {
    sciml_status status = require_defining(w, "sciml_nc_end_def");
    if (status)
        return status;
    const char *why = NULL;
    int need5 = needs_cdf5(w, &why);
    if (w->requested_format == SCIML_NC_AUTO)
        w->format = need5 ? 5 : 2;
    else if (need5 && w->requested_format != SCIML_NC_CDF5)
        return sciml_error(w->ctx, SCIML_ERR_RANGE,
                           "%s: '%s' needs CDF-5 (a 64-bit or unsigned type, or a size beyond "
                           "the 32-bit limits) but CDF-%d was requested",
                           w->name, why, (int)w->requested_format);
    else
        w->format = (int)w->requested_format;
    int width = w->format == 5 ? 8 : 4;
    int offset_width = w->format == 1 ? 4 : 8;

    /* Header size. */
    int64_t size = 4 + width + 4 + width;
    for (int64_t i = 0; i < w->dim_count; i++)
        size += name_size(width, w->dims[i].name) + width;
    size += att_list_size(width, &w->globals) + 4 + width;
    for (int64_t i = 0; i < w->var_count; i++) {
        const w_var *v = &w->vars[i];
        size += name_size(width, v->name) + width + (int64_t)v->rank * width +
                att_list_size(width, &v->attributes) + 4 + width + offset_width;
    }
    w->header_size = size;

    /* Layout. */
    int64_t offset = size;
    for (int64_t i = 0; i < w->var_count; i++)
        if (!w->vars[i].is_record) {
            w->vars[i].begin = offset;
            if (sciml_add_i64(offset, w->vars[i].vsize, &offset))
                return sciml_error(w->ctx, SCIML_ERR_OVERFLOW, "%s: the file is too large",
                                   w->name);
        }
    w->fixed_end = offset;
    w->record_start = offset;
    int64_t record_size = 0;
    for (int64_t i = 0; i < w->var_count; i++)
        if (w->vars[i].is_record) {
            w->vars[i].begin = offset + record_size;
            w->record_var_count++;
            if (sciml_add_i64(record_size, w->vars[i].vsize, &record_size))
                return sciml_error(w->ctx, SCIML_ERR_OVERFLOW, "%s: the record is too large",
                                   w->name);
        }
    if (w->record_var_count == 1)
        for (int64_t i = 0; i < w->var_count; i++)
            if (w->vars[i].is_record)
                record_size = w->vars[i].bytes;
    w->record_size = record_size;
    if (w->format == 1)
        for (int64_t i = 0; i < w->var_count; i++)
            if (w->vars[i].begin > INT32_MAX)
                return sciml_error(w->ctx, SCIML_ERR_RANGE,
                                   "%s: variable '%s' would begin at offset %lld, beyond CDF-1's "
                                   "2 GiB limit; use CDF-2 or CDF-5",
                                   w->name, w->vars[i].name, (long long)w->vars[i].begin);

    /* Fill image of one record and the record buffer. */
    if (w->record_var_count > 0 && record_size > 0) {
        w->fill_record = malloc((size_t)record_size);
        w->record_buffer = malloc((size_t)record_size);
        if (!w->fill_record || !w->record_buffer)
            return sciml_error(w->ctx, SCIML_ERR_NOMEM,
                               "%s: out of memory for a record of %lld bytes", w->name,
                               (long long)record_size);
        memset(w->fill_record, 0, (size_t)record_size);
        for (int64_t i = 0; i < w->var_count; i++) {
            const w_var *v = &w->vars[i];
            if (!v->is_record)
                continue;
            int size_of = sciml_nc_type_size(v->type);
            int64_t span = v->vsize;
            if (v->begin - w->record_start + span > record_size)
                span = record_size - (v->begin - w->record_start);
            sciml_nc_fill_external(v->type, w->fill_record + (v->begin - w->record_start),
                                   (size_t)(span / size_of));
        }
    }

    /* Serialize. */
    unsigned char *header = calloc(1, (size_t)size);
    if (!header)
        return sciml_error(w->ctx, SCIML_ERR_NOMEM, "%s: out of memory", w->name);
    header_cursor c = {header, width};
    memcpy(c.p, "CDF", 3);
    c.p[3] = (unsigned char)w->format;
    c.p += 4;
    if (w->declared_records >= 0)
        put_count(&c, w->declared_records);
    else if (w->seekable)
        put_count(&c, 0); /* patched at close */
    else
        put_count(&c, -1); /* streaming marker: all ones */
    put_u32(&c, w->dim_count ? SCIML_NC_TAG_DIMENSION : 0);
    put_count(&c, w->dim_count);
    for (int64_t i = 0; i < w->dim_count; i++) {
        put_name(&c, w->dims[i].name);
        put_count(&c, w->dims[i].length);
    }
    put_att_list(&c, &w->globals);
    put_u32(&c, w->var_count ? SCIML_NC_TAG_VARIABLE : 0);
    put_count(&c, w->var_count);
    for (int64_t i = 0; i < w->var_count; i++) {
        const w_var *v = &w->vars[i];
        put_name(&c, v->name);
        put_count(&c, v->rank);
        for (int d = 0; d < v->rank; d++)
            put_count(&c, v->dim_ids[d]);
        put_att_list(&c, &v->attributes);
        put_u32(&c, (uint32_t)v->type);
        put_count(&c, v->vsize);
        if (offset_width == 8) {
            sciml_nc_put_u64(c.p, (uint64_t)v->begin);
            c.p += 8;
        } else {
            put_u32(&c, (uint32_t)v->begin);
        }
    }
    SCIML_ASSERT(c.p == header + size);
    w->defining = 0;
    status = write_bytes(w, header, size);
    free(header);
    if (status)
        return status;
    w->high_water = size;
    return SCIML_OK;
}

/* ---------------------------------------------------------------------------------------
 * Data
 */

static sciml_status seek_to(sciml_nc_writer *w, int64_t offset) {
    if (w->position == offset)
        return SCIML_OK;
    if (!w->seekable || fseeko(w->file, (off_t)(w->base + offset), SEEK_SET) != 0) {
        w->failed = 1;
        return sciml_error(w->ctx, SCIML_ERR_IO, "%s: cannot seek to offset %lld: %s", w->name,
                           (long long)offset, w->seekable ? strerror(errno) : "not seekable");
    }
    w->position = offset;
    return SCIML_OK;
}

/* Writes fill bytes from the high-water mark up to `offset`. */
static sciml_status fill_to(sciml_nc_writer *w, int64_t offset) {
    if (offset <= w->high_water)
        return SCIML_OK;
    sciml_status status = seek_to(w, w->high_water);
    if (status)
        return status;
    while (w->high_water < offset) {
        int64_t at = w->high_water, n = offset - at;
        if (n > WRITER_CHUNK)
            n = WRITER_CHUNK;
        if (at >= w->record_start && w->record_size > 0) {
            int64_t phase = (at - w->record_start) % w->record_size;
            if (n > w->record_size - phase)
                n = w->record_size - phase;
            status = write_bytes(w, w->fill_record + phase, n);
        } else {
            const w_var *inside = NULL;
            for (int64_t i = 0; i < w->var_count; i++) {
                const w_var *v = &w->vars[i];
                if (!v->is_record && at >= v->begin && at < v->begin + v->vsize) {
                    inside = v;
                    break;
                }
            }
            if (!inside) {
                memset(w->fill_buffer, 0, (size_t)n);
                status = write_bytes(w, w->fill_buffer, n);
            } else {
                int size = sciml_nc_type_size(inside->type);
                int64_t phase = (at - inside->begin) % size;
                if (n > inside->begin + inside->vsize - at)
                    n = inside->begin + inside->vsize - at;
                int64_t elements = (phase + n + size - 1) / size;
                if (elements * size > WRITER_CHUNK) {
                    elements = WRITER_CHUNK / size;
                    n = elements * size - phase;
                }
                sciml_nc_fill_external(inside->type, w->fill_buffer, (size_t)elements);
                status = write_bytes(w, w->fill_buffer + phase, n);
            }
        }
        if (status)
            return status;
        w->high_water = w->position;
    }
    return SCIML_OK;
}

/* Writes `n` external bytes at `offset`, filling any gap before it. */
static sciml_status write_at(sciml_nc_writer *w, int64_t offset, const unsigned char *data,
                             int64_t n, const char *what) {
    sciml_status status;
    if (offset >= w->high_water) {
        status = fill_to(w, offset);
        if (status == SCIML_OK)
            status = seek_to(w, offset);
    } else if (!w->seekable) {
        return sciml_error(w->ctx, SCIML_ERR_STATE,
                           "%s: %s goes to offset %lld but %lld bytes were already written to "
                           "this non-seekable output: write fixed variables in definition order "
                           "and records in increasing order",
                           w->name, what, (long long)offset, (long long)w->high_water);
    } else {
        status = seek_to(w, offset);
    }
    if (status == SCIML_OK)
        status = write_bytes(w, data, n);
    if (status == SCIML_OK && w->position > w->high_water)
        w->high_water = w->position;
    return status;
}

static sciml_status require_data_mode(sciml_nc_writer *w, int64_t var, const char *call) {
    if (w->failed)
        return sciml_error(w->ctx, SCIML_ERR_STATE, "%s: %s after an earlier error", w->name, call);
    if (w->defining)
        return sciml_error(w->ctx, SCIML_ERR_STATE, "%s: %s before sciml_nc_end_def", w->name,
                           call);
    if (var < 0 || var >= w->var_count)
        return sciml_error(w->ctx, SCIML_ERR_ARG, "%s: %s: no variable %lld", w->name, call,
                           (long long)var);
    return SCIML_OK;
}

/* Converts count values (doubles when as_double, else native) to external bytes in
 * scratch-sized pieces and hands each piece to write_at or to the record buffer. */
static sciml_status convert_and_write(sciml_nc_writer *w, const w_var *v, int64_t offset,
                                      unsigned char *record_destination, int64_t count,
                                      int as_double, const void *values, const char *what) {
    int size = sciml_nc_type_size(v->type);
    int64_t per_chunk = WRITER_CHUNK / 8;
    for (int64_t done = 0; done < count;) {
        int64_t n = count - done < per_chunk ? count - done : per_chunk;
        if (as_double) {
            const double *source = (const double *)values + done;
            int64_t bad = sciml_nc_double_to_native(v->type, source, w->scratch, (size_t)n);
            if (bad >= 0)
                return sciml_error(w->ctx, SCIML_ERR_RANGE,
                                   "%s: %s: value %g at index %lld does not fit type %s", w->name,
                                   what, source[bad], (long long)(done + bad),
                                   sciml_nc_type_name(v->type));
            sciml_nc_encode(v->type, w->scratch, w->scratch, (size_t)n);
        } else {
            sciml_nc_encode(v->type, (const unsigned char *)values + done * size, w->scratch,
                            (size_t)n);
        }
        if (record_destination) {
            memcpy(record_destination + done * size, w->scratch, (size_t)(n * size));
        } else {
            sciml_status status = write_at(w, offset + done * size, w->scratch, n * size, what);
            if (status)
                return status;
        }
        done += n;
    }
    return SCIML_OK;
}

static sciml_status write_fixed(sciml_nc_writer *w, int64_t var, int64_t start, int64_t count,
                                int as_double, const void *values) {
    sciml_status status = require_data_mode(w, var, "sciml_nc_write_var");
    if (status)
        return status;
    const w_var *v = &w->vars[var];
    if (v->is_record)
        return sciml_error(w->ctx, SCIML_ERR_ARG,
                           "%s: variable '%s' is a record variable; write it with "
                           "sciml_nc_write_record",
                           w->name, v->name);
    int64_t end;
    if (start < 0 || count < 0 || sciml_add_i64(start, count, &end) || end > v->element_count)
        return sciml_error(w->ctx, SCIML_ERR_RANGE,
                           "%s: variable '%s': elements [%lld, %lld + %lld) are outside its %lld "
                           "elements",
                           w->name, v->name, (long long)start, (long long)start, (long long)count,
                           (long long)v->element_count);
    char what[SCIML_NC_MAX_NAME + 32];
    snprintf(what, sizeof(what), "variable '%s'", v->name);
    return convert_and_write(w, v, v->begin + start * sciml_nc_type_size(v->type), NULL, count,
                             as_double, values, what);
}

sciml_status sciml_nc_write_var(sciml_nc_writer *w, int64_t var, int64_t start, int64_t count,
                                const double *values) {
    return write_fixed(w, var, start, count, 1, values);
}

sciml_status sciml_nc_write_var_raw(sciml_nc_writer *w, int64_t var, int64_t start,
                                    int64_t count, const void *values) {
    return write_fixed(w, var, start, count, 0, values);
}

static sciml_status flush_record(sciml_nc_writer *w) {
    if (w->current_record < 0)
        return SCIML_OK;
    int64_t offset = w->record_start + w->current_record * w->record_size;
    char what[48];
    snprintf(what, sizeof(what), "record %lld", (long long)w->current_record);
    sciml_status status = write_at(w, offset, w->record_buffer, w->record_size, what);
    w->current_record = -1;
    return status;
}

static sciml_status write_one_record(sciml_nc_writer *w, int64_t var, int64_t record,
                                     int as_double, const void *values) {
    sciml_status status = require_data_mode(w, var, "sciml_nc_write_record");
    if (status)
        return status;
    const w_var *v = &w->vars[var];
    if (!v->is_record)
        return sciml_error(w->ctx, SCIML_ERR_ARG,
                           "%s: variable '%s' is not a record variable; write it with "
                           "sciml_nc_write_var",
                           w->name, v->name);
    int64_t limit = w->format == 5 ? INT64_MAX : INT32_MAX - 1;
    if (record < 0 || record >= limit ||
        (w->declared_records >= 0 && record >= w->declared_records))
        return sciml_error(w->ctx, SCIML_ERR_RANGE,
                           "%s: variable '%s': record %lld is outside the %lld declared records",
                           w->name, v->name, (long long)record, (long long)w->declared_records);
    int64_t offset;
    if (sciml_mul_i64(record, w->record_size, &offset) ||
        sciml_add_i64(offset, w->record_start, &offset))
        return sciml_error(w->ctx, SCIML_ERR_OVERFLOW, "%s: record %lld is beyond any offset",
                           w->name, (long long)record);
    char what[SCIML_NC_MAX_NAME + 48];
    snprintf(what, sizeof(what), "record %lld of variable '%s'", (long long)record, v->name);
    if (record != w->current_record) {
        int64_t record_end = offset + w->record_size;
        if (record < w->current_record || record_end <= w->high_water) {
            /* An earlier record: already written (or filled); overwrite in place. */
            if (!w->seekable)
                return sciml_error(w->ctx, SCIML_ERR_STATE,
                                   "%s: %s: records must be written in increasing order on a "
                                   "non-seekable output (record %lld is being written)",
                                   w->name, what, (long long)w->current_record);
            status = convert_and_write(w, v, v->begin + record * w->record_size, NULL,
                                       v->element_count, as_double, values, what);
            if (status == SCIML_OK && record + 1 > w->records_written)
                w->records_written = record + 1;
            return status;
        }
        status = flush_record(w);
        if (status)
            return status;
        if (w->record_size > 0)
            memcpy(w->record_buffer, w->fill_record, (size_t)w->record_size);
        w->current_record = record;
    }
    if (record + 1 > w->records_written)
        w->records_written = record + 1;
    unsigned char *destination =
        w->record_size > 0 ? w->record_buffer + (v->begin - w->record_start) : NULL;
    if (!destination || v->element_count == 0)
        return SCIML_OK;
    return convert_and_write(w, v, 0, destination, v->element_count, as_double, values, what);
}

sciml_status sciml_nc_write_record(sciml_nc_writer *w, int64_t var, int64_t record,
                                   const double *values) {
    return write_one_record(w, var, record, 1, values);
}

sciml_status sciml_nc_write_record_raw(sciml_nc_writer *w, int64_t var, int64_t record,
                                       const void *values) {
    return write_one_record(w, var, record, 0, values);
}

sciml_status sciml_nc_write_records(sciml_nc_writer *w, int64_t var, int64_t first, int64_t count,
                                    const double *values) {
    sciml_status status = require_data_mode(w, var, "sciml_nc_write_records");
    if (status)
        return status;
    int64_t per_record = w->vars[var].element_count;
    for (int64_t i = 0; i < count; i++) {
        status = write_one_record(w, var, first + i, 1, values + i * per_record);
        if (status)
            return status;
    }
    return SCIML_OK;
}

/* ---------------------------------------------------------------------------------------
 * Close and abort
 */

static void discard(sciml_nc_writer *w) {
    if (w->owns_file && w->file)
        fclose(w->file);
    w->file = NULL;
    if (w->temp_path)
        unlink(w->temp_path);
}

static sciml_status finish(sciml_nc_writer *w) {
    if (w->failed)
        return sciml_error(w->ctx, SCIML_ERR_STATE,
                           "%s: not written because of an earlier error", w->name);
    sciml_status status = SCIML_OK;
    if (w->defining)
        status = sciml_nc_end_def(w);
    if (status == SCIML_OK)
        status = flush_record(w);
    if (status)
        return status;
    int64_t records = w->record_var_count > 0 ? w->records_written : 0;
    if (w->declared_records >= 0 && records != w->declared_records && w->record_var_count > 0)
        return sciml_error(w->ctx, SCIML_ERR_STATE,
                           "%s: %lld records were declared but %lld were written", w->name,
                           (long long)w->declared_records, (long long)records);
    if (w->format != 5 && records > INT32_MAX - 1)
        return sciml_error(w->ctx, SCIML_ERR_RANGE,
                           "%s: %lld records do not fit CDF-%d's 32-bit record count", w->name,
                           (long long)records, w->format);
    int64_t end = w->record_var_count > 0 ? w->record_start + records * w->record_size
                                          : w->fixed_end;
    status = fill_to(w, end);
    if (status)
        return status;
    if (w->declared_records < 0 && w->seekable && w->record_var_count > 0) {
        unsigned char bytes[8];
        int width = w->format == 5 ? 8 : 4;
        if (width == 8)
            sciml_nc_put_u64(bytes, (uint64_t)records);
        else
            sciml_nc_put_u32(bytes, (uint32_t)records);
        status = seek_to(w, 4);
        if (status == SCIML_OK)
            status = write_bytes(w, bytes, width);
        if (status)
            return status;
    }
    if (fflush(w->file) != 0) {
        w->failed = 1;
        return sciml_error(w->ctx, SCIML_ERR_IO, "%s: write error: %s", w->name, strerror(errno));
    }
    if (w->owns_file) {
        FILE *file = w->file;
        w->file = NULL;
        if (fclose(file) != 0)
            return sciml_error(w->ctx, SCIML_ERR_IO, "%s: write error at close: %s", w->name,
                               strerror(errno));
        if (rename(w->temp_path, w->final_path) != 0)
            return sciml_error(w->ctx, SCIML_ERR_IO, "%s: cannot rename %s onto it: %s", w->name,
                               w->temp_path, strerror(errno));
        free(w->temp_path);
        w->temp_path = NULL;
    }
    return SCIML_OK;
}

sciml_status sciml_nc_writer_close(sciml_nc_writer **writer) {
    if (!writer || !*writer)
        return SCIML_OK;
    sciml_nc_writer *w = *writer;
    sciml_status status = finish(w);
    if (status)
        discard(w);
    free_writer(w);
    *writer = NULL;
    return status;
}

void sciml_nc_writer_abort(sciml_nc_writer **writer) {
    if (!writer || !*writer)
        return;
    discard(*writer);
    free_writer(*writer);
    *writer = NULL;
}
