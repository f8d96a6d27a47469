// The tensor-core passes' index arithmetic (shadergen/coop_gemm.h), replayed on the CPU: stage a tile
// pixel-major as the GLSL does, run the GEMM block by block through a_offset / b_offset / c_offset
// and the packed weights, two output rows per subgroup with each distinct A block loaded once (as
// pass_plan.cpp's coop_gemm emits it), and compare every output pixel of the tile with conv3x3
// (reference.h).
// CI has no tensor cores; this is what checks the layout there.
#include "coop_gemm.h"
#include "half.h"
#include "model_files.h"
#include "pass_plan.h"
#include "reference.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <random>

using namespace cnnv3;

namespace {

ConvWeights random_conv(int in, int out, int dilation, unsigned seed)
{
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> uni(-0.5f, 0.5f);
    ConvWeights cw;
    cw.shape = {in, out, dilation};
    for (std::size_t i = 0; i < cw.shape.weight_count(); ++i)
        cw.weights.push_back(half_to_float(float_to_half(uni(rng))));
    for (int o = 0; o < out; ++o)
        cw.bias.push_back(0.0f);
    return cw;
}

float f16(float v) { return half_to_float(float_to_half(v)); }

// One workgroup's tile at (wx, wy) of an h x w image, computed as the GLSL computes it. The staged
// pixel i holds channel_map[c] of the input at origin + (i % sw, i / sw), 0 outside the image.
// With f16_c the C blocks go through the f16 layout (hc_offset, row-major; read back at hc_index),
// each sum rounded to a half as fcoopmatNV<16, ...>(c) rounds it.
void check_tile(const ConvWeights& cw, const std::vector<int>& channel_map, int h, int w, int wx, int wy, bool f16_c = false)
{
    const CoopGeometry g =
        coop_geometry(cw.shape, static_cast<int>(channel_map.size()), f16_c ? CoopSums::f32_stored_f16 : CoopSums::f32);
    std::vector<int> map = channel_map;
    map.resize(static_cast<std::size_t>(g.kp), -1);
    Planes in(cw.shape.in, h, w);
    std::mt19937 rng(11);
    std::uniform_real_distribution<float> uni(0.0f, 1.0f);
    for (int c = 0; c < in.channels; ++c) {  // channels the map leaves out are zero (enc0: SPEC §2)
        const bool mapped = std::find(map.begin(), map.end(), c) != map.end();
        for (std::size_t i = 0; i < in.plane_size(); ++i)
            in.plane(c)[i] = mapped ? f16(uni(rng)) : 0.0f;  // the staged tile holds halves
    }
    const Planes want = conv3x3(in, cw);

    const int sw = g.sw(), d = g.dilation, t = CoopGeometry::tile;
    std::vector<float> S(static_cast<std::size_t>(g.staged_halves()), 0.0f);
    for (int i = 0; i < sw * sw; ++i) {
        const int qx = wx * t - d + i % sw, qy = wy * t - d + i / sw;
        for (int c = 0; c < g.kp; ++c) {
            const int ch = map[static_cast<std::size_t>(c)];
            if (ch >= 0 && qx >= 0 && qy >= 0 && qx < w && qy < h)
                S[static_cast<std::size_t>(i * g.ps() + c)] = in.at(ch, qy, qx);
        }
    }
    std::vector<float> W;
    for (std::uint16_t hv : pack_coop_weights(cw, map, g))
        W.push_back(half_to_float(hv));
    std::vector<float> O(static_cast<std::size_t>(g.c_floats()), -1e30f);
    std::vector<std::uint16_t> H(static_cast<std::size_t>(g.c_bytes() / 2), float_to_half(-1e4f));  // f16_c
    // The emitter's loop: subgroup rows r, r + 1; A blocks addressed from row r's origin (r * a_row
    // + a_offset(ri, ...)), deduplicated by that offset; C blocks accumulated per (row, nb).
    const int a_row = g.a_offset(1, 0, 0) - g.a_offset(0, 0, 0), rows = CoopGeometry::rows_per_subgroup;
    int a_loads = 0;
    for (int r = 0; r < t; r += rows) {
        std::vector<std::vector<std::array<float, 128>>> C(rows, std::vector<std::array<float, 128>>(
                                                                     static_cast<std::size_t>(g.n_blocks()), std::array<float, 128>{}));
        std::vector<int> loaded;
        for (int ri = 0; ri < rows; ++ri)
            for (int tap = 0; tap < 9; ++tap)
                for (int kb = 0; kb < g.k_blocks(); ++kb) {
                    const int a = r * a_row + g.a_offset(ri, tap, kb);
                    ASSERT_EQ(a, g.a_offset(r + ri, tap, kb));
                    if (std::find(loaded.begin(), loaded.end(), a) == loaded.end())
                        loaded.push_back(a);
                    for (int nb = 0; nb < g.n_blocks(); ++nb) {
                        const int b = g.b_offset(tap, kb, nb);
                        std::array<float, 128>& c = C[static_cast<std::size_t>(ri)][static_cast<std::size_t>(nb)];
                        for (int mi = 0; mi < 16; ++mi)      // A row-major, row stride ps
                            for (int ni = 0; ni < 8; ++ni)   // B row-major, row stride n
                                for (int ki = 0; ki < 16; ++ki)
                                    c[static_cast<std::size_t>(mi * 8 + ni)] += S[static_cast<std::size_t>(a + mi * g.ps() + ki)] *
                                                                                W[static_cast<std::size_t>(b + ki * 8 + ni)];
                    }
                }
        a_loads += static_cast<int>(loaded.size());
        for (int ri = 0; ri < rows; ++ri)
            for (int nb = 0; nb < g.n_blocks(); ++nb)
                for (int mi = 0; mi < 16; ++mi)  // C column-major: element (mi, ni) at ni * stride + mi
                    for (int ni = 0; ni < 8; ++ni) {
                        const float v = C[static_cast<std::size_t>(ri)][static_cast<std::size_t>(nb)][static_cast<std::size_t>(mi * 8 + ni)];
                        if (f16_c)  // row-major: element (mi, ni) at mi * n + ni
                            H.at(static_cast<std::size_t>(r * (g.hc_offset(1, 0) - g.hc_offset(0, 0)) + g.hc_offset(ri, nb) +
                                                          mi * CoopGeometry::n + ni)) = float_to_half(v);
                        else
                            O[static_cast<std::size_t>(r * (g.c_offset(1, 0) - g.c_offset(0, 0)) + g.c_offset(ri, nb) +
                                                       ni * g.c_stride() + mi)] = v;
                    }
    }
    // Neighbouring rows share the A blocks of their common staged rows (dilation 1 only).
    EXPECT_EQ(a_loads, t / rows * g.k_blocks() * (d == 1 ? 12 : 18));
    for (int ly = 0; ly < t; ++ly)
        for (int lx = 0; lx < t; ++lx) {
            const int x = wx * t + lx, y = wy * t + ly;
            if (x >= w || y >= h)
                continue;
            for (int o = 0; o < cw.shape.out; ++o) {  // the gather: O[c_index(ly * 16 + lx, o)]
                const float got = f16_c ? half_to_float(H.at(static_cast<std::size_t>(g.hc_index(ly * t + lx, o))))
                                        : O[static_cast<std::size_t>(g.c_index(ly * t + lx, o))];
                // a half's rounding: 2^-11 of the value
                const double tolerance = f16_c ? 2e-5 + std::abs(want.at(o, y, x)) / 2048 : 2e-5;
                ASSERT_NEAR(got, want.at(o, y, x), tolerance)
                    << "tile " << wx << "," << wy << " pixel " << x << "," << y << " channel " << o;
            }
        }
}

// A model of `shape` with random weights (model.json written, as shipped models have).
Model random_model(const NetworkShape& shape, unsigned seed)
{
    cnnv3::testing::TempDir dir("coopmodel");
    cnnv3::testing::write_model_dir(dir.path(), shape, seed, true);
    return load_model(dir.path());
}

// The plan options of the tc variant on a device with 48 KiB of shared memory (an H100's default).
PlanOptions tc_plan_options(const Model& m)
{
    PlanOptions opt;
    opt.default_params = m.default_cond;
    opt.f16_math = true;
    opt.shared_bytes_budget = 48 * 1024;
    opt.coop_matrix = true;
    return opt;
}

}  // namespace

