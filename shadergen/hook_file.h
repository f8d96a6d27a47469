// mpv / libplacebo user-shader hook files from a pass plan.
//
// The same file runs in mpv (vo=gpu and vo=gpu-next), FFmpeg's vf_libplacebo and vs-placebo: every
// saved texture declares //!COMPONENTS 4, intermediates never overwrite MAIN, sizes are explicit.
#pragma once

#include "pass_plan.h"

#include <string>

namespace cnnv3 {

struct HookFileInfo {
    std::string stage = "MAIN";   // //!HOOK stage
    std::string header_comment;   // lines (without "// "), printed at the top of the file
};

std::string emit_hook_file(const PassPlan& plan, const PlanOptions& options, const HookFileInfo& info);

}  // namespace cnnv3
