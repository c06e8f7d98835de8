// Flatten: (N, C, H, W) -> (N, C*H*W), a view of the same numbers; backward reshapes back.
#pragma once

#include "nnzero/layers/layer.h"

namespace nnzero {

class Flatten : public Layer {
 public:
  explicit Flatten(const Shape& in_shape) : Layer(in_shape, Shape{in_shape.numel()}) {}
  const char* type() const override { return "flatten"; }
  const Tensor& forward(const Tensor& x, bool train) override;
  const Tensor& backward(const Tensor& dout) override;

 private:
  Tensor out_, dx_;
};

}  // namespace nnzero
