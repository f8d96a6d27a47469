// StreamPlaneColor (filter/gpu/frame_input.h): derived once per stream, yet always plane_color()'s
// answer for the frame in hand - a change of tags, size or format mid-stream is seen.
#include "frame_input.h"
#include "video_error.h"

#include <gtest/gtest.h>

namespace cnnv3 {
namespace {

bool same(const PlaneColor& a, const PlaneColor& b)
{
    return a.system == b.system && a.full_range == b.full_range && a.chroma_h == b.chroma_h &&
           a.chroma_v == b.chroma_v;
}

TEST(StreamPlaneColor, FollowsTagSizeAndFormatChanges)
{
    AVFrame f{};
    f.format = AV_PIX_FMT_YUV420P;
    f.width = 640;
    f.height = 360;
    StreamPlaneColor stream;
    const auto expect = [&](enum pl_color_system system, bool full) {
        const PlaneColor& c = stream.of(f, "clip");
        EXPECT_TRUE(same(c, plane_color(f, "clip")));
        EXPECT_EQ(c.system, system);
        EXPECT_EQ(c.full_range, full);
    };
    expect(PL_COLOR_SYSTEM_BT_601, false);  // SD default
    expect(PL_COLOR_SYSTEM_BT_601, false);  // again, from what was kept
    f.width = 1920;
    f.height = 1080;
    expect(PL_COLOR_SYSTEM_BT_709, false);  // the default follows the size
    f.colorspace = AVCOL_SPC_BT2020_NCL;
    f.color_range = AVCOL_RANGE_JPEG;
    expect(PL_COLOR_SYSTEM_BT_2020_NC, true);
    f.chroma_location = AVCHROMA_LOC_CENTER;
    EXPECT_EQ(stream.of(f, "clip").chroma_h, 0.5f);
    for (const AVColorSpace refused : {AVCOL_SPC_FCC, AVCOL_SPC_YCGCO}) {
        f.colorspace = refused;  // refused: every time, nothing kept from the refusal
        EXPECT_THROW(stream.of(f, "clip"), VideoError);
        EXPECT_THROW(stream.of(f, "clip"), VideoError);
    }
    f.format = AV_PIX_FMT_RGB24;
    expect(PL_COLOR_SYSTEM_RGB, true);
    f.format = AV_PIX_FMT_YUV420P;
    f.colorspace = AVCOL_SPC_BT709;
    f.color_range = AVCOL_RANGE_MPEG;
    expect(PL_COLOR_SYSTEM_BT_709, false);
}

}  // namespace
}  // namespace cnnv3
