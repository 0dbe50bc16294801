/* Tests of the netCDF classic reader and writer (libsciml/io): the 32-byte golden empty file,
 * files made by ncgen -k 1|2|5 read back exactly, our files byte-identical to ncgen's and read
 * by ncdump, streaming through pipes (streaming marker, forward-only reading, backwards begin
 * rejected), atomic output, fill values, conversions, and one test per hostile-input case.
 *
 * Run with `--write-examples DIR` to only write example files for tests/cli/test_io_python.sh.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sciml/netcdf.h"
#include "testutil.h"

#define DATA_DIR SCIML_TEST_DATA "/netcdf"

static sciml_ctx *ctx;

static void setup_ctx(void) {
    if (!ctx)
        CU_ASSERT_FATAL(sciml_ctx_create(&ctx) == SCIML_OK);
    sciml_ctx_clear_error(ctx);
}

static void temp_path(char *out, size_t size, const char *name) {
    snprintf(out, size, "%s/%s", sciml_test_tmpdir(), name);
}

static int have_ncgen(void) {
    static int known = -1;
    if (known < 0) {
        known = system("command -v ncgen >/dev/null 2>&1 && command -v ncdump >/dev/null 2>&1") == 0;
        if (!known)
            printf("\n  note: ncgen/ncdump not found (apt-get install netcdf-bin); ncgen tests skipped\n");
    }
    return known;
}

/* Runs ncgen -k kind on tests/data/netcdf/<cdl>.cdl into the temp dir; returns 0 on success. */
static int run_ncgen(int kind, const char *cdl, char *out, size_t size) {
    char command[1024];
    snprintf(out, size, "%s/%s-k%d.nc", sciml_test_tmpdir(), cdl, kind);
    snprintf(command, sizeof(command), "ncgen -k %d -o '%s' '%s/%s.cdl'", kind, out, DATA_DIR, cdl);
    return system(command);
}

static unsigned char *read_whole(const char *path, long *size) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    *size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *data = malloc((size_t)*size + 1);
    if (data && fread(data, 1, (size_t)*size, f) != (size_t)*size) {
        free(data);
        data = NULL;
    }
    fclose(f);
    return data;
}

static int files_equal(const char *a, const char *b) {
    long size_a = 0, size_b = 0;
    unsigned char *data_a = read_whole(a, &size_a), *data_b = read_whole(b, &size_b);
    int equal = data_a && data_b && size_a == size_b && memcmp(data_a, data_b, (size_t)size_a) == 0;
    if (!equal && data_a && data_b) {
        long i = 0;
        while (i < size_a && i < size_b && data_a[i] == data_b[i])
            i++;
        printf("\n  %s (%ld bytes) and %s (%ld bytes) differ at byte %ld\n", a, size_a, b, size_b, i);
    }
    free(data_a);
    free(data_b);
    return equal;
}

static int64_t var_id(sciml_nc_reader *r, const char *name) {
    int64_t id = -1;
    CU_ASSERT(sciml_nc_find_var(r, name, &id) == SCIML_OK);
    return id;
}

static void assert_fixed(sciml_nc_reader *r, const char *name, const double *expected, int64_t n) {
    double values[16];
    int64_t id = var_id(r, name);
    CU_ASSERT_FATAL(id >= 0 && n <= 16);
    CU_ASSERT(sciml_nc_read_var(r, id, 0, n, values) == SCIML_OK);
    for (int64_t i = 0; i < n; i++)
        CU_ASSERT_EQUAL(values[i], expected[i]);
}

/* ---------------------------------------------------------------------------------------
 * Golden files
 */

static void test_golden_empty(void) {
    setup_ctx();
    sciml_nc_reader *r = NULL;
    CU_ASSERT_FATAL(sciml_nc_open(ctx, DATA_DIR "/empty_cdf1.nc", &r) == SCIML_OK);
    CU_ASSERT_EQUAL(sciml_nc_format_of(r), SCIML_NC_CDF1);
    CU_ASSERT_EQUAL(sciml_nc_dim_count(r), 0);
    CU_ASSERT_EQUAL(sciml_nc_var_count(r), 0);
    CU_ASSERT_EQUAL(sciml_nc_att_count(r, SCIML_NC_GLOBAL), 0);
    CU_ASSERT_EQUAL(sciml_nc_record_count(r), 0);
    sciml_nc_close(&r);
    CU_ASSERT_PTR_NULL(r);

    char path[512];
    temp_path(path, sizeof(path), "empty.nc");
    sciml_nc_writer_options options = sciml_nc_writer_default_options();
    options.format = SCIML_NC_CDF1;
    sciml_nc_writer *w = NULL;
    CU_ASSERT_FATAL(sciml_nc_writer_create(ctx, path, &options, &w) == SCIML_OK);
    CU_ASSERT(sciml_nc_end_def(w) == SCIML_OK);
    CU_ASSERT(sciml_nc_writer_close(&w) == SCIML_OK);
    CU_ASSERT(files_equal(path, DATA_DIR "/empty_cdf1.nc"));
}

/* Writes, with our writer, exactly what tests/data/netcdf/classic.cdl describes. */
static sciml_status write_classic(const char *path, sciml_nc_format format, int stream_records) {
    sciml_nc_writer_options options = sciml_nc_writer_default_options();
    options.format = format;
    sciml_nc_writer *w = NULL;
    sciml_status s = sciml_nc_writer_create(ctx, path, &options, &w);
    if (s)
        return s;
    int64_t x, n, sample, v[10];
    sciml_nc_def_dim(w, "x", 3, &x);
    sciml_nc_def_dim(w, "n", 2, &n);
    sciml_nc_def_dim(w, "sample", 0, &sample);
    int64_t dims_x[1] = {x}, dims_n[1] = {n}, dims_nx[2] = {n, x}, dims_sx[2] = {sample, x},
            dims_s[1] = {sample}, dims_sn[2] = {sample, n};
    sciml_nc_def_var(w, "b", SCIML_NC_BYTE, 1, dims_x, &v[0]);
    sciml_nc_put_att_text(w, v[0], "note", "bytes");
    sciml_nc_def_var(w, "c", SCIML_NC_CHAR, 1, dims_n, &v[1]);
    sciml_nc_def_var(w, "s", SCIML_NC_SHORT, 1, dims_x, &v[2]);
    sciml_nc_def_var(w, "i", SCIML_NC_INT, 1, dims_n, &v[3]);
    sciml_nc_def_var(w, "f", SCIML_NC_FLOAT, 1, dims_x, &v[4]);
    double half = 0.5;
    sciml_nc_put_att_double(w, v[4], "scale", SCIML_NC_FLOAT, &half, 1);
    sciml_nc_def_var(w, "d", SCIML_NC_DOUBLE, 2, dims_nx, &v[5]);
    sciml_nc_put_att_text(w, v[5], "sciml_role", "coordinate");
    sciml_nc_def_var(w, "u", SCIML_NC_DOUBLE, 2, dims_sx, &v[6]);
    sciml_nc_put_att_text(w, v[6], "sciml_role", "output");
    sciml_nc_def_var(w, "rs", SCIML_NC_SHORT, 1, dims_s, &v[7]);
    sciml_nc_def_var(w, "rc", SCIML_NC_CHAR, 2, dims_sn, &v[8]);
    sciml_nc_def_var(w, "ri", SCIML_NC_INT, 1, dims_s, &v[9]);
    sciml_nc_put_att_text(w, SCIML_NC_GLOBAL, "title", "classic test");
    const double gb[] = {1, -2}, gs[] = {-300, 7}, gi[] = {100000, -5}, gf[] = {1.5},
                 gd[] = {3.25, -1e300};
    sciml_nc_put_att_double(w, SCIML_NC_GLOBAL, "gb", SCIML_NC_BYTE, gb, 2);
    sciml_nc_put_att_double(w, SCIML_NC_GLOBAL, "gs", SCIML_NC_SHORT, gs, 2);
    sciml_nc_put_att_double(w, SCIML_NC_GLOBAL, "gi", SCIML_NC_INT, gi, 2);
    sciml_nc_put_att_double(w, SCIML_NC_GLOBAL, "gf", SCIML_NC_FLOAT, gf, 1);
    s = sciml_nc_put_att_double(w, SCIML_NC_GLOBAL, "gd", SCIML_NC_DOUBLE, gd, 2);
    if (s == SCIML_OK)
        s = sciml_nc_end_def(w);
    const double b[] = {-128, 0, 127}, c[] = {'h', 'i'}, sv[] = {-32768, 1, 32767},
                 i[] = {-2000000000, 2147483647}, f[] = {1.5, -2.25, 1e30},
                 d[] = {1, 2, 3, 4, 5, 6};
    const double *fixed[] = {b, c, sv, i, f, d};
    const int64_t counts[] = {3, 2, 3, 2, 3, 6};
    for (int k = 0; k < 6 && s == SCIML_OK; k++)
        s = sciml_nc_write_var(w, v[k], 0, counts[k], fixed[k]);
    const double u[] = {0.1, 0.2, 0.3, 1.1, 1.2, 1.3, 2.1, 2.2, 2.3}, rs[] = {10, -20, 30},
                 rc[] = {'a', 'b', 'c', 'd', 'e', 'f'}, ri[] = {7, 8, 9};
    for (int64_t r = 0; r < 3 && s == SCIML_OK; r++) {
        /* Within a record, variables in any order. */
        s = sciml_nc_write_record(w, v[9], r, &ri[r]);
        if (s == SCIML_OK)
            s = sciml_nc_write_record(w, v[8], r, &rc[2 * r]);
        if (s == SCIML_OK && !stream_records)
            s = sciml_nc_write_record(w, v[6], r, &u[3 * r]);
        if (s == SCIML_OK)
            s = sciml_nc_write_record(w, v[7], r, &rs[r]);
    }
    if (stream_records && s == SCIML_OK)
        s = sciml_nc_write_records(w, v[6], 0, 3, u); /* seekable: goes back */
    if (s) {
        sciml_nc_writer_abort(&w);
        return s;
    }
    return sciml_nc_writer_close(&w);
}

