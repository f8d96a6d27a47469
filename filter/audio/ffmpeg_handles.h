// Owning handles for the FFmpeg objects the audio layer opens (RAII: each frees itself with the
// matching FFmpeg call), plus the error-text helper. Internal to filter/audio; FFmpeg 5.1 API
// (AVChannelLayout, swr_alloc_set_opts2), which later FFmpeg versions keep.
#pragma once

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/error.h>
#include <libswresample/swresample.h>
}

#include "user_media.h"

#include <memory>
#include <string>

namespace cnnv3::ffmpeg {

struct FormatContextCloser {
    void operator()(AVFormatContext* p) const { avformat_close_input(&p); }
};
struct CodecContextFreer {
    void operator()(AVCodecContext* p) const { avcodec_free_context(&p); }
};
struct PacketFreer {
    void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct FrameFreer {
    void operator()(AVFrame* p) const { av_frame_free(&p); }
};
struct SwrFreer {
    void operator()(SwrContext* p) const { swr_free(&p); }
};

// An input opened with avformat_open_input (closed with avformat_close_input).
using InputFormat = std::unique_ptr<AVFormatContext, FormatContextCloser>;
using CodecContext = std::unique_ptr<AVCodecContext, CodecContextFreer>;
using Packet = std::unique_ptr<AVPacket, PacketFreer>;
using Frame = std::unique_ptr<AVFrame, FrameFreer>;
using Resampler = std::unique_ptr<SwrContext, SwrFreer>;

// FFmpeg's text for an AVERROR code, e.g. "Invalid data found when processing input".
inline std::string error_text(int code)
{
    char buf[AV_ERROR_MAX_STRING_SIZE] = {};
    av_strerror(code, buf, sizeof buf);
    return buf;
}

// Opens `path` the one way the tools open a user's media (user_media.h) and reads its stream
// information. Throws `Error(name, problem)` on failure, so the caller picks the exception type;
// `expected` says what the file should have been ("a media file").
template <class Error>
InputFormat open_input(const std::string& path, const std::string& name, const std::string& expected)
{
    AVFormatContext* raw = nullptr;
    if (int rc = open_media(&raw, path, nullptr, 0, nullptr); rc < 0)
        throw Error(name, rc == AVERROR(ENOENT) ? "no such file (expected " + expected + ")"
                                                : "cannot open as a media file (" + error_text(rc) + ")");
    InputFormat input(raw);
    if (int rc = avformat_find_stream_info(input.get(), nullptr); rc < 0)
        throw Error(name, "cannot read the stream information (" + error_text(rc) + ")");
    return input;
}

// Seconds of a timestamp in `time_base`, or `fallback` for AV_NOPTS_VALUE.
inline double seconds(int64_t ts, AVRational time_base, double fallback = 0.0)
{
    return ts == AV_NOPTS_VALUE ? fallback : static_cast<double>(ts) * av_q2d(time_base);
}

// Seconds of `ts` (in `time_base`) from the container's start time (`fallback` for
// AV_NOPTS_VALUE), subtracted on integers: the same file with its timestamps moved (a start at
// 100000 s, a negative start after a wrap) gives the same values.
inline double seconds_from_start(int64_t ts, AVRational time_base, const AVFormatContext* fmt, double fallback = 0.0)
{
    if (ts == AV_NOPTS_VALUE)
        return fallback;
    const int64_t origin = fmt->start_time == AV_NOPTS_VALUE ? 0 : av_rescale_q(fmt->start_time, AV_TIME_BASE_Q, time_base);
    return static_cast<double>(ts - origin) * av_q2d(time_base);
}

}  // namespace cnnv3::ffmpeg
