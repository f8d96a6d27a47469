#include "onset_envelope.h"

#include "aubio_handles.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

namespace cnnv3 {

std::size_t OnsetEnvelope::frame_at(double t) const
{
    if (strength.empty())
        return 0;
    const double i = std::round((t - start_time) * frame_rate);
    if (!(i > 0.0))
        return 0;
    return std::min(static_cast<std::size_t>(i), strength.size() - 1);
}

namespace {

double hz_to_mel(double hz) { return 2595.0 * std::log10(1.0 + hz / 700.0); }
double mel_to_hz(double mel) { return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0); }

// Centred moving average over `radius` frames each side (shorter at the ends).
std::vector<double> moving_average(const std::vector<float>& x, std::size_t radius)
{
    std::vector<double> prefix(x.size() + 1, 0.0);
    for (std::size_t i = 0; i < x.size(); ++i)
        prefix[i + 1] = prefix[i] + x[i];
    std::vector<double> out(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
        const std::size_t lo = i > radius ? i - radius : 0;
        const std::size_t hi = std::min(x.size(), i + radius + 1);
        out[i] = (prefix[hi] - prefix[lo]) / static_cast<double>(hi - lo);
    }
    return out;
}

}  // namespace

OnsetEnvelope compute_onset_envelope(const DecodedAudio& audio, const OnsetEnvelopeOptions& o)
{
    if (o.window < 16 || (o.window & (o.window - 1)) != 0 || o.hop <= 0 || o.lag <= 0 || o.accent_lag <= 0 || o.bands <= 0)
        throw std::invalid_argument("onset envelope: window must be a power of two >= 16; hop, lag, accent_lag, bands > 0");
    const std::vector<float> x = audio.mono();
    const double sr = audio.sample_rate;
    const std::size_t n = static_cast<std::size_t>(o.window);
    const std::size_t hop = static_cast<std::size_t>(o.hop);
    const std::size_t frames = x.empty() ? 0 : x.size() / hop + 1;

    OnsetEnvelope env;
    env.frame_rate = sr / static_cast<double>(hop);
    env.start_time = audio.start_time;
    env.strength.assign(frames, 0.0f);
    env.low_strength.assign(frames, 0.0f);
    env.low_accent.assign(frames, 0.0f);
    env.mid_accent.assign(frames, 0.0f);
    env.accent.assign(frames, 0.0f);
    env.level_db.assign(frames, -200.0f);
    if (frames == 0)
        return env;

    // Hann window; spectra are scaled by 1/Σw so a full-scale sine peaks at |X| = 0.5.
    std::vector<float> window(n);
    double wsum = 0.0, wsq = 0.0;
    for (std::size_t j = 0; j < n; ++j) {
        window[j] = static_cast<float>(0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * static_cast<double>(j) / static_cast<double>(n)));
        wsum += window[j];
        wsq += static_cast<double>(window[j]) * window[j];
    }
    float peak = 0.0f;
    for (float v : x)
        peak = std::max(peak, std::fabs(v));
    // Absolute floor for digital silence: far below anything audible in this track.
    const double silence_floor = std::max(1e-30, 0.25 * static_cast<double>(peak) * peak * 1e-10);

    // FFT bins [1, n/2] grouped into mel bands; empty bands are dropped.
    std::vector<int> bin_band(n / 2 + 1, -1);
    std::vector<bool> band_is_low, band_is_mid;
    {
        const double mlo = hz_to_mel(o.min_hz), mhi = hz_to_mel(std::min(o.max_hz, sr / 2.0));
        int band = -1;
        int last_raw = -1;
        for (std::size_t k = 1; k <= n / 2; ++k) {
            const double f = static_cast<double>(k) * sr / static_cast<double>(n);
            const double m = hz_to_mel(f);
            if (f < o.min_hz || m >= mhi)
                continue;
            const int raw = std::min(o.bands - 1, static_cast<int>((m - mlo) / (mhi - mlo) * o.bands));
            if (raw != last_raw) {
                last_raw = raw;
                ++band;
                const double centre = mel_to_hz(mlo + (raw + 0.5) * (mhi - mlo) / o.bands);
                band_is_low.push_back(centre < o.low_cutoff_hz);
                band_is_mid.push_back(centre >= o.low_cutoff_hz && centre < o.mid_cutoff_hz);
            }
            bin_band[k] = band;
        }
    }
    const std::size_t nb = band_is_low.size();

    aubio::Fft fft(new_aubio_fft(static_cast<uint_t>(n)));
    aubio::Fvec frame(new_fvec(static_cast<uint_t>(n)));
    aubio::Fvec spectrum(new_fvec(static_cast<uint_t>(n)));
    if (!fft || !frame || !spectrum)
        throw std::runtime_error("onset envelope: aubio could not create its FFT");

    // Pass 1: band energies and total power per frame.
    std::vector<float> energy(frames * nb, 0.0f);
    std::vector<float> power(frames, 0.0f);
    const double scale = 1.0 / wsum;
    for (std::size_t i = 0; i < frames; ++i) {
        const std::ptrdiff_t first = static_cast<std::ptrdiff_t>(i * hop) - static_cast<std::ptrdiff_t>(n / 2);
        double sq = 0.0;
        for (std::size_t j = 0; j < n; ++j) {
            const std::ptrdiff_t s = first + static_cast<std::ptrdiff_t>(j);
            const float v = (s >= 0 && s < static_cast<std::ptrdiff_t>(x.size())) ? x[static_cast<std::size_t>(s)] * window[j] : 0.0f;
            frame->data[j] = v;
            sq += static_cast<double>(v) * v;
        }
        env.level_db[i] = static_cast<float>(10.0 * std::log10(std::max(sq / wsq, 1e-20)));
        // aubio's complex layout: data[k] = Re X_k for k ≤ n/2, data[n − k] = Im X_k for 0 < k < n/2.
        aubio_fft_do_complex(fft.get(), frame.get(), spectrum.get());
        const smpl_t* c = spectrum->data;
        float* e = &energy[i * nb];
        double total = 0.0;
        for (std::size_t k = 1; k <= n / 2; ++k)
            if (bin_band[k] >= 0) {
                const double re = c[k] * scale, im = k < n / 2 ? c[n - k] * scale : 0.0;
                e[bin_band[k]] += static_cast<float>(re * re + im * im);
                total += re * re + im * im;
            }
        power[i] = static_cast<float>(total);
    }

    // Pass 2: log band energies above a floor that follows the local loudness (the mean power over
    // local_window_s, floor_db below it), so quiet and loud passages both keep their contrast and
    // weak events (hi-hats under a kick) weigh less than strong ones; then the rectified flux.
    const auto floor_radius = static_cast<std::size_t>(std::max(1.0, o.local_window_s * env.frame_rate / 2.0));
    const std::vector<double> local_power = moving_average(power, floor_radius);
    const double floor_gain = std::pow(10.0, o.floor_db / 10.0);
    const std::size_t lag = static_cast<std::size_t>(o.lag);
    // The start of the file is not an onset: frames whose windows (or whose lag partners') hang
    // over the start get no flux.
    const std::size_t first_flux = (n / 2 + hop - 1) / hop + lag;
    const std::size_t accent_lag = static_cast<std::size_t>(o.accent_lag);
    const std::size_t first_accent = (n / 2 + hop - 1) / hop + accent_lag;
    std::vector<std::vector<double>> ring(lag + 1, std::vector<double>(nb, 0.0));  // log energies of the last frames
    std::vector<float> flux(frames, 0.0f);
    if (o.keep_bands) {
        env.band_count = static_cast<int>(nb);
        env.band_log.assign(frames * nb, 0.0f);
    }
    for (std::size_t i = 0; i < frames; ++i) {
        const double floor = std::max(silence_floor, local_power[i] * floor_gain);
        std::vector<double>& now = ring[i % (lag + 1)];
        for (std::size_t b = 0; b < nb; ++b)
            now[b] = std::log(static_cast<double>(energy[i * nb + b]) + floor);
        if (o.keep_bands) {
            const double reference = std::log(std::max(silence_floor, local_power[i]));
            for (std::size_t b = 0; b < nb; ++b)
                env.band_log[i * nb + b] = static_cast<float>(now[b] - reference);
        }
        if (i < first_flux)
            continue;
        const std::vector<double>& before = ring[(i + 1) % (lag + 1)];  // frame i − lag
        double total = 0.0, low = 0.0;
        double low_now = 0.0, low_before = 0.0, mid_now = 0.0, mid_before = 0.0;
        for (std::size_t b = 0; b < nb; ++b) {
            const double rise = std::max(0.0, now[b] - before[b]);
            total += rise;
            if (band_is_low[b])
                low += rise;
        }
        flux[i] = static_cast<float>(total);
        env.low_strength[i] = static_cast<float>(low);
        if (i < first_accent)
            continue;
        // Accents: the rise of the frame's power (total, low bands, mid bands) over accent_lag frames
        // relative to the local mean power.
        const std::size_t before_accent = i - accent_lag;
        for (std::size_t b = 0; b < nb; ++b) {
            if (band_is_low[b]) {
                low_now += energy[i * nb + b];
                low_before += energy[before_accent * nb + b];
            } else if (band_is_mid[b]) {
                mid_now += energy[i * nb + b];
                mid_before += energy[before_accent * nb + b];
            }
        }
        const double mean_power = std::max(silence_floor, local_power[i]);
        env.low_accent[i] = static_cast<float>(std::max(0.0, low_now - low_before) / mean_power);
        env.mid_accent[i] = static_cast<float>(std::max(0.0, mid_now - mid_before) / mean_power);
        env.accent[i] = static_cast<float>(std::max(0.0, static_cast<double>(power[i]) - power[before_accent]) / mean_power);
    }

    const auto radius = static_cast<std::size_t>(std::max(1.0, o.mean_window_s * env.frame_rate / 2.0));
    const std::vector<double> mean = moving_average(flux, radius);
    for (std::size_t i = 0; i < frames; ++i)
        env.strength[i] = static_cast<float>(std::max(0.0, flux[i] - mean[i]));
    return env;
}

}  // namespace cnnv3
