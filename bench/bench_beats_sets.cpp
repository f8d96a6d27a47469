// Beat-tracking accuracy on the rendered benchmark clips, in one process:
// `cnnv3-bench-beats-sets [--no-level-check] [--learned] [--learned-level BPM RATIO] [--bar NAME=NUMBER]... [--align REACH MAX_S MARGIN] [--dump DIR] [--beats DIR] [--features DIR] [--activations DIR] LIST`
// (--bar sets a field of BarPointerOptions, --align the three align_* fields of BeatTrackerOptions, for tuning). LIST (or `-` for stdin) has one clip a line,
// `GROUP FILE.wav`; the reference beats are FILE.beats.txt beside it (the caches that
// bench/beats_real_music.py and bench/beats_grooves.py render). Each clip goes through
// decode_audio and track_beats exactly as `cnnv3 analyze` does (same library, same defaults), and
// the table gives the tracked beats' median tempo, the tempogram's (the median of BeatTrack::tempo), F at ±70 ms and the "any level" F of bench/beats_real_music.py (the best of the
// reference, its doubled grid and its two halves), then the mean per group. It exists for tuning:
// the 66 dev clips take about half a minute here against several minutes through the CLI; the
// figures in bench/RESULTS.md come from the Python benches, which also run aubio. --dump DIR writes
// DIR/CLIP.decoded.txt per clip: the bar decoder's beats over the whole clip before the level check
// (time and bar position a line, after a header with the strong parity and the decoded BPM), the
// input of bench/beats_harmony.py. --beats DIR writes DIR/CLIP.tracked.txt: the tracked beats, one
// time a line (the input of bench/beats_failures.py). --features DIR writes DIR/CLIP.feat.npy, the
// learned activation's input (beat_activation.h; training/beats/ trains on them); --activations DIR
// reads DIR/CLIP.act.f32 (written by training/beats/) into OnsetEnvelope::beat_activation, so the
// decoder runs on that activation (for the cross-validation of training/beats/); --learned runs the
// learned tracker (BeatTrackerOptions::learned: the trained network's activation, as
// `cnnv3 analyze --tracker learned`); --learned-level sets MetricalLevelOptions' learned_* fields.
// Each file it writes appears whole or not at all (shadergen/atomic_file.h; a file of the same name
// is replaced), so a run stopped mid-write leaves no half file for training/ or the Python benches.
#include "atomic_file.h"
#include "audio_decode.h"
#include "beat_activation.h"
#include "beat_metrics.h"
#include "beat_times_file.h"
#include "beat_tracker.h"
#include "onset_envelope.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <initializer_list>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

double any_level(const std::vector<double>& est, const std::vector<double>& ref)
{
    std::vector<double> doubled = ref, even, odd;
    for (std::size_t i = 0; i + 1 < ref.size(); ++i)
        doubled.push_back(0.5 * (ref[i] + ref[i + 1]));
    std::sort(doubled.begin(), doubled.end());
    for (std::size_t i = 0; i < ref.size(); ++i)
        (i % 2 ? odd : even).push_back(ref[i]);
    using cnnv3::test::f_measure;
    return std::max({f_measure(est, ref), f_measure(est, doubled), f_measure(est, even), f_measure(est, odd)});
}

// --bar NAME=NUMBER: a field of BarPointerOptions (bar_pointer.h), for tuning on the dev lists.
bool set_bar_option(cnnv3::BarPointerOptions& o, const std::string& arg)
{
    const auto eq = arg.find('=');
    if (eq == std::string::npos)
        return false;
    const std::string name = arg.substr(0, eq);
    char* end = nullptr;
    const double v = std::strtod(arg.c_str() + eq + 1, &end);
    if (end == arg.c_str() + eq + 1 || *end != '\0')
        return false;
    const std::map<std::string, double*> fields = {
        {"tempo_change", &o.tempo_change}, {"jump_cost", &o.jump_cost}, {"prior_bpm", &o.prior_bpm},
        {"prior_weight", &o.prior_weight}, {"w_broad", &o.w_broad}, {"w_energy", &o.w_energy},
        {"w_low", &o.w_low}, {"w_mid", &o.w_mid}, {"w_accent", &o.w_accent}, {"w_downbeat", &o.w_downbeat},
        {"weak_cost", &o.weak_cost}, {"threshold", &o.threshold}, {"meter3_cost", &o.meter3_cost},
        {"tempo_step", &o.tempo_step}, {"min_bpm", &o.min_bpm}, {"max_bpm", &o.max_bpm},
        {"w_learned", &o.w_learned}, {"learned_bias", &o.learned_bias}, {"learned_clip", &o.learned_clip},
        {"hand_weight", &o.hand_weight}};
    if (name == "band") {
        o.band = static_cast<int>(v);
        return true;
    }
    const auto it = fields.find(name);
    if (it == fields.end())
        return false;
    *it->second = v;
    return true;
}

