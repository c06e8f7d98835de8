// The residual block (layers/residual_block.h) and the built-in networks for 32x32 colour
// images. The registry-wide tests (test_layer_registry.cpp, test_torch_interop.cpp) check
// the block with a projection shortcut against numerical gradients and against PyTorch;
// these check what is particular to it: its shortcut, its names, freezing, and that
// resnet_cifar and alexnet_cifar learn.
#include <gtest/gtest.h>

#include <algorithm>

#include "nnzero/layers/residual_block.h"
#include "nnzero/model/builtin.h"
#include "nnzero/model/sequential.h"
#include "nnzero/train/gradcheck.h"
#include "nnzero/train/trainer.h"
#include "test_support.h"

using namespace nnzero;

namespace {

std::vector<std::string> param_names(Layer& layer) {
  std::vector<std::string> out;
  for (Param* p : layer.params()) out.push_back(p->name);
  for (const Buffer& b : layer.buffers()) out.push_back(b.name);
  return out;
}

// Colour images whose class is where a bright square is, left or right, on noise.
Dataset squares(int64_t n, uint64_t seed) {
  Rng rng(seed);
  Dataset d;
  d.name = "squares";
  d.sample_shape = Shape{3, 32, 32};
  d.num_classes = 2;
  for (int64_t i = 0; i < n; ++i) {
    const int32_t label = static_cast<int32_t>(rng.below(2));
    const int64_t x0 = label == 0 ? 2 + static_cast<int64_t>(rng.below(8))
                                  : 18 + static_cast<int64_t>(rng.below(8)),
                  y0 = 2 + static_cast<int64_t>(rng.below(20));
    const int64_t c = static_cast<int64_t>(rng.below(3));
    for (int64_t ch = 0; ch < 3; ++ch) {
      for (int64_t y = 0; y < 32; ++y) {
        for (int64_t x = 0; x < 32; ++x) {
          const bool lit = ch == c && x >= x0 && x < x0 + 6 && y >= y0 && y < y0 + 6;
          d.features.push_back((lit ? 0.9f : 0.0f) + 0.2f * rng.uniform());
        }
      }
    }
    d.labels.push_back(label);
  }
  return d;
}

}  // namespace

TEST(ResidualBlock, TheShortcutIsTheIdentityUnlessTheShapeChanges) {
  ResidualBlock same(Shape{4, 6, 6}, 4, 1);
  EXPECT_FALSE(same.has_projection());
  EXPECT_EQ(same.out_shape(), (Shape{4, 6, 6}));
  EXPECT_EQ(param_names(same),
            (std::vector<std::string>{"conv1.weight", "bn1.weight", "bn1.bias", "conv2.weight",
                                      "bn2.weight", "bn2.bias", "bn1.running_mean",
                                      "bn1.running_var", "bn2.running_mean", "bn2.running_var"}));
  // A stride of 2 on an odd size: ceil(9 / 2) = 5, as PyTorch's padding-1 3x3 convolution.
  ResidualBlock down(Shape{3, 9, 9}, 8, 2);
  EXPECT_TRUE(down.has_projection());
  EXPECT_EQ(down.out_shape(), (Shape{8, 5, 5}));
  const std::vector<std::string> names = param_names(down);
  for (const char* name : {"shortcut.0.weight", "shortcut.1.weight", "shortcut.1.bias",
                           "shortcut.1.running_mean", "shortcut.1.running_var"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
  }
  EXPECT_TRUE(ResidualBlock(Shape{3, 9, 9}, 8, 1).has_projection());  // channels change
  // 3x3 convolutions of 3 -> 8 and 8 -> 8 channels on 5x5 outputs, and the 1x1 projection.
  EXPECT_DOUBLE_EQ(down.flops(), 2.0 * 25 * 8 * (3 * 9 + 8 * 9 + 3));
}

TEST(ResidualBlock, WithItsResidualSilencedTheBlockIsReluOfItsInput) {
  // bn2's gamma and beta at zero make F(x) = 0: out = relu(x), and dL/dx = dout where x > 0.
  Rng rng(4);
  ResidualBlock block(Shape{2, 5, 5}, 2, 1);
  for (Param* p : block.params()) rng.fill_normal(p->value, 0.0f, 1.0f);
  for (Param* p : block.params()) {
    if (p->name.starts_with("bn2.")) p->value.zero();
  }
  Tensor x(Shape{3, 2, 5, 5}), dout(Shape{3, 2, 5, 5});
  rng.fill_normal(x, 0.0f, 1.0f);
  rng.fill_normal(dout, 0.0f, 1.0f);
  const Tensor& y = block.forward(x, true);
  for (int64_t i = 0; i < x.numel(); ++i) ASSERT_FLOAT_EQ(y[i], std::max(x[i], 0.0f)) << i;
  const Tensor& dx = block.backward(dout);
  // The main path adds its own part (bn2's gamma is 0, so nothing flows back through it).
  for (int64_t i = 0; i < x.numel(); ++i) {
    ASSERT_FLOAT_EQ(dx[i], x[i] > 0.0f ? dout[i] : 0.0f) << i;
  }
}

TEST(ResidualBlock, AnIdentityBlockMatchesNumericalGradients) {
  for (const bool train : {true, false}) {
    SCOPED_TRACE(train ? "training" : "evaluation");
    Rng rng(7);
    ResidualBlock block(Shape{3, 4, 5}, 3, 1);
    for (Param* p : block.params()) rng.fill_normal(p->value, 0.0f, 1.0f);
    Tensor x(Shape{3, 3, 4, 5});
    rng.fill_normal(x, 0.0f, 1.0f);
    GradCheckOptions o;
    o.train = train;
    const auto results = gradcheck_layer(block, x, rng, o);
    ASSERT_EQ(results.size(), 7u);  // x and six parameters
    for (const GradCheckResult& r : results) EXPECT_LT(r.rel_error, kGradCheckTolerance) << r.name;
  }
}

TEST(ResidualBlock, AFrozenBlockKeepsItsWeightsAndStatistics) {
  const ModelSpec spec = ModelSpec::parse(R"({
    "name": "frozen", "input": [3, 8, 8],
    "layers": [
      {"type": "residual_block", "out_channels": 4, "stride": 2, "trainable": false},
      {"type": "residual_block", "out_channels": 4},
      {"type": "global_avgpool2d"}, {"type": "flatten"},
      {"type": "linear", "out_features": 2}]})");
  Rng rng(1);
  Sequential model(spec, rng);
  const std::vector<NamedTensor> state = model.state();
  std::vector<Tensor> before;
  for (const NamedTensor& t : state) before.push_back(t.tensor->clone());
  Tensor x(Shape{6, 3, 8, 8});
  rng.fill_normal(x, 0.5f, 1.0f);
  const std::vector<int32_t> labels{0, 1, 0, 1, 1, 0};
  std::vector<Param*> params;
  for (const NamedParam& p : model.named_params()) params.push_back(p.param);
  auto opt = make_optimizer("sgd", params, 0.1f);
  for (int step = 0; step < 3; ++step) {
    model.zero_grad();
    model.loss(x, Target{labels, nullptr}, true);
    model.backward();
    opt->step();
  }
  for (size_t i = 0; i < state.size(); ++i) {
    SCOPED_TRACE(state[i].name);
    const bool first = state[i].name.starts_with("0.");
    const bool same = std::equal(before[i].begin(), before[i].end(), state[i].tensor->begin());
    EXPECT_EQ(same, first);  // the frozen block unchanged (running statistics too), the rest moved
  }
}

