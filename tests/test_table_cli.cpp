// Tables through the nnzero binary: train --data FILE.csv (split and k-fold), the JSON line
// and the run folder, predict on a new CSV, the errors, and a short real run on iris.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <functional>

#include "nnzero/data/table.h"
#include "nnzero/model/model_file.h"
#include "table_support.h"
#include "test_support.h"

using nnzero_test::run_cli;
using nnzero_test::ScratchDir;
using nnzero_test::slurp;
using nnzero_test::spit;

namespace {
int count_lines(const std::string& text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}
}  // namespace

TEST(TableCli, TrainsAClassifierWithAValidationSplit) {
  ScratchDir dir;
  spit(dir / "two.csv", nnzero_test::two_class_csv(120, 7));
  const auto r = run_cli("train --data two.csv --epochs 40 --lr 0.01 --out run --threads 1", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_HAS(r.err, "task: classify");
  EXPECT_HAS(r.err, "2 numeric and 1 categorical columns");
  const auto j = r.json();
  for (const char* key :
       {"model", "epochs", "steps", "train_acc", "test_acc", "test_loss", "seconds",
        "samples_per_s", "out", "val_acc", "per_class", "classes", "confusion"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["model"], "two_mlp");
  EXPECT_EQ(j["epochs"], 40);
  EXPECT_EQ(j["train_rows"], 96);
  EXPECT_EQ(j["val_rows"], 24);
  EXPECT_EQ(j["inputs"], 5);      // x1, x2 and three colours
  EXPECT_EQ(j["steps"], 40 * 3);  // 96 rows in batches of 32
  EXPECT_GT(j["val_acc"].get<double>(), 0.85);
  EXPECT_EQ(j["val_acc"], j["test_acc"]);
  EXPECT_EQ(j["classes"], nlohmann::json::array({"neg", "pos"}));
  ASSERT_EQ(j["per_class"].size(), 2u);
  EXPECT_EQ(j["per_class"][0]["support"].get<int>() + j["per_class"][1]["support"].get<int>(), 24);

  EXPECT_EQ(count_lines(slurp(dir.path() / "run/metrics.csv")), 41);
  const nnzero::LoadedModel m = nnzero::load_model(dir / "run/model.safetensors");
  ASSERT_TRUE(m.metadata.contains("nnzero.table"));
  const auto e = nnzero::TableEncoding::from_json(m.metadata.at("nnzero.table"), "run");
  EXPECT_EQ(e.target, "label");
  EXPECT_EQ(e.training_rows, 96);
  EXPECT_EQ(m.model->spec().input, nnzero::Shape{5});
  EXPECT_EQ(m.model->spec().loss, "softmax_cross_entropy");
}

TEST(TableCli, CrossValidatesARegressionAndReportsMeans) {
  ScratchDir dir;
  spit(dir / "lin.csv", nnzero_test::linear_csv(90, 3));
  const auto r = run_cli(
      "train --data lin.csv --folds 3 --epochs 60 --lr 0.01 --weight-decay 0 --out cv --threads 1",
      dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_HAS(r.err, "task: regress");
  EXPECT_HAS(r.err, "fold 3/3");
  const auto j = r.json();
  EXPECT_EQ(j["task"], "regress");
  EXPECT_TRUE(j["train_acc"].is_null());
  EXPECT_TRUE(j["test_acc"].is_null());
  EXPECT_EQ(j["validation"], "folds");
  EXPECT_EQ(j["saved_model"], "all rows");
  ASSERT_EQ(j["folds"].size(), 3u);
  double r2 = 0, rmse = 0;
  for (const auto& f : j["folds"]) {
    EXPECT_EQ(f["val_rows"], 30);
    r2 += f["val_r2"].get<double>() / 3;
    rmse += f["val_rmse"].get<double>() / 3;
  }
  EXPECT_NEAR(j["val_r2"].get<double>(), r2, 1e-9);
  EXPECT_NEAR(j["val_rmse"].get<double>(), rmse, 1e-9);
  EXPECT_GT(j["val_r2"].get<double>(), 0.95);   // y is linear in a and b
  EXPECT_LT(j["val_rmse"].get<double>(), 1.0);  // in y's units (std about 3.6)
  EXPECT_GT(j["val_mae"].get<double>(), 0.0);
  const nnzero::LoadedModel m = nnzero::load_model(dir / "cv/model.safetensors");
  const auto e = nnzero::TableEncoding::from_json(m.metadata.at("nnzero.table"), "cv");
  EXPECT_EQ(e.training_rows, 90);  // the saved model learned from every row
  EXPECT_NEAR(e.target_mean, 10.0, 1.0);
  EXPECT_EQ(m.model->spec().loss, "mse");
}

TEST(TableCli, ReportsMissingValuesAndTakesAMatchingSpec) {
  ScratchDir dir;
  std::string text = nnzero_test::two_class_csv(60, 5);
  // Empty x2 in two rows, an empty colour in one.
  text.replace(text.find('\n') + 1, 0, "0.5,,red,pos\n1.5,,,pos\n");
  spit(dir / "holes.csv", text);
  spit(dir / "spec.json",
       R"({"name": "tiny", "input": [5], "layers": [{"type": "linear", "out_features": 2}]})");
  spit(dir / "wrong.json", R"({"input": [7], "layers": [{"type": "linear", "out_features": 2}]})");
  auto r = run_cli(
      "train --data holes.csv --spec spec.json --epochs 5 --val-split 0 --out s --threads 1", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_HAS(r.err, "column \"x2\": 2 missing values filled with the training mean");
  EXPECT_HAS(
      r.err,
      "column \"color\": 1 missing value filled with the training rows' most common category");
  EXPECT_EQ(r.json()["model"], "tiny");
  EXPECT_TRUE(r.json()["val_acc"].is_null());
  EXPECT_EQ(r.json()["validation"], "none");
  r = run_cli("train --data holes.csv --spec wrong.json --epochs 5", dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_HAS(r.err, "wrong.json: the spec's input is (7) but holes.csv encodes to 5 features");
}

TEST(TableCli, BadTablesAndFlagsExit2WithAMessage) {
  ScratchDir dir;
  spit(dir / "ragged.csv", "a,b,y\n1,2,x\n3,4,z\n5,6\n");
  spit(dir / "ok.csv", "a,b,y\n1,2,x\n3,4,z\n5,6,x\n7,8,z\n");
  spit(dir / "text_target.csv", "a,y\n1,2\n2,3\n3,lots\n");
  spit(dir / "empty.csv", "");
  spit(dir / "header.csv", "a,b,y\n");
  spit(dir / "single.csv", "a,y\n1,x\n2,x\n3,x\n");
  spit(dir / "dup.csv", "a,b,a\n1,2,x\n3,4,y\n");
  spit(dir / "quote.csv", "a,y\n1,\"x\n");
  struct Case {
    std::string args, message;
  };
  for (const Case& c : std::vector<Case>{
           {"train --data ragged.csv",
            "ragged.csv:4: 2 fields but the header has 3 columns (no value for column \"y\")"},
           {"train --data ok.csv --target label",
            "ok.csv:1: no column \"label\" to use as the target; the columns are: \"a\", \"b\", "
            "\"y\""},
           {"train --data text_target.csv --task regress",
            "text_target.csv:4: column \"y\": \"lots\" is not a number"},
           {"train --data empty.csv", "empty.csv: empty file"},
           {"train --data header.csv", "header.csv: no data rows after the header"},
           {"train --data single.csv", "single class \"x\""},
           {"train --data dup.csv", "dup.csv:1: duplicate column name \"a\" (columns 1 and 3)"},
           {"train --data quote.csv", "quote.csv:2: column 2: the quoted field never ends"},
           {"train --data missing.csv", "missing.csv"},
           {"train --data ok.csv --task cluster", "unknown task \"cluster\""},
           {"train --data ok.csv --folds 1", "--folds must be at least 2"},
           {"train --data ok.csv --folds 9", "--folds 9 needs at least as many rows"},
           {"train --data ok.csv --val-split 1.5", "--val-split must be in [0, 1)"},
           {"train --data ok.csv --val-split 0.1", "leaves no validation rows"},
           {"train --data ok.csv --folds 2 --val-split 0.5", "not both"},
           {"train --data ok.csv --model two_layer_net", "--model does not apply to a table"},
           {"train --data ok.csv --resume somewhere", "--resume does not apply to a table"},
           {"train --data ok.csv --hidden 8,x", "--hidden: expected positive sizes"},
           {"train --data ok.csv --epochs 0", "--epochs must be at least 1"},
       }) {
    const auto r = run_cli(c.args, dir);
    EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.err;
    EXPECT_HAS(r.err, "error: ") << c.args;
    EXPECT_HAS(r.err, c.message) << c.args;
  }
}

// A table run's --out is checked before training, as a network's is: an empty name, and a
// folder that holds a run (unless --force), are refused and the old run is kept whole.
TEST(TableCli, OutIsCheckedBeforeTrainingAndAnOldRunIsKept) {
  ScratchDir dir;
  spit(dir / "two.csv", nnzero_test::two_class_csv(60, 3));
  auto r = run_cli("train --data two.csv --epochs 2 --out '' --threads 1", dir);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_HAS(r.err, "--out: give a folder name (it is empty)");
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "runs"));

  r = run_cli("train --data two.csv --epochs 2 --out run --threads 1", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string model = slurp(dir.path() / "run/model.safetensors");
  r = run_cli("train --data two.csv --epochs 3 --out run --threads 1", dir);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_HAS(r.err, "run: already holds a run");
  EXPECT_HAS(r.err, "--force");
  EXPECT_EQ(slurp(dir.path() / "run/model.safetensors"), model);
  EXPECT_EQ(r.out, "");  // refused before training: no progress, no JSON line

  r = run_cli("train --data two.csv --epochs 3 --out run --threads 1 --force", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.json()["epochs"], 3);
}

TEST(TableCli, PredictWritesAPredictionColumnAndReportsBadRows) {
  ScratchDir dir;
  spit(dir / "two.csv", nnzero_test::two_class_csv(100, 9));
  auto r = run_cli("train --data two.csv --epochs 30 --lr 0.01 --out run --threads 1", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // New rows: no label column, columns in another order, a colour never seen, a missing
  // value, a ragged row and text in a numeric column.
  spit(dir / "new.csv",
       "color,x2,x1\n"
       "red,9,2.0\n"
       "purple,1,-3.0\n"
       "blue,,1.0\n"
       "red,5\n"
       "green,\"a, b\",0\n"
       "\"blue\",5,-2.5\n");
  r = run_cli("predict run/model.safetensors new.csv", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_HAS(r.err, "new.csv:5: 2 fields but the header has 3 columns");
  EXPECT_HAS(r.err, "new.csv:6: column \"x2\": \"a, b\" is not a number");
  EXPECT_HAS(r.err, "column \"color\": 1 row has a category not seen in training");
  EXPECT_HAS(r.err, "column \"x2\": 1 missing value filled");
  const auto j = r.json();
  EXPECT_EQ(j["rows"], 6);
  EXPECT_EQ(j["predicted"], 4);
  EXPECT_EQ(j["skipped"], 2);
  EXPECT_EQ(j["unseen_categories"], 1);
  EXPECT_EQ(j["missing_filled"], 1);
  EXPECT_EQ(j["out"], "new.predictions.csv");
  const nnzero::CsvTable out = nnzero::read_csv(dir / "new.predictions.csv");
  EXPECT_EQ(out.header, (std::vector<std::string>{"color", "x2", "x1", "prediction"}));
  ASSERT_EQ(out.num_rows(), 6);
  EXPECT_EQ(out.rows[0][3], "pos");  // x1 = 2, x2 = 9: far on the positive side
  EXPECT_EQ(out.rows[5][3], "neg");  // x1 = -2.5, x2 = 5
  EXPECT_EQ(out.rows[3], (std::vector<std::string>{"red", "5", "", ""}));
  EXPECT_EQ(out.rows[4][1], "a, b");  // quoted again on the way out
  EXPECT_EQ(out.rows[4][3], "");

  r = run_cli("predict run/model.safetensors new.csv --out elsewhere.csv", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.json()["out"], "elsewhere.csv");
  spit(dir / "hopeless.csv", "color,x2,x1\nred,x,1\n");
  r = run_cli("predict run/model.safetensors hopeless.csv", dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_HAS(r.err, "hopeless.csv:2: column \"x2\": \"x\" is not a number");
  spit(dir / "lacking.csv", "color,x1\nred,1\n");
  r = run_cli("predict run/model.safetensors lacking.csv", dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_HAS(r.err, "lacking.csv:1: no column \"x2\"");
}

TEST(TableCli, PredictsRegressionValuesInTheTargetsUnits) {
  ScratchDir dir;
  spit(dir / "lin.csv", nnzero_test::linear_csv(120, 4));
  auto r = run_cli(
      "train --data lin.csv --epochs 80 --lr 0.01 --weight-decay 0 --out run --threads 1", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  spit(dir / "ask.csv", "a,b\n0,0\n1,-1\n");
  r = run_cli("predict run/model.safetensors ask.csv", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nnzero::CsvTable out = nnzero::read_csv(dir / "ask.predictions.csv");
  ASSERT_EQ(out.num_rows(), 2);
  EXPECT_NEAR(std::stod(out.rows[0][2]), 10.0, 1.0);  // y = 3a - 2b + 10
  EXPECT_NEAR(std::stod(out.rows[1][2]), 15.0, 1.0);
}

TEST(TableCli, IrisCrossValidationOnTheRealData) {
  const std::string data = nnzero_test::tabular_dir();
  ScratchDir dir;
  // A short run (3 folds, 60 epochs) to stay fast; docs/tables.md has the full 5-fold numbers.
  const auto r = run_cli(
      "train --data " + data + "/iris.csv --folds 3 --epochs 60 --lr 0.01 --out iris --threads 1",
      dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = r.json();
  EXPECT_EQ(j["classes"], nlohmann::json::array({"setosa", "versicolor", "virginica"}));
  EXPECT_EQ(j["folds"].size(), 3u);
  EXPECT_GT(j["val_acc"].get<double>(), 0.9);
  for (const auto& c : j["per_class"]) EXPECT_EQ(c["support"], 50);
}

namespace {
bool exists(const ScratchDir& dir, const std::string& name) {
  return std::filesystem::exists(dir.path() / name);
}

// The model file with its "nnzero.table" metadata replaced by `edit` applied to it.
void edit_table_metadata(const std::string& path,
                         const std::function<void(nlohmann::json&)>& edit) {
  nnzero::LoadedModel m = nnzero::load_model(path);
  nlohmann::json table = nlohmann::json::parse(m.metadata.at("nnzero.table"));
  edit(table);
  nnzero::save_model(*m.model, path, {{"nnzero.table", table.dump()}});
}
}  // namespace

TEST(TableCli, ATitanicLikeTableGivesASensibleResult) {
  ScratchDir dir;
  spit(dir / "titanic.csv", nnzero_test::titanic_csv(600, 3));
  // As downloaded: Name would be 600 one-hot inputs, each seen once, and Ticket is numbers
  // mixed with codes. One message names both.
  auto r = run_cli("train --data titanic.csv --target Survived --out r1", dir);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_HAS(r.err, "error: titanic.csv: 2 columns cannot be used as they are: titanic.csv:");
  EXPECT_HAS(r.err, ": column \"Ticket\": \"");
  EXPECT_HAS(r.err, "titanic.csv: column \"Name\" has 600 categories in 600 rows (more than 100");
  EXPECT_HAS(r.err, "leave them out with --drop Ticket,Name\n");
  EXPECT_FALSE(exists(dir, "r1"));
  EXPECT_FALSE(exists(dir, "runs"));

  // Dropping those two: the ID and the cabin codes are warned about, the count is printed.
  r = run_cli(
      "train --data titanic.csv --target Survived --drop Name,Ticket --epochs 20 "
      "--val-split 0 --out r2 --threads 1",
      dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_HAS(r.err, "warning: titanic.csv: column \"PassengerId\" looks like a row ID");
  EXPECT_HAS(r.err, "warning: titanic.csv: column \"Cabin\" looks like an ID or free text");
  EXPECT_HAS(r.err, "encoded features; dropped \"Name\", \"Ticket\")");
  auto j = r.json();
  EXPECT_EQ(j["features"]["dropped"], nlohmann::json::array({"Name", "Ticket"}));
  EXPECT_EQ(j["features"]["id_like"], nlohmann::json::array({"PassengerId", "Cabin"}));
  EXPECT_EQ(j["features"]["numeric"], 6);            // PassengerId, Pclass, Age, SibSp, Parch, Fare
  EXPECT_EQ(j["features"]["categorical"], 3);        // Sex, Cabin, Embarked
  EXPECT_EQ(j["features"]["encoded"], j["inputs"]);  // every row trained the saved model
  EXPECT_HAS(r.err, '(' + j["inputs"].dump() + " encoded features");

  // Without the ID-like columns: no warnings, 10 inputs, and the accuracy the table allows.
  r = run_cli(
      "train --data titanic.csv --target Survived --drop PassengerId,Name,Ticket,Cabin "
      "--epochs 60 --out r3 --threads 1",
      dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("warning"), std::string::npos) << r.err;
  j = r.json();
  EXPECT_EQ(j["inputs"], 10);  // Pclass, Sex x2, Age, SibSp, Parch, Fare, Embarked x3
  EXPECT_EQ(j["classes"], nlohmann::json::array({"0", "1"}));
  // Survival follows Sex and Pclass (about 84 % can be right); the majority class is 53 %.
  EXPECT_GT(j["val_acc"].get<double>(), 0.75);

  // The same choices in a spec's "table" section; a flag overrides the section.
  spit(dir / "titanic.json", R"({"name": "titanic_net", "input": [10],
    "layers": [{"type": "linear", "out_features": 16}, {"type": "relu"},
               {"type": "linear", "out_features": 2}],
    "table": {"target": "Survived", "drop": ["PassengerId", "Name", "Ticket", "Cabin"]}})");
  r = run_cli("train --data titanic.csv --spec titanic.json --epochs 5 --out r4 --threads 1", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.json()["model"], "titanic_net");
  EXPECT_EQ(r.json()["target"], "Survived");
  r = run_cli("train --data titanic.csv --spec titanic.json --drop Name,Ticket --out r5", dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_HAS(r.err, "titanic.json: the spec's input is (10) but titanic.csv encodes to");
  spit(dir / "typo.json", R"({"input": [10], "layers": [{"type": "linear", "out_features": 2}],
    "table": {"target": "Survived", "dropp": ["Name"]}})");
  r = run_cli("train --data titanic.csv --spec typo.json", dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_HAS(r.err, "typo.json: unknown field \"table.dropp\"");
  r = run_cli("train --data titanic.csv --target Survived --drop Nmae", dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_HAS(r.err, "titanic.csv:1: no column \"Nmae\" to drop; the columns are: \"PassengerId\"");
  // --max-categories 0 lifts the limit (the one-hot inputs are then the user's choice).
  r = run_cli(
      "train --data titanic.csv --target Survived --drop Ticket --max-categories 0 --epochs 1 "
      "--val-split 0 --out r6",
      dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_HAS(r.err, "column \"Name\" looks like an ID or free text (600 distinct values");
}

TEST(TableCli, BytesThatAreNotTextExit2AndLeaveNoRunFolder) {
  ScratchDir dir;
  std::string rows;
  for (int i = 0; i < 10; ++i) rows += std::to_string(i) + (i % 2 ? ",caf\xE9,x\n" : ",tea,z\n");
  spit(dir / "latin.csv", "a,b,y\n" + rows);
  auto r = run_cli("train --data latin.csv --val-split 0 --epochs 1 --out run", dir);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_HAS(r.err, "error: latin.csv:3: column 2: byte 0xE9 is not UTF-8");
  EXPECT_FALSE(exists(dir, "run"));

  const char nul[] = "a,b,y\n1,2,x\n3,4\0,z\n5,6,x\n";
  spit(dir / "nul.csv", std::string(nul, sizeof nul - 1));
  r = run_cli("train --data nul.csv --val-split 0 --epochs 1", dir);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_HAS(r.err,
             "error: nul.csv:3: column 2: a NUL byte: not a text CSV file (a UTF-16 file "
             "must be converted to UTF-8 first)\n");
  EXPECT_FALSE(exists(dir, "runs"));

  spit(dir / "new.csv", "a,b\n1,\xFF\n");  // predict reads the same way
  spit(dir / "ok.csv", "a,b,y\n1,2,x\n3,4,z\n5,6,x\n7,8,z\n");
  ASSERT_EQ(run_cli("train --data ok.csv --val-split 0 --epochs 1 --out m", dir).exit_code, 0);
  r = run_cli("predict m/model.safetensors new.csv", dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_HAS(r.err, "new.csv:2: column 2: byte 0xFF is not UTF-8");
  EXPECT_FALSE(exists(dir, "new.predictions.csv"));
}

TEST(TableCli, CrOnlyLineEndingsReadLikeAnyOther) {
  ScratchDir dir;
  std::string lf = nnzero_test::two_class_csv(40, 2), cr = lf;
  std::replace(cr.begin(), cr.end(), '\n', '\r');
  spit(dir / "lf.csv", lf);
  spit(dir / "cr.csv", cr);
  const auto a = run_cli("train --data lf.csv --epochs 3 --out a --threads 1", dir);
  const auto b = run_cli("train --data cr.csv --epochs 3 --out b --threads 1", dir);
  ASSERT_EQ(b.exit_code, 0) << b.err;
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(b.json()["rows"], 40);
  EXPECT_EQ(b.json()["val_acc"], a.json()["val_acc"]);
  EXPECT_EQ(b.json()["confusion"], a.json()["confusion"]);
}

TEST(TableCli, TrainsOnAHundredThousandColumns) {
  // A search per column made this take minutes (measured in docs/tables.md).
  ScratchDir dir;
  std::string text;
  for (int c = 0; c < 100000; ++c) text += 'c' + std::to_string(c) + ',';
  text += "y\n";
  for (int row = 0; row < 6; ++row) {
    for (int c = 0; c < 100000; ++c) text += std::to_string((c + row) % 9) + ",";
    text += row % 2 ? "a\n" : "b\n";
  }
  spit(dir / "wide.csv", text);
  const auto r = run_cli(
      "train --data wide.csv --val-split 0 --epochs 1 --hidden 2 --quiet --out w --threads 1", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.json()["inputs"], 100000);
  EXPECT_EQ(r.json()["features"]["numeric"], 100000);
}

TEST(TableCli, PredictRefusesAModelWhoseClassesDoNotFitItsOutputs) {
  ScratchDir dir;
  spit(dir / "two.csv", nnzero_test::two_class_csv(40, 4));
  ASSERT_EQ(run_cli("train --data two.csv --epochs 1 --val-split 0 --out m", dir).exit_code, 0);
  spit(dir / "ask.csv", "x1,x2,color\n1,5,red\n");
  edit_table_metadata(dir / "m/model.safetensors", [](nlohmann::json& t) {
    t["classes"] = nlohmann::json::array();
    for (int i = 0; i < 100000; ++i) t["classes"].push_back('c' + std::to_string(i));
  });
  auto r = run_cli("predict m/model.safetensors ask.csv", dir);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_HAS(r.err,
             "m/model.safetensors: the model outputs (2) but its table metadata lists "
             "100000 classes");
  EXPECT_FALSE(exists(dir, "ask.predictions.csv"));

  // Three outputs, two class names: the third output has no name.
  const std::string iris = nnzero_test::tabular_dir() + "/iris.csv";
  ASSERT_EQ(run_cli("train --data " + iris + " --epochs 1 --val-split 0 --out i", dir).exit_code,
            0);
  edit_table_metadata(dir / "i/model.safetensors", [](nlohmann::json& t) {
    t["classes"] = {"setosa", "virginica"};
  });
  spit(dir / "flower.csv", "sepal_length,sepal_width,petal_length,petal_width\n7,3,6,2\n");
  r = run_cli("predict i/model.safetensors flower.csv", dir);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_HAS(r.err, "the model outputs (3) but its table metadata lists 2 classes");
}

TEST(TableCli, LabelAndTargetProblemsNameTheFile) {
  ScratchDir dir;
  spit(dir / "three.csv", "a,y\n1,p\n2,q\n3,r\n4,p\n5,q\n6,r\n");
  spit(dir / "two_out.json",
       R"({"input": [1], "layers": [{"type": "linear", "out_features": 2}]})");
  auto r = run_cli("train --data three.csv --spec two_out.json --val-split 0", dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_HAS(r.err,
             "two_out.json: the network outputs (2) with loss softmax_cross_entropy, but "
             "--task classify on three.csv needs (3)");
  spit(dir / "text.csv", "a,y\n1,2.5\n2,3.5\n3,lots\n");
  r = run_cli("train --data text.csv --task regress", dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_HAS(r.err, "text.csv:4: column \"y\": \"lots\" is not a number");
  spit(dir / "none.csv", "a,y\n1,\n2,\n");
  r = run_cli("train --data none.csv", dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_HAS(r.err, "none.csv: column \"y\" (the target) is empty in every row");
}

TEST(TableCli, TheBooksSumOfSquaresErrorOnOneHotClassLabels) {
  // Section 4.2.1: mean squared error against one-hot targets. The classes stay classes:
  // accuracy, confusion matrix and class names as with softmax.
  ScratchDir dir;
  spit(dir / "two.csv", nnzero_test::two_class_csv(160, 7));
  spit(dir / "mse.json", R"({"name": "mse_net", "input": [5], "loss": "mse",
    "layers": [{"type": "linear", "out_features": 16}, {"type": "relu"},
               {"type": "linear", "out_features": 2}]})");
  auto r = run_cli(
      "train --data two.csv --spec mse.json --epochs 40 --lr 0.01 --out run "
      "--threads 1",
      dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = r.json();
  EXPECT_EQ(j["task"], "classify");
  EXPECT_GT(j["val_acc"].get<double>(), 0.85);
  EXPECT_EQ(j["confusion"].size(), 2u);
  EXPECT_EQ(nnzero::load_model(dir / "run/model.safetensors").model->spec().loss, "mse");
  spit(dir / "ask.csv", "x1,x2,color\n2.0,9,red\n-2.5,1,blue\n");
  r = run_cli("predict run/model.safetensors ask.csv", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nnzero::CsvTable out = nnzero::read_csv(dir / "ask.predictions.csv");
  EXPECT_EQ(out.rows[0][3], "pos");
  EXPECT_EQ(out.rows[1][3], "neg");
}

TEST(TableCli, AllZeroInitialWeightsTrainButStaySymmetric) {
  // Section 6.2.1: with every weight 0 all hidden units compute the same and get the same
  // update, so they stay copies of each other: the book's "don't do this", now runnable.
  ScratchDir dir;
  spit(dir / "two.csv", nnzero_test::two_class_csv(80, 5));
  const auto r = run_cli(
      "train --data two.csv --init std:0 --activation sigmoid --hidden 8 "
      "--epochs 10 --val-split 0 --out z --threads 1",
      dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nnzero::LoadedModel m = nnzero::load_model(dir / "z/model.safetensors");
  EXPECT_EQ(m.model->spec().init, "std:0");
  const nnzero::Tensor* w = nullptr;
  for (const nnzero::NamedParam& p : m.model->named_params()) {
    if (p.name == "0.weight") w = &p.param->value;
  }
  ASSERT_NE(w, nullptr);
  ASSERT_EQ(w->shape(), (nnzero::Shape{8, 5}));
  float largest = 0.0f;
  for (int64_t i = 0; i < 5; ++i) largest = std::max(largest, std::abs((*w)[i]));
  EXPECT_GT(largest, 1e-3f);                  // they did learn...
  for (int64_t unit = 1; unit < 8; ++unit) {  // ...all alike (to rounding: GEMM tiles differ)
    for (int64_t i = 0; i < 5; ++i) {
      EXPECT_NEAR((*w)[unit * 5 + i], (*w)[i], 1e-5f * largest) << "unit " << unit << ", " << i;
    }
  }
}
