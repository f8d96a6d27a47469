// VapourSynth frames as FFmpeg frames, for the GPU frame path (filter/gpu/frame_planes_gpu.h) that
// the plugin shares with the `cnnv3` command.
//
// Integer formats (8, 9, 10, 12, 14, 16 bit where FFmpeg has the layout): an AVFrame whose data
// pointers and linesizes are the VSFrame's own planes - no copy - with the equivalent pixel format
// (YUV yuv4xxp*, Gray gray*, RGB gbrp* with the planes in FFmpeg's G, B, R order). Float formats
// (half, single) have no FFmpeg equivalent: they are quantised to 16-bit full-range codes of the
// same layout (Y' and R, G, B times 65535, chroma times 65535 plus 32768, rounded and clamped)
// and the output is read back as code / 65535 - 1/65535 steps, finer than the network's 16-bit
// float output.
//
// Colour: the frame props _Matrix (H.273 numbers, as FFmpeg's), _Range (R74+; else the older
// _ColorRange, counted the other way round) and _ChromaLocation (0 = left) become the AVFrame's
// colour tags; color_tags.h then interprets them (defaults included) for both hosts alike.
// _Transfer and _Primaries are not read: the network works on the gamma-encoded values.
//
// Thread-safety: a view is used by one thread; views of different frames are independent.
#pragma once

#include "av_handles.h"

#include <VapourSynth4.h>

#include <string>

namespace cnnv3::vs {

// The FFmpeg pixel format that frames of `format` are viewed as (AV_PIX_FMT_NONE: not supported).
AVPixelFormat view_pixel_format(const VSVideoFormat& format);
// The formats view_pixel_format() takes, in words, for error messages.
extern const char* const supported_formats_text;

class FrameView {
public:
    // A view of `frame` for reading.
    FrameView(const VSFrame* frame, const VSAPI* vsapi);
    // A view of `frame` (newly made, of `input`'s format and size) for writing, tagged like `input`.
    FrameView(VSFrame* frame, const FrameView& input, const VSAPI* vsapi);
    FrameView(const FrameView&) = delete;
    FrameView& operator=(const FrameView&) = delete;

    const AVFrame& frame() const { return *frame_; }
    AVFrame& frame() { return *frame_; }

    // After writing into frame(): float formats' codes back into `out` (integer views wrote there
    // already).
    void store(VSFrame* out, const VSAPI* vsapi) const;

private:
    void point_at(uint8_t* const planes[3], const std::ptrdiff_t strides[3]);

    av::Frame frame_ = av::make_frame();
    const VSVideoFormat* format_ = nullptr;
};

}  // namespace cnnv3::vs
