// Tables as datasets: which columns are what, one-hot encoding, standardisation with the
// statistics of the training rows only, missing values, the metadata that carries it all to
// prediction, and the errors a person gets for bad tables.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "nnzero/data/table.h"
#include "nnzero/model/model_file.h"
#include "nnzero/model/sequential.h"
#include "nnzero/train/evaluate.h"
#include "nnzero/train/trainer.h"
#include "table_support.h"
#include "test_support.h"

using namespace nnzero;
using nnzero_test::error_of;

namespace {
std::vector<int32_t> all_rows(const CsvTable& csv) {
  std::vector<int32_t> rows(csv.rows.size());
  std::iota(rows.begin(), rows.end(), 0);
  return rows;
}

TableEncoding fit_all(const CsvTable& csv, const TableOptions& options = {}) {
  const TableEncoding layout = describe_table(csv, options);
  return fit_table(csv, layout, labelled_rows(csv, layout));
}

const char* kPets =
    "weight,kind,age,owner\n"
    "4,cat,2,ann\n"
    "30,dog,5,bob\n"
    "5,cat,,ann\n"
    "25,dog,3,bob\n"
    "4.5,,4,ann\n";
}  // namespace

TEST(Table, ParsesNumbersStrictly) {
  double v = 0;
  EXPECT_TRUE(parse_number("1e3", v));
  EXPECT_EQ(v, 1000.0);
  EXPECT_TRUE(parse_number(" +2.5 ", v));
  EXPECT_EQ(v, 2.5);
  EXPECT_TRUE(parse_number("-0.125", v));
  EXPECT_EQ(v, -0.125);
  for (const char* bad : {"", " ", "nan", "inf", "-inf", "1.2.3", "12abc", "0x10", "1,5", "--1"}) {
    EXPECT_FALSE(parse_number(bad, v)) << bad;
  }
}

TEST(Table, DecidesTargetTaskKindsAndClasses) {
  const CsvTable csv = parse_csv(kPets, "pets.csv");
  std::string reason;
  const TableEncoding e = describe_table(csv, {}, &reason);
  EXPECT_EQ(e.target, "owner");  // the last column by default
  EXPECT_EQ(e.task, TableTask::classify);
  EXPECT_HAS(reason, "not numbers");
  EXPECT_EQ(e.classes, (std::vector<std::string>{"ann", "bob"}));
  ASSERT_EQ(e.features.size(), 3u);
  EXPECT_EQ(e.features[0].name, "weight");
  EXPECT_FALSE(e.features[0].categorical);
  EXPECT_TRUE(e.features[1].categorical);   // "kind" has text values
  EXPECT_FALSE(e.features[2].categorical);  // "age" is numeric with a missing value

  // --target weight: numbers with many distinct values -> regression, "owner" a feature.
  TableOptions o;
  o.target = "weight";
  const TableEncoding r = describe_table(csv, o, &reason);
  EXPECT_EQ(r.task, TableTask::regress);
  EXPECT_HAS(reason, "numeric");
  EXPECT_EQ(r.features.back().name, "owner");
  EXPECT_TRUE(r.features.back().categorical);
}

TEST(Table, GuessesClassificationForFewWholeNumbersAndSortsThemByValue) {
  std::string text = "x,grade\n";
  for (int i = 0; i < 12; ++i)
    text += std::to_string(i) + "," + std::to_string((i % 3) * 5 + 1) + "\n";
  const CsvTable csv = parse_csv(text, "g.csv");
  std::string reason;
  const TableEncoding e = describe_table(csv, {}, &reason);
  EXPECT_EQ(e.task, TableTask::classify);
  EXPECT_HAS(reason, "3 distinct whole-number values");
  EXPECT_EQ(e.classes, (std::vector<std::string>{"1", "6", "11"}));  // not "1", "11", "6"
  TableOptions o;
  o.task = TableTask::regress;
  EXPECT_EQ(describe_table(csv, o).task, TableTask::regress);
  // Whole numbers, but one distinct value per two rows is too many to be classes.
  const CsvTable many = parse_csv("x,y\n1,1\n2,2\n3,3\n4,4\n", "m.csv");
  EXPECT_EQ(describe_table(many, {}).task, TableTask::regress);
}

