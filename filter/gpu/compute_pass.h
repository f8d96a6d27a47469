// One compute pl_pass made from a complete GLSL source: created once, run per frame (no per-frame
// shader generation, hashing or pipeline lookup as with pl_dispatch). The network's passes
// (NetworkRunner) and the colour passes (FramePlanesGpu) are both made this way. The compiled
// program is kept on disk for the next run (pass_cache.h).
//
// Ownership: owns the pl_pass and the descriptor names it refers to; the pl_gpu must outlive it,
// and the caller must not destroy it while the GPU may still run it (GpuContext::wait_idle).
// Thread-safety: one thread at a time (libplacebo objects are not thread-safe).
// Errors: GpuError (one line) when the device cannot build the pass.
#pragma once

#include "gpu_context.h"
#include "pipeline_stats.h"

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace cnnv3 {

// A descriptor of the pass, in binding order (binding = its index).
struct ComputeDesc {
    std::string name;  // as the GLSL declares it
    enum pl_desc_type type = PL_DESC_SAMPLED_TEX;
    enum pl_desc_access access = PL_DESC_ACCESS_READWRITE;  // storage images and buffers
};

class ComputePass {
public:
    // `glsl`: the whole shader ("#version ..." included) declaring `descs` with bindings 0, 1, ...
    // and a push-constant block of `push_constants` bytes (0: none). `what` names the pass in errors.
    ComputePass(pl_gpu gpu, std::vector<ComputeDesc> descs, const std::string& glsl, std::size_t push_constants,
                const std::string& what);
    ~ComputePass();
    ComputePass(const ComputePass&) = delete;
    ComputePass& operator=(const ComputePass&) = delete;

    // Records one dispatch of groups_x x groups_y workgroups; bindings in the descriptors' order.
    void run(std::span<const struct pl_desc_binding> bindings, int groups_x, int groups_y,
             const void* push_constants = nullptr, pl_timer timer = nullptr) const;

    // The driver's statistics of this pass's pipeline where GpuContext::pipeline_stats() is on, else nothing.
    const std::optional<PipelineStats>& stats() const { return stats_; }

private:
    pl_gpu gpu_;
    std::vector<ComputeDesc> descs_;
    pl_pass pass_ = nullptr;
    std::optional<PipelineStats> stats_;
};

}  // namespace cnnv3
