#include "beat_tracker.h"

#include "beat_activation.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <numeric>

namespace cnnv3 {

namespace {

// Frame range [begin, end) of the onset envelope.
struct FrameRange {
    std::size_t begin = 0;
    std::size_t end = 0;
};

double percentile(std::vector<float> values, double q)
{
    if (values.empty())
        return 0.0;
    const auto k = static_cast<std::size_t>(std::clamp(q, 0.0, 1.0) * static_cast<double>(values.size() - 1));
    std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k), values.end());
    return values[k];
}

// Non-silent stretches of the track, split at silences of at least min_gap_s.
std::vector<FrameRange> find_segments(const OnsetEnvelope& env, const BeatTrackerOptions& o)
{
    const std::size_t n = env.size();
    std::vector<FrameRange> out;
    if (n == 0)
        return out;
    const double loud = percentile(env.level_db, 0.95);
    const double threshold = std::max(loud - o.silence_below_loud_db, o.silence_max_dbfs);
    const auto min_gap = static_cast<std::size_t>(std::ceil(o.min_gap_s * env.frame_rate));
    const auto min_len = static_cast<std::size_t>(std::ceil(o.min_segment_s * env.frame_rate));

    std::size_t i = 0;
    while (i < n) {
        while (i < n && env.level_db[i] < threshold)
            ++i;
        if (i == n)
            break;
        FrameRange seg{i, i + 1};
        std::size_t silent_run = 0;
        for (; i < n; ++i) {
            if (env.level_db[i] < threshold) {
                if (++silent_run >= min_gap)
                    break;
            } else {
                silent_run = 0;
                seg.end = i + 1;
            }
        }
        if (seg.end - seg.begin >= min_len)
            out.push_back(seg);
    }
    return out;
}

