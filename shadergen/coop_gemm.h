// The tensor-core form of a 3x3 conv pass: an implicit GEMM over the 9 taps with cooperative
// matrices (GL_NV_cooperative_matrix), f16 x f16 + f32, blocks of M x N x K = 16 x 8 x 16.
//
// A workgroup computes a 16 x 16 tile of output pixels. Its input tile plus the halo (`dilation`
// pixels each side, zero outside the image) is staged in shared memory as f16, pixel-major:
// S[pixel * kp + channel], with the conv's input channels padded to kp (a multiple of 16). Output row
// r of the tile, tap (ky, kx) and K block kb is then the 16 x 16 matrix at a_offset() with row stride
// kp: sixteen neighbouring pixels, sixteen channels each. The weights are packed (pack_weights) into
// 16 x 8 blocks, row-major, one per (tap, kb, nb), at b_offset(); C blocks (16 pixels x 8 output
// channels, f32) go back to shared memory channel-major, O[channel * 256 + pixel], stored column-major
// at c_offset() with stride c_stride(), so that the epilogue's invocations (one per pixel) read
// neighbouring floats: pixel-major, 8 channels apart, cost 8-way bank conflicts.
//
// Everything here is plain integer arithmetic shared by the GLSL emitter (pass_plan.cpp) and the CPU
// test that replays the GEMM block by block against conv3x3 (tests/coop_gemm_test.cpp).
#pragma once

#include "model.h"

#include <cstdint>
#include <vector>

namespace cnnv3 {

struct CoopGeometry {
    static constexpr int tile = 16;       // output pixels per workgroup side; one M block per row
    static constexpr int m = 16, n = 8, k = 16;
    int dilation = 1;
    int kp = 16;     // staged channels per pixel (input channels padded to a multiple of k)
    int np = 8;      // output channels padded to a multiple of n
    int sw() const { return tile + 2 * dilation; }  // staged tile side
    int k_blocks() const { return kp / k; }
    int n_blocks() const { return np / n; }
    // Halves of shared memory for S, floats for the C blocks.
    int staged_halves() const { return sw() * sw() * kp; }
    int c_floats() const { return tile * tile * np; }

    // Element offsets (in halves of S, halves of the weight buffer, floats of C).
    int a_offset(int row, int tap, int kb) const
    {
        return ((row + tap / 3 * dilation) * sw() + tap % 3 * dilation) * kp + kb * k;
    }
    int b_offset(int tap, int kb, int nb) const { return ((tap * k_blocks() + kb) * n_blocks() + nb) * k * n; }
    int c_offset(int row, int nb) const { return nb * n * tile * tile + row * tile; }  // column-major
    int c_stride() const { return tile * tile; }  // between output channels (the block's columns)
    int c_index(int pixel, int channel) const { return channel * c_stride() + pixel; }
};

// The geometry of a conv whose staged pixels hold `channels` input values.
CoopGeometry coop_geometry(const ConvShape& conv, int channels);

// The weights as the GEMM reads them: for every (tap, kb, nb) block, element [kk][nn] (row-major,
// n per row) is the weight from input channel channel_map[kb * k + kk] (-1: padding, weight 0) to
// output channel nb * n + nn (0 past conv.out). Returned as IEEE halves (the model's weights are
// halves already, so nothing is rounded).
std::vector<std::uint16_t> pack_coop_weights(const ConvWeights& conv, const std::vector<int>& channel_map,
                                             const CoopGeometry& geometry);

}  // namespace cnnv3
