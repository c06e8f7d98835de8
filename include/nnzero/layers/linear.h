// Linear (the book's Affine, section 5.6): out = x W^T + b.
// x: (N, in) or a sequence (N, T, in), each of its T vectors alike, W: (out, in) as PyTorch stores
// it (the book's W is its transpose), b: (out). backward: dx = dout W, dW += dout^T x, db += sum
// over the batch of dout. The products go through kernels/matmul.h, which picks how to compute
// them; a network's first layer may run as SparseInputLinear instead (fast/sparse_input_linear.h).
#pragma once

#include "nnzero/layers/layer.h"

namespace nnzero {

class Linear : public Layer {
 public:
  Linear(const Shape& in_shape, int64_t out_features, bool bias = true);

  const char* type() const override { return "linear"; }
  const Tensor& forward(const Tensor& x, bool train) override;
  const Tensor& backward(const Tensor& dout) override;
  Tensor* input_grad_buffer() override { return &dx_; }
  std::vector<Param*> params() override;
  double flops() const override;

  int64_t in_features() const { return in_features_; }
  int64_t out_features() const { return out_features_; }
  bool has_bias() const { return has_bias_; }
  Param& weight() { return weight_; }
  Param& bias() { return bias_; }

 protected:
  int64_t in_features_, out_features_;
  bool has_bias_;
  Param weight_, bias_;
  Tensor x_;  // the input of the last forward, as rows (a view, not a copy)
  int64_t batch_ = 0;
  Tensor out_, dx_;
};

}  // namespace nnzero
