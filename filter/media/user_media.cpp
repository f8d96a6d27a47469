#include "user_media.h"

#include "small_file.h"

extern "C" {
#include <libavformat/avformat.h>
}

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>
#include <system_error>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace cnnv3 {

namespace {

int interrupt_requested(void* opaque)
{
    const auto* stop = static_cast<const std::atomic<bool>*>(opaque);
    return stop && stop->load(std::memory_order_relaxed) ? 1 : 0;
}

bool stop_set(const std::atomic<bool>* stop) { return stop && stop->load(std::memory_order_relaxed); }

// Whether FFmpeg recognises any container in the first bytes of a stream.
bool looks_like_media(std::vector<unsigned char> head)
{
    const int size = static_cast<int>(head.size());
    head.resize(head.size() + AVPROBE_PADDING_SIZE, 0);
    AVProbeData probe{};
    probe.buf = head.data();
    probe.buf_size = size;
    probe.filename = "";
    int score = 0;
    return av_probe_input_format3(&probe, 1, &score) != nullptr && score > 0;
}

// Waits up to 0.1 s for `fd` to become readable; the poll(2) revents (0 on timeout).
short wait_readable(int fd)
{
    pollfd p{fd, POLLIN, 0};
    const int rc = ::poll(&p, 1, 100);
    return rc > 0 ? p.revents : 0;
}

}  // namespace

std::string media_url(const std::string& path, int fd)
{
    if (path == "-")
        return "pipe:" + std::to_string(fd);
    if (path.find("://") != std::string::npos)
        return path;
    return "file:" + path;
}

std::string media_name(const std::string& path, const std::string& given)
{
    return !given.empty() ? given : path == "-" ? "stdin" : path;
}

std::string output_media_name(const std::string& path)
{
    return path == "-" ? "stdout" : path;
}

namespace detail {

av::InputContext open_media_or_problem(const std::string& path, const std::string& expected,
                                       const MediaOpenOptions& how, std::string& problem)
{
    AVFormatContext* raw = avformat_alloc_context();
    if (!raw)
        throw std::bad_alloc();
    raw->interrupt_callback.callback = &interrupt_requested;
    raw->interrupt_callback.opaque = const_cast<std::atomic<bool>*>(how.stop);
    // avformat_open_input frees the context on failure.
    if (int rc = avformat_open_input(&raw, media_url(path, how.stdin_fd).c_str(), how.forced, nullptr); rc < 0) {
        problem = rc == AVERROR(ENOENT)
                      ? fmt::format("no such file (expected {})", expected)
                      : fmt::format("cannot open as a media file ({}; expected {})", av::error_text(rc), expected);
        return nullptr;
    }
    av::InputContext input(raw);
    if (int rc = avformat_find_stream_info(raw, nullptr); rc < 0) {
        problem = fmt::format("cannot read the stream information ({}; expected {})", av::error_text(rc), expected);
        return nullptr;
    }
    return input;
}

}  // namespace detail

int video_stream_index(const AVFormatContext& input)
{
    for (unsigned i = 0; i < input.nb_streams; ++i) {
        const AVStream& st = *input.streams[i];
        if (st.codecpar->codec_type == AVMEDIA_TYPE_VIDEO && !(st.disposition & AV_DISPOSITION_ATTACHED_PIC))
            return static_cast<int>(i);
    }
    return -1;
}

int audio_stream_index(const AVFormatContext& input)
{
    for (unsigned i = 0; i < input.nb_streams; ++i)
        if (input.streams[i]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO)
            return static_cast<int>(i);
    return -1;
}

void read_only_stream(AVFormatContext& input, int index)
{
    for (unsigned i = 0; i < input.nb_streams; ++i)
        input.streams[i]->discard = static_cast<int>(i) == index ? AVDISCARD_DEFAULT : AVDISCARD_ALL;
}

bool is_rereadable(const std::string& path, int stdin_fd)
{
    // Only a pipe or a socket is consumed by reading it. A device is opened anew each time (a
    // terminal, /dev/zero: nothing worth copying, and copying /dev/zero would never end).
    struct stat st {};
    if (path == "-")
        return !(::fstat(stdin_fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)));
    if (path.find("://") != std::string::npos || ::stat(path.c_str(), &st) != 0)
        return true;  // a URL is FFmpeg's to reopen; a missing file is reported when opened
    return !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
}

