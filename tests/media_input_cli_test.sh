#!/usr/bin/env bash
# How `cnnv3 stylize` and `cnnv3 analyze` open a user's input (docs/video.md, "Reading the input"),
# end to end on lavapipe with tiny clips:
#   1. a ':' in a file name (a name, not a protocol);
#   2. a named pipe: stylize with audio-driven conditioning does not hang, analyze gives the rows
#      of the regular file; with --cond the pipe is streamed, not buffered;
#   3. Matroska with audio on stdin: the audio it copies is the audio it analyses;
#   4. --audio FILE [--audio-offset S]: the output carries FILE's audio (replacing IN's), cut to the
#      video, and the conditioning follows FILE shifted by S;
#   5. silent, beatless (tone, noise) or empty audio: exit 0 with one note;
#   6. start times far from 0 (100000 s; negative after an MPEG-TS wrap): the same rows and frames;
#   and a socket named as the input: one line, exit 1.
# usage: media_input_cli_test.sh CNNV3 SOURCE_ROOT
set -uo pipefail
cnnv3=$1 src=$2
source "$(dirname "${BASH_SOURCE[0]}")/e2e_common.sh"
model=$src/tests/vectors/test-random-48
ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }
kick='sin(2*PI*(45+110*exp(-mod(t,0.5)*25))*mod(t,0.5))*exp(-mod(t,0.5)*7)'
# Seconds from the stream's earliest packet to the end of its latest one.
span() { ffprobe -v error -select_streams "$2" -show_entries packet=pts_time,duration_time -of csv=p=0 "$1" \
           | awk -F, 'NR==1{s=$1; e=$1} $1<s{s=$1} $1+$2>e{e=$1+$2} END{printf "%.4f", e-s}'; }
frames_md5() { ffmpeg -nostdin -loglevel error -i "$1" -map 0:v -f md5 -; }

ff -f lavfi -i testsrc2=s=64x36:r=24:d=2 -f lavfi -i "aevalsrc='0.7*($kick)':s=44100:d=2" \
   -c:v libx264 -c:a aac -shortest clip.mp4
ff -i clip.mp4 -c copy clip.mkv

# 1. A ':' in the file name.
cp clip.mp4 'clip:1.mp4'
"$cnnv3" analyze 'clip:1.mp4' -o colon.csv 2>colon.log && [ "$(wc -l < colon.csv)" = 49 ] \
  && ok "analyze clip:1.mp4" || { bad "analyze clip:1.mp4"; cat colon.log; }
"$cnnv3" stylize --quiet --model "$model" 'clip:1.mp4' colon.mkv 2>colon.log \
  && ok "stylize clip:1.mp4" || { bad "stylize clip:1.mp4"; cat colon.log; }

# 2. A named pipe.
mkfifo pipe
"$cnnv3" analyze clip.mkv -o file.csv 2>/dev/null
(cat clip.mkv > pipe &)
timeout 60 "$cnnv3" analyze pipe -o pipe.csv 2>pipe.log && cmp -s file.csv pipe.csv \
  && ok "analyze of a pipe: the rows of the file" || { bad "analyze of a pipe (rc/rows differ)"; cat pipe.log; }
(cat clip.mkv > pipe &)
timeout 120 "$cnnv3" stylize --model "$model" pipe pipe_out.mkv 2>pipe.log; rc=$?
if [ $rc = 0 ] && grep -q "conditioning from the audio" pipe.log && grep -q "buffering" pipe.log; then
  ok "stylize of a pipe with audio conditioning"
else
  bad "stylize of a pipe (exit $rc)"; cat pipe.log
fi
(cat clip.mkv > pipe &)
timeout 120 "$cnnv3" stylize --model "$model" --cond 0.1,0.2,0.3,0.4,0.5 pipe pipe_cond.mkv 2>pipe.log; rc=$?
[ $rc = 0 ] && ! grep -q "buffering" pipe.log && ok "stylize --cond streams a pipe" \
  || { bad "stylize --cond of a pipe (exit $rc)"; cat pipe.log; }

