// AvgPool2d: each output is the mean of its K x K window. Padded zeros count in the mean
// (the divisor is always K*K), as PyTorch does by default. backward spreads dout / (K*K)
// evenly over the window.
#pragma once

#include "nnzero/kernels/pool_geometry.h"
#include "nnzero/layers/layer.h"

namespace nnzero {

class AvgPool2d : public Layer {
 public:
  AvgPool2d(const Shape& in_shape, int64_t kernel, int64_t stride, int64_t padding = 0);
  const char* type() const override { return "avgpool2d"; }
  const Tensor& forward(const Tensor& x, bool train) override;
  const Tensor& backward(const Tensor& dout) override;
  Tensor* input_grad_buffer() override { return &dx_; }
  const PoolGeometry& geometry() const { return g_; }

 private:
  PoolGeometry g_;
  Tensor out_, dx_;
};

}  // namespace nnzero
