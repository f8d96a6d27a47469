// Static presets (SPEC §3): fix the conditioning and fold FiLM into the conv weights,
// W'[o] = gamma_o * W[o], b'[o] = gamma_o * b[o] + beta_o. The folded network needs no MLP.
#pragma once

#include "film.h"
#include "model.h"

#include <array>
#include <span>

namespace cnnv3 {

// The five conv layers with FiLM folded in (the bottleneck is copied unchanged), in f32.
std::array<ConvWeights, 5> fold_film(const Model& model, const FilmParams& film);

// Convenience: evaluate the MLP at `cond`, then fold.
std::array<ConvWeights, 5> fold_film(const Model& model, std::span<const float> cond);

}  // namespace cnnv3
