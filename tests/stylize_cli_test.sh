#!/usr/bin/env bash
# `cnnv3 stylize` end to end on lavapipe: a still and a lossless RGB video against the CPU
# reference (max abs <= 1/255 per frame), audio copied bit-exact with the frame count kept on the
# demo clip, the no-audio note, a corrupt input (clear error, no file left), overwrite refusal,
# Ctrl-C leaving a valid, shorter file (every frame in flight written), --hwdec, and the output
# written without O_TRUNC (strace), and the GPU set up while IN is opened (strace).
# usage: stylize_cli_test.sh CNNV3 SHADERGEN PNG_TOOL SOURCE_ROOT
set -uo pipefail
cnnv3=$1 shadergen=$2 png_tool=$3 src=$4
source "$(dirname "${BASH_SOURCE[0]}")/e2e_common.sh"
model=$src/tests/vectors/test-random-816
cond=0.3,0.6,0.8,0.2,0.9

# 1. A still PNG -> 16-bit PNG, against the reference.
"$png_tool" crop-tile "$src/samples/photo_chelsea.png" 853 479 still.png
"$shadergen" reference --model "$model" --cond $cond still.png still_ref.png
if "$cnnv3" stylize --quiet --model "$model" --cond $cond still.png still_out.png 2>still.log; then
  "$png_tool" diff still_out.png still_ref.png 1/255 && ok still || bad "still differs from the reference"
else
  bad "still: exit $?"; cat still.log
fi

# 2. A lossless RGB video (odd size), every frame against the reference (fed the previous one's).
ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=67x45:rate=10:duration=0.5 -pix_fmt rgb24 -c:v ffv1 rgb.mkv
if "$cnnv3" stylize --quiet --model "$model" --cond $cond rgb.mkv rgb_out.mkv 2>rgb.log; then
  ffmpeg -nostdin -loglevel error -i rgb.mkv -pix_fmt rgb24 in_%02d.png
  ffmpeg -nostdin -loglevel error -i rgb_out.mkv -pix_fmt rgb24 out_%02d.png
  n_in=$(ls in_*.png | wc -l) n_out=$(ls out_*.png | wc -l)
  [ "$n_in" = "$n_out" ] && [ "$n_in" -gt 0 ] || bad "lossless video: $n_in frames in, $n_out out"
  prev=()  # temporal feedback (SPEC prev.rgb): frame n's reference takes frame n-1's as prev; no cut here
  for f in in_*.png; do
    i=${f#in_}
    "$shadergen" reference --model "$model" --cond $cond "${prev[@]}" "$f" "ref_$i"
    "$png_tool" diff "out_$i" "ref_$i" 1/255 >diff.log || { bad "lossless video frame $i"; cat diff.log; }
    prev=(--prev "ref_$i")
  done
  ok "lossless video ($n_out frames)"
else
  bad "lossless video: exit $?"; cat rgb.log
fi

# 3. The demo clip (audio with a beat): audio bit-exact, frames and duration kept.
bash "$src/scripts/make-demo-clip.sh" demo6.mp4
ffmpeg -nostdin -loglevel error -i demo6.mp4 -t 2 -c copy demo.mp4   # 2 s keep the test short on lavapipe
if "$cnnv3" stylize --progress json --model "$src/tests/vectors/test-random-48" demo.mp4 demo_out.mp4 2>demo.log; then
  a1=$(ffmpeg -nostdin -loglevel error -i demo.mp4 -map 0:a -c copy -f md5 -)
  a2=$(ffmpeg -nostdin -loglevel error -i demo_out.mp4 -map 0:a -c copy -f md5 -)
  [ "$a1" = "$a2" ] && ok "audio packets identical" || bad "audio changed ($a1 vs $a2)"
  count() { ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$1"; }
  [ "$(count demo.mp4)" = "$(count demo_out.mp4)" ] && ok "frame count kept" || bad "frame count changed"
  grep -q "conditioning from the audio" demo.log && ok "audio-driven conditioning" || { bad "no audio conditioning"; cat demo.log; }
else
  bad "demo clip: exit $?"; cat demo.log
fi

# 4. No audio: fixed conditioning with a note.
ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=64x36:rate=10:duration=0.3 -pix_fmt yuv420p silent.mp4
"$cnnv3" stylize --quiet --model "$model" silent.mp4 silent_out.mp4 2>silent.log \
  && grep -q "no audio stream" silent.log && ok "no-audio note" || { bad "no-audio fallback"; cat silent.log; }

# 5. Corrupt input: one clear line, non-zero, nothing left behind.
head -c 3000 demo.mp4 > broken.mp4
if "$cnnv3" stylize --quiet --model "$model" --cond $cond broken.mp4 broken_out.mp4 2>broken.log; then
  bad "corrupt input accepted"
else
  [ "$(wc -l < broken.log)" = 1 ] && grep -q "broken.mp4" broken.log && ok "corrupt input refused: $(head -1 broken.log)" \
    || { bad "corrupt input message"; cat broken.log; }
fi
ls broken_out* >/dev/null 2>&1 && bad "a file was left behind for the corrupt input"

# 6. An existing OUT is not overwritten without -y.
"$cnnv3" stylize --quiet --model "$model" --cond $cond still.png still_out.png 2>exists.log \
  && bad "overwrote without -y" || ok "refuses to overwrite: $(head -1 exists.log)"

# 7. Between two ffmpeg commands: y4m in on stdin, y4m out on stdout.
ffmpeg -nostdin -loglevel error -i silent.mp4 -f yuv4mpegpipe - \
  | "$cnnv3" stylize --quiet --model "$model" --cond $cond - - 2>pipe.log \
  | ffmpeg -nostdin -loglevel error -f yuv4mpegpipe -i - -c:v ffv1 piped.mkv
n=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 piped.mkv 2>/dev/null)
[ "$n" = 3 ] && ok "y4m pipe in and out ($n frames)" || { bad "y4m pipe: '$n' frames"; cat pipe.log; }

# 8. Ctrl-C: a valid, finalised, shorter file.
ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=320x180:rate=25:duration=20 -pix_fmt yuv420p long.mp4
"$cnnv3" stylize --progress json --model "$model" --cond $cond long.mp4 long_out.mp4 2>long.log &
pid=$!
for _ in $(seq 1 300); do grep -q '"frames": [1-9]' long.log 2>/dev/null && break; sleep 0.2; done
kill -INT $pid
wait $pid
rc=$?
frames=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 long_out.mp4 2>/dev/null)
# With frames in flight (decode, GPU and encode on their own threads), every frame the summary
# counts is in the file, and no other.
said=$(sed -nE 's/^cnnv3: long_out.mp4: ([0-9]+) frames, .*stopped early by Ctrl-C.*/\1/p' long.log)
if [ "$rc" = 130 ] && [ -n "$frames" ] && [ "$frames" -gt 0 ] && [ "$frames" -lt 500 ] && [ "$said" = "$frames" ]; then
  ok "Ctrl-C left a valid file of $frames frames, as the summary says"
