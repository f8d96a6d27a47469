#!/usr/bin/env bash
# The CLI's refusals: one line naming the file and what was expected, a non-zero exit, no output file.
# Also hostile model files and small inputs (issue 16) in cnnv3-shadergen and cnnv3, the shadergen
# conventions (--help, --stage, --model NAME) and an Adam7 PNG.
# usage: cli_errors_test.sh PATH/TO/cnnv3-shadergen SOURCE_ROOT PATH/TO/cnnv3 PATH/TO/png_tool
set -u
exe=$1
src=$2
cnnv3=$3
png_tool=$4
source "$(dirname "${BASH_SOURCE[0]}")/e2e_common.sh"  # $work: a scratch folder, the current directory
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
check precision-gone 2 "unknown option --precision" -- "$exe" hook --model "$model" --dynamic --precision fp32 -o "$work/x.glsl"
check bad-cond 2 "--cond" -- "$exe" reference --model "$model" --cond 0,0,2,0,0 "$work/in.png" "$work/out.png"
check short-cond 2 "--cond has 3 values" -- "$exe" reference --model "$model" --cond 0,0,1 "$work/in.png" "$work/out.png"
check missing-model 1 "/nonexistent: " -- "$exe" info --model /nonexistent
check unwritable-out 1 "out.png: " -- "$exe" reference --model "$model" "$work/in.png" /nonexistent/out.png
check ok-run 0 "" -- "$exe" reference --model "$model" "$work/in.png" "$work/out.png"
[ -s "$work/out.png" ] || { echo "FAIL ok-run wrote no output"; fail=1; }
ls -A "$work" | grep -q -- "\.cnnv3-" && { echo "FAIL a temporary file was left behind"; fail=1; }

# --- one line on stderr (the refusal), nothing more
one_line() {  # one_line NAME
    [ "$(wc -l <"$work/err")" -eq 1 ] || { echo "FAIL $1: stderr is not one line:"; cat "$work/err"; fail=1; }
}

# --- cnnv3-shadergen conventions (issue 10 pt 7, issue 16 "Generated shader files")
check help 0 "" -- "$exe" --help
grep -q "^usage: cnnv3-shadergen" "$work/out" || { echo "FAIL help: usage not on stdout"; fail=1; }
[ -s "$work/err" ] && { echo "FAIL help: wrote to stderr"; fail=1; }
check help-after-command 0 "" -- "$exe" hook --help
good_model="$work/good-model"
mkdir -p "$good_model"
cp "$src"/tests/vectors/test-random-48/{cnn_v3_weights.bin,cnn_v3_film_mlp.bin,model.json} "$good_model"/
check stage-injection 2 '--stage "MAIN.n//!BIND EVIL" is not a texture mpv can hook' -- \
    "$exe" hook --model "$good_model" --dynamic --stage $'MAIN\n//!BIND EVIL' -o "$work/evil.glsl"
one_line stage-injection
[ -e "$work/evil.glsl" ] && { echo "FAIL stage-injection wrote a hook file"; fail=1; }
check stage-empty 2 "--stage \"\" is not a texture" -- "$exe" hook --model "$good_model" --dynamic --stage '' -o "$work/e.glsl"
check stage-lowercase 2 "is not a texture" -- "$exe" hook --model "$good_model" --dynamic --stage main -o "$work/e.glsl"
check stage-luma 0 "" -- "$exe" hook --model "$good_model" --dynamic --stage LUMA -o "$work/luma.glsl"
grep -q "^//!HOOK LUMA$" "$work/luma.glsl" || { echo "FAIL stage-luma: no //!HOOK LUMA line"; fail=1; }
check unknown-option-one-line 2 "unknown option --frobnicate" -- "$exe" info --frobnicate
one_line unknown-option-one-line
# --model NAME: found in the weights directories like `cnnv3 --model NAME` (model_search.h). The
# search-path variable is set under both names (CNNV3_WEIGHTS today, CNNV3_MODEL_PATH per issue 10).
mkdir -p "$work/weights"
cp -r "$good_model" "$work/weights/my-model"
CNNV3_WEIGHTS="$work/weights" CNNV3_MODEL_PATH="$work/weights" \
    check model-by-name 0 "" -- "$exe" info --model my-model
