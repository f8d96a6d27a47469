#include "media_tools.h"

extern "C" {
#include <libavutil/pixdesc.h>
}

#include <array>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <unistd.h>

namespace cnnv3::test {

namespace fs = std::filesystem;

void ffmpeg(const std::string& args)
{
    const std::string command = "ffmpeg -hide_banner -nostdin -v error -y " + args;
    if (std::system(command.c_str()) != 0)
        throw std::runtime_error("failed: " + command);
}

std::string shell_output(const std::string& command)
{
    FILE* pipe = popen(command.c_str(), "r");
    if (!pipe)
        throw std::runtime_error("cannot run: " + command);
    std::string out;
    std::array<char, 4096> buf{};
    std::size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0)
        out.append(buf.data(), n);
    if (pclose(pipe) != 0)
        throw std::runtime_error("failed: " + command);
    return out;
}

const StreamRecord* MediaRecord::first(AVMediaType type) const
{
    for (const StreamRecord& s : streams)
        if (s.type == type)
            return &s;
    return nullptr;
}

namespace {

av::InputContext open(const fs::path& file)
{
    AVFormatContext* raw = nullptr;
    if (avformat_open_input(&raw, file.c_str(), nullptr, nullptr) < 0)
        throw std::runtime_error("cannot open " + file.string());
    av::InputContext ic(raw);
    if (avformat_find_stream_info(raw, nullptr) < 0)
        throw std::runtime_error("no stream info in " + file.string());
    return ic;
}

}  // namespace

MediaRecord read_media(const fs::path& file)
{
    av::InputContext ic = open(file);
    MediaRecord media;
    media.container = ic->iformat->name;
    media.duration = ic->duration == AV_NOPTS_VALUE ? 0.0 : static_cast<double>(ic->duration) / AV_TIME_BASE;
    media.start_time = ic->start_time == AV_NOPTS_VALUE ? 0.0 : static_cast<double>(ic->start_time) / AV_TIME_BASE;
    for (unsigned i = 0; i < ic->nb_streams; ++i) {
        const AVStream* st = ic->streams[i];
        StreamRecord s;
        s.type = st->codecpar->codec_type;
        s.codec = avcodec_get_name(st->codecpar->codec_id);
        s.time_base = st->time_base;
        s.format = st->codecpar->format;
        s.width = st->codecpar->width;
        s.height = st->codecpar->height;
        s.tags = color_tags_of(*st->codecpar);
        media.streams.push_back(std::move(s));
    }
    av::Packet pkt = av::make_packet();
    while (av_read_frame(ic.get(), pkt.get()) >= 0) {
        PacketRecord p;
        p.pts = pkt->pts;
        p.dts = pkt->dts;
        p.duration = pkt->duration;
        p.data.assign(pkt->data, pkt->data + pkt->size);
        media.streams[pkt->stream_index].packets.push_back(std::move(p));
        av_packet_unref(pkt.get());
    }
    return media;
}

