// The conditioning options `analyze` and `stylize` share, and the sources they lead to.
//
//   --bpm B [--offset S] | --beats FILE     beats from a grid or a file instead of tracking
//   --style0 V|t:v,...  --style1 V|t:v,...  style_p0 / style_p1, constant or keyframed (default:
//                                           the model's default_cond, SPEC §6)
//   --reactivity R                          how far the music moves the conditioning, in [0, 2]
//                                           (default 1; docs/formats.md, "Conditioning: defaults
//                                           and reactivity")
//
// Without --bpm/--beats the beats are tracked from the audio (filter/audio/beat_tracker.h). A file
// without audio gets audio_intensity 0 and a note.
#pragma once

#include "audio_decode.h"
#include "command.h"
#include "conditioning_sources.h"
#include "conditioning_track.h"
#include "media_probe.h"
#include "style_curve.h"

#include <cstddef>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace cnnv3::cli {

struct ConditioningOptions {
    std::optional<double> bpm;
    std::optional<double> offset;
    std::optional<std::string> beats_file;
    BeatTrackerKind tracker = BeatTrackerKind::cnnv3;  // set by `analyze --tracker` only
    bool tracker_given = false;
    std::optional<StyleCurve> style0;   // unset: the model's default_cond
    std::optional<StyleCurve> style1;
    std::optional<float> reactivity;    // unset: 1

    // If the cursor's option is one of the above, takes its value and returns true. Throws
    // UsageError for a bad or missing value.
    bool parse(ArgCursor& cursor);
    // Checks the combination (--offset needs --bpm; not both --bpm and --beats).
    void validate() const;
};

// A number option: finite, in [lo, hi], and > 0 when `positive`. Throws UsageError naming `option`.
double parse_number_option(std::string_view option, std::string_view text, double lo, double hi, bool positive);

// Builds the sources for `input` over [start, end) seconds (filter/audio/conditioning_sources.h does the
// work), around the rest values `default_cond` (the model's, 5 values). `audio` is the decoded audio,
// or empty when the file has none (notes go to `err`). `beats_from` receives a word for the log.
ConditioningSources build_conditioning_sources(const std::string& input, const ConditioningOptions& options,
                                               const std::vector<float>& default_cond,
                                               const std::optional<DecodedAudio>& audio, double start, double end,
                                               std::string& beats_from, std::ostream& err);

}  // namespace cnnv3::cli
