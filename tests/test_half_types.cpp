// float16 and bfloat16 conversions against the definition: the nearest value of the format,
// ties to even, computed in double by a plain formula (half_types_test::nearest_f16).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "nnzero/half_types.h"

using namespace nnzero;

namespace half_types_test {

// The float16 value nearest to x, ties to even: the quantum is 2^(e-11) for |x| in
// [2^(e-1), 2^e), at least 2^-24 (subnormals); from 65520 up, infinity.
float nearest_f16(float x) {
  if (!std::isfinite(x) || x == 0.0f) return x;
  int e = 0;
  (void)std::frexp(static_cast<double>(std::fabs(x)), &e);
  const double quantum = std::ldexp(1.0, std::max(e - 1, -14) - 10);
  const double r = std::nearbyint(std::fabs(x) / quantum) * quantum;
  const double rounded = r > 65504.0 ? std::numeric_limits<double>::infinity() : r;
  return static_cast<float>(std::copysign(rounded, static_cast<double>(x)));
}

// The bfloat16 value nearest to x: 8 significant bits, float's exponent range.
float nearest_bf16(float x) {
  if (!std::isfinite(x) || x == 0.0f) return x;
  int e = 0;
  (void)std::frexp(static_cast<double>(std::fabs(x)), &e);
  const double quantum = std::ldexp(1.0, std::max(e - 1, -126) - 7);
  const double r = std::nearbyint(std::fabs(x) / quantum) * quantum;
  const double largest = std::ldexp(255.0 / 128.0, 127);  // 0x7f7f
  const double rounded = r > largest ? std::numeric_limits<double>::infinity() : r;
  return static_cast<float>(std::copysign(rounded, static_cast<double>(x)));
}

std::vector<float> awkward_floats() {
  std::vector<float> v = {0.0f,     -0.0f,    1.0f,   -2.5f,   0.1f,     65504.0f,  65519.0f,
                          65520.0f, -1e6f,    1e-8f,  3e-38f,  1e38f,    3.4e38f,   6.1e-5f,
                          5.96e-8f, 2.98e-8f, 1e-45f, -1e-40f, 33333.3f, 0.3333333f};
  for (int e = -30; e <= 20; ++e) {
    for (float m : {1.0f, 1.5f, 1.0009765625f, 1.00048828125f, 1.00146484375f, 1.99951171875f})
      v.push_back(std::ldexp(m, e));
  }
  std::mt19937 gen(7);
  std::uniform_int_distribution<uint32_t> bits;
  for (int i = 0; i < 200000; ++i) {
    const float f = std::bit_cast<float>(bits(gen));
    if (std::isfinite(f)) v.push_back(f);
  }
  return v;
}

}  // namespace half_types_test

using half_types_test::awkward_floats;

TEST(HalfTypes, Float16RoundsToNearestTiesToEven) {
  EXPECT_EQ(round_to_f16(0.1f), 0.0999755859375f);
  // 10 fraction bits: 1 + 2^-11 lies halfway and goes to the even neighbour 1; 1 + 3 * 2^-11
  // lies halfway between 1 + 2^-10 and 1 + 2^-9 and goes to 1 + 2^-9.
  EXPECT_EQ(round_to_f16(1.0f + std::ldexp(1.0f, -11)), 1.0f);
  EXPECT_EQ(round_to_f16(1.0f + 3 * std::ldexp(1.0f, -11)), 1.0f + std::ldexp(1.0f, -9));
  EXPECT_EQ(round_to_f16(65519.0f), 65504.0f);
  EXPECT_EQ(round_to_f16(65520.0f), std::numeric_limits<float>::infinity());
  EXPECT_EQ(round_to_f16(std::ldexp(1.0f, -24)), std::ldexp(1.0f, -24));  // subnormals
  EXPECT_EQ(round_to_f16(3 * std::ldexp(1.0f, -25)), std::ldexp(1.0f, -23));
  EXPECT_EQ(round_to_f16(std::ldexp(1.0f, -26)), 0.0f);
  EXPECT_EQ(float_to_f16(1.0f), 0x3c00);
  EXPECT_EQ(float_to_f16(-2.0f), 0xc000);
  EXPECT_EQ(float_to_f16(65504.0f), 0x7bff);
  EXPECT_EQ(float_to_f16(std::numeric_limits<float>::infinity()), 0x7c00);
  EXPECT_EQ(float_to_f16(std::ldexp(1.0f, -14)), 0x0400);
  EXPECT_TRUE(std::isnan(round_to_f16(std::nanf(""))));
  for (float x : awkward_floats()) {
    const float want = half_types_test::nearest_f16(x);
    ASSERT_EQ(std::bit_cast<uint32_t>(round_to_f16(x)), std::bit_cast<uint32_t>(want)) << x;
  }
}

