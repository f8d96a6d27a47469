#include "media_probe.h"

#include "audio_decode.h"
#include "stream_time.h"
#include "user_media.h"

#include <algorithm>

namespace cnnv3 {

namespace {

// For containers that do not store the frame count (NUT, Matroska, ...): reads (without decoding)
// the video packets, counting them and noting where the last one ends.
void count_video_packets(AVFormatContext* input, int index, MediaInfo& info)
{
    read_only_stream(*input, index);
    const AVStream* s = input->streams[index];
    av::Packet packet(av_packet_alloc());
    if (!packet)
        return;
    std::int64_t count = 0;
    std::int64_t end = AV_NOPTS_VALUE;
    while (av_read_frame(input, packet.get()) >= 0) {
        if (packet->stream_index == index) {
            ++count;
            if (packet->pts != AV_NOPTS_VALUE)
                end = std::max(end == AV_NOPTS_VALUE ? packet->pts + packet->duration : end, packet->pts + packet->duration);
        }
        av_packet_unref(packet.get());
    }
    info.video_frames = count;
    if (info.video_duration <= 0.0 && end != AV_NOPTS_VALUE && s->start_time != AV_NOPTS_VALUE)
        info.video_duration = ffmpeg::seconds(end - s->start_time, s->time_base);
}

MediaInfo probe_stream(const std::string& path, const std::string& name, FrameCount count)
{
    av::InputContext input = open_media<AudioError>(path, name, "a media file");

    MediaInfo info;
    if (input->duration != AV_NOPTS_VALUE && input->duration > 0)
        info.duration = static_cast<double>(input->duration) / AV_TIME_BASE;
    if (const int audio_index = audio_stream_index(*input); audio_index >= 0) {
        const AVStream* s = input->streams[audio_index];
        info.has_audio = true;
        info.audio_start = ffmpeg::seconds_from_start(s->start_time, s->time_base, input.get());
    }
    const int video_index = video_stream_index(*input);
    if (video_index >= 0) {
        const AVStream* s = input->streams[video_index];
        info.has_video = true;
        AVRational rate = s->avg_frame_rate;
        if (rate.num <= 0 || rate.den <= 0)
            rate = s->r_frame_rate;
        if (rate.num > 0 && rate.den > 0)
            info.video_fps = av_q2d(rate);
        info.video_start = ffmpeg::seconds_from_start(s->start_time, s->time_base, input.get());
        info.video_frames = s->nb_frames > 0 ? s->nb_frames : 0;
        if (s->duration != AV_NOPTS_VALUE && s->duration > 0)
            info.video_duration = ffmpeg::seconds(s->duration, s->time_base);
    }
    if (video_index >= 0 && info.video_frames == 0 && count == FrameCount::counted)
        count_video_packets(input.get(), video_index, info);
    return info;
}

}  // namespace

MediaInfo probe_media(const std::filesystem::path& path, FrameCount count)
{
    return probe_stream(path.string(), media_name(path.string()), count);
}

MediaInfo probe_media(const SpooledInput& input, FrameCount count)
{
    return probe_stream(input.path(), input.name(), count);
}

}  // namespace cnnv3