DecodedVideo decode_video(const fs::path& file)
{
    av::InputContext ic = open(file);
    const int index = av_find_best_stream(ic.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    if (index < 0)
        throw std::runtime_error("no video in " + file.string());
    const AVStream* st = ic->streams[index];
    const AVCodec* codec = avcodec_find_decoder(st->codecpar->codec_id);
    av::CodecContext dec(avcodec_alloc_context3(codec));
    avcodec_parameters_to_context(dec.get(), st->codecpar);
    dec->pkt_timebase = st->time_base;
    if (avcodec_open2(dec.get(), codec, nullptr) < 0)
        throw std::runtime_error("cannot decode " + file.string());
    DecodedVideo video;
    video.time_base = st->time_base;
    av::Packet pkt = av::make_packet();
    av::Frame frame = av::make_frame();
    auto drain = [&] {
        while (avcodec_receive_frame(dec.get(), frame.get()) >= 0) {
            frame->pts = frame->best_effort_timestamp;
            av::Frame kept(av_frame_clone(frame.get()));
            video.frames.push_back(std::move(kept));
            av_frame_unref(frame.get());
        }
    };
    while (av_read_frame(ic.get(), pkt.get()) >= 0) {
        if (pkt->stream_index == index && avcodec_send_packet(dec.get(), pkt.get()) >= 0)
            drain();
        av_packet_unref(pkt.get());
    }
    avcodec_send_packet(dec.get(), nullptr);
    drain();
    return video;
}

std::vector<uint32_t> component(const AVFrame& frame, int c)
{
    const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(frame.format));
    const bool chroma = (c == 1 || c == 2) && !(desc->flags & AV_PIX_FMT_FLAG_RGB);
    const int w = chroma ? AV_CEIL_RSHIFT(frame.width, desc->log2_chroma_w) : frame.width;
    const int h = chroma ? AV_CEIL_RSHIFT(frame.height, desc->log2_chroma_h) : frame.height;
    std::vector<uint32_t> values(static_cast<std::size_t>(w) * h);
    for (int y = 0; y < h; ++y)
        av_read_image_line2(values.data() + static_cast<std::size_t>(y) * w, const_cast<const uint8_t**>(frame.data),
                            frame.linesize, desc, 0, y, c, w, 0, 4);
    return values;
}

uint32_t max_difference(const AVFrame& a, const AVFrame& b, int c, int border)
{
    const std::vector<uint32_t> x = component(a, c), y = component(b, c);
    if (x.size() != y.size())
        throw std::runtime_error("component sizes differ");
    const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(a.format));
    const bool chroma = (c == 1 || c == 2) && !(desc->flags & AV_PIX_FMT_FLAG_RGB);
    const int w = chroma ? AV_CEIL_RSHIFT(a.width, desc->log2_chroma_w) : a.width;
    const int h = static_cast<int>(x.size()) / w;
    uint32_t worst = 0;
    for (int row = border; row < h - border; ++row)
        for (int col = border; col < w - border; ++col) {
            const std::size_t i = static_cast<std::size_t>(row) * w + col;
            worst = std::max(worst, x[i] > y[i] ? x[i] - y[i] : y[i] - x[i]);
        }
    return worst;
}

av::Frame make_video_frame(AVPixelFormat format, int width, int height)
{
    av::Frame f = av::make_frame();
    f->format = format;
    f->width = width;
    f->height = height;
    if (av_frame_get_buffer(f.get(), 0) < 0)
        throw std::runtime_error("cannot allocate a frame");
    // Zero everything: av_write_image_line2 ORs bits into place.
    const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(format);
    const int planes = av_pix_fmt_count_planes(format);
    for (int p = 0; p < planes; ++p)
        for (int y = 0; y < ((p == 1 || p == 2) ? AV_CEIL_RSHIFT(height, desc->log2_chroma_h) : height); ++y)
            std::fill_n(f->data[p] + static_cast<std::ptrdiff_t>(y) * f->linesize[p], std::abs(f->linesize[p]), 0);
    return f;
}

void fill_random(AVFrame& frame, uint32_t seed)
{
    const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(frame.format));
    std::mt19937 rng(seed);
    for (int c = 0; c < desc->nb_components; ++c) {
        const bool chroma = (c == 1 || c == 2) && !(desc->flags & AV_PIX_FMT_FLAG_RGB);
        const int w = chroma ? AV_CEIL_RSHIFT(frame.width, desc->log2_chroma_w) : frame.width;
        const int h = chroma ? AV_CEIL_RSHIFT(frame.height, desc->log2_chroma_h) : frame.height;
        const uint32_t max = (1u << desc->comp[c].depth) - 1;
        std::vector<uint32_t> line(static_cast<std::size_t>(w));
        for (int y = 0; y < h; ++y) {
            for (uint32_t& v : line)
                v = rng() % (max + 1);
            av_write_image_line2(line.data(), frame.data, frame.linesize, desc, 0, y, c, w, 4);
        }
    }
}

}  // namespace cnnv3::test