TEST(HalfTypes, BFloat16RoundsToNearestTiesToEven) {
  EXPECT_EQ(float_to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(round_to_bf16(1.0f + std::ldexp(1.0f, -8)), 1.0f);  // halfway: to even
  EXPECT_EQ(round_to_bf16(1.0f + 3 * std::ldexp(1.0f, -8)), 1.0f + std::ldexp(1.0f, -6));
  EXPECT_EQ(round_to_bf16(std::numeric_limits<float>::max()),
            std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(round_to_bf16(std::nanf(""))));
  // A NaN whose payload sits in the dropped bits must not become infinity.
  EXPECT_TRUE(std::isnan(bf16_to_float(float_to_bf16(std::bit_cast<float>(0x7f800001u)))));
  for (float x : awkward_floats()) {
    const float want = half_types_test::nearest_bf16(x);
    ASSERT_EQ(std::bit_cast<uint32_t>(round_to_bf16(x)), std::bit_cast<uint32_t>(want)) << x;
  }
}

TEST(HalfTypes, EveryFloat16ValueReadsBackToItself) {
  std::vector<uint16_t> all(65536), again(65536);
  std::vector<float> floats(65536);
  for (uint32_t h = 0; h < 65536; ++h) all[h] = static_cast<uint16_t>(h);
  f16_to_floats(all, floats);  // the F16C path where the CPU has it
  floats_to_f16(floats, again);
  for (uint32_t h = 0; h < 65536; ++h) {
    ASSERT_EQ(std::bit_cast<uint32_t>(floats[h]), std::bit_cast<uint32_t>(f16_to_float(all[h])))
        << h;
    if (std::isnan(floats[h])) {
      EXPECT_EQ(again[h], all[h] | 0x0200) << h;  // NaN comes back quiet
    } else {
      ASSERT_EQ(again[h], all[h]) << h;
    }
  }
}

TEST(HalfTypes, SpanConversionsGiveTheScalarBits) {
  std::vector<float> in = awkward_floats();
  in.push_back(std::nanf(""));
  in.push_back(-std::numeric_limits<float>::infinity());
  std::vector<uint16_t> f16(in.size()), bf16(in.size());
  floats_to_f16(in, f16);
  floats_to_bf16(in, bf16);
  std::vector<float> back16(in.size()), backbf(in.size());
  f16_to_floats(f16, back16);
  bf16_to_floats(bf16, backbf);
  for (size_t i = 0; i < in.size(); ++i) {
    ASSERT_EQ(f16[i], float_to_f16(in[i])) << in[i];
    ASSERT_EQ(bf16[i], float_to_bf16(in[i])) << in[i];
  }
  std::vector<float> rounded = in;
  round_to_f16(rounded);
  for (size_t i = 0; i + 2 < in.size(); ++i) ASSERT_EQ(rounded[i], back16[i]);
  std::vector<uint16_t> short_out(3);
  EXPECT_THROW(floats_to_f16(in, short_out), std::exception);
}
