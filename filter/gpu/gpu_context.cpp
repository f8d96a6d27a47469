#include "gpu_context.h"

#include "excerpt.h"
#include "pipeline_stats.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>

namespace cnnv3 {
namespace {

std::string lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

const char* device_type_name(VkPhysicalDeviceType t)
{
    switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return "discrete";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return "integrated";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return "virtual";
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return "cpu";
    default: return "other";
    }
}

// Lists devices through a throw-away instance (libplacebo's, so the loader is the one it uses).
std::vector<std::pair<GpuDeviceInfo, VkPhysicalDevice>> enumerate(pl_vk_inst inst)
{
    auto enum_devices = reinterpret_cast<PFN_vkEnumeratePhysicalDevices>(
        inst->get_proc_addr(inst->instance, "vkEnumeratePhysicalDevices"));
    auto get_props = reinterpret_cast<PFN_vkGetPhysicalDeviceProperties>(
        inst->get_proc_addr(inst->instance, "vkGetPhysicalDeviceProperties"));
    if (!enum_devices || !get_props)
        throw GpuError("Vulkan: the loader has no vkEnumeratePhysicalDevices");
    uint32_t count = 0;
    enum_devices(inst->instance, &count, nullptr);
    std::vector<VkPhysicalDevice> devices(count);
    enum_devices(inst->instance, &count, devices.data());
    std::vector<std::pair<GpuDeviceInfo, VkPhysicalDevice>> out;
    for (uint32_t i = 0; i < count; ++i) {
        VkPhysicalDeviceProperties props{};
        get_props(devices[i], &props);
        GpuDeviceInfo info;
        info.index = static_cast<int>(i);
        info.name = props.deviceName;
        info.type = device_type_name(props.deviceType);
        info.software = props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU;
        out.emplace_back(info, devices[i]);
    }
    return out;
}

// libplacebo's parameter macros are C compound literals; C++ fills zero-initialised structs instead.
using LogCallback = void (*)(void*, enum pl_log_level, const char*);

pl_log create_log(LogCallback cb, void* priv, enum pl_log_level level)
{
    struct pl_log_params params = {};
    params.log_cb = cb;
    params.log_priv = priv;
    params.log_level = level;
    return pl_log_create(PL_API_VER, &params);
}

pl_vk_inst create_instance(pl_log log)
{
    struct pl_vk_inst_params params = {};
    return pl_vk_inst_create(log, &params);
}

// Whether the device lists the extension `name` (asked through the instance, before the device exists).
bool lists_extension(pl_vk_inst inst, VkPhysicalDevice device, const char* name)
{
    auto enum_extensions = reinterpret_cast<PFN_vkEnumerateDeviceExtensionProperties>(
        inst->get_proc_addr(inst->instance, "vkEnumerateDeviceExtensionProperties"));
    if (!enum_extensions)
        return false;
    uint32_t n = 0;
    enum_extensions(device, nullptr, &n, nullptr);
    std::vector<VkExtensionProperties> extensions(n);
    enum_extensions(device, nullptr, &n, extensions.data());
    return std::any_of(extensions.begin(), extensions.end(),
                       [&](const VkExtensionProperties& e) { return std::strcmp(e.extensionName, name) == 0; });
}

// Whether the device lists VK_NV_cooperative_matrix with the cooperativeMatrix feature and the Vulkan
// memory model (asked through the instance, before the device exists).
bool offers_coop_matrix(pl_vk_inst inst, VkPhysicalDevice device)
{
    auto get_features = reinterpret_cast<PFN_vkGetPhysicalDeviceFeatures2>(
        inst->get_proc_addr(inst->instance, "vkGetPhysicalDeviceFeatures2"));
    if (!get_features || !lists_extension(inst, device, VK_NV_COOPERATIVE_MATRIX_EXTENSION_NAME))
        return false;
    VkPhysicalDeviceCooperativeMatrixFeaturesNV coop = {};
    coop.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_NV;
    VkPhysicalDeviceVulkanMemoryModelFeatures memory_model = {};
    memory_model.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_MEMORY_MODEL_FEATURES;
    memory_model.pNext = &coop;
    VkPhysicalDeviceFeatures2 features = {};
    features.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2;
    features.pNext = &memory_model;
    get_features(device, &features);
    return coop.cooperativeMatrix && memory_model.vulkanMemoryModel;
}

// Whether the device lists VK_KHR_pipeline_executable_properties with its pipelineExecutableInfo feature.
bool offers_pipeline_stats(pl_vk_inst inst, VkPhysicalDevice device)
{
    auto get_features = reinterpret_cast<PFN_vkGetPhysicalDeviceFeatures2>(
        inst->get_proc_addr(inst->instance, "vkGetPhysicalDeviceFeatures2"));
    if (!get_features || !lists_extension(inst, device, VK_KHR_PIPELINE_EXECUTABLE_PROPERTIES_EXTENSION_NAME))
        return false;
    VkPhysicalDevicePipelineExecutablePropertiesFeaturesKHR executable = {};
    executable.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PIPELINE_EXECUTABLE_PROPERTIES_FEATURES_KHR;
    VkPhysicalDeviceFeatures2 features = {};
    features.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2;
    features.pNext = &executable;
    get_features(device, &features);
    return executable.pipelineExecutableInfo;
}

constexpr const char* no_instance_problem = "Vulkan: no instance (expected a Vulkan driver, e.g. mesa-vulkan-drivers)";

// What --gpu takes, for its refusals.
std::string gpu_choices(std::size_t devices)
{
    return fmt::format("expected a device index 0..{} or a part of a device's name; see `cnnv3 devices`", devices - 1);
}

struct QuietLog {
    pl_log log = create_log(nullptr, nullptr, PL_LOG_NONE);
    ~QuietLog() { pl_log_destroy(&log); }
};

}  // namespace

