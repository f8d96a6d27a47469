#!/usr/bin/env bash
# `cnnv3 stylize` conditioning defaults and --reactivity (SPEC §6; docs/formats.md, "Conditioning:
# defaults and reactivity") on lavapipe: the audio-driven default renders what `cnnv3 analyze
# --model M` writes (styles from the model's default_cond, not 0.5), --reactivity 0 renders
# default_cond on every frame, --reactivity 2 renders what `analyze --reactivity 2` writes, a file
# without audio takes --style1 and renders what `analyze` writes for it (default_cond); a bad value
# is one line and exit 2.
# usage: stylize_reactivity_test.sh CNNV3 PNG_TOOL SOURCE_ROOT
set -uo pipefail
cnnv3=$1 png_tool=$2 src=$3
source "$(dirname "${BASH_SOURCE[0]}")/e2e_common.sh"
model=$src/weights/test-chelsea-48   # default_cond 0,0,0.5,0.5,0.8: a style_p1 that is not 0.5
rest=$(python3 -c "import json,sys; print(','.join(map(str, json.load(open(sys.argv[1]))['default_cond'])))" "$model/model.json")

bash "$src/scripts/make-demo-clip.sh" demo.mp4
# NUT keeps each frame's time exactly (i/fps); the Matroska case below checks the rounded times.
ffmpeg -nostdin -loglevel error -i demo.mp4 -t 1.5 -vf scale=48:28 -c:v ffv1 -c:a pcm_s16le clip.nut

run() {  # run NAME ARGS...: stylize clip.nut into NAME.mkv, its frames as NAME_%02d.png
  local name=$1
  shift
  "$cnnv3" stylize --quiet --model "$model" --encoder ffv1 "$@" clip.nut "$name.mkv" 2>"$name.log" \
    || { bad "$name: exit $?"; cat "$name.log"; return 1; }
  ffmpeg -nostdin -loglevel error -i "$name.mkv" -pix_fmt rgb48le "${name}_%02d.png"
}
same() {  # same A B WHAT: every frame of A within 1/255 of B's
  local n=0 f
  for f in "$1"_*.png; do
    "$png_tool" diff "$f" "$2_${f#"$1"_}" 1/255 >/dev/null || { bad "$3: frame ${f#"$1"_} differs"; return; }
    n=$((n + 1))
  done
  [ "$n" -gt 10 ] && ok "$3 ($n frames)" || bad "$3: only $n frames"
}

"$cnnv3" analyze clip.nut --model "$model" -o track.csv 2>/dev/null || bad "analyze"
"$cnnv3" analyze clip.nut --model "$model" --reactivity 2 -o track2.csv 2>/dev/null || bad "analyze --reactivity 2"
run default && run tracked --cond-track track.csv && same default tracked \
  "audio-driven default = analyze --model's track (styles from default_cond)"
# Matroska keeps frame times in milliseconds (frame 2 at 0.083 s, its row at 0.083333 s): every
# frame still takes its own row of the track (half a frame of slack, ConditioningTrack::at_time).
ffmpeg -nostdin -loglevel error -i clip.nut -c copy clip_ms.mkv
"$cnnv3" stylize --quiet --model "$model" --encoder ffv1 --cond-track track.csv clip_ms.mkv tracked_ms.mkv 2>tracked_ms.log \
  && ffmpeg -nostdin -loglevel error -i tracked_ms.mkv -pix_fmt rgb48le "tracked_ms_%02d.png" \
  && same tracked_ms tracked "--cond-track on a millisecond time base (Matroska): each frame takes its own row" \
  || bad "--cond-track on clip_ms.mkv: $(cat tracked_ms.log)"
run half --style0 0.5 --style1 0.5 && ! "$png_tool" diff default_05.png half_05.png 1/255 >/dev/null \
  && ok "the styles matter: 0.5/0.5 renders differently from default_cond's" || bad "styles 0.5/0.5 look like the default"
run still --reactivity 0 && run rest --cond "$rest" && same still rest "--reactivity 0 = the model's default_cond on every frame"
run twice --reactivity 2 && run tracked2 --cond-track track2.csv && same twice tracked2 "--reactivity 2 = analyze --reactivity 2"
! "$png_tool" diff twice_05.png default_05.png 1/255 >/dev/null && ok "reactivity 2 differs from 1" || bad "reactivity 2 = 1"

# Without audio: default_cond, and the user's style where given.
ffmpeg -nostdin -loglevel error -i clip.nut -an -c:v ffv1 mute.nut
mv clip.nut music.nut && mv mute.nut clip.nut
styled=$(echo "$rest" | awk -F, '{print $1","$2","$3","$4",0.3"}')
run mute_styled --style1 0.3 && run mute_cond --cond "$styled" && same mute_styled mute_cond \
  "no audio: --style1 0.3 renders default_cond with style_p1 0.3"
# One rule for a value no source gives (ConditioningSources): analyze writes default_cond's rest
# values, and stylize renders that track (audio_intensity 0.5 here, not 0).
"$cnnv3" analyze clip.nut --model "$model" -o mute.csv 2>/dev/null || bad "analyze without audio"
awk -F, -v rest="$rest" 'BEGIN { split(rest, r, ",") }
  NR > 1 { for (i = 1; i <= 5; i++) if ($(i + 2) != r[i]) bad = 1; n++ } END { exit bad || n < 10 }' mute.csv \
  && ok "analyze without audio writes default_cond ($rest) on every row" \
  || bad "analyze without audio: $(sed -n 2p mute.csv)"
run plain && run fromcsv --cond-track mute.csv && same plain fromcsv \
  "no audio: stylize = stylize --cond-track of analyze's track"
mv clip.nut mute.nut && mv music.nut clip.nut

for bad_value in 2.5 -1 x; do
  "$cnnv3" stylize --model "$model" --reactivity "$bad_value" clip.nut out.mkv 2>bad.log
  rc=$?
  [ "$rc" = 2 ] && [ "$(messages bad.log | wc -l)" = 1 ] && ok "--reactivity $bad_value refused: $(messages bad.log)" \
    || { bad "--reactivity $bad_value: exit $rc"; cat bad.log; }
done
"$cnnv3" stylize --model "$model" --cond-track track.csv --reactivity 0.5 clip.nut out.mkv 2>bad.log
[ $? = 2 ] && ok "--reactivity with --cond-track refused: $(messages bad.log)" || bad "--reactivity with --cond-track"
exit $fail
