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

}  // namespace cnnv3
