// The book's Conv2d (im2col + GEMM) and FastConv2d's paths (implicit GEMM on the wide layout
// for stride 1, with dW by lane sums or over dout transposed; im2col + GEMM per image for
// strides > 1; the fused ReLU of ConvRelu; a single image split over the threads by output
// channels) against the definition, plain loops:
//   out[n, o, oh, ow] = b[o] + sum_{c, i, j} W[o, c, i, j] x[n, c, oh*s - p + i, ow*s - p + j]
// and its adjoints for dx, dW and db, over batch sizes that split unevenly over one and two
// threads.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "nnzero/fast/conv_relu_pool.h"
#include "nnzero/fast/fast_conv2d.h"
#include "nnzero/layers/conv2d.h"
#include "nnzero/parallel.h"
#include "nnzero/rng.h"
#include "test_support.h"

using namespace nnzero;
using nnzero_test::expect_close;

namespace {

struct Reference {
  Tensor out, dx, dw, db;
};

// The convolution, its ReLU when fused, and the gradients of sum(out * dout).
Reference direct_conv(const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& dout,
                      const ConvGeometry& g, int64_t OC, bool relu) {
  const int64_t N = x.dim(0);
  Reference r{Tensor(Shape{N, OC, g.OH, g.OW}), Tensor(x.shape()), Tensor(w.shape()),
              Tensor(Shape{OC})};
  const auto input = [&](int64_t n, int64_t c, int64_t h, int64_t ww) -> int64_t {
    if (h < 0 || h >= g.H || ww < 0 || ww >= g.W) return -1;
    return ((n * g.C + c) * g.H + h) * g.W + ww;
  };
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < OC; ++o)
      for (int64_t oh = 0; oh < g.OH; ++oh)
        for (int64_t ow = 0; ow < g.OW; ++ow) {
          double sum = b[o];
          for (int64_t c = 0; c < g.C; ++c)
            for (int64_t i = 0; i < g.KH; ++i)
              for (int64_t j = 0; j < g.KW; ++j) {
                const int64_t at =
                    input(n, c, oh * g.stride - g.pad + i, ow * g.stride - g.pad + j);
                if (at >= 0) sum += w[((o * g.C + c) * g.KH + i) * g.KW + j] * x[at];
              }
          const int64_t k = ((n * OC + o) * g.OH + oh) * g.OW + ow;
          const bool pass = !relu || sum > 0.0;
          r.out[k] = pass ? static_cast<float>(sum) : 0.0f;
          const float d = pass ? dout[k] : 0.0f;
          r.db[o] += d;
          for (int64_t c = 0; c < g.C; ++c)
            for (int64_t i = 0; i < g.KH; ++i)
              for (int64_t j = 0; j < g.KW; ++j) {
                const int64_t at =
                    input(n, c, oh * g.stride - g.pad + i, ow * g.stride - g.pad + j);
                if (at < 0) continue;
                const int64_t wi = ((o * g.C + c) * g.KH + i) * g.KW + j;
                r.dw[wi] += d * x[at];
                r.dx[at] += d * w[wi];
              }
        }
  return r;
}

}  // namespace

