#include "nnzero/functions/activation.h"

#include <algorithm>
#include <cmath>

namespace nnzero {

namespace {
template <class F>
Tensor map(const Tensor& x, F f) {
  Tensor y(x.shape());
  std::transform(x.begin(), x.end(), y.begin(), f);
  return y;
}
}  // namespace

Tensor step_function(const Tensor& x) {
  return map(x, [](float v) { return v > 0.0f ? 1.0f : 0.0f; });
}

Tensor sigmoid(const Tensor& x) {
  return map(x, [](float v) { return 1.0f / (1.0f + std::exp(-v)); });
}

Tensor relu(const Tensor& x) {
  return map(x, [](float v) { return std::max(v, 0.0f); });
}

Tensor tanh(const Tensor& x) {
  return map(x, [](float v) { return std::tanh(v); });
}

Tensor identity_function(const Tensor& x) {
  return x.clone();
}

void softmax_row(const float* x, float* y, int64_t n) {
  const float c = *std::max_element(x, x + n);
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    y[i] = std::exp(x[i] - c);
    sum += y[i];
  }
  const float inv = 1.0f / sum;
  for (int64_t i = 0; i < n; ++i) y[i] *= inv;
}

Tensor softmax(const Tensor& x) {
  if (x.rank() != 1 && x.rank() != 2) {
    throw Error("softmax: expects a vector or a batch of rows, got shape " + x.shape().str());
  }
  Tensor y(x.shape());
  const int64_t cols = x.dim(-1);
  const int64_t rows = x.rank() == 2 ? x.dim(0) : 1;
  if (cols == 0) return y;
  for (int64_t r = 0; r < rows; ++r) {
    softmax_row(x.data() + r * cols, y.data() + r * cols, cols);
  }
  return y;
}

}  // namespace nnzero
