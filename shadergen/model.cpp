#include "model.h"

#include "atomic_file.h"
#include "half.h"
#include "small_file.h"

#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include <cmath>
#include <cstring>
#include <fmt/format.h>
#include <fmt/ranges.h>

namespace cnnv3 {
namespace {

using json = nlohmann::json;

// Reads a model file whole, refusing non-regular files and anything over `max_bytes` before
// reading (read_small_file); errors come out as ModelError.
std::string read_model_file(const std::filesystem::path& path, std::uintmax_t max_bytes, std::string_view expected)
{
    try {
        return read_small_file(path, max_bytes, expected);
    } catch (const SmallFileError& e) {
        throw ModelError(e.file(), e.problem());
    }
}

std::span<const std::uint8_t> as_bytes(const std::string& s)
{
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Text quoted in an error message, cut short (at a UTF-8 character boundary) so the message stays
// one short line.
std::string cut_short(std::string text, std::size_t max = 60)
{
    if (text.size() <= max)
        return text;
    std::size_t end = max - 3;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xc0) == 0x80)
        --end;
    return text.substr(0, end) + "...";
}

// A JSON value for an error message.
std::string brief(const json& v) { return cut_short(v.dump()); }

const json& require(const json& obj, const char* key, const std::string& label, const char* expected)
{
    auto it = obj.find(key);
    if (it == obj.end())
        throw ModelError(label, fmt::format("missing \"{}\" (expected {})", key, expected));
    return *it;
}

int require_positive_int(const json& obj, const char* key, const std::string& label, int max)
{
    const json& v = require(obj, key, label, "a positive integer");
    if (!v.is_number_integer() || v.get<long long>() < 1 || v.get<long long>() > max)
        throw ModelError(label, fmt::format("\"{}\" is {} (expected an integer in 1..{})", key, brief(v), max));
    return v.get<int>();
}

std::string require_string(const json& obj, const char* key, const std::string& label, const char* expected)
{
    const json& v = require(obj, key, label, expected);
    if (!v.is_string())
        throw ModelError(label, fmt::format("\"{}\" is {} (expected {})", key, brief(v), expected));
    return v.get<std::string>();
}

void parse_file_entry(const json& root, const char* key, const std::string& label, std::string_view default_name,
                      std::string& file, std::string& sha)
{
    const json& entry = require(root, key, label, "an object with \"file\" and \"sha256\"");
    if (!entry.is_object())
        throw ModelError(label, fmt::format("\"{}\" is not an object (expected \"file\" and \"sha256\")", key));
    file = require_string(entry, "file", label, "a file name");
    if (file.empty() || file.find('/') != std::string::npos || file.find('\\') != std::string::npos || file == "..")
        throw ModelError(label, fmt::format("\"{}.file\" is \"{}\" (expected a plain file name such as {})", key,
                                            file, default_name));
    sha = require_string(entry, "sha256", label, "64 hex digits");
    bool hex = sha.size() == 64;
    for (char& ch : sha) {
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        hex = hex && std::isxdigit(static_cast<unsigned char>(ch));
    }
    if (!hex)
        throw ModelError(label, fmt::format("\"{}.sha256\" is not 64 hex digits", key));
}

template <typename T>
T read_le(std::span<const std::uint8_t> bytes, std::size_t index)
{
    // Assemble from bytes so the result is little-endian on any host.
    const std::uint8_t* p = bytes.data() + index * sizeof(T);
    T value = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i)
        value = static_cast<T>(value | (static_cast<T>(p[i]) << (8 * i)));
    return value;
}

}  // namespace

std::vector<float> fallback_default_cond() { return {0.0f, 0.0f, 0.5f, 0.5f, 0.5f}; }

std::string sha256_hex(std::span<const std::uint8_t> bytes)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("SHA-256 failed (OpenSSL)");
    std::string hex;
    for (unsigned int i = 0; i < len; ++i)
        hex += fmt::format("{:02x}", digest[i]);
    return hex;
}

