// Opening a user's input (filter/media/user_media.h) through `cnnv3 analyze`: a ':' in a file name,
// a named pipe and standard input (read once, the same rows as the file), audio with a dropout
// or an overlap (placed by its timestamps), and beatless audio (no beats, one note, exit 0).

#include "analyze_command.h"
#include "audio_decode.h"
#include "conditioning_track.h"
#include "media_probe.h"
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
#include <random>
#include <sstream>
#include <string>
#include <thread>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace cnnv3::test {
namespace {

struct Result {
    int status = -1;
    std::string out, err;
};

Result analyze(const std::vector<std::string>& args)
{
    std::ostringstream out, err;
    Result r;
    r.status = cli::analyze_command(args, out, err);
    r.out = out.str();
    r.err = err.str();
    return r;
}

std::string read_text(const std::filesystem::path& p)
{
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::size_t count_lines_with(const std::string& text, const std::string& what)
{
    std::size_t n = 0;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        n += line.find(what) != std::string::npos;
    return n;
}

// A 4 s clip at 25 fps with a drum track.
void write_clip(const std::filesystem::path& path)
{
    const Signal s = drum_track(steady_beats(120.0, 0.25, 3.9), 4.0, 7);
    write_nut(path, 25, 1, 100, &s);
}

TEST(MediaInput, ColonInAFileNameIsPartOfTheName)
{
    testing::TempDir dir("audio");
    write_clip(dir / "clip:1.nut");
    const Result r = analyze({(dir / "clip:1.nut").string()});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(parse_conditioning_csv(r.out, "stdout").size(), 100u);
    EXPECT_TRUE(probe_media(dir / "clip:1.nut").has_audio);
    EXPECT_NEAR(decode_audio(dir / "clip:1.nut").duration(), 4.0, 0.01);
    // Relative, as a user types it in the file's folder.
    const auto cwd = std::filesystem::current_path();
    std::filesystem::current_path(dir.path());
    const Result rel = analyze({"clip:1.nut"});
    std::filesystem::current_path(cwd);
    EXPECT_EQ(rel.status, 0) << rel.err;
    EXPECT_EQ(rel.out, r.out);
}

TEST(MediaInput, NamedPipeIsReadOnceWithTheSameRowsAsTheFile)
{
    testing::TempDir dir("audio");
    write_clip(dir / "clip.nut");
    const Result file = analyze({(dir / "clip.nut").string()});
    ASSERT_EQ(file.status, 0) << file.err;

    const auto fifo = dir / "pipe";
    ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
    const std::string bytes = read_text(dir / "clip.nut");
    std::thread writer([&] {
        const int fd = open(fifo.c_str(), O_WRONLY);
        for (std::size_t done = 0; fd >= 0 && done < bytes.size();) {
            const ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
            if (n <= 0)
                break;
            done += static_cast<std::size_t>(n);
        }
        if (fd >= 0)
            close(fd);
    });
    const Result piped = analyze({fifo.string()});
    writer.join();
    EXPECT_EQ(piped.status, 0) << piped.err;
    EXPECT_EQ(parse_conditioning_csv(piped.out, "stdout").size(), 100u);
    EXPECT_EQ(piped.out, file.out);
    EXPECT_EQ(count_lines_with(piped.err, "buffering it in a temporary file"), 1u) << piped.err;
}

TEST(MediaInput, StandardInputGivesTheSameRowsAsTheFile)
{
    testing::TempDir dir("audio");
    write_clip(dir / "clip.nut");
    const Result file = analyze({(dir / "clip.nut").string()});
    const std::string cmd = "cat '" + (dir / "clip.nut").string() + "' | " + CNNV3_EXE + " analyze - -o '" +
                            (dir / "stdin.csv").string() + "' 2>/dev/null";
    const int st = std::system(cmd.c_str());
    ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << cmd;
    EXPECT_EQ(read_text(dir / "stdin.csv"), file.out);
    // A file on stdin (a redirection) is read from its start by each reader, without a copy.
    const std::string redirected = std::string(CNNV3_EXE) + " analyze - -o '" + (dir / "redirected.csv").string() +
                                   "' < '" + (dir / "clip.nut").string() + "' 2>/dev/null";
    const int rst = std::system(redirected.c_str());
    ASSERT_TRUE(WIFEXITED(rst) && WEXITSTATUS(rst) == 0) << redirected;
    EXPECT_EQ(read_text(dir / "redirected.csv"), file.out);
}

TEST(MediaInput, AudioAfterADropoutIsPlacedByItsTimestamps)
{
    testing::TempDir dir("audio");
    // Clicks at 1 s and 2 s; the audio from 2.5 s on comes 3 s later, so its click at 3.5 s of
    // the signal sounds at 6.5 s. The video (25 fps) runs through the 3 s without audio.
    const Signal s = click_track({1.0, 2.0, 3.5}, 4.0);
    write_nut_with_audio_gap(dir / "gap.nut", 25, 1, 175, s, 2.5, 3.0);

    const DecodedAudio audio = decode_audio(dir / "gap.nut");
    EXPECT_NEAR(audio.duration(), 7.0, 0.01);
    const std::vector<float> mono = audio.mono();
    auto loudest_in = [&](double from, double to) {
        const auto a = static_cast<std::size_t>(from * audio.sample_rate);
        const auto b = std::min(mono.size(), static_cast<std::size_t>(to * audio.sample_rate));
        std::size_t best = a;
        for (std::size_t i = a; i < b; ++i)
            if (std::abs(mono[i]) > std::abs(mono[best]))
                best = i;
        return std::make_pair(static_cast<double>(best) / audio.sample_rate, std::abs(mono[best]));
    };
    EXPECT_LT(loudest_in(2.6, 5.4).second, 1e-6f);  // the dropout is silence
    EXPECT_NEAR(loudest_in(5.4, 7.0).first, 6.5, 0.01);

    const Result r = analyze({(dir / "gap.nut").string()});
    ASSERT_EQ(r.status, 0) << r.err;
    const ConditioningTrack track = parse_conditioning_csv(r.out, "stdout");
    ASSERT_EQ(track.size(), 175u);
    std::size_t first_loud = 0;
    for (std::size_t i = 125; i < track.size() && !first_loud; ++i)  // from 5 s on
        if (track[i].audio_intensity > 0.5f)
            first_loud = i;
    EXPECT_NEAR(static_cast<double>(first_loud), 6.5 * 25, 1.0) << "the click after the dropout, in frames";
}

TEST(MediaInput, OverlappingAudioIsPlacedByItsTimestamps)
{
    testing::TempDir dir("audio");
    // From 2.496 s (a packet boundary) on, the audio is stamped 15 ms early: it overlaps the 15 ms
    // before it, which are dropped, so the click at 3 s of the signal sounds at 2.985 s.
    const Signal s = click_track({1.0, 3.0}, 4.0);
    write_nut_with_audio_gap(dir / "overlap.nut", 25, 1, 100, s, 2.496, -0.015);
    const DecodedAudio audio = decode_audio(dir / "overlap.nut");
    EXPECT_NEAR(audio.duration(), 4.0 - 0.015, 0.002);
    const std::vector<float> mono = audio.mono();
    std::size_t loudest = static_cast<std::size_t>(2.5 * audio.sample_rate);
    for (std::size_t i = loudest; i < mono.size(); ++i)
        if (std::abs(mono[i]) > std::abs(mono[loudest]))
            loudest = i;
    EXPECT_NEAR(static_cast<double>(loudest) / audio.sample_rate, 2.985, 0.003);
}

TEST(MediaInput, BeatlessAudioFallsBackToNoBeatsWithOneNote)
{
    testing::TempDir dir("audio");
    Signal silence(44100, 6.0), tone(44100, 6.0), noise(44100, 6.0);
    std::mt19937 rng(11);
    std::uniform_real_distribution<float> uniform(-0.5f, 0.5f);
    for (std::size_t i = 0; i < tone.samples.size(); ++i) {
        tone.samples[i] = 0.5f * static_cast<float>(std::sin(2.0 * 3.141592653589793 * 440.0 * static_cast<double>(i) / 44100.0));
        noise.samples[i] = uniform(rng);
    }
    // Without beats the beat values rest at the model's default_cond (docs/formats.md).
    const Conditioning rest = rest_values(load_model(find_model("toon-816")).default_cond);
    for (const auto& [name, signal] : {std::pair{"silence", &silence}, {"tone", &tone}, {"noise", &noise}}) {
        const auto wav = dir / (std::string(name) + ".wav");
        write_wav(wav, *signal);
        const Result r = analyze({wav.string(), "--fps", "10", "--model", "toon-816"});
        EXPECT_EQ(r.status, 0) << name << ": " << r.err;
        EXPECT_EQ(count_lines_with(r.err, "no beats found"), 1u) << name << ": " << r.err;
        const ConditioningTrack track = parse_conditioning_csv(r.out, "stdout");
        EXPECT_EQ(track.size(), 60u) << name;
        for (const auto& f : track.frames()) {
            EXPECT_EQ(f.beat_phase, rest[0]) << name;
            EXPECT_EQ(f.beat_norm, rest[1]) << name;
        }
    }
}

}  // namespace
}  // namespace cnnv3::test
