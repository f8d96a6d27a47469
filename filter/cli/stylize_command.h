// `cnnv3 stylize`: video (or a still) in -> stylized video out, the network on the GPU with FiLM
// following the audio frame by frame; audio and subtitles copied bit-exact.
#pragma once

#include "command.h"

#include <string_view>

namespace cnnv3::cli {

extern const std::string_view stylize_usage;
int stylize_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace cnnv3::cli
