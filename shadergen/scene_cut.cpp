#include "scene_cut.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <cstdint>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace cnnv3 {

namespace {

constexpr int cells = scene_thumbnail_cells;

// [begin, end) of cell i of `size` pixels: at least one pixel even when size < cells.
std::pair<int, int> cell_span(int i, int size)
{
    const int begin = static_cast<int>(static_cast<long long>(i) * size / cells);
    const int end = static_cast<int>(static_cast<long long>(i + 1) * size / cells);
    return {std::min(begin, size - 1), std::max(end, std::min(begin, size - 1) + 1)};
}

// Averages sample(x, y) * scale over every cell. Integer samples (codes) are summed exactly as
// integers, and scaled once per cell: the same value as summing the scaled codes, without a chain of
// double additions per pixel (5 ms for a 1080p luma plane; the thumbnail is taken for every frame
// on the GPU path's thread). Other samples are summed in double, so the result does not depend on
// the order the rows are visited in.
template <typename Sample>
LumaThumbnail average_cells(int width, int height, Sample sample, double scale = 1.0)
{
    if (width <= 0 || height <= 0)
        throw std::invalid_argument("a scene thumbnail needs a frame of at least 1x1 pixels");
    using Value = decltype(sample(0, 0));
    constexpr bool exact = std::is_integral_v<Value>;
    LumaThumbnail t;
    for (int cy = 0; cy < cells; ++cy) {
        const auto [y0, y1] = cell_span(cy, height);
        for (int cx = 0; cx < cells; ++cx) {
            const auto [x0, x1] = cell_span(cx, width);
            std::conditional_t<exact, std::uint64_t, double> sum = 0;
            for (int y = y0; y < y1; ++y) {
                std::conditional_t<exact, std::uint32_t, double> row = 0;  // a row of 16-bit codes fits
                for (int x = x0; x < x1; ++x)
                    row += sample(x, y);
                sum += row;
            }
            t.cells[static_cast<std::size_t>(cy * cells + cx)] =
                static_cast<float>(static_cast<double>(sum) * scale / (static_cast<double>(y1 - y0) * (x1 - x0)));
        }
    }
    return t;
}

}  // namespace

LumaThumbnail luma_thumbnail(const LumaPlaneView& p)
{
    if (!p.data)
        throw std::invalid_argument("a scene thumbnail needs a luma plane");
    auto row = [&](int y) { return p.data + static_cast<std::ptrdiff_t>(y) * p.stride; };
    switch (p.bytes_per_sample) {
    case 1:
        return average_cells(p.width, p.height, [&](int x, int y) { return static_cast<std::uint32_t>(row(y)[x]); },
                             1.0 / 255.0);
    case 2: {
        if (p.bit_depth < 1 || p.bit_depth > 16)
            throw std::invalid_argument("a 16-bit luma plane needs a bit depth in [1, 16]");
        const double scale = 1.0 / ((1 << p.bit_depth) - 1);
        return average_cells(
            p.width, p.height,
            [&](int x, int y) {
                std::uint16_t v;
                std::memcpy(&v, row(y) + 2 * x, 2);
                return static_cast<std::uint32_t>(v);
            },
            scale);
    }
    case 4:
        return average_cells(p.width, p.height, [&](int x, int y) {
            float v;
            std::memcpy(&v, row(y) + 4 * x, 4);
            return std::isfinite(v) ? static_cast<double>(v) : 0.0;
        });
    default:
        throw std::invalid_argument("a luma plane has 1, 2 or 4 bytes per sample");
    }
}

LumaThumbnail luma_thumbnail(const Planes& rgb)
{
    if (rgb.channels < 3)
        throw std::invalid_argument("a scene thumbnail of RGB needs 3 channels");
    const float* r = rgb.plane(0);
    const float* g = rgb.plane(1);
    const float* b = rgb.plane(2);
    const auto w = static_cast<std::size_t>(rgb.width);
    return average_cells(rgb.width, rgb.height, [&](int x, int y) {
        const std::size_t i = static_cast<std::size_t>(y) * w + static_cast<std::size_t>(x);
        return 0.2126 * r[i] + 0.7152 * g[i] + 0.0722 * b[i];
    });
}

float thumbnail_difference(const LumaThumbnail& a, const LumaThumbnail& b)
{
    double sum = 0.0;
    for (std::size_t i = 0; i < a.cells.size(); ++i)
        sum += std::abs(static_cast<double>(a.cells[i]) - b.cells[i]);
    return static_cast<float>(sum / static_cast<double>(a.cells.size()));
}

bool is_scene_cut(const LumaThumbnail& previous, const LumaThumbnail& current)
{
    return thumbnail_difference(previous, current) >= scene_cut_threshold;
}

}  // namespace cnnv3
