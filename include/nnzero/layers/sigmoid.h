// Sigmoid (section 5.5.2): y = 1 / (1 + exp(-x)); dx = dout * y * (1 - y).
#pragma once

#include "nnzero/layers/layer.h"

namespace nnzero {

class Sigmoid : public Layer {
 public:
  explicit Sigmoid(const Shape& in_shape) : Layer(in_shape, in_shape) {}
  const char* type() const override { return "sigmoid"; }
  const Tensor& forward(const Tensor& x, bool train) override;
  const Tensor& backward(const Tensor& dout) override;
  Tensor* input_grad_buffer() override { return &dx_; }

 private:
  Tensor out_, dx_;
};

}  // namespace nnzero
