#include "frame_input.h"

#include "color_tags.h"
#include "pixel_formats.h"

extern "C" {
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
}

#include <algorithm>
#include <array>
#include <cstring>
#include <new>
#include <string_view>

namespace cnnv3 {

PlaneColor plane_color(const AVFrame& frame, const std::string& source)
{
    const auto format = static_cast<AVPixelFormat>(frame.format);
    PlaneColor color;
    if (pixel_family(format) != PixelFamily::Yuv) {
        color.system = PL_COLOR_SYSTEM_RGB;
        color.full_range = true;
        return color;
    }
    const YuvInterpretation yuv = interpret_yuv(color_tags_of(frame), format, frame.width, frame.height, source);
    const std::string_view matrix = yuv.matrix;
    if (matrix == "BT.601")
        color.system = PL_COLOR_SYSTEM_BT_601;
    else if (matrix == "BT.709")
        color.system = PL_COLOR_SYSTEM_BT_709;
    else if (matrix == "BT.2020")
        color.system = PL_COLOR_SYSTEM_BT_2020_NC;
    else
        color.system = PL_COLOR_SYSTEM_SMPTE_240M;  // interpret_yuv() refuses every other matrix
    color.full_range = yuv.full_range;
    color.chroma_h = static_cast<float>(yuv.chroma_h);
    color.chroma_v = static_cast<float>(yuv.chroma_v);
    return color;
}

const PlaneColor& StreamPlaneColor::of(const AVFrame& frame, const std::string& source)
{
    const Key key{frame.format, frame.width, frame.height, color_tags_of(frame)};
    if (key_ != key) {
        key_.reset();  // a throwing plane_color() leaves nothing cached
        color_ = plane_color(frame, source);
        key_ = key;
    }
    return color_;
}

LumaThumbnail frame_thumbnail(const AVFrame& in, ThumbnailScratch& scratch)
{
    const auto format = static_cast<AVPixelFormat>(in.format);
    const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(format);
    const AVComponentDescriptor& y = d->comp[0];
    const bool yuv = pixel_family(format) == PixelFamily::Yuv;
    const int bytes = y.shift + y.depth > 8 ? 2 : 1;
    if (yuv && y.plane == 0 && y.offset == 0 && y.step == bytes && !(d->flags & AV_PIX_FMT_FLAG_BE))
        return luma_thumbnail(LumaPlaneView{in.data[0], in.linesize[0], in.width, in.height, bytes, y.shift + y.depth});
    const bool palette = format == AV_PIX_FMT_PAL8;
    Planes& rgb = scratch.rgb;
    if (rgb.channels != 3 || rgb.width != in.width || rgb.height != in.height)
        rgb = Planes(3, in.height, in.width);
    scratch.row.resize(static_cast<std::size_t>(in.width));
    for (int c = 0; c < (yuv || palette ? 1 : 3); ++c) {
        const double max = static_cast<double>((1 << d->comp[c].depth) - 1);
        for (int row = 0; row < in.height; ++row) {
            av_read_image_line2(scratch.row.data(), const_cast<const uint8_t**>(in.data), in.linesize, d, 0, row, c,
                                in.width, 0, 4);
            const std::size_t at = static_cast<std::size_t>(row) * in.width;
            for (int x = 0; x < in.width; ++x) {
                const uint32_t v = scratch.row[static_cast<std::size_t>(x)];
                if (palette) {  // data[1]: 256 native-endian ARGB entries
                    uint32_t argb;
                    std::memcpy(&argb, in.data[1] + 4 * v, 4);
                    for (int k = 0; k < 3; ++k)
                        rgb.plane(k)[at + x] = static_cast<float>(((argb >> (16 - 8 * k)) & 255u) / 255.0);
                } else {
                    rgb.plane(c)[at + x] = static_cast<float>(v / max);
                }
            }
        }
    }
    if (yuv) {  // packed YUV: luma in every channel
        std::copy_n(rgb.plane(0), rgb.plane_size(), rgb.plane(1));
        std::copy_n(rgb.plane(0), rgb.plane_size(), rgb.plane(2));
    }
    return luma_thumbnail(rgb);
}

namespace {

// What attach_thumbnail() puts in opaque_ref: a tag, so that another user's data is never read as one.
struct AttachedThumbnail {
    std::array<char, 8> tag;
    LumaThumbnail thumbnail;
};
constexpr std::array<char, 8> thumbnail_tag = {'c', 'n', 'n', 'v', '3', 't', 'h', '1'};

}  // namespace

void attach_thumbnail(AVFrame& frame, ThumbnailScratch& scratch)
{
    const AttachedThumbnail attached{thumbnail_tag, frame_thumbnail(frame, scratch)};
    AVBufferRef* ref = av_buffer_alloc(sizeof attached);
    if (!ref)
        throw std::bad_alloc();
    std::memcpy(ref->data, &attached, sizeof attached);
    av_buffer_unref(&frame.opaque_ref);
    frame.opaque_ref = ref;
}

const LumaThumbnail* attached_thumbnail(const AVFrame& frame)
{
    const AVBufferRef* ref = frame.opaque_ref;
    if (!ref || ref->size != sizeof(AttachedThumbnail) ||
        std::memcmp(ref->data, thumbnail_tag.data(), thumbnail_tag.size()) != 0)
        return nullptr;
    // av_buffer_alloc's memory is aligned for any type; the struct was copied in whole.
    return &reinterpret_cast<const AttachedThumbnail*>(ref->data)->thumbnail;
}

}  // namespace cnnv3