bool is_y4m_pipe(const std::string& path, int stdin_fd, const std::atomic<bool>* stop)
{
    static constexpr char magic[] = "YUV4MPEG2";
    constexpr std::size_t magic_size = sizeof magic - 1;
    struct stat st {};
    if (path != "-" || ::fstat(stdin_fd, &st) != 0 || !S_ISFIFO(st.st_mode))
        return false;
    // Wait until the first bytes are there (or the writer is gone), then copy them with tee(2),
    // which leaves them in stdin for the demuxer.
    while (!stop_set(stop)) {
        const short revents = wait_readable(stdin_fd);
        int available = 0;
        if (::ioctl(stdin_fd, FIONREAD, &available) != 0)
            return false;
        if (static_cast<std::size_t>(available) < magic_size && !(revents & POLLHUP))
            continue;
        if (available <= 0)
            return false;
        int peek[2];
        if (::pipe(peek) != 0)
            return false;
        FileDescriptor peek_read(peek[0]), peek_write(peek[1]);
        const ssize_t n = ::tee(stdin_fd, peek_write.get(), magic_size, SPLICE_F_NONBLOCK);
        char head[magic_size] = {};
        return n == static_cast<ssize_t>(magic_size) &&
               ::read(peek_read.get(), head, magic_size) == static_cast<ssize_t>(magic_size) &&
               std::memcmp(head, magic, magic_size) == 0;
    }
    return false;
}

SpooledInput::SpooledInput(const std::string& path, int stdin_fd, const std::atomic<bool>* stop, std::ostream& log)
    : path_(path), name_(media_name(path))
{
    if (is_rereadable(path, stdin_fd)) {
        if (path == "-")  // a file on stdin (< clip.mkv): every reader opens it anew, from its start
            path_ = fmt::format("/proc/self/fd/{}", stdin_fd);
        return;
    }
    FileDescriptor source;
    int in = stdin_fd;
    if (path != "-") {
        // Non-blocking, so that waiting for a pipe's writer can be stopped (poll below).
        source = FileDescriptor(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
        if (source.get() < 0)
            throw MediaInputError(name_, fmt::format("cannot open ({}; expected a readable file or pipe)", errno_text(errno)));
        in = source.get();
    }

    const char* tmpdir = std::getenv("TMPDIR");
    std::string pattern = std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/cnnv3-input-XXXXXX";
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    FileDescriptor copy(::mkostemp(name.data(), O_CLOEXEC));
    if (copy.get() < 0)
        throw MediaInputError(name_, fmt::format("cannot create a temporary copy in {} ({}; expected a writable "
                                                 "$TMPDIR)", pattern.substr(0, pattern.rfind('/')), errno_text(errno)));
    ::unlink(name.data());  // nothing to clean up later, whatever ends the process

    // The first MiB is looked at before the rest is copied: a stream of zeros or noise would
    // otherwise fill $TMPDIR before FFmpeg could say that it is no media at all.
    constexpr std::size_t head_size = 1 << 20;
    std::vector<unsigned char> head;
    bool head_checked = false;
    auto check_head = [&]() {
        head_checked = true;
        if (!looks_like_media(std::move(head)))
            throw MediaInputError(name_, "does not start like any container FFmpeg reads (expected a media stream, "
                                         "e.g. Matroska, NUT, MPEG-TS or y4m)");
        // Said once the stream is known to be media, so that a refusal stays the only line.
        log << fmt::format("cnnv3: {}: a pipe: buffering it in a temporary file to read it more than once\n", name_);
        log.flush();
    };
    std::vector<char> buffer(1 << 16);
    while (true) {
        if (stop_set(stop)) {
            stopped_ = true;
            break;
        }
        const short revents = wait_readable(in);
        if (!(revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        const ssize_t n = ::read(in, buffer.data(), buffer.size());
        if (n == 0) {
            if (!head_checked)
                check_head();
            break;
        }
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR)
                continue;
            throw MediaInputError(name_, fmt::format("read error ({})", errno_text(errno)));
        }
        for (ssize_t done = 0; done < n;) {
            const ssize_t w = ::write(copy.get(), buffer.data() + done, static_cast<std::size_t>(n - done));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                throw MediaInputError(name_, fmt::format("cannot write its temporary copy in {} ({})",
                                                         pattern.substr(0, pattern.rfind('/')),
                                                         errno_text(w < 0 ? errno : ENOSPC)));
            done += w;
        }
        if (!head_checked) {
            head.insert(head.end(), buffer.data(), buffer.data() + std::min<std::size_t>(n, head_size - head.size()));
            if (head.size() >= head_size)
                check_head();
        }
    }
    fd_ = copy.release();
    path_ = fmt::format("/proc/self/fd/{}", fd_);
}

SpooledInput::~SpooledInput()
{
    if (fd_ >= 0)
        ::close(fd_);
}

}  // namespace cnnv3
