#include "model.h"
#include "model_files.h"

#include <gtest/gtest.h>

#include <fstream>

#include <sys/stat.h>

using namespace cnnv3;
using namespace cnnv3::testing;

namespace {

// Runs `fn`, expecting a ModelError whose message names `file_part` and contains `what`.
template <typename Fn>
void expect_refused(Fn fn, const std::string& file_part, const std::string& what)
{
    try {
        fn();
        ADD_FAILURE() << "expected a ModelError mentioning " << file_part;
    } catch (const ModelError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find(file_part), std::string::npos) << msg;
        EXPECT_NE(msg.find(what), std::string::npos) << msg;
        EXPECT_EQ(msg.find('\n'), std::string::npos) << "one line: " << msg;
    }
}

void truncate_file(const std::filesystem::path& p, std::size_t drop)
{
    std::filesystem::resize_file(p, std::filesystem::file_size(p) - drop);
}

void overwrite_u16(const std::filesystem::path& p, std::size_t offset, std::uint16_t v)
{
    std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(offset));
    const char bytes[2] = {static_cast<char>(v & 0xff), static_cast<char>(v >> 8)};
    f.write(bytes, 2);
}

}  // namespace

TEST(ModelLoad, reads_manifest_model_and_decodes_halves_exactly)
{
    TempDir dir("load");
    const NetworkShape shape{4, 8, 5};
    const ModelBytes b = write_model_dir(dir.path(), shape, 1, true);
    const Model m = load_model(dir.path());
    EXPECT_EQ(m.shape, shape);
    EXPECT_FALSE(m.shape_inferred);
    EXPECT_EQ(m.name, "unit-test");
    EXPECT_EQ(m.recipe, "random-init v1");
    EXPECT_EQ(m.default_cond, (std::vector<float>{0.25f, 0.5f, 0.75f, 1.0f, 0.0f}));
    // Layer order enc0, enc1, ...; inside a layer weights then bias; little-endian halves.
    const auto half_at = [&](std::size_t i) {
        return half_to_float(static_cast<std::uint16_t>(b.weights[2 * i] | (b.weights[2 * i + 1] << 8)));
    };
    EXPECT_EQ(m.conv(Layer::enc0).weight(0, 0, 0, 0), half_at(0));
    EXPECT_EQ(m.conv(Layer::enc0).weight(1, 2, 0, 1), half_at(1 * 180 + 2 * 9 + 1));
    EXPECT_EQ(m.conv(Layer::enc0).bias[3], half_at(720 + 3));
    EXPECT_EQ(m.conv(Layer::enc1).weight(0, 0, 0, 0), half_at(724));
    EXPECT_EQ(m.conv(Layer::dec0).bias[3], half_at(2475));
}

TEST(ModelLoad, f16_packing_puts_even_index_in_low_half_of_u32)
{
    TempDir dir("packing");
    const NetworkShape shape{4, 8, 5};
    write_model_dir(dir.path(), shape, 2, false);
    // u32 word 0 = 0x4000'3c00: low half (index 0) = 1.0, high half (index 1) = 2.0.
    overwrite_u16(dir.path() / "cnn_v3_weights.bin", 0, 0x3c00);
    overwrite_u16(dir.path() / "cnn_v3_weights.bin", 2, 0x4000);
    const Model m = load_model(dir.path());
    EXPECT_EQ(m.conv(Layer::enc0).weight(0, 0, 0, 0), 1.0f);
    EXPECT_EQ(m.conv(Layer::enc0).weight(0, 0, 0, 1), 2.0f);
}

TEST(ModelLoad, without_manifest_infers_shape_from_both_sizes_and_says_so)
{
    for (const NetworkShape shape : {NetworkShape{4, 8, 5}, NetworkShape{8, 16, 5}, NetworkShape{18, 6, 5}}) {
        TempDir dir("infer");
        write_model_dir(dir.path(), shape, 3, false);
        const Model m = load_model(dir.path());
        EXPECT_EQ(m.shape, shape);
        EXPECT_TRUE(m.shape_inferred);
        EXPECT_EQ(m.default_cond, fallback_default_cond());
    }
}

