/* The body of the netCDF fuzz harness, shared by the libFuzzer target (fuzz_netcdf.c) and
 * the CTest replay of saved inputs (tests/test_io_fuzz_replay.c). It parses the bytes as a
 * netCDF classic file twice: once through a seekable memory stream (fmemopen) and once
 * through a non-seekable stream (a cookie stream without a seek function, like a pipe), and
 * reads every attribute, every fixed variable and every record it can. Any crash, leak or
 * undefined behaviour is a bug; error statuses are expected. Needs _GNU_SOURCE (fopencookie)
 * defined before any include in the including file. */
#ifndef SCIML_FUZZ_NETCDF_BODY_H
#define SCIML_FUZZ_NETCDF_BODY_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "sciml/netcdf.h"

typedef struct fuzz_cursor {
    const uint8_t *data;
    size_t size, at;
} fuzz_cursor;

static ssize_t fuzz_cookie_read(void *cookie, char *buffer, size_t size) {
    fuzz_cursor *c = cookie;
    size_t n = c->size - c->at < size ? c->size - c->at : size;
    memcpy(buffer, c->data + c->at, n);
    c->at += n;
    return (ssize_t)n;
}

static int fuzz_cookie_close(void *cookie) {
    (void)cookie;
    return 0;
}

/* Reads everything readable; returns the number of values read (to keep it observable). */
static int64_t sciml_fuzz_netcdf_read_all(sciml_ctx *ctx, FILE *stream) {
    sciml_nc_reader *r = NULL;
    int64_t values_read = 0;
    if (sciml_nc_open_stream(ctx, stream, "fuzz", &r) != SCIML_OK)
        return -1;
    double buffer[4096];
    for (int64_t v = SCIML_NC_GLOBAL; v < sciml_nc_var_count(r); v++) {
        for (int64_t a = 0; a < sciml_nc_att_count(r, v); a++) {
            const char *name;
            sciml_nc_type type;
            int64_t length;
            if (sciml_nc_att_info(r, v, a, &name, &type, &length) != SCIML_OK)
                continue;
            if (type == SCIML_NC_CHAR) {
                const char *text;
                if (sciml_nc_get_att_text(r, v, name, &text, &length) == SCIML_OK)
                    values_read += (int64_t)strlen(text);
            } else if (sciml_nc_get_att_double(r, v, name, buffer, 4096, &length) == SCIML_OK) {
                values_read += length < 4096 ? length : 4096;
            }
        }
    }
    for (int64_t v = 0; v < sciml_nc_var_count(r); v++) {
        sciml_nc_var_info info;
        if (sciml_nc_var_get_info(r, v, &info) != SCIML_OK || info.is_record)
            continue;
        int64_t limit = info.element_count < (1 << 20) ? info.element_count : (1 << 20);
        for (int64_t start = 0; start < limit; start += 4096) {
            int64_t n = limit - start < 4096 ? limit - start : 4096;
            if (sciml_nc_read_var(r, v, start, n, buffer) != SCIML_OK)
                break;
            values_read += n;
        }
    }
    double *record = NULL;
    for (int64_t k = 0; k < 4096; k++) {
        int available = 0;
        if (sciml_nc_has_record(r, k, &available) != SCIML_OK || !available)
            break;
        int failed = 0;
        for (int64_t v = 0; v < sciml_nc_var_count(r) && !failed; v++) {
            sciml_nc_var_info info;
            if (sciml_nc_var_get_info(r, v, &info) != SCIML_OK || !info.is_record ||
                info.element_count > (1 << 16))
                continue;
            double *bigger = realloc(record, (size_t)(info.element_count + 1) * sizeof(double));
            if (!bigger)
                break;
            record = bigger;
            failed = sciml_nc_read_record(r, v, k, record) != SCIML_OK;
            values_read += failed ? 0 : info.element_count;
        }
        if (failed)
            break;
    }
    free(record);
    sciml_nc_close(&r);
    return values_read;
}

static int sciml_fuzz_netcdf_one(const uint8_t *data, size_t size) {
    sciml_ctx *ctx = NULL;
    if (sciml_ctx_create(&ctx) != SCIML_OK)
        return 0;
    if (size > 0) {
        FILE *memory = fmemopen((void *)(uintptr_t)data, size, "rb");
        if (memory) {
            sciml_fuzz_netcdf_read_all(ctx, memory);
            fclose(memory);
        }
    }
    fuzz_cursor cursor = {data, size, 0};
    cookie_io_functions_t functions = {fuzz_cookie_read, NULL, NULL, fuzz_cookie_close};
    FILE *pipe_like = fopencookie(&cursor, "rb", functions);
    if (pipe_like) {
        sciml_fuzz_netcdf_read_all(ctx, pipe_like);
        fclose(pipe_like);
    }
    sciml_ctx_destroy(&ctx);
    return 0;
}

#endif
