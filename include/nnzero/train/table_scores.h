// How well a model trained on a table does on its validation rows: accuracy and a confusion
// matrix (classify), or R^2, RMSE and MAE in the target's own units (regress), and the
// per-class precision and recall a confusion matrix gives.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "nnzero/data/dataset.h"
#include "nnzero/data/table.h"
#include "nnzero/model/sequential.h"

namespace nnzero {

// One model's scores on its validation rows. NaN where not measured.
struct TableScores {
  int64_t rows = 0;
  double loss = NAN;                       // the training loss (with the weight-decay penalty)
  double acc = NAN;                        // classify
  double r2 = NAN, rmse = NAN, mae = NAN;  // regress, in the target's units
  std::vector<int64_t> confusion;          // classify: [true * classes + predicted]
};

// Scores `model` on `val` (rows encoded with `encoding`); all NaN for an empty `val`.
TableScores score_table_model(Model& model, const Dataset& val, const TableEncoding& encoding);

// One class's row of a confusion matrix, as precision and recall.
struct ClassScores {
  std::string name;
  double precision = NAN;  // of the rows predicted as this class, the fraction that are
  double recall = NAN;     // of the rows of this class, the fraction predicted as it
  int64_t support = 0;     // rows of this class
};
// Per class, from a C x C confusion matrix [true * C + predicted] (empty if it is not C x C).
std::vector<ClassScores> class_scores(const std::vector<int64_t>& confusion,
                                      const std::vector<std::string>& classes);

}  // namespace nnzero
