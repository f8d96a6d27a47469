// A decoded frame's planes through the network without leaving the GPU in float: the planes are
// uploaded as they are (8-16 bits, any chroma subsampling), decoded to RGB on the GPU with
// libplacebo's colour machinery (pl_shader_decode_color: matrix, range; chroma siting by bilinear
// chroma at its sited position), run through the network at strength 1, and encoded back to the
// same planes (pl_shader_encode_color; each chroma sample from the mixed RGB at its sited
// position), downloading only the planes. Not pl_render_image (DESIGN.md).
//
// The strength mix uses the input RGB decoded again from the original planes, unclamped, so codes
// outside the RGB gamut (superwhite, saturated chroma) come back unchanged at strength 0; the
// network itself sees that RGB clamped to [0, 1] (NetworkRunner::run).
//
// Formats: planar integer YUV(A) with each component in its own plane, 8-16 bits, little-endian
// (yuv420p, yuv422p10le, yuva444p16le, yuvj420p, yuv440p, yuv411p...): planar_yuv_problem(). The
// output has the input's format; alpha is copied plane for plane. Everything else (RGB, gray,
// semi-planar, packed, palette) goes through the pipeline's CPU conversion (docs/video.md).
//
// Temporal feedback: the network's strength-1 output of the previous call is kept on the GPU and
// passed as NetworkRunner::run()'s prev when process() is asked for it (and the size is unchanged).
//
// Ownership: borrows the GpuContext and the NetworkRunner (both must outlive it); owns its
// textures and staging buffers, kept while the frame size and format stay.
// Frames in flight: submit() starts a frame and returns without waiting for its download;
// collect() waits for the oldest submitted frame and writes its planes. Up to frames_in_flight
// frames overlap (each with its own staging buffers), so the upload and CPU copies of one frame
// run while the GPU works on the previous one.
//
// Thread-safety: one thread at a time, the runner's thread (libplacebo objects are not thread-safe).
// Errors: GpuError (one line) for a failed upload, dispatch or download, or a format it cannot take.
#pragma once

#include "gpu_context.h"
#include "network_runner.h"
#include "planes.h"

extern "C" {
#include <libavutil/frame.h>
}
#include <libplacebo/colorspace.h>

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace cnnv3 {

// How a frame's codes map to RGB: the matrix, the range, and where each chroma sample sits inside
// its cell as a fraction of (subsampling - 1) luma samples (0 = with the first luma sample, 0.5 =
// centred), as color_tags.h's YuvInterpretation resolves them.
struct PlaneColor {
    enum pl_color_system system = PL_COLOR_SYSTEM_BT_601;  // BT_601, BT_709, SMPTE_240M or BT_2020_NC
    bool full_range = false;
    float chroma_h = 0.0f;
    float chroma_v = 0.5f;
};

// "" when frames of `av_pixel_format` can take the GPU path, else why not (for docs and logs).
std::string planar_yuv_problem(int av_pixel_format);

class FramePlanesGpu {
public:
    FramePlanesGpu(GpuContext& gpu, NetworkRunner& runner);
    ~FramePlanesGpu();
    FramePlanesGpu(const FramePlanesGpu&) = delete;
    FramePlanesGpu& operator=(const FramePlanesGpu&) = delete;

    // `in` (decoded) to `out`: same size and pixel format (planar_yuv_problem() == ""), out's
    // buffers allocated and writable. cond and strength as in NetworkRunner::run(). feedback: pass
    // the previous call's strength-1 network output as prev (ignored on the first call and after
    // a size or format change); false: prev = zeros (first frame, scene cut).
    // Waits for the result (submit() then collect(), after collecting any frame still in flight).
    void process(const AVFrame& in, AVFrame& out, const PlaneColor& color, std::span<const float> cond,
                 float strength, bool feedback);

    // process() in two halves. submit(): as process(), but returns once the GPU work is queued;
    // when frames_in_flight frames are already in flight it first collects the oldest. `in` and
    // `out` must stay alive and unread (out) until collect() returns for them. collect(): waits for
    // the oldest submitted frame's download and writes its planes (and alpha) into its `out`; a
    // no-op with nothing in flight. Frames are collected in submission order. After a GpuError the
    // frames in flight are dropped (never written).
    static constexpr int frames_in_flight = 2;
    void submit(const AVFrame& in, AVFrame& out, const PlaneColor& color, std::span<const float> cond,
                float strength, bool feedback);
    void collect();
    int in_flight() const { return static_cast<int>(pending_.size()); }

    // The conversions alone, for tests against an external converter (zimg) and hosts that hold
    // RGB on the CPU. decode(): `in`'s RGB as the network reads it before clamping (3 planes).
    // encode(): `rgb` (3 planes of out's size) into out's planes (a planar_yuv_problem() == ""
    // format, buffers allocated and writable), as process() encodes the network's output at
    // strength 1; alpha is left alone. Both go through rgba32f transfers.
    Planes decode(const AVFrame& in, const PlaneColor& color);
    void encode(const Planes& rgb, AVFrame& out, const PlaneColor& color);

private:
    struct Plane;
    void ensure(const AVFrame& in);
    void upload(const AVFrame& in);
    void dispatch(const PlaneColor& color, bool chroma_grid, const std::string& mix_body, int component, pl_tex target,
                  pl_tex net);
    void encode_planes(const PlaneColor& color, const std::string& mix_body, pl_tex net);
    void download(AVFrame& out, int slot);
    pl_tex float_texture(bool upload);
    std::string shader_header(const PlaneColor& color, bool chroma_grid) const;

    GpuContext& gpu_;
    NetworkRunner& runner_;
    int format_ = -1, width_ = 0, height_ = 0;
    int depth_ = 8, bytes_ = 1, sub_x_ = 0, sub_y_ = 0;
    std::array<std::unique_ptr<Plane>, 3> in_;   // Y, Cb, Cr as decoded (sampleable, host-writable)
    std::array<std::unique_ptr<Plane>, 3> out_;  // Y, Cb, Cr to encode into (renderable, host-readable)
    GpuTexture rgb_;               // the decoded input RGB (rgba16f), what the network reads
    std::array<GpuTexture, 2> net_;  // strength-1 network outputs, this frame's and the previous one
    GpuTexture float_in_, float_out_;  // decode()/encode()'s rgba32f transfers
    struct Pending {  // a submitted frame: where its planes go when collected
        const AVFrame* in = nullptr;
        AVFrame* out = nullptr;
        int slot = 0;
    };
    std::vector<Pending> pending_;  // oldest first, at most frames_in_flight
    int slot_ = 0;                  // the staging buffers the next frame uses
    std::vector<uint8_t> packed_;  // a plane's rows packed, where its staging buffer is not host-mapped (kept: no per-frame allocation)
    int current_ = 0;
    bool have_prev_ = false;
};

}  // namespace cnnv3
