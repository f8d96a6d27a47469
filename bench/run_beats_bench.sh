#!/bin/sh
# What bench/beats_grooves.sh, beats_loops.sh and beats_real_music.sh share: checks for FluidSynth,
# the FluidR3 GM soundfont and a built cnnv3, then runs the bench's Python script with that cnnv3
# and its cache folder.
#
#   bench/run_beats_bench.sh NAME CACHE PACKAGES [BUILD_DIR] [options of bench/NAME.py]
#
# NAME: the bench (bench/NAME.py; messages name NAME.sh); CACHE: its folder under the source root
# (git-ignored); PACKAGES: the Debian packages it renders with, printed when they are missing.
set -eu
name=$1 cache=$2 packages=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${1:-"$root/build"}
[ $# -gt 0 ] && shift
if ! command -v fluidsynth >/dev/null || [ ! -f /usr/share/sounds/sf2/FluidR3_GM.sf2 ]; then
    echo "$name.sh: needs fluidsynth and the GM soundfonts:" >&2
    echo "    apt-get install $packages" >&2
    exit 1
fi
[ -x "$build/filter/cnnv3" ] || { echo "$name.sh: $build/filter/cnnv3 is not built" >&2; exit 1; }
# `cnnv3 analyze` wants a model for its default conditioning values: the source tree's, unless set.
export CNNV3_MODEL_PATH="${CNNV3_MODEL_PATH:-$root/weights}"
exec /usr/bin/python3 "$here/$name.py" --cnnv3 "$build/filter/cnnv3" --cache "$root/$cache" "$@"
