// The --cond option, one parser for `cnnv3 stylize` and `cnnv3-shadergen`: comma-separated numbers,
// each a decimal in [0, 1], e.g. "0.5,0,1,0.25,1" (beat_phase, beat_norm, audio_intensity,
// style_p0, style_p1; SPEC §2). Callers turn CondOptionError into their usage error.
#pragma once

#include <stdexcept>
#include <string_view>
#include <vector>

namespace cnnv3 {

// A bad --cond value; what() names the option, e.g. `--cond: "2" is not a number in [0, 1]`.
class CondOptionError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

// Parses "a,b,..." (`option` names it in messages). Throws CondOptionError for an empty item, one
// that is not a number (trailing text, nan, inf), or one outside [0, 1].
std::vector<float> parse_cond_option(std::string_view text, std::string_view option = "--cond");

// Throws CondOptionError "--cond has N values (expected COUNT ...)" unless there are `count` values.
void check_cond_count(const std::vector<float>& values, int count);

}  // namespace cnnv3
