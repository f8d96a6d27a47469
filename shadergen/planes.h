// A planar f32 image: C channels of H x W, channel-major (like one PyTorch NCHW batch item).
#pragma once

#include <cstddef>
#include <stdexcept>
#include <vector>

namespace cnnv3 {

struct Planes {
    int channels = 0;
    int height = 0;
    int width = 0;
    std::vector<float> data;

    Planes() = default;
    Planes(int c, int h, int w, float fill = 0.0f)
        : channels(c), height(h), width(w), data(static_cast<std::size_t>(c) * h * w, fill)
    {
        if (c < 0 || h < 0 || w < 0)
            throw std::invalid_argument("negative image size");
    }

    std::size_t plane_size() const { return static_cast<std::size_t>(height) * width; }
    float* plane(int c) { return data.data() + static_cast<std::size_t>(c) * plane_size(); }
    const float* plane(int c) const { return data.data() + static_cast<std::size_t>(c) * plane_size(); }
    float& at(int c, int y, int x) { return plane(c)[static_cast<std::size_t>(y) * width + x]; }
    float at(int c, int y, int x) const { return plane(c)[static_cast<std::size_t>(y) * width + x]; }
};

}  // namespace cnnv3
