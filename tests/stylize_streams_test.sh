#!/usr/bin/env bash
# What `cnnv3 stylize` writes, end to end on lavapipe (docs/video.md): audio a container cannot
# carry is re-encoded with one note (AAC -> Opus in WebM), encoder banners stay quiet (libx265),
# --pix-fmt, a frame larger than the GPU's textures refused with one line, and a loop over tiny
# unusual inputs (1x1, odd sizes, 4:2:2, 4:4:4, gray, palette PNG/GIF, 10/16-bit, several video
# streams, cover art) that must each give exit 0 and a decodable output with the same frame count.
# usage: stylize_streams_test.sh CNNV3 SOURCE_ROOT
set -uo pipefail
cnnv3=$1 src=$2
source "$(dirname "${BASH_SOURCE[0]}")/e2e_common.sh"
model=$src/tests/vectors/test-random-48
mk() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@" || bad "ffmpeg $*"; }
stylize() { "$cnnv3" stylize --quiet -y --model "$model" --cond 0.3,0.6,0.8,0.2,0.9 "$@"; }
probe() { ffprobe -v error -select_streams "$1" -show_entries "$2" -of csv=p=0 "$3" | head -1; }
frames() { ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$1"; }
lines() { messages "$1" | grep -c .; }  # stderr lines besides lavapipe's note

# 1. AAC into WebM: an Opus stream of the input's length, and one line saying so.
mk -f lavfi -i testsrc2=size=64x36:rate=24:duration=1 -f lavfi -i sine=frequency=440:duration=1 \
  -c:v libx264 -preset ultrafast -c:a aac -shortest music.mp4
if stylize music.mp4 music.webm 2>webm.log; then
  codec=$(probe a:0 stream=codec_name music.webm)
  secs=$(ffmpeg -nostdin -i music.webm -map 0:a -f null - 2>&1 | grep -o 'time=[0-9:.]*' | tail -1 | cut -d: -f3)
  [ "$codec" = opus ] && awk -v s="$secs" 'BEGIN { exit !(s > 0.97 && s < 1.06) }' \
    && ok "webm: opus audio, $secs s" || bad "webm audio: codec '$codec', $secs s"
  [ "$(grep -c 're-encoded to opus' webm.log)" = 1 ] && ok "webm: one note" || { bad "webm note"; cat webm.log; }
else
  bad "webm: exit $?"; cat webm.log
fi

# 2. libx265 prints nothing of its own (x265 [info] banners) ; 3. --pix-fmt yuv420p from 10-bit.
mk -f lavfi -i testsrc2=size=64x36:rate=25:duration=0.2 -pix_fmt yuv420p10le -c:v ffv1 ten.mkv
if stylize --encoder libx265 -x preset=ultrafast --pix-fmt yuv420p ten.mkv web.mp4 2>x265.log; then
  grep -q 'x265 \[' x265.log && { bad "x265 banner printed"; cat x265.log; } || ok "x265 quiet"
  [ "$(probe v:0 stream=pix_fmt web.mp4)" = yuv420p ] && ok "--pix-fmt yuv420p" || bad "--pix-fmt: $(probe v:0 stream=pix_fmt web.mp4)"
else
  bad "x265: exit $?"; cat x265.log
fi
stylize --encoder libx265 --pix-fmt yuv411p ten.mkv no.mp4 2>pix.log
rc=$?
[ $rc = 1 ] && [ "$(lines pix.log)" = 1 ] && grep -q 'cannot write yuv411p in mp4 (it takes yuv420p' pix.log && [ ! -e no.mp4 ] \
  && ok "--pix-fmt refused in one line" || { bad "--pix-fmt refusal: exit $rc"; cat pix.log; }

# 4. Wider than any GPU texture: one line naming the file, exit 1, no output.
mk -f lavfi -i color=size=17000x2:rate=10:duration=0.1 -c:v ffv1 wide.mkv
stylize wide.mkv wide_out.mkv 2>wide.log
rc=$?
[ $rc = 1 ] && [ "$(wc -l <wide.log)" = 1 ] && grep -q '^cnnv3: wide.mkv: 17000x2 frames' wide.log && [ ! -e wide_out.mkv ] \
  && ok "17000x2 refused in one line" || { bad "17000x2: exit $rc, $(wc -l <wide.log) lines"; cat wide.log; }

# 5. Tiny unusual inputs: exit 0, a decodable output, the same number of frames.
src_v() { mk -f lavfi -i "testsrc2=size=64x36:rate=10:duration=0.3,scale=${1/x/:}" "${@:2}"; }
src_v 1x1 -pix_fmt yuv444p -c:v ffv1 one.mkv
src_v 17x9 -pix_fmt yuv420p -c:v ffv1 odd420.mkv
src_v 17x9 -pix_fmt yuv422p -c:v ffv1 odd422.mkv
src_v 32x18 -pix_fmt yuv422p -c:v libx264 -preset ultrafast h422.mkv
src_v 32x18 -pix_fmt yuv444p -c:v libx264 -preset ultrafast h444.mp4
src_v 33x19 -pix_fmt gray -c:v ffv1 gray.mkv
src_v 32x18 -pix_fmt gray16le -c:v ffv1 gray16.mkv
src_v 32x18 -pix_fmt yuv420p10le -c:v libx264 -preset ultrafast h10.mkv
src_v 32x18 -pix_fmt yuv444p16le -c:v ffv1 yuv16.mkv
src_v 32x18 -pix_fmt rgb48le -c:v ffv1 rgb48.mkv
src_v 31x17 -pix_fmt yuva420p -c:v ffv1 alpha.mkv
mk -f lavfi -i testsrc2=size=24x16:rate=1 -frames:v 1 -pix_fmt pal8 pal8.png
mk -f lavfi -i testsrc2=size=24x16:rate=10:duration=0.3 anim.gif
mk -f lavfi -i testsrc2=size=32x18:rate=10:duration=0.3 -f lavfi -i testsrc=size=16x16:rate=10:duration=0.3 \
  -map 0 -map 1 -c:v libx264 -preset ultrafast two_videos.mkv
mk -f lavfi -i testsrc2=size=32x18:rate=1 -frames:v 1 cover.png
mk -f lavfi -i testsrc2=size=32x18:rate=10:duration=0.3 -f lavfi -i sine=duration=0.3 -i cover.png \
  -map 0:v -map 1:a -map 2 -c:v:0 libx264 -preset ultrafast -c:a aac -c:v:1 png -disposition:v:1 attached_pic cover.mp4
for f in one.mkv odd420.mkv odd422.mkv h422.mkv h444.mp4 gray.mkv gray16.mkv h10.mkv yuv16.mkv rgb48.mkv \
         alpha.mkv pal8.png anim.gif two_videos.mkv cover.mp4; do
  out=out_${f%.*}.mkv
  [ "$f" = pal8.png ] && out=out_pal8.png
  if stylize "$f" "$out" 2>"$f.log"; then
    n_in=$(frames "$f") n_out=$(frames "$out")
    [ -n "$n_out" ] && [ "$n_in" = "$n_out" ] && ok "$f: $n_out frames, $(probe v:0 stream=codec_name,pix_fmt "$out")" \
      || bad "$f: $n_in frames in, '$n_out' out"
  else
    bad "$f: exit $?"; cat "$f.log"
  fi
done

exit $fail
