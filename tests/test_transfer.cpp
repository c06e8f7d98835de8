// Transfer learning: `--init-from` takes every layer of a model file whose tensors match by
// name and shape and says what it left fresh (model/model_file.h); a frozen layer ("trainable":
// false, `--freeze`) keeps its weights, a frozen BatchNorm its running statistics, and
// backpropagation stops at the lowest layer that trains (model/sequential.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "nnzero/io/safetensors.h"
#include "nnzero/model/model_file.h"
#include "nnzero/model/sequential.h"
#include "nnzero/train/gradcheck.h"
#include "nnzero/train/trainer.h"
#include "test_data_dir.h"
#include "test_support.h"

using namespace nnzero;
using nnzero_test::error_of;
using nnzero_test::run_cli;
using nnzero_test::ScratchDir;

namespace {
// A conv body (conv, BatchNorm, relu, flatten) and a linear head of `classes` outputs; the
// first two layers frozen when `frozen`.
ModelSpec body_and_head(int classes, bool frozen = false) {
  const std::string trainable = frozen ? R"(, "trainable": false)" : "";
  return ModelSpec::parse(R"({"name": "body_head", "input": [1, 6, 6], "layers": [
      {"type": "conv2d", "out_channels": 4, "kernel": 3)" +
                          trainable + R"(},
      {"type": "batchnorm2d")" +
                          trainable +
                          R"(}, {"type": "relu"}, {"type": "flatten"},
      {"type": "linear", "out_features": )" +
                          std::to_string(classes) + "}]}");
}

// 60 random 6x6 images in 3 classes.
Dataset random_images() {
  Dataset d;
  d.name = "random";
  d.sample_shape = Shape{1, 6, 6};
  Rng rng(5);
  for (int i = 0; i < 60; ++i) {
    for (int k = 0; k < 36; ++k) d.features.push_back(rng.uniform());
    d.labels.push_back(i % 3);
  }
  d.num_classes = 3;
  return d;
}

std::vector<float> values(const Tensor& t) {
  return std::vector<float>(t.data(), t.data() + t.numel());
}
}  // namespace

TEST(Transfer, InitFromTakesTheLayersThatMatchAndReportsTheRest) {
  ScratchDir dir;
  Rng rng_a(1), rng_b(2);
  Sequential a(body_and_head(10), rng_a);
  auto& bn_a = a.layer(1);
  for (const Buffer& b : bn_a.buffers()) b.value->fill(0.25f);  // statistics worth copying
  save_model(a, dir / "a.safetensors");

  Sequential b(body_and_head(3), rng_b);
  const std::vector<float> head_before = values(b.layer(4).params()[0]->value);
  const LoadedWeights w = load_weights(b, dir / "a.safetensors");
  EXPECT_EQ(w.loaded, (std::vector<std::string>{"0", "1"}));
  EXPECT_EQ(w.fresh,
            (std::vector<std::string>{"4 (4.weight is (10, 64) in the file, (3, 64) here)"}));
  EXPECT_EQ(w.unused, (std::vector<std::string>{"4.weight", "4.bias"}));
  EXPECT_EQ(values(b.layer(0).params()[0]->value), values(a.layer(0).params()[0]->value));
  EXPECT_EQ(values(*b.layer(1).buffers()[0].value), std::vector<float>(4, 0.25f));
  EXPECT_EQ(values(b.layer(4).params()[0]->value), head_before);  // its own initialisation

  // Nothing in common: refused, saying why for each layer.
  Rng rng_c(3);
  Sequential mlp(ModelSpec::parse(R"({"input": [784], "layers": [
      {"type": "linear", "out_features": 5}]})"),
                 rng_c);
  const std::string e = error_of([&] { load_weights(mlp, dir / "a.safetensors"); });
  EXPECT_HAS(e, "no layer of the model has its tensors in this file");
  EXPECT_HAS(e, "0 (0.weight is (4, 1, 3, 3) in the file, (5, 784) here)");
}

