// IEEE 754 binary16 <-> binary32 conversion.
//
// The weights file stores halves; every consumer (CPU reference, shader emitter) works on the exact
// f32 value of each half, so decoding must be exact and encoding must round to nearest even.
#pragma once

#include <cstdint>

namespace cnnv3 {

// Exact: every half (subnormals, ±Inf, NaN included) has an f32 equal to it.
float half_to_float(std::uint16_t h);

// Round to nearest, ties to even; overflow gives ±Inf, NaN stays NaN.
std::uint16_t float_to_half(float f);

// True for the halves whose exponent bits are all ones (±Inf and NaN).
constexpr bool half_is_finite(std::uint16_t h) { return (h & 0x7c00u) != 0x7c00u; }

}  // namespace cnnv3