grep -q "weights/my-model" "$work/out" || { echo "FAIL model-by-name: info does not show the directory found"; cat "$work/out"; fail=1; }
CNNV3_WEIGHTS="$work/weights" CNNV3_MODEL_PATH="$work/weights" \
    check model-unknown-name 1 "no-such-model: " -- "$exe" info --model no-such-model
echo my-model >"$work/weights/DEFAULT"
CNNV3_WEIGHTS="$work/weights" CNNV3_MODEL_PATH="$work/weights" \
    check model-default 0 "" -- "$exe" info
grep -q "weights/my-model" "$work/out" || { echo "FAIL model-default: info without --model is not the DEFAULT model"; fail=1; }

# --- an interlaced (Adam7) PNG gives the same picture as the progressive one (issue 16)
"$png_tool" crop-tile "$src/samples/photo_chelsea.png" 37 23 "$work/prog.png" || fail=1
"$png_tool" interlace "$work/prog.png" "$work/adam7.png" || fail=1
[ "$(od -An -j28 -N1 -tu1 "$work/adam7.png" | tr -d ' ')" = 1 ] || { echo "FAIL adam7.png is not interlaced"; fail=1; }
check reference-progressive 0 "" -- "$exe" reference --model "$good_model" "$work/prog.png" "$work/prog-out.png"
check reference-adam7 0 "" -- "$exe" reference --model "$good_model" "$work/adam7.png" "$work/adam7-out.png"
cmp -s "$work/prog-out.png" "$work/adam7-out.png" || { echo "FAIL reference of the Adam7 PNG differs from the progressive one"; fail=1; }
mkfifo "$work/pipe.png"
check png-fifo 1 "pipe.png: is a named pipe" -- timeout 10 "$exe" reference --model "$good_model" "$work/pipe.png" "$work/o.png"

# --- hostile model files (issue 16): refused with one line naming the file, never a crash or hang,
# and under a 500 MB address-space limit (huge files are refused by their size, never read).
# Sanitizer builds reserve terabytes of shadow memory and cannot run under that limit.
limit="ulimit -v 500000;"
(ulimit -v 500000; "$exe" info --model "$work/no-such-dir" 2>&1) 2>/dev/null | grep -q "no-such-dir: " ||
    { echo "note: $exe cannot start under ulimit -v 500000 (a sanitizer build): no memory limit"; limit=""; }
