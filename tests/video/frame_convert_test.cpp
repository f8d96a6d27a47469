// FrameConverter: exact RGB round trips for every RGB format, YUV round trips within the measured
// tolerances (docs/video.md), the matrix / range / chroma defaults, alpha, clamping, refusals.
#include "frame_convert.h"
#include "media_tools.h"
#include "pixel_formats.h"
#include "video_error.h"

extern "C" {
#include <libavutil/pixdesc.h>
}

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <iostream>
#include <random>

namespace cnnv3 {
namespace {

using test::component;
using test::fill_random;
using test::make_video_frame;
using test::max_difference;

// A smooth picture with fine noise, in [0, 1]: what video looks like, and in gamut, so that a YUV
// round trip measures the conversion and not gamut clipping.
RgbFrame natural_picture(int width, int height, uint32_t seed, bool alpha = false)
{
    RgbFrame f;
    f.rgb = Planes(3, height, width);
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> noise(-0.015f, 0.015f);
    for (int c = 0; c < 3; ++c)
        for (int y = 0; y < height; ++y)
            for (int x = 0; x < width; ++x) {
                const float v = 0.5f + 0.45f * std::sin(0.05f * x + 2.0f * c) * std::cos(0.07f * y + c) + noise(rng);
                f.rgb.at(c, y, x) = std::clamp(v, 0.0f, 1.0f);
            }
    if (alpha) {
        f.alpha.resize(f.rgb.plane_size());
        for (float& a : f.alpha)
            a = static_cast<float>(rng() % 256) / 255.0f;
    }
    return f;
}

std::vector<AVPixelFormat> rgb_formats()
{
    std::vector<AVPixelFormat> list;
    for (const AVPixFmtDescriptor* d = av_pix_fmt_desc_next(nullptr); d; d = av_pix_fmt_desc_next(d)) {
        const AVPixelFormat f = av_pix_fmt_desc_get_id(d);
        if (pixel_family(f) == PixelFamily::Rgb && can_write_pixel_format(f))
            list.push_back(f);
    }
    return list;
}

TEST(FrameConvert, EveryRgbFormatRoundTripsBitExact)
{
    const std::vector<AVPixelFormat> formats = rgb_formats();
    ASSERT_GE(formats.size(), 20u);
    for (AVPixelFormat format : formats) {
        for (auto [w, h] : {std::pair{37, 19}, std::pair{1, 1}}) {
            SCOPED_TRACE(pixel_format_name(format) + " " + std::to_string(w) + "x" + std::to_string(h));
            av::Frame in = make_video_frame(format, w, h);
            fill_random(*in, 7);
            FrameConverter converter;
            RgbFrame rgb;
            converter.to_rgb(*in, rgb);
            EXPECT_EQ(rgb.has_alpha(), pixel_format_has_alpha(format));
            av::Frame out = make_video_frame(format, w, h);
            converter.from_rgb(rgb, *out);
            const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(format);
            for (int c = 0; c < desc->nb_components; ++c)
                EXPECT_EQ(max_difference(*in, *out, c), 0u) << "component " << c;
            // The float values are value / max.
            const uint32_t red = component(*in, 0)[0];
            EXPECT_FLOAT_EQ(rgb.rgb.at(0, 0, 0), static_cast<float>(red) / ((1u << desc->comp[0].depth) - 1));
        }
    }
}

TEST(FrameConvert, Rgb24Rgb48Gbrp16AtOddSizeBitExact)
{
    for (AVPixelFormat format : {AV_PIX_FMT_RGB24, AV_PIX_FMT_RGB48LE, AV_PIX_FMT_RGB48BE, AV_PIX_FMT_GBRP16LE,
                                 AV_PIX_FMT_GBRP16BE, AV_PIX_FMT_GBRAP16LE, AV_PIX_FMT_BGRA, AV_PIX_FMT_GBRP10LE}) {
        SCOPED_TRACE(pixel_format_name(format));
        av::Frame in = make_video_frame(format, 853, 479);
        fill_random(*in, 11);
        FrameConverter converter;
        RgbFrame rgb;
        converter.to_rgb(*in, rgb);
        av::Frame out = make_video_frame(format, 853, 479);
        converter.from_rgb(rgb, *out);
        for (int c = 0; c < av_pix_fmt_desc_get(format)->nb_components; ++c)
            EXPECT_EQ(max_difference(*in, *out, c), 0u) << "component " << c;
    }
}

TEST(FrameConvert, PaletteIsReadThroughItsPalette)
{
    av::Frame in = make_video_frame(AV_PIX_FMT_PAL8, 3, 2);
    auto* palette = reinterpret_cast<uint32_t*>(in->data[1]);
    palette[0] = 0xff000000u;  // opaque black
    palette[1] = 0x80ff8000u;  // half-transparent orange
    in->data[0][0] = 1;
    FrameConverter converter;
    RgbFrame rgb;
    converter.to_rgb(*in, rgb);
    ASSERT_TRUE(rgb.has_alpha());
    EXPECT_FLOAT_EQ(rgb.rgb.at(0, 0, 0), 1.0f);
    EXPECT_FLOAT_EQ(rgb.rgb.at(1, 0, 0), 128.0f / 255.0f);
    EXPECT_FLOAT_EQ(rgb.rgb.at(2, 0, 0), 0.0f);
    EXPECT_FLOAT_EQ(rgb.alpha[0], 128.0f / 255.0f);
    EXPECT_FLOAT_EQ(rgb.rgb.at(0, 0, 1), 0.0f);
    EXPECT_FLOAT_EQ(rgb.alpha[1], 1.0f);
    av::Frame out = make_video_frame(AV_PIX_FMT_PAL8, 3, 2);
    EXPECT_THROW(converter.from_rgb(rgb, *out), VideoError);  // never written
}

// YUV round trip: RGB picture -> YUV frame A -> RGB -> YUV frame B; max |A - B| per component.
struct YuvCase {
    AVPixelFormat format;
    AVColorRange range;
    uint32_t chroma_tolerance;        // at 853x479, in the format's own code values (luma and alpha: exact)
    uint32_t small_chroma_tolerance;  // at 1x1, 3x3, 2x1 (the edges dominate)
};

std::vector<uint32_t> yuv_round_trip(const YuvCase& c, int w, int h, bool alpha = false)
{
    av::Frame a = make_video_frame(c.format, w, h);
    a->color_range = c.range;
    FrameConverter converter;
    converter.from_rgb(natural_picture(w, h, 3, alpha), *a);
    RgbFrame rgb;
    converter.to_rgb(*a, rgb);
    av::Frame b = make_video_frame(c.format, w, h);
    b->color_range = c.range;
    converter.from_rgb(rgb, *b);
    std::vector<uint32_t> errors;
    for (int k = 0; k < av_pix_fmt_desc_get(c.format)->nb_components; ++k)
        errors.push_back(max_difference(*a, *b, k));
    return errors;
}

// Measured maxima in code values of the format (the conversion is plain float arithmetic, so
// they do not depend on the machine); the printed "[ measured ]" lines are docs/video.md's table.
// 4:4:4 and gray are exact; subsampled chroma loses what its resampling cannot carry of the
// picture's fine noise.
const YuvCase yuv_cases[] = {
    {AV_PIX_FMT_YUV444P, AVCOL_RANGE_MPEG, 0, 0},          {AV_PIX_FMT_YUV444P, AVCOL_RANGE_JPEG, 0, 0},
    {AV_PIX_FMT_YUV422P, AVCOL_RANGE_MPEG, 1, 1},          {AV_PIX_FMT_YUV420P, AVCOL_RANGE_MPEG, 1, 2},
    {AV_PIX_FMT_YUV420P, AVCOL_RANGE_JPEG, 1, 2},          {AV_PIX_FMT_YUVJ420P, AVCOL_RANGE_UNSPECIFIED, 1, 2},
    {AV_PIX_FMT_NV12, AVCOL_RANGE_MPEG, 1, 2},             {AV_PIX_FMT_YUYV422, AVCOL_RANGE_MPEG, 1, 1},
    {AV_PIX_FMT_YUV444P10LE, AVCOL_RANGE_MPEG, 0, 0},      {AV_PIX_FMT_YUV422P10LE, AVCOL_RANGE_MPEG, 3, 3},
    {AV_PIX_FMT_YUV420P10LE, AVCOL_RANGE_MPEG, 5, 6},      {AV_PIX_FMT_P010LE, AVCOL_RANGE_MPEG, 5, 6},
    {AV_PIX_FMT_YUV444P12LE, AVCOL_RANGE_MPEG, 0, 0},      {AV_PIX_FMT_YUV420P12LE, AVCOL_RANGE_MPEG, 19, 24},
    {AV_PIX_FMT_YUV444P16LE, AVCOL_RANGE_MPEG, 0, 0},      {AV_PIX_FMT_YUV420P16LE, AVCOL_RANGE_MPEG, 299, 388},
    {AV_PIX_FMT_GRAY8, AVCOL_RANGE_UNSPECIFIED, 0, 0},     {AV_PIX_FMT_GRAY10LE, AVCOL_RANGE_MPEG, 0, 0},
    {AV_PIX_FMT_YUVA420P, AVCOL_RANGE_MPEG, 1, 2},         {AV_PIX_FMT_YA16LE, AVCOL_RANGE_MPEG, 0, 0},
};

TEST(FrameConvert, YuvRoundTripsWithinMeasuredTolerance)
{
    for (const YuvCase& c : yuv_cases) {
        for (auto [w, h] : {std::pair{853, 479}, std::pair{1, 1}, std::pair{3, 3}, std::pair{2, 1}}) {
            SCOPED_TRACE(pixel_format_name(c.format) + " " + std::to_string(w) + "x" + std::to_string(h));
            const bool alpha = pixel_format_has_alpha(c.format);
            const std::vector<uint32_t> errors = yuv_round_trip(c, w, h, alpha);
            if (w == 853)
                std::cout << "[ measured ] " << pixel_format_name(c.format) << " range "
                          << (c.range == AVCOL_RANGE_JPEG ? "full" : c.range == AVCOL_RANGE_MPEG ? "limited" : "default")
                          << " max error Y/U/V" << (alpha ? "/A" : "") << ":";
            for (std::size_t k = 0; k < errors.size(); ++k) {
                if (w == 853)
                    std::cout << " " << errors[k];
                const bool chroma = av_pix_fmt_desc_get(c.format)->nb_components >= 3 && (k == 1 || k == 2);
                const uint32_t tolerance = !chroma ? 0 : w == 853 ? c.chroma_tolerance : c.small_chroma_tolerance;
                EXPECT_LE(errors[k], tolerance) << "component " << k;
            }
            if (w == 853)
                std::cout << "\n";
        }
    }
}

// One 8-bit pixel of RGB (r, g, b) written as `format` with tags; returns its Y, U, V.
std::array<uint32_t, 3> encode_pixel(float r, float g, float b, AVPixelFormat format, int w, int h,
                                     AVColorSpace matrix = AVCOL_SPC_UNSPECIFIED,
                                     AVColorRange range = AVCOL_RANGE_UNSPECIFIED)
{
    RgbFrame rgb;
    rgb.rgb = Planes(3, h, w);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            rgb.rgb.at(0, y, x) = r;
            rgb.rgb.at(1, y, x) = g;
            rgb.rgb.at(2, y, x) = b;
        }
    av::Frame f = make_video_frame(format, w, h);
    f->colorspace = matrix;
    f->color_range = range;
    FrameConverter converter;
    converter.from_rgb(rgb, *f);
    return {component(*f, 0)[0], component(*f, 1)[0], component(*f, 2)[0]};
}

TEST(FrameConvert, MatrixAndRangeFromTagsWithSizeDefaults)
{
    // Pure red: Y = 16 + 219 Kr (limited 8-bit), 64 + 876 Kr (limited 10-bit), 255 Kr (full).
    EXPECT_EQ(encode_pixel(1, 0, 0, AV_PIX_FMT_YUV444P, 1280, 2)[0], 63u);   // 62.56: HD, untagged: BT.709
    EXPECT_EQ(encode_pixel(1, 0, 0, AV_PIX_FMT_YUV444P, 720, 577)[0], 63u);  // taller than 576: HD
    EXPECT_EQ(encode_pixel(1, 0, 0, AV_PIX_FMT_YUV444P, 720, 576)[0], 81u);  // 81.48: SD, untagged: BT.601
    EXPECT_EQ(encode_pixel(1, 0, 0, AV_PIX_FMT_YUV444P, 64, 2, AVCOL_SPC_BT709)[0], 63u);
    EXPECT_EQ(encode_pixel(1, 0, 0, AV_PIX_FMT_YUV444P, 1920, 2, AVCOL_SPC_BT470BG)[0], 81u);
    EXPECT_EQ(encode_pixel(1, 0, 0, AV_PIX_FMT_YUV444P, 64, 2, AVCOL_SPC_BT2020_NCL)[0], 74u);  // 73.53
    EXPECT_EQ(encode_pixel(1, 0, 0, AV_PIX_FMT_YUV444P10LE, 64, 2, AVCOL_SPC_BT709)[0], 250u);  // 250.24
    EXPECT_EQ(encode_pixel(1, 0, 0, AV_PIX_FMT_YUV444P, 64, 2, AVCOL_SPC_BT709, AVCOL_RANGE_JPEG)[0], 54u);  // 54.21
    // Red's Cr: 128 + 224 / 2 = 240 in every limited matrix; full range 128 + 255 / 2 -> 255 (254.5 rounds up).
    EXPECT_EQ(encode_pixel(1, 0, 0, AV_PIX_FMT_YUV444P, 64, 2, AVCOL_SPC_BT709)[2], 240u);
    EXPECT_EQ(encode_pixel(1, 0, 0, AV_PIX_FMT_YUV444P, 64, 2, AVCOL_SPC_BT709, AVCOL_RANGE_JPEG)[2], 255u);
    // BT.601 and BT.709 are told apart (green: 16 + 219 Kg = 144.55 vs 172.63).
    EXPECT_EQ(encode_pixel(0, 1, 0, AV_PIX_FMT_YUV444P, 64, 2, AVCOL_SPC_SMPTE170M)[0], 145u);
    EXPECT_EQ(encode_pixel(0, 1, 0, AV_PIX_FMT_YUV444P, 64, 2, AVCOL_SPC_BT709)[0], 173u);
    // Black and white: limited range by default for YUV, full for yuvj and gray.
    const auto black = encode_pixel(0, 0, 0, AV_PIX_FMT_YUV420P, 4, 4);
    EXPECT_EQ(black, (std::array<uint32_t, 3>{16, 128, 128}));
    EXPECT_EQ(encode_pixel(1, 1, 1, AV_PIX_FMT_YUV420P, 4, 4), (std::array<uint32_t, 3>{235, 128, 128}));
    EXPECT_EQ(encode_pixel(1, 1, 1, AV_PIX_FMT_YUV420P10LE, 4, 4)[0], 940u);
    EXPECT_EQ(encode_pixel(1, 1, 1, AV_PIX_FMT_YUVJ420P, 4, 4)[0], 255u);
    EXPECT_EQ(encode_pixel(0, 0, 0, AV_PIX_FMT_YUVJ420P, 4, 4)[0], 0u);
    EXPECT_EQ(encode_pixel(1, 1, 1, AV_PIX_FMT_YUV420P, 4, 4, AVCOL_SPC_UNSPECIFIED, AVCOL_RANGE_JPEG)[0], 255u);
    EXPECT_EQ(encode_pixel(1, 1, 1, AV_PIX_FMT_GRAY8, 4, 4)[0], 255u);
    EXPECT_EQ(encode_pixel(1, 1, 1, AV_PIX_FMT_P010LE, 4, 4), (std::array<uint32_t, 3>{940, 512, 512}));
    EXPECT_EQ(encode_pixel(1, 1, 1, AV_PIX_FMT_YUYV422, 4, 4), (std::array<uint32_t, 3>{235, 128, 128}));

    // And back: limited black/white decode to exactly 0 and 1.
    av::Frame f = make_video_frame(AV_PIX_FMT_YUV444P, 2, 1);
    f->data[0][0] = 16;
    f->data[0][1] = 235;
    f->data[1][0] = f->data[1][1] = f->data[2][0] = f->data[2][1] = 128;
    FrameConverter converter;
    RgbFrame rgb;
    converter.to_rgb(*f, rgb);
    for (int c = 0; c < 3; ++c) {
        EXPECT_NEAR(rgb.rgb.at(c, 0, 0), 0.0f, 1e-6f);
        EXPECT_NEAR(rgb.rgb.at(c, 0, 1), 1.0f, 1e-6f);
    }
}

TEST(FrameConvert, InterpretationDefaults)
{
    ColorTags none;
    const YuvInterpretation sd = interpret_yuv(none, AV_PIX_FMT_YUV420P, 720, 480, "x");
    EXPECT_STREQ(sd.matrix, "BT.601");
    EXPECT_FALSE(sd.full_range);
    EXPECT_EQ(sd.chroma_h, 0.0);  // left
    EXPECT_EQ(sd.chroma_v, 0.5);  // vertically centred
    const YuvInterpretation hd = interpret_yuv(none, AV_PIX_FMT_YUV422P10LE, 1920, 1080, "x");
    EXPECT_STREQ(hd.matrix, "BT.709");
    EXPECT_DOUBLE_EQ(hd.kr, 0.2126);
    const YuvInterpretation jpeg = interpret_yuv(none, AV_PIX_FMT_YUVJ420P, 640, 480, "x");
    EXPECT_TRUE(jpeg.full_range);
    EXPECT_EQ(jpeg.chroma_h, 0.5);
    EXPECT_TRUE(interpret_yuv(none, AV_PIX_FMT_GRAY8, 64, 64, "x").full_range);
    ColorTags tagged;
    tagged.colorspace = AVCOL_SPC_BT2020_NCL;
    tagged.range = AVCOL_RANGE_JPEG;
    tagged.chroma_location = AVCHROMA_LOC_TOPLEFT;
    const YuvInterpretation t = interpret_yuv(tagged, AV_PIX_FMT_YUV420P10LE, 64, 64, "x");
    EXPECT_STREQ(t.matrix, "BT.2020");
    EXPECT_TRUE(t.full_range);
    EXPECT_EQ(t.chroma_h, 0.0);
    EXPECT_EQ(t.chroma_v, 0.0);

    tagged.colorspace = AVCOL_SPC_YCGCO;
    try {
        interpret_yuv(tagged, AV_PIX_FMT_YUV420P, 64, 64, "clip.mkv");
        FAIL() << "YCgCo accepted";
    } catch (const VideoError& e) {
        EXPECT_NE(std::string(e.what()).find("clip.mkv: colour matrix \"ycgco\""), std::string::npos) << e.what();
    }
}

TEST(FrameConvert, ChromaLocationChangesTheChromaSampling)
{
    // A 4:2:0 frame with one bright chroma column: left- and centre-sited chroma put its
    // contribution at different luma columns.
    av::Frame f = make_video_frame(AV_PIX_FMT_YUV420P, 16, 4);
    std::fill_n(f->data[0], f->linesize[0] * 4, 128);
    for (int y = 0; y < 2; ++y)
        for (int x = 0; x < 8; ++x) {
            f->data[1][y * f->linesize[1] + x] = 128;
            f->data[2][y * f->linesize[2] + x] = x == 4 ? 240 : 128;
        }
    FrameConverter converter;
    RgbFrame left, centre;
    f->chroma_location = AVCHROMA_LOC_LEFT;
    converter.to_rgb(*f, left);
    f->chroma_location = AVCHROMA_LOC_CENTER;
    converter.to_rgb(*f, centre);
    // Red peaks at luma column 8 when co-sited; between columns 8 and 9 when centred.
    EXPECT_GT(left.rgb.at(0, 1, 8), left.rgb.at(0, 1, 9) + 0.05f);
    EXPECT_NEAR(centre.rgb.at(0, 1, 8), centre.rgb.at(0, 1, 9), 1e-3f);
    // Unspecified means left.
    f->chroma_location = AVCHROMA_LOC_UNSPECIFIED;
    RgbFrame unspecified;
    converter.to_rgb(*f, unspecified);
    EXPECT_EQ(unspecified.rgb.data, left.rgb.data);
}

TEST(FrameConvert, AlphaIsKeptAddedOpaqueOrDropped)
{
    av::Frame in = make_video_frame(AV_PIX_FMT_YUVA444P, 33, 17);
    FrameConverter converter;
    converter.from_rgb(natural_picture(33, 17, 5, true), *in);
    RgbFrame rgb;
    converter.to_rgb(*in, rgb);
    ASSERT_TRUE(rgb.has_alpha());
    av::Frame out = make_video_frame(AV_PIX_FMT_YUVA444P, 33, 17);
    converter.from_rgb(rgb, *out);
    EXPECT_EQ(max_difference(*in, *out, 3), 0u);

    RgbFrame opaque = natural_picture(4, 4, 1);
    av::Frame rgba = make_video_frame(AV_PIX_FMT_RGBA, 4, 4);
    converter.from_rgb(opaque, *rgba);
    for (uint32_t a : component(*rgba, 3))
        EXPECT_EQ(a, 255u);
    av::Frame rgb24 = make_video_frame(AV_PIX_FMT_RGB24, 33, 17);
    EXPECT_NO_THROW(converter.from_rgb(rgb, *rgb24));
}

TEST(FrameConvert, OutputIsClampedAndNanIsZero)
{
    RgbFrame rgb;
    rgb.rgb = Planes(3, 1, 3);
    for (int c = 0; c < 3; ++c) {
        rgb.rgb.at(c, 0, 0) = 1.5f;
        rgb.rgb.at(c, 0, 1) = -0.5f;
        rgb.rgb.at(c, 0, 2) = std::nanf("");
    }
    av::Frame out = make_video_frame(AV_PIX_FMT_RGB48LE, 3, 1);
    FrameConverter converter;
    converter.from_rgb(rgb, *out);
    EXPECT_EQ(component(*out, 0), (std::vector<uint32_t>{65535, 0, 0}));
}

TEST(FrameConvert, RefusalsNameTheFormatOrTheProblem)
{
    FrameConverter converter("clip.mkv");
    RgbFrame rgb;
    for (AVPixelFormat format : {AV_PIX_FMT_MONOBLACK, AV_PIX_FMT_BAYER_RGGB8, AV_PIX_FMT_GRAYF32LE,
                                 AV_PIX_FMT_GBRPF32LE, AV_PIX_FMT_XYZ12LE}) {
        av::Frame f = make_video_frame(format, 4, 4);
        try {
            converter.to_rgb(*f, rgb);
            ADD_FAILURE() << pixel_format_name(format) << " accepted";
        } catch (const VideoError& e) {
            const std::string expected = "clip.mkv: pixel format \"" + pixel_format_name(format) + "\" is not supported";
            EXPECT_EQ(std::string(e.what()).rfind(expected, 0), 0u) << e.what();
            EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
        }
    }
    RgbFrame small = natural_picture(3, 3, 1);
    av::Frame big = make_video_frame(AV_PIX_FMT_RGB24, 4, 4);
    EXPECT_THROW(converter.from_rgb(small, *big), VideoError);
}

TEST(FrameConvert, OutputTagsFollowTheOutputKind)
{
    ColorTags in;
    in.colorspace = AVCOL_SPC_BT709;
    in.range = AVCOL_RANGE_MPEG;
    in.primaries = AVCOL_PRI_BT709;
    in.transfer = AVCOL_TRC_BT709;
    in.chroma_location = AVCHROMA_LOC_TOPLEFT;
    EXPECT_EQ(output_color_tags(in, AV_PIX_FMT_YUV420P, AV_PIX_FMT_YUV420P, 64, 64), in);
    const ColorTags rgb = output_color_tags(in, AV_PIX_FMT_YUV420P, AV_PIX_FMT_RGB48BE, 64, 64);
    EXPECT_EQ(rgb.colorspace, AVCOL_SPC_RGB);
    EXPECT_EQ(rgb.range, AVCOL_RANGE_JPEG);
    EXPECT_EQ(rgb.primaries, AVCOL_PRI_BT709);
    EXPECT_EQ(rgb.transfer, AVCOL_TRC_BT709);
    ColorTags none;
    const ColorTags yuv = output_color_tags(none, AV_PIX_FMT_RGB24, AV_PIX_FMT_YUV420P, 1920, 1080);
    EXPECT_EQ(yuv.colorspace, AVCOL_SPC_BT709);
    EXPECT_EQ(yuv.range, AVCOL_RANGE_MPEG);
    EXPECT_EQ(yuv.chroma_location, AVCHROMA_LOC_LEFT);
    EXPECT_EQ(output_color_tags(none, AV_PIX_FMT_RGB24, AV_PIX_FMT_YUV444P, 640, 480).colorspace, AVCOL_SPC_SMPTE170M);
    EXPECT_EQ(output_color_tags(none, AV_PIX_FMT_YUVJ420P, AV_PIX_FMT_YUV420P, 64, 64).range, AVCOL_RANGE_JPEG);
}

}  // namespace
}  // namespace cnnv3

