# Shared helpers for the CLI tests (tests/cli/test_tools_*.sh). Source it first:
#
#   . "$(dirname "$0")/lib.sh"
#
# It checks the environment ($SCIML_BIN with the built tools), puts the tools first on PATH,
# makes a private temp dir $T (removed on exit) and provides checks that count failures
# instead of stopping, so one run reports every broken convention. End each script with
# `finish`: exit 0 when every check passed, 1 otherwise (77 = skipped, via `skip`).

set -u

if [ -z "${SCIML_BIN:-}" ]; then
    # Run by hand from the source tree: fall back to the usual build directory.
    for candidate in "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build-cli/tools" \
                     "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/tools"; do
        if [ -x "$candidate/sciml-info" ]; then
            SCIML_BIN=$candidate
            break
        fi
    done
fi
if [ -z "${SCIML_BIN:-}" ] || [ ! -x "$SCIML_BIN/sciml-info" ]; then
    echo "SKIP: SCIML_BIN does not hold the built tools (SCIML_BIN='${SCIML_BIN:-}')" >&2
    exit 77
fi
export PATH="$SCIML_BIN:$PATH"
: "${SCIML_SOURCE_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
FIXTURES="$SCIML_SOURCE_DIR/tests/cli/fixtures"
PYTHON=/usr/bin/python3

T=$(mktemp -d "${TMPDIR:-/tmp}/sciml-cli.XXXXXX") || { echo "mktemp failed" >&2; exit 1; }
cleanup() {
    # Background jobs started by a test must not outlive it.
    local pids
    pids=$(jobs -p)
    [ -n "$pids" ] && kill $pids 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cd "$T" || exit 1
# A core dump must never be written into the source or build tree.
ulimit -c 0 2>/dev/null

FAILURES=0
CHECKS=0
SCRIPT_NAME=$(basename "$0" .sh)

# lines_of FILE: the number of lines in FILE, 0 when it does not exist (yet).
lines_of() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }

# interrupt_after_log SIGNAL LOG PID [SETTLE] [LINES]: waits until the background job PID has
# written LINES (3) lines to LOG (at most about 10 s, or until it ends), sleeps SETTLE seconds
# (0), sends it SIGNAL and waits for it; sets RC to its exit status.
interrupt_after_log() {
    local signal=$1 log=$2 pid=$3 settle=${4:-0} lines=${5:-3} waited=0
    while [ "$(lines_of "$log")" -lt "$lines" ] && [ $waited -lt 500 ] && kill -0 "$pid" 2>/dev/null; do
        sleep 0.02
        waited=$((waited + 1))
    done
    sleep "$settle"
    kill -"$signal" "$pid" 2>/dev/null
    wait "$pid"
    RC=$?
}

# ---- reporting -----------------------------------------------------------------------------

ok() {
    CHECKS=$((CHECKS + 1))
}

# fail MESSAGE: records a failed check and shows the last command's output when there is one.
fail() {
    CHECKS=$((CHECKS + 1))
    FAILURES=$((FAILURES + 1))
    echo "FAIL: $*" >&2
    if [ -n "${LAST_CMD:-}" ]; then
        echo "  command: $LAST_CMD (exit $RC)" >&2
        if [ -s "$T/.stderr" ]; then
            echo "  stderr:" >&2
            head -n 20 "$T/.stderr" | sed 's/^/    /' >&2
        fi
    fi
}

# check CONDITION_DESCRIPTION COMMAND...: passes when the command succeeds.
check() {
    local what=$1
    shift
    if "$@"; then ok; else fail "$what"; fi
}

section() {
    echo "--- $*"
    LAST_CMD=
}

skip() {
    echo "SKIP: $*" >&2
    exit 77
}

finish() {
    if [ "$FAILURES" -gt 0 ]; then
        echo "$SCRIPT_NAME: $FAILURES of $CHECKS checks failed" >&2
        exit 1
    fi
    echo "$SCRIPT_NAME: all $CHECKS checks passed"
    exit 0
}

# ---- running tools ---------------------------------------------------------------------------

