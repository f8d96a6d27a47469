#include "cond_option.h"

#include "conditioning_names.h"
#include "excerpt.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <charconv>
#include <cmath>

namespace cnnv3 {

std::vector<float> parse_cond_option(std::string_view text, std::string_view option)
{
    std::vector<float> values;
    while (true) {
        const auto comma = text.find(',');
        const std::string_view item = text.substr(0, comma);
        double v = 0.0;
        const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
        if (item.empty() || ec != std::errc() || end != item.data() + item.size() || !std::isfinite(v) || v < 0.0 ||
            v > 1.0)
            throw CondOptionError(fmt::format("{}: \"{}\" is not a number in [0, 1]", option, excerpt(item)));
        values.push_back(static_cast<float>(v));
        if (comma == std::string_view::npos)
            break;
        text.remove_prefix(comma + 1);
    }
    return values;
}

void check_cond_count(const std::vector<float>& values, int count)
{
    if (static_cast<int>(values.size()) == count)
        return;
    throw CondOptionError(fmt::format("--cond has {} values (expected {})", values.size(),
                                      count == 5 ? fmt::format("5: {}", fmt::join(conditioning_names, ","))
                                                 : fmt::format("{} for this model", count)));
}

}  // namespace cnnv3
