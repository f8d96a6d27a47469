// What the pipeline reports while it runs, for a progress line or JSON in the CLI.
#pragma once

#include <cstdint>
#include <functional>

namespace cnnv3 {

struct TranscodeProgress {
    int64_t frames_done = 0;       // frames encoded so far
    int64_t frames_total = -1;     // estimate from the container (frame count, or duration x rate); -1 unknown
    double fps = 0.0;              // frames per second of wall-clock time since the first frame
    double eta_seconds = -1.0;     // remaining time at that rate; -1 when the total is unknown
    double elapsed_seconds = 0.0;  // wall-clock time since the pipeline started
    double media_time = 0.0;       // presentation time of the last frame, seconds from the start
    bool finished = false;         // the last report of a run (after the trailer is written)
};

// Called on the pipeline's thread at most every `progress_interval` seconds, and once at the end.
using ProgressCallback = std::function<void(const TranscodeProgress&)>;

}  // namespace cnnv3
