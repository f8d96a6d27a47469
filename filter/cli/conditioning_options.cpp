#include "conditioning_options.h"

#include "command.h"
#include "conditioning_names.h"
#include "conditioning_sources.h"

#include "excerpt.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

namespace cnnv3::cli {

double parse_number_option(std::string_view option, std::string_view text, double lo, double hi, bool positive)
{
    double v = 0.0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v) || v < lo ||
        v > hi || (positive && !(v > 0.0)))
        throw UsageError(fmt::format("{}: \"{}\" is not {}", option, excerpt(text),
                                     positive ? fmt::format("a positive number up to {}", hi)
                                              : fmt::format("a number in [{}, {}]", lo, hi)));
    return v;
}

bool ConditioningOptions::parse(ArgCursor& cursor)
{
    const std::string_view arg = cursor.arg();
    auto value = [&]() -> std::string { return cursor.value(); };
    auto style = [&]() {
        try {
            return StyleCurve::parse(value());
        } catch (const StyleCurveError& e) {
            throw UsageError(fmt::format("{}: {}", arg, e.what()));
        }
    };
    if (arg == "--bpm")
        bpm = parse_number_option(arg, value(), min_bpm, max_bpm, false);
    else if (arg == "--offset")
        offset = parse_number_option(arg, value(), -max_beat_offset, max_beat_offset, false);
    else if (arg == "--beats")
        beats_file = value();
    else if (arg == "--style0")
        style0 = style();
    else if (arg == "--style1")
        style1 = style();
    else if (arg == "--reactivity")
        reactivity = static_cast<float>(parse_number_option(arg, value(), 0.0, max_reactivity, false));
    else
        return false;
    return true;
}

void ConditioningOptions::validate() const
{
    if (offset && !bpm)
        throw UsageError("--offset goes with --bpm");
    if (bpm && beats_file)
        throw UsageError("give either --bpm or --beats, not both");
    if (tracker_given && (bpm || beats_file))
        throw UsageError("--tracker chooses how beats are tracked; it does not go with --bpm or --beats");
}

ConditioningSources build_conditioning_sources(const std::string& input, const ConditioningOptions& options,
                                               const std::vector<float>& default_cond,
                                               const std::optional<DecodedAudio>& audio, double start, double end,
                                               std::string& beats_from, std::ostream& err)
{
    const BeatChoice beats{options.bpm, options.offset, options.beats_file, options.tracker};
    const ConditioningChoice values{rest_values(default_cond), options.style0, options.style1,
                                    options.reactivity.value_or(1.0f)};
    return cnnv3::build_conditioning_sources(input, beats, values, audio, start, end, beats_from, err);
}

}  // namespace cnnv3::cli
