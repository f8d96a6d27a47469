#!/usr/bin/env bash
# Installs everything cnnv3 needs on a fresh Debian 12 machine (run as root). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  # build
  g++ clang meson ninja-build pkg-config
  libfmt-dev nlohmann-json3-dev libpng-dev libssl-dev libgtest-dev googletest
  libclang-rt-14-dev            # libFuzzer and sanitizer runtimes for clang
  liblua5.2-dev                 # tests/fuzz/track_lua_fuzzer.cpp: the mpv script's reader in mpv's Lua
  # training, parity tests and the PyTorch side (Debian's Python 3.11 with PyTorch 1.13)
  python3 python3-torch python3-numpy python3-pil python3-matplotlib python3-tqdm python3-pytest
  python3-openimageio           # reads Blender multilayer EXR
  python3-opencv gmic            # training/data/build_photos.py: the stylized variants
  blender                       # headless render of the tiny G-buffer test scene
  # end-to-end hook tests: FFmpeg vf_libplacebo and mpv on software Vulkan / OpenGL
  ffmpeg mpv xvfb xauth mesa-vulkan-drivers libgl1-mesa-dri
  chromium                      # the browser tool's test: headless, WebGPU on SwiftShader (docs/web.md)
  bc                            # bench/ arithmetic
  strace                        # tests/stylize_cli_test.sh: how the output file is opened
  # the cnnv3 host: audio analysis (aubio) and FFmpeg's libraries for decoding
  libaubio-dev libavformat-dev libavcodec-dev libswresample-dev libavutil-dev libswscale-dev
  libplacebo-dev libvulkan-dev  # the GPU host: libplacebo (4.208 here) on Vulkan
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "cnnv3: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# VapourSynth and vs-placebo from their PyPI wheels (cp312 abi3) in a project-local venv, with
# pyenv's Python 3.12 (Debian 12's python3 is 3.11, which the VapourSynth wheel does not support).
venv=.venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import vapoursynth" 2>/dev/null; then
  py312=$(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12*/bin/python3 2>/dev/null | sort -V | tail -n1 || true)
  [ -n "$py312" ] || py312=$(command -v python3.12 || true)
  if [ -z "$py312" ]; then
    echo "cnnv3: need Python 3.12 (pyenv or python3.12 on PATH) for the VapourSynth venv" >&2
    exit 1
  fi
  echo "cnnv3: creating $venv with $py312 (vapoursynth, vs-placebo, numpy)"
  "$py312" -m venv --clear "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check vapoursynth vs-placebo numpy
fi
# BestSource: the file reader of the VapourSynth plugin's example and tests (vapoursynth/example.vpy).
if ! "$venv/bin/python" -c "import vapoursynth as vs; vs.core.bs" 2>/dev/null; then
  "$venv/bin/pip" install -q --disable-pip-version-check vapoursynth-bestsource
fi
# wgpu-native for Python: runs the browser tool's f16 WGSL on lavapipe (tests/web/wgpu_native_check.py;
# Chromium's SwiftShader has no shader-f16). Pinned: the test uses this version's API.
if ! "$venv/bin/python" -c "import wgpu" 2>/dev/null; then
  "$venv/bin/pip" install -q --disable-pip-version-check "wgpu==0.32.0"
fi
# vspipe finds its Python through this config file (~/.config/vapoursynth/vapoursynth.toml).
"$venv/bin/vapoursynth" config >/dev/null
