#include "pixel_formats.h"

extern "C" {
#include <libavutil/pixdesc.h>
}

#include <string>

namespace cnnv3 {

namespace {

constexpr uint64_t unsupported_flags =
    AV_PIX_FMT_FLAG_BITSTREAM | AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_FLOAT | AV_PIX_FMT_FLAG_BAYER;

bool is_xyz(AVPixelFormat format)
{
    return format == AV_PIX_FMT_XYZ12LE || format == AV_PIX_FMT_XYZ12BE;
}

}  // namespace

std::optional<PixelFamily> pixel_family(AVPixelFormat format)
{
    const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(format);
    if (!desc || (desc->flags & unsupported_flags) || is_xyz(format))
        return std::nullopt;
    for (int c = 0; c < desc->nb_components; ++c)
        if (desc->comp[c].depth > 16)
            return std::nullopt;
    if (format == AV_PIX_FMT_PAL8)
        return PixelFamily::Palette;
    if (desc->flags & AV_PIX_FMT_FLAG_PAL)
        return std::nullopt;
    if (desc->flags & AV_PIX_FMT_FLAG_RGB)
        return desc->nb_components >= 3 ? std::optional(PixelFamily::Rgb) : std::nullopt;
    return PixelFamily::Yuv;
}

bool can_read_pixel_format(AVPixelFormat format)
{
    const auto family = pixel_family(format);
    if (!family)
        return false;
    return true;
}

bool can_write_pixel_format(AVPixelFormat format)
{
    const auto family = pixel_family(format);
    if (!family || *family == PixelFamily::Palette)
        return false;
    return true;
}

bool pixel_format_has_alpha(AVPixelFormat format)
{
    const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(format);
    return desc && (desc->flags & AV_PIX_FMT_FLAG_ALPHA);
}

int pixel_format_depth(AVPixelFormat format)
{
    const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(format);
    return desc && desc->nb_components > 0 ? desc->comp[0].depth : 0;
}

bool is_jpeg_yuv_format(AVPixelFormat format)
{
    switch (format) {
    case AV_PIX_FMT_YUVJ420P:
    case AV_PIX_FMT_YUVJ422P:
    case AV_PIX_FMT_YUVJ444P:
    case AV_PIX_FMT_YUVJ440P:
    case AV_PIX_FMT_YUVJ411P:
        return true;
    default:
        return false;
    }
}

std::string pixel_format_name(AVPixelFormat format)
{
    if (format == AV_PIX_FMT_NONE)
        return "none";
    const char* name = av_get_pix_fmt_name(format);
    return name ? name : "unknown (" + std::to_string(static_cast<int>(format)) + ")";
}

}  // namespace cnnv3
