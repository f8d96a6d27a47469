#!/usr/bin/env bash
# End-to-end throughput of `cnnv3 stylize` (decode, audio analysis, GPU network, download, encode, mux).
#   bench/cli_fps.sh clip OUT.mp4 [WxH] [SECONDS]
#       make a test clip: testsrc2 at 24 fps (x264 crf 18, yuv420p) with a 120 BPM kick+hat beat (AAC)
#   bench/cli_fps.sh run CNNV3 CLIP MODELS ENCODERS [OUTDIR]
#       stylize CLIP once per model (comma list of names or dirs) and encoder (comma list:
#       default = the CLI's own choice, libx264 into .mp4; ffv1 = --encoder ffv1 into .mkv;
#       raw = --encoder rawvideo into .nut), and print a Markdown table. fps is the CLI's own
#       (`--progress json`, last line); wall s is the whole process (start-up, Vulkan init, audio
#       analysis included).
set -euo pipefail
mode=${1:?usage: cli_fps.sh clip|run ...}; shift
if [ "$mode" = clip ]; then
  out=$1 size=${2:-1920x1080} secs=${3:-1}
  kick='sin(2*PI*(45+110*exp(-mod(t,0.5)*25))*mod(t,0.5))*exp(-mod(t,0.5)*7)'
  hats='(random(2)*2-1)*exp(-mod(t-0.25,0.5)*70)*0.2*gte(t,0.25)'
  ffmpeg -nostdin -hide_banner -loglevel error -y \
    -f lavfi -i "testsrc2=size=$size:rate=24" \
    -f lavfi -i "aevalsrc='0.7*($kick)+$hats':s=44100" \
    -t "$secs" -pix_fmt yuv420p -c:v libx264 -crf 18 -c:a aac -b:a 160k "$out"
  exit 0
fi
[ "$mode" = run ] || { echo "cli_fps.sh: clip or run" >&2; exit 2; }
cli=$1 clip=$2 models=$3 encoders=$4 outdir=${5:-$(mktemp -d)}
# a model name is found through CNNV3_MODEL_PATH for a build-tree cnnv3 (docs/host.md)
export CNNV3_MODEL_PATH=${CNNV3_MODEL_PATH:-$(cd "$(dirname "$0")/.." && pwd)/weights}
mkdir -p "$outdir"
echo "| model | encoder | frames | fps (CLI) | wall s | output |"
echo "|---|---|---|---|---|---|"
IFS=, read -ra ms <<< "$models"
IFS=, read -ra es <<< "$encoders"
for m in "${ms[@]}"; do
  for e in "${es[@]}"; do
    case $e in
      default) ext=mp4 args=() ;;
      ffv1) ext=mkv args=(--encoder ffv1) ;;
      raw) ext=nut args=(--encoder rawvideo) ;;
      *) ext=mkv args=(--encoder "$e") ;;
    esac
    tag=$(basename "$m")-$e
    out=$outdir/$tag.$ext log=$outdir/$tag.log
    t0=$(date +%s.%N)
    if "$cli" stylize -y --model "$m" "${args[@]}" --progress json "$clip" "$out" 2> "$log"; then
      t1=$(date +%s.%N)
      last=$(grep '"finished": true' "$log" | tail -1)
      frames=$(sed -E 's/.*"frames": ([0-9]+).*/\1/' <<< "$last")
      fps=$(sed -E 's/.*"fps": ([0-9.]+).*/\1/' <<< "$last")
      summary=$(grep -E '^cnnv3: .* frames, ' "$log" | tail -1 | sed -E 's/^cnnv3: [^:]*: [0-9]+ frames, //; s/, model .*//')
      echo "| $m | $e | $frames | $fps | $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}') | $summary |"
    else
      echo "| $m | $e | failed: $(tail -1 "$log") | | | |"
    fi
    rm -f "$out"
  done
done
