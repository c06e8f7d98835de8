// Embedding (book 2, section 4.1): a lookup table. Each input value is a token id w, and the
// output is row w of the weight W (V, D) as PyTorch's nn.Embedding stores it. It is the product
// of a one-hot row with W, computed without forming the one-hot row.
// Shapes: ids (N, T) -> (N, T, D), held as floats, exact below 2^24.
// backward: dW[w] += dout row, once for every time w occurs (book 2's np.add.at). There is no
// dL/d(ids), because an id is not a number the loss varies smoothly with.
#pragma once

#include "nnzero/layers/layer.h"

namespace nnzero {

class Embedding : public Layer {
 public:
  Embedding(const Shape& in_shape, int64_t num_embeddings, int64_t embedding_dim);

  const char* type() const override { return "embedding"; }
  const Tensor& forward(const Tensor& x, bool train) override;
  const Tensor& backward(const Tensor& dout) override;
  std::vector<Param*> params() override { return {&weight_}; }
  int64_t token_ids_below() const override { return num_embeddings_; }
  Param& weight() { return weight_; }

 private:
  int64_t num_embeddings_, dim_;
  Param weight_;
  std::vector<int32_t> ids_;  // of the last forward
  Tensor out_;
};

}  // namespace nnzero
