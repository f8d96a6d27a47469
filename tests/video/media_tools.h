// Test helpers for tests/video: clip generation with the ffmpeg CLI, a temporary directory, and
// reading files back (packets of every stream, decoded video frames) with FFmpeg's libraries.
#pragma once

#include "../temp_dir.h"

#include "av_handles.h"
#include "color_tags.h"
#include "frame_processor.h"
#include "rgb_processor.h"

#include <filesystem>
#include <string>
#include <vector>

namespace cnnv3::test {

// The tests' one temporary directory (tests/temp_dir.h), under the name these tests know it by.
using TempDir = cnnv3::testing::TempDir;

// Runs `ffmpeg -hide_banner -nostdin -v error -y ARGS` through the shell; throws std::runtime_error
// with the command line when it fails.
void ffmpeg(const std::string& args);

// Runs a shell command and returns its standard output (throws when the exit status is not 0).
std::string shell_output(const std::string& command);

// One packet as stored in a file.
struct PacketRecord {
    int64_t end() const { return pts + duration; }
    int64_t pts = 0, dts = 0, duration = 0;
    std::vector<uint8_t> data;
};

// One stream of a file and all of its packets, in file order.
struct StreamRecord {
    AVMediaType type = AVMEDIA_TYPE_UNKNOWN;
    std::string codec;                  // codec name, e.g. "aac"
    AVRational time_base{0, 1};
    int format = -1;                    // pixel or sample format
    int width = 0, height = 0;
    ColorTags tags;
    std::vector<PacketRecord> packets;
};

// What read_media() found.
struct MediaRecord {
    std::string container;              // demuxer name
    double duration = 0.0;              // the container's duration, seconds
    double start_time = 0.0;            // the container's start, seconds
    std::vector<StreamRecord> streams;
    const StreamRecord* first(AVMediaType type) const;
};

MediaRecord read_media(const std::filesystem::path& file);

// The decoded frames of the first video stream (pts in the stream time base, best effort).
struct DecodedVideo {
    AVRational time_base{0, 1};
    std::vector<av::Frame> frames;
};
DecodedVideo decode_video(const std::filesystem::path& file);

// Component c of a frame (0 = Y/R, 1 = U/G, 2 = V/B, 3 = A) at its own resolution, row-major.
std::vector<uint32_t> component(const AVFrame& frame, int c);
// Largest |a - b| over component c of two frames of the same format and size, leaving out
// `border` samples along each edge of the component's plane.
uint32_t max_difference(const AVFrame& a, const AVFrame& b, int c, int border = 0);

// A frame of `format` with w x h pixels, allocated.
av::Frame make_video_frame(AVPixelFormat format, int width, int height);

// Fills every component of `frame` with deterministic pseudo-random values in the component's range.
void fill_random(AVFrame& frame, uint32_t seed);

// Leaves frames unchanged (identity) and records what the pipeline handed it.
struct RecordingProcessor : RgbProcessor {
    int starts = 0;
    VideoStreamInfo info;
    std::vector<double> times;
    std::vector<int64_t> indices;
    void start(const VideoStreamInfo& i) override
    {
        ++starts;
        info = i;
    }
    void process(RgbFrame& frame) override
    {
        times.push_back(frame.time);
        indices.push_back(frame.index);
    }
};

// v -> 1 - v on R, G and B (a known per-pixel function); alpha untouched.
struct InvertProcessor : RgbProcessor {
    void process(RgbFrame& frame) override
    {
        for (float& v : frame.rgb.data)
            v = 1.0f - v;
    }
};

}  // namespace cnnv3::test
