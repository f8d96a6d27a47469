#include "yuv_convert.h"

#include "component_io.h"

extern "C" {
#include <libavutil/pixdesc.h>
}

namespace cnnv3 {

namespace {

YuvPlaneLayout layout_of(const AVPixFmtDescriptor& desc, int width, int height)
{
    return {width, height, desc.log2_chroma_w, desc.log2_chroma_h, desc.nb_components < 3};
}

}  // namespace

void YuvConverter::to_rgb(const AVFrame& in, const YuvInterpretation& yuv, RgbFrame& out)
{
    const AVPixFmtDescriptor& desc = *av_pix_fmt_desc_get(static_cast<AVPixelFormat>(in.format));
    const YuvPlaneLayout layout = layout_of(desc, in.width, in.height);
    const int w = in.width, h = in.height;
    const std::size_t n = static_cast<std::size_t>(w) * h;
    const int alpha = alpha_component(desc);
    out.alpha.resize(alpha >= 0 ? n : 0);

    const YuvCodeLevels ly = luma_code_levels(desc.comp[0].depth, yuv.full_range);
    planes_.luma().resize(n);
    read_component(in, 0, w, h, ly.offset, 1.0f / ly.scale, planes_.luma().data(), line_);
    if (!layout.gray) {
        const int cw = layout.chroma_width(), ch = layout.chroma_height();
        const YuvCodeLevels lc = chroma_code_levels(desc.comp[1].depth, yuv.full_range);
        planes_.cb().resize(static_cast<std::size_t>(cw) * ch);
        planes_.cr().resize(static_cast<std::size_t>(cw) * ch);
        read_component(in, 1, cw, ch, lc.offset, 1.0f / lc.scale, planes_.cb().data(), line_);
        read_component(in, 2, cw, ch, lc.offset, 1.0f / lc.scale, planes_.cr().data(), line_);
    }
    planes_.to_rgb(layout, yuv, out.rgb);

    if (alpha >= 0)
        read_component(in, alpha, w, h, 0.0f, 1.0f / static_cast<float>((1u << desc.comp[alpha].depth) - 1),
                       out.alpha.data(), line_);
}

void YuvConverter::from_rgb(const RgbFrame& in, const YuvInterpretation& yuv, AVFrame& out)
{
    const AVPixFmtDescriptor& desc = *av_pix_fmt_desc_get(static_cast<AVPixelFormat>(out.format));
    const YuvPlaneLayout layout = layout_of(desc, out.width, out.height);
    const int w = out.width, h = out.height;
    const std::size_t n = static_cast<std::size_t>(w) * h;
    const int alpha = alpha_component(desc);
    prepare_for_writing(out);

    planes_.from_rgb(in.rgb, layout, yuv);
    const YuvCodeLevels ly = luma_code_levels(desc.comp[0].depth, yuv.full_range);
    write_component(out, 0, w, h, ly.scale, ly.offset, planes_.luma().data(), line_);
    if (!layout.gray) {
        const int cw = layout.chroma_width(), ch = layout.chroma_height();
        const YuvCodeLevels lc = chroma_code_levels(desc.comp[1].depth, yuv.full_range);
        write_component(out, 1, cw, ch, lc.scale, lc.offset, planes_.cb().data(), line_);
        write_component(out, 2, cw, ch, lc.scale, lc.offset, planes_.cr().data(), line_);
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
