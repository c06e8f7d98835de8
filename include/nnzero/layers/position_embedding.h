// Learned position embedding (GPT, Radford et al. 2018; nanoGPT's transformer.wpe): attention
// itself does not see the order of what it reads, so every position t gets a vector of its
// own, learned like a word vector and added to the token's:
//   out[n, t] = x[n, t] + W[t]            x: (N, T, C) token vectors, W: (T, C)
// backward: dx = dout; dW[t] += sum over the batch of dout[n, t].
// PyTorch keeps W in an nn.Embedding(T, C) indexed by 0..T-1, so its name is "weight" there.
#pragma once

#include "nnzero/layers/layer.h"

namespace nnzero {

class PositionEmbedding : public Layer {
 public:
  // in_shape: (T, C).
  explicit PositionEmbedding(const Shape& in_shape);

  const char* type() const override { return "position_embedding"; }
  const Tensor& forward(const Tensor& x, bool train) override;
  const Tensor& backward(const Tensor& dout) override;
  std::vector<Param*> params() override { return {&weight_}; }
  Param& weight() { return weight_; }

 private:
  Param weight_;
  Tensor out_;
};

}  // namespace nnzero
