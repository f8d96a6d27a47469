// Every file the tools write (cnnv3 stylize and analyze, cnnv3-shadergen reference and hook) goes
// through this one policy (docs/host.md, "Output files"):
//
//   - An existing OUT is refused unless the user gave -y (`overwrite`); a directory, or anything
//     that is not a regular file (/dev/null, a FIFO), is always refused.
//   - The bytes go to a temporary file created exclusively (O_CREAT | O_EXCL, so it is a name no
//     file had) in OUT's folder, ".NAME.cnnv3-XXXXXX.EXT": OUT's last extension is kept, so anything
//     that picks a format from the extension (FFmpeg's muxers) sees the same one.
//   - commit() renames it to OUT; without `overwrite` the rename refuses to replace a file that
//     appeared meanwhile (renameat2 RENAME_NOREPLACE, or link + unlink where the filesystem lacks it).
//   - Only that temporary file is ever removed (by an uncommitted PartialOutput's destructor), and
//     only while its name still refers to the file created here.
//   - OUT "-" is standard output, for every tool: written directly (no temporary, nothing to check
//     or rename), named "stdout" in errors.
//
// Errors are OutputFileError, what() "OUT: problem". Not thread-safe per object; distinct objects
// are independent.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace cnnv3 {

// what() reads "PATH: problem".
class OutputFileError : public std::runtime_error {
public:
    OutputFileError(const std::filesystem::path& path, const std::string& problem)
        : std::runtime_error(path.string() + ": " + problem) {}
};

// An output file that appears only when complete (see above).
class PartialOutput {
public:
    // Checks OUT and creates the temporary file. Throws OutputFileError.
    PartialOutput(std::filesystem::path output, bool overwrite);
    PartialOutput(const PartialOutput&) = delete;
    PartialOutput& operator=(const PartialOutput&) = delete;
    ~PartialOutput();

    const std::filesystem::path& temporary() const { return temporary_; }
    const std::filesystem::path& final_path() const { return output_; }

    // The temporary file's descriptor, open for writing; the caller then owns (and closes) it.
    // Writers that reopen the temporary by name (FFmpeg's muxers) need not take it.
    int release_descriptor();

    // Renames the temporary file to OUT. Throws OutputFileError on failure (the temporary file is
    // then removed by the destructor).
    void commit();

private:
    std::filesystem::path output_;
    std::filesystem::path temporary_;
    bool overwrite_;
    bool committed_ = false;
    int fd_ = -1;
    dev_t device_ = 0;  // identity of the temporary file, checked before it is removed
    ino_t inode_ = 0;
};

// The checks PartialOutput's constructor makes on OUT (exists without `overwrite`, a directory, not
// a regular file; none for "-"), for a command to run before its slow work. Throws OutputFileError.
void check_output_file(const std::filesystem::path& output, bool overwrite);

// Writes `bytes` to `path` with the policy above.
void write_file_atomically(const std::filesystem::path& path, std::string_view bytes, bool overwrite);

// Refuses to write `output` onto `other` (a file the same run reads): throws OutputFileError
// "OUT: is ROLE OTHER (expected a different output file; ...)" when both name the same file: the
// same path, another spelling of it, a symlink or a hard link to it (same device and inode). "-"
// (standard input or output) is never a file here.
void refuse_same_file(const std::filesystem::path& output, const std::filesystem::path& other,
                      std::string_view role = "the input");

}  // namespace cnnv3
