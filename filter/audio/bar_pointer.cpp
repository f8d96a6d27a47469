#include "bar_pointer.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>

namespace cnnv3 {

namespace {

constexpr std::uint8_t no_predecessor = 0xFF;
constexpr std::array<int, 2> meters = {4, 3};

// Max of x over [centre - radius, centre + radius] ∩ [begin, end).
float pooled(const std::vector<float>& x, std::ptrdiff_t centre, std::ptrdiff_t radius, std::size_t begin, std::size_t end)
{
    const auto lo = static_cast<std::size_t>(std::max<std::ptrdiff_t>(static_cast<std::ptrdiff_t>(begin), centre - radius));
    const auto hi = static_cast<std::size_t>(std::min<std::ptrdiff_t>(static_cast<std::ptrdiff_t>(end), centre + radius + 1));
    float best = 0.0f;
    for (std::size_t i = lo; i < hi; ++i)
        best = std::max(best, x[i]);
    return best;
}

// x relative to its median (the level between onsets, noise included) over the range up to its
// 97th percentile (the level of a typical strong onset), in [0, 1.5].
void normalise(std::vector<float>& x)
{
    if (x.empty())
        return;
    std::vector<float> sorted = x;
    auto at = [&](double q) {
        const auto k = static_cast<std::size_t>(q * static_cast<double>(sorted.size() - 1));
        std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(k), sorted.end());
        return sorted[k];
    };
    const float base = at(0.5);
    float top = at(0.97);
    if (!(top > base))
        top = *std::max_element(x.begin(), x.end());
    if (!(top > base)) {
        std::fill(x.begin(), x.end(), 0.0f);
        return;
    }
    for (float& v : x)
        v = std::clamp((v - base) / (top - base), 0.0f, 1.5f);
}

// The evidence of LevelEvidence for beats at decoder frames `beats` (increasing) with their bar
// positions, over the normalised observations `obs` (in LevelEvidence::Observation order).
LevelEvidence level_evidence(const std::vector<std::size_t>& beats, const std::vector<int>& position, int bar, double rate,
                             const std::array<const std::vector<float>*, LevelEvidence::observations>& obs,
                             const std::vector<float>& learned)
{
    LevelEvidence e;
    const std::size_t n = beats.size();
    if (n < 8)
        return e;
    std::vector<std::size_t> gaps(n - 1);
    for (std::size_t k = 0; k + 1 < n; ++k)
        gaps[k] = beats[k + 1] - beats[k];
    std::nth_element(gaps.begin(), gaps.begin() + static_cast<std::ptrdiff_t>(gaps.size() / 2), gaps.end());
    const double period = static_cast<double>(gaps[gaps.size() / 2]);
    e.bpm = 60.0 * rate / period;

    double parity_sum[2][LevelEvidence::observations] = {};
    std::size_t parity_count[2] = {};
    for (std::size_t k = 0; k < n; ++k) {
        ++parity_count[k % 2];
        for (int o = 0; o < LevelEvidence::observations; ++o)
            parity_sum[k % 2][o] += (*obs[static_cast<std::size_t>(o)])[beats[k]];
    }
    if (bar == 4)
        e.strong_parity = position[0] % 2 == 0 ? 0 : 1;
    else {
        auto total = [&](int p) {
            return (parity_sum[p][LevelEvidence::low] + parity_sum[p][LevelEvidence::mid] + parity_sum[p][LevelEvidence::energy]) /
                   static_cast<double>(parity_count[p]);
        };
        e.strong_parity = total(1) > total(0) ? 1 : 0;
    }
    const int sp = e.strong_parity;
    for (int o = 0; o < LevelEvidence::observations; ++o) {
        e.strong[o] = parity_sum[sp][o] / static_cast<double>(parity_count[sp]);
        e.weak[o] = parity_sum[1 - sp][o] / static_cast<double>(parity_count[1 - sp]);
    }
    if (!learned.empty()) {
        double sum[2] = {};
        for (std::size_t k = 0; k < n; ++k)
            sum[k % 2] += learned[beats[k]];
        const double a = sum[0] / static_cast<double>(parity_count[0]), b = sum[1] / static_cast<double>(parity_count[1]);
        e.learned_ratio = std::max(a, b) > 0.0 ? std::min(a, b) / std::max(a, b) : 1.0;
        e.learned_parity = b > a ? 1 : 0;
        e.learned = true;
    }
    e.valid = true;
    return e;
}

}  // namespace

