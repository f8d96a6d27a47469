#include "audio_decode.h"

#include "stream_time.h"
#include "user_media.h"

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
}

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

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
    PcmSink(const std::string& name, int out_rate) : path_(name), out_rate_(out_rate) {}

    // Places `frame` at `time` seconds on the file's timeline (NaN: right after the previous frame).
    // Frames more than a hundredth of a second away from where the previous one ended are placed by
    // their time: silence fills a gap, samples that overlap what is already placed are dropped.
    void push(const AVFrame* frame, double time)
    {
        if (!have_start_ && std::isfinite(time)) {
            have_start_ = true;
            start_time_ = time;
        }
        int skip = 0;  // input samples to drop from the front of the frame
        if (have_start_ && std::isfinite(time) && out_channels_ > 0) {
            const auto c = static_cast<std::int64_t>(out_channels_);
            const std::int64_t placed = static_cast<std::int64_t>(samples_.size()) / c +
                                        (resampler_ ? swr_get_delay(resampler_.get(), out_rate_) : 0);
            const std::int64_t due = std::llround((time - start_time_) * out_rate_);
            const std::int64_t tolerance = out_rate_ / 100;
            if (due > placed + tolerance) {
                flush();
                resampler_.reset();
                samples_.resize(static_cast<std::size_t>(due * c), 0.0f);
            } else if (due < placed - tolerance) {
                const std::int64_t overlap = av_rescale(placed - due, frame->sample_rate, out_rate_);
                if (overlap >= frame->nb_samples)
                    return;
                skip = static_cast<int>(overlap);
            }
        }
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
        const auto format = static_cast<AVSampleFormat>(frame->format);
        const int planes = av_sample_fmt_is_planar(format) ? frame->ch_layout.nb_channels : 1;
        const int step = av_get_bytes_per_sample(format) * (av_sample_fmt_is_planar(format) ? 1 : frame->ch_layout.nb_channels);
        std::vector<const uint8_t*> data(static_cast<std::size_t>(planes));
        for (int p = 0; p < planes; ++p)
            data[static_cast<std::size_t>(p)] = frame->extended_data[p] + static_cast<std::ptrdiff_t>(skip) * step;
        convert(data.data(), frame->nb_samples - skip);
    }

    // Drains the resampler's delay line.
    void flush()
    {
        if (resampler_)
            convert(nullptr, 0);
    }

    // The samples placed so far; the first one is at the first frame's time (0 if none had one).
    DecodedAudio take()
    {
        flush();
        DecodedAudio out;
        out.samples = std::move(samples_);
        out.sample_rate = out_rate_;
        out.channels = out_channels_;
        out.start_time = have_start_ ? start_time_ : 0.0;
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
        av::Resampler swr(raw);
        if (rc >= 0)
            rc = swr_init(swr.get());
        av_channel_layout_uninit(&out_layout);
        av_channel_layout_uninit(&in_layout);
        if (rc < 0)
            throw AudioError(path_, fmt::format("cannot resample {} Hz {}-channel audio to {} Hz ({})",
                                                frame->sample_rate, frame->ch_layout.nb_channels, out_rate_,
                                                av::error_text(rc)));
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
            throw AudioError(path_, "resampling failed (" + av::error_text(got) + ")");
        samples_.resize(old + static_cast<std::size_t>(got) * c);
    }

    std::string path_;  // the input's name, for errors
    int out_rate_;
    int out_channels_ = 0;
    av::Resampler resampler_;
    int in_format_ = -1;
    int in_rate_ = 0;
    AVChannelLayout in_layout_{};
    std::vector<float> samples_;
    bool have_start_ = false;
    double start_time_ = 0.0;
};

}  // namespace

