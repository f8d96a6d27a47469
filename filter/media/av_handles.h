// Owning handles for every FFmpeg object the host creates (RAII: each one frees itself with the
// matching FFmpeg call, so no code path frees by hand), plus FFmpeg's error text. The one set, for
// filter/audio and filter/video; written against the FFmpeg 5.1 API and kept to calls later
// versions still have.
#pragma once

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/dict.h>
#include <libavutil/error.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/buffer.h>
#include <libavutil/frame.h>
#include <libswresample/swresample.h>
}

#include <memory>
#include <new>
#include <string>

namespace cnnv3::av {

// Deleters for std::unique_ptr, one per FFmpeg free function.
struct InputCloser {
    void operator()(AVFormatContext* p) const { avformat_close_input(&p); }
};
// An output context owns its AVIOContext unless the muxer opens files itself (AVFMT_NOFILE).
struct OutputFreer {
    void operator()(AVFormatContext* p) const
    {
        if (p->oformat && !(p->oformat->flags & AVFMT_NOFILE))
            avio_closep(&p->pb);
        avformat_free_context(p);
    }
};
struct CodecContextFreer {
    void operator()(AVCodecContext* p) const { avcodec_free_context(&p); }
};
struct CodecParametersFreer {
    void operator()(AVCodecParameters* p) const { avcodec_parameters_free(&p); }
};
struct PacketFreer {
    void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct FrameFreer {
    void operator()(AVFrame* p) const { av_frame_free(&p); }
};
struct ResamplerFreer {
    void operator()(SwrContext* p) const { swr_free(&p); }
};
struct AudioFifoFreer {
    void operator()(AVAudioFifo* p) const { av_audio_fifo_free(p); }
};
// A pool is freed once its last buffer comes back (av_buffer_pool_uninit): buffers may outlive it.
struct BufferPoolFreer {
    void operator()(AVBufferPool* p) const { av_buffer_pool_uninit(&p); }
};

// A demuxer opened with avformat_open_input.
using InputContext = std::unique_ptr<AVFormatContext, InputCloser>;
// A muxer from avformat_alloc_output_context2, with its AVIOContext when it has one.
using OutputContext = std::unique_ptr<AVFormatContext, OutputFreer>;
using CodecContext = std::unique_ptr<AVCodecContext, CodecContextFreer>;
using CodecParameters = std::unique_ptr<AVCodecParameters, CodecParametersFreer>;
using Packet = std::unique_ptr<AVPacket, PacketFreer>;
using Frame = std::unique_ptr<AVFrame, FrameFreer>;
using Resampler = std::unique_ptr<SwrContext, ResamplerFreer>;
using AudioFifo = std::unique_ptr<AVAudioFifo, AudioFifoFreer>;
using BufferPool = std::unique_ptr<AVBufferPool, BufferPoolFreer>;

inline Frame make_frame()
{
    Frame f(av_frame_alloc());
    if (!f)
        throw std::bad_alloc();
    return f;
}

inline Packet make_packet()
{
    Packet p(av_packet_alloc());
    if (!p)
        throw std::bad_alloc();
    return p;
}

// An AVDictionary that frees itself (options for avcodec_open2 / avformat_write_header).
class Dictionary {
public:
    Dictionary() = default;
    Dictionary(const Dictionary&) = delete;
    Dictionary& operator=(const Dictionary&) = delete;
    ~Dictionary() { av_dict_free(&dict_); }

    void set(const std::string& key, const std::string& value) { av_dict_set(&dict_, key.c_str(), value.c_str(), 0); }
    bool has(const std::string& key) const { return av_dict_get(dict_, key.c_str(), nullptr, 0) != nullptr; }
    // The value of `key`, or "" when it is not set.
    std::string get(const std::string& key) const
    {
        const AVDictionaryEntry* e = av_dict_get(dict_, key.c_str(), nullptr, 0);
        return e ? e->value : "";
    }
    int size() const { return av_dict_count(dict_); }
    // The first key left in the dictionary (after avcodec_open2: an option nobody took), or "".
    std::string first_key() const
    {
        const AVDictionaryEntry* e = av_dict_get(dict_, "", nullptr, AV_DICT_IGNORE_SUFFIX);
        return e ? e->key : "";
    }
    AVDictionary** address() { return &dict_; }

private:
    AVDictionary* dict_ = nullptr;
};

// FFmpeg's text for an AVERROR code, e.g. "Invalid data found when processing input".
inline std::string error_text(int code)
{
    char buf[AV_ERROR_MAX_STRING_SIZE] = {};
    av_strerror(code, buf, sizeof buf);
    return buf;
}

}  // namespace cnnv3::av
