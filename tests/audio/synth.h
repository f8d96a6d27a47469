// Synthetic test audio for the audio-layer tests: beat grids (steady, ramp, jump), clicks and a
// kick/snare/hi-hat drum kit, white noise at a given SNR, and a 16-bit PCM WAV writer. Everything
// is deterministic (fixed seeds).
#pragma once

#include <cstdint>
#include <filesystem>
#include <random>
#include <vector>

namespace cnnv3::test {

// Beat times of a steady tempo from `first` up to `end` (exclusive).
std::vector<double> steady_beats(double bpm, double first, double end);
// Tempo moving linearly from bpm0 to bpm1 over [first, first + ramp_s], then held until `end`.
std::vector<double> ramp_beats(double bpm0, double bpm1, double ramp_s, double first, double end);

// A mono signal at `rate` Hz, `seconds` long, to which instruments are added.
struct Signal {
    int rate = 48000;
    std::vector<float> samples;
    Signal(int rate_hz, double seconds);
    double duration() const { return static_cast<double>(samples.size()) / rate; }
};

// A metronome click at t: a 2 kHz + 5 kHz burst decaying in a few milliseconds.
void add_click(Signal& s, double t, float amplitude);
// A kick drum at t: a sine gliding from 150 Hz to 45 Hz, decaying over ~150 ms.
void add_kick(Signal& s, double t, float amplitude);
// A snare at t: a 190 Hz body plus a noise burst, ~100 ms.
void add_snare(Signal& s, double t, float amplitude, std::mt19937& rng);
// A closed hi-hat at t: high-passed noise, ~25 ms.
void add_hat(Signal& s, double t, float amplitude, std::mt19937& rng);
// An open hi-hat or crash at t: high-passed noise ringing for ~250 ms.
void add_cymbal(Signal& s, double t, float amplitude, std::mt19937& rng);
// A bass note at t: a sine of `hz` with a 5 ms attack, decaying over `seconds`.
void add_bass(Signal& s, double t, float amplitude, double hz, double seconds);

// Clicks on every beat.
Signal click_track(const std::vector<double>& beats, double seconds, int rate = 48000);
// The drum patterns of the tests.
enum class Groove {
    rock,            // kick on beats 1 and 3 (1 accented), snare on 2 and 4, hi-hat on beats and off-beats
    loud_eighths,    // rock with off-beat hi-hats as loud as the on-beat ones (a pull towards twice the tempo)
    four_on_floor,   // kick on every beat, snare on 2 and 4, hi-hats on the off-beats only
    loud_offbeats,   // soft kick and bass on every beat, loud snare on 2 and 4, loud open hi-hats on
                     // the off-beats (most broadband energy between the beats: a pull to the off-beats)
    ballad,          // sparse: kick and bass on 1 and on the "and" of 2, soft snare on 2 and 4,
                     // loud even eighth-note hi-hats (a pull towards twice the tempo)
};
// A 4/4 drum pattern on the beats; `bar_start` is the index of the first beat 1. Off-beats are
// midway to the next beat.
Signal drum_track(const std::vector<double>& beats, double seconds, std::uint32_t seed, int bar_start = 0,
                  Groove groove = Groove::rock, int rate = 48000);
// Drumless: a sustained organ-like pad whose partials each beat against a partner 37-59 Hz above
// (an amplitude ripple with a 17-27 ms period, as chorus, detuned voices or a rotary speaker give),
// its chord changing on every 4th beat, under a plucked note (3 ms attack) on every beat.
Signal pad_track(const std::vector<double>& beats, double seconds, int rate = 48000);
// Drumless: a chord on every beat (3 notes with 3 harmonics, cycling through 4 chords) that swells
// in linearly over `attack_s` and holds until 20 ms before the next beat, as an organ or strings
// played legato. Its power rises fastest near the end of the swell, its log level at the start.
Signal swell_track(const std::vector<double>& beats, double seconds, double attack_s, int rate = 48000);
// Adds white noise whose RMS is the signal's RMS (over its non-silent samples) times 10^(−snr/20).
void add_white_noise(Signal& s, double snr_db, std::uint32_t seed);
// Mixes `b` into `a` starting at `at` seconds.
void mix_into(Signal& a, const Signal& b, double at);

// 16-bit PCM WAV, `channels` copies of the signal (channel c scaled by gains[c] when given).
void write_wav(const std::filesystem::path& path, const Signal& s, int channels = 2, std::vector<float> gains = {});

}  // namespace cnnv3::test
