#include "media_input.h"

#include "user_media.h"
#include "video_error.h"

#include <fmt/format.h>

namespace cnnv3 {

MediaInput open_media_input(const std::string& path, const std::string& format_name, int stdin_fd,
                            const std::atomic<bool>* stop, const std::string& name)
{
    MediaInput input;
    input.name = name.empty() ? media_name(path) : name;

    const AVInputFormat* forced = nullptr;
    if (!format_name.empty() && !(forced = av_find_input_format(format_name.c_str())))
        throw VideoError(input.name, fmt::format("no demuxer named \"{}\" in this FFmpeg (see ffmpeg -demuxers)",
                                                 format_name));
    AVFormatContext* raw = nullptr;
    if (int rc = open_media(&raw, path, forced, stdin_fd, stop); rc < 0)
        throw VideoError(input.name, fmt::format("cannot open as a media file ({})", av::error_text(rc)));
    input.format.reset(raw);
    if (int rc = avformat_find_stream_info(raw, nullptr); rc < 0)
        throw VideoError(input.name, fmt::format("cannot read the stream information ({})", av::error_text(rc)));

    for (unsigned i = 0; i < raw->nb_streams; ++i) {
        const AVStream* st = raw->streams[i];
        if (st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO && !(st->disposition & AV_DISPOSITION_ATTACHED_PIC)) {
            input.video_index = static_cast<int>(i);
            break;
        }
    }
    if (input.video_index < 0)
        throw VideoError(input.name, fmt::format("has no video stream (expected a video or an image; found {} stream{})",
                                                 raw->nb_streams, raw->nb_streams == 1 ? "" : "s"));

    const AVStream* st = raw->streams[input.video_index];
    const AVCodec* codec = avcodec_find_decoder(st->codecpar->codec_id);
    if (!codec)
        throw VideoError(input.name, fmt::format("no decoder for its video codec \"{}\"",
                                                 avcodec_get_name(st->codecpar->codec_id)));
    input.decoder.reset(avcodec_alloc_context3(codec));
    if (!input.decoder)
        throw std::bad_alloc();
    if (int rc = avcodec_parameters_to_context(input.decoder.get(), st->codecpar); rc < 0)
        throw VideoError(input.name, fmt::format("cannot set up the {} decoder ({})", codec->name, av::error_text(rc)));
    input.decoder->pkt_timebase = st->time_base;
    input.decoder->thread_count = 0;  // FFmpeg picks (one per core)
    if (int rc = avcodec_open2(input.decoder.get(), codec, nullptr); rc < 0)
        throw VideoError(input.name, fmt::format("cannot open the {} decoder ({})", codec->name, av::error_text(rc)));
    return input;
}

}  // namespace cnnv3
