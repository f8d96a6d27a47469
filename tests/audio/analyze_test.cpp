// `cnnv3 analyze`: the command function on real files, and the executable's exit codes and
// one-line errors.

#include "analyze_command.h"
#include "aubio_beats.h"
#include "audio_decode.h"
#include "beat_tracker.h"
#include "beat_times_file.h"
#include "conditioning_track.h"
#include "media_writer.h"
#include "model.h"
#include "model_search.h"
#include "synth.h"
#include "../temp_dir.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>

namespace cnnv3::test {
namespace {

using cli::analyze_command;
using cli::UsageError;

struct Result {
    int status = -1;
    std::string out, err;
};

Result analyze(std::vector<std::string> args)
{
    std::ostringstream out, err;
    Result r;
    r.status = analyze_command(args, out, err);
    r.out = out.str();
    r.err = err.str();
    return r;
}

// Runs the built executable; stderr only.
Result run_exe(const std::string& args)
{
    Result r;
    const std::string cmd = std::string(CNNV3_EXE) + " " + args + " 2>&1 >/dev/null";
    FILE* p = popen(cmd.c_str(), "r");
    char buf[4096];
    while (p && std::fgets(buf, sizeof buf, p))
        r.err += buf;
    const int st = p ? pclose(p) : -1;
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
}

TEST(Analyze, AudioOnlyFileGivesOneRowPerFrameAtTheRequestedRate)
{
    testing::TempDir dir("audio");
    const auto beats = steady_beats(120.0, 0.5, 9.8);
    write_wav(dir / "song.wav", drum_track(beats, 10.0, 3));
    const Result r = analyze({(dir / "song.wav").string(), "--fps", "25"});
    EXPECT_EQ(r.status, 0);
    const ConditioningTrack track = parse_conditioning_csv(r.out, "stdout");
    ASSERT_EQ(track.size(), 250u);
    EXPECT_NEAR(track[10].time, 0.4, 1e-6);
    // Beat phase near 0 on the beats of the music.
    EXPECT_LT(std::min(track[25].beat_phase, 1.0f - track[25].beat_phase), 0.05f);  // t = 1.0
    EXPECT_NEAR(track[25 + 6].beat_phase, 0.48f, 0.05f);                          // t = 1.24
    EXPECT_GT(track[25].audio_intensity, 0.3f);
}

TEST(Analyze, VideoFileRowsFollowTheVideoFramesAndOutputsAreWritten)
{
    testing::TempDir dir("audio");
    const Signal s = drum_track(steady_beats(100.0, 0.3, 6.0), 6.0, 4);
    write_nut(dir / "clip.nut", 24000, 1001, 120, &s);
    const auto csv = dir / "track.csv", beats = dir / "beats.txt";
    const Result r = analyze({(dir / "clip.nut").string(), "-o", csv.string(), "--beats-out", beats.string(),
                              "--style0", "0:0,5:1", "--style1", "0.75"});
    EXPECT_EQ(r.status, 0);
    EXPECT_TRUE(r.out.empty());
    std::size_t files = 0;  // no temporary file left beside the outputs
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path()))
        ++files;
    EXPECT_EQ(files, 3u);
    const ConditioningTrack track = read_conditioning_csv(csv);
    ASSERT_EQ(track.size(), 120u);
    EXPECT_NEAR(track[119].time, 119 * 1001.0 / 24000.0, 1e-6);
    EXPECT_NEAR(track[60].style_p0, static_cast<float>(60 * 1001.0 / 24000.0 / 5.0), 1e-5);
    EXPECT_FLOAT_EQ(track[60].style_p1, 0.75f);
    const auto tracked = read_beat_times(beats);
    EXPECT_GE(tracked.size(), 8u);
}

