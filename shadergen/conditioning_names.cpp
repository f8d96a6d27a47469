#include "conditioning_names.h"

#include <fmt/format.h>

namespace cnnv3 {

namespace {

std::string quoted_list(char quote)
{
    std::string out;
    for (std::size_t i = 0; i < conditioning_names.size(); ++i)
        out += fmt::format("{}{}{}{}", i ? ", " : "", quote, conditioning_names[i], quote);
    return out;
}

// "1, 3" (lua: 1-based) or "0, 2": the scaled indices.
std::string scaled_list(int base)
{
    std::string out;
    for (std::size_t i = 0; i < reactivity_scaled.size(); ++i)
        out += fmt::format("{}{}", i ? ", " : "", reactivity_scaled[i] + base);
    return out;
}

}  // namespace

std::string conditioning_csv_header_text()
{
    std::string out = "frame,time";
    for (std::string_view n : conditioning_names)
        out += fmt::format(",{}", n);
    return out;
}

std::string lua_conditioning_block()
{
    return fmt::format("-- BEGIN generated from shadergen/conditioning_names.h; do not edit\n"
                       "local KEYS = {{ {} }}\n"
                       "local CSV_HEADER = \"{}\"\n"
                       "-- SPEC 6 reactivity: v and rest 5 numbers each, r in [0, MAX_REACTIVITY]\n"
                       "local MAX_REACTIVITY = {}\n"
                       "local function apply_reactivity(v, rest, r)\n"
                       "    local out = {{ v[1], v[2], v[3], v[4], v[5] }}\n"
                       "    if r == 1 then return out end\n"
                       "    for _, k in ipairs({{ {} }}) do\n"
                       "        out[k] = math.min(1, math.max(0, rest[k] + r * (v[k] - rest[k])))\n"
                       "    end\n"
                       "    if r == 0 then out[{}] = rest[{}] end\n"
                       "    return out\n"
                       "end\n"
                       "-- END generated\n",
                       quoted_list('"'), conditioning_csv_header_text(), max_reactivity, scaled_list(1),
                       reactivity_phase + 1, reactivity_phase + 1);
}

std::string python_conditioning_block()
{
    return fmt::format("# BEGIN generated from shadergen/conditioning_names.h; do not edit\n"
                       "CONDITIONING_NAMES = ({})\n"
                       "CONDITIONING_CSV_HEADER = \"{}\"\n"
                       "# END generated\n",
                       quoted_list('"'), conditioning_csv_header_text());
}

std::string js_conditioning_block()
{
    return fmt::format("// The conditioning values in SPEC 3 order (shadergen/conditioning_names.h), and the CSV header\n"
                       "// of `cnnv3 analyze`.\n"
                       "export const conditioningNames = [{}];\n"
                       "export const conditioningCsvHeader = '{}';\n"
                       "// SPEC 6 reactivity (shadergen/conditioning_names.h): c and rest 5 values each, r in\n"
                       "// [0, maxReactivity].\n"
                       "export const maxReactivity = {};\n"
                       "export function applyReactivity(c, rest, r) {{\n"
                       "  const out = c.slice();\n"
                       "  if (r === 1) return out;\n"
                       "  for (const k of [{}]) out[k] = Math.min(1, Math.max(0, rest[k] + r * (c[k] - rest[k])));\n"
                       "  if (r === 0) out[{}] = rest[{}];\n"
                       "  return out;\n"
                       "}}\n",
                       quoted_list('\''), conditioning_csv_header_text(), max_reactivity, scaled_list(0),
                       reactivity_phase, reactivity_phase);
}

}  // namespace cnnv3
