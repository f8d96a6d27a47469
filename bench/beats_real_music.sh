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
exec "$(dirname "$0")/run_beats_bench.sh" beats_real_music build-bench-music \
    "fluidsynth fluid-soundfont-gm" "$@"