else
  bad "Ctrl-C: exit $rc, frames '$frames', summary '$said'"; tail -3 long.log
fi

# 9. --hwdec: this machine has no hardware decoder, so auto falls back to software silently and
# gives the same output as none; a bad value is refused with one line and nothing written.
for h in none auto; do
  if "$cnnv3" stylize --quiet --model "$model" --cond $cond --hwdec $h --encoder ffv1 silent.mp4 "hw_$h.mkv" 2>"hw_$h.log"; then
    [ -n "$(messages "hw_$h.log")" ] && { bad "--hwdec $h printed something"; cat "hw_$h.log"; }
  else
    bad "--hwdec $h: exit $?"; cat "hw_$h.log"
  fi
done
a=$(ffmpeg -nostdin -loglevel error -i hw_none.mkv -f rawvideo - | md5sum)
b=$(ffmpeg -nostdin -loglevel error -i hw_auto.mkv -f rawvideo - | md5sum)
[ -s hw_none.mkv ] && [ "$a" = "$b" ] && ok "--hwdec auto = --hwdec none here" || bad "--hwdec auto and none differ"
"$cnnv3" stylize --quiet --model "$model" --cond $cond --hwdec cuda silent.mp4 hw_bad.mkv 2>hw_bad.log
rc=$?
[ "$rc" = 2 ] && [ "$(wc -l < hw_bad.log)" = 1 ] && grep -qF -- '--hwdec: "cuda" is not a choice (expected auto or none)' hw_bad.log \
  && [ ! -e hw_bad.mkv ] \
  && ok "--hwdec cuda refused: $(cat hw_bad.log)" || { bad "--hwdec cuda: exit $rc"; cat hw_bad.log; }