std::vector<GpuDeviceInfo> list_gpu_devices()
{
    QuietLog quiet;
    pl_vk_inst inst = create_instance(quiet.log);
    if (!inst)
        throw GpuError(no_instance_problem);
    std::vector<GpuDeviceInfo> out;
    try {
        for (auto& [info, dev] : enumerate(inst))
            out.push_back(info);
    } catch (...) {
        pl_vk_inst_destroy(&inst);
        throw;
    }
    pl_vk_inst_destroy(&inst);
    return out;
}

void GpuContext::on_log(void* self, enum pl_log_level level, const char* msg)
{
    auto* ctx = static_cast<GpuContext*>(self);
    // Each new GPU program passes through SPIR-V translation once; libplacebo logs it at debug level.
    if (std::strstr(msg, "translating SPIR-V"))
        ctx->compilations_.fetch_add(1);
    if (level <= PL_LOG_WARN && ctx->warn_)
        ctx->warn_(fmt::format("libplacebo: {}", msg));
}

GpuContext::GpuContext(const GpuOptions& options) : warn_(options.warn)
{
    log_ = create_log(&GpuContext::on_log, this, PL_LOG_DEBUG);
    instance_ = create_instance(log_);
    if (!instance_) {
        pl_log_destroy(&log_);
        throw GpuError(no_instance_problem);
    }
    try {
        const auto devices = enumerate(instance_);
        if (devices.empty())
            throw GpuError("Vulkan: no devices found (expected a device of a Vulkan driver, e.g. lavapipe of mesa-vulkan-drivers)");
        const std::string& want = options.device;
        const std::pair<GpuDeviceInfo, VkPhysicalDevice>* pick = nullptr;
        int index = -1;
        const auto [end, ec] = std::from_chars(want.data(), want.data() + want.size(), index);
        if (want.empty() || (ec == std::errc() && end == want.data() + want.size() && index < 0)) {
            for (const auto& d : devices)
                if (!d.first.software && !pick)
                    pick = &d;
            if (!pick)
                pick = &devices.front();
        } else if (ec == std::errc() && end == want.data() + want.size()) {
            if (index >= static_cast<int>(devices.size()))
                throw GpuError(fmt::format("--gpu {}: there {} {} Vulkan device{} ({})", want,
                                           devices.size() == 1 ? "is" : "are", devices.size(),
                                           devices.size() == 1 ? "" : "s", gpu_choices(devices.size())));
            pick = &devices[static_cast<std::size_t>(index)];
        } else {
            for (const auto& d : devices)
                if (!pick && lower(d.first.name).find(lower(want)) != std::string::npos)
                    pick = &d;
            if (!pick)
                throw GpuError(fmt::format("--gpu {}: no Vulkan device's name contains it ({})", excerpt(want),
                                           gpu_choices(devices.size())));
        }
        device_ = pick->first;
        // Ask for shaderFloat16 (core in Vulkan 1.2, VK_KHR_shader_float16_int8 before): libplacebo
        // enables it only where the device has it, and reports what it enabled in vulkan_->features.
        // libplacebo takes extension-specific structs here, not VkPhysicalDeviceVulkan12Features.
        // Tensor cores need VK_NV_cooperative_matrix and the Vulkan memory model (the SPIR-V of
        // GL_NV_cooperative_matrix with gl_ScopeSubgroup declares it). libplacebo 4.208 passes
        // feature structs it does not know to vkCreateDevice as they are (lavapipe then fails with
        // VK_ERROR_FEATURE_NOT_PRESENT), so they are chained only where the device has them.
        const bool coop_offered = offers_coop_matrix(instance_, pick->second);
        VkPhysicalDeviceCooperativeMatrixFeaturesNV coop_features = {};
        coop_features.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_NV;
        coop_features.cooperativeMatrix = VK_TRUE;
        VkPhysicalDeviceVulkanMemoryModelFeatures memory_model = {};
        memory_model.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_MEMORY_MODEL_FEATURES;
        memory_model.vulkanMemoryModel = VK_TRUE;
        memory_model.pNext = &coop_features;
        VkPhysicalDeviceShaderFloat16Int8Features f16_features = {};
        f16_features.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES;
        f16_features.shaderFloat16 = VK_TRUE;
        f16_features.pNext = coop_offered ? &memory_model : nullptr;
        VkPhysicalDeviceFeatures2 features = {};
        features.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2;
        features.pNext = &f16_features;
        // Pipeline statistics (pipeline_stats.h) only where asked for and offered, chained the same way.
        const bool stats_offered = options.pipeline_stats && offers_pipeline_stats(instance_, pick->second);
        VkPhysicalDevicePipelineExecutablePropertiesFeaturesKHR executable_features = {};
        executable_features.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PIPELINE_EXECUTABLE_PROPERTIES_FEATURES_KHR;
        executable_features.pipelineExecutableInfo = VK_TRUE;
        std::vector<const char*> opt_extensions = {VK_KHR_SHADER_FLOAT16_INT8_EXTENSION_NAME};
        if (coop_offered) {  // tensor cores
            opt_extensions.push_back(VK_KHR_VULKAN_MEMORY_MODEL_EXTENSION_NAME);
            opt_extensions.push_back(VK_NV_COOPERATIVE_MATRIX_EXTENSION_NAME);
        }
        if (stats_offered) {
            opt_extensions.push_back(VK_KHR_PIPELINE_EXECUTABLE_PROPERTIES_EXTENSION_NAME);
            executable_features.pNext = f16_features.pNext;
            f16_features.pNext = &executable_features;
        }
        struct pl_vulkan_params params = {};
        params.instance = instance_->instance;
        params.get_proc_addr = stats_offered ? wrap_for_pipeline_stats(instance_->get_proc_addr) : instance_->get_proc_addr;
        params.device = pick->second;
        params.allow_software = true;
        // Software devices get one queue: a second one only adds queue threads that compete for
        // the same cores.
        params.async_transfer = !device_.software && options.transfer_queue;
        // Compute passes on the graphics queue: on an H200 the dedicated compute queue ran the same
        // passes slower ([8,16] at 2160p: f32 1.44 vs 1.20 ms, f16 1.08 vs 1.04 ms per frame,
        // three runs each), and nothing here overlaps compute with graphics work.
        params.async_compute = false;
        params.features = &features;
        params.opt_extensions = opt_extensions.data();
        params.num_opt_extensions = static_cast<int>(opt_extensions.size());
        vulkan_ = pl_vulkan_create(log_, &params);
        if (!vulkan_)
            throw GpuError(fmt::format("Vulkan: cannot open device {} ({})", device_.index, device_.name));
        bool coop_granted = false, memory_model_granted = false;
        for (auto* s = reinterpret_cast<const VkBaseInStructure*>(vulkan_->features); s; s = s->pNext) {
            if (s->sType == VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES)
                shader_f16_ = reinterpret_cast<const VkPhysicalDeviceShaderFloat16Int8Features*>(s)->shaderFloat16;
            if (s->sType == VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_NV)
                coop_granted = reinterpret_cast<const VkPhysicalDeviceCooperativeMatrixFeaturesNV*>(s)->cooperativeMatrix;
            if (s->sType == VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_MEMORY_MODEL_FEATURES)
                memory_model_granted = reinterpret_cast<const VkPhysicalDeviceVulkanMemoryModelFeatures*>(s)->vulkanMemoryModel;
        }
        bool coop_extension = false;
        for (int i = 0; i < vulkan_->num_extensions; ++i) {
            coop_extension |= std::strcmp(vulkan_->extensions[i], VK_NV_COOPERATIVE_MATRIX_EXTENSION_NAME) == 0;
            pipeline_stats_ |= stats_offered && std::strcmp(vulkan_->extensions[i], VK_KHR_PIPELINE_EXECUTABLE_PROPERTIES_EXTENSION_NAME) == 0;
        }
        bool coop_shape = false, coop_f16_shape = false;
        auto coop_properties = reinterpret_cast<PFN_vkGetPhysicalDeviceCooperativeMatrixPropertiesNV>(
            instance_->get_proc_addr(instance_->instance, "vkGetPhysicalDeviceCooperativeMatrixPropertiesNV"));
        if (coop_extension && coop_properties) {
            uint32_t n = 0;
            coop_properties(pick->second, &n, nullptr);
            std::vector<VkCooperativeMatrixPropertiesNV> shapes(n);
            for (auto& p : shapes)
                p.sType = VK_STRUCTURE_TYPE_COOPERATIVE_MATRIX_PROPERTIES_NV;
            coop_properties(pick->second, &n, shapes.data());
            // The f16 x f16 16x8x16 subgroup-scope shape with C and D of `sum`.
            auto lists = [&](VkComponentTypeNV sum) {
                return std::any_of(shapes.begin(), shapes.end(), [&](const VkCooperativeMatrixPropertiesNV& p) {
                    return p.MSize == 16 && p.NSize == 8 && p.KSize == 16 && p.AType == VK_COMPONENT_TYPE_FLOAT16_NV &&
                           p.BType == VK_COMPONENT_TYPE_FLOAT16_NV && p.CType == sum && p.DType == sum && p.scope == VK_SCOPE_SUBGROUP_NV;
                });
            };
            coop_shape = lists(VK_COMPONENT_TYPE_FLOAT32_NV);
            coop_f16_shape = lists(VK_COMPONENT_TYPE_FLOAT16_NV);
        }
        const uint32_t subgroup = vulkan_->gpu->glsl.subgroup_size;
        coop_problem_ = !coop_extension ? "no VK_NV_cooperative_matrix"
                        : !coop_granted ? "cooperativeMatrix not granted"
                        : !memory_model_granted ? "vulkanMemoryModel not granted"
                        : !coop_shape ? "no f16 16x8x16 subgroup matrix shape"
                        : subgroup != 32 ? fmt::format("subgroups of {}, not 32", subgroup)
                        : !shader_f16_ ? "no shaderFloat16"
                                       : "";
        coop_matrix_ = coop_problem_.empty();
        coop_f16_sums_ = coop_matrix_ && coop_f16_shape;
        dispatch_ = pl_dispatch_create(log_, vulkan_->gpu);
        if (!(vulkan_->gpu->glsl.compute))
            throw GpuError(fmt::format("Vulkan device {} ({}) has no compute shaders", device_.index, device_.name));
    } catch (...) {
        pl_dispatch_destroy(&dispatch_);
        pl_vulkan_destroy(&vulkan_);
        pl_vk_inst_destroy(&instance_);
        pl_log_destroy(&log_);
        throw;
    }
    if (device_.software && warn_)
        warn_(fmt::format("GPU {} ({}) is a software renderer: expect seconds per frame, not milliseconds",
                          device_.index, device_.name));
}

