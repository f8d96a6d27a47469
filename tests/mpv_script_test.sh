#!/usr/bin/env bash
# mpv/cnnv3.lua in real mpv 0.35 under Xvfb (OpenGL on llvmpipe), driven over --input-ipc-server
# by a small Python client: see tests/mpv/script_test.py for what is checked.
# usage: mpv_script_test.sh SOURCE_ROOT CNNV3_EXE
set -euo pipefail
src=$1 cnnv3=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bash "$src/scripts/make-demo-clip.sh" "$work/demo.mp4"
ffmpeg -nostdin -loglevel error -y -i "$work/demo.mp4" -t 4 -vf scale=256:144 -c:v libx264 -crf 23 -c:a aac "$work/clip.mp4"
/usr/bin/python3 "$src/tests/mpv/script_test.py" "$src" "$cnnv3" "$work"
