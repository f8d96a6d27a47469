// The FiLM MLP (SPEC §3): conditioning c -> per-layer gamma and beta.
//
// Runs in f32 on the CPU. Hosts call it once per frame; the static-preset emitter calls it once and
// folds the result into the conv weights.
#pragma once

#include "network.h"

#include <span>
#include <vector>

namespace cnnv3 {

// The MLP's parameters as stored in cnn_v3_film_mlp.bin (row-major, f32).
struct FilmMlp {
    int cond_dim = default_cond_dim;
    int out_dim = 0;         // N
    std::vector<float> w0;   // film_hidden x cond_dim
    std::vector<float> b0;   // film_hidden
    std::vector<float> w1;   // N x film_hidden
    std::vector<float> b1;   // N
};

// The MLP's output for one conditioning vector, with named access into SPEC §3's layout.
class FilmParams {
public:
    // Throws std::invalid_argument when `values` is not shape.film_size() long.
    FilmParams(const NetworkShape& shape, std::vector<float> values);

    // gamma_k / beta_k of a FiLM layer; the bottleneck has none (identity: gamma 1, beta 0).
    float gamma(Layer layer, int k) const;
    float beta(Layer layer, int k) const;
    const std::vector<float>& values() const { return values_; }

    // gamma = 1, beta = 0 everywhere: the network without conditioning.
    static FilmParams identity(const NetworkShape& shape);

private:
    NetworkShape shape_;
    std::vector<float> values_;
};

// h = relu(W0 c + b0); film = W1 h + b1. `cond` must have mlp.cond_dim values (else
// std::invalid_argument). Pure: safe to call from any thread.
std::vector<float> evaluate_film_mlp(const FilmMlp& mlp, std::span<const float> cond);

}  // namespace cnnv3