# 10. The output's temporary file, created empty, is not opened again with O_TRUNC: ext4 flushes a
# file truncated to length 0 when it is closed (0.3 s a GB at the end of a rawvideo run).
strace -f -e trace=openat -o open.trace "$cnnv3" stylize --quiet --model "$model" --cond $cond --encoder rawvideo \
  silent.mp4 trunc.nut 2>trunc.log
opened=$(grep -E 'openat\(AT_FDCWD, "[^"]*\.trunc\.cnnv3-[^"]*\.nut", O_WRONLY' open.trace)
if [ -s trunc.nut ] && [ "$(grep -c . <<< "$opened")" = 2 ] && ! grep -q O_TRUNC <<< "$opened"; then
  ok "the temporary output is written without O_TRUNC"
else
  bad "the temporary output's opens: $opened"; cat trunc.log
fi
# 11. CNNV3_DECODE_BUFFERS=0 (for comparisons): no frame decoded into the GPU's buffers, the same
# pixels; by default most frames are.
ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=64x36:rate=24:duration=2 -pix_fmt yuv420p db.mp4
for db in 1 0; do
  CNNV3_DECODE_BUFFERS=$db CNNV3_STAGE_TIMES=1 "$cnnv3" stylize --quiet --model "$model" --cond $cond --encoder ffv1 \
    db.mp4 "db_$db.mkv" 2>"db_$db.log"
  into[$db]=$(sed -nE "s/.*; ([0-9]+) frames decoded into the processor's buffers.*/\1/p" "db_$db.log")
  # CNNV3_STAGE_TIMES: the pipeline's stages, then the GPU stage's steps, one line each
  [ "$(grep -oE '^cnnv3: (stage times|GPU stage steps) over' "db_$db.log" | tr '\n' ,)" = \
    "cnnv3: stage times over,cnnv3: GPU stage steps over," ] \
    || { bad "CNNV3_STAGE_TIMES=1: not one stage-times line and one steps line"; cat "db_$db.log"; }
done
a=$(ffmpeg -nostdin -loglevel error -i db_1.mkv -f rawvideo - | md5sum)
b=$(ffmpeg -nostdin -loglevel error -i db_0.mkv -f rawvideo - | md5sum)
[ "${into[0]}" = 0 ] && [ "${into[1]:-0}" -gt 0 ] && [ "$a" = "$b" ] \
  && ok "decode buffers: ${into[1]} frames decoded into them, 0 with CNNV3_DECODE_BUFFERS=0, the same pixels" \
  || { bad "decode buffers: '${into[1]}' / '${into[0]}' frames, md5 $a / $b"; tail -2 db_1.log db_0.log; }
# 12. The GPU is set up while the input is opened, not after its first frame: IN a named pipe
# (--cond streams it) whose writer waits until the Vulkan loader has read its driver list (icd,
# vkCreateInstance; at most 20 s), the driver list is read before the open of IN returns. (Set up
# only after the first frame, the writer would wait the 20 s and the list come after the open.)
mkfifo late.fifo
: > late.trace
(for _ in $(seq 200); do grep -q 'openat(.*icd' late.trace && break; sleep 0.1; done; cat db.mp4 > late.fifo) &
writer=$!
strace -f -e trace=openat -o late.trace "$cnnv3" stylize --quiet --model "$model" --cond $cond --encoder ffv1 \
  late.fifo late_out.mkv 2>late.log
wait $writer
icd=$(grep -n 'openat(.*icd' late.trace | head -1 | cut -d: -f1)
# the open of IN: complete on its own line, or the first "resumed" line of its thread after it
# (that thread's earlier openat calls may have been cut by other threads' lines too)
start=$(grep -nE 'openat\(AT_FDCWD, "[^"]*late\.fifo", O_RDONLY' late.trace | head -1)
opened=${start%%:*} pid=$(cut -d: -f2- <<< "$start" | cut -d' ' -f1)
if [[ "$start" == *"<unfinished ...>"* ]]; then
  opened=$(awk -v from="$opened" -v pid="$pid" 'NR > from && $1 == pid && /<\.\.\. openat resumed>/ { print NR; exit }' late.trace)
fi
if [ -s late_out.mkv ] && [ -n "$icd" ] && [ -n "$opened" ] && [ "$icd" -lt "$opened" ]; then
  ok "the GPU set-up runs while IN is opened (driver list read at trace line $icd, IN opened at $opened)"
else
  bad "GPU set-up: driver list read at trace line '${icd}', IN opened at '${opened}'"; cat late.log
fi
exit $fail
