# sciml-cmp: relative L2 numbers, --tol exit status, shape and sample-count mismatches,
# no common variable, --variables.
. "$(dirname "$0")/lib.sh"

small_oscillator a.nc 30 1 12 2>/dev/null
small_oscillator b.nc 30 2 12 2>/dev/null

section "identical files: rel_l2 0, exit 0 with --tol 0"
run sciml-cmp --tol 0 a.nc a.nc
expect_rc 0 "identical files --tol 0"
for v in t x y; do
    rel=$(rel_l2_of "$T/.stdout" $v)
    if [ "$rel" = "0.000000e+00" ]; then ok; else fail "identical files: rel_l2 of $v is '$rel'"; fi
done
expect_stderr_empty "identical files"
expect_stdout_has "rel_l2" "header line"
# a copy streamed through stdin
run_in a.nc sciml-cmp --tol 0 - a.nc
expect_rc 0 "identical, first on stdin"
run_in a.nc sciml-cmp --tol 0 a.nc -
expect_rc 0 "identical, reference on stdin"

section "different data: exit 0 without --tol, 1 with a small --tol"
run sciml-cmp b.nc a.nc
expect_rc 0 "different files without --tol"
rel=$(rel_l2_of "$T/.stdout" y)
if float_lt 0.01 "$rel"; then ok; else fail "different data sets: rel_l2 of y = '$rel' is suspiciously small"; fi
run sciml-cmp --tol 1e-6 b.nc a.nc
expect_rc 1 "different files --tol 1e-6"
expect_stderr_has "exceeds" "--tol failure message"
expect_stderr_has "'y'" "--tol failure names the variable"
run sciml-cmp --tol 1e-6 -q b.nc a.nc
expect_rc 1 "-q: exit status only"
expect_stdout_empty "-q"
run sciml-cmp --tol 1e9 b.nc a.nc
expect_rc 0 "--tol 1e9 accepts anything finite"

