#include "nnzero/layers/embedding.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace nnzero {

namespace {
Shape appended(Shape s, int64_t d) {
  s.push_back(d);
  return s;
}
}  // namespace

Embedding::Embedding(const Shape& in_shape, int64_t num_embeddings, int64_t embedding_dim)
    : Layer(in_shape, appended(in_shape, embedding_dim)),
      num_embeddings_(num_embeddings),
      dim_(embedding_dim) {
  if (num_embeddings < 1 || embedding_dim < 1) {
    throw Error("embedding: num_embeddings and embedding_dim must be at least 1");
  }
  // fan_in 1: "xavier" draws N(0, 1) as nn.Embedding does; the book's 0.01 is "std:0.01".
  weight_ = Param{"weight", Tensor(Shape{num_embeddings, embedding_dim}),
                  Tensor(Shape{num_embeddings, embedding_dim}), 1, true};
  needs_input_grad_ = false;
}

const Tensor& Embedding::forward(const Tensor& x, bool /*train*/) {
  check_input(x);
  const int64_t n = x.numel();
  ids_.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    if (!(v >= 0.0f && v < static_cast<float>(num_embeddings_)) || v != std::floor(v)) {
      throw Error("embedding: input " + std::to_string(i) + " is " + std::to_string(v) +
                  ", not a token id in [0, " + std::to_string(num_embeddings_) + ")");
    }
    ids_[static_cast<size_t>(i)] = static_cast<int32_t>(v);
  }
  out_.resize(out_shape_.with_batch(x.dim(0)));
  for (int64_t i = 0; i < n; ++i) {
    const float* row = weight_.value.data() + ids_[static_cast<size_t>(i)] * dim_;
    std::copy(row, row + dim_, out_.data() + i * dim_);
  }
  return out_;
}

const Tensor& Embedding::backward(const Tensor& dout) {
  check_dout(dout, out_.dim(0));
  for (size_t i = 0; i < ids_.size(); ++i) {
    const float* d = dout.data() + static_cast<int64_t>(i) * dim_;
    float* g = weight_.grad.data() + ids_[i] * dim_;
    for (int64_t j = 0; j < dim_; ++j) g[j] += d[j];
  }
  return dout;  // nothing below reads it: an embedding is a network's first layer
}

}  // namespace nnzero
