// The network on the GPU: shadergen's pass plan run directly with pl_shader_custom +
// pl_dispatch_compute (DESIGN.md: the host never goes through pl_render_image).
//
// The plan is the dynamic one (unfolded f16 weights); FiLM gamma/beta come from the CPU MLP each
// frame as a dynamic uniform array, and strength as a dynamic uniform, so changing conditioning
// never recompiles anything. Intermediates are rgba16f mosaics, as in the hook files.
//
// Unlike a hook file the host knows its device, so it builds faster passes than glsl/ ships
// (docs/presets.md "Precision and speed"): group-major shared tiles everywhere, f16 tiles and
// products where the device grants shaderFloat16, larger tiles where it has more than 16 KiB of
// shared memory. RunnerVariant names one such choice; "auto" is the default.
#pragma once

#include "gpu_context.h"

#include "model.h"
#include "pass_plan.h"
#include "planes.h"

#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cnnv3 {

// How the host builds its passes, spelled "<precision>[-<N>k]", "hook" or "auto":
//   f32   f32 shared tiles and arithmetic
//   f16s  f16 shared tiles, f32 arithmetic (the data is f16 in the intermediates already)
//   f16   f16 tiles and mat4 * vec4 products, summed in f16 per tap and in f32 across taps;
//         the output pass (dec0 + sigmoid) stays f32
//   -<N>k shared-memory budget of N KiB per workgroup (default: what the device allows)
//   hook  exactly the hook files' passes (f32, 16 KiB, texel-major tiles), for comparison
//   auto  f16 where the device grants shaderFloat16, else f32 (the default)
// All but hook stage their tiles group-major (PlanOptions::planar_tiles). f16 and f16s need
// shaderFloat16; without it the runner falls back to f32 and says so through GpuOptions::warn.
struct RunnerVariant {
    enum class Precision { f32, f16_tiles, f16 };
    Precision precision = Precision::f32;
    int shared_kib = 0;      // 0: the device's maximum
    bool hook = false;       // "hook"
    bool automatic = false;  // "auto": resolved against the device by NetworkRunner

    // Throws GpuError naming the bad part.
    static RunnerVariant parse(std::string_view spec);
    std::string name() const;  // parse(name()) gives the same variant
};

class NetworkRunner {
public:
    // variant: empty reads $CNNV3_GPU_VARIANT, and "auto" when that is unset.
    NetworkRunner(GpuContext& gpu, const Model& model, std::string_view variant = {});
    ~NetworkRunner();
    NetworkRunner(const NetworkRunner&) = delete;
    NetworkRunner& operator=(const NetworkRunner&) = delete;

    // input: a sampleable texture whose RGB(A) is the frame in [0, 1]; output: a storable texture of
    // the same size that receives mix(input, network, strength) in RGB and the input's alpha.
    void run(pl_tex input, pl_tex output, std::span<const float> cond, float strength);

    // RGB planes in [0, 1] -> the stylized RGB planes, through rgba32f upload and download.
    Planes run_planes(const Planes& rgb, std::span<const float> cond, float strength);

    // The formats run() expects: rgba32f, sampleable + host-writable / storable + host-readable.
    pl_fmt input_format() const { return io_format_; }
    pl_fmt output_format() const { return io_format_; }

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
    void enable_pass_timers();
    std::vector<std::pair<std::string, double>> pass_times_ms();

private:
    void ensure_size(int width, int height);
    void collect_timers();

    GpuContext& gpu_;
    Model model_;
    RunnerVariant variant_;
    PassPlan plan_;
    pl_fmt io_format_ = nullptr;
    pl_fmt mid_format_ = nullptr;
    int width_ = 0, height_ = 0;
    std::map<std::string, GpuTexture> intermediates_;
    std::vector<std::string> headers_;  // per pass: defines + common helpers + body
    GpuTexture upload_, download_;      // run_planes() staging, kept while the size stays
    GpuBuffer upload_buf_, download_buf_;
    std::vector<float> staging_;        // run_planes()' RGBA where the buffers cannot be mapped
    std::vector<pl_timer> timers_;      // per pass, empty unless enabled
    std::vector<std::pair<double, int>> timer_sums_;  // ms and count per pass
};

}  // namespace cnnv3