TEST(CoopGemm, offsets_follow_the_documented_layout)
{
    const ConvWeights cw = random_conv(32, 16, 1, 1);
    const CoopGeometry g = coop_geometry(cw.shape, 32);
    EXPECT_EQ(g.kp, 32);
    EXPECT_EQ(g.np, 16);
    EXPECT_EQ(g.sw(), 18);
    // A row step is one staged row; every A and B block starts on a whole uvec4 (8 halves, 16 bytes):
    // the GLSL addresses S and W in those units.
    for (int tap = 0; tap < 9; ++tap)
        for (int kb = 0; kb < g.k_blocks(); ++kb) {
            EXPECT_EQ(g.a_offset(5, tap, kb) - g.a_offset(4, tap, kb), g.sw() * g.ps());
            EXPECT_EQ(g.a_offset(0, tap, kb) % 8, 0);
            for (int nb = 0; nb < g.n_blocks(); ++nb)
                EXPECT_EQ(g.b_offset(tap, kb, nb) % 16, 0);
        }
    EXPECT_EQ(g.b_offset(8, 1, 1) + 128, static_cast<int>(pack_coop_weights(cw, std::vector<int>(32, 0), g).size()));
    EXPECT_EQ(g.ps() % 8, 0);
    EXPECT_EQ(g.c_stride() % 4, 0);  // columns of C 16-byte aligned
    EXPECT_THROW(pack_coop_weights(cw, std::vector<int>(16, 0), g), std::invalid_argument);
}

// The shapes of the [4,8] and [8,16] passes: enc0 (13 features padded to 16, channel map with
// holes), enc1, the dilated bottleneck, dec1 (two K blocks), dec0 (4 outputs padded to 8); corner
// and edge tiles of an image that is not a multiple of 16.
TEST(CoopGemm, replayed_gemm_equals_conv3x3_on_edge_and_inner_tiles)
{
    struct Case {
        int in, out, dilation;
        std::vector<int> map;
    };
    std::vector<int> enc0 = {0, 1, 2, 18, 12, 13, 14, 15, 16, 17, 9, 10, 11};
    auto iota = [](int n) {
        std::vector<int> v;
        for (int i = 0; i < n; ++i)
            v.push_back(i);
        return v;
    };
    const std::vector<Case> cases = {{20, 8, 1, enc0}, {20, 4, 1, enc0}, {8, 16, 1, iota(8)}, {16, 16, 2, iota(16)},
                                     {32, 8, 1, iota(32)}, {16, 4, 1, iota(16)}, {8, 8, 2, iota(8)}};
    unsigned seed = 3;
    for (const Case& c : cases) {
        const ConvWeights cw = random_conv(c.in, c.out, c.dilation, seed++);
        for (auto [wx, wy] : {std::pair{0, 0}, {1, 1}, {2, 1}}) {
            SCOPED_TRACE(::testing::Message() << c.in << "->" << c.out << " d" << c.dilation << " tile " << wx << "," << wy);
            check_tile(cw, c.map, 29, 37, wx, wy);
            check_tile(cw, c.map, 29, 37, wx, wy, true);
        }
    }
}

