// muxer_takes.h is the one answer to "does this container take this codec": its own answers for
// the containers and codecs the pipeline meets, and the three places that ask it (the video
// encoder rule, a named encoder, the audio copy / re-encode choice) answering the same for a table
// of containers x codecs.
#include "media_tools.h"
#include "audio_reencode.h"
#include "encoder_choice.h"
#include "muxer_takes.h"
#include "video_error.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

namespace cnnv3 {
namespace {

namespace fs = std::filesystem;

const char* name(Takes t)
{
    switch (t) {
    case Takes::no: return "no";
    case Takes::maybe: return "maybe";
    case Takes::yes: return "yes";
    }
    return "?";
}

const AVOutputFormat& container(const std::string& file)
{
    const AVOutputFormat* f = av_guess_format(nullptr, file.c_str(), nullptr);
    if (!f)
        throw std::runtime_error("no muxer for " + file);
    return *f;
}

const char* const files[] = {"a.mp4", "a.mkv", "a.webm", "a.ogg", "a.ts", "a.nut", "a.y4m", "a.mov"};

// One stream of each codec of the table, as encoded by ffmpeg (with its codec header), in one file.
class MuxerTakes : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        av_log_set_level(AV_LOG_QUIET);  // the muxers asked in memory say why they refuse
        dir_ = new test::TempDir("muxer-takes");
        const fs::path file = dir_->path() / "streams.mkv";
        test::ffmpeg("-f lavfi -i sine=duration=0.2 -f lavfi -i testsrc2=size=64x48:rate=5:duration=0.2"
                     " -map 0 -map 0 -map 0 -map 0 -map 1 -map 1 -map 1 -map 1 -c:a:0 aac -c:a:1 libopus"
                     " -c:a:2 flac -c:a:3 pcm_s16le -c:v:0 libx264 -c:v:1 ffv1 -c:v:2 rawvideo -c:v:3 libvpx-vp9"
                     " -pix_fmt yuv420p '" + file.string() + "'");
        AVFormatContext* raw = nullptr;
        if (avformat_open_input(&raw, file.c_str(), nullptr, nullptr) < 0)
            throw std::runtime_error(file.string() + ": cannot open");
        in_.reset(raw);
        if (avformat_find_stream_info(raw, nullptr) < 0)
            throw std::runtime_error(file.string() + ": cannot read its streams");
    }
    static void TearDownTestSuite()
    {
        in_.reset();
        delete dir_;
    }

    static std::vector<const AVStream*> streams()
    {
        return {in_->streams, in_->streams + in_->nb_streams};
    }

    static test::TempDir* dir_;
    static av::InputContext in_;
};

test::TempDir* MuxerTakes::dir_ = nullptr;
av::InputContext MuxerTakes::in_;

