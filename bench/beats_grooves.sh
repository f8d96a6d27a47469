#!/bin/sh
# Beat tracking on generated rock/metal grooves with exact beats (bench/beats_grooves.py has the
# details): renders the split once into build-bench-grooves/ (git-ignored) and prints a Markdown
# table of cnnv3's and aubio's F at ±70 ms per song.
#
#   bench/beats_grooves.sh [BUILD_DIR] [--split dev|heldout] [--only NAME]
#
# Needs: fluidsynth, fluid-soundfont-gm, timgm6mb-soundfont, musescore-general-soundfont-small,
# python3-numpy, and a built BUILD_DIR/filter/cnnv3 (default build/).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${1:-"$root/build"}
[ $# -gt 0 ] && shift
if ! command -v fluidsynth >/dev/null || [ ! -f /usr/share/sounds/sf2/FluidR3_GM.sf2 ]; then
    echo "beats_grooves.sh: needs fluidsynth and the GM soundfonts:" >&2
    echo "    apt-get install fluidsynth fluid-soundfont-gm timgm6mb-soundfont musescore-general-soundfont-small" >&2
    exit 1
fi
[ -x "$build/filter/cnnv3" ] || { echo "beats_grooves.sh: $build/filter/cnnv3 is not built" >&2; exit 1; }
# `cnnv3 analyze` wants a model for its default conditioning values: the source tree's, unless set.
export CNNV3_MODEL_PATH="${CNNV3_MODEL_PATH:-$root/weights}"
exec /usr/bin/python3 "$here/beats_grooves.py" --cnnv3 "$build/filter/cnnv3" --cache "$root/build-bench-grooves" "$@"
