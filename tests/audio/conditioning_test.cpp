// The per-frame values of SPEC §6: beat_phase / beat_norm from beats (tracked, BPM grid, file),
// audio_intensity, style curves, and the CSV and beat-times files.

#include "audio_decode.h"
#include "beat_clock.h"
#include "beat_times_file.h"
#include "beat_tracker.h"
#include "conditioning_sources.h"
#include "conditioning_track.h"
#include "intensity_meter.h"
#include "onset_envelope.h"
#include "style_curve.h"
#include "synth.h"
#include "../temp_dir.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <optional>
#include <sstream>
#include <string>

namespace cnnv3::test {
namespace {

bool is_one_line(const std::string& s) { return !s.empty() && s.find('\n') == std::string::npos; }

// Runs f and returns the what() of the exception of type E it throws ("" when none).
template <class E, class F>
std::string error_of(F&& f)
{
    try {
        f();
    } catch (const E& e) {
        return e.what();
    }
    return "";
}

TEST(BeatClock, PhaseIsTheFractionOfTheBeatIntervalAndNormCountsEightBeatsFromTheDownbeat)
{
    const BeatClock clock({1.0, 1.5, 2.5, 3.0}, 1);
    EXPECT_FLOAT_EQ(clock.beat_phase(1.0), 0.0f);
    EXPECT_FLOAT_EQ(clock.beat_phase(1.25), 0.5f);
    EXPECT_FLOAT_EQ(clock.beat_phase(2.0), 0.5f);   // 1.5 → 2.5: a longer interval
    EXPECT_FLOAT_EQ(clock.beat_phase(2.75), 0.5f);
    // t = 2.0 is in beat k = 1 with k0 = 1: ((1 − 1) mod 8 + 0.5) / 8; t = 2.75 in beat 2
    EXPECT_FLOAT_EQ(clock.beat_norm(2.0), 0.5f / 8.0f);
    EXPECT_FLOAT_EQ(clock.beat_norm(2.75), 1.5f / 8.0f);
    // beat 0 is 7 beats after the bar start (−1 mod 8)
    EXPECT_FLOAT_EQ(clock.beat_norm(1.25), 7.5f / 8.0f);
}

TEST(BeatClock, ExtrapolatesBeforeTheFirstAndAfterTheLastBeatWithTheLocalPeriod)
{
    const BeatClock clock({1.0, 1.5, 2.5, 3.0}, 0);
    // Before: period 0.5 from the first two beats.
    EXPECT_NEAR(clock.beat_phase(0.875), 0.75f, 1e-6);
    EXPECT_EQ(clock.position(0.875).index, -1);
    EXPECT_NEAR(clock.beat_phase(0.0), 0.0f, 1e-6);
    EXPECT_EQ(clock.position(0.0).index, -2);
    EXPECT_NEAR(clock.beat_norm(0.0), 6.0f / 8.0f, 1e-6);  // k = −2 → (−2 mod 8) = 6
    // After: period 0.5 from the last two beats.
    EXPECT_NEAR(clock.beat_phase(3.125), 0.25f, 1e-6);
    EXPECT_NEAR(clock.beat_phase(4.3), 0.6f, 1e-5);
    EXPECT_EQ(clock.position(4.3).index, 5);
}

TEST(BeatClock, FewerThanTwoBeatsGiveZeroAndBadListsAreRefused)
{
    EXPECT_EQ(BeatClock().beat_phase(3.0), 0.0f);
    EXPECT_EQ(BeatClock({2.0}, 0).beat_norm(3.0), 0.0f);
    EXPECT_THROW(BeatClock({1.0, 1.0}, 0), std::invalid_argument);
    EXPECT_THROW(BeatClock({1.0, std::numeric_limits<double>::quiet_NaN()}, 0), std::invalid_argument);
}

TEST(BeatClock, BpmOverrideGivesExactPhases)
{
    const double bpm = 128.0, offset = 0.37;
    const BeatClock clock = BeatClock::from_bpm(bpm, offset, 0.0, 60.0);
    double worst_phase = 0.0, worst_norm = 0.0;
    for (int i = 0; i < 60 * 30; ++i) {
        const double t = i / 30.0;
        const double x = (t - offset) * bpm / 60.0;
        const double k = std::floor(x);
        const double phase = x - k;
        const double norm = (std::fmod(std::fmod(k, 8.0) + 8.0, 8.0) + phase) / 8.0;
        worst_phase = std::max(worst_phase, std::abs(clock.beat_phase(t) - phase));
        worst_norm = std::max(worst_norm, std::abs(clock.beat_norm(t) - norm));
    }
    EXPECT_LE(worst_phase, 1e-6);
    EXPECT_LE(worst_norm, 1e-6);
    EXPECT_FLOAT_EQ(clock.beat_norm(offset), 0.0f);  // the beat at the offset starts a bar
}

TEST(StyleCurve, ConstantAndKeyframedValuesInterpolateLinearly)
{
    EXPECT_FLOAT_EQ(StyleCurve::parse("0.25").at(123.0), 0.25f);
    const StyleCurve c = StyleCurve::parse("1:0,3:1,4:0.5");
    EXPECT_FLOAT_EQ(c.at(0.0), 0.0f);   // before the first key: its value
    EXPECT_FLOAT_EQ(c.at(1.0), 0.0f);
    EXPECT_FLOAT_EQ(c.at(1.5), 0.25f);
    EXPECT_FLOAT_EQ(c.at(2.0), 0.5f);
    EXPECT_FLOAT_EQ(c.at(3.0), 1.0f);
    EXPECT_FLOAT_EQ(c.at(3.5), 0.75f);
    EXPECT_FLOAT_EQ(c.at(10.0), 0.5f);  // after the last key: its value
}

TEST(StyleCurve, BadTextIsRefusedWithTheOffendingPart)
{
    const std::string long_key = "1:" + std::string(500, '5');
    for (const std::string bad : {"", "x", "1.5", "-0.1", "1:0.5,1:0.7", "2:0.5,1:0.7", "1:0.5,", "1:2", "nan", "1:",
                                  "0.5\nx", "1:0.5\n,2:x", "0:0.1,x\n:1", long_key.c_str()}) {
        const std::string what = error_of<StyleCurveError>([&] { StyleCurve::parse(bad); });
        // One short line whatever the text held (the user's part quoted as an excerpt).
        EXPECT_TRUE(is_one_line(what) && what.size() < 200) << "\"" << bad << "\" -> \"" << what << "\"";
    }
}

DecodedAudio make_audio(std::vector<float> samples, int channels, double start = 0.0)
{
    DecodedAudio a;
    a.samples = std::move(samples);
    a.channels = channels;
    a.sample_rate = 44100;
    a.start_time = start;
    return a;
}

TEST(Intensity, SilenceIsExactlyZeroAndLoudnessIsNormalisedByTheTrack)
{
    // 1 s silence, 1 s of a 0.5-peak tone, 3 s silence.
    std::vector<float> s(5 * 44100, 0.0f);
    for (int i = 44100; i < 2 * 44100; ++i)
        s[static_cast<std::size_t>(i)] = static_cast<float>(0.5 * std::sin(2.0 * std::numbers::pi * 441.0 * i / 44100.0));
    const IntensityMeter m(make_audio(s, 1));
    EXPECT_FALSE(m.full_scale());
    EXPECT_NEAR(m.reference(), 0.5, 0.01);
    EXPECT_EQ(m.at(0.0, 1.0 / 30), 0.0f);
    EXPECT_EQ(m.at(0.95, 1.0 / 30), 0.0f);
    EXPECT_NEAR(m.at(1.5, 1.0 / 30), 1.0f, 0.01f);
    // Release: 0.25 s time constant after the tone stops.
    EXPECT_NEAR(m.at(2.25, 1.0 / 1000), std::exp(-1.0), 0.02);
    // Far into the silence the envelope is under the −80 dBFS gate: exactly 0.
    EXPECT_EQ(m.at(4.5, 1.0 / 30), 0.0f);
    // Outside the audio: 0.
    EXPECT_EQ(m.at(-2.0, 1.0 / 30), 0.0f);
    EXPECT_EQ(m.at(10.0, 1.0 / 30), 0.0f);
}

TEST(Intensity, PeakIsTakenOverAllChannelsAndTheWholeFrameWindow)
{
    std::vector<float> s(2 * 44100, 0.0f);  // stereo, 1 s
    s[2 * 22050 + 1] = 0.8f;                // one click in the right channel at 0.5 s
    const IntensityMeter m(make_audio(s, 2));
    EXPECT_FLOAT_EQ(m.at(0.49, 0.02), 1.0f);   // the click is inside [0.49, 0.51)
    EXPECT_EQ(m.at(0.40, 0.02), 0.0f);         // before it
}

TEST(Intensity, AnAllQuietTrackFallsBackToFullScaleAndNothingIsNaN)
{
    std::vector<float> s(44100, 0.0f);
    for (std::size_t i = 0; i < s.size(); ++i)
        s[i] = (i % 2 ? 1.0f : -1.0f) * 3e-4f;  // −70 dBFS
    s[100] = std::numeric_limits<float>::quiet_NaN();
    const IntensityMeter m(make_audio(s, 1));
    EXPECT_TRUE(m.full_scale());
    const float v = m.at(0.5, 1.0 / 30);
    EXPECT_FALSE(std::isnan(v));
    EXPECT_NEAR(v, 3e-4f, 1e-5f);
    EXPECT_FALSE(std::isnan(m.at(0.0, 1.0 / 30)));
}

TEST(ConditioningTrack, ASilentFileGivesZeroIntensityAndNoNaNAnywhere)
{
    testing::TempDir dir("audio");
    write_wav(dir / "silence.wav", Signal(48000, 4.0));
    const DecodedAudio audio = decode_audio(dir / "silence.wav");
    const BeatTrack beats = track_beats(audio);
    EXPECT_TRUE(beats.beats.empty());
    ConditioningSources src;
    src.beats = BeatClock(beats.beats, beats.downbeat);
    src.intensity = IntensityMeter(audio);
    const ConditioningTrack track = ConditioningTrack::build(30.0, 120, 0.0, src);
    ASSERT_EQ(track.size(), 120u);
    for (const ConditioningFrame& f : track.frames()) {
        EXPECT_EQ(f.audio_intensity, 0.0f);
        for (float v : f.cond())
            EXPECT_FALSE(std::isnan(v));
        EXPECT_EQ(f.beat_phase, 0.0f);
    }
}

TEST(ConditioningTrack, SilenceGapsInMusicGiveExactlyZeroIntensity)
{
    testing::TempDir dir("audio");
    // Music over [0.5, 4.5) and [8.5, 11.5); digital silence elsewhere. After the music stops the
    // envelope releases (0.25 s time constant) and is under the −80 dBFS gate within ~2.2 s.
    Signal s(48000, 15.0);
    mix_into(s, drum_track(steady_beats(120.0, 0.0, 4.0), 4.0, 5), 0.5);
    mix_into(s, drum_track(steady_beats(120.0, 0.0, 3.0), 3.0, 6), 8.5);
    write_wav(dir / "gaps.wav", s);
    const DecodedAudio audio = decode_audio(dir / "gaps.wav");
    ConditioningSources src;
    src.intensity = IntensityMeter(audio);
    const double fps = 25.0;
    const ConditioningTrack track = ConditioningTrack::build(fps, 375, 0.0, src);
    for (const ConditioningFrame& f : track.frames()) {
        EXPECT_FALSE(std::isnan(f.audio_intensity));
        const double end = f.time + 1.0 / fps;
        if (end <= 0.5 || (f.time > 6.8 && end <= 8.5) || f.time > 13.8) {
            EXPECT_EQ(f.audio_intensity, 0.0f) << "t = " << f.time;
        }
        if (f.time > 1.0 && f.time < 4.0) {
            EXPECT_GT(f.audio_intensity, 0.1f) << "t = " << f.time;
        }
    }
}

TEST(Reactivity, ScalesBeatPhaseAndIntensityAroundTheRestAndClampsLeavingTheStyles)
{
    const Conditioning rest{0.0f, 0.0f, 0.5f, 0.5f, 1.0f};
    const Conditioning music{0.75f, 0.25f, 0.9f, 0.2f, 0.3f};
    EXPECT_EQ(apply_reactivity(music, rest, 1.0f), music);
    EXPECT_EQ(apply_reactivity(music, rest, 0.0f), (Conditioning{0.0f, 0.0f, 0.5f, 0.2f, 0.3f}));
    EXPECT_EQ(apply_reactivity(music, rest, 0.5f), (Conditioning{0.375f, 0.25f, 0.7f, 0.2f, 0.3f}));
    const Conditioning twice = apply_reactivity(music, rest, 2.0f);
    EXPECT_EQ(twice[0], 1.0f);  // 1.5 clamped
    EXPECT_EQ(twice[1], 0.25f);  // beat_norm: a phase, never scaled
    EXPECT_FLOAT_EQ(twice[2], 1.0f);  // 1.3 clamped
    EXPECT_EQ(apply_reactivity({0.1f, 0.0f, 0.1f, 0.0f, 0.0f}, rest, 2.0f)[2], 0.0f);  // -0.3 clamped
    for (const float bad : {-0.01f, 2.01f, std::numeric_limits<float>::quiet_NaN()})
        EXPECT_THROW(apply_reactivity(music, rest, bad), std::invalid_argument) << bad;
}

// beat_norm wraps from 1 to 0 at every bar start; the models' response to it is periodic, so the wrap
// is invisible only while beat_norm itself is continuous on the circle: no reactivity may scale it.
TEST(Reactivity, BeatNormCrossesTheBarStartWithoutAJumpAtAnyReactivity)
{
    const Conditioning rest{1.0f, 0.0f, 0.5f, 0.5f, 1.0f};
    for (const float r : {0.25f, 0.5f, 1.0f, 1.5f, 2.0f}) {
        const float before = apply_reactivity({0.5f, 0.999f, 0.5f, 0.5f, 1.0f}, rest, r)[1];
        const float after = apply_reactivity({0.5f, 0.0f, 0.5f, 0.5f, 1.0f}, rest, r)[1];
        const float step = std::min(std::abs(after - before), 1.0f - std::abs(after - before));  // on the circle
        EXPECT_LE(step, 0.0011f) << "reactivity " << r << ": beat_norm " << before << " -> " << after;
    }
    EXPECT_EQ(apply_reactivity({0.5f, 0.7f, 0.5f, 0.5f, 1.0f}, rest, 0.0f)[1], 0.0f);  // R = 0 rests
}

TEST(Reactivity, SourcesTakeTheStylesFromTheRestValuesUnlessTheUserGivesThem)
{
    std::ostringstream notes;
    std::string from;
    const ConditioningChoice choice{{0.0f, 0.0f, 0.5f, 0.4f, 1.0f}, std::nullopt, StyleCurve(0.2f), 0.0f};
    const ConditioningSources s =
        build_conditioning_sources("x", BeatChoice{120.0, 0.0, {}}, choice, std::nullopt, 0.0, 10.0, from, notes);
    // R = 0: the beat grid moves nothing; the styles are the rest's style_p0 and the user's style_p1.
    EXPECT_EQ(s.at(1.25, 1.0 / 30), (Conditioning{0.0f, 0.0f, 0.5f, 0.4f, 0.2f}));
    ConditioningChoice bad = choice;
    bad.reactivity = 3.0f;
    EXPECT_THROW(build_conditioning_sources("x", BeatChoice{}, bad, std::nullopt, 0.0, 1.0, from, notes),
                 std::invalid_argument);
}

// The one rule for a value no source gives (docs/formats.md, "Conditioning: defaults and
// reactivity"): it is the rest value, at any reactivity; silent audio still measures 0.
TEST(Reactivity, AValueNoSourceGivesIsItsRestValue)
{
    const Conditioning rest{0.25f, 0.125f, 0.5f, 0.4f, 0.8f};
    std::ostringstream notes;
    std::string from;
    for (const float r : {0.0f, 1.0f, 2.0f}) {
        const ConditioningChoice choice{rest, std::nullopt, std::nullopt, r};
        const ConditioningSources none =
            build_conditioning_sources("x", BeatChoice{}, choice, std::nullopt, 0.0, 10.0, from, notes);
        EXPECT_EQ(none.at(1.3, 1.0 / 30), rest) << "R = " << r;
        // A BPM grid without audio: the beats move, audio_intensity rests.
        const ConditioningSources grid =
            build_conditioning_sources("x", BeatChoice{120.0, 0.0, {}}, choice, std::nullopt, 0.0, 10.0, from, notes);
        EXPECT_EQ(grid.at(1.3, 1.0 / 30)[2], rest[2]) << "R = " << r;
    }
    EXPECT_NE(notes.str().find("no audio stream: audio_intensity is 0.5"), std::string::npos) << notes.str();
    // Silent audio is audio: intensity 0; it has no beats, so those rest.
    const ConditioningChoice choice{rest, std::nullopt, std::nullopt, 1.0f};
    const ConditioningSources silent = build_conditioning_sources(
        "x", BeatChoice{}, choice, make_audio(std::vector<float>(48000, 0.0f), 1), 0.0, 1.0, from, notes);
    EXPECT_EQ(silent.at(0.5, 1.0 / 30), (Conditioning{0.25f, 0.125f, 0.0f, 0.4f, 0.8f}));
}

TEST(ConditioningTrack, CsvRoundTripsExactly)
{
    ConditioningSources src;
    src.beats = BeatClock({0.1, 0.6, 1.05, 1.61, 2.0}, 3);
    src.style0 = StyleCurve::parse("0:0,2:1");
    src.style1 = StyleCurve(0.3f);
    std::vector<float> samples(3 * 44100);
    for (std::size_t i = 0; i < samples.size(); ++i)
        samples[i] = static_cast<float>(0.7 * std::sin(static_cast<double>(i) * 0.05) * std::exp(-static_cast<double>(i % 22050) / 5000.0));
    src.intensity = IntensityMeter(make_audio(samples, 1));
    const ConditioningTrack track = ConditioningTrack::build(24000.0 / 1001.0, 70, 0.0, src);
    const std::string csv = format_conditioning_csv(track);
    EXPECT_EQ(csv.substr(0, csv.find('\n')), conditioning_csv_header);

    const ConditioningTrack back = parse_conditioning_csv(csv, "track.csv");
    ASSERT_EQ(back.size(), track.size());
    for (std::size_t i = 0; i < track.size(); ++i) {
        EXPECT_EQ(back[i].frame, track[i].frame);
        EXPECT_NEAR(back[i].time, track[i].time, 5e-7);
        EXPECT_EQ(back[i].cond(), track[i].cond()) << "frame " << i;
    }
    EXPECT_EQ(format_conditioning_csv(back), csv);
    EXPECT_EQ(back.at_time(1.0).frame, static_cast<std::int64_t>(std::floor(1.0 * 24000.0 / 1001.0)));
    EXPECT_EQ(back.at_time(-5.0).frame, 0);
}

TEST(ConditioningTrack, BadCsvIsRefusedWithFileAndLine)
{
    const std::string header = std::string(conditioning_csv_header) + "\n";
    const struct {
        std::string text;
        std::string where;
    } cases[] = {
        {"frame,time\n0,0\n", "t.csv:1: "},
        {header + "0,0,0,0,0,0.5,0.5\n1,0.04,0.5,0.1,1.5,0.5,0.5\n", "t.csv:3: "},
        {header + "0,0,0,0,0,0.5,0.5\n2,0.04,0.5,0.1,0.5,0.5,0.5\n", "t.csv:3: "},
        {header + "0,0.1,0,0,0,0.5,0.5\n1,0.1,0.5,0.1,0.5,0.5,0.5\n", "t.csv:3: "},
        {header + "0,0,0,0,0,0.5\n", "t.csv:2: "},
        {header + "0,0,zero,0,0,0.5,0.5\n", "t.csv:2: "},
        {header + "0,0,nan,0,0,0.5,0.5\n", "t.csv:2: "},
        {"", "t.csv: "},
    };
    for (const auto& c : cases) {
        const std::string what = error_of<ConditioningFileError>([&] { parse_conditioning_csv(c.text, "t.csv"); });
        EXPECT_TRUE(is_one_line(what)) << what;
        EXPECT_EQ(what.rfind(c.where, 0), 0u) << what;
    }
}

TEST(BeatTimesFile, CommentsAndBlankLinesAreSkippedAndTheWriterReadsBack)
{
    const auto beats = parse_beat_times("# my beats\n0.5\n\n  1.0   # second\n1.5\r\n", "b.txt");
    EXPECT_EQ(beats, (std::vector<double>{0.5, 1.0, 1.5}));
    EXPECT_EQ(parse_beat_times(format_beat_times(beats), "x"), beats);
}

TEST(BeatTimesFile, ErrorsNameFileAndLine)
{
    const struct {
        const char* text;
        const char* where;
    } cases[] = {
        {"0.5\n1.0\nabc\n", "b.txt:3: "},
        {"0.5\n# c\n0.5\n", "b.txt:3: "},
        {"1.0\n0.9\n", "b.txt:2: "},
        {"1.0 2.0\n", "b.txt:1: "},
        {"inf\n", "b.txt:1: "},
    };
    for (const auto& c : cases) {
        const std::string what = error_of<BeatFileError>([&] { parse_beat_times(c.text, "b.txt"); });
        EXPECT_TRUE(is_one_line(what)) << what;
        EXPECT_EQ(what.rfind(c.where, 0), 0u) << what;
    }
    testing::TempDir dir("audio");
    const std::string what = error_of<BeatFileError>([&] { read_beat_times(dir / "none.txt"); });
    EXPECT_EQ(what.rfind((dir / "none.txt").string() + ": ", 0), 0u) << what;
}

// The user's text is quoted as a short excerpt: a 1 MB line, a NUL byte or bytes that are not
// UTF-8 keep the message one short line of printable ASCII (a VapourSynth vs.Error must decode).
TEST(BeatTimesFile, BadTextIsQuotedAsAShortPrintableExcerpt)
{
    const std::string long_line(1 << 20, 'x');
    const std::string header = std::string(conditioning_csv_header) + "\n";
    const std::string messages[] = {
        error_of<BeatFileError>([&] { parse_beat_times(long_line + "\n", "b.txt"); }),
        error_of<BeatFileError>([&] { parse_beat_times(std::string("1.0\0\xff\xfe", 6), "b.txt"); }),
        error_of<BeatFileError>([&] { parse_beat_times("2\n" + std::string(1 << 20, '0') + "1\n", "b.txt"); }),
        error_of<ConditioningFileError>([&] { parse_conditioning_csv(long_line + "\n", "t.csv"); }),
        error_of<ConditioningFileError>([&] { parse_conditioning_csv(header + long_line + ",0,0,0,0,0,0\n", "t.csv"); }),
        error_of<ConditioningFileError>([&] { parse_conditioning_csv(header + "0,0,\x80\x81,0,0,0,0\n", "t.csv"); }),
    };
    for (const std::string& what : messages) {
        EXPECT_TRUE(is_one_line(what)) << what;
        EXPECT_LT(what.size(), 200u) << what.substr(0, 200);
        for (const char ch : what)
            EXPECT_TRUE(ch >= ' ' && ch <= '~') << "byte " << int(static_cast<unsigned char>(ch)) << " in " << what;
    }
}

TEST(Downbeat, TheBarStartIsTheBeatWithTheMostLowFrequencyOnsetEnergy)
{
    // Kick on beat 1 of each bar (bars start at reference beat 3), and an extra kick on the first
    // beat of every 8-beat phrase (reference beats 7, 15, ...).
    testing::TempDir dir("audio");
    const auto ref = steady_beats(110.0, 0.4, 24.0);
    Signal s = drum_track(ref, 24.5, 9, 3);
    for (std::size_t k = 7; k < ref.size(); k += 8)
        add_kick(s, ref[k], 0.8f);
    write_wav(dir / "bars.wav", s, 2, {0.5f, 0.5f});
    const BeatTrack track = track_beats(decode_audio(dir / "bars.wav"));
    ASSERT_GT(track.beats.size(), 16u);
    for (std::size_t k = static_cast<std::size_t>(track.downbeat); k < track.beats.size(); k += 8) {
        std::size_t nearest = 0;
        for (std::size_t j = 0; j < ref.size(); ++j)
            if (std::abs(ref[j] - track.beats[k]) < std::abs(ref[nearest] - track.beats[k]))
                nearest = j;
        EXPECT_EQ(nearest % 8, 7u) << "tracked beat " << k << " at " << track.beats[k] << " s";
    }
}

TEST(ConditioningTrack, CsvRoundTripFindsEachFrameAtItsOwnTime)
{
    std::vector<ConditioningFrame> frames;
    for (int i = 0; i < 48; ++i) {
        ConditioningFrame f;
        f.frame = i;
        f.time = i / 24.0;
        f.beat_phase = static_cast<float>(i) / 48.0f;
        frames.push_back(f);
    }
    const ConditioningTrack track =
        parse_conditioning_csv(format_conditioning_csv(ConditioningTrack(frames)), "track.csv");
    for (int i = 0; i < 48; ++i)
        EXPECT_EQ(track.at_time(i / 24.0).frame, i) << "frame " << i << " at " << i / 24.0 << " s";
}

// A 24 fps video in a millisecond time base (Matroska) has its frame 2 at 0.083 s, before the
// row at 0.083333 s: with half a frame of slack every frame still finds its own row.
TEST(ConditioningTrack, MillisecondFrameTimesFindTheirRowWithHalfAFrameOfSlack)
{
    std::vector<ConditioningFrame> frames;
    for (int i = 0; i < 48; ++i) {
        ConditioningFrame f;
        f.frame = i;
        f.time = i / 24.0;
        frames.push_back(f);
    }
    const ConditioningTrack track =
        parse_conditioning_csv(format_conditioning_csv(ConditioningTrack(frames)), "track.csv");
    for (int i = 0; i < 48; ++i) {
        const double ms = std::floor(i * 1000.0 / 24.0) / 1000.0;  // what a 1/1000 time base keeps
        EXPECT_EQ(track.at_time(ms, 0.5 / 24.0).frame, i) << "frame " << i << " at " << ms << " s";
    }
    EXPECT_EQ(track.at_time(0.083).frame, 1);  // without slack the rounded time falls a row short
}

}  // namespace
}  // namespace cnnv3::test
