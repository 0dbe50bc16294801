# Streaming through pipes ('-' = stdin/stdout): every tool reads and writes pipes and gives the
# same numbers as with files.
. "$(dirname "$0")/lib.sh"

section "sciml-gen grf | sciml-info -"
set -o pipefail
LAST_CMD="sciml-gen grf --samples 5 --resolution 64 | sciml-info -"
sciml-gen grf --samples 5 --resolution 64 | sciml-info - >"$T/.stdout" 2>"$T/.stderr"
RC=$?
expect_rc 0 "grf | info"
expect_stdout_has "sample = UNLIMITED ; // (5 currently)" "grf | info: 5 samples"
expect_stdout_has "x = 64 ;" "grf | info: x = 64"
if grep -Eq '^a +double +\(5, 64\) ' "$T/.stdout"; then ok; else fail "grf | info: stats row a (5, 64)"; fi
expect_stderr_empty "grf | info"

# 2D fields through a pipe
LAST_CMD="sciml-gen grf --dims 2 --samples 3 --resolution 16 | sciml-info -s -"
sciml-gen grf --dims 2 --samples 3 --resolution 16 | sciml-info -s - >"$T/.stdout" 2>"$T/.stderr"
RC=$?
expect_rc 0 "grf 2D | info -s"
if grep -Eq '^a +double +\(3, 16, 16\) ' "$T/.stdout"; then ok; else fail "grf 2D | info: a (3, 16, 16)"; fi
set +o pipefail

section "cat file | sciml-info - equals sciml-info file (apart from the name line)"
sciml-gen grf --samples 4 --resolution 32 --seed 9 -o grf.nc
sciml-gen oscillator --samples 7 --points 12 --seed 9 -o osc.nc
for f in grf.nc osc.nc; do
    sciml-info "$f" >info-file.txt 2>/dev/null
    cat "$f" | sciml-info - >info-pipe.txt 2>/dev/null
    sciml-info <"$f" >info-stdin.txt 2>/dev/null # no FILE: stdin
    if diff <(sed 1d info-file.txt) <(sed 1d info-pipe.txt) >/dev/null; then ok; else
        fail "$f: 'cat $f | sciml-info -' differs from 'sciml-info $f' beyond the name line"
        diff <(sed 1d info-file.txt) <(sed 1d info-pipe.txt) | head -10 >&2
    fi
    expect_same_file info-pipe.txt info-stdin.txt "$f: 'sciml-info -' and 'sciml-info' (no file)"
    if head -n 1 info-file.txt | grep -q "^netcdf .*$f"; then ok; else
        fail "$f: sciml-info's first line does not name the file"
    fi
done

section "sciml-gen to stdout equals sciml-gen -o FILE (apart from history)"
if have_ncdump; then
    sciml-gen oscillator --samples 6 --points 10 --seed 4 >osc-stdout.nc
    sciml-gen oscillator --samples 6 --points 10 --seed 4 | cat >osc-pipe.nc
    sciml-gen oscillator --samples 6 --points 10 --seed 4 -o osc-file.nc
    if diff <(ncdump_nohistory osc-file.nc) <(ncdump_nohistory osc-stdout.nc) >/dev/null; then ok; else
        fail "sciml-gen > file differs from sciml-gen -o file"
    fi
    if diff <(ncdump_nohistory osc-file.nc) <(ncdump_nohistory osc-pipe.nc) >/dev/null; then ok; else
        fail "sciml-gen | cat > file differs from sciml-gen -o file"
    fi
else
    echo "ncdump not found: skipping the ncdump comparison" >&2
fi

section "a small model for the prediction pipes"
small_oscillator train.nc 200 1 16
small_oscillator test.nc 50 2 16
run sciml-train mlp --data train.nc --epochs 5 --batch 32 --hidden 16,16 --seed 1 -q -o model.nc
expect_rc 0 "train a small model"
[ -s model.nc ] || { fail "no model: cannot test the prediction pipes"; finish; }

