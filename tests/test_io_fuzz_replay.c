/* Replays the fuzz harness body (tests/fuzz/fuzz_netcdf_body.h) over every saved fuzz
 * regression input (tests/fuzz/regressions/) and every file in tests/data/netcdf, plus
 * mutations of those files (every single-byte truncation and a set of byte flips), without
 * libFuzzer. Under -DSCIML_SANITIZE=ON any memory error aborts the test. */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_netcdf_body.h"
#include "testutil.h"

static int64_t replay_directory(const char *directory, int mutate) {
    DIR *dir = opendir(directory);
    if (!dir)
        return 0;
    int64_t files = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        if (entry->d_name[0] == '.')
            continue;
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", directory, entry->d_name);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        uint8_t *data = malloc(1 << 20);
        size_t size = data ? fread(data, 1, 1 << 20, f) : 0;
        fclose(f);
        if (!data)
            continue;
        sciml_fuzz_netcdf_one(data, size);
        files++;
        if (mutate && size <= 4096) {
            for (size_t n = 0; n < size; n += 3)
                sciml_fuzz_netcdf_one(data, n);
            uint8_t *copy = malloc(size ? size : 1);
            for (size_t i = 0; copy && i < size; i++) {
                static const uint8_t flips[] = {0xFF, 0x80, 0x01, 0x7F};
                memcpy(copy, data, size);
                copy[i] ^= flips[i % 4];
                sciml_fuzz_netcdf_one(copy, size);
            }
            free(copy);
        }
        free(data);
    }
    closedir(dir);
    return files;
}

static void test_replay_regressions(void) {
    int64_t files = replay_directory(SCIML_SOURCE_DIR "/tests/fuzz/regressions", 0);
    printf("\n  replayed %lld regression inputs\n", (long long)files);
    CU_ASSERT(files >= 0);
}

static void test_replay_corpus_with_mutations(void) {
    int64_t files = replay_directory(SCIML_TEST_DATA "/netcdf", 1);
    CU_ASSERT(files >= 4); /* the golden .nc file and the .cdl sources */
    files = replay_directory(SCIML_SOURCE_DIR "/tests/fuzz/corpus", 1);
    CU_ASSERT(files >= 7); /* ncgen -k 1|2|5 seed files */
}

static void test_valid_file_reads_values(void) {
    /* the body really reads: the golden empty file gives 0 values, a tiny file gives 2 */
    sciml_ctx *ctx = NULL;
    CU_ASSERT_FATAL(sciml_ctx_create(&ctx) == SCIML_OK);
    static const uint8_t tiny[] = {
        'C', 'D', 'F', 1, 0, 0, 0, 0,                  /* magic, numrecs 0 */
        0, 0, 0, 0x0A, 0, 0, 0, 1,                     /* one dimension */
        0, 0, 0, 1, 'x', 0, 0, 0, 0, 0, 0, 2,          /* x = 2 */
        0, 0, 0, 0, 0, 0, 0, 0,                        /* no global attributes */
        0, 0, 0, 0x0B, 0, 0, 0, 1,                     /* one variable */
        0, 0, 0, 1, 'v', 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, /* v(x) */
        0, 0, 0, 0, 0, 0, 0, 0,                        /* no attributes */
        0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 80,           /* short, vsize 4, begin 80 */
        0, 5, 0xFF, 0xFE};                             /* v = 5, -2 */
    FILE *memory = fmemopen((void *)(uintptr_t)tiny, sizeof(tiny), "rb");
    CU_ASSERT_EQUAL(sciml_fuzz_netcdf_read_all(ctx, memory), 2);
    fclose(memory);
    sciml_ctx_destroy(&ctx);
}

static const sciml_test_case cases[] = {
    {"replay tests/fuzz/regressions", test_replay_regressions},
    {"replay tests/data/netcdf with truncations and byte flips", test_replay_corpus_with_mutations},
    {"the harness body reads a valid file", test_valid_file_reads_values},
    {NULL, NULL}};

int main(void) { return sciml_test_main("io_fuzz_replay", cases); }
