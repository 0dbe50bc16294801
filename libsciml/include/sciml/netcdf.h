/* libsciml io: a reader and writer of netCDF classic files (CDF-1, CDF-2 "64-bit offset",
 * CDF-5 "64-bit data"), written from the format specification without libnetcdf.
 *
 * The format: a self-delimiting header (magic 'C' 'D' 'F' version, numrecs, dimension list,
 * global attributes, variable list with each variable's type, vsize and byte offset `begin`)
 * followed by the data. All values are big-endian (XDR) and every header item and every
 * variable's data are padded to a multiple of 4 bytes. Fixed-size variables are stored whole
 * at `begin`; record variables (first dimension the unlimited "record" dimension) are stored
 * interleaved: record r of variable v lies at v.begin + r * record_size, where record_size is
 * the sum of the record variables' vsize (or, when there is exactly one record variable, its
 * unpadded size).
 *
 * Streaming: both reader and writer work on non-seekable streams (pipes). A pipe reader moves
 * strictly forward: fixed variables in header order, then records one by one, holding one
 * record in memory. A pipe writer writes the header, fixed data in header order and records in
 * order; when the record count is unknown it writes the streaming marker (numrecs all ones),
 * which only libsciml reads. Files on disk always carry the true record count.
 *
 * Errors: every fallible call returns a sciml_status and records one message on the context
 * given at open/create ("a.nc: variable 'u' claims 8000000 bytes at offset 1024 but the file
 * has 4096"). The context is borrowed by the reader or writer and must outlive it.
 */
#ifndef SCIML_NETCDF_H
#define SCIML_NETCDF_H

#include <stdint.h>
#include <stdio.h>

#include "sciml/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* External data types, numbered as in the format. */
typedef enum sciml_nc_type {
    SCIML_NC_BYTE = 1,   /* int8 */
    SCIML_NC_CHAR = 2,   /* 8-bit character */
    SCIML_NC_SHORT = 3,  /* int16 */
    SCIML_NC_INT = 4,    /* int32 */
    SCIML_NC_FLOAT = 5,  /* IEEE binary32 */
    SCIML_NC_DOUBLE = 6, /* IEEE binary64 */
    SCIML_NC_UBYTE = 7,  /* uint8, CDF-5 only */
    SCIML_NC_USHORT = 8, /* uint16, CDF-5 only */
    SCIML_NC_UINT = 9,   /* uint32, CDF-5 only */
    SCIML_NC_INT64 = 10, /* int64, CDF-5 only */
    SCIML_NC_UINT64 = 11 /* uint64, CDF-5 only */
} sciml_nc_type;

/* File formats, numbered by the magic's version byte; SCIML_NC_AUTO lets the writer choose. */
typedef enum sciml_nc_format {
    SCIML_NC_AUTO = 0,
    SCIML_NC_CDF1 = 1, /* classic, 32-bit offsets */
    SCIML_NC_CDF2 = 2, /* 64-bit offsets */
    SCIML_NC_CDF5 = 5  /* 64-bit data: 64-bit counts and sizes, unsigned and 64-bit types */
} sciml_nc_format;

#define SCIML_NC_GLOBAL (-1)         /* "variable" index of the global attributes */
#define SCIML_NC_MAX_NAME 256        /* longest name in bytes */
#define SCIML_NC_MAX_ITEMS (1 << 16) /* most dimensions, variables, or attributes per list */
#define SCIML_NC_MAX_RANK 1024       /* most dimensions of one variable */

int sciml_nc_type_size(sciml_nc_type type);     /* bytes per element; 0 for an invalid type */
const char *sciml_nc_type_name(sciml_nc_type type); /* "double", ...; "invalid" otherwise */
/* Default fill value of a type, as a double (exact for every type except INT64/UINT64). */
double sciml_nc_default_fill(sciml_nc_type type);
/* 1 when `name` (NUL-terminated) is a valid netCDF name: UTF-8, 1..256 bytes, first byte a
 * letter, digit, '_' or multi-byte character, no '/' or control character, no trailing
 * space. */
int sciml_nc_name_is_valid(const char *name);

/* =======================================================================================
 * Reader
 */
typedef struct sciml_nc_reader sciml_nc_reader;

/* What the reader knows of one variable. Pointers point into the reader (do not free);
 * valid until sciml_nc_close. */
