// Softmax as a layer (section 3.5), over the last dimension of (N, classes) inputs:
// y_k = exp(x_k) / sum_i exp(x_i). Its Jacobian is dy_k/dx_j = y_k (delta_kj - y_j), so
// dx_j = y_j (dout_j - sum_k dout_k y_k). For training a classifier use the
// softmax_cross_entropy loss instead, whose combined gradient is simply y - t (section 5.6.3).
#pragma once

#include "nnzero/layers/layer.h"

namespace nnzero {

class Softmax : public Layer {
 public:
  explicit Softmax(const Shape& in_shape);
  const char* type() const override { return "softmax"; }
  const Tensor& forward(const Tensor& x, bool train) override;
  const Tensor& backward(const Tensor& dout) override;
  Tensor* input_grad_buffer() override { return &dx_; }

 private:
  Tensor out_, dx_;
};

}  // namespace nnzero
