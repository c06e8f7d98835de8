#include "nnzero/layers/mse.h"

#include <string>

namespace nnzero {

namespace {
// Class labels as the book's one-hot targets t (section 4.2.1): row i has a 1 at labels[i].
void one_hot_rows(std::span<const int32_t> labels, const Shape& shape, Tensor& t) {
  const int64_t n = shape[0], k = shape[1];
  if (static_cast<int64_t>(labels.size()) != n) {
    throw Error("mse: " + std::to_string(labels.size()) + " labels for " + std::to_string(n) +
                " samples");
  }
  t.resize(shape);
  t.zero();
  for (int64_t i = 0; i < n; ++i) {
    const int32_t label = labels[static_cast<size_t>(i)];
    if (label < 0 || label >= k) {
      throw Error("mse: label " + std::to_string(label) + " is not one of the " +
                  std::to_string(k) + " outputs");
    }
    t[i * k + label] = 1.0f;
  }
}
}  // namespace

double MeanSquaredError::forward(const Tensor& score, const Target& target) {
  if (score.rank() != 2) {
    throw Error("mse: expects outputs (N, outputs), got " + score.shape().str());
  }
  if (target.values != nullptr) {
    check_same_shape(target.values->shape(), score.shape(), "mse target");
    t_ = *target.values;
  } else {
    one_hot_rows(target.labels, score.shape(), t_);
  }
  y_ = score;
  double sum = 0.0;
  for (int64_t i = 0; i < score.numel(); ++i) {
    const double d = static_cast<double>(score[i]) - t_[i];
    sum += d * d;
  }
  return 0.5 * sum / static_cast<double>(score.dim(0));
}

const Tensor& MeanSquaredError::backward() {
  dx_.resize(y_.shape());
  const float inv_n = 1.0f / static_cast<float>(y_.dim(0));
  for (int64_t i = 0; i < y_.numel(); ++i) dx_[i] = (y_[i] - t_[i]) * inv_n;
  return dx_;
}

}  // namespace nnzero
