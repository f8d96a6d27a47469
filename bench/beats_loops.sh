#!/bin/sh
# Short-loop stability of the beat trackers (bench/beats_loops.py has the details): 2 s loops cut
# from the generated grooves, their ends moved by ±50 ms; prints a Markdown table per song.
#
#   bench/beats_loops.sh [BUILD_DIR] [--split dev|heldout] [--only STYLE] [--trackers cnnv3,aubio]
#
# Needs what bench/beats_grooves.sh needs; shares its cache build-bench-grooves/ (git-ignored).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${1:-"$root/build"}
[ $# -gt 0 ] && shift
if ! command -v fluidsynth >/dev/null || [ ! -f /usr/share/sounds/sf2/FluidR3_GM.sf2 ]; then
    echo "beats_loops.sh: needs fluidsynth and the GM soundfonts:" >&2
    echo "    apt-get install fluidsynth fluid-soundfont-gm timgm6mb-soundfont musescore-general-soundfont-small" >&2
    exit 1
fi
[ -x "$build/filter/cnnv3" ] || { echo "beats_loops.sh: $build/filter/cnnv3 is not built" >&2; exit 1; }
# `cnnv3 analyze` wants a model for its default conditioning values: the source tree's, unless set.
export CNNV3_MODEL_PATH="${CNNV3_MODEL_PATH:-$root/weights}"
exec /usr/bin/python3 "$here/beats_loops.py" --cnnv3 "$build/filter/cnnv3" --cache "$root/build-bench-grooves" "$@"
