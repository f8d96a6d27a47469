#include "conditioning_options.h"

#include "beat_clock.h"
#include "beat_times_file.h"
#include "beat_tracker.h"
#include "command.h"
#include "intensity_meter.h"
#include "onset_envelope.h"

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
        throw UsageError(fmt::format("{}: \"{}\" is not {}", option, text,
                                     positive ? fmt::format("a positive number up to {}", hi)
                                              : fmt::format("a number in [{}, {}]", lo, hi)));
    return v;
}

bool ConditioningOptions::parse(const std::vector<std::string>& args, std::size_t& i)
{
    const std::string_view arg = args[i];
    auto value = [&]() -> std::string {
        if (i + 1 >= args.size())
            throw UsageError(fmt::format("{} needs a value", arg));
        return args[++i];
    };
    auto style = [&]() {
        try {
            return StyleCurve::parse(value());
        } catch (const StyleCurveError& e) {
            throw UsageError(fmt::format("{}: {}", arg, e.what()));
        }
    };
    if (arg == "--bpm")
        bpm = parse_number_option(arg, value(), 0.0, 1000.0, true);
    else if (arg == "--offset")
        offset = parse_number_option(arg, value(), -1e7, 1e7, false);
    else if (arg == "--beats")
        beats_file = value();
    else if (arg == "--style0")
        style0 = style();
    else if (arg == "--style1")
        style1 = style();
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
}

ConditioningSources build_conditioning_sources(const std::string& input, const ConditioningOptions& options,
                                               const std::optional<DecodedAudio>& audio, double start, double end,
                                               std::string& beats_from, std::ostream& err)
{
    ConditioningSources sources;
    sources.style0 = options.style0;
    sources.style1 = options.style1;
    beats_from.clear();
    if (options.bpm) {
        sources.beats = BeatClock::from_bpm(*options.bpm, options.offset.value_or(0.0), start, end);
        beats_from = fmt::format("--bpm {}", *options.bpm);
    } else if (options.beats_file) {
        std::vector<double> beats = read_beat_times(*options.beats_file);
        const int k0 = audio ? choose_downbeat(beats, compute_onset_envelope(*audio)) : 0;
        sources.beats = BeatClock(std::move(beats), k0);
        beats_from = *options.beats_file;
    } else if (audio) {
        BeatTrack track = track_beats(*audio);
        beats_from = "tracked";
        if (track.beats.size() < 2)
            err << fmt::format("cnnv3: {}: no beats found (silent or beatless audio): beat_phase and beat_norm are 0; "
                               "--bpm or --beats can give them\n", input);
        sources.beats = BeatClock(std::move(track.beats), track.downbeat);
    }
    if (audio)
        sources.intensity = IntensityMeter(*audio);
    else
        err << fmt::format("cnnv3: {}: no audio stream: audio_intensity is 0{}\n", input,
                           beats_from.empty() ? ", beat_phase and beat_norm are 0 (--bpm or --beats can give beats)" : "");
    return sources;
}

}  // namespace cnnv3::cli
