#include "beat_activation.h"

#include "beat_network_weights.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace cnnv3 {

BeatFeatures beat_features(const OnsetEnvelope& env, int block)
{
    if (block < 1)
        throw std::invalid_argument("beat features: block must be >= 1");
    const auto nb = static_cast<std::size_t>(env.band_count);
    if (nb == 0 || env.band_log.size() != env.size() * nb)
        throw std::invalid_argument("beat features: the envelope has no band_log (expected OnsetEnvelopeOptions::keep_bands)");
    BeatFeatures f;
    f.block = block;
    const auto d = static_cast<std::size_t>(block);
    const std::size_t n = env.size();
    f.frames = (n + d - 1) / d;
    f.channels = 2 * nb;
    f.values.assign(f.frames * f.channels, 0.0f);
    const auto lag = static_cast<std::size_t>(beat_feature_lag);
    for (std::size_t t = 0; t < f.frames; ++t) {
        float* out = &f.values[t * f.channels];
        const std::size_t lo = t * d, hi = std::min(n, lo + d);
        for (std::size_t i = lo; i < hi; ++i) {
            const float* now = &env.band_log[i * nb];
            const float* before = i >= lag ? &env.band_log[(i - lag) * nb] : now;
            for (std::size_t b = 0; b < nb; ++b) {
                out[b] += now[b];
                out[nb + b] = std::max(out[nb + b], now[b] - before[b]);
            }
        }
        for (std::size_t b = 0; b < nb; ++b)
            out[b] /= static_cast<float>(hi - lo);
    }
    return f;
}

std::vector<float> hold_activation(const std::vector<float>& activation, int block, std::size_t envelope_frames)
{
    if (block < 1)
        throw std::invalid_argument("hold activation: block must be >= 1");
    const auto d = static_cast<std::size_t>(block);
    if (activation.size() != (envelope_frames + d - 1) / d)
        throw std::invalid_argument(fmt::format("hold activation: {} values for {} envelope frames (expected {}: one per block "
                                                "of {})", activation.size(), envelope_frames, (envelope_frames + d - 1) / d, d));
    std::vector<float> out(envelope_frames);
    for (std::size_t i = 0; i < envelope_frames; ++i)
        out[i] = activation[i / d];
    return out;
}

namespace {

float elu(float x) { return x > 0.0f ? x : std::expm1(x); }

// out[t·co + o] = bias[o] + Σ_j Σ_i w[o, i, j] · in[(t + (j − (k − 1)/2)·dil)·ci + i], zero outside.
// The weights are rearranged to [j][i][o] so the inner loop runs over contiguous outputs.
void convolve(const std::vector<float>& in, std::size_t frames, std::size_t ci, std::size_t co, std::size_t k,
              std::size_t dil, std::span<const float> w, std::span<const float> bias, std::vector<float>& out)
{
    std::vector<float> wt(k * ci * co);
    for (std::size_t o = 0; o < co; ++o)
        for (std::size_t i = 0; i < ci; ++i)
            for (std::size_t j = 0; j < k; ++j)
                wt[(j * ci + i) * co + o] = w[(o * ci + i) * k + j];
    out.assign(frames * co, 0.0f);
    const auto half = static_cast<std::ptrdiff_t>((k - 1) / 2 * dil);
    for (std::size_t t = 0; t < frames; ++t) {
        float* y = &out[t * co];
        std::copy(bias.begin(), bias.end(), y);
        for (std::size_t j = 0; j < k; ++j) {
            const std::ptrdiff_t s = static_cast<std::ptrdiff_t>(t) + static_cast<std::ptrdiff_t>(j * dil) - half;
            if (s < 0 || s >= static_cast<std::ptrdiff_t>(frames))
                continue;
            const float* x = &in[static_cast<std::size_t>(s) * ci];
            const float* wj = &wt[j * ci * co];
            for (std::size_t i = 0; i < ci; ++i) {
                const float xi = x[i];
                const float* wi = wj + i * co;
                for (std::size_t o = 0; o < co; ++o)
                    y[o] += wi[o] * xi;
            }
        }
    }
}

// Every array as large as the shape says, so that the loops below stay inside them.
void check_shape(const BeatNetwork& net)
{
    const bool shape = net.inputs > 0 && net.channels > 0 && net.kernel > 0 && net.kernel % 2 == 1 &&
                       std::all_of(net.dilations.begin(), net.dilations.end(), [](int d) { return d > 0; });
    const auto in = static_cast<std::size_t>(net.inputs), ch = static_cast<std::size_t>(net.channels),
               k = static_cast<std::size_t>(net.kernel), blocks = net.dilations.size();
    if (!shape || net.mean.size() != in || net.std.size() != in || net.in_weight.size() != ch * in * 3 ||
        net.in_bias.size() != ch || net.block_weight.size() != blocks * ch * ch * k || net.block_bias.size() != blocks * ch ||
        net.out_weight.size() != ch)
        throw std::invalid_argument("beat activation: the network's arrays do not match its shape (expected an odd kernel, "
                                    "positive dilations and the sizes of beat_activation.h's BeatNetwork)");
}

}  // namespace

