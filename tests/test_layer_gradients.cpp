// Every layer's backward against numerical differentiation (include/nnzero/train/gradcheck.h),
// over several shapes each; convolution and pooling over a grid of configurations.
#include <gtest/gtest.h>

#include <memory>

#include "nnzero/fast/conv_relu_pool.h"
#include "nnzero/fast/fast_conv2d.h"
#include "nnzero/layers/avgpool2d.h"
#include "nnzero/layers/batchnorm.h"
#include "nnzero/layers/conv2d.h"
#include "nnzero/layers/dropout.h"
#include "nnzero/layers/flatten.h"
#include "nnzero/layers/global_avgpool2d.h"
#include "nnzero/layers/leaky_relu.h"
#include "nnzero/layers/linear.h"
#include "nnzero/layers/maxpool2d.h"
#include "nnzero/layers/relu.h"
#include "nnzero/layers/sigmoid.h"
#include "nnzero/layers/softmax.h"
#include "nnzero/layers/tanh.h"
#include "nnzero/model/sequential.h"
#include "nnzero/train/gradcheck.h"

using namespace nnzero;

namespace {

// Random N(0,1) parameters, then the check on a random N(0,1) batch of `n` samples.
void expect_gradients_match(Layer& layer, int64_t n, uint64_t seed = 1, bool train = true) {
  Rng rng(seed);
  for (Param* p : layer.params()) rng.fill_normal(p->value, 0.0f, 1.0f);
  Tensor x(layer.in_shape().with_batch(n));
  rng.fill_normal(x, 0.0f, 1.0f);
  GradCheckOptions o;
  o.train = train;
  o.max_elements = 200;
  const auto results = gradcheck_layer(layer, x, rng, o);
  ASSERT_FALSE(results.empty());
  for (const auto& r : results) {
    EXPECT_LT(r.rel_error, kGradCheckTolerance)
        << layer.type() << " " << r.name << " in " << layer.in_shape().str();
    EXPECT_GT(r.elements, 0);
  }
}

// A fused layer's parameters are its convolution's: drawn there, checked through the fused
// layer (gradcheck_layer reads the parameters of `owner`).
void expect_gradients_match(Layer& fused, int64_t n, Layer& owner) {
  Rng rng(1);
  for (Param* p : owner.params()) rng.fill_normal(p->value, 0.0f, 1.0f);
  Tensor x(fused.in_shape().with_batch(n));
  rng.fill_normal(x, 0.0f, 1.0f);
  GradCheckOptions o;
  o.max_elements = 200;
  const auto results = gradcheck_layer(fused, x, rng, o, &owner);
  ASSERT_FALSE(results.empty());
  for (const auto& r : results) {
    EXPECT_LT(r.rel_error, kGradCheckTolerance) << fused.type() << " " << r.name;
  }
}

}  // namespace

TEST(LayerGradients, Linear) {
  for (auto [in, out, n] : {std::tuple{5, 3, 2}, {1, 1, 1}, {17, 9, 4}, {64, 10, 3}}) {
    Linear a(Shape{in}, out);
    expect_gradients_match(a, n);
    Linear no_bias(Shape{in}, out, false);
    expect_gradients_match(no_bias, n);
  }
}

TEST(LayerGradients, Activations) {
  for (const Shape& s : {Shape{7}, Shape{3, 4, 5}}) {
    ReLU relu(s);
    expect_gradients_match(relu, 3);
    LeakyReLU leaky(s, 0.1f);
    expect_gradients_match(leaky, 3);
    Sigmoid sigmoid(s);
    expect_gradients_match(sigmoid, 3);
    Tanh tanh_layer(s);
    expect_gradients_match(tanh_layer, 3);
  }
  Softmax softmax(Shape{6});
  expect_gradients_match(softmax, 4);
}

TEST(LayerGradients, DropoutTrainAndEval) {
  Dropout d(Shape{20}, 0.3f, 7);
  expect_gradients_match(d, 5, 1, true);
  expect_gradients_match(d, 5, 1, false);
}

TEST(LayerGradients, BatchNormTrainAndEval) {
  for (const Shape& s : {Shape{6}, Shape{3, 4, 5}, Shape{2, 1, 1}}) {
    BatchNorm bn(s);
    Rng rng(3);
    rng.fill_uniform(bn.running_var(), 0.5f, 2.0f);
    rng.fill_normal(bn.running_mean(), 0.0f, 1.0f);
    expect_gradients_match(bn, 4, 2, true);
    expect_gradients_match(bn, 4, 2, false);
  }
}

