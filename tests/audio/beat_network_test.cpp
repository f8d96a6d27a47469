// The learned beat activation in C++ (filter/audio/beat_activation.h) against PyTorch: the test
// vector training/beats/train.py wrote into beat_network_weights.h with the weights (the first
// feature frames of a dev clip and the activation PyTorch computed for them).

#include "audio_decode.h"
#include "beat_activation.h"
#include "beat_tracker.h"
#include "beat_network_weights.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace cnnv3::test {
namespace {

namespace w = beat_network_weights;

TEST(BeatNetwork, ReproducesPyTorchsActivation)
{
    BeatFeatures f;
    f.frames = w::test_frames;
    f.channels = static_cast<std::size_t>(w::inputs);
    f.values.assign(std::begin(w::test_features), std::end(w::test_features));
    ASSERT_EQ(f.values.size(), f.frames * f.channels);
    const std::vector<float> a = beat_activation(f);
    ASSERT_EQ(a.size(), f.frames);
    float worst = 0.0f;
    for (std::size_t t = 0; t < a.size(); ++t)
        worst = std::max(worst, std::fabs(a[t] - w::test_activation[t]));
    EXPECT_LT(worst, 1e-4f) << "the C++ TCN does not compute what the exported PyTorch model did";
}

TEST(BeatNetwork, RefusesFeaturesOfAnotherWidth)
{
    BeatFeatures f;
    f.frames = 4;
    f.channels = static_cast<std::size_t>(w::inputs) - 2;
    f.values.assign(f.frames * f.channels, 0.0f);
    EXPECT_THROW(beat_activation(f), std::invalid_argument);
}

TEST(BeatNetwork, RefusesFeatureValuesThatAreNotFramesTimesChannels)
{
    // A hand-made BeatFeatures whose values are short of frames x channels: refused, not read past.
    BeatFeatures f;
    f.frames = 8;
    f.channels = static_cast<std::size_t>(w::inputs);
    f.values.assign(f.frames * f.channels - 1, 0.0f);
    EXPECT_THROW(beat_activation(f), std::invalid_argument);
    f.values.push_back(0.0f);
    EXPECT_EQ(beat_activation(f).size(), f.frames);
}

TEST(BeatNetwork, RefusesANetworkWhoseArraysDoNotMatchItsShape)
{
    BeatFeatures f;
    f.frames = 8;
    f.channels = static_cast<std::size_t>(w::inputs);
    f.values.assign(f.frames * f.channels, 0.0f);
    BeatNetwork short_blocks = trained_beat_network();
    short_blocks.block_weight = short_blocks.block_weight.first(short_blocks.block_weight.size() - 1);
    EXPECT_THROW(beat_activation(f, short_blocks), std::invalid_argument);
    BeatNetwork more_dilations = trained_beat_network();
    static constexpr int seven[] = {1, 2, 4, 8, 16, 32, 64};  // one more block than the weights hold
    more_dilations.dilations = seven;
    EXPECT_THROW(beat_activation(f, more_dilations), std::invalid_argument);
}

TEST(BeatNetwork, ActivationIsFiniteAndInRangeOnClipsShorterThanItsReach)
{
    // Clips of 1 to 130 feature frames: every dilated tap near or past both edges (the reach is 127
    // frames each side), so the zero padding alone decides what the far taps see.
    for (std::size_t frames : {std::size_t{1}, std::size_t{2}, std::size_t{63}, std::size_t{64}, std::size_t{65},
                               std::size_t{127}, std::size_t{130}}) {
        BeatFeatures f;
        f.frames = frames;
        f.channels = static_cast<std::size_t>(w::inputs);
        f.values.assign(std::begin(w::test_features), std::begin(w::test_features) +
                                                           static_cast<std::ptrdiff_t>(std::min(frames, w::test_frames) * f.channels));
        f.values.resize(frames * f.channels, 0.0f);
        const std::vector<float> a = beat_activation(f);
        ASSERT_EQ(a.size(), frames);
        for (float v : a)
            EXPECT_TRUE(v >= 0.0f && v <= 1.0f) << frames << ": " << v;
    }
}

TEST(HoldActivation, HoldsEachValueOverItsBlockAndRefusesAnotherLength)
{
    EXPECT_EQ(hold_activation({0.25f, 0.5f}, 4, 6), (std::vector<float>{0.25f, 0.25f, 0.25f, 0.25f, 0.5f, 0.5f}));
    // One value per 4 envelope frames, rounded up: 6 frames need 2; 1 or 3 is another clip's.
    EXPECT_THROW(hold_activation({0.25f}, 4, 6), std::invalid_argument);
    EXPECT_THROW(hold_activation({0.25f, 0.5f, 0.75f}, 4, 6), std::invalid_argument);
    EXPECT_THROW(hold_activation({0.25f, 0.5f}, 0, 6), std::invalid_argument);
}

TEST(LearnedBeatActivation, AudioWithoutSamplesGetsNoBeatsLikeTheDefaultTracker)
{
    // compute_onset_envelope returns before its bands for no samples: no activation, no error
    // (beat_features refused the band-less envelope).
    DecodedAudio empty;
    empty.sample_rate = analysis_sample_rate;
    empty.channels = 1;
    OnsetEnvelopeOptions keep;
    keep.keep_bands = true;
    EXPECT_TRUE(learned_beat_activation(compute_onset_envelope(empty, keep)).empty());
    BeatTrackerOptions learned;
    learned.learned = true;
    EXPECT_TRUE(track_beats(empty, learned).beats.empty());
    EXPECT_TRUE(track_beats(empty).beats.empty());
}

TEST(BeatFeatures, NeedTheEnvelopesBands)
{
    OnsetEnvelope env;
    env.frame_rate = 100.0;
    env.strength.assign(10, 0.0f);
    EXPECT_THROW(beat_features(env), std::invalid_argument);
}

}  // namespace
}  // namespace cnnv3::test
