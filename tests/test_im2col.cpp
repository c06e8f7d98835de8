// im2col / col2im: the fast versions against the plain loops over a grid of geometries,
// small cases worked out by hand, and col2im as the adjoint of im2col.
#include <gtest/gtest.h>

#include <cmath>
#include <initializer_list>
#include <string>
#include <vector>

#include "nnzero/kernels/im2col.h"
#include "nnzero/rng.h"
#include "test_support.h"

using namespace nnzero;
using nnzero_test::random_vector;

namespace {

// The kernels with a padding buffer of their own (the layers pass their work space).
void im2col(const float* x, const ConvGeometry& g, float* col) {
  std::vector<float> xpad(static_cast<size_t>(padded_size(g)));
  nnzero::im2col(x, g, xpad.data(), col);
}
void col2im(const float* col, const ConvGeometry& g, float* x) {
  std::vector<float> xpad(static_cast<size_t>(padded_size(g)));
  nnzero::col2im(col, g, xpad.data(), x);
}

double dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0.0;
  for (size_t i = 0; i < a.size(); ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

// Every geometry of the grid whose output is at least 1 x 1.
template <class F>
void for_each_geometry(F check) {
  const int64_t sizes[][2] = {{5, 7}, {8, 6}, {4, 4}, {2, 3}, {1, 9}, {11, 10}};
  for (int64_t C : {1, 3}) {
    for (const auto& hw : sizes) {
      for (int64_t k : {1, 3, 5}) {
        for (int64_t stride : {1, 2}) {
          for (int64_t pad : {0, 1, 2}) {
            if (hw[0] + 2 * pad < k || hw[1] + 2 * pad < k) continue;
            check(ConvGeometry::make(C, hw[0], hw[1], k, k, stride, pad));
          }
        }
      }
    }
  }
}

std::string describe(const ConvGeometry& g) {
  return "C=" + std::to_string(g.C) + " H=" + std::to_string(g.H) + " W=" + std::to_string(g.W) +
         " K=" + std::to_string(g.KH) + " stride=" + std::to_string(g.stride) +
         " pad=" + std::to_string(g.pad);
}
}  // namespace

TEST(Im2col, GeometryOutputSize) {
  const ConvGeometry g = ConvGeometry::make(1, 28, 28, 5, 5, 1, 0);
  EXPECT_EQ(g.OH, 24);
  EXPECT_EQ(g.OW, 24);
  EXPECT_EQ(g.col_rows(), 25);
  EXPECT_EQ(g.col_cols(), 576);
  // (7 + 2*1 - 3) / 2 + 1 = 4, (10 + 2 - 3) / 2 + 1 = 5 (rounds down)
  const ConvGeometry h = ConvGeometry::make(3, 7, 10, 3, 3, 2, 1);
  EXPECT_EQ(h.OH, 4);
  EXPECT_EQ(h.OW, 5);
  EXPECT_EQ(h.col_rows(), 27);
}

TEST(Im2col, HandComputedStride1) {
  // x = [[1, 2, 3], [4, 5, 6], [7, 8, 9]], 2x2 kernel, stride 1, no padding: 2x2 outputs.
  const float x[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  const ConvGeometry g = ConvGeometry::make(1, 3, 3, 2, 2, 1, 0);
  const float expected[] = {
      1, 2, 4, 5,  // tap (0, 0)
      2, 3, 5, 6,  // tap (0, 1)
      4, 5, 7, 8,  // tap (1, 0)
      5, 6, 8, 9,  // tap (1, 1)
  };
  std::vector<float> col(16, -1.0f), ref(16, -1.0f);
  im2col(x, g, col.data());
  im2col_reference(x, g, ref.data());
  for (int i = 0; i < 16; ++i) {
    EXPECT_EQ(col[static_cast<size_t>(i)], expected[i]) << i;
    EXPECT_EQ(ref[static_cast<size_t>(i)], expected[i]) << i;
  }
}

TEST(Im2col, HandComputedStride2Padding1) {
  // Same x padded by 1 on every side, 2x2 kernel, stride 2: output 2x2 at (-1,-1), (-1,1),
  // (1,-1), (1,1) in the unpadded coordinates.
  const float x[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  const ConvGeometry g = ConvGeometry::make(1, 3, 3, 2, 2, 2, 1);
  ASSERT_EQ(g.OH, 2);
  ASSERT_EQ(g.OW, 2);
  const float expected[] = {
      0, 0, 0, 5,  // tap (0, 0)
      0, 0, 4, 6,  // tap (0, 1)
      0, 2, 0, 8,  // tap (1, 0)
      1, 3, 7, 9,  // tap (1, 1)
  };
  std::vector<float> col(16, -1.0f), ref(16, -1.0f);
  im2col(x, g, col.data());
  im2col_reference(x, g, ref.data());
  for (int i = 0; i < 16; ++i) {
    EXPECT_EQ(col[static_cast<size_t>(i)], expected[i]) << i;
    EXPECT_EQ(ref[static_cast<size_t>(i)], expected[i]) << i;
  }
}

TEST(Im2col, HandComputedTwoChannels) {
  // 2 channels of 2x2, 1x1 kernel: each channel becomes one row.
  const float x[] = {1, 2, 3, 4, 10, 20, 30, 40};
  const ConvGeometry g = ConvGeometry::make(2, 2, 2, 1, 1, 1, 0);
  std::vector<float> col(8, -1.0f);
  im2col(x, g, col.data());
  for (int i = 0; i < 8; ++i) EXPECT_EQ(col[static_cast<size_t>(i)], x[i]);
}

TEST(Col2im, HandComputedCountsOverlaps) {
  // All-ones columns, 2x2 kernel, stride 1 over 3x3: each pixel receives one 1 per window
  // that covers it: corners 1, edges 2, centre 4.
  const ConvGeometry g = ConvGeometry::make(1, 3, 3, 2, 2, 1, 0);
  const std::vector<float> col(16, 1.0f);
  const float expected[] = {1, 2, 1, 2, 4, 2, 1, 2, 1};
  std::vector<float> x(9, 0.0f), ref(9, 0.0f);
  col2im(col.data(), g, x.data());
  col2im_reference(col.data(), g, ref.data());
  for (int i = 0; i < 9; ++i) {
    EXPECT_EQ(x[static_cast<size_t>(i)], expected[i]) << i;
    EXPECT_EQ(ref[static_cast<size_t>(i)], expected[i]) << i;
  }
  // col2im adds: a second call doubles.
  col2im(col.data(), g, x.data());
  EXPECT_EQ(x[4], 8.0f);
  // With padding, entries that fall into the padding are dropped: 3x3 kernel, pad 1 over
  // 2x2: 4 outputs, every window covers all 4 pixels, so each pixel gets 4.
  const ConvGeometry p = ConvGeometry::make(1, 2, 2, 3, 3, 1, 1);
  const std::vector<float> ones(static_cast<size_t>(p.col_rows() * p.col_cols()), 1.0f);
  std::vector<float> y(4, 0.0f);
  col2im(ones.data(), p, y.data());
  for (float v : y) EXPECT_EQ(v, 4.0f);
}

TEST(Im2col, FastMatchesReferenceOverGrid) {
  int checked = 0;
  for_each_geometry([&](const ConvGeometry& g) {
    Rng rng(static_cast<uint64_t>(checked) + 1);
    const std::vector<float> x = random_vector(rng, g.C * g.H * g.W);
    const auto n = static_cast<size_t>(g.col_rows() * g.col_cols());
    // Start from garbage: every entry must be written, padding included.
    std::vector<float> col(n, 123.0f), ref(n, -456.0f);
    im2col(x.data(), g, col.data());
    im2col_reference(x.data(), g, ref.data());
    for (size_t i = 0; i < n; ++i) {
      ASSERT_EQ(col[i], ref[i]) << describe(g) << " at " << i;
    }
    ++checked;
  });
  EXPECT_GT(checked, 100);
}

TEST(Col2im, FastMatchesReferenceOverGrid) {
  int checked = 0;
  for_each_geometry([&](const ConvGeometry& g) {
    Rng rng(static_cast<uint64_t>(checked) + 1000);
    const std::vector<float> col = random_vector(rng, g.col_rows() * g.col_cols());
    // Accumulates onto what x already holds.
    const std::vector<float> x0 = random_vector(rng, g.C * g.H * g.W);
    std::vector<float> x = x0, ref = x0;
    col2im(col.data(), g, x.data());
    col2im_reference(col.data(), g, ref.data());
    for (size_t i = 0; i < x.size(); ++i) {
      ASSERT_NEAR(x[i], ref[i], 1e-5f) << describe(g) << " at " << i;
    }
    ++checked;
  });
  EXPECT_GT(checked, 100);
}

TEST(Col2im, IsTheAdjointOfIm2col) {
  // <im2col(x), c> == <x, col2im(c)> for every x and c: col2im is im2col transposed, which is
  // exactly what convolution's backward pass needs.
  for_each_geometry([&](const ConvGeometry& g) {
    Rng rng(static_cast<uint64_t>(g.C * 1000 + g.H * 100 + g.W * 10 + g.KH + g.stride + g.pad));
    const std::vector<float> x = random_vector(rng, g.C * g.H * g.W);
    const std::vector<float> c = random_vector(rng, g.col_rows() * g.col_cols());
    std::vector<float> col(c.size());
    im2col(x.data(), g, col.data());
    std::vector<float> back(x.size(), 0.0f);
    col2im(c.data(), g, back.data());
    const double lhs = dot(col, c), rhs = dot(x, back);
    ASSERT_NEAR(lhs, rhs, 1e-4 * (1.0 + std::abs(lhs))) << describe(g);
  });
}
