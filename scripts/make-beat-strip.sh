#!/usr/bin/env bash
# The picture in docs/mpv.md: 8 frames (1 s = two beats at 120 BPM) of the demo clip, 256x144: the
# input, `cnnv3 stylize` (audio-driven FiLM on a 120 BPM grid) and their difference x4; plus the
# conditioning of those frames as CSV.  usage: make-beat-strip.sh CNNV3_EXE OUT.png OUT.csv
set -euo pipefail
cnnv3=$1 png=$2 csv=$3
here=$(cd "$(dirname "$0")" && pwd)
export CNNV3_MODEL_PATH=${CNNV3_MODEL_PATH:-$here/../weights}  # the build tree's cnnv3 has no installed models
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bash "$here/make-demo-clip.sh" "$work/demo.mp4"
# 1 s from t = 2 s, as its own file whose timeline starts at 0 (beats at 0 and 0.5 s)
ffmpeg -nostdin -loglevel error -y -ss 2 -i "$work/demo.mp4" -t 1 -vf scale=256:144,fps=8 \
  -c:v libx264 -crf 12 -c:a aac -b:a 192k "$work/cut.mp4"
"$cnnv3" analyze "$work/cut.mp4" --bpm 120 -y -o "$csv"
"$cnnv3" stylize --quiet --bpm 120 --crf 12 "$work/cut.mp4" "$work/styled.mp4"
# rows: input, stylized, |stylized - input| x 4 (how much the network changes each frame); one
# 256-colour palette keeps the PNG small
ffmpeg -nostdin -loglevel error -y -i "$work/cut.mp4" -i "$work/styled.mp4" -filter_complex \
  "[0:v]format=gbrp,split=2[in1][in2];[1:v]format=gbrp,split=2[st1][st2];
   [st2][in2]blend=all_mode=difference,lutrgb=r=min(val*4\,255):g=min(val*4\,255):b=min(val*4\,255)[df];
   [in1]tile=8x1:padding=2:color=white[a];[st1]tile=8x1:padding=2:color=white[b];[df]tile=8x1:padding=2:color=white[c];
   [a][b][c]vstack=3,format=rgb24,split[s1][s2];[s1]palettegen=max_colors=256:stats_mode=full[p];
   [s2][p]paletteuse=dither=none" \
  -frames:v 1 "$png"
