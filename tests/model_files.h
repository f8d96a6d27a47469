// Writes model directories for tests: deterministic pseudo-random weights of any shape, optionally
// with a model.json, so loader and reference tests need no checked-in binaries.
#pragma once

#include "half.h"
#include "model.h"
#include "network.h"
#include "temp_dir.h"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace cnnv3::testing {

struct ModelBytes {
    std::vector<std::uint8_t> weights;
    std::vector<std::uint8_t> film_mlp;
};

inline ModelBytes random_model_bytes(const NetworkShape& shape, unsigned seed)
{
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> uni(-0.4f, 0.4f);
    ModelBytes b;
    for (std::size_t i = 0; i < shape.conv_param_count(); ++i) {
        const std::uint16_t h = float_to_half(uni(rng));
        b.weights.push_back(static_cast<std::uint8_t>(h & 0xff));
        b.weights.push_back(static_cast<std::uint8_t>(h >> 8));
    }
    for (std::size_t i = 0; i < shape.mlp_float_count(); ++i) {
        const float v = uni(rng);
        std::uint32_t u;
        std::memcpy(&u, &v, 4);
        for (int k = 0; k < 4; ++k)
            b.film_mlp.push_back(static_cast<std::uint8_t>(u >> (8 * k)));
    }
    return b;
}

inline void write_bytes(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

inline std::string manifest_json(const NetworkShape& shape, const ModelBytes& b, int version = 1)
{
    return fmt::format(R"({{"format": "cnnv3-model", "version": {}, "name": "unit-test",
"enc_channels": [{}, {}], "film_cond_dim": {}, "film_hidden": 16,
"weights": {{"file": "cnn_v3_weights.bin", "sha256": "{}"}},
"film_mlp": {{"file": "cnn_v3_film_mlp.bin", "sha256": "{}"}},
"recipe": {{"name": "random-init", "version": 1}}, "default_cond": [0.25, 0.5, 0.75, 1.0, 0.0]}})",
                       version, shape.c0, shape.c1, shape.cond_dim, sha256_hex(b.weights), sha256_hex(b.film_mlp));
}

inline ModelBytes write_model_dir(const std::filesystem::path& dir, const NetworkShape& shape, unsigned seed,
                                  bool with_manifest)
{
    ModelBytes b = random_model_bytes(shape, seed);
    std::filesystem::create_directories(dir);
    write_bytes(dir / "cnn_v3_weights.bin", b.weights);
    write_bytes(dir / "cnn_v3_film_mlp.bin", b.film_mlp);
    if (with_manifest) {
        const std::string text = manifest_json(shape, b);
        write_bytes(dir / "model.json", std::vector<std::uint8_t>(text.begin(), text.end()));
    }
    return b;
}

}  // namespace cnnv3::testing
