#!/usr/bin/env bash
# FNO 2-D benchmark: `sciml-train fno` against the same FNO2d in plain PyTorch
# (bench/fno_torch.py, which picks FNO2d from the rank of the data) on 2-D Darcy flow, on the
# same core, same data, float64, one thread. The issue: Darcy s = 85 (solved at 421 and
# subsampled, as the FNO paper), modes 12, width 32, 4 layers, batch 20, Adam lr 1e-3, weight
# decay 1e-4, halved every 100 epochs for 500 epochs (the paper: test relative L2 1.08%), or
# the compressed schedule (100 epochs, halved every 20) with ours no worse than PyTorch's.
#
#   bench/fno_darcy.sh                           # builds build-darcy-bench/ if needed; 5 epochs
#   BUILD=build bench/fno_darcy.sh               # use an existing build directory
#   EPOCHS=100 STEP=20 bench/fno_darcy.sh        # the compressed-schedule accuracy comparison
#   EPOCHS=500 STEP=100 bench/fno_darcy.sh       # the paper's schedule
#   TRAIN=100 TEST=20 FINE=85 EPOCHS=2 bench/fno_darcy.sh   # a quick check (seconds of data)
#   ONLY=zero-shot ZERO_SHOT=141,211,421 MODEL=fno.nc bench/fno_darcy.sh   # a model at other s
#
# Knobs (defaults): TRAIN (1000), TEST (200), FINE (421: points per side of the solve), RES
# (85: points per side of the data, (FINE-1) a multiple of (RES-1)), EPOCHS (5), STEP (100:
# epochs between halvings), PADDING (9: the authors' Darcy padding), CORE (0), BUILD
# (build-darcy-bench), INIT (reference: PyTorch's default initialisation as the authors;
# sciml: our initialisation's distributions), ONLY (both; ours or torch: run one side, the
# report shows the other side's last run beside it if that had the same knobs; data: only make
# or check the cached data), REGEN (0; 1: regenerate the data even when a cached copy matches),
# CHECKPOINT (0; 1: the PyTorch side saves its state after every epoch to
# bench/out/fno_darcy/torch_<knobs>.ckpt and, when that file exists, continues from it; see below),
# ZERO_SHOT (none; a list like 141,211,421: our model, trained at RES, is also applied to the
# same TEST functions generated at those resolutions, each with (FINE-1) a multiple of (s-1);
# ONLY=zero-shot does that alone), MODEL (bench/out/fno_darcy/fno.nc: the model ZERO_SHOT applies).
# The two sides can run at once on two idle cores once the data are cached:
#   ONLY=data bench/fno_darcy.sh; ONLY=ours CORE=0 bench/fno_darcy.sh &
#   ONLY=torch CORE=1 bench/fno_darcy.sh; wait     # the later report shows both
#
# Running the PyTorch side across sessions (it takes about 8 h for EPOCHS=100 at 1000 samples):
#   ONLY=torch TRAIN=1000 TEST=200 EPOCHS=100 STEP=20 CHECKPOINT=1 bench/fno_darcy.sh
# re-run, the same command, in each session until it prints the report: every run continues
# after the last finished epoch (bit for bit as one uninterrupted run; a killed run loses at
# most its epoch in progress) and rewrites torch_float64.jsonl with all epochs. The checkpoint
# is kept after the run (a later run only reprints and reports); remove it to train afresh. A
# checkpoint from other settings or other data is refused (fno_torch.py exits 2). The process
# CPU and wall time of a resumed run cover its last process only (the report says so); the
# epoch medians cover all epochs.
#
# The data are cached in bench/out/fno_darcy/ under names that hold the knobs (generation at
# FINE = 421 costs about 0.4 s per sample) and reused when the knobs and the generator source
# (libsciml/gen/darcy.c) are unchanged. Prints a table (median epoch seconds of each and the
# ratio, process CPU time of each, final test relative L2 of each, the test error every 10
# epochs) and writes bench/out/fno_darcy.json.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
build=${BUILD:-$root/build-darcy-bench}
case $build in /*) ;; *) build=$root/$build ;; esac
train=${TRAIN:-1000}
test=${TEST:-200}
fine=${FINE:-421}
res=${RES:-85}
epochs=${EPOCHS:-5}
step=${STEP:-100}
padding=${PADDING:-9}
core=${CORE:-0}
init=${INIT:-reference}
only=${ONLY:-both}
regen=${REGEN:-0}
checkpoint=${CHECKPOINT:-0}
zero_shot=${ZERO_SHOT:-}
python=${PYTHON:-/usr/bin/python3}
out=$root/bench/out/fno_darcy
result_path=$root/bench/out/fno_darcy.json
model=${MODEL:-$out/fno.nc}
case $model in /*) ;; *) model=$PWD/$model ;; esac

die() { echo "fno_darcy.sh: error: $*" >&2; exit 1; }
note() { echo "fno_darcy.sh: $*" >&2; }
for knob in train test fine res epochs step padding core; do
    [[ ${!knob} =~ ^[0-9]+$ ]] || die "${knob^^} must be a non-negative integer (got '${!knob}')"
done
((train >= 20 && test >= 1 && epochs >= 1 && step >= 1)) ||
    die "need TRAIN >= 20, TEST >= 1, EPOCHS >= 1, STEP >= 1"
((res >= 24)) || die "RES must be at least 24 (2 x 12 modes)"
((fine >= res && (fine - 1) % (res - 1) == 0)) ||
    die "FINE - 1 ($((fine - 1))) must be a multiple of RES - 1 ($((res - 1)))"
[[ $init == reference || $init == sciml ]] || die "INIT must be reference or sciml (got '$init')"
[[ $only == both || $only == ours || $only == torch || $only == data || $only == zero-shot ]] ||
    die "ONLY must be both, ours, torch, data or zero-shot (got '$only')"
IFS=, read -r -a zero_shot_sizes <<<"$zero_shot"
for s in "${zero_shot_sizes[@]}"; do
    [[ $s =~ ^[0-9]+$ ]] && ((s >= 24 && (fine - 1) % (s - 1) == 0)) ||
        die "ZERO_SHOT: $s is not a resolution of at least 24 with FINE - 1 a multiple of s - 1"
done
[[ $only != zero-shot || ${#zero_shot_sizes[@]} -gt 0 ]] || die "ONLY=zero-shot needs ZERO_SHOT"
[[ $regen == 0 || $regen == 1 ]] || die "REGEN must be 0 or 1"
[[ $checkpoint == 0 || $checkpoint == 1 ]] || die "CHECKPOINT must be 0 or 1"
command -v taskset >/dev/null || die "taskset not found (apt-get install util-linux)"
[[ -x /usr/bin/time ]] || die "/usr/bin/time not found (apt-get install time)"
"$python" -c 'import torch, netCDF4' 2>/dev/null ||
    die "$python lacks torch or netCDF4 (apt-get install python3-torch python3-netcdf4)"
mkdir -p "$out"

# One thread everywhere; pinned to one core.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
pin=(taskset -c "$core")
bin=$build/tools

# Build the tools this run needs (a CMake tree is always brought up to date; a directory of
# prebuilt tools/ is used as it is). ONLY=torch and ONLY=data need sciml-gen alone.
tools=(sciml-gen)
[[ $only == torch || $only == data || $only == zero-shot ]] || tools+=(sciml-train)
((${#zero_shot_sizes[@]} == 0)) || [[ $only == torch || $only == data ]] ||
    tools+=(sciml-fno sciml-cmp)
if [[ -f $build/CMakeCache.txt || ! -x $bin/sciml-gen ]]; then
    if [[ ! -f $build/CMakeCache.txt ]]; then
        note "configuring libsciml in $build"
        cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSCIML_BUILD_TESTS=OFF \
            >/dev/null
    fi
    note "building ${tools[*]} in $build"
    cmake --build "$build" --target "${tools[@]}" -j1 >/dev/null ||
        die "building ${tools[*]} in $build failed"
fi
for tool in "${tools[@]}"; do
    [[ -x $bin/$tool ]] || die "no $bin/$tool (not built?)"
done
"$bin/sciml-gen" --help 2>&1 | grep -w darcy >/dev/null || die "this sciml-gen has no 'darcy' generator"
if [[ $only != torch && $only != data && $only != zero-shot ]]; then
    "$bin/sciml-train" --help 2>&1 | grep -- '--padding' >/dev/null ||
        die "this sciml-train has no 'fno --padding' option"
fi

# Data (cached) ------------------------------------------------------------------------------
generator_sum=$(sha256sum "$root/libsciml/gen/darcy.c" | cut -c1-16)
data() { # NAME SAMPLES SEED [RES]: prints the path of a cached or freshly generated data set
    local name=$1 samples=$2 seed=$3 s=${4:-$res}
    local file="$out/${name}_n${samples}_fine${fine}_s${s}_seed${seed}.nc"
    local args=(darcy --samples "$samples" --fine "$fine" --resolution "$s" --seed "$seed")
    local stamp="${args[*]} darcy.c:$generator_sum"
    if [[ $regen == 1 || ! -f $file || ! -f $file.stamp || $(<"$file.stamp") != "$stamp" ]]; then
        note "generating $name: sciml-gen ${args[*]} (about 0.4 s a sample at FINE = 421)"
        rm -f "$file" "$file.stamp"
        "${pin[@]}" "$bin/sciml-gen" "${args[@]}" -q -o "$file.part" ||
            die "sciml-gen ${args[*]} failed"
        mv "$file.part" "$file"
        echo "$stamp" >"$file.stamp"
    else
        note "reusing $file"
    fi
    echo "$file"
}
# Zero-shot: the model at the test functions generated at other resolutions (same seed and
# FINE: the same functions, subsampled differently). Mean per-sample relative L2, as training's.
zero_shot_report() {
    [[ -f $model ]] || die "no model $model to apply (MODEL=)"
    local rows=() s file error base=
    for s in "$res" "${zero_shot_sizes[@]}"; do
        file=$(data test "$test" 2 "$s")
        "${pin[@]}" "$bin/sciml-fno" -m "$model" "$file" "$out/zero_shot_pred.nc" ||
            die "sciml-fno -m $model $file failed"
        error=$("$bin/sciml-cmp" -v u "$out/zero_shot_pred.nc" "$file" |
            awk '$1 == "u" { print $3; exit }')
        rm -f "$out/zero_shot_pred.nc"
        base=${base:-$error}
        rows+=("$s $error $(awk -v e="$error" -v b="$base" 'BEGIN { printf "%.3f", e / b }')")
    done
    echo "zero-shot: $model (trained at s = $res), $test test functions solved at $fine"
    printf '%6s %18s %14s\n' s "test rel L2" "ratio to $res"
    local json="{\"model\": \"$model\", \"trained_at\": $res, \"by_resolution\": {" sep=
    for row in "${rows[@]}"; do
        read -r s error ratio <<<"$row"
        printf '%6s %17.4f%% %14s\n' "$s" "$(awk -v e="$error" 'BEGIN { print 100 * e }')" "$ratio"
        json+="$sep\"$s\": $error"
        sep=", "
    done
    echo "$json}}" >"$root/bench/out/fno_darcy_zero_shot.json"
    echo "wrote $root/bench/out/fno_darcy_zero_shot.json"
}

if [[ $only == zero-shot ]]; then
    zero_shot_report
    exit 0
fi
train_file=$(data train "$train" 1)
test_file=$(data test "$test" 2)
if [[ $only == data ]]; then
    echo "$train_file"
    echo "$test_file"
    exit 0
fi

common=(--data "$train_file" --test "$test_file" --input a --output u --modes 12 --width 32
        --layers 4 --padding "$padding" --batch 20 --lr 1e-3 --weight-decay 1e-4
        --step-size "$step" --gamma 0.5 --epochs "$epochs" --seed 1 --threads 1)
time_format='{"wall": %e, "user": %U, "system": %S, "max_rss_kib": %M}'
knobs="train=$train test=$test fine=$fine res=$res epochs=$epochs step=$step padding=$padding"

# Ours ---------------------------------------------------------------------------------------
if [[ $only != torch ]]; then
    rm -f "$out/ours.jsonl" "$out/ours_time.json" "$out/ours_knobs.txt"
    note "sciml-train fno, $epochs epochs (step $step), $train samples, on core $core"
    /usr/bin/time -f "$time_format" -o "$out/ours_time.json" "${pin[@]}" "$bin/sciml-train" fno \
        "${common[@]}" --schedule step -q --log "$out/ours.jsonl" -o "$out/fno.nc" ||
        die "sciml-train fno failed (see above)"
    echo "$knobs" >"$out/ours_knobs.txt"
fi

# PyTorch ------------------------------------------------------------------------------------
if [[ $only != ours ]]; then
    rm -f "$out/torch_float64.jsonl" "$out/torch_time.json" "$out/torch_knobs.txt"
    resume=()
    if [[ $checkpoint == 1 ]]; then
        ckpt="$out/torch_n${train}_t${test}_fine${fine}_s${res}_e${epochs}_step${step}"
        ckpt+="_pad${padding}_${init}.ckpt"
        resume=(--checkpoint "$ckpt")
        if [[ -f $ckpt ]]; then note "continuing from $ckpt"; else note "checkpointing to $ckpt"; fi
    fi
    note "PyTorch FNO2d float64, $epochs epochs (step $step), $train samples, on core $core"
    /usr/bin/time -f "$time_format" -o "$out/torch_time.json" "${pin[@]}" "$python" \
        "$here/fno_torch.py" "${common[@]}" --normalize field --init "$init" --dtype float64 \
        "${resume[@]}" >"$out/torch_float64.jsonl" || die "bench/fno_torch.py failed (see above)"
    echo "$knobs init=$init" >"$out/torch_knobs.txt"
fi

# Report -------------------------------------------------------------------------------------
"$python" - "$out" "$result_path" "$train" "$test" "$fine" "$res" "$epochs" "$step" \
    "$padding" "$init" "$knobs" <<'PYTHON'
import json, os, platform, statistics, sys
out, result_path = sys.argv[1], sys.argv[2]
train, test, fine, res, epochs, step, padding = (int(v) for v in sys.argv[3:10])
init, knobs = sys.argv[10], sys.argv[11]

def same_knobs(side, expected):
    """Whether the files of one side come from a finished run with these knobs (a side run
    alone with ONLY= is reported beside the other side's last run only when they match)."""
    path = f"{out}/{side}_knobs.txt"
    if not os.path.exists(path):
        return False
    with open(path) as stream:
        recorded = stream.read().strip()
    if recorded != expected:
        print(f"fno_darcy.sh: leaving out {side}'s last run ({recorded}): not {expected}",
              file=sys.stderr)
        return False
    return True

def read_lines(path):
    with open(path) as stream:
        return [json.loads(line) for line in stream if line.strip()]

def read_time(path):
    """/usr/bin/time's record: wall, user and system seconds, max RSS."""
    if not os.path.exists(path):
        return None
    with open(path) as stream:
        text = stream.read()
    return json.loads(text[text.index("{"):])  # a failing command's status line comes first

cpu = "unknown"
try:
    with open("/proc/cpuinfo") as stream:
        cpu = next(l.split(":", 1)[1].strip() for l in stream if l.startswith("model name"))
except (OSError, StopIteration):
    pass

sides = {}
path = f"{out}/ours.jsonl"
if same_knobs("ours", knobs):
    log = [r for r in read_lines(path) if "epoch" in r and "seconds" in r]
    if not log:
        sys.exit("fno_darcy.sh: error: ours.jsonl has no epoch records with 'seconds'")
    sides["ours"] = {"name": "libsciml float64", "log": log,
                     "process": read_time(f"{out}/ours_time.json")}
path = f"{out}/torch_float64.jsonl"
if same_knobs("torch", f"{knobs} init={init}"):
    records = read_lines(path)
    summary = next((r for r in records if r.get("summary")), None)
    if summary is None:
        sys.exit(f"fno_darcy.sh: error: {path} has no summary line (did it finish?)")
    sides["torch"] = {"name": f"PyTorch {summary['torch'].split('+')[0]} float64",
                      "log": [r for r in records if "epoch" in r and not r.get("summary")],
                      "process": read_time(f"{out}/torch_time.json"), "summary": summary}
if not sides:
    sys.exit("fno_darcy.sh: error: no results in " + out)

result = {
    "benchmark": "fno_darcy", "data": f"sciml-gen darcy --fine {fine} --resolution {res}",
    "s": res, "fine": fine, "train_samples": train, "test_samples": test, "modes": [12, 12],
    "width": 32, "layers": 4, "padding": padding, "batch": 20, "lr": 1e-3,
    "weight_decay": 1e-4, "epochs": epochs, "step_size": step, "gamma": 0.5, "threads": 1,
    "torch_init": init, "cpu": cpu, "machine": platform.machine(),
}
for key, side in sides.items():
    log = side["log"]
    entry = {
        "epochs_logged": len(log),
        "median_epoch_seconds": statistics.median(r["seconds"] for r in log),
        "final_loss": log[-1].get("loss"),
        "final_test_rel_l2": log[-1].get("test_rel_l2"),
        "best_test_rel_l2": min((r["test_rel_l2"] for r in log if "test_rel_l2" in r),
                                default=None),
        "test_rel_l2_by_epoch": {str(r["epoch"]): r.get("test_rel_l2") for r in log},
        "process": side["process"],
    }
    if key == "torch":
        entry["median_epoch_cpu_seconds"] = side["summary"]["median_epoch_cpu_seconds"]
        entry["parameters"] = side["summary"]["parameters"]
        # > 1: resumed from a checkpoint; the process record covers epochs from here on only
        entry["first_epoch_of_last_process"] = side["summary"].get("first_epoch_this_run", 1)
        result["torch_version"] = side["summary"]["torch"]
    result[key] = entry
if "ours" in result and "torch" in result:
    result["epoch_speedup_vs_torch_float64"] = (result["torch"]["median_epoch_seconds"]
                                                / result["ours"]["median_epoch_seconds"])
    po, pt = result["ours"]["process"], result["torch"]["process"]
    if po and pt and result["torch"]["first_epoch_of_last_process"] == 1:  # not if resumed
        result["process_cpu_ratio_torch_over_ours"] = ((pt["user"] + pt["system"])
                                                       / (po["user"] + po["system"]))
with open(result_path, "w") as stream:
    json.dump(result, stream, indent=2)
    stream.write("\n")

def fmt(value, spec):
    return format(value, spec) if isinstance(value, (int, float)) else "-"

print(f"FNO2d modes 12, width 32, 4 layers, padding {padding}, Darcy s = {res} (solved at "
      f"{fine}), {train} train / {test} test, batch 20, Adam 1e-3, wd 1e-4, step {step} x 0.5, "
      f"{epochs} epochs, float64, 1 thread")
print(f"CPU: {cpu}")
print(f"{'':24}{'median epoch (s)':>17}{'process CPU (s)':>16}{'final test rel L2':>19}"
      f"{'best':>11}")
for key in ("ours", "torch"):
    if key in result:
        r, p = result[key], result[key]["process"]
        cpu_seconds = p["user"] + p["system"] if p else None
        print(f"{sides[key]['name']:24}{fmt(r['median_epoch_seconds'], '17.2f')}"
              f"{fmt(cpu_seconds, '16.1f')}{fmt(r['final_test_rel_l2'], '19.4%')}"
              f"{fmt(r['best_test_rel_l2'], '11.4%')}")
if "epoch_speedup_vs_torch_float64" in result:
    print(f"epoch time ratio (torch / ours): {result['epoch_speedup_vs_torch_float64']:.2f}x"
          + (f"; whole-process CPU time ratio: {result['process_cpu_ratio_torch_over_ours']:.2f}x"
             if "process_cpu_ratio_torch_over_ours" in result else ""))
if "torch" in result:
    print(f"PyTorch median epoch CPU time: {result['torch']['median_epoch_cpu_seconds']:.2f} s "
          f"(steadier than wall time on a shared core); PyTorch init: {init}")
    first = result["torch"]["first_epoch_of_last_process"]
    if first > 1:
        span = f"epochs {first} - {epochs} only" if first <= epochs else "no epoch (all saved)"
        print(f"PyTorch resumed from a checkpoint: its process CPU time covers {span} (its "
              "last process); the epoch medians and test errors cover all epochs")
# The accuracy curves: every 10 epochs and the last.
shown = sorted({e for e in range(10, epochs + 1, 10)} | {1, epochs})
print(f"\ntest relative L2 by epoch")
print(f"{'epoch':>6}" + "".join(f"{sides[k]['name']:>26}" for k in ("ours", "torch")
                                if k in result))
for epoch in shown:
    row = f"{epoch:>6}"
    for key in ("ours", "torch"):
        if key in result:
            row += f"{fmt(result[key]['test_rel_l2_by_epoch'].get(str(epoch)), '26.4%')}"
    print(row)
print(f"\nwrote {result_path}")
PYTHON
if ((${#zero_shot_sizes[@]} > 0)) && [[ $only != torch ]]; then
    echo
    zero_shot_report
fi
