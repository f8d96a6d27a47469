// The hook through which the transcode pipeline hands every frame to the network (or to anything
// else: the tests use CPU processors). The pipeline itself knows nothing of GPUs, and converts no
// colours: a frame goes to the processor as decoded, with an output frame in the encoder's format.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

struct AVBufferRef;
struct AVFrame;

namespace cnnv3 {

// What the pipeline knows about the video before the first frame (for allocating textures,
// building a conditioning track at the right frame rate, and so on).
struct VideoStreamInfo {
    int width = 0;
    int height = 0;
    double frame_rate = 0.0;      // the stream's (guessed) average frame rate, frames per second
    int64_t frames_estimate = -1; // expected number of frames, -1 when unknown
    double duration = -1.0;       // seconds, -1 when unknown
    bool has_alpha = false;       // frames carry an alpha plane
};

class FrameProcessor {
public:
    virtual ~FrameProcessor() = default;

    // Called once, after the first frame is decoded and before any frame is processed, before the
    // encoder opens (a size the processor cannot take is refused here, as the input's problem).
    virtual void start(const VideoStreamInfo& /*info*/) {}

    // Every call but prepare_decoded() comes from the pipeline's process stage: one thread for all
    // calls of a run (start() included), not the caller's (video_transcode.h).

    // Every frame, in presentation order: `in` as decoded, `out` with the output's pixel format
    // (the encoder's: the input's or another one, e.g. yuv420p for libx264 from rgb24 input,
    // rgb48be for .png), size and colour tags (output_color_tags(): the input's interpretation made
    // explicit, or RGB / a default matrix where the kind changes) and its buffers allocated and
    // writable; `time` is the frame's presentation time in seconds from the container's start
    // (filter/audio's origin), `index` its 0-based output number. Returns false when it cannot take
    // this pair of formats: the pipeline then refuses the input in one line ("FILE: pixel format
    // ... is not supported"); a processor with a more precise reason throws VideoError itself.
    // Exceptions propagate out of the pipeline (no output is kept).
    virtual bool process_native(const AVFrame& /*in*/, AVFrame& /*out*/, double /*time*/, int64_t /*index*/)
    {
        return false;
    }

    // The native path with frames in flight. The pipeline calls submit_native() where it would
    // call process_native() and may submit up to native_in_flight() frames before it calls
    // collect_native(), which completes the oldest submitted frame still in flight (its `out`
    // written). `in` and `out` of a submitted frame stay alive and untouched by the pipeline until
    // collected; every submitted frame is collected, in submission order, before the run ends.
    // After an exception from any call the pipeline calls nothing more for the frames in flight
    // and frees them: the processor must not touch them again. The defaults: process_native() at
    // once, one frame. A processor may give `out` buffers of its own instead of writing into those
    // the pipeline allocated (buf, data and linesize replaced; format, size and the other fields
    // kept): the frame is reference-counted and the pipeline and encoder only read it; the
    // processor must outlive every reference (the pipeline frees its frames before it returns).
    virtual bool submit_native(const AVFrame& in, AVFrame& out, double time, int64_t index)
    {
        return process_native(in, out, time, index);
    }
    virtual void collect_native() {}
    virtual int native_in_flight() const { return 1; }

    // Work on a decoded frame that needs only its pixels, done on a stage thread of its own
    // between decoding and the process stage, so that it overlaps both (the `cnnv3` command takes
    // its scene-cut thumbnail here). Called for every frame the pipeline passes on, in
    // presentation order, before the process stage gets it; possibly before start(). What it derives may travel with the frame in
    // `frame.opaque_ref` (freed with the frame; the pipeline leaves it alone), where submit_native()
    // finds it. It runs concurrently with the process stage's calls: it must touch only state of
    // its own. An exception ends the run as a decoding error does (after the frames before it).
    virtual void prepare_decoded(AVFrame& /*frame*/) {}

    // Where the decoder may put the frames it decodes (e.g. the GPU's host-mapped staging memory,
    // so that a frame is uploaded without a copy): a function that returns a reference-counted
    // buffer of at least `size` bytes, or nullptr when it has none free (FFmpeg's own allocator
    // then). Asked once, right after start(); called on the decoder's threads, concurrently, until
    // the decoder is closed, which the pipeline does before it returns. Empty (the default): none.
    using DecodeBufferSource = std::function<AVBufferRef*(std::size_t size)>;
    virtual DecodeBufferSource decode_buffers() { return {}; }
};

}  // namespace cnnv3