# run CMD ARGS...: runs a command with stdout in $T/.stdout and stderr in $T/.stderr (no stdin),
# sets RC and LAST_CMD. Use run_in FILE CMD... to feed stdin from FILE.
run() {
    LAST_CMD="$*"
    "$@" </dev/null >"$T/.stdout" 2>"$T/.stderr"
    RC=$?
}

run_in() {
    local input=$1
    shift
    LAST_CMD="$* < $input"
    "$@" <"$input" >"$T/.stdout" 2>"$T/.stderr"
    RC=$?
}

out() { cat "$T/.stdout"; }
err() { cat "$T/.stderr"; }

# expect_rc N WHAT: the last run exited with N.
expect_rc() {
    if [ "$RC" -eq "$1" ]; then ok; else fail "$2: expected exit $1, got $RC"; fi
}

# expect_no_crash WHAT: the last run was not killed by a signal (exit < 128).
expect_no_crash() {
    if [ "$RC" -lt 128 ]; then ok; else fail "$1: killed by a signal (exit $RC)"; fi
}

expect_stdout_empty() {
    if [ ! -s "$T/.stdout" ]; then ok; else fail "$1: expected nothing on stdout, got $(head -c 200 "$T/.stdout" | tr -d '\0')"; fi
}

expect_stderr_empty() {
    if [ ! -s "$T/.stderr" ]; then ok; else fail "$1: expected nothing on stderr"; fi
}

# expect_stdout_has TEXT WHAT / expect_stderr_has TEXT WHAT (fixed string, case sensitive).
expect_stdout_has() {
    if grep -qF -- "$1" "$T/.stdout"; then ok; else fail "$2: stdout lacks '$1'"; fi
}

expect_stderr_has() {
    if grep -qF -- "$1" "$T/.stderr"; then ok; else fail "$2: stderr lacks '$1'"; fi
}

# expect_stderr_has_i TEXT WHAT: case-insensitive.
expect_stderr_has_i() {
    if grep -qiF -- "$1" "$T/.stderr"; then ok; else fail "$2: stderr lacks '$1' (any case)"; fi
}

# expect_one_error_line TOOL FILE WHAT: stderr is exactly one line, it starts with "TOOL:" and
# names FILE.
expect_one_error_line() {
    local tool=$1 file=$2 what=$3 lines
    lines=$(wc -l <"$T/.stderr")
    if [ "$lines" -eq 1 ]; then ok; else fail "$what: expected one line on stderr, got $lines"; fi
    if head -n 1 "$T/.stderr" | grep -q "^$tool: "; then ok; else
        fail "$what: stderr does not start with '$tool: '"
    fi
    if grep -qF -- "$file" "$T/.stderr"; then ok; else fail "$what: stderr does not name '$file'"; fi
}

# same_files A B WHAT: byte-identical.
expect_same_file() {
    if cmp -s "$1" "$2"; then ok; else fail "$3: $1 and $2 differ"; fi
}

# ---- data helpers ----------------------------------------------------------------------------

# have_python: /usr/bin/python3 with netCDF4 and xarray.
have_python() {
    [ -x "$PYTHON" ] && "$PYTHON" -c 'import netCDF4, xarray, numpy' >/dev/null 2>&1
}

have_ncdump() {
    command -v ncdump >/dev/null 2>&1 && command -v ncgen >/dev/null 2>&1
}

# same_variables A B WHAT: every variable of A is in B with the same values bit for bit
# (python ==; ncdump does not print every digit), else the data sections of ncdump equal.
same_variables() {
    if have_python; then
        LAST_CMD="python3 compare variables $1 $2"
        "$PYTHON" - "$1" "$2" >"$T/.stdout" 2>"$T/.stderr" <<'EOF'
import sys, numpy as np, netCDF4
a, b = netCDF4.Dataset(sys.argv[1]), netCDF4.Dataset(sys.argv[2])
bad = [] if a.variables else ["no variables"]
for n, v in a.variables.items():
    if n not in b.variables:
        bad.append(f"{n}: not in {sys.argv[2]}")
        continue
    x, y = np.asarray(v[:]), np.asarray(b.variables[n][:])
    if x.shape != y.shape or not np.array_equal(x, y):
        diff = np.max(np.abs(x.astype(float) - y.astype(float))) if x.shape == y.shape else "shape"
        bad.append(f"{n}: differs (max abs diff {diff})")
print("\n".join(bad))
sys.exit(1 if bad else 0)
EOF
        RC=$?
        if [ $RC -eq 0 ]; then ok; else fail "$3: $(cat "$T/.stdout")"; fi
    elif have_ncdump; then
        if cmp -s <(ncdump "$1" | sed -n '/^data:/,$p') <(ncdump "$2" | sed -n '/^data:/,$p'); then
            ok
        else
            fail "$3: ncdump data differ"
        fi
    else
        skip "neither python3 with netCDF4 nor ncdump to compare the variables"
    fi
}

