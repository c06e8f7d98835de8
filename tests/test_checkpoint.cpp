// Checkpoints that are corrupt or edited by hand: every field of the training state is
// checked when a run resumes, and a bad one is an error naming it (never a crash in the batch
// gather, never an endless loop in the shuffle); and the run folder rules that keep one run
// from losing another's files.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "nnzero/io/folder_lock.h"
#include "nnzero/io/safetensors.h"
#include "nnzero/model/sequential.h"
#include "nnzero/train/checkpoint.h"
#include "nnzero/train/trainer.h"
#include "test_support.h"

using namespace nnzero;
using nlohmann::json;
using nnzero_test::error_of;
using nnzero_test::ScratchDir;

namespace {

Dataset tiny_dataset() {
  Dataset d;
  d.name = "tiny";
  d.sample_shape = Shape{4};
  Rng rng(1);
  for (int i = 0; i < 40; ++i) {
    for (int k = 0; k < 4; ++k) d.features.push_back(rng.uniform());
    d.labels.push_back(i % 3);
  }
  d.num_classes = 3;
  return d;
}

const char* kSpec = R"({"name": "tiny", "input": [4], "layers": [
    {"type": "linear", "out_features": 8}, {"type": "relu"}, {"type": "dropout", "p": 0.2},
    {"type": "linear", "out_features": 3}]})";

TrainOptions options(const std::string& out) {
  TrainOptions o;
  o.epochs = 2;
  o.batch = 8;
  o.optimizer = "adam";
  o.log_epochs = false;
  o.out_dir = out;
  return o;
}

// A finished run's checkpoint in `dir`.
std::string make_checkpoint(const ScratchDir& dir, const Dataset& data) {
  Rng rng(2);
  Sequential model(ModelSpec::parse(kSpec), rng);
  Trainer trainer(model, data, nullptr, options(dir / "run"));
  trainer.run();
  return Trainer::checkpoint_path(dir / "run");
}

// The checkpoint at `path` with its training state edited by `edit`, written to `out`.
void edit_state(const std::string& path, const std::string& out,
                const std::function<void(json&)>& edit) {
  const SafetensorsFile f = SafetensorsFile::read(path);
  json state = json::parse(f.metadata().at("nnzero.checkpoint"));
  edit(state);
  std::map<std::string, std::string> metadata = f.metadata();
  metadata["nnzero.checkpoint"] = state.dump();
  std::vector<Tensor> tensors;
  for (const SafetensorsEntry& e : f.entries()) tensors.push_back(f.tensor(e.name));
  std::vector<std::pair<std::string, const Tensor*>> named;
  for (size_t i = 0; i < tensors.size(); ++i) named.emplace_back(f.entries()[i].name, &tensors[i]);
  write_safetensors(out, named, metadata);
}

}  // namespace

TEST(Checkpoint, TheStateRoundTrips) {
  ScratchDir dir;
  const Dataset data = tiny_dataset();
  const std::string path = make_checkpoint(dir, data);
  const SafetensorsFile f = SafetensorsFile::read(path);
  const CheckpointState s = CheckpointState::parse(f.metadata().at("nnzero.checkpoint"), path);
  EXPECT_EQ(s.epoch, 2);
  EXPECT_EQ(s.step, 10);
  EXPECT_EQ(s.history.size(), 2u);
  EXPECT_EQ(s.dropout_rngs.size(), 1u);
  EXPECT_EQ(CheckpointState::parse(s.to_json(), "again").to_json(), s.to_json());
}

