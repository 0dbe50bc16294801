# sciml-train pinn: Ctrl-C (SIGINT), SIGTERM and SIGKILL with --checkpoint-every during training,
# then --resume: the model equals an uninterrupted run's bit for bit (Adam steps and refinement
# rounds), the --log continues so that it equals the uninterrupted run's byte for byte; an
# interruption in L-BFGS resumes with the iterations left; divergence writes a checkpoint at the
# last finite parameters; checkpoints that do not fit (another problem, network, seed or
# schedule), a file that is not netCDF and a missing file are refused with one error line; a
# plain model is a warm start with a warning; usage errors exit 2.
. "$(dirname "$0")/lib.sh"

# Burgers with two refinement rounds: 3000 plain Adam steps, then 2 x 1000 after adding 5
# points each (about two seconds); the log has a line every 100 steps.
FLAGS=(--pde burgers --hidden 10,10 --interior 200 --iterations 3000 --lbfgs-iterations 0
    --rar-rounds 2 --rar-steps 1000 --rar-candidates 1000 --rar-add 5 --seed 3 -q)

# start_and_signal SIGNAL LOG ERR LINES ARGS...: sciml-train pinn ARGS --log LOG in the
# background, SIGNAL once LOG has LINES lines; sets RC.
start_and_signal() {
    local signal=$1 log=$2 errfile=$3 lines=$4
    shift 4
    rm -f "$log"
    LAST_CMD="sciml-train pinn $* --log $log (then kill -$signal)"
    sciml-train pinn "$@" --log "$log" 2>"$errfile" &
    interrupt_after_log "$signal" "$log" $! 0.02 "$lines"
    cp "$errfile" "$T/.stderr"
}

grep_quiet() { grep -F -- "$1" "$2" >/dev/null; }

# position FILE: "adam rounds lbfgs" of a checkpoint.
position() {
    sciml-info -H "$1" | sed -n 's/.*:\(epochs_done\|rar_rounds_done\|lbfgs_iterations_done\) = \([0-9]*\) ;.*/\2/p' |
        tr '\n' ' '
}

section "the uninterrupted reference run"
run sciml-train pinn "${FLAGS[@]}" --log ref.log -o ref.nc
expect_rc 0 "uninterrupted run"
[ -s ref.nc ] || { fail "no reference model"; finish; }

section "SIGINT: a checkpoint, --resume ends as the uninterrupted run"
rm -f int.nc int.nc.ckpt
start_and_signal INT int.log int.err 3 "${FLAGS[@]}" -o int.nc
if [ "$RC" -eq 0 ]; then
    fail "training finished before SIGINT arrived: lengthen the run in this test"
    finish
fi
expect_rc 1 "SIGINT exits 1"
expect_stderr_has "int.nc.ckpt" "the message names the checkpoint file"
expect_stderr_has "--resume int.nc.ckpt" "the message says how to continue"
check "one line on stderr starting with sciml-train:" \
    test "$(wc -l <"$T/.stderr")" -eq 1 -a -n "$(grep '^sciml-train: ' "$T/.stderr")"
[ ! -e int.nc ] && ok || fail "the interrupted run wrote the model int.nc"
run sciml-info -H int.nc.ckpt
expect_rc 0 "the checkpoint is a readable netCDF file"
expect_stdout_has ':sciml_kind = "checkpoint" ;' "checkpoint kind"
expect_stdout_has 'adam_m(parameter)' "the checkpoint holds Adam's moments"
read -r adam rounds lbfgs <<<"$(position int.nc.ckpt)"
echo "interrupted at Adam step ${adam:-?}, round ${rounds:-?}"
check "the checkpoint's position is inside the Adam steps" test "${adam:-5000}" -lt 5000
cp int.nc.ckpt int-first.ckpt
run sciml-train pinn "${FLAGS[@]}" --log int.log --resume int.nc.ckpt -o int.nc
expect_rc 0 "--resume to completion"
same_variables int.nc ref.nc "SIGINT + --resume: parameters equal the uninterrupted run's"
expect_same_file int.log ref.log "SIGINT + --resume: the continued log equals the uninterrupted run's"
# the checkpoint is a model for sciml-pinn, too
run sciml-pinn -m int-first.ckpt --grid 8,8 -o ckpt-u.nc
expect_rc 0 "sciml-pinn evaluates a checkpoint"

