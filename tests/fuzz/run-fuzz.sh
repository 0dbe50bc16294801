#!/usr/bin/env bash
# Fuzzes the netCDF reader for SECONDS (default 60): configures a clang build with libFuzzer,
# ASan and UBSan in a temporary build directory (or $SCIML_FUZZ_BUILD), seeds the corpus from
# tests/data/netcdf (the CDL files turned into CDF-1/2/5 files by ncgen when it is installed,
# plus the .nc files there) and tests/fuzz/regressions, and runs the fuzzer. A crash input is
# copied to tests/fuzz/regressions/ (replayed by the CTest test test_io_fuzz_replay) and the
# script exits non-zero.
set -euo pipefail
seconds="${1:-60}"
here="$(cd "$(dirname "$0")" && pwd)"
source_dir="$(cd "$here/../.." && pwd)"
build="${SCIML_FUZZ_BUILD:-$(mktemp -d "${TMPDIR:-/tmp}/sciml-fuzz-build.XXXXXX")}"
work="$(mktemp -d "${TMPDIR:-/tmp}/sciml-fuzz-work.XXXXXX")"
trap 'rm -rf "$work"' EXIT

flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -g -O1"
CC=clang cmake -S "$source_dir" -B "$build" -DSCIML_FUZZ=ON -DSCIML_BUILD_TESTS=ON \
    -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS="$flags" >/dev/null
cmake --build "$build" --target fuzz_netcdf -j2 >/dev/null

corpus="$work/corpus"
mkdir -p "$corpus"
cp "$source_dir"/tests/data/netcdf/*.nc "$corpus"/ 2>/dev/null || true
cp "$here"/regressions/* "$here"/corpus/* "$corpus"/ 2>/dev/null || true
if command -v ncgen >/dev/null; then
    for cdl in "$source_dir"/tests/data/netcdf/*.cdl; do
        name="$(basename "$cdl" .cdl)"
        for kind in 1 2 5; do
            ncgen -k "$kind" -o "$corpus/$name-$kind.nc" "$cdl" 2>/dev/null || true
        done
    done
fi

status=0
(cd "$work" && "$build/tests/fuzz/fuzz_netcdf" -max_total_time="$seconds" -max_len=4096 \
    -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 "$corpus") || status=$?
for crash in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
    [ -e "$crash" ] || continue
    cp "$crash" "$here/regressions/"
    echo "run-fuzz.sh: saved $(basename "$crash") to tests/fuzz/regressions/" >&2
done
exit "$status"
