// Decoding the audio of a media file to float PCM for analysis (SPEC §6 works on these samples).
//
// Any file FFmpeg reads will do: audio-only files (WAV, FLAC, MP3, ...) and videos. The first audio
// stream is decoded, resampled to one fixed analysis rate with libswresample, and kept with its
// channel count. Times are seconds on the file's timeline, with 0 at the container's start time
// (so the first sample of a typical file is at 0 and a video frame with pts p is at p − start).
#pragma once

#include <cstddef>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace cnnv3 {

class SpooledInput;

// The analysis sample rate every decoded track is resampled to.
inline constexpr int analysis_sample_rate = 44100;

// A media file that could not be read or decoded. what() is one line: "FILE: problem".
class AudioError : public std::runtime_error {
public:
    AudioError(const std::filesystem::path& file, const std::string& problem)
        : std::runtime_error(file.string() + ": " + problem), file_(file.string()) {}
    const std::string& file() const { return file_; }

private:
    std::string file_;
};

// The file opened fine but has no audio stream (a silent video, an image), or its audio stream holds
// no samples at all. Callers fall back to fixed conditioning.
class NoAudioStream : public AudioError {
public:
    explicit NoAudioStream(const std::filesystem::path& file,
                           const std::string& problem = "has no audio stream (expected a file with at least one audio stream)")
        : AudioError(file, problem) {}
};

// Decoded PCM of one audio stream.
struct DecodedAudio {
    std::vector<float> samples;  // interleaved [frame][channel], nominally in [-1, 1]; never NaN/Inf
    int sample_rate = 0;         // samples per second per channel (analysis_sample_rate by default)
    int channels = 0;            // the stream's channel count (kept, not downmixed)
    double start_time = 0.0;     // seconds of the first sample on the file timeline (see above)

    // Samples per channel.
    std::size_t frame_count() const { return channels > 0 ? samples.size() / static_cast<std::size_t>(channels) : 0; }
    // Length in seconds.
    double duration() const { return sample_rate > 0 ? static_cast<double>(frame_count()) / sample_rate : 0.0; }
    // The channels averaged into one signal.
    std::vector<float> mono() const;
};

// Decodes the first audio stream of `path` (attached cover pictures and video streams are ignored)
// and resamples it to `sample_rate`. Non-finite decoded values become 0.
// Throws NoAudioStream when the file has no audio stream or its stream holds no packets, AudioError
// when the file is missing, not a media file, or its audio cannot be decoded.
// `path` is opened as user_media.h says ("-" = standard input); the overload for a SpooledInput
// reads its copy and names the user's input in errors. Samples are placed by their timestamps:
// a gap in the stream becomes silence, overlapping samples are dropped (tolerance 10 ms).
DecodedAudio decode_audio(const std::filesystem::path& path, int sample_rate = analysis_sample_rate);
DecodedAudio decode_audio(const SpooledInput& input, int sample_rate = analysis_sample_rate);

// Interleaved float PCM from elsewhere (a VapourSynth audio node) through the same resampler path
// decode_audio() uses, so the same samples give the same analysis. `name` is used in errors; the
// result starts at start_time 0. Throws AudioError for no channels or a bad rate.
DecodedAudio resample_pcm(const std::string& name, const std::vector<float>& interleaved, int channels, int rate,
                          int sample_rate = analysis_sample_rate);

}  // namespace cnnv3
