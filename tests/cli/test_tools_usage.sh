# CLI conventions for every tool: --help, --version, unknown options, collected usage errors,
# bad numbers (DESIGN.md "Tool conventions": exit 2 for usage errors, messages on stderr).
. "$(dirname "$0")/lib.sh"

# The tools as they are invoked (sciml-gen and sciml-train need their generator/mode).
TOOLS=("sciml-gen grf" "sciml-gen oscillator" "sciml-info" "sciml-cmp" "sciml-train mlp"
       "sciml-mlp")

section "--help, --version, unknown option"
for tool in "${TOOLS[@]}" "sciml-gen" "sciml-train"; do
    name=${tool%% *}
    # shellcheck disable=SC2086
    run $tool --help
    expect_rc 0 "$tool --help"
    expect_stdout_has "Usage:" "$tool --help"
    expect_stderr_empty "$tool --help"
    # shellcheck disable=SC2086
    run $tool -h
    expect_rc 0 "$tool -h"
    expect_stdout_has "Usage:" "$tool -h"

    # shellcheck disable=SC2086
    run $tool --version
    expect_rc 0 "$tool --version"
    expect_stdout_has "$name" "$tool --version"
    if grep -Eq '[0-9]+\.[0-9]+' "$T/.stdout"; then ok; else fail "$tool --version: no version number"; fi

    # shellcheck disable=SC2086
    run $tool --no-such-option
    expect_rc 2 "$tool --no-such-option"
    expect_stdout_empty "$tool --no-such-option"
    expect_stderr_has_i "usage" "$tool --no-such-option"
    expect_stderr_has "$name" "$tool --no-such-option"
    expect_stderr_has "--help" "$tool --no-such-option (says how to get help)"
done

section "missing generator / mode"
run sciml-gen
expect_rc 2 "sciml-gen without generator"
expect_stdout_empty "sciml-gen without generator"
run sciml-gen fft
expect_rc 2 "sciml-gen fft (unknown generator)"
expect_stderr_has "fft" "sciml-gen fft names the generator"
run sciml-train
expect_rc 2 "sciml-train without mode"
run sciml-train deeponet-x --data a.nc -o m.nc
expect_rc 2 "sciml-train deeponet-x (unknown mode)"
expect_stderr_has "deeponet-x" "sciml-train names the unknown mode"

section "usage errors are collected before exiting"
# count_usage_lines: lines of the form "tool: usage: ..." in stderr
count_usage_lines() { grep -c "^$1: usage: " "$T/.stderr"; }

run sciml-gen grf --samples abc --resolution 1 --bogus
expect_rc 2 "sciml-gen three errors"
expect_stdout_empty "sciml-gen three errors"
n=$(count_usage_lines sciml-gen)
if [ "$n" -eq 3 ]; then ok; else fail "sciml-gen: expected 3 usage lines, got $n"; fi
expect_stderr_has "--samples" "sciml-gen collected: --samples"
expect_stderr_has "--resolution" "sciml-gen collected: --resolution"
expect_stderr_has "--bogus" "sciml-gen collected: --bogus"

run sciml-info a.nc b.nc -Z
expect_rc 2 "sciml-info two errors"
n=$(count_usage_lines sciml-info)
if [ "$n" -eq 2 ]; then ok; else fail "sciml-info: expected 2 usage lines, got $n"; fi

run sciml-cmp --tol -1 a.nc b.nc c.nc
expect_rc 2 "sciml-cmp two errors"
n=$(count_usage_lines sciml-cmp)
if [ "$n" -eq 2 ]; then ok; else fail "sciml-cmp: expected 2 usage lines, got $n"; fi

run sciml-train mlp --lr 1e999 --epochs x --batch 0 --optimizer sgd --activation nope \
    --hidden 0,-1
expect_rc 2 "sciml-train many errors"
expect_stdout_empty "sciml-train many errors"
n=$(count_usage_lines sciml-train)
# lr, epochs, batch, optimizer, activation, hidden, --data missing, -o missing
if [ "$n" -eq 8 ]; then ok; else fail "sciml-train: expected 8 usage lines, got $n"; fi
for word in --lr --epochs --batch --optimizer --activation --hidden --data -o; do
    expect_stderr_has "$word" "sciml-train collected: $word"
done

run sciml-mlp --batch 0 --output "a/b" --frobnicate
expect_rc 2 "sciml-mlp four errors"
n=$(count_usage_lines sciml-mlp)
# batch, output name, unknown option, -m missing
if [ "$n" -eq 4 ]; then ok; else fail "sciml-mlp: expected 4 usage lines, got $n"; fi
expect_stderr_has "-m MODEL" "sciml-mlp: -m required"

section "bad numbers exit 2"
bad_number() { # bad_number WHAT ARGS...: the tool must exit 2, print nothing on stdout
    local what=$1
    shift
    run "$@"
    expect_rc 2 "$what"
    expect_stdout_empty "$what"
    expect_stderr_has_i "usage" "$what"
}
for value in abc -3 0 1.5 "" 5x 1e3 99999999999999999999999; do
    bad_number "sciml-gen grf --samples '$value'" sciml-gen grf --samples "$value" --resolution 8
