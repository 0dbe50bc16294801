# Files written by the tools are standard netCDF: ncdump reads them, python netCDF4/xarray see
# the expected shapes and the values sciml-info reports; files made by ncgen are read by the
# tools; --seed makes runs reproducible.
. "$(dirname "$0")/lib.sh"

have_ncdump || skip "ncdump/ncgen (netcdf-bin) not installed"

sciml-gen grf --samples 5 --resolution 64 --seed 11 -o grf1.nc 2>/dev/null || fail "sciml-gen grf 1D"
sciml-gen grf --dims 2 --samples 3 --resolution 16 --seed 11 -o grf2.nc 2>/dev/null || fail "sciml-gen grf 2D"
sciml-gen oscillator --samples 40 --points 25 --seed 11 -o osc.nc 2>/dev/null || fail "sciml-gen oscillator"
sciml-train mlp --data osc.nc --epochs 2 --hidden 8,8 --seed 1 -q -o model.nc 2>/dev/null ||
    fail "sciml-train a tiny model"
sciml-mlp -m model.nc osc.nc pred.nc 2>/dev/null || fail "sciml-mlp"

section "ncdump reads every file the tools write"
expect_dims() { # expect_dims FILE LINE...: ncdump -h exits 0 and shows each dimension line
    local file=$1
    shift
    LAST_CMD="ncdump -h $file"
    ncdump -h "$file" >"$T/.stdout" 2>"$T/.stderr"
    RC=$?
    expect_rc 0 "ncdump -h $file"
    local line
    for line in "$@"; do
        if grep -qF -- "$line" "$T/.stdout"; then ok; else fail "ncdump -h $file lacks '$line'"; fi
    done
    LAST_CMD="ncdump $file"
    ncdump "$file" >/dev/null 2>"$T/.stderr"
    RC=$?
    expect_rc 0 "ncdump $file (data)"
}
expect_dims grf1.nc "sample = UNLIMITED ; // (5 currently)" "x = 64 ;" "double a(sample, x) ;"
expect_dims grf2.nc "sample = UNLIMITED ; // (3 currently)" "x = 16 ;" "y = 16 ;" \
    "double a(sample, x, y) ;"
expect_dims osc.nc "sample = UNLIMITED ; // (40 currently)" "parameter = 5 ;" "time = 25 ;" \
    "double x(sample, parameter) ;" "double y(sample, time) ;" "double t(time) ;"
expect_dims model.nc "input = 5 ;" "hidden_0 = 8 ;" "hidden_1 = 8 ;" "output = 25 ;" \
    "double layer_0_weight(input, hidden_0) ;" ':sciml_model = "mlp" ;'
expect_dims pred.nc "sample = UNLIMITED ; // (40 currently)" "output = 25 ;" \
    "double y(sample, output) ;"
# a file streamed to stdout
sciml-gen grf --samples 2 --resolution 8 >grf-stdout.nc 2>/dev/null
expect_dims grf-stdout.nc "sample = UNLIMITED ; // (2 currently)" "x = 8 ;"

section "sciml-info agrees with ncdump on the header"
# the dimension and variable declarations of `sciml-info -H` and `ncdump -h` coincide
for f in grf1.nc grf2.nc osc.nc model.nc; do
    if diff <(ncdump -h "$f" | grep -E '^\t[a-z_0-9]+ = |^\t(double|float|int|short|byte|char) ') \
        <(sciml-info -H "$f" | grep -E '^\t[a-z_0-9]+ = |^\t(double|float|int|short|byte|char) ') >/dev/null; then
        ok
    else
        fail "$f: dimension/variable lines of sciml-info -H and ncdump -h differ"
        diff <(ncdump -h "$f" | grep -E '^\t[a-z_0-9]+ = |^\t(double|float|int|short|byte|char) ') \
            <(sciml-info -H "$f" | grep -E '^\t[a-z_0-9]+ = |^\t(double|float|int|short|byte|char) ') | head >&2
    fi
done

section "files made by ncgen are read by the tools"
cat >made.cdl <<'EOF'
netcdf made {
dimensions:
	sample = UNLIMITED ;
	feature = 3 ;
	target = 2 ;
variables:
	float u(sample, feature) ;
		u:sciml_role = "input" ;
	short v(sample, target) ;
		v:sciml_role = "output" ;
	int k ;
data:
 u = 1, 2, 3, 4, 5, 6, -7.5, 8, 9, 10, 11, 12.25 ;
 v = 1, 2, 3, 4, 5, 6, 7, 100 ;
 k = 42 ;
}
EOF
for kind in nc3 nc6 cdf5; do
    rm -f made.nc
    if ! ncgen -k "$kind" -o made.nc made.cdl 2>/dev/null; then
        echo "ncgen -k $kind not supported here: skipped" >&2
        continue
    fi
    run sciml-info made.nc
    expect_rc 0 "sciml-info on an ncgen -k $kind file"
    [ "$(stat_of "$T/.stdout" u min)" = "-7.5" ] && ok || fail "ncgen $kind: u min should be -7.5"
    [ "$(stat_of "$T/.stdout" u max)" = "12.25" ] && ok || fail "ncgen $kind: u max should be 12.25"
    [ "$(stat_of "$T/.stdout" v max)" = "100" ] && ok || fail "ncgen $kind: v max should be 100"
    [ "$(stat_of "$T/.stdout" k mean)" = "42" ] && ok || fail "ncgen $kind: k should be 42"
    run sciml-train mlp --data made.nc --epochs 3 --batch 2 --hidden 4 -q -o made-model.nc
    expect_rc 0 "sciml-train on an ncgen -k $kind file (float input, short output)"
