#!/usr/bin/env bash
# Neural ODE in pipes: sciml-gen ode | sciml-train node | sciml-node | sciml-cmp on the spiral
# (a short training run whose error bound an untrained model fails), a forecast past the
# training window, the direct (dopri5) path, and the bad-input cases of the issue: a state size
# that disagrees with the model, a NaN state, times that do not increase, a solver failure
# naming the time reached (one error line, exit 1, nothing written); usage errors exit 2.
. "$(dirname "$0")/lib.sh"

section "spiral: train briefly, predict, compare"
run sciml-gen ode --system spiral -q -o spiral.nc
expect_rc 0 "sciml-gen ode --system spiral"
run sciml-train node --data spiral.nc --cube --iterations 300 --seed 1 -q --log log.jsonl \
    -o node.nc
expect_rc 0 "sciml-train node (300 iterations)"
check "log has 30 reports" test "$(wc -l <log.jsonl)" -eq 30
run ncdump -h node.nc
expect_stdout_has 'sciml_model = "node"' "model attributes"
expect_stdout_has 'train_window = 0., 25.' "training window stored"
# segment MSE: about 0.03 after 10 steps, below 1e-3 after 300 for every seed tried (0, 1, 2)
first=$(head -1 log.jsonl | sed 's/.*"loss":\([^,]*\),.*/\1/')
last=$(tail -1 log.jsonl | sed 's/.*"loss":\([^,]*\),.*/\1/')
echo "segment MSE: $first after 10 iterations, $last after 300"
check "segment MSE after 300 iterations below 2e-3" float_lt "$last" 2e-3
check "the bound fails early in training" float_lt 2e-3 "$first"
sciml-node -m node.nc spiral.nc | sciml-cmp - spiral.nc >"$T/cmp.txt" 2>&1
check "predicts the whole trajectory (finite, compared)" grep -q "^y .* 0$" "$T/cmp.txt"

run sciml-train node --data spiral.nc --resume node.nc --iterations 10 -o resumed.nc
expect_rc 0 "--resume from a node model"
expect_stderr_has "fresh optimizer" "warns that the optimizer starts afresh"
run ncdump -h resumed.nc
expect_stdout_has "iterations_done = 310" "iterations continue from the model's"

run sciml-gen ode --system spiral --points 100 --horizon 2.5 -q -o short.nc
run sciml-train node --data spiral.nc --test short.nc --resume node.nc --iterations 10 \
    --log test.jsonl -o tested.nc
expect_rc 0 "--test with node"
expect_stderr_has "test relative L2" "summary names the test error"
check "log has the whole-trajectory test error" grep -q '"test_rel_l2":[0-9]' test.jsonl

run sciml-train node --data spiral.nc --solver dopri5 --iterations 40 --schedule cosine \
    --min-lr 1e-4 --seed 1 -q --log cosine.jsonl -o cosine.nc
expect_rc 0 "--schedule cosine with node"
check "the cosine schedule counts iterations: lr 1e-2 at the start" \
    grep -q '"step":10,.*"lr":0.00[89]' cosine.jsonl
check "and reaches --min-lr at the last iteration" \
    grep -q '"step":40,.*"lr":0.0001[0-9]*,' cosine.jsonl

section "Ctrl-C, checkpoint, --resume: bit for bit"
strip_seconds() { sed 's/,"seconds":[^,}]*//' "$1"; }
NODE_FLAGS=(--data spiral.nc --cube --hidden 8 --solver dopri5 --iterations 1500 --seed 3
    --schedule cosine --min-lr 1e-4 -q)
run sciml-train node "${NODE_FLAGS[@]}" --log ref.jsonl -o ref.nc
expect_rc 0 "the uninterrupted reference run"
rm -f int.jsonl int.nc int.nc.ckpt
LAST_CMD="sciml-train node ${NODE_FLAGS[*]} -o int.nc (then kill -INT)"
sciml-train node "${NODE_FLAGS[@]}" --log int.jsonl -o int.nc 2>"$T/.stderr" &
interrupt_after_log INT int.jsonl $!
if [ "$RC" -eq 0 ]; then
    fail "training finished before the interrupt arrived: raise --iterations in this test"
