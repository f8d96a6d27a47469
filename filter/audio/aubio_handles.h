// Owning handles for the aubio objects the audio layer uses (RAII: each frees itself with the
// matching del_* call). Internal to filter/audio.
#pragma once

#include <aubio/aubio.h>

#include <memory>

namespace cnnv3::aubio {

struct FvecDeleter {
    void operator()(fvec_t* p) const { del_fvec(p); }
};
struct CvecDeleter {
    void operator()(cvec_t* p) const { del_cvec(p); }
};
struct FftDeleter {
    void operator()(aubio_fft_t* p) const { del_aubio_fft(p); }
};
struct TempoDeleter {
    void operator()(aubio_tempo_t* p) const { del_aubio_tempo(p); }
};

using Fvec = std::unique_ptr<fvec_t, FvecDeleter>;
using Cvec = std::unique_ptr<cvec_t, CvecDeleter>;
using Fft = std::unique_ptr<aubio_fft_t, FftDeleter>;
using Tempo = std::unique_ptr<aubio_tempo_t, TempoDeleter>;

}  // namespace cnnv3::aubio
