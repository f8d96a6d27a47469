// The compiled compute passes kept on disk between runs, like mpv's shader cache: libplacebo's
// pl_pass_params::cached_program (on Vulkan: the SPIR-V and the driver's pipeline cache) of each
// ComputePass, so that a later run skips the GLSL compilation and the driver's pipeline build
// (~1.4 s on the first frame of a cold H100, mostly the network's passes).
//
// Where: $XDG_CACHE_HOME/cnnv3/passes/, else $HOME/.cache/cnnv3/passes/; neither set: no cache.
// $CNNV3_PASS_CACHE=0 turns it off. One file per pass, named by a 64-bit key of everything the
// program depends on (the GLSL, the descriptors, the push-constant size, the device's UUID and
// libplacebo's API version), written with shadergen/atomic_file.h's policy (a temporary file
// renamed into place: concurrent runs never see half a file). A file is used only if its header
// names that key and its checksum matches; anything else (truncated, corrupt, unreadable, another
// format) counts as `rejected`, the pass compiles as without a cache, and the file is rewritten.
// Nothing here ever fails a run: a directory that cannot be made or written only costs the cache.
// libplacebo 6.322 made cached_program non-functional (its pl_cache replaces it): built against
// such a libplacebo, ComputePass does not use this cache (PassCache::active() is false).
//
// Thread-safety: load() and store() may run on any threads at once (no shared state but the
// atomic counters).
#pragma once

#include "gpu_context.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace cnnv3 {

struct PassCacheStats {
    uint64_t hits = 0;      // a cached program handed to libplacebo
    uint64_t misses = 0;    // no file for the key
    uint64_t rejected = 0;  // a file that failed the checks (corrupt, truncated, another key)
    uint64_t written = 0;   // programs stored
};

class PassCache {
public:
    // Whether ComputePass uses the cache with this libplacebo (API < 322).
    static constexpr bool active() { return PL_API_VER < 322; }
    // The directory above, or nullopt when the cache is off or has no home.
    static std::optional<std::filesystem::path> directory();
    // The key of a pass: `identity` is everything its program depends on besides the device
    // (the GLSL, descriptors, push constants), to which the device's UUID and PL_API_VER are added.
    static uint64_t key(pl_gpu gpu, std::string_view identity);
    // The cached program of `key`, or nullopt (miss or rejected).
    static std::optional<std::string> load(uint64_t key);
    // Stores `program` (pl_pass::params.cached_program after the pass was built) under `key`.
    static void store(uint64_t key, std::string_view program);
    static PassCacheStats stats();  // counted since the process started
};

}  // namespace cnnv3