TEST(Analyze, NoAudioStreamFallsBackToFixedConditioningWithANote)
{
    testing::TempDir dir("audio");
    write_y4m(dir / "mute.y4m", 25, 50);
    const Result r = analyze({(dir / "mute.y4m").string()});
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.err.find("no audio stream"), std::string::npos) << r.err;
    const ConditioningTrack track = parse_conditioning_csv(r.out, "stdout");
    ASSERT_EQ(track.size(), 50u);
    // What no source gives is the rest value: the default model's default_cond, all five (as
    // `cnnv3 stylize` renders a file without audio).
    const Conditioning rest = rest_values(load_model(find_model("")).default_cond);
    EXPECT_NE(rest[2], 0.0f);  // else this would not tell the rest from "no audio = 0"
    for (const auto& f : track.frames())
        EXPECT_EQ(f.cond(), rest) << "frame " << f.frame;
    // A BPM grid still drives the beat values.
    const Result g = analyze({(dir / "mute.y4m").string(), "--bpm", "150", "--offset", "0.1"});
    const ConditioningTrack grid = parse_conditioning_csv(g.out, "stdout");
    EXPECT_NEAR(grid[5].beat_phase, (0.2 - 0.1) * 150.0 / 60.0, 1e-6);
}

// SPEC §6: without --style0/--style1 the styles are the model's default_cond (full strength for
// the shipped models, as a still without audio), and --reactivity scales the music around it.
TEST(Analyze, StylesDefaultToTheModelsDefaultCondAndReactivityScalesTheMusicAroundIt)
{
    testing::TempDir dir("audio");
    write_wav(dir / "song.wav", drum_track(steady_beats(120.0, 0.5, 5.8), 6.0, 3));
    const std::string song = (dir / "song.wav").string();
    for (const std::string name : {"toon-816", "test-chelsea-48"}) {
        const Conditioning rest = rest_values(load_model(find_model(name)).default_cond);
        const ConditioningTrack as_trained = parse_conditioning_csv(analyze({song, "--model", name}).out, "stdout");
        const ConditioningTrack still =
            parse_conditioning_csv(analyze({song, "--model", name, "--reactivity", "0"}).out, "stdout");
        const ConditioningTrack doubled =
            parse_conditioning_csv(analyze({song, "--model", name, "--reactivity", "2"}).out, "stdout");
        ASSERT_EQ(as_trained.size(), 180u);
        ASSERT_EQ(still.size(), as_trained.size());
        ASSERT_EQ(doubled.size(), as_trained.size());
        float moved = 0.0f;
        for (std::size_t i = 0; i < as_trained.size(); ++i) {
            const Conditioning c = as_trained[i].cond();
            EXPECT_EQ(c[3], rest[3]) << name << " frame " << i;
            EXPECT_EQ(c[4], rest[4]) << name << " frame " << i;
            EXPECT_EQ(still[i].cond(), rest) << name << " frame " << i;
            for (std::size_t k = 0; k < 3; ++k) {
                const float want = k == 1 ? c[k]  // beat_norm: a phase, never scaled (docs/formats.md)
                                          : std::clamp(rest[k] + 2.0f * (c[k] - rest[k]), 0.0f, 1.0f);
                EXPECT_FLOAT_EQ(doubled[i].cond()[k], want) << name << " frame " << i << " value " << k;
                moved = std::max(moved, std::abs(c[k] - rest[k]));
            }
            EXPECT_EQ(doubled[i].cond()[4], rest[4]);
        }
        EXPECT_GT(moved, 0.3f) << "the music must move the conditioning for the test to mean anything";
    }
    // A user's style still wins over the default.
    const ConditioningTrack styled = parse_conditioning_csv(analyze({song, "--style1", "0.25"}).out, "stdout");
    EXPECT_EQ(styled[7].style_p1, 0.25f);
}

TEST(Analyze, BeatsFileReplacesTracking)
{
    testing::TempDir dir("audio");
    write_wav(dir / "song.wav", click_track(steady_beats(90.0, 0.2, 3.9), 4.0));
    {
        std::ofstream b(dir / "b.txt");
        b << "# hand-made\n0.0\n1.0\n2.0\n";
    }
    const Result r = analyze({(dir / "song.wav").string(), "--beats", (dir / "b.txt").string(), "--fps", "10"});
    const ConditioningTrack track = parse_conditioning_csv(r.out, "stdout");
    EXPECT_NEAR(track[5].beat_phase, 0.5f, 1e-6);
    EXPECT_NEAR(track[25].beat_phase, 0.5f, 1e-6);  // extrapolated after the last beat

    std::ofstream(dir / "bad.txt") << "0.0\n1.0\n0.5\n";
    try {
        analyze({(dir / "song.wav").string(), "--beats", (dir / "bad.txt").string()});
        FAIL() << "expected a BeatFileError";
    } catch (const BeatFileError& e) {
        EXPECT_EQ(std::string(e.what()).rfind((dir / "bad.txt").string() + ":3: ", 0), 0u) << e.what();
    }
}

