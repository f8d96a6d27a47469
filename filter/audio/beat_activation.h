// The learned beat activation: a small non-causal temporal convolutional network (TCN) over
// per-band features of the onset envelope, giving per frame the probability that a beat falls
// there. Trained only on the project's own dev renders (training/beats/, docs/audio.md); the
// bar-pointer decoder (bar_pointer.h) takes it as an observation through
// OnsetEnvelope::beat_activation.
//
// Features (beat_features): the envelope's frames are grouped in blocks of `block` frames
// (the decoder's pooling, 4 frames = 11.6 ms at 44.1 kHz / 128); per block and band b, the mean of
// band_log (the band's floored log energy relative to the local loudness) and the largest rise of
// band_log over feature_lag frames, clipped at 0. Pure functions; no shared state.
#pragma once

#include "onset_envelope.h"

#include <cstddef>
#include <span>
#include <vector>

namespace cnnv3 {

inline constexpr int beat_feature_lag = 3;  // frames (8.7 ms at 44.1 kHz / 128), the flux's lag

// Features per block, block-major: frames × channels values, channels = 2 · env.band_count
// (band_count means, then band_count rises). Requires env.band_log (keep_bands); throws
// std::invalid_argument without it or for block < 1.
struct BeatFeatures {
    std::size_t frames = 0;
    std::size_t channels = 0;
    int block = 4;            // envelope frames per feature frame
    std::vector<float> values;
};

BeatFeatures beat_features(const OnsetEnvelope& env, int block = 4);

// Per envelope frame, the activation of feature frame (i / block) (held over its block), the form
// OnsetEnvelope::beat_activation takes. Throws std::invalid_argument for block < 1 or when
// activation.size() is not the features' frames, ceil(envelope_frames / block).
std::vector<float> hold_activation(const std::vector<float>& activation, int block, std::size_t envelope_frames);

// A trained network (training/beats/tcn.py's TCN, PyTorch layouts): per-channel standardisation
// (x − mean) / std; h = ELU(conv3(x)); per dilation d, h += ELU(conv_kernel,d(h)) with zero
// padding ("same"); logit = conv1(h); activation = sigmoid(logit).
struct BeatNetwork {
    int inputs = 0;                    // feature channels
    int channels = 0;                  // hidden channels
    int kernel = 0;                    // taps of the dilated convolutions
    std::span<const int> dilations;
    std::span<const float> mean, std;  // inputs each
    std::span<const float> in_weight;  // channels × inputs × 3
    std::span<const float> in_bias;    // channels
    std::span<const float> block_weight;  // dilations × channels × channels × kernel
    std::span<const float> block_bias;    // dilations × channels
    std::span<const float> out_weight;    // channels
    float out_bias = 0.0f;
};

// The network trained on the dev renders (beat_network_weights.h, written by
// training/beats/train.py).
const BeatNetwork& trained_beat_network();

// Beat probability per feature frame. Throws std::invalid_argument when the features' channels
// are not the network's inputs, when features.values is not frames × channels, or when the
// network's arrays do not have the sizes its shape gives (or its kernel is even: no "same" padding).
std::vector<float> beat_activation(const BeatFeatures& features, const BeatNetwork& network = trained_beat_network());

// The trained network's activation per envelope frame, as OnsetEnvelope::beat_activation takes it:
// beat_features, beat_activation, hold_activation (the one way the tracker, `cnnv3 analyze
// --tracker learned` and the benches compute it). Needs env.band_log (keep_bands) at
// analysis_sample_rate (80 feature channels); an envelope without frames (empty audio) gets an
// empty activation. Throws as beat_features and beat_activation.
std::vector<float> learned_beat_activation(const OnsetEnvelope& env);

}  // namespace cnnv3
