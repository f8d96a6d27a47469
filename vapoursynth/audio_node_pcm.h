// A VapourSynth audio node read whole into DecodedAudio for the analysis of filter/audio, through
// the same resampler path as `cnnv3 analyze` (audio_decode.h resample_pcm), so the same samples
// give the same beats and intensities.
#pragma once

#include "audio_decode.h"

#include <VapourSynth4.h>

namespace cnnv3::vs {

// Reads every frame of `audio` (float, or 16/24/32-bit integer: a 16-bit sample is scaled by 2^-15,
// one stored in 32 bits by 2^-31, 24-bit samples being left-justified in their int32).
// Throws std::runtime_error with VapourSynth's message when a frame cannot be had.
DecodedAudio read_audio_node(VSNode* audio, const VSAPI* vsapi);

}  // namespace cnnv3::vs
