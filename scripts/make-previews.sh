#!/usr/bin/env bash
# weights/<model>/preview.jpg for every model with shipped presets (weights/presets.tsv): the bundled
# photo (samples/photo_chelsea.png) and the model's output at each static preset's conditioning,
# made with the CPU reference (`cnnv3-shadergen reference`), tiled in rows of two, 520 px wide.
# Order: photo, then the presets in presets.tsv order (style A, style B, energy for the shipped ones).
# usage: make-previews.sh [SHADERGEN]   (default build/shadergen/cnnv3-shadergen)
set -euo pipefail
cd "$(dirname "$0")/.."
shadergen=${1:-build/shadergen/cnnv3-shadergen}
photo=samples/photo_chelsea.png
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for model in $(grep -v '^#' weights/presets.tsv | cut -f2 | uniq); do
  tiles=("$photo")
  while IFS=$'\t' read -r preset m cond strength; do
    [ "$m" = "$model" ] && [ "$cond" != dynamic ] || continue
    "$shadergen" reference --model "weights/$model" --cond "$cond" "$photo" "$work/$preset.png"
    tiles+=("$work/$preset.png")
  done < <(grep -v '^#' weights/presets.tsv)
  [ $(( ${#tiles[@]} % 2 )) -eq 0 ] || tiles+=("$photo")   # an even count for rows of two
  inputs=()
  for i in "${!tiles[@]}"; do
    inputs+=(-i "${tiles[$i]}")
  done
  filter=""
  for i in "${!tiles[@]}"; do filter+="[$i:v]format=rgb24,scale=260:174[t$i];"; done
  for i in "${!tiles[@]}"; do filter+="[t$i]"; done
  positions=$(for i in "${!tiles[@]}"; do printf '%s|' "$(( i % 2 * 260 ))_$(( i / 2 * 174 ))"; done)
  filter+="xstack=inputs=${#tiles[@]}:layout=${positions%|}"
  ffmpeg -nostdin -loglevel error -y "${inputs[@]}" -filter_complex "$filter" -q:v 4 "weights/$model/preview.jpg"
  echo "weights/$model/preview.jpg"
done
