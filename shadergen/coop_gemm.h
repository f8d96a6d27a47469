// The tensor-core form of a 3x3 conv pass: an implicit GEMM over the 9 taps with cooperative
// matrices (GL_NV_cooperative_matrix), f16 x f16 + f32, blocks of M x N x K = 16 x 8 x 16.
//
// A workgroup computes a 16 x 16 tile of output pixels. Its input tile plus the halo (`dilation`
// pixels each side, zero outside the image) is staged in shared memory as f16, pixel-major:
// S[pixel * ps + channel], with the conv's input channels padded to kp (a multiple of 16) and the
// pixel stride ps = kp + 8: an odd number of 16-byte units, so that the eight 16-byte rows one
// matrix-load phase reads, and the eight 16-byte stores of a staging phase, fall in distinct banks
// (ps = kp costs 2-way to 4-way conflicts). The GLSL declares S as uvec4 (8 halves per element,
// written whole); offsets here are in halves, the emitter divides by 8.
// Output row r of the tile, tap (ky, kx) and K block kb is the 16 x 16 matrix at a_offset() with
// row stride ps: sixteen neighbouring pixels, sixteen channels each. Each subgroup computes two
// neighbouring output rows, so with dilation 1 the A block of staged row e serves tap ky = e - r of
// both (a_offset(r, tap, kb) == a_offset(r + 1, tap - 3, kb)), and each B block is read once for both.
// The weights are packed (pack_coop_weights) into 16 x 8 blocks, row-major, one per (tap, kb, nb),
// at b_offset(). C blocks (16 pixels x 8 output channels, f32) go back to shared memory (over S,
// once the GEMM is done with it) channel-major, O[channel * c_stride + pixel], stored column-major at
// c_offset(): the epilogue's invocations (one per pixel) read neighbouring floats, and c_stride = 260
// (not 256) spreads the accumulator store's four column pairs over distinct banks.
//
// Everything here is plain integer arithmetic shared by the GLSL emitter (pass_plan.cpp) and the CPU
// test that replays the GEMM block by block against conv3x3 (tests/coop_gemm_test.cpp).
#pragma once

#include "model.h"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace cnnv3 {

// How a tensor-core pass keeps its sums (PlanOptions::coop_sums): f32 C blocks through shared memory
// as f32 (variant tc), f32 C blocks converted to f16 on their way (tch), or f16 C blocks (tc16).
enum class CoopSums { f32, f32_stored_f16, f16 };

struct CoopGeometry {
    static constexpr int tile = 16;       // output pixels per workgroup side; one M block per row
    static constexpr int m = 16, n = 8, k = 16;
    int dilation = 1;
    int kp = 16;     // staged channels per pixel (input channels padded to a multiple of k)
    int np = 8;      // output channels padded to a multiple of n
    static constexpr int rows_per_subgroup = 2;
    int sw() const { return tile + 2 * dilation; }  // staged tile side
    int ps() const { return kp + 8; }               // halves between staged pixels
    int k_blocks() const { return kp / k; }
    int n_blocks() const { return np / n; }
    CoopSums sums = CoopSums::f32;
    // C blocks in shared memory as f16 (f32_stored_f16 and f16): half the bytes of the f32 round trip.
    // Layout [nb][pixel][n channels], one uvec4 per pixel and N block, each block stored row-major at
    // hc_offset() with a row stride of n halves (one uvec4): the store writes 256 contiguous bytes, and
    // the epilogue's invocation (one per pixel) reads its 8 channels of an N block as one uvec4,
    // neighbouring invocations neighbouring uvec4s.
    bool f16_c() const { return sums != CoopSums::f32; }
    // The C blocks themselves f16 (16x8x16 f16 += f16 x f16): half the accumulator registers; the
    // store then converts nothing.
    bool f16_sums() const { return sums == CoopSums::f16; }
    // Halves of shared memory for S, floats for the C blocks; S is declared large enough for both.
    int staged_halves() const { return sw() * sw() * ps(); }
    int c_floats() const { return np * c_stride(); }
    int c_bytes() const { return f16_c() ? 2 * np * tile * tile : 4 * c_floats(); }
    int shared_bytes() const { return std::max(2 * staged_halves(), c_bytes()); }

    // Element offsets (in halves of S, halves of the weight buffer, floats of C).
    int a_offset(int row, int tap, int kb) const { return staged_row(row, tap) * sw() * ps() + tap % 3 * dilation * ps() + kb * k; }
    int staged_row(int row, int tap) const { return row + tap / 3 * dilation; }  // the S row tap (ky, kx) of `row` reads
    int b_offset(int tap, int kb, int nb) const { return ((tap * k_blocks() + kb) * n_blocks() + nb) * k * n; }
    int c_offset(int row, int nb) const { return nb * n * c_stride() + row * tile; }  // column-major
    int c_stride() const { return tile * tile + 4; }  // between output channels (the block's columns)
    int c_index(int pixel, int channel) const { return channel * c_stride() + pixel; }
    // With f16_c (offsets in halves): block (row, nb) row-major, element [i][j] at hc_offset + i * n + j.
    int hc_offset(int row, int nb) const { return (nb * tile * tile + row * tile) * n; }
    int hc_index(int pixel, int channel) const { return (channel / n * tile * tile + pixel) * n + channel % n; }
};

