#!/usr/bin/env bash
# The main job's embedded default input: a 6 s 640x360 clip (a slow zoom over the bundled photo)
# with a synthesized 120 BPM drum pattern (kick on every beat, snare on 2 and 4, off-beat hats).
# usage: make-demo-clip.sh OUT.mp4
set -euo pipefail
out=$1
src=$(dirname "$0")/../samples/photo_chelsea.png
kick='sin(2*PI*(45+110*exp(-mod(t,0.5)*25))*mod(t,0.5))*exp(-mod(t,0.5)*7)'
snare='(random(1)*2-1)*exp(-mod(t-0.5,1)*18)*0.45*gte(t,0.5)'
hats='(random(2)*2-1)*exp(-mod(t-0.25,0.5)*70)*0.2*gte(t,0.25)'
ffmpeg -nostdin -hide_banner -loglevel error -y \
  -loop 1 -framerate 24 -i "$src" \
  -f lavfi -i "aevalsrc='0.7*($kick)+$snare+$hats':s=44100:d=6" \
  -filter_complex "[0:v]scale=960:-2,zoompan=z='1+0.0015*on':x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)':d=144:s=640x360:fps=24,format=yuv420p[v]" \
  -map "[v]" -map 1:a -t 6 -c:v libx264 -crf 18 -c:a aac -b:a 160k "$out"
