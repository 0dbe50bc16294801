#!/usr/bin/env bash
# The FNO workflow in pipes: sciml-gen burgers/darcy make data, sciml-train fno trains, and
# sciml-fno streams fields through the model, at the training resolution and at twice it
# (zero-shot super-resolution), with the bad-input cases of the issue.
. "$(dirname "$0")/lib.sh"

section "data: Burgers (released case, reduced grids) and Darcy"
run sciml-gen burgers --samples 60 --resolution 64 --fine 512 --seed 1 -q -o train.nc
expect_rc 0 "sciml-gen burgers"
run sciml-gen burgers --samples 20 --resolution 64 --fine 512 --seed 2 -q -o test.nc
expect_rc 0 "sciml-gen burgers test set"
run sciml-gen burgers --samples 20 --resolution 128 --fine 512 --seed 2 -q -o test128.nc
expect_rc 0 "sciml-gen burgers at 128"
run sciml-gen darcy --samples 6 --resolution 15 --fine 29 --seed 1 -q -o darcy.nc
expect_rc 0 "sciml-gen darcy"
run sciml-info -s darcy.nc
check "darcy coefficient takes the values 3 and 12" \
    test "$(stat_of "$T/.stdout" a min)" = 3 -a "$(stat_of "$T/.stdout" a max)" = 12
check "darcy solution is non-negative" float_lt -1e-300 "$(stat_of "$T/.stdout" u min)"

section "train a small FNO and predict in a pipe"
run sciml-train fno --data train.nc --test test.nc --modes 8 --width 16 --layers 2 \
    --projection 32 --epochs 15 --batch 10 --lr 3e-3 --seed 1 -q --log log.jsonl -o fno.nc
expect_rc 0 "sciml-train fno"
check "the log has 15 epochs" test "$(wc -l <log.jsonl)" -eq 15
first=$(head -1 log.jsonl | sed 's/.*"loss":\([^,]*\).*/\1/')
last=$(tail -1 log.jsonl | sed 's/.*"loss":\([^,]*\).*/\1/')
check "the training loss falls ($first -> $last)" float_lt "$last" "$first"
run ncdump -h fno.nc
expect_stdout_has 'sciml_model = "fno"' "model attributes"
expect_stdout_has 'fourier.0.weight' "weights stored by name"
sciml-gen burgers --samples 20 --resolution 64 --fine 512 --seed 2 -q |
    sciml-fno -m fno.nc | sciml-cmp - test.nc >cmp.txt
check "gen | sciml-fno | sciml-cmp succeeds" test $? -eq 0
error64=$(rel_l2_of cmp.txt u)
echo "relative L2 at s = 64: $error64"
check "test error below 0.5 after 15 epochs ($error64)" float_lt "$error64" 0.5
run sciml-fno -m fno.nc test128.nc out128.nc
expect_rc 0 "sciml-fno at twice the training resolution"
sciml-cmp out128.nc test128.nc >cmp128.txt
error128=$(rel_l2_of cmp128.txt u)
echo "relative L2 at s = 128: $error128"
check "super-resolution error within 1.5x ($error128 vs $error64)" \
    float_lt "$error128" "$(awk -v e="$error64" 'BEGIN { print 1.5 * e + 0.01 }')"
run ncdump -h out128.nc
expect_stdout_has 'x = 128' "output keeps the input grid"

section "bad input: one clear error, exit 1, nothing written"
run sciml-fno -m fno.nc darcy.nc bad.nc
expect_rc 1 "2D fields into a 1D model"
expect_stderr_has "the model needs" "rank message"
check "no output left" test ! -e bad.nc
run sciml-gen burgers --samples 2 --resolution 8 --fine 512 -q -o coarse.nc
run sciml-fno -m fno.nc coarse.nc bad.nc
expect_rc 1 "too few points for the modes"
expect_stderr_has "modes" "modes message"
check "no output left" test ! -e bad.nc
run sciml-train fno --data train.nc --input nosuch -o bad.nc -q
expect_rc 1 "missing variable"
expect_stderr_has "nosuch" "names the variable"
check "no model left" test ! -e bad.nc
if have_ncdump; then
    cat >mismatch.cdl <<'CDL'
