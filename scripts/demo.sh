#!/usr/bin/env bash
# The main job, on a fresh Debian 12 as root: install the dependencies, build, `meson install`
# (PREFIX /usr/local: cnnv3 and cnnv3-shadergen in bin/, the models, presets and mpv files in
# share/cnnv3/, the VapourSynth plugin into the venv's VapourSynth, which autoloads it), generate a
# 6 s clip with a synthesized 120 BPM drum track, and stylize it with the INSTALLED cnnv3 (found on
# PATH) on the GPU with the default model, the FiLM conditioning following the beat
# -> out/demo_stylized.mp4 (with the clip's audio).
# usage: demo.sh [IN [OUT]]   (any video or still; default: the generated clip)
# DESTDIR (meson's staging variable) is honoured: the job then runs the staged cnnv3.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
options=(-Dbuildtype=release -Dpython_tests=false -Dvapoursynth_plugin_dir=wheel)
if [ -f build-release/build.ninja ]; then
  meson configure build-release "${options[@]}" >/dev/null   # an older build-release: the same options
fi
bash scripts/build.sh build-release "${options[@]}"
meson install -C build-release --quiet >/dev/null
prefix=$(meson introspect build-release --buildoptions | python3 -c \
  'import json, sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"))')
if [ -n "${DESTDIR:-}" ]; then
  export PATH=$DESTDIR$prefix/bin:$PATH
elif [[ ":$PATH:" != *":$prefix/bin:"* ]]; then
  export PATH=$prefix/bin:$PATH   # root's PATH has /usr/local/bin; another prefix may not be on it
fi
hash -r
echo "cnnv3: installed into ${DESTDIR:-}$prefix; running $(command -v cnnv3)"
mkdir -p out
in=${1:-}
if [ -z "$in" ]; then
  in=out/demo_input.mp4
  bash scripts/make-demo-clip.sh "$in"
fi
name=$(basename "${in%.*}")
out=${2:-out/${name/_input/}_stylized.mp4}
cnnv3 stylize -y "$in" "$out"
echo "cnnv3: wrote $out (model $(cnnv3 models | sed -n 's/  (default)$//p'), conditioning from the audio of $in)"
