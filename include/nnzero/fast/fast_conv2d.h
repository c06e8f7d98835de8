// FastConv2d: Conv2d's sums (layers/conv2d.h), computed without the im2col matrix. The
// planning step (model/plan.h) runs it in place of every Conv2d of a network; it has the same
// parameters and type name, and tests hold it to Conv2d (tests/test_fast_layers.cpp).
//
// Image by image, each thread with its own work space (the images of a batch spread over
// the threads). With stride 1 (every network of the book) the products use the "wide"
// layout of kernels/im2col.h: the output grid is padded-width, its extra columns dropped, and
// the forward product and dx read the padded image straight from offsets
// (kernels/implicit_gemm.h):
//   forward:  out_n = W xpad_n (implicit im2col)
//   backward: dW += dout_n xpad_n^T (implicit im2col transposed),
//             dx_n  = W' dpad_n, the full correlation of dout_n with the flipped kernel:
//             dx[c, h, w] = sum_{o, i, j} W[o, c, i, j] dout[o, h + pad - i, w + pad - j],
//             W' (C, OC*KH*KW) holding W regrouped by input channel, dpad_n dout_n with zero
//             margins; the same kernel as forward, and no col2im scatter.
// With stride > 1 it is the book's im2col + GEMM per image.
//
// The input is kept (not its im2col) and unfolded again in backward: cheaper in memory than
// col for the whole batch, and the unfold is cheap next to the products.
//
// The fused variants of fast/conv_relu_pool.h run it with an epilogue: a ReLU applied to the
// output (and its mask to dout), or a max pooling fed from the work space image by image.
#pragma once

#include <vector>

#include "nnzero/layers/conv2d.h"

namespace nnzero {

class ConvReluPool;

class FastConv2d : public Conv2d {
 public:
  FastConv2d(const Shape& in_shape, int64_t out_channels, int64_t kernel_h, int64_t kernel_w,
             int64_t stride = 1, int64_t padding = 0, bool bias = true);

  const Tensor& forward(const Tensor& x, bool train) override;
  const Tensor& backward(const Tensor& dout) override;

  // out = max(0, conv(x)); backward_relu masks dout by out > 0 (fast/conv_relu_pool.h).
  const Tensor& forward_relu(const Tensor& x);
  const Tensor& backward_relu(const Tensor& dout);
  // Each image convolved, ReLU'd and handed to `pool` while in cache; returns the pooling's
  // output (the convolution's own is never written). backward_pooled takes the pooling's
  // gradient, which `pool` routes into the work space image by image.
  const Tensor& forward_pooled(const Tensor& x, ConvReluPool& pool);
  const Tensor& backward_pooled(const Tensor& dpool, const ConvReluPool& pool);

 private:
  // Per-thread scratch, carved from the workspace.
  struct Scratch {
    float* xpad;  // padded image (wide)
    float* col;   // im2col (stride > 1); wide: dout masked by the ReLU, then dout transposed
    float* grid;  // output grid, ld_ per row (wide forward); dout with margins, dld_ per row
                  // (wide backward); dout masked by the ReLU (stride > 1 backward)
    float* dx;    // dx on the wide grid, dxld_ per row (backward, wide)
  };
  int64_t col_size() const;
  int64_t grid_size() const;
  int64_t scratch_size() const;
  Scratch scratch(float* base, int thread) const;
  float* scratch_base(int threads);
  void forward_image(const float* x, float* out, Scratch s) const;
  void backward_image(const float* x, const float* out, const float* dout, float* dx, float* dw,
                      float* db, Scratch s) const;
  const float* relu_masked(const float* out, const float* dout, float* buffer) const;
  void pad_wide(const float* x, Scratch s) const;
  void forward_channels(float* out, int64_t o0, int64_t o1, Scratch s) const;
  const Tensor& forward_images(const Tensor& x, ConvReluPool* pool);
  void forward_one_image_split(const Tensor& x, ConvReluPool* pool);
  void pool_work_space(ConvReluPool& pool, int64_t n, Scratch s) const;
  const Tensor& backward_images(const Tensor& dout, const ConvReluPool* pool);
  void regroup_weights();
  void dout_to_grid(const float* out, const float* dout, float* db, Scratch s) const;
  void grid_row_sums(float* db, Scratch s) const;
  void pooled_dout_to_grid(const ConvReluPool& pool, const float* dpool, int64_t n, float* db,
                           Scratch s) const;
  void backward_wide(const float* x, float* dx, float* dw, float* dwt, Scratch s) const;
  void sum_partials(const float* partial, int64_t partial_stride, int threads);

  bool wide_;     // stride 1: the wide im2col layout
  int64_t cols_;  // columns of col and of the output grid: OH*Wp when wide, OH*OW otherwise
  // Wide layout only. Row strides: the forward grid (cols_ rounded up to the kernel's
  // block), dout with its zero margins (front_ floats before it), dx's grid.
  int64_t ld_ = 0, front_ = 0, dld_ = 0, dxld_ = 0;
  std::vector<int64_t> offset_, dx_offset_;  // implicit GEMM offsets for forward and dW, dx
  int64_t oc_pad_ = 0;        // dW by implicit_gemm_col_b: OC rounded up to whole vectors (else 0)
  bool relu_ = false;         // the last forward applied a ReLU (forward_relu, forward_pooled)
  float* scratch_ = nullptr;  // the per-thread work space of the current call
  Tensor wt_;                 // W' (C, OC*KH*KW) for dx (wide)
};

}  // namespace nnzero
