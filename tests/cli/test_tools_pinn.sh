#!/usr/bin/env bash
# The PINN workflow in pipes: sciml-gen burgers-ref makes the Cole-Hopf reference (grid and
# points), sciml-train pinn trains short Burgers and Poisson networks, sciml-pinn evaluates
# them on grids, at points read from a pipe and against --ref; --hard-bc meets the boundary and
# initial data exactly in the model sciml-pinn evaluates; the bad-input cases of the
# issue: an unknown PDE or coefficient, a reference on a different grid, observations outside
# the domain: one error line naming what is wrong, exit 1, nothing written; usage errors exit 2.
. "$(dirname "$0")/lib.sh"

section "reference: sciml-gen burgers-ref"
run sciml-gen burgers-ref --grid 64,20 --quadrature 400 -o ref.nc
expect_rc 0 "sciml-gen burgers-ref"
if have_ncdump; then
    run ncdump -h ref.nc
    expect_stdout_has 'double u(t, x)' "u over (t, x)"
    expect_stdout_has 'pde = "burgers"' "pde attribute"
fi
run sciml-gen burgers-ref --points 40 --noise 0.01 --quadrature 400 -o obs.nc
expect_rc 0 "observations at random points"
run sciml-gen burgers-ref --noise 0.01
expect_rc 2 "--noise without --points is a usage error"

section "train a short Burgers PINN, evaluate against the reference"
run sciml-train pinn --pde burgers --interior 300 --boundary 40 --initial 60 --iterations 150 \
    --lbfgs-iterations 60 --seed 1 --log log.jsonl -o burgers.nc
expect_rc 0 "sciml-train pinn --pde burgers"
expect_stderr_has "relative L2 error against the Cole-Hopf reference" "summary reports the error"
expect_stderr_has "ms/step" "summary reports the time per Adam step"
check "the log has the Adam lines (1 and 100)" test "$(grep -c '"phase": "adam"' log.jsonl)" -eq 2
run sciml-pinn -m burgers.nc --ref ref.nc
expect_rc 0 "sciml-pinn --ref (grid taken from the reference)"
error=$(sed -n 's/.*: \([0-9.e+-]*\)$/\1/p' "$T/.stdout")
echo "relative L2 error after a short run: $error"
check "error below 0.8 ($error)" float_lt "$error" 0.8
check "error above 1e-3 (a short run cannot be that good: $error)" float_lt 1e-3 "$error"
sciml-gen burgers-ref --points 25 --quadrature 400 | sciml-pinn -m burgers.nc --points - \
    --residual >points_out.nc
check "gen | sciml-pinn --points - succeeds" test $? -eq 0
if have_ncdump; then
    run ncdump -h points_out.nc
    expect_stdout_has 'double r(point)' "residual written at the points"
    expect_stdout_has 'point = 25' "25 points"
fi
sciml-pinn -m burgers.nc --grid 16,5 --residual | sciml-pinn -m burgers.nc --grid 16,5 --ref - \
    >pipe_cmp.txt
check "sciml-pinn | sciml-pinn --ref - succeeds" test $? -eq 0
check "a model against its own field: error 0" grep -q 'against -: 0.000000e+00' pipe_cmp.txt

section "Poisson 1D against its exact solution"
run sciml-train pinn --pde poisson1d --hidden 16,16 --interior 64 --iterations 200 \
    --lbfgs-iterations 200 --seed 1 -o poisson.nc
expect_rc 0 "sciml-train pinn --pde poisson1d"
perror=$(sed -n 's/.*exact solution: \([0-9.e+-]*\)$/\1/p' "$T/.stderr")
echo "Poisson 1D relative L2 error: $perror"
check "Poisson 1D error below 5e-3 ($perror)" float_lt "$perror" 5e-3

section "hard constraints: --hard-bc"
run sciml-train pinn --pde burgers --hard-bc --interior 300 --iterations 150 \
    --lbfgs-iterations 60 --seed 1 --log hard.jsonl -o hard.nc
