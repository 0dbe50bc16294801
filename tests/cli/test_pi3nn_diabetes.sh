#!/usr/bin/env bash
# PI3NN on real data, when the data are on the machine: the diabetes regression set (442
# patients, 10 features, disease progression after a year; Efron et al. 2004; BSD-3-Clause)
# from Debian's python3-sklearn: SCIML_DIABETES_DIR, else /usr/local/share/sciml/diabetes
# (where .ci/install-deps.sh unpacks the two files from the package file), else the
# installed package. Five folds (patient i is held out in fold i mod 5) times two model
# seeds: each fold trains `sciml-train pi3nn --ood-bias 0` on the other four (its defaults hold
# 30% of those out for early stopping and calibration) and predicts the held-out fold at
# level 0.95. The coverage pooled over the 10 runs (884
# predictions) must lie within 0.03 of 0.95 (the issue's bound on held-out data) and the mean
# width below 1.6 times that of the 5-member deep ensemble trained the same way. Skipped
# (exit 77) when the data or ncgen are missing. About 3 s.
. "$(dirname "$0")/lib.sh"

data=${SCIML_DIABETES_DIR:-}
for candidate in /usr/local/share/sciml/diabetes \
    /usr/lib/python3/dist-packages/sklearn/datasets/data; do
    if [ -z "$data" ] && [ -f "$candidate/diabetes_target.csv.gz" ]; then
        data=$candidate
    fi
done
if [ -z "$data" ] || [ ! -f "$data/diabetes_data_raw.csv.gz" ] ||
    [ ! -f "$data/diabetes_target.csv.gz" ]; then
    skip "diabetes data not found (run .ci/install-deps.sh as root or set SCIML_DIABETES_DIR)"
fi
have_ncdump || skip "ncgen not installed"

# fold_cdl FOLD PART: CDL of the patients with (i mod 5 == FOLD) (PART test) or not (train)
fold_cdl() {
    paste -d' ' <(zcat "$data/diabetes_data_raw.csv.gz") \
        <(zcat "$data/diabetes_target.csv.gz") |
        awk -v fold="$1" -v part="$2" '
        { held = (NR - 1) % 5 == fold; if ((part == "test") != held) next
          n++; xs = xs (n > 1 ? ",\n  " : "  ")
          for (j = 1; j <= 10; j++) xs = xs (j > 1 ? ", " : "") $j
          ys = ys (n > 1 ? ", " : "") ($11 + 0) }
        END {
          print "netcdf diabetes {\ndimensions:\n  sample = UNLIMITED ;"
          print "  feature = 10 ;\n  output = 1 ;"
          print "variables:\n  double x(sample, feature) ;\n    x:sciml_role = \"input\" ;"
          print "  double y(sample, output) ;\n    y:sciml_role = \"output\" ;"
          print "data:\n x =\n" xs " ;\n y = " ys " ;\n}" }'
}

section "five folds of the diabetes data"
for fold in 0 1 2 3 4; do
    fold_cdl $fold train >train$fold.cdl && cdl_to_nc train$fold.cdl train$fold.nc
    fold_cdl $fold test >test$fold.cdl && cdl_to_nc test$fold.cdl test$fold.nc
    check "fold $fold converted" test -s test$fold.nc
done
run sciml-info -s train0.nc
check "353 training patients in fold 0" grep -q "353" "$T/.stdout"

section "PI3NN and the ensemble at 0.95 on the held-out folds"
: >results.txt
for seed in 1 2; do
    for fold in 0 1 2 3 4; do
        for method in pi3nn ensemble; do
            extra=()
            if [ $method = pi3nn ]; then extra=(--ood-bias 0); fi
            run sciml-train pi3nn --method $method "${extra[@]}" --data train$fold.nc \
                --seed $seed -q -o model.nc
            expect_rc 0 "sciml-train pi3nn --method $method, fold $fold, seed $seed"
            run sciml-pi3nn -m model.nc --truth test$fold.nc test$fold.nc out.nc
            expect_rc 0 "sciml-pi3nn, fold $fold"
            # method, held-out count, PICP, MPIW
            pattern='s/.*PICP \([0-9.]*\) MPIW \([0-9.e+]*\).*(\([0-9]*\) samples).*'
            sed -n "$pattern/$method \3 \1 \2/p" "$T/.stderr" >>results.txt
        done
    done
done
check "20 runs reported" test "$(wc -l <results.txt)" -eq 20
summary=$(awk '{ n[$1] += $2; inside[$1] += $2 * $3; width[$1] += $2 * $4 }
    END { printf "%.4f %.2f ", inside["pi3nn"] / n["pi3nn"], width["pi3nn"] / n["pi3nn"]
          printf "%.4f %.2f", inside["ensemble"] / n["ensemble"],
              width["ensemble"] / n["ensemble"] }' results.txt)
read -r picp mpiw ensemble_picp ensemble_mpiw <<<"$summary"
echo "pooled over 884 held-out predictions: PI3NN PICP $picp MPIW $mpiw;" \
    "ensemble PICP $ensemble_picp MPIW $ensemble_mpiw"
check "PI3NN PICP $picp within 0.03 of 0.95" \
    awk -v p="$picp" 'BEGIN { exit !(p >= 0.92 && p <= 0.98) }'
check "PI3NN MPIW $mpiw below 1.6 x the ensemble's $ensemble_mpiw" \
    awk -v a="$mpiw" -v b="$ensemble_mpiw" 'BEGIN { exit !(a < 1.6 * b) }'

finish
