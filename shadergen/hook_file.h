// mpv / libplacebo user-shader hook files from a pass plan.
//
// The same file runs in mpv (vo=gpu and vo=gpu-next), FFmpeg's vf_libplacebo and vs-placebo: every
// saved texture declares //!COMPONENTS 4, intermediates never overwrite MAIN, sizes are explicit.
#pragma once

#include "pass_plan.h"

#include <array>
#include <string>
#include <string_view>

namespace cnnv3 {

// The textures a user shader may hook: the legal hook points of mpv's manual (--glsl-shaders),
// which libplacebo's mpv-shader parser maps to its stages; MAIN is the usual one.
inline constexpr std::array<std::string_view, 16> hook_stages = {
    "RGB",  "LUMA",   "CHROMA",  "ALPHA",     "XYZ",        "CHROMA_SCALED", "ALPHA_SCALED", "NATIVE",
    "MAINPRESUB", "MAIN", "LINEAR", "SIGMOID", "PREKERNEL", "POSTKERNEL", "SCALED", "OUTPUT",
};
bool is_hook_stage(std::string_view name);

struct HookFileInfo {
    std::string stage = "MAIN";   // //!HOOK stage: one of hook_stages
    std::string header_comment;   // lines (without "// "), printed at the top of the file
};

// Throws std::invalid_argument when info.stage is not one of hook_stages, or options.prev_input is set.
std::string emit_hook_file(const PassPlan& plan, const PlanOptions& options, const HookFileInfo& info);

}  // namespace cnnv3
