// The shape of the CNN v3 U-Net (SPEC §1, §3): its five conv layers and the FiLM MLP sizes.
//
// Pure arithmetic on enc_channels; no weights. Everything that needs to know "how many halves does
// layer X hold" or "where is gamma of dec1 in the FiLM vector" asks this header.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

namespace cnnv3 {

// Index of a conv layer, in file order (SPEC §4).
enum class Layer { enc0, enc1, bottleneck, dec1, dec0 };
inline constexpr std::array<Layer, 5> all_layers = {Layer::enc0, Layer::enc1, Layer::bottleneck,
                                                     Layer::dec1, Layer::dec0};
std::string_view layer_name(Layer layer);

inline constexpr int feature_channels = 20;   // SPEC §2
inline constexpr int output_channels = 4;     // SPEC §1, dec0
inline constexpr int film_hidden = 16;        // SPEC §3
inline constexpr int default_cond_dim = 5;    // SPEC §3

// One 3x3 convolution: in -> out channels, with its dilation (padding equals dilation).
struct ConvShape {
    int in = 0;
    int out = 0;
    int dilation = 1;
    // Halves in the file for this layer: weights [out][in][3][3] then bias [out].
    std::size_t weight_count() const { return static_cast<std::size_t>(out) * in * 9; }
    std::size_t param_count() const { return weight_count() + static_cast<std::size_t>(out); }
};

// enc_channels = [c0, c1] and the conditioning size: the whole architecture follows from them.
struct NetworkShape {
    int c0 = 8;
    int c1 = 16;
    int cond_dim = default_cond_dim;

    ConvShape conv(Layer layer) const;
    // Total halves in cnn_v3_weights.bin.
    std::size_t conv_param_count() const;
    // Channels FiLM modulates in a layer; 0 for the bottleneck (no FiLM).
    int film_channels(Layer layer) const;
    // N = 2 * (c0 + c1 + c0 + 4): gamma and beta of every FiLM layer.
    int film_size() const;
    // Offset of gamma of `layer` in the FiLM vector; beta follows right after gamma.
    int film_offset(Layer layer) const;
    // Floats in cnn_v3_film_mlp.bin: W0 (16 x cond), b0 (16), W1 (N x 16), b1 (N).
    std::size_t mlp_float_count() const;

    bool operator==(const NetworkShape&) const = default;
};

// enc_channels from the sizes of both files (in halves and floats), searched over c0 <= 64,
// c1 <= 128 with cond_dim 5. Empty when no shape fits; SPEC §4 says the pair is then unique.
std::optional<NetworkShape> infer_shape(std::size_t conv_halves, std::size_t mlp_floats);

}  // namespace cnnv3
