#!/usr/bin/env bash
# Memory of sciml-info on a large file: does reading a ~2 GB netCDF file (from disk, and
# streamed through a pipe) keep the resident set bounded instead of growing with the file?
#
#   bench/info-memory.sh                 # builds build-bench/ if needed
#   BUILD=build SIZE_MB=2048 bench/info-memory.sh
#
# Makes a CDF-2 (64-bit offset) file of SIZE_MB MiB in a temporary directory (TMPDIR, default
# /tmp) with /usr/bin/python3 netCDF4, written in chunks of records: u(sample, x) float64 with
# the unlimited sample dimension and x = 1024 (8 KiB per record), plus a coordinate x(x).
# Runs `/usr/bin/time -v sciml-info FILE` and `cat FILE | sciml-info -`, prints the maximum
# resident set size of each, and deletes the file (also on failure or Ctrl-C).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
build=${BUILD:-$root/build-bench}
case $build in /*) ;; *) build=$root/$build ;; esac
size_mb=${SIZE_MB:-2048}
python=${PYTHON:-/usr/bin/python3}

die() { echo "info-memory.sh: error: $*" >&2; exit 1; }
[[ $size_mb =~ ^[0-9]+$ && $size_mb -ge 1 ]] || die "SIZE_MB must be a positive integer (MiB)"
[[ -x /usr/bin/time ]] || die "/usr/bin/time not found (apt-get install time)"
"$python" -c 'import netCDF4' 2>/dev/null || die "$python lacks netCDF4 (apt-get install python3-netcdf4)"

if [[ ! -x $build/tools/sciml-info ]]; then
    echo "info-memory.sh: building sciml-info in $build" >&2
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSCIML_BUILD_TESTS=OFF >/dev/null
    cmake --build "$build" --target sciml-info -j2 >/dev/null
fi
info=$build/tools/sciml-info

work=$(mktemp -d "${TMPDIR:-/tmp}/sciml-info-memory.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
# The file plus 256 MiB of headroom must fit.
available_kb=$(df -Pk "$work" | awk 'NR == 2 { print $4 }')
needed_kb=$(((size_mb + 256) * 1024))
((available_kb >= needed_kb)) ||
    die "$work has $((available_kb / 1024)) MiB free, needs $((needed_kb / 1024)) MiB (set TMPDIR or SIZE_MB)"

file=$work/records.nc
echo "info-memory.sh: writing $size_mb MiB to $file" >&2
"$python" - "$file" "$size_mb" <<'PYTHON'
import sys
import netCDF4
import numpy as np

path, size_mb = sys.argv[1], int(sys.argv[2])
width = 1024                                  # doubles per record: 8 KiB
records = max(1, size_mb * 1024 * 1024 // (8 * width))
chunk = 4096                                  # records per write: 32 MiB
with netCDF4.Dataset(path, "w", format="NETCDF3_64BIT_OFFSET") as dataset:
    dataset.createDimension("sample", None)
    dataset.createDimension("x", width)
    coordinate = dataset.createVariable("x", "f8", ("x",))
    coordinate[:] = np.arange(width) / width
    u = dataset.createVariable("u", "f8", ("sample", "x"))
    u.long_name = "synthetic records for the sciml-info memory benchmark"
    dataset.history = "bench/info-memory.sh"
    rng = np.random.default_rng(1)
    block = rng.standard_normal((chunk, width))
    for first in range(0, records, chunk):
        count = min(chunk, records - first)
        u[first:first + count, :] = block[:count] + first
print(f"{records} records", file=sys.stderr)
PYTHON
bytes=$(stat -c %s "$file")

run() { # run LABEL DESCRIPTION COMMAND...: prints the exit status and maximum RSS
    local label=$1 description=$2
    shift 2
    local status=0
    "$@" >"$work/$label.out" 2>"$work/$label.err" || status=$?
    awk -F: -v description="$description" -v status="$status" '
        /Maximum resident set size/ { rss = $2 + 0 }
        END { printf "%-28s exit %-3s max RSS %8.1f MiB\n", description, status, rss / 1024 }' \
        "$work/$label.time"
    if ((status != 0)); then
        sed 's/^/    /' "$work/$label.err" | head -5
    fi
}

awk -v bytes="$bytes" -v path="$file" 'BEGIN { printf "file: %s, %.1f MiB (CDF-2)\n", path, bytes / 1048576 }'
run file "sciml-info FILE" /usr/bin/time -v -o "$work/file.time" "$info" "$file"
run pipe "cat FILE | sciml-info -" bash -c \
    'cat "$1" | /usr/bin/time -v -o "$2" "$3" -' _ "$file" "$work/pipe.time" "$info"
echo "sciml-info FILE printed:"
head -20 "$work/file.out" | sed 's/^/    /'
