// PNG in and out for the CLI and tests: any PNG -> RGB planes in [0, 1]; planes -> 16-bit RGB PNG.
//
// Values pass through untouched (no gAMA/sRGB/iCCP conversion): the network works in the
// file's own gamma-encoded values, and the output is in that same transfer (SPEC §1).
#pragma once

#include "planes.h"

#include <cstdint>
#include <filesystem>
#include <span>
#include <stdexcept>
#include <string>

namespace cnnv3 {

// A PNG that cannot be read or written. what() reads "FILE: problem".
class ImageError : public std::runtime_error {
public:
    ImageError(const std::string& file, const std::string& problem) : std::runtime_error(file + ": " + problem) {}
};

struct PngImage {
    Planes rgb;         // 3 channels, value / (2^bit_depth - 1); alpha is dropped
    int bit_depth = 8;  // 8 or 16 after expansion of palette/low-bit gray
    bool had_alpha = false;
};

// Reads any PNG the standard allows (every colour type and bit depth, Adam7 or not) of at most
// png_max_pixels pixels. The file must be a regular file (no FIFO or device). Throws ImageError.
inline constexpr std::uint64_t png_max_pixels = std::uint64_t{1} << 26;  // 8192 x 8192
PngImage read_png(const std::filesystem::path& path);
// The same from bytes in memory (the fuzzer); `label` names them in errors.
PngImage decode_png(std::span<const std::uint8_t> bytes, const std::string& label);

// Writes channels 0..2 of `planes` as RGB of `bit_depth` 8 or 16, round(clamp(v, 0, 1) * max). The
// file is written with the output policy of atomic_file.h (an existing `path` is refused unless
// `overwrite`; it appears only when complete); its errors are OutputFileError.
// No colour chunks (gAMA, sRGB, iCCP) are written: values are the file's values.
void write_png_rgb(const std::filesystem::path& path, const Planes& planes, int bit_depth, bool overwrite);
inline void write_png_rgb16(const std::filesystem::path& path, const Planes& planes, bool overwrite)
{
    write_png_rgb(path, planes, 16, overwrite);
}

}  // namespace cnnv3
