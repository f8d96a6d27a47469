// One decoded video frame as the network sees it: planar float RGB in [0, 1] in the frame's own
// transfer (gamma-encoded values, no linearisation), plus alpha when the source has it.
#pragma once

#include "planes.h"

#include <cstdint>
#include <vector>

namespace cnnv3 {

struct RgbFrame {
    Planes rgb;                // 3 x height x width: R, G, B in [0, 1] (cnnv3::Planes, what NetworkRunner takes)
    std::vector<float> alpha;  // height x width in [0, 1] when the source pixel format has alpha, else empty
    double time = 0.0;         // presentation time in seconds, from the container's start (filter/audio's origin)
    int64_t index = 0;         // 0-based output frame number

    int width() const { return rgb.width; }
    int height() const { return rgb.height; }
    bool has_alpha() const { return !alpha.empty(); }
};

}  // namespace cnnv3
