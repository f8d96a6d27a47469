#include "network.h"

#include <gtest/gtest.h>

using namespace cnnv3;

TEST(NetworkShape, weight_counts_match_spec_for_shipped_sizes)
{
    const NetworkShape small{4, 8, 5};
    EXPECT_EQ(small.conv(Layer::enc0).param_count(), 724u);
    EXPECT_EQ(small.conv(Layer::enc1).param_count(), 296u);
    EXPECT_EQ(small.conv(Layer::bottleneck).param_count(), 584u);
    EXPECT_EQ(small.conv(Layer::dec1).param_count(), 580u);
    EXPECT_EQ(small.conv(Layer::dec0).param_count(), 292u);
    EXPECT_EQ(small.conv_param_count(), 2476u);
    const NetworkShape def{8, 16, 5};
    EXPECT_EQ(def.conv_param_count(), 7828u);
    EXPECT_EQ(def.conv(Layer::enc0).param_count(), 1448u);
    EXPECT_EQ(def.conv(Layer::dec0).param_count(), 580u);
}

TEST(NetworkShape, film_size_and_mlp_floats_match_spec)
{
    EXPECT_EQ((NetworkShape{4, 8, 5}.film_size()), 40);
    EXPECT_EQ((NetworkShape{8, 16, 5}.film_size()), 72);
    EXPECT_EQ((NetworkShape{4, 8, 5}.mlp_float_count()), 16u * 5 + 16 + 40 * 16 + 40);
}

TEST(NetworkShape, film_layout_is_gamma_then_beta_per_layer_in_order)
{
    const NetworkShape s{4, 8, 5};
    EXPECT_EQ(s.film_offset(Layer::enc0), 0);   // gamma_enc0 [0,4), beta_enc0 [4,8)
    EXPECT_EQ(s.film_offset(Layer::enc1), 8);   // gamma_enc1 [8,16), beta_enc1 [16,24)
    EXPECT_EQ(s.film_offset(Layer::dec1), 24);  // bottleneck has no FiLM
    EXPECT_EQ(s.film_offset(Layer::dec0), 32);  // gamma_dec0 [32,36), beta_dec0 [36,40)
    EXPECT_EQ(s.film_channels(Layer::bottleneck), 0);
}

TEST(NetworkShape, dilation_only_in_bottleneck)
{
    const NetworkShape s{8, 16, 5};
    for (Layer l : all_layers)
        EXPECT_EQ(s.conv(l).dilation, l == Layer::bottleneck ? 2 : 1) << layer_name(l);
}

TEST(InferShape, both_file_sizes_identify_shipped_sizes)
{
    for (const NetworkShape s : {NetworkShape{4, 8, 5}, NetworkShape{8, 16, 5}, NetworkShape{18, 6, 5}}) {
        const auto got = infer_shape(s.conv_param_count(), s.mlp_float_count());
        ASSERT_TRUE(got.has_value());
        EXPECT_EQ(*got, s);
    }
}

TEST(InferShape, weights_file_alone_is_ambiguous_but_pair_is_not)
{
    // SPEC §4: [8,16] and [18,6] both hold 7828 halves; the MLP size tells them apart.
    EXPECT_EQ((NetworkShape{18, 6, 5}.conv_param_count()), 7828u);
    EXPECT_NE((NetworkShape{18, 6, 5}.mlp_float_count()), (NetworkShape{8, 16, 5}.mlp_float_count()));
}

TEST(InferShape, unique_over_the_whole_search_range)
{
    for (int c0 = 1; c0 <= 64; ++c0)
        for (int c1 = 1; c1 <= 128; c1 += 7) {
            const NetworkShape s{c0, c1, 5};
            const auto got = infer_shape(s.conv_param_count(), s.mlp_float_count());
            ASSERT_TRUE(got.has_value()) << c0 << "," << c1;
            EXPECT_EQ(*got, s);
        }
}

TEST(InferShape, sizes_that_fit_nothing_give_nothing)
{
    EXPECT_FALSE(infer_shape(2475, 776).has_value());
    EXPECT_FALSE(infer_shape(2476, 777).has_value());
}