// The bank arithmetic behind ps and c_stride (32 banks of 4 bytes): the eight 16-byte rows one phase
// of a matrix load reads (pixels p..p+7 at stride ps) are in distinct banks for every kp the
// networks use, and so are the 32 f32 accumulator stores of a column-major C store (lane l holds
// row l / 4 and columns 2 (l % 4), 2 (l % 4) + 1 of the 16 x 8 block).
TEST(CoopGemm, staged_rows_and_c_stores_avoid_bank_conflicts)
{
    for (int channels : {13, 16, 32, 48}) {
        const CoopGeometry g = coop_geometry({channels, 8, 1}, channels);
        std::vector<int> chunks;
        for (int p = 0; p < 8; ++p)
            chunks.push_back(p * g.ps() * 2 / 16 % 8);  // which 16-byte quarter of the 128 banks-bytes row
        std::sort(chunks.begin(), chunks.end());
        EXPECT_EQ(std::unique(chunks.begin(), chunks.end()) - chunks.begin(), 8) << "kp " << g.kp;
    }
    const CoopGeometry g = coop_geometry({16, 16, 1}, 16);
    for (int column = 0; column < 2; ++column) {
        std::vector<int> banks;
        for (int lane = 0; lane < 32; ++lane)
            banks.push_back((g.c_offset(0, 0) + (2 * (lane % 4) + column) * g.c_stride() + lane / 4) % 32);
        std::sort(banks.begin(), banks.end());
        EXPECT_EQ(std::unique(banks.begin(), banks.end()) - banks.begin(), 32);
    }
}

// enc0's tensor-core staging (CoopEnc0Staging): A1 filled from the input as the GLSL fills it (f16
// entries), then every staged pixel's mip1 and mip2 read through mip1_entry / mip2_window, against
// photo_features (reference.h) on corner, edge and inner tiles of an image whose sides are odd and
// not multiples of 4 (the ceil-mode windows at the last row and column), with values outside [0, 1].
TEST(CoopGemm, enc0_staging_reads_the_reference_mip1_and_mip2)
{
    using St = CoopEnc0Staging;
    constexpr int t = CoopGeometry::tile;
    const int h = 29, w = 37;
    Planes rgb(3, h, w);
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> uni(-0.2f, 1.2f);
    for (float& v : rgb.data)
        v = uni(rng);
    const Planes feats = photo_features(rgb);
    auto inside = [&](int x, int y) { return x >= 0 && y >= 0 && x < w && y < h; };
    for (auto [wx, wy] : {std::pair{0, 0}, {1, 1}, {2, 1}, {1, 0}}) {
        SCOPED_TRACE(::testing::Message() << "tile " << wx << "," << wy);
        const int x0 = wx * t, y0 = wy * t;
        std::vector<std::array<float, 4>> a1(St::a1_side * St::a1_side);
        for (int j = 0; j < St::a1_side * St::a1_side; ++j) {
            std::array<float, 4> m{};
            for (int k = 0; k < 4; ++k) {
                const int x = x0 - 4 + 2 * (j % St::a1_side) + k % 2, y = y0 - 4 + 2 * (j / St::a1_side) + k / 2;
                if (!inside(x, y))
                    continue;
                for (int c = 0; c < 3; ++c)
                    m[static_cast<std::size_t>(c)] += std::clamp(rgb.at(c, y, x), 0.0f, 1.0f);
                m[3] += 1.0f;
            }
            for (int c = 0; c < 3; ++c)
                m[static_cast<std::size_t>(c)] = m[3] > 0 ? f16(m[static_cast<std::size_t>(c)] / m[3]) : 0.0f;
            m[3] = m[3] > 0 ? 1.0f : 0.0f;
            a1[static_cast<std::size_t>(j)] = m;
        }
        for (int i = 0; i < St::staged_side * St::staged_side; ++i) {
            const int x = x0 - 1 + i % St::staged_side, y = y0 - 1 + i / St::staged_side;
            if (!inside(x, y))
                continue;  // f0.w = 0 zeroes every feature there
            const int e = St::mip1_entry(i), win = St::mip2_window(i);
            ASSERT_GE(win, 0);
            ASSERT_LT(win + St::a1_side + 1, St::a1_side * St::a1_side);
            std::array<float, 4> m{};
            for (int k : {win, win + 1, win + St::a1_side, win + St::a1_side + 1})
                for (int c = 0; c < 4; ++c)
                    m[static_cast<std::size_t>(c)] += a1[static_cast<std::size_t>(k)][static_cast<std::size_t>(c)];
            for (int c = 0; c < 3; ++c) {
                EXPECT_NEAR(a1[static_cast<std::size_t>(e)][static_cast<std::size_t>(c)], feats.at(12 + c, y, x), 1e-3)
                    << "mip1 at " << x << "," << y;
                EXPECT_NEAR(m[static_cast<std::size_t>(c)] / m[3], feats.at(15 + c, y, x), 1e-3) << "mip2 at " << x << "," << y;
            }
        }
    }
}

// enc0's A0 (CoopEnc0Staging): the four gathered texels of A1 entry j (Vulkan's textureGather order
// (i0, j1), (i1, j1), (i1, j0), (i0, j0)) land on the pixels of j's 2x2 block, every A0 entry is filled
// exactly once, and each staged pixel reads the albedo of its own pixel, inside the block of its mip1.
TEST(CoopGemm, enc0_gathers_fill_every_a0_entry_once)
{
    using St = CoopEnc0Staging;
    const std::array<std::pair<int, int>, 4> vulkan_order = {std::pair{0, 1}, {1, 1}, {1, 0}, {0, 0}};
    std::vector<int> hits(St::a0_side * St::a0_side, 0);
    for (int j = 0; j < St::a1_side * St::a1_side; ++j)
        for (int k = 0; k < 4; ++k) {
            const int e = St::a0_entry(j, k);
            ASSERT_GE(e, 0);
            ASSERT_LT(e, St::a0_side * St::a0_side);
            ++hits[static_cast<std::size_t>(e)];
            EXPECT_EQ(e % St::a0_side, 2 * (j % St::a1_side) + vulkan_order[static_cast<std::size_t>(k)].first);
            EXPECT_EQ(e / St::a0_side, 2 * (j / St::a1_side) + vulkan_order[static_cast<std::size_t>(k)].second);
        }
    EXPECT_EQ(std::count(hits.begin(), hits.end(), 1), St::a0_side * St::a0_side);
    for (int i = 0; i < St::staged_side * St::staged_side; ++i) {
        const int e = St::albedo_entry(i);
        EXPECT_EQ(e % St::a0_side, St::tx(i));  // pixel tile0 - 1 + (i % staged_side, i / staged_side)
        EXPECT_EQ(e / St::a0_side, St::ty(i));
        EXPECT_EQ(St::mip1_entry(i), (e / St::a0_side / 2) * St::a1_side + e % St::a0_side / 2);
    }
}

