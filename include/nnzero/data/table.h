// Tables: a parsed CSV file (nnzero/io/csv.h) turned into a Dataset of float features, the
// way a Kaggle-style workflow prepares it for a network:
//   - one column is the target: class names (classification, softmax) or numbers
//     (regression, identity output + squared error); the others are features;
//   - a feature column is categorical when most of its non-empty values are not numbers,
//     and is then one-hot encoded with the categories seen in the training rows (a category
//     never seen there encodes as all zeros; a column of more than max_categories distinct
//     values is refused); otherwise it is numeric and standardised,
//     (x - mean) / std with the mean and standard deviation of the training rows (std 1 for
//     a constant column);
//   - an empty field is a missing value, filled with the training rows' mean (numeric) or
//     most common category (categorical);
//   - a regression target is standardised too, and predictions are mapped back.
// Everything learned from the training rows is a TableEncoding, stored as JSON in the model
// file's metadata ("nnzero.table") so that prediction applies exactly the same transform.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "nnzero/data/dataset.h"
#include "nnzero/io/csv.h"
#include "nnzero/shape.h"

namespace nnzero {

enum class TableTask { classify, regress };
const char* task_name(TableTask task);
// "classify" or "regress"; throws otherwise. `where` prefixes the message.
TableTask parse_task(const std::string& text, const std::string& where);

struct FeatureColumn {
  std::string name;
  bool categorical = false;
  // numeric: x -> (x - mean) / std; an empty field is `fill` (the training mean)
  double mean = 0.0, std = 1.0, fill = 0.0;
  // categorical: one input per category, in this order; an empty field is `fill_category`
  std::vector<std::string> categories;
  std::string fill_category;

  // Encoded inputs this column gives the network.
  int64_t width() const { return categorical ? static_cast<int64_t>(categories.size()) : 1; }
};

struct TableEncoding {
  std::string target;  // the target column's name
  TableTask task = TableTask::classify;
  std::vector<std::string> classes;  // classify: class names; output k is classes[k]
  bool standardize_target = true;    // regress: the network learns (y - mean) / std
  double target_mean = 0.0, target_std = 1.0;
  std::vector<FeatureColumn> features;  // every column but the target, in file order
  int64_t training_rows = 0;            // rows the statistics come from

  int64_t num_inputs() const;  // encoded features: the network's input size
  // The metadata string ("nnzero.table") and back; from_json throws naming `where` (also for
  // duplicate class or category names, which would make outputs or inputs ambiguous).
  std::string to_json() const;
  static TableEncoding from_json(const std::string& text, const std::string& where);
};

// A categorical column with more distinct values than this is refused by default: one-hot
// encoding gives every category an input of its own, and a column of names, tickets or IDs
// (a category per row) would give thousands that no validation row can use.
constexpr int64_t kDefaultMaxCategories = 100;

struct TableOptions {
  std::string target;             // "": the last column
  std::optional<TableTask> task;  // none: guessed (see describe_table)
  bool standardize_target = true;
  std::vector<std::string> drop;                   // columns left out (header names)
  int64_t max_categories = kDefaultMaxCategories;  // per categorical column; 0: no limit
};

// What describe_table noticed besides the encoding, for a person to read.
struct TableNotes {
  std::string task_reason;  // why the task is what it is ("--task", "the target has ...")
  // Feature columns that look like row IDs or free text: a categorical column with at least
  // 20 distinct values, more than half of its non-empty values distinct; a numeric column
  // of at least 20 distinct whole numbers, one per row. Each has a warning in `warnings`.
  std::vector<std::string> id_like;
  std::vector<std::string> warnings;
  std::vector<std::string> dropped;      // the columns of options.drop, in file order
  int64_t numeric = 0, categorical = 0;  // feature columns of each kind
  int64_t encoded_features = 0;          // the inputs if every row trained (all categories)
};

// What each column of the table is, decided from all its rows: the target column (an Error
// lists the columns when it does not exist), the task, which feature columns are
// categorical, and the class names (sorted: numerically when all are numbers). Without a
// task in `options` it is classify when a target value is not a number, or when the values
// are whole numbers with at most 20 distinct values and at least two rows per value on
// average; else regress; notes.task_reason says why. The columns in options.drop are left
// out. Throws an Error naming the file, line and column for ragged rows, duplicate column
// names, a file without data rows, a regression target that is not a number, a
// classification target with a single class, a column to drop that does not exist (or is
// the target), and categorical columns with more than options.max_categories categories
// (all of them named at once). The statistics are left unset: fit_table() learns them.
TableEncoding describe_table(const CsvTable& csv, const TableOptions& options, TableNotes& notes);
// The same, keeping only the reason for the task (if `reason` is given).
TableEncoding describe_table(const CsvTable& csv, const TableOptions& options,
                             std::string* reason = nullptr);

// The rows (from 0) whose target is not empty: the rows a model can learn from.
std::vector<int32_t> labelled_rows(const CsvTable& csv, const TableEncoding& layout);

// Learns the statistics of `layout`'s columns from the rows `train_rows` only: means and
// standard deviations, categories, fill values and the target's mean and std.
TableEncoding fit_table(const CsvTable& csv, const TableEncoding& layout,
                        std::span<const int32_t> train_rows);

// What encoding found, per feature column (in the encoding's order).
struct EncodeReport {
  std::vector<int64_t> missing;       // empty fields filled in
  std::vector<int64_t> unseen;        // categories not seen in the training rows (all-zero one-hot)
  std::vector<std::string> problems;  // per bad row: "file:line: column "x": ..." (lenient)
  std::vector<uint8_t> row_ok;        // per encoded row: 1 when it could be encoded
};

// The feature columns of the rows `rows` of `csv` (matched by name: their order and the
// presence of the target do not matter), encoded and standardised: rows.size() x
// num_inputs() values, row by row. A missing feature column is an Error that lists the
// file's columns. A row with the wrong number of fields or a non-number in a numeric column
// is an Error naming the file, the line and the column when `strict`; otherwise it is
// reported in report.problems, marked in report.row_ok and encoded as zeros.
std::vector<float> encode_features(const CsvTable& csv, std::span<const int32_t> rows,
                                   const TableEncoding& encoding, EncodeReport& report,
                                   bool strict = true);

// The class index of each of the rows `rows` (all labelled; classify). An Error names the
// file, line and class of a row whose class is not one of encoding.classes.
std::vector<int32_t> class_indices(const CsvTable& csv, std::span<const int32_t> rows,
                                   const TableEncoding& encoding);

// The rows `rows` (all labelled) as a Dataset: encoded features, and class indices or
// standardised targets. Strict: any bad row is an Error.
Dataset table_dataset(const CsvTable& csv, std::span<const int32_t> rows,
                      const TableEncoding& encoding, EncodeReport& report);

// Throws an Error naming `where` unless `model` fits `encoding`: its input has
// num_inputs() values and it outputs one score per class (classify) or one value (regress).
void check_table_model(const Shape& model_input, const Shape& model_output,
                       const TableEncoding& encoding, const std::string& where);

// The network's output for one row as the table's value: the class name of the largest
// score, or the regression output in the target's original units.
std::string prediction_text(const TableEncoding& encoding, std::span<const float> output);
// A regression output in the target's original units.
double target_value(const TableEncoding& encoding, float output);

// (x - mean) / std, or NaN when that is beyond float32's range (the network's inputs and
// targets are float32: a value 1e300 from training values near 1 is not one).
double standardised(double x, double mean, double std);

// Parses a whole field as a finite number (surrounding spaces allowed); false otherwise.
bool parse_number(std::string_view text, double& value);

}  // namespace nnzero
