// Speed of the beat analysis (onset envelope + tracker) on one core: `cnnv3-bench-beats FILE [RUNS]`
// decodes FILE once, then times compute_onset_envelope and track_beats RUNS times (default 3) in CPU
// time of this process (single-threaded code: one core) and prints the best run as multiples of real
// time; the same for the learned tracker (BeatTrackerOptions::learned: the envelope keeping its
// bands, the features and the network's activation (beat_activation.h), then the tracker). Issue 11 asks for at least 500x on a 3-minute song; bench/RESULTS.md records the figures.
#include "audio_decode.h"
#include "beat_activation.h"
#include "beat_tracker.h"
#include "onset_envelope.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <exception>
#include <string>

int main(int argc, char** argv)
{
    if (argc < 2 || argc > 3) {
        std::fprintf(stderr, "usage: cnnv3-bench-beats FILE [RUNS]\n");
        return 2;
    }
    try {
        const int runs = argc == 3 ? std::max(1, std::stoi(argv[2])) : 3;
        const cnnv3::DecodedAudio audio = cnnv3::decode_audio(argv[1]);
        const double seconds = audio.duration();
        double best_env = 1e30, best_track = 1e30, best_lenv = 1e30, best_act = 1e30, best_ltrack = 1e30;
        std::size_t beats = 0, learned_beats = 0;
        cnnv3::BeatTrackerOptions learned;
        learned.learned = true;
        cnnv3::OnsetEnvelopeOptions keep;
        keep.keep_bands = true;
        for (int r = 0; r < runs; ++r) {
            const std::clock_t t0 = std::clock();
            const cnnv3::OnsetEnvelope env = cnnv3::compute_onset_envelope(audio);
            const std::clock_t t1 = std::clock();
            const cnnv3::BeatTrack track = cnnv3::track_beats(env);
            const std::clock_t t2 = std::clock();
            best_env = std::min(best_env, static_cast<double>(t1 - t0) / CLOCKS_PER_SEC);
            best_track = std::min(best_track, static_cast<double>(t2 - t1) / CLOCKS_PER_SEC);
            beats = track.beats.size();
            const std::clock_t t3 = std::clock();
            cnnv3::OnsetEnvelope lenv = cnnv3::compute_onset_envelope(audio, keep);
            const std::clock_t t4 = std::clock();
            lenv.beat_activation = cnnv3::learned_beat_activation(lenv);
            const std::clock_t t5 = std::clock();
            const cnnv3::BeatTrack ltrack = cnnv3::track_beats(lenv, learned);
            const std::clock_t t6 = std::clock();
            best_lenv = std::min(best_lenv, static_cast<double>(t4 - t3) / CLOCKS_PER_SEC);
            best_act = std::min(best_act, static_cast<double>(t5 - t4) / CLOCKS_PER_SEC);
            best_ltrack = std::min(best_ltrack, static_cast<double>(t6 - t5) / CLOCKS_PER_SEC);
            learned_beats = ltrack.beats.size();
        }
        std::printf("%s: %.1f s of audio, %zu beats\n", argv[1], seconds, beats);
        std::printf("onset envelope %.3f s CPU (%.0fx real time)\n", best_env, seconds / best_env);
        std::printf("tracker        %.3f s CPU (%.0fx real time)\n", best_track, seconds / best_track);
        std::printf("analysis total %.3f s CPU (%.0fx real time)\n", best_env + best_track,
                    seconds / (best_env + best_track));
        const double learned_total = best_lenv + best_act + best_ltrack;
        std::printf("learned: %zu beats; envelope with bands %.3f s, features + network %.3f s, tracker %.3f s\n", learned_beats,
                    best_lenv, best_act, best_ltrack);
        std::printf("learned analysis total %.3f s CPU (%.0fx real time)\n", learned_total, seconds / learned_total);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "cnnv3-bench-beats: %s: %s\n", argv[1], e.what());
        return 1;
    }
    return 0;
}
