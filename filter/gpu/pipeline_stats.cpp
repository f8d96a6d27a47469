#include "pipeline_stats.h"

#include <atomic>
#include <cstring>
#include <map>
#include <mutex>
#include <vector>

namespace cnnv3 {
namespace {

std::atomic<PFN_vkGetInstanceProcAddr> real_instance_proc{nullptr};
std::atomic<PFN_vkGetDeviceProcAddr> real_device_proc{nullptr};
// vkCreateComputePipelines per device: vkGetDeviceProcAddr may give each device its own.
std::mutex devices_mutex;
std::map<VkDevice, PFN_vkCreateComputePipelines> real_create;
std::atomic<PFN_vkCreateComputePipelines> loader_create{nullptr};  // the loader's trampoline, asked through the instance
thread_local std::optional<PipelineStats> last;

PipelineStats read_stats(VkDevice device, VkPipeline pipeline)
{
    PipelineStats out;
    const PFN_vkGetDeviceProcAddr gdpa = real_device_proc.load();
    if (!gdpa)  // the pipeline came through the loader's trampoline before vkGetDeviceProcAddr was asked for
        return out;
    auto properties = reinterpret_cast<PFN_vkGetPipelineExecutablePropertiesKHR>(gdpa(device, "vkGetPipelineExecutablePropertiesKHR"));
    auto statistics = reinterpret_cast<PFN_vkGetPipelineExecutableStatisticsKHR>(gdpa(device, "vkGetPipelineExecutableStatisticsKHR"));
    if (!properties || !statistics)
        return out;
    VkPipelineInfoKHR info = {VK_STRUCTURE_TYPE_PIPELINE_INFO_KHR, nullptr, pipeline};
    uint32_t executables = 0;
    if (properties(device, &info, &executables, nullptr) != VK_SUCCESS)
        return out;
    for (uint32_t e = 0; e < executables; ++e) {
        VkPipelineExecutableInfoKHR executable = {VK_STRUCTURE_TYPE_PIPELINE_EXECUTABLE_INFO_KHR, nullptr, pipeline, e};
        uint32_t n = 0;
        if (statistics(device, &executable, &n, nullptr) != VK_SUCCESS)
            continue;
        std::vector<VkPipelineExecutableStatisticKHR> stats(n);
        for (auto& s : stats)
            s.sType = VK_STRUCTURE_TYPE_PIPELINE_EXECUTABLE_STATISTIC_KHR;
        if (statistics(device, &executable, &n, stats.data()) < 0)
            continue;
        stats.resize(n);
        for (const auto& s : stats)
            if (std::strcmp(s.name, "Register Count") == 0 && s.format == VK_PIPELINE_EXECUTABLE_STATISTIC_FORMAT_UINT64_KHR)
                out.registers = static_cast<int>(s.value.u64);
            else if (std::strcmp(s.name, "Register Count") == 0 && s.format == VK_PIPELINE_EXECUTABLE_STATISTIC_FORMAT_INT64_KHR)
                out.registers = static_cast<int>(s.value.i64);
    }
    return out;
}

VKAPI_ATTR VkResult VKAPI_CALL create_compute_pipelines(VkDevice device, VkPipelineCache cache, uint32_t count,
                                                         const VkComputePipelineCreateInfo* infos,
                                                         const VkAllocationCallbacks* allocator, VkPipeline* pipelines)
{
    PFN_vkCreateComputePipelines create = nullptr;
    {
        std::lock_guard lock(devices_mutex);
        if (auto found = real_create.find(device); found != real_create.end())
            create = found->second;
    }
    if (!create)
        create = loader_create.load();
    if (!create)
        return VK_ERROR_INITIALIZATION_FAILED;
    std::vector<VkComputePipelineCreateInfo> capturing(infos, infos + count);
    for (auto& info : capturing)
        info.flags |= VK_PIPELINE_CREATE_CAPTURE_STATISTICS_BIT_KHR;
    const VkResult result = create(device, cache, count, capturing.data(), allocator, pipelines);
    if (result == VK_SUCCESS && count > 0)
        last = read_stats(device, pipelines[count - 1]);
    return result;
}

VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL device_proc(VkDevice device, const char* name)
{
    const PFN_vkGetDeviceProcAddr real = real_device_proc.load();
    if (std::strcmp(name, "vkCreateComputePipelines") == 0) {
        auto create = reinterpret_cast<PFN_vkCreateComputePipelines>(real(device, name));
        if (!create)
            return nullptr;
        std::lock_guard lock(devices_mutex);
        real_create[device] = create;
        return reinterpret_cast<PFN_vkVoidFunction>(&create_compute_pipelines);
    }
    return real(device, name);
}

VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL instance_proc(VkInstance instance, const char* name)
{
    const PFN_vkGetInstanceProcAddr real = real_instance_proc.load();
    if (std::strcmp(name, "vkGetDeviceProcAddr") == 0) {
        auto gdpa = reinterpret_cast<PFN_vkGetDeviceProcAddr>(real(instance, name));
        if (!gdpa)
            return nullptr;
        real_device_proc.store(gdpa);
        return reinterpret_cast<PFN_vkVoidFunction>(&device_proc);
    }
    if (std::strcmp(name, "vkCreateComputePipelines") == 0) {  // the loader's trampoline serves every device
        auto create = reinterpret_cast<PFN_vkCreateComputePipelines>(real(instance, name));
        if (!create)
            return nullptr;
        loader_create.store(create);
        return reinterpret_cast<PFN_vkVoidFunction>(&create_compute_pipelines);
    }
    return real(instance, name);
}

}  // namespace

PFN_vkGetInstanceProcAddr wrap_for_pipeline_stats(PFN_vkGetInstanceProcAddr real)
{
    real_instance_proc.store(real);
    return &instance_proc;
}

std::optional<PipelineStats> take_last_pipeline_stats()
{
    std::optional<PipelineStats> out = std::move(last);
    last.reset();
    return out;
}

}  // namespace cnnv3
