#!/usr/bin/env bash
# PINN benchmark: the Burgers PINN of the issue (net 2-[20]x3-1 tanh, float64, 2540 interior +
# 80 boundary + 160 initial points) trained by sciml-train pinn and by the same PINN in plain
# PyTorch with nested torch.autograd.grad(create_graph=True) (bench/pinn_torch.py), one thread,
# same core. Reports time per Adam step and per L-BFGS iteration (best of REPEATS alternating
# runs: the machine may be shared), their ratios, and the GEMM rate of an Adam step of ours
# from the GEMM flop count (every layer: forward, weight gradient, input gradient except the
# first layer's; rows = 4 streams x 2540 + 80 + 160).
#
#   bench/pinn.sh                              # builds build-bench/ if needed
#   BUILD=build ADAM=500 LBFGS=200 REPEATS=3 CORE=0 bench/pinn.sh
#
# Writes bench/out/pinn.json.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
build=${BUILD:-$root/build-bench}
case $build in /*) ;; *) build=$root/$build ;; esac
adam=${ADAM:-500}
lbfgs=${LBFGS:-200}
repeats=${REPEATS:-3}
core=${CORE:-0}
python=${PYTHON:-/usr/bin/python3}
out=$root/bench/out
mkdir -p "$out"

die() { echo "pinn.sh: error: $*" >&2; exit 1; }
command -v taskset >/dev/null || die "taskset not found (apt-get install util-linux)"
"$python" -c 'import torch' 2>/dev/null || die "$python lacks torch (apt-get install python3-torch)"
if [[ ! -x $build/tools/sciml-train ]]; then
    echo "pinn.sh: building libsciml in $build" >&2
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSCIML_BUILD_TESTS=OFF >/dev/null
    cmake --build "$build" --target sciml-train -j2 >/dev/null
fi
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1

best_ours_adam=1e9 best_ours_lbfgs=1e9 best_torch_adam=1e9 best_torch_lbfgs=1e9
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 < b + 0) ? a : b }'; }
for ((run = 1; run <= repeats; run++)); do
    taskset -c "$core" "$build/tools/sciml-train" pinn --pde burgers --hidden 20,20,20 \
        --interior 2540 --boundary 80 --initial 160 --iterations "$adam" \
        --lbfgs-iterations "$lbfgs" --seed 1 --threads 1 -o "$out/pinn_model.nc" \
        2>"$out/pinn_ours.txt"
    a=$(sed -n 's/.*(\([0-9.]*\) ms\/step).*/\1/p' "$out/pinn_ours.txt")
    l=$(sed -n 's/.*(\([0-9.]*\) ms\/iteration).*/\1/p' "$out/pinn_ours.txt")
    [[ -n $a && -n $l ]] || die "no timing in $out/pinn_ours.txt"
    best_ours_adam=$(min "$best_ours_adam" "$a")
    best_ours_lbfgs=$(min "$best_ours_lbfgs" "$l")
    taskset -c "$core" "$python" "$here/pinn_torch.py" --adam "$adam" --lbfgs "$lbfgs" \
        >"$out/pinn_torch.json"
    a=$("$python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["adam_ms_per_step"])' "$out/pinn_torch.json")
    l=$("$python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["lbfgs_ms_per_iteration"])' "$out/pinn_torch.json")
    best_torch_adam=$(min "$best_torch_adam" "$a")
    best_torch_lbfgs=$(min "$best_torch_lbfgs" "$l")
    echo "run $run: ours $best_ours_adam / $best_ours_lbfgs ms, torch $best_torch_adam / $best_torch_lbfgs ms (best so far)" >&2
done
"$python" - "$best_ours_adam" "$best_ours_lbfgs" "$best_torch_adam" "$best_torch_lbfgs" \
    "$out/pinn.json" <<'PY'
import json, sys
ours_adam, ours_lbfgs, torch_adam, torch_lbfgs = map(float, sys.argv[1:5])
rows = 4 * 2540 + 80 + 160
sizes = [2, 20, 20, 20, 1]
flops = 0
for layer in range(len(sizes) - 1):
    products = 3 if layer > 0 else 2  # the input needs no gradient
    flops += products * 2 * rows * sizes[layer] * sizes[layer + 1]
result = {
    "adam_ms_per_step": {"ours": ours_adam, "torch": torch_adam, "ratio": torch_adam / ours_adam},
    "lbfgs_ms_per_iteration": {"ours": ours_lbfgs, "torch": torch_lbfgs,
                               "ratio": torch_lbfgs / ours_lbfgs},
    "gemm_mflop_per_adam_step": flops / 1e6,
    "ours_gemm_gflops_per_s": flops / (ours_adam * 1e-3) / 1e9,
}
json.dump(result, open(sys.argv[5], "w"), indent=1)
print(json.dumps(result, indent=1))
PY
