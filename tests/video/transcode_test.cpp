// The transcode pipeline end to end, with CPU processors and clips made by the ffmpeg CLI:
// frames, timestamps (VFR too), stream copy, colour tags, formats, lossless round trips, pipes,
// stills, refusals, corrupt input, the stop flag and the partial-file protocol.
#include "media_tools.h"
#include "atomic_file.h"
#include "video_error.h"
#include "video_transcode.h"

extern "C" {
#include <libavutil/pixdesc.h>
}

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <fstream>
#include <thread>
#include <unistd.h>

namespace cnnv3 {
namespace {

namespace fs = std::filesystem;
using test::decode_video;
using test::ffmpeg;
using test::read_media;

// The clips (made once per suite by the ffmpeg CLI) and a fresh output directory per test.
class Transcode : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        av_log_set_level(AV_LOG_ERROR);  // keep x264's statistics out of the test log
        clips_ = new test::TempDir();
        const fs::path& d = clips_->path();
        {
            std::ofstream srt(d / "subs.srt");
            srt << "1\n00:00:00,200 --> 00:00:00,900\nHello\n\n2\n00:00:01,000 --> 00:00:01,600\nWorld\n";
        }
        const std::string q = "'";
        // 2 s of 320x240 H.264 (BT.709 tags) + AAC + SRT.
        ffmpeg("-f lavfi -i testsrc2=size=320x240:rate=25:duration=2 -f lavfi -i sine=frequency=440:duration=2 -i " +
               q + (d / "subs.srt").string() + q +
               " -map 0 -map 1 -map 2 -c:v libx264 -preset ultrafast -crf 30 -pix_fmt yuv420p -colorspace bt709"
               " -color_primaries bt709 -color_trc bt709 -color_range tv -c:a aac -b:a 64k -c:s srt " +
               q + (d / "av.mkv").string() + q);
        // Variable frame rate: every fifth frame of a 30 fps clip dropped, timestamps passed through.
        ffmpeg("-f lavfi -i testsrc2=size=160x120:rate=30:duration=1 -vf \"select='not(eq(mod(n\\,5)\\,2))'\""
               " -fps_mode passthrough -c:v libx264 -preset ultrafast " + q + (d / "vfr.mkv").string() + q);
        // Odd size, 10-bit 4:2:0 (ffv1: H.264 cannot code odd sizes), BT.2020 / HLG / top-left chroma tags.
        // (Smooth gradients: saturated colour edges would clip in RGB and hide the round trip.)
        ffmpeg("-f lavfi -i gradients=size=853x479:rate=10:duration=0.4:speed=0.05:seed=1,format=rgb24,"
               "lutrgb=r=val*0.8+25:g=val*0.8+25:b=val*0.8+25 -pix_fmt yuv420p10le -c:v ffv1"
               " -colorspace bt2020nc -color_primaries bt2020 -color_trc arib-std-b67 -color_range tv"
               " -chroma_sample_location topleft " + q + (d / "odd10.mkv").string() + q);
        ffmpeg("-f lavfi -i testsrc2=size=160x120:rate=10:duration=0.5 -pix_fmt yuv422p -c:v libx264 -preset ultrafast " +
               q + (d / "422.mkv").string() + q);
        ffmpeg("-f lavfi -i testsrc2=size=160x120:rate=10:duration=0.5 -pix_fmt yuv444p10le -c:v libx264 -preset ultrafast " +
               q + (d / "444.mkv").string() + q);
        // Lossless RGB sources (rawvideo in NUT): noisy 8-bit RGB and random 16-bit planar RGB.
        ffmpeg("-f lavfi -i testsrc2=size=96x64:rate=10:duration=0.5 -vf noise=alls=60:allf=t,format=rgb24"
               " -c:v rawvideo " + q + (d / "rgb24.nut").string() + q);
        ffmpeg("-f lavfi -i \"nullsrc=size=97x65:rate=10:duration=0.5,format=gbrp16le,"
               "geq=r='random(1)*65535':g='random(2)*65535':b='random(3)*65535'\" -c:v rawvideo " +
               q + (d / "gbrp16.nut").string() + q);
        ffmpeg("-f lavfi -i testsrc2=size=160x120:rate=25:duration=0.4 -c:v libx264 -preset ultrafast " +
               q + (d / "noaudio.mkv").string() + q);
        ffmpeg("-f lavfi -i gradients=size=176x144:rate=25:duration=0.4:speed=0.05:seed=2 -pix_fmt yuv420p -f yuv4mpegpipe " +
               q + (d / "clip.y4m").string() + q);
        ffmpeg("-f lavfi -i testsrc2=size=67x45:rate=1,format=rgb24 -frames:v 1 " + q + (d / "still.png").string() + q);
 ffmpeg("-i " + q + (d / "av.mkv").string() + q + " -map 0 -c copy " + q + (d / "remux.mkv").string() + q);
        ffmpeg("-f lavfi -i sine=frequency=440:duration=0.5 -c:a flac " + q + (d / "audio.flac").string() + q);
        // A phone-style rotated clip (display matrix: the rotate tag is honoured when stream copying).
        ffmpeg("-f lavfi -i testsrc2=size=160x120:rate=25:duration=0.2 -c:v libx264 -preset ultrafast " + q +
               (d / "upright.mp4").string() + q);
        ffmpeg("-i " + q + (d / "upright.mp4").string() + q + " -c copy -metadata:s:v:0 rotate=90 " + q +
               (d / "rotated.mp4").string() + q);
        ffmpeg("-f lavfi -i testsrc2=size=160x120:rate=25:duration=2 -f lavfi -i sine=duration=2 -c:v libx264"
               " -preset ultrafast -c:a aac " + q + (d / "whole.mp4").string() + q);
    }
    static void TearDownTestSuite()
    {
        delete clips_;
        clips_ = nullptr;
    }