section "a perturbed copy (ncdump, edit one value, ncgen)"
if have_ncdump; then
    ncdump a.nc >a.cdl
    cdl_to_nc a.cdl roundtrip.nc
    # the text round trip is exact up to ncdump's printed digits
    run sciml-cmp --tol 1e-12 roundtrip.nc a.nc
    expect_rc 0 "ncdump/ncgen round trip within 1e-12"
    # scale the first value of y by 1.5
    awk '
        /^ y =/ { in_y = 1; print; next }
        in_y && !done { sub(/^ +/, ""); split($0, parts, ","); v = parts[1] * 1.5
                        sub(/^[^,;]+/, sprintf("%.17g", v)); print "  " $0; done = 1; next }
        { print }' a.cdl >perturbed.cdl
    cdl_to_nc perturbed.cdl perturbed.nc
    run sciml-cmp --tol 1e-6 perturbed.nc a.nc
    expect_rc 1 "perturbed file exceeds --tol 1e-6"
    run sciml-cmp perturbed.nc a.nc
    rel_y=$(rel_l2_of "$T/.stdout" y)
    rel_x=$(rel_l2_of "$T/.stdout" x)
    if float_lt 1e-6 "$rel_y" && float_lt "$rel_y" 0.5; then ok; else
        fail "perturbed y: rel_l2 '$rel_y' not in (1e-6, 0.5)"
    fi
    if float_lt "$rel_x" 1e-12; then ok; else fail "perturbed y only, but x rel_l2 = '$rel_x'"; fi
    run sciml-cmp --tol 1e-6 -v x,t perturbed.nc a.nc
    expect_rc 0 "--variables x,t skips the perturbed y"
    if ! grep -q '^y ' "$T/.stdout"; then ok; else fail "--variables x,t still prints y"; fi
    # rel_l2 is computed against the second file: ||a-b|| / ||b||
    python_ok=0
    have_python && python_ok=1
    if [ $python_ok -eq 1 ]; then
        run sciml-cmp perturbed.nc a.nc
        rel=$(rel_l2_of "$T/.stdout" y)
        expected=$("$PYTHON" -c '
import netCDF4, numpy as np, sys
a = netCDF4.Dataset(sys.argv[1]).variables["y"][:].astype(float)
b = netCDF4.Dataset(sys.argv[2]).variables["y"][:].astype(float)
print("%.6e" % (np.linalg.norm(a - b) / np.linalg.norm(b)))' perturbed.nc a.nc 2>/dev/null)
        if [ "$rel" = "$expected" ]; then ok; else fail "rel_l2 of y '$rel', numpy says '$expected'"; fi
    fi

    section "NaN in a file: rel_l2 NaN, --tol fails"
    awk '/^ y =/ { in_y = 1; print; next }
         in_y && !done { sub(/^ +[^,]+/, "  NaN"); print; done = 1; next } { print }' a.cdl >nan.cdl
    cdl_to_nc nan.cdl nan.nc
    run sciml-cmp --tol 1e9 nan.nc a.nc
    expect_rc 1 "NaN exceeds any --tol"
    expect_no_crash "NaN compare"
    nonfinite=$(awk '$1 == "y" { print $5 }' "$T/.stdout")
    [ "$nonfinite" = "1" ] && ok || fail "nonfinite count of y is '$nonfinite', expected 1"
else
    echo "ncdump/ncgen not found: skipping the perturbed-file checks" >&2
fi

section "mismatched shapes and sample counts exit 1 naming both files"
small_oscillator p16.nc 30 1 16 2>/dev/null
run sciml-cmp p16.nc a.nc
expect_rc 1 "different time points"
expect_stdout_empty "shape mismatch prints no table"
expect_stderr_has "p16.nc" "shape mismatch names the first file"
expect_stderr_has "a.nc" "shape mismatch names the second file"
expect_stderr_has "sciml-cmp: " "shape mismatch message prefix"
small_oscillator n40.nc 40 1 12 2>/dev/null
for order in "n40.nc a.nc" "a.nc n40.nc"; do
    # shellcheck disable=SC2086
    run sciml-cmp $order
    expect_rc 1 "sample counts 40/30 ($order)"
    expect_stderr_has "n40.nc" "sample count mismatch names n40.nc ($order)"
    expect_stderr_has "a.nc" "sample count mismatch names a.nc ($order)"
    expect_stderr_has "40" "sample count mismatch gives 40 ($order)"
    expect_stderr_has "30" "sample count mismatch gives 30 ($order)"
done
# the same through stdin (the count is read from the stream header)
run_in n40.nc sciml-cmp - a.nc
expect_rc 1 "sample counts, first on stdin"
expect_stderr_has "a.nc" "stdin sample count mismatch names a.nc"
# a 1D grf field vs a 2D one with the same variable name
sciml-gen grf --samples 2 --resolution 16 -o g1.nc 2>/dev/null
sciml-gen grf --dims 2 --samples 2 --resolution 4 -o g2.nc 2>/dev/null
run sciml-cmp g2.nc g1.nc
expect_rc 1 "1D vs 2D field"
expect_stderr_has "g1.nc" "1D vs 2D names g1.nc"
expect_stderr_has "g2.nc" "1D vs 2D names g2.nc"

section "no common variable exits 1"
sciml-gen grf --samples 2 --resolution 8 --name u -o u.nc 2>/dev/null
if have_ncdump; then
    cat >z.cdl <<'EOF'
netcdf z {
dimensions:
	n = 3 ;
variables:
	double z(n) ;
data:
 z = 1, 2, 3 ;
}
EOF
    cdl_to_nc z.cdl z.nc
    run sciml-cmp z.nc a.nc
    expect_rc 1 "no common variable"
    expect_stderr_has "common" "no common variable message"
    expect_stderr_has "z.nc" "no common variable names z.nc"
    expect_stderr_has "a.nc" "no common variable names a.nc"
    expect_stdout_empty "no common variable"
fi
run sciml-cmp -v nosuch a.nc a.nc
expect_rc 1 "--variables with an unknown name"
expect_stderr_has "nosuch" "unknown --variables name is named"

section "fixed-size variables are compared too"
run sciml-cmp -v t a.nc p16.nc
expect_rc 1 "t(12) vs t(16)"

finish
