#include "aubio_beats.h"

#include "aubio_handles.h"

#include <algorithm>
#include <stdexcept>

namespace cnnv3 {

std::vector<double> aubio_beat_times(const DecodedAudio& audio)
{
    constexpr uint_t window = 1024;
    constexpr uint_t hop = 512;
    std::vector<double> beats;
    if (audio.frame_count() == 0)
        return beats;
    char method[] = "default";
    aubio::Tempo tempo(new_aubio_tempo(method, window, hop, static_cast<uint_t>(audio.sample_rate)));
    aubio::Fvec in(new_fvec(hop));
    aubio::Fvec out(new_fvec(1));
    if (!tempo || !in || !out)
        throw std::runtime_error("aubio: cannot create the tempo tracker");
    const std::vector<float> mono = audio.mono();
    uint_t last = 0;
    for (std::size_t pos = 0; pos < mono.size(); pos += hop) {
        const std::size_t n = std::min<std::size_t>(hop, mono.size() - pos);
        std::fill(in->data, in->data + hop, 0.0f);
        std::copy(mono.begin() + static_cast<std::ptrdiff_t>(pos), mono.begin() + static_cast<std::ptrdiff_t>(pos + n), in->data);
        aubio_tempo_do(tempo.get(), in.get(), out.get());
        // A new beat is when the last-beat position advances. (The per-hop output is 0 for a beat
        // exactly on a hop boundary and for one in a hop aubio finds silent: counting only nonzero
        // outputs loses many beats of a click track.)
        const uint_t now = aubio_tempo_get_last(tempo.get());
        const bool beat = now != last;
        last = now;
        if (beat) {
            const double t = audio.start_time + static_cast<double>(aubio_tempo_get_last_s(tempo.get()));
            if (beats.empty() || t > beats.back())
                beats.push_back(t);
        }
    }
    return beats;
}

}  // namespace cnnv3