TEST(ResidualBlock, BlocksFirstOrFrozenOverATrainableLayerPassTheGradientCheck) {
  // A projection block first (its convolutions compute no dL/dx), and a frozen block between
  // trainable layers (backward goes through its BatchNorms in evaluation mode).
  for (const char* json : {R"({"input": [3, 7, 7], "layers": [
             {"type": "residual_block", "out_channels": 4, "stride": 2},
             {"type": "flatten"}, {"type": "linear", "out_features": 3}]})",
                           R"({"input": [3, 7, 7], "layers": [
             {"type": "conv2d", "out_channels": 4, "kernel": 3, "padding": 1},
             {"type": "residual_block", "out_channels": 4, "trainable": false},
             {"type": "flatten"}, {"type": "linear", "out_features": 3}]})"}) {
    SCOPED_TRACE(json);
    Rng rng(2);
    Sequential model(ModelSpec::parse(json, "spec"), rng);
    const auto results = gradcheck_model(model, 4, rng, GradCheckOptions{});
    ASSERT_FALSE(results.empty());
    for (const GradCheckResult& r : results) EXPECT_LT(r.rel_error, kGradCheckTolerance) << r.name;
  }
}

TEST(ResidualBlock, ResidualBlocksNeedImages) {
  const auto build_error = [](const char* json) {
    return nnzero_test::error_of([&] {
      Rng rng(0);
      Sequential model(ModelSpec::parse(json, "spec"), rng);
    });
  };
  EXPECT_HAS(
      build_error(R"({"input": [12], "layers": [
               {"type": "residual_block", "out_channels": 4}, {"type": "linear", "out_features": 2}]})"),
      "layer 0 (residual_block): residual_block: needs samples of shape (C, H, W), got (12)");
  EXPECT_HAS(build_error(R"({"input": [3, 8, 8], "layers": [
               {"type": "residual_block", "out_channels": 4, "in_channels": 5},
               {"type": "flatten"}, {"type": "linear", "out_features": 2}]})"),
             "\"in_channels\" is 5 but the input to this layer has shape (3, 8, 8)");
}

// A colour network learns a task that needs where things are: a bright square on the left or
// the right of noisy 32x32 colour images, from 384 images in three dozen steps. (One test a
// network, so that ctest runs them side by side.)
namespace {
void learns_where_a_square_is(const std::string& name) {
  const Dataset train = squares(384, 1), test = squares(200, 2);
  const ModelSpec spec = builtin_spec(name);
  Rng rng(3);
  Sequential model(spec, rng);
  TrainOptions o;
  o.epochs = 3;
  o.batch = 32;
  o.optimizer = *spec.train.optimizer;
  o.lr = static_cast<float>(*spec.train.lr);
  o.lr_schedule = *spec.train.lr_schedule;
  o.log_epochs = false;
  o.train_eval_samples = 0;
  const TrainResult r = Trainer(model, train, &test, o).run();
  std::printf("%s: test accuracy %.3f after %lld steps\n", name.c_str(), r.test_acc,
              static_cast<long long>(r.steps));
  EXPECT_EQ(r.steps, 36);
  EXPECT_GT(r.test_acc, 0.9);
}
}  // namespace

TEST(CifarModels, ResnetLearnsWhereASquareIs) {
  learns_where_a_square_is("resnet_cifar");
}
TEST(CifarModels, AlexnetLearnsWhereASquareIs) {
  learns_where_a_square_is("alexnet_cifar");
}
