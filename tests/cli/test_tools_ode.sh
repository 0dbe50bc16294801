#!/usr/bin/env bash
# sciml-gen ode: the five systems through a pipe into sciml-info, random initial states,
# noise, the given-initial-state path, and the failure cases (wrong state count, unknown system,
# a solver that runs out of steps: one error line naming the time reached, exit 1, no file),
# and --times read per generator (a list for ode, a count for diffusion-reaction).
. "$(dirname "$0")/lib.sh"

section "the five systems"
for system in spiral lotka-volterra lorenz pendulum robertson; do
    run sciml-gen ode --system $system --points 50 -q -o $system.nc
    expect_rc 0 "sciml-gen ode --system $system"
done
run sciml-info -s spiral.nc
expect_stdout_has "(1, 50, 2)" "spiral: one trajectory of 50 points and 2 states"
check "spiral: starts at 2" float_lt 1.999999 "$(stat_of "$T/.stdout" y0 max)"
run sciml-info -s robertson.nc
check "robertson: y stays within [0, 1]" float_lt "$(stat_of "$T/.stdout" y max)" 1.0000001

section "random initial states, noise, pipes"
sciml-gen ode --system lotka-volterra --samples 4 --noise 0.05 --seed 3 -q |
    sciml-info -s - >"$T/info.txt" 2>&1
check "pipe into sciml-info" grep -q "(4, 100, 2)" "$T/info.txt"
run sciml-gen ode --system lotka-volterra --samples 4 --noise 0.05 --seed 3 -q -o a.nc
run sciml-gen ode --system lotka-volterra --samples 4 --noise 0.05 --seed 3 -q -o b.nc
run sciml-cmp a.nc b.nc --tol 0
expect_rc 0 "same seed, same data"
run sciml-gen ode --system pendulum --initial 0.5,0.25 --horizon 2 --points 3 -q -o p.nc
expect_rc 0 "--initial"
run sciml-info -s p.nc
check "--initial is stored" float_lt 0.4999999 "$(stat_of "$T/.stdout" y0 max)"

run sciml-gen ode --system robertson --times 0,0.4,4,40,400 -q -o r.nc
expect_rc 0 "--times"
run ncdump -v t r.nc
expect_stdout_has "t = 0, 0.4, 4, 40, 400" "--times are the stored times"

section "bad input"
run sciml-gen ode --times 0,1,1 -o bad.nc
expect_rc 2 "--times that do not increase"
expect_stderr_has "time 2 is 1 after 1" "names the time index"
run sciml-gen ode --system lorenz --initial 1,2 -o bad.nc
expect_rc 2 "three states for lorenz"
expect_stderr_has "has 2 values, system lorenz has 3 states" "names the state count"
run sciml-gen ode --system van-der-pol -o bad.nc
expect_rc 2 "unknown system"
run sciml-gen ode --system robertson --rtol 1e-14 --atol 1e-300 --horizon 1e6 -o bad.nc
expect_rc 1 "solver failure"
expect_one_error_line sciml-gen "ode robertson, sample 0" "solver failure"
expect_stderr_has "failed at t = " "names the time reached"
check "no file left" test ! -e bad.nc


section "--times per generator: ode takes a list, diffusion-reaction a count"
run sciml-gen ode --times 5 -o bad.nc
expect_rc 2 "ode --times with one value"
expect_stderr_has "expected at least 2 times" "ode --times is a list"
run sciml-gen diffusion-reaction --times 0,1 -o bad.nc
expect_rc 2 "diffusion-reaction --times with a list"
expect_stderr_has "expected an integer" "diffusion-reaction --times is a count"
run sciml-gen diffusion-reaction --samples 1 --sensors 8 --times 3 -q -o dr.nc
expect_rc 0 "diffusion-reaction --times 3"
run sciml-info -s dr.nc
expect_stdout_has "(1, 8, 3)" "diffusion-reaction: 3 output times"
run sciml-gen pendulum --times 3 -o bad.nc
expect_rc 2 "--times does not apply to the DeepONet pendulum"
check "no file left" test ! -e bad.nc

finish
