#include "partial_output.h"

#include "video_error.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <system_error>

namespace cnnv3 {

namespace fs = std::filesystem;

fs::path partial_path_for(const fs::path& output)
{
    fs::path name = output.stem();
    name += ".partial";
    name += output.extension();
    return output.parent_path() / name;
}

PartialOutput::PartialOutput(fs::path output, bool overwrite)
    : output_(std::move(output)), temporary_(partial_path_for(output_)), overwrite_(overwrite)
{
    std::error_code ec;
    const fs::file_status status = fs::status(output_, ec);
    if (fs::is_directory(status))
        throw VideoError(output_.string(), "is a directory (expected an output file name)");
    if (fs::exists(status) && !overwrite_)
        throw VideoError(output_.string(), "exists (not overwritten without the overwrite option)");
    fs::remove(temporary_, ec);
}

PartialOutput::~PartialOutput()
{
    if (!committed_) {
        std::error_code ec;
        fs::remove(temporary_, ec);
    }
}

void PartialOutput::commit()
{
    if (!fs::exists(temporary_))
        throw VideoError(output_.string(), "the muxer wrote no file (expected " + temporary_.string() + ")");
    int rc = 0;
    if (overwrite_) {
        rc = std::rename(temporary_.c_str(), output_.c_str());
    } else {
        // Refuse to replace a file that appeared while we were writing.
        rc = renameat2(AT_FDCWD, temporary_.c_str(), AT_FDCWD, output_.c_str(), RENAME_NOREPLACE);
        if (rc != 0 && errno == EINVAL) {  // filesystem without RENAME_NOREPLACE
            if (fs::exists(output_))
                errno = EEXIST;
            else
                rc = std::rename(temporary_.c_str(), output_.c_str());
        }
    }
    if (rc != 0) {
        const int err = errno;
        if (err == EEXIST)
            throw VideoError(output_.string(), "appeared while writing (not overwritten without the overwrite option)");
        throw VideoError(output_.string(), "cannot rename " + temporary_.string() + " to it (" + std::strerror(err) + ")");
    }
    committed_ = true;
}

}  // namespace cnnv3
