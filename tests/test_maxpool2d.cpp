// MaxPool2d's fast 2x2 / stride 2 path against the definition, plain loops: each output is
// the first maximum of its window in row-major order, and backward sends dout there. Values
// from {0, 1, 2} make ties common (as after a ReLU, where windows of zeros are frequent), so
// a path that broke ties another way fails; sizes cover odd widths and heights (the last
// row or column is not pooled) and batches that run in parallel, on one and two threads.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <tuple>

#include "nnzero/kernels/max_pool.h"
#include "nnzero/layers/maxpool2d.h"
#include "nnzero/parallel.h"
#include "nnzero/rng.h"

using namespace nnzero;

TEST(MaxPool2d, TwoByTwoTakesTheFirstMaximumInRowMajorOrder) {
  const int threads = num_threads();
  for (const Shape& s :
       {Shape{3, 6, 6}, Shape{2, 7, 5}, Shape{30, 24, 24}, Shape{4, 9, 8}, Shape{2, 35, 37}}) {
    for (int64_t n : {1, 40}) {
      for (int t : {1, 2}) {
        SCOPED_TRACE(s.str() + " n=" + std::to_string(n) + " threads=" + std::to_string(t));
        set_num_threads(t);
        MaxPool2d pool(s, 2, 2, 0);
        Rng rng(static_cast<uint64_t>(n + t));
        Tensor x(s.with_batch(n)), dout(pool.out_shape().with_batch(n));
        for (float& v : x) v = static_cast<float>(static_cast<int>(rng.uniform(0.0f, 3.0f)));
        rng.fill_normal(dout, 0.0f, 1.0f);
        const Tensor& out = pool.forward(x, true);
        const Tensor& dx = pool.backward(dout);
        const int64_t C = s[0], H = s[1], W = s[2], OH = H / 2, OW = W / 2;
        Tensor want_dx(x.shape());
        for (int64_t p = 0; p < n * C; ++p) {
          for (int64_t oh = 0; oh < OH; ++oh) {
            for (int64_t ow = 0; ow < OW; ++ow) {
              int64_t best = (p * H + 2 * oh) * W + 2 * ow;
              for (int64_t i = 0; i < 2; ++i)
                for (int64_t j = 0; j < 2; ++j) {
                  const int64_t at = (p * H + 2 * oh + i) * W + 2 * ow + j;
                  if (x[at] > x[best]) best = at;
                }
              const int64_t o = (p * OH + oh) * OW + ow;
              ASSERT_EQ(out[o], x[best]) << "output " << o;
              want_dx[best] += dout[o];
            }
          }
        }
        for (int64_t i = 0; i < x.numel(); ++i) ASSERT_EQ(dx[i], want_dx[i]) << "dx " << i;
      }
    }
  }
  set_num_threads(threads);
}

TEST(MaxPool2d, FusedKernelsMatchTheReferenceAndApplyTheRelusMask) {
  // ConvReluPool's halves (kernels/max_pool.h), on max(0, .) of normal noise, where many
  // windows hold only zeros: max_pool_plane with floor 0 gives the reference's outputs and
  // argmax, and route_relu_plane gives the plain pooling's dx where the input is > 0 and 0
  // elsewhere (the ReLU's derivative), for the 2x2 path and a general window with overlap
  // and padding.
  for (const auto& [k, stride, pad] : {std::tuple{2, 2, 0}, std::tuple{3, 2, 1}}) {
    SCOPED_TRACE("k=" + std::to_string(k));
    const Shape s{1, 8, 19};
    const PoolGeometry g = PoolGeometry::make("maxpool2d", s, k, stride, pad);
    Rng rng(5);
    Tensor x(s), dout(g.out_shape());
    rng.fill_normal(x, -0.5f, 1.0f);
    for (float& v : x) v = std::max(v, 0.0f);
    rng.fill_normal(dout, 0.0f, 1.0f);
    Tensor out(g.out_shape()), want_out(g.out_shape());
    std::vector<int32_t> arg(static_cast<size_t>(out.numel())), want_arg(arg.size());
    max_pool_plane(x.data(), g.W, 0.0f, out.data(), arg.data(), g);
    max_pool_plane_reference(x.data(), g.W, 0.0f, want_out.data(), want_arg.data(), g);
    for (int64_t i = 0; i < out.numel(); ++i) {
      ASSERT_EQ(out[i], want_out[i]) << i;
      ASSERT_EQ(arg[static_cast<size_t>(i)], want_arg[static_cast<size_t>(i)]) << i;
    }
    Tensor got(s), want(s);
    route_relu_plane(dout.data(), out.data(), arg.data(), got.data(), g.W, g);
    for (int64_t i = 0; i < out.numel(); ++i) want[arg[static_cast<size_t>(i)]] += dout[i];
    int64_t zeroed = 0;
    for (int64_t i = 0; i < x.numel(); ++i) {
      ASSERT_EQ(got[i], x[i] > 0.0f ? want[i] : 0.0f) << i;
      zeroed += x[i] == 0.0f && want[i] != 0.0f;
    }
    EXPECT_GT(zeroed, 0);  // some gradient did reach a zero input: the mask mattered
  }
}
