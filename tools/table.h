// Tables (CSV files): the paths of `train` and `predict` for tabular data.
#pragma once

#include <string>
#include <vector>

#include "nnzero/model/model_file.h"

namespace nnzero::cli {

// A model trained on a table carries its preprocessing in the "nnzero.table" metadata.
inline bool is_table_model(const LoadedModel& loaded) {
  return loaded.metadata.contains("nnzero.table");
}

// nnzero predict MODEL FILE.csv: writes the rows with a prediction column to `out_path`
// and prints the JSON result line.
void predict_table(LoadedModel& loaded, const std::vector<std::string>& inputs,
                   const std::string& out_path);

}  // namespace nnzero::cli