TEST(ModelLoad, truncated_weights_file_is_refused_naming_the_file)
{
    TempDir dir("trunc");
    write_model_dir(dir.path(), {4, 8, 5}, 4, true);
    truncate_file(dir.path() / "cnn_v3_weights.bin", 2);
    expect_refused([&] { load_model(dir.path()); }, "cnn_v3_weights.bin", "expected 4952 bytes");
}

TEST(ModelLoad, truncated_weights_without_manifest_is_refused_naming_the_file)
{
    TempDir dir("trunc2");
    write_model_dir(dir.path(), {4, 8, 5}, 4, false);
    truncate_file(dir.path() / "cnn_v3_weights.bin", 4);
    expect_refused([&] { load_model(dir.path()); }, "cnn_v3_weights.bin", "fit no enc_channels");
}

TEST(ModelLoad, wrong_mlp_size_is_refused_naming_the_file)
{
    TempDir dir("mlp");
    write_model_dir(dir.path(), {8, 16, 5}, 5, true);
    truncate_file(dir.path() / "cnn_v3_film_mlp.bin", 4);
    expect_refused([&] { load_model(dir.path()); }, "cnn_v3_film_mlp.bin", "expected 5280 bytes");
}

TEST(ModelLoad, checksum_mismatch_is_refused)
{
    TempDir dir("sha");
    write_model_dir(dir.path(), {4, 8, 5}, 6, true);
    overwrite_u16(dir.path() / "cnn_v3_weights.bin", 10, 0x3c00);
    expect_refused([&] { load_model(dir.path()); }, "cnn_v3_weights.bin", "SHA-256");
}

TEST(ModelLoad, nan_and_inf_weights_are_refused)
{
    for (const std::uint16_t bad : {std::uint16_t{0x7c00}, std::uint16_t{0xfe00}}) {
        TempDir dir("nan");
        write_model_dir(dir.path(), {4, 8, 5}, 7, false);
        overwrite_u16(dir.path() / "cnn_v3_weights.bin", 2 * 730, bad);
        expect_refused([&] { load_model(dir.path()); }, "cnn_v3_weights.bin", "NaN or Inf");
    }
}

TEST(ModelLoad, nan_in_film_mlp_is_refused)
{
    TempDir dir("mlpnan");
    write_model_dir(dir.path(), {4, 8, 5}, 8, false);
    overwrite_u16(dir.path() / "cnn_v3_film_mlp.bin", 4 * 100 + 2, 0x7fc0);  // high half of an f32: NaN
    expect_refused([&] { load_model(dir.path()); }, "cnn_v3_film_mlp.bin", "NaN or Inf");
}

TEST(ModelManifest, unknown_version_is_refused)
{
    const ModelBytes b = random_model_bytes({4, 8, 5}, 9);
    expect_refused([&] { parse_manifest(manifest_json({4, 8, 5}, b, 2), "model.json"); }, "model.json",
                   "unknown version 2");
}

TEST(ModelManifest, missing_and_malformed_fields_are_named)
{
    expect_refused([] { parse_manifest("{", "m.json"); }, "m.json", "not valid JSON");
    expect_refused([] { parse_manifest("[]", "m.json"); }, "m.json", "not a JSON object");
    // Found by the fuzzer: a number too large for a double is a JSON error, not a crash.
    expect_refused([] { parse_manifest(R"({"version": 440e5055})", "m.json"); }, "m.json", "not valid JSON");
    expect_refused([] { parse_manifest(R"({"format":"x","version":1})", "m.json"); }, "m.json", "cnnv3-model");
    expect_refused([] { parse_manifest(R"({"format":"cnnv3-model","version":1})", "m.json"); }, "m.json",
                   "enc_channels");
    const ModelBytes b = random_model_bytes({4, 8, 5}, 10);
    std::string text = manifest_json({4, 8, 5}, b);
    text.replace(text.find("\"default_cond\": ["), 17, "\"default_cond\": [2.0, ");
    expect_refused([&] { parse_manifest(text, "m.json"); }, "m.json", "default_cond");
}

