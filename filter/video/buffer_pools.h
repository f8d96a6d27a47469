// The transcode pipeline's per-frame memory, reused instead of allocated per frame: the output
// frames handed to the processor and the packets of encoders that let the caller allocate them
// (AV_CODEC_CAP_DR1: rawvideo, ffv1, ...). A fresh multi-megabyte buffer per frame costs its page
// faults when first written (glibc hands large blocks back to the kernel on free): in a 1080p
// rawvideo run of the encoder alone, 57 % of the process's page faults came from the output frames
// and 12 % from the rawvideo encoder's packets (bench/RESULTS.md, session 8).
//
// Thread-safety: FramePool::get() from one thread at a time; PacketPool::get_encode_buffer from
// any number of threads at once (frame-threaded encoders call it from their workers). Buffers
// taken may outlive their pool (each pool is freed once its last buffer comes back).
#pragma once

#include "av_handles.h"

#include <cstddef>
#include <mutex>

namespace cnnv3 {

// Frames of one pixel format and size, laid out exactly as av_frame_get_buffer(frame, 0) lays
// them out (line sizes, plane offsets, padding), each in one buffer from a pool.
class FramePool {
public:
    // Allocates `frame`'s buffers: frame.format, width and height set, no buffers yet. The first
    // call (or one for another format or size) learns the layout from av_frame_get_buffer; formats
    // FFmpeg lays out in more than one buffer (palettes) get av_frame_get_buffer every time.
    // Returns 0 or an AVERROR code.
    int get(AVFrame& frame);

private:
    av::BufferPool pool_;
    int format_ = -1, width_ = 0, height_ = 0;
    int linesize_[AV_NUM_DATA_POINTERS] = {};
    std::ptrdiff_t offset_[AV_NUM_DATA_POINTERS] = {};
    bool pooled_ = false;  // the layout fits one buffer
};

// AVCodecContext::get_encode_buffer for encoders with AV_CODEC_CAP_DR1: packets of the size the
// encoder asked for first when that is at least `min_pooled` bytes (rawvideo: every packet has
// the frame's size) come from a pool; any other size from FFmpeg's default allocator.
class PacketPool {
public:
    static constexpr std::size_t min_pooled = 4096;
    // Installs itself on `enc` (before avcodec_open2): get_encode_buffer and opaque.
    void attach(AVCodecContext& enc);

private:
    static int get_encode_buffer(AVCodecContext* ctx, AVPacket* packet, int flags);
    std::mutex mutex_;
    av::BufferPool pool_;
    std::size_t size_ = 0;  // the pooled packets' size (padding included); 0 = not yet known
    bool decided_ = false;
};

}  // namespace cnnv3
