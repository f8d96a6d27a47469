#include "model_files.h"
#include "reference.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>

using namespace cnnv3;
using namespace cnnv3::testing;

namespace {

// A model with every weight, bias and MLP value zero, for hand-built cases.
Model zero_model(const NetworkShape& shape)
{
    Model m;
    m.shape = shape;
    for (Layer l : all_layers) {
        ConvWeights& cw = m.convs[static_cast<std::size_t>(l)];
        cw.shape = shape.conv(l);
        cw.weights.assign(cw.shape.weight_count(), 0.0f);
        cw.bias.assign(static_cast<std::size_t>(cw.shape.out), 0.0f);
    }
    m.film_mlp.cond_dim = shape.cond_dim;
    m.film_mlp.out_dim = shape.film_size();
    m.film_mlp.w0.assign(static_cast<std::size_t>(film_hidden * shape.cond_dim), 0.0f);
    m.film_mlp.b0.assign(film_hidden, 0.0f);
    m.film_mlp.w1.assign(static_cast<std::size_t>(shape.film_size() * film_hidden), 0.0f);
    m.film_mlp.b1.assign(static_cast<std::size_t>(shape.film_size()), 0.0f);
    return m;
}

Planes ramp(int c, int h, int w)
{
    Planes p(c, h, w);
    for (std::size_t i = 0; i < p.data.size(); ++i)
        p.data[i] = static_cast<float>(i % 97) / 97.0f;
    return p;
}

float sigmoid(float v) { return 1.0f / (1.0f + std::exp(-v)); }

std::vector<float> read_f32(const std::filesystem::path& p, std::size_t count)
{
    std::ifstream in(p, std::ios::binary);
    std::vector<float> v(count);
    in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(count * 4));
    if (!in)
        throw std::runtime_error("short test-vector file " + p.string());
    return v;
}

}  // namespace

TEST(AvgPool, pooling_ceil_on_odd_width_averages_only_covered_pixels)
{
    Planes in(1, 3, 3);
    for (int y = 0; y < 3; ++y)
        for (int x = 0; x < 3; ++x)
            in.at(0, y, x) = static_cast<float>(y * 3 + x);  // 0..8
    const Planes out = avgpool2(in);
    ASSERT_EQ(out.height, 2);
    ASSERT_EQ(out.width, 2);
    EXPECT_FLOAT_EQ(out.at(0, 0, 0), (0 + 1 + 3 + 4) / 4.0f);
    EXPECT_FLOAT_EQ(out.at(0, 0, 1), (2 + 5) / 2.0f);  // right column hangs over: 2 pixels
    EXPECT_FLOAT_EQ(out.at(0, 1, 0), (6 + 7) / 2.0f);  // bottom row hangs over
    EXPECT_FLOAT_EQ(out.at(0, 1, 1), 8.0f);            // corner: 1 pixel
}

TEST(AvgPool, one_by_one_stays_one_by_one)
{
    Planes in(2, 1, 1);
    in.at(0, 0, 0) = 0.25f;
    in.at(1, 0, 0) = 0.75f;
    const Planes out = avgpool2(avgpool2(in));
    EXPECT_EQ(out.height, 1);
    EXPECT_EQ(out.width, 1);
    EXPECT_EQ(out.at(1, 0, 0), 0.75f);
}

TEST(AvgPool, sizes_follow_ceil_at_853x479)
{
    const Planes h1 = avgpool2(Planes(1, 479, 853));
    EXPECT_EQ(h1.height, 240);
    EXPECT_EQ(h1.width, 427);
    const Planes h2 = avgpool2(h1);
    EXPECT_EQ(h2.height, 120);
    EXPECT_EQ(h2.width, 214);
}

TEST(Upsample, nearest_then_crop_to_odd_size)
{
    Planes low(1, 2, 2);
    low.data = {1, 2, 3, 4};
    const Planes up = upsample2(low, 3, 3);
    ASSERT_EQ(up.width, 3);
    EXPECT_EQ(up.at(0, 0, 0), 1);
    EXPECT_EQ(up.at(0, 1, 1), 1);
    EXPECT_EQ(up.at(0, 0, 2), 2);
    EXPECT_EQ(up.at(0, 2, 0), 3);
    EXPECT_EQ(up.at(0, 2, 2), 4);
}

