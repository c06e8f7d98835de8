// Fused layers: a convolution with the ReLU after it, and with the max pooling after that,
// each run as one pass of FastConv2d (fast/fast_conv2d.h). The planning step (model/plan.h)
// puts them in a network's place of the layers they stand for; those layers stay in the
// network for their parameters, names and the model file. Each gives the same numbers, bit
// for bit, as its layers one by one (tests/test_fast_layers.cpp).
#pragma once

#include <vector>

#include "nnzero/fast/fast_conv2d.h"
#include "nnzero/kernels/pool_geometry.h"
#include "nnzero/layers/maxpool2d.h"

namespace nnzero {

// Conv2d + ReLU: the ReLU applied to the output while it is in cache, and its mask to dout
// before the convolution's backward.
class ConvRelu : public Layer {
 public:
  explicit ConvRelu(FastConv2d& conv);
  const char* type() const override { return "conv2d+relu"; }
  const Tensor& forward(const Tensor& x, bool train) override;
  const Tensor& backward(const Tensor& dout) override;
  Tensor* input_grad_buffer() override { return conv_.input_grad_buffer(); }

 private:
  FastConv2d& conv_;
};

// Conv2d + ReLU + MaxPool2d: each image convolved and pooled while it is still in cache, so
// the convolution's output is never written whole; the ReLU is applied to each window's
// maximum (max and ReLU commute). backward routes the pooling's gradient straight into the
// convolution's work space, only from windows whose maximum was > 0 (the ReLU's mask).
class ConvReluPool : public Layer {
 public:
  ConvReluPool(FastConv2d& conv, const MaxPool2d& pool);
  const char* type() const override { return "conv2d+relu+maxpool2d"; }
  const Tensor& forward(const Tensor& x, bool train) override;
  const Tensor& backward(const Tensor& dout) override;
  Tensor* input_grad_buffer() override { return conv_.input_grad_buffer(); }

  // FastConv2d's calls, image by image (images may run in parallel). The image's channel c,
  // row r starts at in + c * channel_stride + r * row_stride.
  void resize_for(int64_t batch);
  void pool_image(const float* in, int64_t row_stride, int64_t channel_stride, int64_t n);
  const Tensor& output() const { return out_; }
  // Image n's dout into dst (laid out as in pool_image, zero on entry) at the positions the
  // forward pass took, where their maximum was > 0.
  void route_image(const float* dout, int64_t n, float* dst, int64_t row_stride,
                   int64_t channel_stride) const;

 private:
  FastConv2d& conv_;
  PoolGeometry g_;
  std::vector<int32_t> argmax_;  // per output: index of the maximum within its input plane
  Tensor out_;
};

}  // namespace nnzero
