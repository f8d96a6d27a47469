#!/usr/bin/env bash
# Regenerates glsl/ from weights/presets.tsv and weights/<model>/ with cnnv3-shadergen.
# usage: make-glsl.sh [OUT_DIR]   (default glsl/; scripts/check-generated.sh writes elsewhere and diffs)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-glsl}
shadergen=${CNNV3_SHADERGEN:-}
if [ -z "$shadergen" ]; then
  bash scripts/build.sh build
  shadergen=build/shadergen/cnnv3-shadergen
fi
mkdir -p "$out"
find "$out" -maxdepth 1 -name 'cnnv3_*.glsl' -delete
while IFS=$'\t' read -r preset model cond strength; do
  case "$preset" in ''|'#'*) continue ;; esac
  if [ "$cond" = dynamic ]; then
    "$shadergen" hook -y --model "weights/$model" --dynamic --strength "$strength" -o "$out/$preset.glsl"
  else
    "$shadergen" hook -y --model "weights/$model" --cond "$cond" --strength "$strength" -o "$out/$preset.glsl"
  fi
done < weights/presets.tsv
echo "cnnv3: wrote $(ls "$out"/cnnv3_*.glsl | wc -l) presets to $out/"
