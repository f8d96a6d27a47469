#include "atomic_file.h"

#include <cerrno>
#include <cstdio>
#include <memory>
#include <system_error>

namespace cnnv3 {

void write_file_atomically(const std::filesystem::path& path, std::string_view bytes)
{
    std::filesystem::path tmp = path;
    tmp += ".partial";
    std::FILE* raw = std::fopen(tmp.c_str(), "wb");
    if (!raw)
        throw OutputFileError(path, std::error_code(errno, std::generic_category()).message() +
                                        " (cannot create the output file)");
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(raw, &std::fclose);
    const bool written = std::fwrite(bytes.data(), 1, bytes.size(), file.get()) == bytes.size() &&
                         std::fflush(file.get()) == 0;
    const int err = errno;
    const bool closed = std::fclose(file.release()) == 0;
    std::error_code ec;
    if (!written || !closed) {
        std::filesystem::remove(tmp, ec);
        throw OutputFileError(path, std::error_code(err, std::generic_category()).message() +
                                        " while writing (disk full?)");
    }
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        std::filesystem::remove(tmp, ec);
        throw OutputFileError(path, ec.message() + " (cannot move the finished file into place)");
    }
}

}  // namespace cnnv3
