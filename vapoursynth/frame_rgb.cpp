#include "frame_rgb.h"

#include "color_tags.h"
#include "half.h"
#include "video_error.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace cnnv3::vs {

namespace {

// One plane's samples as (code - offset) / scale (floats as they are) into dst (width x height).
void read_plane(const VSFrame* frame, int plane, const VSVideoFormat& f, YuvCodeLevels levels, float* dst,
                const VSAPI* vsapi)
{
    const int w = vsapi->getFrameWidth(frame, plane), h = vsapi->getFrameHeight(frame, plane);
    const std::ptrdiff_t stride = vsapi->getStride(frame, plane);
    const std::uint8_t* base = vsapi->getReadPtr(frame, plane);
    const float inv = 1.0f / levels.scale;
    for (int y = 0; y < h; ++y) {
        const std::uint8_t* row = base + y * stride;
        float* out = dst + static_cast<std::size_t>(y) * w;
        if (f.sampleType == stFloat && f.bytesPerSample == 4)
            std::memcpy(out, row, sizeof(float) * static_cast<std::size_t>(w));
        else if (f.sampleType == stFloat)
            for (int x = 0; x < w; ++x)
                out[x] = half_to_float(reinterpret_cast<const std::uint16_t*>(row)[x]);
        else if (f.bytesPerSample == 1)
            for (int x = 0; x < w; ++x)
                out[x] = (static_cast<float>(row[x]) - levels.offset) * inv;
        else
            for (int x = 0; x < w; ++x)
                out[x] = (static_cast<float>(reinterpret_cast<const std::uint16_t*>(row)[x]) - levels.offset) * inv;
    }
}

// src (width x height) into one plane as round(value * scale + offset), clamped to the bit depth
// (NaN -> 0); floats as they are (half: rounded to nearest).
void write_plane(const float* src, int plane, const VSVideoFormat& f, YuvCodeLevels levels, VSFrame* frame,
                 const VSAPI* vsapi)
{
    const int w = vsapi->getFrameWidth(frame, plane), h = vsapi->getFrameHeight(frame, plane);
    const std::ptrdiff_t stride = vsapi->getStride(frame, plane);
    std::uint8_t* base = vsapi->getWritePtr(frame, plane);
    const float max = static_cast<float>((1u << f.bitsPerSample) - 1);
    auto code = [&](float v) {
        const float c = std::round(v * levels.scale + levels.offset);
        return std::min(max, std::max(0.0f, c));  // max(0, NaN) is 0
    };
    for (int y = 0; y < h; ++y) {
        std::uint8_t* row = base + y * stride;
        const float* in = src + static_cast<std::size_t>(y) * w;
        if (f.sampleType == stFloat && f.bytesPerSample == 4)
            std::memcpy(row, in, sizeof(float) * static_cast<std::size_t>(w));
        else if (f.sampleType == stFloat)
            for (int x = 0; x < w; ++x)
                reinterpret_cast<std::uint16_t*>(row)[x] = float_to_half(in[x]);
        else if (f.bytesPerSample == 1)
            for (int x = 0; x < w; ++x)
                row[x] = static_cast<std::uint8_t>(code(in[x]));
        else
            for (int x = 0; x < w; ++x)
                reinterpret_cast<std::uint16_t*>(row)[x] = static_cast<std::uint16_t>(code(in[x]));
    }
}

// The frame's colour properties as FFmpeg tags (VapourSynth uses the H.273 numbers for the matrix;
// its _ChromaLocation counts from 0 = left).
ColorTags tags_of(const VSFrame* frame, const VSAPI* vsapi)
{
    const VSMap* props = vsapi->getFramePropertiesRO(frame);
    int err = 0;
    ColorTags tags;
    const int64_t matrix = vsapi->mapGetInt(props, "_Matrix", 0, &err);
    if (!err && matrix >= 0 && matrix < AVCOL_SPC_NB)
        tags.colorspace = static_cast<AVColorSpace>(matrix);
    // _Range (VapourSynth R74+) counts like H.273: 0 limited, 1 full; the older _ColorRange the
    // other way round.
    const int64_t range = vsapi->mapGetInt(props, "_Range", 0, &err);
    if (!err && (range == 0 || range == 1)) {
        tags.range = range == 1 ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;
    } else {
        const int64_t old_range = vsapi->mapGetInt(props, "_ColorRange", 0, &err);
        if (!err && (old_range == 0 || old_range == 1))
            tags.range = old_range == 0 ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;
    }
    const int64_t location = vsapi->mapGetInt(props, "_ChromaLocation", 0, &err);
    if (!err && location >= 0 && location + 1 < AVCHROMA_LOC_NB)
        tags.chroma_location = static_cast<AVChromaLocation>(location + 1);
    return tags;
}

YuvInterpretation interpretation_of(const VSFrame* frame, const VSVideoFormat& f, const VSAPI* vsapi)
{
    const int w = vsapi->getFrameWidth(frame, 0), h = vsapi->getFrameHeight(frame, 0);
    try {
        // yuv420p stands for any non-JPEG YUV layout here: it only picks the defaults.
        YuvInterpretation yuv = interpret_yuv(tags_of(frame, vsapi), f.colorFamily == cfGray ? AV_PIX_FMT_GRAY8
                                                                                              : AV_PIX_FMT_YUV420P,
                                              w, h, "clip");
        if (f.sampleType == stFloat)
            yuv.full_range = true;
        return yuv;
    } catch (const VideoError& e) {
        throw FrameFormatError(e.what());
    }
}

YuvPlaneLayout layout_of(const VSFrame* frame, const VSVideoFormat& f, const VSAPI* vsapi)
{
    return {vsapi->getFrameWidth(frame, 0), vsapi->getFrameHeight(frame, 0), f.subSamplingW, f.subSamplingH,
            f.colorFamily == cfGray};
}

// Integer levels of a plane (floats ignore them).
YuvCodeLevels levels_of(const VSVideoFormat& f, const YuvInterpretation& yuv, bool chroma)
{
    if (f.sampleType == stFloat)
        return {1.0f, 0.0f};
    return chroma ? chroma_code_levels(f.bitsPerSample, yuv.full_range) : luma_code_levels(f.bitsPerSample, yuv.full_range);
}

}  // namespace

