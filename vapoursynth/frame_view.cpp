#include "frame_view.h"

#include "half.h"

extern "C" {
#include <libavutil/pixdesc.h>
}

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string_view>

namespace cnnv3::vs {

const char* const supported_formats_text =
    "YUV (4:2:0, 4:2:2, 4:4:4, 4:4:0, 4:1:1, 4:1:0), RGB or Gray at 8-16 bit integer in a layout FFmpeg has, or "
    "YUV 4:2:0/4:2:2/4:4:4, RGB or Gray at 16/32 bit float";

AVPixelFormat view_pixel_format(const VSVideoFormat& f)
{
    if (f.colorFamily != cfRGB && f.colorFamily != cfYUV && f.colorFamily != cfGray)
        return AV_PIX_FMT_NONE;
    if (f.sampleType == stFloat ? f.bitsPerSample != 16 && f.bitsPerSample != 32
                                : f.bitsPerSample < 8 || f.bitsPerSample > 16)
        return AV_PIX_FMT_NONE;
    const int depth = f.sampleType == stFloat ? 16 : f.bitsPerSample;
    const int bytes = depth > 8 ? 2 : 1;
    const int components = f.colorFamily == cfGray ? 1 : 3;
    constexpr auto refused = AV_PIX_FMT_FLAG_BE | AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_FLOAT |
                             AV_PIX_FMT_FLAG_BAYER | AV_PIX_FMT_FLAG_BITSTREAM | AV_PIX_FMT_FLAG_ALPHA;
    // The one FFmpeg format with these components, each alone in its own plane at offset 0.
    for (const AVPixFmtDescriptor* d = av_pix_fmt_desc_next(nullptr); d; d = av_pix_fmt_desc_next(d)) {
        const std::string_view name = d->name;
        if ((d->flags & refused) || ((d->flags & AV_PIX_FMT_FLAG_RGB) != 0) != (f.colorFamily == cfRGB) ||
            d->nb_components != components || d->log2_chroma_w != f.subSamplingW ||
            d->log2_chroma_h != f.subSamplingH || name.starts_with("yuvj") || name.starts_with("xyz"))
            continue;
        unsigned planes = 0;
        bool fits = true;
        for (int c = 0; c < components; ++c) {
            const AVComponentDescriptor& comp = d->comp[c];
            fits &= comp.depth == depth && comp.step == bytes && comp.offset == 0 && comp.shift == 0 &&
                    !(planes & (1u << comp.plane));
            planes |= 1u << comp.plane;
        }
        if (fits)
            return av_pix_fmt_desc_get_id(d);
    }
    return AV_PIX_FMT_NONE;
}

namespace {

// The frame props as FFmpeg colour tags (VapourSynth uses the H.273 numbers for the matrix; its
// _ChromaLocation counts from 0 = left).
void read_tags(const VSFrame* frame, const VSAPI* vsapi, AVFrame& av)
{
    const VSMap* props = vsapi->getFramePropertiesRO(frame);
    int err = 0;
    const int64_t matrix = vsapi->mapGetInt(props, "_Matrix", 0, &err);
    if (!err && matrix >= 0 && matrix < AVCOL_SPC_NB)
        av.colorspace = static_cast<AVColorSpace>(matrix);
    // _Range (VapourSynth R74+) counts like H.273: 0 limited, 1 full; the older _ColorRange the
    // other way round.
    const int64_t range = vsapi->mapGetInt(props, "_Range", 0, &err);
    if (!err && (range == 0 || range == 1)) {
        av.color_range = range == 1 ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;
    } else {
        const int64_t old_range = vsapi->mapGetInt(props, "_ColorRange", 0, &err);
        if (!err && (old_range == 0 || old_range == 1))
            av.color_range = old_range == 0 ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;
    }
    const int64_t location = vsapi->mapGetInt(props, "_ChromaLocation", 0, &err);
    if (!err && location >= 0 && location + 1 < AVCHROMA_LOC_NB)
        av.chroma_location = static_cast<AVChromaLocation>(location + 1);
}

// Float codes: value * 65535 + offset (chroma: offset 32768, the full-range 16-bit midpoint).
constexpr float code_scale = 65535.0f;
float code_offset(const VSVideoFormat& f, int plane)
{
    return f.colorFamily == cfYUV && plane > 0 ? 32768.0f : 0.0f;
}

}  // namespace

FrameView::FrameView(const VSFrame* frame, const VSAPI* vsapi) : format_(vsapi->getVideoFrameFormat(frame))
{
    const VSVideoFormat& f = *format_;
    AVFrame& av = *frame_;
    av.format = view_pixel_format(f);
    if (av.format == AV_PIX_FMT_NONE)
        throw std::invalid_argument("FrameView: a format view_pixel_format() refuses");
    av.width = vsapi->getFrameWidth(frame, 0);
    av.height = vsapi->getFrameHeight(frame, 0);
    read_tags(frame, vsapi, av);
    if (f.colorFamily == cfRGB) {
        av.colorspace = AVCOL_SPC_RGB;
        av.color_range = AVCOL_RANGE_JPEG;
    }
    uint8_t* planes[3] = {};
    std::ptrdiff_t strides[3] = {};
    for (int p = 0; p < f.numPlanes; ++p) {
        planes[p] = const_cast<uint8_t*>(vsapi->getReadPtr(frame, p));  // only read through this view
        strides[p] = vsapi->getStride(frame, p);
    }
    if (f.sampleType == stInteger) {
        point_at(planes, strides);
        return;
    }
    av.color_range = AVCOL_RANGE_JPEG;  // the codes below are full range whatever the props say
    if (av_frame_get_buffer(&av, 0) < 0)
        throw std::bad_alloc();
    const AVPixFmtDescriptor& d = *av_pix_fmt_desc_get(static_cast<AVPixelFormat>(av.format));
    for (int p = 0; p < f.numPlanes; ++p) {
        const int w = vsapi->getFrameWidth(frame, p), h = vsapi->getFrameHeight(frame, p);
        const int to = d.comp[p].plane;
        const float offset = code_offset(f, p);
        for (int y = 0; y < h; ++y) {
            const uint8_t* row = planes[p] + strides[p] * y;
            auto* codes = reinterpret_cast<uint16_t*>(av.data[to] + static_cast<std::ptrdiff_t>(av.linesize[to]) * y);
            for (int x = 0; x < w; ++x) {
                float v;
                if (f.bytesPerSample == 4)
                    std::memcpy(&v, row + 4 * x, 4);
                else
                    v = half_to_float(reinterpret_cast<const uint16_t*>(row)[x]);
                // fmax/fmin: NaN becomes 0.
                codes[x] = static_cast<uint16_t>(std::fmin(65535.0f, std::fmax(0.0f, std::round(v * code_scale + offset))));
            }
        }
    }
}

FrameView::FrameView(VSFrame* frame, const FrameView& input, const VSAPI* vsapi) : format_(input.format_)
{
    const AVFrame& in = input.frame();
    AVFrame& av = *frame_;
    av.format = in.format;
    av.width = in.width;
    av.height = in.height;
    av.colorspace = in.colorspace;
    av.color_range = in.color_range;
    av.color_primaries = in.color_primaries;
    av.color_trc = in.color_trc;
    av.chroma_location = in.chroma_location;
    if (format_->sampleType == stFloat) {
        if (av_frame_get_buffer(&av, 0) < 0)
            throw std::bad_alloc();
        return;
    }
    uint8_t* planes[3] = {};
    std::ptrdiff_t strides[3] = {};
    for (int p = 0; p < format_->numPlanes; ++p) {
        planes[p] = vsapi->getWritePtr(frame, p);
        strides[p] = vsapi->getStride(frame, p);
    }
    point_at(planes, strides);
}

void FrameView::point_at(uint8_t* const planes[3], const std::ptrdiff_t strides[3])
{
    AVFrame& av = *frame_;
    const AVPixFmtDescriptor& d = *av_pix_fmt_desc_get(static_cast<AVPixelFormat>(av.format));
    for (int p = 0; p < format_->numPlanes; ++p) {
        av.data[d.comp[p].plane] = planes[p];
        av.linesize[d.comp[p].plane] = static_cast<int>(strides[p]);
    }
}

void FrameView::store(VSFrame* out, const VSAPI* vsapi) const
{
    const VSVideoFormat& f = *format_;
    if (f.sampleType != stFloat)
        return;
    const AVFrame& av = *frame_;
    const AVPixFmtDescriptor& d = *av_pix_fmt_desc_get(static_cast<AVPixelFormat>(av.format));
    for (int p = 0; p < f.numPlanes; ++p) {
        const int w = vsapi->getFrameWidth(out, p), h = vsapi->getFrameHeight(out, p);
        const std::ptrdiff_t stride = vsapi->getStride(out, p);
        uint8_t* base = vsapi->getWritePtr(out, p);
        const int from = d.comp[p].plane;
        const float offset = code_offset(f, p);
        for (int y = 0; y < h; ++y) {
            const auto* codes =
                reinterpret_cast<const uint16_t*>(av.data[from] + static_cast<std::ptrdiff_t>(av.linesize[from]) * y);
            uint8_t* row = base + stride * y;
            for (int x = 0; x < w; ++x) {
                const float v = (static_cast<float>(codes[x]) - offset) / code_scale;
                if (f.bytesPerSample == 4)
                    std::memcpy(row + 4 * x, &v, 4);
                else
                    reinterpret_cast<uint16_t*>(row)[x] = float_to_half(v);
            }
        }
    }
}

}  // namespace cnnv3::vs
