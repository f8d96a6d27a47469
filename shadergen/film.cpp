#include "film.h"

#include <stdexcept>

namespace cnnv3 {

FilmParams::FilmParams(const NetworkShape& shape, std::vector<float> values)
    : shape_(shape), values_(std::move(values))
{
    if (static_cast<int>(values_.size()) != shape_.film_size())
        throw std::invalid_argument("FiLM vector has the wrong size for this network");
}

float FilmParams::gamma(Layer layer, int k) const
{
    if (layer == Layer::bottleneck)
        return 1.0f;
    return values_[static_cast<std::size_t>(shape_.film_offset(layer) + k)];
}

float FilmParams::beta(Layer layer, int k) const
{
    if (layer == Layer::bottleneck)
        return 0.0f;
    return values_[static_cast<std::size_t>(shape_.film_offset(layer) + shape_.film_channels(layer) + k)];
}

FilmParams FilmParams::identity(const NetworkShape& shape)
{
    std::vector<float> v(static_cast<std::size_t>(shape.film_size()), 0.0f);
    for (Layer l : all_layers) {
        for (int k = 0; k < shape.film_channels(l); ++k)
            v[static_cast<std::size_t>(shape.film_offset(l) + k)] = 1.0f;
    }
    return FilmParams(shape, std::move(v));
}

std::vector<float> evaluate_film_mlp(const FilmMlp& mlp, std::span<const float> cond)
{
    if (static_cast<int>(cond.size()) != mlp.cond_dim)
        throw std::invalid_argument("conditioning vector has the wrong length");
    std::vector<float> hidden(film_hidden);
    for (int j = 0; j < film_hidden; ++j) {
        float s = mlp.b0[static_cast<std::size_t>(j)];
        for (int i = 0; i < mlp.cond_dim; ++i)
            s += mlp.w0[static_cast<std::size_t>(j * mlp.cond_dim + i)] * cond[static_cast<std::size_t>(i)];
        hidden[static_cast<std::size_t>(j)] = s > 0.0f ? s : 0.0f;
    }
    std::vector<float> out(static_cast<std::size_t>(mlp.out_dim));
    for (int o = 0; o < mlp.out_dim; ++o) {
        float s = mlp.b1[static_cast<std::size_t>(o)];
        for (int j = 0; j < film_hidden; ++j)
            s += mlp.w1[static_cast<std::size_t>(o * film_hidden + j)] * hidden[static_cast<std::size_t>(j)];
        out[static_cast<std::size_t>(o)] = s;
    }
    return out;
}

}  // namespace cnnv3
