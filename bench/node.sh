#!/usr/bin/env bash
# Neural ODE benchmark: time per training iteration on the issue's spiral set-up (1000 points
# on [0, 25], MLP 2-50-2 tanh on y^3, batch 20 segments of 10 steps, Adam lr 1e-2, MSE,
# float64, one thread, same core) for our gradients (bench/node_bench.c: CVODES adjoint with
# Adams and BDF, dopri5 direct, dopri5 continuous adjoint) against torchdiffeq's dopri5 at
# rtol 1e-7, atol 1e-9 with odeint_adjoint and with plain odeint (bench/node_torch.py), with
# function evaluations per iteration; then the direct gradient's tape as the segment grows
# 10x, and the steps CVODES BDF and dopri5 need on Robertson's stiff system.
#
#   bench/node.sh                              # builds build-bench/ if needed
#   BUILD=build ITERATIONS=200 CORE=0 bench/node.sh
#   PYTHONPATH=DIR bench/node.sh               # where torchdiffeq is, if not installed
#
# torchdiffeq: `pip install torchdiffeq` (or unpack its wheel into a directory on PYTHONPATH;
# it is pure Python and runs with Debian's python3-torch). Writes bench/out/node.json.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
build=${BUILD:-$root/build-bench}
case $build in /*) ;; *) build=$root/$build ;; esac
iterations=${ITERATIONS:-200}
core=${CORE:-0}
python=${PYTHON:-/usr/bin/python3}
out=$root/bench/out
mkdir -p "$out"

die() { echo "node.sh: error: $*" >&2; exit 1; }
command -v taskset >/dev/null || die "taskset not found (apt-get install util-linux)"
"$python" -c 'import torch, scipy, torchdiffeq' 2>/dev/null ||
    die "$python lacks torch, scipy or torchdiffeq (apt-get install python3-torch python3-scipy; pip install torchdiffeq)"

if [[ ! -x $build/tools/sciml-gen || ! -f $build/libsciml/libsciml.a ]]; then
    echo "node.sh: building libsciml in $build" >&2
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSCIML_BUILD_TESTS=OFF >/dev/null
    cmake --build "$build" --target sciml-gen sciml -j2 >/dev/null
fi
cc -O2 -I "$root/libsciml/include" "$here/node_bench.c" "$build/libsciml/libsciml.a" \
    $(pkg-config --libs openblas lapacke fftw3) -lsundials_cvodes -lsundials_nvecserial -lm \
    -o "$out/node_bench"

export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
pin=(taskset -c "$core")
"$build/tools/sciml-gen" ode --system spiral -q -o "$out/spiral.nc"

echo "node.sh: ours, $iterations iterations per gradient on core $core" >&2
"${pin[@]}" "$out/node_bench" "$out/spiral.nc" "$iterations" 1 >"$out/node_ours.jsonl"
echo "node.sh: torchdiffeq, $iterations iterations per method on core $core" >&2
"${pin[@]}" "$python" "$here/node_torch.py" "$out/spiral.nc" "$iterations" 1 \
    >"$out/node_torch.jsonl"

"$python" - "$out/node_ours.jsonl" "$out/node_torch.jsonl" "$out/node.json" <<'PY'
import json, sys
ours = [json.loads(line) for line in open(sys.argv[1])]
torch = {r["method"]: r for r in map(json.loads, open(sys.argv[2]))}
adjoint, direct = torch["odeint_adjoint"], torch["odeint"]
rows = []
print(f"{'gradient':28s} {'s/iteration':>12s} {'f evals':>8s} {'vjps':>8s} "
      f"{'x odeint_adjoint':>17s} {'x odeint':>9s}")
for r in ours:
    if "gradient" not in r or r["segment"] != 10:
        continue
    rows.append(dict(r, speedup_vs_odeint_adjoint=adjoint["median_seconds"] / r["median_seconds"],
                     speedup_vs_odeint=direct["median_seconds"] / r["median_seconds"]))
    print(f"{r['gradient']:28s} {r['median_seconds']:12.3e} {r['rhs_per_iteration']:8.1f} "
          f"{r['vjp_per_iteration']:8.1f} {rows[-1]['speedup_vs_odeint_adjoint']:17.1f} "
          f"{rows[-1]['speedup_vs_odeint']:9.1f}")
for name, r in (("torchdiffeq odeint_adjoint", adjoint), ("torchdiffeq odeint", direct)):
    print(f"{name:28s} {r['median_seconds']:12.3e} {r['evaluations_per_iteration']:8.1f}")
memory = [r for r in ours if "gradient" in r and r["gradient"] == "dopri5 direct"]
stiff = [r for r in ours if "robertson_t40" in r][0]["robertson_t40"]
print("dopri5 direct tape: " + ", ".join(f"segment {r['segment']}: {r['tape_bytes']} bytes"
                                         for r in memory) + " (adjoints keep no tape)")
print(f"Robertson on [0, 40]: CVODES BDF {stiff['bdf_steps']} steps, dopri5 "
      f"{stiff['dopri5_steps']} steps ({stiff['ratio']:.0f}x)")
json.dump({"ours": ours, "torchdiffeq": list(torch.values()), "summary": rows},
          open(sys.argv[3], "w"), indent=1)
PY
