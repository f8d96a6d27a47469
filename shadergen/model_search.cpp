#include "model_search.h"

#include "small_file.h"
#include "xdg_base_dir.h"

#include "model.h"

#include <dlfcn.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <link.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>
#include <map>

namespace cnnv3 {

namespace {

// The file holding this code: the program itself, or the shared object (the VapourSynth plugin)
// it was linked into. Returns the path and whether it is the main program.
std::pair<std::filesystem::path, bool> code_location()
{
    Dl_info info{};
    link_map* map = nullptr;
    static const int anchor = 0;
    if (dladdr1(&anchor, &info, reinterpret_cast<void**>(&map), RTLD_DL_LINKMAP) != 0 && map && map->l_name &&
        map->l_name[0] != '\0')
        return {map->l_name, false};
    return {"/proc/self/exe", true};
}

std::vector<std::filesystem::path> split_path_list(const char* list)
{
    std::vector<std::filesystem::path> dirs;
    std::string text = list ? list : "";
    std::size_t at = 0;
    while (at <= text.size()) {
        const std::size_t colon = text.find(':', at);
        const std::string item = text.substr(at, colon == std::string::npos ? std::string::npos : colon - at);
        if (!item.empty())
            dirs.emplace_back(item);
        if (colon == std::string::npos)
            break;
        at = colon + 1;
    }
    return dirs;
}

std::string searched_text(const std::vector<std::filesystem::path>& dirs)
{
    if (dirs.empty())
        return "no weights directory (set CNNV3_MODEL_PATH or install cnnv3)";
    std::vector<std::string> names;
    for (const auto& d : dirs)
        names.push_back(d.string());
    return fmt::format("searched {}", fmt::join(names, ", "));
}

}  // namespace

std::filesystem::path installed_data_dir()
{
    std::error_code ec;
    const auto [file, is_program] = code_location();
    const std::filesystem::path real = std::filesystem::canonical(file, ec);
    if (ec)
        return {};
    const auto dir = (real.parent_path() / (is_program ? CNNV3_BINDIR_TO_DATADIR : CNNV3_PLUGINDIR_TO_DATADIR))
                         .lexically_normal();
    if (!std::filesystem::is_directory(dir / "weights", ec))
        return {};
    return dir;
}

std::vector<std::filesystem::path> weights_search_path()
{
    std::vector<std::filesystem::path> dirs = split_path_list(std::getenv("CNNV3_MODEL_PATH"));
    if (const auto data_home = xdg_base_dir("XDG_DATA_HOME", ".local/share"); !data_home.empty())
        dirs.push_back(data_home / "cnnv3" / "weights");
    if (const auto data = installed_data_dir(); !data.empty())
        dirs.push_back(data / "weights");
    std::vector<std::filesystem::path> existing;
    std::error_code ec;
    for (const auto& d : dirs)
        if (std::filesystem::is_directory(d, ec) && std::find(existing.begin(), existing.end(), d) == existing.end())
            existing.push_back(d);
    return existing;
}

std::vector<FoundModel> known_models()
{
    std::map<std::string, std::filesystem::path> found;
    std::error_code ec;
    for (const auto& d : weights_search_path()) {
        for (std::filesystem::directory_iterator it(d, ec), end; !ec && it != end; it.increment(ec)) {
            const std::string name = it->path().filename().string();
            if (!found.contains(name) && std::filesystem::exists(it->path() / "cnn_v3_weights.bin", ec))
                found.emplace(name, it->path());
        }
        ec.clear();
    }
    std::vector<FoundModel> list;
    for (const auto& [name, dir] : found)
        list.push_back({name, dir});
    return list;
}

std::filesystem::path find_model(const std::string& name_or_dir)
{
    std::error_code ec;
    if (!name_or_dir.empty() && std::filesystem::is_directory(name_or_dir, ec))
        return name_or_dir;
    const auto dirs = weights_search_path();
    std::string name = name_or_dir;
    std::filesystem::path default_file;
    if (name.empty())
        for (const auto& d : dirs) {  // no name: the first DEFAULT file names the model
            if (!std::filesystem::exists(d / "DEFAULT", ec))
                continue;
            // read_small_file: a FIFO or a huge file named DEFAULT is refused, not waited on or read
            std::istringstream words(read_small_file(d / "DEFAULT", 4096, "a file naming the default model"));
            if (words >> name) {
                default_file = d / "DEFAULT";
                break;
            }
        }
    if (!name.empty() && name.find('/') == std::string::npos)
        for (const auto& d : dirs)
            if (std::filesystem::is_directory(d / name, ec))
                return d / name;
    if (!default_file.empty())
        throw ModelError(default_file.string(), fmt::format("names the model \"{}\", which none of the weights "
                                                            "directories holds (expected a model name; {})",
                                                            name, searched_text(dirs)));
    if (name_or_dir.empty())
        throw ModelError("--model", fmt::format("no default model: no DEFAULT file naming a model found "
                                                "(expected a weights directory with one; pass --model DIR; {})",
                                                searched_text(dirs)));
    std::vector<std::string> names;
    for (const auto& m : known_models())
        names.push_back(m.name);
    throw ModelError(name_or_dir,
                     fmt::format("no such model directory or model name (expected a directory with cnn_v3_weights.bin "
                                 "or one of the names `cnnv3 models` lists: {}; {})",
                                 names.empty() ? "none found" : fmt::format("{}", fmt::join(names, ", ")),
                                 searched_text(dirs)));
}

}  // namespace cnnv3