section "SIGTERM inside a refinement round, --checkpoint FILE"
rm -f term.nc my.ckpt
start_and_signal TERM term.log term.err 33 "${FLAGS[@]}" --checkpoint my.ckpt -o term.nc
if [ "$RC" -eq 1 ]; then
    expect_stderr_has "my.ckpt" "SIGTERM: the message names --checkpoint my.ckpt"
    [ ! -e term.nc ] && [ ! -e term.nc.ckpt ] && ok || fail "SIGTERM: model or default checkpoint"
    read -r adam rounds lbfgs <<<"$(position my.ckpt)"
    echo "terminated at Adam step ${adam:-?}, round ${rounds:-?}"
    # 33 lines are the step 3200, inside the first round, unless the wait for them timed out
    [ "${rounds:-0}" -ge 1 ] || echo "note: SIGTERM came before the first refinement round"
    run sciml-train pinn "${FLAGS[@]}" --log term.log --resume my.ckpt -o term.nc
    expect_rc 0 "--resume my.ckpt"
    same_variables term.nc ref.nc "SIGTERM in a refinement round + --resume equals the uninterrupted run"
    expect_same_file term.log ref.log "SIGTERM + --resume: the log"
else
    expect_rc 0 "SIGTERM came after the end: the run finished"
fi

section "--checkpoint-every: SIGKILL loses at most N steps, --resume equals the uninterrupted run"
rm -f killed.nc every.ckpt
# the checkpoint of step 500 is written at the start of step 501, before the line of step 600
start_and_signal KILL killed.log killed.err 8 "${FLAGS[@]}" --checkpoint-every 500 \
    --checkpoint every.ckpt -o killed.nc
if [ "$RC" -eq 0 ]; then
    fail "training finished before SIGKILL arrived: lengthen the run in this test"
    finish
fi
[ "$RC" -eq 137 ] && ok || fail "SIGKILL: exit status $RC, expected 137"
[ ! -e killed.nc ] && ok || fail "the killed run wrote the model killed.nc"
rm -f .every.ckpt.?????? # a kill while writing leaves the writer's temporary beside it
read -r adam rounds lbfgs <<<"$(position every.ckpt)"
logged=$(grep -c '"phase": "adam"' killed.log)
echo "killed after $logged log lines; the last checkpoint is at Adam step ${adam:-?}"
check "the periodic checkpoint is at a multiple of 500" test $((${adam:-1} % 500)) -eq 0 -a "${adam:-0}" -ge 500
check "at most 500 steps before the last logged one" \
    test $(($(tail -n 1 killed.log | sed 's/.*"iteration": \([0-9]*\),.*/\1/') - ${adam:-0})) -le 501
run sciml-train pinn "${FLAGS[@]}" --log killed.log --checkpoint-every 500 --checkpoint every.ckpt \
    --resume every.ckpt -o killed.nc
expect_rc 0 "--resume the periodic checkpoint"
same_variables killed.nc ref.nc "SIGKILL + --resume: parameters equal the uninterrupted run's"
expect_same_file killed.log ref.log "SIGKILL + --resume: the continued log equals the uninterrupted run's"
run sciml-cmp --tol 0 killed.nc ref.nc
expect_rc 0 "sciml-cmp --tol 0 of the two models"

section "an unwritable periodic checkpoint is one warning, training goes on"
run sciml-train pinn --pde burgers --hidden 6 --interior 50 --iterations 300 --lbfgs-iterations 0 \
    --checkpoint-every 100 --checkpoint no-such-dir/x.ckpt -o warned.nc
expect_rc 0 "training finishes despite the unwritable checkpoint"
check "one warning" test "$(grep -c 'warning' "$T/.stderr")" -eq 1
[ -s warned.nc ] && ok || fail "no model after the checkpoint warnings"

section "L-BFGS: SIGKILL after a periodic checkpoint, --resume runs the iterations left"
LFLAGS=(--pde burgers --hidden 10,10 --interior 200 --iterations 200 --lbfgs-iterations 2000 --seed 3 -q)
rm -f lbfgs.nc lbfgs.ckpt
# adam lines 1, 100, 200, lbfgs 100 (then its checkpoint), 200
start_and_signal KILL lbfgs.log lbfgs.err 5 "${LFLAGS[@]}" --checkpoint-every 100 \
    --checkpoint lbfgs.ckpt -o lbfgs.nc
