// The audio of `cnnv3 stylize --audio FILE [--audio-offset S]`: the first audio stream of FILE,
// copied packet for packet into the output in place of IN's audio. FILE's moment S plays with the
// first video frame; packets mostly before S are left out, and so are those mostly after the
// video's end (the cuts fall on packet boundaries: within half an audio packet, 10-45 ms for
// common codecs).
//
// Owned by the transcoder of one run; not thread-safe.
#pragma once

#include "audio_reencode.h"
#include "av_handles.h"

#include <atomic>
#include <functional>
#include <memory>
#include <string>

namespace cnnv3 {

class ReplacementAudio {
public:
    // Opens `path` (user_media.h); `name` names it in messages ("" = media_name(path)). Throws
    // VideoError(name, ...) when it cannot be read, has no audio stream, or `offset` is negative or
    // not before its end.
    ReplacementAudio(const std::string& path, const std::string& name, double offset, const std::atomic<bool>* stop);

    // Adds the output stream to `out` (before its header is written): the packets as they are, or
    // re-encoded (audio_reencode.h) where the container cannot carry the codec, as IN's own audio
    // would be; returns the note for that case ("" when copied). `out_name` names OUT in errors.
    // Throws VideoError when the container holds no audio or the codec cannot be decoded.
    std::string add_stream(AVFormatContext& out, const std::string& out_name);

    // Hands `write` every packet (timestamps on the output's timeline, in the output stream's time
    // base) that starts before `until` seconds; `video_start` is the first video frame's time on
    // that timeline. Throws VideoError(name, ...) for a read error.
    void write_until(double video_start, double until, const std::function<void(AVPacket&)>& write);
    // Drains the re-encoder, if there is one, into `write`; once, after the last write_until.
    void finish(const std::function<void(AVPacket&)>& write);

    const std::string& name() const { return name_; }

private:
    bool read_next();  // the next packet of the stream into next_; false at the end

    std::string name_;
    double offset_;
    av::InputContext in_;
    int index_ = -1;
    AVStream* out_stream_ = nullptr;
    std::unique_ptr<AudioReencoder> reencoder_;  // where the container cannot carry the codec
    av::Packet next_ = av::make_packet();
    bool have_next_ = false;
    bool ended_ = false;
    double origin_ = 0.0;  // the container's start, seconds: FILE's moment 0
};

}  // namespace cnnv3
