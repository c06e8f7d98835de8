// LayerNorm against hand-computed values ([1, 2, 3]: mean 2, biased variance 2/3, so xhat =
// (x - 2) / sqrt(2/3 + 1e-5) = [-1.2247357, 0, 1.2247357]); its gradients against numerical
// differentiation with and without bias over several shapes; the same results on one and two
// threads; dx skipped when not needed. Its PyTorch round trip comes with its registration
// (test_torch_interop.cpp).
#include <gtest/gtest.h>

#include "nnzero/layers/layer_norm.h"
#include "nnzero/layers/linear.h"
#include "nnzero/model/layer_registry.h"
#include "nnzero/parallel.h"
#include "nnzero/train/gradcheck.h"
#include "test_support.h"

using namespace nnzero;

namespace {

void ln_expect_gradients_match(Layer& layer, int64_t n, uint64_t seed) {
  Rng rng(seed);
  for (Param* p : layer.params()) rng.fill_normal(p->value, 0.0f, 1.0f);
  Tensor x(layer.in_shape().with_batch(n));
  rng.fill_normal(x, 0.5f, 2.0f);
  GradCheckOptions o;
  o.max_elements = 200;
  const auto results = gradcheck_layer(layer, x, rng, o);
  ASSERT_FALSE(results.empty());
  for (const auto& r : results) {
    EXPECT_LT(r.rel_error, kGradCheckTolerance) << r.name << " in " << layer.in_shape().str();
    EXPECT_GT(r.elements, 0) << r.name;
  }
}

}  // namespace

TEST(LayerNorm, HandComputedValues) {
  LayerNorm ln(Shape{3});
  const Tensor x(Shape{2, 3}, {1.0f, 2.0f, 3.0f, -5.0f, -5.0f, -5.0f});
  const Tensor& y = ln.forward(x, true);
  const float want[] = {-1.2247357f, 0.0f, 1.2247357f, 0.0f, 0.0f, 0.0f};  // a constant row: 0
  for (int64_t i = 0; i < 6; ++i) EXPECT_NEAR(y[i], want[i], 1e-6f) << i;

  // weight and bias per feature: y = weight * xhat + bias.
  ln.weight().value = Tensor(Shape{3}, {2.0f, 1.0f, -1.0f});
  ln.bias().value = Tensor(Shape{3}, {0.5f, 0.25f, 0.0f});
  const Tensor& y2 = ln.forward(x, true);
  EXPECT_NEAR(y2[0], 2.0f * -1.2247357f + 0.5f, 1e-6f);
  EXPECT_NEAR(y2[1], 0.25f, 1e-6f);
  EXPECT_NEAR(y2[2], -1.2247357f, 1e-6f);
  EXPECT_NEAR(y2[3], 0.5f, 1e-6f);

  // With weight 1: dx = (dout - mean(dout) - xhat mean(dout xhat)) / sigma. For dout =
  // [1, 0, 0] on [1, 2, 3]: mean(dout) = 1/3, mean(dout xhat) = -1.2247357 / 3, sigma =
  // 0.8164997, so dx = [(1 - 1/3 - 1.5/3), (-1/3), (-1/3 + 1.5/3)] / sigma.
  LayerNorm plain(Shape{3}, false);
  const Tensor one(Shape{1, 3}, {1.0f, 2.0f, 3.0f});
  plain.forward(one, true);
  const Tensor& dx = plain.backward(Tensor(Shape{1, 3}, {1.0f, 0.0f, 0.0f}));
  const float sigma = std::sqrt(2.0f / 3.0f + 1e-5f), k = 1.2247357f * 1.2247357f / 3.0f;
  EXPECT_NEAR(dx[0], (1.0f - 1.0f / 3.0f - k) / sigma, 1e-5f);
  EXPECT_NEAR(dx[1], (-1.0f / 3.0f) / sigma, 1e-5f);
  EXPECT_NEAR(dx[2], (-1.0f / 3.0f + k) / sigma, 1e-5f);
  EXPECT_NEAR(plain.weight().grad[0], -1.2247357f, 1e-6f);  // dweight += dout * xhat
  EXPECT_EQ(plain.params().size(), 1u);
}

TEST(LayerNorm, ParametersAreWeightOneAndBiasZeroWithoutDecay) {
  LayerNorm ln(Shape{4, 6});
  EXPECT_TRUE(ln.out_shape() == Shape({4, 6}));
  ASSERT_EQ(ln.params().size(), 2u);
  for (Param* p : ln.params()) {
    EXPECT_TRUE(p->value.shape() == Shape({6})) << p->name;
    EXPECT_FALSE(p->decay) << p->name;
    EXPECT_EQ(p->fan_in, 0) << p->name;
  }
  EXPECT_EQ(ln.params()[0]->name, "weight");
  EXPECT_EQ(ln.params()[1]->name, "bias");
  for (float w : ln.weight().value) EXPECT_EQ(w, 1.0f);
  for (float b : ln.bias().value) EXPECT_EQ(b, 0.0f);
}

TEST(LayerNorm, GradientsMatchNumericalOnes) {
  uint64_t seed = 1;
  for (const Shape& s : {Shape{2}, Shape{5}, Shape{3, 4}, Shape{2, 3, 33}, Shape{4, 64}}) {
    for (const bool bias : {true, false}) {
      SCOPED_TRACE(s.str() + (bias ? " with bias" : " without bias"));
      LayerNorm ln(s, bias);
      ln_expect_gradients_match(ln, 3, ++seed);
    }
  }
}

