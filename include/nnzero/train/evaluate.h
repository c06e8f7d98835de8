// Evaluation: the loss and accuracy of a model on a dataset, in evaluation mode (dropout
// off, BatchNorm with running statistics), in mini-batches.
#pragma once

#include <cstdint>
#include <vector>

#include "nnzero/data/dataset.h"
#include "nnzero/model/model.h"

namespace nnzero {

struct EvalResult {
  int64_t samples = 0;
  double loss = 0.0;      // mean over the samples
  double accuracy = 0.0;  // classification: fraction correct (NaN for regression)
  // classification: confusion[true * classes + predicted], when asked for
  std::vector<int64_t> confusion;
  // regression: sums over all samples and outputs, for RMSE, MAE and R^2
  double sum_sq_error = 0.0, sum_abs_error = 0.0, sum_sq_total = 0.0;
};

// Evaluates on the first `limit` samples (all when limit <= 0), `batch` at a time.
EvalResult evaluate(Model& model, const Dataset& data, int64_t batch, int64_t limit = 0,
                    bool confusion = false);

// Index of the largest value in each row of (N, K) scores.
void argmax_rows(const Tensor& scores, std::vector<int32_t>& out);

}  // namespace nnzero