TEST(Analyze, TrackerOptionSelectsAubiosTrackerForComparison)
{
    testing::TempDir dir("audio");
    Signal s = drum_track(steady_beats(100.0, 0.5, 11.8), 12.0, 5);
    add_white_noise(s, 0.0, 6);  // aubio loses the beat in this noise (docs/audio.md), ours does not
    for (float& v : s.samples)
        v *= 0.4f;
    write_wav(dir / "song.wav", s);
    const DecodedAudio audio = decode_audio(dir / "song.wav");
    const std::vector<double> aubio = aubio_beat_times(audio);
    const std::vector<double> ours = track_beats(audio).beats;

    auto written = [&](std::vector<std::string> extra) {
        const auto out = dir / "beats.txt";
        std::vector<std::string> args = {(dir / "song.wav").string(), "-y", "-o", (dir / "t.csv").string(),
                                         "--beats-out", out.string()};
        args.insert(args.end(), extra.begin(), extra.end());
        const Result r = analyze(args);
        EXPECT_EQ(r.status, 0);
        return std::make_pair(read_beat_times(out), r.err);
    };
    auto same = [](const std::vector<double>& a, const std::vector<double>& b) {
        if (a.size() != b.size())
            return false;
        for (std::size_t i = 0; i < a.size(); ++i)
            if (std::abs(a[i] - b[i]) > 2e-6)
                return false;
        return true;
    };
    ASSERT_GE(aubio.size(), 2u);
    ASSERT_FALSE(same(aubio, ours)) << "the two trackers must differ on this track for the test to mean anything";
    const auto [with_aubio, note_aubio] = written({"--tracker", "aubio"});
    EXPECT_TRUE(same(with_aubio, aubio)) << with_aubio.size() << " vs " << aubio.size() << " beats";
    EXPECT_NE(note_aubio.find("tracked by aubio"), std::string::npos) << note_aubio;
    const auto [with_ours, note_ours] = written({"--tracker", "cnnv3"});
    EXPECT_TRUE(same(with_ours, ours)) << with_ours.size() << " vs " << ours.size() << " beats";
    const auto [by_default, note_default] = written({});
    EXPECT_TRUE(same(by_default, ours));
}

TEST(Analyze, TrackerLearnedTracksWithTheNetworksActivation)
{
    // `--tracker learned` is track_beats with BeatTrackerOptions::learned (the trained network's
    // activation as the bar decoder's evidence, beat_activation.h), not the default tracker.
    testing::TempDir dir("audio");
    Signal s = drum_track(steady_beats(100.0, 0.5, 11.8), 12.0, 5);
    add_white_noise(s, 0.0, 6);
    for (float& v : s.samples)
        v *= 0.4f;
    write_wav(dir / "song.wav", s);
    const DecodedAudio audio = decode_audio(dir / "song.wav");
    BeatTrackerOptions learned_options;
    learned_options.learned = true;
    const std::vector<double> learned = track_beats(audio, learned_options).beats;
    const std::vector<double> ours = track_beats(audio).beats;
    ASSERT_GE(learned.size(), 2u);
    ASSERT_NE(learned, ours) << "the learned activation must change the beats on this track for the test to mean anything";
    const auto out = dir / "beats.txt";
    const Result r = analyze({(dir / "song.wav").string(), "-y", "-o", (dir / "t.csv").string(), "--beats-out", out.string(),
                              "--tracker", "learned"});
    ASSERT_EQ(r.status, 0) << r.err;
    const std::vector<double> written = read_beat_times(out);
    ASSERT_EQ(written.size(), learned.size());
    for (std::size_t i = 0; i < written.size(); ++i)
        EXPECT_NEAR(written[i], learned[i], 2e-6) << i;
}

