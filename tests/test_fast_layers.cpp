// The planning step's fast variants (fast/) against the book's layers they stand in for: a
// network run by Engine::fast and the same network, with the same weights, run by
// Engine::book give the same loss, scores and gradients (within float rounding: the sums are
// the same, taken in another order), for every built-in model and a network of odd shapes.
#include <gtest/gtest.h>

#include "nnzero/fast/fast_conv2d.h"
#include "nnzero/fast/sparse_input_linear.h"
#include "nnzero/layers/residual_block.h"
#include "nnzero/model/builtin.h"
#include "nnzero/model/sequential.h"
#include "nnzero/parallel.h"
#include "test_support.h"

using namespace nnzero;
using nnzero_test::expect_close;

namespace {

// Odd widths: a 19-wide plane pooled to 9, a 3x3 pooling with stride 2 and padding, a
// stride-2 convolution, a convolution with no ReLU after it, a ReLU without a pooling.
const char* kOdd = R"({
  "name": "odd", "input": [2, 19, 19],
  "layers": [
    {"type": "conv2d", "out_channels": 5, "kernel": 3, "padding": 1},
    {"type": "relu"}, {"type": "maxpool2d", "kernel": 2},
    {"type": "conv2d", "out_channels": 4, "kernel": 3, "stride": 2, "padding": 1},
    {"type": "relu"}, {"type": "maxpool2d", "kernel": 3, "stride": 2, "padding": 1},
    {"type": "conv2d", "out_channels": 3, "kernel": 1}, {"type": "tanh"},
    {"type": "conv2d", "out_channels": 3, "kernel": 2}, {"type": "relu"},
    {"type": "flatten"}, {"type": "linear", "out_features": 10}],
  "init": "he"})";

ModelSpec spec_named(const std::string& name) {
  if (name == "odd") return ModelSpec::parse(kOdd, "odd");
  MultiLayerOptions o;
  o.batchnorm = true;
  return builtin_spec(name, o);
}

// A batch as the data looks: mostly zeros (MNIST's background), the rest in (0, 1].
Tensor sparse_batch(const Shape& sample, int64_t n, Rng& rng) {
  Tensor x(sample.with_batch(n));
  for (float& v : x) v = rng.uniform() < 0.2f ? rng.uniform(0.05f, 1.0f) : 0.0f;
  return x;
}

}  // namespace

TEST(FastLayers, TheFastEngineComputesWhatTheBookComputes) {
  const int threads = num_threads();
  for (const std::string name :
       {"two_layer_net", "multi_layer_net", "simple_convnet", "deep_convnet", "lenet5",
        "alexnet_cifar", "resnet_cifar", "odd"}) {
    for (int t : {1, 2}) {
      SCOPED_TRACE(name + " threads=" + std::to_string(t));
      set_num_threads(t);
      const ModelSpec spec = spec_named(name);
      Rng rng_fast(1), rng_book(1);
      Sequential fast(spec, rng_fast, Engine::fast), book(spec, rng_book, Engine::book);
      const std::vector<NamedTensor> from = fast.state(), to = book.state();
      ASSERT_EQ(from.size(), to.size());
      for (size_t i = 0; i < from.size(); ++i) to[i].tensor->copy_from(*from[i].tensor);
      Rng data(2);
      // Big enough for the sparse first layer; the colour models need no more than a few.
      const int64_t n = spec.input[0] == 3 ? 8 : 128;
      const Tensor x = sparse_batch(spec.input, n, data);
      std::vector<int32_t> labels(static_cast<size_t>(n));
      for (int32_t& l : labels) l = static_cast<int32_t>(data.below(10));
      const Target target{labels, nullptr};
      for (Sequential* m : {&fast, &book}) {
        m->zero_grad();
        m->loss(x, target, false);  // evaluation mode: dropout off in both
        m->backward();
      }
      if (name == "two_layer_net") {
        EXPECT_TRUE(static_cast<SparseInputLinear&>(fast.layer(0)).last_input_sparse());
      }
      expect_close(fast.prediction(), book.prediction(), "prediction");
      const std::vector<NamedParam> gf = fast.named_params(), gb = book.named_params();
      for (size_t i = 0; i < gf.size(); ++i) {
        expect_close(gf[i].param->grad, gb[i].param->grad, gf[i].name + " gradient");
      }
    }
  }
  set_num_threads(threads);
}

TEST(FastLayers, ThePlanFusesAndSwapsOnlyInTheFastEngine) {
  Rng rng(0);
  const ModelSpec spec = builtin_spec("simple_convnet");
  Sequential fast(spec, rng, Engine::fast), book(spec, rng, Engine::book);
  // conv + relu + pool as one step, then flatten, linear, relu, linear.
  ASSERT_EQ(fast.steps().size(), 5u);
  EXPECT_EQ(std::string(fast.steps()[0]->type()), "conv2d+relu+maxpool2d");
  ASSERT_EQ(book.steps().size(), spec.layers.size());
  for (size_t i = 0; i < spec.layers.size(); ++i) {
    EXPECT_EQ(book.steps()[i], &book.layer(i));
    EXPECT_EQ(std::string(book.layer(i).type()), spec.layers[i].type);
  }
  EXPECT_EQ(fast.num_params(), book.num_params());
  // A residual block's convolutions are fast ones too.
  Sequential resnet(builtin_spec("resnet_cifar"), rng, Engine::fast);
  const auto& block = dynamic_cast<const ResidualBlock&>(resnet.layer(4));
  EXPECT_NE(dynamic_cast<const FastConv2d*>(&block.conv1()), nullptr);
}
