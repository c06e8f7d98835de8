#include "nnzero/train/table_scores.h"

#include "nnzero/train/evaluate.h"

namespace nnzero {

TableScores score_table_model(Model& model, const Dataset& val, const TableEncoding& encoding) {
  TableScores s;
  if (val.size() == 0) return s;
  const EvalResult r = evaluate(model, val, 256, 0, true);
  const auto n = static_cast<double>(r.samples);
  s.rows = r.samples;
  s.loss = r.loss;
  if (encoding.task == TableTask::classify) {
    s.acc = r.accuracy;
    s.confusion = r.confusion;
  } else {
    // The network learns the standardised target: errors scale back by its std.
    s.rmse = std::sqrt(r.sum_sq_error / n) * encoding.target_std;
    s.mae = r.sum_abs_error / n * encoding.target_std;
    s.r2 = r.sum_sq_total > 0.0 ? 1.0 - r.sum_sq_error / r.sum_sq_total : NAN;
  }
  return s;
}

std::vector<ClassScores> class_scores(const std::vector<int64_t>& confusion,
                                      const std::vector<std::string>& classes) {
  const size_t k = classes.size();
  std::vector<ClassScores> out;
  if (confusion.size() != k * k) return out;
  for (size_t c = 0; c < k; ++c) {
    int64_t predicted = 0, actual = 0;
    for (size_t j = 0; j < k; ++j) {
      predicted += confusion[j * k + c];
      actual += confusion[c * k + j];
    }
    const auto tp = static_cast<double>(confusion[c * k + c]);
    ClassScores s;
    s.name = classes[c];
    if (predicted > 0) s.precision = tp / static_cast<double>(predicted);
    if (actual > 0) s.recall = tp / static_cast<double>(actual);
    s.support = actual;
    out.push_back(s);
  }
  return out;
}

}  // namespace nnzero