TEST(Analyze, TrackerLearnedOnTinyOrSilentAudioFindsNoBeatsWithOneNote)
{
    // The learned path's extra steps (bands, features, network) on one sample (one envelope frame,
    // one feature frame: every tap of the network in the zero padding) and on digital silence: the
    // same "no beats" note as the default tracker. (No samples at all is "no frames to analyze" or,
    // beside a video, "no audio stream" before any tracker runs.)
    testing::TempDir dir("audio");
    for (const auto& [name, seconds] : {std::pair{"one_sample", 1.0 / 44100.0}, {"silence", 3.0}}) {
        const auto wav = dir / (std::string(name) + ".wav");
        write_wav(wav, Signal(44100, seconds));
        for (const char* tracker : {"cnnv3", "learned"}) {
            const Result r = analyze({wav.string(), "--fps", "10", "--tracker", tracker});
            EXPECT_EQ(r.status, 0) << name << " " << tracker << ": " << r.err;
            EXPECT_NE(r.err.find("no beats found"), std::string::npos) << name << " " << tracker << ": " << r.err;
        }
    }
}

TEST(Analyze, BadCommandLinesAreUsageErrors)
{
    const std::vector<std::vector<std::string>> bad = {
        {},
        {"a.wav", "b.wav"},
        {"a.wav", "--fps"},
        {"a.wav", "--fps", "0"},
        {"a.wav", "--fps", "abc"},
        {"a.wav", "--fps", "1e-310"},
        {"a.wav", "--bpm", "1e-310"},
        {"a.wav", "--bpm", "120x"},
        {"a.wav", "--bpm", "nan"},
        {"a.wav", "--bpm", ""},
        {"a.wav", "--offset", "inf", "--bpm", "120"},
        {"a.wav", "--offset", "1"},
        {"a.wav", "--bpm", "120", "--beats", "b.txt"},
        {"a.wav", "--style0", "2"},
        {"a.wav", "--reactivity", "2.5"},
        {"a.wav", "--reactivity", "-0.1"},
        {"a.wav", "--reactivity", "nan"},
        {"a.wav", "--reactivity"},
        {"a.wav", "--tracker"},
        {"a.wav", "--tracker", "madmom"},
        {"a.wav", "--tracker", "learned", "--bpm", "120"},
        {"a.wav", "--tracker", "aubio", "--bpm", "120"},
        {"a.wav", "--beats", "b.txt", "--tracker", "cnnv3"},
        {"a.wav", "--frobnicate"},
    };
    for (const auto& args : bad)
        EXPECT_THROW(analyze(args), UsageError) << (args.empty() ? "(none)" : args.back());
}

TEST(Analyze, TheExecutableExitsOneWithOneLineForBadFilesAndTwoForUsage)
{
    testing::TempDir dir("audio");
    const Result missing = run_exe("analyze " + (dir / "nope.wav").string());
    EXPECT_EQ(missing.status, 1);
    EXPECT_EQ(missing.err, "cnnv3: " + (dir / "nope.wav").string() + ": no such file (expected a media file)\n");

    std::ofstream(dir / "junk.mp3") << "this is not audio at all, not even close";
    const Result junk = run_exe("analyze " + (dir / "junk.mp3").string());
    EXPECT_EQ(junk.status, 1);
    EXPECT_EQ(junk.err.rfind("cnnv3: " + (dir / "junk.mp3").string() + ": ", 0), 0u) << junk.err;
    EXPECT_EQ(std::count(junk.err.begin(), junk.err.end(), '\n'), 1) << junk.err;

    const Result usage = run_exe("analyze --bogus x.wav");
    EXPECT_EQ(usage.status, 2);
    EXPECT_EQ(usage.err, "cnnv3: unknown option --bogus (see `cnnv3 analyze --help`)\n");  // one line, no usage dump

    EXPECT_EQ(run_exe("frobnicate").status, 2);
    EXPECT_EQ(run_exe("--help").status, 0);
}

}  // namespace
}  // namespace cnnv3::test