    static fs::path clip(const std::string& name) { return clips_->path() / name; }

    // Runs the pipeline from `in` to a file in this test's directory.
    TranscodeResult run(const fs::path& in, const std::string& out_name, FrameProcessor& processor,
                        TranscodeOptions options = {})
    {
        options.input = in.string();
        options.output = (dir_ / out_name).string();
        return transcode_video(options, processor);
    }

    // Every file in this test's directory (to check nothing partial is left).
    std::vector<std::string> files() const
    {
        std::vector<std::string> names;
        for (const auto& e : fs::directory_iterator(dir_.path()))
            names.push_back(e.path().filename().string());
        std::sort(names.begin(), names.end());
        return names;
    }

    static test::TempDir* clips_;
    test::TempDir dir_;
};

test::TempDir* Transcode::clips_ = nullptr;

std::vector<double> pts_seconds(const test::StreamRecord& s)
{
    std::vector<double> pts;
    for (const auto& p : s.packets)
        pts.push_back(p.pts * av_q2d(s.time_base));
    std::sort(pts.begin(), pts.end());
    return pts;
}

// Same packet data, and the same timestamps (exactly, or within one tick of a's time base when b's
// is finer and the timestamps went through the sample clock).
void expect_same_packets(const test::StreamRecord& a, const test::StreamRecord& b, bool exact_pts = true)
{
    ASSERT_EQ(a.packets.size(), b.packets.size());
    ASSERT_GT(a.packets.size(), 0u);
    for (std::size_t i = 0; i < a.packets.size(); ++i) {
        EXPECT_EQ(a.packets[i].data, b.packets[i].data) << "packet " << i;
        if (exact_pts)
            EXPECT_EQ(av_compare_ts(a.packets[i].pts, a.time_base, b.packets[i].pts, b.time_base), 0) << "packet " << i;
        else
            EXPECT_NEAR(a.packets[i].pts * av_q2d(a.time_base), b.packets[i].pts * av_q2d(b.time_base),
                        av_q2d(a.time_base)) << "packet " << i;
    }
}

