// Which pixel formats the pipeline reads and writes, by family (the colours are converted on the GPU,
// filter/gpu/frame_planes_gpu.h, which reads and writes these families).
//
//   Rgb     - integer RGB(A), packed (rgb24, bgra, rgb48le, rgb565, x2rgb10...) or planar (gbrp, gbrap16...):
//             value / (2^depth - 1), so RGB round trips are bit-exact.
//   Palette - pal8: read through its palette (8-bit RGBA); never written.
//   Yuv     - integer YUV(A) and gray(+alpha) formats in any layout (planar, semi-planar such as
//             nv12/p010, packed such as yuyv422, yuvj*): H.273 with color_tags.h's interpretation.
// Float, Bayer, bitstream (monob), XYZ and hardware formats are not supported.
#pragma once

extern "C" {
#include <libavutil/pixfmt.h>
}

#include <optional>
#include <string>

namespace cnnv3 {

enum class PixelFamily { Rgb, Palette, Yuv };

// The family of `format`, or nullopt when the pipeline cannot read it.
std::optional<PixelFamily> pixel_family(AVPixelFormat format);

bool can_read_pixel_format(AVPixelFormat format);
bool can_write_pixel_format(AVPixelFormat format);

// The format has an alpha component (pal8 counts: its palette has alpha).
bool pixel_format_has_alpha(AVPixelFormat format);

// Bits of the first component (8 for yuv420p, 10 for yuv420p10le, 16 for rgb48le).
int pixel_format_depth(AVPixelFormat format);

// The yuvj* formats (full-range JPEG variants of yuv*p).
bool is_jpeg_yuv_format(AVPixelFormat format);

// FFmpeg's name of the format ("yuv420p10le"), or "none"/"unknown (N)".
std::string pixel_format_name(AVPixelFormat format);

}  // namespace cnnv3