// DIR/CLIP.feat.npy: the learned activation's input features (beat_activation.h), a float32
// array of shape (frames, channels) in NumPy's .npy format (version 1.0), read by training/beats/.
void write_features(const std::string& path, const cnnv3::BeatFeatures& f)
{
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(f.frames) + ", " +
                         std::to_string(f.channels) + "), }";
    const std::size_t total = 10 + header.size() + 1;
    header.append((64 - total % 64) % 64, ' ');
    header.push_back('\n');
    std::string bytes = {'\x93', 'N', 'U', 'M', 'P', 'Y', 1, 0};
    const auto len = static_cast<std::uint16_t>(header.size());
    bytes.push_back(static_cast<char>(len & 0xFF));
    bytes.push_back(static_cast<char>(len >> 8));
    bytes += header;
    bytes.append(reinterpret_cast<const char*>(f.values.data()), f.values.size() * sizeof(float));
    cnnv3::write_file_atomically(path, bytes, true);
}

// DIR/CLIP.act.f32: one little-endian float32 beat probability per feature frame (training/beats/).
std::vector<float> read_activation(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error(path + ": cannot read (expected float32 activations from training/beats/)");
    std::vector<float> a;
    float v = 0.0f;
    while (in.read(reinterpret_cast<char*>(&v), sizeof v))
        a.push_back(v);
    return a;
}

// The numbers after option argv[i] into `fields`, advancing i; false (after one line on stderr) when
// one is not a number.
bool read_numbers(char** argv, int& i, std::initializer_list<double*> fields, const char* expected)
{
    for (double* field : fields) {
        char* end = nullptr;
        *field = std::strtod(argv[++i], &end);
        if (end == argv[i] || *end != '\0') {
            std::fprintf(stderr, "%s: not a number (expected %s)\n", argv[i], expected);
            return false;
        }
    }
    return true;
}

}  // namespace

