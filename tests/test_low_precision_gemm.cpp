// The reduced-precision products (kernels/low_precision_gemm.h), every path this CPU runs (the
// portable loops always, AVX-512 where it has the instructions), against the plain references:
// int8 bit for bit; bfloat16 within the bound of float32 summation, and exactly where every
// partial sum is exact. Shapes leave every partial block: one row, rows not a multiple of the
// register block, columns not a multiple of 16, K not a multiple of 4, several blocks of k,
// row strides wider than the rows.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "nnzero/error.h"
#include "nnzero/half_types.h"
#include "nnzero/kernels/low_precision_gemm.h"
#include "nnzero/parallel.h"
#include "nnzero/rng.h"
#include "test_support.h"

using namespace nnzero;

namespace lpg_test {

struct Dims {
  int M, N, K;
};

std::string describe(const Dims& d, const char* path) {
  return "M=" + std::to_string(d.M) + " N=" + std::to_string(d.N) + " K=" + std::to_string(d.K) +
         " " + path;
}

// The portable loops, and the AVX-512 kernel where this CPU has it.
std::vector<LowPrecisionIsa> int8_paths() {
  if (best_int8_isa() == LowPrecisionIsa::Portable) return {LowPrecisionIsa::Portable};
  return {LowPrecisionIsa::Portable, LowPrecisionIsa::Avx512};
}
std::vector<LowPrecisionIsa> bf16_paths() {
  if (best_bf16_isa() == LowPrecisionIsa::Portable) return {LowPrecisionIsa::Portable};
  return {LowPrecisionIsa::Portable, LowPrecisionIsa::Avx512};
}

// Shapes for every partial block: the small ones crossed, then deep ones (several blocks of k).
std::vector<Dims> shapes() {
  std::vector<Dims> out;
  for (int M : {1, 3, 8, 9, 17}) {
    for (int N : {1, 15, 16, 17, 33, 100}) {
      for (int K : {0, 1, 3, 4, 5, 64, 577}) out.push_back({M, N, K});
    }
  }
  for (const Dims& d : {Dims{20, 40, 5000}, Dims{9, 17, 5003}, Dims{1, 100, 4321}}) {
    out.push_back(d);
  }
  return out;
}

std::vector<uint8_t> random_u8(Rng& rng, int64_t n) {
  std::vector<uint8_t> v(static_cast<size_t>(n));
  for (uint8_t& x : v) x = static_cast<uint8_t>(rng.below(256));
  return v;
}
// Values in -127..127, the weights' range.
std::vector<int8_t> random_s8(Rng& rng, int64_t n) {
  std::vector<int8_t> v(static_cast<size_t>(n));
  for (int8_t& x : v) x = static_cast<int8_t>(static_cast<int>(rng.below(255)) - 127);
  return v;
}

// C's stride leaves 7 columns past N, filled with this: no path may write them.
constexpr int kPadColumns = 7;
constexpr int32_t kIntSentinel = 0x5a5a5a5a;
constexpr float kFloatSentinel = -12345.0f;

std::vector<int32_t> int8_product(const std::vector<uint8_t>& A, const Dims& d, int lda,
                                  const PackedInt8& B, LowPrecisionIsa isa) {
  const int ldc = d.N + kPadColumns;
  std::vector<int32_t> C(static_cast<size_t>(d.M) * ldc, kIntSentinel);
  gemm_u8s8s32(A.data(), d.M, lda, B, C.data(), ldc, isa);
  return C;
}

std::vector<float> bf16_product(const std::vector<float>& A, const Dims& d, int lda,
                                const PackedBf16& B, const float* bias, LowPrecisionIsa isa) {
  const int ldc = d.N + kPadColumns;
  std::vector<float> C(static_cast<size_t>(d.M) * ldc, kFloatSentinel);
  gemm_bf16(A.data(), d.M, lda, B, bias, C.data(), ldc, isa);
  return C;
}

// sum_k |bf16(A[m][k])| |bf16(B[n][k])| + |bias[n]|: the scale of float32 summation's error.
double magnitude(const std::vector<float>& A, int lda, const std::vector<float>& B, int ldb,
                 const float* bias, int m, int n, int K) {
  double sum = bias != nullptr ? std::abs(bias[n]) : 0.0;
  for (int k = 0; k < K; ++k) {
    sum += std::abs(double{round_to_bf16(A[size_t(m) * lda + k])}) *
           std::abs(round_to_bf16(B[size_t(n) * ldb + k]));
  }
  return sum;
}

// Values i / denominator, i uniform in -16..16: a few significant bits, exact in bfloat16.
std::vector<float> small_fractions(Rng& rng, int64_t n, float denominator) {
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = static_cast<float>(static_cast<int>(rng.below(33)) - 16) / denominator;
  return v;
}

// f() on 1 and on 2 threads, the thread count restored after.
template <class F>
void with_1_and_2_threads(F&& f) {
  const int threads = num_threads();
  for (int t : {1, 2}) {
    set_num_threads(t);
    f();
  }
  set_num_threads(threads);
}

TEST(LowPrecisionGemm, Int8EveryPathMatchesTheReferenceBitForBit) {
  Rng rng(1);
  for (const Dims& d : shapes()) {
    const int lda = d.K + 3, ldb = d.K + 5, ldc = d.N + kPadColumns;
    const std::vector<uint8_t> A = random_u8(rng, int64_t{d.M} * lda);
    const std::vector<int8_t> Bm = random_s8(rng, int64_t{d.N} * ldb);
    const PackedInt8 B = pack_int8(Bm.data(), d.N, d.K, ldb);
    std::vector<int32_t> want(static_cast<size_t>(d.M) * ldc, kIntSentinel);
    gemm_u8s8s32_reference(A.data(), Bm.data(), d.M, d.N, d.K, lda, ldb, want.data(), ldc);
    for (LowPrecisionIsa isa : int8_paths()) {
      SCOPED_TRACE(describe(d, int8_isa_name(isa)));
      ASSERT_EQ(int8_product(A, d, lda, B, isa), want);
    }
  }
}

// At the largest K, the largest sums of either sign: 255 * 127 * K fits in an int32.
TEST(LowPrecisionGemm, Int8ExtremeValuesDoNotOverflow) {
  const Dims d{3, 17, kMaxInt8K};
  const std::vector<uint8_t> A(static_cast<size_t>(d.M) * d.K, 255);
  for (int8_t b : {int8_t{127}, int8_t{-127}}) {
    const std::vector<int8_t> Bm(static_cast<size_t>(d.N) * d.K, b);
    const PackedInt8 B = pack_int8(Bm.data(), d.N, d.K, d.K);
    const int64_t want = int64_t{255} * b * d.K;
    ASSERT_LE(std::abs(want), std::numeric_limits<int32_t>::max());
    for (LowPrecisionIsa isa : int8_paths()) {
      SCOPED_TRACE(describe(d, int8_isa_name(isa)));
      const std::vector<int32_t> C = int8_product(A, d, d.K, B, isa);
      for (int m = 0; m < d.M; ++m) {
        for (int n = 0; n < d.N; ++n) ASSERT_EQ(C[size_t(m) * (d.N + kPadColumns) + n], want);
      }
    }
  }
}

TEST(LowPrecisionGemm, Int8PackingRefusesWhatCouldGoWrong) {
  const std::vector<int8_t> B = {1, -128, 3, 4};
  EXPECT_THROW(pack_int8(B.data(), 2, 2, 2), Error);  // -128: asymmetric weights
  EXPECT_NO_THROW(pack_int8(B.data(), 1, 1, 2));      // a stride that steps over it
  const std::vector<int8_t> deep(size_t{kMaxInt8K} + 1, 1);
  EXPECT_THROW(pack_int8(deep.data(), 1, kMaxInt8K + 1, kMaxInt8K + 1), Error);
}

// Activations with a zero point: a in -128..127 stored as a + 128, the row sums take the
// zero point back out.
TEST(LowPrecisionGemm, Int8RowSumsRemoveTheZeroPoint) {
  Rng rng(2);
  const Dims d{5, 21, 77};
  const std::vector<uint8_t> A = random_u8(rng, int64_t{d.M} * d.K);
  const std::vector<int8_t> Bm = random_s8(rng, int64_t{d.N} * d.K);
  const PackedInt8 B = pack_int8(Bm.data(), d.N, d.K, d.K);
  for (int n = 0; n < d.N; ++n) {
    int32_t sum = 0;
    for (int k = 0; k < d.K; ++k) sum += Bm[size_t(n) * d.K + k];
    ASSERT_EQ(B.row_sums[size_t(n)], sum);
  }
  const std::vector<int32_t> C = int8_product(A, d, d.K, B, best_int8_isa());
  for (int m = 0; m < d.M; ++m) {
    for (int n = 0; n < d.N; ++n) {
      int32_t signed_sum = 0;
      for (int k = 0; k < d.K; ++k) {
        signed_sum += (A[size_t(m) * d.K + k] - 128) * Bm[size_t(n) * d.K + k];
      }
      ASSERT_EQ(C[size_t(m) * (d.N + kPadColumns) + n] - 128 * B.row_sums[size_t(n)], signed_sum);
    }
  }
}

// Float32 summation of n terms, in any order or tree, is off by at most
// gamma(n - 1) = (n - 1) u / (1 - (n - 1) u) times the sum of the terms' magnitudes, u = 2^-24
// (Higham, Accuracy and Stability of Numerical Algorithms, 4.2). The terms here are the K
// products, exact in float32 (8 significant bits times 8), and the bias: n = K + 1. The
// reference, rounded once to float, adds half an ulp of the result.
TEST(LowPrecisionGemm, Bf16EveryPathWithinTheSummationBound) {
  Rng rng(3);
  const double u = std::ldexp(1.0, -24);
  for (const Dims& d : shapes()) {
    const int lda = d.K + 3, ldb = d.K + 5, ldc = d.N + kPadColumns;
    const std::vector<float> A = nnzero_test::random_vector(rng, int64_t{d.M} * lda);
    const std::vector<float> Bm = nnzero_test::random_vector(rng, int64_t{d.N} * ldb);
    const std::vector<float> bias = nnzero_test::random_vector(rng, d.N);
    const PackedBf16 B = pack_bf16(Bm.data(), d.N, d.K, ldb);
    const double gamma = d.K * u / (1.0 - d.K * u);
    for (const float* b : {bias.data(), static_cast<const float*>(nullptr)}) {
      std::vector<float> want(static_cast<size_t>(d.M) * ldc, kFloatSentinel);
      gemm_bf16_reference(A.data(), Bm.data(), b, d.M, d.N, d.K, lda, ldb, want.data(), ldc);
      for (LowPrecisionIsa isa : bf16_paths()) {
        SCOPED_TRACE(describe(d, bf16_isa_name(isa)) + (b != nullptr ? " bias" : ""));
        const std::vector<float> got = bf16_product(A, d, lda, B, b, isa);
        for (int m = 0; m < d.M; ++m) {
          for (int n = 0; n < ldc; ++n) {
            const size_t i = size_t(m) * ldc + n;
            if (n >= d.N) {
              ASSERT_EQ(got[i], kFloatSentinel) << "written past N: m=" << m << " n=" << n;
              continue;
            }
            const double bound =
                gamma * magnitude(A, lda, Bm, ldb, b, m, n, d.K) + u * std::abs(want[i]);
            ASSERT_LE(std::abs(double{got[i]} - want[i]), bound) << "m=" << m << " n=" << n;
          }
        }
      }
    }
  }
}

// With operands of few significant bits, every partial sum is exact in float32 (multiples
// of 2^-5 below 2^16 here): every path must then give the exact sum, so that a term dropped
// or taken twice shows, however deep the product.
TEST(LowPrecisionGemm, Bf16ExactWhenEveryPartialSumIsExact) {
  Rng rng(4);
  for (const Dims& d : shapes()) {
    const int ldc = d.N + kPadColumns;
    const std::vector<float> A = small_fractions(rng, int64_t{d.M} * d.K, 4.0f);
    const std::vector<float> Bm = small_fractions(rng, int64_t{d.N} * d.K, 8.0f);
    const std::vector<float> bias = small_fractions(rng, d.N, 32.0f);
    const PackedBf16 B = pack_bf16(Bm.data(), d.N, d.K, d.K);
    std::vector<float> want(static_cast<size_t>(d.M) * ldc, kFloatSentinel);
    gemm_bf16_reference(A.data(), Bm.data(), bias.data(), d.M, d.N, d.K, d.K, d.K, want.data(),
                        ldc);
    for (LowPrecisionIsa isa : bf16_paths()) {
      SCOPED_TRACE(describe(d, bf16_isa_name(isa)));
      ASSERT_EQ(bf16_product(A, d, d.K, B, bias.data(), isa), want);
    }
  }
}

// A's values are rounded to bfloat16 (8 significant bits) before they are multiplied:
// 1 + 2^-9 acts as 1, 1 + 2^-8 (a tie) as 1 (even), 1 + 3 2^-8 (a tie) as 1 + 2^-6 (even).
// So is B when it is packed.
TEST(LowPrecisionGemm, Bf16RoundsBothOperands) {
  const float a[] = {1.0f + 0x1p-9f, 1.0f + 0x1p-8f, 1.0f + 3 * 0x1p-8f};
  const float rounded[] = {1.0f, 1.0f, 1.0f + 0x1p-6f};
  for (int i = 0; i < 3; ++i) {
    const Dims d{2, 3, 5};
    const std::vector<float> A(size_t(d.M) * d.K, a[i]), ones(size_t(d.N) * d.K, 1.0f);
    const std::vector<float> Bm(size_t(d.N) * d.K, a[i]);
    const PackedBf16 B_ones = pack_bf16(ones.data(), d.N, d.K, d.K);
    const PackedBf16 B = pack_bf16(Bm.data(), d.N, d.K, d.K);
    for (LowPrecisionIsa isa : bf16_paths()) {
      SCOPED_TRACE(std::to_string(a[i]) + " " + bf16_isa_name(isa));
      const std::vector<float> by_ones = bf16_product(A, d, d.K, B_ones, nullptr, isa);
      const std::vector<float> times_ones = bf16_product(ones, d, d.K, B, nullptr, isa);
      EXPECT_EQ(by_ones[0], d.K * rounded[i]);
      EXPECT_EQ(times_ones[0], d.K * rounded[i]);
    }
  }
}

// Large enough to be split: by rows (M = 70), and by panels of B (M = 1).
TEST(LowPrecisionGemm, ResultsDoNotDependOnTheThreadCount) {
  Rng rng(5);
  for (const Dims& d : {Dims{70, 100, 300}, Dims{1, 300, 4000}}) {
    ASSERT_GE(int64_t{d.M} * d.N * d.K, int64_t{1} << 20) << "too small to be split";
    const std::vector<uint8_t> A8 = random_u8(rng, int64_t{d.M} * d.K);
    const std::vector<int8_t> B8 = random_s8(rng, int64_t{d.N} * d.K);
    const PackedInt8 Bi = pack_int8(B8.data(), d.N, d.K, d.K);
    const std::vector<float> A = nnzero_test::random_vector(rng, int64_t{d.M} * d.K);
    const std::vector<float> Bf = nnzero_test::random_vector(rng, int64_t{d.N} * d.K);
    const std::vector<float> bias = nnzero_test::random_vector(rng, d.N);
    const PackedBf16 Bb = pack_bf16(Bf.data(), d.N, d.K, d.K);
    for (LowPrecisionIsa isa : bf16_paths()) {
      SCOPED_TRACE(describe(d, bf16_isa_name(isa)));
      std::vector<std::vector<float>> results;
      with_1_and_2_threads(
          [&] { results.push_back(bf16_product(A, d, d.K, Bb, bias.data(), isa)); });
      ASSERT_EQ(results[0], results[1]);
    }
    for (LowPrecisionIsa isa : int8_paths()) {
      SCOPED_TRACE(describe(d, int8_isa_name(isa)));
      std::vector<std::vector<int32_t>> results;
      with_1_and_2_threads([&] { results.push_back(int8_product(A8, d, d.K, Bi, isa)); });
      ASSERT_EQ(results[0], results[1]);
    }
  }
}

// The fast paths are taken exactly where the CPU has the instructions; a path forced on a CPU
// without them is refused, not run into an illegal instruction.
TEST(LowPrecisionGemm, FastPathsFollowTheCpu) {
  __builtin_cpu_init();
  const bool avx512 = __builtin_cpu_supports("avx512f");
  const bool vnni = avx512 && __builtin_cpu_supports("avx512vnni");
  const bool bf16 = avx512 && __builtin_cpu_supports("avx512bf16");
  EXPECT_EQ(best_int8_isa(), vnni ? LowPrecisionIsa::Avx512 : LowPrecisionIsa::Portable);
  EXPECT_EQ(best_bf16_isa(), bf16 ? LowPrecisionIsa::Avx512 : LowPrecisionIsa::Portable);
  EXPECT_STREQ(int8_isa_name(), vnni ? "avx512-vnni" : "portable");
  EXPECT_STREQ(bf16_isa_name(), bf16 ? "avx512-bf16" : "portable");
  const Dims d{1, 1, 1};
  const PackedInt8 Bi = pack_int8(std::vector<int8_t>{1}.data(), 1, 1, 1);
  const PackedBf16 Bb = pack_bf16(std::vector<float>{1.0f}.data(), 1, 1, 1);
  if (!vnni) {
    EXPECT_THROW(int8_product({1}, d, 1, Bi, LowPrecisionIsa::Avx512), Error);
  }
  if (!bf16) {
    EXPECT_THROW(bf16_product({1.0f}, d, 1, Bb, nullptr, LowPrecisionIsa::Avx512), Error);
  }
}

}  // namespace lpg_test
