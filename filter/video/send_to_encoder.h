// FFmpeg's encode loop, written once for the video encoder (video_transcode.cpp) and the audio
// re-encoder (audio_reencode.cpp): send one frame, then take every packet the encoder has ready.
// Not thread-safe (an encoder belongs to one thread); owns nothing.
#pragma once

#include "av_handles.h"
#include "video_error.h"

#include <fmt/format.h>

#include <string>

namespace cnnv3 {

// Sends `frame` to the opened `encoder` (nullptr: the end of the stream, which drains it) and hands
// every packet it then has ready to `sink(AVPacket&)`, in the encoder's time base with its stream
// index not yet set; the sink may take the packet's data (av_interleaved_write_frame does), and
// `packet` (the caller's, reused from call to call) is unreferenced before the next one. Returns
// when the encoder wants more input or has ended (a second nullptr is harmless).
// Throws VideoError(`output`, "the NAME encoder refused WHAT (reason)") when the frame is refused,
// `what()` giving WHAT ("frame 12", "the audio") only then, and VideoError(`output`, "the NAME
// encoder failed (reason)") when it fails to give a packet; what `sink` throws passes through.
template <class What, class Sink>
void send_to_encoder(AVCodecContext& encoder, const AVFrame* frame, AVPacket& packet, const std::string& output,
                     What&& what, Sink&& sink)
{
    if (int rc = avcodec_send_frame(&encoder, frame); rc < 0 && rc != AVERROR_EOF)
        throw VideoError(output, fmt::format("the {} encoder refused {} ({})", encoder.codec->name, what(),
                                             av::error_text(rc)));
    while (true) {
        const int rc = avcodec_receive_packet(&encoder, &packet);  // unreferences `packet` first
        if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF)
            return;
        if (rc < 0)
            throw VideoError(output, fmt::format("the {} encoder failed ({})", encoder.codec->name,
                                                 av::error_text(rc)));
        sink(packet);
    }
}

}  // namespace cnnv3