static void check_classic(sciml_nc_reader *r) {
    CU_ASSERT_EQUAL(sciml_nc_dim_count(r), 3);
    CU_ASSERT_EQUAL(sciml_nc_record_dim(r), 2);
    CU_ASSERT_EQUAL(sciml_nc_record_count(r), 3);
    CU_ASSERT_EQUAL(sciml_nc_dim_length(r, 0), 3);
    CU_ASSERT_STRING_EQUAL(sciml_nc_dim_name(r, 1), "n");
    CU_ASSERT_EQUAL(sciml_nc_var_count(r), 10);
    const double b[] = {-128, 0, 127}, c[] = {'h', 'i'}, s[] = {-32768, 1, 32767},
                 i[] = {-2000000000, 2147483647}, f[] = {1.5, -2.25, (double)1e30f},
                 d[] = {1, 2, 3, 4, 5, 6};
    assert_fixed(r, "b", b, 3);
    assert_fixed(r, "c", c, 2);
    assert_fixed(r, "s", s, 3);
    assert_fixed(r, "i", i, 2);
    assert_fixed(r, "f", f, 3);
    assert_fixed(r, "d", d, 6);
    /* a chunk of a fixed variable */
    double part[2];
    CU_ASSERT(sciml_nc_read_var(r, var_id(r, "d"), 3, 2, part) == SCIML_OK);
    CU_ASSERT(part[0] == 4 && part[1] == 5);
    sciml_nc_var_info info;
    CU_ASSERT(sciml_nc_var_get_info(r, var_id(r, "u"), &info) == SCIML_OK);
    CU_ASSERT(info.is_record && info.rank == 2 && info.element_count == 3);
    CU_ASSERT(info.shape[0] == 3 && info.shape[1] == 3 && info.type == SCIML_NC_DOUBLE);
    int64_t u_id = var_id(r, "u"), rs_id = var_id(r, "rs"), rc_id = var_id(r, "rc"),
            ri_id = var_id(r, "ri");
    for (int64_t k = 0; k < 3; k++) {
        double u[3], rs, rc[2], ri;
        CU_ASSERT(sciml_nc_read_record(r, ri_id, k, &ri) == SCIML_OK);
        CU_ASSERT(sciml_nc_read_record(r, u_id, k, u) == SCIML_OK);
        CU_ASSERT(sciml_nc_read_record(r, rs_id, k, &rs) == SCIML_OK);
        CU_ASSERT(sciml_nc_read_record(r, rc_id, k, rc) == SCIML_OK);
        const double expected_u[3][3] = {{0.1, 0.2, 0.3}, {1.1, 1.2, 1.3}, {2.1, 2.2, 2.3}};
        for (int j = 0; j < 3; j++)
            CU_ASSERT_EQUAL(u[j], expected_u[k][j]);
        const double expected_rs[3] = {10, -20, 30};
        CU_ASSERT_EQUAL(rs, expected_rs[k]);
        CU_ASSERT_EQUAL(ri, (double)(7 + k));
        CU_ASSERT_EQUAL(rc[0], (double)('a' + 2 * k));
        CU_ASSERT_EQUAL(rc[1], (double)('b' + 2 * k));
    }
    const char *text;
    int64_t length;
    CU_ASSERT(sciml_nc_get_att_text(r, SCIML_NC_GLOBAL, "title", &text, &length) == SCIML_OK);
    CU_ASSERT_STRING_EQUAL(text, "classic test");
    CU_ASSERT_EQUAL(length, 12);
    CU_ASSERT(sciml_nc_get_att_text(r, var_id(r, "u"), "sciml_role", &text, NULL) == SCIML_OK);
    CU_ASSERT_STRING_EQUAL(text, "output");
    double values[4];
    CU_ASSERT(sciml_nc_get_att_double(r, SCIML_NC_GLOBAL, "gb", values, 4, &length) == SCIML_OK);
    CU_ASSERT(length == 2 && values[0] == 1 && values[1] == -2);
    CU_ASSERT(sciml_nc_get_att_double(r, SCIML_NC_GLOBAL, "gs", values, 4, &length) == SCIML_OK);
    CU_ASSERT(length == 2 && values[0] == -300 && values[1] == 7);
    CU_ASSERT(sciml_nc_get_att_double(r, SCIML_NC_GLOBAL, "gi", values, 4, &length) == SCIML_OK);
    CU_ASSERT(length == 2 && values[0] == 100000 && values[1] == -5);
    CU_ASSERT(sciml_nc_get_att_double(r, SCIML_NC_GLOBAL, "gf", values, 4, &length) == SCIML_OK);
    CU_ASSERT(length == 1 && values[0] == 1.5);
    CU_ASSERT(sciml_nc_get_att_double(r, SCIML_NC_GLOBAL, "gd", values, 1, &length) == SCIML_OK);
    CU_ASSERT(length == 2 && values[0] == 3.25);
    CU_ASSERT(sciml_nc_get_att_double(r, var_id(r, "f"), "scale", values, 1, NULL) == SCIML_OK);
    CU_ASSERT_EQUAL(values[0], 0.5);
    /* wrong kinds and missing names */
    CU_ASSERT(sciml_nc_get_att_double(r, SCIML_NC_GLOBAL, "title", values, 1, NULL) ==
              SCIML_ERR_FORMAT);
    CU_ASSERT(sciml_nc_get_att_text(r, SCIML_NC_GLOBAL, "gd", &text, NULL) == SCIML_ERR_FORMAT);
    CU_ASSERT(sciml_nc_find_att(r, SCIML_NC_GLOBAL, "nothing", NULL) == SCIML_ERR_NOT_FOUND);
    int64_t id;
    CU_ASSERT(sciml_nc_find_var(r, "nothing", &id) == SCIML_ERR_NOT_FOUND);
    CU_ASSERT(strstr(sciml_ctx_message(ctx), "no variable named 'nothing'") != NULL);
    /* record API on a fixed variable and the reverse */
    CU_ASSERT(sciml_nc_read_record(r, var_id(r, "b"), 0, values) == SCIML_ERR_ARG);
    CU_ASSERT(sciml_nc_read_var(r, u_id, 0, 1, values) == SCIML_ERR_ARG);
    CU_ASSERT(sciml_nc_read_record(r, u_id, 3, values) == SCIML_ERR_RANGE);
    CU_ASSERT(sciml_nc_read_var(r, var_id(r, "b"), 2, 2, values) == SCIML_ERR_RANGE);
}

static void test_ncgen_classic(void) {
    setup_ctx();
    if (!have_ncgen())
        return;
    for (int kind = 1; kind <= 5; kind++) {
        if (kind == 3 || kind == 4)
            continue;
        char path[512], ours[512];
        CU_ASSERT_FATAL(run_ncgen(kind, "classic", path, sizeof(path)) == 0);
        sciml_nc_reader *r = NULL;
        CU_ASSERT_FATAL(sciml_nc_open(ctx, path, &r) == SCIML_OK);
        CU_ASSERT_EQUAL((int)sciml_nc_format_of(r), kind);
        check_classic(r);
        sciml_nc_close(&r);
        /* our writer produces the same bytes as netCDF-C */
        snprintf(ours, sizeof(ours), "%s/ours-classic-k%d.nc", sciml_test_tmpdir(), kind);
        CU_ASSERT_FATAL(write_classic(ours, (sciml_nc_format)kind, kind == 2) == SCIML_OK);
        CU_ASSERT(files_equal(ours, path));
        CU_ASSERT_FATAL(sciml_nc_open(ctx, ours, &r) == SCIML_OK);
        check_classic(r);
        sciml_nc_close(&r);
    }
}

