// GEMM: the CBLAS path against the triple-loop reference, for every transpose combination,
// odd sizes, alpha/beta and row strides wider than the rows; and a case computed by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <initializer_list>
#include <limits>
#include <utility>
#include <vector>

#include "nnzero/kernels/gemm.h"
#include "nnzero/rng.h"

using namespace nnzero;

namespace {
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// A rows x cols matrix stored with row stride ld >= cols; the padding holds NaN so that any
// read of it shows up in the result.
std::vector<float> random_matrix(Rng& rng, int rows, int cols, int ld) {
  std::vector<float> m(static_cast<size_t>(rows) * static_cast<size_t>(ld), kNaN);
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) m[static_cast<size_t>(r * ld + c)] = rng.uniform(-1.0f, 1.0f);
  }
  return m;
}

struct Case {
  Trans ta, tb;
  int M, N, K;
  float alpha, beta;
  int pad;  // extra columns in every leading dimension
};

void check_against_reference(const Case& c, uint64_t seed) {
  Rng rng(seed);
  // Stored shapes: A is M x K (K x M when transposed), B is K x N (N x K when transposed).
  const int a_rows = c.ta == Trans::No ? c.M : c.K, a_cols = c.ta == Trans::No ? c.K : c.M;
  const int b_rows = c.tb == Trans::No ? c.K : c.N, b_cols = c.tb == Trans::No ? c.N : c.K;
  const int lda = a_cols + c.pad, ldb = b_cols + c.pad, ldc = c.N + c.pad;
  const std::vector<float> A = random_matrix(rng, a_rows, a_cols, lda);
  const std::vector<float> B = random_matrix(rng, b_rows, b_cols, ldb);
  std::vector<float> C = random_matrix(rng, c.M, c.N, ldc);
  if (c.pad > 0) {
    // C's padding must come back untouched: a sentinel instead of NaN.
    for (int r = 0; r < c.M; ++r) {
      for (int j = c.N; j < ldc; ++j) C[static_cast<size_t>(r * ldc + j)] = 777.0f;
    }
  }
  if (c.beta == 0.0f) {
    // beta = 0 means C is output only: even NaN there must not leak into the result.
    for (int r = 0; r < c.M; ++r) {
      for (int j = 0; j < c.N; ++j) C[static_cast<size_t>(r * ldc + j)] = kNaN;
    }
  }
  std::vector<float> expected = C;
  gemm_reference(c.ta, c.tb, c.M, c.N, c.K, c.alpha, A.data(), lda, B.data(), ldb, c.beta,
                 expected.data(), ldc);
  gemm(c.ta, c.tb, c.M, c.N, c.K, c.alpha, A.data(), lda, B.data(), ldb, c.beta, C.data(), ldc);
  const float tol = 1e-5f * static_cast<float>(c.K + 1) * (std::abs(c.alpha) + 1.0f);
  for (int r = 0; r < c.M; ++r) {
    for (int j = 0; j < ldc; ++j) {
      const size_t i = static_cast<size_t>(r * ldc + j);
      if (j >= c.N) {
        ASSERT_EQ(C[i], 777.0f) << "gemm wrote into C's padding at (" << r << ", " << j << ")";
        continue;
      }
      ASSERT_TRUE(std::isfinite(expected[i]));
      ASSERT_NEAR(C[i], expected[i], tol)
          << "at (" << r << ", " << j << ") M=" << c.M << " N=" << c.N << " K=" << c.K
          << " transA=" << (c.ta == Trans::Yes) << " transB=" << (c.tb == Trans::Yes)
          << " alpha=" << c.alpha << " beta=" << c.beta << " pad=" << c.pad;
    }
  }
}
}  // namespace

TEST(Gemm, HandComputed2x2) {
  const float A[] = {1, 2, 3, 4};  // [[1, 2], [3, 4]]
  const float B[] = {5, 6, 7, 8};  // [[5, 6], [7, 8]]
  struct Expect {
    Trans ta, tb;
    float c[4];
  };
  const Expect cases[] = {
      {Trans::No, Trans::No, {19, 22, 43, 50}},    // A B
      {Trans::Yes, Trans::No, {26, 30, 38, 44}},   // A^T B
      {Trans::No, Trans::Yes, {17, 23, 39, 53}},   // A B^T
      {Trans::Yes, Trans::Yes, {23, 31, 34, 46}},  // A^T B^T
  };
  for (const Expect& e : cases) {
    for (bool reference : {false, true}) {
      float C[4] = {1, 1, 1, 1};
      // C = 2 op(A) op(B) + 1 * C
      if (reference) {
        gemm_reference(e.ta, e.tb, 2, 2, 2, 2.0f, A, 2, B, 2, 1.0f, C, 2);
      } else {
        gemm(e.ta, e.tb, 2, 2, 2, 2.0f, A, 2, B, 2, 1.0f, C, 2);
      }
      for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(C[i], 2.0f * e.c[i] + 1.0f)
            << (reference ? "reference" : "cblas") << " element " << i;
      }
    }
  }
}