GpuContext::~GpuContext()
{
    wait_idle();
    pl_dispatch_destroy(&dispatch_);
    pl_vulkan_destroy(&vulkan_);
    pl_vk_inst_destroy(&instance_);
    pl_log_destroy(&log_);
}

pl_gpu GpuContext::gpu() const { return vulkan_->gpu; }

void GpuContext::wait_idle() const
{
    if (!vulkan_)
        return;
    pl_gpu_finish(vulkan_->gpu);
    // vkDeviceWaitIdle returns only once the queue has retired every submission, timeline
    // updates included; libplacebo's own idle wait stops at the fences. No other thread submits.
    auto wait = reinterpret_cast<PFN_vkDeviceWaitIdle>(instance_->get_proc_addr(instance_->instance, "vkDeviceWaitIdle"));
    if (wait)
        wait(vulkan_->device);
}

std::size_t GpuContext::max_shared_bytes() const { return vulkan_->gpu->glsl.max_shmem_size; }

int GpuContext::max_texture_size() const { return static_cast<int>(vulkan_->gpu->limits.max_tex_2d_dim); }

GpuTexture::GpuTexture(pl_gpu gpu, const struct pl_tex_params& params) : gpu_(gpu), tex_(pl_tex_create(gpu, &params))
{
    if (!tex_)
        throw GpuError(fmt::format("cannot create a {}x{} {} texture", params.w, params.h,
                                   params.format ? params.format->name : "?"));
}

GpuTexture& GpuTexture::operator=(GpuTexture&& other) noexcept
{
    if (this != &other) {
        reset();
        gpu_ = other.gpu_;
        tex_ = other.tex_;
        other.tex_ = nullptr;
    }
    return *this;
}

void GpuTexture::reset()
{
    if (tex_)
        pl_tex_destroy(gpu_, &tex_);
}

GpuBuffer::GpuBuffer(pl_gpu gpu, const struct pl_buf_params& params) : gpu_(gpu), buf_(pl_buf_create(gpu, &params))
{
    if (!buf_)
        throw GpuError(fmt::format("cannot create a GPU buffer of {} bytes", params.size));
}

GpuBuffer& GpuBuffer::operator=(GpuBuffer&& other) noexcept
{
    if (this != &other) {
        reset();
        gpu_ = other.gpu_;
        buf_ = other.buf_;
        other.buf_ = nullptr;
    }
    return *this;
}

void GpuBuffer::reset()
{
    if (buf_)
        pl_buf_destroy(gpu_, &buf_);
}

}  // namespace cnnv3
