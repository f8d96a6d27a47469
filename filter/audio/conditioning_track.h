// ConditioningTrack: the five conditioning values of SPEC §6 for every video frame, and its CSV file.
//
// A track is built from a frame timeline (explicit presentation times, or fps + count + start) and
// the sources: a BeatClock (tracked beats, a BPM grid or a beats file) for beat_phase and
// beat_norm, an IntensityMeter for audio_intensity (window [t, t + 1/fps)), and two StyleCurves.
//
// CSV (`cnnv3 analyze -o`, read back by --cond-track): the header line
//   frame,time,beat_phase,beat_norm,audio_intensity,style_p0,style_p1
// then one row per frame: the frame number (0, 1, 2, ...), its time in seconds (6 decimals), and
// the five values (shortest text that reads back as the same float). The reader accepts exactly
// this: frame numbers counting up from 0, strictly increasing finite times, values in [0, 1].
#pragma once

#include "beat_clock.h"
#include "conditioning_names.h"
#include "intensity_meter.h"
#include "style_curve.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace cnnv3 {

inline constexpr std::string_view conditioning_csv_header =
    "frame,time,beat_phase,beat_norm,audio_intensity,style_p0,style_p1";

// The header is "frame,time," and the conditioning names in SPEC order (conditioning_names.h).
constexpr bool csv_header_names_the_conditioning()
{
    std::string_view h = conditioning_csv_header;
    if (!h.starts_with("frame,time"))
        return false;
    h.remove_prefix(10);
    for (std::string_view name : conditioning_names) {
        if (!h.starts_with(",") || !h.substr(1).starts_with(name))
            return false;
        h.remove_prefix(1 + name.size());
    }
    return h.empty();
}
static_assert(csv_header_names_the_conditioning());

// A refused conditioning CSV; what() is one line, "FILE:LINE: problem" (or "FILE: problem").
class ConditioningFileError : public std::runtime_error {
public:
    ConditioningFileError(const std::string& file, std::size_t line, const std::string& problem)
        : std::runtime_error(line ? file + ":" + std::to_string(line) + ": " + problem : file + ": " + problem) {}
};

// The conditioning of one video frame.
struct ConditioningFrame {
    std::int64_t frame = 0;        // frame number, from 0
    double time = 0.0;             // presentation time in seconds on the file timeline
    float beat_phase = 0.0f;       // SPEC §6, each in [0, 1]
    float beat_norm = 0.0f;
    float audio_intensity = 0.0f;
    float style_p0 = 0.5f;
    float style_p1 = 0.5f;

    // c = [beat_phase, beat_norm, audio_intensity, style_p0, style_p1] (SPEC §3 order).
    std::array<float, 5> cond() const { return {beat_phase, beat_norm, audio_intensity, style_p0, style_p1}; }
};

// c = [beat_phase, beat_norm, audio_intensity, style_p0, style_p1] (SPEC §3 order).
using Conditioning = std::array<float, 5>;

// Reactivity (SPEC §6, docs/formats.md): how far the music moves the conditioning around its rest
// values. 0 holds the rest values, 1 is the music as analysed (as the models were trained), up to
// max_reactivity; the rule and its constants are shadergen/conditioning_names.h's (the mpv script
// and the web tool hold it generated from there).
// Throws std::invalid_argument "reactivity R (expected a number in [0, 2])" unless R is in range.
void check_reactivity(float reactivity);
// c'_i = clamp(rest_i + R·(c_i − rest_i), 0, 1) for beat_phase, beat_norm and audio_intensity;
// style_p0 and style_p1 pass unchanged; R = 1 returns c bit for bit. R in [0, max_reactivity] (std::invalid_argument otherwise).
Conditioning apply_reactivity(const Conditioning& c, const Conditioning& rest, float reactivity);

// The model's default_cond as the five rest values: `default_cond` must have 5 values
// (std::invalid_argument otherwise; the model loader already checks it).
Conditioning rest_values(const std::vector<float>& default_cond);

// Where the values come from. The one rule for a value no source gives (docs/formats.md,
// "Conditioning: defaults and reactivity"): it takes its rest value, so a file without audio
// renders default_cond in `analyze`, `stylize` and the VapourSynth plugin alike.
struct ConditioningSources {
    BeatClock beats;             // fewer than two beats: beat_phase, beat_norm = rest[0], rest[1]
    IntensityMeter intensity;    // no audio (default meter): audio_intensity = rest[2]; silence measures 0
    StyleCurve style0{0.5f};     // the user's curves, else the rest values' style_p0 / style_p1
    StyleCurve style1{0.5f};
    Conditioning rest{0.0f, 0.0f, 0.0f, 0.5f, 0.5f};  // the model's default_cond
    float reactivity = 1.0f;     // apply_reactivity's R

    // The conditioning of a frame shown at t for `frame_duration` seconds (the intensity window
    // [t, t + frame_duration)), reactivity applied. The one place audio becomes c: `analyze`,
    // `stylize` and the VapourSynth plugin all call it.
    Conditioning at(double t, double frame_duration) const;
};

class ConditioningTrack {
public:
    ConditioningTrack() = default;
    explicit ConditioningTrack(std::vector<ConditioningFrame> frames) : frames_(std::move(frames)) {}

    // One row per time in `frame_times` (strictly increasing); the intensity window of each frame is
    // [t, t + 1/fps).
    static ConditioningTrack build(const std::vector<double>& frame_times, double fps, const ConditioningSources& sources);
    // `count` frames at start + i/fps.
    static ConditioningTrack build(double fps, std::int64_t count, double start, const ConditioningSources& sources);

    const std::vector<ConditioningFrame>& frames() const { return frames_; }
    std::size_t size() const { return frames_.size(); }
    const ConditioningFrame& operator[](std::size_t i) const { return frames_[i]; }
    // The row in effect at time t: the last one whose time is ≤ t + slack (the first row before
    // the track starts). `slack` absorbs the rounding of a video frame's timestamp against the
    // row's: a 24 fps frame in a millisecond time base (Matroska) is at 0.083 s, its row at
    // 0.083333 s; callers that know the frame duration pass half of it. The default, 1 µs, covers
    // the CSV's 6 decimals. The track must not be empty.
    const ConditioningFrame& at_time(double t, double slack = 1e-6) const;

private:
    std::vector<ConditioningFrame> frames_;
};

// The CSV text of a track.
std::string format_conditioning_csv(const ConditioningTrack& track);
// Parses CSV text; `name` is used in error messages.
ConditioningTrack parse_conditioning_csv(std::string_view text, const std::string& name);
// The largest conditioning CSV read (docs/formats.md): about 3.5 million rows, 16 hours at 60 fps.
inline constexpr std::uintmax_t conditioning_csv_max_bytes = 256u << 20;
// Reads and parses a CSV file: a regular file of at most conditioning_csv_max_bytes (read_small_file).
ConditioningTrack read_conditioning_csv(const std::filesystem::path& path);

}  // namespace cnnv3
