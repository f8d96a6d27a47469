// One Vulkan context per VapourSynth core (and device choice), shared by every Stylize instance
// of that core, with the lock that serialises its use.
//
// libplacebo's dispatch object and a NetworkRunner are not thread-safe, and VapourSynth calls a
// parallel filter from several worker threads at once: everything that touches the GPU (building a
// runner or its frame path, running them, destroying them) holds `lock`; the frame views, thumbnails
// and props are made outside it.
#pragma once

#include "gpu_context.h"

#include <VapourSynth4.h>

#include <memory>
#include <mutex>

namespace cnnv3::vs {

struct CoreGpu {
    GpuContext context;
    std::mutex lock;

    explicit CoreGpu(const GpuOptions& options) : context(options) {}

    // The context of `core` for device `gpu` (-1: the default pick), opened on first use and
    // closed when the last instance holding it lets go. Throws GpuError.
    static std::shared_ptr<CoreGpu> of(VSCore* core, int gpu, const VSAPI* vsapi);
};

}  // namespace cnnv3::vs
