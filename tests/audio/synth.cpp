#include "synth.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numbers>
#include <stdexcept>

namespace cnnv3::test {

namespace {

constexpr double two_pi = 2.0 * std::numbers::pi;

void put(Signal& s, std::size_t i, double v)
{
    if (i < s.samples.size())
        s.samples[i] += static_cast<float>(v);
}

std::size_t index_of(const Signal& s, double t)
{
    return static_cast<std::size_t>(std::llround(std::max(0.0, t) * s.rate));
}

}  // namespace

std::vector<double> steady_beats(double bpm, double first, double end)
{
    std::vector<double> out;
    for (int k = 0;; ++k) {
        const double t = first + k * 60.0 / bpm;
        if (t >= end)
            break;
        out.push_back(t);
    }
    return out;
}

std::vector<double> ramp_beats(double bpm0, double bpm1, double ramp_s, double first, double end)
{
    // Beat phase φ(τ) = ∫ bpm/60 over τ = t − first; beats where φ is an integer.
    const double a = (bpm1 - bpm0) / ramp_s / 120.0;  // φ = (bpm0/60) τ + a τ² during the ramp
    const double b = bpm0 / 60.0;
    const double phi_ramp = b * ramp_s + a * ramp_s * ramp_s;
    std::vector<double> out;
    for (int k = 0;; ++k) {
        double tau;
        if (k <= phi_ramp)
            tau = std::abs(a) < 1e-12 ? k / b : (-b + std::sqrt(b * b + 4.0 * a * k)) / (2.0 * a);
        else
            tau = ramp_s + (k - phi_ramp) * 60.0 / bpm1;
        const double t = first + tau;
        if (t >= end)
            break;
        out.push_back(t);
    }
    return out;
}

Signal::Signal(int rate_hz, double seconds)
    : rate(rate_hz), samples(static_cast<std::size_t>(std::llround(seconds * rate_hz)), 0.0f)
{
}

void add_click(Signal& s, double t, float amplitude)
{
    const std::size_t i0 = index_of(s, t);
    const auto n = static_cast<std::size_t>(0.02 * s.rate);
    for (std::size_t j = 0; j < n; ++j) {
        const double x = static_cast<double>(j) / s.rate;
        put(s, i0 + j, amplitude * std::exp(-x / 0.003) * (0.7 * std::sin(two_pi * 2000.0 * x) + 0.3 * std::sin(two_pi * 5000.0 * x)));
    }
}

void add_kick(Signal& s, double t, float amplitude)
{
    const std::size_t i0 = index_of(s, t);
    const auto n = static_cast<std::size_t>(0.4 * s.rate);
    double phase = 0.0;
    for (std::size_t j = 0; j < n; ++j) {
        const double x = static_cast<double>(j) / s.rate;
        const double f = 45.0 + 105.0 * std::exp(-x / 0.03);
        phase += two_pi * f / s.rate;
        const double attack = std::min(1.0, x / 0.0005);
        put(s, i0 + j, amplitude * attack * std::exp(-x / 0.15) * std::sin(phase));
    }
}

void add_snare(Signal& s, double t, float amplitude, std::mt19937& rng)
{
    std::uniform_real_distribution<double> noise(-1.0, 1.0);
    const std::size_t i0 = index_of(s, t);
    const auto n = static_cast<std::size_t>(0.25 * s.rate);
    for (std::size_t j = 0; j < n; ++j) {
        const double x = static_cast<double>(j) / s.rate;
        const double attack = std::min(1.0, x / 0.0005);
        const double body = 0.5 * std::exp(-x / 0.04) * std::sin(two_pi * 190.0 * x);
        const double rattle = 0.6 * std::exp(-x / 0.06) * noise(rng);
        put(s, i0 + j, amplitude * attack * (body + rattle));
    }
}

void add_hat(Signal& s, double t, float amplitude, std::mt19937& rng)
{
    std::uniform_real_distribution<double> noise(-1.0, 1.0);
    const std::size_t i0 = index_of(s, t);
    const auto n = static_cast<std::size_t>(0.08 * s.rate);
    double prev = 0.0;
    for (std::size_t j = 0; j < n; ++j) {
        const double x = static_cast<double>(j) / s.rate;
        const double w = noise(rng);
        const double hp = w - prev;  // first difference: a crude high-pass
        prev = w;
        put(s, i0 + j, amplitude * std::exp(-x / 0.012) * hp);
    }
}

void add_cymbal(Signal& s, double t, float amplitude, std::mt19937& rng)
{
    std::uniform_real_distribution<double> noise(-1.0, 1.0);
    const std::size_t i0 = index_of(s, t);
    const auto n = static_cast<std::size_t>(0.6 * s.rate);
    double prev = 0.0;
    for (std::size_t j = 0; j < n; ++j) {
        const double x = static_cast<double>(j) / s.rate;
        const double w = noise(rng);
        const double hp = w - prev;
        prev = w;
        put(s, i0 + j, amplitude * std::min(1.0, x / 0.001) * std::exp(-x / 0.12) * hp);
    }
}

void add_bass(Signal& s, double t, float amplitude, double hz, double seconds)
{
    const std::size_t i0 = index_of(s, t);
    const auto n = static_cast<std::size_t>(seconds * s.rate);
    for (std::size_t j = 0; j < n; ++j) {
        const double x = static_cast<double>(j) / s.rate;
        const double env = std::min(1.0, x / 0.005) * std::exp(-x / (0.5 * seconds)) * std::min(1.0, (seconds - x) / 0.01);
        put(s, i0 + j, amplitude * env * (std::sin(two_pi * hz * x) + 0.3 * std::sin(two_pi * 2.0 * hz * x)));
    }
}

Signal pad_track(const std::vector<double>& beats, double seconds, int rate)
{
    Signal s(rate, seconds);
    const double chords[4][3] = {{220.0, 277.0, 330.0}, {196.0, 247.0, 294.0}, {175.0, 220.0, 262.0}, {196.0, 247.0, 294.0}};
    const double plucks[4] = {220.0, 196.0, 174.0, 196.0};
    for (std::size_t k = 0; k < beats.size(); ++k) {
        const double t = beats[k];
        const std::size_t bar = k / 4;
        if (k % 4 == 0) {
            // The pad holds the chord for the bar (4 beats at the local period).
            const double period = k + 1 < beats.size() ? beats[k + 1] - t : 0.5;
            const std::size_t i0 = index_of(s, t);
            const auto n = static_cast<std::size_t>(4.0 * period * s.rate);
            for (std::size_t j = 0; j < n; ++j) {
                const double x = static_cast<double>(j) / s.rate;
                double v = 0.0;
                for (int p = 0; p < 3; ++p) {
                    const double f = chords[bar % 4][p];
                    v += std::sin(two_pi * f * x) + std::sin(two_pi * (f + 37.0 + 11.0 * p) * x);
                }
                put(s, i0 + j, 0.25 * std::min(1.0, x / 0.15) * v);
            }
        }
        const std::size_t i0 = index_of(s, t);
        const auto n = static_cast<std::size_t>(0.4 * s.rate);
        for (std::size_t j = 0; j < n; ++j) {
            const double x = static_cast<double>(j) / s.rate;
            double v = 0.0;
            for (int h = 1; h <= 4; ++h)
                v += std::sin(two_pi * plucks[bar % 4] * h * x) / h;
            put(s, i0 + j, 0.35 * std::min(1.0, x / 0.003) * std::exp(-x / 0.1) * v);
        }
    }
    return s;
}

Signal swell_track(const std::vector<double>& beats, double seconds, double attack_s, int rate)
{
    Signal s(rate, seconds);
    const double chords[4][3] = {{220.0, 277.0, 330.0}, {196.0, 247.0, 294.0}, {175.0, 220.0, 262.0}, {196.0, 247.0, 294.0}};
    for (std::size_t k = 0; k < beats.size(); ++k) {
        const double period = k + 1 < beats.size() ? beats[k + 1] - beats[k] : (k > 0 ? beats[k] - beats[k - 1] : 0.5);
        const std::size_t i0 = index_of(s, beats[k]);
        const auto n = static_cast<std::size_t>(period * s.rate);
        for (std::size_t j = 0; j < n; ++j) {
            const double x = static_cast<double>(j) / s.rate;
            double v = 0.0;
            for (const double f : chords[k % 4])
                for (int h = 1; h <= 3; ++h)
                    v += std::sin(two_pi * f * h * x) / h;
            const double env = std::min(1.0, x / attack_s) * std::clamp((period - x) / 0.02, 0.0, 1.0);
            put(s, i0 + j, 0.2 * env * v);
        }
    }
    return s;
}

Signal click_track(const std::vector<double>& beats, double seconds, int rate)
{
    Signal s(rate, seconds);
    for (double t : beats)
        add_click(s, t, 0.6f);
    return s;
}

Signal drum_track(const std::vector<double>& beats, double seconds, std::uint32_t seed, int bar_start, Groove groove,
                  int rate)
{
    Signal s(rate, seconds);
    std::mt19937 rng(seed);
    for (std::size_t k = 0; k < beats.size(); ++k) {
        const int pos = ((static_cast<int>(k) - bar_start) % 4 + 4) % 4;
        const double t = beats[k];
        const double offbeat = k + 1 < beats.size() ? 0.5 * (t + beats[k + 1]) : -1.0;
        if (groove == Groove::four_on_floor) {
            add_kick(s, t, 0.8f);
            if (pos == 1 || pos == 3)
                add_snare(s, t, 0.6f, rng);
            if (offbeat >= 0.0)
                add_hat(s, offbeat, 0.25f, rng);
            continue;
        }
        if (groove == Groove::loud_offbeats) {
            add_kick(s, t, 0.35f);
            add_bass(s, t, 0.2f, pos < 2 ? 55.0 : 73.4, 0.2);
            if (pos == 1 || pos == 3)
                add_snare(s, t, 0.8f, rng);
            if (offbeat >= 0.0)
                add_cymbal(s, offbeat, 0.5f, rng);
            continue;
        }
        if (groove == Groove::ballad) {
            const double beat = offbeat >= 0.0 ? 2.0 * (offbeat - t) : 0.0;
            if (pos == 0) {
                add_kick(s, t, 0.7f);
                add_bass(s, t, 0.25f, 49.0, 0.9 * beat);
            }
            if (pos == 1 && offbeat >= 0.0) {
                add_kick(s, offbeat, 0.5f);
                add_bass(s, offbeat, 0.2f, 65.4, 0.9 * beat);
            }
            if (pos == 1 || pos == 3)
                add_snare(s, t, 0.25f, rng);
            add_hat(s, t, 0.3f, rng);
            if (offbeat >= 0.0)
                add_hat(s, offbeat, 0.3f, rng);
            continue;
        }
        if (pos == 0)
            add_kick(s, t, 0.9f);
        else if (pos == 2)
            add_kick(s, t, 0.7f);
        else
            add_snare(s, t, 0.5f, rng);
        add_hat(s, t, 0.2f, rng);
        if (offbeat >= 0.0)
            add_hat(s, offbeat, groove == Groove::loud_eighths ? 0.3f : 0.14f, rng);
    }
    return s;
}

void add_white_noise(Signal& s, double snr_db, std::uint32_t seed)
{
    double sq = 0.0;
    std::size_t count = 0;
    for (float v : s.samples)
        if (v != 0.0f) {
            sq += static_cast<double>(v) * v;
            ++count;
        }
    if (count == 0)
        return;
    const double sigma = std::sqrt(sq / static_cast<double>(count)) * std::pow(10.0, -snr_db / 20.0);
    std::mt19937 rng(seed);
    std::normal_distribution<double> noise(0.0, sigma);
    for (float& v : s.samples)
        v += static_cast<float>(noise(rng));
}

void mix_into(Signal& a, const Signal& b, double at)
{
    const std::size_t i0 = index_of(a, at);
    for (std::size_t j = 0; j < b.samples.size(); ++j)
        put(a, i0 + j, b.samples[j]);
}

void write_wav(const std::filesystem::path& path, const Signal& s, int channels, std::vector<float> gains)
{
    gains.resize(static_cast<std::size_t>(channels), 1.0f);
    const auto frames = static_cast<std::uint32_t>(s.samples.size());
    const std::uint32_t data_bytes = frames * static_cast<std::uint32_t>(channels) * 2;
    std::ofstream out(path, std::ios::binary);
    auto u32 = [&](std::uint32_t v) { for (int i = 0; i < 4; ++i) out.put(static_cast<char>((v >> (8 * i)) & 0xff)); };
    auto u16 = [&](std::uint32_t v) { for (int i = 0; i < 2; ++i) out.put(static_cast<char>((v >> (8 * i)) & 0xff)); };
    out.write("RIFF", 4);
    u32(36 + data_bytes);
    out.write("WAVEfmt ", 8);
    u32(16);
    u16(1);  // PCM
    u16(static_cast<std::uint32_t>(channels));
    u32(static_cast<std::uint32_t>(s.rate));
    u32(static_cast<std::uint32_t>(s.rate * channels * 2));
    u16(static_cast<std::uint32_t>(channels * 2));
    u16(16);
    out.write("data", 4);
    u32(data_bytes);
    std::vector<char> buf(static_cast<std::size_t>(data_bytes));
    std::size_t p = 0;
    for (float v : s.samples)
        for (int c = 0; c < channels; ++c) {
            const double x = std::clamp(static_cast<double>(v) * gains[static_cast<std::size_t>(c)], -1.0, 32767.0 / 32768.0);
            const auto q = static_cast<std::int16_t>(std::lround(x * 32768.0));
            buf[p++] = static_cast<char>(q & 0xff);
            buf[p++] = static_cast<char>((q >> 8) & 0xff);
        }
    out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (!out)
        throw std::runtime_error("cannot write " + path.string());
}

}  // namespace cnnv3::test
