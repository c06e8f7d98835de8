#include "nnzero/layers/softmax_cross_entropy.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "nnzero/functions/exp_float.h"

namespace nnzero {

namespace {
constexpr int kLanes = 16;  // independent accumulators: the compiler vectorizes these loops

float row_max(const float* s, int64_t k) {
  float lanes[kLanes];
  std::fill(lanes, lanes + kLanes, s[0]);
  int64_t j = 0;
  for (; j + kLanes <= k; j += kLanes) {
    for (int l = 0; l < kLanes; ++l) lanes[l] = std::max(lanes[l], s[j + l]);
  }
  float m = *std::max_element(lanes, lanes + kLanes);
  for (; j < k; ++j) m = std::max(m, s[j]);
  return m;
}

// y = exp(s - c) and its sum (in double: a vocabulary's 10,000 terms).
double exp_and_sum(const float* s, float c, float* y, int64_t k) {
  for (int64_t j = 0; j < k; ++j) y[j] = exp_float(s[j] - c);
  double lanes[kLanes] = {};
  int64_t j = 0;
  for (; j + kLanes <= k; j += kLanes) {
    for (int l = 0; l < kLanes; ++l) lanes[l] += static_cast<double>(y[j + l]);
  }
  double sum = 0.0;
  for (double v : lanes) sum += v;
  for (; j < k; ++j) sum += static_cast<double>(y[j]);
  return sum;
}
}  // namespace

double SoftmaxCrossEntropy::forward(const Tensor& score, const Target& target) {
  if (score.rank() != 2 && score.rank() != 3) {
    throw Error("softmax_cross_entropy: expects scores (N, classes) or (N, T, classes), got " +
                score.shape().str());
  }
  // A sequence's scores (N, T, classes) are N*T rows with a label each (book 2's
  // TimeSoftmaxWithLoss): the loss is their mean, as nn.CrossEntropyLoss's.
  const int64_t k = score.dim(score.rank() - 1), n = score.numel() / k;
  y_.resize(score.shape());
  onehot_ = nullptr;
  labels_.assign(target.labels.begin(), target.labels.end());
  if (labels_.empty()) {
    if (target.values == nullptr) throw Error("softmax_cross_entropy: no target given");
    check_same_shape(target.values->shape(), score.shape(), "softmax_cross_entropy target");
    onehot_ = target.values;
  } else if (static_cast<int64_t>(labels_.size()) != n) {
    throw Error("softmax_cross_entropy: " + std::to_string(labels_.size()) + " labels for " +
                std::to_string(n) + (score.rank() == 3 ? " positions" : " samples"));
  }
  // -log y_t computed as log(sum_j exp(s_j - c)) - (s_t - c), c = max_j s_j: exact where
  // y_t underflows, and consistent with the gradient y - t (the book's log(y + 1e-7) is not).
  double loss = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const float* s = score.data() + i * k;
    float* y = y_.data() + i * k;
    const float c = row_max(s, k);
    const double sum = exp_and_sum(s, c, y, k);
    const double log_sum = std::log(sum);
    const double inv_sum = 1.0 / sum;  // in double: probabilities as exact as a division's
    for (int64_t j = 0; j < k; ++j) y[j] = static_cast<float>(y[j] * inv_sum);
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
  const int64_t k = y_.dim(y_.rank() - 1), n = y_.numel() / k;
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
