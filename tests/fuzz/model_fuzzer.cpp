// libFuzzer target for the model loader: the input is split into model.json text, the weights
// bytes and the MLP bytes. Any input must give a Model or a ModelError, never a crash.
#include "model.h"

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size < 5)
        return 0;
    // Header: 1 flag byte (manifest or not), two 16-bit lengths for the manifest and weights parts.
    const bool with_manifest = data[0] & 1;
    const std::size_t manifest_len = std::min<std::size_t>(data[1] | (data[2] << 8), size - 5);
    const std::size_t weights_len = std::min<std::size_t>((data[3] | (data[4] << 8)) * 2u, size - 5 - manifest_len);
    const std::uint8_t* p = data + 5;
    const std::string_view manifest_text(reinterpret_cast<const char*>(p), manifest_len);
    const std::span<const std::uint8_t> weights(p + manifest_len, weights_len);
    const std::span<const std::uint8_t> mlp(p + manifest_len + weights_len, size - 5 - manifest_len - weights_len);
    try {
        std::optional<cnnv3::Manifest> manifest;
        if (with_manifest)
            manifest = cnnv3::parse_manifest(manifest_text, "model.json");
        cnnv3::assemble_model(manifest, weights, "cnn_v3_weights.bin", mlp, "cnn_v3_film_mlp.bin");
    } catch (const cnnv3::ModelError&) {
    }
    return 0;
}
