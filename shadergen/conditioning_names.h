// The five conditioning values of SPEC §3, in order: the one place their names are written.
//
// C++ uses these arrays; `cnnv3-shadergen wgsl` writes them into web/generated/plan.js for the web
// tool (test wgsl-current); mpv/cnnv3.lua holds lua_conditioning_block() between its
// "BEGIN/END generated" markers (the unit test ConditioningNames checks it and prints the block to
// paste when it differs). The CSV header of `cnnv3 analyze` is "frame,time," and these names.
#pragma once

#include <array>
#include <string>
#include <string_view>

namespace cnnv3 {

inline constexpr std::array<std::string_view, 5> conditioning_names = {"beat_phase", "beat_norm", "audio_intensity",
                                                                       "style_p0", "style_p1"};

// "frame,time,beat_phase,...,style_p1": the header line of a conditioning CSV.
std::string conditioning_csv_header_text();

// The Lua lines mpv/cnnv3.lua holds between its markers (KEYS and CSV_HEADER).
std::string lua_conditioning_block();

// The JavaScript lines plan.js holds (conditioningNames, conditioningCsvHeader).
std::string js_conditioning_block();

}  // namespace cnnv3