TEST_F(Transcode, KeepsFramesTimestampsTagsAndCopiesAudioAndSubtitles)
{
    test::RecordingProcessor processor;
    std::vector<TranscodeProgress> reports;
    TranscodeOptions options;
    options.progress = [&](const TranscodeProgress& p) { reports.push_back(p); };
    options.progress_interval = 0.0;
    const TranscodeResult result = run(clip("av.mkv"), "out.mkv", processor, options);

    EXPECT_EQ(result.encoder, "libx264");
    EXPECT_EQ(result.pixel_format, "yuv420p");
    EXPECT_EQ(result.container, "matroska");
    EXPECT_FALSE(result.stopped);
    EXPECT_TRUE(result.notes.empty()) << result.notes.front();
    EXPECT_EQ(files(), std::vector<std::string>{"out.mkv"});

    const test::MediaRecord in = read_media(clip("av.mkv"));
    const test::MediaRecord out = read_media(dir_ / "out.mkv");
    ASSERT_EQ(out.streams.size(), 3u);
    const test::StreamRecord& vin = *in.first(AVMEDIA_TYPE_VIDEO);
    const test::StreamRecord& vout = *out.first(AVMEDIA_TYPE_VIDEO);
    EXPECT_EQ(decode_video(dir_ / "out.mkv").frames.size(), 50u);
    EXPECT_EQ(result.frames, 50);
    EXPECT_EQ(pts_seconds(vout), pts_seconds(vin));
    // The video ends where it ended; the file lasts as long as a plain stream copy of the input
    // (ffmpeg -c copy): the demuxer's last audio packet duration, not the encoder's, decides both.
    EXPECT_EQ(av_compare_ts(vout.packets.back().end(), vout.time_base, vin.packets.back().end(), vin.time_base), 0);
    EXPECT_DOUBLE_EQ(out.duration, read_media(clip("remux.mkv")).duration);
    EXPECT_NEAR(out.duration, in.duration, 0.025);
    EXPECT_EQ(vout.tags, vin.tags);
    EXPECT_EQ(vout.tags.colorspace, AVCOL_SPC_BT709);
    EXPECT_EQ(vout.width, 320);
    expect_same_packets(*in.first(AVMEDIA_TYPE_AUDIO), *out.first(AVMEDIA_TYPE_AUDIO));
    expect_same_packets(*in.first(AVMEDIA_TYPE_SUBTITLE), *out.first(AVMEDIA_TYPE_SUBTITLE));
    EXPECT_EQ(out.first(AVMEDIA_TYPE_SUBTITLE)->codec, "subrip");

    // The processor saw every frame once, in order, at its presentation time.
    EXPECT_EQ(processor.starts, 1);
    EXPECT_EQ(processor.info.width, 320);
    EXPECT_NEAR(processor.info.frame_rate, 25.0, 1e-9);
    ASSERT_EQ(processor.times.size(), 50u);
    const std::vector<double> video_pts = pts_seconds(vin);
    for (std::size_t i = 0; i < processor.times.size(); ++i) {
        EXPECT_EQ(processor.indices[i], static_cast<int64_t>(i));
        // From the container's start (AAC priming makes the video start a little later).
        EXPECT_NEAR(processor.times[i], video_pts[i] - in.start_time, 1e-9);
        EXPECT_NEAR(processor.times[i] - processor.times[0], i * 0.04, 1e-3);
    }
    ASSERT_FALSE(reports.empty());
    EXPECT_TRUE(reports.back().finished);
    EXPECT_EQ(reports.back().frames_done, 50);
    EXPECT_EQ(reports.back().frames_total, 50);
    EXPECT_GT(reports.front().frames_total, 0);
}

TEST_F(Transcode, VariableFrameRateKeepsThePtsSequence)
{
    test::RecordingProcessor processor;
    run(clip("vfr.mkv"), "vfr-out.mkv", processor);
    const test::MediaRecord in = read_media(clip("vfr.mkv"));
    const test::MediaRecord out = read_media(dir_ / "vfr-out.mkv");
    const std::vector<double> expected = pts_seconds(*in.first(AVMEDIA_TYPE_VIDEO));
    ASSERT_EQ(expected.size(), 24u);
    EXPECT_EQ(pts_seconds(*out.first(AVMEDIA_TYPE_VIDEO)), expected);
    ASSERT_EQ(processor.times.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i)
        EXPECT_NEAR(processor.times[i], expected[i] - in.start_time, 1e-9);
}

