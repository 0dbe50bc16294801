#!/usr/bin/env bash
# The DeepONet workflow in pipes: sciml-gen antiderivative makes data, sciml-train deeponet
# trains (full batch, --iterations Adam steps), sciml-deeponet streams functions through the
# model at the data's own points, at a --grid and at --points from a file, and the bad-input
# cases of the issue: one error line naming the file, exit 1, nothing written; usage errors
# exit 2.
. "$(dirname "$0")/lib.sh"

section "data: antiderivative (30 sensors)"
run sciml-gen antiderivative --samples 80 --sensors 30 --seed 1 -o train.nc
expect_rc 0 "sciml-gen antiderivative"
run sciml-gen antiderivative --samples 40 --sensors 30 --seed 2 -o test.nc
expect_rc 0 "sciml-gen antiderivative test set"
run sciml-info -s train.nc
check "u(0) = 0 for every function" test "$(stat_of "$T/.stdout" u min)" != nan

section "train a small DeepONet and predict in a pipe"
run sciml-train deeponet --data train.nc --test test.nc --branch 24,24 --trunk 24,24 \
    --iterations 3000 --lr 2e-3 --seed 1 -q --log log.jsonl -o deeponet.nc
expect_rc 0 "sciml-train deeponet"
check "the log has 3000 full-batch steps" test "$(wc -l <log.jsonl)" -eq 3000
check "the last step is step 3000" grep -q '"step":3000' log.jsonl
mse=$(tail -1 log.jsonl | sed 's/.*"test_loss":\([^,]*\).*/\1/')
echo "test MSE after 3000 steps: $mse"
check "test MSE below 3e-4 ($mse)" float_lt "$mse" 3e-4
run ncdump -h deeponet.nc
expect_stdout_has 'sciml_model = "deeponet"' "model attributes"
expect_stdout_has 'branch = "24,24"' "branch widths stored"
expect_stdout_has 'coordinates = "x"' "coordinate names stored"
expect_stdout_has 'trunk.1.weight' "weights stored by name"
expect_stdout_has 'domain_max' "training domain stored"
sciml-gen antiderivative --samples 40 --sensors 30 --seed 2 |
    sciml-deeponet -m deeponet.nc --batch 16 | sciml-cmp - test.nc >cmp.txt
check "gen | sciml-deeponet | sciml-cmp succeeds" test $? -eq 0
error=$(rel_l2_of cmp.txt u)
echo "relative L2 in the pipe: $error"
check "test relative L2 below 0.05 ($error)" float_lt "$error" 0.05
run sciml-deeponet -m deeponet.nc --grid 0:1:7 test.nc grid.nc
expect_rc 0 "--grid"
expect_stderr_empty "no warning inside the domain"
run ncdump -h grid.nc
expect_stdout_has 'x = 7' "output on the requested grid"
expect_stdout_has 'double u(sample, x)' "output variable"
run sciml-deeponet -m deeponet.nc --points grid.nc test.nc points.nc
expect_rc 0 "--points FILE"
run sciml-cmp points.nc grid.nc
expect_rc 0 "--points and --grid give the same values"
check "identical predictions" test "$(rel_l2_of "$T/.stdout" u)" = 0.000000e+00

section "single precision (--precision single) against double"
run sciml-deeponet -m deeponet.nc --precision double test.nc double.nc
expect_rc 0 "--precision double"
run sciml-deeponet -m deeponet.nc test.nc default.nc
run sciml-cmp default.nc double.nc
check "double is the default" test "$(rel_l2_of "$T/.stdout" u)" = 0.000000e+00
sciml-gen antiderivative --samples 40 --sensors 30 --seed 2 |
    sciml-deeponet -m deeponet.nc --precision single --batch 16 |
    sciml-cmp --tol 1e-6 - double.nc >single_cmp.txt
