#include "model_files.h"
#include "png_image.h"
#include "atomic_file.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <png.h>

#include <sys/stat.h>

#include <array>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <fstream>
#include <optional>
#include <random>
#include <vector>

using namespace cnnv3;
using namespace cnnv3::testing;

TEST(Png, sixteen_bit_rgb_round_trips_exactly)
{
    TempDir dir("png");
    Planes p(3, 3, 2);
    for (std::size_t i = 0; i < p.data.size(); ++i)
        p.data[i] = static_cast<float>(i * 3001 % 65536) / 65535.0f;
    write_png_rgb16(dir.path() / "a.png", p, false);
    const PngImage back = read_png(dir.path() / "a.png");
    EXPECT_EQ(back.bit_depth, 16);
    ASSERT_EQ(back.rgb.width, 2);
    ASSERT_EQ(back.rgb.height, 3);
    for (std::size_t i = 0; i < p.data.size(); ++i)
        EXPECT_EQ(back.rgb.data[i], p.data[i]);
}

TEST(Png, out_of_range_values_are_clamped_not_wrapped)
{
    TempDir dir("clamp");
    Planes p(4, 1, 1);
    p.data = {-0.5f, 1.5f, 0.5f, 9.0f};
    write_png_rgb16(dir.path() / "c.png", p, false);
    const PngImage back = read_png(dir.path() / "c.png");
    EXPECT_EQ(back.rgb.data[0], 0.0f);
    EXPECT_EQ(back.rgb.data[1], 1.0f);
    EXPECT_NEAR(back.rgb.data[2], 0.5f, 1e-5f);
}

TEST(Png, garbage_and_truncated_files_are_refused_with_their_name)
{
    TempDir dir("bad");
    write_bytes(dir.path() / "garbage.png", {1, 2, 3, 4, 5, 6, 7, 8, 9});
    EXPECT_THROW(
        {
            try {
                read_png(dir.path() / "garbage.png");
            } catch (const ImageError& e) {
                EXPECT_NE(std::string(e.what()).find("garbage.png"), std::string::npos);
                throw;
            }
        },
        ImageError);
    Planes p(3, 8, 8, 0.5f);
    write_png_rgb16(dir.path() / "whole.png", p, false);
    std::filesystem::copy_file(dir.path() / "whole.png", dir.path() / "cut.png");
    std::filesystem::resize_file(dir.path() / "cut.png", std::filesystem::file_size(dir.path() / "whole.png") / 2);
    EXPECT_THROW(read_png(dir.path() / "cut.png"), ImageError);
    EXPECT_THROW(read_png(dir.path() / "missing.png"), ImageError);
}

TEST(Png, failed_write_leaves_no_file)
{
    EXPECT_THROW(write_png_rgb16("/nonexistent-dir/out.png", Planes(3, 1, 1), false), OutputFileError);
}