TEST_F(Transcode, OddSize10Bit420KeepsFormatTagsAndValues)
{
    test::RecordingProcessor processor;
    const TranscodeResult result = run(clip("odd10.mkv"), "odd.mkv", processor);
    EXPECT_EQ(result.encoder, "ffv1");  // libx264 cannot code 853x479 4:2:0
    EXPECT_EQ(result.pixel_format, "yuv420p10le");
    const test::MediaRecord in = read_media(clip("odd10.mkv"));
    const test::MediaRecord out = read_media(dir_ / "odd.mkv");
    const test::StreamRecord& vout = *out.first(AVMEDIA_TYPE_VIDEO);
    EXPECT_EQ(vout.tags, in.first(AVMEDIA_TYPE_VIDEO)->tags);
    EXPECT_EQ(vout.tags.colorspace, AVCOL_SPC_BT2020_NCL);
    EXPECT_EQ(vout.tags.transfer, AVCOL_TRC_ARIB_STD_B67);
    EXPECT_EQ(vout.tags.chroma_location, AVCHROMA_LOC_TOPLEFT);
    EXPECT_EQ(vout.width, 853);
    EXPECT_EQ(vout.height, 479);
    const test::DecodedVideo a = decode_video(clip("odd10.mkv"));
    const test::DecodedVideo b = decode_video(dir_ / "odd.mkv");
    ASSERT_EQ(a.frames.size(), 4u);
    ASSERT_EQ(b.frames.size(), 4u);
    for (std::size_t i = 0; i < a.frames.size(); ++i) {
        EXPECT_EQ(test::max_difference(*a.frames[i], *b.frames[i], 0), 0u);
        // Chroma: within 1 code value inside; the outermost chroma samples of the odd right edge
        // (a lone luma column) resample with a one-sided window (docs/video.md).
        EXPECT_LE(test::max_difference(*a.frames[i], *b.frames[i], 1, 4), 1u);
        EXPECT_LE(test::max_difference(*a.frames[i], *b.frames[i], 2, 4), 1u);
        EXPECT_LE(test::max_difference(*a.frames[i], *b.frames[i], 1), 24u);
        EXPECT_LE(test::max_difference(*a.frames[i], *b.frames[i], 2), 24u);
    }
}

TEST_F(Transcode, Chroma422And444AreKept)
{
    test::RecordingProcessor processor;
    EXPECT_EQ(run(clip("422.mkv"), "422.mkv", processor).pixel_format, "yuv422p");
    EXPECT_EQ(run(clip("444.mkv"), "444.mkv", processor).pixel_format, "yuv444p10le");
    EXPECT_EQ(decode_video(dir_ / "422.mkv").frames.size(), 5u);
    EXPECT_EQ(decode_video(dir_ / "444.mkv").frames.size(), 5u);
    EXPECT_EQ(read_media(dir_ / "444.mkv").first(AVMEDIA_TYPE_VIDEO)->codec, "h264");
}

// Every R, G, B value of every frame of `a` and `b` (of any RGB formats) equal, through `f`.
template <class F>
void expect_rgb_relation(const fs::path& a_file, const fs::path& b_file, F f)
{
    const test::DecodedVideo a = decode_video(a_file);
    const test::DecodedVideo b = decode_video(b_file);
    ASSERT_EQ(a.frames.size(), b.frames.size());
    ASSERT_GT(a.frames.size(), 0u);
    for (std::size_t i = 0; i < a.frames.size(); ++i)
        for (int c = 0; c < 3; ++c) {
            const std::vector<uint32_t> x = test::component(*a.frames[i], c), y = test::component(*b.frames[i], c);
            ASSERT_EQ(x.size(), y.size());
            std::size_t wrong = 0;
            for (std::size_t k = 0; k < x.size(); ++k)
                wrong += y[k] != f(x[k]);
            EXPECT_EQ(wrong, 0u) << "frame " << i << " component " << c;
        }
}