TEST(Gemm, NonSquareByHand) {
  // (1 x 3) (3 x 2): [1, 2, 3] [[1, 0], [0, 1], [1, 1]] = [4, 5]
  const float x[] = {1, 2, 3};
  const float W[] = {1, 0, 0, 1, 1, 1};
  float y[2] = {0, 0};
  gemm(Trans::No, Trans::No, 1, 2, 3, 1.0f, x, 3, W, 2, 0.0f, y, 2);
  EXPECT_EQ(y[0], 4.0f);
  EXPECT_EQ(y[1], 5.0f);
}

TEST(Gemm, MatchesReferenceForAllTransposes) {
  const int sizes[][3] = {{1, 1, 1},    {1, 7, 3},    {5, 1, 9},   {3, 5, 7},
                          {17, 13, 29}, {64, 33, 65}, {31, 100, 2}};
  uint64_t seed = 1;
  for (Trans ta : {Trans::No, Trans::Yes}) {
    for (Trans tb : {Trans::No, Trans::Yes}) {
      for (const auto& s : sizes) {
        check_against_reference({ta, tb, s[0], s[1], s[2], 1.0f, 0.0f, 0}, seed++);
        if (HasFatalFailure()) return;
      }
    }
  }
}

TEST(Gemm, AlphaBeta) {
  uint64_t seed = 100;
  for (Trans ta : {Trans::No, Trans::Yes}) {
    for (Trans tb : {Trans::No, Trans::Yes}) {
      for (float alpha : {1.0f, -0.5f, 2.0f, 0.0f}) {
        for (float beta : {0.0f, 1.0f, 0.5f}) {
          check_against_reference({ta, tb, 9, 11, 13, alpha, beta, 0}, seed++);
          if (HasFatalFailure()) return;
        }
      }
    }
  }
}

TEST(Gemm, LeadingDimensionsWiderThanRows) {
  uint64_t seed = 1000;
  for (Trans ta : {Trans::No, Trans::Yes}) {
    for (Trans tb : {Trans::No, Trans::Yes}) {
      for (int pad : {1, 3, 16}) {
        check_against_reference({ta, tb, 6, 10, 7, 1.5f, 0.5f, pad}, seed++);
        check_against_reference({ta, tb, 23, 5, 19, 1.0f, 0.0f, pad}, seed++);
        if (HasFatalFailure()) return;
      }
    }
  }
}

TEST(Gemm, SingleRowAsMatrixVector) {
  // M = 1 goes through SGEMV: both layouts of B, A stored as a column (strided), alpha, beta
  // (0 with NaN in C), padded rows, and lengths around the vector widths.
  uint64_t seed = 2000;
  for (Trans ta : {Trans::No, Trans::Yes}) {
    for (Trans tb : {Trans::No, Trans::Yes}) {
      for (const auto& [N, K] : {std::pair{1, 1}, {10, 15}, {50, 17}, {7, 100}, {33, 1024}}) {
        for (const auto& [alpha, beta] : {std::pair{1.0f, 0.0f}, {-0.5f, 1.0f}, {2.0f, 0.5f}}) {
          for (int pad : {0, 3}) {
            check_against_reference({ta, tb, 1, N, K, alpha, beta, pad}, seed++);
            if (HasFatalFailure()) return;
          }
        }
      }
    }
  }
}

TEST(Gemm, EmptyProducts) {
  // K = 0: op(A) op(B) is the zero matrix, so C = beta C.
  const float A[1] = {0}, B[1] = {0};
  float C[4] = {1, 2, 3, 4};
  gemm(Trans::No, Trans::No, 2, 2, 0, 1.0f, A, 1, B, 2, 0.5f, C, 2);
  EXPECT_EQ(C[0], 0.5f);
  EXPECT_EQ(C[3], 2.0f);
  float R[4] = {1, 2, 3, 4};
  gemm_reference(Trans::No, Trans::No, 2, 2, 0, 1.0f, A, 1, B, 2, 0.5f, R, 2);
  EXPECT_EQ(R[0], 0.5f);
  EXPECT_EQ(R[3], 2.0f);
  float row[2] = {1, 2};  // one row, K = 0: still C = beta C
  gemm(Trans::No, Trans::No, 1, 2, 0, 1.0f, A, 1, B, 2, 0.5f, row, 2);
  EXPECT_EQ(row[0], 0.5f);
  EXPECT_EQ(row[1], 1.0f);
  // M = 0 or N = 0: nothing to compute, nothing written.
  float D[1] = {9};
  gemm(Trans::No, Trans::No, 0, 1, 3, 1.0f, A, 3, B, 1, 0.0f, D, 1);
  gemm(Trans::No, Trans::No, 1, 0, 3, 1.0f, A, 3, B, 1, 0.0f, D, 1);
  EXPECT_EQ(D[0], 9.0f);
}