namespace {

DecodedAudio decode_audio_stream(const std::string& path, const std::string& name, int sample_rate)
{
    if (sample_rate <= 0)
        throw AudioError(name, fmt::format("analysis sample rate {} (expected a positive rate)", sample_rate));
    av::InputContext input = open_media<AudioError>(path, name, "a media file with an audio stream");

    const int index = audio_stream_index(*input);
    if (index < 0)
        throw NoAudioStream(name);
    read_only_stream(*input, index);
    AVStream* stream = input->streams[index];

    const AVCodec* codec = avcodec_find_decoder(stream->codecpar->codec_id);
    if (!codec)
        throw AudioError(name, fmt::format("audio codec \"{}\" cannot be decoded by this FFmpeg build",
                                           avcodec_get_name(stream->codecpar->codec_id)));
    av::CodecContext decoder(avcodec_alloc_context3(codec));
    if (!decoder)
        throw AudioError(name, "out of memory while opening the audio decoder");
    if (int rc = avcodec_parameters_to_context(decoder.get(), stream->codecpar); rc < 0)
        throw AudioError(name, "bad audio stream parameters (" + av::error_text(rc) + ")");
    decoder->pkt_timebase = stream->time_base;
    if (int rc = avcodec_open2(decoder.get(), codec, nullptr); rc < 0)
        throw AudioError(name, fmt::format("cannot open the {} audio decoder ({})", codec->name, av::error_text(rc)));

    av::Packet packet(av_packet_alloc());
    av::Frame frame(av_frame_alloc());
    if (!packet || !frame)
        throw AudioError(name, "out of memory while decoding");

    PcmSink sink(name, sample_rate);
    int bad_packets = 0;
    std::string last_error;

    auto drain = [&]() {
        while (true) {
            const int rc = avcodec_receive_frame(decoder.get(), frame.get());
            if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF)
                return;
            if (rc < 0) {
                ++bad_packets;
                last_error = av::error_text(rc);
                return;
            }
            const double time = frame->best_effort_timestamp == AV_NOPTS_VALUE
                                    ? std::nan("")
                                    : ffmpeg::seconds_from_start(frame->best_effort_timestamp, stream->time_base, input.get());
            sink.push(frame.get(), time);
            av_frame_unref(frame.get());
        }
    };

    while (av_read_frame(input.get(), packet.get()) >= 0) {
        if (packet->stream_index == index) {
            const int rc = avcodec_send_packet(decoder.get(), packet.get());
            if (rc < 0 && rc != AVERROR(EAGAIN)) {
                ++bad_packets;
                last_error = av::error_text(rc);
            }
            drain();
        }
        av_packet_unref(packet.get());
    }
    avcodec_send_packet(decoder.get(), nullptr);
    drain();

    DecodedAudio audio = sink.take();
    if (audio.frame_count() == 0 && bad_packets > 0)
        throw AudioError(name, fmt::format("no decodable audio in stream #{} ({}: {})", index, codec->name, last_error));
    if (audio.frame_count() == 0)
        throw NoAudioStream(name, fmt::format("audio stream #{} ({}) holds no samples", index, codec->name));
    return audio;
}

}  // namespace

DecodedAudio decode_audio(const std::filesystem::path& path, int sample_rate)
{
    return decode_audio_stream(path.string(), media_name(path.string()), sample_rate);
}

DecodedAudio decode_audio(const SpooledInput& input, int sample_rate)
{
    return decode_audio_stream(input.path(), input.name(), sample_rate);
}

DecodedAudio resample_pcm(const std::string& name, const std::vector<float>& interleaved, int channels, int rate,
                          int sample_rate)
{
    if (channels <= 0 || rate <= 0 || sample_rate <= 0)
        throw AudioError(name, fmt::format("{} channels at {} Hz (expected at least 1 channel and a positive rate)",
                                           channels, rate));
    av::Frame frame(av_frame_alloc());
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
        sink.push(frame.get(), std::nan(""));
    }
    frame->data[0] = nullptr;
    return sink.take();
}

}  // namespace cnnv3
