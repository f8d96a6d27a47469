// Reading and writing one component of a frame as floats, for any non-bitstream integer layout
// (planar, semi-planar, packed, bit-packed): plain loads and stores where the component owns whole
// bytes or native-endian 16-bit words, av_read_image_line2 / av_write_image_line2 otherwise.
// Internal to filter/video.
#pragma once

extern "C" {
#include <libavutil/frame.h>
#include <libavutil/pixdesc.h>
}

#include <cstdint>
#include <vector>

namespace cnnv3 {

// Component c (width x height samples at its own resolution) into dst as (code - offset) * scale.
void read_component(const AVFrame& frame, int c, int width, int height, float offset, float scale, float* dst,
                    std::vector<uint32_t>& line);

// src into component c as round(value * scale + offset), clamped to [0, 2^depth - 1] (NaN -> 0).
// The frame must have been through prepare_for_writing().
void write_component(AVFrame& frame, int c, int width, int height, float scale, float offset, const float* src,
                     std::vector<uint32_t>& line);

// Zeroes the frame's planes when some component is bit-packed or the layout has padding bits
// (av_write_image_line2 ORs bits into place, and padding must be defined).
void prepare_for_writing(AVFrame& frame);

// The index of the alpha component (1 for gray + alpha, 3 for RGBA / YUVA), or -1.
int alpha_component(const AVPixFmtDescriptor& desc);

}  // namespace cnnv3
