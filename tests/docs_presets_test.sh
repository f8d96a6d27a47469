#!/usr/bin/env bash
# Runs the usage lines of docs/presets.md verbatim: the mpv.conf block in real mpv (the screenshot
# must match the CPU reference within 1/255), the FFmpeg command on a generated clip (frame count
# and audio kept), and the VapourSynth snippet under vspipe. The FFmpeg command names the installed
# presets through `cnnv3 models --data-dir`: cnnv3 is installed into a temporary prefix first on PATH.
# usage: docs_presets_test.sh SHADERGEN PNG_TOOL SOURCE_ROOT VENV_PYTHON BUILD_DIR
set -euo pipefail
shadergen=$1 png_tool=$2 src=$3 py=$4 build=$5
source "$(dirname "${BASH_SOURCE[0]}")/e2e_common.sh"  # $work: a scratch folder, the current directory
prefix=$(bash "$src/tests/install/install_prefix.sh" "$build" "$work/dest")
export PATH=$prefix/bin:$PATH
unset CNNV3_MODEL_PATH
doc="$src/docs/presets.md"
block() {  # the fenced block after "<!-- run: NAME -->"
  awk -v name="$1" '$0 == "<!-- run: " name " -->" {found=1; next}
                    found && /^```/ {if (inside) exit; inside=1; next}
                    inside {print}' "$doc"
}
cp -r "$src/glsl" "$work/glsl"

# mpv: the mpv.conf lines, in a config dir whose shaders/ holds the preset.
mkdir -p cfg/shaders
block mpv.conf > cfg/mpv.conf
[ -s cfg/mpv.conf ] || { echo "FAIL: no mpv.conf block in docs/presets.md"; exit 1; }
shader=$(sed -n 's|^glsl-shader=~~/shaders/||p' cfg/mpv.conf)
cp "glsl/$shader" cfg/shaders/
preset=${shader%.glsl}
read -r model cond < <(awk -F'\t' -v p="$preset" '$1 == p {print $2, $3}' "$src/weights/presets.tsv")
"$png_tool" crop-tile "$src/samples/photo_chelsea.png" 853 479 in.png
"$shadergen" reference --model "$src/weights/$model" --cond "$cond" in.png ref.png
for vo in gpu-next gpu; do
  rm -f shot.png
  CNNV3_SHOT=$work/shot.png XDG_RUNTIME_DIR=$work timeout 120 xvfb-run -a mpv --config-dir="$work/cfg" --vo=$vo \
    --gpu-api=opengl --gpu-sw --pause --dither-depth=no --script="$src/tests/mpv_screenshot.lua" in.png \
    >mpv.log 2>&1 || true
  if [ ! -s shot.png ]; then echo "FAIL mpv vo=$vo: no screenshot"; tail -5 mpv.log; fail=1; continue; fi
  printf 'mpv.conf vo=%-9s ' $vo
  "$png_tool" diff shot.png ref.png 1/255 || { echo "FAIL mpv vo=$vo"; fail=1; }
done

# FFmpeg: the documented command on a 2 s clip with audio.
ffmpeg -nostdin -hide_banner -loglevel error -f lavfi -i testsrc=size=320x180:rate=24:duration=2 \
  -f lavfi -i sine=frequency=440:duration=2 -c:v libx264 -pix_fmt yuv420p -c:a aac -shortest input.mp4
block ffmpeg | sed 's/^ffmpeg /ffmpeg -nostdin -loglevel error /' > ffmpeg.sh
bash ffmpeg.sh > ffmpeg.log 2>&1 || { echo "FAIL ffmpeg: the documented command failed"; cat ffmpeg.log; fail=1; }
frames() { ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$1"; }
if [ -s output.mp4 ]; then
  [ "$(frames input.mp4)" = "$(frames output.mp4)" ] || { echo "FAIL ffmpeg: frame count changed"; fail=1; }
  ffprobe -v error -select_streams a -show_entries stream=codec_name -of csv=p=0 output.mp4 | grep -q aac \
    || { echo "FAIL ffmpeg: audio not copied"; fail=1; }
  echo "ffmpeg command: ok ($(frames output.mp4) frames, audio copied)"
fi

# VapourSynth: the snippet, after a prelude that makes `clip`, under vspipe.
{
  echo "import vapoursynth as vs"
  echo "core = vs.core"
  echo "clip = core.std.BlankClip(width=64, height=36, format=vs.YUV420P8, length=3, color=[120, 90, 160])"
  block vapoursynth
  echo "styled.set_output()"
} > snippet.vpy
if "$(dirname "$py")/vspipe" -p snippet.vpy - > out.rgb 2> vspipe.log; then
  bytes=$(stat -c %s out.rgb)
  [ "$bytes" -eq $((64 * 36 * 3 * 2 * 3)) ] || { echo "FAIL vapoursynth: $bytes bytes out, expected 3 RGB48 frames"; fail=1; }
  echo "vapoursynth snippet: ok (3 frames)"
else
  echo "FAIL vapoursynth: vspipe failed"; tail -5 vspipe.log; fail=1
fi
exit $fail