static void test_ncgen_all_types(void) {
    setup_ctx();
    if (!have_ncgen())
        return;
    char path[512];
    CU_ASSERT_FATAL(run_ncgen(5, "all_types", path, sizeof(path)) == 0);
    sciml_nc_reader *r = NULL;
    CU_ASSERT_FATAL(sciml_nc_open(ctx, path, &r) == SCIML_OK);
    CU_ASSERT_EQUAL(sciml_nc_format_of(r), SCIML_NC_CDF5);
    CU_ASSERT_EQUAL(sciml_nc_record_count(r), 2);
    uint8_t ub[2];
    uint16_t us[2];
    uint32_t ui[2];
    uint64_t u64[2], ru;
    CU_ASSERT(sciml_nc_read_var_raw(r, var_id(r, "ub"), 0, 2, ub) == SCIML_OK);
    CU_ASSERT(ub[0] == 0 && ub[1] == 254);
    CU_ASSERT(sciml_nc_read_var_raw(r, var_id(r, "us"), 0, 2, us) == SCIML_OK);
    CU_ASSERT(us[0] == 0 && us[1] == 65534);
    CU_ASSERT(sciml_nc_read_var_raw(r, var_id(r, "ui"), 0, 2, ui) == SCIML_OK);
    CU_ASSERT(ui[0] == 0 && ui[1] == 4294967294u);
    CU_ASSERT(sciml_nc_read_var_raw(r, var_id(r, "u64"), 0, 2, u64) == SCIML_OK);
    CU_ASSERT(u64[0] == 0 && u64[1] == 18446744073709551613ULL);
    double d[2];
    CU_ASSERT(sciml_nc_read_var(r, var_id(r, "ui"), 0, 2, d) == SCIML_OK);
    CU_ASSERT(d[1] == 4294967294.0);
    CU_ASSERT(sciml_nc_read_record_raw(r, var_id(r, "ru"), 1, &ru) == SCIML_OK);
    CU_ASSERT(ru == 18446744073709551613ULL);
    CU_ASSERT(sciml_nc_read_record(r, var_id(r, "rd"), 1, d) == SCIML_OK);
    CU_ASSERT(d[0] == 3.5 && d[1] == 4.5);
    CU_ASSERT(sciml_nc_read_records(r, var_id(r, "rb"), 0, 2, d) == SCIML_OK);
    CU_ASSERT(d[0] == 1 && d[1] == 2);
    sciml_nc_type type;
    const void *raw;
    int64_t length;
    CU_ASSERT(sciml_nc_get_att_raw(r, SCIML_NC_GLOBAL, "gi64", &type, &raw, &length) == SCIML_OK);
    CU_ASSERT(type == SCIML_NC_INT64 && length == 1 &&
              *(const int64_t *)raw == -9000000000000000000LL);
    CU_ASSERT(sciml_nc_get_att_raw(r, SCIML_NC_GLOBAL, "gu64", &type, &raw, &length) == SCIML_OK);
    CU_ASSERT(type == SCIML_NC_UINT64 && *(const uint64_t *)raw == 18000000000000000000ULL);
    double value;
    CU_ASSERT(sciml_nc_get_att_double(r, SCIML_NC_GLOBAL, "gub", &value, 1, NULL) == SCIML_OK);
    CU_ASSERT(value == 200);
    CU_ASSERT(sciml_nc_get_att_double(r, SCIML_NC_GLOBAL, "gus", &value, 1, NULL) == SCIML_OK);
    CU_ASSERT(value == 60000);
    CU_ASSERT(sciml_nc_get_att_double(r, SCIML_NC_GLOBAL, "gui", &value, 1, NULL) == SCIML_OK);
    CU_ASSERT(value == 4000000000.0);
    sciml_nc_close(&r);
}

static void test_ncgen_single_record(void) {
    setup_ctx();
    if (!have_ncgen())
        return;
    const int kinds[] = {1, 2, 5};
    for (int k = 0; k < 3; k++) {
        char path[512], ours[512];
        CU_ASSERT_FATAL(run_ncgen(kinds[k], "single_record", path, sizeof(path)) == 0);
        sciml_nc_reader *r = NULL;
        CU_ASSERT_FATAL(sciml_nc_open(ctx, path, &r) == SCIML_OK);
        CU_ASSERT_EQUAL(sciml_nc_record_count(r), 3);
        double s[3];
        for (int64_t rec = 0; rec < 3; rec++) {
            CU_ASSERT(sciml_nc_read_record(r, 0, rec, s) == SCIML_OK);
            for (int j = 0; j < 3; j++)
                CU_ASSERT_EQUAL(s[j], (double)(3 * rec + j + 1));
        }
        sciml_nc_close(&r);
        /* our writer: same bytes (6-byte records, no padding, last record unpadded) */
        snprintf(ours, sizeof(ours), "%s/ours-single-%d.nc", sciml_test_tmpdir(), kinds[k]);
        sciml_nc_writer_options options = {(sciml_nc_format)kinds[k], 3};
        sciml_nc_writer *w = NULL;
        CU_ASSERT_FATAL(sciml_nc_writer_create(ctx, ours, &options, &w) == SCIML_OK);
        int64_t x, t, dims[2];
        sciml_nc_def_dim(w, "x", 3, &x);
        sciml_nc_def_dim(w, "time", 0, &t);
        dims[0] = t;
        dims[1] = x;
        CU_ASSERT(sciml_nc_def_var(w, "s", SCIML_NC_SHORT, 2, dims, NULL) == SCIML_OK);
        CU_ASSERT(sciml_nc_end_def(w) == SCIML_OK);
        for (int64_t rec = 0; rec < 3; rec++) {
            const double row[3] = {3 * rec + 1, 3 * rec + 2, 3 * rec + 3};
            CU_ASSERT(sciml_nc_write_record(w, 0, rec, row) == SCIML_OK);
        }
        CU_ASSERT(sciml_nc_writer_close(&w) == SCIML_OK);
        CU_ASSERT(files_equal(ours, path));
    }
}

/* ---------------------------------------------------------------------------------------
 * ncdump reads our files
 */

static char *run_capture(const char *command) {
    FILE *p = popen(command, "r");
    if (!p)
        return NULL;
    size_t capacity = 4096, size = 0;
    char *text = malloc(capacity);
    size_t got;
    while (text && (got = fread(text + size, 1, capacity - size - 1, p)) > 0) {
        size += got;
        if (capacity - size < 2) {
            capacity *= 2;
            text = realloc(text, capacity);
        }
    }
    if (pclose(p) != 0) {
        free(text);
        return NULL;
    }
    if (text)
        text[size] = '\0';
    return text;
}

static void test_ncdump_reads_ours(void) {
    setup_ctx();
    if (!have_ncgen())
        return;
    const sciml_nc_format formats[] = {SCIML_NC_CDF1, SCIML_NC_CDF2, SCIML_NC_CDF5};
    for (int k = 0; k < 3; k++) {
        char path[512], command[1024];
        snprintf(path, sizeof(path), "%s/dump-%d.nc", sciml_test_tmpdir(), (int)formats[k]);
        sciml_nc_writer_options options = {formats[k], -1};
        sciml_nc_writer *w = NULL;
        CU_ASSERT_FATAL(sciml_nc_writer_create(ctx, path, &options, &w) == SCIML_OK);
        int64_t sample, x, dims[2];
        sciml_nc_def_dim(w, "sample", 0, &sample);
        sciml_nc_def_dim(w, "x", 4, &x);
        dims[0] = sample;
        dims[1] = x;
        int64_t u, grid;
        CU_ASSERT(sciml_nc_def_var(w, "grid", SCIML_NC_DOUBLE, 1, &x, &grid) == SCIML_OK);
        CU_ASSERT(sciml_nc_def_var(w, "u", SCIML_NC_DOUBLE, 2, dims, &u) == SCIML_OK);
        CU_ASSERT(sciml_nc_put_att_text(w, u, "sciml_role", "output") == SCIML_OK);
        CU_ASSERT(sciml_nc_end_def(w) == SCIML_OK);
        const double g[4] = {0, 0.25, 0.5, 0.75};
        CU_ASSERT(sciml_nc_write_var(w, grid, 0, 4, g) == SCIML_OK);
        for (int64_t r = 0; r < 2; r++) {
            const double row[4] = {r + 0.5, r + 1.5, r + 2.5, -(r + 3.5)};
            CU_ASSERT(sciml_nc_write_record(w, u, r, row) == SCIML_OK);
        }
        CU_ASSERT(sciml_nc_writer_close(&w) == SCIML_OK);
        snprintf(command, sizeof(command), "ncdump '%s'", path);
        char *dump = run_capture(command);
        CU_ASSERT_PTR_NOT_NULL_FATAL(dump);
        CU_ASSERT(strstr(dump, "sample = UNLIMITED ; // (2 currently)") != NULL);
        CU_ASSERT(strstr(dump, "u:sciml_role = \"output\" ;") != NULL);
        CU_ASSERT(strstr(dump, " grid = 0, 0.25, 0.5, 0.75 ;") != NULL);
        CU_ASSERT(strstr(dump, " u =\n  0.5, 1.5, 2.5, -3.5,\n  1.5, 2.5, 3.5, -4.5 ;") != NULL);
        snprintf(command, sizeof(command), "ncdump -k '%s'", path);
        char *kind = run_capture(command);
        CU_ASSERT_PTR_NOT_NULL_FATAL(kind);
        const char *expected_kind[] = {"classic", "64-bit offset", "cdf5"};
        CU_ASSERT(strncmp(kind, expected_kind[k], strlen(expected_kind[k])) == 0);
        free(kind);
        free(dump);
    }
}

