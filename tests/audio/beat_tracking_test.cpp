// Beat-tracking accuracy on synthetic tracks, through the real decode path (16-bit stereo WAV at
// 48 kHz, decoded and resampled to 44.1 kHz), against aubio's own tracker on the same audio.
// The measured numbers are printed as a table at the end of the run and recorded as test properties.

#include "aubio_beats.h"
#include "audio_decode.h"
#include "beat_clock.h"
#include "beat_metrics.h"
#include "beat_tracker.h"
#include "synth.h"
#include "../temp_dir.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace cnnv3::test {
namespace {

struct Row {
    std::string track;
    double f = 0, f_after_5s = 0, phase_error = 0, aubio_f = 0, aubio_f_after_5s = 0, aubio_phase_error = 0;
    std::size_t beats = 0, reference = 0;
};

std::vector<Row>& results()
{
    static std::vector<Row> rows;
    return rows;
}

class PrintTable : public ::testing::Environment {
public:
    void TearDown() override
    {
        if (results().empty())
            return;
        std::printf("\nBeat tracking on synthetic tracks (F-measure at ±70 ms; F>5s skips the first 5 s as MIREX does;\n"
                    "phase error = mean |beat_phase - true beat_phase| in beats)\n");
        std::printf("%-30s %6s %6s %7s %6s | %8s %8s %8s\n", "track", "F", "F>5s", "phase", "beats", "aubio F", "F>5s",
                    "phase");
        for (const Row& r : results())
            std::printf("%-30s %6.3f %6.3f %7.4f %3zu/%-3zu| %8.3f %8.3f %8.4f\n", r.track.c_str(), r.f, r.f_after_5s,
                        r.phase_error, r.beats, r.reference, r.aubio_f, r.aubio_f_after_5s, r.aubio_phase_error);
        std::fflush(stdout);
    }
};

const auto* const table = ::testing::AddGlobalTestEnvironment(new PrintTable);

// Writes the track as a WAV, decodes it, tracks it with both trackers; records and returns the row.
Row measure(const std::string& name, Signal signal, const std::vector<double>& reference, BeatTrack* out = nullptr)
{
    testing::TempDir dir("audio");
    // Peak-normalise to -2 dBFS so noise never clips.
    float peak = 0.0f;
    for (float v : signal.samples)
        peak = std::max(peak, std::abs(v));
    for (float& v : signal.samples)
        v *= 0.8f / peak;
    const auto wav = dir / "track.wav";
    write_wav(wav, signal);
    const DecodedAudio audio = decode_audio(wav);
    const BeatTrack track = track_beats(audio);
    const std::vector<double> aubio = aubio_beat_times(audio);

    Row r;
    r.track = name;
    r.f = f_measure(track.beats, reference);
    r.f_after_5s = f_measure(track.beats, reference, 0.07, 5.0);
    r.phase_error = mean_phase_error(track.beats, reference);
    r.aubio_f = f_measure(aubio, reference);
    r.aubio_f_after_5s = f_measure(aubio, reference, 0.07, 5.0);
    r.aubio_phase_error = mean_phase_error(aubio, reference);
    r.beats = track.beats.size();
    r.reference = reference.size();
    results().push_back(r);
    ::testing::Test::RecordProperty(name + " F", std::to_string(r.f));
    ::testing::Test::RecordProperty(name + " phase_error", std::to_string(r.phase_error));
    ::testing::Test::RecordProperty(name + " aubio F", std::to_string(r.aubio_f));
    if (out)
        *out = track;
    return r;
}

constexpr double seconds = 30.0;
const double tempos[] = {72.0, 100.0, 128.0, 174.0};

TEST(BeatTracking, ClicksAtSteadyTemposAreFoundWithinSeventyMilliseconds)
{
    for (double bpm : tempos) {
        const auto ref = steady_beats(bpm, 0.5, seconds - 0.3);
        const Row r = measure("clicks " + std::to_string(static_cast<int>(bpm)) + " BPM", click_track(ref, seconds), ref);
        EXPECT_GE(r.f, 0.95) << bpm << " BPM";
        EXPECT_LE(r.phase_error, 0.05) << bpm << " BPM";
    }
}

TEST(BeatTracking, DrumPatternsAtSteadyTemposAreTrackedOnTheQuarterNotes)
{
    for (double bpm : tempos) {
        const auto ref = steady_beats(bpm, 0.5, seconds - 0.3);
        const Row r = measure("drums " + std::to_string(static_cast<int>(bpm)) + " BPM", drum_track(ref, seconds, 7), ref);
        EXPECT_GE(r.f, 0.95) << bpm << " BPM";
        EXPECT_LE(r.phase_error, 0.05) << bpm << " BPM";
    }
}

TEST(BeatTracking, DrumPatternsSurviveZeroDecibelWhiteNoise)
{
    for (double bpm : tempos) {
        const auto ref = steady_beats(bpm, 0.5, seconds - 0.3);
        Signal s = drum_track(ref, seconds, 11);
        add_white_noise(s, 0.0, 12);
        const Row r = measure("drums+noise 0dB " + std::to_string(static_cast<int>(bpm)) + " BPM", std::move(s), ref);
        EXPECT_GE(r.f, 0.95) << bpm << " BPM";
        EXPECT_LE(r.phase_error, 0.05) << bpm << " BPM";
    }
}

TEST(BeatTracking, OtherGroovesStayOnTheQuarterNotes)
{
    // A kick on every beat with a loud backbeat must not read as half tempo; loud eighth-note
    // hi-hats at a slow tempo must not read as double tempo.
    const auto ref120 = steady_beats(120.0, 0.5, seconds - 0.3);
    const Row a = measure("four-on-the-floor 120 BPM", drum_track(ref120, seconds, 51, 0, Groove::four_on_floor), ref120);
    EXPECT_GE(a.f, 0.95);
    EXPECT_LE(a.phase_error, 0.05);
    const auto ref72 = steady_beats(72.0, 0.5, seconds - 0.3);
    const Row b = measure("loud eighth hats 72 BPM", drum_track(ref72, seconds, 52, 0, Groove::loud_eighths), ref72);
    EXPECT_GE(b.f, 0.95);
    EXPECT_LE(b.phase_error, 0.05);
}

TEST(BeatTracking, TempoRampIsFollowed)
{
    const auto ref = ramp_beats(100.0, 140.0, 30.0, 0.5, 32.0);
    const Row r = measure("drums ramp 100->140 BPM", drum_track(ref, 32.5, 21), ref);
    EXPECT_GE(r.f, 0.85);
    EXPECT_LE(r.phase_error, 0.05);
    Signal noisy = drum_track(ref, 32.5, 22);
    add_white_noise(noisy, 0.0, 23);
    const Row n = measure("drums+noise ramp 100->140 BPM", std::move(noisy), ref);
    EXPECT_GE(n.f, 0.85);
    EXPECT_LE(n.phase_error, 0.05);
}

TEST(BeatTracking, TempoJumpIsFollowed)
{
    auto ref = steady_beats(120.0, 0.5, 15.0);
    for (double t : steady_beats(90.0, ref.back() + 60.0 / 90.0, 30.0))
        ref.push_back(t);
    const Row r = measure("drums jump 120->90 BPM", drum_track(ref, 30.5, 31), ref);
    EXPECT_GE(r.f, 0.85);
    EXPECT_LE(r.phase_error, 0.05);
    Signal noisy = drum_track(ref, 30.5, 32);
    add_white_noise(noisy, 0.0, 33);
    const Row n = measure("drums+noise jump 120->90 BPM", std::move(noisy), ref);
    EXPECT_GE(n.f, 0.85);
    EXPECT_LE(n.phase_error, 0.05);
}

TEST(BeatTracking, NoBeatsArePlacedInSilenceGapsAndTrackingResumesAfter)
{
    // 10 s at 120 BPM, 4 s of digital silence, 10 s at 120 BPM off the old grid, 3 s silence, 10 s at 100 BPM.
    std::vector<double> ref;
    for (double t : steady_beats(120.0, 0.5, 10.3))
        ref.push_back(t);
    for (double t : steady_beats(120.0, 14.63, 24.5))
        ref.push_back(t);
    for (double t : steady_beats(100.0, 27.8, 37.7))
        ref.push_back(t);
    Signal s(48000, 38.5);
    // Build the three parts on one timeline, each cut off at its end so the gaps are true silence.
    auto build = [&](double from, double to, std::uint32_t seed) {
        std::vector<double> beats;
        for (double t : ref)
            if (t >= from && t < to)
                beats.push_back(t - from);
        const Signal d = drum_track(beats, to - from + 0.25, seed);
        mix_into(s, d, from);
    };
    build(0.0, 10.5, 41);
    build(14.5, 24.5, 42);
    build(27.5, 38.0, 43);
    BeatTrack track;
    const Row r = measure("drums with silence gaps", s, ref, &track);
    EXPECT_GE(r.f, 0.95);
    EXPECT_LE(r.phase_error, 0.05);
    for (double b : track.beats) {
        EXPECT_FALSE(b > 11.2 && b < 14.5) << "beat at " << b << " s inside the first gap";
        EXPECT_FALSE(b > 25.2 && b < 27.5) << "beat at " << b << " s inside the second gap";
    }
}

TEST(BeatTracking, LoudOffBeatCymbalsDoNotPullTheBeatsOffTheKick)
{
    // Snare and open hi-hats louder than the kick, the hi-hats on the off-beats: most broadband
    // energy sits between the beats, the kick and bass on them (issue 11: the off-beat phase lock).
    for (double bpm : {100.0, 140.0}) {
        const auto ref = steady_beats(bpm, 0.5, seconds - 0.3);
        const Row r = measure("loud off-beat cymbals " + std::to_string(static_cast<int>(bpm)) + " BPM",
                              drum_track(ref, seconds, 61, 0, Groove::loud_offbeats), ref);
        EXPECT_GE(r.f, 0.95) << bpm << " BPM";
        EXPECT_LE(r.phase_error, 0.05) << bpm << " BPM";
    }
}

TEST(BeatTracking, SlowBalladIsNotTrackedAtTwiceItsTempo)
{
    // 95 BPM with even eighth-note hi-hats and a kick on the "and" of 2: the eighths are a strong
    // pulse, but the beat is the quarter note (issue 11: a 95 BPM song tracked at 190).
    const auto ref = steady_beats(95.0, 0.5, seconds - 0.3);
    const Row r = measure("ballad 95 BPM", drum_track(ref, seconds, 62, 0, Groove::ballad), ref);
    EXPECT_GE(r.f, 0.95);
    EXPECT_LE(r.phase_error, 0.05);
    EXPECT_LE(r.beats, ref.size() + 2);
}

TEST(BeatTracking, SlowBeatsWithFaintOffBeatsAreNotTrackedAtTwiceTheirTempo)
{
    // 60-76 BPM clicks with a click 18 dB softer on every off-beat: the bar decoder takes the
    // off-beats as beats (120-152 BPM), but at the weak half of its beats every observation
    // (flux, loudness, low and mid band) is far under the strong half, so the metrical-level check
    // (beat_tracker.h, step 4c) halves the tempo and keeps the strong half.
    for (double bpm : {60.0, 68.0, 76.0}) {
        const auto ref = steady_beats(bpm, 0.5, seconds - 0.3);
        Signal s(48000, seconds);
        const double beat = 60.0 / bpm;
        for (double t : ref) {
            add_click(s, t, 0.8f);
            if (t + beat / 2 < seconds - 0.1)
                add_click(s, t + beat / 2, 0.1f);
        }
        const Row r = measure("clicks + faint off-beats " + std::to_string(static_cast<int>(bpm)) + " BPM", std::move(s), ref);
        EXPECT_GE(r.f, 0.95) << bpm << " BPM";
        EXPECT_LE(r.phase_error, 0.05) << bpm << " BPM";
        EXPECT_LE(r.beats, ref.size() + 2) << bpm << " BPM";
    }
}

TEST(BeatTracking, BeatingPadUnderPluckedNotesIsNotTrackedAtTwiceItsTempo)
{
    // No drums: plucked notes on the beats over a pad whose partials beat at 37-59 Hz. The pad's
    // power ripples every 17-27 ms; taken over 8.7 ms, those ripples read as accents between the
    // beats as well as on them, and the tracker tapped eighth notes (95-105 BPM tracked at 190-210,
    // like the drumless MIDI songs of bench/beats_real_music.sh). Over 17 ms (accent_lag) they
    // cancel, and the plucks' attacks stand out.
    for (double bpm : {95.0, 100.0, 105.0}) {
        const auto ref = steady_beats(bpm, 0.5, seconds - 0.5);
        const Row r = measure("beating pad + plucks " + std::to_string(static_cast<int>(bpm)) + " BPM",
                              pad_track(ref, seconds), ref);
        EXPECT_GE(r.f, 0.95) << bpm << " BPM";
        EXPECT_LE(r.phase_error, 0.05) << bpm << " BPM";
        EXPECT_LE(r.beats, ref.size() + 2) << bpm << " BPM";
    }
}

TEST(BeatTracking, SwellingChordsAreTrackedAtTheirOnsetsNotWhereTheirPowerRisesMost)
{
    // No drums: legato chords that swell in over 50-100 ms, as organs and strings do. The bar
    // decoder weighs power rises, steepest late in the swell; without the common shift onto the
    // flux (step 4d, align_reach = 0) the beats land 40 ms (50 ms swell) and 83 ms (100 ms swell)
    // late, F 0.09 at 120 BPM with the 100 ms swell (openmsx chemistry_lab of the MIDI set, an
    // organ, was 70 ms late).
    // (Slower swells, 100 ms at 100, 130-160 BPM, are decoded at 3/4 of their tempo with or without the
    // shift: bench/RESULTS.md, session 8.)
    for (const double attack : {0.05, 0.1}) {
        for (const double bpm : {110.0, 120.0}) {
            const auto ref = steady_beats(bpm, 0.5, seconds - 0.5);
            const std::string name = "swell " + std::to_string(static_cast<int>(attack * 1000)) + " ms " +
                                     std::to_string(static_cast<int>(bpm)) + " BPM";
            const Row r = measure(name, swell_track(ref, seconds, attack), ref);
            EXPECT_GE(r.f, 0.95) << name;
            EXPECT_LE(r.phase_error, 0.05) << name;
        }
    }
}

TEST(BeatTracking, AnIntroOfEvenEighthsIsNotTrackedAtTwiceTheSongsTempo)
{
    // 8 s of equally loud clicks on every eighth note, then the rock groove at the same tempo. On
    // the intro alone both levels fit; the song's level is the groove's. With a charge of 6 for a
    // jump to any tempo the bar decoder tapped the intro's eighths and jumped to the groove's
    // quarters (F 0.898 / 0.907: 54 and 59 beats for 44 and 49); at 12 (BarPointerOptions::
    // jump_cost) one level holds the whole clip, as in the MIDI dev song freedoom2 TENSE (its first
    // 7 s were tracked at twice the tempo).
    for (double bpm : {90.0, 100.0}) {
        const auto ref = steady_beats(bpm, 0.5, seconds - 0.3);
        const double intro = 8.0, beat = 60.0 / bpm;
        std::vector<double> groove;
        for (double t : ref)
            if (t >= intro)
                groove.push_back(t);
        Signal s = drum_track(groove, seconds, 71);
        for (double t : ref)
            if (t < intro) {
                add_click(s, t, 0.5f);
                add_click(s, t + beat / 2, 0.5f);
            }
        const Row r = measure("eighths intro + rock " + std::to_string(static_cast<int>(bpm)) + " BPM", std::move(s), ref);
        EXPECT_GE(r.f, 0.95) << bpm << " BPM";
        EXPECT_LE(r.beats, ref.size() + 2) << bpm << " BPM";
    }
}

TEST(BeatTracking, TwoSecondLoopKeepsTempoAndPhaseWhenFiftyMillisecondsAreAddedOrRemoved)
{
    // A 2 s excerpt of a 120 BPM groove (the rock pattern, and loud cymbals on the off-beats), its
    // start and end each moved by -50, 0 or +50 ms: every version must give the beats of the true
    // grid (issue 11: a short loop tracked at 60, 120 or 240 BPM or on the off-beats depending on
    // a few ms of audio, so two tools cutting it differently disagreed).
    const double bpm = 120.0;
    const auto grid = steady_beats(bpm, 0.25, 4.0);
    for (Groove groove : {Groove::rock, Groove::loud_offbeats}) {
        const Signal full = drum_track(grid, 4.0, 63, 0, groove);
        for (double da : {-0.05, 0.0, 0.05})
            for (double db : {-0.05, 0.0, 0.05}) {
                const double a = 1.0 + da, b = 3.0 + db;
                Signal clip(full.rate, b - a);
                const auto first = static_cast<std::size_t>(std::llround(a * full.rate));
                for (std::size_t i = 0; i < clip.samples.size(); ++i)
                    clip.samples[i] = full.samples[first + i];
                testing::TempDir dir("audio");
                write_wav(dir / "loop.wav", clip);
                const BeatTrack track = track_beats(decode_audio(dir / "loop.wav"));
                const std::string what = std::string(groove == Groove::rock ? "rock" : "off-beat cymbals") + " loop [" +
                                         std::to_string(a) + ", " + std::to_string(b) + ") s";
                ASSERT_GE(track.beats.size(), 3u) << what;
                for (double t : track.beats) {
                    // The true beats lie at 0.25 + k/2 s on the full track's timeline.
                    const double on_grid = (t + a - 0.25) * bpm / 60.0;
                    const double off = on_grid - std::round(on_grid);
                    EXPECT_LE(std::abs(off) * 60.0 / bpm, 0.025) << what << ": beat at " << t << " s";
                }
                for (std::size_t k = 1; k < track.beats.size(); ++k)
                    EXPECT_NEAR(track.beats[k] - track.beats[k - 1], 60.0 / bpm, 0.03) << what;
                // No true beat lost inside the loop: a soft kick between loud snares is a beat, not
                // a weak onset to trim (only one within 60 ms of a cut may go).
                for (double g = 0.25; g < 4.0; g += 60.0 / bpm) {
                    const double t = g - a;
                    if (t < 0.06 || t > (b - a) - 0.06)
                        continue;
                    bool found = false;
                    for (double x : track.beats)
                        found = found || std::abs(x - t) <= 0.025;
                    EXPECT_TRUE(found) << what << ": no beat near the true beat at " << t << " s";
                }
            }
    }
}

}  // namespace
}  // namespace cnnv3::test
