#!/usr/bin/env bash
# PI3NN prediction intervals in pipes: sciml-gen cubic makes in- and out-of-distribution data,
# sciml-train pi3nn trains once, sciml-pi3nn answers three confidence levels from that one
# model and reports PICP/MPIW against the truth; the ensemble baseline; and the bad-input cases
# of the issue (level outside (0, 1), wrong feature count, too few points on one side of the
# mean: one error line, exit 1, nothing written; usage errors exit 2).
. "$(dirname "$0")/lib.sh"

# picp_of / mpiw_of: the numbers after PICP / MPIW in the last run's stderr report
picp_of() { sed -n 's/.*PICP \([0-9.eE+-]*\).*/\1/p' "$T/.stderr" | head -1; }
mpiw_of() { sed -n 's/.*MPIW \([0-9.eE+-]*\).*/\1/p' "$T/.stderr" | head -1; }
within() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; exit !(d <= t && -d <= t) }'; }

section "data: cubic, in and out of distribution"
run sciml-gen cubic --samples 1000 --seed 1 -q -o train.nc
expect_rc 0 "sciml-gen cubic"
run sciml-gen cubic --samples 2000 --seed 2 -q -o test.nc
expect_rc 0 "sciml-gen cubic test set"
run sciml-gen cubic --ood --samples 500 --seed 3 -q -o ood.nc
expect_rc 0 "sciml-gen cubic --ood"
run sciml-info -s ood.nc
check "OOD inputs reach below -4" float_lt "$(stat_of "$T/.stdout" x min)" -4
check "OOD inputs reach above 4" float_lt 4 "$(stat_of "$T/.stdout" x max)"
run sciml-gen cubic --ood --points 3 -o bad.nc
expect_rc 2 "--points does not apply to cubic"

section "train once, intervals at three levels"
run sciml-train pi3nn --data train.nc --test test.nc --level 0.95 --seed 1 -o pi.nc
expect_rc 0 "sciml-train pi3nn"
expect_stderr_has "test y[0] PICP" "summary with the test coverage"
run ncdump -h pi.nc
expect_stdout_has 'sciml_model = "pi3nn"' "model attributes"
expect_stdout_has 'upper_ratio(output, train_sample)' "sorted ratios kept for any level"
expect_stdout_has 'train_sample = 300' "the ratios of the 300 held-out calibration points"
expect_stdout_has 'upper_floor(output)' "the floor of |u| kept"
for level in 0.9 0.95 0.99; do
    run sciml-pi3nn -m pi.nc --level $level --truth test.nc test.nc out.nc
    expect_rc 0 "sciml-pi3nn --level $level"
    picp=$(picp_of)
    echo "level $level: PICP $picp MPIW $(mpiw_of)"
    check "PICP $picp within 0.03 of $level" within "$picp" "$level" 0.03
done
run sciml-pi3nn -m pi.nc --truth test.nc test.nc out.nc
width_in=$(mpiw_of)
check "the stored level is the default" grep -qF "level 0.95" "$T/.stderr"
run sciml-pi3nn -m pi.nc --truth ood.nc ood.nc out.nc
width_out=$(mpiw_of)
echo "MPIW in $width_in, out of distribution $width_out"
check "intervals at least 5x wider out of distribution" \
    float_lt "$(awk -v w="$width_in" 'BEGIN { print 5 * w }')" "$width_out"
run ncdump -h out.nc
expect_stdout_has 'double lower(sample, output)' "lower bound variable"
expect_stdout_has 'double ood_score(sample, output)' "OOD score variable"

section "a pipe: gen | sciml-pi3nn | sciml-info"
sciml-gen cubic --ood --samples 200 --seed 4 | sciml-pi3nn -m pi.nc --level 0.9 |
    sciml-info -s - >pipe.txt
check "the pipe succeeds" test $? -eq 0
score=$(stat_of pipe.txt ood_score mean)
echo "mean OOD score out of distribution: $score"
check "OOD score above 0.3 out of distribution" float_lt 0.3 "$score"
sciml-gen cubic --samples 200 --seed 5 | sciml-pi3nn -m pi.nc | sciml-info -s - >pipe-in.txt
check "OOD score below 0.05 in distribution" float_lt "$(stat_of pipe-in.txt ood_score mean)" 0.05

section "deep ensemble baseline"
run sciml-train pi3nn --method ensemble --members 3 --data train.nc --epochs 60 --seed 1 -q \
    -o ens.nc
