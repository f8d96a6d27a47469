// Finding a model by name: `--model NAME|DIR` in the cnnv3 command and the VapourSynth plugin.
//
// A path to a directory is used as it is. A bare name is looked up as a subdirectory of, in order:
// each entry of $CNNV3_WEIGHTS (colon-separated), the installed weights (PREFIX/share/cnnv3/weights)
// and the source tree's weights/ (for a build that is not installed). An empty name means the model
// that the first weights directory found names in its DEFAULT file.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace cnnv3 {

// The weights directories searched, in order (only those that exist).
std::vector<std::filesystem::path> weights_search_path();

// Throws ModelError (model.h) naming what was searched when nothing matches.
std::filesystem::path find_model(const std::string& name_or_dir);

}  // namespace cnnv3
