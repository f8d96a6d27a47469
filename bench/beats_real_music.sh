#!/bin/sh
# Beat tracking on real music with exact ground truth: MIDI songs from Debian packages
# (openttd-openmsx, freedoom, planetblupi-music-midi, freedink-data; fetched with `apt-get download`,
# never installed), rendered with FluidSynth and the FluidR3 General MIDI soundfont, reference beats
# from the MIDI tempo maps. Scores cnnv3's tracker and aubio's (`cnnv3 analyze --tracker aubio`)
# with the F-measure at ±70 ms and prints a Markdown table (bench/RESULTS.md has the figures).
#
#   bench/beats_real_music.sh [BUILD_DIR] [extra options of bench/beats_real_music.py]
#
# Needs: fluidsynth and fluid-soundfont-gm (apt-get install fluidsynth fluid-soundfont-gm),
# /usr/bin/python3, and a built BUILD_DIR/filter/cnnv3 (default build/). Renderings and clips are
# cached in build-bench-music/ (git-ignored); delete it to start over.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${1:-"$root/build"}
[ $# -gt 0 ] && shift
if ! command -v fluidsynth >/dev/null || [ ! -f /usr/share/sounds/sf2/FluidR3_GM.sf2 ]; then
    echo "beats_real_music.sh: needs fluidsynth and fluid-soundfont-gm:" >&2
    echo "    apt-get install fluidsynth fluid-soundfont-gm" >&2
    exit 1
fi
[ -x "$build/filter/cnnv3" ] || { echo "beats_real_music.sh: $build/filter/cnnv3 is not built" >&2; exit 1; }
# `cnnv3 analyze` wants a model for its default conditioning values: the source tree's, unless set.
export CNNV3_MODEL_PATH="${CNNV3_MODEL_PATH:-$root/weights}"
exec /usr/bin/python3 "$here/beats_real_music.py" --cnnv3 "$build/filter/cnnv3" --cache "$root/build-bench-music" "$@"