TEST_F(Transcode, Rgb24AndGbrp16RoundTripBitExactThroughFfv1)
{
    test::RecordingProcessor identity;
    TranscodeOptions options;
    options.encoder = "ffv1";
    EXPECT_EQ(run(clip("rgb24.nut"), "rgb24.mkv", identity, options).pixel_format, "bgr0");  // ffv1's 8-bit RGB
    expect_rgb_relation(clip("rgb24.nut"), dir_ / "rgb24.mkv", [](uint32_t v) { return v; });
    EXPECT_EQ(run(clip("gbrp16.nut"), "gbrp16.mkv", identity, options).pixel_format, "gbrp16le");
    expect_rgb_relation(clip("gbrp16.nut"), dir_ / "gbrp16.mkv", [](uint32_t v) { return v; });
    // The default rule picks the same lossless path for RGB input.
    EXPECT_EQ(run(clip("gbrp16.nut"), "default.mkv", identity).encoder, "ffv1");
    // rawvideo keeps rgb24 itself.
    options.encoder = "rawvideo";
    EXPECT_EQ(run(clip("rgb24.nut"), "raw.nut", identity, options).pixel_format, "rgb24");
    expect_rgb_relation(clip("rgb24.nut"), dir_ / "raw.nut", [](uint32_t v) { return v; });
}

TEST_F(Transcode, KnownPerPixelFunctionIsApplied)
{
    test::InvertProcessor invert;
    TranscodeOptions options;
    options.encoder = "ffv1";
    run(clip("rgb24.nut"), "inverted.mkv", invert, options);
    expect_rgb_relation(clip("rgb24.nut"), dir_ / "inverted.mkv", [](uint32_t v) { return 255 - v; });
    run(clip("gbrp16.nut"), "inverted16.mkv", invert, options);
    expect_rgb_relation(clip("gbrp16.nut"), dir_ / "inverted16.mkv", [](uint32_t v) { return 65535 - v; });
}

TEST_F(Transcode, VideoWithoutAudio)
{
    test::RecordingProcessor processor;
    const TranscodeResult result = run(clip("noaudio.mkv"), "v.mkv", processor);
    EXPECT_EQ(result.frames, 10);
    const test::MediaRecord out = read_media(dir_ / "v.mkv");
    ASSERT_EQ(out.streams.size(), 1u);
    EXPECT_EQ(out.streams[0].type, AVMEDIA_TYPE_VIDEO);
}

TEST_F(Transcode, Y4mFromStdinToStdoutThroughPipes)
{
    int in_pipe[2], out_pipe[2];
    ASSERT_EQ(pipe(in_pipe), 0);
    ASSERT_EQ(pipe(out_pipe), 0);
    std::ifstream source(clip("clip.y4m"), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(source)), std::istreambuf_iterator<char>());
    std::thread writer([&] {
        std::size_t done = 0;
        while (done < bytes.size()) {
            const ssize_t n = write(in_pipe[1], bytes.data() + done, bytes.size() - done);
            if (n <= 0)
                break;
            done += static_cast<std::size_t>(n);
        }
        close(in_pipe[1]);
    });
    std::string received;
    std::thread reader([&] {
        char buf[65536];
        ssize_t n = 0;
        while ((n = read(out_pipe[0], buf, sizeof buf)) > 0)
            received.append(buf, static_cast<std::size_t>(n));
    });
    test::RecordingProcessor processor;
    TranscodeOptions options;
    options.input = "-";
    options.output = "-";
    options.stdin_fd = in_pipe[0];
    options.stdout_fd = out_pipe[1];
    TranscodeResult result;
    EXPECT_NO_THROW(result = transcode_video(options, processor));
    close(out_pipe[1]);
    writer.join();
    reader.join();
    close(in_pipe[0]);
    close(out_pipe[0]);

    EXPECT_EQ(result.container, "yuv4mpegpipe");
    EXPECT_EQ(result.pixel_format, "yuv420p");
    EXPECT_EQ(result.frames, 10);
    EXPECT_EQ(received.rfind("YUV4MPEG2 W176 H144 F25:1", 0), 0u) << received.substr(0, 40);
    const fs::path out_file = dir_ / "received.y4m";
    std::ofstream(out_file, std::ios::binary) << received;
    const test::DecodedVideo a = decode_video(clip("clip.y4m"));
    const test::DecodedVideo b = decode_video(out_file);
    ASSERT_EQ(b.frames.size(), 10u);
    for (std::size_t i = 0; i < a.frames.size(); ++i) {
        EXPECT_EQ(test::max_difference(*a.frames[i], *b.frames[i], 0), 0u);
        EXPECT_LE(test::max_difference(*a.frames[i], *b.frames[i], 1), 1u);
        EXPECT_LE(test::max_difference(*a.frames[i], *b.frames[i], 2), 1u);
    }
}

