#include "model_files.h"
#include "png_image.h"
#include "atomic_file.h"

#include <gtest/gtest.h>

#include <fstream>

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
