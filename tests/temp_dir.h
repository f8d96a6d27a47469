// The temporary directory of the C++ tests: a fresh directory under the system temp dir, created
// by mkdtemp (a new name, mode 0700, never one that already exists), removed with its contents
// when the object dies. Not copyable; throws std::runtime_error when it cannot be created.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

namespace cnnv3::testing {

class TempDir {
public:
    // `tag` goes into the name (cnnv3-TAG-XXXXXX) so a directory left by a killed test says whose it is.
    explicit TempDir(std::string_view tag = "test")
    {
        std::string pattern =
            (std::filesystem::temp_directory_path() / ("cnnv3-" + std::string(tag) + "-XXXXXX")).string();
        if (::mkdtemp(pattern.data()) == nullptr)
            throw std::runtime_error(pattern + ": cannot create a temporary directory");
        path_ = pattern;
    }
    ~TempDir()
    {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::filesystem::path& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

}  // namespace cnnv3::testing