hostile() {  # hostile NAME PATTERN -- command... : exit 1 within 10 s, one line matching PATTERN
    local name=$1 pattern=$2
    shift 3
    check "$name" 1 "$pattern" -- bash -c "$limit exec timeout 10 \"\$@\"" _ "$@"
    one_line "$name"
}
fresh_model() {  # fresh_model DIR: a valid model directory
    rm -rf "$1" && mkdir -p "$1" && cp "$good_model"/* "$1"/
}
deep=$work/deep
fresh_model "$deep"
{ printf '{"format":"cnnv3-model","version":'; head -c 300000 /dev/zero | tr '\0' '['; head -c 300000 /dev/zero | tr '\0' ']'; printf '}'; } >"$deep/model.json"
for cmd in info reference hook; do
    case $cmd in
        info) args=() ;;
        reference) args=("$work/prog.png" "$work/deep-out.png") ;;
        hook) args=(--dynamic -o "$work/deep.glsl") ;;
    esac
    hostile "deep-json-$cmd" "deep/model.json: nested deeper than 64 levels" -- "$exe" "$cmd" --model "$deep" "${args[@]}"
done
deep_enc=$work/deep-enc
fresh_model "$deep_enc"
python3 - "$deep_enc/model.json" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
text, n = re.subn(r'("enc_channels"\s*:\s*)\[[^\]]*\]', lambda m: m.group(1) + "[" * 200000 + "]" * 200000, text)
assert n == 1
open(sys.argv[1], "w").write(text)
PY
hostile deep-enc-channels "deep-enc/model.json: nested deeper" -- "$exe" info --model "$deep_enc"
m=$work/hostile
fresh_model "$m"; rm "$m/model.json"; mkdir "$m/model.json"
hostile manifest-dir "hostile/model.json: is a directory (expected a regular file" -- "$exe" info --model "$m"
fresh_model "$m"; rm "$m/cnn_v3_weights.bin"; mkdir "$m/cnn_v3_weights.bin"
hostile weights-dir "hostile/cnn_v3_weights.bin: is a directory (expected a regular file" -- "$exe" info --model "$m"
fresh_model "$m"; rm "$m/model.json"; mkfifo "$m/model.json"
hostile manifest-fifo "hostile/model.json: is a named pipe" -- "$exe" info --model "$m"
fresh_model "$m"; rm "$m/cnn_v3_film_mlp.bin"; mkfifo "$m/cnn_v3_film_mlp.bin"
hostile mlp-fifo "hostile/cnn_v3_film_mlp.bin: is a named pipe" -- "$exe" info --model "$m"
fresh_model "$m"; ln -sf /dev/zero "$m/cnn_v3_weights.bin"
hostile weights-dev-zero "hostile/cnn_v3_weights.bin: is a device" -- "$exe" info --model "$m"
fresh_model "$m"; truncate -s 2G "$m/cnn_v3_weights.bin"
hostile weights-2g "hostile/cnn_v3_weights.bin: 2147483648 bytes is too large" -- "$exe" info --model "$m"
fresh_model "$m"; truncate -s +2G "$m/model.json"
hostile manifest-2g-nuls "hostile/model.json: .* bytes is too large (expected at most 1048576" -- "$exe" info --model "$m"
fresh_model "$m"; head -c 1000 /dev/zero >>"$m/model.json"
hostile manifest-nuls "hostile/model.json: NUL byte" -- "$exe" info --model "$m"
fresh_model "$m"; rm "$m/model.json"; truncate -s 2G "$m/cnn_v3_weights.bin"
hostile weights-2g-no-manifest "hostile/cnn_v3_weights.bin: 2147483648 bytes is too large" -- "$exe" info --model "$m"

# --- the same files in cnnv3 (stylize --model DIR, analyze/stylize with --beats and --cond-track)
printf 'YUV4MPEG2 W8 H8 F25:1 Ip A1:1 C420jpeg\nFRAME\n' >"$work/in.y4m"
head -c 96 /dev/zero | tr '\0' '\200' >>"$work/in.y4m"
python3 -c 'import sys, wave; w = wave.open(sys.argv[1], "wb"); w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000); w.writeframes(bytes(16000)); w.close()' "$work/in.wav"
hostile stylize-deep-json "deep/model.json: nested deeper" -- "$cnnv3" stylize --model "$deep" "$work/in.y4m" "$work/o1.mkv"
fresh_model "$m"; rm "$m/model.json"; mkfifo "$m/model.json"
hostile stylize-manifest-fifo "hostile/model.json: is a named pipe" -- "$cnnv3" stylize --model "$m" "$work/in.y4m" "$work/o2.mkv"
fresh_model "$m"; rm "$m/model.json"; mkdir "$m/model.json"
hostile stylize-manifest-dir "hostile/model.json: is a directory" -- "$cnnv3" stylize --model "$m" "$work/in.y4m" "$work/o3.mkv"
fresh_model "$m"; truncate -s 2G "$m/cnn_v3_weights.bin"
hostile stylize-weights-2g "hostile/cnn_v3_weights.bin: 2147483648 bytes is too large" -- "$cnnv3" stylize --model "$m" "$work/in.y4m" "$work/o4.mkv"
ls "$work"/o[1-4].* >/dev/null 2>&1 && { echo "FAIL stylize left an output file"; fail=1; }
mkfifo "$work/beats.fifo"
hostile analyze-beats-fifo "beats.fifo: is a named pipe" -- "$cnnv3" analyze "$work/in.wav" --beats "$work/beats.fifo"
mkdir "$work/beats.dir"
hostile analyze-beats-dir "beats.dir: is a directory (expected a regular file" -- "$cnnv3" analyze "$work/in.wav" --beats "$work/beats.dir"
ln -s /dev/zero "$work/beats.zero"
hostile analyze-beats-dev-zero "beats.zero: is a device" -- "$cnnv3" analyze "$work/in.wav" --beats "$work/beats.zero"
truncate -s 2G "$work/beats.big"
hostile analyze-beats-2g "beats.big: 2147483648 bytes is too large" -- "$cnnv3" analyze "$work/in.wav" --beats "$work/beats.big"
mkfifo "$work/track.fifo"
hostile stylize-cond-track-fifo "track.fifo: is a named pipe" -- "$cnnv3" stylize --model "$good_model" --cond-track "$work/track.fifo" "$work/in.y4m" "$work/o5.mkv"
# A DEFAULT file that is a named pipe is refused, not waited on (the one small-file reader).
mkdir -p "$work/fifo-weights"
mkfifo "$work/fifo-weights/DEFAULT"
CNNV3_MODEL_PATH="$work/fifo-weights" hostile default-fifo "fifo-weights/DEFAULT: is a named pipe" -- "$exe" info
# `cnnv3 models` reads each model.json and presets.tsv the same way: a named pipe is reported on its
# line, not waited on.
mkdir -p "$work/fifo-models"
fresh_model "$work/fifo-models/piped"; rm "$work/fifo-models/piped/model.json"; mkfifo "$work/fifo-models/piped/model.json"
mkfifo "$work/fifo-models/presets.tsv"
CNNV3_MODEL_PATH="$work/fifo-models" check models-fifo 0 "" -- timeout 10 "$cnnv3" models
grep -q "piped/model.json: is a named pipe" "$work/out" && grep -q "presets.tsv: is a named pipe" "$work/out" ||
    { echo "FAIL models-fifo: the named pipes are not reported:"; cat "$work/out"; fail=1; }
# ... and lists the presets of each model (preset_list.h): comments and short rows skipped.
mkdir -p "$work/list-models"
fresh_model "$work/list-models/m48"
printf '# preset\tmodel\tconditioning\tstrength\ncnnv3_m48_a\tm48\t1,0,0.3,0,1\t1\nshort\tm48\n\ncnnv3_m48_dyn\tm48\tdynamic\t1\nother\tx\t0,0,0,0,0\n' \
    >"$work/list-models/presets.tsv"
CNNV3_MODEL_PATH="$work/list-models" check models-presets 0 "" -- "$cnnv3" models
grep -qx "  presets: cnnv3_m48_a (1,0,0.3,0,1), cnnv3_m48_dyn (dynamic)" "$work/out" ||
    { echo "FAIL models-presets: not the two presets of m48:"; cat "$work/out"; fail=1; }
# An option without its value, in each command's own options and in the shared conditioning ones.
check stylize-option-no-value 2 "^cnnv3: --crf needs a value" -- "$cnnv3" stylize "$work/in.y4m" "$work/o6.mkv" --crf
check analyze-option-no-value 2 "^cnnv3: --bpm needs a value" -- "$cnnv3" analyze "$work/in.wav" --bpm
# A command name or argument with a line break is quoted as an excerpt: the refusal stays one line.
check unknown-command-newline 2 'unknown command "bad?command"' -- "$cnnv3" $'bad\ncommand'
one_line unknown-command-newline
check devices-argument-newline 2 'devices takes no arguments (got x?y)' -- "$cnnv3" devices $'x\ny'
one_line devices-argument-newline
# -x has one parser (parse_encoder_option, shared with bench/encode_alone.cpp): one line, exit 2.
check stylize-encoder-option-newline 2 '^cnnv3: -x: "pre?set" is not an encoder option (expected key=value' -- \
    "$cnnv3" stylize -x $'pre\nset' "$work/in.y4m" "$work/o7.mkv"
one_line stylize-encoder-option-newline
# --gpu that names no device, and no Vulkan driver at all: one line saying what was expected.
check gpu-index 1 '^cnnv3: --gpu 99: there .* (expected a device index 0\.\.' -- \
    "$cnnv3" stylize --gpu 99 --model "$good_model" --cond 0,0,0,0,0 "$work/in.y4m" "$work/o8.mkv"
check gpu-name-newline 1 "^cnnv3: --gpu no?such: no Vulkan device's name contains it (expected" -- \
    "$cnnv3" stylize --gpu $'no\nsuch' --model "$good_model" --cond 0,0,0,0,0 "$work/in.y4m" "$work/o8.mkv"
one_line gpu-name-newline
check no-vulkan-driver 1 '^cnnv3: Vulkan: no instance (expected a Vulkan driver' -- \
    env VK_ICD_FILENAMES=/nonexistent.json "$cnnv3" devices
exit $fail
