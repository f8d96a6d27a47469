#include "intensity_meter.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace cnnv3 {

IntensityMeter::IntensityMeter(const DecodedAudio& audio, const IntensityOptions& o)
    : sample_rate_(audio.sample_rate), start_time_(audio.start_time)
{
    const std::size_t n = audio.frame_count();
    const auto c = static_cast<std::size_t>(std::max(audio.channels, 0));
    const float gate = static_cast<float>(std::pow(10.0, o.gate_dbfs / 20.0));
    const float decay = sample_rate_ > 0 ? static_cast<float>(std::exp(-1.0 / (o.release_s * sample_rate_))) : 0.0f;

    // Level histogram of the gated envelope in 0.05 dB bins from the gate to +20 dBFS.
    constexpr double bin_db = 0.05;
    const auto bins = static_cast<std::size_t>((20.0 - o.gate_dbfs) / bin_db) + 1;
    std::vector<std::uint64_t> histogram(bins, 0);
    std::uint64_t above = 0;

    envelope_.resize(n);
    float e = 0.0f;
    for (std::size_t i = 0; i < n; ++i) {
        float peak = 0.0f;
        for (std::size_t ch = 0; ch < c; ++ch)
            peak = std::max(peak, std::fabs(audio.samples[i * c + ch]));
        e = std::max(peak, e * decay);
        if (!(e >= gate)) {  // also catches NaN
            envelope_[i] = 0.0f;
            e = std::isfinite(e) ? e : 0.0f;
            continue;
        }
        envelope_[i] = e;
        const double db = 20.0 * std::log10(static_cast<double>(e));
        const auto bin = static_cast<std::size_t>(std::clamp((db - o.gate_dbfs) / bin_db, 0.0, static_cast<double>(bins - 1)));
        ++histogram[bin];
        ++above;
    }
    if (above > 0) {
        const auto target = static_cast<std::uint64_t>(std::ceil(o.percentile * static_cast<double>(above)));
        std::uint64_t seen = 0;
        std::size_t bin = 0;
        for (; bin < bins; ++bin) {
            seen += histogram[bin];
            if (seen >= target)
                break;
        }
        const double db = o.gate_dbfs + (static_cast<double>(std::min(bin, bins - 1)) + 1.0) * bin_db;
        if (db >= o.quiet_track_dbfs) {
            reference_ = std::pow(10.0, db / 20.0);
            full_scale_ = false;
        }
    }
}

float IntensityMeter::at(double t, double duration) const
{
    if (envelope_.empty() || !std::isfinite(t) || !(duration > 0.0))
        return 0.0f;
    const double first = (t - start_time_) * sample_rate_;
    const double last = (t + duration - start_time_) * sample_rate_;
    const double size = static_cast<double>(envelope_.size());
    if (last <= 0.0 || first >= size)
        return 0.0f;
    auto lo = static_cast<std::size_t>(std::max(0.0, std::ceil(first)));
    auto hi = static_cast<std::size_t>(std::min(size, std::ceil(last)));
    if (hi <= lo)  // a window shorter than one sample: the sample it starts in
        hi = std::min(envelope_.size(), lo + 1);
    float peak = 0.0f;
    for (std::size_t i = lo; i < hi; ++i)
        peak = std::max(peak, envelope_[i]);
    const double v = static_cast<double>(peak) / reference_;
    return static_cast<float>(std::clamp(v, 0.0, 1.0));
}

}  // namespace cnnv3
