// Conv2d (section 7.2, 7.4): out[n, o] = sum_c W[o, c] * x[n, c] + b[o], "*" being the
// cross-correlation over KH x KW windows with stride and zero padding. As in the book, it
// is im2col followed by a matrix product, done image by image so the unfolded matrix stays
// in cache and the images of a batch spread over the threads:
//   forward:  col = im2col(x_n)                   (C*KH*KW, OH*OW)
//             out_n = W col + b                   W: (OC, C*KH*KW), out_n: (OC, OH*OW)
//   backward: dW += dout_n col^T,  db += sum over OH*OW of dout_n,
//             dx_n = col2im(W^T dout_n)
// The input is kept (not its im2col) and unfolded again in backward: cheaper in memory
// than storing col for the whole batch, and the unfold is cheap next to the GEMMs.
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
  std::vector<Param*> params() override;
  double flops() const override;

  const ConvGeometry& geometry() const { return g_; }
  int64_t out_channels() const { return out_channels_; }
  Param& weight() { return weight_; }
  Param& bias() { return bias_; }

 private:
  ConvGeometry g_;
  int64_t out_channels_;
  bool has_bias_;
  Param weight_, bias_;
  Tensor x_;
  Tensor out_, dx_;
  // Per-thread scratch: col and dcol (C*KH*KW x OH*OW each), dW and db partial sums.
  Tensor scratch_, partial_;
};

}  // namespace nnzero
