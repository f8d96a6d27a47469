// What the driver says about each compute pipeline it compiled (VK_KHR_pipeline_executable_properties),
// for benchmarks: the registers per invocation decide how many workgroups an SM holds, and that
// decided the tensor-core passes' speed (bench/RESULTS.md "Session 12 second and third calls").
//
// libplacebo creates the pipelines and has no way to ask for statistics, so GpuContext, when
// GpuOptions::pipeline_stats asks and the device offers the extension, hands libplacebo a
// vkGetInstanceProcAddr from wrap_for_pipeline_stats(): its vkCreateComputePipelines adds
// VK_PIPELINE_CREATE_CAPTURE_STATISTICS_BIT_KHR and reads the statistics back right after.
//
// Thread-safety: the wrapper may be called from any thread and for several devices at once;
// take_last_pipeline_stats() reads what the calling thread created last (libplacebo creates a
// pass's pipeline inside pl_pass_create, on the caller's thread).
#pragma once

#include <vulkan/vulkan.h>

#include <optional>

namespace cnnv3 {

struct PipelineStats {
    int registers = -1;  // "Register Count" (NVIDIA) where the driver reports it, else -1
};

// `real` is the loader's vkGetInstanceProcAddr (libplacebo's pl_vk_inst::get_proc_addr); the result
// forwards everything to it except vkGetDeviceProcAddr and vkCreateComputePipelines. Process-wide:
// every call returns the same function, and `real` must be the same each time.
PFN_vkGetInstanceProcAddr wrap_for_pipeline_stats(PFN_vkGetInstanceProcAddr real);

// The statistics of the last compute pipeline this thread created through the wrapper, if any, and
// forgets them (so that a pass whose pipeline came from elsewhere reports nothing rather than another
// pass's figures).
std::optional<PipelineStats> take_last_pipeline_stats();

}  // namespace cnnv3