TEST(LayerGradients, FlattenAndGlobalAvgPool) {
  Flatten f(Shape{2, 3, 4});
  expect_gradients_match(f, 2);
  GlobalAvgPool2d g(Shape{3, 5, 4});
  expect_gradients_match(g, 2);
}

TEST(LayerGradients, Conv2dGrid) {
  for (int64_t k : {1, 3, 5}) {
    for (int64_t stride : {1, 2}) {
      for (int64_t pad : {0, 1, 2}) {
        for (auto [c, h, w, oc, n] : {std::tuple{1, 7, 9, 2, 2}, {3, 6, 5, 4, 3}}) {
          if (k > h + 2 * pad || k > w + 2 * pad) continue;
          Conv2d conv(Shape{c, h, w}, oc, k, k, stride, pad);
          SCOPED_TRACE("k=" + std::to_string(k) + " stride=" + std::to_string(stride) +
                       " pad=" + std::to_string(pad) + " in=" + conv.in_shape().str());
          expect_gradients_match(conv, n);
          FastConv2d fast(Shape{c, h, w}, oc, k, k, stride, pad);
          expect_gradients_match(fast, n);
        }
      }
    }
  }
  // With the following ReLU fused in (the plan's ConvRelu), both strides; and the max
  // pooling after it (ConvReluPool).
  for (int64_t stride : {1, 2}) {
    FastConv2d conv(Shape{3, 7, 6}, 4, 3, 3, stride, 1);
    ConvRelu fused(conv);
    expect_gradients_match(fused, 3, conv);
    MaxPool2d pool(conv.out_shape(), 2, 2);
    ConvReluPool pooled(conv, pool);
    expect_gradients_match(pooled, 3, conv);
  }
  Conv2d no_bias(Shape{2, 5, 5}, 3, 3, 3, 1, 1, false);
  expect_gradients_match(no_bias, 2);
  Conv2d rect(Shape{2, 6, 7}, 3, 2, 3, 1, 0);  // non-square kernel
  expect_gradients_match(rect, 2);
}

TEST(LayerGradients, PoolingGrid) {
  // Overlapping (stride < kernel) and non-overlapping windows, with and without padding.
  for (auto [k, stride, pad] : {std::tuple{2, 2, 0}, {3, 2, 1}, {3, 1, 0}, {2, 1, 1}, {3, 3, 1}}) {
    for (const Shape& s : {Shape{2, 6, 6}, Shape{3, 7, 5}}) {
      SCOPED_TRACE("k=" + std::to_string(k) + " stride=" + std::to_string(stride) +
                   " pad=" + std::to_string(pad) + " in=" + s.str());
      MaxPool2d maxpool(s, k, stride, pad);
      expect_gradients_match(maxpool, 2);
      AvgPool2d avgpool(s, k, stride, pad);
      expect_gradients_match(avgpool, 2);
    }
  }
}

// The check must catch a wrong gradient: a ReLU whose backward lets gradient through where
// x < 0 too (a classic slip), and a Linear whose weight gradient is 10% too large.
namespace {
class LeakyBackwardReLU : public ReLU {
 public:
  using ReLU::ReLU;
  const Tensor& backward(const Tensor& dout) override { return dout; }
};
class ScaledGradLinear : public Linear {
 public:
  using Linear::Linear;
  const Tensor& backward(const Tensor& dout) override {
    const Tensor& dx = Linear::backward(dout);
    for (float& g : weight().grad) g *= 1.1f;
    return dx;
  }
};
}  // namespace

TEST(LayerGradients, CheckFailsOnBrokenGradient) {
  Rng rng(5);
  LeakyBackwardReLU relu(Shape{50});
  Tensor x(Shape{4, 50});
  rng.fill_normal(x, 0.0f, 1.0f);
  const auto r1 = gradcheck_layer(relu, x, rng);
  EXPECT_GT(r1.at(0).rel_error, kGradCheckTolerance);

  ScaledGradLinear lin(Shape{8}, 4);
  rng.fill_normal(lin.weight().value, 0.0f, 1.0f);
  Tensor x2(Shape{3, 8});
  rng.fill_normal(x2, 0.0f, 1.0f);
  bool weight_flagged = false;
  for (const auto& r : gradcheck_layer(lin, x2, rng)) {
    if (r.name == "weight") weight_flagged = r.rel_error > kGradCheckTolerance;
    if (r.name != "weight") {
      EXPECT_LT(r.rel_error, kGradCheckTolerance) << r.name;
    }
  }
  EXPECT_TRUE(weight_flagged);
}
