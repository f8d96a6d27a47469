// Opening a user's media for the audio layer and reading its timestamps as seconds from the
// container's start. Internal to filter/audio; the handles are av_handles.h's.
#pragma once

#include "av_handles.h"
#include "user_media.h"

#include <memory>
#include <string>

namespace cnnv3::ffmpeg {

// Opens `path` the one way the tools open a user's media (user_media.h) and reads its stream
// information. Throws `Error(name, problem)` on failure, so the caller picks the exception type;
// `expected` says what the file should have been ("a media file").
template <class Error>
av::InputContext open_input(const std::string& path, const std::string& name, const std::string& expected)
{
    AVFormatContext* raw = nullptr;
    if (int rc = open_media(&raw, path, nullptr, 0, nullptr); rc < 0)
        throw Error(name, rc == AVERROR(ENOENT) ? "no such file (expected " + expected + ")"
                                                : "cannot open as a media file (" + av::error_text(rc) + ")");
    av::InputContext input(raw);
    if (int rc = avformat_find_stream_info(input.get(), nullptr); rc < 0)
        throw Error(name, "cannot read the stream information (" + av::error_text(rc) + ")");
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
