// The table workflow as a library call: train_table gives what `nnzero train --data` prints,
// write_table_run leaves all of a run folder or nothing, predict_table and load_table_spec.
#include <gtest/gtest.h>

#include <filesystem>

#include "nnzero/parallel.h"
#include "nnzero/train/table_predict.h"
#include "nnzero/train/table_training.h"
#include "table_support.h"
#include "test_support.h"

using namespace nnzero;
using nnzero_test::error_of;
using nnzero_test::ScratchDir;
using nnzero_test::spit;

namespace {
TableTrainOptions small_run(const std::string& data) {
  TableTrainOptions o;
  o.data = data;
  o.train.epochs = 20;
  o.train.lr = 0.01;
  return o;
}
}  // namespace

TEST(TableTraining, TrainTableGivesWhatTheCommandPrints) {
  set_num_threads(1);  // as the command's --threads 1: then the numbers agree bit for bit
  ScratchDir dir;
  spit(dir / "two.csv", nnzero_test::two_class_csv(90, 11));
  TableTrainOptions o = small_run(dir / "two.csv");
  o.folds = 3;
  std::vector<std::string> progress;
  o.on_progress = [&](const std::string& line) { progress.push_back(line); };
  const TableTrainResult r = train_table(o);
  ASSERT_FALSE(r.interrupted);
  EXPECT_EQ(r.validation, "folds");
  ASSERT_EQ(r.folds.size(), 3u);
  EXPECT_EQ(r.rows, 90);
  EXPECT_EQ(r.encoding.training_rows, 90);  // the saved model learned from every row
  ASSERT_NE(r.model, nullptr);
  EXPECT_EQ(r.model->input_shape(), (Shape{r.encoding.num_inputs()}));
  ASSERT_EQ(progress.size(), 6u);  // the table, 3 folds, the final model's training and score
  EXPECT_HAS(progress[1], "fold 1/3: 30 validation rows");

  const auto cli = nnzero_test::run_cli(
      "train --data two.csv --folds 3 --epochs 20 --lr 0.01 --out run --threads 1", dir);
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  const auto j = cli.json();
  EXPECT_EQ(j["rows"], r.rows);
  EXPECT_EQ(j["inputs"], r.encoding.num_inputs());
  EXPECT_EQ(j["val_acc"].get<double>(), r.mean(&TableScores::acc));
  EXPECT_EQ(j["test_loss"].get<double>(), r.mean(&TableScores::loss));
  EXPECT_EQ(j["train_acc"].get<double>(), r.train_acc());
  ASSERT_EQ(j["folds"].size(), r.folds.size());
  for (size_t f = 0; f < r.folds.size(); ++f) {
    EXPECT_EQ(j["folds"][f]["val_rows"], r.folds[f].val.rows);
    EXPECT_EQ(j["folds"][f]["val_acc"].get<double>(), r.folds[f].val.acc);
  }
  EXPECT_EQ(j["confusion"], nlohmann::json::array({{r.confusion[0], r.confusion[1]},
                                                   {r.confusion[2], r.confusion[3]}}));
  EXPECT_EQ(r.confusion[0] + r.confusion[1] + r.confusion[2] + r.confusion[3], 90);
  EXPECT_GT(r.mean(&TableScores::acc), 0.85);
}

TEST(TableTraining, WriteTableRunLeavesAllOrNothing) {
  ScratchDir dir;
  spit(dir / "lin.csv", nnzero_test::linear_csv(40, 2));
  TableTrainOptions o = small_run(dir / "lin.csv");
  o.val_split = 0.0;
  const TableTrainResult r = train_table(o);
  write_table_run(r, dir / "run");
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "run/model.safetensors"));
  EXPECT_EQ(nnzero_test::slurp(dir.path() / "run/metrics.csv"), table_metrics_csv(r));
  const LoadedModel m = load_model(dir / "run/model.safetensors");
  EXPECT_EQ(table_encoding_of(m, "run").to_json(), r.encoding.to_json());

  // The model's name is taken by a folder: the write fails, and metrics.csv is not left
  // behind without its model.
  std::filesystem::create_directories(dir.path() / "blocked/model.safetensors/x");
  EXPECT_ANY_THROW(write_table_run(r, dir / "blocked"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "blocked/metrics.csv"));

  TableTrainResult interrupted;
  interrupted.interrupted = true;
  EXPECT_HAS(error_of([&] { write_table_run(interrupted, dir / "none"); }), "interrupted");
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "none"));
}

TEST(TableTraining, PredictTableUsesTheSavedPreprocessing) {
  ScratchDir dir;
  spit(dir / "two.csv", nnzero_test::two_class_csv(120, 3));
  TableTrainOptions o = small_run(dir / "two.csv");
  o.val_split = 0.0;
  write_table_run(train_table(o), dir / "run");
  spit(dir / "ask.csv", "color,x1,x2\nred,2.0,9\nblue,-2.5,1\nred,oops,1\n");
  LoadedModel m = load_model(dir / "run/model.safetensors");
  const TablePredictions p = predict_table(m, "run", dir / "ask.csv");
  EXPECT_EQ(p.predictions, (std::vector<std::string>{"pos", "neg", ""}));
  EXPECT_EQ(p.predicted, 2);
  EXPECT_EQ(p.skipped, 1);
  EXPECT_EQ(p.class_counts, (std::map<std::string, int64_t>{{"neg", 1}, {"pos", 1}}));
  const CsvTable out = parse_csv(predictions_csv(p), "out");
  EXPECT_EQ(out.header.back(), "prediction");
  EXPECT_EQ(out.rows[2].back(), "");
}

TEST(TableTraining, ASpecFileMayCarryATableSection) {
  ScratchDir dir;
  spit(dir / "s.json", R"({"name": "net", "input": [3],
    "layers": [{"type": "linear", "out_features": 2}],
    "table": {"target": "label", "task": "classify", "drop": ["id", "name"],
              "max_categories": 7}})");
  const TableSpecFile f = load_table_spec(dir / "s.json");
  EXPECT_EQ(f.spec.name, "net");
  EXPECT_EQ(f.table.target, "label");
  EXPECT_EQ(f.table.task, TableTask::classify);
  EXPECT_EQ(f.table.drop, (std::vector<std::string>{"id", "name"}));
  EXPECT_EQ(f.table.max_categories, 7);
  spit(dir / "plain.json", R"({"input": [3], "layers": [{"type": "linear", "out_features": 2}]})");
  EXPECT_FALSE(load_table_spec(dir / "plain.json").table.drop.has_value());
  spit(dir / "bad.json", R"({"input": [3], "layers": [], "table": {"drop": "id"}})");
  EXPECT_HAS(error_of([&] { load_table_spec(dir / "bad.json"); }),
             "bad.json: table.drop: expected a list of column names");
  spit(dir / "notjson.json", "{");
  EXPECT_HAS(error_of([&] { load_table_spec(dir / "notjson.json"); }),
             "notjson.json: not valid JSON");
}
