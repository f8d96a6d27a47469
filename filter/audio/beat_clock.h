// beat_phase and beat_norm of SPEC §6 from a list of beat times b_k:
//
//   beat_phase(t) = (t − b_k) / (b_{k+1} − b_k)   for b_k ≤ t < b_{k+1}
//   beat_norm(t)  = ((k − k0) mod 8 + beat_phase(t)) / 8
//
// Before the first beat and from the last beat on, the beats are extrapolated with the local period
// (b_1 − b_0 before, b_{n−1} − b_{n−2} after), so k goes negative before the first beat. With fewer
// than two beats there is no period: both values are 0 everywhere.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <vector>

namespace cnnv3 {

// Where a time falls among the beats.
struct BeatPosition {
    std::int64_t index = 0;  // k: the beat at or before t (extrapolated beats count on from the ends)
    double phase = 0.0;      // in [0, 1)
};

class BeatClock {
public:
    // No beats: phase and norm are 0.
    BeatClock() = default;
    // `beats` strictly increasing and finite, `downbeat` (k0) any integer; throws
    // std::invalid_argument otherwise.
    BeatClock(std::vector<double> beats, int downbeat);

    // A steady grid: beats at offset + j·60/bpm covering [begin − 1 beat, end + 1 beat], with the beat
    // at `offset` (j = 0) as the bar start. Phases are then exact up to rounding.
    static BeatClock from_bpm(double bpm, double offset, double begin, double end);

    BeatPosition position(double t) const;
    // SPEC §6 values as float, beat_phase in [0, 1), beat_norm in [0, 1).
    float beat_phase(double t) const;
    float beat_norm(double t) const;

    const std::vector<double>& beats() const { return beats_; }
    // At least two beats: the clock has a period and its values come from the beats.
    bool has_beats() const { return beats_.size() >= 2; }
    int downbeat() const { return downbeat_; }

private:
    std::vector<double> beats_;
    int downbeat_ = 0;
};

}  // namespace cnnv3
