// The sparse-input products of kernels/sparse_rows.h against plain loops over the dense
// matrix, for shapes around the vector widths and tile sizes, and Linear's sparse path
// against the dense one and against numerical differentiation.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "nnzero/fast/sparse_input_linear.h"
#include "nnzero/kernels/sparse_rows.h"
#include "nnzero/layers/linear.h"
#include "nnzero/parallel.h"
#include "nnzero/rng.h"
#include "nnzero/train/gradcheck.h"
#include "test_support.h"

using namespace nnzero;
using nnzero_test::expect_close;

namespace {

// (rows, cols) with about `density` of the entries N(0, 1), the rest zero.
Tensor sparse_matrix(int64_t rows, int64_t cols, double density, Rng& rng) {
  Tensor x(Shape{rows, cols});
  rng.fill_normal(x, 0.0f, 1.0f);
  for (int64_t i = 0; i < x.numel(); ++i) {
    if (rng.uniform() >= density) x[i] = 0.0f;
  }
  return x;
}

SparseRows compress(const Tensor& x) {
  SparseRows s;
  s.resize(x.dim(0), x.dim(1));
  compress_rows(x.data(), 0, x.dim(0), s);
  return s;
}

// x's nonzero entries column by column (x^T's rows), as the products take them.
SparseRows compress_columns(const Tensor& x) {
  const int64_t n = x.dim(0), cols = x.dim(1);
  Tensor xt(Shape{cols, n});
  transpose(x.data(), n, cols, 0, cols, xt.data());
  return compress(xt);
}

// W^T as one panel of whole vectors per piece [c0, c0 + lanes), as Linear keeps it for as
// many threads as vectors.
Tensor panels(const Tensor& w) {
  const int64_t out = w.dim(0), cols = w.dim(1), lanes = sparse_vector_width();
  Tensor wt(Shape{cols, sparse_padded_width(out)}, std::nanf(""));
  for (int64_t c0 = 0; c0 < wt.dim(1); c0 += lanes) {
    transpose_padded(w.data(), out, cols, c0, c0 + lanes, wt.data() + c0 * cols);
  }
  return wt;
}

}  // namespace

TEST(SparseRows, CompressKeepsEveryNonzeroInColumnOrder) {
  Rng rng(1);
  for (int64_t cols : {1, 15, 16, 17, 33, 784}) {
    for (double density : {0.0, 0.05, 0.2, 0.5, 1.0}) {
      SCOPED_TRACE("cols=" + std::to_string(cols) + " density=" + std::to_string(density));
      Tensor x = sparse_matrix(5, cols, density, rng);
      x[0] = std::nanf("");  // NaN and infinity are nonzero; -0 is zero
      if (cols > 2) x[1] = -0.0f;
      if (cols > 3) x[2] = std::numeric_limits<float>::infinity();
      const SparseRows s = compress(x);
      EXPECT_EQ(s.nonzeros(), count_nonzeros(x.data(), x.numel()));
      for (int64_t i = 0; i < 5; ++i) {
        Tensor back(Shape{cols});
        int32_t last = -1;
        for (int32_t e = 0; e < s.count[static_cast<size_t>(i)]; ++e) {
          const int32_t k = s.column[static_cast<size_t>(i * cols + e)];
          ASSERT_GT(k, last);
          last = k;
          back[k] = s.value[static_cast<size_t>(i * cols + e)];
          ASSERT_NE(back[k], 0.0f);
        }
        for (int64_t k = 0; k < cols; ++k) {
          const float want = x[i * cols + k];
          if (std::isnan(want)) {
            EXPECT_TRUE(std::isnan(back[k]));
          } else {
            EXPECT_EQ(back[k], want) << "row " << i << " column " << k;
          }
        }
      }
    }
  }
}

TEST(SparseRows, TransposeWritesTheColumnsAsRowsPieceByPiece) {
  Rng rng(6);
  // Around the 8 x 8 blocks, in pieces of columns that start off the blocks.
  for (auto [rows, cols] : {std::pair{1, 1}, {7, 9}, {8, 8}, {100, 784}, {17, 23}, {16, 40}}) {
    SCOPED_TRACE(std::to_string(rows) + "x" + std::to_string(cols));
    Tensor x(Shape{rows, cols});
    rng.fill_normal(x, 0.0f, 1.0f);
    Tensor xt(Shape{cols, rows}, std::nanf(""));
    const int64_t k1 = cols / 3, k2 = cols - cols / 5;
    transpose(x.data(), rows, cols, 0, k1, xt.data());
    transpose(x.data(), rows, cols, k1, k2, xt.data());
    transpose(x.data(), rows, cols, k2, cols, xt.data());
    for (int64_t i = 0; i < rows; ++i) {
      for (int64_t k = 0; k < cols; ++k)
        ASSERT_EQ(xt[k * rows + i], x[i * cols + k]) << i << "," << k;
    }
  }
}

