// A demuxer's timestamps as seconds from the container's start, for the audio layer (which opens a
// user's media with user_media.h's open_media). Internal to filter/audio.
#pragma once

#include "av_handles.h"

namespace cnnv3::ffmpeg {

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
