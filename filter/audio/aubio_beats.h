// aubio's own beat tracker (aubio_tempo, "default" method) run over a decoded track: the baseline
// the project's tracker (beat_tracker.h) is measured against in tests/audio and docs/audio.md.
#pragma once

#include "audio_decode.h"

#include <vector>

namespace cnnv3 {

// Beat times in seconds on the file timeline, as aubio_tempo reports them for the mono mix
// (FFT size 1024, hop 512, aubio's default thresholds); a beat is counted each time
// aubio_tempo_get_last() advances. Throws std::runtime_error when aubio cannot create its tracker.
std::vector<double> aubio_beat_times(const DecodedAudio& audio);

}  // namespace cnnv3