done
bad_number "sciml-gen --samples=abc" sciml-gen oscillator --samples=abc
bad_number "sciml-gen --samples without value" sciml-gen oscillator --samples
bad_number "sciml-gen --seed -1" sciml-gen grf --seed -1
bad_number "sciml-gen --seed 2^64" sciml-gen grf --seed 18446744073709551616
bad_number "sciml-gen --dims 3" sciml-gen grf --dims 3
bad_number "sciml-gen --alpha nan" sciml-gen grf --alpha nan
bad_number "sciml-gen --sigma inf" sciml-gen grf --sigma inf
bad_number "sciml-gen --horizon -1" sciml-gen oscillator --horizon -1
bad_number "sciml-gen --points 1" sciml-gen oscillator --points 1
bad_number "sciml-gen oscillator --resolution (grf only)" sciml-gen oscillator --resolution 8
bad_number "sciml-train --lr 1e999" sciml-train mlp --data a.nc -o m.nc --lr 1e999
bad_number "sciml-train --lr 0" sciml-train mlp --data a.nc -o m.nc --lr 0
bad_number "sciml-train --lr -0.1" sciml-train mlp --data a.nc -o m.nc --lr -0.1
bad_number "sciml-train --lr nan" sciml-train mlp --data a.nc -o m.nc --lr nan
bad_number "sciml-train --epochs -1" sciml-train mlp --data a.nc -o m.nc --epochs -1
bad_number "sciml-train --batch abc" sciml-train mlp --data a.nc -o m.nc --batch abc
bad_number "sciml-train --threads 0" sciml-train mlp --data a.nc -o m.nc --threads 0
bad_number "sciml-train --seed x" sciml-train mlp --data a.nc -o m.nc --seed x
bad_number "sciml-train --gamma 2" sciml-train mlp --data a.nc -o m.nc --gamma 2
bad_number "sciml-cmp --tol abc" sciml-cmp --tol abc a.nc b.nc
bad_number "sciml-cmp --tol -1" sciml-cmp --tol -1 a.nc b.nc
bad_number "sciml-mlp --batch -3" sciml-mlp -m m.nc --batch -3

section "other usage errors"
run sciml-cmp only-one.nc
expect_rc 2 "sciml-cmp with one file"
run sciml-cmp - -
expect_rc 2 "sciml-cmp - - (both stdin)"
run sciml-mlp -m - -
expect_rc 2 "sciml-mlp -m - - (model and input both stdin)"
run sciml-train mlp --data - --test - -o m.nc
expect_rc 2 "sciml-train --data - --test -"
run sciml-train mlp --data a.nc -o same --log same
expect_rc 2 "sciml-train --log and -o the same file"
# an output naming an input (by its name, or by another name of the same file) is refused
# before anything is read or written, so a typo cannot overwrite the data
sciml-gen oscillator -n 4 --points 8 -o data.nc 2>/dev/null
ln -sf data.nc alias.nc
cp data.nc data.orig
for args in "-o data.nc" "-o alias.nc" "-o m.nc --log data.nc" "-o m.nc --checkpoint data.nc" \
    "-o m.nc --test data.nc --log ./data.nc" "-o m.nc --resume r.ckpt --log r.ckpt"; do
    # shellcheck disable=SC2086
    run sciml-train mlp --data data.nc $args
    expect_rc 2 "sciml-train mlp --data data.nc $args"
    expect_stderr_has "name the same file" "sciml-train mlp $args: the message says why"
done
run sciml-train pinn --pde burgers --data data.nc -o data.nc
expect_rc 2 "sciml-train pinn --data data.nc -o data.nc"
run sciml-train pinn --pde burgers -o m.nc --resume r.ckpt --log r.ckpt
expect_rc 2 "sciml-train pinn --resume and --log the same file"
for tool in sciml-mlp sciml-fno sciml-deeponet sciml-pi3nn sciml-node; do
    run $tool -m m.nc data.nc alias.nc
    expect_rc 2 "$tool -m m.nc data.nc alias.nc (OUT is IN)"
    expect_stderr_has "name the same file" "$tool: OUT is IN: the message says why"
    run $tool -m data.nc - data.nc
    expect_rc 2 "$tool -m data.nc - data.nc (OUT is the model)"
done
run sciml-deeponet -m m.nc --points data.nc - data.nc
expect_rc 2 "sciml-deeponet --points data.nc - data.nc"
run sciml-pinn -m m.nc --points data.nc -o ./data.nc
expect_rc 2 "sciml-pinn --points data.nc -o ./data.nc"
run sciml-pi3nn -m m.nc --truth data.nc - data.nc
expect_rc 2 "sciml-pi3nn --truth data.nc - data.nc"
check "the data file is untouched" cmp -s data.nc data.orig
check "no model written" test ! -e m.nc
run sciml-info -H -s a.nc
expect_rc 2 "sciml-info -H -s"
# A usage error must not touch the file system: no output file made.
run sciml-gen grf --samples abc -o "$T/usage-out.nc"
expect_rc 2 "sciml-gen usage error with -o"
if [ ! -e "$T/usage-out.nc" ]; then ok; else fail "sciml-gen: a usage error left $T/usage-out.nc"; fi

section "valid option forms"
run sciml-gen grf --samples=2 --resolution=8 -o "$T/eq.nc"
expect_rc 0 "sciml-gen --samples=2 --resolution=8"
run sciml-gen oscillator -n 2 --points 4 -o "$T/short.nc"
expect_rc 0 "sciml-gen oscillator -n 2"

finish