const BeatNetwork& trained_beat_network()
{
    static const BeatNetwork network = [] {
        namespace w = beat_network_weights;
        BeatNetwork n;
        n.inputs = w::inputs;
        n.channels = w::channels;
        n.kernel = w::kernel;
        n.dilations = w::dilations;
        n.mean = w::mean;
        n.std = w::std_dev;
        n.in_weight = w::in_weight;
        n.in_bias = w::in_bias;
        n.block_weight = w::block_weight;
        n.block_bias = w::block_bias;
        n.out_weight = w::out_weight;
        n.out_bias = w::out_bias;
        return n;
    }();
    return network;
}

std::vector<float> beat_activation(const BeatFeatures& f, const BeatNetwork& net)
{
    if (f.channels != static_cast<std::size_t>(net.inputs))
        throw std::invalid_argument(fmt::format("beat activation: features of {} channels (expected the network's {})",
                                                f.channels, net.inputs));
    if (f.values.size() != f.frames * f.channels)
        throw std::invalid_argument(fmt::format("beat activation: {} feature values (expected frames x channels = {} x {})",
                                                f.values.size(), f.frames, f.channels));
    check_shape(net);
    const std::size_t n = f.frames, ci = f.channels, ch = static_cast<std::size_t>(net.channels);
    const auto k = static_cast<std::size_t>(net.kernel);
    std::vector<float> x(f.values.size());
    for (std::size_t t = 0; t < n; ++t)
        for (std::size_t i = 0; i < ci; ++i)
            x[t * ci + i] = (f.values[t * ci + i] - net.mean[i]) / net.std[i];
    std::vector<float> h, y;
    convolve(x, n, ci, ch, 3, 1, net.in_weight, net.in_bias, h);
    for (float& v : h)
        v = elu(v);
    for (std::size_t b = 0; b < net.dilations.size(); ++b) {
        convolve(h, n, ch, ch, k, static_cast<std::size_t>(net.dilations[b]), net.block_weight.subspan(b * ch * ch * k, ch * ch * k),
                 net.block_bias.subspan(b * ch, ch), y);
        for (std::size_t i = 0; i < h.size(); ++i)
            h[i] += elu(y[i]);
    }
    std::vector<float> a(n);
    for (std::size_t t = 0; t < n; ++t) {
        float logit = net.out_bias;
        for (std::size_t c = 0; c < ch; ++c)
            logit += net.out_weight[c] * h[t * ch + c];
        a[t] = 1.0f / (1.0f + std::exp(-logit));
    }
    return a;
}

std::vector<float> learned_beat_activation(const OnsetEnvelope& env)
{
    if (env.size() == 0)
        return {};
    const BeatFeatures features = beat_features(env);
    return hold_activation(beat_activation(features), features.block, env.size());
}

}  // namespace cnnv3
