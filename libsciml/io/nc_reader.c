/* netCDF classic reader (CDF-1, CDF-2, CDF-5), following the format grammar:
 *
 *   file    = header data
 *   header  = 'C' 'D' 'F' version numrecs dim_list gatt_list var_list
 *   list    = ABSENT | tag nelems [item ...]      (ABSENT = ZERO ZERO, or ZERO ZERO64 in CDF-5)
 *   dim     = name dim_length                     (length 0 marks the record dimension)
 *   att     = name nc_type nelems [values] pad4
 *   var     = name nelems [dimid ...] vatt_list nc_type vsize begin
 *
 * Counts (nelems, dim lengths, dimids, vsize, numrecs) are 4 bytes in CDF-1/2 and 8 bytes in
 * CDF-5; begin is 4 bytes in CDF-1 and 8 bytes otherwise. Data of record r of a record
 * variable v lies at v.begin + r * record_size with record_size = sum of the record
 * variables' vsize (the unpadded size when there is a single record variable).
 *
 * Every count read from the file is checked (sign, caps, products for overflow, sizes against
 * the file length when it is known); allocation is bounded by what the input really holds, so
 * a hostile header cannot make the reader allocate more than a small multiple of the bytes it
 * has actually read. On a non-seekable input the reader only moves forward and holds one
 * record in memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "io/nc_internal.h"

#define CHUNK_BYTES ((int64_t)1 << 16) /* scratch size for conversions and skips */

typedef struct nc_attribute {
    char *name;
    sciml_nc_type type;
    int64_t length;
    void *values; /* host-order native values; NC_CHAR NUL-terminated */
} nc_attribute;

typedef struct nc_att_list {
    int64_t count;
    nc_attribute *items;
} nc_att_list;

typedef struct nc_dim {
    char *name;
    int64_t length;
} nc_dim;

typedef struct nc_var {
    char *name;
    int rank;
    int64_t *dim_ids;
    int64_t *shape;
    sciml_nc_type type;
    int is_record;
    int64_t element_count; /* whole (fixed) or per record */
    int64_t bytes;         /* unpadded bytes of element_count elements */
    int64_t vsize;         /* bytes padded to 4 */
    int64_t begin;
    nc_att_list attributes;
} nc_var;

struct sciml_nc_reader {
    sciml_ctx *ctx;
    FILE *file;
    int owns_file;
    char *name;
    int format;
    int seekable;
    int64_t base;      /* absolute stream offset of byte 0 of the file */
    int64_t file_size; /* bytes from base to end, -1 when unknown (pipe) */
    int64_t position;  /* bytes consumed from base */
    int64_t header_size;
    int64_t record_count; /* -1 when unknown (streaming marker on a pipe) */
    int streaming;
    int64_t dim_count;
    nc_dim *dims;
    int64_t record_dim;
    nc_att_list globals;
    int64_t var_count;
    nc_var *vars;
    int64_t record_var_count;
    int64_t record_size;
    int64_t record_start;
    unsigned char *record_buffer; /* pipes: the last record read */
    int64_t record_capacity;
    int64_t buffered_record; /* -1 when none */
    int end_seen;            /* pipes with the marker: the data ended at a record boundary */
    unsigned char *scratch;  /* CHUNK_BYTES */
};

/* ---------------------------------------------------------------------------------------
 * Low-level input
 */

/* Reads exactly n bytes at the current position; `what` names the item for messages. */
static sciml_status read_exact(sciml_nc_reader *r, void *buffer, int64_t n, const char *what) {
    if (n == 0)
        return SCIML_OK;
    size_t got = fread(buffer, 1, (size_t)n, r->file);
    if (got != (size_t)n) {
        int was_error = ferror(r->file);
        int64_t at = r->position;
        r->position += (int64_t)got;
        if (was_error)
            return sciml_error(r->ctx, SCIML_ERR_IO, "%s: read error at offset %lld reading %s: %s",
                               r->name, (long long)at, what, strerror(errno));
        return sciml_error(r->ctx, SCIML_ERR_FORMAT,
                           "%s: truncated: %s needs %lld bytes at offset %lld but the file ends "
                           "at offset %lld",
                           r->name, what, (long long)n, (long long)at, (long long)r->position);
    }
    r->position += n;
    return SCIML_OK;
}

/* Moves to `offset` (forward only on a pipe; `what` names the data for messages). */
static sciml_status move_to(sciml_nc_reader *r, int64_t offset, const char *what) {
    if (offset == r->position)
        return SCIML_OK;
    if (r->seekable) {
        if (fseeko(r->file, (off_t)(r->base + offset), SEEK_SET) != 0)
            return sciml_error(r->ctx, SCIML_ERR_IO, "%s: cannot seek to offset %lld for %s: %s",
                               r->name, (long long)offset, what, strerror(errno));
        r->position = offset;
        return SCIML_OK;
    }
    if (offset < r->position)
        return sciml_error(r->ctx, SCIML_ERR_FORMAT,
                           "%s: %s lies at offset %lld but the input is a pipe already read to "
                           "offset %lld: a pipe is read forward only (fixed variables in header "
                           "order, then records in order); save it to a file for random access",
                           r->name, what, (long long)offset, (long long)r->position);
    while (r->position < offset) {
        int64_t step = offset - r->position;
        if (step > CHUNK_BYTES)
            step = CHUNK_BYTES;
        size_t got = fread(r->scratch, 1, (size_t)step, r->file);
        r->position += (int64_t)got;
        if ((int64_t)got != step) {
            if (ferror(r->file))
                return sciml_error(r->ctx, SCIML_ERR_IO, "%s: read error at offset %lld: %s",
                                   r->name, (long long)r->position, strerror(errno));
            return sciml_error(r->ctx, SCIML_ERR_FORMAT,
                               "%s: truncated: %s lies at offset %lld but the input ends at "
                               "offset %lld",
                               r->name, what, (long long)offset, (long long)r->position);
        }
    }
    return SCIML_OK;
}

/* Reads n bytes into a new allocation, growing it as data arrives so that a hostile length
 * costs no more memory than the input really holds. *out is owned by the caller. `extra`
 * bytes (zeroed) are added after the data (for a terminator). */