TEST_F(MuxerTakes, AnswersForTheContainersThePipelineMeets)
{
    // Before any stream exists (an encoder's codec).
    const std::map<std::pair<std::string, AVCodecID>, Takes> codec_form = {
        {{"a.mp4", AV_CODEC_ID_AAC}, Takes::yes},          {{"a.mp4", AV_CODEC_ID_H264}, Takes::yes},
        {{"a.mp4", AV_CODEC_ID_PCM_S16LE}, Takes::no},     {{"a.mp4", AV_CODEC_ID_FFV1}, Takes::no},
        {{"a.mkv", AV_CODEC_ID_PCM_S16LE}, Takes::yes},    {{"a.mkv", AV_CODEC_ID_FFV1}, Takes::yes},
        {{"a.webm", AV_CODEC_ID_AAC}, Takes::no},          {{"a.webm", AV_CODEC_ID_OPUS}, Takes::yes},
        {{"a.webm", AV_CODEC_ID_H264}, Takes::no},         {{"a.webm", AV_CODEC_ID_VP9}, Takes::yes},
        {{"a.ogg", AV_CODEC_ID_VORBIS}, Takes::yes},       {{"a.ogg", AV_CODEC_ID_THEORA}, Takes::yes},
        {{"a.ogg", AV_CODEC_ID_AAC}, Takes::no},           {{"a.ogg", AV_CODEC_ID_H264}, Takes::no},
        {{"a.ogg", AV_CODEC_ID_FFV1}, Takes::no},          {{"a.ogg", AV_CODEC_ID_VP8}, Takes::maybe},
        {{"a.ts", AV_CODEC_ID_H264}, Takes::yes},          {{"a.ts", AV_CODEC_ID_MPEG2VIDEO}, Takes::yes},
        {{"a.ts", AV_CODEC_ID_FFV1}, Takes::maybe},        {{"a.nut", AV_CODEC_ID_AAC}, Takes::yes},
        {{"a.nut", AV_CODEC_ID_FFV1}, Takes::yes},         {{"a.y4m", AV_CODEC_ID_WRAPPED_AVFRAME}, Takes::yes},
        {{"a.y4m", AV_CODEC_ID_H264}, Takes::no},          {{"a.y4m", AV_CODEC_ID_FFV1}, Takes::no},
        {{"a.y4m", AV_CODEC_ID_AAC}, Takes::no},
    };
    for (const auto& [key, expected] : codec_form)
        EXPECT_STREQ(name(muxer_takes(container(key.first), key.second)), name(expected))
            << key.first << " " << avcodec_get_name(key.second);
    // A stream that exists: Ogg refuses AAC at its header; MPEG-TS and NUT take it as it is.
    const AVCodecParameters& aac = *in_->streams[0]->codecpar;
    ASSERT_EQ(aac.codec_id, AV_CODEC_ID_AAC);
    EXPECT_FALSE(muxer_takes(container("a.ogg"), aac));
    EXPECT_TRUE(muxer_takes(container("a.ts"), aac));
    EXPECT_TRUE(muxer_takes(container("a.nut"), aac));
    EXPECT_FALSE(muxer_takes(container("a.y4m"), aac));
    // FFmpeg's list says yes, the muxer no: MOV writes Opus and FLAC only in its MP4 mode.
    const AVCodecParameters& opus = *in_->streams[1]->codecpar;
    const AVCodecParameters& flac = *in_->streams[2]->codecpar;
    ASSERT_EQ(opus.codec_id, AV_CODEC_ID_OPUS);
    ASSERT_EQ(flac.codec_id, AV_CODEC_ID_FLAC);
    EXPECT_STREQ(name(muxer_takes(container("a.mov"), AV_CODEC_ID_OPUS)), "yes");
    EXPECT_FALSE(muxer_takes(container("a.mov"), opus));
    EXPECT_FALSE(muxer_takes(container("a.mov"), flac));
    EXPECT_TRUE(muxer_takes(container("a.mp4"), opus));
    EXPECT_TRUE(muxer_takes(container("a.mkv"), flac));
    EXPECT_TRUE(muxer_takes(container("a.ogg"), flac));
}

// The two forms agree: what the codec form takes for sure, the stream form takes; what it refuses,
// the stream form refuses; but for the limits muxer_takes.h states, listed here so that a change
// shows: FFmpeg's codec list wider than its muxer (mov with Opus, FLAC, VP9; mp4 with FLAC), and Ogg
// building its header from Opus's and FLAC's own. Matroska takes raw video only with a codec tag,
// which a copy clears (the pipeline copies no video stream).
TEST_F(MuxerTakes, TheCodecAndTheStreamFormAgree)
{
    const std::set<std::pair<std::string, AVCodecID>> list_wider = {
        {"a.mov", AV_CODEC_ID_OPUS}, {"a.mov", AV_CODEC_ID_FLAC},    {"a.mov", AV_CODEC_ID_VP9},
        {"a.mp4", AV_CODEC_ID_FLAC}, {"a.mkv", AV_CODEC_ID_RAWVIDEO},
    };
    const std::set<std::pair<std::string, AVCodecID>> header_limit = {{"a.ogg", AV_CODEC_ID_OPUS},
                                                                      {"a.ogg", AV_CODEC_ID_FLAC}};
    for (const char* file : files)
        for (const AVStream* s : streams()) {
            const AVCodecID id = s->codecpar->codec_id;
            const Takes codec_form = muxer_takes(container(file), id);
            const bool stream_form = muxer_takes(container(file), *s->codecpar);
            const std::string where = std::string(file) + " " + avcodec_get_name(id);
            if (codec_form == Takes::yes) {
                EXPECT_EQ(stream_form, !list_wider.contains({file, id})) << where;
            } else if (codec_form == Takes::no) {
                EXPECT_EQ(stream_form, header_limit.contains({file, id})) << where;
            }
        }
}

// A named video encoder is refused for its container exactly where the codec form says no.
TEST_F(MuxerTakes, ANamedEncoderIsRefusedWhereTheContainerDoesNotTakeIt)
{
    for (const char* file : files)
        for (const char* encoder : {"libx264", "ffv1", "rawvideo", "libvpx-vp9", "wrapped_avframe", "libtheora"}) {
            const AVCodec* codec = avcodec_find_encoder_by_name(encoder);
            ASSERT_NE(codec, nullptr) << encoder;
            const bool refused = muxer_takes(container(file), codec->id) == Takes::no;
            std::string error;
            try {
                choose_encoder(container(file), file, AV_PIX_FMT_YUV420P, 320, 240, encoder, file);
            } catch (const VideoError& e) {
                error = e.what();
            }
            const std::string refusal = fmt::format("{}: the {} container cannot carry {} (encoder {})", file,
                                                    container(file).name, avcodec_get_name(codec->id), encoder);
            EXPECT_EQ(error == refusal, refused) << file << " " << encoder << ": " << error;
        }
}

