#!/usr/bin/env bash
# The one command that makes filter/audio/beat_network_weights.h (the learned beat activation,
# docs/audio.md), from the dev side of the beat benchmarks only:
#   training/beats/make_weights.sh BUILD_DIR WORK_DIR [--crossval]
# Needs the benches' caches of the dev clips (bench/beats_real_music.sh --set dev into
# $BEATS_MIDI_CACHE, default /tmp/beats-midi; bench/beats_grooves.sh --split dev into
# $BEATS_GROOVES_CACHE, default /tmp/beats-dev) and BUILD_DIR/bench/cnnv3-bench-beats-sets.
# Renders the extra excerpts (make_data.py: the dev songs' further excerpts, the first 45 other songs
# of the packages, grooves of seeds 4-9), writes every clip's features with the C++ (the same code
# the tracker runs), trains (train.py, the settings the cross-validation chose) and writes the
# header. With --crossval it runs the 5-fold cross-validation instead and prints its table.
# Training is not bit-reproducible across machines (PyTorch on CPU threads); the header's test
# vector ties the C++ to whatever weights were written.
set -euo pipefail
build=$(realpath "$1")
work=$2
midi=${BEATS_MIDI_CACHE:-/tmp/beats-midi}
grooves=${BEATS_GROOVES_CACHE:-/tmp/beats-dev}
py=/usr/bin/python3  # Debian's python3-torch
cd "$(dirname "$0")/../.."
mkdir -p "$work/feat" "$work/featx"
{ ls "$midi"/clips-dev/*.wav | sed 's/^/mdev /'; ls "$grooves"/clips/*_[123].wav | sed 's/^/gdev /'; } > "$work/dev.list"
$py training/beats/make_data.py --cache "$midi" --out "$work/extra" --new-songs 45 --groove-seeds 4-9 > /dev/null
cut -f1 "$work/extra/index.tsv" | sed "s|^|extra $work/extra/|; s|\$|.wav|" > "$work/extra.list"
"$build/bench/cnnv3-bench-beats-sets" --features "$work/feat" "$work/dev.list" > /dev/null
"$build/bench/cnnv3-bench-beats-sets" --features "$work/featx" "$work/extra.list" > /dev/null
common=(--list "$work/dev.list" --features "$work/feat" --extra "$work/extra/index.tsv" --extra-features "$work/featx"
        --steps 2500 --ch 32)
if [ "${3:-}" = --crossval ]; then
  $py training/beats/crossval.py "${common[@]}" --out "$work/act"
  "$build/bench/cnnv3-bench-beats-sets" --activations "$work/act" "$work/dev.list"
else
  $py training/beats/train.py "${common[@]}" --header filter/audio/beat_network_weights.h
fi