BarDecoding decode_bar_pointer(const OnsetEnvelope& env, std::size_t begin, std::size_t end, const BarPointerOptions& o)
{
    BarDecoding out;
    end = std::min(end, env.size());
    if (end <= begin || !(env.frame_rate > 0.0))
        return out;
    const auto d = static_cast<std::size_t>(std::max(1.0, std::round(env.frame_rate / o.decoder_rate_hz)));
    const double rate = env.frame_rate / static_cast<double>(d);
    const std::size_t frames = (end - begin + d - 1) / d;

    // Decoder tempi: whole periods in frames, at least tempo_step apart.
    std::vector<int> tau;
    const int tau_lo = std::max(2, static_cast<int>(std::ceil(rate * 60.0 / o.max_bpm)));
    const int tau_hi = static_cast<int>(std::floor(rate * 60.0 / o.min_bpm));
    for (int t = tau_lo; t <= tau_hi; ++t)
        if (tau.empty() || t >= tau.back() * (1.0 + o.tempo_step))
            tau.push_back(t);
    if (tau.empty() || tau.size() >= no_predecessor || frames < 2 * static_cast<std::size_t>(tau.front()))
        return out;
    const std::size_t tempi = tau.size();
    const int tau_max = tau.back();

    // Observations per decoder frame.
    std::vector<float> s(frames), low(frames), mid(frames), energy(frames);
    const auto radius = static_cast<std::ptrdiff_t>(d);
    for (std::size_t t = 0; t < frames; ++t) {
        const auto centre = static_cast<std::ptrdiff_t>(begin + t * d + d / 2);
        s[t] = pooled(env.strength, centre, radius, begin, end);
        low[t] = pooled(env.low_accent, centre, radius, begin, end);
        mid[t] = pooled(env.mid_accent, centre, radius, begin, end);
        energy[t] = pooled(env.accent, centre, radius, begin, end);
    }
    normalise(energy);
    normalise(s);
    normalise(low);
    normalise(mid);
    // The learned activation's log odds per decoder frame (0 without one).
    const bool learned = env.beat_activation.size() == env.size();
    std::vector<float> odds(frames, 0.0f), activation;
    if (learned) {
        activation.resize(frames);
        for (std::size_t t = 0; t < frames; ++t) {
            const auto centre = static_cast<std::ptrdiff_t>(begin + t * d + d / 2);
            activation[t] = pooled(env.beat_activation, centre, radius, begin, end);
            const double a = std::clamp(static_cast<double>(activation[t]), 1e-6, 1.0 - 1e-6);
            odds[t] = static_cast<float>(o.w_learned * std::clamp(std::log(a / (1.0 - a)), -o.learned_clip, o.learned_clip) - o.learned_bias);
        }
    }
    const double hand = learned ? o.hand_weight : 1.0;

    std::vector<double> log_tau(tempi), prior(tempi);
    for (std::size_t j = 0; j < tempi; ++j) {
        log_tau[j] = std::log(static_cast<double>(tau[j]));
        const double octaves = std::log2(60.0 * rate / tau[j] / o.prior_bpm);
        prior[j] = o.prior_weight * octaves * octaves * tau[j] / rate;
    }

    // States at a beat: (meter m, bar position b, tempo j), laid out meter by meter.
    std::array<std::size_t, meters.size()> offset{};
    std::size_t states = 0;
    for (std::size_t m = 0; m < meters.size(); ++m) {
        offset[m] = states;
        states += static_cast<std::size_t>(meters[m]) * tempi;
    }
    // Scores of beats at the last tau_max + 1 frames (ring), back-pointers for all frames.
    const std::size_t ring = static_cast<std::size_t>(tau_max) + 1;
    constexpr float none = -std::numeric_limits<float>::infinity();
    std::vector<float> score(ring * states, none);
    std::vector<std::uint8_t> back(frames * states, no_predecessor);

    for (std::size_t t = 0; t < frames; ++t) {
        float* now = &score[(t % ring) * states];
        std::uint8_t* bp = &back[t * states];
        for (std::size_t m = 0; m < meters.size(); ++m) {
            const int bar = meters[m];
            for (int b = 0; b < bar; ++b) {
                const int pb = (b + bar - 1) % bar;
                const bool strong = bar == 4 ? b % 2 == 0 : b == 0;
                double g = o.w_broad * s[t] + o.w_energy * energy[t] + o.w_low * low[t] + o.w_mid * mid[t] - o.threshold +
                           (strong ? o.w_accent * low[t] : o.w_accent * (mid[t] - low[t]) - o.weak_cost);
                if (b == 0)
                    g += o.w_downbeat * low[t];
                g = hand * g + odds[t];
                // The previous beat's score for every tempo (its frame is t - tau_k).
                const std::size_t prev_base = offset[m] + static_cast<std::size_t>(pb) * tempi;
                float any = none;
                std::size_t any_k = 0;
                std::array<float, 256> prev;
                for (std::size_t k = 0; k < tempi; ++k) {
                    const auto lag = static_cast<std::size_t>(tau[k]);
                    prev[k] = t >= lag ? score[((t - lag) % ring) * states + prev_base + k] : none;
                    if (prev[k] > any) {
                        any = prev[k];
                        any_k = k;
                    }
                }
                const std::size_t base = offset[m] + static_cast<std::size_t>(b) * tempi;
                for (std::size_t j = 0; j < tempi; ++j) {
                    double best = static_cast<double>(any) - o.jump_cost;
                    std::uint8_t arg = any == none ? no_predecessor : static_cast<std::uint8_t>(any_k);
                    const std::size_t k_lo = j > static_cast<std::size_t>(o.band) ? j - static_cast<std::size_t>(o.band) : 0;
                    const std::size_t k_hi = std::min(tempi - 1, j + static_cast<std::size_t>(o.band));
                    for (std::size_t k = k_lo; k <= k_hi; ++k) {
                        if (prev[k] == none)
                            continue;
                        const double dl = log_tau[j] - log_tau[k];
                        const double v = static_cast<double>(prev[k]) - o.tempo_change * dl * dl;
                        if (v > best) {
                            best = v;
                            arg = static_cast<std::uint8_t>(k);
                        }
                    }
                    // A first beat may come within one period of the segment's start.
                    if (t < static_cast<std::size_t>(tau[j])) {
                        const double start = m == 0 ? 0.0 : -o.meter3_cost;
                        if (arg == no_predecessor || start > best) {
                            best = start;
                            arg = no_predecessor;
                        }
                    }
                    if (best == -std::numeric_limits<double>::infinity()) {
                        now[base + j] = none;
                        continue;
                    }
                    now[base + j] = static_cast<float>(best + g - prior[j]);
                    bp[base + j] = arg;
                }
            }
        }
    }

    // The last beat: within one period of the end.
    double best = -std::numeric_limits<double>::infinity();
    std::size_t best_t = 0, best_state = 0;
    const std::size_t first_t = frames > ring - 1 ? frames - (ring - 1) : 0;
    for (std::size_t t = first_t; t < frames; ++t) {
        const float* row = &score[(t % ring) * states];
        for (std::size_t m = 0; m < meters.size(); ++m)
            for (int b = 0; b < meters[m]; ++b)
                for (std::size_t j = 0; j < tempi; ++j) {
                    const std::size_t st = offset[m] + static_cast<std::size_t>(b) * tempi + j;
                    if (t + static_cast<std::size_t>(tau[j]) >= frames && row[st] > best) {
                        best = row[st];
                        best_t = t;
                        best_state = st;
                    }
                }
    }
    if (best == -std::numeric_limits<double>::infinity())
        return out;

    const std::size_t m = best_state >= offset[1] ? 1 : 0;
    const int bar = meters[m];
    int b = static_cast<int>((best_state - offset[m]) / tempi);
    std::size_t j = (best_state - offset[m]) % tempi;
    std::size_t t = best_t;
    std::vector<std::size_t> beat_t;  // decoder frames of the beats, last first
    for (;;) {
        beat_t.push_back(t);
        out.frames.push_back(begin + t * d + d / 2);
        out.bar_position.push_back(b);
        const std::uint8_t k = back[t * states + offset[m] + static_cast<std::size_t>(b) * tempi + j];
        if (k == no_predecessor)
            break;
        t -= static_cast<std::size_t>(tau[k]);
        b = (b + bar - 1) % bar;
        j = k;
    }
    std::reverse(out.frames.begin(), out.frames.end());
    std::reverse(out.bar_position.begin(), out.bar_position.end());
    for (std::size_t& f : out.frames)
        f = std::min(f, end - 1);
    out.beats_per_bar = bar;
    std::reverse(beat_t.begin(), beat_t.end());
    out.evidence = level_evidence(beat_t, out.bar_position, bar, rate, {&s, &energy, &low, &mid}, activation);
    return out;
}

}  // namespace cnnv3
