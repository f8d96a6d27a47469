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
    void process(const AVFrame& in, AVFrame& out, const PlaneColor& color, std::span<const float> cond,
                 float strength, bool feedback);
    // The same with the feedback state held by the caller, for hosts whose frames come in any order
    // (VapourSynth): `prev` is the previous frame's strength-1 network output (3 planes of the
    // frame's size; nullptr: zeros) instead of the kept one, and where `net` is given this frame's
    // strength-1 network output comes back in it (3 planes, as the network wrote them).
    void process(const AVFrame& in, AVFrame& out, const PlaneColor& color, std::span<const float> cond,
                 float strength, const Planes* prev, Planes* net);

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
    void download(AVFrame& out);
    void run(const AVFrame& in, AVFrame& out, const PlaneColor& color, std::span<const float> cond, float strength,
             pl_tex prev);
    pl_tex float_texture(bool upload);
    void upload_rgb(const Planes& rgb, pl_tex target);
    Planes download_rgb(pl_tex source);
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
    GpuBuffer rgba_up_, rgba_down_;    // upload_rgb()/download_rgb()'s staging, kept while the size stays
    std::vector<float> rgba_;          // their RGBA where the buffers cannot be mapped
    std::vector<uint8_t> packed_;  // a plane's rows packed, where its staging buffer is not host-mapped (kept: no per-frame allocation)
    int current_ = 0;
    bool have_prev_ = false;
};

}  // namespace cnnv3
