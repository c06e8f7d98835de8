// Tables (CSV files): the paths of `train` and `predict` for tabular data. See docs/tables.md.
#pragma once

#include <string>
#include <vector>

#include "commands.h"
#include "nnzero/model/model_file.h"

namespace nnzero::cli {

// A model trained on a table carries its preprocessing in the "nnzero.table" metadata.
inline bool is_table_model(const LoadedModel& loaded) {
  return loaded.metadata.contains("nnzero.table");
}

// True when `data` names a CSV file (ends in ".csv" or ".csv.gz", any case): `train` then
// takes the table path instead of MNIST.
bool is_table_data(const std::string& data);
// "dir/iris.csv" -> "dir/iris" (".csv", ".csv.gz", any case; other names unchanged).
std::string strip_csv_extension(const std::string& path);

// Registers the table flags on `train`: --target, --task, --val-split, --folds.
void add_table_flags(CLI::App& train);

// nnzero train --data FILE.csv: reads its flags from the parsed `train` subcommand, trains
// (with k-fold cross-validation under --folds), writes the run folder and prints the JSON.
void train_table(const CLI::App& train);

// nnzero predict MODEL FILE.csv: writes the rows with a prediction column to `out_path`
// ("" : FILE.predictions.csv next to the input) and prints the JSON result line.
void predict_table(LoadedModel& loaded, const std::vector<std::string>& inputs,
                   const std::string& out_path);

}  // namespace nnzero::cli
