// Conv2d (sections 7.2 and 7.4): out[n, o] = sum_c W[o, c] * x[n, c] + b[o], "*" being the
// cross-correlation over KH x KW windows with stride and zero padding. As in the book it is
// im2col followed by a matrix product, here image by image:
//   forward:  col_n = im2col(x_n)                 (C*KH*KW, OH*OW)
//             out_n = W col_n + b                 W: (OC, C*KH*KW), out_n: (OC, OH*OW)
//   backward: dW += dout_n col_n^T,  db += sum over OH*OW of dout_n,
//             dx_n = col2im(W^T dout_n)
// The book unfolds the whole batch into one (N*OH*OW, C*KH*KW) matrix and transposes the
// product back to NCHW; one image at a time in this layout gives NCHW directly. Like the
// book, the layer keeps col for backward. Networks run FastConv2d (fast/fast_conv2d.h) in its
// place, the same sums without col; this class is its reference.
#pragma once

#include "nnzero/kernels/im2col.h"
#include "nnzero/layers/layer.h"

namespace nnzero {

class Conv2d : public Layer {
 public:
  // in_shape: (C, H, W).
  Conv2d(const Shape& in_shape, int64_t out_channels, int64_t kernel_h, int64_t kernel_w,
         int64_t stride = 1, int64_t padding = 0, bool bias = true);

  const char* type() const override { return "conv2d"; }
  const Tensor& forward(const Tensor& x, bool train) override;
  const Tensor& backward(const Tensor& dout) override;
  Tensor* input_grad_buffer() override { return &dx_; }
  std::vector<Param*> params() override;
  double flops() const override;

  const ConvGeometry& geometry() const { return g_; }
  int64_t out_channels() const { return out_channels_; }
  Param& weight() { return weight_; }
  Param& bias() { return bias_; }

 protected:
  ConvGeometry g_;
  int64_t out_channels_;
  bool has_bias_;
  Param weight_, bias_;
  Tensor x_;  // the input of the last forward (a view)
  Tensor out_, dx_;

 private:
  Tensor col_;          // (N, C*KH*KW, OH*OW): every image's im2col
  Tensor dcol_, xpad_;  // one image's W^T dout, and its padded copy for im2col/col2im
};

}  // namespace nnzero