namespace {

// A PNG of any colour type, bit depth and interlace written with libpng from samples (one per
// channel, row-major, each < 2^bit_depth); for palette images the samples are indices.
struct RawPng {
    int width = 0, height = 0, color_type = PNG_COLOR_TYPE_RGB, bit_depth = 8;
    std::vector<unsigned> samples;
    std::vector<png_color> palette;
    std::vector<png_byte> palette_alpha;  // tRNS of a palette image
    std::optional<png_color_16> trns;     // tRNS of a gray or RGB image
    int channels() const
    {
        switch (color_type) {
        case PNG_COLOR_TYPE_GRAY: case PNG_COLOR_TYPE_PALETTE: return 1;
        case PNG_COLOR_TYPE_GRAY_ALPHA: return 2;
        case PNG_COLOR_TYPE_RGB: return 3;
        default: return 4;
        }
    }
};

void write_raw_png(const std::filesystem::path& path, const RawPng& img, bool interlaced)
{
    std::FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        std::fclose(f);
        FAIL() << "libpng could not write " << path;
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, img.width, img.height, img.bit_depth, img.color_type,
                 interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (!img.palette.empty())
        png_set_PLTE(png, info, img.palette.data(), static_cast<int>(img.palette.size()));
    if (!img.palette_alpha.empty())
        png_set_tRNS(png, info, img.palette_alpha.data(), static_cast<int>(img.palette_alpha.size()), nullptr);
    if (img.trns)
        png_set_tRNS(png, info, nullptr, 0, &*img.trns);
    png_write_info(png, info);
    // Pack each row: samples MSB first below 8 bits, big-endian at 16.
    const int per_row = img.width * img.channels();
    std::vector<std::vector<png_byte>> rows(img.height, std::vector<png_byte>((per_row * img.bit_depth + 7) / 8));
    std::vector<png_bytep> row_ptrs;
    for (int y = 0; y < img.height; ++y) {
        for (int i = 0; i < per_row; ++i) {
            const unsigned v = img.samples[static_cast<std::size_t>(y) * per_row + i];
            if (img.bit_depth == 16) {
                rows[y][2 * i] = static_cast<png_byte>(v >> 8);
                rows[y][2 * i + 1] = static_cast<png_byte>(v & 0xff);
            } else {
                const int bit = i * img.bit_depth;
                rows[y][bit / 8] |= static_cast<png_byte>(v << (8 - img.bit_depth - bit % 8));
            }
        }
        row_ptrs.push_back(rows[y].data());
    }
    png_write_image(png, row_ptrs.data());  // writes all 7 passes when interlaced
    png_write_end(png, nullptr);
    png_destroy_write_struct(&png, &info);
    std::fclose(f);
}

// The RGB value in [0, 1] that read_png must give for pixel (x, y) of `img` (alpha dropped).
std::array<float, 3> expected_rgb(const RawPng& img, int x, int y)
{
    const std::size_t at = (static_cast<std::size_t>(y) * img.width + x) * img.channels();
    const float max = static_cast<float>((1u << img.bit_depth) - 1);
    if (img.color_type == PNG_COLOR_TYPE_PALETTE) {
        const png_color c = img.palette[img.samples[at]];
        return {c.red / 255.0f, c.green / 255.0f, c.blue / 255.0f};
    }
    if (img.channels() <= 2) {
        const float g = static_cast<float>(img.samples[at]) / max;
        return {g, g, g};
    }
    return {img.samples[at] / max, img.samples[at + 1] / max, img.samples[at + 2] / max};
}

RawPng random_png(int color_type, int bit_depth, unsigned seed)
{
    std::mt19937 rng(seed);
    RawPng img;
    img.width = 13;  // odd sizes leave Adam7's passes uneven
    img.height = 11;
    img.color_type = color_type;
    img.bit_depth = bit_depth;
    const unsigned levels = color_type == PNG_COLOR_TYPE_PALETTE ? std::min(1u << bit_depth, 200u) : 1u << bit_depth;
    for (std::size_t i = 0; i < static_cast<std::size_t>(img.width * img.height * img.channels()); ++i)
        img.samples.push_back(rng() % levels);
    if (color_type == PNG_COLOR_TYPE_PALETTE) {
        for (unsigned i = 0; i < levels; ++i)
            img.palette.push_back({static_cast<png_byte>(rng()), static_cast<png_byte>(rng()),
                                   static_cast<png_byte>(rng())});
        const png_byte alphas[] = {0, 128, 255};
        img.palette_alpha.assign(alphas, alphas + std::min(levels, 3u));
    }
    return img;
}

}  // namespace

// Issue 16: an interlaced (Adam7) PNG was read wrongly. Every colour type and bit depth of the PNG
// standard, interlaced and not, must give the same planes: the samples scaled to [0, 1].
TEST(Png, every_colour_type_and_bit_depth_reads_right_interlaced_or_not)
{
    struct Kind {
        int color_type, bit_depth;
        const char* name;
    };
    const Kind kinds[] = {
        {PNG_COLOR_TYPE_GRAY, 1, "gray1"},         {PNG_COLOR_TYPE_GRAY, 2, "gray2"},
        {PNG_COLOR_TYPE_GRAY, 4, "gray4"},         {PNG_COLOR_TYPE_GRAY, 8, "gray8"},
        {PNG_COLOR_TYPE_GRAY, 16, "gray16"},       {PNG_COLOR_TYPE_GRAY_ALPHA, 8, "graya8"},
        {PNG_COLOR_TYPE_GRAY_ALPHA, 16, "graya16"}, {PNG_COLOR_TYPE_PALETTE, 1, "pal1"},
        {PNG_COLOR_TYPE_PALETTE, 2, "pal2"},       {PNG_COLOR_TYPE_PALETTE, 4, "pal4"},
        {PNG_COLOR_TYPE_PALETTE, 8, "pal8"},       {PNG_COLOR_TYPE_RGB, 8, "rgb8"},
        {PNG_COLOR_TYPE_RGB, 16, "rgb16"},         {PNG_COLOR_TYPE_RGB_ALPHA, 8, "rgba8"},
        {PNG_COLOR_TYPE_RGB_ALPHA, 16, "rgba16"},
    };
    TempDir dir("kinds");
    unsigned seed = 100;
    for (const Kind& k : kinds) {
        const RawPng img = random_png(k.color_type, k.bit_depth, ++seed);
        for (const bool interlaced : {false, true}) {
            SCOPED_TRACE(fmt::format("{} {}", k.name, interlaced ? "Adam7" : "progressive"));
            const auto path = dir.path() / fmt::format("{}-{}.png", k.name, interlaced);
            write_raw_png(path, img, interlaced);
            const PngImage back = read_png(path);
            ASSERT_EQ(back.rgb.width, img.width);
            ASSERT_EQ(back.rgb.height, img.height);
            EXPECT_EQ(back.bit_depth, k.bit_depth == 16 ? 16 : 8);
            EXPECT_EQ(back.had_alpha, (k.color_type & PNG_COLOR_MASK_ALPHA) != 0 || !img.palette_alpha.empty());
            int wrong = 0;
            for (int y = 0; y < img.height; ++y)
                for (int x = 0; x < img.width; ++x)
                    for (int c = 0; c < 3; ++c)
                        if (std::abs(back.rgb.at(c, y, x) - expected_rgb(img, x, y)[c]) > 1e-6f)
                            ++wrong;
            EXPECT_EQ(wrong, 0) << "samples read wrongly";
        }
    }
}

