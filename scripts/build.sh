#!/usr/bin/env bash
# Configures (once) and builds one build directory. usage: build.sh DIR [meson setup options...]
set -euo pipefail
dir=$1
shift
if [ ! -f "$dir/build.ninja" ]; then
  meson setup "$dir" "$@" >/dev/null
fi
ninja -C "$dir" >/dev/null
