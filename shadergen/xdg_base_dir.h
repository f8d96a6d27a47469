// Where a program keeps a user's files, by the XDG Base Directory rule: one definition for the
// model search path (model_search.h, XDG_DATA_HOME) and the compiled-pass cache
// (filter/gpu/pass_cache.h, XDG_CACHE_HOME).
#pragma once

#include <cstdlib>
#include <filesystem>

namespace cnnv3 {

// $`variable` when it is an absolute path, else $HOME/`home_default` (e.g. XDG_DATA_HOME and
// ".local/share"); empty when neither is usable. Reads the environment: thread-safe as long as
// nobody changes it at the same time.
inline std::filesystem::path xdg_base_dir(const char* variable, const char* home_default)
{
    if (const char* dir = std::getenv(variable); dir && dir[0] == '/')
        return dir;
    if (const char* home = std::getenv("HOME"); home && home[0] == '/')
        return std::filesystem::path(home) / home_default;
    return {};
}

}  // namespace cnnv3
