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
void check_tile(const ConvWeights& cw, const std::vector<int>& channel_map, int h, int w, int wx, int wy)
{
    const CoopGeometry g = coop_geometry(cw.shape, static_cast<int>(channel_map.size()));
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
                    for (int ni = 0; ni < 8; ++ni)
                        O[static_cast<std::size_t>(r * (g.c_offset(1, 0) - g.c_offset(0, 0)) + g.c_offset(ri, nb) +
                                                   ni * g.c_stride() + mi)] =
                            C[static_cast<std::size_t>(ri)][static_cast<std::size_t>(nb)][static_cast<std::size_t>(mi * 8 + ni)];
    }
    // Neighbouring rows share the A blocks of their common staged rows (dilation 1 only).
    EXPECT_EQ(a_loads, t / rows * g.k_blocks() * (d == 1 ? 12 : 18));
    for (int ly = 0; ly < t; ++ly)
        for (int lx = 0; lx < t; ++lx) {
            const int x = wx * t + lx, y = wy * t + ly;
            if (x >= w || y >= h)
                continue;
            for (int o = 0; o < cw.shape.out; ++o)  // the gather: O[c_index(ly * 16 + lx, o)]
                ASSERT_NEAR(O[static_cast<std::size_t>(g.c_index(ly * t + lx, o))], want.at(o, y, x), 2e-5)
                    << "tile " << wx << "," << wy << " pixel " << x << "," << y << " channel " << o;
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