// The tensor-core plan takes the tensor-core form only where it pays (coop_pays): every conv of the
// [8,16] network; of the [4,8] network the bottleneck (8 x 8) and dec1 (16 x 4), while enc0 (13 staged
// features x 4), enc1 (4 x 8) and dec0 (8 x 4) keep their FMA form. The hook files never use it.
TEST(CoopGemm, plan_uses_tensor_cores_only_for_layers_where_they_pay)
{
    EXPECT_TRUE(coop_pays(16, 4));
    EXPECT_FALSE(coop_pays(13, 4));
    for (const auto& [shape, want] : {std::pair{NetworkShape{8, 16, 5}, std::vector<bool>{true, true, true, true, true}},
                                      std::pair{NetworkShape{4, 8, 5}, std::vector<bool>{false, false, true, true, false}}}) {
        const Model m = random_model(shape, 45);
        PlanOptions opt = tc_plan_options(m);
        std::vector<bool> got;
        for (const PlannedPass& p : plan_passes(m, opt).passes)
            if (p.layer) {
                got.push_back(p.coop_matrix);
                EXPECT_EQ(p.coop_matrix, p.body.find("coopMatMulAddNV") != std::string::npos) << p.description;
                EXPECT_EQ(p.coop_matrix, !p.coop_weights.empty()) << p.description;
            }
        EXPECT_EQ(got, want) << "[" << shape.c0 << "," << shape.c1 << "]";
        opt.coop_matrix = false;
        for (const PlannedPass& p : plan_passes(m, opt).passes)
            EXPECT_FALSE(p.coop_matrix) << p.description;
    }
}

// CoopGeometry::f16_c (variant tch): every element of every (row, nb) block, stored row-major from
// hc_offset, lands at hc_index of its pixel and channel, each exactly once inside c_bytes (half the f32
// layout's); blocks start on whole uvec4s (the store's offsets are in uvec4s) and a pixel's 8 channels
// of one N block are one uvec4 (the epilogue reads it whole).
TEST(CoopGemm, f16_results_layout_covers_the_half_region_once)
{
    for (int out : {4, 8, 16}) {
        const int f32_bytes = coop_geometry({16, out, 1}, 16).c_bytes();
        const CoopGeometry g = coop_geometry({16, out, 1}, 16, CoopSums::f32_stored_f16);
        EXPECT_EQ(2 * g.c_bytes(), f32_bytes - 4 * g.np * 4) << out;  // f32 columns carry 4 floats of padding
        std::vector<int> seen(static_cast<std::size_t>(g.c_bytes() / 2), 0);
        const int t = CoopGeometry::tile;
        for (int row = 0; row < t; ++row)
            for (int nb = 0; nb < g.n_blocks(); ++nb) {
                EXPECT_EQ(g.hc_offset(row, nb) % 8, 0);
                EXPECT_EQ(g.hc_offset(row, nb), row * (g.hc_offset(1, 0) - g.hc_offset(0, 0)) + g.hc_offset(0, nb));
                for (int mi = 0; mi < 16; ++mi)
                    for (int ni = 0; ni < 8; ++ni) {
                        const int at = g.hc_offset(row, nb) + mi * CoopGeometry::n + ni;
                        ASSERT_EQ(at, g.hc_index(row * t + mi, nb * 8 + ni));
                        ++seen.at(static_cast<std::size_t>(at));
                    }
            }
        EXPECT_EQ(std::count(seen.begin(), seen.end(), 1), static_cast<long>(seen.size())) << out;
        for (int c = 0; c < g.np; ++c)
            EXPECT_EQ(g.hc_index(37, c) / 8, g.hc_index(37, c / 8 * 8) / 8) << c;
    }
}

// CoopSums::f32_stored_f16: each tensor-core pass converts its C blocks to f16 and reads halves back, in a
// smaller S where C was the larger region (enc1 of [8,16]); the FMA passes and tc's text are untouched.
TEST(CoopGemm, f16_results_change_only_the_tensor_core_passes_c_round_trip)
{
    const Model m = random_model(NetworkShape{8, 16, 5}, 47);
    PlanOptions opt = tc_plan_options(m);
    const PassPlan tc = plan_passes(m, opt);
    opt.coop_sums = CoopSums::f32_stored_f16;
    const PassPlan tch = plan_passes(m, opt);
    ASSERT_EQ(tc.passes.size(), tch.passes.size());
    int smaller = 0;
    for (std::size_t i = 0; i < tc.passes.size(); ++i) {
        const PlannedPass &a = tc.passes[i], &b = tch.passes[i];
        EXPECT_EQ(a.coop_matrix, b.coop_matrix) << a.description;
        if (!a.coop_matrix) {
            EXPECT_EQ(a.body, b.body) << a.description;
            continue;
        }
        EXPECT_EQ(b.body.find("cnnv3_o("), std::string::npos) << b.description;
        EXPECT_NE(b.body.find("coopMatStoreNV(fcoopmatNV<16, gl_ScopeSubgroup, 16, 8>(c0_0), S,"), std::string::npos) << b.description;
        EXPECT_NE(b.body.find("unpackHalf2x16(S[o + "), std::string::npos) << b.description;
        EXPECT_NE(a.body.find("cnnv3_o("), std::string::npos) << a.description;
        EXPECT_LE(b.shared_bytes, a.shared_bytes) << b.description;
        smaller += b.shared_bytes < a.shared_bytes;
    }
    EXPECT_GE(smaller, 1);
}