/* ---------------------------------------------------------------------------------------
 * Streaming through pipes
 */

static void test_stream_through_pipes(void) {
    setup_ctx();
    char path[512], command[600], write_command[600];
    temp_path(path, sizeof(path), "streamed.nc");
    snprintf(write_command, sizeof(write_command), "cat > '%s'", path);
    const sciml_nc_format formats[] = {SCIML_NC_CDF2, SCIML_NC_CDF5};
    for (int k = 0; k < 2; k++) {
        /* write to a pipe with an unknown record count: the streaming marker */
        FILE *pipe_out = popen(write_command, "w");
        CU_ASSERT_PTR_NOT_NULL_FATAL(pipe_out);
        sciml_nc_writer_options options = {formats[k], -1};
        sciml_nc_writer *w = NULL;
        CU_ASSERT_FATAL(sciml_nc_writer_create_stream(ctx, pipe_out, "pipe", &options, &w) ==
                        SCIML_OK);
        CU_ASSERT_PTR_NULL(sciml_nc_writer_temp_path(w));
        int64_t sample, x, grid, a, b, dims[2];
        sciml_nc_def_dim(w, "sample", 0, &sample);
        sciml_nc_def_dim(w, "x", 5, &x);
        dims[0] = sample;
        dims[1] = x;
        sciml_nc_def_var(w, "grid", SCIML_NC_DOUBLE, 1, &x, &grid);
        sciml_nc_def_var(w, "a", SCIML_NC_DOUBLE, 2, dims, &a);
        sciml_nc_def_var(w, "b", SCIML_NC_FLOAT, 1, &sample, &b);
        CU_ASSERT(sciml_nc_end_def(w) == SCIML_OK);
        const double g[5] = {1, 2, 3, 4, 5};
        CU_ASSERT(sciml_nc_write_var(w, grid, 0, 2, g) == SCIML_OK);    /* in chunks */
        CU_ASSERT(sciml_nc_write_var(w, grid, 2, 3, g + 2) == SCIML_OK);
        CU_ASSERT(sciml_nc_write_var(w, grid, 0, 1, g) == SCIML_ERR_STATE); /* backwards */
        for (int64_t r = 0; r < 7; r++) {
            double row[5], scalar = (double)r * 0.5;
            for (int j = 0; j < 5; j++)
                row[j] = r * 10.0 + j;
            CU_ASSERT(sciml_nc_write_record(w, b, r, &scalar) == SCIML_OK);
            CU_ASSERT(sciml_nc_write_record(w, a, r, row) == SCIML_OK);
        }
        double row[5] = {0};
        CU_ASSERT(sciml_nc_write_record(w, a, 2, row) == SCIML_ERR_STATE); /* backwards */
        CU_ASSERT(sciml_nc_writer_close(&w) == SCIML_OK);
        CU_ASSERT(pclose(pipe_out) == 0);
        /* the marker is in the file */
        long size;
        unsigned char *bytes = read_whole(path, &size);
        CU_ASSERT_PTR_NOT_NULL_FATAL(bytes);
        int width = formats[k] == SCIML_NC_CDF5 ? 8 : 4;
        for (int i = 0; i < width; i++)
            CU_ASSERT_EQUAL(bytes[4 + i], 0xFF);
        free(bytes);

        /* read it back from a pipe, record by record, without knowing the count */
        snprintf(command, sizeof(command), "cat '%s'", path);
        FILE *pipe_in = popen(command, "r");
        sciml_nc_reader *r = NULL;
        CU_ASSERT_FATAL(sciml_nc_open_stream(ctx, pipe_in, "pipe-in", &r) == SCIML_OK);
        CU_ASSERT_EQUAL(sciml_nc_is_seekable(r), 0);
        CU_ASSERT_EQUAL(sciml_nc_record_count(r), -1);
        double grid_values[5];
        CU_ASSERT(sciml_nc_read_var(r, 0, 0, 5, grid_values) == SCIML_OK);
        CU_ASSERT(grid_values[0] == 1 && grid_values[4] == 5);
        int64_t count = 0;
        int available = 0;
        while (sciml_nc_has_record(r, count, &available) == SCIML_OK && available) {
            double values[5], scalar;
            CU_ASSERT(sciml_nc_read_record(r, 2, count, &scalar) == SCIML_OK); /* b before a */
            CU_ASSERT(sciml_nc_read_record(r, 1, count, values) == SCIML_OK);
            CU_ASSERT_EQUAL(scalar, count * 0.5);
            CU_ASSERT_EQUAL(values[3], count * 10.0 + 3);
            count++;
        }
        CU_ASSERT_EQUAL(count, 7);
        /* no going back on a pipe */
        CU_ASSERT(sciml_nc_read_var(r, 0, 0, 1, grid_values) == SCIML_ERR_FORMAT);
        CU_ASSERT(strstr(sciml_ctx_message(ctx), "forward only") != NULL);
        sciml_nc_close(&r);
        pclose(pipe_in);

        /* the same file opened seekable derives the count from its size */
        CU_ASSERT_FATAL(sciml_nc_open(ctx, path, &r) == SCIML_OK);
        CU_ASSERT_EQUAL(sciml_nc_record_count(r), 7);
        double last[5];
        CU_ASSERT(sciml_nc_read_record(r, 1, 6, last) == SCIML_OK);
        CU_ASSERT_EQUAL(last[4], 64.0);
        sciml_nc_close(&r);
    }
}

static void test_stream_declared_count(void) {
    setup_ctx();
    char path[512], command[600];
    temp_path(path, sizeof(path), "declared.nc");
    snprintf(command, sizeof(command), "cat > '%s'", path);
    FILE *pipe_out = popen(command, "w");
    sciml_nc_writer_options options = {SCIML_NC_AUTO, 3};
    sciml_nc_writer *w = NULL;
    CU_ASSERT_FATAL(sciml_nc_writer_create_stream(ctx, pipe_out, "pipe", &options, &w) == SCIML_OK);
    int64_t sample, v;
    sciml_nc_def_dim(w, "sample", 0, &sample);
    sciml_nc_def_var(w, "v", SCIML_NC_DOUBLE, 1, &sample, &v);
    CU_ASSERT(sciml_nc_end_def(w) == SCIML_OK);
    CU_ASSERT_EQUAL(sciml_nc_writer_format(w), SCIML_NC_CDF2);
    for (int64_t r = 0; r < 3; r++) {
        double value = (double)r;
        CU_ASSERT(sciml_nc_write_record(w, v, r, &value) == SCIML_OK);
    }
    double value = 9;
    CU_ASSERT(sciml_nc_write_record(w, v, 3, &value) == SCIML_ERR_RANGE);
    CU_ASSERT(sciml_nc_writer_close(&w) == SCIML_OK);
    pclose(pipe_out);
    sciml_nc_reader *r = NULL;
    CU_ASSERT_FATAL(sciml_nc_open(ctx, path, &r) == SCIML_OK);
    CU_ASSERT_EQUAL(sciml_nc_record_count(r), 3);
    sciml_nc_close(&r);
    if (have_ncgen()) {
        snprintf(command, sizeof(command), "ncdump '%s'", path);
        char *dump = run_capture(command);
        CU_ASSERT(dump && strstr(dump, " v = 0, 1, 2 ;") != NULL);
        free(dump);
    }
}

/* A file whose fixed variables are stored in reverse header order: fine when seekable,
 * rejected on a pipe. Built with the writer, then the two begin fields are swapped. */
static void test_backwards_begin_on_pipe(void) {
    setup_ctx();
    char path[512], command[600];
    temp_path(path, sizeof(path), "backwards.nc");
    sciml_nc_writer_options options = {SCIML_NC_CDF1, -1};
    sciml_nc_writer *w = NULL;
    CU_ASSERT_FATAL(sciml_nc_writer_create(ctx, path, &options, &w) == SCIML_OK);
    int64_t x, a, b;
    sciml_nc_def_dim(w, "x", 2, &x);
    sciml_nc_def_var(w, "a", SCIML_NC_INT, 1, &x, &a);
    sciml_nc_def_var(w, "b", SCIML_NC_INT, 1, &x, &b);
    CU_ASSERT(sciml_nc_end_def(w) == SCIML_OK);
    const double av[2] = {1, 2}, bv[2] = {3, 4};
    sciml_nc_write_var(w, a, 0, 2, av);
    sciml_nc_write_var(w, b, 0, 2, bv);
    CU_ASSERT(sciml_nc_writer_close(&w) == SCIML_OK);
    long size;
    unsigned char *bytes = read_whole(path, &size);
    CU_ASSERT_FATAL(bytes && size == 132);
    /* CDF-1 header of 116 bytes: a's begin at 76..79, b's begin at 112..115 */
    unsigned char tmp[4];
    memcpy(tmp, bytes + 76, 4);
    memcpy(bytes + 76, bytes + 112, 4);
    memcpy(bytes + 112, tmp, 4);
    FILE *f = fopen(path, "wb");
    fwrite(bytes, 1, (size_t)size, f);
    fclose(f);
    free(bytes);
    sciml_nc_reader *r = NULL;
    CU_ASSERT_FATAL(sciml_nc_open(ctx, path, &r) == SCIML_OK);
    double values[2];
    CU_ASSERT(sciml_nc_read_var(r, a, 0, 2, values) == SCIML_OK);
    CU_ASSERT(values[0] == 3 && values[1] == 4);
    sciml_nc_close(&r);
    snprintf(command, sizeof(command), "cat '%s'", path);
    FILE *pipe_in = popen(command, "r");
    CU_ASSERT(sciml_nc_open_stream(ctx, pipe_in, "pipe", &r) == SCIML_ERR_FORMAT);
    CU_ASSERT(strstr(sciml_ctx_message(ctx), "before variable 'a'") != NULL);
    CU_ASSERT_PTR_NULL(r);
    pclose(pipe_in);
}

