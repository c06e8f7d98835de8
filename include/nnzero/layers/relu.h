// ReLU (section 5.5.1): y = max(0, x); dx = dout where x > 0, else 0.
// The book keeps a mask of x <= 0; y > 0 is the same mask, so the output is all we keep.
#pragma once

#include "nnzero/layers/layer.h"

namespace nnzero {

class ReLU : public Layer {
 public:
  explicit ReLU(const Shape& in_shape) : Layer(in_shape, in_shape) {}
  const char* type() const override { return "relu"; }
  const Tensor& forward(const Tensor& x, bool train) override;
  const Tensor& backward(const Tensor& dout) override;
  Tensor* input_grad_buffer() override { return fused_ ? nullptr : &dx_; }
  // The layer before applies the ReLU itself (Layer::fuse_relu): pass values through.
  void set_fused(bool fused) { fused_ = fused; }
  bool fused() const { return fused_; }

 private:
  bool fused_ = false;
  Tensor out_, dx_;
};

}  // namespace nnzero