void FrameRgbConverter::to_rgb(const VSFrame* in, const VSAPI* vsapi, Planes& rgb)
{
    const VSVideoFormat& f = *vsapi->getVideoFrameFormat(in);
    const int w = vsapi->getFrameWidth(in, 0), h = vsapi->getFrameHeight(in, 0);
    if (f.colorFamily == cfRGB) {
        if (rgb.channels != 3 || rgb.width != w || rgb.height != h)
            rgb = Planes(3, h, w);
        const YuvCodeLevels levels = f.sampleType == stFloat
                                         ? YuvCodeLevels{1.0f, 0.0f}
                                         : YuvCodeLevels{static_cast<float>((1u << f.bitsPerSample) - 1), 0.0f};
        for (int p = 0; p < 3; ++p)
            read_plane(in, p, f, levels, rgb.plane(p), vsapi);
        return;
    }
    const YuvInterpretation yuv = interpretation_of(in, f, vsapi);
    const YuvPlaneLayout layout = layout_of(in, f, vsapi);
    yuv_.luma().resize(static_cast<std::size_t>(w) * h);
    read_plane(in, 0, f, levels_of(f, yuv, false), yuv_.luma().data(), vsapi);
    if (!layout.gray) {
        const std::size_t chroma = static_cast<std::size_t>(layout.chroma_width()) * layout.chroma_height();
        yuv_.cb().resize(chroma);
        yuv_.cr().resize(chroma);
        read_plane(in, 1, f, levels_of(f, yuv, true), yuv_.cb().data(), vsapi);
        read_plane(in, 2, f, levels_of(f, yuv, true), yuv_.cr().data(), vsapi);
    }
    yuv_.to_rgb(layout, yuv, rgb);
}

void FrameRgbConverter::from_rgb(const Planes& rgb, const VSFrame* tags_from, VSFrame* out, const VSAPI* vsapi)
{
    const VSVideoFormat& f = *vsapi->getVideoFrameFormat(out);
    if (f.colorFamily == cfRGB) {
        const YuvCodeLevels levels = f.sampleType == stFloat
                                         ? YuvCodeLevels{1.0f, 0.0f}
                                         : YuvCodeLevels{static_cast<float>((1u << f.bitsPerSample) - 1), 0.0f};
        for (int p = 0; p < 3; ++p)
            write_plane(rgb.plane(p), p, f, levels, out, vsapi);
        return;
    }
    const YuvInterpretation yuv = interpretation_of(tags_from, f, vsapi);
    const YuvPlaneLayout layout = layout_of(out, f, vsapi);
    yuv_.from_rgb(rgb, layout, yuv);
    write_plane(yuv_.luma().data(), 0, f, levels_of(f, yuv, false), out, vsapi);
    if (!layout.gray) {
        write_plane(yuv_.cb().data(), 1, f, levels_of(f, yuv, true), out, vsapi);
        write_plane(yuv_.cr().data(), 2, f, levels_of(f, yuv, true), out, vsapi);
    }
}

}  // namespace cnnv3::vs
