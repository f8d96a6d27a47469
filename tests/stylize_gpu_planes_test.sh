#!/usr/bin/env bash
# `cnnv3 stylize` on planar YUV (the GPU frame path, filter/gpu/frame_planes_gpu.h) and temporal
# feedback (SPEC §2 prev.rgb), on lavapipe:
#   1. --strength 0 gives the input planes back unchanged, out-of-gamut codes included (testsrc2 at
#      8-bit 4:4:4 came back with luma off by up to 17 codes through the CPU conversion), at odd
#      sizes, 4:2:0 / 4:2:2 / 4:4:4 / 4:1:1, 8-16 bits, limited and full range, with alpha.
#   2. A pan with a hard cut, as RGB (the CPU conversion) and as yuv444p (the GPU path): every
#      frame is the CPU reference given the previous frame's reference output as --prev, none on
#      frame 0 and on the frame after the cut; frame 1 differs from its prev = 0 reference.
# usage: stylize_gpu_planes_test.sh CNNV3 SHADERGEN PNG_TOOL SOURCE_ROOT
set -uo pipefail
cnnv3=$1 shadergen=$2 png_tool=$3 src=$4
source "$(dirname "${BASH_SOURCE[0]}")/e2e_common.sh"
model=$src/tests/vectors/test-random-816
cond=0.3,0.6,0.8,0.2,0.9

# 1. Strength 0: the planes come back as they went in (ffv1 is lossless: compare decoded bytes).
same_planes() {  # NAME FFMPEG_INPUT_ARGS... : encode, stylize at strength 0, compare
  local name=$1
  shift
  ffmpeg -nostdin -loglevel error "$@" -c:v ffv1 "$name.mkv" || { bad "$name: cannot make the clip"; return; }
  if ! "$cnnv3" stylize --quiet --model "$model" --cond $cond --strength 0 --encoder ffv1 "$name.mkv" "${name}_out.mkv" \
      2>"$name.log"; then
    bad "$name: exit $?"; messages "$name.log"; return
  fi
  local a b
  a=$(ffmpeg -nostdin -loglevel error -i "$name.mkv" -f rawvideo - | md5sum)
  b=$(ffmpeg -nostdin -loglevel error -i "${name}_out.mkv" -f rawvideo - | md5sum)
  [ "$a" = "$b" ] && ok "strength 0 keeps $name" || bad "strength 0 changed $name"
}
same_planes testsrc2-444p -f lavfi -i testsrc2=size=64x36:rate=10:duration=0.2 -pix_fmt yuv444p
same_planes testsrc2-420p-33x17 -f lavfi -i testsrc2=size=33x17:rate=10:duration=0.2 -pix_fmt yuv420p
same_planes testsrc2-422p10-full -f lavfi -i testsrc2=size=33x17:rate=10:duration=0.2 -pix_fmt yuv422p10le \
  -color_range pc -colorspace bt709
same_planes testsrc2-420p12 -f lavfi -i testsrc2=size=35x19:rate=10:duration=0.2 -pix_fmt yuv420p12le
same_planes testsrc2-411p -f lavfi -i testsrc2=size=36x17:rate=10:duration=0.2 -pix_fmt yuv411p
same_planes testsrc2-yuva420p -f lavfi -i testsrc2=size=33x17:rate=10:duration=0.2 -pix_fmt yuva420p

# 2. Feedback: a 1 px/frame pan over 4 frames, then a hard cut to the negated picture (2 frames).
clip() {  # FORMAT OUT
  ffmpeg -nostdin -loglevel error -loop 1 -i "$src/samples/photo_chelsea.png" -filter_complex \
    "[0]crop=67:45:100+n:150,trim=end_frame=4,setpts=N/10/TB[a];[0]crop=67:45:100+n:150,negate,trim=end_frame=2,setpts=N/10/TB[b];[a][b]concat=n=2:v=1,format=$1" \
    -r 10 -c:v ffv1 "$2"
}
# Frames as 16-bit RGB PNGs; YUV through zimg (FFmpeg's zscale), the external conversion.
# YUV is untagged: BT.601 limited range, the defaults of color_tags.h for SD.
frames() {  # CLIP PREFIX
  local from=
  [ "$fmt" = rgb24 ] || from=matrixin=170m:rangein=limited:matrix=gbr:range=full:
  ffmpeg -nostdin -loglevel error -i "$1" -vf "zscale=${from}filter=bilinear,format=gbrp16le" -pix_fmt rgb48be "$2_%d.png"
}
feedback() {  # NAME FORMAT TOLERANCE
  local name=$1 fmt=$2 tol=$3
  clip "$fmt" "$name.mkv" || { bad "$name: cannot make the clip"; return; }
  if ! "$cnnv3" stylize --quiet --model "$model" --cond $cond --encoder ffv1 "$name.mkv" "${name}_out.mkv" 2>"$name.log"; then
    bad "$name: exit $?"; messages "$name.log"; return
  fi
  frames "$name.mkv" "${name}_in"
  frames "${name}_out.mkv" "${name}_out"
  local n prev worst_ok=1
  for n in 1 2 3 4 5 6; do
    prev=()
    # prev.rgb: the previous frame's output, except on frame 1 and on frame 5 (the cut).
    [ "$n" != 1 ] && [ "$n" != 5 ] && prev=(--prev "${name}_ref_$((n - 1)).png")
    "$shadergen" reference -y --model "$model" --cond $cond "${prev[@]}" "${name}_in_$n.png" "${name}_ref_$n.png" \
      || { bad "$name: reference of frame $n"; return; }
    "$png_tool" diff "${name}_out_$n.png" "${name}_ref_$n.png" "$tol" >"$name.diff" \
      || { bad "$name frame $n differs from the reference with prev = frame $((n - 1))'s output"; cat "$name.diff"; worst_ok=0; }
  done
  [ $worst_ok = 1 ] && ok "$name: every frame is the reference fed the previous output (none on frames 1 and 5)"
  # Feedback is visible: frame 2 against its reference with prev = 0 differs by more than the tolerance.
  "$shadergen" reference -y --model "$model" --cond $cond "${name}_in_2.png" "${name}_noprev_2.png"
  if "$png_tool" diff "${name}_out_2.png" "${name}_noprev_2.png" "$tol" >/dev/null; then
    bad "$name: frame 2 equals its prev = 0 reference (no feedback)"
  else
    ok "$name: frame 2 differs from its prev = 0 reference"
  fi
  "$cnnv3" stylize --quiet --feedback 0 --model "$model" --cond $cond --encoder ffv1 "$name.mkv" "${name}_nofb.mkv" \
    2>/dev/null && frames "${name}_nofb.mkv" "${name}_nofb"
  "$png_tool" diff "${name}_nofb_2.png" "${name}_noprev_2.png" "$tol" >/dev/null \
    && ok "$name: --feedback 0 is the prev = 0 reference" || bad "$name: --feedback 0 still feeds back"
}
feedback fb-rgb24 rgb24 2/255     # the CPU conversion: 8-bit RGB out
feedback fb-yuv444p yuv444p 3/255 # the GPU path: 8-bit YUV rounding in the output
exit $fail