/* ---------------------------------------------------------------------------------------
 * Writer behaviour
 */

static int count_temp_files(const char *directory, const char *base_name) {
    char command[1024];
    snprintf(command, sizeof(command), "ls -a '%s' | grep -c '^\\.%s\\.' ", directory, base_name);
    char *out = run_capture(command);
    int n = out ? atoi(out) : 0;
    free(out);
    return n;
}

static void test_atomic_output(void) {
    setup_ctx();
    char path[512];
    temp_path(path, sizeof(path), "atomic.nc");
    FILE *f = fopen(path, "w");
    fputs("old contents", f);
    fclose(f);
    /* abort: the old file stays, the temporary goes */
    sciml_nc_writer *w = NULL;
    CU_ASSERT_FATAL(sciml_nc_writer_create(ctx, path, NULL, &w) == SCIML_OK);
    const char *temp = sciml_nc_writer_temp_path(w);
    CU_ASSERT_PTR_NOT_NULL_FATAL(temp);
    CU_ASSERT(access(temp, F_OK) == 0);
    CU_ASSERT(count_temp_files(sciml_test_tmpdir(), "atomic.nc") == 1);
    int64_t x, v;
    sciml_nc_def_dim(w, "x", 1000, &x);
    sciml_nc_def_var(w, "v", SCIML_NC_DOUBLE, 1, &x, &v);
    CU_ASSERT(sciml_nc_end_def(w) == SCIML_OK);
    sciml_nc_writer_abort(&w);
    CU_ASSERT_PTR_NULL(w);
    sciml_nc_writer_abort(&w); /* NULL-safe */
    long size;
    char *text = (char *)read_whole(path, &size);
    CU_ASSERT(text && size == 12 && memcmp(text, "old contents", 12) == 0);
    free(text);
    CU_ASSERT(count_temp_files(sciml_test_tmpdir(), "atomic.nc") == 0);
    /* a declared count that is not met: close fails, nothing changes */
    sciml_nc_writer_options options = {SCIML_NC_AUTO, 5};
    CU_ASSERT_FATAL(sciml_nc_writer_create(ctx, path, &options, &w) == SCIML_OK);
    int64_t sample;
    sciml_nc_def_dim(w, "sample", 0, &sample);
    sciml_nc_def_var(w, "v", SCIML_NC_DOUBLE, 1, &sample, &v);
    CU_ASSERT(sciml_nc_end_def(w) == SCIML_OK);
    double one = 1;
    CU_ASSERT(sciml_nc_write_record(w, v, 0, &one) == SCIML_OK);
    CU_ASSERT(sciml_nc_writer_close(&w) == SCIML_ERR_STATE);
    CU_ASSERT(strstr(sciml_ctx_message(ctx), "5 records were declared but 1 were written") != NULL);
    text = (char *)read_whole(path, &size);
    CU_ASSERT(text && size == 12);
    free(text);
    CU_ASSERT(count_temp_files(sciml_test_tmpdir(), "atomic.nc") == 0);
    /* success replaces it, with ordinary permissions */
    CU_ASSERT(write_classic(path, SCIML_NC_AUTO, 0) == SCIML_OK);
    struct stat st;
    CU_ASSERT(stat(path, &st) == 0 && (st.st_mode & 0044) != 0);
    sciml_nc_reader *r = NULL;
    CU_ASSERT_FATAL(sciml_nc_open(ctx, path, &r) == SCIML_OK);
    check_classic(r);
    sciml_nc_close(&r);
    /* a directory that does not exist */
    CU_ASSERT(sciml_nc_writer_create(ctx, "/nonexistent-dir/x.nc", NULL, &w) == SCIML_ERR_IO);
    CU_ASSERT_PTR_NULL(w);
}

static void test_fill_and_patch(void) {
    setup_ctx();
    char path[512];
    temp_path(path, sizeof(path), "fill.nc");
    sciml_nc_writer *w = NULL;
    CU_ASSERT_FATAL(sciml_nc_writer_create(ctx, path, NULL, &w) == SCIML_OK);
    int64_t x, sample, a, s, rv, dims[2];
    sciml_nc_def_dim(w, "x", 5, &x);
    sciml_nc_def_dim(w, "sample", 0, &sample);
    sciml_nc_def_var(w, "a", SCIML_NC_DOUBLE, 1, &x, &a);
    sciml_nc_def_var(w, "s", SCIML_NC_SHORT, 1, &x, &s);
    dims[0] = sample;
    dims[1] = x;
    sciml_nc_def_var(w, "r", SCIML_NC_INT, 2, dims, &rv);
    CU_ASSERT(sciml_nc_end_def(w) == SCIML_OK);
    const double two[2] = {7, 8};
    CU_ASSERT(sciml_nc_write_var(w, a, 3, 2, two) == SCIML_OK);     /* a[0..2] unwritten */
    const double row[5] = {1, 2, 3, 4, 5};
    CU_ASSERT(sciml_nc_write_record(w, rv, 3, row) == SCIML_OK);    /* records 0..2 skipped */
    CU_ASSERT(sciml_nc_write_var(w, s, 0, 1, row) == SCIML_OK);     /* seek back */
    CU_ASSERT(sciml_nc_write_record(w, rv, 1, row) == SCIML_OK);    /* an earlier record */
    CU_ASSERT(sciml_nc_writer_close(&w) == SCIML_OK);
    sciml_nc_reader *r = NULL;
    CU_ASSERT_FATAL(sciml_nc_open(ctx, path, &r) == SCIML_OK);
    CU_ASSERT_EQUAL(sciml_nc_record_count(r), 4); /* patched at close */
    double values[5];
    CU_ASSERT(sciml_nc_read_var(r, a, 0, 5, values) == SCIML_OK);
    CU_ASSERT(values[0] == sciml_nc_default_fill(SCIML_NC_DOUBLE) && values[2] == 9.969209968386869e36);
    CU_ASSERT(values[3] == 7 && values[4] == 8);
    CU_ASSERT(sciml_nc_read_var(r, s, 0, 5, values) == SCIML_OK);
    CU_ASSERT(values[0] == 1 && values[1] == -32767 && values[4] == -32767);
    CU_ASSERT(sciml_nc_read_record(r, rv, 0, values) == SCIML_OK);
    CU_ASSERT(values[0] == -2147483647.0 && values[4] == -2147483647.0);
    CU_ASSERT(sciml_nc_read_record(r, rv, 1, values) == SCIML_OK);
    CU_ASSERT(values[0] == 1 && values[4] == 5);
    CU_ASSERT(sciml_nc_read_record(r, rv, 2, values) == SCIML_OK);
    CU_ASSERT(values[2] == -2147483647.0);
    CU_ASSERT(sciml_nc_read_record(r, rv, 3, values) == SCIML_OK);
    CU_ASSERT(values[2] == 3);
    sciml_nc_close(&r);
}