check "gen | sciml-deeponet --precision single | sciml-cmp --tol 1e-6 - double.nc" test $? -eq 0
single_l2=$(rel_l2_of single_cmp.txt u)
single_max=$(awk '$1 == "u" { print $4; exit }' single_cmp.txt)
echo "single vs double: relative L2 $single_l2, max |difference| $single_max"
check "single differs from double (it ran in float32): $single_max" float_lt 0 "$single_max"
check "max |difference| below 1e-5 ($single_max)" float_lt "$single_max" 1e-5
run sciml-deeponet -m deeponet.nc --precision single --grid 0:1:7 test.nc single_grid.nc
expect_rc 0 "--precision single --grid"
run ncdump -h single_grid.nc
expect_stdout_has 'double u(sample, x)' "the output variable stays double"

section "mini-batches: --batch N functions per step"
run sciml-train deeponet --data train.nc --test test.nc --branch 24,24 --trunk 24,24 \
    --batch 20 --iterations 2000 --lr 2e-3 --seed 1 -q --log batch_log.jsonl -o batch.nc
expect_rc 0 "sciml-train deeponet --batch 20"
check "80 functions in batches of 20: 500 epochs of 4 steps" test "$(wc -l <batch_log.jsonl)" -eq 500
check "the last step is step 2000" grep -q '"epoch":500,"step":2000,' batch_log.jsonl
mse=$(tail -1 batch_log.jsonl | sed 's/.*"test_loss":\([^,]*\).*/\1/')
echo "test MSE after 2000 mini-batch steps: $mse"
check "test MSE below 1e-3 ($mse)" float_lt "$mse" 1e-3

section "POD trunk: the leading modes of the training outputs"
run sciml-train deeponet --data train.nc --test test.nc --trunk pod --branch 24,24 \
    --iterations 3000 --lr 2e-3 --seed 1 -q -o pod.nc
expect_rc 0 "sciml-train deeponet --trunk pod"
run ncdump -h pod.nc
expect_stdout_has 'trunk = "pod"' "POD trunk recorded"
expect_stdout_has 'pod_modes(pod_point, feature)' "modes stored"
run sciml-deeponet -m pod.nc test.nc pod_prediction.nc
expect_rc 0 "sciml-deeponet with a POD trunk at the training points"
run sciml-cmp pod_prediction.nc test.nc
error=$(rel_l2_of "$T/.stdout" u)
echo "POD-DeepONet test relative L2: $error"
check "POD test relative L2 below 0.08 ($error)" float_lt "$error" 0.08
run sciml-deeponet -m pod.nc --grid 0:1:7 test.nc bad.nc
expect_rc 1 "a POD trunk at other points"
expect_stderr_has "training points" "says where it is known"
check "no output left" test ! -e bad.nc

section "out of the training domain: a warning, with --strict an error"
run sciml-deeponet -m deeponet.nc --grid 0:1.5:4 test.nc outside.nc
expect_rc 0 "extrapolation warns"
expect_stderr_has "outside the training domain" "warning text"
check "one warning line" test "$(wc -l <"$T/.stderr")" -eq 1
run sciml-deeponet -m deeponet.nc --grid 0:1.5:4 --strict test.nc bad.nc
expect_rc 1 "--strict"
expect_one_error_line sciml-deeponet deeponet.nc "--strict"
check "no output left" test ! -e bad.nc

section "unaligned layout: triplets from sciml-gen --unaligned, trained and applied per record"
run sciml-gen antiderivative --samples 60 --sensors 30 --unaligned 12 --seed 3 -o triplets.nc
expect_rc 0 "sciml-gen antiderivative --unaligned"
run ncdump -h triplets.nc
expect_stdout_has 'sample = UNLIMITED ; // (720 currently)' "12 records per function"
expect_stdout_has 'double y(sample)' "one query point per record"
expect_stdout_has 'double u(sample)' "one value per record"
run sciml-train deeponet --data triplets.nc --branch 24,24 --trunk 24,24 --iterations 1500 \
    --lr 2e-3 --seed 1 -q -o unaligned.nc
