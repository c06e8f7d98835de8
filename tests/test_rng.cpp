// Rng: reproducible (same seed, same numbers; state()/set_state() resumes exactly) and
// statistically sound enough for initial weights, shuffling and dropout masks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <numeric>
#include <vector>

#include "nnzero/rng.h"

using namespace nnzero;

namespace {
constexpr int kDraws = 100000;
}

TEST(Rng, SameSeedSameSequence) {
  Rng a(42), b(42);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(a.next_u64(), b.next_u64()) << "draw " << i;
  Rng c(7), d(7);
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(c.uniform(), d.uniform());
    ASSERT_EQ(c.normal(), d.normal());
    ASSERT_EQ(c.below(1000), d.below(1000));
  }
}

TEST(Rng, DifferentSeedsDiffer) {
  Rng a(1), b(2);
  int equal = 0;
  for (int i = 0; i < 100; ++i) equal += a.next_u64() == b.next_u64();
  EXPECT_EQ(equal, 0);
  // Seed 0 is a valid seed (splitmix64 expands it), not the all-zero state that would make
  // xoshiro output zeros forever.
  Rng z(0);
  int zeros = 0;
  for (int i = 0; i < 100; ++i) zeros += z.next_u64() == 0;
  EXPECT_EQ(zeros, 0);
}

TEST(Rng, UniformInUnitIntervalWithMeanHalf) {
  Rng rng(123);
  double sum = 0.0;
  float lo = 1.0f, hi = 0.0f;
  int below_quarter = 0;
  for (int i = 0; i < kDraws; ++i) {
    const float u = rng.uniform();
    ASSERT_GE(u, 0.0f);
    ASSERT_LT(u, 1.0f);
    lo = std::min(lo, u);
    hi = std::max(hi, u);
    sum += u;
    below_quarter += u < 0.25f;
  }
  // Mean of U(0,1) is 1/2 with standard error 1/sqrt(12 n) ~ 0.0009.
  EXPECT_NEAR(sum / kDraws, 0.5, 0.005);
  EXPECT_NEAR(static_cast<double>(below_quarter) / kDraws, 0.25, 0.005);
  EXPECT_LT(lo, 0.001f);
  EXPECT_GT(hi, 0.999f);
}

TEST(Rng, UniformDoubleAndRange) {
  Rng rng(5);
  double sum = 0.0;
  for (int i = 0; i < kDraws; ++i) {
    const double u = rng.uniform_double();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
  }
  EXPECT_NEAR(sum / kDraws, 0.5, 0.005);
  for (int i = 0; i < 10000; ++i) {
    const float v = rng.uniform(-3.0f, 2.0f);
    ASSERT_GE(v, -3.0f);
    ASSERT_LT(v, 2.0f);
  }
}

TEST(Rng, NormalMeanAndStd) {
  Rng rng(2024);
  double sum = 0.0, sum_sq = 0.0;
  int within_one = 0;
  for (int i = 0; i < kDraws; ++i) {
    const double z = rng.normal();
    ASSERT_TRUE(std::isfinite(z));
    sum += z;
    sum_sq += z * z;
    within_one += std::abs(z) < 1.0;
  }
  const double mean = sum / kDraws;
  const double std = std::sqrt(sum_sq / kDraws - mean * mean);
  // Standard errors: mean 1/sqrt(n) ~ 0.003, std 1/sqrt(2n) ~ 0.002.
  EXPECT_NEAR(mean, 0.0, 0.015);
  EXPECT_NEAR(std, 1.0, 0.01);
  // The shape, not only the moments: P(|z| < 1) = 0.6827.
  EXPECT_NEAR(static_cast<double>(within_one) / kDraws, 0.6827, 0.006);
}

TEST(Rng, NormalWithMeanAndStd) {
  Rng rng(99);
  double sum = 0.0, sum_sq = 0.0;
  for (int i = 0; i < kDraws; ++i) {
    const double v = rng.normal(3.0f, 0.5f);
    sum += v;
    sum_sq += v * v;
  }
  const double mean = sum / kDraws;
  EXPECT_NEAR(mean, 3.0, 0.01);
  EXPECT_NEAR(std::sqrt(sum_sq / kDraws - mean * mean), 0.5, 0.005);
}

