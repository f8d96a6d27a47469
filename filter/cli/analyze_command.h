// `cnnv3 analyze`: the audio of a media file -> the per-frame conditioning track (SPEC §6) as CSV,
// and optionally the beat times.
//
//   cnnv3 analyze IN [--fps F] [-o TRACK.csv] [--beats-out BEATS.txt]
//                    [--bpm B [--offset S] | --beats FILE] [--style0 V|t:v,...] [--style1 V|t:v,...]
//
// One row per video frame: a video's own frame rate and frame count (unless --fps), or for an
// audio-only file --fps (default 30) over the audio's duration. Beats are tracked from the audio
// unless --bpm or --beats gives them. A file without audio gets audio_intensity 0 and, without
// --bpm/--beats, beat_phase = beat_norm = 0, with a note on stderr.
#pragma once

#include "command.h"

#include <string_view>

namespace cnnv3::cli {

extern const std::string_view analyze_usage;

int analyze_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace cnnv3::cli