// The local beat period, in envelope frames, for every envelope frame; fills `curve`.
std::vector<double> local_periods(const OnsetEnvelope& env, const BeatTrackerOptions& o, std::vector<TempoPoint>& curve,
                                  std::vector<double>& clarity)
{
    const std::size_t n = env.size();
    // The tempogram runs on the envelope decimated to about 150-300 frames per second.
    const std::size_t dec = std::max<std::size_t>(1, static_cast<std::size_t>(env.frame_rate / 150.0));
    const double rate = env.frame_rate / static_cast<double>(dec);
    std::vector<double> e((n + dec - 1) / dec, 0.0);
    for (std::size_t i = 0; i < n; ++i)
        e[i / dec] += env.strength[i] / static_cast<double>(dec);

    const auto lag_min = std::max<std::size_t>(2, static_cast<std::size_t>(std::floor(rate * 60.0 / o.max_bpm)));
    const auto lag_max = std::max(lag_min + 2, static_cast<std::size_t>(std::ceil(rate * 60.0 / o.min_bpm)));
    const std::size_t lags = lag_max - lag_min + 1;
    const auto half = std::max<std::size_t>(lag_max, static_cast<std::size_t>(o.tempogram_window_s * rate / 2.0));
    const auto hop = std::max<std::size_t>(1, static_cast<std::size_t>(std::lround(o.tempogram_hop_s * rate)));
    const std::size_t frames = e.size() / hop + 1;

    std::vector<double> prior(lags), log2_lag(lags);
    for (std::size_t l = 0; l < lags; ++l) {
        const double bpm = 60.0 * rate / static_cast<double>(lag_min + l);
        const double octaves = std::log2(bpm / o.prior_bpm) / o.prior_octaves;
        prior[l] = std::exp(-0.5 * octaves * octaves);
        log2_lag[l] = std::log2(static_cast<double>(lag_min + l));
    }
    std::vector<double> hann(2 * half);
    for (std::size_t j = 0; j < hann.size(); ++j)
        hann[j] = 0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * (static_cast<double>(j) + 0.5) / static_cast<double>(hann.size()));

    // Observation per tempogram frame: prior × autocorrelation (normalised by lag 0), scaled to max 1.
    std::vector<std::vector<double>> obs(frames, std::vector<double>(lags, 1.0));
    // The autocorrelation alone (no prior) in units of its spread for noise, 1/sqrt(window), where computed.
    std::vector<std::vector<double>> raw(frames);
    std::vector<double> x;
    for (std::size_t f = 0; f < frames; ++f) {
        const std::ptrdiff_t centre = static_cast<std::ptrdiff_t>(f * hop);
        const std::ptrdiff_t lo = std::max<std::ptrdiff_t>(0, centre - static_cast<std::ptrdiff_t>(half));
        const std::ptrdiff_t hi = std::min<std::ptrdiff_t>(static_cast<std::ptrdiff_t>(e.size()), centre + static_cast<std::ptrdiff_t>(half));
        if (hi - lo < static_cast<std::ptrdiff_t>(lag_min) * 2)
            continue;
        double mean = 0.0;
        for (std::ptrdiff_t i = lo; i < hi; ++i)
            mean += e[static_cast<std::size_t>(i)];
        mean /= static_cast<double>(hi - lo);
        x.assign(static_cast<std::size_t>(hi - lo), 0.0);
        for (std::ptrdiff_t i = lo; i < hi; ++i)
            x[static_cast<std::size_t>(i - lo)] =
                hann[static_cast<std::size_t>(i - centre + static_cast<std::ptrdiff_t>(half))] * (e[static_cast<std::size_t>(i)] - mean);
        double r0 = 0.0;
        for (double v : x)
            r0 += v * v;
        if (!(r0 > 1e-12))
            continue;
        double best = 0.0;
        raw[f].assign(lags, 0.0);
        for (std::size_t l = 0; l < lags; ++l) {
            const std::size_t lag = lag_min + l;
            double r = 0.0;
            for (std::size_t i = 0; i + lag < x.size(); ++i)
                r += x[i] * x[i + lag];
            raw[f][l] = std::max(0.0, r / r0) * std::sqrt(static_cast<double>(x.size()));
            obs[f][l] = prior[l] * raw[f][l];
            best = std::max(best, obs[f][l]);
        }
        if (best > 0.0)
            for (double& v : obs[f])
                v /= best;
        else
            std::fill(obs[f].begin(), obs[f].end(), 1.0);
    }

    // Viterbi through the tempo bins.
    std::vector<double> score(lags), next(lags);
    std::vector<std::vector<std::uint16_t>> back(frames, std::vector<std::uint16_t>(lags, 0));
    for (std::size_t l = 0; l < lags; ++l)
        score[l] = std::log(obs[0][l] + 0.05);
    for (std::size_t f = 1; f < frames; ++f) {
        for (std::size_t l = 0; l < lags; ++l) {
            double best = -std::numeric_limits<double>::infinity();
            std::size_t arg = l;
            for (std::size_t p = 0; p < lags; ++p) {
                const double d = log2_lag[l] - log2_lag[p];
                const double s = score[p] - o.tempo_change_cost * d * d;
                if (s > best) {
                    best = s;
                    arg = p;
                }
            }
            next[l] = best + std::log(obs[f][l] + 0.05);
            back[f][l] = static_cast<std::uint16_t>(arg);
        }
        std::swap(score, next);
    }
    std::vector<std::size_t> path(frames);
    path[frames - 1] = static_cast<std::size_t>(std::max_element(score.begin(), score.end()) - score.begin());
    for (std::size_t f = frames - 1; f > 0; --f)
        path[f - 1] = back[f][path[f]];

    // Sub-bin period per tempogram frame (parabolic peak of the observation), in envelope frames.
    std::vector<double> period(frames);
    curve.clear();
    clarity.assign(frames, -1.0);
    for (std::size_t f = 0; f < frames; ++f) {
        const std::size_t l = path[f];
        if (!raw[f].empty())
            clarity[f] = raw[f][l];
        double delta = 0.0;
        if (l > 0 && l + 1 < lags) {
            const double a = obs[f][l - 1], b = obs[f][l], c = obs[f][l + 1];
            const double den = a - 2.0 * b + c;
            if (b >= a && b >= c && den < 0.0)
                delta = std::clamp(0.5 * (a - c) / den, -0.5, 0.5);
        }
        period[f] = (static_cast<double>(lag_min + l) + delta) * static_cast<double>(dec);
        curve.push_back({env.time(static_cast<double>(f * hop * dec)), 60.0 * env.frame_rate / period[f]});
    }

    // Per envelope frame: log-linear interpolation between tempogram frames.
    std::vector<double> out(n);
    const double step = static_cast<double>(hop * dec);
    for (std::size_t i = 0; i < n; ++i) {
        const double pos = static_cast<double>(i) / step;
        const auto f = std::min(frames - 1, static_cast<std::size_t>(pos));
        const std::size_t g = std::min(frames - 1, f + 1);
        const double w = std::clamp(pos - static_cast<double>(f), 0.0, 1.0);
        out[i] = std::exp((1.0 - w) * std::log(period[f]) + w * std::log(period[g]));
    }
    return out;
}

