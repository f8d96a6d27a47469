#include "hook_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace cnnv3 {
namespace {

// RPN size of a texture. libplacebo (roundf) and mpv vo=gpu (lroundf) round the float result to
// nearest, halves away from zero. A plain level is exact: ceil(w/2) is (w + 0.5) / 2 and
// ceil(w/4) = ceil(ceil(w/2)/2) is (w + 1.5) / 4. A mosaic of m copies needs at least
// m * ceil(w / 2^L); m * (w + 2^L - 1) / 2^L is never below that integer, so rounding keeps it
// large enough (a spare column at most, which the passes never read: their sizes come from
// HOOKED_size, and the dispatch overhang is guarded).
std::string size_line(const PlannedTexture& t, bool width)
{
    if (t.level == Level::fixed)
        return std::to_string(width ? t.fixed_width : t.fixed_height);
    const std::string base = width ? "HOOKED.w" : "HOOKED.h";
    const int mult = width ? t.mosaic_cols : t.mosaic_rows;
    const int div = 1 << static_cast<int>(t.level);
    if (div == 1)
        return mult == 1 ? base : fmt::format("{} {} *", base, mult);
    if (mult == 1)
        return fmt::format("{} {} + {} /", base, div == 2 ? "0.5" : "1.5", div);
    return fmt::format("{} {} + {} * {} /", base, div - 1, mult, div);
}

std::string param_description(const std::string& name)
{
    if (name == "beat_phase") return "position inside the current beat, 0 at the beat, rising to 1";
    if (name == "beat_norm") return "position inside the 8-beat bar, 0..1";
    if (name == "audio_intensity") return "audio peak envelope, 0 (silence)..1";
    if (name == "style_p0") return "style blend A (0) -> B (1)";
    if (name == "style_p1") return "stylization strength learned by the model";
    return "mix of stylized output over the input";
}

}  // namespace

bool is_hook_stage(std::string_view name)
{
    return std::find(hook_stages.begin(), hook_stages.end(), name) != hook_stages.end();
}

std::string emit_hook_file(const PassPlan& plan, const PlanOptions& options, const HookFileInfo& info)
{
    // The stage is written into directive lines: anything else could inject directives.
    if (!is_hook_stage(info.stage))
        throw std::invalid_argument(fmt::format("{:?} is not a hook stage of mpv/libplacebo", info.stage));
    if (options.prev_input)  // a hook cannot keep the previous frame: prev.rgb stays 0 (SPEC §2)
        throw std::invalid_argument("hook files cannot read the previous frame (PlanOptions::prev_input)");
    std::string out;
    std::istringstream header(info.header_comment);
    for (std::string line; std::getline(header, line);) {
        // libplacebo's parser takes "//!" anywhere in the text before the first block as a directive.
        for (std::size_t at; (at = line.find("//!")) != std::string::npos;)
            line.replace(at, 3, "//");
        out += line.empty() ? "//\n" : "// " + line + "\n";
    }
    out += "\n";
    if (plan.dynamic) {
        const auto& names = dynamic_param_names();
        for (std::size_t i = 0; i < names.size(); ++i) {
            const float def = i < options.default_params.size() ? options.default_params[i]
                                                                 : (names[i] == "strength" ? options.strength : 0.5f);
            out += fmt::format("//!PARAM {}\n//!DESC {}\n//!TYPE float\n//!MINIMUM 0.0\n//!MAXIMUM 1.0\n{}\n\n",
                               names[i], param_description(names[i]), glsl_float_literal(def));
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
        // The shared helpers read HOOKED_size; the FiLM pass binds nothing and needs none of them.
        if (std::find(pass.binds.begin(), pass.binds.end(), "HOOKED") != pass.binds.end())
            out += plan.common;
        if (pass.reads_film)
            out += "#define CNNV3_FILM(i) texelFetch(CNNV3_FILM_raw, ivec2(i, 0), 0)\n";
        out += pass.body;
        out += "\n";
    }
    return out;
}

}  // namespace cnnv3