section "sciml-gen oscillator | sciml-mlp -m model | sciml-cmp - ref equals the file-based run"
# the file-based run
run sciml-mlp -m model.nc test.nc pred-file.nc
expect_rc 0 "sciml-mlp file to file"
run sciml-cmp pred-file.nc test.nc
expect_rc 0 "sciml-cmp prediction vs truth (files)"
cp "$T/.stdout" cmp-file.txt
# the same through pipes: data generated on the fly with the same seed as test.nc
set -o pipefail
LAST_CMD="sciml-gen oscillator ... | sciml-mlp -m model.nc | sciml-cmp - test.nc"
sciml-gen oscillator --samples 50 --seed 2 --points 16 | sciml-mlp -m model.nc |
    sciml-cmp - test.nc >cmp-pipe.txt 2>"$T/.stderr"
RC=$?
set +o pipefail
expect_rc 0 "gen | mlp | cmp pipeline"
expect_same_file cmp-file.txt cmp-pipe.txt "gen | mlp | cmp - test.nc gives the numbers of the file run"
# the prediction itself, bit for bit
set -o pipefail
LAST_CMD="sciml-gen oscillator ... | sciml-mlp -m model.nc > pred-pipe.nc"
sciml-gen oscillator --samples 50 --seed 2 --points 16 | sciml-mlp -m model.nc >pred-pipe.nc \
    2>"$T/.stderr"
RC=$?
set +o pipefail
expect_rc 0 "gen | mlp > file"
run sciml-cmp --tol 0 pred-pipe.nc pred-file.nc
expect_rc 0 "pipe prediction equals file prediction (--tol 0)"
rel=$(rel_l2_of "$T/.stdout" y)
if [ "$rel" = "0.000000e+00" ]; then ok; else fail "pipe vs file prediction rel_l2 = '$rel', expected 0"; fi
# the reference from stdin instead
LAST_CMD="cat test.nc | sciml-cmp pred-file.nc -"
cat test.nc | sciml-cmp pred-file.nc - >cmp-ref-stdin.txt 2>"$T/.stderr"
RC=$?
expect_rc 0 "sciml-cmp FILE - (reference on stdin)"
expect_same_file cmp-file.txt cmp-ref-stdin.txt "reference on stdin gives the same numbers"
# small batches through sciml-mlp give the same prediction
run sciml-mlp -m model.nc --batch 7 test.nc pred-b7.nc
expect_rc 0 "sciml-mlp --batch 7"
run sciml-cmp --tol 0 pred-b7.nc pred-file.nc
expect_rc 0 "--batch 7 prediction equals the default batch's"

section "input on stdin, output to a file; input file, output on stdout"
run_in test.nc sciml-mlp -m model.nc - pred-stdin.nc
expect_rc 0 "sciml-mlp - FILE"
run sciml-cmp --tol 0 pred-stdin.nc pred-file.nc
expect_rc 0 "stdin input gives the file prediction"
sciml-mlp -m model.nc test.nc - >pred-stdout.nc 2>/dev/null
RC=$?
LAST_CMD="sciml-mlp -m model.nc test.nc - > pred-stdout.nc"
expect_rc 0 "sciml-mlp FILE -"
run sciml-cmp --tol 0 pred-stdout.nc pred-file.nc
expect_rc 0 "stdout output gives the file prediction"
# the prediction carries the lineage: the input's history and the sciml-mlp command
run sciml-info -H pred-file.nc
if grep -q "sciml-gen oscillator" "$T/.stdout" && grep -q "sciml-mlp -m model.nc" "$T/.stdout"; then
    ok
else
    fail "prediction history lacks the generator's or sciml-mlp's command line"
fi

section "model file on stdin"
run_in model.nc sciml-mlp -m - test.nc pred-model-stdin.nc
expect_rc 0 "sciml-mlp -m - (model on stdin)"
run sciml-cmp --tol 0 pred-model-stdin.nc pred-file.nc
expect_rc 0 "model on stdin gives the same prediction"

