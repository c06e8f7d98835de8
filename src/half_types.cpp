#include "nnzero/half_types.h"

#include <immintrin.h>

#include <cmath>
#include <cstddef>

#include "nnzero/error.h"

namespace nnzero {

uint16_t float_to_f16(float x) {
  const uint32_t bits = std::bit_cast<uint32_t>(x);
  const auto sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  const uint32_t magnitude = bits & 0x7fffffffu;
  // NaN stays NaN, quiet, with the top of its payload (as F16C's vcvtps2ph).
  if (magnitude > 0x7f800000u) return sign | 0x7e00u | ((magnitude >> 13) & 0x3ffu);
  // From 65520 (halfway between 65504, the largest float16, and 2^16) up: infinity.
  if (magnitude >= 0x477ff000u) return sign | 0x7c00u;
  // Below 2^-14, float16 has subnormals spaced 2^-24: scaling by 2^24 is exact in float, and
  // nearbyint rounds ties to even. 1024 is the smallest normal's encoding.
  if (magnitude < 0x38800000u) {
    const float scaled = std::bit_cast<float>(magnitude) * 16777216.0f;
    return sign | static_cast<uint16_t>(std::nearbyint(scaled));
  }
  // Normal: rebias the exponent (127 -> 15, that is minus 112 << 23) and drop 13 fraction
  // bits, rounding half to even; a carry out of the fraction correctly bumps the exponent.
  const uint32_t odd = (magnitude >> 13) & 1u;
  return sign | static_cast<uint16_t>((magnitude - 0x38000000u + 0xfffu + odd) >> 13);
}

float f16_to_float(uint16_t h) {
  const uint32_t sign = uint32_t{h & 0x8000u} << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu, fraction = h & 0x3ffu;
  if (exponent == 0) {  // zero or subnormal: fraction 2^-24
    const float magnitude = static_cast<float>(fraction) * 5.9604644775390625e-8f;
    return std::bit_cast<float>(sign | std::bit_cast<uint32_t>(magnitude));
  }
  if (exponent == 31) {  // infinity, or NaN made quiet (as F16C's vcvtph2ps)
    const uint32_t quiet = fraction != 0 ? 0x400000u : 0u;
    return std::bit_cast<float>(sign | 0x7f800000u | quiet | (fraction << 13));
  }
  return std::bit_cast<float>(sign | ((exponent + 112u) << 23) | (fraction << 13));
}

namespace {

void check_sizes(size_t in, size_t out) {
  if (in != out) throw Error("half-precision conversion: sizes differ");
}

// F16C converts 8 values an instruction, with the same rounding and NaN rule as the scalar
// conversions above (the tests compare every float16 bit pattern).
__attribute__((target("avx,f16c"))) void floats_to_f16_f16c(const float* in, uint16_t* out,
                                                            size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(in + i), _MM_FROUND_TO_NEAREST_INT);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), h);
  }
  for (; i < n; ++i) out[i] = float_to_f16(in[i]);
}

__attribute__((target("avx,f16c"))) void f16_to_floats_f16c(const uint16_t* in, float* out,
                                                            size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i));
    _mm256_storeu_ps(out + i, _mm256_cvtph_ps(h));
  }
  for (; i < n; ++i) out[i] = f16_to_float(in[i]);
}

// Every x86 CPU with AVX2 has F16C (Intel since Haswell, AMD since Excavator); asking for AVX2
// works with both GCC and Clang, whose __builtin_cpu_supports does not always know "f16c".
bool has_f16c() {
  static const bool yes = __builtin_cpu_supports("avx2");
  return yes;
}

}  // namespace

// bfloat16 has no conversion instruction used here: AVX-512 BF16's vcvtneps2bf16 flushes
// subnormals to zero, which would make the bits depend on the CPU. The scalar conversion is
// a few integer operations that the compiler vectorizes.
void floats_to_bf16(std::span<const float> in, std::span<uint16_t> out) {
  check_sizes(in.size(), out.size());
  for (size_t i = 0; i < in.size(); ++i) out[i] = float_to_bf16(in[i]);
}

void bf16_to_floats(std::span<const uint16_t> in, std::span<float> out) {
  check_sizes(in.size(), out.size());
  for (size_t i = 0; i < in.size(); ++i) out[i] = bf16_to_float(in[i]);
}

void floats_to_f16(std::span<const float> in, std::span<uint16_t> out) {
  check_sizes(in.size(), out.size());
  if (has_f16c()) return floats_to_f16_f16c(in.data(), out.data(), in.size());
  for (size_t i = 0; i < in.size(); ++i) out[i] = float_to_f16(in[i]);
}

void f16_to_floats(std::span<const uint16_t> in, std::span<float> out) {
  check_sizes(in.size(), out.size());
  if (has_f16c()) return f16_to_floats_f16c(in.data(), out.data(), in.size());
  for (size_t i = 0; i < in.size(); ++i) out[i] = f16_to_float(in[i]);
}

void round_to_bf16(std::span<float> values) {
  for (float& v : values) v = round_to_bf16(v);
}

void round_to_f16(std::span<float> values) {
  for (float& v : values) v = round_to_f16(v);
}

}  // namespace nnzero
