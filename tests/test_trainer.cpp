// Training: XOR by backpropagation, MNIST learning in a short run, divergence reported,
// determinism, and checkpoints that resume exactly.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "nnzero/data/mnist.h"
#include "nnzero/model/builtin.h"
#include "nnzero/model/model_file.h"
#include "nnzero/model/sequential.h"
#include "nnzero/parallel.h"
#include "nnzero/train/evaluate.h"
#include "nnzero/train/lr_schedule.h"
#include "nnzero/train/trainer.h"
#include "test_data_dir.h"
#include "test_support.h"

using namespace nnzero;

namespace {
Dataset xor_dataset() {
  Dataset d;
  d.name = "xor";
  d.sample_shape = Shape{2};
  d.features = {0, 0, 0, 1, 1, 0, 1, 1};
  d.labels = {0, 1, 1, 0};
  d.num_classes = 2;
  return d;
}

// The first n samples of MNIST's training set.
Dataset first(const Dataset& data, int32_t n) {
  std::vector<int32_t> idx(static_cast<size_t>(n));
  for (int32_t i = 0; i < n; ++i) idx[static_cast<size_t>(i)] = i;
  return subset(data, idx);
}

std::vector<float> weights(Sequential& model) {
  std::vector<float> all;
  for (const NamedTensor& t : model.state())
    all.insert(all.end(), t.tensor->begin(), t.tensor->end());
  return all;
}

TrainOptions quiet(int64_t epochs, const std::string& optimizer) {
  TrainOptions o;
  o.epochs = epochs;
  o.optimizer = optimizer;
  o.log_epochs = false;
  return o;
}
}  // namespace

TEST(Trainer, LearnsXorByBackpropagation) {
  // XOR is not linearly separable (chapter 2): a hidden layer, trained by backprop, solves it.
  const ModelSpec spec = ModelSpec::parse(
      R"({"name": "xor", "input": [2], "init": "xavier",
          "layers": [{"type": "linear", "out_features": 8}, {"type": "tanh"},
                     {"type": "linear", "out_features": 2}]})");
  Rng rng(3);
  Sequential model(spec, rng);
  const Dataset xor_data = xor_dataset();
  TrainOptions o = quiet(500, "sgd");
  o.lr = 0.5f;
  o.batch = 4;
  Trainer trainer(model, xor_data, &xor_data, o);
  const TrainResult r = trainer.run();
  EXPECT_EQ(r.test_acc, 1.0);
  EXPECT_LT(r.test_loss, 0.05);
}

TEST(Trainer, TheModelFileHoldsTheLastEpochsMetrics) {
  // nnzero.metrics: what `nnzero serve` shows on the model's card.
  const ModelSpec spec = ModelSpec::parse(
      R"({"name": "xor", "input": [2], "init": "xavier",
          "layers": [{"type": "linear", "out_features": 8}, {"type": "tanh"},
                     {"type": "linear", "out_features": 2}]})");
  Rng rng(3);
  Sequential model(spec, rng);
  const Dataset xor_data = xor_dataset();
  nnzero_test::ScratchDir scratch;
  TrainOptions o = quiet(3, "sgd");
  o.batch = 2;
  o.out_dir = scratch.path().string();
  Trainer trainer(model, xor_data, &xor_data, o);
  const TrainResult r = trainer.run();
  const LoadedModel saved = load_model(scratch / "model.safetensors");
  const nlohmann::json metrics = nlohmann::json::parse(saved.metadata.at("nnzero.metrics"));
  EXPECT_EQ(metrics.at("epochs"), 3);
  EXPECT_EQ(metrics.at("steps"), 6);
  EXPECT_EQ(metrics.at("test_acc").get<double>(), r.test_acc);
  EXPECT_EQ(metrics.at("train_loss").get<double>(), r.train_loss);
}

TEST(Trainer, TwoLayerNetLearnsMnistInOneEpoch) {
  NNZERO_MNIST_DIR_OR_SKIP(dir);
  const Mnist mnist = load_mnist(dir);
  Rng rng(0);
  Sequential model(builtin_spec("two_layer_net"), rng);
  TrainOptions o = quiet(1, "sgd");
  o.lr = 0.1f;
  Trainer trainer(model, mnist.train, &mnist.test, o);
  const TrainResult r = trainer.run();
  EXPECT_EQ(r.steps, 600);
  EXPECT_GT(r.test_acc, 0.90);  // the book's first epoch: about 0.90
  ASSERT_EQ(r.history.size(), 1u);
  EXPECT_GT(r.history[0].train_acc, 0.88);
}

