#include "small_file.h"

#include <fmt/format.h>

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace cnnv3 {

std::string errno_text(int err) { return std::error_code(err, std::generic_category()).message(); }

namespace {

const char* kind_of(mode_t mode)
{
    if (S_ISDIR(mode))
        return "is a directory";
    if (S_ISFIFO(mode))
        return "is a named pipe";
    if (S_ISCHR(mode) || S_ISBLK(mode))
        return "is a device";
    if (S_ISSOCK(mode))
        return "is a socket";
    return "is not a regular file";
}

}  // namespace

void FileDescriptor::reset()
{
    if (fd_ >= 0)
        ::close(fd_);
    fd_ = -1;
}

RegularFile open_regular_file(const std::filesystem::path& path, std::string_view expected)
{
    const std::string name = path.string();
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
    RegularFile file{FileDescriptor(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)), 0};
    if (file.fd.get() < 0)
        throw SmallFileError(name, fmt::format("cannot open: {} (expected {})", errno_text(errno), expected));
    struct stat st {};
    if (::fstat(file.fd.get(), &st) != 0)
        throw SmallFileError(name, fmt::format("{} (expected {})", errno_text(errno), expected));
    if (!S_ISREG(st.st_mode))
        throw SmallFileError(name, fmt::format("{} (expected a regular file: {})", kind_of(st.st_mode), expected));
    const int flags = ::fcntl(file.fd.get(), F_GETFL);
    if (flags < 0 || ::fcntl(file.fd.get(), F_SETFL, flags & ~O_NONBLOCK) != 0)
        throw SmallFileError(name, fmt::format("{} (expected {})", errno_text(errno), expected));
    file.size = static_cast<std::uintmax_t>(st.st_size);
    return file;
}

std::string read_small_file(const std::filesystem::path& path, std::uintmax_t max_bytes, std::string_view expected)
{
    const std::string name = path.string();
    const RegularFile file = open_regular_file(path, expected);
    if (file.size > max_bytes)
        throw SmallFileError(name, fmt::format("{} bytes is too large (expected at most {} bytes: {})", file.size,
                                               max_bytes, expected));
    std::string bytes(static_cast<std::size_t>(file.size), '\0');
    std::size_t have = 0;
    char probe = 0;  // one byte past the fstat() size notices a file that grew meanwhile
    while (true) {
        const bool full = have == bytes.size();
        const ssize_t got = ::read(file.fd.get(), full ? &probe : bytes.data() + have, full ? 1 : bytes.size() - have);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            throw SmallFileError(name, fmt::format("read error: {} (expected {})", errno_text(errno), expected));
        }
        if (got == 0)
            break;
        if (full)
            throw SmallFileError(name, fmt::format("grew while being read (expected {})", expected));
        have += static_cast<std::size_t>(got);
    }
    bytes.resize(have);
    return bytes;
}

}  // namespace cnnv3
