#include "png_image.h"

#include "atomic_file.h"
#include "small_file.h"

#include <png.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <memory>
#include <system_error>
#include <vector>

namespace cnnv3 {
namespace {

struct FileCloser {
    void operator()(std::FILE* f) const { std::fclose(f); }
};
using FileHandle = std::unique_ptr<std::FILE, FileCloser>;

// libpng reports errors by longjmp; keep its message so the C++ side can throw it afterwards.
struct PngErrorSink {
    char message[256] = "libpng error";
};

void on_png_error(png_structp png, png_const_charp msg)
{
    auto* sink = static_cast<PngErrorSink*>(png_get_error_ptr(png));
    std::snprintf(sink->message, sizeof sink->message, "%s", msg);
    png_longjmp(png, 1);
}

void on_png_warning(png_structp, png_const_charp) {}

// Decodes into `rows` (already-constructed buffers) with every C++ object alive before setjmp, so
// a longjmp skips no destructor. Returns false with sink.message set on failure.
bool decode_png_stream(std::FILE* file, PngErrorSink& sink, std::vector<std::uint8_t>& pixels, png_uint_32& width,
                png_uint_32& height, int& bit_depth, bool& had_alpha)
{
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &sink, on_png_error, on_png_warning);
    if (!png)
        return false;
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_read_struct(&png, nullptr, nullptr);
        return false;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, nullptr);
        return false;
    }
    png_init_io(png, file);
    png_set_user_limits(png, 1u << 15, 1u << 15);  // refuse absurd dimensions before allocating
    png_read_info(png, info);
    width = png_get_image_width(png, info);
    height = png_get_image_height(png, info);
    if (static_cast<std::uint64_t>(width) * height > png_max_pixels) {
        char message[128];
        std::snprintf(message, sizeof message, "%ux%u is too many pixels (expected at most %llu)", width, height,
                      static_cast<unsigned long long>(png_max_pixels));
        png_error(png, message);
    }
    const int color = png_get_color_type(png, info);
    had_alpha = (color & PNG_COLOR_MASK_ALPHA) != 0 || png_get_valid(png, info, PNG_INFO_tRNS);
    png_set_expand(png);  // palette -> RGB, gray < 8 bit -> 8 bit, tRNS -> alpha
    png_set_strip_alpha(png);
    if (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA)
        png_set_gray_to_rgb(png);
    // Adam7: libpng fills each row in place over the 7 passes (every row is read once per pass).
    const int passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);
    bit_depth = png_get_bit_depth(png, info);
    const std::size_t row_bytes = png_get_rowbytes(png, info);
    pixels.resize(row_bytes * height);
    for (int pass = 0; pass < passes; ++pass)
        for (png_uint_32 y = 0; y < height; ++y)
            png_read_row(png, pixels.data() + row_bytes * y, nullptr);
    png_read_end(png, nullptr);
    png_destroy_read_struct(&png, &info, nullptr);
    return true;
}

bool encode_png(std::FILE* file, PngErrorSink& sink, const std::vector<std::uint8_t>& pixels, png_uint_32 width,
                png_uint_32 height, int bit_depth)
{
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &sink, on_png_error, on_png_warning);
    if (!png)
        return false;
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_write_struct(&png, nullptr);
        return false;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return false;
    }
    png_init_io(png, file);
    png_set_IHDR(png, info, width, height, bit_depth, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    const std::size_t row_bytes = static_cast<std::size_t>(width) * 3 * (bit_depth / 8);
    for (png_uint_32 y = 0; y < height; ++y)
        png_write_row(png, pixels.data() + row_bytes * y);
    png_write_end(png, nullptr);
    png_destroy_write_struct(&png, &info);
    return true;
}