netcdf mismatch {
dimensions:
    sample = UNLIMITED ;
    x = 16 ;
    n = 3 ;
variables:
    double a(sample, x) ;
        a:sciml_role = "input" ;
    double u(n, x) ;
        u:sciml_role = "output" ;
data:
 a = 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,
     1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16 ;
 u = 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,
     1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,
     1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16 ;
}
CDL
    cdl_to_nc mismatch.cdl mismatch.nc
    run sciml-train fno --data mismatch.nc --modes 4 --width 4 --layers 1 -o bad.nc -q
    expect_rc 1 "mismatched sample counts"
    expect_stderr_has "samples" "names the counts"
    check "no model left" test ! -e bad.nc
fi
run sciml-train fno --data train.nc --optimizer lbfgs -o bad.nc
expect_rc 2 "lbfgs is a usage error for fno"
run sciml-train mlp --data train.nc --modes 4 -o bad.nc
expect_rc 2 "--modes does not apply to mlp"
expect_stderr_has "does not apply" "says why"

section "2D with padding: the model keeps the grid its padding counts on"
run sciml-train fno --data darcy.nc --modes 3,3 --width 4 --layers 1 --projection 8 \
    --padding 2 --epochs 2 --batch 3 --seed 1 -q -o darcy-fno.nc
expect_rc 0 "sciml-train fno on Darcy fields with --padding"
run sciml-info -H darcy-fno.nc
expect_stdout_has ":padding_grid = 15, 15 ;" "the padding's grid is the training resolution"
run sciml-gen darcy --samples 2 --resolution 29 --fine 29 --seed 3 -q -o darcy29.nc
run sciml-fno -m darcy-fno.nc darcy29.nc darcy29-pred.nc
expect_rc 0 "applied at twice the resolution (the padding scaled to 4 points)"
if have_ncdump; then
    ncdump darcy-fno.nc | sed 's/padding_grid = 15, 15 ;/padding_grid = 1, 15 ;/' >badgrid.cdl
    cdl_to_nc badgrid.cdl badgrid.nc
    run sciml-fno -m badgrid.nc darcy29.nc bad.nc
    expect_rc 1 "a model file whose padding grid is below 2 points"
    expect_stderr_has "padding_grid" "names the attribute"
    check "no output left" test ! -e bad.nc
fi

section "--checkpoint-every without --test: the last periodic checkpoint resumes to the same model"
# no test set, so nothing else copies the training graph's parameters into the model between
# epochs: the periodic checkpoint must hold the parameters of its own epoch
run sciml-train fno --data train.nc --modes 8 --width 16 --layers 2 --projection 32 --epochs 5 \
    --batch 10 --lr 3e-3 --seed 1 -q --checkpoint-every 3 --checkpoint every.ckpt -o full.nc
expect_rc 0 "5 epochs with a checkpoint after epoch 3"
run sciml-info -H every.ckpt
expect_stdout_has ":epochs_done = 3 ;" "the periodic checkpoint is from epoch 3"
run sciml-train fno --data train.nc --epochs 5 --batch 10 --lr 3e-3 --seed 1 -q \
    --resume every.ckpt -o resumed.nc
expect_rc 0 "--resume from it to epoch 5"
sciml-fno -m full.nc test.nc full-pred.nc 2>/dev/null
sciml-fno -m resumed.nc test.nc resumed-pred.nc 2>/dev/null
run sciml-cmp --tol 0 resumed-pred.nc full-pred.nc
expect_rc 0 "resumed from the periodic checkpoint predicts exactly as the uninterrupted run"

finish
