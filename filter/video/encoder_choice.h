// Which encoder and pixel format the pipeline writes, from the output container, the input's pixel
// format and an optional encoder name. The rule (docs/video.md):
//
//   named encoder      that encoder; the input's pixel format when it takes it, else the closest
//                      one it takes (avcodec_find_best_pix_fmt_of_list). Refused when the
//                      container does not take its codec (muxer_takes.h says Takes::no).
//   image output       (image2 muxer: .png, .jpg, .tiff, .bmp ...) the extension's codec, in an RGB
//                      format where it has one (8 or 16 bits as the input); .png is always
//                      16-bit RGB (rgb48be, rgba64be when the input has alpha).
//   mjpeg              always writes yuvj* (full-range) formats, as JPEG expects.
//   video, default     1. libx264 (crf 18, preset medium) when it takes the input's pixel format
//                         exactly (yuv420p/422p/444p at 8 or 10 bits, yuvj*, gray), the size
//                         suits the chroma subsampling (even width for 4:2:x, even height for
//                         4:2:0) and the container takes H.264 for sure (muxer_takes.h:
//                         Takes::yes; mpegts included);
//                      2. else ffv1 (lossless) when the container takes it for sure and ffv1 has a
//                         format that loses nothing of the input's (rgb24 -> bgr0, gbrp16 ...);
//                      3. else the container's default codec with the closest format it takes
//                         (y4m: wrapped_avframe in one of the YUV4MPEG formats).
#pragma once

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}

#include "av_handles.h"

#include <optional>
#include <string>
#include <vector>

namespace cnnv3 {

// What choose_encoder() decided.
struct EncoderChoice {
    const AVCodec* codec = nullptr;
    AVPixelFormat pixel_format = AV_PIX_FMT_NONE;
    bool lossless = false;  // the default rule's ffv1 fallback (or another lossless choice)
    std::string reason;     // one line for logs: "libx264: default for yuv420p in matroska"
};

// `output` names the output in errors; `filename` is what the muxer's extension guess sees.
// `requested` (--pix-fmt; AV_PIX_FMT_NONE = none) is the pixel format to write: the rule above
// runs as if the input were in it, and the choice must take it exactly, else VideoError(output,
// "encoder X cannot write FMT (it takes a, b, ...)").
EncoderChoice choose_encoder(const AVOutputFormat& container, const std::string& filename,
                             AVPixelFormat input_format, int width, int height, const std::string& encoder_name,
                             const std::string& output, AVPixelFormat requested = AV_PIX_FMT_NONE);

// The pixel formats of `codec` the pipeline can write and `container` accepts (empty: any).
std::vector<AVPixelFormat> encoder_pixel_formats(const AVCodec& codec, const AVOutputFormat& container);

// The frame rates a codec is limited to (MPEG-1/2), or empty when any rate works.
std::vector<AVRational> encoder_frame_rates(const AVCodec& codec);

// Quality settings for an encoder about to be opened: crf (`crf` or 18) for encoders with a crf
// option, preset medium for libx264/libx265, qscale 2 for mjpeg; then the caller's key=value
// options, which override. Throws VideoError(output, ...) when `crf` is given for an encoder
// without a crf option.
void set_quality_options(const AVCodec& codec, AVCodecContext& context, av::Dictionary& options,
                         std::optional<double> crf,
                         const std::vector<std::pair<std::string, std::string>>& extra, const std::string& output);

// Adds each "key=value" of `params` to the x265-params option unless that key is there already
// (the caller's -x x265-params win, key by key).
void add_x265_params(av::Dictionary& options, const std::vector<std::string>& params);

// Keeps encoder libraries that print on stderr themselves (not through av_log) as quiet as
// FFmpeg's log: libx265 gets x265-params log-level=error (unless the caller chose a log-level),
// libsvtav1 the environment variable SVT_LOG=1 (errors only; unless already set). libx264,
// libvpx, libaom and librav1e print only through av_log.
void quiet_encoder_banners(const AVCodec& codec, av::Dictionary& options);

// The muxer for an output: `format_name` (a muxer's name) when given, y4m for "-" (standard
// output), else from the file name's extension. Throws VideoError(`name`, "problem (expected …)")
// when there is no such muxer, no muxer for the extension, or the container holds audio only
// (holds_video; the message names the extension, or the muxer when `format_name` gave it). Cheap: callers ask it before the work that precedes the output (`cnnv3 stylize`
// before the audio analysis), so that the refusal comes first.
const AVOutputFormat& output_container(const std::string& output, const std::string& format_name,
                                       const std::string& name);

// The container can hold a video stream: false for muxers of audio alone, whose default video
// codec is none (.wav, .opus, .aac, .ac3, .mka ...) or PNG beside an audio codec (.mp3, .flac, .aiff:
// the PNG is a cover picture, and a video stream is refused when the header is written), for
// muxers of subtitles (.srt, .vtt, .ass ...) and for ffmetadata.
bool holds_video(const AVOutputFormat& container);

// The muxer is an image writer (image2): one frame, the file named as given.
bool is_image_container(const AVOutputFormat& container);

// The muxer is FFmpeg's y4m writer (yuv4mpegpipe).
bool is_y4m(const AVOutputFormat& container);

// The muxer writes Matroska or WebM.
bool is_matroska(const AVOutputFormat& container);

}  // namespace cnnv3
