// SoftmaxWithLoss (section 5.6.3): y = softmax(score), L = -1/N sum_n log y[n, t_n].
// The two layers' gradients combine into the famously simple dL/dscore = (y - t) / N,
// t one-hot. A sequence's scores (N, T, classes) are N*T such rows (book 2's
// TimeSoftmaxWithLoss), labels (N, T) flattened. Targets are class indices (labels) or one-hot rows
// (values). The loss is computed as log-sum-exp minus the target score (PyTorch's way), which needs
// no 1e-7 guard.
#pragma once

#include <vector>

#include "nnzero/layers/loss.h"

namespace nnzero {

class SoftmaxCrossEntropy : public Loss {
 public:
  const char* type() const override { return "softmax_cross_entropy"; }
  double forward(const Tensor& score, const Target& target) override;
  const Tensor& backward() override;
  const Tensor& prediction() const override { return y_; }

 private:
  Tensor y_, dx_;
  std::vector<int32_t> labels_;
  const Tensor* onehot_ = nullptr;
};

using SoftmaxWithLoss = SoftmaxCrossEntropy;  // the book's name

}  // namespace nnzero
