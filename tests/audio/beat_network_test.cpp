// The learned beat activation in C++ (filter/audio/beat_activation.h) against PyTorch: the test
// vector training/beats/train.py wrote into beat_network_weights.h with the weights (the first
// feature frames of a dev clip and the activation PyTorch computed for them).

#include "beat_activation.h"
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

TEST(BeatFeatures, NeedTheEnvelopesBands)
{
    OnsetEnvelope env;
    env.frame_rate = 100.0;
    env.strength.assign(10, 0.0f);
    EXPECT_THROW(beat_features(env), std::invalid_argument);
}

}  // namespace
}  // namespace cnnv3::test