section "a stream whose record count is unknown (numrecs = STREAMING)"
# netCDF classic: numrecs 0xFFFFFFFF at byte 4 means "streaming, count not known"
cp test.nc streaming.nc
printf '\377\377\377\377' | dd of=streaming.nc bs=1 seek=4 conv=notrunc 2>/dev/null
LAST_CMD="cat streaming.nc | sciml-info -"
cat streaming.nc | sciml-info - >"$T/.stdout" 2>"$T/.stderr"
RC=$?
expect_rc 0 "info on a streaming-count pipe"
if grep -Eq '^y +double +\(50, 16\) ' "$T/.stdout"; then ok; else fail "streamed info counts 50 samples"; fi
LAST_CMD="cat streaming.nc | sciml-mlp -m model.nc | sciml-cmp - pred-file.nc"
set -o pipefail
cat streaming.nc | sciml-mlp -m model.nc | sciml-cmp --tol 0 - pred-file.nc >/dev/null 2>"$T/.stderr"
RC=$?
set +o pipefail
expect_rc 0 "streaming-count input through sciml-mlp and sciml-cmp"
run_in streaming.nc sciml-mlp -m model.nc - pred-streamed.nc
expect_rc 0 "streaming-count input to a file"
if have_ncdump; then
    if ncdump -h pred-streamed.nc | grep -q "sample = UNLIMITED ; // (50 currently)"; then ok; else
        fail "output of a streamed input: ncdump does not see 50 records"
    fi
fi

section "sciml-train --data - from a pipe"
LAST_CMD="sciml-gen oscillator ... | sciml-train mlp --data - ..."
sciml-gen oscillator --samples 200 --seed 1 --points 16 |
    sciml-train mlp --data - --epochs 5 --batch 32 --hidden 16,16 --seed 1 -q -o model-pipe.nc \
        2>"$T/.stderr"
RC=$?
expect_rc 0 "train from a pipe"
if have_ncdump; then
    if diff <(ncdump -v layer_0_weight,layer_2_weight model.nc | sed -n '/^data:/,$p') \
        <(ncdump -v layer_0_weight,layer_2_weight model-pipe.nc | sed -n '/^data:/,$p') >/dev/null; then
        ok
    else
        fail "a model trained from a pipe differs from the one trained from the same data in a file"
    fi
fi
run sciml-mlp -m model-pipe.nc test.nc pred-pipe-model.nc
expect_rc 0 "predict with the pipe-trained model"
run sciml-cmp --tol 0 pred-pipe-model.nc pred-file.nc
expect_rc 0 "pipe-trained model predicts like the file-trained one"
# --test from a pipe as well
LAST_CMD="cat test.nc | sciml-train mlp --data train.nc --test - ..."
cat test.nc | sciml-train mlp --data train.nc --test - --epochs 2 --hidden 8 -q -o m-test-pipe.nc \
    2>"$T/.stderr"
RC=$?
expect_rc 0 "--test - from a pipe"
# the model written to stdout
LAST_CMD="sciml-train mlp ... -o - | sciml-mlp -m - test.nc"
sciml-train mlp --data train.nc --epochs 5 --batch 32 --hidden 16,16 --seed 1 -q -o - \
    2>"$T/.stderr" | sciml-mlp -m - test.nc pred-model-pipe.nc 2>>"$T/.stderr"
RC=$?
expect_rc 0 "sciml-train -o - | sciml-mlp -m -"
run sciml-cmp --tol 0 pred-model-pipe.nc pred-file.nc
expect_rc 0 "model through a pipe predicts like the file model"

section "no temporary files left behind"
leftovers=$(find "$T" -maxdepth 1 -name '.*' ! -name '.stdout' ! -name '.stderr' ! -name '.' | head)
if [ -z "$leftovers" ]; then ok; else fail "temporary files left: $leftovers"; fi

finish
