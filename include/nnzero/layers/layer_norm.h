// Layer Normalization (Ba, Kiros and Hinton, 2016), as PyTorch's nn.LayerNorm over the last
// dimension: each vector x of C features is normalised by its own statistics, not the batch's,
// so training and evaluation compute the same thing (the transformer's normalisation; compare
// BatchNorm, section 6.3):
//   mu = mean(x), var = mean((x - mu)^2) (biased), xhat = (x - mu) / sqrt(var + eps),
//   y = weight * xhat + bias                                  (weight, bias: (C))
// backward, with g = dout * weight and sigma = sqrt(var + eps), per vector:
//   dx = (g - mean(g) - xhat * mean(g * xhat)) / sigma,
//   dweight += sum over vectors of dout * xhat, dbias += sum over vectors of dout.
// Shapes: x (N, ..., C) -> y of the same shape.
#pragma once

#include "nnzero/layers/layer.h"

namespace nnzero {

class LayerNorm : public Layer {
 public:
  // in_shape (..., C): one sample, normalised over its last dimension C.
  LayerNorm(const Shape& in_shape, bool bias = true, float eps = 1e-5f);

  const char* type() const override { return "layer_norm"; }
  const Tensor& forward(const Tensor& x, bool train) override;
  const Tensor& backward(const Tensor& dout) override;
  Tensor* input_grad_buffer() override { return &dx_; }
  std::vector<Param*> params() override;

  int64_t features() const { return features_; }
  bool has_bias() const { return has_bias_; }
  float eps() const { return eps_; }
  Param& weight() { return weight_; }
  Param& bias() { return bias_; }

 private:
  int64_t features_;  // C
  bool has_bias_;
  float eps_;
  Param weight_, bias_;
  Tensor xhat_;     // (rows, C), kept for backward
  Tensor inv_std_;  // (rows): 1 / sigma of each vector
  Tensor out_, dx_;
};

}  // namespace nnzero
