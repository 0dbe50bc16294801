#!/usr/bin/env bash
# PI3NN against its deep-ensemble baseline (5 members) on real data: the diabetes regression
# set shipped by Debian's python3-sklearn (442 patients, 10 features). For every random 75/25
# split (SPLITS) and model seed (SEEDS) it trains both methods with the mode's defaults on the
# 332 training patients and reports PICP and MPIW at LEVEL on the 110 held-out ones; then the
# mean, spread and pooled PICP per method and the MPIW ratio. Results in
# bench/out/pi3nn_diabetes.tsv and .json. Not a test (about 10 s for the defaults).
#   bench/pi3nn_diabetes.sh                            # BUILD=build, 10 splits x 3 seeds
#   SPLITS="0 1" SEEDS=1 PI3NN_ARGS="--ood-bias 40" bench/pi3nn_diabetes.sh
# Data: DIABETES_DIR (a folder with diabetes_data_raw.csv.gz and diabetes_target.csv.gz), else
# /usr/local/share/sciml/diabetes (put there by .ci/install-deps.sh), else the installed
# python3-sklearn, else the package file fetched with `apt-get download` and unpacked with
# dpkg-deb under bench/out (nothing is installed). Conversion needs python3-netcdf4.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
splits=${SPLITS:-0 1 2 3 4 5 6 7 8 9}
seeds=${SEEDS:-1 2 3}
level=${LEVEL:-0.95}
pi3nn_args=${PI3NN_ARGS:-}
ensemble_args=${ENSEMBLE_ARGS:-}
out=$root/bench/out/diabetes
mkdir -p "$out"
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1

sklearn_data=usr/lib/python3/dist-packages/sklearn/datasets/data
data=${DIABETES_DIR:-}
for candidate in /usr/local/share/sciml/diabetes "/$sklearn_data"; do
    if [ -z "$data" ] && [ -f "$candidate/diabetes_target.csv.gz" ]; then
        data=$candidate
    fi
done
if [ -z "$data" ]; then
    if [ ! -f "$out/deb/$sklearn_data/diabetes_target.csv.gz" ]; then
        (cd "$out" && rm -f python3-sklearn_*.deb &&
            apt-get download python3-sklearn >/dev/null) || {
            echo "pi3nn_diabetes.sh: python3-sklearn not installed and 'apt-get download" \
                "python3-sklearn' failed: expected DIABETES_DIR with diabetes_*.csv.gz" >&2
            exit 1
        }
        dpkg-deb -x "$out"/python3-sklearn_*.deb "$out/deb"
    fi
    data=$out/deb/$sklearn_data
fi
if [ ! -x "$build/tools/sciml-train" ]; then
    echo "pi3nn_diabetes.sh: $build/tools/sciml-train not found: expected a build (BUILD=...)" >&2
    exit 1
fi

results=$out/../pi3nn_diabetes.tsv
printf 'method\tsplit\tseed\tpicp\tmpiw\n' >"$results"
for split in $splits; do
    /usr/bin/python3 "$root/bench/diabetes_to_nc.py" "$data" "$out" "$split"
    for seed in $seeds; do
        for method in pi3nn ensemble; do
            if [ "$method" = pi3nn ]; then args=$pi3nn_args; else args=$ensemble_args; fi
            # shellcheck disable=SC2086
            "$build/tools/sciml-train" pi3nn --method "$method" --data "$out/diabetes-train.nc" \
                --level "$level" --seed "$seed" -q -o "$out/model.nc" $args
            report=$("$build/tools/sciml-pi3nn" -m "$out/model.nc" \
                --truth "$out/diabetes-test.nc" "$out/diabetes-test.nc" "$out/intervals.nc" 2>&1)
            picp=$(sed -n 's/.*PICP \([0-9.eE+-]*\).*/\1/p' <<<"$report")
            mpiw=$(sed -n 's/.*MPIW \([0-9.eE+-]*\).*/\1/p' <<<"$report")
            printf '%s\t%s\t%s\t%s\t%s\n' "$method" "$split" "$seed" "$picp" "$mpiw" >>"$results"
        done
    done
done

awk -F'\t' -v level="$level" '
NR > 1 {
    n[$1]++; p[$1] += $4; pp[$1] += $4 * $4; w[$1] += $5
    if (!($1 in lo) || $4 < lo[$1]) lo[$1] = $4
    if (!($1 in hi) || $4 > hi[$1]) hi[$1] = $4
    d = $4 - level; if (d <= 0.03 && -d <= 0.03) ok[$1]++
}
END {
    printf "%-9s %5s %11s %9s %15s %9s %10s\n", "method", "runs", "mean PICP", "sd", "range",
        "|d|<=0.03", "mean MPIW"
    for (m in n) {
        mean = p[m] / n[m]; sd = sqrt(pp[m] / n[m] - mean * mean)
        printf "%-9s %5d %11.4f %9.4f %7.4f-%.4f %9d %10.1f\n", m, n[m], mean, sd, lo[m], hi[m],
            ok[m], w[m] / n[m]
    }
    pi3nn = w["pi3nn"] / n["pi3nn"]; ensemble = w["ensemble"] / n["ensemble"]
    printf "MPIW ratio pi3nn / ensemble: %.2f (level %s, 110 test points per run)\n",
        pi3nn / ensemble, level
    printf "{\"level\": %s, \"pi3nn_picp\": %.4f, \"pi3nn_mpiw\": %.2f, ", level,
        p["pi3nn"] / n["pi3nn"], pi3nn > "/dev/stderr"
    printf "\"ensemble_picp\": %.4f, \"ensemble_mpiw\": %.2f, \"runs\": %d}\n",
        p["ensemble"] / n["ensemble"], ensemble, n["pi3nn"] > "/dev/stderr"
}' "$results" 2>"$out/../pi3nn_diabetes.json"
cat "$out/../pi3nn_diabetes.json"
