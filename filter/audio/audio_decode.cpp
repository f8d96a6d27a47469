#include "audio_decode.h"

#include "ffmpeg_handles.h"

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
}

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <system_error>

namespace cnnv3 {

std::vector<float> DecodedAudio::mono() const
{
    const std::size_t n = frame_count();
    std::vector<float> out(n);
    const auto c = static_cast<std::size_t>(channels);
    for (std::size_t i = 0; i < n; ++i) {
        float sum = 0.0f;
        for (std::size_t ch = 0; ch < c; ++ch)
            sum += samples[i * c + ch];
        out[i] = sum / static_cast<float>(c);
    }
    return out;
}

namespace {

// Converts decoded frames of any format, rate and layout to interleaved float at the analysis rate,
// rebuilding the resampler when the stream's parameters change mid-way.
class PcmSink {
public:
    PcmSink(const std::filesystem::path& path, int out_rate) : path_(path), out_rate_(out_rate) {}

    void push(const AVFrame* frame)
    {
        if (out_channels_ == 0) {
            out_channels_ = frame->ch_layout.nb_channels;
            if (out_channels_ <= 0)
                throw AudioError(path_, "audio frame without channels (expected 1 or more channels)");
        }
        if (!resampler_ || frame->format != in_format_ || frame->sample_rate != in_rate_ ||
            av_channel_layout_compare(&frame->ch_layout, &in_layout_) != 0) {
            flush();
            configure(frame);
        }
        convert(const_cast<const uint8_t**>(frame->extended_data), frame->nb_samples);
    }

    // Drains the resampler's delay line.
    void flush()
    {
        if (resampler_)
            convert(nullptr, 0);
    }

    DecodedAudio take(double start_time)
    {
        flush();
        DecodedAudio out;
        out.samples = std::move(samples_);
        out.sample_rate = out_rate_;
        out.channels = out_channels_;
        out.start_time = start_time;
        for (float& s : out.samples)
            if (!std::isfinite(s))
                s = 0.0f;
        return out;
    }

    ~PcmSink()
    {
        av_channel_layout_uninit(&in_layout_);
    }

private:
    void configure(const AVFrame* frame)
    {
        av_channel_layout_uninit(&in_layout_);
        AVChannelLayout in_layout{};
        if (frame->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC)
            av_channel_layout_default(&in_layout, frame->ch_layout.nb_channels);
        else if (av_channel_layout_copy(&in_layout, &frame->ch_layout) < 0)
            throw AudioError(path_, "out of memory while setting up the resampler");
        AVChannelLayout out_layout{};
        av_channel_layout_default(&out_layout, out_channels_);
        SwrContext* raw = nullptr;
        int rc = swr_alloc_set_opts2(&raw, &out_layout, AV_SAMPLE_FMT_FLT, out_rate_, &in_layout,
                                     static_cast<AVSampleFormat>(frame->format), frame->sample_rate, 0, nullptr);
        ffmpeg::Resampler swr(raw);
        if (rc >= 0)
            rc = swr_init(swr.get());
        av_channel_layout_uninit(&out_layout);
        av_channel_layout_uninit(&in_layout);
        if (rc < 0)
            throw AudioError(path_, fmt::format("cannot resample {} Hz {}-channel audio to {} Hz ({})",
                                                frame->sample_rate, frame->ch_layout.nb_channels, out_rate_,
                                                ffmpeg::error_text(rc)));
        resampler_ = std::move(swr);
        in_format_ = frame->format;
        in_rate_ = frame->sample_rate;
        av_channel_layout_copy(&in_layout_, &frame->ch_layout);
    }

    void convert(const uint8_t** in, int in_count)
    {
        const int capacity = swr_get_out_samples(resampler_.get(), in_count);
        if (capacity <= 0)
            return;
        const std::size_t old = samples_.size();
        const auto c = static_cast<std::size_t>(out_channels_);
        samples_.resize(old + static_cast<std::size_t>(capacity) * c);
        uint8_t* out = reinterpret_cast<uint8_t*>(samples_.data() + old);
        const int got = swr_convert(resampler_.get(), &out, capacity, in, in_count);
        if (got < 0)
            throw AudioError(path_, "resampling failed (" + ffmpeg::error_text(got) + ")");
        samples_.resize(old + static_cast<std::size_t>(got) * c);
    }