expect_rc 0 "sciml-train deeponet on triplets (query variable found by its role)"
run ncdump -h unaligned.nc
expect_stdout_has 'layout = "unaligned"' "layout stored"
expect_stdout_has 'coordinates = "x"' "coordinate names from sciml_coordinates"
run sciml-deeponet -m unaligned.nc test.nc unaligned_on_grid.nc
expect_rc 0 "a model trained on triplets predicts on the aligned grid"
run sciml-cmp unaligned_on_grid.nc test.nc
error=$(rel_l2_of "$T/.stdout" u)
echo "unaligned model, aligned test relative L2: $error"
check "aligned test relative L2 below 0.1 ($error)" float_lt "$error" 0.1
run sciml-train deeponet --data triplets.nc --branch 24,24 --trunk 24,24 --batch 120 \
    --iterations 1500 --lr 2e-3 --seed 1 -q --log triplet_log.jsonl -o unaligned_batch.nc
expect_rc 0 "sciml-train deeponet on triplets, --batch 120"
check "triplets grouped by function: 10 functions of 12 per step, 250 epochs of 6 steps" \
    grep -q '"epoch":250,"step":1500,' triplet_log.jsonl
run sciml-deeponet -m unaligned_batch.nc test.nc unaligned_batch_on_grid.nc
expect_rc 0 "the mini-batch triplet model predicts on the grid"
run sciml-cmp unaligned_batch_on_grid.nc test.nc
error=$(rel_l2_of "$T/.stdout" u)
echo "unaligned mini-batch model, aligned test relative L2: $error"
check "aligned test relative L2 below 0.15 ($error)" float_lt "$error" 0.15
sciml-gen antiderivative --samples 10 --sensors 30 --unaligned 4 --seed 4 |
    sciml-deeponet -m unaligned.nc --query y >triplet_prediction.nc
check "triplets stream through sciml-deeponet" test $? -eq 0
run ncdump -h triplet_prediction.nc
expect_stdout_has 'double u(sample)' "one prediction per record"
sciml-gen antiderivative --samples 10 --sensors 30 --unaligned 4 --seed 4 -o triplets_in.nc
run sciml-deeponet -m unaligned.nc --query y --precision single triplets_in.nc triplet_single.nc
expect_rc 0 "--precision single with --query"
expect_stderr_has "predicts in double precision" "a warning says the unaligned layout stays double"
run sciml-cmp triplet_single.nc triplet_prediction.nc
check "the same values as without it" test "$(rel_l2_of "$T/.stdout" u)" = 0.000000e+00
run sciml-deeponet -m unaligned.nc --query nosuch test.nc bad.nc
expect_rc 1 "missing query variable"
expect_one_error_line sciml-deeponet nosuch "missing query variable"
check "no output left" test ! -e bad.nc
run sciml-deeponet -m unaligned.nc --query v triplets.nc bad.nc
expect_rc 1 "query variable of the wrong shape"
check "no output left" test ! -e bad.nc

section "bad input: one clear error, exit 1, nothing written"
run sciml-gen antiderivative --samples 3 --sensors 20 -o short.nc
run sciml-deeponet -m deeponet.nc short.nc bad.nc
expect_rc 1 "sensor count differs from the model"
expect_one_error_line sciml-deeponet short.nc "sensor count"
expect_stderr_has "30 sensor values" "says what the model needs"
check "no output left" test ! -e bad.nc
run sciml-deeponet -m deeponet.nc --grid 0:1:5,0:1:5 test.nc bad.nc
expect_rc 1 "two query coordinates for a 1D model"
expect_one_error_line sciml-deeponet deeponet.nc "query dimension"
check "no output left" test ! -e bad.nc
run sciml-deeponet -m deeponet.nc --input nosuch test.nc bad.nc
expect_rc 1 "missing input variable"
expect_one_error_line sciml-deeponet nosuch "missing variable"
check "no output left" test ! -e bad.nc
run sciml-deeponet -m test.nc test.nc bad.nc
expect_rc 1 "a data set is not a model"
expect_one_error_line sciml-deeponet test.nc "not a model"
run sciml-train deeponet --data train.nc --output nosuch -q -o bad.nc
expect_rc 1 "missing output variable in training"
expect_one_error_line sciml-train nosuch "missing output variable"
check "no model left" test ! -e bad.nc
small_oscillator osc.nc 5 1
run sciml-train deeponet --data osc.nc -q -o bad.nc
expect_rc 1 "output without coordinate variables"
expect_one_error_line sciml-train osc.nc "no coordinate variable"
expect_stderr_has "coordinate variable" "says what is expected"
check "no model left" test ! -e bad.nc
run sciml-train deeponet --data train.nc --test short.nc -q -o bad.nc
expect_rc 1 "test set with other sensors"
check "no model left" test ! -e bad.nc

