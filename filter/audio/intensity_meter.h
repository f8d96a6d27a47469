// audio_intensity of SPEC §6.
//
// Per sample, the peak |x| over all channels feeds an envelope with instant attack and exponential
// release: e[n] = max(|x[n]|, e[n−1]·exp(−1/(release_s·rate))), release_s = 0.25 s (the envelope
// falls to 1/e a quarter second after a peak: drum hits read as pulses, sustained loudness as a
// plateau, and the value does not depend on the video frame rate). Below the −80 dBFS gate the
// envelope counts as 0, so silence — digital or dither — gives exactly 0.
//
// A frame's value is the envelope's maximum over its window [t, t + 1/fps), divided by the
// reference level and clipped to [0, 1]. The reference is the 98th percentile of the gated envelope
// over the samples where it is above the gate (so long silences do not lower it); when that is
// below −60 dBFS (an all-quiet track) the reference is full scale (1.0). Outside the decoded audio
// the value is 0. Never NaN.
#pragma once

#include "audio_decode.h"

#include <vector>

namespace cnnv3 {

// The constants documented above.
struct IntensityOptions {
    double release_s = 0.25;
    double gate_dbfs = -80.0;
    double percentile = 0.98;
    double quiet_track_dbfs = -60.0;  // reference below this: use full scale
};

class IntensityMeter {
public:
    IntensityMeter() = default;  // no audio: 0 everywhere
    explicit IntensityMeter(const DecodedAudio& audio, const IntensityOptions& options = {});

    // audio_intensity for the window [t, t + duration) (duration > 0; seconds on the file timeline).
    float at(double t, double duration) const;

    // Built from audio (even silent audio, which measures 0); false for the default meter.
    bool has_audio() const { return sample_rate_ > 0; }
    double reference() const { return reference_; }       // envelope level that maps to 1
    bool full_scale() const { return full_scale_; }       // the all-quiet fallback was taken

private:
    std::vector<float> envelope_;  // gated envelope, one value per sample
    int sample_rate_ = 0;
    double start_time_ = 0.0;
    double reference_ = 1.0;
    bool full_scale_ = true;
};

}  // namespace cnnv3
