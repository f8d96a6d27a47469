// How the GPU frame path (frame_planes_gpu.h) reads a decoded frame's colour: color_tags.h's
// interpretation of the frame's tags (matrix, range, chroma location, with its defaults) as a
// PlaneColor. One definition for the `cnnv3` command and the VapourSynth plugin (which tags its
// frame views from the _Matrix, _Range and _ChromaLocation props).
//
// Pure functions, thread-safe. Errors: VideoError(source, ...) for a matrix color_tags.h refuses.
#pragma once

#include "frame_planes_gpu.h"

extern "C" {
#include <libavutil/frame.h>
}

#include <optional>
#include <string>

namespace cnnv3 {

// `frame`'s PlaneColor; nullopt for a matrix libplacebo has no system for (FCC).
std::optional<PlaneColor> plane_color(const AVFrame& frame, const std::string& source);

}  // namespace cnnv3