TEST(Table, StandardisesWithTheTrainingRowsOnly) {
  const CsvTable csv = parse_csv("x,c,y\n1,5,a\n3,5,b\n5,5,a\n100,7,b\n", "s.csv");
  const TableEncoding layout = describe_table(csv, {});
  const std::vector<int32_t> train = {0, 1, 2};
  const TableEncoding e = fit_table(csv, layout, train);
  EXPECT_EQ(e.training_rows, 3);
  EXPECT_DOUBLE_EQ(e.features[0].mean, 3.0);  // the 100 of the held-out row does not count
  EXPECT_DOUBLE_EQ(e.features[0].std, std::sqrt(8.0 / 3.0));  // population std
  EXPECT_DOUBLE_EQ(e.features[1].mean, 5.0);
  EXPECT_DOUBLE_EQ(e.features[1].std, 1.0);  // constant column: divided by 1
  EncodeReport report;
  const std::vector<int32_t> held_out = {3};
  const std::vector<float> x = encode_features(csv, held_out, e, report);
  ASSERT_EQ(x.size(), 2u);
  EXPECT_NEAR(x[0], (100.0 - 3.0) / std::sqrt(8.0 / 3.0), 1e-4);
  EXPECT_FLOAT_EQ(x[1], 2.0f);
  const Dataset d = table_dataset(csv, train, e, report);
  EXPECT_EQ(d.size(), 3);
  EXPECT_EQ(d.sample_shape, Shape{2});
  EXPECT_EQ(d.labels, (std::vector<int32_t>{0, 1, 0}));
  EXPECT_EQ(d.num_classes, 2);
  float mean = 0;
  for (int i = 0; i < 3; ++i) mean += d.features[static_cast<size_t>(i * 2)];
  EXPECT_NEAR(mean, 0.0f, 1e-6);
}

