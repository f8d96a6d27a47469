// Opening a file that the user names, and reading a small one (model files, model.json, beat
// times, a conditioning CSV) whole into memory, safely: the one way the readers of such files
// open them (the PNG reader too, which streams instead of reading whole).
//
// The file is opened without blocking (a named pipe with no writer does not hang), then fstat()
// decides before a byte is read: anything but a regular file (directory, FIFO, device such as a
// symlink to /dev/zero, socket) is refused, and so is a file larger than the caller's cap, so a
// huge file costs no memory. Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace cnnv3 {

// A refused file. what() reads "FILE: problem (expected ...)"; file() and problem() give the two
// parts so callers can rethrow it as their own error type.
class SmallFileError : public std::runtime_error {
public:
    SmallFileError(const std::string& file, const std::string& problem)
        : std::runtime_error(file + ": " + problem), file_(file), problem_(problem) {}
    const std::string& file() const { return file_; }
    const std::string& problem() const { return problem_; }

private:
    std::string file_;
    std::string problem_;
};

// Owns a POSIX file descriptor (closed on destruction). Move-only.
class FileDescriptor {
public:
    explicit FileDescriptor(int fd = -1) : fd_(fd) {}
    ~FileDescriptor() { reset(); }
    FileDescriptor(FileDescriptor&& other) noexcept : fd_(other.release()) {}
    FileDescriptor& operator=(FileDescriptor&& other) noexcept
    {
        if (this != &other) {
            reset();
            fd_ = other.release();
        }
        return *this;
    }
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }
    void reset();

private:
    int fd_;
};

struct RegularFile {
    FileDescriptor fd;        // open for reading, blocking mode
    std::uintmax_t size = 0;  // as fstat() gave it
};

// The C library's text for an errno value ("No such file or directory"), for the parenthesised
// part of a message. The one errno formatter of the project.
std::string errno_text(int err);

// Opens `path` for reading; refuses (SmallFileError) anything but a regular file without
// blocking on it. `expected` ends every message.
RegularFile open_regular_file(const std::filesystem::path& path, std::string_view expected);

// The whole content of `path`, at most `max_bytes` long. `expected` says what the file should be
// ("a cnnv3 model.json") and ends every message. Throws SmallFileError.
std::string read_small_file(const std::filesystem::path& path, std::uintmax_t max_bytes, std::string_view expected);

}  // namespace cnnv3
