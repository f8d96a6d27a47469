#include "devices_command.h"

#include "gpu_context.h"

#include <fmt/format.h>

#include <algorithm>

namespace cnnv3::cli {

const std::string_view devices_usage =
    "usage: cnnv3 devices\n"
    "\n"
    "  List the Vulkan devices: index, type and name. `--gpu N` picks one by index, `--gpu NAME` by a\n"
    "  case-insensitive part of its name; the default is the first hardware device, else the first one.\n";

int devices_command(const std::vector<std::string>& args, std::ostream& out, std::ostream&)
{
    for (const std::string& a : args) {
        if (a == "-h" || a == "--help") {
            out << devices_usage;
            return 0;
        }
        throw UsageError(fmt::format("devices takes no arguments (got {})", a));
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
        out << fmt::format("{}  {:<10} {}{}{}\n", d.index, d.type, d.name, d.software ? "  (software: slow)" : "",
                           is_default ? "  [default]" : "");
    }
    return 0;
}

}  // namespace cnnv3::cli
