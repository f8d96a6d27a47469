#include "devices_command.h"

#include "excerpt.h"

#include "gpu_context.h"
#include "network_runner.h"

#include <fmt/format.h>

#include <algorithm>

namespace cnnv3::cli {

const std::string_view devices_usage =
    "usage: cnnv3 devices\n"
    "\n"
    "  List the Vulkan devices: index, type and name. `--gpu N` picks one by index, `--gpu NAME` by a\n"
    "  case-insensitive part of its name; the default is the first hardware device, else the first one.\n"
    "  Each line ends with the pass variant the GPU host picks there (tc: tensor cores; f16, f32: the\n"
    "  FMA passes) and, where tensor cores are not used, why.\n";

int devices_command(const std::vector<std::string>& args, std::ostream& out, std::ostream&)
{
    for (const std::string& a : args) {
        if (a == "-h" || a == "--help") {
            out << devices_usage;
            return 0;
        }
        throw UsageError(fmt::format("devices takes no arguments (got {})", excerpt(a)));
    }
    const auto devices = list_gpu_devices();
    if (devices.empty())
        throw GpuError("Vulkan: no devices found (is a Vulkan driver installed? e.g. mesa-vulkan-drivers)");
    bool hardware = false;
    for (const auto& d : devices)
        hardware |= !d.software;
    for (const auto& d : devices) {
        const bool is_default = hardware ? (!d.software && &d == &*std::find_if(devices.begin(), devices.end(),
                                                                                 [](const auto& x) { return !x.software; }))
                                         : &d == &devices.front();
        // The variant needs the device opened (what it grants, not what it lists).
        std::string variant;
        try {
            GpuContext gpu({std::to_string(d.index), {}});
            const RunnerVariant chosen = RunnerVariant::for_device(gpu);
            variant = "variant " + chosen.name();
            if (!gpu.coop_matrix())
                variant += " (tensor cores: " + gpu.coop_matrix_problem() + ")";
            else if (!chosen.tensor)
                variant += " (tensor cores: tc available, not automatic yet: CNNV3_GPU_VARIANT=tc)";
        } catch (const GpuError& e) {
            variant = std::string("cannot be opened: ") + e.what();
        }
        out << fmt::format("{}  {:<10} {}{}{}  {}\n", d.index, d.type, d.name, d.software ? "  (software: slow)" : "",
                           is_default ? "  [default]" : "", variant);
    }
    return 0;
}

}  // namespace cnnv3::cli