static sciml_status read_alloc(sciml_nc_reader *r, int64_t n, int64_t extra, const char *what,
                               unsigned char **out) {
    *out = NULL;
    if (r->file_size >= 0 && n > r->file_size - r->position)
        return sciml_error(r->ctx, SCIML_ERR_FORMAT,
                           "%s: %s claims %lld bytes at offset %lld but the file has %lld",
                           r->name, what, (long long)n, (long long)r->position,
                           (long long)r->file_size);
    int64_t capacity = n < CHUNK_BYTES ? n : CHUNK_BYTES;
    unsigned char *buffer = malloc((size_t)(capacity + extra) + 1);
    if (!buffer)
        return sciml_error(r->ctx, SCIML_ERR_NOMEM, "%s: out of memory reading %s", r->name, what);
    int64_t done = 0;
    while (done < n) {
        if (done == capacity) {
            int64_t grown = capacity * 2 < n ? capacity * 2 : n;
            unsigned char *bigger = realloc(buffer, (size_t)(grown + extra) + 1);
            if (!bigger) {
                free(buffer);
                return sciml_error(r->ctx, SCIML_ERR_NOMEM, "%s: out of memory reading %s",
                                   r->name, what);
            }
            buffer = bigger;
            capacity = grown;
        }
        sciml_status status = read_exact(r, buffer + done, capacity - done, what);
        if (status) {
            free(buffer);
            return status;
        }
        done = capacity;
    }
    memset(buffer + n, 0, (size_t)extra + 1);
    *out = buffer;
    return SCIML_OK;
}

static sciml_status read_u32(sciml_nc_reader *r, uint32_t *value, const char *what) {
    unsigned char bytes[4];
    sciml_status status = read_exact(r, bytes, 4, what);
    if (status == SCIML_OK)
        *value = sciml_nc_get_u32(bytes);
    return status;
}

/* A NON_NEG count: 4-byte signed (CDF-1/2) or 8-byte signed (CDF-5), never negative. */
static sciml_status read_count(sciml_nc_reader *r, int64_t *value, const char *what) {
    unsigned char bytes[8];
    int width = r->format == 5 ? 8 : 4;
    int64_t at = r->position;
    sciml_status status = read_exact(r, bytes, width, what);
    if (status)
        return status;
    uint64_t raw = width == 8 ? sciml_nc_get_u64(bytes) : sciml_nc_get_u32(bytes);
    uint64_t limit = width == 8 ? (uint64_t)INT64_MAX : (uint64_t)INT32_MAX;
    if (raw > limit)
        return sciml_error(r->ctx, SCIML_ERR_FORMAT,
                           "%s: %s at offset %lld is negative or too large (%llu), expected a "
                           "count between 0 and %llu",
                           r->name, what, (long long)at, (unsigned long long)raw,
                           (unsigned long long)limit);
    *value = (int64_t)raw;
    return SCIML_OK;
}

/* A name: nelems, the bytes, padding; validated and NUL-terminated (owned by the caller). */
static sciml_status read_name(sciml_nc_reader *r, const char *what, char **out) {
    int64_t length = 0, at;
    *out = NULL;
    sciml_status status = read_count(r, &length, what);
    if (status)
        return status;
    at = r->position;
    if (length < 1 || length > SCIML_NC_MAX_NAME)
        return sciml_error(r->ctx, SCIML_ERR_FORMAT,
                           "%s: %s at offset %lld has length %lld, expected 1 to %d bytes", r->name,
                           what, (long long)at, (long long)length, SCIML_NC_MAX_NAME);
    char buffer[SCIML_NC_MAX_NAME + 4];
    int64_t padded = length + sciml_nc_padding(length);
    status = read_exact(r, buffer, padded, what);
    if (status)
        return status;
    buffer[length] = '\0';
    if (memchr(buffer, '\0', (size_t)length) || !sciml_nc_name_is_valid(buffer))
        return sciml_error(r->ctx, SCIML_ERR_FORMAT,
                           "%s: %s at offset %lld is not a valid netCDF name (expected UTF-8 "
                           "starting with a letter, digit or '_', without '/', control characters "
                           "or trailing spaces)",
                           r->name, what, (long long)at);
    *out = malloc((size_t)length + 1);
    if (!*out)
        return sciml_error(r->ctx, SCIML_ERR_NOMEM, "%s: out of memory", r->name);
    memcpy(*out, buffer, (size_t)length + 1);
    return SCIML_OK;
}

/* A list header: ABSENT (zero tag and count) or tag + count; the count is capped. */
static sciml_status read_list_header(sciml_nc_reader *r, uint32_t tag, const char *what,
                                     int64_t *count) {
    uint32_t found;
    int64_t at = r->position;
    sciml_status status = read_u32(r, &found, what);
    if (status)
        return status;
    status = read_count(r, count, what);
    if (status)
        return status;
    if (found == 0 && *count == 0)
        return SCIML_OK;
    if (found != tag)
        return sciml_error(r->ctx, SCIML_ERR_FORMAT,
                           "%s: %s at offset %lld has tag 0x%08x, expected 0x%08x or an absent "
                           "list (two zeros)",
                           r->name, what, (long long)at, (unsigned)found, (unsigned)tag);
    if (*count > SCIML_NC_MAX_ITEMS)
        return sciml_error(r->ctx, SCIML_ERR_FORMAT,
                           "%s: %s at offset %lld declares %lld entries; this reader accepts at "
                           "most %d",
                           r->name, what, (long long)at, (long long)*count, SCIML_NC_MAX_ITEMS);
    return SCIML_OK;
}

/* ---------------------------------------------------------------------------------------
 * Header
 */

static void free_att_list(nc_att_list *list) {
    for (int64_t i = 0; i < list->count; i++) {
        free(list->items[i].name);
        free(list->items[i].values);
    }
    free(list->items);
    list->items = NULL;
    list->count = 0;
}

static int compare_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Finds a repeated name among `count` names (sorted copy of the pointers); NULL if none. */
static const char *find_duplicate(char **names, int64_t count, sciml_status *status) {
    *status = SCIML_OK;
    if (count < 2)
        return NULL;
    char **sorted = sciml_alloc_array((size_t)count, sizeof(char *));
    if (!sorted) {
        *status = SCIML_ERR_NOMEM;
        return NULL;
    }
    memcpy(sorted, names, (size_t)count * sizeof(char *));
    qsort(sorted, (size_t)count, sizeof(char *), compare_names);
    const char *duplicate = NULL;
    for (int64_t i = 1; i < count && !duplicate; i++)
        if (strcmp(sorted[i - 1], sorted[i]) == 0)
            duplicate = sorted[i];
    free(sorted);
    return duplicate;
}