// Ellis dynamic programming over one segment; returns beat frames.
std::vector<std::size_t> place_beats(const std::vector<double>& onset, const std::vector<double>& period,
                                     FrameRange seg, const BeatTrackerOptions& o)
{
    const std::size_t len = seg.end - seg.begin;
    std::vector<double> score(len, 0.0);
    std::vector<std::ptrdiff_t> back(len, -1);
    std::vector<double> ln(len + 1, 0.0);
    for (std::size_t k = 1; k <= len; ++k)
        ln[k] = std::log(static_cast<double>(k));
    for (std::size_t i = 0; i < len; ++i) {
        const double tau = period[seg.begin + i];
        const double ln_tau = std::log(tau);
        const auto far = static_cast<std::size_t>(std::lround(2.0 * tau));
        const auto near = std::max<std::size_t>(1, static_cast<std::size_t>(std::lround(tau / 2.0)));
        double best = 0.0;
        std::ptrdiff_t arg = -1;
        if (i >= near) {
            const std::size_t first = i > far ? i - far : 0;
            for (std::size_t m = first; m + near <= i; ++m) {
                const double d = ln[i - m] - ln_tau;
                const double s = score[m] - o.tightness * d * d;
                if (s > best) {
                    best = s;
                    arg = static_cast<std::ptrdiff_t>(m);
                }
            }
        }
        score[i] = onset[seg.begin + i] + best;
        back[i] = arg;
    }
    // The last beat: the best score within the final period.
    const double tau_end = period[seg.end - 1];
    const std::size_t tail = std::min(len, static_cast<std::size_t>(std::lround(tau_end)));
    std::size_t last = len - tail;
    for (std::size_t i = len - tail; i < len; ++i)
        if (score[i] > score[last])
            last = i;
    std::vector<std::size_t> beats;
    for (std::ptrdiff_t i = static_cast<std::ptrdiff_t>(last); i >= 0; i = back[static_cast<std::size_t>(i)])
        beats.push_back(seg.begin + static_cast<std::size_t>(i));
    std::reverse(beats.begin(), beats.end());
    return beats;
}

double local_peak(const std::vector<float>& x, std::size_t centre, std::size_t radius)
{
    const std::size_t lo = centre > radius ? centre - radius : 0;
    const std::size_t hi = std::min(x.size(), centre + radius + 1);
    double best = 0.0;
    for (std::size_t i = lo; i < hi; ++i)
        best = std::max(best, static_cast<double>(x[i]));
    return best;
}


double median(std::vector<double> v)
{
    if (v.empty())
        return 0.0;
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
    return v[v.size() / 2];
}

// How the onsets sit on a beat sequence: the onset strength at the beats, at the midpoints between
// them, and at the even and odd beats (medians).
struct LevelStats {
    double on = 0.0, mid = 0.0, even = 0.0, odd = 0.0;
    double mid_ratio() const { return on > 0.0 ? mid / on : 0.0; }
    double alternation() const
    {
        const double hi = std::max(even, odd);
        return hi > 0.0 ? std::min(even, odd) / hi : 1.0;
    }
};