static void test_format_choice_and_conversion(void) {
    setup_ctx();
    char path[512];
    temp_path(path, sizeof(path), "choice.nc");
    sciml_nc_writer *w = NULL;
    int64_t x, v;
    /* a 64-bit type makes AUTO choose CDF-5 */
    CU_ASSERT_FATAL(sciml_nc_writer_create(ctx, path, NULL, &w) == SCIML_OK);
    sciml_nc_def_dim(w, "x", 2, &x);
    sciml_nc_def_var(w, "v", SCIML_NC_INT64, 1, &x, &v);
    CU_ASSERT(sciml_nc_end_def(w) == SCIML_OK);
    CU_ASSERT_EQUAL(sciml_nc_writer_format(w), SCIML_NC_CDF5);
    const int64_t big[2] = {INT64_MIN + 5, INT64_MAX - 5};
    CU_ASSERT(sciml_nc_write_var_raw(w, v, 0, 2, big) == SCIML_OK);
    CU_ASSERT(sciml_nc_writer_close(&w) == SCIML_OK);
    sciml_nc_reader *r = NULL;
    CU_ASSERT_FATAL(sciml_nc_open(ctx, path, &r) == SCIML_OK);
    int64_t back[2];
    CU_ASSERT(sciml_nc_read_var_raw(r, 0, 0, 2, back) == SCIML_OK);
    CU_ASSERT(back[0] == big[0] && back[1] == big[1]);
    sciml_nc_close(&r);
    if (have_ncgen()) {
        char command[600];
        snprintf(command, sizeof(command), "ncdump '%s'", path);
        char *dump = run_capture(command);
        CU_ASSERT(dump && strstr(dump, "int64 v(x) ;") &&
                  strstr(dump, " v = -9223372036854775803, 9223372036854775802 ;"));
        free(dump);
    }
    /* a huge dimension makes AUTO choose CDF-5; CDF-1 on request refuses a 64-bit type */
    CU_ASSERT_FATAL(sciml_nc_writer_create(ctx, path, NULL, &w) == SCIML_OK);
    sciml_nc_def_dim(w, "x", (int64_t)1 << 32, &x);
    CU_ASSERT(sciml_nc_set_record_count(w, 0) == SCIML_OK);
    sciml_nc_writer_abort(&w);
    sciml_nc_writer_options options = {SCIML_NC_CDF1, -1};
    CU_ASSERT_FATAL(sciml_nc_writer_create(ctx, path, &options, &w) == SCIML_OK);
    sciml_nc_def_dim(w, "x", 2, &x);
    sciml_nc_def_var(w, "v", SCIML_NC_UINT64, 1, &x, &v);
    CU_ASSERT(sciml_nc_end_def(w) == SCIML_ERR_RANGE);
    CU_ASSERT(strstr(sciml_ctx_message(ctx), "needs CDF-5") != NULL);
    sciml_nc_writer_abort(&w);
    /* conversions: out of range and NaN into integers fail; NaN/Inf in doubles pass */
    CU_ASSERT_FATAL(sciml_nc_writer_create(ctx, path, NULL, &w) == SCIML_OK);
    int64_t b, d;
    sciml_nc_def_dim(w, "x", 3, &x);
    sciml_nc_def_var(w, "b", SCIML_NC_BYTE, 1, &x, &b);
    sciml_nc_def_var(w, "d", SCIML_NC_DOUBLE, 1, &x, &d);
    CU_ASSERT(sciml_nc_def_var(w, "d", SCIML_NC_DOUBLE, 1, &x, NULL) == SCIML_ERR_ARG);
    CU_ASSERT(sciml_nc_def_var(w, "bad/name", SCIML_NC_DOUBLE, 1, &x, NULL) == SCIML_ERR_ARG);
    CU_ASSERT(sciml_nc_def_dim(w, "x", 3, NULL) == SCIML_ERR_ARG);
    CU_ASSERT(sciml_nc_end_def(w) == SCIML_OK);
    CU_ASSERT(sciml_nc_def_dim(w, "late", 3, NULL) == SCIML_ERR_STATE);
    const double too_big[3] = {1, 300, 2}, with_nan[3] = {1, NAN, 2};
    CU_ASSERT(sciml_nc_write_var(w, b, 0, 3, too_big) == SCIML_ERR_RANGE);
    CU_ASSERT(strstr(sciml_ctx_message(ctx), "value 300 at index 1 does not fit type byte") != NULL);
    CU_ASSERT(sciml_nc_write_var(w, b, 0, 3, with_nan) == SCIML_ERR_RANGE);
    const double special[3] = {NAN, INFINITY, -INFINITY};
    CU_ASSERT(sciml_nc_write_var(w, d, 0, 3, special) == SCIML_OK);
    const double bytes[3] = {-1.9, 2.9, 127};
    CU_ASSERT(sciml_nc_write_var(w, b, 0, 3, bytes) == SCIML_OK);
    CU_ASSERT(sciml_nc_writer_close(&w) == SCIML_OK);
    CU_ASSERT_FATAL(sciml_nc_open(ctx, path, &r) == SCIML_OK);
    double values[3];
    CU_ASSERT(sciml_nc_read_var(r, d, 0, 3, values) == SCIML_OK);
    CU_ASSERT(isnan(values[0]) && isinf(values[1]) && values[1] > 0 && values[2] < 0);
    CU_ASSERT(sciml_nc_read_var(r, b, 0, 3, values) == SCIML_OK);
    CU_ASSERT(values[0] == -1 && values[1] == 2 && values[2] == 127);
    sciml_nc_close(&r);
}

static void test_history_and_names(void) {
    setup_ctx();
    char path[512];
    temp_path(path, sizeof(path), "history.nc");
    sciml_nc_writer *w = NULL;
    CU_ASSERT_FATAL(sciml_nc_writer_create(ctx, path, NULL, &w) == SCIML_OK);
    CU_ASSERT(sciml_nc_put_att_text(w, SCIML_NC_GLOBAL, "history", "2020-01-01: ncgen x.cdl") ==
              SCIML_OK);
    CU_ASSERT(sciml_nc_append_history(w, "sciml-gen burgers -o a.nc") == SCIML_OK);
    CU_ASSERT(sciml_nc_append_history(w, "sciml-train fno --data a.nc") == SCIML_OK);
    CU_ASSERT(sciml_nc_put_att_int(w, SCIML_NC_GLOBAL, "sciml_seed", 42) == SCIML_OK);
    CU_ASSERT(sciml_nc_put_att_int(w, SCIML_NC_GLOBAL, "big", (int64_t)1 << 40) == SCIML_OK);
    CU_ASSERT(sciml_nc_writer_close(&w) == SCIML_OK);
    sciml_nc_reader *r = NULL;
    CU_ASSERT_FATAL(sciml_nc_open(ctx, path, &r) == SCIML_OK);
    CU_ASSERT_EQUAL(sciml_nc_format_of(r), SCIML_NC_CDF5); /* the int64 attribute */
    const char *text;
    CU_ASSERT(sciml_nc_get_att_text(r, SCIML_NC_GLOBAL, "history", &text, NULL) == SCIML_OK);
    const char *first = strstr(text, ": sciml-train fno --data a.nc\n");
    const char *second = strstr(text, ": sciml-gen burgers -o a.nc\n2020-01-01: ncgen x.cdl");
    CU_ASSERT(first != NULL && second != NULL && first < second);
    CU_ASSERT(text[strlen(text) - 1] != '\n');
    double seed;
    CU_ASSERT(sciml_nc_get_att_double(r, SCIML_NC_GLOBAL, "sciml_seed", &seed, 1, NULL) == SCIML_OK);
    CU_ASSERT_EQUAL(seed, 42);
    sciml_nc_close(&r);
    CU_ASSERT(sciml_nc_name_is_valid("u"));
    CU_ASSERT(sciml_nc_name_is_valid("_FillValue"));
    CU_ASSERT(sciml_nc_name_is_valid("1abc"));
    CU_ASSERT(sciml_nc_name_is_valid("temp\xc3\xa9rature"));
    CU_ASSERT(sciml_nc_name_is_valid("a b"));
    CU_ASSERT(!sciml_nc_name_is_valid(""));
    CU_ASSERT(!sciml_nc_name_is_valid("a/b"));
    CU_ASSERT(!sciml_nc_name_is_valid("trailing "));
    CU_ASSERT(!sciml_nc_name_is_valid(".dot"));
    CU_ASSERT(!sciml_nc_name_is_valid("ctl\x01"));
    CU_ASSERT(!sciml_nc_name_is_valid("bad\xc3"));
    CU_ASSERT(!sciml_nc_name_is_valid("over\xc0\xaf"));
}

/* Writes ~200 MB of records, then reads them back through a pipe: the reader's memory must
 * stay bounded by about one record, not grow with the file. */
static void test_large_file_bounded_memory(void) {
    setup_ctx();
    char path[512], command[600];
    temp_path(path, sizeof(path), "large.nc");
    const int64_t per_record = 131072, records = 200; /* 1 MiB of doubles per record */
    double *row = malloc((size_t)per_record * sizeof(double));
    CU_ASSERT_PTR_NOT_NULL_FATAL(row);
    sciml_nc_writer *w = NULL;
    CU_ASSERT_FATAL(sciml_nc_writer_create(ctx, path, NULL, &w) == SCIML_OK);
    int64_t sample, x, dims[2], v;
    sciml_nc_def_dim(w, "sample", 0, &sample);
    sciml_nc_def_dim(w, "x", per_record, &x);
    dims[0] = sample;
    dims[1] = x;
    sciml_nc_def_var(w, "u", SCIML_NC_DOUBLE, 2, dims, &v);
    CU_ASSERT(sciml_nc_end_def(w) == SCIML_OK);
    for (int64_t r = 0; r < records; r++) {
        for (int64_t j = 0; j < per_record; j += 4096)
            row[j] = (double)(r * 7 + j);
        CU_ASSERT(sciml_nc_write_record(w, v, r, row) == SCIML_OK);
    }
    CU_ASSERT(sciml_nc_writer_close(&w) == SCIML_OK);
    struct rusage before, after;
    getrusage(RUSAGE_SELF, &before);
    snprintf(command, sizeof(command), "cat '%s'", path);
    FILE *pipe_in = popen(command, "r");
    sciml_nc_reader *r = NULL;
    CU_ASSERT_FATAL(sciml_nc_open_stream(ctx, pipe_in, "large-pipe", &r) == SCIML_OK);
    CU_ASSERT_EQUAL(sciml_nc_record_count(r), records);
    int ok = 1;
    for (int64_t k = 0; k < records && ok; k++) {
        ok = sciml_nc_read_record(r, 0, k, row) == SCIML_OK && row[4096] == (double)(k * 7 + 4096);
    }
    CU_ASSERT(ok);
    sciml_nc_close(&r);
    pclose(pipe_in);
    getrusage(RUSAGE_SELF, &after);
    long grown_kib = after.ru_maxrss - before.ru_maxrss;
    printf("\n  peak RSS grew by %ld KiB reading a 200 MiB file from a pipe\n", grown_kib);
    CU_ASSERT(grown_kib < 64 * 1024);
    free(row);
    unlink(path);
}

