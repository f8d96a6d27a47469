#!/usr/bin/env bash
# `cnnv3 stylize` through the GPU frame path (filter/gpu/frame_planes_gpu.h) and temporal feedback
# (SPEC §2 prev.rgb), on lavapipe:
#   1. --strength 0 gives the input planes back unchanged, out-of-gamut codes included (testsrc2 at
#      8-bit 4:4:4 came back with luma off by up to 17 codes through the CPU conversion), at odd
#      sizes, 4:2:0 / 4:2:2 / 4:4:4 / 4:1:1, 8-16 bits, limited and full range, with alpha; and so
#      do the other layouts (nv12, p010, gray, rgb24, gbrp10, pal8 as RGBA...), the summary line
#      saying the colours were converted on the GPU.
#   2. Strength 1 on nv12, rgb24, gray, pal8, gbrp10 and yuv422p10 input, written in the input's
#      format and in another one (--pix-fmt: yuv422p10 -> yuv420p, rgb24 -> yuv420p, nv12 -> rgb48):
#      the output is the CPU reference (cnnv3-shadergen reference on the input as zimg converts
#      it, converted by zimg into the output's format where that is YUV).
#      A .png output (rgb48be) is written on the GPU as well.
#   3. A pan with a hard cut, as rgb24 and as yuv444p: every frame is the CPU reference given the
#      previous frame's reference output as --prev, none on frame 0 and on the frame after the
#      cut; frame 1 differs from its prev = 0 reference.
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

# The other layouts: lossless rawvideo in NUT keeps any format; compared as COMPARE_FMT (pal8 is
# written as RGBA).
same_codes() {  # NAME FORMAT COMPARE_FMT FFMPEG_INPUT_ARGS...
  local name=$1 fmt=$2 cmp=$3
  shift 3
  ffmpeg -nostdin -loglevel error "$@" -pix_fmt "$fmt" -c:v rawvideo "$name.nut" || { bad "$name: cannot make the clip"; return; }
  if ! "$cnnv3" stylize --model "$model" --cond $cond --strength 0 --encoder rawvideo "$name.nut" "${name}_out.nut" \
      2>"$name.log"; then
    bad "$name: exit $?"; messages "$name.log"; return
  fi
  grep -q "colours converted on the GPU" "$name.log" || { bad "$name: not converted on the GPU"; messages "$name.log"; }
  local a b
  a=$(ffmpeg -nostdin -loglevel error -i "$name.nut" -pix_fmt "$cmp" -f rawvideo - | md5sum)
  b=$(ffmpeg -nostdin -loglevel error -i "${name}_out.nut" -pix_fmt "$cmp" -f rawvideo - | md5sum)
  [ "$a" = "$b" ] && ok "strength 0 keeps $name on the GPU" || bad "strength 0 changed $name"
}
testsrc=(-f lavfi -i testsrc2=size=33x17:rate=10:duration=0.2)
same_codes nv12 nv12 nv12 -f lavfi -i testsrc2=size=34x18:rate=10:duration=0.2
same_codes p010 p010le p010le -f lavfi -i testsrc2=size=34x18:rate=10:duration=0.2
same_codes gray-tv gray gray "${testsrc[@]}" -color_range tv
same_codes gray10 gray10le gray10le "${testsrc[@]}"
same_codes rgb24 rgb24 rgb24 "${testsrc[@]}"
same_codes bgr0 bgr0 bgr0 "${testsrc[@]}"
same_codes gbrp10 gbrp10le gbrp10le "${testsrc[@]}"
same_codes yuyv422 yuyv422 yuyv422 -f lavfi -i testsrc2=size=34x17:rate=10:duration=0.2
same_codes pal8 pal8 rgba "${testsrc[@]}"