expect_rc 0 "sciml-train pi3nn --method ensemble"
run sciml-pi3nn -m ens.nc --truth test.nc test.nc out.nc
expect_rc 0 "sciml-pi3nn with an ensemble"
echo "ensemble: PICP $(picp_of) MPIW $(mpiw_of)"
check "ensemble PICP within 0.05 of 0.95" within "$(picp_of)" 0.95 0.05

section "bad input: one clear error, exit 1, nothing written"
for level in 1.5 0 -0.2 1; do
    run sciml-pi3nn -m pi.nc --level $level test.nc bad.nc
    expect_rc 1 "sciml-pi3nn --level $level"
    expect_one_error_line sciml-pi3nn "$level" "level $level"
    check "no output left" test ! -e bad.nc
done
run sciml-train pi3nn --data train.nc --level 1 -q -o bad.nc
expect_rc 1 "sciml-train pi3nn --level 1"
expect_one_error_line sciml-train "(0, 1)" "training level outside (0, 1)"
check "no model left" test ! -e bad.nc
run sciml-gen oscillator --samples 5 --points 4 -o osc.nc
run sciml-pi3nn -m pi.nc osc.nc bad.nc
expect_rc 1 "five features into a one-feature model"
expect_one_error_line sciml-pi3nn osc.nc "wrong feature count"
expect_stderr_has "the model needs 1" "says what it expected"
check "no output left" test ! -e bad.nc
run sciml-pi3nn -m pi.nc --level 0.1 test.nc bad.nc
expect_rc 1 "a level that needs more points outside than lie above the mean"
expect_one_error_line sciml-pi3nn "above its mean" "level 0.1"
check "no output left" test ! -e bad.nc
if have_ncdump; then
    cat >oneside.cdl <<'CDL'
netcdf oneside {
dimensions:
    sample = UNLIMITED ;
    feature = 1 ;
variables:
    double x(sample, feature) ;
        x:sciml_role = "input" ;
    double y(sample, feature) ;
        y:sciml_role = "output" ;
data:
    x = 0, 0, 0, 0, 0, 0 ;
    y = 0, 0, 0, 0, 0, 100 ;
}
CDL
    cdl_to_nc oneside.cdl oneside.nc
    run sciml-train pi3nn --data oneside.nc --epochs 2 --validation 0 -o bad.nc
    expect_rc 1 "one training point above the mean"
    expect_one_error_line sciml-train "1 of 6 training points above" "too few on one side"
    check "no model left" test ! -e bad.nc
    run sciml-train pi3nn --data oneside.nc --epochs 2 -o bad.nc
    expect_rc 1 "a validation split of six samples"
    expect_one_error_line sciml-train "leaves 2 for validation and 4 for fitting" \
        "too small a validation split"
    check "no model left" test ! -e bad.nc
else
    skip "too few points on one side (ncgen not installed)"
fi
run sciml-pi3nn -m pi.nc --truth ood.nc test.nc bad.nc
expect_rc 1 "truth with another sample count"
expect_one_error_line sciml-pi3nn ood.nc "truth count"
check "no output left" test ! -e bad.nc

section "usage errors exit 2"
run sciml-pi3nn -m pi.nc --level abc test.nc bad.nc
expect_rc 2 "--level abc"
run sciml-pi3nn test.nc bad.nc
expect_rc 2 "missing -m"
run sciml-pi3nn -m pi.nc --bogus test.nc
expect_rc 2 "unknown option"
run sciml-train pi3nn --data train.nc --method bayes -o bad.nc
expect_rc 2 "unknown --method"
run sciml-train mlp --data train.nc --level 0.9 -o bad.nc
expect_rc 2 "--level does not apply to mlp"
run sciml-train pi3nn --data train.nc --resume x.nc -o bad.nc
expect_rc 2 "--resume with pi3nn"
run sciml-train pi3nn --data train.nc --validation 0.01 -o bad.nc
expect_rc 2 "--validation below 0.05"
run sciml-train pi3nn --data train.nc --validation 0.9 -o bad.nc
expect_rc 2 "--validation above 0.8"
run sciml-train pi3nn --data train.nc --patience -1 -o bad.nc
expect_rc 2 "negative --patience"
run sciml-train mlp --data train.nc --validation 0.2 -o bad.nc
expect_rc 2 "--validation does not apply to mlp"
check "no model left" test ! -e bad.nc

finish
