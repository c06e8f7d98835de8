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
//
// With stride 1 (every network of the book) the products use the "wide" layout of
// kernels/im2col.h: the output grid is padded-width, its extra columns dropped. There the
// forward product and dx skip col altogether (kernels/implicit_gemm.h):
//   forward:  out_n = W xpad_n (implicit im2col)
//   backward: dW += dout_n xpad_n^T (implicit im2col transposed),
//             dx_n  = W' dpad_n, the full correlation of dout_n with the flipped kernel:
//             dx[c, h, w] = sum_{o, i, j} W[o, c, i, j] dout[o, h + pad - i, w + pad - j],
//             W' (C, OC*KH*KW) holding W regrouped by input channel, dpad_n dout_n with zero
//             margins; the same kernel as forward, and no col2im scatter.
#pragma once

#include <vector>

#include "nnzero/kernels/im2col.h"
#include "nnzero/layers/layer.h"
#include "nnzero/layers/maxpool2d.h"

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
  bool fuse_relu() override {
    relu_ = true;
    return true;
  }
  // Sequential fuses Conv2d + ReLU + MaxPool2d: forward_pooled convolves each image and
  // hands it to the pooling (MaxPool2d::pool_relu_image) while it is still in cache, and
  // returns the pooling's output; the convolution's own output is never written. The
  // pooling applies the ReLU's mask to the gradient it routes back
  // (MaxPool2d::set_input_from_relu), so backward takes dout as it is
  // (set_relu_mask_downstream) and needs only the input.
  const Tensor& forward_pooled(const Tensor& x, MaxPool2d& pool);
  // backward from the pooling's gradient dpool, routed through the pooling per image
  // (MaxPool2d::route_relu_image) instead of a batch-sized dx of the pooling.
  const Tensor& backward_pooled(const Tensor& dpool, const MaxPool2d& pool);
  void set_relu_mask_downstream(bool on) { relu_mask_downstream_ = on; }

  const ConvGeometry& geometry() const { return g_; }
  int64_t out_channels() const { return out_channels_; }
  Param& weight() { return weight_; }
  Param& bias() { return bias_; }

 private:
  // Per-thread scratch, carved from one tensor.
  struct Scratch {
    float* xpad;  // padded image (wide)
    float* col;   // im2col (stride > 1); wide: dout masked by the ReLU, then dout transposed
    float* grid;  // output grid, ld_ per row (wide forward); dout with margins, dld_ per row
                  // (wide backward); dout masked by the ReLU (stride > 1 backward)
    float* dx;    // dx on the wide grid, dxld_ per row (backward, wide)
  };
  int64_t col_size() const;
  int64_t grid_size() const;
  void resize_scratch();
  Scratch scratch(int thread) const;
  void forward_image(const float* x, float* out, Scratch s) const;
  void backward_image(const float* x, const float* out, const float* dout, float* dx, float* dw,
                      float* db, Scratch s) const;
  const float* relu_masked(const float* out, const float* dout, float* buffer) const;
  void pad_wide(const float* x, Scratch s) const;
  void forward_channels(float* out, int64_t o0, int64_t o1, Scratch s) const;
  const Tensor& forward_images(const Tensor& x, MaxPool2d* pool);
  void pool_work_space(MaxPool2d& pool, int64_t n, Scratch s) const;
  const Tensor& backward_images(const Tensor& dout, const MaxPool2d* pool);
  void dout_to_grid(const float* out, const float* dout, float* db, Scratch s) const;
  void grid_row_sums(float* db, Scratch s) const;
  void pooled_dout_to_grid(const MaxPool2d& pool, const float* dpool, int64_t n, float* db,
                           Scratch s) const;
  void backward_wide(const float* x, float* dx, float* dw, float* dwt, Scratch s) const;

  ConvGeometry g_;
  bool wide_;     // stride 1: the wide im2col layout
  int64_t cols_;  // columns of col and of the output grid: OH*Wp when wide, OH*OW otherwise
  // Wide layout only. Row strides: the forward grid (cols_ rounded up to the kernel's
  // block), dout with its zero margins (front_ floats before it), dx's grid.
  int64_t ld_ = 0, front_ = 0, dld_ = 0, dxld_ = 0;
  std::vector<int64_t> offset_, dx_offset_;  // implicit GEMM offsets for forward and dW, dx
  int64_t oc_pad_ = 0;  // dW by implicit_gemm_col_b: OC rounded up to whole vectors (else 0)
  int64_t out_channels_;
  bool has_bias_;
  bool relu_ = false;  // output max(0, .), dout masked by output > 0 (see Layer::fuse_relu)
  bool relu_mask_downstream_ = false;
  Param weight_, bias_;
  Tensor x_;
  Tensor out_, dx_;
  float* scratch_ = nullptr;  // per-thread work space (shared by the layers, see conv2d.cpp)
  int64_t scratch_stride_ = 0;
  Tensor wt_;  // W' (C, OC*KH*KW) for dx (wide)
};

}  // namespace nnzero