// The default rule: libx264 where the container takes H.264 for sure, else (a size H.264 cannot
// code) ffv1 where it takes that for sure, else the container's own codec.
TEST_F(MuxerTakes, TheDefaultVideoRuleTakesOnlyWhatIsTakenForSure)
{
    for (const char* file : files) {
        const AVOutputFormat& c = container(file);
        const bool x264 = muxer_takes(c, AV_CODEC_ID_H264) == Takes::yes;
        const bool ffv1 = muxer_takes(c, AV_CODEC_ID_FFV1) == Takes::yes;
        EXPECT_EQ(std::string(choose_encoder(c, file, AV_PIX_FMT_YUV420P, 320, 240, "", file).codec->name) == "libx264",
                  x264) << file;
        EXPECT_EQ(choose_encoder(c, file, AV_PIX_FMT_YUV420P, 853, 479, "", file).codec->id == AV_CODEC_ID_FFV1, ffv1)
            << file;
    }
}

// IN's audio is copied exactly where the stream form takes it (and FFmpeg does not call it
// experimental); the encoder for the rest is one the codec form takes for sure, or the
// container's own audio codec.
TEST_F(MuxerTakes, TheAudioIsCopiedOrReencodedAsTheContainerTakesIt)
{
    for (const char* file : files) {
        const AVOutputFormat& c = container(file);
        for (const AVStream* s : streams()) {
            if (s->codecpar->codec_type != AVMEDIA_TYPE_AUDIO)
                continue;
            AVFormatContext* raw = nullptr;
            ASSERT_GE(avformat_alloc_output_context2(&raw, &c, nullptr, nullptr), 0);
            av::OutputContext out(raw);
            const AddedAudio added = add_audio_stream(*s, *out, "in.mkv", file);
            const bool copy = muxer_takes(c, *s->codecpar) && !audio_is_experimental_in(c, s->codecpar->codec_id);
            EXPECT_EQ(added.how == AddedAudio::How::copied, copy) << file << " " << avcodec_get_name(s->codecpar->codec_id);
        }
        if (const AVCodec* encoder = audio_encoder_for(c))
            EXPECT_TRUE(muxer_takes(c, encoder->id) == Takes::yes || encoder->id == c.audio_codec)
                << file << " " << encoder->name;
        else
            EXPECT_EQ(c.audio_codec, AV_CODEC_ID_NONE) << file;
    }
    // Opus into MOV is re-encoded (it used to be copied, and the output's header failed); FLAC into
    // MP4 keeps its reason.
    const auto added = [&](const char* file, int stream) {
        AVFormatContext* raw = nullptr;
        if (avformat_alloc_output_context2(&raw, &container(file), nullptr, nullptr) < 0)
            throw std::bad_alloc();
        av::OutputContext out(raw);
        const AddedAudio a = add_audio_stream(*in_->streams[stream], *out, "in.mkv", file);
        return a.how == AddedAudio::How::reencoded ? a.reencoder->describe() + ": " + a.why : std::string("copied");
    };
    EXPECT_EQ(added("a.mov", 1), "aac (aac), 48000 Hz mono, 64 kb/s: the mov container cannot carry it");
    EXPECT_EQ(added("a.mov", 2), "aac (aac), 44100 Hz mono, 64 kb/s: the mov container cannot carry it");
    EXPECT_EQ(added("a.mp4", 2), "aac (aac), 44100 Hz mono, 64 kb/s: flac in mp4 is experimental in FFmpeg");
    EXPECT_EQ(added("a.mp4", 1), "copied");
    // Where the container has a preference, it is the first one it takes for sure.
    EXPECT_EQ(audio_encoder_for(container("a.mkv"))->id, AV_CODEC_ID_OPUS);
    EXPECT_EQ(audio_encoder_for(container("a.webm"))->id, AV_CODEC_ID_OPUS);
    EXPECT_EQ(audio_encoder_for(container("a.mp4"))->id, AV_CODEC_ID_AAC);
    EXPECT_EQ(audio_encoder_for(container("a.mov"))->id, AV_CODEC_ID_AAC);
}

}  // namespace
}  // namespace cnnv3
