// Opening the pipeline's input: a file, or "-" for standard input (any container FFmpeg reads,
// y4m included), its first video stream and that stream's decoder, optionally a hardware one.
#pragma once

#include "av_handles.h"

#include <atomic>
#include <functional>
#include <string>

namespace cnnv3 {

// Hardware decoding (`cnnv3 stylize --hwdec`, docs/video.md).
//   none: FFmpeg's software decoder.
//   automatic: the first of the decoder's FFmpeg hwaccels (NVDEC/cuda, VAAPI, VDPAU, Vulkan, ...)
//     whose device opens on this machine; else, or for a stream the hardware cannot decode (the
//     decoder's get_format falls back), software, silently. Frames then come back to memory with
//     software_frame().
enum class HwDecode { none, automatic };

// "auto" / "none" as a HwDecode; throws VideoError("--hwdec", ...) for anything else.
HwDecode parse_hwdec(const std::string& text);

// An opened input, ready for av_read_frame.
struct MediaInput {
    av::InputContext format;   // the demuxer (stream information already read)
    int video_index = -1;      // the first video stream that is not an attached picture (cover art)
    av::CodecContext decoder;  // opened, pkt_timebase = the stream's time base
    std::string name;          // for messages: the path, or "stdin"
    std::string hw_device;     // the hardware decoder's device type ("cuda", "vaapi", ...), "" = software
};

// A decoded frame in memory: `frame` itself when it holds software pixels, else (a hardware frame)
// its pixels transferred (av_hwframe_transfer_data, the device's download format, e.g. nv12) with
// its properties, into `scratch`, which is returned. `allocate` (optional) may give `scratch`
// (format, width and height set) its buffers first - the transcoder's decode buffers, where the
// processor offers them - and returns false when it did not (FFmpeg's allocator then). Throws
// VideoError(name, ...) when the transfer fails.
AVFrame& software_frame(AVFrame& frame, av::Frame& scratch, const std::string& name,
                        const std::function<bool(AVFrame&)>& allocate = {});

// Opens `path` the one way the tools open a user's media (open_media in user_media.h);
// `format_name` forces a demuxer ("" = probe). While `stop` is set, blocking reads give up
// (AVERROR_EXIT). `name` names the input in messages ("" = media_name(path)). Throws
// VideoError(name, ...) when the input cannot be opened or read, has no video stream, or its codec
// cannot be decoded.
MediaInput open_media_input(const std::string& path, const std::string& format_name, int stdin_fd,
                            const std::atomic<bool>* stop, const std::string& name = "",
                            HwDecode hwdec = HwDecode::none);

}  // namespace cnnv3