/* ---------------------------------------------------------------------------------------
 * Hostile input: files built field by field, each with one defect.
 */

typedef struct builder {
    unsigned char data[8192];
    size_t size;
    int format;
} builder;

static void put_u32(builder *b, uint32_t v) {
    unsigned char *p = b->data + b->size;
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
    b->size += 4;
}
static void put_u64(builder *b, uint64_t v) {
    put_u32(b, (uint32_t)(v >> 32));
    put_u32(b, (uint32_t)v);
}
static void put_count(builder *b, uint64_t v) {
    if (b->format == 5)
        put_u64(b, v);
    else
        put_u32(b, (uint32_t)v);
}
static void put_name(builder *b, const char *name) {
    size_t n = strlen(name);
    put_count(b, n);
    memcpy(b->data + b->size, name, n);
    b->size += n;
    while (b->size % 4)
        b->data[b->size++] = 0;
}

/* The parts of a small file that the hostile cases alter. */
typedef struct spec {
    int format;
    const char *magic;
    uint64_t numrecs;
    uint32_t dim_tag;
    uint64_t dim_count;
    const char *dim_names[3];
    uint64_t dim_lengths[3];
    const char *att_name;
    uint32_t att_type;
    uint64_t att_length;
    const char *var_names[2];
    uint64_t var_rank;
    uint64_t var_dims[2];
    uint32_t var_type;
    int64_t vsize; /* -1: computed */
    int64_t begin; /* -1: right after the header */
    int64_t data_bytes;
} spec;

static spec base_spec(void) {
    spec s = {1, "CDF\x01", 0, 0x0A, 2, {"x", "sample", NULL}, {4, 0, 0}, "title", 2, 5,
              {"u", NULL}, 1, {0, 0}, 6, -1, -1, 32};
    return s;
}

static size_t build(const spec *s, builder *b) {
    memset(b, 0, sizeof(*b));
    b->format = s->format;
    memcpy(b->data, s->magic, 4);
    b->size = 4;
    put_count(b, s->numrecs);
    put_u32(b, s->dim_tag);
    put_count(b, s->dim_count);
    for (uint64_t i = 0; i < s->dim_count && i < 3 && s->dim_names[i]; i++) {
        put_name(b, s->dim_names[i]);
        put_count(b, s->dim_lengths[i]);
    }
    put_u32(b, 0x0C);
    put_count(b, 1);
    put_name(b, s->att_name);
    put_u32(b, s->att_type);
    put_count(b, s->att_length);
    memcpy(b->data + b->size, "hello\0\0\0", 8);
    b->size += 8;
    int var_count = s->var_names[1] ? 2 : 1;
    put_u32(b, 0x0B);
    put_count(b, (uint64_t)var_count);
    size_t begin_fields[2];
    for (int v = 0; v < var_count; v++) {
        put_name(b, s->var_names[v]);
        put_count(b, s->var_rank);
        for (uint64_t d = 0; d < s->var_rank && d < 2; d++)
            put_count(b, s->var_dims[d]);
        put_u32(b, 0);
        put_count(b, 0);
        put_u32(b, s->var_type);
        put_count(b, s->vsize >= 0 ? (uint64_t)s->vsize : 32);
        begin_fields[v] = b->size;
        if (s->format == 1)
            put_u32(b, 0);
        else
            put_u64(b, 0);
    }
    size_t header = b->size;
    for (int v = 0; v < var_count; v++) {
        uint64_t begin = s->begin >= 0 ? (uint64_t)s->begin : header + 32 * (uint64_t)v;
        size_t save = b->size;
        b->size = begin_fields[v];
        if (s->format == 1)
            put_u32(b, (uint32_t)begin);
        else
            put_u64(b, begin);
        b->size = save;
    }
    for (int64_t i = 0; i < s->data_bytes; i++)
        b->data[b->size++] = (unsigned char)i;
    return header;
}

/* Opens the built bytes from a file (seekable) and through a pipe; both must fail with
 * `status` and a message containing `expected`. Returns 1 when both did. */
static int expect_failure_on(const builder *b, sciml_status status, const char *expected,
                             const char *pipe_expected) {
    char path[512], command[600];
    temp_path(path, sizeof(path), "hostile.nc");
    FILE *f = fopen(path, "wb");
    fwrite(b->data, 1, b->size, f);
    fclose(f);
    int good = 1;
    for (int mode = 0; mode < 2; mode++) {
        sciml_nc_reader *r = NULL;
        FILE *pipe_in = NULL;
        sciml_status got;
        sciml_ctx_clear_error(ctx);
        if (mode == 0) {
            got = sciml_nc_open(ctx, path, &r);
        } else {
            snprintf(command, sizeof(command), "cat '%s'", path);
            pipe_in = popen(command, "r");
            got = sciml_nc_open_stream(ctx, pipe_in, path, &r);
            if (got == SCIML_OK) {
                /* on a pipe, size problems show when the data is read */
                double values[64];
                sciml_nc_var_info info;
                sciml_nc_var_get_info(r, 0, &info);
                if (!info.is_record) {
                    got = sciml_nc_read_var(r, 0, 0, info.element_count, values);
                } else {
                    int available = 1;
                    for (int64_t k = 0; got == SCIML_OK && available; k++) {
                        got = sciml_nc_has_record(r, k, &available);
                        if (got == SCIML_OK && available)
                            got = sciml_nc_read_record(r, 0, k, values);
                    }
                }
            }
        }
        const char *message = sciml_ctx_message(ctx);
        const char *wanted = mode && pipe_expected ? pipe_expected : expected;
        int this_good = got == status && strstr(message, wanted) != NULL &&
                        strstr(message, "hostile.nc") != NULL;
        if (!this_good)
            printf("\n  %s: got status %d message '%s', expected %d with '%s'\n",
                   mode ? "pipe" : "file", (int)got, message, (int)status, wanted);
        good = good && this_good;
        sciml_nc_close(&r);
        if (pipe_in)
            pclose(pipe_in);
    }
    return good;
}

static int expect_failure(const builder *b, sciml_status status, const char *expected) {
    return expect_failure_on(b, status, expected, NULL);
}

static void test_hostile_baseline_and_truncation(void) {
    setup_ctx();
    spec s = base_spec();
    builder b;
    build(&s, &b);
    char path[512];
    temp_path(path, sizeof(path), "baseline.nc");
    FILE *f = fopen(path, "wb");
    fwrite(b.data, 1, b.size, f);
    fclose(f);
    sciml_nc_reader *r = NULL;
    CU_ASSERT_FATAL(sciml_nc_open(ctx, path, &r) == SCIML_OK);
    double values[4];
    CU_ASSERT(sciml_nc_read_var(r, 0, 0, 4, values) == SCIML_OK);
    sciml_nc_close(&r);
    if (have_ncgen()) {
        char command[600];
        snprintf(command, sizeof(command), "ncdump -h '%s' >/dev/null 2>&1", path);
        CU_ASSERT(system(command) == 0); /* the baseline is a valid file */
    }
    /* every truncation fails cleanly */
    size_t full = b.size;
    int all_failed = 1;
    for (size_t n = 0; n < full; n++) {
        b.size = n;
        temp_path(path, sizeof(path), "hostile.nc");
        f = fopen(path, "wb");
        fwrite(b.data, 1, n, f);
        fclose(f);
        sciml_status st = sciml_nc_open(ctx, path, &r);
        if (st != SCIML_ERR_FORMAT || !strstr(sciml_ctx_message(ctx), "hostile.nc")) {
            printf("\n  prefix %zu: status %d '%s'\n", n, (int)st, sciml_ctx_message(ctx));
            all_failed = 0;
        }
        sciml_nc_close(&r);
    }
    CU_ASSERT(all_failed);
    b.size = 20;
    CU_ASSERT(expect_failure(&b, SCIML_ERR_FORMAT, "truncated"));
    b.size = full - 1;
    CU_ASSERT(expect_failure(&b, SCIML_ERR_FORMAT, "variable 'u'"));
}

