// Tanh: y = tanh(x); dx = dout * (1 - y^2).
#pragma once

#include "nnzero/layers/layer.h"

namespace nnzero {

class Tanh : public Layer {
 public:
  explicit Tanh(const Shape& in_shape) : Layer(in_shape, in_shape) {}
  const char* type() const override { return "tanh"; }
  const Tensor& forward(const Tensor& x, bool train) override;
  const Tensor& backward(const Tensor& dout) override;
  Tensor* input_grad_buffer() override { return &dx_; }

 private:
  Tensor out_, dx_;
};

}  // namespace nnzero
