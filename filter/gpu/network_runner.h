// The network on the GPU: shadergen's pass plan run directly (DESIGN.md: the host never goes through
// pl_render_image). Each pass is one pl_pass, created once (the plan's GLSL body plus the
// declarations of its textures and parameters) and run with pl_pass_run every frame: libplacebo
// 4.208 would otherwise rebuild and hash the whole shader text on every pl_dispatch_compute.
//
// The plan is the dynamic one (unfolded f16 weights); FiLM gamma/beta come from the CPU MLP each
// frame, with strength, as push constants (a uniform buffer where they do not fit), so changing
// conditioning never recompiles anything. Intermediates are rgba16f mosaics, as in the hook files.
//
// Unlike a hook file the host knows its device, so it builds faster passes than glsl/ ships
// (docs/presets.md "Precision and speed"): tensor cores where the device has them for it, else
// group-major shared tiles everywhere, f16 tiles and products where the device grants shaderFloat16,
// larger tiles where it has more than 16 KiB of shared memory. RunnerVariant names one such choice;
// "auto" is the default.
//
// Thread-safety: one thread at a time per runner (libplacebo's objects are not thread-safe); passes
// are created on the first frame that needs them (the prev-reading enc0 on the first frame with a
// prev, dec0 once per output format).
#pragma once

#include "gpu_context.h"

#include "model.h"
#include "pass_plan.h"
#include "planes.h"

#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cnnv3 {

// How the host builds its passes, spelled "<precision>[-<N>k]", "tc", "tc3", "tch", "tc16", "hook" or "auto":
//   f32   f32 shared tiles and arithmetic
//   f16s  f16 shared tiles, f32 arithmetic (the data is f16 in the intermediates already)
//   f16   f16 tiles and mat4 * vec4 products, summed in f16 per tap and in f32 across taps;
//         the output pass (dec0 + sigmoid) stays f32
//   -<N>k shared-memory budget of N KiB per workgroup (default: what the device allows)
//   tc    tensor cores: each conv where they pay (coop_pays) an implicit GEMM on cooperative matrices
//         (PlanOptions::coop_matrix, shadergen/coop_gemm.h), f16 inputs and weights, f32 sums, the
//         other convs as in f16; where GpuContext::coop_matrix()
//         is false it falls back to what auto would pick and says so through GpuOptions::warn
//   tc3   tc with a [8,16] network's enc1, bottleneck and dec1 as one pass (coop_gemm.h CoopLowRes):
//         three conv passes. Not the default: on an H100 that pass took 0.510 ms at 2160p where the
//         three it replaces took 0.305 (bench/RESULTS.md "Session 7")
//   tch   tc with each pass's f32 sums converted to f16 on their way through shared memory to the
//         epilogue (CoopSums::f32_stored_f16); what auto picks on tensor cores whose device
//         lacks tc16's shape (auto_uses_f16_results)
//   tc16  tch with the sums themselves in f16 (CoopSums::f16): fewer registers per
//         invocation, more workgroups per SM; needs GpuContext::coop_f16_sums(), else it runs tch
//         and says so. What auto picks on tensor cores (auto_uses_f16_sums)
//   hook  exactly the hook files' passes (f32, 16 KiB, texel-major tiles), for comparison
//   auto  tc16 (else tch, else tc, as the device and the constants below allow) where the device has tensor cores for it and
//         auto_uses_tensor_cores is true, else f16
//         where the device grants shaderFloat16 on hardware, else f32 (the default; `cnnv3 devices`
//         prints the choice)
// All but hook stage their tiles group-major (PlanOptions::planar_tiles). f16 and f16s need
// shaderFloat16; without it the runner falls back to f32 and says so through GpuOptions::warn.
// Whether "auto" picks tc where the device can run it. On: on an H100 (bench/RESULTS.md "tc, second
// version") the tensor-core passes ran the [8,16] network 22 % faster than the f16 FMA passes at 2160p
// and at 1080p, closer to the CPU reference (0.17 vs 0.28/255); the [4,8] network's small layers keep
// their FMA form inside tc (coop_gemm.h coop_pays), a mix as fast as f16 (0.560 vs 0.562 ms at 2160p,
// bench/RESULTS.md "Merged main").
inline constexpr bool auto_uses_tensor_cores = true;
// Whether "auto", where it picks tensor cores, takes tch. On: on an H100 in two calls (bench/RESULTS.md
// "Session 10 fourth call") [8,16] at 2160p ran in 0.661 and 0.658 ms with 3 frames in flight against
// tc's 0.676 (GPU sum 0.637/0.638 vs 0.652; enc0 0.209 vs 0.219), 1080p's GPU sum 0.195 vs 0.197, [4,8]
// unchanged; 0.192 vs 0.160/255 from the CPU reference at 853x479.
inline constexpr bool auto_uses_f16_results = true;
// Whether "auto", where it picks tch, takes tc16 on a device with the f16-sum shape. On: on an H100
// (bench/RESULTS.md "Session 12 fourth and fifth calls") [8,16] at 2160p ran in 0.642-0.644 ms with 3
// frames in flight against tch's 0.659-0.663 (GPU sum 0.619 vs 0.638: enc1 0.085 vs 0.098, from 66
// to 60 registers, 3 to 4 workgroups per SM), 1080p's GPU sum 0.188-0.189 vs 0.195, [4,8] unchanged;
// 0.349 vs 0.192/255 from the CPU reference at 853x479.
inline constexpr bool auto_uses_f16_sums = true;

