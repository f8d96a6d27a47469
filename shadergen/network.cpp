#include "network.h"

namespace cnnv3 {

std::string_view layer_name(Layer layer)
{
    switch (layer) {
    case Layer::enc0: return "enc0";
    case Layer::enc1: return "enc1";
    case Layer::bottleneck: return "bottleneck";
    case Layer::dec1: return "dec1";
    case Layer::dec0: return "dec0";
    }
    return "?";
}

ConvShape NetworkShape::conv(Layer layer) const
{
    switch (layer) {
    case Layer::enc0: return {feature_channels, c0, 1};
    case Layer::enc1: return {c0, c1, 1};
    case Layer::bottleneck: return {c1, c1, 2};
    case Layer::dec1: return {2 * c1, c0, 1};
    case Layer::dec0: return {2 * c0, output_channels, 1};
    }
    return {};
}

std::size_t NetworkShape::conv_param_count() const
{
    std::size_t n = 0;
    for (Layer l : all_layers)
        n += conv(l).param_count();
    return n;
}

int NetworkShape::film_channels(Layer layer) const
{
    return layer == Layer::bottleneck ? 0 : conv(layer).out;
}

int NetworkShape::film_size() const { return 2 * (c0 + c1 + c0 + output_channels); }

int NetworkShape::film_offset(Layer layer) const
{
    int offset = 0;
    for (Layer l : all_layers) {
        if (l == layer)
            return offset;
        offset += 2 * film_channels(l);
    }
    return offset;
}

std::size_t NetworkShape::mlp_float_count() const
{
    const std::size_t n = static_cast<std::size_t>(film_size());
    return film_hidden * static_cast<std::size_t>(cond_dim) + film_hidden + n * film_hidden + n;
}

std::optional<NetworkShape> infer_shape(std::size_t conv_halves, std::size_t mlp_floats)
{
    std::optional<NetworkShape> found;
    for (int c0 = 1; c0 <= 64; ++c0) {
        for (int c1 = 1; c1 <= 128; ++c1) {
            NetworkShape s{c0, c1, default_cond_dim};
            if (s.conv_param_count() == conv_halves && s.mlp_float_count() == mlp_floats) {
                if (found)
                    return std::nullopt;  // ambiguous: never happens in range, refuse rather than guess
                found = s;
            }
        }
    }
    return found;
}

}  // namespace cnnv3
