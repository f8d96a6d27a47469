#include "beat_times_file.h"

#include "small_file.h"
#include "text_file.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

namespace cnnv3 {

std::vector<double> parse_beat_times(std::string_view text, const std::string& name)
{
    std::vector<double> beats;
    std::size_t line_no = 0;
    for_each_line(text, [&](std::string_view line) {
        ++line_no;
        if (const auto hash = line.find('#'); hash != std::string_view::npos)
            line = line.substr(0, hash);
        line = trim(line);
        if (line.empty())
            return;
        double t = 0.0;
        const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), t);
        if (ec != std::errc() || end != line.data() + line.size() || !std::isfinite(t))
            throw BeatFileError(name, line_no, fmt::format("\"{}\" is not a time in seconds (expected one number per line)", excerpt(line)));
        if (!beats.empty() && !(t > beats.back()))
            throw BeatFileError(name, line_no, fmt::format("beat time {} is not after the previous one, {} "
                                                           "(expected strictly increasing times)", excerpt(line), beats.back()));
        beats.push_back(t);
    });
    return beats;
}

std::vector<double> read_beat_times(const std::filesystem::path& path)
{
    std::string text;
    try {
        text = read_small_file(path, beat_times_max_bytes, "a text file of beat times");
    } catch (const SmallFileError& e) {
        throw BeatFileError(e.file(), 0, e.problem());
    }
    return parse_beat_times(text, path.string());
}

std::string format_beat_times(const std::vector<double>& beats)
{
    std::string out = "# beat times in seconds, one per line (cnnv3 analyze)\n";
    for (double t : beats)
        out += fmt::format("{:.6f}\n", t);
    return out;
}

}  // namespace cnnv3
