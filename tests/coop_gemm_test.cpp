// The tensor-core passes' index arithmetic (shadergen/coop_gemm.h), replayed on the CPU: stage a tile
// pixel-major as the GLSL does, run the GEMM block by block through a_offset / b_offset / c_offset
// and the packed weights, and compare every output pixel of the tile with conv3x3 (reference.h).
// CI has no tensor cores; this is what checks the layout there.
#include "coop_gemm.h"
#include "half.h"
#include "reference.h"

#include <gtest/gtest.h>

#include <algorithm>
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
                S[static_cast<std::size_t>(i * g.kp + c)] = in.at(ch, qy, qx);
        }
    }
    std::vector<float> W;
    for (std::uint16_t hv : pack_coop_weights(cw, map, g))
        W.push_back(half_to_float(hv));
    std::vector<float> O(static_cast<std::size_t>(g.c_floats()), -1e30f);
    for (int r = 0; r < t; ++r) {
        for (int nb = 0; nb < g.n_blocks(); ++nb) {
            float C[16][8] = {};
            for (int tap = 0; tap < 9; ++tap)
                for (int kb = 0; kb < g.k_blocks(); ++kb) {
                    const int a = g.a_offset(r, tap, kb), b = g.b_offset(tap, kb, nb);
                    for (int mi = 0; mi < 16; ++mi)      // A row-major, row stride kp
                        for (int ni = 0; ni < 8; ++ni)   // B row-major, row stride n
                            for (int ki = 0; ki < 16; ++ki)
                                C[mi][ni] += S[static_cast<std::size_t>(a + mi * g.kp + ki)] *
                                             W[static_cast<std::size_t>(b + ki * 8 + ni)];
                }
            for (int mi = 0; mi < 16; ++mi)  // C column-major: element (mi, ni) at ni * stride + mi
                for (int ni = 0; ni < 8; ++ni)
                    O[static_cast<std::size_t>(g.c_offset(r, nb) + ni * g.c_stride() + mi)] = C[mi][ni];
        }
    }
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

}  // namespace

TEST(CoopGemm, offsets_follow_the_documented_layout)
{
    const ConvWeights cw = random_conv(32, 16, 1, 1);
    const CoopGeometry g = coop_geometry(cw.shape, 32);
    EXPECT_EQ(g.kp, 32);
    EXPECT_EQ(g.np, 16);
    EXPECT_EQ(g.sw(), 18);
    // A row step is one staged row; every A and B block starts 32-byte aligned (16 halves).
    for (int tap = 0; tap < 9; ++tap)
        for (int kb = 0; kb < g.k_blocks(); ++kb) {
            EXPECT_EQ(g.a_offset(5, tap, kb) - g.a_offset(4, tap, kb), g.sw() * g.kp);
            EXPECT_EQ(g.a_offset(0, tap, kb) % 16, 0);
            for (int nb = 0; nb < g.n_blocks(); ++nb)
                EXPECT_EQ(g.b_offset(tap, kb, nb) % 16, 0);
        }
    EXPECT_EQ(g.b_offset(8, 1, 1) + 128, static_cast<int>(pack_coop_weights(cw, std::vector<int>(32, 0), g).size()));
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
