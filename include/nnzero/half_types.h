// The two 16-bit floating-point formats, as raw bits (uint16_t):
//   float16  (IEEE 754 binary16): 1 sign, 5 exponent, 10 fraction bits; largest 65504,
//            smallest normal 2^-14, subnormals down to 2^-24. PyTorch's torch.float16.
//   bfloat16 (the top half of a float32): 1 sign, 8 exponent, 7 fraction bits; float32's
//            range with 3 significant decimal digits. PyTorch's torch.bfloat16.
// Both conversions from float round to nearest, ties to even (as PyTorch's .half() and
// .bfloat16() do); a value too large for float16 becomes infinity; NaN stays NaN (quiet).
// The float16 span conversions use F16C's instructions when the CPU has them, with the same
// bits as the scalar ones.
#pragma once

#include <bit>
#include <cstdint>
#include <span>

namespace nnzero {

inline uint16_t float_to_bf16(float x) {
  const uint32_t bits = std::bit_cast<uint32_t>(x);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40u);
  const uint32_t rounding = 0x7fffu + ((bits >> 16) & 1u);  // ties to even
  return static_cast<uint16_t>((bits + rounding) >> 16);
}

inline float bf16_to_float(uint16_t h) {
  return std::bit_cast<float>(uint32_t{h} << 16);
}

uint16_t float_to_f16(float x);
float f16_to_float(uint16_t h);

void floats_to_bf16(std::span<const float> in, std::span<uint16_t> out);
void bf16_to_floats(std::span<const uint16_t> in, std::span<float> out);
void floats_to_f16(std::span<const float> in, std::span<uint16_t> out);
void f16_to_floats(std::span<const uint16_t> in, std::span<float> out);

// x rounded to the nearest value of the format, as a float: what storing it costs.
inline float round_to_bf16(float x) {
  return bf16_to_float(float_to_bf16(x));
}
inline float round_to_f16(float x) {
  return f16_to_float(float_to_f16(x));
}
void round_to_bf16(std::span<float> values);
void round_to_f16(std::span<float> values);

}  // namespace nnzero