TEST(Conv2d, MatchesTheDirectConvolution) {
  struct Case {
    int64_t C, H, W, OC, KH, KW, stride, pad;
    bool relu, bias;
  };
  // dW takes the lane-sum kernel where KH*KW*C*8 <= OH*(W + 2*pad) (marked "lane sums"), the
  // kernel over dout transposed in the other stride-1 cases.
  const Case cases[] = {
      {1, 28, 28, 4, 5, 5, 1, 0, true, true},    // as simple_convnet's first layer; lane sums
      {1, 12, 10, 3, 3, 3, 1, 1, false, false},  // padded, no bias, no ReLU; lane sums
      {1, 9, 9, 2, 5, 5, 1, 2, true, true},      // one channel, padding 2
      {1, 9, 9, 2, 3, 3, 2, 1, true, true},      // one channel, stride 2: im2col + GEMM
      {3, 9, 11, 5, 3, 3, 1, 1, true, true},     // wide layout with padding
      {2, 8, 7, 3, 3, 3, 1, 2, false, false},    // pad 2, no ReLU, no bias
      {3, 9, 8, 4, 3, 3, 2, 1, true, true},      // stride 2: the plain layout
      {2, 10, 10, 3, 1, 1, 1, 0, false, true},   // 1x1 kernel
      {2, 6, 5, 3, 1, 1, 1, 3, true, true},      // padding wider than the kernel
      {2, 7, 6, 4, 3, 5, 1, 1, true, true},      // 3x5 kernel
      {1, 4, 4, 2, 6, 6, 1, 1, true, true},      // kernel as large as the padded input: 1x1 out
      {2, 10, 9, 12, 3, 3, 1, 1, true, true},    // 12 channels: blocks of 8 and 4
      {2, 6, 5, 70, 3, 3, 1, 1, true, true},     // 70 channels: one image split over 2 threads
      {8, 6, 6, 20, 3, 3, 1, 1, true, true},     // K = 72, 20 channels (dW^T 32 wide)
  };
  const int threads = num_threads();
  for (const Case& c : cases) {
    for (const bool book : {false, true}) {
      if (book && c.relu) continue;  // the book's layer has no fused ReLU
      for (int64_t n : {1, 7, 37}) {
        Tensor first_out;  // the forward pass must not depend on the thread count
        for (int t : {1, 2}) {
          SCOPED_TRACE(std::string(book ? "Conv2d" : "FastConv2d") + " C=" + std::to_string(c.C) +
                       " KH=" + std::to_string(c.KH) + " KW=" + std::to_string(c.KW) +
                       " OC=" + std::to_string(c.OC) + " stride=" + std::to_string(c.stride) +
                       " pad=" + std::to_string(c.pad) + " relu=" + std::to_string(c.relu) +
                       " n=" + std::to_string(n) + " threads=" + std::to_string(t));
          set_num_threads(t);
          const Shape in{c.C, c.H, c.W};
          std::unique_ptr<Conv2d> conv =
              book ? std::make_unique<Conv2d>(in, c.OC, c.KH, c.KW, c.stride, c.pad, c.bias)
                   : std::make_unique<FastConv2d>(in, c.OC, c.KH, c.KW, c.stride, c.pad, c.bias);
          std::unique_ptr<Layer> fused;
          if (c.relu) fused = std::make_unique<ConvRelu>(static_cast<FastConv2d&>(*conv));
          Layer& layer = fused ? *fused : *conv;
          Rng rng(static_cast<uint64_t>(n * 10));
          rng.fill_normal(conv->weight().value, 0.0f, 0.5f);
          if (c.bias) rng.fill_normal(conv->bias().value, 0.0f, 0.5f);
          Tensor x(conv->in_shape().with_batch(n)), dout(conv->out_shape().with_batch(n));
          rng.fill_normal(x, 0.0f, 1.0f);
          rng.fill_normal(dout, 0.0f, 1.0f);
          const Tensor no_bias(Shape{c.OC});
          const Reference want =
              direct_conv(x, conv->weight().value, c.bias ? conv->bias().value : no_bias, dout,
                          conv->geometry(), c.OC, c.relu);
          const Tensor& out = layer.forward(x, true);
          expect_close(out, want.out, "out");
          if (t == 1) {
            first_out = out.clone();
          } else {
            for (int64_t i = 0; i < out.numel(); ++i) ASSERT_EQ(out[i], first_out[i]) << i;
          }
          conv->weight().grad.zero();
          if (c.bias) conv->bias().grad.zero();
          expect_close(layer.backward(dout), want.dx, "dx");
          expect_close(conv->weight().grad, want.dw, "dW");
          if (c.bias) expect_close(conv->bias().grad, want.db, "db");
        }
      }
    }
  }
  set_num_threads(threads);
}