section "usage errors exit 2"
run sciml-deeponet -m deeponet.nc --grid 0:1 test.nc bad.nc
expect_rc 2 "malformed --grid"
run sciml-deeponet -m deeponet.nc --grid 0:1:5 --points grid.nc test.nc bad.nc
expect_rc 2 "--grid and --points together"
run sciml-deeponet test.nc
expect_rc 2 "missing -m"
run sciml-deeponet -m deeponet.nc --precision half test.nc bad.nc
expect_rc 2 "--precision half"
check "one message naming --precision and the choices" \
    test "$(grep -c -- "--precision 'half': expected double or single" "$T/.stderr")" -eq 1
check "and only the hint besides" test "$(wc -l <"$T/.stderr")" -eq 2
check "no output left" test ! -e bad.nc
run sciml-deeponet -m deeponet.nc --query y --grid 0:1:5 triplets.nc bad.nc
expect_rc 2 "--query with --grid"
run sciml-train deeponet --data train.nc --trunk pod --query y -o bad.nc
expect_rc 2 "--trunk pod with --query"
run sciml-train deeponet --data train.nc --branch 20,10 --trunk 20,20 -o bad.nc
expect_rc 2 "branch and trunk end in different p"
expect_stderr_has "same p" "says why"
run sciml-train deeponet --data train.nc --hidden 8 -o bad.nc
expect_rc 2 "--hidden does not apply to deeponet"
run sciml-train deeponet --data train.nc --optimizer lbfgs -o bad.nc
expect_rc 2 "lbfgs is a usage error for deeponet"
check "no model left" test ! -e bad.nc

section "--checkpoint-every without --test: the last periodic checkpoint resumes to the same model"
# the test set is evaluated only now and then, so the periodic checkpoint must take the
# parameters of its own step from the training graph
run sciml-train deeponet --data train.nc --branch 24,24 --trunk 24,24 --iterations 50 \
    --lr 2e-3 --seed 1 -q --checkpoint-every 30 --checkpoint every.ckpt -o full.nc
expect_rc 0 "50 steps with a checkpoint after step 30"
run sciml-info -H every.ckpt
expect_stdout_has ":epochs_done = 30 ;" "the periodic checkpoint is from step 30"
run sciml-train deeponet --data train.nc --iterations 50 --lr 2e-3 --seed 1 -q \
    --resume every.ckpt -o resumed.nc
expect_rc 0 "--resume from it to step 50"
sciml-deeponet -m full.nc test.nc full-pred.nc 2>/dev/null
sciml-deeponet -m resumed.nc test.nc resumed-pred.nc 2>/dev/null
run sciml-cmp --tol 0 resumed-pred.nc full-pred.nc
expect_rc 0 "resumed from the periodic checkpoint predicts exactly as the uninterrupted run"
run sciml-train deeponet --data triplets.nc --branch 24,24 --trunk 24,24 --iterations 50 \
    --lr 2e-3 --seed 1 -q --checkpoint-every 30 --checkpoint every-u.ckpt -o full-u.nc
expect_rc 0 "unaligned: 50 steps with a checkpoint after step 30"
run sciml-train deeponet --data triplets.nc --iterations 50 --lr 2e-3 --seed 1 -q \
    --resume every-u.ckpt -o resumed-u.nc
expect_rc 0 "unaligned: --resume from it to step 50"
sciml-deeponet -m full-u.nc test.nc full-u-pred.nc 2>/dev/null
sciml-deeponet -m resumed-u.nc test.nc resumed-u-pred.nc 2>/dev/null
run sciml-cmp --tol 0 resumed-u-pred.nc full-u-pred.nc
expect_rc 0 "unaligned: resumed from the periodic checkpoint predicts exactly as the uninterrupted run"

finish
