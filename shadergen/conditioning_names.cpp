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
                       "-- END generated\n",
                       quoted_list('"'), conditioning_csv_header_text());
}

std::string js_conditioning_block()
{
    return fmt::format("// The conditioning values in SPEC 3 order (shadergen/conditioning_names.h), and the CSV header\n"
                       "// of `cnnv3 analyze`.\n"
                       "export const conditioningNames = [{}];\n"
                       "export const conditioningCsvHeader = '{}';\n",
                       quoted_list('\''), conditioning_csv_header_text());
}

}  // namespace cnnv3