typedef struct sciml_nc_var_info {
    const char *name;
    sciml_nc_type type;
    int rank;                /* number of dimensions (0 for a scalar) */
    const int64_t *dim_ids;  /* (rank) dimension indices */
    const int64_t *shape;    /* (rank) lengths; the record dimension's entry is the record
                                count (-1 when unknown: streaming marker on a pipe) */
    int is_record;           /* 1 when the first dimension is the record dimension */
    int64_t element_count;   /* fixed: all elements; record: elements per record */
    int64_t begin;           /* byte offset of the data (of record 0 for a record variable) */
    int64_t vsize;           /* bytes per variable (per record), padded to 4, as computed */
    int64_t attribute_count;
} sciml_nc_var_info;

/* Opens `path` ("-" = standard input) and parses and validates the header. The reader owns
 * the FILE (standard input is not closed). ctx is borrowed and must outlive the reader. On
 * error *out stays NULL and the message names the file, the problem and the expectation. */
sciml_status sciml_nc_open(sciml_ctx *ctx, const char *path, sciml_nc_reader **out);
/* Same on a borrowed stream positioned at the start of the file (offsets are relative to the
 * position at open); `name` is used in messages. The stream is not closed by the reader. */
sciml_status sciml_nc_open_stream(sciml_ctx *ctx, FILE *stream, const char *name,
                                  sciml_nc_reader **out);
/* Frees the reader (closes the file when it owns it); accepts NULL and sets *reader to NULL. */
void sciml_nc_close(sciml_nc_reader **reader);

sciml_nc_format sciml_nc_format_of(const sciml_nc_reader *reader); /* 1, 2 or 5 */
int sciml_nc_is_seekable(const sciml_nc_reader *reader);
const char *sciml_nc_name(const sciml_nc_reader *reader); /* the path or name given at open */
/* Number of records; -1 when the header carries the streaming marker and the input is a
 * pipe (then loop with sciml_nc_has_record). On a seekable input with the marker, the count
 * is derived from the file size. */
int64_t sciml_nc_record_count(const sciml_nc_reader *reader);
/* Sets *available to 1 when record `record` exists, 0 when the data ends before it (a clean
 * end of file after the last complete record with the streaming marker, or record >= the
 * header's count). On a pipe with the marker this reads forward and keeps the record in the
 * reader's one-record buffer. A partial record at end of file is SCIML_ERR_FORMAT. */
sciml_status sciml_nc_has_record(sciml_nc_reader *reader, int64_t record, int *available);

int64_t sciml_nc_dim_count(const sciml_nc_reader *reader);
const char *sciml_nc_dim_name(const sciml_nc_reader *reader, int64_t dim); /* NULL if bad */
/* Length of a dimension; for the record dimension the record count (-1 when unknown). */
int64_t sciml_nc_dim_length(const sciml_nc_reader *reader, int64_t dim);
int64_t sciml_nc_record_dim(const sciml_nc_reader *reader); /* index, or -1 when none */
/* Index of the dimension called `name`, or SCIML_ERR_NOT_FOUND (message recorded). */
sciml_status sciml_nc_find_dim(sciml_nc_reader *reader, const char *name, int64_t *dim);

int64_t sciml_nc_var_count(const sciml_nc_reader *reader);
/* Index of the variable called `name`, or SCIML_ERR_NOT_FOUND (message recorded). */
sciml_status sciml_nc_find_var(sciml_nc_reader *reader, const char *name, int64_t *var);
sciml_status sciml_nc_var_get_info(sciml_nc_reader *reader, int64_t var, sciml_nc_var_info *info);

/* Attributes of variable `var` (SCIML_NC_GLOBAL for the global ones). */
int64_t sciml_nc_att_count(const sciml_nc_reader *reader, int64_t var);
/* Name (points into the reader), type and length of attribute `index` of `var`. */
sciml_status sciml_nc_att_info(sciml_nc_reader *reader, int64_t var, int64_t index,
                               const char **name, sciml_nc_type *type, int64_t *length);
/* Index of attribute `name`: SCIML_ERR_NOT_FOUND when absent; no message is recorded, so this
 * is also the "does it exist" query. */
sciml_status sciml_nc_find_att(const sciml_nc_reader *reader, int64_t var, const char *name,
                               int64_t *index);