// FiLM uniform buffers per pass (where the block does not fit in push constants), used in turn: one
// more than the frames a host keeps in flight (FramePlanesGpu::frames_in_flight = 3), so that run()
// never writes a buffer a queued frame still reads.
inline constexpr int film_ring = 4;

struct RunnerVariant {
    enum class Precision { f32, f16_tiles, f16 };
    Precision precision = Precision::f32;
    int shared_kib = 0;      // 0: the device's maximum
    bool hook = false;       // "hook"
    bool tensor = false;     // "tc"
    bool fuse_low_res = false;  // with tensor: enc1 + bottleneck + dec1 in one pass where the plan can ("tc3")
    CoopSums sums = CoopSums::f32;  // with tensor: PlanOptions::coop_sums ("tc", "tch", "tc16")
    bool automatic = false;  // "auto": resolved against the device by NetworkRunner

    // Throws GpuError naming the bad part.
    static RunnerVariant parse(std::string_view spec);
    std::string name() const;  // parse(name()) gives the same variant
    bool operator==(const RunnerVariant&) const = default;
    // What "auto" becomes on this device (before the shared-memory budget is filled in).
    static RunnerVariant for_device(const GpuContext& gpu);
};

class NetworkRunner {
public:
    // variant: empty reads $CNNV3_GPU_VARIANT, and "auto" when that is unset.
    NetworkRunner(GpuContext& gpu, const Model& model, std::string_view variant = {});
    ~NetworkRunner();
    NetworkRunner(const NetworkRunner&) = delete;
    NetworkRunner& operator=(const NetworkRunner&) = delete;

    // One frame through the network. All three textures have the frame's size; run() only records
    // GPU work, so the caller may reuse or download `output` right after. Nothing in it waits for the
    // GPU while at most film_ring - 1 earlier frames are still running (a FiLM block too large for
    // push constants is written into the next of film_ring buffers: writing one that a queued pass
    // still reads would wait); the driver may still block a submission when its own queue is full.
    //   input:  sampleable, any float or unorm RGBA format (rgba16f, rgba32f, rgba8/16 unorm...). The
    //           network's features read its RGB clamped to [0, 1] (SPEC §2 albedo, mip1, mip2).
    //   output: storable float or unorm RGBA (output_format() is the one this device prefers); receives
    //           mix(input as sampled, network, strength) in RGB, unclamped input where strength < 1,
    //           and the input's alpha.
    //   cond:   the model's cond_dim conditioning values (SPEC §3).
    //   prev:   sampleable RGBA; its RGB is the previous frame's network output *before* any strength
    //           mix (SPEC §2 channels 9-11, prev.rgb), taken as given (not clamped). nullptr means
    //           zeros: the first frame, after a seek or a scene cut, and what hook files always use.
    //           A host that wants temporal feedback runs with strength 1 into a texture it keeps
    //           (or mixes itself) and passes that texture as the next frame's prev.
    // Throws GpuError (one line) on a missing texture, a size mismatch, output being input or prev,
    // a texture that cannot be sampled/stored, a wrong number of cond values, or a pass the GPU
    // cannot build.
    void run(pl_tex input, pl_tex output, std::span<const float> cond, float strength, pl_tex prev = nullptr);

    // RGB planes -> the stylized RGB planes, through rgba32f upload and download; prev as in run()
    // (3 planes of the frame's size, or nullptr for zeros).
    Planes run_planes(const Planes& rgb, std::span<const float> cond, float strength, const Planes* prev = nullptr);

