#include "film_fold.h"

namespace cnnv3 {

std::array<ConvWeights, 5> fold_film(const Model& model, const FilmParams& film)
{
    std::array<ConvWeights, 5> folded = model.convs;
    for (Layer layer : all_layers) {
        if (model.shape.film_channels(layer) == 0)
            continue;
        ConvWeights& cw = folded[static_cast<std::size_t>(layer)];
        const std::size_t per_out = static_cast<std::size_t>(cw.shape.in) * 9;
        for (int o = 0; o < cw.shape.out; ++o) {
            const float g = film.gamma(layer, o);
            for (std::size_t i = 0; i < per_out; ++i)
                cw.weights[static_cast<std::size_t>(o) * per_out + i] *= g;
            cw.bias[static_cast<std::size_t>(o)] = g * cw.bias[static_cast<std::size_t>(o)] + film.beta(layer, o);
        }
    }
    return folded;
}

std::array<ConvWeights, 5> fold_film(const Model& model, std::span<const float> cond)
{
    return fold_film(model, FilmParams(model.shape, evaluate_film_mlp(model.film_mlp, cond)));
}

}  // namespace cnnv3