    std::filesystem::path path_;
    int out_rate_;
    int out_channels_ = 0;
    ffmpeg::Resampler resampler_;
    int in_format_ = -1;
    int in_rate_ = 0;
    AVChannelLayout in_layout_{};
    std::vector<float> samples_;
};

}  // namespace

DecodedAudio decode_audio(const std::filesystem::path& path, int sample_rate)
{
    if (sample_rate <= 0)
        throw AudioError(path, fmt::format("analysis sample rate {} (expected a positive rate)", sample_rate));
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
        throw AudioError(path, "no such file (expected a media file with an audio stream)");
    ffmpeg::InputFormat input = ffmpeg::open_input<AudioError>(path);

    int index = -1;
    for (unsigned i = 0; i < input->nb_streams; ++i) {
        const AVStream* s = input->streams[i];
        if (index < 0 && s->codecpar->codec_type == AVMEDIA_TYPE_AUDIO)
            index = static_cast<int>(i);
        else
            input->streams[i]->discard = AVDISCARD_ALL;
    }
    if (index < 0)
        throw NoAudioStream(path);
    AVStream* stream = input->streams[index];

    const AVCodec* codec = avcodec_find_decoder(stream->codecpar->codec_id);
    if (!codec)
        throw AudioError(path, fmt::format("audio codec \"{}\" cannot be decoded by this FFmpeg build",
                                           avcodec_get_name(stream->codecpar->codec_id)));
    ffmpeg::CodecContext decoder(avcodec_alloc_context3(codec));
    if (!decoder)
        throw AudioError(path, "out of memory while opening the audio decoder");
    if (int rc = avcodec_parameters_to_context(decoder.get(), stream->codecpar); rc < 0)
        throw AudioError(path, "bad audio stream parameters (" + ffmpeg::error_text(rc) + ")");
    decoder->pkt_timebase = stream->time_base;
    if (int rc = avcodec_open2(decoder.get(), codec, nullptr); rc < 0)
        throw AudioError(path, fmt::format("cannot open the {} audio decoder ({})", codec->name, ffmpeg::error_text(rc)));

    ffmpeg::Packet packet(av_packet_alloc());
    ffmpeg::Frame frame(av_frame_alloc());
    if (!packet || !frame)
        throw AudioError(path, "out of memory while decoding");

    PcmSink sink(path, sample_rate);
    const double origin = ffmpeg::container_start(input.get());
    double start_time = ffmpeg::seconds(stream->start_time, stream->time_base, origin) - origin;
    bool have_start = false;
    int bad_packets = 0;
    std::string last_error;

    auto drain = [&]() {
        while (true) {
            const int rc = avcodec_receive_frame(decoder.get(), frame.get());
            if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF)
                return;
            if (rc < 0) {
                ++bad_packets;
                last_error = ffmpeg::error_text(rc);
                return;
            }
            if (!have_start) {
                have_start = true;
                if (frame->best_effort_timestamp != AV_NOPTS_VALUE)
                    start_time = ffmpeg::seconds(frame->best_effort_timestamp, stream->time_base) - origin;
            }
            sink.push(frame.get());
            av_frame_unref(frame.get());
        }
    };

    while (av_read_frame(input.get(), packet.get()) >= 0) {
        if (packet->stream_index == index) {
            const int rc = avcodec_send_packet(decoder.get(), packet.get());
            if (rc < 0 && rc != AVERROR(EAGAIN)) {
                ++bad_packets;
                last_error = ffmpeg::error_text(rc);
            }
            drain();
        }
        av_packet_unref(packet.get());
    }
    avcodec_send_packet(decoder.get(), nullptr);
    drain();

    DecodedAudio audio = sink.take(start_time);
    if (audio.frame_count() == 0)
        throw AudioError(path, bad_packets > 0
                                   ? fmt::format("no decodable audio in stream #{} ({}: {})", index, codec->name, last_error)
                                   : fmt::format("audio stream #{} ({}) holds no samples", index, codec->name));
    return audio;
}

DecodedAudio resample_pcm(const std::string& name, const std::vector<float>& interleaved, int channels, int rate,
                          int sample_rate)
{
    if (channels <= 0 || rate <= 0 || sample_rate <= 0)
        throw AudioError(name, fmt::format("{} channels at {} Hz (expected at least 1 channel and a positive rate)",
                                           channels, rate));
    ffmpeg::Frame frame(av_frame_alloc());
    if (!frame)
        throw AudioError(name, "out of memory while resampling");
    frame->format = AV_SAMPLE_FMT_FLT;
    frame->sample_rate = rate;
    av_channel_layout_default(&frame->ch_layout, channels);
    PcmSink sink(name, sample_rate);
    // In blocks, as a decoder would hand them over (the resampler's output does not depend on it).
    constexpr std::size_t block = 4096;
    const std::size_t total = interleaved.size() / static_cast<std::size_t>(channels);
    for (std::size_t first = 0; first < total; first += block) {
        const std::size_t count = std::min(block, total - first);
        frame->nb_samples = static_cast<int>(count);
        frame->data[0] = reinterpret_cast<uint8_t*>(const_cast<float*>(interleaved.data() + first * channels));
        frame->extended_data = frame->data;
        sink.push(frame.get());
    }
    frame->data[0] = nullptr;
    return sink.take(0.0);
}

}  // namespace cnnv3
