#include "half.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>

using namespace cnnv3;

TEST(Half, every_finite_half_round_trips_through_float)
{
    for (unsigned h = 0; h < 0x10000; ++h) {
        const auto half = static_cast<std::uint16_t>(h);
        if (!half_is_finite(half))
            continue;
        ASSERT_EQ(float_to_half(half_to_float(half)), half) << "half 0x" << std::hex << h;
    }
}

TEST(Half, decodes_known_values_exactly)
{
    EXPECT_EQ(half_to_float(0x3c00), 1.0f);
    EXPECT_EQ(half_to_float(0xc000), -2.0f);
    EXPECT_EQ(half_to_float(0x7bff), 65504.0f);
    EXPECT_EQ(half_to_float(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
    EXPECT_EQ(half_to_float(0x0400), std::ldexp(1.0f, -14));  // smallest normal
    EXPECT_TRUE(std::isinf(half_to_float(0x7c00)));
    EXPECT_TRUE(std::isnan(half_to_float(0x7e00)));
    EXPECT_TRUE(std::signbit(half_to_float(0x8000)));
}

TEST(Half, encoding_rounds_to_nearest_even)
{
    // 1 + 2^-11 is exactly halfway between 1 and the next half (1 + 2^-10): ties go to even (1).
    EXPECT_EQ(float_to_half(1.0f + std::ldexp(1.0f, -11)), 0x3c00);
    // 1 + 3*2^-11 is halfway between 0x3c01 and 0x3c02: even is 0x3c02.
    EXPECT_EQ(float_to_half(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);
    EXPECT_EQ(float_to_half(70000.0f), 0x7c00);  // overflow -> Inf
    EXPECT_EQ(float_to_half(std::ldexp(1.0f, -26)), 0x0000);  // below half the smallest subnormal
}

TEST(Half, inf_and_nan_are_not_finite)
{
    EXPECT_FALSE(half_is_finite(0x7c00));
    EXPECT_FALSE(half_is_finite(0xfc00));
    EXPECT_FALSE(half_is_finite(0x7e01));
    EXPECT_TRUE(half_is_finite(0x7bff));
}