done

section "python netCDF4 / xarray read the files"
if have_python; then
    # each check: shape and min/max equal to what sciml-info prints (to its 6 digits)
    sciml-info -s grf1.nc >info-grf1.txt
    sciml-info -s grf2.nc >info-grf2.txt
    sciml-info -s osc.nc >info-osc.txt
    sciml-info -s pred.nc >info-pred.txt
    LAST_CMD="python3 interop check"
    "$PYTHON" - "$T" >"$T/.stdout" 2>"$T/.stderr" <<'EOF'
import sys, os
import numpy as np
import netCDF4
import xarray as xr

d = sys.argv[1]
failures = []

def info_stats(path, var):
    for line in open(path):
        fields = line.split()
        if fields and fields[0] == var:
            return float(fields[-5]), float(fields[-4])
    raise KeyError(var)

def check(cond, what):
    if not cond:
        failures.append(what)

def close6(a, b):
    # sciml-info prints %.6g
    return abs(a - b) <= 1e-5 * max(abs(a), abs(b), 1e-300)

for name, var, shape, info in [
    ("grf1.nc", "a", (5, 64), "info-grf1.txt"),
    ("grf2.nc", "a", (3, 16, 16), "info-grf2.txt"),
    ("osc.nc", "x", (40, 5), "info-osc.txt"),
    ("osc.nc", "y", (40, 25), "info-osc.txt"),
    ("pred.nc", "y", (40, 25), "info-pred.txt"),
]:
    path = os.path.join(d, name)
    with netCDF4.Dataset(path) as nc:
        a = nc.variables[var][:]
        check(a.shape == shape, f"{name}:{var} netCDF4 shape {a.shape}, expected {shape}")
        check(nc.dimensions["sample"].isunlimited(), f"{name}: sample is not the record dimension")
        lo, hi = info_stats(os.path.join(d, info), var)
        check(close6(float(a.min()), lo), f"{name}:{var} min {a.min()} vs sciml-info {lo}")
        check(close6(float(a.max()), hi), f"{name}:{var} max {a.max()} vs sciml-info {hi}")
    ds = xr.open_dataset(path)
    check(ds[var].shape == shape, f"{name}:{var} xarray shape {ds[var].shape}")
    check(ds.attrs.get("sciml_kind") == "dataset", f"{name}: sciml_kind is {ds.attrs.get('sciml_kind')}")
    check("history" in ds.attrs, f"{name}: no history attribute")
    ds.close()

# grid coordinates: x_j = j / s
with netCDF4.Dataset(os.path.join(d, "grf1.nc")) as nc:
    x = nc.variables["x"][:]
    check(np.array_equal(x, np.arange(64) / 64.0), "grf1.nc: x is not j/64")
    a = nc.variables["a"][:]
    check(np.all(np.isfinite(a)), "grf1.nc: non-finite field values")
    # periodic GRF with a zero-mean spectrum: the spatial mean of every sample is ~0
    check(np.all(np.abs(a.mean(axis=1)) < 1e-9 * max(1.0, float(np.abs(a).max()))),
          "grf1.nc: sample means are not 0 (the k=0 mode should be dropped)")
# oscillator: t on [0, horizon], y(t=0) = A + c
with netCDF4.Dataset(os.path.join(d, "osc.nc")) as nc:
    t = nc.variables["t"][:]
    x = nc.variables["x"][:]
    y = nc.variables["y"][:]
    check(abs(t[0]) == 0 and abs(t[-1] - 1.0) < 1e-15, f"osc.nc: t from {t[0]} to {t[-1]}")
    check(np.allclose(y[:, 0], x[:, 0] + x[:, 4], rtol=1e-12, atol=1e-12),
          "osc.nc: y(0) != A + c")
# the model file: attributes and weights
with netCDF4.Dataset(os.path.join(d, "model.nc")) as nc:
    check(nc.getncattr("sciml_model") == "mlp", "model.nc: sciml_model")
    check(nc.variables["layer_0_weight"].shape == (5, 8), "model.nc: layer_0_weight shape")
    check(nc.variables["layer_2_weight"].shape == (8, 25), "model.nc: layer_2_weight shape")
    check(np.all(np.isfinite(nc.variables["layer_0_weight"][:])), "model.nc: weights not finite")

for f in failures:
    print(f)
