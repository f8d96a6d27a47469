// The network on the GPU: shadergen's pass plan run directly with pl_shader_custom +
// pl_dispatch_compute (DESIGN.md: the host never goes through pl_render_image).
//
// The plan is the dynamic one (unfolded f16 weights); FiLM gamma/beta come from the CPU MLP each
// frame as a dynamic uniform array, and strength as a dynamic uniform, so changing conditioning
// never recompiles anything. Intermediates are rgba16f mosaics, as in the hook files.
#pragma once

#include "gpu_context.h"

#include "model.h"
#include "pass_plan.h"
#include "planes.h"

#include <map>
#include <span>
#include <string>

namespace cnnv3 {

class NetworkRunner {
public:
    NetworkRunner(GpuContext& gpu, const Model& model);

    // input: a sampleable texture whose RGB(A) is the frame in [0, 1]; output: a storable texture of
    // the same size that receives mix(input, network, strength) in RGB and the input's alpha.
    void run(pl_tex input, pl_tex output, std::span<const float> cond, float strength);

    // RGB planes in [0, 1] -> the stylized RGB planes, through rgba32f upload and download.
    Planes run_planes(const Planes& rgb, std::span<const float> cond, float strength);

    // The formats run() expects: rgba32f, sampleable + host-writable / storable + host-readable.
    pl_fmt input_format() const { return io_format_; }
    pl_fmt output_format() const { return io_format_; }

    const Model& model() const { return model_; }

private:
    void ensure_size(int width, int height);

    GpuContext& gpu_;
    Model model_;
    PassPlan plan_;
    pl_fmt io_format_ = nullptr;
    pl_fmt mid_format_ = nullptr;
    int width_ = 0, height_ = 0;
    std::map<std::string, GpuTexture> intermediates_;
    std::vector<std::string> headers_;  // per pass: defines + common helpers + body
    GpuTexture upload_, download_;      // run_planes() staging
};

}  // namespace cnnv3
