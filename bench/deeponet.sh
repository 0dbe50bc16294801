#!/usr/bin/env bash
# DeepONet benchmark: sciml-train deeponet and the library's prediction against plain PyTorch
# on the same core, same data, same precision (the issue's antiderivative set-up: 150 training
# and 1000 test functions at 100 sensors, branch 100-40-40, trunk 1-40-40, ReLU, full-batch
# Adam lr 1e-3, float64, one thread). Reports:
#   - time per training iteration (median over the iterations; ours from the --log
#     per-epoch times, a full-batch epoch being one iteration) and the ratio;
#   - evaluation throughput, function x point pairs per second of the forward pass on 10000
#     functions x 100 points in batches of 1000 (ours in-process through
#     sciml_deeponet_model_predict, bench/deeponet_eval.c; best of $REPEATS passes, default 20) and the ratio;
#   - the same evaluation in float32 on both sides (ours sciml_deeponet_model_predict_f32 on
#     float32 functions and values, PyTorch the trained model .float() on float32 tensors);
#     each evaluation also as pairs per second of the thread's CPU time (best pass), which on a
#     shared core leaves out the waits for the core;
#   - the test MSE each reaches;
#   - a bound on any evaluation at these shapes (bench/deeponet_bound.c): pairs per second of a
#     pass doing only the folded evaluation's two products in OpenBLAS, and of one whose first
#     layer and the readout's share of nonzero hidden values (measured on the trained model)
#     ran at OpenBLAS's rate on a large square product, both by the thread's CPU time, and
#     each as a multiple of PyTorch's rate.
# The evaluations then run $ROUNDS - 1 more times (default 3 rounds in all), ours and PyTorch's
# (the trained parameters reloaded) alternately, and each side reports its best pass over all
# rounds: on a shared core the load changes between the two sides' turns.
#
#   bench/deeponet.sh                       # builds build-bench/ if needed
#   BUILD=build CORE=1 REPEATS=10 bench/deeponet.sh
#   BUILD=build ITERATIONS=10000 CORE=0 bench/deeponet.sh
#
# Writes bench/out/deeponet.json; the data, logs and models stay in bench/out/.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
build=${BUILD:-$root/build-bench}
case $build in /*) ;; *) build=$root/$build ;; esac
iterations=${ITERATIONS:-10000}
core=${CORE:-0}
repeats=${REPEATS:-20}
rounds=${ROUNDS:-3}
python=${PYTHON:-/usr/bin/python3}
out=$root/bench/out
mkdir -p "$out"

die() { echo "deeponet.sh: error: $*" >&2; exit 1; }
command -v taskset >/dev/null || die "taskset not found (apt-get install util-linux)"
"$python" -c 'import torch, netCDF4' 2>/dev/null ||
    die "$python lacks torch or netCDF4 (apt-get install python3-torch python3-netcdf4)"

if [[ ! -x $build/tools/sciml-train || ! -f $build/libsciml/libsciml.a ]]; then
    echo "deeponet.sh: building libsciml in $build" >&2
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSCIML_BUILD_TESTS=OFF >/dev/null
    cmake --build "$build" --target sciml-train sciml-gen sciml -j2 >/dev/null
fi
bin=$build/tools
cc -O2 -I "$root/libsciml/include" "$here/deeponet_eval.c" "$build/libsciml/libsciml.a" \
    $(pkg-config --libs openblas lapacke fftw3) -lsundials_cvodes -lsundials_nvecserial -lm \
    -o "$out/deeponet_eval"
cc -O2 "$here/deeponet_bound.c" $(pkg-config --libs openblas) -o "$out/deeponet_bound"

export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
pin=(taskset -c "$core")

echo "deeponet.sh: data (sciml-gen antiderivative: 150 train, 1000 test, 10000 eval)" >&2
"$bin/sciml-gen" antiderivative --samples 150 --seed 1 -o "$out/antiderivative_train.nc"
"$bin/sciml-gen" antiderivative --samples 1000 --seed 2 -o "$out/antiderivative_test.nc"
"$bin/sciml-gen" antiderivative --samples 10000 --seed 3 -o "$out/antiderivative_eval.nc"

rm -f "$out/deeponet_ours_rounds.jsonl" "$out/deeponet_torch_rounds.jsonl"
echo "deeponet.sh: sciml-train deeponet, $iterations iterations on core $core" >&2
"${pin[@]}" "$bin/sciml-train" deeponet --data "$out/antiderivative_train.nc" \
    --branch 40,40 --trunk 40,40 --activation relu --iterations "$iterations" --lr 1e-3 \
    --seed 1 --threads 1 -q --log "$out/deeponet_ours.jsonl" -o "$out/deeponet.nc"
"${pin[@]}" "$out/deeponet_eval" "$out/deeponet.nc" "$out/antiderivative_eval.nc" 1000 "$repeats" \
    >"$out/deeponet_ours_eval.json"
"${pin[@]}" "$out/deeponet_eval" "$out/deeponet.nc" "$out/antiderivative_eval.nc" 1000 "$repeats" \
    single >"$out/deeponet_ours_eval_f32.json"
"$bin/sciml-deeponet" -m "$out/deeponet.nc" "$out/antiderivative_test.nc" \
    "$out/deeponet_test_prediction.nc"

echo "deeponet.sh: PyTorch, $iterations iterations on core $core" >&2
"${pin[@]}" "$python" "$here/deeponet_torch.py" --data "$out/antiderivative_train.nc" \
    --test "$out/antiderivative_test.nc" --eval "$out/antiderivative_eval.nc" \
    --iterations "$iterations" --eval-batch 1000 --repeats "$repeats" \
    --save "$out/deeponet_torch.pt" >"$out/deeponet_torch.jsonl"

for ((round = 2; round <= rounds; round++)); do
    echo "deeponet.sh: evaluation round $round of $rounds on core $core" >&2
    for precision in double single; do
        "${pin[@]}" "$out/deeponet_eval" "$out/deeponet.nc" "$out/antiderivative_eval.nc" 1000 \
            "$repeats" "$precision" >>"$out/deeponet_ours_rounds.jsonl"
    done
    "${pin[@]}" "$python" "$here/deeponet_torch.py" --data "$out/antiderivative_train.nc" \
        --test "$out/antiderivative_test.nc" --eval "$out/antiderivative_eval.nc" \
        --load "$out/deeponet_torch.pt" --eval-batch 1000 --repeats "$repeats" \
        >>"$out/deeponet_torch_rounds.jsonl"
done

# The share of the branch's hidden values a ReLU leaves nonzero, on the evaluation functions.
nonzero=$("$python" - "$out" <<'PYTHON'
import sys
import netCDF4, numpy as np
out = sys.argv[1]
with netCDF4.Dataset(f"{out}/deeponet.nc") as m, \
        netCDF4.Dataset(f"{out}/antiderivative_eval.nc") as d:
    x = (np.array(d["v"][:]) - float(m["sensor_mean"][0])) / float(m["sensor_std"][0])
    h = x @ np.array(m["branch.0.weight"][:]) + np.array(m["branch.0.bias"][:])
    print(f"{np.mean(h > 0):.4f}")
PYTHON
)
echo "deeponet.sh: the two products alone (deeponet_bound, nonzero share $nonzero) on core $core" >&2
"${pin[@]}" "$out/deeponet_bound" 1000 100 40 100 "$nonzero" 50 >"$out/deeponet_bound.jsonl"

"$python" - "$out" <<'PYTHON'
import json, statistics, sys
import netCDF4, numpy as np
out = sys.argv[1]
ours = [json.loads(l) for l in open(f"{out}/deeponet_ours.jsonl") if l.strip()]
def lines(path):
    try:
        return [json.loads(l) for l in open(path) if l.strip()]
    except FileNotFoundError:
        return []
def best(records, keys):
    """One record with the highest value of each key over the records (every round)."""
    merged = dict(records[0])
    for key in keys:
        merged[key] = max(r[key] for r in records)
    return merged
rates = ["eval_pairs_per_second", "eval_pairs_per_cpu_second"]
rounds = lines(f"{out}/deeponet_ours_rounds.jsonl")
ours_eval = best([json.loads(open(f"{out}/deeponet_ours_eval.json").read())]
                 + [r for r in rounds if r["precision"] == "double"], rates)
ours_eval_f32 = best([json.loads(open(f"{out}/deeponet_ours_eval_f32.json").read())]
                     + [r for r in rounds if r["precision"] == "single"], rates)
torch = [json.loads(l) for l in open(f"{out}/deeponet_torch.jsonl") if l.strip()]
summary = best([r for r in torch if r.get("summary")]
               + lines(f"{out}/deeponet_torch_rounds.jsonl"),
               rates + [k + "_f32" for k in rates])
with netCDF4.Dataset(f"{out}/deeponet_test_prediction.nc") as p, \
        netCDF4.Dataset(f"{out}/antiderivative_test.nc") as t:
    ours_mse = float(np.mean((np.array(p["u"][:]) - np.array(t["u"][:])) ** 2))
ours_iteration = statistics.median(r["seconds"] for r in ours)
result = {
    "iterations": len(ours),
    "evaluation_rounds": 1 + len(rounds) // 2,
    "ours_median_iteration_ms": 1e3 * ours_iteration,
    "torch_median_iteration_ms": 1e3 * summary["median_iteration_seconds"],
    "iteration_speedup": summary["median_iteration_seconds"] / ours_iteration,
    "ours_eval_pairs_per_second": ours_eval["eval_pairs_per_second"],
    "torch_eval_pairs_per_second": summary["eval_pairs_per_second"],
    "eval_speedup": ours_eval["eval_pairs_per_second"] / summary["eval_pairs_per_second"],
    "ours_eval_pairs_per_second_f32": ours_eval_f32["eval_pairs_per_second"],
    "torch_eval_pairs_per_second_f32": summary["eval_pairs_per_second_f32"],
    "eval_speedup_f32": ours_eval_f32["eval_pairs_per_second"]
    / summary["eval_pairs_per_second_f32"],
    "ours_eval_pairs_per_cpu_second": ours_eval["eval_pairs_per_cpu_second"],
    "torch_eval_pairs_per_cpu_second": summary["eval_pairs_per_cpu_second"],
    "ours_eval_pairs_per_cpu_second_f32": ours_eval_f32["eval_pairs_per_cpu_second"],
    "torch_eval_pairs_per_cpu_second_f32": summary["eval_pairs_per_cpu_second_f32"],
    "ours_test_mse": ours_mse,
    "torch_test_mse": summary["test_mse"],
    "torch_version": summary["torch"],
}
print(f"{'':28s}{'libsciml':>14s}{'PyTorch':>14s}{'ratio':>9s}")
print(f"{'ms per training iteration':28s}{result['ours_median_iteration_ms']:14.4f}"
      f"{result['torch_median_iteration_ms']:14.4f}{result['iteration_speedup']:8.2f}x")
print(f"{'evaluation pairs/s, float64':28s}{result['ours_eval_pairs_per_second']:14.4g}"
      f"{result['torch_eval_pairs_per_second']:14.4g}{result['eval_speedup']:8.2f}x")
print(f"{'evaluation pairs/s, float32':28s}{result['ours_eval_pairs_per_second_f32']:14.4g}"
      f"{result['torch_eval_pairs_per_second_f32']:14.4g}{result['eval_speedup_f32']:8.2f}x")
for precision, suffix in (("float64", ""), ("float32", "_f32")):
    ours_cpu = result[f"ours_eval_pairs_per_cpu_second{suffix}"]
    torch_cpu = result[f"torch_eval_pairs_per_cpu_second{suffix}"]
    result[f"eval_cpu_speedup{suffix}"] = ours_cpu / torch_cpu
    print(f"{'  per CPU second, ' + precision:28s}{ours_cpu:14.4g}{torch_cpu:14.4g}"
          f"{ours_cpu / torch_cpu:8.2f}x")
print(f"{'test MSE':28s}{ours_mse:14.3e}{summary['test_mse']:14.3e}")
bound = {r["precision"]: r for r in lines(f"{out}/deeponet_bound.jsonl")}
print("bound on any evaluation at these shapes, pairs per CPU second (multiple of PyTorch's):")
print("  products: the 2 products alone in OpenBLAS; peak: at its square-GEMM rate, zeros skipped")
for precision, name, suffix in (("double", "float64", ""), ("single", "float32", "_f32")):
    b = bound[precision]
    torch_rate = result[f"torch_eval_pairs_per_cpu_second{suffix}"]
    for key, label in (("gemm_pairs_per_second", "products"), ("peak_pairs_per_second", "peak")):
        result[f"bound_{key}{suffix}"] = b[key]
        print(f"{'  bound, ' + label + ', ' + name:28s}{b[key]:14.4g}{'':14s}"
              f"{b[key] / torch_rate:8.2f}x")
result["bound_readout_nonzero"] = bound["double"]["readout_nonzero"]
result["bound_square_gemm_gmacs"] = bound["double"]["square_gemm_gmacs"]
result["bound_square_gemm_gmacs_f32"] = bound["single"]["square_gemm_gmacs"]
json.dump(result, open(f"{out}/deeponet.json", "w"), indent=1)
PYTHON
