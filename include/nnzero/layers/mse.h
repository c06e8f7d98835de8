// Identity output with the sum of squared errors (section 4.2.1, 5.6.3), for regression:
// L = 1/(2N) sum_n sum_k (y_nk - t_nk)^2, whose gradient is simply (y - t) / N, the
// regression twin of softmax_cross_entropy's. (PyTorch's MSELoss has no 1/2 and averages
// over all elements; the minimum is the same.) Given class labels instead of values, t is
// their one-hot rows, as in the book's section 4.2.1 example.
#pragma once

#include "nnzero/layers/loss.h"

namespace nnzero {

class MeanSquaredError : public Loss {
 public:
  const char* type() const override { return "mse"; }
  double forward(const Tensor& score, const Target& target) override;
  const Tensor& backward() override;
  const Tensor& prediction() const override { return y_; }

 private:
  Tensor y_, t_, dx_;
};

}  // namespace nnzero