head -c 3000000 /dev/zero | timeout 60 "$cnnv3" analyze - >/dev/null 2>zeros.log; rc=$?
[ $rc = 1 ] && [ "$(wc -l < zeros.log)" = 1 ] && grep -q "^cnnv3: stdin: does not start like any container" zeros.log \
  && ok "zeros on stdin: refused after 1 MiB, one line" || { bad "zeros on stdin (exit $rc)"; cat zeros.log; }

# Ctrl-C while buffering a stalled pipe: acted on at once, exit 130, no output.
mkfifo stall
{ head -c 20000 clip.mkv; exec sleep 30; } > stall 2>/dev/null &
feeder=$!
"$cnnv3" stylize --model "$model" - stall_out.mkv < stall 2>stall.log &
pid=$!
sleep 2
kill -INT $pid
for _ in $(seq 1 20); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
if kill -0 $pid 2>/dev/null; then
  bad "Ctrl-C while buffering: still running 2 s later"; kill -KILL $pid
fi
wait $pid; rc=$?
kill $feeder 2>/dev/null
[ $rc = 130 ] && grep -q "stopped by Ctrl-C (SIGINT) while buffering" stall.log && ! ls stall_out* >/dev/null 2>&1 \
  && ok "Ctrl-C while buffering a stalled pipe: exit 130, no output" || { bad "Ctrl-C while buffering (exit $rc)"; cat stall.log; }

# A UNIX socket named as the input (open(2) refuses it: ENXIO): one line that says what was
# expected, exit 1, at once.
/usr/bin/python3 -c 'import socket; socket.socket(socket.AF_UNIX).bind("sock")'
timeout 20 "$cnnv3" stylize --model "$model" sock sock_out.mkv 2>sock.log; rc=$?
[ $rc = 1 ] && [ "$(messages sock.log | wc -l)" = 1 ] && grep -q "^cnnv3: sock: cannot open (.*; expected a readable file or pipe)$" sock.log \
  && ! ls sock_out* >/dev/null 2>&1 && ok "a socket as the input: one line, exit 1" || { bad "a socket as the input (exit $rc)"; cat sock.log; }

# 3. Matroska with audio on stdin.
ff -i clip.mp4 -c copy -f matroska - | "$cnnv3" stylize --model "$model" - stdin_out.mkv 2>stdin.log; rc=$?
if [ $rc = 0 ] && grep -q "conditioning from the audio" stdin.log \
   && [ "$(ffprobe -v error -select_streams a -show_entries stream=codec_name -of csv=p=0 stdin_out.mkv)" = aac ]; then
  ok "Matroska with audio on stdin: analysed and copied"
else
  bad "Matroska with audio on stdin (exit $rc)"; cat stdin.log
fi

# 4. --audio FILE: a silent clip and a song; the song has 1.5 s of silence before its drums.
ff -f lavfi -i testsrc2=s=64x36:r=24:d=2 -c:v libx264 silent.mp4
ff -f lavfi -i "aevalsrc='0.7*($kick)*gte(t,1.5)':s=44100:d=10" song.wav
ff -ss 1.5 -i song.wav cut.wav
"$cnnv3" stylize --model "$model" --encoder ffv1 silent.mp4 --audio song.wav video.mkv 2>audio.log; rc=$?
a=$(span video.mkv a:0) v=$(span video.mkv v:0)
if [ $rc = 0 ] && grep -q "conditioning from the audio of song.wav (beats tracked, [1-9]" audio.log \
   && awk -v a="$a" -v v="$v" 'BEGIN{exit !(a > v - 1/24 && a < v + 1/24)}'; then
  ok "--audio: the song's audio, $a s for $v s of video, beats found"
else
  bad "--audio (exit $rc, audio $a s, video $v s)"; cat audio.log
