#include "nnzero/layers/softmax_cross_entropy.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace nnzero {

double SoftmaxCrossEntropy::forward(const Tensor& score, const Target& target) {
  if (score.rank() != 2) {
    throw Error("softmax_cross_entropy: expects scores (N, classes), got " + score.shape().str());
  }
  const int64_t n = score.dim(0), k = score.dim(1);
  y_.resize(score.shape());
  onehot_ = nullptr;
  labels_.assign(target.labels.begin(), target.labels.end());
  if (labels_.empty()) {
    if (target.values == nullptr) throw Error("softmax_cross_entropy: no target given");
    check_same_shape(target.values->shape(), score.shape(), "softmax_cross_entropy target");
    onehot_ = target.values;
  } else if (static_cast<int64_t>(labels_.size()) != n) {
    throw Error("softmax_cross_entropy: " + std::to_string(labels_.size()) + " labels for " +
                std::to_string(n) + " samples");
  }
  // -log y_t computed as log(sum_j exp(s_j - c)) - (s_t - c), c = max_j s_j: exact where
  // y_t underflows, and consistent with the gradient y - t (the book's log(y + 1e-7) is not).
  double loss = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const float* s = score.data() + i * k;
    float* y = y_.data() + i * k;
    const float c = *std::max_element(s, s + k);
    double sum = 0.0;
    for (int64_t j = 0; j < k; ++j) {
      const double e = std::exp(static_cast<double>(s[j] - c));
      y[j] = static_cast<float>(e);  // exp once per score
      sum += e;
    }
    const double log_sum = std::log(sum);
    for (int64_t j = 0; j < k; ++j) y[j] = static_cast<float>(y[j] / sum);
    if (onehot_ != nullptr) {
      const float* t = onehot_->data() + i * k;
      for (int64_t j = 0; j < k; ++j) {
        if (t[j] != 0.0f) loss -= t[j] * (static_cast<double>(s[j] - c) - log_sum);
      }
    } else {
      const int32_t label = labels_[static_cast<size_t>(i)];
      if (label < 0 || label >= k) {
        throw Error("softmax_cross_entropy: label " + std::to_string(label) + " outside [0, " +
                    std::to_string(k) + ")");
      }
      loss -= static_cast<double>(s[label] - c) - log_sum;
    }
  }
  return loss / static_cast<double>(n);
}

const Tensor& SoftmaxCrossEntropy::backward() {
  const int64_t n = y_.dim(0), k = y_.dim(1);
  dx_.resize(y_.shape());
  const float inv_n = 1.0f / static_cast<float>(n);
  for (int64_t i = 0; i < n * k; ++i) dx_[i] = y_[i] * inv_n;
  if (onehot_ != nullptr) {
    for (int64_t i = 0; i < n * k; ++i) dx_[i] -= (*onehot_)[i] * inv_n;
  } else {
    for (int64_t i = 0; i < n; ++i) dx_[i * k + labels_[static_cast<size_t>(i)]] -= inv_n;
  }
  return dx_;
}

}  // namespace nnzero
