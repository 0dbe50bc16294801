#!/usr/bin/env bash
# FNO benchmark: `sciml-train fno` and `sciml-fno` against the same 1-D FNO in plain PyTorch
# (bench/fno_torch.py) on the same core, same data and same precision. The issue: Burgers
# (released-generator case, nu = 0.001), s = 1024, 1000 training and 200 test samples, modes
# 16, width 64, 4 layers, batch 20, Adam lr 1e-3, weight decay 1e-4, step schedule; ours must
# be at least 1.5x faster per training epoch and 2x faster at inference (samples/s, batch 20),
# and piping 20000 samples through `sciml-fno` must not grow its peak memory.
#
#   bench/fno.sh                          # builds build-bench/ if needed, runs everything
#   BUILD=build bench/fno.sh              # use an existing build directory
#   EPOCHS=100 STEP=20 bench/fno.sh       # the compressed-schedule accuracy comparison
#   SYNTHETIC=1 TORCH_ONLY=1 bench/fno.sh # the PyTorch half alone on synthetic data
#
# Knobs (defaults): EPOCHS (5), STEP (50: StepLR epochs between halvings), TRAIN (1000),
# TEST (200), RES (1024), INFER (2000: samples timed at inference), BIG (20000: samples piped
# for the memory check), FLOAT32 (1: also run PyTorch in float32), PROFILE (1: PyTorch
# FFT/matmul split), PERF (1: perf profiles of one epoch of ours and of the sciml-fno run, FFTW
# vs GEMM vs GELU, if perf works),
# CORE (0), SYNTHETIC (0: 1 = synthetic a -> u data instead of `sciml-gen burgers`),
# TORCH_ONLY (0: 1 = skip libsciml, only the PyTorch half).
#
# Prints a table (epoch time of each and the ratio, final test errors, inference samples/s of
# each and the ratio, sciml-fno peak RSS at INFER and BIG samples, the FFT / GEMM time
# fractions) and writes bench/out/fno.json; the intermediate files stay in bench/out/.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
build=${BUILD:-$root/build-bench}
case $build in /*) ;; *) build=$root/$build ;; esac
epochs=${EPOCHS:-5}
step=${STEP:-50}
train=${TRAIN:-1000}
test=${TEST:-200}
res=${RES:-1024}
infer=${INFER:-2000}
big=${BIG:-20000}
float32=${FLOAT32:-1}
profile=${PROFILE:-1}
perf_on=${PERF:-1}
core=${CORE:-0}
synthetic=${SYNTHETIC:-0}
torch_only=${TORCH_ONLY:-0}
python=${PYTHON:-/usr/bin/python3}
out=$root/bench/out/fno
mkdir -p "$out"

die() { echo "fno.sh: error: $*" >&2; exit 1; }
note() { echo "fno.sh: $*" >&2; }
for knob in epochs step train test res infer big core; do
    [[ ${!knob} =~ ^[0-9]+$ ]] || die "${knob^^} must be a non-negative integer"
done
((epochs >= 1 && step >= 1 && train >= 20 && test >= 1 && infer >= 20 && big >= 1)) ||
    die "need EPOCHS >= 1, STEP >= 1, TRAIN >= 20, TEST >= 1, INFER >= 20, BIG >= 1"
[[ -n ${EPOCHREALTIME:-} ]] || die "needs bash >= 5 (EPOCHREALTIME)"
export LC_ALL=C # EPOCHREALTIME with a decimal point
command -v taskset >/dev/null || die "taskset not found (apt-get install util-linux)"
[[ -x /usr/bin/time ]] || die "/usr/bin/time not found (apt-get install time)"
"$python" -c 'import torch, netCDF4' 2>/dev/null ||
    die "$python lacks torch or netCDF4 (apt-get install python3-torch python3-netcdf4)"

# One thread everywhere; pinned to one core.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
pin=(taskset -c "$core")
bin=$build/tools

if [[ $torch_only != 1 || $synthetic != 1 ]]; then
    # A CMake tree is always brought up to date (the FNO sources are newer than most trees).
    if [[ -f $build/CMakeCache.txt || ! -x $bin/sciml-gen ]]; then
        if [[ ! -f $build/CMakeCache.txt ]]; then
            note "configuring libsciml in $build"
            cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSCIML_BUILD_TESTS=OFF \
                >/dev/null
        fi
        targets=(sciml-gen)
        [[ $torch_only == 1 ]] || targets+=(sciml-train)
        # sciml-fno only once the project has that target (a missing target fails the build).
        if [[ $torch_only != 1 ]] &&
            cmake --build "$build" --target help 2>/dev/null | grep -qw sciml-fno; then
            targets+=(sciml-fno)
        fi
        note "building ${targets[*]} in $build"
        cmake --build "$build" --target "${targets[@]}" -j2 >/dev/null
    fi # else BUILD is a directory of prebuilt tools/ (no CMake tree): used as it is
    [[ $synthetic == 1 ]] || "$bin/sciml-gen" --help 2>&1 | grep -w burgers >/dev/null ||
        die "this sciml-gen has no 'burgers' generator yet (run with SYNTHETIC=1 for synthetic" \
            "data, or TORCH_ONLY=1 SYNTHETIC=1 for the PyTorch half alone)"
    if [[ $torch_only != 1 ]]; then
        "$bin/sciml-train" --help 2>&1 | grep -E '^ +fno\b' >/dev/null ||
            die "this sciml-train has no 'fno' mode yet (TORCH_ONLY=1 runs the PyTorch half alone)"
        [[ -x $bin/sciml-fno ]] ||
            die "no $bin/sciml-fno (not built yet?) (TORCH_ONLY=1 runs the PyTorch half alone)"
    fi
fi

# Data ---------------------------------------------------------------------------------------
synthesise() { # FILE SAMPLES SEED: a(sample, x) a smooth random field, u a smoothed shift of it
    "$python" - "$@" "$res" <<'PYTHON'
import sys
import netCDF4
import numpy as np
path, samples, seed, s = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = np.random.default_rng(seed)
k = np.arange(s // 2 + 1)
decay = np.where(k > 0, (4 * np.pi**2 * k**2 + 49.0) ** -1.25, 0.0) * 49.0 * s
with netCDF4.Dataset(path, "w", format="NETCDF3_64BIT_OFFSET") as d:
    d.createDimension("sample", None)
    d.createDimension("x", s)
    d.createVariable("x", "f8", ("x",))[:] = np.arange(s) / s
    a = d.createVariable("a", "f8", ("sample", "x"))
    u = d.createVariable("u", "f8", ("sample", "x"))
    d.sciml_kind = "dataset"
    d.sciml_generator = "synthetic (bench/fno.sh): u = heat-smoothed, shifted a"
    for first in range(0, samples, 500):
        n = min(500, samples - first)
        shape = (n, k.size)
        coefficients = decay * (rng.standard_normal(shape) + 1j * rng.standard_normal(shape))
        a[first:first + n] = np.fft.irfft(coefficients, n=s)
        response = np.exp(-1e-3 * (2 * np.pi * k) ** 2 - 2j * np.pi * k * 0.1)
        u[first:first + n] = np.fft.irfft(coefficients * response, n=s)
PYTHON
}
if [[ $synthetic == 1 ]]; then
    note "data: synthetic, $train training and $test test samples at s = $res"
    synthesise "$out/train.nc" "$train" 1
    synthesise "$out/test.nc" "$test" 2
else
    note "data: sciml-gen burgers, nu = 0.001, $train training and $test test samples at s = $res"
    "$bin/sciml-gen" burgers --samples "$train" --resolution "$res" --nu 0.001 --seed 1 \
        -o "$out/train.nc"
    "$bin/sciml-gen" burgers --samples "$test" --resolution "$res" --nu 0.001 --seed 2 \
        -o "$out/test.nc"
fi

common=(--input a --output u --modes 16 --width 64 --layers 4 --batch 20 --lr 1e-3
        --weight-decay 1e-4 --step-size "$step" --gamma 0.5 --seed 1 --threads 1)

# Ours ---------------------------------------------------------------------------------------
rm -f "$out/ours.jsonl" "$out/infer_wall_"*.txt "$out/infer_cpu_"*.txt "$out/rss_"*.txt \
    "$out/perf.txt" "$out/perf_infer.txt" "$out/torch_"*.jsonl
if [[ $torch_only != 1 ]]; then
    note "sciml-train fno, $epochs epochs (step $step) on core $core"
    "${pin[@]}" "$bin/sciml-train" fno --data "$out/train.nc" --test "$out/test.nc" \
        "${common[@]}" --epochs "$epochs" --schedule step -q --log "$out/ours.jsonl" \
        -o "$out/fno.nc"

    note "sciml-fno inference: $infer samples, batch 20, on core $core"
    "$bin/sciml-gen" grf --samples "$infer" --resolution "$res" --seed 3 --name a \
        -o "$out/test_big.nc"
    for run in 1 2 3; do # best of three (the first also warms the page cache)
        start=$EPOCHREALTIME
        /usr/bin/time -f "%U %S" -o "$out/infer_cpu_$run.txt" "${pin[@]}" "$bin/sciml-fno" \
            -m "$out/fno.nc" --batch 20 "$out/test_big.nc" "$out/pred_big.nc"
        echo "$start $EPOCHREALTIME" >"$out/infer_wall_$run.txt"
    done

    note "sciml-fno peak memory: $infer and $big samples piped from sciml-gen grf"
    for n in "$infer" "$big"; do
        "$bin/sciml-gen" grf --samples "$n" --resolution "$res" --seed 4 --name a -o - |
            /usr/bin/time -v -o "$out/rss_$n.txt" "$bin/sciml-fno" -m "$out/fno.nc" \
                --batch 20 >/dev/null
    done

    if [[ $perf_on == 1 ]] && command -v perf >/dev/null &&
        perf record -q -o /dev/null -- true >/dev/null 2>&1; then
        note "perf: one epoch of sciml-train fno (FFTW vs BLAS)"
        perf record -q -F 999 -o "$out/perf.data" -- "${pin[@]}" "$bin/sciml-train" fno \
            --data "$out/train.nc" "${common[@]}" --epochs 1 --schedule step -q \
            -o "$out/perf_model.nc" \
            >/dev/null 2>&1 &&
            perf report -i "$out/perf.data" --stdio --no-children --sort dso,sym -q \
                >"$out/perf.txt" 2>/dev/null || note "perf failed; no FFTW/BLAS split for ours"
        note "perf: sciml-fno over the $infer inference samples"
        perf record -q -F 999 -o "$out/perf_infer.data" -- "${pin[@]}" "$bin/sciml-fno" \
            -m "$out/fno.nc" --batch 20 "$out/test_big.nc" "$out/pred_perf.nc" >/dev/null 2>&1 &&
            perf report -i "$out/perf_infer.data" --stdio --no-children --sort dso,sym -q \
                >"$out/perf_infer.txt" 2>/dev/null || note "perf failed on sciml-fno"
    fi
fi

# PyTorch ------------------------------------------------------------------------------------
torch_flags=(--data "$out/train.nc" --test "$out/test.nc" "${common[@]}" --epochs "$epochs"
             --inference-samples "$infer")
[[ $profile == 1 ]] && torch_flags+=(--profile)
dtypes=(float64)
[[ $float32 == 1 ]] && dtypes+=(float32)
for dtype in "${dtypes[@]}"; do
    note "PyTorch $dtype, $epochs epochs (step $step) on core $core, then $infer samples inference"
    "${pin[@]}" "$python" "$here/fno_torch.py" "${torch_flags[@]}" --dtype "$dtype" \
        >"$out/torch_$dtype.jsonl"
done

# Report -------------------------------------------------------------------------------------
"$python" - "$out" "$root/bench/out/fno.json" "$torch_only" "$synthetic" "$infer" "$big" \
    "$epochs" "$step" <<'PYTHON'
import json, os, platform, re, statistics, sys
out, result_path = sys.argv[1], sys.argv[2]
torch_only, synthetic = sys.argv[3] == "1", sys.argv[4] == "1"
infer, big, epochs, step = (int(v) for v in sys.argv[5:9])

def read_lines(path):
    with open(path) as stream:
        return [json.loads(line) for line in stream if line.strip()]

def max_rss_kib(path):
    """Maximum resident set size (KiB) from /usr/bin/time -v."""
    with open(path) as stream:
        for line in stream:
            if "Maximum resident set size" in line:
                return int(line.rsplit(":", 1)[1])
    sys.exit(f"fno.sh: error: {path}: no maximum resident set size")

cpu = "unknown"
try:
    with open("/proc/cpuinfo") as stream:
        cpu = next(l.split(":", 1)[1].strip() for l in stream if l.startswith("model name"))
except (OSError, StopIteration):
    pass

torch_runs = {}
for dtype in ("float64", "float32"):
    path = f"{out}/torch_{dtype}.jsonl"
    if os.path.exists(path):
        records = read_lines(path)
        summary = next(r for r in records if r.get("summary"))
        summary["log"] = [r for r in records if "epoch" in r and not r.get("summary")]
        torch_runs[dtype] = summary
t64 = torch_runs["float64"]

result = {
    "benchmark": "fno", "data": "synthetic" if synthetic else "burgers nu=0.001",
    "s": t64["s"], "train_samples": t64["train_samples"], "test_samples": t64["test_samples"],
    "modes": 16, "width": 64, "layers": 4, "batch": 20, "epochs": epochs, "step_size": step,
    "threads": 1, "cpu": cpu, "machine": platform.machine(), "torch_version": t64["torch"],
    "torch": {d: {k: v for k, v in r.items() if k != "log"} for d, r in torch_runs.items()},
}

ours = None
if not torch_only:
    log = [r for r in read_lines(f"{out}/ours.jsonl") if "epoch" in r and "seconds" in r]
    if not log:
        sys.exit("fno.sh: error: ours.jsonl has no epoch records with 'seconds'")
    walls, cpus = [], []
    for run in (1, 2, 3):
        with open(f"{out}/infer_wall_{run}.txt") as stream:
            start, end = (float(v) for v in stream.read().split())
        walls.append(end - start)
        with open(f"{out}/infer_cpu_{run}.txt") as stream:
            cpus.append(sum(float(v) for v in stream.read().split()[-2:]))
    ours = {
        "median_epoch_seconds": statistics.median(r["seconds"] for r in log),
        "final_loss": log[-1].get("loss"),
        "final_test_rel_l2": log[-1].get("test_rel_l2"),
        "inference_seconds": min(walls),
        "inference_samples_per_second": infer / min(walls),
        "inference_cpu_seconds": min(cpus),
        "inference_samples_per_cpu_second": infer / min(cpus),
        "rss_kib": {str(n): max_rss_kib(f"{out}/rss_{n}.txt") for n in (infer, big)},
    }
    def perf_split(path):
        """FFTW / GEMM (OpenBLAS and our dense kernel) / GELU / other shares of a perf report."""
        split = {"fftw": 0.0, "blas": 0.0, "gelu": 0.0, "other": 0.0}
        symbols = []
        with open(path) as stream:
            for line in stream:
                match = re.match(r"\s*([\d.]+)%\s+(\S+)\s+\[\S+\]\s+(.*)", line)
                if not match:
                    continue
                share, dso, symbol = float(match[1]), match[2], match[3].strip()
                if "fftw" in dso or "fft" in symbol.lower():
                    split["fftw"] += share
                elif ("blas" in dso or "gemm" in symbol or symbol.startswith("dense_")
                      or symbol.startswith("dot_rows")):
                    split["blas"] += share
                elif "gelu" in symbol:
                    split["gelu"] += share
                else:
                    split["other"] += share
                symbols.append((share, dso, symbol))
        return ({k: v / 100 for k, v in split.items()},
                [{"percent": p, "dso": d, "symbol": s} for p, d, s in symbols[:12]])

    if os.path.exists(f"{out}/perf.txt"):
        ours["perf_fraction"], ours["perf_top"] = perf_split(f"{out}/perf.txt")
    if os.path.exists(f"{out}/perf_infer.txt"):
        ours["perf_inference_fraction"], ours["perf_inference_top"] = perf_split(
            f"{out}/perf_infer.txt")
    result["ours"] = ours
    result["epoch_speedup_vs_torch_float64"] = (t64["median_epoch_seconds"]
                                                / ours["median_epoch_seconds"])
    result["inference_speedup_vs_torch_float64"] = (ours["inference_samples_per_second"]
                                                    / t64["inference_samples_per_second"])
    if t64.get("inference_cpu_seconds"):
        torch_cpu_rate = t64["inference_samples"] / t64["inference_cpu_seconds"]
        result["inference_cpu_speedup_vs_torch_float64"] = (
            ours["inference_samples_per_cpu_second"] / torch_cpu_rate)
    if "float32" in torch_runs:
        t32 = torch_runs["float32"]
        result["epoch_speedup_vs_torch_float32"] = (t32["median_epoch_seconds"]
                                                    / ours["median_epoch_seconds"])
        result["inference_speedup_vs_torch_float32"] = (ours["inference_samples_per_second"]
                                                        / t32["inference_samples_per_second"])
with open(result_path, "w") as stream:
    json.dump(result, stream, indent=2)
    stream.write("\n")

def fmt(value, spec):
    return format(value, spec) if isinstance(value, (int, float)) else "-"

print(f"FNO1d modes 16, width 64, 4 layers, s = {t64['s']}, {t64['train_samples']} train / "
      f"{t64['test_samples']} test ({result['data']}), batch 20, Adam 1e-3, wd 1e-4, "
      f"step {step} x 0.5, {epochs} epochs, 1 thread")
print(f"CPU: {cpu}")
print(f"{'':26}{'median epoch (s)':>17}{'final test rel L2':>19}{'infer samples/s':>17}"
      f"{'FFT':>7}{'GEMM':>7}")
rows = []
if ours:
    pf = ours.get("perf_fraction", {})
    rows.append(("libsciml float64", ours["median_epoch_seconds"], ours["final_test_rel_l2"],
                 ours["inference_samples_per_second"], pf.get("fftw"), pf.get("blas")))
for dtype, r in torch_runs.items():
    rows.append((f"PyTorch {r['torch'].split('+')[0]} {dtype}", r["median_epoch_seconds"],
                 r["final_test_rel_l2"], r.get("inference_samples_per_second"),
                 r.get("fraction_fft"), r.get("fraction_gemm")))
for name, epoch, error, rate, fft, gemm in rows:
    print(f"{name:26}{fmt(epoch, '17.3f')}{fmt(error, '19.4e')}{fmt(rate, '17.1f')}"
          f"{fmt(fft, '7.0%')}{fmt(gemm, '7.0%')}")
if ours:
    print(f"epoch speedup (torch float64 / ours): {result['epoch_speedup_vs_torch_float64']:.2f}x"
          "   (target >= 1.5x)")
    print(f"inference speedup (ours / torch float64): "
          f"{result['inference_speedup_vs_torch_float64']:.2f}x   (target >= 2x; wall, best of 3)")
    if "inference_cpu_speedup_vs_torch_float64" in result:
        print(f"inference by process CPU time: ours "
              f"{ours['inference_samples_per_cpu_second']:.1f} samples/s, torch "
              f"{t64['inference_samples'] / t64['inference_cpu_seconds']:.1f}: "
              f"{result['inference_cpu_speedup_vs_torch_float64']:.2f}x")
    if "epoch_speedup_vs_torch_float32" in result:
        print(f"against torch float32: epoch {result['epoch_speedup_vs_torch_float32']:.2f}x, "
              f"inference {result['inference_speedup_vs_torch_float32']:.2f}x")
    rss = ours["rss_kib"]
    print(f"sciml-fno max RSS, piped: {rss[str(infer)] / 1024:.1f} MiB at {infer} samples, "
          f"{rss[str(big)] / 1024:.1f} MiB at {big} samples")
    for key, what in (("perf_fraction", "one epoch"), ("perf_inference_fraction", "sciml-fno")):
        if key in ours:
            pf = ours[key]
            print(f"ours (perf, {what}): FFTW {pf['fftw']:.0%}, GEMM {pf['blas']:.0%}, "
                  f"GELU {pf['gelu']:.0%}, other {pf['other']:.0%}")
print("FFT / GEMM: PyTorch from torch.profiler self CPU time of forward+backward (GEMM = "
      "mm/addmm/bmm + conv); ours from perf over one epoch (FFTW or *fft* symbols / OpenBLAS "
      "and our dense kernel's samples).")
print(f"wrote {result_path}")
PYTHON
