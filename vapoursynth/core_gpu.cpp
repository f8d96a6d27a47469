#include "core_gpu.h"

#include <map>
#include <string>
#include <utility>

namespace cnnv3::vs {

std::shared_ptr<CoreGpu> CoreGpu::of(VSCore* core, int gpu, const VSAPI* vsapi)
{
    // Weak entries: the map never keeps a context alive; a core's filters do.
    static std::mutex registry_lock;
    static std::map<std::pair<VSCore*, int>, std::weak_ptr<CoreGpu>> registry;

    const std::lock_guard guard(registry_lock);
    for (auto it = registry.begin(); it != registry.end();)  // forget contexts already closed
        it = it->second.expired() ? registry.erase(it) : std::next(it);
    std::weak_ptr<CoreGpu>& entry = registry[{core, gpu}];
    if (std::shared_ptr<CoreGpu> shared = entry.lock())
        return shared;
    GpuOptions options;
    options.device = gpu < 0 ? "" : std::to_string(gpu);
    // Only called while the core is alive (the software-device note comes from the constructor).
    options.warn = [core, vsapi](const std::string& message) {
        vsapi->logMessage(mtWarning, ("cnnv3: " + message).c_str(), core);
    };
    auto shared = std::make_shared<CoreGpu>(options);
    entry = shared;
    return shared;
}

}  // namespace cnnv3::vs
