// StreamPlaneColor (filter/gpu/frame_input.h): derived once per stream, yet always plane_color()'s
// answer for the frame in hand - a change of tags, size or format mid-stream is seen. And the
// scene-cut thumbnail made ahead and carried by the frame (attach_thumbnail).
#include "frame_input.h"
#include "video_error.h"

extern "C" {
#include <libavutil/frame.h>
}

#include <gtest/gtest.h>

#include <cstring>
#include <memory>

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

// attach_thumbnail(): the frame carries frame_thumbnail()'s answer, found again by
// attached_thumbnail() on a reference to it (another thread's); a frame without one, or whose
// opaque_ref holds something else, has none; attaching again replaces it.
TEST(AttachedThumbnail, TravelsWithTheFrame)
{
    std::unique_ptr<AVFrame, void (*)(AVFrame*)> f(av_frame_alloc(), [](AVFrame* p) { av_frame_free(&p); });
    f->format = AV_PIX_FMT_YUV420P;
    f->width = 70;
    f->height = 38;
    ASSERT_EQ(av_frame_get_buffer(f.get(), 0), 0);
    for (int y = 0; y < f->height; ++y)
        for (int x = 0; x < f->width; ++x)
            f->data[0][y * f->linesize[0] + x] = static_cast<uint8_t>(x * 3 + y);
    ThumbnailScratch scratch;
    EXPECT_EQ(attached_thumbnail(*f), nullptr);
    f->opaque_ref = av_buffer_alloc(sizeof(LumaThumbnail) + 8);  // someone else's data of the same size
    ASSERT_NE(f->opaque_ref, nullptr);
    std::memset(f->opaque_ref->data, 0, f->opaque_ref->size);
    EXPECT_EQ(attached_thumbnail(*f), nullptr);
    attach_thumbnail(*f, scratch);
    std::unique_ptr<AVFrame, void (*)(AVFrame*)> ref(av_frame_clone(f.get()), [](AVFrame* p) { av_frame_free(&p); });
    ASSERT_NE(ref, nullptr);
    const LumaThumbnail* carried = attached_thumbnail(*ref);
    ASSERT_NE(carried, nullptr);
    EXPECT_EQ(carried->cells, frame_thumbnail(*f, scratch).cells);
    for (int y = 0; y < f->height; ++y)
        std::memset(f->data[0] + y * f->linesize[0], 200, static_cast<std::size_t>(f->width));
    attach_thumbnail(*f, scratch);
    ASSERT_NE(attached_thumbnail(*f), nullptr);
    EXPECT_FLOAT_EQ(attached_thumbnail(*f)->cells[0], 200.0f / 255.0f);
}

}  // namespace
}  // namespace cnnv3
