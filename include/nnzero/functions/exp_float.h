// exp for float32 that the compiler turns into vector code: a softmax over a vocabulary of
// 10,000 words takes 10,000 exponentials per position, and libm's exp (one call per value,
// in double) took half of a language model's training step.
//
// Cephes' expf: x = n ln2 + r with n = round(x / ln2) and |r| <= ln2 / 2, exp(r) by its
// degree-6 polynomial, 2^n put into the exponent bits. Relative error below 2e-7 (about
// 1 ulp) over the whole range; below -87.3 it returns 0 (no subnormals), above 88.7 +inf; NaN stays
// NaN.
#pragma once

#include <bit>
#include <cstdint>

namespace nnzero {

inline float exp_float(float x) {
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kLn2Hi = 0.693359375f, kLn2Lo = -2.12194440e-4f;
  constexpr float kRound = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  const float clamped = x < -87.3f ? -87.3f : (x > 88.7f ? 88.7f : x);
  const float shifted = clamped * kLog2e + kRound;
  const float n = shifted - kRound;
  const float r = clamped - n * kLn2Hi - n * kLn2Lo;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float e = p * r * r + r + 1.0f;
  // 2^n into the exponent bits, in unsigned arithmetic: it wraps instead of overflowing
  // (undefined behaviour) for the NaN that the checks below then return.
  const uint32_t n_bits = std::bit_cast<uint32_t>(shifted) - 0x4B400000u;
  const float scaled = std::bit_cast<float>(std::bit_cast<uint32_t>(e) + (n_bits << 23));
  if (x != x) return x;  // NaN
  if (x < -87.3f) return 0.0f;
  if (x > 88.7f) return __builtin_inff();
  return scaled;
}

// 1 / (1 + e^-x) through exp_float: vector code in a loop.
inline float sigmoid_float(float x) {
  return 1.0f / (1.0f + exp_float(-x));
}

}  // namespace nnzero
