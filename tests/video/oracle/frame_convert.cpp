#include "frame_convert.h"

#include "component_io.h"
#include "pixel_formats.h"
#include "video_error.h"

extern "C" {
#include <libavutil/pixdesc.h>
}

#include <fmt/format.h>

#include <utility>

namespace cnnv3 {

namespace {

void shape(RgbFrame& out, int width, int height, bool alpha)
{
    if (out.rgb.channels != 3 || out.rgb.width != width || out.rgb.height != height)
        out.rgb = Planes(3, height, width);
    out.alpha.resize(alpha ? static_cast<std::size_t>(width) * height : 0);
}

float inverse_max(const AVComponentDescriptor& comp)
{
    return 1.0f / static_cast<float>((1u << comp.depth) - 1);
}

// pal8: the index plane through the palette (FFmpeg stores it as native 32-bit 0xAARRGGBB).
void read_palette(const AVFrame& in, RgbFrame& out)
{
    const int w = in.width, h = in.height;
    shape(out, w, h, true);
    const auto* palette = reinterpret_cast<const uint32_t*>(in.data[1]);
    constexpr float scale = 1.0f / 255.0f;
    for (int y = 0; y < h; ++y) {
        const uint8_t* row = in.data[0] + static_cast<std::ptrdiff_t>(y) * in.linesize[0];
        const std::size_t o = static_cast<std::size_t>(y) * w;
        for (int x = 0; x < w; ++x) {
            const uint32_t argb = palette[row[x]];
            out.rgb.plane(0)[o + x] = static_cast<float>((argb >> 16) & 255) * scale;
            out.rgb.plane(1)[o + x] = static_cast<float>((argb >> 8) & 255) * scale;
            out.rgb.plane(2)[o + x] = static_cast<float>(argb & 255) * scale;
            out.alpha[o + x] = static_cast<float>(argb >> 24) * scale;
        }
    }
}

std::string unsupported(AVPixelFormat format, const char* direction)
{
    return fmt::format("pixel format \"{}\" is not supported {} (expected integer YUV, gray or RGB of 8-16 bits)",
                       pixel_format_name(format), direction);
}

}  // namespace

FrameConverter::FrameConverter(std::string source) : source_(std::move(source)) {}

void FrameConverter::to_rgb(const AVFrame& in, RgbFrame& out)
{
    const auto format = static_cast<AVPixelFormat>(in.format);
    if (in.width <= 0 || in.height <= 0 || !in.data[0])
        throw VideoError(source_, fmt::format("empty frame ({}x{}, expected decoded pixels)", in.width, in.height));
    const auto family = pixel_family(format);
    if (!family || !can_read_pixel_format(format))
        throw VideoError(source_, unsupported(format, "for reading"));
    switch (*family) {
    case PixelFamily::Palette:
        read_palette(in, out);
        return;
    case PixelFamily::Yuv:
        yuv_.to_rgb(in, interpret_yuv(color_tags_of(in), format, in.width, in.height, source_), out);
        return;
    case PixelFamily::Rgb:
        break;
    }
    const AVPixFmtDescriptor& desc = *av_pix_fmt_desc_get(format);
    const int w = in.width, h = in.height;
    const int alpha = alpha_component(desc);
    shape(out, w, h, alpha >= 0);
    for (int c = 0; c < 3; ++c)
        read_component(in, c, w, h, 0.0f, inverse_max(desc.comp[c]), out.rgb.plane(c), line_);
    if (alpha >= 0)
        read_component(in, alpha, w, h, 0.0f, inverse_max(desc.comp[alpha]), out.alpha.data(), line_);
}

void FrameConverter::from_rgb(const RgbFrame& in, AVFrame& out)
{
    const auto format = static_cast<AVPixelFormat>(out.format);
    if (out.width != in.width() || out.height != in.height() || in.rgb.channels != 3)
        throw VideoError(source_, fmt::format("frame is {}x{} with {} channels (expected {}x{} RGB)", in.width(),
                                              in.height(), in.rgb.channels, out.width, out.height));
    if (in.has_alpha() && in.alpha.size() != in.rgb.plane_size())
        throw VideoError(source_, fmt::format("alpha plane has {} values (expected {})", in.alpha.size(),
                                              in.rgb.plane_size()));
    const auto family = pixel_family(format);
    if (!family || !can_write_pixel_format(format))
        throw VideoError(source_, unsupported(format, "for writing"));
    if (!out.buf[0]) {
        if (int rc = av_frame_get_buffer(&out, 0); rc < 0)
            throw VideoError(source_, "cannot allocate an output frame (" + av::error_text(rc) + ")");
    } else if (int rc = av_frame_make_writable(&out); rc < 0) {
        throw VideoError(source_, "cannot make the output frame writable (" + av::error_text(rc) + ")");
    }
    if (*family == PixelFamily::Yuv) {
        yuv_.from_rgb(in, interpret_yuv(color_tags_of(out), format, out.width, out.height, source_), out);
        return;
    }
    const AVPixFmtDescriptor& desc = *av_pix_fmt_desc_get(format);
    const int w = out.width, h = out.height;
    prepare_for_writing(out);
    for (int c = 0; c < 3; ++c)
        write_component(out, c, w, h, 1.0f / inverse_max(desc.comp[c]), 0.0f, in.rgb.plane(c), line_);
    if (const int alpha = alpha_component(desc); alpha >= 0) {
        const float* a = in.alpha.data();
        if (!in.has_alpha()) {
            ones_.assign(in.rgb.plane_size(), 1.0f);
            a = ones_.data();
        }
        write_component(out, alpha, w, h, 1.0f / inverse_max(desc.comp[alpha]), 0.0f, a, line_);
    }
}

}  // namespace cnnv3
