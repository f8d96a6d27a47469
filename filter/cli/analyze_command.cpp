#include "analyze_command.h"

#include "conditioning_options.h"

#include "atomic_file.h"
#include "audio_decode.h"
#include "beat_times_file.h"
#include "conditioning_track.h"
#include "media_probe.h"
#include "model.h"
#include "model_search.h"
#include "user_media.h"

#include "excerpt.h"

#include <fmt/format.h>

#include <cmath>
#include <optional>

#include <unistd.h>

namespace cnnv3::cli {

const std::string_view analyze_usage =
    "usage: cnnv3 analyze IN [--fps F] [-o TRACK.csv] [--beats-out BEATS.txt] [-y] [--model NAME|DIR]\n"
    "                        [--bpm B [--offset S] | --beats FILE | --tracker cnnv3|learned|aubio]\n"
    "                        [--style0 V|t:v,...] [--style1 V|t:v,...] [--reactivity R]\n"
    "\n"
    "  Analyse the audio of IN (any file FFmpeg reads; - for stdin) and write the conditioning of every video frame\n"
    "  as CSV (frame,time,beat_phase,beat_norm,audio_intensity,style_p0,style_p1) to TRACK.csv, or to\n"
    "  stdout without -o (or with -o -). Times are seconds from the start of the file.\n"
    "\n"
    "  --fps F          frame rate of the rows, in [0.01, 1000] (default: the video's own rate; 30 for\n"
    "                   audio-only files)\n"
    "  --beats-out F    also write the beat times used, one per line\n"
    "  -y               overwrite TRACK.csv and BEATS.txt (an existing file is refused without it;\n"
    "                   files are written under a temporary name and renamed when complete)\n"
    "  --bpm B          a steady beat grid instead of tracking, B in [1, 1000]: beats at S + k*60/B\n"
    "                   (S from --offset, default 0; the beat at S starts a bar)\n"
    "  --beats FILE     beat times from FILE (seconds, one per line, '#' comments) instead of tracking\n"
    "  --tracker T      the beat tracker: cnnv3 (default, docs/audio.md), learned (the same decoder with\n"
    "                   a small trained network's beat activation as evidence) or aubio (aubio's own\n"
    "                   tracker, for comparison)\n"
    "  --model NAME|DIR the model whose default_cond gives the rest values (default: the weights\n"
    "                   directory's DEFAULT)\n"
    "  --style0, --style1  style_p0 / style_p1: a value in [0, 1], or keys t:v,t:v,... interpolated\n"
    "                   linearly in time (default: the model's default_cond)\n"
    "  --reactivity R   how far the music moves beat_phase, beat_norm and audio_intensity from the\n"
    "                   model's default_cond, in [0, 2]: 0 holds them still, 1 as analysed (default)\n";

namespace {

struct AnalyzeArgs {
    std::string input;
    std::optional<double> fps;
    std::optional<std::string> output;
    std::optional<std::string> beats_out;
    bool overwrite = false;
    std::string model;  // "" = the DEFAULT model
    ConditioningOptions conditioning;
};

AnalyzeArgs parse_args(const std::vector<std::string>& args)
{
    AnalyzeArgs a;
    std::vector<std::string> positional;
    for (ArgCursor cursor(args); cursor.next();) {
        const std::string_view arg = cursor.arg();
        auto value = [&]() -> std::string { return cursor.value(); };
        if (a.conditioning.parse(cursor))
            continue;
        if (arg == "--fps")
            a.fps = parse_number_option(arg, value(), 0.01, 1000.0, false);  // a row at most every 100 s
        else if (arg == "-o" || arg == "--output")
            a.output = value();
        else if (arg == "--model")
            a.model = value();
        else if (arg == "--beats-out")
            a.beats_out = value();
        else if (arg == "-y")
            a.overwrite = true;
        else if (arg == "--tracker") {
            const std::string name = value();
            if (name == "cnnv3")
                a.conditioning.tracker = BeatTrackerKind::cnnv3;
            else if (name == "learned")
                a.conditioning.tracker = BeatTrackerKind::learned;
            else if (name == "aubio")
                a.conditioning.tracker = BeatTrackerKind::aubio;
            else
                throw UsageError(fmt::format("--tracker: \"{}\" is not cnnv3, learned or aubio", excerpt(name)));
            a.conditioning.tracker_given = true;
        }
        else if (arg.size() > 1 && arg.starts_with("-"))
            throw UsageError(fmt::format("unknown option {}", excerpt(arg)));
        else
            positional.emplace_back(arg);
    }
    if (positional.size() != 1)
        throw UsageError(positional.empty() ? "analyze needs an input file" : "analyze takes one input file");
    a.input = positional[0];
    a.conditioning.validate();
    return a;
}

// The frame timeline: `count` frames at start + i/fps.
struct Timeline {
    double fps = 30.0;
    double start = 0.0;
    std::int64_t count = 0;
};

Timeline make_timeline(const AnalyzeArgs& a, const MediaInfo& info, const DecodedAudio* audio)
{
    Timeline tl;
    if (info.has_video) {
        tl.fps = a.fps.value_or(info.video_fps > 0.0 ? info.video_fps : 30.0);
        tl.start = info.video_start;
        double duration = info.video_duration > 0.0 ? info.video_duration : info.duration - info.video_start;
        if (!a.fps && info.video_frames > 0)
            tl.count = info.video_frames;
        else if (duration > 0.0)
            tl.count = static_cast<std::int64_t>(std::ceil(duration * tl.fps - 1e-6));
        else if (info.video_frames > 0)
            tl.count = info.video_frames;
    } else {
        tl.fps = a.fps.value_or(30.0);
        tl.start = audio ? audio->start_time : info.audio_start;
        const double duration = audio ? audio->duration() : info.duration;
        tl.count = static_cast<std::int64_t>(std::ceil(duration * tl.fps - 1e-6));
    }
    if (tl.count <= 0)
        throw AudioError(a.input, "no frames to analyze (expected a video stream or audio with a known duration)");
    return tl;
}

}  // namespace

int analyze_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err)
{
    for (const std::string& arg : args)
        if (arg == "-h" || arg == "--help") {
            out << analyze_usage;
            return 0;
        }
    const AnalyzeArgs a = parse_args(args);
    // Before any work: no output may be a file this run reads, nor both outputs one file.
    for (const std::optional<std::string>& output : {a.output, a.beats_out}) {
        if (!output)
            continue;
        refuse_same_file(*output, a.input);
        check_output_file(*output, a.overwrite);
        if (a.conditioning.beats_file)
            refuse_same_file(*output, *a.conditioning.beats_file, "the --beats file");
    }
    if (a.output && a.beats_out) {
        refuse_same_file(*a.output, *a.beats_out, "also the --beats-out file");
        if (*a.output == "-" && *a.beats_out == "-")
            throw UsageError("-o - and --beats-out - would both write to standard output: give one of them as a file");
    }

    // Probing and decoding read the input twice: a pipe or stdin is copied once first.
    // The rest values (SPEC §6): the model is found before the input is read, so a bad --model is
    // the one line it gets.
    const std::filesystem::path model_dir = find_model(a.model);
    for (const std::optional<std::string>& output : {a.output, a.beats_out})
        if (output)
            refuse_model_files(*output, model_dir);
    const Model model = load_model(model_dir);
    const SpooledInput input(a.input, STDIN_FILENO, nullptr, err);
    const MediaInfo info = probe_media(input);
    std::optional<DecodedAudio> audio;
    try {
        if (info.has_audio)
            audio = decode_audio(input);
    } catch (const NoAudioStream&) {
        // An audio stream without samples: as without audio (the note comes with the sources).
    }
    const Timeline tl = make_timeline(a, info, audio ? &*audio : nullptr);
    const double end = tl.start + static_cast<double>(tl.count) / tl.fps;

    std::string beats_from;
    const ConditioningSources sources =
        build_conditioning_sources(a.input, a.conditioning, model.default_cond, audio, tl.start, end, beats_from, err);

    const ConditioningTrack track = ConditioningTrack::build(tl.fps, tl.count, tl.start, sources);
    const std::string csv = format_conditioning_csv(track);
    if (a.beats_out)
        write_file_atomically(*a.beats_out, format_beat_times(sources.beats.beats()), a.overwrite);
    if (a.output) {
        write_file_atomically(*a.output, csv, a.overwrite);
        err << fmt::format("cnnv3: {}: {} frames at {:.3f} fps, {} beats ({}), bar start k0 = {}\n", a.input, track.size(),
                           tl.fps, sources.beats.beats().size(), beats_from.empty() ? "none" : beats_from,
                           sources.beats.downbeat());
    } else {
        out << csv;
        out.flush();
        if (!out)
            throw std::runtime_error("stdout: write failed");
    }
    return 0;
}

}  // namespace cnnv3::cli
