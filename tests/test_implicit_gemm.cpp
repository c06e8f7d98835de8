// The implicit GEMM kernels against their plain loops, over row and column counts that
// leave every kind of partial block (rows not a multiple of 8, columns not of the block,
// several column chunks, dot products shorter than a vector), with offsets that overlap like
// a convolution's.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "nnzero/kernels/implicit_gemm.h"
#include "nnzero/rng.h"
#include "test_support.h"

using namespace nnzero;
using nnzero_test::random_vector;

namespace {

// Offsets k*stride + (k % 3): rows of a source that overlap, as the taps of a kernel do.
std::vector<int64_t> overlapping_offsets(int64_t K, int64_t stride) {
  std::vector<int64_t> offset;
  for (int64_t k = 0; k < K; ++k) offset.push_back(k * stride + k % 3);
  return offset;
}
}  // namespace

TEST(ImplicitGemm, MatchesPlainLoops) {
  Rng rng(3);
  const int64_t block = implicit_gemm_block();
  for (int64_t M : {1, 5, 8, 13, 30}) {
    for (int64_t K : {1, 9, 25}) {
      for (int64_t Q : {int64_t{1}, block - 1, block, 3 * block + 5}) {
        SCOPED_TRACE("M=" + std::to_string(M) + " K=" + std::to_string(K) +
                     " Q=" + std::to_string(Q));
        const int64_t ldo = round_up_to_block(Q) + 3, lda = K + 2;
        const std::vector<int64_t> offset = overlapping_offsets(K, 7);
        const std::vector<float> A = random_vector(rng, M * lda);
        const std::vector<float> src = random_vector(rng, offset.back() + round_up_to_block(Q));
        const std::vector<float> init = random_vector(rng, M);
        for (const float* bias : {init.data(), static_cast<const float*>(nullptr)}) {
          std::vector<float> got(static_cast<size_t>(M * ldo), 99.0f), want = got;
          implicit_gemm(M, K, Q, A.data(), lda, offset.data(), src.data(), bias, got.data(), ldo);
          implicit_gemm_reference(M, K, Q, A.data(), lda, offset.data(), src.data(), bias,
                                  want.data(), ldo);
          for (int64_t m = 0; m < M; ++m) {
            for (int64_t q = 0; q < Q; ++q) {
              ASSERT_NEAR(got[m * ldo + q], want[m * ldo + q], 1e-4f) << "m=" << m << " q=" << q;
            }
            // Nothing written past the rounded-up columns of a row.
            for (int64_t q = round_up_to_block(Q); q < ldo; ++q) {
              ASSERT_EQ(got[m * ldo + q], 99.0f) << "m=" << m << " q=" << q;
            }
          }
        }
      }
    }
  }
}

// out += A src, onto what out holds, in whole blocks of columns (Linear's weight gradient).
TEST(ImplicitGemm, AddsIntoOut) {
  Rng rng(4);
  const int64_t block = implicit_gemm_block();
  for (int64_t M : {1, 8, 13, 50}) {
    for (int64_t K : {1, 7, 100}) {
      for (int64_t Q : {block, 3 * block}) {
        SCOPED_TRACE("M=" + std::to_string(M) + " K=" + std::to_string(K) +
                     " Q=" + std::to_string(Q));
        const int64_t ldo = Q + block, lda = K + 1;
        std::vector<int64_t> offset;
        for (int64_t k = 0; k < K; ++k) offset.push_back(k * (Q + 3));
        const std::vector<float> A = random_vector(rng, M * lda);
        const std::vector<float> src = random_vector(rng, offset.back() + Q);
        const std::vector<float> start = random_vector(rng, M * ldo);
        std::vector<float> got = start, product(static_cast<size_t>(M * ldo));
        implicit_gemm_add(M, K, Q, A.data(), lda, offset.data(), src.data(), got.data(), ldo);
        implicit_gemm_reference(M, K, Q, A.data(), lda, offset.data(), src.data(), nullptr,
                                product.data(), ldo);
        for (int64_t m = 0; m < M; ++m) {
          for (int64_t q = 0; q < ldo; ++q) {
            const size_t i = static_cast<size_t>(m * ldo + q);
            const float want = q < Q ? start[i] + product[i] : start[i];
            ASSERT_NEAR(got[i], want, 1e-3f) << "m=" << m << " q=" << q;
          }
        }
      }
    }
  }
}

