# Ctrl-C during training: sciml-train exits 1 with a message naming the checkpoint, writes the
# checkpoint and no model; --resume continues to the end, and the result equals an
# uninterrupted run with the same seed and flags bit for bit (DESIGN.md: "Ctrl-C during
# training saves a checkpoint; --resume continues", "--seed N makes a run reproducible bit for
# bit").
. "$(dirname "$0")/lib.sh"

small_oscillator train.nc 300 1 20 2>/dev/null || fail "sciml-gen"
small_oscillator test.nc 60 2 20 2>/dev/null || fail "sciml-gen"

# Many epochs of a small network: long enough to be interrupted, short enough to finish in
# about a second when not.
EPOCHS=2000
FLAGS=(--data train.nc --test test.nc --epochs $EPOCHS --batch 32 --seed 5 --hidden 16,16 -q)

# start_and_interrupt SIGNAL LOG OUT_STDERR ARGS...: starts sciml-train mlp ARGS in the
# background, waits until LOG shows a few epochs (at most 10 s), sends SIGNAL, waits for it;
# sets RC.
start_and_interrupt() {
    local signal=$1 log=$2 errfile=$3
    shift 3
    rm -f "$log"
    LAST_CMD="sciml-train mlp $* (then kill -$signal)"
    sciml-train mlp "$@" --log "$log" 2>"$errfile" &
    interrupt_after_log "$signal" "$log" $! 0.05
    cp "$errfile" "$T/.stderr"
}

section "the uninterrupted reference run"
rm -f ref.nc
run sciml-train mlp "${FLAGS[@]}" --log ref.log -o ref.nc
expect_rc 0 "uninterrupted run"
[ -s ref.nc ] || { fail "no reference model"; finish; }

section "SIGINT during training"
rm -f int.nc int.nc.ckpt
start_and_interrupt INT int1.log int1.err "${FLAGS[@]}" -o int.nc
if [ "$RC" -eq 0 ]; then
    fail "training finished before the interrupt arrived: raise EPOCHS in this test"
    finish
fi
expect_rc 1 "SIGINT exits 1"
expect_no_crash "SIGINT"
expect_stderr_has "checkpoint" "the message mentions the checkpoint"
expect_stderr_has "int.nc.ckpt" "the message names the checkpoint file"
expect_stderr_has "--resume" "the message says how to continue"
if grep -q "^sciml-train: " "$T/.stderr"; then ok; else fail "message does not start with sciml-train:"; fi
[ -s int.nc.ckpt ] && ok || fail "no checkpoint int.nc.ckpt"
[ ! -e int.nc ] && ok || fail "the interrupted run wrote the model int.nc"
run sciml-info -H int.nc.ckpt
expect_rc 0 "the checkpoint is a readable netCDF file"
expect_stdout_has ':sciml_kind = "checkpoint" ;' "checkpoint kind"
done_epochs=$(sed -n 's/.*:epochs_done = \([0-9]*\) ;.*/\1/p' "$T/.stdout")
if [ -n "$done_epochs" ] && [ "$done_epochs" -lt $EPOCHS ]; then ok; else
    fail "checkpoint epochs_done '$done_epochs' is not below $EPOCHS"
fi
# a checkpoint is not a finished model, but sciml-mlp may use its weights: at least no crash
run sciml-mlp -m int.nc.ckpt test.nc ckpt-pred.nc
expect_no_crash "sciml-mlp -m CHECKPOINT"

section "--resume to completion equals the uninterrupted run"
cp int.nc.ckpt int-first.ckpt
run sciml-train mlp "${FLAGS[@]}" --log resume1.log --resume int.nc.ckpt -o int.nc
expect_rc 0 "--resume to completion"
[ -s int.nc ] && ok || fail "--resume wrote no model"
run sciml-info -H int.nc
expect_stdout_has ":epochs_done = $EPOCHS ;" "resumed model has all $EPOCHS epochs"
expect_stdout_has ':sciml_kind = "model" ;' "resumed file is a model"
# BUG CHECK: bit-for-bit identical weights after interrupt + resume
same_variables int.nc ref.nc "interrupted + resumed weights equal the uninterrupted run's"
run sciml-mlp -m int.nc test.nc int-pred.nc
run sciml-mlp -m ref.nc test.nc ref-pred.nc
run sciml-cmp --tol 0 int-pred.nc ref-pred.nc
expect_rc 0 "resumed and uninterrupted models predict the same (--tol 0)"
# the log continues where it stopped, and the epochs after the resumed one match the reference
first=$(head -n 1 resume1.log | sed 's/^{"epoch":\([0-9]*\),.*/\1/')
last_interrupted=$(tail -n 1 int1.log | sed 's/^{"epoch":\([0-9]*\),.*/\1/')
if [ "$first" = $((last_interrupted + 1)) ]; then ok; else
    fail "resumed log starts at epoch $first, expected $((last_interrupted + 1))"