static sciml_status read_att_list(sciml_nc_reader *r, nc_att_list *list, const char *owner) {
    char what[SCIML_NC_MAX_NAME + 64];
    snprintf(what, sizeof(what), "attribute list of %s", owner);
    int64_t count;
    sciml_status status = read_list_header(r, SCIML_NC_TAG_ATTRIBUTE, what, &count);
    if (status)
        return status;
    list->count = 0;
    if (count == 0)
        return SCIML_OK;
    /* Grow the item array as attributes are read, not by the declared count. */
    int64_t capacity = 0;
    for (int64_t i = 0; i < count; i++) {
        if (list->count == capacity) {
            int64_t grown = capacity ? capacity * 2 : 8;
            nc_attribute *bigger = realloc(list->items, (size_t)grown * sizeof(nc_attribute));
            if (!bigger)
                return sciml_error(r->ctx, SCIML_ERR_NOMEM, "%s: out of memory", r->name);
            list->items = bigger;
            capacity = grown;
        }
        nc_attribute *att = &list->items[list->count];
        memset(att, 0, sizeof(*att));
        list->count++;
        snprintf(what, sizeof(what), "name of attribute %lld of %s", (long long)i, owner);
        status = read_name(r, what, &att->name);
        if (status)
            return status;
        uint32_t type;
        int64_t at = r->position;
        snprintf(what, sizeof(what), "type of attribute '%s' of %s", att->name, owner);
        status = read_u32(r, &type, what);
        if (status)
            return status;
        if (!sciml_nc_type_is_valid((int)type) ||
            (r->format != 5 && sciml_nc_type_is_cdf5_only((sciml_nc_type)type)))
            return sciml_error(r->ctx, SCIML_ERR_FORMAT,
                               "%s: attribute '%s' of %s at offset %lld has type %u, expected "
                               "1..6%s",
                               r->name, att->name, owner, (long long)at, (unsigned)type,
                               r->format == 5 ? " or 7..11 (CDF-5)" : " (CDF-1/2)");
        att->type = (sciml_nc_type)type;
        snprintf(what, sizeof(what), "length of attribute '%s' of %s", att->name, owner);
        status = read_count(r, &att->length, what);
        if (status)
            return status;
        int64_t bytes, padded;
        if (sciml_mul_i64(att->length, sciml_nc_type_size(att->type), &bytes) ||
            sciml_add_i64(bytes, sciml_nc_padding(bytes), &padded))
            return sciml_error(r->ctx, SCIML_ERR_FORMAT,
                               "%s: attribute '%s' of %s declares %lld values of %s: the size "
                               "overflows",
                               r->name, att->name, owner, (long long)att->length,
                               sciml_nc_type_name(att->type));
        snprintf(what, sizeof(what), "values of attribute '%s' of %s", att->name, owner);
        unsigned char *data;
        status = read_alloc(r, padded, 8, what, &data);
        if (status)
            return status;
        sciml_nc_decode(att->type, data, data, (size_t)att->length);
        if (att->type == SCIML_NC_CHAR)
            data[att->length] = '\0';
        att->values = data;
    }
    sciml_status duplicate_status;
    char **names = sciml_alloc_array((size_t)list->count, sizeof(char *));
    if (!names)
        return sciml_error(r->ctx, SCIML_ERR_NOMEM, "%s: out of memory", r->name);
    for (int64_t i = 0; i < list->count; i++)
        names[i] = list->items[i].name;
    const char *duplicate = find_duplicate(names, list->count, &duplicate_status);
    free(names);
    if (duplicate_status)
        return sciml_error(r->ctx, SCIML_ERR_NOMEM, "%s: out of memory", r->name);
    if (duplicate)
        return sciml_error(r->ctx, SCIML_ERR_FORMAT, "%s: %s has two attributes named '%s'",
                           r->name, owner, duplicate);
    return SCIML_OK;
}

static sciml_status read_dims(sciml_nc_reader *r) {
    int64_t count;
    sciml_status status = read_list_header(r, SCIML_NC_TAG_DIMENSION, "dimension list", &count);
    if (status)
        return status;
    r->record_dim = -1;
    int64_t capacity = 0;
    for (int64_t i = 0; i < count; i++) {
        if (r->dim_count == capacity) {
            int64_t grown = capacity ? capacity * 2 : 8;
            nc_dim *bigger = realloc(r->dims, (size_t)grown * sizeof(nc_dim));
            if (!bigger)
                return sciml_error(r->ctx, SCIML_ERR_NOMEM, "%s: out of memory", r->name);
            r->dims = bigger;
            capacity = grown;
        }
        nc_dim *dim = &r->dims[r->dim_count];
        memset(dim, 0, sizeof(*dim));
        r->dim_count++;
        char what[SCIML_NC_MAX_NAME + 64];
        snprintf(what, sizeof(what), "name of dimension %lld", (long long)i);
        status = read_name(r, what, &dim->name);
        if (status)
            return status;
        snprintf(what, sizeof(what), "length of dimension '%s'", dim->name);
        status = read_count(r, &dim->length, what);
        if (status)
            return status;
        if (dim->length == 0) {
            if (r->record_dim >= 0)
                return sciml_error(r->ctx, SCIML_ERR_FORMAT,
                                   "%s: dimensions '%s' and '%s' are both unlimited (length 0); "
                                   "the classic format allows one record dimension",
                                   r->name, r->dims[r->record_dim].name, dim->name);
            r->record_dim = i;
        }
    }
    char **names = sciml_alloc_array((size_t)(r->dim_count ? r->dim_count : 1), sizeof(char *));
    if (!names)
        return sciml_error(r->ctx, SCIML_ERR_NOMEM, "%s: out of memory", r->name);
    for (int64_t i = 0; i < r->dim_count; i++)
        names[i] = r->dims[i].name;
    sciml_status duplicate_status;
    const char *duplicate = find_duplicate(names, r->dim_count, &duplicate_status);
    free(names);
    if (duplicate_status)
        return sciml_error(r->ctx, SCIML_ERR_NOMEM, "%s: out of memory", r->name);
    if (duplicate)
        return sciml_error(r->ctx, SCIML_ERR_FORMAT, "%s: two dimensions are named '%s'", r->name,
                           duplicate);
    return SCIML_OK;
}