Manifest parse_manifest(std::string_view json_text, const std::string& label)
{
    // nlohmann's lexer takes a NUL byte for the end of input, so text after one would be ignored.
    if (const auto nul = json_text.find('\0'); nul != std::string_view::npos)
        throw ModelError(label, fmt::format("NUL byte at byte {} (expected a cnnv3 model.json: JSON text)", nul));
    // Refuse deep nesting while parsing, before a tree is built: dump() and other recursive walks
    // of a value nested hundreds of thousands deep overflow the stack.
    const json::parser_callback_t limit_depth = [&](int depth, json::parse_event_t event, json&) {
        if ((event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) &&
            depth >= manifest_max_depth)
            throw ModelError(label, fmt::format("nested deeper than {} levels (expected a cnnv3 model.json)",
                                                manifest_max_depth));
        return true;
    };
    json root;
    try {
        root = json::parse(json_text.begin(), json_text.end(), limit_depth);
    } catch (const json::parse_error& e) {
        throw ModelError(label, fmt::format("not valid JSON at byte {} (expected a cnnv3 model.json)", e.byte));
    } catch (const json::exception& e) {
        // e.g. a number literal too large for a double
        throw ModelError(label, fmt::format("not valid JSON: {} (expected a cnnv3 model.json)", cut_short(e.what(), 120)));
    }
    if (!root.is_object())
        throw ModelError(label, "not a JSON object (expected a cnnv3 model.json)");
    Manifest m;
    if (require_string(root, "format", label, "\"cnnv3-model\"") != "cnnv3-model")
        throw ModelError(label, "\"format\" is not \"cnnv3-model\"");
    const json& version = require(root, "version", label, "1");
    if (!version.is_number_integer() || version.get<long long>() != manifest_version)
        throw ModelError(label, fmt::format("unknown version {} (expected version {})", brief(version), manifest_version));
    if (auto it = root.find("name"); it != root.end() && it->is_string())
        m.name = it->get<std::string>();
    if (auto it = root.find("styles");
        it != root.end() && it->is_array() && it->size() == 2 && (*it)[0].is_string() && (*it)[1].is_string())
        m.styles = {(*it)[0].get<std::string>(), (*it)[1].get<std::string>()};

    const json& enc = require(root, "enc_channels", label, "[c0, c1]");
    if (!enc.is_array() || enc.size() != 2 || !enc[0].is_number_integer() || !enc[1].is_number_integer() ||
        enc[0].get<long long>() < 1 || enc[1].get<long long>() < 1 || enc[0].get<long long>() > 256 ||
        enc[1].get<long long>() > 256)
        throw ModelError(label, fmt::format("\"enc_channels\" is {} (expected two integers in 1..256)", brief(enc)));
    m.shape.c0 = enc[0].get<int>();
    m.shape.c1 = enc[1].get<int>();
    m.shape.cond_dim = require_positive_int(root, "film_cond_dim", label, 64);
    if (auto it = root.find("film_hidden"); it != root.end() && (!it->is_number_integer() || it->get<long long>() != film_hidden))
        throw ModelError(label, fmt::format("\"film_hidden\" is {} (expected {})", brief(*it), film_hidden));

    parse_file_entry(root, "weights", label, weights_file_name, m.weights_file, m.weights_sha256);
    parse_file_entry(root, "film_mlp", label, film_mlp_file_name, m.film_mlp_file, m.film_mlp_sha256);

    const json& recipe = require(root, "recipe", label, "an object with \"name\" and \"version\"");
    if (!recipe.is_object())
        throw ModelError(label, "\"recipe\" is not an object (expected \"name\" and \"version\")");
    m.recipe_name = require_string(recipe, "name", label, "the recipe name");
    const json& rv = require(recipe, "version", label, "the recipe version");
    if (!rv.is_number_integer())
        throw ModelError(label, "\"recipe.version\" is not an integer");
    m.recipe_version = rv.get<int>();

    const json& cond = require(root, "default_cond", label, "film_cond_dim numbers in [0, 1]");
    if (!cond.is_array() || static_cast<int>(cond.size()) != m.shape.cond_dim)
        throw ModelError(label, fmt::format("\"default_cond\" is {} (expected {} numbers in [0, 1])", brief(cond),
                                            m.shape.cond_dim));
    for (const json& v : cond) {
        if (!v.is_number() || !(v.get<double>() >= 0.0 && v.get<double>() <= 1.0))
            throw ModelError(label, fmt::format("\"default_cond\" has {} (expected numbers in [0, 1])", brief(v)));
        m.default_cond.push_back(v.get<float>());
    }
    return m;
}