/* A text (NC_CHAR) attribute: *text points into the reader, NUL-terminated, valid until
 * close; *length (may be NULL) excludes the terminator. SCIML_ERR_NOT_FOUND when absent,
 * SCIML_ERR_FORMAT when the attribute is not text. */
sciml_status sciml_nc_get_att_text(sciml_nc_reader *reader, int64_t var, const char *name,
                                   const char **text, int64_t *length);
/* A numeric attribute converted to double: writes min(length, capacity) values and sets
 * *length (may be NULL) to the attribute's length. SCIML_ERR_FORMAT when it is text. */
sciml_status sciml_nc_get_att_double(sciml_nc_reader *reader, int64_t var, const char *name,
                                     double *values, int64_t capacity, int64_t *length);
/* Raw attribute values in host byte order and the attribute's own type (points into the
 * reader; for NC_CHAR NUL-terminated). */
sciml_status sciml_nc_get_att_raw(sciml_nc_reader *reader, int64_t var, const char *name,
                                  sciml_nc_type *type, const void **values, int64_t *length);

/* Reads elements [start, start + count) of a fixed-size variable (row-major flat index),
 * converted to double, into values (count). Call repeatedly with increasing start to stream
 * a large variable in bounded memory. On a pipe the data must lie ahead of what was read. */
sciml_status sciml_nc_read_var(sciml_nc_reader *reader, int64_t var, int64_t start, int64_t count,
                               double *values);
/* Same into `values` in the variable's own type, host byte order (count * type size bytes). */
sciml_status sciml_nc_read_var_raw(sciml_nc_reader *reader, int64_t var, int64_t start,
                                   int64_t count, void *values);
/* Reads record `record` of a record variable (element_count values, converted to double).
 * On a pipe, records move forward only; variables of one record may be read in any order. */
sciml_status sciml_nc_read_record(sciml_nc_reader *reader, int64_t var, int64_t record,
                                  double *values);
/* Records [first, first + count) of one record variable into values (count, element_count)
 * row-major. */
sciml_status sciml_nc_read_records(sciml_nc_reader *reader, int64_t var, int64_t first,
                                   int64_t count, double *values);
/* One record in the variable's own type, host byte order. */
sciml_status sciml_nc_read_record_raw(sciml_nc_reader *reader, int64_t var, int64_t record,
                                      void *values);

/* =======================================================================================
 * Writer: define (dims, attributes, variables) -> sciml_nc_end_def (writes the header) ->
 * write data -> sciml_nc_writer_close (or sciml_nc_writer_abort).
 */
typedef struct sciml_nc_writer sciml_nc_writer;

typedef struct sciml_nc_writer_options {
    sciml_nc_format format; /* SCIML_NC_AUTO: CDF-2, or CDF-5 when a size or type needs it;
                               an explicit format is an error when the data does not fit */
    int64_t record_count;   /* records that will be written, or -1 when unknown */
} sciml_nc_writer_options;

/* Options with format AUTO and an unknown record count. */
sciml_nc_writer_options sciml_nc_writer_default_options(void);

/* Creates a writer to `path` ("-" = standard output). A path is written to a temporary file
 * in the same directory (".NAME.XXXXXX") and renamed onto `path` by a successful close, so
 * a failed or aborted run never leaves a truncated file nor replaces an existing one.
 * options may be NULL (defaults). ctx is borrowed and must outlive the writer. */
sciml_status sciml_nc_writer_create(sciml_ctx *ctx, const char *path,
                                    const sciml_nc_writer_options *options,
                                    sciml_nc_writer **out);
/* Same on a borrowed stream (not closed by the writer); `name` is used in messages. If the
 * stream is seekable the record count is patched at close, otherwise the streaming marker is
 * written when the count is unknown. */
sciml_status sciml_nc_writer_create_stream(sciml_ctx *ctx, FILE *stream, const char *name,
                                           const sciml_nc_writer_options *options,
                                           sciml_nc_writer **out);
/* Path of the temporary file (NULL for streams): a signal handler may unlink() it. Points
 * into the writer. */
const char *sciml_nc_writer_temp_path(const sciml_nc_writer *writer);

