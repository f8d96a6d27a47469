// `cnnv3 models`: the models a `--model NAME` finds (shadergen/model_search.h), what each one is,
// and the presets made from it.
#pragma once

#include "command.h"

#include <string_view>

namespace cnnv3::cli {

extern const std::string_view models_usage;
int models_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace cnnv3::cli