/* Reads one variable entry and checks its shape, type and vsize. */
static sciml_status read_var(sciml_nc_reader *r, int64_t index, nc_var *var) {
    char what[SCIML_NC_MAX_NAME + 64];
    snprintf(what, sizeof(what), "name of variable %lld", (long long)index);
    sciml_status status = read_name(r, what, &var->name);
    if (status)
        return status;
    int64_t rank, at = r->position;
    snprintf(what, sizeof(what), "rank of variable '%s'", var->name);
    status = read_count(r, &rank, what);
    if (status)
        return status;
    if (rank > SCIML_NC_MAX_RANK)
        return sciml_error(r->ctx, SCIML_ERR_FORMAT,
                           "%s: variable '%s' at offset %lld has %lld dimensions; this reader "
                           "accepts at most %d",
                           r->name, var->name, (long long)at, (long long)rank, SCIML_NC_MAX_RANK);
    var->rank = (int)rank;
    var->dim_ids = malloc((size_t)(rank ? rank : 1) * sizeof(int64_t));
    var->shape = malloc((size_t)(rank ? rank : 1) * sizeof(int64_t));
    if (!var->dim_ids || !var->shape)
        return sciml_error(r->ctx, SCIML_ERR_NOMEM, "%s: out of memory", r->name);
    int64_t elements = 1;
    for (int d = 0; d < var->rank; d++) {
        snprintf(what, sizeof(what), "dimension %d of variable '%s'", d, var->name);
        status = read_count(r, &var->dim_ids[d], what);
        if (status)
            return status;
        int64_t id = var->dim_ids[d];
        if (id >= r->dim_count)
            return sciml_error(r->ctx, SCIML_ERR_FORMAT,
                               "%s: variable '%s' uses dimension id %lld but the file defines "
                               "%lld dimensions",
                               r->name, var->name, (long long)id, (long long)r->dim_count);
        if (id == r->record_dim) {
            if (d != 0)
                return sciml_error(r->ctx, SCIML_ERR_FORMAT,
                                   "%s: variable '%s' uses the record dimension '%s' as dimension "
                                   "%d; it may only be the first",
                                   r->name, var->name, r->dims[id].name, d);
            var->is_record = 1;
            continue;
        }
        if (sciml_mul_i64(elements, r->dims[id].length, &elements))
            return sciml_error(r->ctx, SCIML_ERR_FORMAT,
                               "%s: variable '%s': the product of its dimension lengths overflows",
                               r->name, var->name);
    }
    snprintf(what, sizeof(what), "variable '%s'", var->name);
    status = read_att_list(r, &var->attributes, what);
    if (status)
        return status;
    uint32_t type;
    at = r->position;
    snprintf(what, sizeof(what), "type of variable '%s'", var->name);
    status = read_u32(r, &type, what);
    if (status)
        return status;
    if (!sciml_nc_type_is_valid((int)type) ||
        (r->format != 5 && sciml_nc_type_is_cdf5_only((sciml_nc_type)type)))
        return sciml_error(r->ctx, SCIML_ERR_FORMAT,
                           "%s: variable '%s' at offset %lld has type %u, expected 1..6%s",
                           r->name, var->name, (long long)at, (unsigned)type,
                           r->format == 5 ? " or 7..11 (CDF-5)" : " (CDF-1/2)");
    var->type = (sciml_nc_type)type;
    var->element_count = elements;
    if (sciml_mul_i64(elements, sciml_nc_type_size(var->type), &var->bytes) ||
        sciml_add_i64(var->bytes, sciml_nc_padding(var->bytes), &var->vsize))
        return sciml_error(r->ctx, SCIML_ERR_FORMAT,
                           "%s: variable '%s': its size in bytes overflows", r->name, var->name);
    int64_t stored_vsize;
    at = r->position;
    snprintf(what, sizeof(what), "vsize of variable '%s'", var->name);
    if (r->format == 5) {
        status = read_count(r, &stored_vsize, what);
    } else {
        uint32_t raw;
        status = read_u32(r, &raw, what);
        stored_vsize = raw;
    }
    if (status)
        return status;
    int too_big_marker = r->format != 5 && stored_vsize == (int64_t)UINT32_MAX &&
                         var->vsize > (int64_t)UINT32_MAX - 3;
    if (stored_vsize != var->vsize && !too_big_marker)
        return sciml_error(r->ctx, SCIML_ERR_FORMAT,
                           "%s: variable '%s' has vsize %lld at offset %lld but its shape and "
                           "type (%lld %s values) need %lld",
                           r->name, var->name, (long long)stored_vsize, (long long)at,
                           (long long)elements, sciml_nc_type_name(var->type),
                           (long long)var->vsize);
    snprintf(what, sizeof(what), "begin of variable '%s'", var->name);
    at = r->position;
    if (r->format == 1) {
        uint32_t raw;
        status = read_u32(r, &raw, what);
        var->begin = raw;
    } else {
        unsigned char bytes[8];
        status = read_exact(r, bytes, 8, what);
        uint64_t raw = sciml_nc_get_u64(bytes);
        if (status == SCIML_OK && raw > (uint64_t)INT64_MAX)
            return sciml_error(r->ctx, SCIML_ERR_FORMAT,
                               "%s: variable '%s' has a negative begin offset at offset %lld",
                               r->name, var->name, (long long)at);
        var->begin = (int64_t)raw;
    }
    if (status)
        return status;
    for (int d = 0; d < var->rank; d++)
        var->shape[d] = r->dims[var->dim_ids[d]].length;
    return SCIML_OK;
}

static sciml_status read_vars(sciml_nc_reader *r) {
    int64_t count;
    sciml_status status = read_list_header(r, SCIML_NC_TAG_VARIABLE, "variable list", &count);
    if (status)
        return status;
    int64_t capacity = 0;
    for (int64_t i = 0; i < count; i++) {
        if (r->var_count == capacity) {
            int64_t grown = capacity ? capacity * 2 : 8;
            nc_var *bigger = realloc(r->vars, (size_t)grown * sizeof(nc_var));
            if (!bigger)
                return sciml_error(r->ctx, SCIML_ERR_NOMEM, "%s: out of memory", r->name);
            r->vars = bigger;
            capacity = grown;
        }
        nc_var *var = &r->vars[r->var_count];
        memset(var, 0, sizeof(*var));
        r->var_count++;
        status = read_var(r, i, var);
        if (status)
            return status;
    }
    char **names = sciml_alloc_array((size_t)(r->var_count ? r->var_count : 1), sizeof(char *));
    if (!names)
        return sciml_error(r->ctx, SCIML_ERR_NOMEM, "%s: out of memory", r->name);
    for (int64_t i = 0; i < r->var_count; i++)
        names[i] = r->vars[i].name;
    sciml_status duplicate_status;
    const char *duplicate = find_duplicate(names, r->var_count, &duplicate_status);
    free(names);
    if (duplicate_status)
        return sciml_error(r->ctx, SCIML_ERR_NOMEM, "%s: out of memory", r->name);
    if (duplicate)
        return sciml_error(r->ctx, SCIML_ERR_FORMAT, "%s: two variables are named '%s'", r->name,
                           duplicate);
    return SCIML_OK;
}