TEST(Transfer, FrozenLayersKeepTheirWeightsAndBatchNormItsStatistics) {
  for (const Engine engine : {Engine::fast, Engine::book}) {
    Rng rng(4);
    Sequential model(body_and_head(3, /*frozen=*/true), rng, engine);
    std::vector<std::vector<float>> frozen_before;
    for (size_t i : {0u, 1u}) {
      for (Param* p : model.layer(i).params()) frozen_before.push_back(values(p->value));
      for (const Buffer& b : model.layer(i).buffers()) frozen_before.push_back(values(*b.value));
    }
    const std::vector<float> head_before = values(model.layer(4).params()[0]->value);
    const Dataset data = random_images();
    TrainOptions o;
    o.epochs = 2;
    o.batch = 10;
    o.optimizer = "adam";
    o.weight_decay = 0.01f;
    o.log_epochs = false;
    Trainer(model, data, nullptr, o).run();

    std::vector<std::vector<float>> frozen_after;
    for (size_t i : {0u, 1u}) {
      for (Param* p : model.layer(i).params()) frozen_after.push_back(values(p->value));
      for (const Buffer& b : model.layer(i).buffers()) frozen_after.push_back(values(*b.value));
    }
    EXPECT_EQ(frozen_after, frozen_before);
    EXPECT_NE(values(model.layer(4).params()[0]->value), head_before);
    // Backpropagation stopped at the head: no gradient reached the frozen conv.
    const std::vector<float> conv_grad = values(model.layer(0).params()[0]->grad);
    EXPECT_TRUE(std::all_of(conv_grad.begin(), conv_grad.end(), [](float g) { return g == 0; }));
  }
}

TEST(Transfer, AFrozenBodyStillPassesTheGradientCheckOfWhatTrains) {
  // The conv trains, the BatchNorm above it is frozen (its running statistics in use): the
  // gradient flows through it to the conv.
  ModelSpec spec = body_and_head(3);
  spec.layers[1].fields["trainable"] = false;
  Rng rng(6);
  Sequential model(spec, rng, Engine::book);
  for (const Buffer& b : model.layer(1).buffers()) b.value->fill(0.5f);
  const std::vector<GradCheckResult> results = gradcheck_model(model, 4, rng);
  std::vector<std::string> names;
  for (const GradCheckResult& r : results) {
    names.push_back(r.name);
    EXPECT_LT(r.rel_error, kGradCheckTolerance) << r.name;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"0.weight", "0.bias", "4.weight", "4.bias"}));
}

TEST(Transfer, TheSpecKeepsTrainableOnlyWhenGivenAndEverythingFrozenIsRefused) {
  const ModelSpec frozen = body_and_head(3, true);
  EXPECT_HAS(frozen.to_json(), R"("trainable":false)");
  EXPECT_FALSE(frozen.layers[0].trainable());
  EXPECT_TRUE(frozen.layers[4].trainable());
  EXPECT_EQ(body_and_head(3).to_json().find("trainable"), std::string::npos);
  // `nnzero info` marks the frozen layers.
  ScratchDir dir;
  nnzero_test::spit(dir / "frozen.json", frozen.to_json());
  const auto info = run_cli("info frozen.json", dir);
  ASSERT_EQ(info.exit_code, 0) << info.err;
  const nlohmann::json layers = info.json()["layers"];
  EXPECT_TRUE(layers[0].value("frozen", false));
  EXPECT_TRUE(layers[1].value("frozen", false));
  EXPECT_FALSE(layers[4].contains("frozen"));
  EXPECT_HAS(info.err, "frozen");
  EXPECT_HAS(error_of([] {
               ModelSpec::parse(R"({"input": [4], "layers": [
                   {"type": "linear", "out_features": 2, "trainable": "no"}]})");
             }),
             R"("trainable" must be true or false)");

  ModelSpec all = frozen;
  all.layers[4].fields["trainable"] = false;
  Rng rng(7);
  Sequential model(all, rng);
  const Dataset data = random_images();
  TrainOptions o;
  o.log_epochs = false;
  EXPECT_HAS(error_of([&] { Trainer(model, data, nullptr, o); }),
             "every layer with parameters is frozen");
}

