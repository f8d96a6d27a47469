#!/usr/bin/env bash
# Installs everything cnnv3 needs on a fresh Debian 12 machine (run as root). Idempotent.
set -euo pipefail

packages=(
  # build
  g++ clang meson ninja-build pkg-config
  libfmt-dev nlohmann-json3-dev libpng-dev libssl-dev libgtest-dev googletest
  libclang-rt-14-dev            # libFuzzer and sanitizer runtimes for clang
  # training, parity tests and the PyTorch side (Debian's Python 3.11 with PyTorch 1.13)
  python3 python3-torch python3-numpy python3-pil python3-matplotlib python3-tqdm python3-pytest
  python3-openimageio           # reads Blender multilayer EXR
  blender                       # headless render of the tiny G-buffer test scene
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