int main(int argc, char** argv)
{
    cnnv3::BeatTrackerOptions options;
    std::vector<std::string> lists;
    std::string dump, beats_dir, features_dir, activations_dir;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--no-level-check")
            options.level_check = false;
        else if (a == "--learned")
            options.learned = true;
        else if (a == "--learned-level" && i + 2 < argc) {
            if (!read_numbers(argv, i, {&options.level.learned_halve_from_bpm, &options.level.learned_alternation},
                              "--learned-level BPM RATIO"))
                return 2;
        } else if (a == "--align" && i + 3 < argc) {
            if (!read_numbers(argv, i, {&options.align_reach, &options.align_max_s, &options.align_margin},
                              "--align REACH MAX_S MARGIN"))
                return 2;
        }
        else if (a == "--dump" && i + 1 < argc)
            dump = argv[++i];
        else if (a == "--beats" && i + 1 < argc)
            beats_dir = argv[++i];
        else if (a == "--features" && i + 1 < argc)
            features_dir = argv[++i];
        else if (a == "--activations" && i + 1 < argc)
            activations_dir = argv[++i];
        else if (a == "--bar" && i + 1 < argc) {
            if (!set_bar_option(options.bar, argv[++i])) {
                std::fprintf(stderr, "%s: unknown bar option (expected NAME=NUMBER, NAME a field of BarPointerOptions)\n", argv[i]);
                return 2;
            }
        }
        else
            lists.push_back(a);
    }
    if (lists.size() != 1) {
        std::fprintf(stderr, "usage: cnnv3-bench-beats-sets [--no-level-check] [--learned] [--learned-level BPM RATIO] [--bar NAME=NUMBER]... [--align REACH MAX_S MARGIN] [--dump DIR] [--beats DIR] [--features DIR] [--activations DIR] LIST|-\n");
        return 2;
    }
    const std::string& list = lists[0];
    std::ifstream file;
    if (list != "-") {
        file.open(list);
        if (!file) {
            std::fprintf(stderr, "%s: cannot read (expected a list of `GROUP FILE.wav` lines)\n", list.c_str());
            return 1;
        }
    }
    std::istream& in = list == "-" ? std::cin : file;
    std::map<std::string, std::vector<std::pair<double, double>>> groups;
    std::printf("| group | clip | beats | tracked | BPM | tempogram BPM | F | F any level |\n|---|---|---|---|---|---|---|---|\n");
    std::string line;
    for (std::size_t n = 1; std::getline(in, line); ++n) {
        std::istringstream fields(line);
        std::string group, wav;
        if (!(fields >> group))
            continue;
        if (!(fields >> wav) || wav.size() < 5 || wav.substr(wav.size() - 4) != ".wav") {
            std::fprintf(stderr, "%s:%zu: expected `GROUP FILE.wav`\n", list.c_str(), n);
            return 1;
        }
        try {
            const std::vector<double> ref = cnnv3::read_beat_times(wav.substr(0, wav.size() - 4) + ".beats.txt");
            const std::string clip = wav.substr(wav.rfind('/') + 1);
            const std::string stem = clip.substr(0, clip.size() - 4);
            cnnv3::OnsetEnvelopeOptions onset = options.onset;
            onset.keep_bands = onset.keep_bands || !features_dir.empty() || options.learned;
            cnnv3::OnsetEnvelope env = cnnv3::compute_onset_envelope(cnnv3::decode_audio(wav), onset);
            if (!features_dir.empty())
                write_features(features_dir + "/" + stem + ".feat.npy", cnnv3::beat_features(env));
            if (!activations_dir.empty())
                env.beat_activation = cnnv3::hold_activation(read_activation(activations_dir + "/" + stem + ".act.f32"),
                                                             cnnv3::BeatFeatures{}.block, env.size());
            else if (options.learned)
                env.beat_activation = cnnv3::learned_beat_activation(env);  // as track_beats(audio, options)
            const cnnv3::BeatTrack track = cnnv3::track_beats(env, options);
            if (!dump.empty()) {
                const cnnv3::BarDecoding dec = cnnv3::decode_bar_pointer(env, 0, env.size(), options.bar);
                std::ostringstream out;
                out << "# strong_parity " << dec.evidence.strong_parity << " bpm " << dec.evidence.bpm << "\n";
                for (std::size_t k = 0; k < dec.frames.size(); ++k)
                    out << env.time(static_cast<double>(dec.frames[k])) << ' ' << dec.bar_position[k] << '\n';
                cnnv3::write_file_atomically(dump + "/" + stem + ".decoded.txt", out.str(), true);
            }
            const std::vector<double>& est = track.beats;
            if (!beats_dir.empty()) {
                std::ostringstream out;
                for (double t : est)
                    out << t << '\n';
                cnnv3::write_file_atomically(beats_dir + "/" + stem + ".tracked.txt", out.str(), true);
            }
            std::vector<double> gaps;
            for (std::size_t k = 1; k < est.size(); ++k)
                gaps.push_back(est[k] - est[k - 1]);
            std::nth_element(gaps.begin(), gaps.begin() + static_cast<std::ptrdiff_t>(gaps.size() / 2), gaps.end());
            const double bpm = gaps.empty() ? 0.0 : 60.0 / gaps[gaps.size() / 2];
            const double f = cnnv3::test::f_measure(est, ref), fa = any_level(est, ref);
            groups[group].emplace_back(f, fa);
            std::vector<double> tempi;
            for (const cnnv3::TempoPoint& p : track.tempo)
                tempi.push_back(p.bpm);
            std::nth_element(tempi.begin(), tempi.begin() + static_cast<std::ptrdiff_t>(tempi.size() / 2), tempi.end());
            const double tempogram_bpm = tempi.empty() ? 0.0 : tempi[tempi.size() / 2];
            std::printf("| %s | %s | %zu | %zu | %.0f | %.0f | %.3f | %.3f |\n", group.c_str(),
                        clip.c_str(), ref.size(), est.size(), bpm, tempogram_bpm, f, fa);
            std::fflush(stdout);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "%s\n", e.what());
            return 1;
        }
    }
    std::printf("\n| group | clips | mean F | mean F any level |\n|---|---|---|---|\n");
    for (const auto& [group, scores] : groups) {
        double f = 0.0, fa = 0.0;
        for (const auto& [a, b] : scores)
            f += a, fa += b;
        const auto count = static_cast<double>(scores.size());
        std::printf("| %s | %zu | %.3f | %.3f |\n", group.c_str(), scores.size(), f / count, fa / count);
    }
    return 0;
}
