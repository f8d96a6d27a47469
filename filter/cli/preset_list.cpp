#include "preset_list.h"

#include <sstream>

namespace cnnv3::cli {

std::vector<PresetRow> parse_preset_list(std::string_view text)
{
    std::vector<PresetRow> rows;
    std::istringstream lines{std::string(text)};
    for (std::string line; std::getline(lines, line);) {
        if (line.empty() || line[0] == '#')
            continue;
        std::istringstream fields(line);
        PresetRow row;
        if (std::getline(fields, row.name, '\t') && std::getline(fields, row.model, '\t') &&
            std::getline(fields, row.conditioning, '\t'))
            rows.push_back(row);
    }
    return rows;
}

}  // namespace cnnv3::cli