TEST(Table, OneHotEncodesCategoriesLearnedFromTrainingRows) {
  const CsvTable csv = parse_csv("color,n,y\nred,1,a\nblue,2,b\nred,3,a\ngreen,4,b\n", "c.csv");
  const TableEncoding layout = describe_table(csv, {});
  const std::vector<int32_t> train = {0, 1, 2};
  const TableEncoding e = fit_table(csv, layout, train);
  ASSERT_TRUE(e.features[0].categorical);
  EXPECT_EQ(e.features[0].categories, (std::vector<std::string>{"blue", "red"}));  // no green
  EXPECT_EQ(e.num_inputs(), 3);
  EncodeReport report;
  const std::vector<int32_t> rows = {0, 1, 3};
  const std::vector<float> x = encode_features(csv, rows, e, report);
  ASSERT_EQ(x.size(), 9u);
  EXPECT_EQ(std::vector<float>(x.begin(), x.begin() + 2), (std::vector<float>{0, 1}));      // red
  EXPECT_EQ(std::vector<float>(x.begin() + 3, x.begin() + 5), (std::vector<float>{1, 0}));  // blue
  EXPECT_EQ(std::vector<float>(x.begin() + 6, x.begin() + 8), (std::vector<float>{0, 0}));  // green
  EXPECT_EQ(report.unseen, (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(report.missing, (std::vector<int64_t>{0, 0}));
}

TEST(Table, FillsMissingValuesWithTrainingMeanAndMostCommonCategory) {
  const CsvTable csv = parse_csv(kPets, "pets.csv");
  const TableEncoding e = fit_all(csv);
  const FeatureColumn& kind = e.features[1];
  EXPECT_EQ(kind.categories, (std::vector<std::string>{"cat", "dog"}));
  EXPECT_EQ(kind.fill_category, "cat");  // a tie (2 and 2) goes to the first category
  const FeatureColumn& age = e.features[2];
  EXPECT_DOUBLE_EQ(age.mean, 3.5);  // (2 + 5 + 3 + 4) / 4: the empty field does not count
  EXPECT_DOUBLE_EQ(age.fill, 3.5);
  EncodeReport report;
  const std::vector<float> x = encode_features(csv, all_rows(csv), e, report);
  EXPECT_EQ(report.missing, (std::vector<int64_t>{0, 1, 1}));
  const int64_t w = e.num_inputs();  // weight, cat, dog, age
  ASSERT_EQ(w, 4);
  EXPECT_FLOAT_EQ(x[static_cast<size_t>(2 * w + 3)], 0.0f);  // row 3's age: the mean
  EXPECT_FLOAT_EQ(x[static_cast<size_t>(4 * w + 1)], 1.0f);  // row 5's kind: "cat"
  EXPECT_FLOAT_EQ(x[static_cast<size_t>(4 * w + 2)], 0.0f);
}

TEST(Table, RegressionTargetIsStandardisedAndMappedBack) {
  const CsvTable csv = parse_csv("a,y\n1,10\n2,20\n3,30\n4,40\n", "r.csv");
  const TableEncoding e = fit_all(csv);
  ASSERT_EQ(e.task, TableTask::regress);
  EXPECT_DOUBLE_EQ(e.target_mean, 25.0);
  EXPECT_DOUBLE_EQ(e.target_std, std::sqrt(125.0));
  EncodeReport report;
  const Dataset d = table_dataset(csv, all_rows(csv), e, report);
  ASSERT_TRUE(d.is_regression());
  EXPECT_EQ(d.target_size, 1);
  EXPECT_NEAR(d.targets[0], -15.0 / std::sqrt(125.0), 1e-6);
  EXPECT_NEAR(target_value(e, d.targets[3]), 40.0, 1e-4);
  const float out = d.targets[3];
  EXPECT_EQ(prediction_text(e, std::span<const float>(&out, 1)).substr(0, 2), "40");
  TableOptions raw;
  raw.standardize_target = false;
  const TableEncoding r = fit_all(csv, raw);
  EXPECT_EQ(r.target_mean, 0.0);
  EXPECT_EQ(r.target_std, 1.0);
}

TEST(Table, LeavesOutRowsWithoutATarget) {
  const CsvTable csv = parse_csv("x,y\n1,a\n2,\n3,b\n4, \n", "l.csv");
  const TableEncoding layout = describe_table(csv, {});
  EXPECT_EQ(labelled_rows(csv, layout), (std::vector<int32_t>{0, 2}));
}

TEST(Table, MetadataRoundTripsThroughTheModelFile) {
  const CsvTable csv = parse_csv(kPets, "pets.csv");
  const TableEncoding e = fit_all(csv);
  const TableEncoding back = TableEncoding::from_json(e.to_json(), "test");
  EXPECT_EQ(back.to_json(), e.to_json());
  EXPECT_EQ(back.target, "owner");
  EXPECT_EQ(back.classes, e.classes);
  EXPECT_EQ(back.features[1].categories, e.features[1].categories);
  EXPECT_EQ(back.features[2].mean, e.features[2].mean);  // doubles survive JSON exactly
  EXPECT_EQ(back.num_inputs(), 4);

  TableOptions o;
  o.target = "weight";
  const TableEncoding r = fit_all(csv, o);
  const TableEncoding rback = TableEncoding::from_json(r.to_json(), "test");
  EXPECT_EQ(rback.task, TableTask::regress);
  EXPECT_EQ(rback.target_mean, r.target_mean);
  EXPECT_EQ(rback.target_std, r.target_std);

  nnzero_test::ScratchDir dir;
  ModelSpec spec =
      ModelSpec::parse(R"({"input": [4], "layers": [{"type": "linear", "out_features": 2}]})");
  Rng rng(0);
  Sequential model(spec, rng);
  save_model(model, dir / "m.safetensors", {{"nnzero.table", e.to_json()}});
  const LoadedModel loaded = load_model(dir / "m.safetensors");
  ASSERT_TRUE(loaded.metadata.contains("nnzero.table"));
  EXPECT_EQ(TableEncoding::from_json(loaded.metadata.at("nnzero.table"), "m").to_json(),
            e.to_json());
}

TEST(Table, BadMetadataIsAnError) {
  EXPECT_HAS(error_of([] { TableEncoding::from_json("{", "m.safetensors"); }),
             "m.safetensors: bad table metadata");
  const std::string unknown_kind =
      R"({"format": 1, "target": "y", "task": "classify", "classes": ["a", "b"],
          "features": [{"name": "x", "kind": "ordinal"}]})";
  EXPECT_HAS(error_of([&] { TableEncoding::from_json(unknown_kind, "m"); }),
             "unknown kind \"ordinal\"");
  EXPECT_HAS(error_of([] { TableEncoding::from_json(R"({"format": 99})", "m"); }), "format 99");
}

TEST(Table, EncodesAnotherFileByColumnNameWithoutTheTarget) {
  const TableEncoding e = fit_all(parse_csv(kPets, "pets.csv"));
  const CsvTable later = parse_csv("age,weight,kind\n2,4,cat\n", "later.csv");  // reordered
  EncodeReport report;
  const std::vector<int32_t> rows = {0};
  const std::vector<float> x = encode_features(later, rows, e, report);
  const std::vector<float> same = encode_features(parse_csv(kPets, "pets.csv"), rows, e, report);
  EXPECT_EQ(x, same);
  const CsvTable lacking = parse_csv("weight,kind\n4,cat\n", "lacking.csv");
  const std::string msg = error_of([&] { encode_features(lacking, rows, e, report); });
  EXPECT_HAS(msg, "lacking.csv:1: no column \"age\"");
  EXPECT_HAS(msg, "the columns are: \"weight\", \"kind\"");
}