// Decodes a whole PNG from `file` (at its start); `label` names it in errors.
PngImage read_png_stream(std::FILE* file, const std::string& label)
{
    unsigned char sig[8] = {};
    if (std::fread(sig, 1, 8, file) != 8 || png_sig_cmp(sig, 0, 8) != 0)
        throw ImageError(label, "not a PNG file (expected the PNG signature)");
    png_uint_32 width = 0, height = 0;
    int bit_depth = 8;
    bool had_alpha = false;
    PngErrorSink sink;
    std::vector<std::uint8_t> pixels;
    std::rewind(file);
    if (!decode_png_stream(file, sink, pixels, width, height, bit_depth, had_alpha))
        throw ImageError(label, std::string(sink.message) + " (expected a valid PNG)");
    if (width == 0 || height == 0)
        throw ImageError(label, "image has no pixels");

    PngImage image;
    image.bit_depth = bit_depth;
    image.had_alpha = had_alpha;
    image.rgb = Planes(3, static_cast<int>(height), static_cast<int>(width));
    const float scale = bit_depth == 16 ? 1.0f / 65535.0f : 1.0f / 255.0f;
    for (int y = 0; y < image.rgb.height; ++y) {
        for (int x = 0; x < image.rgb.width; ++x) {
            for (int c = 0; c < 3; ++c) {
                const std::size_t i = (static_cast<std::size_t>(y) * width + x) * 3 + c;
                const unsigned v = bit_depth == 16 ? (pixels[2 * i] << 8) | pixels[2 * i + 1] : pixels[i];
                image.rgb.at(c, y, x) = static_cast<float>(v) * scale;
            }
        }
    }
    return image;
}

}  // namespace

PngImage read_png(const std::filesystem::path& path)
{
    FileHandle file;
    try {
        // Refuses a FIFO or a device before reading (a FIFO would block in fopen).
        RegularFile regular = open_regular_file(path, "a readable PNG file");
        file.reset(::fdopen(regular.fd.get(), "rb"));
        if (!file)
            throw SmallFileError(path.string(), errno_text(errno) +
                                                    " (expected a readable PNG file)");
        regular.fd.release();  // owned by `file` now
    } catch (const SmallFileError& e) {
        throw ImageError(e.file(), e.problem());
    }
    return read_png_stream(file.get(), path.string());
}

PngImage decode_png(std::span<const std::uint8_t> bytes, const std::string& label)
{
    if (bytes.empty())
        throw ImageError(label, "empty (expected a PNG file)");
    // Read-only stream over the caller's bytes ("rb": fmemopen never writes through the pointer).
    FileHandle file(::fmemopen(const_cast<std::uint8_t*>(bytes.data()), bytes.size(), "rb"));
    if (!file)
        throw ImageError(label, errno_text(errno));
    return read_png_stream(file.get(), label);
}

void write_png_rgb(const std::filesystem::path& path, const Planes& planes, int bit_depth, bool overwrite)
{
    if (planes.channels < 3 || planes.width < 1 || planes.height < 1)
        throw ImageError(path.string(), "nothing to write (expected at least 3 channels and 1x1 pixels)");
    if (bit_depth != 8 && bit_depth != 16)
        throw ImageError(path.string(), "bit depth must be 8 or 16");
    const int bytes = bit_depth / 8;
    const float max = bit_depth == 16 ? 65535.0f : 255.0f;
    std::vector<std::uint8_t> pixels(static_cast<std::size_t>(planes.width) * planes.height * 3 * bytes);
    for (int y = 0; y < planes.height; ++y) {
        for (int x = 0; x < planes.width; ++x) {
            for (int c = 0; c < 3; ++c) {
                const float v = std::clamp(planes.at(c, y, x), 0.0f, 1.0f);
                const auto q = static_cast<unsigned>(std::lround(v * max));
                const std::size_t i = ((static_cast<std::size_t>(y) * planes.width + x) * 3 + c) * bytes;
                if (bytes == 2) {
                    pixels[i] = static_cast<std::uint8_t>(q >> 8);
                    pixels[i + 1] = static_cast<std::uint8_t>(q & 0xff);
                } else {
                    pixels[i] = static_cast<std::uint8_t>(q);
                }
            }
        }
    }
    PartialOutput output(path, overwrite);
    {
        FileHandle file(::fdopen(output.release_descriptor(), "wb"));
        if (!file)
            throw ImageError(path.string(), errno_text(errno) +
                                                " (cannot open the output file)");
        PngErrorSink sink;
        const bool ok = encode_png(file.get(), sink, pixels, static_cast<png_uint_32>(planes.width),
                                   static_cast<png_uint_32>(planes.height), bit_depth);
        const bool flushed = std::fflush(file.get()) == 0 && !std::ferror(file.get());
        const int err = errno;
        if (!ok || !flushed)
            throw ImageError(path.string(), ok ? errno_text(err) +
                                                     " while writing"
                                               : std::string(sink.message));
        if (std::fclose(file.release()) != 0)
            throw ImageError(path.string(), errno_text(errno) +
                                                " while writing");
    }
    output.commit();  // the destructor removes the temporary file on every error above
}

}  // namespace cnnv3
