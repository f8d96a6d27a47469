// The conditioning sources (SPEC §6) for one piece of audio and the user's beat choice; shared by
// `cnnv3 analyze`, `cnnv3 stylize` and the VapourSynth plugin so all three give the same numbers.
//
// Beats come from a BPM grid, a file of beat times, or (neither given) the beat tracker run over the
// whole audio; audio_intensity from the audio's IntensityMeter; a value neither gives (no audio, no
// beats) is the rest value (ConditioningSources), and a note says so.
#pragma once

#include "audio_decode.h"
#include "conditioning_track.h"
#include "style_curve.h"

#include <optional>
#include <ostream>
#include <string>

namespace cnnv3 {

// The tracker that finds the beats when neither a grid nor a file is given: the project's own
// (beat_tracker.h), the same with the learned beat activation as the decoder's evidence
// (BeatTrackerOptions::learned, beat_activation.h: `cnnv3 analyze --tracker learned`), or aubio's
// (aubio_beats.h, kept for comparison: `cnnv3 analyze --tracker aubio`).
enum class BeatTrackerKind { cnnv3, learned, aubio };

// How beats are chosen: bpm (+ offset) or beats_file, or neither (tracked from the audio).
struct BeatChoice {
    std::optional<double> bpm;               // a steady grid at this tempo, the beat at offset starts a bar
    std::optional<double> offset;            // seconds of the first grid beat (default 0)
    std::optional<std::string> beats_file;   // beat times, one per line (beat_times_file.h)
    BeatTrackerKind tracker = BeatTrackerKind::cnnv3;  // used when tracking
};

// What the music does not decide (SPEC §6 "Defaults" and "Reactivity"): the rest values, the
// user's styles and how far the music moves the rest.
struct ConditioningChoice {
    Conditioning rest{0.0f, 0.0f, 0.0f, 0.5f, 0.5f};  // the model's default_cond (rest_values())
    std::optional<StyleCurve> style0;   // the user's style_p0; unset: rest[3] (full strength for the
    std::optional<StyleCurve> style1;   // shipped models, as a still without audio)
    float reactivity = 1.0f;            // in [0, max_reactivity]
};

// Builds the sources over [start, end) seconds (the span only matters for a BPM grid). `input`
// names the audio in notes; `audio` is empty when there is none (notes go to `notes`).
// `beats_from` receives a word for the log ("tracked", "--bpm 120", the file name or "").
ConditioningSources build_conditioning_sources(const std::string& input, const BeatChoice& beats,
                                               const ConditioningChoice& choice,
                                               const std::optional<DecodedAudio>& audio, double start, double end,
                                               std::string& beats_from, std::ostream& notes);

}  // namespace cnnv3