TEST(Table, BadRowsAreErrorsOrReportedWhenLenient) {
  const TableEncoding e = fit_all(parse_csv(kPets, "pets.csv"));
  const CsvTable bad =
      parse_csv("weight,kind,age\n4,cat,2\nheavy,dog,3\n5,cat\n6,dog,1\n", "new.csv");
  EncodeReport report;
  const std::vector<int32_t> rows = {0, 1, 2, 3};
  const std::string strict = error_of([&] { encode_features(bad, rows, e, report); });
  EXPECT_HAS(strict, "new.csv:3: column \"weight\": \"heavy\" is not a number");
  const std::vector<float> x = encode_features(bad, rows, e, report, /*strict=*/false);
  EXPECT_EQ(report.row_ok, (std::vector<uint8_t>{1, 0, 0, 1}));
  ASSERT_EQ(report.problems.size(), 2u);
  EXPECT_HAS(report.problems[0], "new.csv:3: column \"weight\"");
  EXPECT_HAS(report.problems[1], "new.csv:4: 2 fields but the header has 3 columns");
  EXPECT_EQ(x.size(), 16u);
}

TEST(Table, BadTablesAreErrorsNamingFileLineAndColumn) {
  struct Case {
    std::string text, target, task, message;
  };
  for (const Case& c : std::vector<Case>{
           {"a,b,y\n1,2,x\n3,4\n", "", "", "bad.csv:3: 2 fields but the header has 3 columns"},
           {"a,b,y\n1,2,x\n3,4,y,5\n", "", "", "bad.csv:3: 4 fields"},
           {"a,b,y\n1,2,x\n", "label", "",
            "bad.csv:1: no column \"label\" to use as the target; the columns are: \"a\", \"b\", "
            "\"y\""},
           {"a,y\n1,2.5\n2,3.5\n3,oops\n", "", "regress",
            "bad.csv:4: column \"y\": \"oops\" is not a number"},
           {"a,b,y\n", "", "", "bad.csv: no data rows after the header (line 1)"},
           {"a,y\n1,cat\n2,cat\n3,\n", "", "", "single class \"cat\""},
           {"a,b,a,y\n1,2,3,x\n4,5,6,z\n", "", "",
            "bad.csv:1: duplicate column name \"a\" (columns 1 and 3)"},
           {"a,y\n1,\n2,\n", "", "", "column \"y\" (the target) is empty in every row"},
           // a typo in a numeric feature column is an error, not a reason to make it categorical
           {"a,b,y\n1,2,x\n3,n/a,z\n5,6,x\n", "", "",
            "bad.csv:3: column \"b\": \"n/a\" is not a number, but 2 of the column's 3 values "
            "are"},
           {"a;b;y\n1;2;x\n3;4;z\n", "", "", "no feature columns besides the target"},
       }) {
    const std::string msg = error_of([&] {
      const CsvTable csv = parse_csv(c.text, "bad.csv");
      TableOptions o;
      o.target = c.target;
      if (!c.task.empty()) o.task = parse_task(c.task, "--task");
      describe_table(csv, o);
    });
    EXPECT_HAS(msg, c.message) << c.text;
  }
  EXPECT_HAS(error_of([] { parse_csv("", "empty.csv"); }), "empty.csv: empty file");
  EXPECT_HAS(error_of([] { parse_task("cluster", "--task"); }), "--task: unknown task \"cluster\"");
}

TEST(Table, AnMlpLearnsATableThroughTheTrainer) {
  const CsvTable csv = parse_csv(nnzero_test::two_class_csv(200, 1), "two.csv");
  const TableEncoding layout = describe_table(csv, {});
  std::vector<int32_t> train(150), val(50);
  std::iota(train.begin(), train.end(), 0);
  std::iota(val.begin(), val.end(), 150);
  const TableEncoding e = fit_table(csv, layout, train);
  EncodeReport report;
  const Dataset train_set = table_dataset(csv, train, e, report);
  const Dataset val_set = table_dataset(csv, val, e, report);
  const ModelSpec spec = ModelSpec::parse(
      R"({"input": [5], "layers": [{"type": "linear", "out_features": 16}, {"type": "relu"},
          {"type": "linear", "out_features": 2}]})");
  Rng rng(0);
  Sequential model(spec, rng);
  TrainOptions o;
  o.epochs = 40;
  o.batch = 16;
  o.optimizer = "adam";
  o.lr = 0.01f;
  o.log_epochs = false;
  Trainer(model, train_set, &val_set, o).run();
  EXPECT_GT(evaluate(model, val_set, 64).accuracy, 0.9);
}