# 2. Strength 1 against the reference. Frames as 16-bit RGB PNGs through zimg (FFmpeg's zscale);
# untagged YUV is BT.601 limited range with left chroma (color_tags.h's SD defaults), gray full range.
zimg_args() {  # FORMAT: zscale's arguments from that format to RGB
  case $1 in
    rgb*|bgr*|gbr*|pal8) echo "filter=bilinear," ;;
    gray*) echo "rangein=full:range=full:filter=bilinear,format=gray16le," ;;  # zimg has no gray -> RGB
    *) echo "matrixin=170m:rangein=limited:chromalin=left:matrix=gbr:range=full:filter=bilinear," ;;
  esac
}
to_png() {  # CLIP FORMAT PNG
  ffmpeg -nostdin -loglevel error -y -i "$1" -vf "zscale=$(zimg_args "$2")format=gbrp16le" -pix_fmt rgb48be "$3"
}
expected() {  # REFERENCE_PNG OUT_FORMAT PNG: the reference as zimg writes it in that format, read back
  local vf
  case $2 in
    rgb*|bgr*|gbr*) cp "$1" "$3"; return ;;
    gray*) vf="zscale=matrix=170m:range=full:filter=bilinear,format=yuv444p16le,extractplanes=y" ;;
    nv12) vf="zscale=matrix=170m:range=limited:chromal=left:filter=bilinear,format=yuv420p,format=nv12" ;;
    *) vf="zscale=matrix=170m:range=limited:chromal=left:filter=bilinear,format=$2" ;;
  esac
  ffmpeg -nostdin -loglevel error -y -i "$1" -vf "$vf" -c:v rawvideo "$3.nut" && to_png "$3.nut" "$2" "$3"
}
styled() {  # NAME IN_FORMAT OUT_FORMAT TOLERANCE
  local name=$1 in=$2 out=$3 tol=$4
  ffmpeg -nostdin -loglevel error -i "$src/samples/photo_chelsea.png" -vf "crop=66:46:100:150,format=$in" -frames:v 1 \
    -c:v rawvideo "$name.nut" || { bad "$name: cannot make the clip"; return; }
  if ! "$cnnv3" stylize --model "$model" --cond $cond --encoder rawvideo --pix-fmt "$out" "$name.nut" "${name}_out.nut" \
      2>"$name.log"; then
    bad "$name: exit $?"; messages "$name.log"; return
  fi
  grep -q "colours converted on the GPU" "$name.log" || { bad "$name: not converted on the GPU"; messages "$name.log"; }
  to_png "$name.nut" "$in" "${name}_in.png"
  to_png "${name}_out.nut" "$out" "${name}_out.png"
  "$shadergen" reference -y --model "$model" --cond $cond "${name}_in.png" "${name}_ref.png" || { bad "$name: reference"; return; }
  expected "${name}_ref.png" "$out" "${name}_expected.png" || { bad "$name: reference in $out"; return; }
  "$png_tool" diff "${name}_out.png" "${name}_expected.png" "$tol" >"$name.diff" \
    && ok "$name: $in -> $out on the GPU is the reference within $tol ($(head -c 80 "$name.diff"))" \
    || { bad "$name: $in -> $out differs from the reference"; cat "$name.diff"; }
}
styled s-nv12 nv12 nv12 3/255
styled s-rgb24 rgb24 rgb24 2/255
styled s-gray gray gray 2/255
styled s-pal8 pal8 rgba 2/255
styled s-gbrp10 gbrp10le gbrp10le 2/255
styled s-yuv422p10 yuv422p10le yuv422p10le 3/255
styled s-yuv422p10-to-420p yuv422p10le yuv420p 3/255
styled s-rgb24-to-420p rgb24 yuv420p 3/255
styled s-nv12-to-rgb48 nv12 rgb48le 2/255

# An image output: .png is always 16-bit big-endian RGB (encoder_choice.h), written on the GPU too.
"$cnnv3" stylize --model "$model" --cond $cond s-nv12.nut s-nv12.png 2>png.log \
  && grep -q "rgb48be.*colours converted on the GPU" png.log && to_png s-nv12.png rgb48be s-nv12-png.png \
  && "$png_tool" diff s-nv12-png.png s-nv12-to-rgb48_out.png 1/255 >/dev/null \
  && ok "nv12 -> .png (rgb48be) on the GPU, as rgb48le" || { bad "nv12 -> .png"; messages png.log; }

# 3. Feedback: a 1 px/frame pan over 4 frames, then a hard cut to the negated picture (2 frames).
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
feedback fb-rgb24 rgb24 2/255     # 8-bit RGB out
feedback fb-yuv444p yuv444p 3/255 # 8-bit YUV rounding in the output
exit $fail