fi
"$cnnv3" stylize --quiet --model "$model" clip.mp4 --audio song.wav replaced.mkv 2>replaced.log
[ "$(ffprobe -v error -select_streams a -show_entries stream=codec_name -of csv=p=0 replaced.mkv)" = pcm_s16le ] \
  && ok "--audio replaces IN's audio" || { bad "--audio did not replace IN's audio"; cat replaced.log; }
# With --audio-offset 1.5 the conditioning is that of the song cut at 1.5 s (a fixed beat grid, so
# only the audio decides); without the offset it is not.
for run in "off:--audio song.wav --audio-offset 1.5" "cut:--audio cut.wav" "zero:--audio song.wav"; do
  "$cnnv3" stylize --quiet --model "$model" --encoder ffv1 --bpm 120 silent.mp4 ${run#*:} "${run%%:*}.mkv" 2>>offset.log
done
if [ "$(frames_md5 off.mkv)" = "$(frames_md5 cut.mkv)" ] && [ "$(frames_md5 off.mkv)" != "$(frames_md5 zero.mkv)" ]; then
  ok "--audio-offset shifts the conditioning"
else
  bad "--audio-offset: frames of the offset run do not match the pre-cut song"; cat offset.log
fi
a=$(span off.mkv a:0)
awk -v a="$a" 'BEGIN{exit !(a > 2 - 1/24 && a < 2 + 1/24)}' && ok "--audio-offset: $a s of audio" \
  || bad "--audio-offset: $a s of audio for 2 s of video"
# Into MP4, which cannot carry PCM: re-encoded (as IN's own audio would be), same length.
"$cnnv3" stylize --model "$model" silent.mp4 --audio song.wav video.mp4 2>mp4.log; rc=$?
dur() { ffprobe -v error -select_streams "$2" -show_entries stream=duration -of csv=p=0 "$1"; }
a=$(dur video.mp4 a:0) v=$(dur video.mp4 v:0)   # MP4 stores each stream's duration
if [ $rc = 0 ] && grep -q "the audio of song.wav (pcm_s16le) re-encoded to aac" mp4.log \
   && awk -v a="$a" -v v="$v" 'BEGIN{exit !(a > v - 1/24 && a < v + 1/24)}'; then
  ok "--audio into MP4: re-encoded, $a s for $v s of video"
else
  bad "--audio into MP4 (exit $rc, audio $a s, video $v s)"; cat mp4.log
fi
(cat song.wav > pipe &)
timeout 120 "$cnnv3" stylize --quiet --model "$model" silent.mp4 --audio pipe piped_song.mkv 2>piped_song.log; rc=$?
[ $rc = 0 ] && [ "$(ffprobe -v error -select_streams a -show_entries stream=codec_name -of csv=p=0 piped_song.mkv)" = pcm_s16le ] \
  && ok "--audio from a named pipe" || { bad "--audio from a named pipe (exit $rc)"; cat piped_song.log; }
# --audio - (standard input) is "stdin" in every message, as IN - is.
"$cnnv3" stylize --model "$model" --encoder ffv1 silent.mp4 --audio - stdin_song.mkv <song.wav 2>stdin_song.log; rc=$?
[ $rc = 0 ] && grep -q "conditioning from the audio of stdin (beats" stdin_song.log && ! grep -q "^cnnv3: -:" stdin_song.log \
  && ok "--audio -: named stdin" || { bad "--audio - (exit $rc)"; cat stdin_song.log; }
"$cnnv3" stylize --quiet --model "$model" silent.mp4 --audio silent.mp4 x.mkv 2>noaudio.log
[ $? = 1 ] && [ "$(wc -l < noaudio.log)" = 1 ] && grep -q "silent.mp4: has no audio stream" noaudio.log \
  && ok "--audio without audio: $(cat noaudio.log)" || { bad "--audio FILE without audio"; cat noaudio.log; }

# 5. Silent, beatless or empty audio: the job runs, with one note.
for src in anullsrc=r=44100 sine=f=440:r=44100 anoisesrc=r=44100:a=0.5; do
  ff -f lavfi -i testsrc2=s=64x36:r=24:d=2 -f lavfi -i $src -t 2 -c:v libx264 -c:a aac beatless.mp4
  "$cnnv3" stylize --quiet --model "$model" beatless.mp4 beatless.mkv 2>beatless.log; rc=$?
  [ $rc = 0 ] && [ "$(grep -c "no beats found" beatless.log)" = 1 ] && ok "stylize, ${src%%=*}: one note, exit 0" \
    || { bad "stylize, ${src%%=*} (exit $rc)"; cat beatless.log; }
  rm -f beatless.mkv
done
ff -f lavfi -i testsrc2=s=64x36:r=24:d=2 -f lavfi -i anullsrc=r=44100 -map 0:v -map 1:a -c:v libx264 -c:a pcm_s16le \
   -frames:a 0 -t 2 empty_audio.mkv
"$cnnv3" analyze empty_audio.mkv -o empty.csv 2>empty.log && [ "$(wc -l < empty.csv)" = 49 ] \
  && "$cnnv3" stylize --quiet --model "$model" empty_audio.mkv empty_out.mkv 2>>empty.log \
  && [ "$(grep -c "no audio stream" empty.log)" = 2 ] && ok "an audio stream without samples: as no audio" \
  || { bad "an audio stream without samples"; cat empty.log; }

# 6. Start times: 100000 s, and negative (-0.3 s after the 33-bit wrap of MPEG-TS).
ff -i clip.mp4 -c copy base.ts
ff -i clip.mp4 -c copy -output_ts_offset 100000 big.ts
ff -i clip.mp4 -c copy -output_ts_offset 95442 wrap.ts   # the muxer adds 1.4 s: past the wrap
ff -i clip.mp4 -c copy -output_ts_offset 100000 big.mkv
start=$(ffprobe -v error -show_entries format=start_time -of csv=p=0 wrap.ts)
awk -v s="$start" 'BEGIN{exit !(s < 0)}' || bad "wrap.ts starts at $start (expected a negative start)"
"$cnnv3" analyze clip.mkv -o base_mkv.csv 2>/dev/null
"$cnnv3" analyze big.mkv -o big_mkv.csv 2>/dev/null
cmp -s base_mkv.csv big_mkv.csv && ok "analyze: Matroska at 100000 s, the same rows" || bad "analyze: Matroska at 100000 s differs"
"$cnnv3" stylize --quiet --model "$model" --encoder ffv1 clip.mkv out_base_mkv.mkv 2>mkv.log \
  && "$cnnv3" stylize --quiet --model "$model" --encoder ffv1 big.mkv out_big_mkv.mkv 2>>mkv.log \
  && [ "$(frames_md5 out_base_mkv.mkv)" = "$(frames_md5 out_big_mkv.mkv)" ] \
  && ok "stylize: Matroska at 100000 s, the same frames" || { bad "stylize: Matroska at 100000 s"; cat mkv.log; }
for f in base big wrap; do
  "$cnnv3" analyze $f.ts -o $f.csv 2>/dev/null || bad "analyze $f.ts"
  "$cnnv3" stylize --quiet --model "$model" --encoder ffv1 $f.ts out_$f.mkv 2>$f.log || { bad "stylize $f.ts"; cat $f.log; }
done
cmp -s base.csv big.csv && cmp -s base.csv wrap.csv && ok "analyze: start at 100000 s and $start s, the same rows" \
  || bad "analyze: rows depend on the start time"
[ "$(frames_md5 out_base.mkv)" = "$(frames_md5 out_big.mkv)" ] && [ "$(frames_md5 out_base.mkv)" = "$(frames_md5 out_wrap.mkv)" ] \
  && ok "stylize: the same frames whatever the start time" || bad "stylize: frames depend on the start time"

exit $fail