TEST_F(Transcode, StillPngBecomes16BitPng)
{
    test::RecordingProcessor processor;
    const TranscodeResult result = run(clip("still.png"), "still-out.png", processor);
    EXPECT_EQ(result.encoder, "png");
    EXPECT_EQ(result.pixel_format, "rgb48be");
    EXPECT_EQ(result.frames, 1);
    EXPECT_EQ(files(), std::vector<std::string>{"still-out.png"});
    const test::DecodedVideo out = decode_video(dir_ / "still-out.png");
    ASSERT_EQ(out.frames.size(), 1u);
    EXPECT_EQ(out.frames[0]->format, AV_PIX_FMT_RGB48BE);
    EXPECT_EQ(out.frames[0]->width, 67);
    // 8-bit v becomes v * 257 exactly (v / 255 through float, then round(x * 65535)).
    expect_rgb_relation(clip("still.png"), dir_ / "still-out.png", [](uint32_t v) { return v * 257; });
    // A video into an image: its first frame.
    run(clip("noaudio.mkv"), "first.png", processor);
    EXPECT_EQ(decode_video(dir_ / "first.png").frames.size(), 1u);
}

TEST_F(Transcode, TruncatedInputIsAnErrorAndLeavesNoFile)
{
    // An MP4 cut in half has lost its index (moov at the end).
    const fs::path cut = dir_ / "cut.mp4";
    fs::copy_file(clip("whole.mp4"), cut);
    fs::resize_file(cut, fs::file_size(cut) / 2);
    test::RecordingProcessor processor;
    try {
        run(cut, "out.mkv", processor);
        ADD_FAILURE() << "truncated MP4 accepted";
    } catch (const VideoError& e) {
        EXPECT_EQ(std::string(e.what()).rfind(cut.string() + ": ", 0), 0u) << e.what();
        EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
    }
    EXPECT_EQ(files(), std::vector<std::string>{"cut.mp4"});

    // A Matroska file cut in half: it demuxes to a clean end, but its header declares 2 s.
    const fs::path cut_mkv = dir_ / "cut.mkv";
    fs::copy_file(clip("av.mkv"), cut_mkv);
    fs::resize_file(cut_mkv, fs::file_size(cut_mkv) / 2);
    try {
        run(cut_mkv, "out.mkv", processor);
        ADD_FAILURE() << "truncated Matroska accepted";
    } catch (const VideoError& e) {
        EXPECT_NE(std::string(e.what()).find("but its header says 2.0"), std::string::npos) << e.what();
    }
    EXPECT_EQ(files(), (std::vector<std::string>{"cut.mkv", "cut.mp4"}));
    fs::remove(cut_mkv);

    // Garbage that is no media file at all.
    const fs::path junk = dir_ / "junk.mkv";
    std::ofstream(junk) << "this is not a video file";
    EXPECT_THROW(run(junk, "out2.mkv", processor), VideoError);
    EXPECT_EQ(files(), (std::vector<std::string>{"cut.mp4", "junk.mkv"}));
}

