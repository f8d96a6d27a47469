#include "yuv_convert.h"

#include "chroma_resampler.h"
#include "component_io.h"

extern "C" {
#include <libavutil/pixdesc.h>
}

#include <algorithm>
#include <cmath>

namespace cnnv3 {

namespace {

// Code value = value * scale + offset, per H.273, for one component of `depth` bits.
struct Levels {
    float scale, offset;
};

Levels luma_levels(int depth, bool full)
{
    if (full)
        return {static_cast<float>((1u << depth) - 1), 0.0f};
    const double unit = std::ldexp(1.0, depth - 8);
    return {static_cast<float>(219.0 * unit), static_cast<float>(16.0 * unit)};
}

Levels chroma_levels(int depth, bool full)
{
    if (full)
        return {static_cast<float>((1u << depth) - 1), static_cast<float>(1u << (depth - 1))};
    const double unit = std::ldexp(1.0, depth - 8);
    return {static_cast<float>(224.0 * unit), static_cast<float>(128.0 * unit)};
}

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

const ResampleTaps& YuvConverter::taps(const SampleGrid& from, const SampleGrid& to)
{
    for (const CachedTaps& c : taps_)
        if (c.from == from && c.to == to)
            return c.taps;
    taps_.push_back({from, to, make_taps(from, to)});
    return taps_.back().taps;
}

void YuvConverter::to_rgb(const AVFrame& in, const YuvInterpretation& yuv, RgbFrame& out)
{
    const AVPixFmtDescriptor& desc = *av_pix_fmt_desc_get(static_cast<AVPixelFormat>(in.format));
    const int w = in.width, h = in.height;
    const std::size_t n = static_cast<std::size_t>(w) * h;
    const int alpha = alpha_component(desc);
    if (taps_.size() > 8)  // sizes changed often; start over (no reference into taps_ is held here)
        taps_.clear();
    if (out.rgb.channels != 3 || out.rgb.width != w || out.rgb.height != h)
        out.rgb = Planes(3, h, w);
    out.alpha.resize(alpha >= 0 ? n : 0);

    const Levels ly = luma_levels(desc.comp[0].depth, yuv.full_range);
    luma_.resize(n);
    read_component(in, 0, w, h, ly.offset, 1.0f / ly.scale, luma_.data(), line_);
    float* r = out.rgb.plane(0);
    float* g = out.rgb.plane(1);
    float* b = out.rgb.plane(2);

    if (desc.nb_components >= 3) {
        const int cw = AV_CEIL_RSHIFT(w, desc.log2_chroma_w), ch = AV_CEIL_RSHIFT(h, desc.log2_chroma_h);
        const Levels lc = chroma_levels(desc.comp[1].depth, yuv.full_range);
        cb_.resize(static_cast<std::size_t>(cw) * ch);
        cr_.resize(static_cast<std::size_t>(cw) * ch);
        read_component(in, 1, cw, ch, lc.offset, 1.0f / lc.scale, cb_.data(), line_);
        read_component(in, 2, cw, ch, lc.offset, 1.0f / lc.scale, cr_.data(), line_);
        const float* u = cb_.data();
        const float* v = cr_.data();
        if (desc.log2_chroma_w > 0 || desc.log2_chroma_h > 0) {
            const ResampleTaps& across = taps(chroma_grid(cw, desc.log2_chroma_w, yuv.chroma_h), {w, 1.0, 0.0});
            const ResampleTaps& down = taps(chroma_grid(ch, desc.log2_chroma_h, yuv.chroma_v), {h, 1.0, 0.0});
            resample_plane(cb_.data(), cw, ch, across, down, full_cb_, scratch_);
            resample_plane(cr_.data(), cw, ch, across, down, full_cr_, scratch_);
            u = full_cb_.data();
            v = full_cr_.data();
        }
        const float kr = static_cast<float>(yuv.kr), kb = static_cast<float>(yuv.kb);
        const float inv_kg = 1.0f / (1.0f - kr - kb);
        const float cr_to_r = 2.0f * (1.0f - kr), cb_to_b = 2.0f * (1.0f - kb);
        const float* yy = luma_.data();
        for (std::size_t i = 0; i < n; ++i) {
            const float y = yy[i];
            const float rr = y + cr_to_r * v[i];
            const float bb = y + cb_to_b * u[i];
            const float gg = (y - kr * rr - kb * bb) * inv_kg;
            r[i] = clamp01(rr);
            g[i] = clamp01(gg);
            b[i] = clamp01(bb);
        }
    } else {
        for (std::size_t i = 0; i < n; ++i)
            r[i] = g[i] = b[i] = clamp01(luma_[i]);
    }

    if (alpha >= 0)
        read_component(in, alpha, w, h, 0.0f, 1.0f / static_cast<float>((1u << desc.comp[alpha].depth) - 1),
                       out.alpha.data(), line_);
}

void YuvConverter::from_rgb(const RgbFrame& in, const YuvInterpretation& yuv, AVFrame& out)
{
    const AVPixFmtDescriptor& desc = *av_pix_fmt_desc_get(static_cast<AVPixelFormat>(out.format));
    const int w = out.width, h = out.height;
    const std::size_t n = static_cast<std::size_t>(w) * h;
    const int alpha = alpha_component(desc);
    if (taps_.size() > 8)
        taps_.clear();
    prepare_for_writing(out);

    const float kr = static_cast<float>(yuv.kr), kb = static_cast<float>(yuv.kb);
    const float kg = 1.0f - kr - kb;
    const float to_cb = 1.0f / (2.0f * (1.0f - kb)), to_cr = 1.0f / (2.0f * (1.0f - kr));
    const bool colour = desc.nb_components >= 3;
    luma_.resize(n);
    if (colour) {
        full_cb_.resize(n);
        full_cr_.resize(n);
    }
    const float* r = in.rgb.plane(0);
    const float* g = in.rgb.plane(1);
    const float* b = in.rgb.plane(2);
    float* yy = luma_.data();
    if (colour) {
        float* u = full_cb_.data();
        float* v = full_cr_.data();
        for (std::size_t i = 0; i < n; ++i) {
            const float rr = clamp01(r[i]), gg = clamp01(g[i]), bb = clamp01(b[i]);
            const float y = kr * rr + kg * gg + kb * bb;
            yy[i] = y;
            u[i] = (bb - y) * to_cb;
            v[i] = (rr - y) * to_cr;
        }
    } else {
        for (std::size_t i = 0; i < n; ++i)
            yy[i] = kr * clamp01(r[i]) + kg * clamp01(g[i]) + kb * clamp01(b[i]);
    }
    const Levels ly = luma_levels(desc.comp[0].depth, yuv.full_range);
    write_component(out, 0, w, h, ly.scale, ly.offset, luma_.data(), line_);

    if (colour) {
        const int cw = AV_CEIL_RSHIFT(w, desc.log2_chroma_w), ch = AV_CEIL_RSHIFT(h, desc.log2_chroma_h);
        const float* u = full_cb_.data();
        const float* v = full_cr_.data();
        if (desc.log2_chroma_w > 0 || desc.log2_chroma_h > 0) {
            const ResampleTaps& across = taps({w, 1.0, 0.0}, chroma_grid(cw, desc.log2_chroma_w, yuv.chroma_h));
            const ResampleTaps& down = taps({h, 1.0, 0.0}, chroma_grid(ch, desc.log2_chroma_h, yuv.chroma_v));
            resample_plane(full_cb_.data(), w, h, across, down, cb_, scratch_);
            resample_plane(full_cr_.data(), w, h, across, down, cr_, scratch_);
            u = cb_.data();
            v = cr_.data();
        }
        const Levels lc = chroma_levels(desc.comp[1].depth, yuv.full_range);
        write_component(out, 1, cw, ch, lc.scale, lc.offset, u, line_);
        write_component(out, 2, cw, ch, lc.scale, lc.offset, v, line_);
    }

    if (alpha >= 0) {
        const float max = static_cast<float>((1u << desc.comp[alpha].depth) - 1);
        const float* a = in.alpha.data();
        if (!in.has_alpha()) {
            ones_.assign(n, 1.0f);
            a = ones_.data();
        }
        write_component(out, alpha, w, h, max, 0.0f, a, line_);
    }
}

}  // namespace cnnv3
