// The one way the tools open a user's media with FFmpeg: a path (a ':' in a file name is part of
// the name, never a protocol), "-" for standard input, or a URL the user spelled out ("scheme://").
// Used by the audio decoder, the prober, the transcoder and --audio alike (open_media), so a file
// that does not open gets the same one line from each, saying what was expected.
//
// A pipe (a named pipe, or standard input from a pipe) or a socket can be read only once. A job
// that reads its input more than once (audio analysis before the frames) copies it first into a
// temporary file (SpooledInput) and reads that.
//
// Thread safety: the functions keep no state; a SpooledInput belongs to one thread.
#pragma once

#include "av_handles.h"

#include <atomic>
#include <ostream>
#include <stdexcept>
#include <string>

namespace cnnv3 {

// An input that could not be read or copied. what() is one line: "FILE: problem".
class MediaInputError : public std::runtime_error {
public:
    MediaInputError(const std::string& file, const std::string& problem) : std::runtime_error(file + ": " + problem) {}
};

// The FFmpeg URL for a user's path, input or output: "-" -> "pipe:<fd>" (`fd`: stdin's, or
// stdout's for an output), anything with "://" as given, else "file:<path>".
std::string media_url(const std::string& path, int fd = 0);

// The path as messages name it: "stdin" for "-", else the path itself; `given` instead where the
// caller was given a name for it (not empty).
std::string media_name(const std::string& path, const std::string& given = {});

// An output path as messages name it: "stdout" for "-", else the path itself.
std::string output_media_name(const std::string& path);

// How open_media reaches an input besides its path.
struct MediaOpenOptions {
    const AVInputFormat* forced = nullptr;   // the demuxer (nullptr: FFmpeg probes)
    int stdin_fd = 0;                        // what "-" reads
    const std::atomic<bool>* stop = nullptr; // while set, blocking reads give up with AVERROR_EXIT
};

// open_media's untyped half, in a namespace of its own: callers use open_media (the one way to open
// a user's media), never this.
// avformat_open_input of media_url(path, how.stdin_fd), then avformat_find_stream_info. Returns
// the demuxer, or an empty handle with `problem` set to the second half of a "FILE: problem" line
// that ends "(expected <expected>)": "no such file (expected …)", "cannot open as a media file
// (FFmpeg's reason; expected …)" or "cannot read the stream information (FFmpeg's reason;
// expected …)". `expected` says what the file should have been ("a media file"). A caller with a
// `stop` flag checks it after a failure: a stop reads as FFmpeg's "Immediate exit requested".
namespace detail {
av::InputContext open_media_or_problem(const std::string& path, const std::string& expected,
                                       const MediaOpenOptions& how, std::string& problem);
}

// Opens a user's media: Error(name, problem) on failure, so each layer keeps its own exception type
// (AudioError, VideoError); `name` is the input as messages name it.
template <class Error>
av::InputContext open_media(const std::string& path, const std::string& name, const std::string& expected,
                            const MediaOpenOptions& how = {})
{
    std::string problem;
    av::InputContext input = detail::open_media_or_problem(path, expected, how, problem);
    if (!input)
        throw Error(name, problem);
    return input;
}

// The stream the tools take as a file's video: its first video stream that is not an attached
// picture (the cover of a music file); -1 when there is none.
int video_stream_index(const AVFormatContext& input);

// The stream the tools take as a file's music: its first audio stream; -1 when there is none.
int audio_stream_index(const AVFormatContext& input);

// Has the demuxer drop the packets of every stream but `index` (AVDISCARD_ALL), for a reader of
// one stream.
void read_only_stream(AVFormatContext& input, int index);

// Whether `path` ("-" = stdin_fd) can be opened and read again from the start: anything but a pipe
// (named or not) or a socket. A regular file, a device (opened anew), a URL (FFmpeg reopens it)
// and a path that does not exist (opening it reports the error) count as rereadable.
bool is_rereadable(const std::string& path, int stdin_fd = 0);

// Whether a stream that cannot be reread is YUV4MPEG2 (it starts with "YUV4MPEG2"), a container
// that carries no audio: a job can stream it instead of copying it. Looks at the first bytes of a
// pipe without consuming them (tee(2)), waiting for them while `stop` is clear; false for anything
// that is not a pipe.
bool is_y4m_pipe(const std::string& path, int stdin_fd, const std::atomic<bool>* stop);

// A user's input that can be read more than once. A rereadable input (is_rereadable) is used where
// it is (standard input that is not a pipe through /proc/self/fd: a file from its start); a pipe or
// a socket is copied once, with one line on `log` saying so, into a temporary file created
// exclusively in $TMPDIR (else /tmp) and unlinked at once, so that nothing is left behind even when
// the process is killed; path() reaches it through /proc/self/fd while this object lives.
// A stream whose first MiB FFmpeg recognises as no container at all (zeros, noise) is refused
// there, before it fills $TMPDIR. The copy stops when `stop` becomes set (within 0.1 s, even
// while the writer stalls); stopped() then says so and the copy holds what had arrived.
// Throws MediaInputError when the input cannot be read or the copy cannot be written.
class SpooledInput {
public:
    SpooledInput(const std::string& path, int stdin_fd, const std::atomic<bool>* stop, std::ostream& log);
    ~SpooledInput();
    SpooledInput(const SpooledInput&) = delete;
    SpooledInput& operator=(const SpooledInput&) = delete;

    const std::string& path() const { return path_; }  // what to open: the user's path, or /proc/self/fd/N
    const std::string& name() const { return name_; }  // the user's input in messages
    bool copied() const { return fd_ >= 0; }
    bool stopped() const { return stopped_; }

private:
    std::string path_;
    std::string name_;
    int fd_ = -1;
    bool stopped_ = false;
};

}  // namespace cnnv3
