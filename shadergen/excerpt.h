// A piece of a user's text (a file's line, a command-line value) quoted in an error message.
#pragma once

#include <string>
#include <string_view>

namespace cnnv3 {

// At most 40 characters (then "..."), anything but printable ASCII shown as '?': the message stays
// one short line of valid UTF-8 whatever the user gave.
inline std::string excerpt(std::string_view s)
{
    constexpr std::size_t max = 40;
    std::string out;
    for (std::size_t i = 0; i < s.size() && i < max; ++i)
        out += s[i] >= ' ' && s[i] <= '~' ? s[i] : '?';
    if (s.size() > max)
        out += "...";
    return out;
}

}  // namespace cnnv3