// enc0's feature staging (pass_plan.cpp emit_coop_enc0_pass), for a workgroup whose output tile starts
// at pixel tile0 (a multiple of 16). First A1: mip1 pixels from (tile0 >> 1) - 2 on, a1_side per side,
// entry j the in-image mean of the clamped pixels tile0 - 4 + 2 (j % a1_side, j / a1_side) + {0, 1}^2.
// Then staged pixel i, image pixel tile0 - 1 + (i % staged_side, i / staged_side), takes its mip1 from
// A1 entry mip1_entry(i) and its mip2 as the in-image mean of the 2 x 2 A1 entries at mip2_window(i)
// (+0, +1, +a1_side, +a1_side + 1), and its albedo from A0 (below). Plain arithmetic shared with the CPU
// test (tests/coop_gemm_test.cpp).
struct CoopEnc0Staging {
    static constexpr int a1_side = CoopGeometry::tile / 2 + 4;
    static constexpr int staged_side = CoopGeometry::tile + 2;
    // Staged pixel i counted from tile0 - 4 (A1's first pixel), per axis.
    static int tx(int i) { return i % staged_side + 3; }
    static int ty(int i) { return i / staged_side + 3; }
    static int mip1_entry(int i) { return (ty(i) >> 1) * a1_side + (tx(i) >> 1); }
    static int mip2_window(int i) { return (ty(i) >> 2) * 2 * a1_side + (tx(i) >> 2) * 2; }
    // A0: the clamped albedo of every pixel under A1, a0_side per side from tile0 - 4, filled by A1's
    // entries from one textureGather per colour each: component k of entry j's gathers is the pixel
    // 2 (j % a1_side, j / a1_side) + gather_offset(k) (Vulkan's gather order). Staged pixel i reads its
    // albedo at albedo_entry(i).
    static constexpr int a0_side = 2 * a1_side;
    static int gather_dx(int k) { return k == 1 || k == 2 ? 1 : 0; }
    static int gather_dy(int k) { return k < 2 ? 1 : 0; }
    static int a0_entry(int j, int k) { return (2 * (j / a1_side) + gather_dy(k)) * a0_side + 2 * (j % a1_side) + gather_dx(k); }
    static int albedo_entry(int i) { return ty(i) * a0_side + tx(i); }
};

// The fused low-resolution pass of the tensor-core plan: enc1, the bottleneck and dec1 in one
// workgroup per 16 x 16 tile of dec1's output (half resolution), for networks with c0 = 8 and c1 = 16
// ([8,16]). E1 and B never leave shared memory: the workgroup recomputes the halo they need
// (enc1 on 28 x 28 half-resolution pixels, the bottleneck on 10 x 10 quarter-resolution pixels).
// Each stage is an implicit GEMM over a flattened grid: output j of a grid of width `w` reads its
// input at j + (ky * w + kx) * dilation, so sixteen consecutive j are one A block at a constant
// stride; the outputs whose x lands past the valid width (the last 2 or 4 of each row) are computed
// and ignored. All offsets below are in pixels of the named array (workgroup tile origin p0 at half
// resolution, q0 = p0 / 2 at quarter resolution):
//   S0: pooled E0 (8 channels = 8 halves, one uvec4 per pixel) at half-resolution p0 - 7 + (x, y),
//       a 30 x 30 grid plus zero pixels past it that the last M block's taps read.
//   E1: enc1's output over the S0 grid (row width 30), pixel (x, y) at p0 - 6 + (x, y), valid for x
//       < 28; 16 halves (two uvec4) per pixel, zero outside the image (dec1's zero padding).
//       enc1's 8 input channels give half a K block, so one K block holds two horizontal taps: the
//       A block at S0 pixel j + ky * 30 + 2 * pair, read at a row stride of ONE pixel (8 halves),
//       covers pixels +0 and +1: K rows 0-7 are tap kx = 2 pair, rows 8-15 tap 2 pair + 1 (kx = 3
//       has zero weights). Six K blocks instead of nine, and half the staged memory.
//   P:  pooled E1 (16 halves per pixel) at quarter-resolution q0 - 3 + (x, y), a 14 x 14 grid + pad.
//   B:  the bottleneck (dilation 2) over the P grid (row width 14), pixel (x, y) at q0 - 1 + (x, y),
//       valid for x < 10.
//   U:  up2(B) at half-resolution p0 - 1 + (x, y), 18 x 18, zero outside the image; U(x, y) is B
//       pixel ((x + 1) >> 1, (y + 1) >> 1).
//   dec1: the coop_gemm row scheme (two rows of 16 per subgroup); K block 0 (up2(B)) from U at
//       (r + ky) * 18 + kx + c, K block 1 (E1) from E1 at (r + 5 + ky) * 30 + 5 + kx + c.
struct CoopLowRes {
    static constexpr int tile = 16;
    static constexpr int s0_side = 30, s0_origin = -7;
    static constexpr int e1_rows = 28, e1_valid = 28, e1_origin = -6;
    static constexpr int enc1_m_blocks = (e1_rows * s0_side + 15) / 16;
    static constexpr int enc1_k_blocks = 6;  // (ky, pair)
    // The last pixel the last enc1 M block reads: row 15 of the block, ky = 2, pair 1, second tap.
    static constexpr int s0_pixels = enc1_m_blocks * 16 - 1 + 2 * s0_side + 3 + 1;
    static constexpr int e1_pixels = enc1_m_blocks * 16;
    static constexpr int p_side = 14, p_origin = -3;
    static constexpr int b_rows = 10, b_valid = 10, b_origin = -1;
    static constexpr int bottleneck_m_blocks = (b_rows * p_side + 15) / 16;
    static constexpr int p_pixels = bottleneck_m_blocks * 16 - 1 + 2 * (2 * p_side + 2) + 1;
    static constexpr int b_pixels = bottleneck_m_blocks * 16;
    static constexpr int u_side = tile + 2;
    // Byte offsets in the one shared array. S0 (then P and B, then U, then dec1's C blocks) and the
    // per-subgroup scratch (one 16 x 8 f32 block each) share the first region; E1 follows.
    static constexpr int s0_at = 0, scratch_at = s0_at + 16 * s0_pixels, scratch_bytes = 16 * 8 * 4;
    static constexpr int p_at = 0, b_at = p_at + 32 * p_pixels, u_at = b_at + 32 * b_pixels;
    static constexpr int e1_at = std::max({scratch_at + 8 * scratch_bytes, u_at + 32 * u_side * u_side});
    static constexpr int shared_bytes = e1_at + 32 * e1_pixels;

