#include "muxer_takes.h"

#include "av_handles.h"

#include <new>

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

}  // namespace

bool muxer_takes(const AVOutputFormat& container, const AVCodecParameters& stream)
{
    const int q = avformat_query_codec(&container, stream.codec_id, FF_COMPLIANCE_NORMAL);
    if (q >= 0)
        return q == 1;
    if (default_codec(container, stream.codec_type) == AV_CODEC_ID_NONE)
        return false;
    if (container.flags & AVFMT_NOFILE)
        return true;
    return header_accepted(container, stream);
}

}  // namespace cnnv3
