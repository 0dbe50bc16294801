# Bad input never crashes and never leaves output: truncated files, random bytes, an empty
# file, a nonexistent path, a directory. Each run exits 1 with one line on stderr that starts
# with the tool's name and names the file; tools that write (-o / OUT) leave no output file and
# do not clobber an existing one.
. "$(dirname "$0")/lib.sh"

small_oscillator good.nc 40 1 12 2>/dev/null || fail "sciml-gen"
sciml-train mlp --data good.nc --epochs 2 --hidden 8 --seed 1 -q -o model.nc 2>/dev/null ||
    fail "sciml-train a tiny model"
[ -s good.nc ] && [ -s model.nc ] || { fail "setup failed"; finish; }

size=$(wc -c <good.nc)
msize=$(wc -c <model.nc)
BAD=()
# truncations: inside the magic, the header, at the end of the header, in the fixed data,
# inside the records, one byte short
for n in 3 4 20 100 300 $((size / 2)) $((size - 1)); do
    head -c "$n" good.nc >"trunc$n.nc"
    BAD+=("trunc$n.nc")
done
for n in 50 $((msize / 2)) $((msize - 1)); do
    head -c "$n" model.nc >"mtrunc$n.nc"
    BAD+=("mtrunc$n.nc")
done
head -c 4096 /dev/urandom >random.nc
# random bytes behind a valid magic number, and a valid header with a garbled dimension count
{ printf 'CDF\001'; head -c 2000 /dev/urandom; } >random-cdf1.nc
{ printf 'CDF\002'; head -c 2000 /dev/urandom; } >random-cdf2.nc
: >empty.nc
mkdir a-directory
BAD+=(random.nc random-cdf1.nc random-cdf2.nc empty.nc does-not-exist.nc a-directory)

# bad_run WHAT FILE CMD...: exit 1, no crash, one error line naming FILE, nothing on stdout
# unless allowed (sciml-info may have printed the header of a file whose data is cut).
bad_run() {
    local what=$1 file=$2 tool
    shift 2
    tool=$1
    run "$@"
    expect_rc 1 "$what"
    expect_no_crash "$what"
    expect_one_error_line "$tool" "$file" "$what"
}

# keep_check FILE WHAT: FILE still holds its known contents.
keep_check() {
    if [ "$(cat "$1" 2>/dev/null)" = "precious contents" ]; then ok; else
        fail "$2: existing output file $1 was clobbered or removed"
    fi
}

no_temp_left() {
    local leftovers
    leftovers=$(find "$T" -maxdepth 1 -name '.*' ! -name . ! -name .stdout ! -name .stderr ! -name .valgrind)
    if [ -z "$leftovers" ]; then ok; else fail "$1: temporary files left: $leftovers"; rm -f $leftovers; fi
}

for f in "${BAD[@]}"; do
    section "bad input: $f"
    run sciml-info "$f"
    expect_rc 1 "sciml-info $f"
    expect_no_crash "sciml-info $f"
    expect_one_error_line sciml-info "$f" "sciml-info $f"

    bad_run "sciml-info -H $f" "$f" sciml-info -H "$f"

    bad_run "sciml-cmp $f good.nc" "$f" sciml-cmp "$f" good.nc
    expect_stdout_empty "sciml-cmp $f good.nc"
    bad_run "sciml-cmp good.nc $f" "$f" sciml-cmp good.nc "$f"
    bad_run "sciml-cmp --tol 0 $f $f" "$f" sciml-cmp --tol 0 "$f" "$f"

    # sciml-mlp: bad input data, bad model; a new output is not made, an old one is kept
    rm -f out.nc
    bad_run "sciml-mlp -m model.nc $f out.nc" "$f" sciml-mlp -m model.nc "$f" out.nc
    if [ ! -e out.nc ]; then ok; else fail "sciml-mlp $f: left out.nc"; fi
    echo "precious contents" >keep.nc
    bad_run "sciml-mlp -m model.nc $f keep.nc" "$f" sciml-mlp -m model.nc "$f" keep.nc
    keep_check keep.nc "sciml-mlp -m model.nc $f keep.nc"
    bad_run "sciml-mlp -m $f good.nc keep.nc" "$f" sciml-mlp -m "$f" good.nc keep.nc
    keep_check keep.nc "sciml-mlp -m $f good.nc keep.nc"
    bad_run "sciml-mlp -m $f good.nc (stdout)" "$f" sciml-mlp -m "$f" good.nc
    expect_stdout_empty "sciml-mlp -m $f good.nc (stdout)"

    # sciml-train: bad --data, --test, --resume; neither model nor checkpoint is written
    rm -f new-model.nc new-model.nc.ckpt
    bad_run "sciml-train --data $f" "$f" sciml-train mlp --data "$f" --epochs 1 --hidden 4 -q \
        -o new-model.nc
    if [ ! -e new-model.nc ] && [ ! -e new-model.nc.ckpt ]; then ok; else
        fail "sciml-train --data $f: left a model or checkpoint"
    fi
    bad_run "sciml-train --data $f -o keep.nc" "$f" sciml-train mlp --data "$f" --epochs 1 \
        --hidden 4 -q -o keep.nc
    keep_check keep.nc "sciml-train --data $f -o keep.nc"
    bad_run "sciml-train --test $f" "$f" sciml-train mlp --data good.nc --test "$f" --epochs 1 \
        --hidden 4 -q -o keep.nc
    keep_check keep.nc "sciml-train --test $f -o keep.nc"
    bad_run "sciml-train --resume $f" "$f" sciml-train mlp --data good.nc --resume "$f" \
        --epochs 1 -q -o keep.nc
    keep_check keep.nc "sciml-train --resume $f -o keep.nc"
    no_temp_left "$f"
