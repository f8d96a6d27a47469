#!/usr/bin/env bash
# Bad input end to end (DEVELOPERS.md's list; docs/host.md "Errors"): for each hostile input,
# `cnnv3 stylize` and `cnnv3 analyze` exit 1 within a time limit, print exactly one line that names
# the file, and leave no output file and no temporary behind. Never a crash (exit > 128), a hang
# (timeout) or a file presented as good. Unusual but valid inputs next to them still work.
# usage: bad_inputs_test.sh CNNV3 SOURCE_ROOT
set -uo pipefail
cnnv3=$1 src=$2
source "$(dirname "${BASH_SOURCE[0]}")/e2e_common.sh"
good_model=$src/tests/vectors/test-random-48
C=(--quiet --model "$good_model" --cond 0.3,0.6,0.8,0.2,0.9)

# refused NAME NEEDLE -- command...: exit 1 in 60 s, one line containing NEEDLE (the file's name),
# no out.* and no hidden temporary left.
refused() {
  local name=$1 needle=$2
  shift 3
  rm -f out.* err.log
  timeout 60 "$@" >/dev/null 2>err.log
  local rc=$?
  if [ "$rc" != 1 ]; then
    bad "$name: exit $rc (expected 1)"; cat err.log; return
  fi
  if [ "$(messages err.log | wc -l)" != 1 ] || ! messages err.log | grep -q -F -- "$needle"; then
    bad "$name: stderr is not one line naming $needle:"; cat err.log; return
  fi
  if ls -A | grep -q -e '^out\.' -e '\.cnnv3-'; then
    bad "$name: left a file behind: $(ls -A | grep -e '^out\.' -e '\.cnnv3-' | tr '\n' ' ')"; return
  fi
  ok "$name: $(messages err.log)"
}

ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=64x36:rate=10:duration=1 \
  -f lavfi -i sine=frequency=440:duration=1 -pix_fmt yuv420p -shortest clip.mp4
ffmpeg -nostdin -loglevel error -i clip.mp4 -c copy clip.mkv
ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=64x36:rate=10:duration=1 -pix_fmt yuv420p -f yuv4mpegpipe clip.y4m

# --- media files
: >empty.mp4
refused zero-byte-video "empty.mp4" -- "$cnnv3" stylize "${C[@]}" empty.mp4 out.mp4
# The FCC matrix: libplacebo has no such system and the CPU colour conversion left the product.
ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=64x36:rate=10:duration=0.3 -pix_fmt yuv420p -colorspace fcc \
  -c:v ffv1 fcc.mkv
refused fcc-matrix 'fcc.mkv: colour matrix "fcc" is not supported' -- "$cnnv3" stylize "${C[@]}" fcc.mkv out.mkv
refused zero-byte-analyze "empty.mp4" -- "$cnnv3" analyze empty.mp4 -o out.csv
printf 'these are my notes, not a video\n' >notes.mp4
refused text-as-video "notes.mp4" -- "$cnnv3" stylize "${C[@]}" notes.mp4 out.mp4
refused text-as-video-analyze "notes.mp4" -- "$cnnv3" analyze notes.mp4 -o out.csv
head -c "$(($(stat -c %s clip.mp4) / 2))" clip.mp4 >half.mp4
refused truncated-mp4 "half.mp4" -- "$cnnv3" stylize "${C[@]}" half.mp4 out.mkv
head -c "$(($(stat -c %s clip.mkv) / 2))" clip.mkv >cut.mkv
refused truncated-mkv "cut.mkv" -- "$cnnv3" stylize "${C[@]}" cut.mkv out.mkv
# y4m cut in the middle of its 6th frame: a frame header promises more bytes than there are
frame=$((64 * 36 * 3 / 2 + 6))
head -c "$(( $(head -n1 clip.y4m | wc -c) + 5 * frame + frame / 2 ))" clip.y4m >cut.y4m
refused y4m-cut-mid-frame "cut.y4m" -- "$cnnv3" stylize "${C[@]}" cut.y4m out.mkv
refused y4m-cut-mid-frame-stdin "stdin" -- bash -c '"$0" stylize "${@:1}" - out.mkv <cut.y4m' "$cnnv3" "${C[@]}"
ffmpeg -nostdin -loglevel error -f lavfi -i sine=frequency=440:duration=1 song.wav
refused audio-only-stylize "song.wav" -- "$cnnv3" stylize "${C[@]}" song.wav out.mp4
# Without --cond the audio would be analysed first: its note must not come before the refusal.
ffmpeg -nostdin -loglevel error -f lavfi -i sine=frequency=440:duration=1 -i clip.mp4 -map 0:a -map 1:v -frames:v 1 \
  -c:a libmp3lame -c:v png -disposition:v attached_pic cover.mp3
