// The one exception type of filter/video: a media file (or stream) that cannot be read, converted or
// written. what() is one line, "FILE: problem", where problem says what was expected.
#pragma once

#include <stdexcept>
#include <string>

namespace cnnv3 {

// Thrown by every filter/video function for bad input, unsupported formats, refused outputs and
// FFmpeg failures. `file` is the path (or "-" / "stdin" / "stdout") the problem belongs to.
class VideoError : public std::runtime_error {
public:
    VideoError(const std::string& file, const std::string& problem) : std::runtime_error(file + ": " + problem) {}
};

// A run ended by its stop flag (Ctrl-C) before the first video frame, while an input was being
// opened or read: nothing was written. Not a bad input: the CLI reports the signal and exits 128 + its
// number, as for any other stop. what(): "FILE: stopped before the first video frame (no output
// written)"; file() is FILE, the input as messages name it.
class StoppedBeforeOutput : public VideoError {
public:
    explicit StoppedBeforeOutput(const std::string& file)
        : VideoError(file, "stopped before the first video frame (no output written)"), file_(file) {}
    const std::string& file() const { return file_; }

private:
    std::string file_;
};

}  // namespace cnnv3
