#include "glsl_template.h"

#include <fmt/format.h>

#include <stdexcept>

namespace cnnv3 {

std::string fill_template(std::string_view text, const std::vector<std::pair<std::string_view, TemplateValue>>& values)
{
    std::vector<bool> used(values.size(), false);
    std::string out;
    out.reserve(text.size());
    std::size_t at = 0;
    while (at < text.size()) {
        const std::size_t open = text.find("{{", at);
        if (open == std::string_view::npos) {
            out.append(text.substr(at));
            break;
        }
        const std::size_t close = text.find("}}", open + 2);
        const std::string_view name = close == std::string_view::npos ? std::string_view() : text.substr(open + 2, close - open - 2);
        const bool is_hole = !name.empty() && name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == std::string_view::npos;
        if (!is_hole) {  // not a hole: the braces stay as they are
            out.append(text.substr(at, open + 2 - at));
            at = open + 2;
            continue;
        }
        out.append(text.substr(at, open - at));
        std::size_t i = 0;
        while (i < values.size() && values[i].first != name)
            ++i;
        if (i == values.size())
            throw std::logic_error(fmt::format("GLSL template: no value for {{{{{}}}}}", name));
        out += values[i].second.text;
        used[i] = true;
        at = close + 2;
    }
    for (std::size_t i = 0; i < values.size(); ++i)
        if (!used[i])
            throw std::logic_error(fmt::format("GLSL template: {} fills no hole", values[i].first));
    return out;
}

}  // namespace cnnv3