refused audio-only-stylize-analysed "song.wav" -- "$cnnv3" stylize --quiet --model "$good_model" song.wav out.mp4
refused audio-with-cover-picture "cover.mp3: has no video stream" -- "$cnnv3" stylize --quiet --model "$good_model" cover.mp3 out.mp4
refused audio-with-cover-picture-stdin "stdin: has no video stream" -- \
  bash -c '"$0" stylize --quiet --model "$1" - out.mp4 <cover.mp3' "$cnnv3" "$good_model"
# An output that holds audio only: refused before the audio analysis (whose note would come first).
refused audio-only-output "out.mp3: the .mp3 container cannot hold video (expected a video container" -- \
  "$cnnv3" stylize --quiet --model "$good_model" clip.mp4 out.mp3
refused missing-input "nothere.mp4" -- "$cnnv3" stylize "${C[@]}" nothere.mp4 out.mp4
mkdir folder.mp4
refused directory-as-input "folder.mp4" -- "$cnnv3" stylize "${C[@]}" folder.mp4 out.mp4
refused directory-as-input-analyze "folder.mp4" -- "$cnnv3" analyze folder.mp4 -o out.csv
# damaged packets in the middle of the file: strict decoding refuses rather than writing garbage
cp clip.mkv damaged.mkv
size=$(stat -c %s damaged.mkv)
printf '%*s' 400 '' | tr ' ' '\377' | dd of=damaged.mkv bs=1 seek=$((size / 2)) conv=notrunc status=none
timeout 60 "$cnnv3" stylize "${C[@]}" damaged.mkv out.mkv >/dev/null 2>err.log
rc=$?
if [ "$rc" = 0 ]; then
  [ -s out.mkv ] && ffprobe -v error out.mkv && ok "damaged-mkv: decodable output (the damage fell between frames)" \
    || bad "damaged-mkv: exit 0 without a valid output"
elif [ "$rc" = 1 ] && [ "$(messages err.log | wc -l)" = 1 ] && grep -q damaged.mkv err.log && ! ls out.* 2>/dev/null; then
  ok "damaged-mkv: $(messages err.log)"
else
  bad "damaged-mkv: exit $rc"; cat err.log
fi

# --- models
model() {  # model DIR: a copy of the good model
  rm -rf "$1" && mkdir -p "$1" && cp "$good_model"/* "$1"/
}
model nan
python3 - nan <<'PY'
import hashlib, json, struct, sys
d = sys.argv[1]
w = bytearray(open(f"{d}/cnn_v3_weights.bin", "rb").read())
w[10:12] = struct.pack("<H", 0x7e00)  # an f16 NaN
open(f"{d}/cnn_v3_weights.bin", "wb").write(w)
m = json.load(open(f"{d}/model.json"))
m["weights"]["sha256"] = hashlib.sha256(w).hexdigest()  # a consistent file: only the NaN is wrong
json.dump(m, open(f"{d}/model.json", "w"))
PY
refused nan-weights "nan/cnn_v3_weights.bin" -- "$cnnv3" stylize --quiet --model nan --cond 0,0,0,0,0 clip.mp4 out.mp4
model short
truncate -s -2 short/cnn_v3_film_mlp.bin
refused truncated-mlp "short/cnn_v3_film_mlp.bin" -- "$cnnv3" stylize --quiet --model short --cond 0,0,0,0,0 clip.mp4 out.mp4
model badjson
printf '{"format": "cnnv3-model", "version": 1, ' >badjson/model.json
refused bad-model-json "badjson/model.json" -- "$cnnv3" stylize --quiet --model badjson --cond 0,0,0,0,0 clip.mp4 out.mp4
model wrongsize
python3 - wrongsize <<'PY'
import json, sys
d = sys.argv[1]
m = json.load(open(f"{d}/model.json"))
m["enc_channels"] = [8, 16]  # the files hold a [4, 8] model
json.dump(m, open(f"{d}/model.json", "w"))
PY
refused wrong-enc-channels "wrongsize/cnn_v3_weights.bin" -- "$cnnv3" stylize --quiet --model wrongsize --cond 0,0,0,0,0 clip.mp4 out.mp4

# --- unusual but valid: these work
for f in clip.mp4 clip.mkv clip.y4m; do
  rm -f out.*
  if timeout 120 "$cnnv3" stylize "${C[@]}" "$f" out.mkv 2>err.log && ffprobe -v error out.mkv; then
    ok "valid $f"
  else
    bad "valid $f"; cat err.log
  fi
done
exit $fail
