// Writing an output file so that it appears only when complete: the bytes go to "PATH.partial",
// are flushed, and the file is renamed over PATH. A failure removes the partial file.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

namespace cnnv3 {

// what() reads "PATH: problem".
class OutputFileError : public std::runtime_error {
public:
    OutputFileError(const std::filesystem::path& path, const std::string& problem)
        : std::runtime_error(path.string() + ": " + problem) {}
};

void write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

}  // namespace cnnv3
