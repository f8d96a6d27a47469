// Beat-times files (--beats FILE, --beats-out FILE): one time in seconds per line, on the file
// timeline (0 = the start of the media file). '#' starts a comment that runs to the end of the line;
// blank lines are ignored. Times must be finite and strictly increasing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace cnnv3 {

// A refused beat-times file; what() is one line, "FILE:LINE: problem" (or "FILE: problem").
class BeatFileError : public std::runtime_error {
public:
    BeatFileError(const std::string& file, std::size_t line, const std::string& problem)
        : std::runtime_error(line ? file + ":" + std::to_string(line) + ": " + problem : file + ": " + problem) {}
};

// The largest beat-times file read (docs/formats.md): over a million beats.
inline constexpr std::uintmax_t beat_times_max_bytes = 16u << 20;

// Parses the text of a beat-times file; `name` is used in error messages.
std::vector<double> parse_beat_times(std::string_view text, const std::string& name);
// Reads and parses `path`: a regular file of at most beat_times_max_bytes (read_small_file).
std::vector<double> read_beat_times(const std::filesystem::path& path);
// The file text for `beats`: one time per line with microsecond precision, after a comment header.
std::string format_beat_times(const std::vector<double>& beats);

}  // namespace cnnv3
