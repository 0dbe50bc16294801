#!/usr/bin/env bash
# Full PI3NN training (three networks plus root-finding) on the cubic data: `sciml-train pi3nn`
# with its defaults (30% held out, early stopping of the mean network, least-squares finish and
# floor of u and l, OOD bias 40, scales at 0.95) against the same procedure in plain PyTorch
# (bench/pi3nn_torch.py), float64, one thread, both pinned to the same core. Reports the median
# wall time and the median CPU time (user + system; the PyTorch script's process_time) of each
# over REPEATS runs (model seeds 1..REPEATS) and the ratios torch / ours; results in
# bench/out/pi3nn.json. Untimed, it also scores every run of both on fresh points
# (sciml-gen cubic --seed 2, 4000 points, and --ood --seed 3, 1000 points): PICP and MPIW at
# 0.90, 0.95 and 0.99 and the OOD width ratio at 0.95, in bench/out/pi3nn-quality.tsv, and runs
# the script's own code on each of our models (pi3nn_torch.py --check: standardisation, ratios,
# floors, scales and intervals recomputed from the model file, bench/out/pi3nn-check.jsonl),
# to show that the two run the same procedure. Not a test.
#   bench/pi3nn.sh                  # builds build-bench/ (Release) if needed
#   BUILD=build REPEATS=7 CORE=1 bench/pi3nn.sh
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
tools=$build/tools
"$tools/sciml-gen" cubic --samples 1000 --seed 1 -q -o "$out/cubic.nc"
"$tools/sciml-gen" cubic --samples 4000 --seed 2 -q -o "$out/cubic-test.nc"
"$tools/sciml-gen" cubic --ood --samples 1000 --seed 3 -q -o "$out/cubic-ood.nc"

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# metrics FILE LEVEL: "PICP MPIW" of $out/pi3nn-model.nc on FILE
metrics() {
    "$tools/sciml-pi3nn" -m "$out/pi3nn-model.nc" --level "$2" --truth "$1" "$1" \
        "$out/pi3nn-intervals.nc" 2>&1 |
        sed -n 's/.*PICP \([0-9.]*\) MPIW \([0-9.e+]*\).*/\1 \2/p'
}

quality=$out/pi3nn-quality.tsv
printf 'method\tseed\tpicp90\tmpiw90\tpicp95\tmpiw95\tpicp99\tmpiw99\tood_ratio\n' >"$quality"
: >"$out/pi3nn-check.jsonl"
ours=() ours_cpu=()
TIMEFORMAT='%R %U %S' # bash's time: wall, user and system seconds of the child
for seed in $(seq 1 "$repeats"); do
    read -r wall user system <<<"$({ time taskset -c "$core" "$tools/sciml-train" pi3nn \
        --data "$out/cubic.nc" --seed "$seed" --threads 1 -q -o "$out/pi3nn-model.nc"; } 2>&1)"
    ours+=("$wall")
    ours_cpu+=("$(awk -v a="$user" -v b="$system" 'BEGIN { print a + b }')")
    read -r p90 w90 <<<"$(metrics "$out/cubic-test.nc" 0.9)"
    read -r p95 w95 <<<"$(metrics "$out/cubic-test.nc" 0.95)"
    read -r p99 w99 <<<"$(metrics "$out/cubic-test.nc" 0.99)"
    read -r _ wood <<<"$(metrics "$out/cubic-ood.nc" 0.95)"
    ratio=$(awk -v a="$wood" -v b="$w95" 'BEGIN { printf "%.2f", a / b }')
    printf 'sciml\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$seed" "$p90" "$w90" "$p95" "$w95" "$p99" \
        "$w99" "$ratio" >>"$quality"
    # the script's code on our model: standardisation, ratios, floors, scales, OOD intervals
    /usr/bin/python3 "$root/bench/pi3nn_torch.py" "$out/cubic.nc" --check "$out/pi3nn-model.nc" \
        "$out/cubic-ood.nc" "$out/pi3nn-intervals.nc" >>"$out/pi3nn-check.jsonl"
done
ours_median=$(printf '%s\n' "${ours[@]}" | median)
ours_cpu_median=$(printf '%s\n' "${ours_cpu[@]}" | median)

taskset -c "$core" /usr/bin/python3 "$root/bench/pi3nn_torch.py" "$out/cubic.nc" \
    --seeds "$(seq -s, 1 "$repeats")" --test "$out/cubic-test.nc" --ood "$out/cubic-ood.nc" \
    >"$out/pi3nn-torch.jsonl"
# field KEY: the value of KEY in each line of pi3nn-torch.jsonl
field() { sed "s/.*\"$1\": \([0-9.e+-]*\).*/\1/" "$out/pi3nn-torch.jsonl"; }
torch_median=$(field seconds | median)
torch_cpu_median=$(field cpu_seconds | median)
paste <(field seed) <(field picp90) <(field mpiw90) <(field picp95) <(field mpiw95) \
    <(field picp99) <(field mpiw99) <(field ood_ratio) |
    awk -F'\t' -v OFS='\t' '{ printf "torch\t%d\t%.4f\t%.5g\t%.4f\t%.5g\t%.4f\t%.5g\t%.2f\n",
        $1, $2, $3, $4, $5, $6, $7, $8 }' >>"$quality"

ratio=$(awk -v t="$torch_median" -v o="$ours_median" 'BEGIN { printf "%.1f", t / o }')
cpu_ratio=$(awk -v t="$torch_cpu_median" -v o="$ours_cpu_median" 'BEGIN { printf "%.1f", t / o }')
column -t "$quality"
echo
# shellcheck disable=SC2016
/usr/bin/python3 -c '
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
print("bench/pi3nn_torch.py --check on our %d models (largest relative difference):" % len(rows))
found = sorted({(r["held_out"], r["stored_ratios"]) for r in rows})
print("  held-out points found / stored ratios: %s" % found)
print("  " + ", ".join("%s %.1e" % (k, max(r[k] for r in rows)) for k in rows[0]
                       if k not in ("held_out", "stored_ratios", "level") and "refit" not in k))
print("  fitting MSE gain of one more least-squares finish: u %.2f-%.2f, l %.2f-%.2f" % tuple(
    f(r[k] for r in rows) for k in ("u_refit_mse_ratio", "l_refit_mse_ratio") for f in (min, max)))
' "$out/pi3nn-check.jsonl"
echo
printf '%-34s %10s %10s\n' "PI3NN on cubic (1000 points)" "wall s" "CPU s"
printf '%-34s %10.3f %10.3f\n' "sciml-train pi3nn (whole process)" "$ours_median" "$ours_cpu_median"
printf '%-34s %10.3f %10.3f\n' "PyTorch (training + root-finding)" "$torch_median" \
    "$torch_cpu_median"
printf '%-34s %10s %10s\n' "ratio torch / ours" "$ratio" "$cpu_ratio"
printf '{"ours_seconds": %s, "torch_seconds": %s, "ratio": %s, "ours_cpu_seconds": %s, ' \
    "$ours_median" "$torch_median" "$ratio" "$ours_cpu_median" >"$out/pi3nn.json"
printf '"torch_cpu_seconds": %s, "cpu_ratio": %s, "repeats": %s}\n' "$torch_cpu_median" \
    "$cpu_ratio" "$repeats" >>"$out/pi3nn.json"
