// MaxPool2d (section 7.3): each output is the largest value in its K x K window (padding
// counts as -infinity). backward routes dout to the position that was the maximum; the
// others get 0. The book finds the argmax on the im2col matrix; here it is kept directly.
#pragma once

#include <vector>

#include "nnzero/layers/layer.h"
#include "nnzero/layers/pool_geometry.h"

namespace nnzero {

class MaxPool2d : public Layer {
 public:
  MaxPool2d(const Shape& in_shape, int64_t kernel, int64_t stride, int64_t padding = 0);
  const char* type() const override { return "maxpool2d"; }
  const Tensor& forward(const Tensor& x, bool train) override;
  const Tensor& backward(const Tensor& dout) override;
  Tensor* input_grad_buffer() override { return &dx_; }
  const PoolGeometry& geometry() const { return g_; }
  // The input is a ReLU's output (Conv2d with the ReLU fused): backward also applies the
  // ReLU's derivative, routing dout only from windows whose maximum is > 0 (a window's
  // maximum is the value at the position it routes to), so the ReLU's own input need not
  // be kept for its mask.
  void set_input_from_relu(bool on) { input_from_relu_ = on; }

  // Conv2d::forward_pooled's half of the fused forward pass: sizes the output for `batch`
  // images, then pools image n straight from the convolution's work space (row r of channel
  // c at in + c * channel_stride + r * row_stride) with the ReLU applied to each maximum,
  // while the image is still in cache. Images may be pooled in parallel.
  void resize_for(int64_t batch);
  void pool_relu_image(const float* in, int64_t row_stride, int64_t channel_stride, int64_t n);
  const Tensor& output() const { return out_; }
  // Backward's half of the fused pass (Conv2d::backward_pooled): image n's dout into dst
  // (laid out as in pool_relu_image, zero on entry) at the positions forward took, only
  // where the maximum was > 0 (the ReLU's mask).
  void route_relu_image(const float* dout, int64_t n, float* dst, int64_t row_stride,
                        int64_t channel_stride) const;

 private:
  // The common 2x2 window with stride 2 and no padding, which has vectorized paths.
  bool two_by_two() const { return g_.K == 2 && g_.stride == 2 && g_.pad == 0; }
  // One plane: each window's maximum, then max(., floor); arg in H x W indices.
  void pool_plane(const float* in, int64_t row_stride, float floor, float* out, int32_t* arg) const;

  PoolGeometry g_;
  std::vector<int32_t> argmax_;  // per output: index of the maximum within its input plane
  bool input_from_relu_ = false;
  Tensor out_, dx_;
};

}  // namespace nnzero