static void test_hostile_magic(void) {
    setup_ctx();
    spec s = base_spec();
    builder b;
    s.magic = "XDF\x01";
    build(&s, &b);
    CU_ASSERT(expect_failure(&b, SCIML_ERR_FORMAT, "not a netCDF classic file"));
    s.magic = "CDF\x03";
    build(&s, &b);
    CU_ASSERT(expect_failure(&b, SCIML_ERR_FORMAT, "unknown netCDF classic version 3"));
    s.magic = "\x89HDF";
    build(&s, &b);
    CU_ASSERT(expect_failure(&b, SCIML_ERR_FORMAT, "netCDF-4/HDF5"));
}

static void test_hostile_counts(void) {
    setup_ctx();
    builder b;
    spec s = base_spec();
    s.dim_count = 0x80000000u; /* negative in CDF-1 */
    build(&s, &b);
    CU_ASSERT(expect_failure(&b, SCIML_ERR_FORMAT, "negative or too large"));
    s = base_spec();
    s.dim_count = 100000; /* absurd */
    build(&s, &b);
    CU_ASSERT(expect_failure(&b, SCIML_ERR_FORMAT, "at most 65536"));
    s = base_spec();
    s.numrecs = 0x80000001u;
    build(&s, &b);
    CU_ASSERT(expect_failure(&b, SCIML_ERR_FORMAT, "number of records"));
    s = base_spec();
    s.dim_tag = 0x0B;
    build(&s, &b);
    CU_ASSERT(expect_failure(&b, SCIML_ERR_FORMAT, "has tag 0x0000000b, expected 0x0000000a"));
    s = base_spec();
    s.var_rank = 5000;
    build(&s, &b);
    CU_ASSERT(expect_failure(&b, SCIML_ERR_FORMAT, "at most 1024"));
}

static void test_hostile_dimensions(void) {
    setup_ctx();
    builder b;
    spec s = base_spec();
    s.dim_lengths[0] = 0; /* two unlimited dimensions */
    build(&s, &b);
    CU_ASSERT(expect_failure(&b, SCIML_ERR_FORMAT, "are both unlimited"));
    s = base_spec();
    s.var_rank = 2;
    s.var_dims[0] = 0;
    s.var_dims[1] = 1; /* record dimension second */
    build(&s, &b);
    CU_ASSERT(expect_failure(&b, SCIML_ERR_FORMAT, "may only be the first"));
    s = base_spec();
    s.var_dims[0] = 7;
    build(&s, &b);
    CU_ASSERT(expect_failure(&b, SCIML_ERR_FORMAT, "uses dimension id 7"));
    s = base_spec();
    s.format = 5;
    s.magic = "CDF\x05";
    s.dim_count = 3;
    s.dim_names[2] = "y";
    s.dim_lengths[0] = (uint64_t)1 << 40;
    s.dim_lengths[2] = (uint64_t)1 << 40;
    s.var_rank = 2;
    s.var_dims[0] = 0;
    s.var_dims[1] = 2;
    build(&s, &b);
    CU_ASSERT(expect_failure(&b, SCIML_ERR_FORMAT, "product of its dimension lengths overflows"));
    s = base_spec();
    s.dim_names[1] = "x"; /* duplicate */
    build(&s, &b);
    CU_ASSERT(expect_failure(&b, SCIML_ERR_FORMAT, "two dimensions are named 'x'"));
}

static void test_hostile_variables(void) {
    setup_ctx();
    builder b;
    spec s = base_spec();
    s.vsize = 40;
    build(&s, &b);
    CU_ASSERT(expect_failure(&b, SCIML_ERR_FORMAT, "has vsize 40"));
    s = base_spec();
    s.begin = 100000;
    build(&s, &b);
    CU_ASSERT(expect_failure_on(&b, SCIML_ERR_FORMAT,
                                "claims 32 bytes at offset 100000 but the file has",
                                "lies at offset 100000 but the input ends at offset 156"));
    s = base_spec();
    s.begin = 8;
    build(&s, &b);
    CU_ASSERT(expect_failure(&b, SCIML_ERR_FORMAT, "inside the header"));
    s = base_spec();
    s.data_bytes = 16; /* data claimed beyond the end */
    build(&s, &b);
    CU_ASSERT(expect_failure_on(&b, SCIML_ERR_FORMAT, "claims 32 bytes at offset",
                                "needs 32 bytes at offset 124 but the file ends at offset 140"));
    s = base_spec();
    s.var_type = 12;
    build(&s, &b);
    CU_ASSERT(expect_failure(&b, SCIML_ERR_FORMAT, "has type 12"));
    s = base_spec();
    s.var_type = 10; /* int64 is CDF-5 only */
    build(&s, &b);
    CU_ASSERT(expect_failure(&b, SCIML_ERR_FORMAT, "has type 10"));
    s = base_spec();
    s.var_names[1] = "u";
    s.data_bytes = 64;
    build(&s, &b);
    CU_ASSERT(expect_failure(&b, SCIML_ERR_FORMAT, "two variables are named 'u'"));
    /* a record variable whose records run past the end */
    s = base_spec();
    s.var_dims[0] = 1;
    s.vsize = 8;
    s.numrecs = 1000;
    s.data_bytes = 16;
    build(&s, &b);
    CU_ASSERT(expect_failure_on(&b, SCIML_ERR_FORMAT, "declares 1000 records",
                                "record 2 needs 8 bytes at offset 140"));
}

static void test_hostile_names_and_attributes(void) {
    setup_ctx();
    builder b;
    spec s = base_spec();
    s.var_names[0] = "a/b";
    build(&s, &b);
    CU_ASSERT(expect_failure(&b, SCIML_ERR_FORMAT, "not a valid netCDF name"));
    s = base_spec();
    char long_name[300];
    memset(long_name, 'a', 299);
    long_name[299] = '\0';
    s.dim_names[0] = long_name;
    build(&s, &b);
    CU_ASSERT(expect_failure(&b, SCIML_ERR_FORMAT, "has length 299, expected 1 to 256"));
    s = base_spec();
    s.att_type = 6;
    s.att_length = 0x7FFFFFFF; /* 16 GiB of doubles in a tiny file */
    build(&s, &b);
    CU_ASSERT(expect_failure(&b, SCIML_ERR_FORMAT, "attribute 'title'"));
    s = base_spec();
    s.format = 5;
    s.magic = "CDF\x05";
    s.att_type = 6;
    s.att_length = (uint64_t)1 << 61; /* bytes overflow int64 */
    build(&s, &b);
    CU_ASSERT(expect_failure(&b, SCIML_ERR_FORMAT, "the size overflows"));
    s = base_spec();
    s.att_type = 0;
    build(&s, &b);
    CU_ASSERT(expect_failure(&b, SCIML_ERR_FORMAT, "has type 0"));
}

static const sciml_test_case cases[] = {
    {"golden empty CDF-1 file read and written byte-identically", test_golden_empty},
    {"ncgen -k 1|2|5 classic types: values, and our bytes equal ncgen's", test_ncgen_classic},
    {"ncgen -k 5 all CDF-5 types", test_ncgen_all_types},
    {"ncgen single record variable (no record padding)", test_ncgen_single_record},
    {"ncdump reads our CDF-1, CDF-2 and CDF-5 files", test_ncdump_reads_ours},
    {"streaming through pipes with the streaming marker", test_stream_through_pipes},
    {"pipe output with a declared record count", test_stream_declared_count},
    {"backwards begin rejected on a pipe, fine on a file", test_backwards_begin_on_pipe},
    {"atomic output: abort, failed close, replace", test_atomic_output},
    {"fill values, seeking back, numrecs patched", test_fill_and_patch},
    {"format choice and conversions", test_format_choice_and_conversion},
    {"history helper and name rules", test_history_and_names},
    {"200 MiB file read from a pipe in bounded memory", test_large_file_bounded_memory},
    {"hostile: baseline valid, every truncation rejected", test_hostile_baseline_and_truncation},
    {"hostile: magic and version", test_hostile_magic},
    {"hostile: counts, caps, tags", test_hostile_counts},
    {"hostile: dimensions", test_hostile_dimensions},
    {"hostile: variables (vsize, begin, EOF, types, records)", test_hostile_variables},
    {"hostile: names and attributes", test_hostile_names_and_attributes},
    {NULL, NULL}};

/* Writes example files for tests/cli/test_io_python.sh. */
static int write_examples(const char *directory) {
    if (sciml_ctx_create(&ctx) != SCIML_OK)
        return 1;
    const sciml_nc_format formats[] = {SCIML_NC_CDF1, SCIML_NC_CDF2, SCIML_NC_CDF5};
    for (int k = 0; k < 3; k++) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/example-cdf%d.nc", directory, (int)formats[k]);
        if (write_classic(path, formats[k], 0) != SCIML_OK) {
            fprintf(stderr, "%s\n", sciml_ctx_message(ctx));
            return 1;
        }
    }
    sciml_ctx_destroy(&ctx);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--write-examples") == 0)
        return write_examples(argv[2]);
    int result = sciml_test_main("io_netcdf", cases);
    sciml_ctx_destroy(&ctx);
    return result;
}
