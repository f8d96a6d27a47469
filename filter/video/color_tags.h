// A frame's colour tags and how a YUV frame's numbers are read from them (by the GPU frame path,
// filter/gpu/frame_input.h), with the defaults for tags a file leaves unspecified:
//
//   matrix  unspecified (or reserved, or "rgb" on a YUV format): BT.709 when width >= 1280 or
//           height > 576 (HD), else BT.601 (SD). BT.470BG and SMPTE 170M are BT.601; BT.2020
//           constant-luminance is converted as BT.2020 non-constant. FCC, YCgCo, ICtCp and
//           the chroma-derived matrices are refused (libplacebo, which converts every frame, has
//           no system for them).
//   range   unspecified: limited (16-235/240 at 8 bits) for YUV; full for the yuvj* formats and
//           for gray formats; RGB is always full range.
//   chroma  unspecified: left (co-sited horizontally, centred vertically: MPEG-2 / H.264 / HEVC)
//   location for subsampled formats; centre for the yuvj* formats (JPEG).
#pragma once

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>
#include <libavutil/mastering_display_metadata.h>
#include <libavutil/pixfmt.h>
}

#include <optional>
#include <string>
#include <vector>

namespace cnnv3 {

// The five colour tags FFmpeg carries on a frame / a stream; the pipeline copies them to its
// output unchanged unless the output pixel format is of another kind (output_color_tags()).
struct ColorTags {
    AVColorSpace colorspace = AVCOL_SPC_UNSPECIFIED;            // the YUV matrix
    AVColorRange range = AVCOL_RANGE_UNSPECIFIED;               // limited (MPEG) or full (JPEG)
    AVColorPrimaries primaries = AVCOL_PRI_UNSPECIFIED;         // kept, never converted
    AVColorTransferCharacteristic transfer = AVCOL_TRC_UNSPECIFIED;  // kept, never converted
    AVChromaLocation chroma_location = AVCHROMA_LOC_UNSPECIFIED;

    bool operator==(const ColorTags&) const = default;
};

ColorTags color_tags_of(const AVFrame& frame);
ColorTags color_tags_of(const AVCodecParameters& par);
void set_color_tags(AVFrame& frame, const ColorTags& tags);
void set_color_tags(AVCodecContext& codec, const ColorTags& tags);

// How the numbers of a YUV (or gray) frame map to RGB once the defaults above are applied
// (ITU-T H.273: Y' = Kr R + (1 - Kr - Kb) G + Kb B, Cb' = (B - Y') / (2 (1 - Kb)),
// Cr' = (R - Y') / (2 (1 - Kr)); limited range Y = 2^(n-8) (219 Y' + 16), C = 2^(n-8) (224 C' + 128),
// full range Y = (2^n - 1) Y', C = (2^n - 1) C' + 2^(n-1)).
struct YuvInterpretation {
    const char* matrix = "BT.601";  // BT.601, BT.709, BT.2020 or SMPTE 240M
    double kr = 0.299;
    double kb = 0.114;
    bool full_range = false;
    // Chroma sample position inside its cell, as a fraction of (subsampling - 1) luma samples:
    // 0 = with the first (left/top) luma sample, 0.5 = centred, 1 = with the last (bottom).
    double chroma_h = 0.0;
    double chroma_v = 0.5;

    bool operator==(const YuvInterpretation&) const = default;
    // e.g. "BT.709 limited range, chroma at (0, 0.5)"
    std::string describe() const;
};

// Throws VideoError(source, ...) for a matrix that is not supported.
YuvInterpretation interpret_yuv(const ColorTags& tags, AVPixelFormat format, int width, int height,
                                const std::string& source);

// The default matrix tag for a frame of this size: AVCOL_SPC_BT709 (HD) or AVCOL_SPC_SMPTE170M (SD).
AVColorSpace default_matrix(int width, int height);

// The tags to write on frames of `output_format` made from frames of `input_format` tagged
// `input`: identical when the formats are; for another format of the same kind (YUV -> YUV) the
// input's interpretation made explicit (range, chroma location); RGB output from YUV is tagged
// rgb/full range; YUV output from RGB gets default_matrix(), limited range (full for yuvj and
// gray) and the chroma location that was written; primaries and transfer are always kept.
// A YUV output with a known range but no matrix is tagged with the matrix that was used
// (default_matrix()): encoders and MP4 signal the range only together with a matrix.
ColorTags output_color_tags(const ColorTags& input, AVPixelFormat input_format, AVPixelFormat output_format,
                            int width, int height);

// HDR10 static metadata: the mastering display's colour volume and the content light level, as a
// frame carries them (side data from the HEVC/AV1 SEI or the container).
struct HdrMetadata {
    std::optional<AVMasteringDisplayMetadata> mastering;
    std::optional<AVContentLightMetadata> light;
    bool empty() const { return !mastering && !light; }
};

HdrMetadata hdr_metadata_of(const AVFrame& frame);

// The same as libx265 options ("master-display=G(...)B(...)R(...)WP(...)L(max,min)",
// "max-cll=MaxCLL,MaxFALL", "hdr10=1"), for x265-params: FFmpeg 5.1's libx265 wrapper does not
// read the frames' side data. Empty when `hdr` is.
std::vector<std::string> x265_hdr_params(const HdrMetadata& hdr);

// Short names for messages and docs ("bt709", "tv", "left"), FFmpeg's own where it has one.
std::string describe(const ColorTags& tags);

}  // namespace cnnv3
