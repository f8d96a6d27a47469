// `cnnv3 devices`: the Vulkan devices --gpu can pick.
#pragma once

#include "command.h"

#include <string_view>

namespace cnnv3::cli {

extern const std::string_view devices_usage;
int devices_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace cnnv3::cli
