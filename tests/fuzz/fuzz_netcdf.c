/* libFuzzer target for the netCDF classic reader: see fuzz_netcdf_body.h. Built by
 * tests/fuzz/CMakeLists.txt when configured with -DSCIML_FUZZ=ON and CC=clang; run it with
 * tests/fuzz/run-fuzz.sh SECONDS. */
#define _GNU_SOURCE
#include "fuzz_netcdf_body.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return sciml_fuzz_netcdf_one(data, size);
}
