#!/usr/bin/env bash
# End-to-end throughput of `cnnv3 stylize` (decode, audio analysis, GPU network, download, encode, mux).
#   bench/cli_fps.sh clip OUT.mp4 [WxH] [SECONDS]
#       make a test clip: testsrc2 at 24 fps (x264 crf 18, yuv420p) with a 120 BPM kick+hat beat (AAC)
#   bench/cli_fps.sh run CNNV3 CLIP MODELS ENCODERS [OUTDIR]
#       stylize CLIP once per model (comma list of names or dirs) and encoder (comma list:
#       default = the CLI's own choice, libx264 into .mp4; ffv1 = --encoder ffv1 into .mkv;
#       raw = --encoder rawvideo into .nut; x264vf = --encoder libx264 -x preset=veryfast into
#       .mp4), and print a Markdown table. fps is the CLI's own (`--progress json`, last line);
#       wall s is the whole process (start-up, Vulkan init, audio analysis included).
#   bench/cli_fps.sh alone BENCH_ENCODE CLIP ENCODERS [OUTDIR]
#       the same rows for the encoder alone: the same pipeline and encoder on the same decoded
#       frames, copied instead of stylized (build/bench/cnnv3-bench-encode); where ffmpeg is on
#       PATH, also `ffmpeg -i CLIP` with that encoder (fps = frames / ffmpeg -benchmark's rtime).
#   bench/cli_fps.sh rounds N CLIP MODEL ENCODERS BENCH_ENCODE OUTDIR NAME=CNNV3...
#       N rounds, interleaved (round 1: every binary and the encoder alone for each encoder, then
#       round 2..., each round starting one route later), so that a machine's drift and a route's
#       place in the round hit every route alike; prints one line per run
#       ("run ENCODER NAME ROUND fps"; with CNNV3_STAGE_TIMES=1 in the environment also the
#       stage-time lines), then a table of the median fps per route and encoder, and each
#       binary's median ratio to the encoder alone (the ratio of each round's pair).
#   bench/cli_fps.sh placebo CLIP GLSL [OUTDIR] [ENCODERS]
#       FFmpeg's own route with a static preset: -init_hw_device vulkan, -vf format=rgba,hwupload,
#       libplacebo=custom_shader_path=GLSL,hwdownload,format=rgba,format=yuv420p, into each encoder
#       of ENCODERS (raw = rawvideo into .nut, the default; x264vf = libx264 -preset veryfast into
#       .mp4) (fps = frames / ffmpeg -benchmark's rtime).
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
# encoder_args NAME: sets ext and args for an encoder of the list
encoder_args() {
  case $1 in
    default) ext=mp4 args=() ;;
    ffv1) ext=mkv args=(--encoder ffv1) ;;
    raw) ext=nut args=(--encoder rawvideo) ;;
    x264vf) ext=mp4 args=(--encoder libx264 -x preset=veryfast) ;;
    *) ext=mkv args=(--encoder "$1") ;;
  esac
}
# ffmpeg_fps LOG FRAMES: frames / rtime of `ffmpeg -benchmark`
ffmpeg_fps() { awk -v n="$2" '/bench: .*rtime=/ { sub(/.*rtime=/, ""); sub(/s.*/, ""); printf "%.2f", n / $0 }' "$1"; }
frames_of() { ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$1"; }
if [ "$mode" = alone ]; then
  bench=$1 clip=$2 encoders=$3 outdir=${4:-$(mktemp -d)}
  mkdir -p "$outdir"
  echo "| route | encoder | frames | fps | wall s |"
  echo "|---|---|---|---|---|"
  IFS=, read -ra es <<< "$encoders"
  for e in "${es[@]}"; do
    encoder_args "$e"
    out=$outdir/alone-$e.$ext
    t0=$(date +%s.%N)
    line=$("$bench" "$clip" "$out" "${args[@]}")
    t1=$(date +%s.%N)
    echo "| pipeline, frames copied (cnnv3-bench-encode) | $e | $(cut -d' ' -f1 <<< "$line") | $(cut -d' ' -f5 <<< "$line") | $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}') |"
    rm -f "$out"
    if command -v ffmpeg >/dev/null; then
      fa=(-c:v libx264); [ "$e" = x264vf ] && fa=(-c:v libx264 -preset veryfast)
      [ "$e" = raw ] && fa=(-c:v rawvideo)
      [ "$e" = ffv1 ] && fa=(-c:v ffv1)
      t0=$(date +%s.%N)
      ffmpeg -nostdin -hide_banner -loglevel info -benchmark -y -i "$clip" -map 0:v "${fa[@]}" "$out" > "$outdir/ff-$e.log" 2>&1
      t1=$(date +%s.%N)
      n=$(frames_of "$out")
      echo "| ffmpeg -i CLIP | $e | $n | $(ffmpeg_fps "$outdir/ff-$e.log" "$n") | $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}') |"
      rm -f "$out"
    fi
  done
  exit 0
fi
if [ "$mode" = rounds ]; then
  n=$1 clip=$2 model=$3 encoders=$4 bench=$5 outdir=$6
  shift 6
  export CNNV3_MODEL_PATH=${CNNV3_MODEL_PATH:-$(cd "$(dirname "$0")/.." && pwd)/weights}
  mkdir -p "$outdir"
  runs=$outdir/rounds.txt
  : > "$runs"
  IFS=, read -ra es <<< "$encoders"
  routes=("$@" alone=)
  for ((r = 1; r <= n; r++)); do
    for e in "${es[@]}"; do
      encoder_args "$e"
      # Each round starts one route later (round 1: as given, the encoder alone last): a route's
      # place in the round (e.g. first after the last round's largest file was deleted) is not
      # always the same one's.
      for ((k = 0; k < ${#routes[@]}; k++)); do
        named=${routes[(k + r - 1) % ${#routes[@]}]}
        name=${named%%=*} cli=${named#*=}
        if [ "$name" = alone ]; then
          line=$("$bench" "$clip" "$outdir/o.$ext" "${args[@]}" 2> "$outdir/alone-$e.log" || echo "0 frames, 0 s, failed fps")
          echo "run $e alone $r $(cut -d' ' -f5 <<< "$line")" | tee -a "$runs"
          rm -f "$outdir/o.$ext"
          continue
        fi
        log=$outdir/$name-$e.log
        if "$cli" stylize -y --model "$model" "${args[@]}" --progress json "$clip" "$outdir/o.$ext" 2> "$log"; then
          fps=$(grep '"finished": true' "$log" | tail -1 | sed -E 's/.*"fps": ([0-9.]+).*/\1/')
        else
          fps=failed
        fi
        echo "run $e $name $r $fps" | tee -a "$runs"
        grep -hE "^cnnv3: (stage times|GPU stage steps)" "$log" | sed "s/^/  $name $e round $r: /" || true
        rm -f "$outdir/o.$ext"
      done
    done
  done
  # Medians: of each route's fps, and of each round's ratio to the encoder alone.
  echo
  echo "| route | encoder | rounds | fps, each round | median fps | median ratio to the encoder alone |"
  echo "|---|---|---|---|---|---|"
  awk '
    function median(list,   a, k, m) {
      k = split(list, a, " "); if (k == 0) return 0
      for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
      return (k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
    }
    $1 == "run" { key = $3 SUBSEP $2; fps[$2, $3, $4] = $5; all[key] = all[key] " " $5; n[key]++
                  if (!(key in seen)) { seen[key] = 1; order[++count] = key } }
    END {
      for (c = 1; c <= count; c++) {
        split(order[c], kv, SUBSEP); name = kv[1]; e = kv[2]; ratios = ""
        if (name != "alone")
          for (r = 1; r <= n[order[c]]; r++)
            if ((e, "alone", r) in fps && fps[e, "alone", r] + 0 > 0 && fps[e, name, r] + 0 > 0)
              ratios = ratios " " sprintf("%.3f", fps[e, name, r] / fps[e, "alone", r])
        printf "| %s | %s | %d |%s | %.2f | %s |\n", name, e, n[order[c]], all[order[c]], median(all[order[c]]),
               name == "alone" ? "" : sprintf("%.3f (%s)", median(ratios), substr(ratios, 2))
      }
    }' "$runs"
  exit 0
fi
if [ "$mode" = placebo ]; then
  clip=$1 glsl=$2 outdir=${3:-$(mktemp -d)} encoders=${4:-raw}
  mkdir -p "$outdir"
  echo "| route | preset | encoder | frames | fps | wall s |"
  echo "|---|---|---|---|---|---|"
  IFS=, read -ra es <<< "$encoders"
  for e in "${es[@]}"; do
    case $e in
      raw) fa=(-c:v rawvideo) ext=nut ;;
      x264vf) fa=(-c:v libx264 -preset veryfast) ext=mp4 ;;
      *) fa=(-c:v "$e") ext=mkv ;;
    esac
    out=$outdir/placebo-$e.$ext
    t0=$(date +%s.%N)
    ffmpeg -nostdin -hide_banner -loglevel info -benchmark -y -init_hw_device vulkan=vk -filter_hw_device vk -i "$clip" \
      -map 0:v -vf "format=rgba,hwupload,libplacebo=custom_shader_path=$glsl,hwdownload,format=rgba,format=yuv420p" \
      "${fa[@]}" "$out" > "$outdir/placebo.log" 2>&1 || { echo "| ffmpeg vf_libplacebo | failed: $(tail -1 "$outdir/placebo.log") |"; exit 1; }
    t1=$(date +%s.%N)
    n=$(frames_of "$out")
    echo "| ffmpeg vf_libplacebo | $(basename "$glsl") | $e | $n | $(ffmpeg_fps "$outdir/placebo.log" "$n") | $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}') |"
    rm -f "$out"
  done
  exit 0
fi
[ "$mode" = run ] || { echo "cli_fps.sh: clip, run, alone, rounds or placebo" >&2; exit 2; }
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
    encoder_args "$e"
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