TEST(SparseRows, TransposePaddedIsWTransposedWithZeroPadding) {
  Rng rng(2);
  const int64_t lanes = sparse_vector_width();
  for (auto [out, cols] : {std::pair{1, 1}, {7, 9}, {8, 8}, {50, 784}, {17, 23}, {40, 16}}) {
    Tensor w(Shape{out, cols});
    rng.fill_normal(w, 0.0f, 1.0f);
    const int64_t ldw = sparse_padded_width(out);
    ASSERT_GE(ldw, out);
    ASSERT_EQ(ldw % lanes, 0);
    // Whole, and in panels of one vector each.
    Tensor whole(Shape{cols, ldw}, std::nanf(""));
    transpose_padded(w.data(), out, cols, 0, ldw, whole.data());
    const Tensor wt = panels(w);
    for (int64_t k = 0; k < cols; ++k) {
      for (int64_t j = 0; j < ldw; ++j) {
        const float want = j < out ? w[j * cols + k] : 0.0f;
        ASSERT_EQ(whole[k * ldw + j], want) << k << "," << j;
        const int64_t c0 = j / lanes * lanes;
        ASSERT_EQ(wt[c0 * cols + k * lanes + (j - c0)], want) << k << "," << j;
      }
    }
  }
}

TEST(SparseRows, ProductsMatchPlainLoops) {
  Rng rng(3);
  // out around the vector width (16 with AVX-512) and the 4-vector passes; cols around the
  // 8 x 8 transposes and the 64-column tiles.
  for (auto [n, cols, out] : {std::tuple{3, 5, 1},
                              {4, 784, 50},
                              {7, 130, 16},
                              {5, 64, 64},
                              {6, 200, 65},
                              {9, 71, 100},
                              {2, 300, 130},
                              {1, 9, 7}}) {
    for (double density : {0.0, 0.1, 0.6}) {
      SCOPED_TRACE(std::to_string(n) + "x" + std::to_string(cols) + " out " + std::to_string(out) +
                   " density " + std::to_string(density));
      const Tensor x = sparse_matrix(n, cols, density, rng);
      Tensor w(Shape{out, cols}), b(Shape{out}), dout(Shape{n, out});
      rng.fill_normal(w, 0.0f, 1.0f);
      rng.fill_normal(b, 0.0f, 1.0f);
      rng.fill_normal(dout, 0.0f, 1.0f);
      const SparseRows s = compress_columns(x), by_rows = compress(x);
      Tensor whole(Shape{cols, sparse_padded_width(out)});
      transpose_padded(w.data(), out, cols, 0, whole.dim(1), whole.data());

      // y = x W^T + b from x's columns and from its rows; and without the bias.
      const int64_t ldw = sparse_padded_width(out), lanes = sparse_vector_width();
      Tensor y(Shape{n, out}), y0(Shape{n, out}), want(Shape{n, out}), want0(Shape{n, out});
      Tensor yr(Shape{n, out}), yr0(Shape{n, out});
      Tensor acc(Shape{n, ldw});
      sparse_columns_times_transposed(s, whole.data(), out, b.data(), acc.data(), y.data());
      sparse_columns_times_transposed(s, whole.data(), out, nullptr, acc.data(), y0.data());
      sparse_times_transposed(by_rows, whole.data(), out, b.data(), yr.data());
      sparse_times_transposed(by_rows, whole.data(), out, nullptr, yr0.data());
      for (int64_t i = 0; i < n; ++i) {
        for (int64_t j = 0; j < out; ++j) {
          double sum = 0.0;
          for (int64_t k = 0; k < cols; ++k) sum += double{x[i * cols + k]} * w[j * cols + k];
          want0[i * out + j] = static_cast<float>(sum);
          want[i * out + j] = static_cast<float>(sum + b[j]);
        }
      }
      expect_close(y, want, "y");
      expect_close(y0, want0, "y without bias");
      expect_close(yr, want, "y by rows");
      expect_close(yr0, want0, "y by rows without bias");

      // dW += dout^T x, onto a gradient that already holds 1s, in pieces of one vector.
      Tensor dw(Shape{out, cols}, 1.0f), want_dw(Shape{out, cols});
      Tensor padded(Shape{n, ldw});
      for (int64_t i = 0; i < n; ++i) {
        for (int64_t j = 0; j < out; ++j) padded[i * ldw + j] = dout[i * out + j];
      }
      Tensor piece(Shape{cols, lanes});
      for (int64_t c0 = 0; c0 < ldw; c0 += lanes) {
        sparse_transposed_times(s, c0, c0 + lanes, padded.data(), out, piece.data(), dw.data());
      }
      for (int64_t j = 0; j < out; ++j) {
        for (int64_t k = 0; k < cols; ++k) {
          double sum = 1.0;
          for (int64_t i = 0; i < n; ++i) sum += double{dout[i * out + j]} * x[i * cols + k];
          want_dw[j * cols + k] = static_cast<float>(sum);
        }
      }
      expect_close(dw, want_dw, "dW");
    }
  }
}

