// Finding a model by name: `--model NAME|DIR` in the cnnv3 command, cnnv3-shadergen and the
// VapourSynth plugin, and the list that `cnnv3 models` prints.
//
// A path to a directory is used as it is. A bare NAME is a subdirectory of the first of these
// weights directories that has it (docs/host.md, "Where models are found"):
//   1. each entry of $CNNV3_MODEL_PATH (colon-separated; empty entries are skipped),
//   2. $XDG_DATA_HOME/cnnv3/weights (default ~/.local/share/cnnv3/weights),
//   3. the installed weights, DATADIR/cnnv3/weights, found relative to the running program
//      (/proc/self/exe, BINDIR -> DATADIR) or to the shared object that holds this code (the
//      VapourSynth plugin: its folder -> DATADIR), with the relative paths meson computed. Nothing
//      absolute is compiled in, so a relocated or DESTDIR install finds its own data.
// A build tree that is not installed has no data dir: its tests and scripts set
// CNNV3_MODEL_PATH=SOURCE/weights (meson test and `meson devenv` do that).
// An empty name means the model named by the DEFAULT file of the first directory that has one.
//
// All functions read the environment and the file system only; they are thread-safe as long as
// nobody changes the environment at the same time.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace cnnv3 {

// DATADIR/cnnv3 of the install this code runs from, or empty when there is none (a build tree).
std::filesystem::path installed_data_dir();

// The weights directories searched, in order (only those that exist).
std::vector<std::filesystem::path> weights_search_path();

// A model a bare name finds: the first directory of that name along the search path.
struct FoundModel {
    std::string name;
    std::filesystem::path dir;
};

// Every model a name finds (subdirectories holding cnn_v3_weights.bin), sorted by name; a name
// shadowed by an earlier directory is listed once, with the directory that wins.
std::vector<FoundModel> known_models();

// Throws ModelError (model.h) naming the known models and what was searched when nothing matches.
std::filesystem::path find_model(const std::string& name_or_dir);

}  // namespace cnnv3