LevelStats level_stats(const std::vector<double>& onset, const std::vector<std::size_t>& beats, std::size_t radius)
{
    std::vector<double> mid, even, odd;
    auto peak = [&](std::size_t centre) {
        const std::size_t lo = centre > radius ? centre - radius : 0;
        const std::size_t hi = std::min(onset.size(), centre + radius + 1);
        double best = 0.0;
        for (std::size_t i = lo; i < hi; ++i)
            best = std::max(best, onset[i]);
        return best;
    };
    for (std::size_t k = 0; k < beats.size(); ++k) {
        (k % 2 ? odd : even).push_back(peak(beats[k]));
        if (k + 1 < beats.size())
            mid.push_back(peak((beats[k] + beats[k + 1]) / 2));
    }
    // The beats' level is the mean of the even and odd medians: a plain median of a pattern that
    // alternates kick and snare would land anywhere between the two.
    const double e = median(even), d = median(odd);
    return {0.5 * (e + d), median(mid), e, d};
}

// The metrical level check after the first placement, on two views of the onsets: the spectral
// flux (timbre: a snare or a hi-hat counts about as much as a kick) and the loudness accent
// (energy: a kick counts far more than a hi-hat). Each view gives the median onset at the
// midpoints between beats over the median at the beats (mid), and the weaker over the stronger
// median of the even and odd beats (alternation); the two views are combined by geometric mean.
// If the midpoints are strong (mid ≥ faster_ratio) the beats are every other pulse: take the twice
// faster level. Else if every other beat is weak (alternation < slower_ratio) the weak ones are
// off-beats: take the twice slower level. (The tempo prior alone cannot tell 87 from 174 BPM on a
// click track, nor 72 BPM with loud eighth-note hi-hats from 144; hi-hats on the off-beats of a
// four-on-the-floor kick are loud in flux but not in energy, so they do not double the tempo.)
std::vector<std::size_t> choose_metrical_level(const OnsetEnvelope& env, const std::vector<double>& onset,
                                               const std::vector<double>& period, FrameRange seg,
                                               const BeatTrackerOptions& o, std::vector<std::size_t> beats)
{
    if (beats.size() < 8)
        return beats;
    const auto radius = static_cast<std::size_t>(std::lround(0.020 * env.frame_rate));
    const LevelStats flux = level_stats(onset, beats, radius);
    const std::vector<double> accent_values(env.accent.begin(), env.accent.end());
    const LevelStats accent = level_stats(accent_values, beats, radius);
    const double mid = std::sqrt(flux.mid_ratio() * accent.mid_ratio());
    const double alternation = std::sqrt(flux.alternation() * accent.alternation());
    double factor = 0.0;
    if (mid >= o.faster_ratio)
        factor = 0.5;
    else if (alternation < o.slower_ratio)
        factor = 2.0;
    if (factor == 0.0)
        return beats;
    double mean_period = 0.0;
    for (std::size_t i = seg.begin; i < seg.end; ++i)
        mean_period += period[i];
    const double bpm = 60.0 * env.frame_rate / (factor * mean_period / static_cast<double>(seg.end - seg.begin));
    if (bpm < o.min_bpm || bpm > o.max_bpm)
        return beats;
    std::vector<double> scaled = period;
    for (double& p : scaled)
        p *= factor;
    return place_beats(onset, scaled, seg, o);
}

// L_k of choose_downbeat: the peak low-band onset strength within ±20 ms of each beat.
std::vector<double> low_onsets(const std::vector<double>& beats, const OnsetEnvelope& env)
{
    const auto radius = static_cast<std::size_t>(std::lround(0.020 * env.frame_rate));
    std::vector<double> low(beats.size());
    for (std::size_t k = 0; k < beats.size(); ++k)
        low[k] = local_peak(env.low_strength, env.frame_at(beats[k]), radius);
    return low;
}

// Mean of low[k] over k ≡ residue (mod modulus); 0 for none.
double mean_over_residue(const std::vector<double>& low, std::size_t residue, std::size_t modulus)
{
    double sum = 0.0;
    std::size_t count = 0;
    for (std::size_t k = residue; k < low.size(); k += modulus) {
        sum += low[k];
        ++count;
    }
    return count ? sum / static_cast<double>(count) : 0.0;
}

