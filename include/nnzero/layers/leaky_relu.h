// LeakyReLU: y = x if x > 0 else a*x (a = negative_slope, 0.01 by default as in PyTorch);
// dx = dout if x > 0 else a*dout. Keeps a small gradient where ReLU would have none.
#pragma once

#include "nnzero/layers/layer.h"

namespace nnzero {

class LeakyReLU : public Layer {
 public:
  LeakyReLU(const Shape& in_shape, float negative_slope = 0.01f)
      : Layer(in_shape, in_shape), slope_(negative_slope) {}
  const char* type() const override { return "leaky_relu"; }
  const Tensor& forward(const Tensor& x, bool train) override;
  const Tensor& backward(const Tensor& dout) override;
  Tensor* input_grad_buffer() override { return &dx_; }
  float negative_slope() const { return slope_; }

 private:
  float slope_;
  Tensor x_, out_, dx_;
};

}  // namespace nnzero
