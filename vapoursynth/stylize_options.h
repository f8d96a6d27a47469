// The arguments of core.cnnv3.Stylize, read from the VapourSynth argument map and checked; every
// problem is a StylizeArgumentError naming the argument.
#pragma once

#include <VapourSynth4.h>

#include <optional>
#include <stdexcept>
#include <string>

namespace cnnv3::vs {

// A bad argument: what() is "ARGUMENT: problem".
class StylizeArgumentError : public std::runtime_error {
public:
    StylizeArgumentError(const std::string& argument, const std::string& problem)
        : std::runtime_error(argument + ": " + problem) {}
};

// Stylize's arguments except the clip and audio nodes (those stay in the map until the filter takes
// them). Unset optionals mean "not given".
struct StylizeOptions {
    std::string model;                      // a name (model_search.h) or a directory; "" = the default model
    std::optional<float> beat_phase;        // fixed values, override any source; each in [0, 1]
    std::optional<float> beat_norm;
    std::optional<float> audio_intensity;
    std::optional<float> style0;            // style_p0, style_p1 in [0, 1] (else a cond_track's, else the
    std::optional<float> style1;            // model's default_cond)
    float reactivity = 1.0f;                // SPEC §6, in [0, max_reactivity]; not with cond_track
    float strength = 1.0f;                  // mix(input, network, strength), in [0, 1]
    std::optional<double> bpm;              // a beat grid instead of tracking the audio's beats
    double offset = 0.0;                    // seconds of the grid's first beat (with bpm)
    std::optional<std::string> beats;       // a file of beat times instead of tracking
    std::optional<std::string> cond_track;  // a CSV from `cnnv3 analyze -o` (all five values)
    int gpu = -1;                           // Vulkan device index; -1 = the first hardware device, else the first
    bool feedback = true;                   // prev.rgb = frame n-1's network output (docs/vapoursynth.md)
    bool has_audio = false;                 // the audio argument was given
};

// Reads and checks the options (not the nodes). Throws StylizeArgumentError.
StylizeOptions read_stylize_options(const VSMap* in, const VSAPI* vsapi);

}  // namespace cnnv3::vs
