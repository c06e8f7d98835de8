#include "nnzero/fast/conv_relu_pool.h"

#include "nnzero/kernels/max_pool.h"

namespace nnzero {

ConvRelu::ConvRelu(FastConv2d& conv) : Layer(conv.in_shape(), conv.out_shape()), conv_(conv) {}

const Tensor& ConvRelu::forward(const Tensor& x, bool /*train*/) {
  return conv_.forward_relu(x);
}

const Tensor& ConvRelu::backward(const Tensor& dout) {
  return conv_.backward_relu(dout);
}

ConvReluPool::ConvReluPool(FastConv2d& conv, const MaxPool2d& pool)
    : Layer(conv.in_shape(), pool.out_shape()), conv_(conv), g_(pool.geometry()) {}

const Tensor& ConvReluPool::forward(const Tensor& x, bool /*train*/) {
  return conv_.forward_pooled(x, *this);
}

const Tensor& ConvReluPool::backward(const Tensor& dout) {
  return conv_.backward_pooled(dout, *this);
}

void ConvReluPool::resize_for(int64_t batch) {
  out_.resize(out_shape_.with_batch(batch));
  argmax_.resize(static_cast<size_t>(out_.numel()));
}

void ConvReluPool::pool_image(const float* in, int64_t row_stride, int64_t channel_stride,
                              int64_t n) {
  const int64_t out_plane = g_.OH * g_.OW;
  for (int64_t c = 0; c < g_.C; ++c) {
    const int64_t p = n * g_.C + c;
    max_pool_plane(in + c * channel_stride, row_stride, 0.0f, out_.data() + p * out_plane,
                   argmax_.data() + p * out_plane, g_);
  }
}

void ConvReluPool::route_image(const float* dout, int64_t n, float* dst, int64_t row_stride,
                               int64_t channel_stride) const {
  const int64_t out_plane = g_.OH * g_.OW;
  for (int64_t c = 0; c < g_.C; ++c) {
    const int64_t p = n * g_.C + c;
    route_relu_plane(dout + c * out_plane, out_.data() + p * out_plane,
                     argmax_.data() + p * out_plane, dst + c * channel_stride, row_stride, g_);
  }
}

}  // namespace nnzero
