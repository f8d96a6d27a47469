#include "replacement_audio.h"

#include "user_media.h"
#include "video_error.h"

extern "C" {
#include <libavutil/mathematics.h>
}

#include <fmt/format.h>

#include <cmath>

namespace cnnv3 {

ReplacementAudio::ReplacementAudio(const std::string& path, const std::string& name, double offset,
                                   const std::atomic<bool>* stop)
    : name_(media_name(path, name)), offset_(offset)
{
    if (!std::isfinite(offset) || offset < 0.0)
        throw VideoError(name_, fmt::format("--audio-offset {} (expected seconds >= 0)", offset));
    in_ = open_media<VideoError>(path, name_, "a file with the music for --audio", {nullptr, 0, stop});
    AVFormatContext* raw = in_.get();
    index_ = audio_stream_index(*raw);
    if (index_ < 0)
        throw VideoError(name_, "has no audio stream (expected a file with the music for --audio)");
    read_only_stream(*raw, index_);
    origin_ = raw->start_time == AV_NOPTS_VALUE ? 0.0 : static_cast<double>(raw->start_time) / AV_TIME_BASE;
    if (raw->duration != AV_NOPTS_VALUE && raw->duration > 0 &&
        offset >= static_cast<double>(raw->duration) / AV_TIME_BASE)
        throw VideoError(name_, fmt::format("--audio-offset {} s is past its end at {:.3f} s (expected an offset "
                                            "inside the audio)", offset,
                                            static_cast<double>(raw->duration) / AV_TIME_BASE));
}

std::string ReplacementAudio::add_stream(AVFormatContext& out, const std::string& out_name)
{
    const AVStream& is = *in_->streams[index_];
    const char* codec = avcodec_get_name(is.codecpar->codec_id);
    AddedAudio added = add_audio_stream(is, out, name_, out_name);
    switch (added.how) {
    case AddedAudio::How::no_audio:
        throw VideoError(name_, fmt::format("the {} container holds no audio (expected an output container with "
                                            "audio for --audio, e.g. .mkv or .mp4)", out.oformat->name));
    case AddedAudio::How::cannot_decode:
        throw VideoError(name_, fmt::format("the {} container cannot carry its {} audio, and this FFmpeg cannot "
                                            "decode it to re-encode it (expected e.g. .mkv)", out.oformat->name, codec));
    case AddedAudio::How::copied:
        out_stream_ = added.stream;
        return "";
    case AddedAudio::How::reencoded:
        break;
    }
    reencoder_ = std::move(added.reencoder);
    out_stream_ = added.stream;
    return fmt::format("the audio of {} ({}) re-encoded to {}: {}", name_, codec, reencoder_->describe(), added.why);
}

void ReplacementAudio::finish(const std::function<void(AVPacket&)>& write)
{
    if (reencoder_)
        reencoder_->send(nullptr, write);
}

bool ReplacementAudio::read_next()
{
    while (!ended_) {
        av_packet_unref(next_.get());
        const int rc = av_read_frame(in_.get(), next_.get());
        if (rc == AVERROR_EOF) {
            ended_ = true;
            break;
        }
        if (rc < 0)
            throw VideoError(name_, fmt::format("cannot read the audio ({})", av::error_text(rc)));
        if (next_->stream_index == index_ && next_->pts != AV_NOPTS_VALUE)
            return true;
    }
    return false;
}

void ReplacementAudio::write_until(double video_start, double until, const std::function<void(AVPacket&)>& write)
{
    if (!out_stream_)
        return;  // an image output: no audio
    const AVRational tb = in_->streams[index_]->time_base;
    // FILE's time t plays at video_start + (t - origin - offset) on the output's timeline.
    const double shift = video_start - origin_ - offset_;
    while (true) {
        if (!have_next_ && !(have_next_ = read_next()))
            return;
        const double start = next_->pts * av_q2d(tb);
        const double half = 0.5 * std::max<int64_t>(next_->duration, 0) * av_q2d(tb);
        if (start + half < origin_ + offset_) {  // mostly before the offset: left out
            have_next_ = false;
            continue;
        }
        if (start + half + shift >= until)  // mostly after the end: later (or never)
            return;
        const int64_t delta = std::llround(shift / av_q2d(tb));
        AVPacket& p = *next_;
        p.pts += delta;
        if (p.dts != AV_NOPTS_VALUE)
            p.dts += delta;
        have_next_ = false;
        if (reencoder_) {
            reencoder_->send(&p, write);
            continue;
        }
        av_packet_rescale_ts(&p, tb, out_stream_->time_base);
        p.stream_index = out_stream_->index;
        p.pos = -1;
        write(p);
    }
}

}  // namespace cnnv3