TEST(Checkpoint, EveryBadFieldIsNamedWhenResuming) {
  ScratchDir dir;
  const Dataset data = tiny_dataset();
  const std::string path = make_checkpoint(dir, data);
  struct Case {
    std::string what;
    std::function<void(json&)> edit;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"negative batch", [](json& s) { s["batch_in_epoch"] = -3; }, "\"batch_in_epoch\""},
      {"batch past the epoch", [](json& s) { s["batch_in_epoch"] = 5; }, "stopped at batch 5"},
      {"negative step", [](json& s) { s["step"] = -1; }, "\"step\""},
      {"negative epoch", [](json& s) { s["epoch"] = -2; }, "\"epoch\""},
      {"zero shuffle state",
       [](json& s) {
         s["epoch_rng"] = {"0", "0", "0", "0"};
       },
       "\"epoch_rng\" is all zero"},
      {"zero dropout state",
       [](json& s) {
         s["dropout_rngs"][0] = {"0", "0", "0", "0"};
       },
       "all zero"},
      {"text in the generator", [](json& s) { s["epoch_rng"][1] = "12abc"; },
       "\"epoch_rng\" must be a decimal number"},
      {"a number too big", [](json& s) { s["epoch_rng"][1] = "99999999999999999999"; },
       "beyond 2^64"},
      {"missing dropout state", [](json& s) { s["dropout_rngs"] = json::array(); },
       "0 dropout generators, the model has 1"},
      {"NaN learning rate", [](json& s) { s["lr"] = "nan"; }, "\"lr\""},
      {"negative seconds", [](json& s) { s["seconds"] = -5.0; }, "\"seconds\""},
      {"bad history",
       [](json& s) {
         s["history"][0] = {0, 1, 2};
       },
       "\"history\" rows"},
      {"seed as a number", [](json& s) { s["seed"] = 7; }, "\"seed\""},
      {"2^64 - 1 as an integer", [](json& s) { s["step"] = 18446744073709551615ULL; }, "\"step\""},
      {"unknown schedule", [](json& s) { s["lr_schedule"] = "linear"; }, "learning-rate schedule"},
      {"not an object", [](json& s) { s = json::array(); }, "not a JSON object"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const std::string bad = dir / "bad.safetensors";
    edit_state(path, bad, c.edit);
    Rng rng(2);
    Sequential model(ModelSpec::parse(kSpec), rng);
    Trainer trainer(model, data, nullptr, options(""));
    const std::string message = error_of([&] { trainer.load_checkpoint(bad); });
    EXPECT_HAS(message, "bad.safetensors");
    EXPECT_HAS(message, c.message);
  }
}

TEST(Checkpoint, AnAllZeroGeneratorIsRefused) {
  Rng rng(1);
  EXPECT_HAS(error_of([&] { rng.set_state(Rng::State{}); }), "all zero");
  EXPECT_NE(rng.state(), Rng::State{});
}

TEST(Checkpoint, MaxStepsAtAnEpochsEndAddsNoEmptyEpoch) {
  // 40 samples in batches of 8: 5 steps an epoch; 10 steps end exactly at epoch 2.
  ScratchDir dir;
  const Dataset data = tiny_dataset();
  Rng rng(2);
  Sequential model(ModelSpec::parse(kSpec), rng);
  TrainOptions o = options(dir / "run");
  o.epochs = 10;
  o.max_steps = 10;
  Trainer trainer(model, data, nullptr, o);
  const TrainResult r = trainer.run();
  EXPECT_EQ(r.steps, 10);
  EXPECT_EQ(r.epochs, 2);
  ASSERT_EQ(r.history.size(), 2u);
  const std::string csv = nnzero_test::slurp(dir / "run/metrics.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 3) << csv;  // header + 2 epochs
  // 12 steps: two epochs and a part of the third, which counts.
  Rng rng2(2);
  Sequential model2(ModelSpec::parse(kSpec), rng2);
  o.max_steps = 12;
  o.out_dir = dir / "run2";
  EXPECT_EQ(Trainer(model2, data, nullptr, o).run().epochs, 3);
}

TEST(Checkpoint, MetricsAreNaNBeforeAnyEvaluation) {
  const Dataset data = tiny_dataset();
  Rng rng(2);
  Sequential model(ModelSpec::parse(kSpec), rng);
  TrainOptions o = options("");
  o.max_steps = 1;
  o.epochs = 1;
  Trainer trainer(model, data, nullptr, o);
  request_stop();  // stops before the first step: no epoch ends
  const TrainResult r = trainer.run();
  clear_stop_request();
  EXPECT_TRUE(r.interrupted);
  EXPECT_TRUE(std::isnan(r.test_acc));
  EXPECT_TRUE(std::isnan(r.train_acc));
}

TEST(Checkpoint, ARunFolderHasOneWriter) {
  ScratchDir dir;
  const Dataset data = tiny_dataset();
  FolderLock held(dir / "run");  // another run writing there
  Rng rng(2);
  Sequential model(ModelSpec::parse(kSpec), rng);
  Trainer trainer(model, data, nullptr, options(dir / "run"));
  EXPECT_HAS(error_of([&] { trainer.run(); }), "another nnzero run is writing to this folder");
  EXPECT_FALSE(std::filesystem::exists(dir / "run/model.safetensors"));
  // A folder that cannot be made is found before training.
  nnzero_test::spit(dir / "file", "x");
  EXPECT_HAS(error_of([&] { FolderLock lock(dir / "file/run"); }), "file/run");
}
