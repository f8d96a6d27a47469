// Joint decoding of tempo, beat phase and position in the bar over the onset envelope: a bar-pointer
// model in the spirit of Krebs, Böck and Widmer (2015), written as a semi-Markov chain over beats.
//
// Hidden state at a beat: the meter (3 or 4 beats to the bar), the position of the beat in the bar
// (0 = downbeat) and the beat period τ (a whole number of decoder frames, one per decoder tempo).
// Between two beats the pointer advances one frame per frame, so a beat at frame t with period τ_k
// is followed by one at t + τ_k with period τ_j, charged tempo_change·ln²(τ_j/τ_k) (neighbouring
// tempi) or jump_cost (any tempo); the meter never changes inside a segment.
//
// Observations, each max-pooled over ±1 decoder frame and scaled per segment so that its median
// (the level between onsets, noise included) is 0 and its 97th percentile (a typical strong onset)
// is 1, capped at 1.5: S, the broadband log flux (timbre: a hi-hat counts almost like a kick); E,
// the rise in total power (loudness); L and M, the rise in power of the low (< 160 Hz: kick, bass)
// and mid (160–2500 Hz: snare body, toms) bands. A beat at bar position b scores, in
// log-likelihood-ratio units against "no beat here",
//   w_broad·S + w_energy·E + w_low·L + w_mid·M − threshold    every beat
//   + w_accent·L                      on strong beats (1 and 3 of 4/4, 1 of 3/4)
//   + w_accent·(M − L) − weak_cost    on weak beats (the backbeats)
//   + w_downbeat·L                    on the downbeat
// and every beat pays the tempo prior, prior_weight·log2²(bpm/prior_bpm) per second of its period,
// so the prior does not favour levels with more or fewer beats. So "the kick on the beat, the snare
// on the backbeat" is evidence along the whole path; loud off-beat cymbals, with little low or mid
// power, score little; and a level whose extra beats fall on weak onsets pays `threshold` (and
// weak_cost) for each of them: that is the choice of the metrical level (docs/audio.md).
// With a learned beat activation in the envelope (OnsetEnvelope::beat_activation, beat_activation.h)
// every beat also scores its log odds (BarPointerOptions' learned fields), and LevelEvidence
// carries how it alternates over the decoded beats.
//
// Cost: O(frames · 7 · tempi · (2·band + 2)) time and frames · 7 · tempi bytes of back-pointers.
// Pure functions; no shared state.
#pragma once

#include "onset_envelope.h"

#include <cstddef>
#include <vector>

namespace cnnv3 {

// Tuning; the defaults are the ones docs/audio.md reports (tuned on the dev split of
// bench/beats_grooves.py and the dev songs of bench/beats_real_music.py).
struct BarPointerOptions {
    double min_bpm = 40.0;
    double max_bpm = 240.0;
    double decoder_rate_hz = 86.0;  // decoder frames per second (the envelope is pooled down to this)
    double tempo_step = 0.02;       // decoder tempi at least this far apart (relative)
    int band = 3;                   // neighbouring tempi reachable with the smooth charge
    double tempo_change = 300.0;    // charge per ln² of the period ratio between consecutive beats
    double jump_cost = 12.0;        // charge for moving to any other tempo (6 tapped an intro of even eighths at
                                    // twice the song's tempo before jumping to its level; docs/audio.md)
    double prior_bpm = 120.0;
    double prior_weight = 0.3;      // per second, per octave² away from prior_bpm
    double w_broad = 0.15;
    double w_energy = 0.25;
    double w_low = 0.6;
    double w_mid = 0.6;
    double w_accent = 0.5;
    double w_downbeat = 0.3;
    double weak_cost = 0.2;
    double threshold = 0.55;
    double meter3_cost = 2.0;       // charged once for decoding in 3/4 rather than 4/4
    // With a learned activation A (OnsetEnvelope::beat_activation, max-pooled like the others, not
    // normalised) every beat also scores w_learned·clamp(ln(A/(1−A)), ±learned_clip) − learned_bias,
    // and the hand-made terms above are scaled by hand_weight. Chosen by the 5-fold cross-validation
    // over the dev songs (training/beats/crossval.py, bench/RESULTS.md): the bias −2 makes a frame
    // where the network gives 12% neutral (its activation is sparse: a beat is one frame in ~40);
    // keeping the hand-made terms at full weight beat the activation alone on the MIDI dev songs.
    double w_learned = 1.0;
    double learned_bias = -2.0;
    double learned_clip = 6.0;
    double hand_weight = 1.0;
};

// How the onsets sit on the decoded beats, per observation (S, E, L, M of the header, normalised
// the same way): the mean at the strong beats (in 4/4 the decoded positions 0 and 2; in 3/4 the
// parity of beats with the larger mean L + M + E) and at the other beats (weak). The input of the
// metrical-level check of beat_tracker.h.
struct LevelEvidence {
    enum Observation { broad, energy, low, mid, observations };
    double strong[observations] = {};
    double weak[observations] = {};
    double bpm = 0.0;             // from the median beat spacing
    int strong_parity = 0;        // parity of the strong beats' indices
    bool valid = false;           // at least 8 beats
    // With a learned activation: the mean activation at the beats of the parity with the smaller
    // mean over that of the other (1 without one): low when every other decoded beat is an off-beat.
    double learned_ratio = 1.0;
    int learned_parity = 0;       // the parity with the larger mean activation
    bool learned = false;         // the decoder had a learned activation
};

struct BarDecoding {
    std::vector<std::size_t> frames;  // envelope frames of the beats, increasing
    std::vector<int> bar_position;    // per beat: its position in the bar, 0 = downbeat
    int beats_per_bar = 4;
    LevelEvidence evidence;           // of the decoded beats
};

// Decodes envelope frames [begin, end). Fewer than two beat periods of frames: no beats.
BarDecoding decode_bar_pointer(const OnsetEnvelope& env, std::size_t begin, std::size_t end,
                               const BarPointerOptions& options = {});

}  // namespace cnnv3
