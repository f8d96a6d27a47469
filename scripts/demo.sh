#!/usr/bin/env bash
# The main job on its embedded default: install, build, generate a 6 s clip with a synthesized
# 120 BPM drum track, and stylize it on the GPU with the default model, the FiLM conditioning
# following the beat -> out/demo_stylized.mp4 (with the clip's audio).
# usage: demo.sh [IN [OUT]]   (any video or still; default: the generated clip)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh build-release --buildtype=release -Dpython_tests=false
mkdir -p out
in=${1:-}
if [ -z "$in" ]; then
  in=out/demo_input.mp4
  bash scripts/make-demo-clip.sh "$in"
fi
name=$(basename "${in%.*}")
out=${2:-out/${name/_input/}_stylized.mp4}
./build-release/filter/cnnv3 stylize -y "$in" "$out"
echo "cnnv3: wrote $out (model $(cat weights/DEFAULT), conditioning from the audio of $in)"
