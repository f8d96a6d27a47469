// Loading a CNN v3 model directory (SPEC §4, docs/formats.md): the two .bin files and model.json.
//
// Everything the loader refuses comes out as a ModelError whose what() is one line naming the file
// and what was expected, ready to print at the edge of a program.
#pragma once

#include "film.h"
#include "network.h"

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace cnnv3 {

inline constexpr std::string_view weights_file_name = "cnn_v3_weights.bin";
inline constexpr std::string_view film_mlp_file_name = "cnn_v3_film_mlp.bin";
inline constexpr std::string_view manifest_file_name = "model.json";
inline constexpr int manifest_version = 1;
// Limits on model.json (docs/formats.md): a real one is about 600 bytes, 2 levels deep.
inline constexpr std::size_t manifest_max_bytes = 1 << 20;
inline constexpr int manifest_max_depth = 64;

// A refused model file. what() reads "FILE: problem (expected ...)".
class ModelError : public std::runtime_error {
public:
    ModelError(const std::string& file, const std::string& problem)
        : std::runtime_error(file + ": " + problem), file_(file) {}
    const std::string& file() const { return file_; }

private:
    std::string file_;
};

// One conv layer's parameters, decoded exactly from their halves.
struct ConvWeights {
    ConvShape shape;
    std::vector<float> weights;  // [out][in][3][3]
    std::vector<float> bias;     // [out]
    float weight(int o, int i, int ky, int kx) const
    {
        return weights[((static_cast<std::size_t>(o) * shape.in + i) * 3 + ky) * 3 + kx];
    }
};

// What model.json declares (docs/formats.md).
struct Manifest {
    std::string name;
    NetworkShape shape;
    std::string weights_file;
    std::string weights_sha256;
    std::string film_mlp_file;
    std::string film_mlp_sha256;
    std::string recipe_name;
    int recipe_version = 0;
    std::vector<float> default_cond;
    // The optional "styles": the looks at style_p0 = 0 and 1 (shown by `cnnv3 models`); empty when
    // absent or not two strings.
    std::vector<std::string> styles;
};

// A loaded, validated model.
struct Model {
    NetworkShape shape;
    std::array<ConvWeights, 5> convs;  // indexed by Layer
    FilmMlp film_mlp;

    // Where it came from and what was declared or inferred about it.
    std::string name;
    bool shape_inferred = false;       // no model.json: enc_channels came from the file sizes
    std::string weights_sha256;        // as computed from the bytes
    std::string film_mlp_sha256;
    std::size_t weights_bytes = 0;
    std::size_t film_mlp_bytes = 0;
    std::string recipe;                // "name vN", empty without a manifest
    std::vector<float> default_cond;

    const ConvWeights& conv(Layer layer) const { return convs[static_cast<std::size_t>(layer)]; }
};

// The conditioning used when neither the user nor model.json gives one.
std::vector<float> fallback_default_cond();

// Reads DIR/model.json when present (else infers the shape and says so in Model::shape_inferred),
// then both .bin files. Each must be a regular file no larger than it can be (model.json at most
// manifest_max_bytes; the .bin files the sizes model.json declares, or those of the largest shape
// that can be inferred), checked before reading it. Throws ModelError.
Model load_model(const std::filesystem::path& dir);

// Refuses to write `output` onto a file of the model in `dir` (model.json, the two .bin files): a
// run reads them, and the output policy never writes onto a file the run reads, even with -y
// (atomic_file.h's refuse_same_file, role "a file of the model"). Throws OutputFileError.
void refuse_model_files(const std::filesystem::path& output, const std::filesystem::path& dir);

// The pure parts of load_model, for tests and the fuzzer. `label` is the file name used in errors.
// parse_manifest refuses NUL bytes and nesting deeper than manifest_max_depth.
Manifest parse_manifest(std::string_view json_text, const std::string& label);
Model assemble_model(const std::optional<Manifest>& manifest, std::span<const std::uint8_t> weights,
                     const std::string& weights_label, std::span<const std::uint8_t> film_mlp,
                     const std::string& film_mlp_label);

// Lowercase hex SHA-256 of a byte buffer.
std::string sha256_hex(std::span<const std::uint8_t> bytes);

}  // namespace cnnv3
