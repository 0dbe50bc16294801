#!/usr/bin/env bash
# The README's parameter study, two values and few steps: one PINN per viscosity, the final
# loss and relative L2 error collected from the last line of each --log into one table.
. "$(dirname "$0")/lib.sh"

section "a loop over --nu collects the final log lines into a table"
values="0.02 0.05"
for nu in $values; do
    run sciml-train pinn --pde burgers --nu "$nu" --interior 300 --boundary 40 --initial 60 \
        --iterations 100 --lbfgs-iterations 20 --seed 1 -q --log "burgers-$nu.jsonl" \
        -o "burgers-$nu.nc"
    expect_rc 0 "sciml-train pinn --nu $nu"
done
for nu in $values; do
    tail -1 "burgers-$nu.jsonl" |
        sed -n "s/.*\"loss\": \([^,]*\),.*\"rel_l2\": \([^,}]*\).*/$nu \1 \2/p"
done >table.txt
cat table.txt
check "one row per value" test "$(wc -l <table.txt)" -eq 2
check "each final line is the final phase" \
    test "$(grep -c '"phase": "final"' burgers-0.02.jsonl burgers-0.05.jsonl | grep -c ':1$')" -eq 2
while read -r nu loss error; do
    check "nu $nu: finite positive loss ($loss)" float_lt 0 "$loss"
    check "nu $nu: an error between 0 and 1 ($error)" float_lt "$error" 1
    check "nu $nu: the error is a number above 0 ($error)" float_lt 0 "$error"
done <table.txt
check "the two viscosities give different errors" \
    test "$(cut -d' ' -f3 table.txt | sort -u | wc -l)" -eq 2
finish