TEST(Png, trns_colour_key_is_dropped_like_alpha)
{
    TempDir dir("trns");
    for (const int color_type : {PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_RGB}) {
        RawPng img = random_png(color_type, 8, 7);
        png_color_16 key{};
        key.gray = key.red = static_cast<png_uint_16>(img.samples[0]);
        key.green = static_cast<png_uint_16>(img.samples[1]);
        key.blue = static_cast<png_uint_16>(img.samples[2]);
        img.trns = key;
        write_raw_png(dir.path() / "k.png", img, true);
        const PngImage back = read_png(dir.path() / "k.png");
        EXPECT_TRUE(back.had_alpha);
        for (int c = 0; c < 3; ++c)
            EXPECT_NEAR(back.rgb.at(c, 0, 0), expected_rgb(img, 0, 0)[c], 1e-6f);  // the keyed pixel keeps its colour
    }
}

TEST(Png, named_pipe_and_directory_are_refused_without_blocking)
{
    TempDir dir("pngfifo");
    ASSERT_EQ(mkfifo((dir.path() / "pipe.png").c_str(), 0600), 0);
    try {
        read_png(dir.path() / "pipe.png");
        ADD_FAILURE() << "a FIFO was read";
    } catch (const ImageError& e) {
        EXPECT_NE(std::string(e.what()).find("pipe.png: is a named pipe"), std::string::npos) << e.what();
    }
    EXPECT_THROW(read_png(dir.path()), ImageError);
}

// A PNG whose header claims more than png_max_pixels is refused before its pixels are allocated.
TEST(Png, too_many_pixels_are_refused)
{
    TempDir dir("huge");
    const auto path = dir.path() / "huge.png";
    const png_uint_32 width = 9000, height = 8000;  // 72 Mpixels, 1-bit gray: a 9 MB image of zeros
    std::FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    png_infop info = png_create_info_struct(png);
    std::vector<png_byte> row((width + 7) / 8);
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        std::fclose(f);
        FAIL() << "libpng could not write";
    }
    png_init_io(png, f);
    png_set_compression_level(png, 1);
    png_set_IHDR(png, info, width, height, 1, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (png_uint_32 y = 0; y < height; ++y)
        png_write_row(png, row.data());
    png_write_end(png, nullptr);
    png_destroy_write_struct(&png, &info);
    std::fclose(f);
    try {
        read_png(path);
        ADD_FAILURE() << "accepted";
    } catch (const ImageError& e) {
        EXPECT_NE(std::string(e.what()).find("huge.png: 9000x8000 is too many pixels"), std::string::npos) << e.what();
    }
}

TEST(Png, decodes_from_memory_like_from_a_file)
{
    TempDir dir("mem");
    Planes p(3, 5, 7);
    for (std::size_t i = 0; i < p.data.size(); ++i)
        p.data[i] = static_cast<float>(i % 17) / 16.0f;
    write_png_rgb16(dir.path() / "m.png", p, false);
    std::ifstream in(dir.path() / "m.png", std::ios::binary);
    const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(decode_png(bytes, "mem").rgb.data, read_png(dir.path() / "m.png").rgb.data);
    EXPECT_THROW(decode_png({}, "empty"), ImageError);
    EXPECT_THROW(decode_png(std::span(bytes).first(bytes.size() / 2), "half"), ImageError);
}
