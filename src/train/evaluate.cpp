#include "nnzero/train/evaluate.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace nnzero {

void argmax_rows(const Tensor& scores, std::vector<int32_t>& out) {
  const int64_t n = scores.dim(0), k = scores.dim(1);
  out.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const float* row = scores.data() + i * k;
    out[static_cast<size_t>(i)] = static_cast<int32_t>(std::max_element(row, row + k) - row);
  }
}

EvalResult evaluate(Model& model, const Dataset& data, int64_t batch, int64_t limit,
                    bool confusion) {
  EvalResult r;
  const int64_t n = limit > 0 ? std::min(limit, data.size()) : data.size();
  r.samples = n;
  if (n == 0) return r;
  const int32_t classes = data.num_classes;
  if (confusion && !data.is_regression()) {
    r.confusion.assign(static_cast<size_t>(classes) * static_cast<size_t>(classes), 0);
  }
  std::vector<int32_t> idx, labels, predicted;
  Tensor x, t;
  int64_t correct = 0;
  double loss_sum = 0.0;
  // Regression R^2 needs the targets' mean first.
  std::vector<double> target_mean(static_cast<size_t>(data.target_size), 0.0);
  for (int64_t i = 0; i < n && data.is_regression(); ++i) {
    for (int64_t k = 0; k < data.target_size; ++k) {
      target_mean[static_cast<size_t>(k)] +=
          data.targets[static_cast<size_t>(i * data.target_size + k)];
    }
  }
  for (double& m : target_mean) m /= static_cast<double>(n);
  for (int64_t start = 0; start < n; start += batch) {
    const int64_t count = std::min(batch, n - start);
    idx.resize(static_cast<size_t>(count));
    std::iota(idx.begin(), idx.end(), static_cast<int32_t>(start));
    gather_images(data, idx, model.input_shape(), x);
    Target target;
    if (data.is_regression()) {
      gather_targets(data, idx, t);
      target.values = &t;
    } else {
      gather_labels(data, idx, labels);
      target.labels = labels;
    }
    loss_sum += model.loss(x, target, false) * static_cast<double>(count);
    const Tensor& y = model.prediction();
    if (data.is_regression()) {
      for (int64_t i = 0; i < y.numel(); ++i) {
        const double e = static_cast<double>(y[i]) - t[i];
        const double d = t[i] - target_mean[static_cast<size_t>(i % data.target_size)];
        r.sum_sq_error += e * e;
        r.sum_abs_error += std::abs(e);
        r.sum_sq_total += d * d;
      }
      continue;
    }
    argmax_rows(y, predicted);
    for (int64_t i = 0; i < count; ++i) {
      const int32_t truth = labels[static_cast<size_t>(i)],
                    guess = predicted[static_cast<size_t>(i)];
      correct += truth == guess;
      if (!r.confusion.empty() && guess < classes) {
        ++r.confusion[static_cast<size_t>(truth) * static_cast<size_t>(classes) +
                      static_cast<size_t>(guess)];
      }
    }
  }
  r.loss = loss_sum / static_cast<double>(n);
  r.accuracy = data.is_regression() ? std::numeric_limits<double>::quiet_NaN()
                                    : static_cast<double>(correct) / static_cast<double>(n);
  return r;
}

}  // namespace nnzero