TEST(Conv, zero_padding_at_borders)
{
    ConvWeights cw;
    cw.shape = {1, 1, 1};
    cw.weights.assign(9, 1.0f);
    cw.bias = {0.5f};
    const Planes out = conv3x3(Planes(1, 4, 5, 1.0f), cw);
    EXPECT_EQ(out.at(0, 0, 0), 4.5f);  // corner sees 4 pixels, the rest is zero padding
    EXPECT_EQ(out.at(0, 0, 2), 6.5f);  // edge sees 6
    EXPECT_EQ(out.at(0, 2, 2), 9.5f);  // interior sees 9
    EXPECT_EQ(out.at(0, 3, 4), 4.5f);
}

TEST(Conv, dilated_padding_at_borders)
{
    ConvWeights cw;
    cw.shape = {1, 1, 2};
    cw.weights.assign(9, 1.0f);
    cw.bias = {0.0f};
    const Planes out = conv3x3(Planes(1, 5, 5, 1.0f), cw);
    EXPECT_EQ(out.at(0, 0, 0), 4.0f);  // taps at (0,0),(0,2),(2,0),(2,2)
    EXPECT_EQ(out.at(0, 2, 2), 9.0f);
    EXPECT_EQ(out.at(0, 1, 1), 4.0f);  // taps at -1 fall outside
    EXPECT_EQ(out.at(0, 0, 2), 6.0f);
}

TEST(Conv, weight_index_is_out_in_ky_kx)
{
    ConvWeights cw;
    cw.shape = {2, 1, 1};
    cw.weights.assign(18, 0.0f);
    cw.weights[9 + 0 * 3 + 2] = 1.0f;  // o=0, i=1, ky=0, kx=2: reads in(1, y-1, x+1)
    cw.bias = {0.0f};
    Planes in(2, 3, 3);
    in.at(1, 0, 2) = 7.0f;
    const Planes out = conv3x3(in, cw);
    EXPECT_EQ(out.at(0, 1, 1), 7.0f);
    EXPECT_EQ(out.at(0, 0, 0), 0.0f);
}

TEST(Features, photo_features_follow_spec_table)
{
    Planes rgb(3, 3, 5);
    for (std::size_t i = 0; i < rgb.data.size(); ++i)
        rgb.data[i] = static_cast<float>(i) / 45.0f;
    const Planes f = photo_features(rgb);
    ASSERT_EQ(f.channels, 20);
    const Planes mip1 = avgpool2(rgb), mip2 = avgpool2(mip1);
    for (int y = 0; y < 3; ++y) {
        for (int x = 0; x < 5; ++x) {
            for (int c = 0; c < 3; ++c) {
                EXPECT_EQ(f.at(c, y, x), rgb.at(c, y, x));
                EXPECT_EQ(f.at(12 + c, y, x), mip1.at(c, y >> 1, x >> 1));
                EXPECT_EQ(f.at(15 + c, y, x), mip2.at(c, y >> 2, x >> 2));
            }
            for (int c : {3, 4, 5, 6, 7, 8, 9, 10, 11, 19})
                EXPECT_EQ(f.at(c, y, x), 0.0f);
            EXPECT_EQ(f.at(18, y, x), 1.0f);
        }
    }
}

TEST(Features, prev_fills_channels_9_to_11_and_rgb_is_clamped)
{
    Planes rgb(3, 3, 5), prev(3, 3, 5);
    for (std::size_t i = 0; i < rgb.data.size(); ++i) {
        rgb.data[i] = static_cast<float>(i) / 20.0f - 0.5f;  // -0.5 .. 1.7: out of range at both ends
        prev.data[i] = 0.25f + static_cast<float>(i) / 90.0f;
    }
    const Planes f = photo_features(rgb, &prev);
    Planes clamped = rgb;
    for (float& v : clamped.data)
        v = std::clamp(v, 0.0f, 1.0f);
    const Planes mip1 = avgpool2(clamped);
    for (int y = 0; y < 3; ++y)
        for (int x = 0; x < 5; ++x)
            for (int c = 0; c < 3; ++c) {
                EXPECT_EQ(f.at(c, y, x), clamped.at(c, y, x));
                EXPECT_EQ(f.at(9 + c, y, x), prev.at(c, y, x));
                EXPECT_EQ(f.at(12 + c, y, x), mip1.at(c, y >> 1, x >> 1));
            }
    EXPECT_EQ(photo_features(rgb).at(9, 1, 1), 0.0f);  // no prev: zeros
    const Planes wrong(3, 3, 4);
    EXPECT_THROW(photo_features(rgb, &wrong), std::invalid_argument);
}

