// The five conditioning values of SPEC §3, in order, and the reactivity rule of SPEC §6: the one
// place their names and that rule are written.
//
// C++ uses these arrays; `cnnv3-shadergen wgsl` writes them into web/generated/plan.js for the web
// tool (test wgsl-current); mpv/cnnv3.lua and training/cnnv3/conditioning.py hold
// lua_conditioning_block() / python_conditioning_block() between their "BEGIN/END generated"
// markers (the unit test ConditioningNames checks both and prints the block to paste when one
// differs). The CSV header of `cnnv3 analyze` is "frame,time," and these names.
#pragma once

#include <array>
#include <string>
#include <string_view>

namespace cnnv3 {

inline constexpr std::array<std::string_view, 5> conditioning_names = {"beat_phase", "beat_norm", "audio_intensity",
                                                                       "style_p0", "style_p1"};

// Reactivity R (SPEC §6, docs/formats.md): how far the music moves the conditioning around its rest
// values (the model's default_cond); 0 holds the rest values, 1 is the music as analysed, up to
// max_reactivity. The amplitudes (reactivity_scaled: beat_phase, audio_intensity) become
// clamp(rest + R·(c − rest), 0, 1); beat_norm, a phase (reactivity_phase), sweeps unscaled -
// scaled, it would snap at every bar start - and rests at R = 0; the styles are the user's. R = 1
// returns c exactly. C++: filter/audio/conditioning_track.h apply_reactivity(); Lua and JavaScript:
// apply_reactivity / applyReactivity in the generated blocks below.
inline constexpr float max_reactivity = 2.0f;
inline constexpr std::array<int, 2> reactivity_scaled = {0, 2};
inline constexpr int reactivity_phase = 1;

// A steady beat grid (SPEC §6 beats given as a BPM and an offset: `cnnv3 --bpm B --offset S`, the
// VapourSynth plugin's bpm and offset): B in [min_bpm, max_bpm] (a beat at most every minute),
// |S| at most max_beat_offset seconds. The one place these limits are written.
inline constexpr double min_bpm = 1.0;
inline constexpr double max_bpm = 1000.0;
inline constexpr double max_beat_offset = 1e7;

// "frame,time,beat_phase,...,style_p1": the header line of a conditioning CSV.
std::string conditioning_csv_header_text();

// The Lua lines mpv/cnnv3.lua holds between its markers (KEYS, CSV_HEADER, MAX_REACTIVITY and
// apply_reactivity(v, rest, r) on numbers, 1-based).
std::string lua_conditioning_block();

// The Python lines training/cnnv3/conditioning.py holds (CONDITIONING_NAMES, CONDITIONING_CSV_HEADER).
std::string python_conditioning_block();

// The JavaScript lines plan.js holds (conditioningNames, conditioningCsvHeader, maxReactivity and
// applyReactivity(c, rest, r)).
std::string js_conditioning_block();

}  // namespace cnnv3
