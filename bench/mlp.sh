#!/usr/bin/env bash
# MLP training benchmark: sciml-train against plain PyTorch on the same core, same data and
# same precision (the issue: 5 -> 64,64,64 (tanh) -> 150, 5000 samples, batch 128, Adam,
# float64, one thread; ours must be at least 2x faster per epoch).
#
#   bench/mlp.sh                 # builds build-bench/ if needed, runs everything
#   BUILD=build bench/mlp.sh     # use an existing build directory
#   EPOCHS=20 CORE=0 bench/mlp.sh
#
# Prints a table (median epoch time of each, the ratio, achieved GEMM GFLOP/s, OpenBLAS dgemm
# single-thread peaks) and writes bench/out/mlp.json; the intermediate files (data, logs,
# model) stay in bench/out/.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
build=${BUILD:-$root/build-bench}
case $build in /*) ;; *) build=$root/$build ;; esac
epochs=${EPOCHS:-20}
core=${CORE:-0}
python=${PYTHON:-/usr/bin/python3}
out=$root/bench/out
mkdir -p "$out"

die() { echo "mlp.sh: error: $*" >&2; exit 1; }
command -v taskset >/dev/null || die "taskset not found (apt-get install util-linux)"
"$python" -c 'import torch, netCDF4' 2>/dev/null ||
    die "$python lacks torch or netCDF4 (apt-get install python3-torch python3-netcdf4)"

if [[ ! -x $build/tools/sciml-train || ! -x $build/tools/sciml-gen ]]; then
    echo "mlp.sh: building libsciml in $build" >&2
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSCIML_BUILD_TESTS=OFF >/dev/null
    cmake --build "$build" --target sciml-train sciml-gen -j2 >/dev/null
fi
bin=$build/tools

# One thread everywhere; pinned to one core.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
pin=(taskset -c "$core")

echo "mlp.sh: data (sciml-gen oscillator, 5000 x (5 -> 150))" >&2
"$bin/sciml-gen" oscillator --samples 5000 --points 150 --seed 1 -o "$out/osc.nc"

echo "mlp.sh: sciml-train, $epochs epochs on core $core" >&2
rm -f "$out/ours.jsonl"
"${pin[@]}" "$bin/sciml-train" mlp --data "$out/osc.nc" --input x --output y \
    --hidden 64,64,64 --activation tanh --epochs "$epochs" --batch 128 --lr 1e-3 --seed 1 \
    --threads 1 -q --log "$out/ours.jsonl" -o "$out/model.nc"

echo "mlp.sh: PyTorch, $epochs epochs on core $core" >&2
"${pin[@]}" "$python" "$here/mlp_torch.py" --data "$out/osc.nc" --input x --output y \
    --hidden 64,64,64 --activation tanh --epochs "$epochs" --batch 128 --lr 1e-3 --seed 1 \
    --threads 1 >"$out/torch.jsonl"

echo "mlp.sh: OpenBLAS dgemm single-thread peaks" >&2
cc -O2 "$here/dgemm_peak.c" -o "$out/dgemm_peak" $(pkg-config --cflags --libs openblas)
"${pin[@]}" "$out/dgemm_peak" 0.2 >"$out/dgemm.jsonl" 2>"$out/dgemm.stderr"

"$python" - "$out" <<'PYTHON'
import json, platform, statistics, sys
out = sys.argv[1]

def read_lines(path):
    with open(path) as stream:
        return [json.loads(line) for line in stream if line.strip()]

ours = [r for r in read_lines(f"{out}/ours.jsonl") if "epoch" in r and "seconds" in r]
torch_records = read_lines(f"{out}/torch.jsonl")
torch_epochs = [r for r in torch_records if "epoch" in r]
torch_summary = next(r for r in torch_records if r.get("summary"))
gemms = read_lines(f"{out}/dgemm.jsonl")
if not ours:
    sys.exit("mlp.sh: error: ours.jsonl has no epoch records with 'seconds'")

# GEMM flops per epoch, 2 m n k each. Per sample and layer (in, out): forward in*out
# multiply-adds; backward the weight gradient (in*out) and the input gradient (in*out)
# except for the first layer, whose input gradient is not needed.
widths = torch_summary["widths"]
samples = torch_summary["samples"]
layers = list(zip(widths[:-1], widths[1:]))
forward = sum(i * o for i, o in layers)
backward = 2 * forward - layers[0][0] * layers[0][1]
flops_per_epoch = 2 * samples * (forward + backward)

ours_median = statistics.median(r["seconds"] for r in ours)
torch_median = statistics.median(r["seconds"] for r in torch_epochs)
ratio = torch_median / ours_median
cpu = "unknown"
try:
    with open("/proc/cpuinfo") as stream:
        cpu = next(line.split(":", 1)[1].strip() for line in stream if line.startswith("model name"))
except (OSError, StopIteration):
    pass
peak = max(g["gflops"] for g in gemms if g["name"].startswith("square"))
result = {
    "benchmark": "mlp",
    "model": widths, "activation": "tanh", "samples": samples, "batch": 128,
    "epochs": len(ours), "precision": "float64", "threads": 1,
    "cpu": cpu, "machine": platform.machine(), "torch": torch_summary["torch"],
    "ours_median_epoch_seconds": ours_median,
    "torch_median_epoch_seconds": torch_median,
    "speedup_vs_torch": ratio,
    "gemm_flops_per_epoch": flops_per_epoch,
    "ours_gflops": flops_per_epoch / ours_median * 1e-9,
    "torch_gflops": flops_per_epoch / torch_median * 1e-9,
    "dgemm_peak_gflops": peak,
    "dgemm": gemms,
    "ours_final_loss": ours[-1].get("loss"),
    "torch_final_loss": torch_epochs[-1]["loss"],
}
with open(f"{out}/mlp.json", "w") as stream:
    json.dump(result, stream, indent=2)
    stream.write("\n")

print(f"MLP {'-'.join(map(str, widths))} tanh, {samples} samples, batch 128, float64, 1 thread")
print(f"CPU: {cpu}")
print(f"{'':28}{'median epoch (s)':>18}{'GFLOP/s':>10}{'final loss':>14}")
print(f"{'libsciml (sciml-train)':28}{ours_median:18.4f}{result['ours_gflops']:10.2f}"
      f"{ours[-1].get('loss', float('nan')):14.5g}")
print(f"{'PyTorch ' + torch_summary['torch']:28}{torch_median:18.4f}{result['torch_gflops']:10.2f}"
      f"{torch_epochs[-1]['loss']:14.5g}")
print(f"speedup (torch / ours): {ratio:.2f}x   (target >= 2x)")
print(f"GEMM work per epoch: {flops_per_epoch / 1e6:.1f} MFLOP")
print("OpenBLAS dgemm, one thread:")
for g in gemms:
    print(f"  {g['name']:30} m={g['m']:<5} n={g['n']:<5} k={g['k']:<5} {g['gflops']:8.2f} GFLOP/s")
print(f"wrote {out}/mlp.json")
PYTHON
