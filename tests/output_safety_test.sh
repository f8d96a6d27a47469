#!/usr/bin/env bash
# Nothing a user has is ever lost, and every stop leaves a finished file (docs/host.md, "Output
# files" and "Signals and exit status"), for `cnnv3 stylize`, `cnnv3 analyze` and `cnnv3-shadergen`:
#   - OUT that is IN (same path, ./ spelling, symlink, hard link) is refused even with -y;
#   - temporary names never collide with a user's file (clip.partial.mp4 -> clip.mp4 keeps the input;
#     a user's own out.partial.mp4 survives); an existing OUT needs -y, for every tool;
#   - a directory, a read-only or a full filesystem: one line, exit 1, nothing left behind;
#   - SIGTERM / SIGHUP finalise like Ctrl-C (exit 143 / 129), SIGINT on a stalled stdin acts at once
#     (exit 130), a closed stdout is one line and a non-zero exit (not death by SIGPIPE);
#   - usage errors are one line pointing to --help; --version; numeric options name themselves.
# usage: output_safety_test.sh CNNV3 SHADERGEN SOURCE_ROOT
set -uo pipefail
cnnv3=$1 shadergen=$2 src=$3
source "$(dirname "${BASH_SOURCE[0]}")/e2e_common.sh"  # $work, the current directory; ok, bad, messages
mounts=()
# e2e_common.sh's exit trap, plus the mounts and the stdin feeder this test starts.
cleanup() {
  [ "$BASHPID" = "$$" ] || return  # not in a forked child that a signal reached before its exec
  for m in "${mounts[@]}"; do umount "$m" 2>/dev/null; done
  [ -n "${feeder:-}" ] && kill "$feeder" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
model=$src/tests/vectors/test-random-48
C=(--model "$model" --cond 0.3,0.6,0.8,0.2,0.9)
frames() { ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$1" 2>/dev/null; }
one_line() { [ "$(messages "$1" | wc -l)" = 1 ] && messages "$1" | grep -q -- "$2"; }
# Hidden temporaries (".NAME.cnnv3-XXXXXX.EXT") left in a folder.
leftovers() { ls -A "${1:-.}" | grep -- '\.cnnv3-' ; }

ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=64x36:rate=10:duration=0.5 \
  -f lavfi -i sine=frequency=440:duration=0.5 -pix_fmt yuv420p -shortest clip.mp4
sum() { md5sum < "$1"; }
clip_sum=$(sum clip.mp4)

# 1. OUT is IN, however spelled: refused with and without -y, the input unchanged.
ln -s clip.mp4 link.mp4
ln clip.mp4 hard.mp4
mkdir sub
# refused_as_input NAME -- command...: exit 1, one line saying OUT is the input, clip.mp4 unchanged.
refused_as_input() {
  local name=$1
  shift 2
  "$@" >/dev/null 2>same.log
  local rc=$?
  if [ "$rc" = 1 ] && one_line same.log "is the input" && [ "$(sum clip.mp4)" = "$clip_sum" ]; then
    ok "$name refused: $(messages same.log)"
  else
    bad "$name: exit $rc, input $([ "$(sum clip.mp4)" = "$clip_sum" ] && echo kept || echo CHANGED)"
    cat same.log
  fi
}
for out in clip.mp4 ./clip.mp4 sub/../clip.mp4 link.mp4 hard.mp4; do
  for y in "" -y; do
    refused_as_input "stylize $y clip.mp4 $out" -- "$cnnv3" stylize $y "${C[@]}" clip.mp4 "$out"
  done
done
for opt in -o --beats-out; do
  for out in clip.mp4 ./clip.mp4 link.mp4 hard.mp4; do
    for y in "" -y; do
      refused_as_input "analyze $y $opt $out" -- "$cnnv3" analyze clip.mp4 $y --bpm 120 "$opt" "$out"
    done
  done
done
# ... nor onto the other files a run reads (--cond-track, --beats), nor both analyze outputs one file.
printf '0.1\n0.6\n' > beats.txt
"$cnnv3" analyze clip.mp4 --bpm 120 -o track.csv 2>/dev/null
for t in "stylize --cond-track track.csv clip.mp4 ./track.csv:is the --cond-track file" \
         "stylize -y --beats beats.txt clip.mp4 beats.txt:is the --beats file" \
         "analyze -y clip.mp4 --beats beats.txt -o beats.txt:is the --beats file" \
         "analyze clip.mp4 --bpm 120 -o t2.csv --beats-out ./t2.csv:is also the --beats-out file"; do
  before=$(cat track.csv beats.txt | md5sum)
  # shellcheck disable=SC2086
  "$cnnv3" ${t%%:*} 2>same.log >/dev/null
  rc=$?
  [ "$rc" = 1 ] && one_line same.log "${t#*:}" && [ "$(cat track.csv beats.txt | md5sum)" = "$before" ] \
    && [ ! -e t2.csv ] && ok "${t%%:*} refused" || { bad "${t%%:*}: exit $rc"; cat same.log; }
done
ffmpeg -nostdin -loglevel error -i clip.mp4 -f yuv4mpegpipe clip.y4m
y4m_sum=$(sum clip.y4m)
timeout 20 "$cnnv3" stylize "${C[@]}" clip.y4m - >>clip.y4m 2>same.log  # would read its own output forever
rc=$?
[ "$rc" = 1 ] && one_line same.log "/dev/stdout: is the input" && [ "$(sum clip.y4m)" = "$y4m_sum" ] \
  && ok "stylize IN - >>IN refused" || { bad "stylize IN - >>IN: exit $rc"; cat same.log; }
rm clip.y4m
cp "$src/samples/photo_chelsea.png" photo.png
"$shadergen" reference -y "${C[@]}" photo.png ./photo.png 2>same.log
[ $? = 1 ] && one_line same.log "is the input" && cmp -s photo.png "$src/samples/photo_chelsea.png" \
  && ok "shadergen reference onto its input refused" || { bad "shadergen reference onto its input"; cat same.log; }
# ... nor onto the model's files (model.json, the two .bin files), the --audio file or the --prev
# image, with -y too: each tool reads them.
cp -r "$model" m
ffmpeg -nostdin -loglevel error -f lavfi -i sine=frequency=440:duration=0.5 song.mkv
cp "$src/samples/photo_chelsea.png" prev.png
read_sums() { cat m/* song.mkv prev.png | md5sum; }
for t in "$cnnv3 stylize -y --model m --cond 0,0,0,0,0 clip.mp4 m/model.json:is a file of the model" \
         "$cnnv3 stylize -y --model m --cond 0,0,0,0,0 clip.mp4 ./m/cnn_v3_weights.bin:is a file of the model" \
         "$cnnv3 stylize -y --model m --audio song.mkv clip.mp4 song.mkv:is the --audio file" \
         "$cnnv3 analyze -y clip.mp4 --model m --bpm 120 -o m/model.json:is a file of the model" \
         "$cnnv3 analyze -y clip.mp4 --model m --bpm 120 --beats-out m/cnn_v3_film_mlp.bin:is a file of the model" \
         "$shadergen hook -y --model m --dynamic -o m/cnn_v3_weights.bin:is a file of the model" \
         "$shadergen reference -y --model m photo.png m/model.json:is a file of the model" \
         "$shadergen reference -y --model m --prev prev.png photo.png prev.png:is the --prev image"; do
  before=$(read_sums)
  # shellcheck disable=SC2086
  ${t%%:*} 2>same.log >/dev/null
  rc=$?
  name=${t%%:*} name=${name/#$cnnv3/cnnv3} name=${name/#$shadergen/cnnv3-shadergen}
  [ "$rc" = 1 ] && one_line same.log "${t#*:}" && [ "$(read_sums)" = "$before" ] \
    && ok "$name refused" || { bad "$name: exit $rc"; cat same.log; }
done
[ -z "$(leftovers)" ] || bad "temporaries left: $(leftovers)"

# 2. Temporary names: the old OUT.partial.EXT scheme deleted clip.partial.mp4 (the input) and a
#    user's own out.partial.mp4.
cp clip.mp4 clip.partial.mp4
rm -f hard.mp4 link.mp4
mv clip.mp4 original.mp4
if "$cnnv3" stylize --quiet "${C[@]}" clip.partial.mp4 clip.mp4 2>partial.log && [ "$(frames clip.mp4)" = 5 ] \
   && [ "$(sum clip.partial.mp4)" = "$clip_sum" ]; then
  ok "clip.partial.mp4 -> clip.mp4 keeps its input"
else
  bad "clip.partial.mp4 -> clip.mp4: input $([ -e clip.partial.mp4 ] && echo kept || echo DELETED)"; cat partial.log
fi
mv original.mp4 clip.mp4
echo notes > out.partial.mp4
echo mine > t.csv.partial
echo shader > x.glsl.partial
"$cnnv3" stylize --quiet "${C[@]}" clip.mp4 out.mp4 2>/dev/null
"$cnnv3" analyze clip.mp4 --bpm 120 -o t.csv 2>/dev/null
"$shadergen" hook "${C[@]}" -o x.glsl
[ "$(cat out.partial.mp4)" = notes ] && [ "$(cat t.csv.partial)" = mine ] && [ "$(cat x.glsl.partial)" = shader ] \
  && [ -s out.mp4 ] && [ -s t.csv ] && [ -s x.glsl ] \
  && ok "users' files named like the old temporaries survive" || bad "a user's *.partial file was touched"

# OUT - is standard output for every tool (never a file named "-").
"$cnnv3" analyze clip.mp4 --bpm 120 -o - >stdout.csv 2>/dev/null && "$shadergen" hook "${C[@]}" -o - >stdout.glsl \
  && "$shadergen" reference "${C[@]}" photo.png - >stdout.png && [ ! -e ./- ] && head -n1 stdout.csv | grep -q '^frame,time,' \
  && grep -q '^//!HOOK' stdout.glsl && [ "$(head -c 4 stdout.png | tail -c 3)" = PNG ] \
  && ok "OUT - writes to standard output" || bad "OUT -: $(ls -A | tr '\n' ' ')"
"$cnnv3" analyze clip.mp4 --bpm 120 -o - --beats-out - >/dev/null 2>same.log
[ $? = 2 ] && one_line same.log "would both write to standard output" && ok "analyze: one output on stdout at most" \
  || { bad "analyze -o - --beats-out -"; cat same.log; }

# 3. An existing OUT needs -y, for every file any tool writes; the message names -y.
check_exists() {  # NAME FILE -- command...
  local name=$1 file=$2
  shift 3
  local before
  before=$(sum "$file")
  "$@" >/dev/null 2>exists.log
  local rc=$?
  if [ "$rc" = 1 ] && one_line exists.log "$file: exists.*-y" && [ "$(sum "$file")" = "$before" ]; then
    ok "$name refuses an existing file without -y"
  else
    bad "$name over an existing $file: exit $rc"; cat exists.log
  fi
}
check_exists "analyze -o" t.csv -- "$cnnv3" analyze clip.mp4 --bpm 120 -o t.csv
check_exists "analyze --beats-out" t.csv -- "$cnnv3" analyze clip.mp4 --bpm 120 --beats-out t.csv
check_exists "stylize" out.mp4 -- "$cnnv3" stylize --quiet "${C[@]}" clip.mp4 out.mp4
check_exists "shadergen hook" x.glsl -- "$shadergen" hook "${C[@]}" -o x.glsl
check_exists "shadergen reference" photo.png -- "$shadergen" reference "${C[@]}" "$src/samples/photo_chelsea.png" photo.png
"$cnnv3" analyze clip.mp4 --bpm 60 -y -o t.csv 2>/dev/null && grep -q '^4,0.400000,0.4' t.csv \
  && ok "analyze -y replaces t.csv" || bad "analyze -y did not replace t.csv"
"$shadergen" hook -y "${C[@]}" --strength 0.5 -o x.glsl && grep -q "strength 0.5" x.glsl \
  && ok "shadergen hook -y replaces x.glsl" || bad "shadergen hook -y did not replace x.glsl"
[ -z "$(leftovers)" ] || bad "temporaries left: $(leftovers)"

# 4. Where no file can be written: one line, exit 1, nothing left behind.
mkdir adir
"$cnnv3" stylize -y --quiet "${C[@]}" clip.mp4 adir 2>dir.log
[ $? = 1 ] && one_line dir.log "adir: is a directory" && [ -z "$(ls -A adir)" ] \
  && ok "a directory as OUT" || { bad "a directory as OUT"; cat dir.log; }
"$cnnv3" analyze clip.mp4 --bpm 120 -o nowhere/t.csv 2>dir.log
[ $? = 1 ] && one_line dir.log "nowhere/t.csv: cannot create" && ok "a missing folder" || { bad "a missing folder"; cat dir.log; }
mkdir small readonly
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=4k tmpfs small 2>/dev/null; then
  mounts+=("$work/small")
  mount -t tmpfs -o ro,size=4k tmpfs readonly && mounts+=("$work/readonly")
  for t in "stylize:$cnnv3 stylize --quiet ${C[*]} clip.mp4 small/o.mp4" \
           "analyze:$cnnv3 analyze clip.mp4 --bpm 120 --fps 1000 -o small/o.csv" \
           "hook:$shadergen hook ${C[*]} -o small/o.glsl"; do
    name=${t%%:*}
    ${t#*:} >/dev/null 2>full.log
    rc=$?
    [ "$rc" = 1 ] && one_line full.log "small/o.*No space left on device" && [ -z "$(ls -A small)" ] \
      && ok "$name onto a full filesystem" || { bad "$name onto a full filesystem: exit $rc, left: $(ls -A small)"; cat full.log; }
  done
else
  chmod 555 readonly  # without root: a folder without write permission
  echo "skip full filesystem (mounting a small tmpfs needs root)"
fi
"$cnnv3" stylize --quiet "${C[@]}" clip.mp4 readonly/o.mp4 2>ro.log
[ $? = 1 ] && one_line ro.log "readonly/o.mp4: cannot create a file in readonly" && [ -z "$(ls -A readonly)" ] \
  && ok "a read-only folder" || { bad "a read-only folder"; cat ro.log; }

# 5. SIGTERM and SIGHUP: finalised like Ctrl-C, exit 128 + signal, no temporary left.
ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=64x36:rate=25:duration=60 -pix_fmt yuv420p long.mp4
for sig in TERM:143 HUP:129 INT:130; do
  name=${sig%%:*} want=${sig#*:}
  rm -f sig.log  # the previous run's progress must not trigger the signal early
  "$cnnv3" stylize --progress json "${C[@]}" long.mp4 "sig_$name.mp4" 2>sig.log &
  pid=$!
  for _ in $(seq 1 300); do grep -q '"frames": [1-9]' sig.log 2>/dev/null && break; sleep 0.1; done
  kill -"$name" $pid
  wait $pid
  rc=$?
  n=$(frames "sig_$name.mp4")
  if [ "$rc" = "$want" ] && [ -n "$n" ] && [ "$n" -gt 0 ] && [ "$n" -lt 1500 ] && [ -z "$(leftovers)" ] \
     && grep -q "stopped early by" sig.log; then
    ok "SIG$name: exit $rc, a valid file of $n frames, no temporary left"
  else
    bad "SIG$name: exit $rc, frames '$n', left: $(leftovers)"; tail -2 sig.log
  fi
done

# Ctrl-C during the audio analysis (15 min of audio: seconds of it): that stop, exit 130, no output;
# not a failure to open the input, which the transcoder reported when the stop reached it.
ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=16x16:rate=1:duration=900 \
  -f lavfi -i sine=frequency=220:duration=900 -c:v libx264 -preset ultrafast -c:a aac -shortest music.mkv
"$cnnv3" stylize --quiet --model "$model" music.mkv sig_analysis.mkv 2>sig.log &
pid=$!
sleep 1
kill -INT $pid
wait $pid
rc=$?
if [ "$rc" = 130 ] && [ ! -e sig_analysis.mkv ] && [ -z "$(leftovers)" ] && ! grep -q "cannot open" sig.log \
   && { ! messages sig.log | grep -q . || messages sig.log | tail -n1 | grep -q "stopped by Ctrl-C (SIGINT)"; }; then
  ok "SIGINT during the audio analysis: exit 130, no output: $(messages sig.log | tail -n1)"
else
  bad "SIGINT during the audio analysis: exit $rc"; cat sig.log
fi
rm music.mkv

# Ctrl-C while the input is being opened, before its first byte (--cond: the transcoder opens it
# directly): a named pipe whose writer holds it open, one with no writer yet (open(2) blocks), a
# stalled stdin, and --audio's pipe. The stop, exit 130 and one line, not "cannot open as a media
# file"; no output, no temporary. The signal goes once cnnv3's main thread has waited in that call
# (syscall NR in /proc/PID/syscall) for 0.6 s: sooner, the model might still be loading. The
# numbers come from this machine's C headers (they differ between architectures).
read -r nr_read nr_openat < <(printf '#include <sys/syscall.h>\nSYS_read SYS_openat\n' | cpp -P - | tail -1)
blocked_in() {
  local pid=$1 nr=$2 seen=0 call
  for _ in $(seq 1 300); do
    read -r call _ <"/proc/$pid/syscall" 2>/dev/null || return 1
    if [ "$call" = "$nr" ]; then seen=$((seen + 1)); [ $seen = 3 ] && return 0; else seen=0; fi
    sleep 0.2
  done
  return 1
}
for case in held:$nr_read nowriter:$nr_openat stdin:$nr_read audio:$nr_read; do
  name=${case%%:*} nr=${case#*:}
  rm -f open.fifo open_out.mkv && mkfifo open.fifo
  [ "$name" = nowriter ] || { exec sleep 60; } >open.fifo 2>/dev/null &
  feeder=$!
  case $name in
    stdin) "$cnnv3" stylize "${C[@]}" - open_out.mkv <open.fifo 2>open.log & ;;
    audio) "$cnnv3" stylize "${C[@]}" clip.mp4 --audio open.fifo open_out.mkv 2>open.log & ;;
    *) "$cnnv3" stylize "${C[@]}" open.fifo open_out.mkv 2>open.log & ;;
  esac
  pid=$!
  if blocked_in $pid "$nr"; then
    kill -INT $pid
    for _ in $(seq 1 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
    kill -0 $pid 2>/dev/null && { bad "SIGINT while opening ($name): still running 10 s later"; kill -KILL $pid; }
  else
    bad "SIGINT while opening ($name): cnnv3 never waited in syscall $nr"; kill -KILL $pid
  fi
  wait $pid
  rc=$?
  [ "$name" = nowriter ] || kill "$feeder" 2>/dev/null
  feeder=
  if [ "$rc" = 130 ] && [ ! -e open_out.mkv ] && [ -z "$(leftovers)" ] \
     && one_line open.log "stopped by Ctrl-C (SIGINT) before the first video frame (no output written)"; then
    ok "SIGINT while opening ($name): exit 130, no output: $(messages open.log)"
  else
    bad "SIGINT while opening ($name): exit $rc"; cat open.log
  fi
done
rm -f open.fifo

# 6. SIGINT while stdin is stalled (the writer still has the pipe open): acted on at once.
ffmpeg -nostdin -loglevel error -i long.mp4 -t 4 -f yuv4mpegpipe good.y4m
mkfifo stall.fifo
# The stall outlasts every wait below (30 + 2 + 15 s): were it to end first, cnnv3 would see the
# stream cut mid-frame before it acts on SIGINT (seen under load as exit 1, "ends inside the frame").
{ head -c 50000 good.y4m; exec sleep 60; } >stall.fifo 2>/dev/null &
feeder=$!
"$cnnv3" stylize --progress json "${C[@]}" - stall.mkv <stall.fifo 2>stall.log &
pid=$!
for _ in $(seq 1 300); do grep -q '"frames": [1-9]' stall.log 2>/dev/null && break; sleep 0.1; done
sleep 2  # the 50000 bytes (14 frames) are done: cnnv3 now waits in read()
kill -INT $pid
t0=$(date +%s%N)
# "At once": long before the feeder's 60 s stall ends; 15 s leaves room for the frames in flight on
# a loaded 2-core machine (lavapipe runs the network on the same cores).
for _ in $(seq 1 300); do kill -0 $pid 2>/dev/null || break; sleep 0.05; done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
if kill -0 $pid 2>/dev/null; then
  bad "SIGINT on a stalled stdin: still running after ${ms} ms"
  kill -KILL $pid 2>/dev/null
  wait $pid 2>/dev/null
else
  wait $pid
  rc=$?
  n=$(frames stall.mkv)
  [ "$rc" = 130 ] && [ -n "$n" ] && [ "$n" -gt 0 ] && grep -q "stopped early by Ctrl-C" stall.log \
    && ok "SIGINT on a stalled stdin: exit 130 after ${ms} ms, $n frames" \
    || { bad "SIGINT on a stalled stdin: exit $rc, frames '$n'"; tail -2 stall.log; }
fi
kill "$feeder" 2>/dev/null
feeder=

# 7. stdout closed early: one line naming stdout, a non-zero exit that is not SIGPIPE's.
"$cnnv3" stylize --quiet "${C[@]}" long.mp4 - 2>pipe.log | head -c 100000 >/dev/null
rc=${PIPESTATUS[0]}
[ "$rc" != 0 ] && [ "$rc" != 141 ] && one_line pipe.log "stdout" && ok "closed stdout: exit $rc, $(messages pipe.log)" \
  || { bad "closed stdout: exit $rc"; cat pipe.log; }
"$cnnv3" analyze long.mp4 --bpm 120 --fps 1000 2>pipe.log | head -c 100 >/dev/null  # more than a pipe buffer
rc=${PIPESTATUS[0]}
# (long.mp4 has no audio: a note line comes first)
[ "$rc" = 1 ] && [ "$(grep -c stdout pipe.log)" = 1 ] && tail -1 pipe.log | grep -q "^cnnv3: stdout: " \
  && ok "analyze to a closed stdout: exit 1" \
  || { bad "analyze to a closed stdout: exit $rc"; cat pipe.log; }

# 8. Conventions: one-line usage errors pointing to --help, --version from the project version.
usage() {  # WANT_PATTERN -- command...
  local pattern=$1
  shift 2
  "$@" >/dev/null 2>usage.log
  local rc=$?
  [ "$rc" = 2 ] && [ "$(wc -l < usage.log)" = 1 ] && grep -q -- "$pattern" usage.log \
    && ok "usage error: $(cat usage.log)" || { bad "usage error of $*: exit $rc, $(wc -l < usage.log) lines"; head -3 usage.log; }
}
usage 'needs IN and OUT (see `cnnv3 stylize --help`)' -- "$cnnv3" stylize clip.mp4
usage 'unknown option --frob (see `cnnv3 analyze --help`)' -- "$cnnv3" analyze --frob clip.mp4
usage 'see `cnnv3 --help`' -- "$cnnv3" frobnicate
usage 'see `cnnv3-shadergen --help`' -- "$shadergen" hook --model "$model"
usage '^cnnv3: --bpm: "1e-310" is not a number in \[1, 1000\]' -- "$cnnv3" analyze clip.mp4 --bpm 1e-310
usage '^cnnv3: --bpm: "120x"' -- "$cnnv3" stylize --bpm 120x clip.mp4 o.mp4
usage '^cnnv3: --fps: "1e-310"' -- "$cnnv3" analyze clip.mp4 --fps 1e-310
usage '^cnnv3: --offset: "nan"' -- "$cnnv3" analyze clip.mp4 --bpm 120 --offset nan
usage '^cnnv3: --strength: "inf"' -- "$cnnv3" stylize --strength inf clip.mp4 o.mp4
usage '^cnnv3: --offset: "1e300" is not a number in' -- "$cnnv3" analyze clip.mp4 --bpm 120 --offset 1e300
usage '^cnnv3: --crf: "1e400"' -- "$cnnv3" stylize --crf 1e400 clip.mp4 o.mp4
usage '^cnnv3: --crf: ""' -- "$cnnv3" stylize --crf "" clip.mp4 o.mp4
usage '^cnnv3: --cond: "0.5x"' -- "$cnnv3" stylize --cond 0,0,0,0,0.5x clip.mp4 o.mp4
usage '^cnnv3-shadergen: --cond: "nan"' -- "$shadergen" hook --model "$model" --cond 0,0,0,0,nan -o o.glsl
usage '^cnnv3-shadergen: --strength: "2"' -- "$shadergen" hook --model "$model" --dynamic --strength 2 -o o.glsl
version=$(sed -n "s/^  version: '\(.*\)',$/\1/p" "$src/meson.build")
[ -n "$version" ] && [ "$("$cnnv3" --version)" = "cnnv3 $version" ] && [ "$("$shadergen" --version)" = "cnnv3-shadergen $version" ] \
  && ok "--version: $version" || bad "--version: '$("$cnnv3" --version 2>&1)' / '$("$shadergen" --version 2>&1)' (meson: $version)"
[ -z "$(leftovers)" ] || bad "temporaries left: $(leftovers)"
exit $fail