TEST(Film, dec0_gamma_and_beta_sit_at_the_end_of_the_vector)
{
    const NetworkShape s{4, 8, 5};
    Model m = zero_model(s);
    for (int k = 0; k < 4; ++k)
        m.convs[static_cast<std::size_t>(Layer::dec0)].bias[static_cast<std::size_t>(k)] = 1.0f;
    std::vector<float> film = FilmParams::identity(s).values();
    for (int k = 0; k < 4; ++k) {
        film[static_cast<std::size_t>(32 + k)] = 2.0f + static_cast<float>(k);  // gamma_dec0
        film[static_cast<std::size_t>(36 + k)] = -0.5f * static_cast<float>(k);  // beta_dec0
    }
    const Planes out = run_network(m, FilmParams(s, film), photo_features(ramp(3, 3, 2)));
    for (int k = 0; k < 4; ++k)  // FiLM after the bias, before the sigmoid
        EXPECT_FLOAT_EQ(out.at(k, 1, 1), sigmoid((2.0f + k) * 1.0f - 0.5f * k));
}

TEST(Film, enc0_beta_feeds_relu_then_skip_to_dec0)
{
    // enc0 outputs only its FiLM beta (weights zero); dec0 reads E0 through the skip concat.
    const NetworkShape s{4, 8, 5};
    Model m = zero_model(s);
    ConvWeights& dec0 = m.convs[static_cast<std::size_t>(Layer::dec0)];
    // dec0 input channels: [up2(D1) (c0), E0 (c0)]; take E0 channel 2 at the centre tap into out 0.
    dec0.weights[((0 * 8 + (4 + 2)) * 3 + 1) * 3 + 1] = 1.0f;
    std::vector<float> film = FilmParams::identity(s).values();
    film[4 + 2] = 0.75f;   // beta_enc0[2]: positive, survives ReLU
    film[4 + 1] = -3.0f;   // beta_enc0[1]: negative, ReLU makes it 0 (not read anyway)
    const Planes out = run_network(m, FilmParams(s, film), photo_features(ramp(3, 5, 3)));
    EXPECT_FLOAT_EQ(out.at(0, 2, 1), sigmoid(0.75f));
    EXPECT_FLOAT_EQ(out.at(1, 2, 1), 0.5f);
}

TEST(FilmMlp, relu_hidden_then_linear_output)
{
    FilmMlp mlp;
    mlp.cond_dim = 5;
    mlp.out_dim = 2;
    mlp.w0.assign(80, 0.0f);
    mlp.b0.assign(16, 0.0f);
    mlp.w1.assign(32, 0.0f);
    mlp.b1 = {0.5f, -0.5f};
    mlp.w0[0 * 5 + 2] = 1.0f;   // h0 = c2
    mlp.w0[1 * 5 + 2] = -1.0f;  // h1 = relu(-c2) = 0
    mlp.w1[0 * 16 + 0] = 2.0f;
    mlp.w1[1 * 16 + 1] = 5.0f;
    const std::vector<float> c = {0, 0, 0.25f, 0, 0};
    const auto out = evaluate_film_mlp(mlp, c);
    EXPECT_FLOAT_EQ(out[0], 0.5f + 2.0f * 0.25f);
    EXPECT_FLOAT_EQ(out[1], -0.5f);
}

