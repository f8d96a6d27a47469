// What a media file holds on its timeline, read with libavformat without decoding: whether it has
// video and audio, the video's frame rate, start and frame count (counted from the packets when the
// container does not store it), and the file's duration. The
// `analyze` command uses it to lay out one conditioning row per video frame.
//
// Times are seconds with 0 at the container's start time, as in audio_decode.h.
#pragma once

#include <cstdint>
#include <filesystem>

namespace cnnv3 {

class SpooledInput;

// The streams of a media file as the conditioning layer needs them.
struct MediaInfo {
    bool has_audio = false;          // at least one audio stream
    bool has_video = false;          // a real video stream (attached cover pictures do not count)
    double video_fps = 0.0;          // the video's frame rate (average, else nominal); 0 if unknown
    double video_start = 0.0;        // presentation time of the first video frame
    std::int64_t video_frames = 0;   // frame count (from the container, else by counting packets;
                                     // 0 = unknown with FrameCount::stored)
    double video_duration = 0.0;     // seconds; 0 if unknown
    double audio_start = 0.0;        // presentation time of the first audio sample
    double duration = 0.0;           // the file's duration in seconds; 0 if unknown
};

// Where the frame count comes from when the container does not store it (NUT, Matroska, y4m):
// `counted` reads every video packet (a whole pass over the file, without decoding); `stored`
// takes only what the header says (video_frames 0 and, for such files, video_duration often 0),
// for callers that do not need the count (`cnnv3 stylize`, whose transcoder counts as it goes).
enum class FrameCount { counted, stored };

// Reads the stream information of `path` (opened as user_media.h says). Throws AudioError
// ("FILE: problem") when the file is missing or not a media file FFmpeg can open. The overload for
// a SpooledInput reads its copy and names the user's input in errors.
MediaInfo probe_media(const std::filesystem::path& path, FrameCount count = FrameCount::counted);
MediaInfo probe_media(const SpooledInput& input, FrameCount count = FrameCount::counted);

}  // namespace cnnv3