// CoopSums::f16: each tensor-core pass accumulates in f16 C blocks and stores them as they are, in the
// layout tch converts its f32 sums to (same shared memory, same epilogue); the FMA passes are untouched.
TEST(CoopGemm, f16_sums_declare_f16_accumulators_and_keep_tch_layout)
{
    const Model m = random_model(NetworkShape{8, 16, 5}, 47);
    PlanOptions opt = tc_plan_options(m);
    opt.coop_sums = CoopSums::f32_stored_f16;
    const PassPlan tch = plan_passes(m, opt);
    opt.coop_sums = CoopSums::f16;
    const PassPlan tc16 = plan_passes(m, opt);
    ASSERT_EQ(tch.passes.size(), tc16.passes.size());
    int coop = 0;
    for (std::size_t i = 0; i < tch.passes.size(); ++i) {
        const PlannedPass &a = tch.passes[i], &b = tc16.passes[i];
        EXPECT_EQ(a.coop_matrix, b.coop_matrix) << a.description;
        if (!a.coop_matrix) {
            EXPECT_EQ(a.body, b.body) << a.description;
            continue;
        }
        ++coop;
        EXPECT_NE(a.body.find("fcoopmatNV<32, gl_ScopeSubgroup, 16, 8> c0_0;"), std::string::npos) << a.description;
        EXPECT_EQ(b.body.find("fcoopmatNV<32"), std::string::npos) << b.description;
        EXPECT_NE(b.body.find("fcoopmatNV<16, gl_ScopeSubgroup, 16, 8> c0_0;"), std::string::npos) << b.description;
        EXPECT_NE(b.body.find("coopMatStoreNV(c0_0, S,"), std::string::npos) << b.description;
        EXPECT_NE(b.body.find("unpackHalf2x16(S[o + "), std::string::npos) << b.description;
        EXPECT_EQ(a.shared_bytes, b.shared_bytes) << b.description;
    }
    EXPECT_EQ(coop, 5);
}

// coop_b_from_buffer: the passes with one K and one N block (9 B blocks) load them from CNNV3_W; the
// others copy the weights into shared memory first (W), as measured fastest on an H100.
TEST(CoopGemm, b_blocks_from_the_buffer_only_with_one_k_and_one_n_block)
{
    for (const auto& [shape, want] : {std::pair{NetworkShape{8, 16, 5}, std::vector<bool>{true, false, false, false, true}},
                                      std::pair{NetworkShape{4, 8, 5}, std::vector<bool>{true, true}}}) {
        const Model m = random_model(shape, 46);
        PlanOptions opt = tc_plan_options(m);
        std::vector<bool> got;
        for (const PlannedPass& p : plan_passes(m, opt).passes)
            if (p.coop_matrix) {
                const bool from_buffer = p.body.find("shared uvec4 W[") == std::string::npos;
                EXPECT_EQ(from_buffer, p.body.find("CNNV3_W, ") != std::string::npos) << p.description;
                got.push_back(from_buffer);
            }
        EXPECT_EQ(got, want) << "[" << shape.c0 << "," << shape.c1 << "]";
    }
}

namespace {

ConvWeights with_random_bias(ConvWeights cw, unsigned seed)
{
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> uni(-0.3f, 0.3f);
    for (float& b : cw.bias)
        b = f16(uni(rng));
    return cw;
}

// FiLM (gamma, beta per channel) then ReLU, in place.
void film_relu(Planes& p, const std::vector<float>& gamma, const std::vector<float>& beta)
{
    for (int c = 0; c < p.channels; ++c)
        for (std::size_t i = 0; i < p.plane_size(); ++i) {
            float& v = p.plane(c)[i];
            v = std::max(v * (gamma.empty() ? 1.0f : gamma[static_cast<std::size_t>(c)]) +
                             (beta.empty() ? 0.0f : beta[static_cast<std::size_t>(c)]),
                         0.0f);
        }
}

Planes concat(const Planes& a, const Planes& b)
{
    Planes out(a.channels + b.channels, a.height, a.width);
    std::copy(a.data.begin(), a.data.end(), out.data.begin());
    std::copy(b.data.begin(), b.data.end(), out.data.begin() + static_cast<std::ptrdiff_t>(a.data.size()));
    return out;
}

// One half-resolution C block row: out[mi][nn] += A[mi][kk] * B[kk][nn], A read from `s` at halves
// a0 + mi * stride + kk (a cooperative-matrix load of 16 x 16 at that stride), B the packed block at w0.
void mul_block(std::array<float, 128>& c, const std::vector<float>& s, int a0, int stride, const std::vector<float>& w, int w0)
{
    for (int mi = 0; mi < 16; ++mi)
        for (int ni = 0; ni < 8; ++ni)
            for (int ki = 0; ki < 16; ++ki)
                c[static_cast<std::size_t>(mi * 8 + ni)] += s.at(static_cast<std::size_t>(a0 + mi * stride + ki)) *
                                                           w.at(static_cast<std::size_t>(w0 + ki * 8 + ni));
}

std::vector<float> halves_to_floats(const std::vector<std::uint16_t>& h)
{
    std::vector<float> f;
    for (std::uint16_t v : h)
        f.push_back(half_to_float(v));
    return f;
}

}  // namespace

