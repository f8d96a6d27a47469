#include "color_tags.h"

#include "pixel_formats.h"
#include "video_error.h"

extern "C" {
#include <libavutil/pixdesc.h>
}

#include <fmt/format.h>

#include <cmath>

namespace cnnv3 {

namespace {

const char* or_unknown(const char* name)
{
    return name ? name : "unknown";
}

// Chroma sample position of a location (fractions of the cell, per axis; see YuvInterpretation).
struct ChromaPosition {
    double h, v;
};

ChromaPosition position_of(AVChromaLocation loc)
{
    switch (loc) {
    case AVCHROMA_LOC_CENTER: return {0.5, 0.5};
    case AVCHROMA_LOC_TOPLEFT: return {0.0, 0.0};
    case AVCHROMA_LOC_TOP: return {0.5, 0.0};
    case AVCHROMA_LOC_BOTTOMLEFT: return {0.0, 1.0};
    case AVCHROMA_LOC_BOTTOM: return {0.5, 1.0};
    case AVCHROMA_LOC_LEFT:
    default: return {0.0, 0.5};
    }
}

bool is_gray(AVPixelFormat format)
{
    const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(format);
    return desc && desc->nb_components <= 2 && !(desc->flags & AV_PIX_FMT_FLAG_RGB);
}

bool is_subsampled(AVPixelFormat format)
{
    const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(format);
    return desc && (desc->log2_chroma_w > 0 || desc->log2_chroma_h > 0);
}

}  // namespace

ColorTags color_tags_of(const AVFrame& frame)
{
    return {frame.colorspace, frame.color_range, frame.color_primaries, frame.color_trc, frame.chroma_location};
}

ColorTags color_tags_of(const AVCodecParameters& par)
{
    return {par.color_space, par.color_range, par.color_primaries, par.color_trc, par.chroma_location};
}

void set_color_tags(AVFrame& frame, const ColorTags& tags)
{
    frame.colorspace = tags.colorspace;
    frame.color_range = tags.range;
    frame.color_primaries = tags.primaries;
    frame.color_trc = tags.transfer;
    frame.chroma_location = tags.chroma_location;
}

void set_color_tags(AVCodecContext& codec, const ColorTags& tags)
{
    codec.colorspace = tags.colorspace;
    codec.color_range = tags.range;
    codec.color_primaries = tags.primaries;
    codec.color_trc = tags.transfer;
    codec.chroma_sample_location = tags.chroma_location;
}

AVColorSpace default_matrix(int width, int height)
{
    return width >= 1280 || height > 576 ? AVCOL_SPC_BT709 : AVCOL_SPC_SMPTE170M;
}

std::string YuvInterpretation::describe() const
{
    return fmt::format("{} {} range, chroma at ({}, {})", matrix, full_range ? "full" : "limited", chroma_h, chroma_v);
}

YuvInterpretation interpret_yuv(const ColorTags& tags, AVPixelFormat format, int width, int height,
                                const std::string& source)
{
    YuvInterpretation yuv;
    AVColorSpace matrix = tags.colorspace;
    if (matrix == AVCOL_SPC_UNSPECIFIED || matrix == AVCOL_SPC_RESERVED || matrix == AVCOL_SPC_RGB)
        matrix = default_matrix(width, height);
    switch (matrix) {
    case AVCOL_SPC_BT709: yuv.matrix = "BT.709", yuv.kr = 0.2126, yuv.kb = 0.0722; break;
    case AVCOL_SPC_BT470BG:
    case AVCOL_SPC_SMPTE170M: yuv.matrix = "BT.601", yuv.kr = 0.299, yuv.kb = 0.114; break;
    case AVCOL_SPC_SMPTE240M: yuv.matrix = "SMPTE 240M", yuv.kr = 0.212, yuv.kb = 0.087; break;
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL: yuv.matrix = "BT.2020", yuv.kr = 0.2627, yuv.kb = 0.0593; break;
    default:  // FCC included: libplacebo, which converts every frame, has no such system
        throw VideoError(source, fmt::format("colour matrix \"{}\" is not supported (expected BT.601, BT.709, "
                                             "BT.2020 or SMPTE 240M)",
                                             or_unknown(av_color_space_name(matrix))));
    }

    if (is_jpeg_yuv_format(format))
        yuv.full_range = true;
    else if (tags.range == AVCOL_RANGE_UNSPECIFIED)
        yuv.full_range = is_gray(format);
    else
        yuv.full_range = tags.range == AVCOL_RANGE_JPEG;

    AVChromaLocation loc = tags.chroma_location;
    if (loc == AVCHROMA_LOC_UNSPECIFIED)
        loc = is_jpeg_yuv_format(format) ? AVCHROMA_LOC_CENTER : AVCHROMA_LOC_LEFT;
    const ChromaPosition pos = position_of(loc);
    yuv.chroma_h = pos.h;
    yuv.chroma_v = pos.v;
    return yuv;
}

namespace {

ColorTags tags_for_layout(const ColorTags& input, AVPixelFormat input_format, AVPixelFormat output_format, int width,
                          int height)
{
    if (input_format == output_format)
        return input;
    ColorTags out = input;
    const auto in_family = pixel_family(input_format);
    const auto out_family = pixel_family(output_format);
    const bool in_yuv = in_family == PixelFamily::Yuv;
    const bool out_yuv = out_family == PixelFamily::Yuv;
    if (!out_yuv) {
        if (in_yuv) {
            out.colorspace = AVCOL_SPC_RGB;
            out.range = AVCOL_RANGE_JPEG;
            out.chroma_location = AVCHROMA_LOC_UNSPECIFIED;
        }
        return out;
    }
    if (!in_yuv) {
        out.colorspace = default_matrix(width, height);
        out.range = is_jpeg_yuv_format(output_format) || is_gray(output_format) ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;
        out.chroma_location = !is_subsampled(output_format)      ? AVCHROMA_LOC_UNSPECIFIED
                              : is_jpeg_yuv_format(output_format) ? AVCHROMA_LOC_CENTER
                                                                  : AVCHROMA_LOC_LEFT;
        return out;
    }
    // YUV -> YUV of another layout: keep the interpretation the input had.
    if (is_jpeg_yuv_format(output_format) || is_jpeg_yuv_format(input_format))
        out.range = AVCOL_RANGE_JPEG;
    else if (out.range == AVCOL_RANGE_UNSPECIFIED && is_gray(input_format) != is_gray(output_format))
        out.range = is_gray(input_format) ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;
    if (out.chroma_location == AVCHROMA_LOC_UNSPECIFIED && is_subsampled(output_format)) {
        // Make explicit where the chroma was (input subsampled) or will be written (output
        // default); JPEG files cannot say, so yuvj output is always centred as JPEG expects.
        const AVPixelFormat basis =
            is_subsampled(input_format) && !is_jpeg_yuv_format(output_format) ? input_format : output_format;
        out.chroma_location = is_jpeg_yuv_format(basis) ? AVCHROMA_LOC_CENTER : AVCHROMA_LOC_LEFT;
    }
    return out;
}

}  // namespace

ColorTags output_color_tags(const ColorTags& input, AVPixelFormat input_format, AVPixelFormat output_format,
                            int width, int height)
{
    ColorTags out = tags_for_layout(input, input_format, output_format, width, height);
    // H.264/HEVC write the range only with a colour description, and MP4's colr box only with a
    // matrix: a known range without a matrix would be lost. Name the matrix that was used.
    if (pixel_family(output_format) == PixelFamily::Yuv && !is_gray(output_format) && out.range != AVCOL_RANGE_UNSPECIFIED &&
        (out.colorspace == AVCOL_SPC_UNSPECIFIED || out.colorspace == AVCOL_SPC_RESERVED))
        out.colorspace = default_matrix(width, height);
    return out;
}

HdrMetadata hdr_metadata_of(const AVFrame& frame)
{
    HdrMetadata hdr;
    if (const AVFrameSideData* sd = av_frame_get_side_data(&frame, AV_FRAME_DATA_MASTERING_DISPLAY_METADATA);
        sd && sd->size >= sizeof(AVMasteringDisplayMetadata))
        hdr.mastering = *reinterpret_cast<const AVMasteringDisplayMetadata*>(sd->data);
    if (const AVFrameSideData* sd = av_frame_get_side_data(&frame, AV_FRAME_DATA_CONTENT_LIGHT_LEVEL);
        sd && sd->size >= sizeof(AVContentLightMetadata))
        hdr.light = *reinterpret_cast<const AVContentLightMetadata*>(sd->data);
    return hdr;
}

std::vector<std::string> x265_hdr_params(const HdrMetadata& hdr)
{
    std::vector<std::string> params;
    if (hdr.mastering && hdr.mastering->has_primaries && hdr.mastering->has_luminance) {
        // x265's units: chromaticity in 1/50000, luminance in 1/10000 cd/m2; FFmpeg's order is R, G, B.
        const AVMasteringDisplayMetadata& m = *hdr.mastering;
        const auto xy = [](AVRational v) { return std::llround(av_q2d(v) * 50000.0); };
        const auto cd = [](AVRational v) { return std::llround(av_q2d(v) * 10000.0); };
        params.push_back(fmt::format("master-display=G({},{})B({},{})R({},{})WP({},{})L({},{})",
                                     xy(m.display_primaries[1][0]), xy(m.display_primaries[1][1]),
                                     xy(m.display_primaries[2][0]), xy(m.display_primaries[2][1]),
                                     xy(m.display_primaries[0][0]), xy(m.display_primaries[0][1]), xy(m.white_point[0]),
                                     xy(m.white_point[1]), cd(m.max_luminance), cd(m.min_luminance)));
    }
    if (hdr.light)
        params.push_back(fmt::format("max-cll={},{}", hdr.light->MaxCLL, hdr.light->MaxFALL));
    if (!params.empty())
        params.push_back("hdr10=1");  // x265 writes the SEI only with its HDR10 switch
    return params;
}

std::string describe(const ColorTags& tags)
{
    return fmt::format("matrix {}, range {}, primaries {}, transfer {}, chroma {}",
                       or_unknown(av_color_space_name(tags.colorspace)), or_unknown(av_color_range_name(tags.range)),
                       or_unknown(av_color_primaries_name(tags.primaries)),
                       or_unknown(av_color_transfer_name(tags.transfer)),
                       or_unknown(av_chroma_location_name(tags.chroma_location)));
}

}  // namespace cnnv3