expect_rc 0 "sciml-train pinn --pde burgers --hard-bc"
expect_stderr_has "boundary exact, initial exact" "the summary says the conditions are met exactly"
check "the log has no boundary or initial terms" test "$(grep -c '"initial"' hard.jsonl)" -eq 0
if have_ncdump; then
    run ncdump -h hard.nc
    expect_stdout_has 'output_transform = "u = -sin(pi x) + t (1 - x^2) N"' "transform attribute"
    # sciml-pinn evaluates the constrained u: 0 on x = -1 and 1, -sin(pi x) at t = 0
    sciml-pinn -m hard.nc --grid 5,3 --domain -1,1,0,1 -o faces.nc
    check "sciml-pinn evaluates a --hard-bc model" test $? -eq 0
    ncdump_values faces.nc u >faces.txt
    check "the --hard-bc model meets the boundary and initial data" awk '
        BEGIN { pi = atan2(0, -1) }
        { v[NR - 1] = $1 }
        END {
            if (NR != 15) exit 1
            for (i = 0; i < 5; i++) { x = -1 + 0.5 * i; d = v[i] + sin(pi * x); if (d * d > 1e-24) exit 1 }
            for (i = 5; i < 15; i++) if ((i % 5 == 0 || i % 5 == 4) && v[i] * v[i] > 1e-24) exit 1
            if (v[7] * v[7] < 1e-20) exit 1   # inside: the network, not zero
        }' faces.txt
fi
run sciml-train pinn --pde kovasznay --hard-bc --iterations 1 --lbfgs-iterations 0 -o bad.nc
expect_rc 1 "--hard-bc for a PDE without a transform"
expect_one_error_line sciml-train "kovasznay has no output transform" "no transform"
check "no model written without a transform" test ! -e bad.nc

section "--ref compares every output (Kovasznay: u, v, p; p mean-free)"
run sciml-train pinn --pde kovasznay --hidden 8 --interior 50 --boundary 20 --iterations 20 \
    --lbfgs-iterations 0 -q -o kov.nc
expect_rc 0 "a tiny Kovasznay model"
sciml-pinn -m kov.nc --grid 3,3 -o kov_field.nc
check "sciml-pinn writes u, v, p" test $? -eq 0
run sciml-pinn -m kov.nc --ref kov_field.nc
expect_rc 0 "sciml-pinn --ref with three outputs"
check "one line per output" test "$(grep -c 'relative L2 error of' "$T/.stdout")" -eq 3
expect_stdout_has "error of v against kov_field.nc: 0.000000e+00" "v against itself"
expect_stdout_has "error of p (mean-free) against kov_field.nc: 0.000000e+00" "p against itself"
if have_ncdump; then
    # the reference without v and with p shifted by 5: u and p (mean-free) still agree
    {
        echo "netcdf shifted {"
        echo "dimensions:"
        echo " x = 3 ; y = 3 ;"
        echo "variables:"
        echo " double x(x) ; double y(y) ; double u(y, x) ; double p(y, x) ;"
        echo "data:"
        for var in x y u; do
            echo " $var = $(ncdump_values kov_field.nc $var | paste -sd, -) ;"
        done
        echo " p = $(ncdump_values kov_field.nc p | awk '{ printf "%s%.17g", (NR > 1 ? "," : ""), $1 + 5 }') ;"
        echo "}"
    } >shifted.cdl
    cdl_to_nc shifted.cdl shifted.nc
    run sciml-pinn -m kov.nc --ref shifted.nc
    expect_rc 0 "a reference with u and a shifted p"
    check "v is not in the reference: two lines" \
        test "$(grep -c 'relative L2 error of' "$T/.stdout")" -eq 2
    perror=$(sed -n 's/^relative L2 error of p (mean-free) against shifted.nc: \(.*\)$/\1/p' \
        "$T/.stdout")
    check "p shifted by a constant: mean-free error 0 ($perror)" float_lt "$perror" 1e-9
    uerror=$(sed -n 's/^relative L2 error of u against shifted.nc: \(.*\)$/\1/p' "$T/.stdout")
    check "u error 0 ($uerror)" float_lt "$uerror" 1e-9
    sed -e 's/ u(y, x) ; double p(y, x) ;/ w(y, x) ;/' -e '/^ [up] = /d' \
        -e 's/^ y = \(.*\)$/ y = \1\n w = 1, 2, 3, 4, 5, 6, 7, 8, 9 ;/' shifted.cdl >none.cdl
    cdl_to_nc none.cdl none.nc
    run sciml-pinn -m kov.nc --ref none.nc -o none_out.nc
    expect_rc 1 "a reference with none of the outputs"
    expect_one_error_line sciml-pinn "none.nc" "no output in the reference"
    check "nothing written without a reference field" test ! -e none_out.nc