fi
strip_seconds() { sed 's/,"seconds":[^,}]*//' "$1"; }
if cmp -s <(strip_seconds resume1.log | tail -n +2) \
    <(strip_seconds ref.log | tail -n +$((first + 1))); then
    ok
else
    fail "log lines after the resumed epoch differ from the uninterrupted run's"
fi
# the interrupted run's log equals the reference's first epochs
if cmp -s <(strip_seconds int1.log) <(strip_seconds ref.log | head -n "$last_interrupted"); then
    ok
else
    fail "log lines before the interrupt differ from the uninterrupted run's"
fi
# the epoch that was cut: its loss should be the epoch's mean, as in the uninterrupted run
# (only testable when the signal arrived inside an epoch: next_batch > 0 in the checkpoint)
next_batch=$(sciml-info -H int-first.ckpt | sed -n 's/.*:next_batch = \([0-9]*\) ;.*/\1/p')
echo "interrupted in epoch $first at batch ${next_batch:-?}"
LAST_CMD=
if [ "${next_batch:-0}" -eq 0 ]; then
    echo "the interrupt came between two epochs: the partial-epoch log check is not exercised"
elif cmp -s <(strip_seconds resume1.log | head -n 1) <(strip_seconds ref.log | sed -n "${first}p"); then
    ok
else
    fail "log line of the interrupted epoch $first differs after --resume: '$(strip_seconds resume1.log | head -n 1)' vs '$(strip_seconds ref.log | sed -n "${first}p")'"
fi

section "interrupted twice (SIGTERM, custom --checkpoint), resumed twice"
rm -f twice.nc my.ckpt
start_and_interrupt TERM twice1.log twice1.err "${FLAGS[@]}" --checkpoint my.ckpt -o twice.nc
expect_rc 1 "SIGTERM exits 1"
expect_stderr_has "my.ckpt" "SIGTERM: the message names --checkpoint my.ckpt"
[ -s my.ckpt ] && ok || fail "SIGTERM: no checkpoint my.ckpt"
[ ! -e twice.nc ] && [ ! -e twice.nc.ckpt ] && ok || fail "SIGTERM: model or default checkpoint written"
start_and_interrupt INT twice2.log twice2.err "${FLAGS[@]}" --resume my.ckpt --checkpoint my2.ckpt \
    -o twice.nc
if [ "$RC" -eq 1 ] && [ -s my2.ckpt ]; then
    ok
    run sciml-train mlp "${FLAGS[@]}" --resume my2.ckpt -o twice.nc
    expect_rc 0 "second --resume"
else
    # the resumed run was too quick to interrupt: then it must have finished normally
    expect_rc 0 "resumed run (finished before the second interrupt)"
fi
[ -s twice.nc ] && same_variables twice.nc ref.nc "twice interrupted + resumed equals the uninterrupted run" ||
    fail "no model after two resumes"

section "resuming the same checkpoint twice gives the same model"
run sciml-train mlp "${FLAGS[@]}" --resume int-first.ckpt -o again.nc
expect_rc 0 "resume the saved first checkpoint again"
same_variables again.nc int.nc "resuming one checkpoint twice"

section "the model on stdout: the checkpoint goes to sciml-train.ckpt"
rm -f sciml-train.ckpt
LAST_CMD="sciml-train mlp ... -o - > stdout-model.nc (then kill -INT)"
rm -f stdout.log
sciml-train mlp "${FLAGS[@]}" --log stdout.log -o - >stdout-model.nc 2>stdout.err &
interrupt_after_log INT stdout.log $!
cp stdout.err "$T/.stderr"
if [ "$RC" -ne 0 ]; then
    expect_rc 1 "SIGINT with -o -"
    [ -s sciml-train.ckpt ] && ok || fail "with -o -: no checkpoint sciml-train.ckpt"
    [ ! -s stdout-model.nc ] && ok || fail "with -o -: an interrupted run wrote a model to stdout"
fi

section "--checkpoint-every: SIGKILL loses at most N epochs, --resume equals the uninterrupted run"
rm -f killed.nc every.ckpt killed.log
LAST_CMD="sciml-train mlp ... --checkpoint-every 5 --checkpoint every.ckpt (then kill -KILL)"
sciml-train mlp "${FLAGS[@]}" --checkpoint-every 5 --checkpoint every.ckpt --log killed.log \
    -o killed.nc 2>killed.err &
# epoch 10's checkpoint is written before epoch 11 starts, so 11 log lines guarantee it
interrupt_after_log KILL killed.log $! 0 11
if [ "$RC" -eq 0 ]; then
    fail "training finished before SIGKILL arrived: raise EPOCHS in this test"
    finish