done

section "memory errors on bad input (valgrind, when installed)"
half=trunc$((size / 2)).nc
memcheck "sciml-info trunc100.nc" 1 sciml-info trunc100.nc
memcheck "sciml-cmp $half good.nc" 1 sciml-cmp "$half" good.nc
memcheck "sciml-mlp -m model.nc random-cdf1.nc" 1 sciml-mlp -m model.nc random-cdf1.nc out.nc
memcheck "sciml-mlp -m mtrunc$((msize / 2)).nc" 1 sciml-mlp -m "mtrunc$((msize / 2)).nc" good.nc out.nc
memcheck "sciml-train --data $half" 1 sciml-train mlp --data "$half" --epochs 1 --hidden 4 -q -o out.nc
rm -f out.nc

section "bad input through a pipe"
for f in trunc100.nc trunc$((size / 2)).nc trunc$((size - 1)).nc random.nc empty.nc; do
    run_in "$f" sciml-info -
    expect_rc 1 "cat $f | sciml-info -"
    expect_no_crash "cat $f | sciml-info -"
    expect_one_error_line sciml-info "stdin" "cat $f | sciml-info -"
    echo "precious contents" >keep.nc
    run_in "$f" sciml-mlp -m model.nc - keep.nc
    expect_rc 1 "cat $f | sciml-mlp -m model.nc - keep.nc"
    expect_one_error_line sciml-mlp "stdin" "cat $f | sciml-mlp"
    keep_check keep.nc "cat $f | sciml-mlp -m model.nc - keep.nc"
    run_in "$f" sciml-train mlp --data - --epochs 1 --hidden 4 -q -o keep.nc
    expect_rc 1 "cat $f | sciml-train --data -"
    expect_one_error_line sciml-train "stdin" "cat $f | sciml-train --data -"
    keep_check keep.nc "cat $f | sciml-train --data - -o keep.nc"
    run_in "$f" sciml-cmp - good.nc
    expect_rc 1 "cat $f | sciml-cmp - good.nc"
    expect_one_error_line sciml-cmp "stdin" "cat $f | sciml-cmp - good.nc"
    no_temp_left "pipe $f"
done

section "sciml-mlp output to stdout on a truncated stream: exit 1"
LAST_CMD="head -c N good.nc | sciml-mlp -m model.nc | cat"
head -c $((size - 1)) good.nc | sciml-mlp -m model.nc 2>"$T/.stderr" >/dev/null
RC=$?
expect_rc 1 "truncated stream to stdout"

section "output that cannot be written"
run sciml-gen oscillator -n 2 --points 4 -o "$T/no/such/dir/x.nc"
expect_rc 1 "sciml-gen -o into a missing directory"
expect_one_error_line sciml-gen "no/such/dir/x.nc" "sciml-gen -o into a missing directory"
run sciml-gen oscillator -n 2 --points 4 -o a-directory
expect_rc 1 "sciml-gen -o a directory"
expect_no_crash "sciml-gen -o a directory"
if [ -d a-directory ]; then ok; else fail "sciml-gen -o a-directory replaced the directory"; fi
run sciml-mlp -m model.nc good.nc "$T/no/such/dir/p.nc"
expect_rc 1 "sciml-mlp OUT in a missing directory"
expect_one_error_line sciml-mlp "no/such/dir/p.nc" "sciml-mlp OUT in a missing directory"
run sciml-train mlp --data good.nc --epochs 1 --hidden 4 -q -o "$T/no/such/dir/m.nc"
expect_rc 1 "sciml-train -o in a missing directory"
expect_no_crash "sciml-train -o in a missing directory"
expect_stderr_has "no/such/dir/m.nc" "sciml-train -o in a missing directory names it"
run sciml-train mlp --data good.nc --epochs 1 --hidden 4 -q -o m.nc --log "$T/no/such/dir/log"
expect_rc 1 "sciml-train --log in a missing directory"
expect_stderr_has "no/such/dir/log" "--log in a missing directory names it"
if [ ! -e m.nc ]; then ok; else fail "sciml-train with an unwritable --log still wrote the model"; fi
# stdout closed / a full device
if [ -w /dev/full ]; then
    run sciml-info good.nc
    LAST_CMD="sciml-info good.nc > /dev/full"
    sciml-info good.nc >/dev/full 2>"$T/.stderr"
    RC=$?
    expect_rc 1 "sciml-info > /dev/full"
    expect_stderr_has "sciml-info" "sciml-info > /dev/full reports the failure"
    LAST_CMD="sciml-gen oscillator > /dev/full"
    sciml-gen oscillator -n 20 --points 50 >/dev/full 2>"$T/.stderr"
    RC=$?
    expect_rc 1 "sciml-gen > /dev/full"
    expect_no_crash "sciml-gen > /dev/full"
    LAST_CMD="sciml-mlp -m model.nc good.nc > /dev/full"
    sciml-mlp -m model.nc good.nc >/dev/full 2>"$T/.stderr"
    RC=$?
    expect_rc 1 "sciml-mlp > /dev/full"
    LAST_CMD="sciml-cmp good.nc good.nc > /dev/full"
    sciml-cmp good.nc good.nc >/dev/full 2>"$T/.stderr"
    RC=$?
    expect_rc 1 "sciml-cmp > /dev/full"
fi
no_temp_left "unwritable outputs"

finish
