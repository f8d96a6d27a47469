// Re-encoding one audio stream for an output container that cannot carry its codec (AAC or PCM
// into WebM, PCM or FLAC into MP4...), so that `cnnv3 stylize` never drops the music:
//
//   - the codec: audio_encoder_for() (docs/video.md): Opus for Matroska/WebM (libopus, else
//     FFmpeg's native opus encoder, else Vorbis), AAC for MP4/MOV and their kin, else the
//     container's own default audio codec;
//   - the stream keeps its channel layout where the encoder takes it (else the same channel count,
//     else stereo) and its sample rate where the encoder takes it (else the next higher rate it
//     takes; Opus is always 48 kHz); libswresample converts, an AVAudioFifo cuts the encoder's frames;
//   - bit rate: 64 kb/s per channel for AAC, 48 kb/s per channel for Opus and Vorbis;
//   - timing: the first output sample has the first decoded input sample's timestamp (the encoder's
//     priming is written as the container's codec delay / edit list); a gap in the input's
//     timestamps of more than 0.1 s is filled with silence so that what follows stays in sync.
//
// Not thread-safe; one object per re-encoded stream, owned by the transcoder. Every FFmpeg handle
// is owned (av_handles.h).
#pragma once

#include "av_handles.h"

#include <functional>
#include <memory>
#include <string>

namespace cnnv3 {

// The audio encoder `container` gets for audio it cannot carry as is, or nullptr when it holds
// no audio (y4m, images) or this FFmpeg has none of the candidates. The first of its preferred
// encoders (Opus, Vorbis for Matroska/WebM; AAC for MP4 and kin) whose codec the container takes
// for sure (muxer_takes.h: Takes::yes), else an encoder of the container's own audio codec.
const AVCodec* audio_encoder_for(const AVOutputFormat& container);

// Audio the muxer says it carries but writes only with -strict experimental (FFmpeg 5.1's MP4
// muxer: FLAC and TrueHD): re-encoded like audio it cannot carry, since players rarely read it.
bool audio_is_experimental_in(const AVOutputFormat& container, AVCodecID codec);

class AudioReencoder {
public:
    using PacketSink = std::function<void(AVPacket&)>;

    // Opens a decoder for `in` and `encoder` for `out`, and adds the output stream to `out` (before
    // its header is written). `in_name` / `out_name` name the files in errors. Throws VideoError
    // when the input's codec cannot be decoded or the encoder refuses every setting.
    AudioReencoder(const AVStream& in, AVFormatContext& out, const AVCodec& encoder, std::string in_name,
                   std::string out_name);

    ~AudioReencoder();
    AudioReencoder(const AudioReencoder&) = delete;
    AudioReencoder& operator=(const AudioReencoder&) = delete;

    AVStream& stream() const { return *stream_; }
    // One line for the notes: "opus (libopus), 48000 Hz stereo, 96 kb/s".
    std::string describe() const;

    // Decodes `packet` (in the input stream's time base) and hands every packet the encoder makes
    // to `sink` (stream index and timestamps set for the output stream). nullptr drains decoder,
    // resampler and encoder: call it once, at the end.
    void send(const AVPacket* packet, const PacketSink& sink);

private:
    void convert(const AVFrame* frame);             // into the FIFO (nullptr: the resampler's tail)
    void configure_resampler(const AVFrame& frame);
    void write_silence(int64_t samples, const PacketSink& sink);
    void encode_fifo(bool final, const PacketSink& sink);
    void encode(const AVFrame* frame, const PacketSink& sink);

    const AVStream& in_;
    AVStream* stream_ = nullptr;
    std::string in_name_, out_name_;
    av::CodecContext decoder_;
    av::CodecContext encoder_;
    av::Resampler resampler_;
    av::AudioFifo fifo_;
    av::Frame decoded_ = av::make_frame();
    av::Frame converted_ = av::make_frame();  // swr_convert's output, grown as needed, reused
    av::Frame to_encode_ = av::make_frame();  // one encoder frame from the FIFO, reused
    av::Packet encoded_ = av::make_packet();
    // The resampler's input as configured (rebuilt when a decoded frame differs).
    int swr_rate_ = 0;
    int swr_format_ = -1;
    AVChannelLayout swr_layout_{};
    // Timestamps in the encoder's time base (1 / output rate).
    int64_t next_pts_ = AV_NOPTS_VALUE;  // of the first sample in the FIFO
    int64_t base_pts_ = AV_NOPTS_VALUE;  // where the input samples counted in base_samples_ began
    int64_t base_samples_ = 0;           // input samples decoded since base_pts_ (at swr_rate_)
};

// How one audio stream went into an output (add_audio_stream).
struct AddedAudio {
    enum class How {
        copied,          // packet for packet
        reencoded,       // through `reencoder`
        no_audio,        // left out: the container holds no audio (no encoder for it)
        cannot_decode,   // left out: the container cannot carry the codec and this FFmpeg cannot decode it
    };
    How how = How::copied;
    AVStream* stream = nullptr;                  // the stream added to the output; nullptr when left out
    std::unique_ptr<AudioReencoder> reencoder;   // set when re-encoded
    std::string why;  // why it is not copied ("the webm container cannot carry it", "flac in mp4 is
                      // experimental in FFmpeg"); "" when copied
};

// The one decision "copy this audio stream or re-encode it", for IN's own audio and for
// `--audio FILE`: copied where `out`'s container carries the codec (and not only experimentally,
// audio_is_experimental_in), else re-encoded with audio_encoder_for(). A copied stream gets the
// codec parameters (codec tag cleared), time base, disposition and metadata; a re-encoded one its
// disposition (metadata is the caller's: the old encoding's statistics no longer apply). Adds
// nothing when left out. `in_name` / `out_name` name the files in errors (AudioReencoder).
AddedAudio add_audio_stream(const AVStream& in, AVFormatContext& out, const std::string& in_name,
                            const std::string& out_name);

}  // namespace cnnv3
