// An output file that appears only when complete: the muxer writes to a temporary name beside OUT,
// "DIR/NAME.partial.EXT" (the same last extension, so a muxer chosen by extension is the same),
// which is renamed to OUT by commit(). Destroying an uncommitted PartialOutput removes the
// temporary file, so a failed or abandoned run leaves nothing that looks finished.
#pragma once

#include <filesystem>

namespace cnnv3 {

// "clip.mkv" -> "clip.partial.mkv", "dir/a.b.png" -> "dir/a.b.partial.png", "out" -> "out.partial".
std::filesystem::path partial_path_for(const std::filesystem::path& output);

class PartialOutput {
public:
    // Refuses (VideoError "OUT: exists ...") when OUT exists and `overwrite` is false, or when OUT
    // is a directory. A stale temporary file from an earlier run is replaced.
    PartialOutput(std::filesystem::path output, bool overwrite);
    PartialOutput(const PartialOutput&) = delete;
    PartialOutput& operator=(const PartialOutput&) = delete;
    ~PartialOutput();

    const std::filesystem::path& temporary() const { return temporary_; }
    const std::filesystem::path& final_path() const { return output_; }

    // Renames the temporary file to OUT (atomically; without `overwrite`, fails rather than
    // replace a file that appeared meanwhile). Throws VideoError on failure (the temporary is
    // then removed by the destructor).
    void commit();

private:
    std::filesystem::path output_;
    std::filesystem::path temporary_;
    bool overwrite_;
    bool committed_ = false;
};

}  // namespace cnnv3