TEST(Trainer, DivergenceIsAnErrorNamingTheStep) {
  NNZERO_MNIST_DIR_OR_SKIP(dir);
  const Dataset train = first(load_mnist(dir).train, 500);
  Rng rng(0);
  Sequential model(builtin_spec("two_layer_net"), rng);
  TrainOptions o = quiet(5, "sgd");
  o.lr = 1e9f;
  Trainer trainer(model, train, nullptr, o);
  const std::string e = nnzero_test::error_of([&] { trainer.run(); });
  EXPECT_HAS(e, "training diverged: the loss is");
  EXPECT_HAS(e, "at step");
  EXPECT_HAS(e, "smaller learning rate");
}

TEST(Trainer, SameSeedSameWeightsWithOneThread) {
  NNZERO_MNIST_DIR_OR_SKIP(dir);
  const Dataset train = first(load_mnist(dir).train, 1000);
  const int threads = num_threads();
  set_num_threads(1);
  std::vector<float> w[2];
  for (auto& out : w) {
    Rng rng(7);
    MultiLayerOptions mo;
    mo.hidden = {40, 40};
    mo.dropout = 0.2f;
    mo.batchnorm = true;
    Sequential model(builtin_spec("multi_layer_net", mo), rng);
    TrainOptions o = quiet(2, "adam");
    o.seed = 7;
    Trainer(model, train, nullptr, o).run();
    out = weights(model);
  }
  set_num_threads(threads);
  ASSERT_EQ(w[0].size(), w[1].size());
  EXPECT_EQ(std::memcmp(w[0].data(), w[1].data(), w[0].size() * sizeof(float)), 0);
}

namespace {
// Trains 3 epochs straight, and again stopped mid-epoch and resumed from the checkpoint into
// a fresh model: the weights must be the same, bit for bit.
void expect_resume_bit_for_bit(const std::string& lr_schedule) {
  NNZERO_MNIST_DIR_OR_SKIP(dir);
  const Dataset train = first(load_mnist(dir).train, 1000);
  const int threads = num_threads();
  set_num_threads(1);
  MultiLayerOptions mo;
  mo.hidden = {32};
  mo.dropout = 0.3f;
  mo.batchnorm = true;
  const ModelSpec spec = builtin_spec("multi_layer_net", mo);
  nnzero_test::ScratchDir scratch;

  // Straight through: 3 epochs.
  Rng rng_a(1);
  Sequential a(spec, rng_a);
  TrainOptions o = quiet(3, "adam");
  o.seed = 11;
  o.lr_schedule = lr_schedule;
  Trainer(a, train, nullptr, o).run();

  // Stopped after 13 steps (mid-epoch 2), then resumed into a fresh model and trainer.
  Rng rng_b(1);
  Sequential b(spec, rng_b);
  TrainOptions ob = o;
  ob.out_dir = scratch.path().string();
  ob.on_step = [](int64_t step, double) {
    if (step == 13) request_stop();
  };
  const TrainResult first_part = Trainer(b, train, nullptr, ob).run();
  clear_stop_request();
  EXPECT_TRUE(first_part.interrupted);
  EXPECT_EQ(first_part.steps, 13);

  if (lr_schedule != "constant") {  // a trainer set up with another schedule refuses it
    Sequential other(spec, rng_b);
    TrainOptions constant = Trainer::checkpoint_options(scratch.path().string());
    constant.lr_schedule = "constant";
    Trainer wrong(other, train, nullptr, constant);
    EXPECT_HAS(nnzero_test::error_of([&] {
                 wrong.load_checkpoint(Trainer::checkpoint_path(scratch.path().string()));
               }),
               "the checkpoint was made with learning-rate schedule " + lr_schedule);
  }
  Rng rng_c(99);  // different initial weights: the checkpoint must overwrite them all
  Sequential c(spec, rng_c);
  Trainer resumed(c, train, nullptr, Trainer::checkpoint_options(scratch.path().string()));
  resumed.load_checkpoint(Trainer::checkpoint_path(scratch.path().string()));
  const TrainResult rest = resumed.run();
  set_num_threads(threads);
  EXPECT_EQ(rest.steps, 30);
  EXPECT_EQ(rest.epochs, 3);
  const auto wa = weights(a), wc = weights(c);
  ASSERT_EQ(wa.size(), wc.size());
  EXPECT_EQ(std::memcmp(wa.data(), wc.data(), wa.size() * sizeof(float)), 0);
}
}  // namespace

TEST(Trainer, CheckpointMidEpochResumesBitForBit) {
  expect_resume_bit_for_bit("constant");
}

TEST(Trainer, CheckpointWithCosineScheduleResumesBitForBit) {
  expect_resume_bit_for_bit("cosine");
}

