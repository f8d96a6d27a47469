// A decoded frame's planes through the network without a CPU colour conversion: the planes are
// uploaded as they are (their bytes: planar, semi-planar, packed, palette; 1-16 bits a component;
// little- or big-endian), decoded to RGB on the GPU, run through the network at strength 1, and
// encoded on the GPU into the output frame's planes - the output's own pixel format, which may
// differ from the input's (yuv422p10 in, yuv420p out; rgb24 in, yuv420p out; yuv in, rgb48be out) -
// downloading only those planes. Not pl_render_image (DESIGN.md).
//
// Each component is read from its bytes where FFmpeg's pixel descriptor places it and normalised by
// its own maximum; chroma is read bilinearly at its sited position. The codes become RGB through
// libplacebo's colour machinery: pl_color_repr (the matrix and range of PlaneColor; RGB formats and
// pal8 as PL_COLOR_SYSTEM_RGB) turned into its decoding transform by pl_color_repr_decode, and the
// output's by the inverse of its own (pl_transform3x3_invert) - no matrix written here. Gray has
// neutral chroma; pal8 is looked up in its palette (data[1]) on the GPU. Output chroma samples take
// the network's RGB tent-filtered over their cell (zimg's bilinear downsampling); the input's part
// is its codes read exactly where the output's sample grid is the input's, else tent-filtered too.
//
// The strength mix uses the input RGB decoded again from the original planes, unclamped, so codes
// outside the RGB gamut (superwhite, saturated chroma) come back unchanged at strength 0 when the
// output has the input's format and colour; the network itself sees that RGB clamped to [0, 1]
// (NetworkRunner::run). Alpha: the input's (resampled to the output's depth), opaque when it has none.
//
// Formats: gpu_format_problem(). Not taken: hardware surfaces, float, Bayer, 1-bit bitstream and XYZ
// formats; pal8 is read but not written; packed formats whose components on one sample grid have
// different steps are not written. Matrices: BT.601, BT.709, SMPTE 240M, BT.2020 NC (libplacebo has
// no FCC system: such frames are the caller's to convert).
//
// Passes: one decode pass (input planes -> the network's RGB) and one encode pass per output sample
// grid (luma, chroma), each a ComputePass created once per (formats, size, colour) and run per frame.
// Which passes a frame runs, with their bindings, is resolved once per formats, colours and strength
// mode (strength 1 or not) while the size stays: per frame no lookup by name and no shader text.
//
// Temporal feedback: the network's strength-1 output of the previous call is kept on the GPU and
// passed as NetworkRunner::run()'s prev when process() is asked for it (and the size is unchanged).
//
// Frames in flight: submit() starts a frame and returns without waiting for its download;
// collect() waits for the oldest submitted frame and writes its planes. Up to frames_in_flight
// frames overlap (each with its own staging buffers), so the upload and CPU copies of one frame
// run while the GPU works on the previous one.
//
// Output without a copy (lend_output(true)): the planes are downloaded into host-mapped staging
// buffers whose rows are laid out as av_frame_get_buffer() would (pitch a multiple of 64 bytes,
// padding after the last row), and collect() makes those buffers the output frame's own
// (av_buffer_create(); its previous buffers are released) instead of copying the rows. A staging
// set is reused only once every reference to it is freed (the free callback, on any thread, only
// decrements a counter; this class recycles the set on its own thread). The sets are a pool,
// grown on demand up to max_staging; frames are copied as before where the buffers are not
// host-mapped (max_mapped_size), the output frame is not reference-counted (buf[0] null: e.g. a
// view of a host's memory), or max_staging - frames_in_flight sets are already lent (an encoder
// holding many frames never makes the pipeline wait).
//
// Decoding straight into staging memory (take_decode_buffer()): a decoder's get_buffer2 may take
// its frames' buffers from a pool of host-mapped, host-cached staging buffers this class makes: a
// request that finds no free buffer makes one of the size asked, there, on the decoder's thread
// (libplacebo's calls are thread-safe on its Vulkan GPUs, pl_gpu_limits.thread_safe; where they are
// not, none is made), up to max_decode_buffers; the GPU stage's thread never waits for one. A
// frame whose planes lie in one of them is uploaded from there (buf_offset, row pitch = linesize):
// no CPU copy, no per-frame import. submit() references the frame's buffer until that upload is
// done; a buffer goes back to the pool when its last reference is freed (any thread). The decoder
// must be closed (every frame it made freed) before this object is destroyed.
//
// Ownership: borrows the GpuContext and the NetworkRunner (both must outlive it); owns its
// textures, staging buffers and passes, kept while the frame size and formats stay. Frames whose
// buffers collect() lent must be freed before this object is destroyed.
// Thread-safety: one thread at a time, the runner's thread (libplacebo objects are not thread-safe).
// Errors: GpuError (one line) for a failed upload, dispatch or download, or a format it cannot take.
#pragma once

