// filter/video/scene_cut.h: what the temporal feedback calls a new shot, on the sample photo.

#include "png_image.h"
#include "scene_cut.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

namespace cnnv3 {
namespace {

Planes photo()
{
    return read_png(CNNV3_SOURCE_DIR "/samples/photo_chelsea.png").rgb;
}

// `src` moved by (dx, dy) pixels, edges repeated: one frame of a pan.
Planes shifted(const Planes& src, int dx, int dy)
{
    Planes out(src.channels, src.height, src.width);
    for (int c = 0; c < src.channels; ++c)
        for (int y = 0; y < src.height; ++y)
            for (int x = 0; x < src.width; ++x)
                out.at(c, y, x) = src.at(c, std::clamp(y - dy, 0, src.height - 1), std::clamp(x - dx, 0, src.width - 1));
    return out;
}

// The same pixels seen as another shot: turned half a turn.
Planes rotated(const Planes& src)
{
    Planes out(src.channels, src.height, src.width);
    for (int c = 0; c < src.channels; ++c)
        for (int y = 0; y < src.height; ++y)
            for (int x = 0; x < src.width; ++x)
                out.at(c, y, x) = src.at(c, src.height - 1 - y, src.width - 1 - x);
    return out;
}

TEST(SceneCut, PansNoiseAndSmallFadesAreNotCutsAnotherShotIs)
{
    const Planes a = photo();
    const LumaThumbnail ta = luma_thumbnail(a);
    // A 1 px/frame pan, and a fast one of 8 px.
    const float pan1 = thumbnail_difference(ta, luma_thumbnail(shifted(a, 1, 0)));
    const float pan8 = thumbnail_difference(ta, luma_thumbnail(shifted(a, 8, 3)));
    EXPECT_LT(pan1, scene_cut_threshold / 10) << pan1;
    EXPECT_LT(pan8, scene_cut_threshold / 2) << pan8;
    // Noise of sigma 0.05 on every pixel, and a 5 % brightness step of a fade.
    Planes noisy = a, dimmer = a;
    std::mt19937 rng(7);
    std::normal_distribution<float> noise(0.0f, 0.05f);
    for (float& v : noisy.data)
        v = std::clamp(v + noise(rng), 0.0f, 1.0f);
    for (float& v : dimmer.data)
        v *= 0.95f;
    std::printf("difference: pan 1 px %.4f, pan 8 px %.4f, noise %.4f, 5%% fade %.4f, turned %.4f\n", pan1, pan8,
                thumbnail_difference(ta, luma_thumbnail(noisy)), thumbnail_difference(ta, luma_thumbnail(dimmer)),
                thumbnail_difference(ta, luma_thumbnail(rotated(a))));
    EXPECT_FALSE(is_scene_cut(ta, luma_thumbnail(noisy)));
    EXPECT_FALSE(is_scene_cut(ta, luma_thumbnail(dimmer)));
    // Another shot: the photo turned, and a cut to black.
    const float turned = thumbnail_difference(ta, luma_thumbnail(rotated(a)));
    EXPECT_GT(turned, scene_cut_threshold * 1.5f) << turned;
    EXPECT_TRUE(is_scene_cut(ta, luma_thumbnail(rotated(a))));
    EXPECT_TRUE(is_scene_cut(ta, luma_thumbnail(Planes(3, a.height, a.width, 0.0f))));
    EXPECT_FALSE(is_scene_cut(ta, ta));
}

TEST(SceneCut, DecodedLumaPlanesOfEveryDepthGiveTheSameThumbnail)
{
    const int w = 37, h = 23;
    std::vector<std::uint8_t> y8(static_cast<std::size_t>(w + 3) * h);   // padded rows
    std::vector<std::uint16_t> y10(static_cast<std::size_t>(w) * h);
    std::vector<float> yf(static_cast<std::size_t>(w) * h);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const int v = (x * 7 + y * 13) % 256;
            y8[static_cast<std::size_t>(y) * (w + 3) + x] = static_cast<std::uint8_t>(v);
            y10[static_cast<std::size_t>(y) * w + x] = static_cast<std::uint16_t>(v * 4 + v / 64);  // 8 -> 10 bit
            yf[static_cast<std::size_t>(y) * w + x] = static_cast<float>(v / 255.0);
        }
    const LumaThumbnail t8 = luma_thumbnail(LumaPlaneView{y8.data(), w + 3, w, h, 1, 8});
    const LumaThumbnail t10 =
        luma_thumbnail(LumaPlaneView{reinterpret_cast<const std::uint8_t*>(y10.data()), 2 * w, w, h, 2, 10});
    const LumaThumbnail tf =
        luma_thumbnail(LumaPlaneView{reinterpret_cast<const std::uint8_t*>(yf.data()), 4 * w, w, h, 4, 32});
    EXPECT_LT(thumbnail_difference(t8, t10), 0.5f / 1023);
    EXPECT_LT(thumbnail_difference(t8, tf), 1e-6f);
    // Deterministic: the same pixels, the same bits.
    const LumaThumbnail again = luma_thumbnail(LumaPlaneView{y8.data(), w + 3, w, h, 1, 8});
    EXPECT_EQ(again.cells, t8.cells);
}

TEST(SceneCut, FramesSmallerThanTheGridWorkAndEmptyOnesAreRefused)
{
    const Planes one(3, 1, 1, 0.5f);
    for (float v : luma_thumbnail(one).cells)
        EXPECT_FLOAT_EQ(v, 0.5f);
    Planes tiny(3, 2, 3, 0.0f);
    tiny.at(1, 1, 2) = 1.0f;  // green in the bottom-right pixel
    const LumaThumbnail t = luma_thumbnail(tiny);
    EXPECT_FLOAT_EQ(t.cells.back(), 0.7152f);
    EXPECT_FLOAT_EQ(t.cells.front(), 0.0f);
    EXPECT_THROW(luma_thumbnail(Planes(3, 0, 4)), std::invalid_argument);
    EXPECT_THROW(luma_thumbnail(Planes(1, 4, 4)), std::invalid_argument);
    const std::uint8_t px = 0;
    EXPECT_THROW(luma_thumbnail(LumaPlaneView{&px, 1, 1, 1, 3, 8}), std::invalid_argument);
    EXPECT_THROW(luma_thumbnail(LumaPlaneView{nullptr, 1, 1, 1, 1, 8}), std::invalid_argument);
}

}  // namespace
}  // namespace cnnv3
