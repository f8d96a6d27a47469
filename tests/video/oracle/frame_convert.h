// Decoded frames (AVFrame, any format pixel_formats.h can read) to RgbFrame and back.
//
// RGB formats are read and written directly, value / (2^depth - 1) and round(v * (2^depth - 1)),
// so RGB frames survive a round trip bit for bit. YUV and gray formats are converted in float by
// the H.273 equations with the matrix, range and chroma location of color_tags.h (yuv_convert.h):
// black and white are exact, every code value is rounded once, nothing is dithered. docs/video.md
// gives the measured round-trip error.
#pragma once

#include "av_handles.h"
#include "color_tags.h"
#include "rgb_frame.h"
#include "yuv_convert.h"

#include <string>
#include <vector>

namespace cnnv3 {

class FrameConverter {
public:
    // `source` names the stream in error messages ("in.mkv", "stdin").
    explicit FrameConverter(std::string source = "frame");

    // Fills out.rgb (3 x H x W, in [0, 1]) and out.alpha (H x W when the format has alpha, else
    // empty) from `in`; out.time and out.index are left alone. Throws VideoError for an
    // unsupported pixel format or colour matrix.
    void to_rgb(const AVFrame& in, RgbFrame& out);

    // Writes `in` into `out`, whose format, width and height (equal to in's) and colour tags the
    // caller has set; the tags decide the YUV matrix, range and chroma location. Allocates out's
    // buffers when it has none (else they must be writable). Values are clamped to [0, 1] (NaN
    // becomes 0); a missing alpha plane is written as opaque, an alpha plane the format cannot
    // hold is dropped.
    void from_rgb(const RgbFrame& in, AVFrame& out);

private:
    std::string source_;
    YuvConverter yuv_;
    std::vector<uint32_t> line_;
    std::vector<float> ones_;
};

}  // namespace cnnv3
