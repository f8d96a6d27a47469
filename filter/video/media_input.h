// Opening the pipeline's input: a file, or "-" for standard input (any container FFmpeg reads,
// y4m included), its first video stream and that stream's decoder.
#pragma once

#include "av_handles.h"

#include <atomic>
#include <string>

namespace cnnv3 {

// An opened input, ready for av_read_frame.
struct MediaInput {
    av::InputContext format;   // the demuxer (stream information already read)
    int video_index = -1;      // the first video stream that is not an attached picture (cover art)
    av::CodecContext decoder;  // opened, pkt_timebase = the stream's time base
    std::string name;          // for messages: the path, or "stdin"
};

// Opens `path` the one way the tools open a user's media (open_media in user_media.h);
// `format_name` forces a demuxer ("" = probe). While `stop` is set, blocking reads give up
// (AVERROR_EXIT). `name` names the input in messages ("" = media_name(path)). Throws
// VideoError(name, ...) when the input cannot be opened or read, has no video stream, or its codec
// cannot be decoded.
MediaInput open_media_input(const std::string& path, const std::string& format_name, int stdin_fd,
                            const std::atomic<bool>* stop, const std::string& name = "");

}  // namespace cnnv3
