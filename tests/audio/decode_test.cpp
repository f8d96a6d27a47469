// Decoding and probing real files: WAV written by hand, NUT (video + PCM) written with libavformat,
// YUV4MPEG2 without audio, and broken files.

#include "audio_decode.h"
#include "media_probe.h"
#include "media_writer.h"
#include "synth.h"
#include "../temp_dir.h"

#include <gtest/gtest.h>

extern "C" {
#include <libavutil/log.h>
}

#include <cmath>
#include <fstream>
#include <numbers>
#include <string>

namespace cnnv3::test {
namespace {

Signal sine(double hz, double amplitude, double seconds, int rate = 48000)
{
    Signal s(rate, seconds);
    for (std::size_t i = 0; i < s.samples.size(); ++i)
        s.samples[i] = static_cast<float>(amplitude * std::sin(2.0 * std::numbers::pi * hz * static_cast<double>(i) / rate));
    return s;
}

bool is_one_line(const std::string& s) { return !s.empty() && s.find('\n') == std::string::npos; }

// FFmpeg's log lines about the deliberately broken files would only clutter the test output.
class QuietFfmpeg : public ::testing::Environment {
public:
    void SetUp() override { av_log_set_level(AV_LOG_QUIET); }
};
const auto* const quiet = ::testing::AddGlobalTestEnvironment(new QuietFfmpeg);

TEST(Decode, WavIsResampledToTheAnalysisRateKeepingItsChannels)
{
    testing::TempDir dir("audio");
    write_wav(dir / "a.wav", sine(440.0, 0.5, 2.0), 2, {1.0f, 0.25f});
    const DecodedAudio a = decode_audio(dir / "a.wav");
    EXPECT_EQ(a.sample_rate, analysis_sample_rate);
    EXPECT_EQ(a.channels, 2);
    EXPECT_NEAR(a.duration(), 2.0, 0.002);
    EXPECT_DOUBLE_EQ(a.start_time, 0.0);
    float left = 0.0f, right = 0.0f;
    for (std::size_t i = 0; i < a.frame_count(); ++i) {
        left = std::max(left, std::abs(a.samples[2 * i]));
        right = std::max(right, std::abs(a.samples[2 * i + 1]));
    }
    EXPECT_NEAR(left, 0.5f, 0.01f);
    EXPECT_NEAR(right, 0.125f, 0.01f);
}

TEST(Decode, MonoStaysMonoAndOtherRatesCanBeAskedFor)
{
    testing::TempDir dir("audio");
    write_wav(dir / "m.wav", sine(220.0, 0.3, 1.0, 44100), 1);
    const DecodedAudio a = decode_audio(dir / "m.wav", 22050);
    EXPECT_EQ(a.channels, 1);
    EXPECT_EQ(a.sample_rate, 22050);
    EXPECT_NEAR(static_cast<double>(a.frame_count()), 22050.0, 30.0);
}

TEST(Decode, AudioOfAVideoFileIsDecodedAndTheVideoIsProbed)
{
    testing::TempDir dir("audio");
    const Signal s = sine(330.0, 0.4, 3.0);
    write_nut(dir / "v.nut", 24000, 1001, 72, &s);
    const DecodedAudio a = decode_audio(dir / "v.nut");
    EXPECT_EQ(a.channels, 2);
    EXPECT_NEAR(a.duration(), 3.0, 0.01);
    EXPECT_NEAR(a.start_time, 0.0, 1e-9);

    const MediaInfo info = probe_media(dir / "v.nut");
    EXPECT_TRUE(info.has_audio);
    EXPECT_TRUE(info.has_video);
    EXPECT_NEAR(info.video_fps, 24000.0 / 1001.0, 1e-6);
    EXPECT_NEAR(info.video_start, 0.0, 1e-9);
    EXPECT_EQ(info.video_frames, 72);  // NUT stores no count: the packets were counted

    // FrameCount::stored: the same streams, rate and start without the pass over the packets.
    const MediaInfo header = probe_media(dir / "v.nut", FrameCount::stored);
    EXPECT_TRUE(header.has_audio);
    EXPECT_TRUE(header.has_video);
    EXPECT_EQ(header.video_fps, info.video_fps);
    EXPECT_EQ(header.video_start, info.video_start);
    EXPECT_EQ(header.duration, info.duration);
    EXPECT_EQ(header.video_frames, 0);
}

TEST(Decode, AFileWithoutAudioRaisesNoAudioStream)
{
    testing::TempDir dir("audio");
    write_y4m(dir / "silent.y4m", 25, 10);
    try {
        decode_audio(dir / "silent.y4m");
        FAIL() << "expected NoAudioStream";
    } catch (const NoAudioStream& e) {
        const std::string what = e.what();
        EXPECT_TRUE(is_one_line(what)) << what;
        EXPECT_EQ(what.rfind((dir / "silent.y4m").string() + ": ", 0), 0u) << what;
    }
    const MediaInfo info = probe_media(dir / "silent.y4m");
    EXPECT_FALSE(info.has_audio);
    EXPECT_TRUE(info.has_video);
    EXPECT_NEAR(info.video_fps, 25.0, 1e-9);
}

TEST(Decode, ACorruptFileGivesOneLineNamingTheFile)
{
    testing::TempDir dir("audio");
    {
        std::ofstream out(dir / "junk.wav", std::ios::binary);
        for (int i = 0; i < 4096; ++i)
            out.put(static_cast<char>((i * 7919) & 0xff));
    }
    for (const char* name : {"junk.wav", "missing.flac"}) {
        try {
            decode_audio(dir / name);
            FAIL() << "expected AudioError for " << name;
        } catch (const NoAudioStream&) {
            FAIL() << name << " is not a file without audio but a broken one";
        } catch (const AudioError& e) {
            const std::string what = e.what();
            EXPECT_TRUE(is_one_line(what)) << what;
            EXPECT_EQ(what.rfind((dir / name).string() + ": ", 0), 0u) << what;
        }
    }
    // The opening refusals say what was expected (user_media.h's open_media), as the prober's do.
    const std::string junk = (dir / "junk.wav").string();
    const std::string missing = (dir / "missing.flac").string();
    const auto refusal = [](const auto& open) {
        try {
            open();
        } catch (const AudioError& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    const std::string not_media = ": cannot open as a media file (Invalid data found when processing input; expected ";
    EXPECT_EQ(refusal([&] { decode_audio(junk); }), junk + not_media + "a media file with an audio stream)");
    EXPECT_EQ(refusal([&] { decode_audio(missing); }), missing + ": no such file (expected a media file with an audio stream)");
    EXPECT_EQ(refusal([&] { probe_media(junk); }), junk + not_media + "a media file)");
    EXPECT_EQ(refusal([&] { probe_media(missing); }), missing + ": no such file (expected a media file)");
}

TEST(Decode, ATruncatedFileDecodesWhatIsThere)
{
    testing::TempDir dir("audio");
    write_wav(dir / "t.wav", sine(440.0, 0.5, 2.0), 2);
    std::filesystem::resize_file(dir / "t.wav", std::filesystem::file_size(dir / "t.wav") / 2);
    const DecodedAudio a = decode_audio(dir / "t.wav");
    EXPECT_NEAR(a.duration(), 1.0, 0.01);
}

}  // namespace
}  // namespace cnnv3::test