TEST(Rng, BelowStaysInRangeAndIsRoughlyUniform) {
  Rng rng(31337);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(rng.below(1), 0u);
  constexpr uint64_t n = 7;
  std::vector<int> counts(n, 0);
  for (int i = 0; i < 70000; ++i) {
    const uint64_t k = rng.below(n);
    ASSERT_LT(k, n);
    ++counts[k];
  }
  // Chi-square with 6 degrees of freedom: 22.5 is its 0.1% quantile from the top.
  double chi2 = 0.0;
  for (int c : counts) chi2 += (c - 10000.0) * (c - 10000.0) / 10000.0;
  EXPECT_LT(chi2, 22.5);
  // A bound that is not a power of two, near 2^64: the rejection step must keep k < n.
  const uint64_t big = (uint64_t{1} << 63) + 12345;
  int upper_half = 0;
  for (int i = 0; i < 10000; ++i) {
    const uint64_t k = rng.below(big);
    ASSERT_LT(k, big);
    upper_half += k >= big / 2;
  }
  EXPECT_NEAR(upper_half / 10000.0, 0.5, 0.03);
}

TEST(Rng, PermutationIsAPermutation) {
  Rng rng(8);
  for (int32_t n : {0, 1, 2, 10, 1000}) {
    std::vector<int32_t> p = rng.permutation(n);
    ASSERT_EQ(static_cast<int32_t>(p.size()), n);
    std::vector<int32_t> sorted = p;
    std::sort(sorted.begin(), sorted.end());
    std::vector<int32_t> iota(static_cast<size_t>(n));
    std::iota(iota.begin(), iota.end(), 0);
    EXPECT_EQ(sorted, iota) << "n = " << n;
  }
  // Shuffled, not the identity (probability 1/1000! of a false failure).
  std::vector<int32_t> p = rng.permutation(1000);
  int fixed = 0;
  for (int32_t i = 0; i < 1000; ++i) fixed += p[static_cast<size_t>(i)] == i;
  EXPECT_LT(fixed, 10);
  // The span overload writes into the caller's buffer.
  std::vector<int32_t> buf(5, -1);
  rng.permutation(std::span<int32_t>(buf));
  std::sort(buf.begin(), buf.end());
  EXPECT_EQ(buf, (std::vector<int32_t>{0, 1, 2, 3, 4}));
}

TEST(Rng, PermutationsOfThreeAreEquallyLikely) {
  // Fisher-Yates gives each of the 6 orders probability 1/6; the classic bug (swapping with
  // any position instead of one not yet fixed) does not.
  Rng rng(77);
  std::map<std::vector<int32_t>, int> counts;
  constexpr int kTrials = 60000;
  for (int i = 0; i < kTrials; ++i) ++counts[rng.permutation(3)];
  ASSERT_EQ(counts.size(), 6u);
  for (const auto& [perm, count] : counts) {
    EXPECT_NEAR(count / static_cast<double>(kTrials), 1.0 / 6.0, 0.01);
  }
}

TEST(Rng, StateRestoresTheExactSequence) {
  Rng rng(2718);
  for (int i = 0; i < 17; ++i) rng.next_u64();
  const Rng::State saved = rng.state();
  std::vector<uint64_t> first;
  std::vector<float> first_normals;
  for (int i = 0; i < 50; ++i) first.push_back(rng.next_u64());
  for (int i = 0; i < 50; ++i) first_normals.push_back(rng.normal());
  rng.set_state(saved);
  for (int i = 0; i < 50; ++i) ASSERT_EQ(rng.next_u64(), first[static_cast<size_t>(i)]);
  for (int i = 0; i < 50; ++i) ASSERT_EQ(rng.normal(), first_normals[static_cast<size_t>(i)]);
  // A fresh generator given the state continues the same way.
  Rng other(1);
  other.set_state(saved);
  EXPECT_EQ(other.next_u64(), first[0]);
}

TEST(Rng, FillTensors) {
  Rng a(3), b(3);
  Tensor x(Shape{100, 50}), y(Shape{100, 50});
  a.fill_normal(x, 0.0f, 0.01f);
  b.fill_normal(y, 0.0f, 0.01f);
  double sum_sq = 0.0;
  for (int64_t i = 0; i < x.numel(); ++i) {
    ASSERT_EQ(x[i], y[i]);
    sum_sq += static_cast<double>(x[i]) * x[i];
  }
  EXPECT_NEAR(std::sqrt(sum_sq / static_cast<double>(x.numel())), 0.01, 0.0005);
  a.fill_uniform(x, -0.5f, 0.5f);
  for (float v : x) {
    ASSERT_GE(v, -0.5f);
    ASSERT_LT(v, 0.5f);
  }
}
