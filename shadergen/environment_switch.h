// The project's on/off switches in the environment (CNNV3_STAGE_TIMES=1, CNNV3_PASS_CACHE=0,
// CNNV3_DECODE_BUFFERS=0; docs/video.md says what each does):
// one rule for all of them, the exact value, nothing else.
#pragma once

#include <cstdlib>
#include <string_view>

namespace cnnv3 {

// True when $`name` is set to exactly `value`. Reads the environment: thread-safe as long as nobody
// changes it at the same time.
inline bool environment_is(const char* name, std::string_view value)
{
    const char* v = std::getenv(name);
    return v && value == v;
}

}  // namespace cnnv3
