// Tables as datasets: which columns are what, one-hot encoding, standardisation with the
// statistics of the training rows only, missing values, the metadata that carries it all to
// prediction, and the errors a person gets for bad tables.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "nnzero/data/table.h"
#include "nnzero/data/table_columns.h"
#include "nnzero/data/table_split.h"
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

namespace {
// "id,name,city,score,label": id 1..n (a row ID), a different name per row, 3 cities,
// a decimal score (unique per row, but a measurement), the label from the score.
std::string people_csv(int n) {
  std::string text = "id,name,city,score,label\n";
  const char* cities[] = {"Oslo", "Rome", "Lima"};
  for (int i = 0; i < n; ++i) {
    text += std::to_string(i + 1) + ",person " + std::to_string(i * 7919 % 100003) + "," +
            cities[i % 3] + "," + std::to_string(i * 0.37 + 0.001) + "," +
            (i % 2 == 0 ? "yes" : "no") + "\n";
  }
  return text;
}
}  // namespace

TEST(Table, DropsColumnsByName) {
  const CsvTable csv = parse_csv(kPets, "pets.csv");
  TableOptions o;
  o.drop = {"kind", " age "};  // spaces around a name do not count, as in the header
  TableNotes notes;
  const TableEncoding e = describe_table(csv, o, notes);
  ASSERT_EQ(e.features.size(), 1u);
  EXPECT_EQ(e.features[0].name, "weight");
  EXPECT_EQ(notes.dropped, (std::vector<std::string>{"kind", "age"}));
  EXPECT_EQ(notes.encoded_features, 1);
  o.drop = {"colour"};
  const std::string typo = error_of([&] { describe_table(csv, o); });
  EXPECT_HAS(typo, "pets.csv:1: no column \"colour\" to drop; the columns are: \"weight\"");
  o.drop = {"owner"};
  EXPECT_HAS(error_of([&] { describe_table(csv, o); }),
             "column \"owner\" is the target; it cannot be dropped");
  o.drop = {"weight", "kind", "age"};
  EXPECT_HAS(error_of([&] { describe_table(csv, o); }), "no feature columns besides the target");
}

TEST(Table, RefusesCategoricalColumnsWithMoreCategoriesThanTheLimit) {
  // 150 names and 150 other labels: one-hot would give 300 inputs that each see one row.
  std::string text = "name,tag,x,y\n";
  for (int i = 0; i < 150; ++i) {
    const std::string n = std::to_string(i);
    text += 'n';
    text += n + ",t" + n + "," + std::to_string(i % 7) + "," + (i % 2 ? "a" : "b") + "\n";
  }
  const CsvTable csv = parse_csv(text, "wide.csv");
  const std::string msg = error_of([&] { describe_table(csv, {}); });
  EXPECT_HAS(msg,
             "wide.csv: column \"name\" has 150 categories in 150 rows, column \"tag\" has "
             "150 categories in 150 rows: more than 100 categories");
  EXPECT_HAS(msg, "leave them out with --drop name,tag, or allow more with --max-categories N");
  TableOptions o;
  o.drop = {"tag"};
  EXPECT_HAS(error_of([&] { describe_table(csv, o); }),
             "column \"name\" has 150 categories in 150 rows: more than 100 categories; "
             "one-hot encoding gives each category an input of its own");
  o.max_categories = 150;  // allowed when asked for, with a warning
  TableNotes notes;
  const TableEncoding e = describe_table(csv, o, notes);
  EXPECT_EQ(notes.encoded_features, 151);
  EXPECT_EQ(notes.id_like, (std::vector<std::string>{"name"}));
  o.max_categories = 0;  // no limit
  EXPECT_EQ(describe_table(csv, o).features.size(), 2u);
}