Model assemble_model(const std::optional<Manifest>& manifest, std::span<const std::uint8_t> weights,
                     const std::string& weights_label, std::span<const std::uint8_t> film_mlp,
                     const std::string& film_mlp_label)
{
    Model model;
    if (manifest) {
        model.shape = manifest->shape;
        model.name = manifest->name;
        model.recipe = fmt::format("{} v{}", manifest->recipe_name, manifest->recipe_version);
        model.default_cond = manifest->default_cond;
    } else {
        if (weights.size() % 2 != 0)
            throw ModelError(weights_label, fmt::format("{} bytes is not a whole number of halves (expected 2 bytes per "
                                                        "f16 weight)", weights.size()));
        if (film_mlp.size() % 4 != 0)
            throw ModelError(film_mlp_label, fmt::format("{} bytes is not a whole number of f32 values", film_mlp.size()));
        auto shape = infer_shape(weights.size() / 2, film_mlp.size() / 4);
        if (!shape)
            throw ModelError(weights_label,
                             fmt::format("{} bytes together with {} bytes of {} fit no enc_channels [c0<=64, c1<=128] "
                                         "(expected e.g. 4952 + 3104 bytes for [4,8], 15656 + 5280 for [8,16])",
                                         weights.size(), film_mlp.size(), film_mlp_label));
        model.shape = *shape;
        model.shape_inferred = true;
        model.default_cond = fallback_default_cond();
    }

    const NetworkShape& s = model.shape;
    const std::size_t want_weights = s.conv_param_count() * 2;
    if (weights.size() != want_weights)
        throw ModelError(weights_label, fmt::format("{} bytes (expected {} bytes: {} f16 values for enc_channels [{},{}])",
                                                    weights.size(), want_weights, s.conv_param_count(), s.c0, s.c1));
    const std::size_t want_mlp = s.mlp_float_count() * 4;
    if (film_mlp.size() != want_mlp)
        throw ModelError(film_mlp_label,
                         fmt::format("{} bytes (expected {} bytes: {} f32 values for enc_channels [{},{}], film_cond_dim {})",
                                     film_mlp.size(), want_mlp, s.mlp_float_count(), s.c0, s.c1, s.cond_dim));

    model.weights_sha256 = sha256_hex(weights);
    model.film_mlp_sha256 = sha256_hex(film_mlp);
    model.weights_bytes = weights.size();
    model.film_mlp_bytes = film_mlp.size();
    if (manifest) {
        if (model.weights_sha256 != manifest->weights_sha256)
            throw ModelError(weights_label, fmt::format("SHA-256 is {} (expected {} from model.json)",
                                                        model.weights_sha256, manifest->weights_sha256));
        if (model.film_mlp_sha256 != manifest->film_mlp_sha256)
            throw ModelError(film_mlp_label, fmt::format("SHA-256 is {} (expected {} from model.json)",
                                                         model.film_mlp_sha256, manifest->film_mlp_sha256));
    }

    std::size_t index = 0;
    for (Layer layer : all_layers) {
        ConvWeights& cw = model.convs[static_cast<std::size_t>(layer)];
        cw.shape = s.conv(layer);
        auto take = [&](std::vector<float>& dst, std::size_t count, const char* part) {
            dst.resize(count);
            for (std::size_t i = 0; i < count; ++i, ++index) {
                const std::uint16_t h = read_le<std::uint16_t>(weights, index);
                if (!half_is_finite(h))
                    throw ModelError(weights_label, fmt::format("{} {} value {} is NaN or Inf (expected finite weights)",
                                                                layer_name(layer), part, i));
                dst[i] = half_to_float(h);
            }
        };
        take(cw.weights, cw.shape.weight_count(), "weight");
        take(cw.bias, static_cast<std::size_t>(cw.shape.out), "bias");
    }

    FilmMlp& mlp = model.film_mlp;
    mlp.cond_dim = s.cond_dim;
    mlp.out_dim = s.film_size();
    std::size_t fi = 0;
    auto take_f32 = [&](std::vector<float>& dst, std::size_t count, const char* part) {
        dst.resize(count);
        for (std::size_t i = 0; i < count; ++i, ++fi) {
            const float v = std::bit_cast<float>(read_le<std::uint32_t>(film_mlp, fi));
            if (!std::isfinite(v))
                throw ModelError(film_mlp_label, fmt::format("{} value {} is NaN or Inf (expected finite f32)", part, i));
            dst[i] = v;
        }
    };
    take_f32(mlp.w0, static_cast<std::size_t>(film_hidden * s.cond_dim), "W0");
    take_f32(mlp.b0, film_hidden, "b0");
    take_f32(mlp.w1, static_cast<std::size_t>(mlp.out_dim * film_hidden), "W1");
    take_f32(mlp.b1, static_cast<std::size_t>(mlp.out_dim), "b1");
    return model;
}

void refuse_model_files(const std::filesystem::path& output, const std::filesystem::path& dir)
{
    for (std::string_view name : {manifest_file_name, weights_file_name, film_mlp_file_name})
        refuse_same_file(output, dir / name, "a file of the model");
}

Model load_model(const std::filesystem::path& dir)
{
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec))
        throw ModelError(dir.string(), "not a directory (expected a model directory with cnn_v3_weights.bin and "
                                       "cnn_v3_film_mlp.bin)");
    const std::filesystem::path manifest_path = dir / manifest_file_name;
    std::optional<Manifest> manifest;
    std::string weights_name(weights_file_name);
    std::string mlp_name(film_mlp_file_name);
    // Caps checked before reading: the sizes model.json declares, else the largest shape that
    // infer_shape() accepts.
    NetworkShape largest{64, 128, default_cond_dim};
    if (std::filesystem::symlink_status(manifest_path, ec).type() != std::filesystem::file_type::not_found) {
        const std::string text = read_model_file(manifest_path, manifest_max_bytes, "a cnnv3 model.json");
        manifest = parse_manifest(text, manifest_path.string());
        weights_name = manifest->weights_file;
        mlp_name = manifest->film_mlp_file;
        largest = manifest->shape;
    }
    const auto weights_path = dir / weights_name;
    const auto mlp_path = dir / mlp_name;
    const std::string weights =
        read_model_file(weights_path, largest.conv_param_count() * 2, "a CNN v3 weights file of f16 values");
    const std::string mlp =
        read_model_file(mlp_path, largest.mlp_float_count() * 4, "a CNN v3 FiLM MLP file of f32 values");
    Model model = assemble_model(manifest, as_bytes(weights), weights_path.string(), as_bytes(mlp), mlp_path.string());
    if (model.name.empty())
        model.name = std::filesystem::absolute(dir).lexically_normal().filename().string();
    return model;
}

}  // namespace cnnv3