#include "compute_pass.h"
#include "gpu_context.h"
#include "network_runner.h"
#include "planes.h"

extern "C" {
#include <libavutil/frame.h>
}
#include <libplacebo/colorspace.h>

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace cnnv3 {

// How a frame's codes map to RGB: the matrix, the range, and where each chroma sample sits inside
// its cell as a fraction of (subsampling - 1) luma samples (0 = with the first luma sample, 0.5 =
// centred), as color_tags.h's YuvInterpretation resolves them. RGB formats and pal8: system RGB
// (full range; the rest is ignored).
struct PlaneColor {
    enum pl_color_system system = PL_COLOR_SYSTEM_BT_601;  // BT_601, BT_709, SMPTE_240M, BT_2020_NC or RGB
    bool full_range = false;
    float chroma_h = 0.0f;
    float chroma_v = 0.5f;
    bool operator==(const PlaneColor&) const = default;
};

// "" when FramePlanesGpu can read (write = false) or write (write = true) frames of
// `av_pixel_format`, else why not, in a few words (for docs and logs).
std::string gpu_format_problem(int av_pixel_format, bool write = false);

class FramePlanesGpu {
public:
    FramePlanesGpu(GpuContext& gpu, NetworkRunner& runner);
    ~FramePlanesGpu();
    FramePlanesGpu(const FramePlanesGpu&) = delete;
    FramePlanesGpu& operator=(const FramePlanesGpu&) = delete;

    // `in` (decoded; gpu_format_problem(in.format) == "") to `out` (the same size, a format with
    // gpu_format_problem(out.format, true) == "", buffers allocated and writable), each read with
    // its own colour. cond and strength as in NetworkRunner::run(). feedback: pass the previous
    // call's strength-1 network output as prev (ignored on the first call and after a size
    // change); false: prev = zeros (first frame, scene cut). Waits for the result (after
    // collecting any frame still in flight).
    void process(const AVFrame& in, const PlaneColor& in_color, AVFrame& out, const PlaneColor& out_color,
                 std::span<const float> cond, float strength, bool feedback);
    // The same with the feedback state held by the caller, for hosts whose frames come in any order
    // (VapourSynth): `prev` is the previous frame's strength-1 network output (3 planes of the
    // frame's size; nullptr: zeros) instead of the kept one, and where `net` is given this frame's
    // strength-1 network output comes back in it (3 planes, the network's values as it stored them).
    void process(const AVFrame& in, const PlaneColor& in_color, AVFrame& out, const PlaneColor& out_color,
                 std::span<const float> cond, float strength, const Planes* prev, Planes* net);

    // process() in two halves. submit(): as process(), but returns once the GPU work is queued;
    // when frames_in_flight frames are already in flight it first collects the oldest. `out` must
    // stay alive and unread until collect() returns for it (`in` is copied or
    // referenced by submit(): it may be freed at once, its buffers not written until collected).
    // collect(): waits for the oldest submitted frame's download and writes its planes into its
    // `out`; a no-op with nothing in flight. Frames are collected in submission order. After a
    // GpuError the frames in flight are dropped (never written). A size or format change, decode()
    // and encode() collect the frames in flight first.
    static constexpr int frames_in_flight = 3;  // a frame uploading, one on the GPU, one downloading
    // NetworkRunner's FiLM buffers outnumber the frames in flight, so that run() never waits (network_runner.h).
    static_assert(film_ring > frames_in_flight);
    void submit(const AVFrame& in, const PlaneColor& in_color, AVFrame& out, const PlaneColor& out_color,
                std::span<const float> cond, float strength, bool feedback);
    void collect();
    int in_flight() const { return static_cast<int>(pending_.size()); }

    // Whether collect() (and process(), encode()) may give the output frame the staging buffers
    // instead of copying into its own (see above); off by default. With it on, `out`'s buf, data
    // and linesize may change (the format, size and other fields stay).
    void lend_output(bool on) { lend_ = on; }
    static constexpr int max_staging = frames_in_flight + 8;  // output staging sets, at most
    // A reference-counted buffer of at least `size` bytes in host-mapped staging memory for a
    // decoder to decode a frame into (see above), or nullptr when none is free (the decoder then
    // allocates its own). Thread-safe: called on the decoder's threads, concurrently. Never
    // throws (a decoder's C code calls it).
    AVBufferRef* take_decode_buffer(std::size_t size) noexcept;
    static constexpr int max_decode_buffers = 40;
    int decode_buffers() const;                                         // made so far
    int64_t uploaded_in_place() const { return uploaded_in_place_; }  // planes uploaded from a decode buffer
    int staging_sets() const { return static_cast<int>(staging_.size()); }
    // How many times a frame's passes and bindings were resolved (see "Passes" above).
    int plans_made() const { return plans_made_; }
    // Where submit() and collect() spent their time on the caller's thread, in seconds summed over
    // the frames ($CNNV3_STAGE_TIMES, docs/video.md): uploading (a CPU copy
    // where the frame is in memory of its own), recording the decode pass, the network's passes
    // (NetworkRunner::run), the encode passes and downloads, submitting to the GPU, waiting for a
    // download to land, and handing the planes to the output frame (lent, or copied).
    struct StepTimes {
        double upload = 0, decode = 0, network = 0, encode = 0, flush = 0, wait = 0, hand_over = 0;
        int64_t frames = 0;  // submitted
    };
    const StepTimes& step_times() const { return times_; }

    // The conversions alone, for tests against an external converter (zimg) and hosts that hold
    // RGB on the CPU. decode(): `in`'s RGB as the network reads it before clamping (3 planes).
    // encode(): `rgb` (3 planes of out's size) into out's planes (a writable format, buffers
    // allocated and writable), as process() encodes the network's output at strength 1; alpha
    // opaque. Both go through the runner's rgba32f transfers (NetworkRunner::upload_rgb).
    Planes decode(const AVFrame& in, const PlaneColor& color);
    void encode(const Planes& rgb, AVFrame& out, const PlaneColor& color);

private:
    struct Side;
    struct Pass;
    struct Staging;
    void ensure_size(int width, int height);
    void ensure_side(Side& side, const AVFrame& frame, bool input);
    void upload(const AVFrame& in);
    void decode_pass(const PlaneColor& color, pl_tex target);
    void encode_passes(const PlaneColor& in_color, const PlaneColor& out_color, pl_tex net, const float* strength,
                       Staging& staging);
    Staging& take_staging();  // a set neither downloading nor lent (made when there is none)
    void download(AVFrame& out, Staging& staging);
    void lend(AVFrame& out, Staging& staging);
    void drain();  // collect() every frame in flight
    void submit_with(const AVFrame& in, const PlaneColor& in_color, AVFrame& out, const PlaneColor& out_color,
                     std::span<const float> cond, float strength, pl_tex prev);
    const ComputePass& pass(const std::string& key, const std::vector<ComputeDesc>& descs,
                            const std::function<std::string()>& body, bool push_strength);
    // A frame's passes and bindings, resolved once (see "Passes" above); kept while the size and
    // both sides stay (the bindings name their textures).
    struct DecodePlan {
        PlaneColor color;
        pl_fmt target_format = nullptr;
        const ComputePass* pass = nullptr;
        std::vector<struct pl_desc_binding> bindings;  // the target last, bound per frame
    };
    struct EncodePlan {
        PlaneColor in_color, out_color;
        bool with_input = false, mix = false;
        struct Grid {
            const ComputePass* pass = nullptr;
            std::vector<struct pl_desc_binding> bindings;
            std::size_t net_at = 0;  // the network's output, bound per frame
            int groups_x = 0, groups_y = 0;
        };
        std::vector<Grid> grids;
    };
    DecodePlan make_decode_plan(const PlaneColor& color, pl_tex target);
    EncodePlan make_encode_plan(const PlaneColor& in_color, const PlaneColor& out_color, bool with_input, bool mix);
    void forget_plans();
    std::vector<DecodePlan> decode_plans_;
    std::vector<EncodePlan> encode_plans_;
    int plans_made_ = 0;
    StepTimes times_;

    GpuContext& gpu_;
    NetworkRunner& runner_;
    int width_ = 0, height_ = 0;
    std::unique_ptr<Side> in_, out_;
    GpuTexture rgb_;                 // the decoded input RGB (rgba16f), what the network reads
    std::array<GpuTexture, 2> net_;  // strength-1 network outputs, this frame's and the previous one
    std::map<std::string, std::unique_ptr<ComputePass>> passes_;  // by formats, colours and grid; this size
    struct Pending {  // a submitted frame: where its planes go when collected
        AVFrame* out = nullptr;
        Staging* staging = nullptr;
    };
    std::vector<Pending> pending_;  // oldest first, at most frames_in_flight
    int slot_ = 0;                  // the input staging buffers the next frame uses
    std::vector<std::unique_ptr<Staging>> staging_;  // the output's, of the current layout
    std::vector<std::unique_ptr<Staging>> retired_;  // of an earlier layout, still lent
    bool lend_ = false;
    struct DecodePool;
    std::unique_ptr<DecodePool> decode_pool_;
    int64_t uploaded_in_place_ = 0;
    std::vector<uint8_t> packed_;  // a plane's rows packed, where its staging buffer is not host-mapped (kept: no per-frame allocation)
    int current_ = 0;
    bool have_prev_ = false;
};

}  // namespace cnnv3
