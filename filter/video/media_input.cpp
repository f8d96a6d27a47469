#include "media_input.h"

#include "user_media.h"
#include "video_error.h"

#include <fmt/format.h>

extern "C" {
#include <libavutil/hwcontext.h>
}

#include <cstdint>

namespace cnnv3 {

namespace {

// The hardware pixel format chosen at open, kept in AVCodecContext::opaque.
enum AVPixelFormat pick_hw_format(AVCodecContext* ctx, const enum AVPixelFormat* offered)
{
    const auto hw = static_cast<AVPixelFormat>(reinterpret_cast<intptr_t>(ctx->opaque));
    for (const enum AVPixelFormat* f = offered; *f != AV_PIX_FMT_NONE; ++f)
        if (*f == hw)
            return hw;
    // The hardware cannot take this stream (profile, size, depth): FFmpeg's software choice.
    return avcodec_default_get_format(ctx, offered);
}

// Attaches the first hardware device of `codec` that opens here; returns its type name or "".
std::string attach_hw_device(AVCodecContext& ctx, const AVCodec& codec)
{
    for (int i = 0;; ++i) {
        const AVCodecHWConfig* config = avcodec_get_hw_config(&codec, i);
        if (!config)
            return "";
        if (!(config->methods & AV_CODEC_HW_CONFIG_METHOD_HW_DEVICE_CTX))
            continue;
        AVBufferRef* device = nullptr;
        if (av_hwdevice_ctx_create(&device, config->device_type, nullptr, nullptr, 0) < 0)
            continue;  // no such device here: the next one, or software
        ctx.hw_device_ctx = device;  // the context owns it now
        ctx.opaque = reinterpret_cast<void*>(static_cast<intptr_t>(config->pix_fmt));
        ctx.get_format = pick_hw_format;
        const char* type = av_hwdevice_get_type_name(config->device_type);
        return type ? type : "hardware";
    }
}

}  // namespace

HwDecode parse_hwdec(const std::string& text)
{
    if (text == "auto")
        return HwDecode::automatic;
    if (text == "none")
        return HwDecode::none;
    throw VideoError("--hwdec", fmt::format("\"{}\" is not a choice (expected auto or none)", text));
}

AVFrame& software_frame(AVFrame& frame, av::Frame& scratch, const std::string& name,
                        const std::function<bool(AVFrame&)>& allocate)
{
    if (!frame.hw_frames_ctx)
        return frame;
    if (!scratch)
        scratch = av::make_frame();
    av_frame_unref(scratch.get());
    if (allocate) {
        // The frames context's software format is the first the transfer offers (FFmpeg's own choice).
        scratch->format = reinterpret_cast<const AVHWFramesContext*>(frame.hw_frames_ctx->data)->sw_format;
        scratch->width = frame.width;
        scratch->height = frame.height;
        if (!allocate(*scratch))
            av_frame_unref(scratch.get());
    }
    if (int rc = av_hwframe_transfer_data(scratch.get(), &frame, 0); rc < 0)
        throw VideoError(name, fmt::format("cannot copy a hardware-decoded frame to memory ({})", av::error_text(rc)));
    if (int rc = av_frame_copy_props(scratch.get(), &frame); rc < 0)
        throw VideoError(name, fmt::format("cannot copy a hardware-decoded frame to memory ({})", av::error_text(rc)));
    return *scratch;
}

MediaInput open_media_input(const std::string& path, const std::string& format_name, int stdin_fd,
                            const std::atomic<bool>* stop, const std::string& name, HwDecode hwdec)
{
    MediaInput input;
    input.name = media_name(path, name);

    const AVInputFormat* forced = nullptr;
    if (!format_name.empty() && !(forced = av_find_input_format(format_name.c_str())))
        throw VideoError(input.name, fmt::format("no demuxer named \"{}\" in this FFmpeg (expected a name from ffmpeg -demuxers)",
                                                 format_name));
    input.format = open_media<VideoError>(path, input.name, "a video or an image", {forced, stdin_fd, stop});
    const AVFormatContext* raw = input.format.get();

    input.video_index = video_stream_index(*raw);
    if (input.video_index < 0)
        throw VideoError(input.name, fmt::format("has no video stream (expected a video or an image; found {} stream{})",
                                                 raw->nb_streams, raw->nb_streams == 1 ? "" : "s"));

    const AVStream* st = raw->streams[input.video_index];
    const AVCodec* codec = avcodec_find_decoder(st->codecpar->codec_id);
    if (!codec)
        throw VideoError(input.name, fmt::format("no decoder for its video codec \"{}\"",
                                                 avcodec_get_name(st->codecpar->codec_id)));
    input.decoder.reset(avcodec_alloc_context3(codec));
    if (!input.decoder)
        throw std::bad_alloc();
    if (int rc = avcodec_parameters_to_context(input.decoder.get(), st->codecpar); rc < 0)
        throw VideoError(input.name, fmt::format("cannot set up the {} decoder ({})", codec->name, av::error_text(rc)));
    input.decoder->pkt_timebase = st->time_base;
    input.decoder->thread_count = 0;  // FFmpeg picks (one per core)
    if (hwdec == HwDecode::automatic)
        input.hw_device = attach_hw_device(*input.decoder, *codec);
    if (int rc = avcodec_open2(input.decoder.get(), codec, nullptr); rc < 0)
        throw VideoError(input.name, fmt::format("cannot open the {} decoder ({})", codec->name, av::error_text(rc)));
    return input;
}

}  // namespace cnnv3