/* Defines a dimension; length 0 makes it the record (unlimited) dimension (at most one). */
sciml_status sciml_nc_def_dim(sciml_nc_writer *writer, const char *name, int64_t length,
                              int64_t *dim);
/* Defines a variable over dims (rank, copied); only dim_ids[0] may be the record dim. */
sciml_status sciml_nc_def_var(sciml_nc_writer *writer, const char *name, sciml_nc_type type,
                              int rank, const int64_t *dim_ids, int64_t *var);
/* Id of the variable defined as `name`, or SCIML_ERR_NOT_FOUND (message recorded). */
sciml_status sciml_nc_writer_find_var(sciml_nc_writer *writer, const char *name, int64_t *var);
/* Id and length of the dimension defined as `name`; 0 when there is one, else -1 (no error is
 * recorded: asking is not a failure). */
int sciml_nc_writer_find_dim(const sciml_nc_writer *writer, const char *name, int64_t *dim,
                             int64_t *length);
/* Attributes of a variable or SCIML_NC_GLOBAL; a second put of the same name replaces it. */
sciml_status sciml_nc_put_att_text(sciml_nc_writer *writer, int64_t var, const char *name,
                                   const char *text);
/* count doubles converted to `type` (SCIML_ERR_RANGE when one does not fit). */
sciml_status sciml_nc_put_att_double(sciml_nc_writer *writer, int64_t var, const char *name,
                                     sciml_nc_type type, const double *values, int64_t count);
sciml_status sciml_nc_put_att_int(sciml_nc_writer *writer, int64_t var, const char *name,
                                  int64_t value); /* one NC_INT (NC_INT64 if it needs it) */
/* count values already in `type`, host byte order (copied). */
sciml_status sciml_nc_put_att_raw(sciml_nc_writer *writer, int64_t var, const char *name,
                                  sciml_nc_type type, const void *values, int64_t count);
/* Prepends "<UTC date>: <line>\n" to the global `history` attribute (newest line first, as
 * NCO does); `history` already set (e.g. copied from an input file) is kept below it. */
sciml_status sciml_nc_append_history(sciml_nc_writer *writer, const char *line);
/* Declares the record count before sciml_nc_end_def (-1: unknown). */
sciml_status sciml_nc_set_record_count(sciml_nc_writer *writer, int64_t record_count);

/* Ends the definition: chooses the format, lays out the data and writes the header. */
sciml_status sciml_nc_end_def(sciml_nc_writer *writer);
sciml_nc_format sciml_nc_writer_format(const sciml_nc_writer *writer); /* after end_def */

/* Writes elements [start, start + count) of a fixed variable from doubles converted to the
 * variable's type (integers truncate toward zero as in C; SCIML_ERR_RANGE for values that do
 * not fit, including NaN into an integer type). Unwritten elements get the fill value. On a
 * non-seekable output writes must move forward (variables in header order). */
sciml_status sciml_nc_write_var(sciml_nc_writer *writer, int64_t var, int64_t start,
                                int64_t count, const double *values);
sciml_status sciml_nc_write_var_raw(sciml_nc_writer *writer, int64_t var, int64_t start,
                                    int64_t count, const void *values);
/* Writes record `record` of a record variable (element_count values). Records are buffered
 * one at a time; skipped records and variables are filled. On a non-seekable output records
 * must come in non-decreasing order. */
sciml_status sciml_nc_write_record(sciml_nc_writer *writer, int64_t var, int64_t record,
                                   const double *values);
sciml_status sciml_nc_write_records(sciml_nc_writer *writer, int64_t var, int64_t first,
                                    int64_t count, const double *values);
sciml_status sciml_nc_write_record_raw(sciml_nc_writer *writer, int64_t var, int64_t record,
                                       const void *values);

/* Finishes the file: fills unwritten data, checks the declared record count, patches numrecs
 * when seekable, flushes, and renames the temporary file onto the path. On failure the
 * temporary file is removed and nothing at the path changes. Frees the writer (NULL-safe,
 * sets *writer to NULL). */
sciml_status sciml_nc_writer_close(sciml_nc_writer **writer);
/* Abandons the file: removes the temporary file, frees the writer. Safe after any error and
 * on NULL. */
void sciml_nc_writer_abort(sciml_nc_writer **writer);

#ifdef __cplusplus
}
#endif
#endif /* SCIML_NETCDF_H */
