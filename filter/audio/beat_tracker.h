// Offline beat tracking over a whole track (the "tracked beats" of SPEC §6), with the downbeat
// choice k0 for beat_norm. The algorithm (docs/audio.md has the details and the measured accuracy):
//
//  1. Onset strength: log-energy mel-band spectral flux (onset_envelope.h), 2.9 ms frames.
//  2. Silence: a frame is silent below a threshold 50 dB under the track's loud level (95th
//     percentile of frame levels), or below −70 dBFS if that is higher; a silent run of at least
//     `min_gap_s` splits the track into segments. Beats are placed only inside segments, each
//     segment tracked on its own (so tracking resumes on the new grid after a gap).
//  3. Local tempo: a tempogram (autocorrelation of the onset strength in 8 s Hann windows every
//     1 s) weighted by a log-Gaussian tempo prior, followed by a Viterbi path through the tempo
//     bins that charges for tempo changes (quadratic in octaves): it follows ramps for free and
//     takes a jump when the evidence on the far side outweighs the charge. It decides whether a
//     segment has a pulse (4b) and gives the tempo curve.
//  4. Beat placement (bar_decoding, the default): the bar-pointer decoder of bar_pointer.h decodes
//     tempo, beat phase, metrical level and bar position jointly from the flux and the loudness,
//     low-band and mid-band accents, and with `learned` also from the learned beat activation
//     (beat_activation.h; docs/audio.md, "The learned activation"). (bar_decoding = false: the previous Ellis (2007) dynamic
//     programming with the tempogram's period, then a metrical-level check on the flux and the
//     loudness accent combined by geometric mean: strong midpoints (>= faster_ratio of the beats)
//     redo it at twice the tempo, weak alternate beats (< slower_ratio) at half; kept for
//     comparison only.) Leading and trailing beats weak in both the flux and the low band are
//     trimmed; each beat is then moved to the parabolic peak of the onset strength near it.
//  4b. No beats where there is no pulse (noise, a steady tone, a drone), per segment: when the
//     median over its tempogram frames of the autocorrelation at the chosen period, in units of its
//     spread for white noise (1/sqrt(window length)), is below `min_pulse`, or when the beats'
//     median onset strength is below `min_beat_strength` (a rise of about 4 dB in one band).
//  4c. Metrical level (bar decoding only): when the decoded beats are at least halve_from_bpm
//     (100) and their weak half (bar positions 1 and 3, 0 = downbeat) is far weaker than the strong
//     half in every observation — flux, loudness, low and mid band — those weak beats are
//     off-beats of a slow song: only the strong half is kept (at_twice_the_tempo below). With the
//     learned activation, also when the decoded beats are at least learned_halve_from_bpm (160) and
//     every other beat has under learned_alternation (0.5) of the others' activation: the half the
//     network believes in is kept.
//  4d. Alignment (8 beats or more in the segment): all beats of a segment move by one shift, the
//     one within ±align_reach of the median beat period (at most align_max_s) whose summed onset
//     strength (the log flux) at the beats is largest, when that sum is at least align_margin times
//     the unshifted one. The decoder weighs power rises, which peak late in a slow attack (an organ
//     or strings swelling in over 50-100 ms); the log flux rises at the attack's start. Then the
//     per-beat peak refinement of step 4 (within 15 ms) runs on the shifted beats.
//  5. Downbeat: the bar decoder's first downbeat (in 4/4, of it and the beat a bar later the one
//     with the stronger low band); without a decoded downbeat, choose_downbeat: the bar phase whose
//     beats carry the most low-frequency onset strength, first among the 4 beats of a 4/4 bar, then
//     between the two bars of an 8-beat phrase.
#pragma once

#include "audio_decode.h"
#include "bar_pointer.h"
#include "onset_envelope.h"

#include <vector>