TEST(Table, WarnsAboutColumnsThatLookLikeIds) {
  const CsvTable csv = parse_csv(people_csv(60), "people.csv");
  TableNotes notes;
  const TableEncoding e = describe_table(csv, {}, notes);
  // id: a whole number per row; name: a category per row. Not the 3 cities, and not the
  // decimal score, although each of its values is different too.
  EXPECT_EQ(notes.id_like, (std::vector<std::string>{"id", "name"}));
  ASSERT_EQ(notes.warnings.size(), 2u);
  EXPECT_HAS(notes.warnings[0], "people.csv: column \"id\" looks like a row ID");
  EXPECT_HAS(notes.warnings[0], "--drop id");
  EXPECT_HAS(notes.warnings[1], "column \"name\" looks like an ID or free text (60 distinct");
  EXPECT_EQ(notes.numeric, 2);
  EXPECT_EQ(notes.categorical, 2);
  EXPECT_EQ(notes.encoded_features, 1 + 60 + 3 + 1);
  // A small table: 10 different values are not yet a sign of an ID.
  TableNotes small;
  describe_table(parse_csv(people_csv(10), "p.csv"), {}, small);
  EXPECT_TRUE(small.id_like.empty());
}

TEST(Table, EncodesAHundredThousandColumnsByName) {
  // Columns are found by a hash of their names: a search per column made a file this wide
  // take minutes.
  constexpr int kColumns = 100000;
  std::string text;
  for (int c = 0; c < kColumns; ++c) text += 'c' + std::to_string(c) + ',';
  text += "y\n";
  for (int row = 0; row < 4; ++row) {
    for (int c = 0; c < kColumns; ++c) text += std::to_string(c % 10 + row) + ",";
    text += row % 2 ? "a\n" : "b\n";
  }
  const CsvTable csv = parse_csv(text, "wide.csv");
  const TableEncoding e = fit_all(csv);
  ASSERT_EQ(e.num_inputs(), kColumns);
  EXPECT_DOUBLE_EQ(e.features[12345].mean, 5 + 1.5);  // 5, 6, 7, 8
  EncodeReport report;
  const std::vector<int32_t> first = {0};
  const std::vector<float> x = encode_features(csv, first, e, report);
  EXPECT_NEAR(x[12345], -1.5 / std::sqrt(1.25), 1e-6);
}

TEST(Table, AModelMustFitItsMetadata) {
  const TableEncoding e = fit_all(parse_csv(kPets, "pets.csv"));  // 4 inputs, 2 classes
  check_table_model(Shape{4}, Shape{2}, e, "m.safetensors");
  EXPECT_HAS(error_of([&] { check_table_model(Shape{5}, Shape{2}, e, "m.safetensors"); }),
             "m.safetensors: the model's input is (5) but its table metadata encodes 4 features");
  EXPECT_HAS(error_of([&] { check_table_model(Shape{4}, Shape{3}, e, "m.safetensors"); }),
             "m.safetensors: the model outputs (3) but its table metadata lists 2 classes");
  TableEncoding many = e;  // 100,000 class names for 3 outputs
  many.classes.clear();
  for (int i = 0; i < 100000; ++i) many.classes.push_back('c' + std::to_string(i));
  EXPECT_HAS(error_of([&] { check_table_model(Shape{4}, Shape{3}, many, "m"); }),
             "m: the model outputs (3) but its table metadata lists 100000 classes");
  TableEncoding reg = fit_all(parse_csv("a,y\n1,10\n2,20\n3,30\n4,40\n", "r.csv"));
  EXPECT_HAS(error_of([&] { check_table_model(Shape{1}, Shape{2}, reg, "r"); }),
             "r: the model outputs (2) but its table metadata is a regression (one output)");
  // Duplicate classes or categories would make an output or an input ambiguous.
  std::string twice = e.to_json();
  twice.replace(twice.find("\"bob\""), 5, "\"ann\"");
  EXPECT_HAS(error_of([&] { TableEncoding::from_json(twice, "m"); }),
             "m: the class \"ann\" is listed twice");
}

TEST(Table, MessagesShowValuesWithControlBytesEscapedAndLongOnesCut) {
  EXPECT_EQ(in_quotes(std::string("a\0b\n", 4)), "\"a\\x00b\\x0A\"");
  const std::string long_value(1000, 'x');
  EXPECT_EQ(in_quotes(long_value), "\"" + std::string(200, 'x') + "...\"");
  const CsvTable csv = parse_csv("a,y\n1,\x01p\n2,3\n", "ctl.csv");
  TableOptions o;
  o.task = TableTask::regress;
  EXPECT_HAS(error_of([&] { describe_table(csv, o); }),
             "ctl.csv:2: column \"y\": \"\\x01p\" is not a number");
}

