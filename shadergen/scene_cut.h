// Scene cuts for the temporal feedback (SPEC §2: prev.rgb is 0 on the first frame, after a seek and
// after a scene cut; docs/formats.md "prev.rgb" states the rule users see).
//
// A frame is reduced to a luma thumbnail: the mean luma of each cell of a fixed 16 × 16 grid over
// the frame (cell edges at floor(i · size / 16); a frame narrower or shorter than 16 repeats pixels
// so every cell holds at least one). Frame n is a cut when the mean absolute difference between its
// thumbnail and frame n−1's is at least scene_cut_threshold (luma in [0, 1]). Coarse cells ignore
// motion of a few pixels, noise and grain; a hard cut to another shot changes most cells.
//
// The web tool runs the same rule in JavaScript (web/scene_cut.js) with the constants that
// `cnnv3-shadergen wgsl` writes into web/generated/plan.js from this header.
//
// Pure CPU functions over the frame's pixels (shadergen: no GPU, no FFmpeg; the CLI and the
// VapourSynth plugin pass their decoded luma or RGB): deterministic (the same frames give the same answer
// on every machine, in any order), no state, thread-safe. The caller keeps the previous thumbnail.
#pragma once

#include "planes.h"

#include <array>
#include <cstddef>
#include <cstdint>

namespace cnnv3 {

inline constexpr int scene_thumbnail_cells = 16;  // per side

// Mean absolute difference of two thumbnails, in luma units of [0, 1], from which frame n is a cut:
// 0.06 (about 15/255 per cell on average). Measured on the sample photo (tests/scene_cut_test.cpp
// prints them): a 1 px pan 0.0034, an 8 px pan 0.027, noise of sigma 0.05 0.0013, a 5 % brightness
// step 0.023; the same photo turned half a turn (another shot with the same colours) 0.0995.
inline constexpr float scene_cut_threshold = 0.06f;

struct LumaThumbnail {
    std::array<float, scene_thumbnail_cells * scene_thumbnail_cells> cells{};  // row-major, luma in [0, 1]
};

// A luma (or gray) plane as decoded: `bytes_per_sample` 1 (8-bit), 2 (up to 16-bit, native endian,
// values up to 2^bit_depth − 1) or 4 (float, in [0, 1]). Full-range and limited-range planes are
// both taken as they are (the difference scales the metric by 219/255 at most).
struct LumaPlaneView {
    const std::uint8_t* data = nullptr;
    std::ptrdiff_t stride = 0;  // bytes from one row to the next
    int width = 0;
    int height = 0;
    int bytes_per_sample = 1;
    int bit_depth = 8;
};

// The thumbnail of a luma plane. Throws std::invalid_argument for an empty plane or an unknown
// sample size.
LumaThumbnail luma_thumbnail(const LumaPlaneView& plane);
// The thumbnail of gamma-encoded RGB planes (3 channels, in [0, 1]), luma with the BT.709 weights
// 0.2126, 0.7152, 0.0722. Throws std::invalid_argument for fewer than 3 channels or an empty image.
LumaThumbnail luma_thumbnail(const Planes& rgb);

// Mean absolute difference of two thumbnails.
float thumbnail_difference(const LumaThumbnail& a, const LumaThumbnail& b);

// Whether `current` starts a new shot after `previous`: thumbnail_difference ≥ scene_cut_threshold.
bool is_scene_cut(const LumaThumbnail& previous, const LumaThumbnail& current);

}  // namespace cnnv3