else
    expect_rc 1 "SIGINT exits 1"
    expect_stderr_has "checkpoint written to int.nc.ckpt" "names the checkpoint"
    check "no model written" test ! -e int.nc
    run ncdump -h int.nc.ckpt
    expect_stdout_has 'sciml_kind = "checkpoint"' "a checkpoint"
    expect_stdout_has "adam_m(parameter)" "with Adam's moments"
    run sciml-train node "${NODE_FLAGS[@]}" --resume int.nc.ckpt --log resumed.jsonl -o int.nc
    expect_rc 0 "--resume from the checkpoint"
    check "no fresh-optimizer warning for a checkpoint" \
        sh -c "! grep -q 'fresh optimizer' '$T/.stderr'"
    sciml-node -m int.nc spiral.nc resumed-pred.nc 2>/dev/null
    sciml-node -m ref.nc spiral.nc ref-pred.nc 2>/dev/null
    run sciml-cmp --tol 0 resumed-pred.nc ref-pred.nc
    expect_rc 0 "interrupted + resumed predicts exactly as the uninterrupted run (--tol 0)"
    check "the same parameters, as ncdump prints them" \
        cmp -s <(ncdump -v parameters int.nc | sed -n '/^data:/,$p') \
        <(ncdump -v parameters ref.nc | sed -n '/^data:/,$p')
    check "the resumed log is the rest of the reference log" \
        cmp -s <(strip_seconds resumed.jsonl) <(strip_seconds ref.jsonl | tail -n "$(wc -l <resumed.jsonl)")
fi

section "--checkpoint-every: SIGKILL, --resume from the last periodic checkpoint: bit for bit"
# every 25 iterations, between the reports (every 10): the checkpoint cuts a report window
rm -f killed.jsonl killed.nc every.ckpt
LAST_CMD="sciml-train node ${NODE_FLAGS[*]} --checkpoint-every 25 (then kill -KILL)"
sciml-train node "${NODE_FLAGS[@]}" --checkpoint-every 25 --checkpoint every.ckpt \
    --log killed.jsonl -o killed.nc 2>/dev/null &
# iteration 50's checkpoint is written before iteration 51 starts: 6 reports (60) guarantee it
interrupt_after_log KILL killed.jsonl $! 0 6
if [ "$RC" -eq 0 ]; then
    fail "training finished before SIGKILL arrived: raise --iterations in this test"
else
    check "SIGKILL: no model written" test ! -e killed.nc
    rm -f .every.ckpt.?????? # a write the kill cut short
    run ncdump -h every.ckpt
    expect_stdout_has 'sciml_kind = "checkpoint"' "the periodic checkpoint is a whole checkpoint"
    done_iterations=$(sed -n 's/.*:epochs_done = \([0-9]*\) ;.*/\1/p' "$T/.stdout")
    check "at a multiple of 25, at least 50 (got '$done_iterations')" \
        test -n "$done_iterations" -a $((done_iterations % 25)) -eq 0 -a "${done_iterations:-0}" -ge 50
    cp killed.jsonl every-resumed.jsonl # the killed run's log, continued by the resumed one
    run sciml-train node "${NODE_FLAGS[@]}" --resume every.ckpt --log every-resumed.jsonl \
        -o killed.nc
    expect_rc 0 "--resume from the periodic checkpoint"
    check "killed + resumed has the uninterrupted run's parameters, as ncdump prints them" \
        cmp -s <(ncdump -v parameters killed.nc | sed -n '/^data:/,$p') \
        <(ncdump -v parameters ref.nc | sed -n '/^data:/,$p')
    check "the continued log (resumed inside a report window) is the reference log" \
        cmp -s <(strip_seconds every-resumed.jsonl) <(strip_seconds ref.jsonl)
fi

section "full-batch L-BFGS on whole trajectories"
sciml-node -m node.nc spiral.nc | sciml-cmp - spiral.nc >"$T/before.txt"
run sciml-train node --data spiral.nc --resume node.nc --solver dopri5 --optimizer lbfgs \
    --segment 999 --batch 1 --iterations 15 -q --log lbfgs.jsonl -o lbfgs.nc