TEST(ImplicitGemmDColT, MatchesPlainLoops) {
  Rng rng(4);
  for (int64_t M : {1, 2, 3, 4, 6, 7, 16}) {
    for (int64_t K : {1, 3, 6, 7, 9, 25}) {
      for (int64_t Q : {1, 15, 16, 17, 100}) {
        SCOPED_TRACE("M=" + std::to_string(M) + " K=" + std::to_string(K) +
                     " Q=" + std::to_string(Q));
        const int64_t ldd = Q + 2, ldacc = K + 3;
        const std::vector<int64_t> offset = overlapping_offsets(K, 5);
        const std::vector<float> src = random_vector(rng, offset.back() + Q);  // exactly Q
        const std::vector<float> D = random_vector(rng, M * ldd);
        // Accumulates: start from non-zero sums; the padding columns must stay as they are.
        std::vector<float> got = random_vector(rng, M * ldacc), want = got;
        implicit_gemm_d_colt(M, K, Q, D.data(), ldd, offset.data(), src.data(), got.data(), ldacc);
        implicit_gemm_d_colt_reference(M, K, Q, D.data(), ldd, offset.data(), src.data(),
                                       want.data(), ldacc);
        for (int64_t i = 0; i < M * ldacc; ++i) {
          const bool padding = i % ldacc >= K;
          if (padding) {
            ASSERT_EQ(got[i], want[i]) << "i=" << i;
          } else {
            ASSERT_NEAR(got[i], want[i], 1e-4f) << "i=" << i;
          }
        }
      }
    }
  }
}

TEST(ImplicitGemmColB, MatchesPlainLoops) {
  Rng rng(5);
  const int64_t lanes = implicit_gemm_lanes();
  for (int64_t K : {1, 9, 17, 40}) {
    for (int64_t N : {lanes, 2 * lanes, 3 * lanes, 4 * lanes, 6 * lanes}) {
      for (int64_t Q : {1, 13, 100}) {
        SCOPED_TRACE("K=" + std::to_string(K) + " N=" + std::to_string(N) +
                     " Q=" + std::to_string(Q));
        const int64_t rows = round_up_to_rows(K), ldacc = N + lanes, ldb = N + 1;
        std::vector<int64_t> offset = overlapping_offsets(K, 5);
        offset.resize(static_cast<size_t>(rows), 0);
        const std::vector<float> src = random_vector(rng, offset[K - 1] + Q);  // exactly Q
        const std::vector<float> B = random_vector(rng, Q * ldb);
        // Accumulates: start from non-zero sums; columns past N must stay as they are.
        std::vector<float> got = random_vector(rng, rows * ldacc), want = got;
        implicit_gemm_col_b(K, N, Q, offset.data(), src.data(), B.data(), ldb, got.data(), ldacc);
        implicit_gemm_col_b_reference(K, N, Q, offset.data(), src.data(), B.data(), ldb,
                                      want.data(), ldacc);
        for (int64_t k = 0; k < K; ++k) {
          for (int64_t n = 0; n < ldacc; ++n) {
            if (n >= N) {
              ASSERT_EQ(got[k * ldacc + n], want[k * ldacc + n]) << "k=" << k << " n=" << n;
            } else {
              ASSERT_NEAR(got[k * ldacc + n], want[k * ldacc + n], 1e-4f)
                  << "k=" << k << " n=" << n;
            }
          }
        }
      }
    }
  }
}
