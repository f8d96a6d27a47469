// The encoder rule of encoder_choice.h for the containers and formats the pipeline meets.
#include "encoder_choice.h"
#include "video_error.h"

extern "C" {
#include <libavutil/pixdesc.h>
}

#include <gtest/gtest.h>

namespace cnnv3 {
namespace {

EncoderChoice choose(const char* file, AVPixelFormat format, int w = 320, int h = 240, const std::string& name = "")
{
    const AVOutputFormat* container = av_guess_format(nullptr, file, nullptr);
    if (!container)
        throw std::runtime_error(std::string("no muxer for ") + file);
    return choose_encoder(*container, file, format, w, h, name, file);
}

TEST(EncoderChoice, DefaultRule)
{
    for (AVPixelFormat f : {AV_PIX_FMT_YUV420P, AV_PIX_FMT_YUV422P, AV_PIX_FMT_YUV444P, AV_PIX_FMT_YUV420P10LE,
                            AV_PIX_FMT_YUV422P10LE, AV_PIX_FMT_YUV444P10LE, AV_PIX_FMT_YUVJ420P}) {
        const EncoderChoice c = choose("a.mkv", f);
        EXPECT_STREQ(c.codec->name, "libx264") << av_get_pix_fmt_name(f);
        EXPECT_EQ(c.pixel_format, f);
        EXPECT_FALSE(c.lossless);
    }
    EXPECT_STREQ(choose("a.mp4", AV_PIX_FMT_YUV420P).codec->name, "libx264");
    EXPECT_STREQ(choose("a.mov", AV_PIX_FMT_YUV420P10LE).codec->name, "libx264");
    // Odd sizes, 12-bit, RGB: ffv1 where it loses nothing.
    EXPECT_STREQ(choose("a.mkv", AV_PIX_FMT_YUV420P, 853, 479).codec->name, "ffv1");
    EXPECT_STREQ(choose("a.mkv", AV_PIX_FMT_YUV422P, 853, 480).codec->name, "ffv1");
    EXPECT_STREQ(choose("a.mkv", AV_PIX_FMT_YUV422P, 852, 479).codec->name, "libx264");
    const EncoderChoice twelve = choose("a.mkv", AV_PIX_FMT_YUV420P12LE);
    EXPECT_STREQ(twelve.codec->name, "ffv1");
    EXPECT_EQ(twelve.pixel_format, AV_PIX_FMT_YUV420P12LE);
    EXPECT_TRUE(twelve.lossless);
    const EncoderChoice rgb = choose("a.mkv", AV_PIX_FMT_RGB24);
    EXPECT_STREQ(rgb.codec->name, "ffv1");
    EXPECT_EQ(rgb.pixel_format, AV_PIX_FMT_BGR0);
    EXPECT_EQ(choose("a.mkv", AV_PIX_FMT_GBRP16LE).pixel_format, AV_PIX_FMT_GBRP16LE);
    EXPECT_EQ(choose("a.mkv", AV_PIX_FMT_RGBA64LE).pixel_format, AV_PIX_FMT_RGBA64LE);
    // y4m: the raw frames in a YUV4MPEG format.
    const EncoderChoice y4m = choose("a.y4m", AV_PIX_FMT_YUV420P10LE);
    EXPECT_STREQ(y4m.codec->name, "wrapped_avframe");
    EXPECT_EQ(y4m.pixel_format, AV_PIX_FMT_YUV420P10LE);
    EXPECT_EQ(choose("a.y4m", AV_PIX_FMT_RGB24).pixel_format, AV_PIX_FMT_YUV444P);
    // Images.
    EXPECT_EQ(choose("a.png", AV_PIX_FMT_YUV420P).pixel_format, AV_PIX_FMT_RGB48BE);
    EXPECT_EQ(choose("a.png", AV_PIX_FMT_RGBA).pixel_format, AV_PIX_FMT_RGBA64BE);
    EXPECT_STREQ(choose("a.jpg", AV_PIX_FMT_YUV420P).codec->name, "mjpeg");
}

TEST(EncoderChoice, NamedEncoder)
{
    const EncoderChoice c = choose("a.mkv", AV_PIX_FMT_RGB24, 320, 240, "libx264rgb");
    EXPECT_STREQ(c.codec->name, "libx264rgb");
    EXPECT_EQ(c.pixel_format, AV_PIX_FMT_RGB24);
    EXPECT_EQ(choose("a.mkv", AV_PIX_FMT_YUV420P12LE, 320, 240, "libx264").pixel_format, AV_PIX_FMT_YUV420P10LE);
    try {
        choose("a.mkv", AV_PIX_FMT_YUV420P, 320, 240, "nope264");
        FAIL() << "unknown encoder accepted";
    } catch (const VideoError& e) {
        EXPECT_STREQ(e.what(), "a.mkv: no video encoder named \"nope264\" in this FFmpeg (see ffmpeg -encoders)");
    }
    EXPECT_THROW(choose("a.y4m", AV_PIX_FMT_YUV420P, 320, 240, "libx264"), VideoError);
    EXPECT_THROW(choose("a.mkv", AV_PIX_FMT_YUV420P, 320, 240, "aac"), VideoError);
    // Muxers without a codec list are asked (muxer_takes.h): Ogg refuses H.264 before any work
    // (it used to pass here and fail at the output's header); MPEG-TS takes it.
    try {
        choose("a.ogg", AV_PIX_FMT_YUV420P, 320, 240, "libx264");
        FAIL() << "H.264 into Ogg accepted";
    } catch (const VideoError& e) {
        EXPECT_STREQ(e.what(), "a.ogg: the ogg container cannot carry h264 (encoder libx264)");
    }
    EXPECT_STREQ(choose("a.ts", AV_PIX_FMT_YUV420P, 320, 240, "libx264").codec->name, "libx264");
    EXPECT_STREQ(choose("a.ogg", AV_PIX_FMT_YUV420P, 320, 240, "libtheora").codec->name, "libtheora");
}

// Audio formats cannot hold the video: refused with what was expected, before any work.
TEST(EncoderChoice, AnAudioOnlyContainerIsRefusedSayingWhatWasExpected)
{
    const auto refusal = [](const std::string& output, const std::string& format = "") {
        try {
            return std::string(output_container(output, format, output).name);
        } catch (const VideoError& e) {
            return std::string(e.what());
        }
    };
    for (const auto& [file, extension] :
         {std::pair{"song.mp3", ".mp3"}, {"song.flac", ".flac"}, {"song.wav", ".wav"}, {"song.opus", ".opus"},
          {"song.aiff", ".aiff"}, {"song.aac", ".aac"}, {"song.mka", ".mka"}, {"sub.srt", ".srt"},
          {"sub.vtt", ".vtt"}, {"sub.ass", ".ass"}, {"meta.ffmeta", ".ffmeta"}})
        EXPECT_EQ(refusal(file), std::string(file) + ": the " + extension + " container cannot hold video (expected a "
                                 "video container such as .mkv, .mp4, .mov, .nut or .y4m, or an image such as .png)");
    EXPECT_EQ(refusal("clip.mkv", "mp3"), "clip.mkv: the mp3 container cannot hold video (expected a video container "
                                          "such as .mkv, .mp4, .mov, .nut or .y4m, or an image such as .png)");
    EXPECT_EQ(refusal("clip.mkv", "nope"), "clip.mkv: no muxer named \"nope\" in this FFmpeg (expected a name from "
                                           "ffmpeg -muxers)");
    EXPECT_EQ(refusal("clip.unknownext"), "clip.unknownext: cannot choose a container from the file name (expected an "
                                          "extension such as .mkv, .mp4, .mov, .nut, .y4m or .png)");
    // Containers that hold video, the music ones with video included.
    for (const auto& [file, muxer] : {std::pair{"a.mkv", "matroska"}, {"a.mp4", "mp4"}, {"a.m4a", "ipod"},
                                      {"a.ogg", "ogg"}, {"a.nut", "nut"}, {"a.y4m", "yuv4mpegpipe"}, {"a.png", "image2"},
                                      {"a.webm", "webm"}, {"a.mov", "mov"}, {"a.avi", "avi"}, {"a.ts", "mpegts"}})
        EXPECT_EQ(refusal(file), muxer);
    EXPECT_EQ(refusal("-"), "yuv4mpegpipe");
}

}  // namespace
}  // namespace cnnv3