// Of the 4/4 bar start r and r + 4, the one that opens the 8-beat phrase with the stronger
// low-band onsets (ties: r).
std::size_t phrase_start(const std::vector<double>& low, std::size_t r)
{
    return low.size() > r + 4 && mean_over_residue(low, r + 4, 8) > mean_over_residue(low, r, 8) ? r + 4 : r;
}

// k0 from the bar decoder: the first beat it decoded as a downbeat, within the first bar; in 4/4,
// phrase_start of it. No decoded downbeat: choose_downbeat's rule.
int choose_bar_start(const std::vector<double>& beats, const std::vector<int>& bar_position, int meter,
                     const OnsetEnvelope& env)
{
    const auto first = std::find(bar_position.begin(), bar_position.end(), 0);
    if (first == bar_position.end() || meter <= 0 || env.size() == 0)
        return choose_downbeat(beats, env);
    const auto r = static_cast<std::size_t>(first - bar_position.begin()) % static_cast<std::size_t>(meter);
    return static_cast<int>(meter == 4 ? phrase_start(low_onsets(beats, env), r) : r);
}

// The decoded beats at half the tempo: the strong parity (bar positions 0 and 2 of a 4/4 bar,
// which become a 2-beat bar). Bar positions are dropped, so the downbeat comes from
// choose_downbeat's low-band rule.
BarDecoding halve_level(BarDecoding dec, int parity)
{
    std::vector<std::size_t> out;
    for (std::size_t k = static_cast<std::size_t>(parity); k < dec.frames.size(); k += 2)
        out.push_back(dec.frames[k]);
    dec.frames = std::move(out);
    dec.bar_position.clear();
    return dec;
}

// Step 4d: one shift of all the beats of a segment, the one within ±align_reach of the median beat
// period (at most align_max_s) that maximises the summed flux at the beats. The bar decoder weighs
// power rises, which come after the note onset when a sound swells in (an organ, strings: up to
// 70 ms); the log flux rises at the attack itself. One shift for the whole segment, from all of its
// beats, so it cannot follow single stray onsets the way the per-beat refinement after it could.
void align_to_flux(const std::vector<double>& onset, const FrameRange& seg, double frame_rate,
                   const BeatTrackerOptions& o, std::vector<std::size_t>& frames)
{
    if (frames.size() < 8 || !(o.align_reach > 0.0))
        return;
    std::vector<double> spacing;
    for (std::size_t k = 1; k < frames.size(); ++k)
        spacing.push_back(static_cast<double>(frames[k] - frames[k - 1]));
    const auto reach = static_cast<std::ptrdiff_t>(std::min(o.align_reach * median(spacing), o.align_max_s * frame_rate));
    if (reach < 1)
        return;
    auto at = [&](std::ptrdiff_t i) {
        return i >= static_cast<std::ptrdiff_t>(seg.begin) && i < static_cast<std::ptrdiff_t>(seg.end)
                   ? onset[static_cast<std::size_t>(i)] : 0.0;
    };
    auto score = [&](std::ptrdiff_t d) {
        double s = 0.0;
        for (const std::size_t b : frames)
            s += at(static_cast<std::ptrdiff_t>(b) + d);
        return s;
    };
    std::ptrdiff_t best = 0;
    double best_score = score(0) * o.align_margin;
    for (std::ptrdiff_t d = -reach; d <= reach; ++d) {
        const double s = score(d);
        if (s > best_score) {
            best_score = s;
            best = d;
        }
    }
    if (best == 0)
        return;
    for (std::size_t& b : frames)
        b = static_cast<std::size_t>(std::clamp(static_cast<std::ptrdiff_t>(b) + best, static_cast<std::ptrdiff_t>(seg.begin),
                                                static_cast<std::ptrdiff_t>(seg.end) - 1));
}

}  // namespace

namespace {

// The hand-made rule of at_twice_the_tempo: a fast decoded tempo whose weak beats are weak in every
// observation.
bool weak_beats_weak_everywhere(const LevelEvidence& e, const MetricalLevelOptions& o)
{
    if (!e.valid || e.bpm < o.halve_from_bpm)
        return false;
    double alternation = 0.0;
    for (int c = 0; c < LevelEvidence::observations; ++c)
        alternation = std::max(alternation, e.strong[c] > 0.0 ? e.weak[c] / e.strong[c] : 1.0);
    return alternation < o.halve_alternation;
}

// The learned activation's rule: a very fast decoded tempo whose every other beat the network
// does not believe in.
bool learned_off_beats(const LevelEvidence& e, const MetricalLevelOptions& o)
{
    return e.valid && e.learned && e.bpm >= o.learned_halve_from_bpm && e.learned_ratio < o.learned_alternation;
}

}  // namespace

