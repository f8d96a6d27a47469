// What a host reads from a decoded frame before the GPU frame path (frame_planes_gpu.h) takes it:
// how its codes map to RGB (color_tags.h's interpretation of its tags - matrix, range, chroma
// location, with its defaults - as a PlaneColor; RGB formats and pal8 as system RGB) and its
// scene-cut thumbnail (scene_cut.h). One definition for the `cnnv3` command and the VapourSynth
// plugin (which tags its frame views from the _Matrix, _Range and _ChromaLocation props).
//
// Thread-safety: plane_color() is pure; frame_thumbnail() and attach_thumbnail() use only the frame
// and the scratch they are given; a StreamPlaneColor is one thread's at a time.
// Errors: VideoError(source, ...) for a matrix color_tags.h refuses; std::bad_alloc.
#pragma once

#include "color_tags.h"
#include "frame_planes_gpu.h"
#include "scene_cut.h"

extern "C" {
#include <libavutil/frame.h>
}

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cnnv3 {

// `frame`'s PlaneColor.
PlaneColor plane_color(const AVFrame& frame, const std::string& source);

// plane_color() of a stream's frames, derived once while what it depends on stays the same (the
// pixel format, the size - the default matrix follows it - and the colour tags): per frame a few
// integer comparisons instead of interpret_yuv()'s defaults and the matrix's name mapped again.
// The same results and errors as plane_color().
class StreamPlaneColor {
public:
    const PlaneColor& of(const AVFrame& frame, const std::string& source);

private:
    struct Key {
        int format = -1;
        int width = 0;
        int height = 0;
        ColorTags tags;
        bool operator==(const Key&) const = default;
    };
    std::optional<Key> key_;  // what color_ was derived from; none before the first frame
    PlaneColor color_;
};

// frame_thumbnail()'s memory, kept between frames so that none is allocated per frame.
struct ThumbnailScratch {
    Planes rgb;
    std::vector<uint32_t> row;
};

// The scene-cut thumbnail of a decoded frame (a format gpu_format_problem() takes): straight from
// its luma plane where plane 0 holds luma alone (planar and semi-planar YUV, gray; p010's codes in
// the high bits read as 16-bit), else from its components as FFmpeg reads them (packed RGB, pal8,
// packed YUV): luma of RGB with scene_cut.h's weights, or the Y component.
LumaThumbnail frame_thumbnail(const AVFrame& frame, ThumbnailScratch& scratch);

// frame_thumbnail() made ahead (the `cnnv3` command: on the pipeline's prepare stage, in
// FrameProcessor::prepare_decoded) and carried by the frame in frame.opaque_ref (replaced; freed
// with the frame). attached_thumbnail(): that thumbnail, or nullptr where the frame carries none
// (opaque_ref empty or something else's).
void attach_thumbnail(AVFrame& frame, ThumbnailScratch& scratch);
const LumaThumbnail* attached_thumbnail(const AVFrame& frame);

}  // namespace cnnv3
