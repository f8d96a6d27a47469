// ClipConditioning: which value each frame of a clip gets from arguments, tracks and defaults.
#include "clip_conditioning.h"

#include <gtest/gtest.h>

#include <cmath>

#include <vector>

using cnnv3::ConditioningFrame;
using cnnv3::ConditioningTrack;
using cnnv3::vs::ClipConditioning;
using cnnv3::vs::Conditioning;
using cnnv3::vs::ConditioningOverrides;

namespace {

// A track with `count` rows at i / fps whose values encode the row number.
ConditioningTrack numbered_track(int count, double fps)
{
    std::vector<ConditioningFrame> rows;
    for (int i = 0; i < count; ++i) {
        const float v = static_cast<float>(i) / 100.0f;
        rows.push_back({i, i / fps, v, v + 0.001f, v + 0.002f, v + 0.003f, v + 0.004f});
    }
    return ConditioningTrack(std::move(rows));
}

}  // namespace

// SPEC §6: the styles too come from default_cond (full strength), as in `cnnv3 stylize`.
TEST(ClipConditioning, without_a_source_takes_all_five_values_of_the_models_default_cond)
{
    const std::vector<float> default_cond{0.1f, 0.2f, 0.3f, 0.9f, 1.0f};
    const ClipConditioning c = ClipConditioning::constant(default_cond, {});
    EXPECT_EQ(c.at(0), (Conditioning{0.1f, 0.2f, 0.3f, 0.9f, 1.0f}));
    EXPECT_EQ(c.at(12345), c.at(0));
}

TEST(ClipConditioning, given_values_replace_the_default_on_every_frame)
{
    const std::vector<float> default_cond{0.1f, 0.2f, 0.3f, 0.5f, 0.5f};
    ConditioningOverrides given;
    given.beat_norm = 0.75f;
    given.style1 = 1.0f;
    const ClipConditioning c = ClipConditioning::constant(default_cond, given);
    EXPECT_EQ(c.at(7), (Conditioning{0.1f, 0.75f, 0.3f, 0.5f, 1.0f}));
}

TEST(ClipConditioning, a_track_on_the_clips_frames_gives_row_n_to_frame_n)
{
    const ClipConditioning c = ClipConditioning::per_frame(numbered_track(10, 24.0), {});
    ASSERT_EQ(c.size(), 10u);
    for (int n = 0; n < 10; ++n)
        EXPECT_FLOAT_EQ(c.at(n)[0], n / 100.0f) << "frame " << n;
}

TEST(ClipConditioning, given_values_override_a_track_only_where_given)
{
    ConditioningOverrides given;
    given.audio_intensity = 0.0f;
    const ClipConditioning c = ClipConditioning::per_frame(numbered_track(5, 24.0), given);
    EXPECT_FLOAT_EQ(c.at(3)[0], 0.03f);
    EXPECT_FLOAT_EQ(c.at(3)[2], 0.0f);
    EXPECT_FLOAT_EQ(c.at(3)[4], 0.034f);
}

TEST(ClipConditioning, a_track_file_gives_each_frame_the_row_at_or_before_its_time)
{
    // A 12 fps file for a 24 fps clip: frames 2k and 2k+1 share row k.
    const ClipConditioning c = ClipConditioning::from_file(numbered_track(6, 12.0), 12, 24.0, {});
    ASSERT_EQ(c.size(), 12u);
    for (int n = 0; n < 12; ++n)
        EXPECT_FLOAT_EQ(c.at(n)[0], (n / 2) / 100.0f) << "frame " << n;
}

TEST(ClipConditioning, a_track_file_with_rounded_times_still_lines_up_with_the_frames)
{
    // 30000/1001 fps written with 6 decimals: some row times round up past the exact frame time.
    const double fps = 30000.0 / 1001.0;
    std::vector<ConditioningFrame> rows;
    for (int i = 0; i < 100; ++i) {
        const double rounded = std::ceil(i / fps * 1e6) / 1e6;  // never earlier than the frame
        rows.push_back({i, rounded, i / 100.0f, 0.0f, 0.0f, 0.5f, 0.5f});
    }
    const ClipConditioning c = ClipConditioning::from_file(ConditioningTrack(std::move(rows)), 100, fps, {});
    for (int n = 0; n < 100; ++n)
        EXPECT_FLOAT_EQ(c.at(n)[0], n / 100.0f) << "frame " << n;
}

TEST(ClipConditioning, frames_past_the_end_of_a_file_keep_its_last_row)
{
    const ClipConditioning c = ClipConditioning::from_file(numbered_track(3, 24.0), 6, 24.0, {});
    EXPECT_FLOAT_EQ(c.at(5)[0], 0.02f);
}