    // run_planes()' transfers, for hosts and tests that hold RGB on the CPU (one definition of the
    // rgba32f staging): upload_rgb() puts `rgb` (3 planes, alpha 1) into a kept input_format()
    // texture and returns it; download_target() is a kept storable rgba32f texture of the size,
    // and download_rgb() reads its RGB back (waiting for the GPU). Textures stay valid until the
    // next call of the same function with another size.
    pl_tex upload_rgb(const Planes& rgb);
    pl_tex download_target(int width, int height);
    Planes download_rgb();

    // input_format(): rgba32f, sampleable + host-writable (what run_planes uploads; run() takes others).
    // output_format(): rgba16f storable + sampleable where the device allows it, else rgba32f
    // (16-bit output keeps every result within 1/2048 of the f32 one, far under the 1/255 bar).
    pl_fmt input_format() const { return input_format_; }
    pl_fmt output_format() const { return output_format_; }

    // The largest texture width and height a width x height frame needs (the frame itself, or a
    // level's mosaic): compare with GpuContext::max_texture_size() before the first frame.
    std::pair<int, int> texture_size_for(int width, int height) const;

    // Why width x height frames cannot run on this GPU ("WxH frames need GPU textures of AxB, larger
    // than the N pixels per side GPU i (name) allows"), or "" when they fit. Callers add the name
    // of what they were given and the remedy.
    std::string frame_size_problem(int width, int height) const;

    const Model& model() const { return model_; }
    // The variant actually built (auto resolved, f16 fallen back when the device lacks it).
    const RunnerVariant& variant() const { return variant_; }
    const PassPlan& plan() const { return plan_; }

    // GPU time per pass (libplacebo timer queries), for benchmarks: after enable_pass_timers(),
    // pass_times_ms() gives each dispatched pass's description and its mean time over the results
    // that arrived since the previous call (timer results lag a few frames behind).
    // enable_pass_timers(false) stops timing (the timers cost CPU work per pass and per frame).
    void enable_pass_timers(bool on = true);
    std::vector<std::pair<std::string, double>> pass_times_ms();
    // Registers per invocation of each pass's pipeline as the driver reported them (GpuOptions::pipeline_stats),
    // -1 where it did not; the passes of pass_times_ms(), in its order, as last compiled.
    std::vector<std::pair<std::string, int>> pass_registers() const;

private:
    struct CompiledPass;
    // The pl_pass of plan pass i (the prev-reading enc0 where `prev`; dec0 for output format `out`),
    // created on first use.
    CompiledPass& compiled(std::size_t i, bool prev, pl_fmt out);
    // One frame's dispatches for frames with or without a prev texture into an output format, at the
    // current size: passes, bindings, workgroup counts and FiLM ranges resolved once, so that run()
    // only puts the frame's textures and FiLM values in (no lookups, strings or allocations per frame).
    struct Step;
    struct Route;
    Route& route(bool prev, pl_fmt out);
    void ensure_size(int width, int height);
    void collect_timers();

    GpuContext& gpu_;
    // run_planes()' staging: a texture and a host buffer, kept while the frame size stays.
    struct Staging {
        GpuTexture tex;
        GpuBuffer buf;
    };
    void ensure_staging(Staging& staging, int width, int height, bool upload);
    void upload(Staging& staging, const Planes& rgb);

    Model model_;
    RunnerVariant variant_;
    PassPlan plan_;       // prev.rgb = 0
    PassPlan prev_plan_;  // enc0 reads CNNV3_PREV (PlanOptions::prev_input); the other passes are plan_'s
    pl_fmt input_format_ = nullptr;
    pl_fmt output_format_ = nullptr;
    pl_fmt download_format_ = nullptr;
    pl_fmt mid_format_ = nullptr;
    int width_ = 0, height_ = 0;
    std::map<std::string, GpuTexture> intermediates_;
    std::map<std::string, std::unique_ptr<CompiledPass>> passes_;  // by compiled()'s key
    std::vector<std::unique_ptr<Route>> routes_;  // for the current size; few (prev or not, output formats)
    std::vector<int> film_sources_;     // film_texel_sources() of the model
    std::vector<float> film_;           // this frame's FiLM texels (vec4 each)
    Staging upload_, prev_upload_, download_;
    std::vector<float> staging_;        // run_planes()' RGBA where the buffers cannot be mapped
    std::size_t frame_ = 0;             // frames run, for film_ring
    std::vector<pl_timer> timers_;      // per pass, empty until first enabled
    bool timing_ = false;               // timers_ in use
    std::vector<std::pair<double, int>> timer_sums_;  // ms and count per pass
    std::vector<int> registers_;                      // per plan pass, -1 until reported
};

}  // namespace cnnv3