TEST(Reference, runs_at_odd_sizes_with_outputs_in_unit_range)
{
    TempDir dir("odd");
    write_model_dir(dir.path(), {8, 16, 5}, 21, true);
    const Model m = load_model(dir.path());
    const std::vector<float> c = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f};
    for (auto [h, w] : {std::pair{1, 1}, {2, 3}, {3, 2}, {479, 853}}) {
        const Planes out = stylize_rgb(m, c, ramp(3, h, w));
        ASSERT_EQ(out.channels, 4);
        ASSERT_EQ(out.height, h);
        ASSERT_EQ(out.width, w);
        for (float v : out.data)
            ASSERT_TRUE(v >= 0.0f && v <= 1.0f) << v;
    }
}

// PyTorch's outputs for random models at odd sizes (tests/vectors, made by
// training/make_test_vectors.py): the CPU reference must agree within 1e-5 (SPEC §7).
TEST(Reference, matches_pytorch_test_vectors_within_1e5)
{
    const std::filesystem::path root = std::filesystem::path(CNNV3_SOURCE_DIR) / "tests" / "vectors";
    ASSERT_TRUE(std::filesystem::is_directory(root)) << root << " missing: run training/make_test_vectors.py";
    int cases = 0;
    std::set<std::pair<int, int>> shapes;
    for (const auto& entry : std::filesystem::directory_iterator(root)) {
        if (!std::filesystem::exists(entry.path() / "cases.json"))
            continue;
        const Model m = load_model(entry.path());
        shapes.insert({m.shape.c0, m.shape.c1});
        std::ifstream js(entry.path() / "cases.json");
        const auto doc = nlohmann::json::parse(js);
        for (const auto& tc : doc.at("cases")) {
            const int w = tc.at("width"), h = tc.at("height");
            const std::vector<float> cond = tc.at("cond").get<std::vector<float>>();
            const auto input = read_f32(entry.path() / tc.at("input").get<std::string>(), std::size_t(h) * w * 3);
            const auto expect = read_f32(entry.path() / tc.at("output").get<std::string>(), std::size_t(h) * w * 4);
            const auto film = read_f32(entry.path() / tc.at("film").get<std::string>(),
                                       static_cast<std::size_t>(m.shape.film_size()));
            const auto got_film = evaluate_film_mlp(m.film_mlp, cond);
            for (std::size_t i = 0; i < film.size(); ++i)
                ASSERT_NEAR(got_film[i], film[i], 1e-5) << entry.path() << " " << tc.at("name") << " film " << i;
            Planes rgb(3, h, w);
            for (int y = 0; y < h; ++y)
                for (int x = 0; x < w; ++x)
                    for (int c = 0; c < 3; ++c)
                        rgb.at(c, y, x) = input[(static_cast<std::size_t>(y) * w + x) * 3 + c];
            const Planes out = stylize_rgb(m, cond, rgb);
            double max_err = 0.0;
            for (int y = 0; y < h; ++y)
                for (int x = 0; x < w; ++x)
                    for (int c = 0; c < 4; ++c)
                        max_err = std::max(max_err, std::abs(double(out.at(c, y, x)) -
                                                             expect[(static_cast<std::size_t>(y) * w + x) * 4 + c]));
            EXPECT_LE(max_err, 1e-5) << entry.path().filename() << " " << tc.at("name");
            ++cases;
        }
    }
    EXPECT_GE(cases, 12);
    EXPECT_TRUE(shapes.count({4, 8}) && shapes.count({8, 16})) << "vectors must cover [4,8] and [8,16]";
}

#include "film_fold.h"

TEST(FilmFold, folded_network_with_identity_film_matches_unfolded)
{
    TempDir dir("fold");
    write_model_dir(dir.path(), {4, 8, 5}, 31, true);
    const Model m = load_model(dir.path());
    const std::vector<float> c = {0.9f, 0.1f, 0.6f, 0.3f, 0.8f};
    const Planes rgb = ramp(3, 7, 5);
    const Planes direct = stylize_rgb(m, c, rgb);
    Model folded = m;
    folded.convs = fold_film(m, c);
    const Planes via_fold = run_network(folded, FilmParams::identity(m.shape), photo_features(rgb));
    for (std::size_t i = 0; i < direct.data.size(); ++i)
        EXPECT_NEAR(direct.data[i], via_fold.data[i], 1e-6f);
    // The bottleneck has no FiLM: unchanged by folding.
    EXPECT_EQ(folded.conv(Layer::bottleneck).weights, m.conv(Layer::bottleneck).weights);
}
