#include "chroma_resampler.h"


#include <algorithm>
#include <cmath>
#include <cstddef>

namespace cnnv3 {

namespace {

// Lanczos-3: sinc windowed by a wider sinc; support [-3, 3].
double lanczos3(double x)
{
    constexpr double pi = 3.14159265358979323846;
    x = std::abs(x);
    if (x < 1e-9)
        return 1.0;
    if (x >= 3.0)
        return 0.0;
    return 3.0 * std::sin(pi * x) * std::sin(pi * x / 3.0) / (pi * pi * x * x);
}

}  // namespace

ResampleTaps make_taps(const SampleGrid& from, const SampleGrid& to)
{
    ResampleTaps t;
    t.output_count = to.count;
    // Reducing (output samples further apart than input ones) widens the kernel to low-pass.
    const double scale = std::max(1.0, to.step / from.step);
    const double support = 3.0 * scale;
    t.taps = static_cast<int>(std::ceil(2.0 * support)) + 1;
    t.indices.resize(static_cast<std::size_t>(to.count) * t.taps);
    t.weights.resize(static_cast<std::size_t>(to.count) * t.taps);
    std::vector<double> w(static_cast<std::size_t>(t.taps));
    for (int j = 0; j < to.count; ++j) {
        // Position of output sample j in input sample units.
        const double u = (to.step * j + to.offset - from.offset) / from.step;
        const int first = static_cast<int>(std::floor(u - support)) + 1;
        double sum = 0.0;
        for (int k = 0; k < t.taps; ++k) {
            w[k] = lanczos3((first + k - u) / scale);
            sum += w[k];
        }
        for (int k = 0; k < t.taps; ++k) {
            const std::size_t at = static_cast<std::size_t>(j) * t.taps + k;
            t.indices[at] = std::clamp(first + k, 0, from.count - 1);
            t.weights[at] = static_cast<float>(w[k] / sum);
        }
    }
    return t;
}

namespace {

// One row through the horizontal taps; TAPS > 0 fixes the tap count at compile time (unrolled).
template <int TAPS>
void resample_row(const float* row, const ResampleTaps& t, float* dst)
{
    const int taps = TAPS > 0 ? TAPS : t.taps;
    for (int x = 0; x < t.output_count; ++x) {
        const std::size_t at = static_cast<std::size_t>(x) * taps;
        const float* w = t.weights.data() + at;
        const int* idx = t.indices.data() + at;
        float acc = 0.0f;
        for (int k = 0; k < taps; ++k)
            acc += w[k] * row[idx[k]];
        dst[x] = acc;
    }
}

void horizontal_pass(const float* in, int width_in, int rows, const ResampleTaps& t, float* out)
{
    {
        const int y0 = 0, y1 = rows;
        for (int y = y0; y < y1; ++y) {
            const float* row = in + static_cast<std::size_t>(y) * width_in;
            float* dst = out + static_cast<std::size_t>(y) * t.output_count;
            switch (t.taps) {
            case 7: resample_row<7>(row, t, dst); break;    // Lanczos-3 enlarging
            case 13: resample_row<13>(row, t, dst); break;  // Lanczos-3 reducing by 2
            default: resample_row<0>(row, t, dst); break;
            }
        }
    }
}

// Whole rows at a time (vectorises over x).
void vertical_pass(const float* in, int width, const ResampleTaps& t, float* out)
{
    {
        const int y0 = 0, y1 = t.output_count;
        for (int y = y0; y < y1; ++y) {
            float* dst = out + static_cast<std::size_t>(y) * width;
            std::fill_n(dst, width, 0.0f);
            const std::size_t at = static_cast<std::size_t>(y) * t.taps;
            for (int k = 0; k < t.taps; ++k) {
                const float weight = t.weights[at + k];
                if (weight == 0.0f)
                    continue;
                const float* src = in + static_cast<std::size_t>(t.indices[at + k]) * width;
                for (int x = 0; x < width; ++x)
                    dst[x] += weight * src[x];
            }
        }
    }
}

}  // namespace

void resample_plane(const float* in, int width_in, int height_in, const ResampleTaps& horizontal,
                    const ResampleTaps& vertical, std::vector<float>& out, std::vector<float>& scratch)
{
    const int width_out = horizontal.output_count;
    const int height_out = vertical.output_count;
    out.resize(static_cast<std::size_t>(width_out) * height_out);
    if (height_out < height_in) {
        // Reducing rows: vertical first, so the horizontal pass (the slower one) sees fewer rows.
        scratch.resize(static_cast<std::size_t>(width_in) * height_out);
        vertical_pass(in, width_in, vertical, scratch.data());
        horizontal_pass(scratch.data(), width_in, height_out, horizontal, out.data());
    } else {
        scratch.resize(static_cast<std::size_t>(width_out) * height_in);
        horizontal_pass(in, width_in, height_in, horizontal, scratch.data());
        vertical_pass(scratch.data(), width_out, vertical, out.data());
    }
}

}  // namespace cnnv3
