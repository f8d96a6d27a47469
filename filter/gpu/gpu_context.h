// A Vulkan GPU through libplacebo: the log, instance, device and dispatch object, owned together.
//
// Devices are picked by index or by a case-insensitive substring of their name; software devices
// (lavapipe, SwiftShader) work but are reported once as slow. Every libplacebo message goes through
// one callback that also counts shader compilations, so tests can assert "no recompiles".
#pragma once

#include <libplacebo/dispatch.h>
#include <libplacebo/gpu.h>
#include <libplacebo/log.h>
#include <libplacebo/vulkan.h>

#include <atomic>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace cnnv3 {

// A GPU that cannot be opened or used; what() is one line.
class GpuError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// One Vulkan physical device as the instance lists it.
struct GpuDeviceInfo {
    int index = 0;
    std::string name;
    std::string type;       // "discrete", "integrated", "virtual", "cpu" or "other"
    bool software = false;  // a CPU implementation (lavapipe, SwiftShader)
};

std::vector<GpuDeviceInfo> list_gpu_devices();

struct GpuOptions {
    std::string device;  // "" or "-1": the first hardware device, else the first one; a number: that index;
                         // anything else: the first device whose name contains it (case-insensitive)
    // Receives warnings and errors (one line each); the software-device warning comes here too.
    std::function<void(const std::string&)> warn;
    // A transfer queue of its own for uploads and downloads where the hardware has one (software
    // devices never get one). With two queue families libplacebo 4.208 creates every texture and
    // buffer with VK_SHARING_MODE_CONCURRENT (src/vulkan/gpu_tex.c:348, malloc.c:397); false keeps
    // everything on one queue, EXCLUSIVE: for measuring what that costs (cnnv3-bench-gpu --one-queue).
    bool transfer_queue = true;
    // Capture each compute pipeline's driver statistics (pipeline_stats.h; registers per invocation)
    // where the device offers VK_KHR_pipeline_executable_properties: for benchmarks
    // (cnnv3-bench-gpu --pass-times). Off by default: capturing may cost pipeline-creation time.
    bool pipeline_stats = false;
};

class GpuContext {
public:
    explicit GpuContext(const GpuOptions& options);
    ~GpuContext();
    GpuContext(const GpuContext&) = delete;
    GpuContext& operator=(const GpuContext&) = delete;

    pl_gpu gpu() const;
    pl_dispatch dispatch() const { return dispatch_; }
    const GpuDeviceInfo& device() const { return device_; }

    // GPU programs compiled so far (counted from libplacebo's log).
    int shader_compilations() const { return compilations_.load(); }

    // shaderFloat16 was asked for at device creation and granted: shaders may use float16_t math
    // (GL_EXT_shader_explicit_arithmetic_types_float16) and f16 shared memory.
    bool shader_f16() const { return shader_f16_; }
    // Tensor cores for the coop-matrix passes (PlanOptions::coop_matrix): VK_NV_cooperative_matrix and
    // the vulkanMemoryModel feature were asked for at device creation and granted, the device lists
    // the f16 x f16 + f32 16x8x16 subgroup-scope shape, subgroups have 32 invocations, and
    // shaderFloat16 is on. libplacebo 4.208's glslang compiles GL_NV_cooperative_matrix; the KHR
    // extension is not used (that glslang does not know it).
    bool coop_matrix() const { return coop_matrix_; }
    // coop_matrix() and the device also lists the f16 x f16 + f16 16x8x16 subgroup-scope shape: the
    // passes may accumulate in f16 (PlanOptions::coop_sums = CoopSums::f16).
    bool coop_f16_sums() const { return coop_f16_sums_; }
    // GpuOptions::pipeline_stats was asked for and the device enabled the extension: ComputePass
    // reports its pipeline's statistics (ComputePass::stats).
    bool pipeline_stats() const { return pipeline_stats_; }
    // Why coop_matrix() is false, for `cnnv3 devices` ("" when it is true).
    const std::string& coop_matrix_problem() const { return coop_problem_; }
    // Compute shared memory per workgroup the device allows (16 KiB at least, 48 KiB on NVIDIA).
    std::size_t max_shared_bytes() const;
    // The largest width or height of a 2D texture (pl_gpu_limits::max_tex_2d_dim; 16384 on lavapipe).
    int max_texture_size() const;

    // Waits until the device has finished everything submitted, including the driver's own
    // bookkeeping after a command's fence signals. Call before destroying resources that recent
    // commands used: Mesa 22.3's lavapipe signals a fence before it updates the timeline
    // semaphores of the same submission, so destroying a texture or buffer (and its semaphore)
    // straight after a fence wait can free memory its queue thread is about to write
    // (docs/host.md "Software devices").
    void wait_idle() const;

    // Passes a message to GpuOptions::warn (if set).
    void warn(const std::string& message) const
    {
        if (warn_)
            warn_(message);
    }

private:
    static void on_log(void* self, enum pl_log_level level, const char* msg);

    GpuDeviceInfo device_;
    std::function<void(const std::string&)> warn_;
    std::atomic<int> compilations_{0};
    bool shader_f16_ = false;
    bool coop_matrix_ = false;
    bool coop_f16_sums_ = false;
    bool pipeline_stats_ = false;
    std::string coop_problem_;
    pl_log log_ = nullptr;
    pl_vk_inst instance_ = nullptr;
    pl_vulkan vulkan_ = nullptr;
    pl_dispatch dispatch_ = nullptr;
};

// A texture that destroys itself.
class GpuTexture {
public:
    GpuTexture() = default;
    GpuTexture(pl_gpu gpu, const struct pl_tex_params& params);
    ~GpuTexture() { reset(); }
    GpuTexture(GpuTexture&& other) noexcept : gpu_(other.gpu_), tex_(other.tex_) { other.tex_ = nullptr; }
    GpuTexture& operator=(GpuTexture&& other) noexcept;
    GpuTexture(const GpuTexture&) = delete;
    GpuTexture& operator=(const GpuTexture&) = delete;

    pl_tex get() const { return tex_; }
    explicit operator bool() const { return tex_ != nullptr; }
    void reset();

private:
    pl_gpu gpu_ = nullptr;
    pl_tex tex_ = nullptr;
};

// A buffer that destroys itself.
class GpuBuffer {
public:
    GpuBuffer() = default;
    GpuBuffer(pl_gpu gpu, const struct pl_buf_params& params);
    ~GpuBuffer() { reset(); }
    GpuBuffer(GpuBuffer&& other) noexcept : gpu_(other.gpu_), buf_(other.buf_) { other.buf_ = nullptr; }
    GpuBuffer& operator=(GpuBuffer&& other) noexcept;
    GpuBuffer(const GpuBuffer&) = delete;
    GpuBuffer& operator=(const GpuBuffer&) = delete;

    pl_buf get() const { return buf_; }
    explicit operator bool() const { return buf_ != nullptr; }
    void reset();

private:
    pl_gpu gpu_ = nullptr;
    pl_buf buf_ = nullptr;
};

}  // namespace cnnv3