/* Checks the data layout against the header and the file size; derives record geometry. */
static sciml_status check_layout(sciml_nc_reader *r, int64_t numrecs) {
    int64_t record_size = 0, record_start = INT64_MAX, fixed_end = 0;
    int64_t previous_begin = -1;
    const char *previous_name = NULL;
    for (int64_t i = 0; i < r->var_count; i++) {
        nc_var *var = &r->vars[i];
        if (var->begin < r->header_size)
            return sciml_error(r->ctx, SCIML_ERR_FORMAT,
                               "%s: variable '%s' begins at offset %lld, inside the header "
                               "(which ends at offset %lld)",
                               r->name, var->name, (long long)var->begin,
                               (long long)r->header_size);
        if (var->is_record) {
            r->record_var_count++;
            if (sciml_add_i64(record_size, var->vsize, &record_size))
                return sciml_error(r->ctx, SCIML_ERR_FORMAT, "%s: the record size overflows",
                                   r->name);
            if (var->begin < record_start)
                record_start = var->begin;
            continue;
        }
        int64_t end;
        if (sciml_add_i64(var->begin, var->bytes, &end))
            return sciml_error(r->ctx, SCIML_ERR_FORMAT,
                               "%s: variable '%s': begin + size overflows", r->name, var->name);
        if (r->file_size >= 0 && end > r->file_size)
            return sciml_error(r->ctx, SCIML_ERR_FORMAT,
                               "%s: variable '%s' claims %lld bytes at offset %lld but the file "
                               "has %lld",
                               r->name, var->name, (long long)var->bytes, (long long)var->begin,
                               (long long)r->file_size);
        if (!r->seekable && var->begin < previous_begin)
            return sciml_error(r->ctx, SCIML_ERR_FORMAT,
                               "%s: variable '%s' begins at offset %lld, before variable '%s' at "
                               "offset %lld: a pipe is read forward only, so fixed variables must "
                               "be stored in header order",
                               r->name, var->name, (long long)var->begin, previous_name,
                               (long long)previous_begin);
        previous_begin = var->begin;
        previous_name = var->name;
        if (end > fixed_end)
            fixed_end = end;
    }
    if (r->record_var_count == 0) {
        r->record_count = r->streaming ? 0 : numrecs;
        return SCIML_OK;
    }
    if (r->record_var_count == 1) {
        for (int64_t i = 0; i < r->var_count; i++)
            if (r->vars[i].is_record)
                record_size = r->vars[i].bytes;
    }
    if (fixed_end > record_start)
        return sciml_error(r->ctx, SCIML_ERR_FORMAT,
                           "%s: fixed-size data reaches offset %lld but the record data begins "
                           "at offset %lld: the data sections overlap",
                           r->name, (long long)fixed_end, (long long)record_start);
    int64_t record_extent = 0; /* bytes of a record actually used by the last variable */
    for (int64_t i = 0; i < r->var_count; i++) {
        nc_var *var = &r->vars[i];
        if (!var->is_record)
            continue;
        int64_t end; /* begin >= record_start: the difference cannot overflow */
        if (sciml_add_i64(var->begin - record_start, var->bytes, &end) || end > record_size ||
            end < 0)
            return sciml_error(r->ctx, SCIML_ERR_FORMAT,
                               "%s: record variable '%s' at offset %lld does not fit in a record "
                               "of %lld bytes starting at offset %lld",
                               r->name, var->name, (long long)var->begin, (long long)record_size,
                               (long long)record_start);
        if (end > record_extent)
            record_extent = end;
    }
    r->record_size = record_size;
    r->record_start = record_start;
    if (r->streaming) {
        if (r->file_size < 0) {
            r->record_count = -1;
            return SCIML_OK;
        }
        int64_t available = r->file_size - record_start;
        numrecs = available <= 0 || record_size == 0 ? 0 : available / record_size;
        if (record_size > 0 && available - numrecs * record_size >= record_extent)
            numrecs++; /* the last record may lack its final padding */
    }
    r->record_count = numrecs;
    if (r->file_size >= 0 && numrecs > 0) {
        int64_t needed, last_end;
        if (sciml_add_i64(record_start, record_extent, &last_end) ||
            sciml_mul_i64(numrecs - 1, record_size, &needed) ||
            sciml_add_i64(needed, last_end, &needed))
            return sciml_error(r->ctx, SCIML_ERR_FORMAT,
                               "%s: %lld records of %lld bytes overflow the file offset range",
                               r->name, (long long)numrecs, (long long)record_size);
        if (needed > r->file_size)
            return sciml_error(r->ctx, SCIML_ERR_FORMAT,
                               "%s: the header declares %lld records of %lld bytes from offset "
                               "%lld (needing %lld bytes) but the file has %lld",
                               r->name, (long long)numrecs, (long long)record_size,
                               (long long)record_start, (long long)needed,
                               (long long)r->file_size);
    }
    return SCIML_OK;
}

static sciml_status read_header(sciml_nc_reader *r) {
    unsigned char magic[4];
    sciml_status status = read_exact(r, magic, 4, "magic number");
    if (status)
        return status;
    if (memcmp(magic, "CDF", 3) != 0) {
        if (memcmp(magic, "\x89HDF", 4) == 0)
            return sciml_error(r->ctx, SCIML_ERR_FORMAT,
                               "%s: this is a netCDF-4/HDF5 file; only netCDF classic (CDF-1, "
                               "CDF-2, CDF-5) is supported: convert it with `nccopy -k cdf5`",
                               r->name);
        return sciml_error(r->ctx, SCIML_ERR_FORMAT,
                           "%s: not a netCDF classic file (the first bytes are not 'CDF')",
                           r->name);
    }
    if (magic[3] != 1 && magic[3] != 2 && magic[3] != 5)
        return sciml_error(r->ctx, SCIML_ERR_FORMAT,
                           "%s: unknown netCDF classic version %u, expected 1, 2 or 5", r->name,
                           (unsigned)magic[3]);
    r->format = magic[3];
    unsigned char bytes[8];
    int width = r->format == 5 ? 8 : 4;
    status = read_exact(r, bytes, width, "number of records");
    if (status)
        return status;
    uint64_t raw = width == 8 ? sciml_nc_get_u64(bytes) : sciml_nc_get_u32(bytes);
    int64_t numrecs = 0;
    if ((width == 8 && raw == UINT64_MAX) || (width == 4 && raw == UINT32_MAX)) {
        r->streaming = 1;
    } else if (raw > (width == 8 ? (uint64_t)INT64_MAX : (uint64_t)INT32_MAX)) {
        return sciml_error(r->ctx, SCIML_ERR_FORMAT,
                           "%s: the number of records (%llu) is negative, expected a count or "
                           "the streaming marker",
                           r->name, (unsigned long long)raw);
    } else {
        numrecs = (int64_t)raw;
    }
    status = read_dims(r);
    if (status == SCIML_OK)
        status = read_att_list(r, &r->globals, "the global attributes");
    if (status == SCIML_OK)
        status = read_vars(r);
    if (status)
        return status;
    r->header_size = r->position;
    return check_layout(r, numrecs);
}

/* ---------------------------------------------------------------------------------------
 * Open and close
 */

