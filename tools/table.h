// Tables (CSV files): the `train` and `predict` commands for tabular data, thin wrappers over
// the library's train_table and predict_table (nnzero/train/table_training.h,
// nnzero/train/table_predict.h). See docs/tables.md.
#pragma once

#include <string>
#include <vector>

#include "commands.h"
#include "nnzero/io/csv.h"
#include "nnzero/train/table_predict.h"
#include "nnzero/train/table_training.h"

namespace nnzero::cli {

// True when `data` names a CSV file (ends in ".csv" or ".csv.gz", any case): `train` then
// takes the table path instead of MNIST.
inline bool is_table_data(const std::string& data) {
  return has_csv_extension(data);
}

// Registers the table flags on `train`: --target, --task, --val-split, --folds, --drop,
// --max-categories.
void add_table_flags(CLI::App& train);

// nnzero train --data FILE.csv: reads its flags from the parsed `train` subcommand, trains
// (with k-fold cross-validation under --folds), writes the run folder and prints the JSON.
void train_table(const CLI::App& train);

// The JSON line of a finished table run saved in `out_dir`.
nlohmann::json table_result_json(const TableTrainResult& r, const std::string& out_dir);

// nnzero predict MODEL FILE.csv: writes the rows with a prediction column to `out_path`
// ("" : FILE.predictions.csv next to the input) and prints the JSON result line.
void predict_table(LoadedModel& loaded, const std::string& model_path,
                   const std::vector<std::string>& inputs, const std::string& out_path);

}  // namespace nnzero::cli
