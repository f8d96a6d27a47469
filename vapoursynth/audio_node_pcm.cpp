#include "audio_node_pcm.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <vector>

namespace cnnv3::vs {

namespace {

// Frees a frame handed out by getFrame.
struct FrameRelease {
    const VSAPI* vsapi;
    void operator()(const VSFrame* f) const { vsapi->freeFrame(f); }
};

}  // namespace

DecodedAudio read_audio_node(VSNode* audio, const VSAPI* vsapi)
{
    const VSAudioInfo& ai = *vsapi->getAudioInfo(audio);
    const int channels = ai.format.numChannels;
    // Integer samples fill their storage from the top (VapourSynth's bitsPerSample counts the
    // significant bits, bytesPerSample the storage: 24-bit audio comes as int32 with the low 8 bits
    // zero), so the full scale is that of the storage type, not of bitsPerSample.
    const float int_scale = std::ldexp(1.0f, -(8 * ai.format.bytesPerSample - 1));
    std::vector<float> interleaved(static_cast<std::size_t>(ai.numSamples) * static_cast<std::size_t>(channels));
    std::size_t written = 0;
    for (int n = 0; n < ai.numFrames; ++n) {
        char error[1024] = {};
        std::unique_ptr<const VSFrame, FrameRelease> frame(vsapi->getFrame(n, audio, error, sizeof error), {vsapi});
        if (!frame)
            throw std::runtime_error(fmt::format("audio frame {}: {}", n, error));
        const int length = vsapi->getFrameLength(frame.get());
        for (int c = 0; c < channels; ++c) {
            const std::uint8_t* data = vsapi->getReadPtr(frame.get(), c);
            float* out = interleaved.data() + written + static_cast<std::size_t>(c);
            for (int i = 0; i < length; ++i, out += channels) {
                if (ai.format.sampleType == stFloat)
                    *out = reinterpret_cast<const float*>(data)[i];
                else if (ai.format.bytesPerSample == 2)
                    *out = static_cast<float>(reinterpret_cast<const std::int16_t*>(data)[i]) * int_scale;
                else
                    *out = static_cast<float>(reinterpret_cast<const std::int32_t*>(data)[i]) * int_scale;
            }
        }
        written += static_cast<std::size_t>(length) * static_cast<std::size_t>(channels);
    }
    interleaved.resize(written);
    return resample_pcm("audio", interleaved, channels, ai.sampleRate);
}

}  // namespace cnnv3::vs