TEST(ModelManifest, styles_are_read_when_two_strings)
{
    const ModelBytes b = random_model_bytes({4, 8, 5}, 11);
    const std::string text = manifest_json({4, 8, 5}, b);
    EXPECT_TRUE(parse_manifest(text, "m.json").styles.empty());
    const auto with = [&](const std::string& styles) {
        std::string t = text;
        return parse_manifest(t.insert(1, "\"styles\": " + styles + ", "), "m.json").styles;
    };
    EXPECT_EQ(with(R"(["ink", "paint"])"), (std::vector<std::string>{"ink", "paint"}));
    // Optional and descriptive only: anything else is ignored, not refused.
    EXPECT_TRUE(with(R"(["ink"])").empty());
    EXPECT_TRUE(with(R"(["ink", 2])").empty());
    EXPECT_TRUE(with(R"("ink")").empty());
}

TEST(ModelManifest, manifest_size_disagreeing_with_file_is_refused)
{
    TempDir dir("disagree");
    const ModelBytes b = write_model_dir(dir.path(), {4, 8, 5}, 11, false);
    const std::string text = manifest_json({8, 16, 5}, b);  // declares [8,16] over [4,8] files
    write_bytes(dir.path() / "model.json", std::vector<std::uint8_t>(text.begin(), text.end()));
    expect_refused([&] { load_model(dir.path()); }, "cnn_v3_weights.bin", "expected 15656 bytes");
}

TEST(ModelLoad, missing_directory_and_file_are_named)
{
    expect_refused([] { load_model("/nonexistent/cnnv3-model"); }, "/nonexistent/cnnv3-model", "not a directory");
    TempDir dir("missing");
    write_model_dir(dir.path(), {4, 8, 5}, 12, false);
    std::filesystem::remove(dir.path() / "cnn_v3_film_mlp.bin");
    expect_refused([&] { load_model(dir.path()); }, "cnn_v3_film_mlp.bin", "cannot open");
}