expect_rc 0 "--optimizer lbfgs with node"
check "L-BFGS reports every 10 iterations and at the end" test "$(wc -l <lbfgs.jsonl)" -eq 2
sciml-node -m lbfgs.nc spiral.nc | sciml-cmp - spiral.nc >"$T/after.txt"
before=$(rel_l2_of "$T/before.txt" y)
after=$(rel_l2_of "$T/after.txt" y)
echo "whole-trajectory relative L2: $before after the segments, $after after 15 L-BFGS iterations"
check "15 L-BFGS iterations on the whole trajectory at least halve its error" \
    float_lt "$after" "$(awk -v b="$before" 'BEGIN { print b / 2 }')"
run sciml-train node --data spiral.nc --optimizer adamw -o bad.nc
expect_rc 2 "--optimizer adamw is refused for node"
expect_stderr_has "adam or lbfgs" "and the message names the choices"
check "nothing written" test ! -e bad.nc

section "forecast, direct gradient, pipes"
run sciml-node -m node.nc --extrapolate 40 spiral.nc forecast.nc
expect_rc 0 "--extrapolate 40"
run sciml-info -s forecast.nc
expect_stdout_has "(1, 1600, 2)" "forecast continues the time step to t = 40"
sciml-gen ode --system spiral --points 200 -q |
    sciml-train node --data - --cube --solver dopri5 --iterations 20 -q -o - |
    cat >direct.nc
run ncdump -h direct.nc
expect_stdout_has 'gradient = "direct"' "dopri5 model trained from a pipe"
run sciml-train node --data spiral.nc --solver cvodes-bdf --gradient direct -o bad.nc
expect_rc 2 "the direct gradient needs dopri5"
run sciml-train node --data spiral.nc --cube --solver dopri5 --gradient adjoint --iterations 5 \
    -q -o dopri5-adjoint.nc
expect_rc 0 "dopri5 with its continuous adjoint"

section "bad input"
run sciml-gen ode --system lorenz --points 20 -q -o lorenz.nc
run sciml-node -m node.nc lorenz.nc bad.nc
expect_rc 1 "three states into a two-state model"
expect_one_error_line sciml-node lorenz.nc "state size"
expect_stderr_has "needs (sample, state) with 2 states" "names the expected size"
cat >nan.cdl <<'CDL'
netcdf nan {
dimensions: sample = UNLIMITED ; time = 3 ; state = 2 ;
variables: double t(time) ; double y(sample, time, state) ;
data: t = 0, 1, 2 ; y = 1, 2, NaN, 1, 2, 3 ;
}
CDL
if have_ncdump; then
    ncgen -k 1 -o nan.nc nan.cdl
    run sciml-train node --data nan.nc -o bad.nc
    expect_rc 1 "NaN state in the training data"
    expect_one_error_line sciml-train nan.nc "NaN state"
    expect_stderr_has "sample 0, time 1, state 0" "names where"
    sed 's/t = 0, 1, 2/t = 0, 1, 1/; s/NaN/1/' nan.cdl | ncgen -k 1 -o flat.nc
    run sciml-train node --data flat.nc -o bad.nc
    expect_rc 1 "times that do not increase"
    expect_stderr_has "time 2 is 1 after 1" "names the time index"
fi
run sciml-node -m node.nc --times 0,1,1 spiral.nc bad.nc
expect_rc 1 "--times that do not increase"
expect_stderr_has "output time 2 is 1 after 1" "names the time"
run sciml-node -m node.nc --solver dopri5 --max-steps 20 --horizon 1000 spiral.nc bad.nc
expect_rc 1 "solver failure"
expect_one_error_line sciml-node spiral.nc "solver failure"
expect_stderr_has "too much work, 20 steps, at t = " "names the time reached"
check "no output left" test ! -e bad.nc
# a step of lr 100 makes the learned system too stiff for dopri5: the solver fails in training
run sciml-train node --data spiral.nc --cube --solver dopri5 --lr 100 --max-steps 2000 \
    --iterations 5 -q -o bad.nc
expect_rc 1 "solver failure during training"
expect_one_error_line sciml-train spiral.nc "too much work"
expect_stderr_has "checkpoint written to bad.nc.ckpt" "keeps the last good weights"
check "no model written" test ! -e bad.nc
run sciml-train node --data spiral.nc --resume bad.nc.ckpt --solver dopri5 --lr 1e-3 \
    --iterations 4 -q -o recovered.nc
expect_rc 0 "training continues from that checkpoint"

finish