// SparseInputLinear (a network's first Linear layer) takes the sparse path for a mostly-zero batch
// big enough to split, and gives what the dense path gives on the same numbers (shifted off zero so
// that it stays dense).
TEST(SparseRows, LinearSparsePathMatchesDensePath) {
  const int threads = num_threads();
  for (int t : {1, 2}) {
    set_num_threads(t);
    for (auto [n, in, out] :
         {std::tuple{100, 784, 50}, {40, 300, 100}, {64, 517, 30}, {1000, 784, 50}}) {
      SCOPED_TRACE(std::to_string(n) + "x" + std::to_string(in) + "->" + std::to_string(out) +
                   " threads " + std::to_string(t));
      Rng rng(4);
      const Tensor x = sparse_matrix(n, in, 0.15, rng);
      Tensor dout(Shape{n, out});
      rng.fill_normal(dout, 0.0f, 1.0f);
      SparseInputLinear sparse(Shape{in}, out), hidden(Shape{in}, out);
      Linear dense(Shape{in}, out);
      dense.set_needs_input_grad(false);  // a first layer, as the sparse one
      hidden.set_needs_input_grad(true);
      rng.fill_normal(sparse.weight().value, 0.0f, 0.1f);
      rng.fill_normal(sparse.bias().value, 0.0f, 0.1f);
      dense.weight().value = sparse.weight().value.clone();
      dense.bias().value = sparse.bias().value.clone();
      // The dense layer sees x + 1 and a bias lowered by the row sums of W: the same outputs.
      Tensor shifted = x.clone();
      for (int64_t i = 0; i < shifted.numel(); ++i) shifted[i] += 1.0f;
      for (int64_t j = 0; j < out; ++j) {
        double row = 0.0;
        for (int64_t k = 0; k < in; ++k) row += dense.weight().value[j * in + k];
        dense.bias().value[j] -= static_cast<float>(row);
      }
      // For inference (x by its rows), then for training (by its columns).
      expect_close(sparse.forward(x, false), dense.forward(shifted, false), "out (inference)");
      EXPECT_TRUE(sparse.last_input_sparse());
      expect_close(sparse.forward(x, true), dense.forward(shifted, true), "out");
      EXPECT_TRUE(sparse.last_input_sparse());
      hidden.forward(x, true);  // a layer that passes dx back keeps to the dense path
      EXPECT_FALSE(hidden.last_input_sparse());
      sparse.backward(dout);
      dense.backward(dout);
      expect_close(sparse.bias().grad, dense.bias().grad, "db");
      // dW differs by dout^T 1 (the shift): add it to the sparse one.
      Tensor dw = sparse.weight().grad.clone();
      for (int64_t j = 0; j < out; ++j) {
        double col = 0.0;
        for (int64_t i = 0; i < n; ++i) col += dout[i * out + j];
        for (int64_t k = 0; k < in; ++k) dw[j * in + k] += static_cast<float>(col);
      }
      expect_close(dw, dense.weight().grad, "dW");
    }
  }
  set_num_threads(threads);
}

TEST(SparseRows, LinearSparsePathGradientCheck) {
  Rng rng(5);
  SparseInputLinear lin(Shape{784}, 50);
  for (Param* p : lin.params()) rng.fill_normal(p->value, 0.0f, 0.1f);
  const Tensor x = sparse_matrix(8, 784, 0.2, rng);
  GradCheckOptions o;
  o.max_elements = 300;
  const auto results = gradcheck_layer(lin, x, rng, o);
  EXPECT_TRUE(lin.last_input_sparse());
  ASSERT_FALSE(results.empty());
  for (const auto& r : results) EXPECT_LT(r.rel_error, kGradCheckTolerance) << r.name;
}

// The whole batch decides the path, the first row only rules out a dense input: a batch of
// digits that starts with a bold one (40 % lit) stays sparse, and so the same path every step.
TEST(SparseRows, ABatchStartingWithADenserRowStaysSparse) {
  Rng rng(7);
  SparseInputLinear lin(Shape{784}, 50);
  for (auto [first_density, sparse] : {std::pair{0.4, true}, {0.7, false}}) {
    Tensor x = sparse_matrix(100, 784, 0.15, rng);
    const Tensor first = sparse_matrix(1, 784, first_density, rng);
    std::copy(first.begin(), first.end(), x.begin());
    lin.forward(x, true);
    EXPECT_EQ(lin.last_input_sparse(), sparse) << "first row " << first_density;
  }
}

// A backward after a forward for inference (x taken by its rows) still finds x by its
// columns: the same gradient as after a forward for training.
TEST(SparseRows, BackwardAfterAnInferenceForward) {
  Rng rng(8);
  for (int64_t n : {100, 300}) {
    const Tensor x = sparse_matrix(n, 784, 0.15, rng);
    Tensor dout(Shape{n, 50});
    rng.fill_normal(dout, 0.0f, 1.0f);
    SparseInputLinear a(Shape{784}, 50), b(Shape{784}, 50);
    rng.fill_normal(a.weight().value, 0.0f, 0.1f);
    b.weight().value = a.weight().value.clone();
    a.forward(x, false);
    b.forward(x, true);
    a.backward(dout);
    b.backward(dout);
    EXPECT_TRUE(a.last_input_sparse());
    expect_close(a.weight().grad, b.weight().grad, "dW");
  }
}
