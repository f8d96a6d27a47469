#include "clip_conditioning.h"

#include <algorithm>

namespace cnnv3::vs {

Conditioning ConditioningOverrides::apply(Conditioning c) const
{
    const std::optional<float>* given[5] = {&beat_phase, &beat_norm, &audio_intensity, &style0, &style1};
    for (std::size_t i = 0; i < c.size(); ++i)
        if (*given[i])
            c[i] = **given[i];
    return c;
}

ClipConditioning ClipConditioning::constant(std::span<const float> default_cond, const ConditioningOverrides& overrides)
{
    ClipConditioning out;
    out.frames_.push_back(overrides.apply(rest_values({default_cond.begin(), default_cond.end()})));
    return out;
}

ClipConditioning ClipConditioning::per_frame(const ConditioningTrack& track, const ConditioningOverrides& overrides)
{
    ClipConditioning out;
    out.frames_.reserve(track.size());
    for (const ConditioningFrame& f : track.frames())
        out.frames_.push_back(overrides.apply(f.cond()));
    return out;
}

ClipConditioning ClipConditioning::from_file(const ConditioningTrack& track, int frames, double fps,
                                             const ConditioningOverrides& overrides)
{
    ClipConditioning out;
    out.frames_.reserve(static_cast<std::size_t>(std::max(frames, 0)));
    for (int n = 0; n < frames; ++n)
        out.frames_.push_back(overrides.apply(track.at_time(n / fps + 1e-6).cond()));
    return out;
}

const Conditioning& ClipConditioning::at(int n) const
{
    const auto last = static_cast<int>(frames_.size()) - 1;
    return frames_[static_cast<std::size_t>(std::clamp(n, 0, std::max(last, 0)))];
}

}  // namespace cnnv3::vs
