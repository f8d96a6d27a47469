#!/bin/sh
# Short-loop stability of the beat trackers (bench/beats_loops.py has the details): 2 s loops cut
# from the generated grooves, their ends moved by ±50 ms; prints a Markdown table per song.
#
#   bench/beats_loops.sh [BUILD_DIR] [--split dev|heldout] [--only STYLE] [--trackers cnnv3,aubio]
#
# Needs what bench/beats_grooves.sh needs; shares its cache build-bench-grooves/ (git-ignored).
exec "$(dirname "$0")/run_beats_bench.sh" beats_loops build-bench-grooves \
    "fluidsynth fluid-soundfont-gm timgm6mb-soundfont musescore-general-soundfont-small" "$@"
