#include "muxer_takes.h"

#include "av_handles.h"

#include <cstring>
#include <new>
#include <optional>

namespace cnnv3 {

namespace {

AVCodecID default_codec(const AVOutputFormat& container, AVMediaType type)
{
    switch (type) {
    case AVMEDIA_TYPE_VIDEO: return container.video_codec;
    case AVMEDIA_TYPE_AUDIO: return container.audio_codec;
    case AVMEDIA_TYPE_SUBTITLE: return container.subtitle_codec;
    default: return AV_CODEC_ID_NONE;
    }
}

// Steps 1 and 2 of the header; nullopt where only the muxer can tell.
std::optional<bool> listed(const AVOutputFormat& container, AVCodecID codec)
{
    // > 0, not == 1: the mp3 muxer answers with the ID3 tag it would write a picture under.
    const int q = avformat_query_codec(&container, codec, FF_COMPLIANCE_NORMAL);
    if (q >= 0)
        return q > 0;
    const AVCodecID own = default_codec(container, avcodec_get_type(codec));
    if (own == AV_CODEC_ID_NONE)
        return false;
    if (own == codec)
        return true;
    if (codec == AV_CODEC_ID_H264 && std::strcmp(container.name, "mpegts") == 0)
        return true;
    return std::nullopt;
}

// Writes a header for `stream` alone into memory; true if the muxer accepted it.
bool header_accepted(const AVOutputFormat& container, const AVCodecParameters& stream)
{
    AVFormatContext* raw = nullptr;
    if (avformat_alloc_output_context2(&raw, &container, nullptr, nullptr) < 0 || !raw)
        throw std::bad_alloc();
    av::OutputContext probe(raw);
    AVStream* s = avformat_new_stream(raw, nullptr);
    if (!s || avcodec_parameters_copy(s->codecpar, &stream) < 0 || avio_open_dyn_buf(&raw->pb) < 0)
        throw std::bad_alloc();
    s->codecpar->codec_tag = 0;
    s->time_base = stream.sample_rate > 0 ? AVRational{1, stream.sample_rate} : AVRational{1, 1000};
    const bool accepted = avformat_write_header(raw, nullptr) >= 0;
    // The memory buffer is not a file: free it here, so that OutputFreer does not close it as one.
    uint8_t* written = nullptr;
    avio_close_dyn_buf(raw->pb, &written);
    av_free(written);
    raw->pb = nullptr;
    return accepted;
}

// A stream of `codec` as an encoder would start it, without its codec header.
bool typical_stream_accepted(const AVOutputFormat& container, AVCodecID codec)
{
    av::CodecParameters par(avcodec_parameters_alloc());
    if (!par)
        throw std::bad_alloc();
    par->codec_id = codec;
    par->codec_type = avcodec_get_type(codec);
    if (par->codec_type == AVMEDIA_TYPE_VIDEO) {
        par->width = 320;
        par->height = 240;
        par->format = AV_PIX_FMT_YUV420P;  // the one format every video muxer takes (y4m included)
    } else if (par->codec_type == AVMEDIA_TYPE_AUDIO) {
        par->sample_rate = 48000;
        par->format = AV_SAMPLE_FMT_S16;
        av_channel_layout_default(&par->ch_layout, 2);
    }
    return header_accepted(container, *par);
}

}  // namespace

bool muxer_takes(const AVOutputFormat& container, const AVCodecParameters& stream)
{
    // A yes is asked again: the lists are wider than what the muxers write (mov lists Opus).
    if (listed(container, stream.codec_id) == false)
        return false;
    if (container.flags & AVFMT_NOFILE)
        return true;
    return header_accepted(container, stream);
}

Takes muxer_takes(const AVOutputFormat& container, AVCodecID codec)
{
    if (const std::optional<bool> answer = listed(container, codec))
        return *answer ? Takes::yes : Takes::no;
    if (container.flags & AVFMT_NOFILE)
        return Takes::maybe;
    return typical_stream_accepted(container, codec) ? Takes::maybe : Takes::no;
}

}  // namespace cnnv3