namespace cnnv3 {
namespace {

// Not a pass/fail check: prints the conversion cost at 1080p for docs/video.md.
TEST(FrameConvert, SpeedAt1080p)
{
    for (AVPixelFormat format : {AV_PIX_FMT_YUV420P, AV_PIX_FMT_YUV420P10LE, AV_PIX_FMT_YUV444P, AV_PIX_FMT_RGB24}) {
        av::Frame f = make_video_frame(format, 1920, 1080);
        FrameConverter converter;
        RgbFrame rgb = natural_picture(1920, 1080, 9);
        converter.from_rgb(rgb, *f);
        constexpr int rounds = 3;
        const auto t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < rounds; ++i)
            converter.to_rgb(*f, rgb);
        const auto t1 = std::chrono::steady_clock::now();
        for (int i = 0; i < rounds; ++i)
            converter.from_rgb(rgb, *f);
        const auto t2 = std::chrono::steady_clock::now();
        std::cout << "[ measured ] 1920x1080 " << pixel_format_name(format) << ": to_rgb "
                  << std::chrono::duration<double, std::milli>(t1 - t0).count() / rounds << " ms, from_rgb "
                  << std::chrono::duration<double, std::milli>(t2 - t1).count() / rounds << " ms\n";
    }
}

}  // namespace
}  // namespace cnnv3