TEST(Table, SplitsAreDisjointStratifiedAndSeeded) {
  std::vector<int32_t> rows(30), classes(30);
  for (size_t i = 0; i < 30; ++i) {
    rows[i] = 100 + static_cast<int32_t>(i);
    classes[i] = static_cast<int32_t>(i % 3);
  }
  const std::vector<int32_t> order = split_order(30, classes, 7);
  EXPECT_EQ(order, split_order(30, classes, 7));
  EXPECT_NE(order, split_order(30, classes, 8));
  const TableSplit s = holdout_split(rows, order, 0.2);
  ASSERT_EQ(s.val.size(), 6u);
  ASSERT_EQ(s.train.size(), 24u);
  std::vector<int> per_class(3, 0);
  for (int32_t r : s.val) ++per_class[static_cast<size_t>((r - 100) % 3)];
  EXPECT_EQ(per_class, (std::vector<int>{2, 2, 2}));
  const std::vector<TableSplit> folds = kfold_splits(rows, order, 4);
  ASSERT_EQ(folds.size(), 4u);
  std::vector<int32_t> all;
  for (const TableSplit& f : folds) {
    EXPECT_EQ(f.train.size() + f.val.size(), 30u);
    EXPECT_GE(f.val.size(), 7u);
    all.insert(all.end(), f.val.begin(), f.val.end());
  }
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, rows);  // every row is validated exactly once
}

TEST(Table, NumbersNearTheDoublesLimitAreErrorsNotInfinities) {
  // Found by fuzz_csv: a mean of 1e308-sized values overflowed to infinity, which the model
  // file's JSON cannot hold, and a value far outside the training range overflowed float32.
  const CsvTable huge = parse_csv("a,y\n1e308,x\n1.7e308,z\n-1e308,x\n1,z\n", "huge.csv");
  EXPECT_HAS(error_of([&] { fit_all(huge); }),
             "huge.csv: column \"a\": the values are too large to standardise");
  const CsvTable target = parse_csv("a,y\n1,1.7e308\n2,1.7e308\n3,1e10\n", "t.csv");
  TableOptions regress;
  regress.task = TableTask::regress;
  EXPECT_HAS(error_of([&] { fit_all(target, regress); }), "t.csv: column \"y\": the values");

  const TableEncoding e = fit_all(parse_csv("a,y\n0,x\n1,z\n0,x\n1,z\n", "small.csv"));
  const CsvTable far = parse_csv("a\n1\n1e300\n", "far.csv");
  EncodeReport report;
  const std::vector<int32_t> rows = {0, 1};
  EXPECT_HAS(error_of([&] { encode_features(far, rows, e, report); }),
             "far.csv:3: column \"a\": \"1e300\" is too far from the training values");
  const std::vector<float> x = encode_features(far, rows, e, report, /*strict=*/false);
  EXPECT_EQ(report.row_ok, (std::vector<uint8_t>{1, 0}));
  EXPECT_EQ(x[1], 0.0f);
  EXPECT_TRUE(std::isfinite(standardised(3.0e38, 0.0, 1.0)));
  EXPECT_TRUE(std::isnan(standardised(1e300, 0.0, 1.0)));
}

TEST(Table, APandasIndexColumnIsWarnedAboutAndDroppedByItsEmptyName) {
  // df.to_csv(path) writes the index as a first column with an empty name.
  std::string text = ",a,y\n";
  for (int i = 0; i < 30; ++i) {
    text += std::to_string(i) + "," + std::to_string(i % 3) + (i % 2 ? ",p\n" : ",q\n");
  }
  const CsvTable csv = parse_csv(text, "pd.csv");
  TableNotes notes;
  describe_table(csv, {}, notes);
  EXPECT_EQ(notes.id_like, (std::vector<std::string>{""}));
  ASSERT_EQ(notes.warnings.size(), 1u);
  EXPECT_HAS(notes.warnings[0], "leave it out with --drop \"\"");
  TableOptions o;
  o.drop = {""};
  const TableEncoding e = describe_table(csv, o, notes);
  ASSERT_EQ(e.features.size(), 1u);
  EXPECT_EQ(e.features[0].name, "a");
  EXPECT_TRUE(notes.warnings.empty());
}
