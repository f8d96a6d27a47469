// The five conditioning values (SPEC §3 order) of every frame of a clip, decided once when the
// filter is created so that any frame, in any order, on any thread, gets the same values.
//
// Sources, in the order they are taken: a value given as an argument (fixed for every frame); else
// the track (the plugin's own analysis of the audio node or a BPM grid / beats file, row n for
// frame n; or a cond_track file, the row at or before the frame's time); else the model's
// default_cond (all five values, as `cnnv3 stylize` on a file without audio).
#pragma once

#include "conditioning_track.h"

#include <array>
#include <optional>
#include <span>
#include <vector>

namespace cnnv3::vs {

using cnnv3::Conditioning;  // [beat_phase, beat_norm, audio_intensity, style_p0, style_p1]

// Values given as arguments; each replaces the source's value on every frame.
struct ConditioningOverrides {
    std::optional<float> beat_phase;
    std::optional<float> beat_norm;
    std::optional<float> audio_intensity;
    std::optional<float> style0;
    std::optional<float> style1;

    Conditioning apply(Conditioning c) const;
};

class ClipConditioning {
public:
    // No track: the model's default_cond (5 values, rest_values()).
    static ClipConditioning constant(std::span<const float> default_cond, const ConditioningOverrides& overrides);
    // A track built on the clip's own frame times: frame n takes row n.
    static ClipConditioning per_frame(const ConditioningTrack& track, const ConditioningOverrides& overrides);
    // A track file: frame n (shown at n / fps) takes the row at or before that time, with 1 µs of
    // slack because the file keeps 6 decimals. fps > 0, the track not empty.
    static ClipConditioning from_file(const ConditioningTrack& track, int frames, double fps,
                                      const ConditioningOverrides& overrides);

    // Frame n's values (n clamped to the frames known; a constant has one).
    const Conditioning& at(int n) const;
    std::size_t size() const { return frames_.size(); }

private:
    std::vector<Conditioning> frames_;
};

}  // namespace cnnv3::vs
