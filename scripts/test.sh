#!/usr/bin/env bash
# Installs, builds and runs every test: the normal build (all suites), an ASan+UBSan build (the C++
# suites and the hostile-input end-to-end scripts), the fuzzers for a short run, and the check that
# generated files are current.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh

echo "== build + all tests"
bash scripts/build.sh build
meson test -C build --print-errorlogs --num-processes 2

echo "== ASan + UBSan: C++ suites"
bash scripts/build.sh build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dpython_tests=false -Dgpu_tests=false
ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$PWD/tests/sanitizers/lsan.supp \
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  meson test -C build-asan --print-errorlogs --num-processes 2 --no-suite cli
# The cli suite's cli-errors runs cnnv3 itself, and some of its cases open the GPU (--gpu refusals; the GPU's set-up
# starts as soon as the model is loaded): leak checking off for it, for the reason given below.
ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  meson test -C build-asan --print-errorlogs --num-processes 2 --suite cli

echo "== ASan + UBSan: hostile inputs, output files and signals, media input, end to end through cnnv3"
# The same scripts as the normal build's bad-inputs, output-safety and media-input-cli tests, on the
# sanitized programs (lavapipe runs the network). Leak checking is off for these: Mesa's Vulkan
# driver is unloaded before LeakSanitizer looks and leaves 128 bytes it cannot attribute, on every
# run that opens the GPU; the C++ suites above keep it on.
for t in bad_inputs media_input_cli; do
  CNNV3_MODEL_PATH=$PWD/weights ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    bash "tests/${t}_test.sh" "$PWD/build-asan/filter/cnnv3" "$PWD"
done
CNNV3_MODEL_PATH=$PWD/weights ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  bash tests/output_safety_test.sh "$PWD/build-asan/filter/cnnv3" "$PWD/build-asan/shadergen/cnnv3-shadergen" "$PWD"

echo "== fuzz the model loader, the PNG reader, the text parsers and the mpv script's track reader (libFuzzer, ${CNNV3_FUZZ_SECONDS:-60} s each)"
CXX=clang++ bash scripts/build.sh build-fuzz -Dfuzzers=true -Dpython_tests=false -Dgpu_tests=false \
  -Db_sanitize=address,undefined -Db_lundef=false -Dcpp_args=-fsanitize=fuzzer-no-link
corpus=build-fuzz/corpus
rm -rf "$corpus" && mkdir -p "$corpus"
/usr/bin/python3 tests/fuzz/make_seeds.py tests/vectors "$corpus"
./build-fuzz/tests/model-fuzzer -artifact_prefix=build-fuzz/ -max_total_time="${CNNV3_FUZZ_SECONDS:-60}" -print_final_stats=1 "$corpus" 2>&1 | tail -n 3
# the PNG reader, the small text parsers (beat times, conditioning CSV, style curves, --cond, the
# conditioning options of analyze and stylize, presets.tsv, GPU variants) and the mpv script's
# conditioning-track reader (Lua)
for kind in png text track-lua; do
  rm -rf "build-fuzz/$kind-corpus" && mkdir -p "build-fuzz/$kind-corpus"
  /usr/bin/python3 tests/fuzz/make_seeds.py "--$kind" "build-fuzz/$kind-corpus"
  ./build-fuzz/tests/$kind-fuzzer -artifact_prefix=build-fuzz/$kind- -max_total_time="${CNNV3_FUZZ_SECONDS:-60}" \
    -print_final_stats=1 "build-fuzz/$kind-corpus" 2>&1 | tail -n 3
done

echo "== generated files are current"
bash scripts/check-generated.sh
echo "cnnv3: all test stages passed"