// The fused low-resolution pass (CoopLowRes), replayed on the CPU workgroup by workgroup as the GLSL
// runs it: S0, enc1 over the flattened grid with paired taps, E1 (f16, masked), P, the bottleneck,
// B, U, dec1 in rows of 16 with its two K blocks from U and E1; every array sized by the layout
// (an index past one throws). Against avgpool2 / conv3x3 / upsample2 (reference.h) with FiLM and
// biases, on images whose half and quarter sizes are odd and not multiples of 16.
TEST(CoopLowRes, replayed_fused_pass_equals_enc1_bottleneck_dec1)
{
    using L = CoopLowRes;
    const ConvWeights enc1 = with_random_bias(random_conv(8, 16, 1, 21), 1);
    const ConvWeights bot = with_random_bias(random_conv(16, 16, 2, 22), 2);
    const ConvWeights dec1 = with_random_bias(random_conv(32, 8, 1, 23), 3);
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> uni(0.0f, 1.0f), sym(-0.5f, 0.5f);
    std::vector<float> g1, b1, g3, b3;
    for (int c = 0; c < 16; ++c) {
        g1.push_back(0.5f + uni(rng));
        b1.push_back(sym(rng));
    }
    for (int c = 0; c < 8; ++c) {
        g3.push_back(0.5f + uni(rng));
        b3.push_back(sym(rng));
    }
    std::vector<int> iota16(16), iota32(32);
    std::iota(iota16.begin(), iota16.end(), 0);
    std::iota(iota32.begin(), iota32.end(), 0);
    const CoopGeometry gb = coop_geometry(bot.shape, 16), gd = coop_geometry(dec1.shape, 32);
    const std::vector<float> w1 = halves_to_floats(pack_paired_weights(enc1)), wb = halves_to_floats(pack_coop_weights(bot, iota16, gb)),
                             wd = halves_to_floats(pack_coop_weights(dec1, iota32, gd));

    for (auto [h, w] : {std::pair{45, 69}, {3, 5}, {1, 1}, {64, 66}}) {
        SCOPED_TRACE(::testing::Message() << w << "x" << h);
        Planes e0(8, h, w);
        for (float& v : e0.data)
            v = f16(uni(rng));
        Planes e1 = conv3x3(avgpool2(e0), enc1);
        film_relu(e1, g1, b1);
        Planes b = conv3x3(avgpool2(e1), bot);
        film_relu(b, {}, {});
        Planes d1 = conv3x3(concat(upsample2(b, e1.height, e1.width), e1), dec1);
        film_relu(d1, g3, b3);
        const Planes pooled = avgpool2(e0);
        const int h1 = pooled.height, w1s = pooled.width, h2 = (h1 + 1) / 2, w2 = (w1s + 1) / 2;
        auto in_image = [](int x, int y, int ww, int hh) { return x >= 0 && y >= 0 && x < ww && y < hh; };

        for (int wy = 0; wy * L::tile < h1; ++wy)
            for (int wx = 0; wx * L::tile < w1s; ++wx) {
                const int px = wx * L::tile, py = wy * L::tile;
                // S0: 8 halves per pixel.
                std::vector<float> s0(static_cast<std::size_t>(8 * L::s0_pixels), 0.0f);
                for (int i = 0; i < L::s0_side * L::s0_side; ++i) {
                    const int x = px + L::s0_origin + i % L::s0_side, y = py + L::s0_origin + i / L::s0_side;
                    for (int c = 0; in_image(x, y, w1s, h1) && c < 8; ++c)
                        s0[static_cast<std::size_t>(8 * i + c)] = f16(pooled.at(c, y, x));
                }
                // enc1 -> E1 (16 halves per pixel).
                std::vector<float> e1s(static_cast<std::size_t>(16 * L::e1_pixels), 0.0f);
                for (int m = 0; m < L::enc1_m_blocks; ++m) {
                    const int j0 = 16 * m;
                    for (int nb = 0; nb < 2; ++nb) {
                        std::array<float, 128> c{};
                        for (int kb = 0; kb < L::enc1_k_blocks; ++kb)
                            mul_block(c, s0, 8 * L::s0_pixel(j0, kb / 2, kb % 2), 8, w1, (kb * 2 + nb) * 128);
                        for (int mi = 0; mi < 16; ++mi) {
                            const int j = j0 + mi, x = j % L::s0_side, y = j / L::s0_side;
                            const bool mask = y < L::e1_rows && x < L::e1_valid &&
                                              in_image(px + L::e1_origin + x, py + L::e1_origin + y, w1s, h1);
                            for (int ni = 0; ni < 8; ++ni) {
                                const int ch = nb * 8 + ni;
                                const float v = (c[static_cast<std::size_t>(mi * 8 + ni)] + enc1.bias[static_cast<std::size_t>(ch)]) *
                                                    g1[static_cast<std::size_t>(ch)] + b1[static_cast<std::size_t>(ch)];
                                e1s.at(static_cast<std::size_t>(16 * j + ch)) = mask ? f16(std::max(v, 0.0f)) : 0.0f;
                                if (mask) {
                                    ASSERT_NEAR(e1s[static_cast<std::size_t>(16 * j + ch)],
                                                e1.at(ch, py + L::e1_origin + y, px + L::e1_origin + x), 2e-2)
                                        << "E1 tile " << wx << "," << wy << " grid " << x << "," << y;
                                }
                            }
                        }
                    }
                }
                // P: E1 pooled to quarter resolution.
                std::vector<float> p(static_cast<std::size_t>(16 * L::p_pixels), 0.0f);
                for (int k = 0; k < L::p_side * L::p_side; ++k) {
                    const int tx = k % L::p_side, ty = k / L::p_side;
                    const int qx = px / 2 + L::p_origin + tx, qy = py / 2 + L::p_origin + ty;
                    if (!in_image(qx, qy, w2, h2))
                        continue;
                    for (int ch = 0; ch < 16; ++ch) {
                        float sum = 0.0f;
                        int n = 0;
                        for (int d = 0; d < 4; ++d)
                            if (in_image(2 * qx + d % 2, 2 * qy + d / 2, w1s, h1)) {
                                sum += e1s.at(static_cast<std::size_t>(16 * ((2 * ty + d / 2) * L::s0_side + 2 * tx + d % 2) + ch));
                                ++n;
                            }
                        p[static_cast<std::size_t>(16 * k + ch)] = f16(sum / static_cast<float>(n));
                    }
                }
                // The bottleneck -> B.
                std::vector<float> bs(static_cast<std::size_t>(16 * L::b_pixels), 0.0f);
                for (int m = 0; m < L::bottleneck_m_blocks; ++m) {
                    const int j0 = 16 * m;
                    for (int nb = 0; nb < 2; ++nb) {
                        std::array<float, 128> c{};
                        for (int tap = 0; tap < 9; ++tap)
                            mul_block(c, p, 16 * L::p_pixel(j0, tap), 16, wb, gb.b_offset(tap, 0, nb));
                        for (int mi = 0; mi < 16; ++mi)
                            for (int ni = 0; ni < 8; ++ni) {
                                const int j = j0 + mi, ch = nb * 8 + ni, x = j % L::p_side, y = j / L::p_side;
                                const float v = std::max(c[static_cast<std::size_t>(mi * 8 + ni)] + bot.bias[static_cast<std::size_t>(ch)], 0.0f);
                                bs.at(static_cast<std::size_t>(16 * j + ch)) = f16(v);
                                const int qx = px / 2 + L::b_origin + x, qy = py / 2 + L::b_origin + y;
                                if (y < L::b_rows && x < L::b_valid && in_image(qx, qy, w2, h2)) {
                                    ASSERT_NEAR(bs[static_cast<std::size_t>(16 * j + ch)], b.at(ch, qy, qx), 3e-2)
                                        << "B tile " << wx << "," << wy << " grid " << x << "," << y;
                                }
                            }
                    }
                }
                // U: up2(B), zero outside the half-resolution image.
                std::vector<float> u(static_cast<std::size_t>(16 * L::u_side * L::u_side), 0.0f);
                for (int k = 0; k < L::u_side * L::u_side; ++k) {
                    const int tx = k % L::u_side, ty = k / L::u_side;
                    for (int ch = 0; in_image(px - 1 + tx, py - 1 + ty, w1s, h1) && ch < 16; ++ch)
                        u[static_cast<std::size_t>(16 * k + ch)] = bs.at(static_cast<std::size_t>(16 * L::b_pixel_of_u(tx, ty) + ch));
                }
                // dec1, row by row.
                for (int r = 0; r < L::tile; ++r) {
                    std::array<float, 128> c{};
                    for (int tap = 0; tap < 9; ++tap) {
                        mul_block(c, u, 16 * L::u_pixel(r, tap, 0), 16, wd, gd.b_offset(tap, 0, 0));
                        mul_block(c, e1s, 16 * L::e1_pixel(r, tap, 0), 16, wd, gd.b_offset(tap, 1, 0));
                    }
                    for (int mi = 0; mi < 16; ++mi) {
                        const int x = px + mi, y = py + r;
                        if (!in_image(x, y, w1s, h1))
                            continue;
                        for (int ch = 0; ch < 8; ++ch) {
                            const float v = (c[static_cast<std::size_t>(mi * 8 + ch)] + dec1.bias[static_cast<std::size_t>(ch)]) *
                                                g3[static_cast<std::size_t>(ch)] + b3[static_cast<std::size_t>(ch)];
                            ASSERT_NEAR(std::max(v, 0.0f), d1.at(ch, y, x), 5e-2)
                                << "D1 tile " << wx << "," << wy << " pixel " << x << "," << y << " channel " << ch;
                        }
                    }
                }
            }
    }
}