TEST(Transfer, TrainInitFromAndFreezeFromTheCommandLine) {
  NNZERO_MNIST_DIR_OR_SKIP(mnist);
  ScratchDir dir;
  const std::string body = R"({"name": "body", "input": [1, 28, 28], "layers": [
      {"type": "conv2d", "out_channels": 8, "kernel": 5}, {"type": "batchnorm2d"},
      {"type": "relu"}, {"type": "maxpool2d", "kernel": 2}, {"type": "flatten"},)";
  nnzero_test::spit(dir / "body.json", body + R"({"type": "linear", "out_features": 10}]})");
  nnzero_test::spit(dir / "wider.json", body + R"({"type": "linear", "out_features": 32},
      {"type": "relu"}, {"type": "linear", "out_features": 10}]})");
  const std::string common = " --data '" + mnist + "' --train-samples 1000 --max-steps 20 --quiet";
  const auto a = run_cli("train --spec body.json --out a" + common, dir);
  ASSERT_EQ(a.exit_code, 0) << a.err;

  // The same network, its body loaded and frozen: only the head trains.
  const auto b = run_cli(
      "train --spec body.json --init-from a/model.safetensors --freeze 0-3 --out b" + common, dir);
  ASSERT_EQ(b.exit_code, 0) << b.err;
  const nlohmann::json jb = b.json();
  EXPECT_EQ(jb["init_from"]["loaded"], (nlohmann::json{"0", "1", "5"}));
  EXPECT_EQ(jb["frozen"], (nlohmann::json{"0", "1"}));
  const SafetensorsFile fa = SafetensorsFile::read(dir / "a/model.safetensors");
  const SafetensorsFile fb = SafetensorsFile::read(dir / "b/model.safetensors");
  for (const char* name : {"0.weight", "0.bias", "1.weight", "1.running_mean", "1.running_var"}) {
    EXPECT_EQ(values(fb.tensor(name)), values(fa.tensor(name))) << name;
  }
  EXPECT_NE(values(fb.tensor("5.weight")), values(fa.tensor("5.weight")));
  EXPECT_HAS(fb.metadata().at("nnzero.spec"), R"("trainable":false)");

  // Another head: the body loads, the new layers start fresh, and the run says which.
  const auto c = run_cli(
      "train --spec wider.json --init-from a/model.safetensors --out c"
      " --data '" +
          mnist + "' --train-samples 100 --max-steps 1",
      dir);
  ASSERT_EQ(c.exit_code, 0) << c.err;
  const nlohmann::json jc = c.json()["init_from"];
  EXPECT_EQ(jc["loaded"], (nlohmann::json{"0", "1"}));
  EXPECT_EQ(jc["fresh"], (nlohmann::json{"5 (5.weight is (10, 1152) in the file, (32, 1152) here)",
                                         "7 (not in the file)"}));
  EXPECT_EQ(jc["unused"], (nlohmann::json{"5.weight", "5.bias"}));
  EXPECT_HAS(c.err, "--init-from a/model.safetensors: loaded layers 0, 1; initialised afresh 5 (");

  for (const auto& [flag, message] : std::vector<std::pair<std::string, std::string>>{
           {"--freeze x", "\"x\" is not a layer of body (layers 0 to 5"},
           {"--freeze 2-9", "\"9\" is not a layer of body"},
           {"--freeze 3-1", "the range \"3-1\" runs backwards"},
           {"--freeze 0-5", "every layer with parameters is frozen"}}) {
    const auto r = run_cli("train --spec body.json --out bad" + common + " " + flag, dir);
    EXPECT_EQ(r.exit_code, 2) << flag;
    EXPECT_HAS(r.err, message);
  }
}