TEST_F(Transcode, InputWithoutVideoIsRefused)
{
    test::RecordingProcessor processor;
    try {
        run(clip("audio.flac"), "out.mkv", processor);
        ADD_FAILURE() << "audio-only input accepted";
    } catch (const VideoError& e) {
        EXPECT_NE(std::string(e.what()).find("has no video stream"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(files().empty());
}

TEST_F(Transcode, ExistingOutputIsRefusedUnlessOverwrite)
{
    const fs::path out = dir_ / "out.mkv";
    std::ofstream(out) << "precious";
    test::RecordingProcessor processor;
    try {
        run(clip("noaudio.mkv"), "out.mkv", processor);
        ADD_FAILURE() << "existing output overwritten";
    } catch (const OutputFileError& e) {
        EXPECT_EQ(std::string(e.what()), out.string() + ": exists (not overwritten without -y)");
    }
    EXPECT_EQ(fs::file_size(out), 8u);
    EXPECT_TRUE(processor.times.empty());  // refused before decoding anything
    TranscodeOptions options;
    options.overwrite = true;
    run(clip("noaudio.mkv"), "out.mkv", processor, options);
    EXPECT_EQ(decode_video(out).frames.size(), 10u);
    EXPECT_EQ(files(), std::vector<std::string>{"out.mkv"});
}

// Sets the stop flag (as the CLI's SIGINT handler would) once `after` frames were processed.
struct StopAfter : FrameProcessor {
    std::atomic<bool>& stop;
    int64_t after;
    int64_t seen = 0;
    StopAfter(std::atomic<bool>& s, int64_t n) : stop(s), after(n) {}
    void process(RgbFrame&) override
    {
        if (++seen == after)
            stop = true;
    }
};

TEST_F(Transcode, OutputOntoTheInputIsRefusedEvenWithOverwrite)
{
    const fs::path in = dir_ / "in.mkv";
    fs::copy_file(clip("noaudio.mkv"), in);
    fs::create_hard_link(in, dir_ / "hard.mkv");
    const auto size = fs::file_size(in);
    test::RecordingProcessor processor;
    TranscodeOptions options;
    options.overwrite = true;
    for (const char* out : {"in.mkv", "hard.mkv"}) {
        try {
            run(in, out, processor, options);
            ADD_FAILURE() << out << " written onto the input";
        } catch (const OutputFileError& e) {
            EXPECT_NE(std::string(e.what()).find(": is the input " + in.string()), std::string::npos) << e.what();
        }
    }
    EXPECT_EQ(fs::file_size(in), size);
    EXPECT_TRUE(processor.times.empty());
    EXPECT_EQ(files(), (std::vector<std::string>{"hard.mkv", "in.mkv"}));
}

TEST_F(Transcode, StopFlagFinalisesAShorterValidFile)
{
    std::atomic<bool> stop{false};
    StopAfter processor(stop, 10);
    TranscodeOptions options;
    options.stop = &stop;
    const TranscodeResult result = run(clip("av.mkv"), "stopped.mkv", processor, options);
    EXPECT_TRUE(result.stopped);
    EXPECT_GE(result.frames, 10);
    EXPECT_LT(result.frames, 50);
    EXPECT_EQ(files(), std::vector<std::string>{"stopped.mkv"});
    // ffprobe reads the finished file and counts the same frames.
    const std::string counted = test::shell_output(
        "ffprobe -v error -select_streams v:0 -count_frames -show_entries stream=nb_read_frames -of csv=p=0 '" +
        (dir_ / "stopped.mkv").string() + "'");
    EXPECT_EQ(std::stoll(counted), result.frames);
    EXPECT_GT(read_media(dir_ / "stopped.mkv").first(AVMEDIA_TYPE_AUDIO)->packets.size(), 0u);

    // Stopped before anything was read: an error, and no file.
    StopAfter never(stop, -1);
    EXPECT_THROW(run(clip("av.mkv"), "never.mkv", never, options), VideoError);
    EXPECT_EQ(files(), std::vector<std::string>{"stopped.mkv"});
}

// Throws on the fourth frame, as a GPU failure would.
struct Failing : FrameProcessor {
    void process(RgbFrame& frame) override
    {
        if (frame.index == 3)
            throw std::runtime_error("GPU lost");
    }
};

TEST_F(Transcode, ProcessorFailureLeavesNoFile)
{
    Failing processor;
    EXPECT_THROW(run(clip("av.mkv"), "out.mkv", processor), std::runtime_error);
    EXPECT_TRUE(files().empty());
}

// Breaks the contract: replaces the frame with a 2x2 one.
struct Resizing : FrameProcessor {
    void process(RgbFrame& frame) override { frame.rgb = Planes(3, 2, 2); }
};

TEST_F(Transcode, ProcessorMustKeepTheSize)
{
    Resizing processor;
    EXPECT_THROW(run(clip("noaudio.mkv"), "out.mkv", processor), VideoError);
    EXPECT_TRUE(files().empty());
}

TEST_F(Transcode, StreamsTheContainerCannotCarryAreNoted)
{
    test::RecordingProcessor processor;
    const TranscodeResult result = run(clip("av.mkv"), "out.mp4", processor);
    ASSERT_EQ(result.notes.size(), 1u);
    EXPECT_NE(result.notes[0].find("stream #2 (subtitle, subrip) left out"), std::string::npos) << result.notes[0];
    const test::MediaRecord in = read_media(clip("av.mkv"));
    const test::MediaRecord out = read_media(dir_ / "out.mp4");
    EXPECT_EQ(out.streams.size(), 2u);
    // Matroska's millisecond timestamps become MP4's sample-clock ones (within the millisecond).
    expect_same_packets(*in.first(AVMEDIA_TYPE_AUDIO), *out.first(AVMEDIA_TYPE_AUDIO), false);
    EXPECT_EQ(pts_seconds(*out.first(AVMEDIA_TYPE_VIDEO)), pts_seconds(*in.first(AVMEDIA_TYPE_VIDEO)));
}

TEST_F(Transcode, EncoderOptionsAndRefusals)
{
    test::RecordingProcessor processor;
    TranscodeOptions options;
    options.encoder_options = {{"preset", "ultrafast"}, {"tune", "zerolatency"}};
    options.crf = 30;
    EXPECT_EQ(run(clip("noaudio.mkv"), "fast.mkv", processor, options).encoder, "libx264");

    options.encoder_options = {{"no-such-option", "1"}};
    try {
        run(clip("noaudio.mkv"), "bad.mkv", processor, options);
        ADD_FAILURE() << "unknown option accepted";
    } catch (const VideoError& e) {
        EXPECT_NE(std::string(e.what()).find("encoder libx264 has no option \"no-such-option\""), std::string::npos)
            << e.what();
    }
    TranscodeOptions ffv1;
    ffv1.encoder = "ffv1";
    ffv1.crf = 10;
    EXPECT_THROW(run(clip("noaudio.mkv"), "crf.mkv", processor, ffv1), VideoError);
    TranscodeOptions unknown;
    unknown.encoder = "no-such-encoder";
    EXPECT_THROW(run(clip("noaudio.mkv"), "x.mkv", processor, unknown), VideoError);
    EXPECT_THROW(run(clip("noaudio.mkv"), "x.unknown-extension", processor), VideoError);
    EXPECT_EQ(files(), std::vector<std::string>{"fast.mkv"});
}

TEST_F(Transcode, OrientationIsKept)
{
    test::RecordingProcessor processor;
    run(clip("rotated.mp4"), "rotated.mp4", processor);  // (Matroska gets orientation only in FFmpeg 6.1+)
    const auto rotation = [](const fs::path& f) {
        return test::shell_output("ffprobe -v error -select_streams v:0 -show_entries stream_side_data=rotation"
                                  " -of csv=p=0 '" + f.string() + "'");
    };
    ASSERT_EQ(rotation(clip("rotated.mp4")).substr(0, 3), "90\n");
    EXPECT_EQ(rotation(dir_ / "rotated.mp4"), rotation(clip("rotated.mp4")));
}

TEST_F(Transcode, MaxFramesAndPartialNames)
{
    test::RecordingProcessor processor;
    TranscodeOptions options;
    options.max_frames = 7;
    EXPECT_EQ(run(clip("av.mkv"), "seven.mkv", processor, options).frames, 7);
    EXPECT_EQ(decode_video(dir_ / "seven.mkv").frames.size(), 7u);
    EXPECT_EQ(parse_encoder_option("x264-params=keyint=60"), (std::pair<std::string, std::string>{"x264-params", "keyint=60"}));
    EXPECT_THROW(parse_encoder_option("preset"), VideoError);
    EXPECT_THROW(parse_encoder_option("=slow"), VideoError);
}

}  // namespace
}  // namespace cnnv3
