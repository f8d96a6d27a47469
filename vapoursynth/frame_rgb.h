// VapourSynth frames <-> the network's float RGB planes.
//
// RGB clips (8-16 bit integer, half and single float) are read as code / (2^bits - 1) or as the
// float itself; YUV and gray clips go through filter/video's H.273 conversion (yuv_planes.h) with
// the frame's _Matrix, _Range (or the older _ColorRange) and _ChromaLocation (unset: the same
// defaults as the cnnv3 command, docs/video.md). Float YUV is Y' in [0, 1] and chroma in
// [-0.5, 0.5] whatever the range says. _Transfer and _Primaries are kept on the output and never converted: the
// network works on the gamma-encoded values. Output values are rounded once, never dithered.
#pragma once

#include "planes.h"
#include "yuv_planes.h"

#include <VapourSynth4.h>

#include <stdexcept>
#include <string>

namespace cnnv3::vs {

// A frame this module cannot convert (an unsupported matrix tag); what() is one line.
class FrameFormatError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Converts frames of one clip; holds scratch planes, so one per thread (or per call).
class FrameRgbConverter {
public:
    // `in`'s planes -> rgb (3 x height x width in [0, 1]).
    void to_rgb(const VSFrame* in, const VSAPI* vsapi, Planes& rgb);
    // rgb -> `out` (same format and size as the frame read), with `tags_from`'s colour properties.
    void from_rgb(const Planes& rgb, const VSFrame* tags_from, VSFrame* out, const VSAPI* vsapi);

private:
    YuvPlaneConverter yuv_;
};

}  // namespace cnnv3::vs
