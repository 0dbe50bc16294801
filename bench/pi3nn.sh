#!/usr/bin/env bash
# Full PI3NN training (three networks plus root-finding) on the cubic data: `sciml-train pi3nn`
# with its defaults but --validation 0 (every network runs all its epochs on all the data, as
# the PyTorch script does; ours also does the least-squares finish of u and l and the choice of
# their floor, which the script does not) against plain PyTorch (bench/pi3nn_torch.py),
# float64, one thread, both pinned to the same core. Reports the median wall time of each over
# REPEATS runs and the ratio torch / ours; results in bench/out/pi3nn.json. Not a test.
#   bench/pi3nn.sh                  # builds build-bench/ (Release) if needed
#   BUILD=build REPEATS=5 CORE=0 bench/pi3nn.sh
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build-bench}
repeats=${REPEATS:-3}
core=${CORE:-0}
out=$root/bench/out
mkdir -p "$out"
if [ ! -x "$build/tools/sciml-train" ]; then
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSCIML_BUILD_TESTS=OFF >/dev/null
    cmake --build "$build" -j2 >/dev/null
fi
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
"$build/tools/sciml-gen" cubic --samples 1000 --seed 1 -q -o "$out/cubic.nc"

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

ours=()
for repeat in $(seq 1 "$repeats"); do
    start=$(date +%s.%N)
    taskset -c "$core" "$build/tools/sciml-train" pi3nn --data "$out/cubic.nc" --seed "$repeat" \
        --validation 0 --threads 1 -q -o "$out/pi3nn-model.nc"
    end=$(date +%s.%N)
    ours+=("$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')")
done
ours_median=$(printf '%s\n' "${ours[@]}" | median)

taskset -c "$core" /usr/bin/python3 "$root/bench/pi3nn_torch.py" "$out/cubic.nc" "$repeats" \
    >"$out/pi3nn-torch.jsonl"
torch_median=$(sed 's/.*"seconds": \([0-9.e+-]*\).*/\1/' "$out/pi3nn-torch.jsonl" | median)

ratio=$(awk -v t="$torch_median" -v o="$ours_median" 'BEGIN { printf "%.1f", t / o }')
printf '%-34s %10s\n' "PI3NN on cubic (1000 points)" "seconds"
printf '%-34s %10.3f\n' "sciml-train pi3nn (whole process)" "$ours_median"
printf '%-34s %10.3f\n' "PyTorch (training + root-finding)" "$torch_median"
printf '%-34s %10s\n' "ratio torch / ours" "$ratio"
printf '{"ours_seconds": %s, "torch_seconds": %s, "ratio": %s, "repeats": %s}\n' \
    "$ours_median" "$torch_median" "$ratio" "$repeats" >"$out/pi3nn.json"
