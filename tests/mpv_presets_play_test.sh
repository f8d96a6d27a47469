#!/usr/bin/env bash
# Every shipped static preset plays a clip in real mpv (0.35 under Xvfb, OpenGL on llvmpipe: its
# Vulkan path refuses software devices) on vo=gpu-next and vo=gpu, installed the way docs/mpv.md
# says: mpv/mpv.conf in the config dir with its glsl-shader line pointing at the preset in ~~/shaders
# and mpv/cnnv3.lua in ~~/scripts. Passes when mpv exits 0 at the end of the clip, the preset's
# passes ran (vo-passes), and the log has no error from the video output.
# Presets are discovered: the static rows of weights/presets.tsv, each of which must exist in glsl/.
# usage: mpv_presets_play_test.sh SOURCE_ROOT
set -euo pipefail
src=$1
source "$(dirname "${BASH_SOURCE[0]}")/e2e_common.sh"  # $work: a scratch folder, the current directory

bash "$src/scripts/make-demo-clip.sh" demo.mp4
ffmpeg -nostdin -loglevel error -y -i demo.mp4 -t 1.5 -vf scale=256:144 -c:v libx264 -crf 23 -c:a aac clip.mp4

presets=$(awk -F'\t' '!/^#/ && NF >= 3 && $3 != "dynamic" { print $1 }' "$src/weights/presets.tsv")
[ -n "$presets" ] || { echo "FAIL: no static preset in weights/presets.tsv"; exit 1; }
grep -q '^glsl-shader=~~/shaders/' "$src/mpv/mpv.conf" || { echo "FAIL: mpv/mpv.conf has no glsl-shader=~~/shaders/ line"; exit 1; }

count=0
for preset in $presets; do
  if [ ! -f "$src/glsl/$preset.glsl" ]; then echo "FAIL $preset: glsl/$preset.glsl is missing"; fail=1; continue; fi
  for vo in gpu-next gpu; do
    rm -rf cfg && mkdir -p cfg/shaders cfg/scripts
    cp "$src/glsl/$preset.glsl" cfg/shaders/
    cp "$src/mpv/cnnv3.lua" cfg/scripts/
    sed "s|^glsl-shader=~~/shaders/.*|glsl-shader=~~/shaders/$preset.glsl|" "$src/mpv/mpv.conf" > cfg/mpv.conf
    rc=0
    XDG_RUNTIME_DIR=$work timeout 300 xvfb-run -a mpv --config-dir="$work/cfg" --vo=$vo --gpu-api=opengl \
      --gpu-sw --ao=null --no-terminal --log-file="$work/log" --script="$src/tests/mpv/play_probe.lua" \
      clip.mp4 || rc=$?
    count=$((count + 1))
    problem=""
    [ $rc -eq 0 ] || problem="mpv exit status $rc"
    errors=$(grep -a -E '^\[ *[0-9.]+\]\[(e|f)\]\[(vo|cplayer)' log || true)
    [ -z "$errors" ] || problem="errors in the log: $(echo "$errors" | head -3)"
    grep -a -q 'cnnv3 hook passes ran' log || problem="${problem:+$problem; }the preset's passes never ran"
    grep -a -q 'end of file (eof)' log || problem="${problem:+$problem; }playback did not reach the end"
    if [ -n "$problem" ]; then
      echo "FAIL $preset vo=$vo: $problem"; fail=1
    else
      echo "ok   $preset vo=$vo: $(grep -a -o 'time-pos updates: .*' log)"
    fi
  done
done
echo "$count runs"
exit $fail
