#!/usr/bin/env bash
# mpv/cnnv3.lua in real mpv 0.35 under Xvfb (OpenGL on llvmpipe), driven over --input-ipc-server
# by a small Python client: see tests/mpv/script_test.py for what is checked. cnnv3 is installed
# into a temporary prefix put first on PATH, and the presets and the script come from that install,
# as docs/mpv.md installs them.
# usage: mpv_script_test.sh SOURCE_ROOT BUILD_DIR
set -euo pipefail
src=$1 build=$2
source "$(dirname "${BASH_SOURCE[0]}")/e2e_common.sh"  # $work: a scratch folder, the current directory
prefix=$(bash "$src/tests/install/install_prefix.sh" "$build" "$work/dest")
export PATH=$prefix/bin:$PATH
unset CNNV3_MODEL_PATH
export XDG_CACHE_HOME=$work/cache
bash "$src/scripts/make-demo-clip.sh" "$work/demo.mp4"
ffmpeg -nostdin -loglevel error -y -i "$work/demo.mp4" -t 4 -vf scale=256:144 -c:v libx264 -crf 23 -c:a aac "$work/clip.mp4"
/usr/bin/python3 "$src/tests/mpv/script_test.py" "$src" "$prefix/share/cnnv3" "$work"
