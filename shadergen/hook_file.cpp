#include "hook_file.h"

#include <fmt/format.h>

#include <sstream>

namespace cnnv3 {
namespace {

// RPN size of a level in the hook's syntax. The hook parsers turn the float result into an integer
// size by truncation toward zero, so ceil(x/2) is written (x + 1) / 2.
std::string level_expr(Level level, const char* dim)
{
    const std::string base = fmt::format("HOOKED.{}", dim);
    switch (level) {
    case Level::full: return base;
    case Level::half: return base + " 1 + 2 /";
    case Level::quarter: return base + " 3 + 4 /";
    case Level::fixed: break;
    }
    return base;
}

std::string size_line(const PlannedTexture& t, bool width)
{
    if (t.level == Level::fixed)
        return std::to_string(width ? t.fixed_width : t.fixed_height);
    const int mult = width ? t.mosaic_cols : t.mosaic_rows;
    std::string e = level_expr(t.level, width ? "w" : "h");
    if (mult != 1)
        e += fmt::format(" {} *", mult);
    return e;
}

}  // namespace

std::string emit_hook_file(const PassPlan& plan, const PlanOptions& options, const HookFileInfo& info)
{
    std::string out;
    std::istringstream header(info.header_comment);
    for (std::string line; std::getline(header, line);)
        out += line.empty() ? "//\n" : "// " + line + "\n";
    out += "\n";
    if (plan.dynamic) {
        const auto& names = dynamic_param_names();
        for (std::size_t i = 0; i < names.size(); ++i) {
            const float def = i < options.default_params.size() ? options.default_params[i]
                                                                 : (names[i] == "strength" ? options.strength : 0.5f);
            out += fmt::format("//!PARAM {}\n//!TYPE float\n//!MINIMUM 0.0\n//!MAXIMUM 1.0\n{}\n\n", names[i],
                               fmt::format("{}", def));
        }
    }
    for (const PlannedPass& pass : plan.passes) {
        out += "//!DESC " + pass.description + "\n";
        out += "//!HOOK " + info.stage + "\n";
        for (const std::string& b : pass.binds)
            out += "//!BIND " + b + "\n";
        if (pass.save) {
            out += "//!SAVE " + pass.save->name + "\n";
            out += "//!WIDTH " + size_line(*pass.save, true) + "\n";
            out += "//!HEIGHT " + size_line(*pass.save, false) + "\n";
            out += "//!COMPONENTS 4\n";
            const int bw = pass.tile * pass.save->mosaic_cols, bh = pass.tile * pass.save->mosaic_rows;
            out += fmt::format("//!COMPUTE {} {} {} {}\n", bw, bh, pass.tile, pass.tile);
        } else {
            out += fmt::format("//!COMPUTE {} {}\n", pass.tile, pass.tile);
        }
        out += plan.common;
        out += pass.body;
        out += "\n";
    }
    return out;
}

}  // namespace cnnv3