TEST(Sha256, matches_known_digest)
{
    const std::string abc = "abc";
    EXPECT_EQ(sha256_hex(std::span(reinterpret_cast<const std::uint8_t*>(abc.data()), abc.size())),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

namespace {

std::string nested(const std::string& before, std::size_t depth, const std::string& after)
{
    return before + std::string(depth, '[') + std::string(depth, ']') + after;
}

void write_text(const std::filesystem::path& path, const std::string& text)
{
    write_bytes(path, std::vector<std::uint8_t>(text.begin(), text.end()));
}

}  // namespace

// Issue 16: a model.json nested a few hundred thousand levels deep overflowed the stack (SIGSEGV).
TEST(ModelManifest, deep_nesting_is_refused_before_building_a_tree)
{
    expect_refused([] { parse_manifest(nested(R"({"format":"cnnv3-model","version":)", 300000, "}"), "deep.json"); },
                   "deep.json", "nested deeper than 64 levels");
    expect_refused([] { parse_manifest(std::string(500000, '['), "open.json"); }, "open.json", "nested deeper");
    const ModelBytes b = random_model_bytes({4, 8, 5}, 13);
    std::string text = manifest_json({4, 8, 5}, b);
    text.replace(text.find("[4, 8]"), 6, nested("", 200000, ""));
    expect_refused([&] { parse_manifest(text, "enc.json"); }, "enc.json", "nested deeper");
    // At the limit the structure is parsed and refused for what it is, not for its depth.
    expect_refused([] { parse_manifest(nested(R"({"version":)", manifest_max_depth - 1, "}"), "ok.json"); },
                   "ok.json", "missing \"format\"");
}

TEST(ModelManifest, long_values_are_cut_short_in_messages)
{
    const ModelBytes b = random_model_bytes({4, 8, 5}, 14);
    std::string many = "[1";
    for (int i = 0; i < 50000; ++i)
        many += ", 1";
    // The cut falls inside a multi-byte character: the message must stay valid UTF-8.
    std::string accents = "[\"";
    for (int i = 0; i < 100; ++i)
        accents += "\u00e9";
    for (const std::string& long_value : {"[" + std::string(100000, '1') + "]", many + "]", accents + "\"]"}) {
        std::string text = manifest_json({4, 8, 5}, b);
        text.replace(text.find("[4, 8]"), 6, long_value);
        try {
            parse_manifest(text, "m.json");
            ADD_FAILURE() << "accepted";
        } catch (const ModelError& e) {
            const std::string msg = e.what();
            EXPECT_LT(msg.size(), 200u) << msg;
            EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
            EXPECT_NE(msg.find("..."), std::string::npos) << msg;
            EXPECT_EQ(msg.find("\xc3."), std::string::npos) << "a cut UTF-8 sequence: " << msg;
        }
    }
}

TEST(ModelManifest, text_after_the_json_value_is_refused)
{
    const ModelBytes b = random_model_bytes({4, 8, 5}, 15);
    const std::string text = manifest_json({4, 8, 5}, b);
    EXPECT_NO_THROW(parse_manifest(text + "\n", "m.json"));
    expect_refused([&] { parse_manifest(text + std::string(4096, '\0'), "m.json"); }, "m.json", "NUL byte at byte");
    expect_refused([&] { parse_manifest(text + "garbage", "m.json"); }, "m.json", "not valid JSON");
}

// Issue 16: model files are checked with stat before reading; only regular files are read.
TEST(ModelLoad, non_regular_and_oversized_files_are_refused_before_reading)
{
    const std::filesystem::path files[] = {"model.json", "cnn_v3_weights.bin", "cnn_v3_film_mlp.bin"};
    for (const auto& name : files) {
        TempDir dir("dir");
        write_model_dir(dir.path(), {4, 8, 5}, 16, true);
        std::filesystem::remove(dir.path() / name);
        std::filesystem::create_directory(dir.path() / name);
        expect_refused([&] { load_model(dir.path()); }, (dir.path() / name).string(),
                       "is a directory (expected a regular file");
    }
    for (const auto& name : files) {
        TempDir dir("fifo");
        write_model_dir(dir.path(), {4, 8, 5}, 17, true);
        std::filesystem::remove(dir.path() / name);
        ASSERT_EQ(mkfifo((dir.path() / name).c_str(), 0600), 0);
        expect_refused([&] { load_model(dir.path()); }, (dir.path() / name).string(), "is a named pipe");
    }
    {
        TempDir dir("devzero");
        write_model_dir(dir.path(), {4, 8, 5}, 18, false);
        std::filesystem::remove(dir.path() / "cnn_v3_weights.bin");
        std::filesystem::create_symlink("/dev/zero", dir.path() / "cnn_v3_weights.bin");
        expect_refused([&] { load_model(dir.path()); }, "cnn_v3_weights.bin", "is a device");
    }
    {
        TempDir dir("huge");
        write_model_dir(dir.path(), {4, 8, 5}, 19, true);
        std::filesystem::resize_file(dir.path() / "cnn_v3_weights.bin", std::uintmax_t{2} << 30);  // sparse
        expect_refused([&] { load_model(dir.path()); }, "cnn_v3_weights.bin",
                       "2147483648 bytes is too large (expected at most 4952 bytes");
    }
    {
        TempDir dir("hugejson");
        const ModelBytes b = write_model_dir(dir.path(), {4, 8, 5}, 20, false);
        write_text(dir.path() / "model.json", manifest_json({4, 8, 5}, b) + std::string(manifest_max_bytes, ' '));
        expect_refused([&] { load_model(dir.path()); }, "model.json", "too large (expected at most 1048576 bytes");
    }
    {
        TempDir dir("nuls");
        const ModelBytes b = write_model_dir(dir.path(), {4, 8, 5}, 21, false);
        write_text(dir.path() / "model.json", manifest_json({4, 8, 5}, b) + std::string(1000, '\0'));
        expect_refused([&] { load_model(dir.path()); }, "model.json", "NUL byte");
    }
    {
        TempDir dir("dangling");
        write_model_dir(dir.path(), {4, 8, 5}, 22, false);
        std::filesystem::create_symlink("nowhere.json", dir.path() / "model.json");
        expect_refused([&] { load_model(dir.path()); }, "model.json", "cannot open");
    }
}
