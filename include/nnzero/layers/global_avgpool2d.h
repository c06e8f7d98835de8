// Global average pooling (PyTorch's AdaptiveAvgPool2d(1)): (C, H, W) -> (C, 1, 1), the mean
// of each channel; backward gives every pixel dout / (H*W).
#pragma once

#include "nnzero/layers/layer.h"

namespace nnzero {

class GlobalAvgPool2d : public Layer {
 public:
  explicit GlobalAvgPool2d(const Shape& in_shape);
  const char* type() const override { return "global_avgpool2d"; }
  const Tensor& forward(const Tensor& x, bool train) override;
  const Tensor& backward(const Tensor& dout) override;
  Tensor* input_grad_buffer() override { return &dx_; }

 private:
  Tensor out_, dx_;
};

}  // namespace nnzero
