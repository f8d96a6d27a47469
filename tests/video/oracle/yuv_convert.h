// YUV and gray frames <-> float RGB, by the ITU-T H.273 equations of color_tags.h evaluated in
// float: no dithering, each code value rounded once, black and white exact. Chroma is resampled
// between its grid and the luma grid by chroma_resampler.h at the frame's chroma location (the
// frame-agnostic math is yuv_planes.h; this reads and writes the AVFrame's code values).
// Any integer YUV layout works (planar, semi-planar such as nv12/p010, packed such as yuyv422,
// with or without alpha; gray and gray + alpha). Internal to filter/video (FrameConverter uses it).
#pragma once

#include "color_tags.h"
#include "rgb_frame.h"
#include "yuv_planes.h"

extern "C" {
#include <libavutil/frame.h>
}

#include <cstdint>
#include <vector>

namespace cnnv3 {

// Converts YUV / gray frames to and from RgbFrame; keeps its scratch planes and resampling taps
// between frames (one instance per stream).
class YuvConverter {
public:
    // Fills out.rgb (clamped to [0, 1]) and out.alpha (empty when the format has none).
    void to_rgb(const AVFrame& in, const YuvInterpretation& yuv, RgbFrame& out);
    // Writes `in` (same size) into `out`, whose buffers are allocated and writable.
    void from_rgb(const RgbFrame& in, const YuvInterpretation& yuv, AVFrame& out);

private:
    YuvPlaneConverter planes_;
    std::vector<float> ones_;
    std::vector<uint32_t> line_;
};

}  // namespace cnnv3
