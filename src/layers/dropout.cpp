#include "nnzero/layers/dropout.h"

namespace nnzero {

Dropout::Dropout(const Shape& in_shape, float p, uint64_t seed)
    : Layer(in_shape, in_shape), p_(p), rng_(seed) {
  if (!(p >= 0.0f && p < 1.0f)) {
    throw Error("dropout: p must be in [0, 1), got " + std::to_string(p));
  }
}

const Tensor& Dropout::forward(const Tensor& x, bool train) {
  check_input(x);
  train_ = train;
  out_.resize(x.shape());
  if (!train) {
    out_.copy_from(x);
    return out_;
  }
  mask_.resize(x.shape());
  const float scale = 1.0f / (1.0f - p_);
  const int64_t n = x.numel();
  for (int64_t i = 0; i < n; ++i) {
    mask_[i] = rng_.uniform() >= p_ ? scale : 0.0f;
    out_[i] = x[i] * mask_[i];
  }
  return out_;
}

const Tensor& Dropout::backward(const Tensor& dout) {
  check_dout(dout, out_.dim(0));
  dx_.resize(dout.shape());
  if (!train_) {
    dx_.copy_from(dout);
    return dx_;
  }
  const int64_t n = dout.numel();
  for (int64_t i = 0; i < n; ++i) dx_[i] = dout[i] * mask_[i];
  return dx_;
}

}  // namespace nnzero