# ncdump_nohistory FILE: ncdump output without the history attribute lines (the attribute can
# span several lines in CDL: a line starting with ':history = ' and continuation lines until
# the one ending in ' ;'), and without the name line.
ncdump_nohistory() {
    ncdump "$1" | awk '
        skipping { if ($0 ~ / ;$/) skipping = 0; next }
        /^\t\t:history = / { if ($0 !~ / ;$/) skipping = 1; next }
        /^netcdf / { next }
        { print }'
}

# cdl_to_nc CDLFILE NCFILE: ncgen into a classic file.
cdl_to_nc() {
    ncgen -k nc3 -o "$2" "$1"
}

# stat_of INFO_OUTPUT_FILE VARIABLE COLUMN: a column (min, max, mean, nan, inf) from the
# statistics table that sciml-info prints.
stat_of() {
    awk -v var="$2" -v col="$3" '
        /^variable +type +shape/ {
            in_table = 1
            for (i = 1; i <= NF; i++) if ($i == col) want = i
            next
        }
        in_table && $1 == var {
            # the shape column "(3, 4)" may hold spaces: count fields from the end
            n = NF; offset = 0
            if (col == "min") offset = 4; else if (col == "max") offset = 3
            else if (col == "mean") offset = 2; else if (col == "nan") offset = 1
            else if (col == "inf") offset = 0
            print $(n - offset)
            exit
        }' "$1"
}

# float_lt A B: A < B (numbers in any awk-readable notation).
float_lt() {
    awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 < b + 0) }'
}

# rel_l2_of CMP_OUTPUT_FILE VARIABLE: the rel_l2 column of sciml-cmp output.
rel_l2_of() {
    awk -v var="$2" '$1 == var { print $2; exit }' "$1"
}

# small_oscillator FILE SAMPLES SEED [POINTS]: a quick data set.
small_oscillator() {
    sciml-gen oscillator --samples "$2" --seed "$3" --points "${4:-20}" -o "$1"
}

# ncdump_values FILE VAR: the values of one variable as ncdump prints them, one per line.
ncdump_values() {
    ncdump -v "$2" "$1" | awk -v var="$2" '
        !found && $0 ~ "^ " var " =( |$)" { found = 1; sub("^ " var " =", "") }
        found {
            line = $0
            done = (line ~ /;[ \t]*$/)
            sub(/;[ \t]*$/, "", line)
            n = split(line, parts, ",")
            for (i = 1; i <= n; i++) { v = parts[i]; gsub(/[ \t]/, "", v); if (v != "") print v }
            if (done) exit
        }'
}

# memcheck WHAT EXPECTED_RC CMD...: when valgrind is installed, runs CMD under memcheck and
# fails on any invalid read/write/free or use of uninitialised memory (leaks are not counted);
# then checks the exit status. Without valgrind it runs the command plainly.
memcheck() {
    local what=$1 expected=$2
    shift 2
    if ! command -v valgrind >/dev/null 2>&1; then
        run "$@"
        expect_rc "$expected" "$what"
        return
    fi
    LAST_CMD="valgrind $*"
    : >"$T/.valgrind"
    valgrind -q --error-exitcode=99 --leak-check=no --log-file="$T/.valgrind" "$@" \
        </dev/null >"$T/.stdout" 2>"$T/.stderr"
    RC=$?
    if [ "$RC" -eq 99 ] || [ -s "$T/.valgrind" ]; then
        fail "$what: valgrind reports memory errors"
        head -n 12 "$T/.valgrind" | sed 's/^/    /' >&2
    else
        ok
        expect_rc "$expected" "$what"
    fi
}