// Through a Linear in front, so that dx is checked as the layer below consumes it.
TEST(LayerNorm, GradientsFlowIntoTheLayerBelow) {
  Rng rng(9);
  Linear lin(Shape{4, 5}, 7);
  LayerNorm ln(lin.out_shape());
  for (Layer* l : {static_cast<Layer*>(&lin), static_cast<Layer*>(&ln)}) {
    for (Param* p : l->params()) rng.fill_normal(p->value, 0.0f, 1.0f);
  }
  Tensor x(Shape{2, 4, 5});
  rng.fill_normal(x, 0.0f, 1.0f);
  Tensor r(Shape{2, 4, 7});
  rng.fill_normal(r, 0.0f, 1.0f);
  const auto loss = [&] {
    const Tensor& y = ln.forward(lin.forward(x, true), true);
    double sum = 0.0;
    for (int64_t i = 0; i < y.numel(); ++i) sum += double{r[i]} * y[i];
    return sum;
  };
  loss();
  lin.weight().grad.zero();
  lin.backward(ln.backward(r));
  const double h = 1e-2;
  for (int64_t i : {0, 6, 13, 34}) {
    float& w = lin.weight().value[i];
    const float keep = w;
    w = keep + static_cast<float>(h);
    const double up = loss();
    w = keep - static_cast<float>(h);
    const double down = loss();
    w = keep;
    EXPECT_NEAR(lin.weight().grad[i], (up - down) / (2 * h), 2e-2) << i;
  }
}

TEST(LayerNorm, SameResultsOnOneAndTwoThreads) {
  const int threads = num_threads();
  std::vector<Tensor> got;
  for (int n : {1, 2}) {
    set_num_threads(n);
    Rng rng(4);
    LayerNorm ln(Shape{64, 128});
    for (Param* p : ln.params()) rng.fill_normal(p->value, 1.0f, 0.5f);
    Tensor x(Shape{8, 64, 128});
    rng.fill_normal(x, 0.0f, 3.0f);
    Tensor dout(x.shape());
    rng.fill_normal(dout, 0.0f, 1.0f);
    got.push_back(ln.forward(x, true).clone());
    got.push_back(ln.backward(dout).clone());
    got.push_back(ln.weight().grad.clone());
    got.push_back(ln.bias().grad.clone());
  }
  set_num_threads(threads);
  for (size_t k = 0; k < 4; ++k) {
    ASSERT_EQ(got[k].numel(), got[k + 4].numel());
    for (int64_t i = 0; i < got[k].numel(); ++i)
      ASSERT_EQ(got[k][i], got[k + 4][i]) << k << " " << i;
  }
}

TEST(LayerNorm, SkipsDxWhenNotNeededButStillAddsParameterGradients) {
  Rng rng(6);
  Tensor x(Shape{3, 2, 8});
  rng.fill_normal(x, 0.0f, 1.0f);
  Tensor dout(x.shape());
  rng.fill_normal(dout, 0.0f, 1.0f);
  LayerNorm full(Shape{2, 8}), first(Shape{2, 8});
  first.set_needs_input_grad(false);
  full.forward(x, true);
  full.backward(dout);
  first.forward(x, true);
  EXPECT_TRUE(first.backward(dout).empty());
  for (int64_t i = 0; i < 8; ++i) {
    EXPECT_EQ(first.weight().grad[i], full.weight().grad[i]);
    EXPECT_EQ(first.bias().grad[i], full.bias().grad[i]);
  }
  // Gradients accumulate: a second backward doubles them.
  full.backward(dout);
  EXPECT_NEAR(full.bias().grad[3], 2.0f * first.bias().grad[3], 1e-6f);
}

TEST(LayerNorm, AllocatesNothingInTheSteadyState) {
  LayerNorm ln(Shape{16, 64});
  Tensor x(Shape{8, 16, 64}, 0.25f);
  x[7] = 3.0f;
  const Tensor dout(x.shape(), 1.0f);
  ln.forward(x, true);
  ln.backward(dout);
  const int64_t before = tensor_allocations();
  ln.forward(x, true);
  ln.backward(dout);
  EXPECT_EQ(tensor_allocations(), before);
}

TEST(LayerNorm, ErrorsNameTheLayerAndTheShapes) {
  LayerNorm ln(Shape{4, 6});
  EXPECT_HAS(nnzero_test::error_of([&] {
               ln.forward(Tensor(Shape{2, 4, 5}), true);
             }),
             "layer_norm: expected input (N, ...) with sample shape (4, 6), got (2, 4, 5)");
  ln.forward(Tensor(Shape{2, 4, 6}), true);
  EXPECT_HAS(nnzero_test::error_of([&] {
               ln.backward(Tensor(Shape{3, 4, 6}));
             }),
             "layer_norm: backward expected dout of shape (2, 4, 6), got (3, 4, 6)");
  EXPECT_HAS(nnzero_test::error_of([] { LayerNorm(Shape{4}, true, 0.0f); }),
             "eps must be positive");
}

TEST(LayerNorm, TheRegistryBuildsIt) {
  Rng rng(1);
  const LayerSpec spec = parse_layer_spec({{"type", "layer_norm"}, {"bias", false}}, "spec");
  const auto layer = make_layer(spec, Shape{3, 5}, rng, "layer 0");
  EXPECT_STREQ(layer->type(), "layer_norm");
  EXPECT_EQ(layer->params().size(), 1u);
  EXPECT_EQ(torch_args(spec, Shape{3, 5}), (nlohmann::json{{"ndim", 5}, {"bias", false}}));
}
