#!/bin/sh
# Beat tracking on generated rock/metal grooves with exact beats (bench/beats_grooves.py has the
# details): renders the split once into build-bench-grooves/ (git-ignored) and prints a Markdown
# table of cnnv3's and aubio's F at ±70 ms per song.
#
#   bench/beats_grooves.sh [BUILD_DIR] [--split dev|heldout] [--only NAME]
#
# Needs: fluidsynth, fluid-soundfont-gm, timgm6mb-soundfont, musescore-general-soundfont-small,
# python3-numpy, and a built BUILD_DIR/filter/cnnv3 (default build/).
exec "$(dirname "$0")/run_beats_bench.sh" beats_grooves build-bench-grooves \
    "fluidsynth fluid-soundfont-gm timgm6mb-soundfont musescore-general-soundfont-small" "$@"
