// Predicting the rows of a CSV file with a model trained on a table: exactly the
// preprocessing stored in its "nnzero.table" metadata (columns matched by name, missing
// values filled, unseen categories as all zeros), then the network, then a class name or a
// value in the target's units. The workflow of `nnzero predict MODEL FILE.csv`.
//
//   nnzero::LoadedModel m = nnzero::load_model("runs/iris/model.safetensors");
//   nnzero::TablePredictions p = nnzero::predict_table(m, "model", "new_flowers.csv");
//   p.predictions[0];  // "setosa"
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "nnzero/data/table.h"
#include "nnzero/model/model_file.h"

namespace nnzero {

// A model trained on a table carries its preprocessing in the "nnzero.table" metadata.
inline bool is_table_model(const LoadedModel& loaded) {
  return loaded.metadata.contains("nnzero.table");
}

// The model's table metadata, checked against its network (input width, one output per
// class or one value); an Error naming `model_name` otherwise.
TableEncoding table_encoding_of(const LoadedModel& loaded, const std::string& model_name);

struct TablePredictions {
  CsvTable csv;            // the rows read
  TableEncoding encoding;  // the model's preprocessing
  // Per row: a class name or a value in the target's units; "" for a row that could not be
  // encoded (report.problems says why, report.row_ok marks it).
  std::vector<std::string> predictions;
  EncodeReport report;  // per feature column: missing values filled, unseen categories
  int64_t predicted = 0, skipped = 0;
  std::map<std::string, int64_t> class_counts;  // classify: rows predicted as each class
};

// Predicts every row of `csv_path`. A row with the wrong number of fields or text in a
// numeric column is skipped and reported; throws an Error when no row can be predicted, when
// a feature column is missing, or when the file has no data rows.
TablePredictions predict_table(LoadedModel& loaded, const std::string& model_name,
                               const std::string& csv_path);

// The output CSV: the input's header and rows (a ragged row cut or padded to the header's
// width) plus one column, "prediction" ("nnzero_prediction" when the input has one already).
std::string predictions_csv(const TablePredictions& p);

}  // namespace nnzero