TEST(Trainer, CosineScheduleDecaysTheRateToZeroOverTheRun) {
  EXPECT_DOUBLE_EQ(lr_factor("constant", 7, 10), 1.0);
  EXPECT_DOUBLE_EQ(lr_factor("cosine", 0, 10), 1.0);
  EXPECT_NEAR(lr_factor("cosine", 5, 10), 0.5, 1e-12);
  EXPECT_NEAR(lr_factor("cosine", 9, 10), 0.5 * (1 + std::cos(0.9 * M_PI)), 1e-12);
  EXPECT_NEAR(lr_factor("cosine", 10, 10), 0.0, 1e-12);
  EXPECT_HAS(nnzero_test::error_of([] { check_lr_schedule("cosin"); }),
             "unknown learning-rate schedule \"cosin\" (known: constant, cosine)");

  // 4 samples, batch 1, 3 epochs: 12 steps; the 12th update uses step 11 of 12.
  Rng rng(3);
  Sequential model(ModelSpec::parse(R"({"input": [2], "layers": [{"type": "linear",
                                                                  "out_features": 2}]})"),
                   rng);
  const Dataset d = xor_dataset();
  TrainOptions o = quiet(3, "sgd");
  o.batch = 1;
  o.lr = 0.2f;
  o.lr_schedule = "cosine";
  Trainer trainer(model, d, nullptr, o);
  trainer.run();
  EXPECT_FLOAT_EQ(trainer.optimizer().lr(),
                  static_cast<float>(0.2 * 0.5 * (1 + std::cos(11.0 / 12.0 * M_PI))));

  // --max-steps shortens the run the schedule spans.
  o.max_steps = 4;
  Trainer short_run(model, d, nullptr, o);
  short_run.run();
  EXPECT_FLOAT_EQ(short_run.optimizer().lr(),
                  static_cast<float>(0.2 * 0.5 * (1 + std::cos(3.0 / 4.0 * M_PI))));
}

TEST(Trainer, RejectsBadOptionsAndMismatchedData) {
  Rng rng(0);
  Sequential model(builtin_spec("two_layer_net"), rng);
  const Dataset xor_data = xor_dataset();
  TrainOptions o = quiet(1, "sgd");
  EXPECT_HAS(nnzero_test::error_of([&] { Trainer(model, xor_data, nullptr, o); }),
             "the data's samples have shape (2) but the model's input is (784)");
  Sequential small(
      ModelSpec::parse(R"({"input": [2], "layers": [{"type": "linear", "out_features": 2}]})"),
      rng);
  o.batch = 0;
  EXPECT_HAS(nnzero_test::error_of([&] { Trainer(small, xor_data, nullptr, o); }),
             "batch must be at least 1");
  o.batch = 2;
  o.epochs = 0;
  EXPECT_HAS(nnzero_test::error_of([&] { Trainer(small, xor_data, nullptr, o); }),
             "epochs must be at least 1");
  o.epochs = 1;
  o.optimizer = "lamb";
  EXPECT_HAS(nnzero_test::error_of([&] { Trainer(small, xor_data, nullptr, o); }),
             "unknown optimizer");
}

TEST(Trainer, WeightDecayAddsLambdaWToTheGradient) {
  // The book's weight decay: loss + 1/2 lambda ||W||^2, gradient + lambda W (weights only).
  const ModelSpec spec =
      ModelSpec::parse(R"({"input": [2], "layers": [{"type": "linear", "out_features": 2}]})");
  Rng rng(0);
  Sequential model(spec, rng);
  const Dataset d = xor_dataset();
  Tensor x(Shape{4, 2}, std::span<const float>(d.features));
  model.zero_grad();
  const double plain = model.loss(x, Target{d.labels, nullptr}, true);
  model.backward();
  const Tensor g_plain = model.named_params()[0].param->grad.clone();
  const Tensor b_plain = model.named_params()[1].param->grad.clone();
  model.set_weight_decay(0.5f);
  model.zero_grad();
  const double decayed = model.loss(x, Target{d.labels, nullptr}, true);
  model.backward();
  const Tensor& w = model.named_params()[0].param->value;
  double sum_sq = 0.0;
  for (float v : w) sum_sq += static_cast<double>(v) * v;
  EXPECT_NEAR(decayed - plain, 0.25 * sum_sq, 1e-6);
  for (int64_t i = 0; i < w.numel(); ++i) {
    EXPECT_NEAR(model.named_params()[0].param->grad[i], g_plain[i] + 0.5f * w[i], 1e-6);
  }
  for (int64_t i = 0; i < 2; ++i) EXPECT_EQ(model.named_params()[1].param->grad[i], b_plain[i]);
}
