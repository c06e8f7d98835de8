#include "nnzero/functions/loss.h"

#include <cmath>
#include <string>

namespace nnzero {

namespace {
constexpr double kDelta = 1e-7;

// Rank 1 is one sample; rank 2 is a batch of rows.
int64_t batch_size(const Tensor& y) {
  return y.rank() == 2 ? y.dim(0) : 1;
}

void check_rank(const Tensor& y, const char* what) {
  if (y.rank() != 1 && y.rank() != 2) {
    throw Error(std::string(what) + ": expects a vector or a batch of rows, got shape " +
                y.shape().str());
  }
}
}  // namespace

double sum_squared_error(const Tensor& y, const Tensor& t) {
  check_rank(y, "sum_squared_error");
  check_same_shape(y.shape(), t.shape(), "sum_squared_error");
  double sum = 0.0;
  for (int64_t i = 0; i < y.numel(); ++i) {
    const double d = static_cast<double>(y[i]) - t[i];
    sum += d * d;
  }
  return 0.5 * sum / static_cast<double>(batch_size(y));
}

double cross_entropy_error(const Tensor& y, const Tensor& t_onehot) {
  check_rank(y, "cross_entropy_error");
  check_same_shape(y.shape(), t_onehot.shape(), "cross_entropy_error");
  double sum = 0.0;
  for (int64_t i = 0; i < y.numel(); ++i) {
    if (t_onehot[i] != 0.0f) sum -= t_onehot[i] * std::log(y[i] + kDelta);
  }
  return sum / static_cast<double>(batch_size(y));
}

double cross_entropy_error(const Tensor& y, std::span<const int32_t> labels) {
  check_rank(y, "cross_entropy_error");
  const int64_t n = batch_size(y);
  const int64_t classes = y.dim(-1);
  if (static_cast<int64_t>(labels.size()) != n) {
    throw Error("cross_entropy_error: " + std::to_string(labels.size()) + " labels for " +
                std::to_string(n) + " samples");
  }
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const int32_t label = labels[static_cast<size_t>(i)];
    if (label < 0 || label >= classes) {
      throw Error("cross_entropy_error: label " + std::to_string(label) + " outside [0, " +
                  std::to_string(classes) + ")");
    }
    sum -= std::log(y[i * classes + label] + kDelta);
  }
  return sum / static_cast<double>(n);
}

}  // namespace nnzero