fi
[ "$RC" -eq 137 ] && ok || fail "SIGKILL: exit status $RC, expected 137"
[ ! -e killed.nc ] && ok || fail "the killed run wrote the model killed.nc"
# a SIGKILL while a checkpoint was being written leaves the writer's temporary file beside it
# (nothing can remove it); the checkpoint itself is the last whole one
rm -f .every.ckpt.??????
run sciml-info -H every.ckpt
expect_rc 0 "the last periodic checkpoint is a readable netCDF file"
expect_stdout_has ':sciml_kind = "checkpoint" ;' "periodic checkpoint kind"
done_epochs=$(sed -n 's/.*:epochs_done = \([0-9]*\) ;.*/\1/p' "$T/.stdout")
logged=$(lines_of killed.log)
if [ -n "$done_epochs" ] && [ $((done_epochs % 5)) -eq 0 ] && [ "$done_epochs" -ge 10 ] &&
    [ "$done_epochs" -le "$logged" ] && [ $((logged - done_epochs)) -le 6 ]; then
    ok
else
    fail "checkpoint epochs_done '$done_epochs' after $logged logged epochs: expected the last multiple of 5"
fi
# the same --log: the lines after the checkpoint's epoch are cut, the resumed run appends
run sciml-train mlp "${FLAGS[@]}" --checkpoint-every 5 --checkpoint every2.ckpt --resume every.ckpt \
    --log killed.log -o killed.nc
expect_rc 0 "--resume from the periodic checkpoint to completion"
[ -s killed.nc ] && same_variables killed.nc ref.nc "killed + resumed from the periodic checkpoint equals the uninterrupted run" ||
    fail "no model after resuming the periodic checkpoint"
if cmp -s <(strip_seconds killed.log) <(strip_seconds ref.log); then ok; else
    fail "the continued log differs from the uninterrupted run's ($(lines_of killed.log) against $(lines_of ref.log) lines)"
fi
# without --resume the log starts afresh
run sciml-train mlp "${FLAGS[@]}" --epochs 3 --log killed.log -o fresh.nc
[ "$(lines_of killed.log)" -eq 3 ] && ok || fail "a fresh run did not start its log afresh"
# a finished run leaves its last periodic checkpoint, from the last multiple of 5 before the end
run sciml-info -H every2.ckpt
expect_stdout_has ":epochs_done = $((EPOCHS - 5)) ;" "the last periodic checkpoint is from epoch $((EPOCHS - 5))"

section "--checkpoint-every without --test: the checkpoint holds its own epoch's parameters"
# without a test set nothing else copies the training graph's parameters into the model
NOTEST_FLAGS=(--data train.nc --epochs 40 --batch 32 --seed 5 --hidden 16,16 -q)
run sciml-train mlp "${NOTEST_FLAGS[@]}" --checkpoint-every 25 --checkpoint notest.ckpt -o notest.nc
expect_rc 0 "40 epochs with a checkpoint after epoch 25"
run sciml-train mlp "${NOTEST_FLAGS[@]}" --resume notest.ckpt -o notest-resumed.nc
expect_rc 0 "--resume from it to epoch 40"
same_variables notest-resumed.nc notest.nc "resumed from the periodic checkpoint equals the uninterrupted run"

section "--checkpoint-every: an unwritable checkpoint is one warning, the training goes on"
run sciml-train mlp "${FLAGS[@]}" --epochs 20 --checkpoint-every 2 --checkpoint no-such-dir/c.ckpt \
    -o unwritable.nc
expect_rc 0 "training with an unwritable checkpoint path finishes"
[ -s unwritable.nc ] && ok || fail "no model written"
[ "$(grep -c "cannot write the checkpoint no-such-dir/c.ckpt" "$T/.stderr")" -eq 1 ] && ok ||
    fail "expected one warning about the checkpoint, got: $(err)"

section "--checkpoint-every: usage errors"
run sciml-train mlp "${FLAGS[@]}" --checkpoint-every -1 -o bad.nc
expect_rc 2 "--checkpoint-every -1"
run sciml-train mlp "${FLAGS[@]}" --optimizer lbfgs --checkpoint-every 5 -o bad.nc
expect_rc 2 "--checkpoint-every with L-BFGS"
expect_stderr_has "--checkpoint-every" "the message names the option"
run sciml-train pi3nn --data train.nc --checkpoint-every 5 -o bad.nc
expect_rc 2 "--checkpoint-every with pi3nn"
[ ! -e bad.nc ] && ok || fail "a usage error wrote a model"

section "no temporary files left"
leftovers=$(find "$T" -maxdepth 1 -name '.*' ! -name . ! -name .stdout ! -name .stderr ! -name .valgrind)
[ -z "$leftovers" ] && ok || fail "temporary files left: $leftovers"

finish
