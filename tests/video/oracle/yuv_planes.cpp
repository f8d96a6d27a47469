#include "yuv_planes.h"


#include <algorithm>
#include <cmath>
#include <utility>

namespace cnnv3 {

namespace {

// One axis: the chroma grid of `count` samples, subsampled by 2^log2, at fraction `position`.
SampleGrid chroma_grid(int count, int log2, double position)
{
    const int factor = 1 << log2;
    return {count, static_cast<double>(factor), position * (factor - 1)};
}

// Branch-free so the loops vectorise; max(0, NaN) is 0.
inline float clamp01(float v)
{
    return std::min(1.0f, std::max(0.0f, v));
}

}  // namespace

YuvCodeLevels luma_code_levels(int depth, bool full_range)
{
    if (full_range)
        return {static_cast<float>((1u << depth) - 1), 0.0f};
    const double unit = std::ldexp(1.0, depth - 8);
    return {static_cast<float>(219.0 * unit), static_cast<float>(16.0 * unit)};
}

YuvCodeLevels chroma_code_levels(int depth, bool full_range)
{
    if (full_range)
        return {static_cast<float>((1u << depth) - 1), static_cast<float>(1u << (depth - 1))};
    const double unit = std::ldexp(1.0, depth - 8);
    return {static_cast<float>(224.0 * unit), static_cast<float>(128.0 * unit)};
}

const ResampleTaps& YuvPlaneConverter::taps(const SampleGrid& from, const SampleGrid& to)
{
    for (const CachedTaps& c : taps_)
        if (c.from == from && c.to == to)
            return c.taps;
    taps_.push_back({from, to, make_taps(from, to)});
    return taps_.back().taps;
}

void YuvPlaneConverter::to_rgb(const YuvPlaneLayout& layout, const YuvInterpretation& yuv, Planes& rgb)
{
    const int w = layout.width, h = layout.height;
    if (taps_.size() > 8)  // sizes changed often; start over (no reference into taps_ is held here)
        taps_.clear();
    if (rgb.channels != 3 || rgb.width != w || rgb.height != h)
        rgb = Planes(3, h, w);
    float* r = rgb.plane(0);
    float* g = rgb.plane(1);
    float* b = rgb.plane(2);
    const float* yy = luma_.data();
    const auto rows = [w](int y0, int y1) {
        return std::pair{static_cast<std::size_t>(y0) * w, static_cast<std::size_t>(y1) * w};
    };
    if (layout.gray) {
        {
            const int y0 = 0, y1 = h;
            const auto [begin, end] = rows(y0, y1);
            for (std::size_t i = begin; i < end; ++i)
                r[i] = g[i] = b[i] = clamp01(yy[i]);
        }
        return;
    }
    const float* u = cb_.data();
    const float* v = cr_.data();
    if (layout.log2_chroma_w > 0 || layout.log2_chroma_h > 0) {
        const int cw = layout.chroma_width(), ch = layout.chroma_height();
        const ResampleTaps& across = taps(chroma_grid(cw, layout.log2_chroma_w, yuv.chroma_h), {w, 1.0, 0.0});
        const ResampleTaps& down = taps(chroma_grid(ch, layout.log2_chroma_h, yuv.chroma_v), {h, 1.0, 0.0});
        resample_plane(cb_.data(), cw, ch, across, down, full_cb_, scratch_);
        resample_plane(cr_.data(), cw, ch, across, down, full_cr_, scratch_);
        u = full_cb_.data();
        v = full_cr_.data();
    }
    const float kr = static_cast<float>(yuv.kr), kb = static_cast<float>(yuv.kb);
    const float inv_kg = 1.0f / (1.0f - kr - kb);
    const float cr_to_r = 2.0f * (1.0f - kr), cb_to_b = 2.0f * (1.0f - kb);
    {
        const int y0 = 0, y1 = h;
        const auto [begin, end] = rows(y0, y1);
        for (std::size_t i = begin; i < end; ++i) {
            const float y = yy[i];
            const float rr = y + cr_to_r * v[i];
            const float bb = y + cb_to_b * u[i];
            const float gg = (y - kr * rr - kb * bb) * inv_kg;
            r[i] = clamp01(rr);
            g[i] = clamp01(gg);
            b[i] = clamp01(bb);
        }
    }
}

void YuvPlaneConverter::from_rgb(const Planes& rgb, const YuvPlaneLayout& layout, const YuvInterpretation& yuv)
{
    const int w = layout.width, h = layout.height;
    const std::size_t n = static_cast<std::size_t>(w) * h;
    if (taps_.size() > 8)
        taps_.clear();
    const float kr = static_cast<float>(yuv.kr), kb = static_cast<float>(yuv.kb);
    const float kg = 1.0f - kr - kb;
    const float to_cb = 1.0f / (2.0f * (1.0f - kb)), to_cr = 1.0f / (2.0f * (1.0f - kr));
    const float* r = rgb.plane(0);
    const float* g = rgb.plane(1);
    const float* b = rgb.plane(2);
    luma_.resize(n);
    float* yy = luma_.data();
    const auto rows = [w](int y0, int y1) {
        return std::pair{static_cast<std::size_t>(y0) * w, static_cast<std::size_t>(y1) * w};
    };
    if (layout.gray) {
        {
            const int y0 = 0, y1 = h;
            const auto [begin, end] = rows(y0, y1);
            for (std::size_t i = begin; i < end; ++i)
                yy[i] = kr * clamp01(r[i]) + kg * clamp01(g[i]) + kb * clamp01(b[i]);
        }
        cb_.clear();
        cr_.clear();
        return;
    }
    const bool subsampled = layout.log2_chroma_w > 0 || layout.log2_chroma_h > 0;
    // Full-resolution chroma goes straight to cb_/cr_ when nothing is subsampled.
    std::vector<float>& fu = subsampled ? full_cb_ : cb_;
    std::vector<float>& fv = subsampled ? full_cr_ : cr_;
    fu.resize(n);
    fv.resize(n);
    float* u = fu.data();
    float* v = fv.data();
    {
        const int y0 = 0, y1 = h;
        const auto [begin, end] = rows(y0, y1);
        for (std::size_t i = begin; i < end; ++i) {
            const float rr = clamp01(r[i]), gg = clamp01(g[i]), bb = clamp01(b[i]);
            const float y = kr * rr + kg * gg + kb * bb;
            yy[i] = y;
            u[i] = (bb - y) * to_cb;
            v[i] = (rr - y) * to_cr;
        }
    }
    if (subsampled) {
        const int cw = layout.chroma_width(), ch = layout.chroma_height();
        const ResampleTaps& across = taps({w, 1.0, 0.0}, chroma_grid(cw, layout.log2_chroma_w, yuv.chroma_h));
        const ResampleTaps& down = taps({h, 1.0, 0.0}, chroma_grid(ch, layout.log2_chroma_h, yuv.chroma_v));
        resample_plane(full_cb_.data(), w, h, across, down, cb_, scratch_);
        resample_plane(full_cr_.data(), w, h, across, down, cr_, scratch_);
    }
}

}  // namespace cnnv3
