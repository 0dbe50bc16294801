#!/usr/bin/env bash
# Regenerates every file in data/ with the command data/README gives for it and compares it
# with the stored file: the same header (ncdump -h without history) and every variable equal
# to a relative L2 error of 1e-12 (sciml-cmp), so a change to a generator shows. (Bit-for-bit
# equality is not asserted across machines: FFTW may pick other codelets on another CPU.)
set -euo pipefail
: "${SCIML_BIN:?}" "${SCIML_DATA:?}"
command -v ncdump >/dev/null || { echo "ncdump missing (apt-get install netcdf-bin)"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PATH="$SCIML_BIN:$PATH"
header() { ncdump -h "$1" | grep -v -e ':history' -e '^netcdf' -e '^\s*"[0-9]\{4\}-'; }
checked=0
while read -r file command; do
    case $file in *.nc) ;; *) continue ;; esac
    (cd "$work" && eval "$command")
    if ! diff <(header "$SCIML_DATA/$file") <(header "$work/$file") >"$work/diff"; then
        echo "FAIL: the header of $file differs from a fresh '$command':"
        head -20 "$work/diff"
        exit 1
    fi
    if ! sciml-cmp --tol 1e-12 "$work/$file" "$SCIML_DATA/$file"; then
        echo "FAIL: the data of $file differs from a fresh '$command'"
        exit 1
    fi
    checked=$((checked + 1))
done <"$SCIML_DATA/README"
[ "$checked" -ge 3 ] || { echo "FAIL: only $checked data files checked"; exit 1; }
echo "data golden: $checked files reproduced"
