// Linear's products, split over the threads for large batches (rows of out and dx, columns
// of dW) and for single images (columns of out), against plain loops: out = x W^T + b, dx = dout W,
// dW = dout^T x, db = sum of dout.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "nnzero/kernels/blas_setup.h"
#include "nnzero/layers/linear.h"
#include "nnzero/parallel.h"
#include "nnzero/rng.h"
#include "test_support.h"

using namespace nnzero;
using nnzero_test::expect_close;

TEST(Linear, MatchesPlainLoopsWholeAndSplitOverThreads) {
  const int threads = num_threads();
  // (n, in, out): below and above the size at which the products are split; one image;
  // in_features in whole blocks of implicit_gemm's columns (its backward, when pinned on).
  for (auto [n, in, out] : {std::tuple{3, 5, 4},
                            {100, 784, 50},
                            {37, 300, 30},
                            {1, 4320, 100},
                            {1, 2900, 97},
                            {100, 1024, 50},
                            {37, 4320, 30}}) {
    for (auto [t, own] : {std::pair{1, false}, {2, false}, {1, true}, {2, true}}) {
      SCOPED_TRACE(std::to_string(n) + "x" + std::to_string(in) + "->" + std::to_string(out) +
                   " threads=" + std::to_string(t) + (own ? " implicit_gemm" : " OpenBLAS"));
      set_num_threads(t);
      set_own_gemm(own);
      Linear lin(Shape{in}, out);
      Rng rng(5);
      rng.fill_normal(lin.params()[0]->value, 0.0f, 0.3f);
      rng.fill_normal(lin.params()[1]->value, 0.0f, 0.3f);
      Tensor x(Shape{n, in}), dout(Shape{n, out});
      rng.fill_normal(x, 0.0f, 1.0f);
      rng.fill_normal(dout, 0.0f, 1.0f);
      const Tensor& w = lin.params()[0]->value;
      const Tensor& b = lin.params()[1]->value;
      // Gradients accumulate: start them at 1 (the reference too), as after an earlier step.
      lin.params()[0]->grad.fill(1.0f);
      lin.params()[1]->grad.fill(1.0f);
      Tensor y(Shape{n, out}), dx(Shape{n, in}), dw(Shape{out, in}, 1.0f), db(Shape{out}, 1.0f);
      for (int64_t i = 0; i < n; ++i) {
        for (int64_t o = 0; o < out; ++o) {
          double sum = b[o];
          for (int64_t k = 0; k < in; ++k)
            sum += static_cast<double>(x[i * in + k]) * w[o * in + k];
          y[i * out + o] = static_cast<float>(sum);
          const float d = dout[i * out + o];
          db[o] += d;
          for (int64_t k = 0; k < in; ++k) {
            dw[o * in + k] += d * x[i * in + k];
            dx[i * in + k] += d * w[o * in + k];
          }
        }
      }
      expect_close(lin.forward(x, true), y, "out");
      expect_close(lin.backward(dout), dx, "dx");
      expect_close(lin.params()[0]->grad, dw, "dW");
      expect_close(lin.params()[1]->grad, db, "db");
    }
  }
  set_own_gemm(std::nullopt);
  set_num_threads(threads);
}
