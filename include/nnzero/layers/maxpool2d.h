// MaxPool2d (section 7.3): each output is the largest value in its K x K window (padding
// counts as -infinity). backward routes dout to the position that was the maximum; the
// others get 0. The book finds the argmax on the im2col matrix; here it is kept directly,
// per plane, by kernels/max_pool.h.
#pragma once

#include <vector>

#include "nnzero/kernels/pool_geometry.h"
#include "nnzero/layers/layer.h"

namespace nnzero {

class MaxPool2d : public Layer {
 public:
  MaxPool2d(const Shape& in_shape, int64_t kernel, int64_t stride, int64_t padding = 0);
  const char* type() const override { return "maxpool2d"; }
  const Tensor& forward(const Tensor& x, bool train) override;
  const Tensor& backward(const Tensor& dout) override;
  Tensor* input_grad_buffer() override { return &dx_; }
  const PoolGeometry& geometry() const { return g_; }

 private:
  PoolGeometry g_;
  std::vector<int32_t> argmax_;  // per output: index of the maximum within its input plane
  Tensor out_, dx_;
};

}  // namespace nnzero
