#!/usr/bin/env bash
# The main job on its embedded default: install, build, stylize the bundled sample photo with the
# CPU reference and the default model. usage: demo.sh [IN.png [OUT.png]]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh build-release --buildtype=release
in=${1:-samples/photo_chelsea.png}
out=${2:-out/$(basename "${in%.*}")_stylized.png}
mkdir -p "$(dirname "$out")"
model=weights/$(cat weights/DEFAULT)
./build-release/shadergen/cnnv3-shadergen reference --model "$model" "$in" "$out"
echo "cnnv3: wrote $out (model $model, its default conditioning)"
