#include "nnzero/layers/mse.h"

namespace nnzero {

double MeanSquaredError::forward(const Tensor& score, const Target& target) {
  if (score.rank() != 2) {
    throw Error("mse: expects outputs (N, outputs), got " + score.shape().str());
  }
  if (target.values == nullptr) throw Error("mse: needs target values");
  check_same_shape(target.values->shape(), score.shape(), "mse target");
  y_ = score;
  t_ = *target.values;
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
