#include "model_search.h"

#include "model.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdlib>
#include <fstream>

namespace cnnv3 {

std::vector<std::filesystem::path> weights_search_path()
{
    std::vector<std::filesystem::path> dirs;
    if (const char* env = std::getenv("CNNV3_WEIGHTS")) {
        std::string list = env;
        std::size_t at = 0;
        while (at <= list.size()) {
            const std::size_t colon = list.find(':', at);
            const std::string item = list.substr(at, colon == std::string::npos ? std::string::npos : colon - at);
            if (!item.empty())
                dirs.emplace_back(item);
            if (colon == std::string::npos)
                break;
            at = colon + 1;
        }
    }
    dirs.emplace_back(CNNV3_INSTALLED_WEIGHTS);
    dirs.emplace_back(CNNV3_SOURCE_WEIGHTS);
    std::vector<std::filesystem::path> existing;
    std::error_code ec;
    for (const auto& d : dirs)
        if (std::filesystem::is_directory(d, ec))
            existing.push_back(d);
    return existing;
}

std::filesystem::path find_model(const std::string& name_or_dir)
{
    std::error_code ec;
    if (!name_or_dir.empty() && std::filesystem::is_directory(name_or_dir, ec))
        return name_or_dir;
    const auto dirs = weights_search_path();
    std::vector<std::string> searched;
    for (const auto& d : dirs) {
        std::string name = name_or_dir;
        if (name.empty()) {
            std::ifstream f(d / "DEFAULT");
            if (!(f >> name))
                continue;
        }
        if (name.find('/') == std::string::npos && std::filesystem::is_directory(d / name, ec))
            return d / name;
        searched.push_back(d.string());
    }
    if (name_or_dir.empty())
        throw ModelError("--model", fmt::format("no default model: no DEFAULT file in {} (expected a weights directory; "
                                                "set CNNV3_WEIGHTS or pass --model DIR)",
                                                searched.empty() ? "any weights directory" : fmt::format("{}", fmt::join(searched, ", "))));
    throw ModelError(name_or_dir, fmt::format("no such model directory, and no model of that name in {} (expected a "
                                              "directory with cnn_v3_weights.bin, or a name from weights/)",
                                              searched.empty() ? "any weights directory" : fmt::format("{}", fmt::join(searched, ", "))));
}

}  // namespace cnnv3