    static int s0_pixel(int j, int ky, int pair) { return j + ky * s0_side + 2 * pair; }  // enc1's A block
    static int p_pixel(int j, int tap) { return j + 2 * (tap / 3 * p_side + tap % 3); }   // the bottleneck's
    static int b_pixel_of_u(int x, int y) { return ((y + 1) >> 1) * p_side + ((x + 1) >> 1); }
    static int u_pixel(int r, int tap, int c) { return (r + tap / 3) * u_side + tap % 3 + c; }       // dec1, K block 0
    static int e1_pixel(int r, int tap, int c) { return (r + 5 + tap / 3) * s0_side + 5 + tap % 3 + c; }  // K block 1
};

// enc1's weights for the paired taps (CoopLowRes): block (kb = ky * 2 + pair, nb) at
// (kb * 2 + nb) * 128 halves, element [kk][nn] the weight from channel kk % 8 at tap (ky, 2 pair +
// kk / 8) to output nb * 8 + nn (0 for kx = 3). conv.in must be 8 and conv.out 16.
std::vector<std::uint16_t> pack_paired_weights(const ConvWeights& conv);

// Where the GEMM loads its B (weight) blocks: straight from the weights buffer (true) or from a copy
// each workgroup makes in shared memory first. Measured per pass on an H100 (bench/RESULTS.md,
// "Session 6"): from the buffer the passes with a single K and N block (9 B blocks: the [8,16] enc0
// and dec0, the [4,8] bottleneck and dec1) ran 3-5 % faster, while enc1 and dec1 of [8,16] (18 B
// blocks) ran 17-29 % slower (the [8,16] bottleneck, also 18, 8 % faster).
inline bool coop_b_from_buffer(const CoopGeometry& g) { return g.k_blocks() * g.n_blocks() == 1; }

// Whether the tensor-core form of a conv pays against the FMA form. Measured per pass on an H100
// (bench/RESULTS.md "tc, second version"): the tensor-core form was as fast or faster where
// in x out >= 64 (every [8,16] layer, the [4,8] bottleneck 8 x 8 and dec1 16 x 4) and slower below
// (the [4,8] enc0, 13 staged features x 4; enc1 4 x 8; dec0 8 x 4): its staging, barriers and C round
// trip through shared memory cost about the same per pixel whatever the channels.
inline bool coop_pays(int in_channels, int out_channels) { return in_channels * out_channels >= 64; }

// The geometry of a conv whose staged pixels hold `channels` input values, summed as `sums` says.
CoopGeometry coop_geometry(const ConvShape& conv, int channels, CoopSums sums = CoopSums::f32);

// The weights as the GEMM reads them: for every (tap, kb, nb) block, element [kk][nn] (row-major,
// n per row) is the weight from input channel channel_map[kb * k + kk] (-1: padding, weight 0) to
// output channel nb * n + nn (0 past conv.out). Returned as IEEE halves (the model's weights are
// halves already, so nothing is rounded).
std::vector<std::uint16_t> pack_coop_weights(const ConvWeights& conv, const std::vector<int>& channel_map,
                                             const CoopGeometry& geometry);

}  // namespace cnnv3
