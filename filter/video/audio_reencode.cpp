#include "audio_reencode.h"

#include "encoder_choice.h"
#include "muxer_takes.h"
#include "send_to_encoder.h"
#include "video_error.h"

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/samplefmt.h>
}

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace cnnv3 {

namespace {

bool has_name(const AVOutputFormat& container, const char* name)
{
    return std::strcmp(container.name, name) == 0;
}


bool is_mp4_family(const AVOutputFormat& container)
{
    for (const char* name : {"mp4", "mov", "ipod", "ismv", "3gp", "3g2", "psp", "f4v"})
        if (has_name(container, name))
            return true;
    return false;
}

// The codec's supported values (FFmpeg 5.1 - 7.0: the AVCodec lists; 7.1+: the config query).
#if LIBAVCODEC_VERSION_INT >= AV_VERSION_INT(61, 13, 100)
const void* supported(const AVCodec& codec, AVCodecConfig config)
{
    const void* values = nullptr;
    int count = 0;
    return avcodec_get_supported_config(nullptr, &codec, config, 0, &values, &count) >= 0 ? values : nullptr;
}
const int* rates_of(const AVCodec& c) { return static_cast<const int*>(supported(c, AV_CODEC_CONFIG_SAMPLE_RATE)); }
const AVSampleFormat* formats_of(const AVCodec& c)
{
    return static_cast<const AVSampleFormat*>(supported(c, AV_CODEC_CONFIG_SAMPLE_FORMAT));
}
const AVChannelLayout* layouts_of(const AVCodec& c)
{
    return static_cast<const AVChannelLayout*>(supported(c, AV_CODEC_CONFIG_CHANNEL_LAYOUT));
}
#else
const int* rates_of(const AVCodec& c) { return c.supported_samplerates; }
const AVSampleFormat* formats_of(const AVCodec& c) { return c.sample_fmts; }
const AVChannelLayout* layouts_of(const AVCodec& c) { return c.ch_layouts; }
#endif

int choose_rate(const AVCodec& codec, int input)
{
    const int* rates = rates_of(codec);
    if (!rates || !*rates)
        return input;
    int above = 0, highest = 0;
    for (const int* r = rates; *r; ++r) {
        if (*r == input)
            return input;
        if (*r > input && (above == 0 || *r < above))
            above = *r;
        highest = std::max(highest, *r);
    }
    return above ? above : highest;
}

AVSampleFormat choose_sample_format(const AVCodec& codec, AVSampleFormat input)
{
    const AVSampleFormat* formats = formats_of(codec);
    if (!formats || *formats == AV_SAMPLE_FMT_NONE)
        return input;
    for (const AVSampleFormat* f = formats; *f != AV_SAMPLE_FMT_NONE; ++f)
        if (*f == input)
            return input;
    for (const AVSampleFormat* f = formats; *f != AV_SAMPLE_FMT_NONE; ++f)
        if (*f == AV_SAMPLE_FMT_FLT || *f == AV_SAMPLE_FMT_FLTP)
            return *f;  // no precision lost
    return formats[0];
}

// The input's layout where the encoder takes it, else one with as many channels, else stereo
// (else the encoder's first). An input without a channel order gets the default for its count.
void choose_layout(const AVCodec& codec, const AVChannelLayout& input, AVChannelLayout& out)
{
    AVChannelLayout in{};
    if (input.order == AV_CHANNEL_ORDER_UNSPEC || input.nb_channels <= 0)
        av_channel_layout_default(&in, input.nb_channels > 0 ? input.nb_channels : 2);
    else
        av_channel_layout_copy(&in, &input);
    const AVChannelLayout* layouts = layouts_of(codec);
    const AVChannelLayout* pick = &in;
    if (layouts && layouts[0].nb_channels > 0) {
        const AVChannelLayout stereo = AV_CHANNEL_LAYOUT_STEREO;
        const AVChannelLayout* same_count = nullptr;
        const AVChannelLayout* two = nullptr;
        pick = nullptr;
        for (const AVChannelLayout* l = layouts; l->nb_channels > 0; ++l) {
            if (av_channel_layout_compare(l, &in) == 0) {
                pick = l;
                break;
            }
            if (!same_count && l->nb_channels == in.nb_channels)
                same_count = l;
            if (!two && av_channel_layout_compare(l, &stereo) == 0)
                two = l;
        }
        if (!pick)
            pick = same_count ? same_count : two ? two : &layouts[0];
    }
    av_channel_layout_copy(&out, pick);
    av_channel_layout_uninit(&in);
}

std::string layout_name(const AVChannelLayout& layout)
{
    char buf[64] = {};
    if (av_channel_layout_describe(&layout, buf, sizeof buf) < 0)
        return fmt::format("{} channels", layout.nb_channels);
    return buf;
}

}  // namespace

const AVCodec* audio_encoder_for(const AVOutputFormat& container)
{
    std::vector<const char*> names;
    if (is_matroska(container))
        names = {"libopus", "opus", "libvorbis", "vorbis"};
    else if (is_mp4_family(container))
        names = {"aac", "libfdk_aac"};
    for (const char* name : names) {
        const AVCodec* codec = avcodec_find_encoder_by_name(name);
        if (codec && muxer_takes(container, codec->id) == Takes::yes)
            return codec;
    }
    if (container.audio_codec != AV_CODEC_ID_NONE)
        if (const AVCodec* codec = avcodec_find_encoder(container.audio_codec))
            return codec;
    return nullptr;
}

bool audio_is_experimental_in(const AVOutputFormat& container, AVCodecID codec)
{
    return (codec == AV_CODEC_ID_FLAC || codec == AV_CODEC_ID_TRUEHD) && has_name(container, "mp4");
}

AudioReencoder::AudioReencoder(const AVStream& in, AVFormatContext& out, const AVCodec& encoder, std::string in_name,
                               std::string out_name)
    : in_(in), in_name_(std::move(in_name)), out_name_(std::move(out_name))
{
    const AVCodecParameters& par = *in.codecpar;
    const AVCodec* decoder = avcodec_find_decoder(par.codec_id);
    if (!decoder)
        throw VideoError(in_name_, fmt::format("no decoder for its {} audio (needed to re-encode it for {})",
                                               avcodec_get_name(par.codec_id), out.oformat->name));
    decoder_.reset(avcodec_alloc_context3(decoder));
    if (!decoder_)
        throw std::bad_alloc();
    if (int rc = avcodec_parameters_to_context(decoder_.get(), &par); rc < 0)
        throw VideoError(in_name_, fmt::format("cannot set up the {} decoder ({})", decoder->name, av::error_text(rc)));
    decoder_->pkt_timebase = in.time_base;
    if (int rc = avcodec_open2(decoder_.get(), decoder, nullptr); rc < 0)
        throw VideoError(in_name_, fmt::format("cannot open the {} decoder ({})", decoder->name, av::error_text(rc)));

    encoder_.reset(avcodec_alloc_context3(&encoder));
    if (!encoder_)
        throw std::bad_alloc();
    AVCodecContext& enc = *encoder_;
    const int in_rate = par.sample_rate > 0 ? par.sample_rate : 48000;
    // Opus is always 48 kHz (decoders output it; libopus's priming at lower rates is off by a few ms).
    enc.sample_rate = encoder.id == AV_CODEC_ID_OPUS ? 48000 : choose_rate(encoder, in_rate);
    enc.sample_fmt = choose_sample_format(encoder, static_cast<AVSampleFormat>(par.format));
    choose_layout(encoder, par.ch_layout, enc.ch_layout);
    const bool aac = encoder.id == AV_CODEC_ID_AAC;
    enc.bit_rate = static_cast<int64_t>(aac ? 64000 : 48000) * enc.ch_layout.nb_channels;
    enc.time_base = {1, enc.sample_rate};
    if (encoder.capabilities & AV_CODEC_CAP_EXPERIMENTAL)
        enc.strict_std_compliance = FF_COMPLIANCE_EXPERIMENTAL;  // FFmpeg 5.1's native opus encoder
    if (out.oformat->flags & AVFMT_GLOBALHEADER)
        enc.flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if (int rc = avcodec_open2(&enc, &encoder, nullptr); rc < 0)
        throw VideoError(out_name_, fmt::format("cannot open the {} encoder for {} Hz {} ({})", encoder.name,
                                                enc.sample_rate, layout_name(enc.ch_layout), av::error_text(rc)));

    stream_ = avformat_new_stream(&out, nullptr);
    if (!stream_)
        throw std::bad_alloc();
    if (int rc = avcodec_parameters_from_context(stream_->codecpar, &enc); rc < 0)
        throw VideoError(out_name_, fmt::format("cannot set up the audio stream ({})", av::error_text(rc)));
    stream_->time_base = enc.time_base;
    stream_->disposition = in.disposition;

    fifo_.reset(av_audio_fifo_alloc(enc.sample_fmt, enc.ch_layout.nb_channels, std::max(enc.frame_size, 1024)));
    if (!fifo_)
        throw std::bad_alloc();
}

AudioReencoder::~AudioReencoder() { av_channel_layout_uninit(&swr_layout_); }

std::string AudioReencoder::describe() const
{
    const AVCodecContext& enc = *encoder_;
    return fmt::format("{} ({}), {} Hz {}, {} kb/s", avcodec_get_name(enc.codec_id), enc.codec->name, enc.sample_rate,
                       layout_name(enc.ch_layout), enc.bit_rate / 1000);
}

void AudioReencoder::configure_resampler(const AVFrame& frame)
{
    const AVCodecContext& enc = *encoder_;
    AVChannelLayout in_layout{};
    if (frame.ch_layout.order == AV_CHANNEL_ORDER_UNSPEC)
        av_channel_layout_default(&in_layout, frame.ch_layout.nb_channels);
    else
        av_channel_layout_copy(&in_layout, &frame.ch_layout);
    SwrContext* raw = nullptr;
    int rc = swr_alloc_set_opts2(&raw, const_cast<AVChannelLayout*>(&enc.ch_layout), enc.sample_fmt, enc.sample_rate, &in_layout,
                                 static_cast<AVSampleFormat>(frame.format), frame.sample_rate, 0, nullptr);
    av::Resampler swr(raw);
    if (rc >= 0)
        rc = swr_init(swr.get());
    av_channel_layout_uninit(&in_layout);
    if (rc < 0)
        throw VideoError(out_name_, fmt::format("cannot convert {} Hz {} audio for the {} encoder ({})",
                                                frame.sample_rate, layout_name(frame.ch_layout), enc.codec->name,
                                                av::error_text(rc)));
    resampler_ = std::move(swr);
    swr_rate_ = frame.sample_rate;
    swr_format_ = frame.format;
    av_channel_layout_uninit(&swr_layout_);
    av_channel_layout_copy(&swr_layout_, &frame.ch_layout);
}

void AudioReencoder::convert(const AVFrame* frame)
{
    if (!resampler_)
        return;
    const int in_count = frame ? frame->nb_samples : 0;
    const int capacity = swr_get_out_samples(resampler_.get(), in_count);
    if (capacity <= 0)
        return;
    const AVCodecContext& enc = *encoder_;
    // One buffer for the whole stream, grown when a frame needs more room (decoders keep their size).
    AVFrame& out = *converted_;
    if (!out.buf[0] || out.nb_samples < capacity) {
        av_frame_unref(&out);
        out.format = enc.sample_fmt;
        out.nb_samples = capacity;
        if (av_channel_layout_copy(&out.ch_layout, &enc.ch_layout) < 0 || av_frame_get_buffer(&out, 0) < 0)
            throw std::bad_alloc();
    }
    const int got = swr_convert(resampler_.get(), out.extended_data, capacity,
                                frame ? const_cast<const uint8_t**>(frame->extended_data) : nullptr, in_count);
    int rc = got;
    if (got > 0)
        rc = av_audio_fifo_write(fifo_.get(), reinterpret_cast<void**>(out.extended_data), got);
    if (rc < 0)
        throw VideoError(out_name_, fmt::format("cannot convert the audio for the {} encoder ({})", enc.codec->name,
                                                av::error_text(rc)));
}

void AudioReencoder::write_silence(int64_t samples, const PacketSink& sink)
{
    const AVCodecContext& enc = *encoder_;
    constexpr int chunk = 4096;
    std::vector<uint8_t*> planes(static_cast<std::size_t>(enc.ch_layout.nb_channels), nullptr);
    if (av_samples_alloc(planes.data(), nullptr, enc.ch_layout.nb_channels, chunk, enc.sample_fmt, 0) < 0)
        throw std::bad_alloc();
    av_samples_set_silence(planes.data(), 0, chunk, enc.ch_layout.nb_channels, enc.sample_fmt);
    try {
        for (int64_t left = samples; left > 0; left -= chunk) {
            const int n = static_cast<int>(std::min<int64_t>(left, chunk));
            if (av_audio_fifo_write(fifo_.get(), reinterpret_cast<void**>(planes.data()), n) < n)
                throw std::bad_alloc();
            encode_fifo(false, sink);
        }
    } catch (...) {
        av_freep(&planes[0]);
        throw;
    }
    av_freep(&planes[0]);
}

void AudioReencoder::encode(const AVFrame* frame, const PacketSink& sink)
{
    send_to_encoder(*encoder_, frame, *encoded_, out_name_, [] { return std::string("the audio"); }, [&](AVPacket& p) {
        p.stream_index = stream_->index;
        av_packet_rescale_ts(&p, encoder_->time_base, stream_->time_base);
        sink(p);
    });
}

// Whole encoder frames from the FIFO; with `final`, the rest too (padded with silence for encoders
// that take only whole frames).
void AudioReencoder::encode_fifo(bool final, const PacketSink& sink)
{
    const AVCodecContext& enc = *encoder_;
    const bool any_size = enc.frame_size <= 0 || (enc.codec->capabilities & AV_CODEC_CAP_VARIABLE_FRAME_SIZE);
    const int frame_size = enc.frame_size > 0 ? enc.frame_size : 1024;
    while (av_audio_fifo_size(fifo_.get()) >= frame_size || (final && av_audio_fifo_size(fifo_.get()) > 0)) {
        const int n = std::min(frame_size, av_audio_fifo_size(fifo_.get()));
        const bool pad = n < frame_size && !any_size && !(enc.codec->capabilities & AV_CODEC_CAP_SMALL_LAST_FRAME);
        // One frame of frame_size samples for the whole stream; av_frame_make_writable gives it new
        // buffers only while the encoder still holds a reference to the last ones.
        AVFrame* frame = to_encode_.get();
        if (!frame->buf[0]) {
            frame->format = enc.sample_fmt;
            frame->sample_rate = enc.sample_rate;
            frame->nb_samples = frame_size;
            if (av_channel_layout_copy(&frame->ch_layout, &enc.ch_layout) < 0 || av_frame_get_buffer(frame, 0) < 0)
                throw std::bad_alloc();
        }
        frame->nb_samples = frame_size;
        if (av_frame_make_writable(frame) < 0)
            throw std::bad_alloc();
        frame->nb_samples = pad ? frame_size : n;
        if (pad)
            av_samples_set_silence(frame->extended_data, n, frame_size - n, enc.ch_layout.nb_channels, enc.sample_fmt);
        if (av_audio_fifo_read(fifo_.get(), reinterpret_cast<void**>(frame->extended_data), n) != n)
            throw std::bad_alloc();
        frame->pts = next_pts_;
        next_pts_ += n;
        encode(frame, sink);
    }
}

void AudioReencoder::send(const AVPacket* packet, const PacketSink& sink)
{
    AVCodecContext* dec = decoder_.get();
    int rc = avcodec_send_packet(dec, packet);
    if (rc < 0 && rc != AVERROR_EOF)
        throw VideoError(in_name_, fmt::format("cannot decode the audio of stream #{} ({})", in_.index,
                                               av::error_text(rc)));
    const AVRational out_tb = encoder_->time_base;
    while (true) {
        rc = avcodec_receive_frame(dec, decoded_.get());
        if (rc == AVERROR(EAGAIN))
            return;
        if (rc == AVERROR_EOF)
            break;
        if (rc < 0)
            throw VideoError(in_name_, fmt::format("cannot decode the audio of stream #{} ({})", in_.index,
                                                   av::error_text(rc)));
        AVFrame& f = *decoded_;
        if (f.decode_error_flags || (f.flags & AV_FRAME_FLAG_CORRUPT))
            throw VideoError(in_name_, fmt::format("damaged audio in stream #{} (the decoder reported corrupt data)",
                                                   in_.index));
        if (!resampler_ || f.sample_rate != swr_rate_ || f.format != swr_format_ ||
            av_channel_layout_compare(&f.ch_layout, &swr_layout_) != 0) {
            convert(nullptr);  // the old resampler's tail first
            if (base_pts_ != AV_NOPTS_VALUE) {  // count on from here at the new rate
                base_pts_ += av_rescale_q(base_samples_, {1, swr_rate_}, out_tb);
                base_samples_ = 0;
            }
            configure_resampler(f);
        }
        const int64_t pts = f.best_effort_timestamp == AV_NOPTS_VALUE
                                ? AV_NOPTS_VALUE
                                : av_rescale_q(f.best_effort_timestamp, in_.time_base, out_tb);
        if (base_pts_ == AV_NOPTS_VALUE) {
            base_pts_ = next_pts_ = pts == AV_NOPTS_VALUE ? 0 : pts;
        } else if (pts != AV_NOPTS_VALUE) {
            // A gap in the timestamps: silence, so that what follows keeps its time.
            const int64_t expected = base_pts_ + av_rescale(base_samples_, out_tb.den, swr_rate_);
            if (pts - expected > out_tb.den / 10) {
                convert(nullptr);
                write_silence(pts - expected, sink);
                base_pts_ = pts;
                base_samples_ = 0;
            }
        }
        base_samples_ += f.nb_samples;
        convert(&f);
        av_frame_unref(&f);
        encode_fifo(false, sink);
    }
    convert(nullptr);
    encode_fifo(true, sink);
    encode(nullptr, sink);
}

AddedAudio add_audio_stream(const AVStream& in, AVFormatContext& out, const std::string& in_name,
                            const std::string& out_name)
{
    const AVCodecParameters& par = *in.codecpar;
    const AVOutputFormat& container = *out.oformat;
    AddedAudio added;
    if (audio_is_experimental_in(container, par.codec_id))  // first: the muxer refuses it too
        added.why = fmt::format("{} in {} is experimental in FFmpeg", avcodec_get_name(par.codec_id), container.name);
    else if (!muxer_takes(container, par))
        added.why = fmt::format("the {} container cannot carry it", container.name);
    if (added.why.empty()) {
        added.stream = avformat_new_stream(&out, nullptr);
        if (!added.stream)
            throw std::bad_alloc();
        if (int rc = avcodec_parameters_copy(added.stream->codecpar, &par); rc < 0)
            throw VideoError(out_name, fmt::format("cannot copy the audio of {} ({})", in_name, av::error_text(rc)));
        added.stream->codecpar->codec_tag = 0;
        added.stream->time_base = in.time_base;
        added.stream->disposition = in.disposition;
        av_dict_copy(&added.stream->metadata, in.metadata, 0);
        return added;
    }
    const AVCodec* encoder = audio_encoder_for(container);
    if (!encoder) {
        added.how = AddedAudio::How::no_audio;
    } else if (!avcodec_find_decoder(par.codec_id)) {
        added.how = AddedAudio::How::cannot_decode;
    } else {
        added.how = AddedAudio::How::reencoded;
        added.reencoder = std::make_unique<AudioReencoder>(in, out, *encoder, in_name, out_name);
        added.stream = &added.reencoder->stream();
    }
    return added;
}

}  // namespace cnnv3