// The fused pass's shared memory: the regions that are live together do not overlap, all of it fits
// the 48 KiB an H100 gives a workgroup, and dec1's C blocks (stored while other subgroups still read
// U and E1) end before U.
TEST(CoopLowRes, shared_regions_live_together_do_not_overlap)
{
    using L = CoopLowRes;
    auto disjoint = [](int a, int a_bytes, int b, int b_bytes) { return a + a_bytes <= b || b + b_bytes <= a; };
    EXPECT_LE(L::shared_bytes, 48 * 1024);
    const int s0 = 16 * L::s0_pixels, scratch = 8 * L::scratch_bytes, e1 = 32 * L::e1_pixels, p = 32 * L::p_pixels,
              b = 32 * L::b_pixels, u = 32 * L::u_side * L::u_side;
    const CoopGeometry gd = coop_geometry({32, 8, 1}, 32);
    EXPECT_TRUE(disjoint(L::s0_at, s0, L::scratch_at, scratch));  // enc1: S0 read, scratch and E1 written
    EXPECT_TRUE(disjoint(L::s0_at, s0, L::e1_at, e1));
    EXPECT_TRUE(disjoint(L::scratch_at, scratch, L::e1_at, e1));
    EXPECT_TRUE(disjoint(L::p_at, p, L::e1_at, e1));              // P staging reads E1
    EXPECT_TRUE(disjoint(L::p_at, p, L::b_at, b));                // bottleneck: P read, scratch and B written
    EXPECT_TRUE(disjoint(L::p_at, p, L::scratch_at, scratch));
    EXPECT_TRUE(disjoint(L::b_at, b, L::scratch_at, scratch));
    EXPECT_TRUE(disjoint(L::b_at, b, L::u_at, u));                // U staging reads B
    EXPECT_TRUE(disjoint(L::u_at, u, L::e1_at, e1));              // dec1 reads U and E1, writes C
    EXPECT_TRUE(disjoint(0, 4 * gd.c_floats(), L::u_at, u));
    EXPECT_TRUE(disjoint(0, 4 * gd.c_floats(), L::e1_at, e1));
    EXPECT_EQ(L::s0_at % 16 + L::scratch_at % 16 + L::e1_at % 16 + L::p_at % 16 + L::b_at % 16 + L::u_at % 16, 0);
}

