#include "encoder_choice.h"

#include "muxer_takes.h"
#include "pixel_formats.h"
#include "video_error.h"

extern "C" {
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
}

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace cnnv3 {

namespace {

// What the yuv4mpegpipe muxer (FFmpeg 5.1, with strict -1 for the non-8-bit ones) accepts.
const std::vector<AVPixelFormat>& y4m_formats()
{
    static const std::vector<AVPixelFormat> formats = {
        AV_PIX_FMT_YUV420P,     AV_PIX_FMT_YUV422P,     AV_PIX_FMT_YUV444P,     AV_PIX_FMT_YUV411P,
        AV_PIX_FMT_YUVJ420P,    AV_PIX_FMT_YUVJ422P,    AV_PIX_FMT_YUVJ444P,    AV_PIX_FMT_GRAY8,
        AV_PIX_FMT_GRAY9LE,     AV_PIX_FMT_GRAY10LE,    AV_PIX_FMT_GRAY12LE,    AV_PIX_FMT_GRAY16LE,
        AV_PIX_FMT_YUV420P9LE,  AV_PIX_FMT_YUV420P10LE, AV_PIX_FMT_YUV420P12LE, AV_PIX_FMT_YUV420P14LE,
        AV_PIX_FMT_YUV420P16LE, AV_PIX_FMT_YUV422P9LE,  AV_PIX_FMT_YUV422P10LE, AV_PIX_FMT_YUV422P12LE,
        AV_PIX_FMT_YUV422P14LE, AV_PIX_FMT_YUV422P16LE, AV_PIX_FMT_YUV444P9LE,  AV_PIX_FMT_YUV444P10LE,
        AV_PIX_FMT_YUV444P12LE, AV_PIX_FMT_YUV444P14LE, AV_PIX_FMT_YUV444P16LE, AV_PIX_FMT_YUVA444P,
    };
    return formats;
}

// The codec's declared pixel formats (nullptr-terminated list in FFmpeg 5.1 - 7.0, the
// supported-config query from 7.1 on), or an empty list when it takes any.
std::vector<AVPixelFormat> declared_formats(const AVCodec& codec)
{
    std::vector<AVPixelFormat> list;
    const AVPixelFormat* formats = nullptr;
#if LIBAVCODEC_VERSION_INT >= AV_VERSION_INT(61, 13, 100)
    const void* configs = nullptr;
    int count = 0;
    if (avcodec_get_supported_config(nullptr, &codec, AV_CODEC_CONFIG_PIX_FORMAT, 0, &configs, &count) >= 0 && configs)
        formats = static_cast<const AVPixelFormat*>(configs);
#else
    formats = codec.pix_fmts;
#endif
    for (const AVPixelFormat* f = formats; f && *f != AV_PIX_FMT_NONE; ++f)
        list.push_back(*f);
    return list;
}

std::vector<AVPixelFormat> all_writable_formats()
{
    std::vector<AVPixelFormat> list;
    for (const AVPixFmtDescriptor* d = av_pix_fmt_desc_next(nullptr); d; d = av_pix_fmt_desc_next(d)) {
        const AVPixelFormat f = av_pix_fmt_desc_get_id(d);
        if (can_write_pixel_format(f))
            list.push_back(f);
    }
    return list;
}

bool contains(const std::vector<AVPixelFormat>& list, AVPixelFormat f)
{
    return std::find(list.begin(), list.end(), f) != list.end();
}

// The closest format of `candidates` to `input` and FFmpeg's loss flags for it.
std::pair<AVPixelFormat, int> closest(const std::vector<AVPixelFormat>& candidates, AVPixelFormat input)
{
    if (contains(candidates, input))
        return {input, 0};
    std::vector<AVPixelFormat> list = candidates;
    list.push_back(AV_PIX_FMT_NONE);
    int loss = 0;
    const AVPixelFormat best =
        avcodec_find_best_pix_fmt_of_list(list.data(), input, pixel_format_has_alpha(input) ? 1 : 0, &loss);
    return {best, loss};
}

AVPixelFormat pick_format(const AVCodec& codec, const AVOutputFormat& container, AVPixelFormat input,
                          const std::string& output)
{
    std::vector<AVPixelFormat> candidates = encoder_pixel_formats(codec, container);
    if (candidates.empty())
        throw VideoError(output, fmt::format("encoder {} takes no pixel format cnnv3 can write in {}",
                                             codec.name, container.name));
    // JPEG is full-range YUV: mjpeg gets its yuvj* formats (its plain ones need strict -1).
    if (codec.id == AV_CODEC_ID_MJPEG) {
        std::vector<AVPixelFormat> jpeg = candidates;
        std::erase_if(jpeg, [](AVPixelFormat f) { return !is_jpeg_yuv_format(f); });
        if (!jpeg.empty())
            candidates = jpeg;
    }
    // Image files are RGB where the codec can write RGB (tiff, bmp...): the frames are RGB.
    AVPixelFormat target = input;
    if (is_image_container(container)) {
        std::vector<AVPixelFormat> rgb = candidates;
        std::erase_if(rgb, [](AVPixelFormat f) { return pixel_family(f) != PixelFamily::Rgb; });
        if (!rgb.empty()) {
            candidates = rgb;
            if (pixel_family(input) != PixelFamily::Rgb) {
                const bool alpha = pixel_format_has_alpha(input);
                const bool deep = pixel_format_depth(input) > 8;
                target = deep ? (alpha ? AV_PIX_FMT_RGBA64LE : AV_PIX_FMT_RGB48LE)
                              : (alpha ? AV_PIX_FMT_RGBA : AV_PIX_FMT_RGB24);
            }
        }
    }
    const AVPixelFormat best = closest(candidates, target).first;
    if (best == AV_PIX_FMT_NONE)
        throw VideoError(output, fmt::format("encoder {} has no pixel format for {} input", codec.name,
                                             pixel_format_name(input)));
    return best;
}

// H.264 codes whole chroma samples: 4:2:0 needs an even width and height, 4:2:2 an even width.
bool fits_subsampling(AVPixelFormat format, int width, int height)
{
    const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(format);
    if (!desc)
        return false;
    const int w_mask = (1 << desc->log2_chroma_w) - 1;
    const int h_mask = (1 << desc->log2_chroma_h) - 1;
    return (width & w_mask) == 0 && (height & h_mask) == 0;
}

}  // namespace

std::vector<AVRational> encoder_frame_rates(const AVCodec& codec)
{
    std::vector<AVRational> list;
    const AVRational* rates = nullptr;
#if LIBAVCODEC_VERSION_INT >= AV_VERSION_INT(61, 13, 100)
    const void* configs = nullptr;
    int count = 0;
    if (avcodec_get_supported_config(nullptr, &codec, AV_CODEC_CONFIG_FRAME_RATE, 0, &configs, &count) >= 0 && configs)
        rates = static_cast<const AVRational*>(configs);
#else
    rates = codec.supported_framerates;
#endif
    for (const AVRational* r = rates; r && r->num != 0; ++r)
        list.push_back(*r);
    return list;
}

const AVOutputFormat& output_container(const std::string& output, const std::string& format_name,
                                       const std::string& name)
{
    const char* muxer = !format_name.empty() ? format_name.c_str() : output == "-" ? "yuv4mpegpipe" : nullptr;
    const AVOutputFormat* container = av_guess_format(muxer, muxer ? nullptr : output.c_str(), nullptr);
    if (!container && muxer)
        throw VideoError(name, fmt::format("no muxer named \"{}\" in this FFmpeg (expected a name from ffmpeg -muxers)",
                                           muxer));
    if (!container)
        throw VideoError(name, "cannot choose a container from the file name (expected an extension such as .mkv, "
                               ".mp4, .mov, .nut, .y4m or .png)");
    // Named as the user named it: the muxer's name for .mka is "matroska", which holds video.
    const std::string named = muxer ? std::string(muxer) : std::filesystem::path(output).extension().string();
    if (!holds_video(*container))
        throw VideoError(name, fmt::format("the {} container cannot hold video (expected a video container such as "
                                           ".mkv, .mp4, .mov, .nut or .y4m, or an image such as .png)",
                                           named));
    return *container;
}

bool holds_video(const AVOutputFormat& container)
{
    if (container.video_codec == AV_CODEC_ID_NONE)  // none of the three: a muxer of muxers (tee, segment ...)
        return container.audio_codec == AV_CODEC_ID_NONE && container.subtitle_codec == AV_CODEC_ID_NONE
            && std::strcmp(container.name, "ffmetadata") != 0;
    return !(container.video_codec == AV_CODEC_ID_PNG && container.audio_codec != AV_CODEC_ID_NONE);
}

bool is_image_container(const AVOutputFormat& container)
{
    return std::strcmp(container.name, "image2") == 0;
}

bool is_y4m(const AVOutputFormat& container)
{
    return std::strcmp(container.name, "yuv4mpegpipe") == 0;
}

bool is_matroska(const AVOutputFormat& container)
{
    return std::strncmp(container.name, "matroska", 8) == 0 || std::strcmp(container.name, "webm") == 0;
}

std::vector<AVPixelFormat> encoder_pixel_formats(const AVCodec& codec, const AVOutputFormat& container)
{
    std::vector<AVPixelFormat> list = declared_formats(codec);
    if (list.empty())
        list = all_writable_formats();
    std::erase_if(list, [&](AVPixelFormat f) {
        return !can_write_pixel_format(f) || (is_y4m(container) && !contains(y4m_formats(), f));
    });
    return list;
}

namespace {

EncoderChoice choose_by_rule(const AVOutputFormat& container, const std::string& filename, AVPixelFormat input_format,
                             int width, int height, const std::string& encoder_name, const std::string& output);

}  // namespace

EncoderChoice choose_encoder(const AVOutputFormat& container, const std::string& filename, AVPixelFormat input_format,
                             int width, int height, const std::string& encoder_name, const std::string& output,
                             AVPixelFormat requested)
{
    if (requested == AV_PIX_FMT_NONE)
        return choose_by_rule(container, filename, input_format, width, height, encoder_name, output);
    if (!can_write_pixel_format(requested))
        throw VideoError(output, fmt::format("pixel format {} cannot be written (expected integer YUV, gray or RGB "
                                             "of 8-16 bits)", pixel_format_name(requested)));
    EncoderChoice choice = choose_by_rule(container, filename, requested, width, height, encoder_name, output);
    const std::vector<AVPixelFormat> takes = encoder_pixel_formats(*choice.codec, container);
    if (!contains(takes, requested)) {
        std::vector<std::string> names;
        for (AVPixelFormat f : takes)
            names.push_back(pixel_format_name(f));
        throw VideoError(output, fmt::format("encoder {} cannot write {} in {} (it takes {})", choice.codec->name,
                                             pixel_format_name(requested), container.name, fmt::join(names, ", ")));
    }
    choice.pixel_format = requested;  // also where the rule has a fixed format (16-bit .png)
    choice.reason += "; pixel format as requested";
    return choice;
}

namespace {

EncoderChoice choose_by_rule(const AVOutputFormat& container, const std::string& filename, AVPixelFormat input_format,
                             int width, int height, const std::string& encoder_name, const std::string& output)
{
    EncoderChoice choice;
    const std::string input_name = pixel_format_name(input_format);

    if (!encoder_name.empty()) {
        const AVCodec* codec = avcodec_find_encoder_by_name(encoder_name.c_str());
        if (!codec || codec->type != AVMEDIA_TYPE_VIDEO)
            throw VideoError(output, fmt::format("no video encoder named \"{}\" in this FFmpeg (see ffmpeg -encoders)",
                                                 encoder_name));
        if (muxer_takes(container, codec->id) == Takes::no)
            throw VideoError(output, fmt::format("the {} container cannot carry {} (encoder {})", container.name,
                                                 avcodec_get_name(codec->id), codec->name));
        choice.codec = codec;
        choice.pixel_format = pick_format(*codec, container, input_format, output);
        choice.reason = fmt::format("{}: requested", codec->name);
        return choice;
    }

    if (is_image_container(container)) {
        const AVCodecID id = av_guess_codec(&container, nullptr, filename.c_str(), nullptr, AVMEDIA_TYPE_VIDEO);
        const AVCodec* codec = id == AV_CODEC_ID_NONE ? nullptr : avcodec_find_encoder(id);
        if (!codec)
            throw VideoError(output, "no image encoder for this extension (expected e.g. .png, .jpg, .tiff, .bmp)");
        choice.codec = codec;
        if (id == AV_CODEC_ID_PNG) {
            choice.pixel_format = pixel_format_has_alpha(input_format) ? AV_PIX_FMT_RGBA64BE : AV_PIX_FMT_RGB48BE;
            choice.lossless = true;
            choice.reason = "png: 16-bit RGB image";
        } else {
            choice.pixel_format = pick_format(*codec, container, input_format, output);
            choice.reason = fmt::format("{}: the extension's image codec", codec->name);
        }
        return choice;
    }

    // Why libx264 is not used, for the reason line of the fallbacks.
    std::string why_not_x264;
    const AVCodec* x264 = avcodec_find_encoder_by_name("libx264");
    if (!x264)
        why_not_x264 = "no libx264 in this FFmpeg";
    else if (muxer_takes(container, AV_CODEC_ID_H264) != Takes::yes)
        why_not_x264 = fmt::format("the {} container does not carry H.264", container.name);
    else if (!contains(encoder_pixel_formats(*x264, container), input_format))
        why_not_x264 = fmt::format("libx264 cannot take {}", input_name);
    else if (!fits_subsampling(input_format, width, height))
        why_not_x264 = fmt::format("libx264 cannot code {}x{} in {}", width, height, input_name);
    if (why_not_x264.empty()) {
        choice.codec = x264;
        choice.pixel_format = input_format;
        choice.reason = fmt::format("libx264: default for {} in {}", input_name, container.name);
        return choice;
    }

    const AVCodec* ffv1 = avcodec_find_encoder(AV_CODEC_ID_FFV1);
    if (ffv1 && muxer_takes(container, AV_CODEC_ID_FFV1) == Takes::yes) {
        const auto [format, loss] = closest(encoder_pixel_formats(*ffv1, container), input_format);
        if (format != AV_PIX_FMT_NONE && loss == 0) {
            choice.codec = ffv1;
            choice.pixel_format = format;
            choice.lossless = true;
            choice.reason = fmt::format("ffv1: lossless fallback, {} as {} ({})", input_name, pixel_format_name(format),
                                        why_not_x264);
            return choice;
        }
    }

    const AVCodecID id = av_guess_codec(&container, nullptr, filename.c_str(), nullptr, AVMEDIA_TYPE_VIDEO);
    const AVCodec* codec = id == AV_CODEC_ID_NONE ? nullptr : avcodec_find_encoder(id);
    if (!codec)
        throw VideoError(output, fmt::format("no video encoder for the {} container (name one with the encoder option)",
                                             container.name));
    choice.codec = codec;
    choice.pixel_format = pick_format(*codec, container, input_format, output);
    choice.lossless = id == AV_CODEC_ID_WRAPPED_AVFRAME || id == AV_CODEC_ID_RAWVIDEO;
    choice.reason = fmt::format("{}: the {} container's default codec, {} as {} ({})", codec->name, container.name,
                                input_name, pixel_format_name(choice.pixel_format), why_not_x264);
    return choice;
}

}  // namespace

void set_quality_options(const AVCodec& codec, AVCodecContext& context, av::Dictionary& options,
                         std::optional<double> crf, const std::vector<std::pair<std::string, std::string>>& extra,
                         const std::string& output)
{
    const bool has_crf = codec.priv_class &&
                         av_opt_find(const_cast<const AVClass**>(&codec.priv_class), "crf", nullptr, 0,
                                     AV_OPT_SEARCH_FAKE_OBJ) != nullptr;
    if (has_crf)
        options.set("crf", fmt::format("{}", crf.value_or(18.0)));
    else if (crf)
        throw VideoError(output, fmt::format("encoder {} has no crf option (give its own quality option with -x)",
                                             codec.name));
    if (std::strcmp(codec.name, "libx264") == 0 || std::strcmp(codec.name, "libx265") == 0)
        options.set("preset", "medium");
    if (codec.id == AV_CODEC_ID_MJPEG) {
        context.flags |= AV_CODEC_FLAG_QSCALE;
        context.global_quality = FF_QP2LAMBDA * 2;
    }
    for (const auto& [key, value] : extra)
        options.set(key, value);
}

void add_x265_params(av::Dictionary& options, const std::vector<std::string>& params)
{
    std::string value = options.get("x265-params");
    for (const std::string& param : params) {
        const std::string key = param.substr(0, param.find('='));
        bool present = false;
        for (std::size_t begin = 0; begin <= value.size();) {
            const std::size_t end = std::min(value.find(':', begin), value.size());
            const std::string item = value.substr(begin, end - begin);
            present = present || item.substr(0, item.find('=')) == key;
            begin = end + 1;
        }
        if (!present)
            value += (value.empty() ? "" : ":") + param;
    }
    if (!value.empty())
        options.set("x265-params", value);
}

void quiet_encoder_banners(const AVCodec& codec, av::Dictionary& options)
{
    if (std::strcmp(codec.name, "libx265") == 0)
        add_x265_params(options, {"log-level=error"});
    else if (std::strcmp(codec.name, "libsvtav1") == 0)
        setenv("SVT_LOG", "1", 0);
}

}  // namespace cnnv3