sciml_status sciml_nc_open_stream(sciml_ctx *ctx, FILE *stream, const char *name,
                                  sciml_nc_reader **out) {
    if (!out || !stream)
        return sciml_error(ctx, SCIML_ERR_ARG, "sciml_nc_open_stream: NULL stream or result");
    *out = NULL;
    sciml_nc_reader *r = calloc(1, sizeof(*r));
    if (!r)
        return sciml_error(ctx, SCIML_ERR_NOMEM, "out of memory opening %s", name ? name : "stream");
    r->ctx = ctx;
    r->file = stream;
    r->name = strdup(name ? name : "(stream)");
    r->scratch = malloc((size_t)CHUNK_BYTES);
    r->buffered_record = -1;
    r->file_size = -1;
    r->record_dim = -1;
    if (!r->name || !r->scratch) {
        sciml_nc_close(&r);
        return sciml_error(ctx, SCIML_ERR_NOMEM, "out of memory opening %s", name ? name : "stream");
    }
    off_t here = ftello(stream);
    if (here >= 0 && fseeko(stream, 0, SEEK_END) == 0) {
        off_t end = ftello(stream);
        if (end >= here && fseeko(stream, here, SEEK_SET) == 0) {
            r->seekable = 1;
            r->base = (int64_t)here;
            r->file_size = (int64_t)(end - here);
        }
    }
    clearerr(stream);
    sciml_status status = read_header(r);
    if (status) {
        sciml_nc_close(&r);
        return status;
    }
    *out = r;
    return SCIML_OK;
}

