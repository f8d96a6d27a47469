#include "media_writer.h"

extern "C" {
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
}

#include <algorithm>
#include <cstdint>
#include <cmath>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace cnnv3::test {

namespace {

struct OutputCloser {
    void operator()(AVFormatContext* oc) const
    {
        if (oc->pb)
            avio_closep(&oc->pb);
        avformat_free_context(oc);
    }
};

void check(int rc, const std::string& what)
{
    if (rc < 0)
        throw std::runtime_error("write_nut: " + what + " failed (" + std::to_string(rc) + ")");
}

// write_nut with the audio from sample `cut` on written `gap` samples later.
void write_nut_impl(const std::filesystem::path& path, int fps_num, int fps_den, int frames, const Signal* audio,
                    int channels, std::size_t cut, std::int64_t gap)
{
    AVFormatContext* raw = nullptr;
    check(avformat_alloc_output_context2(&raw, nullptr, "nut", path.c_str()), "alloc");
    std::unique_ptr<AVFormatContext, OutputCloser> oc(raw);
    constexpr int w = 16, h = 16;

    AVStream* vs = avformat_new_stream(oc.get(), nullptr);
    vs->codecpar->codec_type = AVMEDIA_TYPE_VIDEO;
    vs->codecpar->codec_id = AV_CODEC_ID_RAWVIDEO;
    vs->codecpar->format = AV_PIX_FMT_GRAY8;
    vs->codecpar->width = w;
    vs->codecpar->height = h;
    vs->time_base = AVRational{fps_den, fps_num};
    vs->avg_frame_rate = AVRational{fps_num, fps_den};

    AVStream* as = nullptr;
    if (audio) {
        as = avformat_new_stream(oc.get(), nullptr);
        as->codecpar->codec_type = AVMEDIA_TYPE_AUDIO;
        as->codecpar->codec_id = AV_CODEC_ID_PCM_S16LE;
        as->codecpar->format = AV_SAMPLE_FMT_S16;
        as->codecpar->sample_rate = audio->rate;
        av_channel_layout_default(&as->codecpar->ch_layout, channels);
        as->codecpar->bits_per_coded_sample = 16;
        as->codecpar->block_align = 2 * channels;
        as->time_base = AVRational{1, audio->rate};
    }
    check(avio_open(&oc->pb, path.c_str(), AVIO_FLAG_WRITE), "open");
    check(avformat_write_header(oc.get(), nullptr), "header");

    std::unique_ptr<AVPacket, void (*)(AVPacket*)> pkt(av_packet_alloc(), [](AVPacket* p) { av_packet_free(&p); });
    int next_frame = 0;
    std::size_t next_sample = 0;
    constexpr std::size_t chunk = 1024;
    while (true) {
        const double tv = next_frame < frames ? static_cast<double>(next_frame) * fps_den / fps_num : 1e300;
        const bool audio_left = audio && next_sample < audio->samples.size();
        const std::int64_t shift = next_sample >= cut ? gap : 0;
        const double ta = audio_left ? static_cast<double>(static_cast<std::int64_t>(next_sample) + shift) / audio->rate : 1e300;
        if (tv == 1e300 && ta == 1e300)
            break;
        if (tv <= ta) {
            check(av_new_packet(pkt.get(), w * h), "packet");
            std::fill(pkt->data, pkt->data + w * h, static_cast<uint8_t>(next_frame * 7));
            pkt->stream_index = vs->index;
            pkt->pts = pkt->dts = av_rescale_q(next_frame, AVRational{fps_den, fps_num}, vs->time_base);
            pkt->duration = av_rescale_q(1, AVRational{fps_den, fps_num}, vs->time_base);
            pkt->flags |= AV_PKT_FLAG_KEY;
            ++next_frame;
        } else {
            std::size_t n = std::min(chunk, audio->samples.size() - next_sample);
            if (next_sample < cut)
                n = std::min(n, cut - next_sample);
            check(av_new_packet(pkt.get(), static_cast<int>(n * 2 * static_cast<std::size_t>(channels))), "packet");
            auto* out = reinterpret_cast<int16_t*>(pkt->data);
            for (std::size_t i = 0; i < n; ++i)
                for (int c = 0; c < channels; ++c)
                    *out++ = static_cast<int16_t>(std::lround(std::clamp(audio->samples[next_sample + i], -1.0f, 0.99997f) * 32768.0f));
            pkt->stream_index = as->index;
            pkt->pts = pkt->dts = av_rescale_q(static_cast<int64_t>(next_sample) + shift, AVRational{1, audio->rate}, as->time_base);
            pkt->duration = av_rescale_q(static_cast<int64_t>(n), AVRational{1, audio->rate}, as->time_base);
            pkt->flags |= AV_PKT_FLAG_KEY;
            next_sample += n;
        }
        check(av_interleaved_write_frame(oc.get(), pkt.get()), "write");
    }
    check(av_write_trailer(oc.get()), "trailer");
}

}  // namespace

void write_nut(const std::filesystem::path& path, int fps_num, int fps_den, int frames, const Signal* audio, int channels)
{
    write_nut_impl(path, fps_num, fps_den, frames, audio, channels, SIZE_MAX, 0);
}

void write_nut_with_audio_gap(const std::filesystem::path& path, int fps_num, int fps_den, int frames,
                              const Signal& audio, double cut, double gap)
{
    write_nut_impl(path, fps_num, fps_den, frames, &audio, 1, static_cast<std::size_t>(std::lround(cut * audio.rate)),
                   std::llround(gap * audio.rate));
}

void write_y4m(const std::filesystem::path& path, int fps, int frames)
{
    std::ofstream out(path, std::ios::binary);
    out << "YUV4MPEG2 W16 H16 F" << fps << ":1 Ip A1:1 C420jpeg\n";
    const std::string picture(16 * 16 + 2 * 8 * 8, '\x80');
    for (int i = 0; i < frames; ++i)
        out << "FRAME\n" << picture;
    if (!out)
        throw std::runtime_error("cannot write " + path.string());
}

}  // namespace cnnv3::test