fi

section "sub-command help agrees with the man pages"
# test_man_pages.sh checks each tool's main --help; the pinn mode and burgers-ref have their own.
man_text() {
    sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\%//g' "$SCIML_SOURCE_DIR/man/$1"
}
for pair in "sciml-train pinn:sciml-train.1" "sciml-gen burgers-ref:sciml-gen.1"; do
    command=${pair%%:*}
    page=${pair##*:}
    help=$($command --help)
    check "$command --help exits 0" test $? -eq 0
    for option in $(printf '%s\n' "$help" | grep -o -- '--[a-z-]*' | grep -v -- '^--$' | sort -u); do
        check "$page mentions $option ($command)" grep -qE -- "(^|[^a-z-])$option([^a-z-]|\$)" \
            <(man_text "$page")
    done
done

section "bad input: one error line, exit 1, nothing written"
run sciml-train pinn --pde navier -o bad.nc
expect_rc 1 "unknown PDE"
expect_one_error_line sciml-train navier "unknown PDE"
check "no model written for an unknown PDE" test ! -e bad.nc
run sciml-train pinn --pde poisson2d --nu 0.1 -o bad.nc
expect_rc 1 "a coefficient poisson2d does not have"
expect_one_error_line sciml-train "'nu'" "unknown coefficient"
check "no model written for an unknown coefficient" test ! -e bad.nc
run sciml-train pinn --pde burgers --unknown kappa --data obs.nc -o bad.nc
expect_rc 1 "unknown coefficient to learn"
expect_one_error_line sciml-train kappa "unknown --unknown"
run sciml-pinn -m burgers.nc --grid 32,20 --ref ref.nc -o out.nc
expect_rc 1 "reference on a different grid"
expect_one_error_line sciml-pinn ref.nc "reference on a different grid"
check "nothing written for a reference on another grid" test ! -e out.nc
if have_ncdump; then
    cat >outside.cdl <<'CDL'
netcdf outside {
dimensions:
	point = 3 ;
variables:
	double x(point) ;
	double t(point) ;
	double u(point) ;
data:
 x = -0.5, 0.2, 0.3 ;
 t = 0.5, 1.5, 0.1 ;
 u = 0.1, 0.2, 0.3 ;
}
CDL
    cdl_to_nc outside.cdl outside.nc
    run sciml-train pinn --pde burgers --unknown nu --data outside.nc --iterations 1 \
        --lbfgs-iterations 0 -o bad.nc
    expect_rc 1 "observations outside the domain"
    expect_one_error_line sciml-train "t 1.5" "observation outside the domain"
    check "no model written for observations outside the domain" test ! -e bad.nc
    sed -e 's/t = 0.5, 1.5, 0.1/t = 0.5, 0.5, 0.1/' -e 's/u = 0.1, 0.2, 0.3/u = 0.1, 1e300, 0.3/' \
        outside.cdl >huge.cdl
    cdl_to_nc huge.cdl huge.nc
    run sciml-train pinn --pde burgers --data huge.nc --interior 50 --iterations 5 \
        --lbfgs-iterations 0 -o diverged.nc
    expect_rc 1 "a loss that overflows"
    expect_stderr_has "not finite at Adam step 1" "the message names the step"
    check "the model is not written after divergence" test ! -e diverged.nc
    check "the last finite model is kept in the checkpoint" test -s diverged.nc.ckpt
fi
run sciml-train pinn -o bad.nc
expect_rc 2 "missing --pde is a usage error"
run sciml-train pinn --pde burgers --unknown nu -o bad.nc
expect_rc 2 "--unknown without --data is a usage error"
run sciml-pinn --grid 10
expect_rc 2 "sciml-pinn without -m is a usage error"

finish