namespace cnnv3 {

// The metrical-level check after the bar decoder (step 4c; docs/audio.md, "metrical level").
// Fitted on the dev songs only (MIDI dev set, 42 songs, and the groove dev split, 24), see
// bench/RESULTS.md; never on the held-out grooves or the 20 MIDI evaluation songs.
struct MetricalLevelOptions {
    double halve_from_bpm = 100.0;    // decoded at least this fast (halved: 50 BPM or more) ...
    double halve_alternation = 0.38;  // ... and every observation's mean at the weak beats
                                      // < this × at the strong ones: half the tempo
    // With the learned activation (LevelEvidence::learned_ratio), instead: decoded at least
    // learned_halve_from_bpm and the activation at one parity of beats below learned_alternation
    // times that at the other.
    double learned_halve_from_bpm = 160.0;
    double learned_alternation = 0.5;
};

// Tuning of the tracker. The defaults are what docs/audio.md reports.
struct BeatTrackerOptions {
    OnsetEnvelopeOptions onset;
    double min_bpm = 40.0;               // tempo range searched
    double max_bpm = 240.0;
    double prior_bpm = 120.0;            // centre of the log-Gaussian tempo prior
    double prior_octaves = 1.0;          // its standard deviation in octaves
    double tempogram_window_s = 8.0;     // autocorrelation window
    double tempogram_hop_s = 1.0;        // spacing of tempogram frames
    double tempo_change_cost = 20.0;     // Viterbi charge per octave² of tempo change between frames
    double tightness = 100.0;            // Ellis's α: charge per ln² of period deviation
    double silence_below_loud_db = 50.0; // silent: this far below the track's loud level ...
    double silence_max_dbfs = -70.0;     // ... or below this absolute level, whichever is higher
    double min_gap_s = 2.0;              // shortest silence that splits the track
    double min_segment_s = 1.0;          // shorter non-silent stretches get no beats
    double faster_ratio = 0.2;           // metrical-level check (see step 4 above)
    double slower_ratio = 0.25;
    double trim_ratio = 0.1;             // leading/trailing beats weaker than this × median (flux and low band) are trimmed
    double min_pulse = 4.5;              // step 4b: noise (white to brown, 2-60 s) measured 1.8-3.7; the 62
                                         // real songs of bench/beats_real_music.sh 5.6 and more
    double min_beat_strength = 1.0;      // step 4b: flux in nepers summed over bands; steady tones < 0.2
    bool bar_decoding = true;            // step 4 by the bar-pointer decoder (bar_pointer.h), not Ellis's DP
    BarPointerOptions bar;
    bool level_check = true;             // step 4c
    MetricalLevelOptions level;
    double align_reach = 0.2;            // step 4d: a segment's beats shift onto the flux by up to this
    double align_max_s = 0.1;            // fraction of the beat period and this many seconds (reach 0: off) ...
    double align_margin = 1.2;           // ... when their summed flux grows to this × the unshifted one
    // Step 4 with the learned beat activation (beat_activation.h) as the decoder's observation
    // (track_beats(audio) computes it with learned_beat_activation; track_beats(envelope) uses
    // envelope.beat_activation when set). The decoder weights of `bar`'s learned fields apply. The
    // network was trained at analysis_sample_rate with the default onset options: other envelope
    // bands throw std::invalid_argument (beat_activation), another frame rate skews its tempo.
    bool learned = false;
};

// One point of the local tempo curve.
struct TempoPoint {
    double time = 0.0;  // seconds on the file timeline
    double bpm = 0.0;
};

// A stretch of the track that is not silence; beats are only placed inside these.
struct AudioSegment {
    double start = 0.0;  // seconds
    double end = 0.0;
};

// The tracker's result.
struct BeatTrack {
    std::vector<double> beats;          // beat times in seconds, strictly increasing
    int downbeat = 0;                   // k0 of SPEC §6: index of the beat that starts a bar, in [0, 8)
    std::vector<TempoPoint> tempo;      // local tempo, one point per tempogram frame
    std::vector<AudioSegment> segments; // the non-silent parts that were tracked
};

BeatTrack track_beats(const DecodedAudio& audio, const BeatTrackerOptions& options = {});
BeatTrack track_beats(const OnsetEnvelope& envelope, const BeatTrackerOptions& options = {});

// The downbeat rule: with L_k the peak low-band onset strength within ±20 ms of beat k, pick the
// residue r in 0..3 with the largest mean L_k over beats k ≡ r (mod 4) (ties: the smaller r), then
// of r and r + 4 the one with the larger mean over k ≡ r (mod 8) (ties: r). Fewer than 4 beats: 0.
int choose_downbeat(const std::vector<double>& beats, const OnsetEnvelope& envelope);

// Step 4c: whether the decoded beats are at twice the song's tempo (and are halved), from their
// evidence (bar_pointer.h): true when the decoded tempo is at least halve_from_bpm and, in every
// observation (flux, loudness, low and mid band), the mean at the weak-parity beats is below
// halve_alternation times the mean at the strong-parity beats; or, with a learned activation, the
// learned rule of step 4c. Invalid evidence (fewer than 8 beats): false. Pure function.
bool at_twice_the_tempo(const LevelEvidence& evidence, const MetricalLevelOptions& options = {});

}  // namespace cnnv3
