// Small text helpers shared by the file readers of filter/audio (internal). Files are read with
// read_small_file (shadergen/small_file.h).
#pragma once

#include "excerpt.h"

#include <string>
#include <string_view>

namespace cnnv3 {

inline std::string_view trim(std::string_view s)
{
    const auto first = s.find_first_not_of(" \t\r");
    if (first == std::string_view::npos)
        return {};
    const auto last = s.find_last_not_of(" \t\r");
    return s.substr(first, last - first + 1);
}

// Calls f(line) for each line of `text` (without the '\n'; a final line without one counts too).
template <class F>
void for_each_line(std::string_view text, F&& f)
{
    while (!text.empty()) {
        const auto nl = text.find('\n');
        f(text.substr(0, nl));
        if (nl == std::string_view::npos)
            break;
        text.remove_prefix(nl + 1);
    }
}

}  // namespace cnnv3
