// The onset-strength envelope the beat tracker works on: a log-energy spectral flux over mel-spaced
// bands, computed with aubio's FFT on the mono mix.
//
// Per frame i (window centred on sample i·hop): band energies E_b(i) (sum of |X_k|² over the FFT
// bins of mel band b), L_b(i) = ln(E_b(i) + floor(i)) and the flux Σ_b max(0, L_b(i) − L_b(i − lag)).
// The floor follows the local loudness: the frame power averaged over 8 s, 30 dB down. The log makes
// the envelope independent of the track's gain; the floor keeps weak events (a hi-hat next to a
// kick, noise in empty bands) from counting as much as strong ones, in loud and quiet passages
// alike; bands that pool many FFT bins keep broadband noise from producing flux of its own. The
// flux minus its 0.5 s moving average, clipped at 0, is the onset strength. The first frames,
// whose windows hang over the start of the file, get no flux: the file's start is not an onset.
// The accents (total, low-band and mid-band power rises) are taken over accent_lag frames (17 ms),
// not the flux's 8.7 ms: sustained sounds whose partials beat, chorus or rotary voices ripple in
// power every 15-35 ms, and over 8.7 ms those ripples rise as steeply as a soft attack does (a
// drumless track was tracked on them at twice its tempo); over 17 ms a ripple of 15-25 ms period
// largely cancels while an attack, spread over the 23 ms window, keeps rising.
#pragma once

#include "audio_decode.h"

#include <cstddef>
#include <vector>

namespace cnnv3 {

// Analysis parameters of the onset envelope (defaults are the ones the tracker was tuned with).
struct OnsetEnvelopeOptions {
    int window = 1024;             // FFT size in samples (23 ms at 44.1 kHz), Hann window
    int hop = 128;                 // samples between frames (2.9 ms at 44.1 kHz)
    int lag = 3;                   // frames between the two spectra whose difference is the flux
    int accent_lag = 6;            // frames over which the accents' power rise is taken (17 ms: see above)
    int bands = 40;                // mel bands between min_hz and max_hz
    double min_hz = 30.0;
    double max_hz = 16000.0;
    double low_cutoff_hz = 160.0;  // bands whose centre is below this make `low_strength`
    double mid_cutoff_hz = 2500.0; // bands from low_cutoff_hz up to this make `mid_accent`
    double mean_window_s = 0.5;    // length of the moving average removed from the flux
    double floor_db = -30.0;       // log floor relative to the local mean power
    double local_window_s = 8.0;   // length of the window that local mean power is taken over
    bool keep_bands = false;       // keep band_log (the input of the learned beat activation, beat_activation.h)
};

// Onset strength and level per analysis frame.
struct OnsetEnvelope {
    double frame_rate = 0.0;          // frames per second (sample_rate / hop)
    double start_time = 0.0;          // time of frame 0 in seconds on the file timeline
    std::vector<float> strength;      // broadband onset strength, ≥ 0
    std::vector<float> low_strength;  // the flux of the low bands alone (kick, bass), ≥ 0, not mean-removed
    std::vector<float> low_accent;    // rise of the low bands' power over accent_lag / local mean power, ≥ 0 (kick, bass)
    std::vector<float> mid_accent;    // the same for the mid bands (snare body, toms)
    std::vector<float> accent;        // rise of the total power over accent_lag / local mean power (loudness), ≥ 0
    std::vector<float> level_db;      // RMS level of the frame's window in dBFS (≥ −200 for digital silence)
    // With OnsetEnvelopeOptions::keep_bands only (else empty): per frame, band_count values
    // ln(E_b + floor) − ln(local mean power), the floored log band energies relative to the local
    // loudness (≥ floor_db in nepers, gain-independent), frame-major.
    std::vector<float> band_log;
    int band_count = 0;
    // Optional learned beat probability per frame in [0, 1] (beat_activation.h); when it has one
    // value per frame the bar-pointer decoder takes it as an observation (bar_pointer.h; any other
    // size is ignored). Empty from compute_onset_envelope.
    std::vector<float> beat_activation;

    std::size_t size() const { return strength.size(); }
    // Time of frame i in seconds.
    double time(double i) const { return start_time + i / frame_rate; }
    // The frame nearest to time t (clamped to the envelope).
    std::size_t frame_at(double t) const;
};

// Throws std::invalid_argument for options outside their ranges (window a power of two >= 16; hop,
// lag, accent_lag, bands > 0) and std::runtime_error when aubio cannot create its FFT.
OnsetEnvelope compute_onset_envelope(const DecodedAudio& audio, const OnsetEnvelopeOptions& options = {});

}  // namespace cnnv3
