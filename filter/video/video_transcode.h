// The frame pipeline of `cnnv3 stylize`: decode the first video stream of IN, hand every frame to a
// FrameProcessor (as decoded, into a frame of the output's pixel format: no colour conversion here;
// a pair of formats the processor does not take is refused), encode, and mux to OUT with the audio
// and subtitle streams copied packet for packet. GPU-agnostic: the network comes in as the processor.
//
//   - IN: a file or "-" (standard input); any container FFmpeg reads, y4m included.
//   - OUT: a file (the container from its extension, or `output_format`) or "-" (standard output,
//     y4m unless `output_format` names another muxer that can write to a pipe).
//   - Every frame is kept and keeps its timestamp (VFR too): the encoder's time base is the input
//     stream's. Muxers without timestamps (y4m, images) get the real frame rate, VFR made
//     constant at it (repeats / drops, as ffmpeg; noted). Audio, subtitle (and, in Matroska,
//     attachment) streams are copied bit-exact with their timestamps; audio the container cannot
//     carry is re-encoded (audio_reencode.h); other streams it cannot carry are left out. Both
//     are listed in TranscodeResult::notes.
//   - `audio_input` (--audio FILE): its first audio stream replaces IN's audio streams, cut to the
//     video (replacement_audio.h).
//   - Encoder: encoder_choice.h. Colour tags, size, sample aspect ratio, (where the encoder takes
//     it) pixel format, stream metadata and the video's orientation / HDR side data are kept.
//   - Image OUT (.png, .jpg, ...): the first frame only; .png is 16-bit RGB.
//   - A file OUT is written with the output policy of shadergen/atomic_file.h (a temporary file
//     beside it, renamed when complete; an existing OUT is refused unless `overwrite`, with
//     OutputFileError); on any error the temporary file is removed. When `stop` becomes
//     true the pipeline stops reading, drains the decoder and encoder, writes the trailer and
//     renames: a valid, shorter file.
//   - Threads: decoding runs on the caller's thread, FrameProcessor::prepare_decoded() on a
//     second, the processor on a third (every other FrameProcessor call, start() included) and
//     encoding and muxing on a fourth, with bounded queues of a few frames between them (frames
//     in flight; the processor's own, through submit_native / collect_native, come on top).
//     Frame order, timestamps and the rules above are those of one serial loop. The three stage
//     threads block asynchronous signals, so that a stop signal reaches the caller's thread and
//     interrupts a blocked read.
//   - Errors: the first exception of any stage ends the run (the others stop, every thread is
//     joined, frames in flight are freed) and is rethrown by transcode_video(); a decoding error
//     comes after the frames decoded before it, as in a serial loop.
//   - Decoding is strict: a read error, a packet or frame flagged corrupt, a decoder error, or a
//     file that ends more than max(0.25 s, 1 %) before the duration its header declares (a cut
//     Matroska/MP4) ends the run with VideoError and no output file. (Streams without a declared
//     duration, such as y4m through a pipe, cannot be checked for truncation.)
#pragma once

#include "frame_processor.h"
#include "media_input.h"
#include "transcode_progress.h"

#include <atomic>
#include <csignal>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cnnv3 {

struct TranscodeOptions {
    std::string input;                 // path, or "-" for standard input
    std::string input_name;            // the input in messages ("" = input, "stdin" for "-")
    std::string output;                // path, or "-" for standard output
    std::string input_format;          // demuxer name to force ("" = probe)
    HwDecode hwdec = HwDecode::none;   // --hwdec (media_input.h); the output's pixel format is the stream's either way
    std::string output_format;         // muxer name ("" = from OUT's extension; "-" -> yuv4mpegpipe)
    std::string encoder;               // encoder name ("" = the default rule of encoder_choice.h)
    std::optional<double> crf;         // quality for encoders with a crf option (default 18)
    std::string pixel_format;          // output pixel format, e.g. "yuv420p" ("" = the encoder rule's)
    std::vector<std::pair<std::string, std::string>> encoder_options;  // -x key=value, to avcodec_open2
    bool overwrite = false;            // replace an existing OUT
    std::string audio_input;           // --audio: the audio from this file replaces IN's ("" = IN's own)
    std::string audio_input_name;      // audio_input in messages ("" = audio_input)
    double audio_offset = 0.0;         // --audio-offset: seconds into audio_input that play with the first frame
    int64_t max_frames = -1;           // stop after this many frames (-1 = all)
    const std::atomic<bool>* stop = nullptr;  // set (e.g. by a SIGINT handler) to end early, finalised
    ProgressCallback progress;         // optional
    double progress_interval = 0.5;    // seconds between progress calls (the last call always comes)
    int stdin_fd = 0;                  // the descriptors "-" stands for (tests substitute pipes)
    int stdout_fd = 1;
};

struct TranscodeResult {
    int64_t frames = 0;                // video frames written
    bool stopped = false;              // ended early by `stop` (the file is complete, only shorter)
    std::string output;                // the final path, or "-"
    std::string container;             // muxer name, e.g. "matroska"
    std::string encoder;               // e.g. "libx264"
    std::string pixel_format;          // written, e.g. "yuv420p10le"
    std::string encoder_reason;        // why that encoder (encoder_choice.h)
    std::vector<std::string> notes;    // streams left out, timestamps repaired, ...
    // Where the time went, in seconds, while the four stages ran (the encoder's flush after them
    // is not in it): each stage's time not spent blocked on its queues ("busy"), and of the
    // process stage's, the processor's submit and collect calls (collect: mostly waiting for the
    // GPU); of submit, the first frame's (a processor's one-time set-up: passes built, buffers
    // made); and the processor's start() (in the process stage's busy time, before the first
    // frame's fps clock starts). `cnnv3 stylize` prints them with $CNNV3_STAGE_TIMES=1
    // (docs/video.md).
    struct StageTimes {
        double wall = 0, decode = 0, prepare = 0, process = 0, submit = 0, collect = 0, encode = 0, first_submit = 0,
               start = 0;
    } stage_times;
    // Frames the decoder decoded into the processor's buffers (FrameProcessor::decode_buffers),
    // counted at allocation (the decoder may allocate a few it drops).
    int64_t decoded_into_processor = 0;
};

// "key=value" (a -x argument) as a pair; throws VideoError("-x", ...) without '=' or with an empty key.
std::pair<std::string, std::string> parse_encoder_option(const std::string& text);

// Blocks the asynchronous signals (all but SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP) on the
// calling thread, as every stage thread does, so that Ctrl-C and friends reach the caller's thread and
// interrupt its blocking reads; a thread started after it inherits the mask. The mask it replaced goes
// to `previous` when given (pthread_sigmask(SIG_SETMASK, previous) restores it).
void block_async_signals(sigset_t* previous = nullptr);

// Runs the pipeline. Throws VideoError (what(): "FILE: problem") for bad input or output
// (OutputFileError for the output-file policy; StoppedBeforeOutput when `stop` came before the first
// video frame, the inputs' opening included) and rethrows whatever the processor throws; in every
// case no output file is left behind.
TranscodeResult transcode_video(const TranscodeOptions& options, FrameProcessor& processor);

}  // namespace cnnv3
