#!/usr/bin/env bash
# The CLI's refusals: one line naming the file and what was expected, a non-zero exit, no output file.
# usage: cli_errors_test.sh PATH/TO/cnnv3-shadergen SOURCE_ROOT
set -u
exe=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
check() {  # check NAME EXPECTED_EXIT PATTERN -- command...
    local name=$1 want=$2 pattern=$3
    shift 4
    "$@" >"$work/out" 2>"$work/err"
    local rc=$?
    if [ "$rc" -ne "$want" ]; then
        echo "FAIL $name: exit $rc, expected $want"; cat "$work/err"; fail=1; return
    fi
    if [ -n "$pattern" ] && ! head -n1 "$work/err" | grep -q -- "$pattern"; then
        echo "FAIL $name: first stderr line lacks '$pattern':"; cat "$work/err"; fail=1; return
    fi
    echo "ok   $name"
}

model="$work/model"
mkdir -p "$model"
cp "$src"/tests/vectors/test-random-48/cnn_v3_weights.bin "$src"/tests/vectors/test-random-48/cnn_v3_film_mlp.bin \
   "$src"/tests/vectors/test-random-48/model.json "$model"/
printf '\x89PNG\r\n\x1a\n' >"$work/notreally.png"
cp "$src/samples/photo_chelsea.png" "$work/in.png"

check info-ok 0 "" -- "$exe" info --model "$model"
grep -q "declared in model.json" "$work/out" || { echo "FAIL info-declared: info does not say the config is declared"; fail=1; }

truncate -s -2 "$model/cnn_v3_weights.bin"
check truncated-weights 1 "cnn_v3_weights.bin: .*expected 4952 bytes" -- "$exe" reference --model "$model" "$work/in.png" "$work/out.png"
[ -e "$work/out.png" ] && { echo "FAIL truncated-weights left an output file"; fail=1; }

rm "$model/model.json"
check truncated-no-manifest 1 "cnn_v3_weights.bin: " -- "$exe" info --model "$model"
cp "$src"/tests/vectors/test-random-48/cnn_v3_weights.bin "$model"/
check inferred 0 "" -- "$exe" info --model "$model"
grep -q "inferred from the sizes of both .bin files" "$work/out" || { echo "FAIL inferred: info does not say the shape was inferred"; fail=1; }

check bad-png 1 "notreally.png: " -- "$exe" reference --model "$model" "$work/notreally.png" "$work/out.png"
check missing-png 1 "nothere.png: " -- "$exe" reference --model "$model" "$work/nothere.png" "$work/out.png"
check bad-cond 2 "--cond" -- "$exe" reference --model "$model" --cond 0,0,2,0,0 "$work/in.png" "$work/out.png"
check short-cond 2 "--cond has 3 values" -- "$exe" reference --model "$model" --cond 0,0,1 "$work/in.png" "$work/out.png"
check no-model 2 "--model DIR is required" -- "$exe" info
check missing-model 1 "/nonexistent: not a directory" -- "$exe" info --model /nonexistent
check unwritable-out 1 "out.png: " -- "$exe" reference --model "$model" "$work/in.png" /nonexistent/out.png
check ok-run 0 "" -- "$exe" reference --model "$model" "$work/in.png" "$work/out.png"
[ -s "$work/out.png" ] || { echo "FAIL ok-run wrote no output"; fail=1; }
ls -A "$work" | grep -q -- "\.cnnv3-" && { echo "FAIL a temporary file was left behind"; fail=1; }
exit $fail
