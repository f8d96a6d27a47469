#include "beat_clock.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace cnnv3 {

namespace {

// The largest float below 1: values that round up to 1.0f are clamped to it.
constexpr float below_one = 0x1.fffffep-1f;

}  // namespace

BeatClock::BeatClock(std::vector<double> beats, int downbeat) : beats_(std::move(beats)), downbeat_(downbeat)
{
    for (std::size_t k = 0; k < beats_.size(); ++k) {
        if (!std::isfinite(beats_[k]))
            throw std::invalid_argument("beat " + std::to_string(k) + " is not a finite time");
        if (k > 0 && !(beats_[k] > beats_[k - 1]))
            throw std::invalid_argument("beat times must be strictly increasing (beat " + std::to_string(k) + ")");
    }
}

BeatClock BeatClock::from_bpm(double bpm, double offset, double begin, double end)
{
    if (!(bpm > 0.0) || !std::isfinite(bpm) || !std::isfinite(offset) || !std::isfinite(begin) || !std::isfinite(end))
        throw std::invalid_argument("a beat grid needs a positive BPM and finite times");
    const double period = 60.0 / bpm;
    const auto first = static_cast<std::int64_t>(std::floor((std::min(begin, end) - offset) / period)) - 1;
    const auto last = static_cast<std::int64_t>(std::ceil((std::max(begin, end) - offset) / period)) + 1;
    if (last - first > 50'000'000)
        throw std::invalid_argument("beat grid too long");
    std::vector<double> beats;
    beats.reserve(static_cast<std::size_t>(last - first + 1));
    for (std::int64_t j = first; j <= last; ++j)
        beats.push_back(offset + static_cast<double>(j) * period);
    // The beat at the offset is list index −first: that index is the bar start.
    const int k0 = static_cast<int>(((-first) % 8 + 8) % 8);
    return BeatClock(std::move(beats), k0);
}

BeatPosition BeatClock::position(double t) const
{
    const std::size_t n = beats_.size();
    if (n < 2 || !std::isfinite(t))
        return {};
    const auto it = std::upper_bound(beats_.begin(), beats_.end(), t);
    const auto k = static_cast<std::int64_t>(it - beats_.begin()) - 1;  // beat at or before t
    BeatPosition p;
    if (k >= 0 && k + 1 < static_cast<std::int64_t>(n)) {
        const double b0 = beats_[static_cast<std::size_t>(k)], b1 = beats_[static_cast<std::size_t>(k + 1)];
        p.index = k;
        p.phase = (t - b0) / (b1 - b0);
    } else {
        // Extrapolate from the nearest end with its period.
        const bool before = k < 0;
        const double anchor = before ? beats_[0] : beats_[n - 1];
        const double period = before ? beats_[1] - beats_[0] : beats_[n - 1] - beats_[n - 2];
        const double x = (t - anchor) / period;
        const double whole = std::floor(x);
        p.index = (before ? 0 : static_cast<std::int64_t>(n - 1)) + static_cast<std::int64_t>(whole);
        p.phase = x - whole;
    }
    if (p.phase >= 1.0) {  // rounding at a beat
        p.phase = 0.0;
        ++p.index;
    }
    p.phase = std::max(0.0, p.phase);
    return p;
}

float BeatClock::beat_phase(double t) const
{
    return std::min(static_cast<float>(position(t).phase), below_one);
}

float BeatClock::beat_norm(double t) const
{
    const BeatPosition p = position(t);
    if (beats_.size() < 2)
        return 0.0f;
    const std::int64_t bar = ((p.index - downbeat_) % 8 + 8) % 8;
    return std::min(static_cast<float>((static_cast<double>(bar) + p.phase) / 8.0), below_one);
}

}  // namespace cnnv3