sys.exit(1 if failures else 0)
EOF
    RC=$?
    if [ "$RC" -eq 0 ]; then ok; else
        fail "python interop: $(cat "$T/.stdout") $(tail -3 "$T/.stderr")"
    fi
else
    echo "python3 with netCDF4 and xarray not available: skipping the python checks" >&2
fi

section "--seed: same seed, same file (apart from history); different seed, different data"
for gen in "grf --samples 4 --resolution 32" "grf --dims 2 --samples 2 --resolution 8" \
           "oscillator --samples 10 --points 8"; do
    # shellcheck disable=SC2086
    sciml-gen $gen --seed 7 -o s7a.nc 2>/dev/null
    [ "$gen" = "${gen#grf --samples 4}" ] || sleep 1 # once: a later history time stamp
    # shellcheck disable=SC2086
    sciml-gen $gen --seed 7 -o s7b.nc 2>/dev/null
    # shellcheck disable=SC2086
    sciml-gen $gen --seed 8 -o s8.nc 2>/dev/null
    if diff <(ncdump_nohistory s7a.nc) <(ncdump_nohistory s7b.nc) >/dev/null; then ok; else
        fail "sciml-gen $gen: two runs with --seed 7 differ"
    fi
    # data sections: the same seed gives the same bytes after the header
    if cmp -s <(ncdump s7a.nc | sed -n '/^data:/,$p') <(ncdump s7b.nc | sed -n '/^data:/,$p'); then ok; else
        fail "sciml-gen $gen: data sections of two --seed 7 runs differ"
    fi
    if ! cmp -s <(ncdump s7a.nc | sed -n '/^data:/,$p') <(ncdump s8.nc | sed -n '/^data:/,$p'); then ok; else
        fail "sciml-gen $gen: --seed 7 and --seed 8 give the same data"
    fi
    # byte level: files differ only inside the history attribute, so sizes match
    if [ "$(wc -c <s7a.nc)" -eq "$(wc -c <s7b.nc)" ]; then ok; else
        fail "sciml-gen $gen: same seed, different file sizes"
    fi
    run sciml-cmp --tol 0 s7a.nc s7b.nc
    expect_rc 0 "sciml-cmp --tol 0 on two --seed 7 files"
    run sciml-cmp --tol 1e-3 s8.nc s7a.nc
    expect_rc 1 "sciml-cmp --tol 1e-3 on --seed 8 vs --seed 7"
done
# the seed is recorded in the file
if ncdump -h s8.nc | grep -q ':sciml_seed = "8"'; then ok; else fail "sciml_seed attribute not 8"; fi
# default seed = 0: reproducible without --seed
sciml-gen oscillator --samples 3 --points 4 -o d1.nc 2>/dev/null
sciml-gen oscillator --samples 3 --points 4 -o d2.nc --seed 0 2>/dev/null
run sciml-cmp --tol 0 d1.nc d2.nc
expect_rc 0 "no --seed equals --seed 0"
# a large seed is accepted and reproducible
sciml-gen oscillator --samples 3 --points 4 -o big1.nc --seed 18446744073709551615 2>/dev/null
sciml-gen oscillator --samples 3 --points 4 -o big2.nc --seed 18446744073709551615 2>/dev/null
run sciml-cmp --tol 0 big1.nc big2.nc
expect_rc 0 "--seed 2^64-1 reproducible"
# the first samples do not depend on how many are made (one sample at a time)
sciml-gen grf --samples 2 --resolution 32 --seed 7 -o first2.nc 2>/dev/null
sciml-gen grf --samples 4 --resolution 32 --seed 7 -o first4.nc 2>/dev/null
ncdump_values first2.nc a >first2.txt
ncdump_values first4.nc a | head -n 64 >first4.txt
if [ "$(wc -l <first2.txt)" -eq 64 ] && cmp -s first2.txt first4.txt; then ok; else
    fail "sciml-gen grf --seed 7: the first 2 samples differ between --samples 2 and --samples 4"
fi

section "sciml-train --seed reproducible, different seeds differ"
sciml-train mlp --data osc.nc --epochs 3 --hidden 8,8 --seed 5 -q -o m5a.nc 2>/dev/null
sciml-train mlp --data osc.nc --epochs 3 --hidden 8,8 --seed 5 -q -o m5b.nc 2>/dev/null
sciml-train mlp --data osc.nc --epochs 3 --hidden 8,8 --seed 6 -q -o m6.nc 2>/dev/null
if diff <(ncdump_nohistory m5a.nc | grep -v sciml_command) <(ncdump_nohistory m5b.nc | grep -v sciml_command) >/dev/null; then
    ok
else
    fail "sciml-train: two runs with --seed 5 give different models"
fi
if ! cmp -s <(ncdump -v layer_0_weight m5a.nc | sed -n '/^data:/,$p') \
    <(ncdump -v layer_0_weight m6.nc | sed -n '/^data:/,$p'); then
    ok
else
    fail "sciml-train: --seed 5 and --seed 6 give the same weights"
fi

finish
