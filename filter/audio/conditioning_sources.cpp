#include "conditioning_sources.h"

#include "aubio_beats.h"
#include "beat_clock.h"
#include "beat_times_file.h"
#include "beat_tracker.h"
#include "intensity_meter.h"
#include "onset_envelope.h"

#include <fmt/format.h>

namespace cnnv3 {

ConditioningSources build_conditioning_sources(const std::string& input, const BeatChoice& choice,
                                               const ConditioningChoice& values,
                                               const std::optional<DecodedAudio>& audio, double start, double end,
                                               std::string& beats_from, std::ostream& notes)
{
    check_reactivity(values.reactivity);
    ConditioningSources sources;
    sources.rest = values.rest;
    sources.reactivity = values.reactivity;
    sources.style0 = values.style0.value_or(StyleCurve(values.rest[3]));
    sources.style1 = values.style1.value_or(StyleCurve(values.rest[4]));
    beats_from.clear();
    if (choice.bpm) {
        sources.beats = BeatClock::from_bpm(*choice.bpm, choice.offset.value_or(0.0), start, end);
        beats_from = fmt::format("--bpm {}", *choice.bpm);
    } else if (choice.beats_file) {
        std::vector<double> beats = read_beat_times(*choice.beats_file);
        const int k0 = audio ? choose_downbeat(beats, compute_onset_envelope(*audio)) : 0;
        sources.beats = BeatClock(std::move(beats), k0);
        beats_from = *choice.beats_file;
    } else if (audio && choice.tracker == BeatTrackerKind::aubio) {
        // aubio's tracker, for comparison; the bar start follows the same low-frequency rule.
        std::vector<double> beats = aubio_beat_times(*audio);
        const int k0 = choose_downbeat(beats, compute_onset_envelope(*audio));
        beats_from = "tracked by aubio";
        if (beats.size() < 2)
            notes << fmt::format("cnnv3: {}: aubio found no beats: beat_phase and beat_norm are {}, {} (the model's "
                                 "default_cond)\n", input, values.rest[0], values.rest[1]);
        sources.beats = BeatClock(std::move(beats), k0);
    } else if (audio) {
        BeatTrackerOptions options;
        options.learned = choice.tracker == BeatTrackerKind::learned;
        BeatTrack track = track_beats(*audio, options);
        beats_from = "tracked";
        if (track.beats.size() < 2)
            notes << fmt::format("cnnv3: {}: no beats found (silent or beatless audio): beat_phase and beat_norm are "
                                 "{}, {} (the model's default_cond); --bpm or --beats can give them\n",
                                 input, values.rest[0], values.rest[1]);
        sources.beats = BeatClock(std::move(track.beats), track.downbeat);
    }
    if (audio)
        sources.intensity = IntensityMeter(*audio);
    else
        notes << fmt::format("cnnv3: {}: no audio stream: audio_intensity is {}{} (the model's default_cond){}\n", input,
                             values.rest[2],
                             beats_from.empty() ? fmt::format(", beat_phase and beat_norm are {}, {}", values.rest[0],
                                                              values.rest[1])
                                                : "",
                             beats_from.empty() ? "; --bpm or --beats can give beats" : "");
    return sources;
}

}  // namespace cnnv3