bool at_twice_the_tempo(const LevelEvidence& e, const MetricalLevelOptions& o)
{
    return weak_beats_weak_everywhere(e, o) || learned_off_beats(e, o);
}

int choose_downbeat(const std::vector<double>& beats, const OnsetEnvelope& env)
{
    if (beats.size() < 4 || env.size() == 0)
        return 0;
    const std::vector<double> low = low_onsets(beats, env);
    std::size_t r = 0;
    for (std::size_t c = 1; c < 4; ++c)
        if (mean_over_residue(low, c, 4) > mean_over_residue(low, r, 4))
            r = c;
    return static_cast<int>(phrase_start(low, r));
}

BeatTrack track_beats(const DecodedAudio& audio, const BeatTrackerOptions& options)
{
    OnsetEnvelopeOptions onset = options.onset;
    onset.keep_bands = onset.keep_bands || options.learned;
    OnsetEnvelope env = compute_onset_envelope(audio, onset);
    if (options.learned)
        env.beat_activation = learned_beat_activation(env);
    return track_beats(env, options);
}

BeatTrack track_beats(const OnsetEnvelope& env, const BeatTrackerOptions& o)
{
    BeatTrack track;
    if (env.size() < 4)
        return track;
    const std::vector<FrameRange> segments = find_segments(env, o);
    if (segments.empty())
        return track;
    std::vector<double> clarity;  // per tempogram frame
    const std::vector<double> period = local_periods(env, o, track.tempo, clarity);
    const double frame_step = track.tempo.size() > 1 ? track.tempo[1].time - track.tempo[0].time : 1.0;

    std::vector<double> onset(env.size(), 0.0);  // normalised strength, filled per segment
    std::vector<int> bar_position;               // per beat of track.beats, from the bar decoder (-1: none)
    int meter = 0;                               // beats per bar of the first segment with beats
    for (const FrameRange& seg : segments) {
        track.segments.push_back({env.time(static_cast<double>(seg.begin)), env.time(static_cast<double>(seg.end))});
        // Onset strength normalised by its standard deviation over the segment.
        double sum = 0.0, sq = 0.0;
        for (std::size_t i = seg.begin; i < seg.end; ++i) {
            sum += env.strength[i];
            sq += static_cast<double>(env.strength[i]) * env.strength[i];
        }
        const double count = static_cast<double>(seg.end - seg.begin);
        const double sd = std::sqrt(std::max(0.0, sq / count - (sum / count) * (sum / count)));
        if (!(sd > 0.0))
            continue;
        for (std::size_t i = seg.begin; i < seg.end; ++i)
            onset[i] = env.strength[i] / sd;

        // Pulse clarity (see the header): noise has no pulse, so no beats.
        std::vector<double> seg_clarity;
        const double seg_start = env.time(static_cast<double>(seg.begin)), seg_end = env.time(static_cast<double>(seg.end));
        for (std::size_t f = 0; f < clarity.size(); ++f)
            if (clarity[f] >= 0.0 && track.tempo[f].time >= seg_start - 0.5 * frame_step &&
                track.tempo[f].time <= seg_end + 0.5 * frame_step)
                seg_clarity.push_back(clarity[f]);
        if (median(seg_clarity) < o.min_pulse)
            continue;
        std::vector<std::size_t> frames;
        std::vector<int> positions;  // bar positions, with the bar decoder
        if (o.bar_decoding) {
            BarPointerOptions bo = o.bar;
            bo.min_bpm = std::max(bo.min_bpm, o.min_bpm);
            bo.max_bpm = std::min(bo.max_bpm, o.max_bpm);
            BarDecoding dec = decode_bar_pointer(env, seg.begin, seg.end, bo);
            // The parity is read before the call: the argument moved from must not be read in the same call.
            const LevelEvidence& e = dec.evidence;
            const int keep = !o.level_check                         ? -1
                             : weak_beats_weak_everywhere(e, o.level) ? e.strong_parity
                             : learned_off_beats(e, o.level)          ? e.learned_parity
                                                                      : -1;
            if (keep >= 0)
                dec = halve_level(std::move(dec), keep);
            frames = std::move(dec.frames);
            positions = std::move(dec.bar_position);
            if (meter == 0 && !frames.empty())
                meter = dec.beats_per_bar;
        } else {
            frames = place_beats(onset, period, seg, o);
            frames = choose_metrical_level(env, onset, period, seg, o, std::move(frames));
        }
        // Trim leading and trailing beats whose onsets are weak against the median beat, in the
        // flux and in the low band alike (a soft kick under loud cymbals is weak in the flux only).
        const auto radius = static_cast<std::size_t>(std::lround(0.010 * env.frame_rate));
        std::vector<double> strength(frames.size()), low(frames.size());
        for (std::size_t k = 0; k < frames.size(); ++k) {
            strength[k] = local_peak(env.strength, frames[k], radius) / sd;
            low[k] = local_peak(env.low_accent, frames[k], radius);
        }
        // A steady tone or a drone has a pulse of numerical ripples only: no onsets, no beats.
        const double median_strength = median(strength);
        if (median_strength * sd < o.min_beat_strength)
            continue;
        if (!strength.empty()) {
            const double cut = o.trim_ratio * median_strength, low_cut = o.trim_ratio * median(low);
            auto weak = [&](std::size_t k) { return strength[k] < cut && !(low[k] > low_cut); };
            std::size_t first = 0, last = frames.size();
            while (first < last && weak(first))
                ++first;
            while (last > first && weak(last - 1))
                --last;
            frames = std::vector<std::size_t>(frames.begin() + static_cast<std::ptrdiff_t>(first),
                                              frames.begin() + static_cast<std::ptrdiff_t>(last));
            if (!positions.empty())
                positions = std::vector<int>(positions.begin() + static_cast<std::ptrdiff_t>(first),
                                             positions.begin() + static_cast<std::ptrdiff_t>(last));
        }

        align_to_flux(onset, seg, env.frame_rate, o, frames);
        // Move each beat to the onset peak near it (within 4% of the period, at most 15 ms), with
        // parabolic interpolation between frames.
        for (std::size_t k = 0; k < frames.size(); ++k) {
            const std::size_t b = frames[k];
            // The local period: the decoded beats' spacing, or the tempogram's.
            double tau = period[b];
            if (o.bar_decoding && frames.size() > 1) {
                const std::size_t k1 = std::min(k + 1, frames.size() - 1);
                const std::size_t k0 = k1 - 1;
                tau = static_cast<double>(frames[k1] - frames[k0]);
            }
            const auto reach = static_cast<std::size_t>(std::max(1.0, std::min(0.04 * tau, 0.015 * env.frame_rate)));
            std::size_t best = b;
            const std::size_t lo = b > reach + seg.begin ? b - reach : seg.begin;
            const std::size_t hi = std::min(seg.end, b + reach + 1);
            for (std::size_t i = lo; i < hi; ++i)
                if (onset[i] > onset[best])
                    best = i;
            double delta = 0.0;
            if (best > 0 && best + 1 < env.size()) {
                const double a = onset[best - 1], c0 = onset[best], c = onset[best + 1];
                const double den = a - 2.0 * c0 + c;
                if (den < 0.0)
                    delta = std::clamp(0.5 * (a - c) / den, -0.5, 0.5);
            }
            const double t = env.time(static_cast<double>(best) + delta);
            if (track.beats.empty() || t > track.beats.back() + 1e-6) {
                track.beats.push_back(t);
                bar_position.push_back(positions.empty() ? -1 : positions[k]);
            }
        }
    }
    track.downbeat = o.bar_decoding ? choose_bar_start(track.beats, bar_position, meter, env)
                                    : choose_downbeat(track.beats, env);
    return track;
}

}  // namespace cnnv3