// [8,16] on tensor cores with coop_fuse_low_res (variant tc3): enc0, one fused low-resolution pass
// that writes D1 at half resolution (reading E0 and enc1's and dec1's FiLM, the bottleneck having
// none), dec0. Without it (tc), [4,8] networks and budgets under 47.5 KiB keep five conv passes.
TEST(CoopLowRes, plan_fuses_the_low_resolution_convs_of_8_16_networks)
{
    const Model m = random_model(NetworkShape{8, 16, 5}, 47);
    PlanOptions opt = tc_plan_options(m);
    opt.coop_fuse_low_res = true;
    const PassPlan plan = plan_passes(m, opt);
    std::vector<std::string> conv_passes;
    for (const PlannedPass& p : plan.passes)
        if (!p.film_mlp)
            conv_passes.push_back(p.description.substr(0, p.description.find(' ', 6)));
    EXPECT_EQ(conv_passes, (std::vector<std::string>{"cnnv3 enc0", "cnnv3 enc1+bottleneck+dec1", "cnnv3 dec0"}));
    const PlannedPass& fused = plan.passes[2];
    ASSERT_TRUE(fused.save);
    EXPECT_EQ(fused.save->name, "CNNV3_D1");
    EXPECT_EQ(fused.save->level, Level::half);
    EXPECT_EQ(fused.binds, (std::vector<std::string>{"HOOKED", "CNNV3_E0", "CNNV3_FILM"}));
    EXPECT_EQ(fused.film_first, 4);                // after enc0's two gamma and two beta texels
    EXPECT_EQ(fused.film_count, 8 + 4);            // enc1 (16 channels), dec1 (8)
    EXPECT_EQ(fused.shared_bytes, CoopLowRes::shared_bytes);
    EXPECT_EQ(fused.coop_weights.size() * 2, static_cast<std::size_t>(6 * 2 * 128 + 9 * 2 * 128 + 9 * 2 * 128));
    for (const PlannedPass& p : plan.passes)  // E1 and B are never written
        if (p.save) {
            EXPECT_TRUE(p.save->name != "CNNV3_E1" && p.save->name != "CNNV3_B") << p.description;
        }
    EXPECT_TRUE(fused.linear_binds.empty());
    EXPECT_EQ(fused.body.find("textureLod"), std::string::npos);
    opt.linear_pooling = true;  // E0's whole 2x2 windows as one bilinear sample each
    const PlannedPass linear = plan_passes(m, opt).passes[2];
    EXPECT_EQ(linear.linear_binds, std::vector<std::string>{"CNNV3_E0"});
    EXPECT_NE(linear.body.find("textureLod(CNNV3_E0_raw"), std::string::npos);
    opt.linear_pooling = false;
    auto conv_count = [](const PassPlan& pl) { return std::count_if(pl.passes.begin(), pl.passes.end(), [](const PlannedPass& p) { return !p.film_mlp; }); };
    opt.coop_fuse_low_res = false;
    EXPECT_EQ(conv_count(plan_passes(m, opt)), 5);
    opt.coop_fuse_low_res = true;
    opt.shared_bytes_budget = CoopLowRes::shared_bytes - 16;
    EXPECT_EQ(conv_count(plan_passes(m, opt)), 5);
    const Model small = random_model(NetworkShape{4, 8, 5}, 48);
    PlanOptions small_opt = tc_plan_options(small);
    small_opt.coop_fuse_low_res = true;
    EXPECT_EQ(conv_count(plan_passes(small, small_opt)), 5);
}

// With linear pooling the tensor-core passes with pooled sources (enc1 reads E0, the bottleneck E1)
// sample those bilinearly; the others, and every pass without it, fetch texels.
TEST(CoopGemm, linear_pooling_binds_the_pooled_sources_only)
{
    const Model m = random_model(NetworkShape{8, 16, 5}, 49);
    PlanOptions opt = tc_plan_options(m);
    opt.linear_pooling = true;
    std::vector<std::vector<std::string>> got;
    for (const PlannedPass& p : plan_passes(m, opt).passes)
        if (p.layer) {
            got.push_back(p.linear_binds);
            EXPECT_EQ(p.linear_binds.empty(), p.body.find("textureLod(") == std::string::npos) << p.description;
        }
    EXPECT_EQ(got, (std::vector<std::vector<std::string>>{{}, {"CNNV3_E0"}, {"CNNV3_E1"}, {}, {}}));
    opt.linear_pooling = false;
    for (const PlannedPass& p : plan_passes(m, opt).passes)
        EXPECT_TRUE(p.linear_binds.empty() && p.body.find("textureLod(") == std::string::npos) << p.description;
}

// pack_paired_weights: K row kk of block (ky, pair) is channel kk % 8 of tap (ky, 2 pair + kk / 8),
// zero for the tap kx = 3 that does not exist.
TEST(CoopLowRes, paired_weights_hold_two_taps_per_k_block)
{
    const ConvWeights cw = random_conv(8, 16, 1, 31);
    const std::vector<std::uint16_t> w = pack_paired_weights(cw);
    ASSERT_EQ(w.size(), static_cast<std::size_t>(6 * 2 * 128));
    for (int ky = 0; ky < 3; ++ky)
        for (int kk = 0; kk < 16; ++kk)
            for (int o = 0; o < 16; ++o) {
                const std::size_t first = static_cast<std::size_t>((((ky * 2) * 2 + o / 8) * 16 + kk) * 8 + o % 8);
                const std::size_t second = first + 2 * 128;
                EXPECT_EQ(half_to_float(w[first]), cw.weight(o, kk % 8, ky, kk / 8));
                EXPECT_EQ(half_to_float(w[second]), kk < 8 ? cw.weight(o, kk, ky, 2) : 0.0f);
            }
    EXPECT_THROW(pack_paired_weights(random_conv(16, 16, 1, 1)), std::invalid_argument);
}

