#include "atomic_file.h"

#include "small_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <random>
#include <sys/stat.h>
#include <unistd.h>

namespace cnnv3 {

namespace fs = std::filesystem;

namespace {

// ".NAME.cnnv3-XXXXXX.EXT" beside `output`, XXXXXX random letters and digits.
fs::path temporary_name(const fs::path& output, std::mt19937& random)
{
    static constexpr char letters[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    std::uniform_int_distribution<std::size_t> pick(0, sizeof letters - 2);
    std::string stem = output.stem().string();
    if (stem.size() > 200)  // stay under NAME_MAX with the additions
        stem.resize(200);
    std::string name = "." + stem + ".cnnv3-";
    for (int i = 0; i < 6; ++i)
        name += letters[pick(random)];
    name += output.extension().string();
    return output.parent_path() / name;
}

// "-": standard output (see the header).
bool is_stdout(const fs::path& output) { return output == "-"; }

}  // namespace

void check_output_file(const fs::path& output, bool overwrite)
{
    if (is_stdout(output))
        return;
    if (output.empty() || !output.has_filename())
        throw OutputFileError(output, "is a folder name (expected an output file name)");
    struct stat link_st {};
    if (::lstat(output.c_str(), &link_st) != 0)
        return;  // a new name (a missing folder is reported when the file is created)
    struct stat st {};
    const bool resolves = ::stat(output.c_str(), &st) == 0;
    if (resolves && S_ISDIR(st.st_mode))
        throw OutputFileError(output, "is a directory (expected an output file name)");
    if (resolves && !S_ISREG(st.st_mode))
        throw OutputFileError(output, "exists and is not a regular file (expected a file name; - writes to "
                                      "standard output)");
    if (!overwrite)
        throw OutputFileError(output, "exists (not overwritten without -y)");
}

PartialOutput::PartialOutput(fs::path output, bool overwrite) : output_(std::move(output)), overwrite_(overwrite)
{
    if (is_stdout(output_)) {
        fd_ = ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 0);
        if (fd_ < 0)
            throw OutputFileError("stdout", errno_text(errno) + " (expected an open standard output)");
        return;
    }
    check_output_file(output_, overwrite_);
    const fs::path folder = output_.parent_path().empty() ? fs::path(".") : output_.parent_path();
    std::mt19937 random(std::random_device{}());
    for (int attempt = 0; attempt < 100 && fd_ < 0; ++attempt) {
        temporary_ = temporary_name(output_, random);
        fd_ = ::open(temporary_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd_ < 0 && errno != EEXIST)
            throw OutputFileError(output_, "cannot create a file in " + folder.string() + " (" + errno_text(errno) +
                                               "; expected a writable folder)");
    }
    if (fd_ < 0)
        throw OutputFileError(output_, "cannot find a free temporary name in " + folder.string());
    struct stat st {};
    if (::fstat(fd_, &st) == 0) {
        device_ = st.st_dev;
        inode_ = st.st_ino;
    }
}

PartialOutput::~PartialOutput()
{
    if (fd_ >= 0)
        ::close(fd_);
    if (committed_ || is_stdout(output_))
        return;
    // Remove the temporary only while its name still refers to the file created here.
    struct stat st {};
    if (::lstat(temporary_.c_str(), &st) == 0 && st.st_dev == device_ && st.st_ino == inode_)
        ::unlink(temporary_.c_str());
}

int PartialOutput::release_descriptor()
{
    const int fd = fd_;
    fd_ = -1;
    return fd;
}

void PartialOutput::commit()
{
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
    if (is_stdout(output_)) {
        committed_ = true;
        return;
    }
    struct stat st {};
    if (::lstat(temporary_.c_str(), &st) != 0 || st.st_dev != device_ || st.st_ino != inode_)
        throw OutputFileError(output_, "its temporary file " + temporary_.string() + " was removed or replaced "
                                       "while writing");
    int rc = 0;
    if (overwrite_) {
        rc = std::rename(temporary_.c_str(), output_.c_str());
    } else {
        rc = ::renameat2(AT_FDCWD, temporary_.c_str(), AT_FDCWD, output_.c_str(), RENAME_NOREPLACE);
        if (rc != 0 && (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
            // A filesystem without RENAME_NOREPLACE: a hard link also refuses an existing name.
            rc = ::link(temporary_.c_str(), output_.c_str());
            if (rc == 0) {
                ::unlink(temporary_.c_str());
            } else if (errno == EPERM || errno == ENOSYS || errno == EOPNOTSUPP) {
                // Nor hard links (FAT): check, then rename (a narrow race, the best such a filesystem allows).
                struct stat out_st {};
                if (::lstat(output_.c_str(), &out_st) == 0)
                    errno = EEXIST;
                else
                    rc = std::rename(temporary_.c_str(), output_.c_str());
            }
        }
    }
    if (rc != 0) {
        const int err = errno;
        if (err == EEXIST)
            throw OutputFileError(output_, "appeared while writing (not overwritten without -y)");
        throw OutputFileError(output_, "cannot rename " + temporary_.string() + " to it (" + errno_text(err) + ")");
    }
    committed_ = true;
}

void write_file_atomically(const fs::path& path, std::string_view bytes, bool overwrite)
{
    PartialOutput out(path, overwrite);
    const int fd = out.release_descriptor();
    int err = 0;
    while (!bytes.empty()) {
        const ssize_t n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            err = n < 0 ? errno : EIO;
            break;
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    if (::close(fd) != 0 && err == 0)
        err = errno;
    if (err != 0)
        throw OutputFileError(is_stdout(path) ? fs::path("stdout") : path, errno_text(err) + " while writing");
    out.commit();
}

void refuse_same_file(const fs::path& output, const fs::path& other, std::string_view role)
{
    if (output.empty() || other.empty() || output == "-" || other == "-")
        return;
    bool same = false;
    struct stat a {}, b {};
    if (::stat(output.c_str(), &a) == 0 && ::stat(other.c_str(), &b) == 0) {
        same = a.st_dev == b.st_dev && a.st_ino == b.st_ino;
    } else {
        // Absolute first: weakly_canonical leaves a relative path whose first part does not exist as is.
        std::error_code ec_a, ec_b;
        const fs::path ca = fs::weakly_canonical(fs::absolute(output, ec_a), ec_a);
        const fs::path cb = fs::weakly_canonical(fs::absolute(other, ec_b), ec_b);
        same = !ec_a && !ec_b && ca == cb;
    }
    if (same)
        throw OutputFileError(output, "is " + std::string(role) + " " + other.string() +
                                          " (expected a different output file; files are never edited in place)");
}

}  // namespace cnnv3
