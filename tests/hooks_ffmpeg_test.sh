#!/usr/bin/env bash
# Static presets of both network sizes in FFmpeg's vf_libplacebo (libplacebo 4.208 on lavapipe)
# against the CPU reference: max abs <= 1/255 on RGB, borders included, at odd and large sizes.
# 8-bit RGBA in and out is the exact path on FFmpeg 5.1 (dithering off); see docs/presets.md.
# usage: hooks_ffmpeg_test.sh SHADERGEN PNG_TOOL SOURCE_ROOT
set -euo pipefail
shadergen=$1 png_tool=$2 src=$3
source "$(dirname "${BASH_SOURCE[0]}")/e2e_common.sh"  # $work: a scratch folder, the current directory
cond=0.3,0.6,0.8,0.2,0.9
for model in test-random-48 test-random-816; do
  "$shadergen" hook -y --model "$src/tests/vectors/$model" --cond "$cond" -o "$work/$model.glsl"
  for size in 853x479 640x360 3x2 1x1 1920x1080; do
    w=${size%x*} h=${size#*x}
    "$png_tool" crop-tile "$src/samples/photo_chelsea.png" "$w" "$h" "$work/in.png"
    "$shadergen" reference -y --model "$src/tests/vectors/$model" --cond "$cond" "$work/in.png" "$work/ref.png"
    rm -f "$work/gpu.png"
    ffmpeg -nostdin -hide_banner -loglevel error -y -init_hw_device vulkan=vk -filter_hw_device vk -i "$work/in.png" \
      -vf "format=rgba,hwupload,libplacebo=custom_shader_path=$work/$model.glsl:dithering=-1,hwdownload,format=rgba" \
      -frames:v 1 -update 1 "$work/gpu.png" 2>"$work/log" || true
    # A shader that fails to compile leaves the frame unprocessed with exit 0: check the log too.
    if grep -q -i -E "error|failed" "$work/log"; then
      echo "FAIL $model $size: FFmpeg reported:"; head -5 "$work/log"; fail=1; continue
    fi
    printf '%-16s ' "$model"
    "$png_tool" diff "$work/gpu.png" "$work/ref.png" 1/255 || { echo "FAIL $model $size"; fail=1; }
  done
done
exit $fail