if [ "$RC" -eq 137 ]; then
    read -r adam rounds lbfgs <<<"$(position lbfgs.ckpt)"
    echo "killed in L-BFGS; the checkpoint is at iteration ${lbfgs:-?}"
    check "the checkpoint is after all Adam steps" test "${adam:-0}" -eq 200
    check "the checkpoint is in L-BFGS" test "${lbfgs:-0}" -ge 100
    run sciml-train pinn "${LFLAGS[@]}" --log lbfgs.log --resume lbfgs.ckpt -o lbfgs.nc
    expect_rc 0 "--resume in L-BFGS"
    [ -s lbfgs.nc ] && ok || fail "no model after resuming L-BFGS"
    first=$(grep '"phase": "lbfgs"' lbfgs.log | head -n 1 | sed 's/.*"iteration": \([0-9]*\),.*/\1/')
    check "the log's L-BFGS lines start at 100" test "${first:-0}" -eq 100
    check "the final line counts all L-BFGS iterations" grep_quiet \
        '"phase": "final", "adam_steps": 200, "lbfgs_iterations": 2000,' lbfgs.log
else
    fail "the L-BFGS run was not killed (exit $RC): lengthen it in this test"
fi

section "divergence writes a checkpoint at the last finite parameters"
if have_python; then
    run sciml-gen burgers-ref --points 100 --quadrature 200 -o obs.nc
    expect_rc 0 "sciml-gen burgers-ref --points"
    # an observation so large that the loss overflows at the first step
    "$PYTHON" -c 'import netCDF4; d = netCDF4.Dataset("obs.nc", "a"); d["u"][5] = 1e300; d.close()'
    DFLAGS=(--pde burgers --unknown nu --data obs.nc --hidden 8 --interior 100 --iterations 50
        --lbfgs-iterations 0 -q -o div.nc)
    run sciml-train pinn "${DFLAGS[@]}"
    expect_rc 1 "divergence exits 1"
    expect_stderr_has "not finite at Adam step 1" "divergence: the message names the step"
    expect_stderr_has "--resume div.nc.ckpt" "divergence: the message says how to continue"
    [ ! -e div.nc ] && ok || fail "the diverged run wrote the model"
    read -r adam rounds lbfgs <<<"$(position div.nc.ckpt)"
    check "the divergence checkpoint is at step 0" test "${adam:-x}" = 0
    run sciml-train pinn "${DFLAGS[@]}" --resume div.nc.ckpt
    expect_rc 1 "resuming a diverged run with the same options diverges again"
    expect_stderr_has "not finite at Adam step 1" "the same step"
fi

section "checkpoints that do not fit are refused with one error line"
SMALL=(--pde burgers --hidden 10,10 --interior 200 --iterations 3000 --lbfgs-iterations 0
    --rar-rounds 2 --rar-steps 1000 --rar-candidates 1000 --rar-add 5 -q -o bad.nc)
# refused WHAT FILE [NAMED] -- OPTIONS...: resuming FILE with the small run's options and
# OPTIONS exits 1 with one error line naming FILE (and NAMED, when given)
refused() {
    local what=$1 file=$2 named=$3
    shift 4
    run sciml-train pinn "${SMALL[@]}" "$@" --resume "$file"
    expect_rc 1 "$what"
    expect_one_error_line sciml-train "$file" "$what"
    [ -z "$named" ] || expect_stderr_has "$named" "$what: the message names it"
}
refused "another --hidden" int-first.ckpt hidden -- --seed 3 --hidden 12,10
refused "another --pde" int-first.ckpt pde -- --seed 3 --pde heat1d
refused "another --seed" int-first.ckpt seed -- --seed 4
refused "another --activation" int-first.ckpt "" -- --seed 3 --activation sin
refused "--fourier-features" int-first.ckpt "" -- --seed 3 --fourier-features 4
refused "another --rar-add" int-first.ckpt "" -- --seed 3 --rar-add 6
printf 'not a netCDF file\n' >junk.nc
refused "a file that is not netCDF" junk.nc "" -- --seed 3
refused "a missing file" no-such.nc "" -- --seed 3
[ ! -e bad.nc ] && [ ! -e bad.nc.ckpt ] && ok || fail "a refused resume wrote a file"

section "a plain model is a warm start, with a warning"
run sciml-train pinn --pde burgers --hidden 10,10 --interior 200 --iterations 50 \
    --lbfgs-iterations 0 --seed 3 --resume ref.nc -o warm.nc
expect_rc 0 "--resume MODEL"
expect_stderr_has "warning" "--resume MODEL warns"
expect_stderr_has "fresh optimizer" "--resume MODEL says what it does"
[ -s warm.nc ] && ok || fail "no model from the warm start"

section "usage errors"
for bad in "--checkpoint-every -1" "--checkpoint-every x" "--resume"; do
    run sciml-train pinn --pde burgers -o u.nc $bad
    expect_rc 2 "$bad"
done

finish
