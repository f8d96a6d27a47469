#!/usr/bin/env bash
# A dynamic preset (//!PARAMs, FiLM MLP pass) at its default parameters in vs-placebo from its PyPI
# wheel (a current libplacebo) inside a real VapourSynth core, against the CPU reference at the
# model's default conditioning: max abs <= 1/255 on RGB. Also the static preset of the same model.
# usage: hooks_vsplacebo_test.sh SHADERGEN PNG_TOOL SOURCE_ROOT VENV_PYTHON
set -euo pipefail
shadergen=$1 png_tool=$2 src=$3 py=$4
source "$(dirname "${BASH_SOURCE[0]}")/e2e_common.sh"  # $work: a scratch folder, the current directory
for model in test-random-48 test-random-816; do
  dir="$src/tests/vectors/$model"
  # default_cond from model.json itself (docs/formats.md), not from info's human-readable lines
  default=$("$py" -c 'import json, sys; print(",".join(map(str, json.load(open(sys.argv[1]))["default_cond"])))' \
    "$dir/model.json")
  "$shadergen" hook -y --model "$dir" --dynamic -o "$work/dyn.glsl"
  "$shadergen" hook -y --model "$dir" --cond "$default" -o "$work/static.glsl"
  for size in 853x479 640x360 3x2 1x1 1920x1080; do
    w=${size%x*} h=${size#*x}
    "$png_tool" crop-tile "$src/samples/photo_chelsea.png" "$w" "$h" "$work/in.png"
    "$png_tool" to-raw16 "$work/in.png" "$work/in.raw"
    "$shadergen" reference -y --model "$dir" "$work/in.png" "$work/ref.png"  # the model's default_cond
    for kind in dyn static; do
      if ! "$py" "$src/tests/vsplacebo_shader.py" "$work/$kind.glsl" "$work/in.raw" "$w" "$h" "$work/out.raw" 2>"$work/log"; then
        echo "FAIL $model $size $kind: vs-placebo failed:"; tail -3 "$work/log"; fail=1; continue
      fi
      "$png_tool" from-raw16 "$work/out.raw" "$w" "$h" "$work/out.png"
      printf '%-16s %-6s ' "$model" "$kind"
      "$png_tool" diff "$work/out.png" "$work/ref.png" 1/255 || { echo "FAIL $model $size $kind"; fail=1; }
    done
  done
done
exit $fail