sciml_status sciml_nc_open(sciml_ctx *ctx, const char *path, sciml_nc_reader **out) {
    if (!out || !path)
        return sciml_error(ctx, SCIML_ERR_ARG, "sciml_nc_open: NULL path or result");
    *out = NULL;
    if (strcmp(path, "-") == 0)
        return sciml_nc_open_stream(ctx, stdin, "(stdin)", out);
    FILE *file = fopen(path, "rb");
    if (!file)
        return sciml_error(ctx, SCIML_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    sciml_status status = sciml_nc_open_stream(ctx, file, path, out);
    if (status) {
        fclose(file);
        return status;
    }
    (*out)->owns_file = 1;
    return SCIML_OK;
}

void sciml_nc_close(sciml_nc_reader **reader) {
    if (!reader || !*reader)
        return;
    sciml_nc_reader *r = *reader;
    if (r->owns_file && r->file)
        fclose(r->file);
    for (int64_t i = 0; i < r->dim_count; i++)
        free(r->dims[i].name);
    free(r->dims);
    for (int64_t i = 0; i < r->var_count; i++) {
        free(r->vars[i].name);
        free(r->vars[i].dim_ids);
        free(r->vars[i].shape);
        free_att_list(&r->vars[i].attributes);
    }
    free(r->vars);
    free_att_list(&r->globals);
    free(r->record_buffer);
    free(r->scratch);
    free(r->name);
    free(r);
    *reader = NULL;
}

/* ---------------------------------------------------------------------------------------
 * Queries
 */

sciml_nc_format sciml_nc_format_of(const sciml_nc_reader *r) { return (sciml_nc_format)r->format; }
int sciml_nc_is_seekable(const sciml_nc_reader *r) { return r->seekable; }
const char *sciml_nc_name(const sciml_nc_reader *r) { return r->name; }
int64_t sciml_nc_record_count(const sciml_nc_reader *r) { return r->record_count; }
int64_t sciml_nc_dim_count(const sciml_nc_reader *r) { return r->dim_count; }
int64_t sciml_nc_record_dim(const sciml_nc_reader *r) { return r->record_dim; }
int64_t sciml_nc_var_count(const sciml_nc_reader *r) { return r->var_count; }

const char *sciml_nc_dim_name(const sciml_nc_reader *r, int64_t dim) {
    return dim >= 0 && dim < r->dim_count ? r->dims[dim].name : NULL;
}

int64_t sciml_nc_dim_length(const sciml_nc_reader *r, int64_t dim) {
    if (dim < 0 || dim >= r->dim_count)
        return -1;
    return dim == r->record_dim ? r->record_count : r->dims[dim].length;
}

sciml_status sciml_nc_find_dim(sciml_nc_reader *r, const char *name, int64_t *dim) {
    for (int64_t i = 0; i < r->dim_count; i++)
        if (strcmp(r->dims[i].name, name) == 0) {
            *dim = i;
            return SCIML_OK;
        }
    return sciml_error(r->ctx, SCIML_ERR_NOT_FOUND, "%s: no dimension named '%s'", r->name, name);
}

sciml_status sciml_nc_find_var(sciml_nc_reader *r, const char *name, int64_t *var) {
    for (int64_t i = 0; i < r->var_count; i++)
        if (strcmp(r->vars[i].name, name) == 0) {
            *var = i;
            return SCIML_OK;
        }
    return sciml_error(r->ctx, SCIML_ERR_NOT_FOUND, "%s: no variable named '%s'", r->name, name);
}

static sciml_status check_var(sciml_nc_reader *r, int64_t var) {
    if (var < 0 || var >= r->var_count)
        return sciml_error(r->ctx, SCIML_ERR_ARG, "%s: variable index %lld out of range (%lld)",
                           r->name, (long long)var, (long long)r->var_count);
    return SCIML_OK;
}

sciml_status sciml_nc_var_get_info(sciml_nc_reader *r, int64_t var, sciml_nc_var_info *info) {
    sciml_status status = check_var(r, var);
    if (status)
        return status;
    nc_var *v = &r->vars[var];
    if (v->is_record)
        v->shape[0] = r->record_count;
    info->name = v->name;
    info->type = v->type;
    info->rank = v->rank;
    info->dim_ids = v->dim_ids;
    info->shape = v->shape;
    info->is_record = v->is_record;
    info->element_count = v->element_count;
    info->begin = v->begin;
    info->vsize = v->vsize;
    info->attribute_count = v->attributes.count;
    return SCIML_OK;
}

static const nc_att_list *att_list_of(const sciml_nc_reader *r, int64_t var) {
    if (var == SCIML_NC_GLOBAL)
        return &r->globals;
    if (var < 0 || var >= r->var_count)
        return NULL;
    return &r->vars[var].attributes;
}

int64_t sciml_nc_att_count(const sciml_nc_reader *r, int64_t var) {
    const nc_att_list *list = att_list_of(r, var);
    return list ? list->count : -1;
}

sciml_status sciml_nc_att_info(sciml_nc_reader *r, int64_t var, int64_t index, const char **name,
                               sciml_nc_type *type, int64_t *length) {
    const nc_att_list *list = att_list_of(r, var);
    if (!list || index < 0 || index >= list->count)
        return sciml_error(r->ctx, SCIML_ERR_ARG, "%s: attribute %lld of variable %lld does not exist",
                           r->name, (long long)index, (long long)var);
    const nc_attribute *att = &list->items[index];
    if (name)
        *name = att->name;
    if (type)
        *type = att->type;
    if (length)
        *length = att->length;
    return SCIML_OK;
}

sciml_status sciml_nc_find_att(const sciml_nc_reader *r, int64_t var, const char *name,
                               int64_t *index) {
    const nc_att_list *list = att_list_of(r, var);
    if (!list)
        return SCIML_ERR_ARG;
    for (int64_t i = 0; i < list->count; i++)
        if (strcmp(list->items[i].name, name) == 0) {
            if (index)
                *index = i;
            return SCIML_OK;
        }
    return SCIML_ERR_NOT_FOUND;
}

static const char *owner_name(const sciml_nc_reader *r, int64_t var) {
    return var == SCIML_NC_GLOBAL ? "(global)" : r->vars[var].name;
}

static sciml_status lookup_att(sciml_nc_reader *r, int64_t var, const char *name,
                               const nc_attribute **att) {
    int64_t index;
    sciml_status status = sciml_nc_find_att(r, var, name, &index);
    if (status == SCIML_ERR_ARG)
        return sciml_error(r->ctx, SCIML_ERR_ARG, "%s: variable index %lld out of range", r->name,
                           (long long)var);
    if (status)
        return sciml_error(r->ctx, SCIML_ERR_NOT_FOUND, "%s: %s has no attribute '%s'", r->name,
                           owner_name(r, var), name);
    *att = &att_list_of(r, var)->items[index];
    return SCIML_OK;
}

sciml_status sciml_nc_get_att_text(sciml_nc_reader *r, int64_t var, const char *name,
                                   const char **text, int64_t *length) {
    const nc_attribute *att = NULL;
    sciml_status status = lookup_att(r, var, name, &att);
    if (status)
        return status;
    if (att->type != SCIML_NC_CHAR)
        return sciml_error(r->ctx, SCIML_ERR_FORMAT,
                           "%s: attribute '%s' of %s has type %s, expected text (char)", r->name,
                           name, owner_name(r, var), sciml_nc_type_name(att->type));
    *text = att->values;
    if (length)
        *length = att->length;
    return SCIML_OK;
}

sciml_status sciml_nc_get_att_double(sciml_nc_reader *r, int64_t var, const char *name,
                                     double *values, int64_t capacity, int64_t *length) {
    const nc_attribute *att = NULL;
    sciml_status status = lookup_att(r, var, name, &att);
    if (status)
        return status;
    if (att->type == SCIML_NC_CHAR)
        return sciml_error(r->ctx, SCIML_ERR_FORMAT,
                           "%s: attribute '%s' of %s is text, expected a number", r->name, name,
                           owner_name(r, var));
    int64_t n = att->length < capacity ? att->length : capacity;
    if (n > 0)
        sciml_nc_native_to_double(att->type, att->values, values, (size_t)n);
    if (length)
        *length = att->length;
    return SCIML_OK;
}

sciml_status sciml_nc_get_att_raw(sciml_nc_reader *r, int64_t var, const char *name,
                                  sciml_nc_type *type, const void **values, int64_t *length) {
    const nc_attribute *att = NULL;
    sciml_status status = lookup_att(r, var, name, &att);
    if (status)
        return status;
    if (type)
        *type = att->type;
    if (values)
        *values = att->values;
    if (length)
        *length = att->length;
    return SCIML_OK;
}

/* ---------------------------------------------------------------------------------------
 * Data
 */

/* Reads `bytes` external bytes at `offset` and delivers them converted: as doubles into
 * `values` (when as_double) or as native values into `native`. Works in CHUNK_BYTES pieces. */
static sciml_status read_converted(sciml_nc_reader *r, const nc_var *var, int64_t offset,
                                   int64_t count, int as_double, void *out, const char *what) {
    int size = sciml_nc_type_size(var->type);
    sciml_status status = move_to(r, offset, what);
    if (status)
        return status;
    if (!as_double) {
        status = read_exact(r, out, count * size, what);
        if (status == SCIML_OK)
            sciml_nc_decode(var->type, out, out, (size_t)count);
        return status;
    }
    double *values = out;
    int64_t per_chunk = CHUNK_BYTES / size;
    for (int64_t done = 0; done < count;) {
        int64_t n = count - done < per_chunk ? count - done : per_chunk;
        status = read_exact(r, r->scratch, n * size, what);
        if (status)
            return status;
        sciml_nc_decode(var->type, r->scratch, r->scratch, (size_t)n);
        sciml_nc_native_to_double(var->type, r->scratch, values + done, (size_t)n);
        done += n;
    }
    return SCIML_OK;
}

static sciml_status read_fixed(sciml_nc_reader *r, int64_t var, int64_t start, int64_t count,
                               int as_double, void *out) {
    sciml_status status = check_var(r, var);
    if (status)
        return status;
    nc_var *v = &r->vars[var];
    if (v->is_record)
        return sciml_error(r->ctx, SCIML_ERR_ARG,
                           "%s: variable '%s' is a record variable; read it with "
                           "sciml_nc_read_record",
                           r->name, v->name);
    int64_t end;
    if (start < 0 || count < 0 || sciml_add_i64(start, count, &end) || end > v->element_count)
        return sciml_error(r->ctx, SCIML_ERR_RANGE,
                           "%s: variable '%s': elements [%lld, %lld + %lld) are outside its %lld "
                           "elements",
                           r->name, v->name, (long long)start, (long long)start, (long long)count,
                           (long long)v->element_count);
    if (count == 0)
        return SCIML_OK;
    if (!out)
        return sciml_error(r->ctx, SCIML_ERR_ARG, "%s: NULL output buffer", r->name);
    char what[SCIML_NC_MAX_NAME + 32];
    snprintf(what, sizeof(what), "data of variable '%s'", v->name);
    int64_t offset = v->begin + start * sciml_nc_type_size(v->type);
    return read_converted(r, v, offset, count, as_double, out, what);
}

sciml_status sciml_nc_read_var(sciml_nc_reader *r, int64_t var, int64_t start, int64_t count,
                               double *values) {
    return read_fixed(r, var, start, count, 1, values);
}

sciml_status sciml_nc_read_var_raw(sciml_nc_reader *r, int64_t var, int64_t start, int64_t count,
                                   void *values) {
    return read_fixed(r, var, start, count, 0, values);
}

/* Pipes: brings record `record` into the record buffer. *available = 0 when the data ends
 * cleanly before it (streaming marker only). */
static sciml_status buffer_record(sciml_nc_reader *r, int64_t record, int *available) {
    *available = 1;
    if (record == r->buffered_record)
        return SCIML_OK;
    if (r->end_seen) {
        *available = 0;
        return SCIML_OK;
    }
    int64_t offset;
    if (sciml_mul_i64(record, r->record_size, &offset) ||
        sciml_add_i64(offset, r->record_start, &offset))
        return sciml_error(r->ctx, SCIML_ERR_RANGE, "%s: record %lld is beyond any file offset",
                           r->name, (long long)record);
    char what[64];
    snprintf(what, sizeof(what), "record %lld", (long long)record);
    if (r->streaming && r->position < offset) {
        /* Skip whole earlier records, stopping cleanly at an end of data. */
        while (r->position < offset) {
            int64_t step = offset - r->position;
            if (step > CHUNK_BYTES)
                step = CHUNK_BYTES;
            size_t got = fread(r->scratch, 1, (size_t)step, r->file);
            r->position += (int64_t)got;
            if ((int64_t)got != step)
                break;
        }
        if (r->position < offset && r->position < r->record_start)
            return sciml_error(r->ctx, SCIML_ERR_FORMAT,
                               "%s: truncated: the data ends at offset %lld, before the records "
                               "that begin at offset %lld",
                               r->name, (long long)r->position, (long long)r->record_start);
        if (r->position < offset) {
            int64_t into = (r->position - r->record_start) % (r->record_size ? r->record_size : 1);
            if (ferror(r->file))
                return sciml_error(r->ctx, SCIML_ERR_IO, "%s: read error: %s", r->name,
                                   strerror(errno));
            if (into != 0)
                return sciml_error(r->ctx, SCIML_ERR_FORMAT,
                                   "%s: truncated: the data ends %lld bytes into a record of %lld "
                                   "bytes",
                                   r->name, (long long)into, (long long)r->record_size);
            r->end_seen = 1;
            *available = 0;
            return SCIML_OK;
        }
    }
    sciml_status status = move_to(r, offset, what);
    if (status)
        return status;
    /* Read the record, growing the buffer as bytes arrive. */
    int64_t done = 0;
    while (done < r->record_size) {
        if (done == r->record_capacity) {
            int64_t grown = r->record_capacity ? r->record_capacity * 2 : CHUNK_BYTES;
            if (grown > r->record_size)
                grown = r->record_size;
            unsigned char *bigger = realloc(r->record_buffer, (size_t)grown);
            if (!bigger)
                return sciml_error(r->ctx, SCIML_ERR_NOMEM,
                                   "%s: out of memory for a record of %lld bytes", r->name,
                                   (long long)r->record_size);
            r->record_buffer = bigger;
            r->record_capacity = grown;
        }
        int64_t want = r->record_capacity - done;
        size_t got = fread(r->record_buffer + done, 1, (size_t)want, r->file);
        r->position += (int64_t)got;
        done += (int64_t)got;
        if ((int64_t)got != want)
            break;
    }
    if (done < r->record_size) {
        if (ferror(r->file))
            return sciml_error(r->ctx, SCIML_ERR_IO, "%s: read error in record %lld: %s", r->name,
                               (long long)record, strerror(errno));
        if (done == 0 && r->streaming) {
            r->end_seen = 1;
            *available = 0;
            return SCIML_OK;
        }
        /* The last record may lack the padding after its last variable. */
        int64_t extent = 0;
        for (int64_t i = 0; i < r->var_count; i++)
            if (r->vars[i].is_record) {
                int64_t end = r->vars[i].begin - r->record_start + r->vars[i].bytes;
                if (end > extent)
                    extent = end;
            }
        if (done < extent)
            return sciml_error(r->ctx, SCIML_ERR_FORMAT,
                               "%s: truncated: record %lld needs %lld bytes at offset %lld but "
                               "the data ends after %lld",
                               r->name, (long long)record, (long long)r->record_size,
                               (long long)offset, (long long)done);
        r->end_seen = 1;
    }
    r->buffered_record = record;
    return SCIML_OK;
}

sciml_status sciml_nc_has_record(sciml_nc_reader *r, int64_t record, int *available) {
    *available = 0;
    if (record < 0)
        return SCIML_OK;
    if (r->record_count >= 0) {
        *available = record < r->record_count;
        return SCIML_OK;
    }
    if (r->record_var_count == 0 || r->record_size == 0)
        return SCIML_OK; /* with the marker, empty records cannot be counted: none */
    return buffer_record(r, record, available);
}

static sciml_status read_one_record(sciml_nc_reader *r, int64_t var, int64_t record,
                                    int as_double, void *out) {
    sciml_status status = check_var(r, var);
    if (status)
        return status;
    nc_var *v = &r->vars[var];
    if (!v->is_record)
        return sciml_error(r->ctx, SCIML_ERR_ARG,
                           "%s: variable '%s' is not a record variable; read it with "
                           "sciml_nc_read_var",
                           r->name, v->name);
    if (record < 0 || (r->record_count >= 0 && record >= r->record_count))
        return sciml_error(r->ctx, SCIML_ERR_RANGE,
                           "%s: variable '%s': record %lld does not exist (the file has %lld)",
                           r->name, v->name, (long long)record, (long long)r->record_count);
    if (v->element_count == 0)
        return SCIML_OK;
    if (r->seekable) {
        int64_t offset;
        if (sciml_mul_i64(record, r->record_size, &offset) ||
            sciml_add_i64(offset, v->begin, &offset))
            return sciml_error(r->ctx, SCIML_ERR_RANGE, "%s: record offset overflows", r->name);
        char what[SCIML_NC_MAX_NAME + 48];
        snprintf(what, sizeof(what), "record %lld of variable '%s'", (long long)record, v->name);
        return read_converted(r, v, offset, v->element_count, as_double, out, what);
    }
    int available;
    status = buffer_record(r, record, &available);
    if (status)
        return status;
    if (!available)
        return sciml_error(r->ctx, SCIML_ERR_RANGE,
                           "%s: variable '%s': record %lld does not exist (the stream ended)",
                           r->name, v->name, (long long)record);
    const unsigned char *source = r->record_buffer + (v->begin - r->record_start);
    if (!as_double) {
        sciml_nc_decode(v->type, source, out, (size_t)v->element_count);
        return SCIML_OK;
    }
    int size = sciml_nc_type_size(v->type);
    int64_t per_chunk = CHUNK_BYTES / size;
    double *values = out;
    for (int64_t done = 0; done < v->element_count;) {
        int64_t n = v->element_count - done < per_chunk ? v->element_count - done : per_chunk;
        sciml_nc_decode(v->type, source + done * size, r->scratch, (size_t)n);
        sciml_nc_native_to_double(v->type, r->scratch, values + done, (size_t)n);
        done += n;
    }
    return SCIML_OK;
}

sciml_status sciml_nc_read_record(sciml_nc_reader *r, int64_t var, int64_t record,
                                  double *values) {
    return read_one_record(r, var, record, 1, values);
}

sciml_status sciml_nc_read_record_raw(sciml_nc_reader *r, int64_t var, int64_t record,
                                      void *values) {
    return read_one_record(r, var, record, 0, values);
}

sciml_status sciml_nc_read_records(sciml_nc_reader *r, int64_t var, int64_t first, int64_t count,
                                   double *values) {
    sciml_status status = check_var(r, var);
    if (status)
        return status;
    int64_t per_record = r->vars[var].element_count;
    for (int64_t i = 0; i < count; i++) {
        status = read_one_record(r, var, first + i, 1, values + i * per_record);
        if (status)
            return status;
    }
    return SCIML_OK;
}
